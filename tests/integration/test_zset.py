"""Sorted set commands checked byte for byte against Redis 7.0: replies in RESP2 and RESP3,
errors, encoding conversions at the thresholds, blocking pops, and a random differential run
against a Python model."""

import random
import threading

import pytest

from resp import bulk


WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"



def arr(*items):
    return b"*%d\r\n" % len(items) + b"".join(items)


CASES = [
    (("ZADD", "z", "1", "a", "2", "b", "3", "c", "1.5", "x", "-inf", "m", "+inf", "n"), b":6\r\n"),
    (("OBJECT", "ENCODING", "z"), bulk("listpack")),
    (("ZRANGE", "z", "0", "-1"), arr(*[bulk(m) for m in "maxbcn"])),
    (("ZRANGE", "z", "(1", "3", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"),
     arr(bulk("b"), bulk("2"), bulk("c"), bulk("3"))),
    (("ZRANGE", "z", "3", "(1", "BYSCORE", "REV"), arr(bulk("c"), bulk("b"), bulk("x"))),
    (("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "1", "2"), arr(bulk("a"), bulk("x"))),
    (("ZRANK", "z", "c"), b":4\r\n"),
    (("ZREVRANK", "z", "c"), b":1\r\n"),
    (("ZCOUNT", "z", "(1", "+inf"), b":4\r\n"),
    (("ZSCORE", "z", "x"), bulk("1.5")),
    (("ZSCORE", "z", "m"), bulk("-inf")),
    (("ZMSCORE", "z", "a", "nope"), arr(bulk("1"), b"$-1\r\n")),
    (("ZINCRBY", "z", "2.5", "a"), bulk("3.5")),
    (("ZADD", "z", "GT", "CH", "1", "a", "10", "b"), b":1\r\n"),
    (("ZADD", "z", "INCR", "LT", "100", "a"), b"$-1\r\n"),
    (("ZADD", "z", "NX", "XX", "1", "a"),
     b"-ERR XX and NX options at the same time are not compatible\r\n"),
    (("ZADD", "z", "GT", "LT", "1", "a"),
     b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
    (("ZADD", "z", "INCR", "1", "a", "2", "b"),
     b"-ERR INCR option supports a single increment-element pair\r\n"),
    (("ZADD", "z", "nan", "a"), b"-ERR value is not a valid float\r\n"),
    (("ZADD", "z", "1", "a", "INCR"), SYNTAX),
    (("ZINCRBY", "q", "inf", "a"), bulk("inf")),
    (("ZINCRBY", "q", "-inf", "a"), b"-ERR resulting score is not a number (NaN)\r\n"),
    (("ZRANGEBYSCORE", "z", "a", "b"), b"-ERR min or max is not a float\r\n"),
    (("ZRANGEBYLEX", "z", "a", "b"), b"-ERR min or max not valid string range item\r\n"),
    (("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"),
     b"-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
    (("ZRANGE", "z", "0", "-1", "WITHSCORES", "BYLEX"),
     b"-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
    (("ZUNIONSTORE", "d", "0", "z"),
     b"-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
    (("ZINTER", "1", "z", "WEIGHTS", "a"), b"-ERR weight value is not a float\r\n"),
    (("ZMPOP", "0", "z", "MIN"), b"-ERR numkeys should be greater than 0\r\n"),
    (("ZMPOP", "1", "z", "MIN", "COUNT", "0"), b"-ERR count should be greater than 0\r\n"),
    (("ZINTERCARD", "1", "z", "LIMIT", "-1"), b"-ERR LIMIT can't be negative\r\n"),
    (("ZPOPMIN", "z", "-1"), b"-ERR value is out of range, must be positive\r\n"),
    (("ZRANK", "z", "c", "WITHSCORE"), b"-ERR wrong number of arguments for 'zrank' command\r\n"),
    (("ZPOPMIN", "nokey"), b"*0\r\n"),
    (("ZRANDMEMBER", "nokey"), b"$-1\r\n"),
    (("SET", "s", "v"), b"+OK\r\n"),
    (("ZADD", "s", "1", "a"), WRONGTYPE),
    (("ZRANGE", "s", "0", "-1"), WRONGTYPE),
]


def test_zset_exact_replies(raw):
    for cmd, want in CASES:
        assert raw.cmd(*cmd) == want, cmd


def test_zset_resp3_shapes(raw3):
    raw3.cmd("ZADD", "h", "1", "a", "2", "b", "3", "c")
    assert raw3.cmd("ZRANGE", "h", "0", "0", "WITHSCORES") == b"*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    assert raw3.cmd("ZSCORE", "h", "b") == b",2\r\n"
    assert raw3.cmd("ZPOPMIN", "h") == b"*2\r\n$1\r\na\r\n,1\r\n"
    assert raw3.cmd("ZPOPMIN", "h", "1") == b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    assert raw3.cmd("ZMPOP", "1", "h", "MIN") == b"*2\r\n$1\r\nh\r\n*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"
    assert raw3.cmd("EXISTS", "h") == b":0\r\n"
    assert raw3.cmd("ZMPOP", "1", "h", "MIN") == b"_\r\n"


def test_zset_encoding_thresholds(raw):
    raw.cmd("CONFIG", "SET", "zset-max-listpack-entries", "4")
    raw.cmd("CONFIG", "SET", "zset-max-listpack-value", "8")
    try:
        raw.cmd("ZADD", "big", "1", "a", "2", "b", "3", "c", "4", "d")
        assert raw.cmd("OBJECT", "ENCODING", "big") == bulk("listpack")
        raw.cmd("ZADD", "big", "5", "e")
        assert raw.cmd("OBJECT", "ENCODING", "big") == bulk("skiplist")
        raw.cmd("ZREM", "big", "a", "b", "c", "d")
        assert raw.cmd("OBJECT", "ENCODING", "big") == bulk("skiplist")
        raw.cmd("ZADD", "v", "1", "123456789")
        assert raw.cmd("OBJECT", "ENCODING", "v") == bulk("skiplist")
        assert raw.cmd("ZRANGESTORE", "small", "big", "0", "0") == b":1\r\n"
        assert raw.cmd("OBJECT", "ENCODING", "small") == bulk("listpack")
    finally:
        raw.cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")
        raw.cmd("CONFIG", "SET", "zset-max-listpack-value", "64")


def test_zset_bzpopmin_wakes(r, server):
    out = {}

    def waiter():
        c = server.client()
        out["v"] = c.bzpopmin(["bz"], 5)

    t = threading.Thread(target=waiter)
    t.start()
    import time
    time.sleep(0.2)
    r.zadd("bz", {"m": 7})
    t.join(6)
    assert out["v"] == (b"bz", b"m", 7.0)
    assert r.bzpopmin(["nokey"], 0.05) is None


@pytest.mark.parametrize("entries", ["128", "0"])
def test_zset_random_model(r, entries):
    r.config_set("zset-max-listpack-entries", entries)
    seed = random.randrange(1 << 30)
    rnd = random.Random(seed)
    model = {}
    try:
        for _ in range(1500):
            m = b"m%d" % rnd.randrange(40)
            op = rnd.randrange(6)
            if op < 3:
                s = float(rnd.randrange(-5, 5))
                added = m not in model
                model[m] = s
                assert r.zadd("k", {m: s}) == int(added), seed
            elif op == 3:
                assert r.zrem("k", m) == int(model.pop(m, None) is not None), seed
            elif op == 4:
                exp = sorted(model.items(), key=lambda kv: (kv[1], kv[0]))
                assert r.zrange("k", 0, -1, withscores=True) == exp, seed
            else:
                exp = sorted(model.items(), key=lambda kv: (kv[1], kv[0]))
                got = r.zrangebyscore("k", -2, "(3")
                assert got == [k for k, v in exp if -2 <= v < 3], seed
                if m in model:
                    assert r.zrank("k", m) == [k for k, _ in exp].index(m), seed
            assert r.zcard("k") == len(model), seed
    finally:
        r.config_set("zset-max-listpack-entries", "128")
