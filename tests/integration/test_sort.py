"""SORT and SORT_RO: ordering rules, LIMIT clamping, BY/GET patterns, STORE, errors.

Exact wire bytes through `raw` (RESP2) and `raw3` (RESP3); a seeded random test checks numeric
and ALPHA sorts, DESC and LIMIT against a Python model of Redis's rules.
"""

import os
import random

import pytest
import redis

# Every test drives list, set, hash or sorted-set keys.
IS_REDIS = os.environ.get("PAIRDB_TARGET", "") == "redis"

SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
NOT_DOUBLE = b"-ERR One or more scores can't be converted into double\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def arr(*items):
    """RESP2 array of bulks; None is a null bulk."""
    out = b"*%d\r\n" % len(items)
    for it in items:
        if it is None:
            out += b"$-1\r\n"
        else:
            if isinstance(it, str):
                it = it.encode()
            out += b"$%d\r\n%s\r\n" % (len(it), it)
    return out


def test_sort_numeric_list(raw):
    raw.cmd("RPUSH", "l", "3", "10", "-1.5", "2")
    assert raw.cmd("SORT", "l") == arr("-1.5", "2", "3", "10")
    assert raw.cmd("SORT", "l", "DESC") == arr("10", "3", "2", "-1.5")
    assert raw.cmd("SORT", "l", "ALPHA") == arr("-1.5", "10", "2", "3")
    assert raw.cmd("SORT", "l", "alpha", "desc") == arr("3", "2", "10", "-1.5")
    assert raw.cmd("SORT_RO", "l", "DESC", "ASC") == arr("-1.5", "2", "3", "10")


def test_sort_weights_read_like_strtod(raw):
    raw.cmd("RPUSH", "l", " 5", "0x10", "", "inf", "-inf", "1e2")
    assert raw.cmd("SORT", "l") == arr("-inf", "", " 5", "0x10", "1e2", "inf")
    for bad in ("1abc", "nan", "1e400", "5 "):
        raw.cmd("DEL", "b")
        raw.cmd("RPUSH", "b", "1", bad)
        assert raw.cmd("SORT", "b") == NOT_DOUBLE, bad
        assert raw.cmd("SORT", "b", "ALPHA") != NOT_DOUBLE


def test_sort_equal_scores_break_ties_by_bytes(raw):
    raw.cmd("RPUSH", "l", "1.0", "1", "01")
    assert raw.cmd("SORT", "l", "LIMIT", "0", "3") == arr("01", "1", "1.0")
    raw.cmd("DEL", "l")
    raw.cmd("RPUSH", "l", "c", "b", "a")
    assert raw.cmd("SORT", "l", "BY", "nokey_*") == arr("a", "b", "c")
    # ALPHA BY with every weight missing: all equal, source order kept
    assert raw.cmd("SORT", "l", "BY", "nokey_*", "ALPHA") == arr("c", "b", "a")


def test_sort_limit_clamping(raw):
    raw.cmd("RPUSH", "l", "5", "4", "3", "2", "1")
    assert raw.cmd("SORT", "l", "LIMIT", "1", "2") == arr("2", "3")
    assert raw.cmd("SORT", "l", "LIMIT", "-5", "2") == arr("1", "2")
    assert raw.cmd("SORT", "l", "LIMIT", "3", "-1") == arr("4", "5")
    assert raw.cmd("SORT", "l", "LIMIT", "3", "100") == arr("4", "5")
    assert raw.cmd("SORT", "l", "LIMIT", "5", "1") == arr()
    assert raw.cmd("SORT", "l", "LIMIT", "0", "0") == arr()
    assert raw.cmd("SORT", "l", "LIMIT", "9223372036854775807", "-9223372036854775808") == arr()
    assert raw.cmd("SORT", "l", "DESC", "LIMIT", "1", "2") == arr("4", "3")
    assert raw.cmd("SORT", "l", "LIMIT", "x", "1") == NOT_INT
    assert raw.cmd("SORT", "l", "LIMIT", "1", "1.5") == NOT_INT
    assert raw.cmd("SORT", "l", "LIMIT", "1") == SYNTAX


def test_sort_errors(raw):
    raw.cmd("SET", "s", "x")
    raw.cmd("RPUSH", "l", "1")
    assert raw.cmd("SORT", "s") == WRONGTYPE
    # options are parsed before the key is looked at
    assert raw.cmd("SORT", "s", "bogus") == SYNTAX
    assert raw.cmd("SORT", "l", "BY") == SYNTAX
    assert raw.cmd("SORT", "l", "GET") == SYNTAX
    assert raw.cmd("SORT", "l", "STORE") == SYNTAX
    assert raw.cmd("SORT_RO", "l", "STORE", "d") == SYNTAX
    assert raw.cmd("SORT") == b"-ERR wrong number of arguments for 'sort' command\r\n"
    assert raw.cmd("SORT_RO") == b"-ERR wrong number of arguments for 'sort_ro' command\r\n"
    assert raw.cmd("SORT", "missing") == arr()
    assert raw.cmd("SORT", "missing", "GET", "#", "GET", "x*") == arr()
    raw.cmd("HSET", "h", "f", "v")
    assert raw.cmd("SORT", "h") == WRONGTYPE


def test_sort_by_and_get_patterns(raw, raw3):
    raw.cmd("RPUSH", "l", "a", "b", "c", "d")
    raw.cmd("MSET", "w_a", "3", "w_b", "1", "w_c", "2", "v_a", "A", "v_c", "C")
    raw.cmd("HSET", "h_a", "f", "30", "name", "alpha")
    raw.cmd("HSET", "h_b", "f", "10")
    raw.cmd("HSET", "h_d", "f", "20", "name", "delta")
    # missing w_d weighs 0
    assert raw.cmd("SORT", "l", "BY", "w_*") == arr("d", "b", "c", "a")
    assert raw.cmd("SORT", "l", "BY", "h_*->f") == arr("c", "b", "d", "a")
    assert raw.cmd("SORT", "l", "BY", "w_*", "GET", "v_*", "GET", "#") == arr(
        None, "d", None, "b", "C", "c", "A", "a")
    assert raw.cmd("SORT", "l", "BY", "h_*->f", "GET", "h_*->name", "LIMIT", "1", "2") == arr(
        None, "delta")
    assert raw.cmd("SORT", "l", "BY", "v_*", "ALPHA", "DESC") == arr("c", "a", "b", "d")
    # GET on a key of another type, a pattern without '*', a field of a string key
    raw.cmd("RPUSH", "v_b", "x")
    assert raw.cmd("SORT", "l", "ALPHA", "GET", "v_*") == arr("A", None, "C", None)
    assert raw.cmd("SORT", "l", "ALPHA", "GET", "fixed", "LIMIT", "0", "1") == arr(None)
    assert raw.cmd("SORT", "l", "ALPHA", "GET", "w_*->f", "LIMIT", "0", "1") == arr(None)
    # "->" at the very end is part of the key name
    raw.cmd("SET", "k_a->", "tail")
    assert raw.cmd("SORT", "l", "ALPHA", "GET", "k_*->", "LIMIT", "0", "1") == arr("tail")
    # BY non-numeric weight
    raw.cmd("SET", "w_a", "oops")
    assert raw.cmd("SORT", "l", "BY", "w_*") == NOT_DOUBLE
    # RESP3: missing GET values are nulls
    raw3.cmd("SET", "w_a", "3")
    assert raw3.cmd("SORT", "l", "BY", "w_*", "GET", "v_*") == (
        b"*4\r\n_\r\n$1\r\nx\r\n$1\r\nC\r\n$1\r\nA\r\n".replace(b"$1\r\nx\r\n", b"_\r\n"))


def test_sort_nosort_keeps_order(raw):
    raw.cmd("RPUSH", "l", "3", "1", "2", "5", "4")
    assert raw.cmd("SORT", "l", "BY", "nosort") == arr("3", "1", "2", "5", "4")
    assert raw.cmd("SORT", "l", "BY", "nosort", "DESC") == arr("4", "5", "2", "1", "3")
    assert raw.cmd("SORT", "l", "BY", "nosort", "LIMIT", "1", "2") == arr("1", "2")
    assert raw.cmd("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2") == arr("5", "2")
    assert raw.cmd("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "4", "9") == arr("3")
    assert raw.cmd("SORT", "l", "BY", "nosort", "LIMIT", "9", "9") == arr()
    # an intset iterates in ascending order
    raw.cmd("SADD", "s", "30", "10", "20")
    assert raw.cmd("SORT", "s", "BY", "nosort") == arr("10", "20", "30")
    # with STORE a set is sorted ALPHA so the stored list is deterministic
    raw.cmd("SADD", "s", "9")
    assert raw.cmd("SORT", "s", "BY", "nosort", "STORE", "d") == b":4\r\n"
    assert raw.cmd("LRANGE", "d", "0", "-1") == arr("10", "20", "30", "9")


def test_sort_zset_nosort_keeps_rank_order(raw):
    raw.cmd("ZADD", "z", "1", "c", "2", "a", "3", "b")
    assert raw.cmd("SORT", "z", "BY", "nosort") == arr("c", "a", "b")
    assert raw.cmd("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5") == arr("a", "c")
    assert raw.cmd("SORT", "z", "BY", "nosort", "LIMIT", "1", "1") == arr("a")
    assert raw.cmd("SORT", "z", "ALPHA") == arr("a", "b", "c")
    assert raw.cmd("SORT", "z", "DESC", "STORE", "d") == NOT_DOUBLE


def test_sort_zset_becomes_skiplist(raw):
    raw.cmd("ZADD", "z", "1", "a", "2", "b")
    assert raw.cmd("OBJECT", "ENCODING", "z") == b"$8\r\nlistpack\r\n"
    assert raw.cmd("SORT_RO", "z", "ALPHA") == arr("a", "b")
    assert raw.cmd("OBJECT", "ENCODING", "z") == b"$8\r\nskiplist\r\n"


def test_sort_sets(raw):
    raw.cmd("SADD", "s", "5", "-3", "12")
    assert raw.cmd("SORT", "s") == arr("-3", "5", "12")
    raw.cmd("SADD", "s", "x")
    assert raw.cmd("SORT", "s") == NOT_DOUBLE
    assert raw.cmd("SORT", "s", "ALPHA") == arr("-3", "12", "5", "x")


def test_sort_store(raw):
    raw.cmd("RPUSH", "l", "3", "1", "2")
    raw.cmd("SET", "d", "old")
    raw.cmd("EXPIRE", "d", "100")
    assert raw.cmd("SORT", "l", "STORE", "d") == b":3\r\n"
    assert raw.cmd("TYPE", "d") == b"+list\r\n"
    assert raw.cmd("TTL", "d") == b":-1\r\n"
    assert raw.cmd("OBJECT", "ENCODING", "d") == b"$9\r\nquicklist\r\n"
    assert raw.cmd("LRANGE", "d", "0", "-1") == arr("1", "2", "3")
    # GET values missing are stored as empty strings
    raw.cmd("SET", "v_1", "one")
    assert raw.cmd("SORT", "l", "GET", "v_*", "GET", "#", "STORE", "d") == b":6\r\n"
    assert raw.cmd("LRANGE", "d", "0", "-1") == arr("one", "1", "", "2", "", "3")
    # the source itself as destination
    assert raw.cmd("SORT", "l", "DESC", "STORE", "l") == b":3\r\n"
    assert raw.cmd("LRANGE", "l", "0", "-1") == arr("3", "2", "1")
    # an empty result deletes the destination
    assert raw.cmd("SORT", "missing", "STORE", "d") == b":0\r\n"
    assert raw.cmd("EXISTS", "d") == b":0\r\n"
    assert raw.cmd("SORT", "l", "LIMIT", "0", "0", "STORE", "l") == b":0\r\n"
    assert raw.cmd("EXISTS", "l") == b":0\r\n"
    # the last STORE wins
    raw.cmd("RPUSH", "l", "1")
    assert raw.cmd("SORT", "l", "STORE", "a", "STORE", "b") == b":1\r\n"
    assert raw.cmd("EXISTS", "a", "b") == b":1\r\n"
    assert raw.cmd("EXISTS", "b") == b":1\r\n"


def test_sort_store_error_leaves_destination(raw):
    raw.cmd("RPUSH", "l", "x", "1")
    raw.cmd("SET", "d", "keep")
    assert raw.cmd("SORT", "l", "STORE", "d") == NOT_DOUBLE
    assert raw.cmd("GET", "d") == b"$4\r\nkeep\r\n"


def test_sort_resp3_shapes(raw3):
    raw3.cmd("RPUSH", "l", "2", "1")
    assert raw3.cmd("SORT", "l") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert raw3.cmd("SORT", "l", "GET", "nokey*") == b"*2\r\n_\r\n_\r\n"
    assert raw3.cmd("SORT", "l", "STORE", "d") == b":2\r\n"


def test_sort_getkeys_and_info(raw):
    assert raw.cmd("COMMAND", "GETKEYS", "SORT", "a", "STORE", "b") == arr("a", "b")
    assert raw.cmd("COMMAND", "GETKEYS", "SORT", "a", "LIMIT", "0", "1", "BY", "x*",
                   "GET", "store", "STORE", "c", "STORE", "d") == arr("a", "d")
    assert raw.cmd("COMMAND", "GETKEYS", "SORT_RO", "a", "GET", "x") == arr("a")
    info = raw.cmd("COMMAND", "INFO", "SORT")
    assert b"movablekeys" in info and b"denyoom" in info and b"@dangerous" in info
    info = raw.cmd("COMMAND", "INFO", "SORT_RO")
    assert b"readonly" in info and b"movablekeys" in info and b"@sortedset" in info


def test_sort_keyspace_events(r):
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    p.get_message(timeout=1)
    r.config_set("notify-keyspace-events", "KEA")
    try:
        r.rpush("l", "1")
        r.sort("l", store="d")
        r.sort("missing", store="d")
        got = []
        for _ in range(3):
            m = p.get_message(timeout=1)
            if m:
                got.append((m["channel"], m["data"]))
        assert got == [(b"__keyevent@0__:rpush", b"l"), (b"__keyevent@0__:sortstore", b"d"),
                       (b"__keyevent@0__:del", b"d")]
        p.close()
    finally:
        r.config_set("notify-keyspace-events", "")


def _model_sort(elems, desc, alpha, start, count):
    if alpha:
        out = sorted(elems, reverse=desc)
    else:
        out = sorted(elems, key=lambda s: (float(s), s), reverse=desc)
    n = len(out)
    start = min(max(start, 0), n)
    count = min(max(count, -1), n)
    end = n - 1 if count < 0 else min(start + count - 1, n - 1)
    return out[start:end + 1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sort_random_against_model(r, seed):
    rnd = random.Random(seed)
    for _ in range(150):
        r.delete("l")
        n = rnd.randint(1, 40)
        numeric = rnd.random() < 0.6
        if numeric:
            elems = [str(rnd.choice([rnd.randint(-50, 50), round(rnd.uniform(-50, 50), 2)]))
                     for _ in range(n)]
        else:
            elems = ["".join(rnd.choice("abcXY01") for _ in range(rnd.randint(1, 4)))
                     for _ in range(n)]
        r.rpush("l", *elems)
        alpha = not numeric or rnd.random() < 0.3
        desc = rnd.random() < 0.5
        start, count = rnd.randint(-3, n + 2), rnd.randint(-3, n + 2)
        want = _model_sort(elems, desc, alpha, start, count)
        got = r.sort("l", start=start, num=count, desc=desc, alpha=alpha)
        assert [g.decode() for g in got] == want, (seed, elems, desc, alpha, start, count)
