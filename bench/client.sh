#!/usr/bin/env bash
# client.sh - libpairdb against Debian's hiredis on the same workload: GET and SET,
# pipeline 1 and 64, 1 and 50 connections, driven by bench/client_bench.c against one
# redis-server (no persistence) pinned to cpu 0 with the client on cpu 1 when there are two
# cpus. Three reps; within a rep the two libraries run back to back, in an order that flips
# every rep. Prints the median requests per second of each, their ratio (libpairdb /
# hiredis) and the heap allocations per reply.
#
# env: REDIS_SERVER (/usr/bin/redis-server) PORT (6420) REPS (3)
# needs: gcc, libhiredis-dev, libssl-dev, build/libpairdb.a (make client)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
PORT=${PORT:-6420}
REPS=${REPS:-3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pairdb-client-bench.XXXXXX")
SPIN=""; CPIN=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    SPIN="taskset -c 0"; CPIN="taskset -c 1"
fi
SPID=""
cleanup() {
    if [ -n "$SPID" ]; then kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT; trap 'exit 130' INT TERM

[ -f "$ROOT/build/libpairdb.a" ] || { echo "client.sh: run 'make client' first" >&2; exit 2; }
[ -f /usr/include/hiredis/hiredis.h ] || { echo "client.sh: libhiredis-dev is missing" >&2; exit 2; }
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -I"$ROOT/include" -o "$WORK/client_bench" \
    "$ROOT/bench/client_bench.c" "$ROOT/build/libpairdb.a" -lhiredis -lssl -lcrypto

if redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1; then
    echo "client.sh: port $PORT is already in use; set PORT=..." >&2; exit 1
fi
( cd "$WORK" && exec $SPIN "$REDIS_SERVER" --port "$PORT" --bind 127.0.0.1 --save '' \
    --appendonly no --dir "$WORK" ) >"$WORK/server.log" 2>&1 &
SPID=$!
for _ in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1
done

# requests per case: enough for about half a second each
requests() { # pipeline conns
    case "$1x$2" in 1x1) echo 20000 ;; 1x50) echo 100000 ;; 64x1) echo 400000 ;; *) echo 1000000 ;; esac
}

RAW=$WORK/raw
: >"$RAW"
for rep in $(seq 1 "$REPS"); do
    if [ $((rep % 2)) = 1 ]; then order="pdb hiredis"; else order="hiredis pdb"; fi
    for op in get set; do
        for p in 1 64; do
            for c in 1 50; do
                for lib in $order; do
                    out=$($CPIN "$WORK/client_bench" "$lib" "$op" "$p" "$c" "$(requests "$p" "$c")" "$PORT")
                    echo "$op $p $c $lib $out" >>"$RAW"
                done
            done
        done
    done
done

echo "| op | pipeline | conns | libpairdb rps | hiredis rps | ratio | libpairdb allocs/reply | hiredis allocs/reply |"
echo "|----|---------:|------:|--------------:|------------:|------:|-----------------------:|---------------------:|"
python3 - "$RAW" <<'PY'
import sys, statistics, collections
rps = collections.defaultdict(list); allocs = {}
for line in open(sys.argv[1]):
    op, p, c, lib, r, a = line.split()
    rps[(op, int(p), int(c), lib)].append(float(r.split('=')[1]))
    allocs[(op, int(p), int(c), lib)] = float(a.split('=')[1])
for op in ("get", "set"):
    for p in (1, 64):
        for c in (1, 50):
            m = {lib: statistics.median(rps[(op, p, c, lib)]) for lib in ("pdb", "hiredis")}
            print(f"| {op.upper()} | {p} | {c} | {m['pdb']:.0f} | {m['hiredis']:.0f} | "
                  f"{m['pdb'] / m['hiredis']:.2f} | {allocs[(op, p, c, 'pdb')]:.2f} | "
                  f"{allocs[(op, p, c, 'hiredis')]:.2f} |")
PY
