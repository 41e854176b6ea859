"""pytest entry for the differential tests: one test per script file per protocol.

Both servers are started once per session (see run_diff.Pair); each test runs one script on
fresh connections after FLUSHALL and fails with the full mismatch report. The server under test
is PAIRDB_SERVER (default build/pairdb-server); PAIRDB_DIFF_SELF=1 compares redis-server with a
second redis-server instance instead.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_diff  # noqa: E402

SCRIPTS = run_diff.all_scripts()


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


def _param(script):
    # later.txt names commands that later issues build.
    marks = [pytest.mark.needs_types] if os.path.basename(script) == 'later.txt' else []
    return pytest.param(script, marks=marks, id=os.path.basename(script)[:-4])


@pytest.mark.parametrize('proto', [2, 3], ids=['resp2', 'resp3'])
@pytest.mark.parametrize('script', [_param(s) for s in SCRIPTS])
def test_diff(pair, script, proto):
    mism = run_diff.run_script(pair, script, proto)
    assert not mism, '%d replies differ:\n%s' % (
        len(mism), run_diff.format_mismatches(mism, proto, pair.dut.label))
