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
. "$(dirname "$0")/pair.sh"
pair_init bits.sh 21300
REPS=${REPS:-3}; N=${N:-200000}; CLIENTS=${CLIENTS:-50}; KEYSPACE=${KEYSPACE:-100000}

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

pair_start 0; pair_start 1
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
            pair_alive "$i"
        done
        echo "  rep $rep P=$P done" >&2
    done
done

pair_rps_table "$RAW"
