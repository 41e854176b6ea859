#!/usr/bin/env bash
# bench.sh - compare pairdb-server with Debian's redis-server under redis-benchmark.
#
#   bench/bench.sh [matrix options]   full matrix: runs ../shared/tools/bench-matrix.sh (relative
#                                     to the repository) with both servers side by side; extra
#                                     options are passed through (e.g. -r 5 -m matrix -o DIR)
#   bench/bench.sh quick              a few minutes: SET GET INCR MSET (or $TESTS) at -P 1 and
#                                     -P 16, prints a markdown table of medians and pairdb/redis
#                                     ratios (bench/collections.sh runs it on collection tests)
#
# env: PAIRDB_SERVER (default build/pairdb-server)  REDIS_SERVER (default /usr/bin/redis-server)
#      quick mode only: REPS=3 N=200000 CLIENTS=50 PORT=base port (default 21100)
#      TESTS=redis-benchmark -t list (default set,get,incr,mset)
# Pass the same binary twice (PAIRDB_SERVER=/usr/bin/redis-server) to measure the noise floor.
#
# Invariants of quick mode: both servers run at the same time, each pinned to cpu 0, the client
# to cpu 1; within a rep each test runs against one server right after the other, and the order
# flips every rep, so slow drifts of a shared machine hit both sides alike. Servers start with no
# persistence in throw-away directories and are always stopped on exit.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAIRDB_SERVER=${PAIRDB_SERVER:-$ROOT/build/pairdb-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
MATRIX=$ROOT/../shared/tools/bench-matrix.sh

for b in "$PAIRDB_SERVER" "$REDIS_SERVER"; do
    [ -x "$b" ] || { echo "bench.sh: no server binary at $b" >&2; exit 2; }
done
command -v redis-benchmark >/dev/null || { echo "bench.sh: redis-benchmark not found" >&2; exit 2; }

if [ "${1:-}" != quick ]; then
    [ -x "$MATRIX" ] || { echo "bench.sh: $MATRIX not found; try 'bench.sh quick'" >&2; exit 2; }
    has_port=0
    for a in "$@"; do [ "$a" = -p ] && has_port=1; done
    port_args=(); [ $has_port = 1 ] || port_args=(-p "${PORT:-21200}")
    # bench-matrix.sh puts server data dirs under this folder whatever -o says
    mkdir -p "${TMPDIR:-/tmp}/pairdb-perf"
    exec "$MATRIX" -s "pairdb=$PAIRDB_SERVER" -s "redis=$REDIS_SERVER" "${port_args[@]}" "$@"
fi

# ---- quick mode -------------------------------------------------------------------------------
REPS=${REPS:-3}; N=${N:-200000}; CLIENTS=${CLIENTS:-50}
TESTS=${TESTS:-set,get,incr,mset}
. "$ROOT/bench/pair.sh"
pair_init bench.sh 21100
pair_start 0; pair_start 1
RAW=$WORK/raw.txt; : >"$RAW"
echo "quick bench: $REPS reps, -c $CLIENTS -n $N, tests $TESTS, P=1 and 16" >&2
for rep in $(seq 1 "$REPS"); do
    if [ $((rep % 2)) = 1 ]; then order="0 1"; else order="1 0"; fi
    for P in 1 16; do
        for i in $order; do
            redis-cli -h 127.0.0.1 -p "${PORTS[$i]}" flushall >/dev/null
            # csv: "test","rps","avg","min","p50","p95","p99","max"
            $CPIN redis-benchmark -h 127.0.0.1 -p "${PORTS[$i]}" -c "$CLIENTS" -n "$N" -P "$P" \
                -t "$TESTS" --csv 2>/dev/null | tr -d '"' | grep -v -e '^test,' -e 'needed to' |
                awk -F, -v l="${LABELS[$i]}" -v P="$P" -v rep="$rep" \
                    '{split($1, a, " "); print rep, l, P, a[1], $2, $7}' >>"$RAW"
            pair_alive "$i"
        done
        echo "  rep $rep P=$P done" >&2
    done
done

# medians per (server, P, test); ratio = pairdb / redis of the medians
pair_rps_table "$RAW"
