"""SLOWLOG: entry shape, argument truncation, secret redaction, thresholds, limits and errors.

Every assertion holds for Redis 7.0 as well (PAIRDB_TARGET=redis): entries are compared
field by field except the time and the duration, which are only checked for range.
"""

import time

import pytest

from resp import RawConn

SLOWLOG_HELP = [
    b"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"GET [<count>]",
    b"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    b"    Entries are made of:",
    b"    id, timestamp, time in microseconds, arguments array, client IP and port,",
    b"    client name",
    b"LEN",
    b"    Return the length of the slowlog.",
    b"RESET",
    b"    Reset the slowlog.",
    b"HELP",
    b"    Prints this help.",
]


@pytest.fixture
def slow(server, raw):
    """A connection on a server that logs every command, restored afterwards."""
    assert raw.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"+OK\r\n"
    assert raw.cmd("CONFIG", "SET", "slowlog-max-len", "128") == b"+OK\r\n"
    assert raw.cmd("SLOWLOG", "RESET") == b"+OK\r\n"
    yield raw
    c = RawConn(server.host, server.port)
    c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    c.cmd("CONFIG", "SET", "slowlog-max-len", "128")
    c.cmd("SLOWLOG", "RESET")
    c.close()


def entries(conn, *count):
    rep = conn.cmdp("SLOWLOG", "GET", *count)
    assert isinstance(rep, list)
    return rep


def local_addr(conn):
    host, port = conn.sock.getsockname()[:2]
    return ("%s:%d" % (host, port)).encode()


def test_help_text(raw):
    assert raw.cmdp("SLOWLOG", "HELP") == SLOWLOG_HELP


@pytest.mark.parametrize("args, err", [
    (("GET", "-2"), b"-ERR count should be greater than or equal to -1\r\n"),
    (("GET", "abc"), b"-ERR count should be greater than or equal to -1\r\n"),
    (("GET", "1", "2"), b"-ERR unknown subcommand or wrong number of arguments for 'GET'. "
                        b"Try SLOWLOG HELP.\r\n"),
    (("LEN", "1"), b"-ERR wrong number of arguments for 'slowlog|len' command\r\n"),
    (("RESET", "1"), b"-ERR wrong number of arguments for 'slowlog|reset' command\r\n"),
    (("NOPE",), b"-ERR unknown subcommand 'NOPE'. Try SLOWLOG HELP.\r\n"),
    ((), b"-ERR wrong number of arguments for 'slowlog' command\r\n"),
])
def test_argument_errors(raw, args, err):
    assert raw.cmd("SLOWLOG", *args) == err


def test_entry_shape(slow):
    assert slow.cmd("CLIENT", "SETNAME", "reporter") == b"+OK\r\n"
    before = int(time.time())
    assert slow.cmd("SET", "k", "v") == b"+OK\r\n"
    after = int(time.time())
    got = entries(slow, "1")
    assert len(got) == 1
    ident, when, duration, argv, addr, name = got[0]
    assert isinstance(ident, int) and ident >= 0
    assert before <= when <= after
    assert isinstance(duration, int) and 0 <= duration < 10_000_000
    assert argv == [b"SET", b"k", b"v"]
    assert addr == local_addr(slow)
    assert name == b"reporter"


def test_newest_first_ids_grow_and_reset_keeps_counting(slow):
    for i in range(3):
        slow.cmd("SET", "k%d" % i, "v")
    got = entries(slow, "3")
    assert [e[3] for e in got] == [[b"SET", b"k2", b"v"], [b"SET", b"k1", b"v"], [b"SET", b"k0", b"v"]]
    assert got[0][0] == got[1][0] + 1 == got[2][0] + 2
    top = got[0][0]
    assert slow.cmd("SLOWLOG", "RESET") == b"+OK\r\n"
    # The RESET itself is the only entry afterwards, and ids go on from where they were.
    assert slow.cmd("SLOWLOG", "LEN") == b":1\r\n"
    got = entries(slow)
    assert got[0][3] == [b"SLOWLOG", b"LEN"]
    assert got[1][3] == [b"SLOWLOG", b"RESET"]
    assert got[1][0] > top


def test_get_count_default_all_and_zero(slow):
    for i in range(15):
        slow.cmd("SET", "k", str(i))
    assert len(entries(slow)) == 10
    assert len(entries(slow, "0")) == 0
    n = int(slow.cmd("SLOWLOG", "LEN")[1:-2])
    assert n >= 16
    assert len(entries(slow, "-1")) == n + 1  # the LEN itself was logged after it answered
    assert len(entries(slow, "1000")) == n + 2


def test_arguments_and_strings_are_truncated(slow):
    args = ["a%d" % i for i in range(40)]
    slow.cmd("RPUSH", "lst", *args)
    argv = entries(slow, "1")[0][3]
    assert len(argv) == 32
    assert argv[:31] == [b"RPUSH", b"lst"] + [a.encode() for a in args[:29]]
    assert argv[31] == b"... (11 more arguments)"
    slow.cmd("SET", "big", "x" * 200)
    argv = entries(slow, "1")[0][3]
    assert argv == [b"SET", b"big", b"x" * 128 + b"... (72 more bytes)"]
    slow.cmd("SET", "edge", "y" * 128)
    assert entries(slow, "1")[0][3] == [b"SET", b"edge", b"y" * 128]


def test_secrets_are_redacted(slow):
    assert slow.cmd("AUTH", "hunter2").startswith(b"-ERR AUTH")
    assert slow.cmd("AUTH", "someone", "hunter3").startswith(b"-WRONGPASS")
    # Without requirepass the default user takes any password.
    assert slow.cmd("HELLO", "2", "AUTH", "default", "hunter4").startswith(b"*14\r\n")
    assert slow.cmd("CONFIG", "SET", "masterauth", "hunter5") == b"+OK\r\n"
    got = [e[3] for e in entries(slow, "4")]
    assert got == [
        [b"CONFIG", b"SET", b"masterauth", b"(redacted)"],
        [b"HELLO", b"2", b"AUTH", b"(redacted)", b"(redacted)"],
        [b"AUTH", b"(redacted)", b"(redacted)"],
        [b"AUTH", b"(redacted)"],
    ]
    slow.cmd("CONFIG", "SET", "masterauth", "")
    flat = b" ".join(b" ".join(a for a in e[3]) for e in entries(slow, "-1"))
    for secret in (b"hunter2", b"hunter3", b"hunter4", b"hunter5"):
        assert secret not in flat


def test_threshold_and_max_len(slow):
    assert slow.cmd("CONFIG", "SET", "slowlog-log-slower-than", "-1") == b"+OK\r\n"
    slow.cmd("SLOWLOG", "RESET")
    slow.cmd("SET", "k", "v")
    assert slow.cmd("SLOWLOG", "LEN") == b":0\r\n"
    # A threshold no command reaches logs nothing either.
    assert slow.cmd("CONFIG", "SET", "slowlog-log-slower-than", "100000000") == b"+OK\r\n"
    slow.cmd("SET", "k", "v")
    assert slow.cmd("SLOWLOG", "LEN") == b":0\r\n"
    assert slow.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"+OK\r\n"
    assert slow.cmd("CONFIG", "SET", "slowlog-max-len", "3") == b"+OK\r\n"
    for i in range(6):
        slow.cmd("SET", "k", str(i))
    assert slow.cmd("SLOWLOG", "LEN") == b":3\r\n"
    assert [e[3] for e in entries(slow)] == [[b"SLOWLOG", b"LEN"], [b"SET", b"k", b"5"],
                                             [b"SET", b"k", b"4"]]
    assert slow.cmd("CONFIG", "SET", "slowlog-max-len", "0") == b"+OK\r\n"
    slow.cmd("SET", "k", "v")
    assert slow.cmd("SLOWLOG", "LEN") == b":0\r\n"


def test_transaction_and_script_commands_are_logged_exec_is_not(slow):
    slow.cmd("MULTI")
    slow.cmd("SET", "x", "1")
    slow.cmd("INCR", "x")
    assert slow.cmd("EXEC") == b"*2\r\n+OK\r\n:2\r\n"
    slow.cmd("EVAL", "return redis.call('get', 'x')", "0")
    got = entries(slow, "5")
    assert [e[3] for e in got] == [[b"EVAL", b"return redis.call('get', 'x')", b"0"],
                                   [b"get", b"x"], [b"INCR", b"x"], [b"SET", b"x", b"1"],
                                   [b"MULTI"]]
    # The script's own client has no address and no name.
    assert got[1][4:] == [b"?:0", b""]
    assert got[0][4] == got[2][4] == local_addr(slow)


def test_blocked_command_logged_once_when_served(server, slow):
    other = RawConn(server.host, server.port)
    try:
        other.send("BLPOP", "q", "5")
        time.sleep(0.2)
        slow.cmd("RPUSH", "q", "item")
        assert other.read_parsed() == [b"q", b"item"]
    finally:
        other.close()
    got = [e[3] for e in entries(slow, "-1")]
    assert got.count([b"BLPOP", b"q", b"5"]) == 1
