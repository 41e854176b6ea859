/*
 * resp_write.c - RESP encoders: number formatting, headers, whole values.
 *
 * resp_encode_header and resp_ll2str sit on the server's reply hot path (every
 * array, bulk and integer reply), so they format without snprintf, two digits
 * per step. The resp_write_* functions append whole values to a resp_buf and
 * serve the client library, tests and tools; their RESP2 forms for RESP3-only
 * types are the ones Redis 7.0 sends to a RESP2 client.
 *
 * Invariant: a resp_buf's data[0..len) is the encoded output; cap >= len.
 */
#include "proto/resp.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ds/mem.h"

void resp_buf_free(resp_buf *b) {
    mem_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static void reserve(resp_buf *b, size_t extra) {
    if (b->cap - b->len >= extra) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < extra)
        cap *= 2;
    b->data = mem_realloc(b->data, cap);
    b->cap = cap;
}

void resp_buf_append(resp_buf *b, const void *p, size_t n) {
    if (n == 0) return;
    reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void resp_buf_appendf(resp_buf *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof tmp) n = sizeof tmp - 1;
    resp_buf_append(b, tmp, (size_t)n);
}

static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

static size_t digits10(unsigned long long v) {
    size_t n = 1;
    for (;;) {
        if (v < 10) return n;
        if (v < 100) return n + 1;
        if (v < 1000) return n + 2;
        if (v < 10000) return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Writes v right to left from its end so no reversal is needed. */
static size_t ull2str(char *dst, unsigned long long v) {
    size_t n = digits10(v);
    size_t i = n;
    while (v >= 100) {
        unsigned k = (unsigned)(v % 100) * 2;
        v /= 100;
        dst[--i] = digit_pairs[k + 1];
        dst[--i] = digit_pairs[k];
    }
    if (v < 10) {
        dst[--i] = (char)('0' + v);
    } else {
        unsigned k = (unsigned)v * 2;
        dst[--i] = digit_pairs[k + 1];
        dst[--i] = digit_pairs[k];
    }
    return n;
}

size_t resp_ll2str(char *dst, long long v) {
    if (v < 0) {
        /* Negating in unsigned arithmetic is defined for LLONG_MIN too. */
        dst[0] = '-';
        return 1 + ull2str(dst + 1, 0ULL - (unsigned long long)v);
    }
    return ull2str(dst, (unsigned long long)v);
}

size_t resp_encode_header(char *dst, char type, long long n) {
    dst[0] = type;
    size_t len = 1 + resp_ll2str(dst + 1, n);
    dst[len++] = '\r';
    dst[len++] = '\n';
    return len;
}

size_t resp_d2str(char *dst, double d) {
    if (isnan(d)) {
        memcpy(dst, "nan", 3);
        return 3;
    }
    if (isinf(d)) {
        if (d > 0) {
            memcpy(dst, "inf", 3);
            return 3;
        }
        memcpy(dst, "-inf", 4);
        return 4;
    }
    /* %.17g of a finite double is at most 24 characters. */
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%.17g", d);
    if (n < 0) n = 0;
    if (n > 31) n = 31;
    memcpy(dst, tmp, (size_t)n);
    return (size_t)n;
}

static void write_header(resp_buf *b, char type, long long n) {
    reserve(b, RESP_HDR_MAX);
    b->len += resp_encode_header(b->data + b->len, type, n);
}

/* "<type>s\r\n" for the line types. */
static void write_line(resp_buf *b, char type, const char *s, size_t n) {
    reserve(b, n + 3);
    char *p = b->data + b->len;
    p[0] = type;
    if (n) memcpy(p + 1, s, n);
    p[n + 1] = '\r';
    p[n + 2] = '\n';
    b->len += n + 3;
}

void resp_write_simple(resp_buf *b, const char *s, size_t n) {
    write_line(b, '+', s, n);
}

void resp_write_error(resp_buf *b, const char *s, size_t n) {
    write_line(b, '-', s, n);
}

void resp_write_int(resp_buf *b, long long v) {
    write_header(b, ':', v);
}

void resp_write_bulk(resp_buf *b, const char *s, size_t n) {
    reserve(b, RESP_HDR_MAX + n + 2);
    b->len += resp_encode_header(b->data + b->len, '$', (long long)n);
    if (n) memcpy(b->data + b->len, s, n);
    b->data[b->len + n] = '\r';
    b->data[b->len + n + 1] = '\n';
    b->len += n + 2;
}

void resp_write_null(resp_buf *b, int resp3) {
    if (resp3)
        resp_buf_append(b, "_\r\n", 3);
    else
        resp_buf_append(b, "$-1\r\n", 5);
}

void resp_write_double(resp_buf *b, double d, int resp3) {
    char tmp[32];
    size_t n = resp_d2str(tmp, d);
    if (resp3)
        write_line(b, ',', tmp, n);
    else
        resp_write_bulk(b, tmp, n);
}

void resp_write_bool(resp_buf *b, int v, int resp3) {
    if (resp3)
        resp_buf_append(b, v ? "#t\r\n" : "#f\r\n", 4);
    else
        resp_buf_append(b, v ? ":1\r\n" : ":0\r\n", 4);
}

void resp_write_bignum(resp_buf *b, const char *s, size_t n, int resp3) {
    if (resp3)
        write_line(b, '(', s, n);
    else
        resp_write_bulk(b, s, n);
}

void resp_write_verbatim(resp_buf *b, const char *fmt3, const char *s, size_t n, int resp3) {
    if (!resp3) {
        resp_write_bulk(b, s, n);
        return;
    }
    reserve(b, RESP_HDR_MAX + 4 + n + 2);
    b->len += resp_encode_header(b->data + b->len, '=', (long long)n + 4);
    char *p = b->data + b->len;
    memcpy(p, fmt3, 3);
    p[3] = ':';
    if (n) memcpy(p + 4, s, n);
    p[n + 4] = '\r';
    p[n + 5] = '\n';
    b->len += n + 6;
}

void resp_write_agg(resp_buf *b, char type, long long n, int resp3) {
    if (type == '*' && n < 0) {
        if (resp3)
            resp_buf_append(b, "_\r\n", 3);
        else
            resp_buf_append(b, "*-1\r\n", 5);
        return;
    }
    if (!resp3) {
        switch (type) {
        case '|':
            return;
        case '%':
            type = '*';
            n *= 2;
            break;
        case '~':
        case '>':
            type = '*';
            break;
        default:
            break;
        }
    }
    write_header(b, type, n);
}

void resp_write_command(resp_buf *b, int argc, const char *const *argv, const size_t *argvlen) {
    write_header(b, '*', argc);
    for (int i = 0; i < argc; i++)
        resp_write_bulk(b, argv[i], argvlen[i]);
}
