"""Random argument lists, fixed seeds: COMMAND GETKEYS / GETKEYSANDFLAGS and ACL DRYRUN must
answer exactly as redis-server for every command both servers have.

The words mix key names, counts (zero, negative, past the end, past 32 bits), keywords that
key specs search for (STREAMS, KEYS, STORE, GET...) and others, so the evaluator meets
missing keywords, bad counts and short argument lists. One deliberate difference is kept out
of the words: a count of 2^32+1, which Redis 7.0 truncates to 1 and PairDB refuses.
"""
import os
import random
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
import run_diff  # noqa: E402
from resp import parse_reply  # noqa: E402

WORDS = ['k', 'a', 'r1', 'w1', 'b1', '0', '1', '2', '3', '-1', '-2', '99', '2147483648', 'x', '',
         'STREAMS', 'streams', 'KEYS', 'STORE', 'STOREDIST', 'GET', 'get', 'SET', 'BY', 'LIMIT',
         'GROUP', 'COUNT', 'BLOCK', 'WEIGHTS', 'FROMMEMBER', 'overflow', 'incrby', '>', '$']
# Commands whose DRYRUN would act on the servers' own users or processes.
SKIP = ('acl', 'debug', 'shutdown', 'monitor')


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


def common_commands(ref, dut):
    names = set(parse_reply(ref.cmd('COMMAND', 'LIST'))) & set(parse_reply(dut.cmd('COMMAND',
                                                                                 'LIST')))
    return sorted(n.decode().split('|') for n in names if n.decode().split('|')[0] not in SKIP)


def random_calls(commands, seed, count):
    rng = random.Random(seed)
    for _ in range(count):
        yield rng.choice(commands) + [rng.choice(WORDS) for _ in range(rng.randint(0, 9))]


def compare(conns, prefix, calls):
    ref, dut = conns
    diffs = []
    for args in calls:
        want, got = ref.cmd(*(prefix + args)), dut.cmd(*(prefix + args))
        if want != got:
            diffs.append('%s %s\n  redis:  %r\n  pairdb: %r' % (' '.join(prefix), args,
                                                                want[:200], got[:200]))
    return diffs


@pytest.mark.parametrize('seed', [1, 2])
def test_getkeys_random(pair, seed):
    conns = run_diff.open_conn(pair.ref, 2), run_diff.open_conn(pair.dut, 2)
    calls = list(random_calls(common_commands(*conns), seed, 1500))
    diffs = compare(conns, ['COMMAND', 'GETKEYSANDFLAGS'], calls)
    diffs += compare(conns, ['COMMAND', 'GETKEYS'], calls)
    assert not diffs, '%d differ:\n%s' % (len(diffs), '\n'.join(diffs[:20]))


@pytest.mark.parametrize('seed', [3, 4])
def test_acl_dryrun_random(pair, seed):
    conns = run_diff.open_conn(pair.ref, 2), run_diff.open_conn(pair.dut, 2)
    for c in conns:
        assert c.cmd('ACL', 'SETUSER', 'fz', 'reset', 'on', '>pw', '+@all', '%R~r*', '%W~w*',
                     '~b*', '&*') == b'+OK\r\n'
    try:
        calls = list(random_calls(common_commands(*conns), seed, 1500))
        diffs = compare(conns, ['ACL', 'DRYRUN', 'fz'], calls)
        assert not diffs, '%d differ:\n%s' % (len(diffs), '\n'.join(diffs[:20]))
    finally:
        for c in conns:
            c.cmd('ACL', 'DELUSER', 'fz')
