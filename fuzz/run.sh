#!/bin/sh
# Runs the libFuzzer targets of build/fuzz (see fuzz/README).
#   run.sh smoke SECONDS NAME...   each target SECONDS s; fails on any crash, leak or UB
#   run.sh run SECONDS NAME...     the same, also logged to build/fuzz/report.txt
#   run.sh replay NAME...          each target once over fuzz/corpus/NAME and fuzz/regress/NAME
# New inputs go to build/fuzz/work/NAME (the committed corpus is only read); a crash input is
# saved as build/fuzz/crash/NAME-*: copy it to fuzz/regress/NAME/ once the bug is fixed.
# FUZZ_JOBS (default 1) targets run at once.
set -u
cd "$(dirname "$0")/.."

mode=$1
shift
secs=0
if [ "$mode" != replay ]; then
    secs=$1
    shift
fi
jobs=${FUZZ_JOBS:-1}
out=build/fuzz
mkdir -p "$out/work" "$out/crash" "$out/log"
report=$out/report.txt
[ "$mode" = run ] && printf '# fuzz-run %s, %s s per target\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$secs" >> "$report"

# Inputs of the committed corpus and regressions of a target, one per line.
inputs() {
    for d in fuzz/corpus/$1 fuzz/regress/$1; do
        [ -d "$d" ] || continue
        find "$d" -type f ! -name '.*' | sort
    done
}

one() {
    name=$1
    log=$out/log/$name.txt
    bin=$out/$name
    if [ "$mode" = replay ]; then
        # Each file once (no directory is written to).
        # shellcheck disable=SC2046
        if ! "$bin" -runs=1 $(inputs "$name") > "$log" 2>&1; then
            printf '%-16s FAILED (see %s)\n' "$name" "$log"
            return 1
        fi
        printf '%-16s %s inputs replayed\n' "$name" "$(inputs "$name" | wc -l)"
        return 0
    fi
    mkdir -p "$out/work/$name"
    set -- "$out/work/$name"
    for d in fuzz/corpus/$name fuzz/regress/$name; do [ -d "$d" ] && set -- "$@" "$d"; done
    start=$(date +%s)
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/crash/$name-" "$@" > "$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    line=$(printf '%-16s execs %-10s %-22s %4s s' "$name" "${execs:-?}" "${cov:-cov: ? ft: ?}" "$took")
    if [ $rc -ne 0 ]; then
        line="$line  CRASH (exit $rc, see $log)"
    fi
    echo "$line"
    [ "$mode" = run ] && echo "$line" >> "$report"
    return $rc
}

fail=0
if [ "$jobs" -le 1 ]; then
    for n in "$@"; do one "$n" || fail=1; done
else
    # A simple pool: start up to $jobs, wait for the batch.
    while [ $# -gt 0 ]; do
        pids=
        i=0
        while [ $i -lt "$jobs" ] && [ $# -gt 0 ]; do
            one "$1" &
            pids="$pids $!"
            shift
            i=$((i + 1))
        done
        for p in $pids; do wait "$p" || fail=1; done
    done
fi
if [ $fail -ne 0 ]; then
    echo "fuzz: some target failed" >&2
    exit 1
fi
exit 0
