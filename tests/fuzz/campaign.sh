#!/bin/sh
# Long fuzzing campaign: runs every libFuzzer target in turn (one at a time,
# at the lowest CPU priority) for SECONDS each, on a scratch copy of its
# seed corpus, and prints one summary line per target: runs, CPU seconds,
# findings. Crash, leak and timeout inputs are kept under OUT/<target>/.
#
#   make fuzz && tests/fuzz/campaign.sh [SECONDS] [OUT]
#   TARGETS="fuzz_dump fuzz_hll" tests/fuzz/campaign.sh 600    # only some targets
#
# Findings are not added to the committed corpus automatically: minimize
# one (build-fuzz/fuzz_x -minimize_crash=1 FILE), fix the bug, then copy it
# into tests/fuzz/corpus/<target>/ so the smoke run in `make test` keeps it.
SECONDS_EACH=${1:-300}
OUT=${2:-$(mktemp -d /tmp/pairdb-fuzz.XXXXXX)}
mkdir -p "$OUT"
for bin in build-fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    if [ -n "${TARGETS:-}" ]; then
        case " $TARGETS " in *" $name "*) ;; *) continue ;; esac
    fi
    seeds=tests/fuzz/corpus/${name#fuzz_}
    work="$OUT/$name"
    mkdir -p "$work/corpus"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$work/corpus"/
    /usr/bin/time -f "%U %S" -o "$work/cputime" nice -n 19 "$bin" -max_total_time="$SECONDS_EACH" \
        -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$work/" \
        "$work/corpus" >"$work/log" 2>&1
    rc=$?
    runs=$(grep -oE '#[0-9]+' "$work/log" | tail -1 | tr -d '#')
    cpu=$(awk '{printf "%.0f", $1 + $2}' "$work/cputime")
    found=$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | wc -l)
    echo "$name: exit $rc, ${runs:-0} runs, ${cpu}s CPU, $found findings, corpus $(ls "$work/corpus" | wc -l)"
done
echo "results in $OUT"
