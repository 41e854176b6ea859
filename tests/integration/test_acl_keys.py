"""ACL key permissions from key specs: each key of a command needs what its key spec flags say
(access: read; insert, update, delete: write; neither: only a matching pattern), so %R and %W
patterns allow exactly what Redis 7 allows. Runs against redis-server too (PAIRDB_TARGET=redis);
replies are compared byte for byte.

The user `u` reads keys named r:*, writes keys named w:*, does both on b:*. For every command of
the matrix and every way of naming its keys from those three families, ACL DRYRUN must say OK
exactly when each key's family covers what that key needs, else name the first key (in key-spec
order) that it does not; a real call must then succeed or fail with NOPERM, and the ACL log must
name the same key.
"""
import itertools

import pytest

from resp import RawConn
from test_acl import NOPERM_KEYS, bulk, log_fields

GRANTS = {"r": "R", "w": "W", "b": "RW"}

# (command with {0}, {1}... for keys, what each key needs, in key-spec order)
MATRIX = [
    ("COPY {0} {1}", ["R", "W"]),
    ("LMOVE {0} {1} LEFT RIGHT", ["RW", "W"]),
    ("SMOVE {0} {1} m", ["RW", "W"]),
    ("SINTERSTORE {0} {1} {2}", ["W", "R", "R"]),
    ("ZUNIONSTORE {0} 2 {1} {2}", ["W", "R", "R"]),
    ("SORT {0} STORE {1}", ["R", "W"]),
    ("SORT {0}", ["R"]),
    ("GEOSEARCHSTORE {0} {1} FROMLONLAT 0 0 BYRADIUS 1 km", ["W", "R"]),
    ("PFMERGE {0} {1}", ["RW", "R"]),
    ("BITOP AND {0} {1} {2}", ["W", "R", "R"]),
    ("RENAME {0} {1}", ["RW", "W"]),
    ("GETEX {0}", ["RW"]),
    ("INCR {0}", ["RW"]),
    ("SET {0} v", ["W"]),
    ("SET {0} v GET", ["RW"]),
    ("APPEND {0} v", ["W"]),
    ("DEL {0} {1}", ["W", "W"]),
    ("EXISTS {0} {1}", ["", ""]),
    ("EVAL return 2 {0} {1}", ["RW", "RW"]),
    ("EVAL_RO return 1 {0}", ["R"]),
    ("XREADGROUP GROUP g c STREAMS {0} {1} > >", ["R", "R"]),
    ("BITFIELD {0} GET u8 0", ["R"]),
    ("BITFIELD {0} SET u8 0 1", ["RW"]),
]


def covers(family, need):
    return all(p in GRANTS[family] for p in need)


def cases():
    for template, needs in MATRIX:
        for families in itertools.product("rwb", repeat=len(needs)):
            keys = ["%s:%d" % (f, i) for i, f in enumerate(families)]
            args = template.format(*keys).split()
            denied = next((k for k, f, n in zip(keys, families, needs) if not covers(f, n)), None)
            yield pytest.param(args, denied, id=" ".join(args))


@pytest.fixture(scope="module")
def user(server):
    c = RawConn(server.host, server.port)
    assert c.cmd("ACL", "SETUSER", "u", "on", ">pw", "+@all", "%R~r:*", "%W~w:*",
                 "~b:*") == b"+OK\r\n"
    yield "u"
    # Only this module's user goes: the default user stays as it was.
    assert c.cmd("ACL", "DELUSER", "u") == b":1\r\n"
    assert c.cmd("ACL", "LOG", "RESET") == b"+OK\r\n"
    c.close()


@pytest.mark.parametrize("args,denied", list(cases()))
def test_dryrun_matrix(raw, user, args, denied):
    want = b"+OK\r\n" if denied is None else bulk(
        "This user has no permissions to access the '%s' key" % denied)
    assert raw.cmd("ACL", "DRYRUN", user, *args) == want


# One real call per command: every key in the family it does not cover, then every key in b:*.
@pytest.mark.parametrize("template,needs", MATRIX, ids=[m[0] for m in MATRIX])
def test_execution_and_log(server, raw, user, template, needs):
    c = RawConn(server.host, server.port)
    assert c.cmd("AUTH", user, "pw") == b"+OK\r\n"
    raw.cmd("ACL", "LOG", "RESET")
    wrong = ["%s:%d" % ("w" if "R" in n else "r", i) for i, n in enumerate(needs)]
    if any(needs):
        assert c.cmd(*template.format(*wrong).split()) == NOPERM_KEYS
        log = [log_fields(e) for e in raw.cmdp("ACL", "LOG")]
        assert [(e[b"reason"], e[b"context"], e[b"object"], e[b"username"]) for e in log] == [
            (b"key", b"toplevel", wrong[0].encode(), b"u")]
    else:
        assert not c.cmd(*template.format(*wrong).split()).startswith(b"-NOPERM")
        assert raw.cmd("ACL", "LOG") == b"*0\r\n"
    good = ["b:%d" % i for i in range(len(needs))]
    assert not c.cmd(*template.format(*good).split()).startswith(b"-NOPERM")
    c.close()


def test_getkeysandflags_examples(raw):
    """The flags the matrix relies on, as COMMAND GETKEYSANDFLAGS reports them."""
    def flags(*args):
        return [(k, sorted(f)) for k, f in raw.cmdp("COMMAND", "GETKEYSANDFLAGS", *args)]
    assert flags("COPY", "a", "b") == [(b"a", [b"RO", b"access"]), (b"b", [b"OW", b"update"])]
    assert flags("SET", "a", "v") == [(b"a", [b"OW", b"update"])]
    assert flags("SET", "a", "v", "get") == [(b"a", [b"RW", b"access", b"update"])]
    assert flags("SORT", "a", "LIMIT", "0", "1", "STORE", "d") == [
        (b"a", [b"RO", b"access"]), (b"d", [b"OW", b"update"])]
    assert flags("BITFIELD", "a", "GET", "u8", "0") == [(b"a", [b"RO", b"access"])]
    assert flags("EXISTS", "a") == [(b"a", [b"RO"])]
    # A bad key count: the spec cannot apply and the key finder finds nothing; EVAL's keys
    # are optional, ZUNIONSTORE's are not.
    assert raw.cmd("COMMAND", "GETKEYSANDFLAGS", "EVAL", "s", "3", "a") == b"*0\r\n"
    assert raw.cmd("COMMAND", "GETKEYSANDFLAGS", "EVAL", "s", "0") == b"*0\r\n"
    assert raw.cmd("COMMAND", "GETKEYSANDFLAGS", "ZUNIONSTORE", "d", "5", "a") == (
        b"-ERR Invalid arguments specified for command\r\n")
    assert raw.cmd("COMMAND", "GETKEYSANDFLAGS", "PING", "x") == (
        b"-ERR The command has no key arguments\r\n")


def test_shard_channels_are_not_keys(server, raw, user):
    """SPUBLISH's channel sits where a key would (a not_key spec): channel rules apply."""
    raw.cmd("ACL", "SETUSER", "s", "on", ">pw", "+@all", "~nothing", "resetchannels", "&ch")
    try:
        assert raw.cmd("ACL", "DRYRUN", "s", "SPUBLISH", "ch", "m") == b"+OK\r\n"
        assert raw.cmd("ACL", "DRYRUN", "s", "SPUBLISH", "other", "m") == bulk(
            "This user has no permissions to access the 'other' channel")
    finally:
        raw.cmd("ACL", "DELUSER", "s")
