#!/usr/bin/env bash
# durability.sh - PairDB's log against Redis's AOF, side by side (a benchmark, not a test).
#
#   bench/durability.sh throughput [-r REPS]   SET at -P 1 and -P 16, 50 clients, with
#                       ../shared/tools/bench-matrix.sh (servers pinned to cpu 0, client to cpu 1,
#                       alternated, medians of paired ratios) under appendfsync always, then
#                       everysec; plus PairDB without a log, to see what the log costs it
#   bench/durability.sh recovery               1M keys: restart time from the log (replay rate)
#                       and from a snapshot, PairDB and Redis (AOF / RDB)
#   bench/durability.sh bgsave                 GET latency percentiles while snapshots of 1M keys
#                       are written in a loop, against the same without snapshots
#   bench/durability.sh all                    the three
#
# env: PAIRDB_SERVER (default build/pairdb-server)  REDIS_SERVER (default /usr/bin/redis-server)
#      PORT (base port, default 21300)  OUT (results dir, default ${TMPDIR:-/tmp}/pairdb-perf/dur-DATE)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAIRDB_SERVER=${PAIRDB_SERVER:-$ROOT/build/pairdb-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
MATRIX=$ROOT/../shared/tools/bench-matrix.sh
PORT=${PORT:-21300}
OUT=${OUT:-${TMPDIR:-/tmp}/pairdb-perf/dur-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT" "${TMPDIR:-/tmp}/pairdb-perf"
what=${1:-all}; shift || true

throughput() {
    [ -x "$MATRIX" ] || { echo "durability.sh: $MATRIX not found" >&2; exit 2; }
    local common="--port {PORT} --bind 127.0.0.1 --save '' --dir {DIR} {AOF}"
    echo "== appendfsync always (pairdb, redis) and pairdb without a log =="
    "$MATRIX" -m aof -p "$PORT" -o "$OUT/always" "$@" \
        -s "pairdb=$PAIRDB_SERVER $common" \
        -s "redis=$REDIS_SERVER $common" \
        -s "pairdb_nolog=$PAIRDB_SERVER $common --appendonly no"
    echo "== appendfsync everysec (pairdb, redis) =="
    "$MATRIX" -m aof -p "$((PORT + 10))" -o "$OUT/everysec" "$@" \
        -s "pairdb=$PAIRDB_SERVER $common --appendfsync everysec" \
        -s "redis=$REDIS_SERVER $common --appendfsync everysec"
}

case $what in
    throughput) throughput "$@" ;;
    recovery) python3 "$ROOT/bench/recovery.py" --mode recovery --port "$((PORT + 20))" \
                  --pairdb "$PAIRDB_SERVER" --redis "$REDIS_SERVER" "$@" | tee "$OUT/recovery.txt" ;;
    bgsave) python3 "$ROOT/bench/recovery.py" --mode bgsave --port "$((PORT + 20))" \
                --pairdb "$PAIRDB_SERVER" --redis "$REDIS_SERVER" "$@" | tee "$OUT/bgsave.txt" ;;
    all) throughput; "$0" recovery; "$0" bgsave ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac
echo "results in $OUT"
