"""Raw RESP2/RESP3 connection for integration tests.

Talks to the server over a plain socket so tests can assert the exact bytes of every reply,
send malformed input, and see when the server closes the connection. Only the standard library
is used. The reader keeps a byte buffer and finds the end of one complete reply by parsing all
RESP types (nested aggregates and attributes included) before handing out the raw bytes.

Used by conftest.py (fixtures `raw`, `raw3`) and by every integration test file.
"""

import select
import socket
import time


class RespError(Exception):
    pass


def _to_bytes(arg):
    if isinstance(arg, bytes):
        return arg
    if isinstance(arg, bytearray):
        return bytes(arg)
    if isinstance(arg, str):
        return arg.encode()
    if isinstance(arg, (int, float)):
        return str(arg).encode()
    raise TypeError("unsupported argument type: %r" % type(arg))


def bulk(v):
    """A RESP bulk string of v (str, bytes or a number), as replies carry them."""
    b = _to_bytes(v)
    return b"$%d\r\n%s\r\n" % (len(b), b)


def encode_command(*args):
    """Multibulk encoding of a command; args are str, bytes or int."""
    return b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args)


class _Incomplete(Exception):
    pass


def _line_end(buf, pos):
    i = buf.find(b"\r\n", pos)
    if i < 0:
        raise _Incomplete()
    return i


def _scan(buf, pos):
    """Return the end offset of the reply starting at pos, or raise _Incomplete."""
    if pos >= len(buf):
        raise _Incomplete()
    t = buf[pos:pos + 1]
    e = _line_end(buf, pos + 1)
    line = buf[pos + 1:e]
    nxt = e + 2
    if t in (b"+", b"-", b":", b"_", b"#", b",", b"("):
        return nxt
    if t in (b"$", b"!", b"="):
        n = int(line)
        if n < 0:
            return nxt
        if len(buf) < nxt + n + 2:
            raise _Incomplete()
        return nxt + n + 2
    if t in (b"*", b"~", b">"):
        n = int(line)
        for _ in range(max(n, 0)):
            nxt = _scan(buf, nxt)
        return nxt
    if t == b"%":
        n = int(line)
        for _ in range(2 * n):
            nxt = _scan(buf, nxt)
        return nxt
    if t == b"|":
        n = int(line)
        for _ in range(2 * n):
            nxt = _scan(buf, nxt)
        # An attribute prefixes the reply it describes.
        return _scan(buf, nxt)
    raise RespError("unknown RESP type byte %r in %r" % (t, buf[pos:pos + 40]))


def _parse(buf, pos):
    """Parse one reply at pos (assumed complete); return (value, next_pos)."""
    t = buf[pos:pos + 1]
    e = buf.find(b"\r\n", pos + 1)
    line = buf[pos + 1:e]
    nxt = e + 2
    if t == b"+":
        return line, nxt
    if t == b"-":
        return ("err", line), nxt
    if t == b":":
        return int(line), nxt
    if t == b"(":
        return int(line), nxt
    if t == b"_":
        return None, nxt
    if t == b"#":
        return line == b"t", nxt
    if t == b",":
        s = line.decode()
        if s in ("inf", "+inf"):
            return float("inf"), nxt
        if s == "-inf":
            return float("-inf"), nxt
        return float(s), nxt
    if t in (b"$", b"!", b"="):
        n = int(line)
        if n < 0:
            return None, nxt
        data = buf[nxt:nxt + n]
        if t == b"!":
            return ("err", data), nxt + n + 2
        if t == b"=":
            return ("verbatim", data[:3], data[4:]), nxt + n + 2
        return data, nxt + n + 2
    if t in (b"*", b"~", b">"):
        n = int(line)
        if n < 0:
            return None, nxt
        out = []
        for _ in range(n):
            v, nxt = _parse(buf, nxt)
            out.append(v)
        if t == b">":
            return ("push", out), nxt
        return out, nxt
    if t == b"%":
        n = int(line)
        d = {}
        for _ in range(n):
            k, nxt = _parse(buf, nxt)
            v, nxt = _parse(buf, nxt)
            if isinstance(k, list):
                k = tuple(k)
            d[k] = v
        return d, nxt
    if t == b"|":
        n = int(line)
        attrs = {}
        for _ in range(n):
            k, nxt = _parse(buf, nxt)
            v, nxt = _parse(buf, nxt)
            attrs[k] = v
        v, nxt = _parse(buf, nxt)
        return ("attr", attrs, v), nxt
    raise RespError("unknown RESP type byte %r" % t)


def parse_reply(data):
    """Parse the bytes of exactly one reply into a Python structure."""
    v, end = _parse(data, 0)
    if end != len(data):
        raise RespError("trailing bytes after reply: %r" % data[end:end + 40])
    return v


class RawConn:
    def __init__(self, host, port=None, timeout=10, unix=None):
        self.timeout = timeout
        if unix is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            try:
                self.sock.connect(unix)
            except OSError:
                self.sock.close()
                raise
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, *args):
        self.sock.sendall(encode_command(*args))

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out waiting for reply; buffer=%r" % self.buf[:200])
        self.sock.settimeout(left)
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            self.eof = True
            raise ConnectionError("connection closed by server; buffer=%r" % self.buf[:200])
        self.buf += chunk

    def read_reply(self, timeout=None):
        """Return the exact bytes of one complete reply."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                end = _scan(self.buf, 0)
            except _Incomplete:
                end = None
            if end is None:
                self._fill(deadline)
                continue
            out, self.buf = self.buf[:end], self.buf[end:]
            return out

    def read_parsed(self, timeout=None):
        return parse_reply(self.read_reply(timeout))

    def cmd(self, *args):
        self.send(*args)
        return self.read_reply()

    def cmdp(self, *args):
        self.send(*args)
        return self.read_parsed()

    def read_available(self, wait=0.1):
        """Drain whatever arrives within `wait` seconds (for tests expecting no reply)."""
        out = self.buf
        self.buf = b""
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return out
            try:
                chunk = self.sock.recv(1 << 20)
            except (ConnectionResetError, OSError):
                self.eof = True
                return out
            if not chunk:
                self.eof = True
                return out
            out += chunk

    def closed_by_peer(self, timeout=2):
        """True if the server closed the connection within `timeout` seconds.

        Pending reply bytes are discarded; a reset counts as closed."""
        if self.eof:
            return True
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return False
            try:
                chunk = self.sock.recv(1 << 20)
            except (ConnectionResetError, BrokenPipeError):
                self.eof = True
                return True
            except OSError:
                self.eof = True
                return True
            if not chunk:
                self.eof = True
                return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def connect(server, resp3=False, timeout=10):
    """A RawConn to a test server; with resp3, switched to RESP3 (HELLO 3) first."""
    c = RawConn(server.host, server.port, timeout=timeout)
    if resp3:
        c.send("HELLO", "3")
        assert c.read_reply().startswith(b"%")
    return c
