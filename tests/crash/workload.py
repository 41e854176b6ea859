"""Writers with exact bookkeeping, for crash tests.

Each writer thread owns its keys (one prefix per writer and round), so the server applies its
commands in the order it sent them and a model of those keys can say what every reply and every
key must be. A writer records what was acknowledged (applied to its model) and what was sent but
not answered when the connection died (its in-flight commands). After a crash the recovered keys
must equal the model after the acknowledged commands plus some prefix of the in-flight ones, one
prefix for all of the writer's keys: the log keeps whole frames in order, so a later command can
never survive without the earlier ones.
"""

import copy
import random
import threading
import time

import redis

KINDS = ("str", "ctr", "list", "hash", "set", "zset")
KEYS_PER_KIND = 5
PIPELINE_DEPTH = 16
# Absolute expiry far in the future: the keys must come back with exactly this deadline.
FAR_MS = int(time.time() * 1000) + 10 ** 9


def normalize_reply(rep):
    if isinstance(rep, bool):
        return int(rep)
    return rep


class Model:
    """key -> [value, expire_ms or None]; values: bytes (str), int (ctr), list, dict, set,
    dict member->float (zset)."""

    def __init__(self):
        self.data = {}

    def clone(self):
        m = Model()
        m.data = copy.deepcopy(self.data)
        return m

    def state(self, key):
        e = self.data.get(key)
        return None if e is None else (e[0], e[1])

    def apply(self, op):
        """Applies one command; returns the reply it must have got (ints, 1 for OK)."""
        name, key, args = op[0], op[1], op[2:]
        d = self.data
        e = d.get(key)
        if name == "SET":
            d[key] = [args[0], int(args[2]) if len(args) == 3 else None]
            return 1
        if name == "DEL":
            return 1 if d.pop(key, None) is not None else 0
        if name == "PEXPIREAT":
            if e is None:
                return 0
            e[1] = int(args[0])
            return 1
        if name == "APPEND":
            if e is None:
                e = d[key] = [b"", None]
            e[0] += args[0]
            return len(e[0])
        if name == "INCR":
            if e is None:
                e = d[key] = [0, None]
            e[0] += 1
            return e[0]
        if name == "RPUSH":
            if e is None:
                e = d[key] = [[], None]
            e[0].extend(args)
            return len(e[0])
        if name == "HSET":
            if e is None:
                e = d[key] = [{}, None]
            added = 0
            for f, v in zip(args[0::2], args[1::2]):
                added += f not in e[0]
                e[0][f] = v
            return added
        if name == "HINCRBY":
            if e is None:
                e = d[key] = [{}, None]
            n = int(e[0].get(args[0], b"0")) + int(args[1])
            e[0][args[0]] = b"%d" % n
            return n
        if name == "SADD":
            if e is None:
                e = d[key] = [set(), None]
            added = len(set(args) - e[0])
            e[0].update(args)
            return added
        if name == "ZADD":
            if e is None:
                e = d[key] = [{}, None]
            added = 0
            for s, m in zip(args[0::2], args[1::2]):
                added += m not in e[0]
                e[0][m] = float(s)
            return added
        raise ValueError(name)


class Writer(threading.Thread):
    def __init__(self, server, prefix, pipelined, seed, barrier, max_pad=2000):
        super().__init__(daemon=True)
        self.max_pad = max_pad  # the largest padding of a SET or HSET value
        self.server = server
        self.prefix = prefix
        self.pipelined = pipelined
        self.rng = random.Random(seed)
        self.barrier = barrier
        self.model = Model()
        self.keys = {kind: [b"%s:%s:%d" % (prefix.encode(), kind.encode(), i)
                            for i in range(KEYS_PER_KIND)] for kind in KINDS}
        self.all_keys = [k for ks in self.keys.values() for k in ks]
        self.kind_of = {k: kind for kind, ks in self.keys.items() for k in ks}
        self.seq = 0
        self.inflight = []
        self.acked = 0
        self.errors = []

    def gen(self):
        rng = self.rng
        self.seq += 1
        kind = rng.choice(KINDS)
        k = rng.choice(self.keys[kind])
        r = rng.random()
        if r < 0.03:
            return ("DEL", k)
        if r < 0.08:
            return ("PEXPIREAT", k, FAR_MS + rng.randrange(10 ** 6))
        val = b"%s.%d:" % (self.prefix.encode(), self.seq) + b"x" * rng.randrange(self.max_pad)
        if kind == "str":
            if r < 0.3:
                return ("SET", k, val, "PXAT", FAR_MS + rng.randrange(10 ** 6))
            if r < 0.5:
                return ("SET", k, val)
            return ("APPEND", k, val[:40])
        if kind == "ctr":
            return ("INCR", k)
        if kind == "list":
            return ("RPUSH", k) + tuple(val[:30] + b"#%d" % i for i in range(rng.randrange(1, 4)))
        if kind == "hash":
            if r < 0.5:
                return ("HINCRBY", k, b"n%d" % rng.randrange(4), rng.randrange(-5, 100))
            return ("HSET", k, b"f%d" % rng.randrange(8), val, b"g%d" % rng.randrange(8), val[:9])
        if kind == "set":
            members = (b"m%d" % rng.randrange(200) for _ in range(rng.randrange(1, 4)))
            return ("SADD", k) + tuple(members)
        return ("ZADD", k, rng.randrange(1000), b"m%d" % rng.randrange(100),
                rng.randrange(-50, 50), b"w%d" % rng.randrange(30))

    def send(self, conn, batch):
        if not self.pipelined:
            return [conn.execute_command(*batch[0])]
        p = conn.pipeline(transaction=False)
        for op in batch:
            p.execute_command(*op)
        return p.execute(raise_on_error=False)

    def run(self):
        try:
            conn = self.server.client()
            conn.ping()
        except Exception as e:  # the barrier must not wait for a writer that never started
            self.errors.append("connect: %r" % e)
            self.barrier.abort()
            return
        try:
            self.barrier.wait(10)
            while True:
                batch = [self.gen() for _ in range(PIPELINE_DEPTH if self.pipelined else 1)]
                self.inflight = batch
                try:
                    replies = self.send(conn, batch)
                except (redis.ConnectionError, ConnectionError, OSError):
                    return  # the server died: batch stays in flight
                except redis.TimeoutError:
                    self.errors.append("no reply within the timeout (server hung?)")
                    return
                except redis.ResponseError as e:
                    self.errors.append("%r -> error %s" % (batch[0], e))
                    return
                self.inflight = []
                for op, rep in zip(batch, replies):
                    want = self.model.apply(op)
                    got = normalize_reply(rep)
                    if got != want:
                        self.errors.append("%r: reply %r, expected %r" % (op[:2], got, want))
                    self.acked += 1
        except threading.BrokenBarrierError:
            pass
        finally:
            conn.close()


def read_states(conn, keys, kind_of):
    """The state of each key as Model.state() spells it."""
    p = conn.pipeline(transaction=False)
    for k in keys:
        kind = kind_of[k]
        if kind in ("str", "ctr"):
            p.get(k)
        elif kind == "list":
            p.lrange(k, 0, -1)
        elif kind == "hash":
            p.hgetall(k)
        elif kind == "set":
            p.smembers(k)
        else:
            p.zrange(k, 0, -1, withscores=True)
        p.execute_command("PEXPIRETIME", k)
    res = p.execute()
    out = {}
    for i, k in enumerate(keys):
        v, exp = res[2 * i], res[2 * i + 1]
        if exp == -2:
            assert not v, "%r: PEXPIRETIME says missing but the value is %r" % (k, v)
            out[k] = None
            continue
        kind = kind_of[k]
        if kind == "ctr":
            v = int(v)
        elif kind == "zset":
            v = {m: s for m, s in v}
        out[k] = (v, None if exp == -1 else exp)
    return out


def check_writer(w, actual):
    """Checks one writer's recovered keys; returns the in-flight prefix that matches (raises
    AssertionError with the difference when none does)."""
    touched = {op[1] for op in w.inflight}
    for k in w.all_keys:
        if k not in touched and actual[k] != w.model.state(k):
            raise AssertionError("%s: key %r lost acknowledged writes:\n  recovered %.300r\n"
                                 "  expected  %.300r" % (w.prefix, k, actual[k], w.model.state(k)))
    m = w.model.clone()
    for n in range(len(w.inflight) + 1):
        if n:
            m.apply(w.inflight[n - 1])
        if all(actual[k] == m.state(k) for k in touched):
            return n
    diffs = ["%r: recovered %.200r, acknowledged state %.200r" % (k, actual[k], w.model.state(k))
             for k in sorted(touched)]
    raise AssertionError("%s: recovered keys match no prefix of the %d in-flight commands:\n%s"
                         % (w.prefix, len(w.inflight), "\n".join(diffs)))
