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
REPS=${REPS:-3}; N=${N:-200000}; CLIENTS=${CLIENTS:-50}; PORT=${PORT:-21100}
TESTS=${TESTS:-set,get,incr,mset}
LABELS=(pairdb redis); BINS=("$PAIRDB_SERVER" "$REDIS_SERVER"); PIDS=(); PORTS=()
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pairdb-bench.XXXXXX")
SPIN=""; CPIN=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then SPIN="taskset -c 0"; CPIN="taskset -c 1"; fi

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT; trap 'exit 130' INT TERM

start() { # index
    local i=$1 port=$((PORT + $1)) dir=$WORK/${LABELS[$1]}
    mkdir -p "$dir"
    # never benchmark a server someone else left on our port
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
        echo "bench.sh: port $port is already in use; set PORT=..." >&2; exit 1
    fi
    ( cd "$dir" && exec $SPIN "${BINS[$i]}" --port "$port" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$dir" ) >"$dir/server.log" 2>&1 &
    PIDS[i]=$!; PORTS[i]=$port
    for _ in $(seq 1 100); do
        redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && return 0
        kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.1
    done
    echo "bench.sh: ${LABELS[$i]} (${BINS[$i]}) failed to start on port $port:" >&2
    tail -5 "$dir/server.log" >&2; exit 1
}

start 0; start 1
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
            kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "bench.sh: ${LABELS[$i]} died" >&2; exit 1; }
        done
        echo "  rep $rep P=$P done" >&2
    done
done

# medians per (server, P, test); ratio = pairdb / redis of the medians
awk -v pd="${PAIRDB_SERVER}" -v rd="${REDIS_SERVER}" '
function med(s,   a, n, i, j, t) { n = split(s, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
        a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
{ k = $3 SUBSEP $4; if (!(k in seen)) { seen[k] = 1; ord[++nk] = k }
  rps[$2 SUBSEP k] = rps[$2 SUBSEP k] " " $5; p99[$2 SUBSEP k] = p99[$2 SUBSEP k] " " $6 }
END {
    printf "pairdb: `%s`, redis: `%s`\n\n", pd, rd
    print "| P | test | pairdb rps | redis rps | rps ratio | pairdb p99 ms | redis p99 ms | p99 ratio |"
    print "|---|------|-----------:|----------:|----------:|--------------:|-------------:|----------:|"
    for (q = 1; q <= nk; q++) { k = ord[q]; split(k, kp, SUBSEP)
        a = med(rps["pairdb" SUBSEP k]); b = med(rps["redis" SUBSEP k])
        c = med(p99["pairdb" SUBSEP k]); d = med(p99["redis" SUBSEP k])
        printf "| %s | %s | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f |\n", kp[1], kp[2], a, b,
            (b > 0 ? a / b : 0), c, d, (d > 0 ? c / d : 0) }
    print ""
    print "Medians over reps; rps ratio > 1 and p99 ratio < 1 favour pairdb."
}' "$RAW"
