"""Protected mode: with no password for the default user, only local peers are served.

A remote peer is needed, so each test runs the server inside a network namespace created here
(a veth pair with private addresses joins it to this one): from the server's point of view this
process connects from a non-loopback address. The server's readiness is checked over its unix
socket, which works across namespaces. Everything runs against Redis too (PAIRDB_TARGET=redis):
Redis 7.0.15 denies remote peers whatever `bind` says, and the tests pin that.
"""

import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import IS_REDIS, Server, wait_for
from resp import RawConn

DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from the "
    b"loopback interface. If you want to connect from external computers to Redis you may adopt "
    b"one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    b"SET protected-mode no' from the loopback interface by connecting to Redis from the same "
    b"host the server is running, however MAKE SURE Redis is not publicly accessible from "
    b"internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    b"you can just disable the protected mode by editing the Redis configuration file, and "
    b"setting the protected mode option to 'no', and then restarting the server. 3) If you "
    b"started the server manually just for testing, restart it with the '--protected-mode no' "
    b"option. 4) Setup a an authentication password for the default user. NOTE: You only need to "
    b"do one of the above things in order for the server to start accepting connections from the "
    b"outside.\r\n")


def _ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=check)


def _netns_unavailable():
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if not shutil.which("ip"):
        return "the ip tool (iproute2) is not installed"
    return None


class Namespace:
    """A namespace with a veth link: this side 10.213.N.1, the namespace's side 10.213.N.2."""

    def __init__(self):
        n = os.getpid() % 250 + 1
        self.name = "pdbprot%d" % os.getpid()
        self.outer = "pdbp%da" % (os.getpid() % 100000)
        inner = "pdbp%db" % (os.getpid() % 100000)
        self.local_addr = "10.213.%d.1" % n
        self.addr = "10.213.%d.2" % n
        _ip("netns", "add", self.name)
        try:
            _ip("link", "add", self.outer, "type", "veth", "peer", "name", inner)
            _ip("link", "set", inner, "netns", self.name)
            _ip("addr", "add", self.local_addr + "/30", "dev", self.outer)
            _ip("link", "set", self.outer, "up")
            self.run("ip", "addr", "add", self.addr + "/30", "dev", inner)
            self.run("ip", "link", "set", inner, "up")
            self.run("ip", "link", "set", "lo", "up")
        except BaseException:
            self.delete()
            raise

    def run(self, *cmd):
        return subprocess.run(["ip", "netns", "exec", self.name] + list(cmd), capture_output=True,
                              check=True)

    def delete(self):
        _ip("link", "del", self.outer, check=False)
        _ip("netns", "del", self.name, check=False)


@pytest.fixture(scope="module")
def netns():
    why = _netns_unavailable()
    if why:
        pytest.skip("protected mode needs a remote peer: " + why)
    try:
        ns = Namespace()
    except subprocess.CalledProcessError as e:
        pytest.skip("could not create a network namespace: %s" % (e.stderr or e))
    yield ns
    ns.delete()


class NamespacedServer(Server):
    """A server started inside the namespace; TCP checks go to its namespace address."""

    def __init__(self, ns, *extra):
        self.ns = ns
        super().__init__(*extra)

    def _build_args(self):
        return ["ip", "netns", "exec", self.ns.name] + super()._build_args()

    def _wait_ready(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if os.path.exists(self.unixsocket) and self._ping(unix=self.unixsocket):
                return True
            time.sleep(0.02)
        return False

    def local(self):
        return RawConn(None, unix=self.unixsocket, timeout=10)


@pytest.fixture
def ns_server(netns):
    started = []

    def factory(*extra):
        s = NamespacedServer(netns, *extra)
        started.append(s)
        return s

    yield factory
    for s in started:
        s.cleanup()


def remote_exchange(addr, port, payload=b"PING\r\n"):
    """Sends payload from outside the namespace; returns everything read until EOF or a pause."""
    s = socket.create_connection((addr, port), timeout=5)
    try:
        s.sendall(payload)
        data = b""
        s.settimeout(1.0)
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return data, False
            except ConnectionResetError:
                return data, True
            if not chunk:
                return data, True
            data += chunk
    finally:
        s.close()


def info_stat(conn, field):
    text = conn.cmd("INFO", "stats").decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError("no %s in INFO stats" % field)


def test_remote_peer_denied_and_closed(ns_server, netns):
    s = ns_server("--bind", "* -::*")
    data, closed = remote_exchange(netns.addr, s.port)
    assert data == DENIED
    assert closed
    local = s.local()
    # The refused peer counts as rejected, not as a received connection: the two received
    # are the readiness check and this one.
    assert info_stat(local, "rejected_connections") == 1
    assert info_stat(local, "total_connections_received") == 2
    local.close()


def test_loopback_peer_served(ns_server, netns):
    s = ns_server("--bind", "* -::*")
    probe = ("import socket;s=socket.create_connection(('127.0.0.1',%d));s.sendall(b'PING\\r\\n');"
             "print(s.recv(100))" % s.port)
    out = netns.run("python3", "-c", probe).stdout
    assert out.strip() == b"b'+PONG\\r\\n'"


def test_explicit_bind_still_protected(ns_server, netns):
    # Redis 7.0 no longer looks at bind: an address-bound server is protected too.
    s = ns_server("--bind", netns.addr)
    data, closed = remote_exchange(netns.addr, s.port)
    assert data == DENIED and closed


def test_protected_mode_off_serves_remote(ns_server, netns):
    s = ns_server("--bind", "* -::*")
    local = s.local()
    assert local.cmd("CONFIG", "SET", "protected-mode", "no") == b"+OK\r\n"
    data, closed = remote_exchange(netns.addr, s.port)
    assert data == b"+PONG\r\n" and not closed
    assert local.cmd("CONFIG", "SET", "protected-mode", "yes") == b"+OK\r\n"
    data, closed = remote_exchange(netns.addr, s.port)
    assert data == DENIED and closed
    local.close()


def test_started_with_protected_mode_no(ns_server, netns):
    s = ns_server("--bind", "* -::*", "--protected-mode", "no")
    data, closed = remote_exchange(netns.addr, s.port)
    assert data == b"+PONG\r\n" and not closed


def test_password_lifts_protection(ns_server, netns):
    s = ns_server("--bind", "* -::*", "--requirepass", "sekret")
    data, closed = remote_exchange(netns.addr, s.port, b"PING\r\nAUTH sekret\r\nPING\r\n")
    assert data == b"-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n" and not closed
    local = s.local()
    assert local.cmd("AUTH", "sekret") == b"+OK\r\n"
    # Removing the password at run time brings protection back for new peers.
    assert local.cmd("CONFIG", "SET", "requirepass", "") == b"+OK\r\n"
    assert wait_for(lambda: remote_exchange(netns.addr, s.port)[0] == DENIED, timeout=3)
    local.close()


@pytest.mark.skipif(IS_REDIS, reason="maxconn-rate-per-ip is PairDB's own setting")
def test_remote_peer_connection_rate(ns_server, netns):
    s = ns_server("--bind", "* -::*", "--protected-mode", "no", "--maxconn-rate-per-ip", "1",
                  "--maxconn-burst-per-ip", "2")
    # Connected back to back, so the bucket (1 token a second) cannot refill in between.
    socks = [socket.create_connection((netns.addr, s.port), timeout=5) for _ in range(3)]
    replies = []
    for sock in socks:
        sock.sendall(b"PING\r\n")
        replies.append(sock.recv(4096))
    for sock in socks:
        sock.close()
    assert replies[:2] == [b"+PONG\r\n", b"+PONG\r\n"]
    assert replies[2] == (b"-ERR rate limit exceeded: too many new connections from this "
                          b"address (maxconn-rate-per-ip)\r\n")
    assert info_stat(s.local(), "rejected_connections") == 1
    # A second later the bucket has a token again.
    time.sleep(1.1)
    assert remote_exchange(netns.addr, s.port) == (b"+PONG\r\n", False)
    # Unix-socket peers are never limited.
    for _ in range(5):
        c = s.local()
        assert c.cmd("PING") == b"+PONG\r\n"
        c.close()


def test_default_user_password_by_acl(ns_server, netns):
    # Protection follows the default user's nopass flag, however the password was given.
    s = ns_server("--bind", "* -::*")
    local = s.local()
    assert local.cmd("ACL", "SETUSER", "default", ">sekret") == b"+OK\r\n"
    data, closed = remote_exchange(netns.addr, s.port, b"AUTH sekret\r\nPING\r\n")
    assert data == b"+OK\r\n+PONG\r\n" and not closed
    assert local.cmd("ACL", "SETUSER", "default", "nopass") == b"+OK\r\n"
    data, closed = remote_exchange(netns.addr, s.port)
    assert data == DENIED and closed
    local.close()
