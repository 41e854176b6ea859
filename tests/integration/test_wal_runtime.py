"""The write-ahead log switched at run time (CONFIG SET appendonly), and what INFO says of it."""
import os

import pytest
import redis

from conftest import IS_REDIS

pytestmark = pytest.mark.skipif(IS_REDIS, reason="PairDB's log: wal/ segments and snapshots")


def client(s):
    return redis.Redis(host=s.host, port=s.port, decode_responses=True)


def test_log_switched_on_at_run_time_keeps_earlier_writes(start_server):
    s = start_server("--appendonly", "no")
    r = client(s)
    r.set("before", "1")
    r.rpush("list", "a", "b")
    assert r.config_set("appendonly", "yes")
    # The writes made without a log are in the snapshot the log starts from.
    assert any(n.endswith(".pdb") for n in os.listdir(os.path.join(s.dir, "snap")))
    assert any(n.endswith(".log") for n in os.listdir(os.path.join(s.dir, "wal")))
    r.set("after", "2")
    r.rpush("list", "c")
    info = r.info("persistence")
    assert info["aof_enabled"] == 1
    s.extra += ["--appendonly", "yes"]
    s.crash_restart()
    r = client(s)
    assert r.get("before") == "1"
    assert r.get("after") == "2"
    assert r.lrange("list", 0, -1) == ["a", "b", "c"]


def test_log_switched_off_at_run_time_stops_logging(start_server):
    s = start_server("--appendonly", "yes")
    r = client(s)
    r.set("logged", "1")
    assert r.config_set("appendonly", "no")
    assert r.info("persistence")["aof_enabled"] == 0
    r.set("unlogged", "2")
    s.crash_restart()  # same arguments: the log is replayed at start
    r = client(s)
    assert r.get("logged") == "1"
    assert r.get("unlogged") is None


def test_fsync_policy_changes_at_run_time(start_server):
    s = start_server("--appendonly", "yes", "--appendfsync", "always")
    r = client(s)
    assert r.config_set("appendfsync", "everysec")
    for i in range(50):
        r.set("k%d" % i, i)
    assert r.config_get("appendfsync") == {"appendfsync": "everysec"}
    s.crash_restart()  # a process crash loses nothing answered under everysec either
    r = client(s)
    assert [r.get("k%d" % i) for i in range(50)] == [str(i) for i in range(50)]
