"""Keyspace commands: databases, key lifecycle, renames, pattern matching, SCAN, OBJECT.

Errors are checked as exact wire bytes through the `raw` connection; effects are checked with
redis-py. SCAN's guarantee (every key present for the whole iteration is returned at least
once, whatever happens to the table meanwhile) is exercised while the keyspace grows.
"""

import time

import pytest

OUT_OF_RANGE = b"-ERR DB index is out of range\r\n"
SAME_OBJECT = b"-ERR source and destination objects are the same\r\n"
NO_SUCH_KEY = b"-ERR no such key\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
SYNTAX = b"-ERR syntax error\r\n"
LFU_OFF = (b"-ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
           b"Please note that when switching between policies at runtime LRU and LFU data "
           b"will take some time to adjust.\r\n")
LRU_OFF = (b"-ERR An LFU maxmemory policy is selected, idle time not tracked. "
           b"Please note that when switching between policies at runtime LRU and LFU data "
           b"will take some time to adjust.\r\n")


def wrong_args(name):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % name


# ---- SELECT / SWAPDB / MOVE / COPY ----------------------------------------------------------

def test_keys_select_isolates_databases(raw):
    assert raw.cmd("SET", "k", "zero") == b"+OK\r\n"
    assert raw.cmd("SELECT", "15") == b"+OK\r\n"
    assert raw.cmd("GET", "k") == b"$-1\r\n"
    assert raw.cmd("SET", "k", "fifteen") == b"+OK\r\n"
    assert raw.cmd("DBSIZE") == b":1\r\n"
    assert raw.cmd("SELECT", "0") == b"+OK\r\n"
    assert raw.cmd("GET", "k") == b"$4\r\nzero\r\n"


def test_keys_select_errors(raw):
    assert raw.cmd("SELECT", "16") == OUT_OF_RANGE
    assert raw.cmd("SELECT", "-1") == OUT_OF_RANGE
    assert raw.cmd("SELECT", "x") == NOT_INT
    assert raw.cmd("SELECT") == wrong_args(b"select")
    # a failed SELECT leaves the connection where it was
    raw.cmd("SELECT", "3")
    raw.cmd("SET", "here", "1")
    assert raw.cmd("SELECT", "99") == OUT_OF_RANGE
    assert raw.cmd("GET", "here") == b"$1\r\n1\r\n"


def test_keys_swapdb(raw, server):
    raw.cmd("SET", "a", "in0")
    raw.cmd("SELECT", "1")
    raw.cmd("SET", "b", "in1")
    raw.cmd("SET", "c", "in1")
    assert raw.cmd("SWAPDB", "0", "1") == b"+OK\r\n"
    # this connection stays on db 1, which now holds db 0's old content
    assert raw.cmd("DBSIZE") == b":1\r\n"
    assert raw.cmd("GET", "a") == b"$3\r\nin0\r\n"
    other = server.raw()
    try:   # other clients on db 0 see the swap as well
        assert other.cmd("GET", "b") == b"$3\r\nin1\r\n"
        assert other.cmd("DBSIZE") == b":2\r\n"
    finally:
        other.close()
    assert raw.cmd("SWAPDB", "1", "1") == b"+OK\r\n"
    assert raw.cmd("DBSIZE") == b":1\r\n"


def test_keys_swapdb_errors(raw):
    assert raw.cmd("SWAPDB", "0", "16") == OUT_OF_RANGE
    assert raw.cmd("SWAPDB", "16", "0") == OUT_OF_RANGE
    assert raw.cmd("SWAPDB", "-1", "0") == OUT_OF_RANGE
    assert raw.cmd("SWAPDB", "x", "0") == b"-ERR invalid first DB index\r\n"
    assert raw.cmd("SWAPDB", "0", "x") == b"-ERR invalid second DB index\r\n"
    assert raw.cmd("SWAPDB", "0") == wrong_args(b"swapdb")


def test_keys_move(raw, r):
    r.set("k", "v")
    r.pexpireat("k", 4000000000123)
    assert raw.cmd("MOVE", "k", "0") == SAME_OBJECT
    assert raw.cmd("MOVE", "k", "3") == b":1\r\n"
    assert r.exists("k") == 0
    assert raw.cmd("MOVE", "k", "3") == b":0\r\n"   # gone from the source
    raw.cmd("SELECT", "3")
    assert raw.cmd("GET", "k") == b"$1\r\nv\r\n"
    assert raw.cmd("PEXPIRETIME", "k") == b":4000000000123\r\n"
    # an existing target key blocks the move and keeps both values
    raw.cmd("SELECT", "0")
    r.set("k", "again")
    assert raw.cmd("MOVE", "k", "3") == b":0\r\n"
    assert r.get("k") == b"again"
    raw.cmd("SELECT", "3")
    assert raw.cmd("GET", "k") == b"$1\r\nv\r\n"
    assert raw.cmd("MOVE", "k", "16") == OUT_OF_RANGE
    assert raw.cmd("MOVE", "k", "x") == NOT_INT
    assert raw.cmd("MOVE", "missing", "1") == b":0\r\n"


def test_keys_copy(raw, r):
    r.set("src", "hello")
    assert raw.cmd("COPY", "src", "dst") == b":1\r\n"
    assert r.get("dst") == b"hello"
    r.set("src", "changed")        # the copy is independent of its source
    assert r.get("dst") == b"hello"
    assert raw.cmd("COPY", "src", "dst") == b":0\r\n"
    assert r.get("dst") == b"hello"
    assert raw.cmd("COPY", "src", "dst", "REPLACE") == b":1\r\n"
    assert r.get("dst") == b"changed"
    assert raw.cmd("COPY", "missing", "dst") == b":0\r\n"
    assert raw.cmd("COPY", "src", "src") == SAME_OBJECT
    assert raw.cmd("COPY", "src", "src", "DB", "0") == SAME_OBJECT
    assert raw.cmd("COPY", "src", "dst", "DB", "16") == OUT_OF_RANGE
    assert raw.cmd("COPY", "src", "dst", "DB", "x") == NOT_INT
    assert raw.cmd("COPY", "src", "dst", "BOGUS") == SYNTAX


def test_keys_copy_db_and_ttl(raw, r):
    r.set("src", "v")
    r.pexpireat("src", 4000000000777)
    assert raw.cmd("COPY", "src", "src", "DB", "5") == b":1\r\n"
    raw.cmd("SELECT", "5")
    assert raw.cmd("GET", "src") == b"$1\r\nv\r\n"
    assert raw.cmd("PEXPIRETIME", "src") == b":4000000000777\r\n"
    raw.cmd("SET", "other", "x")
    raw.cmd("SELECT", "0")
    assert raw.cmd("COPY", "src", "other", "DB", "5") == b":0\r\n"
    assert raw.cmd("COPY", "src", "other", "DB", "5", "REPLACE") == b":1\r\n"
    raw.cmd("SELECT", "5")
    assert raw.cmd("GET", "other") == b"$1\r\nv\r\n"


# ---- DBSIZE / FLUSHDB / FLUSHALL ------------------------------------------------------------

def test_keys_dbsize_flushdb(raw, r):
    assert r.dbsize() == 0
    r.mset({"k%d" % i: i for i in range(50)})
    assert r.dbsize() == 50
    raw.cmd("SELECT", "2")
    raw.cmd("SET", "x", "1")
    assert raw.cmd("FLUSHDB") == b"+OK\r\n"
    assert raw.cmd("DBSIZE") == b":0\r\n"
    assert r.dbsize() == 50            # other databases untouched
    assert raw.cmd("SELECT", "0") == b"+OK\r\n"
    assert raw.cmd("FLUSHDB", "ASYNC") == b"+OK\r\n"
    assert raw.cmd("DBSIZE") == b":0\r\n"
    r.set("a", "1")
    assert raw.cmd("FLUSHDB", "SYNC") == b"+OK\r\n"
    assert r.dbsize() == 0
    assert raw.cmd("FLUSHDB", "NOW") == SYNTAX
    assert raw.cmd("DBSIZE", "x") == wrong_args(b"dbsize")


@pytest.mark.parametrize("mode", [None, "ASYNC", "SYNC"])
def test_keys_flushall(raw, r, mode):
    for db in (0, 4, 15):
        raw.cmd("SELECT", str(db))
        raw.cmd("MSET", "a", "1", "b", "2")
    args = ["FLUSHALL"] + ([mode] if mode else [])
    assert raw.cmd(*args) == b"+OK\r\n"
    for db in (0, 4, 15):
        raw.cmd("SELECT", str(db))
        assert raw.cmd("DBSIZE") == b":0\r\n"
    assert raw.cmd("FLUSHALL", "LATER") == SYNTAX


# ---- DEL / UNLINK / EXISTS / TYPE / TOUCH ---------------------------------------------------

def test_keys_del_unlink(raw, r):
    r.mset({"a": 1, "b": 2, "c": 3, "d": 4})
    assert raw.cmd("DEL", "a", "missing", "a") == b":1\r\n"
    assert raw.cmd("UNLINK", "b", "c", "b") == b":2\r\n"
    assert raw.cmd("DEL", "a") == b":0\r\n"
    assert raw.cmd("UNLINK", "missing") == b":0\r\n"
    assert r.keys() == [b"d"]
    assert raw.cmd("DEL") == wrong_args(b"del")
    assert raw.cmd("UNLINK") == wrong_args(b"unlink")
    big = {"big%d" % i: "x" * 100 for i in range(2000)}
    r.mset(big)
    assert raw.cmd("UNLINK", *big.keys()) == b":2000\r\n"
    assert r.dbsize() == 1


def test_keys_exists_counts_duplicates(raw, r):
    r.set("a", "1")
    r.set("b", "")
    assert raw.cmd("EXISTS", "a") == b":1\r\n"
    assert raw.cmd("EXISTS", "a", "a", "a") == b":3\r\n"
    assert raw.cmd("EXISTS", "a", "b", "missing", "b") == b":3\r\n"
    assert raw.cmd("EXISTS", "missing") == b":0\r\n"
    assert raw.cmd("EXISTS") == wrong_args(b"exists")


def test_keys_type_string_none(raw, r):
    r.set("s", "v")
    r.set("n", 12)
    assert raw.cmd("TYPE", "s") == b"+string\r\n"
    assert raw.cmd("TYPE", "n") == b"+string\r\n"
    assert raw.cmd("TYPE", "missing") == b"+none\r\n"
    assert raw.cmd("TYPE", "s", "x") == wrong_args(b"type")


def test_keys_type_other_types(raw):
    raw.cmd("RPUSH", "l", "a")
    raw.cmd("SADD", "s", "a")
    raw.cmd("HSET", "h", "f", "v")
    raw.cmd("ZADD", "z", "1", "a")
    for key, name in (("l", b"list"), ("s", b"set"), ("h", b"hash"), ("z", b"zset")):
        assert raw.cmd("TYPE", key) == b"+" + name + b"\r\n"


def test_keys_touch(raw, r):
    r.mset({"a": 1, "b": 2})
    assert raw.cmd("TOUCH", "a", "b", "missing", "a") == b":3\r\n"
    assert raw.cmd("TOUCH", "missing") == b":0\r\n"
    assert raw.cmd("TOUCH") == wrong_args(b"touch")


# ---- RENAME / RENAMENX ----------------------------------------------------------------------

def test_keys_rename(raw, r):
    assert raw.cmd("RENAME", "missing", "x") == NO_SUCH_KEY
    assert raw.cmd("RENAME", "missing", "missing") == NO_SUCH_KEY
    r.set("a", "1")
    assert raw.cmd("RENAME", "a", "a") == b"+OK\r\n"
    assert r.get("a") == b"1"
    assert raw.cmd("RENAME", "a", "b") == b"+OK\r\n"
    assert r.exists("a") == 0
    assert r.get("b") == b"1"
    r.set("c", "3")
    r.expire("c", 1000)
    assert raw.cmd("RENAME", "b", "c") == b"+OK\r\n"   # overwrites value and its TTL
    assert r.get("c") == b"1"
    assert r.ttl("c") == -1


def test_keys_rename_keeps_ttl(raw, r):
    r.set("a", "v")
    r.pexpireat("a", 4000000000321)
    assert raw.cmd("RENAME", "a", "b") == b"+OK\r\n"
    assert raw.cmd("PEXPIRETIME", "b") == b":4000000000321\r\n"
    r.set("c", "v")
    r.expire("c", 100)
    assert raw.cmd("RENAMENX", "c", "d") == b":1\r\n"
    assert 0 < r.ttl("d") <= 100


def test_keys_renamenx(raw, r):
    r.mset({"a": 1, "b": 2})
    assert raw.cmd("RENAMENX", "a", "b") == b":0\r\n"
    assert r.mget("a", "b") == [b"1", b"2"]
    assert raw.cmd("RENAMENX", "a", "c") == b":1\r\n"
    assert r.mget("a", "c") == [None, b"1"]
    assert raw.cmd("RENAMENX", "c", "c") == b":0\r\n"
    assert raw.cmd("RENAMENX", "missing", "z") == NO_SUCH_KEY
    assert raw.cmd("RENAMENX", "a") == wrong_args(b"renamenx")


# ---- KEYS -----------------------------------------------------------------------------------

GLOB_KEYS = [b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"h*llo", b"h?llo",
             b"hbllo", b"a", b"b", b"c", b"d", b"[x]"]


@pytest.mark.parametrize("pattern,expected", [
    (b"*", GLOB_KEYS),
    (b"h?llo", [b"hello", b"hallo", b"hxllo", b"h*llo", b"h?llo", b"hbllo"]),
    (b"h*llo", [b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"h*llo", b"h?llo",
                b"hbllo"]),
    (b"h[ae]llo", [b"hello", b"hallo"]),
    (b"[a-c]", [b"a", b"b", b"c"]),
    (b"[c-a]", [b"a", b"b", b"c"]),
    (b"[^a]", [b"b", b"c", b"d"]),
    (b"h[^e]llo", [b"hallo", b"hxllo", b"h*llo", b"h?llo", b"hbllo"]),
    (b"h\\*llo", [b"h*llo"]),
    (b"h\\?llo", [b"h?llo"]),
    (b"\\[x\\]", [b"[x]"]),
    (b"?", [b"a", b"b", b"c", b"d"]),
    (b"nomatch*", []),
    (b"hello", [b"hello"]),
    (b"", []),
])
def test_keys_glob(r, pattern, expected):
    r.mset({k: 1 for k in GLOB_KEYS})
    assert sorted(r.keys(pattern)) == sorted(expected)


def test_keys_only_current_db(raw, r):
    r.set("zero", 1)
    raw.cmd("SELECT", "1")
    raw.cmd("SET", "one", 1)
    assert raw.cmd("KEYS", "*") == b"*1\r\n$3\r\none\r\n"
    assert raw.cmd("KEYS") == wrong_args(b"keys")


# ---- SCAN -----------------------------------------------------------------------------------

def full_scan(r, **kw):
    cursor, seen, rounds = 0, [], 0
    while True:
        cursor, keys = r.scan(cursor, **kw)
        seen.extend(keys)
        rounds += 1
        assert rounds < 100000
        if cursor == 0:
            return seen


def test_keys_scan_full_iteration(r):
    keys = {b"key:%d" % i for i in range(1000)}
    r.mset({k: 1 for k in keys})
    seen = full_scan(r, count=7)
    assert set(seen) == keys
    # COUNT is a hint, but the iteration must not return far more than asked per call
    cursor, batch = r.scan(0, count=7)
    assert cursor != 0 and 0 < len(batch) < 100


def test_keys_scan_match_and_count(r):
    r.mset({b"user:%d" % i: 1 for i in range(300)})
    r.mset({b"item:%d" % i: 1 for i in range(300)})
    seen = full_scan(r, match="user:1*", count=50)
    assert set(seen) == {b"user:%d" % i for i in range(300) if str(i).startswith("1")}
    assert full_scan(r, match="nothing*", count=1000) == []


def test_keys_scan_type_string(r):
    r.mset({b"s%d" % i: 1 for i in range(100)})
    assert set(full_scan(r, _type="string", count=20)) == {b"s%d" % i for i in range(100)}
    assert full_scan(r, _type="list", count=20) == []


def test_keys_scan_type_list(r):
    r.mset({b"s%d" % i: 1 for i in range(50)})
    for i in range(20):
        r.rpush(b"l%d" % i, "x")
    assert set(full_scan(r, _type="list", count=10)) == {b"l%d" % i for i in range(20)}
    assert len(full_scan(r, _type="string", count=10)) == 50


def test_keys_scan_guarantee_while_growing(r):
    """Keys present for the whole iteration come back at least once although the table grows
    (and rehashes) between calls."""
    base = {b"base:%d" % i for i in range(1000)}
    r.mset({k: 1 for k in base})
    cursor, seen, added, rounds = 0, set(), 0, 0
    while True:
        cursor, keys = r.scan(cursor, count=20)
        seen.update(keys)
        # grow steadily during the scan: several times the initial size
        r.mset({b"new:%d" % (added + j): 1 for j in range(60)})
        added += 60
        rounds += 1
        assert rounds < 10000
        if cursor == 0:
            break
    assert base <= seen
    assert r.dbsize() == 1000 + added


def test_keys_scan_errors(raw):
    assert raw.cmd("SCAN", "abc") == b"-ERR invalid cursor\r\n"
    assert raw.cmd("SCAN", "1.5") == b"-ERR invalid cursor\r\n"
    assert raw.cmd("SCAN", "18446744073709551616") == b"-ERR invalid cursor\r\n"
    assert raw.cmd("SCAN", "0", "COUNT", "0") == SYNTAX
    assert raw.cmd("SCAN", "0", "COUNT", "x") == NOT_INT
    assert raw.cmd("SCAN", "0", "MATCH") == SYNTAX
    assert raw.cmd("SCAN", "0", "BOGUS", "1") == SYNTAX
    assert raw.cmd("SCAN") == wrong_args(b"scan")


# ---- RANDOMKEY ------------------------------------------------------------------------------

def test_keys_randomkey(raw, r):
    assert raw.cmd("RANDOMKEY") == b"$-1\r\n"
    r.set("only", 1)
    assert raw.cmd("RANDOMKEY") == b"$4\r\nonly\r\n"
    keys = {b"k%d" % i for i in range(20)}
    r.mset({k: 1 for k in keys})
    got = {r.randomkey() for _ in range(300)}
    assert got <= keys | {b"only"}
    assert len(got) > 5    # random, not always the same key
    assert raw.cmd("RANDOMKEY", "x") == wrong_args(b"randomkey")


def test_keys_randomkey_skips_expired(r):
    r.set("live", 1)
    for i in range(50):
        r.set(b"dead%d" % i, 1, px=20)
    time.sleep(0.05)
    for _ in range(20):
        assert r.randomkey() == b"live"


# ---- OBJECT ---------------------------------------------------------------------------------

def test_keys_object_encoding(raw, r):
    r.set("int", "12345")
    r.set("emb", "short")
    r.set("raw", "x" * 100)
    assert raw.cmd("OBJECT", "ENCODING", "int") == b"$3\r\nint\r\n"
    assert raw.cmd("OBJECT", "ENCODING", "emb") == b"$6\r\nembstr\r\n"
    assert raw.cmd("OBJECT", "ENCODING", "raw") == b"$3\r\nraw\r\n"
    r.append("emb", "er")
    assert raw.cmd("OBJECT", "ENCODING", "emb") == b"$3\r\nraw\r\n"
    assert raw.cmd("OBJECT", "ENCODING", "missing") == b"$-1\r\n"
    assert raw.cmd("OBJECT", "ENCODING") == wrong_args(b"object|encoding")


def test_keys_object_refcount(raw, r):
    r.set("a", "hello")
    r.set("shared", "42")   # small integers are shared objects
    assert raw.cmd("OBJECT", "REFCOUNT", "a") == b":1\r\n"
    assert raw.cmd("OBJECT", "REFCOUNT", "shared") == b":2147483647\r\n"
    assert raw.cmd("OBJECT", "REFCOUNT", "missing") == b"$-1\r\n"


def test_keys_object_idletime(raw, r):
    r.mset({"idle": 1, "touched": 2, "read": 3})
    time.sleep(1.1)
    r.touch("touched")
    r.get("read")
    idle = raw.cmdp("OBJECT", "IDLETIME", "idle")
    assert isinstance(idle, int) and 1 <= idle <= 5
    assert raw.cmdp("OBJECT", "IDLETIME", "touched") == 0
    assert raw.cmdp("OBJECT", "IDLETIME", "read") == 0
    # OBJECT itself does not count as an access
    assert raw.cmdp("OBJECT", "IDLETIME", "idle") >= 1
    assert raw.cmd("OBJECT", "IDLETIME", "missing") == b"$-1\r\n"


def test_keys_object_freq(raw, r):
    r.set("k", "v")
    assert raw.cmd("OBJECT", "FREQ", "k") == LFU_OFF
    assert raw.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") == b"+OK\r\n"
    try:
        r.set("hot", "v")
        r.set("cold", "v")
        assert raw.cmd("OBJECT", "FREQ", "cold") == b":5\r\n"   # new keys start at 5
        for _ in range(200):
            r.get("hot")
        assert raw.cmdp("OBJECT", "FREQ", "hot") > 5
        assert raw.cmd("OBJECT", "FREQ", "missing") == b"$-1\r\n"
        assert raw.cmd("OBJECT", "IDLETIME", "hot") == LRU_OFF
    finally:
        raw.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_keys_object_help_and_errors(raw):
    lines = raw.cmdp("OBJECT", "HELP")
    assert isinstance(lines, list) and len(lines) >= 5
    assert lines[0].startswith(b"OBJECT <subcommand>")
    text = b"\n".join(lines)
    for sub in (b"ENCODING", b"FREQ", b"IDLETIME", b"REFCOUNT", b"HELP"):
        assert sub in text
    assert raw.cmd("OBJECT", "BOGUS", "k") == \
        b"-ERR unknown subcommand 'BOGUS'. Try OBJECT HELP.\r\n"
    assert raw.cmd("OBJECT") == wrong_args(b"object")
    assert raw.cmd("OBJECT", "HELP", "x") == wrong_args(b"object|help")
