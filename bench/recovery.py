#!/usr/bin/env python3
"""recovery.py - restart times and latency under snapshots, PairDB beside Redis.

Run through bench/durability.sh (recovery | bgsave). Servers are pinned to cpu 0 and the load
to cpu 1 when the machine has two cores or more; every server runs in a throw-away directory and
is stopped on exit.

  --mode recovery  1M keys written with pipelined SETs under appendonly yes; restart from the log
                   alone (PairDB: replay of the write-ahead log; Redis: AOF), then from a snapshot
                   (PairDB: snapshot + empty log tail; Redis: RDB). Times come from the servers' own
                   "loaded" log lines; the replay rate is keys / log-restart seconds.
  --mode bgsave    1M keys; GET latency (redis-benchmark, 50 clients, -P 1) with snapshots written
                   back to back, against the same run with none.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

PIN_SERVER = ["taskset", "-c", "0"] if os.cpu_count() and os.cpu_count() >= 2 else []
PIN_CLIENT = ["taskset", "-c", "1"] if PIN_SERVER else []


def cmd(port, *args, timeout=600):
    out = subprocess.run(["redis-cli", "-p", str(port)] + [str(a) for a in args],
                         capture_output=True, text=True, timeout=timeout)
    return out.stdout.strip()


def wait_ready(port, deadline=600):
    end = time.time() + deadline
    while time.time() < end:
        r = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True)
        if r.stdout.strip() == "PONG":
            return
        time.sleep(0.02)
    raise RuntimeError("server on port %d not ready" % port)


class Server:
    def __init__(self, binary, port, workdir, args):
        self.binary, self.port, self.dir, self.args = binary, port, workdir, args
        self.proc = None

    def start(self, extra=()):
        self.log = os.path.join(self.dir, "server.log")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                PIN_SERVER + [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                              "--dir", self.dir] + list(self.args) + list(extra),
                cwd=self.dir, stdout=log, stderr=log)
        wait_ready(self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            cmd(self.port, "shutdown", "nosave")
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


def fill(port, nkeys, value=b"x" * 16, batch=10000):
    """Pipelined SETs over one connection: key:<i> -> value."""
    s = socket.create_connection(("127.0.0.1", port))
    for start in range(0, nkeys, batch):
        parts = []
        for i in range(start, min(nkeys, start + batch)):
            k = b"key:%d" % i
            parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(value), value))
        s.sendall(b"".join(parts))
        want = (min(nkeys, start + batch) - start) * 5
        got = 0
        while got < want:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed while filling")
            got += len(chunk)
    s.close()


def loaded_seconds(text, pattern):
    found = re.findall(pattern, text)
    return float(found[-1]) if found else float("nan")


def bgsave_and_wait(port):
    cmd(port, "bgsave")
    while "rdb_bgsave_in_progress:1" in cmd(port, "info", "persistence"):
        time.sleep(0.05)


def recovery(a):
    rows = []
    for label, binary in (("pairdb", a.pairdb), ("redis", a.redis)):
        d = tempfile.mkdtemp(prefix="pdb-rec-")
        try:
            srv = Server(binary, a.port, d, ["--save", "", "--appendonly", "yes",
                                             "--appendfsync", "everysec"])
            srv.start()
            t = time.time()
            fill(a.port, a.keys)
            fill_s = time.time() - t
            srv.stop()
            t = time.time()
            srv.start()
            wall_log = time.time() - t
            keys = cmd(a.port, "dbsize")
            if label == "pairdb":
                log_s = loaded_seconds(srv.log_text(), r"DB loaded from disk: ([0-9.]+) seconds")
            else:
                log_s = loaded_seconds(srv.log_text(), r"DB loaded from append only file: ([0-9.]+) seconds")
            bgsave_and_wait(a.port)
            srv.stop()
            if label == "redis":
                # restart from the RDB alone
                shutil.rmtree(os.path.join(d, "appendonlydir"), ignore_errors=True)
                srv.args = ["--save", "", "--appendonly", "no"]
            t = time.time()
            srv.start()
            wall_snap = time.time() - t
            snap_keys = cmd(a.port, "dbsize")
            snap_s = loaded_seconds(srv.log_text(), r"DB loaded from disk: ([0-9.]+) seconds")
            srv.stop()
            rows.append((label, fill_s, log_s, wall_log, keys, snap_s, wall_snap, snap_keys))
        finally:
            shutil.rmtree(d, ignore_errors=True)
    print("| server | fill %dk SETs (s) | restart from log (s, server) | (s, wall) | keys | "
          "restart from snapshot (s, server) | (s, wall) | keys | log replay (commands/s) |" % (a.keys // 1000))
    print("|---|---|---|---|---|---|---|---|---|")
    for label, fill_s, log_s, wall_log, keys, snap_s, wall_snap, snap_keys in rows:
        print("| %s | %.2f | %.3f | %.3f | %s | %.3f | %.3f | %s | %.0f |" % (
            label, fill_s, log_s, wall_log, keys, snap_s, wall_snap, snap_keys, a.keys / log_s))


def get_latency(port, n):
    out = subprocess.run(PIN_CLIENT + ["redis-benchmark", "-p", str(port), "-t", "get", "-n", str(n),
                                       "-c", "50", "-P", "1", "-r", "1000000", "--csv"],
                         capture_output=True, text=True).stdout
    line = [l for l in out.splitlines() if l.startswith('"GET"')][0]
    f = [float(x.strip('"')) for x in line.split(",")[1:]]
    return f  # rps, avg, min, p50, p95, p99, max


def bgsave_mode(a):
    print("| server | snapshots | GET rps | p50 ms | p99 ms | max ms | snapshots written |")
    print("|---|---|---|---|---|---|---|")
    for label, binary in (("pairdb", a.pairdb), ("redis", a.redis)):
        d = tempfile.mkdtemp(prefix="pdb-bg-")
        try:
            srv = Server(binary, a.port, d, ["--save", "", "--appendonly", "no"])
            srv.start()
            fill(a.port, a.keys)
            for snapshots in (False, True):
                stop = threading.Event()
                count = [0]

                def loop():
                    while not stop.is_set():
                        bgsave_and_wait(a.port)
                        count[0] += 1

                th = threading.Thread(target=loop)
                if snapshots:
                    th.start()
                    time.sleep(0.2)
                r = get_latency(a.port, a.requests)
                if snapshots:
                    stop.set()
                    th.join()
                print("| %s | %s | %.0f | %.3f | %.3f | %.3f | %d |" % (
                    label, "back to back" if snapshots else "none", r[0], r[3], r[5], r[6], count[0]))
            srv.stop()
        finally:
            shutil.rmtree(d, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["recovery", "bgsave"], required=True)
    p.add_argument("--port", type=int, default=21320)
    p.add_argument("--pairdb", required=True)
    p.add_argument("--redis", required=True)
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--requests", type=int, default=1000000)
    a = p.parse_args()
    (recovery if a.mode == "recovery" else bgsave_mode)(a)


if __name__ == "__main__":
    sys.exit(main())
