/*
 * exec.c - the dispatcher (see exec.h).
 */
#include "server/exec.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/acl.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/config.h"
#include "server/evict.h"
#include "server/handler.h"
#include "server/latency.h"
#include "server/multi.h"
#include "server/propagate.h"
#include "server/pubsub.h"
#include "server/ratelimit.h"
#include "server/reply.h"
#include "server/server.h"
#include "server/stats.h"
#include "server/tracking.h"

static const exec_busy_gate *busy_gate;
static const char *(*write_gate)(void);

void exec_set_busy_gate(const exec_busy_gate *gate) {
    busy_gate = gate;
}

void exec_set_write_gate(const char *(*writes_refused)(void)) {
    write_gate = writes_refused;
}

const char *exec_writes_refused(void) {
    return write_gate ? write_gate() : NULL;
}

/* "unknown command 'x', with args beginning with: 'a' 'b' " -- the
 * arguments are quoted up to 128 bytes in all, as Redis shows them. */
static void reject_unknown(client *c) {
    char args[160];
    size_t used = 0;
    args[0] = '\0';
    for (int i = 1; i < c->argc && used < 128; i++) {
        int room = 128 - (int)used;
        int take = c->argv[i].len < (size_t)room ? (int)c->argv[i].len : room;
        used += (size_t)snprintf(args + used, sizeof args - used, "'%.*s' ", take, c->argv[i].ptr);
        if (used >= sizeof args) used = sizeof args - 1;
    }
    int nlen = c->argv[0].len < 128 ? (int)c->argv[0].len : 128;
    reply_errorf(c, "ERR unknown command '%.*s', with args beginning with: %s", nlen,
                 c->argv[0].ptr, args);
}

static void reject_unknown_sub(client *c) {
    char name[64];
    size_t n = c->argv[0].len < sizeof name - 1 ? c->argv[0].len : sizeof name - 1;
    for (size_t i = 0; i < n; i++) {
        char ch = c->argv[0].ptr[i];
        name[i] = (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    }
    name[n] = '\0';
    int slen = c->argv[1].len < 128 ? (int)c->argv[1].len : 128;
    reply_errorf(c, "ERR unknown subcommand '%.*s'. Try %s HELP.", slen, c->argv[1].ptr, name);
}

/* Secrets never reach MONITOR: AUTH's arguments and HELLO's AUTH pair are
 * shown as "(redacted)". */
static void feed_monitors(client *c, const command *cmd) {
    static const resp_arg redacted = {"(redacted)", 10};
    resp_arg small[16];
    resp_arg *argv = c->argv;
    int redact_from = -1, redact_to = -1;
    if (strcmp(cmd->name, "auth") == 0) {
        redact_from = 1;
        redact_to = c->argc - 1;
    } else if (strcmp(cmd->name, "hello") == 0) {
        for (int i = 2; i + 2 < c->argc; i++)
            if (arg_is(&c->argv[i], "auth")) {
                redact_from = i + 1;
                redact_to = i + 2;
                break;
            }
    }
    if (redact_from > 0 && c->argc <= 16) {
        memcpy(small, c->argv, sizeof(resp_arg) * (size_t)c->argc);
        for (int i = redact_from; i <= redact_to; i++) small[i] = redacted;
        argv = small;
    }
    client_feed_monitors(c, c->argc, argv);
}

static int arity_ok(const command *cmd, int argc) {
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* A command refused before it ran: counted; inside MULTI the transaction
 * is marked to abort, and EXEC itself refused discards it. */
static void reject(client *c, command *cmd, const char *err) {
    cmd->rejected_calls++;
    if (multi_abort_exec(c, cmd, err)) return;
    multi_flag_error(c);
    reply_error(c, err);
}

int exec_call(client *c, command *cmd) {
    uint32_t in_call = c->flags & CLIENT_IN_CALL;
    const command *outer = c->cmd;
    /* lastcmd stays the command the client sent (EXEC, not its queue). */
    c->cmd = cmd;
    c->error_replied = 0;
    c->flags |= CLIENT_IN_CALL;
    long long start = clock_mono_us();
    long long effects = propagate_call_begin();
    tracking_command_begin(c);
    long long auth_mark = ratelimit_auth_mark(cmd);
    cmd->proc(c);
    ratelimit_auth_done(c, cmd, auth_mark);
    tracking_command_end(c, cmd);
    propagate_call_end(c, cmd, effects);
    long long took = clock_mono_us() - start;
    c->flags = (c->flags & ~CLIENT_IN_CALL) | in_call;
    if (c->flags & CLIENT_BLOCK_PENDING) {
        /* Blocked: counted when it is finally served. */
        c->flags &= ~(CLIENT_BLOCK_PENDING | CLIENT_REPLY_SKIP);
        c->cmd = NULL;
        return EXEC_BLOCKED;
    }
    cmd->calls++;
    cmd->usec += took;
    if (c->error_replied) cmd->failed_calls++;
    latency_after_call(c, cmd, took);
    /* Monitors see the command after it ran, with the database it left
     * selected, as in Redis. */
    if (!(cmd->flags & (CMD_SKIP_MONITOR | CMD_ADMIN))) feed_monitors(c, cmd);
    c->commands_processed++;
    stats.total_commands_processed++;
    c->cmd = outer;
    return EXEC_DONE;
}

int exec_command(client *c) {
    int unknown_sub = 0;
    command *cmd = command_lookup_argv(c->argc, c->argv, &unknown_sub);
    clock_cmd_start();

    /* CLIENT REPLY SKIP applies to the command after it. */
    if (c->flags & CLIENT_REPLY_SKIP_NEXT) {
        c->flags &= ~CLIENT_REPLY_SKIP_NEXT;
        c->flags |= CLIENT_REPLY_SKIP;
    }
    c->cmd = cmd;
    if (cmd) c->lastcmd = cmd;
    const char *limited = ratelimit_refuse(c, cmd);
    if (limited) {
        if (cmd) cmd->rejected_calls++;
        multi_flag_error(c);
        reply_error(c, limited);
        goto done;
    }
    if (!cmd) {
        multi_flag_error(c);
        reject_unknown(c);
        goto done;
    }
    if (unknown_sub) {
        multi_flag_error(c);
        reject_unknown_sub(c);
        cmd->rejected_calls++;
        goto done;
    }
    if (!arity_ok(cmd, c->argc)) {
        char err[160];
        snprintf(err, sizeof err, "ERR wrong number of arguments for '%s' command", cmd->fullname);
        reject(c, cmd, err);
        goto done;
    }
    if (!c->authenticated && !(cmd->flags & CMD_NO_AUTH)) {
        reject(c, cmd, "NOAUTH Authentication required.");
        goto done;
    }
    const char *acl_denied = acl_check_client(c, cmd);
    if (acl_denied) {
        reject(c, cmd, acl_denied);
        goto done;
    }
    if (busy_gate && !busy_gate->allows(cmd)) {
        reject(c, cmd, busy_gate->error());
        goto done;
    }
    if ((c->flags & CLIENT_MULTI) && (cmd->flags & CMD_NO_MULTI)) {
        reject(c, cmd, "ERR Command not allowed inside a transaction");
        goto done;
    }
    /* EXEC is checked with the flags of the commands it will run. */
    uint32_t flags = multi_effective_flags(c, cmd);
    int pause = client_pause_mode();
    if (pause == PAUSE_ALL || (pause == PAUSE_WRITE && (flags & (CMD_WRITE | CMD_MAY_REPLICATE)))) {
        client_park_paused(c);
        c->flags &= ~CLIENT_REPLY_SKIP;
        return EXEC_PAUSED;
    }
    if (server_loading() && !(flags & CMD_LOADING)) {
        reject(c, cmd, "LOADING PairDB is loading the dataset in memory");
        goto done;
    }
    if (flags & CMD_WRITE) {
        /* The log cannot take writes (disk full or failing): refuse them
         * rather than acknowledge what a crash would lose; reads go on. */
        const char *refused = exec_writes_refused();
        if (refused) {
            char err[512];
            snprintf(err, sizeof err, "MISCONF %s", refused);
            reject(c, cmd, err);
            goto done;
        }
    }
    /* Queuing takes memory too: past maxmemory nothing more is queued. */
    int oom_refuses = (flags & CMD_DENYOOM) || multi_should_queue(c, cmd);
    if (cfg->maxmemory && evict_perform() != EVICT_OK && oom_refuses) {
        reject(c, cmd, "OOM command not allowed when used memory > 'maxmemory'.");
        goto done;
    }
    if (!pubsub_context_allows(c, cmd)) {
        cmd->rejected_calls++;
        multi_flag_error(c);
        goto done;
    }
    if (multi_should_queue(c, cmd)) {
        multi_queue(c, cmd);
        goto done;
    }
    if (exec_call(c, cmd) == EXEC_BLOCKED) return EXEC_BLOCKED;
done:
    /* Before AUTH, Redis bounds requests tighter (10 arguments, 16 KB
     * bulks) so an unauthenticated peer cannot make the server buffer much. */
    c->parser.unauthenticated = !c->authenticated;
    c->flags &= ~CLIENT_REPLY_SKIP;
    c->cmd = NULL;
    return EXEC_DONE;
}
