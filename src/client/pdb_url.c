/*
 * pdb_url.c - connection options: defaults and URLs.
 *
 *   redis://[[user]:pass@]host[:port][/db]     host may be [ipv6]
 *   unix:///path/to/socket[?db=N]
 *   rediss://...                               the same over TLS
 *
 * The decoded strings are written into the caller's buffer, so parsing
 * allocates nothing; every number is range-checked.
 */
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"

void pdb_options_init(pdb_options *o) {
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->port = 6379;
    o->protocol = 3;
    o->connect_timeout_ms = 2000;
    o->reconnect_attempts = 3;
    o->reconnect_base_ms = 50;
    o->reconnect_max_ms = 1000;
    o->breaker_threshold = 5;
    o->breaker_cooldown_ms = 1000;
    o->tls_verify = 1;
}

/* Output buffer: decoded strings, each NUL-terminated. */
typedef struct out_buf {
    char *p;
    size_t len, cap;
} out_buf;

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Copies s[0..n) into the buffer, decoding %XX when asked; returns the copy
 * or NULL (bad escape, or an escaped NUL that would cut the string). */
static const char *put(out_buf *b, const char *s, size_t n, int decode) {
    if (b->cap - b->len < n + 1) return NULL;
    char *start = b->p + b->len;
    char *d = start;
    for (size_t i = 0; i < n; i++) {
        if (decode && s[i] == '%') {
            if (i + 2 >= n) return NULL;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return NULL;
            *d++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *d++ = s[i];
        }
    }
    *d++ = '\0';
    b->len += (size_t)(d - start);
    return start;
}

/* Decimal in [lo, hi] made of s[0..n) only. */
static int parse_num(const char *s, size_t n, long lo, long hi, int *out) {
    if (n == 0 || n > 10) return 0;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

static int fail(char *err, size_t errlen, int kind, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
    return kind;
}

static int parse_unix(const char *rest, pdb_options *o, out_buf *b, char *err, size_t errlen) {
    /* rest starts after "unix://": an absolute path, then an optional ?db=N */
    if (rest[0] != '/') return fail(err, errlen, PDB_ERR_ARG, "unix URL needs an absolute path");
    const char *q = strchr(rest, '?');
    size_t plen = q ? (size_t)(q - rest) : strlen(rest);
    const char *path = put(b, rest, plen, 1);
    if (!path) return fail(err, errlen, PDB_ERR_ARG, "bad path in URL");
    int db = o->db;
    if (q) {
        if (strncmp(q + 1, "db=", 3) != 0 || !parse_num(q + 4, strlen(q + 4), 0, 1 << 30, &db))
            return fail(err, errlen, PDB_ERR_ARG, "unix URL query must be ?db=N");
    }
    o->unix_path = path;
    o->db = db;
    return PDB_OK;
}

/* userinfo is "user:pass", ":pass" or "pass" (a password only, as redis-cli). */
static int parse_userinfo(const char *s, size_t n, pdb_options *o, out_buf *b) {
    const char *colon = memchr(s, ':', n);
    const char *user = NULL, *pass;
    if (colon) {
        if (colon > s) {
            user = put(b, s, (size_t)(colon - s), 1);
            if (!user) return 0;
        }
        pass = put(b, colon + 1, n - (size_t)(colon - s) - 1, 1);
    } else {
        pass = put(b, s, n, 1);
    }
    if (!pass) return 0;
    if (user) o->user = user;
    o->password = pass;
    return 1;
}

static int parse_tcp(const char *rest, pdb_options *o, out_buf *b, char *err, size_t errlen) {
    const char *end = rest + strcspn(rest, "/?#");
    if (*end == '?' || *end == '#')
        return fail(err, errlen, PDB_ERR_ARG, "URL queries are not supported for redis://");
    const char *at = NULL;
    for (const char *p = rest; p < end; p++)
        if (*p == '@') at = p; /* the last '@': passwords may hold escaped ones */
    const char *hostpart = rest;
    if (at) {
        if (!parse_userinfo(rest, (size_t)(at - rest), o, b))
            return fail(err, errlen, PDB_ERR_ARG, "bad user or password in URL");
        hostpart = at + 1;
    }
    const char *hend, *portstr = NULL;
    const char *hstart = hostpart;
    if (*hostpart == '[') {
        const char *close = memchr(hostpart, ']', (size_t)(end - hostpart));
        if (!close) return fail(err, errlen, PDB_ERR_ARG, "unclosed '[' in URL host");
        hstart = hostpart + 1;
        hend = close;
        if (close + 1 < end) {
            if (close[1] != ':') return fail(err, errlen, PDB_ERR_ARG, "bad URL host");
            portstr = close + 2;
        }
    } else {
        const char *colon = memchr(hostpart, ':', (size_t)(end - hostpart));
        hend = colon ? colon : end;
        if (colon) portstr = colon + 1;
    }
    if (hend > hstart) {
        const char *host = put(b, hstart, (size_t)(hend - hstart), 0);
        if (!host) return fail(err, errlen, PDB_ERR_ARG, "bad URL host");
        o->host = host;
    }
    if (portstr && !parse_num(portstr, (size_t)(end - portstr), 1, 65535, &o->port))
        return fail(err, errlen, PDB_ERR_ARG, "bad port in URL");
    if (*end == '/' && end[1] != '\0' && !parse_num(end + 1, strlen(end + 1), 0, 1 << 30, &o->db))
        return fail(err, errlen, PDB_ERR_ARG, "bad database number in URL");
    o->unix_path = NULL;
    return PDB_OK;
}

int pdb_url_parse(const char *url, pdb_options *o, char *buf, size_t buflen, char *err,
                  size_t errlen) {
    if (err && errlen) err[0] = '\0';
    if (!url || !o || !buf) return fail(err, errlen, PDB_ERR_ARG, "missing argument");
    size_t len = strnlen(url, PDB_URL_MAX + 1);
    if (len > PDB_URL_MAX) return fail(err, errlen, PDB_ERR_ARG, "URL too long");
    if (buflen < len + 1) return fail(err, errlen, PDB_ERR_ARG, "URL buffer too small");
    out_buf b = {buf, 0, buflen};
    /* Work on a copy of the options so a bad URL changes nothing. */
    pdb_options tmp = *o;
    int rc;
    if (strncmp(url, "rediss://", 9) == 0) {
        rc = parse_tcp(url + 9, &tmp, &b, err, errlen);
        tmp.tls = 1;
    } else if (strncmp(url, "redis://", 8) == 0) {
        rc = parse_tcp(url + 8, &tmp, &b, err, errlen);
        tmp.tls = 0;
    }
    else if (strncmp(url, "unix://", 7) == 0)
        rc = parse_unix(url + 7, &tmp, &b, err, errlen);
    else
        return fail(err, errlen, PDB_ERR_ARG, "URL scheme must be redis://, rediss:// or unix://");
    if (rc == PDB_OK) *o = tmp;
    return rc;
}
