"""INFO is what Debian's prometheus-redis-exporter reads: it must scrape PairDB unchanged.

The exporter is started against the test server and its /metrics output is checked for the
metrics dashboards use most, with values that follow the server's state.
"""

import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest
import redis

from conftest import free_port, wait_for

EXPORTER = shutil.which("prometheus-redis-exporter")


def _scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as resp:
        return resp.read().decode()


def _value(text, name, labels=""):
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return float(m.group(1)) if m else None


@pytest.fixture
def exporter(server):
    if not EXPORTER:
        pytest.fail("prometheus-redis-exporter is not installed (scripts/deps.sh test installs it)",
                    pytrace=False)
    port = free_port()
    proc = subprocess.Popen([EXPORTER, "-redis.addr", "redis://%s:%d" % (server.host, server.port),
                             "-web.listen-address", "127.0.0.1:%d" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def up():
        try:
            return _scrape(port)
        except OSError:
            return None
    assert wait_for(up, timeout=10), "exporter did not start"
    yield port
    proc.terminate()
    proc.wait(5)


def test_exporter_scrapes_pairdb(server, r, exporter):
    r.set("k1", "v")
    r.set("k2", "v", ex=100)
    for _ in range(5):
        r.get("k1")
    text = _scrape(exporter)
    assert _value(text, "redis_up") == 1
    assert _value(text, "redis_exporter_last_scrape_error", '{err=""}') == 0
    assert _value(text, "redis_db_keys", '{db="db0"}') == 2
    assert _value(text, "redis_db_keys_expiring", '{db="db0"}') == 1
    assert _value(text, "redis_commands_total", '{cmd="get"}') == 5
    assert _value(text, "redis_connected_clients") >= 1
    assert _value(text, "redis_memory_used_bytes") > 0
    assert _value(text, "redis_rdb_last_bgsave_status") == 1
    for name in ("redis_uptime_in_seconds", "redis_keyspace_hits_total",
                 "redis_allocator_allocated_bytes", "redis_memory_used_overhead_bytes",
                 "redis_net_input_bytes_total", "redis_cpu_sys_seconds_total",
                 "redis_latest_fork_seconds", "redis_mem_fragmentation_ratio"):
        assert _value(text, name) is not None, name


def test_info_counts_forks_scripts_and_functions(r):
    before = r.info("stats")["total_forks"]
    assert r.bgsave()
    wait_for(lambda: r.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=10)
    stats = r.info("stats")
    assert stats["total_forks"] == before + 1
    assert stats["latest_fork_usec"] > 0
    r.script_flush()
    r.execute_command("FUNCTION", "FLUSH")
    r.eval("return 1", 0)
    r.execute_command("FUNCTION", "LOAD",
                      "#!lua name=infolib\nredis.register_function('a', function() return 1 end)\n"
                      "redis.register_function('b', function() return 2 end)")
    mem = r.info("memory")
    assert mem["number_of_cached_scripts"] == 1
    assert mem["number_of_libraries"] == 1 and mem["number_of_functions"] == 2
    assert mem["used_memory_vm_eval"] > 0 and mem["used_memory_vm_functions"] > 0
    assert mem["used_memory_vm_total"] == mem["used_memory_vm_eval"] + mem["used_memory_vm_functions"]
    assert mem["used_memory_dataset"] + mem["used_memory_overhead"] == mem["used_memory"]
    r.execute_command("FUNCTION", "FLUSH")
