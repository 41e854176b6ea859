"""lua-memory-limit: the bound on what a Lua state (EVAL's, or the functions') may hold while a
script runs.

A script that goes past it fails with an error reply, the server keeps serving, the state is
collected back and later scripts run; writes the script already made stay, as with any script
error. Redis has no such limit: these are PairDB's own choices, so they run against PairDB only.
"""

import hashlib

import pytest

from conftest import IS_REDIS, wait_for

pytestmark = pytest.mark.skipif(IS_REDIS, reason="lua-memory-limit is PairDB's own setting")

OOM_TEXT = "not enough memory, lua-memory-limit reached"
GROW_TABLE = "local t = {} for i = 1, 1e9 do t[i] = i end return #t"
DOUBLE_STRING = "local s = 'x' for i = 1, 40 do s = s .. s end return #s"


def eval_oom(script):
    """The exact reply of EVAL for a script that ran out of memory."""
    sha = hashlib.sha1(script.encode()).hexdigest()
    return b"-ERR Error running script: %s script: %s\r\n" % (OOM_TEXT.encode(), sha.encode())


def fcall_oom(name):
    return b"-ERR Error running script: %s script: %s\r\n" % (OOM_TEXT.encode(), name.encode())


def info_memory(raw, field):
    text = raw.cmd("INFO", "memory").split(b"\r\n\r\n", 1)[0].decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError("no %s in INFO memory" % field)


@pytest.fixture
def limited(start_server):
    return start_server("--lua-memory-limit", "4mb")


@pytest.fixture
def lraw(limited):
    c = limited.raw()
    yield c
    c.close()


def test_default_is_one_gigabyte(r):
    assert r.config_get("lua-memory-limit") == {"lua-memory-limit": "1073741824"}


def test_a_growing_table_fails_and_the_server_goes_on(lraw):
    assert lraw.cmd("EVAL", GROW_TABLE, 0) == eval_oom(GROW_TABLE)
    assert lraw.cmd("PING") == b"+PONG\r\n"
    assert lraw.cmd("EVAL", "return 7", 0) == b":7\r\n"
    # The same script again: the state was collected back, it fails the same way.
    assert lraw.cmd("EVAL", GROW_TABLE, 0) == eval_oom(GROW_TABLE)
    assert lraw.cmd("EVAL", "return {1, 2}", 0) == b"*2\r\n:1\r\n:2\r\n"


def test_a_doubling_string_fails(lraw):
    assert lraw.cmd("EVAL", DOUBLE_STRING, 0) == eval_oom(DOUBLE_STRING)
    assert lraw.cmd("EVAL", "return string.rep('ab', 3)", 0) == b"$6\r\nababab\r\n"


def test_the_state_is_collected_back_after_the_failure(lraw):
    assert lraw.cmd("EVAL", GROW_TABLE, 0) == eval_oom(GROW_TABLE)
    # Far under the 4mb the script reached.
    assert info_memory(lraw, "used_memory_lua") < 512 * 1024


@pytest.mark.parametrize("garbage", [
    "for j = 1, 300000 do local s = tostring(j) .. 'x' end",
    "for j = 1, 3000 do local s = string.rep('y', 10000 + j) end",
    "for j = 1, 3000 do local u = {} for k = 1, 100 do u[k] = k end end",
])
def test_garbage_does_not_fail_a_script_whose_data_fits(lraw, garbage):
    # 2mb of live table (half the limit) while the script makes 30mb of garbage: the collector
    # runs early enough under a limit, and a script that changes its pace gets it reset.
    script = "local t = {} for i = 1, 100000 do t[i] = i end " + garbage + " return #t"
    assert lraw.cmd("EVAL", "collectgarbage('setpause', 400) return 1", 0) == b":1\r\n"
    assert lraw.cmd("EVAL", script, 0) == b":100000\r\n"


def test_writes_made_before_the_failure_stay(lraw):
    script = "redis.call('SET', KEYS[1], 'kept') " + GROW_TABLE
    assert lraw.cmd("EVAL", script, 1, "k") == eval_oom(script)
    assert lraw.cmd("GET", "k") == b"$4\r\nkept\r\n"


def test_a_lua_pcall_catches_the_memory_error(lraw):
    script = ("local ok, e = pcall(function() " + GROW_TABLE + " end) "
              "collectgarbage() return {tostring(ok), e}")
    assert lraw.cmd("EVAL", script, 0) == b"*2\r\n$5\r\nfalse\r\n$17\r\nnot enough memory\r\n"


def test_replies_of_redis_call_count(lraw):
    # Each reply lands whole on the Lua stack; the limit stops the script after it.
    assert lraw.cmd("SET", "k", "v") == b"+OK\r\n"
    script = "local t = {} for i = 1, 1e9 do t[i] = redis.call('GET', 'k') .. i end return 1"
    assert lraw.cmd("EVAL", script, 0) == eval_oom(script)
    # One reply bigger than the whole limit.
    assert lraw.cmd("SET", "big", "x" * (5 * 1024 * 1024)) == b"+OK\r\n"
    script = "local v = redis.call('GET', 'big') return #v"
    assert lraw.cmd("EVAL", script, 0) == eval_oom(script)
    assert lraw.cmd("EVAL", "return redis.call('STRLEN', 'big')", 0) == b":5242880\r\n"


def test_cjson_decoding_past_the_limit_fails_cleanly(lraw):
    # cjson's C buffers must not leak (the sanitizer build checks at exit).
    script = ("local t = {} for i = 1, 1e9 do "
              "t[i] = cjson.decode('[1,2,3,4,5,6,7,8,9,10,\"abcdefghij\"]') end return 1")
    assert lraw.cmd("EVAL", script, 0) == eval_oom(script)
    script = "local t = {} for i = 1, 1e9 do t[i] = cjson.encode({i, 'x', i}) end return 1"
    assert lraw.cmd("EVAL", script, 0) == eval_oom(script)
    assert lraw.cmd("EVAL", "return cjson.encode(cjson.decode('[1,\"a\"]'))", 0) == \
        b"$7\r\n[1,\"a\"]\r\n"


def test_config_set_changes_the_limit_live(lraw):
    # About 16mb of table: over 4mb, under 64mb.
    script = "local t = {} for i = 1, 1e6 do t[i] = i end return #t"
    assert lraw.cmd("EVAL", script, 0) == eval_oom(script)
    assert lraw.cmd("CONFIG", "SET", "lua-memory-limit", "64mb") == b"+OK\r\n"
    assert lraw.cmd("CONFIG", "GET", "lua-memory-limit") == \
        b"*2\r\n$16\r\nlua-memory-limit\r\n$8\r\n67108864\r\n"
    assert lraw.cmd("EVAL", script, 0) == b":1000000\r\n"
    assert lraw.cmd("CONFIG", "SET", "lua-memory-limit", "0") == b"+OK\r\n"
    assert lraw.cmd("EVAL", script, 0) == b":1000000\r\n"
    assert lraw.cmd("CONFIG", "SET", "lua-memory-limit", "4mb") == b"+OK\r\n"
    assert lraw.cmd("EVAL", script, 0) == eval_oom(script)
    assert lraw.cmd("CONFIG", "SET", "lua-memory-limit", "lots") == \
        b"-ERR CONFIG SET failed (possibly related to argument 'lua-memory-limit') - " \
        b"argument must be a memory value\r\n"


def test_fcall_past_the_limit(lraw):
    lib = ("#!lua name=mem\n"
           "redis.register_function('grow', function(keys, args) " + GROW_TABLE + " end)\n"
           "redis.register_function('small', function(keys, args) return 'fine' end)\n")
    assert lraw.cmd("FUNCTION", "LOAD", lib) == b"$3\r\nmem\r\n"
    assert lraw.cmd("FCALL", "grow", 0) == fcall_oom("grow")
    assert lraw.cmd("PING") == b"+PONG\r\n"
    assert lraw.cmd("FCALL", "small", 0) == b"$4\r\nfine\r\n"
    assert lraw.cmd("FCALL", "grow", 0) == fcall_oom("grow")
    assert info_memory(lraw, "used_memory_vm_functions") < 512 * 1024
    assert lraw.cmd("EVAL", "return 'eval still works'", 0) == b"$16\r\neval still works\r\n"


def test_function_load_past_the_limit_loads_nothing(lraw):
    lib = ("#!lua name=fat\n"
           "redis.register_function('f', function() return 1 end)\n"
           "local t = {} for i = 1, 1e9 do t[i] = i end\n")
    assert lraw.cmd("FUNCTION", "LOAD", lib) == \
        b"-ERR Error registering functions: " + OOM_TEXT.encode() + b"\r\n"
    assert lraw.cmd("FUNCTION", "LIST") == b"*0\r\n"
    assert lraw.cmd("FCALL", "f", 0) == b"-ERR Function not found\r\n"


def test_compiling_past_the_limit_fails(limited):
    c = limited.raw()
    try:
        assert c.cmd("CONFIG", "SET", "lua-memory-limit", "1mb") == b"+OK\r\n"
        # Two million constants do not fit a 1mb state.
        body = "return {" + ",".join(str(i) for i in range(200000)) + "}"
        reply = c.cmd("EVAL", body, 0)
        assert reply.startswith(b"-ERR Error compiling script (new function): "), reply[:200]
        assert b"not enough memory" in reply
        assert c.cmd("EVAL", "return 1", 0) == b":1\r\n"
    finally:
        c.close()


def test_info_reads_the_states_own_counters(lraw):
    before = info_memory(lraw, "used_memory_vm_functions")
    lib = "#!lua name=l1\nredis.register_function('f1', function() return 1 end)\n"
    assert lraw.cmd("FUNCTION", "LOAD", lib) == b"$2\r\nl1\r\n"
    assert info_memory(lraw, "used_memory_vm_functions") > before
    assert lraw.cmd("EVAL", "return 1", 0) == b":1\r\n"
    assert info_memory(lraw, "used_memory_lua") > 0
    assert lraw.cmd("SCRIPT", "FLUSH") == b"+OK\r\n"
    assert info_memory(lraw, "used_memory_lua") == 0


def test_a_busy_script_with_a_limit_still_serves_others(limited):
    # Past busy-reply-threshold the loop runs inside the script: other clients' commands must
    # not be charged to the script's state. The script itself makes garbage all along, which
    # the collector keeps under the limit.
    c, other = limited.raw(), limited.raw()
    try:
        assert c.cmd("CONFIG", "SET", "busy-reply-threshold", "100") == b"+OK\r\n"
        script = ("local t = {} local i = 0 while true do i = i + 1 "
                  "t[i % 1000 + 1] = tostring(i) end")
        c.send("EVAL", script, 0)
        wait_for(lambda: other.cmd("PING").startswith(b"-BUSY"), timeout=5)
        assert other.cmd("SCRIPT", "KILL") == b"+OK\r\n"
        reply = c.read_reply()
        assert reply.startswith(b"-ERR Script killed by user with SCRIPT KILL..."), reply
        assert other.cmd("PING") == b"+PONG\r\n"
    finally:
        c.close()
        other.close()


@pytest.mark.parametrize("snapshot", [False, True])
def test_libraries_load_at_start_up_whatever_the_limit(start_server, snapshot):
    # Accepted once, a library is not refused when the log or a snapshot brings it back under
    # a lower limit: that would lose it (or stop the start).
    s = start_server("--appendonly", "yes", "--lua-memory-limit", "64mb")
    lib = ("#!lua name=heavy\n"
           "local t = {} for i = 1, 500000 do t[i] = i end\n"
           "redis.register_function('size', function() return #t end)\n")
    c = s.raw()
    try:
        assert c.cmd("FUNCTION", "LOAD", lib) == b"$5\r\nheavy\r\n"
        if snapshot:
            assert c.cmd("SAVE") == b"+OK\r\n"
    finally:
        c.close()
    s.stop()
    s.extra = ["--appendonly", "yes" if not snapshot else "no", "--lua-memory-limit", "4mb"]
    s.start()
    c = s.raw()
    try:
        assert c.cmd("FCALL", "size", 0) == b":500000\r\n"
        # A new load is held to the limit: the state, holding the old library, is past it.
        assert c.cmd("FUNCTION", "LOAD", "REPLACE", lib) == \
            b"-ERR Error compiling function: not enough memory\r\n"
        assert c.cmd("FCALL", "size", 0) == b":500000\r\n"
        assert c.cmd("FUNCTION", "DELETE", "heavy") == b"+OK\r\n"
        assert c.cmd("FUNCTION", "LOAD", lib) == \
            b"-ERR Error registering functions: " + OOM_TEXT.encode() + b"\r\n"
    finally:
        c.close()
