"""Hostile and malformed input: exact protocol error texts, connection closing, resource limits.

Every test ends by checking that the shared server still answers PING and is alive, because
the point of this file is that no input from the network can bring the server down or stall
other clients.
"""

import random
import socket
import struct
import time

import pytest

from conftest import wait_for
from resp import RawConn, encode_command


def _server_ok(server):
    assert server.alive(), server.log_tail()
    c = RawConn(server.host, server.port, timeout=5)
    try:
        assert c.cmd("PING") == b"+PONG\r\n"
    finally:
        c.close()


def _proto_error(server, data, error):
    c = RawConn(server.host, server.port, timeout=5)
    try:
        c.send_raw(data)
        assert c.read_reply() == b"-ERR Protocol error: " + error + b"\r\n"
        assert c.closed_by_peer(2)
    finally:
        c.close()
    _server_ok(server)


@pytest.mark.parametrize("data,error", [
    (b"*abc\r\n", b"invalid multibulk length"),
    (b"*\r\n", b"invalid multibulk length"),
    (b"*1 \r\n", b"invalid multibulk length"),
    (b"*+1\r\n$1\r\na\r\n", b"invalid multibulk length"),
    (b"*2147483648\r\n", b"invalid multibulk length"),
    (b"*99999999999999999999\r\n", b"invalid multibulk length"),
    (b"*1\r\nx\r\n", b"expected '$', got 'x'"),
    (b"*2\r\n$4\r\nECHO\r\n:1\r\n", b"expected '$', got ':'"),
    (b"*1\r\n$-5\r\n", b"invalid bulk length"),
    (b"*1\r\n$abc\r\n", b"invalid bulk length"),
    (b"*1\r\n$\r\n", b"invalid bulk length"),
    (b"*1\r\n$+1\r\na\r\n", b"invalid bulk length"),
    (b"*1\r\n$2147483648\r\n", b"invalid bulk length"),
    (b"*1\r\n$536870913\r\n", b"invalid bulk length"),
    (b"*1\r\n$99999999999999999999\r\n", b"invalid bulk length"),
    (b'SET badin_q "b\r\n', b"unbalanced quotes in request"),
    (b"SET badin_q 'b\r\n", b"unbalanced quotes in request"),
    (b'SET badin_q "foo"bar\r\n', b"unbalanced quotes in request"),
])
def test_badinput_protocol_errors(server, data, error):
    _proto_error(server, data, error)


def test_badinput_too_big_inline(server):
    _proto_error(server, b"A" * 70000, b"too big inline request")


def test_badinput_too_big_mbulk_count(server):
    _proto_error(server, b"*1" + b"1" * 70000, b"too big mbulk count string")


def test_badinput_too_big_bulk_count(server):
    _proto_error(server, b"*1\r\n$" + b"1" * 70000, b"too big bulk count string")


def test_badinput_replies_before_error_are_sent(server):
    c = RawConn(server.host, server.port, timeout=5)
    try:
        c.send_raw(b"PING\r\n" + encode_command("ECHO", "x") + b"*abc\r\nPING\r\n")
        assert c.read_reply() == b"+PONG\r\n"
        assert c.read_reply() == b"$1\r\nx\r\n"
        assert c.read_reply() == b"-ERR Protocol error: invalid multibulk length\r\n"
        assert c.closed_by_peer(2)
    finally:
        c.close()
    _server_ok(server)


def test_badinput_max_bulk_len_accepted_as_pending(server):
    # Exactly proto-max-bulk-len (512mb) is a legal announcement: the server waits for data.
    c = RawConn(server.host, server.port, timeout=5)
    try:
        c.send_raw(b"*2\r\n$4\r\nECHO\r\n$536870912\r\nabc")
        assert c.read_available(0.2) == b""
        assert not c.closed_by_peer(0.1)
        _server_ok(server)
    finally:
        c.close()


def test_badinput_negative_multibulk_ignored(raw):
    raw.send_raw(b"*-5\r\n*0\r\nPING\r\n")
    assert raw.read_reply() == b"+PONG\r\n"


def test_badinput_empty_command_name(raw):
    raw.send_raw(b"*1\r\n$0\r\n\r\n")
    assert raw.read_reply() == b"-ERR unknown command '', with args beginning with: \r\n"
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_badinput_crlf_inside_bulk(raw):
    raw.send_raw(b"*2\r\n$4\r\nECHO\r\n$5\r\na\r\nb\r\r\n")
    assert raw.read_reply() == b"$5\r\na\r\nb\r\r\n"


def test_badinput_million_args(server, raw):
    n = 1000000
    parts = [b"*%d\r\n$3\r\nDEL\r\n" % (n + 1)]
    parts.extend(b"$%d\r\nbadin_m%d\r\n" % (len(b"badin_m%d" % i), i) for i in range(n))
    raw.send_raw(b"".join(parts))
    assert raw.read_reply(timeout=20) == b":0\r\n"
    assert raw.cmd("PING") == b"+PONG\r\n"
    _server_ok(server)


def test_badinput_random_garbage(server):
    rng = random.Random(12345)
    conns = []
    try:
        for i in range(8):
            c = RawConn(server.host, server.port, timeout=5)
            conns.append(c)
            for _ in range(20):
                n = rng.randint(1, 4096)
                if rng.random() < 0.5:
                    # Mostly protocol-looking bytes reach deeper parser states.
                    alphabet = b"*$:+-\r\n0123456789-abcSETGET \"'\\x"
                    data = bytes(rng.choice(alphabet) for _ in range(n))
                else:
                    data = bytes(rng.getrandbits(8) for _ in range(n))
                try:
                    c.send_raw(data)
                except OSError:
                    break
        for c in conns:
            c.read_available(0.05)
            _server_ok(server)
    finally:
        for c in conns:
            c.close()
    _server_ok(server)


def test_badinput_half_sent_commands_do_not_block(server):
    conns = []
    try:
        pieces = [b"*3\r\n$3\r\nSET\r\n$1\r\na", b"*3\r\n", b"*1\r\n$4\r\nPI", b"PIN",
                  b"*2\r\n$4\r\nECHO\r\n$100000\r\nabc", b"*1000000\r\n"]
        for i in range(60):
            c = RawConn(server.host, server.port, timeout=5)
            c.send_raw(pieces[i % len(pieces)])
            conns.append(c)
        other = RawConn(server.host, server.port, timeout=5)
        try:
            t0 = time.monotonic()
            for _ in range(10):
                assert other.cmd("PING") == b"+PONG\r\n"
            assert time.monotonic() - t0 < 1.0
        finally:
            other.close()
        # Nothing was answered to the half-sent commands.
        for c in conns:
            assert c.read_available(0.0) == b""
    finally:
        for c in conns:
            c.close()
    _server_ok(server)


def test_badinput_huge_multibulk_announcement(server):
    c = RawConn(server.host, server.port, timeout=5)
    try:
        c.send_raw(b"*1000000\r\n")
        other = RawConn(server.host, server.port, timeout=5)
        try:
            t0 = time.monotonic()
            for i in range(100):
                assert other.cmd("SET", "badin_h", i) == b"+OK\r\n"
            assert time.monotonic() - t0 < 1.0
        finally:
            other.close()
        # The announcing client still owes almost a million arguments: nothing is answered.
        c.send_raw(b"$3\r\nDEL\r\n$1\r\nx\r\n")
        assert c.read_available(0.1) == b""
        assert not c.closed_by_peer(0.05)
    finally:
        c.close()
    _server_ok(server)


def test_badinput_client_query_buffer_limit(start_server):
    s = start_server()
    c = s.raw(timeout=5)
    try:
        assert c.cmd("CONFIG", "SET", "client-query-buffer-limit", "1mb") == b"+OK\r\n"
        assert c.cmd("CONFIG", "GET", "client-query-buffer-limit") == \
            b"*2\r\n$25\r\nclient-query-buffer-limit\r\n$7\r\n1048576\r\n"
        try:
            c.send_raw(b"*3\r\n$3\r\nSET\r\n$8\r\nbadin_qb\r\n$3000000\r\n" + b"x" * 2000000)
        except OSError:
            pass
        assert c.closed_by_peer(5)
    finally:
        c.close()
    assert s.alive()
    d = s.raw(timeout=5)
    try:
        assert d.cmd("PING") == b"+PONG\r\n"
        assert d.cmd("EXISTS", "badin_qb") == b":0\r\n"
    finally:
        d.close()


def test_badinput_abrupt_disconnects(server):
    # Clients vanishing mid-command, mid-reply and with RST must not disturb the server.
    for i in range(20):
        c = RawConn(server.host, server.port, timeout=5)
        if i % 3 == 0:
            c.send_raw(b"*2\r\n$3\r\nGET\r\n$5\r\nbad")
        elif i % 3 == 1:
            c.send_raw(encode_command("SET", "badin_ab", "x" * 100000) +
                       encode_command("GET", "badin_ab") * 20)
        else:
            # Linger 0: close sends RST instead of FIN.
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.send_raw(encode_command("PING"))
        c.close()
    assert wait_for(lambda: server.alive(), 1)
    _server_ok(server)
