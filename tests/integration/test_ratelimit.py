"""Rate limits beyond Redis: per-address connection rate, per-client command rate and the
failed-AUTH delay. All are off by default and follow CONFIG SET.

Distinct client addresses come from 127.0.0.0/8: a socket bound to 127.0.0.N before connecting
reaches a server on 127.0.0.1 from that address.
"""

import socket
import time
import urllib.request

import pytest

from conftest import IS_REDIS, free_port, wait_for
from resp import RawConn

pytestmark = pytest.mark.skipif(IS_REDIS, reason="PairDB's own rate limits; Redis has none")

CMD_LIMITED = b"-ERR rate limit exceeded: too many commands (max-commands-per-second)\r\n"
CONN_LIMITED = (b"-ERR rate limit exceeded: too many new connections from this address "
                b"(maxconn-rate-per-ip)\r\n")
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
THROTTLED = b"-ERR too many failed authentication attempts from this address, retry in "

SETTINGS = {
    "maxconn-rate-per-ip": "0", "maxconn-burst-per-ip": "0", "max-commands-per-second": "0",
    "max-commands-burst": "0", "auth-failures-before-delay": "0",
    "auth-failure-delay-ms": "1000", "auth-failure-max-delay-ms": "60000",
}


def connect_from(server, source, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect((server.host, server.port))
    return s


def exchange(sock, payload=b"PING\r\n"):
    sock.sendall(payload)
    return sock.recv(4096)


def stat(server, field):
    c = RawConn(None, unix=server.unixsocket, timeout=10)
    try:
        if "--requirepass" in server.extra:
            assert c.cmd("AUTH", "pw") == b"+OK\r\n"
        text = c.cmd("INFO", "stats").decode()
    finally:
        c.close()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError("no %s in INFO stats" % field)


def test_defaults_off_and_settable(r):
    for name, value in SETTINGS.items():
        assert r.config_get(name) == {name: value}
    assert r.config_set("max-commands-per-second", 7)
    assert r.config_get("max-commands-per-second") == {"max-commands-per-second": "7"}
    assert r.config_set("max-commands-per-second", 0)
    with pytest.raises(Exception, match="argument must be between 1 and 86400000"):
        r.config_set("auth-failure-delay-ms", 0)
    info = r.info("stats")
    assert info["ratelimit_rejected_commands"] == 0
    assert info["auth_failures_throttled"] == 0


def test_command_rate_per_client(start_server):
    s = start_server("--max-commands-per-second", "2", "--max-commands-burst", "4")
    c = s.raw()
    c.send_raw(b"PING\r\n" * 7)
    replies = [c.read_reply() for _ in range(7)]
    assert replies == [b"+PONG\r\n"] * 4 + [CMD_LIMITED] * 3
    # Another client has its own bucket.
    other = s.raw()
    assert other.cmd("PING") == b"+PONG\r\n"
    assert stat(s, "ratelimit_rejected_commands") == 3
    # Two tokens a second: after 0.6 s one more command goes through, the next does not.
    time.sleep(0.6)
    c.send_raw(b"PING\r\nPING\r\n")
    assert [c.read_reply(), c.read_reply()] == [b"+PONG\r\n", CMD_LIMITED]
    # The connection stays open; lifting the limit at run time serves it at once.
    assert other.cmd("CONFIG", "SET", "max-commands-per-second", "0") == b"+OK\r\n"
    c.send_raw(b"PING\r\n" * 20)
    assert [c.read_reply() for _ in range(20)] == [b"+PONG\r\n"] * 20


def test_command_rate_aborts_transaction(start_server):
    s = start_server("--max-commands-per-second", "1", "--max-commands-burst", "3")
    c = s.raw()
    c.send_raw(b"MULTI\r\nSET k v\r\nSET k w\r\n")
    assert [c.read_reply() for _ in range(3)] == [b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n"]
    assert c.cmd("INCR", "n") == CMD_LIMITED
    time.sleep(1.1)
    assert c.cmd("EXEC") == (b"-EXECABORT Transaction discarded because of previous errors.\r\n")
    time.sleep(1.1)
    assert c.cmd("EXISTS", "k") == b":0\r\n"


def test_connection_rate_per_address(start_server):
    s = start_server("--maxconn-rate-per-ip", "1", "--maxconn-burst-per-ip", "2")
    a = [connect_from(s, "127.0.0.2") for _ in range(3)]
    assert [exchange(x) for x in a] == [b"+PONG\r\n", b"+PONG\r\n", CONN_LIMITED]
    # The refused one was closed by the server.
    assert a[2].recv(10) == b""
    # Other addresses have their own bucket.
    b = connect_from(s, "127.0.0.3")
    assert exchange(b) == b"+PONG\r\n"
    for x in a + [b]:
        x.close()
    assert stat(s, "rejected_connections") == 1
    assert wait_for(lambda: exchange(connect_from(s, "127.0.0.2")) == b"+PONG\r\n", timeout=3)


def test_connection_rate_off_by_config_set(start_server):
    s = start_server("--maxconn-rate-per-ip", "1", "--maxconn-burst-per-ip", "1")
    first = connect_from(s, "127.0.0.4")
    assert exchange(first) == b"+PONG\r\n"
    assert exchange(connect_from(s, "127.0.0.4")) == CONN_LIMITED
    assert first.sendall(b"CONFIG SET maxconn-rate-per-ip 0\r\n") is None
    assert first.recv(100) == b"+OK\r\n"
    assert [exchange(connect_from(s, "127.0.0.4")) for _ in range(5)] == [b"+PONG\r\n"] * 5


def auth(sock, password):
    return exchange(sock, b"AUTH " + password + b"\r\n")


def test_failed_auth_delay_grows_and_resets(start_server):
    s = start_server("--requirepass", "pw", "--auth-failures-before-delay", "2",
                     "--auth-failure-delay-ms", "300", "--auth-failure-max-delay-ms", "500")
    c = connect_from(s, "127.0.0.5")
    assert auth(c, b"bad") == WRONGPASS
    assert auth(c, b"bad") == WRONGPASS
    # Two failures: even the right password is refused for 300 ms, on any connection.
    assert auth(c, b"pw").startswith(THROTTLED)
    d = connect_from(s, "127.0.0.5")
    reply = exchange(d, b"HELLO 3 AUTH default pw\r\n")
    assert reply.startswith(THROTTLED) and reply.endswith(b" ms\r\n")
    assert int(reply[len(THROTTLED):-5]) <= 300
    # Commands other than AUTH still get their usual answer.
    assert exchange(d, b"PING\r\n") == b"-NOAUTH Authentication required.\r\n"
    # Another address is not affected.
    e = connect_from(s, "127.0.0.6")
    assert auth(e, b"pw") == b"+OK\r\n"
    assert stat(s, "auth_failures_throttled") == 2
    time.sleep(0.35)
    # A third failure doubles the delay, capped at 500 ms.
    assert exchange(c, b"HELLO 2 AUTH default bad\r\n") == WRONGPASS
    time.sleep(0.35)
    assert auth(c, b"pw").startswith(THROTTLED)
    time.sleep(0.2)
    assert auth(c, b"pw") == b"+OK\r\n"
    # Success forgets the failures: one more failure is not delayed.
    assert auth(d, b"bad") == WRONGPASS
    assert auth(d, b"pw") == b"+OK\r\n"
    for x in (c, d, e):
        x.close()


def test_failed_auth_state_survives_address_flood(start_server):
    """The per-address table is bounded (4096 entries); a flood of new addresses replaces idle
    entries before an address that is serving an AUTH delay."""
    s = start_server("--requirepass", "pw", "--auth-failures-before-delay", "1",
                     "--auth-failure-delay-ms", "60000", "--maxconn-rate-per-ip", "1000")
    c = connect_from(s, "127.0.0.7")
    assert auth(c, b"bad") == WRONGPASS
    used = stat(s, "total_connections_received")
    for i in range(8000):
        x = connect_from(s, "127.1.%d.%d" % (i // 250, i % 250 + 1))
        x.close()
    assert wait_for(lambda: stat(s, "total_connections_received") >= used + 8000, timeout=30)
    assert auth(c, b"pw").startswith(THROTTLED)
    c.close()


def test_metrics_families(start_server):
    for _ in range(3):
        port = free_port()
        s = start_server("--admin-port", port, "--max-commands-per-second", "1",
                         "--max-commands-burst", "1")

        def scrape():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                            timeout=2) as resp:
                    return resp.read().decode()
            except OSError:
                return None

        if wait_for(scrape, timeout=5):
            break
        s.stop()
    else:
        pytest.fail("no admin port could be bound")
    c = s.raw()
    c.send_raw(b"PING\r\nPING\r\n")
    assert [c.read_reply(), c.read_reply()] == [b"+PONG\r\n", CMD_LIMITED]
    text = scrape()
    assert "# TYPE pairdb_ratelimit_rejected_commands_total counter" in text
    assert "\npairdb_ratelimit_rejected_commands_total 1\n" in text
    assert "\npairdb_auth_failures_throttled_total 0\n" in text
