"""pairdb-check: verifying and describing a data directory written by a real server.

The server writes its log (--appendonly yes) and, where a test says SAVE, a snapshot; the test
stops it and runs the tool on the directory. Expected sizes and offsets are computed here from
the on-disk format (src/persist/wal.h), not read from the tool, so a wrong description fails.
PairDB's own tool: these tests do not run against Redis.
"""

import os
import re
import subprocess
import time

import pytest

from conftest import IS_REDIS, SERVER_BIN
from resp import RawConn
from walfile import crc32c

pytestmark = pytest.mark.skipif(IS_REDIS, reason="PairDB's own tool")

CHECK_BIN = os.environ.get("PAIRDB_CHECK",
                           os.path.join(os.path.dirname(SERVER_BIN), "pairdb-check"))
SEGMENT = 1024 * 1024
HEADER = 32          # segment header
FRAME_HEADER = 20    # magic, length, LSN, checksum
SEG1 = "00000000000000000001.log"


def check(*args, cwd=None):
    if not os.access(CHECK_BIN, os.X_OK):
        pytest.fail("pairdb-check not found: %s (build it or set PAIRDB_CHECK)" % CHECK_BIN,
                    pytrace=False)
    p = subprocess.run([CHECK_BIN, *args], capture_output=True, text=True, timeout=30, cwd=cwd)
    assert "runtime error:" not in p.stderr and "Sanitizer" not in p.stderr, p.stderr
    return p.returncode, p.stdout, p.stderr


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


# The commands the fixture sends, one frame each (a client waits for each reply), and the
# payload the log holds for each: a SELECT of the command's database, then the command.
COMMANDS = [
    (0, [b"SET", b"k", b"v"]),
    (0, [b"SET", b"a b", b'x\x01\n"\xff']),
    (2, [b"RPUSH", b"l", b"a", b"b", b"c"]),
    (0, [b"HSET", b"h", b"f", b"1"]),
    (0, [b"DEL", b"k"]),
]


def payload(db, argv):
    return resp(b"SELECT", db) + resp(*argv)


def frame_sizes():
    return [FRAME_HEADER + len(payload(db, argv)) for db, argv in COMMANDS]


def frame_offset(n):
    """Offset of frame LSN n (1-based) in the first segment."""
    return HEADER + sum(frame_sizes()[:n - 1])


def write_commands(s):
    c = RawConn(s.host, s.port, timeout=10)
    try:
        current = 0
        for db, argv in COMMANDS:
            if db != current:
                assert c.cmd("SELECT", db) == b"+OK\r\n"
                current = db
            rep = c.cmd(*argv)
            assert not rep.startswith(b"-"), rep
    finally:
        c.close()


@pytest.fixture
def logged(start_server):
    """A stopped server's data directory holding the five frames of COMMANDS."""
    s = start_server("--appendonly", "yes", "--wal-segment-size", "1mb")
    write_commands(s)
    assert s.stop() == 0
    return s.dir


def seg_path(d, name=SEG1):
    return os.path.join(d, "wal", name)


def test_check_describes_valid_log(logged):
    rc, out, err = check("--dir", logged)
    used = HEADER + sum(frame_sizes())
    assert (rc, err) == (0, "")
    assert out.splitlines() == [
        "snapshots %s/snap: none" % logged,
        "log %s/wal: 1 segment, %d bytes" % (logged, SEGMENT),
        "segment %s: first LSN 1, 5 frames, last LSN 5, %d of %d bytes used"
        % (seg_path(logged), used, SEGMENT),
        "log: 5 frames, LSN 1 to 5",
        "no snapshot: the log holds every frame from LSN 1 on",
        "status: valid",
    ]


def test_check_wal_only_leaves_snapshots_out(logged):
    rc, out, _ = check("--dir", logged, "--wal-only")
    assert rc == 0
    assert out.splitlines()[0] == "log %s/wal: 1 segment, %d bytes" % (logged, SEGMENT)
    assert "snapshot" not in out
    assert out.splitlines()[-1] == "status: valid"


def test_check_snapshot_only_leaves_log_out(logged):
    rc, out, _ = check("--dir", logged, "--snapshot-only")
    assert rc == 0
    assert out.splitlines() == ["snapshots %s/snap: none" % logged, "status: valid"]


def test_check_dump_prints_commands_quoted(logged):
    rc, out, _ = check("--dir", logged, "--dump", "--wal-only")
    assert rc == 0
    lines = out.splitlines()
    start = lines.index("LSN 1")
    assert lines[start:start + 15] == [
        "LSN 1", '"SELECT" "0"', '"SET" "k" "v"',
        "LSN 2", '"SELECT" "0"', '"SET" "a b" "x\\x01\\n\\"\\xff"',
        "LSN 3", '"SELECT" "2"', '"RPUSH" "l" "a" "b" "c"',
        "LSN 4", '"SELECT" "0"', '"HSET" "h" "f" "1"',
        "LSN 5", '"SELECT" "0"', '"DEL" "k"',
    ]
    assert lines[start + 15].startswith("log ")


def test_check_dump_default_dir_is_cwd(logged):
    rc, out, _ = check("--dump", "--wal-only", cwd=logged)
    assert rc == 0
    assert '"RPUSH" "l" "a" "b" "c"' in out.splitlines()
    assert "segment ./wal/%s: first LSN 1, 5 frames" % SEG1 in out


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0xFF]))


def test_check_flipped_byte_is_damage_with_file_and_offset(logged):
    off2 = frame_offset(2)
    flip(seg_path(logged), off2 + FRAME_HEADER + 3)  # inside frame 2's payload
    rc, out, _ = check("--dir", logged)
    assert rc == 1
    lines = out.splitlines()
    assert "segment %s: first LSN 1, 1 frame, last LSN 1, %d of %d bytes used" % (
        seg_path(logged), off2, SEGMENT) in lines
    assert "damaged: %s: corrupt frame at offset %d (expected LSN 2)" % (
        seg_path(logged), off2) in lines
    assert lines[-1] == "status: damaged"


def test_check_truncated_tail_is_a_warning(logged):
    off5 = frame_offset(5)
    with open(seg_path(logged), "r+b") as f:
        f.truncate(off5 + FRAME_HEADER + 3)  # frame 5 cut inside its payload ("*2\r")
    rc, out, _ = check("--dir", logged)
    assert rc == 0
    lines = out.splitlines()
    assert "segment %s: first LSN 1, 4 frames, last LSN 4, %d of %d bytes used" % (
        seg_path(logged), off5, off5 + FRAME_HEADER + 3) in lines
    assert ("warning: torn tail: %s: torn write at offset %d: %d bytes after the last complete "
            "frame (LSN 4) dropped (recovery cuts it off)" % (seg_path(logged), off5,
                                                              FRAME_HEADER + 3)) in lines
    assert lines[-1] == "status: valid, with a torn tail that recovery cuts off"
    # The tool only reads: the file keeps its torn bytes.
    assert os.path.getsize(seg_path(logged)) == off5 + FRAME_HEADER + 3


def test_check_segment_file_named_on_command_line(logged):
    rel = os.path.join("wal", SEG1)
    rc, out, _ = check(rel, cwd=logged)
    assert rc == 0
    used = HEADER + sum(frame_sizes())
    assert out.splitlines() == [
        "segment %s: first LSN 1, 5 frames, last LSN 5, %d of %d bytes used"
        % (rel, used, SEGMENT),
        "log: 5 frames, LSN 1 to 5",
        "status: valid",
    ]
    flip(seg_path(logged), frame_offset(3) + 4)  # frame 3's length field
    rc, out, _ = check(rel, cwd=logged)
    assert rc == 1
    assert "damaged: %s: corrupt frame at offset %d (expected LSN 3)" % (
        rel, frame_offset(3)) in out.splitlines()


def rewrite_frame(path, lsn, old, new):
    """Replaces bytes inside frame `lsn`'s payload and fixes its checksum, so only the
    commands it holds are wrong."""
    off = frame_offset(lsn)
    with open(path, "r+b") as f:
        f.seek(off)
        head = f.read(FRAME_HEADER)
        length = int.from_bytes(head[4:8], "little")
        body = f.read(length)
        assert old in body
        body = body.replace(old, new)
        assert len(body) == length
        crc = crc32c(body, crc32c(head[4:16]))
        f.seek(off + 16)
        f.write(crc.to_bytes(4, "little") + body)


def test_check_unknown_command_in_a_sound_frame(logged):
    rewrite_frame(seg_path(logged), 3, b"RPUSH", b"XPUSH")
    rc, out, _ = check("--dir", logged)
    assert rc == 1
    assert "damaged: %s: frame LSN 3 at offset %d holds an unknown command 'XPUSH'" % (
        seg_path(logged), frame_offset(3)) in out.splitlines()


def test_check_malformed_command_in_a_sound_frame(logged):
    # One argument more announced than the frame holds: the command never ends.
    rewrite_frame(seg_path(logged), 4, b"*4\r\n$4\r\nHSET", b"*5\r\n$4\r\nHSET")
    rc, out, _ = check("--dir", logged)
    assert rc == 1
    sel = len(resp(b"SELECT", 0))
    assert ("damaged: %s: frame LSN 4 at offset %d has a malformed command at byte %d of its "
            "payload (incomplete)" % (seg_path(logged), frame_offset(4), sel)) in out.splitlines()


def build_segment(first_lsn, frames):
    """A segment image in the format of wal.h: header, then (lsn, payload) frames."""
    h = b"PDBWAL\x00\x01" + (1).to_bytes(4, "little") + bytes(4) + first_lsn.to_bytes(8, "little")
    h += SEGMENT.to_bytes(4, "little")
    h += crc32c(h).to_bytes(4, "little")
    out = h
    for lsn, body in frames:
        meta = len(body).to_bytes(4, "little") + lsn.to_bytes(8, "little")
        out += (0x4C574450).to_bytes(4, "little") + meta
        out += crc32c(body, crc32c(meta)).to_bytes(4, "little") + body
    return out


def test_check_log_must_start_at_lsn_1_without_snapshot(tmp_path):
    os.mkdir(tmp_path / "wal")
    name = "%020d.log" % 3
    with open(tmp_path / "wal" / name, "wb") as f:
        f.write(build_segment(3, [(3, payload(0, [b"SET", b"x", b"1"])),
                                  (4, payload(0, [b"DEL", b"x"]))]))
    rc, out, _ = check("--dir", str(tmp_path))
    assert rc == 1
    path = "%s/wal/%s" % (tmp_path, name)
    assert out.splitlines()[-3:] == [
        "log: 2 frames, LSN 3 to 4",
        "damaged: no snapshot, and the log starts at LSN 3 in %s (frames 1 to 2 missing)" % path,
        "status: damaged",
    ]
    # The log alone is sound: only its place after the (absent) snapshot is wrong.
    rc, out, _ = check("--dir", str(tmp_path), "--wal-only")
    assert rc == 0


def test_check_two_segments(start_server):
    s = start_server("--appendonly", "yes", "--wal-segment-size", "1mb")
    big_a, big_b = b"a" * 600000, b"b" * 600000
    c = RawConn(s.host, s.port, timeout=10)
    try:
        assert c.cmd("SET", "ka", big_a) == b"+OK\r\n"
        assert c.cmd("SET", "kb", big_b) == b"+OK\r\n"
        assert c.cmd("SET", "kc", "c") == b"+OK\r\n"
    finally:
        c.close()
    assert s.stop() == 0
    sizes = [FRAME_HEADER + len(payload(0, [b"SET", k, v]))
             for k, v in ((b"ka", big_a), (b"kb", big_b), (b"kc", b"c"))]
    rc, out, _ = check("--dir", s.dir, "--wal-only")
    assert rc == 0
    seg2 = "%020d.log" % 2
    assert out.splitlines() == [
        "log %s/wal: 2 segments, %d bytes" % (s.dir, 2 * SEGMENT),
        "segment %s: first LSN 1, 1 frame, last LSN 1, %d of %d bytes used"
        % (seg_path(s.dir), HEADER + sizes[0], SEGMENT),
        "segment %s: first LSN 2, 2 frames, last LSN 3, %d of %d bytes used"
        % (seg_path(s.dir, seg2), HEADER + sizes[1] + sizes[2], SEGMENT),
        "log: 3 frames, LSN 1 to 3",
        "status: valid",
    ]


def test_check_usage_errors():
    rc, out, err = check("--bogus")
    assert (rc, out) == (2, "")
    assert err == "pairdb-check: unknown option '--bogus'\nTry 'pairdb-check --help'.\n"
    rc, _, err = check("--wal-only", "--snapshot-only")
    assert rc == 2
    assert "--wal-only and --snapshot-only exclude each other" in err
    rc, _, err = check("--dir")
    assert rc == 2
    assert "--dir needs a directory" in err
    rc, _, err = check("--dir", "/tmp", "x.log")
    assert rc == 2
    assert "give either --dir or files, not both" in err


def test_check_help():
    rc, out, err = check("--help")
    assert (rc, err) == (0, "")
    assert out.startswith("Usage: pairdb-check [--dir DATADIR] [--wal-only|--snapshot-only] "
                          "[--dump] [FILE...]\n")
    assert "Exit status: 0 valid" in out


def test_check_missing_dir_is_an_error(tmp_path):
    rc, out, _ = check("--dir", str(tmp_path / "nope"))
    assert rc == 1
    assert out.splitlines() == ["damaged: %s is not a readable directory" % (tmp_path / "nope"),
                                "status: damaged"]


# --- snapshots ---------------------------------------------------------------------------

def snap_path(d, lsn):
    return os.path.join(d, "snap", "%020d.pdb" % lsn)


@pytest.fixture
def snapped(start_server):
    """A stopped server's directory: frames 1-6 (every type) covered by snapshot LSN 6,
    frames 7-8 after it. Returns (server, creation time bounds in unix ms)."""
    s = start_server("--appendonly", "yes", "--wal-segment-size", "1mb")
    c = RawConn(s.host, s.port, timeout=10)
    try:
        assert c.cmd("SET", "k", "v") == b"+OK\r\n"
        assert c.cmd("RPUSH", "l", "a", "b") == b":2\r\n"
        assert c.cmd("SADD", "s0", "1", "2", "x") == b":3\r\n"
        assert c.cmd("ZADD", "z0", "1.5", "a", "2", "b") == b":2\r\n"
        assert c.cmd("SELECT", "3") == b"+OK\r\n"
        assert c.cmd("HSET", "h", "f", "v") == b":1\r\n"
        assert c.cmd("SET", "t", "x", "PX", "100000") == b"+OK\r\n"
        before = int(time.time() * 1000)
        assert c.cmd("SAVE") == b"+OK\r\n"
        after = int(time.time() * 1000)
        assert c.cmd("SADD", "s", "1", "2") == b":2\r\n"
        assert c.cmd("ZADD", "z", "1", "a") == b":1\r\n"
    finally:
        c.close()
    assert s.stop() == 0
    return s, before, after


SNAP_LINE = re.compile(r"^snapshot (\S+): format 1, lsn (\d+), created (\d+) \(unix ms\), "
                       r"(\d+) bytes$")


def test_check_snapshot_and_log_that_continues_it(snapped):
    s, before, after = snapped
    rc, out, _ = check("--dir", s.dir)
    assert rc == 0
    lines = out.splitlines()
    assert lines[0] == "snapshots %s/snap: 1" % s.dir
    m = SNAP_LINE.match(lines[1])
    assert m, lines[1]
    assert m.group(1) == snap_path(s.dir, 6)
    assert m.group(2) == "6"
    assert before <= int(m.group(3)) <= after
    assert int(m.group(4)) == os.path.getsize(snap_path(s.dir, 6))
    assert lines[2:6] == [
        "  db0: keys=4 expires=0",
        "  db3: keys=2 expires=1",
        "  types: string=2 list=1 set=1 zset=1 hash=1",
        "  total: keys=6 expires=1",
    ]
    assert lines[6] == "log %s/wal: 1 segment, %d bytes" % (s.dir, SEGMENT)
    assert lines[7].startswith("segment %s: first LSN 1, 8 frames, last LSN 8, " % seg_path(s.dir))
    assert lines[8:] == [
        "log: 8 frames, LSN 1 to 8",
        "log continues snapshot LSN 6: frames from LSN 7 on are present",
        "status: valid",
    ]


def test_check_snapshot_only_and_snapshot_file(snapped):
    s, _, _ = snapped
    rc, out, _ = check("--dir", s.dir, "--snapshot-only")
    assert rc == 0
    lines = out.splitlines()
    assert len(lines) == 7 and lines[-1] == "status: valid"
    assert "log" not in out
    rel = os.path.join("snap", "%020d.pdb" % 6)
    rc, out, _ = check(rel, cwd=s.dir)
    assert rc == 0
    assert SNAP_LINE.match(out.splitlines()[0]).group(1) == rel
    assert out.splitlines()[1:] == lines[2:]


def test_check_damaged_snapshot(snapped):
    s, _, _ = snapped
    path = snap_path(s.dir, 6)
    flip(path, os.path.getsize(path) // 2)
    rc, out, _ = check("--dir", s.dir)
    assert rc == 1
    lines = out.splitlines()
    assert lines[1].startswith("damaged: Bad snapshot %s at offset " % path), lines
    assert lines[-1] == "status: damaged"
    # The log itself is still sound.
    rc, out, _ = check("--dir", s.dir, "--wal-only")
    assert rc == 0


def test_check_log_that_does_not_continue_the_snapshot(snapped):
    s, _, _ = snapped
    # A restart opens a new segment at LSN 9; losing the first segment loses frames 7-8,
    # which the snapshot (LSN 6) does not hold.
    s.start()
    c = RawConn(s.host, s.port, timeout=10)
    try:
        assert c.cmd("SET", "new", "1") == b"+OK\r\n"
    finally:
        c.close()
    assert s.stop() == 0
    os.unlink(seg_path(s.dir))
    rc, out, _ = check("--dir", s.dir)
    assert rc == 1
    seg9 = seg_path(s.dir, "%020d.log" % 9)
    assert out.splitlines()[-2:] == [
        "damaged: the log does not continue snapshot LSN 6: the first frame after it is LSN 9 "
        "in %s (frames 7 to 8 missing)" % seg9,
        "status: damaged",
    ]


def test_check_snapshot_covering_the_whole_log(start_server):
    s = start_server("--appendonly", "yes", "--wal-segment-size", "1mb")
    c = RawConn(s.host, s.port, timeout=10)
    try:
        assert c.cmd("SET", "k", "v") == b"+OK\r\n"
        assert c.cmd("SET", "k2", "v2") == b"+OK\r\n"
    finally:
        c.close()
    # After a restart the log goes on in a new segment (LSN 3); a snapshot at LSN 2 then
    # covers the first segment, which is dropped.
    s.restart()
    c = RawConn(s.host, s.port, timeout=10)
    try:
        assert c.cmd("SAVE") == b"+OK\r\n"
    finally:
        c.close()
    assert s.stop() == 0
    logs = [n for n in os.listdir(os.path.join(s.dir, "wal")) if n.endswith(".log")]
    assert logs == ["%020d.log" % 3]
    rc, out, _ = check("--dir", s.dir)
    assert rc == 0
    lines = out.splitlines()
    assert SNAP_LINE.match(lines[1]).group(2) == "2"
    assert lines[2:4] == ["  db0: keys=2 expires=0", "  types: string=2 list=0 set=0 zset=0 hash=0"]
    seg3 = seg_path(s.dir, "%020d.log" % 3)
    assert lines[-4:] == [
        "segment %s: first LSN 3, no frames, %d bytes" % (seg3, os.path.getsize(seg3)),
        "log: no frames",
        "log continues snapshot LSN 2: no frames after it",
        "status: valid",
    ]
