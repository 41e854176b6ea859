#!/usr/bin/python3
"""Differential test runner: the same command scripts against pairdb-server and redis-server.

Every line of tests/diff/scripts/*.txt is one command in redis-cli syntax. Both servers are
started on free ports in temporary directories; each script runs on a fresh connection of each
server after FLUSHALL, first in RESP2 and then again in RESP3 (HELLO 3 first). The raw reply bytes
must be identical. A mismatch report names script:line, the command and both replies.

Line directives (a trailing token, unquoted, at the end of a line):
  #sort      compare the elements of an aggregate reply sorted (maps: sorted by key/value
             pairs). A SCAN-shaped reply (2-element array: cursor, aggregate) has its inner
             list sorted instead; use it only when COUNT covers the whole keyspace, so the
             cursor is "0" on both servers.
  #type      compare only the reply's type byte (for replies that legitimately differ in value,
             e.g. OBJECT IDLETIME)
  #norun2 / #norun3   skip the line in the RESP2 / RESP3 pass.
Full-line comments start with '#'.

Env: PAIRDB_SERVER (default build/pairdb-server), REDIS_SERVER (default /usr/bin/redis-server),
     PAIRDB_DIFF_SELF=1 compares redis-server against a second redis-server instance (used to
     validate the scripts and the runner themselves).
Usage: run_diff.py [script.txt ...] [-2|-3] [--show]   (default: all scripts, both protocols;
       --show also prints every command with redis's reply, to review a script)
Exit status: 0 when every reply matches, 1 on any mismatch, 2 on setup failure.
Callers: humans, and tests/diff/test_diff.py under pytest.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPTS_DIR = os.path.join(HERE, 'scripts')
DIRECTIVES = ('#sort', '#type', '#norun2', '#norun3')
MAX_REPLY = 64 * 1024 * 1024   # a reply larger than this is a bug, not something to buffer


class ProtocolError(Exception):
    pass


# ---- command-line splitting, redis-cli rules ------------------------------------------------

def split_args(line):
    """Split a line the way redis-cli does: whitespace separated, "double quotes" with
    \\n \\r \\t \\b \\a \\\\ \\" \\xHH escapes, 'single quotes' with only \\' escape. A closing
    quote must be followed by whitespace or the end of line. Returns a list of bytes, or raises
    ValueError on unbalanced quotes."""
    args = []
    i, n = 0, len(line)
    esc = {'n': b'\n', 'r': b'\r', 't': b'\t', 'b': b'\b', 'a': b'\a'}
    hexd = '0123456789abcdefABCDEF'
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    raise ValueError('unbalanced double quotes')
                c = line[i]
                if (c == '\\' and i + 3 < n and line[i + 1] == 'x' and line[i + 2] in hexd
                        and line[i + 3] in hexd):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == '\\' and i + 1 < n:
                    i += 1
                    cur += esc.get(line[i], line[i].encode())
                elif c == '"':
                    if i + 1 < n and not line[i + 1].isspace():
                        raise ValueError('closing quote must be followed by a space')
                    i += 1
                    break
                else:
                    cur += c.encode()
            elif insq:
                if i >= n:
                    raise ValueError('unbalanced single quotes')
                c = line[i]
                if c == '\\' and i + 1 < n and line[i + 1] == "'":
                    i += 1
                    cur += b"'"
                elif c == "'":
                    if i + 1 < n and not line[i + 1].isspace():
                        raise ValueError('closing quote must be followed by a space')
                    i += 1
                    break
                else:
                    cur += c.encode()
            else:
                if i >= n or line[i].isspace():
                    break
                c = line[i]
                if c == '"':
                    inq = True
                elif c == "'":
                    insq = True
                else:
                    cur += c.encode()
            i += 1
        args.append(bytes(cur))


def parse_script(path):
    """Returns [(lineno, text, args, directives)] for every command line of a script."""
    out = []
    with open(path, encoding='utf-8') as f:
        for no, raw in enumerate(f, 1):
            text = raw.strip()
            if not text or text.startswith('#'):
                continue
            dirs = set()
            while True:
                head, sep, tail = text.rpartition(' ')
                if sep and tail in DIRECTIVES:
                    dirs.add(tail)
                    text = head.rstrip()
                else:
                    break
            try:
                args = split_args(text)
            except ValueError as e:
                raise ValueError('%s:%d: %s' % (path, no, e))
            if args:
                out.append((no, text, args, dirs))
    return out


# ---- a tiny RESP client returning exact reply bytes ------------------------------------------

class Conn:
    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, args):
        out = bytearray(b'*%d\r\n' % len(args))
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            out += b'$%d\r\n%s\r\n' % (len(a), a)
        self.sock.sendall(out)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ProtocolError('connection closed by server')
        self.buf += chunk
        if len(self.buf) > MAX_REPLY:
            raise ProtocolError('reply too large')

    def _line(self):
        while True:
            k = self.buf.find(b'\r\n', self.pos)
            if k >= 0:
                line = bytes(self.buf[self.pos:k])
                self.pos = k + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        if self.buf[self.pos + n:self.pos + n + 2] != b'\r\n':
            raise ProtocolError('bulk not terminated by CRLF')
        self.pos += n + 2

    def _value(self, depth=0):
        if depth > 64:
            raise ProtocolError('nesting too deep')
        line = self._line()
        if not line:
            raise ProtocolError('empty type line')
        t = line[:1]
        if t in b'+-:_,#(':
            return
        try:
            n = int(line[1:])
        except ValueError:
            raise ProtocolError('bad length line %r' % line)
        if t in b'$!=':
            if n >= 0:
                self._exact(n)
            return
        if t in b'*~>':
            for _ in range(max(n, 0)):
                self._value(depth + 1)
            return
        if t in b'%|':
            for _ in range(2 * max(n, 0)):
                self._value(depth + 1)
            if t == b'|':   # an attribute precedes the real reply
                self._value(depth + 1)
            return
        raise ProtocolError('unknown type byte %r' % t)

    def read_reply(self):
        """Reads one complete reply and returns its exact bytes."""
        start = self.pos
        self._value()
        raw = bytes(self.buf[start:self.pos])
        del self.buf[:self.pos]
        self.pos = 0
        return raw

    def cmd(self, *args):
        self.send(args)
        return self.read_reply()


# ---- reply normalisation for #sort -----------------------------------------------------------

def split_reply(raw):
    """Returns (header, [element raw bytes]) for an aggregate reply, or None otherwise."""
    t = raw[:1]
    if t not in b'*~%>':
        return None
    c = Conn.__new__(Conn)
    c.buf = bytearray(raw)
    c.pos = 0
    header = c._line()
    n = int(header[1:])
    if n < 0:
        return None
    per = 2 if t == b'%' else 1
    elems = []
    for _ in range(n):
        s = c.pos
        for _ in range(per):
            c._value(1)
        elems.append(bytes(c.buf[s:c.pos]))
    return header, elems


def sort_reply(raw):
    parts = split_reply(raw)
    if parts is None:
        return raw
    header, elems = parts
    if header == b'*2' and elems[0][:1] == b'$' and split_reply(elems[1]) is not None:
        # SCAN shape: keep the cursor, sort the inner list
        return header + b'\r\n' + elems[0] + sort_reply(elems[1])
    return header + b'\r\n' + b''.join(sorted(elems))


def normalise(raw, dirs):
    if raw.startswith(b'<'):
        return raw
    if '#type' in dirs:
        return raw[:1]
    if '#sort' in dirs:
        try:
            return sort_reply(raw)
        except (ProtocolError, ValueError, IndexError, AttributeError):
            return raw
    return raw


# ---- servers ---------------------------------------------------------------------------------

def free_port():
    """A free loopback port; inside PAIRDB_TEST_PORTS="lo-hi" when that is set (shared machines)."""
    spec = os.environ.get('PAIRDB_TEST_PORTS', '')
    if spec:
        lo, _, hi = spec.partition('-')
        lo, hi = int(lo), int(hi or lo)
        start = lo + (os.getpid() * 7 + int(time.time() * 1000)) % (hi - lo + 1)
        for i in range(hi - lo + 1):
            port = lo + (start - lo + i) % (hi - lo + 1)
            s = socket.socket()
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            finally:
                s.close()
            return port
        raise RuntimeError('no free port in PAIRDB_TEST_PORTS=%s' % spec)
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, label, binary):
        self.label = label
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix='pairdb-diff-%s-' % label)
        self.proc = None
        self.port = None
        self.logf = None

    def admin_off(self):
        """PairDB's admin HTTP port is turned off: side-by-side servers would share it."""
        return [] if os.path.basename(self.binary).startswith('redis') else ['--admin-port', '0']

    def start(self):
        last = None
        for _ in range(5):   # a port picked free may be taken again before we bind it
            self.port = free_port()
            self.logf = open(os.path.join(self.dir, 'server.log'), 'wb')
            self.proc = subprocess.Popen(
                [self.binary, '--port', str(self.port), '--bind', '127.0.0.1', '--save', '',
                 '--appendonly', 'no', '--dir', self.dir] + self.admin_off(),
                cwd=self.dir, stdout=self.logf, stderr=subprocess.STDOUT)
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    c = Conn(self.port, timeout=1)
                    ok = c.cmd('PING') == b'+PONG\r\n'
                    c.close()
                    if ok:
                        return
                except (OSError, ProtocolError) as e:
                    last = e
                time.sleep(0.05)
            self.stop()
        raise RuntimeError('%s (%s) failed to start: %s\n%s'
                           % (self.label, self.binary, last, self.log_tail()))

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.dir, 'server.log'), 'rb') as f:
                return b'\n'.join(f.read().splitlines()[-n:]).decode(errors='replace')
        except OSError:
            return ''

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.logf:
            self.logf.close()
            self.logf = None

    def cleanup(self):
        self.stop()
        report = ''
        try:
            with open(os.path.join(self.dir, 'server.log'), errors='replace') as f:
                report = ''.join(l for l in f if 'Sanitizer' in l or 'runtime error:' in l)
        except OSError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
        # A sanitizer finding in the server under test fails the run.
        assert not report, 'sanitizer report in %s log:\n%s' % (self.label, report)


def server_binaries():
    redis = os.environ.get('REDIS_SERVER', '/usr/bin/redis-server')
    if os.environ.get('PAIRDB_DIFF_SELF') == '1':
        return redis, redis, 'redis2'
    pairdb = os.environ.get('PAIRDB_SERVER', os.path.join(ROOT, 'build', 'pairdb-server'))
    return redis, pairdb, 'pairdb'


class Pair:
    """The reference server and the one under test, started together."""

    def __init__(self):
        redis, other, label = server_binaries()
        self.ref = Server('redis', redis)
        self.dut = Server(label, other)

    def __enter__(self):
        try:
            self.ref.start()
            self.dut.start()
        except Exception:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.ref.cleanup()
        self.dut.cleanup()


# ---- running scripts -------------------------------------------------------------------------

def open_conn(server, proto):
    c = Conn(server.port)
    if proto == 3:
        hello = c.cmd('HELLO', '3')
        if not hello.startswith(b'%'):
            raise ProtocolError('HELLO 3 refused: %r' % hello[:200])
    c.cmd('SELECT', '0')
    c.cmd('FLUSHALL')
    return c


def run_one(conn_box, server, proto, args):
    """Runs one command; returns its raw reply or a '<...>' marker on failure. Reconnects
    after a failure so one bad line does not hide every later one."""
    try:
        if conn_box[0] is None:
            conn_box[0] = open_conn(server, proto)
        conn_box[0].send(args)
        return conn_box[0].read_reply()
    except (OSError, ProtocolError) as e:
        if conn_box[0] is not None:
            conn_box[0].close()
        conn_box[0] = None
        state = 'alive' if server.alive() else 'DEAD'
        return ('<%s: %s; server %s>' % (type(e).__name__, e, state)).encode()


def run_script(pair, path, proto, show=False):
    """Runs one script against both servers in one protocol; returns a list of mismatches
    (name, lineno, text, ref_reply, dut_reply)."""
    name = os.path.relpath(path, HERE)
    lines = parse_script(path)
    skip = '#norun%d' % proto
    refc, dutc = [None], [None]
    mism = []
    try:
        for no, text, args, dirs in lines:
            if skip in dirs:
                continue
            a = normalise(run_one(refc, pair.ref, proto, args), dirs)
            b = normalise(run_one(dutc, pair.dut, proto, args), dirs)
            if show:
                print('  %s:%d %s -> %r' % (name, no, text, a))
            if a != b:
                mism.append((name, no, text, a, b))
    finally:
        for c in (refc[0], dutc[0]):
            if c is not None:
                c.close()
    return mism


def format_mismatches(mism, proto, dut_label):
    out = []
    for name, no, text, a, b in mism:
        out.append('%s:%d [RESP%d] %s\n    redis:  %r\n    %-7s %r'
                   % (name, no, proto, text, a, dut_label + ':', b))
    return '\n'.join(out)


def all_scripts():
    return sorted(os.path.join(SCRIPTS_DIR, f) for f in os.listdir(SCRIPTS_DIR)
                  if f.endswith('.txt'))


def main(argv):
    protos = [2, 3]
    paths = []
    show = False
    for a in argv:
        if a == '--show':
            show = True
        elif a in ('-2', '-3'):
            protos = [int(a[1])]
        else:
            paths.append(a)
    paths = paths or all_scripts()
    try:
        for p in paths:
            parse_script(p)   # syntax errors before any server starts
        pair = Pair().__enter__()
    except (ValueError, RuntimeError, OSError) as e:
        print('setup failed: %s' % e, file=sys.stderr)
        return 2
    total = bad = 0
    try:
        for proto in protos:
            for p in paths:
                mism = run_script(pair, p, proto, show)
                n = sum(1 for ln in parse_script(p) if '#norun%d' % proto not in ln[3])
                total += n
                bad += len(mism)
                status = 'ok' if not mism else '%d MISMATCH' % len(mism)
                print('RESP%d %-28s %4d commands  %s' % (proto, os.path.basename(p), n, status))
                if mism:
                    print(format_mismatches(mism, proto, pair.dut.label))
    finally:
        pair.close()
    print('%d commands compared, %d matched, %d mismatched (%s vs %s)'
          % (total, total - bad, bad, pair.ref.binary, pair.dut.binary))
    return 0 if bad == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
