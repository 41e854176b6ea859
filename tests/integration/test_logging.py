"""The server log: formats (legacy, logfmt, json), timestamp formats, loglevel, reopening
on SIGHUP after rotation, systemd readiness, and no secret ever written to it.

PairDB's own settings (log-format, log-timestamp-format) do not exist in Redis 7.0: those
tests are skipped, visibly, with PAIRDB_TARGET=redis.
"""

import json
import os
import re
import signal
import socket
import subprocess

import pytest

from conftest import IS_REDIS, SERVER_BIN, free_port, wait_for
from resp import RawConn

pairdb_only = pytest.mark.skipif(IS_REDIS, reason="PairDB log settings, not in Redis 7.0")

LOGFMT_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def _lines(path):
    with open(path, encoding="utf-8") as f:
        return [line for line in f.read().split("\n") if line]


def _log_server(start_server, tmp_path, *args):
    path = str(tmp_path / "pairdb.log")
    s = start_server("--logfile", path, "--loglevel", "verbose", *args)
    return s, path


def _touch_log(s):
    """A connection that closes makes one verbose line; returns its address."""
    c = RawConn(s.host, s.port)
    assert c.cmd("PING") == b"+PONG\r\n"
    addr = "%s:%d" % c.sock.getsockname()[:2]
    c.close()
    return addr


def _closed_lines(path):
    try:
        return sum("Client closed connection" in line for line in _lines(path))
    except FileNotFoundError:
        return 0


def _logged_close(path, addr):
    try:
        return any("Client closed connection" in line and "addr=%s" % addr in line
                   for line in _lines(path))
    except FileNotFoundError:
        return False


def _touch_and_wait(s, path):
    """_touch_log, then wait until its own line is in the file at path (the server logs the
    close when it reads the end of the stream, after the client has gone)."""
    addr = _touch_log(s)
    assert wait_for(lambda: _logged_close(path, addr))


def _close_and_wait(c, path):
    addr = "%s:%d" % c.sock.getsockname()[:2]
    c.close()
    assert wait_for(lambda: _logged_close(path, addr))


@pairdb_only
def test_json_lines_parse(start_server, tmp_path):
    s, path = _log_server(start_server, tmp_path, "--log-format", "json")
    _touch_and_wait(s, path)
    assert s.stop() == 0
    lines = _lines(path)
    assert len(lines) >= 4
    records = [json.loads(line) for line in lines]
    for rec in records:
        assert set(rec) == {"pid", "role", "timestamp", "level", "message"}
        assert rec["pid"] == s.pid and rec["role"] == "primary"
        assert rec["level"] in ("debug", "verbose", "notice", "warning")
    messages = [r["message"] for r in records]
    assert any(m.startswith("Client closed connection") for m in messages)
    assert messages[-1] == "PairDB is now ready to exit, bye bye..."


@pairdb_only
def test_logfmt_lines_parse_and_formats_switch_at_runtime(start_server, tmp_path):
    s, path = _log_server(start_server, tmp_path, "--log-format", "logfmt",
                          "--log-timestamp-format", "iso8601")
    _touch_and_wait(s, path)
    c = RawConn(s.host, s.port)
    assert c.cmd("CONFIG", "SET", "log-timestamp-format", "milliseconds") == b"+OK\r\n"
    assert c.cmd("CONFIG", "GET", "log-format") == b"*2\r\n$10\r\nlog-format\r\n$6\r\nlogfmt\r\n"
    _close_and_wait(c, path)
    _touch_and_wait(s, path)
    c = RawConn(s.host, s.port)
    assert c.cmd("CONFIG", "SET", "log-format", "plain") == b"+OK\r\n"
    assert c.cmd("CONFIG", "GET", "log-format") == b"*2\r\n$10\r\nlog-format\r\n$6\r\nlegacy\r\n"
    assert c.cmd("CONFIG", "SET", "log-format", "xml").startswith(b"-ERR CONFIG SET failed")
    _close_and_wait(c, path)
    assert s.stop() == 0
    lines = _lines(path)
    legacy = [line for line in lines if not line.startswith("pid=")]
    logfmt = [dict((k, v.strip('"')) for k, v in LOGFMT_FIELD.findall(line))
              for line in lines if line.startswith("pid=")]
    assert logfmt and legacy
    for rec in logfmt:
        assert list(rec) == ["pid", "role", "timestamp", "level", "message"]
        assert rec["pid"] == str(s.pid) and rec["role"] == "primary"
    stamps = [rec["timestamp"] for rec in logfmt]
    iso = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
    assert iso.match(stamps[0])
    assert re.fullmatch(r"\d{13}", stamps[-1])
    # Legacy lines after the switch: "pid:M <unix ms> <mark> message".
    assert re.fullmatch(r"%d:M \d{13} [.\-*#] .+" % s.pid, legacy[-1])


def test_legacy_format_and_loglevel_filter(start_server, tmp_path):
    s, path = _log_server(start_server, tmp_path, "--loglevel", "warning")
    _touch_log(s)  # verbose: filtered out
    c = RawConn(s.host, s.port)
    assert c.cmd("CONFIG", "SET", "loglevel", "verbose") == b"+OK\r\n"
    _close_and_wait(c, path)
    _touch_and_wait(s, path)
    assert s.stop() == 0
    lines = _lines(path)
    stamp = r"\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3}"
    for line in lines:
        # (Redis writes its signal handler's line in a format of its own.)
        assert re.fullmatch(r"\d+:[MC] %s [.\-*#] .*|\d+:signal-handler .*" % stamp, line), line
    closed = [line for line in lines if "Client closed connection" in line]
    assert closed and all(re.match(r"\d+:M %s - " % stamp, line) for line in closed)
    # Only connections closed after the change were logged: the one that made it, the last one.
    assert len(closed) == 2


@pairdb_only
def test_sighup_reopens_the_log_after_rotation(start_server, tmp_path):
    s, path = _log_server(start_server, tmp_path)
    _touch_and_wait(s, path)
    rotated = path + ".1"
    os.rename(path, rotated)
    # Still written to the renamed file: nobody asked to reopen yet.
    _touch_and_wait(s, rotated)
    before = _closed_lines(rotated)
    os.kill(s.pid, signal.SIGHUP)
    addr = _touch_log(s)
    assert wait_for(lambda: _logged_close(path, addr))
    assert s.alive()
    assert s.stop() == 0
    assert _closed_lines(rotated) == before
    assert [line for line in _lines(path) if "Client closed connection" in line] == \
        [line for line in _lines(path) if "addr=%s" % addr in line]
    assert "ready to exit" in _lines(path)[-1]


def test_secrets_never_reach_the_log(start_server, tmp_path):
    secrets = ["pw-start-Aq7", "pw-master-Bz8", "pw-wrong-Cx9", "pw-set-Dy0", "pw-hello-Ew1"]
    s, path = _log_server(start_server, tmp_path, "--requirepass", secrets[0],
                          "--masterauth", secrets[1], "--loglevel", "debug")
    c = RawConn(s.host, s.port)
    assert c.cmd("AUTH", secrets[2]).startswith(b"-WRONGPASS")
    assert c.cmd("AUTH", "default", secrets[2]).startswith(b"-WRONGPASS")
    assert c.cmd("AUTH", secrets[0]) == b"+OK\r\n"
    assert c.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"+OK\r\n"
    assert c.cmd("CONFIG", "SET", "requirepass", secrets[3]) == b"+OK\r\n"
    assert c.cmd("CONFIG", "SET", "masterauth", secrets[4]) == b"+OK\r\n"
    assert c.cmd("HELLO", "2", "AUTH", "default", secrets[3]).startswith(b"*")
    c.cmd("CONFIG", "SET", "requirepass", secrets[3], "maxmemory", "oops")
    c.close()
    other = RawConn(s.host, s.port)
    assert other.cmd("HELLO", "3", "AUTH", "default", secrets[2]).startswith(b"-WRONGPASS")
    other.close()
    c = RawConn(s.host, s.port)
    assert c.cmd("AUTH", secrets[3]) == b"+OK\r\n"
    c.cmd("CONFIG", "REWRITE")  # fails without a config file; may log
    c.close()
    assert s.stop() == 0
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    with open(os.path.join(s.dir, "server.log"), encoding="utf-8", errors="replace") as f:
        text += f.read()
    assert "Client closed connection" in text  # the log was written at debug level
    for secret in secrets:
        assert secret not in text


@pairdb_only
def test_systemd_ready_and_stopping(tmp_path):
    sock_path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    port = free_port()
    proc = subprocess.Popen([SERVER_BIN, "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(tmp_path), "--appendonly", "no", "--save", "",
                             "--supervised", "systemd"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = sock.recv(256)
        assert ready == b"READY=1\nSTATUS=Ready to accept connections\nMAINPID=%d\n" % proc.pid
        c = RawConn("127.0.0.1", port)
        assert c.cmd("PING") == b"+PONG\r\n"
        c.close()
        proc.send_signal(signal.SIGTERM)
        assert sock.recv(256) == b"STOPPING=1\nMAINPID=%d\n" % proc.pid
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()


@pairdb_only
def test_no_notification_unless_supervised(tmp_path):
    sock_path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(0.5)
    port = free_port()
    proc = subprocess.Popen([SERVER_BIN, "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(tmp_path), "--appendonly", "no", "--save", ""],
                            env=dict(os.environ, NOTIFY_SOCKET=sock_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: _pings(port))
        with pytest.raises(socket.timeout):
            sock.recv(256)
    finally:
        proc.terminate()
        proc.wait(10)
        sock.close()


def _pings(port):
    try:
        c = RawConn("127.0.0.1", port, timeout=1)
    except OSError:
        return False
    try:
        return c.cmd("PING") == b"+PONG\r\n"
    finally:
        c.close()


def test_syslog_settings_are_fixed_at_start(raw):
    assert raw.cmd("CONFIG", "GET", "syslog-enabled") == b"*2\r\n$14\r\nsyslog-enabled\r\n$2\r\nno\r\n"
    err = raw.cmd("CONFIG", "SET", "syslog-ident", "x")
    assert err == b"-ERR CONFIG SET failed (possibly related to argument 'syslog-ident') - " \
                  b"can't set immutable config\r\n"


@pairdb_only
def test_config_errors_do_not_show_secrets(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text('port 0\nrequirepass "pw-unbalanced-Fz2\n')
    for args in ([str(conf)], ["--port", "0", "--masterauth", "pw-one-Gy3", "pw-two-Hx4"]):
        out = subprocess.run([SERVER_BIN] + args, capture_output=True, timeout=10)
        assert out.returncode == 1
        text = (out.stdout + out.stderr).decode()
        assert "FATAL CONFIG FILE ERROR" in text and "(redacted)'" in text
        assert "pw-" not in text
