/*
 * propagate.c - which effects reach the sink (the log; see propagate.h).
 */
#include "server/propagate.h"

#include <string.h>
#include <strings.h>

#include "ds/mem.h"
#include "server/client.h"
#include "server/command.h"
#include "server/stats.h"

/* Set when the running command logged its effects itself (or asked for
 * nothing to be logged). Saved and restored around calls, so a command run
 * from inside another (EXEC, scripts) has its own. */
static int call_explicit;

/* The open log's append, or NULL. */
static propagate_sink sink;

void propagate_set_sink(propagate_sink s) {
    sink = s;
}

int propagate_active(void) {
    return sink != NULL;
}

void propagate_effect(int dbid, int argc, const resp_arg *argv) {
    call_explicit = 1;
    if (sink) sink(dbid, argc, argv);
}

void propagate_del(int dbid, const char *key, size_t klen) {
    if (!sink) return;
    resp_arg args[2] = {{"DEL", 3}, {key, klen}};
    sink(dbid, 2, args);
}

void propagate_suppress(void) {
    call_explicit = 1;
}

/* The token packs the dirty counter before the call and the caller's
 * explicit flag, so nested calls restore it. */
long long propagate_call_begin(void) {
    long long token = stats.dirty * 2 + call_explicit;
    call_explicit = 0;
    return token;
}

/* Logs the command under its own name: a name given by rename-command
 * lives only in the config, and the log must replay under any config. */
static void append_own_name(client *c, const command *cmd) {
    const command *top = cmd->parent ? cmd->parent : cmd;
    size_t len = strlen(top->name);
    if (c->argv[0].len == len && strncasecmp(c->argv[0].ptr, top->name, len) == 0) {
        sink(c->dbid, c->argc, c->argv);
        return;
    }
    resp_arg *argv = mem_alloc(sizeof(resp_arg) * (size_t)c->argc);
    memcpy(argv, c->argv, sizeof(resp_arg) * (size_t)c->argc);
    argv[0].ptr = top->name;
    argv[0].len = len;
    sink(c->dbid, c->argc, argv);
    mem_free(argv);
}

void propagate_call_end(client *c, const command *cmd, long long token) {
    long long dirty_before = token >> 1;
    if (!call_explicit && (cmd->flags & CMD_WRITE) && stats.dirty != dirty_before &&
        sink)
        append_own_name(c, cmd);
    call_explicit = (int)(token & 1);
}
