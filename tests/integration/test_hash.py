"""Hash commands checked byte for byte against Redis 7.0: every command and its errors, RESP2 and
RESP3 shapes, listpack -> hashtable conversions at the thresholds, HRANDFIELD and HSCAN
properties, DUMP/RESTORE, and a seeded random-operation differential check against a Python
model in both encodings.

Thresholds are lowered with CONFIG SET to keep tests fast; the `small_hash` fixture restores the
defaults so other tests see them unchanged.
"""

import random

import pytest

from resp import bulk


WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
OVERFLOW = b"-ERR increment or decrement would overflow\r\n"
NULL2 = b"$-1\r\n"



def arr(*items, mark=b"*"):
    return mark + b"%d\r\n" % len(items) + b"".join(bulk(i) for i in items)


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.encode()


def encoding(raw, key):
    return raw.cmd("OBJECT", "ENCODING", key)


@pytest.fixture
def small_hash(raw):
    """Thresholds of 4 entries and 8 bytes; previous values restored afterwards."""
    old = [raw.cmd("CONFIG", "GET", name).split(b"\r\n")[-2]
           for name in ("hash-max-listpack-entries", "hash-max-listpack-value")]
    assert raw.cmd("CONFIG", "SET", "hash-max-listpack-entries", "4") == b"+OK\r\n"
    assert raw.cmd("CONFIG", "SET", "hash-max-listpack-value", "8") == b"+OK\r\n"
    yield raw
    raw.cmd("CONFIG", "SET", "hash-max-listpack-entries", old[0])
    raw.cmd("CONFIG", "SET", "hash-max-listpack-value", old[1])


# ---- basic reads and writes ------------------------------------------------------------------

def test_hash_set_get_basic(raw):
    assert raw.cmd("HSET", "h", "f1", "v1", "f2", "v2") == b":2\r\n"
    assert raw.cmd("HSET", "h", "f1", "x", "f3", "v3") == b":1\r\n"
    assert raw.cmd("HGET", "h", "f1") == bulk("x")
    assert raw.cmd("HGET", "h", "nofield") == NULL2
    assert raw.cmd("HGET", "nokey", "f") == NULL2
    assert raw.cmd("HLEN", "h") == b":3\r\n"
    assert raw.cmd("HLEN", "nokey") == b":0\r\n"
    assert raw.cmd("HMGET", "h", "f1", "zz", "f3") == b"*3\r\n$1\r\nx\r\n$-1\r\n$2\r\nv3\r\n"
    assert raw.cmd("HMGET", "nokey", "a", "b") == b"*2\r\n$-1\r\n$-1\r\n"
    assert raw.cmd("HMSET", "h", "f4", "v4") == b"+OK\r\n"
    assert raw.cmd("HEXISTS", "h", "f4") == b":1\r\n"
    assert raw.cmd("HEXISTS", "h", "f5") == b":0\r\n"
    assert raw.cmd("HEXISTS", "nokey", "f5") == b":0\r\n"
    assert raw.cmd("HSTRLEN", "h", "f2") == b":2\r\n"
    assert raw.cmd("HSTRLEN", "h", "nof") == b":0\r\n"
    assert raw.cmd("HSTRLEN", "nokey", "nof") == b":0\r\n"
    assert raw.cmd("TYPE", "h") == b"+hash\r\n"
    assert encoding(raw, "h") == bulk("listpack")


def test_hash_integers_and_empty_strings(raw):
    # Canonical integers are stored as integers in the listpack; replies are the same text.
    assert raw.cmd("HSET", "h", "123", "-45", "", "", "007", "9223372036854775807") == b":3\r\n"
    assert raw.cmd("HGET", "h", "123") == bulk("-45")
    assert raw.cmd("HGET", "h", "") == bulk("")
    assert raw.cmd("HSTRLEN", "h", "123") == b":3\r\n"
    assert raw.cmd("HSTRLEN", "h", "007") == b":19\r\n"
    assert raw.cmd("HGETALL", "h") == arr("123", "-45", "", "", "007", "9223372036854775807")
    assert raw.cmd("HSET", "h", "123", "abc") == b":0\r\n"
    assert raw.cmd("HGET", "h", "123") == bulk("abc")


def test_hash_hsetnx(raw):
    assert raw.cmd("HSETNX", "h", "f", "v") == b":1\r\n"
    assert raw.cmd("HSETNX", "h", "f", "w") == b":0\r\n"
    assert raw.cmd("HGET", "h", "f") == bulk("v")
    assert raw.cmd("HSETNX", "h", "g", "w") == b":1\r\n"
    assert raw.cmd("HLEN", "h") == b":2\r\n"


def test_hash_hdel_deletes_key(raw):
    raw.cmd("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert raw.cmd("HDEL", "h", "a", "a", "zz") == b":1\r\n"
    assert raw.cmd("HDEL", "nokey", "a") == b":0\r\n"
    assert raw.cmd("HDEL", "h", "b", "c", "d") == b":2\r\n"
    assert raw.cmd("EXISTS", "h") == b":0\r\n"
    assert raw.cmd("TYPE", "h") == b"+none\r\n"


def test_hash_getall_keys_vals(raw):
    assert raw.cmd("HGETALL", "nokey") == b"*0\r\n"
    assert raw.cmd("HKEYS", "nokey") == b"*0\r\n"
    assert raw.cmd("HVALS", "nokey") == b"*0\r\n"
    raw.cmd("HSET", "h", "a", "1", "b", "x", "c", "3")
    assert raw.cmd("HGETALL", "h") == arr("a", "1", "b", "x", "c", "3")
    assert raw.cmd("HKEYS", "h") == arr("a", "b", "c")
    assert raw.cmd("HVALS", "h") == arr("1", "x", "3")


def test_hash_resp3_shapes(raw3):
    raw = raw3
    assert raw.cmd("HGETALL", "nokey") == b"%0\r\n"
    assert raw.cmd("HKEYS", "nokey") == b"*0\r\n"
    assert raw.cmd("HGET", "nokey", "f") == b"_\r\n"
    raw.cmd("HSET", "h", "a", "1", "b", "2")
    assert raw.cmd("HGETALL", "h") == b"%2\r\n" + bulk("a") + bulk("1") + bulk("b") + bulk("2")
    assert raw.cmd("HMGET", "h", "a", "zz") == b"*2\r\n$1\r\n1\r\n_\r\n"
    assert raw.cmd("HEXISTS", "h", "a") == b":1\r\n"
    assert raw.cmd("HRANDFIELD", "nokey") == b"_\r\n"
    assert raw.cmd("HRANDFIELD", "h", "5", "WITHVALUES") == (
        b"*2\r\n*2\r\n" + bulk("a") + bulk("1") + b"*2\r\n" + bulk("b") + bulk("2"))
    assert raw.cmd("HSCAN", "h", "0") == b"*2\r\n$1\r\n0\r\n" + arr("a", "1", "b", "2")
    assert raw.cmd("HINCRBYFLOAT", "h", "a", "0.5") == bulk("1.5")


def test_hash_arity_errors(raw):
    cases = {
        "hset": ("h", "f"), "hmset": ("h", "f"), "hsetnx": ("h", "f"), "hget": ("h",),
        "hmget": ("h",), "hdel": ("h",), "hlen": (), "hstrlen": ("h",), "hexists": ("h",),
        "hkeys": (), "hvals": (), "hgetall": (), "hincrby": ("h", "f"),
        "hincrbyfloat": ("h", "f"), "hrandfield": (), "hscan": ("h",),
    }
    for cmd, args in cases.items():
        assert raw.cmd(cmd.upper(), *args) == arity(cmd), cmd
    # HSET/HMSET need whole pairs.
    assert raw.cmd("HSET", "h", "a", "1", "b") == arity("hset")
    assert raw.cmd("HMSET", "h", "a", "1", "b") == arity("hmset")
    assert raw.cmd("EXISTS", "h") == b":0\r\n"


def test_hash_wrongtype(raw):
    raw.cmd("SET", "s", "x")
    for args in (("HSET", "s", "f", "v"), ("HMSET", "s", "f", "v"), ("HSETNX", "s", "f", "v"),
                 ("HGET", "s", "f"), ("HMGET", "s", "f"), ("HDEL", "s", "f"), ("HLEN", "s"),
                 ("HSTRLEN", "s", "f"), ("HEXISTS", "s", "f"), ("HKEYS", "s"), ("HVALS", "s"),
                 ("HGETALL", "s"), ("HINCRBY", "s", "f", "1"), ("HINCRBYFLOAT", "s", "f", "1"),
                 ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "2"), ("HSCAN", "s", "0")):
        assert raw.cmd(*args) == WRONGTYPE, args
    raw.cmd("HSET", "h", "f", "v")
    assert raw.cmd("GET", "h") == WRONGTYPE
    assert raw.cmd("GET", "s") == bulk("x")


# ---- counters ----------------------------------------------------------------------------------

def test_hash_hincrby(raw):
    assert raw.cmd("HINCRBY", "h", "n", "5") == b":5\r\n"
    assert raw.cmd("HINCRBY", "h", "n", "-7") == b":-2\r\n"
    assert raw.cmd("HGET", "h", "n") == bulk("-2")
    assert raw.cmd("HINCRBY", "h", "n", "x") == NOT_INT
    assert raw.cmd("HINCRBY", "h", "n", "1.5") == NOT_INT
    assert raw.cmd("HINCRBY", "nokey", "n", "x") == NOT_INT
    assert raw.cmd("EXISTS", "nokey") == b":0\r\n"
    raw.cmd("HSET", "h", "s", "abc", "sp", " 1", "big", "9223372036854775807")
    assert raw.cmd("HINCRBY", "h", "s", "1") == b"-ERR hash value is not an integer\r\n"
    assert raw.cmd("HINCRBY", "h", "sp", "1") == b"-ERR hash value is not an integer\r\n"
    assert raw.cmd("HINCRBY", "h", "big", "1") == OVERFLOW
    assert raw.cmd("HINCRBY", "h", "big", "-9223372036854775807") == b":0\r\n"
    raw.cmd("HSET", "h", "min", "-9223372036854775808")
    assert raw.cmd("HINCRBY", "h", "min", "-1") == OVERFLOW
    assert raw.cmd("HINCRBY", "h", "min", "0") == b":-9223372036854775808\r\n"


def test_hash_hincrbyfloat(raw):
    assert raw.cmd("HINCRBYFLOAT", "h", "f", "10.50") == bulk("10.5")
    assert raw.cmd("HINCRBYFLOAT", "h", "f", "0.25") == bulk("10.75")
    assert raw.cmd("HINCRBYFLOAT", "h", "f", "5.0e3") == bulk("5010.75")
    assert raw.cmd("HINCRBYFLOAT", "h", "f", "-5010.75") == bulk("0")
    assert raw.cmd("HINCRBYFLOAT", "h", "t", "0.1") == bulk("0.1")
    assert raw.cmd("HINCRBYFLOAT", "h", "t", "0.2") == bulk("0.3")
    assert raw.cmd("HINCRBYFLOAT", "h", "i", "3") == bulk("3")
    assert raw.cmd("HINCRBYFLOAT", "h", "i", "-0.25") == bulk("2.75")
    assert raw.cmd("HINCRBYFLOAT", "h", "f", "abc") == NOT_FLOAT
    assert raw.cmd("HINCRBYFLOAT", "h", "f", "inf") == b"-ERR value is NaN or Infinity\r\n"
    assert raw.cmd("HINCRBYFLOAT", "h", "f", "nan") == NOT_FLOAT
    raw.cmd("HSET", "h", "s", "abc", "sp", " 1", "e", "")
    for f in ("s", "sp", "e"):
        assert raw.cmd("HINCRBYFLOAT", "h", f, "1") == b"-ERR hash value is not a float\r\n"
    raw.cmd("HSET", "h", "huge", "1.1e4932")
    assert raw.cmd("HINCRBYFLOAT", "h", "huge", "1e4932") == (
        b"-ERR increment would produce NaN or Infinity\r\n")
    raw.cmd("HSET", "h", "x", "1.5e3")
    assert raw.cmd("HINCRBYFLOAT", "h", "x", "1") == bulk("1501")
    assert raw.cmd("HINCRBYFLOAT", "nokey", "f", "x") == NOT_FLOAT
    assert raw.cmd("EXISTS", "nokey") == b":0\r\n"


# ---- encodings -----------------------------------------------------------------------------

def test_hash_encoding_entries_threshold(small_hash):
    raw = small_hash
    raw.cmd("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
    assert encoding(raw, "h") == bulk("listpack")
    assert raw.cmd("HSET", "h", "a", "9") == b":0\r\n"   # an update does not convert
    assert encoding(raw, "h") == bulk("listpack")
    assert raw.cmd("HSET", "h", "e", "5") == b":1\r\n"
    assert encoding(raw, "h") == bulk("hashtable")
    assert raw.cmd("HGETALL", "h").count(b"$") == 10
    # Never converts back.
    raw.cmd("HDEL", "h", "a", "b", "c", "d")
    assert encoding(raw, "h") == bulk("hashtable")
    assert raw.cmd("HGETALL", "h") == arr("e", "5")
    # One HSET with more pairs than the limit.
    raw.cmd("HSET", "h2", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
    assert encoding(raw, "h2") == bulk("hashtable")
    # HSETNX and HINCRBY add fields too.
    raw.cmd("HSET", "h3", "a", "1", "b", "2", "c", "3", "d", "4")
    raw.cmd("HSETNX", "h3", "e", "5")
    assert encoding(raw, "h3") == bulk("hashtable")
    raw.cmd("HSET", "h4", "a", "1", "b", "2", "c", "3", "d", "4")
    raw.cmd("HINCRBY", "h4", "e", "5")
    assert encoding(raw, "h4") == bulk("hashtable")
    assert raw.cmd("HGET", "h4", "e") == bulk("5")


def test_hash_encoding_value_threshold(small_hash):
    raw = small_hash
    raw.cmd("HSET", "h", "f", "12345678")           # exactly 8 bytes: stays
    assert encoding(raw, "h") == bulk("listpack")
    raw.cmd("HSET", "h", "g", "123456789")          # 9 bytes: converts
    assert encoding(raw, "h") == bulk("hashtable")
    raw.cmd("HSET", "k", "fieldname9", "v")         # long field, new key
    assert encoding(raw, "k") == bulk("hashtable")
    raw.cmd("HSET", "k2", "a", "1")
    raw.cmd("HSETNX", "k2", "b", "longvalue")
    assert encoding(raw, "k2") == bulk("hashtable")
    # HSETNX on an existing field converts nothing.
    raw.cmd("HSET", "k3", "a", "1")
    assert raw.cmd("HSETNX", "k3", "a", "longvalue") == b":0\r\n"
    assert encoding(raw, "k3") == bulk("listpack")
    # A long argument converts even when it updates nothing new (HSET checks all args first).
    raw.cmd("HSET", "k4", "a", "1")
    raw.cmd("HSET", "k4", "a", "longvalue1")
    assert encoding(raw, "k4") == bulk("hashtable")
    # HINCRBY on a long field name.
    raw.cmd("HSET", "k5", "a", "1")
    raw.cmd("HINCRBY", "k5", "longfieldname", "1")
    assert encoding(raw, "k5") == bulk("hashtable")
    # HINCRBYFLOAT producing a long value.
    raw.cmd("HSET", "k6", "a", "1")
    assert raw.cmd("HINCRBYFLOAT", "k6", "a", "0.123456789") == bulk("1.123456789")
    assert encoding(raw, "k6") == bulk("hashtable")
    assert raw.cmd("HGET", "k6", "a") == bulk("1.123456789")


def test_hash_hashtable_commands(small_hash):
    raw = small_hash
    n = 50
    args = []
    for i in range(n):
        args += ["field%d" % i, "value%d" % i]
    assert raw.cmd("HSET", "h", *args) == b":%d\r\n" % n
    assert encoding(raw, "h") == bulk("hashtable")
    assert raw.cmd("HLEN", "h") == b":%d\r\n" % n
    assert raw.cmd("HGET", "h", "field7") == bulk("value7")
    assert raw.cmd("HSTRLEN", "h", "field17") == b":7\r\n"
    assert raw.cmd("HSET", "h", "field7", "x") == b":0\r\n"
    assert raw.cmd("HSET", "h", "field8", "a much longer value than before") == b":0\r\n"
    assert raw.cmd("HGET", "h", "field7") == bulk("x")
    assert raw.cmd("HGET", "h", "field8") == bulk("a much longer value than before")
    assert raw.cmd("HINCRBY", "h", "cnt", "3") == b":3\r\n"
    assert raw.cmd("HINCRBY", "h", "cnt", "3") == b":6\r\n"
    assert raw.cmd("HDEL", "h", "field1", "field2", "nope") == b":2\r\n"
    assert raw.cmd("HEXISTS", "h", "field1") == b":0\r\n"
    assert raw.cmd("HLEN", "h") == b":%d\r\n" % (n - 1)
    keys = [f for f in range(n) if f not in (1, 2)]
    all_fields = raw.cmd("HKEYS", "h")
    for i in keys:
        assert bulk("field%d" % i) in all_fields
    args = ["field%d" % i for i in range(n)] + ["cnt"]
    assert raw.cmd("HDEL", "h", *args) == b":%d\r\n" % (n - 1)
    assert raw.cmd("EXISTS", "h") == b":0\r\n"


# ---- HRANDFIELD ------------------------------------------------------------------------------

def test_hash_hrandfield_errors(raw):
    raw.cmd("HSET", "h", "a", "1")
    assert raw.cmd("HRANDFIELD", "h", "x") == NOT_INT
    assert raw.cmd("HRANDFIELD", "h", "1", "WITHSCORES") == SYNTAX
    assert raw.cmd("HRANDFIELD", "h", "1", "WITHVALUES", "x") == SYNTAX
    assert raw.cmd("HRANDFIELD", "h", "-9223372036854775808") == (
        b"-ERR value is out of range, value must between -9223372036854775807 and "
        b"9223372036854775807\r\n")
    assert raw.cmd("HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES") == (
        b"-ERR value is out of range\r\n")
    assert raw.cmd("HRANDFIELD", "nokey", "x") == NOT_INT
    assert raw.cmd("HRANDFIELD", "nokey") == NULL2
    assert raw.cmd("HRANDFIELD", "nokey", "3") == b"*0\r\n"
    assert raw.cmd("HRANDFIELD", "nokey", "-3", "withvalues") == b"*0\r\n"
    assert raw.cmd("HRANDFIELD", "h", "0") == b"*0\r\n"
    assert raw.cmd("HRANDFIELD", "h", "0", "WITHVALUES") == b"*0\r\n"


@pytest.mark.parametrize("size", [3, 40])
def test_hash_hrandfield_counts(r, size):
    old = list(r.config_get("hash-max-listpack-entries").values())[0]
    r.config_set("hash-max-listpack-entries", 16)
    try:
        h = {b"f%d" % i: b"v%d" % i for i in range(size)}
        r.hset("h", mapping=h)
        enc = b"listpack" if size <= 16 else b"hashtable"
        assert r.object("encoding", "h") == enc
        for _ in range(20):
            assert r.hrandfield("h") in h
        for count in (1, 2, size - 1, size, size + 5, 13):
            got = r.hrandfield("h", count)
            assert len(got) == min(count, size)
            assert len(set(got)) == len(got)
            assert set(got) <= set(h)
            pairs = r.hrandfield("h", count, withvalues=True)
            assert len(pairs) == 2 * min(count, size)
            for i in range(0, len(pairs), 2):
                assert h[pairs[i]] == pairs[i + 1]
        got = r.hrandfield("h", -(size * 4))
        assert len(got) == size * 4 and set(got) <= set(h)
        pairs = r.hrandfield("h", -7, withvalues=True)
        assert len(pairs) == 14
        for i in range(0, 14, 2):
            assert h[pairs[i]] == pairs[i + 1]
        # Every field shows up eventually.
        seen = set()
        for _ in range(200):
            seen.update(r.hrandfield("h", -5))
        assert seen == set(h)
    finally:
        r.config_set("hash-max-listpack-entries", old)


def test_hash_hrandfield_resp3(raw3):
    raw3.cmd("HSET", "h", "a", "1")
    assert raw3.cmd("HRANDFIELD", "h", "-2", "WITHVALUES") == (
        b"*2\r\n" + (b"*2\r\n" + bulk("a") + bulk("1")) * 2)
    assert raw3.cmd("HRANDFIELD", "h", "-2") == arr("a", "a")
    assert raw3.cmd("HRANDFIELD", "h") == bulk("a")


# ---- HSCAN -----------------------------------------------------------------------------------

def test_hash_hscan_errors(raw):
    raw.cmd("HSET", "h", "a", "1")
    assert raw.cmd("HSCAN", "h", "abc") == b"-ERR invalid cursor\r\n"
    assert raw.cmd("HSCAN", "nokey", "abc") == b"-ERR invalid cursor\r\n"
    assert raw.cmd("HSCAN", "h", "0", "COUNT", "0") == SYNTAX
    assert raw.cmd("HSCAN", "h", "0", "COUNT", "x") == NOT_INT
    assert raw.cmd("HSCAN", "h", "0", "MATCH") == SYNTAX
    assert raw.cmd("HSCAN", "h", "0", "TYPE", "string") == SYNTAX
    assert raw.cmd("HSCAN", "h", "0", "FOO", "bar") == SYNTAX
    # A missing key replies an empty scan before looking at the options.
    assert raw.cmd("HSCAN", "nokey", "0", "COUNT", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    assert raw.cmd("HSCAN", "nokey", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_hash_hscan_listpack(raw):
    raw.cmd("HSET", "h", "a1", "1", "b1", "2", "a2", "3")
    assert raw.cmd("HSCAN", "h", "0") == b"*2\r\n$1\r\n0\r\n" + arr("a1", "1", "b1", "2", "a2", "3")
    # Any cursor, COUNT ignored: everything at once.
    assert raw.cmd("HSCAN", "h", "123", "COUNT", "1") == (
        b"*2\r\n$1\r\n0\r\n" + arr("a1", "1", "b1", "2", "a2", "3"))
    assert raw.cmd("HSCAN", "h", "0", "MATCH", "a*") == b"*2\r\n$1\r\n0\r\n" + arr("a1", "1", "a2", "3")
    assert raw.cmd("HSCAN", "h", "0", "MATCH", "zz*") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_hash_hscan_hashtable(r):
    old = list(r.config_get("hash-max-listpack-entries").values())[0]
    r.config_set("hash-max-listpack-entries", 8)
    try:
        h = {b"k%d" % i: b"v%d" % i for i in range(500)}
        r.hset("h", mapping=h)
        assert r.object("encoding", "h") == b"hashtable"
        seen = {}
        cursor = 0
        calls = 0
        while True:
            cursor, part = r.hscan("h", cursor, count=20)
            seen.update(part)
            calls += 1
            if cursor == 0:
                break
        assert seen == h
        assert calls > 5
        seen = {}
        cursor = 0
        while True:
            cursor, part = r.hscan("h", cursor, match="k1*", count=50)
            seen.update(part)
            if cursor == 0:
                break
        assert seen == {k: v for k, v in h.items() if k.startswith(b"k1")}
    finally:
        r.config_set("hash-max-listpack-entries", old)


# ---- keyspace integration ----------------------------------------------------------------

def test_hash_dump_restore_copy(small_hash):
    raw = small_hash
    raw.cmd("HSET", "small", "a", "1", "b", "2")
    raw.cmd("HSET", "big", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
    for key, enc in (("small", "listpack"), ("big", "hashtable")):
        dump = raw.cmd("DUMP", key)
        assert dump.startswith(b"$")
        payload = dump[dump.index(b"\r\n") + 2:-2]
        assert raw.cmd("RESTORE", key + "2", "0", payload) == b"+OK\r\n"
        assert encoding(raw, key + "2") == bulk(enc)
        assert sorted(raw.cmd("HGETALL", key + "2").split(b"\r\n")) == sorted(
            raw.cmd("HGETALL", key).split(b"\r\n"))
        assert raw.cmd("COPY", key, key + "3") == b":1\r\n"
        raw.cmd("HSET", key + "3", "a", "changed")
        assert raw.cmd("HGET", key, "a") == bulk("1")
        assert raw.cmd("HGET", key + "3", "a") == bulk("changed")
    assert raw.cmd("RENAME", "big", "big4") == b"+OK\r\n"
    assert raw.cmd("HGET", "big4", "e") == bulk("5")
    assert raw.cmd("DEL", "big4", "small", "small2") == b":3\r\n"


def test_hash_memory_usage(small_hash):
    raw = small_hash
    raw.cmd("HSET", "small", "a", "1", "b", "2")
    raw.cmd("HSET", "big", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
    usage = raw.cmd("MEMORY", "USAGE", "small")
    if usage.startswith(b"-ERR unknown command"):
        pytest.skip("MEMORY is not implemented")
    assert usage.startswith(b":") and int(usage[1:-2]) > 0
    usage_big = raw.cmd("MEMORY", "USAGE", "big")
    assert int(usage_big[1:-2]) > int(usage[1:-2])


def test_hash_expire_and_overwrite(raw):
    raw.cmd("HSET", "h", "a", "1")
    assert raw.cmd("EXPIRE", "h", "100") == b":1\r\n"
    raw.cmd("HSET", "h", "b", "2")
    assert int(raw.cmd("TTL", "h")[1:-2]) > 90   # writes keep the TTL
    assert raw.cmd("SET", "h", "x") == b"+OK\r\n"
    assert raw.cmd("TYPE", "h") == b"+string\r\n"


# ---- random differential check against a model --------------------------------------------

@pytest.mark.parametrize("entries", [512, 4])
def test_hash_random_ops_model(r, entries):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    old = list(r.config_get("hash-max-listpack-entries").values())[0]
    r.config_set("hash-max-listpack-entries", entries)
    try:
        model = {}
        fields = [b"f%d" % i for i in range(12)] + [b"1", b"-2", b""]
        for step in range(1500):
            key = b"h%d" % rng.randrange(3)
            h = model.setdefault(key, {})
            op = rng.randrange(9)
            f = rng.choice(fields)
            ctx = "seed=%d step=%d" % (seed, step)
            if op <= 2:
                v = rng.choice([b"v", b"%d" % rng.randrange(-50, 50), b"x" * rng.randrange(70)])
                assert r.hset(key, f, v) == (f not in h), ctx
                h[f] = v
            elif op == 3:
                fs = rng.sample(fields, 3)
                n = sum(1 for x in fs if x in h)
                assert r.hdel(key, *fs) == n, ctx
                for x in fs:
                    h.pop(x, None)
            elif op == 4:
                assert r.hget(key, f) == h.get(f), ctx
            elif op == 5:
                assert r.hgetall(key) == h, ctx
            elif op == 6:
                assert r.hlen(key) == len(h), ctx
                assert r.exists(key) == (1 if h else 0), ctx
            elif op == 7:
                cur = h.get(f, b"0")
                try:
                    val = int(cur)
                    ok = str(val).encode() == cur
                except ValueError:
                    ok = False
                if ok:
                    inc = rng.randrange(-100, 100)
                    assert r.hincrby(key, f, inc) == val + inc, ctx
                    h[f] = b"%d" % (val + inc)
                else:
                    with pytest.raises(Exception):
                        r.hincrby(key, f, 1)
            else:
                fs = rng.sample(fields, 4)
                assert r.hmget(key, fs) == [h.get(x) for x in fs], ctx
            if not h:
                model.pop(key)
        for key, h in model.items():
            assert r.hgetall(key) == h, "seed=%d" % seed
    finally:
        r.config_set("hash-max-listpack-entries", old)


def test_hash_keyspace_events(r):
    import time
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub()
    try:
        p.psubscribe("__keyevent@*__:*")
        time.sleep(0.05)
        p.get_message(timeout=1)
        r.hset("h", "a", "1")
        r.hsetnx("h", "b", "2")
        r.hsetnx("h", "b", "3")       # no change: no event
        r.hincrby("h", "c", 1)
        r.hincrbyfloat("h", "d", 1.5)
        r.hdel("h", "zz")             # nothing deleted: no event
        r.hdel("h", "a", "b", "c", "d")
        got = []
        while True:
            m = p.get_message(timeout=0.5)
            if not m:
                break
            got.append((m["channel"].split(b":")[-1], m["data"]))
        assert got == [(b"hset", b"h"), (b"hset", b"h"), (b"hincrby", b"h"),
                       (b"hincrbyfloat", b"h"), (b"hdel", b"h"), (b"del", b"h")]
    finally:
        p.close()
        r.config_set("notify-keyspace-events", "")
