"""Reader of a server's write-ahead log, for tests that assert what was logged.

Format (src/persist/wal.h): <dir>/wal/<first lsn, 20 digits>.log segments; each starts with a
32-byte header ("PDBWAL\\0\\1", u32 version, u32 reserved, u64 first lsn, u32 segment size,
u32 crc32c of the previous 28 bytes) followed by frames and zero padding. A frame is
u32 magic 0x4c574450 | u32 payload length | u64 lsn | u32 crc32c(length, lsn, payload) |
payload, all little-endian; the payload is RESP arrays of bulk strings (effect commands, with a
SELECT before the first command of a frame and at each change of database).

Checksums are verified with a small pure-Python CRC-32C, so a test never reads garbage as an
effect. Only the standard library is used.
"""

import os
import struct

SEGMENT_MAGIC = b"PDBWAL\x00\x01"
SEGMENT_HEADER_LEN = 32
FRAME_MAGIC = 0x4C574450
FRAME_HEADER_LEN = 20


class WalFormatError(Exception):
    pass


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _parse_commands(payload):
    """The RESP arrays of bulk strings in payload, as lists of bytes."""
    cmds, pos = [], 0
    while pos < len(payload):
        if payload[pos:pos + 1] != b"*":
            raise WalFormatError("expected an array at payload byte %d" % pos)
        end = payload.index(b"\r\n", pos)
        argc = int(payload[pos + 1:end])
        pos = end + 2
        args = []
        for _ in range(argc):
            if payload[pos:pos + 1] != b"$":
                raise WalFormatError("expected a bulk string at payload byte %d" % pos)
            end = payload.index(b"\r\n", pos)
            n = int(payload[pos + 1:end])
            start = end + 2
            if payload[start + n:start + n + 2] != b"\r\n":
                raise WalFormatError("bulk string not terminated at payload byte %d" % start)
            args.append(payload[start:start + n])
            pos = start + n + 2
        cmds.append(args)
    return cmds


def segments(data_dir):
    wal_dir = os.path.join(data_dir, "wal")
    if not os.path.isdir(wal_dir):
        return []
    names = sorted(n for n in os.listdir(wal_dir) if n.endswith(".log"))
    return [os.path.join(wal_dir, n) for n in names]


def _read_segment(path):
    """(first lsn, file bytes) of one segment, its header checked."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < SEGMENT_HEADER_LEN or data[:8] != SEGMENT_MAGIC:
        raise WalFormatError("%s: not a log segment" % path)
    (first_lsn,) = struct.unpack_from("<Q", data, 16)
    (hcrc,) = struct.unpack_from("<I", data, 28)
    if crc32c(data[:28]) != hcrc:
        raise WalFormatError("%s: header checksum mismatch" % path)
    return first_lsn, data


def read_frames(data_dir):
    """[(lsn, [command, ...]), ...] for every complete frame, in log order.

    A segment is read up to the first LSN of the next one (frames rewritten into a new segment
    after a write error supersede the old copies), and up to its zero padding."""
    segs = [_read_segment(p) + (p,) for p in segments(data_dir)]
    frames = []
    for i, (first_lsn, data, path) in enumerate(segs):
        limit = segs[i + 1][0] if i + 1 < len(segs) else None
        pos = SEGMENT_HEADER_LEN
        while pos + FRAME_HEADER_LEN <= len(data):
            magic, plen, lsn, crc = struct.unpack_from("<IIQI", data, pos)
            if magic != FRAME_MAGIC or (limit is not None and lsn >= limit):
                break  # zero padding after the last frame, or superseded frames
            payload = data[pos + FRAME_HEADER_LEN:pos + FRAME_HEADER_LEN + plen]
            if len(payload) != plen:
                break  # torn tail
            if crc32c(payload, crc32c(data[pos + 4:pos + 16])) != crc:
                raise WalFormatError("%s: frame at %d has a bad checksum" % (path, pos))
            if frames and lsn != frames[-1][0] + 1:
                raise WalFormatError("%s: frame at %d has LSN %d after %d"
                                     % (path, pos, lsn, frames[-1][0]))
            frames.append((lsn, _parse_commands(payload)))
            pos += FRAME_HEADER_LEN + plen
    return frames


def read_effects(data_dir, keep_select=False):
    """Every logged command in order; SELECTs are dropped unless keep_select."""
    out = []
    for _, cmds in read_frames(data_dir):
        for cmd in cmds:
            if keep_select or cmd[0].upper() != b"SELECT":
                out.append(cmd)
    return out
