"""COMMAND INFO of every command both servers have, compared whole: name, arity, flags, key
positions, ACL categories, tips, key specs and subcommands.

Allowed differences, all deliberate: the prose "notes" of Redis's key specs (PairDB does not
reproduce Redis's sentences), the order of subcommands (Redis lists them in hash order) and
subcommands only one server has (they are compared where both have them).
RESP2 replies are parsed and compared after removing those; RESP3 replies of commands with
neither notes nor subcommands are compared byte for byte, which pins the reply shapes (sets for
flags, tips and key specs, maps inside a spec).
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
import run_diff  # noqa: E402
from resp import parse_reply  # noqa: E402


@pytest.fixture(scope='module')
def pair():
    ref, dut, _ = run_diff.server_binaries()
    if not os.access(ref, os.X_OK):
        pytest.skip('reference server %s is not installed' % ref)
    if not os.access(dut, os.X_OK):
        pytest.fail('server under test %s does not exist (build it first)' % dut)
    p = run_diff.Pair().__enter__()
    yield p
    p.close()


def names(conn):
    return set(n.decode() for n in parse_reply(conn.cmd('COMMAND', 'LIST')))


def without_notes(info, common):
    """info with each key spec's leading notes pair removed and only the subcommands both
    servers have, sorted by name."""
    info = list(info)
    info[8] = [s[2:] if s[:1] == [b'notes'] else s for s in info[8]]
    subs = [without_notes(s, common) for s in info[9] if s[0].decode() in common]
    info[9] = sorted(subs, key=lambda s: s[0])
    return info


def has_notes(info):
    return any(s[:1] == [b'notes'] for s in info[8])


def test_command_info_matches_reference(pair):
    ref = run_diff.open_conn(pair.ref, 2)
    dut = run_diff.open_conn(pair.dut, 2)
    common = sorted(names(ref) & names(dut))
    assert len(common) > 250
    diffs = []
    notes = 0
    for name in common:
        want = parse_reply(ref.cmd('COMMAND', 'INFO', name))[0]
        got = parse_reply(dut.cmd('COMMAND', 'INFO', name))[0]
        notes += has_notes(want)
        if without_notes(want, common) != without_notes(got, common):
            diffs.append('%s:\n  redis:  %r\n  pairdb: %r' % (name, want, got))
        if has_notes(got) and not os.environ.get('PAIRDB_DIFF_SELF'):
            diffs.append('%s: PairDB sends key spec notes' % name)
    assert notes > 0  # the allowance is exercised
    assert not diffs, '\n'.join(diffs)


def test_command_info_resp3_bytes(pair):
    ref = run_diff.open_conn(pair.ref, 3)
    dut = run_diff.open_conn(pair.dut, 3)
    ref2 = run_diff.open_conn(pair.ref, 2)
    common = sorted(names(ref2) & names(run_diff.open_conn(pair.dut, 2)))
    compared = 0
    diffs = []
    for name in common:
        info = parse_reply(ref2.cmd('COMMAND', 'INFO', name))[0]
        if has_notes(info) or info[9]:
            continue
        want, got = ref.cmd('COMMAND', 'INFO', name), dut.cmd('COMMAND', 'INFO', name)
        compared += 1
        if want != got:
            diffs.append('%s:\n  redis:  %r\n  pairdb: %r' % (name, want, got))
    assert compared > 200
    assert not diffs, '\n'.join(diffs)


def doc_arguments(conn, name):
    """The "arguments" of COMMAND DOCS <name> (None when absent), and the doc's field names."""
    reply = parse_reply(conn.cmd('COMMAND', 'DOCS', name))
    if not reply:
        return None, []
    doc = dict(zip(reply[1][0::2], reply[1][1::2]))
    return doc.get(b'arguments'), list(doc)


def test_command_docs_arguments_match_reference(pair):
    """COMMAND DOCS arguments (names, types, tokens, key spec indexes, since, flags, nesting)
    are Redis's for every command both have; the prose around them is PairDB's own."""
    ref = run_diff.open_conn(pair.ref, 2)
    dut = run_diff.open_conn(pair.dut, 2)
    common = sorted(names(ref) & names(dut))
    diffs = []
    with_args = 0
    for name in common:
        want, _ = doc_arguments(ref, name)
        got, fields = doc_arguments(dut, name)
        with_args += want is not None
        if want != got:
            diffs.append('%s:\n  redis:  %r\n  pairdb: %r' % (name, want, got))
        # Redis's order of the fields PairDB has: arguments come before subcommands.
        order = [f for f in (b'summary', b'since', b'group', b'complexity', b'arguments',
                             b'subcommands') if f in fields]
        if fields != order:
            diffs.append('%s: doc fields in order %r' % (name, fields))
    assert with_args > 200
    assert not diffs, '\n'.join(diffs)


def test_command_docs_resp3_argument_bytes(pair):
    """RESP3: the arguments part of the reply is byte for byte Redis's (maps, flag sets)."""
    ref, dut = run_diff.open_conn(pair.ref, 3), run_diff.open_conn(pair.dut, 3)
    for name in ('set', 'zadd', 'bitfield', 'xreadgroup', 'client|kill', 'georadius', 'sort'):
        want, got = ref.cmd('COMMAND', 'DOCS', name), dut.cmd('COMMAND', 'DOCS', name)
        cut = b'$9\r\narguments\r\n'
        assert cut in want and cut in got
        assert got[got.index(cut):] == want[want.index(cut):], name
