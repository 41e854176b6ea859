#!/usr/bin/python3
"""check-doc-wording.py - finds COMMAND DOCS prose that repeats the reference server's.

PairDB reports the same facts as Redis in COMMAND DOCS (since, group, arguments, the big-O of
each command) but words its summaries and complexity notes itself. This script starts
build/pairdb-server and /usr/bin/redis-server on two loopback ports, reads COMMAND DOCS of both
(subcommands included) and lists every command whose summary or complexity note is identical
to the reference's or a near copy: the same sentence with a word or two changed. Bare formulas
such as "O(1)" or "O(log(N))" are facts and are counted apart, not flagged.

    scripts/check-doc-wording.py [--ports 38500,38501] [--pairdb build/pairdb-server]

A port that is taken is skipped for the next one up (two apart, so the pair never meets).

Exit status 1 when anything is flagged. Only the standard library is used; the RESP client is
tests/integration/resp.py.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from resp import RawConn  # noqa: E402

NEAR_RATIO = 0.70   # share of the longer text's words found in order in the other
NEAR_MIN_WORDS = 6  # shorter sentences are too generic to call a copy by overlap alone
# A complexity note made only of big-O terms, operators and single letters is a bare fact.
BARE_FORMULA = re.compile(r"^[O()\sA-Za-z0-9+*/^_.,\-]*$")


def is_bare_formula(text):
    words = re.findall(r"[A-Za-z]+", text)
    return bool(BARE_FORMULA.match(text)) and all(len(w) <= 3 for w in words)


def words(text):
    return re.findall(r"[a-z0-9()]+", text.lower())


def common_subsequence(a, b):
    """Length of the longest common subsequence of two word lists."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def sentences(text):
    return [s for s in re.split(r"(?<=[.;:])\s+", text) if s]


def near_sentence(a, b):
    a, b = words(a), words(b)
    if min(len(a), len(b)) < NEAR_MIN_WORDS:
        return False
    return common_subsequence(a, b) / max(len(a), len(b)) >= NEAR_RATIO


def near_copy(ours, theirs):
    """The whole text, or any sentence of it, repeats the reference or one of its sentences
    (a reference note cut down to its first sentence is still a copy)."""
    if near_sentence(ours, theirs):
        return True
    return any(near_sentence(a, b) or (a == b and len(words(a)) >= NEAR_MIN_WORDS)
               for a in sentences(ours) for b in sentences(theirs))


def docs(port):
    """{full name: (summary, complexity)} of every command and subcommand."""
    conn = RawConn("127.0.0.1", port)
    out = {}

    def walk(reply, prefix):
        for i in range(0, len(reply), 2):
            name = reply[i].decode().lower()
            fields = dict(zip(reply[i + 1][0::2], reply[i + 1][1::2]))
            full = prefix + name
            summary = fields.get(b"summary", b"").decode()
            complexity = fields.get(b"complexity", b"").decode()
            out[full] = (summary, complexity)
            sub = fields.get(b"subcommands")
            if sub:
                # Subcommand names already read "parent|sub".
                walk(sub, "")

    walk(conn.cmdp("COMMAND", "DOCS"), "")
    return out


def start(argv, port):
    workdir = tempfile.mkdtemp(prefix="docwording-")
    proc = subprocess.Popen(argv + ["--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    proc.workdir = workdir
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            RawConn("127.0.0.1", port, timeout=1).cmd("PING")
        except OSError:
            time.sleep(0.1)
            continue
        # Whoever answered must be our process, not another server that holds the port.
        time.sleep(0.2)
        if proc.poll() is None:
            return proc
    stop(proc)
    return None


def stop(proc):
    proc.kill()
    proc.wait()
    shutil.rmtree(proc.workdir, ignore_errors=True)


def start_on_free_port(argv, port, tries=5):
    """Start argv on port, or on the next ports up when one is taken; (proc, port)."""
    for candidate in range(port, port + 2 * tries, 2):
        proc = start(argv, candidate)
        if proc:
            return proc, candidate
    sys.exit("server %s did not start on ports %d-%d" % (argv[0], port, port + 2 * tries - 2))


def compare(ours, theirs):
    """Counts and flagged lines for one field (0: summary, 1: complexity)."""
    report = {}
    for field, label in ((0, "summary"), (1, "complexity")):
        same = near = bare = 0
        lines = []
        for name in sorted(set(ours) & set(theirs)):
            a, b = ours[name][field], theirs[name][field]
            if not a or not b:
                continue
            if a == b and field == 1 and is_bare_formula(a):
                bare += 1
            elif a == b:
                same += 1
                lines.append("%-28s %s identical: %s" % (name, label, a))
            elif near_copy(a, b):
                near += 1
                lines.append("%-28s %s near copy:\n    ours:  %s\n    redis: %s"
                             % (name, label, a, b))
        report[label] = (same, near, bare, lines)
    return report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", default="38500,38501")
    ap.add_argument("--pairdb", default=os.path.join(HERE, "..", "build", "pairdb-server"))
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    opts = ap.parse_args()
    p_port, r_port = (int(p) for p in opts.ports.split(","))
    procs = []
    try:
        proc, p_port = start_on_free_port([opts.pairdb, "--admin-port", "0"], p_port)
        procs.append(proc)
        proc, r_port = start_on_free_port([opts.redis], r_port)
        procs.append(proc)
        ours, theirs = docs(p_port), docs(r_port)
    finally:
        for proc in procs:
            stop(proc)
    report = compare(ours, theirs)
    flagged = 0
    for label, (same, near, bare, lines) in report.items():
        for line in lines:
            print(line)
        flagged += same + near
        print("%s: %d commands compared, %d identical, %d near copies, %d bare formulas"
              % (label, len(set(ours) & set(theirs)), same, near, bare))
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
