/*
 * hll.c - HyperLogLog: PFADD, PFCOUNT, PFMERGE and PFDEBUG.
 *
 * The value is a string whose bytes are exactly those Redis 7.0 produces
 * for the same additions (see hll.h and docs/FORMATS.md), so HLLs move
 * between the two servers with GET/SET, DUMP/RESTORE or snapshots:
 *  - elements are hashed with MurmurHash64A, seed 0xadc83b19; the low 14
 *    bits pick a register, the position of the first 1 bit in the rest
 *    (at most 51) is the run length it holds if larger;
 *  - a new HLL is sparse: opcodes ZERO (00llllll, 1..64 empty registers),
 *    XZERO (01llllll llllllll, 1..16384 empty registers) and VAL
 *    (1vvvvvll, 1..4 registers holding 1..32). Splitting a run and merging
 *    equal neighbours follow the same steps as Redis, so the opcodes come
 *    out identical. It becomes dense (6 bits per register, little-endian
 *    bit packing) when a value above 32 arrives or the string would pass
 *    hll-sparse-max-bytes. An XZERO cut short by the end of the string
 *    reads the terminating NUL every value has as its second byte, which
 *    is what Redis does, so corrupt values fail (or not) alike;
 *  - the count is Ertl's estimator from the register histogram, and is
 *    cached in the header until the next change.
 *
 * Every write is deterministic and logged as received, except PFCOUNT's
 * cache update (see pfcount_command).
 *
 * Called by: the dispatcher, through the table hll_register() installs.
 */
#include "types/hll.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "persist/effects.h"
#include "server/config.h"
#include "types/bitmap.h"
#include "types/types.h"

#define HLL_Q (64 - HLL_P) /* hash bits left after the index */
#define HLL_REGISTER_MAX ((1 << HLL_BITS) - 1)
#define HLL_ALPHA_INF 0.721347520444481703680 /* 0.5 / ln(2) */
#define HLL_HASH_SEED 0xadc83b19ULL

/* Sparse opcodes. */
#define SP_VAL_MAX_VALUE 32
#define SP_VAL_MAX_LEN 4
#define SP_ZERO_MAX_LEN 64
#define SP_XZERO_MAX_LEN 16384
#define SP_IS_ZERO(p) ((*(p)&0xc0) == 0)
#define SP_IS_XZERO(p) ((*(p)&0xc0) == 0x40)
#define SP_IS_VAL(p) (*(p)&0x80)
#define SP_ZERO_LEN(p) ((*(p)&0x3f) + 1)
#define SP_XZERO_LEN(p) ((((*(p)&0x3f) << 8) | *((p) + 1)) + 1)
#define SP_VAL_VALUE(p) (((*(p) >> 2) & 0x1f) + 1)
#define SP_VAL_LEN(p) ((*(p)&0x3) + 1)

/* Header fields. */
#define HDR_ENCODING 4
#define HDR_CARD 8

static const char err_not_hll[] = "WRONGTYPE Key is not a valid HyperLogLog string value.";
static const char err_corrupt[] = "INVALIDOBJ Corrupted HLL object detected";

static void sp_set_val(uint8_t *p, int val, int len) {
    *p = (uint8_t)(0x80 | ((val - 1) << 2) | (len - 1));
}
static void sp_set_zero(uint8_t *p, int len) {
    *p = (uint8_t)(len - 1);
}
static void sp_set_xzero(uint8_t *p, int len) {
    *p = (uint8_t)(0x40 | ((len - 1) >> 8));
    p[1] = (uint8_t)((len - 1) & 0xff);
}

/* ------------------------------------------------------------------------ */
/* Hashing                                                                   */
/* ------------------------------------------------------------------------ */

uint64_t hll_murmur64a(const void *key, size_t len, uint64_t seed) {
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    /* Redis passes the length as an int; elements are far below 2^31. */
    uint64_t h = seed ^ ((uint64_t)(int)len * m);
    const uint8_t *data = key;
    const uint8_t *end = data + (len - (len & 7));
    for (; data != end; data += 8) {
        uint64_t k = 0;
        for (int i = 7; i >= 0; i--)
            k = (k << 8) | data[i]; /* little-endian on any host */
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    size_t rest = len & 7;
    if (rest) {
        for (size_t i = rest; i-- > 0;)
            h ^= (uint64_t)data[i] << (8 * i);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

int hll_pattern(const unsigned char *ele, size_t len, long *index) {
    uint64_t hash = hll_murmur64a(ele, len, HLL_HASH_SEED);
    *index = (long)(hash & (HLL_REGISTERS - 1));
    hash >>= HLL_P;
    hash |= (uint64_t)1 << HLL_Q; /* bounds the count at Q + 1 */
    return __builtin_ctzll(hash) + 1;
}

/* ------------------------------------------------------------------------ */
/* Dense registers: 6 bits each, register i at bit 6i, low bits first        */
/* ------------------------------------------------------------------------ */

static int dense_get(const uint8_t *regs, long i) {
    size_t byte = (size_t)i * HLL_BITS / 8;
    int fb = (int)((size_t)i * HLL_BITS & 7);
    unsigned v = regs[byte] >> fb;
    /* A register at bit 0 or 2 of its byte fits in it; reading the next
     * byte then would pass the end of the last register. */
    if (fb > 8 - HLL_BITS) v |= (unsigned)regs[byte + 1] << (8 - fb);
    return (int)(v & HLL_REGISTER_MAX);
}

static void dense_put(uint8_t *regs, long i, int val) {
    size_t byte = (size_t)i * HLL_BITS / 8;
    int fb = (int)((size_t)i * HLL_BITS & 7);
    regs[byte] = (uint8_t)((regs[byte] & ~(HLL_REGISTER_MAX << fb)) | (val << fb));
    if (fb > 8 - HLL_BITS) {
        int hb = 8 - fb;
        regs[byte + 1] = (uint8_t)((regs[byte + 1] & ~(HLL_REGISTER_MAX >> hb)) | (val >> hb));
    }
}

/* Raises register i to count; 1 when it changed. */
static int dense_raise(uint8_t *regs, long i, int count) {
    if (dense_get(regs, i) >= count) return 0;
    dense_put(regs, i, count);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Representation                                                            */
/* ------------------------------------------------------------------------ */

static void invalidate_cache(dstr *s) {
    s->buf[HDR_CARD + 7] = (char)((uint8_t)s->buf[HDR_CARD + 7] | 0x80);
}

dstr *hll_new(void) {
    size_t len = HLL_HDR_SIZE + (HLL_REGISTERS + SP_XZERO_MAX_LEN - 1) / SP_XZERO_MAX_LEN * 2;
    dstr *s = dstr_new_zero(len);
    memcpy(s->buf, "HYLL", 4);
    s->buf[HDR_ENCODING] = HLL_ENC_SPARSE;
    uint8_t *p = (uint8_t *)s->buf + HLL_HDR_SIZE;
    for (int left = HLL_REGISTERS; left > 0; left -= SP_XZERO_MAX_LEN, p += 2)
        sp_set_xzero(p, left < SP_XZERO_MAX_LEN ? left : SP_XZERO_MAX_LEN);
    return s;
}

int hll_is_valid(const unsigned char *p, size_t len) {
    if (len < HLL_HDR_SIZE || memcmp(p, "HYLL", 4) != 0) return 0;
    if (p[HDR_ENCODING] > HLL_ENC_SPARSE) return 0;
    if (p[HDR_ENCODING] == HLL_ENC_DENSE && len != HLL_DENSE_SIZE) return 0;
    return 1;
}

int hll_to_dense(dstr **sp) {
    dstr *s = *sp;
    if (s->buf[HDR_ENCODING] == HLL_ENC_DENSE) return 0;
    dstr *d = dstr_new_zero(HLL_DENSE_SIZE);
    /* Magic, unused bytes and the cached count carry over. */
    memcpy(d->buf, s->buf, HLL_HDR_SIZE);
    d->buf[HDR_ENCODING] = HLL_ENC_DENSE;
    uint8_t *regs = (uint8_t *)d->buf + HLL_HDR_SIZE;
    const uint8_t *p = (const uint8_t *)s->buf + HLL_HDR_SIZE,
                  *end = (const uint8_t *)s->buf + s->len;
    long idx = 0;
    while (p < end) {
        if (SP_IS_ZERO(p)) {
            idx += SP_ZERO_LEN(p);
            p++;
        } else if (SP_IS_XZERO(p)) {
            idx += SP_XZERO_LEN(p);
            p += 2;
        } else {
            int run = SP_VAL_LEN(p), val = SP_VAL_VALUE(p);
            if (idx + run > HLL_REGISTERS) break;
            while (run--)
                dense_put(regs, idx++, val);
            p++;
        }
    }
    if (idx != HLL_REGISTERS || p < end) {
        dstr_free(d);
        return -1;
    }
    dstr_free(s);
    *sp = d;
    return 0;
}

/* Sets the logical length of s (room was made beforehand). */
static void set_len(dstr *s, size_t len) {
    s->len = (uint32_t)len;
    s->buf[len] = '\0';
}

/* Merges runs of equal VAL opcodes, scanning at most five opcodes from p:
 * a split leaves at most that many new neighbours. Returns the new end. */
static uint8_t *sparse_merge_vals(uint8_t *p, uint8_t *end) {
    int scan = 5;
    while (p < end && scan--) {
        if (SP_IS_XZERO(p)) {
            p += 2;
            continue;
        }
        if (SP_IS_ZERO(p)) {
            p++;
            continue;
        }
        if (p + 1 < end && SP_IS_VAL(p + 1) && SP_VAL_VALUE(p) == SP_VAL_VALUE(p + 1)) {
            int len = SP_VAL_LEN(p) + SP_VAL_LEN(p + 1);
            if (len <= SP_VAL_MAX_LEN) {
                sp_set_val(p + 1, SP_VAL_VALUE(p), len);
                memmove(p, p + 1, (size_t)(end - p - 1));
                end--;
                continue; /* the merged run may merge again on its right */
            }
        }
        p++;
    }
    return end;
}

/* Writes into seq the opcodes that replace the run [first, last] (held by
 * the opcode at op) once register index holds count. Returns their size
 * (at most 5: XZERO VAL XZERO). */
static int sparse_split(const uint8_t *op, long first, long last, long index, int count,
                        uint8_t *seq) {
    uint8_t *n = seq;
    if (SP_IS_VAL(op)) {
        int cur = SP_VAL_VALUE(op);
        if (index != first) sp_set_val(n++, cur, (int)(index - first));
        sp_set_val(n++, count, 1);
        if (index != last) sp_set_val(n++, cur, (int)(last - index));
        return (int)(n - seq);
    }
    long len = index - first;
    if (len > SP_ZERO_MAX_LEN) {
        sp_set_xzero(n, (int)len);
        n += 2;
    } else if (len > 0) {
        sp_set_zero(n++, (int)len);
    }
    sp_set_val(n++, count, 1);
    len = last - index;
    if (len > SP_ZERO_MAX_LEN) {
        sp_set_xzero(n, (int)len);
        n += 2;
    } else if (len > 0) {
        sp_set_zero(n++, (int)len);
    }
    return (int)(n - seq);
}

/* Promotes to dense and raises the register there. */
static int sparse_promote(dstr **sp, long index, int count) {
    if (hll_to_dense(sp) < 0) return -1;
    dense_raise((uint8_t *)(*sp)->buf + HLL_HDR_SIZE, index, count);
    return 1;
}

/* Raises register index to count in a sparse HLL, rewriting the opcode
 * that covers it in place. 1 when it changed, 0 if not, -1 if corrupt. */
static int sparse_raise(dstr **sp, long index, int count, long long sparse_max) {
    if (count > SP_VAL_MAX_VALUE) return sparse_promote(sp, index, count);
    dstr *s = *sp;
    size_t len = s->len;
    s = dstr_grow_zero(s, len + 3); /* room for the largest split */
    *sp = s;
    set_len(s, len);

    uint8_t *start = (uint8_t *)s->buf + HLL_HDR_SIZE, *end = (uint8_t *)s->buf + len;
    uint8_t *p = start, *prev = NULL;
    long first = 0, span = 0;
    while (p < end) {
        /* An XZERO cut short at the end reads the dstr's NUL as its
         * second byte, as Redis reads its sds terminator. */
        int oplen = SP_IS_XZERO(p) ? 2 : 1;
        span = SP_IS_ZERO(p) ? SP_ZERO_LEN(p) : SP_IS_VAL(p) ? SP_VAL_LEN(p) : SP_XZERO_LEN(p);
        if (index <= first + span - 1) break;
        prev = p;
        p += oplen;
        first += span;
    }
    if (p >= end) return -1;

    int oldlen = SP_IS_XZERO(p) ? 2 : 1;
    if (SP_IS_VAL(p) && SP_VAL_VALUE(p) >= count) return 0;
    if (span == 1 && !SP_IS_XZERO(p)) {
        /* A one-register VAL or ZERO becomes the new VAL in place. */
        sp_set_val(p, count, 1);
    } else {
        uint8_t seq[5];
        int seqlen = sparse_split(p, first, first + span - 1, index, count, seq);
        int delta = seqlen - oldlen;
        if (delta > 0 && (long long)(len + (size_t)delta) > sparse_max)
            return sparse_promote(sp, index, count);
        uint8_t *next = p + oldlen;
        if (delta && next < end) memmove(next + delta, next, (size_t)(end - next));
        memcpy(p, seq, (size_t)seqlen);
        end += delta;
    }
    end = sparse_merge_vals(prev ? prev : start, end);
    set_len(s, (size_t)(end - (uint8_t *)s->buf));
    return 1;
}

int hll_add(dstr **s, const unsigned char *ele, size_t len, long long sparse_max) {
    long index;
    int count = hll_pattern(ele, len, &index);
    switch ((*s)->buf[HDR_ENCODING]) {
    case HLL_ENC_DENSE:
        return dense_raise((uint8_t *)(*s)->buf + HLL_HDR_SIZE, index, count);
    case HLL_ENC_SPARSE:
        return sparse_raise(s, index, count, sparse_max);
    default:
        return -1;
    }
}

/* ------------------------------------------------------------------------ */
/* Counting and merging                                                      */
/* ------------------------------------------------------------------------ */

/* Ertl's sigma and tau ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017), iterated until the sums stop moving. */
static double hll_sigma(double x) {
    if (x == 1.) return INFINITY;
    double z = x, y = 1, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (prev != z);
    return z;
}

static double hll_tau(double x) {
    if (x == 0. || x == 1.) return 0.;
    double z = 1 - x, y = 1.0, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= pow(1 - x, 2) * y;
    } while (prev != z);
    return z / 3;
}

/* The estimate from the histogram of register values. */
static uint64_t estimate(const int *histo) {
    double m = HLL_REGISTERS;
    double z = m * hll_tau((m - histo[HLL_Q + 1]) / m);
    for (int j = HLL_Q; j >= 1; --j) {
        z += histo[j];
        z *= 0.5;
    }
    z += m * hll_sigma(histo[0] / m);
    return (uint64_t)llroundl(HLL_ALPHA_INF * m * m / z);
}

/* Histogram of a sparse body; -1 when its runs do not cover the registers
 * exactly. */
static int sparse_histo(const uint8_t *p, const uint8_t *end, int *histo) {
    long idx = 0;
    while (p < end) {
        if (SP_IS_ZERO(p)) {
            idx += SP_ZERO_LEN(p);
            histo[0] += SP_ZERO_LEN(p);
            p++;
        } else if (SP_IS_XZERO(p)) {
            idx += SP_XZERO_LEN(p);
            histo[0] += SP_XZERO_LEN(p);
            p += 2;
        } else {
            idx += SP_VAL_LEN(p);
            histo[SP_VAL_VALUE(p)] += SP_VAL_LEN(p);
            p++;
        }
        if (idx > HLL_REGISTERS) return -1;
    }
    return idx == HLL_REGISTERS ? 0 : -1;
}

uint64_t hll_count(const unsigned char *p, size_t len, int *invalid) {
    int histo[64] = {0};
    const uint8_t *regs = p + HLL_HDR_SIZE;
    *invalid = 0;
    if (p[HDR_ENCODING] == HLL_ENC_DENSE) {
        for (long i = 0; i < HLL_REGISTERS; i++)
            histo[dense_get(regs, i)]++;
    } else if (sparse_histo(regs, p + len, histo) < 0) {
        *invalid = 1;
        return 0;
    }
    return estimate(histo);
}

uint64_t hll_count_raw(const uint8_t *registers) {
    int histo[64] = {0};
    for (long i = 0; i < HLL_REGISTERS; i++)
        histo[registers[i] & 63]++;
    return estimate(histo);
}

int hll_merge(uint8_t *max, const unsigned char *p, size_t len) {
    const uint8_t *regs = p + HLL_HDR_SIZE;
    if (p[HDR_ENCODING] == HLL_ENC_DENSE) {
        for (long i = 0; i < HLL_REGISTERS; i++) {
            int v = dense_get(regs, i);
            if (v > max[i]) max[i] = (uint8_t)v;
        }
        return 0;
    }
    const uint8_t *end = p + len;
    long i = 0;
    while (regs < end) {
        if (SP_IS_ZERO(regs)) {
            i += SP_ZERO_LEN(regs);
            regs++;
        } else if (SP_IS_XZERO(regs)) {
            i += SP_XZERO_LEN(regs);
            regs += 2;
        } else {
            int run = SP_VAL_LEN(regs), val = SP_VAL_VALUE(regs);
            if (i + run > HLL_REGISTERS) return -1;
            for (; run > 0; run--, i++)
                if (val > max[i]) max[i] = (uint8_t)val;
            regs++;
        }
        if (i > HLL_REGISTERS) return -1;
    }
    return i == HLL_REGISTERS ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                  */
/* ------------------------------------------------------------------------ */

/* The bytes of an existing key that must be a HyperLogLog: NULL with the
 * error replied otherwise. buf holds an integer's text (which is never an
 * HLL). */
static const unsigned char *hll_bytes(client *c, const kv *e, size_t *len) {
    if (e->type != TYPE_STRING) {
        reply_error_wrongtype(c);
        return NULL;
    }
    char buf[32];
    const unsigned char *p = (const unsigned char *)kv_str(e, buf, len);
    if (e->enc == ENC_INT || !hll_is_valid(p, *len)) {
        reply_error(c, err_not_hll);
        return NULL;
    }
    return p;
}

static long long sparse_max_bytes(void) {
    return config_get_int("hll-sparse-max-bytes");
}

/* PFADD key [element ...] */
static void pfadd_command(client *c) {
    const resp_arg *key = &c->argv[1];
    kv *e = lookup_write(c, key);
    dstr *s;
    long long updated = 0;
    if (!e) {
        s = hll_new();
        e = kv_new_raw(key->ptr, key->len, s);
        db_add(c->db, e);
        updated++;
    } else {
        size_t len;
        if (!hll_bytes(c, e, &len)) return;
        s = bits_make_raw(c, key, &e, 0);
    }
    long long sparse_max = sparse_max_bytes();
    for (int j = 2; j < c->argc; j++) {
        int r = hll_add(&s, (const unsigned char *)c->argv[j].ptr, c->argv[j].len, sparse_max);
        bits_store(e, s);
        if (r < 0) {
            /* Registers already raised stay; the log replays this same
             * request to the same point. */
            if (updated) server_dirty_add(updated);
            reply_error(c, err_corrupt);
            return;
        }
        updated += r;
    }
    if (updated) {
        invalidate_cache(s);
        key_modified(c, key->ptr, key->len);
        server_dirty_add(updated - 1);
        db_notify(NOTIFY_STRING, "pfadd", c->db, key->ptr, key->len);
    }
    reply_int(c, updated ? 1 : 0);
}

static uint64_t read_cache(const unsigned char *p) {
    uint64_t card = 0;
    for (int i = 7; i >= 0; i--)
        card = (card << 8) | p[HDR_CARD + i];
    return card;
}

/* PFCOUNT of one key: the cached count, or a fresh one written back into
 * the value's header. That write changes only a recomputable cache, yet
 * GET shows it, so it is logged as the effect "PFCOUNT key": replaying it
 * recomputes the same bytes. (PFCOUNT is a read command in Redis 7.0; a
 * command logged as received must be a write.) */
static void pfcount_one(client *c) {
    const resp_arg *key = &c->argv[1];
    kv *e = lookup_read(c, key);
    if (!e) {
        reply_int(c, 0);
        return;
    }
    size_t len;
    const unsigned char *p = hll_bytes(c, e, &len);
    if (!p) return;
    if (!(p[HDR_CARD + 7] & 0x80)) {
        reply_int(c, (long long)read_cache(p));
        return;
    }
    int invalid;
    uint64_t card = hll_count(p, len, &invalid);
    if (invalid) {
        reply_error(c, err_corrupt);
        return;
    }
    dstr *s = bits_make_raw(c, key, &e, 0);
    for (int i = 0; i < 8; i++)
        s->buf[HDR_CARD + i] = (char)((card >> (8 * i)) & 0xff);
    key_modified(c, key->ptr, key->len);
    effect ef;
    effect_start(&ef, "PFCOUNT");
    effect_add_arg(&ef, key);
    effect_log(&ef, c->dbid);
    reply_int(c, (long long)card);
}

/* PFCOUNT key [key ...] */
static void pfcount_command(client *c) {
    if (c->argc == 2) {
        pfcount_one(c);
        return;
    }
    /* The union's registers, merged without writing anything. */
    uint8_t *max = mem_alloc(HLL_REGISTERS);
    memset(max, 0, HLL_REGISTERS);
    for (int j = 1; j < c->argc; j++) {
        kv *e = lookup_read(c, &c->argv[j]);
        if (!e) continue;
        size_t len;
        const unsigned char *p = hll_bytes(c, e, &len);
        if (!p) goto done;
        if (hll_merge(max, p, len) < 0) {
            reply_error(c, err_corrupt);
            goto done;
        }
    }
    reply_int(c, (long long)hll_count_raw(max));
done:
    mem_free(max);
}

/* Writes the registers max into the HLL *s (sparse or dense). */
static int hll_store_max(dstr **s, const uint8_t *max, long long sparse_max) {
    for (long j = 0; j < HLL_REGISTERS; j++) {
        if (!max[j]) continue;
        if ((*s)->buf[HDR_ENCODING] == HLL_ENC_DENSE)
            dense_raise((uint8_t *)(*s)->buf + HLL_HDR_SIZE, j, max[j]);
        else if (sparse_raise(s, j, max[j], sparse_max) < 0)
            return -1;
    }
    return 0;
}

/* PFMERGE destkey [sourcekey ...]: the destination is also a source. */
static void pfmerge_command(client *c) {
    const resp_arg *key = &c->argv[1];
    uint8_t *max = mem_alloc(HLL_REGISTERS);
    memset(max, 0, HLL_REGISTERS);
    int use_dense = 0;
    for (int j = 1; j < c->argc; j++) {
        kv *e = lookup_read(c, &c->argv[j]);
        if (!e) continue;
        size_t len;
        const unsigned char *p = hll_bytes(c, e, &len);
        if (!p) goto done;
        if (p[HDR_ENCODING] == HLL_ENC_DENSE) use_dense = 1;
        if (hll_merge(max, p, len) < 0) {
            reply_error(c, err_corrupt);
            goto done;
        }
    }
    kv *e = lookup_write(c, key);
    dstr *s;
    if (!e) {
        s = hll_new();
        e = kv_new_raw(key->ptr, key->len, s);
        db_add(c->db, e);
    } else {
        s = bits_make_raw(c, key, &e, 0);
    }
    /* A corrupt destination was refused above, as a source. */
    if (use_dense) hll_to_dense(&s);
    hll_store_max(&s, max, sparse_max_bytes());
    bits_store(e, s);
    invalidate_cache(s);
    key_modified(c, key->ptr, key->len);
    /* Redis raises "pfadd" for a merge: it adds many elements at once. */
    db_notify(NOTIFY_STRING, "pfadd", c->db, key->ptr, key->len);
    reply_ok(c);
done:
    mem_free(max);
}

/* The sparse opcodes as text: "z:N" ZERO, "Z:N" XZERO, "v:value,len" VAL. */
static void reply_decoded(client *c, const dstr *s) {
    const uint8_t *p = (const uint8_t *)s->buf + HLL_HDR_SIZE,
                  *end = (const uint8_t *)s->buf + s->len;
    size_t cap = (size_t)(end - p) * 16 + 1, n = 0;
    char *out = mem_alloc(cap);
    while (p < end) {
        int w;
        if (SP_IS_ZERO(p)) {
            w = snprintf(out + n, cap - n, "z:%d ", SP_ZERO_LEN(p));
            p++;
        } else if (SP_IS_XZERO(p)) {
            w = snprintf(out + n, cap - n, "Z:%d ", SP_XZERO_LEN(p));
            p += 2;
        } else {
            w = snprintf(out + n, cap - n, "v:%d,%d ", SP_VAL_VALUE(p), SP_VAL_LEN(p));
            p++;
        }
        n += (size_t)w;
    }
    if (n && out[n - 1] == ' ') n--;
    reply_bulk(c, out, n);
    mem_free(out);
}

/* PFDEBUG GETREG|DECODE|ENCODING|TODENSE key */
static void pfdebug_command(client *c) {
    const resp_arg *sub = &c->argv[1], *key = &c->argv[2];
    kv *e = lookup_write(c, key);
    if (!e) {
        reply_error(c, "ERR The specified key does not exist");
        return;
    }
    size_t len;
    if (!hll_bytes(c, e, &len)) return;
    dstr *s = bits_make_raw(c, key, &e, 0);
    int sparse = s->buf[HDR_ENCODING] == HLL_ENC_SPARSE;

    if (arg_is(sub, "getreg") || arg_is(sub, "todense")) {
        int getreg = arg_is(sub, "getreg");
        if (sparse) {
            int r = hll_to_dense(&s);
            bits_store(e, s);
            if (r < 0) {
                reply_error(c, err_corrupt);
                return;
            }
            /* A new encoding is a change: the log must replay it. */
            server_dirty_add(1);
        }
        if (!getreg) {
            reply_int(c, sparse);
            return;
        }
        const uint8_t *regs = (const uint8_t *)s->buf + HLL_HDR_SIZE;
        reply_array(c, HLL_REGISTERS);
        for (long j = 0; j < HLL_REGISTERS; j++)
            reply_int(c, dense_get(regs, j));
    } else if (arg_is(sub, "decode")) {
        if (!sparse) {
            reply_error(c, "ERR HLL encoding is not sparse");
            return;
        }
        reply_decoded(c, s);
    } else if (arg_is(sub, "encoding")) {
        reply_status(c, sparse ? "sparse" : "dense");
    } else {
        reply_errorf(c, "ERR Unknown PFDEBUG subcommand '%.*s'",
                     (int)(sub->len > 128 ? 128 : sub->len), sub->ptr);
    }
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

/* PFSELFTEST: the register packing and the estimator, checked in place.
 * 1: random values written to every dense register read back the same
 * (a packing bug shows here first). 2: ten million distinct elements added
 * to a dense value; at 10, 100, ... 10M the estimate must be within six
 * standard errors (1.04 / sqrt(registers)) of the truth, within 1 at 10. */
static int selftest_registers(client *c) {
    uint8_t *regs = mem_calloc(HLL_DENSE_SIZE - HLL_HDR_SIZE);
    int *want = mem_alloc(sizeof(int) * HLL_REGISTERS);
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    int ok = 1;
    for (int round = 0; round < 100 && ok; round++) {
        for (long i = 0; i < HLL_REGISTERS; i++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            want[i] = (int)(rng >> 58) & HLL_REGISTER_MAX;
            dense_put(regs, i, want[i]);
        }
        for (long i = 0; i < HLL_REGISTERS && ok; i++) {
            if (dense_get(regs, i) == want[i]) continue;
            reply_errorf(c, "TESTFAILED register %ld reads %d after %d was written", i,
                         dense_get(regs, i), want[i]);
            ok = 0;
        }
    }
    mem_free(want);
    mem_free(regs);
    return ok;
}

static int selftest_error(client *c) {
    dstr *h = hll_new();
    int ok = hll_to_dense(&h) == 0;
    if (!ok) reply_error(c, "TESTFAILED a new value did not convert to dense");
    const double rel_err = 1.04 / sqrt((double)HLL_REGISTERS);
    long long checkpoint = 10;
    for (long long n = 1; ok && n <= 10000000; n++) {
        uint64_t ele = (uint64_t)n ^ 0x5f3a1c9e2b7d4068ULL;
        hll_add(&h, (const unsigned char *)&ele, sizeof ele, 0);
        if (n != checkpoint) continue;
        int invalid = 0;
        long long est = (long long)hll_count((const unsigned char *)h->buf, h->len, &invalid);
        long long err = llabs(est - n);
        long long allowed = n == 10 ? 1 : (long long)ceil(rel_err * 6 * (double)n);
        if (invalid || err > allowed) {
            reply_errorf(c, "TESTFAILED %lld elements estimated as %lld (error %lld, at most %lld)",
                         n, est, err, allowed);
            ok = 0;
        }
        checkpoint *= 10;
    }
    dstr_free(h);
    return ok;
}

static void pfselftest_command(client *c) {
    if (selftest_registers(c) && selftest_error(c)) reply_ok(c);
}

#define HLL_CMD(name_, proc_, arity_, flags_, acl_, first_, last_, since_, cx_, sum_)              \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = acl_,               \
        .first_key = first_, .last_key = last_, .key_step = 1, .summary = sum_, .since = since_,   \
        .group = "hyperloglog", .complexity = cx_                                                  \
    }

static command hll_commands[] = {
    HLL_CMD("pfadd", pfadd_command, -2, CMD_WRITE | CMD_DENYOOM | CMD_FAST,
            ACL_WRITE | ACL_HYPERLOGLOG | ACL_FAST, 1, 1, "2.8.9", "O(1) to add every element.",
            "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist."),
    HLL_CMD("pfcount", pfcount_command, -2, CMD_READONLY, ACL_READ | ACL_HYPERLOGLOG | ACL_SLOW, 1,
            -1, "2.8.9",
            "O(1) with a very small average constant time when called with a single key. "
            "O(N) with N being the number of keys, and much bigger constant times, when called "
            "with multiple keys.",
            "Returns the approximated cardinality of the set(s) observed by the HyperLogLog "
            "key(s)."),
    HLL_CMD("pfmerge", pfmerge_command, -2, CMD_WRITE | CMD_DENYOOM,
            ACL_WRITE | ACL_HYPERLOGLOG | ACL_SLOW, 1, -1, "2.8.9",
            "O(N) to merge N HyperLogLogs, but with high constant times.",
            "Merges one or more HyperLogLog values into a single key."),
    HLL_CMD("pfdebug", pfdebug_command, 3, CMD_WRITE | CMD_DENYOOM | CMD_ADMIN,
            ACL_WRITE | ACL_HYPERLOGLOG | ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS, 2, 2, "2.8.9",
            "N/A", "Internal commands for debugging HyperLogLog values."),
    {.name = "pfselftest", .proc = pfselftest_command, .arity = 1, .flags = CMD_ADMIN,
     .acl = ACL_HYPERLOGLOG | ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS, .since = "2.8.9",
     .group = "hyperloglog", .complexity = "N/A",
     .summary = "Checks the HyperLogLog register packing and estimation error."},
    {.name = NULL},
};

void hll_register(void) {
    command_register(hll_commands);
}
