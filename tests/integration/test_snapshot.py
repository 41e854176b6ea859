"""Snapshots: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE, save points, SHUTDOWN saves, BACKUP and
--backup/--restore, and INFO persistence.

Replies are those of redis-server 7.0 where the command exists there (the tests that only
concern PairDB's files or its BACKUP command say so and do not run against Redis). Several
commands are pipelined in one write so that they run in the same loop iteration: a background
save started by the first is then certainly still running (or about to fork) for the next.
"""

import os
import subprocess
import time

import pytest

from conftest import IS_REDIS, SERVER_BIN, wait_for
from resp import encode_command

PERSISTENCE_FIELDS = [
    "loading", "async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age",
    "current_fork_perc", "current_save_keys_processed", "current_save_keys_total",
    "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
    "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec", "rdb_current_bgsave_time_sec",
    "rdb_saves", "rdb_last_cow_size", "rdb_last_load_keys_expired", "rdb_last_load_keys_loaded",
    "aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled",
    "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status",
    "aof_rewrites", "aof_rewrites_consecutive_failures", "aof_last_write_status",
    "aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size",
]
PAIRDB_FIELDS = ["snapshot_last_lsn", "backup_in_progress", "backup_last_status",
                 "backup_last_dir"]
LOG_FIELDS = ["aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length",
              "aof_pending_bio_fsync", "aof_delayed_fsync", "wal_last_lsn", "wal_synced_lsn",
              "wal_segments", "wal_fsyncs", "wal_fsync_avg_us", "wal_fsync_max_us",
              "wal_write_errors"]

pairdb_only = pytest.mark.skipif(IS_REDIS, reason="PairDB's snapshot files and BACKUP")


def persistence(c):
    return c.info("persistence")


def pipeline_raw(server, *commands):
    """Sends every command in one write; returns the raw replies in order."""
    conn = server.raw()
    try:
        conn.send_raw(b"".join(encode_command(*cmd) for cmd in commands))
        return [conn.read_reply() for _ in commands]
    finally:
        conn.close()


def wait_saves_idle(c, timeout=10):
    def idle():
        p = persistence(c)
        return (p["rdb_bgsave_in_progress"] == 0 and p["aof_rewrite_in_progress"] == 0
                and p["aof_rewrite_scheduled"] == 0 and p.get("backup_in_progress", 0) == 0)
    assert wait_for(idle, timeout), persistence(c)


def snapshot_files(server):
    d = os.path.join(server.dir, "snap")
    return sorted(f for f in os.listdir(d) if f.endswith(".pdb")) if os.path.isdir(d) else []


def fill_every_type(c):
    c.set("str:int", "12345")
    c.set("str:emb", "hello")
    c.set("str:raw", "x" * 300)
    c.set("str:ttl", "v", px=1000000)
    c.rpush("list", *[str(i) for i in range(300)])
    c.hset("hash:small", mapping={"a": "1", "b": "2"})
    c.hset("hash:big", mapping={"f%d" % i: "v%d" % i for i in range(600)})
    c.sadd("set:int", *range(50))
    c.sadd("set:str", *["m%d" % i for i in range(200)])
    c.zadd("zset:small", {"a": 1.5, "b": -2})
    c.zadd("zset:big", {"m%d" % i: i / 3 for i in range(300)})
    c.select(5)
    c.set("in-db5", "five")
    c.select(0)


def dump_every_type(c):
    out = {}
    for db in (0, 5):
        c.select(db)
        for k in sorted(c.keys("*")):
            t = c.type(k)
            if t == b"string":
                v = c.get(k)
            elif t == b"list":
                v = c.lrange(k, 0, -1)
            elif t == b"hash":
                v = sorted(c.hgetall(k).items())
            elif t == b"set":
                v = sorted(c.smembers(k))
            else:
                v = c.zrange(k, 0, -1, withscores=True)
            out[(db, k)] = (t, v, c.object("encoding", k), c.pttl(k) > 0)
    c.select(0)
    return out


# ---- replies ---------------------------------------------------------------------------------

def test_save_replies_ok_and_sets_lastsave(r, server):
    r.set("k", "v")
    before = int(time.time())
    assert pipeline_raw(server, ["SAVE"]) == [b"+OK\r\n"]
    last = r.lastsave()
    assert before - 1 <= int(last.timestamp()) <= int(time.time()) + 1
    assert persistence(r)["rdb_changes_since_last_save"] == 0
    assert persistence(r)["rdb_last_bgsave_status"] == "ok"


def test_bgsave_then_bgsave_in_same_iteration(r, server):
    r.set("k", "v")
    replies = pipeline_raw(server, ["BGSAVE"], ["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["SAVE"])
    assert replies == [b"+Background saving started\r\n",
                       b"-ERR Background save already in progress\r\n",
                       b"-ERR Background save already in progress\r\n",
                       b"-ERR Background save already in progress\r\n"]
    wait_saves_idle(r)
    assert persistence(r)["rdb_last_bgsave_status"] == "ok"


def test_bgsave_syntax_and_arity(r, server):
    assert pipeline_raw(server, ["BGSAVE", "now"], ["BGSAVE", "schedule", "x"],
                        ["SAVE", "x"], ["LASTSAVE", "x"], ["BGREWRITEAOF", "x"]) == [
        b"-ERR syntax error\r\n", b"-ERR syntax error\r\n",
        b"-ERR wrong number of arguments for 'save' command\r\n",
        b"-ERR wrong number of arguments for 'lastsave' command\r\n",
        b"-ERR wrong number of arguments for 'bgrewriteaof' command\r\n"]


def test_bgsave_completes_and_counts(r, server):
    r.set("k", "v")
    saves = persistence(r)["rdb_saves"]
    assert pipeline_raw(server, ["BGSAVE"]) == [b"+Background saving started\r\n"]
    wait_saves_idle(r)
    p = persistence(r)
    assert p["rdb_saves"] == saves + 1
    assert p["rdb_last_bgsave_status"] == "ok"
    assert p["rdb_last_bgsave_time_sec"] >= 0
    assert p["rdb_changes_since_last_save"] == 0


def test_bgrewriteaof_replies(r, server):
    r.set("k", "v")
    replies = pipeline_raw(server, ["BGREWRITEAOF"], ["BGREWRITEAOF"])
    assert replies[0] == b"+Background append only file rewriting started\r\n"
    assert replies[1] == b"-ERR Background append only file rewriting already in progress\r\n"
    wait_saves_idle(r)
    p = persistence(r)
    assert p["aof_last_bgrewrite_status"] == "ok"


def test_lastsave_is_start_time_without_snapshot(start_server):
    before = int(time.time())
    s = start_server()
    c = s.client()
    assert before - 1 <= int(c.lastsave().timestamp()) <= int(time.time()) + 1


def test_info_persistence_fields(r):
    p = persistence(r)
    for f in PERSISTENCE_FIELDS:
        assert f in p, f
    assert p["loading"] == 0 and p["async_loading"] == 0
    assert p["aof_enabled"] == 0
    assert p["rdb_last_bgsave_status"] == "ok"


@pairdb_only
def test_info_persistence_fields_pairdb_and_log(start_server):
    s = start_server("--appendonly", "yes")
    c = s.client()
    c.set("a", "1")
    p = persistence(c)
    for f in PERSISTENCE_FIELDS + PAIRDB_FIELDS + LOG_FIELDS:
        assert f in p, f
    assert p["aof_enabled"] == 1
    assert p["wal_last_lsn"] >= 1
    assert p["backup_last_status"] == "none"


@pairdb_only
def test_wal_snapshot_size_config(raw):
    get = ["CONFIG", "GET", "wal-snapshot-size"]
    assert raw.cmd(*get) == b"*2\r\n$17\r\nwal-snapshot-size\r\n$9\r\n268435456\r\n"
    assert raw.cmd("CONFIG", "SET", "wal-snapshot-size", "1mb") == b"+OK\r\n"
    assert raw.cmd(*get) == b"*2\r\n$17\r\nwal-snapshot-size\r\n$7\r\n1048576\r\n"
    assert raw.cmd("CONFIG", "SET", "wal-snapshot-size", "256mb") == b"+OK\r\n"


# ---- files and restarts ---------------------------------------------------------------------------

def test_bgsave_file_loads_after_restart(start_server):
    s = start_server()
    c = s.client()
    fill_every_type(c)
    expected = dump_every_type(c)
    assert pipeline_raw(s, ["BGSAVE"]) == [b"+Background saving started\r\n"]
    wait_saves_idle(c)
    if not s.is_redis:
        assert len(snapshot_files(s)) == 1
    saved_at = c.lastsave()
    c.close()
    s.restart()
    c = s.client()
    assert dump_every_type(c) == expected
    if not s.is_redis:
        # PairDB reports the loaded snapshot's time (Redis: the start time).
        assert c.lastsave() == saved_at


@pairdb_only
def test_bgsave_with_log_then_restart_replays_after_snapshot(start_server):
    s = start_server("--appendonly", "yes")
    c = s.client()
    c.set("before", "1")
    c.execute_command("BGSAVE")
    wait_saves_idle(c)
    lsn = persistence(c)["snapshot_last_lsn"]
    assert lsn >= 1
    assert snapshot_files(s) == ["%020d.pdb" % lsn]
    c.set("after", "2")
    c.incr("before")
    c.close()
    s.restart()
    c = s.client()
    assert c.mget("before", "after") == [b"2", b"2"]
    assert persistence(c)["snapshot_last_lsn"] == lsn


@pairdb_only
def test_second_snapshot_drops_the_first(start_server):
    s = start_server("--appendonly", "yes")
    c = s.client()
    c.set("a", "1")
    assert c.execute_command("SAVE")
    first = snapshot_files(s)
    c.set("b", "2")
    assert c.execute_command("SAVE")
    second = snapshot_files(s)
    assert len(first) == 1 and len(second) == 1 and second[0] > first[0]


def test_shutdown_save_and_nosave(start_server):
    s = start_server()
    c = s.client()
    c.set("k", "saved")
    c.shutdown(save=True)  # no reply: the connection closes
    s.proc.wait(10)
    if not s.is_redis:
        assert len(snapshot_files(s)) == 1
    s.start()
    c = s.client()
    assert c.get("k") == b"saved"
    c.set("k", "lost")
    c.shutdown(nosave=True)  # no reply: the connection closes
    s.proc.wait(10)
    s.start()
    assert s.client().get("k") == b"saved"


def test_shutdown_default_saves_with_save_points(start_server):
    s = start_server("--save", "3600 1")
    c = s.client()
    c.set("k", "v")
    c.shutdown()  # no reply: the connection closes
    s.proc.wait(10)
    s.start()
    assert s.client().get("k") == b"v"


def test_sigterm_without_save_points_writes_nothing(start_server):
    s = start_server()
    c = s.client()
    c.set("k", "v")
    c.close()
    s.restart()
    assert s.client().get("k") is None
    if not s.is_redis:
        assert snapshot_files(s) == []


def test_save_point_triggers_bgsave(start_server):
    s = start_server("--save", "1 2")
    c = s.client()
    c.set("a", "1")
    time.sleep(1.3)
    # One change is below the point's threshold: nothing saved yet.
    assert persistence(c)["rdb_saves"] == 0
    c.set("b", "2")
    assert wait_for(lambda: persistence(c)["rdb_saves"] >= 1, 5), (time.time(), {k: v for k, v in persistence(c).items() if k.startswith("rdb")})
    wait_saves_idle(c)
    assert persistence(c)["rdb_changes_since_last_save"] == 0
    if not s.is_redis:
        assert len(snapshot_files(s)) == 1


@pairdb_only
def test_wal_size_triggers_snapshot(start_server):
    s = start_server("--appendonly", "yes", "--wal-snapshot-size", "4kb")
    c = s.client()
    for i in range(10):
        c.set("k%d" % i, "x" * 100)
    assert persistence(c)["rdb_saves"] == 0
    for i in range(40):
        c.set("k%d" % i, "x" * 200)
    assert wait_for(lambda: persistence(c)["rdb_saves"] >= 1, 5), persistence(c)
    wait_saves_idle(c)
    assert len(snapshot_files(s)) == 1


# ---- BACKUP and --restore ---------------------------------------------------------------------------

@pairdb_only
def test_backup_command_errors(r, server, tmp_path):
    used = tmp_path / "used"
    (used / "snap").mkdir(parents=True)
    (used / "snap" / "x.pdb").write_bytes(b"x")
    assert pipeline_raw(server, ["BACKUP", str(used)], ["BACKUP"], ["BACKUP", "a\nb"]) == [
        b"-ERR Backup refused: directory %s already holds snap/ or wal/ data\r\n"
        % str(used).encode(),
        b"-ERR wrong number of arguments for 'backup' command\r\n",
        b"-ERR invalid backup directory\r\n"]
    replies = pipeline_raw(server, ["BACKUP", str(tmp_path / "b1")], ["BACKUP", str(tmp_path / "b2")],
                           ["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["SAVE"])
    assert replies == [b"+Backup started\r\n",
                       b"-ERR Background save already in progress\r\n",
                       b"-ERR Another child process is active (AOF?): can't BGSAVE right now. "
                       b"Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n",
                       b"+Background saving scheduled\r\n",
                       b"-ERR Background save already in progress\r\n"]
    wait_saves_idle(r)
    p = persistence(r)
    assert p["backup_last_status"] == "ok"
    assert p["backup_last_dir"] == str(tmp_path / "b1")
    assert p["rdb_saves"] >= 1  # the scheduled BGSAVE ran after the backup


@pairdb_only
def test_backup_restore_roundtrip(start_server, tmp_path):
    s = start_server("--appendonly", "yes")
    c = s.client()
    fill_every_type(c)
    expected = dump_every_type(c)
    backup = tmp_path / "backup"
    out = subprocess.run([SERVER_BIN, "--backup", str(backup), "--host", "127.0.0.1",
                          "--port", str(s.port)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Backup written to %s\n" % backup
    manifest = (backup / "BACKUP").read_text().splitlines()
    assert manifest[0] == "pairdb_version:0.1.0"
    assert manifest[3] == "keys:%d" % len(expected)
    assert os.listdir(backup / "wal") == []
    assert len(os.listdir(backup / "snap")) == 1
    # A second backup into the same directory is refused.
    again = subprocess.run([SERVER_BIN, "--backup", str(backup), "--port", str(s.port)],
                           capture_output=True, text=True, timeout=30)
    assert again.returncode == 1
    assert "already holds snap/ or wal/ data" in again.stderr
    c.set("later", "not in the backup")

    data = tmp_path / "data"
    res = subprocess.run([SERVER_BIN, "--restore", str(backup), "--dir", str(data)],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert "total: keys=%d" % len(expected) in res.stdout
    refused = subprocess.run([SERVER_BIN, "--restore", str(backup), "--dir", str(data)],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1 and "already holds" in refused.stderr

    restored = start_server("--appendonly", "yes", "--dir", str(data))
    rc = restored.client()
    assert dump_every_type(rc) == expected
    assert rc.get("later") is None


@pairdb_only
def test_restore_refuses_a_damaged_backup(start_server, tmp_path):
    s = start_server()
    c = s.client()
    c.set("k", "v" * 1000)
    backup = tmp_path / "backup"
    assert c.execute_command("BACKUP", str(backup)) == b"Backup started"
    wait_saves_idle(c)
    snap = backup / "snap" / os.listdir(backup / "snap")[0]
    raw = bytearray(snap.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    snap.write_bytes(bytes(raw))
    res = subprocess.run([SERVER_BIN, "--restore", str(backup), "--dir", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 1
    assert "The backup is damaged" in res.stderr and "at offset" in res.stderr
    assert not (tmp_path / "d").exists()


@pairdb_only
def test_tool_usage_errors():
    for args in (["--backup"], ["--restore", "x"], ["--backup", "d", "--bogus", "1"]):
        res = subprocess.run([SERVER_BIN] + args, capture_output=True, text=True, timeout=10)
        assert res.returncode == 1
        assert res.stderr.startswith("Usage: pairdb-server --backup DIR")


@pairdb_only
def test_failed_saves_are_reported_and_refuse_shutdown(start_server):
    s = start_server()
    c = s.client()
    c.set("k", "v")
    # A plain file where the snapshot directory should be: every write fails.
    with open(os.path.join(s.dir, "snap"), "w") as f:
        f.write("in the way")
    assert pipeline_raw(s, ["SAVE"]) == [b"-ERR\r\n"]
    assert persistence(c)["rdb_last_bgsave_status"] == "err"
    assert pipeline_raw(s, ["BGSAVE"]) == [b"+Background saving started\r\n"]
    assert wait_for(lambda: persistence(c)["rdb_bgsave_in_progress"] == 0, 5)
    p = persistence(c)
    assert p["rdb_last_bgsave_status"] == "err" and p["rdb_saves"] == 0
    assert pipeline_raw(s, ["SHUTDOWN", "SAVE"]) == [
        b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"]
    assert s.alive() and c.get("k") == b"v"
    os.remove(os.path.join(s.dir, "snap"))
    assert pipeline_raw(s, ["SAVE"]) == [b"+OK\r\n"]
    assert persistence(c)["rdb_last_bgsave_status"] == "ok"
