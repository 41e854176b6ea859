/*
 * metrics.h - the Prometheus exposition of /metrics (text format 0.0.4),
 * and the two histograms nothing else keeps: command latency per command
 * and the log's fsync latency.
 *
 * Names carry the pairdb_ prefix and base units (_seconds, _bytes);
 * counters end in _total. Most values are read from their owners when a
 * scrape renders (stats, the command table, the log, the keyspace), so a
 * scrape costs nothing between scrapes. Per-command counters are the
 * command table's (the INFO commandstats figures): CONFIG RESETSTAT zeroes
 * them, which Prometheus treats as a counter reset. The histograms are
 * never reset.
 *
 * Histogram buckets, for both: 10us, 25us, 50us ... 5s, 10s (1-2.5-5 steps),
 * then +Inf.
 */
#ifndef PAIRDB_METRICS_H
#define PAIRDB_METRICS_H

#include "proto/resp.h"

struct command;

#define METRICS_BUCKETS 19 /* finite bounds; +Inf is one more */

/* The dispatcher, after each call: adds took_us to cmd's histogram.
 * Command thread only. */
void metrics_record_command(const struct command *cmd, long long took_us);
/* The log's writer thread, after each fdatasync: lock-free (atomics), read
 * by the command thread when rendering. */
void metrics_observe_wal_fsync(long long took_us);

/* Appends the whole exposition. */
void metrics_render(resp_buf *out);
/* Frees the per-command histograms (shutdown, unit tests). */
void metrics_free(void);

/* Bucket index of a duration (METRICS_BUCKETS = over the last bound). */
int metrics_bucket_of(long long us);

#endif
