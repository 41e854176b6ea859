#!/usr/bin/env bash
# run.sh - starts pairdb-server on 127.0.0.1:6379 with data in ./data
# (what `make run` does). Extra arguments are passed to the server.
set -eu
bin=${1:-build/pairdb-server}
shift || true
port=${PAIRDB_PORT:-6379}
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port on 127.0.0.1 is already in use: stop whatever listens there" >&2
    echo "(e.g. 'redis-cli -p $port shutdown' or 'ss -ltnp | grep :$port'), or run" >&2
    echo "'make run PAIRDB_PORT=6380'." >&2
    exit 1
fi
mkdir -p data
echo "Starting pairdb-server on 127.0.0.1:$port, data in ./data (Ctrl-C stops it)"
exec "$bin" --port "$port" --bind 127.0.0.1 --dir ./data "$@"
