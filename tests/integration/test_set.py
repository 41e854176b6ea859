"""Set commands, checked byte for byte against Redis 7.0.15 where replies are deterministic.

Unordered replies (hashtable sets, random picks) are compared as sets. Intset replies are
ordered (ascending), so they are compared exactly. Encodings (intset/hashtable) are checked at
the set-max-intset-entries threshold, lowered with CONFIG SET to keep the tests fast.
"""

import random

import pytest

from resp import bulk


WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"



def arr(items, head=b"*"):
    return head + b"%d\r\n" % len(items) + b"".join(bulk(i) for i in items)


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.encode()


def enc(raw, key):
    return raw.cmd("OBJECT", "ENCODING", key)


@pytest.fixture
def intset3(raw):
    """set-max-intset-entries 3 for the test, restored afterwards."""
    assert raw.cmd("CONFIG", "SET", "set-max-intset-entries", "3") == b"+OK\r\n"
    yield raw
    assert raw.cmd("CONFIG", "SET", "set-max-intset-entries", "512") == b"+OK\r\n"


# ---- basics --------------------------------------------------------------------------------

def test_set_sadd_srem_scard(raw):
    assert raw.cmd("SADD", "s", "a", "b", "a") == b":2\r\n"
    assert raw.cmd("SADD", "s", "b") == b":0\r\n"
    assert raw.cmd("SCARD", "s") == b":2\r\n"
    assert raw.cmd("SCARD", "nokey") == b":0\r\n"
    assert raw.cmd("SREM", "s", "x", "a", "a") == b":1\r\n"
    assert raw.cmd("SREM", "nokey", "a") == b":0\r\n"
    assert raw.cmd("SREM", "s", "b") == b":1\r\n"
    assert raw.cmd("EXISTS", "s") == b":0\r\n"
    assert raw.cmd("TYPE", "nokey") == b"+none\r\n"
    raw.cmd("SADD", "s", "1")
    assert raw.cmd("TYPE", "s") == b"+set\r\n"


def test_set_arity(raw):
    for cmd, args in [("sadd", ["k"]), ("srem", ["k"]), ("smembers", []), ("sismember", ["k"]),
                      ("smismember", ["k"]), ("scard", []), ("spop", []), ("srandmember", []),
                      ("smove", ["a", "b"]), ("sinter", []), ("sintercard", ["1"]),
                      ("sinterstore", ["d"]), ("sunion", []), ("sunionstore", ["d"]),
                      ("sdiff", []), ("sdiffstore", ["d"]), ("sscan", ["k"])]:
        assert raw.cmd(cmd, *args) == arity(cmd), cmd


def test_set_wrongtype(raw):
    raw.cmd("SET", "str", "x")
    raw.cmd("SADD", "s", "a")
    for args in [("SADD", "str", "a"), ("SREM", "str", "a"), ("SMEMBERS", "str"),
                 ("SISMEMBER", "str", "a"), ("SMISMEMBER", "str", "a"), ("SCARD", "str"),
                 ("SPOP", "str"), ("SPOP", "str", "2"), ("SRANDMEMBER", "str"),
                 ("SRANDMEMBER", "str", "2"), ("SMOVE", "str", "s", "a"),
                 ("SMOVE", "s", "str", "a"), ("SINTER", "s", "str"), ("SINTER", "nokey", "str"),
                 ("SINTERCARD", "2", "nokey", "str"), ("SINTERSTORE", "d", "nokey", "str"),
                 ("SUNION", "s", "str"), ("SUNIONSTORE", "d", "str"), ("SDIFF", "nokey", "str"),
                 ("SDIFFSTORE", "d", "s", "str"), ("SSCAN", "str", "0")]:
        assert raw.cmd(*args) == WRONGTYPE, args
    assert raw.cmd("SMEMBERS", "s") == arr(["a"])
    # a string destination of a STORE is simply overwritten
    assert raw.cmd("SUNIONSTORE", "str", "s") == b":1\r\n"
    assert raw.cmd("TYPE", "str") == b"+set\r\n"


def test_set_membership(raw, raw3):
    raw.cmd("SADD", "s", "a", "1", "b")
    assert raw.cmd("SISMEMBER", "s", "a") == b":1\r\n"
    assert raw.cmd("SISMEMBER", "s", "z") == b":0\r\n"
    assert raw.cmd("SISMEMBER", "nokey", "z") == b":0\r\n"
    assert raw.cmd("SMISMEMBER", "s", "a", "z", "1") == b"*3\r\n:1\r\n:0\r\n:1\r\n"
    assert raw.cmd("SMISMEMBER", "nokey", "a", "b") == b"*2\r\n:0\r\n:0\r\n"
    # RESP3: integers too, not booleans
    assert raw3.cmd("SISMEMBER", "s", "a") == b":1\r\n"
    assert raw3.cmd("SMISMEMBER", "s", "a", "z") == b"*2\r\n:1\r\n:0\r\n"


def test_set_smembers_intset_order_resp3(raw, raw3):
    raw.cmd("SADD", "s", "5", "-3", "100", "0")
    assert raw.cmd("SMEMBERS", "s") == arr(["-3", "0", "5", "100"])
    assert raw3.cmd("SMEMBERS", "s") == arr(["-3", "0", "5", "100"], b"~")
    assert raw.cmd("SMEMBERS", "nokey") == b"*0\r\n"
    assert raw3.cmd("SMEMBERS", "nokey") == b"~0\r\n"
    assert raw3.cmd("SINTER", "nokey", "s") == b"~0\r\n"
    assert raw3.cmd("SUNION", "nokey") == b"~0\r\n"
    assert raw3.cmd("SDIFF", "nokey") == b"~0\r\n"
    assert raw3.cmd("SINTER", "s", "s") == arr(["-3", "0", "5", "100"], b"~")


def test_set_int_members_roundtrip(r):
    vals = [b"0", b"-1", b"9223372036854775807", b"-9223372036854775808", b"01", b"+1", b"-0",
            b" 1", b"1.0", b"18446744073709551616", b"32767", b"32768", b"-2147483649"]
    assert r.sadd("s", *vals) == len(vals)
    assert r.smembers("s") == set(vals)
    for v in vals:
        assert r.sismember("s", v)


# ---- encodings -----------------------------------------------------------------------------

def test_set_encoding_thresholds(intset3):
    raw = intset3
    raw.cmd("SADD", "s", "1", "2", "3")
    assert enc(raw, "s") == bulk("intset")
    raw.cmd("SADD", "s", "3")
    assert enc(raw, "s") == bulk("intset")
    raw.cmd("SADD", "s", "4")
    assert enc(raw, "s") == bulk("hashtable")
    # never back to intset by removal
    raw.cmd("SREM", "s", "1", "2", "3")
    assert enc(raw, "s") == bulk("hashtable")
    # a non-integer member converts
    raw.cmd("SADD", "t", "1")
    assert enc(raw, "t") == bulk("intset")
    raw.cmd("SADD", "t", "01")
    assert enc(raw, "t") == bulk("hashtable")
    # the first member decides the initial encoding
    raw.cmd("SADD", "u", "a", "1")
    assert enc(raw, "u") == bulk("hashtable")
    raw.cmd("SADD", "v", "1", "a")
    assert enc(raw, "v") == bulk("hashtable")
    raw.cmd("SADD", "w", "-9223372036854775808")
    assert enc(raw, "w") == bulk("intset")
    raw.cmd("SADD", "x", "9223372036854775808")
    assert enc(raw, "x") == bulk("hashtable")


def test_set_encoding_store_results(intset3):
    raw = intset3
    raw.cmd("SADD", "h", "1", "2", "3", "4", "5", "a")
    raw.cmd("SADD", "i", "1", "2")
    assert enc(raw, "h") == bulk("hashtable")
    # results are built intset-first
    assert raw.cmd("SINTERSTORE", "d1", "h", "i") == b":2\r\n"
    assert enc(raw, "d1") == bulk("intset")
    assert raw.cmd("SDIFFSTORE", "d2", "h", "i") == b":4\r\n"
    assert enc(raw, "d2") == bulk("hashtable")
    raw.cmd("SREM", "h", "a")
    assert raw.cmd("SDIFFSTORE", "d3", "h", "i") == b":3\r\n"
    assert enc(raw, "d3") == bulk("intset")
    assert raw.cmd("SUNIONSTORE", "d4", "i") == b":2\r\n"
    assert enc(raw, "d4") == bulk("intset")
    assert raw.cmd("SUNIONSTORE", "d5", "h", "i") == b":5\r\n"
    assert enc(raw, "d5") == bulk("hashtable")
    # SMOVE into a missing key
    assert raw.cmd("SMOVE", "h", "m", "5") == b":1\r\n"
    assert enc(raw, "m") == bulk("intset")
    assert raw.cmd("SMOVE", "d2", "n", "a") == b":1\r\n"
    assert enc(raw, "n") == bulk("hashtable")


def test_set_encoding_spop_keeps_rest(intset3):
    raw = intset3
    raw.cmd("SADD", "s", *[str(i) for i in range(1, 11)])
    assert enc(raw, "s") == bulk("hashtable")
    rep = raw.cmdp("SPOP", "s", "9")
    assert len(rep) == 9
    # Redis moves the single survivor into a new set built intset-first
    assert enc(raw, "s") == bulk("intset")
    assert raw.cmd("SCARD", "s") == b":1\r\n"
    # few popped: the set is kept
    raw.cmd("SADD", "t", *[str(i) for i in range(1, 11)])
    assert len(raw.cmdp("SPOP", "t", "2")) == 2
    assert enc(raw, "t") == bulk("hashtable")


def test_set_encoding_restore(intset3, r):
    raw = intset3
    raw.cmd("SADD", "s", "1", "2", "3")
    payload = r.dump("s")
    raw.cmd("CONFIG", "SET", "set-max-intset-entries", "2")
    assert r.restore("s2", 0, payload)
    assert enc(raw, "s2") == bulk("hashtable")
    raw.cmd("CONFIG", "SET", "set-max-intset-entries", "3")
    assert r.restore("s3", 0, payload)
    assert enc(raw, "s3") == bulk("intset")
    assert r.smembers("s3") == {b"1", b"2", b"3"}


# ---- SPOP / SRANDMEMBER --------------------------------------------------------------------

def test_set_spop(raw, raw3, r):
    assert raw.cmd("SPOP", "nokey") == b"$-1\r\n"
    assert raw3.cmd("SPOP", "nokey") == b"_\r\n"
    assert raw.cmd("SPOP", "nokey", "3") == b"*0\r\n"
    assert raw3.cmd("SPOP", "nokey", "3") == b"~0\r\n"
    raw.cmd("SADD", "s", "a", "b", "c")
    assert raw.cmd("SPOP", "s", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert raw.cmd("SPOP", "s", "x") == b"-ERR value is out of range, must be positive\r\n"
    assert raw.cmd("SPOP", "s", "1", "2") == SYNTAX
    assert raw3.cmd("SPOP", "s", "0") == b"~0\r\n"
    assert raw.cmd("SPOP", "s", "0") == b"*0\r\n"
    got = r.spop("s")
    assert got in (b"a", b"b", b"c")
    assert set(r.spop("s", 5)) | {got} == {b"a", b"b", b"c"}
    assert r.exists("s") == 0
    raw.cmd("SADD", "i", "3", "1", "2")
    assert raw3.cmd("SPOP", "i", "10") == arr(["1", "2", "3"], b"~")
    assert r.exists("i") == 0
    raw.cmd("SADD", "one", "x")
    assert raw.cmd("SPOP", "one") == bulk("x")
    assert r.exists("one") == 0


def test_set_spop_count_strategies(r):
    for n, count in [(100, 10), (100, 90), (100, 99), (20, 19), (5, 4)]:
        members = {b"m%d" % i for i in range(n)}
        r.sadd("s", *members)
        popped = r.spop("s", count)
        assert len(popped) == count and len(set(popped)) == count
        rest = r.smembers("s")
        assert rest | set(popped) == members and not (rest & set(popped))
        r.delete("s")
        ints = {str(i).encode() for i in range(n)}
        r.sadd("t", *ints)
        popped = r.spop("t", count)
        assert len(set(popped)) == count
        assert r.smembers("t") | set(popped) == ints
        r.delete("t")


def test_set_srandmember(raw, raw3, r):
    assert raw.cmd("SRANDMEMBER", "nokey") == b"$-1\r\n"
    assert raw3.cmd("SRANDMEMBER", "nokey") == b"_\r\n"
    assert raw.cmd("SRANDMEMBER", "nokey", "5") == b"*0\r\n"
    assert raw3.cmd("SRANDMEMBER", "nokey", "5") == b"*0\r\n"
    raw.cmd("SADD", "t", "1", "2")
    assert raw.cmd("SRANDMEMBER", "t", "0") == b"*0\r\n"
    assert raw.cmd("SRANDMEMBER", "t", "x") == NOT_INT
    assert raw.cmd("SRANDMEMBER", "t", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and "
        b"9223372036854775807\r\n")
    assert raw.cmd("SRANDMEMBER", "t", "1", "2") == SYNTAX
    assert raw3.cmd("SRANDMEMBER", "t", "5") == arr(["1", "2"])
    assert raw.cmd("SRANDMEMBER", "t", "-3") in [
        b"*3\r\n" + bulk(a) + bulk(b) + bulk(c) for a in "12" for b in "12" for c in "12"]
    members = {b"m%d" % i for i in range(200)}
    r.sadd("s", *members)
    for count in (1, 10, 66, 67, 150, 199, 200, 500):
        got = r.srandmember("s", count)
        assert len(got) == min(count, 200) and len(set(got)) == len(got)
        assert set(got) <= members
    got = r.srandmember("s", -500)
    assert len(got) == 500 and set(got) <= members
    assert r.srandmember("s") in members
    assert r.scard("s") == 200


# ---- SMOVE ---------------------------------------------------------------------------------

def test_set_smove(raw, r):
    raw.cmd("SADD", "a", "x", "y")
    raw.cmd("SADD", "b", "y")
    assert raw.cmd("SMOVE", "a", "b", "z") == b":0\r\n"
    assert raw.cmd("SMOVE", "nokey", "b", "y") == b":0\r\n"
    assert raw.cmd("SMOVE", "a", "a", "x") == b":1\r\n"
    assert raw.cmd("SMOVE", "a", "a", "z") == b":0\r\n"
    assert raw.cmd("SMOVE", "a", "b", "y") == b":1\r\n"
    assert r.smembers("a") == {b"x"} and r.smembers("b") == {b"y"}
    assert raw.cmd("SMOVE", "a", "c", "x") == b":1\r\n"
    assert r.exists("a") == 0 and r.smembers("c") == {b"x"}


# ---- SINTER / SUNION / SDIFF ---------------------------------------------------------------

def test_set_algebra(r, raw):
    r.sadd("a", "1", "2", "3", "x", "y")
    r.sadd("b", "2", "3", "4", "y", "z")
    r.sadd("c", "3", "y", "q")
    assert r.sinter("a", "b") == {b"2", b"3", b"y"}
    assert r.sinter("a", "b", "c") == {b"3", b"y"}
    assert r.sinter("a") == r.smembers("a")
    assert r.sinter("a", "nokey") == set()
    assert r.sunion("a", "nokey", "c") == {b"1", b"2", b"3", b"x", b"y", b"q"}
    assert r.sdiff("a", "b") == {b"1", b"x"}
    assert r.sdiff("a", "b", "c") == {b"1", b"x"}
    assert r.sdiff("a", "nokey") == r.smembers("a")
    assert r.sdiff("a", "a") == set()
    assert r.sdiff("nokey", "a") == set()
    assert raw.cmd("SINTERCARD", "2", "a", "b") == b":3\r\n"
    assert raw.cmd("SINTERCARD", "2", "a", "b", "LIMIT", "2") == b":2\r\n"
    assert raw.cmd("SINTERCARD", "2", "a", "b", "limit", "0") == b":3\r\n"
    assert raw.cmd("SINTERCARD", "2", "a", "nokey") == b":0\r\n"
    assert raw.cmd("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "10") == b":5\r\n"


def test_set_sintercard_errors(raw):
    raw.cmd("SADD", "a", "1")
    assert raw.cmd("SINTERCARD", "0", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.cmd("SINTERCARD", "x", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.cmd("SINTERCARD", "-1", "a") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.cmd("SINTERCARD", "2", "a") == \
        b"-ERR Number of keys can't be greater than number of args\r\n"
    assert raw.cmd("SINTERCARD", "1", "a", "LIMIT", "-1") == b"-ERR LIMIT can't be negative\r\n"
    assert raw.cmd("SINTERCARD", "1", "a", "LIMIT", "x") == b"-ERR LIMIT can't be negative\r\n"
    assert raw.cmd("SINTERCARD", "1", "a", "LIMIT") == SYNTAX
    assert raw.cmd("SINTERCARD", "1", "a", "FOO", "1") == SYNTAX
    assert raw.cmd("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1") == \
        arr(["a", "b"])


def test_set_store_commands(raw, r):
    r.sadd("a", "1", "2", "x")
    r.sadd("b", "2", "x", "y")
    r.set("d", "old")
    r.expire("d", 100)
    assert raw.cmd("SINTERSTORE", "d", "a", "b") == b":2\r\n"
    assert r.smembers("d") == {b"2", b"x"} and r.ttl("d") == -1
    assert raw.cmd("SUNIONSTORE", "d", "a", "b") == b":4\r\n"
    assert raw.cmd("SDIFFSTORE", "d", "a", "b") == b":1\r\n"
    assert r.smembers("d") == {b"1"}
    # the destination may be one of the sources
    assert raw.cmd("SUNIONSTORE", "a", "a", "b") == b":4\r\n"
    assert r.smembers("a") == {b"1", b"2", b"x", b"y"}
    # empty results delete the destination
    assert raw.cmd("SINTERSTORE", "d", "a", "nokey") == b":0\r\n"
    assert r.exists("d") == 0
    r.sadd("d", "z")
    assert raw.cmd("SDIFFSTORE", "d", "a", "a") == b":0\r\n"
    assert r.exists("d") == 0
    r.sadd("d", "z")
    assert raw.cmd("SUNIONSTORE", "d", "nokey") == b":0\r\n"
    assert r.exists("d") == 0
    r.sadd("d", "z")
    assert raw.cmd("SINTERSTORE", "d", "a", "nokey2") == b":0\r\n"
    assert r.exists("d") == 0


# ---- SSCAN ---------------------------------------------------------------------------------

def test_set_sscan(raw, r):
    assert raw.cmd("SSCAN", "nokey", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert raw.cmd("SSCAN", "nokey", "0", "COUNT", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert raw.cmd("SSCAN", "nokey", "x") == b"-ERR invalid cursor\r\n"
    r.sadd("i", "3", "1", "20", "2")
    assert raw.cmd("SSCAN", "i", "0") == b"*2\r\n$1\r\n0\r\n" + arr(["1", "2", "3", "20"])
    assert raw.cmd("SSCAN", "i", "0", "MATCH", "2*") == b"*2\r\n$1\r\n0\r\n" + arr(["2", "20"])
    assert raw.cmd("SSCAN", "i", "0", "COUNT", "0") == SYNTAX
    assert raw.cmd("SSCAN", "i", "0", "COUNT", "x") == NOT_INT
    assert raw.cmd("SSCAN", "i", "0", "COUNT") == SYNTAX
    assert raw.cmd("SSCAN", "i", "0", "TYPE", "string") == SYNTAX
    assert raw.cmd("SSCAN", "i", " 1") == b"-ERR invalid cursor\r\n"
    assert raw.cmd("SSCAN", "i", "") == b"*2\r\n$1\r\n0\r\n" + arr(["1", "2", "3", "20"])
    members = {b"m%d" % i for i in range(1000)}
    r.sadd("h", *members)
    seen, cursor, calls = set(), 0, 0
    while True:
        cursor, items = r.sscan("h", cursor, count=50)
        seen |= set(items)
        calls += 1
        if cursor == 0:
            break
    assert seen == members and calls > 5
    seen = set()
    for m in r.sscan_iter("h", match="m1*", count=100):
        seen.add(m)
    assert seen == {m for m in members if m.startswith(b"m1")}


# ---- DUMP / RESTORE / COPY / MEMORY --------------------------------------------------------

def test_set_dump_restore_copy(r, raw):
    r.sadd("h", "a", "b", "1")
    r.sadd("i", "1", "-5", "70000")
    for k in ("h", "i"):
        payload = r.dump(k)
        assert r.restore(k + "2", 0, payload)
        assert r.smembers(k + "2") == r.smembers(k)
        assert enc(raw, k + "2") == enc(raw, k)
        bad = bytearray(payload)
        bad[3] ^= 0xFF
        assert raw.cmd("RESTORE", k + "3", "0", bytes(bad)).startswith(b"-ERR")
        assert r.exists(k + "3") == 0
    assert r.copy("h", "hc")
    r.sadd("hc", "zz")
    assert r.smembers("h") == {b"a", b"b", b"1"}
    assert r.copy("i", "ic")
    r.srem("ic", "1")
    assert r.scard("i") == 3
    assert r.delete("h", "i", "hc", "ic") == 4


# ---- random differential check against a Python model --------------------------------------

def test_set_random_model(intset3, r):
    raw = intset3
    rng = random.Random(1234)
    keys = ["k0", "k1", "k2", "k3"]
    model = {k: set() for k in keys}
    pool = [str(i).encode() for i in range(-3, 8)] + [b"a", b"b", b"c", b"07"]
    for step in range(2000):
        op = rng.randrange(10)
        k, k2 = rng.choice(keys), rng.choice(keys)
        ms = rng.sample(pool, rng.randrange(1, 4))
        ctx = "seed 1234 step %d op %d" % (step, op)
        if op == 0:
            assert r.sadd(k, *ms) == len(set(ms) - model[k]), ctx
            model[k] |= set(ms)
        elif op == 1:
            assert r.srem(k, *ms) == len(set(ms) & model[k]), ctx
            model[k] -= set(ms)
        elif op == 2:
            assert r.smove(k, k2, ms[0]) == (ms[0] in model[k]), ctx
            if ms[0] in model[k]:
                model[k].discard(ms[0])
                model[k2].add(ms[0])
        elif op == 3:
            got = r.spop(k, rng.randrange(0, 4))
            assert set(got) <= model[k], ctx
            model[k] -= set(got)
        elif op == 4:
            d = rng.choice(keys)
            assert r.sinterstore(d, k, k2) == len(model[k] & model[k2]), ctx
            model[d] = model[k] & model[k2]
        elif op == 5:
            d = rng.choice(keys)
            assert r.sunionstore(d, k, k2) == len(model[k] | model[k2]), ctx
            model[d] = model[k] | model[k2]
        elif op == 6:
            d = rng.choice(keys)
            assert r.sdiffstore(d, k, k2) == len(model[k] - model[k2]), ctx
            model[d] = model[k] - model[k2]
        elif op == 7:
            assert r.sinter(k, k2) == model[k] & model[k2], ctx
            assert r.sunion(k, k2) == model[k] | model[k2], ctx
            assert r.sdiff(k, k2) == model[k] - model[k2], ctx
        elif op == 8:
            assert r.smismember(k, ms) == [int(m in model[k]) for m in ms], ctx
        else:
            assert r.scard(k) == len(model[k]), ctx
        for key in keys:
            assert r.exists(key) == (len(model[key]) > 0), ctx
        if step % 50 == 0:
            for key in keys:
                assert r.smembers(key) == model[key], ctx
                if model[key]:
                    ints = all(m == str(int(m)).encode() if m.lstrip(b"-").isdigit() else False
                               for m in model[key])
                    e = enc(raw, key)
                    if not ints or len(model[key]) > 3:
                        assert e == bulk("hashtable"), ctx
