/*
 * metrics.c - /metrics in the Prometheus text format 0.0.4 (see metrics.h).
 *
 * Every family is written as one block: HELP, TYPE, then its samples, as
 * the format requires. Per-command families list only the commands that
 * were called (or refused) at least once, so an idle server's scrape stays
 * small whatever the size of the command table.
 */
#include "admin/metrics.h"

#include <stdint.h>
#include <string.h>

#include "admin/health.h"
#include "ds/mem.h"
#include "persist/persist.h"
#include "persist/recovery.h"
#include "persist/wal.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/config.h"
#include "server/db.h"
#include "server/latency.h"
#include "server/loop.h"
#include "server/memreport.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "server/stats.h"

/* Upper bounds in microseconds, and the same as the le label text. */
static const long long bucket_us[METRICS_BUCKETS] = {
    10,    25,    50,     100,    250,    500,     1000,    2500,    5000,    10000,
    25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
static const char *const bucket_le[METRICS_BUCKETS] = {
    "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
    "0.025", "0.05",    "0.1",   "0.25",   "0.5",     "1",      "2.5",   "5",      "10"};

/* The log's fsyncs: written by the writer thread with atomic adds, read
 * with atomic loads. The buckets are loaded one by one, so a scrape racing
 * a sync may show the sync in a bucket but not yet in the sum: harmless. */
static struct {
    long long counts[METRICS_BUCKETS + 1];
    long long sum_us;
    long long last_ms; /* unix ms of the last completed fsync */
} fsync_hist;

int metrics_bucket_of(long long us) {
    int i = 0;
    while (i < METRICS_BUCKETS && us > bucket_us[i])
        i++;
    return i;
}

void metrics_observe_wal_fsync(long long took_us) {
    if (took_us < 0) took_us = 0;
    __atomic_fetch_add(&fsync_hist.counts[metrics_bucket_of(took_us)], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&fsync_hist.sum_us, took_us, __ATOMIC_RELAXED);
    __atomic_store_n(&fsync_hist.last_ms, loop_time_ms(), __ATOMIC_RELAXED);
}


/* ---- exposition helpers ------------------------------------------------------------------ */

static void family(resp_buf *b, const char *name, const char *type, const char *help) {
    resp_buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_ll(resp_buf *b, const char *name, const char *type, const char *help,
                      long long v) {
    family(b, name, type, help);
    resp_buf_appendf(b, "%s %lld\n", name, v);
}

static void sample_dbl(resp_buf *b, const char *name, const char *type, const char *help,
                       double v) {
    family(b, name, type, help);
    resp_buf_appendf(b, "%s %.9g\n", name, v);
}

/* Unix times: fixed point, so milliseconds are not lost to %g. */
static void sample_time(resp_buf *b, const char *name, const char *help, long long ms) {
    family(b, name, "gauge", help);
    resp_buf_appendf(b, "%s %lld.%03lld\n", name, ms / 1000, ms % 1000);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(resp_buf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            resp_buf_append(b, "\\", 1);
        else if (*s == '\n') {
            resp_buf_append(b, "\\n", 2);
            continue;
        }
        resp_buf_append(b, s, 1);
    }
}

/* name{cmd="x"le="..."} lines, _sum and _count; counts are per bucket. */
static void histogram_samples(resp_buf *b, const char *name, const char *cmd,
                              const long long *counts, long long sum_us) {
    long long cumulative = 0;
    for (int i = 0; i <= METRICS_BUCKETS; i++) {
        cumulative += counts[i];
        resp_buf_appendf(b, "%s_bucket{", name);
        if (cmd) {
            resp_buf_append(b, "cmd=\"", 5);
            label_value(b, cmd);
            resp_buf_append(b, "\",", 2);
        }
        resp_buf_appendf(b, "le=\"%s\"} %lld\n", i < METRICS_BUCKETS ? bucket_le[i] : "+Inf",
                         cumulative);
    }
    const char *open = cmd ? "{cmd=\"" : "", *close = cmd ? "\"}" : "";
    resp_buf_appendf(b, "%s_sum%s", name, open);
    if (cmd) label_value(b, cmd);
    resp_buf_appendf(b, "%s %.6f\n%s_count%s", close, (double)sum_us / 1e6, name, open);
    if (cmd) label_value(b, cmd);
    resp_buf_appendf(b, "%s %lld\n", close, cumulative);
}

/* ---- per-command families ---------------------------------------------------------------- */

enum { PER_CMD_CALLS, PER_CMD_ERRORS };

typedef struct per_cmd_walk {
    resp_buf *b;
    int what;
} per_cmd_walk;

static int cmd_was_used(const command *cmd) {
    return cmd->calls || cmd->failed_calls || cmd->rejected_calls;
}

/* A command's duration histogram, from the latency module's per-command
 * histograms (the ones LATENCY HISTOGRAM and INFO latencystats show):
 * each bucket counts the calls up to its bound. */
static void duration_one(const command *cmd, const latency_hist *h, void *arg) {
    long long counts[METRICS_BUCKETS + 1], below = 0;
    for (int i = 0; i < METRICS_BUCKETS; i++) {
        long long upto = latency_hist_count_upto_us(h, bucket_us[i]);
        counts[i] = upto - below;
        below = upto;
    }
    counts[METRICS_BUCKETS] = latency_hist_calls(h) - below;
    histogram_samples(arg, "pairdb_command_duration_seconds", cmd->fullname, counts,
                      latency_hist_sum_us(h));
}

static void per_cmd_one(const command *cmd, per_cmd_walk *w) {
    if (cmd_was_used(cmd)) {
        const char *name =
            w->what == PER_CMD_CALLS ? "pairdb_commands_total" : "pairdb_command_errors_total";
        resp_buf_appendf(w->b, "%s{cmd=\"", name);
        label_value(w->b, cmd->fullname);
        resp_buf_appendf(w->b, "\"} %lld\n",
                         w->what == PER_CMD_CALLS ? cmd->calls
                                                  : cmd->failed_calls + cmd->rejected_calls);
    }
    if (cmd->subcommands)
        for (const command *s = cmd->subcommands; s->name; s++)
            per_cmd_one(s, w);
}

static void per_cmd_visit(command *cmd, void *arg) {
    per_cmd_one(cmd, arg);
}

static void render_commands(resp_buf *b) {
    per_cmd_walk w = {b, PER_CMD_CALLS};
    sample_ll(b, "pairdb_commands_processed_total", "counter",
              "Commands executed, all commands together.", stats.total_commands_processed);
    family(b, "pairdb_commands_total", "counter",
           "Calls of each command that ran (INFO commandstats calls).");
    command_foreach(per_cmd_visit, &w);
    family(b, "pairdb_command_errors_total", "counter",
           "Calls of each command that failed or were refused before running.");
    w.what = PER_CMD_ERRORS;
    command_foreach(per_cmd_visit, &w);
    family(b, "pairdb_command_duration_seconds", "histogram",
           "Time each command spent executing, by command (while latency-tracking is on).");
    latency_foreach_histogram(duration_one, b);
    sample_ll(b, "pairdb_error_replies_total", "counter", "Error replies sent.",
              stats.total_error_replies);
}

/* ---- the other families ------------------------------------------------------------------ */


static void render_server(resp_buf *b) {
    family(b, "pairdb_build_info", "gauge", "Build facts as labels; the value is always 1.");
    resp_buf_appendf(b, "pairdb_build_info{version=\"%s\",redis_version=\"%s\"} 1\n",
                     PAIRDB_VERSION, PAIRDB_REDIS_COMPAT_VERSION);
    long long up = (clock_now_ms() - stats.start_time_ms) / 1000;
    sample_ll(b, "pairdb_uptime_seconds", "gauge", "Seconds since the server started.",
              up > 0 ? up : 0);
    sample_time(b, "pairdb_start_time_seconds", "Start time, unix seconds.", stats.start_time_ms);
    sample_dbl(b, "pairdb_loop_lag_seconds", "gauge",
               "How late the event loop ran its last timer (or is running it now).",
               (double)health_loop_lag_us() / 1e6);
    sample_dbl(b, "pairdb_loop_lag_max_seconds", "gauge",
               "Largest event loop lag of the last 10 seconds or so.",
               (double)health_loop_lag_max_us() / 1e6);
}

static void render_clients(resp_buf *b) {
    sample_ll(b, "pairdb_connected_clients", "gauge", "Client connections open.",
              (long long)client_count());
    sample_ll(b, "pairdb_blocked_clients", "gauge", "Clients waiting in a blocking command.",
              (long long)client_blocked_count());
    sample_ll(b, "pairdb_max_clients", "gauge", "The maxclients setting.", cfg->maxclients);
    sample_ll(b, "pairdb_connections_received_total", "counter", "Client connections accepted.",
              stats.total_connections_received);
    sample_ll(b, "pairdb_rejected_connections_total", "counter",
              "Client connections refused (maxclients, protected mode, maxconn-rate-per-ip).",
              stats.rejected_connections);
    sample_ll(b, "pairdb_ratelimit_rejected_commands_total", "counter",
              "Commands refused by max-commands-per-second.", stats.ratelimit_rejected_commands);
    sample_ll(b, "pairdb_auth_failures_throttled_total", "counter",
              "AUTH attempts refused during a failed-AUTH delay.", stats.auth_failures_throttled);
    sample_ll(b, "pairdb_net_input_bytes_total", "counter", "Bytes read from clients.",
              stats.net_input_bytes);
    sample_ll(b, "pairdb_net_output_bytes_total", "counter", "Bytes written to clients.",
              stats.net_output_bytes);
    sample_ll(b, "pairdb_pubsub_channels", "gauge", "Channels with subscribers.",
              (long long)pubsub_channel_count());
    sample_ll(b, "pairdb_pubsub_patterns", "gauge", "Pattern subscriptions.",
              (long long)pubsub_pattern_count());
    sample_ll(b, "pairdb_pubsub_shard_channels", "gauge", "Shard channels with subscribers.",
              (long long)pubsub_shard_channel_count());
}

static void render_memory(resp_buf *b) {
    memory_report m;
    memory_report_fill(&m);
    long long used = (long long)m.used, rss = (long long)m.rss, peak = (long long)m.peak;
    sample_ll(b, "pairdb_memory_used_bytes", "gauge", "Bytes allocated by the server.", used);
    sample_ll(b, "pairdb_memory_max_bytes", "gauge", "The maxmemory setting (0: no limit).",
              cfg->maxmemory);
    sample_ll(b, "pairdb_memory_rss_bytes", "gauge", "Resident set size of the process.", rss);
    sample_ll(b, "pairdb_memory_peak_bytes", "gauge", "Highest used memory seen.", peak);
    sample_dbl(b, "pairdb_memory_fragmentation_ratio", "gauge", "RSS divided by used memory.",
               used ? (double)rss / (double)used : 0.0);
}

static void render_keyspace(resp_buf *b) {
    int n = db_count();
    family(b, "pairdb_db_keys", "gauge", "Keys in each database.");
    for (int i = 0; i < n; i++)
        resp_buf_appendf(b, "pairdb_db_keys{db=\"%d\"} %zu\n", i, db_size(db_get(i)));
    family(b, "pairdb_db_expiring_keys", "gauge", "Keys with a time to live in each database.");
    for (int i = 0; i < n; i++)
        resp_buf_appendf(b, "pairdb_db_expiring_keys{db=\"%d\"} %zu\n", i,
                         db_expires_count(db_get(i)));
    sample_ll(b, "pairdb_keyspace_hits_total", "counter", "Key lookups that found the key.",
              stats.keyspace_hits);
    sample_ll(b, "pairdb_keyspace_misses_total", "counter", "Key lookups that found nothing.",
              stats.keyspace_misses);
    sample_ll(b, "pairdb_expired_keys_total", "counter", "Keys deleted because they expired.",
              stats.expired_keys);
    sample_ll(b, "pairdb_evicted_keys_total", "counter", "Keys evicted under maxmemory.",
              stats.evicted_keys);
}

static void render_wal(resp_buf *b) {
    wal_stats ws = {0};
    int open = wal_is_open();
    if (open) wal_get_stats(&ws);
    sample_ll(b, "pairdb_wal_enabled", "gauge", "1 when the write-ahead log is open.", open);
    sample_ll(b, "pairdb_wal_writes_refused", "gauge",
              "1 while writes are refused because the log cannot write (disk trouble).",
              wal_writes_refused() ? 1 : 0);
    sample_ll(b, "pairdb_wal_written_bytes_total", "counter", "Bytes written to the log.",
              ws.bytes_written);
    sample_ll(b, "pairdb_wal_size_bytes", "gauge", "Bytes of frames in the live log segments.",
              ws.current_size);
    sample_ll(b, "pairdb_wal_segments", "gauge", "Live log segment files.", ws.segments);
    sample_ll(b, "pairdb_wal_pending_bytes", "gauge", "Sealed log bytes not yet written.",
              ws.pending_bytes);
    sample_ll(b, "pairdb_wal_write_errors_total", "counter", "Failed log writes or syncs.",
              ws.write_errors);
    long long counts[METRICS_BUCKETS + 1];
    for (int i = 0; i <= METRICS_BUCKETS; i++)
        counts[i] = __atomic_load_n(&fsync_hist.counts[i], __ATOMIC_RELAXED);
    family(b, "pairdb_wal_fsync_duration_seconds", "histogram", "Time each log fdatasync took.");
    histogram_samples(b, "pairdb_wal_fsync_duration_seconds", NULL, counts,
                      __atomic_load_n(&fsync_hist.sum_us, __ATOMIC_RELAXED));
    sample_time(b, "pairdb_wal_last_fsync_timestamp_seconds",
                "Unix time of the last completed log fsync (0: none yet).",
                __atomic_load_n(&fsync_hist.last_ms, __ATOMIC_RELAXED));
}

static void render_snapshots(resp_buf *b) {
    persist_status ps;
    persist_get_status(&ps);
    sample_ll(b, "pairdb_snapshot_in_progress", "gauge", "1 while a snapshot is being written.",
              ps.snapshot_in_progress);
    sample_ll(b, "pairdb_snapshot_last_status", "gauge",
              "1 when the last background snapshot succeeded (or none ran), 0 when it failed.",
              ps.last_snapshot_ok ? 1 : 0);
    sample_ll(b, "pairdb_snapshot_last_duration_seconds", "gauge",
              "Duration of the last background snapshot (-1: none yet).", ps.last_snapshot_seconds);
    sample_ll(b, "pairdb_snapshot_last_success_timestamp_seconds", "gauge",
              "Unix time of the newest snapshot.", ps.last_save_time);
    sample_ll(b, "pairdb_snapshots_total", "counter", "Snapshots completed since start.",
              ps.snapshots);
    sample_ll(b, "pairdb_changes_since_last_snapshot", "gauge", "Writes since the newest snapshot.",
              ps.changes_since_save);
    recovery_progress rp;
    recovery_get_progress(&rp);
    sample_ll(b, "pairdb_loading", "gauge", "1 while the dataset is being loaded.",
              rp.loading ? 1 : 0);
    sample_dbl(b, "pairdb_loading_progress_ratio", "gauge",
               "Part of the dataset loaded (1 when not loading).",
               rp.loading ? rp.perc / 100.0 : 1.0);
}

void metrics_render(resp_buf *out) {
    render_server(out);
    render_clients(out);
    render_commands(out);
    render_memory(out);
    render_keyspace(out);
    render_wal(out);
    render_snapshots(out);
}
