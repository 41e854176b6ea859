/*
 * string.c - the string commands: SET and its variants, GET and its
 * variants, counters, ranges, APPEND and LCS.
 *
 * Values live in kv entries in one of three encodings (kv.h): ENC_INT for
 * canonical integers, ENC_EMBSTR for short strings stored inside the entry,
 * ENC_RAW for a dstr held by pointer. A value written from an argument
 * (SET, MSET, GETSET...) gets the encoding kv_new_string picks, as Redis's
 * tryObjectEncoding would. Values edited in place (APPEND, SETRANGE) become
 * ENC_RAW and are then grown in their dstr, so repeated appends cost
 * amortised O(1) and never copy the entry. Counters (INCR family) are
 * stored as ENC_INT.
 *
 * TTL rules follow Redis: SET (without KEEPTTL), SETNX, GETSET and MSET drop
 * the TTL; INCR*, INCRBYFLOAT, APPEND and SETRANGE keep it.
 *
 * Invariants:
 *  1. A kv pointer is not used after a keyspace write other than the one it
 *     is the subject of (db_set/db_add/db_delete may free or move entries).
 *  2. No string grows beyond proto-max-bulk-len (and never beyond
 *     DSTR_MAX_LEN, whatever the configuration says).
 *  3. Every change calls key_modified() once per key and raises the
 *     keyspace event Redis raises.
 *
 * GET and SET without options are the hot path of every benchmark: one
 * lookup (or none, for SET) and no allocation beyond the new entry.
 *
 * Called by: the dispatcher, through the table string_register() installs.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ds/dstr.h"
#include "ds/mem.h"
#include "ds/numconv.h"
#include "server/config.h"
#include "server/effects.h"
#include "server/handler.h"
#include "types/types.h"

/* Room for the decimal text of an ENC_INT value (kv_str wants >= 24). */
#define INT_BUF 32

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                            */
/* ------------------------------------------------------------------------ */

/* The largest string a command may create. */
static long long string_max_len(void) {
    long long lim = cfg->proto_max_bulk_len;
    if (lim < 0 || (unsigned long long)lim > DSTR_MAX_LEN) lim = (long long)DSTR_MAX_LEN;
    return lim;
}

/* Redis's checkStringLength: replies the error when size+append would pass
 * the limit (overflow included). */
static int check_string_length(client *c, long long size, long long append) {
    long long total = (long long)((uint64_t)size + (uint64_t)append);
    if (total > string_max_len() || total < size || total < append) {
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return -1;
    }
    return 0;
}

static void reply_expire_error(client *c, const char *cmdname) {
    reply_errorf(c, "ERR invalid expire time in '%s' command", cmdname);
}

/* Turns an EX/PX/EXAT/PXAT argument into an absolute unix time in ms with
 * Redis's checks: the number must be positive, seconds must not overflow
 * when scaled, and relative times must not overflow when the current time
 * is added. Replies the error and returns -1 when invalid. */
static int expire_arg_ms(client *c, const resp_arg *a, int seconds, int relative,
                         const char *cmdname, long long *out) {
    long long v;
    if (arg_ll(c, a, &v) < 0) return -1;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
        reply_expire_error(c, cmdname);
        return -1;
    }
    if (seconds) v *= 1000;
    if (relative) {
        long long now = clock_cmd_ms();
        if (now > 0 && v > LLONG_MAX - now) {
            reply_expire_error(c, cmdname);
            return -1;
        }
        v += now;
    }
    if (v <= 0) {
        reply_expire_error(c, cmdname);
        return -1;
    }
    *out = v;
    return 0;
}

/* The value of e as a new dstr, for edits that turn a value raw. */
static dstr *string_to_dstr(const kv *e) {
    char buf[INT_BUF];
    size_t len;
    const char *p = kv_str(e, buf, &len);
    return dstr_new(p, len);
}

/* Reads a string key for a command that replies its value first: NULL with
 * the WRONGTYPE error replied (*err = 1) or with nothing replied (*err = 0,
 * key absent). */
static kv *lookup_string(client *c, const resp_arg *key, int write, int *err) {
    return write ? lookup_write_type(c, key, TYPE_STRING, err)
                 : lookup_read_type(c, key, TYPE_STRING, err);
}

/* ------------------------------------------------------------------------ */
/* SET family                                                                */
/* ------------------------------------------------------------------------ */

enum {
    SO_NX = 1 << 0,
    SO_XX = 1 << 1,
    SO_GET = 1 << 2,
    SO_KEEPTTL = 1 << 3,
    SO_PERSIST = 1 << 4,
    SO_EX = 1 << 5,
    SO_PX = 1 << 6,
    SO_EXAT = 1 << 7,
    SO_PXAT = 1 << 8,
};
#define SO_ANY_EXPIRE (SO_EX | SO_PX | SO_EXAT | SO_PXAT)

static int expire_keyword(const resp_arg *a) {
    if (a->len < 2 || a->len > 4) return 0;
    if (arg_is(a, "ex")) return SO_EX;
    if (arg_is(a, "px")) return SO_PX;
    if (arg_is(a, "exat")) return SO_EXAT;
    if (arg_is(a, "pxat")) return SO_PXAT;
    return 0;
}

/* Options of SET (for_set = 1) and GETEX (0) from argv[first], with
 * Redis's rule set: repeating an option is fine, combining exclusive ones
 * (NX/XX, two different expire forms, KEEPTTL or PERSIST with an expire)
 * is a syntax error. Replies the error and returns -1 on failure. */
static int parse_set_options(client *c, int first, int for_set, int *flags,
                             const resp_arg **expire) {
    int f = 0;
    *expire = NULL;
    for (int j = first; j < c->argc; j++) {
        const resp_arg *a = &c->argv[j];
        int has_next = j + 1 < c->argc;
        int ex;
        if (for_set && arg_is(a, "nx") && !(f & SO_XX)) {
            f |= SO_NX;
        } else if (for_set && arg_is(a, "xx") && !(f & SO_NX)) {
            f |= SO_XX;
        } else if (for_set && arg_is(a, "get")) {
            f |= SO_GET;
        } else if (for_set && arg_is(a, "keepttl") && !(f & (SO_PERSIST | SO_ANY_EXPIRE))) {
            f |= SO_KEEPTTL;
        } else if (!for_set && arg_is(a, "persist") && !(f & (SO_KEEPTTL | SO_ANY_EXPIRE))) {
            f |= SO_PERSIST;
        } else if (has_next && (ex = expire_keyword(a)) != 0 &&
                   !(f & (SO_KEEPTTL | SO_PERSIST | (SO_ANY_EXPIRE & ~ex)))) {
            f |= ex;
            *expire = &c->argv[++j];
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    *flags = f;
    return 0;
}

/* A SET that wrote logs what it did, not what it was asked: the expire as
 * an absolute PXAT (relative forms would move on replay), KEEPTTL when
 * asked, and no NX/XX/GET, whose conditions already held. */
static void log_set_effect(client *c, const resp_arg *key, const resp_arg *val, int flags,
                           long long when_ms) {
    effect e;
    effect_start(&e, "SET");
    effect_add_arg(&e, key);
    effect_add_arg(&e, val);
    if (flags & SO_KEEPTTL) effect_add_str(&e, "KEEPTTL");
    if (when_ms) {
        effect_add_str(&e, "PXAT");
        effect_add_ll(&e, when_ms);
    }
    effect_log(&e, c->dbid);
}

/* What SET, SETNX, SETEX and PSETEX share. flags are SO_*; expire is the
 * time argument (NULL for none); int_reply selects SETNX's 1/0 replies
 * instead of OK/nil. */
static void set_generic(client *c, int flags, const resp_arg *key, const resp_arg *val,
                        const resp_arg *expire, const char *cmdname, int int_reply) {
    long long when = 0;
    if (expire && expire_arg_ms(c, expire, flags & (SO_EX | SO_EXAT), flags & (SO_EX | SO_PX),
                                cmdname, &when) < 0)
        return;

    int found;
    if (flags & SO_GET) {
        int err;
        kv *old = lookup_string(c, key, 0, &err);
        if (err) return;
        if (old)
            reply_kv_str(c, old);
        else
            reply_null(c);
        found = old != NULL;
    } else {
        /* The lookup also deletes an expired key, so KEEPTTL never moves a
         * TTL that has already passed onto the new value. */
        found = lookup_write(c, key) != NULL;
    }

    if (((flags & SO_NX) && found) || ((flags & SO_XX) && !found)) {
        if (!(flags & SO_GET)) {
            if (int_reply)
                reply_int(c, 0);
            else
                reply_null(c);
        }
        return;
    }

    kv *e = kv_new_string(key->ptr, key->len, val->ptr, val->len);
    if (found)
        db_set(c->db, e, (flags & SO_KEEPTTL) != 0);
    else
        db_add(c->db, e);
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_STRING, "set", c->db, key->ptr, key->len);
    if (expire) {
        /* e is the live entry: nothing was written since db_set. A time in
         * the past is stored as is; the key then expires on its next
         * access, as in Redis 7.0. */
        db_set_expire(c->db, e, when);
        db_notify(NOTIFY_GENERIC, "expire", c->db, key->ptr, key->len);
    }
    log_set_effect(c, key, val, flags, expire ? when : 0);
    if (!(flags & SO_GET)) {
        if (int_reply)
            reply_int(c, 1);
        else
            reply_ok(c);
    }
}

static void set_command(client *c) {
    const resp_arg *key = &c->argv[1], *val = &c->argv[2];
    if (c->argc == 3) {
        /* Hot path: no options, so no lookup is needed; db_set adds or
         * replaces and drops any TTL. */
        kv *e = kv_new_string(key->ptr, key->len, val->ptr, val->len);
        db_set(c->db, e, 0);
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_STRING, "set", c->db, key->ptr, key->len);
        reply_ok(c);
        return;
    }
    int flags;
    const resp_arg *expire;
    if (parse_set_options(c, 3, 1, &flags, &expire) < 0) return;
    set_generic(c, flags, key, val, expire, "set", 0);
}

static void setnx_command(client *c) {
    set_generic(c, SO_NX, &c->argv[1], &c->argv[2], NULL, "setnx", 1);
}

static void setex_command(client *c) {
    set_generic(c, SO_EX, &c->argv[1], &c->argv[3], &c->argv[2], "setex", 0);
}

static void psetex_command(client *c) {
    set_generic(c, SO_PX, &c->argv[1], &c->argv[3], &c->argv[2], "psetex", 0);
}

/* ------------------------------------------------------------------------ */
/* GET family                                                                */
/* ------------------------------------------------------------------------ */

static void get_command(client *c) {
    kv *e = lookup_read(c, &c->argv[1]);
    if (!e) {
        reply_null(c);
        return;
    }
    if (e->type != TYPE_STRING) {
        reply_error_wrongtype(c);
        return;
    }
    reply_kv_str(c, e);
}

static void getex_command(client *c) {
    const resp_arg *key = &c->argv[1];
    int flags, err;
    const resp_arg *expire;
    if (parse_set_options(c, 2, 0, &flags, &expire) < 0) return;

    kv *e = lookup_string(c, key, 0, &err);
    if (err) return;
    if (!e) {
        reply_null(c);
        return;
    }
    long long when = 0;
    if (expire && expire_arg_ms(c, expire, flags & (SO_EX | SO_EXAT), flags & (SO_EX | SO_PX),
                                "getex", &when) < 0)
        return;

    reply_kv_str(c, e);

    if ((flags & (SO_EXAT | SO_PXAT)) && when <= clock_cmd_ms()) {
        /* An absolute time already past deletes the key now. */
        db_delete(c->db, key->ptr, key->len);
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
        effect_log_del(c->dbid, key);
    } else if (expire) {
        db_set_expire(c->db, e, when);
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_GENERIC, "expire", c->db, key->ptr, key->len);
        effect_log_pexpireat(c->dbid, key, when);
    } else if (flags & SO_PERSIST) {
        if (db_persist(c->db, e)) {
            key_modified(c, key->ptr, key->len);
            db_notify(NOTIFY_GENERIC, "persist", c->db, key->ptr, key->len);
            effect_log_key_only(c->dbid, "PERSIST", key);
        }
    }
}

static void getdel_command(client *c) {
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_string(c, key, 0, &err);
    if (err) return;
    if (!e) {
        reply_null(c);
        return;
    }
    reply_kv_str(c, e);
    if (db_delete(c->db, key->ptr, key->len)) {
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_GENERIC, "del", c->db, key->ptr, key->len);
    }
}

static void getset_command(client *c) {
    const resp_arg *key = &c->argv[1], *val = &c->argv[2];
    int err;
    kv *old = lookup_string(c, key, 0, &err);
    if (err) return;
    if (old)
        reply_kv_str(c, old);
    else
        reply_null(c);
    /* The reply holds a copy, so the old entry may go now. */
    kv *e = kv_new_string(key->ptr, key->len, val->ptr, val->len);
    if (old)
        db_set(c->db, e, 0);
    else
        db_add(c->db, e);
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_STRING, "set", c->db, key->ptr, key->len);
}

static void mget_command(client *c) {
    reply_array(c, c->argc - 1);
    for (int j = 1; j < c->argc; j++) {
        kv *e = lookup_read(c, &c->argv[j]);
        if (e && e->type == TYPE_STRING)
            reply_kv_str(c, e);
        else
            reply_null(c);
    }
}

static void mset_generic(client *c, int nx) {
    if (c->argc % 2 == 0) {
        reply_error_arity(c);
        return;
    }
    if (nx) {
        for (int j = 1; j < c->argc; j += 2) {
            if (lookup_write(c, &c->argv[j])) {
                reply_int(c, 0);
                return;
            }
        }
    }
    for (int j = 1; j < c->argc; j += 2) {
        const resp_arg *key = &c->argv[j], *val = &c->argv[j + 1];
        kv *e = kv_new_string(key->ptr, key->len, val->ptr, val->len);
        db_set(c->db, e, 0);
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_STRING, "set", c->db, key->ptr, key->len);
    }
    if (nx)
        reply_int(c, 1);
    else
        reply_ok(c);
}

static void mset_command(client *c) {
    mset_generic(c, 0);
}

static void msetnx_command(client *c) {
    mset_generic(c, 1);
}

static void strlen_command(client *c) {
    int err;
    kv *e = lookup_string(c, &c->argv[1], 0, &err);
    if (err) return;
    reply_int(c, e ? (long long)kv_strlen(e) : 0);
}

/* GETRANGE and SUBSTR: Redis 7.0's index rules, including "both negative
 * and start after end is empty" and clamping a too-negative end to 0. */
static void getrange_command(client *c) {
    long long start, end;
    if (arg_ll(c, &c->argv[2], &start) < 0) return;
    if (arg_ll(c, &c->argv[3], &end) < 0) return;
    int err;
    kv *e = lookup_string(c, &c->argv[1], 0, &err);
    if (err) return;
    if (!e) {
        reply_bulk(c, "", 0);
        return;
    }
    char buf[INT_BUF];
    size_t slen;
    const char *s = kv_str(e, buf, &slen);
    long long len = (long long)slen;

    if ((start < 0 && end < 0 && start > end) || len == 0) {
        reply_bulk(c, "", 0);
        return;
    }
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end) {
        reply_bulk(c, "", 0);
        return;
    }
    reply_bulk(c, s + start, (size_t)(end - start + 1));
}

/* ------------------------------------------------------------------------ */
/* In-place edits                                                            */
/* ------------------------------------------------------------------------ */

static void append_command(client *c) {
    const resp_arg *key = &c->argv[1], *val = &c->argv[2];
    int err;
    kv *e = lookup_string(c, key, 1, &err);
    if (err) return;

    size_t total;
    if (!e) {
        /* A new key is written like SET would write it. */
        e = kv_new_string(key->ptr, key->len, val->ptr, val->len);
        db_add(c->db, e);
        total = val->len;
    } else {
        size_t olen = kv_strlen(e);
        if (check_string_length(c, (long long)olen, (long long)val->len) < 0) return;
        if (e->enc == ENC_RAW) {
            dstr *s = kv_ptr(e);
            dstr *ns = dstr_append(s, val->ptr, val->len);
            if (ns != s) kv_set_ptr(e, ns);
            total = ns->len;
        } else {
            dstr *s = string_to_dstr(e);
            s = dstr_append(s, val->ptr, val->len);
            total = s->len;
            db_set(c->db, kv_new_raw(key->ptr, key->len, s), 1);
        }
    }
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_STRING, "append", c->db, key->ptr, key->len);
    reply_int(c, (long long)total);
}

static void setrange_command(client *c) {
    const resp_arg *key = &c->argv[1], *val = &c->argv[3];
    long long offset;
    if (arg_ll(c, &c->argv[2], &offset) < 0) return;
    if (offset < 0) {
        reply_error(c, "ERR offset is out of range");
        return;
    }
    int err;
    kv *e = lookup_string(c, key, 1, &err);
    if (err) return;

    size_t total;
    if (!e) {
        /* Writing nothing on a missing key creates nothing. */
        if (val->len == 0) {
            reply_int(c, 0);
            return;
        }
        if (check_string_length(c, offset, (long long)val->len) < 0) return;
        dstr *s = dstr_new_zero((size_t)offset + val->len);
        memcpy(s->buf + offset, val->ptr, val->len);
        total = s->len;
        db_add(c->db, kv_new_raw(key->ptr, key->len, s));
    } else {
        size_t olen = kv_strlen(e);
        if (val->len == 0) {
            reply_int(c, (long long)olen);
            return;
        }
        if (check_string_length(c, offset, (long long)val->len) < 0) return;
        size_t need = (size_t)offset + val->len;
        if (e->enc == ENC_RAW) {
            dstr *s = kv_ptr(e);
            dstr *ns = dstr_grow_zero(s, need);
            if (ns != s) kv_set_ptr(e, ns);
            memcpy(ns->buf + offset, val->ptr, val->len);
            total = ns->len;
        } else {
            dstr *s = string_to_dstr(e);
            s = dstr_grow_zero(s, need);
            memcpy(s->buf + offset, val->ptr, val->len);
            total = s->len;
            db_set(c->db, kv_new_raw(key->ptr, key->len, s), 1);
        }
    }
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_STRING, "setrange", c->db, key->ptr, key->len);
    reply_int(c, (long long)total);
}

/* ------------------------------------------------------------------------ */
/* Counters                                                                  */
/* ------------------------------------------------------------------------ */

static void incr_generic(client *c, long long incr) {
    const resp_arg *key = &c->argv[1];
    int err;
    kv *e = lookup_string(c, key, 1, &err);
    if (err) return;

    long long v = 0;
    if (e) {
        if (e->enc == ENC_INT) {
            v = kv_int(e);
        } else {
            char buf[INT_BUF];
            size_t len;
            const char *s = kv_str(e, buf, &len);
            if (!numconv_str2ll(s, len, &v)) {
                reply_error_not_int(c);
                return;
            }
        }
    }
    if (__builtin_add_overflow(v, incr, &v)) {
        reply_error_overflow(c);
        return;
    }
    if (e && e->enc == ENC_INT) {
        kv_set_int(e, v); /* a counter stays where it is: no allocation */
    } else {
        /* A new entry keeps the TTL through db_set. */
        kv *ne = kv_new_int(key->ptr, key->len, v);
        if (e)
            db_set(c->db, ne, 1);
        else
            db_add(c->db, ne);
    }
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_STRING, "incrby", c->db, key->ptr, key->len);
    reply_int(c, v);
}

static void incr_command(client *c) {
    incr_generic(c, 1);
}

static void decr_command(client *c) {
    incr_generic(c, -1);
}

static void incrby_command(client *c) {
    long long incr;
    if (arg_ll(c, &c->argv[2], &incr) < 0) return;
    incr_generic(c, incr);
}

static void decrby_command(client *c) {
    long long incr;
    if (arg_ll(c, &c->argv[2], &incr) < 0) return;
    if (incr == LLONG_MIN) {
        reply_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -incr);
}

static void incrbyfloat_command(client *c) {
    const resp_arg *key = &c->argv[1], *arg = &c->argv[2];
    int err;
    kv *e = lookup_string(c, key, 1, &err);
    if (err) return;

    long double v = 0, incr;
    if (e) {
        if (e->enc == ENC_INT) {
            v = (long double)kv_int(e);
        } else {
            char buf[INT_BUF];
            size_t len;
            const char *s = kv_str(e, buf, &len);
            if (!numconv_str2ld(s, len, &v)) {
                reply_error_not_float(c);
                return;
            }
        }
    }
    if (!numconv_str2ld(arg->ptr, arg->len, &incr)) {
        reply_error_not_float(c);
        return;
    }
    v += incr;
    if (isnan(v) || isinf(v)) {
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char out[NUMCONV_LD_BUFSIZE];
    size_t olen = numconv_ld2str(out, sizeof(out), v);
    kv *ne = kv_new_string_text(key->ptr, key->len, out, olen);
    if (e)
        db_set(c->db, ne, 1);
    else
        db_add(c->db, ne);
    key_modified(c, key->ptr, key->len);
    db_notify(NOTIFY_STRING, "incrbyfloat", c->db, key->ptr, key->len);
    /* The sum is logged, not the increment: float arithmetic and its
     * formatting need not give the same text on replay. */
    effect ef;
    effect_start(&ef, "SET");
    effect_add_arg(&ef, key);
    effect_add(&ef, out, olen);
    effect_add_str(&ef, "KEEPTTL");
    effect_log(&ef, c->dbid);
    reply_bulk(c, out, olen);
}

/* ------------------------------------------------------------------------ */
/* LCS                                                                       */
/* ------------------------------------------------------------------------ */

/* Emits one IDX match: [[a_start, a_end], [b_start, b_end], (len)]. */
static void lcs_reply_range(client *c, uint32_t as, uint32_t ae, uint32_t bs, uint32_t be,
                            int withlen) {
    reply_array(c, 2 + withlen);
    reply_array(c, 2);
    reply_int(c, as);
    reply_int(c, ae);
    reply_array(c, 2);
    reply_int(c, bs);
    reply_int(c, be);
    if (withlen) reply_int(c, (long long)(ae - as + 1));
}

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN].
 * The classic O(N*M) dynamic programming table, then a walk back from the
 * end that rebuilds the sequence and the matching ranges from last to
 * first, as Redis reports them. The table is transient memory; like Redis
 * we refuse it when it would pass proto-max-bulk-len. */
static void lcs_command(client *c) {
    const resp_arg *ka = &c->argv[1], *kb = &c->argv[2];
    kv *ea = lookup_read(c, ka);
    kv *eb = lookup_read(c, kb);
    if ((ea && ea->type != TYPE_STRING) || (eb && eb->type != TYPE_STRING)) {
        reply_error(c, "ERR The specified keys must contain string values");
        return;
    }
    /* The second lookup may have deleted an expired key: take the first
     * entry again rather than trust a pointer across that write. */
    if (ea) ea = db_lookup(c->db, ka->ptr, ka->len, LOOKUP_NOTOUCH | LOOKUP_NOSTATS);

    int getlen = 0, getidx = 0, withmatchlen = 0;
    long long minmatchlen = 0;
    for (int j = 3; j < c->argc; j++) {
        const resp_arg *o = &c->argv[j];
        int more = c->argc - 1 - j;
        if (arg_is(o, "idx")) {
            getidx = 1;
        } else if (arg_is(o, "len")) {
            getlen = 1;
        } else if (arg_is(o, "withmatchlen")) {
            withmatchlen = 1;
        } else if (arg_is(o, "minmatchlen") && more) {
            if (arg_ll(c, &c->argv[j + 1], &minmatchlen) < 0) return;
            if (minmatchlen < 0) minmatchlen = 0;
            j++;
        } else {
            reply_error_syntax(c);
            return;
        }
    }
    if (getidx && getlen) {
        reply_error(c, "ERR If you want both the length and indexes, please just use IDX.");
        return;
    }

    char bufa[INT_BUF], bufb[INT_BUF];
    size_t la = 0, lb = 0;
    const char *a = ea ? kv_str(ea, bufa, &la) : "";
    const char *b = eb ? kv_str(eb, bufb, &lb) : "";
    if (la >= UINT32_MAX - 1 || lb >= UINT32_MAX - 1) {
        reply_error(c, "ERR String too long for LCS");
        return;
    }
    uint32_t alen = (uint32_t)la, blen = (uint32_t)lb;
    /* (alen+1)*(blen+1) < 2^64 given the 32-bit bounds above. */
    unsigned long long cells = (unsigned long long)(alen + 1ULL) * (blen + 1ULL);
    unsigned long long bytes = cells * sizeof(uint32_t);
    if (bytes / sizeof(uint32_t) != cells || bytes >= SIZE_MAX) {
        reply_error(c, "ERR Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    if (bytes > (unsigned long long)cfg->proto_max_bulk_len) {
        reply_error(c, "ERR Insufficient memory, transient memory for LCS exceeds "
                       "proto-max-bulk-len");
        return;
    }
    size_t w = (size_t)blen + 1;
    uint32_t *t = mem_alloc((size_t)bytes);
#define LCS_AT(i, j) t[(size_t)(i)*w + (j)]
    for (uint32_t j = 0; j <= blen; j++)
        LCS_AT(0, j) = 0;
    for (uint32_t i = 1; i <= alen; i++) {
        uint32_t *row = &LCS_AT(i, 0), *prev = &LCS_AT(i - 1, 0);
        unsigned char ca = (unsigned char)a[i - 1];
        row[0] = 0;
        for (uint32_t j = 1; j <= blen; j++) {
            if (ca == (unsigned char)b[j - 1])
                row[j] = prev[j - 1] + 1;
            else
                row[j] = prev[j] > row[j - 1] ? prev[j] : row[j - 1];
        }
    }
    uint32_t total = LCS_AT(alen, blen);

    if (getlen) {
        reply_int(c, total);
        mem_free(t);
        return;
    }

    char *seq = getidx ? NULL : mem_alloc(total ? total : 1);
    reply_deferred arr = {0};
    long nranges = 0;
    if (getidx) {
        reply_map(c, 2);
        reply_bulk_cstr(c, "matches");
        arr = reply_defer(c);
    }

    /* Walk back. A range is open while consecutive diagonal matches extend
     * it; it is emitted when a mismatch step follows it or when it reaches
     * the start of either string. */
    uint32_t i = alen, j = blen, k = total;
    int open = 0;
    uint32_t as = 0, ae = 0, bs = 0, be = 0;
    while (i > 0 && j > 0) {
        int emit = 0;
        if (a[i - 1] == b[j - 1]) {
            if (seq) seq[k - 1] = a[i - 1];
            if (!open) {
                open = 1;
                as = ae = i - 1;
                bs = be = j - 1;
            } else {
                as--;
                bs--;
            }
            if (as == 0 || bs == 0) emit = 1;
            k--;
            i--;
            j--;
        } else {
            if (LCS_AT(i - 1, j) > LCS_AT(i, j - 1))
                i--;
            else
                j--;
            if (open) emit = 1;
        }
        if (emit) {
            if (getidx && (minmatchlen == 0 || (long long)(ae - as + 1) >= minmatchlen)) {
                lcs_reply_range(c, as, ae, bs, be, withmatchlen);
                nranges++;
            }
            open = 0;
        }
    }
#undef LCS_AT
    mem_free(t);

    if (getidx) {
        reply_bulk_cstr(c, "len");
        reply_int(c, total);
        reply_defer_array(c, arr, nranges);
    } else {
        reply_bulk(c, seq, total);
        mem_free(seq);
    }
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

#define W_FAST (CMD_WRITE | CMD_DENYOOM | CMD_FAST)
#define ACL_W_FAST (ACL_WRITE | ACL_STRING | ACL_FAST)
#define ACL_W_SLOW (ACL_WRITE | ACL_STRING | ACL_SLOW)
#define ACL_R_FAST (ACL_READ | ACL_STRING | ACL_FAST)
#define ACL_R_SLOW (ACL_READ | ACL_STRING | ACL_SLOW)

/* The fields COMMAND INFO and COMMAND DOCS report, in one line per command. */
#define STRING_CMD(name_, proc_, arity_, flags_, acl_, first_, last_, step_, since_, cx_, sum_)    \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = acl_,               \
        .first_key = first_, .last_key = last_, .key_step = step_, .summary = sum_,                \
        .since = since_, .group = "string", .complexity = cx_                                      \
    }

static const char cx_o1[] = "O(1)";
static const char cx_range[] =
    "O(N) in the length of the reply, which is close to O(1) for short ranges.";

static command string_commands[] = {
    STRING_CMD("get", get_command, 2, CMD_READONLY | CMD_FAST, ACL_R_FAST, 1, 1, 1, "1.0.0", cx_o1,
               "Reads the string stored at a key."),
    STRING_CMD("set", set_command, -3, CMD_WRITE | CMD_DENYOOM, ACL_W_SLOW, 1, 1, 1, "1.0.0", cx_o1,
               "Stores a string at a key, whatever the key held before."),
    STRING_CMD("getex", getex_command, -2, CMD_WRITE | CMD_FAST, ACL_W_FAST, 1, 1, 1, "6.2.0",
               cx_o1, "Reads a string and changes or clears its key's expiry."),
    STRING_CMD("getdel", getdel_command, 2, CMD_WRITE | CMD_FAST, ACL_W_FAST, 1, 1, 1, "6.2.0",
               cx_o1, "Reads a string and removes its key."),
    STRING_CMD("getset", getset_command, 3, W_FAST, ACL_W_FAST, 1, 1, 1, "1.0.0", cx_o1,
               "Stores a new string at a key and replies with the one it replaced."),
    STRING_CMD("setnx", setnx_command, 3, W_FAST, ACL_W_FAST, 1, 1, 1, "1.0.0", cx_o1,
               "Stores a string at a key unless the key exists."),
    STRING_CMD("setex", setex_command, 4, CMD_WRITE | CMD_DENYOOM, ACL_W_SLOW, 1, 1, 1, "2.0.0",
               cx_o1, "Stores a string at a key with a time to live in seconds."),
    STRING_CMD("psetex", psetex_command, 4, CMD_WRITE | CMD_DENYOOM, ACL_W_SLOW, 1, 1, 1, "2.6.0",
               cx_o1, "Stores a string at a key with a time to live in milliseconds."),
    STRING_CMD("mget", mget_command, -2, CMD_READONLY | CMD_FAST, ACL_R_FAST, 1, -1, 1, "1.0.0",
               "O(N) in the keys read.", "Reads the strings of several keys at once."),
    STRING_CMD("mset", mset_command, -3, CMD_WRITE | CMD_DENYOOM, ACL_W_SLOW, 1, -1, 2, "1.0.1",
               "O(N) in the keys written.", "Stores strings at several keys in one step."),
    STRING_CMD("msetnx", msetnx_command, -3, CMD_WRITE | CMD_DENYOOM, ACL_W_SLOW, 1, -1, 2, "1.0.1",
               "O(N) in the keys written.",
               "Stores strings at several keys in one step, only if none of them exists."),
    STRING_CMD("append", append_command, 3, W_FAST, ACL_W_FAST, 1, 1, 1, "2.0.0",
               "O(1) amortized for a small appended value, whatever the size of the existing one: "
               "each reallocation doubles the spare room.",
               "Adds bytes to the end of a string value, creating the key when absent."),
    STRING_CMD("strlen", strlen_command, 2, CMD_READONLY | CMD_FAST, ACL_R_FAST, 1, 1, 1, "2.2.0",
               cx_o1, "Gives the byte length of a string."),
    STRING_CMD("getrange", getrange_command, 4, CMD_READONLY, ACL_R_SLOW, 1, 1, 1, "2.4.0",
               cx_range, "Reads a byte range of a string."),
    STRING_CMD("substr", getrange_command, 4, CMD_READONLY, ACL_R_SLOW, 1, 1, 1, "1.0.0", cx_range,
               "Reads a byte range of a string (an older name of GETRANGE)."),
    STRING_CMD(
        "setrange", setrange_command, 4, CMD_WRITE | CMD_DENYOOM, ACL_W_SLOW, 1, 1, 1, "2.2.0",
        "O(1) plus copying the value in: O(M) for a value of M bytes, so O(1) for short ones.",
        "Writes bytes into a string at an offset, padding with zeros and creating the key as "
        "needed."),
    STRING_CMD("incr", incr_command, 2, W_FAST, ACL_W_FAST, 1, 1, 1, "1.0.0", cx_o1,
               "Adds one to a key's integer, counting from 0 when the key is absent."),
    STRING_CMD("decr", decr_command, 2, W_FAST, ACL_W_FAST, 1, 1, 1, "1.0.0", cx_o1,
               "Subtracts one from a key's integer, counting from 0 when the key is absent."),
    STRING_CMD("incrby", incrby_command, 3, W_FAST, ACL_W_FAST, 1, 1, 1, "1.0.0", cx_o1,
               "Adds an amount to a key's integer, counting from 0 when the key is absent."),
    STRING_CMD("decrby", decrby_command, 3, W_FAST, ACL_W_FAST, 1, 1, 1, "1.0.0", cx_o1,
               "Subtracts an amount from a key's integer, counting from 0 when the key is absent."),
    STRING_CMD("incrbyfloat", incrbyfloat_command, 3, W_FAST, ACL_W_FAST, 1, 1, 1, "2.6.0", cx_o1,
               "Adds a decimal amount to a key's number, counting from 0 when the key is absent."),
    STRING_CMD("lcs", lcs_command, -3, CMD_READONLY, ACL_R_SLOW, 1, 2, 1, "7.0.0",
               "O(N*M) for strings of lengths N and M",
               "Computes the longest common subsequence of two strings."),
    {.name = NULL},
};

void string_register(void) {
    command_register(string_commands);
}
