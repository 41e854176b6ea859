#!/usr/bin/env bash
# geo.sh - pairdb-server versus redis-server on geo searches over a large geo set.
#
# Loads the same MEMBERS points (default 100000, spread over Sicily, about 0.9 per square
# kilometre) into both servers with a pipelined GEOADD, then runs redis-benchmark with custom
# commands against each server in turn:
#   geosearch_radius  GEOSEARCH k FROMLONLAT 13.36 38.11 BYRADIUS 10 km ASC COUNT 10
#   geosearch_box     GEOSEARCH k FROMLONLAT 14.5 37.5 BYBOX 20 20 km ASC COUNT 10 WITHDIST
#   georadius_any     GEORADIUS k 15 37.3 50 km COUNT 10 ANY
# at -P 1 and -P 16. The method is bench-matrix.sh's (../shared/tools): both servers run at
# once, each pinned to cpu 0 and the client to cpu 1, each test runs against one server right
# after the other with the order flipped every rep; medians over reps and pairdb/redis ratios
# are printed as a markdown table. (bench-matrix.sh itself runs a fixed list of built-in
# redis-benchmark tests and cannot take a custom command.)
#
# env: PAIRDB_SERVER (default build/pairdb-server) REDIS_SERVER (default /usr/bin/redis-server)
#      REPS=3 N=20000 CLIENTS=50 PORT=21300 MEMBERS=100000
. "$(dirname "$0")/pair.sh"
pair_init geo.sh 21300
REPS=${REPS:-3}; N=${N:-20000}; CLIENTS=${CLIENTS:-50}
MEMBERS=${MEMBERS:-100000}
TESTS=(
    "geosearch_radius|GEOSEARCH k FROMLONLAT 13.36 38.11 BYRADIUS 10 km ASC COUNT 10"
    "geosearch_box|GEOSEARCH k FROMLONLAT 14.5 37.5 BYBOX 20 20 km ASC COUNT 10 WITHDIST"
    "georadius_any|GEORADIUS k 15 37.3 50 km COUNT 10 ANY"
)

# The points, as RESP GEOADD commands of 1000 members each (deterministic: a fixed LCG).
awk -v n="$MEMBERS" 'BEGIN { s = 12345
    for (i = 0; i < n; i += 1000) {
        m = (n - i < 1000) ? n - i : 1000
        printf "*%d\r\n$6\r\nGEOADD\r\n$1\r\nk\r\n", 2 + 3 * m
        for (j = 0; j < m; j++) {
            s = (s * 1103515245 + 12345) % 2147483648; lon = 12.4 + 3.3 * s / 2147483648
            s = (s * 1103515245 + 12345) % 2147483648; lat = 36.6 + 1.6 * s / 2147483648
            a = sprintf("%.6f", lon); b = sprintf("%.6f", lat); c = "m" (i + j)
            printf "$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(a), a, length(b), b, length(c), c
        }
    } }' >"$WORK/load.resp"

pair_start 0; pair_start 1
for i in 0 1; do
    redis-cli -h 127.0.0.1 -p "${PORTS[$i]}" --pipe <"$WORK/load.resp" >/dev/null
    echo "  ${LABELS[$i]}: $(redis-cli -h 127.0.0.1 -p "${PORTS[$i]}" zcard k) members," \
        "sample: $(redis-cli -h 127.0.0.1 -p "${PORTS[$i]}" geosearch k fromlonlat 13.36 38.11 \
        byradius 10 km count 3 asc withdist | tr '\n' ' ')" >&2
done

RAW=$WORK/raw.txt; : >"$RAW"
echo "geo bench: $REPS reps, -c $CLIENTS -n $N, $MEMBERS members, P=1 and 16" >&2
for rep in $(seq 1 "$REPS"); do
    if [ $((rep % 2)) = 1 ]; then order="0 1"; else order="1 0"; fi
    for t in "${TESTS[@]}"; do
        name=${t%%|*}; cmd=${t#*|}
        for P in 1 16; do
            for i in $order; do
                # csv: "test","rps","avg","min","p50","p95","p99","max"
                # shellcheck disable=SC2086
                $CPIN redis-benchmark -h 127.0.0.1 -p "${PORTS[$i]}" -c "$CLIENTS" -n "$N" \
                    -P "$P" --csv $cmd 2>/dev/null | tr -d '"' | grep -v -e '^test,' |
                    awk -F, -v l="${LABELS[$i]}" -v P="$P" -v rep="$rep" -v t="$name" \
                        'NF >= 7 {print rep, l, P, t, $2, $7}' | tee -a "$RAW" >&2
                pair_alive "$i"
            done
        done
    done
    echo "  rep $rep done" >&2
done

pair_rps_table "$RAW" ", $MEMBERS members"
