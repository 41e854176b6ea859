#!/usr/bin/env bash
# run.sh - runs every test suite against the binaries in BUILD and closes
# with one line "N passed, N failed" summing all suites.
#
#   tests/run.sh [BUILD]        BUILD defaults to build (build-san for sanitizers)
#   FUZZ_SECONDS=N              seconds per fuzz target (default 20; request parser 30)
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PY=/usr/bin/python3
passed=0
failed=0
notes=()

count() { # suite passed failed
    passed=$((passed + $2))
    failed=$((failed + $3))
    printf '== %s: %d passed, %d failed\n' "$1" "$2" "$3"
}

# --- unit tests -------------------------------------------------------------
echo "== unit tests ($BUILD/unit-tests)"
out=$("$BUILD/unit-tests" 2>&1)
rc=$?
echo "$out" | grep -v '^ok ' || true
line=$(echo "$out" | grep -E '^unit: [0-9]+ passed, [0-9]+ failed' | tail -1)
if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/unit: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    count unit "$p" "$f"
else
    count unit 0 1
fi

# --- client library: libpairdb against pairdb-server and redis-server --------
client_suite() { # suite-name build-dir
    local out rc line p f
    echo "== $1 ($2/client-tests)"
    out=$(ASAN_OPTIONS=detect_leaks=1 PAIRDB_SERVER="$PWD/$2/pairdb-server" "$2/client-tests" 2>&1)
    rc=$?
    echo "$out" | grep -v '^ok ' || true
    line=$(echo "$out" | grep -E '^client: [0-9]+ passed, [0-9]+ failed' | tail -1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/client: ([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')
        [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
        count "$1" "$p" "$f"
    else
        count "$1" 0 1
    fi
}
client_suite client "$BUILD"

# The connect/command/disconnect loop once more under valgrind: no leak, no
# invalid access in the library as shipped (not instrumented).
if [ "$BUILD" = build ]; then
    echo "== client (valgrind: connect/command/disconnect loop)"
    if out=$(PAIRDB_SERVER="$PWD/$BUILD/pairdb-server" valgrind -q --leak-check=full \
            --show-leak-kinds=definite,indirect,possible \
            --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
            "$BUILD/client-tests" leak_loop 2>&1) &&
        echo "$out" | grep -q '^client: 1 passed, 0 failed'; then
        count "client (valgrind)" 1 0
    else
        echo "$out" | tail -40
        count "client (valgrind)" 0 1
    fi
fi

# --- fuzz smoke runs ---------------------------------------------------------
# Each target runs for a bounded time on a scratch copy of its corpus, so
# the committed corpus only changes when someone chooses to add findings.
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
fp=0
ff=0
for bin in build-fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    corpus=tests/fuzz/corpus/${name#fuzz_}
    secs=$FUZZ_SECONDS
    [ "$name" = fuzz_request ] && secs=$((FUZZ_SECONDS > 30 ? FUZZ_SECONDS : 30))
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
    if "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 \
        -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
        fp=$((fp + 1))
        echo "fuzz $name: ok ($(grep -oE '#[0-9]+' "$work.log" | tail -1 | tr -d '#') runs in ${secs}s)"
    else
        ff=$((ff + 1))
        echo "fuzz $name: FAILED"
        tail -40 "$work.log"
        ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null
    fi
    rm -rf "$work" "$work.log"
done
count fuzz "$fp" "$ff"

# --- integration and differential tests (real servers, real clients) ---------
# Tests marked needs_types use commands that later issues build (streams,
# scripting, bitmaps...); they are deselected here and counted in the
# summary below so they cannot go unnoticed.
export PAIRDB_SERVER="$PWD/$BUILD/pairdb-server"
log=$(mktemp)
$PY -m pytest -q -m "not needs_types" tests/integration tests/diff 2>&1 | tee "$log" | tail -40
summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|[0-9]+ passed|no tests ran' "$log" | tail -1)
p=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
f=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
e=$(echo "$summary" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+' || echo 0)
d=$(echo "$summary" | grep -oE '[0-9]+ deselected' | grep -oE '[0-9]+' || echo 0)
s=$(echo "$summary" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)
x=$(echo "$summary" | grep -oE '[0-9]+ xfailed' | grep -oE '[0-9]+' || echo 0)
[ -z "$summary" ] && f=1
rm -f "$log"
count integration "${p:-0}" $(( ${f:-0} + ${e:-0} ))
[ "${d:-0}" -gt 0 ] && notes+=("$d tests deselected: they use commands not built yet (marked needs_types)")
[ "${s:-0}" -gt 0 ] && notes+=("$s integration tests skipped (see pytest output above)")
[ "${x:-0}" -gt 0 ] && notes+=("$x known differences from Redis expected to fail (xfail; see their reasons)")

# --- crash tests: kill -9 under load, damaged logs, a full disk --------------
# CRASH_ROUNDS=N runs more kill -9 rounds (see tests/crash/test_kill9.py). The
# disk-full test mounts a tmpfs, so it needs root; it fails (never skips)
# without it. Nothing in this suite may skip: a skip counts as a failure.
crash_suite() { # suite-name, then the environment for pytest
    local log summary p f e s
    log=$(mktemp)
    env "${@:2}" $PY -m pytest -q tests/crash 2>&1 | tee "$log" | tail -25
    summary=$(grep -E '[0-9]+ (passed|failed)|no tests ran' "$log" | tail -1)
    p=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
    f=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
    e=$(echo "$summary" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+' || echo 0)
    s=$(echo "$summary" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+' || echo 0)
    [ -z "$summary" ] && f=1
    rm -f "$log"
    count "$1" "${p:-0}" $(( ${f:-0} + ${e:-0} + ${s:-0} ))
}
crash_suite crash PAIRDB_SERVER="$PAIRDB_SERVER"

# --- the same server under ASan/UBSan (when SAN_BUILD names its build) -------
# A sanitizer report in a server log fails the test that owned the server.
# pairdb-check is taken from the same build directory as the server.
if [ -n "${SAN_BUILD:-}" ]; then
    echo "== sanitizers ($SAN_BUILD)"
    out=$(ASAN_OPTIONS=detect_leaks=1 "$SAN_BUILD/unit-tests" 2>&1)
    rc=$?
    line=$(echo "$out" | grep -E '^unit: [0-9]+ passed' | tail -1)
    p=$(echo "$line" | sed -E 's/unit: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')
    [ -z "$line" ] && { p=0; f=1; echo "$out" | tail -30; }
    [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
    count "unit (sanitizers)" "${p:-0}" "${f:-0}"
    # Every integration file runs under the sanitizers but those that measure
    # the process itself (memory sizes, start-up) or another program.
    SAN_SKIP="test_memory.py test_startup.py test_connection.py test_cli.py test_server_cmds.py
              test_exporter.py"
    san_files=()
    for f in tests/integration/test_*.py; do
        case " $(echo $SAN_SKIP) " in *" $(basename "$f") "*) ;; *) san_files+=("$f") ;; esac
    done
    log=$(mktemp)
    ASAN_OPTIONS=detect_leaks=1 PAIRDB_SERVER="$PWD/$SAN_BUILD/pairdb-server" \
        $PY -m pytest -q -m "not needs_types" "${san_files[@]}" 2>&1 | tee "$log" | tail -15
    summary=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -1)
    p=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
    f=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
    e=$(echo "$summary" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+' || echo 0)
    [ -z "$summary" ] && f=1
    rm -f "$log"
    count "integration (sanitizers)" "${p:-0}" $(( ${f:-0} + ${e:-0} ))
    client_suite "client (sanitizers)" "$SAN_BUILD"
    crash_suite "crash (sanitizers)" ASAN_OPTIONS=detect_leaks=1 CRASH_ROUNDS=6 \
        PAIRDB_SERVER="$PWD/$SAN_BUILD/pairdb-server"
fi

echo
for n in "${notes[@]}"; do echo "note: $n"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
