/*
 * kv.c - keyspace entries (see kv.h for the layout and invariants).
 *
 * All offsets are computed from keylen, so the struct has no padding to
 * waste: a 16-byte key with a 3-byte value is one 37-byte allocation.
 */
#include "server/kv.h"

#include <stdlib.h>

#include "ds/dstr.h"
#include "ds/mem.h"
#include "ds/numconv.h"
#include "proto/resp.h"

static const kv_type_ops *type_ops[TYPE_COUNT];

void kv_register_type(int type, const kv_type_ops *ops) {
    if (type < 0 || type >= TYPE_COUNT) abort();
    type_ops[type] = ops;
}

const char *kv_type_name(int type) {
    if (type == TYPE_STRING) return "string";
    if (type >= 0 && type < TYPE_COUNT && type_ops[type]) return type_ops[type]->name;
    return "none";
}

const char *kv_encoding_name(int enc) {
    switch (enc) {
    case ENC_RAW: return "raw";
    case ENC_INT: return "int";
    case ENC_HASHTABLE: return "hashtable";
    case ENC_INTSET: return "intset";
    case ENC_SKIPLIST: return "skiplist";
    case ENC_EMBSTR: return "embstr";
    case ENC_QUICKLIST: return "quicklist";
    case ENC_STREAM: return "stream";
    case ENC_LISTPACK: return "listpack";
    default: return "unknown";
    }
}

static inline char *value_part(const kv *e) {
    return (char *)e->data + e->keylen;
}

/* Allocates an entry with room for `extra` value bytes and copies the key. */
static kv *kv_alloc(const char *key, size_t klen, size_t extra, int type, int enc) {
    if (klen > (1u << 30) - 1) abort(); /* bounded by proto-max-bulk-len long before */
    kv *e = mem_alloc(sizeof(kv) + klen + extra);
    e->node.next = NULL;
    e->type = (unsigned)type;
    e->enc = (unsigned)enc;
    e->lru = 0;
    e->keylen = (uint32_t)klen;
    e->expire = 0;
    e->spare = 0;
    memcpy(e->data, key, klen);
    return e;
}

kv *kv_new_int(const char *key, size_t klen, long long v) {
    kv *e = kv_alloc(key, klen, sizeof(long long), TYPE_STRING, ENC_INT);
    memcpy(value_part(e), &v, sizeof v);
    return e;
}

static kv *kv_new_embstr(const char *key, size_t klen, const char *val, size_t vlen) {
    kv *e = kv_alloc(key, klen, 1 + vlen + 1, TYPE_STRING, ENC_EMBSTR);
    char *p = value_part(e);
    p[0] = (char)(unsigned char)vlen;
    memcpy(p + 1, val, vlen);
    p[1 + vlen] = '\0';
    return e;
}

kv *kv_new_ptr(const char *key, size_t klen, int type, int enc, void *ptr_take) {
    kv *e = kv_alloc(key, klen, sizeof(void *), type, enc);
    memcpy(value_part(e), &ptr_take, sizeof ptr_take);
    return e;
}

kv *kv_new_raw(const char *key, size_t klen, struct dstr *val_take) {
    return kv_new_ptr(key, klen, TYPE_STRING, ENC_RAW, val_take);
}

kv *kv_new_string_text(const char *key, size_t klen, const char *val, size_t vlen) {
    if (vlen <= KV_EMBSTR_MAX) return kv_new_embstr(key, klen, val, vlen);
    return kv_new_raw(key, klen, dstr_new(val, vlen));
}

kv *kv_new_string(const char *key, size_t klen, const char *val, size_t vlen) {
    long long v;
    if (vlen <= KV_INT_MAX_DIGITS && numconv_is_canonical_int(val, vlen, &v))
        return kv_new_int(key, klen, v);
    return kv_new_string_text(key, klen, val, vlen);
}

long long kv_int(const kv *e) {
    long long v;
    memcpy(&v, value_part(e), sizeof v);
    return v;
}

void kv_set_int(kv *e, long long v) {
    memcpy(value_part(e), &v, sizeof v);
}

void *kv_ptr(const kv *e) {
    void *p;
    memcpy(&p, value_part(e), sizeof p);
    return p;
}

void kv_set_ptr(kv *e, void *ptr) {
    memcpy(value_part(e), &ptr, sizeof ptr);
}

const char *kv_str(const kv *e, char *buf, size_t *len) {
    switch (e->enc) {
    case ENC_INT:
        *len = resp_ll2str(buf, kv_int(e));
        return buf;
    case ENC_EMBSTR: {
        const char *p = value_part(e);
        *len = (unsigned char)p[0];
        return p + 1;
    }
    default: {
        const dstr *s = kv_ptr(e);
        *len = s->len;
        return s->buf;
    }
    }
}

size_t kv_strlen(const kv *e) {
    char buf[24];
    size_t len;
    kv_str(e, buf, &len);
    return len;
}

static void value_free(const kv *e) {
    if (e->type == TYPE_STRING) {
        if (e->enc == ENC_RAW) dstr_free(kv_ptr(e));
        return;
    }
    const kv_type_ops *ops = type_ops[e->type];
    if (ops && ops->free) ops->free(kv_ptr(e), e->enc);
}

void kv_free(kv *e) {
    if (!e) return;
    value_free(e);
    mem_free(e);
}

void kv_free_shell(kv *e) {
    mem_free(e);
}

/* Size of the value part for entries whose value lives inside the entry. */
static size_t inline_value_size(const kv *e) {
    if (e->enc == ENC_INT) return sizeof(long long);
    if (e->enc == ENC_EMBSTR) return 1 + (unsigned char)value_part(e)[0] + 1;
    return sizeof(void *);
}

kv *kv_rekey(const kv *e, const char *key, size_t klen) {
    size_t vsize = inline_value_size(e);
    kv *n = kv_alloc(key, klen, vsize, e->type, e->enc);
    memcpy(value_part(n), value_part(e), vsize);
    n->lru = e->lru;
    return n;
}

kv *kv_dup(const kv *e, const char *key, size_t klen) {
    kv *n = kv_rekey(e, key, klen);
    if (e->enc == ENC_INT || e->enc == ENC_EMBSTR) return n;
    if (e->type == TYPE_STRING) {
        const dstr *s = kv_ptr(e);
        kv_set_ptr(n, dstr_new(s->buf, s->len));
    } else {
        const kv_type_ops *ops = type_ops[e->type];
        if (!ops || !ops->dup) abort(); /* every registered type can be copied */
        kv_set_ptr(n, ops->dup(kv_ptr(e), e->enc));
    }
    return n;
}

size_t kv_mem_usage(const kv *e) {
    size_t n = mem_usable((void *)e);
    if (e->enc == ENC_INT || e->enc == ENC_EMBSTR) return n;
    if (e->type == TYPE_STRING) return n + dstr_alloc_size(kv_ptr(e));
    const kv_type_ops *ops = type_ops[e->type];
    if (ops && ops->mem_usage) n += ops->mem_usage(kv_ptr(e), e->enc);
    return n;
}
