/*
 * metrics.h - the Prometheus exposition of /metrics (text format 0.0.4),
 * and the log's fsync latency histogram, which nothing else keeps. Command
 * latency comes from the latency module's per-command histograms (the ones
 * LATENCY HISTOGRAM shows), read into the buckets below at each scrape.
 *
 * Names carry the pairdb_ prefix and base units (_seconds, _bytes);
 * counters end in _total. Most values are read from their owners when a
 * scrape renders (stats, the command table, the log, the keyspace), so a
 * scrape costs nothing between scrapes. Per-command counters are the
 * command table's (the INFO commandstats figures): CONFIG RESETSTAT zeroes
 * them and the command histograms, which Prometheus treats as a counter
 * reset. The fsync histogram is never reset.
 *
 * Histogram buckets, for both: 10us, 25us, 50us ... 5s, 10s (1-2.5-5 steps),
 * then +Inf.
 */
#ifndef PAIRDB_METRICS_H
#define PAIRDB_METRICS_H

#include "proto/resp.h"

struct command;

#define METRICS_BUCKETS 19 /* finite bounds; +Inf is one more */

/* The log's writer thread, after each fdatasync: lock-free (atomics), read
 * by the command thread when rendering. */
void metrics_observe_wal_fsync(long long took_us);

/* Appends the whole exposition. */
void metrics_render(resp_buf *out);

/* Bucket index of a duration (METRICS_BUCKETS = over the last bound). */
int metrics_bucket_of(long long us);

#endif
