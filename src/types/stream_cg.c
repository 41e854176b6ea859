/*
 * stream_cg.c - consumer groups: XGROUP, XREADGROUP's serving half, XACK,
 * XPENDING, XCLAIM, XAUTOCLAIM and XINFO (STREAM, GROUPS, CONSUMERS).
 *
 * A group keeps its PEL (pending entries list) as a radix tree of 16-byte
 * IDs to stream_nack records; each consumer's PEL holds the same records
 * for the IDs delivered to it, so acknowledging removes an ID from both.
 * Groups and consumers are radix trees keyed by name, which gives XINFO
 * its name order.
 *
 * Effects (propagate.h): reads that change group state log what replay
 * needs to rebuild it, never the read itself:
 *   a consumer created by XREADGROUP/XCLAIM/XAUTOCLAIM
 *                          XGROUP CREATECONSUMER key group consumer
 *   each entry delivered or claimed
 *                          XCLAIM key group consumer 0 id TIME <ms>
 *                                 RETRYCOUNT <n> FORCE JUSTID
 *   the group's position after XREADGROUP ">" (and XCLAIM LASTID)
 *                          XGROUP SETID key group <id> ENTRIESREAD <n>
 *   a pending entry whose stream entry was deleted, dropped by XCLAIM or
 *   XAUTOCLAIM             XACK key group id
 * XGROUP itself and XACK are deterministic and logged as received.
 *
 * Invariants:
 *  1. Every nack in a group's PEL is in exactly one consumer's PEL, the
 *     one nack->consumer names, under the same ID.
 *  2. entries_read is STREAM_ENTRIES_UNKNOWN or the logical count of
 *     entries up to last_id.
 */
#include <limits.h>
#include <string.h>

#include "ds/mem.h"
#include "server/blocking.h"
#include "server/effects.h"
#include "server/propagate.h"
#include "types/stream_int.h"

static const stream_id ID_MIN = {0, 0};
static const stream_id ID_MAX = {UINT64_MAX, UINT64_MAX};

/* ------------------------------------------------------------------------ */
/* Groups and consumers                                                      */
/* ------------------------------------------------------------------------ */

stream_cg *stream_group_find(stream *s, const char *name, size_t len) {
    void *v;
    if (!s || !s->groups || !radix_find(s->groups, name, len, &v)) return NULL;
    return v;
}

static stream_cg *group_create(stream *s, const char *name, size_t len, const stream_id *last,
                               long long entries_read) {
    if (!s->groups) s->groups = radix_new();
    if (radix_find(s->groups, name, len, NULL)) return NULL;
    stream_cg *g = mem_calloc(sizeof *g);
    g->last_id = *last;
    g->entries_read = entries_read;
    g->pel = radix_new();
    g->consumers = radix_new();
    if (radix_insert(s->groups, name, len, g, NULL) < 0) {
        stream_group_free(g);
        return NULL;
    }
    return g;
}

static void consumer_free(void *p) {
    stream_consumer *sc = p;
    radix_free(sc->pel, NULL); /* the nacks belong to the group's PEL */
    mem_free(sc);
}

void stream_group_free(void *p) {
    stream_cg *g = p;
    radix_free(g->pel, mem_free);
    radix_free(g->consumers, consumer_free);
    mem_free(g);
}

static stream_consumer *consumer_find(stream_cg *g, const char *name, size_t len) {
    void *v;
    return radix_find(g->consumers, name, len, &v) ? v : NULL;
}

static stream_consumer *consumer_new(stream_cg *g, const char *name, size_t len) {
    stream_consumer *sc = mem_alloc(sizeof *sc + len);
    sc->seen_time = clock_cmd_ms();
    sc->pel = radix_new();
    sc->nlen = len;
    memcpy(sc->name, name, len);
    if (radix_insert(g->consumers, name, len, sc, NULL) < 0) {
        consumer_free(sc);
        return NULL;
    }
    return sc;
}

/* Deletes a consumer and its pending entries from the group. */
static void consumer_delete(stream_cg *g, stream_consumer *sc) {
    radix_iter it;
    radix_iter_init(&it, sc->pel);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        void *nack;
        if (radix_remove(g->pel, it.key, it.len, &nack)) mem_free(nack);
    }
    radix_iter_done(&it);
    radix_remove(g->consumers, sc->name, sc->nlen, NULL);
    consumer_free(sc);
}

/* Finds or creates the consumer a read or claim acts for; a creation is
 * notified and logged. */
static stream_consumer *consumer_for(client *c, const resp_arg *key, const resp_arg *group,
                                     stream_cg *g, const resp_arg *name) {
    stream_consumer *sc = consumer_find(g, name->ptr, name->len);
    if (sc) return sc;
    sc = consumer_new(g, name->ptr, name->len);
    if (!sc) return NULL;
    db_notify(NOTIFY_STREAM, "xgroup-createconsumer", c->db, key->ptr, key->len);
    if (!propagate_active()) return sc; /* the caller marked its effects explicit */
    effect ef;
    effect_start(&ef, "XGROUP");
    effect_add_str(&ef, "CREATECONSUMER");
    effect_add_arg(&ef, key);
    effect_add_arg(&ef, group);
    effect_add_arg(&ef, name);
    effect_log(&ef, c->dbid);
    return sc;
}

/* Group state changed: counted as a write (so a deterministic command is
 * logged) without touching the key, as Redis 7.0 does not (WATCH and
 * client-side caching ignore group changes). */
static void group_changed(void) {
    server_dirty_add(1);
}

static stream_nack *pel_find(radix *pel, const stream_id *id) {
    unsigned char k[16];
    stream_id_encode(id, k);
    void *v;
    return radix_find(pel, k, 16, &v) ? v : NULL;
}

/* Removes a nack from the group and its consumer and frees it. */
static void pel_drop(stream_cg *g, const stream_id *id) {
    unsigned char k[16];
    stream_id_encode(id, k);
    void *v;
    if (!radix_remove(g->pel, k, 16, &v)) return;
    stream_nack *n = v;
    if (n->consumer) radix_remove(n->consumer->pel, k, 16, NULL);
    mem_free(n);
}

/* Makes sc the owner of the nack for id (creating it when missing). */
static stream_nack *pel_assign(stream_cg *g, stream_consumer *sc, const stream_id *id) {
    unsigned char k[16];
    stream_id_encode(id, k);
    void *v;
    stream_nack *n;
    if (radix_find(g->pel, k, 16, &v)) {
        n = v;
    } else {
        /* A new pending entry counts as delivered once (Redis: FORCE then
         * adds one more unless JUSTID). */
        n = mem_calloc(sizeof *n);
        n->delivery_time = clock_cmd_ms();
        n->delivery_count = 1;
        radix_insert(g->pel, k, 16, n, NULL);
    }
    if (n->consumer != sc) {
        if (n->consumer) radix_remove(n->consumer->pel, k, 16, NULL);
        radix_insert(sc->pel, k, 16, n, NULL);
        n->consumer = sc;
    }
    return n;
}

static int entry_exists(stream *s, const stream_id *id) {
    stream_iter it;
    stream_iter_start(&it, s, id, id, 0);
    int found = stream_iter_next(&it);
    stream_iter_done(&it);
    return found;
}

/* Replies the entry with this ID, or a null when it is gone. */
static void reply_entry_by_id(client *c, stream *s, const stream_id *id, int null_array) {
    stream_iter it;
    stream_iter_start(&it, s, id, id, 0);
    if (stream_iter_next(&it))
        stream_reply_entry(c, &it);
    else if (null_array)
        reply_null_array(c);
    else
        reply_null(c);
    stream_iter_done(&it);
}

/* ------------------------------------------------------------------------ */
/* Copies, memory                                                            */
/* ------------------------------------------------------------------------ */

static stream_cg *group_dup(const stream_cg *src) {
    stream_cg *g = mem_calloc(sizeof *g);
    g->last_id = src->last_id;
    g->entries_read = src->entries_read;
    g->pel = radix_new();
    g->consumers = radix_new();
    radix_iter it;
    radix_iter_init(&it, src->consumers);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        const stream_consumer *from = it.value;
        stream_consumer *to = consumer_new(g, from->name, from->nlen);
        to->seen_time = from->seen_time;
    }
    radix_iter_done(&it);
    radix_iter_init(&it, src->pel);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        const stream_nack *from = it.value;
        stream_nack *n = mem_alloc(sizeof *n);
        *n = *from;
        n->consumer = consumer_find(g, from->consumer->name, from->consumer->nlen);
        radix_insert(g->pel, it.key, it.len, n, NULL);
        radix_insert(n->consumer->pel, it.key, it.len, n, NULL);
    }
    radix_iter_done(&it);
    return g;
}

void *stream_groups_dup(const radix *groups) {
    radix *d = radix_new();
    radix_iter it;
    radix_iter_init(&it, groups);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it))
        radix_insert(d, it.key, it.len, group_dup(it.value), NULL);
    radix_iter_done(&it);
    return d;
}

size_t stream_groups_mem(const radix *groups) {
    size_t total = radix_mem(groups);
    radix_iter it;
    radix_iter_init(&it, groups);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        const stream_cg *g = it.value;
        total += sizeof *g + radix_mem(g->pel) + radix_size(g->pel) * sizeof(stream_nack);
        total += radix_mem(g->consumers);
        radix_iter ci;
        radix_iter_init(&ci, g->consumers);
        for (int ok2 = radix_seek(&ci, RADIX_FIRST, NULL, 0); ok2; ok2 = radix_next(&ci)) {
            const stream_consumer *sc = ci.value;
            total += sizeof *sc + sc->nlen + radix_mem(sc->pel);
        }
        radix_iter_done(&ci);
    }
    radix_iter_done(&it);
    return total;
}

/* ------------------------------------------------------------------------ */
/* Lag and logical positions (Redis 7.0's rules)                             */
/* ------------------------------------------------------------------------ */

int stream_range_has_tombstones(stream *s, const stream_id *start, const stream_id *end) {
    if (!s->length || (s->max_deleted_id.ms == 0 && s->max_deleted_id.seq == 0)) return 0;
    if (stream_id_cmp(&s->first_id, &s->max_deleted_id) > 0) return 0;
    const stream_id *lo = start ? start : &ID_MIN, *hi = end ? end : &ID_MAX;
    return stream_id_cmp(lo, &s->max_deleted_id) <= 0 &&
           stream_id_cmp(&s->max_deleted_id, hi) <= 0;
}

long long stream_estimate_entries_read(stream *s, const stream_id *id) {
    if (!s->entries_added) return 0;
    if (!s->length && stream_id_cmp(id, &s->last_id) < 1) return (long long)s->entries_added;
    int cmp_last = stream_id_cmp(id, &s->last_id);
    if (cmp_last == 0) return (long long)s->entries_added;
    if (cmp_last > 0) return STREAM_ENTRIES_UNKNOWN;
    int cmp_first = stream_id_cmp(id, &s->first_id);
    int no_tombstone = (s->max_deleted_id.ms == 0 && s->max_deleted_id.seq == 0) ||
                       stream_id_cmp(&s->max_deleted_id, &s->first_id) < 0;
    if (no_tombstone) {
        if (cmp_first < 0) return (long long)(s->entries_added - s->length);
        if (cmp_first == 0) return (long long)(s->entries_added - s->length + 1);
    }
    return STREAM_ENTRIES_UNKNOWN;
}

long long stream_group_lag(stream *s, stream_cg *g, int *valid) {
    *valid = 1;
    if (!s->entries_added) return 0;
    if (g->entries_read != STREAM_ENTRIES_UNKNOWN &&
        !stream_range_has_tombstones(s, &g->last_id, NULL))
        return (long long)s->entries_added - g->entries_read;
    long long read = stream_estimate_entries_read(s, &g->last_id);
    if (read != STREAM_ENTRIES_UNKNOWN) return (long long)s->entries_added - read;
    *valid = 0;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Effects                                                                   */
/* ------------------------------------------------------------------------ */

static void log_claim(client *c, const resp_arg *key, const resp_arg *group,
                      const stream_consumer *sc, const stream_id *id, const stream_nack *n) {
    if (!propagate_active()) return; /* the caller marked its effects explicit */
    char idbuf[STREAM_ID_STR];
    size_t idlen = stream_id_format(id, idbuf);
    effect ef;
    effect_start(&ef, "XCLAIM");
    effect_add_arg(&ef, key);
    effect_add_arg(&ef, group);
    effect_add(&ef, sc->name, sc->nlen);
    effect_add_str(&ef, "0");
    effect_add(&ef, idbuf, idlen);
    effect_add_str(&ef, "TIME");
    effect_add_ll(&ef, n->delivery_time);
    effect_add_str(&ef, "RETRYCOUNT");
    effect_add_ll(&ef, (long long)n->delivery_count);
    effect_add_str(&ef, "FORCE");
    effect_add_str(&ef, "JUSTID");
    effect_log(&ef, c->dbid);
}

static void log_ack(client *c, const resp_arg *key, const resp_arg *group, const stream_id *id) {
    if (!propagate_active()) return; /* the caller marked its effects explicit */
    char idbuf[STREAM_ID_STR];
    size_t idlen = stream_id_format(id, idbuf);
    effect ef;
    effect_start(&ef, "XACK");
    effect_add_arg(&ef, key);
    effect_add_arg(&ef, group);
    effect_add(&ef, idbuf, idlen);
    effect_log(&ef, c->dbid);
}

static void log_setid(client *c, const resp_arg *key, const resp_arg *group, const stream_cg *g) {
    if (!propagate_active()) return; /* the caller marked its effects explicit */
    char idbuf[STREAM_ID_STR];
    size_t idlen = stream_id_format(&g->last_id, idbuf);
    effect ef;
    effect_start(&ef, "XGROUP");
    effect_add_str(&ef, "SETID");
    effect_add_arg(&ef, key);
    effect_add_arg(&ef, group);
    effect_add(&ef, idbuf, idlen);
    effect_add_str(&ef, "ENTRIESREAD");
    effect_add_ll(&ef, g->entries_read);
    effect_log(&ef, c->dbid);
}

/* ------------------------------------------------------------------------ */
/* XREADGROUP serving                                                        */
/* ------------------------------------------------------------------------ */

/* The group name argument of the running XREADGROUP. */
static const resp_arg *group_arg(client *c) {
    for (int i = 1; i + 2 < c->argc; i++)
        if (arg_is(&c->argv[i], "group")) return &c->argv[i + 1];
    return &c->argv[2];
}

static void serve_history(client *c, const resp_arg *key, stream *s, stream_consumer *sc, const stream_id *start, long long count) {
    const resp_arg *gname = group_arg(c);
    reply_deferred d = reply_defer(c);
    long long n = 0;
    long long now = clock_cmd_ms();
    unsigned char k[16];
    stream_id_encode(start, k);
    radix_iter it;
    radix_iter_init(&it, sc->pel);
    for (int ok = radix_seek(&it, RADIX_GE, k, 16); ok && (!count || n < count);
         ok = radix_next(&it)) {
        stream_id id;
        stream_id_decode(it.key, &id);
        stream_nack *nack = it.value;
        stream_iter si;
        stream_iter_start(&si, s, &id, &id, 0);
        if (stream_iter_next(&si)) {
            stream_reply_entry(c, &si);
            nack->delivery_time = now;
            nack->delivery_count++;
            log_claim(c, key, gname, sc, &id, nack);
        } else {
            /* Deleted since: shown as null, its delivery left as it was. */
            reply_array(c, 2);
            reply_stream_id(c, &id);
            reply_null_array(c);
        }
        stream_iter_done(&si);
        n++;
    }
    radix_iter_done(&it);
    reply_defer_array(c, d, n);
}

void stream_group_serve(client *c, const resp_arg *key, stream *s, stream_cg *g,
                        const resp_arg *consumer, const stream_id *start, long long count,
                        int noack, int history) {
    const resp_arg *gname = group_arg(c);
    stream_consumer *sc = consumer_for(c, key, gname, g, consumer);
    if (!sc) {
        reply_empty_array(c);
        return;
    }
    sc->seen_time = clock_cmd_ms();
    group_changed();
    if (history) {
        serve_history(c, key, s, sc, start, count);
        return;
    }
    reply_deferred d = reply_defer(c);
    long long n = 0;
    long long now = clock_cmd_ms();
    stream_iter it;
    stream_iter_start(&it, s, start, &ID_MAX, 0);
    while ((!count || n < count) && stream_iter_next(&it)) {
        if (stream_id_cmp(&it.id, &g->last_id) > 0) {
            if (g->entries_read != STREAM_ENTRIES_UNKNOWN &&
                !stream_range_has_tombstones(s, &it.id, NULL))
                g->entries_read++;
            else if (s->entries_added)
                g->entries_read = stream_estimate_entries_read(s, &it.id);
            g->last_id = it.id;
        }
        if (!noack) {
            stream_nack *nack = pel_assign(g, sc, &it.id);
            nack->delivery_time = now;
            nack->delivery_count = 1;
            log_claim(c, key, gname, sc, &it.id, nack);
        }
        stream_reply_entry(c, &it);
        n++;
    }
    stream_iter_done(&it);
    reply_defer_array(c, d, n);
    if (n) log_setid(c, key, gname, g);
}

/* ------------------------------------------------------------------------ */
/* XGROUP                                                                    */
/* ------------------------------------------------------------------------ */

static void subcommand_syntax_error(client *c, const char *container) {
    reply_errorf(c, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.",
                 (int)(c->argv[1].len > 128 ? 128 : c->argv[1].len), c->argv[1].ptr, container);
}

typedef struct xgroup_ctx {
    kv *e;
    stream *s;
    stream_cg *g;
    int mkstream;
    long long entries_read;
} xgroup_ctx;

/* The common part of the subcommands with key and group: options from
 * argv[5], the key, the group. -1 after replying an error. */
static int xgroup_prepare(client *c, xgroup_ctx *x, int create, int setid, int need_group) {
    memset(x, 0, sizeof *x);
    x->entries_read = STREAM_ENTRIES_UNKNOWN;
    for (int i = 5; i < c->argc;) {
        if (create && arg_is(&c->argv[i], "mkstream")) {
            x->mkstream = 1;
            i++;
        } else if ((create || setid) && arg_is(&c->argv[i], "entriesread") && i + 1 < c->argc) {
            if (arg_ll(c, &c->argv[i + 1], &x->entries_read) < 0) return -1;
            if (x->entries_read < 0 && x->entries_read != STREAM_ENTRIES_UNKNOWN) {
                reply_error(c, "ERR value for ENTRIESREAD must be positive or -1");
                return -1;
            }
            i += 2;
        } else {
            subcommand_syntax_error(c, "XGROUP");
            return -1;
        }
    }
    const resp_arg *key = &c->argv[2], *group = &c->argv[3];
    int err;
    x->e = lookup_write_type(c, key, TYPE_STREAM, &err);
    if (err) return -1;
    x->s = x->e ? stream_of(x->e) : NULL;
    if (!x->s && !x->mkstream) {
        reply_error(c, "ERR The XGROUP subcommand requires the key to exist. Note that for "
                       "CREATE you may want to use the MKSTREAM option to create an empty "
                       "stream automatically.");
        return -1;
    }
    x->g = stream_group_find(x->s, group->ptr, group->len);
    if (!x->g && need_group) {
        reply_errorf(c, "NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                     (int)group->len, group->ptr, (int)key->len, key->ptr);
        return -1;
    }
    return 0;
}

static int is_dollar(const resp_arg *a) {
    return a->len == 1 && a->ptr[0] == '$';
}

static void xgroup_create_command(client *c) {
    xgroup_ctx x;
    if (c->argc > 8) {
        subcommand_syntax_error(c, "XGROUP");
        return;
    }
    if (xgroup_prepare(c, &x, 1, 0, 0) < 0) return;
    const resp_arg *key = &c->argv[2], *group = &c->argv[3];
    stream_id id;
    if (is_dollar(&c->argv[4]))
        id = x.s ? x.s->last_id : ID_MIN;
    else if (stream_id_arg(c, &c->argv[4], 0, &id) < 0)
        return;
    if (!x.s) {
        x.s = stream_new();
        db_add(c->db, stream_kv_new(key->ptr, key->len, x.s));
        key_modified(c, key->ptr, key->len);
    }
    if (group->len > RADIX_MAX_KEY || !group_create(x.s, group->ptr, group->len, &id,
                                                    x.entries_read)) {
        reply_error(c, "BUSYGROUP Consumer Group name already exists");
        return;
    }
    reply_ok(c);
    group_changed();
    db_notify(NOTIFY_STREAM, "xgroup-create", c->db, key->ptr, key->len);
}

static void xgroup_setid_command(client *c) {
    if (c->argc != 5 && c->argc != 7) {
        subcommand_syntax_error(c, "XGROUP");
        return;
    }
    xgroup_ctx x;
    if (xgroup_prepare(c, &x, 0, 1, 1) < 0) return;
    stream_id id;
    const resp_arg *a = &c->argv[4];
    if (is_dollar(a)) {
        id = x.s->last_id;
    } else if (a->len == 1 && a->ptr[0] == '-') {
        id = ID_MIN;
    } else if (a->len == 1 && a->ptr[0] == '+') {
        id = ID_MAX;
    } else if (stream_id_arg(c, a, 0, &id) < 0) {
        return;
    }
    x.g->last_id = id;
    x.g->entries_read = x.entries_read;
    reply_ok(c);
    group_changed();
    db_notify(NOTIFY_STREAM, "xgroup-setid", c->db, c->argv[2].ptr, c->argv[2].len);
}

static void xgroup_destroy_command(client *c) {
    xgroup_ctx x;
    if (xgroup_prepare(c, &x, 0, 0, 0) < 0) return;
    const resp_arg *key = &c->argv[2], *group = &c->argv[3];
    if (!x.g) {
        reply_int(c, 0);
        return;
    }
    radix_remove(x.s->groups, group->ptr, group->len, NULL);
    stream_group_free(x.g);
    reply_int(c, 1);
    group_changed();
    db_notify(NOTIFY_STREAM, "xgroup-destroy", c->db, key->ptr, key->len);
    /* Readers blocked on the group get their NOGROUP error. */
    signal_key_ready(c->db, key->ptr, key->len);
}

static void xgroup_createconsumer_command(client *c) {
    xgroup_ctx x;
    if (xgroup_prepare(c, &x, 0, 0, 1) < 0) return;
    const resp_arg *key = &c->argv[2], *name = &c->argv[4];
    if (consumer_find(x.g, name->ptr, name->len) || !consumer_new(x.g, name->ptr, name->len)) {
        reply_int(c, 0);
        return;
    }
    reply_int(c, 1);
    group_changed();
    db_notify(NOTIFY_STREAM, "xgroup-createconsumer", c->db, key->ptr, key->len);
}

static void xgroup_delconsumer_command(client *c) {
    xgroup_ctx x;
    if (xgroup_prepare(c, &x, 0, 0, 1) < 0) return;
    const resp_arg *key = &c->argv[2], *name = &c->argv[4];
    stream_consumer *sc = consumer_find(x.g, name->ptr, name->len);
    long long pending = 0;
    if (sc) {
        pending = (long long)radix_size(sc->pel);
        consumer_delete(x.g, sc);
        group_changed();
        db_notify(NOTIFY_STREAM, "xgroup-delconsumer", c->db, key->ptr, key->len);
    }
    reply_int(c, pending);
}

static void xgroup_help_command(client *c) {
    static const char *const help[] = {
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        NULL,
    };
    reply_help(c, help);
}

/* ------------------------------------------------------------------------ */
/* XACK, XPENDING                                                            */
/* ------------------------------------------------------------------------ */

/* Looks up key and group for reading; NULL with *err set when the key has
 * another type (replied), NULL without *err when either is missing. */
static stream_cg *lookup_group(client *c, stream **s, int *err) {
    int wt;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_STREAM, &wt);
    *err = wt;
    *s = e ? stream_of(e) : NULL;
    if (wt || !e) return NULL;
    return stream_group_find(*s, c->argv[2].ptr, c->argv[2].len);
}

static void reply_nogroup(client *c) {
    reply_errorf(c, "NOGROUP No such key '%.*s' or consumer group '%.*s'", (int)c->argv[1].len,
                 c->argv[1].ptr, (int)c->argv[2].len, c->argv[2].ptr);
}

static void xack_command(client *c) {
    stream *s;
    int err;
    stream_cg *g = lookup_group(c, &s, &err);
    if (err) return;
    if (!g) {
        reply_int(c, 0);
        return;
    }
    stream_id id;
    for (int j = 3; j < c->argc; j++)
        if (stream_id_arg(c, &c->argv[j], 0, &id) < 0) return;
    long long acked = 0;
    for (int j = 3; j < c->argc; j++) {
        stream_id_arg(c, &c->argv[j], 0, &id);
        if (!pel_find(g->pel, &id)) continue;
        pel_drop(g, &id);
        acked++;
    }
    if (acked) {
        group_changed();
        server_dirty_add(acked - 1);
    }
    reply_int(c, acked);
}

/* "-", "+", an ID, maybe after "(" (XPENDING and XAUTOCLAIM bounds). */
static int parse_interval_id(client *c, const resp_arg *a, uint64_t missing_seq, stream_id *id,
                             int *exclusive) {
    const char *p = a->ptr;
    size_t len = a->len;
    *exclusive = 0;
    if (len > 1 && p[0] == '(') {
        *exclusive = 1;
        p++;
        len--;
    }
    if (!*exclusive && len == 1 && (p[0] == '-' || p[0] == '+')) {
        *id = p[0] == '-' ? ID_MIN : ID_MAX;
        return 0;
    }
    if (stream_id_parse(p, len, missing_seq, id, NULL, 0) < 0) {
        reply_error(c, "ERR Invalid stream ID specified as stream command argument");
        return -1;
    }
    return 0;
}

static void xpending_summary(client *c, stream_cg *g) {
    reply_array(c, 4);
    reply_int(c, (long long)radix_size(g->pel));
    if (!radix_size(g->pel)) {
        reply_null(c);
        reply_null(c);
        reply_null_array(c);
        return;
    }
    radix_iter it;
    radix_iter_init(&it, g->pel);
    stream_id id;
    radix_seek(&it, RADIX_FIRST, NULL, 0);
    stream_id_decode(it.key, &id);
    reply_stream_id(c, &id);
    radix_seek(&it, RADIX_LAST, NULL, 0);
    stream_id_decode(it.key, &id);
    reply_stream_id(c, &id);
    radix_iter_done(&it);
    reply_deferred d = reply_defer(c);
    long n = 0;
    radix_iter_init(&it, g->consumers);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        stream_consumer *sc = it.value;
        if (!radix_size(sc->pel)) continue;
        reply_array(c, 2);
        reply_bulk(c, sc->name, sc->nlen);
        reply_bulk_ll(c, (long long)radix_size(sc->pel));
        n++;
    }
    radix_iter_done(&it);
    reply_defer_array(c, d, n);
}

static void xpending_command(client *c) {
    if (c->argc != 3 && (c->argc < 6 || c->argc > 9)) {
        reply_error_syntax(c);
        return;
    }
    long long count = 0, minidle = 0;
    stream_id start = ID_MIN, end = ID_MAX;
    const resp_arg *cname = NULL;
    if (c->argc >= 6) {
        int at = 3;
        if (arg_is(&c->argv[3], "idle")) {
            if (arg_ll(c, &c->argv[4], &minidle) < 0) return;
            if (c->argc < 8) {
                reply_error_syntax(c);
                return;
            }
            at += 2;
        }
        if (arg_ll(c, &c->argv[at + 2], &count) < 0) return;
        if (count < 0) count = 0;
        int ex;
        if (parse_interval_id(c, &c->argv[at], 0, &start, &ex) < 0) return;
        if (ex && !stream_id_incr(&start)) {
            reply_error(c, "ERR invalid start ID for the interval");
            return;
        }
        if (parse_interval_id(c, &c->argv[at + 1], UINT64_MAX, &end, &ex) < 0) return;
        if (ex && !stream_id_decr(&end)) {
            reply_error(c, "ERR invalid end ID for the interval");
            return;
        }
        if (at + 3 < c->argc) cname = &c->argv[at + 3];
    }
    stream *s;
    int err;
    stream_cg *g = lookup_group(c, &s, &err);
    if (err) return;
    if (!g) {
        reply_nogroup(c);
        return;
    }
    if (c->argc == 3) {
        xpending_summary(c, g);
        return;
    }
    radix *pel = g->pel;
    if (cname) {
        stream_consumer *sc = consumer_find(g, cname->ptr, cname->len);
        if (!sc) {
            reply_empty_array(c);
            return;
        }
        pel = sc->pel;
    }
    long long now = clock_cmd_ms();
    unsigned char sk[16], ek[16];
    stream_id_encode(&start, sk);
    stream_id_encode(&end, ek);
    reply_deferred d = reply_defer(c);
    long n = 0;
    radix_iter it;
    radix_iter_init(&it, pel);
    for (int ok = radix_seek(&it, RADIX_GE, sk, 16); ok && count && memcmp(it.key, ek, 16) <= 0;
         ok = radix_next(&it)) {
        stream_nack *nack = it.value;
        if (minidle && now - nack->delivery_time < minidle) continue;
        n++;
        count--;
        stream_id id;
        stream_id_decode(it.key, &id);
        reply_array(c, 4);
        reply_stream_id(c, &id);
        reply_bulk(c, nack->consumer->name, nack->consumer->nlen);
        long long elapsed = now - nack->delivery_time;
        reply_int(c, elapsed < 0 ? 0 : elapsed);
        reply_int(c, (long long)nack->delivery_count);
    }
    radix_iter_done(&it);
    reply_defer_array(c, d, n);
}

/* ------------------------------------------------------------------------ */
/* XCLAIM, XAUTOCLAIM                                                        */
/* ------------------------------------------------------------------------ */

typedef struct claim_opts {
    long long minidle, retrycount, delivery_time;
    int force, justid;
    stream_id last_id;
} claim_opts;

/* Options after the IDs (from argv[j]); -1 after replying an error. */
static int parse_claim_opts(client *c, int j, claim_opts *o, long long now) {
    for (; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const resp_arg *a = &c->argv[j];
        if (arg_is(a, "force")) {
            o->force = 1;
        } else if (arg_is(a, "justid")) {
            o->justid = 1;
        } else if (arg_is(a, "idle") && more) {
            if (arg_ll_range(c, &c->argv[++j], LLONG_MIN, LLONG_MAX, &o->delivery_time,
                             "ERR Invalid IDLE option argument for XCLAIM") < 0)
                return -1;
            o->delivery_time = now - o->delivery_time;
        } else if (arg_is(a, "time") && more) {
            if (arg_ll_range(c, &c->argv[++j], LLONG_MIN, LLONG_MAX, &o->delivery_time,
                             "ERR Invalid TIME option argument for XCLAIM") < 0)
                return -1;
        } else if (arg_is(a, "retrycount") && more) {
            if (arg_ll_range(c, &c->argv[++j], LLONG_MIN, LLONG_MAX, &o->retrycount,
                             "ERR Invalid RETRYCOUNT option argument for XCLAIM") < 0)
                return -1;
        } else if (arg_is(a, "lastid") && more) {
            if (stream_id_arg(c, &c->argv[++j], 0, &o->last_id) < 0) return -1;
        } else {
            reply_errorf(c, "ERR Unrecognized XCLAIM option '%.*s'",
                         (int)(a->len > 128 ? 128 : a->len), a->ptr);
            return -1;
        }
    }
    return 0;
}

/* Transfers the nack for id to sc, with the delivery time and count the
 * options give; logs the claim. */
static void claim_one(client *c, stream_cg *g, stream_consumer *sc, const stream_id *id,
                      long long delivery_time, long long retrycount, int justid) {
    stream_nack *n = pel_assign(g, sc, id);
    n->delivery_time = delivery_time;
    if (retrycount >= 0)
        n->delivery_count = (uint64_t)retrycount;
    else if (!justid)
        n->delivery_count++;
    log_claim(c, &c->argv[1], &c->argv[2], sc, id, n);
}

static void xclaim_command(client *c) {
    propagate_suppress(); /* only the claims' effects are logged */
    stream *s;
    int err;
    stream_cg *g = lookup_group(c, &s, &err);
    if (err) return;
    if (!g) {
        reply_nogroup(c);
        return;
    }
    claim_opts o = {.retrycount = -1, .delivery_time = -1};
    if (arg_ll_range(c, &c->argv[4], LLONG_MIN, LLONG_MAX, &o.minidle,
                     "ERR Invalid min-idle-time argument for XCLAIM") < 0)
        return;
    if (o.minidle < 0) o.minidle = 0;
    int j = 5;
    stream_id id;
    while (j < c->argc && stream_id_parse(c->argv[j].ptr, c->argv[j].len, 0, &id, NULL, 0) == 0)
        j++;
    int last_id_arg = j - 1;
    long long now = clock_cmd_ms();
    if (parse_claim_opts(c, j, &o, now) < 0) return;
    int moved_last = 0;
    if (stream_id_cmp(&o.last_id, &g->last_id) > 0) {
        g->last_id = o.last_id;
        moved_last = 1;
    }
    if (o.delivery_time == -1 || o.delivery_time < 0 || o.delivery_time > now)
        o.delivery_time = now;
    stream_consumer *sc = NULL;
    reply_deferred d = reply_defer(c);
    long n = 0;
    for (j = 5; j <= last_id_arg; j++) {
        stream_id_parse(c->argv[j].ptr, c->argv[j].len, 0, &id, NULL, 0);
        stream_nack *nack = pel_find(g->pel, &id);
        int exists = entry_exists(s, &id);
        if (!nack && !(o.force && exists)) continue;
        if (nack && !exists) {
            /* The entry was deleted: its pending record goes. */
            pel_drop(g, &id);
            log_ack(c, &c->argv[1], &c->argv[2], &id);
            group_changed();
            continue;
        }
        if (nack && nack->consumer && o.minidle && now - nack->delivery_time < o.minidle)
            continue;
        if (!sc) sc = consumer_for(c, &c->argv[1], &c->argv[2], g, &c->argv[3]);
        if (!sc) break;
        claim_one(c, g, sc, &id, o.delivery_time, o.retrycount, o.justid);
        if (o.justid)
            reply_stream_id(c, &id);
        else
            reply_entry_by_id(c, s, &id, 0);
        n++;
        group_changed();
    }
    if (moved_last) {
        log_setid(c, &c->argv[1], &c->argv[2], g);
        group_changed();
    }
    if (sc) sc->seen_time = now;
    reply_defer_array(c, d, n);
}

static stream_id *id_push(stream_id *arr, size_t *n, size_t *cap, const stream_id *id) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        arr = mem_realloc(arr, sizeof *arr * *cap);
    }
    arr[(*n)++] = *id;
    return arr;
}

/* Bound of XAUTOCLAIM's COUNT (Redis keeps count * 10 attempts in range). */
#define XAUTOCLAIM_ATTEMPTS_FACTOR 10

static void xautoclaim_command(client *c) {
    propagate_suppress(); /* only the claims' effects are logged */
    long long minidle, count = 100;
    if (arg_ll_range(c, &c->argv[4], LLONG_MIN, LLONG_MAX, &minidle,
                     "ERR Invalid min-idle-time argument for XAUTOCLAIM") < 0)
        return;
    if (minidle < 0) minidle = 0;
    stream_id start;
    int ex, justid = 0;
    if (parse_interval_id(c, &c->argv[5], 0, &start, &ex) < 0) return;
    if (ex && !stream_id_incr(&start)) {
        reply_error(c, "ERR invalid start ID for the interval");
        return;
    }
    for (int j = 6; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            long long max = LONG_MAX / XAUTOCLAIM_ATTEMPTS_FACTOR;
            if (arg_ll_range(c, &c->argv[++j], 1, max, &count, "ERR COUNT must be > 0") < 0)
                return;
        } else if (arg_is(&c->argv[j], "justid")) {
            justid = 1;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    stream *s;
    int err;
    stream_cg *g = lookup_group(c, &s, &err);
    if (err) return;
    if (!g) {
        reply_nogroup(c);
        return;
    }
    long long attempts = count * XAUTOCLAIM_ATTEMPTS_FACTOR;
    long long now = clock_cmd_ms();
    stream_consumer *sc = NULL;
    /* Claimed and deleted IDs are gathered first: the reply starts with
     * the cursor, known only at the end. */
    stream_id *claimed = NULL, *deleted = NULL;
    size_t nclaimed = 0, ndeleted = 0, claimed_cap = 0, deleted_cap = 0;
    unsigned char k[16];
    stream_id_encode(&start, k);
    radix_iter it;
    radix_iter_init(&it, g->pel);
    /* have: the iterator sits on the next PEL entry to examine. */
    int have = radix_seek(&it, RADIX_GE, k, 16);
    while (attempts-- && count && have) {
        stream_id id;
        stream_id_decode(it.key, &id);
        stream_nack *nack = it.value;
        if (!entry_exists(s, &id)) {
            log_ack(c, &c->argv[1], &c->argv[2], &id);
            pel_drop(g, &id);
            group_changed();
            deleted = id_push(deleted, &ndeleted, &deleted_cap, &id);
            count--;
            have = radix_seek(&it, RADIX_GE, it.key, it.len);
            continue;
        }
        if (!minidle || now - nack->delivery_time >= minidle) {
            if (!sc) sc = consumer_for(c, &c->argv[1], &c->argv[2], g, &c->argv[3]);
            if (!sc) break;
            claim_one(c, g, sc, &id, now, -1, justid);
            claimed = id_push(claimed, &nclaimed, &claimed_cap, &id);
            count--;
            group_changed();
        }
        have = radix_next(&it);
    }
    stream_id next = ID_MIN;
    if (have) stream_id_decode(it.key, &next);
    radix_iter_done(&it);
    if (sc) sc->seen_time = now;
    reply_array(c, 3);
    reply_stream_id(c, &next);
    reply_array(c, (long)nclaimed);
    for (size_t i = 0; i < nclaimed; i++) {
        if (justid)
            reply_stream_id(c, &claimed[i]);
        else
            reply_entry_by_id(c, s, &claimed[i], 0);
    }
    reply_array(c, (long)ndeleted);
    for (size_t i = 0; i < ndeleted; i++) reply_stream_id(c, &deleted[i]);
    mem_free(claimed);
    mem_free(deleted);
}

/* ------------------------------------------------------------------------ */
/* XINFO                                                                     */
/* ------------------------------------------------------------------------ */

static void reply_group_lag(client *c, stream *s, stream_cg *g) {
    int valid;
    long long lag = stream_group_lag(s, g, &valid);
    if (valid)
        reply_int(c, lag);
    else
        reply_null(c);
}

static void reply_entries_read(client *c, const stream_cg *g) {
    if (g->entries_read != STREAM_ENTRIES_UNKNOWN)
        reply_int(c, g->entries_read);
    else
        reply_null(c);
}

/* Replies the first or last live entry, or a null. */
static void reply_edge_entry(client *c, stream *s, int last) {
    stream_iter it;
    stream_iter_start(&it, s, &ID_MIN, &ID_MAX, last);
    if (stream_iter_next(&it))
        stream_reply_entry(c, &it);
    else
        reply_null(c);
    stream_iter_done(&it);
}

static void reply_stream_head(client *c, stream *s, long pairs) {
    reply_map(c, pairs);
    reply_bulk_cstr(c, "length");
    reply_int(c, (long long)s->length);
    reply_bulk_cstr(c, "radix-tree-keys");
    reply_int(c, (long long)stream_node_count(s));
    reply_bulk_cstr(c, "radix-tree-nodes");
    reply_int(c, (long long)stream_tree_nodes(s));
    reply_bulk_cstr(c, "last-generated-id");
    reply_stream_id(c, &s->last_id);
    reply_bulk_cstr(c, "max-deleted-entry-id");
    reply_stream_id(c, &s->max_deleted_id);
    reply_bulk_cstr(c, "entries-added");
    reply_int(c, (long long)s->entries_added);
    reply_bulk_cstr(c, "recorded-first-entry-id");
    reply_stream_id(c, &s->first_id);
}

/* The PEL part of XINFO STREAM FULL: [id, consumer, time, count] per
 * group entry, [id, time, count] per consumer entry. */
static void reply_pel_full(client *c, radix *pel, long long count, int with_consumer) {
    long long n = (long long)radix_size(pel);
    if (count && count < n) n = count;
    reply_array(c, n);
    radix_iter it;
    radix_iter_init(&it, pel);
    int ok = radix_seek(&it, RADIX_FIRST, NULL, 0);
    for (long long i = 0; i < n && ok; i++, ok = radix_next(&it)) {
        stream_nack *nack = it.value;
        stream_id id;
        stream_id_decode(it.key, &id);
        reply_array(c, with_consumer ? 4 : 3);
        reply_stream_id(c, &id);
        if (with_consumer) reply_bulk(c, nack->consumer->name, nack->consumer->nlen);
        reply_int(c, nack->delivery_time);
        reply_int(c, (long long)nack->delivery_count);
    }
    radix_iter_done(&it);
}

static void reply_group_full(client *c, stream *s, const char *name, size_t nlen, stream_cg *g,
                             long long count) {
    reply_map(c, 7);
    reply_bulk_cstr(c, "name");
    reply_bulk(c, name, nlen);
    reply_bulk_cstr(c, "last-delivered-id");
    reply_stream_id(c, &g->last_id);
    reply_bulk_cstr(c, "entries-read");
    reply_entries_read(c, g);
    reply_bulk_cstr(c, "lag");
    reply_group_lag(c, s, g);
    reply_bulk_cstr(c, "pel-count");
    reply_int(c, (long long)radix_size(g->pel));
    reply_bulk_cstr(c, "pending");
    reply_pel_full(c, g->pel, count, 1);
    reply_bulk_cstr(c, "consumers");
    reply_array(c, (long)radix_size(g->consumers));
    radix_iter it;
    radix_iter_init(&it, g->consumers);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        stream_consumer *sc = it.value;
        reply_map(c, 4);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, sc->name, sc->nlen);
        reply_bulk_cstr(c, "seen-time");
        reply_int(c, sc->seen_time);
        reply_bulk_cstr(c, "pel-count");
        reply_int(c, (long long)radix_size(sc->pel));
        reply_bulk_cstr(c, "pending");
        reply_pel_full(c, sc->pel, count, 0);
    }
    radix_iter_done(&it);
}

static void xinfo_stream_full(client *c, stream *s, long long count) {
    reply_stream_head(c, s, 9);
    reply_bulk_cstr(c, "entries");
    reply_deferred d = reply_defer(c);
    long long n = 0;
    stream_iter it;
    stream_iter_start(&it, s, &ID_MIN, &ID_MAX, 0);
    while ((!count || n < count) && stream_iter_next(&it)) {
        stream_reply_entry(c, &it);
        n++;
    }
    stream_iter_done(&it);
    reply_defer_array(c, d, n);
    reply_bulk_cstr(c, "groups");
    reply_array(c, s->groups ? (long)radix_size(s->groups) : 0);
    if (!s->groups) return;
    radix_iter gi;
    radix_iter_init(&gi, s->groups);
    for (int ok = radix_seek(&gi, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&gi))
        reply_group_full(c, s, (const char *)gi.key, gi.len, gi.value, count);
    radix_iter_done(&gi);
}

/* XINFO's key lookup: "ERR no such key" when missing. */
static stream *xinfo_lookup(client *c) {
    int wt;
    kv *e = lookup_read_type(c, &c->argv[2], TYPE_STREAM, &wt);
    if (wt) return NULL;
    if (!e) {
        reply_error(c, "ERR no such key");
        return NULL;
    }
    return stream_of(e);
}

static void xinfo_stream_command(client *c) {
    int full = c->argc > 3;
    long long count = 10;
    if (c->argc == 5 || c->argc > 6 || (full && !arg_is(&c->argv[3], "full"))) {
        subcommand_syntax_error(c, "XINFO");
        return;
    }
    if (c->argc == 6) {
        if (!arg_is(&c->argv[4], "count")) {
            subcommand_syntax_error(c, "XINFO");
            return;
        }
        if (arg_ll(c, &c->argv[5], &count) < 0) return;
        if (count < 0) count = 10;
    }
    stream *s = xinfo_lookup(c);
    if (!s) return;
    if (full) {
        xinfo_stream_full(c, s, count);
        return;
    }
    reply_stream_head(c, s, 10);
    reply_bulk_cstr(c, "groups");
    reply_int(c, s->groups ? (long long)radix_size(s->groups) : 0);
    reply_bulk_cstr(c, "first-entry");
    reply_edge_entry(c, s, 0);
    reply_bulk_cstr(c, "last-entry");
    reply_edge_entry(c, s, 1);
}

static void xinfo_groups_command(client *c) {
    stream *s = xinfo_lookup(c);
    if (!s) return;
    reply_array(c, s->groups ? (long)radix_size(s->groups) : 0);
    if (!s->groups) return;
    radix_iter it;
    radix_iter_init(&it, s->groups);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        stream_cg *g = it.value;
        reply_map(c, 6);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, (const char *)it.key, it.len);
        reply_bulk_cstr(c, "consumers");
        reply_int(c, (long long)radix_size(g->consumers));
        reply_bulk_cstr(c, "pending");
        reply_int(c, (long long)radix_size(g->pel));
        reply_bulk_cstr(c, "last-delivered-id");
        reply_stream_id(c, &g->last_id);
        reply_bulk_cstr(c, "entries-read");
        reply_entries_read(c, g);
        reply_bulk_cstr(c, "lag");
        reply_group_lag(c, s, g);
    }
    radix_iter_done(&it);
}

static void xinfo_consumers_command(client *c) {
    stream *s = xinfo_lookup(c);
    if (!s) return;
    stream_cg *g = stream_group_find(s, c->argv[3].ptr, c->argv[3].len);
    if (!g) {
        reply_errorf(c, "NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                     (int)c->argv[3].len, c->argv[3].ptr, (int)c->argv[2].len, c->argv[2].ptr);
        return;
    }
    long long now = clock_cmd_ms();
    reply_array(c, (long)radix_size(g->consumers));
    radix_iter it;
    radix_iter_init(&it, g->consumers);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        stream_consumer *sc = it.value;
        long long idle = now - sc->seen_time;
        reply_map(c, 3);
        reply_bulk_cstr(c, "name");
        reply_bulk(c, sc->name, sc->nlen);
        reply_bulk_cstr(c, "pending");
        reply_int(c, (long long)radix_size(sc->pel));
        reply_bulk_cstr(c, "idle");
        reply_int(c, idle < 0 ? 0 : idle);
    }
    radix_iter_done(&it);
}

static void xinfo_help_command(client *c) {
    static const char *const help[] = {
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        NULL,
    };
    reply_help(c, help);
}

/* ------------------------------------------------------------------------ */
/* DUMP body of the groups                                                   */
/* ------------------------------------------------------------------------ */

/*
 * varint ngroups, then per group (in name order):
 *   blob name, varint last ms, varint last seq, svarint entries_read,
 *   varint nconsumers, per consumer: blob name, svarint seen_time,
 *   varint npending, per pending entry (in ID order): varint ms,
 *   varint seq, svarint delivery_time, varint delivery_count,
 *   varint consumer index (in the order the consumers were written).
 */
static void put_id(dstr **out, const stream_id *id) {
    dump_put_varint(out, id->ms);
    dump_put_varint(out, id->seq);
}

static int get_id(dump_reader *r, stream_id *id) {
    return dump_get_varint(r, &id->ms) < 0 || dump_get_varint(r, &id->seq) < 0 ? -1 : 0;
}

static void encode_group(stream_cg *g, const unsigned char *name, size_t nlen, dstr **out) {
    dump_put_blob(out, (const char *)name, nlen);
    put_id(out, &g->last_id);
    dump_put_svarint(out, g->entries_read);
    size_t nc = radix_size(g->consumers);
    dump_put_varint(out, nc);
    /* Index consumers by position for the pending entries. */
    stream_consumer **order = mem_alloc(sizeof(stream_consumer *) * (nc ? nc : 1));
    size_t i = 0;
    radix_iter it;
    radix_iter_init(&it, g->consumers);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        stream_consumer *sc = it.value;
        order[i++] = sc;
        dump_put_blob(out, sc->name, sc->nlen);
        dump_put_svarint(out, sc->seen_time);
    }
    radix_iter_done(&it);
    dump_put_varint(out, radix_size(g->pel));
    radix_iter_init(&it, g->pel);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it)) {
        stream_nack *n = it.value;
        stream_id id;
        stream_id_decode(it.key, &id);
        put_id(out, &id);
        dump_put_svarint(out, n->delivery_time);
        dump_put_varint(out, n->delivery_count);
        size_t idx = 0;
        while (idx < nc && order[idx] != n->consumer) idx++;
        dump_put_varint(out, idx);
    }
    radix_iter_done(&it);
    mem_free(order);
}

void stream_groups_encode(stream *s, dstr **out) {
    dump_put_varint(out, s->groups ? radix_size(s->groups) : 0);
    if (!s->groups) return;
    radix_iter it;
    radix_iter_init(&it, s->groups);
    for (int ok = radix_seek(&it, RADIX_FIRST, NULL, 0); ok; ok = radix_next(&it))
        encode_group(it.value, it.key, it.len, out);
    radix_iter_done(&it);
}

static int decode_pending(stream_cg *g, stream_consumer **order, uint64_t nc, dump_reader *r) {
    uint64_t np;
    if (dump_get_varint(r, &np) < 0 || np > dump_remaining(r)) return -1;
    for (uint64_t i = 0; i < np; i++) {
        stream_id id;
        int64_t when;
        uint64_t count, idx;
        if (get_id(r, &id) < 0 || dump_get_svarint(r, &when) < 0 ||
            dump_get_varint(r, &count) < 0 || dump_get_varint(r, &idx) < 0 || idx >= nc)
            return -1;
        if (pel_find(g->pel, &id)) return -1; /* each ID once */
        stream_nack *n = pel_assign(g, order[idx], &id);
        n->delivery_time = when;
        n->delivery_count = count;
    }
    return 0;
}

static int decode_group(stream *s, dump_reader *r) {
    const char *name;
    size_t nlen;
    stream_id last;
    int64_t entries_read;
    uint64_t nc;
    if (dump_get_blob(r, &name, &nlen) < 0 || get_id(r, &last) < 0 ||
        dump_get_svarint(r, &entries_read) < 0 || dump_get_varint(r, &nc) < 0)
        return -1;
    if (entries_read < STREAM_ENTRIES_UNKNOWN || nc > dump_remaining(r) || nlen > RADIX_MAX_KEY)
        return -1;
    stream_cg *g = group_create(s, name, nlen, &last, entries_read);
    if (!g) return -1;
    stream_consumer **order = mem_alloc(sizeof(stream_consumer *) * (nc ? nc : 1));
    int rc = 0;
    for (uint64_t i = 0; i < nc && rc == 0; i++) {
        const char *cname;
        size_t clen;
        int64_t seen;
        if (dump_get_blob(r, &cname, &clen) < 0 || dump_get_svarint(r, &seen) < 0 ||
            clen > RADIX_MAX_KEY || consumer_find(g, cname, clen)) {
            rc = -1;
            break;
        }
        order[i] = consumer_new(g, cname, clen);
        order[i]->seen_time = seen;
    }
    if (rc == 0) rc = decode_pending(g, order, nc, r);
    mem_free(order);
    return rc;
}

int stream_groups_decode(stream *s, dump_reader *r) {
    uint64_t ng;
    if (dump_get_varint(r, &ng) < 0 || ng > dump_remaining(r)) return -1;
    for (uint64_t i = 0; i < ng; i++)
        if (decode_group(s, r) < 0) return -1;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

#define CG_SUB(name_, proc_, arity_, flags_, sum_)                                                 \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = ACL_STREAM,         \
        .first_key = 2, .last_key = 2, .key_step = 1, .summary = sum_, .since = "5.0.0",           \
        .group = "stream", .complexity = "O(1)",                                                   \
    }

static command xgroup_subcommands[] = {
    CG_SUB("create", xgroup_create_command, -5, CMD_WRITE | CMD_DENYOOM,
           "Adds a consumer group to a stream."),
    CG_SUB("createconsumer", xgroup_createconsumer_command, 5, CMD_WRITE | CMD_DENYOOM,
           "Registers a new consumer name in a group."),
    CG_SUB("delconsumer", xgroup_delconsumer_command, 5, CMD_WRITE,
           "Removes a consumer, and its pending messages, from a consumer group."),
    CG_SUB("destroy", xgroup_destroy_command, 4, CMD_WRITE,
           "Removes a consumer group from a stream."),
    {.name = "help", .proc = xgroup_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl = ACL_STREAM, .summary = "Describes the XGROUP subcommands.",
     .since = "5.0.0", .group = "stream", .complexity = "O(1)"},
    CG_SUB("setid", xgroup_setid_command, -5, CMD_WRITE,
           "Moves a consumer group's last delivered ID."),
    {.name = NULL},
};

static command xinfo_subcommands[] = {
    CG_SUB("consumers", xinfo_consumers_command, 4, CMD_READONLY,
           "Shows each consumer of a group with its pending count and idle time."),
    CG_SUB("groups", xinfo_groups_command, 3, CMD_READONLY,
           "Shows each consumer group of a stream with its progress."),
    {.name = "help", .proc = xinfo_help_command, .arity = 2, .flags = CMD_LOADING | CMD_STALE,
     .acl = ACL_STREAM, .summary = "Describes the XINFO subcommands.",
     .since = "5.0.0", .group = "stream", .complexity = "O(1)"},
    CG_SUB("stream", xinfo_stream_command, -3, CMD_READONLY,
           "Describes a stream, optionally with its entries and groups in full."),
    {.name = NULL},
};

#define CG_CMD(name_, proc_, arity_, flags_, sum_, cx_)                                            \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = ACL_STREAM,         \
        .first_key = 1, .last_key = 1, .key_step = 1, .summary = sum_, .since = "5.0.0",           \
        .group = "stream", .complexity = cx_,                                                      \
    }

static command cg_commands[] = {
    CG_CMD("xack", xack_command, -4, CMD_WRITE | CMD_FAST,
           "Acknowledges messages of a consumer group, taking them off its pending list.",
           "O(1) per message ID."),
    CG_CMD("xpending", xpending_command, -3, CMD_READONLY,
           "Summarizes or lists the messages a consumer group delivered that are not yet "
           "acknowledged.",
           "O(N) in the entries returned."),
    CG_CMD("xclaim", xclaim_command, -6, CMD_WRITE | CMD_FAST,
           "Hands the named pending messages over to another consumer.",
           "O(log N) in the group's pending messages."),
    CG_CMD("xautoclaim", xautoclaim_command, -6, CMD_WRITE | CMD_FAST,
           "Hands pending messages idle for long enough over to another consumer, scanning from a "
           "start ID.",
           "O(1) for a small COUNT."),
    {.name = "xgroup", .arity = -2, .summary = "Container for the consumer group subcommands.",
     .since = "5.0.0", .group = "stream", .complexity = "Set by the subcommand.",
     .subcommands = xgroup_subcommands},
    {.name = "xinfo", .arity = -2,
     .summary = "Container for the subcommands that describe streams.",
     .since = "5.0.0", .group = "stream", .complexity = "Set by the subcommand.",
     .subcommands = xinfo_subcommands},
    {.name = NULL},
};

void stream_cg_register(void) {
    command_register(cg_commands);
}
