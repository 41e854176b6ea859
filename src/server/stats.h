/*
 * stats.h - server-wide counters (INFO stats, later /metrics).
 *
 * Plain counters any module may increment from the command thread; CONFIG
 * RESETSTAT zeroes them through stats_reset(). Nothing here is derived
 * state: gauges (clients, keys, memory) are read from their owners.
 */
#ifndef PAIRDB_STATS_H
#define PAIRDB_STATS_H

typedef struct server_stats {
    long long start_time_ms;           /* not reset */
    long long peak_memory;             /* used_memory peak; reset to current */
    long long total_connections_received;
    long long total_commands_processed;
    long long rejected_connections;
    long long net_input_bytes;
    long long net_output_bytes;
    long long keyspace_hits;
    long long keyspace_misses;
    long long expired_keys;
    long long expired_time_cap_reached_count;
    long long evicted_keys;
    long long evicted_clients;
    long long client_qbuf_limit_disconnections;
    long long client_outbuf_limit_disconnections;
    long long total_error_replies;
    long long wrongpass_replies;       /* failed AUTH / HELLO AUTH (ratelimit.c) */
    long long ratelimit_rejected_commands;
    long long auth_failures_throttled;
    long long unexpected_error_replies;
    long long dirty;                   /* writes since start (rdb_changes_since_last_save) */
    long long io_reads_processed;
    long long io_writes_processed;
    long long expire_cycle_cpu_milliseconds;
    long long total_eviction_exceeded_time_ms;
    /* instantaneous ops/sec: samples taken by the cron */
    long long ops_samples[16];
    long long ops_last_time_ms, ops_last_count;
    int ops_idx;
} server_stats;

extern server_stats stats;

void stats_init(void);
void stats_reset(void);
/* Per-error-code counts for INFO errorstats ("ERR", "WRONGTYPE", ...). */
void stats_count_error(const char *msg);
/* Calls fn for each error code counted. */
void stats_foreach_error(void (*fn)(const char *code, long long count, void *arg), void *arg);
/* Cron hook: samples the command counter for instantaneous_ops_per_sec. */
void stats_cron(void);
long long stats_instantaneous_ops(void);

#endif
