/*
 * cmd_server.c - server commands: TIME SHUTDOWN MONITOR MEMORY DEBUG.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ds/mem.h"
#include "ds/numconv.h"
#include "server/config.h"
#include "server/handler.h"
#include "server/memreport.h"
#include "server/net.h"
#include "server/server.h"
#include "server/stats.h"

static void time_command(client *c) {
    long long us = clock_now_us();
    reply_array(c, 2);
    reply_bulk_ll(c, us / 1000000);
    reply_bulk_ll(c, us % 1000000);
}

static void shutdown_command(client *c) {
    int flags = SHUTDOWN_DEFAULT;
    for (int i = 1; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "nosave"))
            flags |= SHUTDOWN_NOSAVE;
        else if (arg_is(&c->argv[i], "save"))
            flags |= SHUTDOWN_SAVE;
        else if (arg_is(&c->argv[i], "now"))
            flags |= SHUTDOWN_NOW;
        else if (arg_is(&c->argv[i], "force"))
            flags |= SHUTDOWN_FORCE;
        else if (arg_is(&c->argv[i], "abort") && c->argc == 2) {
            reply_error(c, "ERR No shutdown in progress.");
            return;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if ((flags & SHUTDOWN_NOSAVE) && (flags & SHUTDOWN_SAVE)) {
        reply_error_syntax(c);
        return;
    }
    /* The final save runs now so that its failure can be answered; the
     * shutdown is then refused, as in Redis. */
    if (server_prepare_shutdown(flags) < 0) {
        reply_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    /* As in Redis, a successful SHUTDOWN has no reply: the connection
     * closes when the process exits. */
    server_request_shutdown(flags);
}

static void monitor_command(client *c) {
    if (c->flags & CLIENT_MONITOR) return;
    if (client_add_monitor(c) < 0) {
        reply_error(c, "ERR too many monitors");
        return;
    }
    reply_ok(c);
}

/* DEBUG is refused unless enable-debug-command allows this connection. */
static int debug_allowed(client *c) {
    if (cfg->enable_debug_command == 1) return 1;
    if (cfg->enable_debug_command == 2 && ((c->flags & CLIENT_UNIX) || net_peer_is_loopback(c->fd)))
        return 1;
    reply_error(c, "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
                   "\"local\", you can run it from a local connection, otherwise you need to set "
                   "this option in the configuration file, and then restart the server.");
    return 0;
}

static int active_expire_enabled = 1;

int debug_active_expire_enabled(void) {
    return active_expire_enabled;
}

static void debug_command(client *c) {
    if (!debug_allowed(c)) return;
    const resp_arg *sub = &c->argv[1];
    if (arg_is(sub, "sleep") && c->argc == 3) {
        long double secs;
        if (arg_ld(c, &c->argv[2], &secs) < 0) return;
        if (secs > 0) usleep((useconds_t)(secs * 1000000));
        reply_ok(c);
    } else if (arg_is(sub, "object") && c->argc == 3) {
        kv *e = db_lookup(c->db, c->argv[2].ptr, c->argv[2].len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
        if (!e) {
            reply_error(c, "ERR no such key");
            return;
        }
        char buf[256];
        unsigned idle = (db_lru_clock() - e->lru) & ((1u << 24) - 1);
        snprintf(buf, sizeof buf,
                 "Value at:%p refcount:1 encoding:%s serializedlength:%zu lru:%u "
                 "lru_seconds_idle:%u",
                 (void *)e, kv_encoding_name(e->enc), e->type == TYPE_STRING ? kv_strlen(e) : 0,
                 (unsigned)e->lru, idle);
        reply_status(c, buf);
    } else if (arg_is(sub, "set-active-expire") && c->argc == 3) {
        long long v;
        if (arg_ll(c, &c->argv[2], &v) < 0) return;
        active_expire_enabled = v != 0;
        reply_ok(c);
    } else if (arg_is(sub, "reload")) {
        reply_error(c, "ERR DEBUG RELOAD is not supported: use SAVE and a restart");
    } else if (arg_is(sub, "help")) {
        static const char *const help[] = {
            "OBJECT <key>",
            "    Show low level info about the key and associated value.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            NULL,
        };
        reply_help(c, help);
    } else {
        reply_errorf(c, "ERR unknown subcommand '%.*s'. Try DEBUG HELP.",
                     (int)(sub->len > 128 ? 128 : sub->len), sub->ptr);
    }
}

/* MEMORY USAGE key [SAMPLES n]: the bytes the entry and its value hold. The
 * kv's own allocation already includes the key; a TTL adds its expires-table
 * node. SAMPLES is accepted for compatibility: values report their size
 * from their own accounting without sampling. */
static void memory_usage_command(client *c) {
    for (int i = 3; i < c->argc; i += 2) {
        long long n;
        if (arg_is(&c->argv[i], "samples") && i + 1 < c->argc) {
            if (arg_ll(c, &c->argv[i + 1], &n) < 0) return;
            if (n < 0) {
                reply_error_syntax(c);
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    kv *e = db_lookup(c->db, c->argv[2].ptr, c->argv[2].len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
    if (!e) {
        reply_null(c);
        return;
    }
    size_t bytes = kv_mem_usage(e);
    if (e->expire) bytes += 32; /* the expires-table node */
    reply_int(c, (long long)bytes);
}

/* ---- MEMORY STATS / DOCTOR / MALLOC-STATS / PURGE ------------------------------ */

static void reply_field_ll(client *c, const char *name, long long v) {
    reply_bulk_cstr(c, name);
    reply_int(c, v);
}

static void reply_field_double(client *c, const char *name, double v) {
    reply_bulk_cstr(c, name);
    reply_double(c, v);
}

static long memory_stats_db_count(void) {
    long n = 0;
    for (int i = 0; i < db_count(); i++)
        if (db_size(db_get(i))) n++;
    return n;
}

/* A database's tables split as Redis names them: the slot index (the
 * per-slot table pointers and key counts), the expires table (estimated:
 * one node per TTL, as MEMORY USAGE counts it) and the key tables (the
 * rest of db_overhead_bytes). */
static void reply_memory_stats_dbs(client *c) {
    for (int i = 0; i < db_count(); i++) {
        db *d = db_get(i);
        if (!db_size(d)) continue;
        size_t total = db_overhead_bytes(d);
        size_t slots = DB_SLOTS * (sizeof(void *) + sizeof(size_t));
        if (slots > total) slots = total;
        size_t expires = db_expires_count(d) * 32;
        if (expires > total - slots) expires = total - slots;
        char name[16];
        snprintf(name, sizeof name, "db.%d", i);
        reply_bulk_cstr(c, name);
        reply_map(c, 3);
        reply_field_ll(c, "overhead.hashtable.main", (long long)(total - slots - expires));
        reply_field_ll(c, "overhead.hashtable.expires", (long long)expires);
        reply_field_ll(c, "overhead.hashtable.slot-to-keys", (long long)slots);
    }
}

/* Redis 7.0's field names and order; fields for subsystems PairDB does not
 * have (replication backlog, cluster links, AOF buffer) are 0. */
static void memory_stats_command(client *c) {
    memory_report m;
    memory_report_fill(&m);
    size_t net = m.used > m.startup ? m.used - m.startup : 0;
    size_t dataset = m.dataset;
    reply_map(c, 27 + memory_stats_db_count());
    reply_field_ll(c, "peak.allocated", (long long)m.peak);
    reply_field_ll(c, "total.allocated", (long long)m.used);
    reply_field_ll(c, "startup.allocated", (long long)m.startup);
    reply_field_ll(c, "replication.backlog", 0);
    reply_field_ll(c, "clients.slaves", 0);
    reply_field_ll(c, "clients.normal", (long long)m.clients);
    reply_field_ll(c, "cluster.links", 0);
    reply_field_ll(c, "aof.buffer", 0);
    reply_field_ll(c, "lua.caches", (long long)m.scripts);
    reply_field_ll(c, "functions.caches", (long long)m.functions);
    reply_memory_stats_dbs(c);
    reply_field_ll(c, "overhead.total", (long long)m.overhead);
    reply_field_ll(c, "keys.count", (long long)m.keys);
    reply_field_ll(c, "keys.bytes-per-key", m.keys ? (long long)(net / m.keys) : 0);
    reply_field_ll(c, "dataset.bytes", (long long)dataset);
    reply_field_double(c, "dataset.percentage", 100.0 * memory_ratio(dataset, net));
    reply_field_double(c, "peak.percentage", 100.0 * memory_ratio(m.used, m.peak));
    /* As INFO memory: resident is what the arenas hold (glibc tells no more). */
    reply_field_ll(c, "allocator.allocated", (long long)m.allocator_allocated);
    reply_field_ll(c, "allocator.active", (long long)m.allocator_active);
    reply_field_ll(c, "allocator.resident", (long long)m.allocator_active);
    reply_field_double(c, "allocator-fragmentation.ratio",
                       memory_ratio(m.allocator_active, m.allocator_allocated));
    reply_field_ll(c, "allocator-fragmentation.bytes",
                   (long long)m.allocator_active - (long long)m.allocator_allocated);
    reply_field_double(c, "allocator-rss.ratio", 1.0);
    reply_field_ll(c, "allocator-rss.bytes", 0);
    reply_field_double(c, "rss-overhead.ratio", memory_ratio(m.rss, m.allocator_active));
    reply_field_ll(c, "rss-overhead.bytes", (long long)m.rss - (long long)m.allocator_active);
    reply_field_double(c, "fragmentation", memory_ratio(m.rss, m.used));
    reply_field_ll(c, "fragmentation.bytes", (long long)m.rss - (long long)m.used);
}

/* Below 5 MB of data there is nothing meaningful to judge (start-up
 * allocations and page granularity dominate), as Redis also declines. */
#define DOCTOR_MIN_BYTES (5 * 1024 * 1024)

static void memory_doctor_command(client *c) {
    memory_report m;
    memory_report_fill(&m);
    resp_buf b = {0};
    if (m.used < DOCTOR_MIN_BYTES) {
        resp_buf_appendf(&b, "This server holds less than 5 MB: too little for a memory "
                             "diagnosis to mean anything.\n");
    } else {
        int issues = 0;
        double frag = memory_ratio(m.rss, m.used);
        if (m.peak > m.used + m.used / 2) {
            issues++;
            resp_buf_appendf(&b, "- Peak memory (%zu bytes) is over 150%% of the memory used now "
                                 "(%zu bytes): the allocator may keep the freed pages; MEMORY "
                                 "PURGE returns what it can to the system.\n",
                             m.peak, m.used);
        }
        if (frag > 1.4) {
            issues++;
            resp_buf_appendf(&b, "- The resident set is %.2f times the memory in use: "
                                 "fragmentation. MEMORY PURGE may help; a restart always does.\n",
                             frag);
        }
        if (m.clients > m.used / 4) {
            issues++;
            resp_buf_appendf(&b, "- Client buffers hold %zu bytes, more than a quarter of the "
                                 "memory in use: look for slow readers and large pipelines "
                                 "(CLIENT LIST, client-output-buffer-limit).\n",
                             m.clients);
        }
        if (cfg->maxmemory && m.used > (size_t)cfg->maxmemory / 10 * 9) {
            issues++;
            resp_buf_appendf(&b, "- Used memory is above 90%% of maxmemory (%lld bytes): writes "
                                 "will soon evict keys or be refused, per maxmemory-policy.\n",
                             cfg->maxmemory);
        }
        if (!issues) resp_buf_appendf(&b, "No memory problem found.\n");
    }
    reply_verbatim(c, b.data, b.len, "txt");
    resp_buf_free(&b);
}

/* glibc's malloc_info() report (XML), the allocator PairDB runs on. */
static void memory_malloc_stats_command(client *c) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        malloc_info(0, f);
        fclose(f);
    }
    if (text && len)
        reply_verbatim(c, text, len, "txt");
    else
        reply_verbatim(c, "Stats not supported for the current allocator", 45, "txt");
    free(text); /* allocated by the C library, not through mem.c */
}

static void memory_purge_command(client *c) {
    malloc_trim(0);
    reply_ok(c);
}

static void memory_help_command(client *c) {
    static const char *const help[] = {
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        NULL,
    };
    reply_help(c, help);
}

static command memory_subcommands[] = {
    {"usage", memory_usage_command, -3, CMD_READONLY, 0, 2, 2, 1,
     .summary = "Estimate how many bytes a key and its value take", .since = "4.0.0",
     .group = "server", .complexity = "O(N) in the samples taken."},
    {"stats", memory_stats_command, 2, 0, 0, 0, 0, 0,
     .summary = "Break down the memory the server uses", .since = "4.0.0", .group = "server",
     .complexity = "O(1)"},
    {"doctor", memory_doctor_command, 2, 0, 0, 0, 0, 0,
     .summary = "Explain memory use problems in plain text", .since = "4.0.0", .group = "server",
     .complexity = "O(1)"},
    {"malloc-stats", memory_malloc_stats_command, 2, 0, 0, 0, 0, 0,
     .summary = "Print the allocator's own statistics", .since = "4.0.0", .group = "server",
     .complexity = "Grows with the memory allocated; may take a while"},
    {"purge", memory_purge_command, 2, 0, 0, 0, 0, 0,
     .summary = "Ask the allocator to hand unused pages back to the system", .since = "4.0.0",
     .group = "server", .complexity = "Grows with the memory allocated; may take a while"},
    {"help", memory_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, 0,
     .summary = "Describe the MEMORY subcommands", .since = "4.0.0", .group = "server",
     .complexity = "O(1)"},
    {0},
};

static void memory_container(client *c) {
    reply_error_arity(c);
}

#define ADMIN_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command server_commands[] = {
    {"time", time_command, 1, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, 0,
     .summary = "Give the server clock as seconds and microseconds", .since = "2.6.0",
     .group = "server", .complexity = "O(1)"},
    {"shutdown", shutdown_command, -1, ADMIN_FLAGS | CMD_NO_MULTI | CMD_ALLOW_BUSY, 0, 0, 0, 0,
     .summary = "Stop the server, saving first when persistence is on", .since = "1.0.0",
     .group = "server", .complexity = "O(N) in the keys of all databases when it saves"},
    {"monitor", monitor_command, 1, ADMIN_FLAGS, 0, 0, 0, 0,
     .summary = "Stream every command the server receives to this connection", .since = "1.0.0",
     .group = "server", .complexity = NULL},
    {"memory", memory_container, -2, 0, 0, 0, 0, 0,
     .summary = "Container for memory reporting subcommands", .since = "4.0.0", .group = "server",
     .complexity = "Set by the subcommand.", .subcommands = memory_subcommands},
    {"debug", debug_command, -2, ADMIN_FLAGS, 0, 0, 0, 0,
     .summary = "Container for debugging and testing subcommands", .since = "1.0.0",
     .group = "server", .complexity = "Set by the subcommand."},
    {0},
};

void server_cmds_register(void) {
    command_register(server_commands);
    memory_report_mark_startup();
}
