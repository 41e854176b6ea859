/*
 * dstr.h - binary-safe growable byte string for large string values.
 *
 * One allocation: a small header followed by the bytes, always with a NUL at
 * buf[len] so the text can be handed to libc. Functions that may grow the
 * string may move it and return the new pointer; the old one is then
 * invalid (the usual realloc contract). cap is the usable room for bytes,
 * excluding the NUL, and includes any slack the allocator gave.
 *
 * Lengths are limited to DSTR_MAX_LEN; values are at most 512 MB by protocol
 * limits enforced by callers, and exceeding DSTR_MAX_LEN aborts rather than
 * wrapping the 32-bit fields.
 *
 * Callers: the string type (APPEND, SETRANGE, SETBIT), anything that
 * accumulates bytes.
 */
#ifndef PAIRDB_DSTR_H
#define PAIRDB_DSTR_H

#include <stddef.h>
#include <stdint.h>

typedef struct dstr {
    uint32_t len, cap;
    char buf[]; /* NUL-terminated at len */
} dstr;

#define DSTR_MAX_LEN ((size_t)UINT32_MAX - 64)

/* New string holding a copy of p[0..len). Caller frees with dstr_free. */
dstr *dstr_new(const char *p, size_t len);
/* New string of len zero bytes. */
dstr *dstr_new_zero(size_t len);
/* Appends p[0..len) (which may point into s itself); grows x2 below 1 MB,
 * by 1 MB above. Returns the possibly moved string. */
dstr *dstr_append(dstr *s, const char *p, size_t len);
/* Extends s with zero bytes up to newlen; no-op if already that long.
 * Returns the possibly moved string. */
dstr *dstr_grow_zero(dstr *s, size_t newlen);
void dstr_free(dstr *s);
/* Bytes the allocator holds for s (for memory accounting). */
size_t dstr_alloc_size(const dstr *s);
/* Gives back spare capacity; returns the possibly moved string. */
dstr *dstr_trim_alloc(dstr *s);

#endif
