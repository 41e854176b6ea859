"""TLS on the tls-port: clients (redis-py, redis-cli, raw ssl sockets), client certificates,
protocol limits, certificate reload, hostile peers.

Every certificate is made here with the openssl CLI in a temp dir: a CA, a server certificate
for 127.0.0.1/localhost, a second server certificate (for reload), a client certificate from
the CA, one from a foreign CA, and a passphrase-protected server key.
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import pytest
import redis

from conftest import IS_REDIS, SERVER_BIN, free_port, wait_for
from resp import encode_command

OPENSSL = shutil.which("openssl")
REDIS_CLI = shutil.which("redis-cli")
CONFIG_ERROR = (b"ERR CONFIG SET failed (possibly related to argument '%s') - "
                b"Unable to update TLS configuration. Check server logs.")


def _openssl(cwd, *args):
    subprocess.run([OPENSSL] + list(args), cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def _make_ca(d, name):
    _openssl(d, "req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-days", "2",
             "-keyout", name + ".key", "-out", name + ".crt", "-subj", "/CN=" + name)


def _make_cert(d, name, ca, cn, server, key_pass=None):
    key_args = ["-nodes"] if key_pass is None else ["-passout", "pass:" + key_pass]
    _openssl(d, "req", "-new", "-newkey", "rsa:2048", *key_args, "-keyout", name + ".key",
             "-out", name + ".csr", "-subj", "/CN=" + cn)
    ext = name + ".ext"
    with open(os.path.join(d, ext), "w") as f:
        if server:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        else:
            f.write("extendedKeyUsage=clientAuth\n")
    _openssl(d, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
             "-CAcreateserial", "-days", "2", "-out", name + ".crt", "-extfile", ext)


@pytest.fixture(scope="module")
def certs():
    assert OPENSSL, "the openssl CLI is needed to make test certificates"
    d = tempfile.mkdtemp(prefix="pdbtls-")
    _make_ca(d, "ca")
    _make_ca(d, "foreign")
    _make_cert(d, "server", "ca", "localhost", server=True)
    _make_cert(d, "server2", "ca", "reloaded", server=True)
    _make_cert(d, "locked", "ca", "locked", server=True, key_pass="s3cret")
    _make_cert(d, "client", "ca", "good-client", server=False)
    _make_cert(d, "stranger", "foreign", "stranger", server=False)
    yield lambda name: os.path.join(d, name)
    shutil.rmtree(d, ignore_errors=True)


def tls_args(certs, port, auth="no", *more):
    return ["--tls-port", port, "--tls-cert-file", certs("server.crt"),
            "--tls-key-file", certs("server.key"), "--tls-ca-cert-file", certs("ca.crt"),
            "--tls-auth-clients", auth] + list(more)


@pytest.fixture
def tls_server(start_server, certs):
    """A server with a plain port and a TLS port that does not ask for client certificates."""
    port = free_port()
    s = start_server(*tls_args(certs, port))
    s.tls_port = port
    return s


def tls_client(server, certs, cert=None, **kw):
    if cert:
        kw.update(ssl_certfile=certs(cert + ".crt"), ssl_keyfile=certs(cert + ".key"))
    kw.setdefault("socket_timeout", 10)
    return redis.Redis(host="127.0.0.1", port=server.tls_port, ssl=True,
                       ssl_ca_certs=certs("ca.crt"), ssl_cert_reqs="required", **kw)


def ssl_socket(port, certs, cert=None, min_version=None, max_version=None):
    ctx = ssl.create_default_context(cafile=certs("ca.crt"))
    if cert:
        ctx.load_cert_chain(certs(cert + ".crt"), certs(cert + ".key"))
    if min_version:
        ctx.minimum_version = min_version
    if max_version:
        ctx.maximum_version = max_version
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        return ctx.wrap_socket(raw, server_hostname="localhost")
    except BaseException:
        raw.close()
        raise


def recv_exactly(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        assert chunk, "connection closed after %d of %d bytes" % (len(buf), n)
        buf += chunk
    return buf


def refused(fn):
    """True when fn() fails the way a refused TLS session does (handshake or first read)."""
    try:
        fn()
    except (redis.ConnectionError, ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True
    return False


# ---- basic traffic ---------------------------------------------------------------------------


def test_set_get_and_pipeline_over_tls(tls_server, certs):
    c = tls_client(tls_server, certs)
    assert c.ping() is True
    assert c.set("k", "v") is True
    assert c.get("k") == b"v"
    p = c.pipeline(transaction=False)
    for _ in range(100):
        p.incr("n")
    assert p.execute() == list(range(1, 101))
    # The plain port serves the same data at the same time.
    plain = tls_server.client()
    assert plain.get("k") == b"v"
    assert plain.get("n") == b"100"
    c.close()


def test_redis_cli_over_tls(tls_server, certs):
    assert REDIS_CLI, "redis-cli is needed"
    base = [REDIS_CLI, "--tls", "--cacert", certs("ca.crt"), "-h", "127.0.0.1", "-p",
            str(tls_server.tls_port)]
    out = subprocess.run(base + ["SET", "cli", "hello"], capture_output=True, timeout=20)
    assert out.stdout == b"OK\n", out
    out = subprocess.run(base + ["GET", "cli"], capture_output=True, timeout=20)
    assert out.stdout == b"hello\n", out
    piped = "".join("RPUSH l %d\n" % i for i in range(50)).encode()
    out = subprocess.run(base + ["--pipe"], input=piped, capture_output=True, timeout=20)
    assert b"errors: 0, replies: 50" in out.stdout, out
    assert tls_server.client().llen("l") == 50


def test_many_commands_in_one_record_are_all_served(tls_server, certs):
    s = ssl_socket(tls_server.tls_port, certs)
    # One sendall of a few KB goes out as a single TLS record.
    s.sendall(encode_command("PING") * 200)
    assert recv_exactly(s, 7 * 200) == b"+PONG\r\n" * 200
    s.close()


def test_large_values_cross_many_records(tls_server, certs):
    s = ssl_socket(tls_server.tls_port, certs)
    value = os.urandom(300 * 1024)
    s.sendall(encode_command("SET", "big", value) + encode_command("GET", "big") +
              encode_command("STRLEN", "big"))
    expect = b"+OK\r\n" + b"$%d\r\n" % len(value) + value + b"\r\n" + b":%d\r\n" % len(value)
    assert recv_exactly(s, len(expect)) == expect
    s.close()


def test_pubsub_over_tls(tls_server, certs):
    c = tls_client(tls_server, certs)
    p = c.pubsub()
    p.subscribe("news")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    assert tls_server.client().publish("news", "hello") == 1
    msg = p.get_message(timeout=5)
    assert msg == {"type": "message", "pattern": None, "channel": b"news", "data": b"hello"}
    p.close()
    c.close()


def test_blocking_pop_over_tls_is_woken_by_a_plain_client(tls_server, certs):
    c = tls_client(tls_server, certs)
    s = ssl_socket(tls_server.tls_port, certs)
    s.sendall(encode_command("BLPOP", "q", "10"))
    assert wait_for(lambda: int(c.info("clients")["blocked_clients"]) == 1)
    assert tls_server.client().rpush("q", "job") == 1
    assert recv_exactly(s, 20) == b"*2\r\n$1\r\nq\r\n$3\r\njob\r\n"
    s.close()
    c.close()


def test_client_list_shows_the_tls_port_as_local_address(tls_server, certs):
    c = tls_client(tls_server, certs)
    info = c.client_info()
    assert info["laddr"] == "127.0.0.1:%d" % tls_server.tls_port
    c.close()


def test_replies_wait_for_the_log_over_tls(start_server, certs):
    port = free_port()
    s = start_server(*tls_args(certs, port), "--appendonly", "yes", "--appendfsync", "always")
    s.tls_port = port
    c = tls_client(s, certs)
    assert c.set("durable", "yes") is True
    c.close()
    s.crash_restart()
    assert s.client().get("durable") == b"yes"


# ---- client certificates -------------------------------------------------------------------


def test_auth_clients_yes_requires_a_certificate_from_the_ca(start_server, certs):
    port = free_port()
    s = start_server(*tls_args(certs, port, "yes"))
    s.tls_port = port
    good = tls_client(s, certs, cert="client")
    assert good.ping() is True
    good.close()
    assert refused(lambda: tls_client(s, certs).ping())
    assert refused(lambda: tls_client(s, certs, cert="stranger").ping())
    assert s.client().ping() is True


def test_auth_clients_optional_checks_only_presented_certificates(start_server, certs):
    port = free_port()
    s = start_server(*tls_args(certs, port, "optional"))
    s.tls_port = port
    assert tls_client(s, certs).ping() is True
    assert tls_client(s, certs, cert="client").ping() is True
    assert refused(lambda: tls_client(s, certs, cert="stranger").ping())


def test_auth_clients_setting(tls_server, certs):
    plain = tls_server.client()
    with pytest.raises(redis.ResponseError) as e:
        plain.config_set("tls-auth-clients", "maybe")
    assert str(e.value) == ("CONFIG SET failed (possibly related to argument 'tls-auth-clients') "
                            "- argument(s) must be one of the following: no, yes, optional")
    assert plain.config_set("tls-auth-clients", "yes") is True
    assert plain.config_get("tls-auth-clients") == {"tls-auth-clients": "yes"}
    assert refused(lambda: tls_client(tls_server, certs).ping())
    assert tls_client(tls_server, certs, cert="client").ping() is True


# ---- protocols -------------------------------------------------------------------------------


def test_tls12_only_refuses_a_tls13_only_client(start_server, certs):
    port = free_port()
    s = start_server(*tls_args(certs, port, "no", "--tls-protocols", "TLSv1.2"))
    v13 = ssl.TLSVersion.TLSv1_3
    v12 = ssl.TLSVersion.TLSv1_2
    assert refused(lambda: ssl_socket(port, certs, min_version=v13))
    sock = ssl_socket(port, certs, max_version=v13)
    assert sock.version() == "TLSv1.2"
    sock.sendall(encode_command("PING"))
    assert recv_exactly(sock, 7) == b"+PONG\r\n"
    sock.close()
    # Back to the default at run time: TLSv1.3 is offered again.
    assert s.client().config_set("tls-protocols", "TLSv1.2 TLSv1.3") is True
    sock = ssl_socket(port, certs, min_version=v13)
    assert sock.version() == "TLSv1.3"
    sock.close()


def test_bad_protocol_list_is_refused(tls_server):
    plain = tls_server.raw()
    assert plain.cmd("CONFIG", "SET", "tls-protocols", "TLSv1.9") == (
        b"-" + CONFIG_ERROR % b"tls-protocols" + b"\r\n")
    assert plain.cmd("CONFIG", "GET", "tls-protocols") == (
        b"*2\r\n$13\r\ntls-protocols\r\n$0\r\n\r\n")


def resumed_session(port, certs):
    """Connects twice with one client context; True when the second resumed the first session."""
    ctx = ssl.create_default_context(cafile=certs("ca.crt"))
    first = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                            server_hostname="localhost")
    # TLSv1.3 tickets follow the handshake: one exchange makes sure they arrived.
    first.sendall(encode_command("PING"))
    assert recv_exactly(first, 7) == b"+PONG\r\n"
    session = first.session
    first.close()
    second = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                             server_hostname="localhost", session=session)
    second.sendall(encode_command("PING"))
    assert recv_exactly(second, 7) == b"+PONG\r\n"
    reused = second.session_reused
    second.close()
    return reused


def test_sessions_resume_by_default(tls_server, certs):
    assert resumed_session(tls_server.tls_port, certs) is True


@pytest.mark.skipif(IS_REDIS, reason="Redis keeps TLSv1.3 tickets with tls-session-caching no")
def test_session_caching_no_stops_resumption(tls_server, certs):
    assert tls_server.client().config_set("tls-session-caching", "no") is True
    assert resumed_session(tls_server.tls_port, certs) is False
    assert tls_server.client().config_set("tls-session-caching", "yes") is True
    assert resumed_session(tls_server.tls_port, certs) is True


# ---- certificate reload -------------------------------------------------------------------


def peer_cn(port, certs):
    sock = ssl_socket(port, certs)
    subject = dict(x[0] for x in sock.getpeercert()["subject"])
    sock.close()
    return subject["commonName"]


def test_certificate_reload_and_bad_files(tls_server, certs):
    port = tls_server.tls_port
    plain = tls_server.raw()
    assert peer_cn(port, certs) == "localhost"
    kept = tls_client(tls_server, certs)
    assert kept.ping() is True
    assert plain.cmd("CONFIG", "SET", "tls-cert-file", certs("server2.crt"), "tls-key-file",
                     certs("server2.key")) == b"+OK\r\n"
    assert peer_cn(port, certs) == "reloaded"
    # A session made with the old context goes on.
    assert kept.ping() is True
    # A missing file, or a key that does not match, is refused and changes nothing.
    assert plain.cmd("CONFIG", "SET", "tls-cert-file", "/nonexistent/cert.pem") == (
        b"-" + CONFIG_ERROR % b"tls-cert-file" + b"\r\n")
    assert plain.cmd("CONFIG", "SET", "tls-key-file", certs("server.key")) == (
        b"-" + CONFIG_ERROR % b"tls-key-file" + b"\r\n")
    path = certs("server2.crt").encode()
    assert plain.cmd("CONFIG", "GET", "tls-cert-file") == (
        b"*2\r\n$13\r\ntls-cert-file\r\n$%d\r\n%s\r\n" % (len(path), path))
    assert peer_cn(port, certs) == "reloaded"
    kept.close()


def test_passphrase_protected_key(start_server, certs):
    port = free_port()
    s = start_server("--tls-port", port, "--tls-cert-file", certs("locked.crt"),
                     "--tls-key-file", certs("locked.key"), "--tls-key-file-pass", "s3cret",
                     "--tls-ca-cert-file", certs("ca.crt"), "--tls-auth-clients", "no")
    assert peer_cn(port, certs) == "locked"
    plain = s.raw()
    assert plain.cmd("CONFIG", "SET", "tls-key-file-pass", "wrong") == (
        b"-" + CONFIG_ERROR % b"tls-key-file-pass" + b"\r\n")
    assert peer_cn(port, certs) == "locked"


def test_unreadable_certificate_stops_start_up(certs):
    d = tempfile.mkdtemp(prefix="pdbtls-")
    try:
        proc = subprocess.run(
            [SERVER_BIN, "--port", str(free_port()), "--bind", "127.0.0.1", "--dir", d,
             "--save", "", "--appendonly", "no", "--tls-port", str(free_port()),
             "--tls-cert-file", "/nonexistent/cert.pem", "--tls-key-file", certs("server.key"),
             "--tls-ca-cert-file", certs("ca.crt")] + ([] if IS_REDIS else ["--admin-port", "0"]),
            capture_output=True, timeout=20, cwd=d)
        assert proc.returncode == 1
        assert b"Failed to configure TLS. Check logs for more info." in proc.stdout + proc.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- hostile or silent peers ----------------------------------------------------------------


def connected_clients(server):
    """Clients connected besides the one asking."""
    c = server.client()
    try:
        return int(c.info("clients")["connected_clients"]) - 1
    finally:
        c.close()


@pytest.mark.skipif(IS_REDIS, reason="tls-handshake-timeout is a PairDB setting")
def test_silent_peer_is_closed_after_the_handshake_timeout(start_server, certs):
    port = free_port()
    s = start_server(*tls_args(certs, port, "no", "--tls-handshake-timeout", "300"))
    silent = socket.create_connection(("127.0.0.1", port), timeout=5)
    start = time.monotonic()
    assert silent.recv(1) == b""
    assert 0.2 < time.monotonic() - start < 4
    silent.close()
    assert wait_for(lambda: connected_clients(s) == 0)


def test_garbage_on_the_tls_port_closes_only_that_connection(tls_server, certs):
    for junk in (b"PING\r\n", os.urandom(4096),
                 b"\x16\x03\x01\xff\xff" + os.urandom(200)):
        sock = socket.create_connection(("127.0.0.1", tls_server.tls_port), timeout=5)
        try:
            sock.sendall(junk)
            data = sock.recv(4096)
            # At most a TLS alert record comes back, never a RESP reply.
            assert data == b"" or data[:1] == b"\x15", data
        except ConnectionResetError:
            pass
        finally:
            sock.close()
    # A peer that stops half-way through its handshake.
    sock = socket.create_connection(("127.0.0.1", tls_server.tls_port), timeout=5)
    sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    sock.close()
    assert tls_server.alive()
    assert tls_client(tls_server, certs).ping() is True
    assert wait_for(lambda: connected_clients(tls_server) == 0)


def test_tls_port_alone_with_port_zero(certs):
    d = tempfile.mkdtemp(prefix="pdbtls-")
    port = free_port()
    args = [SERVER_BIN, "--port", "0", "--bind", "127.0.0.1", "--dir", d, "--save", "",
            "--appendonly", "no"] + tls_args(certs, port) + ([] if IS_REDIS else
                                                             ["--admin-port", "0"])
    log = open(os.path.join(d, "server.log"), "wb")
    proc = subprocess.Popen([str(a) for a in args], cwd=d, stdout=log, stderr=log)
    log.close()
    try:
        server = type("S", (), {"tls_port": port})()

        def answers():
            try:
                return tls_client(server, certs, socket_timeout=1).ping()
            except (redis.ConnectionError, OSError):
                return False

        assert wait_for(answers, timeout=10), open(os.path.join(d, "server.log")).read()
        c = tls_client(server, certs)
        assert c.info("server")["tcp_port"] == port
        assert c.set("only", "tls") is True and c.get("only") == b"tls"
        c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        with open(os.path.join(d, "server.log"), errors="replace") as f:
            text = f.read()
        shutil.rmtree(d, ignore_errors=True)
    assert proc.returncode == 0
    assert "ERROR: AddressSanitizer" not in text and "runtime error:" not in text
    assert "ERROR: LeakSanitizer" not in text
