/*
 * numconv.h - strict number parsing and formatting with Redis's rules.
 *
 * Commands accept numbers only in the exact forms Redis accepts, and reply
 * with the exact texts Redis writes, because clients compare them. Every
 * parser reads exactly [s, s+len): the input need not be NUL-terminated and
 * is treated as hostile. Parsers return 1 on success (storing *out) and 0 on
 * any invalid input (leaving *out alone).
 *
 * Callers: command handlers (INCR*, SETRANGE offsets, ZADD scores...), the
 * keyspace (choosing the integer encoding), the reply writer.
 */
#ifndef PAIRDB_NUMCONV_H
#define PAIRDB_NUMCONV_H

#include <stddef.h>

/* Buffer sizes that always suffice for the formatters below. */
#define NUMCONV_LL_BUFSIZE 21   /* "-9223372036854775808" plus NUL */
#define NUMCONV_LD_BUFSIZE 5120 /* any finite long double in "%.17Lf" */

/* Redis string2ll: the whole buffer is an optional '-' then 1..20 digits, no
 * '+', no spaces, no leading zeros ("0" itself is fine, "-0" is not), and the
 * value fits a long long. */
int numconv_str2ll(const char *s, size_t len, long long *out);
/* Redis string2ld: strtold over the whole buffer; no leading space, nothing
 * trailing, NaN rejected, overflow and underflow-to-zero rejected; "inf",
 * "+inf", "-inf", exponents and hex floats accepted. len must be 1..5119. */
int numconv_str2ld(const char *s, size_t len, long double *out);
/* Same rules with strtod, any length (ZADD scores, float arguments). */
int numconv_str2d(const char *s, size_t len, double *out);
/* Canonical decimal long long (the integer encoding test for string values):
 * exactly the texts numconv_str2ll accepts. */
int numconv_is_canonical_int(const char *s, size_t len, long long *out);

/* Redis ld2string "human" mode (INCRBYFLOAT/HINCRBYFLOAT replies): "%.17Lf"
 * with trailing zeros and a trailing '.' removed, "-0" written as "0".
 * Writes a NUL-terminated text into dst and returns its length; returns 0 if
 * v is inf or NaN or the untrimmed text plus NUL does not fit dstlen
 * (NUMCONV_LD_BUFSIZE always suffices). */
size_t numconv_ld2str(char *dst, size_t dstlen, long double v);
/* Decimal text of v into dst (at least NUMCONV_LL_BUFSIZE bytes),
 * NUL-terminated; returns the length. */
size_t numconv_ull2str(char *dst, unsigned long long v);
/* Signed integers and doubles as replies print them: resp_ll2str and
 * resp_d2str in proto/resp.h. */

#endif
