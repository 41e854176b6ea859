/*
 * dstr.c - growable byte strings (see dstr.h).
 *
 * Invariants: len <= cap <= DSTR_MAX_LEN, buf[len] == '\0', and
 * sizeof(dstr) + cap + 1 <= the allocator's usable size of the block. After
 * every (re)allocation cap is recomputed from the usable size, so slack the
 * allocator rounds up to is used before the next reallocation.
 */
#include "dstr.h"

#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DSTR_GROW_LINEAR (1024 * 1024)

static void too_long(size_t len) {
    fprintf(stderr, "pairdb: string of %zu bytes exceeds the dstr limit\n", len);
    fflush(stderr);
    abort();
}

static void set_cap(dstr *s) {
    size_t room = mem_usable(s) - sizeof(dstr) - 1;
    s->cap = (uint32_t)(room > DSTR_MAX_LEN ? DSTR_MAX_LEN : room);
}

static dstr *alloc_cap(size_t cap) {
    if (cap > DSTR_MAX_LEN) too_long(cap);
    dstr *s = mem_alloc(sizeof(dstr) + cap + 1);
    s->len = 0;
    set_cap(s);
    return s;
}

dstr *dstr_new(const char *p, size_t len) {
    dstr *s = alloc_cap(len);
    if (len) memcpy(s->buf, p, len);
    s->len = (uint32_t)len;
    s->buf[len] = '\0';
    return s;
}

dstr *dstr_new_zero(size_t len) {
    dstr *s = alloc_cap(len);
    memset(s->buf, 0, len + 1);
    s->len = (uint32_t)len;
    return s;
}

/* Makes room for need bytes (plus NUL), growing geometrically. */
static dstr *reserve(dstr *s, size_t need) {
    if (need <= s->cap) return s;
    if (need > DSTR_MAX_LEN) too_long(need);
    size_t cap = need < DSTR_GROW_LINEAR ? need * 2 : need + DSTR_GROW_LINEAR;
    if (cap > DSTR_MAX_LEN) cap = DSTR_MAX_LEN;
    s = mem_realloc(s, sizeof(dstr) + cap + 1);
    set_cap(s);
    return s;
}

dstr *dstr_append(dstr *s, const char *p, size_t len) {
    if (len == 0) return s;
    if (len > DSTR_MAX_LEN - s->len) too_long((size_t)s->len + len);
    /* Appending a slice of s itself: remember it as an offset across the
     * realloc. */
    uintptr_t base = (uintptr_t)s->buf, at = (uintptr_t)p;
    int self = at >= base && at <= base + s->len;
    size_t off = self ? (size_t)(at - base) : 0;
    s = reserve(s, (size_t)s->len + len);
    if (self) p = s->buf + off;
    memmove(s->buf + s->len, p, len);
    s->len += (uint32_t)len;
    s->buf[s->len] = '\0';
    return s;
}

dstr *dstr_grow_zero(dstr *s, size_t newlen) {
    if (newlen <= s->len) return s;
    s = reserve(s, newlen);
    memset(s->buf + s->len, 0, newlen - s->len + 1);
    s->len = (uint32_t)newlen;
    return s;
}

void dstr_free(dstr *s) {
    mem_free(s);
}

size_t dstr_alloc_size(const dstr *s) {
    return mem_usable((void *)s);
}

dstr *dstr_trim_alloc(dstr *s) {
    if (s->cap == s->len) return s;
    s = mem_realloc(s, sizeof(dstr) + s->len + 1);
    set_cap(s);
    return s;
}
