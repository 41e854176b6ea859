"""DUMP / RESTORE round trips and their options, plus maxmemory eviction policies.

Payloads are always produced by the server under test: the serialisation format is private to
each server, so no payload is ever written into a test. Corruption is made by flipping bytes of
a real payload. Eviction is checked by effect (what survives, INFO counters, used_memory),
with statistical bounds that hold with a wide margin on the reference server.
"""

import time

import pytest
import redis

BUSY = b"-BUSYKEY Target key name already exists.\r\n"
BAD_PAYLOAD = b"-ERR DUMP payload version or checksum are wrong\r\n"
SYNTAX = b"-ERR syntax error\r\n"
OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"

VALUES = [
    ("int", b"12345", b"int"),
    ("negint", b"-7", b"int"),
    ("embstr", b"abc", b"embstr"),
    ("empty", b"", b"embstr"),
    ("bigint", b"9223372036854775808", b"embstr"),
    ("raw", b"x" * 100, b"raw"),
    ("binary", bytes(range(256)), b"raw"),
    ("large", bytes(i * 7 % 251 for i in range(100000)), b"raw"),
]


def dump(raw, key):
    payload = raw.cmdp("DUMP", key)
    assert isinstance(payload, bytes) and len(payload) > 2, payload
    return payload


# ---- round trips -----------------------------------------------------------------------------

@pytest.mark.parametrize("name,value,encoding", VALUES, ids=[v[0] for v in VALUES])
def test_dump_round_trip_strings(raw, r, name, value, encoding):
    r.set("k", value)
    assert r.object("encoding", "k") == encoding
    payload = dump(raw, "k")
    assert raw.cmd("DEL", "k") == b":1\r\n"
    assert raw.cmd("RESTORE", "k", "0", payload) == b"+OK\r\n"
    assert r.get("k") == value
    assert r.object("encoding", "k") == encoding
    assert r.ttl("k") == -1
    # the payload is reusable, and restoring under another name works too
    assert raw.cmd("RESTORE", "copy", "0", payload) == b"+OK\r\n"
    assert r.get("copy") == value


def test_dump_missing_key(raw):
    assert raw.cmd("DUMP", "missing") == b"$-1\r\n"
    assert raw.cmd("DUMP") == b"-ERR wrong number of arguments for 'dump' command\r\n"


def test_dump_round_trip_list(raw, r):
    r.rpush("l", "a", "b", "c")
    payload = dump(raw, "l")
    assert raw.cmd("RESTORE", "l2", "0", payload) == b"+OK\r\n"
    assert r.lrange("l2", 0, -1) == [b"a", b"b", b"c"]
    assert r.type("l2") == b"list"


def test_dump_restore_ttl(raw, r):
    r.set("k", "v")
    payload = dump(raw, "k")
    assert raw.cmd("RESTORE", "t", "10000", payload) == b"+OK\r\n"
    assert 9000 < r.pttl("t") <= 10000
    # a dumped key's TTL is not part of the payload
    r.set("e", "v", ex=100)
    p2 = dump(raw, "e")
    assert raw.cmd("RESTORE", "e2", "0", p2) == b"+OK\r\n"
    assert r.ttl("e2") == -1


def test_dump_restore_absttl(raw, r):
    r.set("k", "v")
    payload = dump(raw, "k")
    when = 4000000000123
    assert raw.cmd("RESTORE", "a", str(when), payload, "ABSTTL") == b"+OK\r\n"
    assert raw.cmd("PEXPIRETIME", "a") == b":%d\r\n" % when
    # an absolute time in the past: accepted, but the key is not created
    assert raw.cmd("RESTORE", "past", "1000", payload, "ABSTTL") == b"+OK\r\n"
    assert r.exists("past") == 0
    # ... and an existing key is replaced by nothing under REPLACE
    r.set("old", "x")
    assert raw.cmd("RESTORE", "old", "1000", payload, "ABSTTL", "REPLACE") == b"+OK\r\n"
    assert r.exists("old") == 0


def test_dump_restore_replace_and_busykey(raw, r):
    r.set("src", "new")
    payload = dump(raw, "src")
    r.set("dst", "old", ex=100)
    assert raw.cmd("RESTORE", "dst", "0", payload) == BUSY
    assert r.get("dst") == b"old"
    assert raw.cmd("RESTORE", "dst", "0", payload, "REPLACE") == b"+OK\r\n"
    assert r.get("dst") == b"new"
    assert r.ttl("dst") == -1     # REPLACE drops the old key's TTL too


def test_dump_restore_replace_other_type(raw, r):
    r.set("src", "str")
    payload = dump(raw, "src")
    r.rpush("dst", "a")
    assert raw.cmd("RESTORE", "dst", "0", payload) == BUSY
    assert raw.cmd("RESTORE", "dst", "0", payload, "REPLACE") == b"+OK\r\n"
    assert r.type("dst") == b"string"


def test_dump_restore_idletime(raw, r):
    r.set("k", "v")
    payload = dump(raw, "k")
    assert raw.cmd("RESTORE", "i", "0", payload, "IDLETIME", "1000") == b"+OK\r\n"
    assert 1000 <= raw.cmdp("OBJECT", "IDLETIME", "i") <= 1002
    assert raw.cmd("RESTORE", "j", "0", payload, "IDLETIME", "-1") == \
        b"-ERR Invalid IDLETIME value, must be >= 0\r\n"
    assert raw.cmd("RESTORE", "j", "0", payload, "IDLETIME", "x") == \
        b"-ERR value is not an integer or out of range\r\n"
    assert r.exists("j") == 0


def test_dump_restore_freq(raw, r):
    r.set("k", "v")
    payload = dump(raw, "k")
    assert raw.cmd("RESTORE", "j", "0", payload, "FREQ", "256") == \
        b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"
    assert raw.cmd("RESTORE", "j", "0", payload, "FREQ", "-1") == \
        b"-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"
    assert raw.cmd("RESTORE", "j", "0", payload, "FREQ", "5", "IDLETIME", "5") == SYNTAX
    assert raw.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") == b"+OK\r\n"
    try:
        assert raw.cmd("RESTORE", "f", "0", payload, "FREQ", "100") == b"+OK\r\n"
        assert raw.cmd("OBJECT", "FREQ", "f") == b":100\r\n"
    finally:
        raw.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_dump_restore_arg_errors(raw, r):
    r.set("k", "v")
    payload = dump(raw, "k")
    assert raw.cmd("RESTORE", "n", "-1", payload) == b"-ERR Invalid TTL value, must be >= 0\r\n"
    assert raw.cmd("RESTORE", "n", "x", payload) == \
        b"-ERR value is not an integer or out of range\r\n"
    assert raw.cmd("RESTORE", "n", "0", payload, "BOGUS") == SYNTAX
    assert raw.cmd("RESTORE", "n", "0") == \
        b"-ERR wrong number of arguments for 'restore' command\r\n"
    assert r.exists("n") == 0


def test_dump_corrupted_payloads(raw, r):
    r.set("k", "some value that is long enough to matter")
    payload = dump(raw, "k")
    bad = []
    for i in (0, len(payload) // 2, len(payload) - 1, len(payload) - 5):
        b = bytearray(payload)
        b[i] ^= 0x5A
        bad.append(bytes(b))
    bad += [payload[:-1], payload[:5], b"", b"garbage", payload + b"x"]
    for p in bad:
        assert raw.cmd("RESTORE", "n", "0", p) == BAD_PAYLOAD, p
        assert raw.cmd("RESTORE", "k", "0", p, "REPLACE") == BAD_PAYLOAD, p
    assert r.exists("n") == 0
    assert r.get("k") == b"some value that is long enough to matter"   # untouched


# ---- maxmemory eviction ----------------------------------------------------------------------

MAXMEM = 2 * 1024 * 1024
VALUE = b"v" * 100


def used_memory(c):
    return int(c.info("memory")["used_memory"])


def fill(c, n, prefix, batch=500, **set_kw):
    for start in range(0, n, batch):
        p = c.pipeline(transaction=False)
        for i in range(start, min(n, start + batch)):
            p.set(b"%s:%d" % (prefix, i), VALUE, **set_kw)
        p.execute()


def evicting_server(start_server, policy):
    # Per-command latency histograms (24 KiB each) would take a noticeable share of
    # 2 MB: these tests are about which keys go, so the histograms stay off.
    s = start_server("--maxmemory", "2mb", "--maxmemory-policy", policy,
                     "--latency-tracking", "no")
    return s, s.client()


def check_memory_bounded(c):
    used = used_memory(c)
    # a little over the limit is normal: eviction runs before each command, not inside it
    assert used <= MAXMEM * 1.1, used
    stats = c.info("stats")
    assert int(stats["evicted_keys"]) > 0
    return used


def test_dump_evict_allkeys_lru_keeps_recent(start_server):
    s, c = evicting_server(start_server, "allkeys-lru")
    hot = [b"hot:%d" % i for i in range(200)]
    p = c.pipeline(transaction=False)
    for k in hot:
        p.set(k, VALUE)
    p.execute()
    # The LRU clock ticks in seconds: age a first batch of cold keys past a tick, then keep
    # writing slowly enough that the resident set spans several ticks, reading the hot keys
    # between batches so they always carry the newest clock.
    fill(c, 6000, b"old")
    time.sleep(1.1)
    for rnd in range(10):
        c.mget(hot)
        fill(c, 500, b"cold%d" % rnd)
        time.sleep(0.2)
    check_memory_bounded(c)
    hot_alive = sum(1 for v in c.mget(hot) if v is not None) / len(hot)
    total_cold = 6000 + 10 * 500
    cold_alive = (c.dbsize() - hot_alive * len(hot)) / total_cold
    assert hot_alive >= 0.8, (hot_alive, cold_alive)
    assert hot_alive >= cold_alive + 0.3, (hot_alive, cold_alive)


def test_dump_evict_allkeys_lfu_keeps_frequent(start_server):
    s, c = evicting_server(start_server, "allkeys-lfu")
    hot = [b"hot:%d" % i for i in range(200)]
    p = c.pipeline(transaction=False)
    for k in hot:
        p.set(k, VALUE)
    p.execute()
    for _ in range(30):
        c.mget(hot)
    fill(c, 24000, b"cold")
    check_memory_bounded(c)
    hot_alive = sum(1 for v in c.mget(hot) if v is not None) / len(hot)
    cold_alive = (c.dbsize() - hot_alive * len(hot)) / 24000
    assert hot_alive >= 0.8, (hot_alive, cold_alive)
    assert hot_alive >= cold_alive + 0.3, (hot_alive, cold_alive)


def test_dump_evict_allkeys_random(start_server):
    s, c = evicting_server(start_server, "allkeys-random")
    fill(c, 20000, b"k")
    check_memory_bounded(c)
    n = c.dbsize()
    assert 1000 < n < 20000
    # random eviction spreads over the whole key range
    first = sum(1 for v in c.mget([b"k:%d" % i for i in range(0, 5000)]) if v is not None)
    last = sum(1 for v in c.mget([b"k:%d" % i for i in range(15000, 20000)]) if v is not None)
    assert first > 0 and last > 0


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-ttl"])
def test_dump_evict_volatile_spares_persistent(start_server, policy):
    s, c = evicting_server(start_server, policy)
    fill(c, 2000, b"keep")
    fill(c, 20000, b"vol", ex=100000)
    check_memory_bounded(c)
    assert all(v is not None for v in c.mget([b"keep:%d" % i for i in range(2000)]))
    assert c.dbsize() < 22000


def test_dump_evict_volatile_ttl_prefers_short(start_server):
    s, c = evicting_server(start_server, "volatile-ttl")
    for start in range(0, 20000, 500):
        p = c.pipeline(transaction=False)
        for i in range(start, start + 500):
            # interleaved: every other key expires soon
            p.set(b"v:%d" % i, VALUE, ex=1000 if i % 2 else 1000000)
        p.execute()
    check_memory_bounded(c)
    vals = c.mget([b"v:%d" % i for i in range(20000)])
    short = sum(1 for i, v in enumerate(vals) if i % 2 and v is not None)
    long_ = sum(1 for i, v in enumerate(vals) if not i % 2 and v is not None)
    assert long_ > short * 2, (short, long_)


def test_dump_evict_noeviction(start_server):
    s = start_server("--maxmemory", "2mb", "--maxmemory-policy", "noeviction")
    c = s.client()
    raw = s.raw()
    try:
        written = 0
        err = None
        for start in range(0, 100000, 500):
            p = c.pipeline(transaction=False)
            for i in range(start, start + 500):
                p.set(b"k:%d" % i, VALUE)
            res = p.execute(raise_on_error=False)
            errs = [x for x in res if isinstance(x, redis.ResponseError)]
            written += len(res) - len(errs)
            if errs:
                err = errs[0]
                break
        assert err is not None, "never hit the limit"
        assert raw.cmd("SET", "another", "v") == OOM
        assert raw.cmd("APPEND", "k:0", "more") == OOM
        assert raw.cmd("GET", "k:0") == b"$100\r\n" + VALUE + b"\r\n"
        assert raw.cmdp("DBSIZE") == written
        assert int(c.info("stats")["evicted_keys"]) == 0
        assert raw.cmd("DEL", "k:0", "k:1") == b":2\r\n"    # freeing memory is allowed
        assert used_memory(c) <= MAXMEM * 1.1
    finally:
        raw.close()
