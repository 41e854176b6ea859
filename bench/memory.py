#!/usr/bin/python3
"""memory.py - memory cost per key of pairdb-server versus redis-server.

Starts each server (no persistence, temp dir, free port), loads N small string keys
(`key:%012d` -> 'xxx') with pipelined SETs, and reports used_memory growth per key from
INFO memory, plus RSS growth for reference, and the pairdb/redis ratio.

With --collections it loads instead, one workload per server start, 100k (--keys) hashes of 10
fields (`hash:%08d`, fields f0..f9, values `value-%d`) and 100k sorted sets of 20 members
(`zset:%08d`, members `member:%02d`, integer scores), and reports used_memory growth per
element (field/value pair or member/score) and per key.

Usage: bench/memory.py [--pairdb BIN] [--redis BIN] [--keys N] [--batch N] [--collections]
Defaults: build/pairdb-server, /usr/bin/redis-server, 1000000 keys (100000 with
--collections), batches of 10000. Pass the same binary twice to see the measurement's own spread.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(binary):
    d = tempfile.mkdtemp(prefix="pairdb-mem-")
    port = free_port()
    log = open(os.path.join(d, "server.log"), "wb")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                             "--appendonly", "no", "--save", ""],
                            cwd=d, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=60)
    deadline = time.time() + 10
    while True:
        try:
            if c.ping():
                return proc, c, d
        except redis.ConnectionError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            with open(os.path.join(d, "server.log"), "rb") as f:
                tail = f.read()[-2000:].decode(errors="replace")
            stop(proc, d)
            sys.exit("%s failed to start:\n%s" % (binary, tail))
        time.sleep(0.05)


def stop(proc, d):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    shutil.rmtree(d, ignore_errors=True)


def memory(c):
    info = c.info("memory")
    return int(info["used_memory"]), int(info["used_memory_rss"])


def load_strings(p, i):
    p.set(b"key:%012d" % i, b"xxx")


HASH_FIELDS = 10
ZSET_MEMBERS = 20


def load_hash(p, i):
    p.hset(b"hash:%08d" % i, mapping={b"f%d" % f: b"value-%d" % (i + f)
                                      for f in range(HASH_FIELDS)})


def load_zset(p, i):
    p.zadd(b"zset:%08d" % i, {b"member:%02d" % m: i + m for m in range(ZSET_MEMBERS)})


# name, loader, elements per key
WORKLOADS = {"strings": [("string keys", load_strings, 1)],
             "collections": [("hash, 10 fields", load_hash, HASH_FIELDS),
                             ("zset, 20 members", load_zset, ZSET_MEMBERS)]}


def measure(binary, nkeys, batch, loader, per_key):
    proc, c, d = start(binary)
    try:
        c.flushall()
        used0, rss0 = memory(c)
        t0 = time.time()
        for base in range(0, nkeys, batch):
            p = c.pipeline(transaction=False)
            for i in range(base, min(nkeys, base + batch)):
                loader(p, i)
            p.execute()
        load_s = time.time() - t0
        n = c.dbsize()
        if n != nkeys:
            sys.exit("%s: DBSIZE %d after loading %d keys" % (binary, n, nkeys))
        used1, rss1 = memory(c)
        nel = nkeys * per_key
        return {"used": (used1 - used0) / nel, "rss": (rss1 - rss0) / nel,
                "used_key": (used1 - used0) / nkeys, "used_total": used1, "load_s": load_s}
    finally:
        stop(proc, d)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairdb", default=os.environ.get(
        "PAIRDB_SERVER", os.path.join(ROOT, "build", "pairdb-server")))
    ap.add_argument("--redis", default=os.environ.get("REDIS_SERVER", "/usr/bin/redis-server"))
    ap.add_argument("--keys", type=int, default=None)
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--collections", action="store_true",
                    help="hashes of 10 fields and sorted sets of 20 members instead of strings")
    a = ap.parse_args()
    mode = "collections" if a.collections else "strings"
    if a.keys is None:
        a.keys = 100000 if a.collections else 1000000
    if a.keys <= 0 or a.batch <= 0:
        ap.error("--keys and --batch must be positive")
    for label, binary in (("pairdb", a.pairdb), ("redis", a.redis)):
        if not os.access(binary, os.X_OK):
            sys.exit("no server binary at %s" % binary)
    for name, loader, per_key in WORKLOADS[mode]:
        res = {}
        for label, binary in (("pairdb", a.pairdb), ("redis", a.redis)):
            res[label] = r = measure(binary, a.keys, a.batch, loader, per_key)
            unit = "key" if per_key == 1 else "element"
            print("%-16s %-7s %-34s %8.1f bytes/%s used_memory  %8.1f bytes/%s rss  "
                  "(%.1f bytes/key, used_memory %d, load %.1f s)"
                  % (name, label, binary, r["used"], unit, r["rss"], unit, r["used_key"],
                     r["used_total"], r["load_s"]))
        if res["redis"]["used"] > 0:
            print("%-16s ratio pairdb/redis: %.3f (used_memory per %s)"
                  % (name, res["pairdb"]["used"] / res["redis"]["used"],
                     "key" if per_key == 1 else "element"))


if __name__ == "__main__":
    main()
