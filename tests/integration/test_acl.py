"""ACL: users, command/key/channel permissions, selectors, AUTH, the ACL log, DRYRUN, the ACL file
and users from the config file. Every test runs against redis-server as well
(PAIRDB_TARGET=redis); replies are compared byte for byte where Redis's are deterministic.

Tests that change users on the shared server restore it through the `acl` fixture (only the
default user, with every permission, and an empty ACL log).
"""
import os
import subprocess

import pytest

from conftest import SERVER_BIN, free_port
from resp import RawConn, encode_command

NOPERM_KEYS = b"-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
NOPERM_CHANNELS = (b"-NOPERM this user has no permissions to access one of the channels used as "
                   b"arguments\r\n")
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def noperm_cmd(name):
    return b"-NOPERM this user has no permissions to run the '%s' command\r\n" % name.encode()


def bulk(s):
    if isinstance(s, str):
        s = s.encode()
    return b"$%d\r\n%s\r\n" % (len(s), s)


def restore_users(server):
    c = RawConn(server.host, server.port)
    try:
        for name in c.cmdp("ACL", "USERS"):
            if name != b"default":
                c.cmd("ACL", "DELUSER", name)
        assert c.cmd("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*",
                     "+@all") == b"+OK\r\n"
        assert c.cmd("ACL", "LOG", "RESET") == b"+OK\r\n"
    finally:
        c.close()


@pytest.fixture
def acl(server, raw):
    """A raw connection as default; users and the log are restored afterwards."""
    yield raw
    restore_users(server)


def login(server, user, password="pw"):
    c = RawConn(server.host, server.port)
    assert c.cmd("AUTH", user, password) == b"+OK\r\n"
    return c


# ---- users and how they are shown ---------------------------------------------------------------

def test_setuser_getuser_list_format(acl):
    assert acl.cmd("ACL", "SETUSER", "u1", "on", ">p1", "+get", "+set", "-@all", "+hget",
                   "~k*", "%R~r*", "&ch*") == b"+OK\r\n"
    h = b"f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a"
    assert acl.cmd("ACL", "GETUSER", "u1") == (
        b"*12\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$9\r\npasswords\r\n*1\r\n" + bulk(h) +
        b"$8\r\ncommands\r\n" + bulk("-@all +hget") + b"$4\r\nkeys\r\n" + bulk("~k* %R~r*") +
        b"$8\r\nchannels\r\n" + bulk("&ch*") + b"$9\r\nselectors\r\n*0\r\n")
    assert acl.cmd("ACL", "SETUSER", "u2", "+@all", "-@dangerous", "-get",
                   "+config|get") == b"+OK\r\n"
    assert acl.cmd("ACL", "SETUSER", "u3", "(+get ~x)", "(+set", "%W~y)") == b"+OK\r\n"
    assert acl.cmdp("ACL", "LIST") == [
        b"user default on nopass ~* &* +@all",
        b"user u1 on #" + h + b" ~k* %R~r* resetchannels &ch* -@all +hget",
        ANY_U2,
        b"user u3 off resetchannels -@all (~x resetchannels -@all +get) "
        b"(%W~y resetchannels -@all +set)",
    ]
    assert acl.cmdp("ACL", "USERS") == [b"default", b"u1", b"u2", b"u3"]


class _SameRules(bytes):
    """Equal to a rules line whose trailing single-command rules may come in any order."""

    def __eq__(self, other):
        head = b"user u2 off resetchannels +@all -@dangerous "
        return other.startswith(head) and sorted(other[len(head):].split(b" ")) == [
            b"+config|get", b"-get"]

    __hash__ = bytes.__hash__


ANY_U2 = _SameRules(b"u2")


def test_getuser_resp3_and_selectors(server, acl):
    c = RawConn(server.host, server.port)
    c.cmd("HELLO", "3")
    assert c.cmd("ACL", "SETUSER", "s", "(+get ~x)") == b"+OK\r\n"
    assert c.cmd("ACL", "GETUSER", "s") == (
        b"%6\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$9\r\npasswords\r\n*0\r\n$8\r\ncommands\r\n"
        b"$5\r\n-@all\r\n$4\r\nkeys\r\n$0\r\n\r\n$8\r\nchannels\r\n$0\r\n\r\n$9\r\nselectors\r\n"
        b"*1\r\n%3\r\n$8\r\ncommands\r\n$10\r\n-@all +get\r\n$4\r\nkeys\r\n$2\r\n~x\r\n"
        b"$8\r\nchannels\r\n$0\r\n\r\n")
    assert c.cmd("ACL", "SETUSER", "s", "clearselectors") == b"+OK\r\n"
    assert c.cmdp("ACL", "LIST")[1] == b"user s off resetchannels -@all"
    assert c.cmd("ACL", "GETUSER", "nouser") == b"_\r\n"
    c.close()


def test_reset_and_flags(acl):
    assert acl.cmd("ACL", "SETUSER", "s", "on", "nopass", "+get", "~a*", "&c*") == b"+OK\r\n"
    assert acl.cmd("ACL", "SETUSER", "s", "reset") == b"+OK\r\n"
    assert acl.cmdp("ACL", "LIST")[1] == b"user s off sanitize-payload resetchannels -@all"
    assert acl.cmd("ACL", "SETUSER", "s", "skip-sanitize-payload", "%R~b", "%W~b", "%R~c",
                   "&*") == b"+OK\r\n"
    assert acl.cmdp("ACL", "LIST")[1] == b"user s off skip-sanitize-payload ~b %R~c &* -@all"
    assert acl.cmd("ACL", "SETUSER", "s", "allkeys", "allcommands", "-@write",
                   "nocommands", "+@hash") == b"+OK\r\n"
    assert acl.cmdp("ACL", "LIST")[1] == b"user s off skip-sanitize-payload ~* &* -@all +@hash"


def test_passwords(acl):
    h = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"  # "password"
    assert acl.cmd("ACL", "SETUSER", "p", "on", "#" + h, ">other") == b"+OK\r\n"
    assert acl.cmdp("ACL", "GETUSER", "p")[3][0] == h.encode()
    assert acl.cmd("ACL", "SETUSER", "p", "!" + h, "<other") == b"+OK\r\n"
    assert acl.cmdp("ACL", "GETUSER", "p")[3] == []
    assert acl.cmd("ACL", "SETUSER", "p", "<other") == (
        b"-ERR Error in ACL SETUSER modifier '<other': The password you are trying to remove "
        b"from the user does not exist\r\n")
    assert acl.cmd("ACL", "SETUSER", "p", ">a", "nopass") == b"+OK\r\n"
    assert acl.cmdp("ACL", "GETUSER", "p")[1] == [b"on", b"nopass"]
    assert acl.cmd("ACL", "SETUSER", "p", "resetpass") == b"+OK\r\n"
    assert acl.cmdp("ACL", "GETUSER", "p")[1] == [b"on"]


@pytest.mark.parametrize("rule,why", [
    ("foo", "Syntax error"),
    ("%X~a", "Syntax error"),
    ("%~a", "Syntax error"),
    ("%RR~a", "Syntax error"),
    ("+get|", "Syntax error"),
    ("#abc", "The password hash must be exactly 64 characters and contain only lowercase "
             "hexadecimal characters"),
    ("+nosuch", "Unknown command or category name in ACL"),
    ("+@nosuch", "Unknown command or category name in ACL"),
    ("-get|x", "Unknown command or category name in ACL"),
    ("+config|nosuch", "Unknown command or category name in ACL"),
    ("(+nosuch)", "Unknown command or category name in ACL"),
    ("+config|get|x", "Allowing first-arg of a subcommand is not supported"),
])
def test_setuser_errors(acl, rule, why):
    assert acl.cmd("ACL", "SETUSER", "x", "on", rule) == (
        b"-ERR Error in ACL SETUSER modifier '%s': %s\r\n" % (rule.encode(), why.encode()))
    # All or nothing: the user was not created.
    assert acl.cmd("ACL", "GETUSER", "x") == b"$-1\r\n"


def test_setuser_other_errors(acl):
    assert acl.cmd("ACL", "SETUSER", "x", "~a", "allkeys", "~b") == (
        b"-ERR Error in ACL SETUSER modifier '~b': Adding a pattern after the * pattern (or the "
        b"'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start "
        b"with an empty list of patterns\r\n")
    assert acl.cmd("ACL", "SETUSER", "x", "&*", "&b") == (
        b"-ERR Error in ACL SETUSER modifier '&b': Adding a pattern after the * pattern (or the "
        b"'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to "
        b"start with an empty list of channels\r\n")
    assert acl.cmd("ACL", "SETUSER", "x", "(+get ~x)", "(~y") == (
        b"-ERR Unmatched parenthesis in acl selector starting at '(~y'.\r\n")
    assert acl.cmd("ACL", "SETUSER", "a b", "on") == (
        b"-ERR Usernames can't contain spaces or null characters\r\n")
    assert acl.cmd("ACL", "SETUSER") == b"-ERR wrong number of arguments for 'acl|setuser' command\r\n"
    assert acl.cmd("ACL", "DELUSER", "default") == b"-ERR The 'default' user cannot be removed\r\n"
    assert acl.cmd("ACL", "CAT", "nosuch") == b"-ERR Unknown category 'nosuch'\r\n"
    assert acl.cmd("ACL", "NOSUCH") == b"-ERR unknown subcommand 'NOSUCH'. Try ACL HELP.\r\n"


# ---- the permission matrix ----------------------------------------------------------------------

def test_commands_and_categories(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "~*", "+@string", "-append", "+@list",
            "-@write", "+lpush")
    acl.cmd("SET", "k", "v")
    c = login(server, "u")
    assert c.cmd("SET", "k", "v") == noperm_cmd("set")
    assert c.cmd("GET", "k") == b"$1\r\nv\r\n"
    assert c.cmd("STRLEN", "k") == b":1\r\n"
    assert c.cmd("APPEND", "k", "x") == noperm_cmd("append")
    assert c.cmd("LPUSH", "l", "a") == b":1\r\n"
    assert c.cmd("RPUSH", "l", "a") == noperm_cmd("rpush")
    assert c.cmd("LRANGE", "l", "0", "-1") == b"*1\r\n$1\r\na\r\n"
    assert c.cmd("HSET", "h", "f", "v") == noperm_cmd("hset")
    # AUTH is never refused, whatever the rules.
    assert c.cmd("AUTH", "u", "pw") == b"+OK\r\n"
    c.close()


def test_subcommands_and_first_args(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "~*", "-@all", "+config|get", "+select|0",
            "+client", "-client|kill")
    c = login(server, "u")
    assert c.cmd("CONFIG", "GET", "maxmemory") == b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    assert c.cmd("CONFIG", "SET", "maxmemory", "0") == noperm_cmd("config|set")
    assert c.cmd("SELECT", "0") == b"+OK\r\n"
    assert c.cmd("SELECT", "1") == noperm_cmd("select")
    assert c.cmd("CLIENT", "GETNAME") == b"$-1\r\n"
    assert c.cmd("CLIENT", "KILL", "ID", "999999") == noperm_cmd("client|kill")
    c.close()
    # Single commands come in table order, which Redis does not fix: compare as sets.
    rules = acl.cmdp("ACL", "LIST")[1].split(b" ")
    assert rules[:5] == [b"user", b"u", b"on", rules[3], b"~*"]
    assert rules[5:7] == [b"resetchannels", b"-@all"]
    assert sorted(rules[7:]) == [b"+client", b"+config|get", b"+select|0", b"-client|kill"]


def test_key_patterns_read_write(server, acl):
    acl.cmd("SET", "r1", "x")
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "+@all", "%R~r*", "%W~w*", "~both*")
    c = login(server, "u")
    assert c.cmd("GET", "r1") == b"$1\r\nx\r\n"
    assert c.cmd("SET", "r1", "y") == NOPERM_KEYS
    assert c.cmd("SET", "w1", "y") == b"+OK\r\n"
    assert c.cmd("LPUSH", "w2", "a") == b":1\r\n"
    assert c.cmd("GET", "w1") == NOPERM_KEYS
    assert c.cmd("SET", "both1", "v") == b"+OK\r\n"
    assert c.cmd("GET", "both1") == b"$1\r\nv\r\n"
    assert c.cmd("GET", "other") == NOPERM_KEYS
    # Every key of a multi-key command is checked.
    assert c.cmd("MGET", "r1", "both1") == b"*2\r\n$1\r\nx\r\n$1\r\nv\r\n"
    assert c.cmd("MGET", "r1", "zz") == NOPERM_KEYS
    assert c.cmd("DEL", "w1", "w2") == b":2\r\n"
    c.close()


def test_channels(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*", "resetchannels", "&news.*",
            "&lit")
    c = login(server, "u")
    assert c.cmd("PUBLISH", "news.x", "m") == b":0\r\n"
    assert c.cmd("PUBLISH", "other", "m") == NOPERM_CHANNELS
    assert c.cmd("SUBSCRIBE", "news.a", "other") == NOPERM_CHANNELS
    # A pattern subscription must match an allowed pattern literally.
    assert c.cmd("PSUBSCRIBE", "news.*") == b"*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n"
    assert c.cmd("PSUBSCRIBE", "news.a*") == NOPERM_CHANNELS
    assert c.cmd("SUBSCRIBE", "lit") == b"*3\r\n$9\r\nsubscribe\r\n$3\r\nlit\r\n:2\r\n"
    c.close()


def test_acl_pubsub_default(start_server):
    s = start_server("--acl-pubsub-default", "allchannels")
    c = RawConn(s.host, s.port)
    assert c.cmd("ACL", "SETUSER", "u") == b"+OK\r\n"
    assert c.cmdp("ACL", "LIST")[1] == b"user u off &* -@all"
    assert c.cmd("CONFIG", "SET", "acl-pubsub-default", "resetchannels") == b"+OK\r\n"
    assert c.cmd("ACL", "SETUSER", "v") == b"+OK\r\n"
    assert c.cmdp("ACL", "LIST")[2] == b"user v off resetchannels -@all"
    c.close()


def test_selectors_any_allows(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "+get", "~a*", "(+set ~b*)", "(+get %R~c*)")
    c = login(server, "u")
    assert c.cmd("GET", "a1") == b"$-1\r\n"
    assert c.cmd("GET", "c1") == b"$-1\r\n"
    assert c.cmd("SET", "b1", "v") == b"+OK\r\n"
    assert c.cmd("SET", "a1", "v") == NOPERM_KEYS
    assert c.cmd("SET", "c1", "v") == NOPERM_KEYS
    assert c.cmd("GET", "d1") == NOPERM_KEYS
    assert c.cmd("DEL", "b1") == noperm_cmd("del")
    c.close()


def test_multi_with_denied_command_aborts(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "~*", "+multi", "+exec", "+set")
    c = login(server, "u")
    assert c.cmd("MULTI") == b"+OK\r\n"
    assert c.cmd("SET", "k", "v") == b"+QUEUED\r\n"
    assert c.cmd("GET", "k") == noperm_cmd("get")
    assert c.cmd("EXEC") == (b"-EXECABORT Transaction discarded because of previous errors.\r\n")
    c.close()
    log = acl.cmdp("ACL", "LOG")
    assert log[0][5] == b"multi" and log[0][7] == b"get"


def test_scripts_checked_against_caller(server, acl):
    acl.cmd("ACL", "SETUSER", "s", "on", "nopass", "+eval", "+get", "~a*")
    c = login(server, "s", "x")
    r = c.cmd("EVAL", "return redis.call('get','x')", "0")
    assert r.startswith(b"-ERR The user executing the script can't access at least one of the "
                        b"keys mentioned in the command arguments script: ")
    r = c.cmd("EVAL", "return redis.call('set','a','x')", "0")
    assert r.startswith(b"-ERR The user executing the script can't run this command or "
                        b"subcommand script: ")
    assert c.cmd("EVAL", "return redis.pcall('get','x')", "0") == (
        b"-ERR The user executing the script can't access at least one of the keys mentioned in "
        b"the command arguments\r\n")
    assert c.cmd("EVAL", "return redis.call('get','a1')", "0") == b"$-1\r\n"
    c.close()
    log = acl.cmdp("ACL", "LOG")
    assert [(e[3], e[5], e[7]) for e in log] == [
        (b"key", b"lua", b"x"), (b"command", b"lua", b"set")]


# ---- authentication -----------------------------------------------------------------------------

def test_auth_and_hello(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*")
    c = RawConn(server.host, server.port)
    assert c.cmd("AUTH", "u", "bad") == WRONGPASS
    assert c.cmd("AUTH", "nouser", "pw") == WRONGPASS
    assert c.cmd("AUTH", "onlypass") == (
        b"-ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?\r\n")
    assert c.cmd("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"
    assert c.cmd("HELLO", "2", "AUTH", "u", "bad") == WRONGPASS
    assert c.cmd("HELLO", "2", "AUTH", "u", "pw").startswith(b"*14\r\n")
    assert c.cmd("ACL", "WHOAMI") == b"$1\r\nu\r\n"
    assert b" user=u " in c.cmd("CLIENT", "INFO")
    # RESET goes back to the default user; AUTH switches users.
    assert c.cmd("RESET") == b"+RESET\r\n"
    assert c.cmd("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"
    assert c.cmd("AUTH", "u", "pw") == b"+OK\r\n"
    assert c.cmd("AUTH", "default", "any") == b"+OK\r\n"
    assert c.cmd("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"
    assert c.cmd("AUTH", "u", "pw") == b"+OK\r\n"
    # A disabled user cannot authenticate; its open connections keep working.
    assert acl.cmd("ACL", "SETUSER", "u", "off") == b"+OK\r\n"
    assert c.cmd("PING") == b"+PONG\r\n"
    c2 = RawConn(server.host, server.port)
    assert c2.cmd("AUTH", "u", "pw") == WRONGPASS
    c2.close()
    c.close()


def test_default_user_password(server, acl):
    acl.cmd("ACL", "SETUSER", "default", "resetpass", ">dpw")
    c = RawConn(server.host, server.port)
    try:
        assert c.cmd("GET", "k") == b"-NOAUTH Authentication required.\r\n"
        assert c.cmd("HELLO", "2") == (
            b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            b"HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
            b"the RESP protocol version at the same time\r\n")
        assert c.cmd("AUTH", "wrong") == WRONGPASS
        assert c.cmd("AUTH", "dpw") == b"+OK\r\n"
        assert c.cmd("GET", "k") == b"$-1\r\n"
    finally:
        assert c.cmd("AUTH", "dpw") == b"+OK\r\n"
        assert c.cmd("ACL", "SETUSER", "default", "nopass") == b"+OK\r\n"
        c.close()


def test_requirepass_is_default_password(start_server):
    s = start_server("--requirepass", "foo")
    c = RawConn(s.host, s.port)
    assert c.cmd("AUTH", "default", "foo") == b"+OK\r\n"
    h = b"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
    assert c.cmdp("ACL", "LIST") == [b"user default on #" + h + b" ~* &* +@all"]
    assert c.cmd("CONFIG", "SET", "requirepass", "") == b"+OK\r\n"
    assert c.cmdp("ACL", "LIST") == [b"user default on nopass ~* &* +@all"]
    c.close()


def test_deluser_disconnects_its_clients(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*")
    c = login(server, "u")
    other = RawConn(server.host, server.port)
    assert acl.cmd("ACL", "DELUSER", "u", "nouser") == b":1\r\n"
    assert c.closed_by_peer()
    assert other.cmd("PING") == b"+PONG\r\n"
    other.close()


def test_client_kill_user(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*")
    c = login(server, "u")
    assert acl.cmd("CLIENT", "KILL", "USER", "u") == b":1\r\n"
    assert c.closed_by_peer()
    assert acl.cmd("CLIENT", "KILL", "USER", "nouser") == b"-ERR No such user 'nouser'\r\n"


# ---- ACL LOG ------------------------------------------------------------------------------------

def log_fields(entry):
    return dict(zip(entry[0::2], entry[1::2]))


def test_acl_log_entries(server, acl):
    acl.cmd("ACL", "SETUSER", "r", "on", ">pw", "+@read", "~r*", "&c")
    c = RawConn(server.host, server.port)
    assert c.cmd("AUTH", "x", "bad") == WRONGPASS
    assert c.cmd("AUTH", "r", "pw") == b"+OK\r\n"
    assert c.cmd("GET", "x") == NOPERM_KEYS
    assert c.cmd("GET", "x") == NOPERM_KEYS
    assert c.cmd("SET", "r1", "v") == noperm_cmd("set")
    assert c.cmd("SUBSCRIBE", "d") == noperm_cmd("subscribe")
    c.close()
    log = acl.cmdp("ACL", "LOG")
    assert len(log) == 4
    got = [log_fields(e) for e in log]
    assert [list(e.keys()) for e in got] == [[b"count", b"reason", b"context", b"object",
                                             b"username", b"age-seconds", b"client-info"]] * 4
    assert [(e[b"count"], e[b"reason"], e[b"context"], e[b"object"], e[b"username"])
            for e in got] == [
        (1, b"command", b"toplevel", b"subscribe", b"r"),
        (1, b"command", b"toplevel", b"set", b"r"),
        (2, b"key", b"toplevel", b"x", b"r"),
        (1, b"auth", b"toplevel", b"AUTH", b"x"),
    ]
    assert b" cmd=get user=r " in got[2][b"client-info"]
    assert float(got[0][b"age-seconds"]) < 5
    assert len(acl.cmdp("ACL", "LOG", "2")) == 2
    assert acl.cmd("ACL", "LOG", "-1") == b"*0\r\n"
    assert acl.cmd("ACL", "LOG", "foo") == b"-ERR value is not an integer or out of range\r\n"
    assert acl.cmd("ACL", "LOG", "1", "2") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.\r\n")
    assert acl.cmd("ACL", "LOG", "RESET") == b"+OK\r\n"
    assert acl.cmd("ACL", "LOG") == b"*0\r\n"


def test_acl_log_max_len(server, acl):
    acl.cmd("CONFIG", "SET", "acllog-max-len", "2")
    try:
        for u in ("a", "b", "c"):
            c = RawConn(server.host, server.port)
            assert c.cmd("AUTH", u, "x") == WRONGPASS
            c.close()
        assert [log_fields(e)[b"username"] for e in acl.cmdp("ACL", "LOG")] == [b"c", b"b"]
    finally:
        acl.cmd("CONFIG", "SET", "acllog-max-len", "128")


# ---- DRYRUN, CAT, GENPASS, WHOAMI ---------------------------------------------------------------

def test_dryrun(acl):
    acl.cmd("ACL", "SETUSER", "x", "+get", "~k*", "&a")
    assert acl.cmd("ACL", "DRYRUN", "x", "get", "k1") == b"+OK\r\n"
    assert acl.cmd("ACL", "DRYRUN", "x", "get", "b") == bulk(
        "This user has no permissions to access the 'b' key")
    assert acl.cmd("ACL", "DRYRUN", "x", "publish", "zz", "m") == bulk(
        "This user has no permissions to run the 'publish' command")
    acl.cmd("ACL", "SETUSER", "x", "+publish", "+subscribe")
    assert acl.cmd("ACL", "DRYRUN", "x", "subscribe", "a", "zz") == bulk(
        "This user has no permissions to access the 'zz' channel")
    assert acl.cmd("ACL", "DRYRUN", "x", "set", "k1", "v") == bulk(
        "This user has no permissions to run the 'set' command")
    assert acl.cmd("ACL", "DRYRUN", "nouser", "get", "c") == b"-ERR User 'nouser' not found\r\n"
    assert acl.cmd("ACL", "DRYRUN", "x", "nocmd") == b"-ERR Command 'nocmd' not found\r\n"
    assert acl.cmd("ACL", "DRYRUN", "x", "get") == (
        b"-ERR wrong number of arguments for 'get' command\r\n")
    # Nothing ran and nothing was logged.
    assert acl.cmd("ACL", "LOG") == b"*0\r\n"


def test_cat(acl):
    cats = acl.cmdp("ACL", "CAT")
    assert cats == [b"keyspace", b"read", b"write", b"set", b"sortedset", b"list", b"hash",
                    b"string", b"bitmap", b"hyperloglog", b"geo", b"stream", b"pubsub", b"admin",
                    b"fast", b"slow", b"blocking", b"dangerous", b"connection", b"transaction",
                    b"scripting"]
    assert sorted(acl.cmdp("ACL", "CAT", "transaction")) == [
        b"discard", b"exec", b"multi", b"unwatch", b"watch"]
    assert b"acl|setuser" in acl.cmdp("ACL", "CAT", "dangerous")
    assert b"eval_ro" not in acl.cmdp("ACL", "CAT", "read")


def test_genpass_whoami(acl):
    p = acl.cmdp("ACL", "GENPASS")
    assert len(p) == 64 and all(ch in b"0123456789abcdef" for ch in p)
    assert p != acl.cmdp("ACL", "GENPASS")
    assert len(acl.cmdp("ACL", "GENPASS", "5")) == 2
    err = (b"-ERR ACL GENPASS argument must be the number of bits for the output password, a "
           b"positive number up to 4096\r\n")
    assert acl.cmd("ACL", "GENPASS", "0") == err
    assert acl.cmd("ACL", "GENPASS", "4097") == err
    assert acl.cmd("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"


# ---- the ACL file and config-file users ---------------------------------------------------------

def test_aclfile_load_save_round_trip(start_server, tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("user default on nopass ~* &* +@all\nuser a on >x +get ~k*\n")
    s = start_server("--aclfile", str(path))
    c = RawConn(s.host, s.port)
    ha = b"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert c.cmdp("ACL", "LIST") == [b"user a on #" + ha + b" ~k* resetchannels -@all +get",
                                     b"user default on nopass ~* &* +@all"]
    a = RawConn(s.host, s.port)
    assert a.cmd("AUTH", "a", "x") == b"+OK\r\n"
    # A bad file changes nothing and names every error.
    path.write_text("user b on +nosuch\nfoo bar\nuser a on\nuser a off\nuser x (+get\n")
    p = str(path).encode()
    assert c.cmd("ACL", "LOAD") == (
        b"-ERR " + p + b":1: Error in applying operation '+nosuch': Unknown command or category "
        b"name in ACL. " + p + b":2 should start with user keyword followed by the username. "
        b"WARNING: Duplicate user 'a' found on line 4. " + p + b":5: Unmatched parenthesis in "
        b"selector definition.WARNING: ACL errors detected, no change to the previously active "
        b"ACL rules was performed\r\n")
    assert a.cmd("GET", "k1") == b"$-1\r\n"
    path.write_text("user b on >p\n")
    assert c.cmd("ACL", "LOAD") == b"+OK\r\n"
    # Users were replaced: their clients are gone.
    assert a.closed_by_peer()
    assert c.cmd("ACL", "SETUSER", "z", "on", ">pw", "+@read", "%R~r*") == b"+OK\r\n"
    assert c.cmd("ACL", "SAVE") == b"+OK\r\n"
    hb = "148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940"
    hz = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"
    assert path.read_text() == (
        "user b on #%s resetchannels -@all\nuser default on nopass ~* &* +@all\n"
        "user z on #%s %%R~r* resetchannels -@all +@read\n" % (hb, hz))
    assert [f for f in os.listdir(tmp_path) if f != "users.acl"] == []
    path.unlink()
    assert c.cmd("ACL", "LOAD") == (
        b"-ERR Error loading ACLs, opening file '" + p + b"': No such file or directory\r\n")
    c.close()
    # The saved file loads back at start-up.
    path.write_text("user default on nopass ~* &* +@all\nuser z on >pw %R~r* +@read\n")
    s2 = start_server("--aclfile", str(path))
    c2 = RawConn(s2.host, s2.port)
    assert c2.cmdp("ACL", "LIST")[1] == b"user z on #" + hz.encode() + (
        b" %R~r* resetchannels -@all +@read")
    c2.close()


def test_no_aclfile(acl):
    err = (b"-ERR This Redis instance is not configured to use an ACL file. You may want to "
           b"specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming "
           b"you have a Redis configuration file set) in order to store users in the Redis "
           b"configuration.\r\n")
    assert acl.cmd("ACL", "SAVE") == err
    assert acl.cmd("ACL", "LOAD") == err


def test_config_file_users(start_server, tmp_path):
    conf = tmp_path / "s.conf"
    conf.write_text("user alice on >secret ~a* +get\n"
                    "user default on nopass ~* &* +@all -flushall\n")
    s = start_server(str(conf))
    c = RawConn(s.host, s.port)
    assert c.cmdp("ACL", "LIST") == [
        b"user alice on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~a* "
        b"resetchannels -@all +get",
        b"user default on nopass sanitize-payload ~* &* +@all -flushall"]
    assert c.cmd("FLUSHALL") == noperm_cmd("flushall")
    a = RawConn(s.host, s.port)
    assert a.cmd("AUTH", "alice", "secret") == b"+OK\r\n"
    assert a.cmd("GET", "a1") == b"$-1\r\n"
    assert a.cmd("GET", "b1") == NOPERM_KEYS
    a.close()
    c.close()


def test_config_users_and_aclfile_refused(tmp_path):
    conf = tmp_path / "s.conf"
    acl_path = tmp_path / "u.acl"
    acl_path.write_text("")
    conf.write_text("port %d\nbind 127.0.0.1\nuser alice on\naclfile %s\n" % (free_port(), acl_path))
    p = subprocess.run([SERVER_BIN, str(conf)], cwd=str(tmp_path), capture_output=True,
                       timeout=20)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert b"Configuring Redis with users defined in redis.conf and at the same setting an ACL "\
        b"file path is invalid." in out


def test_pipelined_denials_keep_order(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "+get", "~k*")
    c = login(server, "u")
    c.send_raw(encode_command("GET", "k1") + encode_command("GET", "z") +
               encode_command("SET", "k1", "v") + encode_command("GET", "k1"))
    assert c.read_reply() == b"$-1\r\n"
    assert c.read_reply() == NOPERM_KEYS
    assert c.read_reply() == noperm_cmd("set")
    assert c.read_reply() == b"$-1\r\n"
    c.close()
    assert [log_fields(e)[b"object"] for e in acl.cmdp("ACL", "LOG")] == [b"set", b"z"]


def test_subscribers_losing_channel_rights_are_disconnected(server, acl):
    acl.cmd("ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*", "&*")
    keep = login(server, "u")
    assert keep.cmd("SUBSCRIBE", "bar") == b"*3\r\n$9\r\nsubscribe\r\n$3\r\nbar\r\n:1\r\n"
    lose = login(server, "u")
    assert lose.cmd("PSUBSCRIBE", "fo*") == b"*3\r\n$10\r\npsubscribe\r\n$3\r\nfo*\r\n:1\r\n"
    idle = login(server, "u")
    assert acl.cmd("ACL", "SETUSER", "u", "resetchannels", "&bar", "&f*") == b"+OK\r\n"
    assert lose.closed_by_peer()
    assert keep.cmd("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    assert idle.cmd("PING") == b"+PONG\r\n"
    keep.close()
    idle.close()


def test_functions_checked_against_caller(server, acl):
    lib = ("#!lua name=acltest\nredis.register_function('g', function(keys, args) "
           "return redis.call('get', args[1]) end)")
    assert acl.cmd("FUNCTION", "LOAD", "REPLACE", lib) == b"$7\r\nacltest\r\n"
    try:
        acl.cmd("ACL", "SETUSER", "f", "on", "nopass", "+fcall", "~a*")
        c = login(server, "f", "x")
        assert c.cmd("FCALL", "g", "0", "a1") == (
            b"-ERR The user executing the script can't run this command or subcommand script: g, "
            b"on @user_function:2.\r\n")
        acl.cmd("ACL", "SETUSER", "f", "+get")
        assert c.cmd("FCALL", "g", "0", "a1") == b"$-1\r\n"
        assert c.cmd("FCALL", "g", "0", "x") == (
            b"-ERR The user executing the script can't access at least one of the keys mentioned "
            b"in the command arguments script: g, on @user_function:2.\r\n")
        c.close()
    finally:
        assert acl.cmd("FUNCTION", "DELETE", "acltest") == b"+OK\r\n"


def test_exec_checks_queued_commands_again(server, acl):
    acl.cmd("ACL", "SETUSER", "m", "on", ">pw", "~*", "+multi", "+exec", "+set", "+get")
    c = login(server, "m")
    assert c.cmd("MULTI") == b"+OK\r\n"
    assert c.cmd("SET", "k", "v") == b"+QUEUED\r\n"
    assert c.cmd("GET", "k") == b"+QUEUED\r\n"
    assert acl.cmd("ACL", "SETUSER", "m", "-get", "resetkeys", "~z") == b"+OK\r\n"
    prefix = (b"-NOPERM ACLs rules changed between the moment the transaction was accumulated and "
              b"the EXEC call. This command is no longer allowed for the following reason: ")
    assert c.cmd("EXEC") == (b"*2\r\n" + prefix + b"no permission to touch the specified keys\r\n" +
                             prefix + b"no permission to execute the command or subcommand\r\n")
    c.close()
    assert acl.cmd("GET", "k") == b"$-1\r\n"
    log = [log_fields(e) for e in acl.cmdp("ACL", "LOG")]
    assert [(e[b"reason"], e[b"context"], e[b"object"]) for e in log] == [
        (b"command", b"multi", b"get"), (b"key", b"multi", b"k")]


def test_sort_patterns_need_access_to_every_key(server, acl):
    acl.cmd("RPUSH", "l1", "2", "1")
    acl.cmd("ACL", "SETUSER", "so", "on", ">pw", "~l*", "+@all")
    acl.cmd("ACL", "SETUSER", "all", "on", ">pw", "%R~*", "%W~l*", "+@all")
    c = login(server, "so")
    by_err = b"-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n"
    get_err = b"-ERR GET option of SORT denied due to insufficient ACL permissions.\r\n"
    assert c.cmd("SORT", "l1") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert c.cmd("SORT", "l1", "BY", "nosort") == b"*2\r\n$1\r\n2\r\n$1\r\n1\r\n"
    assert c.cmd("SORT", "l1", "BY", "w_*") == by_err
    assert c.cmd("SORT_RO", "l1", "BY", "w_*") == by_err
    assert c.cmd("SORT", "l1", "GET", "#") == get_err
    assert c.cmd("SORT", "l1", "GET", "h_*->f") == get_err
    # The same from a script: the caller's rights apply.
    assert c.cmd("EVAL", "return redis.pcall('sort', KEYS[1], 'GET', 'x*')", "1", "l1") == get_err
    c.close()
    c = login(server, "all")
    assert c.cmd("SORT", "l1", "BY", "w_*", "GET", "#") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    c.close()
