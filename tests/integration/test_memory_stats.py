"""MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE and HELP.

Field names and their order are Redis 7.0's (the file passes with PAIRDB_TARGET=redis);
values depend on the allocator and are checked for consistency, not equality.
"""

import re

import pytest

from conftest import IS_REDIS

MEMORY_HELP = [
    b"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"DOCTOR",
    b"    Return memory problems reports.",
    b"MALLOC-STATS",
    b"    Return internal statistics report from the memory allocator.",
    b"PURGE",
    b"    Attempt to purge dirty pages for reclamation by the allocator.",
    b"STATS",
    b"    Return information about the memory usage of the server.",
    b"USAGE <key> [SAMPLES <count>]",
    b"    Return memory in bytes used by <key> and its value. Nested values are",
    b"    sampled up to <count> times (default: 5, 0 means sample all).",
    b"HELP",
    b"    Prints this help.",
]

STATS_FIELDS = [
    b"peak.allocated", b"total.allocated", b"startup.allocated", b"replication.backlog",
    b"clients.slaves", b"clients.normal", b"cluster.links", b"aof.buffer", b"lua.caches",
    b"functions.caches", b"db.0", b"db.3", b"overhead.total", b"keys.count",
    b"keys.bytes-per-key", b"dataset.bytes", b"dataset.percentage", b"peak.percentage",
    b"allocator.allocated", b"allocator.active", b"allocator.resident",
    b"allocator-fragmentation.ratio", b"allocator-fragmentation.bytes", b"allocator-rss.ratio",
    b"allocator-rss.bytes", b"rss-overhead.ratio", b"rss-overhead.bytes", b"fragmentation",
    b"fragmentation.bytes",
]


def test_help_text(raw):
    assert raw.cmdp("MEMORY", "HELP") == MEMORY_HELP


def test_stats_fields_and_values(raw):
    raw.cmd("SET", "a", "1")
    raw.cmd("SET", "b", "2", "EX", "100")
    raw.cmd("SELECT", "3")
    raw.cmd("SET", "c", "3")
    rep = raw.cmdp("MEMORY", "STATS")
    names = rep[0::2]
    assert names == STATS_FIELDS
    stats = dict(zip(names, rep[1::2]))
    db0 = stats[b"db.0"]
    assert db0[0::2] == [b"overhead.hashtable.main", b"overhead.hashtable.expires",
                         b"overhead.hashtable.slot-to-keys"]
    assert stats[b"keys.count"] == 3
    assert 0 < stats[b"startup.allocated"] <= stats[b"total.allocated"] <= stats[b"peak.allocated"]
    assert stats[b"overhead.total"] >= stats[b"startup.allocated"]
    assert 0 < float(stats[b"peak.percentage"]) <= 100
    assert float(stats[b"fragmentation"]) > 0


def test_stats_resp3_ratios_are_doubles(raw3):
    rep = raw3.cmd("MEMORY", "STATS")
    assert rep.startswith(b"%")
    assert b"$15\r\npeak.percentage\r\n," in rep


def test_doctor_purge_malloc_stats(raw):
    doctor = raw.cmdp("MEMORY", "DOCTOR")
    assert isinstance(doctor, bytes) and doctor
    assert raw.cmd("MEMORY", "PURGE") == b"+OK\r\n"
    stats = raw.cmdp("MEMORY", "MALLOC-STATS")
    assert isinstance(stats, bytes) and stats
    for sub in ("STATS", "DOCTOR", "PURGE", "MALLOC-STATS"):
        assert raw.cmd("MEMORY", sub, "x") == \
            b"-ERR wrong number of arguments for 'memory|%s' command\r\n" % sub.lower().encode()
    assert raw.cmd("MEMORY", "NOPE") == b"-ERR unknown subcommand 'NOPE'. Try MEMORY HELP.\r\n"


@pytest.mark.skipif(IS_REDIS, reason="PairDB's split of INFO used_memory_overhead")
def test_stats_databases_add_up_to_info_overhead(raw):
    for i in range(50):
        raw.cmd("SET", "k%d" % i, "v", "EX", "100")
    raw.cmd("SELECT", "2")
    raw.cmd("SET", "x", "1")
    stats = dict(zip(*[iter(raw.cmdp("MEMORY", "STATS"))] * 2))
    info = raw.cmdp("INFO", "memory").decode()
    overhead = int(re.search(r"^used_memory_overhead:(\d+)\r$", info, re.M).group(1))
    dbs = [v for k, v in stats.items() if k.startswith(b"db.")]
    assert len(dbs) == 2
    # INFO and MEMORY STATS read memory the same way: the overhead is the
    # databases' tables plus start-up, client buffers and script caches.
    assert stats[b"overhead.total"] == overhead
    parts = (stats[b"startup.allocated"] + stats[b"clients.normal"] + stats[b"lua.caches"] +
             stats[b"functions.caches"])
    assert sum(sum(db[1::2]) for db in dbs) + parts == overhead
    db0 = dict(zip(*[iter(stats[b"db.0"])] * 2))
    assert db0[b"overhead.hashtable.expires"] == 50 * 32
