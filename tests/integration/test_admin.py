"""The admin HTTP port: /metrics (Prometheus text format, checked by promtool and by a real
Prometheus scrape), /health and /ready, and the listener's refusals and bounds.

Every test starts its own server with the admin port on a free port (the suite's servers run
with it off).
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import IS_REDIS, free_port, wait_for

pytestmark = pytest.mark.skipif(IS_REDIS, reason="PairDB's admin HTTP port has no Redis analogue")

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
NO_PROMETHEUS = "the Debian package prometheus (promtool, prometheus) is not installed: " \
                "scripts/deps.sh test installs it"


@pytest.fixture
def admin(start_server):
    """A server with its admin port on; returns (server, admin port)."""
    def start(*extra):
        for _ in range(3):
            port = free_port()
            s = start_server("--admin-port", port, *extra)
            if wait_for(lambda: http_ok(port), timeout=5):
                return s, port
            # Taken meanwhile (an outgoing connection's local port, say): the server runs
            # with its admin port off; try another.
            assert "The admin port (/metrics, /health, /ready) is off" in s.log_tail(), \
                s.log_tail()
            s.stop()
        pytest.fail("no admin port could be bound")
    return start


def http_ok(port):
    try:
        return request(port, "GET", "/health")[0] in (200, 503)
    except OSError:
        return False


class Reader:
    """Responses from one connection, in order (several may arrive in one recv)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed: %r" % self.buf[:200])
        self.buf += chunk

    def response(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status, headers = parse_head(head)
        length = 0 if head_only else int(headers["content-length"])
        while len(self.buf) < length:
            self.fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body


def read_response(sock, head_only=False):
    """Reads the one response sent on sock: (status, headers with lower-case names, body)."""
    rd = Reader(sock)
    out = rd.response(head_only)
    assert rd.buf == b"", "bytes after the response: %r" % rd.buf
    return out


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    version, status, _ = lines[0].split(" ", 2)
    assert version == "HTTP/1.1"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        assert name.lower() not in headers, "repeated header %s" % name
        headers[name.lower()] = value.strip()
    return int(status), headers


def request(port, method, path, headers=None, version="HTTP/1.1"):
    hdrs = {"Host": "127.0.0.1:%d" % port}
    hdrs.update(headers or {})
    raw = "%s %s %s\r\n" % (method, path, version) + "".join(
        "%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw.encode())
        return read_response(sock, head_only=method == "HEAD")


def send_raw(port, data, timeout=10):
    """Sends raw bytes; returns everything the server sent until it closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return out
            out += chunk


def scrape(port):
    status, headers, body = request(port, "GET", "/metrics")
    assert status == 200
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return body.decode()


def samples(text):
    """{'name{labels}': float} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


# ---- /metrics ------------------------------------------------------------------------------


def test_metrics_pass_promtool(admin):
    if not PROMTOOL:
        pytest.skip(NO_PROMETHEUS)
    s, port = admin("--appendonly", "yes")
    c = s.client()
    c.set("a", "1")
    c.expire("a", 100)
    c.incr("a")
    c.hset("h", "f", "v")
    c.config_get("maxmemory")
    with pytest.raises(Exception):
        c.execute_command("SET", "only-key")
    text = scrape(port)
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (r.stdout + r.stderr).strip() == ""  # not even a lint warning


def test_metrics_names_and_values(admin):
    s, port = admin("--appendonly", "yes", "--maxmemory", "100mb")
    c = s.client()
    c.mset({"k1": "v", "k2": "v", "k3": "v"})
    c.pexpire("k1", 100000)
    c.select(3)
    c.set("other", "x")
    m = samples(scrape(port))
    assert m['pairdb_build_info{version="0.1.0",redis_version="7.0.15"}'] == 1
    assert m["pairdb_uptime_seconds"] >= 0
    assert m["pairdb_connected_clients"] == 1
    assert m["pairdb_loading"] == 0
    assert m["pairdb_memory_max_bytes"] == 100 * 1024 * 1024
    assert 0 < m["pairdb_memory_used_bytes"] <= m["pairdb_memory_peak_bytes"]
    assert m["pairdb_memory_rss_bytes"] > 0
    assert m['pairdb_db_keys{db="0"}'] == 3
    assert m['pairdb_db_expiring_keys{db="0"}'] == 1
    assert m['pairdb_db_keys{db="3"}'] == 1
    assert m['pairdb_db_keys{db="15"}'] == 0
    assert m["pairdb_wal_enabled"] == 1
    assert m["pairdb_wal_writes_refused"] == 0
    assert m["pairdb_wal_written_bytes_total"] > 0
    assert m["pairdb_snapshot_last_status"] == 1
    assert m["pairdb_snapshot_in_progress"] == 0
    for name in ("pairdb_keyspace_hits_total", "pairdb_keyspace_misses_total",
                 "pairdb_expired_keys_total", "pairdb_evicted_keys_total",
                 "pairdb_pubsub_channels", "pairdb_pubsub_patterns", "pairdb_blocked_clients",
                 "pairdb_rejected_connections_total", "pairdb_net_input_bytes_total",
                 "pairdb_net_output_bytes_total", "pairdb_loop_lag_seconds",
                 "pairdb_memory_fragmentation_ratio", "pairdb_wal_last_fsync_timestamp_seconds"):
        assert name in m, name


def test_commands_total_moves_by_exactly_n(admin):
    s, port = admin()
    c = s.client()
    c.set("warm", "up")
    before = samples(scrape(port))
    for i in range(7):
        c.set("k%d" % i, i)
    c.get("k1")
    with pytest.raises(Exception):
        c.execute_command("SET", "only-key")  # refused: wrong arity
    c.set("s", "notanumber")
    with pytest.raises(Exception):
        c.execute_command("INCR", "s")  # ran and failed
    after = samples(scrape(port))
    assert after['pairdb_commands_total{cmd="set"}'] - before['pairdb_commands_total{cmd="set"}'] == 8
    assert after['pairdb_commands_total{cmd="get"}'] == 1
    assert after['pairdb_command_errors_total{cmd="set"}'] == 1
    assert after['pairdb_command_errors_total{cmd="incr"}'] == 1
    assert after['pairdb_commands_total{cmd="incr"}'] == 1
    # The latency histogram counts what ran: cumulative buckets end at the count.
    count = after['pairdb_command_duration_seconds_count{cmd="set"}']
    assert count - before['pairdb_command_duration_seconds_count{cmd="set"}'] == 8
    assert after['pairdb_command_duration_seconds_bucket{cmd="set",le="+Inf"}'] == count
    les = [after['pairdb_command_duration_seconds_bucket{cmd="set",le="%s"}' % le]
           for le in ("1e-05", "0.0001", "0.001", "0.01", "0.1", "1", "10")]
    assert les == sorted(les)
    assert 0 < after['pairdb_command_duration_seconds_sum{cmd="set"}'] < 1
    # Subcommands are labelled as INFO commandstats names them.
    c.config_get("maxmemory")
    assert samples(scrape(port))['pairdb_commands_total{cmd="config|get"}'] == 1
    # Commands never called are not listed.
    assert 'pairdb_commands_total{cmd="zadd"}' not in after


def test_wal_fsync_histogram_moves(admin):
    s, port = admin("--appendonly", "yes", "--appendfsync", "always")
    c = s.client()
    before = samples(scrape(port))
    for i in range(5):
        c.set("k%d" % i, "v")
    after = samples(scrape(port))
    synced = after["pairdb_wal_fsync_duration_seconds_count"] - \
        before["pairdb_wal_fsync_duration_seconds_count"]
    assert synced >= 5  # one sync per write at least: each waited for its own
    assert after['pairdb_wal_fsync_duration_seconds_bucket{le="+Inf"}'] == \
        after["pairdb_wal_fsync_duration_seconds_count"]
    assert after["pairdb_wal_last_fsync_timestamp_seconds"] >= time.time() - 60


def test_head_and_get_agree(admin):
    _, port = admin()
    st, h, body = request(port, "HEAD", "/metrics")
    assert st == 200 and body == b"" and int(h["content-length"]) > 1000
    st, h, body = request(port, "HEAD", "/health")
    assert st == 200 and body == b"" and h["content-type"] == "application/json"


# ---- /health and /ready --------------------------------------------------------------------


def test_health_ok(admin):
    _, port = admin()
    st, h, body = request(port, "GET", "/health")
    assert st == 200
    assert h["cache-control"] == "no-store"
    doc = json.loads(body)
    assert doc["status"] == "ok"
    assert 0 <= doc["loop_lag_seconds"] < 1
    assert doc["uptime_seconds"] >= 0


def test_health_reports_a_stalled_loop(admin):
    s, port = admin("--enable-debug-command", "yes")
    r = s.raw()
    r.send("DEBUG", "SLEEP", "1.5")
    time.sleep(0.2)
    # Queued behind the sleeping loop: answered once it wakes, with the stall it saw.
    st, _, body = request(port, "GET", "/health")
    assert r.read_reply() == b"+OK\r\n"
    assert st == 503, body
    doc = json.loads(body)
    assert doc["status"] == "stalled"
    assert doc["loop_lag_seconds"] > 1
    assert wait_for(lambda: request(port, "GET", "/health")[0] == 200, timeout=3)
    assert json.loads(request(port, "GET", "/health")[2])["loop_lag_max_seconds"] > 1


def test_ready_and_client_pause(admin):
    s, port = admin()
    st, _, body = request(port, "GET", "/ready")
    assert (st, json.loads(body)) == (200, {"status": "ready", "reasons": []})
    c = s.client()
    c.execute_command("CLIENT", "PAUSE", "10000", "WRITE")
    st, _, body = request(port, "GET", "/ready")
    assert st == 503
    assert json.loads(body) == {"status": "not ready",
                                "reasons": [{"check": "paused", "detail": "CLIENT PAUSE WRITE"}]}
    c.execute_command("CLIENT", "UNPAUSE")
    assert request(port, "GET", "/ready")[0] == 200


def test_ready_while_oom_refusing(admin):
    s, port = admin("--maxmemory", "1mb", "--maxmemory-policy", "noeviction")
    c = s.client()
    with pytest.raises(Exception):
        for i in range(100):
            c.set("big%d" % i, "x" * 100000)
    st, _, body = request(port, "GET", "/ready")
    assert st == 503
    assert [r["check"] for r in json.loads(body)["reasons"]] == ["oom"]
    c.flushall()
    assert request(port, "GET", "/ready")[0] == 200


def test_ready_503_while_the_log_refuses_writes(admin):
    s, port = admin("--appendonly", "yes", "--wal-segment-size", "1mb")
    wal = os.path.join(s.dir, "wal")
    gone = wal + ".gone"
    os.rename(wal, gone)  # the next segment cannot be created
    # Writes past the first segment need the next one: their replies wait for the log, so
    # they are sent without reading.
    sock = socket.create_connection((s.host, s.port))
    value = b"x" * 200000
    for i in range(8):
        sock.sendall(b"*3\r\n$3\r\nSET\r\n$2\r\nk%d\r\n$%d\r\n%s\r\n" % (i, len(value), value))
    try:
        def refused():
            st, _, body = request(port, "GET", "/ready")
            return st == 503 and json.loads(body)
        doc = wait_for(refused, timeout=10)
        assert doc, request(port, "GET", "/ready")
        assert doc["reasons"][0]["check"] == "wal"
        assert doc["reasons"][0]["detail"].startswith("Errors writing to the write-ahead log: ")
        assert samples(scrape(port))["pairdb_wal_writes_refused"] == 1
        st, _, body = request(port, "GET", "/health")
        assert st == 200  # alive: only not ready
    finally:
        os.rename(gone, wal)
    assert wait_for(lambda: request(port, "GET", "/ready")[0] == 200, timeout=10)
    assert samples(scrape(port))["pairdb_wal_writes_refused"] == 0
    sock.close()


def fill_pipelined(s, n, batch=5000):
    sock = socket.create_connection((s.host, s.port))
    for start in range(0, n, batch):
        sock.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nk:%d\r\n$1\r\nv\r\n" % (len(b"k:%d" % i), i)
                              for i in range(start, min(n, start + batch))))
        want, got = (min(n, start + batch) - start) * 5, 0
        while got < want:
            got += len(sock.recv(1 << 20))
    sock.close()


def test_ready_503_while_loading(admin):
    s, port = admin("--appendonly", "yes", "--appendfsync", "no")
    fill_pipelined(s, 300000)
    s.crash()
    log = open(os.path.join(s.dir, "server.log"), "ab")
    s.proc = subprocess.Popen(s.args, cwd=s.dir, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    seen = []
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            st, _, body = request(port, "GET", "/ready")
        except OSError:
            time.sleep(0.001)
            continue
        seen.append((st, json.loads(body)))
        if st == 200:
            break
    assert seen, "the admin port never answered"
    st, doc = seen[0]
    assert st == 503
    assert doc["reasons"][0]["check"] == "loading"
    assert doc["reasons"][0]["detail"].startswith("loading the dataset: ")
    assert seen[-1] == (200, {"status": "ready", "reasons": []})
    assert samples(scrape(port))["pairdb_loading"] == 0


# ---- refusals and bounds -------------------------------------------------------------------


def test_not_found_and_method_not_allowed(admin):
    _, port = admin()
    st, _, body = request(port, "GET", "/metricsx")
    assert st == 404 and body == b"not found: the admin port serves /metrics, /health, /ready\n"
    st, h, body = request(port, "POST", "/metrics", {"Content-Length": "0"})
    assert st == 405 and h["allow"] == "GET, HEAD"
    st, _, _ = request(port, "DELETE", "/ready")
    assert st == 405
    st, _, _ = request(port, "GET", "/health?verbose=1")
    assert st == 200


@pytest.mark.parametrize("raw,status", [
    (b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 70 + b"\r\n", 431),
    (b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411),
    (b"GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /health HTTP/1.1\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\nHost: x\n\n", 400),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
])
def test_bad_requests_answered_and_closed(admin, raw, status):
    _, port = admin()
    out = send_raw(port, raw)
    head = out.split(b"\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 %d " % status), out
    assert b"\r\nConnection: close\r\n" in out


def test_keep_alive_and_pipelining(admin):
    _, port = admin()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        rd = Reader(sock)
        statuses = [rd.response()[0] for _ in range(3)]
        assert rd.buf == b""
        assert statuses == [200, 404, 200]
        assert sock.recv(10) == b""  # closed after the Connection: close answer


def test_connections_bounded_and_data_port_unaffected(admin):
    s, port = admin()
    held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(64)]
    try:
        # The server has accepted them all before the 65th arrives.
        assert wait_for(lambda: samples(scrape_over(held[-1]))["pairdb_admin_connections"] == 64,
                        timeout=5)
        extra = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(5)]
        for sock in extra:
            out = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                out += chunk
            assert out.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), out
            sock.close()
        assert s.raw().cmd("PING") == b"+PONG\r\n"
        # A held connection is still served.
        held[0].sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(held[0])[0] == 200
    finally:
        for sock in held:
            sock.close()
    # Once the closes are seen, only the scrape's own connection is left.
    assert wait_for(lambda: samples(scrape(port))["pairdb_admin_connections"] == 1, timeout=5)
    assert samples(scrape(port))["pairdb_admin_rejected_connections_total"] == 5


def scrape_over(sock):
    """Scrapes over an open keep-alive connection."""
    sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    return read_response(sock)[2].decode()


def test_admin_port_setting(admin, start_server):
    s, port = admin()
    c = s.client()
    assert c.config_get("admin-port") == {"admin-port": str(port)}
    assert c.config_get("admin-bind") == {"admin-bind": "127.0.0.1"}
    with pytest.raises(Exception, match="can't set immutable config"):
        c.config_set("admin-port", 1)
    # A port already taken leaves the admin port off, not the server.
    other = start_server("--admin-port", port)
    assert other.raw().cmd("PING") == b"+PONG\r\n"
    assert wait_for(lambda: "The admin port (/metrics, /health, /ready) is off" in
                    other.log_tail(), timeout=5)


# ---- a real Prometheus ---------------------------------------------------------------------


def scrape_with_prometheus(job):
    """Runs a real Prometheus with one scrape job (YAML lines under `- job_name: pairdb`, indented
    four spaces) until its target is up; returns (target, sample of pairdb_build_info) as the
    Prometheus API reports them. Shared by the plain and the HTTPS admin port tests."""
    web = free_port()
    d = tempfile.mkdtemp(prefix="pdbprom-")
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: pairdb\n" + job)
    log = open(os.path.join(d, "prometheus.log"), "wb")
    proc = subprocess.Popen([PROMETHEUS, "--config.file=" + os.path.join(d, "prometheus.yml"),
                             "--storage.tsdb.path=" + os.path.join(d, "data"),
                             "--web.listen-address=127.0.0.1:%d" % web],
                            cwd=d, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    try:
        def target_up():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/targets" % web,
                                            timeout=2) as resp:
                    doc = json.load(resp)
            except OSError:
                return None
            active = doc["data"]["activeTargets"]
            return active and active[0]["health"] == "up" and active[0]

        target = wait_for(target_up, timeout=30)
        assert target, open(os.path.join(d, "prometheus.log")).read()[-3000:]

        def query():
            url = "http://127.0.0.1:%d/api/v1/query?query=pairdb_build_info" % web
            with urllib.request.urlopen(url, timeout=2) as resp:
                res = json.load(resp)["data"]["result"]
            return res and res[0]

        return target, wait_for(query, timeout=10)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(d, ignore_errors=True)


def test_prometheus_scrapes_the_target(admin):
    if not PROMETHEUS:
        pytest.skip(NO_PROMETHEUS)
    _, port = admin()
    target, sample = scrape_with_prometheus(
        "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % port)
    assert target["lastError"] == ""
    assert sample["metric"]["version"] == "0.1.0"
    assert sample["value"][1] == "1"
