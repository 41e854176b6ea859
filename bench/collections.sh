#!/usr/bin/env bash
# collections.sh - pairdb-server versus redis-server on the collection commands.
#
# Runs bench.sh's quick mode (both servers side by side, pinned, order flipped every rep,
# medians and pairdb/redis ratios as a markdown table) on redis-benchmark's LPUSH LPOP SADD HSET
# ZADD LRANGE_100 tests at -P 1 and -P 16. LRANGE_100 fills its list with an LPUSH run of its
# own first; bench.sh leaves that run out of the table.
#
# env: as bench.sh quick mode (PAIRDB_SERVER REDIS_SERVER REPS N CLIENTS PORT); TESTS overrides
#      the test list. Memory per element: bench/memory.py --collections.
set -u
export TESTS=${TESTS:-lpush,lpop,sadd,hset,zadd,lrange_100}
exec "$(dirname "$0")/bench.sh" quick "$@"
