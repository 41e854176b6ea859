/*
 * dump.c - DUMP/RESTORE payload encoding and verification (see dump.h and
 * docs/FORMATS.md).
 *
 * Invariants:
 *  1. Nothing in the body is read before the version and checksum pass.
 *  2. Every read goes through dump_reader, which never moves past `end`;
 *     a decoder therefore cannot over-read, whatever the lengths claim.
 *  3. A payload decodes only if the body is consumed exactly.
 *
 * The codec table is indexed by kv type; strings are built in, and the
 * other types add theirs at registration time (before any client runs).
 */
#include "types/dump.h"

#include <string.h>

#include "ds/crc32c.h"
#include "ds/mem.h"

/* ---- bounded reader ---- */

int dump_get_u8(dump_reader *r, uint8_t *out) {
    if (r->p >= r->end) return -1;
    *out = *r->p++;
    return 0;
}

int dump_get_varint(dump_reader *r, uint64_t *out) {
    const unsigned char *p = r->p;
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= r->end) return -1;
        unsigned char b = *p++;
        /* The tenth byte may only carry the top bit of a 64-bit value. */
        if (shift == 63 && b > 1) return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            /* Refuse overlong forms so each value has one encoding. */
            if (b == 0 && shift > 0) return -1;
            r->p = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

int dump_get_svarint(dump_reader *r, int64_t *out) {
    uint64_t u;
    if (dump_get_varint(r, &u) < 0) return -1;
    *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

int dump_get_blob(dump_reader *r, const char **p, size_t *len) {
    dump_reader save = *r;
    uint64_t n;
    if (dump_get_varint(r, &n) < 0) return -1;
    if (n > dump_remaining(r)) {
        *r = save;
        return -1;
    }
    *p = (const char *)r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

/* ---- writers ---- */

void dump_put_u8(dstr **out, uint8_t v) {
    *out = dstr_append(*out, (const char *)&v, 1);
}

void dump_put_varint(dstr **out, uint64_t v) {
    char buf[10];
    size_t n = 0;
    do {
        unsigned char b = v & 0x7f;
        v >>= 7;
        buf[n++] = (char)(v ? b | 0x80 : b);
    } while (v);
    *out = dstr_append(*out, buf, n);
}

void dump_put_svarint(dstr **out, int64_t v) {
    dump_put_varint(out, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void dump_put_blob(dstr **out, const char *p, size_t len) {
    dump_put_varint(out, len);
    *out = dstr_append(*out, p, len);
}

/* ---- strings ---- */

/* Hints of the string body. The decoded entry picks its encoding from the
 * bytes as SET would, so a hint only says how the bytes were written. */
enum { STR_HINT_BYTES = 0, STR_HINT_INT = 1 };

static uint8_t string_encode(const kv *e, dstr **out) {
    if (e->enc == ENC_INT) {
        dump_put_svarint(out, kv_int(e));
        return STR_HINT_INT;
    }
    char buf[24];
    size_t len;
    const char *s = kv_str(e, buf, &len);
    dump_put_blob(out, s, len);
    return STR_HINT_BYTES;
}

static kv *string_decode(const char *key, size_t klen, uint8_t hint, dump_reader *r) {
    if (hint == STR_HINT_INT) {
        int64_t v;
        if (dump_get_svarint(r, &v) < 0) return NULL;
        return kv_new_int(key, klen, v);
    }
    if (hint == STR_HINT_BYTES) {
        const char *p;
        size_t len;
        if (dump_get_blob(r, &p, &len) < 0) return NULL;
        return kv_new_string(key, klen, p, len);
    }
    return NULL;
}

static const dump_type_ops string_ops = {string_encode, string_decode};

static const dump_type_ops *codecs[TYPE_COUNT] = {[TYPE_STRING] = &string_ops};

void dump_register_type(int type, const dump_type_ops *ops) {
    if (type >= 0 && type < TYPE_COUNT) codecs[type] = ops;
}

/* ---- payload ---- */

static void put_le(unsigned char *p, uint32_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le(const unsigned char *p, int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}

dstr *dump_encode(const kv *e) {
    const dump_type_ops *ops = codecs[e->type]; /* a 4-bit field: always < TYPE_COUNT */
    if (!ops || !ops->encode) return NULL;
    dstr *out = dstr_new(NULL, 0);
    /* type, then a placeholder for the hint the encoder returns */
    unsigned char head[2] = {(unsigned char)e->type, 0};
    out = dstr_append(out, (const char *)head, 2);
    uint8_t hint = ops->encode(e, &out);
    out->buf[1] = (char)hint;
    dump_put_footer(&out);
    return out;
}

void dump_put_footer(dstr **out) {
    unsigned char foot[DUMP_FOOTER_LEN];
    put_le(foot, DUMP_VERSION, 2);
    *out = dstr_append(*out, (const char *)foot, 2);
    put_le(foot + 2, crc32c(0, (*out)->buf, (*out)->len), 4);
    *out = dstr_append(*out, (const char *)foot + 2, 4);
}

int dump_verify(const char *p, size_t len) {
    if (len < DUMP_MIN_LEN) return DUMP_ERR_CHECKSUM;
    const unsigned char *u = (const unsigned char *)p;
    if (get_le(u + len - 6, 2) != DUMP_VERSION) return DUMP_ERR_CHECKSUM;
    if (get_le(u + len - 4, 4) != crc32c(0, p, len - 4)) return DUMP_ERR_CHECKSUM;
    return DUMP_OK;
}

int dump_decode(const char *p, size_t len, const char *key, size_t klen, kv **out) {
    int rc = dump_verify(p, len);
    if (rc != DUMP_OK) return rc;
    const unsigned char *u = (const unsigned char *)p;
    uint8_t type = u[0], hint = u[1];
    const dump_type_ops *ops = type < TYPE_COUNT ? codecs[type] : NULL;
    if (!ops || !ops->decode) return DUMP_ERR_FORMAT;
    dump_reader r = {u + 2, u + len - DUMP_FOOTER_LEN};
    kv *e = ops->decode(key, klen, hint, &r);
    if (!e) return DUMP_ERR_FORMAT;
    if (r.p != r.end) {
        kv_free(e);
        return DUMP_ERR_FORMAT;
    }
    *out = e;
    return DUMP_OK;
}
