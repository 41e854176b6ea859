"""kill -9 under load never loses an acknowledged write.

Writer threads (some pipelined, some one command at a time) load every data type; the server is
SIGKILLed at a random moment, restarted on the same directory, and each writer's keys must hold
everything it had acknowledged plus at most a prefix of what was still in flight (see
workload.py). A series keeps one directory across all its rounds, so every restart also replays
the earlier rounds' log (and the tails cut before), and ends with a clean shutdown and a last
check of everything.

CRASH_ROUNDS=N sets the number of `appendfsync always` rounds (default 20); everysec gets a
quarter of that (at least 5). Each series prints its random seed; CRASH_SEED=S replays the same
choices (kill moments and commands; what the server managed to do before the kill still varies).
"""

import os
import random
import re
import threading
import time

import pytest

from crashlib import CrashServer, wal_segments
from workload import Writer, check_writer, read_states

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "20"))
WRITERS_PIPELINED = 3
WRITERS_SINGLE = 3


def crash_round(srv, tag, rng, max_pad):
    """Loads the server, kills it, returns the writers (their bookkeeping)."""
    n = WRITERS_PIPELINED + WRITERS_SINGLE
    barrier = threading.Barrier(n + 1)
    writers = [Writer(srv, "%s.w%d" % (tag, i), i < WRITERS_PIPELINED, rng.random(), barrier,
                      max_pad) for i in range(n)]
    for w in writers:
        w.start()
    barrier.wait(10)
    time.sleep(rng.uniform(0.05, 0.4))
    # On a loaded machine the first replies can take longer than the random
    # delay: a round that kills before any acknowledgement proves nothing.
    deadline = time.time() + 10
    while sum(w.acked for w in writers) == 0 and time.time() < deadline:
        time.sleep(0.01)
    srv.kill9()
    for w in writers:
        w.join(20)
        assert not w.is_alive(), "%s still running after the kill" % w.prefix
    errors = [e for w in writers for e in w.errors]
    assert not errors, "wrong replies before the crash:\n" + "\n".join(errors[:20])
    assert sum(w.acked for w in writers) > 0, "nothing was acknowledged before the kill"
    return writers


def run_series(policy, extra, rounds, seed):
    rng = random.Random(seed)
    # With small segments, larger values make every round likely to fill one.
    max_pad = 20000 if extra else 2000
    args = ("--appendfsync", policy) + tuple(extra)
    srv = CrashServer()
    recovered = {}  # every key written so far -> its state after the restart that followed
    stats = {"acked": 0, "inflight_applied": 0, "torn_tails": 0}
    try:
        srv.start(*args)
        for n in range(rounds):
            writers = crash_round(srv, "%s%d" % (policy[0], n), rng, max_pad)
            srv.start(*args)
            log = srv.start_log()
            assert "DB loaded from disk" in log, log
            if "torn write" in log:
                stats["torn_tails"] += 1
            conn = srv.client()
            for w in writers:
                actual = read_states(conn, w.all_keys, w.kind_of)
                try:
                    stats["inflight_applied"] += check_writer(w, actual)
                except AssertionError as e:
                    raise AssertionError("round %d (seed %r): %s\nserver log:\n%s"
                                         % (n, seed, e, log[-3000:])) from None
                stats["acked"] += w.acked
                recovered.update(actual)
            live = sum(1 for v in recovered.values() if v is not None)
            assert conn.dbsize() == live, "round %d: earlier rounds' keys changed" % n
            conn.close()
        # A clean shutdown and one more start: every round's keys are as first recovered.
        assert srv.stop() == 0
        srv.start(*args)
        assert "torn write" not in srv.start_log(), srv.start_log()
        conn = srv.client()
        keys = sorted(recovered)
        kind_of = {k: k.split(b":")[1].decode() for k in keys}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            actual = read_states(conn, chunk, kind_of)
            for k in chunk:
                assert actual[k] == recovered[k], "%r changed after later restarts" % k
        conn.close()
        # Each start opens a segment at the LSN after the last one replayed; any other
        # segment was opened by rotation under load.
        start_lsns = {1} | {int(n) + 1 for n in re.findall(r"now at LSN (\d+)", srv.log())}
        segs = wal_segments(srv.data)
        stats["segments"] = len(segs)
        stats["rotated"] = sum(1 for s in segs if int(s[:20]) not in start_lsns)
        return stats
    finally:
        srv.cleanup()


@pytest.mark.parametrize("policy,extra,rounds", [
    ("always", ["--wal-segment-size", "1mb"], (ROUNDS + 1) // 2),
    ("always", [], ROUNDS // 2),
    ("everysec", ["--wal-segment-size", "1mb"], max(5, ROUNDS // 4)),
], ids=["always-1mb-segments", "always", "everysec-1mb-segments"])
def test_kill9_loses_nothing_acknowledged(policy, extra, rounds):
    seed = int(os.environ.get("CRASH_SEED", "0")) or random.randrange(1 << 30)
    stats = run_series(policy, extra, rounds, seed)
    print("%s: %d rounds, %d acknowledged writes, %d in-flight applied, %d torn tails, "
          "%d segments (%d by rotation) (seed %d)"
          % (policy, rounds, stats["acked"], stats["inflight_applied"], stats["torn_tails"],
             stats["segments"], stats["rotated"], seed))
    if extra and rounds >= 5:
        assert stats["rotated"] > 0, "no segment rotation happened under load: %r" % stats
