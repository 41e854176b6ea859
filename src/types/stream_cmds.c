/*
 * stream_cmds.c - the stream commands on entries: XADD, XRANGE, XREVRANGE,
 * XLEN, XDEL, XTRIM, XSETID, and XREAD/XREADGROUP (blocking or not).
 *
 * Replies and error texts are Redis 7.0's. Writes follow the type files'
 * rules: key_modified() once per key changed, the event Redis raises
 * ("xadd", "xtrim", "xdel", "xsetid"), signal_key_ready() when entries are
 * added.
 *
 * Effects (propagate.h): XADD logs "XADD key <resolved id> fields..." (the
 * request may say "*" or "ms-*"), followed by "XTRIM key MAXLEN = <length>"
 * when it trimmed, so replay removes exactly what was removed whatever the
 * node layout; XTRIM with "~" logs the same exact form. The other commands
 * here are deterministic and are logged as received; XREADGROUP's effects
 * are stream_cg.c's.
 *
 * Blocking (blocking.h): a blocked XREAD is run again from the start when a
 * key it waits on is signalled. "$" must keep meaning the last ID at the
 * time the command first ran, so the resolved IDs are kept as the blocked
 * client's private data (block_set_private) and a retry reads them back.
 */
#include <limits.h>
#include <string.h>

#include "ds/mem.h"
#include "server/blocking.h"
#include "server/config.h"
#include "server/effects.h"
#include "server/propagate.h"
#include "types/stream_int.h"

/* COUNT of a blocked XREAD served later without one (Redis: 1000). */
#define XREAD_BLOCKED_DEFAULT_COUNT 1000

static const stream_id ID_MIN = {0, 0};
static const stream_id ID_MAX = {UINT64_MAX, UINT64_MAX};

static kv *lookup_stream_write(client *c, const resp_arg *key, int *err) {
    return lookup_write_type(c, key, TYPE_STREAM, err);
}

/* ------------------------------------------------------------------------ */
/* XADD / XTRIM argument parsing                                             */
/* ------------------------------------------------------------------------ */

typedef struct trim_args {
    int strategy;            /* 0, STREAM_TRIM_MAXLEN or STREAM_TRIM_MINID */
    int approx;
    long long maxlen;
    stream_id minid;
    long long limit;
    /* XADD only */
    int nomkstream;
    int id_given, seq_given;
    stream_id id;
} trim_args;

static int parse_trim_strategy(client *c, trim_args *a, int *i, int strategy) {
    if (a->strategy) {
        reply_error(c, "ERR syntax error, MAXLEN and MINID options at the same time are not "
                       "compatible");
        return -1;
    }
    int more = c->argc - 1 - *i;
    a->approx = 0;
    const resp_arg *next = &c->argv[*i + 1];
    if (more >= 2 && next->len == 1 && (next->ptr[0] == '~' || next->ptr[0] == '=')) {
        a->approx = next->ptr[0] == '~';
        (*i)++;
    }
    const resp_arg *val = &c->argv[*i + 1];
    if (strategy == STREAM_TRIM_MAXLEN) {
        if (arg_ll(c, val, &a->maxlen) < 0) return -1;
        if (a->maxlen < 0) {
            reply_error(c, "ERR The MAXLEN argument must be >= 0.");
            return -1;
        }
    } else if (stream_id_arg(c, val, 0, &a->minid) < 0) {
        return -1;
    }
    (*i)++;
    a->strategy = strategy;
    return 0;
}

/* Parses the options from argv[start]. For XADD returns the index of the
 * ID argument; for XTRIM the argument count. -1 after replying an error. */
static int parse_add_trim(client *c, trim_args *a, int start, int xadd) {
    memset(a, 0, sizeof *a);
    int limit_given = 0, i;
    for (i = start; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        const resp_arg *opt = &c->argv[i];
        if (xadd && opt->len == 1 && opt->ptr[0] == '*') {
            break;
        } else if (arg_is(opt, "maxlen") && more) {
            if (parse_trim_strategy(c, a, &i, STREAM_TRIM_MAXLEN) < 0) return -1;
        } else if (arg_is(opt, "minid") && more) {
            if (parse_trim_strategy(c, a, &i, STREAM_TRIM_MINID) < 0) return -1;
        } else if (arg_is(opt, "limit") && more) {
            if (arg_ll(c, &c->argv[i + 1], &a->limit) < 0) return -1;
            if (a->limit < 0) {
                reply_error(c, "ERR The LIMIT argument must be >= 0.");
                return -1;
            }
            limit_given = 1;
            i++;
        } else if (xadd && arg_is(opt, "nomkstream")) {
            a->nomkstream = 1;
        } else if (xadd) {
            if (stream_id_parse(opt->ptr, opt->len, 0, &a->id, &a->seq_given, 1) < 0) {
                reply_error(c, "ERR Invalid stream ID specified as stream command argument");
                return -1;
            }
            a->id_given = 1;
            break;
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    if (a->limit && !a->strategy) {
        reply_error(c, "ERR syntax error, LIMIT cannot be used without specifying a trimming "
                       "strategy");
        return -1;
    }
    if (!xadd && !a->strategy) {
        reply_error(c, "ERR syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if (limit_given) {
        if (!a->approx) {
            reply_error(c, "ERR syntax error, LIMIT cannot be used without the special ~ option");
            return -1;
        }
    } else if (a->approx) {
        /* Redis bounds the work of an unlimited "~" trim. */
        a->limit = 100 * cfg->stream_node_max_entries;
        if (a->limit <= 0 || a->limit > 10000) a->limit = 10000;
    } else {
        a->limit = 0;
    }
    return i;
}

static long long apply_trim(stream *s, const trim_args *a) {
    return stream_trim(s, a->strategy, (uint64_t)a->maxlen, &a->minid, a->approx, a->limit);
}

/* Logs "XTRIM key MAXLEN = <length now>": the exact result of a trim. */
static void log_exact_trim(client *c, const resp_arg *key, stream *s) {
    effect ef;
    effect_start(&ef, "XTRIM");
    effect_add_arg(&ef, key);
    effect_add_str(&ef, "MAXLEN");
    effect_add_str(&ef, "=");
    effect_add_ll(&ef, (long long)s->length);
    effect_log(&ef, c->dbid);
}

/* ------------------------------------------------------------------------ */
/* XADD                                                                      */
/* ------------------------------------------------------------------------ */

/* The ID XADD will use, or -1 with the error replied. */
static int xadd_resolve_id(client *c, stream *s, const trim_args *a, stream_id *id) {
    if (s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX) {
        reply_error(c, "ERR The stream has exhausted the last possible ID, unable to add more "
                       "items");
        return -1;
    }
    if (!a->id_given) {
        uint64_t now = (uint64_t)clock_cmd_ms();
        if (now > s->last_id.ms) {
            *id = (stream_id){now, 0};
        } else {
            *id = s->last_id;
            stream_id_incr(id);
        }
        return 0;
    }
    *id = a->id;
    if (!a->seq_given) {
        if (a->id.ms == s->last_id.ms) {
            if (s->last_id.seq == UINT64_MAX) {
                /* Redis 7.0 answers this overflow with its size error. */
                reply_error(c, "ERR Elements are too large to be stored");
                return -1;
            }
            id->seq = s->last_id.seq + 1;
        } else {
            id->seq = 0;
        }
    }
    if (stream_id_cmp(id, &s->last_id) <= 0) goto too_small;
    return 0;
too_small:
    reply_error(c, "ERR The ID specified in XADD is equal or smaller than the target stream top "
                   "item");
    return -1;
}

static void log_xadd(client *c, int field_pos, const stream_id *id) {
    if (!propagate_active()) {
        propagate_suppress(); /* nothing is logged; mark the effect explicit all the same */
        return;
    }
    int argc = 3 + (c->argc - field_pos);
    resp_arg *argv = mem_alloc(sizeof(resp_arg) * (size_t)argc);
    char idbuf[STREAM_ID_STR];
    argv[0] = (resp_arg){"XADD", 4};
    argv[1] = c->argv[1];
    argv[2] = (resp_arg){idbuf, stream_id_format(id, idbuf)};
    memcpy(argv + 3, c->argv + field_pos, sizeof(resp_arg) * (size_t)(c->argc - field_pos));
    propagate_effect(c->dbid, argc, argv);
    mem_free(argv);
}

static void xadd_command(client *c) {
    trim_args a;
    int idpos = parse_add_trim(c, &a, 2, 1);
    if (idpos < 0) return;
    int field_pos = idpos + 1;
    if (c->argc - field_pos < 2 || (c->argc - field_pos) % 2) {
        reply_error_arity(c);
        return;
    }
    if (a.id_given && a.seq_given && a.id.ms == 0 && a.id.seq == 0) {
        reply_error(c, "ERR The ID specified in XADD must be greater than 0-0");
        return;
    }
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_stream_write(c, key, &err);
    if (err) return;
    if (!e && a.nomkstream) {
        reply_null(c);
        return;
    }
    stream *s = e ? stream_of(e) : NULL;
    stream fresh = {0};
    stream_id id;
    if (xadd_resolve_id(c, s ? s : &fresh, &a, &id) < 0) return;
    if (!e) {
        s = stream_new();
        db_add(c->db, stream_kv_new(key->ptr, key->len, s));
    }
    stream_append(s, &id, c->argv + field_pos, (c->argc - field_pos) / 2);
    reply_stream_id(c, &id);
    log_xadd(c, field_pos, &id);
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_STREAM, "xadd", c->db, key->ptr, key->len);
    if (a.strategy && apply_trim(s, &a) > 0) {
        log_exact_trim(c, key, s);
        db_notify(NOTIFY_STREAM, "xtrim", c->db, key->ptr, key->len);
    }
    signal_key_ready(c->db, key->ptr, key->len);
}

/* ------------------------------------------------------------------------ */
/* XTRIM, XDEL, XLEN, XSETID                                                 */
/* ------------------------------------------------------------------------ */

static void xtrim_command(client *c) {
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_stream_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    trim_args a;
    if (parse_add_trim(c, &a, 2, 0) < 0) return;
    stream *s = stream_of(e);
    long long removed = apply_trim(s, &a);
    if (removed) {
        db_notify(NOTIFY_STREAM, "xtrim", c->db, key->ptr, key->len);
        key_modified(c, key->ptr, key->len);
        server_dirty_add(removed - 1);
        if (a.approx) log_exact_trim(c, key, s);
    }
    reply_int(c, removed);
}

static void xdel_command(client *c) {
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_stream_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    /* Every ID is checked before anything is deleted. */
    stream_id one;
    for (int j = 2; j < c->argc; j++)
        if (stream_id_arg(c, &c->argv[j], 0, &one) < 0) return;
    stream *s = stream_of(e);
    long long deleted = 0;
    for (int j = 2; j < c->argc; j++) {
        stream_id id;
        stream_id_arg(c, &c->argv[j], 0, &id);
        if (!stream_delete(s, &id)) continue;
        deleted++;
        if (stream_id_cmp(&id, &s->max_deleted_id) > 0) s->max_deleted_id = id;
    }
    if (deleted) {
        db_notify(NOTIFY_STREAM, "xdel", c->db, key->ptr, key->len);
        key_modified(c, key->ptr, key->len);
        server_dirty_add(deleted - 1);
    }
    reply_int(c, deleted);
}

static void xlen_command(client *c) {
    int wt;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_STREAM, &wt);
    if (wt) return;
    reply_int(c, e ? (long long)stream_of(e)->length : 0);
}

static void xsetid_command(client *c) {
    stream_id id, max_deleted = {0, 0};
    long long entries_added = -1;
    if (stream_id_arg(c, &c->argv[2], 0, &id) < 0) return;
    for (int i = 3; i < c->argc; i += 2) {
        int more = c->argc - 1 - i;
        if (arg_is(&c->argv[i], "entriesadded") && more) {
            if (arg_ll(c, &c->argv[i + 1], &entries_added) < 0) return;
            if (entries_added < 0) {
                reply_error(c, "ERR entries_added must be positive");
                return;
            }
        } else if (arg_is(&c->argv[i], "maxdeletedid") && more) {
            if (stream_id_arg(c, &c->argv[i + 1], 0, &max_deleted) < 0) return;
            if (stream_id_cmp(&id, &max_deleted) < 0) {
                reply_error(c, "ERR The ID specified in XSETID is smaller than the provided "
                               "max_deleted_entry_id");
                return;
            }
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_stream_write(c, key, &err);
    if (err) return;
    if (!e) {
        reply_error(c, "ERR no such key");
        return;
    }
    stream *s = stream_of(e);
    if (s->length > 0) {
        stream_id top;
        stream_last_valid_id(s, &top);
        if (stream_id_cmp(&id, &top) < 0) {
            reply_error(c, "ERR The ID specified in XSETID is smaller than the target stream top "
                           "item");
            return;
        }
        if (entries_added != -1 && s->length > (uint64_t)entries_added) {
            reply_error(c, "ERR The entries_added specified in XSETID is smaller than the "
                           "target stream length");
            return;
        }
    }
    if (stream_id_cmp(&id, &s->max_deleted_id) < 0) {
        reply_error(c, "ERR The ID specified in XSETID is smaller than current "
                       "max_deleted_entry_id");
        return;
    }
    s->last_id = id;
    if (entries_added != -1) s->entries_added = (uint64_t)entries_added;
    if (max_deleted.ms || max_deleted.seq) s->max_deleted_id = max_deleted;
    reply_ok(c);
    server_dirty_add(1); /* Redis 7.0 does not touch the key for WATCH here */
    db_notify(NOTIFY_STREAM, "xsetid", c->db, key->ptr, key->len);
}

/* ------------------------------------------------------------------------ */
/* XRANGE / XREVRANGE                                                        */
/* ------------------------------------------------------------------------ */

/* A range bound: "-", "+", an ID (missing seq = missing_seq), each maybe
 * after "(" for an exclusive bound. -1 after replying the error. */
static int parse_range_id(client *c, const resp_arg *a, uint64_t missing_seq, stream_id *id,
                          int *exclusive) {
    const char *p = a->ptr;
    size_t len = a->len;
    *exclusive = 0;
    if (len > 1 && p[0] == '(') {
        *exclusive = 1;
        p++;
        len--;
    }
    /* After "(" the bound must be a real ID. */
    if (!*exclusive && len == 1 && p[0] == '-') {
        *id = ID_MIN;
        return 0;
    }
    if (!*exclusive && len == 1 && p[0] == '+') {
        *id = ID_MAX;
        return 0;
    }
    if (stream_id_parse(p, len, missing_seq, id, NULL, 0) < 0) {
        reply_error(c, "ERR Invalid stream ID specified as stream command argument");
        return -1;
    }
    return 0;
}

/* Replies the entries of [start, end] (at most count, 0 = all). */
static void reply_range(client *c, stream *s, const stream_id *start, const stream_id *end,
                        long long count, int rev) {
    reply_deferred d = reply_defer(c);
    long long n = 0;
    stream_iter it;
    stream_iter_start(&it, s, start, end, rev);
    while ((!count || n < count) && stream_iter_next(&it)) {
        stream_reply_entry(c, &it);
        n++;
    }
    stream_iter_done(&it);
    reply_defer_array(c, d, n);
}

static void range_generic(client *c, int rev) {
    const resp_arg *start_arg = &c->argv[rev ? 3 : 2], *end_arg = &c->argv[rev ? 2 : 3];
    stream_id start, end;
    int ex;
    if (parse_range_id(c, start_arg, 0, &start, &ex) < 0) return;
    if (ex && !stream_id_incr(&start)) {
        reply_error(c, "ERR invalid start ID for the interval");
        return;
    }
    if (parse_range_id(c, end_arg, UINT64_MAX, &end, &ex) < 0) return;
    if (ex && !stream_id_decr(&end)) {
        reply_error(c, "ERR invalid end ID for the interval");
        return;
    }
    long long count = -1;
    for (int j = 4; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            if (arg_ll(c, &c->argv[++j], &count) < 0) return;
            if (count < 0) count = 0;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    int wt;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_STREAM, &wt);
    if (wt) return;
    if (!e) {
        reply_empty_array(c);
        return;
    }
    if (count == 0) {
        reply_null_array(c);
        return;
    }
    reply_range(c, stream_of(e), &start, &end, count < 0 ? 0 : count, rev);
}

static void xrange_command(client *c) {
    range_generic(c, 0);
}

static void xrevrange_command(client *c) {
    range_generic(c, 1);
}

/* ------------------------------------------------------------------------ */
/* XREAD / XREADGROUP                                                        */
/* ------------------------------------------------------------------------ */

/* BLOCK milliseconds into an absolute deadline (0 = forever). */
static int parse_block_ms(client *c, const resp_arg *a, long long *deadline) {
    long long ms;
    if (arg_ll_range(c, a, LLONG_MIN, LLONG_MAX, &ms,
                     "ERR timeout is not an integer or out of range") < 0)
        return -1;
    if (ms < 0) {
        reply_error(c, "ERR timeout is negative");
        return -1;
    }
    if (ms > 0) {
        long long now = clock_cmd_ms();
        if (ms > LLONG_MAX - now) {
            reply_error(c, "ERR timeout is out of range");
            return -1;
        }
        ms += now;
    }
    *deadline = ms;
    return 0;
}

typedef struct xread_args {
    long long count;
    int block;
    long long deadline;
    int streams_arg, nstreams;
    const resp_arg *group, *consumer;
    int noack;
} xread_args;

static int parse_xread(client *c, xread_args *a, int group_cmd) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        const resp_arg *o = &c->argv[i];
        if (arg_is(o, "block") && more) {
            if (parse_block_ms(c, &c->argv[++i], &a->deadline) < 0) return -1;
            a->block = 1;
        } else if (arg_is(o, "count") && more) {
            if (arg_ll(c, &c->argv[++i], &a->count) < 0) return -1;
            if (a->count < 0) a->count = 0;
        } else if (arg_is(o, "streams") && more) {
            a->streams_arg = i + 1;
            int n = c->argc - a->streams_arg;
            if (n % 2) {
                reply_errorf(c,
                             "ERR Unbalanced '%s' list of streams: for each stream key an ID "
                             "or '%c' must be specified.",
                             group_cmd ? "xreadgroup" : "xread", group_cmd ? '>' : '$');
                return -1;
            }
            a->nstreams = n / 2;
            break;
        } else if (arg_is(o, "group") && more >= 2) {
            if (!group_cmd) {
                reply_error(c, "ERR The GROUP option is only supported by XREADGROUP. You "
                               "called XREAD instead.");
                return -1;
            }
            a->group = &c->argv[i + 1];
            a->consumer = &c->argv[i + 2];
            i += 2;
        } else if (arg_is(o, "noack")) {
            if (!group_cmd) {
                reply_error(c, "ERR The NOACK option is only supported by XREADGROUP. You "
                               "called XREAD instead.");
                return -1;
            }
            a->noack = 1;
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    if (!a->streams_arg) {
        reply_error_syntax(c);
        return -1;
    }
    if (group_cmd && !a->group) {
        reply_error(c, "ERR Missing GROUP option for XREADGROUP");
        return -1;
    }
    return 0;
}

static int arg_eq(const resp_arg *a, const char *s) {
    return a->len == strlen(s) && memcmp(a->ptr, s, a->len) == 0;
}

/* The IDs after which each stream is read; ">" is ID_MAX. A retry of a
 * blocked XREAD takes "$" from what the first run resolved. -1 after
 * replying an error. */
static int resolve_read_ids(client *c, const xread_args *a, stream_id *ids, stream_cg **groups,
                            const stream_id *saved) {
    for (int k = 0; k < a->nstreams; k++) {
        const resp_arg *key = &c->argv[a->streams_arg + k];
        const resp_arg *ida = &c->argv[a->streams_arg + a->nstreams + k];
        kv *e = lookup_read(c, key);
        if (e && e->type != TYPE_STREAM) {
            /* A retry finds the stream replaced: XREAD waits on, as if
             * it were absent; XREADGROUP fails below. */
            if (!(c->flags & CLIENT_BLOCKED)) {
                reply_error_wrongtype(c);
                return -1;
            }
            e = NULL;
        }
        if (a->group) {
            groups[k] = e ? stream_group_find(stream_of(e), a->group->ptr, a->group->len) : NULL;
            if (!groups[k]) {
                if (c->flags & CLIENT_BLOCKED)
                    reply_error(c, e ? "NOGROUP the consumer group this client was blocked on "
                                       "no longer exists"
                                     : "UNBLOCKED the stream key no longer exists");
                else
                    reply_errorf(c,
                                 "NOGROUP No such key '%.*s' or consumer group '%.*s' in "
                                 "XREADGROUP with GROUP option",
                                 (int)key->len, key->ptr, (int)a->group->len, a->group->ptr);
                return -1;
            }
        }
        if (arg_eq(ida, "$")) {
            if (a->group) {
                reply_error(c, "ERR The $ ID is meaningless in the context of XREADGROUP: you "
                               "want to read the history of this consumer by specifying a "
                               "proper ID, or use the > ID to get new messages. The $ ID would "
                               "just return an empty result set.");
                return -1;
            }
            if (saved)
                ids[k] = saved[k];
            else
                ids[k] = e ? stream_of(e)->last_id : ID_MIN;
        } else if (arg_eq(ida, ">")) {
            if (!a->group) {
                reply_error(c, "ERR The > ID can be specified only when calling XREADGROUP "
                               "using the GROUP <group> <consumer> option.");
                return -1;
            }
            ids[k] = ID_MAX;
        } else if (stream_id_arg(c, ida, 0, &ids[k]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* 1 when stream k can be served now; *after is then the ID to read after.
 * A first run serves when a live entry is newer; a retry of a blocked read
 * when the stream's last ID moved past (Redis 7.0 then replies even if the
 * new entries were deleted since, with an empty list). */
static int can_serve(stream *s, stream_cg *g, stream_id *after, int *history, int retry) {
    *history = 0;
    if (g && (after->ms != UINT64_MAX || after->seq != UINT64_MAX)) {
        *history = 1;
        return 1;
    }
    if (g) *after = g->last_id;
    if (retry) return stream_id_cmp(&s->last_id, after) > 0;
    if (!s->length) return 0;
    stream_id top;
    stream_last_valid_id(s, &top);
    return stream_id_cmp(&top, after) > 0;
}

static void free_saved_ids(void *p) {
    mem_free(p);
}

static void xread_generic(client *c, int group_cmd) {
    xread_args a;
    if (parse_xread(c, &a, group_cmd) < 0) return;
    int retry = (c->flags & CLIENT_BLOCKED) != 0;
    stream_id *ids = mem_alloc(sizeof(stream_id) * (size_t)a.nstreams);
    stream_cg **groups = a.group ? mem_calloc(sizeof(stream_cg *) * (size_t)a.nstreams) : NULL;
    const stream_id *saved = retry ? block_private(c) : NULL;
    if (resolve_read_ids(c, &a, ids, groups, saved) < 0) goto done;
    long long count = a.count;
    if (retry && !count) count = XREAD_BLOCKED_DEFAULT_COUNT;
    long served = 0;
    reply_deferred d = {0};
    for (int k = 0; k < a.nstreams; k++) {
        const resp_arg *key = &c->argv[a.streams_arg + k];
        kv *e = lookup_read(c, key);
        if (!e || e->type != TYPE_STREAM) continue;
        stream *s = stream_of(e);
        stream_id after = ids[k];
        int history;
        if (!can_serve(s, groups ? groups[k] : NULL, &after, &history, retry)) continue;
        if (served++ == 0) d = reply_defer(c);
        if (c->resp == 2) reply_array(c, 2);
        reply_bulk(c, key->ptr, key->len);
        stream_id start = after;
        if (!stream_id_incr(&start)) {
            reply_empty_array(c);
            continue;
        }
        if (groups)
            stream_group_serve(c, key, s, groups[k], a.consumer, &start, count, a.noack, history);
        else
            reply_range(c, s, &start, &ID_MAX, count, 0);
    }
    if (served) {
        if (c->resp == 2)
            reply_defer_array(c, d, served);
        else
            reply_defer_map(c, d, served);
        goto done;
    }
    if (a.block && block_allowed(c)) {
        const resp_arg *keys = &c->argv[a.streams_arg];
        if (!retry) {
            block_on_keys(c, keys, a.nstreams, TYPE_STREAM, a.deadline, BLOCK_REPLY_NULL_ARRAY);
            block_set_private(c, ids, free_saved_ids);
            ids = NULL;
        } else {
            block_on_keys(c, keys, a.nstreams, TYPE_STREAM, a.deadline, BLOCK_REPLY_NULL_ARRAY);
        }
        goto done;
    }
    reply_null_array(c);
done:
    mem_free(ids);
    mem_free(groups);
}

static void xread_command(client *c) {
    xread_generic(c, 0);
}

static void xreadgroup_command(client *c) {
    /* The read itself is never logged: stream_cg.c logs its effects. */
    propagate_suppress();
    xread_generic(c, 1);
}

/* Keys of XREAD/XREADGROUP: the first half of the arguments after STREAMS. */
static int xread_getkeys(int argc, const resp_arg *argv, int *keys, int max) {
    for (int i = 1; i < argc; i++) {
        if (argv[i].len == 7 && strncasecmp(argv[i].ptr, "streams", 7) == 0) {
            int n = argc - i - 1;
            if (n <= 0 || n % 2) return -1;
            int got = 0;
            for (int j = 0; j < n / 2 && got < max; j++) keys[got++] = i + 1 + j;
            return got;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

#define STREAM_CMD(name_, proc_, arity_, flags_, first_, last_, step_, since_, cx_, sum_)          \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = ACL_STREAM,         \
        .first_key = first_, .last_key = last_, .key_step = step_, .summary = sum_,                \
        .since = since_, .group = "stream", .complexity = cx_,                                     \
    }

static command stream_commands[] = {
    STREAM_CMD("xadd", xadd_command, -5, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1, "5.0.0",
               "O(1) to add; trimming is O(N) in the entries dropped.",
               "Appends an entry to a stream, creating the stream when absent."),
    STREAM_CMD("xtrim", xtrim_command, -4, CMD_WRITE, 1, 1, 1, "5.0.0",
               "O(N) in the entries removed.",
               "Cuts old entries off a stream by length or by minimum ID."),
    STREAM_CMD("xdel", xdel_command, -3, CMD_WRITE | CMD_FAST, 1, 1, 1, "5.0.0",
               "O(1) per ID deleted.",
               "Removes entries from a stream by ID."),
    STREAM_CMD("xlen", xlen_command, 2, CMD_READONLY | CMD_FAST, 1, 1, 1, "5.0.0", "O(1)",
               "Counts the entries of a stream."),
    STREAM_CMD("xsetid", xsetid_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, 1, 1, 1,
               "5.0.0", "O(1)",
               "Sets a stream's last ID and counters (used to replicate streams)."),
    STREAM_CMD("xrange", xrange_command, -4, CMD_READONLY, 1, 1, 1, "5.0.0",
               "O(N) in the entries returned.",
               "Lists the entries of a stream between two IDs, lowest first."),
    STREAM_CMD("xrevrange", xrevrange_command, -4, CMD_READONLY, 1, 1, 1, "5.0.0",
               "O(N) in the entries returned.",
               "Lists the entries of a stream between two IDs, highest first."),
    {.name = "xread", .proc = xread_command, .arity = -4,
     .flags = CMD_READONLY | CMD_BLOCKING, .acl = ACL_STREAM, .getkeys = xread_getkeys,
     .summary = "Reads entries newer than given IDs from one or more streams, optionally "
                "waiting for them.",
     .since = "5.0.0", .group = "stream",
     .complexity = "O(N) per stream in the entries returned."},
    {.name = "xreadgroup", .proc = xreadgroup_command, .arity = -7,
     .flags = CMD_WRITE | CMD_BLOCKING, .acl = ACL_STREAM, .getkeys = xread_getkeys,
     .summary = "Delivers new entries of a stream to a consumer of a group, or re-reads its "
                "pending ones; can wait.",
     .since = "5.0.0", .group = "stream",
     .complexity = "O(M) per stream in the entries returned."},
    {0},
};

void stream_cmds_register(void) {
    command_register(stream_commands);
}
