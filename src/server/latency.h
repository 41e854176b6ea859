/*
 * latency.h - the latency monitor (LATENCY ...) and per-command latency
 * histograms.
 *
 * Events ("command", "fast-command", "expire-cycle", ...) that took at
 * least `latency-monitor-threshold` milliseconds are sampled: 160 samples
 * per event, one per second at most (a second's samples keep the maximum),
 * plus the all-time maximum, as Redis keeps them.
 *
 * Every command's duration also goes into its histogram (when
 * `latency-tracking` is on), with Redis 7's precision, so LATENCY HISTOGRAM
 * and INFO latencystats answer what Redis would. These histograms are the
 * per-command latency data of the server; other reporters (metrics) read
 * them through latency_foreach_histogram().
 */
#ifndef PAIRDB_LATENCY_H
#define PAIRDB_LATENCY_H

struct client;
struct command;

/* One command's latency histogram (opaque). */
typedef struct latency_hist latency_hist;

/* Called once per executed command with its measured duration: feeds the
 * command's histogram, the "command"/"fast-command" events and the slow
 * log. */
void latency_after_call(struct client *c, const struct command *cmd, long long duration_us);
/* Records a sample for event when monitoring is on and ms reaches the
 * threshold. Main thread only: samples other threads measure (the log
 * writer's fsyncs, event "wal-fsync") are pushed from their layer's timer
 * hook (persist_cron). */
void latency_add_sample_if_needed(const char *event, long long ms);

/* fn(cmd, histogram, arg) for each command called since start or the
 * last reset (CONFIG RESETSTAT). */
void latency_foreach_histogram(void (*fn)(const struct command *cmd, const latency_hist *h,
                                          void *arg),
                               void *arg);
long long latency_hist_calls(const latency_hist *h);
/* Total microseconds of those calls. */
long long latency_hist_sum_us(const latency_hist *h);
/* Calls that took at most `us` microseconds (to the histogram's precision:
 * two significant digits), e.g. for Prometheus buckets. */
long long latency_hist_count_upto_us(const latency_hist *h, long long us);
/* INFO latencystats: one latency_percentiles_usec_<command> line per
 * command, at the latency-tracking-info-percentiles. */
struct resp_buf;
void latency_info_section(struct resp_buf *b);
void latency_reset_histograms(void);

void latency_register(void);
void latency_free_all(void);

#endif
