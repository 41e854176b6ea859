/*
 * list.c - the list commands: pushes, pops (blocking or not), ranges,
 * index access, insertion, removal, LPOS and the moves between lists.
 *
 * A list value is a quicklist (ds/quicklist.h) held by pointer in its kv,
 * with ENC_QUICKLIST: Redis 7.0 reports "quicklist" for every list, small
 * or large, so there is no separate compact encoding to convert from. The
 * node bound comes from list-max-listpack-size when the list is created;
 * list-compress-depth is accepted by CONFIG and ignored.
 *
 * Invariants:
 *  1. No key holds an empty list: the command that removes the last
 *     element deletes the key and raises "del".
 *  2. Every write calls key_modified() once per key written and raises the
 *     event Redis raises ("lpush", "rpop", "lset", ...).
 *  3. Every command that adds elements calls signal_key_ready() so clients
 *     blocked on the key are retried.
 *
 * Blocking commands follow blocking.h: when nothing can be served they
 * block and return without a reply; when a key becomes ready the whole
 * command runs again, so the serving path is the non-blocking one.
 *
 * Called by: the dispatcher (list_register's table); SORT through list.h.
 */
#include "types/list.h"

#include <limits.h>
#include <string.h>

#include "ds/dstr.h"
#include "ds/mem.h"
#include "ds/quicklist.h"
#include "server/blocking.h"
#include "server/config.h"
#include "server/effects.h"
#include "server/handler.h"
#include "types/dump.h"
#include "types/types.h"

/* Elements copied out of a list before it changes (LMOVE) use the stack up
 * to this size. */
#define LIST_COPY_STACK 128

static quicklist *list_ql(const kv *e) {
    return kv_ptr(e);
}

/* ------------------------------------------------------------------------ */
/* Exported helpers (list.h)                                                 */
/* ------------------------------------------------------------------------ */

size_t list_length(const kv *e) {
    return ql_count(list_ql(e));
}

void list_foreach(const kv *e, void (*fn)(const char *s, size_t len, void *arg), void *arg) {
    quicklist *ql = list_ql(e);
    ql_pos pos;
    if (!ql_index(ql, 0, &pos)) return;
    do {
        char buf[LP_INTBUF];
        size_t len;
        const char *s = ql_get(&pos, &len, buf);
        fn(s, len, arg);
    } while (ql_step(ql, &pos, QL_TAIL));
}

kv *list_new_from(const char *key, size_t klen) {
    return kv_new_ptr(key, klen, TYPE_LIST, ENC_QUICKLIST,
                      ql_new((int)cfg->list_max_listpack_size));
}

void list_push_tail(kv *e, const char *s, size_t len) {
    ql_push(list_ql(e), QL_TAIL, s, len);
}

/* ------------------------------------------------------------------------ */
/* Shared command helpers                                                    */
/* ------------------------------------------------------------------------ */

/* Looks a list up for writing: NULL with WRONGTYPE replied (*err = 1) or
 * with nothing replied (*err = 0, absent). */
static kv *lookup_list_write(client *c, const resp_arg *key, int *err) {
    return lookup_write_type(c, key, TYPE_LIST, err);
}

static kv *list_create(client *c, const resp_arg *key) {
    kv *e = list_new_from(key->ptr, key->len);
    db_add(c->db, e);
    return e;
}

/* Replies the element at pos as a bulk string. */
static void reply_elem(client *c, const ql_pos *pos) {
    char buf[LP_INTBUF];
    size_t len;
    const char *s = ql_get(pos, &len, buf);
    reply_bulk(c, s, len);
}

static void reply_end(client *c, quicklist *ql, int where) {
    char buf[LP_INTBUF];
    size_t len;
    const char *s = ql_peek(ql, where, &len, buf);
    reply_bulk(c, s, len);
}

/* After elements were removed from key: deletes it if empty, then marks it
 * modified. The pop/rem event has been raised by the caller. */
static void list_after_remove(client *c, const resp_arg *key, kv *e) {
    if (list_length(e) == 0) {
        db_delete(c->db, key->ptr, key->len);
        db_notify(NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
    }
    key_modified(c, key->ptr, key->len);
}

/* LEFT / RIGHT argument; syntax error replied on anything else. */
static int parse_where(client *c, const resp_arg *a, int *where) {
    if (arg_is(a, "left")) {
        *where = QL_HEAD;
    } else if (arg_is(a, "right")) {
        *where = QL_TAIL;
    } else {
        reply_error_syntax(c);
        return -1;
    }
    return 0;
}

static const char *pop_event(int where) {
    return where == QL_HEAD ? "lpop" : "rpop";
}

static const char *push_event(int where) {
    return where == QL_HEAD ? "lpush" : "rpush";
}

/* ------------------------------------------------------------------------ */
/* Push                                                                      */
/* ------------------------------------------------------------------------ */

static void push_generic(client *c, int where, int only_existing) {
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_list_write(c, key, &err);
    if (err) return;
    if (!e) {
        if (only_existing) {
            reply_int(c, 0);
            return;
        }
        e = list_create(c, key);
    }
    quicklist *ql = list_ql(e);
    for (int j = 2; j < c->argc; j++)
        ql_push(ql, where, c->argv[j].ptr, c->argv[j].len);
    reply_int(c, (long long)ql_count(ql));
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_LIST, push_event(where), c->db, key->ptr, key->len);
    signal_key_ready(c->db, key->ptr, key->len);
}

static void lpush_command(client *c) {
    push_generic(c, QL_HEAD, 0);
}
static void rpush_command(client *c) {
    push_generic(c, QL_TAIL, 0);
}
static void lpushx_command(client *c) {
    push_generic(c, QL_HEAD, 1);
}
static void rpushx_command(client *c) {
    push_generic(c, QL_TAIL, 1);
}

/* ------------------------------------------------------------------------ */
/* Pop                                                                       */
/* ------------------------------------------------------------------------ */

/* Pops up to count elements of e (which holds key) from one end and replies
 * them as an array; raises the pop event and deletes the emptied key. */
static void pop_range_reply(client *c, const resp_arg *key, kv *e, int where, long long count) {
    quicklist *ql = list_ql(e);
    if ((unsigned long long)count > ql_count(ql)) count = (long long)ql_count(ql);
    reply_array(c, count);
    for (long long i = 0; i < count; i++) {
        reply_end(c, ql, where);
        ql_pop(ql, where);
    }
    db_notify(NOTIFY_LIST, pop_event(where), c->db, key->ptr, key->len);
    list_after_remove(c, key, e);
}

/* Pops one element and replies it (as a bulk, or [key, element] for BLPOP). */
static void pop_one_reply(client *c, const resp_arg *key, kv *e, int where, int with_key) {
    quicklist *ql = list_ql(e);
    if (with_key) {
        reply_array(c, 2);
        reply_bulk(c, key->ptr, key->len);
    }
    reply_end(c, ql, where);
    ql_pop(ql, where);
    db_notify(NOTIFY_LIST, pop_event(where), c->db, key->ptr, key->len);
    list_after_remove(c, key, e);
}

static void pop_generic(client *c, int where) {
    if (c->argc > 3) {
        reply_error_arity(c);
        return;
    }
    long long count = -1;
    if (c->argc == 3 && arg_ll_range(c, &c->argv[2], 0, LONG_MAX, &count,
                                     "ERR value is out of range, must be positive") < 0)
        return;
    int err;
    kv *e = lookup_list_write(c, &c->argv[1], &err);
    if (err) return;
    if (!e) {
        if (count >= 0)
            reply_null_array(c);
        else
            reply_null(c);
        return;
    }
    if (count == 0) {
        /* A zero count reads nothing and changes nothing. */
        reply_empty_array(c);
        return;
    }
    if (count < 0)
        pop_one_reply(c, &c->argv[1], e, where, 0);
    else
        pop_range_reply(c, &c->argv[1], e, where, count);
}

static void lpop_command(client *c) {
    pop_generic(c, QL_HEAD);
}
static void rpop_command(client *c) {
    pop_generic(c, QL_TAIL);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */
/* ------------------------------------------------------------------------ */

static void llen_command(client *c) {
    int wt;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_LIST, &wt);
    if (wt) return;
    reply_int(c, e ? (long long)list_length(e) : 0);
}

static void lrange_command(client *c) {
    long long start, end;
    if (arg_ll(c, &c->argv[2], &start) < 0 || arg_ll(c, &c->argv[3], &end) < 0) return;
    int wt;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_LIST, &wt);
    if (wt) return;
    if (!e) {
        reply_empty_array(c);
        return;
    }
    quicklist *ql = list_ql(e);
    if (!rank_range(&start, &end, (long long)ql_count(ql))) {
        reply_empty_array(c);
        return;
    }
    long long n = end - start + 1;
    reply_array(c, n);
    ql_pos pos;
    ql_index(ql, start, &pos);
    for (long long i = 0; i < n; i++) {
        reply_elem(c, &pos);
        if (i + 1 < n) ql_step(ql, &pos, QL_TAIL);
    }
}

static void lindex_command(client *c) {
    int wt;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_LIST, &wt);
    if (wt) return;
    if (!e) {
        reply_null(c);
        return;
    }
    long long index;
    if (arg_ll(c, &c->argv[2], &index) < 0) return;
    ql_pos pos;
    if (ql_index(list_ql(e), index, &pos))
        reply_elem(c, &pos);
    else
        reply_null(c);
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
static void lpos_command(client *c) {
    long long rank = 1, count = -1, maxlen = 0;
    for (int j = 3; j < c->argc; j++) {
        int more = j + 1 < c->argc;
        if (more && arg_is(&c->argv[j], "rank")) {
            if (arg_ll(c, &c->argv[++j], &rank) < 0) return;
            if (rank == 0) {
                reply_error(c, "ERR RANK can't be zero: use 1 to start from the first match, 2 "
                               "from the second ... or use negative to start from the end of the "
                               "list");
                return;
            }
        } else if (more && arg_is(&c->argv[j], "count")) {
            if (arg_ll_range(c, &c->argv[++j], 0, LONG_MAX, &count, "ERR COUNT can't be negative") <
                0)
                return;
        } else if (more && arg_is(&c->argv[j], "maxlen")) {
            if (arg_ll_range(c, &c->argv[++j], 0, LONG_MAX, &maxlen,
                             "ERR MAXLEN can't be negative") < 0)
                return;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    int dir = QL_TAIL;
    /* Redis negates the rank; for LLONG_MIN that stays negative, so every
     * match satisfies it and COUNT never stops the scan. */
    int unbounded = 0;
    if (rank < 0) {
        dir = QL_HEAD;
        if (rank == LLONG_MIN) {
            unbounded = 1;
            rank = 1;
        } else {
            rank = -rank;
        }
    }
    int wt;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_LIST, &wt);
    if (wt) return;
    if (!e) {
        if (count != -1)
            reply_empty_array(c);
        else
            reply_null(c);
        return;
    }
    quicklist *ql = list_ql(e);
    long long llen = (long long)ql_count(ql);
    const resp_arg *ele = &c->argv[2];
    reply_deferred d = {0};
    long long arraylen = 0;
    if (count != -1) d = reply_defer(c);
    long long index = 0, matches = 0;
    ql_pos pos;
    int ok = ql_index(ql, dir == QL_TAIL ? 0 : -1, &pos);
    while (ok && (maxlen == 0 || index < maxlen)) {
        if (lp_eq(pos.p, ele->ptr, ele->len)) {
            matches++;
            if (matches >= rank) {
                long long res = dir == QL_TAIL ? index : llen - index - 1;
                if (count == -1) {
                    reply_int(c, res);
                    return;
                }
                arraylen++;
                reply_int(c, res);
                if (count && !unbounded && matches - rank + 1 >= count) break;
            }
        }
        index++;
        ok = ql_step(ql, &pos, dir);
    }
    if (count == -1)
        reply_null(c);
    else
        reply_defer_array(c, d, arraylen);
}

/* ------------------------------------------------------------------------ */
/* Changing elements in place                                                */
/* ------------------------------------------------------------------------ */

static void lset_command(client *c) {
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_list_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_error(c, "ERR no such key");
        return;
    }
    long long index;
    if (arg_ll(c, &c->argv[2], &index) < 0) return;
    quicklist *ql = list_ql(e);
    ql_pos pos;
    if (!ql_index(ql, index, &pos)) {
        reply_error(c, "ERR index out of range");
        return;
    }
    ql_replace(ql, &pos, c->argv[3].ptr, c->argv[3].len);
    reply_ok(c);
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_LIST, "lset", c->db, key->ptr, key->len);
}

/* LINSERT key BEFORE|AFTER pivot element */
static void linsert_command(client *c) {
    const resp_arg *key = &c->argv[1];
    int where;
    if (arg_is(&c->argv[2], "before")) {
        where = LP_BEFORE;
    } else if (arg_is(&c->argv[2], "after")) {
        where = LP_AFTER;
    } else {
        reply_error_syntax(c);
        return;
    }
    int err;
    kv *e = lookup_list_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    quicklist *ql = list_ql(e);
    const resp_arg *pivot = &c->argv[3];
    ql_pos pos;
    int ok = ql_index(ql, 0, &pos);
    while (ok && !lp_eq(pos.p, pivot->ptr, pivot->len))
        ok = ql_step(ql, &pos, QL_TAIL);
    if (!ok) {
        reply_int(c, -1);
        return;
    }
    ql_insert(ql, &pos, where, c->argv[4].ptr, c->argv[4].len);
    reply_int(c, (long long)ql_count(ql));
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_LIST, "linsert", c->db, key->ptr, key->len);
    signal_key_ready(c->db, key->ptr, key->len);
}

/* LREM key count element */
static void lrem_command(client *c) {
    const resp_arg *key = &c->argv[1];
    long long count;
    if (arg_ll(c, &c->argv[2], &count) < 0) return;
    int err;
    kv *e = lookup_list_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    quicklist *ql = list_ql(e);
    const resp_arg *ele = &c->argv[3];
    int dir = count < 0 ? QL_HEAD : QL_TAIL;
    unsigned long long limit =
        count < 0 ? 0ULL - (unsigned long long)count : (unsigned long long)count;
    long long removed = 0;
    ql_pos pos;
    int ok = ql_index(ql, dir == QL_TAIL ? 0 : -1, &pos);
    while (ok) {
        if (lp_eq(pos.p, ele->ptr, ele->len)) {
            ok = ql_delete_at(ql, &pos, dir);
            removed++;
            if (limit && (unsigned long long)removed == limit) break;
        } else {
            ok = ql_step(ql, &pos, dir);
        }
    }
    if (removed) {
        db_notify(NOTIFY_LIST, "lrem", c->db, key->ptr, key->len);
        list_after_remove(c, key, e);
    }
    reply_int(c, removed);
}

static void ltrim_command(client *c) {
    const resp_arg *key = &c->argv[1];
    long long start, end;
    if (arg_ll(c, &c->argv[2], &start) < 0 || arg_ll(c, &c->argv[3], &end) < 0) return;
    int err;
    kv *e = lookup_list_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_ok(c);
        return;
    }
    quicklist *ql = list_ql(e);
    long long llen = (long long)ql_count(ql);
    long long ltrim = llen, rtrim = 0; /* an empty range empties the list */
    if (rank_range(&start, &end, llen)) {
        ltrim = start;
        rtrim = llen - end - 1;
    }
    ql_delete_range(ql, 0, (size_t)ltrim);
    ql_delete_range(ql, ql_count(ql) - (size_t)rtrim, (size_t)rtrim);
    db_notify(NOTIFY_LIST, "ltrim", c->db, key->ptr, key->len);
    list_after_remove(c, key, e);
    reply_ok(c);
}

/* ------------------------------------------------------------------------ */
/* Moves between lists                                                       */
/* ------------------------------------------------------------------------ */

/* Moves one element from the list src (which exists, non-empty) to dst and
 * replies it. The destination's type was checked by the caller. */
static void move_serve(client *c, const resp_arg *srckey, kv *src, const resp_arg *dstkey,
                       int wherefrom, int whereto) {
    quicklist *sql = list_ql(src);
    char ibuf[LP_INTBUF], stack[LIST_COPY_STACK];
    size_t len;
    const char *s = ql_peek(sql, wherefrom, &len, ibuf);
    /* The element lives in the source's node, which the push may move. */
    char *copy = len <= sizeof(stack) ? stack : mem_alloc(len);
    memcpy(copy, s, len);
    ql_pop(sql, wherefrom);

    kv *dst = db_lookup(c->db, dstkey->ptr, dstkey->len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS);
    if (!dst) dst = list_create(c, dstkey);
    ql_push(list_ql(dst), whereto, copy, len);
    key_modified(c, dstkey->ptr, dstkey->len);
    db_notify(NOTIFY_LIST, push_event(whereto), c->db, dstkey->ptr, dstkey->len);
    signal_key_ready(c->db, dstkey->ptr, dstkey->len);

    reply_bulk(c, copy, len);
    if (copy != stack) mem_free(copy);

    db_notify(NOTIFY_LIST, pop_event(wherefrom), c->db, srckey->ptr, srckey->len);
    list_after_remove(c, srckey, src);
}

/* LMOVE/BLMOVE core. Returns 1 when served or an error was replied, 0
 * when the source is absent (nothing replied). */
static int move_try(client *c, int wherefrom, int whereto) {
    const resp_arg *srckey = &c->argv[1], *dstkey = &c->argv[2];
    int err;
    kv *src = lookup_list_write(c, srckey, &err);
    if (err) return 1;
    if (!src) return 0;
    kv *dst = lookup_list_write(c, dstkey, &err);
    if (err) return 1;
    (void)dst;
    /* BLMOVE and BRPOPLPUSH must not block on replay: every form is logged
     * as the LMOVE it amounts to. */
    effect e;
    effect_start(&e, "LMOVE");
    effect_add_arg(&e, srckey);
    effect_add_arg(&e, dstkey);
    effect_add_str(&e, wherefrom == QL_HEAD ? "LEFT" : "RIGHT");
    effect_add_str(&e, whereto == QL_HEAD ? "LEFT" : "RIGHT");
    effect_log(&e, c->dbid);
    move_serve(c, srckey, src, dstkey, wherefrom, whereto);
    return 1;
}

static void lmove_command(client *c) {
    int from, to;
    if (parse_where(c, &c->argv[3], &from) < 0 || parse_where(c, &c->argv[4], &to) < 0) return;
    if (!move_try(c, from, to)) reply_null(c);
}

static void rpoplpush_command(client *c) {
    if (!move_try(c, QL_TAIL, QL_HEAD)) reply_null(c);
}

static void blmove_generic(client *c, int from, int to, const resp_arg *timeout) {
    long long deadline;
    if (block_parse_timeout(c, timeout, &deadline) < 0) return;
    if (move_try(c, from, to)) return;
    if (!block_allowed(c)) {
        reply_null(c);
        return;
    }
    /* Redis 7.0 times every list wait out with a null array, BLMOVE included. */
    block_on_keys(c, &c->argv[1], 1, TYPE_LIST, deadline, BLOCK_REPLY_NULL_ARRAY);
}

static void blmove_command(client *c) {
    int from, to;
    if (parse_where(c, &c->argv[3], &from) < 0 || parse_where(c, &c->argv[4], &to) < 0) return;
    blmove_generic(c, from, to, &c->argv[5]);
}

static void brpoplpush_command(client *c) {
    blmove_generic(c, QL_TAIL, QL_HEAD, &c->argv[3]);
}

/* ------------------------------------------------------------------------ */
/* Blocking pops and LMPOP                                                   */
/* ------------------------------------------------------------------------ */

/* Which key was served, and whether the command waited for it, are
 * settled now: the log gets the plain pop of that key ([LR]POP key, with
 * the count for LMPOP forms). */
static void log_pop_effect(client *c, const resp_arg *key, int where, long long count) {
    effect e;
    effect_start(&e, where == QL_HEAD ? "LPOP" : "RPOP");
    effect_add_arg(&e, key);
    if (count >= 0) effect_add_ll(&e, count);
    effect_log(&e, c->dbid);
}

/* Serves the first non-empty list among keys. Returns 1 when served or an
 * error was replied, 0 when every key is absent. count < 0: BLPOP's
 * [key, element] reply; otherwise LMPOP's [key, [elements]]. */
static int pop_first_of(client *c, const resp_arg *keys, int nkeys, int where, long long count) {
    for (int j = 0; j < nkeys; j++) {
        int err;
        kv *e = lookup_list_write(c, &keys[j], &err);
        if (err) return 1;
        if (!e) continue;
        log_pop_effect(c, &keys[j], where, count);
        if (count < 0) {
            pop_one_reply(c, &keys[j], e, where, 1);
        } else {
            reply_array(c, 2);
            reply_bulk(c, keys[j].ptr, keys[j].len);
            pop_range_reply(c, &keys[j], e, where, count);
        }
        return 1;
    }
    return 0;
}

static void bpop_generic(client *c, int where) {
    long long deadline;
    if (block_parse_timeout(c, &c->argv[c->argc - 1], &deadline) < 0) return;
    const resp_arg *keys = &c->argv[1];
    int nkeys = c->argc - 2;
    if (pop_first_of(c, keys, nkeys, where, -1)) return;
    if (!block_allowed(c)) {
        reply_null_array(c);
        return;
    }
    block_on_keys(c, keys, nkeys, TYPE_LIST, deadline, BLOCK_REPLY_NULL_ARRAY);
}

static void blpop_command(client *c) {
    bpop_generic(c, QL_HEAD);
}
static void brpop_command(client *c) {
    bpop_generic(c, QL_TAIL);
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], numkeys at argv[idx]. */
static void mpop_generic(client *c, int idx, int blocking) {
    long long numkeys;
    if (arg_ll_range(c, &c->argv[idx], 1, LONG_MAX, &numkeys,
                     "ERR numkeys should be greater than 0") < 0)
        return;
    /* The direction must follow the keys (compared without overflow). */
    if (numkeys >= c->argc - idx - 1) {
        reply_error_syntax(c);
        return;
    }
    long long where_idx = idx + numkeys + 1;
    int where;
    if (parse_where(c, &c->argv[where_idx], &where) < 0) return;
    long long count = -1;
    for (long long j = where_idx + 1; j < c->argc; j++) {
        if (count == -1 && arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            j++;
            if (arg_ll_range(c, &c->argv[j], 1, LONG_MAX, &count,
                             "ERR count should be greater than 0") < 0)
                return;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (count == -1) count = 1;
    /* Redis checks the timeout after the other arguments. */
    long long deadline = 0;
    if (blocking && block_parse_timeout(c, &c->argv[1], &deadline) < 0) return;
    const resp_arg *keys = &c->argv[idx + 1];
    if (pop_first_of(c, keys, (int)numkeys, where, count)) return;
    if (!blocking || !block_allowed(c)) {
        reply_null_array(c);
        return;
    }
    block_on_keys(c, keys, (int)numkeys, TYPE_LIST, deadline, BLOCK_REPLY_NULL_ARRAY);
}

static void lmpop_command(client *c) {
    mpop_generic(c, 1, 0);
}
static void blmpop_command(client *c) {
    mpop_generic(c, 2, 1);
}

/* Keys of LMPOP (numkeys at 1) and BLMPOP (numkeys at 2). */
static int mpop_keys_at(int idx, int argc, const resp_arg *argv, int *keys, int max) {
    if (argc <= idx) return -1;
    long long n = 0;
    const resp_arg *a = &argv[idx];
    if (a->len == 0 || a->len > 18) return -1;
    for (size_t i = 0; i < a->len; i++) {
        if (a->ptr[i] < '0' || a->ptr[i] > '9') return -1;
        n = n * 10 + (a->ptr[i] - '0');
    }
    if (n < 1 || n > argc - idx - 1) return -1;
    int got = 0;
    for (long long j = 0; j < n && got < max; j++)
        keys[got++] = idx + 1 + (int)j;
    return got;
}

static int lmpop_getkeys(int argc, const resp_arg *argv, int *keys, int max) {
    return mpop_keys_at(1, argc, argv, keys, max);
}
static int blmpop_getkeys(int argc, const resp_arg *argv, int *keys, int max) {
    return mpop_keys_at(2, argc, argv, keys, max);
}

/* ------------------------------------------------------------------------ */
/* Type operations and DUMP codec                                            */
/* ------------------------------------------------------------------------ */

/* Lists have one encoding, so enc is not needed. */
static void list_free_value(void *p, int enc) {
    (void)enc;
    ql_free(p);
}
static void *list_dup_value(const void *p, int enc) {
    (void)enc;
    return ql_dup(p);
}
static size_t list_mem_value(const void *p, int enc) {
    (void)enc;
    return ql_mem_usage(p);
}

static const kv_type_ops list_type_ops = {"list", list_free_value, list_dup_value, list_mem_value};

/* Body: element count (varint), then each element as a blob, head first. */
#define LIST_HINT_PLAIN 0

static void encode_one(const char *s, size_t len, void *arg) {
    dump_put_blob((dstr **)arg, s, len);
}

static uint8_t list_encode(const kv *e, dstr **out) {
    dump_put_varint(out, list_length(e));
    list_foreach(e, encode_one, out);
    return LIST_HINT_PLAIN;
}

static kv *list_decode(const char *key, size_t klen, uint8_t hint, dump_reader *r) {
    uint64_t n;
    if (hint != LIST_HINT_PLAIN || dump_get_varint(r, &n) < 0) return NULL;
    /* Each element takes at least its length byte: a count beyond the
     * remaining bytes is a lie, and an empty list is never stored. */
    if (n == 0 || n > dump_remaining(r)) return NULL;
    kv *e = list_new_from(key, klen);
    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        if (dump_get_blob(r, &s, &len) < 0) {
            kv_free(e);
            return NULL;
        }
        list_push_tail(e, s, len);
    }
    return e;
}

static const dump_type_ops list_dump_ops = {list_encode, list_decode};

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

#define W_FAST_OOM (CMD_WRITE | CMD_DENYOOM | CMD_FAST)
#define BLOCK_W (CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING)

#define LIST_CMD(name_, proc_, arity_, flags_, first_, last_, step_, since_, cx_, sum_)            \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = ACL_LIST,           \
        .first_key = first_, .last_key = last_, .key_step = step_, .summary = sum_,                \
        .since = since_, .group = "list", .complexity = cx_,                                       \
    }

static const char cx_push[] = "O(1) per element, O(N) for N elements.";
static const char cx_pop[] = "O(N) in the elements returned";
static const char cx_bpop[] = "O(N) in the keys given.";
static const char cx_mpop[] = "O(N+M): N keys given, M elements returned.";

static command list_commands[] = {
    LIST_CMD("lpush", lpush_command, -3, W_FAST_OOM, 1, 1, 1, "1.0.0", cx_push,
             "Adds elements at the head of a list, creating it when absent."),
    LIST_CMD("rpush", rpush_command, -3, W_FAST_OOM, 1, 1, 1, "1.0.0", cx_push,
             "Adds elements at the tail of a list, creating it when absent."),
    LIST_CMD("lpushx", lpushx_command, -3, W_FAST_OOM, 1, 1, 1, "2.2.0", cx_push,
             "Adds elements at the head of a list that already exists."),
    LIST_CMD("rpushx", rpushx_command, -3, W_FAST_OOM, 1, 1, 1, "2.2.0", cx_push,
             "Adds elements at the tail of a list that already exists."),
    LIST_CMD("lpop", lpop_command, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "1.0.0", cx_pop,
             "Removes and returns elements from the head of a list."),
    LIST_CMD("rpop", rpop_command, -2, CMD_WRITE | CMD_FAST, 1, 1, 1, "1.0.0", cx_pop,
             "Removes and returns elements from the tail of a list."),
    LIST_CMD("llen", llen_command, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "1.0.0", "O(1)",
             "Returns how many elements a list holds."),
    LIST_CMD("lrange", lrange_command, 4, CMD_READONLY, 1, 1, 1, "1.0.0",
             "O(S+N): S is how far start lies from the head (small lists) or from the nearer end "
             "(large lists), N the elements in the range.",
             "Returns the elements of a list between two indexes."),
    LIST_CMD("lindex", lindex_command, 3, CMD_READONLY, 1, 1, 1, "1.0.0",
             "O(N) in the elements walked to reach the index; O(1) for either end.",
             "Reads the list element found at a position."),
    LIST_CMD("lset", lset_command, 4, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "1.0.0",
             "O(N) in the length of the list; O(1) at either end.",
             "Overwrites the element of a list at an index."),
    LIST_CMD(
        "linsert", linsert_command, 5, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "2.2.0",
        "O(N) in the elements walked before the pivot: cheap near the head, O(N) near the tail.",
        "Inserts an element next to the first occurrence of a pivot element."),
    LIST_CMD("lrem", lrem_command, 4, CMD_WRITE, 1, 1, 1, "1.0.0",
             "O(N+M): a list of N elements, M of them removed.",
             "Removes occurrences of an element from a list."),
    LIST_CMD("ltrim", ltrim_command, 4, CMD_WRITE, 1, 1, 1, "1.0.0",
             "O(N) in the elements removed.",
             "Keeps only the elements of a list between two indexes."),
    LIST_CMD("lpos", lpos_command, -3, CMD_READONLY, 1, 1, 1, "6.0.6",
             "O(N) in the length of the list on average; near constant when the match is close to "
             "the end searched from or MAXLEN is small.",
             "Returns the indexes of the elements of a list equal to a value."),
    LIST_CMD("lmove", lmove_command, 5, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "6.2.0", "O(1)",
             "Pops an element from one end of a list and pushes it onto another list."),
    LIST_CMD("rpoplpush", rpoplpush_command, 3, CMD_WRITE | CMD_DENYOOM, 1, 2, 1, "1.2.0", "O(1)",
             "Pops the last element of a list and pushes it at the head of another list."),
    {.name = "lmpop",
     .proc = lmpop_command,
     .arity = -4,
     .flags = CMD_WRITE,
     .acl = ACL_LIST,
     .getkeys = lmpop_getkeys,
     .summary = "Pops elements from the first non-empty list of several.",
     .since = "7.0.0",
     .group = "list",
     .complexity = cx_mpop},
    LIST_CMD("blpop", blpop_command, -3, BLOCK_W, 1, -2, 1, "2.0.0", cx_bpop,
             "Pops the first element of the first non-empty list, waiting for one if needed."),
    LIST_CMD("brpop", brpop_command, -3, BLOCK_W, 1, -2, 1, "2.0.0", cx_bpop,
             "Pops the last element of the first non-empty list, waiting for one if needed."),
    LIST_CMD("blmove", blmove_command, 6, BLOCK_W | CMD_DENYOOM, 1, 2, 1, "6.2.0", "O(1)",
             "Moves an element between lists, waiting for the source to have one if needed."),
    LIST_CMD("brpoplpush", brpoplpush_command, 4, BLOCK_W | CMD_DENYOOM, 1, 2, 1, "2.2.0", "O(1)",
             "Moves the last element of a list to the head of another, waiting if needed."),
    {.name = "blmpop",
     .proc = blmpop_command,
     .arity = -5,
     .flags = CMD_WRITE | CMD_BLOCKING,
     .acl = ACL_LIST,
     .getkeys = blmpop_getkeys,
     .summary = "Pops elements from the first non-empty list of several, waiting if needed.",
     .since = "7.0.0",
     .group = "list",
     .complexity = cx_mpop},
    {.name = NULL},
};

void list_register(void) {
    kv_register_type(TYPE_LIST, &list_type_ops);
    dump_register_type(TYPE_LIST, &list_dump_ops);
    command_register(list_commands);
}
