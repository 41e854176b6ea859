/*
 * cmd_conn.c - connection commands: PING ECHO QUIT RESET AUTH HELLO SELECT
 * and the CLIENT family.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "ds/mem.h"
#include "ds/numconv.h"
#include "server/acl.h"
#include "server/blocking.h"
#include "server/config.h"
#include "server/handler.h"
#include "server/multi.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "server/tracking.h"


static void ping_command(client *c) {
    if (c->argc > 2) {
        reply_error_arity(c);
        return;
    }
    if (c->flags & CLIENT_PUBSUB && c->resp == 2) {
        reply_array(c, 2);
        reply_bulk(c, "pong", 4);
        if (c->argc == 1)
            reply_bulk(c, "", 0);
        else
            reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
        return;
    }
    if (c->argc == 1)
        reply_raw(c, "+PONG\r\n", 7);
    else
        reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
}

static void echo_command(client *c) {
    reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
}

static void quit_command(client *c) {
    reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static void reset_command(client *c) {
    multi_client_reset(c);
    c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT | CLIENT_NO_EVICT | CLIENT_NO_TOUCH);
    if (c->flags & CLIENT_MONITOR) {
        /* A monitor that sends RESET stops monitoring. */
        client_remove_monitor(c);
    }
    pubsub_unsubscribe_all(c);
    tracking_client_gone(c);
    client_select(c, 0);
    c->resp = 2;
    mem_free(c->name);
    c->name = NULL;
    c->user = NULL;
    c->authenticated = acl_default_autoauth();
    reply_status(c, "RESET");
}

static void auth_command(client *c) {
    if (c->argc > 3) {
        reply_error_syntax(c);
        return;
    }
    if (c->argc == 2 && !acl_default_has_password()) {
        reply_error(c, "ERR AUTH <password> called without any password configured for the default "
                       "user. Are you sure your configuration is correct?");
        return;
    }
    const resp_arg *user = c->argc == 3 ? &c->argv[1] : NULL;
    const resp_arg *pass = &c->argv[c->argc - 1];
    if (!acl_authenticate(c, user, pass)) {
        reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    reply_ok(c);
}

/* Client names: printable ASCII without spaces, as Redis requires. */
static int valid_client_name(const resp_arg *a) {
    for (size_t i = 0; i < a->len; i++)
        if (a->ptr[i] < '!' || a->ptr[i] > '~') return 0;
    return 1;
}

static void set_client_name(client *c, const resp_arg *a) {
    mem_free(c->name);
    c->name = NULL;
    if (a->len) {
        c->name = mem_alloc(a->len + 1);
        memcpy(c->name, a->ptr, a->len);
        c->name[a->len] = '\0';
    }
}

static void hello_command(client *c) {
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (!numconv_str2ll(c->argv[1].ptr, c->argv[1].len, &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        next = 2;
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const resp_arg *user = NULL, *pass = NULL, *name = NULL;
    for (int j = next; j < c->argc; j++) {
        int more = c->argc - j - 1;
        if (arg_is(&c->argv[j], "auth") && more >= 2) {
            user = &c->argv[j + 1];
            pass = &c->argv[j + 2];
            j += 2;
        } else if (arg_is(&c->argv[j], "setname") && more >= 1) {
            name = &c->argv[j + 1];
            if (!valid_client_name(name)) {
                reply_error(c, "ERR Client names cannot contain spaces, newlines or special "
                               "characters.");
                return;
            }
            j++;
        } else {
            reply_errorf(c, "ERR Syntax error in HELLO option '%.*s'",
                         (int)(c->argv[j].len > 128 ? 128 : c->argv[j].len), c->argv[j].ptr);
            return;
        }
    }
    if (user) {
        if (!acl_authenticate(c, user, pass)) {
            reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
            return;
        }
    }
    if (!c->authenticated) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, "
                       "otherwise the HELLO AUTH <user> <pass> option can be used to "
                       "authenticate the client and select the RESP protocol version at the same "
                       "time");
        return;
    }
    if (name) set_client_name(c, name);
    if (ver) c->resp = (int)ver;
    reply_map(c, 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, PAIRDB_REDIS_COMPAT_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_empty_array(c);
}

static void select_command(client *c) {
    long long id;
    if (arg_ll(c, &c->argv[1], &id) < 0) return;
    if (id < 0 || id >= db_count() || client_select(c, (int)id) < 0) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    reply_ok(c);
}

/* --- CLIENT --- */

static void client_id_command(client *c) {
    reply_int(c, (long long)c->id);
}

static void client_setname_command(client *c) {
    if (!valid_client_name(&c->argv[2])) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    set_client_name(c, &c->argv[2]);
    reply_ok(c);
}

static void client_getname_command(client *c) {
    reply_bulk_cstr(c, c->name);
}

struct list_ctx {
    char *out;
    size_t len, cap;
    int type; /* -1 any, else OBUF_* class */
    uint64_t *ids;
    int nids;
};

static void append_line(struct list_ctx *ctx, client *c) {
    char *line = client_info_line(c);
    size_t n = strlen(line);
    if (ctx->len + n + 2 > ctx->cap) {
        ctx->cap = (ctx->len + n + 2) * 2;
        ctx->out = mem_realloc(ctx->out, ctx->cap);
    }
    memcpy(ctx->out + ctx->len, line, n);
    ctx->len += n;
    ctx->out[ctx->len++] = '\n';
    mem_free(line);
}

static void list_one(client *c, void *arg) {
    struct list_ctx *ctx = arg;
    if (ctx->type >= 0 && client_obuf_class(c) != ctx->type) return;
    if (ctx->nids) {
        int hit = 0;
        for (int i = 0; i < ctx->nids; i++) hit |= ctx->ids[i] == c->id;
        if (!hit) return;
    }
    append_line(ctx, c);
}

static int parse_client_type(const resp_arg *a) {
    if (arg_is(a, "normal")) return OBUF_NORMAL;
    if (arg_is(a, "replica") || arg_is(a, "slave")) return OBUF_REPLICA;
    if (arg_is(a, "pubsub")) return OBUF_PUBSUB;
    if (arg_is(a, "master")) return 3; /* never matches: no replication yet */
    return -1;
}

static void client_list_command(client *c) {
    struct list_ctx ctx = {.type = -1};
    if (c->argc == 4 && arg_is(&c->argv[2], "type")) {
        ctx.type = parse_client_type(&c->argv[3]);
        if (ctx.type < 0) {
            reply_errorf(c, "ERR Unknown client type '%.*s'", (int)(c->argv[3].len > 64 ? 64 : c->argv[3].len),
                         c->argv[3].ptr);
            return;
        }
    } else if (c->argc > 3 && arg_is(&c->argv[2], "id")) {
        ctx.nids = c->argc - 3;
        ctx.ids = mem_alloc(sizeof(uint64_t) * (size_t)ctx.nids);
        for (int i = 0; i < ctx.nids; i++) {
            long long id;
            if (!numconv_str2ll(c->argv[3 + i].ptr, c->argv[3 + i].len, &id) || id <= 0) {
                mem_free(ctx.ids);
                reply_error(c, "ERR Invalid client ID");
                return;
            }
            ctx.ids[i] = (uint64_t)id;
        }
    } else if (c->argc != 2) {
        reply_error_syntax(c);
        return;
    }
    client_foreach(list_one, &ctx);
    reply_verbatim(c, ctx.out ? ctx.out : "", ctx.len, "txt");
    mem_free(ctx.out);
    mem_free(ctx.ids);
}

static void client_info_command(client *c) {
    char *line = client_info_line(c);
    size_t n = strlen(line);
    line = mem_realloc(line, n + 2);
    line[n] = '\n';
    reply_verbatim(c, line, n + 1, "txt");
    mem_free(line);
}

struct kill_filter {
    client *self;
    uint64_t id;
    int type;
    const resp_arg *addr, *laddr, *user;
    int skipme;
    long long maxage; /* -1: no MAXAGE filter */
    long long killed;
};

static int arg_eq_str(const resp_arg *a, const char *s) {
    return a->len == strlen(s) && memcmp(a->ptr, s, a->len) == 0;
}

static void kill_one(client *c, void *arg) {
    struct kill_filter *f = arg;
    if (f->id && c->id != f->id) return;
    if (f->type >= 0 && client_obuf_class(c) != f->type) return;
    if (f->addr && !arg_eq_str(f->addr, c->addr)) return;
    if (f->laddr && !arg_eq_str(f->laddr, c->laddr)) return;
    if (f->user && !arg_eq_str(f->user, acl_client_username(c))) return;
    if (f->skipme && c == f->self) return;
    if (f->maxage >= 0 && (clock_now_ms() - c->ctime_ms) / 1000 < f->maxage) return;
    if (c->flags & CLIENT_CLOSE_ASAP) return;
    if (c == f->self)
        c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    else
        client_close_async(c);
    f->killed++;
}

static void client_kill_command(client *c) {
    struct kill_filter f = {.self = c, .type = -1, .skipme = 1, .maxage = -1};
    if (c->argc == 3) {
        /* Old form: CLIENT KILL addr:port */
        f.addr = &c->argv[2];
        f.skipme = 0;
        client_foreach(kill_one, &f);
        if (f.killed)
            reply_ok(c);
        else
            reply_error(c, "ERR No such client");
        return;
    }
    if (c->argc % 2 != 0) {
        reply_error_syntax(c);
        return;
    }
    for (int i = 2; i < c->argc; i += 2) {
        const resp_arg *opt = &c->argv[i], *val = &c->argv[i + 1];
        if (arg_is(opt, "id")) {
            long long id;
            if (!numconv_str2ll(val->ptr, val->len, &id) || id <= 0) {
                reply_error(c, "ERR client-id should be greater than 0");
                return;
            }
            f.id = (uint64_t)id;
        } else if (arg_is(opt, "type")) {
            f.type = parse_client_type(val);
            if (f.type < 0) {
                reply_errorf(c, "ERR Unknown client type '%.*s'", (int)(val->len > 64 ? 64 : val->len), val->ptr);
                return;
            }
        } else if (arg_is(opt, "addr")) {
            f.addr = val;
        } else if (arg_is(opt, "laddr")) {
            f.laddr = val;
        } else if (arg_is(opt, "user")) {
            if (!acl_user_find(val->ptr, val->len)) {
                reply_errorf(c, "ERR No such user '%.*s'", (int)(val->len > 64 ? 64 : val->len), val->ptr);
                return;
            }
            f.user = val;
        } else if (arg_is(opt, "skipme")) {
            if (arg_is(val, "yes"))
                f.skipme = 1;
            else if (arg_is(val, "no"))
                f.skipme = 0;
            else {
                reply_error_syntax(c);
                return;
            }
        } else if (arg_is(opt, "maxage")) {
            if (!numconv_str2ll(val->ptr, val->len, &f.maxage) || f.maxage < 0) {
                reply_error_syntax(c);
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    client_foreach(kill_one, &f);
    reply_int(c, f.killed);
}

static void client_reply_command(client *c) {
    if (arg_is(&c->argv[2], "on")) {
        c->flags &= ~(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT);
        reply_ok(c);
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags |= CLIENT_REPLY_OFF;
    } else if (arg_is(&c->argv[2], "skip")) {
        if (!(c->flags & CLIENT_REPLY_OFF)) c->flags |= CLIENT_REPLY_SKIP_NEXT;
    } else {
        reply_error_syntax(c);
    }
}

static void client_flag_onoff(client *c, uint32_t flag) {
    if (arg_is(&c->argv[2], "on")) {
        c->flags |= flag;
    } else if (arg_is(&c->argv[2], "off")) {
        c->flags &= ~flag;
    } else {
        reply_error_syntax(c);
        return;
    }
    reply_ok(c);
}

static void client_no_evict_command(client *c) {
    client_flag_onoff(c, CLIENT_NO_EVICT);
}

static void client_no_touch_command(client *c) {
    client_flag_onoff(c, CLIENT_NO_TOUCH);
}

static void client_pause_command(client *c) {
    long long ms;
    if (!numconv_str2ll(c->argv[2].ptr, c->argv[2].len, &ms)) {
        reply_error(c, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return;
    }
    int mode = PAUSE_ALL;
    if (c->argc == 4) {
        if (arg_is(&c->argv[3], "write"))
            mode = PAUSE_WRITE;
        else if (!arg_is(&c->argv[3], "all")) {
            reply_error(c, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    } else if (c->argc > 4) {
        reply_error_syntax(c);
        return;
    }
    long long now = clock_now_ms();
    client_pause(mode, ms > LLONG_MAX - now ? LLONG_MAX : now + ms);
    reply_ok(c);
}

static void client_unpause_command(client *c) {
    client_unpause();
    reply_ok(c);
}

static void client_unblock_command(client *c) {
    long long id;
    if (arg_ll(c, &c->argv[2], &id) < 0) return;
    if (c->argc == 4 && !arg_is(&c->argv[3], "timeout") && !arg_is(&c->argv[3], "error")) {
        reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        return;
    }
    client *target = client_by_id((uint64_t)id);
    int with_error = c->argc == 4 && arg_is(&c->argv[3], "error");
    reply_int(c, target && target != c && blocking_unblock_by_request(target, with_error));
}

static void client_help_command(client *c) {
    static const char *const help[] = {
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "    * MAXAGE <maxage>",
        "      Kill connections older than the specified age.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)",
        "    Will not touch LRU/LFU stats when this mode is on.",
        NULL,
    };
    reply_help(c, help);
}

#define CONN_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
#define CONN_ADMIN (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command client_subs[] = {
    {"id", client_id_command, 2, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary = "Give this connection's numeric ID", .since = "5.0.0", .group = "connection",
     .complexity = "O(1)"},
    {"setname", client_setname_command, 3, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary = "Give this connection a name", .since = "2.6.9", .group = "connection",
     .complexity = "O(1)"},
    {"getname", client_getname_command, 2, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary = "Read the name given to this connection", .since = "2.6.9", .group = "connection",
     .complexity = "O(1)"},
    {"list", client_list_command, -2, CONN_ADMIN, ACL_CONNECTION, 0, 0, 0,
     .summary = "Describe every open connection", .since = "2.4.0", .group = "connection",
     .complexity = "O(N) in the open connections"},
    {"info", client_info_command, 2, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary = "Describe this connection in the CLIENT LIST format", .since = "6.2.0",
     .group = "connection", .complexity = "O(1)"},
    {"kill", client_kill_command, -3, CONN_ADMIN, ACL_CONNECTION, 0, 0, 0,
     .summary = "Close one or more client connections", .since = "2.4.0", .group = "connection",
     .complexity = "O(N) in the open connections"},
    {"reply", client_reply_command, 3, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary = "Turn replies to this connection on, off, or off for one command", .since = "3.2.0",
     .group = "connection", .complexity = "O(1)"},
    {"no-evict", client_no_evict_command, 3, CONN_ADMIN, ACL_CONNECTION, 0, 0, 0,
     .summary = "Exempt this connection from client eviction, or end the exemption",
     .since = "7.0.0", .group = "connection", .complexity = "O(1)"},
    {"no-touch", client_no_touch_command, 3, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary =
         "Choose whether this connection's commands update the access time and frequency of keys",
     .since = "7.2.0", .group = "connection", .complexity = "O(1)"},
    {"pause", client_pause_command, -3, CONN_ADMIN, ACL_CONNECTION, 0, 0, 0,
     .summary = "Hold back commands from clients for a while", .since = "3.0.0",
     .group = "connection", .complexity = "O(1)"},
    {"unpause", client_unpause_command, 2, CONN_ADMIN, ACL_CONNECTION, 0, 0, 0,
     .summary = "End a client pause early", .since = "6.2.0", .group = "connection",
     .complexity = "O(N) in the paused clients"},
    {"unblock", client_unblock_command, -3, CONN_ADMIN, ACL_CONNECTION, 0, 0, 0,
     .summary = "Wake a client waiting in a blocking command", .since = "5.0.0",
     .group = "connection", .complexity = "O(log N) in the open connections"},
    {"tracking", tracking_client_tracking_command, -3, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary = "Turn invalidation messages for client-side caches on or off", .since = "6.0.0",
     .group = "connection", .complexity = "O(1), though some options cost more."},
    {"caching", tracking_client_caching_command, 3, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary = "Say whether the keys read by the next command are tracked", .since = "6.0.0",
     .group = "connection", .complexity = "O(1)"},
    {"trackinginfo", tracking_client_trackinginfo_command, 2, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary = "Show this connection's client-side caching settings", .since = "6.2.0",
     .group = "connection", .complexity = "O(1)"},
    {"getredir", tracking_client_getredir_command, 2, CONN_FLAGS, ACL_CONNECTION, 0, 0, 0,
     .summary = "Tell which client receives this connection's invalidation messages",
     .since = "6.0.0", .group = "connection", .complexity = "O(1)"},
    {"help", client_help_command, 2, CMD_LOADING | CMD_STALE, ACL_CONNECTION, 0, 0, 0,
     .summary = "Describe the CLIENT subcommands", .since = "5.0.0", .group = "connection",
     .complexity = "O(1)"},
    {0},
};

static void client_container(client *c) {
    reply_error_arity(c);
}

static command conn_commands[] = {
    {"ping", ping_command, -1, CMD_FAST, ACL_CONNECTION, 0, 0, 0,
     .summary = "Check the connection, replying PONG or the argument", .since = "1.0.0",
     .group = "connection", .complexity = "O(1)"},
    {"echo", echo_command, 2, CMD_LOADING | CMD_STALE | CMD_FAST, ACL_CONNECTION, 0, 0, 0,
     .summary = "Reply with the argument", .since = "1.0.0", .group = "connection",
     .complexity = "O(1)"},
    {"quit", quit_command, -1,
     CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
     ACL_CONNECTION, 0, 0, 0, .summary = "Ask the server to close this connection",
     .since = "1.0.0", .group = "connection", .complexity = "O(1)"},
    {"reset", reset_command, 1,
     CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
     ACL_CONNECTION, 0, 0, 0,
     .summary = "Bring the connection back to its state right after connecting", .since = "6.2.0",
     .group = "connection", .complexity = "O(1)"},
    {"auth", auth_command, -2,
     CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
     ACL_CONNECTION, 0, 0, 0, .summary = "Log the connection in as a user", .since = "1.0.0",
     .group = "connection", .complexity = "O(N) in the user's passwords"},
    {"hello", hello_command, -1,
     CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
     ACL_CONNECTION, 0, 0, 0,
     .summary = "Pick the protocol version, and optionally log in and name the connection",
     .since = "6.0.0", .group = "connection", .complexity = "O(1)"},
    {"select", select_command, 2, CMD_LOADING | CMD_STALE | CMD_FAST, ACL_CONNECTION, 0, 0, 0,
     .summary = "Switch this connection to another database", .since = "1.0.0",
     .group = "connection", .complexity = "O(1)"},
    {"client", client_container, -2, 0, 0, 0, 0, 0,
     .summary = "Container for the subcommands that inspect and steer connections",
     .since = "2.4.0", .group = "connection", .complexity = "Set by the subcommand.",
     .subcommands = client_subs},
    {0},
};

void conn_register(void) {
    command_register(conn_commands);
}
