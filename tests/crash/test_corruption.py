"""Damaged logs: a torn tail is cut off and logged; damage with valid frames after it stops the
server (naming the segment and offset) unless it runs with --repair, which keeps what comes
before the damage and sets the rest aside; a missing segment is refused.

Each test writes keys one command at a time (one command = one frame, as each reply is awaited
before the next command is sent), stops the server cleanly, edits the segment files with the
frame layout of docs/FORMATS.md, and starts the server again on the same directory.
"""

import os
import struct

import pytest

from crashlib import CrashServer, wal_segments

FRAME_MAGIC = 0x4C574450
SEGMENT_HEADER = 32
FRAME_HEADER = 20


def frames_of(path):
    """[(offset, payload length, lsn)] of the frames in a segment, up to the preallocated zeros."""
    with open(path, "rb") as f:
        data = f.read()
    out, off = [], SEGMENT_HEADER
    while off + FRAME_HEADER <= len(data):
        magic, plen, lsn, _crc = struct.unpack_from("<IIQI", data, off)
        if magic != FRAME_MAGIC:
            break
        out.append((off, plen, lsn))
        off += FRAME_HEADER + plen
    return out


@pytest.fixture
def srv():
    s = CrashServer()
    yield s
    s.cleanup()


def value(i):
    return b"value-%d-" % i + b"v" * (i % 50)


def write_keys(srv, first, count, *args):
    """Starts the server, SETs k<first>..k<first+count-1> (one frame each), stops it cleanly."""
    srv.start("--wal-segment-size", "1mb", *args)
    c = srv.client()
    for i in range(first, first + count):
        assert c.set(b"k%d" % i, value(i)) is True
    c.close()
    assert srv.stop() == 0


def seg_path(srv, name):
    return os.path.join(srv.data, "wal", name)


def segments_with_frames(srv):
    return [n for n in wal_segments(srv.data) if frames_of(seg_path(srv, n))]


def check_keys(srv, present, absent):
    c = srv.client()
    try:
        for i in present:
            assert c.get(b"k%d" % i) == value(i), "k%d lost; log:\n%s" % (i, srv.start_log())
        for i in absent:
            assert c.get(b"k%d" % i) is None, "k%d should be gone" % i
    finally:
        c.close()


def restart_is_clean(srv, present, absent):
    """One more start: no torn tail or damage reported, same data, and the log takes writes."""
    srv.start("--wal-segment-size", "1mb")
    log = srv.start_log()
    assert "torn" not in log and "damaged" not in log, log
    check_keys(srv, present, absent)
    c = srv.client()
    assert c.set(b"after", b"repair") is True
    c.close()
    srv.kill9()
    srv.start("--wal-segment-size", "1mb")
    check_keys(srv, present, absent)
    assert srv.client().get(b"after") == b"repair"
    assert srv.stop() == 0


def edit(path, offset, data=None, truncate=False):
    with open(path, "r+b") as f:
        if truncate:
            f.truncate(offset)
        else:
            f.seek(offset)
            f.write(data)


N = 12


# Where the last frame is cut: inside the magic, inside the length, after the LSN, a complete
# header with no payload, half the payload, all but its last byte.
@pytest.mark.parametrize("cut", ["magic", "length", "lsn", "header", "half", "last-byte"])
@pytest.mark.parametrize("how", ["truncated", "zeroed"])
def test_torn_last_frame_is_cut_off(srv, cut, how):
    write_keys(srv, 0, N)
    [name] = segments_with_frames(srv)
    path = seg_path(srv, name)
    off, plen, lsn = frames_of(path)[-1]
    assert lsn == N
    at = off + {"magic": 2, "length": 6, "lsn": 16, "header": FRAME_HEADER,
                "half": FRAME_HEADER + plen // 2, "last-byte": FRAME_HEADER + plen - 1}[cut]
    if how == "truncated":
        edit(path, at, truncate=True)  # the file ends inside the frame
    else:
        edit(path, at, b"\0" * (FRAME_HEADER + plen))  # the rest never reached the disk
    srv.start("--wal-segment-size", "1mb")
    log = srv.start_log()
    assert "%s: torn write at offset %d" % (name, off) in log, log
    assert "(LSN %d) dropped; cutting it off" % (N - 1) in log, log
    check_keys(srv, range(N - 1), [N - 1])
    assert srv.stop() == 0
    restart_is_clean(srv, range(N - 1), [N - 1])


@pytest.mark.parametrize("garbage", [
    b"\xff" * 7,
    bytes(range(1, 200)),
    struct.pack("<IIQI", FRAME_MAGIC, 10, N + 1, 12345) + b"0123456789",  # a frame, bad checksum
    struct.pack("<IIQI", FRAME_MAGIC, 1 << 30, N + 1, 0),  # a frame longer than the file
], ids=["ff", "bytes", "bad-crc-frame", "huge-length"])
def test_garbage_after_last_frame_is_cut_off(srv, garbage):
    write_keys(srv, 0, N)
    [name] = segments_with_frames(srv)
    path = seg_path(srv, name)
    off, plen, _ = frames_of(path)[-1]
    end = off + FRAME_HEADER + plen
    edit(path, end, garbage)
    srv.start("--wal-segment-size", "1mb")
    log = srv.start_log()
    assert "%s: torn write at offset %d: %d bytes after the last complete frame (LSN %d)" % (
        name, end, len(garbage.rstrip(b"\0")), N) in log, log
    check_keys(srv, range(N), [])
    assert srv.stop() == 0
    restart_is_clean(srv, range(N), [])


def damage(srv, where):
    """Two segments of N frames each (two runs); damages frame 5 of the first one. Returns the
    first segment's name and the damaged frame's offset."""
    write_keys(srv, 0, N)
    write_keys(srv, N, N)
    first, second = segments_with_frames(srv)
    path = seg_path(srv, first)
    off, plen, lsn = frames_of(path)[5]
    assert lsn == 6
    pos = off + {"magic": 1, "lsn": 9, "checksum": 17, "payload": FRAME_HEADER + plen // 2}[where]
    with open(path, "r+b") as f:
        f.seek(pos)
        b = f.read(1)[0]
        f.seek(pos)
        f.write(bytes([b ^ 0x10]))
    return first, second, off


@pytest.mark.parametrize("where", ["magic", "lsn", "checksum", "payload"])
def test_bit_flip_in_the_middle_stops_the_server(srv, where):
    first, _, off = damage(srv, where)
    srv.spawn("--wal-segment-size", "1mb")
    code = srv.exit_code()
    log = srv.start_log()
    assert code != 0, log
    assert "%s: corrupt frame at offset %d" % (first, off) in log, log
    assert "--repair" in log, log
    # Nothing was changed on disk: the same start fails the same way.
    srv.spawn("--wal-segment-size", "1mb")
    assert srv.exit_code() != 0
    assert "%s: corrupt frame at offset %d" % (first, off) in srv.start_log()


@pytest.mark.parametrize("where", ["magic", "payload"])
def test_repair_keeps_what_precedes_the_damage(srv, where):
    first, second, off = damage(srv, where)
    wal = os.path.join(srv.data, "wal")
    with open(os.path.join(wal, first), "rb") as f:
        damaged_copy = f.read()
    srv.start("--wal-segment-size", "1mb", "--repair")
    log = srv.start_log()
    assert "%s: corrupt frame at offset %d" % (first, off) in log, log
    assert "up to LSN 5" in log, log
    check_keys(srv, range(5), range(5, 2 * N))
    assert srv.stop() == 0
    # Everything from the damage on is set aside, byte for byte, for inspection.
    aside = sorted(n for n in os.listdir(wal) if n.endswith(".corrupt"))
    assert aside == [first + ".corrupt", second + ".corrupt"], os.listdir(wal)
    with open(os.path.join(wal, first + ".corrupt"), "rb") as f:
        assert f.read() == damaged_copy
    assert len(frames_of(os.path.join(wal, second + ".corrupt"))) == N
    restart_is_clean(srv, range(5), range(5, 2 * N))


def test_missing_segment_is_refused(srv):
    write_keys(srv, 0, 4)
    write_keys(srv, 4, 4)
    write_keys(srv, 8, 4)
    segs = segments_with_frames(srv)
    assert len(segs) == 3, segs
    os.unlink(seg_path(srv, segs[1]))
    srv.spawn("--wal-segment-size", "1mb")
    code = srv.exit_code()
    log = srv.start_log()
    assert code != 0, log
    assert "%s: the log goes from LSN 4 to a segment starting at 9 (frames missing)" % segs[2] \
        in log, log


def test_repair_sets_aside_the_segments_after_a_gap(srv):
    write_keys(srv, 0, 4)
    write_keys(srv, 4, 4)
    write_keys(srv, 8, 4)
    segs = segments_with_frames(srv)
    os.unlink(seg_path(srv, segs[1]))
    srv.start("--wal-segment-size", "1mb", "--repair")
    assert "(frames missing)" in srv.start_log(), srv.start_log()
    check_keys(srv, range(4), range(4, 12))
    # New writes take the LSNs the set-aside segment held: the next start must replay them,
    # not the old frames.
    c = srv.client()
    for i in range(4, 12):
        assert c.set(b"k%d" % i, b"new") is True
    c.close()
    assert srv.stop() == 0
    wal = os.path.join(srv.data, "wal")
    assert segs[2] + ".corrupt" in os.listdir(wal), os.listdir(wal)
    srv.start("--wal-segment-size", "1mb")
    log = srv.start_log()
    assert "damaged" not in log and "torn" not in log, log
    check_keys(srv, range(4), [])
    c = srv.client()
    assert [c.get(b"k%d" % i) for i in range(4, 12)] == [b"new"] * 8
    c.close()


def test_repair_sets_aside_a_segment_with_a_bad_header(srv):
    write_keys(srv, 0, 4)
    write_keys(srv, 4, 4)
    write_keys(srv, 8, 4)
    segs = segments_with_frames(srv)
    edit(seg_path(srv, segs[1]), 3, b"X")
    srv.spawn("--wal-segment-size", "1mb")
    assert srv.exit_code() != 0
    assert "%s: bad segment header at offset 0" % segs[1] in srv.start_log(), srv.start_log()
    srv.start("--wal-segment-size", "1mb", "--repair")
    check_keys(srv, range(4), range(4, 12))
    assert srv.stop() == 0
    wal = os.path.join(srv.data, "wal")
    assert sorted(n for n in os.listdir(wal) if n.endswith(".corrupt")) == \
        [segs[1] + ".corrupt", segs[2] + ".corrupt"], os.listdir(wal)
    restart_is_clean(srv, range(4), range(4, 12))
