"""Streams without groups: XADD IDs and trimming, node sizing, ranges, XDEL/XSETID counters,
XREAD (blocking included), DUMP/RESTORE, COPY, the log and snapshots, memory per entry.

Replies are redis-server 7.0's: the tests run against it too (PAIRDB_TARGET=redis), except
those about PairDB's own files, which say so. The consumer groups are in test_stream_groups.py;
tests/diff/scripts/stream.txt compares replies byte for byte.
"""

import threading
import time

import pytest

from conftest import IS_REDIS, wait_for


def xinfo(c, key):
    raw = c.execute_command("XINFO", "STREAM", key)
    return dict(zip(raw[::2], raw[1::2])) if isinstance(raw, list) else raw


def ids(entries):
    return [e[0] for e in entries]


# ---- XADD ------------------------------------------------------------------------------------

def test_auto_ids_follow_the_clock_and_the_last_id(r):
    before = int(time.time() * 1000)
    first = r.xadd("s", {"f": "v"})
    ms, seq = map(int, first.split(b"-"))
    assert before - 1000 <= ms <= int(time.time() * 1000) + 1000
    # A last ID in the future: "*" continues from it instead of going back in time.
    r.xadd("s", {"f": "v"}, id="%d-5" % (ms + 100000))
    assert r.xadd("s", {"f": "v"}) == b"%d-6" % (ms + 100000)
    assert r.xadd("s", {"f": "v"}, id="%d-*" % (ms + 100000)) == b"%d-7" % (ms + 100000)
    assert r.xadd("s", {"f": "v"}, id="%d-*" % (ms + 200000)) == b"%d-0" % (ms + 200000)
    assert r.xlen("s") == 5


def test_explicit_ids_errors_and_nomkstream(r):
    assert r.xadd("s", {"a": "1"}, id="5-5") == b"5-5"
    for bad, msg in [("5-5", "equal or smaller"), ("5-4", "equal or smaller"),
                     ("0-0", "must be greater than 0-0"), ("x-1", "Invalid stream ID")]:
        with pytest.raises(Exception, match=msg):
            r.xadd("s", {"a": "1"}, id=bad)
    assert r.execute_command("XADD", "none", "NOMKSTREAM", "1-1", "a", "b") is None
    assert r.exists("none") == 0
    with pytest.raises(Exception, match="wrong number of arguments for 'xadd'"):
        r.execute_command("XADD", "s", "9-9", "a")
    r.execute_command("XSETID", "s", "18446744073709551615-18446744073709551615")
    with pytest.raises(Exception, match="exhausted the last possible ID"):
        r.xadd("s", {"a": "1"})


def test_entries_with_other_fields_keep_their_own_fields(r):
    r.xadd("s", {"a": "1", "b": "2"}, id="1-1")
    r.xadd("s", {"a": "3", "b": "4"}, id="1-2")
    r.xadd("s", {"c": "5"}, id="1-3")
    r.xadd("s", {"b": "6", "a": "7"}, id="1-4")
    r.xadd("s", {"12": "-3", "": "x" * 5000}, id="1-5")
    assert r.xrange("s") == [
        (b"1-1", {b"a": b"1", b"b": b"2"}), (b"1-2", {b"a": b"3", b"b": b"4"}),
        (b"1-3", {b"c": b"5"}), (b"1-4", {b"b": b"6", b"a": b"7"}),
        (b"1-5", {b"12": b"-3", b"": b"x" * 5000})]
    assert list(r.xrange("s", "1-4", "1-4")[0][1].items()) == [(b"b", b"6"), (b"a", b"7")]


# ---- nodes and trimming ----------------------------------------------------------------------

def fill(c, key, n, start=1):
    p = c.pipeline(transaction=False)
    for i in range(start, start + n):
        p.xadd(key, {"f": i}, id="%d-1" % i)
    p.execute()


def test_nodes_hold_at_most_max_entries(r):
    r.config_set("stream-node-max-entries", 10)
    try:
        fill(r, "s", 95)
        assert xinfo(r, "s")[b"radix-tree-keys"] == 10
        r.config_set("stream-node-max-entries", 0)   # no entry bound: the byte bound rules
        r.config_set("stream-node-max-bytes", 200)
        fill(r, "t", 40)
        assert xinfo(r, "t")[b"radix-tree-keys"] == 3
    finally:
        r.config_set("stream-node-max-entries", 100)
        r.config_set("stream-node-max-bytes", 4096)


def test_approximate_trim_removes_whole_nodes_only(r):
    r.config_set("stream-node-max-entries", 10)
    try:
        fill(r, "s", 100)
        assert r.xtrim("s", maxlen=55, approximate=True) == 40
        assert r.xlen("s") == 60
        assert ids(r.xrange("s", count=1)) == [b"41-1"]
        assert r.xtrim("s", maxlen=55, approximate=False) == 5
        assert ids(r.xrange("s", count=1)) == [b"46-1"]
        # LIMIT caps the entries a "~" trim removes: whole nodes while they fit.
        assert r.execute_command("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "5") == 5
        assert r.execute_command("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "25") == 20
        assert r.xlen("s") == 30
        assert r.execute_command("XTRIM", "s", "MINID", "~", "85") == 10
        assert r.execute_command("XTRIM", "s", "MINID", "85") == 4
        assert ids(r.xrange("s", count=1)) == [b"85-1"]
        # XADD trims after adding, and reports the new ID.
        assert r.execute_command("XADD", "s", "MAXLEN", "3", "200-1", "f", "v") == b"200-1"
        assert ids(r.xrange("s")) == [b"99-1", b"100-1", b"200-1"]
    finally:
        r.config_set("stream-node-max-entries", 100)


def test_xdel_counters_and_first_entry(r):
    fill(r, "s", 5)
    assert r.xdel("s", "1-1", "3-1", "9-9") == 2
    info = xinfo(r, "s")
    assert info[b"length"] == 3
    assert info[b"max-deleted-entry-id"] == b"3-1"
    assert info[b"recorded-first-entry-id"] == b"2-1"
    assert info[b"entries-added"] == 5
    assert info[b"first-entry"][0] == b"2-1"
    assert info[b"last-entry"][0] == b"5-1"
    assert r.xdel("s", "2-1", "4-1", "5-1") == 3
    info = xinfo(r, "s")
    assert (info[b"length"], info[b"first-entry"], info[b"last-entry"]) == (0, None, None)
    assert info[b"last-generated-id"] == b"5-1"
    # An emptied stream stays, and keeps refusing old IDs.
    assert r.type("s") == b"stream"
    with pytest.raises(Exception, match="equal or smaller"):
        r.xadd("s", {"a": 1}, id="5-1")


def test_ranges_walk_many_nodes_both_ways(r):
    r.config_set("stream-node-max-entries", 7)
    try:
        fill(r, "s", 200)
        r.xdel("s", *["%d-1" % i for i in range(1, 201, 3)])
        live = [b"%d-1" % i for i in range(1, 201) if i % 3 != 1]
        assert ids(r.xrange("s")) == live
        assert ids(r.xrevrange("s")) == live[::-1]
        assert ids(r.xrange("s", "50", "(100-1")) == [i for i in live
                                                      if 50 <= int(i.split(b"-")[0]) < 100]
        assert ids(r.xrevrange("s", "(100", "50-2", count=5)) == [b"99-1", b"98-1", b"96-1",
                                                                  b"95-1", b"93-1"]
    finally:
        r.config_set("stream-node-max-entries", 100)


# ---- XREAD -----------------------------------------------------------------------------------

def test_xread_reads_after_the_given_ids(r):
    fill(r, "a", 3)
    fill(r, "b", 2)
    got = r.xread({"a": "1-1", "b": "0", "c": "0"}, count=1)
    assert got == [[b"a", [(b"2-1", {b"f": b"2"})]], [b"b", [(b"1-1", {b"f": b"1"})]]]
    assert r.xread({"a": "$"}) == []


def blocked_count(c):
    return c.info("clients")["blocked_clients"]


def reader(server, out, *args):
    c = server.raw(timeout=10)
    try:
        out.append(c.cmdp(*args))
    finally:
        c.close()


def start_reader(server, r, out, *args, waiting=1):
    t = threading.Thread(target=reader, args=(server, out) + args)
    t.start()
    assert wait_for(lambda: blocked_count(r) >= waiting)
    return t


def test_blocked_xread_is_served_by_xadd_for_every_reader(r, server):
    fill(r, "s", 1)
    out1, out2 = [], []
    t1 = start_reader(server, r, out1, "XREAD", "BLOCK", "0", "STREAMS", "other", "s", "$", "$")
    t2 = start_reader(server, r, out2, "XREAD", "BLOCK", "0", "STREAMS", "s", "$", waiting=2)
    r.xadd("s", {"x": "y"}, id="7-1")
    t1.join(5)
    t2.join(5)
    assert out1 == [[[b"s", [[b"7-1", [b"x", b"y"]]]]]]
    assert out2 == out1
    assert blocked_count(r) == 0


def test_dollar_keeps_its_meaning_across_retries(r, server):
    fill(r, "s", 1)
    out = []
    t = start_reader(server, r, out, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    # The stream's last ID moves past "$" though the entry is gone again: the reader is
    # answered with what is left after "$" (nothing), as Redis 7.0 does.
    p = r.pipeline(transaction=True)
    p.xadd("s", {"a": "2"}, id="2-1")
    p.xdel("s", "2-1")
    p.execute()
    t.join(5)
    assert out == [[[b"s", []]]]
    # A wait on "$" is not re-resolved when another key of the same read wakes it.
    out = []
    t = start_reader(server, r, out, "XREAD", "BLOCK", "0", "STREAMS", "s", "t", "$", "$")
    r.xadd("u", {"a": "1"}, id="1-1")
    r.rename("u", "t")   # t appears with an entry after "$" (0-0 for a missing key)
    t.join(5)
    assert out == [[[b"t", [[b"1-1", [b"a", b"1"]]]]]]


def test_xread_block_times_out_and_counts_default(r, server, raw):
    start = time.monotonic()
    assert raw.cmd("XREAD", "BLOCK", "100", "STREAMS", "s", "$") == b"*-1\r\n"
    assert time.monotonic() - start >= 0.09
    # Served after blocking without COUNT: at most 1000 entries at once.
    out = []
    r.xadd("s", {"a": "1"}, id="1-1")
    t = start_reader(server, r, out, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    p = r.pipeline(transaction=True)
    for i in range(1200):
        p.xadd("s", {"a": i}, id="2-%d" % i)
    p.execute()
    t.join(5)
    assert len(out[0][0][1]) == 1000


def test_xread_waits_through_deletion_and_other_types(r, server):
    fill(r, "s", 1)
    out = []
    t = start_reader(server, r, out, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    r.delete("s")
    r.set("s", "string")
    time.sleep(0.1)
    assert blocked_count(r) == 1
    r.delete("s")
    r.xadd("s", {"a": "1"}, id="1-1")   # not after the "$" of the first run (1-1)
    time.sleep(0.1)
    assert blocked_count(r) == 1
    r.xadd("s", {"a": "2"}, id="5-1")
    t.join(5)
    assert out == [[[b"s", [[b"5-1", [b"a", b"2"]]]]]]


def test_xread_block_inside_multi_does_not_block(raw):
    assert raw.cmd("MULTI") == b"+OK\r\n"
    assert raw.cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$") == b"+QUEUED\r\n"
    assert raw.cmd("EXEC") == b"*1\r\n*-1\r\n"


def test_xread_resp3_is_a_map(raw3):
    raw3.cmd("XADD", "s", "1-1", "a", "b")
    assert raw3.cmd("XREAD", "STREAMS", "s", "0") == (
        b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n")
    assert raw3.cmd("XREAD", "STREAMS", "s", "$") == b"_\r\n"


# ---- copies and persistence -------------------------------------------------------------------

def full_info(server, key):
    c = server.raw()
    try:
        return c.cmdp("XINFO", "STREAM", key, "FULL", "COUNT", "0")
    finally:
        c.close()


def test_dump_restore_and_copy_keep_everything(r, server):
    r.config_set("stream-node-max-entries", 4)
    try:
        fill(r, "s", 20)
        r.xadd("s", {"other": "fields", "n": "2"}, id="30-1")
        r.xdel("s", "3-1", "30-1")
        r.execute_command("XSETID", "s", "40-0", "ENTRIESADDED", "50")
        r.xgroup_create("s", "g", id="0")
        r.xreadgroup("g", "alice", {"s": ">"}, count=3)
        r.xreadgroup("g", "bob", {"s": ">"}, count=2)
        r.xgroup_create("s", "g2", id="$")
        before = full_info(server, "s")
        payload = r.dump("s")
        r.restore("s2", 0, payload)
        assert full_info(server, "s2") == before
        assert r.copy("s", "s3")
        assert full_info(server, "s3") == before
        # The copy is independent: acknowledging there leaves the original pending.
        r.xack("s3", "g", "1-1")
        assert full_info(server, "s") == before
    finally:
        r.config_set("stream-node-max-entries", 100)


def test_restore_refuses_a_corrupt_stream_payload(r):
    fill(r, "s", 3)
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"})
    payload = bytearray(r.dump("s"))
    for i in range(2, len(payload) - 6):
        bad = bytes(payload[:i]) + bytes([payload[i] ^ 0x5A]) + bytes(payload[i + 1:])
        with pytest.raises(Exception, match="payload"):
            r.restore("x%d" % i, 0, bad)
    assert r.exists(*["x%d" % i for i in range(2, len(payload) - 6)]) == 0


def groups_state(server, key):
    """XINFO STREAM FULL without the consumers' seen-time, which a replayed log sets to the
    time of the replay (Redis's log does the same)."""
    info = full_info(server, key)
    for g in info[info.index(b"groups") + 1]:
        for consumer in g[g.index(b"consumers") + 1]:
            consumer[consumer.index(b"seen-time") + 1] = 0
    return info


def build_grouped_stream(c):
    for i in range(1, 8):
        c.xadd("s", {"f": i})            # "*" IDs: the log must hold the resolved ones
    c.xadd("s", {"f": "x"}, maxlen=5, approximate=True)
    c.xgroup_create("s", "g", id="0")
    c.xreadgroup("g", "alice", {"s": ">"}, count=2)
    c.xreadgroup("g", "bob", {"s": ">"}, count=2, noack=True)
    c.xreadgroup("g", "carol", {"s": ">"}, count=1)
    first = c.xrange("s", count=1)[0][0]
    c.xack("s", "g", first)
    c.xclaim("s", "g", "dave", 0, [c.xrange("s", count=2)[1][0]])
    c.execute_command("XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "1")
    c.xgroup_create("s", "g2", id="$", mkstream=False)
    c.xtrim("s", maxlen=6)


@pytest.mark.skipif(IS_REDIS, reason="PairDB's log replay after kill -9")
def test_stream_with_groups_comes_back_from_the_log(start_server):
    s = start_server("--appendonly", "yes", "--appendfsync", "always")
    c = s.client()
    build_grouped_stream(c)
    before = groups_state(s, "s")
    c.close()
    s.crash_restart()
    c = s.client()
    assert groups_state(s, "s") == before
    # The replayed group goes on from where it was.
    c.xadd("s", {"f": "new"})
    assert len(c.xreadgroup("g", "alice", {"s": ">"})[0][1]) >= 1


@pytest.mark.skipif(IS_REDIS, reason="PairDB's snapshot after kill -9")
def test_stream_with_groups_comes_back_from_a_snapshot(start_server):
    s = start_server("--appendonly", "yes")
    c = s.client()
    build_grouped_stream(c)
    c.execute_command("BGSAVE")
    assert wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=10)
    before = full_info(s, "s")
    c.close()
    s.crash_restart()
    assert full_info(s, "s") == before   # the snapshot keeps even the seen-times


@pytest.mark.skipif(IS_REDIS, reason="PairDB's bound; Redis 7.0 takes about 26 bytes here")
def test_memory_per_entry_is_small(r):
    p = r.pipeline(transaction=False)
    for i in range(20000):
        p.execute_command("XADD", "s", "*", "field1", "v%d" % (i % 100), "field2", "value")
        if i % 1000 == 999:
            p.execute()
    p.execute()
    per_entry = r.memory_usage("s", samples=0) / 20000
    # Redis 7.0 reports about 26 bytes per entry of this shape (values only, IDs as deltas).
    assert per_entry < 24, per_entry


def test_deleting_in_a_large_node_keeps_it_consistent(r):
    # 300 entries in one node: its live and deleted counters cross the 1-byte integer width
    # (127/128) while entries are flagged one after the other.
    r.config_set("stream-node-max-entries", 1000)
    r.config_set("stream-node-max-bytes", 0)
    try:
        fill(r, "s", 300)
        assert xinfo(r, "s")[b"radix-tree-keys"] == 1
        for i in range(150, 0, -1):
            assert r.xdel("s", "%d-1" % (2 * i)) == 1
        assert ids(r.xrange("s")) == [b"%d-1" % i for i in range(1, 301, 2)]
        assert r.xtrim("s", maxlen=20, approximate=False) == 130
        assert ids(r.xrevrange("s", count=2)) == [b"299-1", b"297-1"]
        assert ids(r.xrange("s", count=1)) == [b"261-1"]
        assert r.xdel("s", *["%d-1" % i for i in range(261, 300, 2)]) == 20
        assert r.xlen("s") == 0
        assert xinfo(r, "s")[b"radix-tree-keys"] == 0
    finally:
        r.config_set("stream-node-max-entries", 100)
        r.config_set("stream-node-max-bytes", 4096)


# ---- hostile DUMP payloads (PairDB's own format) ---------------------------------------------

def _crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _svarint(v):
    return _varint((v << 1) ^ (v >> 63) if v < 0 else v << 1)


def _blob(b):
    return _varint(len(b)) + b


def _payload(body):
    data = bytes([6, 0]) + body + (1).to_bytes(2, "little")
    return data + _crc32c(data).to_bytes(4, "little")


def _entries(*id_fields):
    out = _varint(len(id_fields))
    for (ms, seq), fields in id_fields:
        out += _varint(ms) + _varint(seq) + _varint(len(fields))
        for f, v in fields:
            out += _blob(f) + _blob(v)
    return out


def _tail(last=(9, 9), added=2, groups=b"\x00"):
    return _varint(last[0]) + _varint(last[1]) + b"\x00\x00" + _varint(added) + groups


def _group(name, consumers, pending, last=(0, 0), entries_read=-1):
    out = _blob(name) + _varint(last[0]) + _varint(last[1]) + _svarint(entries_read)
    out += _varint(len(consumers))
    for cname in consumers:
        out += _blob(cname) + _svarint(1000)
    out += _varint(len(pending))
    for (ms, seq), idx in pending:
        out += _varint(ms) + _varint(seq) + _svarint(1000) + _varint(1) + _varint(idx)
    return out


TWO = _entries(((1, 1), [(b"a", b"1")]), ((2, 1), [(b"b", b"2")]))


@pytest.mark.skipif(IS_REDIS, reason="PairDB's DUMP format")
@pytest.mark.parametrize("body", [
    _varint(1 << 40) + b"\x01\x01",                                   # count beyond the bytes
    _entries(((1, 1), [])) + _tail(added=1),                          # entry without fields
    _entries(((2, 1), [(b"a", b"1")]), ((1, 1), [(b"a", b"1")])) + _tail(),   # IDs go back
    _entries(((0, 0), [(b"a", b"1")])) + _tail(added=1),              # 0-0
    TWO + _tail(last=(1, 0)),                                         # last ID below an entry
    TWO + _tail(added=1),                                             # entries-added < count
    TWO + _tail(groups=b"\x02" + _group(b"g", [], []) * 2),           # duplicate group
    TWO + _tail(groups=b"\x01" + _group(b"g", [b"c", b"c"], [])),     # duplicate consumer
    TWO + _tail(groups=b"\x01" + _group(b"g", [b"c"], [((1, 1), 1)])),    # consumer index
    TWO + _tail(groups=b"\x01" + _group(b"g", [b"c"], [((1, 1), 0)] * 2)),  # repeated ID
    TWO + _tail(groups=b"\x01" + _group(b"g", [], [], entries_read=-5)),  # entries-read
    TWO + _tail() + b"\x00",                                          # bytes left over
    TWO[:-3],                                                         # cut short
])
def test_restore_refuses_malformed_stream_bodies(r, body):
    with pytest.raises(Exception, match="Bad data format"):
        r.restore("x", 0, _payload(body))
    assert r.exists("x") == 0


@pytest.mark.skipif(IS_REDIS, reason="PairDB's DUMP format")
def test_restore_accepts_a_handmade_stream_body(r, server):
    body = TWO + _tail(groups=b"\x01" + _group(b"g", [b"c"], [((2, 1), 0)], last=(2, 1),
                                                entries_read=2))
    r.restore("x", 0, _payload(body))
    assert r.xrange("x") == [(b"1-1", {b"a": b"1"}), (b"2-1", {b"b": b"2"})]
    info = full_info(server, "x")
    group = info[info.index(b"groups") + 1][0]
    assert group[:8] == [b"name", b"g", b"last-delivered-id", b"2-1", b"entries-read", 2,
                         b"lag", 0]
    assert group[group.index(b"pending") + 1] == [[b"2-1", b"c", 1000, 1]]
