/*
 * bitmap.c - the bit commands on string values: SETBIT, GETBIT, BITCOUNT,
 * BITPOS, BITOP, BITFIELD and BITFIELD_RO.
 *
 * A bitmap is a plain string: bit n is bit (7 - n % 8) of byte n / 8, so
 * bit 0 is the most significant bit of the first byte, as in Redis. A
 * missing key reads as an endless run of zero bits; writes past the end
 * grow the string with zero bytes. Values that are edited become ENC_RAW
 * dstrs and are changed in place (bits_make_raw), so SETBIT on a large
 * bitmap costs O(1) after the first grow.
 *
 * Offsets are bounded so that no string grows past proto-max-bulk-len:
 * the byte an offset falls in must be below it.
 *
 * Every command here is deterministic given the data, so the writes are
 * logged as received (propagate.h).
 *
 * Called by: the dispatcher, through the table bitmap_register() installs;
 * hll.c uses bits_make_raw().
 */
#include "types/bitmap.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/numconv.h"
#include "server/config.h"
#include "types/types.h"

/* Room for the decimal text of an ENC_INT value (kv_str wants >= 24). */
#define INT_BUF 32

static const char err_bit_offset[] = "ERR bit offset is not an integer or out of range";
static const char err_bit_value[] = "ERR bit is not an integer or out of range";
static const char err_bitfield_type[] =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported "
    "but i64 is.";

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                            */
/* ------------------------------------------------------------------------ */

dstr *bits_make_raw(client *c, const resp_arg *key, kv **entry, size_t minlen) {
    kv *e = *entry;
    if (e->enc == ENC_RAW) {
        dstr *s = kv_ptr(e);
        if (s->len < minlen) {
            s = dstr_grow_zero(s, minlen);
            bits_store(e, s);
        }
        return s;
    }
    char buf[INT_BUF];
    size_t len;
    const char *p = kv_str(e, buf, &len);
    dstr *s = dstr_new(p, len);
    if (s->len < minlen) s = dstr_grow_zero(s, minlen);
    kv *ne = kv_new_raw(key->ptr, key->len, s);
    db_set(c->db, ne, 1);
    *entry = ne;
    return s;
}

/* Parses a bit offset argument. With field_bits > 0 (BITFIELD) the "#N"
 * form means N * field_bits. The byte the offset falls in must be below
 * proto-max-bulk-len. Replies the error and returns -1 when invalid. */
static int parse_bit_offset(client *c, const resp_arg *a, int field_bits, uint64_t *out) {
    const char *p = a->ptr;
    size_t len = a->len;
    int scaled = field_bits > 0 && len > 0 && p[0] == '#';
    long long v;
    if (!numconv_str2ll(p + scaled, len - (size_t)scaled, &v) ||
        (scaled && __builtin_mul_overflow(v, (long long)field_bits, &v)) || v < 0 ||
        (v >> 3) >= cfg->proto_max_bulk_len) {
        reply_error(c, err_bit_offset);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* The string key for a bit write that reaches bit maxbit: created zeroed
 * or grown with zero bytes as needed. NULL with WRONGTYPE replied when the
 * key holds another type. *changed is set when the string was created or
 * grew (the keyspace changed even if no bit does). */
static dstr *bitmap_for_write(client *c, const resp_arg *key, uint64_t maxbit, kv **entry,
                              int *changed) {
    size_t need = (size_t)(maxbit >> 3) + 1;
    int err;
    kv *e = lookup_write_type(c, key, TYPE_STRING, &err);
    if (err) return NULL;
    if (!e) {
        dstr *s = dstr_new_zero(need);
        e = kv_new_raw(key->ptr, key->len, s);
        db_add(c->db, e);
        *entry = e;
        *changed = 1;
        return s;
    }
    *changed = kv_strlen(e) < need;
    *entry = e;
    return bits_make_raw(c, key, entry, need);
}

/* Bits set in p[0..n), four words at a time. POPCOUNT_ATTR lets the
 * compiler use the CPU's popcount instruction in a copy of this loop. */
#define POPCOUNT_LOOP(name, attr)                                                                  \
    attr static uint64_t name(const unsigned char *p, size_t n) {                                  \
        uint64_t count = 0;                                                                        \
        size_t i = 0;                                                                              \
        for (; i + 32 <= n; i += 32) {                                                             \
            uint64_t w[4];                                                                         \
            memcpy(w, p + i, sizeof w);                                                            \
            count += (uint64_t)(__builtin_popcountll(w[0]) + __builtin_popcountll(w[1]) +          \
                                __builtin_popcountll(w[2]) + __builtin_popcountll(w[3]));          \
        }                                                                                          \
        for (; i + 8 <= n; i += 8) {                                                               \
            uint64_t w;                                                                            \
            memcpy(&w, p + i, sizeof w);                                                           \
            count += (uint64_t)__builtin_popcountll(w);                                            \
        }                                                                                          \
        for (; i < n; i++)                                                                         \
            count += (uint64_t)__builtin_popcount(p[i]);                                           \
        return count;                                                                              \
    }

POPCOUNT_LOOP(popcount_generic, )

#if defined(__x86_64__) && defined(__GNUC__)
/* The build targets baseline x86-64, which has no POPCNT instruction;
 * nearly every CPU in use has it, and it makes BITCOUNT several times
 * faster, so a second copy is built for it and chosen at run time. */
POPCOUNT_LOOP(popcount_hw, __attribute__((target("popcnt"))))

static uint64_t popcount_bytes(const unsigned char *p, size_t n) {
    static int has_popcnt = -1;
    if (has_popcnt < 0) has_popcnt = __builtin_cpu_supports("popcnt") ? 1 : 0;
    return has_popcnt ? popcount_hw(p, n) : popcount_generic(p, n);
}
#else
static uint64_t popcount_bytes(const unsigned char *p, size_t n) {
    return popcount_generic(p, n);
}
#endif

/* Bits of byte mask selecting bit positions from..to (0 = MSB) inclusive. */
static unsigned char byte_mask(int from, int to) {
    return (unsigned char)((0xFFu >> from) & (0xFFu << (7 - to)));
}

/* Bits set in the bit range [sb, eb] of p (inclusive, inside the string). */
static uint64_t popcount_range(const unsigned char *p, uint64_t sb, uint64_t eb) {
    uint64_t fb = sb >> 3, lb = eb >> 3;
    if (fb == lb)
        return (uint64_t)__builtin_popcount(p[fb] & byte_mask((int)(sb & 7), (int)(eb & 7)));
    uint64_t n = (uint64_t)__builtin_popcount(p[fb] & byte_mask((int)(sb & 7), 7));
    n += popcount_bytes(p + fb + 1, (size_t)(lb - fb - 1));
    n += (uint64_t)__builtin_popcount(p[lb] & byte_mask(0, (int)(eb & 7)));
    return n;
}

/* Position of the first 1 bit in a non-zero byte (0 = MSB). */
static int first_one(unsigned v) {
    return __builtin_clz(v) - (int)(sizeof(unsigned) * 8 - 8);
}

/* First bit equal to bit in the bit range [sb, eb] of p, or -1. Whole
 * words that cannot hold it (all zero when looking for a one, all ones
 * when looking for a zero) are skipped eight bytes at a time. */
static long long find_bit(const unsigned char *p, uint64_t sb, uint64_t eb, int bit) {
    unsigned flip = bit ? 0 : 0xFFu;
    uint64_t fb = sb >> 3, lb = eb >> 3;
    int last_to = fb == lb ? (int)(eb & 7) : 7;
    unsigned v = ((p[fb] ^ flip) & byte_mask((int)(sb & 7), last_to)) & 0xFFu;
    if (v) return (long long)(fb * 8 + (uint64_t)first_one(v));
    if (fb == lb) return -1;
    uint64_t i = fb + 1;
    uint64_t skip = bit ? 0 : UINT64_MAX;
    while (i + 8 <= lb) {
        uint64_t w;
        memcpy(&w, p + i, sizeof w);
        if (w != skip) break;
        i += 8;
    }
    for (; i < lb; i++) {
        v = (p[i] ^ flip) & 0xFFu;
        if (v) return (long long)(i * 8 + (uint64_t)first_one(v));
    }
    v = ((p[lb] ^ flip) & byte_mask(0, (int)(eb & 7))) & 0xFFu;
    if (v) return (long long)(lb * 8 + (uint64_t)first_one(v));
    return -1;
}

/* Redis's range rules for BITCOUNT and BITPOS over a string of len bytes:
 * negative indexes count from the end, then both are clamped into the
 * string. isbit selects bit indexes instead of byte indexes. On success
 * *sb..*eb is the inclusive bit range and 1 is returned; 0 means empty. */
static int bit_range(long long start, long long end, long long len, int isbit, uint64_t *sb,
                     uint64_t *eb) {
    long long total = isbit ? len * 8 : len;
    if (start < 0) start += total;
    if (end < 0) end += total;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
    if (start > end) return 0;
    *sb = isbit ? (uint64_t)start : (uint64_t)start * 8;
    *eb = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    return 1;
}

/* Parses the optional BYTE|BIT argument at index i; -1 after replying a
 * syntax error. */
static int parse_unit(client *c, int i, int *isbit) {
    *isbit = 0;
    if (i >= c->argc) return 0;
    if (arg_is(&c->argv[i], "bit")) {
        *isbit = 1;
    } else if (!arg_is(&c->argv[i], "byte")) {
        reply_error_syntax(c);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* SETBIT, GETBIT                                                            */
/* ------------------------------------------------------------------------ */

static void setbit_command(client *c) {
    const resp_arg *key = &c->argv[1];
    uint64_t offset;
    long long on;
    if (parse_bit_offset(c, &c->argv[2], 0, &offset) < 0) return;
    if (!numconv_str2ll(c->argv[3].ptr, c->argv[3].len, &on) || (on & ~1LL)) {
        reply_error(c, err_bit_value);
        return;
    }
    kv *e;
    int grown;
    dstr *s = bitmap_for_write(c, key, offset, &e, &grown);
    if (!s) return;
    unsigned char *byte = (unsigned char *)s->buf + (offset >> 3);
    int shift = 7 - (int)(offset & 7);
    int old = (*byte >> shift) & 1;
    /* A bit that keeps its value in a string that did not grow is no
     * change: no event, nothing to log (as in Redis 7.0). */
    if (grown || old != on) {
        *byte = (unsigned char)((*byte & ~(1u << shift)) | ((unsigned)on << shift));
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_STRING, "setbit", c->db, key->ptr, key->len);
    }
    reply_int(c, old);
}

static void getbit_command(client *c) {
    uint64_t offset;
    if (parse_bit_offset(c, &c->argv[2], 0, &offset) < 0) return;
    int err;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_STRING, &err);
    if (err) return;
    int bit = 0;
    if (e) {
        char buf[INT_BUF];
        size_t len;
        const unsigned char *p = (const unsigned char *)kv_str(e, buf, &len);
        if ((offset >> 3) < len) bit = (p[offset >> 3] >> (7 - (offset & 7))) & 1;
    }
    reply_int(c, bit);
}

/* ------------------------------------------------------------------------ */
/* BITCOUNT, BITPOS                                                          */
/* ------------------------------------------------------------------------ */

/* BITCOUNT key [start end [BYTE|BIT]]. As in Redis 7.0 a missing key
 * counts 0 before the arguments are looked at. */
static void bitcount_command(client *c) {
    int err;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_STRING, &err);
    if (err) return;
    if (!e) {
        reply_int(c, 0);
        return;
    }
    long long start = 0, end = -1;
    int isbit = 0;
    if (c->argc == 3 || c->argc > 5) {
        reply_error_syntax(c);
        return;
    }
    if (c->argc >= 4) {
        if (arg_ll(c, &c->argv[2], &start) < 0 || arg_ll(c, &c->argv[3], &end) < 0) return;
        if (parse_unit(c, 4, &isbit) < 0) return;
    }
    char buf[INT_BUF];
    size_t len;
    const unsigned char *p = (const unsigned char *)kv_str(e, buf, &len);
    /* Both negative with start after end is empty before clamping, which
     * would otherwise turn it into a one-element range. */
    uint64_t sb, eb;
    if ((start < 0 && end < 0 && start > end) ||
        !bit_range(start, end, (long long)len, isbit, &sb, &eb)) {
        reply_int(c, 0);
        return;
    }
    reply_int(c, (long long)popcount_range(p, sb, eb));
}

/* BITPOS key bit [start [end [BYTE|BIT]]] */
static void bitpos_command(client *c) {
    long long bit;
    if (arg_ll(c, &c->argv[2], &bit) < 0) return;
    if (bit != 0 && bit != 1) {
        reply_error(c, "ERR The bit argument must be 1 or 0.");
        return;
    }
    int err;
    kv *e = lookup_read_type(c, &c->argv[1], TYPE_STRING, &err);
    if (err) return;
    if (!e) {
        /* A missing key is all zeros, without end. */
        reply_int(c, bit ? -1 : 0);
        return;
    }
    if (c->argc > 6) {
        reply_error_syntax(c);
        return;
    }
    long long start = 0, end = -1;
    int isbit = 0, end_given = c->argc >= 5;
    if (c->argc >= 4 && arg_ll(c, &c->argv[3], &start) < 0) return;
    if (end_given && arg_ll(c, &c->argv[4], &end) < 0) return;
    if (parse_unit(c, 5, &isbit) < 0) return;

    char buf[INT_BUF];
    size_t len;
    const unsigned char *p = (const unsigned char *)kv_str(e, buf, &len);
    uint64_t sb, eb;
    if (!bit_range(start, end, (long long)len, isbit, &sb, &eb)) {
        reply_int(c, -1);
        return;
    }
    long long pos = find_bit(p, sb, eb, (int)bit);
    /* Without an explicit end the string is taken as padded with zeros on
     * the right, so a clear bit is always found just past it. */
    if (pos < 0 && bit == 0 && !end_given) pos = (long long)(eb + 1);
    reply_int(c, pos);
}

/* ------------------------------------------------------------------------ */
/* BITOP                                                                     */
/* ------------------------------------------------------------------------ */

enum { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

/* Combines src[0..len) into dst[0..len) with op, a word at a time. */
static void bitop_combine(unsigned char *dst, const unsigned char *src, size_t len, int op) {
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t a, b;
        memcpy(&a, dst + i, 8);
        memcpy(&b, src + i, 8);
        a = op == BITOP_AND ? (a & b) : op == BITOP_OR ? (a | b) : (a ^ b);
        memcpy(dst + i, &a, 8);
    }
    for (; i < len; i++) {
        unsigned char b = src[i];
        dst[i] = op == BITOP_AND ? (dst[i] & b) : op == BITOP_OR ? (dst[i] | b) : (dst[i] ^ b);
    }
}

/* One source of BITOP: its bytes (valid until the next keyspace write). */
typedef struct bitop_src {
    const unsigned char *p;
    size_t len;
    char buf[INT_BUF];
} bitop_src;

/* BITOP AND|OR|XOR|NOT destkey srckey [srckey ...] */
static void bitop_command(client *c) {
    const resp_arg *opname = &c->argv[1], *dst = &c->argv[2];
    int op;
    if (arg_is(opname, "and"))
        op = BITOP_AND;
    else if (arg_is(opname, "or"))
        op = BITOP_OR;
    else if (arg_is(opname, "xor"))
        op = BITOP_XOR;
    else if (arg_is(opname, "not"))
        op = BITOP_NOT;
    else {
        reply_error_syntax(c);
        return;
    }
    int nsrc = c->argc - 3;
    if (op == BITOP_NOT && nsrc != 1) {
        reply_error(c, "ERR BITOP NOT must be called with a single source key.");
        return;
    }

    /* All sources are looked up first: a lookup may delete an expired key,
     * but never another key, so earlier pointers stay valid. */
    bitop_src *src = mem_alloc(sizeof(*src) * (size_t)nsrc);
    size_t maxlen = 0, minlen = SIZE_MAX;
    for (int j = 0; j < nsrc; j++) {
        kv *e = lookup_read(c, &c->argv[3 + j]);
        if (e && e->type != TYPE_STRING) {
            mem_free(src);
            reply_error_wrongtype(c);
            return;
        }
        src[j].len = 0;
        src[j].p = (const unsigned char *)"";
        if (e) src[j].p = (const unsigned char *)kv_str(e, src[j].buf, &src[j].len);
        if (src[j].len > maxlen) maxlen = src[j].len;
        if (src[j].len < minlen) minlen = src[j].len;
    }

    /* The result is built apart: the destination may be a source. */
    dstr *res = NULL;
    if (maxlen) {
        res = dstr_new_zero(maxlen);
        unsigned char *r = (unsigned char *)res->buf;
        if (op == BITOP_NOT) {
            for (size_t i = 0; i < maxlen; i++)
                r[i] = (unsigned char)~src[0].p[i];
        } else {
            memcpy(r, src[0].p, src[0].len);
            for (int j = 1; j < nsrc; j++)
                bitop_combine(r, src[j].p, src[j].len, op);
            /* AND with a shorter source (zero padded) clears the tail. */
            if (op == BITOP_AND && minlen < maxlen) memset(r + minlen, 0, maxlen - minlen);
        }
    }
    mem_free(src);

    if (res) {
        db_set(c->db, kv_new_raw(dst->ptr, dst->len, res), 0);
        key_modified(c, dst->ptr, dst->len);
        db_notify(NOTIFY_STRING, "set", c->db, dst->ptr, dst->len);
    } else if (db_delete(c->db, dst->ptr, dst->len)) {
        key_modified(c, dst->ptr, dst->len);
        db_notify(NOTIFY_GENERIC, "del", c->db, dst->ptr, dst->len);
    }
    reply_int(c, (long long)maxlen);
}

/* ------------------------------------------------------------------------ */
/* BITFIELD                                                                  */
/* ------------------------------------------------------------------------ */

enum { BF_GET, BF_SET, BF_INCRBY };
enum { BF_WRAP, BF_SAT, BF_FAIL };

typedef struct bf_op {
    uint64_t offset;
    int64_t value; /* SET value or INCRBY increment */
    int opcode;
    int overflow; /* BF_WRAP... in force when the op was parsed */
    int sign;
    int bits;
} bf_op;

/* Parses "i<bits>" (1..64) or "u<bits>" (1..63). */
static int parse_bf_type(client *c, const resp_arg *a, int *sign, int *bits) {
    long long n;
    if (a->len < 2 || (a->ptr[0] != 'i' && a->ptr[0] != 'u') ||
        !numconv_str2ll(a->ptr + 1, a->len - 1, &n) || n < 1 || n > (a->ptr[0] == 'i' ? 64 : 63)) {
        reply_error(c, err_bitfield_type);
        return -1;
    }
    *sign = a->ptr[0] == 'i';
    *bits = (int)n;
    return 0;
}

/* Reads bits [offset, offset+bits) of p[0..len) as an unsigned number,
 * the first bit most significant; bits past the end read as zero. */
static uint64_t bf_read(const unsigned char *p, size_t len, uint64_t offset, int bits) {
    uint64_t v = 0;
    for (int i = 0; i < bits; i++, offset++) {
        uint64_t byte = offset >> 3;
        int bit = byte < len ? (p[byte] >> (7 - (offset & 7))) & 1 : 0;
        v = (v << 1) | (uint64_t)bit;
    }
    return v;
}

/* Writes the low bits of v at [offset, offset+bits) (inside the string). */
static void bf_write(unsigned char *p, uint64_t offset, int bits, uint64_t v) {
    for (int i = bits - 1; i >= 0; i--, offset++) {
        int shift = 7 - (int)(offset & 7);
        unsigned bit = (unsigned)(v >> i) & 1u;
        p[offset >> 3] = (unsigned char)((p[offset >> 3] & ~(1u << shift)) | (bit << shift));
    }
}

/* The low bits of v as a two's complement number of that width. */
static int64_t sign_extend(uint64_t v, int bits) {
    if (bits < 64) {
        uint64_t high = UINT64_MAX << bits;
        v = (v & ((uint64_t)1 << (bits - 1))) ? (v | high) : (v & ~high);
    }
    return (int64_t)v;
}

/* value + incr for a field of the given type: the stored result in *out
 * and 1 when it overflowed, 0 otherwise. WRAP keeps the low bits, SAT
 * clamps to the type's limits; FAIL reports the overflow (the caller then
 * writes nothing). A SET is value = the new value, incr = 0: a value out of
 * the type's range overflows too. */
static int bf_apply(int sign, int bits, int overflow, int64_t value, int64_t incr, uint64_t *out) {
    uint64_t wrapped = (uint64_t)value + (uint64_t)incr;
    if (sign) {
        int64_t max = bits == 64 ? INT64_MAX : (int64_t)(((uint64_t)1 << (bits - 1)) - 1);
        int64_t min = -max - 1;
        int64_t sum = 0;
        int high, low;
        if (bits < 64 && value < max - INT64_MAX) {
            /* Redis computes max - value in 64 bits, which wraps for values
             * this far below the range and makes them overflow upwards:
             * SAT then stores the maximum. Kept for identical results. */
            high = 1;
            low = 0;
        } else if (__builtin_add_overflow(value, incr, &sum)) {
            high = incr > 0;
            low = !high;
        } else {
            high = sum > max;
            low = sum < min;
        }
        if (!high && !low) {
            *out = (uint64_t)sum;
            return 0;
        }
        if (overflow == BF_SAT)
            *out = (uint64_t)(high ? max : min);
        else
            *out = (uint64_t)sign_extend(wrapped, bits);
        return 1;
    }
    uint64_t max = ((uint64_t)1 << bits) - 1; /* bits <= 63 */
    uint64_t uv = (uint64_t)value;
    int high = 0, low = 0;
    if (uv > max)
        high = 1;
    else if (incr > 0)
        high = (uint64_t)incr > max - uv;
    else if (incr < 0)
        low = (uint64_t)0 - (uint64_t)incr > uv;
    if (!high && !low) {
        *out = uv + (uint64_t)incr;
        return 0;
    }
    if (overflow == BF_SAT)
        *out = high ? max : 0;
    else
        *out = wrapped & max;
    return 1;
}

/* Parses the operations of BITFIELD from argv[2]. Returns the number of
 * ops (0 is fine) and sets *writes, or -1 after replying an error. */
static int parse_bf_ops(client *c, bf_op *ops, int *writes, uint64_t *maxbit) {
    int n = 0, overflow = BF_WRAP;
    *writes = 0;
    *maxbit = 0;
    for (int j = 2; j < c->argc; j++) {
        const resp_arg *a = &c->argv[j];
        int left = c->argc - j - 1;
        bf_op *op = &ops[n];
        if (arg_is(a, "get") && left >= 2) {
            op->opcode = BF_GET;
        } else if (arg_is(a, "set") && left >= 3) {
            op->opcode = BF_SET;
        } else if (arg_is(a, "incrby") && left >= 3) {
            op->opcode = BF_INCRBY;
        } else if (arg_is(a, "overflow") && left >= 1) {
            const resp_arg *t = &c->argv[++j];
            if (arg_is(t, "wrap")) {
                overflow = BF_WRAP;
            } else if (arg_is(t, "sat")) {
                overflow = BF_SAT;
            } else if (arg_is(t, "fail")) {
                overflow = BF_FAIL;
            } else {
                reply_error(c, "ERR Invalid OVERFLOW type specified");
                return -1;
            }
            continue;
        } else {
            reply_error_syntax(c);
            return -1;
        }
        if (parse_bf_type(c, &c->argv[j + 1], &op->sign, &op->bits) < 0) return -1;
        if (parse_bit_offset(c, &c->argv[j + 2], op->bits, &op->offset) < 0) return -1;
        op->value = 0;
        op->overflow = overflow;
        if (op->opcode != BF_GET) {
            long long v;
            if (arg_ll(c, &c->argv[j + 3], &v) < 0) return -1;
            op->value = v;
            *writes = 1;
            uint64_t last = op->offset + (uint64_t)op->bits - 1;
            if (last > *maxbit) *maxbit = last;
            j += 3;
        } else {
            j += 2;
        }
        n++;
    }
    return n;
}

/* Runs one SET or INCRBY on p; replies the value (or nil on FAIL) and
 * returns 1 when the field's value changed. */
static int bf_write_op(client *c, unsigned char *p, size_t len, const bf_op *op) {
    uint64_t raw = bf_read(p, len, op->offset, op->bits);
    int64_t old = op->sign ? sign_extend(raw, op->bits) : (int64_t)raw;
    uint64_t stored;
    int over;
    if (op->opcode == BF_INCRBY)
        over = bf_apply(op->sign, op->bits, op->overflow, old, op->value, &stored);
    else
        over = bf_apply(op->sign, op->bits, op->overflow, op->value, 0, &stored);
    if (over && op->overflow == BF_FAIL) {
        reply_null(c);
        return 0;
    }
    /* SET replies the old value, INCRBY the new one. */
    if (op->opcode == BF_SET)
        reply_int(c, old);
    else
        reply_int(c, op->sign ? (long long)(int64_t)stored : (long long)stored);
    bf_write(p, op->offset, op->bits, stored);
    return (uint64_t)old != stored;
}

static void bf_reply_get(client *c, const unsigned char *p, size_t len, const bf_op *op) {
    uint64_t raw = bf_read(p, len, op->offset, op->bits);
    reply_int(c, op->sign ? (long long)sign_extend(raw, op->bits) : (long long)raw);
}

static void bitfield_generic(client *c, int readonly_cmd) {
    const resp_arg *key = &c->argv[1];
    /* Every op takes at least two more arguments than its name. */
    bf_op *ops = mem_alloc(sizeof(*ops) * (size_t)(c->argc / 2 + 1));
    int writes;
    uint64_t maxbit;
    int n = parse_bf_ops(c, ops, &writes, &maxbit);
    if (n < 0) goto done;

    if (!writes) {
        int err;
        kv *e = lookup_read_type(c, key, TYPE_STRING, &err);
        if (err) goto done;
        char buf[INT_BUF];
        size_t len = 0;
        const unsigned char *p = (const unsigned char *)(e ? kv_str(e, buf, &len) : "");
        reply_array(c, n);
        for (int j = 0; j < n; j++)
            bf_reply_get(c, p, len, &ops[j]);
        goto done;
    }
    if (readonly_cmd) {
        reply_error(c, "ERR BITFIELD_RO only supports the GET subcommand");
        goto done;
    }

    kv *e;
    int grown;
    dstr *s = bitmap_for_write(c, key, maxbit, &e, &grown);
    if (!s) goto done;
    unsigned char *p = (unsigned char *)s->buf;
    int changes = 0;
    reply_array(c, n);
    for (int j = 0; j < n; j++) {
        if (ops[j].opcode == BF_GET)
            bf_reply_get(c, p, s->len, &ops[j]);
        else if (bf_write_op(c, p, s->len, &ops[j]) || grown)
            changes++; /* Redis counts a write in a grown string as a change */
    }
    if (changes) {
        key_modified(c, key->ptr, key->len);
        db_notify(NOTIFY_STRING, "setbit", c->db, key->ptr, key->len);
    } else if (grown) {
        /* Every write failed, but the string was created or grown: Redis
         * raises no event then, yet the log must still replay the grow. */
        server_dirty_add(1);
    }
done:
    mem_free(ops);
}

static void bitfield_command(client *c) {
    bitfield_generic(c, 0);
}

static void bitfield_ro_command(client *c) {
    bitfield_generic(c, 1);
}

/* ------------------------------------------------------------------------ */
/* Command table                                                             */
/* ------------------------------------------------------------------------ */

#define BIT_CMD(name_, proc_, arity_, flags_, acl_, first_, last_, since_, cx_, sum_)              \
    {                                                                                              \
        .name = name_, .proc = proc_, .arity = arity_, .flags = flags_, .acl = acl_,               \
        .first_key = first_, .last_key = last_, .key_step = 1, .summary = sum_, .since = since_,   \
        .group = "bitmap", .complexity = cx_                                                       \
    }

static command bitmap_commands[] = {
    BIT_CMD("setbit", setbit_command, 4, CMD_WRITE | CMD_DENYOOM, ACL_WRITE | ACL_BITMAP | ACL_SLOW,
            1, 1, "2.2.0", "O(1)",
            "Writes the bit at an offset of a string, creating the key when absent."),
    BIT_CMD("getbit", getbit_command, 3, CMD_READONLY | CMD_FAST, ACL_READ | ACL_BITMAP | ACL_FAST,
            1, 1, "2.2.0", "O(1)", "Reads the bit at an offset of a string."),
    BIT_CMD("bitcount", bitcount_command, -2, CMD_READONLY, ACL_READ | ACL_BITMAP | ACL_SLOW, 1, 1,
            "2.6.0", "O(N)", "Tells how many bits are 1 in a string, or in a range of it."),
    BIT_CMD("bitpos", bitpos_command, -3, CMD_READONLY, ACL_READ | ACL_BITMAP | ACL_SLOW, 1, 1,
            "2.8.7", "O(N)",
            "Gives the offset of the first 0 or 1 bit in a string or a range of it."),
    BIT_CMD("bitop", bitop_command, -4, CMD_WRITE | CMD_DENYOOM, ACL_WRITE | ACL_BITMAP | ACL_SLOW,
            2, -1, "2.6.0", "O(N)",
            "Combines strings bit by bit (AND, OR, XOR, NOT) into a destination key."),
    BIT_CMD("bitfield", bitfield_command, -2, CMD_WRITE | CMD_DENYOOM,
            ACL_WRITE | ACL_BITMAP | ACL_SLOW, 1, 1, "3.2.0", "O(1) per subcommand given",
            "Reads, writes and increments integers of any width packed in a string."),
    BIT_CMD("bitfield_ro", bitfield_ro_command, -2, CMD_READONLY | CMD_FAST,
            ACL_READ | ACL_BITMAP | ACL_FAST, 1, 1, "6.0.0", "O(1) per subcommand given",
            "Reads integers of any width packed in a string, without writing."),
    {.name = NULL},
};

void bitmap_register(void) {
    command_register(bitmap_commands);
}
