#!/usr/bin/python3
"""Random stream workloads run on pairdb-server and redis-server side by side.

Each seed picks node bounds (stream-node-max-entries 2, 3, 5 or 100; stream-node-max-bytes 0
or 4096, so that the entry bound decides the node layout on both servers) and runs STEPS random
XADD (explicit and ms-* IDs, MAXLEN/MINID with = and ~, LIMIT), XDEL, XTRIM, XRANGE,
XREVRANGE, XREAD, XSETID, XGROUP, XREADGROUP (new and history, NOACK), XACK, XCLAIM,
XAUTOCLAIM and XPENDING. Every reply must be equal, delivery times and idle times aside; every
50 steps the whole stream, the groups and both PELs are compared too. Stops at the first
difference and prints the seed, step, command and both replies.

Usage: stream_random.py [--seeds N] [--steps N] [--ports LO]   (servers on LO and LO+1)
Env: PAIRDB_SERVER (default build/pairdb-server), REDIS_SERVER (default /usr/bin/redis-server)
Exit status: 0 when all seeds match, 1 on a difference.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(binary, port):
    d = tempfile.mkdtemp(prefix="stream-random-")
    log = open(os.path.join(d, "server.log"), "wb")
    p = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", d], cwd=d, stdout=log,
                         stderr=subprocess.STDOUT)
    log.close()
    c = redis.Redis(port=port)
    for _ in range(100):
        try:
            if c.ping():
                return p, d, c
        except redis.ConnectionError:
            time.sleep(0.1)
    p.kill()
    raise SystemExit("%s did not start on port %d" % (binary, port))


def run(c, args):
    """The reply as the protocol gives it (redis-py's per-command parsing skipped)."""
    conn = c.connection_pool.get_connection("_")
    try:
        conn.send_command(*args)
        try:
            return conn.read_response()
        except redis.ResponseError as e:
            return ("err", str(e))
    finally:
        c.connection_pool.release(conn)


def comparable(args, rep):
    """Drops what depends on the clock: XPENDING's idle times, XINFO but GROUPS."""
    if args[0] == "XPENDING" and len(args) > 3 and isinstance(rep, list):
        return [[e[0], e[1], e[3]] for e in rep]
    if args[0] == "XINFO" and args[1] != "GROUPS":
        return None
    return rep


class Workload:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.ms = 1

    def some_id(self):
        return "%d-%d" % (self.rnd.randint(0, self.ms + 2), self.rnd.randint(0, 3))

    def trim_args(self, xtrim):
        r = self.rnd
        out = [r.choice(["MAXLEN", "MINID"]), r.choice(["=", "~"])]
        out.append(str(r.randint(0, 30)) if out[0] == "MAXLEN" else self.some_id())
        if out[1] == "~" and r.random() < 0.5:
            out += ["LIMIT", str(r.randint(0, 10))]
        return out

    def command(self):
        r, k = self.rnd, self.rnd.random()
        group, consumer = r.choice(["g", "h"]), r.choice(["c1", "c2", "c3"])
        if k < 0.3:
            self.ms += r.randint(0, 2)
            fields = [x for _ in range(r.randint(1, 3))
                      for x in (r.choice("abc"), str(r.randint(0, 300)))]
            trim = self.trim_args(False) if r.random() < 0.2 else []
            ident = r.choice(["%d-*" % self.ms, "%d-%d" % (self.ms, r.randint(0, 3)),
                              self.some_id()])
            return ["XADD", "s"] + trim + [ident] + fields
        if k < 0.4:
            return ["XDEL", "s"] + [self.some_id() for _ in range(r.randint(1, 3))]
        if k < 0.45:
            return ["XTRIM", "s"] + self.trim_args(True)
        if k < 0.55:
            lo, hi = sorted([self.some_id(), self.some_id()],
                            key=lambda s: tuple(map(int, s.split("-"))))
            lo, hi = r.choice(["-", lo, "(" + lo]), r.choice(["+", hi, "(" + hi])
            args = ["XRANGE", "s", lo, hi] if r.random() < 0.5 else ["XREVRANGE", "s", hi, lo]
            return args + (["COUNT", str(r.randint(0, 5))] if r.random() < 0.5 else [])
        if k < 0.58:
            return ["XGROUP", "CREATE", "s", group, r.choice(["0", "$", self.some_id()]),
                    "MKSTREAM"]
        if k < 0.7:
            return (["XREADGROUP", "GROUP", group, consumer] +
                    (["NOACK"] if r.random() < 0.1 else []) +
                    (["COUNT", str(r.randint(1, 4))] if r.random() < 0.7 else []) +
                    ["STREAMS", "s", r.choice([">", ">", "0", self.some_id()])])
        if k < 0.75:
            return ["XACK", "s", group] + [self.some_id() for _ in range(r.randint(1, 3))]
        if k < 0.8:
            return (["XCLAIM", "s", group, consumer, "0"] +
                    [self.some_id() for _ in range(r.randint(1, 3))] +
                    r.choice([[], ["JUSTID"], ["FORCE"], ["RETRYCOUNT", "5"]]))
        if k < 0.85:
            return (["XAUTOCLAIM", "s", group, consumer, "0",
                     r.choice(["0", self.some_id(), "(" + self.some_id()]),
                     "COUNT", str(r.randint(1, 4))] + r.choice([[], ["JUSTID"]]))
        if k < 0.9:
            return ["XPENDING", "s", group] + r.choice([[], ["-", "+", "10"],
                                                        ["-", "+", "10", consumer]])
        if k < 0.93:
            return ["XREAD", "COUNT", str(r.randint(1, 5)), "STREAMS", "s", self.some_id()]
        if k < 0.95:
            return ["XSETID", "s", "%d-%d" % (self.ms + r.randint(0, 3), r.randint(0, 3))]
        if k < 0.97:
            return ["XGROUP", r.choice(["DELCONSUMER", "CREATECONSUMER"]), "s", group, consumer]
        return [r.choice(["XLEN", "EXISTS"]), "s"]


STATE = (["XRANGE", "s", "-", "+"], ["XLEN", "s"], ["XINFO", "GROUPS", "s"],
         ["XPENDING", "s", "g", "-", "+", "1000"], ["XPENDING", "s", "h", "-", "+", "1000"])


def one_seed(a, b, seed, steps):
    w = Workload(seed)
    entries, nbytes = w.rnd.choice([2, 3, 5, 100]), w.rnd.choice([0, 4096])
    for c in (a, b):
        c.flushall()
        c.config_set("stream-node-max-entries", entries)
        c.config_set("stream-node-max-bytes", nbytes)
    for step in range(steps):
        args = w.command()
        checks = [args] + (list(STATE) if step % 50 == 0 else [])
        for cmd in checks:
            ra, rb = run(a, cmd), run(b, cmd)
            if comparable(cmd, ra) != comparable(cmd, rb):
                print("seed %d step %d: %s\n  redis:  %r\n  pairdb: %r" % (seed, step, cmd, ra, rb))
                return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--ports", type=int, default=33450)
    opt = ap.parse_args()
    servers = [start(os.environ.get("REDIS_SERVER", "/usr/bin/redis-server"), opt.ports),
               start(os.environ.get("PAIRDB_SERVER", os.path.join(ROOT, "build", "pairdb-server")),
                     opt.ports + 1)]
    ok = False
    try:
        ok = all(one_seed(servers[0][2], servers[1][2], s, opt.steps)
                 for s in range(1, opt.seeds + 1))
    finally:
        for p, d, _ in servers:
            p.terminate()
            p.wait(10)
            # A sanitizer build reports at exit: any report is a failure.
            with open(os.path.join(d, "server.log"), "rb") as f:
                for line in f.read().decode(errors="replace").splitlines():
                    if "Sanitizer" in line or "runtime error:" in line:
                        print(line)
                        ok = False
            shutil.rmtree(d, ignore_errors=True)
    print("%d seeds x %d steps: %s" % (opt.seeds, opt.steps, "ok" if ok else "DIFFERENCE"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
