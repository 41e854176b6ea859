"""List commands, checked byte for byte against Redis 7.0: every command and its errors, RESP2
and RESP3 shapes, the quicklist encoding, keyspace events, blocking pops with several clients,
and a random differential run against a Python model.
"""

import random
import time

import pytest

from resp import bulk


WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
POSITIVE = b"-ERR value is out of range, must be positive\r\n"
NULL = b"$-1\r\n"
NULL_ARRAY = b"*-1\r\n"
EMPTY = b"*0\r\n"
OK = b"+OK\r\n"



def arr(*items):
    return b"*%d\r\n" % len(items) + b"".join(
        i if isinstance(i, bytes) and i[:1] in b"*:$%_" else bulk(i) for i in items)


def num(n):
    return b":%d\r\n" % n


def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.encode()


def require(raw, name):
    """Skips the test when the server lacks a command it needs besides the list ones."""
    rep = raw.cmdp("COMMAND", "INFO", name)
    if not rep or rep[0] is None:
        pytest.skip("server has no %s command" % name)


def lrange(raw, key):
    return raw.cmdp("LRANGE", key, "0", "-1")


# ---- pushes, LLEN, LRANGE, encoding ---------------------------------------------------------

def test_list_push_basic(raw):
    assert raw.cmd("RPUSH", "l", "a", "b", "c") == num(3)
    assert raw.cmd("LPUSH", "l", "x", "y") == num(5)
    assert raw.cmd("LRANGE", "l", "0", "-1") == arr("y", "x", "a", "b", "c")
    assert raw.cmd("LLEN", "l") == num(5)
    assert raw.cmd("LLEN", "nokey") == num(0)
    assert raw.cmd("TYPE", "l") == b"+list\r\n"
    assert raw.cmd("OBJECT", "ENCODING", "l") == bulk("quicklist")
    assert raw.cmd("LPUSHX", "nokey", "a") == num(0)
    assert raw.cmd("RPUSHX", "nokey", "a", "b") == num(0)
    assert raw.cmd("EXISTS", "nokey") == num(0)
    assert raw.cmd("RPUSHX", "l", "z1", "z2") == num(7)
    assert raw.cmd("LPUSHX", "l", "w") == num(8)
    assert raw.cmd("LINDEX", "l", "0") == bulk("w")
    assert raw.cmd("LINDEX", "l", "-1") == bulk("z2")
    assert raw.cmd("LPUSH", "l") == arity("lpush")
    assert raw.cmd("RPUSHX", "l") == arity("rpushx")


def test_list_integers_and_binary(raw):
    vals = ["1", "-1", "0", "007", "9223372036854775807", "-9223372036854775808",
            "18446744073709551616", "1.5", " 1", "", "a\x00b\r\nc"]
    assert raw.cmd("RPUSH", "n", *vals) == num(len(vals))
    assert raw.cmd("LRANGE", "n", "0", "-1") == arr(*vals)
    assert raw.cmd("LPOS", "n", "007") == num(3)
    assert raw.cmd("LPOS", "n", "7") == NULL
    assert raw.cmd("LPOS", "n", "") == num(9)
    big = "x" * 100000
    assert raw.cmd("LPUSH", "n", big) == num(len(vals) + 1)
    assert raw.cmd("LINDEX", "n", "0") == bulk(big)


def test_list_lrange_ranges(raw):
    raw.cmd("RPUSH", "l", *[str(i) for i in range(10)])
    cases = [("0", "-1"), ("2", "4"), ("-3", "-1"), ("-100", "2"), ("5", "100"), ("5", "4"),
             ("10", "20"), ("-1", "-100"), ("0", "0"), ("-10", "-10"), ("9", "9")]
    for s, e in cases:
        si, ei = int(s), int(e)
        lst = [str(i) for i in range(10)]
        if si < 0:
            si += 10
        if ei < 0:
            ei += 10
        si = max(si, 0)
        exp = lst[si:ei + 1] if si <= ei else []
        assert raw.cmd("LRANGE", "l", s, e) == arr(*exp), (s, e)
    assert raw.cmd("LRANGE", "nokey", "0", "-1") == EMPTY
    assert raw.cmd("LRANGE", "l", "a", "1") == NOT_INT
    assert raw.cmd("LRANGE", "nokey", "0", "b") == NOT_INT
    assert raw.cmd("LRANGE", "l", "0") == arity("lrange")


def test_list_wrongtype(raw):
    raw.cmd("SET", "s", "x")
    for c in (["LPUSH", "s", "a"], ["RPUSH", "s", "a"], ["LPUSHX", "s", "a"],
              ["RPUSHX", "s", "a"], ["LPOP", "s"], ["RPOP", "s", "2"], ["LLEN", "s"],
              ["LRANGE", "s", "0", "1"], ["LINDEX", "s", "0"], ["LSET", "s", "0", "a"],
              ["LINSERT", "s", "BEFORE", "a", "b"], ["LREM", "s", "0", "a"],
              ["LTRIM", "s", "0", "1"], ["LPOS", "s", "a"], ["LMOVE", "s", "d", "LEFT", "LEFT"],
              ["RPOPLPUSH", "s", "d"], ["LMPOP", "1", "s", "LEFT"], ["BLPOP", "s", "0"],
              ["BRPOP", "s", "0"], ["BLMOVE", "s", "d", "LEFT", "LEFT", "0"],
              ["BRPOPLPUSH", "s", "d", "0"], ["BLMPOP", "0", "1", "s", "LEFT"]):
        assert raw.cmd(*c) == WRONGTYPE, c
    raw.cmd("RPUSH", "l", "a")
    assert raw.cmd("LMOVE", "l", "s", "LEFT", "LEFT") == WRONGTYPE
    assert raw.cmd("RPOPLPUSH", "l", "s") == WRONGTYPE
    assert raw.cmd("LLEN", "l") == num(1)
    # A missing source never looks at the destination.
    assert raw.cmd("LMOVE", "nokey", "s", "LEFT", "LEFT") == NULL
    # LMPOP stops at the first wrong-typed key, even after an empty one.
    assert raw.cmd("LMPOP", "3", "nokey", "s", "l", "LEFT") == WRONGTYPE


# ---- pops ---------------------------------------------------------------------------------

def test_list_pop_count(raw):
    raw.cmd("RPUSH", "l", "a", "b", "c", "d", "e")
    assert raw.cmd("LPOP", "l") == bulk("a")
    assert raw.cmd("RPOP", "l") == bulk("e")
    assert raw.cmd("LPOP", "l", "2") == arr("b", "c")
    assert raw.cmd("LPOP", "l", "0") == EMPTY
    assert raw.cmd("RPOP", "l", "10") == arr("d")
    assert raw.cmd("EXISTS", "l") == num(0)
    assert raw.cmd("LPOP", "l") == NULL
    assert raw.cmd("LPOP", "l", "1") == NULL_ARRAY
    assert raw.cmd("LPOP", "l", "0") == NULL_ARRAY
    assert raw.cmd("LPOP", "l", "-1") == POSITIVE
    assert raw.cmd("LPOP", "l", "x") == POSITIVE
    assert raw.cmd("LPOP", "l", "1", "2") == arity("lpop")
    assert raw.cmd("RPOP") == arity("rpop")


def test_list_pop_resp3(raw3):
    raw3.cmd("RPUSH", "l", "a", "b")
    assert raw3.cmd("LPOP", "nokey") == b"_\r\n"
    assert raw3.cmd("LPOP", "nokey", "2") == b"_\r\n"
    assert raw3.cmd("LPOP", "l", "0") == EMPTY
    assert raw3.cmd("LINDEX", "l", "5") == b"_\r\n"
    assert raw3.cmd("LPOS", "l", "zz") == b"_\r\n"
    assert raw3.cmd("LMPOP", "1", "nokey", "LEFT") == b"_\r\n"
    assert raw3.cmd("LMPOP", "1", "l", "RIGHT") == arr("l", arr("b"))
    assert raw3.cmd("BLPOP", "nokey", "0.01") == b"_\r\n"
    assert raw3.cmd("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.01") == b"_\r\n"
    assert raw3.cmd("LRANGE", "l", "0", "-1") == arr("a")


def test_list_lmpop(raw):
    raw.cmd("RPUSH", "b", "1", "2", "3")
    assert raw.cmd("LMPOP", "2", "a", "b", "LEFT") == arr("b", arr("1"))
    assert raw.cmd("LMPOP", "2", "a", "b", "right", "COUNT", "5") == arr("b", arr("3", "2"))
    assert raw.cmd("EXISTS", "b") == num(0)
    assert raw.cmd("LMPOP", "2", "a", "b", "LEFT") == NULL_ARRAY
    raw.cmd("RPUSH", "b", "1")
    num0 = b"-ERR numkeys should be greater than 0\r\n"
    cnt0 = b"-ERR count should be greater than 0\r\n"
    assert raw.cmd("LMPOP", "0", "b", "LEFT") == num0
    assert raw.cmd("LMPOP", "-1", "b", "LEFT") == num0
    assert raw.cmd("LMPOP", "x", "b", "LEFT") == num0
    assert raw.cmd("LMPOP", "2", "b", "LEFT") == SYNTAX
    assert raw.cmd("LMPOP", "5", "b", "LEFT") == SYNTAX
    assert raw.cmd("LMPOP", "1", "b", "MIDDLE") == SYNTAX
    assert raw.cmd("LMPOP", "1", "b", "LEFT", "COUNT") == SYNTAX
    assert raw.cmd("LMPOP", "1", "b", "LEFT", "COUNT", "0") == cnt0
    assert raw.cmd("LMPOP", "1", "b", "LEFT", "COUNT", "-2") == cnt0
    assert raw.cmd("LMPOP", "1", "b", "LEFT", "COUNT", "1", "COUNT", "1") == SYNTAX
    assert raw.cmd("LMPOP", "1", "b", "LEFT", "FOO") == SYNTAX
    assert raw.cmd("LMPOP", "1", "b") == arity("lmpop")
    assert raw.cmd("LLEN", "b") == num(1)
    assert raw.cmd("COMMAND", "GETKEYS", "LMPOP", "2", "k1", "k2", "LEFT") == arr("k1", "k2")
    assert raw.cmd("COMMAND", "GETKEYS", "BLMPOP", "0", "1", "k1", "LEFT") == arr("k1")


# ---- index, set, insert, rem, trim ---------------------------------------------------------

def test_list_lindex_lset(raw):
    raw.cmd("RPUSH", "l", "a", "b", "c")
    assert raw.cmd("LINDEX", "l", "1") == bulk("b")
    assert raw.cmd("LINDEX", "l", "-3") == bulk("a")
    assert raw.cmd("LINDEX", "l", "3") == NULL
    assert raw.cmd("LINDEX", "l", "-4") == NULL
    assert raw.cmd("LINDEX", "l", "x") == NOT_INT
    assert raw.cmd("LINDEX", "nokey", "x") == NULL
    assert raw.cmd("LSET", "l", "1", "B") == OK
    assert raw.cmd("LSET", "l", "-1", "12345") == OK
    assert raw.cmd("LRANGE", "l", "0", "-1") == arr("a", "B", "12345")
    assert raw.cmd("LSET", "l", "3", "x") == b"-ERR index out of range\r\n"
    assert raw.cmd("LSET", "l", "x", "x") == NOT_INT
    assert raw.cmd("LSET", "nokey", "0", "x") == b"-ERR no such key\r\n"
    assert raw.cmd("LSET", "nokey", "x", "x") == b"-ERR no such key\r\n"


def test_list_linsert(raw):
    raw.cmd("RPUSH", "l", "a", "b", "c")
    assert raw.cmd("LINSERT", "l", "BEFORE", "b", "x") == num(4)
    assert raw.cmd("LINSERT", "l", "after", "c", "y") == num(5)
    assert raw.cmd("LINSERT", "l", "AFTER", "zz", "y") == num(-1)
    assert raw.cmd("LINSERT", "nokey", "AFTER", "a", "y") == num(0)
    assert raw.cmd("LINSERT", "l", "MIDDLE", "a", "y") == SYNTAX
    assert raw.cmd("LINSERT", "nokey", "MIDDLE", "a", "y") == SYNTAX
    assert raw.cmd("LRANGE", "l", "0", "-1") == arr("a", "x", "b", "c", "y")


def test_list_lrem(raw):
    raw.cmd("RPUSH", "l", *"abcabcabca")
    assert raw.cmd("LREM", "l", "2", "a") == num(2)
    assert lrange(raw, "l") == [b"b", b"c", b"b", b"c", b"a", b"b", b"c", b"a"]
    assert raw.cmd("LREM", "l", "-1", "b") == num(1)
    assert lrange(raw, "l") == [b"b", b"c", b"b", b"c", b"a", b"c", b"a"]
    assert raw.cmd("LREM", "l", "0", "c") == num(3)
    assert raw.cmd("LREM", "l", "0", "zz") == num(0)
    assert raw.cmd("LREM", "l", "x", "zz") == NOT_INT
    assert raw.cmd("LREM", "nokey", "x", "zz") == NOT_INT
    assert raw.cmd("LREM", "nokey", "0", "zz") == num(0)
    assert raw.cmd("LREM", "l", "0", "a") == num(2)
    assert raw.cmd("LREM", "l", "-9223372036854775808", "b") == num(2)
    assert raw.cmd("EXISTS", "l") == num(0)


def test_list_ltrim(raw):
    raw.cmd("RPUSH", "l", *[str(i) for i in range(10)])
    assert raw.cmd("LTRIM", "l", "1", "-2") == OK
    assert raw.cmd("LRANGE", "l", "0", "-1") == arr(*[str(i) for i in range(1, 9)])
    assert raw.cmd("LTRIM", "l", "-3", "100") == OK
    assert raw.cmd("LRANGE", "l", "0", "-1") == arr("6", "7", "8")
    assert raw.cmd("LTRIM", "l", "x", "1") == NOT_INT
    assert raw.cmd("LTRIM", "nokey", "0", "1") == OK
    assert raw.cmd("LTRIM", "l", "2", "1") == OK
    assert raw.cmd("EXISTS", "l") == num(0)


def test_list_lpos(raw):
    raw.cmd("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
    assert raw.cmd("LPOS", "l", "c") == num(2)
    assert raw.cmd("LPOS", "l", "c", "RANK", "2") == num(6)
    assert raw.cmd("LPOS", "l", "c", "RANK", "-1") == num(7)
    assert raw.cmd("LPOS", "l", "c", "RANK", "-3") == num(2)
    assert raw.cmd("LPOS", "l", "c", "RANK", "4") == NULL
    assert raw.cmd("LPOS", "l", "c", "COUNT", "0") == arr(num(2), num(6), num(7))
    assert raw.cmd("LPOS", "l", "c", "COUNT", "2") == arr(num(2), num(6))
    assert raw.cmd("LPOS", "l", "c", "COUNT", "2", "RANK", "-1") == arr(num(7), num(6))
    assert raw.cmd("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7") == arr(num(2), num(6))
    assert raw.cmd("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1") == num(7)
    assert raw.cmd("LPOS", "l", "a", "RANK", "-1", "MAXLEN", "2") == NULL
    assert raw.cmd("LPOS", "l", "zz", "COUNT", "1") == EMPTY
    assert raw.cmd("LPOS", "l", "3") == num(5)
    assert raw.cmd("LPOS", "l", "c", "RANK", "-9223372036854775808") == num(7)
    assert raw.cmd("LPOS", "l", "c", "RANK", "-9223372036854775808", "COUNT", "1") == \
        arr(num(7), num(6), num(2))
    assert raw.cmd("LPOS", "nokey", "c") == NULL
    assert raw.cmd("LPOS", "nokey", "c", "COUNT", "1") == EMPTY
    assert raw.cmd("LPOS", "l", "c", "RANK", "0") == (
        b"-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
        b"or use negative to start from the end of the list\r\n")
    assert raw.cmd("LPOS", "l", "c", "COUNT", "-1") == b"-ERR COUNT can't be negative\r\n"
    assert raw.cmd("LPOS", "l", "c", "MAXLEN", "-1") == b"-ERR MAXLEN can't be negative\r\n"
    assert raw.cmd("LPOS", "nokey", "c", "MAXLEN", "-1") == b"-ERR MAXLEN can't be negative\r\n"
    assert raw.cmd("LPOS", "l", "c", "RANK", "x") == NOT_INT
    assert raw.cmd("LPOS", "l", "c", "RANK") == SYNTAX
    assert raw.cmd("LPOS", "l", "c", "FOO", "1") == SYNTAX
    assert raw.cmd("LPOS", "l") == arity("lpos")


# ---- moves --------------------------------------------------------------------------------

def test_list_lmove(raw):
    raw.cmd("RPUSH", "s", "a", "b", "c")
    assert raw.cmd("LMOVE", "s", "d", "LEFT", "RIGHT") == bulk("a")
    assert raw.cmd("LMOVE", "s", "d", "right", "left") == bulk("c")
    assert lrange(raw, "d") == [b"c", b"a"]
    assert raw.cmd("RPOPLPUSH", "s", "d") == bulk("b")
    assert raw.cmd("EXISTS", "s") == num(0)
    assert lrange(raw, "d") == [b"b", b"c", b"a"]
    assert raw.cmd("LMOVE", "d", "d", "LEFT", "RIGHT") == bulk("b")
    assert lrange(raw, "d") == [b"c", b"a", b"b"]
    assert raw.cmd("RPOPLPUSH", "d", "d") == bulk("b")
    assert lrange(raw, "d") == [b"b", b"c", b"a"]
    raw.cmd("RPUSH", "one", "x")
    assert raw.cmd("LMOVE", "one", "one", "LEFT", "LEFT") == bulk("x")
    assert lrange(raw, "one") == [b"x"]
    assert raw.cmd("LMOVE", "nokey", "d", "LEFT", "LEFT") == NULL
    assert raw.cmd("RPOPLPUSH", "nokey", "d") == NULL
    assert raw.cmd("LMOVE", "d", "e", "UP", "LEFT") == SYNTAX
    assert raw.cmd("LMOVE", "d", "e", "LEFT", "DOWN") == SYNTAX
    big = "y" * 5000
    raw.cmd("RPUSH", "bg", big)
    assert raw.cmd("LMOVE", "bg", "bg2", "LEFT", "LEFT") == bulk(big)
    assert raw.cmd("LINDEX", "bg2", "0") == bulk(big)


# ---- encoding and node bounds ------------------------------------------------------------

@pytest.mark.parametrize("fill", ["-1", "-2", "-5", "1", "3", "128"])
def test_list_node_sizes(raw, fill):
    raw.cmd("CONFIG", "SET", "list-max-listpack-size", fill)
    try:
        model = []
        rng = random.Random(int(fill) + 100)
        for i in range(600):
            v = "v%d" % i if i % 7 else "x" * rng.randint(0, 3000)
            if i % 2:
                raw.cmd("RPUSH", "l", v)
                model.append(v)
            else:
                raw.cmd("LPUSH", "l", v)
                model.insert(0, v)
        for i in range(0, 600, 37):
            raw.cmd("LINSERT", "l", "BEFORE", model[i], "ins%d" % i)
            model.insert(i, "ins%d" % i)
        assert raw.cmd("OBJECT", "ENCODING", "l") == bulk("quicklist")
        assert lrange(raw, "l") == [m.encode() for m in model]
        for idx in (0, 1, 299, 300, -1, -2, len(model) - 1):
            assert raw.cmd("LINDEX", "l", str(idx)) == bulk(model[idx])
        assert raw.cmd("LTRIM", "l", "50", "-50") == OK
        model = model[50:len(model) - 49]
        assert lrange(raw, "l") == [m.encode() for m in model]
    finally:
        raw.cmd("CONFIG", "SET", "list-max-listpack-size", "-2")


def test_list_small_is_quicklist(raw):
    raw.cmd("RPUSH", "l", "1")
    assert raw.cmd("OBJECT", "ENCODING", "l") == bulk("quicklist")
    raw.cmd("RPOP", "l")
    raw.cmd("RPUSH", "l", "a" * 10000)
    assert raw.cmd("OBJECT", "ENCODING", "l") == bulk("quicklist")


# ---- keyspace events, DEL/COPY/DUMP --------------------------------------------------------

def test_list_keyspace_events(server, raw):
    raw.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = server.raw()
    try:
        sub.cmd("PSUBSCRIBE", "__keyevent@0__:*")
        raw.cmd("RPUSH", "l", "a", "b")
        raw.cmd("LPUSH", "l", "c")
        raw.cmd("LSET", "l", "0", "z")
        raw.cmd("LINSERT", "l", "AFTER", "z", "q")
        raw.cmd("LREM", "l", "0", "q")
        raw.cmd("LTRIM", "l", "0", "-1")
        raw.cmd("LMOVE", "l", "m", "LEFT", "RIGHT")
        raw.cmd("LPOP", "l", "5")
        raw.cmd("RPOP", "m")
        events = []
        for _ in range(12):
            msg = sub.read_parsed(timeout=2)
            events.append((msg[2].split(b":")[1], msg[3]))
        assert events == [
            (b"rpush", b"l"), (b"lpush", b"l"), (b"lset", b"l"), (b"linsert", b"l"),
            (b"lrem", b"l"), (b"ltrim", b"l"), (b"rpush", b"m"), (b"lpop", b"l"),
            (b"lpop", b"l"), (b"del", b"l"), (b"rpop", b"m"), (b"del", b"m")]
    finally:
        sub.close()
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")


def test_list_copy_dump_restore(raw):
    raw.cmd("RPUSH", "l", "a", "1", "b" * 300)
    assert raw.cmd("COPY", "l", "l2") == num(1)
    raw.cmd("RPUSH", "l2", "more")
    assert lrange(raw, "l") == [b"a", b"1", b"b" * 300]
    dump = raw.cmdp("DUMP", "l")
    assert raw.cmd("RESTORE", "l3", "0", dump) == OK
    assert lrange(raw, "l3") == [b"a", b"1", b"b" * 300]
    assert raw.cmd("OBJECT", "ENCODING", "l3") == bulk("quicklist")
    assert raw.cmd("DEL", "l", "l2", "l3") == num(3)


def test_list_memory_usage(raw):
    require(raw, "memory")
    raw.cmd("RPUSH", "l", *["e%d" % i for i in range(1000)])
    mu = int(raw.cmd("MEMORY", "USAGE", "l")[1:-2])
    assert 4000 < mu < 40000


# ---- blocking -----------------------------------------------------------------------------

def blocked_clients(raw):
    info = raw.cmdp("INFO", "clients").decode()
    for line in info.split("\r\n"):
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    return None


def wait_blocked(raw, n):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if blocked_clients(raw) == n:
            return True
        time.sleep(0.01)
    return False


def test_list_blpop_immediate_and_timeout(raw):
    raw.cmd("RPUSH", "b", "x", "y")
    assert raw.cmd("BLPOP", "a", "b", "0") == arr("b", "x")
    assert raw.cmd("BRPOP", "a", "b", "0") == arr("b", "y")
    t = time.monotonic()
    assert raw.cmd("BLPOP", "a", "b", "0.2") == NULL_ARRAY
    assert 0.15 < time.monotonic() - t < 2
    # Redis 7.0 times a BLMOVE out with a null array, though inside MULTI it answers a null.
    assert raw.cmd("BRPOPLPUSH", "a", "d", "0.05") == NULL_ARRAY
    assert raw.cmd("BLMOVE", "a", "d", "LEFT", "LEFT", "0.05") == NULL_ARRAY
    assert raw.cmd("BLMPOP", "0.05", "1", "a", "LEFT") == NULL_ARRAY
    assert raw.cmd("BLPOP", "a", "-1") == b"-ERR timeout is negative\r\n"
    assert raw.cmd("BLPOP", "a", "x") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.cmd("BLMPOP", "x", "1", "a", "LEFT") == \
        b"-ERR timeout is not a float or out of range\r\n"
    # BLMPOP checks its other arguments before the timeout.
    assert raw.cmd("BLMPOP", "x", "0", "a", "LEFT") == \
        b"-ERR numkeys should be greater than 0\r\n"
    assert raw.cmd("BLMPOP", "x", "1", "a", "MIDDLE") == SYNTAX
    assert raw.cmd("BLMPOP", "0", "0", "a", "LEFT") == \
        b"-ERR numkeys should be greater than 0\r\n"
    assert raw.cmd("BLMOVE", "a", "d", "LEFT", "X", "x") == SYNTAX
    assert raw.cmd("BLPOP", "a") == arity("blpop")


def test_list_blocking_in_multi(raw):
    assert raw.cmd("MULTI") == OK
    assert raw.cmd("BLPOP", "q", "0") == b"+QUEUED\r\n"
    assert raw.cmd("BLMOVE", "q", "d", "LEFT", "LEFT", "0") == b"+QUEUED\r\n"
    assert raw.cmd("BRPOPLPUSH", "q", "d", "0") == b"+QUEUED\r\n"
    assert raw.cmd("BLMPOP", "0", "1", "q", "LEFT") == b"+QUEUED\r\n"
    assert raw.cmd("EXEC") == b"*4\r\n" + NULL_ARRAY + NULL + NULL + NULL_ARRAY


def test_list_blpop_fifo_wakeup(server, raw):
    c1, c2, c3 = server.raw(), server.raw(), server.raw()
    try:
        c1.send("BLPOP", "q", "0")
        assert wait_blocked(raw, 1)
        c2.send("BLPOP", "q2", "q", "0")
        assert wait_blocked(raw, 2)
        c3.send("BRPOP", "q", "0")
        assert wait_blocked(raw, 3)
        assert raw.cmd("RPUSH", "q", "a", "b") == num(2)
        assert c1.read_reply() == arr("q", "a")
        assert c2.read_reply() == arr("q", "b")
        assert c3.read_available(0.1) == b""
        assert raw.cmd("EXISTS", "q") == num(0)
        assert wait_blocked(raw, 1)
        raw.cmd("LPUSH", "q", "c")
        assert c3.read_reply() == arr("q", "c")
        assert wait_blocked(raw, 0)
    finally:
        for c in (c1, c2, c3):
            c.close()


def test_list_blmove_wakeup(server, raw):
    c1 = server.raw()
    try:
        c1.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
        assert wait_blocked(raw, 1)
        raw.cmd("RPUSH", "src", "1", "2")
        assert c1.read_reply() == bulk("2")
        assert lrange(raw, "dst") == [b"2"]
        assert lrange(raw, "src") == [b"1"]
        # A chain: a client blocked on dst is served by the move into dst.
        c2 = server.raw()
        try:
            raw.cmd("DEL", "src", "dst")
            c2.send("BLPOP", "dst", "0")
            assert wait_blocked(raw, 1)
            c1.send("BRPOPLPUSH", "src", "dst", "0")
            assert wait_blocked(raw, 2)
            raw.cmd("LPUSH", "src", "v")
            assert c1.read_reply() == bulk("v")
            assert c2.read_reply() == arr("dst", "v")
            assert raw.cmd("EXISTS", "src", "dst") == num(0)
        finally:
            c2.close()
    finally:
        c1.close()


def test_list_blmpop_wakeup(server, raw):
    c1 = server.raw()
    try:
        c1.send("BLMPOP", "0", "2", "k1", "k2", "RIGHT", "COUNT", "2")
        assert wait_blocked(raw, 1)
        raw.cmd("RPUSH", "k2", "a", "b", "c")
        assert c1.read_reply() == arr("k2", arr("c", "b"))
    finally:
        c1.close()


def test_list_blpop_wakeup_by_rename(server, raw):
    c1 = server.raw()
    try:
        c1.send("BLPOP", "target", "0")
        assert wait_blocked(raw, 1)
        raw.cmd("RPUSH", "other", "v")
        raw.cmd("RENAME", "other", "target")
        assert c1.read_reply() == arr("target", "v")
    finally:
        c1.close()


def test_list_blpop_wakeup_by_multi(server, raw):
    c1 = server.raw()
    try:
        c1.send("BLPOP", "target", "0")
        assert wait_blocked(raw, 1)
        raw.cmd("MULTI")
        raw.cmd("RPUSH", "target", "m1")
        raw.cmd("RPUSH", "target", "m2")
        assert raw.cmd("EXEC") == arr(num(1), num(2))
        assert c1.read_reply() == arr("target", "m1")
        assert lrange(raw, "target") == [b"m2"]
    finally:
        c1.close()


def test_list_blpop_string_key_does_not_wake(server, raw):
    c1 = server.raw()
    try:
        c1.send("BLPOP", "k", "0")
        assert wait_blocked(raw, 1)
        raw.cmd("SET", "k", "str")
        assert c1.read_available(0.2) == b""
        raw.cmd("DEL", "k")
        raw.cmd("RPUSH", "k", "v")
        assert c1.read_reply() == arr("k", "v")
    finally:
        c1.close()


def test_list_client_unblock(server, raw):
    c1 = server.raw()
    try:
        cid = int(c1.cmd("CLIENT", "ID")[1:-2])
        c1.send("BLPOP", "k", "0")
        assert wait_blocked(raw, 1)
        assert raw.cmd("CLIENT", "UNBLOCK", str(cid)) == num(1)
        assert c1.read_reply() == NULL_ARRAY
        c1.send("BLMOVE", "k", "d", "LEFT", "LEFT", "0")
        assert wait_blocked(raw, 1)
        assert raw.cmd("CLIENT", "UNBLOCK", str(cid), "ERROR") == num(1)
        assert c1.read_reply() == \
            b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
        assert raw.cmd("CLIENT", "UNBLOCK", str(cid)) == num(0)
        assert wait_blocked(raw, 0)
    finally:
        c1.close()


def test_list_blpop_fractional_timeout_while_others_served(server, raw):
    c1, c2 = server.raw(), server.raw()
    try:
        c1.send("BLPOP", "k", "0.3")
        c2.send("BLPOP", "k", "0")
        assert wait_blocked(raw, 2)
        t = time.monotonic()
        assert c1.read_reply(timeout=3) == NULL_ARRAY
        assert time.monotonic() - t < 2
        raw.cmd("RPUSH", "k", "v")
        assert c2.read_reply() == arr("k", "v")
    finally:
        c1.close()
        c2.close()


# ---- random differential run against a model ----------------------------------------------

def test_list_random_model(raw):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    raw.cmd("CONFIG", "SET", "list-max-listpack-size", "4")
    model = {}
    keys = ["k1", "k2", "k3"]
    vals = ["a", "b", "c", "1", "22", "-3", "x" * 40]
    try:
        for step in range(1500):
            k = rng.choice(keys)
            lst = model.get(k, [])
            op = rng.randrange(10)
            v = rng.choice(vals)
            ctx = (seed, step, op, k)
            if op == 0:
                n = rng.randint(1, 4)
                vs = [rng.choice(vals) for _ in range(n)]
                assert raw.cmd("LPUSH", k, *vs) == num(len(lst) + n), ctx
                model[k] = vs[::-1] + lst
            elif op == 1:
                assert raw.cmd("RPUSH", k, v) == num(len(lst) + 1), ctx
                model[k] = lst + [v]
            elif op == 2:
                cnt = rng.randint(1, 3)
                got = raw.cmdp("LPOP", k, str(cnt))
                exp = [x.encode() for x in lst[:cnt]] if lst else None
                assert got == exp, ctx
                model[k] = lst[cnt:]
            elif op == 3:
                idx = rng.randint(-len(lst) - 1, len(lst))
                got = raw.cmdp("LINDEX", k, str(idx))
                exp = lst[idx].encode() if -len(lst) <= idx < len(lst) else None
                assert got == exp, ctx
            elif op == 4 and lst:
                piv = rng.choice(lst)
                i = lst.index(piv)
                where = rng.choice(["BEFORE", "AFTER"])
                assert raw.cmd("LINSERT", k, where, piv, v) == num(len(lst) + 1), ctx
                lst.insert(i if where == "BEFORE" else i + 1, v)
            elif op == 5:
                cnt = rng.randint(-2, 2)
                got = raw.cmdp("LREM", k, str(cnt), v)
                n = 0
                if cnt >= 0:
                    out = []
                    for x in lst:
                        if x == v and (cnt == 0 or n < cnt):
                            n += 1
                        else:
                            out.append(x)
                else:
                    out = []
                    for x in reversed(lst):
                        if x == v and n < -cnt:
                            n += 1
                        else:
                            out.append(x)
                    out.reverse()
                assert got == n, ctx
                model[k] = out
            elif op == 6:
                s, e = rng.randint(-5, 5), rng.randint(-5, 5)
                raw.cmd("LTRIM", k, str(s), str(e))
                ln = len(lst)
                si, ei = (s + ln if s < 0 else s), (e + ln if e < 0 else e)
                si = max(si, 0)
                model[k] = lst[si:ei + 1] if si <= ei else []
            elif op == 7:
                d = rng.choice(keys)
                fr, to = rng.choice(["LEFT", "RIGHT"]), rng.choice(["LEFT", "RIGHT"])
                got = raw.cmdp("LMOVE", k, d, fr, to)
                if not lst:
                    assert got is None, ctx
                else:
                    x = lst.pop(0 if fr == "LEFT" else -1)
                    assert got == x.encode(), ctx
                    dl = model.setdefault(d, [])
                    if to == "LEFT":
                        dl.insert(0, x)
                    else:
                        dl.append(x)
            elif op == 8 and lst:
                idx = rng.randrange(len(lst))
                assert raw.cmd("LSET", k, str(idx), v) == OK, ctx
                lst[idx] = v
            elif op == 9:
                got = raw.cmdp("LPOS", k, v, "COUNT", "0")
                assert got == [i for i, x in enumerate(lst) if x == v], ctx
            for kk in keys:
                if not model.get(kk):
                    model.pop(kk, None)
            if step % 50 == 0:
                for kk in keys:
                    exp = [x.encode() for x in model.get(kk, [])]
                    assert lrange(raw, kk) == exp, (seed, step, kk)
                    assert raw.cmd("EXISTS", kk) == num(1 if exp else 0), (seed, step, kk)
    finally:
        raw.cmd("CONFIG", "SET", "list-max-listpack-size", "-2")


def test_list_blmove_woken_with_wrongtype_destination(server, raw):
    c1 = server.raw()
    try:
        raw.cmd("SET", "dst", "s")
        c1.send("BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
        assert wait_blocked(raw, 1)
        assert raw.cmd("RPUSH", "src", "v") == num(1)
        assert c1.read_reply() == WRONGTYPE
        assert lrange(raw, "src") == [b"v"]
        assert wait_blocked(raw, 0)
    finally:
        c1.close()


def test_list_blpop_second_key_and_resp3(server, raw):
    c1 = server.raw()
    try:
        c1.cmd("HELLO", "3")
        c1.send("BRPOP", "k1", "k2", "0")
        assert wait_blocked(raw, 1)
        raw.cmd("RPUSH", "k2", "a", "b")
        assert c1.read_reply() == arr("k2", "b")
        c1.send("BLPOP", "k1", "0.05")
        assert c1.read_reply() == b"_\r\n"
    finally:
        c1.close()
