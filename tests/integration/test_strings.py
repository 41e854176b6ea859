"""String commands with every option and error, checked byte for byte against Redis 7.0.

Tests that need a non-string key (WRONGTYPE checks) create a list.
TTLs are checked with TTL/PTTL within small windows; nothing here sleeps for expiry.
"""

import time

import pytest

from resp import bulk


WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INT = b"-ERR value is not an integer or out of range\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
OVERFLOW = b"-ERR increment or decrement would overflow\r\n"



def arity(cmd):
    return b"-ERR wrong number of arguments for '%s' command\r\n" % cmd.encode()


def expire_err(cmd):
    return b"-ERR invalid expire time in '%s' command\r\n" % cmd.encode()


def ttl(raw, key):
    return int(raw.cmd("TTL", key)[1:-2])


def pttl(raw, key):
    return int(raw.cmd("PTTL", key)[1:-2])


# ---- SET -----------------------------------------------------------------------------------

def test_strings_set_get_basic(raw):
    assert raw.cmd("SET", "str_a", "hello") == b"+OK\r\n"
    assert raw.cmd("GET", "str_a") == bulk("hello")
    assert raw.cmd("SET", "str_a", "world") == b"+OK\r\n"
    assert raw.cmd("GET", "str_a") == bulk("world")
    assert raw.cmd("GET", "str_nokey") == b"$-1\r\n"
    assert raw.cmd("SET", "str_a") == arity("set")
    assert raw.cmd("GET") == arity("get")
    assert raw.cmd("GET", "a", "b") == arity("get")


def test_strings_set_ex_px(raw):
    assert raw.cmd("SET", "str_ex", "v", "EX", "100") == b"+OK\r\n"
    assert ttl(raw, "str_ex") == 100
    assert raw.cmd("SET", "str_px", "v", "PX", "100000") == b"+OK\r\n"
    assert 99000 < pttl(raw, "str_px") <= 100000
    assert raw.cmd("SET", "str_ex", "v", "ex", "50") == b"+OK\r\n"  # options are case-blind
    assert ttl(raw, "str_ex") == 50
    # A plain SET clears the TTL.
    assert raw.cmd("SET", "str_ex", "v") == b"+OK\r\n"
    assert ttl(raw, "str_ex") == -1


def test_strings_set_exat_pxat(raw):
    now = int(time.time())
    assert raw.cmd("SET", "str_exat", "v", "EXAT", now + 200) == b"+OK\r\n"
    assert 198 <= ttl(raw, "str_exat") <= 200
    assert raw.cmd("SET", "str_pxat", "v", "PXAT", (now + 300) * 1000) == b"+OK\r\n"
    assert 297000 <= pttl(raw, "str_pxat") <= 300000
    # A time in the past stores and immediately expires the key.
    assert raw.cmd("SET", "str_exat", "v", "EXAT", "1") == b"+OK\r\n"
    assert raw.cmd("EXISTS", "str_exat") == b":0\r\n"
    assert raw.cmd("SET", "str_pxat", "v", "PXAT", "1") == b"+OK\r\n"
    assert raw.cmd("GET", "str_pxat") == b"$-1\r\n"


def test_strings_set_invalid_expire(raw):
    for opt in ("EX", "PX", "EXAT", "PXAT"):
        assert raw.cmd("SET", "str_inv", "v", opt, "0") == expire_err("set"), opt
        assert raw.cmd("SET", "str_inv", "v", opt, "-1") == expire_err("set"), opt
        assert raw.cmd("SET", "str_inv", "v", opt, "abc") == NOT_INT, opt
        assert raw.cmd("SET", "str_inv", "v", opt, "1.5") == NOT_INT, opt
        assert raw.cmd("SET", "str_inv", "v", opt) == SYNTAX, opt
    # Overflow when converted to absolute milliseconds.
    assert raw.cmd("SET", "str_inv", "v", "EX", "9999999999999999") == expire_err("set")
    assert raw.cmd("SET", "str_inv", "v", "EX", "9223372036854775807") == expire_err("set")
    assert raw.cmd("SET", "str_inv", "v", "PX", "9223372036854775807") == expire_err("set")
    assert raw.cmd("SET", "str_inv", "v", "EXAT", "9223372036854775807") == expire_err("set")
    assert raw.cmd("SET", "str_inv", "v", "EX", "9223372036854775808") == NOT_INT
    assert raw.cmd("EXISTS", "str_inv") == b":0\r\n"


def test_strings_set_syntax_errors(raw):
    bad = [("EX", "10", "PX", "100"), ("NX", "XX"), ("XX", "NX"), ("EX", "10", "KEEPTTL"),
           ("KEEPTTL", "PX", "100"), ("PX", "100", "EXAT", "100000000000"),
           ("EXAT", "100000000000", "PXAT", "100000000000000"), ("FOO",), ("PERSIST",),
           ("KEEPTTL", "PERSIST"), ("NX", "FOO")]
    for opts in bad:
        assert raw.cmd("SET", "str_syn", "v", *opts) == SYNTAX, opts
    assert raw.cmd("EXISTS", "str_syn") == b":0\r\n"


def test_strings_set_repeated_same_option(raw):
    # Repeating the very same flag is accepted; the last value wins.
    assert raw.cmd("SET", "str_rep", "v", "EX", "10", "EX", "20") == b"+OK\r\n"
    assert ttl(raw, "str_rep") == 20
    assert raw.cmd("SET", "str_rep", "w", "GET", "GET") == bulk("v")


def test_strings_set_nx_xx(raw):
    assert raw.cmd("SET", "str_nx", "1", "NX") == b"+OK\r\n"
    assert raw.cmd("SET", "str_nx", "2", "NX") == b"$-1\r\n"
    assert raw.cmd("GET", "str_nx") == bulk("1")
    assert raw.cmd("SET", "str_xx", "1", "XX") == b"$-1\r\n"
    assert raw.cmd("EXISTS", "str_xx") == b":0\r\n"
    assert raw.cmd("SET", "str_nx", "3", "XX") == b"+OK\r\n"
    assert raw.cmd("GET", "str_nx") == bulk("3")
    assert raw.cmd("SET", "str_nx2", "1", "nx", "ex", "100") == b"+OK\r\n"
    assert ttl(raw, "str_nx2") == 100
    # NX failing leaves the TTL alone.
    assert raw.cmd("SET", "str_nx2", "2", "NX", "EX", "5") == b"$-1\r\n"
    assert ttl(raw, "str_nx2") == 100


def test_strings_set_keepttl(raw):
    assert raw.cmd("SET", "str_kt", "v1", "EX", "100") == b"+OK\r\n"
    assert raw.cmd("SET", "str_kt", "v2", "KEEPTTL") == b"+OK\r\n"
    assert ttl(raw, "str_kt") == 100
    assert raw.cmd("GET", "str_kt") == bulk("v2")
    assert raw.cmd("SET", "str_kt", "v3", "KEEPTTL", "GET") == bulk("v2")
    assert ttl(raw, "str_kt") == 100
    assert raw.cmd("SET", "str_kt", "v4") == b"+OK\r\n"
    assert ttl(raw, "str_kt") == -1
    assert raw.cmd("SET", "str_kt_new", "v", "KEEPTTL") == b"+OK\r\n"
    assert ttl(raw, "str_kt_new") == -1


def test_strings_set_get_option(raw):
    assert raw.cmd("SET", "str_sg", "v1", "GET") == b"$-1\r\n"
    assert raw.cmd("SET", "str_sg", "v2", "GET") == bulk("v1")
    assert raw.cmd("SET", "str_sg", "v3", "GET", "EX", "100") == bulk("v2")
    assert ttl(raw, "str_sg") == 100
    # With NX/XX the old value is returned whether or not the write happened.
    assert raw.cmd("SET", "str_sg", "v4", "NX", "GET") == bulk("v3")
    assert raw.cmd("GET", "str_sg") == bulk("v3")
    assert raw.cmd("SET", "str_sg", "v5", "XX", "GET") == bulk("v3")
    assert raw.cmd("GET", "str_sg") == bulk("v5")
    assert raw.cmd("SET", "str_sg_none", "v", "XX", "GET") == b"$-1\r\n"
    assert raw.cmd("EXISTS", "str_sg_none") == b":0\r\n"
    assert raw.cmd("SET", "str_sg_none", "v", "NX", "GET") == b"$-1\r\n"
    assert raw.cmd("GET", "str_sg_none") == bulk("v")


def test_strings_set_get_resp3(raw3):
    assert raw3.cmd("SET", "str_sg3", "v", "GET") == b"_\r\n"
    assert raw3.cmd("SET", "str_sg3", "w", "GET") == bulk("v")
    assert raw3.cmd("SET", "str_sg3", "x", "NX") == b"_\r\n"


def test_strings_wrongtype(raw):
    assert raw.cmd("RPUSH", "str_list", "a") == b":1\r\n"
    for args in (("GET", "str_list"), ("GETEX", "str_list"), ("GETEX", "str_list", "PERSIST"),
                 ("GETDEL", "str_list"), ("GETSET", "str_list", "v"),
                 ("SET", "str_list", "v", "GET"), ("APPEND", "str_list", "x"),
                 ("STRLEN", "str_list"), ("GETRANGE", "str_list", "0", "-1"),
                 ("SUBSTR", "str_list", "0", "-1"), ("SETRANGE", "str_list", "0", "x"),
                 ("INCR", "str_list"), ("DECR", "str_list"), ("INCRBY", "str_list", "2"),
                 ("DECRBY", "str_list", "2"), ("INCRBYFLOAT", "str_list", "1.5")):
        assert raw.cmd(*args) == WRONGTYPE, args
    assert raw.cmd("LCS", "str_list", "str_nokey") == \
        b"-ERR The specified keys must contain string values\r\n"
    # MGET returns nil for non-string keys instead of failing.
    raw.cmd("SET", "str_s", "v")
    assert raw.cmd("MGET", "str_s", "str_list") == b"*2\r\n$1\r\nv\r\n$-1\r\n"
    # Plain SET, SETNX and MSET overwrite or respect whatever type is there.
    assert raw.cmd("SETNX", "str_list", "v") == b":0\r\n"
    assert raw.cmd("TYPE", "str_list") == b"+list\r\n"
    assert raw.cmd("SET", "str_list", "v") == b"+OK\r\n"
    assert raw.cmd("GET", "str_list") == bulk("v")
    # SET ... GET on a wrong type fails without writing.
    raw.cmd("DEL", "str_list")
    raw.cmd("RPUSH", "str_list", "a")
    assert raw.cmd("SET", "str_list", "v", "GET") == WRONGTYPE
    assert raw.cmd("TYPE", "str_list") == b"+list\r\n"


# ---- GETEX GETDEL GETSET SETNX SETEX PSETEX ------------------------------------------------

def test_strings_getex(raw):
    assert raw.cmd("GETEX", "str_gx") == b"$-1\r\n"
    assert raw.cmd("GETEX", "str_gx", "EX", "10") == b"$-1\r\n"
    assert raw.cmd("EXISTS", "str_gx") == b":0\r\n"
    raw.cmd("SET", "str_gx", "v")
    assert raw.cmd("GETEX", "str_gx") == bulk("v")
    assert ttl(raw, "str_gx") == -1
    assert raw.cmd("GETEX", "str_gx", "EX", "100") == bulk("v")
    assert ttl(raw, "str_gx") == 100
    assert raw.cmd("GETEX", "str_gx", "PX", "5000") == bulk("v")
    assert 4000 < pttl(raw, "str_gx") <= 5000
    now = int(time.time())
    assert raw.cmd("GETEX", "str_gx", "EXAT", now + 200) == bulk("v")
    assert 198 <= ttl(raw, "str_gx") <= 200
    assert raw.cmd("GETEX", "str_gx", "PXAT", (now + 300) * 1000) == bulk("v")
    assert 297000 <= pttl(raw, "str_gx") <= 300000
    assert raw.cmd("GETEX", "str_gx") == bulk("v")  # no option: TTL untouched
    assert 297000 <= pttl(raw, "str_gx") <= 300000
    assert raw.cmd("GETEX", "str_gx", "PERSIST") == bulk("v")
    assert ttl(raw, "str_gx") == -1
    # A time in the past deletes the key after returning it.
    assert raw.cmd("GETEX", "str_gx", "EXAT", "1") == bulk("v")
    assert raw.cmd("EXISTS", "str_gx") == b":0\r\n"


def test_strings_getex_errors(raw):
    raw.cmd("SET", "str_gxe", "v")
    for opt in ("EX", "PX", "EXAT", "PXAT"):
        assert raw.cmd("GETEX", "str_gxe", opt, "0") == expire_err("getex"), opt
        assert raw.cmd("GETEX", "str_gxe", opt, "-1") == expire_err("getex"), opt
        assert raw.cmd("GETEX", "str_gxe", opt, "abc") == NOT_INT, opt
        assert raw.cmd("GETEX", "str_gxe", opt) == SYNTAX, opt
    assert raw.cmd("GETEX", "str_gxe", "EX", "9223372036854775807") == expire_err("getex")
    assert raw.cmd("GETEX", "str_gxe", "PERSIST", "EX", "10") == SYNTAX
    assert raw.cmd("GETEX", "str_gxe", "EX", "10", "PX", "10") == SYNTAX
    assert raw.cmd("GETEX", "str_gxe", "FOO") == SYNTAX
    assert raw.cmd("GETEX", "str_gxe", "KEEPTTL") == SYNTAX
    assert raw.cmd("GETEX") == arity("getex")
    assert ttl(raw, "str_gxe") == -1


def test_strings_getdel(raw):
    raw.cmd("SET", "str_gd", "v", "EX", "100")
    assert raw.cmd("GETDEL", "str_gd") == bulk("v")
    assert raw.cmd("EXISTS", "str_gd") == b":0\r\n"
    assert raw.cmd("GETDEL", "str_gd") == b"$-1\r\n"
    assert raw.cmd("GETDEL", "a", "b") == arity("getdel")


def test_strings_getset(raw):
    assert raw.cmd("GETSET", "str_gs", "a") == b"$-1\r\n"
    assert raw.cmd("GETSET", "str_gs", "b") == bulk("a")
    assert raw.cmd("GET", "str_gs") == bulk("b")
    raw.cmd("EXPIRE", "str_gs", "100")
    assert raw.cmd("GETSET", "str_gs", "c") == bulk("b")
    assert ttl(raw, "str_gs") == -1  # GETSET discards the TTL
    assert raw.cmd("GETSET", "str_gs") == arity("getset")


def test_strings_setnx(raw):
    assert raw.cmd("SETNX", "str_snx", "x") == b":1\r\n"
    assert raw.cmd("SETNX", "str_snx", "y") == b":0\r\n"
    assert raw.cmd("GET", "str_snx") == bulk("x")
    assert raw.cmd("SETNX", "str_snx") == arity("setnx")


def test_strings_setex_psetex(raw):
    assert raw.cmd("SETEX", "str_se", "100", "vv") == b"+OK\r\n"
    assert ttl(raw, "str_se") == 100
    assert raw.cmd("GET", "str_se") == bulk("vv")
    assert raw.cmd("PSETEX", "str_pse", "100000", "vvv") == b"+OK\r\n"
    assert 99000 < pttl(raw, "str_pse") <= 100000
    assert raw.cmd("GET", "str_pse") == bulk("vvv")
    for cmd in ("SETEX", "PSETEX"):
        lc = cmd.lower()
        assert raw.cmd(cmd, "str_se2", "0", "v") == expire_err(lc)
        assert raw.cmd(cmd, "str_se2", "-5", "v") == expire_err(lc)
        assert raw.cmd(cmd, "str_se2", "9223372036854775807", "v") == expire_err(lc)
        assert raw.cmd(cmd, "str_se2", "abc", "v") == NOT_INT
        assert raw.cmd(cmd, "str_se2", "10") == arity(lc)
    assert raw.cmd("EXISTS", "str_se2") == b":0\r\n"
    # An error leaves an existing key untouched.
    assert raw.cmd("SETEX", "str_se", "0", "new") == expire_err("setex")
    assert raw.cmd("GET", "str_se") == bulk("vv")


# ---- MGET MSET MSETNX ----------------------------------------------------------------------

def test_strings_mget_mset(raw):
    assert raw.cmd("MSET", "str_m1", "1", "str_m2", "2") == b"+OK\r\n"
    assert raw.cmd("MGET", "str_m1", "str_m2", "str_m3") == \
        b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    assert raw.cmd("MGET", "str_m1") == b"*1\r\n$1\r\n1\r\n"
    assert raw.cmd("MSET", "str_m1", "1", "str_m2") == arity("mset")
    assert raw.cmd("MSET") == arity("mset")
    assert raw.cmd("MGET") == arity("mget")
    # Later pairs win for repeated keys.
    assert raw.cmd("MSET", "str_m1", "a", "str_m1", "b") == b"+OK\r\n"
    assert raw.cmd("GET", "str_m1") == bulk("b")
    raw.cmd("EXPIRE", "str_m2", "100")
    assert raw.cmd("MSET", "str_m2", "x") == b"+OK\r\n"
    assert ttl(raw, "str_m2") == -1


def test_strings_msetnx(raw):
    raw.cmd("SET", "str_mn_a", "1")
    assert raw.cmd("MSETNX", "str_mn_a", "9", "str_mn_c", "3") == b":0\r\n"
    assert raw.cmd("EXISTS", "str_mn_c") == b":0\r\n"
    assert raw.cmd("GET", "str_mn_a") == bulk("1")
    assert raw.cmd("MSETNX", "str_mn_c", "3", "str_mn_d", "4") == b":1\r\n"
    assert raw.cmd("MGET", "str_mn_c", "str_mn_d") == b"*2\r\n$1\r\n3\r\n$1\r\n4\r\n"
    assert raw.cmd("MSETNX", "str_mn_c", "3", "str_mn_d") == arity("msetnx")
    assert raw.cmd("MSETNX") == arity("msetnx")


# ---- APPEND STRLEN GETRANGE SETRANGE -------------------------------------------------------

def test_strings_append_strlen(raw):
    assert raw.cmd("APPEND", "str_ap", "hello") == b":5\r\n"
    assert raw.cmd("APPEND", "str_ap", "_world") == b":11\r\n"
    assert raw.cmd("APPEND", "str_ap", "") == b":11\r\n"
    assert raw.cmd("GET", "str_ap") == bulk("hello_world")
    assert raw.cmd("STRLEN", "str_ap") == b":11\r\n"
    assert raw.cmd("STRLEN", "str_nokey") == b":0\r\n"
    raw.cmd("SET", "str_ap_int", "12345")
    assert raw.cmd("STRLEN", "str_ap_int") == b":5\r\n"
    assert raw.cmd("APPEND", "str_ap_int", "6") == b":6\r\n"
    assert raw.cmd("GET", "str_ap_int") == bulk("123456")
    assert raw.cmd("APPEND", "str_ap_empty", "") == b":0\r\n"
    assert raw.cmd("EXISTS", "str_ap_empty") == b":1\r\n"
    assert raw.cmd("APPEND", "str_ap") == arity("append")
    assert raw.cmd("STRLEN", "a", "b") == arity("strlen")
    raw.cmd("SET", "str_ap_ttl", "x", "EX", "100")
    raw.cmd("APPEND", "str_ap_ttl", "y")
    assert ttl(raw, "str_ap_ttl") == 100


def test_strings_getrange(raw):
    raw.cmd("SET", "str_gr", "hello_world")
    cases = [((0, -1), "hello_world"), ((-3, -1), "rld"), ((5, 2), ""), ((-100, 2), "hel"),
             ((0, 100), "hello_world"), ((100, 200), ""), ((-1, -5), ""), ((0, 0), "h"),
             ((10, 10), "d"), ((11, 11), ""), ((-11, -11), "h"), ((3, 6), "lo_w"),
             # Redis 7.0 clamps a negative end below the start of the string to 0.
             ((0, -100), "h"), ((-100, -100), "h")]
    for (start, end), want in cases:
        assert raw.cmd("GETRANGE", "str_gr", start, end) == bulk(want), (start, end)
    assert raw.cmd("SUBSTR", "str_gr", 1, 3) == bulk("ell")
    assert raw.cmd("GETRANGE", "str_nokey", 0, -1) == bulk("")
    assert raw.cmd("GETRANGE", "str_gr", "a", "b") == NOT_INT
    assert raw.cmd("GETRANGE", "str_gr", "0") == arity("getrange")
    raw.cmd("SET", "str_gr_int", "-12345")
    assert raw.cmd("GETRANGE", "str_gr_int", 0, 2) == bulk("-12")
    raw.cmd("SET", "str_gr_empty", "")
    assert raw.cmd("GETRANGE", "str_gr_empty", 0, -1) == bulk("")


def test_strings_setrange(raw):
    raw.cmd("SET", "str_sr", "hello_world")
    assert raw.cmd("SETRANGE", "str_sr", 6, "W") == b":11\r\n"
    assert raw.cmd("GET", "str_sr") == bulk("hello_World")
    assert raw.cmd("SETRANGE", "str_sr", 20, "X") == b":21\r\n"
    assert raw.cmd("GET", "str_sr") == bulk(b"hello_World" + b"\x00" * 9 + b"X")
    assert raw.cmd("SETRANGE", "str_sr2", 3, "ab") == b":5\r\n"
    assert raw.cmd("GET", "str_sr2") == bulk(b"\x00\x00\x00ab")
    raw.cmd("SET", "str_sr3", "12345")
    assert raw.cmd("SETRANGE", "str_sr3", 1, "x") == b":5\r\n"
    assert raw.cmd("GET", "str_sr3") == bulk("1x345")


def test_strings_setrange_empty_and_errors(raw):
    # An empty value never creates a key and never pads.
    assert raw.cmd("SETRANGE", "str_sre", 0, "") == b":0\r\n"
    assert raw.cmd("SETRANGE", "str_sre", 10, "") == b":0\r\n"
    assert raw.cmd("EXISTS", "str_sre") == b":0\r\n"
    raw.cmd("SET", "str_sre", "abc")
    assert raw.cmd("SETRANGE", "str_sre", 10, "") == b":3\r\n"
    assert raw.cmd("GET", "str_sre") == bulk("abc")
    assert raw.cmd("SETRANGE", "str_sre", -1, "x") == b"-ERR offset is out of range\r\n"
    assert raw.cmd("SETRANGE", "str_sre", -1, "") == b"-ERR offset is out of range\r\n"
    assert raw.cmd("SETRANGE", "str_sre", "abc", "x") == NOT_INT
    assert raw.cmd("SETRANGE", "str_sre", 536870912, "x") == \
        b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    assert raw.cmd("SETRANGE", "str_sre_new", 536870912, "x") == \
        b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    assert raw.cmd("EXISTS", "str_sre_new") == b":0\r\n"
    assert raw.cmd("SETRANGE", "str_sre", 0) == arity("setrange")
    assert raw.cmd("GET", "str_sre") == bulk("abc")


# ---- INCR family ---------------------------------------------------------------------------

def test_strings_incr_decr(raw):
    assert raw.cmd("INCR", "str_n") == b":1\r\n"
    assert raw.cmd("INCRBY", "str_n", 10) == b":11\r\n"
    assert raw.cmd("DECR", "str_n") == b":10\r\n"
    assert raw.cmd("DECRBY", "str_n", 5) == b":5\r\n"
    assert raw.cmd("INCRBY", "str_n", -7) == b":-2\r\n"
    assert raw.cmd("DECRBY", "str_n", -2) == b":0\r\n"
    assert raw.cmd("GET", "str_n") == bulk("0")
    assert raw.cmd("DECR", "str_n2") == b":-1\r\n"
    assert raw.cmd("DECRBY", "str_n3", 3) == b":-3\r\n"
    assert raw.cmd("INCRBY", "str_n4", "-0") == NOT_INT  # "-0" is not a canonical integer
    assert raw.cmd("EXISTS", "str_n4") == b":0\r\n"
    raw.cmd("SET", "str_n5", "41", "EX", "100")
    assert raw.cmd("INCR", "str_n5") == b":42\r\n"
    assert ttl(raw, "str_n5") == 100  # INCR keeps the TTL


def test_strings_incr_overflow(raw):
    raw.cmd("SET", "str_ov", "9223372036854775807")
    assert raw.cmd("INCR", "str_ov") == OVERFLOW
    assert raw.cmd("INCRBY", "str_ov", 1) == OVERFLOW
    assert raw.cmd("GET", "str_ov") == bulk("9223372036854775807")
    raw.cmd("SET", "str_ov", "-9223372036854775808")
    assert raw.cmd("DECR", "str_ov") == OVERFLOW
    assert raw.cmd("DECRBY", "str_ov", 1) == OVERFLOW
    assert raw.cmd("INCRBY", "str_ov", "-9223372036854775808") == OVERFLOW
    assert raw.cmd("INCR", "str_ov") == b":-9223372036854775807\r\n"
    raw.cmd("SET", "str_ov", "1")
    assert raw.cmd("DECRBY", "str_ov", "-9223372036854775808") == \
        b"-ERR decrement would overflow\r\n"
    assert raw.cmd("INCRBY", "str_ov", "9223372036854775807") == OVERFLOW
    assert raw.cmd("INCRBY", "str_ov", "9223372036854775806") == b":9223372036854775807\r\n"
    assert raw.cmd("INCRBY", "str_ov", "9223372036854775808") == NOT_INT


def test_strings_incr_not_integer(raw):
    for val in ("abc", " 1", "1 ", "01", "+1", "-0", "1.0", "1e3", "", "0x10",
                "99999999999999999999", "1\x00"):
        raw.cmd("SET", "str_ni", val)
        for args in (("INCR", "str_ni"), ("DECR", "str_ni"), ("INCRBY", "str_ni", 1),
                     ("DECRBY", "str_ni", 1)):
            assert raw.cmd(*args) == NOT_INT, (val, args)
        assert raw.cmd("GET", "str_ni") == bulk(val)
    raw.cmd("SET", "str_ni2", "5")
    for inc in ("1.5", "abc", "", " 1", "01", "+1", "9223372036854775808"):
        assert raw.cmd("INCRBY", "str_ni2", inc) == NOT_INT, inc
        assert raw.cmd("DECRBY", "str_ni2", inc) == NOT_INT, inc
    assert raw.cmd("GET", "str_ni2") == bulk("5")
    assert raw.cmd("INCR") == arity("incr")
    assert raw.cmd("INCRBY", "a") == arity("incrby")
    assert raw.cmd("DECR", "a", "b") == arity("decr")


def test_strings_incrbyfloat(raw):
    raw.cmd("SET", "str_f", "10.5")
    assert raw.cmd("INCRBYFLOAT", "str_f", "0.1") == bulk("10.6")
    assert raw.cmd("GET", "str_f") == bulk("10.6")
    raw.cmd("SET", "str_f", "5.0e3")
    assert raw.cmd("INCRBYFLOAT", "str_f", "2.0e2") == bulk("5200")
    assert raw.cmd("INCRBYFLOAT", "str_f2", "3") == bulk("3")
    assert raw.cmd("INCRBYFLOAT", "str_f2", "-3") == bulk("0")
    assert raw.cmd("INCRBYFLOAT", "str_f2", "0.1") == bulk("0.1")
    assert raw.cmd("INCRBYFLOAT", "str_f2", "0.2") == bulk("0.3")
    assert raw.cmd("INCRBYFLOAT", "str_f3", "-1.5") == bulk("-1.5")
    assert raw.cmd("INCRBYFLOAT", "str_f4", "3.0") == bulk("3")
    assert raw.cmd("INCRBYFLOAT", "str_f4", ".5") == bulk("3.5")
    assert raw.cmd("INCRBYFLOAT", "str_f4", "5.") == bulk("8.5")
    assert raw.cmd("INCRBYFLOAT", "str_f5", "-0.0") == bulk("0")
    raw.cmd("SET", "str_f6", "10")
    assert raw.cmd("INCRBYFLOAT", "str_f6", "1.25") == bulk("11.25")
    assert raw.cmd("INCRBYFLOAT", "str_f6", "1e2") == bulk("111.25")
    raw.cmd("SET", "str_f7", "1", "EX", "100")
    assert raw.cmd("INCRBYFLOAT", "str_f7", "1") == bulk("2")
    assert ttl(raw, "str_f7") == 100


def test_strings_incrbyfloat_errors(raw):
    raw.cmd("SET", "str_fe", "1.5")
    for inc in ("inf", "-inf", "+inf"):
        assert raw.cmd("INCRBYFLOAT", "str_fe", inc) == \
            b"-ERR increment would produce NaN or Infinity\r\n", inc
    for inc in ("abc", "nan", "", " 1", "1 ", "1e", "1.5.5"):
        assert raw.cmd("INCRBYFLOAT", "str_fe", inc) == NOT_FLOAT, inc
    assert raw.cmd("GET", "str_fe") == bulk("1.5")
    raw.cmd("SET", "str_fe2", "abc")
    assert raw.cmd("INCRBYFLOAT", "str_fe2", "1") == NOT_FLOAT
    # A stored "inf" parses, but the result is rejected.
    raw.cmd("SET", "str_fe4", "inf")
    assert raw.cmd("INCRBYFLOAT", "str_fe4", "1") == \
        b"-ERR increment would produce NaN or Infinity\r\n"
    assert raw.cmd("GET", "str_fe4") == bulk("inf")
    assert raw.cmd("INCRBYFLOAT", "str_fe", "0.1", "x") == arity("incrbyfloat")
    assert raw.cmd("INCRBYFLOAT", "str_fe") == arity("incrbyfloat")


# ---- LCS -----------------------------------------------------------------------------------

def _lcs_setup(raw):
    assert raw.cmd("MSET", "str_lcs1", "ohmytext", "str_lcs2", "mynewtext") == b"+OK\r\n"


def test_strings_lcs_plain_len(raw):
    _lcs_setup(raw)
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2") == bulk("mytext")
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "LEN") == b":6\r\n"
    assert raw.cmd("LCS", "str_lcs1", "str_nokey") == bulk("")
    assert raw.cmd("LCS", "str_lcs1", "str_nokey", "LEN") == b":0\r\n"
    assert raw.cmd("LCS", "str_lcs1", "str_lcs1") == bulk("ohmytext")
    # MINMATCHLEN/WITHMATCHLEN only affect IDX output.
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "WITHMATCHLEN") == bulk("mytext")
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "MINMATCHLEN", "-1") == bulk("mytext")
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "LEN", "MINMATCHLEN", "100") == b":6\r\n"
    raw.cmd("MSET", "str_lcs3", "ABCBDAB", "str_lcs4", "BDCABA")
    assert raw.cmd("LCS", "str_lcs3", "str_lcs4", "LEN") == b":4\r\n"


def test_strings_lcs_idx(raw):
    _lcs_setup(raw)
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "IDX") == (
        b"*4\r\n$7\r\nmatches\r\n*2\r\n"
        b"*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
        b"*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
        b"$3\r\nlen\r\n:6\r\n")
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "IDX", "MINMATCHLEN", "4") == (
        b"*4\r\n$7\r\nmatches\r\n*1\r\n"
        b"*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
        b"$3\r\nlen\r\n:6\r\n")
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "IDX", "MINMATCHLEN", "4",
                   "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*1\r\n"
        b"*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"$3\r\nlen\r\n:6\r\n")
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "IDX", "WITHMATCHLEN") == (
        b"*4\r\n$7\r\nmatches\r\n*2\r\n"
        b"*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
        b"$3\r\nlen\r\n:6\r\n")
    assert raw.cmd("LCS", "str_lcs1", "str_nokey", "IDX") == \
        b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
    assert raw.cmd("LCS", "str_nokey1", "str_nokey2", "IDX") == \
        b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"


def test_strings_lcs_idx_resp3(raw3):
    raw3.cmd("MSET", "str_lcs1", "ohmytext", "str_lcs2", "mynewtext")
    assert raw3.cmd("LCS", "str_lcs1", "str_lcs2", "IDX", "MINMATCHLEN", "4",
                    "WITHMATCHLEN") == (
        b"%2\r\n$7\r\nmatches\r\n*1\r\n"
        b"*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
        b"$3\r\nlen\r\n:6\r\n")


def test_strings_lcs_errors(raw):
    _lcs_setup(raw)
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "LEN", "IDX") == \
        b"-ERR If you want both the length and indexes, please just use IDX.\r\n"
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "MINMATCHLEN", "abc") == NOT_INT
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "MINMATCHLEN") == SYNTAX
    assert raw.cmd("LCS", "str_lcs1", "str_lcs2", "FOO") == SYNTAX
    assert raw.cmd("LCS", "str_lcs1") == arity("lcs")


# ---- OBJECT ENCODING -----------------------------------------------------------------------

@pytest.mark.parametrize("value,enc", [
    ("12345", "int"), ("0", "int"), ("-1", "int"), ("10000", "int"),
    ("9223372036854775807", "int"), ("-9223372036854775808", "int"),
    ("1234567890123456789", "int"),
    ("9223372036854775808", "embstr"), ("12345678901234567890", "embstr"),
    ("-12345678901234567890", "embstr"),
    ("-0", "embstr"), ("007", "embstr"), ("00", "embstr"), ("+1", "embstr"), (" 1", "embstr"),
    ("1.5", "embstr"), ("abc", "embstr"), ("", "embstr"),
    ("x" * 44, "embstr"), ("x" * 45, "raw"), ("y" * 1000, "raw"),
])
def test_strings_object_encoding(raw, value, enc):
    raw.cmd("SET", "str_enc", value)
    assert raw.cmd("OBJECT", "ENCODING", "str_enc") == bulk(enc)
    assert raw.cmd("GET", "str_enc") == bulk(value)
    assert raw.cmd("STRLEN", "str_enc") == b":%d\r\n" % len(value)


def test_strings_object_encoding_after_ops(raw):
    def enc(key):
        return raw.cmd("OBJECT", "ENCODING", key)
    raw.cmd("SET", "str_eo", "abc")
    raw.cmd("APPEND", "str_eo", "d")
    assert enc("str_eo") == bulk("raw")
    raw.cmd("SET", "str_eo", "12")
    raw.cmd("APPEND", "str_eo", "3")
    assert enc("str_eo") == bulk("raw")
    assert raw.cmd("GET", "str_eo") == bulk("123")
    raw.cmd("SET", "str_eo", "12")
    raw.cmd("INCR", "str_eo")
    assert enc("str_eo") == bulk("int")
    raw.cmd("SET", "str_eo", "abc")
    raw.cmd("SETRANGE", "str_eo", 1, "z")
    assert enc("str_eo") == bulk("raw")
    raw.cmd("SET", "str_eo", "1.5")
    raw.cmd("INCRBYFLOAT", "str_eo", "1")
    assert enc("str_eo") == bulk("embstr")
    raw.cmd("DEL", "str_eo")
    raw.cmd("INCR", "str_eo")
    assert enc("str_eo") == bulk("int")
    raw.cmd("SETEX", "str_eo", 100, "123")
    assert enc("str_eo") == bulk("int")
    raw.cmd("SET", "str_eo", "x" * 44)
    raw.cmd("GETEX", "str_eo", "EX", "100")
    assert enc("str_eo") == bulk("embstr")
    assert enc("str_nokey") == b"$-1\r\n"
    assert raw.cmd("OBJECT", "ENCODING") == \
        b"-ERR wrong number of arguments for 'object|encoding' command\r\n"


def test_strings_44_45_bytes(raw):
    for n in (43, 44, 45, 46):
        v = bytes(range(97, 97 + 26)) * 2
        v = v[:n]
        assert raw.cmd("SET", "str_len%d" % n, v) == b"+OK\r\n"
        assert raw.cmd("GET", "str_len%d" % n) == bulk(v)
        assert raw.cmd("STRLEN", "str_len%d" % n) == b":%d\r\n" % n
        assert raw.cmd("APPEND", "str_len%d" % n, "!") == b":%d\r\n" % (n + 1)
        assert raw.cmd("GET", "str_len%d" % n) == bulk(v + b"!")


# ---- redis-py round trip -------------------------------------------------------------------

def test_strings_redis_py(r):
    assert r.set("str_py", "v", ex=100) is True
    assert r.get("str_py") == b"v"
    assert r.ttl("str_py") == 100
    assert r.set("str_py", "w", nx=True) is None
    assert r.incr("str_py_n", 5) == 5
    assert r.incrbyfloat("str_py_n", 0.5) == 5.5
    assert r.mget(["str_py", "str_py_n", "str_py_none"]) == [b"v", b"5.5", None]
    assert r.getrange("str_py", 0, -1) == b"v"
    assert r.lcs("str_py", "str_py") == b"v"
    assert r.strlen("str_py") == 1
