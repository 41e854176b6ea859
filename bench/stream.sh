#!/usr/bin/env bash
# stream.sh - pairdb-server versus redis-server on streams: XADD and XREADGROUP throughput at
# -P 16 and memory per entry.
#
# Both servers run at the same time, pinned to cpu 0 (client on cpu 1) when there are two
# cores, with no persistence, and every test runs against one right after the other, the
# order flipping every rep, as bench.sh's quick mode does. Per rep and server:
#   XADD        redis-benchmark -P 16 "XADD s * f v" (N requests, fills s)
#   XREADGROUP  on that stream, group g from 0: "XREADGROUP GROUP g c COUNT 1 STREAMS s >"
#               (N requests: every one delivers one entry and adds it to the PEL)
#   cpu         the server's CPU time per 100k requests of each (steadier than rps when the
#               machine is shared)
#   memory      used_memory after MEM entries "XADD m * field1 <i%100> field2 value" on a
#               flushed server, minus used_memory before, per entry
# Prints a markdown table of medians and pairdb/redis ratios.
#
# env: PAIRDB_SERVER (default build/pairdb-server)  REDIS_SERVER (default /usr/bin/redis-server)
#      REPS=3 N=200000 MEM=1000000 CLIENTS=50 PORT=base port (default 33400)
. "$(dirname "$0")/pair.sh"
pair_init stream.sh 33400
REPS=${REPS:-3}; N=${N:-200000}; MEM=${MEM:-1000000}; CLIENTS=${CLIENTS:-50}

cli() { pair_cli "$@"; }
# rps of one custom-command redis-benchmark run
bench() { # index command...
    local i=$1; shift
    $CPIN redis-benchmark -h 127.0.0.1 -p "${PORTS[$i]}" -c "$CLIENTS" -n "$N" -P 16 --csv \
        "$@" 2>/dev/null | tr -d '"' | grep -v -e '^test,' | tail -1 | cut -d, -f2
}
# server CPU time (user + system) in ms: less sensitive than rps to a busy shared machine
cpu_ms() { sed 's/.*) //' "/proc/${PIDS[$1]}/stat" | awk -v hz="$(getconf CLK_TCK)" '{print ($12 + $13) * 1000 / hz}'; }
per_100k() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN{printf "%.1f", (b - a) * 100000 / n}'; }
used() { cli "$1" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}'; }

pair_start 0; pair_start 1
RAW=$WORK/raw.txt; : >"$RAW"
echo "stream bench: $REPS reps, -c $CLIENTS -n $N -P 16, memory over $MEM entries" >&2
for rep in $(seq 1 "$REPS"); do
    if [ $((rep % 2)) = 1 ]; then order="0 1"; else order="1 0"; fi
    for i in $order; do
        cli "$i" flushall >/dev/null
        c0=$(cpu_ms "$i")
        echo "$rep ${LABELS[$i]} xadd $(bench "$i" XADD s '*' f v)" >>"$RAW"
        c1=$(cpu_ms "$i")
        cli "$i" xgroup create s g 0 >/dev/null
        c2=$(cpu_ms "$i")
        echo "$rep ${LABELS[$i]} xreadgroup $(bench "$i" XREADGROUP GROUP g c COUNT 1 STREAMS s '>')" >>"$RAW"
        c3=$(cpu_ms "$i")
        echo "$rep ${LABELS[$i]} xadd_cpu_ms_per_100k $(per_100k "$c0" "$c1")" >>"$RAW"
        echo "$rep ${LABELS[$i]} xreadgroup_cpu_ms_per_100k $(per_100k "$c2" "$c3")" >>"$RAW"
        cli "$i" flushall >/dev/null
        before=$(used "$i")
        seq 0 $((MEM - 1)) | awk '{printf "XADD m * field1 %d field2 value\n", $1 % 100}' |
            cli "$i" --pipe >/dev/null
        after=$(used "$i")
        echo "$rep ${LABELS[$i]} bytes_per_entry $(awk -v a="$after" -v b="$before" -v n="$MEM" \
            'BEGIN{printf "%.2f", (a - b) / n}')" >>"$RAW"
        pair_alive "$i"
    done
    echo "  rep $rep done" >&2
done

awk "$PAIR_MEDIAN_AWK"'
{ if (!($3 in seen)) { seen[$3] = 1; ord[++nk] = $3 } v[$2 SUBSEP $3] = v[$2 SUBSEP $3] " " $4 }
END {
    print "| measure | pairdb | redis | ratio |"
    print "|---------|-------:|------:|------:|"
    for (q = 1; q <= nk; q++) { k = ord[q]; a = med(v["pairdb" SUBSEP k]); b = med(v["redis" SUBSEP k])
        printf "| %s | %.2f | %.2f | %.3f |\n", k, a, b, (b > 0 ? a / b : 0) }
    print ""
    print "Medians over reps. rps rows: ratio > 1 favours pairdb; cpu and bytes rows: < 1 does."
}' "$RAW"
