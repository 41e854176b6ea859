"""LATENCY: the monitor's events (LATEST, HISTORY, GRAPH, DOCTOR, RESET), the per-command
histograms (HISTOGRAM) and the errors.

Shapes, bucket labels and error texts are Redis 7.0's (the file passes with
PAIRDB_TARGET=redis); DOCTOR and GRAPH bodies are free text and only checked for their
header and the facts they must mention.
"""

import re
import time

import pytest

from conftest import IS_REDIS, wait_for
from resp import RawConn

LATENCY_HELP = [
    b"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"DOCTOR",
    b"    Return a human readable latency analysis report.",
    b"GRAPH <event>",
    b"    Return an ASCII latency graph for the <event> class.",
    b"HISTORY <event>",
    b"    Return time-latency samples for the <event> class.",
    b"LATEST",
    b"    Return the latest latency samples for all events.",
    b"RESET [<event> ...]",
    b"    Reset latency data of one or more <event> classes.",
    b"    (default: reset all data for all event classes)",
    b"HISTOGRAM [COMMAND ...]",
    b"    Return a cumulative distribution of latencies in the format of a histogram for the "
    b"specified command names.",
    b"    If no commands are specified then all histograms are replied.",
    b"HELP",
    b"    Prints this help.",
]

# Redis 7's bucket labels (HDR histogram, 2 significant digits, log iteration from 1024 ns).
BUCKET_LABELS = [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816,
                 67633, 135266, 270532, 541065, 1082130]


def test_help_text(raw):
    assert raw.cmdp("LATENCY", "HELP") == LATENCY_HELP


@pytest.mark.parametrize("args, err", [
    (("HISTORY",), b"-ERR wrong number of arguments for 'latency|history' command\r\n"),
    (("GRAPH",), b"-ERR wrong number of arguments for 'latency|graph' command\r\n"),
    (("GRAPH", "nosuch"), b"-ERR No samples available for event 'nosuch'\r\n"),
    (("LATEST", "x"), b"-ERR wrong number of arguments for 'latency|latest' command\r\n"),
    (("DOCTOR", "x"), b"-ERR wrong number of arguments for 'latency|doctor' command\r\n"),
    (("FOO",), b"-ERR unknown subcommand 'FOO'. Try LATENCY HELP.\r\n"),
    ((), b"-ERR wrong number of arguments for 'latency' command\r\n"),
])
def test_argument_errors(raw, args, err):
    assert raw.cmd("LATENCY", *args) == err


def test_unknown_events(raw):
    assert raw.cmd("LATENCY", "HISTORY", "nosuch") == b"*0\r\n"
    assert raw.cmd("LATENCY", "RESET", "nosuch", "other") == b":0\r\n"


def _histogram(conn, *names):
    rep = conn.cmdp("LATENCY", "HISTOGRAM", *names)
    assert isinstance(rep, list) and len(rep) % 2 == 0
    out = {}
    for i in range(0, len(rep), 2):
        body = rep[i + 1]
        assert body[0] == b"calls" and body[2] == b"histogram_usec"
        pairs = body[3]
        out[rep[i]] = (body[1], [(pairs[j], pairs[j + 1]) for j in range(0, len(pairs), 2)])
    return out


def test_histogram_counts_calls_in_cumulative_power_of_two_buckets(raw):
    # The fixture ran CONFIG RESETSTAT, which clears every histogram.
    for i in range(5):
        raw.cmd("SET", "k", str(i))
    raw.cmd("GET", "k")
    hist = _histogram(raw, "set", "get", "nosuchcommand", "zadd")
    assert set(hist) == {b"set", b"get"}
    calls, buckets = hist[b"set"]
    assert calls == 5
    labels = [b for b, _ in buckets]
    assert all(b in BUCKET_LABELS for b in labels) and labels == sorted(labels)
    counts = [n for _, n in buckets]
    assert counts == sorted(counts) and len(set(counts)) == len(counts) and counts[-1] == 5
    assert hist[b"get"][0] == 1


def test_histogram_subcommands_and_all(raw):
    raw.cmd("CONFIG", "GET", "maxmemory")
    raw.cmd("CONFIG", "GET", "maxmemory")
    # A name given twice is answered twice.
    rep = raw.cmdp("LATENCY", "HISTOGRAM", "config|get", "CONFIG|GET")
    assert rep[0] == rep[2] == b"config|get" and rep[1][:2] == [b"calls", 2]
    everything = _histogram(raw)
    # The fixture's CONFIG RESETSTAT ran after the reset, so it has its histogram too.
    assert {b"config|get", b"config|resetstat", b"latency|histogram"} <= set(everything)


def test_histogram_resp3_is_a_map_with_integer_labels(raw3):
    raw3.cmd("PING")
    rep = raw3.cmd("LATENCY", "HISTOGRAM", "ping")
    assert rep.startswith(b"%1\r\n$4\r\nping\r\n%2\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n%1\r\n:")


def test_histogram_reset_by_config_resetstat(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd("CONFIG", "RESETSTAT") == b"+OK\r\n"
    assert _histogram(raw, "set") == {}


def test_monitor_is_off_by_default(raw):
    raw.cmd("SET", "k", "v")
    assert raw.cmd("CONFIG", "GET", "latency-monitor-threshold") == \
        b"*2\r\n$25\r\nlatency-monitor-threshold\r\n$1\r\n0\r\n"
    assert raw.cmdp("LATENCY", "LATEST") == []
    doctor = raw.cmdp("LATENCY", "DOCTOR")
    assert b"latency-monitor-threshold" in doctor


@pytest.fixture
def monitored(start_server):
    s = start_server("--enable-debug-command", "yes", "--latency-monitor-threshold", "10")
    c = RawConn(s.host, s.port)
    yield c
    c.close()


def test_command_event_latest_history_graph_reset(monitored):
    c = monitored
    before = int(time.time())
    assert c.cmd("DEBUG", "SLEEP", "0.05") == b"+OK\r\n"
    # Below the threshold: no sample.
    assert c.cmd("DEBUG", "SLEEP", "0") == b"+OK\r\n"
    latest = c.cmdp("LATENCY", "LATEST")
    assert len(latest) == 1
    name, when, last_ms, max_ms = latest[0]
    assert name == b"command"
    assert before <= when <= int(time.time())
    assert 50 <= last_ms < 5000 and max_ms == last_ms
    history = c.cmdp("LATENCY", "HISTORY", "command")
    assert history == [[when, last_ms]]
    graph = c.cmdp("LATENCY", "GRAPH", "command")
    first, dashes = graph.split(b"\n")[:2]
    assert first == b"command - high %d ms, low %d ms (all time high %d ms)" % (last_ms, last_ms, last_ms)
    assert dashes == b"-" * 80
    doctor = c.cmdp("LATENCY", "DOCTOR")
    assert b"command" in doctor
    assert c.cmd("LATENCY", "RESET", "command", "nosuch") == b":1\r\n"
    assert c.cmdp("LATENCY", "LATEST") == []
    assert c.cmd("LATENCY", "HISTORY", "command") == b"*0\r\n"


def test_samples_of_one_second_are_merged_keeping_the_max(monitored):
    c = monitored
    # Two spikes within one second make one sample holding the larger one; a spike in a
    # later second makes a second sample.
    for _ in range(3):
        start = time.time()
        c.cmd("DEBUG", "SLEEP", "0.03")
        c.cmd("DEBUG", "SLEEP", "0.06")
        if int(start) == int(time.time()):
            break
        c.cmd("LATENCY", "RESET")
    history = c.cmdp("LATENCY", "HISTORY", "command")
    assert len(history) == 1 and history[0][1] >= 60
    time.sleep(1.05)
    c.cmd("DEBUG", "SLEEP", "0.02")
    history = c.cmdp("LATENCY", "HISTORY", "command")
    assert len(history) == 2 and history[0][0] < history[1][0]
    latest = c.cmdp("LATENCY", "LATEST")[0]
    assert latest[2] == history[1][1] and latest[3] == history[0][1]


@pytest.mark.skipif(IS_REDIS, reason="PairDB's own event names and doctor text")
def test_doctor_gives_advice_for_the_event(monitored):
    c = monitored
    c.cmd("DEBUG", "SLEEP", "0.02")
    doctor = c.cmdp("LATENCY", "DOCTOR")
    assert b"1. command: 1 latency spikes" in doctor
    assert b"SLOWLOG GET" in doctor


def _latencystats(conn):
    text = conn.cmdp("INFO", "latencystats").decode()
    lines = text.split("\r\n")
    assert lines[0] == "# Latencystats" and lines[-1] == ""
    out = {}
    for line in lines[1:-1]:
        m = re.fullmatch(r"latency_percentiles_usec_([a-z|_-]+):(.*)", line)
        assert m, line
        out[m.group(1)] = [tuple(kv.split("=")) for kv in m.group(2).split(",")]
    return out


def _hdr_value(text, lowest=False):
    """A percentile value in us, printed with three decimals: the highest (p0: lowest) value
    of an HDR slot with two significant digits, i.e. of a 2^(m-7) ns wide slot in
    [2^m, 2^(m+1)) ns (1 ns wide below 256 ns)."""
    assert re.fullmatch(r"\d+\.\d{3}", text), text
    ns = int(text.replace(".", ""))
    unit = 1 if ns < 256 else 1 << (ns.bit_length() - 1 - 7)
    assert (ns if lowest else ns + 1) % unit == 0, text
    return float(text)


def test_info_latencystats_percentiles(start_server):
    s = start_server()
    c = RawConn(s.host, s.port)
    try:
        c.cmd("SET", "k", "v")
        stats = _latencystats(c)
        assert [p for p, _ in stats["set"]] == ["p50", "p99", "p99.9"]
        values = [_hdr_value(v) for _, v in stats["set"]]
        assert values[0] == values[1] == values[2] > 0  # one call: every percentile is it
        assert c.cmd("CONFIG", "SET", "latency-tracking-info-percentiles", "0 50 99.99 100") == \
            b"+OK\r\n"
        for i in range(20):
            c.cmd("SET", "k", str(i))
        stats = _latencystats(c)
        assert [p for p, _ in stats["set"]] == ["p0", "p50", "p99.99", "p100"]
        p0, p50, p9999, p100 = [_hdr_value(v, lowest=(p == "p0")) for p, v in stats["set"]]
        assert p0 <= p50 <= p9999 == p100
        assert "config|set" in stats and "info" in stats
        assert c.cmd("CONFIG", "SET", "latency-tracking-info-percentiles", "101") == \
            b"-ERR CONFIG SET failed (possibly related to argument " \
            b"'latency-tracking-info-percentiles') - latency-tracking-info-percentiles " \
            b"parameters should sit between [0.0,100.0]\r\n"
        assert c.cmd("CONFIG", "SET", "latency-tracking-info-percentiles", "") == b"+OK\r\n"
        assert set(_latencystats(c)["set"]) == {("",)}
    finally:
        c.close()


def test_latency_tracking_off_stops_recording(start_server):
    s = start_server("--latency-tracking", "no")
    c = RawConn(s.host, s.port)
    try:
        c.cmd("SET", "k", "v")
        assert c.cmdp("INFO", "latencystats") == b"# Latencystats\r\n"
        assert c.cmd("LATENCY", "HISTOGRAM", "set") == b"*0\r\n"
        assert c.cmd("CONFIG", "SET", "latency-tracking", "yes") == b"+OK\r\n"
        c.cmd("SET", "k", "v")
        assert _histogram(c, "set")[b"set"][0] == 1
    finally:
        c.close()


def test_expire_cycle_event(start_server):
    # Many keys expiring together make the timer's expiry pass take milliseconds.
    s = start_server("--latency-monitor-threshold", "1")
    c = RawConn(s.host, s.port)
    try:
        n = 200000
        batch = b"".join(b"*5\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$1\r\nv\r\n$2\r\nPX\r\n$4\r\n1500\r\n"
                         % (len(str(i)) + 1, i) for i in range(n))
        c.send_raw(batch)
        reply = b""
        while reply.count(b"+OK\r\n") < n:
            reply += c.read_available(1.0)

        def expired():
            latest = c.cmdp("LATENCY", "LATEST")
            return [e for e in latest if e[0] == b"expire-cycle"]
        found = wait_for(expired, timeout=10)
        assert found, c.cmdp("LATENCY", "LATEST")
        assert found[0][2] >= 1
    finally:
        c.close()
