"""Transactions: MULTI EXEC DISCARD WATCH UNWATCH, as Redis 7.0 answers them.

Raw RESP for exact replies; redis-py pipelines for the usual client path; two connections for
WATCH races. The log test (PairDB only) checks that one EXEC's effects land in one log frame.
"""

import time

import pytest
import redis

from conftest import IS_REDIS
from resp import bulk
import walfile

OK = b"+OK\r\n"
QUEUED = b"+QUEUED\r\n"
NULL_ARRAY = b"*-1\r\n"
EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"


def num(n):
    return b":%d\r\n" % n


def test_multi_exec_runs_queue_in_order(raw):
    assert raw.cmd("MULTI") == OK
    assert raw.cmd("SET", "a", "1") == QUEUED
    assert raw.cmd("INCR", "a") == QUEUED
    assert raw.cmd("GET", "a") == QUEUED
    # Nothing ran yet: another connection would not see a.
    assert raw.cmd("EXEC") == b"*3\r\n" + OK + num(2) + bulk("2")
    assert raw.cmd("GET", "a") == bulk("2")


def test_multi_empty_exec(raw):
    assert raw.cmd("MULTI") == OK
    assert raw.cmd("EXEC") == b"*0\r\n"


def test_multi_error_texts(raw):
    assert raw.cmd("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert raw.cmd("DISCARD") == b"-ERR DISCARD without MULTI\r\n"
    assert raw.cmd("WATCH") == b"-ERR wrong number of arguments for 'watch' command\r\n"
    assert raw.cmd("UNWATCH", "x") == b"-ERR wrong number of arguments for 'unwatch' command\r\n"
    assert raw.cmd("MULTI") == OK
    # Neither of these marks the transaction: EXEC still runs it.
    assert raw.cmd("MULTI") == b"-ERR MULTI calls can not be nested\r\n"
    assert raw.cmd("WATCH", "x") == b"-ERR WATCH inside MULTI is not allowed\r\n"
    assert raw.cmd("SET", "k", "v") == QUEUED
    assert raw.cmd("EXEC") == b"*1\r\n" + OK


def test_multi_queuing_errors_abort_exec(raw):
    raw.cmd("SET", "keep", "old")
    cases = [
        (("NOSUCHCMD", "x"), b"-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n"),
        (("SET", "keep"), b"-ERR wrong number of arguments for 'set' command\r\n"),
        (("SAVE",), b"-ERR Command not allowed inside a transaction\r\n"),
        (("CONFIG", "NOPE"), b"-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n"),
    ]
    for args, err in cases:
        assert raw.cmd("MULTI") == OK
        assert raw.cmd("SET", "keep", "new") == QUEUED
        assert raw.cmd(*args) == err
        # Commands after the error are still answered QUEUED.
        assert raw.cmd("GET", "keep") == QUEUED
        assert raw.cmd("EXEC") == EXECABORT
        assert raw.cmd("GET", "keep") == bulk("old")
    # The abort ended the transaction.
    assert raw.cmd("EXEC") == b"-ERR EXEC without MULTI\r\n"


def test_multi_exec_refused_itself(raw):
    assert raw.cmd("MULTI") == OK
    assert raw.cmd("SET", "k", "v") == QUEUED
    assert raw.cmd("EXEC", "extra") == \
        b"-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
    assert raw.cmd("DISCARD") == b"-ERR DISCARD without MULTI\r\n"
    assert raw.cmd("EXISTS", "k") == num(0)


def test_multi_runtime_errors_do_not_stop_the_rest(raw):
    assert raw.cmd("MULTI") == OK
    assert raw.cmd("SET", "a", "x") == QUEUED
    assert raw.cmd("INCR", "a") == QUEUED
    assert raw.cmd("LPUSH", "a", "v") == QUEUED
    assert raw.cmd("SET", "b", "2") == QUEUED
    assert raw.cmd("EXEC") == (b"*4\r\n" + OK + b"-ERR value is not an integer or out of range\r\n"
                               + b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
                               + OK)
    assert raw.cmd("GET", "b") == bulk("2")


def test_multi_commandstats_count_inner_commands(raw):
    raw.cmd("MULTI")
    raw.cmd("SET", "a", "x")
    raw.cmd("INCR", "a")
    raw.cmd("EXEC")
    raw.cmd("MULTI")
    raw.cmd("SET", "a")
    raw.cmd("EXEC")
    stats = raw.cmdp("INFO", "commandstats").decode()
    assert "cmdstat_set:calls=1,usec=" in stats
    assert "cmdstat_set:" in stats and ",rejected_calls=1,failed_calls=0" in stats.split(
        "cmdstat_set:")[1].split("\r\n")[0]
    line = lambda name: stats.split("cmdstat_%s:" % name)[1].split("\r\n")[0]
    assert line("incr").startswith("calls=1,") and line("incr").endswith(
        "rejected_calls=0,failed_calls=1")
    assert line("multi").startswith("calls=2,")
    # EXEC ran twice: once fine (inner errors are not its own), once aborted.
    assert line("exec").startswith("calls=2,") and line("exec").endswith(
        "rejected_calls=0,failed_calls=1")


def test_multi_discard(raw):
    assert raw.cmd("MULTI") == OK
    assert raw.cmd("SET", "k", "v") == QUEUED
    assert raw.cmd("DISCARD") == OK
    assert raw.cmd("EXISTS", "k") == num(0)
    assert raw.cmd("EXEC") == b"-ERR EXEC without MULTI\r\n"


def test_multi_blocking_commands_time_out_at_once(raw):
    assert raw.cmd("MULTI") == OK
    assert raw.cmd("BLPOP", "q", "0") == QUEUED
    assert raw.cmd("RPUSH", "q", "x") == QUEUED
    assert raw.cmd("BLPOP", "q", "0") == QUEUED
    t = time.monotonic()
    assert raw.cmd("EXEC") == b"*3\r\n" + NULL_ARRAY + num(1) + b"*2\r\n" + bulk("q") + bulk("x")
    assert time.monotonic() - t < 1


def test_multi_select_inside(raw):
    assert raw.cmd("MULTI") == OK
    assert raw.cmd("SELECT", "1") == QUEUED
    assert raw.cmd("SET", "k", "db1") == QUEUED
    assert raw.cmd("EXEC") == b"*2\r\n" + OK + OK
    assert raw.cmd("GET", "k") == bulk("db1")
    raw.cmd("SELECT", "0")
    assert raw.cmd("EXISTS", "k") == num(0)


def test_multi_reset_discards(server, raw):
    raw.cmd("SET", "w", "1")
    assert raw.cmd("WATCH", "w") == OK
    assert raw.cmd("MULTI") == OK
    assert raw.cmd("SET", "k", "v") == QUEUED
    assert raw.cmd("RESET") == b"+RESET\r\n"
    assert raw.cmd("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert raw.cmd("EXISTS", "k") == num(0)
    # The watch went too: a change to w no longer fails a transaction.
    other = server.raw()
    try:
        other.cmd("SET", "w", "2")
    finally:
        other.close()
    raw.cmd("MULTI")
    raw.cmd("PING")
    assert raw.cmd("EXEC") == b"*1\r\n+PONG\r\n"


def test_multi_quit_discards(server, raw):
    c = server.raw()
    c.cmd("MULTI")
    assert c.cmd("SET", "k", "v") == QUEUED
    assert c.cmd("QUIT") == OK
    assert c.closed_by_peer()
    c.close()
    assert raw.cmd("EXISTS", "k") == num(0)


def test_multi_client_list_shows_queue_length(server, raw):
    my_id = raw.cmdp("CLIENT", "ID")
    assert b" multi=-1 " in raw.cmdp("CLIENT", "INFO")
    raw.cmd("MULTI")
    raw.cmd("SET", "a", "1")
    raw.cmd("SET", "b", "1")
    rep = raw.cmd("CLIENT", "INFO")
    assert rep == QUEUED
    info = raw.cmd("EXEC")
    # While EXEC runs, the queue still counts (three commands).
    assert b" multi=3 " in info and b" flags=x " in info
    # The last command is EXEC, not the last one it ran.
    other = server.raw()
    try:
        assert b" cmd=exec " in other.cmdp("CLIENT", "LIST", "ID", str(my_id))
    finally:
        other.close()


def test_multi_redis_py_pipeline(r):
    with r.pipeline(transaction=True) as p:
        p.set("a", "1").incr("a").lpush("l", "x", "y").lrange("l", 0, -1)
        assert p.execute() == [True, 2, 2, [b"y", b"x"]]


# --- WATCH ---

@pytest.fixture
def two(server, raw):
    other = server.raw()
    yield raw, other
    other.close()


def watched_exec(c):
    assert c.cmd("MULTI") == OK
    assert c.cmd("SET", "out", "done") == QUEUED
    return c.cmd("EXEC")


def test_watch_unchanged_key_runs(two):
    a, b = two
    a.cmd("SET", "k", "1")
    assert a.cmd("WATCH", "k", "absent") == OK
    b.cmd("GET", "k")
    b.cmd("SET", "unrelated", "x")
    assert watched_exec(a) == b"*1\r\n" + OK


@pytest.mark.parametrize("change", [
    ("SET", "k", "2"), ("DEL", "k"), ("INCR", "k"), ("EXPIRE", "k", "100"), ("RENAME", "k", "k2"),
    ("APPEND", "k", "x"), ("SET", "absent", "now"),
])
def test_watch_modified_by_other_client_fails(two, change):
    a, b = two
    a.cmd("SET", "k", "1")
    assert a.cmd("WATCH", "k", "absent") == OK
    b.cmd(*change)
    assert watched_exec(a) == NULL_ARRAY
    assert a.cmd("EXISTS", "out") == num(0)


@pytest.mark.parametrize("setup,change", [
    (("HSET", "k", "f", "v"), ("HDEL", "k", "f")),
    (("HSET", "k", "f", "v"), ("HINCRBY", "k", "n", "1")),
    (("SADD", "k", "m"), ("SREM", "k", "m")),
    (("SADD", "k", "m"), ("SPOP", "k")),
    (("SADD", "s", "m"), ("SUNIONSTORE", "k", "s")),
    (("ZADD", "k", "1", "m"), ("ZREM", "k", "m")),
    (("ZADD", "k", "1", "m"), ("ZINCRBY", "k", "2", "m")),
    (("RPUSH", "k", "a"), ("LPOP", "k")),
    (("RPUSH", "k", "a"), ("LSET", "k", "0", "b")),
    (("RPUSH", "s", "2", "1"), ("SORT", "s", "STORE", "k")),
    (("SET", "k", "v"), ("MOVE", "k", "1")),
    (("SET", "s", "v"), ("COPY", "s", "k")),
    (("SET", "k", "v", "EX", "100"), ("PERSIST", "k")),
    (("SET", "k", "v"), ("PEXPIRE", "k", "0")),
    (("SET", "k", "v"), ("GETDEL", "k")),
    (("SET", "k", "v"), ("UNLINK", "k")),
])
def test_watch_modified_by_type_commands_fails(two, setup, change):
    a, b = two
    a.cmd(*setup)
    assert a.cmd("WATCH", "k") == OK
    b.cmd(*change)
    assert watched_exec(a) == NULL_ARRAY


def test_watch_served_blocked_pop_fails(server, two):
    a, b = two
    c = server.raw()
    try:
        c.send("BLPOP", "k", "0")
        time.sleep(0.1)
        a.cmd("WATCH", "k")
        b.cmd("RPUSH", "k", "x")
        assert c.read_reply() == b"*2\r\n" + bulk("k") + bulk("x")
        assert watched_exec(a) == NULL_ARRAY
    finally:
        c.close()


def test_watch_touched_by_same_client_fails(raw):
    raw.cmd("SET", "k", "1")
    raw.cmd("WATCH", "k")
    raw.cmd("SET", "k", "2")
    assert watched_exec(raw) == NULL_ARRAY


def test_watch_change_while_queuing_fails(two):
    a, b = two
    a.cmd("WATCH", "k")
    a.cmd("MULTI")
    a.cmd("SET", "out", "done")
    b.cmd("SET", "k", "x")
    assert a.cmd("EXEC") == NULL_ARRAY
    # EXEC cleared the watches: the next transaction runs.
    b.cmd("SET", "k", "y")
    assert watched_exec(a) == b"*1\r\n" + OK


def test_watch_failed_command_write_does_not_count(two):
    a, b = two
    a.cmd("SET", "k", "1")
    a.cmd("WATCH", "k")
    assert b.cmd("SETNX", "k", "x") == num(0)
    assert watched_exec(a) == b"*1\r\n" + OK


def test_watch_key_in_other_db(two):
    a, b = two
    a.cmd("WATCH", "k")
    b.cmd("SELECT", "1")
    b.cmd("SET", "k", "db1")
    assert watched_exec(a) == b"*1\r\n" + OK
    a.cmd("SELECT", "1")
    a.cmd("WATCH", "k")
    b.cmd("SET", "k", "again")
    assert watched_exec(a) == NULL_ARRAY


def test_watch_expired_key_fails(raw):
    raw.cmd("SET", "k", "v", "PX", "50")
    raw.cmd("WATCH", "k")
    time.sleep(0.15)
    # Whether the key was already deleted or is found expired at EXEC, the transaction fails.
    assert watched_exec(raw) == NULL_ARRAY


def test_watch_already_expired_key_deleted_later_is_no_change(raw):
    raw.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        raw.cmd("SET", "k", "v", "PX", "1")
        time.sleep(0.05)
        raw.cmd("WATCH", "k")
        # Deleting the dead key (lazily, by this read) is no logical change.
        assert raw.cmd("GET", "k") == b"$-1\r\n"
        assert watched_exec(raw) == b"*1\r\n" + OK
    finally:
        raw.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_watch_flushdb_and_flushall(two):
    a, b = two
    for flush in (("FLUSHDB",), ("FLUSHALL",)):
        a.cmd("SET", "k", "1")
        a.cmd("WATCH", "k")
        b.cmd(*flush)
        assert watched_exec(a) == NULL_ARRAY
    # Flushing changes only keys that exist.
    a.cmd("WATCH", "absent")
    b.cmd("FLUSHALL")
    assert watched_exec(a) == b"*1\r\n" + OK


def test_watch_flushdb_other_db_is_no_change(two):
    a, b = two
    a.cmd("SET", "k", "1")
    a.cmd("WATCH", "k")
    b.cmd("SELECT", "1")
    b.cmd("SET", "k", "1")
    b.cmd("FLUSHDB")
    assert watched_exec(a) == b"*1\r\n" + OK


def test_watch_swapdb(two):
    a, b = two
    a.cmd("SET", "k", "db0")
    a.cmd("WATCH", "k")
    b.cmd("SWAPDB", "0", "1")
    assert watched_exec(a) == NULL_ARRAY
    # An absent watched key that the swap brings in changes too.
    b.cmd("FLUSHALL")
    b.cmd("SELECT", "1")
    b.cmd("SET", "k", "db1")
    a.cmd("WATCH", "k")
    b.cmd("SWAPDB", "0", "1")
    assert watched_exec(a) == NULL_ARRAY
    # Absent on both sides: no change.
    a.cmd("WATCH", "nothere")
    b.cmd("SWAPDB", "0", "1")
    assert watched_exec(a) == b"*1\r\n" + OK


def test_unwatch_and_discard_clear_watches(two):
    a, b = two
    a.cmd("WATCH", "k")
    assert a.cmd("UNWATCH") == OK
    b.cmd("SET", "k", "1")
    assert watched_exec(a) == b"*1\r\n" + OK
    a.cmd("WATCH", "k")
    a.cmd("MULTI")
    assert a.cmd("DISCARD") == OK
    b.cmd("SET", "k", "2")
    assert watched_exec(a) == b"*1\r\n" + OK


def test_watch_unwatch_after_dirty_resets(two):
    a, b = two
    a.cmd("WATCH", "k")
    b.cmd("SET", "k", "1")
    a.cmd("UNWATCH")
    assert watched_exec(a) == b"*1\r\n" + OK


def test_watch_disconnect_of_watcher(server, raw):
    c = server.raw()
    c.cmd("WATCH", "k")
    c.close()
    time.sleep(0.05)
    raw.cmd("SET", "k", "1")
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_watch_redis_py_optimistic_lock(server, r):
    r.set("counter", "1")
    other = server.client()
    try:
        with r.pipeline() as p:
            p.watch("counter")
            value = int(p.get("counter"))
            other.set("counter", "100")
            p.multi()
            p.set("counter", value + 1)
            with pytest.raises(redis.WatchError):
                p.execute()
    finally:
        other.close()
    assert r.get("counter") == b"100"


# --- the log ---

@pytest.mark.skipif(IS_REDIS, reason="reads PairDB's own log format")
def test_multi_effects_in_one_log_frame(start_server):
    s = start_server("--appendonly", "yes", "--appendfsync", "always")
    c = s.raw()
    try:
        c.cmd("SET", "before", "1")
        c.cmd("MULTI")
        c.cmd("SET", "a", "1")
        c.cmd("INCR", "a")
        c.cmd("GET", "a")
        c.cmd("RPUSH", "l", "x", "y")
        c.cmd("SELECT", "2")
        c.cmd("SET", "b", "2")
        assert c.cmd("EXEC") == b"*6\r\n" + OK + num(2) + bulk("2") + num(2) + OK + OK
        frames = walfile.read_frames(s.dir)
        holding = [cmds for _, cmds in frames if [b"INCR", b"a"] in cmds]
        assert len(holding) == 1
        effects = holding[0]
        # EXEC, MULTI and the read are not logged; every write is, in order, in this frame.
        assert effects == [[b"SELECT", b"0"], [b"SET", b"a", b"1"], [b"INCR", b"a"],
                           [b"RPUSH", b"l", b"x", b"y"], [b"SELECT", b"2"],
                           [b"SET", b"b", b"2"]]
    finally:
        c.close()


def test_multi_out_of_memory(server, raw):
    oom = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    other = server.raw()
    try:
        assert raw.cmd("MULTI") == OK
        assert raw.cmd("SET", "a", "1") == QUEUED
        assert other.cmd("CONFIG", "SET", "maxmemory", "1") == OK
        # EXEC is checked with its queued commands' flags: a write refused for memory.
        assert raw.cmd("EXEC") == (b"-EXECABORT Transaction discarded because of: OOM command "
                                   b"not allowed when used memory > 'maxmemory'.\r\n")
        assert raw.cmd("MULTI") == OK
        # Past maxmemory nothing more is queued, not even a read.
        assert raw.cmd("GET", "a") == oom
        assert raw.cmd("DISCARD") == OK
        assert raw.cmd("MULTI") == OK
        assert raw.cmd("GET", "a") == oom
        assert raw.cmd("EXEC") == EXECABORT
        assert raw.cmd("GET", "a") == b"$-1\r\n"
    finally:
        assert other.cmd("CONFIG", "SET", "maxmemory", "0") == OK
        other.close()
