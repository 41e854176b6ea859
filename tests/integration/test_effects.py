"""What the write-ahead log records: effects, not requests.

Every command whose result depends on the clock, randomness or hash order when it runs must log
a deterministic effect (SET ... PXAT, PEXPIREAT, SREM of the popped members, LPOP instead of
BLPOP...), so that replaying the log at start-up rebuilds the same data at any later time. The
first part reads the log segments (walfile.py) after each command and asserts the exact effect
commands; the second kills the server with SIGKILL, starts a new one on the same directory and
checks that data and TTLs came back.

Relative times are checked against the test's own clock read just before and just after the
command (same machine, same clock), plus a small allowance.
"""

import threading
import time

import pytest

from conftest import IS_REDIS, wait_for
import walfile

pytestmark = pytest.mark.skipif(IS_REDIS, reason="reads PairDB's own log format")

WAL_ARGS = ("--appendonly", "yes", "--appendfsync", "always", "--wal-segment-size", "1mb")
SLACK_MS = 50
FAR_MS = 4000000000000     # year 2096


def now_ms():
    return int(time.time() * 1000)


class WalServer:
    """A logging server and a client."""

    def __init__(self, server):
        self.s = server
        self.c = server.client()

    def effects(self, fn, *args):
        """Runs fn(*args) and returns the effects it logged (writes are acknowledged only once
        synced under appendfsync always, so they are on disk when the reply arrives)."""
        before = len(walfile.read_effects(self.s.dir))
        fn(*args)
        return walfile.read_effects(self.s.dir)[before:]

    def timed(self, fn, *args):
        """(effects, t0, t1): t0/t1 bracket the command on the test's clock."""
        t0 = now_ms()
        fx = self.effects(fn, *args)
        return fx, t0, now_ms()

    def restart_after_crash(self):
        self.c.close()
        self.s.crash_restart()
        self.c = self.s.client()


@pytest.fixture
def w(start_server):
    ws = WalServer(start_server(*WAL_ARGS))
    yield ws
    ws.c.close()


def assert_abs_ms(value, lo, hi):
    v = int(value)
    assert lo - SLACK_MS <= v <= hi + SLACK_MS, (v, lo, hi)


def single(fx, name, argc):
    assert len(fx) == 1, fx
    assert fx[0][0] == name and len(fx[0]) == argc, fx
    return fx[0]


# ---- the reader itself -----------------------------------------------------------------------

def test_walfile_reads_frames_with_checksums(w):
    fx = w.effects(w.c.execute_command, "SET", "plain", "v")
    assert fx == [[b"SET", b"plain", b"v"]]
    frames = walfile.read_frames(w.s.dir)
    assert frames and frames[-1][1] == [[b"SELECT", b"0"], [b"SET", b"plain", b"v"]]
    lsns = [lsn for lsn, _ in frames]
    assert lsns == list(range(lsns[0], lsns[0] + len(lsns)))
    assert walfile.crc32c(b"123456789") == 0xE3069283


# ---- SET family ------------------------------------------------------------------------------

@pytest.mark.parametrize("opt,arg,ms", [("EX", 100, 100000), ("PX", 100500, 100500)])
def test_set_relative_expire_logs_pxat(w, opt, arg, ms):
    fx, t0, t1 = w.timed(w.c.execute_command, "SET", "k", "v", opt, arg)
    e = single(fx, b"SET", 5)
    assert e[1:4] == [b"k", b"v", b"PXAT"]
    assert_abs_ms(e[4], t0 + ms, t1 + ms)


def test_set_absolute_expire_logs_pxat(w):
    fx = w.effects(w.c.execute_command, "SET", "k", "v", "EXAT", FAR_MS // 1000)
    assert fx == [[b"SET", b"k", b"v", b"PXAT", b"%d" % FAR_MS]]
    fx = w.effects(w.c.execute_command, "SET", "k", "v2", "PXAT", FAR_MS + 7)
    assert fx == [[b"SET", b"k", b"v2", b"PXAT", b"%d" % (FAR_MS + 7)]]


def test_set_conditions_and_get_are_not_logged(w):
    fx, t0, t1 = w.timed(w.c.execute_command, "SET", "k", "v", "NX", "GET", "EX", 10)
    e = single(fx, b"SET", 5)
    assert e[1:4] == [b"k", b"v", b"PXAT"]
    assert_abs_ms(e[4], t0 + 10000, t1 + 10000)
    # The condition fails: nothing happened, nothing is logged.
    assert w.effects(w.c.execute_command, "SET", "k", "x", "NX") == []
    assert w.effects(w.c.execute_command, "SET", "nokey", "x", "XX", "GET") == []
    fx = w.effects(w.c.execute_command, "SET", "k", "w", "XX", "GET")
    assert fx == [[b"SET", b"k", b"w"]]


def test_set_keepttl_logged(w):
    w.c.execute_command("SET", "k", "v", "PXAT", FAR_MS)
    fx = w.effects(w.c.execute_command, "SET", "k", "v2", "KEEPTTL")
    assert fx == [[b"SET", b"k", b"v2", b"KEEPTTL"]]
    assert w.c.pexpiretime("k") == FAR_MS


def test_setex_psetex_log_pxat(w):
    fx, t0, t1 = w.timed(w.c.execute_command, "SETEX", "a", 30, "va")
    e = single(fx, b"SET", 5)
    assert e[1:4] == [b"a", b"va", b"PXAT"]
    assert_abs_ms(e[4], t0 + 30000, t1 + 30000)
    fx, t0, t1 = w.timed(w.c.execute_command, "PSETEX", "b", 1234, "vb")
    e = single(fx, b"SET", 5)
    assert e[1:4] == [b"b", b"vb", b"PXAT"]
    assert_abs_ms(e[4], t0 + 1234, t1 + 1234)


def test_setnx_logged_as_plain_set(w):
    assert w.effects(w.c.execute_command, "SETNX", "k", "v") == [[b"SET", b"k", b"v"]]
    assert w.effects(w.c.execute_command, "SETNX", "k", "v") == []


# ---- GETEX -----------------------------------------------------------------------------------

@pytest.mark.parametrize("opt,arg,ms", [("EX", 50, 50000), ("PX", 7000, 7000)])
def test_getex_relative_logs_pexpireat(w, opt, arg, ms):
    w.c.set("k", "v")
    fx, t0, t1 = w.timed(w.c.execute_command, "GETEX", "k", opt, arg)
    e = single(fx, b"PEXPIREAT", 3)
    assert e[1] == b"k"
    assert_abs_ms(e[2], t0 + ms, t1 + ms)


def test_getex_absolute_persist_and_past(w):
    w.c.set("k", "v")
    fx = w.effects(w.c.execute_command, "GETEX", "k", "EXAT", FAR_MS // 1000)
    assert fx == [[b"PEXPIREAT", b"k", b"%d" % FAR_MS]]
    fx = w.effects(w.c.execute_command, "GETEX", "k", "PXAT", FAR_MS + 1)
    assert fx == [[b"PEXPIREAT", b"k", b"%d" % (FAR_MS + 1)]]
    assert w.effects(w.c.execute_command, "GETEX", "k", "PERSIST") == [[b"PERSIST", b"k"]]
    # No TTL left to remove, no options at all: nothing changes, nothing is logged.
    assert w.effects(w.c.execute_command, "GETEX", "k", "PERSIST") == []
    assert w.effects(w.c.execute_command, "GETEX", "k") == []
    assert w.effects(w.c.execute_command, "GETEX", "k", "PXAT", 1) == [[b"DEL", b"k"]]
    assert w.c.exists("k") == 0


# ---- EXPIRE family ---------------------------------------------------------------------------

@pytest.mark.parametrize("cmd,arg,ms", [("EXPIRE", 100, 100000), ("PEXPIRE", 100123, 100123)])
def test_expire_relative_logs_pexpireat(w, cmd, arg, ms):
    w.c.set("k", "v")
    fx, t0, t1 = w.timed(w.c.execute_command, cmd, "k", arg)
    e = single(fx, b"PEXPIREAT", 3)
    assert e[1] == b"k"
    assert_abs_ms(e[2], t0 + ms, t1 + ms)


def test_expire_absolute_and_conditions(w):
    w.c.set("k", "v")
    fx = w.effects(w.c.execute_command, "EXPIREAT", "k", FAR_MS // 1000, "NX")
    assert fx == [[b"PEXPIREAT", b"k", b"%d" % FAR_MS]]
    # Conditions that fail change nothing and log nothing.
    assert w.effects(w.c.execute_command, "PEXPIREAT", "k", FAR_MS + 5, "NX") == []
    assert w.effects(w.c.execute_command, "PEXPIREAT", "k", FAR_MS - 5, "GT") == []
    assert w.effects(w.c.execute_command, "PEXPIREAT", "k", FAR_MS + 5, "LT") == []
    fx = w.effects(w.c.execute_command, "PEXPIREAT", "k", FAR_MS + 5, "GT")
    assert fx == [[b"PEXPIREAT", b"k", b"%d" % (FAR_MS + 5)]]
    fx, t0, t1 = w.timed(w.c.execute_command, "EXPIRE", "k", 60, "LT")
    e = single(fx, b"PEXPIREAT", 3)
    assert_abs_ms(e[2], t0 + 60000, t1 + 60000)
    fx, t0, t1 = w.timed(w.c.execute_command, "PEXPIRE", "k", 90000, "XX")
    e = single(fx, b"PEXPIREAT", 3)
    assert_abs_ms(e[2], t0 + 90000, t1 + 90000)
    assert w.effects(w.c.execute_command, "EXPIRE", "missing", 10) == []


@pytest.mark.parametrize("cmd,arg", [("EXPIRE", -1), ("PEXPIRE", 0), ("EXPIREAT", 1),
                                     ("PEXPIREAT", 5)])
def test_expire_in_the_past_logs_del(w, cmd, arg):
    w.c.set("k", "v")
    assert w.effects(w.c.execute_command, cmd, "k", arg) == [[b"DEL", b"k"]]
    assert w.c.exists("k") == 0


# ---- RESTORE ---------------------------------------------------------------------------------

def test_restore_relative_ttl_logs_absttl(w):
    w.c.rpush("src", "a", "b")
    payload = w.c.dump("src")
    fx, t0, t1 = w.timed(w.c.execute_command, "RESTORE", "k", 5000, payload)
    e = single(fx, b"RESTORE", 5)
    assert e[1] == b"k" and e[3] == payload and e[4] == b"ABSTTL"
    assert_abs_ms(e[2], t0 + 5000, t1 + 5000)
    fx, t0, t1 = w.timed(w.c.execute_command, "RESTORE", "k", 7000, payload, "REPLACE",
                         "IDLETIME", 30)
    e = single(fx, b"RESTORE", 8)
    assert e[1] == b"k" and e[3] == payload
    assert e[4:] == [b"REPLACE", b"ABSTTL", b"IDLETIME", b"30"]
    assert_abs_ms(e[2], t0 + 7000, t1 + 7000)


def test_restore_without_ttl_and_absolute(w):
    w.c.set("src", "hello")
    payload = w.c.dump("src")
    fx = w.effects(w.c.execute_command, "RESTORE", "k", 0, payload)
    assert fx == [[b"RESTORE", b"k", b"0", payload]]
    fx = w.effects(w.c.execute_command, "RESTORE", "k", FAR_MS, payload, "ABSTTL", "REPLACE")
    assert fx == [[b"RESTORE", b"k", b"%d" % FAR_MS, payload, b"REPLACE", b"ABSTTL"]]
    # An absolute TTL already past: the only effect is the deletion REPLACE made.
    fx = w.effects(w.c.execute_command, "RESTORE", "k", 1, payload, "ABSTTL", "REPLACE")
    assert fx == [[b"DEL", b"k"]]
    assert w.c.exists("k") == 0


# ---- float increments ------------------------------------------------------------------------

def test_incrbyfloat_logs_the_value(w):
    w.c.set("f", "10.5", px=FAR_MS - now_ms())
    assert w.effects(w.c.incrbyfloat, "f", "0.1") == [[b"SET", b"f", b"10.6", b"KEEPTTL"]]
    assert w.effects(w.c.incrbyfloat, "new", "3e2") == [[b"SET", b"new", b"300", b"KEEPTTL"]]
    assert w.c.pttl("f") > 0


def test_hincrbyfloat_logs_hset(w):
    assert w.effects(w.c.hincrbyfloat, "h", "x", "1.25") == [[b"HSET", b"h", b"x", b"1.25"]]
    assert w.effects(w.c.hincrbyfloat, "h", "x", "-0.5") == [[b"HSET", b"h", b"x", b"0.75"]]


# ---- SPOP ------------------------------------------------------------------------------------

def test_spop_single_logs_srem(w):
    w.c.sadd("s", "a", "b", "c")
    popped = []
    fx = w.effects(lambda: popped.append(w.c.spop("s")))
    assert fx == [[b"SREM", b"s", popped[0]]]
    # The last member: SREM deletes the key on replay as it does live.
    w.c.delete("one")
    w.c.sadd("one", 7)
    assert w.effects(w.c.spop, "one") == [[b"SREM", b"one", b"7"]]


@pytest.mark.parametrize("members", [[str(i) for i in range(20)],
                                     ["m%d" % i for i in range(20)]])
@pytest.mark.parametrize("count", [3, 18])
def test_spop_count_logs_srem_of_popped(w, members, count):
    # Both strategies (single pops, and keeping the few that remain) and both encodings.
    w.c.sadd("s", *members)
    out = []
    fx = w.effects(lambda: out.extend(w.c.spop("s", count)))
    assert len(out) == count
    assert len(fx) == 1 and fx[0][:2] == [b"SREM", b"s"]
    assert sorted(fx[0][2:]) == sorted(out)
    assert sorted(w.c.smembers("s")) == sorted(set(m.encode() for m in members) - set(out))


def test_spop_whole_set_logs_del(w):
    w.c.sadd("s", "a", "b")
    assert w.effects(w.c.spop, "s", 5) == [[b"DEL", b"s"]]
    assert w.effects(w.c.spop, "s", 5) == []


def test_spop_huge_count_logged_in_chunks(w):
    members = ["member:%d" % i for i in range(3000)]
    for i in range(0, len(members), 500):
        w.c.sadd("s", *members[i:i + 500])
    out = []
    fx = w.effects(lambda: out.extend(w.c.spop("s", 2500)))
    assert [len(e) - 2 for e in fx] == [1024, 1024, 452]
    assert all(e[:2] == [b"SREM", b"s"] for e in fx)
    logged = [m for e in fx for m in e[2:]]
    assert len(set(logged)) == 2500 and set(logged) == set(out)


# ---- blocking commands and their non-blocking forms ------------------------------------------

def test_blpop_brpop_served_at_once(w):
    w.c.rpush("l", "a", "b", "c")
    assert w.effects(w.c.blpop, ["nolist", "l"], 1) == [[b"LPOP", b"l"]]
    assert w.effects(w.c.brpop, ["l"], 1) == [[b"RPOP", b"l"]]
    assert w.c.lrange("l", 0, -1) == [b"b"]


def _serve_blocked(w, block_fn, feed_fn):
    """Starts block_fn on its own connection, waits until it blocks, feeds the key, returns
    (reply, effects logged by both)."""
    other = w.s.client()
    result = []
    t = threading.Thread(target=lambda: result.append(block_fn(other)))

    def run():
        t.start()
        assert wait_for(lambda: w.c.info("clients")["blocked_clients"] == 1)
        feed_fn(w.c)
        t.join(10)
    fx = w.effects(run)
    other.close()
    assert not t.is_alive()
    return result[0], fx


def test_blpop_served_after_blocking(w):
    reply, fx = _serve_blocked(w, lambda o: o.blpop(["l"], 5), lambda c: c.rpush("l", "x", "y"))
    assert reply == (b"l", b"x")
    assert fx == [[b"RPUSH", b"l", b"x", b"y"], [b"LPOP", b"l"]]


def test_blmove_brpoplpush_logged_as_lmove(w):
    w.c.rpush("src", "a", "b", "c")
    fx = w.effects(w.c.blmove, "src", "dst", 1, "LEFT", "RIGHT")
    assert fx == [[b"LMOVE", b"src", b"dst", b"LEFT", b"RIGHT"]]
    fx = w.effects(w.c.brpoplpush, "src", "dst", 1)
    assert fx == [[b"LMOVE", b"src", b"dst", b"RIGHT", b"LEFT"]]
    reply, fx = _serve_blocked(w, lambda o: o.blmove("in", "out", 5, "RIGHT", "LEFT"),
                               lambda c: c.rpush("in", "z"))
    assert reply == b"z"
    assert fx == [[b"RPUSH", b"in", b"z"], [b"LMOVE", b"in", b"out", b"RIGHT", b"LEFT"]]
    assert w.c.lrange("out", 0, -1) == [b"z"]


def test_lmpop_blmpop_log_resolved_pop(w):
    w.c.rpush("l2", "a", "b", "c")
    fx = w.effects(w.c.execute_command, "LMPOP", 2, "l1", "l2", "RIGHT", "COUNT", 2)
    assert fx == [[b"RPOP", b"l2", b"2"]]
    fx = w.effects(w.c.execute_command, "LMPOP", 2, "l1", "l2", "LEFT")
    assert fx == [[b"LPOP", b"l2", b"1"]]
    assert w.c.exists("l2") == 0
    reply, fx = _serve_blocked(
        w, lambda o: o.execute_command("BLMPOP", 5, 2, "l1", "l2", "LEFT", "COUNT", 5),
        lambda c: c.rpush("l2", "p", "q"))
    assert reply == [b"l2", [b"p", b"q"]]
    assert fx == [[b"RPUSH", b"l2", b"p", b"q"], [b"LPOP", b"l2", b"5"]]


def test_bzpop_logged_as_zpop(w):
    w.c.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert w.effects(w.c.bzpopmin, ["noz", "z"], 1) == [[b"ZPOPMIN", b"z"]]
    assert w.effects(w.c.bzpopmax, ["z"], 1) == [[b"ZPOPMAX", b"z"]]
    reply, fx = _serve_blocked(w, lambda o: o.bzpopmax(["zz"], 5),
                               lambda c: c.zadd("zz", {"m": 5}))
    assert reply == (b"zz", b"m", 5.0)
    assert fx == [[b"ZADD", b"zz", b"5", b"m"], [b"ZPOPMAX", b"zz"]]


def test_zmpop_bzmpop_log_resolved_pop(w):
    w.c.zadd("z2", {"a": 1, "b": 2, "c": 3})
    fx = w.effects(w.c.execute_command, "ZMPOP", 2, "z1", "z2", "MAX", "COUNT", 2)
    assert fx == [[b"ZPOPMAX", b"z2", b"2"]]
    fx = w.effects(w.c.execute_command, "BZMPOP", 1, 2, "z1", "z2", "MIN")
    assert fx == [[b"ZPOPMIN", b"z2", b"1"]]
    reply, fx = _serve_blocked(
        w, lambda o: o.execute_command("BZMPOP", 5, 1, "z1", "MIN", "COUNT", 3),
        lambda c: c.zadd("z1", {"x": 1}))
    assert reply == [b"z1", [[b"x", b"1"]]]
    assert fx == [[b"ZADD", b"z1", b"1", b"x"], [b"ZPOPMIN", b"z1", b"3"]]


def test_plain_pops_logged_as_received(w):
    w.c.rpush("l", "a", "b", "c")
    assert w.effects(w.c.lpop, "l") == [[b"LPOP", b"l"]]
    assert w.effects(w.c.execute_command, "RPOPLPUSH", "l", "d") == \
        [[b"LMOVE", b"l", b"d", b"RIGHT", b"LEFT"]]
    assert w.effects(w.c.lpop, "missing") == []


# ---- SORT ... STORE --------------------------------------------------------------------------

def test_sort_set_store_logs_the_stored_list(w):
    w.c.sadd("s", "pear", "apple", "fig", "10", "9")
    fx = w.effects(w.c.execute_command, "SORT", "s", "BY", "nosort", "STORE", "dst")
    expected = [b"10", b"9", b"apple", b"fig", b"pear"]
    assert w.c.lrange("dst", 0, -1) == expected
    assert fx == [[b"DEL", b"dst"], [b"RPUSH", b"dst"] + expected]
    # BY a pattern with ALPHA: missing weights tie, and ties keep the set's order; whatever
    # came out is what the log holds.
    fx = w.effects(w.c.execute_command, "SORT", "s", "BY", "w_*", "ALPHA", "STORE", "dst2")
    stored = w.c.lrange("dst2", 0, -1)
    assert sorted(stored) == sorted(expected)
    assert fx == [[b"DEL", b"dst2"], [b"RPUSH", b"dst2"] + stored]


def test_sort_set_store_empty_and_list_store(w):
    w.c.rpush("dst", "old")
    w.c.sadd("s", "a")
    fx = w.effects(w.c.execute_command, "SORT", "s", "LIMIT", 5, 1, "ALPHA", "STORE", "dst")
    assert fx == [[b"DEL", b"dst"]]
    assert w.c.exists("dst") == 0
    # A list's order is data: SORT of a list is logged as received.
    w.c.rpush("l", "3", "1", "2")
    fx = w.effects(w.c.execute_command, "SORT", "l", "STORE", "out")
    assert fx == [[b"SORT", b"l", b"STORE", b"out"]]


# ---- restarts: the log rebuilds the data -----------------------------------------------------

def test_restart_restores_ttls(w):
    c = w.c
    c.set("set_ex", "v", ex=100)
    c.execute_command("SETEX", "setex", 200, "v")
    c.execute_command("PSETEX", "psetex", 300000, "v")
    c.set("exp", "v")
    c.expire("exp", 400)
    c.set("pexp", "v")
    c.pexpire("pexp", 500000)
    c.set("getex", "v")
    c.execute_command("GETEX", "getex", "EX", 600)
    c.set("persist", "v", ex=100)
    c.execute_command("GETEX", "persist", "PERSIST")
    c.set("keep", "v", ex=700)
    c.set("keep", "v2", keepttl=True)
    c.rpush("src", "a", "b")
    c.execute_command("RESTORE", "restored", 800000, c.dump("src"))
    expected = {"set_ex": 100000, "setex": 200000, "psetex": 300000, "exp": 400000,
                "pexp": 500000, "getex": 600000, "keep": 700000, "restored": 800000}
    deadlines = {k: c.pexpiretime(k) for k in expected}
    w.restart_after_crash()
    c = w.c
    for k, ms in expected.items():
        assert c.pexpiretime(k) == deadlines[k], k
        pttl = c.pttl(k)
        assert 0 < pttl <= ms and pttl > ms - 30000, (k, pttl)
    assert c.pttl("persist") == -1 and c.get("persist") == b"v"
    assert c.get("keep") == b"v2"
    assert c.lrange("restored", 0, -1) == [b"a", b"b"]


def test_restart_after_ttl_passed_while_down(w):
    c = w.c
    c.set("short_set", "v", px=600)
    c.set("short_exp", "v")
    c.pexpire("short_exp", 600)
    c.set("short_getex", "v")
    c.execute_command("GETEX", "short_getex", "PX", 600)
    c.set("long", "v", ex=1000)
    w.s.crash()
    time.sleep(0.8)
    w.s.start()
    w.c = w.s.client()
    c = w.c
    for k in ("short_set", "short_exp", "short_getex"):
        assert c.exists(k) == 0, k
    assert c.get("long") == b"v"


def test_restart_keeps_random_and_float_results(w):
    c = w.c
    members = ["m%d" % i for i in range(50)]
    c.sadd("s", *members)
    popped = set(c.spop("s", 10)) | {c.spop("s")}
    c.sadd("gone", "x", "y")
    c.spop("gone", 10)
    c.set("f", "10.5")
    c.incrbyfloat("f", "0.1")
    c.incrbyfloat("f", "1e-3")
    c.hincrbyfloat("h", "x", "1.1")
    c.hincrbyfloat("h", "x", "2.2")
    c.sadd("sorted_src", "b", "c", "a")
    c.execute_command("SORT", "sorted_src", "BY", "nosort", "STORE", "sorted")
    remaining = set(c.smembers("s"))
    f, hx = c.get("f"), c.hget("h", "x")
    logged = walfile.read_effects(w.s.dir)
    w.restart_after_crash()
    c = w.c
    # Replay rebuilt the data without logging it again.
    assert walfile.read_effects(w.s.dir) == logged
    assert set(c.smembers("s")) == remaining
    assert len(remaining) == 39 and not (popped & remaining)
    assert c.exists("gone") == 0
    assert c.get("f") == f == b"10.601"
    assert c.hget("h", "x") == hx == b"3.3"
    assert c.lrange("sorted", 0, -1) == [b"a", b"b", b"c"]


def test_restart_after_blocking_pops(w):
    c = w.c
    c.rpush("l", "a", "b", "c", "d")
    c.blpop(["l"], 1)
    c.brpop(["l"], 1)
    c.blmove("l", "moved", 1, "LEFT", "RIGHT")
    c.zadd("z", {"a": 1, "b": 2, "c": 3})
    c.bzpopmin(["z"], 1)
    c.execute_command("BZMPOP", 1, 1, "z", "MAX", "COUNT", 1)
    reply, _ = _serve_blocked(w, lambda o: o.blpop(["later"], 5),
                              lambda cl: cl.rpush("later", "p", "q"))
    assert reply == (b"later", b"p")
    w.restart_after_crash()
    c = w.c
    assert c.lrange("l", 0, -1) == [b"c"]
    assert c.lrange("moved", 0, -1) == [b"b"]
    assert c.zrange("z", 0, -1) == [b"b"]
    assert c.lrange("later", 0, -1) == [b"q"]
    # Replay did not leave anything blocked or logged twice.
    assert c.info("clients")["blocked_clients"] == 0


def test_restart_sort_store_over_expired_destination(w):
    # The destination's time has passed but nothing removed it yet: storing over it logs its
    # DEL first, then the new contents, so the replay ends with the stored list.
    c = w.c
    c.sadd("s", "z", "y", "x")
    c.set("dst", "old", px=1)
    time.sleep(0.01)
    assert c.execute_command("SORT", "s", "BY", "nosort", "STORE", "dst") == 3
    fx = walfile.read_effects(w.s.dir)
    assert fx[-1] == [b"RPUSH", b"dst", b"x", b"y", b"z"]
    w.restart_after_crash()
    assert w.c.lrange("dst", 0, -1) == [b"x", b"y", b"z"]
