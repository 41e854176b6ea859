"""Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO): exact replies and
errors as Redis 7.0 gives them, the ranges and overflow rules checked against small reference
models written here, the size limit, keyspace events and recovery after a crash.
tests/diff/scripts/bitmap.txt compares many more replies with redis-server live."""

import random

import pytest

from conftest import IS_REDIS
from test_notifications import Events, both

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
BAD_OFFSET = b"-ERR bit offset is not an integer or out of range\r\n"
BAD_BIT = b"-ERR bit is not an integer or out of range\r\n"
BAD_TYPE = (b"-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
            b"supported but i64 is.\r\n")


def ival(reply):
    assert reply[:1] == b":", reply
    return int(reply[1:-2])


# ---- reference models -------------------------------------------------------------------------

def bit_at(data, i):
    return (data[i >> 3] >> (7 - (i & 7))) & 1


def ref_range(start, end, length, isbit):
    """Redis's range rule: negative from the end, clamp; None when empty."""
    total = length * 8 if isbit else length
    if start < 0:
        start += total
    if end < 0:
        end += total
    start, end = max(start, 0), max(end, 0)
    end = min(end, total - 1)
    if start > end:
        return None
    return (start, end) if isbit else (start * 8, end * 8 + 7)


def ref_bitcount(data, start, end, isbit):
    if start < 0 and end < 0 and start > end:
        return 0
    r = ref_range(start, end, len(data), isbit)
    return 0 if r is None else sum(bit_at(data, i) for i in range(r[0], r[1] + 1))


def ref_bitpos(data, bit, start, end, isbit, end_given):
    r = ref_range(start, end, len(data), isbit)
    if r is None:
        return -1
    for i in range(r[0], r[1] + 1):
        if bit_at(data, i) == bit:
            return i
    return r[1] + 1 if bit == 0 and not end_given else -1


# ---- SETBIT / GETBIT --------------------------------------------------------------------------

def test_setbit_getbit(raw, r):
    assert raw.cmd("SETBIT", "b", "7", "1") == b":0\r\n"
    assert raw.cmd("SETBIT", "b", "7", "1") == b":1\r\n"
    assert raw.cmd("SETBIT", "b", "0", "1") == b":0\r\n"
    assert r.get("b") == b"\x81"
    assert raw.cmd("SETBIT", "b", "100", "1") == b":0\r\n"
    assert r.get("b") == b"\x81" + b"\x00" * 11 + b"\x08"
    assert raw.cmd("GETBIT", "b", "100") == b":1\r\n"
    assert raw.cmd("GETBIT", "b", "99") == b":0\r\n"
    assert raw.cmd("GETBIT", "b", "1000000") == b":0\r\n"
    assert raw.cmd("GETBIT", "missing", "3") == b":0\r\n"
    assert raw.cmd("SETBIT", "b", "7", "0") == b":1\r\n"
    assert r.get("b")[0] == 0x80
    assert raw.cmd("OBJECT", "ENCODING", "b") == b"$3\r\nraw\r\n"
    # An integer value is edited as its text.
    r.set("n", "12345")
    assert raw.cmd("SETBIT", "n", "3", "1") == b":1\r\n"
    assert raw.cmd("SETBIT", "n", "6", "1") == b":0\r\n"
    assert r.get("n") == b"32345"
    assert raw.cmd("GETBIT", "n", "2") == b":1\r\n"


def test_setbit_errors(raw, r):
    for off in ("-1", "abc", "1.5", "4294967296", "99999999999999999999"):
        assert raw.cmd("SETBIT", "b", off, "1") == BAD_OFFSET, off
        assert raw.cmd("GETBIT", "b", off) == BAD_OFFSET, off
    for val in ("2", "-1", "x", "", "01x"):
        assert raw.cmd("SETBIT", "b", "1", val) == BAD_BIT, val
    assert not r.exists("b")
    r.rpush("lst", "a")
    assert raw.cmd("SETBIT", "lst", "0", "1") == WRONGTYPE
    assert raw.cmd("GETBIT", "lst", "0") == WRONGTYPE
    assert raw.cmd("SETBIT", "b", "1") == b"-ERR wrong number of arguments for 'setbit' command\r\n"


def test_offset_limit_follows_proto_max_bulk_len(raw, r):
    assert raw.cmd("CONFIG", "SET", "proto-max-bulk-len", "1048576") == b"+OK\r\n"
    try:
        assert raw.cmd("SETBIT", "b", str(8 * 1048576), "1") == BAD_OFFSET
        assert raw.cmd("BITFIELD", "b", "SET", "u8", "#1048576", "1") == BAD_OFFSET
        assert raw.cmd("SETBIT", "b", str(8 * 1048576 - 1), "1") == b":0\r\n"
        assert raw.cmd("STRLEN", "b") == b":1048576\r\n"
        assert raw.cmd("BITCOUNT", "b") == b":1\r\n"
        assert raw.cmd("BITPOS", "b", "1") == b":%d\r\n" % (8 * 1048576 - 1)
    finally:
        raw.cmd("CONFIG", "SET", "proto-max-bulk-len", "512mb")


# ---- BITCOUNT / BITPOS ------------------------------------------------------------------------

def test_bitcount_examples(raw, r):
    r.set("s", "foobar")
    cases = [([], 26), (["0", "0"], 4), (["1", "1"], 6), (["1", "-1"], 22), (["-2", "-1"], 7),
             (["-1", "-2"], 0), (["5", "30", "BIT"], 17), (["-9", "-2", "bit"], 5),
             (["0", "-1", "BYTE"], 26), (["100", "200"], 0)]
    for args, want in cases:
        assert raw.cmd("BITCOUNT", "s", *args) == b":%d\r\n" % want, args
    assert raw.cmd("BITCOUNT", "s", "0") == SYNTAX
    assert raw.cmd("BITCOUNT", "s", "0", "1", "BOTH") == SYNTAX
    assert raw.cmd("BITCOUNT", "s", "0", "1", "BIT", "x") == SYNTAX
    assert raw.cmd("BITCOUNT", "s", "a", "1") == NOT_INT
    # A missing key counts 0 whatever the arguments (Redis 7.0 looks it up first).
    assert raw.cmd("BITCOUNT", "missing", "a", "b") == b":0\r\n"
    r.rpush("lst", "a")
    assert raw.cmd("BITCOUNT", "lst") == WRONGTYPE


def test_bitpos_examples(raw, r):
    r.set("p", b"\xff\xf0\x00")
    cases = [(["0"], 12), (["1"], 0), (["0", "2"], 16), (["1", "2"], -1), (["0", "0", "-1"], 12),
             (["0", "-1", "-2"], -1), (["1", "7", "15", "BIT"], 7), (["0", "0", "11", "BIT"], -1),
             (["0", "0", "12", "BIT"], 12), (["0", "100"], -1)]
    for args, want in cases:
        assert raw.cmd("BITPOS", "p", *args) == b":%d\r\n" % want, args
    r.set("ones", b"\xff\xff")
    assert raw.cmd("BITPOS", "ones", "0") == b":16\r\n"
    assert raw.cmd("BITPOS", "ones", "0", "0", "-1") == b":-1\r\n"
    assert raw.cmd("BITPOS", "missing", "0") == b":0\r\n"
    assert raw.cmd("BITPOS", "missing", "1") == b":-1\r\n"
    for bad in ("2", "-1"):
        assert raw.cmd("BITPOS", "p", bad) == b"-ERR The bit argument must be 1 or 0.\r\n"
    assert raw.cmd("BITPOS", "p", "x") == NOT_INT
    assert raw.cmd("BITPOS", "p", "1", "0", "1", "FOO") == SYNTAX
    assert raw.cmd("BITPOS", "p", "1", "0", "1", "BIT", "x") == SYNTAX
    r.rpush("lst", "a")
    assert raw.cmd("BITPOS", "lst", "1") == WRONGTYPE


def test_bitcount_bitpos_match_the_model(raw, r):
    """Random data with long zero and one runs (the word-at-a-time paths) and random ranges,
    negative ones and BIT mode included."""
    rng = random.Random(7)
    for n in (1, 7, 8, 9, 33, 200):
        data = bytearray(rng.getrandbits(8) for _ in range(n))
        for _ in range(n // 3):
            i = rng.randrange(n)
            data[i:i + rng.randrange(1, 40)] = (b"\x00" if rng.random() < 0.5 else b"\xff") * 40
        data = bytes(data[:n])
        r.set("k", data)
        assert ival(raw.cmd("BITCOUNT", "k")) == ref_bitcount(data, 0, -1, False)
        for bit in (0, 1):
            assert ival(raw.cmd("BITPOS", "k", bit)) == ref_bitpos(data, bit, 0, -1, False, False)
        for _ in range(60):
            isbit = rng.random() < 0.5
            lim = n * 8 + 10 if isbit else n + 3
            s, e = rng.randint(-lim, lim), rng.randint(-lim, lim)
            unit = ["BIT"] if isbit else ["BYTE"]
            assert ival(raw.cmd("BITCOUNT", "k", s, e, *unit)) == \
                ref_bitcount(data, s, e, isbit), (data, s, e, isbit)
            for bit in (0, 1):
                assert ival(raw.cmd("BITPOS", "k", bit, s, e, *unit)) == \
                    ref_bitpos(data, bit, s, e, isbit, True), (data, bit, s, e, isbit)
                assert ival(raw.cmd("BITPOS", "k", bit, s)) == \
                    ref_bitpos(data, bit, s, -1, False, False), (data, bit, s)


# ---- BITOP ------------------------------------------------------------------------------------

def test_bitop_matches_the_model(raw, r):
    rng = random.Random(11)
    srcs = [bytes(rng.getrandbits(8) for _ in range(n)) for n in (0, 3, 17, 40)]
    for i, v in enumerate(srcs):
        r.set("s%d" % i, v)
    keys = ["s%d" % i for i in range(len(srcs))] + ["missing"]
    values = srcs + [b""]
    for op in ("AND", "OR", "XOR"):
        width = max(len(v) for v in values)
        padded = [v.ljust(width, b"\x00") for v in values]
        want = bytearray(padded[0])
        for v in padded[1:]:
            for j in range(width):
                want[j] = {"AND": want[j] & v[j], "OR": want[j] | v[j], "XOR": want[j] ^ v[j]}[op]
        assert raw.cmd("BITOP", op, "dst", *keys) == b":%d\r\n" % width
        assert r.get("dst") == bytes(want), op
    assert raw.cmd("BITOP", "NOT", "dst", "s2") == b":17\r\n"
    assert r.get("dst") == bytes(255 - b for b in srcs[2])
    # The destination may be a source.
    assert raw.cmd("BITOP", "xor", "s1", "s1", "s2") == b":17\r\n"
    assert r.get("s1") == bytes(a ^ b for a, b in zip(srcs[1].ljust(17, b"\x00"), srcs[2]))


def test_bitop_empty_result_and_errors(raw, r):
    r.set("dst", "x")
    r.expire("dst", 100)
    assert raw.cmd("BITOP", "AND", "dst", "missing", "missing2") == b":0\r\n"
    assert not r.exists("dst")
    r.set("a", "\x0f")
    r.set("dst", "x")
    r.expire("dst", 100)
    assert raw.cmd("BITOP", "OR", "dst", "a") == b":1\r\n"
    assert raw.cmd("TTL", "dst") == b":-1\r\n"
    assert raw.cmd("BITOP", "NOT", "dst", "a", "a") == \
        b"-ERR BITOP NOT must be called with a single source key.\r\n"
    assert raw.cmd("BITOP", "FOO", "dst", "a") == SYNTAX
    r.rpush("lst", "a")
    assert raw.cmd("BITOP", "AND", "dst", "a", "lst") == WRONGTYPE
    assert raw.cmd("BITOP", "AND", "dst") == b"-ERR wrong number of arguments for 'bitop' command\r\n"


# ---- BITFIELD ---------------------------------------------------------------------------------

def field_limits(sign, bits):
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if sign else (0, (1 << bits) - 1)


def ref_overflow(sign, bits, mode, value, is_set=False):
    """(stored value, overflowed) for an exact result under WRAP or SAT; is_set for a SET's
    value (INCRBY results never reach the far range below)."""
    lo, hi = field_limits(sign, bits)
    wrapped = value & ((1 << bits) - 1)
    if sign and wrapped >= 1 << (bits - 1):
        wrapped -= 1 << bits
    if is_set and sign and bits < 64 and value < hi - (2**63 - 1):
        # Redis's 64-bit max - value wraps this far down: the value overflows upwards.
        return (hi if mode == "SAT" else wrapped), True
    if lo <= value <= hi:
        return value, False
    if mode == "SAT":
        return (hi if value > hi else lo), True
    return wrapped, True


def test_bitfield_overflow_edges(raw):
    """INCRBY and SET at the edges of signed and unsigned fields, in the three modes."""
    widths = [("i", 1), ("i", 8), ("i", 63), ("i", 64), ("u", 1), ("u", 8), ("u", 63)]
    for t, bits in widths:
        sign = t == "i"
        lo, hi = field_limits(sign, bits)
        starts = [lo, hi, 0, lo + 1, hi - 1]
        incrs = [1, -1, hi, -hi, 2, -2, 9223372036854775807, -9223372036854775808]
        for mode in ("WRAP", "SAT", "FAIL"):
            for start in starts:
                for incr in incrs:
                    raw.cmd("BITFIELD", "f", "SET", "%s%d" % (t, bits), "0", start)
                    reply = raw.cmd("BITFIELD", "f", "OVERFLOW", mode, "INCRBY", "%s%d" % (t, bits),
                                    "0", incr)
                    stored, over = ref_overflow(sign, bits, "SAT" if mode == "SAT" else "WRAP",
                                                start + incr)
                    if mode == "FAIL" and over:
                        assert reply == b"*1\r\n$-1\r\n", (t, bits, start, incr)
                        stored = start
                    else:
                        assert reply == b"*1\r\n:%d\r\n" % stored, (t, bits, mode, start, incr)
                    assert raw.cmd("BITFIELD_RO", "f", "GET", "%s%d" % (t, bits), "0") == \
                        b"*1\r\n:%d\r\n" % stored
            # SET replies the old value and stores the new one after the overflow rule.
            for value in (hi + 1, lo - 1, -9223372036854775808, 9223372036854775807):
                if not -2**63 <= value < 2**63:
                    continue   # not an integer argument at all
                raw.cmd("BITFIELD", "f", "SET", "%s%d" % (t, bits), "0", 0)
                reply = raw.cmd("BITFIELD", "f", "OVERFLOW", mode, "SET", "%s%d" % (t, bits), "0",
                                value)
                if not sign and value < 0:
                    # An unsigned SET reads a negative value as its 64-bit two's complement.
                    value += 1 << 64
                stored, over = ref_overflow(sign, bits, "SAT" if mode == "SAT" else "WRAP", value,
                                            is_set=True)
                if mode == "FAIL" and over:
                    assert reply == b"*1\r\n$-1\r\n"
                    stored = 0
                else:
                    assert reply == b"*1\r\n:0\r\n"
                got = raw.cmd("BITFIELD", "f", "GET", "%s%d" % (t, bits), "0")
                assert got == b"*1\r\n:%d\r\n" % stored, (t, bits, mode, value)


def test_bitfield_layout_and_ops(raw, r):
    assert raw.cmd("BITFIELD", "bf", "SET", "u3", "#2", "5", "GET", "u3", "#2", "GET", "u3", "6",
                   "SET", "i16", "#3", "-2", "GET", "i16", "48") == \
        b"*5\r\n:0\r\n:5\r\n:5\r\n:0\r\n:-2\r\n"
    assert r.get("bf") == b"\x02\x80\x00\x00\x00\x00\xff\xfe"
    assert raw.cmd("BITFIELD", "bf", "GET", "u8", "100000") == b"*1\r\n:0\r\n"
    assert raw.cmd("BITFIELD", "missing", "GET", "i64", "0") == b"*1\r\n:0\r\n"
    assert not r.exists("missing")
    assert raw.cmd("BITFIELD", "bf") == b"*0\r\n"
    # FAIL writes nothing but the key is still created, zero filled, as in Redis.
    assert raw.cmd("BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u8", "8", "300") == b"*1\r\n$-1\r\n"
    assert r.get("new") == b"\x00\x00"
    r.set("n", "12345")
    assert raw.cmd("BITFIELD", "n", "GET", "u8", "0", "SET", "u8", "0", "48") == b"*2\r\n:49\r\n:49\r\n"
    assert r.get("n") == b"02345"


def test_bitfield_errors(raw, r):
    for t in ("u64", "i65", "i0", "U8", "x8", "u", "i-1", "u8x"):
        assert raw.cmd("BITFIELD", "bf", "GET", t, "0") == BAD_TYPE, t
    for off in ("-1", "#-1", "x", "4294967296", "#536870912", "#"):
        assert raw.cmd("BITFIELD", "bf", "GET", "u8", off) == BAD_OFFSET, off
    assert raw.cmd("BITFIELD", "bf", "SET", "u8", "0", "x") == NOT_INT
    for args in (["SET", "u8", "0"], ["GET", "u8"], ["FOO", "u8", "0"], ["OVERFLOW"]):
        assert raw.cmd("BITFIELD", "bf", *args) == SYNTAX, args
    assert raw.cmd("BITFIELD", "bf", "OVERFLOW", "BAD", "GET", "u8", "0") == \
        b"-ERR Invalid OVERFLOW type specified\r\n"
    # Errors are found before anything runs.
    assert raw.cmd("BITFIELD", "bf", "SET", "u8", "0", "1", "GET", "u64", "0") == BAD_TYPE
    assert not r.exists("bf")
    ro_err = b"-ERR BITFIELD_RO only supports the GET subcommand\r\n"
    assert raw.cmd("BITFIELD_RO", "bf", "SET", "u8", "0", "1") == ro_err
    assert raw.cmd("BITFIELD_RO", "bf", "INCRBY", "u8", "0", "1") == ro_err
    assert raw.cmd("BITFIELD_RO", "bf", "GET", "u8", "0", "OVERFLOW", "FAIL") == b"*1\r\n:0\r\n"
    r.rpush("lst", "a")
    assert raw.cmd("BITFIELD", "lst", "SET", "u8", "0", "1") == WRONGTYPE
    assert raw.cmd("BITFIELD", "lst", "GET", "u8", "0") == WRONGTYPE
    assert raw.cmd("BITFIELD_RO", "lst", "GET", "u8", "0") == WRONGTYPE


# ---- events and persistence -------------------------------------------------------------------

def test_events(server, raw):
    assert raw.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"+OK\r\n"
    ev = Events(server)
    try:
        raw.cmd("SETBIT", "k", "3", "1")
        raw.cmd("SETBIT", "k", "3", "1")   # no change: no event
        raw.cmd("BITFIELD", "k", "INCRBY", "u8", "0", "1")
        raw.cmd("BITFIELD", "k", "SET", "u8", "0", "17")   # same value: no event
        raw.cmd("BITFIELD", "k", "GET", "u8", "0")
        raw.cmd("BITOP", "NOT", "d", "k")
        raw.cmd("BITOP", "AND", "d", "missing")
        raw.cmd("BITOP", "AND", "d", "missing")
        assert ev.take() == (both(0, "k", "setbit", "setbit") + both(0, "d", "set", "del"))
    finally:
        ev.close()
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")


@pytest.mark.skipif(IS_REDIS, reason="PairDB's write-ahead log")
def test_state_survives_kill(start_server):
    s = start_server("--appendonly", "yes", "--appendfsync", "always")
    c = s.client()
    c.setbit("b", 1000, 1)
    c.setbit("b", 3, 1)
    c.execute_command("BITFIELD", "f", "SET", "i16", "#2", "-300", "INCRBY", "u4", "0", "9")
    c.execute_command("BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u8", "16", "999")
    c.set("a", "abc")
    c.bitop("XOR", "x", "a", "b")
    before = {k: c.get(k) for k in ("b", "f", "g", "x")}
    assert before["g"] == b"\x00\x00\x00"
    c.close()
    s.crash_restart()
    c = s.client()
    assert {k: c.get(k) for k in before} == before
    c.close()
