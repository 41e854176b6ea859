"""COMMAND DOCS arguments: the syntax trees clients read for hints. Runs against redis-server
too (PAIRDB_TARGET=redis); the exact shapes are compared with redis-server for every command
in tests/diff/test_command_info.py, this file checks what a client sees from them.
"""
import re

import pytest

from test_pairdb_cli import CLI, run, target

SYNOPSES = {
    "zadd": "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]",
    "set": "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|"
           "PXAT unix-time-milliseconds|KEEPTTL]",
    "xreadgroup": "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] "
                  "STREAMS key [key ...] id [id ...]",
    "georadius": "key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] "
                 "[COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]",
    "config get": "parameter [parameter ...]",
    "pfcount": "key [key ...]",
}


@pytest.mark.parametrize("command", sorted(SYNOPSES))
def test_pairdb_cli_help_synopsis(server, command):
    rc, out, _ = run(CLI, target(server), stdin=b"help %s\n" % command.encode())
    assert rc == 0
    plain = re.sub(rb"\x1b\[[0-9;]*m", b"", out).decode()
    want = "  %s %s" % (command.upper(), SYNOPSES[command])
    assert want in plain.splitlines()


def test_docs_argument_fields(raw):
    """One argument of each kind, as the reply carries it."""
    doc = raw.cmdp("COMMAND", "DOCS", "set")
    args = dict(zip(doc[1][0::2], doc[1][1::2]))[b"arguments"]
    assert args[0] == [b"name", b"key", b"type", b"key", b"key_spec_index", 0]
    assert args[3] == [b"name", b"get", b"type", b"pure-token", b"token", b"GET",
                       b"since", b"6.2.0", b"flags", [b"optional"]]
    assert args[2][:8] == [b"name", b"condition", b"type", b"oneof", b"since", b"2.6.12",
                           b"flags", [b"optional"]]
    assert args[2][8:] == [b"arguments", [[b"name", b"nx", b"type", b"pure-token", b"token",
                                           b"NX"],
                                          [b"name", b"xx", b"type", b"pure-token", b"token",
                                           b"XX"]]]
