#!/usr/bin/env bash
# tls.sh - SET/GET throughput over TLS, and the plain port before/after a change.
#
#   bench/tls.sh tls     pairdb-server versus redis-server, both with a TLS port, driven by
#                        redis-benchmark --tls (-t set,get at -P 1 and -P 16)
#   bench/tls.sh plain   two pairdb-server binaries on their plain port (BASE_SERVER versus
#                        PAIRDB_SERVER): shows what the TLS hooks cost connections without TLS
#
# The method is bench-matrix.sh's (../shared/tools), which has no TLS options: both servers run
# at once, each pinned to cpu 0 and the client to cpu 1; every test runs against one server
# right after the other, the order flipped every rep; medians over reps and ratios (second
# label over first) are printed as a markdown table. Certificates (a CA and a server
# certificate for 127.0.0.1) are made with the openssl CLI in a temp dir; clients are not
# asked for certificates (tls-auth-clients no).
#
# env: PAIRDB_SERVER (default build/pairdb-server) REDIS_SERVER (default /usr/bin/redis-server)
#      BASE_SERVER (plain mode: the binary to compare with; required there)
#      REPS=3 N=200000 CLIENTS=50 PORT=21400 (server i: plain PORT+i, TLS PORT+10+i)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=${1:-tls}
PAIRDB_SERVER=${PAIRDB_SERVER:-$ROOT/build/pairdb-server}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REPS=${REPS:-3}; N=${N:-200000}; CLIENTS=${CLIENTS:-50}; PORT=${PORT:-21400}
case $MODE in
tls) LABELS=(redis pairdb); BINS=("$REDIS_SERVER" "$PAIRDB_SERVER") ;;
plain)
    [ -n "${BASE_SERVER:-}" ] || { echo "tls.sh: plain mode needs BASE_SERVER" >&2; exit 2; }
    LABELS=(before after); BINS=("$BASE_SERVER" "$PAIRDB_SERVER") ;;
*) echo "usage: $0 tls|plain" >&2; exit 2 ;;
esac
for b in "${BINS[@]}"; do [ -x "$b" ] || { echo "tls.sh: no server binary at $b" >&2; exit 2; }; done
for t in redis-benchmark redis-cli openssl; do
    command -v $t >/dev/null || { echo "tls.sh: $t not found" >&2; exit 2; }
done
mkdir -p "${TMPDIR:-/tmp}/pairdb-perf"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pairdb-perf/tls.XXXXXX")
PIDS=(); SPIN=""; CPIN=""
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

make_certs() {
    ( cd "$WORK" &&
      openssl req -x509 -new -nodes -newkey rsa:2048 -days 1 -keyout ca.key -out ca.crt \
          -subj /CN=bench-ca &&
      openssl req -new -nodes -newkey rsa:2048 -keyout server.key -out server.csr \
          -subj /CN=localhost &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext &&
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
          -out server.crt -extfile san.ext ) >/dev/null 2>&1 ||
        { echo "tls.sh: making certificates failed" >&2; exit 1; }
}

start() { # index
    local i=$1 port=$((PORT + $1)) tport=$((PORT + 10 + $1)) dir=$WORK/${LABELS[$1]} extra=()
    mkdir -p "$dir"
    for p in $port $tport; do
        if redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1; then
            echo "tls.sh: port $p is already in use; set PORT=..." >&2; exit 1
        fi
    done
    if [ "$MODE" = tls ]; then
        extra=(--tls-port "$tport" --tls-cert-file "$WORK/server.crt"
               --tls-key-file "$WORK/server.key" --tls-ca-cert-file "$WORK/ca.crt"
               --tls-auth-clients no)
    fi
    case ${BINS[$i]} in *redis-server) ;; *) extra+=(--admin-port 0) ;; esac
    ( cd "$dir" && exec $SPIN "${BINS[$i]}" --port "$port" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$dir" "${extra[@]}" ) >"$dir/server.log" 2>&1 &
    PIDS[i]=$!
    for _ in $(seq 1 100); do
        redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && return 0
        kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.1
    done
    echo "tls.sh: ${LABELS[$i]} failed to start" >&2; tail -5 "$dir/server.log" >&2
    exit 1
}

[ "$MODE" = tls ] && make_certs
start 0; start 1

RAW=$WORK/raw.txt; : >"$RAW"
echo "tls.sh $MODE: $REPS reps, -c $CLIENTS -n $N, -t set,get at P=1 and 16" >&2
for rep in $(seq 1 "$REPS"); do
    if [ $((rep % 2)) = 1 ]; then order="0 1"; else order="1 0"; fi
    for P in 1 16; do
        for i in $order; do
            if [ "$MODE" = tls ]; then
                conn=(-p $((PORT + 10 + i)) --tls --cacert "$WORK/ca.crt")
            else
                conn=(-p $((PORT + i)))
            fi
            # csv: "test","rps","avg","min","p50","p95","p99","max"
            $CPIN redis-benchmark -h 127.0.0.1 "${conn[@]}" -c "$CLIENTS" -n "$N" -P "$P" \
                -r 100000 -t set,get --csv 2>/dev/null | tr -d '"' | grep -v -e '^test,' |
                awk -F, -v l="${LABELS[$i]}" -v P="$P" -v rep="$rep" \
                    'NF >= 7 {print rep, l, P, $1, $2, $7}' | tee -a "$RAW" >&2
            kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "tls.sh: ${LABELS[$i]} died" >&2; exit 1; }
        done
    done
    echo "  rep $rep done" >&2
done

awk -v a="${LABELS[0]}" -v b="${LABELS[1]}" -v abin="${BINS[0]}" -v bbin="${BINS[1]}" \
    -v mode="$MODE" '
function med(s,   v, n, i, j, t) { n = split(s, v, " ")
    for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--)
        v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
{ k = $3 SUBSEP $4; if (!(k in seen)) { seen[k] = 1; ord[++nk] = k }
  rps[$2 SUBSEP k] = rps[$2 SUBSEP k] " " $5; p99[$2 SUBSEP k] = p99[$2 SUBSEP k] " " $6 }
END {
    printf "%s port; %s: `%s`, %s: `%s`\n\n", mode, a, abin, b, bbin
    printf "| P | test | %s rps | %s rps | rps ratio | %s p99 ms | %s p99 ms |\n", a, b, a, b
    print "|---|------|------:|------:|------:|------:|------:|"
    for (q = 1; q <= nk; q++) { k = ord[q]; split(k, kp, SUBSEP)
        x = med(rps[a SUBSEP k]); y = med(rps[b SUBSEP k])
        printf "| %s | %s | %.0f | %.0f | %.3f | %.3f | %.3f |\n", kp[1], kp[2], x, y,
            (x > 0 ? y / x : 0), med(p99[a SUBSEP k]), med(p99[b SUBSEP k]) }
    print ""
    printf "Medians over reps; rps ratio = %s / %s.\n", b, a
}' "$RAW"
