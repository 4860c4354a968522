#!/usr/bin/env bash
# `secretmem run` end to end: run_test.sh SECRETMEM HEAP_PROBE CASE...
# Each case runs the real command and checks what it did: where the probe's
# heap was (as the kernel shows it in smaps), what the report says, the exit
# status.  In the VM on the patched kernel (SECRETMEM_REQUIRE_NATIVE=1) the
# secret heap must be MAP_SECRET memory.
set -uo pipefail
cli=$1
probe=$2
shift 2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

case_name=
fail() {
    printf 'FAIL [%s]: %s\n--- stdout:\n%s\n--- stderr:\n%s\n' "$case_name" "$1" "${out-}" "${err-}" >&2
    exit 1
}
# invoke ARGS...: out, err and status of the CLI run with ARGS.
invoke() {
    out=$("$cli" "$@" 2>"$scratch/err")
    status=$?
    err=$(<"$scratch/err")
}
expect_status() { [[ $status -eq $1 ]] || fail "exit status $status, expected $1"; }
expect_err() { [[ $err == *"$1"* ]] || fail "stderr lacks '$1'"; }
native_usable() {
    "$cli" info --json | python3 -c \
        'import json, sys; d = json.load(sys.stdin); sys.exit(0 if d["backends"][0]["usable"] else 1)'
}

check_all() {
    # The environment's own setting must not win over --all.
    SECRETMEM_PRELOAD=explicit invoke run --all -- "$probe" secret
    expect_status 0
    [[ $out =~ kernel-backend=([a-z]+) ]] || fail "the probe did not say where its heap is"
    local backend=${BASH_REMATCH[1]}
    [[ $backend == native || $backend == fd ]] || fail "the heap is $backend memory"
    if [[ ${SECRETMEM_REQUIRE_NATIVE:-0} == 1 ]]; then
        [[ $backend == native ]] || fail "the patched kernel's heap is $backend, not native"
    fi
    expect_err "'s secret heap held "
    expect_err " out of the kernel's direct map, in $backend ("
    [[ $err =~ secret\ memory\ mapped\ ([0-9.]+)\ ([A-Za-z]+) ]] || fail "no amount mapped"
    [[ ${BASH_REMATCH[1]} != 0 ]] || fail "the report says nothing was mapped"
    [[ $err != *"secretmem-preload: mode="* ]] || fail "the shim's raw report line leaked through"
}

check_explicit() {
    invoke run --explicit -- "$probe" ordinary
    expect_status 0
    [[ $out == *kernel-backend=ordinary* ]] || fail "an ordinary malloc was not ordinary memory"
    expect_err "used no secret memory"
}

check_status() {
    invoke run -- sh -c 'exit 7'
    expect_status 7
    invoke run --all -- bash -c 'exit 3'
    expect_status 3
    expect_err "bash's secret heap held"
}

check_signal() {
    invoke run -- sh -c 'kill -TERM $$'
    expect_status 143
    expect_err "killed by SIGTERM"

    # A signal sent to secretmem is passed on to the program, which it
    # outlives to say so.  (Had it died of the signal itself, it would not.)
    # shellcheck disable=SC2016 # expanded by the child shell
    "$cli" run -- sh -c ': >"$1"; exec sleep 30' _ "$scratch/started" 2>"$scratch/err" &
    local pid=$! tries=0
    while [[ ! -e $scratch/started ]] && ((tries++ < 100)); do
        sleep 0.1
    done
    kill -TERM "$pid"
    wait "$pid"
    status=$?
    err=$(<"$scratch/err")
    expect_status 143
    expect_err "sh was killed by SIGTERM"
}

check_usage_errors() {
    local args
    for args in "run" "run --all" "run --all --" "run --bogus -- touch $scratch/ran" \
        "run --all --explicit touch $scratch/ran" "run --require=fd touch $scratch/ran"; do
        # shellcheck disable=SC2086  # the words are the arguments
        invoke $args
        expect_status 2
        expect_err "secretmem run --help"
    done
    [[ ! -e $scratch/ran ]] || fail "a usage error ran the command"
    invoke no-such-command
    expect_status 2
}

check_exec_failures() {
    invoke run -- "$scratch/no-such-program"
    expect_status 127
    expect_err "No such file or directory"
    printf 'not a program\n' >"$scratch/not-executable"
    invoke run -- "$scratch/not-executable"
    expect_status 126
}

check_require() {
    if native_usable; then
        invoke run --all --require=native -- "$probe" secret
        expect_status 0
        [[ $out == *kernel-backend=native* ]] || fail "--require=native ran on another backend"
    else
        invoke run --all --require=native -- touch "$scratch/ran"
        expect_status 125
        expect_err "--require=native"
        [[ ! -e $scratch/ran ]] || fail "the program ran though native is not usable"
    fi
}

check_no_shim() {
    SECRETMEM_PRELOAD_LIBRARY=$scratch/none invoke run -- touch "$scratch/ran"
    expect_status 125
    expect_err "SECRETMEM_PRELOAD_LIBRARY"
    [[ ! -e $scratch/ran ]] || fail "the program ran without the shim"
}

check_stderr() {
    # The program's standard streams are the ones secretmem was given, not
    # a pipe of its own: the same files (device and inode)...
    : >"$scratch/in"
    "$cli" run -- sh -c 'stat -L -c %d:%i /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2' \
        <"$scratch/in" >"$scratch/out" 2>"$scratch/err"
    status=$?
    out=$(<"$scratch/out")
    err=$(<"$scratch/err")
    expect_status 0
    local given
    given=$(stat -c %d:%i "$scratch/in" "$scratch/out" "$scratch/err")
    [[ $out == "$given" ]] || fail "the program's fds 0 1 2 are $out, not the given $given"

    # ... so a program on a terminal still sees one (isatty), where script(1)
    # can give it one.
    if script -qec true /dev/null >/dev/null 2>&1; then
        script -qec "$(printf '%q ' "$cli" run -- sh -c 'test -t 0 && test -t 1 && test -t 2')" \
            /dev/null >"$scratch/tty" 2>&1 </dev/null
        status=$?
        err=$(<"$scratch/tty")
        expect_status 0
    else
        echo "no pseudo-terminal here: not checking that one stays the program's"
    fi

    # Its bytes come through unchanged and first, a last line without a
    # newline included; the shim's raw report line is not among them.
    invoke run -- bash -c 'printf "first\nlast" >&2'
    expect_status 0
    [[ $err == $'first\nlast'* ]] || fail "the program's stderr was changed"
    expect_err "bash used no secret memory"
    [[ $err != *"secretmem-preload: mode="* ]] || fail "the shim's report went to the program's stderr"
}

check_fork() {
    # Two processes report, each named by its pid: the program and its child.
    invoke run --all -- "$probe" fork
    expect_status 0
    [[ $out =~ parent=([0-9]+)\ child=([0-9]+) ]] || fail "the probe did not say its pids"
    local parent=${BASH_REMATCH[1]} child=${BASH_REMATCH[2]}
    expect_err "2 processes exited under the shim, $probe (pid $parent) and what it started:"
    local pid
    for pid in "$parent" "$child"; do
        expect_err $'\n'"  cli-heap-probe (pid $pid)'s secret heap held "
    done
    [[ $err != *WARNING* ]] || fail "a warning for two processes that both reported"
}

check_shell() {
    # dash ends with _exit (no report of its own), and forks what it runs,
    # which reports under its own pid: that is enough.
    invoke run -- sh -c "$(printf %q "$probe") ordinary"
    expect_status 0
    [[ $err =~ cli-heap-probe\ \(pid\ [0-9]+\)\ used\ no\ secret\ memory ]] ||
        fail "the probe's report is not named by its pid"
    [[ $err != *WARNING* ]] || fail "a warning though the program sh ran reported"
    # Nothing at all reported: that is said.
    invoke run -- sh -c 'exit 7'
    expect_status 7
    expect_err "WARNING: sh exited without the shim's report, and nothing it started"
}

# The shim itself, run without secretmem: SECRETMEM_PRELOAD_REPORT_FD.
check_report_fd() {
    local shim
    # shellcheck disable=SC2016 # expanded by the child shell
    shim=$("$cli" run -- sh -c 'printf %s "${LD_PRELOAD%%:*}"' 2>/dev/null)
    [[ -f $shim ]] || fail "secretmem run preloads '$shim', not a file"
    # report ARGS...: the program ARGS under the shim with the report to fd 9.
    report() {
        SECRETMEM_PRELOAD_REPORT=1 SECRETMEM_PRELOAD_REPORT_FD=9 LD_PRELOAD=$shim "$@"
    }
    local line
    # To fd 9, not stderr, with the process's pid and name last.
    out=$(report bash -c 'echo $$' 9>"$scratch/reports" 2>"$scratch/err")
    err=$(<"$scratch/err")
    line=$(<"$scratch/reports")
    [[ $line =~ ^secretmem-preload:\ mode=explicit\ backend=[a-z]+\ degraded=(yes|no)\ .*\ openssl_heap_peak=[0-9]+\ openssl_mem_functions=ours\ pid=([0-9]+)\ comm=bash$ ]] ||
        fail "fd 9 holds '$line', not one report line ending in pid and comm"
    [[ ${BASH_REMATCH[2]} == "$out" ]] || fail "the report says pid ${BASH_REMATCH[2]}, not $out"
    [[ -z $err ]] || fail "the report went to stderr as well"

    # A name with a space, '=' and a newline is one word.
    local odd="$scratch/a b=c"$'\n'"d"
    cp "$probe" "$odd"
    report "$odd" ordinary 9>"$scratch/reports" >/dev/null 2>"$scratch/err"
    err=$(<"$scratch/err")
    line=$(<"$scratch/reports")
    [[ $line == *" comm=a_b_c_d" ]] || fail "the name of '$odd' came out as '${line##* comm=}'"

    # Where fd 9 is closed, not writable, or another file than the one the
    # program started with, the line goes to stderr: never lost, and never
    # into a file of the program's.
    local where
    for where in closed read-only reopened; do
        : >"$scratch/reports"
        : >"$scratch/other"
        # shellcheck disable=SC2016 # expanded by the child shell
        case $where in
        closed) report bash -c 'exit 0' 9>&- 2>"$scratch/err" ;;
        read-only) report bash -c 'exit 0' 9<"$scratch/reports" 2>"$scratch/err" ;;
        reopened) report bash -c 'exec 9>"$1"' _ "$scratch/other" 9>"$scratch/reports" \
            2>"$scratch/err" ;;
        esac
        err=$(<"$scratch/err")
        [[ $err =~ ^secretmem-preload:\ mode=.*\ pid=[0-9]+\ comm=bash$ ]] ||
            fail "fd 9 $where: the report is not on stderr"
        [[ ! -s $scratch/reports && ! -s $scratch/other ]] ||
            fail "fd 9 $where: the report went into a file"
    done
    for where in "" 9x -1 99999999999; do
        SECRETMEM_PRELOAD_REPORT=1 SECRETMEM_PRELOAD_REPORT_FD=$where LD_PRELOAD=$shim \
            bash -c 'exit 0' 2>"$scratch/err"
        err=$(<"$scratch/err")
        [[ $err == "secretmem-preload: mode="* ]] ||
            fail "SECRETMEM_PRELOAD_REPORT_FD='$where': the report is not on stderr"
    done
}

check_help() {
    local args
    for args in "--help" "help" "help run" "help info" "run --help" "info --help"; do
        # shellcheck disable=SC2086
        invoke $args
        expect_status 0
        [[ $out == *"exit status"* ]] || fail "'secretmem $args' names no exit status"
    done
}

check_info_json() {
    invoke info --json
    [[ $status -le 1 ]] || fail "exit status $status"
    python3 -c '
import json, sys
d = json.load(sys.stdin)
names = [b["name"] for b in d["backends"]]
assert names == ["native", "fd", "locked"], names
for field in ("SecretMap", "SecretPool"):
    value = d["meminfo_kB"][field]
    assert value is None or isinstance(value, int), (field, value)
    # A kernel with MAP_SECRET counts it; absent is null, never a made-up 0.
    if d["backends"][0]["usable"]:
        assert isinstance(value, int), (field, value)
' <<<"$out" || fail "info --json is not what it should be"
}

for case_name in "$@"; do
    "check_${case_name//-/_}"
    echo "ok: $case_name"
done
