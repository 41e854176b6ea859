"""The stock redis-cli driving the server as a subprocess.

redis-cli prints raw replies when stdout is not a terminal; --no-raw forces the interactive
formatting ("(integer) 1", quoted strings, "(nil)"), which is what people see, so both are
checked. Every run is bounded by a timeout.
"""

import os
import re
import subprocess

import pytest

CLI = "/usr/bin/redis-cli"

pytestmark = pytest.mark.skipif(not os.path.exists(CLI), reason="redis-cli not installed")


def cli(server, *args, stdin=None, proto=None, expect_rc=0):
    cmd = [CLI, "-h", server.host, "-p", str(server.port)]
    if proto == 3:
        cmd.append("-3")
    cmd += [str(a) for a in args]
    p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=10)
    if expect_rc is not None:
        assert p.returncode == expect_rc, (p.returncode, p.stdout, p.stderr)
    return p.stdout.decode()


def test_cli_readme_tour(server, r):
    assert cli(server, "--no-raw", "SET", "mykey", "somevalue") == "OK\n"
    assert cli(server, "--no-raw", "GET", "mykey") == '"somevalue"\n'
    assert cli(server, "--no-raw", "GET", "cli_nokey") == "(nil)\n"
    assert cli(server, "--no-raw", "INCR", "counter") == "(integer) 1\n"
    assert cli(server, "--no-raw", "INCRBY", "counter", "10") == "(integer) 11\n"
    assert cli(server, "--no-raw", "EXPIRE", "mykey", "100") == "(integer) 1\n"
    assert cli(server, "--no-raw", "TTL", "mykey") == "(integer) 100\n"
    lines = cli(server, "--no-raw", "KEYS", "*").splitlines()
    assert [line[:3] for line in lines] == ["1) ", "2) "]
    assert sorted(line[3:] for line in lines) == ['"counter"', '"mykey"']
    assert cli(server, "--no-raw", "MGET", "mykey", "cli_nokey") == \
        '1) "somevalue"\n2) (nil)\n'
    assert cli(server, "--no-raw", "DEL", "mykey", "counter") == "(integer) 2\n"
    assert cli(server, "--no-raw", "KEYS", "*") == "(empty array)\n"
    assert cli(server, "--no-raw", "PING") == "PONG\n"
    assert cli(server, "--no-raw", "GET") == \
        "(error) ERR wrong number of arguments for 'get' command\n"


def test_cli_info_server(server, r):
    out = cli(server, "INFO", "server")
    lines = out.splitlines()
    assert lines[0] == "# Server"
    fields = dict(line.split(":", 1) for line in lines[1:] if line)
    assert re.fullmatch(r"\d+\.\d+\.\d+", fields["redis_version"])
    assert fields["tcp_port"] == str(server.port)
    assert fields["uptime_in_seconds"].isdigit()


def test_cli_raw_mode(server, r):
    assert cli(server, "--raw", "SET", "cli_a", "x y") == "OK\n"
    assert cli(server, "--raw", "GET", "cli_a") == "x y\n"
    assert cli(server, "--raw", "GET", "cli_nokey") == "\n"
    assert cli(server, "--raw", "INCR", "cli_cnt") == "1\n"
    assert cli(server, "--raw", "MGET", "cli_a", "cli_cnt", "cli_nokey") == "x y\n1\n\n"
    # In raw mode an error is printed followed by an empty line; the exit code stays 0.
    assert cli(server, "--raw", "INCR", "cli_a") == \
        "ERR value is not an integer or out of range\n\n"


def test_cli_quoting(server, r):
    assert cli(server, "--no-raw", "SET", "cli_q", 'a"b') == "OK\n"
    assert cli(server, "--no-raw", "GET", "cli_q") == '"a\\"b"\n'
    assert cli(server, "--no-raw", "SET", "cli_q2", "a\tb\x01") == "OK\n"
    assert cli(server, "--no-raw", "GET", "cli_q2") == '"a\\tb\\x01"\n'
    assert cli(server, "--no-raw", "STRLEN", "cli_q2") == "(integer) 4\n"


def test_cli_stdin_commands(server, r):
    out = cli(server, stdin=b"SET cli_p 1\nGET cli_p\nINCR cli_p\nGET cli_nokey\n")
    assert out == "OK\n1\n2\n\n"
    out = cli(server, "--no-raw", stdin=b"SET cli_p 5\nGET cli_p\nINCR cli_p\nGET cli_nokey\n")
    assert out == 'OK\n"5"\n(integer) 6\n(nil)\n'


def test_cli_x_reads_last_arg_from_stdin(server, r):
    assert cli(server, "--no-raw", "-x", "SET", "cli_x", stdin=b"from stdin\n") == "OK\n"
    assert r.get("cli_x") == b"from stdin\n"


def test_cli_pipe_mode(server, r):
    data = (b"*3\r\n$3\r\nSET\r\n$6\r\ncli_pp\r\n$1\r\n1\r\n"
            b"*2\r\n$4\r\nINCR\r\n$6\r\ncli_pp\r\n" +
            b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n"
                     % (len(b"cli_pk%d" % i), b"cli_pk%d" % i) for i in range(100)))
    out = cli(server, "--pipe", stdin=data)
    assert out == ("All data transferred. Waiting for the last reply...\n"
                   "Last reply received from server.\n"
                   "errors: 0, replies: 102\n")
    assert r.get("cli_pp") == b"2"
    assert r.dbsize() == 101


def test_cli_pipe_mode_errors(server, r):
    data = b"*1\r\n$3\r\nFOO\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n"
    out = cli(server, "--pipe", stdin=data, expect_rc=1)
    assert out.endswith("errors: 1, replies: 2\n"), out


def test_cli_db_select(server, r):
    assert cli(server, "-n", "3", "SET", "cli_db", "1") == "OK\n"
    assert cli(server, "-n", "3", "DBSIZE") == "1\n"
    assert cli(server, "DBSIZE") == "0\n"


def test_cli_resp3_hello(server, r):
    out = cli(server, "--no-raw", "HELLO", "3")
    lines = out.splitlines()
    assert len(lines) == 7, out
    assert re.fullmatch(r'1# "server" => "[^"]+"', lines[0])
    assert re.fullmatch(r'2# "version" => "[^"]+"', lines[1])
    assert lines[2] == '3# "proto" => (integer) 3'
    assert re.fullmatch(r'4# "id" => \(integer\) \d+', lines[3])
    assert lines[4:] == ['5# "mode" => "standalone"', '6# "role" => "master"',
                         '7# "modules" => (empty array)']
    out = cli(server, "--no-raw", "CONFIG", "GET", "maxmemory", proto=3)
    assert out == '1# "maxmemory" => "0"\n'
    out = cli(server, "--no-raw", "GET", "cli_nokey", proto=3)
    assert out == "(nil)\n"
    out = cli(server, "HELLO", proto=3)
    assert "\nproto 3\n" in "\n" + out


def test_cli_resp2_hello(server, r):
    out = cli(server, "--no-raw", "HELLO", "2")
    lines = out.splitlines()
    assert len(lines) == 14
    assert lines[0] == ' 1) "server"' and lines[4] == ' 5) "proto"'
    assert lines[5] == " 6) (integer) 2"
    assert lines[12:] == ['13) "modules"', "14) (empty array)"]
