"""The write-ahead log switched at run time (CONFIG SET appendonly), and what INFO says of it."""
import os
import socket
import subprocess
import time

import pytest
import redis

from conftest import IS_REDIS

pytestmark = pytest.mark.skipif(IS_REDIS, reason="PairDB's log: wal/ segments and snapshots")


def client(s):
    return redis.Redis(host=s.host, port=s.port, decode_responses=True)


def test_log_switched_on_at_run_time_keeps_earlier_writes(start_server):
    s = start_server("--appendonly", "no")
    r = client(s)
    r.set("before", "1")
    r.rpush("list", "a", "b")
    assert r.config_set("appendonly", "yes")
    # The writes made without a log are in the snapshot the log starts from.
    assert any(n.endswith(".pdb") for n in os.listdir(os.path.join(s.dir, "snap")))
    assert any(n.endswith(".log") for n in os.listdir(os.path.join(s.dir, "wal")))
    r.set("after", "2")
    r.rpush("list", "c")
    info = r.info("persistence")
    assert info["aof_enabled"] == 1
    s.extra += ["--appendonly", "yes"]
    s.crash_restart()
    r = client(s)
    assert r.get("before") == "1"
    assert r.get("after") == "2"
    assert r.lrange("list", 0, -1) == ["a", "b", "c"]


def test_log_switched_off_at_run_time_stops_logging(start_server):
    s = start_server("--appendonly", "yes")
    r = client(s)
    r.set("logged", "1")
    assert r.config_set("appendonly", "no")
    assert r.info("persistence")["aof_enabled"] == 0
    r.set("unlogged", "2")
    s.crash_restart()  # same arguments: the log is replayed at start
    r = client(s)
    assert r.get("logged") == "1"
    assert r.get("unlogged") is None


def test_fsync_policy_changes_at_run_time(start_server):
    s = start_server("--appendonly", "yes", "--appendfsync", "always")
    r = client(s)
    assert r.config_set("appendfsync", "everysec")
    for i in range(50):
        r.set("k%d" % i, i)
    assert r.config_get("appendfsync") == {"appendfsync": "everysec"}
    s.crash_restart()  # a process crash loses nothing answered under everysec either
    r = client(s)
    assert [r.get("k%d" % i) for i in range(50)] == [str(i) for i in range(50)]


def fill_pipelined(s, n, batch=5000):
    sock = socket.create_connection((s.host, s.port))
    for start in range(0, n, batch):
        sock.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nk:%d\r\n$1\r\nv\r\n" % (len(b"k:%d" % i), i)
                              for i in range(start, min(n, start + batch))))
        want, got = (min(n, start + batch) - start) * 5, 0
        while got < want:
            got += len(sock.recv(1 << 20))
    sock.close()


def test_clients_get_loading_while_the_log_replays(start_server):
    s = start_server("--appendonly", "yes", "--appendfsync", "no")
    fill_pipelined(s, 300000)
    s.crash()
    # Connect while the server replays its log: the listeners open first.
    log = open(os.path.join(s.dir, "server.log"), "ab")
    s.proc = subprocess.Popen(s.args, cwd=s.dir, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    sock = None
    deadline = time.time() + 10
    while sock is None and time.time() < deadline:
        try:
            sock = socket.create_connection((s.host, s.port))
        except OSError:
            time.sleep(0.001)
    assert sock is not None
    replies = []
    f = sock.makefile("rb")
    while time.time() < deadline:
        sock.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nk:7\r\n")
        line = f.readline()
        if line.startswith(b"$"):
            line += f.readline()
        replies.append(line)
        if not line.startswith(b"-LOADING"):
            break
    sock.close()
    assert replies[0] == b"-LOADING PairDB is loading the dataset in memory\r\n"
    assert replies[-1] == b"$1\r\nv\r\n"
    r = client(s)
    assert r.dbsize() == 300000
    assert r.info("persistence")["loading"] == 0


def test_segments_a_snapshot_covers_are_reused(start_server):
    s = start_server("--appendonly", "yes", "--wal-segment-size", "1mb")
    r = client(s)
    wal = os.path.join(s.dir, "wal")
    value = "v" * 8000
    for i in range(300):  # about 2.4 MB of frames: three 1 MB segments
        r.set("a%d" % i, value)
    r.bgsave()
    deadline = time.time() + 10
    while r.info("persistence")["rdb_bgsave_in_progress"] and time.time() < deadline:
        time.sleep(0.02)
    # The covered segments went, one of them kept for reuse.
    assert os.path.exists(os.path.join(wal, "spare.tmp"))
    for i in range(300):  # rotations: the spare becomes a segment again
        r.set("b%d" % i, value)
    assert not os.path.exists(os.path.join(wal, "spare.tmp"))
    s.crash_restart()
    r = client(s)
    assert r.dbsize() == 600
    assert all(r.get("a%d" % i) == value and r.get("b%d" % i) == value for i in range(300))
    # The reused segment's old frames sit behind the new ones: the checker reads past
    # none of them and finds the log clean.
    checker = os.path.join(os.path.dirname(s.bin), "pairdb-check")
    out = subprocess.run([checker, "--dir", s.dir], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "status: valid" in out.stdout
