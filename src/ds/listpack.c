/*
 * listpack.c - PairDB's compact sequence encoding (see listpack.h).
 *
 * Layout (all multi-byte numbers little-endian):
 *
 *   [total bytes u32][count u32][entry]...[0xFF]
 *   entry = [encoding][payload][backlen]
 *
 * Encoding byte (first byte of an entry):
 *
 *   0xxxxxxx                 integer 0..127 in the byte itself
 *   10llllll                 string, length 0..63, then the bytes
 *   110iiiii iiiiiiii        13-bit signed integer -4096..4095 (high bits first)
 *   1110llll llllllll        string, length 0..4095 (high bits first), then the bytes
 *   0xF0 l32                 string, 32-bit length, then the bytes
 *   0xF1 i16 / 0xF2 i24 / 0xF3 i32 / 0xF4 i64   signed integers, two's complement
 *   0xF5..0xFE               invalid
 *   0xFF                     terminator (not an entry)
 *
 * backlen is the size of [encoding][payload] written so it can be read from
 * its last byte towards the front: the last byte holds the lowest 7 bits,
 * and a byte's high bit says another 7 more significant bits sit just
 * before it. 1 byte below 128, 2 below 16384, up to 5 bytes. Each entry
 * carries its own backlen, so inserting or deleting never touches its
 * neighbours (no cascading updates).
 *
 * Strings that are the canonical decimal form of a 64-bit integer are stored
 * as the smallest integer encoding that holds them; a small hash field or
 * set member such as "42" costs 2 bytes.
 *
 * Invariants: (1) total bytes == allocation used size; (2) count == number
 * of entries; (3) last byte 0xFF; every backlen equals its entry's encoded
 * size in the form written above; (4) every entry is canonical: integers
 * use the narrowest encoding, strings the shortest length form, and no
 * string entry holds a canonical integer text. lp_validate checks all of
 * it, so a RESTOREd listpack obeys the same rules as a written one.
 *
 * Callers: the list, hash, set and sorted-set types, DUMP/RESTORE.
 */
#include "ds/listpack.h"

#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/numconv.h"

#define HDR_SIZE 8
#define LP_EOF 0xFF

/* ---- small byte helpers ------------------------------------------------- */

static inline uint32_t rd_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void wr_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t total_of(const listpack *lp) {
    return rd_u32(lp);
}

static inline unsigned backlen_size(size_t l) {
    if (l < 128) return 1;
    if (l < 16384) return 2;
    if (l < 2097152) return 3;
    if (l < 268435456) return 4;
    return 5;
}

static void backlen_write(unsigned char *dst, size_t l) {
    unsigned n = backlen_size(l);
    /* Lowest group last; every byte but the first says "more before me". */
    for (unsigned i = n; i-- > 0;) {
        dst[i] = (unsigned char)((l & 127) | (i > 0 ? 128 : 0));
        l >>= 7;
    }
}

/* Reads a backlen whose last byte is at p; stops at lo (never reads below). */
static size_t backlen_read(const unsigned char *p, const unsigned char *lo, int *ok) {
    size_t v = 0;
    unsigned shift = 0;
    for (int i = 0; i < 5; i++) {
        if (p < lo) break;
        v |= (size_t)(*p & 127) << shift;
        if (!(*p & 128)) {
            *ok = 1;
            return v;
        }
        shift += 7;
        p--;
    }
    *ok = 0;
    return 0;
}

/* Size of [encoding][payload] of a trusted entry. */
static inline size_t enc_size(const unsigned char *p) {
    unsigned char b = p[0];
    if (b < 0x80) return 1;
    if ((b & 0xC0) == 0x80) return 1 + (size_t)(b & 63);
    if ((b & 0xE0) == 0xC0) return 2;
    if ((b & 0xF0) == 0xE0) return 2 + (((size_t)(b & 15) << 8) | p[1]);
    switch (b) {
    case 0xF0: return 5 + (size_t)rd_u32(p + 1);
    case 0xF1: return 3;
    case 0xF2: return 4;
    case 0xF3: return 5;
    default: return 9; /* 0xF4 */
    }
}

static inline size_t entry_size(const unsigned char *p) {
    size_t l = enc_size(p);
    return l + backlen_size(l);
}

/* Decodes a trusted entry: 1 and *v for integers, 0 and the string in *s, *len. */
static inline int decode(const unsigned char *p, const unsigned char **s, size_t *len,
                         long long *v) {
    unsigned char b = p[0];
    if (b < 0x80) {
        *v = b;
        return 1;
    }
    if ((b & 0xC0) == 0x80) {
        *s = p + 1;
        *len = b & 63;
        return 0;
    }
    if ((b & 0xE0) == 0xC0) {
        unsigned u = ((unsigned)(b & 0x1F) << 8) | p[1];
        *v = (u & 0x1000) ? (long long)u - 0x2000 : (long long)u;
        return 1;
    }
    if ((b & 0xF0) == 0xE0) {
        *s = p + 2;
        *len = ((size_t)(b & 15) << 8) | p[1];
        return 0;
    }
    switch (b) {
    case 0xF0:
        *s = p + 5;
        *len = rd_u32(p + 1);
        return 0;
    case 0xF1:
        *v = (int16_t)(uint16_t)(p[1] | p[2] << 8);
        return 1;
    case 0xF2: {
        uint32_t u = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16;
        *v = (u & 0x800000) ? (long long)u - 0x1000000 : (long long)u;
        return 1;
    }
    case 0xF3:
        *v = (int32_t)rd_u32(p + 1);
        return 1;
    default: {
        uint64_t u = (uint64_t)rd_u32(p + 1) | (uint64_t)rd_u32(p + 5) << 32;
        *v = (long long)u;
        return 1;
    }
    }
}

/* ---- encoding new entries ---------------------------------------------- */

typedef struct lpenc {
    unsigned char hdr[9]; /* encoding byte(s), plus the integer payload */
    unsigned hlen;
    const char *s; /* string payload (NULL for integers) */
    size_t slen;
    size_t enclen; /* hlen + slen */
    size_t total;  /* enclen + backlen */
} lpenc;

static void enc_int(lpenc *e, long long v) {
    e->s = NULL;
    e->slen = 0;
    if (v >= 0 && v <= 127) {
        e->hdr[0] = (unsigned char)v;
        e->hlen = 1;
    } else if (v >= -4096 && v <= 4095) {
        unsigned u = (unsigned)(v & 0x1FFF);
        e->hdr[0] = (unsigned char)(0xC0 | (u >> 8));
        e->hdr[1] = (unsigned char)u;
        e->hlen = 2;
    } else {
        uint64_t u = (uint64_t)v;
        unsigned n;
        if (v >= INT16_MIN && v <= INT16_MAX) {
            e->hdr[0] = 0xF1;
            n = 2;
        } else if (v >= -8388608 && v <= 8388607) {
            e->hdr[0] = 0xF2;
            n = 3;
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            e->hdr[0] = 0xF3;
            n = 4;
        } else {
            e->hdr[0] = 0xF4;
            n = 8;
        }
        for (unsigned i = 0; i < n; i++) e->hdr[1 + i] = (unsigned char)(u >> (8 * i));
        e->hlen = 1 + n;
    }
    e->enclen = e->hlen;
    e->total = e->enclen + backlen_size(e->enclen);
}

/* Callers check the 32-bit length limit (lp_grow aborts past it anyway). */
static void enc_str(lpenc *e, const char *s, size_t len) {
    long long v;
    if (len > 0 && len <= 20 && numconv_is_canonical_int(s, len, &v)) {
        enc_int(e, v);
        return;
    }
    if (len < 64) {
        e->hdr[0] = (unsigned char)(0x80 | len);
        e->hlen = 1;
    } else if (len < 4096) {
        e->hdr[0] = (unsigned char)(0xE0 | (len >> 8));
        e->hdr[1] = (unsigned char)len;
        e->hlen = 2;
    } else {
        e->hdr[0] = 0xF0;
        wr_u32(e->hdr + 1, (uint32_t)len);
        e->hlen = 5;
    }
    e->s = s;
    e->slen = len;
    e->enclen = e->hlen + len;
    e->total = e->enclen + backlen_size(e->enclen);
}

static void enc_write(unsigned char *dst, const lpenc *e) {
    memcpy(dst, e->hdr, e->hlen);
    if (e->slen) memcpy(dst + e->hlen, e->s, e->slen);
    backlen_write(dst + e->enclen, e->enclen);
}

/* Replaces del bytes (del_count entries) at off with the entry ins (or
 * nothing). The one place that resizes, so the header stays right. */
static listpack *splice(listpack *lp, size_t off, size_t del, uint32_t del_count,
                        const lpenc *ins) {
    size_t old = total_of(lp);
    size_t add = ins ? ins->total : 0;
    size_t nsize = old - del + add;
    if (nsize > UINT32_MAX) abort(); /* callers convert to the big encoding long before */
    size_t tail = old - off - del;
    /* The string may point into lp itself (e.g. a value copied from the
     * same listpack): copy it out before the buffer moves. */
    lpenc local;
    char *tmp = NULL;
    if (ins && ins->slen && (const unsigned char *)ins->s >= lp &&
        (const unsigned char *)ins->s < lp + old) {
        tmp = mem_memdup(ins->s, ins->slen);
        local = *ins;
        local.s = tmp;
        ins = &local;
    }
    if (add > del) {
        lp = mem_realloc(lp, nsize);
        memmove(lp + off + add, lp + off + del, tail);
    } else if (add < del) {
        memmove(lp + off + add, lp + off + del, tail);
        lp = mem_realloc(lp, nsize);
    }
    if (ins) enc_write(lp + off, ins);
    wr_u32(lp, (uint32_t)nsize);
    wr_u32(lp + 4, lp_count(lp) - del_count + (ins ? 1 : 0));
    mem_free(tmp);
    return lp;
}

/* ---- public API -------------------------------------------------------- */

listpack *lp_new(void) {
    listpack *lp = mem_alloc(HDR_SIZE + 1);
    wr_u32(lp, HDR_SIZE + 1);
    wr_u32(lp + 4, 0);
    lp[HDR_SIZE] = LP_EOF;
    return lp;
}

void lp_free(listpack *lp) {
    mem_free(lp);
}

listpack *lp_dup(const listpack *lp) {
    return mem_memdup(lp, total_of(lp));
}

size_t lp_bytes(const listpack *lp) {
    return total_of(lp);
}

uint32_t lp_count(const listpack *lp) {
    return rd_u32(lp + 4);
}

int lp_safe_to_add(const listpack *lp, size_t add) {
    size_t cur = lp ? total_of(lp) : HDR_SIZE + 1;
    return add <= UINT32_MAX - 16 - cur;
}

unsigned char *lp_first(listpack *lp) {
    unsigned char *p = lp + HDR_SIZE;
    return *p == LP_EOF ? NULL : p;
}

unsigned char *lp_next(listpack *lp, unsigned char *p) {
    (void)lp;
    if (!p || *p == LP_EOF) return NULL;
    p += entry_size(p);
    return *p == LP_EOF ? NULL : p;
}

unsigned char *lp_prev(listpack *lp, unsigned char *p) {
    if (!p || p <= lp + HDR_SIZE) return NULL;
    int ok;
    size_t l = backlen_read(p - 1, lp + HDR_SIZE, &ok);
    return p - l - backlen_size(l);
}

unsigned char *lp_last(listpack *lp) {
    return lp_prev(lp, lp + total_of(lp) - 1);
}

unsigned char *lp_seek(listpack *lp, long index) {
    long n = (long)lp_count(lp);
    if (index < 0) index += n;
    if (index < 0 || index >= n) return NULL;
    unsigned char *p;
    if (index <= n / 2) {
        p = lp + HDR_SIZE;
        while (index-- > 0) p += entry_size(p);
    } else {
        p = lp_last(lp);
        for (long i = n - 1; i > index; i--) p = lp_prev(lp, p);
    }
    return p;
}

const char *lp_get(const unsigned char *p, size_t *len, long long *ival) {
    const unsigned char *s;
    if (decode(p, &s, len, ival)) return NULL;
    return (const char *)s;
}

/* Decimal text of v; buf must hold LP_INTBUF bytes. Returns the length. */
static size_t ll2str(char buf[LP_INTBUF], long long v) {
    char tmp[LP_INTBUF];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (v < 0) buf[len++] = '-';
    while (n) buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

const char *lp_get_str(const unsigned char *p, size_t *len, char buf[LP_INTBUF]) {
    const unsigned char *s;
    long long v;
    if (decode(p, &s, len, &v)) {
        *len = ll2str(buf, v);
        return buf;
    }
    return (const char *)s;
}

/* Entries are canonical (invariant 4 above), so an element equals a text
 * exactly when its bytes equal the text's own encoding: no integer is
 * decoded or formatted while searching, and the first byte alone rejects
 * most short strings of another length. */
static inline int match_enc(const unsigned char *p, size_t l, const lpenc *e) {
    return p[0] == e->hdr[0] && l == e->enclen &&
           (e->hlen == 1 || memcmp(p + 1, e->hdr + 1, e->hlen - 1) == 0) &&
           (e->slen == 0 || memcmp(p + e->hlen, e->s, e->slen) == 0);
}

int lp_eq(const unsigned char *p, const char *s, size_t len) {
    lpenc e;
    enc_str(&e, s, len);
    return match_enc(p, enc_size(p), &e);
}

unsigned char *lp_find(listpack *lp, unsigned char *p, const char *s, size_t len,
                       unsigned skip) {
    (void)lp;
    if (!p) return NULL;
    lpenc e;
    enc_str(&e, s, len);
    unsigned left = 0;
    while (*p != LP_EOF) {
        size_t l = enc_size(p);
        if (left == 0) {
            if (match_enc(p, l, &e)) return p;
            left = skip;
        } else {
            left--;
        }
        p += l + backlen_size(l);
    }
    return NULL;
}

listpack *lp_append(listpack *lp, const char *s, size_t len) {
    lpenc e;
    enc_str(&e, s, len);
    return splice(lp, total_of(lp) - 1, 0, 0, &e);
}

listpack *lp_prepend(listpack *lp, const char *s, size_t len) {
    lpenc e;
    enc_str(&e, s, len);
    return splice(lp, HDR_SIZE, 0, 0, &e);
}

listpack *lp_append_int(listpack *lp, long long v) {
    lpenc e;
    enc_int(&e, v);
    return splice(lp, total_of(lp) - 1, 0, 0, &e);
}

listpack *lp_insert(listpack *lp, unsigned char **p, int where, const char *s, size_t len) {
    lpenc e;
    enc_str(&e, s, len);
    size_t off;
    if (!*p || **p == LP_EOF) {
        off = total_of(lp) - 1;
    } else {
        off = (size_t)(*p - lp);
        if (where == LP_AFTER) off += entry_size(*p);
    }
    lp = splice(lp, off, 0, 0, &e);
    *p = lp + off;
    return lp;
}

listpack *lp_replace(listpack *lp, unsigned char **p, const char *s, size_t len) {
    lpenc e;
    enc_str(&e, s, len);
    size_t off = (size_t)(*p - lp);
    lp = splice(lp, off, entry_size(*p), 1, &e);
    *p = lp + off;
    return lp;
}

listpack *lp_delete(listpack *lp, unsigned char **p) {
    size_t off = (size_t)(*p - lp);
    lp = splice(lp, off, entry_size(*p), 1, NULL);
    *p = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

listpack *lp_delete_range(listpack *lp, long index, unsigned long num) {
    unsigned char *start = lp_seek(lp, index);
    if (!start || num == 0) return lp;
    unsigned char *p = start;
    uint32_t n = 0;
    while (num-- > 0 && *p != LP_EOF) {
        p += entry_size(p);
        n++;
    }
    return splice(lp, (size_t)(start - lp), (size_t)(p - start), n, NULL);
}

/* ---- validation -------------------------------------------------------- */

/* Size of [encoding][payload] of the untrusted entry at p, 0 when it does
 * not fit before end (the terminator's position) or is not an entry. */
static size_t enc_size_checked(const unsigned char *p, const unsigned char *end) {
    size_t avail = (size_t)(end - p);
    if (avail == 0) return 0;
    unsigned char b = p[0];
    size_t need;
    if (b < 0x80) {
        need = 1;
    } else if ((b & 0xC0) == 0x80) {
        need = 1 + (size_t)(b & 63);
    } else if ((b & 0xE0) == 0xC0) {
        need = 2;
    } else if ((b & 0xF0) == 0xE0) {
        if (avail < 2) return 0;
        need = 2 + (((size_t)(b & 15) << 8) | p[1]);
    } else if (b == 0xF0) {
        if (avail < 5) return 0;
        need = 5 + (size_t)rd_u32(p + 1);
    } else if (b >= 0xF1 && b <= 0xF4) {
        static const unsigned char w[] = {3, 4, 5, 9};
        need = w[b - 0xF1];
    } else {
        return 0;
    }
    return need <= avail ? need : 0;
}

/* 1 when the bounds-checked entry at p (encoding + payload l bytes) is
 * written exactly as the writer would write its value. */
static int canonical(const unsigned char *p, size_t l) {
    const unsigned char *s;
    size_t len;
    long long v;
    lpenc e;
    if (decode(p, &s, &len, &v)) enc_int(&e, v);
    else enc_str(&e, (const char *)s, len);
    return e.enclen == l && memcmp(p, e.hdr, e.hlen) == 0;
}

int lp_validate(const unsigned char *buf, size_t size, long expected_count) {
    if (!buf || size < HDR_SIZE + 1 || size > UINT32_MAX) return 0;
    if (rd_u32(buf) != size || buf[size - 1] != LP_EOF) return 0;
    uint32_t count = rd_u32(buf + 4);
    if (expected_count >= 0 && (unsigned long)expected_count != count) return 0;
    const unsigned char *end = buf + size - 1;
    const unsigned char *p = buf + HDR_SIZE;
    uint32_t n = 0;
    while (p < end) {
        size_t l = enc_size_checked(p, end);
        if (l == 0) return 0;
        unsigned bl = backlen_size(l);
        if ((size_t)(end - p) - l < bl) return 0;
        if (!canonical(p, l)) return 0;
        unsigned char want[5];
        backlen_write(want, l);
        if (memcmp(p + l, want, bl) != 0) return 0;
        p += l + bl;
        if (++n > count) return 0;
    }
    return n == count;
}
