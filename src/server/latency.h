/*
 * latency.h - the latency monitor (LATENCY ...) and per-command latency
 * histograms.
 *
 * Events ("command", "fast-command", "expire-cycle", ...) that took at
 * least `latency-monitor-threshold` milliseconds are sampled: 160 samples
 * per event, one per second at most (a second's samples keep the maximum),
 * plus the all-time maximum, as Redis keeps them.
 *
 * Every command's duration also goes into its histogram: power-of-two
 * buckets with Redis 7's boundaries, so LATENCY HISTOGRAM answers with the
 * same bucket labels Redis does. These histograms are the per-command
 * latency data of the server; other reporters (metrics) read them through
 * latency_foreach_histogram().
 */
#ifndef PAIRDB_LATENCY_H
#define PAIRDB_LATENCY_H

struct client;
struct command;

#define LATENCY_BUCKETS 21

/* Called once per executed command with its measured duration: feeds the
 * command's histogram, the "command"/"fast-command" events and the slow
 * log. */
void latency_after_call(struct client *c, const struct command *cmd, long long duration_us);
/* Records a sample for event when monitoring is on and ms reaches the
 * threshold. Main thread only. */
void latency_add_sample_if_needed(const char *event, long long ms);

/* Server timer hook: collects the samples other threads measured (the
 * log writer's fsyncs, event "wal-fsync"). */
void latency_cron(void);

/* Bucket i holds the calls that took at most latency_bucket_upper_us(i)
 * microseconds (and more than bucket i-1's bound). */
long long latency_bucket_upper_us(int bucket);
/* fn(cmd, calls, counts[LATENCY_BUCKETS] (not cumulative), arg) for each
 * command that has been called since start or the last reset. */
void latency_foreach_histogram(void (*fn)(const struct command *cmd, long long calls,
                                          const long long *counts, void *arg),
                               void *arg);
void latency_reset_histograms(void);

void latency_register(void);
void latency_free_all(void);

#endif
