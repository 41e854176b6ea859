"""Keyspace notifications (notify-keyspace-events): event names, order and classes as Redis 7.0
sends them, for every command family that exists. Run with PAIRDB_TARGET=redis to check the
expectations against the reference server."""

import time

import pytest

from resp import RawConn, parse_reply, _scan


class Events:
    """A subscriber to every keyspace and keyevent channel of every database."""

    def __init__(self, server, pattern="__key*@*__:*"):
        self.c = RawConn(server.host, server.port, timeout=10)
        assert self.c.cmd("PSUBSCRIBE", pattern)[:4] == b"*3\r\n"

    def take(self, wait=0.05):
        """The (channel, message) pairs received so far, in order."""
        data = self.c.read_available(wait)
        out = []
        while data:
            end = _scan(data, 0)
            m = parse_reply(data[:end])
            data = data[end:]
            assert m[0] == b"pmessage"
            out.append((m[2].decode(), m[3].decode()))
        return out

    def close(self):
        self.c.close()


def both(db, key, *events):
    """The pairs K and E flags produce for key's events in db, in order."""
    out = []
    for ev in events:
        out.append(("__keyspace@%d__:%s" % (db, key), ev))
        out.append(("__keyevent@%d__:%s" % (db, ev), key))
    return out


@pytest.fixture
def events(server, raw):
    assert raw.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"+OK\r\n"
    ev = Events(server)
    yield ev
    ev.close()
    raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")


# (setup commands, command, expected events on key "k" unless a list of pairs is given)
CASES = [
    ([], ["SET", "k", "v"], ["set"]),
    ([], ["SET", "k", "v", "EX", "100"], ["set", "expire"]),
    (["SET", "k", "v"], ["SET", "k", "w", "NX"], []),
    ([], ["SETEX", "k", "100", "v"], ["set", "expire"]),
    ([], ["MSET", "k", "1"], ["set"]),
    (["SET", "k", "v"], ["GETDEL", "k"], ["del"]),
    (["SET", "k", "v"], ["GETEX", "k", "EX", "100"], ["expire"]),
    (["SET", "k", "v", "EX", "100"], ["GETEX", "k", "PERSIST"], ["persist"]),
    (["SET", "k", "v"], ["APPEND", "k", "x"], ["append"]),
    ([], ["SETRANGE", "k", "2", "x"], ["setrange"]),
    ([], ["INCR", "k"], ["incrby"]),
    ([], ["DECRBY", "k", "3"], ["incrby"]),  # Redis names every INCR/DECR "incrby"
    ([], ["INCRBYFLOAT", "k", "1.5"], ["incrbyfloat"]),
    (["SET", "k", "v"], ["DEL", "k"], ["del"]),
    (["SET", "k", "v"], ["UNLINK", "k"], ["del"]),
    (["SET", "k", "v"], ["EXPIRE", "k", "100"], ["expire"]),
    (["SET", "k", "v"], ["EXPIRE", "k", "0"], ["del"]),
    (["SET", "k", "v", "EX", "100"], ["PERSIST", "k"], ["persist"]),
    (["SET", "k", "v"], ["RENAME", "k", "k2"],
     both(0, "k", "rename_from") + both(0, "k2", "rename_to")),
    (["SET", "k", "v"], ["COPY", "k", "k2"], both(0, "k2", "copy_to")),
    (["SET", "k", "v"], ["MOVE", "k", "1"], both(0, "k", "move_from") + both(1, "k", "move_to")),
    ([], ["LPUSH", "k", "a", "b"], ["lpush"]),
    ([], ["RPUSH", "k", "a"], ["rpush"]),
    (["RPUSH", "k", "a", "b"], ["LPOP", "k"], ["lpop"]),
    (["RPUSH", "k", "a"], ["RPOP", "k"], ["rpop", "del"]),
    (["RPUSH", "k", "a"], ["LSET", "k", "0", "b"], ["lset"]),
    (["RPUSH", "k", "a"], ["LINSERT", "k", "BEFORE", "a", "b"], ["linsert"]),
    (["RPUSH", "k", "a", "b"], ["LREM", "k", "1", "a"], ["lrem"]),
    (["RPUSH", "k", "a", "b"], ["LTRIM", "k", "0", "0"], ["ltrim"]),
    (["RPUSH", "k", "a"], ["LMOVE", "k", "d", "LEFT", "RIGHT"],
     both(0, "d", "rpush") + both(0, "k", "lpop", "del")),
    ([], ["HSET", "k", "f", "v"], ["hset"]),
    ([], ["HSETNX", "k", "f", "v"], ["hset"]),
    (["HSET", "k", "f", "v", "g", "w"], ["HDEL", "k", "f"], ["hdel"]),
    (["HSET", "k", "f", "v"], ["HDEL", "k", "f"], ["hdel", "del"]),
    ([], ["HINCRBY", "k", "f", "1"], ["hincrby"]),
    ([], ["HINCRBYFLOAT", "k", "f", "1"], ["hincrbyfloat"]),
    ([], ["SADD", "k", "a"], ["sadd"]),
    (["SADD", "k", "a", "b"], ["SREM", "k", "a"], ["srem"]),
    (["SADD", "k", "a"], ["SPOP", "k"], ["spop", "del"]),
    (["SADD", "k", "a", "b"], ["SMOVE", "k", "d", "a"], both(0, "k", "srem") + both(0, "d", "sadd")),
    (["SADD", "a", "1", "2"], ["SINTERSTORE", "k", "a", "a"], ["sinterstore"]),
    ([["SADD", "a", "1"], ["SET", "k", "x"]], ["SDIFFSTORE", "k", "a", "a"], ["del"]),
    (["SADD", "a", "1"], ["SUNIONSTORE", "k", "a"], ["sunionstore"]),
    ([], ["ZADD", "k", "1", "a"], ["zadd"]),
    (["ZADD", "k", "1", "a"], ["ZADD", "k", "1", "a"], []),
    ([], ["ZINCRBY", "k", "1", "a"], ["zincr"]),
    (["ZADD", "k", "1", "a", "2", "b"], ["ZREM", "k", "a"], ["zrem"]),
    (["ZADD", "k", "1", "a", "2", "b"], ["ZREMRANGEBYSCORE", "k", "0", "1"], ["zremrangebyscore"]),
    (["ZADD", "k", "1", "a", "2", "b"], ["ZREMRANGEBYRANK", "k", "0", "-1"],
     ["zremrangebyrank", "del"]),
    (["ZADD", "k", "0", "a", "0", "b"], ["ZREMRANGEBYLEX", "k", "[a", "[a"], ["zremrangebylex"]),
    (["ZADD", "k", "1", "a", "2", "b"], ["ZPOPMIN", "k"], ["zpopmin"]),
    (["ZADD", "k", "1", "a"], ["ZPOPMAX", "k"], ["zpopmax", "del"]),
    (["ZADD", "a", "1", "x"], ["ZUNIONSTORE", "k", "1", "a"], ["zunionstore"]),
    (["ZADD", "a", "1", "x"], ["ZINTERSTORE", "k", "1", "a"], ["zinterstore"]),
    (["ZADD", "a", "1", "x"], ["ZDIFFSTORE", "k", "1", "a"], ["zdiffstore"]),
    (["ZADD", "a", "1", "x"], ["ZRANGESTORE", "k", "a", "0", "-1"], ["zrangestore"]),
    (["RPUSH", "a", "2", "1"], ["SORT", "a", "STORE", "k"], ["sortstore"]),
]


@pytest.mark.parametrize("setup,command,expected", CASES, ids=[" ".join(c[1]) for c in CASES])
def test_command_events(raw, events, setup, command, expected):
    raw.cmd("SELECT", "0")
    for cmd in setup if setup and isinstance(setup[0], list) else [setup] if setup else []:
        rep = raw.cmd(*cmd)
        assert not rep.startswith(b"-"), rep
    events.take(0.02)
    rep = raw.cmd(*command)
    assert not rep.startswith(b"-"), rep
    if expected and isinstance(expected[0], str):
        expected = both(0, "k", *expected)
    assert events.take() == expected


def test_class_filter_and_single_flag(server, raw):
    ev = Events(server)
    try:
        # K alone: only keyspace channels; the class letters filter events.
        assert raw.cmd("CONFIG", "SET", "notify-keyspace-events", "K$") == b"+OK\r\n"
        raw.cmd("SET", "k", "v")
        raw.cmd("LPUSH", "l", "a")
        assert ev.take() == [("__keyspace@0__:k", "set")]
        # E alone with generic commands only.
        assert raw.cmd("CONFIG", "SET", "notify-keyspace-events", "Eg") == b"+OK\r\n"
        raw.cmd("SET", "k", "v")
        raw.cmd("DEL", "k")
        assert ev.take() == [("__keyevent@0__:del", "k")]
        # Classes without K or E send nothing.
        assert raw.cmd("CONFIG", "SET", "notify-keyspace-events", "A") == b"+OK\r\n"
        raw.cmd("SET", "k", "v")
        assert ev.take() == []
    finally:
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        ev.close()


def test_database_number_in_channel(server, raw):
    ev = Events(server)
    try:
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "KE$")
        raw.cmd("SELECT", "3")
        raw.cmd("SET", "x", "1")
        assert ev.take() == both(3, "x", "set")
    finally:
        raw.cmd("SELECT", "0")
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        ev.close()


def test_new_and_keymiss(server, raw):
    ev = Events(server)
    try:
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA$nm")
        raw.cmd("SET", "k", "v")
        raw.cmd("SET", "k", "w")
        raw.cmd("GET", "nope")
        assert ev.take() == both(0, "k", "new", "set") + both(0, "k", "set") + \
            both(0, "nope", "keymiss")
        # "A" does not include n and m.
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
        raw.cmd("SET", "k2", "v")
        raw.cmd("GET", "nope")
        assert ev.take() == both(0, "k2", "set")
    finally:
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        ev.close()


def test_expired_events(server, raw):
    ev = Events(server)
    try:
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "KEx")
        raw.cmd("SET", "lazy", "v", "PX", "1")
        raw.cmd("SET", "active", "v", "PX", "1")
        time.sleep(0.05)
        raw.cmd("GET", "lazy")
        deadline = time.time() + 5
        got = []
        while len(got) < 4 and time.time() < deadline:
            got += ev.take(0.1)
        assert sorted(got) == sorted(both(0, "lazy", "expired") + both(0, "active", "expired"))
    finally:
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        ev.close()


def test_evicted_events(server, raw):
    ev = Events(server, "__keyevent@0__:evicted")
    try:
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "Ee")
        raw.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
        used = int(dict(l.split(":", 1) for l in raw.cmdp("INFO", "memory").decode().split("\r\n")
                        if ":" in l)["used_memory"])
        raw.cmd("CONFIG", "SET", "maxmemory", str(used + 200000))
        for i in range(400):
            raw.cmd("SET", "key:%d" % i, "x" * 1000)
        got = ev.take(0.2)
        assert got, "no evicted event"
        assert all(ch == "__keyevent@0__:evicted" and msg.startswith("key:") for ch, msg in got)
        assert int(raw.cmdp("DBSIZE")) == 400 - len(got)
    finally:
        raw.cmd("CONFIG", "SET", "maxmemory", "0")
        raw.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
        raw.cmd("CONFIG", "SET", "notify-keyspace-events", "")
        ev.close()
