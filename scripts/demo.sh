#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: the project's main job, end to end, on the patched kernel.
#
#   scripts/demo.sh [MESON_BUILD_DIR]      (default build/meson)
#
# Builds what is missing (the programs the demo runs, and the patched
# kernel), boots that kernel once in QEMU and runs scripts/demo/guest.sh
# there: a TLS server whose private key is in MAP_SECRET memory, an attacker
# reading the running server, and MAP_SECRET against memfd_secret.  Then
# the comparison's table and a summary.
#
# Output: short sections; the tools' and the VM's logs go to build/demo/
# (demo.log: the build, the harness and the kernel console), named when
# something fails.  Exit status 0 only when every step ran and every attack
# on secret memory got nothing (and every attack on the control got the
# key: an attack that fails there proves nothing).
#
# Env: SECRETMEM_DEMO_BUILD=0  use what is built, build nothing (a kernel
#                              build running elsewhere is then not waited
#                              for); exit status 77 (skip) when the kernel
#                              is not built (the vm-demo test)
#      SECRETMEM_DEMO_OUT=DIR  instead of build/demo (inside the build
#                              directory, which the guest can write)
#      SECRETMEM_BUILD_DIR=DIR instead of build/ (for the kernel too:
#                              kernel/scripts/lib.sh)
#      VM_TIMEOUT (600), VM_MEM, VM_SMP, VM_KERNEL: kernel/scripts/vm-run.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# The kernel scripts' build directory (kernel/scripts/lib.sh), which the
# guest can write.
build_root=$(realpath -m "${SECRETMEM_BUILD_DIR:-$repo/build}")
build=$(realpath -m "${1:-$build_root/meson}")
out=$(realpath -m "${SECRETMEM_DEMO_OUT:-$build_root/demo}")
log=$out/demo.log
bzimage=$build_root/kernel/obj/arch/x86/boot/bzImage
kernel_stamp=$out/kernel.stamp
python=/usr/bin/python3
[[ -x $python ]] || python=python3

# What the guest runs, as ninja names them.
targets=(tests/attack/secretmem-attack integrations/openssl/provider/secretmem.so
    libc-shim/preload/libsecretmem-preload.so bench/secret-bench tests/preload/secretmem-memscan)

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }
section() { printf '\n== %s\n\n' "$*"; }
say() { printf '  %s\n' "$*"; }
die() {
    printf '\n  FAILED: %s\n' "$1"
    shift
    local line
    for line in "$@"; do say "$line"; done
    exit 1
}

# The first errors of a failed build, from $log.
build_errors() {
    grep -m 8 -E 'error:|Error [0-9]|FAILED:|ERROR' "$log" | sed 's/^/    /' || true
}

# A long build's output as progress: on a terminal one line rewritten in
# place, elsewhere a line a minute; and the kernel scripts' own steps
# (extracting, patching, configuring).  All of it goes to $log.
progress() {
    local what=$1 start=$2 line last=$SECONDS steps='' tty=0
    [[ -t 1 ]] && tty=1
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$log"
        [[ $line =~ ^\[([0-9]+/[0-9]+)\] ]] && steps="${BASH_REMATCH[1]} steps, "
        if [[ $line =~ ([0-9]+)\ files\ compiled ]]; then
            steps="${BASH_REMATCH[1]} files compiled, "
        elif [[ $line == "[kernel] "* ]]; then
            ((tty)) && printf '\r\033[K'
            say "  ${line#"[kernel] "}"
        fi
        if ((tty && SECONDS != last)); then
            printf '\r    ... %s: %s%d s ' "$what" "$steps" $((SECONDS - start))
            last=$SECONDS
        elif ((!tty && SECONDS - last >= 60)); then
            say "  ... $what: $steps$((SECONDS - start)) s"
            last=$SECONDS
        fi
    done
    ((tty)) && printf '\r\033[K'
    return 0
}

build_userspace() {
    local start
    start=$(now)
    if [[ ! -f $build/build.ninja ]]; then
        say "userspace: configuring $build (meson setup) ..."
        meson setup "$build" >>"$log" 2>&1 || die "meson setup failed" "log: $log"
    fi
    say "userspace: the attacker, the OpenSSL provider, the preload library and secret-bench"
    say "  (meson; from nothing 1 to 2 minutes on 2 cores, then seconds) ..."
    if ! ninja -C "$build" "${targets[@]}" 2>&1 | progress userspace "$SECONDS"; then
        build_errors
        die "the userspace build failed" "log: $log"
    fi
    say "  ready in $(since "$start") s"
}

# build-kernel.sh's run when nothing changed still costs about 15 s of
# kbuild's checks: skip it when nothing the kernel is built from changed
# since the last demo ran it (the series, the config fragments, the
# scripts, the tarball, the bzImage itself, and hand edits in the tree).
kernel_inputs() {
    {
        cat "$repo"/kernel/patches/* "$repo"/kernel/config/* "$repo"/kernel/scripts/*.sh
        stat -c '%n %s %Y' "$bzimage" "${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}"
    } 2>/dev/null | sha256sum | cut -d' ' -f1
}

kernel_unchanged() {
    [[ -f $bzimage && -f $kernel_stamp && $(cat "$kernel_stamp") == "$(kernel_inputs)" ]] &&
        [[ -z $(find "$build_root/kernel/src" -newer "$kernel_stamp" -print -quit 2>/dev/null) ]]
}

build_kernel() {
    local start
    start=$(now)
    if kernel_unchanged; then
        say "kernel: Linux 6.12 with the MAP_SECRET series, up to date (nothing it is built"
        say "  from changed since the last demo checked)"
        return
    fi
    if [[ -f $bzimage ]]; then
        say "kernel: Linux 6.12 with the MAP_SECRET series (kernel/patches), checking it is up to date ..."
    else
        say "kernel: Linux 6.12 with the MAP_SECRET series (kernel/patches), first build:"
        say "  unpacking and patching the source (about 2 minutes), then about 1,400 files:"
        say "  about 12 minutes in all on 2 idle cores, far longer on busy ones; ccache makes"
        say "  later builds fast"
    fi
    rm -f "$kernel_stamp"
    if ! "$repo/kernel/scripts/build-kernel.sh" 2>&1 | progress kernel "$SECONDS"; then
        build_errors
        die "the kernel build failed" "log: $log (and $build_root/kernel/logs/build.log)"
    fi
    kernel_inputs >"$kernel_stamp"
    say "  ready in $(since "$start") s"
}

mkdir -p "$out"
: >"$log"
t0=$(now)
printf 'secretmem demo: a TLS private key kept out of the kernel'\''s direct map\n'

section "Building what is missing (all output in ${log#"$repo"/})"
if [[ ${SECRETMEM_DEMO_BUILD:-1} == 0 ]]; then
    say "SECRETMEM_DEMO_BUILD=0: using what is built"
    if [[ ${VM_KERNEL:-patched} == patched && ! -f $bzimage ]]; then
        say "skip: no patched kernel at $bzimage; 'make demo' builds it"
        exit 77
    fi
    for t in "${targets[@]}"; do
        [[ -e $build/$t ]] || die "$build/$t is not built" "run 'make demo' without SECRETMEM_DEMO_BUILD=0"
    done
else
    build_userspace
    build_kernel
fi
build_seconds=$(since "$t0")

section "Booting the patched kernel in QEMU"
say "TCG: emulated CPUs, so the demo inside takes about 30 to 60 s; the host's / is"
say "mounted over 9p, so the VM runs these very binaries and the system's openssl."
t1=$(now)
# The server's key and certificate, made here: openssl runs several times
# faster than under TCG.  The attacker is told the key's 32 private bytes
# (the end of its PKCS#8 DER) only to recognise them.
rm -f "$out/server.key" "$out/server.crt" "$out/results.txt"
{
    openssl genpkey -algorithm ED25519 -out "$out/server.key" &&
        openssl req -x509 -new -key "$out/server.key" -subj /CN=localhost -days 1 \
            -out "$out/server.crt"
} >>"$log" 2>&1 || die "openssl could not make the server's key and certificate" "log: $log"
key_hex=$(openssl pkey -in "$out/server.key" -outform DER | tail -c 32 | od -An -v -tx1 | tr -d ' \n')
vm_status=0
export VM_DISK_MB=0 VM_TIMEOUT=${VM_TIMEOUT:-600}
command=$(printf '%q ' "$repo/scripts/demo/guest.sh" "$build" "$out" "$key_hex")
# The guest's own output (stdout) is the demo; the harness's lines go to the
# log.  Both append, so the log keeps them in order.
# shellcheck disable=SC2094
"$repo/kernel/scripts/vm-run.sh" "$command" 2>>"$log" | tee -a "$log" || vm_status=$?
vm_seconds=$(since "$t1")
boot=$(sed -n 's/^\[vm\] boot to command \([0-9.]*\) s.*/\1/p' "$log" | tail -n 1)

value() { sed -n "s/^$1=//p" "$out/results.txt" 2>/dev/null | tail -n 1; }

bench_status=1
if [[ -s $out/bench-direct-map.json && -s $out/bench-speed.json ]]; then
    "$python" "$repo/scripts/demo/bench_table.py" --summary "$out/bench-summary.txt" \
        "$out/bench-direct-map.json" "$out/bench-speed.json" 2>&1 | sed 's/^/  /'
    bench_status=${PIPESTATUS[0]}
    echo
    say "Times are TCG's (an emulated CPU): only the ratios, measured side by side in this VM,"
    say "and the kernel's counters mean anything; bench/results/ has the full runs."
fi

section "Summary"
problems=()
case $vm_status in
0) ;;
124) problems+=("the VM timed out after $VM_TIMEOUT s (raise VM_TIMEOUT)") ;;
125) problems+=("the VM failed: kernel panic, init failure or QEMU error") ;;
*) problems+=("the demo in the VM failed (status $vm_status)") ;;
esac
while IFS= read -r failure; do
    problems+=("$failure")
done < <(sed -n 's/^failure=//p' "$out/results.txt" 2>/dev/null)
((bench_status == 0)) || problems+=("the MAP_SECRET vs memfd_secret comparison is incomplete")

backend=$(value backend)
heap=$(value heap)
mapping_count=$(value secret_mappings)
# A summary line: a label, then its text wrapped beside it.
row() {
    local label=$1 line
    while IFS= read -r line; do
        printf '  %-10s %s\n' "$label" "$line"
        label=
    done < <(fold -s -w 68 <<<"$2" | sed 's/ *$//')
}
row "protected" "the TLS server's Ed25519 private key, held by the secretmem OpenSSL provider (-key secretmem:FILE), and OpenSSL's heap with it (libsecretmem-preload.so)"
case $backend in
native) backend_text="'native' (MAP_SECRET) for the key, '${heap:-?}' for OpenSSL's heap: out of the kernel's direct map, locked, never in a core dump; the server's smaps shows ${mapping_count:-no} secret mappings" ;;
*) backend_text="NOT VERIFIED: the provider reported '${backend:-nothing}', not 'native' (MAP_SECRET)" ;;
esac
row "backend" "$backend_text"
if [[ -n $(value tls_version) ]]; then
    row "TLS" "s_client completed a $(value tls_version) handshake ($(value tls_cipher)) that the server signed with that key ($(value tls_signature)), and verified its certificate"
else
    row "TLS" "NOT VERIFIED: no handshake"
fi
if [[ $(value attacks) == passed ]]; then
    row "attacks" "ptrace PEEKDATA, /proc/PID/mem, process_vm_readv, a kernel read through the direct map and a core dump got nothing from the running server; the same attacks got the key from the control server without secretmem"
else
    attacks=$(value attacks)
    row "attacks" "NOT VERIFIED: ${attacks:-not run}"
fi
if [[ $(value nginx) == passed ]]; then
    row "nginx" "a master and 2 workers under the preload and secretmem.cnf served HTTPS from each worker; no process of it held the key readable, every process of the same nginx without secretmem did"
else
    nginx=$(value nginx)
    row "nginx" "NOT VERIFIED: ${nginx:-not run}"
fi
if [[ -s $out/bench-summary.txt ]]; then
    row "cost" "MAP_SECRET against memfd_secret: $(cat "$out/bench-summary.txt")"
fi
row "time" "build $build_seconds s, VM $vm_seconds s (boot ${boot:-?} s; TLS $(value tls_seconds) s, attacks $(value attack_seconds) s, nginx $(value nginx_seconds) s, benchmark $(value bench_seconds) s), total $(since "$t0") s"

if ((${#problems[@]} > 0)); then
    printf '\n  FAILED:\n'
    for p in "${problems[@]}"; do say "- $p"; done
    # The harness's own words: a timeout, a panic, kernel warnings, where it kept its files.
    grep '^\[vm\]' "$log" | grep -v 'boot to command' | head -n 12 | sed 's/^/    /' || true
    say "logs: $log (build, harness, kernel console) and $out/*.log"
    exit 1
fi
printf '\n  PASSED: every line above was checked in this run, on this kernel.  Logs: %s\n' \
    "${out#"$repo"/}/"
