"""Key expiry: EXPIRE family with NX/XX/GT/LT, TTL reporting, PERSIST, lazy and active expiry.

Absolute far-future times make replies exact; relative times are checked within bounds. Expiry
is verified by effect: an expired key is never visible to a reader (lazy expiry), and keys that
nobody touches still disappear (active expiry) and are counted in INFO stats.
"""

import time

import pytest

from conftest import wait_for

FAR = 4000000000          # seconds, year 2096
FAR_MS = FAR * 1000
INCOMPAT_NX = b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
INCOMPAT_GT = b"-ERR GT and LT options at the same time are not compatible\r\n"


def invalid_time(cmd):
    return b"-ERR invalid expire time in '%s' command\r\n" % cmd


def info_stat(r, field):
    return int(r.info("stats")[field])


# ---- TTL / PTTL / EXPIRETIME / PEXPIRETIME ---------------------------------------------------

def test_expire_ttl_states(raw, r):
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert raw.cmd(cmd, "missing") == b":-2\r\n"
    r.set("k", "v")
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert raw.cmd(cmd, "k") == b":-1\r\n"
    assert raw.cmd("EXPIRE", "k", "100") == b":1\r\n"
    assert 99 <= raw.cmdp("TTL", "k") <= 100
    assert 98000 < raw.cmdp("PTTL", "k") <= 100000
    now = time.time()
    assert now + 98 <= raw.cmdp("EXPIRETIME", "k") <= now + 101
    assert (now + 98) * 1000 <= raw.cmdp("PEXPIRETIME", "k") <= (now + 101) * 1000


def test_expire_absolute_times_exact(raw, r):
    r.set("k", "v")
    assert raw.cmd("EXPIREAT", "k", str(FAR)) == b":1\r\n"
    assert raw.cmd("EXPIRETIME", "k") == b":%d\r\n" % FAR
    assert raw.cmd("PEXPIRETIME", "k") == b":%d\r\n" % FAR_MS
    assert raw.cmd("PEXPIREAT", "k", str(FAR_MS + 123)) == b":1\r\n"
    assert raw.cmd("PEXPIRETIME", "k") == b":%d\r\n" % (FAR_MS + 123)
    assert raw.cmd("EXPIRETIME", "k") == b":%d\r\n" % FAR
    ttl = raw.cmdp("TTL", "k")
    assert abs(ttl - (FAR - time.time())) < 3


@pytest.mark.parametrize("cmd,arg", [("EXPIRE", "50"), ("PEXPIRE", "50000"),
                                     ("EXPIREAT", None), ("PEXPIREAT", None)])
def test_expire_commands_set_ttl(raw, r, cmd, arg):
    r.set("k", "v")
    if arg is None:
        arg = str(int(time.time()) + 50) if cmd == "EXPIREAT" else \
            str(int(time.time() * 1000) + 50000)
    assert raw.cmd(cmd, "k", arg) == b":1\r\n"
    assert 45 <= r.ttl("k") <= 51
    assert raw.cmd(cmd, "missing", arg) == b":0\r\n"
    assert r.exists("missing") == 0


def test_expire_persist(raw, r):
    r.set("k", "v", ex=100)
    assert raw.cmd("PERSIST", "k") == b":1\r\n"
    assert raw.cmd("TTL", "k") == b":-1\r\n"
    assert raw.cmd("PERSIST", "k") == b":0\r\n"
    assert raw.cmd("PERSIST", "missing") == b":0\r\n"
    assert r.get("k") == b"v"


def test_expire_overwrite_clears_ttl(raw, r):
    r.set("k", "v", ex=100)
    r.set("k", "w")
    assert r.ttl("k") == -1
    r.set("k", "1", ex=100)
    r.incr("k")
    r.append("k", "0")
    assert 0 < r.ttl("k") <= 100    # modifying in place keeps the TTL
    r.set("k", "x", keepttl=True)
    assert 0 < r.ttl("k") <= 100


# ---- NX / XX / GT / LT -----------------------------------------------------------------------

def test_expire_nx_xx(raw, r):
    r.set("k", "v")
    assert raw.cmd("EXPIREAT", "k", str(FAR), "XX") == b":0\r\n"
    assert raw.cmd("TTL", "k") == b":-1\r\n"
    assert raw.cmd("EXPIREAT", "k", str(FAR), "NX") == b":1\r\n"
    assert raw.cmd("EXPIREAT", "k", str(FAR + 10), "NX") == b":0\r\n"
    assert raw.cmd("EXPIRETIME", "k") == b":%d\r\n" % FAR
    assert raw.cmd("EXPIREAT", "k", str(FAR + 10), "XX") == b":1\r\n"
    assert raw.cmd("EXPIRETIME", "k") == b":%d\r\n" % (FAR + 10)


def test_expire_gt_lt(raw, r):
    r.set("k", "v")
    # a key without TTL counts as an infinite TTL: GT never applies, LT always does
    assert raw.cmd("EXPIREAT", "k", str(FAR), "GT") == b":0\r\n"
    assert raw.cmd("TTL", "k") == b":-1\r\n"
    assert raw.cmd("EXPIREAT", "k", str(FAR), "LT") == b":1\r\n"
    assert raw.cmd("EXPIREAT", "k", str(FAR - 5), "GT") == b":0\r\n"
    assert raw.cmd("EXPIREAT", "k", str(FAR), "GT") == b":0\r\n"     # equal is not greater
    assert raw.cmd("EXPIREAT", "k", str(FAR + 5), "GT") == b":1\r\n"
    assert raw.cmd("EXPIREAT", "k", str(FAR + 9), "LT") == b":0\r\n"
    assert raw.cmd("EXPIREAT", "k", str(FAR + 1), "LT") == b":1\r\n"
    assert raw.cmd("EXPIRETIME", "k") == b":%d\r\n" % (FAR + 1)
    assert raw.cmd("PEXPIREAT", "k", str(FAR_MS + 1000), "XX", "LT") == b":0\r\n"
    assert raw.cmd("PEXPIREAT", "k", str(FAR_MS + 1000), "XX", "GT") == b":0\r\n"
    assert raw.cmd("PEXPIREAT", "k", str(FAR_MS + 1001), "XX", "GT") == b":1\r\n"
    assert raw.cmd("PEXPIRETIME", "k") == b":%d\r\n" % (FAR_MS + 1001)


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_option_conflicts(raw, r, cmd):
    r.set("k", "v")
    t = str(FAR) if cmd.endswith("AT") else "100"
    assert raw.cmd(cmd, "k", t, "NX", "XX") == INCOMPAT_NX
    assert raw.cmd(cmd, "k", t, "NX", "GT") == INCOMPAT_NX
    assert raw.cmd(cmd, "k", t, "NX", "LT") == INCOMPAT_NX
    assert raw.cmd(cmd, "k", t, "GT", "LT") == INCOMPAT_GT
    assert raw.cmd(cmd, "k", t, "BOGUS") == \
        b"-ERR Unsupported option BOGUS\r\n"
    assert raw.cmd(cmd, "k", "abc") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.cmd(cmd, "k") == b"-ERR wrong number of arguments for '%s' command\r\n" \
        % cmd.lower().encode()
    assert raw.cmd("TTL", "k") == b":-1\r\n"    # nothing was applied


# ---- non-positive, past and huge times -------------------------------------------------------

@pytest.mark.parametrize("cmd,arg", [("EXPIRE", "0"), ("EXPIRE", "-10"), ("PEXPIRE", "-1"),
                                     ("EXPIREAT", "1"), ("PEXPIREAT", "1000"),
                                     ("EXPIREAT", "0"), ("PEXPIRE", "-9223372036854775808")])
def test_expire_past_deletes(raw, r, cmd, arg):
    r.set("k", "v")
    r.set("other", "v")
    assert raw.cmd(cmd, "k", arg) == b":1\r\n"
    assert r.exists("k") == 0
    assert raw.cmd("TTL", "k") == b":-2\r\n"
    assert r.dbsize() == 1
    assert info_stat(r, "expired_keys") == 0     # deleted by the command, not expired


def test_expire_past_with_conditions(raw, r):
    r.set("k", "v")
    assert raw.cmd("EXPIRE", "k", "-1", "XX") == b":0\r\n"   # condition fails first
    assert r.exists("k") == 1
    assert raw.cmd("EXPIRE", "k", "-1", "GT") == b":0\r\n"
    assert r.exists("k") == 1
    assert raw.cmd("EXPIRE", "k", "-1", "NX") == b":1\r\n"
    assert r.exists("k") == 0


@pytest.mark.parametrize("cmd,arg", [
    ("EXPIRE", "9223372036854775807"),
    ("EXPIRE", "9223372036854775"),
    ("EXPIRE", "-9223372036854775808"),
    ("PEXPIRE", "9223372036854775807"),
    ("EXPIREAT", "9223372036854775807"),
    ("EXPIREAT", "9223372036854776"),
])
def test_expire_huge_values(raw, r, cmd, arg):
    r.set("k", "v")
    assert raw.cmd(cmd, "k", arg) == invalid_time(cmd.lower().encode())
    assert r.get("k") == b"v"
    assert r.ttl("k") == -1


def test_expire_set_options_invalid(raw):
    assert raw.cmd("SET", "k", "v", "EX", "0") == invalid_time(b"set")
    assert raw.cmd("SET", "k", "v", "PX", "-5") == invalid_time(b"set")
    assert raw.cmd("SETEX", "k", "0", "v") == invalid_time(b"setex")
    assert raw.cmd("GETEX", "k", "EX", "0") == b"$-1\r\n"    # missing key answered first
    assert raw.cmd("EXISTS", "k") == b":0\r\n"
    raw.cmd("SET", "k", "v")
    assert raw.cmd("GETEX", "k", "EX", "0") == invalid_time(b"getex")
    assert raw.cmd("GETEX", "k", "PXAT", "-1") == invalid_time(b"getex")
    assert raw.cmd("TTL", "k") == b":-1\r\n"


# ---- lazy and active expiry ------------------------------------------------------------------

def test_expire_lazy_on_access(raw, r):
    r.set("k", "v")
    assert raw.cmd("PEXPIRE", "k", "50") == b":1\r\n"
    assert r.get("k") == b"v"
    time.sleep(0.06)
    assert raw.cmd("GET", "k") == b"$-1\r\n"
    assert raw.cmd("TTL", "k") == b":-2\r\n"
    assert raw.cmd("EXISTS", "k") == b":0\r\n"


def test_expire_never_visible_after_deadline(r):
    """Hundreds of keys expiring at once: every read after the deadline misses, whatever the
    background cycle has or has not reclaimed yet."""
    keys = [b"lz:%d" % i for i in range(300)]
    p = r.pipeline(transaction=False)
    for k in keys:
        p.set(k, "v", px=100)
    p.execute()
    time.sleep(0.12)
    assert r.mget(keys) == [None] * len(keys)
    assert r.exists(*keys) == 0
    assert wait_for(lambda: info_stat(r, "expired_keys") >= 300, timeout=3)


def test_expire_active_cycle(r):
    keys = [b"ac:%d" % i for i in range(1000)]
    p = r.pipeline(transaction=False)
    for k in keys:
        p.set(k, "v")
        p.pexpire(k, 100)
    p.execute()
    r.set("stays", "v")
    assert r.dbsize() == 1001
    # never touched again: only the server's own cycle can reclaim them
    assert wait_for(lambda: r.dbsize() == 1, timeout=3), r.dbsize()
    assert info_stat(r, "expired_keys") == 1000
    assert r.get("stays") == b"v"


def test_expire_rename_keeps_deadline(raw, r):
    r.set("k", "v", px=150)
    raw.cmd("RENAME", "k", "k2")
    assert 0 < r.pttl("k2") <= 150
    time.sleep(0.2)
    assert r.get("k2") is None
