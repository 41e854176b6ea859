"""Fixtures for the integration suite: real server processes and real clients.

The target is PairDB's binary (env PAIRDB_SERVER, default <repo>/build/pairdb-server) unless
PAIRDB_TARGET=redis, which runs the same tests against /usr/bin/redis-server: the reference
behaviour the tests are validated on. Every server gets its own free port, its own temp dir
(cwd, --dir, unix socket, server.log), no persistence, and is stopped with SIGTERM then SIGKILL.

Invariants: the session server is alive after every test (checked by an autouse fixture that
fails the test with the log tail and restarts the server if it died); every fixture connection
starts on a flushed server with reset stats. Tests needing special configuration use the
`start_server` factory instead of changing the shared server.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import RawConn  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IS_REDIS = os.environ.get("PAIRDB_TARGET", "") == "redis"
if IS_REDIS:
    SERVER_BIN = "/usr/bin/redis-server"
else:
    SERVER_BIN = os.environ.get("PAIRDB_SERVER", os.path.join(REPO, "build", "pairdb-server"))

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def wait_for(cond, timeout=5, interval=0.01):
    """Poll cond() until it returns a truthy value; return it, or False after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
        interval = min(interval * 2, 0.1)


def _port_range():
    """PAIRDB_TEST_PORTS="lo-hi" keeps every server in a range of TCP ports (shared machines)."""
    spec = os.environ.get("PAIRDB_TEST_PORTS", "")
    if not spec:
        return None
    lo, _, hi = spec.partition("-")
    return int(lo), int(hi or lo)


def _bindable(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    rng = _port_range()
    if rng:
        lo, hi = rng
        for _ in range(200):
            port = random.randint(lo, hi)
            if _bindable(port):
                return port
        raise RuntimeError("no free port in PAIRDB_TEST_PORTS=%s" % os.environ["PAIRDB_TEST_PORTS"])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """One server process. Attributes: host port unixsocket dir proc pid is_redis args."""

    def __init__(self, *extra_args):
        self.host = "127.0.0.1"
        self.is_redis = IS_REDIS
        self.bin = SERVER_BIN
        self.dir = tempfile.mkdtemp(prefix="pdbit-")
        self.unixsocket = os.path.join(self.dir, "s.sock")
        self.extra = list(extra_args)
        self.proc = None
        self.port = None
        self.args = None
        try:
            self.start()
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _build_args(self):
        # A leading argument that is not an option is a config file; servers expect it first.
        lead, rest = [], list(self.extra)
        if rest and not str(rest[0]).startswith("-"):
            lead = [str(rest.pop(0))]
        return ([self.bin] + lead +
                ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                 "--save", "", "--appendonly", "no", "--unixsocket", self.unixsocket,
                 "--unixsocketperm", "700"] + self._admin_args() + [str(a) for a in rest])

    def _admin_args(self):
        # The admin HTTP port is off unless a test turns it on ("--admin-port", N): servers
        # started side by side would all want its default port.
        return [] if self.is_redis else ["--admin-port", "0"]

    def start(self):
        if not os.access(self.bin, os.X_OK):
            # A missing build is a setup error, not a reason to pass quietly.
            pytest.fail("server binary not found: %s (build it, set PAIRDB_SERVER, or set "
                        "PAIRDB_TARGET=redis)" % self.bin, pytrace=False)
        last_err = None
        for _ in range(3):
            self.port = free_port()
            self.args = self._build_args()
            log = open(os.path.join(self.dir, "server.log"), "ab")
            self.proc = subprocess.Popen(self.args, cwd=self.dir, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
            log.close()
            if self._wait_ready():
                return
            last_err = "server did not answer PING within %ss" % START_TIMEOUT
            self.stop()
        raise RuntimeError("%s\nargs: %r\nlog:\n%s" % (last_err, self.args, self.log_tail()))

    def _ping(self, **where):
        try:
            c = RawConn(self.host, self.port, timeout=1, **where)
        except OSError:
            return False
        try:
            # A password-protected server answers NOAUTH, which also means ready.
            return c.cmd("PING") in (b"+PONG\r\n", b"-NOAUTH Authentication required.\r\n")
        except OSError:
            return False
        finally:
            c.close()

    def _wait_ready(self):
        # The unix socket lives in our private dir, so an answer there proves it is our process
        # and not another server that grabbed the same TCP port first.
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if (os.path.exists(self.unixsocket) and self._ping(unix=self.unixsocket)
                    and self._ping() and self.proc.poll() is None):
                return True
            time.sleep(0.02)
        return False

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=40):
        try:
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    def client(self, **kw):
        kw.setdefault("socket_timeout", 10)
        return redis.Redis(host=self.host, port=self.port, **kw)

    def raw(self, timeout=10):
        return RawConn(self.host, self.port, timeout=timeout)

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        return self.proc.returncode

    def restart(self):
        self.stop()
        self.start()

    def crash(self):
        """SIGKILL: no shutdown code runs, as in a power cut for the process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)

    def crash_restart(self):
        """Kills the process and starts a new one on the same dir and arguments."""
        self.crash()
        self.start()

    def cleanup(self):
        self.stop()
        report = sanitizer_report(os.path.join(self.dir, "server.log"))
        shutil.rmtree(self.dir, ignore_errors=True)
        # A sanitizer finding (ASan, UBSan, LeakSanitizer at exit) fails the test that
        # owned this server, whatever its assertions said.
        assert not report, "sanitizer report in the server log:\n" + report


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def sanitizer_report(path):
    """The sanitizer lines of a server log (empty string when there are none)."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    hits = [i for i, line in enumerate(text.splitlines()) if any(m in line for m in SANITIZER_MARKS)]
    if not hits:
        return ""
    lines = text.splitlines()
    return "\n".join(lines[hits[0]:hits[0] + 60])


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_types: uses commands or types not built yet")


@pytest.fixture(scope="session")
def server():
    s = Server()
    yield s
    s.cleanup()


@pytest.fixture(autouse=True)
def _server_alive_check(request):
    yield
    if "server" not in request.fixturenames:
        return
    s = request.getfixturevalue("server")
    if not s.alive():
        tail = s.log_tail()
        code = s.proc.returncode
        s.restart()
        pytest.fail("server died during the test (exit %r); log tail:\n%s" % (code, tail))


def _prepare(server):
    c = RawConn(server.host, server.port, timeout=10)
    try:
        assert c.cmd("FLUSHALL") == b"+OK\r\n"
        assert c.cmd("CONFIG", "RESETSTAT") == b"+OK\r\n"
    finally:
        c.close()


@pytest.fixture
def r(server):
    _prepare(server)
    c = redis.Redis(host=server.host, port=server.port, decode_responses=False,
                    socket_timeout=10)
    yield c
    c.close()


@pytest.fixture
def rd(server):
    _prepare(server)
    c = redis.Redis(host=server.host, port=server.port, decode_responses=True,
                    socket_timeout=10)
    yield c
    c.close()


@pytest.fixture
def raw(server):
    _prepare(server)
    c = RawConn(server.host, server.port, timeout=10)
    yield c
    c.close()


@pytest.fixture
def raw3(server):
    _prepare(server)
    c = RawConn(server.host, server.port, timeout=10)
    c.send("HELLO", "3")
    rep = c.read_reply()
    assert rep.startswith(b"%"), rep
    yield c
    c.close()


@pytest.fixture
def start_server():
    started = []

    def factory(*extra_args):
        s = Server(*extra_args)
        started.append(s)
        return s

    yield factory
    for s in started:
        s.cleanup()
