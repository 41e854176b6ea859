/*
 * sort.c - SORT and SORT_RO: sorting, slicing and projecting the elements
 * of a list, set or sorted set, optionally through other keys (BY/GET
 * patterns) and optionally storing the result as a list.
 *
 * Semantics follow Redis 7.0, including its quirks:
 *  - Options are parsed before the key is looked up, so a syntax error wins
 *    over WRONGTYPE; a missing key sorts as an empty list.
 *  - BY with a pattern without '*' means "don't sort": lists and sorted sets
 *    keep their order (DESC walks them backwards), sets keep their
 *    iteration order, except with STORE, where a set is sorted ALPHA so the
 *    stored result is deterministic.
 *  - Numeric sorting reads each weight with strtod() on the C string: a
 *    weight with trailing garbage, NaN or out of double range fails the
 *    command ("One or more scores can't be converted into double"); a
 *    missing BY key weighs 0. Equal weights are ordered by the element
 *    bytes. ALPHA without STORE compares as C strings (strcoll under the C
 *    locale: bytes up to the first NUL), ALPHA with STORE compares the full
 *    bytes; a missing BY value sorts first.
 *  - Patterns are read as C strings up to their first NUL when looking for
 *    '*' and "->" (as Redis does), but the hash field after "->" runs to
 *    the pattern's real end.
 *
 * Invariants:
 *  1. Elements are copied into one arena before anything else runs: BY/GET
 *     lookups may expire (delete) keys, the sorted key included, so no
 *     pointer into the keyspace outlives a lookup.
 *  2. The sort is stable (merge sort): elements that compare equal keep
 *     their source order, as glibc's qsort (a merge sort) keeps them.
 *
 * Called by: the dispatcher, through the table sort_register() installs.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "server/acl.h"
#include "server/blocking.h"
#include "server/effects.h"
#include "server/handler.h"
#include "types/hash.h"
#include "types/list.h"
#include "types/set.h"
#include "types/types.h"
/* Until the sorted-set family exports its reader, a sorted set sorts as
 * empty; the plain include replaces this once types/zset.h exists. */
#include "types/zset.h"

/* ---- the element arena ---- */

typedef struct sort_item {
    size_t off, len;   /* element bytes in the arena */
    size_t cmp_off;    /* ALPHA BY value in the arena, when has_cmp */
    size_t cmp_len;
    double score;
    int has_cmp;
} sort_item;

typedef struct sort_vec {
    char *bytes;
    size_t used, cap;
    sort_item *items;
    size_t n, icap;
    /* Only source positions lo..hi (inclusive) are kept (LIMIT on an
     * unsorted list or sorted set). */
    size_t pos, lo, hi;
} sort_vec;

static size_t arena_put(sort_vec *v, const char *s, size_t len) {
    if (v->cap - v->used < len) {
        size_t want = v->cap ? v->cap : 256;
        while (want - v->used < len) want *= 2;
        v->bytes = mem_realloc(v->bytes, want);
        v->cap = want;
    }
    size_t off = v->used;
    if (len) memcpy(v->bytes + off, s, len);
    v->used += len;
    return off;
}

static void collect_one(const char *s, size_t len, void *arg) {
    sort_vec *v = arg;
    size_t pos = v->pos++;
    if (pos < v->lo || pos > v->hi) return;
    if (v->n == v->icap) {
        v->icap = v->icap ? v->icap * 2 : 16;
        v->items = mem_realloc(v->items, v->icap * sizeof(*v->items));
    }
    sort_item *it = &v->items[v->n++];
    it->off = arena_put(v, s, len);
    it->len = len;
    it->score = 0;
    it->has_cmp = 0;
    it->cmp_off = it->cmp_len = 0;
}

static void vec_free(sort_vec *v) {
    mem_free(v->bytes);
    mem_free(v->items);
}

/* ---- patterns ---- */

/* Scratch buffers reused across the lookups of one command. */
typedef struct sort_scratch {
    char *key;
    size_t kcap;
    char num[32];   /* integer values formatted as text (>= LP_INTBUF, kv_str's 24) */
} sort_scratch;

static int is_hash_pattern_elem(const resp_arg *pat) {
    return pat->len >= 1 && pat->ptr[0] == '#' && (pat->len == 1 || pat->ptr[1] == '\0');
}

/* Resolves a BY/GET pattern for one element: "#" is the element itself;
 * otherwise the first '*' is replaced by the element to name a string key,
 * or, with "->field" after the '*', a field of a hash key. Returns 1 with
 * the value in *val and *vlen (valid until the next keyspace access), 0 when
 * the pattern has no '*' or the key/field is missing or of another type. */
static int pattern_value(client *c, sort_scratch *sc, const resp_arg *pat, const char *el,
                         size_t elen, const char **val, size_t *vlen) {
    if (is_hash_pattern_elem(pat)) {
        *val = el;
        *vlen = elen;
        return 1;
    }
    size_t clen = strnlen(pat->ptr, pat->len);
    const char *star = memchr(pat->ptr, '*', clen);
    if (!star) return 0;
    const char *field = NULL;
    size_t flen = 0, after = (size_t)(star - pat->ptr) + 1;
    const char *arrow = clen - after >= 2 ? memmem(star + 1, clen - after, "->", 2) : NULL;
    if (arrow && (size_t)(arrow - pat->ptr) + 2 < clen) {
        field = arrow + 2;
        flen = pat->len - (size_t)(field - pat->ptr);
    }
    size_t prefix = (size_t)(star - pat->ptr);
    size_t postfix = pat->len - after - (field ? flen + 2 : 0);
    size_t klen = prefix + elen + postfix;
    if (klen > sc->kcap) {
        sc->kcap = klen;
        sc->key = mem_realloc(sc->key, klen);
    }
    if (prefix) memcpy(sc->key, pat->ptr, prefix);
    if (elen) memcpy(sc->key + prefix, el, elen);
    if (postfix) memcpy(sc->key + prefix + elen, star + 1, postfix);

    resp_arg k = {sc->key, klen};
    kv *e = lookup_read(c, &k);
    if (!e) return 0;
    if (field) {
        if (e->type != TYPE_HASH) return 0;
        return hash_get_field(e, field, flen, val, vlen, sc->num);
    }
    if (e->type != TYPE_STRING) return 0;
    *val = kv_str(e, sc->num, vlen);
    return 1;
}

/* ---- comparison and the stable sort ---- */

typedef struct sort_ctx {
    const char *bytes;
    int desc, alpha, bypattern, store;
} sort_ctx;

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen) {
    size_t m = alen < blen ? alen : blen;
    int r = m ? memcmp(a, b, m) : 0;
    if (r) return r;
    return alen < blen ? -1 : alen > blen;
}

/* strcmp() on buffers that are not NUL-terminated: bytes up to the first NUL. */
static int cmp_cstr(const char *a, size_t alen, const char *b, size_t blen) {
    return cmp_bytes(a, strnlen(a, alen), b, strnlen(b, blen));
}

static int item_cmp(const sort_ctx *x, const sort_item *a, const sort_item *b) {
    int r;
    if (!x->alpha) {
        if (a->score > b->score) r = 1;
        else if (a->score < b->score) r = -1;
        else r = cmp_bytes(x->bytes + a->off, a->len, x->bytes + b->off, b->len);
    } else if (x->bypattern) {
        if (!a->has_cmp || !b->has_cmp) r = a->has_cmp - b->has_cmp;
        else if (x->store)
            r = cmp_bytes(x->bytes + a->cmp_off, a->cmp_len, x->bytes + b->cmp_off, b->cmp_len);
        else r = cmp_cstr(x->bytes + a->cmp_off, a->cmp_len, x->bytes + b->cmp_off, b->cmp_len);
    } else if (x->store) {
        r = cmp_bytes(x->bytes + a->off, a->len, x->bytes + b->off, b->len);
    } else {
        r = cmp_cstr(x->bytes + a->off, a->len, x->bytes + b->off, b->len);
    }
    return x->desc ? -r : r;
}

/* Bottom-up merge sort: stable, O(n log n), one scratch array. */
static void stable_sort(const sort_ctx *x, sort_item *v, size_t n) {
    if (n < 2) return;
    sort_item *tmp = mem_alloc(n * sizeof(*tmp));
    sort_item *src = v, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = item_cmp(x, &src[j], &src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        sort_item *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof(*v));
    mem_free(tmp);
}

/* Redis reads weights with strtod() on a NUL-terminated string: it stops at
 * an embedded NUL and accepts leading spaces, hex and "inf". Returns 0 on a
 * conversion error. */
static int parse_weight(char **buf, size_t *cap, const char *s, size_t len, double *out) {
    if (len + 1 > *cap) {
        *cap = len + 1;
        *buf = mem_realloc(*buf, *cap);
    }
    if (len) memcpy(*buf, s, len);
    (*buf)[len] = '\0';
    char *end;
    errno = 0;
    double d = strtod(*buf, &end);
    *out = d;
    return !(*end != '\0' || errno == ERANGE || isnan(d));
}

/* ---- the command ---- */

typedef struct sort_opts {
    int desc, alpha, dontsort;
    long long limit_start, limit_count;
    const resp_arg *by, *store;
    int first_get, ngets;   /* GET patterns are argv[first_get..], every other argument */
    int *gets;              /* argv indexes of the GET patterns */
} sort_opts;

static int has_star(const resp_arg *a) {
    return memchr(a->ptr, '*', strnlen(a->ptr, a->len)) != NULL;
}

/* Parses argv[2..]; replies the error and returns -1 on a bad option. */
static int parse_opts(client *c, int readonly, sort_opts *o) {
    for (int j = 2; j < c->argc; j++) {
        const resp_arg *a = &c->argv[j];
        int left = c->argc - j - 1;
        if (arg_is(a, "asc")) {
            o->desc = 0;
        } else if (arg_is(a, "desc")) {
            o->desc = 1;
        } else if (arg_is(a, "alpha")) {
            o->alpha = 1;
        } else if (arg_is(a, "limit") && left >= 2) {
            if (arg_ll(c, &c->argv[j + 1], &o->limit_start) < 0 ||
                arg_ll(c, &c->argv[j + 2], &o->limit_count) < 0)
                return -1;
            j += 2;
        } else if (!readonly && arg_is(a, "store") && left >= 1) {
            o->store = &c->argv[++j];
        } else if (arg_is(a, "by") && left >= 1) {
            o->by = &c->argv[++j];
            o->dontsort = !has_star(o->by);
            /* BY and GET patterns read other keys: only for users who may read any key. */
            if (!o->dontsort && !acl_client_reads_any_key(c)) {
                reply_error(c, "ERR BY option of SORT denied due to insufficient ACL permissions.");
                return -1;
            }
        } else if (arg_is(a, "get") && left >= 1) {
            if (!acl_client_reads_any_key(c)) {
                reply_error(c, "ERR GET option of SORT denied due to insufficient ACL permissions.");
                return -1;
            }
            o->gets[o->ngets++] = ++j;
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    return 0;
}

static size_t source_length(const kv *e) {
    switch (e->type) {
    case TYPE_LIST: return list_length(e);
    case TYPE_SET: return set_size(e);
    default: return zset_size(e);
    }
}

static void source_foreach(const kv *e, sort_vec *v) {
    switch (e->type) {
    case TYPE_LIST: list_foreach(e, collect_one, v); break;
    case TYPE_SET: set_foreach(e, collect_one, v); break;
    default: zset_foreach(e, collect_one, v); break;
    }
}

/* One output value: the element itself or a GET pattern's value. Sends it
 * to the client or appends it to the list being stored. */
static void emit(client *c, kv *dst, const char *s, size_t len, int found) {
    if (dst) list_push_tail(dst, found ? s : "", found ? len : 0);
    else if (found) reply_bulk(c, s, len);
    else reply_null(c);
}

static void log_pushed(const char *s, size_t len, void *arg) {
    effect_batch_add(arg, s, len);
}

/* A set's elements come in hash order, and BY ALPHA ties (equal or missing
 * weights) keep that order, which a replay need not reproduce: the stored
 * list is logged as it came out (DEL, then RPUSHes). */
static void log_stored_list(client *c, const resp_arg *key, const kv *dst) {
    effect_log_del(c->dbid, key);
    effect_batch b;
    effect_batch_start(&b, c->dbid, "RPUSH", key);
    list_foreach(dst, log_pushed, &b);
    effect_batch_finish(&b);
}

static void store_result(client *c, const resp_arg *key, kv *dst, long long outputlen,
                         int log_contents) {
    if (outputlen > 0) {
        /* After db_set: replacing a key whose time had passed logs its DEL,
         * which must come before the new contents. */
        db_set(c->db, dst, 0);
        if (log_contents) log_stored_list(c, key, dst);
        key_modified(c, key->ptr, key->len);
        if (outputlen > 1) server_dirty_add(outputlen - 1);
        db_notify(NOTIFY_LIST, "sortstore", c->db, key->ptr, key->len);
        signal_key_ready(c->db, key->ptr, key->len);
    } else {
        kv_free(dst);
        if (db_delete(c->db, key->ptr, key->len)) {
            if (log_contents) effect_log_del(c->dbid, key);
            key_modified(c, key->ptr, key->len);
            db_notify(NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
        }
    }
    reply_int(c, outputlen);
}

static void sort_generic(client *c, int readonly) {
    sort_opts o = {.limit_count = -1};
    /* At most one GET per two arguments. */
    o.gets = mem_alloc(sizeof(int) * (size_t)(c->argc / 2 + 1));
    if (parse_opts(c, readonly, &o) < 0) {
        mem_free(o.gets);
        return;
    }
    kv *e = lookup_read(c, &c->argv[1]);
    if (e && e->type != TYPE_LIST && e->type != TYPE_SET && e->type != TYPE_ZSET) {
        reply_error_wrongtype(c);
        mem_free(o.gets);
        return;
    }
    int type = e ? (int)e->type : TYPE_LIST;
    if (type == TYPE_ZSET) zset_to_skiplist(e);
    const resp_arg *by = o.by;
    if (o.dontsort && type == TYPE_SET && o.store) {
        /* A stored result must not depend on the set's iteration order. */
        o.dontsort = 0;
        o.alpha = 1;
        by = NULL;
    }

    /* LIMIT, clamped as Redis clamps it. */
    long long len = e ? (long long)source_length(e) : 0;
    long long start = o.limit_start < 0 ? 0 : o.limit_start;
    if (start > len) start = len;
    long long count = o.limit_count < -1 ? -1 : o.limit_count;
    if (count > len) count = len;
    long long end = count < 0 ? len : start + count - 1;
    if (start >= len) {
        start = len - 1;
        end = len - 2;
    }
    if (end >= len) end = len - 1;

    sort_vec v = {.lo = 0, .hi = (size_t)-1};
    int ordered_src = type == TYPE_LIST || type == TYPE_ZSET;
    if (e && o.dontsort && ordered_src) {
        /* Only the selected range is kept; DESC reads it from the tail. */
        if (end >= start) {
            v.lo = (size_t)(o.desc ? len - 1 - end : start);
            v.hi = (size_t)(o.desc ? len - 1 - start : end);
            source_foreach(e, &v);
            if (o.desc)
                for (size_t i = 0, k = v.n ? v.n - 1 : 0; i < k; i++, k--) {
                    sort_item t = v.items[i];
                    v.items[i] = v.items[k];
                    v.items[k] = t;
                }
        }
        end -= start;
        start = 0;
    } else if (e) {
        source_foreach(e, &v);
    }
    e = NULL;   /* lookups below may delete it */

    sort_scratch sc = {0};
    int conv_error = 0;
    if (!o.dontsort) {
        char *nbuf = NULL;
        size_t ncap = 0;
        for (size_t j = 0; j < v.n; j++) {
            sort_item *it = &v.items[j];
            const char *val = v.bytes + it->off;
            size_t vlen = it->len;
            if (by && !pattern_value(c, &sc, by, v.bytes + it->off, it->len, &val, &vlen))
                continue;
            if (o.alpha) {
                if (by) {
                    it->cmp_len = vlen;
                    it->cmp_off = arena_put(&v, val, vlen);
                    it->has_cmp = 1;
                }
            } else if (!parse_weight(&nbuf, &ncap, val, vlen, &it->score)) {
                conv_error = 1;
            }
        }
        mem_free(nbuf);
        sort_ctx x = {v.bytes, o.desc, o.alpha, by != NULL, o.store != NULL};
        stable_sort(&x, v.items, v.n);
    }

    long long span = end - start + 1;
    long long outputlen = o.ngets ? o.ngets * span : span;
    if (conv_error) {
        reply_error(c, "ERR One or more scores can't be converted into double");
    } else {
        kv *dst = o.store ? list_new_from(o.store->ptr, o.store->len) : NULL;
        if (!dst) reply_array(c, outputlen);
        for (long long j = start; j <= end; j++) {
            const sort_item *it = &v.items[j];
            if (!o.ngets) emit(c, dst, v.bytes + it->off, it->len, 1);
            for (int g = 0; g < o.ngets; g++) {
                const char *val = NULL;
                size_t vlen = 0;
                int found = pattern_value(c, &sc, &c->argv[o.gets[g]], v.bytes + it->off,
                                          it->len, &val, &vlen);
                emit(c, dst, val, vlen, found);
            }
        }
        if (dst) store_result(c, o.store, dst, outputlen, type == TYPE_SET);
    }
    mem_free(sc.key);
    vec_free(&v);
    mem_free(o.gets);
}

static void sort_command(client *c) {
    sort_generic(c, 0);
}

static void sort_ro_command(client *c) {
    sort_generic(c, 1);
}

/* The sorted key, then the STORE destination (the last one given), skipping
 * the arguments of LIMIT/GET/BY the way Redis's key extraction does. */
static int sort_getkeys(int argc, const resp_arg *argv, int *keys, int max) {
    int n = 0, store = -1;
    if (max < 1) return 0;
    keys[n++] = 1;
    for (int i = 2; i < argc; i++) {
        if (arg_is(&argv[i], "limit")) i += 2;
        else if (arg_is(&argv[i], "get") || arg_is(&argv[i], "by")) i += 1;
        else if (arg_is(&argv[i], "store") && i + 1 < argc) store = i + 1;
    }
    if (store > 0 && n < max) keys[n++] = store;
    return n;
}

static int sort_ro_getkeys(int argc, const resp_arg *argv, int *keys, int max) {
    (void)argc;
    (void)argv;
    if (max < 1) return 0;
    keys[0] = 1;
    return 1;
}

static const char sort_cx[] =
    "O(N+M*log(M)) for N input elements and M returned; O(N) without sorting.";

static command sort_commands[] = {
    {.name = "sort", .proc = sort_command, .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM,
     .acl = ACL_SET | ACL_SORTEDSET | ACL_LIST | ACL_DANGEROUS, .first_key = 1, .last_key = 1,
     .key_step = 1, .getkeys = sort_getkeys,
     .summary = "Orders the elements of a list, set or sorted set, and can store the outcome as a "
                "list.",
     .since = "1.0.0", .group = "generic", .complexity = sort_cx},
    {.name = "sort_ro", .proc = sort_ro_command, .arity = -2, .flags = CMD_READONLY,
     .acl = ACL_SET | ACL_SORTEDSET | ACL_LIST | ACL_DANGEROUS, .first_key = 1, .last_key = 1,
     .key_step = 1, .getkeys = sort_ro_getkeys,
     .summary = "Orders the elements of a list, set or sorted set, without storing anything.",
     .since = "7.0.0", .group = "generic", .complexity = sort_cx},
    {.name = NULL},
};

void sort_register(void) {
    command_register(sort_commands);
}
