"""A full disk: writes are refused with -MISCONF while reads are served, writes resume once
space comes back, and nothing acknowledged is lost across a kill -9.

The data directory is a small tmpfs mounted for the test (root is required: without it the test
fails, it does not skip). The log's segments are 1 MB and preallocated, so the disk is filled
while the server runs and writes go on until the log needs space it cannot get.
"""

import errno
import os
import subprocess
import tempfile
import time

import pytest

from crashlib import CrashServer, RawConn
from resp import bulk

VALUE = b"v" * 8000
MISCONF = b"-MISCONF Errors writing to the write-ahead log: No space left on device\r\n"


@pytest.fixture
def small_disk():
    if os.geteuid() != 0:
        pytest.fail("test_disk_full needs root: it mounts an 8 MB tmpfs as the data directory",
                    pytrace=False)
    mnt = tempfile.mkdtemp(prefix="pdbfull-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mnt)
        pytest.fail("can't mount a tmpfs on %s: %s" % (mnt, r.stderr.strip()), pytrace=False)
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", mnt]).returncode != 0:
            subprocess.run(["umount", "-l", mnt])
        os.rmdir(mnt)


@pytest.fixture
def srv(small_disk):
    s = CrashServer(data=small_disk)
    yield s
    s.cleanup()  # before the tmpfs is unmounted (fixtures end in reverse order)


def fill(path):
    """Writes to path until the disk is full."""
    chunk = b"\1" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                break
        # Any last partial page too.
        for n in (4096, 512, 1):
            while True:
                try:
                    if f.write(chunk[:n]) == 0:
                        break
                except OSError:
                    break


def wait_for(cond, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_full_disk_refuses_writes_serves_reads_and_recovers(srv):
    srv.start("--wal-segment-size", "1mb")
    wal = os.path.join(srv.data, "wal")
    # The writer prepares the next segment ahead of need.
    assert wait_for(lambda: os.path.exists(os.path.join(wal, "next.tmp")), 5)
    acked = {}
    w = RawConn("127.0.0.1", srv.port, timeout=10)
    for i in range(20):
        assert w.cmd("SET", b"a%d" % i, VALUE) == b"+OK\r\n"
        acked[b"a%d" % i] = VALUE

    filler = os.path.join(srv.data, "filler")
    fill(filler)
    # Writes go on into the space the log already holds, then are refused.
    refused_at = None
    for i in range(1000):
        rep = w.cmd("SET", b"b%d" % i, VALUE)
        if rep == b"+OK\r\n":
            acked[b"b%d" % i] = VALUE
            continue
        assert rep == MISCONF, rep
        refused_at = i
        break
    assert refused_at is not None, "1000 writes of 8 KB went through on a full 8 MB disk"
    refused = [b"b%d" % refused_at]

    # Reads are served, on this connection and on a new one; every kind of write is refused.
    r = RawConn("127.0.0.1", srv.port, timeout=10)
    assert r.cmd("GET", b"a3") == bulk(VALUE)
    assert w.cmd("GET", b"b0") == bulk(VALUE)
    assert r.cmd("DBSIZE") == b":%d\r\n" % len(acked)
    assert r.cmd("PING") == b"+PONG\r\n"
    for cmd in (("RPUSH", "c-list", "x"), ("DEL", "a1"), ("INCR", "c-ctr"), ("SET", "c-str", "y")):
        assert r.cmd(*cmd) == MISCONF, cmd
    assert r.cmd("EXISTS", "c-list", "c-ctr", "c-str") == b":0\r\n"
    assert r.cmd("GET", "a1") == bulk(VALUE)
    refused += [b"c-list", b"c-ctr", b"c-str"]
    assert "No space left on device" in srv.log()

    # Space comes back: writes are accepted again within a few seconds.
    os.unlink(filler)
    t0 = time.monotonic()
    assert wait_for(lambda: r.cmd("SET", "probe", "1") == b"+OK\r\n", 5), srv.log()[-2000:]
    print("writes accepted again after %.2fs" % (time.monotonic() - t0))
    acked[b"probe"] = b"1"
    assert "accepting writes" in srv.log(), srv.log()
    # Enough to need more segments than the disk held before.
    for i in range(300):
        assert w.cmd("SET", b"d%d" % i, VALUE) == b"+OK\r\n", i
        acked[b"d%d" % i] = VALUE
    w.close()
    r.close()

    srv.kill9()
    srv.start("--wal-segment-size", "1mb")
    c = RawConn("127.0.0.1", srv.port, timeout=10)
    for k, v in acked.items():
        assert c.cmd("GET", k) == bulk(v), k
    for k in refused:
        assert c.cmd("EXISTS", k) == b":0\r\n", k
    assert c.cmd("DBSIZE") == b":%d\r\n" % len(acked)
    c.close()


def test_write_caught_by_the_failure_is_kept_and_answered_after_recovery(srv):
    """A write that ran before the log failed cannot be refused any more: its frame stays in
    memory and is written again once there is space. Until then no reply that could have
    observed it leaves (every reply sealed after it waits, reads included: see wal.h); they all
    leave, in order, once the disk recovers."""
    srv.start("--wal-segment-size", "1mb")
    wal = os.path.join(srv.data, "wal")
    assert wait_for(lambda: os.path.exists(os.path.join(wal, "next.tmp")), 5)
    filler = os.path.join(srv.data, "filler")
    fill(filler)
    big = b"z" * 1500000  # its frame needs a segment larger than the one prepared
    w = RawConn("127.0.0.1", srv.port, timeout=10)
    w.send("SET", "big", big)
    assert wait_for(lambda: "write or sync failed (No space left on device)" in srv.log(), 5), \
        srv.log()
    r = RawConn("127.0.0.1", srv.port, timeout=10)
    r.send("GET", "big")
    r.send("SET", "other", "1")  # refused: it runs while the log is failing
    time.sleep(0.3)
    os.unlink(filler)
    assert w.read_reply() == b"+OK\r\n"
    assert r.read_reply() == bulk(big)
    assert r.read_reply() == MISCONF
    assert wait_for(lambda: r.cmd("SET", "after", "1") == b"+OK\r\n", 5)
    w.close()
    r.close()
    srv.kill9()
    srv.start("--wal-segment-size", "1mb")
    c = RawConn("127.0.0.1", srv.port, timeout=10)
    assert c.cmd("GET", "big") == bulk(big)
    assert c.cmd("EXISTS", "other") == b":0\r\n"
    assert c.cmd("GET", "after") == bulk("1")
    c.close()
