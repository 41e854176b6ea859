#!/usr/bin/env bash
# bits.sh - pairdb-server versus redis-server on the bitmap and HyperLogLog commands.
#
# redis-benchmark's -t list has none of them, so each row is a custom command line. Its
# __rand_int__ is a zero-padded 12-digit number, which no server takes as an offset, so the
# random part is the key (KEYSPACE keys) and offsets are fixed:
#   setbit    SETBIT bm:__rand_int__ 1000 1        (creates a 126-byte bitmap, then rewrites it)
#   getbit    GETBIT bm:__rand_int__ 1000
#   bitfield  BITFIELD bf:__rand_int__ INCRBY u8 800 1
#   bitcount  BITCOUNT bits                       (one 128 KB random bitmap, counted whole)
#   bitpos    BITPOS zeros 1                      (128 KB of zeros and a final 1: a full scan)
#   pfadd     PFADD hll __rand_int__              (one key, dense after ~3000 adds)
#   pfcount   PFCOUNT hll                         (cache stale after each PFADD that changed)
#   pfcount2  PFCOUNT hll hll2                    (two-key union, no cache)
# The same layout as bench.sh quick mode: both servers started at once without persistence,
# pinned to cpu 0 with the client on cpu 1 when possible, order flipped every rep, medians
# and pairdb/redis ratios printed as a markdown table. Rows run in the order above, so the
# reads find the keys the writes built (each server gets a FLUSHALL before its first row).
# A row whose commands fail is missing from the table: check by hand with redis-cli.
#
# env: PAIRDB_SERVER (build/pairdb-server) REDIS_SERVER (/usr/bin/redis-server) REPS=3
#      N=200000 CLIENTS=50 KEYSPACE=100000 PORT=21300 (two ports: PORT and PORT+1)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAIRDB_SERVER=${PAIRDB_SERVER:-$ROOT/build/pairdb-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REPS=${REPS:-3}; N=${N:-200000}; CLIENTS=${CLIENTS:-50}; KEYSPACE=${KEYSPACE:-100000}
PORT=${PORT:-21300}
command -v redis-benchmark >/dev/null || { echo "bits.sh: redis-benchmark not found" >&2; exit 2; }

ROWS=(
    "setbit|SETBIT bm:__rand_int__ 1000 1"
    "getbit|GETBIT bm:__rand_int__ 1000"
    "bitfield|BITFIELD bf:__rand_int__ INCRBY u8 800 1"
    "bitcount|BITCOUNT bits"
    "bitpos|BITPOS zeros 1"
    "pfadd|PFADD hll __rand_int__"
    "pfcount|PFCOUNT hll"
    "pfcount2|PFCOUNT hll hll2"
)

LABELS=(pairdb redis); BINS=("$PAIRDB_SERVER" "$REDIS_SERVER"); PIDS=(); PORTS=()
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pairdb-bits.XXXXXX")
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
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
        echo "bits.sh: port $port is already in use; set PORT=..." >&2; exit 1
    fi
    ( cd "$dir" && exec $SPIN "${BINS[$i]}" --port "$port" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$dir" ) >"$dir/server.log" 2>&1 &
    PIDS[i]=$!; PORTS[i]=$port
    for _ in $(seq 1 100); do
        redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && return 0
        kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.1
    done
    echo "bits.sh: ${LABELS[$i]} (${BINS[$i]}) failed to start on port $port" >&2; exit 1
}

start 0; start 1
RAW=$WORK/raw.txt; : >"$RAW"
# The same bitmaps for both servers.
head -c 131072 /dev/urandom >"$WORK/bits.bin"
{ head -c 131071 /dev/zero; printf '\001'; } >"$WORK/zeros.bin"
echo "bits bench: $REPS reps, -c $CLIENTS -n $N -r $KEYSPACE, P=1 and 16" >&2
for rep in $(seq 1 "$REPS"); do
    if [ $((rep % 2)) = 1 ]; then order="0 1"; else order="1 0"; fi
    for P in 1 16; do
        for i in $order; do
            redis-cli -h 127.0.0.1 -p "${PORTS[$i]}" flushall >/dev/null
            redis-cli -h 127.0.0.1 -p "${PORTS[$i]}" pfadd hll2 a b c >/dev/null
            redis-cli -h 127.0.0.1 -p "${PORTS[$i]}" -x set bits <"$WORK/bits.bin" >/dev/null
            redis-cli -h 127.0.0.1 -p "${PORTS[$i]}" -x set zeros <"$WORK/zeros.bin" >/dev/null
            for row in "${ROWS[@]}"; do
                name=${row%%|*}; cmd=${row#*|}
                # csv: "test","rps","avg","min","p50","p95","p99","max"
                # shellcheck disable=SC2086
                $CPIN redis-benchmark -h 127.0.0.1 -p "${PORTS[$i]}" -c "$CLIENTS" -n "$N" \
                    -P "$P" -r "$KEYSPACE" --csv $cmd 2>/dev/null | tr -d '"' |
                    grep -v -e '^test,' -e 'needed to' |
                    awk -F, -v l="${LABELS[$i]}" -v P="$P" -v rep="$rep" -v t="$name" \
                        '{print rep, l, P, t, $2, $7}' >>"$RAW"
            done
            kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "bits.sh: ${LABELS[$i]} died" >&2; exit 1; }
        done
        echo "  rep $rep P=$P done" >&2
    done
done

awk -v pd="$PAIRDB_SERVER" -v rd="$REDIS_SERVER" '
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
