/*
 * cmd_server.c - server commands: TIME SHUTDOWN MONITOR DEBUG.
 */
#include <stdio.h>
#include <unistd.h>

#include "ds/mem.h"
#include "ds/numconv.h"
#include "persist/persist.h"
#include "server/config.h"
#include "server/handler.h"
#include "server/net.h"
#include "server/server.h"

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
    if (persist_on_shutdown(flags) < 0) {
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

static void memory_help_command(client *c) {
    static const char *const help[] = {
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        NULL,
    };
    reply_help(c, help);
}

static command memory_subcommands[] = {
    {"usage", memory_usage_command, -3, CMD_READONLY, 0, 2, 2, 1,
     .summary = "Estimate the memory a key and its value use", .since = "4.0.0",
     .group = "server", .complexity = "O(N) where N is the number of samples."},
    {"help", memory_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, 0,
     .summary = "Show helpful text about the different subcommands", .since = "4.0.0",
     .group = "server", .complexity = "O(1)"},
    {0},
};

static void memory_container(client *c) {
    reply_error_arity(c);
}

#define ADMIN_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command server_commands[] = {
    {"time", time_command, 1, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, 0,
     .summary = "Return the current server time", .since = "2.6.0", .group = "server",
     .complexity = "O(1)"},
    {"shutdown", shutdown_command, -1, ADMIN_FLAGS | CMD_NO_MULTI | CMD_ALLOW_BUSY, 0, 0, 0, 0,
     .summary = "Synchronously save the dataset to disk and then shut down the server",
     .since = "1.0.0", .group = "server",
     .complexity = "O(N) when saving, where N is the total number of keys in all databases"},
    {"monitor", monitor_command, 1, ADMIN_FLAGS, 0, 0, 0, 0,
     .summary = "Listen for all requests received by the server in real time", .since = "1.0.0",
     .group = "server", .complexity = NULL},
    {"memory", memory_container, -2, 0, 0, 0, 0, 0,
     .summary = "A container for memory diagnostics commands", .since = "4.0.0",
     .group = "server", .complexity = "Depends on subcommand.",
     .subcommands = memory_subcommands},
    {"debug", debug_command, -2, ADMIN_FLAGS, 0, 0, 0, 0,
     .summary = "A container for debugging commands", .since = "1.0.0", .group = "server",
     .complexity = "Depends on subcommand."},
    {0},
};

void server_cmds_register(void) {
    command_register(server_commands);
}
