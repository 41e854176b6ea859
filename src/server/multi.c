/*
 * multi.c - transactions and optimistic locking (see multi.h).
 */
#include "server/multi.h"

#include <string.h>

#include "ds/dict.h"
#include "ds/mem.h"
#include "server/acl.h"
#include "server/client.h"
#include "server/clock.h"
#include "server/command.h"
#include "server/db.h"
#include "server/exec.h"
#include "server/reply.h"

/* One queued command: its argv and the argument bytes in one allocation. */
typedef struct multi_queued {
    command *cmd;
    int argc;
    resp_arg *argv;
} multi_queued;

/* A watched (database, key): the index key is the database id (4 bytes,
 * little-endian) followed by the key, so one table serves every database. */
typedef struct watch_entry {
    dict_node node;
    int dbid;
    client **watchers;
    size_t nwatchers, cap;
    size_t idlen;            /* 4 + key length */
    char id[];
} watch_entry;

/* One of a client's watches. expired_at_watch: the key was already past its
 * expire time (but not yet deleted) when WATCH ran; its deletion then is no
 * change. */
typedef struct watch_link {
    watch_entry *e;
    int expired_at_watch;
} watch_link;

typedef struct multi_state {
    multi_queued *cmds;
    int count, cap;
    uint32_t flags;          /* union of the queued commands' flags */
    int dirty_exec;          /* a command was refused while queuing */
    int dirty_cas;           /* a watched key changed */
    watch_link *watches;
    size_t nwatches, wcap;
} multi_state;

static const char *entry_id(const dict_node *n, size_t *len) {
    const watch_entry *e = (const watch_entry *)n;
    *len = e->idlen;
    return e->id;
}

static const dict_ops watch_ops = {entry_id, 0};
static dict watched;
static int watched_ready;

static multi_state *state_of(client *c) {
    if (!c->multi) c->multi = mem_calloc(sizeof(multi_state));
    return c->multi;
}

/* Builds the index key of (dbid, key) in buf (or the heap); returns it. */
static char *make_id(char *buf, size_t bufsize, int dbid, const char *key, size_t klen,
                     size_t *idlen) {
    *idlen = 4 + klen;
    char *id = *idlen <= bufsize ? buf : mem_alloc(*idlen);
    uint32_t u = (uint32_t)dbid;
    id[0] = (char)(u & 0xff);
    id[1] = (char)((u >> 8) & 0xff);
    id[2] = (char)((u >> 16) & 0xff);
    id[3] = (char)((u >> 24) & 0xff);
    memcpy(id + 4, key, klen);
    return id;
}

static watch_entry *find_entry(int dbid, const char *key, size_t klen) {
    if (!watched_ready || dict_size(&watched) == 0) return NULL;
    char buf[256];
    size_t idlen;
    char *id = make_id(buf, sizeof buf, dbid, key, klen, &idlen);
    dict_node *n = dict_find(&watched, id, idlen, dict_hash(id, idlen));
    if (id != buf) mem_free(id);
    return (watch_entry *)n;
}

static int key_present(db *d, const char *key, size_t klen) {
    return db_lookup(d, key, klen, LOOKUP_NOEXPIRE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS) != NULL;
}

/* Past its expire time but not deleted yet (looked up without expiring). */
static int key_logically_expired(db *d, const char *key, size_t klen) {
    kv *e = db_lookup(d, key, klen, LOOKUP_NOEXPIRE | LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
    if (!e) return 0;
    long long when = db_get_expire(d, e);
    return when >= 0 && when < clock_cmd_ms();
}

static watch_link *link_of(multi_state *m, const watch_entry *e) {
    for (size_t i = 0; i < m->nwatches; i++)
        if (m->watches[i].e == e) return &m->watches[i];
    return NULL;
}

static void watch_key(client *c, const char *key, size_t klen) {
    multi_state *m = state_of(c);
    watch_entry *e = find_entry(c->dbid, key, klen);
    if (e && link_of(m, e)) return;
    if (!e) {
        if (!watched_ready) {
            dict_init(&watched, &watch_ops);
            watched_ready = 1;
        }
        e = mem_calloc(sizeof *e + 4 + klen);
        size_t idlen;
        make_id(e->id, 4 + klen, c->dbid, key, klen, &idlen);
        e->idlen = idlen;
        e->dbid = c->dbid;
        dict_insert(&watched, &e->node, dict_hash(e->id, e->idlen));
    }
    if (e->nwatchers == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 2;
        e->watchers = mem_realloc(e->watchers, e->cap * sizeof(client *));
    }
    e->watchers[e->nwatchers++] = c;
    if (m->nwatches == m->wcap) {
        m->wcap = m->wcap ? m->wcap * 2 : 4;
        m->watches = mem_realloc(m->watches, m->wcap * sizeof(watch_link));
    }
    m->watches[m->nwatches].e = e;
    m->watches[m->nwatches].expired_at_watch = key_logically_expired(c->db, key, klen);
    m->nwatches++;
}

static void unwatch_all(client *c) {
    multi_state *m = c->multi;
    if (!m) return;
    for (size_t i = 0; i < m->nwatches; i++) {
        watch_entry *e = m->watches[i].e;
        for (size_t j = 0; j < e->nwatchers; j++)
            if (e->watchers[j] == c) {
                e->watchers[j] = e->watchers[--e->nwatchers];
                break;
            }
        if (e->nwatchers == 0) {
            dict_remove(&watched, e->id, e->idlen, dict_hash(e->id, e->idlen));
            mem_free(e->watchers);
            mem_free(e);
        }
    }
    mem_free(m->watches);
    m->watches = NULL;
    m->nwatches = m->wcap = 0;
}

/* A watched key that expired since WATCH (and is still there, unread)
 * fails EXEC in Redis 7.0 as if it had been deleted. */
static int watched_key_expired(client *c) {
    multi_state *m = c->multi;
    for (size_t i = 0; m && i < m->nwatches; i++) {
        const watch_entry *e = m->watches[i].e;
        if (m->watches[i].expired_at_watch) continue;
        if (key_logically_expired(db_get(e->dbid), e->id + 4, e->idlen - 4)) return 1;
    }
    return 0;
}

static void free_queue(multi_queued *cmds, int count) {
    for (int i = 0; i < count; i++) mem_free(cmds[i].argv);
    mem_free(cmds);
}

/* Ends the transaction: the queue, the flags and the watches go. */
static void discard_transaction(client *c) {
    multi_state *m = c->multi;
    c->flags &= ~CLIENT_MULTI;
    if (!m) return;
    free_queue(m->cmds, m->count);
    m->cmds = NULL;
    m->count = m->cap = 0;
    m->flags = 0;
    m->dirty_exec = m->dirty_cas = 0;
    unwatch_all(c);
}

void multi_client_reset(client *c) {
    discard_transaction(c);
    mem_free(c->multi);
    c->multi = NULL;
}

/* --- dispatcher hooks --- */

static void multi_command(client *c);
static void exec_command_proc(client *c);
static void discard_command(client *c);
static void watch_command(client *c);

int multi_should_queue(const client *c, const command *cmd) {
    if (!(c->flags & CLIENT_MULTI)) return 0;
    if (cmd->proc == exec_command_proc || cmd->proc == discard_command ||
        cmd->proc == multi_command || cmd->proc == watch_command)
        return 0;
    /* QUIT and RESET end the transaction rather than join it. */
    return cmd->parent != NULL || (strcmp(cmd->name, "quit") != 0 && strcmp(cmd->name, "reset") != 0);
}

void multi_queue(client *c, command *cmd) {
    multi_state *m = state_of(c);
    /* An aborted transaction keeps answering QUEUED but stores nothing. */
    if (!m->dirty_exec && !m->dirty_cas) {
        size_t bytes = 0;
        for (int i = 0; i < c->argc; i++) bytes += c->argv[i].len;
        resp_arg *argv = mem_alloc(sizeof(resp_arg) * (size_t)c->argc + bytes);
        char *p = (char *)(argv + c->argc);
        for (int i = 0; i < c->argc; i++) {
            memcpy(p, c->argv[i].ptr, c->argv[i].len);
            argv[i].ptr = p;
            argv[i].len = c->argv[i].len;
            p += c->argv[i].len;
        }
        if (m->count == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 4;
            m->cmds = mem_realloc(m->cmds, (size_t)m->cap * sizeof(multi_queued));
        }
        m->cmds[m->count].cmd = cmd;
        m->cmds[m->count].argc = c->argc;
        m->cmds[m->count].argv = argv;
        m->count++;
        m->flags |= cmd->flags;
    }
    reply_status(c, "QUEUED");
}

void multi_flag_error(client *c) {
    if (c->flags & CLIENT_MULTI) state_of(c)->dirty_exec = 1;
}

int multi_abort_exec(client *c, const command *cmd, const char *err) {
    if (!cmd || cmd->proc != exec_command_proc) return 0;
    discard_transaction(c);
    /* Redis quotes the reason without its default "ERR " code. */
    if (strncmp(err, "ERR ", 4) == 0) err += 4;
    reply_errorf(c, "EXECABORT Transaction discarded because of: %s", err);
    return 1;
}

uint32_t multi_effective_flags(const client *c, const command *cmd) {
    if (cmd->proc == exec_command_proc && c->multi && (c->flags & CLIENT_MULTI))
        return cmd->flags | c->multi->flags;
    return cmd->flags;
}

int multi_queued_count(const client *c) {
    if (!(c->flags & CLIENT_MULTI)) return -1;
    return c->multi ? c->multi->count : 0;
}

/* --- keyspace hooks --- */

static void mark_dirty(client *c) {
    state_of(c)->dirty_cas = 1;
}

void multi_touch_key(db *d, const char *key, size_t klen) {
    watch_entry *e = find_entry(db_id(d), key, klen);
    if (!e) return;
    int present = -1;
    for (size_t i = 0; i < e->nwatchers; i++) {
        client *c = e->watchers[i];
        watch_link *l = link_of(c->multi, e);
        if (l && l->expired_at_watch) {
            if (present < 0) present = key_present(d, key, klen);
            /* The key was already dead when watched: its deletion changes
             * nothing, and it is an ordinary absent key from now on. */
            if (!present) {
                l->expired_at_watch = 0;
                continue;
            }
        }
        mark_dirty(c);
    }
}

void multi_touch_db(db *emptied, db *replaced_with) {
    if (!watched_ready || dict_size(&watched) == 0) return;
    int dbid = db_id(emptied);
    dict_iter it;
    dict_iter_init(&watched, &it);
    dict_node *n;
    while ((n = dict_iter_next(&it)) != NULL) {
        watch_entry *e = (watch_entry *)n;
        if (e->dbid != dbid) continue;
        const char *key = e->id + 4;
        size_t klen = e->idlen - 4;
        int in_replacement = replaced_with && key_present(replaced_with, key, klen);
        /* Only keys that exist change: flushing an absent key is no change. */
        if (!in_replacement && !key_present(emptied, key, klen)) continue;
        for (size_t i = 0; i < e->nwatchers; i++) {
            client *c = e->watchers[i];
            watch_link *l = link_of(c->multi, e);
            if (l && l->expired_at_watch && !in_replacement) {
                l->expired_at_watch = 0;
                continue;
            }
            mark_dirty(c);
        }
    }
    dict_iter_done(&it);
}

/* --- commands --- */

static void multi_command(client *c) {
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    state_of(c);
    c->flags |= CLIENT_MULTI;
    reply_ok(c);
}

static void discard_command(client *c) {
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    discard_transaction(c);
    reply_ok(c);
}

/* Runs the queue. CLIENT_MULTI stays set until the end so that blocking
 * commands answer at once, as with a timeout. */
static void run_queue(client *c, multi_queued *cmds, int count) {
    int argc = c->argc;
    resp_arg *argv = c->argv;
    const command *self = c->cmd;
    reply_array(c, count);
    for (int i = 0; i < count; i++) {
        c->argc = cmds[i].argc;
        c->argv = cmds[i].argv;
        /* Rules may have changed since the command was queued. */
        const char *denied = acl_check_exec(c, cmds[i].cmd);
        if (denied)
            reply_error(c, denied);
        else
            exec_call(c, cmds[i].cmd);
    }
    c->argc = argc;
    c->argv = argv;
    c->cmd = self;
    /* The inner commands' errors are theirs, not EXEC's (commandstats). */
    c->error_replied = 0;
}

static void exec_command_proc(client *c) {
    if (!(c->flags & CLIENT_MULTI)) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    multi_state *m = state_of(c);
    if (watched_key_expired(c)) m->dirty_cas = 1;
    if (m->dirty_exec) {
        reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        discard_transaction(c);
        return;
    }
    if (m->dirty_cas) {
        reply_null_array(c);
        discard_transaction(c);
        return;
    }
    /* Watches go first: the transaction's own writes must not count. */
    unwatch_all(c);
    /* The queue stays in place while it runs (CLIENT LIST counts it, as
     * Redis does); nothing run from it can queue or discard. */
    run_queue(c, m->cmds, m->count);
    discard_transaction(c);
}

static void watch_command(client *c) {
    if (c->flags & CLIENT_MULTI) {
        reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    /* Once dirty, more watches cannot change the outcome. */
    if (!(c->multi && c->multi->dirty_cas))
        for (int i = 1; i < c->argc; i++) watch_key(c, c->argv[i].ptr, c->argv[i].len);
    reply_ok(c);
}

static void unwatch_command(client *c) {
    unwatch_all(c);
    if (c->multi) c->multi->dirty_cas = 0;
    reply_ok(c);
}

#define TX_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static command multi_commands[] = {
    {"multi", multi_command, 1, TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY, ACL_TRANSACTION, 0, 0, 0,
     .summary = "Begin queueing commands for EXEC", .since = "1.2.0", .group = "transactions",
     .complexity = "O(1)"},
    {"exec", exec_command_proc, 1, TX_FLAGS | CMD_SKIP_SLOWLOG, ACL_TRANSACTION, 0, 0, 0,
     .summary = "Run the commands queued since MULTI as one unit", .since = "1.2.0",
     .group = "transactions", .complexity = "The sum of the queued commands"},
    {"discard", discard_command, 1, TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY, ACL_TRANSACTION, 0, 0, 0,
     .summary = "Drop the commands queued since MULTI", .since = "2.0.0", .group = "transactions",
     .complexity = "O(N) in the queued commands"},
    {"watch", watch_command, -2, TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY, ACL_TRANSACTION, 1, -1, 1,
     .summary = "Make the next EXEC fail if any of these keys changes first", .since = "2.2.0",
     .group = "transactions", .complexity = "O(1) per key."},
    {"unwatch", unwatch_command, 1, TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY, ACL_TRANSACTION, 0, 0, 0,
     .summary = "Stop watching every key for this transaction", .since = "2.2.0",
     .group = "transactions", .complexity = "O(1)"},
    {0},
};

void multi_register(void) {
    command_register(multi_commands);
}
