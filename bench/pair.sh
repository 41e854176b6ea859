# pair.sh - what the side-by-side bench scripts share (sourced, not run): two servers,
# pairdb-server and Debian's redis-server, started at once without persistence in throw-away
# directories, each pinned to cpu 0 with the client on cpu 1 when the machine has two cpus,
# always stopped on exit; and the table of medians the scripts print.
#
#   . "$(dirname "$0")/pair.sh"; pair_init NAME DEFAULT_PORT
#   pair_start 0; pair_start 1          servers on PORT and PORT+1 (PORTS[i], PIDS[i])
#   pair_cli i ARGS...                  redis-cli against server i
#   pair_alive i                        exits with a message when server i died
#   pair_rps_table RAWFILE              lines "rep label P test rps p99" -> markdown table
#
# env: PAIRDB_SERVER (build/pairdb-server) REDIS_SERVER (/usr/bin/redis-server) PORT
# Invariant: within a rep a test runs against one server right after the other and the
# callers flip the order every rep, so slow drifts of a shared machine hit both sides alike.

pair_init() { # name default_port
    set -u
    PAIR_NAME=$1
    ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    PAIRDB_SERVER=${PAIRDB_SERVER:-$ROOT/build/pairdb-server}
    REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
    PORT=${PORT:-$2}
    LABELS=(pairdb redis); BINS=("$PAIRDB_SERVER" "$REDIS_SERVER"); PIDS=(); PORTS=()
    local b
    for b in "${BINS[@]}"; do
        [ -x "$b" ] || { echo "$PAIR_NAME: no server binary at $b" >&2; exit 2; }
    done
    command -v redis-benchmark >/dev/null || { echo "$PAIR_NAME: redis-benchmark not found" >&2; exit 2; }
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/pairdb-$PAIR_NAME.XXXXXX")
    SPIN=""; CPIN=""
    if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
        SPIN="taskset -c 0"; CPIN="taskset -c 1"
    fi
    trap pair_cleanup EXIT; trap 'exit 130' INT TERM
}

pair_cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
    done
    rm -rf "$WORK"
}

pair_start() { # index
    local i=$1 port=$((PORT + $1)) dir=$WORK/${LABELS[$1]} extra=()
    mkdir -p "$dir"
    # never benchmark a server someone else left on our port
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
        echo "$PAIR_NAME: port $port is already in use; set PORT=..." >&2; exit 1
    fi
    [ "${LABELS[$i]}" = pairdb ] && extra=(--admin-port 0)
    ( cd "$dir" && exec $SPIN "${BINS[$i]}" --port "$port" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$dir" "${extra[@]}" ) >"$dir/server.log" 2>&1 &
    PIDS[i]=$!; PORTS[i]=$port
    for _ in $(seq 1 100); do
        redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && return 0
        kill -0 "${PIDS[$i]}" 2>/dev/null || break; sleep 0.1
    done
    echo "$PAIR_NAME: ${LABELS[$i]} (${BINS[$i]}) failed to start on port $port:" >&2
    tail -5 "$dir/server.log" >&2; exit 1
}

pair_cli() { redis-cli -h 127.0.0.1 -p "${PORTS[$1]}" "${@:2}"; }

pair_alive() { # index
    kill -0 "${PIDS[$1]}" 2>/dev/null || { echo "$PAIR_NAME: ${LABELS[$1]} died" >&2; exit 1; }
}

# The awk median of a space-separated list (insertion sort: lists are a few reps long).
PAIR_MEDIAN_AWK='function med(s,   a, n, i, j, t) { n = split(s, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
        a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }'

pair_rps_table() { # rawfile [extra header text]
    awk -v pd="$PAIRDB_SERVER" -v rd="$REDIS_SERVER" -v extra="${2:-}" "$PAIR_MEDIAN_AWK"'
{ k = $3 SUBSEP $4; if (!(k in seen)) { seen[k] = 1; ord[++nk] = k }
  rps[$2 SUBSEP k] = rps[$2 SUBSEP k] " " $5; p99[$2 SUBSEP k] = p99[$2 SUBSEP k] " " $6 }
END {
    printf "pairdb: `%s`, redis: `%s`%s\n\n", pd, rd, extra
    print "| P | test | pairdb rps | redis rps | rps ratio | pairdb p99 ms | redis p99 ms | p99 ratio |"
    print "|---|------|-----------:|----------:|----------:|--------------:|-------------:|----------:|"
    for (q = 1; q <= nk; q++) { k = ord[q]; split(k, kp, SUBSEP)
        a = med(rps["pairdb" SUBSEP k]); b = med(rps["redis" SUBSEP k])
        c = med(p99["pairdb" SUBSEP k]); d = med(p99["redis" SUBSEP k])
        printf "| %s | %s | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f |\n", kp[1], kp[2], a, b,
            (b > 0 ? a / b : 0), c, d, (d > 0 ? c / d : 0) }
    print ""
    print "Medians over reps; rps ratio > 1 and p99 ratio < 1 favour pairdb."
}' "$1"
}
