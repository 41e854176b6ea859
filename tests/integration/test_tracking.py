"""Client-side caching: CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO and invalidations.

Replies are compared byte for byte with what Redis 7.0 sends; run with PAIRDB_TARGET=redis to
check the expectations against the reference server.
"""

import time

import pytest

from resp import bulk, connect


def conn(server, resp3=False):
    return connect(server, resp3)


def client_id(c):
    rep = c.cmd("CLIENT", "ID")
    assert rep.startswith(b":")
    return int(rep[1:-2])


def inval(*keys):
    """The RESP3 invalidation push for keys (None: the flush null)."""
    head = b">2\r\n$10\r\ninvalidate\r\n"
    if keys == (None,):
        return head + b"_\r\n"
    return head + b"*%d\r\n" % len(keys) + b"".join(bulk(k) for k in keys)


def message(payload):
    """The RESP2 pub/sub message a redirect target receives."""
    return b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + payload


@pytest.fixture
def clients(server):
    made = []

    def make(resp3=False):
        c = conn(server, resp3)
        made.append(c)
        return c

    c = make()
    assert c.cmd("FLUSHALL") == b"+OK\r\n"
    yield make
    for c in made:
        c.close()


def test_default_mode_invalidates_once_on_another_clients_write(clients):
    a, b = clients(resp3=True), clients()
    assert a.cmd("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
    assert a.cmd("GET", "k") == b"_\r\n"
    assert b.cmd("SET", "k", "1") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("k")
    # Forgotten after the invalidation until read again.
    assert b.cmd("SET", "k", "2") == b"+OK\r\n"
    assert b.cmd("SET", "other", "2") == b"+OK\r\n"
    assert a.read_available(0.2) == b""


def test_keys_read_inside_exec_are_tracked(clients):
    a, b = clients(resp3=True), clients()
    assert a.cmd("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
    assert a.cmd("MULTI") == b"+OK\r\n"
    assert a.cmd("GET", "k") == b"+QUEUED\r\n"
    assert a.cmd("EXEC") == b"*1\r\n_\r\n"
    assert b.cmd("SET", "k", "1") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("k")


def test_keys_read_by_a_script_are_tracked_for_its_caller(clients):
    a, b = clients(resp3=True), clients()
    assert a.cmd("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
    assert a.cmd("EVAL", "return redis.call('get', KEYS[1])", "1", "k") == b"_\r\n"
    assert b.cmd("SET", "k", "1") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("k")


def test_own_write_inside_exec_is_invalidated_after_the_exec_reply(clients):
    a = clients(resp3=True)
    a.cmd("CLIENT", "TRACKING", "ON")
    a.cmd("GET", "k")
    a.cmd("MULTI")
    a.cmd("SET", "k", "1")
    a.send("EXEC")
    assert a.read_reply() == b"*1\r\n+OK\r\n"
    assert a.read_reply(timeout=2) == inval("k")


def test_invalidation_precedes_the_next_reply(clients):
    a, b = clients(resp3=True), clients()
    a.cmd("CLIENT", "TRACKING", "ON")
    assert a.cmd("GET", "k") == b"_\r\n"
    assert b.cmd("SET", "k", "new") == b"+OK\r\n"
    a.send("GET", "k")
    assert a.read_reply() == inval("k")
    assert a.read_reply() == b"$3\r\nnew\r\n"


def test_own_write_invalidation_follows_the_reply(clients):
    a = clients(resp3=True)
    a.cmd("CLIENT", "TRACKING", "ON")
    a.cmd("GET", "k")
    assert a.cmd("SET", "k", "1") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("k")


def test_every_key_of_a_read_command_is_tracked(clients):
    a, b = clients(resp3=True), clients()
    a.cmd("CLIENT", "TRACKING", "ON")
    assert a.cmd("MGET", "x", "y") == b"*2\r\n_\r\n_\r\n"
    assert b.cmd("DEL", "x") == b":0\r\n"  # nothing deleted: no invalidation
    assert a.read_available(0.2) == b""
    assert b.cmd("MSET", "y", "1", "x", "2") == b"+OK\r\n"
    got = [a.read_reply(timeout=2), a.read_reply(timeout=2)]
    assert got == [inval("y"), inval("x")]


def test_writes_are_not_tracked_as_reads(clients):
    a, b = clients(resp3=True), clients()
    a.cmd("CLIENT", "TRACKING", "ON")
    assert a.cmd("SET", "w", "1") == b"+OK\r\n"
    assert b.cmd("SET", "w", "2") == b"+OK\r\n"
    assert a.read_available(0.2) == b""


def test_noloop_skips_own_writes(clients):
    a, b = clients(resp3=True), clients()
    assert a.cmd("CLIENT", "TRACKING", "ON", "NOLOOP") == b"+OK\r\n"
    a.cmd("GET", "k")
    assert a.cmd("SET", "k", "1") == b"+OK\r\n"
    assert a.read_available(0.2) == b""
    a.cmd("GET", "k")
    assert b.cmd("SET", "k", "2") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("k")


def test_optin_tracks_only_after_caching_yes(clients):
    a, b = clients(resp3=True), clients()
    assert a.cmd("CLIENT", "TRACKING", "ON", "OPTIN") == b"+OK\r\n"
    a.cmd("GET", "k1")
    assert b.cmd("SET", "k1", "1") == b"+OK\r\n"
    assert a.read_available(0.2) == b""
    assert a.cmd("CLIENT", "CACHING", "YES") == b"+OK\r\n"
    assert a.cmd("GET", "k2") == b"_\r\n"
    a.cmd("GET", "k3")  # CACHING YES covered only the command after it
    assert b.cmd("MSET", "k2", "1", "k3", "1") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("k2")
    assert a.read_available(0.2) == b""


def test_optout_skips_after_caching_no(clients):
    a, b = clients(resp3=True), clients()
    assert a.cmd("CLIENT", "TRACKING", "ON", "OPTOUT") == b"+OK\r\n"
    assert a.cmd("CLIENT", "CACHING", "NO") == b"+OK\r\n"
    a.cmd("GET", "k1")
    a.cmd("GET", "k2")
    assert b.cmd("MSET", "k1", "1", "k2", "1") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("k2")
    assert a.read_available(0.2) == b""


def test_bcast_prefixes_group_keys_per_prefix(clients):
    a, b = clients(resp3=True), clients()
    assert a.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "b") == b"+OK\r\n"
    assert b.cmd("MSET", "b2", "1", "a1", "1", "b1", "2", "zz", "3") == b"+OK\r\n"
    got = sorted([a.read_reply(timeout=2), a.read_reply(timeout=2)])
    assert got == sorted([inval("a1"), inval("b1", "b2")])
    assert a.read_available(0.2) == b""


def test_bcast_without_prefix_sees_every_key_even_unread(clients):
    a, b = clients(resp3=True), clients()
    assert a.cmd("CLIENT", "TRACKING", "ON", "BCAST") == b"+OK\r\n"
    assert b.cmd("SET", "never-read", "1") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("never-read")


def test_bcast_noloop(clients):
    a, b = clients(resp3=True), clients()
    assert a.cmd("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP", "PREFIX", "p:") == b"+OK\r\n"
    assert a.cmd("SET", "p:mine", "1") == b"+OK\r\n"
    assert a.read_available(0.2) == b""
    assert b.cmd("SET", "p:theirs", "1") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("p:theirs")


def test_resp2_redirect_to_subscriber(clients):
    sub, t, w = clients(), clients(), clients()
    sid = client_id(sub)
    assert sub.cmd("SUBSCRIBE", "__redis__:invalidate").startswith(b"*3\r\n$9\r\nsubscribe")
    assert t.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(sid)) == b"+OK\r\n"
    assert t.cmd("CLIENT", "GETREDIR") == b":%d\r\n" % sid
    t.cmd("GET", "k")
    assert w.cmd("SET", "k", "1") == b"+OK\r\n"
    assert sub.read_reply(timeout=2) == message(b"*1\r\n$1\r\nk\r\n")
    assert w.cmd("FLUSHDB") == b"+OK\r\n"
    assert sub.read_reply(timeout=2) == message(b"$-1\r\n")
    assert t.read_available(0.2) == b""


def test_resp3_redirect_target_gets_the_push(clients):
    target, t, w = clients(resp3=True), clients(), clients()
    assert t.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(client_id(target))) == b"+OK\r\n"
    t.cmd("GET", "k")
    w.cmd("SET", "k", "1")
    assert target.read_reply(timeout=2) == inval("k")


def test_resp2_without_redirect_gets_nothing(clients):
    t, w = clients(), clients()
    assert t.cmd("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
    t.cmd("GET", "k")
    w.cmd("SET", "k", "1")
    assert t.read_available(0.2) == b""
    assert t.cmd("PING") == b"+PONG\r\n"


def test_broken_redirect(clients):
    gone, t, w = clients(), clients(resp3=True), clients()
    gid = client_id(gone)
    assert t.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(gid)) == b"+OK\r\n"
    t.cmd("GET", "k")
    gone.close()
    time.sleep(0.2)
    w.cmd("SET", "k", "1")
    assert t.read_reply(timeout=2) == b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % gid
    assert t.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n"
        b"$8\r\nredirect\r\n:" + str(gid).encode() + b"\r\n$8\r\nprefixes\r\n*0\r\n")


def test_flush_sends_null_to_every_tracking_client(clients):
    a, bc, w = clients(resp3=True), clients(resp3=True), clients()
    a.cmd("CLIENT", "TRACKING", "ON")
    bc.cmd("CLIENT", "TRACKING", "ON", "BCAST")
    assert w.cmd("FLUSHALL") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval(None)
    assert bc.read_reply(timeout=2) == inval(None)
    assert a.cmd("FLUSHDB") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval(None)


def test_expiry_invalidates(clients):
    a, w = clients(resp3=True), clients()
    w.cmd("SET", "e", "1", "PX", "100")
    a.cmd("CLIENT", "TRACKING", "ON")
    assert a.cmd("GET", "e") == b"$1\r\n1\r\n"
    time.sleep(0.25)
    assert w.cmd("GET", "e") == b"$-1\r\n"
    assert a.read_reply(timeout=2) == inval("e")


def test_eviction_invalidates(clients):
    a, w = clients(resp3=True), clients()
    w.cmd("SET", "ev", "x" * 1000)
    a.cmd("CLIENT", "TRACKING", "ON")
    a.cmd("GET", "ev")
    assert w.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-random") == b"+OK\r\n"
    assert w.cmd("CONFIG", "SET", "maxmemory", "1") == b"+OK\r\n"
    try:
        w.cmd("GET", "anything")
    finally:
        assert w.cmd("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
        assert w.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction") == b"+OK\r\n"
    assert a.read_reply(timeout=2) == inval("ev")
    assert w.cmd("EXISTS", "ev") == b":0\r\n"


def test_table_limit_evicts_keys_with_invalidation(clients):
    a, w = clients(resp3=True), clients()
    a.cmd("CLIENT", "TRACKING", "ON")
    assert w.cmd("CONFIG", "SET", "tracking-table-max-keys", "1") == b"+OK\r\n"
    try:
        a.cmd("GET", "t1")
        a.cmd("GET", "t2")
        assert w.cmd("PING") == b"+PONG\r\n"  # the next command trims the table
        assert a.read_reply(timeout=2) in (inval("t1"), inval("t2"))
        info = w.cmd("INFO", "stats").decode()
        assert "tracking_total_keys:1\r\n" in info
    finally:
        assert w.cmd("CONFIG", "SET", "tracking-table-max-keys", "1000000") == b"+OK\r\n"


def test_info_counts(clients):
    a, b, w = clients(resp3=True), clients(resp3=True), clients()
    a.cmd("CLIENT", "TRACKING", "ON")
    a.cmd("MGET", "i1", "i2")
    b.cmd("CLIENT", "TRACKING", "ON")
    b.cmd("GET", "i1")
    c = clients(resp3=True)
    c.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x", "PREFIX", "y")
    stats = w.cmd("INFO", "stats").decode()
    assert "tracking_total_keys:2\r\n" in stats
    assert "tracking_total_items:3\r\n" in stats
    assert "tracking_total_prefixes:2\r\n" in stats
    assert "tracking_clients:3\r\n" in w.cmd("INFO", "clients").decode()
    assert c.cmd("CLIENT", "TRACKING", "OFF") == b"+OK\r\n"
    assert "tracking_total_prefixes:0\r\n" in w.cmd("INFO", "stats").decode()
    assert "tracking_clients:2\r\n" in w.cmd("INFO", "clients").decode()


def test_trackinginfo_and_getredir(clients):
    a = clients(resp3=True)
    off = (b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n"
           b"$8\r\nprefixes\r\n*0\r\n")
    assert a.cmd("CLIENT", "TRACKINGINFO") == off
    assert a.cmd("CLIENT", "GETREDIR") == b":-1\r\n"
    a.cmd("CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP")
    a.cmd("CLIENT", "CACHING", "YES")
    assert a.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~4\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n"
        b"$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")
    assert a.cmd("CLIENT", "GETREDIR") == b":0\r\n"
    a.cmd("CLIENT", "TRACKING", "OFF")
    a.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "zz", "PREFIX", "b", "PREFIX", "a")
    assert a.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
        b"$8\r\nprefixes\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nzz\r\n")
    r2 = clients()
    r2.cmd("CLIENT", "TRACKING", "ON", "OPTOUT")
    r2.cmd("CLIENT", "CACHING", "NO")
    assert r2.cmd("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n$5\r\nflags\r\n*3\r\n$2\r\non\r\n$6\r\noptout\r\n$10\r\ncaching-no\r\n"
        b"$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")


def test_reset_switches_tracking_off(clients):
    a = clients(resp3=True)
    a.cmd("CLIENT", "TRACKING", "ON")
    assert a.cmd("RESET") == b"+RESET\r\n"
    assert a.cmd("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n"
        b"$8\r\nprefixes\r\n*0\r\n")


ERR_CASES = [
    (("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"),
     b"-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"),
    (("CLIENT", "TRACKING", "ON", "PREFIX", "x"),
     b"-ERR PREFIX option requires BCAST mode to be enabled\r\n"),
    (("CLIENT", "TRACKING", "ON", "REDIRECT", "999999"),
     b"-ERR The client ID you want redirect to does not exist\r\n"),
    (("CLIENT", "TRACKING", "ON", "REDIRECT", "abc"),
     b"-ERR value is not an integer or out of range\r\n"),
    (("CLIENT", "TRACKING", "ON", "REDIRECT"), b"-ERR syntax error\r\n"),
    (("CLIENT", "TRACKING", "MAYBE"), b"-ERR syntax error\r\n"),
    (("CLIENT", "TRACKING"), b"-ERR wrong number of arguments for 'client|tracking' command\r\n"),
    (("CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"),
     b"-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"),
    (("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"),
     b"-ERR Prefix 'a' overlaps with another provided prefix 'ab'. "
     b"Prefixes for a single client must not overlap.\r\n"),
    (("CLIENT", "CACHING", "YES"),
     b"-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
     b"or OPTOUT mode enabled\r\n"),
    (("CLIENT", "CACHING"), b"-ERR wrong number of arguments for 'client|caching' command\r\n"),
    (("CLIENT", "GETREDIR", "x"),
     b"-ERR wrong number of arguments for 'client|getredir' command\r\n"),
    (("CLIENT", "TRACKINGINFO", "x"),
     b"-ERR wrong number of arguments for 'client|trackinginfo' command\r\n"),
]


@pytest.mark.parametrize("args,err", ERR_CASES)
def test_errors_when_off(clients, args, err):
    assert clients().cmd(*args) == err


def test_errors_that_depend_on_the_mode(clients):
    a = clients(resp3=True)
    a.cmd("CLIENT", "TRACKING", "ON", "OPTIN")
    assert a.cmd("CLIENT", "CACHING", "NO") == (
        b"-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n")
    assert a.cmd("CLIENT", "CACHING", "MAYBE") == b"-ERR syntax error\r\n"
    assert a.cmd("CLIENT", "TRACKING", "ON", "OPTOUT") == (
        b"-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
        b"and then re-enabling it with a different mode.\r\n")
    assert a.cmd("CLIENT", "TRACKING", "ON", "BCAST") == (
        b"-ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
        b"and then re-enabling it with a different mode.\r\n")
    a.cmd("CLIENT", "TRACKING", "OFF")
    a.cmd("CLIENT", "TRACKING", "ON", "OPTOUT")
    assert a.cmd("CLIENT", "CACHING", "YES") == (
        b"-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n")
    a.cmd("CLIENT", "TRACKING", "OFF")
    a.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b")
    assert a.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "bx") == (
        b"-ERR Prefix 'bx' overlaps with an existing prefix 'b'. "
        b"Prefixes for a single client must not overlap.\r\n")
    assert a.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c") == b"+OK\r\n"
