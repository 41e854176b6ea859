"""PairDB's own start-up behaviour: command line, config file errors, signals.

These are PairDB-specific (messages name PairDB), so they do not run against Redis.
"""

import os
import signal
import subprocess
import tempfile

import pytest

from conftest import IS_REDIS, SERVER_BIN, free_port, wait_for
from resp import RawConn

pytestmark = pytest.mark.skipif(IS_REDIS, reason="PairDB's own command line and messages")


def run(*args, timeout=10):
    return subprocess.run([SERVER_BIN, *args], capture_output=True, timeout=timeout, text=True)


def test_startup_version():
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.startswith("PairDB server v=0.1.0 ")
    assert run("-v").stdout == r.stdout


def test_startup_help():
    r = run("--help")
    assert r.returncode == 0
    out = r.stdout + r.stderr
    assert "Usage: ./pairdb-server [/path/to/pairdb.conf] [options]" in out or "Usage:" in out
    assert "--port" in out


def test_startup_unknown_option_refused():
    r = run("--port", str(free_port()), "--no-such-option", "1")
    assert r.returncode != 0
    assert "*** FATAL CONFIG FILE ERROR (PairDB 0.1.0) ***" in r.stderr
    assert ">>> 'no-such-option \"1\"'" in r.stderr or "no-such-option" in r.stderr
    assert "Bad directive or wrong number of arguments" in r.stderr


def test_startup_bad_value_refused():
    r = run("--port", "notaport")
    assert r.returncode != 0
    assert "FATAL CONFIG FILE ERROR" in r.stderr
    assert "argument couldn't be parsed into an integer" in r.stderr


def test_startup_config_file_error_names_line():
    d = tempfile.mkdtemp()
    conf = os.path.join(d, "p.conf")
    with open(conf, "w") as f:
        f.write("# comment\nport 7000\nbogus-directive yes\n")
    r = run(conf)
    assert r.returncode != 0
    assert "Reading the configuration file, at line 3" in r.stderr
    assert ">>> 'bogus-directive yes'" in r.stderr


def test_startup_redis_only_option_accepted_with_notice(start_server):
    s = start_server("--always-show-logo", "yes", "--lazyfree-lazy-eviction", "yes")
    assert s.raw().cmd("PING") == b"+PONG\r\n"
    assert wait_for(lambda: "always-show-logo" in s.log_tail(200))
    assert "accepted for compatibility and has no effect" in s.log_tail(200)


def test_startup_options_scripts_pass(start_server):
    d = tempfile.mkdtemp()
    pidfile = os.path.join(d, "p.pid")
    logfile = os.path.join(d, "p.log")
    s = start_server("--save", "", "--appendonly", "no", "--appendfsync", "everysec",
                     "--pidfile", pidfile, "--logfile", logfile, "--loglevel", "verbose",
                     "--requirepass", "pw", "--maxmemory", "10mb", "--daemonize", "no")
    c = s.raw()
    assert c.cmd("PING") == b"-NOAUTH Authentication required.\r\n"
    assert c.cmd("AUTH", "pw") == b"+OK\r\n"
    assert c.cmd("CONFIG", "GET", "maxmemory") == b"*2\r\n$9\r\nmaxmemory\r\n$8\r\n10485760\r\n"
    assert c.cmd("CONFIG", "GET", "loglevel") == b"*2\r\n$8\r\nloglevel\r\n$7\r\nverbose\r\n"
    assert open(pidfile).read().strip() == str(s.pid)
    assert wait_for(lambda: "Ready to accept connections" in open(logfile).read())


def test_startup_port_in_use_fails_clearly(server):
    r = run("--port", str(server.port), "--bind", "127.0.0.1", "--save", "", timeout=10)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "Address already in use" in out
    assert f"Failed listening on port {server.port} (tcp), aborting." in out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_startup_graceful_signal(start_server, sig):
    s = start_server()
    c = s.raw()
    assert c.cmd("SET", "k", "v") == b"+OK\r\n"
    os.kill(s.pid, sig)
    assert s.proc.wait(timeout=10) == 0
    assert "ready to exit, bye bye" in s.log_tail(50)
    assert not os.path.exists(s.unixsocket)


def test_startup_daemonize_and_shutdown():
    d = tempfile.mkdtemp()
    port = free_port()
    pidfile = os.path.join(d, "d.pid")
    r = run("--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes", "--dir", d,
            "--pidfile", pidfile, "--logfile", os.path.join(d, "d.log"), "--save", "",
            "--admin-port", "0")
    assert r.returncode == 0
    assert wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip())
    pid = int(open(pidfile).read())
    c = RawConn("127.0.0.1", port)
    assert c.cmd("PING") == b"+PONG\r\n"
    c.send("SHUTDOWN", "NOSAVE")
    assert c.closed_by_peer(5)

    def gone():
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True
    assert wait_for(gone, timeout=10)
    assert not os.path.exists(pidfile)
