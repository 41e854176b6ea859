"""Harness for the crash suite: a server process that owns a data directory across restarts.

Unlike the integration suite's Server (a fresh directory per process, persistence off), a
CrashServer keeps its --dir between starts, runs with the write-ahead log on, and can be killed
with SIGKILL at any moment. Its log goes to a file outside the data directory, so a full disk
never hides what the server said.

Ports: PAIRDB_TEST_PORTS="LO-HI" restricts the TCP ports tried (the server also listens on a
unix socket in the work directory, which proves that the answering process is ours).
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

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from resp import RawConn  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVER_BIN = os.environ.get("PAIRDB_SERVER", os.path.join(REPO, "build", "pairdb-server"))
START_TIMEOUT = 15.0
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def pick_port():
    """A free loopback port, from PAIRDB_TEST_PORTS when it is set."""
    spec = os.environ.get("PAIRDB_TEST_PORTS", "")
    candidates = [0]
    if spec:
        lo, hi = (int(x) for x in spec.split("-"))
        candidates = random.sample(range(lo, hi + 1), min(64, hi - lo + 1))
    for port in candidates:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            return s.getsockname()[1]
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port in %s" % spec)


class CrashServer:
    """A server on data directory `data` (created when missing); work files live in `work`."""

    def __init__(self, data=None, work=None):
        self.work = work or tempfile.mkdtemp(prefix="pdbcrash-")
        self.data = data or os.path.join(self.work, "data")
        os.makedirs(self.data, exist_ok=True)
        self.log_path = os.path.join(self.work, "server.log")
        self.sock = os.path.join(self.work, "s.sock")
        self.proc = None
        self.port = None
        self.starts = 0
        self.log_offset = 0  # where the current start's lines begin in the log

    def _args(self, extra):
        return [SERVER_BIN, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.data,
                "--save", "", "--appendonly", "yes", "--unixsocket", self.sock,
                "--unixsocketperm", "700", "--admin-port", "0"] + [str(a) for a in extra]

    def spawn(self, *extra):
        """Starts the process without waiting for it to be ready."""
        if not os.access(SERVER_BIN, os.X_OK):
            raise AssertionError("server binary not found: %s (build it or set PAIRDB_SERVER)"
                                 % SERVER_BIN)
        self.port = pick_port()
        try:
            os.unlink(self.sock)
        except FileNotFoundError:
            pass
        self.log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self._args(extra), cwd=self.work, stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        self.starts += 1

    def start(self, *extra):
        """Starts and waits until the dataset is loaded (PING answers PONG, not LOADING)."""
        self.spawn(*extra)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited with %s at start; log:\n%s"
                                     % (self.proc.returncode, self.start_log()))
            if os.path.exists(self.sock) and self._ping():
                return self
            time.sleep(0.02)
        self.kill9()
        raise AssertionError("server not ready within %ss; log:\n%s"
                             % (START_TIMEOUT, self.start_log()))

    def _ping(self):
        try:
            c = RawConn("127.0.0.1", self.port, timeout=2, unix=self.sock)
        except OSError:
            return False
        try:
            # PONG, and not loading any more (replay answers -LOADING meanwhile).
            return (c.cmd("PING") == b"+PONG\r\n" and
                    b"loading:0\r\n" in c.cmd("INFO", "persistence"))
        except OSError:
            return False
        finally:
            c.close()

    def exit_code(self, timeout=START_TIMEOUT):
        """For a start expected to fail: waits for the process to end, returns its status."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError("server kept running; log:\n%s" % self.start_log())

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def stop(self):
        """Clean shutdown (SIGTERM); returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()
                raise AssertionError("server ignored SIGTERM; log:\n%s" % self.start_log())
        return self.proc.returncode

    def client(self, timeout=10):
        # No retries: a command that fails on a dead connection must surface as an error, so
        # the bookkeeping knows it was sent but not acknowledged.
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=timeout,
                           retry=Retry(NoBackoff(), 0), single_connection_client=True)

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def start_log(self):
        """What the server logged since its last start."""
        return self.log()[self.log_offset:]

    def sanitizer_report(self):
        lines = self.log().splitlines()
        hits = [i for i, line in enumerate(lines) if any(m in line for m in SANITIZER_MARKS)]
        return "\n".join(lines[hits[0]:hits[0] + 60]) if hits else ""

    def cleanup(self, remove_data=True):
        self.kill9()
        report = self.sanitizer_report()
        if remove_data:
            shutil.rmtree(self.work, ignore_errors=True)
        assert not report, "sanitizer report in the server log:\n" + report


def wal_segments(data):
    """Names of the log segments in data/wal, oldest first."""
    d = os.path.join(data, "wal")
    if not os.path.isdir(d):
        return []
    return sorted(n for n in os.listdir(d) if len(n) == 24 and n.endswith(".log"))
