"""Connection-level commands: PING ECHO QUIT RESET AUTH SELECT, error texts, CLIENT subcommands,
idle timeout, maxclients and the unix socket.

Tests that kill or pause clients broadly run on their own server (start_server) so they cannot
disturb the shared one.
"""

import re
import threading
import time

from conftest import wait_for
from resp import RawConn

# Field order of one CLIENT LIST / CLIENT INFO line in Redis 7.0.
CLIENT_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub",
                 "psub", "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs",
                 "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd", "user", "redir",
                 "resp"]


def _bulk(reply):
    m = re.fullmatch(rb"\$(\d+)\r\n(.*)\r\n", reply, re.S)
    assert m, reply
    assert int(m.group(1)) == len(m.group(2))
    return m.group(2)


def _client_line(line):
    """Parse 'k=v k=v ...' keeping order."""
    pairs = []
    for item in line.split(b" "):
        k, sep, v = item.partition(b"=")
        assert sep == b"=", line
        pairs.append((k.decode(), v.decode()))
    return pairs


def _client_info(conn):
    body = _bulk(conn.cmd("CLIENT", "INFO"))
    assert body.endswith(b"\n") and body.count(b"\n") == 1
    return dict(_client_line(body[:-1]))


# ---- PING ECHO QUIT ------------------------------------------------------------------------

def test_conn_ping(raw):
    assert raw.cmd("PING") == b"+PONG\r\n"
    assert raw.cmd("PING", "hello world") == b"$11\r\nhello world\r\n"
    assert raw.cmd("ping", "") == b"$0\r\n\r\n"
    assert raw.cmd("PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"


def test_conn_echo(raw):
    assert raw.cmd("ECHO", "x y") == b"$3\r\nx y\r\n"
    assert raw.cmd("ECHO", "") == b"$0\r\n\r\n"
    assert raw.cmd("ECHO") == b"-ERR wrong number of arguments for 'echo' command\r\n"
    assert raw.cmd("ECHO", "a", "b") == b"-ERR wrong number of arguments for 'echo' command\r\n"


def test_conn_quit(server, raw):
    raw.send("SET", "conn_quit", "1")
    raw.send("QUIT")
    raw.send("SET", "conn_quit", "2")
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.closed_by_peer(2)
    c = RawConn(server.host, server.port)
    try:
        assert c.cmd("GET", "conn_quit") == b"$1\r\n1\r\n"
    finally:
        c.close()


def test_conn_reset(raw):
    assert raw.cmd("SELECT", "5") == b"+OK\r\n"
    assert raw.cmd("SET", "conn_reset", "in5") == b"+OK\r\n"
    assert raw.cmd("CLIENT", "SETNAME", "conn-reset") == b"+OK\r\n"
    assert raw.cmd("HELLO", "3").startswith(b"%7\r\n")
    assert raw.cmd("GET", "conn_reset_none") == b"_\r\n"
    assert raw.cmd("RESET") == b"+RESET\r\n"
    assert raw.cmd("GET", "conn_reset") == b"$-1\r\n"  # back in db 0 and RESP2
    assert raw.cmd("CLIENT", "GETNAME") == b"$-1\r\n"
    info = _client_info(raw)
    assert info["db"] == "0" and info["resp"] == "2" and info["name"] == ""
    assert raw.cmd("SELECT", "5") == b"+OK\r\n"
    assert raw.cmd("GET", "conn_reset") == b"$3\r\nin5\r\n"
    assert raw.cmd("FLUSHDB") == b"+OK\r\n"


def test_conn_reset_undoes_reply_off(raw):
    raw.send("CLIENT", "REPLY", "OFF")
    raw.send("RESET")
    assert raw.read_reply() == b"+RESET\r\n"
    assert raw.cmd("PING") == b"+PONG\r\n"


# ---- AUTH ----------------------------------------------------------------------------------

def test_conn_auth_without_password(raw):
    assert raw.cmd("AUTH", "x") == (
        b"-ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?\r\n")
    assert raw.cmd("AUTH", "nouser", "x") == \
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert raw.cmd("AUTH") == b"-ERR wrong number of arguments for 'auth' command\r\n"
    assert raw.cmd("AUTH", "a", "b", "c") == b"-ERR syntax error\r\n"


def test_conn_auth_requirepass(start_server):
    s = start_server("--requirepass", "secret")
    c = s.raw(timeout=5)
    try:
        assert c.cmd("GET", "k") == b"-NOAUTH Authentication required.\r\n"
        assert c.cmd("SET", "k", "v") == b"-NOAUTH Authentication required.\r\n"
        assert c.cmd("AUTH", "wrong") == \
            b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        assert c.cmd("AUTH", "default", "wrong") == \
            b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        assert c.cmd("GET", "k") == b"-NOAUTH Authentication required.\r\n"
        assert c.cmd("AUTH", "secret") == b"+OK\r\n"
        assert c.cmd("SET", "k", "v") == b"+OK\r\n"
    finally:
        c.close()
    c = s.raw(timeout=5)
    try:
        assert c.cmd("AUTH", "default", "secret") == b"+OK\r\n"
        assert c.cmd("GET", "k") == b"$1\r\nv\r\n"
        # RESET de-authenticates.
        assert c.cmd("RESET") == b"+RESET\r\n"
        assert c.cmd("GET", "k") == b"-NOAUTH Authentication required.\r\n"
    finally:
        c.close()
    # redis-py with a password works end to end.
    rc = s.client(password="secret")
    assert rc.get("k") == b"v"
    rc.close()


# ---- SELECT --------------------------------------------------------------------------------

def test_conn_select(raw):
    assert raw.cmd("SELECT", "16") == b"-ERR DB index is out of range\r\n"
    assert raw.cmd("SELECT", "-1") == b"-ERR DB index is out of range\r\n"
    assert raw.cmd("SELECT", "abc") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.cmd("SELECT", "1.5") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.cmd("SELECT") == b"-ERR wrong number of arguments for 'select' command\r\n"
    assert raw.cmd("SET", "conn_sel", "db0") == b"+OK\r\n"
    assert raw.cmd("SELECT", "15") == b"+OK\r\n"
    assert raw.cmd("GET", "conn_sel") == b"$-1\r\n"
    assert raw.cmd("SET", "conn_sel", "db15") == b"+OK\r\n"
    assert raw.cmd("DBSIZE") == b":1\r\n"
    assert _client_info(raw)["db"] == "15"
    assert raw.cmd("SELECT", "0") == b"+OK\r\n"
    assert raw.cmd("GET", "conn_sel") == b"$3\r\ndb0\r\n"


# ---- error texts ---------------------------------------------------------------------------

def test_conn_unknown_command(raw):
    assert raw.cmd("foo", "a", "b") == \
        b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    assert raw.cmd("foo") == b"-ERR unknown command 'foo', with args beginning with: \r\n"
    # Arguments are quoted until 128 bytes of them have been written.
    assert raw.cmd("foo", "a" * 50, "b" * 50, "c" * 50, "d") == (
        b"-ERR unknown command 'foo', with args beginning with: '" + b"a" * 50 + b"' '" +
        b"b" * 50 + b"' '" + b"c" * 22 + b"' \r\n")
    assert raw.cmd("foo", "a" * 200) == (
        b"-ERR unknown command 'foo', with args beginning with: '" + b"a" * 128 + b"' \r\n")
    assert raw.cmd("f" * 200) == (
        b"-ERR unknown command '" + b"f" * 128 + b"', with args beginning with: \r\n")
    # Newlines must not break the error line.
    assert raw.cmd("foo\r\nbar", "x\ny") == \
        b"-ERR unknown command 'foo  bar', with args beginning with: 'x y' \r\n"


def test_conn_unknown_subcommand(raw):
    for cmd in ("CLIENT", "CONFIG", "OBJECT", "COMMAND"):
        assert raw.cmd(cmd, "FOO") == \
            b"-ERR unknown subcommand 'FOO'. Try %s HELP.\r\n" % cmd.encode()
    assert raw.cmd("client", "foo") == b"-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"


def test_conn_wrong_arity_texts(raw):
    assert raw.cmd("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert raw.cmd("get", "a", "b") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert raw.cmd("CLIENT") == b"-ERR wrong number of arguments for 'client' command\r\n"
    assert raw.cmd("CLIENT", "SETNAME") == \
        b"-ERR wrong number of arguments for 'client|setname' command\r\n"
    assert raw.cmd("client", "id", "x") == \
        b"-ERR wrong number of arguments for 'client|id' command\r\n"
    assert raw.cmd("CONFIG", "SET") == \
        b"-ERR wrong number of arguments for 'config|set' command\r\n"


# ---- CLIENT --------------------------------------------------------------------------------

def test_conn_client_id(server, raw):
    m = re.fullmatch(rb":(\d+)\r\n", raw.cmd("CLIENT", "ID"))
    assert m
    cid = int(m.group(1))
    assert raw.cmd("CLIENT", "ID") == b":%d\r\n" % cid
    assert _client_info(raw)["id"] == str(cid)
    other = RawConn(server.host, server.port)
    try:
        oid = int(other.cmd("CLIENT", "ID")[1:-2])
        assert oid > cid  # ids increase monotonically
    finally:
        other.close()


def test_conn_client_setname_getname(raw):
    assert raw.cmd("CLIENT", "GETNAME") == b"$-1\r\n"
    assert raw.cmd("CLIENT", "SETNAME", "conn-name_1") == b"+OK\r\n"
    assert raw.cmd("CLIENT", "GETNAME") == b"$11\r\nconn-name_1\r\n"
    bad = b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    for name in ("a b", "a\nb", "a\x7f", "\xe9", "a\x01"):
        assert raw.cmd("CLIENT", "SETNAME", name) == bad
    assert raw.cmd("CLIENT", "GETNAME") == b"$11\r\nconn-name_1\r\n"
    # An empty name clears it.
    assert raw.cmd("CLIENT", "SETNAME", "") == b"+OK\r\n"
    assert raw.cmd("CLIENT", "GETNAME") == b"$-1\r\n"
    assert raw.cmd("CLIENT", "SETNAME", "a", "b") == \
        b"-ERR wrong number of arguments for 'client|setname' command\r\n"
    assert raw.cmd("CLIENT", "GETNAME", "x") == \
        b"-ERR wrong number of arguments for 'client|getname' command\r\n"


def test_conn_client_info_fields(raw):
    raw.cmd("CLIENT", "SETNAME", "conn-info")
    raw.cmd("SELECT", "2")
    body = _bulk(raw.cmd("CLIENT", "INFO"))
    pairs = _client_line(body[:-1])
    assert [k for k, _ in pairs] == CLIENT_FIELDS
    d = dict(pairs)
    assert d["name"] == "conn-info" and d["db"] == "2" and d["cmd"] == "client|info"
    assert d["resp"] == "2" and d["user"] == "default" and d["flags"] == "N"
    assert d["multi"] == "-1" and d["sub"] == "0" and d["redir"] == "-1"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", d["addr"])
    assert d["laddr"] == "127.0.0.1:%d" % raw.sock.getpeername()[1]
    assert d["addr"] == "127.0.0.1:%d" % raw.sock.getsockname()[1]
    for k in ("id", "fd", "age", "idle", "qbuf", "qbuf-free", "argv-mem", "obl", "oll", "omem",
              "tot-mem"):
        assert d[k].isdigit(), (k, d[k])
    assert raw.cmd("CLIENT", "INFO", "x") == \
        b"-ERR wrong number of arguments for 'client|info' command\r\n"


def test_conn_client_list(server, raw):
    other = RawConn(server.host, server.port)
    try:
        other.cmd("CLIENT", "SETNAME", "conn-list-other")
        other.cmd("HELLO", "3")
        other_id = int(other.cmd("CLIENT", "ID")[1:-2])
        my_id = int(raw.cmd("CLIENT", "ID")[1:-2])
        body = _bulk(raw.cmd("CLIENT", "LIST"))
        lines = body.split(b"\n")
        assert lines[-1] == b""
        by_id = {}
        for line in lines[:-1]:
            pairs = _client_line(line)
            assert [k for k, _ in pairs] == CLIENT_FIELDS
            by_id[int(dict(pairs)["id"])] = dict(pairs)
        assert by_id[my_id]["cmd"] == "client|list"
        assert by_id[other_id]["name"] == "conn-list-other"
        assert by_id[other_id]["resp"] == "3"
        assert by_id[other_id]["cmd"] == "client|id"
        # Filtered by id: only those lines, in any order.
        body = _bulk(raw.cmd("CLIENT", "LIST", "ID", other_id, 999999))
        assert body.count(b"\n") == 1 and b"name=conn-list-other " in body
        body = _bulk(raw.cmd("CLIENT", "LIST", "TYPE", "normal"))
        assert b"id=%d " % my_id in body
        assert raw.cmd("CLIENT", "LIST", "ID", "abc") == b"-ERR Invalid client ID\r\n"
        assert raw.cmd("CLIENT", "LIST", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"
    finally:
        other.close()


def test_conn_client_kill_by_id(server, raw):
    victim = RawConn(server.host, server.port)
    try:
        vid = int(victim.cmd("CLIENT", "ID")[1:-2])
        assert raw.cmd("CLIENT", "KILL", "ID", vid) == b":1\r\n"
        assert victim.closed_by_peer(2)
        assert raw.cmd("CLIENT", "KILL", "ID", vid) == b":0\r\n"
        assert raw.cmd("CLIENT", "KILL", "ID", "abc") == \
            b"-ERR client-id should be greater than 0\r\n"
        assert raw.cmd("CLIENT", "KILL", "ID", "0") == \
            b"-ERR client-id should be greater than 0\r\n"
        assert raw.cmd("CLIENT", "KILL", "FOO", "bar") == b"-ERR syntax error\r\n"
        assert raw.cmd("CLIENT", "KILL", "ID", "1", "ID") == b"-ERR syntax error\r\n"
        assert raw.cmd("CLIENT", "KILL") == \
            b"-ERR wrong number of arguments for 'client|kill' command\r\n"
    finally:
        victim.close()


def test_conn_client_kill_by_addr(server, raw):
    victim = RawConn(server.host, server.port)
    victim2 = RawConn(server.host, server.port)
    try:
        addr = "127.0.0.1:%d" % victim.sock.getsockname()[1]
        assert victim.cmd("PING") == b"+PONG\r\n"
        assert raw.cmd("CLIENT", "KILL", "ADDR", addr) == b":1\r\n"
        assert victim.closed_by_peer(2)
        assert raw.cmd("CLIENT", "KILL", "ADDR", addr) == b":0\r\n"
        # Old form: one address argument, +OK or an error.
        addr2 = "127.0.0.1:%d" % victim2.sock.getsockname()[1]
        assert raw.cmd("CLIENT", "KILL", addr2) == b"+OK\r\n"
        assert victim2.closed_by_peer(2)
        assert raw.cmd("CLIENT", "KILL", addr2) == b"-ERR No such client\r\n"
        assert raw.cmd("CLIENT", "KILL", "1.2.3.4:5") == b"-ERR No such client\r\n"
    finally:
        victim.close()
        victim2.close()


def test_conn_client_kill_user_laddr_skipme(start_server):
    s = start_server()
    me = s.raw(timeout=5)
    others = [s.raw(timeout=5) for _ in range(3)]
    try:
        for o in others:
            assert o.cmd("PING") == b"+PONG\r\n"
        assert me.cmd("CLIENT", "KILL", "USER", "nouser") == b"-ERR No such user 'nouser'\r\n"
        assert me.cmd("CLIENT", "KILL", "SKIPME", "foo") == b"-ERR syntax error\r\n"
        # SKIPME yes is the default: the caller survives.
        assert me.cmd("CLIENT", "KILL", "USER", "default") == b":3\r\n"
        for o in others:
            assert o.closed_by_peer(2)
        others = [s.raw(timeout=5) for _ in range(2)]
        for o in others:
            assert o.cmd("PING") == b"+PONG\r\n"
        laddr = "127.0.0.1:%d" % s.port
        assert me.cmd("CLIENT", "KILL", "LADDR", "1.2.3.4:5") == b":0\r\n"
        assert me.cmd("CLIENT", "KILL", "LADDR", laddr, "SKIPME", "yes") == b":2\r\n"
        for o in others:
            assert o.closed_by_peer(2)
        assert me.cmd("CLIENT", "KILL", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"
        assert me.cmd("CLIENT", "KILL", "TYPE", "normal") == b":0\r\n"
        # SKIPME no: the caller kills itself (after the reply).
        me.send("CLIENT", "KILL", "ID", me.cmd("CLIENT", "ID")[1:-2], "SKIPME", "no")
        assert me.read_reply() == b":1\r\n"
        assert me.closed_by_peer(2)
    finally:
        me.close()
        for o in others:
            o.close()


def test_conn_client_kill_maxage(start_server):
    s = start_server()
    me = s.raw(timeout=5)
    other = s.raw(timeout=5)
    try:
        assert other.cmd("PING") == b"+PONG\r\n"
        rep = me.cmd("CLIENT", "KILL", "MAXAGE", "100000")
        if rep == b"-ERR syntax error\r\n":
            return  # Redis 7.0 has no MAXAGE filter (added in later versions).
        assert rep == b":0\r\n"
        assert me.cmd("CLIENT", "KILL", "MAXAGE", "0") == b":1\r\n"
        assert other.closed_by_peer(2)
    finally:
        me.close()
        other.close()


def test_conn_client_reply(raw):
    raw.send("CLIENT", "REPLY", "OFF")
    raw.send("SET", "conn_reply", "1")
    raw.send("PING")
    assert raw.read_available(0.1) == b""
    raw.send("CLIENT", "REPLY", "ON")
    assert raw.read_reply() == b"+OK\r\n"
    assert raw.cmd("GET", "conn_reply") == b"$1\r\n1\r\n"
    raw.send("CLIENT", "REPLY", "SKIP")
    raw.send("PING")
    raw.send("ECHO", "after-skip")
    assert raw.read_reply() == b"$10\r\nafter-skip\r\n"
    assert raw.read_available(0.05) == b""
    assert raw.cmd("CLIENT", "REPLY", "FOO") == b"-ERR syntax error\r\n"
    assert raw.cmd("CLIENT", "REPLY") == \
        b"-ERR wrong number of arguments for 'client|reply' command\r\n"


def test_conn_client_no_evict(raw):
    assert raw.cmd("CLIENT", "NO-EVICT", "ON") == b"+OK\r\n"
    assert "e" in _client_info(raw)["flags"]
    assert raw.cmd("CLIENT", "NO-EVICT", "off") == b"+OK\r\n"
    assert "e" not in _client_info(raw)["flags"]
    assert raw.cmd("CLIENT", "NO-EVICT", "x") == b"-ERR syntax error\r\n"
    assert raw.cmd("CLIENT", "NO-EVICT") == \
        b"-ERR wrong number of arguments for 'client|no-evict' command\r\n"


def test_conn_client_no_touch(raw):
    rep = raw.cmd("CLIENT", "NO-TOUCH", "ON")
    if rep == b"-ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.\r\n":
        return  # Redis 7.0 has no NO-TOUCH (added in 7.2).
    assert rep == b"+OK\r\n"
    assert "T" in _client_info(raw)["flags"]
    assert raw.cmd("CLIENT", "NO-TOUCH", "OFF") == b"+OK\r\n"
    assert "T" not in _client_info(raw)["flags"]
    assert raw.cmd("CLIENT", "NO-TOUCH", "x") == b"-ERR syntax error\r\n"


def test_conn_client_pause_errors(raw):
    assert raw.cmd("CLIENT", "PAUSE", "abc") == \
        b"-ERR timeout is not an integer or out of range\r\n"
    assert raw.cmd("CLIENT", "PAUSE", "-1") == b"-ERR timeout is negative\r\n"
    assert raw.cmd("CLIENT", "PAUSE", "10", "FOO") == \
        b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    assert raw.cmd("CLIENT", "UNPAUSE", "x") == \
        b"-ERR wrong number of arguments for 'client|unpause' command\r\n"
    assert raw.cmd("CLIENT", "UNPAUSE") == b"+OK\r\n"


def test_conn_client_pause_write(server, raw):
    writer = RawConn(server.host, server.port, timeout=5)
    reader = RawConn(server.host, server.port, timeout=5)
    try:
        assert raw.cmd("CLIENT", "PAUSE", "10000", "WRITE") == b"+OK\r\n"
        writer.send("SET", "conn_pause", "1")
        assert writer.read_available(0.2) == b""
        t0 = time.monotonic()
        assert reader.cmd("GET", "conn_pause") == b"$-1\r\n"
        assert reader.cmd("PING") == b"+PONG\r\n"
        assert time.monotonic() - t0 < 0.5
        assert raw.cmd("CLIENT", "UNPAUSE") == b"+OK\r\n"
        assert writer.read_reply() == b"+OK\r\n"
        assert reader.cmd("GET", "conn_pause") == b"$1\r\n1\r\n"
    finally:
        raw.cmd("CLIENT", "UNPAUSE")
        writer.close()
        reader.close()


def test_conn_client_pause_all(server, raw):
    # In ALL mode every client is held, UNPAUSE included, so use a short pause that ends itself.
    other = RawConn(server.host, server.port, timeout=5)
    try:
        t0 = time.monotonic()
        assert raw.cmd("CLIENT", "PAUSE", "400", "ALL") == b"+OK\r\n"
        other.send("GET", "conn_pause_all")
        assert other.read_available(0.15) == b""
        assert other.read_reply() == b"$-1\r\n"
        elapsed = time.monotonic() - t0
        assert 0.3 < elapsed < 3, elapsed
        # The default mode is ALL.
        t0 = time.monotonic()
        assert raw.cmd("CLIENT", "PAUSE", "300") == b"+OK\r\n"
        assert other.cmd("PING") == b"+PONG\r\n"
        elapsed = time.monotonic() - t0
        assert 0.2 < elapsed < 3, elapsed
    finally:
        other.close()


# ---- idle timeout, maxclients, unix socket -------------------------------------------------

def test_conn_idle_timeout(start_server):
    s = start_server("--timeout", "1")
    c = s.raw(timeout=5)
    busy = s.raw(timeout=5)
    try:
        assert c.cmd("PING") == b"+PONG\r\n"
        assert c.cmd("CONFIG", "GET", "timeout") == b"*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n"
        stop = threading.Event()

        def keep_busy():
            while not stop.is_set():
                busy.cmd("PING")
                time.sleep(0.2)

        t = threading.Thread(target=keep_busy)
        t.start()
        try:
            assert c.closed_by_peer(5)
            assert busy.sock.fileno() >= 0
        finally:
            stop.set()
            t.join()
        assert busy.cmd("PING") == b"+PONG\r\n"
    finally:
        c.close()
        busy.close()


def test_conn_maxclients(start_server):
    s = start_server("--maxclients", "2")
    a = s.raw(timeout=5)
    b = s.raw(timeout=5)
    try:
        assert a.cmd("PING") == b"+PONG\r\n"
        assert b.cmd("PING") == b"+PONG\r\n"
        c = s.raw(timeout=5)
        try:
            assert c.read_reply() == b"-ERR max number of clients reached\r\n"
            assert c.closed_by_peer(2)
        finally:
            c.close()
        assert a.cmd("INFO", "stats").count(b"rejected_connections:1\r\n") == 1
        b.close()
        # A freed slot can be taken again.

        def third_ok():
            d = s.raw(timeout=5)
            try:
                return d.cmd("PING") == b"+PONG\r\n"
            except OSError:
                return False
            finally:
                d.close()
        assert wait_for(third_ok, 3)
    finally:
        a.close()
        b.close()


def test_conn_unix_socket(server, raw):
    c = RawConn(None, unix=server.unixsocket, timeout=5)
    try:
        assert c.cmd("PING") == b"+PONG\r\n"
        assert c.cmd("SET", "conn_unix", "via-unix") == b"+OK\r\n"
        assert raw.cmd("GET", "conn_unix") == b"$8\r\nvia-unix\r\n"
        info = _client_info(c)
        assert info["flags"] == "U"
        assert info["laddr"] == server.unixsocket + ":0"
    finally:
        c.close()


def test_conn_many_clients(server):
    n = 50
    conns = [RawConn(server.host, server.port, timeout=5) for _ in range(n)]
    try:
        for i, c in enumerate(conns):
            c.send("SET", "conn_many_%d" % i, i)
        for c in conns:
            assert c.read_reply() == b"+OK\r\n"
        for i, c in enumerate(conns):
            assert c.cmd("GET", "conn_many_%d" % i) == b"$%d\r\n%d\r\n" % (len(str(i)), i)
    finally:
        for c in conns:
            c.close()
