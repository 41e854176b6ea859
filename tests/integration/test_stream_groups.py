"""Stream consumer groups: several consumers, pending-list accounting, XACK, XPENDING, XCLAIM,
XAUTOCLAIM taking over from a consumer that went away, lag and entries-read, XINFO, and
XREADGROUP blocking (FIFO between consumers, group or key deleted while waiting).

Replies are redis-server 7.0's; every test here also runs against it (PAIRDB_TARGET=redis).
"""

import threading
import time

import pytest

from conftest import wait_for


def raw_cmd(server, *args):
    c = server.raw()
    try:
        return c.cmdp(*args)
    finally:
        c.close()


def as_map(pairs):
    return dict(zip(pairs[::2], pairs[1::2]))


def groups(server, key):
    return [as_map(g) for g in raw_cmd(server, "XINFO", "GROUPS", key)]


def fill(c, key, n):
    for i in range(1, n + 1):
        c.xadd(key, {"n": i}, id="%d-0" % i)


def read_ids(reply):
    """IDs of an XREADGROUP reply of one stream."""
    return [e[0] for e in reply[0][1]] if reply else []


def test_consumers_share_the_stream_and_account_pending(r, server):
    fill(r, "s", 6)
    r.xgroup_create("s", "g", id="0")
    assert read_ids(r.xreadgroup("g", "alice", {"s": ">"}, count=2)) == [b"1-0", b"2-0"]
    assert read_ids(r.xreadgroup("g", "bob", {"s": ">"}, count=3)) == [b"3-0", b"4-0", b"5-0"]
    assert read_ids(r.xreadgroup("g", "alice", {"s": ">"})) == [b"6-0"]
    assert r.xreadgroup("g", "alice", {"s": ">"}) == []
    assert raw_cmd(server, "XPENDING", "s", "g") == [
        6, b"1-0", b"6-0", [[b"alice", b"3"], [b"bob", b"3"]]]
    assert r.xack("s", "g", "1-0", "3-0", "3-0", "99-0") == 2
    assert raw_cmd(server, "XPENDING", "s", "g") == [
        4, b"2-0", b"6-0", [[b"alice", b"2"], [b"bob", b"2"]]]
    ext = raw_cmd(server, "XPENDING", "s", "g", "-", "+", "10", "bob")
    assert [(e[0], e[1], e[3]) for e in ext] == [(b"4-0", b"bob", 1), (b"5-0", b"bob", 1)]
    # History: a consumer re-reads its own pending entries, counting one more delivery.
    assert read_ids(r.xreadgroup("g", "bob", {"s": "0"})) == [b"4-0", b"5-0"]
    ext = raw_cmd(server, "XPENDING", "s", "g", "(4-0", "+", "10")
    assert [(e[0], e[1], e[3]) for e in ext] == [(b"5-0", b"bob", 2), (b"6-0", b"alice", 1)]
    info = groups(server, "s")[0]
    assert (info[b"consumers"], info[b"pending"], info[b"last-delivered-id"]) == (2, 4, b"6-0")
    assert (info[b"entries-read"], info[b"lag"]) == (6, 0)
    # DELCONSUMER returns the pending count it drops with the consumer.
    assert r.xgroup_delconsumer("s", "g", "bob") == 2
    assert raw_cmd(server, "XPENDING", "s", "g")[0] == 2


def test_history_shows_deleted_entries_as_null(r, server):
    fill(r, "s", 3)
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"})
    r.xdel("s", "2-0")
    assert raw_cmd(server, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0") == [
        [b"s", [[b"1-0", [b"n", b"1"]], [b"2-0", None], [b"3-0", [b"n", b"3"]]]]]
    assert raw_cmd(server, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s",
                   "1-0") == [[b"s", [[b"2-0", None]]]]
    # Re-reading counts a delivery only for entries that still exist.
    counts = [e[3] for e in raw_cmd(server, "XPENDING", "s", "g", "-", "+", "10")]
    assert counts == [2, 1, 2]


def test_noack_moves_the_group_without_pending(r, server):
    fill(r, "s", 3)
    r.xgroup_create("s", "g", id="0")
    assert read_ids(r.xreadgroup("g", "c", {"s": ">"}, noack=True)) == [b"1-0", b"2-0", b"3-0"]
    assert raw_cmd(server, "XPENDING", "s", "g") == [0, None, None, None]
    info = groups(server, "s")[0]
    assert (info[b"last-delivered-id"], info[b"entries-read"], info[b"lag"]) == (b"3-0", 3, 0)


def test_lag_and_entries_read_follow_redis_rules(r, server):
    fill(r, "s", 5)
    r.xgroup_create("s", "g", id="0")
    r.xgroup_create("s", "mid", id="3-0")
    r.xgroup_create("s", "end", id="$")
    r.execute_command("XGROUP", "CREATE", "s", "known", "2-0", "ENTRIESREAD", "2")
    info = {g[b"name"]: (g[b"entries-read"], g[b"lag"]) for g in groups(server, "s")}
    assert info == {b"g": (None, 5), b"mid": (None, None), b"end": (None, 0),
                    b"known": (2, 3)}
    r.xreadgroup("g", "c", {"s": ">"}, count=2)
    r.xdel("s", "4-0")   # a tombstone after the group's position: the lag is unknown
    info = {g[b"name"]: (g[b"entries-read"], g[b"lag"]) for g in groups(server, "s")}
    assert info[b"g"] == (2, None)
    assert info[b"known"] == (2, None)
    r.xreadgroup("g", "c", {"s": ">"})
    info = {g[b"name"]: (g[b"entries-read"], g[b"lag"]) for g in groups(server, "s")}
    assert info[b"g"] == (5, 0)


def test_xclaim_options(r, server):
    fill(r, "s", 4)
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "alice", {"s": ">"}, count=3)
    # Not idle long enough: nothing claimed.
    assert r.xclaim("s", "g", "bob", 60000, ["1-0"]) == []
    got = raw_cmd(server, "XCLAIM", "s", "g", "bob", "0", "1-0", "2-0", "RETRYCOUNT", "7")
    assert got == [[b"1-0", [b"n", b"1"]], [b"2-0", [b"n", b"2"]]]
    ext = raw_cmd(server, "XPENDING", "s", "g", "-", "+", "10")
    assert [(e[0], e[1], e[3]) for e in ext] == [
        (b"1-0", b"bob", 7), (b"2-0", b"bob", 7), (b"3-0", b"alice", 1)]
    # JUSTID: IDs only, and the delivery count stays.
    assert raw_cmd(server, "XCLAIM", "s", "g", "carol", "0", "3-0", "JUSTID") == [b"3-0"]
    assert raw_cmd(server, "XPENDING", "s", "g", "3-0", "3-0", "1")[0][3] == 1
    # IDLE sets the delivery time in the past; TIME sets it absolutely.
    raw_cmd(server, "XCLAIM", "s", "g", "carol", "0", "1-0", "IDLE", "500000", "JUSTID")
    idle = raw_cmd(server, "XPENDING", "s", "g", "1-0", "1-0", "1")[0][2]
    assert 500000 <= idle < 510000
    raw_cmd(server, "XCLAIM", "s", "g", "carol", "0", "1-0", "JUSTID", "TIME",
            str(int(time.time() * 1000) - 300000))
    idle = raw_cmd(server, "XPENDING", "s", "g", "IDLE", "250000", "-", "+", "10")
    assert [e[0] for e in idle] == [b"1-0"]
    # FORCE creates a pending entry for an entry never delivered; LASTID moves the group.
    assert raw_cmd(server, "XCLAIM", "s", "g", "dave", "0", "4-0", "FORCE", "JUSTID",
                   "LASTID", "4-0") == [b"4-0"]
    assert groups(server, "s")[0][b"last-delivered-id"] == b"4-0"
    assert raw_cmd(server, "XPENDING", "s", "g", "4-0", "4-0", "1")[0][3] == 1
    # Without JUSTID a forced claim counts the new delivery on top of the first.
    raw_cmd(server, "XACK", "s", "g", "4-0")
    raw_cmd(server, "XCLAIM", "s", "g", "dave", "0", "4-0", "FORCE")
    assert raw_cmd(server, "XPENDING", "s", "g", "4-0", "4-0", "1")[0][3] == 2
    assert raw_cmd(server, "XCLAIM", "s", "g", "dave", "0", "9-0", "FORCE") == []
    err = raw_cmd(server, "XCLAIM", "s", "g", "dave", "0", "4-0", "BOGUS")
    assert err == ("err", b"ERR Unrecognized XCLAIM option 'BOGUS'")


def test_xautoclaim_takes_over_from_a_consumer_that_went_away(r, server):
    fill(r, "s", 5)
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "gone", {"s": ">"})
    # The consumer died holding 5 entries; their delivery was long ago.
    for i in range(1, 6):
        raw_cmd(server, "XCLAIM", "s", "g", "gone", "0", "%d-0" % i, "IDLE", "100000",
                "JUSTID")
    r.xdel("s", "2-0")
    got = raw_cmd(server, "XAUTOCLAIM", "s", "g", "heir", "60000", "0", "COUNT", "2")
    # Count covers the deleted entry too: 1-0 claimed, 2-0 reported deleted; cursor 3-0.
    assert got == [b"3-0", [[b"1-0", [b"n", b"1"]]], [b"2-0"]]
    got = raw_cmd(server, "XAUTOCLAIM", "s", "g", "heir", "60000", "3-0", "JUSTID")
    assert got == [b"0-0", [b"3-0", b"4-0", b"5-0"], []]
    assert raw_cmd(server, "XPENDING", "s", "g") == [4, b"1-0", b"5-0", [[b"heir", b"4"]]]
    # Claimed entries are fresh again: a second pass finds nothing idle.
    assert raw_cmd(server, "XAUTOCLAIM", "s", "g", "other", "60000", "0") == [b"0-0", [], []]
    consumers = {c[1]: c[3] for c in raw_cmd(server, "XINFO", "CONSUMERS", "s", "g")}
    assert consumers == {b"gone": 0, b"heir": 4}


def test_xgroup_management(r, server):
    assert raw_cmd(server, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM") == b"OK"
    assert r.xlen("s") == 0
    assert r.xgroup_createconsumer("s", "g", "c1") == 1
    assert r.xgroup_createconsumer("s", "g", "c1") == 0
    fill(r, "s", 3)
    assert raw_cmd(server, "XGROUP", "SETID", "s", "g", "1-0", "ENTRIESREAD", "1") == b"OK"
    assert read_ids(r.xreadgroup("g", "c1", {"s": ">"})) == [b"2-0", b"3-0"]
    assert raw_cmd(server, "XGROUP", "SETID", "s", "g", "$") == b"OK"
    info = groups(server, "s")[0]
    assert (info[b"last-delivered-id"], info[b"entries-read"], info[b"lag"]) == (b"3-0", None, 0)
    assert r.xgroup_destroy("s", "g") == 1
    assert r.xgroup_destroy("s", "g") == 0
    assert raw_cmd(server, "XINFO", "GROUPS", "s") == []


# ---- blocking --------------------------------------------------------------------------------

def blocked(c):
    return c.info("clients")["blocked_clients"]


def start_reader(server, r, out, *args, waiting=1):
    def run():
        c = server.raw(timeout=10)
        try:
            out.append(c.cmdp(*args))
        finally:
            c.close()
    t = threading.Thread(target=run)
    t.start()
    assert wait_for(lambda: blocked(r) >= waiting)
    return t


def test_blocked_consumers_are_served_in_order(r, server):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    out1, out2 = [], []
    t1 = start_reader(server, r, out1, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0",
                      "STREAMS", "s", ">")
    t2 = start_reader(server, r, out2, "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0",
                      "STREAMS", "s", ">", waiting=2)
    r.xadd("s", {"a": "1"}, id="1-0")
    t1.join(5)
    assert out1 == [[[b"s", [[b"1-0", [b"a", b"1"]]]]]]
    # The second consumer found nothing new after the first took it: it waits on.
    time.sleep(0.1)
    assert blocked(r) == 1 and out2 == []
    r.xadd("s", {"a": "2"}, id="2-0")
    t2.join(5)
    assert out2 == [[[b"s", [[b"2-0", [b"a", b"2"]]]]]]
    assert raw_cmd(server, "XPENDING", "s", "g")[3] == [[b"c1", b"1"], [b"c2", b"1"]]


def test_blocked_reader_fails_when_group_or_stream_goes(r, server):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    out = []
    t = start_reader(server, r, out, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0",
                     "STREAMS", "s", ">")
    r.xgroup_destroy("s", "g")
    t.join(5)
    assert out == [("err", b"NOGROUP the consumer group this client was blocked on no longer "
                           b"exists")]
    r.xgroup_create("s", "g", id="$")
    out = []
    t = start_reader(server, r, out, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0",
                     "STREAMS", "s", ">")
    r.delete("s")
    t.join(5)
    assert out == [("err", b"UNBLOCKED the stream key no longer exists")]
    r.xgroup_create("s", "g", id="$", mkstream=True)
    out = []
    t = start_reader(server, r, out, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0",
                     "STREAMS", "s", ">")
    r.set("s", "now a string")
    t.join(5)
    assert out == [("err", b"UNBLOCKED the stream key no longer exists")]


def test_blocked_group_read_times_out(r, server):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    start = time.monotonic()
    assert raw_cmd(server, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "150", "STREAMS", "s",
                   ">") is None
    assert time.monotonic() - start >= 0.14
    # Blocking with ">" served nothing, so the consumer does not exist yet (Redis 7.0).
    assert raw_cmd(server, "XINFO", "CONSUMERS", "s", "g") == []


@pytest.mark.parametrize("noack", [False, True])
def test_blocked_group_read_served_later_records_pending(r, server, noack):
    r.xgroup_create("s", "g", id="$", mkstream=True)
    out = []
    args = ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0"] + (["NOACK"] if noack else [])
    t = start_reader(server, r, out, *(args + ["STREAMS", "s", ">"]))
    r.xadd("s", {"a": "1"}, id="1-0")
    t.join(5)
    assert out == [[[b"s", [[b"1-0", [b"a", b"1"]]]]]]
    assert raw_cmd(server, "XPENDING", "s", "g")[0] == (0 if noack else 1)


def test_stream_events_are_redis_events(r, server):
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__keyevent@0__:*")
    assert wait_for(lambda: p.get_message(timeout=0.1))   # the psubscribe confirmation
    cmds = [("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "MAXLEN", "1", "1-2", "a", "2"),
            ("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"), ("XGROUP", "CREATE", "s", "g", "0"),
            ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
            ("XCLAIM", "s", "g", "d", "0", "1-2"), ("XAUTOCLAIM", "s", "g", "e", "0", "0"),
            ("XACK", "s", "g", "1-2"), ("XGROUP", "CREATECONSUMER", "s", "g", "x"),
            ("XGROUP", "DELCONSUMER", "s", "g", "x"), ("XGROUP", "SETID", "s", "g", "0"),
            ("XDEL", "s", "1-2"), ("XSETID", "s", "5-5"), ("XGROUP", "DESTROY", "s", "g")]
    for c in cmds:
        r.execute_command(*c)
    events = []
    while len(events) < 14:
        m = p.get_message(timeout=2)
        assert m, events
        if m["type"] == "pmessage":
            events.append(m["channel"].split(b":")[-1].decode())
    p.close()
    r.config_set("notify-keyspace-events", "")
    assert events == ["xadd", "xadd", "xtrim", "xgroup-create", "xgroup-create",
                      "xgroup-createconsumer", "xgroup-createconsumer",
                      "xgroup-createconsumer", "xgroup-createconsumer", "xgroup-delconsumer",
                      "xgroup-setid", "xdel", "xsetid", "xgroup-destroy"]


@pytest.mark.parametrize("cmd, aborts", [
    (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"), False),
    (("XACK", "s", "g", "1-1"), False),
    (("XCLAIM", "s", "g", "d", "0", "1-1"), False),
    (("XAUTOCLAIM", "s", "g", "d", "0", "0"), False),
    (("XGROUP", "CREATE", "s", "g2", "0"), False),
    (("XGROUP", "SETID", "s", "g", "0"), False),
    (("XGROUP", "DESTROY", "s", "g"), False),
    (("XGROUP", "CREATECONSUMER", "s", "g", "z"), False),
    (("XSETID", "s", "9-9"), False),
    (("XDEL", "s", "1-1"), True),
    (("XTRIM", "s", "MAXLEN", "0"), True),
    (("XADD", "s", "5-5", "a", "b"), True),
])
def test_watch_sees_entries_change_not_group_state(r, server, cmd, aborts):
    r.xadd("s", {"a": "1"}, id="1-1")
    r.xgroup_create("s", "g", id="0")
    if cmd[0] != "XREADGROUP":
        r.xreadgroup("g", "c", {"s": ">"})
    w = server.raw()
    try:
        assert w.cmd("WATCH", "s") == b"+OK\r\n"
        raw_cmd(server, *cmd)
        w.cmd("MULTI")
        w.cmd("PING")
        assert w.cmd("EXEC") == (b"*-1\r\n" if aborts else b"*1\r\n+PONG\r\n")
    finally:
        w.close()
