/*
 * numconv.c - number parsing/formatting with Redis's exact rules (see
 * numconv.h).
 *
 * The float parsers defer to strtold/strtod, as Redis does, so every corner
 * (hex floats, "infinity", rounding of long inputs) behaves identically;
 * what this file adds is the whole-buffer and no-space checks, and a bounded
 * NUL-terminated copy since libc needs a C string. Short inputs are copied to
 * the stack; only long ones (rare, and possible only for numconv_str2d) take
 * a heap copy. Like Redis, this relies on LC_NUMERIC staying "C" (the
 * process must not call setlocale for it), so '.' is the decimal point.
 */
#include "numconv.h"

#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STACK_COPY 128

int numconv_str2ll(const char *s, size_t len, long long *out) {
    size_t i = 0;
    int neg = 0;
    unsigned long long v;

    if (len == 0 || len > 20) return 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    if (s[0] == '-') {
        neg = 1;
        i = 1;
        if (len == 1) return 0;
    }
    /* A leading zero is never canonical here; this also rejects "-0". */
    if (s[i] < '1' || s[i] > '9') return 0;
    v = (unsigned long long)(s[i++] - '0');
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1) return 0;
        *out = (v == (unsigned long long)LLONG_MAX + 1) ? LLONG_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX) return 0;
        *out = (long long)v;
    }
    return 1;
}

int numconv_is_canonical_int(const char *s, size_t len, long long *out) {
    return len <= 20 && numconv_str2ll(s, len, out);
}

/* Copies s into a NUL-terminated buffer: buf if it fits, else the heap.
 * The caller frees the result with release_copy. */
static char *c_string(const char *s, size_t len, char *buf, size_t bufsize) {
    char *c = len < bufsize ? buf : mem_alloc(len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

static void release_copy(char *c, char *buf) {
    if (c != buf) mem_free(c);
}

int numconv_str2ld(const char *s, size_t len, long double *out) {
    char buf[STACK_COPY];
    char *eptr;

    /* Redis parses into a 5 KiB buffer and refuses anything that does not fit. */
    if (len == 0 || len >= NUMCONV_LD_BUFSIZE) return 0;
    if (isspace((unsigned char)s[0])) return 0;
    char *c = c_string(s, len, buf, sizeof(buf));
    errno = 0;
    long double v = strtold(c, &eptr);
    int ok = (size_t)(eptr - c) == len && !isnan(v) && errno != EINVAL &&
             !(errno == ERANGE && (isinf(v) || v == 0));
    release_copy(c, buf);
    if (ok) *out = v;
    return ok;
}

int numconv_str2d(const char *s, size_t len, double *out) {
    char buf[STACK_COPY];
    char *eptr;

    if (len == 0 || isspace((unsigned char)s[0])) return 0;
    char *c = c_string(s, len, buf, sizeof(buf));
    errno = 0;
    double v = strtod(c, &eptr);
    int ok = (size_t)(eptr - c) == len && !isnan(v) && !(errno == ERANGE && (isinf(v) || v == 0));
    release_copy(c, buf);
    if (ok) *out = v;
    return ok;
}

size_t numconv_ld2str(char *dst, size_t dstlen, long double v) {
    if (isinf(v) || isnan(v) || dstlen == 0) return 0;
    int n = snprintf(dst, dstlen, "%.17Lf", v);
    if (n < 0 || (size_t)n + 1 > dstlen) return 0;
    size_t l = (size_t)n;
    /* "%.17Lf" always prints a '.', so trimming stops at it at the latest. */
    if (memchr(dst, '.', l)) {
        while (dst[l - 1] == '0')
            l--;
        if (dst[l - 1] == '.') l--;
    }
    if (l == 2 && dst[0] == '-' && dst[1] == '0') {
        dst[0] = '0';
        l = 1;
    }
    dst[l] = '\0';
    return l;
}

size_t numconv_ull2str(char *dst, unsigned long long v) {
    char tmp[NUMCONV_LL_BUFSIZE];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return n;
}
