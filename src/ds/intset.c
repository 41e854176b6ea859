/*
 * intset.c - sorted integer set (see intset.h).
 *
 * Invariants: width is 2, 4 or 8 and the smallest of those holding every
 * element after any add (removals never narrow it, as an upgrade is rare
 * and a downgrade scan would make SREM O(n) extra); elements strictly
 * ascending; the allocation is exactly 8 + width * length bytes.
 *
 * Elements are read and written with memcpy through fixed-width helpers so
 * a blob copied from anywhere needs no alignment; on the little-endian
 * hosts PairDB targets the compiler turns them into plain loads.
 */
#include "ds/intset.h"

#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"

#define IS_HDR 8

struct intset {
    unsigned char b[IS_HDR]; /* width u32, length u32; elements follow */
};

static inline uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void wr32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t width_of(const intset *is) {
    return rd32(is->b);
}

uint32_t intset_len(const intset *is) {
    return rd32(is->b + 4);
}

static inline unsigned char *elems(intset *is) {
    return (unsigned char *)is + IS_HDR;
}

static inline const unsigned char *celems(const intset *is) {
    return (const unsigned char *)is + IS_HDR;
}

/* Little-endian element i of width w. */
static inline int64_t get_at(const unsigned char *e, uint32_t w, uint32_t i) {
    const unsigned char *p = e + (size_t)i * w;
    if (w == 2) return (int16_t)(uint16_t)(p[0] | p[1] << 8);
    if (w == 4) return (int32_t)rd32(p);
    return (int64_t)((uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32);
}

static inline void set_at(unsigned char *e, uint32_t w, uint32_t i, int64_t v) {
    unsigned char *p = e + (size_t)i * w;
    uint64_t u = (uint64_t)v;
    for (uint32_t k = 0; k < w; k++) p[k] = (unsigned char)(u >> (8 * k));
}

static inline uint32_t width_for(int64_t v) {
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

/* Binary search: 1 and *pos when found, else 0 and *pos = insertion point. */
static int search(const intset *is, int64_t v, uint32_t *pos) {
    uint32_t w = width_of(is), n = intset_len(is);
    const unsigned char *e = celems(is);
    uint32_t lo = 0, hi = n;
    /* The common append/prepend cases skip the search. */
    if (n == 0) {
        *pos = 0;
        return 0;
    }
    if (v > get_at(e, w, n - 1)) {
        *pos = n;
        return 0;
    }
    if (v < get_at(e, w, 0)) {
        *pos = 0;
        return 0;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t m = get_at(e, w, mid);
        if (m == v) {
            *pos = mid;
            return 1;
        }
        if (m < v) lo = mid + 1;
        else hi = mid;
    }
    *pos = lo;
    return 0;
}

intset *intset_new(void) {
    intset *is = mem_alloc(IS_HDR);
    wr32(is->b, 2);
    wr32(is->b + 4, 0);
    return is;
}

void intset_free(intset *is) {
    mem_free(is);
}

intset *intset_dup(const intset *is) {
    return mem_memdup(is, intset_blob_len(is));
}

/* Rewrites every element at a wider width and adds v, which lies outside
 * the current range (it needed the upgrade), at the front or the back. */
static intset *upgrade_add(intset *is, int64_t v) {
    uint32_t ow = width_of(is), nw = width_for(v), n = intset_len(is);
    is = mem_realloc(is, IS_HDR + (size_t)nw * (n + 1));
    unsigned char *e = elems(is);
    uint32_t shift = v < 0 ? 1 : 0;
    /* Back to front so nothing is overwritten before it is read. */
    for (uint32_t i = n; i-- > 0;) set_at(e, nw, i + shift, get_at(e, ow, i));
    set_at(e, nw, v < 0 ? 0 : n, v);
    wr32(is->b, nw);
    wr32(is->b + 4, n + 1);
    return is;
}

intset *intset_add(intset *is, int64_t v, int *added) {
    if (added) *added = 0;
    if (width_for(v) > width_of(is)) {
        if (added) *added = 1;
        return upgrade_add(is, v);
    }
    uint32_t pos;
    if (search(is, v, &pos)) return is;
    uint32_t w = width_of(is), n = intset_len(is);
    is = mem_realloc(is, IS_HDR + (size_t)w * (n + 1));
    unsigned char *e = elems(is);
    memmove(e + (size_t)(pos + 1) * w, e + (size_t)pos * w, (size_t)(n - pos) * w);
    set_at(e, w, pos, v);
    wr32(is->b + 4, n + 1);
    if (added) *added = 1;
    return is;
}

intset *intset_remove(intset *is, int64_t v, int *removed) {
    uint32_t pos;
    if (removed) *removed = 0;
    if (width_for(v) > width_of(is) || !search(is, v, &pos)) return is;
    uint32_t w = width_of(is), n = intset_len(is);
    unsigned char *e = elems(is);
    memmove(e + (size_t)pos * w, e + (size_t)(pos + 1) * w, (size_t)(n - pos - 1) * w);
    wr32(is->b + 4, n - 1);
    is = mem_realloc(is, IS_HDR + (size_t)w * (n - 1));
    if (removed) *removed = 1;
    return is;
}

int intset_find(const intset *is, int64_t v) {
    uint32_t pos;
    return width_for(v) <= width_of(is) && search(is, v, &pos);
}

int intset_get(const intset *is, uint32_t idx, int64_t *v) {
    if (idx >= intset_len(is)) return 0;
    *v = get_at(celems(is), width_of(is), idx);
    return 1;
}

int64_t intset_random(const intset *is) {
    uint32_t n = intset_len(is);
    uint32_t i = (uint32_t)(((uint64_t)(uint32_t)random() << 31 | (uint32_t)random()) % n);
    return get_at(celems(is), width_of(is), i);
}

int64_t intset_min(const intset *is) {
    return get_at(celems(is), width_of(is), 0);
}

int64_t intset_max(const intset *is) {
    return get_at(celems(is), width_of(is), intset_len(is) - 1);
}

size_t intset_blob_len(const intset *is) {
    return IS_HDR + (size_t)width_of(is) * intset_len(is);
}

const unsigned char *intset_blob(const intset *is) {
    return is->b;
}

int intset_validate(const unsigned char *buf, size_t size) {
    if (!buf || size < IS_HDR) return 0;
    uint32_t w = rd32(buf), n = rd32(buf + 4);
    if (w != 2 && w != 4 && w != 8) return 0;
    if ((size - IS_HDR) / w != n || (size - IS_HDR) % w != 0) return 0;
    const unsigned char *e = buf + IS_HDR;
    for (uint32_t i = 1; i < n; i++)
        if (get_at(e, w, i - 1) >= get_at(e, w, i)) return 0;
    return 1;
}

intset *intset_from_blob(const unsigned char *buf, size_t size) {
    if (!intset_validate(buf, size)) return NULL;
    return mem_memdup(buf, size);
}
