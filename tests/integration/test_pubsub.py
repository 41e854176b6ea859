"""Pub/sub: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE, their UNSUBSCRIBEs, PUBLISH, SPUBLISH, PUBSUB.

Replies are compared byte for byte with what Redis 7.0 sends; run with PAIRDB_TARGET=redis to
check the expectations against the reference server.
"""

import socket
import time

import pytest

from resp import bulk, connect


def conn(server, resp3=False):
    return connect(server, resp3)


def push(kind, *items, resp3=False):
    """The bytes of a subscription reply or message: bulks, with a trailing integer count for
    (un)subscribe replies passed as an int; None is a null."""
    out = (b">%d\r\n" if resp3 else b"*%d\r\n") % (len(items) + 1) + bulk(kind)
    for it in items:
        if it is None:
            out += b"_\r\n" if resp3 else b"$-1\r\n"
        elif isinstance(it, int):
            out += b":%d\r\n" % it
        else:
            out += bulk(it)
    return out


@pytest.fixture
def sub(server, raw):
    c = conn(server)
    yield c
    c.close()


def test_subscribe_publish_unsubscribe(raw, sub):
    assert sub.cmd("SUBSCRIBE", "a", "b") == push("subscribe", "a", 1)
    assert sub.read_reply() == push("subscribe", "b", 2)
    assert raw.cmd("PUBLISH", "a", "hello") == b":1\r\n"
    assert raw.cmd("PUBLISH", "zzz", "hello") == b":0\r\n"
    assert sub.read_reply() == push("message", "a", "hello")
    assert sub.cmd("UNSUBSCRIBE", "a", "nope") == push("unsubscribe", "a", 1)
    assert sub.read_reply() == push("unsubscribe", "nope", 1)
    assert raw.cmd("PUBLISH", "a", "x") == b":0\r\n"
    assert sub.cmd("UNSUBSCRIBE") == push("unsubscribe", "b", 0)
    # Out of subscribed mode: ordinary commands run again.
    assert sub.cmd("PING") == b"+PONG\r\n"


def test_subscribe_twice_counts_once(raw, sub):
    assert sub.cmd("SUBSCRIBE", "a", "a") == push("subscribe", "a", 1)
    assert sub.read_reply() == push("subscribe", "a", 1)
    assert raw.cmd("PUBLISH", "a", "m") == b":1\r\n"
    assert sub.read_reply() == push("message", "a", "m")


def test_unsubscribe_without_subscriptions(raw):
    assert raw.cmd("UNSUBSCRIBE") == push("unsubscribe", None, 0)
    assert raw.cmd("PUNSUBSCRIBE") == push("punsubscribe", None, 0)
    assert raw.cmd("SUNSUBSCRIBE") == push("sunsubscribe", None, 0)
    assert raw.cmd("UNSUBSCRIBE", "x") == push("unsubscribe", "x", 0)
    # Not subscribed: the client is not in subscribed mode.
    assert raw.cmd("GET", "k") == b"$-1\r\n"


def test_counts_mix_channels_and_patterns_not_shards(sub):
    assert sub.cmd("SUBSCRIBE", "c") == push("subscribe", "c", 1)
    assert sub.cmd("PSUBSCRIBE", "p*") == push("psubscribe", "p*", 2)
    assert sub.cmd("SSUBSCRIBE", "s") == push("ssubscribe", "s", 1)
    assert sub.cmd("PUNSUBSCRIBE") == push("punsubscribe", "p*", 1)
    assert sub.cmd("SUNSUBSCRIBE", "s") == push("sunsubscribe", "s", 0)
    assert sub.cmd("UNSUBSCRIBE", "c") == push("unsubscribe", "c", 0)
    assert sub.cmd("PING") == b"+PONG\r\n"


@pytest.mark.parametrize("pattern,matching,other", [
    ("*", ["a", "news.x", "*"], []),
    ("news.*", ["news.", "news.sport"], ["news", "xnews.a"]),
    ("h?llo", ["hello", "hallo"], ["hllo", "heello"]),
    ("h[ae]llo", ["hello", "hallo"], ["hillo"]),
    ("h[^e]llo", ["hallo", "hbllo"], ["hello"]),
    ("h[a-c]llo", ["hallo", "hbllo", "hcllo"], ["hdllo"]),
    ("h\\*llo", ["h*llo"], ["hello"]),
    ("h\\?", ["h?"], ["ha"]),
    ("[", [], ["[", "a"]),
])
def test_pattern_matching(raw, sub, pattern, matching, other):
    assert sub.cmd("PSUBSCRIBE", pattern) == push("psubscribe", pattern, 1)
    for ch in matching:
        assert raw.cmd("PUBLISH", ch, "m") == b":1\r\n", ch
        assert sub.read_reply() == push("pmessage", pattern, ch, "m")
    for ch in other:
        assert raw.cmd("PUBLISH", ch, "m") == b":0\r\n", ch
    assert sub.read_available(0.05) == b""


def test_channel_and_pattern_both_deliver(raw, sub):
    assert sub.cmd("SUBSCRIBE", "news") == push("subscribe", "news", 1)
    assert sub.cmd("PSUBSCRIBE", "n*") == push("psubscribe", "n*", 2)
    assert raw.cmd("PUBLISH", "news", "hi") == b":2\r\n"
    # The channel's subscribers first, then the patterns'.
    assert sub.read_reply() == push("message", "news", "hi")
    assert sub.read_reply() == push("pmessage", "n*", "news", "hi")


def test_many_clients_and_order(server, raw):
    subs = [conn(server) for _ in range(20)]
    try:
        for s in subs:
            assert s.cmd("SUBSCRIBE", "ch") == push("subscribe", "ch", 1)
        for i in range(50):
            assert raw.cmd("PUBLISH", "ch", "m%d" % i) == b":20\r\n"
        for s in subs:
            for i in range(50):
                assert s.read_reply() == push("message", "ch", "m%d" % i)
        assert raw.cmd("PUBSUB", "NUMSUB", "ch", "none") == (
            b"*4\r\n" + bulk("ch") + b":20\r\n" + bulk("none") + b":0\r\n")
    finally:
        for s in subs:
            s.close()
    deadline = time.time() + 5
    while raw.cmd("PUBSUB", "NUMSUB", "ch") != b"*2\r\n" + bulk("ch") + b":0\r\n":
        assert time.time() < deadline, "closed subscribers still counted"
        time.sleep(0.02)


def test_subscribed_mode_errors_resp2(sub):
    assert sub.cmd("SUBSCRIBE", "a") == push("subscribe", "a", 1)
    assert sub.cmd("GET", "k") == (
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
        b"RESET are allowed in this context\r\n")
    assert sub.cmd("PUBSUB", "NUMPAT") == (
        b"-ERR Can't execute 'pubsub|numpat': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
        b"QUIT / RESET are allowed in this context\r\n")
    assert sub.cmd("PING") == b"*2\r\n" + bulk("pong") + bulk("")
    assert sub.cmd("PING", "x") == b"*2\r\n" + bulk("pong") + bulk("x")
    assert sub.cmd("QUIT") == b"+OK\r\n"


def test_resp3_push_and_any_command(server, raw):
    s = conn(server, resp3=True)
    try:
        assert s.cmd("SUBSCRIBE", "a") == push("subscribe", "a", 1, resp3=True)
        assert s.cmd("SET", "k", "v") == b"+OK\r\n"
        assert s.cmd("PING") == b"+PONG\r\n"
        assert raw.cmd("PUBLISH", "a", "m") == b":1\r\n"
        assert s.read_reply() == push("message", "a", "m", resp3=True)
        assert s.cmd("PSUBSCRIBE", "x?") == push("psubscribe", "x?", 2, resp3=True)
        assert raw.cmd("PUBLISH", "xy", "m2") == b":1\r\n"
        assert s.read_reply() == push("pmessage", "x?", "xy", "m2", resp3=True)
        assert s.cmd("UNSUBSCRIBE") == push("unsubscribe", "a", 1, resp3=True)
        assert s.cmd("UNSUBSCRIBE") == push("unsubscribe", None, 1, resp3=True)
    finally:
        s.close()


def test_shard_channels(raw, sub):
    assert sub.cmd("SSUBSCRIBE", "s1", "s2") == push("ssubscribe", "s1", 1)
    assert sub.read_reply() == push("ssubscribe", "s2", 2)
    assert raw.cmd("SPUBLISH", "s1", "m") == b":1\r\n"
    assert sub.read_reply() == push("smessage", "s1", "m")
    # Shard and plain namespaces are apart.
    assert raw.cmd("PUBLISH", "s1", "m") == b":0\r\n"
    assert raw.cmd("PUBSUB", "SHARDNUMSUB", "s1", "x") == (
        b"*4\r\n" + bulk("s1") + b":1\r\n" + bulk("x") + b":0\r\n")
    assert sorted(raw.cmdp("PUBSUB", "SHARDCHANNELS")) == [b"s1", b"s2"]
    assert raw.cmdp("PUBSUB", "SHARDCHANNELS", "*2") == [b"s2"]
    assert raw.cmd("PUBSUB", "CHANNELS") == b"*0\r\n"
    assert sub.cmd("SUNSUBSCRIBE", "s1", "s2") == push("sunsubscribe", "s1", 1)
    assert sub.read_reply() == push("sunsubscribe", "s2", 0)


def test_pubsub_introspection(server, raw, sub):
    other = conn(server)
    try:
        assert sub.cmd("SUBSCRIBE", "news.a", "news.b", "misc") == push("subscribe", "news.a", 1)
        sub.read_reply()
        sub.read_reply()
        assert other.cmd("PSUBSCRIBE", "n*", "m*") == push("psubscribe", "n*", 1)
        other.read_reply()
        assert other.cmd("SUBSCRIBE", "misc") == push("subscribe", "misc", 3)
        assert sorted(raw.cmdp("PUBSUB", "CHANNELS")) == [b"misc", b"news.a", b"news.b"]
        assert sorted(raw.cmdp("PUBSUB", "CHANNELS", "news.*")) == [b"news.a", b"news.b"]
        assert raw.cmd("PUBSUB", "NUMPAT") == b":2\r\n"
        assert raw.cmd("PUBSUB", "NUMSUB", "misc", "news.a") == (
            b"*4\r\n" + bulk("misc") + b":2\r\n" + bulk("news.a") + b":1\r\n")
        assert raw.cmd("PUBSUB", "NUMSUB") == b"*0\r\n"
        info = raw.cmdp("INFO", "stats").decode()
        assert "pubsub_channels:3\r\n" in info and "pubsub_patterns:2\r\n" in info
        line = raw.cmdp("CLIENT", "LIST").decode()
        assert " sub=1 psub=2 ssub=0 " in line and " sub=3 psub=0 ssub=0 " in line
        assert " flags=P " in line
    finally:
        other.close()


def test_pubsub_errors_and_help(raw):
    assert raw.cmd("PUBSUB", "CHANNELS", "a", "b") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. "
        b"Try PUBSUB HELP.\r\n")
    assert raw.cmd("PUBSUB", "NUMPAT", "x") == (
        b"-ERR wrong number of arguments for 'pubsub|numpat' command\r\n")
    assert raw.cmd("PUBSUB", "FOO") == b"-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n"
    assert raw.cmd("SUBSCRIBE") == b"-ERR wrong number of arguments for 'subscribe' command\r\n"
    assert raw.cmd("PUBLISH", "a") == b"-ERR wrong number of arguments for 'publish' command\r\n"
    help_lines = raw.cmdp("PUBSUB", "HELP")
    assert help_lines[0] == b"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_lines[1] == b"CHANNELS [<pattern>]"
    assert help_lines[-2:] == [b"HELP", b"    Prints this help."]
    assert len(help_lines) == 14


def test_reset_leaves_subscriptions(raw, sub):
    assert sub.cmd("SUBSCRIBE", "a") == push("subscribe", "a", 1)
    assert sub.cmd("PSUBSCRIBE", "b*") == push("psubscribe", "b*", 2)
    assert sub.cmd("SSUBSCRIBE", "c") == push("ssubscribe", "c", 1)
    assert sub.cmd("RESET") == b"+RESET\r\n"
    assert raw.cmd("PUBLISH", "a", "m") == b":0\r\n"
    assert raw.cmd("PUBLISH", "bb", "m") == b":0\r\n"
    assert raw.cmd("SPUBLISH", "c", "m") == b":0\r\n"
    assert raw.cmd("PUBSUB", "NUMPAT") == b":0\r\n"
    assert sub.cmd("GET", "k") == b"$-1\r\n"


def test_disconnect_leaves_subscriptions(server, raw):
    s = conn(server)
    assert s.cmd("SUBSCRIBE", "gone") == push("subscribe", "gone", 1)
    assert s.cmd("PSUBSCRIBE", "g*") == push("psubscribe", "g*", 2)
    s.close()
    deadline = time.time() + 5
    while raw.cmd("PUBLISH", "gone", "m") != b":0\r\n":
        assert time.time() < deadline
        time.sleep(0.02)
    assert raw.cmd("PUBSUB", "NUMPAT") == b":0\r\n"


def test_slow_subscriber_cut_by_pubsub_limit(server, raw):
    # The slow subscriber never reads and has a tiny receive window, so the server's
    # output for it piles up until the pubsub class's hard limit closes it.
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect((server.host, server.port))
    fast = conn(server)
    assert raw.cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0") == b"+OK\r\n"
    try:
        slow.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nflood\r\n")
        assert fast.cmd("SUBSCRIBE", "flood") == push("subscribe", "flood", 1)
        deadline = time.time() + 5
        while raw.cmd("PUBSUB", "NUMSUB", "flood") != b"*2\r\n" + bulk("flood") + b":2\r\n":
            assert time.time() < deadline
            time.sleep(0.01)
        payload = "x" * 65536
        cut = False
        for i in range(400):
            raw.cmd("PUBLISH", "flood", payload)
            # The fast one reads everything as it comes.
            assert fast.read_reply() == push("message", "flood", payload)
            if i % 10 == 9 and raw.cmd("PUBSUB", "NUMSUB", "flood") == \
                    b"*2\r\n" + bulk("flood") + b":1\r\n":
                cut = True
                break
        assert cut, "the slow subscriber was never disconnected"
        assert raw.cmd("PUBLISH", "flood", "last") == b":1\r\n"
        assert fast.read_reply() == push("message", "flood", "last")
        assert fast.cmd("PING") == b"*2\r\n" + bulk("pong") + bulk("")
    finally:
        raw.cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")
        slow.close()
        fast.close()
