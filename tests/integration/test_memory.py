"""MEMORY USAGE: replies and errors as Redis 7.0 gives them; sizes that grow with the value."""


def test_memory_usage_replies_and_errors(raw):
    assert raw.cmd("SET", "mem_a", "b") == b"+OK\r\n"
    assert raw.cmd("MEMORY", "USAGE", "mem_nokey") == b"$-1\r\n"
    assert raw.cmd("MEMORY", "USAGE") == \
        b"-ERR wrong number of arguments for 'memory|usage' command\r\n"
    assert raw.cmd("MEMORY", "USAGE", "mem_a", "SAMPLES", "x") == \
        b"-ERR value is not an integer or out of range\r\n"
    assert raw.cmd("MEMORY", "USAGE", "mem_a", "foo") == b"-ERR syntax error\r\n"
    assert raw.cmd("MEMORY", "USAGE", "mem_a", "SAMPLES", "-1") == b"-ERR syntax error\r\n"
    small = int(raw.cmd("MEMORY", "USAGE", "mem_a", "SAMPLES", "0")[1:-2])
    assert 0 < small < 200
    assert raw.cmd("SET", "mem_big", "x" * 100000) == b"+OK\r\n"
    big = int(raw.cmd("MEMORY", "USAGE", "mem_big")[1:-2])
    assert 100000 <= big < 140000
    assert raw.cmd("COMMAND", "GETKEYS", "MEMORY", "USAGE", "k") == b"*1\r\n$1\r\nk\r\n"


def test_memory_usage_resp3_nil(raw3):
    assert raw3.cmd("MEMORY", "USAGE", "mem_none") == b"_\r\n"
