"""Server commands: INFO, CONFIG, TIME, DBSIZE, FLUSHALL/FLUSHDB, SHUTDOWN, MONITOR, DEBUG,
COMMAND and its subcommands.

Values that legitimately differ between servers (versions, ids, times, memory figures) are
checked for shape only; names, formats and error texts are checked exactly.
"""

import os
import re
import time

from conftest import IS_REDIS, wait_for
from resp import RawConn, parse_reply


def _info(conn, *sections):
    rep = conn.cmd("INFO", *sections)
    m = re.fullmatch(rb"\$(\d+)\r\n(.*)\r\n", rep, re.S)
    assert m, rep[:200]
    body = m.group(2)
    assert int(m.group(1)) == len(body)
    return body.decode()


def _info_fields(text):
    """Map section name -> {field: value}; checks the line format on the way."""
    out = {}
    cur = None
    for line in text.split("\r\n"):
        if line == "":
            continue
        if line.startswith("# "):
            cur = line[2:].lower()
            out[cur] = {}
            continue
        k, sep, v = line.partition(":")
        assert sep == ":" and cur is not None, line
        out[cur][k] = v
    return out


# ---- INFO ----------------------------------------------------------------------------------

def test_server_info_default_fields(raw):
    raw.cmd("SET", "srv_info", "1")
    text = _info(raw)
    assert text.endswith("\r\n")
    f = _info_fields(text)
    for sec in ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                "keyspace"):
        assert sec in f, sec
    assert "commandstats" not in f
    assert re.fullmatch(r"\d+\.\d+\.\d+", f["server"]["redis_version"])
    for k in ("uptime_in_seconds", "uptime_in_days", "process_id", "tcp_port", "hz"):
        assert f["server"][k].isdigit(), k
    assert f["server"]["tcp_port"] == str(raw.sock.getpeername()[1])
    for k in ("connected_clients", "blocked_clients", "maxclients"):
        assert f["clients"][k].isdigit(), k
    assert int(f["clients"]["connected_clients"]) >= 1
    assert f["clients"]["blocked_clients"] == "0"
    for k in ("used_memory", "used_memory_peak", "maxmemory"):
        assert f["memory"][k].isdigit(), k
    assert re.fullmatch(r"\d+(\.\d+)?[BKMGT]", f["memory"]["used_memory_human"])
    assert f["memory"]["maxmemory"] == "0"
    assert f["memory"]["maxmemory_policy"] == "noeviction"
    for k in ("total_connections_received", "total_commands_processed",
              "instantaneous_ops_per_sec", "keyspace_hits", "keyspace_misses", "expired_keys",
              "evicted_keys", "rejected_connections"):
        assert f["stats"][k].isdigit(), k
    assert f["replication"]["role"] == "master"
    assert f["keyspace"] == {"db0": "keys=1,expires=0,avg_ttl=0"}


def test_server_info_keyspace_exact(raw):
    assert _info(raw, "keyspace") == "# Keyspace\r\n"
    raw.cmd("SET", "srv_ks1", "1")
    raw.cmd("SET", "srv_ks2", "1", "EX", "1000")
    raw.cmd("SELECT", "3")
    raw.cmd("SET", "srv_ks3", "1")
    text = _info(raw, "keyspace")
    m = re.fullmatch(r"# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=(\d+)\r\n"
                     r"db3:keys=1,expires=0,avg_ttl=0\r\n", text)
    assert m, text
    assert 0 <= int(m.group(1)) <= 1000000
    raw.cmd("FLUSHDB")


def test_server_info_stats_counters(raw):
    raw.cmd("SET", "srv_hits", "1")
    raw.cmd("GET", "srv_hits")
    raw.cmd("GET", "srv_hits")
    raw.cmd("GET", "srv_nohit")
    st = _info_fields(_info(raw, "stats"))["stats"]
    assert st["keyspace_hits"] == "2"
    assert st["keyspace_misses"] == "1"
    assert int(st["total_commands_processed"]) >= 4


def test_server_info_commandstats(raw):
    raw.cmd("SET", "srv_cs", "1")
    raw.cmd("INCR", "srv_cs_bad", "x")  # arity error: rejected
    raw.cmd("SET", "srv_cs2", "x")
    raw.cmd("INCR", "srv_cs2")  # runs and fails
    text = _info(raw, "commandstats")
    assert text.startswith("# Commandstats\r\n")
    assert re.search(r"\r\ncmdstat_set:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,"
                     r"rejected_calls=0,failed_calls=0\r\n", text), text
    assert re.search(r"\r\ncmdstat_incr:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,"
                     r"rejected_calls=1,failed_calls=1\r\n", text), text
    assert "cmdstat_get:" not in text


def test_server_info_errorstats(raw):
    raw.cmd("INCR", "srv_es")
    raw.cmd("SET", "srv_es", "x")
    raw.cmd("INCR", "srv_es")
    raw.cmd("NOSUCHCMD")
    text = _info(raw, "errorstats")
    assert text == "# Errorstats\r\nerrorstat_ERR:count=2\r\n"


def test_server_info_several_sections(raw):
    text = _info(raw, "server", "clients")
    f = _info_fields(text)
    assert list(f) == ["server", "clients"]
    assert text.startswith("# Server\r\n")
    assert "\r\n\r\n# Clients\r\n" in text
    f = _info_fields(_info(raw, "CLIENTS", "keyspace", "Memory"))
    assert set(f) == {"clients", "keyspace", "memory"}
    assert _info(raw, "nosuchsection") == ""


def test_server_info_all_everything(raw):
    raw.cmd("SET", "srv_all", "1")
    for arg in ("all", "everything"):
        f = _info_fields(_info(raw, arg))
        for sec in ("server", "clients", "memory", "stats", "commandstats", "keyspace"):
            assert sec in f, (arg, sec)
        assert "cmdstat_set" in f["commandstats"]
    f = _info_fields(_info(raw, "default"))
    assert "commandstats" not in f and "server" in f


def test_server_info_resp3_verbatim(raw, raw3):
    # INFO is a verbatim string of type txt in RESP3 and a bulk string in RESP2.
    rep = raw3.cmd("INFO", "keyspace")
    assert rep == b"=16\r\ntxt:# Keyspace\r\n\r\n"
    assert raw.cmd("INFO", "keyspace") == b"$12\r\n# Keyspace\r\n\r\n"
    rep = raw3.cmd("INFO", "server")
    m = re.fullmatch(rb"=(\d+)\r\ntxt:(# Server\r\n.*)\r\n", rep, re.S)
    assert m and int(m.group(1)) == 4 + len(m.group(2)), rep[:100]


# ---- CONFIG --------------------------------------------------------------------------------

def _config_get(conn, *patterns):
    v = parse_reply(conn.cmd("CONFIG", "GET", *patterns))
    assert isinstance(v, list) and len(v) % 2 == 0
    d = dict(zip(v[0::2], v[1::2]))
    assert len(d) == len(v) // 2, "duplicate names in %r" % v
    return d


def test_server_config_get_glob(raw):
    d = _config_get(raw, "maxmemory*")
    assert set(d) == {b"maxmemory", b"maxmemory-policy", b"maxmemory-samples",
                      b"maxmemory-eviction-tenacity", b"maxmemory-clients"}
    assert d[b"maxmemory"] == b"0" and d[b"maxmemory-policy"] == b"noeviction"
    d = _config_get(raw, "maxmemory", "maxmemory-p*", "timeout", "maxmemory")
    assert d == {b"maxmemory": b"0", b"maxmemory-policy": b"noeviction", b"timeout": b"0"}
    assert raw.cmd("CONFIG", "GET", "nosuchparam*") == b"*0\r\n"
    assert raw.cmd("CONFIG", "GET") == \
        b"-ERR wrong number of arguments for 'config|get' command\r\n"
    assert _config_get(raw, "port") == {b"port": str(raw.sock.getpeername()[1]).encode()}
    assert _config_get(raw, "save") == {b"save": b""}
    assert _config_get(raw, "appendonly") == {b"appendonly": b"no"}
    assert _config_get(raw, "databases") == {b"databases": b"16"}


def test_server_config_set(raw):
    try:
        assert raw.cmd("CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy",
                       "allkeys-lru") == b"+OK\r\n"
        d = _config_get(raw, "maxmemory", "maxmemory-policy")
        assert d == {b"maxmemory": b"10485760", b"maxmemory-policy": b"allkeys-lru"}
        assert _info_fields(_info(raw, "memory"))["memory"]["maxmemory"] == "10485760"
        # Names are case-insensitive; memory units too.
        assert raw.cmd("CONFIG", "SET", "MAXMEMORY", "1GB") == b"+OK\r\n"
        assert _config_get(raw, "maxmemory")[b"maxmemory"] == b"1073741824"
        assert raw.cmd("CONFIG", "SET", "maxmemory", "2k") == b"+OK\r\n"
        assert _config_get(raw, "maxmemory")[b"maxmemory"] == b"2000"
        # All or nothing: one bad value leaves the others unchanged.
        rep = raw.cmd("CONFIG", "SET", "maxmemory", "5mb", "maxmemory-policy", "foo")
        assert rep == (b"-ERR CONFIG SET failed (possibly related to argument "
                       b"'maxmemory-policy') - argument(s) must be one of the following: "
                       b"volatile-lru, volatile-lfu, volatile-random, volatile-ttl, "
                       b"allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n")
        assert _config_get(raw, "maxmemory")[b"maxmemory"] == b"2000"
    finally:
        assert raw.cmd("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy",
                       "noeviction") == b"+OK\r\n"


def test_server_config_set_errors(raw):
    def failed(name, why):
        return (b"-ERR CONFIG SET failed (possibly related to argument '%s') - %s\r\n"
                % (name.encode(), why.encode()))
    assert raw.cmd("CONFIG", "SET", "maxmemory", "abc") == \
        failed("maxmemory", "argument must be a memory value")
    assert raw.cmd("CONFIG", "SET", "maxmemory", "-1") == \
        failed("maxmemory", "argument must be a memory value")
    assert raw.cmd("CONFIG", "SET", "maxmemory", "10xb") == \
        failed("maxmemory", "argument must be a memory value")
    assert raw.cmd("CONFIG", "SET", "timeout", "abc") == \
        failed("timeout", "argument couldn't be parsed into an integer")
    assert raw.cmd("CONFIG", "SET", "timeout", "-1") == \
        failed("timeout", "argument must be between 0 and 2147483647 inclusive")
    assert raw.cmd("CONFIG", "SET", "maxclients", "abc") == \
        failed("maxclients", "argument couldn't be parsed into an integer")
    assert raw.cmd("CONFIG", "SET", "maxmemory", "1", "maxmemory", "2") == \
        failed("maxmemory", "duplicate parameter")
    assert raw.cmd("CONFIG", "SET", "foo", "bar") == \
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
    assert raw.cmd("CONFIG", "SET", "maxmemory", "1", "foo", "2") == \
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
    assert raw.cmd("CONFIG", "SET", "maxmemory", "1", "timeout") == b"-ERR syntax error\r\n"
    assert raw.cmd("CONFIG", "SET", "maxmemory") == \
        b"-ERR wrong number of arguments for 'config|set' command\r\n"
    assert _config_get(raw, "maxmemory", "timeout") == {b"maxmemory": b"0", b"timeout": b"0"}


def test_server_config_resetstat(raw):
    raw.cmd("SET", "srv_rs", "1")
    raw.cmd("GET", "srv_rs")
    raw.cmd("GET", "srv_rs_miss")
    raw.cmd("NOSUCHCMD")
    assert raw.cmd("CONFIG", "RESETSTAT") == b"+OK\r\n"
    st = _info_fields(_info(raw, "stats"))["stats"]
    assert st["keyspace_hits"] == "0" and st["keyspace_misses"] == "0"
    assert st["expired_keys"] == "0" and st["rejected_connections"] == "0"
    assert int(st["total_commands_processed"]) <= 2
    text = _info(raw, "commandstats")
    assert "cmdstat_get" not in text and "cmdstat_set" not in text
    assert _info(raw, "errorstats") == "# Errorstats\r\n"
    assert raw.cmd("CONFIG", "RESETSTAT", "x") == \
        b"-ERR wrong number of arguments for 'config|resetstat' command\r\n"


def test_server_config_rewrite(start_server, tmp_path):
    conf = tmp_path / "pairdb.conf"
    conf.write_text("# test config\nmaxmemory 1mb\ntimeout 0\n")
    s = start_server(str(conf))
    c = s.raw(timeout=5)
    try:
        assert _config_get(c, "maxmemory") == {b"maxmemory": b"1048576"}
        assert c.cmd("CONFIG", "SET", "maxmemory", "10mb") == b"+OK\r\n"
        assert c.cmd("CONFIG", "REWRITE") == b"+OK\r\n"
        text = conf.read_text()
        assert re.search(r"(?m)^maxmemory 10mb$", text), text
        assert not re.search(r"(?m)^maxmemory 1mb$", text), text
        assert "# test config" in text
    finally:
        c.close()
    # The rewritten file loads.
    s2 = start_server(str(conf))
    c = s2.raw(timeout=5)
    try:
        assert _config_get(c, "maxmemory") == {b"maxmemory": b"10485760"}
    finally:
        c.close()


def test_server_config_rewrite_without_file(raw):
    assert raw.cmd("CONFIG", "REWRITE") == b"-ERR The server is running without a config file\r\n"


# ---- TIME DBSIZE FLUSH* --------------------------------------------------------------------

def test_server_time(raw):
    rep = raw.cmd("TIME")
    m = re.fullmatch(rb"\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n", rep)
    assert m, rep
    secs, usecs = int(m.group(1)), int(m.group(2))
    assert abs(secs - time.time()) < 5
    assert 0 <= usecs < 1000000
    v = parse_reply(rep)
    assert v == [m.group(1), m.group(2)]
    assert raw.cmd("TIME", "x") == b"-ERR wrong number of arguments for 'time' command\r\n"


def test_server_dbsize(raw):
    assert raw.cmd("DBSIZE") == b":0\r\n"
    for i in range(5):
        raw.cmd("SET", "srv_db_%d" % i, i)
    assert raw.cmd("DBSIZE") == b":5\r\n"
    raw.cmd("DEL", "srv_db_0")
    assert raw.cmd("DBSIZE") == b":4\r\n"
    raw.cmd("SELECT", "1")
    assert raw.cmd("DBSIZE") == b":0\r\n"
    assert raw.cmd("DBSIZE", "x") == b"-ERR wrong number of arguments for 'dbsize' command\r\n"


def test_server_flushdb_flushall(raw):
    for mode in ((), ("ASYNC",), ("SYNC",), ("async",)):
        raw.cmd("SELECT", "0")
        raw.cmd("SET", "srv_fl_a", "1")
        raw.cmd("SELECT", "1")
        raw.cmd("SET", "srv_fl_b", "1")
        assert raw.cmd("FLUSHDB", *mode) == b"+OK\r\n"
        assert raw.cmd("DBSIZE") == b":0\r\n"
        raw.cmd("SELECT", "0")
        assert raw.cmd("DBSIZE") == b":1\r\n"
        raw.cmd("SELECT", "1")
        raw.cmd("SET", "srv_fl_b", "1")
        assert raw.cmd("FLUSHALL", *mode) == b"+OK\r\n"
        assert raw.cmd("DBSIZE") == b":0\r\n"
        raw.cmd("SELECT", "0")
        assert raw.cmd("DBSIZE") == b":0\r\n"
    assert raw.cmd("FLUSHALL", "FOO") == b"-ERR syntax error\r\n"
    assert raw.cmd("FLUSHDB", "FOO") == b"-ERR syntax error\r\n"
    assert raw.cmd("FLUSHDB", "x", "y") == b"-ERR syntax error\r\n"


# ---- SHUTDOWN ------------------------------------------------------------------------------

def test_server_shutdown(start_server):
    s = start_server()
    c = s.raw(timeout=5)
    try:
        assert c.cmd("SHUTDOWN", "FOO") == b"-ERR syntax error\r\n"
        c.send("SHUTDOWN")
        assert c.closed_by_peer(10)
        assert wait_for(lambda: s.proc.poll() is not None, 10)
        assert s.proc.returncode == 0
    finally:
        c.close()


def test_server_shutdown_nosave(start_server):
    s = start_server()
    c = s.raw(timeout=5)
    try:
        c.cmd("SET", "k", "v")
        c.send("SHUTDOWN", "NOSAVE")
        assert c.closed_by_peer(10)
        assert wait_for(lambda: s.proc.poll() is not None, 10)
        assert s.proc.returncode == 0
        assert not os.path.exists(os.path.join(s.dir, "dump.rdb"))
    finally:
        c.close()


def test_server_sigterm_exit_code(start_server):
    s = start_server()
    assert s.stop() == 0


# ---- MONITOR -------------------------------------------------------------------------------

MONITOR_LINE = rb"\+(\d{10})\.(\d{6}) \[(\d+) 127\.0\.0\.1:(\d+)\] (.*)\r\n"


def test_server_monitor(server, raw):
    mon = RawConn(server.host, server.port, timeout=5)
    try:
        assert mon.cmd("MONITOR") == b"+OK\r\n"
        port = raw.sock.getsockname()[1]
        assert raw.cmd("SET", "srv_mon", "v v") == b"+OK\r\n"
        assert raw.cmd("SELECT", "3") == b"+OK\r\n"
        assert raw.cmd("get", "srv_mon") == b"$-1\r\n"
        assert raw.cmd("ECHO", b'a"b\\c\n\x00\x7f') == b'$8\r\na"b\\c\n\x00\x7f\r\n'
        lines = [mon.read_reply() for _ in range(4)]
        want = [(b"0", b'"SET" "srv_mon" "v v"'), (b"3", b'"SELECT" "3"'),
                (b"3", b'"get" "srv_mon"'), (b"3", b'"ECHO" "a\\"b\\\\c\\n\\x00\\x7f"')]
        for line, (db, args) in zip(lines, want):
            m = re.fullmatch(MONITOR_LINE, line)
            assert m, line
            assert abs(int(m.group(1)) - time.time()) < 5
            assert m.group(3) == db and int(m.group(4)) == port
            assert m.group(5) == args
        # The monitoring connection still answers its own commands.
        mon.send("PING")
        assert mon.read_reply() == b"+PONG\r\n"
    finally:
        mon.close()
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_server_monitor_unix_and_auth_redacted(start_server):
    s = start_server("--requirepass", "pw")
    mon = s.raw(timeout=5)
    c = RawConn(None, unix=s.unixsocket, timeout=5)
    try:
        assert mon.cmd("AUTH", "pw") == b"+OK\r\n"
        assert mon.cmd("MONITOR") == b"+OK\r\n"
        assert c.cmd("AUTH", "pw") == b"+OK\r\n"
        assert c.cmd("SET", "k", "1") == b"+OK\r\n"
        # Passwords are redacted; unix clients show the socket path.
        where = b"[0 unix:" + s.unixsocket.encode() + b"]"
        for args in (b'"AUTH" "(redacted)"', b'"SET" "k" "1"'):
            line = mon.read_reply()
            m = re.fullmatch(rb"\+\d+\.\d{6} (.*)\r\n", line)
            assert m and m.group(1) == where + b" " + args, line
    finally:
        mon.close()
        c.close()


# ---- DEBUG ---------------------------------------------------------------------------------

def test_server_debug_disabled_by_default(raw):
    assert raw.cmd("DEBUG", "SLEEP", "0") == (
        b"-ERR DEBUG command not allowed. If the enable-debug-command option is set to "
        b"\"local\", you can run it from a local connection, otherwise you need to set this "
        b"option in the configuration file, and then restart the server.\r\n")


def test_server_debug_sleep(start_server):
    s = start_server("--enable-debug-command", "yes")
    c = s.raw(timeout=5)
    try:
        assert c.cmd("DEBUG", "SLEEP", "0") == b"+OK\r\n"
        t0 = time.monotonic()
        assert c.cmd("DEBUG", "SLEEP", "0.2") == b"+OK\r\n"
        assert time.monotonic() - t0 >= 0.19
    finally:
        c.close()


# ---- COMMAND -------------------------------------------------------------------------------

GET_INFO = (b"*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
            b"*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n"
            b"*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n"
            b"$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n"
            b"*2\r\n$5\r\nindex\r\n:1\r\n"
            b"$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
            b"*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
            b"*0\r\n")


def test_server_command_count(raw):
    m = re.fullmatch(rb":(\d+)\r\n", raw.cmd("COMMAND", "COUNT"))
    assert m and int(m.group(1)) > 0
    assert raw.cmd("COMMAND", "COUNT", "x") == \
        b"-ERR wrong number of arguments for 'command|count' command\r\n"


def test_server_command_info_get(raw):
    assert raw.cmd("COMMAND", "INFO", "get") == b"*1\r\n" + GET_INFO
    assert raw.cmd("COMMAND", "INFO", "GET") == b"*1\r\n" + GET_INFO
    info = parse_reply(b"*1\r\n" + GET_INFO)[0]
    assert info[0] == b"get" and info[1] == 2
    assert set(info[2]) >= {b"readonly", b"fast"}
    assert info[3:6] == [1, 1, 1]
    assert set(info[6]) >= {b"@read", b"@string", b"@fast"}


def test_server_command_info_unknown(raw):
    assert raw.cmd("COMMAND", "INFO", "nosuchcmd") == b"*1\r\n$-1\r\n"
    assert raw.cmd("COMMAND", "INFO", "nosuchcmd", "get") == b"*2\r\n$-1\r\n" + GET_INFO
    raw.cmd("HELLO", "3")
    assert raw.cmd("COMMAND", "INFO", "nosuchcmd") == b"*1\r\n_\r\n"


def test_server_command_info_set_and_mset(raw):
    v = parse_reply(raw.cmd("COMMAND", "INFO", "set", "mset", "incr"))
    s, ms, inc = v
    assert s[:2] == [b"set", -3] and s[3:6] == [1, 1, 1]
    assert set(s[2]) == {b"write", b"denyoom"}
    assert set(s[6]) == {b"@write", b"@string", b"@slow"}
    assert ms[:2] == [b"mset", -3] and ms[3:6] == [1, -1, 2]
    assert inc[:2] == [b"incr", 2] and set(inc[2]) == {b"write", b"denyoom", b"fast"}


def test_server_command_getkeys(raw):
    assert raw.cmd("COMMAND", "GETKEYS", "SET", "a", "b") == b"*1\r\n$1\r\na\r\n"
    assert raw.cmd("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == \
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert raw.cmd("COMMAND", "GETKEYS", "GET", "k") == b"*1\r\n$1\r\nk\r\n"
    assert raw.cmd("COMMAND", "GETKEYS", "MGET", "x", "y", "z") == \
        b"*3\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n"
    assert raw.cmd("COMMAND", "GETKEYS", "PING", "x") == \
        b"-ERR The command has no key arguments\r\n"
    assert raw.cmd("COMMAND", "GETKEYS", "NOSUCH", "a") == \
        b"-ERR Invalid command specified\r\n"
    assert raw.cmd("COMMAND", "GETKEYS", "SET", "a") == \
        b"-ERR Invalid number of arguments specified for command\r\n"
    assert raw.cmd("COMMAND", "GETKEYS", "GET") == \
        b"-ERR wrong number of arguments for 'command|getkeys' command\r\n"


def test_server_command_list(raw):
    assert raw.cmd("COMMAND", "LIST", "FILTERBY", "PATTERN", "getr*") == \
        b"*1\r\n$8\r\ngetrange\r\n"
    v = parse_reply(raw.cmd("COMMAND", "LIST", "FILTERBY", "PATTERN", "*set*"))
    assert {b"set", b"setnx", b"setex", b"psetex", b"getset", b"mset", b"msetnx",
            b"setrange"} <= set(v)
    assert b"get" not in v
    v = parse_reply(raw.cmd("COMMAND", "LIST"))
    assert {b"get", b"set", b"ping", b"command", b"client", b"config"} <= set(v)
    assert len(v) == len(set(v))
    assert raw.cmd("COMMAND", "LIST", "FILTERBY", "PATTERN", "nosuch*") == b"*0\r\n"
    v = parse_reply(raw.cmd("COMMAND", "LIST", "FILTERBY", "ACLCAT", "string"))
    assert {b"get", b"set", b"append", b"incrbyfloat", b"lcs", b"getex"} <= set(v)
    assert b"ping" not in v
    assert raw.cmd("COMMAND", "LIST", "FILTERBY", "PATTERN") == b"-ERR syntax error\r\n"
    assert raw.cmd("COMMAND", "LIST", "FILTERBY", "FOO", "x") == b"-ERR syntax error\r\n"


def test_server_command_docs(raw):
    # The facts (since, group, complexity, arguments) are Redis's; PairDB words its
    # summaries itself.
    rep = raw.cmd("COMMAND", "DOCS", "get")
    arguments = (b"$9\r\narguments\r\n*1\r\n"
                 b"*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n"
                 b"$14\r\nkey_spec_index\r\n:0\r\n")
    if IS_REDIS:
        assert rep == (b"*2\r\n$3\r\nget\r\n*10\r\n"
                       b"$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n"
                       b"$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n"
                       b"$10\r\ncomplexity\r\n$4\r\nO(1)\r\n" + arguments)
    else:
        assert rep.startswith(b"*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n")
        assert rep.endswith(b"$10\r\ncomplexity\r\n$4\r\nO(1)\r\n" + arguments)
    raw.cmd("HELLO", "3")
    v = raw.cmdp("COMMAND", "DOCS", "getrange")
    raw.cmd("HELLO", "2")
    doc = v[b"getrange"]
    assert len(doc[b"summary"]) > 10
    assert doc[b"since"] == b"2.4.0" and doc[b"group"] == b"string"
    assert doc[b"complexity"].startswith(b"O(N) where N is the length of the returned string.")
    assert raw.cmd("COMMAND", "DOCS", "nosuch") == b"*0\r\n"


def test_server_command_no_args(raw):
    v = parse_reply(raw.cmd("COMMAND"))
    names = [e[0] for e in v]
    assert b"get" in names and b"set" in names
    count = int(raw.cmd("COMMAND", "COUNT")[1:-2])
    assert len(v) == count
