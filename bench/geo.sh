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
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PAIRDB_SERVER=${PAIRDB_SERVER:-$ROOT/build/pairdb-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REPS=${REPS:-3}; N=${N:-20000}; CLIENTS=${CLIENTS:-50}; PORT=${PORT:-21300}
MEMBERS=${MEMBERS:-100000}
LABELS=(pairdb redis); BINS=("$PAIRDB_SERVER" "$REDIS_SERVER"); PIDS=(); PORTS=()
TESTS=(
    "geosearch_radius|GEOSEARCH k FROMLONLAT 13.36 38.11 BYRADIUS 10 km ASC COUNT 10"
    "geosearch_box|GEOSEARCH k FROMLONLAT 14.5 37.5 BYBOX 20 20 km ASC COUNT 10 WITHDIST"
    "georadius_any|GEORADIUS k 15 37.3 50 km COUNT 10 ANY"
)
for b in "${BINS[@]}"; do [ -x "$b" ] || { echo "geo.sh: no server binary at $b" >&2; exit 2; }; done
command -v redis-benchmark >/dev/null || { echo "geo.sh: redis-benchmark not found" >&2; exit 2; }
mkdir -p "${TMPDIR:-/tmp}/pairdb-perf"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pairdb-perf/geo.XXXXXX")
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
        echo "geo.sh: port $port is already in use; set PORT=..." >&2; exit 1
    fi
    ( cd "$dir" && exec $SPIN "${BINS[$i]}" --port "$port" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$dir" ) >"$dir/server.log" 2>&1 &
    PIDS[i]=$!; PORTS[i]=$port
    for _ in $(seq 1 100); do
        redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && return 0
        kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.1
    done
    echo "geo.sh: ${LABELS[$i]} failed to start on port $port" >&2; tail -5 "$dir/server.log" >&2
    exit 1
}

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

start 0; start 1
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
                kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "geo.sh: ${LABELS[$i]} died" >&2; exit 1; }
            done
        done
    done
    echo "  rep $rep done" >&2
done

awk -v pd="$PAIRDB_SERVER" -v rd="$REDIS_SERVER" -v members="$MEMBERS" '
function med(s,   a, n, i, j, t) { n = split(s, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
        a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
{ k = $3 SUBSEP $4; if (!(k in seen)) { seen[k] = 1; ord[++nk] = k }
  rps[$2 SUBSEP k] = rps[$2 SUBSEP k] " " $5; p99[$2 SUBSEP k] = p99[$2 SUBSEP k] " " $6 }
END {
    printf "pairdb: `%s`, redis: `%s`, %d members\n\n", pd, rd, members
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
