"""HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG): replies, errors, the exact value bytes
Redis 7.0 writes, the cached cardinality, accuracy over a million elements, keyspace events and
recovery after a crash. Expected bytes and counts were taken from redis-server 7.0.15 after the
same commands (tests/diff/scripts/hll.txt compares many more values live)."""

import hashlib

import pytest

from conftest import IS_REDIS
from resp import RawConn
from test_notifications import Events, both

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_HLL = b"-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"
CORRUPT = b"-INVALIDOBJ Corrupted HLL object detected\r\n"

# An empty HLL as PFADD or PFMERGE create it: the cache is marked stale.
EMPTY_SPARSE = b"HYLL\x01" + b"\x00" * 10 + b"\x80\x7f\xff"
ABC = bytes.fromhex("48594c4c01000000000000000000008060f38050b1844bfb80425a")
H100 = bytes.fromhex(
    "48594c4c010000000000000000000080138042c684416480388440af80409480417f8440558840fa8441ca8c"
    "088440c9801480398040dd80436f8440588040728440c790406e844048800c8c1a80423e80179c40538040e9"
    "80228c404b8840488829844164801f8c38840d80408a8440cc8c41f88034801a84228040e79c408480404a80"
    "415b8040518041848440f680408784407280099040be8c41a2802e84406ea00580407f80409b8441c7804096"
    "84358040f088405480404480108040f78c098440b08c41a284404e8c0f90412c840a8040a588008840e38040"
    "9d804071800180404884389c40af881f840f88422780404188298041a28002803a8405800384228440b08041"
    "b4944072a040e2800480413a8440fc884095")
# SHA-1 of the dense value after PFADD d x0 .. x4999, and its count, from redis-server.
DENSE_5000_SHA1 = "41a2a37803b8c8ca01f3b5c570b0d462219ed284"


def header_card(value):
    """(cached count, cache valid) from a value's header."""
    card = int.from_bytes(value[8:16], "little")
    return card & ~(1 << 63), not (value[15] & 0x80)


# ---- PFADD and the value bytes ----------------------------------------------------------------

def test_pfadd_replies_and_sparse_bytes(raw, r):
    assert raw.cmd("PFADD", "h", "a", "b", "c") == b":1\r\n"
    assert r.get("h") == ABC
    assert raw.cmd("PFADD", "h", "a") == b":0\r\n"
    assert raw.cmd("PFADD", "h") == b":0\r\n"
    assert raw.cmd("PFADD", "fresh") == b":1\r\n"
    assert r.get("fresh") == EMPTY_SPARSE
    assert raw.cmd("PFADD", "fresh") == b":0\r\n"
    assert raw.cmd("PFADD", "h100", *["el%d" % i for i in range(100)]) == b":1\r\n"
    # The cache is stale after a change: only the top bit of the last header byte is set.
    assert header_card(r.get("h100")) == (0, False)
    assert r.get("h100")[:8] + r.get("h100")[16:] == H100[:8] + H100[16:]
    assert raw.cmd("PFDEBUG", "ENCODING", "h100") == b"+sparse\r\n"
    assert raw.cmd("OBJECT", "ENCODING", "h100") == b"$3\r\nraw\r\n"


def test_dense_bytes_match_redis(raw, r):
    assert raw.cmd("PFADD", "d", *["x%d" % i for i in range(5000)]) == b":1\r\n"
    assert raw.cmd("PFDEBUG", "ENCODING", "d") == b"+dense\r\n"
    assert raw.cmd("PFCOUNT", "d") == b":4970\r\n"
    value = r.get("d")
    assert len(value) == 16 + 12288
    assert hashlib.sha1(value).hexdigest() == DENSE_5000_SHA1


def test_sparse_max_bytes_promotes(raw, r):
    assert raw.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "40") == b"+OK\r\n"
    try:
        assert raw.cmd("PFADD", "s", "x1", "x2", "x3") == b":1\r\n"
        assert raw.cmd("PFDEBUG", "ENCODING", "s") == b"+sparse\r\n"
        assert raw.cmd("PFADD", "s", *["y%d" % i for i in range(10)]) == b":1\r\n"
        assert raw.cmd("PFDEBUG", "ENCODING", "s") == b"+dense\r\n"
        assert raw.cmd("PFCOUNT", "s") == b":13\r\n"
    finally:
        raw.cmd("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


# ---- PFCOUNT and the cache --------------------------------------------------------------------

def test_pfcount_writes_the_cache(raw, r):
    r.set("h100", H100)
    assert raw.cmd("PFCOUNT", "h100") == b":100\r\n"
    value = r.get("h100")
    assert header_card(value) == (100, True)
    assert value[8:16] == bytes.fromhex("6400000000000000")
    assert raw.cmd("PFCOUNT", "h100") == b":100\r\n"
    # A new element invalidates the cache; an element already counted leaves it.
    assert raw.cmd("PFADD", "h100", "el1") == b":0\r\n"
    assert header_card(r.get("h100")) == (100, True)
    assert raw.cmd("PFADD", "h100", "new-element") == b":1\r\n"
    assert header_card(r.get("h100"))[1] is False
    assert raw.cmd("PFCOUNT", "h100") == b":101\r\n"


def test_pfcount_trusts_a_valid_cache(raw, r):
    # A cache marked valid is returned as is, as Redis does.
    r.set("h", ABC[:8] + (12345).to_bytes(8, "little") + ABC[16:])
    assert raw.cmd("PFCOUNT", "h") == b":12345\r\n"


def test_pfcount_missing_and_union(raw, r):
    assert raw.cmd("PFCOUNT", "missing") == b":0\r\n"
    assert raw.cmd("PFCOUNT", "missing", "missing2") == b":0\r\n"
    r.pfadd("a", *["a%d" % i for i in range(300)])
    r.pfadd("b", *["a%d" % i for i in range(200, 3000)])
    r.pfadd("all", *["a%d" % i for i in range(3000)])
    before_a, before_b = r.get("a"), r.get("b")
    union = raw.cmd("PFCOUNT", "a", "b", "missing")
    assert union == raw.cmd("PFCOUNT", "all")
    # The union is computed aside: neither source changes.
    assert (r.get("a"), r.get("b")) == (before_a, before_b)
    assert not r.exists("missing")


# ---- PFMERGE ----------------------------------------------------------------------------------

def test_pfmerge_sparse_and_dense(raw, r):
    sparse = ["s%d" % i for i in range(50)]
    dense = ["d%d" % i for i in range(4000)]
    r.pfadd("sp", *sparse)
    r.pfadd("dn", *dense)
    r.pfadd("both", *(sparse + dense))
    assert raw.cmd("PFDEBUG", "ENCODING", "sp") == b"+sparse\r\n"
    assert raw.cmd("PFDEBUG", "ENCODING", "dn") == b"+dense\r\n"
    assert raw.cmd("PFMERGE", "m", "sp", "dn") == b"+OK\r\n"
    assert raw.cmd("PFDEBUG", "ENCODING", "m") == b"+dense\r\n"
    # Merging keeps each register's maximum: the same registers as adding everything to one key.
    assert r.get("m") == r.get("both")
    assert raw.cmd("PFCOUNT", "m") == raw.cmd("PFCOUNT", "both")
    # Sparse into sparse stays sparse, and the destination counts as a source.
    r.pfadd("sp2", "z1", "z2")
    assert raw.cmd("PFMERGE", "sp2", "sp") == b"+OK\r\n"
    assert raw.cmd("PFDEBUG", "ENCODING", "sp2") == b"+sparse\r\n"
    r.pfadd("expect", *(sparse + ["z1", "z2"]))
    assert r.get("sp2") == r.get("expect")
    assert raw.cmd("PFMERGE", "empty") == b"+OK\r\n"
    assert r.get("empty") == EMPTY_SPARSE


# ---- PFDEBUG ----------------------------------------------------------------------------------

def test_pfdebug(raw, r):
    r.set("h", ABC)
    assert raw.cmd("PFDEBUG", "DECODE", "h") == b"$44\r\nZ:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\r\n"
    assert raw.cmd("PFDEBUG", "TODENSE", "h") == b":1\r\n"
    assert raw.cmd("PFDEBUG", "TODENSE", "h") == b":0\r\n"
    assert raw.cmd("PFDEBUG", "DECODE", "h") == b"-ERR HLL encoding is not sparse\r\n"
    regs = r.execute_command("PFDEBUG", "GETREG", "h")
    assert len(regs) == 16384
    assert [(i, v) for i, v in enumerate(regs) if v] == [(8436, 1), (12711, 2), (15780, 1)]
    assert raw.cmd("PFCOUNT", "h") == b":3\r\n"
    assert raw.cmd("PFDEBUG", "FOO", "h") == b"-ERR Unknown PFDEBUG subcommand 'FOO'\r\n"
    assert raw.cmd("PFDEBUG", "GETREG", "nokey") == b"-ERR The specified key does not exist\r\n"
    assert raw.cmd("PFDEBUG", "GETREG") == \
        b"-ERR wrong number of arguments for 'pfdebug' command\r\n"


# ---- errors -----------------------------------------------------------------------------------

def test_errors(raw, r):
    r.rpush("lst", "a")
    r.set("str", "hello")
    r.set("int", "12345")
    r.pfadd("h", "a")
    for cmd in (["PFADD", "lst", "x"], ["PFCOUNT", "lst"], ["PFCOUNT", "h", "lst"],
                ["PFMERGE", "lst", "h"], ["PFMERGE", "h", "lst"]):
        assert raw.cmd(*cmd) == WRONGTYPE, cmd
    for cmd in (["PFADD", "str", "x"], ["PFCOUNT", "str"], ["PFCOUNT", "h", "str"],
                ["PFMERGE", "h", "str"], ["PFADD", "int", "x"], ["PFDEBUG", "ENCODING", "str"]):
        assert raw.cmd(*cmd) == NOT_HLL, cmd
    # An unknown encoding byte, a dense value of the wrong size, a header cut short.
    r.set("badenc", b"HYLL\x02" + b"\x00" * 11)
    r.set("short", b"HYLL\x00" + b"\x00" * 20)
    r.set("hdr", b"HYLL\x01\x00\x00")
    for key in ("badenc", "short", "hdr"):
        assert raw.cmd("PFCOUNT", key) == NOT_HLL
    # Sparse runs that do not cover the 16384 registers exactly.
    r.set("cs", b"HYLL\x01" + b"\x00" * 10 + b"\x80\x7f\xfe")
    assert raw.cmd("PFCOUNT", "cs") == CORRUPT
    # A write notices only the corruption on its way: this element lands in the first run.
    assert raw.cmd("PFADD", "cs", "foo") == b":1\r\n"
    assert raw.cmd("PFCOUNT", "cs", "cs") == CORRUPT
    assert raw.cmd("PFMERGE", "d", "cs") == CORRUPT
    assert not r.exists("d")
    assert raw.cmd("PFADD", "h") == b":0\r\n"
    assert raw.cmd("PFADD") == b"-ERR wrong number of arguments for 'pfadd' command\r\n"
    assert raw.cmd("PFCOUNT") == b"-ERR wrong number of arguments for 'pfcount' command\r\n"


def test_hostile_sparse_values_never_crash(raw, r):
    # Every single-byte and two-byte sparse body, and long runs of VAL opcodes past the end.
    bodies = [bytes([b]) for b in range(256)] + [bytes([0x7f, b]) for b in range(0, 256, 17)]
    bodies += [b"\xff" * 5000, b"\x7f\xff" * 3, b"\x00" * 20000]
    for i, body in enumerate(bodies):
        r.set("x", b"HYLL\x01" + b"\x00" * 10 + b"\x80" + body)
        for cmd in (["PFCOUNT", "x"], ["PFCOUNT", "x", "x"], ["PFADD", "x", "e%d" % i],
                    ["PFMERGE", "y", "x"], ["PFDEBUG", "DECODE", "x"], ["PFDEBUG", "TODENSE", "x"]):
            reply = raw.cmd(*cmd)
            assert reply[:1] in (b":", b"+", b"$", b"-"), (cmd, reply)
    assert raw.cmd("PING") == b"+PONG\r\n"


# ---- accuracy ---------------------------------------------------------------------------------

def test_error_over_a_million_elements(server, raw):
    """1M distinct elements in pipelined batches; the standard error of 16384 registers is 0.81%."""
    total, batch = 1000000, 10000
    conn = RawConn(server.host, server.port, timeout=60)
    try:
        for start in range(0, total, batch):
            conn.send("PFADD", "big", *["element:%d" % i for i in range(start, start + batch)])
        for _ in range(0, total, batch):
            assert conn.read_reply() in (b":1\r\n", b":0\r\n")
    finally:
        conn.close()
    count = int(raw.cmd("PFCOUNT", "big")[1:-2])
    error = (count - total) / total
    print("HLL estimate %d for %d distinct elements: error %.3f%%" % (count, total, error * 100))
    assert abs(error) < 0.02


# ---- events and persistence -------------------------------------------------------------------

def test_events(server, raw):
    assert raw.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"+OK\r\n"
    ev = Events(server)
    try:
        raw.cmd("PFADD", "k", "a")
        raw.cmd("PFADD", "k", "a")
        raw.cmd("PFCOUNT", "k")
        raw.cmd("PFMERGE", "k2", "k")
        assert ev.take() == both(0, "k", "pfadd") + both(0, "k2", "pfadd")
    finally:
        ev.close()
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")


@pytest.mark.skipif(IS_REDIS, reason="PairDB's write-ahead log")
def test_state_survives_kill(start_server):
    s = start_server("--appendonly", "yes", "--appendfsync", "always")
    c = s.client()
    c.pfadd("sp", *["s%d" % i for i in range(40)])
    c.pfadd("dn", *["d%d" % i for i in range(3000)])
    c.pfadd("cached", *["c%d" % i for i in range(500)])
    cached = c.pfcount("cached")
    assert abs(cached - 500) <= 10
    c.execute_command("PFDEBUG", "TODENSE", "sp")
    c.pfmerge("m", "sp", "dn")
    before = {k: c.get(k) for k in ("sp", "dn", "cached", "m")}
    # The cache PFCOUNT wrote is part of the value, and comes back too.
    assert header_card(before["cached"]) == (cached, True)
    c.close()
    s.crash_restart()
    c = s.client()
    assert {k: c.get(k) for k in before} == before
    assert c.pfcount("m") == c.pfcount("sp", "dn")
    c.close()


def test_pfselftest(raw):
    """The self-test runs the register packing and the estimator's error
    checks of this server's own code: OK, and nothing else changes."""
    assert raw.cmd("SET", "untouched", "v") == b"+OK\r\n"
    assert raw.cmd("PFSELFTEST") == b"+OK\r\n"
    assert raw.cmd("DBSIZE") == b":1\r\n"
    assert raw.cmd("PFSELFTEST", "extra") == \
        b"-ERR wrong number of arguments for 'pfselftest' command\r\n"
