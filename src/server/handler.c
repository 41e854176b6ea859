/*
 * handler.c - helpers shared by command handlers (see handler.h).
 */
#include "server/handler.h"

#include <strings.h>

#include "ds/numconv.h"
#include "server/stats.h"

static int touch_flags(const client *c) {
    return (c->flags & CLIENT_NO_TOUCH) ? LOOKUP_NOTOUCH : 0;
}

kv *lookup_read(client *c, const resp_arg *key) {
    return db_lookup(c->db, key->ptr, key->len, touch_flags(c));
}

kv *lookup_write(client *c, const resp_arg *key) {
    return db_lookup(c->db, key->ptr, key->len, touch_flags(c) | LOOKUP_NOSTATS);
}

static kv *check_type(client *c, kv *e, int type, int *wrongtype) {
    *wrongtype = 0;
    if (e && e->type != (unsigned)type) {
        *wrongtype = 1;
        reply_error_wrongtype(c);
        return NULL;
    }
    return e;
}

kv *lookup_read_type(client *c, const resp_arg *key, int type, int *wrongtype) {
    return check_type(c, lookup_read(c, key), type, wrongtype);
}

kv *lookup_write_type(client *c, const resp_arg *key, int type, int *wrongtype) {
    return check_type(c, lookup_write(c, key), type, wrongtype);
}

int arg_is(const resp_arg *a, const char *keyword) {
    size_t n = strlen(keyword);
    return a->len == n && strncasecmp(a->ptr, keyword, n) == 0;
}

int arg_ll(client *c, const resp_arg *a, long long *out) {
    if (!numconv_str2ll(a->ptr, a->len, out)) {
        reply_error_not_int(c);
        return -1;
    }
    return 0;
}

int arg_ll_range(client *c, const resp_arg *a, long long min, long long max, long long *out,
                 const char *msg) {
    long long v;
    if (!numconv_str2ll(a->ptr, a->len, &v) || v < min || v > max) {
        if (msg)
            reply_error(c, msg);
        else
            reply_error_not_int(c);
        return -1;
    }
    *out = v;
    return 0;
}

int arg_ld(client *c, const resp_arg *a, long double *out) {
    if (!numconv_str2ld(a->ptr, a->len, out)) {
        reply_error_not_float(c);
        return -1;
    }
    return 0;
}

int arg_double(client *c, const resp_arg *a, double *out) {
    if (!numconv_str2d(a->ptr, a->len, out)) {
        reply_error_not_float(c);
        return -1;
    }
    return 0;
}

int rank_range(long long *start, long long *end, long long len) {
    if (*start < 0) *start += len;
    if (*end < 0) *end += len;
    if (*start < 0) *start = 0;
    if (*start > *end || *start >= len) return 0;
    if (*end >= len) *end = len - 1;
    return 1;
}

void key_modified(client *c, const char *key, size_t klen) {
    stats.dirty++;
    db_touch_key(c->db, key, klen);
}

void server_dirty_add(long long n) {
    stats.dirty += n;
}

long long server_dirty(void) {
    return stats.dirty;
}
