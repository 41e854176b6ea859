"""Functions: FUNCTION LOAD|DELETE|FLUSH|LIST|DUMP|RESTORE|STATS|KILL, FCALL, FCALL_RO, and
EVAL shebang flags.

Replies and error texts are Redis 7.0's; the tests run against redis-server too
(PAIRDB_TARGET=redis) except those that read PairDB's own log or payload format.
"""

import threading

import pytest
import redis

from conftest import IS_REDIS, wait_for
import walfile

LIB = """#!lua name=mylib
redis.register_function('setit', function(keys, args) return redis.call('set', keys[1], args[1]) end)
redis.register_function{function_name='echo', callback=function(keys, args)
  return {keys[1] or false, args[1] or false, #keys, #args} end,
  flags={'no-writes'}, description='echoes'}
"""


@pytest.fixture
def fr(r):
    r.execute_command("FUNCTION", "FLUSH")
    yield r
    r.execute_command("FUNCTION", "FLUSH")


def err(fn, *args):
    with pytest.raises(redis.ResponseError) as e:
        fn(*args)
    return str(e.value)


def load(r, code, replace=False):
    args = ["FUNCTION", "LOAD"] + (["REPLACE"] if replace else []) + [code]
    return r.execute_command(*args)


# ---- loading ----

@pytest.mark.skipif(IS_REDIS, reason="redis-server 7.0.15 crashes on FUNCTION DELETE of this library")
def test_names_differing_by_case_in_one_library(fr):
    # Redis 7.0 accepts both; FCALL, which ignores case, reaches the later one.
    load(fr, "#!lua name=x\nredis.register_function('p', function() return 1 end)\n"
             "redis.register_function('P', function() return 2 end)")
    assert fr.execute_command("FCALL", "p", 0) == 2
    assert fr.execute_command("FUNCTION", "STATS")[3][1][3] == 2
    assert fr.execute_command("FUNCTION", "DELETE", "x") == b"OK"
    assert err(fr.execute_command, "FCALL", "p", 0) == "Function not found"


def test_load_and_call(fr):
    assert load(fr, LIB) == b"mylib"
    assert fr.execute_command("FCALL", "setit", 1, "k", "v") == b"OK"
    assert fr.get("k") == b"v"
    assert fr.execute_command("FCALL", "echo", 2, "a", "b", "c") == [b"a", b"c", 2, 1]
    assert fr.execute_command("FCALL", "echo", 0) == [None, None, 0, 0]
    # Function names match in any case; library names do not.
    assert fr.execute_command("FCALL", "ECHO", 0) == [None, None, 0, 0]
    assert err(fr.execute_command, "FUNCTION", "DELETE", "MYLIB") == "Library not found"


@pytest.mark.parametrize("code,message", [
    ("return 1", "Missing library metadata"),
    ("#!lua\nreturn 1", "Library name was not given"),
    ("#!lua name=x foo=bar\nreturn 1", "Invalid metadata value given: foo=bar"),
    ("#!lua name=a name=b\nreturn 1",
     "Invalid metadata value, name argument was given multiple times"),
    ("#!lua2 name=x\nreturn 1", "Engine 'lua2' not found"),
    ("#!lua name=x\nreturn 1", "No functions registered"),
    ("#!lua name=x-y\nreturn 1", "Library names can only contain letters, numbers, or "
     "underscores(_) and must be at least one character long"),
    ("#!lua name=x\nredis.register_function('a-b', function() return 1 end)",
     "Error registering functions: ERR Library names can only contain letters, numbers, or "
     "underscores(_) and must be at least one character long"),
    ("#!lua name=x\nredis.call('ping')", "Error registering functions: ERR user_function:2: "
     "Script attempted to access nonexistent global variable 'call'"),
    ("#!lua name=x\nfoo = 1",
     "Error registering functions: ERR user_function:2: Attempt to modify a readonly table"),
    ("#!lua name=x\nlocal a = \n",
     "Error compiling function: user_function:3: unexpected symbol near '<eof>'"),
    ("#!lua name=x\nredis.register_function{function_name='z', callback=function() return 1 "
     "end, flags={'bad'}}", "Error registering functions: ERR unknown flag given"),
    ("#!lua name=x\nredis.register_function{function_name='z', callback=function() return 1 "
     "end, foo=1}", "Error registering functions: ERR unknown argument given to "
     "redis.register_function"),
    ("#!lua name=x\nredis.register_function{function_name='z', callback=function() return 1 "
     "end, flags='no-writes'}", "Error registering functions: ERR flags argument to "
     "redis.register_function must be a table representing function flags"),
    ("#!lua name=x\nredis.register_function{callback=function() return 1 end}",
     "Error registering functions: ERR redis.register_function must get a function name "
     "argument"),
    ("#!lua name=x\nredis.register_function{function_name='p'}",
     "Error registering functions: ERR redis.register_function must get a callback argument"),
    ("#!lua name=x\nredis.register_function('z')", "Error registering functions: ERR calling "
     "redis.register_function with a single argument is only applicable to Lua table "
     "(representing named arguments)."),
    ("#!lua name=x\nredis.register_function('z', 'notfunc')", "Error registering functions: "
     "ERR second argument to redis.register_function must be a function"),
    ("#!lua name=x\nredis.register_function('p', function() return 1 end, 3)",
     "Error registering functions: ERR wrong number of arguments to redis.register_function"),
    ("#!lua name=x\nredis.register_function('p', function() return 1 end)\n"
     "redis.register_function('p', function() return 1 end)",
     "Error registering functions: ERR Function already exists in the library"),
    ("#!lua name=x\nerror('boom')", "Error registering functions: ERR user_function:2: Script "
     "attempted to access nonexistent global variable 'error'"),
    ("#!lua name=x\nwhile true do end", "Error registering functions: ERR FUNCTION LOAD timeout"),
])
def test_load_errors(fr, code, message):
    assert err(load, fr, code) == message
    assert fr.execute_command("FUNCTION", "LIST") == []


def test_load_time_globals_are_limited(fr):
    for name in ("string", "pairs", "cjson", "KEYS", "_G", "redis.setresp", "redis.sha1hex"):
        code = "#!lua name=p\nlocal x = %s\nredis.register_function('p', function() return 1 end)"
        short = name.split(".")[-1]
        assert err(load, fr, code % name) == ("Error registering functions: ERR user_function:2: "
                                              "Script attempted to access nonexistent global "
                                              "variable '%s'" % short)
    ok = ("#!lua name=p\nlocal v = redis.REDIS_VERSION .. redis.LOG_WARNING\nredis.log(redis.LOG_"
          "NOTICE, 'loading')\nredis.register_function('p', function() return 1 end)")
    assert load(fr, ok) == b"p"


def test_run_time_globals_are_evals(fr):
    load(fr, "#!lua name=p\nredis.register_function('t', function(k, a) "
             "return {type(string), type(cjson), type(redis.call), type(redis.register_function)}"
             " end)")
    assert fr.execute_command("FCALL", "t", 0) == [b"table", b"table", b"function", b"nil"]
    load(fr, "#!lua name=q\nredis.register_function('k', function() return KEYS end)")
    assert err(fr.execute_command, "FCALL", "k", 0) == (
        "user_function:2: Script attempted to access nonexistent global variable 'KEYS' "
        "script: k, on @user_function:2.")


def test_load_replace_and_conflicts(fr):
    load(fr, LIB)
    assert err(load, fr, LIB) == "Library 'mylib' already exists"
    other = "#!lua name=other\nredis.register_function('SETIT', function() return 1 end)"
    assert err(load, fr, other) == "Function SETIT already exists"
    # REPLACE swaps the whole library: old functions go, new ones come.
    assert load(fr, "#!lua name=mylib\nredis.register_function('fresh', function() return 7 "
                    "end)", replace=True) == b"mylib"
    assert fr.execute_command("FCALL", "fresh", 0) == 7
    assert err(fr.execute_command, "FCALL", "setit", 0) == "Function not found"
    # A failed REPLACE leaves the old library in place.
    assert err(load, fr, "#!lua name=mylib\nreturn 1", True) == "No functions registered"
    assert fr.execute_command("FCALL", "fresh", 0) == 7


def test_load_option_and_arity(fr):
    assert err(fr.execute_command, "FUNCTION", "LOAD", "BAD", LIB) == "Unknown option given: BAD"
    assert err(fr.execute_command, "FUNCTION", "LOAD") == (
        "wrong number of arguments for 'function|load' command")


# ---- FCALL ----

def test_fcall_errors(fr):
    load(fr, LIB)
    assert err(fr.execute_command, "FCALL", "nope", 0) == "Function not found"
    assert err(fr.execute_command, "FCALL", "setit", 3, "a") == (
        "Number of keys can't be greater than number of args")
    assert err(fr.execute_command, "FCALL", "setit", -1) == "Number of keys can't be negative"
    assert err(fr.execute_command, "FCALL", "setit", "x") == "Bad number of keys provided"


def test_fcall_ro_and_no_writes(fr):
    load(fr, LIB)
    assert err(fr.execute_command, "FCALL_RO", "setit", 1, "k", "v") == (
        "Can not execute a script with write flag using *_ro command.")
    assert fr.execute_command("FCALL_RO", "echo", 1, "k", "v") == [b"k", b"v", 1, 1]
    load(fr, "#!lua name=w\nredis.register_function{function_name='w', callback=function() "
             "return redis.call('set','x','1') end, flags={'no-writes'}}")
    expected = ("Write commands are not allowed from read-only scripts. script: w, on "
                "@user_function:2.")
    assert err(fr.execute_command, "FCALL", "w", 0) == expected
    assert err(fr.execute_command, "FCALL_RO", "w", 0) == expected
    assert fr.get("x") is None


def test_fcall_runtime_error_and_pcall(fr):
    load(fr, "#!lua name=e\n"
             "redis.register_function('bad', function() return redis.call('incr', 'k') end)\n"
             "redis.register_function('safe', function() return redis.pcall('incr', 'k') end)\n"
             "redis.register_function('oops', function() local t = nil; return t.x end)")
    fr.set("k", "text")
    assert err(fr.execute_command, "FCALL", "bad", 0) == (
        "value is not an integer or out of range script: bad, on @user_function:2.")
    assert err(fr.execute_command, "FCALL", "safe", 0) == "value is not an integer or out of range"
    assert err(fr.execute_command, "FCALL", "oops", 0).startswith(
        "user_function:4: attempt to index local 't' (a nil value) script: oops")


def test_allow_oom_flag(start_server):
    s = start_server("--maxmemory-policy", "noeviction")
    c = redis.Redis(host=s.host, port=s.port)
    load(c, "#!lua name=o\n"
            "redis.register_function('plain', function() return 1 end)\n"
            "redis.register_function{function_name='oom_ok', callback=function() "
            "return redis.call('set', 'a', 'b') end, flags={'allow-oom'}}\n"
            "redis.register_function{function_name='ro', callback=function() return 2 end, "
            "flags={'no-writes'}}")
    c.config_set("maxmemory", "1")
    assert err(c.execute_command, "FCALL", "plain", 0) == (
        "OOM command not allowed when used memory > 'maxmemory'.")
    assert c.execute_command("FCALL", "ro", 0) == 2
    assert c.execute_command("FCALL", "oom_ok", 0) == b"OK"
    assert c.get("a") == b"b"


# ---- LIST / STATS / DELETE / FLUSH ----

def test_list(fr):
    load(fr, LIB)
    load(fr, "#!lua name=zzz\nredis.register_function('z', function() return 1 end)")
    libs = fr.execute_command("FUNCTION", "LIST", "LIBRARYNAME", "my*")
    assert len(libs) == 1
    lib = libs[0]
    assert lib[:4] == [b"library_name", b"mylib", b"engine", b"LUA"]
    assert lib[4] == b"functions"
    funcs = sorted(lib[5], key=lambda f: f[1])
    assert funcs == [[b"name", b"echo", b"description", b"echoes", b"flags", [b"no-writes"]],
                     [b"name", b"setit", b"description", None, b"flags", []]]
    withcode = fr.execute_command("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "zzz")
    assert withcode[0][6:] == [b"library_code",
                               b"#!lua name=zzz\nredis.register_function('z', function() return "
                               b"1 end)"]
    assert len(fr.execute_command("FUNCTION", "LIST")) == 2
    assert err(fr.execute_command, "FUNCTION", "LIST", "foo") == "Unknown argument foo"
    assert err(fr.execute_command, "FUNCTION", "LIST", "LIBRARYNAME") == (
        "library name argument was not given")
    assert err(fr.execute_command, "FUNCTION", "LIST", "WITHCODE", "WITHCODE") == (
        "Unknown argument WITHCODE")


def test_list_resp3(server, fr):
    load(fr, "#!lua name=zzz\nredis.register_function{function_name='z', callback=function() "
             "return 1 end, flags={'no-writes', 'allow-oom'}}")
    from resp import RawConn
    c = RawConn(server.host, server.port)
    c.send("HELLO", "3")
    c.read_reply()
    assert c.cmd("FUNCTION", "LIST") == (
        b"*1\r\n%3\r\n$12\r\nlibrary_name\r\n$3\r\nzzz\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
        b"$9\r\nfunctions\r\n*1\r\n%3\r\n$4\r\nname\r\n$1\r\nz\r\n$11\r\ndescription\r\n_\r\n"
        b"$5\r\nflags\r\n~2\r\n+no-writes\r\n+allow-oom\r\n")
    assert c.cmd("FUNCTION", "STATS") == (
        b"%2\r\n$14\r\nrunning_script\r\n_\r\n$7\r\nengines\r\n%1\r\n$3\r\nLUA\r\n%2\r\n"
        b"$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n")
    c.close()


def test_delete_and_flush(fr):
    load(fr, LIB)
    assert err(fr.execute_command, "FUNCTION", "DELETE", "nope") == "Library not found"
    assert fr.execute_command("FUNCTION", "DELETE", "mylib") == b"OK"
    assert err(fr.execute_command, "FCALL", "echo", 0) == "Function not found"
    load(fr, LIB)
    assert err(fr.execute_command, "FUNCTION", "FLUSH", "foo") == (
        "FUNCTION FLUSH only supports SYNC|ASYNC option")
    assert fr.execute_command("FUNCTION", "FLUSH", "ASYNC") == b"OK"
    assert fr.execute_command("FUNCTION", "LIST") == []
    # Functions are not data: FLUSHALL and SCRIPT FLUSH leave them.
    load(fr, LIB)
    fr.flushall()
    fr.script_flush()
    assert fr.execute_command("FCALL", "echo", 0) == [None, None, 0, 0]


def test_stats_counts(fr):
    load(fr, LIB)
    assert fr.execute_command("FUNCTION", "STATS") == [
        b"running_script", None, b"engines",
        [b"LUA", [b"libraries_count", 1, b"functions_count", 2]]]


# ---- DUMP / RESTORE ----

def test_dump_restore(fr):
    load(fr, LIB)
    payload = fr.execute_command("FUNCTION", "DUMP")
    assert err(fr.execute_command, "FUNCTION", "RESTORE", payload) == "Library mylib already exists"
    assert err(fr.execute_command, "FUNCTION", "RESTORE", payload, "BAD") == (
        "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    assert err(fr.execute_command, "FUNCTION", "RESTORE", b"garbage") == (
        "DUMP payload version or checksum are wrong")
    broken = payload[:-1] + bytes([payload[-1] ^ 1])
    assert err(fr.execute_command, "FUNCTION", "RESTORE", broken) == (
        "DUMP payload version or checksum are wrong")
    assert fr.execute_command("FUNCTION", "RESTORE", payload, "REPLACE") == b"OK"
    fr.execute_command("FUNCTION", "FLUSH")
    assert fr.execute_command("FUNCTION", "RESTORE", payload) == b"OK"
    assert fr.execute_command("FCALL", "setit", 1, "k", "v") == b"OK"
    # FLUSH drops libraries the payload lacks; all or nothing on a clash.
    load(fr, "#!lua name=extra\nredis.register_function('extra', function() return 1 end)")
    assert fr.execute_command("FUNCTION", "RESTORE", payload, "FLUSH") == b"OK"
    assert err(fr.execute_command, "FCALL", "extra", 0) == "Function not found"
    fr.execute_command("FUNCTION", "FLUSH")
    load(fr, "#!lua name=clash\nredis.register_function('echo', function() return 1 end)")
    assert err(fr.execute_command, "FUNCTION", "RESTORE", payload, "REPLACE") == (
        "Function echo already exists")
    assert [l[1] for l in fr.execute_command("FUNCTION", "LIST")] == [b"clash"]


# ---- busy functions ----

def test_busy_function_killed_with_function_kill(start_server):
    s = start_server("--busy-reply-threshold", "100")
    runner = redis.Redis(host=s.host, port=s.port, socket_timeout=20)
    other = redis.Redis(host=s.host, port=s.port, socket_timeout=5)
    load(runner, "#!lua name=busy\nredis.register_function('spin', function(k, a) "
                 "local i = 0 while true do i = i + 1 end end)")
    out = {}

    def run():
        try:
            runner.execute_command("FCALL", "spin", 1, "kk", "aa")
        except redis.ResponseError as e:
            out["err"] = str(e)

    t = threading.Thread(target=run)
    t.start()

    def busy():
        try:
            other.get("x")
        except redis.ResponseError as e:
            return str(e)
        return False
    assert wait_for(busy, timeout=5) == (
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
    stats = other.execute_command("FUNCTION", "STATS")
    running = stats[1]
    assert running[:4] == [b"name", b"spin", b"command", [b"FCALL", b"spin", b"1", b"kk", b"aa"]]
    assert running[4] == b"duration_ms" and running[5] >= 100
    # SCRIPT KILL does not end a function.
    assert err(other.execute_command, "SCRIPT", "KILL").startswith("BUSY")
    assert other.execute_command("FUNCTION", "KILL") == b"OK"
    t.join(10)
    assert not t.is_alive()
    assert out["err"] == ("Script killed by user with SCRIPT KILL... script: spin, on "
                          "@user_function:2.")
    assert other.ping()


def test_function_kill_does_not_end_eval(start_server):
    s = start_server("--busy-reply-threshold", "100")
    runner = redis.Redis(host=s.host, port=s.port, socket_timeout=20)
    other = redis.Redis(host=s.host, port=s.port, socket_timeout=5)
    t = threading.Thread(target=lambda: _ignore(runner.eval, "while true do end", 0))
    t.start()

    def busy():
        try:
            other.get("x")
        except redis.ResponseError as e:
            return str(e)
        return False
    assert wait_for(busy, timeout=5).endswith("SCRIPT KILL or SHUTDOWN NOSAVE.")
    assert err(other.execute_command, "FUNCTION", "KILL").startswith("BUSY")
    assert err(other.execute_command, "FUNCTION", "STATS").startswith("BUSY")
    assert other.execute_command("SCRIPT", "KILL") == b"OK"
    t.join(10)
    assert not t.is_alive()


def test_kill_when_idle(fr):
    assert err(fr.execute_command, "FUNCTION", "KILL") == "NOTBUSY No scripts in execution right now."


def _ignore(fn, *a):
    try:
        fn(*a)
    except redis.ResponseError:
        pass


# ---- EVAL shebang ----

@pytest.mark.parametrize("script,message", [
    ("#!lua name=x\nreturn 1", "Unknown lua shebang option: name=x"),
    ("#!lua flags=bad\nreturn 1", "Unexpected flag in script shebang: bad"),
    ("#!lua2\nreturn 1", "Unexpected engine in script shebang: #!lua2"),
])
def test_eval_shebang_errors(r, script, message):
    assert err(r.eval, script, 0) == message
    assert err(r.script_load, script) == message


def test_eval_shebang_flags(r):
    body = "#!lua flags=no-writes\nreturn redis.call('set','a','b')"
    msg = err(r.eval, body, 0)
    assert msg.startswith("Write commands are not allowed from read-only scripts. script: ")
    assert msg.endswith(", on @user_script:2.")
    assert r.eval("#!lua\nreturn redis.call('set','a','b')", 0) == b"OK"
    assert err(r.eval_ro, "#!lua\nreturn 1", 0) == (
        "Can not execute a script with write flag using *_ro command.")
    assert r.eval_ro("#!lua flags=no-writes,allow-oom\nreturn 1", 0) == 1
    sha = r.script_load("#!lua\nreturn 2")
    assert err(r.evalsha_ro, sha, 0) == "Can not execute a script with write flag using *_ro command."
    assert r.evalsha(sha, 0) == 2


# ---- durability ----

@pytest.mark.skipif(IS_REDIS, reason="reads PairDB's own log and restarts it")
def test_functions_survive_crash_via_log_and_snapshot(start_server):
    s = start_server("--appendonly", "yes", "--appendfsync", "always")
    c = redis.Redis(host=s.host, port=s.port)
    load(c, LIB)
    c.execute_command("FCALL", "setit", 1, "k", "v1")
    effects = [[e[0].upper()] + e[1:] for e in walfile.read_effects(s.dir)]
    names = [e[0] for e in effects]
    assert b"FCALL" not in names
    assert [b"SET", b"k", b"v1"] in effects
    assert any(e[0] == b"FUNCTION" and e[1].upper() == b"LOAD" for e in effects)
    s.crash_restart()
    c = redis.Redis(host=s.host, port=s.port)
    assert c.execute_command("FCALL", "echo", 1, "x", "y") == [b"x", b"y", 1, 1]
    assert c.get("k") == b"v1"
    # Now from a snapshot: the library is in it, the log before it is gone.
    load(c, "#!lua name=second\nredis.register_function('two', function() return 2 end)")
    c.execute_command("FUNCTION", "DELETE", "mylib")
    assert c.execute_command("BGREWRITEAOF")
    wait_for(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0, timeout=10)
    load(c, "#!lua name=third\nredis.register_function('three', function() return 3 end)")
    s.crash_restart()
    c = redis.Redis(host=s.host, port=s.port)
    assert c.execute_command("FCALL", "two", 0) == 2
    assert c.execute_command("FCALL", "three", 0) == 3
    assert err(c.execute_command, "FCALL", "echo", 0) == "Function not found"
    assert sorted(l[1] for l in c.execute_command("FUNCTION", "LIST")) == [b"second", b"third"]


# ---- SCRIPT DEBUG ----

def test_script_debug(r):
    assert r.execute_command("SCRIPT", "DEBUG", "NO") == b"OK"
    assert err(r.execute_command, "SCRIPT", "DEBUG", "maybe") == "Use SCRIPT DEBUG YES/SYNC/NO"


@pytest.mark.skipif(IS_REDIS, reason="PairDB has no Lua debugger; Redis starts one")
def test_script_debug_yes_refused_pairdb(r):
    assert err(r.execute_command, "SCRIPT", "DEBUG", "YES") == (
        "SCRIPT DEBUG is not supported: this server has no Lua debugger")
