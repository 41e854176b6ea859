#!/usr/bin/env python3
"""fanout_txn.py - PUBLISH fan-out and MULTI/EXEC throughput, PairDB beside Redis.

  bench/fanout_txn.py publish   50 subscribers (redis-cli processes) on one channel; PUBLISH from
                                redis-benchmark (-c 50 -P 16); messages delivered per second =
                                PUBLISH/s x subscribers still attached at the end
  bench/fanout_txn.py multi     MULTI, 5 x SET, EXEC, pipelined 100 transactions deep on 4
                                connections; transactions per second
  bench/fanout_txn.py evalsha   EVALSHA of a script running 3 commands (SET, INCR, GET) from
                                redis-benchmark (-c 50 -P 16); scripts per second

Both servers run without persistence (--appendonly no), pinned to cpu 0, the load on cpu 1,
alternated over REPS repetitions (default 3); medians and the median of paired ratios
pairdb/redis are printed. env: PAIRDB_SERVER, REDIS_SERVER, PORT (default 21400), REPS.
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRDB = os.environ.get("PAIRDB_SERVER", os.path.join(ROOT, "build", "pairdb-server"))
REDIS = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
PORT = int(os.environ.get("PORT", "21400"))
REPS = int(os.environ.get("REPS", "3"))
PIN_SERVER = ["taskset", "-c", "0"] if (os.cpu_count() or 1) >= 2 else []
PIN_CLIENT = ["taskset", "-c", "1"] if PIN_SERVER else []


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True,
                          text=True).stdout.strip()


def start(binary, port, workdir):
    proc = subprocess.Popen(PIN_SERVER + [binary, "--port", str(port), "--bind", "127.0.0.1",
                                          "--save", "", "--appendonly", "no", "--dir", workdir],
                            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if cli(port, "ping") == "PONG":
            return proc
        time.sleep(0.02)
    raise RuntimeError("server on %d did not start" % port)


def publish_rate(port, n=400000, subscribers=50):
    subs = [subprocess.Popen(PIN_CLIENT + ["redis-cli", "-p", str(port), "subscribe", "ch"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(subscribers)]
    try:
        for _ in range(200):
            if cli(port, "pubsub", "numsub", "ch").split("\n")[-1] == str(subscribers):
                break
            time.sleep(0.02)
        out = subprocess.run(PIN_CLIENT + ["redis-benchmark", "-p", str(port), "-n", str(n), "-c",
                                           "50", "-P", "16", "--csv", "publish", "ch", "hello"],
                             capture_output=True, text=True).stdout
        rps = float(out.splitlines()[-1].split(",")[1].strip('"'))
        attached = int(cli(port, "pubsub", "numsub", "ch").split("\n")[-1])
        return rps * attached, attached
    finally:
        for s in subs:
            s.kill()
            s.wait()


TXN = (b"*1\r\n$5\r\nMULTI\r\n" + b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n" * 5 +
       b"*1\r\n$4\r\nEXEC\r\n")
TXN_REPLY = len(b"+OK\r\n" + b"+QUEUED\r\n" * 5 + b"*5\r\n" + b"+OK\r\n" * 5)


def multi_rate(port, seconds=3.0, conns=4, depth=100):
    done = [0] * conns
    stop = time.time() + seconds

    def worker(i):
        s = socket.create_connection(("127.0.0.1", port))
        batch = TXN * depth
        want = TXN_REPLY * depth
        while time.time() < stop:
            s.sendall(batch)
            got = 0
            while got < want:
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise RuntimeError("connection closed")
                got += len(chunk)
            done[i] += depth
        s.close()

    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.time() - t0)


SCRIPT = "redis.call('set', KEYS[1], ARGV[1]) redis.call('incr', KEYS[2]) return redis.call('get', KEYS[1])"


def evalsha_rate(port, n=400000):
    sha = cli(port, "script", "load", SCRIPT)
    out = subprocess.run(PIN_CLIENT + ["redis-benchmark", "-p", str(port), "-n", str(n), "-c", "50",
                                       "-P", "16", "--csv", "evalsha", sha, "2", "k", "ctr", "v"],
                         capture_output=True, text=True).stdout
    if cli(port, "get", "k") != "v":
        raise RuntimeError("the script did not run: " + out[-300:])
    return float(out.splitlines()[-1].split(",")[1].strip('"'))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "publish"
    if mode not in ("publish", "multi", "evalsha"):
        print(__doc__)
        return 2
    if mode == "multi" and PIN_CLIENT:
        os.sched_setaffinity(0, {1})
    results = {"pairdb": [], "redis": []}
    dirs = []
    procs = {}
    try:
        for i, (label, binary) in enumerate((("pairdb", PAIRDB), ("redis", REDIS))):
            d = tempfile.mkdtemp(prefix="pdb-fan-")
            dirs.append(d)
            procs[label] = (start(binary, PORT + i, d), PORT + i)
        for rep in range(REPS):
            order = ["pairdb", "redis"] if rep % 2 == 0 else ["redis", "pairdb"]
            for label in order:
                port = procs[label][1]
                if mode == "publish":
                    rate, attached = publish_rate(port)
                    print("rep %d %-6s delivered/s %.0f (subscribers attached at the end: %d)" %
                          (rep + 1, label, rate, attached))
                elif mode == "multi":
                    rate = multi_rate(port)
                    print("rep %d %-6s MULTI/EXEC of 5 SETs per second %.0f" % (rep + 1, label, rate))
                else:
                    rate = evalsha_rate(port)
                    print("rep %d %-6s EVALSHA (3 commands) per second %.0f" % (rep + 1, label, rate))
                results[label].append(rate)
        ratios = [p / r for p, r in zip(results["pairdb"], results["redis"])]
        print("median pairdb %.0f  redis %.0f  pairdb/redis %.3f" % (
            statistics.median(results["pairdb"]), statistics.median(results["redis"]),
            statistics.median(ratios)))
    finally:
        for proc, port in procs.values():
            cli(port, "shutdown", "nosave")
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
