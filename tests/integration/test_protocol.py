"""RESP2/RESP3 wire format, HELLO, inline commands, pipelining and large/binary payloads.

Replies are compared byte for byte: the wire format is the contract clients depend on.
"""

import re
import time

from resp import encode_command, parse_reply

HELLO_KEYS = [b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"]


def _hello_fields_resp2(reply):
    """Decode a RESP2 HELLO reply (flat array) checking types on the way."""
    assert reply.startswith(b"*14\r\n"), reply
    body = reply[len(b"*14\r\n"):]
    m = re.fullmatch(
        rb"\$6\r\nserver\r\n\$\d+\r\n[^\r\n]+\r\n"
        rb"\$7\r\nversion\r\n\$\d+\r\n[^\r\n]+\r\n"
        rb"\$5\r\nproto\r\n:2\r\n"
        rb"\$2\r\nid\r\n:(\d+)\r\n"
        rb"\$4\r\nmode\r\n\$10\r\nstandalone\r\n"
        rb"\$4\r\nrole\r\n\$6\r\nmaster\r\n"
        rb"\$7\r\nmodules\r\n\*0\r\n", body)
    assert m, reply
    return int(m.group(1))


def _check_hello3(reply, conn_id=None):
    m = re.fullmatch(
        rb"%7\r\n"
        rb"\$6\r\nserver\r\n\$\d+\r\n[^\r\n]+\r\n"
        rb"\$7\r\nversion\r\n\$\d+\r\n[^\r\n]+\r\n"
        rb"\$5\r\nproto\r\n:3\r\n"
        rb"\$2\r\nid\r\n:(\d+)\r\n"
        rb"\$4\r\nmode\r\n\$10\r\nstandalone\r\n"
        rb"\$4\r\nrole\r\n\$6\r\nmaster\r\n"
        rb"\$7\r\nmodules\r\n\*0\r\n", reply)
    assert m, reply
    if conn_id is not None:
        assert int(m.group(1)) == conn_id
    return int(m.group(1))


# ---- HELLO ---------------------------------------------------------------------------------

def test_protocol_hello_no_args_is_resp2(raw):
    cid = _hello_fields_resp2(raw.cmd("HELLO"))
    assert raw.cmd("CLIENT", "ID") == b":%d\r\n" % cid
    # Still RESP2 afterwards.
    assert raw.cmd("GET", "proto_nokey") == b"$-1\r\n"


def test_protocol_hello_2(raw):
    _hello_fields_resp2(raw.cmd("HELLO", "2"))
    assert raw.cmd("GET", "proto_nokey") == b"$-1\r\n"


def test_protocol_hello_3_map(raw):
    rep = raw.cmd("HELLO", "3")
    cid = _check_hello3(rep)
    d = parse_reply(rep)
    assert list(d.keys()) == HELLO_KEYS
    assert isinstance(d[b"server"], bytes) and isinstance(d[b"version"], bytes)
    assert d[b"proto"] == 3 and d[b"id"] == cid
    assert d[b"modules"] == []
    assert raw.cmd("GET", "proto_nokey") == b"_\r\n"
    # And back to 2.
    _hello_fields_resp2(raw.cmd("HELLO", "2"))
    assert raw.cmd("GET", "proto_nokey") == b"$-1\r\n"


def test_protocol_hello_bad_version(raw):
    assert raw.cmd("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
    assert raw.cmd("HELLO", "1") == b"-NOPROTO unsupported protocol version\r\n"
    assert raw.cmd("HELLO", "abc") == \
        b"-ERR Protocol version is not an integer or out of range\r\n"
    # Failed HELLO leaves the protocol unchanged.
    assert raw.cmd("GET", "proto_nokey") == b"$-1\r\n"


def test_protocol_hello_auth_wrong(raw):
    rep = raw.cmd("HELLO", "3", "AUTH", "nouser", "pass")
    assert rep == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert raw.cmd("GET", "proto_nokey") == b"$-1\r\n"


def test_protocol_hello_auth_requirepass(start_server):
    s = start_server("--requirepass", "secret")
    c = s.raw()
    try:
        assert c.cmd("GET", "x") == b"-NOAUTH Authentication required.\r\n"
        assert c.cmd("HELLO", "3", "AUTH", "default", "wrong") == \
            b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        assert c.cmd("GET", "x") == b"-NOAUTH Authentication required.\r\n"
        _check_hello3(c.cmd("HELLO", "3", "AUTH", "default", "secret"))
        assert c.cmd("GET", "x") == b"_\r\n"
    finally:
        c.close()


def test_protocol_hello_setname(raw):
    _check_hello3(raw.cmd("HELLO", "3", "SETNAME", "proto-name"))
    assert raw.cmd("CLIENT", "GETNAME") == b"$10\r\nproto-name\r\n"
    assert raw.cmd("HELLO", "2", "SETNAME", "a", "b") == \
        b"-ERR Syntax error in HELLO option 'b'\r\n"
    assert raw.cmd("HELLO", "3", "SETNAME", "has space") == \
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"


# ---- RESP2 vs RESP3 ------------------------------------------------------------------------

def test_protocol_null_reply(raw, raw3):
    assert raw.cmd("GET", "proto_null") == b"$-1\r\n"
    assert raw3.cmd("GET", "proto_null") == b"_\r\n"
    raw.cmd("SET", "proto_null_a", "1")
    assert raw.cmd("MGET", "proto_null_a", "proto_null") == b"*2\r\n$1\r\n1\r\n$-1\r\n"
    assert raw3.cmd("MGET", "proto_null_a", "proto_null") == b"*2\r\n$1\r\n1\r\n_\r\n"
    assert raw.cmd("SET", "proto_null_a", "2", "NX") == b"$-1\r\n"
    assert raw3.cmd("SET", "proto_null_a", "2", "NX") == b"_\r\n"
    assert raw.cmd("SET", "proto_null_b", "2", "XX") == b"$-1\r\n"
    assert raw3.cmd("SET", "proto_null_b", "2", "XX") == b"_\r\n"


def test_protocol_incrbyfloat_is_bulk_in_both(raw, raw3):
    assert raw.cmd("SET", "proto_f", "10.5") == b"+OK\r\n"
    assert raw.cmd("INCRBYFLOAT", "proto_f", "0.1") == b"$4\r\n10.6\r\n"
    assert raw3.cmd("INCRBYFLOAT", "proto_f", "0.1") == b"$4\r\n10.7\r\n"


def test_protocol_same_replies_both(raw, raw3):
    for c in (raw, raw3):
        assert c.cmd("SET", "proto_s", "v") == b"+OK\r\n"
        assert c.cmd("EXISTS", "proto_s") == b":1\r\n"
        assert c.cmd("GET", "proto_s") == b"$1\r\nv\r\n"
        assert c.cmd("SET", "proto_s", "w", "GET") == b"$1\r\nv\r\n"
        assert c.cmd("SET", "proto_s", "v") == b"+OK\r\n"
        assert c.cmd("NOSUCHCMD") == \
            b"-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n"
        assert c.cmd("INCR", "proto_s") == b"-ERR value is not an integer or out of range\r\n"


def test_protocol_config_get_map(raw, raw3):
    assert raw.cmd("CONFIG", "GET", "maxmemory") == b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    assert raw3.cmd("CONFIG", "GET", "maxmemory") == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    assert raw.cmd("CONFIG", "GET", "proto-no-such-param") == b"*0\r\n"
    assert raw3.cmd("CONFIG", "GET", "proto-no-such-param") == b"%0\r\n"


def test_protocol_lcs_idx_map(raw, raw3):
    raw.cmd("SET", "proto_l1", "ab")
    raw.cmd("SET", "proto_l2", "ab")
    body = b"$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:2\r\n"
    assert raw.cmd("LCS", "proto_l1", "proto_l2", "IDX") == b"*4\r\n" + body
    assert raw3.cmd("LCS", "proto_l1", "proto_l2", "IDX") == b"%2\r\n" + body


def test_protocol_client_info_verbatim(raw, raw3):
    rep2 = raw.cmd("CLIENT", "INFO")
    assert re.fullmatch(rb"\$(\d+)\r\nid=\d+ [^\r]*resp=2\n\r\n", rep2), rep2
    rep3 = raw3.cmd("CLIENT", "INFO")
    m = re.fullmatch(rb"=(\d+)\r\ntxt:(id=\d+ [^\r]*resp=3\n)\r\n", rep3)
    assert m, rep3
    assert int(m.group(1)) == 4 + len(m.group(2))


# ---- inline commands -----------------------------------------------------------------------

def test_protocol_inline_ping(raw):
    raw.send_raw(b"PING\r\n")
    assert raw.read_reply() == b"+PONG\r\n"
    raw.send_raw(b"PING\n")
    assert raw.read_reply() == b"+PONG\r\n"
    raw.send_raw(b"ping hello\r\n")
    assert raw.read_reply() == b"$5\r\nhello\r\n"


def test_protocol_inline_quotes(raw):
    raw.send_raw(b'SET proto_in "b c"\r\n')
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.cmd("GET", "proto_in") == b"$3\r\nb c\r\n"
    raw.send_raw(b'SET proto_in "x\\x41\\n\\t\\"y"\r\n')
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.cmd("GET", "proto_in") == b'$6\r\nxA\n\t"y\r\n'
    # Inside single quotes only \' is an escape.
    raw.send_raw(b"SET proto_in 'x\\'y\\n'\r\n")
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.cmd("GET", "proto_in") == b"$5\r\nx'y\\n\r\n"
    raw.send_raw(b'SET proto_in ""\r\n')
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.cmd("STRLEN", "proto_in") == b":0\r\n"
    raw.send_raw(b"ECHO   hi    \r\n")
    assert raw.read_reply() == b"$2\r\nhi\r\n"


def test_protocol_inline_empty_lines_skipped(raw):
    raw.send_raw(b"\r\n\r\n\n\n   \r\nPING\r\n")
    assert raw.read_reply() == b"+PONG\r\n"
    assert raw.read_available(0.1) == b""


def test_protocol_inline_pipeline(raw):
    raw.send_raw(b"SET proto_ip 1\r\nINCR proto_ip\r\nGET proto_ip\r\n")
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b":2\r\n"
    assert raw.read_reply() == b"$1\r\n2\r\n"


def test_protocol_mixed_inline_and_multibulk(raw):
    raw.send_raw(b"PING\r\n" + encode_command("ECHO", "x") + b"PING\r\n")
    assert raw.read_reply() == b"+PONG\r\n"
    assert raw.read_reply() == b"$1\r\nx\r\n"
    assert raw.read_reply() == b"+PONG\r\n"


# ---- pipelining and fragmentation ----------------------------------------------------------

def test_protocol_pipeline_1000(raw):
    n = 1000
    raw.send_raw(b"".join(encode_command("INCR", "proto_pipe") for _ in range(n)))
    expected = b"".join(b":%d\r\n" % i for i in range(1, n + 1))
    got = b"".join(raw.read_reply() for _ in range(n))
    assert got == expected
    assert raw.cmd("GET", "proto_pipe") == b"$4\r\n1000\r\n"


def test_protocol_one_byte_writes(raw):
    data = encode_command("SET", "proto_frag", "hello world") + encode_command("GET", "proto_frag")
    for i in range(len(data)):
        raw.send_raw(data[i:i + 1])
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b"$11\r\nhello world\r\n"
    inline = b"ECHO split\r\n"
    for i in range(len(inline)):
        raw.send_raw(inline[i:i + 1])
        time.sleep(0.001)
    assert raw.read_reply() == b"$5\r\nsplit\r\n"


def test_protocol_empty_multibulk_ignored(raw):
    raw.send_raw(b"*0\r\n*-1\r\nPING\r\n")
    assert raw.read_reply() == b"+PONG\r\n"
    assert raw.read_available(0.1) == b""


# ---- binary safety and size ----------------------------------------------------------------

def test_protocol_binary_safe(raw):
    val = b"a\r\nb\x00c\r\n\xff\xfe$3\r\n"
    key = b"proto\x00bin\r\nkey"
    assert raw.cmd("SET", key, val) == b"+OK\r\n"
    assert raw.cmd("GET", key) == b"$%d\r\n%s\r\n" % (len(val), val)
    assert raw.cmd("STRLEN", key) == b":%d\r\n" % len(val)
    assert raw.cmd("EXISTS", b"proto\x00bin") == b":0\r\n"
    assert raw.cmd("ECHO", b"\x00") == b"$1\r\n\x00\r\n"


def test_protocol_empty_key_and_value(raw):
    assert raw.cmd("SET", "", "") == b"+OK\r\n"
    assert raw.cmd("GET", "") == b"$0\r\n\r\n"
    assert raw.cmd("EXISTS", "") == b":1\r\n"


def test_protocol_big_values(r):
    for size in (1 << 20, 20 << 20):
        val = bytes(range(256)) * (size // 256)
        assert r.set("proto_big", val) is True
        assert r.strlen("proto_big") == size
        assert r.get("proto_big") == val
        assert r.getrange("proto_big", size - 3, -1) == val[-3:]


def test_protocol_big_value_raw_exact(raw):
    val = b"x" * (1 << 20)
    assert raw.cmd("SET", "proto_bigraw", val) == b"+OK\r\n"
    assert raw.cmd("GET", "proto_bigraw") == b"$1048576\r\n" + val + b"\r\n"
