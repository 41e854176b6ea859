/*
 * propagate.c - which effects reach the log (see propagate.h).
 */
#include "persist/propagate.h"


#include "persist/wal.h"
#include "server/client.h"
#include "server/command.h"
#include "server/stats.h"

/* Set when the running command logged its effects itself (or asked for
 * nothing to be logged). Saved and restored around calls, so a command run
 * from inside another (EXEC, scripts) has its own. */
static int call_explicit;

int propagate_active(void) {
    return wal_is_open();
}

void propagate_effect(int dbid, int argc, const resp_arg *argv) {
    call_explicit = 1;
    if (wal_is_open()) wal_append(dbid, argc, argv);
}

void propagate_del(int dbid, const char *key, size_t klen) {
    if (!wal_is_open()) return;
    resp_arg args[2] = {{"DEL", 3}, {key, klen}};
    wal_append(dbid, 2, args);
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

void propagate_call_end(client *c, const command *cmd, long long token) {
    long long dirty_before = token >> 1;
    if (!call_explicit && (cmd->flags & CMD_WRITE) && stats.dirty != dirty_before &&
        wal_is_open())
        wal_append(c->dbid, c->argc, c->argv);
    call_explicit = (int)(token & 1);
}
