"""pairdb-cli against the stock redis-cli: the same arguments and stdin through both, against
the same server, must give byte-identical stdout and the same exit code, in every output mode.

The server is PairDB (the session `server`) and, for the RESP3 types PairDB never sends
(DEBUG PROTOCOL double/bignum/verbatim/attrib...), a redis-server started here. Where
Debian's redis-cli 7.0 cannot show a type at all (big numbers and attributes under -3: it
fails with "Unknown reply type" / "Protocol error"), the expected output is written out.
The interactive prompt is driven through a pseudo-terminal.
"""

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import time

import pytest

from conftest import REPO, SERVER_BIN, IS_REDIS, free_port, wait_for
from resp import RawConn

REDIS_CLI = "/usr/bin/redis-cli"
REDIS_SERVER = "/usr/bin/redis-server"


def _cli_path():
    if os.environ.get("PAIRDB_CLI"):
        return os.environ["PAIRDB_CLI"]
    build = os.path.join(REPO, "build") if IS_REDIS else os.path.dirname(SERVER_BIN)
    return os.path.join(build, "pairdb-cli")


CLI = _cli_path()

# Missing tools are a broken setup, not a reason to pass quietly.
for _tool in (CLI, REDIS_CLI, REDIS_SERVER):
    if not os.access(_tool, os.X_OK):
        pytest.fail("needed binary not found: %s" % _tool, pytrace=False)

MODES = [[], ["--no-raw"], ["--raw"], ["--csv"], ["-3"], ["-3", "--no-raw"], ["-3", "--csv"],
         ["-3", "--raw"]]
MODE_IDS = ["default", "no-raw", "raw", "csv", "resp3", "resp3-no-raw", "resp3-csv", "resp3-raw"]


def run(binary, args, stdin=b"", env=None, timeout=30):
    p = subprocess.run([binary] + [str(a) for a in args], input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr


def both(args, stdin=b"", before=None):
    """Runs redis-cli then pairdb-cli (before() first, each time); returns both results."""
    out = []
    for binary in (REDIS_CLI, CLI):
        if before:
            before()
        out.append(run(binary, args, stdin))
    return out


def assert_same(args, stdin=b"", before=None):
    (rc_ref, out_ref, err_ref), (rc, out, err) = both(args, stdin, before)
    assert (rc, out) == (rc_ref, out_ref), "args %r\nstderr ours: %r\nstderr ref: %r" % (
        args, err, err_ref)
    assert b"Sanitizer" not in err and b"runtime error" not in err, err
    return rc, out, err


def target(srv):
    return ["-h", srv.host, "-p", srv.port]


class RedisRef:
    """A redis-server with DEBUG enabled, for the RESP3 types PairDB does not produce."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pdbcli-")
        self.host = "127.0.0.1"
        for _ in range(3):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                 self.dir, "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            if wait_for(self._ready, timeout=10):
                return
            self.stop()
        raise RuntimeError("redis-server did not start")

    def _ready(self):
        if self.proc.poll() is not None:
            return False
        try:
            c = RawConn(self.host, self.port, timeout=1)
        except OSError:
            return False
        try:
            return c.cmd("PING") == b"+PONG\r\n"
        finally:
            c.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def ref():
    s = RedisRef()
    yield s
    s.stop()


def load_data(c):
    c.flushall()
    c.set("str", "hello")
    c.set("bin", b"a\x01b\"c\\d\n\te\xff\x00z")
    c.set("empty", "")
    c.set("num", "42")
    c.rpush("list", "a", "b c", "")
    c.hset("hash", mapping={"f1": "v1", "f2": "v2"})
    c.sadd("set", "m1")
    c.zadd("zset", {"x": 1.5, "y": 2})


# Commands whose replies cover every RESP2 shape PairDB sends: status, integer, bulk (binary,
# empty), nil, arrays (empty, nested deeper than nine so the numbers get padded), errors at
# top level and nested inside an array, and maps, sets and doubles once -3 is on.
PAIRDB_COMMANDS = [
    ["ping"], ["get", "str"], ["get", "bin"], ["get", "empty"], ["get", "nokey"],
    ["strlen", "str"], ["incr", "num"], ["lrange", "list", "0", "-1"],
    ["lrange", "nolist", "0", "-1"], ["hgetall", "hash"], ["hgetall", "nohash"],
    ["smembers", "set"], ["smembers", "noset"], ["zrange", "zset", "0", "-1", "withscores"],
    ["zscore", "zset", "x"], ["mget", "str", "nokey", "bin"], ["nosuchcommand", "x"],
    ["get"], ["lpush", "str", "x"], ["type", "hash"], ["config", "get", "maxmemory"],
    ["eval", "return {1,{2,{'x','y'}},{},'z',{err='bad'},'w'}", "0"],
    ["eval", "return {1,2,3,4,5,6,7,8,9,10,{1,2,{3}},12}", "0"],
    ["eval", "return redis.error_reply('MY failure')", "0"],
    ["eval", "return {ok='fine'}", "0"],
]


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_replies_match_redis_cli_on_pairdb(server, r, mode):
    for cmd in PAIRDB_COMMANDS:
        assert_same(target(server) + mode + cmd, before=lambda: load_data(r))


REF_COMMANDS = [["debug", "protocol", t] for t in
                ("string", "integer", "double", "true", "false", "null", "map", "set", "array",
                 "verbatim", "push")]


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_resp3_types_match_redis_cli(ref, mode):
    for cmd in REF_COMMANDS + [["hello", "3"], ["command", "docs", "get"],
                               ["command", "info", "get"]]:
        if cmd[0] == "hello":
            cmd = ["eval", "return 1", "0"]  # HELLO's reply holds the client id, which differs
        assert_same(target(ref) + mode + cmd)
    if "-3" not in mode:  # without -3 redis-cli shows them as strings; with it, it fails
        for t in ("bignum", "attrib"):
            assert_same(target(ref) + mode + ["debug", "protocol", t])


BIGNUM = b"1234567999999999999999999999999999999"
ATTRIB_VALUE = b"Some real reply following the attribute"


@pytest.mark.parametrize("mode,expected", [
    (["--no-raw"], b"(big number) " + BIGNUM + b"\n"),
    (["--raw"], BIGNUM + b"\n"),
    (["--csv"], BIGNUM + b"\n"),
])
def test_resp3_big_number(ref, mode, expected):
    rc, out, err = run(CLI, target(ref) + ["-3"] + mode + ["debug", "protocol", "bignum"])
    assert (rc, out) == (0, expected), err


def test_resp3_attribute(ref):
    # The attribute map is shown above the value it annotates; other styles drop it.
    rc, out, err = run(CLI, target(ref) + ["-3", "--no-raw", "debug", "protocol", "attrib"])
    assert rc == 0, err
    assert out == (b'|1# "key-popularity" => \n'
                   b'    1) "key:123"\n'
                   b'    2) (integer) 90\n'
                   b'"' + ATTRIB_VALUE + b'"\n')
    rc, out, _ = run(CLI, target(ref) + ["-3", "--raw", "debug", "protocol", "attrib"])
    assert (rc, out) == (0, ATTRIB_VALUE + b"\n")


def test_error_exit_code(server, r):
    for mode in ([], ["--no-raw"], ["--csv"]):
        rc, out, err = assert_same(target(server) + mode + ["-e", "nosuchcommand"])
        assert rc == 1 and out == b""
        assert err.startswith(b"ERR unknown command")
        rc, out, _ = assert_same(target(server) + mode + ["-e", "ping"])
        assert (rc, out) != (1, b"")
    # A nested error is data, not a failure.
    rc, _, _ = assert_same(target(server) + ["-e", "eval", "return {{err='x'}}", "0"])
    assert rc == 0


def test_connection_refused():
    port = free_port()  # nothing listens there
    for args in (["ping"], ["-e", "ping"], ["-r", "3", "ping"], ["--pipe"]):
        rc, out, _ = assert_same(["-h", "127.0.0.1", "-p", port] + args)
        assert rc == 1 and out == b""
    # A command list on stdin goes on (and ends with 0), as redis-cli does.
    rc, out, _ = assert_same(["-p", port], stdin=b"ping\nget x\n")
    assert rc == 0 and out == b""


STDIN_SCRIPT = (b'set q 1\nget q\nnosuch\n"get" "q"\nset "a b" "x\\x41y\\n"\nget "a b"\n'
                b"set sq 'it\\'s \"quoted\"'\nget sq\n\n   \nhgetall nokey\nset \"abc\n"
                b"set 'bad'x 1\nrpush l 1 2 3\nlrange l 0 -1\nselect 3\nset k v\ndbsize\n"
                b"3 incr counter\nquit\nget q\n")


@pytest.mark.parametrize("mode", MODES + [["-e"], ["-n", "2"]],
                         ids=MODE_IDS + ["error-exit", "db2"])
def test_stdin_command_list(server, r, mode):
    rc, out, _ = assert_same(target(server) + mode, stdin=STDIN_SCRIPT, before=r.flushall)
    assert rc == 0 and out


def test_stdin_last_argument(server, r):
    data = b"line one\nline\x00two\xff\n"
    for mode in ([], ["--no-raw"]):
        assert_same(target(server) + mode + ["-x", "set", "xk"], stdin=data, before=r.flushall)
        assert r.get("xk") == data
        assert_same(target(server) + mode + ["get", "xk"])
    assert_same(target(server) + ["-x", "echo"], stdin=b"")


def test_repeat_and_interval(server, r):
    for mode in ([], ["--no-raw"], ["--csv"]):
        assert_same(target(server) + mode + ["-r", "5", "incr", "c"], before=r.flushall)
        t0 = time.monotonic()
        rc, out, _ = assert_same(target(server) + mode + ["-r", "3", "-i", "0.1", "lrange", "l",
                                                           "0", "-1"])
        assert time.monotonic() - t0 >= 0.4  # two runs, each with 2 pauses of 0.1 s
    rc, out, _ = run(CLI, target(server) + ["-r", "4", "incr", "c2"])
    assert (rc, out) == (0, b"1\n2\n3\n4\n")


def pipe_input(n):
    parts = []
    for i in range(n):
        k, v = b"key:%d" % i, b"value:%d" % i
        parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
    return b"".join(parts)


def test_pipe_mass_insertion(server, r):
    data = pipe_input(10000)
    rc, out, err = assert_same(target(server) + ["--pipe"], stdin=data, before=r.flushall)
    assert rc == 0
    assert out.endswith(b"errors: 0, replies: 10000\n"), out
    assert r.dbsize() == 10000 and r.get("key:9999") == b"value:9999"
    bad = pipe_input(4) + b"*1\r\n$7\r\nNOSUCHC\r\nPING\r\n"
    rc, out, err = assert_same(target(server) + ["--pipe"], stdin=bad)
    assert rc == 1 and out.endswith(b"errors: 1, replies: 6\n"), out
    assert err.startswith(b"ERR unknown command")


@pytest.fixture
def pw_server(start_server):
    return start_server("--requirepass", "s3cret")


def test_auth_url_and_db(pw_server):
    srv = pw_server
    c = srv.client(password="s3cret")
    c.select(5)
    c.set("in5", "yes")
    cases = [
        ["-a", "s3cret", "get", "x"],
        ["--pass", "s3cret", "-n", "5", "get", "in5"],
        ["--user", "default", "-a", "s3cret", "-n", "5", "get", "in5"],
        ["-a", "wrong", "get", "x"],
        ["get", "x"],
        ["-u", "redis://default:s3cret@127.0.0.1:%d/5" % srv.port, "get", "in5"],
        ["-u", "redis://default:s3cret@127.0.0.1:%d" % srv.port, "--no-raw", "get", "in5"],
        ["-u", "redis://127.0.0.1:%d/5" % srv.port, "get", "in5"],
    ]
    for args in cases:
        rc, out, err = assert_same(["-h", srv.host, "-p", srv.port, "--no-auth-warning"] + args)
        assert b"Warning" not in err
    # An empty user name in a URL means the default user (redis-cli 7.0 sends it as "").
    rc, out, _ = run(CLI, ["-u", "redis://:s3cret@127.0.0.1:%d/5" % srv.port,
                           "--no-auth-warning", "get", "in5"])
    assert (rc, out) == (0, b"yes\n")
    _, out, err = run(CLI, ["-p", srv.port, "-a", "s3cret", "ping"])
    assert out == b"PONG\n" and b"Warning: Using a password" in err
    # A Unix socket instead of TCP.
    assert_same(["-s", srv.unixsocket, "-a", "s3cret", "--no-auth-warning", "-n", "5", "get",
                 "in5"])
    c.close()


def test_bad_options():
    for args in (["-p"], ["-p", "notaport", "ping"], ["--nosuchoption"], ["-u", "ftp://x"],
                 ["-u", "rediss://127.0.0.1:1", "ping"]):
        rc, out, err = run(CLI, args)
        assert rc == 1 and out == b"", (args, out)
    rc, out, _ = run(CLI, ["--version"])
    assert rc == 0 and out.startswith(b"pairdb-cli ")
    rc, out, _ = run(CLI, ["--help"])
    assert rc == 0 and b"--pipe" in out


def read_until(proc, pattern, timeout=10):
    """Reads proc's stdout until pattern (a regex) appears; returns everything read."""
    buf = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while not re.search(pattern, buf):
        left = deadline - time.monotonic()
        assert left > 0, "timed out waiting for %r; got %r" % (pattern, buf)
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            assert chunk, "EOF before %r; got %r" % (pattern, buf)
            buf += chunk
    return buf


@pytest.mark.parametrize("mode", [[], ["--no-raw"], ["--csv"], ["-3", "--no-raw"]],
                         ids=["raw", "no-raw", "csv", "resp3"])
def test_subscribe_prints_messages(server, mode):
    outputs = []
    for binary in (REDIS_CLI, CLI):
        p = subprocess.Popen([binary] + [str(a) for a in target(server)] + mode +
                             ["subscribe", "ch1", "ch2"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            got = read_until(p, rb"ch2[\"\n,].*\n?.*2")
            pub = RawConn(server.host, server.port, timeout=10)
            assert pub.cmd("PUBLISH", "ch2", "hi\nthere") == b":1\r\n"
            pub.close()
            got += read_until(p, rb"there")
            time.sleep(0.1)
            got += read_until(p, rb"") if select.select([p.stdout], [], [], 0.2)[0] else b""
        finally:
            p.send_signal(signal.SIGINT)
            p.wait(10)
        outputs.append(got)
    assert outputs[1] == outputs[0]


def test_monitor_shows_commands(server):
    p = subprocess.Popen([CLI] + [str(a) for a in target(server)] + ["monitor"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert read_until(p, rb"OK\n") == b"OK\n"
        c = RawConn(server.host, server.port, timeout=10)
        c.cmd("SET", "watched", "1")
        c.close()
        assert re.search(rb'"SET" "watched" "1"', read_until(p, rb"watched.*\n"))
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(10)


def test_help_from_command_docs(ref):
    # redis-cli 7.0 prints help from its own table, generated from the same docs: against a
    # redis-server 7.0, "help <command>" reads the same.
    for topic in (b"help set\n", b"help get\n", b"help config get\n"):
        assert_same(target(ref), stdin=topic)
    _, out, _ = run(CLI, target(ref), stdin=b"help @hyperloglog\n")
    assert b"PFADD\x1b[0m \x1b[90mkey [element [element ...]]" in out
    assert b"PFCOUNT" in out and b"SET\x1b" not in out
    _, out, _ = run(CLI, target(ref), stdin=b"help\n")
    assert b'"help @<group>"' in out


def spawn_tty(args, env):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(CLI, [CLI] + [str(a) for a in args], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    return pid, fd


def wait_exit(pid, timeout=10):
    """The child's wait status, or None when it is still running after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.02)
    return None


def finish_tty(pid, fd, last_line=b"\x15quit\r"):
    """Erases the line, quits, and checks the program ends with status 0."""
    try:
        if pid:
            os.write(fd, last_line)
            status = wait_exit(pid)
            if status is not None:
                pid = None
            assert status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def pty_read_until(fd, pattern, timeout=10):
    buf = b""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, buf):
        left = deadline - time.monotonic()
        assert left > 0, "timed out waiting for %r; got %r" % (pattern, buf)
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            assert chunk, "EOF before %r; got %r" % (pattern, buf)
            buf += chunk
    return buf


def test_interactive_prompt_and_history(server, r, tmp_path):
    hist = tmp_path / "hist"
    env = dict(os.environ, HOME=str(tmp_path), PAIRDBCLI_HISTFILE=str(hist), TERM="xterm")
    pid, fd = spawn_tty(target(server), env)
    try:
        prompt = b"127.0.0.1:%d> " % server.port
        pty_read_until(fd, re.escape(prompt))
        os.write(fd, b"set greeting 'hello world'\r")
        pty_read_until(fd, rb"OK\r\n" + re.escape(prompt))
        os.write(fd, b"get greeting\r")
        pty_read_until(fd, rb'"hello world"\r\n' + re.escape(prompt))
        os.write(fd, b"incr greeting\r")
        pty_read_until(fd, rb"\(error\) ERR value is not an integer or out of range")
        os.write(fd, b"select 2\r")
        pty_read_until(fd, re.escape(b"127.0.0.1:%d[2]> " % server.port))
        os.write(fd, b"auth secret-not-kept\r")
        pty_read_until(fd, rb"\(error\) ")
        os.write(fd, b"quit\r")
        status = wait_exit(pid)
        if status is not None:
            pid = None
        assert status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert r.get("greeting") == b"hello world"
    # libedit's history file format: a header line, blanks written as \040.
    text = hist.read_bytes().replace(b"\\040", b" ")
    assert text.startswith(b"_HiStOrY_V2_\n")
    assert b"set greeting 'hello world'" in text and b"select 2" in text
    assert b"secret-not-kept" not in text
    # The next session starts with that history: up-arrow recalls the last line.
    pid, fd = spawn_tty(target(server), env)
    try:
        pty_read_until(fd, re.escape(b"127.0.0.1:%d> " % server.port))
        os.write(fd, b"\x1b[A")
        pty_read_until(fd, rb"quit")
        os.write(fd, b"\r")
        status = wait_exit(pid)
        if status is not None:
            pid = None
        assert status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def test_interactive_connect_and_refused(server, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), PAIRDBCLI_HISTFILE="", TERM="xterm")
    pid, fd = spawn_tty(["-p", free_port()], env)
    try:
        pty_read_until(fd, rb"not connected> ")
        os.write(fd, b"connect %s %d\r" % (server.host.encode(), server.port))
        pty_read_until(fd, re.escape(b"127.0.0.1:%d> " % server.port))
        os.write(fd, b"ping\r")
        pty_read_until(fd, rb"PONG\r\n")
        os.write(fd, b"exit\r")
        status = wait_exit(pid)
        if status is not None:
            pid = None
        assert status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def test_interactive_hint_and_completion(ref, tmp_path):
    # Hints come from COMMAND DOCS argument trees (redis-server has them): typing a command
    # name and a space shows the arguments at the right of the line.
    env = dict(os.environ, HOME=str(tmp_path), PAIRDBCLI_HISTFILE="", TERM="xterm")
    pid, fd = spawn_tty(target(ref), env)
    try:
        pty_read_until(fd, re.escape(b"127.0.0.1:%d> " % ref.port))
        os.write(fd, b"pfcount ")
        pty_read_until(fd, re.escape(b"key [key ...]"))
        os.write(fd, b"\x15")  # ^U: erase the line
        os.write(fd, b"lpo\t\r")  # TAB completes the command name
        pty_read_until(fd, rb"wrong number of arguments for 'lpop' command")
    except BaseException:
        finish_tty(pid, fd)
        raise
    finish_tty(pid, fd)
