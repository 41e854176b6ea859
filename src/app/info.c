/*
 * info.c - the INFO command.
 *
 * Field names and section names are Redis 7's, so dashboards and
 * exporters built for Redis read PairDB unchanged. Fields that describe
 * machinery PairDB does not have (fork, replication backlog) report the
 * values an idle Redis reports. PairDB's own fields carry a pairdb_ prefix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "app/app.h"
#include "ds/mem.h"
#include "persist/persist.h"
#include "script/script.h"
#include "server/config.h"
#include "server/handler.h"
#include "server/latency.h"
#include "server/memreport.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "server/stats.h"
#include "server/tracking.h"

static void section_server(resp_buf *b) {
    struct utsname u;
    uname(&u);
    long long now = clock_now_ms();
    long long up = (now - stats.start_time_ms) / 1000;
    resp_buf_appendf(b, "# Server\r\n");
    resp_buf_appendf(b, "redis_version:%s\r\n", PAIRDB_REDIS_COMPAT_VERSION);
    resp_buf_appendf(b, "pairdb_version:%s\r\n", PAIRDB_VERSION);
    resp_buf_appendf(b, "redis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\n");
    resp_buf_appendf(b, "redis_mode:standalone\r\n");
    resp_buf_appendf(b, "os:%s %s %s\r\n", u.sysname, u.release, u.machine);
    resp_buf_appendf(b, "arch_bits:%d\r\n", (int)(sizeof(long) * 8));
    resp_buf_appendf(b, "monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\n");
    resp_buf_appendf(b, "atomicvar_api:c11-builtin\r\n");
#ifdef __VERSION__
    resp_buf_appendf(b, "gcc_version:%d.%d.%d\r\n", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#endif
    resp_buf_appendf(b, "process_id:%ld\r\n", (long)getpid());
    resp_buf_appendf(b, "process_supervised:no\r\n");
    resp_buf_appendf(b, "run_id:%s\r\n", server_run_id());
    resp_buf_appendf(b, "tcp_port:%d\r\n", server_tcp_port());
    resp_buf_appendf(b, "server_time_usec:%lld\r\n", clock_now_us());
    resp_buf_appendf(b, "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\n", up, up / 86400);
    resp_buf_appendf(b, "hz:%d\r\nconfigured_hz:%d\r\n", cfg->hz, cfg->hz);
    resp_buf_appendf(b, "lru_clock:%u\r\n", db_lru_clock());
    resp_buf_appendf(b, "executable:%s\r\n", server_executable());
    resp_buf_appendf(b, "config_file:%s\r\n", cfg->config_file ? cfg->config_file : "");
    resp_buf_appendf(b, "io_threads_active:0\r\n");
}

struct client_scan {
    size_t max_in, max_out;
};

static void scan_client(client *c, void *arg) {
    struct client_scan *s = arg;
    if (c->qcap > s->max_in) s->max_in = c->qcap;
    if (c->reply_bytes > s->max_out) s->max_out = c->reply_bytes;
}

static void section_clients(resp_buf *b) {
    struct client_scan s = {0};
    client_foreach(scan_client, &s);
    resp_buf_appendf(b, "# Clients\r\n");
    resp_buf_appendf(b, "connected_clients:%zu\r\n", client_count());
    resp_buf_appendf(b, "cluster_connections:0\r\n");
    resp_buf_appendf(b, "maxclients:%d\r\n", cfg->maxclients);
    resp_buf_appendf(b, "client_recent_max_input_buffer:%zu\r\n", s.max_in);
    resp_buf_appendf(b, "client_recent_max_output_buffer:%zu\r\n", s.max_out);
    resp_buf_appendf(b, "blocked_clients:%zu\r\n", client_blocked_count());
    resp_buf_appendf(b, "tracking_clients:%zu\r\nclients_in_timeout_table:0\r\n",
                     tracking_client_count());
}

static void human(char *buf, size_t len, unsigned long long v) {
    config_bytes_human(buf, len, v);
}

static void section_memory(resp_buf *b) {
    memory_report m;
    memory_report_fill(&m);
    char h1[32], h2[32], h3[32], h4[32], h5[32], h6[32], h7[32];
    human(h1, sizeof h1, m.used);
    human(h2, sizeof h2, m.rss);
    human(h3, sizeof h3, m.peak);
    human(h4, sizeof h4, (unsigned long long)cfg->maxmemory);
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    unsigned long long total = (unsigned long long)pages * (unsigned long long)psize;
    human(h5, sizeof h5, total);
    /* glibc has no separate resident figure: its active bytes stand for it. */
    size_t allocated = m.allocator_allocated, active = m.allocator_active, resident = active;
    script_memory_info sm;
    script_memory(&sm);
    size_t vm_total = sm.eval_vm_bytes + sm.function_vm_bytes;
    human(h6, sizeof h6, sm.eval_vm_bytes);
    human(h7, sizeof h7, vm_total);

    resp_buf_appendf(b, "# Memory\r\n");
    resp_buf_appendf(b, "used_memory:%zu\r\nused_memory_human:%s\r\n", m.used, h1);
    resp_buf_appendf(b, "used_memory_rss:%zu\r\nused_memory_rss_human:%s\r\n", m.rss, h2);
    resp_buf_appendf(b, "used_memory_peak:%zu\r\nused_memory_peak_human:%s\r\n", m.peak, h3);
    resp_buf_appendf(b, "used_memory_peak_perc:%.2f%%\r\n",
                     m.peak ? 100.0 * memory_ratio(m.used, m.peak) : 100.0);
    resp_buf_appendf(b, "used_memory_overhead:%zu\r\nused_memory_startup:%zu\r\n", m.overhead,
                     m.startup);
    resp_buf_appendf(b, "used_memory_dataset:%zu\r\nused_memory_dataset_perc:%.2f%%\r\n",
                     m.dataset,
                     100.0 * memory_ratio(m.dataset, m.used > m.startup ? m.used - m.startup : 0));
    resp_buf_appendf(b, "allocator_allocated:%zu\r\nallocator_active:%zu\r\n"
                        "allocator_resident:%zu\r\n", allocated, active, resident);
    resp_buf_appendf(b, "total_system_memory:%llu\r\ntotal_system_memory_human:%s\r\n", total, h5);
    resp_buf_appendf(b, "used_memory_lua:%zu\r\nused_memory_vm_eval:%zu\r\n"
                        "used_memory_lua_human:%s\r\n", sm.eval_vm_bytes, sm.eval_vm_bytes, h6);
    resp_buf_appendf(b, "used_memory_scripts_eval:%zu\r\nnumber_of_cached_scripts:%zu\r\n",
                     sm.cached_body_bytes, sm.cached_scripts);
    resp_buf_appendf(b, "number_of_functions:%zu\r\nnumber_of_libraries:%zu\r\n", sm.functions,
                     sm.libraries);
    resp_buf_appendf(b, "used_memory_vm_functions:%zu\r\nused_memory_vm_total:%zu\r\n"
                        "used_memory_vm_total_human:%s\r\n", sm.function_vm_bytes, vm_total, h7);
    human(h6, sizeof h6, m.scripts + m.functions);
    resp_buf_appendf(b, "used_memory_functions:%zu\r\nused_memory_scripts:%zu\r\n"
                        "used_memory_scripts_human:%s\r\n", m.functions, m.scripts + m.functions,
                     h6);
    resp_buf_appendf(b, "maxmemory:%lld\r\nmaxmemory_human:%s\r\n", cfg->maxmemory, h4);
    resp_buf_appendf(b, "maxmemory_policy:%s\r\n", config_policy_name(cfg->maxmemory_policy));
    resp_buf_appendf(b, "allocator_frag_ratio:%.2f\r\nallocator_frag_bytes:%zu\r\n",
                     memory_ratio(active, allocated), active - allocated);
    resp_buf_appendf(b, "allocator_rss_ratio:%.2f\r\nallocator_rss_bytes:%lld\r\n",
                     memory_ratio(resident, active), (long long)resident - (long long)active);
    resp_buf_appendf(b, "rss_overhead_ratio:%.2f\r\nrss_overhead_bytes:%lld\r\n",
                     memory_ratio(m.rss, resident), (long long)m.rss - (long long)resident);
    resp_buf_appendf(b, "mem_fragmentation_ratio:%.2f\r\n", memory_ratio(m.rss, m.used));
    resp_buf_appendf(b, "mem_fragmentation_bytes:%lld\r\n", (long long)m.rss - (long long)m.used);
    resp_buf_appendf(b, "mem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\n"
                        "mem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\n"
                        "mem_clients_normal:%zu\r\nmem_cluster_links:0\r\nmem_aof_buffer:0\r\n",
                     m.clients);
    resp_buf_appendf(b, "mem_allocator:libc\r\n");
    resp_buf_appendf(
        b, "active_defrag_running:0\r\nlazyfree_pending_objects:0\r\nlazyfreed_objects:0\r\n");
}

static void section_persistence(resp_buf *b) {
    persist_info(b);
}

static void section_stats(resp_buf *b) {
    resp_buf_appendf(b, "# Stats\r\n");
    resp_buf_appendf(b, "total_connections_received:%lld\r\n", stats.total_connections_received);
    resp_buf_appendf(b, "total_commands_processed:%lld\r\n", stats.total_commands_processed);
    resp_buf_appendf(b, "instantaneous_ops_per_sec:%lld\r\n", stats_instantaneous_ops());
    resp_buf_appendf(b, "total_net_input_bytes:%lld\r\ntotal_net_output_bytes:%lld\r\n",
                     stats.net_input_bytes, stats.net_output_bytes);
    resp_buf_appendf(b, "total_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\n");
    resp_buf_appendf(b, "instantaneous_input_kbps:0.00\r\ninstantaneous_output_kbps:0.00\r\n");
    resp_buf_appendf(b, "instantaneous_input_repl_kbps:0.00\r\n"
                        "instantaneous_output_repl_kbps:0.00\r\n");
    resp_buf_appendf(b, "rejected_connections:%lld\r\n", stats.rejected_connections);
    resp_buf_appendf(b, "ratelimit_rejected_commands:%lld\r\nauth_failures_throttled:%lld\r\n",
                     stats.ratelimit_rejected_commands, stats.auth_failures_throttled);
    resp_buf_appendf(b, "sync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n");
    resp_buf_appendf(b, "expired_keys:%lld\r\nexpired_stale_perc:0.00\r\n", stats.expired_keys);
    resp_buf_appendf(b, "expired_time_cap_reached_count:%lld\r\n",
                     stats.expired_time_cap_reached_count);
    resp_buf_appendf(b, "expire_cycle_cpu_milliseconds:%lld\r\n",
                     stats.expire_cycle_cpu_milliseconds);
    resp_buf_appendf(b, "evicted_keys:%lld\r\nevicted_clients:%lld\r\n", stats.evicted_keys,
                     stats.evicted_clients);
    resp_buf_appendf(b, "total_eviction_exceeded_time:%lld\r\ncurrent_eviction_exceeded_time:0\r\n",
                     stats.total_eviction_exceeded_time_ms);
    resp_buf_appendf(b, "keyspace_hits:%lld\r\nkeyspace_misses:%lld\r\n", stats.keyspace_hits,
                     stats.keyspace_misses);
    resp_buf_appendf(b,
                     "pubsub_channels:%zu\r\npubsub_patterns:%zu\r\npubsubshard_channels:%zu\r\n",
                     pubsub_channel_count(), pubsub_pattern_count(), pubsub_shard_channel_count());
    long long fork_usec, forks;
    persist_fork_stats(&fork_usec, &forks);
    resp_buf_appendf(b, "latest_fork_usec:%lld\r\ntotal_forks:%lld\r\n", fork_usec, forks);
    resp_buf_appendf(b, "migrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\n");
    resp_buf_appendf(b, "active_defrag_hits:0\r\nactive_defrag_misses:0\r\n"
                        "active_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\n"
                        "total_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\n");
    resp_buf_appendf(
        b, "tracking_total_keys:%zu\r\ntracking_total_items:%zu\r\ntracking_total_prefixes:%zu\r\n",
        tracking_key_count(), tracking_item_count(), tracking_prefix_count());
    resp_buf_appendf(b, "unexpected_error_replies:%lld\r\ntotal_error_replies:%lld\r\n",
                     stats.unexpected_error_replies, stats.total_error_replies);
    resp_buf_appendf(b, "total_reads_processed:%lld\r\ntotal_writes_processed:%lld\r\n",
                     stats.io_reads_processed, stats.io_writes_processed);
    resp_buf_appendf(b, "io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n");
    resp_buf_appendf(b, "dump_payload_sanitizations:0\r\n");
    resp_buf_appendf(b, "client_query_buffer_limit_disconnections:%lld\r\n",
                     stats.client_qbuf_limit_disconnections);
    resp_buf_appendf(b, "client_output_buffer_limit_disconnections:%lld\r\n",
                     stats.client_outbuf_limit_disconnections);
}

static void section_replication(resp_buf *b) {
    resp_buf_appendf(b, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
    resp_buf_appendf(b, "master_failover_state:no-failover\r\n");
    resp_buf_appendf(b, "master_replid:%s\r\n", server_run_id());
    resp_buf_appendf(b, "master_replid2:0000000000000000000000000000000000000000\r\n");
    resp_buf_appendf(b,
                     "master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n");
    resp_buf_appendf(b, "repl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\n");
    resp_buf_appendf(b, "repl_backlog_histlen:0\r\n");
}

static void section_cpu(resp_buf *b) {
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
#define SECS(tv) ((double)(tv).tv_sec + (double)(tv).tv_usec / 1000000.0)
    resp_buf_appendf(b, "# CPU\r\n");
    resp_buf_appendf(b, "used_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\n", SECS(self.ru_stime),
                     SECS(self.ru_utime));
    resp_buf_appendf(b, "used_cpu_sys_children:%.6f\r\nused_cpu_user_children:%.6f\r\n",
                     SECS(children.ru_stime), SECS(children.ru_utime));
    resp_buf_appendf(b, "used_cpu_sys_main_thread:%.6f\r\nused_cpu_user_main_thread:%.6f\r\n",
                     SECS(self.ru_stime), SECS(self.ru_utime));
#undef SECS
}

static void errorstat_one(const char *code, long long count, void *arg) {
    resp_buf_appendf(arg, "errorstat_%s:count=%lld\r\n", code, count);
}

static void section_errorstats(resp_buf *b) {
    resp_buf_appendf(b, "# Errorstats\r\n");
    stats_foreach_error(errorstat_one, b);
}

static void section_keyspace(resp_buf *b) {
    resp_buf_appendf(b, "# Keyspace\r\n");
    for (int i = 0; i < db_count(); i++) {
        db *d = db_get(i);
        if (!db_size(d)) continue;
        resp_buf_appendf(b, "db%d:keys=%zu,expires=%zu,avg_ttl=%lld\r\n", i, db_size(d),
                         db_expires_count(d), db_avg_ttl(d));
    }
}

static void cmdstat_one(const command *cmd, resp_buf *b) {
    if (cmd->calls || cmd->rejected_calls || cmd->failed_calls) {
        resp_buf_appendf(b,
                         "cmdstat_%s:calls=%lld,usec=%lld,usec_per_call=%.2f,rejected_calls=%lld,"
                         "failed_calls=%lld\r\n",
                         cmd->fullname, cmd->calls, cmd->usec,
                         cmd->calls ? (double)cmd->usec / (double)cmd->calls : 0.0,
                         cmd->rejected_calls, cmd->failed_calls);
    }
    if (cmd->subcommands)
        for (const command *s = cmd->subcommands; s->name; s++)
            cmdstat_one(s, b);
}

static void cmdstat_visit(command *cmd, void *arg) {
    cmdstat_one(cmd, arg);
}

static void section_commandstats(resp_buf *b) {
    resp_buf_appendf(b, "# Commandstats\r\n");
    command_foreach(cmdstat_visit, b);
}

typedef struct info_section {
    const char *name;
    void (*fn)(resp_buf *b);
    int in_default; /* part of INFO / INFO default */
} info_section;

static const info_section sections[] = {
    {"server", section_server, 1},
    {"clients", section_clients, 1},
    {"memory", section_memory, 1},
    {"persistence", section_persistence, 1},
    {"stats", section_stats, 1},
    {"replication", section_replication, 1},
    {"cpu", section_cpu, 1},
    {"modules", NULL, 1},
    {"errorstats", section_errorstats, 1},
    {"cluster", NULL, 1},
    {"keyspace", section_keyspace, 1},
    {"commandstats", section_commandstats, 0},
    {"latencystats", latency_info_section, 0},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

static void emit(resp_buf *b, const info_section *s) {
    if (b->len) resp_buf_append(b, "\r\n", 2);
    if (s->fn)
        s->fn(b);
    else if (strcmp(s->name, "modules") == 0)
        resp_buf_appendf(b, "# Modules\r\n");
    else if (strcmp(s->name, "cluster") == 0)
        resp_buf_appendf(b, "# Cluster\r\ncluster_enabled:0\r\n");
}

static void info_command(client *c) {
    int want[NSECTIONS] = {0};
    if (c->argc == 1) {
        for (size_t i = 0; i < NSECTIONS; i++)
            want[i] = sections[i].in_default;
    }
    for (int a = 1; a < c->argc; a++) {
        const resp_arg *arg = &c->argv[a];
        if (arg_is(arg, "default")) {
            for (size_t i = 0; i < NSECTIONS; i++)
                want[i] |= sections[i].in_default;
        } else if (arg_is(arg, "all") || arg_is(arg, "everything")) {
            for (size_t i = 0; i < NSECTIONS; i++)
                want[i] = 1;
        } else {
            for (size_t i = 0; i < NSECTIONS; i++)
                if (arg_is(arg, sections[i].name)) want[i] = 1;
        }
    }
    resp_buf b = {0};
    for (size_t i = 0; i < NSECTIONS; i++)
        if (want[i]) emit(&b, &sections[i]);
    reply_verbatim(c, b.data ? b.data : "", b.len, "txt");
    resp_buf_free(&b);
}

static command info_commands[] = {
    {"info", info_command, -1, CMD_LOADING | CMD_STALE, ACL_DANGEROUS, 0, 0, 0,
     .summary = "Report the server's state and statistics, section by section", .since = "1.0.0",
     .group = "server", .complexity = "O(1)"},
    {0},
};

void info_register(void) {
    command_register(info_commands);
}
