"""The admin port over TLS (admin-tls yes): /metrics, /health and /ready over HTTPS with the
server's tls-* settings, client certificates (tls-auth-clients), plain HTTP refused, the
handshake timeout, certificate reload, and a real Prometheus scraping over https.

Certificates come from test_tls.py's fixture (made with the openssl CLI in a temp dir). The
data port has no TLS in these servers: admin-tls alone builds the context.
"""
import json
import shutil
import socket
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import IS_REDIS, free_port, wait_for
from test_admin import NO_PROMETHEUS, PROMETHEUS, Reader, scrape_with_prometheus
from test_tls import certs  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(IS_REDIS, reason="PairDB's admin port has no Redis analogue")

CURL = shutil.which("curl")


def tls_admin_args(certs, port, auth="no", *more):
    return ["--admin-port", port, "--admin-tls", "yes",
            "--tls-cert-file", certs("server.crt"), "--tls-key-file", certs("server.key"),
            "--tls-ca-cert-file", certs("ca.crt"), "--tls-auth-clients", auth] + list(more)


def client_context(certs, cert=None):
    ctx = ssl.create_default_context(cafile=certs("ca.crt"))
    if cert:
        ctx.load_cert_chain(certs(cert + ".crt"), certs(cert + ".key"))
    return ctx


def https_get(port, certs, path="/metrics", cert=None):
    """(status, body) of one HTTPS GET, the server certificate checked against the CA."""
    url = "https://127.0.0.1:%d%s" % (port, path)
    try:
        with urllib.request.urlopen(url, context=client_context(certs, cert), timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def tls_socket(port, certs, cert=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        return client_context(certs, cert).wrap_socket(raw, server_hostname="localhost")
    except BaseException:
        raw.close()
        raise


@pytest.fixture
def tls_admin(start_server, certs):
    """Starts a server whose admin port serves HTTPS; returns (server, admin port)."""
    def start(auth="no", *more):
        for _ in range(3):
            port = free_port()
            s = start_server(*tls_admin_args(certs, port, auth, *more))
            if wait_for(lambda: "Admin HTTPS listener on" in s.log_tail(200), timeout=5):
                return s, port
            # Taken meanwhile: the server runs with its admin port off; try another.
            assert "The admin port (/metrics, /health, /ready) is off" in s.log_tail(), \
                s.log_tail()
            s.stop()
        pytest.fail("no admin port could be bound")
    return start


def refused(fn):
    """True when fn() fails the way a refused TLS session does (handshake or first read)."""
    try:
        fn()
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, urllib.error.URLError):
        return True
    return False


def test_metrics_health_ready_over_https(tls_admin, certs):
    _, port = tls_admin()
    status, body = https_get(port, certs, "/metrics")
    assert status == 200
    assert b"\npairdb_build_info{" in body
    status, body = https_get(port, certs, "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, body = https_get(port, certs, "/ready")
    assert status == 200 and json.loads(body)["status"] == "ready"
    assert https_get(port, certs, "/nothing")[0] == 404


def test_curl_with_the_ca_fetches_metrics(tls_admin, certs):
    assert CURL, "curl is needed for this test"
    _, port = tls_admin()
    out = subprocess.run([CURL, "-sS", "--fail", "--cacert", certs("ca.crt"),
                          "https://127.0.0.1:%d/metrics" % port],
                         capture_output=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert b"# TYPE pairdb_admin_requests_total counter" in out.stdout
    # Without the CA curl refuses the server's certificate (60: peer certificate not trusted).
    out = subprocess.run([CURL, "-sS", "https://127.0.0.1:%d/metrics" % port],
                         capture_output=True, timeout=20)
    assert out.returncode == 60, out


def test_plain_http_to_the_tls_port_gets_no_http_answer(tls_admin, certs):
    s, port = tls_admin()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while True:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                break  # closed with the rest of the request unread
            if not chunk:
                break
            got += chunk
    # The handshake fails: at most a TLS alert record (content type 21), never HTTP.
    assert not got.startswith(b"HTTP/")
    assert got == b"" or got[0] == 0x15, got[:40]
    # The port still serves HTTPS, and the data port never noticed.
    assert https_get(port, certs, "/health")[0] == 200
    assert s.client().ping()


def test_keep_alive_and_pipelining_over_tls(tls_admin, certs):
    _, port = tls_admin()
    with tls_socket(port, certs) as sock:
        reader = Reader(sock)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" * 3 +
                     b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in range(3):
            assert reader.response()[0] == 200
        status, headers, _ = reader.response(head_only=True)
        assert status == 200 and int(headers["content-length"]) > 1000
        # The same connection then takes a big answer, crossing many TLS records.
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, headers, body = reader.response()
        assert status == 200 and len(body) == int(headers["content-length"])
        assert body.endswith(b"\n")


def test_client_certificates_required(tls_admin, certs):
    _, port = tls_admin("yes")
    assert https_get(port, certs, "/metrics", cert="client")[0] == 200
    assert refused(lambda: https_get(port, certs, "/metrics"))
    assert refused(lambda: https_get(port, certs, "/metrics", cert="stranger"))
    # Refusals close only those connections.
    assert https_get(port, certs, "/health", cert="client")[0] == 200


def test_client_certificates_optional(tls_admin, certs):
    _, port = tls_admin("optional")
    assert https_get(port, certs, "/health")[0] == 200
    assert https_get(port, certs, "/health", cert="client")[0] == 200
    assert refused(lambda: https_get(port, certs, "/health", cert="stranger"))


def test_silent_peer_is_closed_after_the_handshake_timeout(tls_admin, certs):
    _, port = tls_admin("no", "--tls-handshake-timeout", "300")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        assert sock.recv(1) == b""  # closed by the server well before the 5 s timeout
    assert https_get(port, certs, "/health")[0] == 200


def peer_cn(port, certs):
    with tls_socket(port, certs) as sock:
        subject = dict(x[0] for x in sock.getpeercert()["subject"])
        return subject["commonName"]


def test_certificate_reload_reaches_the_admin_port(tls_admin, certs):
    s, port = tls_admin()
    assert peer_cn(port, certs) == "localhost"
    c = s.raw()
    try:
        assert c.cmd("CONFIG", "SET", "tls-cert-file", certs("server2.crt"),
                     "tls-key-file", certs("server2.key")) == b"+OK\r\n"
        assert peer_cn(port, certs) == "reloaded"
        # A certificate that does not load is refused and the working one stays.
        assert c.cmd("CONFIG", "SET", "tls-cert-file", certs("nothing.crt")) == \
            b"-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - " \
            b"Unable to update TLS configuration. Check server logs.\r\n"
        assert peer_cn(port, certs) == "reloaded"
    finally:
        c.close()


def test_admin_tls_is_immutable_and_shown(tls_admin, certs):
    s, _ = tls_admin()
    c = s.raw()
    try:
        assert c.cmd("CONFIG", "GET", "admin-tls") == b"*2\r\n$9\r\nadmin-tls\r\n$3\r\nyes\r\n"
        assert c.cmd("CONFIG", "SET", "admin-tls", "no") == \
            b"-ERR CONFIG SET failed (possibly related to argument 'admin-tls') - " \
            b"can't set immutable config\r\n"
    finally:
        c.close()


def test_admin_tls_without_a_certificate_leaves_the_port_off(start_server):
    port = free_port()
    s = start_server("--admin-port", port, "--admin-tls", "yes")
    assert wait_for(lambda: "admin-tls is yes but the TLS settings" in s.log_tail(200), timeout=5)
    # Never plain HTTP instead: nothing listens there.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert s.client().ping()


def test_admin_tls_no_is_plain_http(start_server):
    port = free_port()
    s = start_server("--admin-port", port)
    assert wait_for(lambda: "Admin HTTP listener on" in s.log_tail(200), timeout=5)
    with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=10) as resp:
        assert resp.status == 200


def test_prometheus_scrapes_over_https_with_a_client_certificate(tls_admin, certs):
    if not PROMETHEUS:
        pytest.skip(NO_PROMETHEUS)
    _, port = tls_admin("yes")
    target, sample = scrape_with_prometheus(
        "    scheme: https\n"
        "    tls_config:\n      ca_file: %s\n      cert_file: %s\n      key_file: %s\n"
        "    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
        % (certs("ca.crt"), certs("client.crt"), certs("client.key"), port))
    assert target["lastError"] == ""
    assert target["scrapeUrl"] == "https://127.0.0.1:%d/metrics" % port
    assert sample["value"][1] == "1"
