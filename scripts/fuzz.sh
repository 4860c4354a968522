#!/usr/bin/env bash
# Build and run the libFuzzer targets of fuzz/ (fuzz/README.md) in build/fuzz,
# a clang build dir of its own (fuzz/clang-fuzz.ini).
#
#   scripts/fuzz.sh run   [TARGET...]  FUZZ_SECONDS (120) each: make fuzz
#   scripts/fuzz.sh smoke [TARGET...]  the seeds, then FUZZ_SMOKE_SECONDS (15)
#                                      each: make fuzz-smoke
#
# TARGET is sdk-alloc-ops or provider-keys (default: both).  Each runs on its
# seeds (fuzz/corpus/TARGET, never written) and a working corpus that grows
# from run to run (build/fuzz/corpus/TARGET).  Exits non-zero if any target
# crashed, leaked, timed out or broke an invariant, after saying where the
# input was saved and how to run it again.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build/fuzz
cd "$src"

mode=${1:-}
shift || true
case $mode in
run) seconds=${FUZZ_SECONDS:-120} ;;
smoke) seconds=${FUZZ_SMOKE_SECONDS:-15} ;;
*)
    echo "usage: $0 run|smoke [sdk-alloc-ops|provider-keys ...]" >&2
    exit 2
    ;;
esac
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(sdk-alloc-ops provider-keys)

# Larger inputs than a program of 1000 ops or a big key file say nothing new.
declare -A max_len=([sdk-alloc-ops]=4096 [provider-keys]=8192)
# An op program that forks costs a hundred times one that does not (the
# child maps the heap afresh): schedule inputs by their speed too.
declare -A extra=([sdk-alloc-ops]=-entropic_scale_per_exec_time=1 [provider-keys]="")
for t in "${targets[@]}"; do
    [[ -n ${max_len[$t]:-} ]] || {
        echo "fuzz: no target $t (sdk-alloc-ops, provider-keys)" >&2
        exit 2
    }
done

if [[ ! -f $build/build.ninja ]]; then
    meson setup --native-file fuzz/clang-fuzz.ini "$build"
fi
start=$SECONDS
meson compile -C "$build" -j 2 fuzz
echo "fuzz: built in $((SECONDS - start)) s"

# UBSan findings are fatal (-fno-sanitize-recover in clang-fuzz.ini); say
# where.  LeakSanitizer is on, as with every ASan build.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# The figures of libFuzzer's last status line and its final statistics.
summary() {
    local log=$1
    local done_line execs rate
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    local cov ft corp
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$done_line")
    printf '%-14s %10s execs %7s exec/s  cov %5s  ft %6s  corpus %s\n' \
        "$2" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
}

failed=()
summaries=()
for t in "${targets[@]}"; do
    work=$build/corpus/$t
    artifacts=$build/artifacts/$t
    log=$build/logs/$t.log
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    exe=$build/fuzz/fuzz-$t
    echo "fuzz: $t for ${seconds} s (log: ${log#"$src"/})"
    status=0
    "$exe" -max_total_time="$seconds" -max_len="${max_len[$t]}" -len_control=0 -timeout=30 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" ${extra[$t]:+"${extra[$t]}"} \
        "$work" "fuzz/corpus/$t" >"$log" 2>&1 || status=$?
    summaries+=("$(summary "$log" "$t")")
    if [[ $status -ne 0 ]]; then
        failed+=("$t")
        echo "fuzz: $t FAILED (exit status $status):" >&2
        grep -E 'invariant failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' \
            "$log" | head -5 >&2 || true
        input=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
        if [[ -n $input ]]; then
            echo "fuzz: the input is saved in ${input#"$src"/}; run it again with" >&2
            echo "  ${exe#"$src"/} ${input#"$src"/}" >&2
        fi
        echo "fuzz: the whole report: ${log#"$src"/}" >&2
    fi
done

echo "fuzz: ${mode}, ${seconds} s a target:"
printf '  %s\n' "${summaries[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
