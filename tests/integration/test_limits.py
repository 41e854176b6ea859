"""Output-buffer limits: clients that do not read their replies are disconnected.

Each test makes a client queue far more reply bytes than the kernel's socket buffers hold
(GETs of a 1 MB value, never read), so the excess must sit in the server's output buffer.
"""

import socket
import time

from conftest import wait_for
from resp import encode_command

BIG = b"x" * (1024 * 1024)


def flood(s, key, count):
    """A raw socket that sends `count` GETs of `key` and never reads."""
    sock = socket.create_connection((s.host, s.port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.sendall(encode_command("GET", key) * count)
    return sock


def closed(sock, timeout=5):
    """True once the server has closed the connection (reads drain what was sent)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(1 << 20):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def info_field(c, section, name):
    for line in c.cmd("INFO", section).split(b"\r\n"):
        if line.startswith(name.encode() + b":"):
            return int(line.split(b":")[1])
    return None


def test_limits_hard_limit_disconnects(start_server):
    s = start_server("--client-output-buffer-limit", "normal 4mb 0 0")
    c = s.raw()
    assert c.cmd("SET", "big", BIG) == b"+OK\r\n"
    sock = flood(s, "big", 200)  # 200 MB of replies
    assert closed(sock, timeout=10)
    # Everyone else is served; the server is intact.
    assert c.cmd("PING") == b"+PONG\r\n"
    assert c.cmd("STRLEN", "big") == b":1048576\r\n"


def test_limits_soft_limit_after_seconds(start_server):
    s = start_server("--client-output-buffer-limit", "normal 0 2mb 1")
    c = s.raw()
    assert c.cmd("SET", "big", BIG) == b"+OK\r\n"
    sock = flood(s, "big", 50)
    # Over the soft limit, but not yet for one second: still connected.
    time.sleep(0.3)
    sock.setblocking(False)
    try:
        assert sock.recv(1) != b""
    except BlockingIOError:
        pass
    sock.setblocking(True)
    time.sleep(2.5)
    assert closed(sock, timeout=10)
    assert c.cmd("PING") == b"+PONG\r\n"


def test_limits_no_limit_for_normal_by_default(server, raw):
    # Redis's default for normal clients is no limit: a slow reader gets all its data.
    assert raw.cmd("SET", "lim_big", BIG) == b"+OK\r\n"
    sock = flood(server, "lim_big", 20)
    time.sleep(0.5)
    got = 0
    sock.settimeout(10)
    want = 20 * (len(BIG) + len(b"$1048576\r\n\r\n"))
    while got < want:
        chunk = sock.recv(1 << 20)
        assert chunk, "connection closed after %d of %d bytes" % (got, want)
        got += len(chunk)
    assert got == want
    sock.close()


def test_limits_config_set_applies_to_connected_clients(start_server):
    s = start_server()
    c = s.raw()
    assert c.cmd("SET", "big", BIG) == b"+OK\r\n"
    assert c.cmd("CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 0 0") == b"+OK\r\n"
    assert c.cmd("CONFIG", "GET", "client-output-buffer-limit")[:-2].endswith(
        b"normal 4194304 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
    sock = flood(s, "big", 200)
    assert closed(sock, timeout=10)
    assert wait_for(lambda: c.cmd("PING") == b"+PONG\r\n")
