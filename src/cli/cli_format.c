/*
 * cli_format.c - how pairdb-cli prints a reply, in the three styles
 * redis-cli users know (byte for byte the same for the same reply):
 *
 *   raw   strings as they are; aggregates one element per line (maps
 *         "key value"); nil prints nothing; an error is its text and a
 *         newline; the whole reply is followed by a newline.
 *   tty   "(integer) 1", "\"quoted\"", "(nil)", "(error) ...", aggregates
 *         numbered "1) " with nested ones indented under their number, maps
 *         "1# key => value", sets "1~ ", empty ones "(empty array)" etc.
 *   csv   elements separated by commas, strings quoted, nil as NULL,
 *         errors as ERROR,"text".
 *
 * RESP3 attributes are printed in the tty style only, before the value they
 * annotate, as "|1# key => value" lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* ---- buffer ---- */

void cli_buf_add(cli_buf *b, const void *s, size_t n) {
    if (n == 0) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) abort(); /* out of memory: nothing sensible to print */
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void cli_buf_adds(cli_buf *b, const char *s) {
    cli_buf_add(b, s, strlen(s));
}

void cli_buf_addf(cli_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        cli_buf_add(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) abort();
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    cli_buf_add(b, big, (size_t)n);
    free(big);
}

void cli_buf_free(cli_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

const char *cli_buf_str(const cli_buf *b) {
    return b->p ? b->p : "";
}

void cli_buf_add_quoted(cli_buf *b, const char *s, size_t n) {
    cli_buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\\': cli_buf_add(b, "\\\\", 2); break;
        case '"': cli_buf_add(b, "\\\"", 2); break;
        case '\n': cli_buf_add(b, "\\n", 2); break;
        case '\r': cli_buf_add(b, "\\r", 2); break;
        case '\t': cli_buf_add(b, "\\t", 2); break;
        case '\a': cli_buf_add(b, "\\a", 2); break;
        case '\b': cli_buf_add(b, "\\b", 2); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                cli_buf_add(b, &s[i], 1);
            else
                cli_buf_addf(b, "\\x%02x", c);
        }
    }
    cli_buf_add(b, "\"", 1);
}

/* ---- helpers ---- */

/* Entries shown for an aggregate: pairs for a map, elements otherwise. */
static int is_pairs(int t) {
    return t == PDB_REPLY_MAP || t == PDB_REPLY_ATTR;
}

static size_t shown_entries(const pdb_reply *r) {
    return is_pairs(pdb_reply_type(r)) ? pdb_reply_map_size(r) : pdb_reply_elements(r);
}

static int digits(size_t n) {
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

static void add_view(cli_buf *b, const pdb_reply *r) {
    pdb_view v = pdb_reply_view(r);
    cli_buf_add(b, v.ptr, v.len);
}

/* ---- raw ---- */

static void format_raw(cli_buf *b, const pdb_reply *r) {
    int t = pdb_reply_type(r);
    switch (t) {
    case PDB_REPLY_NULL: break;
    case PDB_REPLY_ERROR:
        add_view(b, r);
        cli_buf_add(b, "\n", 1);
        break;
    case PDB_REPLY_INTEGER: cli_buf_addf(b, "%lld", pdb_reply_integer(r)); break;
    case PDB_REPLY_BOOL: cli_buf_adds(b, pdb_reply_integer(r) ? "(true)" : "(false)"); break;
    case PDB_REPLY_MAP:
        for (size_t i = 0; i < pdb_reply_map_size(r); i++) {
            if (i > 0) cli_buf_add(b, "\n", 1);
            format_raw(b, pdb_reply_map_key(r, i));
            cli_buf_add(b, " ", 1);
            format_raw(b, pdb_reply_map_value(r, i));
        }
        break;
    case PDB_REPLY_ARRAY:
    case PDB_REPLY_SET:
    case PDB_REPLY_PUSH:
        for (size_t i = 0; i < pdb_reply_elements(r); i++) {
            if (i > 0) cli_buf_add(b, "\n", 1);
            format_raw(b, pdb_reply_element(r, i));
        }
        break;
    default: add_view(b, r); /* status, string, double, big number, verbatim */
    }
}

/* ---- csv ---- */

static void format_csv(cli_buf *b, const pdb_reply *r) {
    int t = pdb_reply_type(r);
    switch (t) {
    case PDB_REPLY_NULL: cli_buf_adds(b, "NULL"); break;
    case PDB_REPLY_ERROR: {
        pdb_view v = pdb_reply_view(r);
        cli_buf_adds(b, "ERROR,");
        cli_buf_add_quoted(b, v.ptr, v.len);
        break;
    }
    case PDB_REPLY_INTEGER: cli_buf_addf(b, "%lld", pdb_reply_integer(r)); break;
    case PDB_REPLY_BOOL: cli_buf_adds(b, pdb_reply_integer(r) ? "true" : "false"); break;
    case PDB_REPLY_DOUBLE:
    case PDB_REPLY_BIGNUM: add_view(b, r); break;
    case PDB_REPLY_ARRAY:
    case PDB_REPLY_MAP:
    case PDB_REPLY_SET:
    case PDB_REPLY_PUSH:
        /* A map's children are its keys and values in turn. */
        for (size_t i = 0; i < pdb_reply_elements(r); i++) {
            if (i > 0) cli_buf_add(b, ",", 1);
            format_csv(b, pdb_reply_element(r, i));
        }
        break;
    default: {
        pdb_view v = pdb_reply_view(r);
        cli_buf_add_quoted(b, v.ptr, v.len);
    }
    }
}

/* ---- tty ---- */

static void format_tty(cli_buf *b, const pdb_reply *r, const char *prefix);

static const char *empty_name(int t) {
    switch (t) {
    case PDB_REPLY_MAP: return "(empty hash)\n";
    case PDB_REPLY_SET: return "(empty set)\n";
    case PDB_REPLY_PUSH: return "(empty push)\n";
    default: return "(empty array)\n";
    }
}

static char index_mark(int t) {
    if (t == PDB_REPLY_MAP) return '#';
    if (t == PDB_REPLY_SET) return '~';
    return ')';
}

/* The child prefix: the parent's plus room for the widest "N) " (and the
 * lead character of attribute lines). */
static char *child_prefix(const char *prefix, size_t entries, int lead) {
    size_t plen = strlen(prefix);
    size_t pad = (size_t)digits(entries) + 2 + (lead ? 1 : 0);
    char *p = malloc(plen + pad + 1);
    if (!p) abort();
    memcpy(p, prefix, plen);
    memset(p + plen, ' ', pad);
    p[plen + pad] = '\0';
    return p;
}

/* One map entry: the key on the index line, " => ", then the value inline
 * when it fits on one line, else starting on the next line under the key. */
static void format_tty_pair(cli_buf *b, const pdb_reply *key, const pdb_reply *val,
                            const char *prefix) {
    cli_buf k = {0}, v = {0};
    format_tty(&k, key, prefix);
    if (k.len && k.p[k.len - 1] == '\n') k.len--;
    cli_buf_add(b, k.p, k.len);
    cli_buf_adds(b, " => ");
    format_tty(&v, val, prefix);
    const char *nl = v.len ? memchr(v.p, '\n', v.len) : NULL;
    if (nl && nl != v.p + v.len - 1) {
        cli_buf_add(b, "\n", 1);
        cli_buf_adds(b, prefix);
    }
    cli_buf_add(b, v.p, v.len);
    cli_buf_free(&k);
    cli_buf_free(&v);
}

static void format_tty_aggregate(cli_buf *b, const pdb_reply *r, const char *prefix,
                                 char lead) {
    int t = pdb_reply_type(r);
    size_t n = shown_entries(r);
    if (n == 0) {
        cli_buf_adds(b, empty_name(t));
        return;
    }
    int width = digits(n);
    char *sub = child_prefix(prefix, n, lead);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) cli_buf_adds(b, prefix);
        if (lead) cli_buf_add(b, &lead, 1);
        cli_buf_addf(b, "%*zu%c ", width, i + 1, lead ? '#' : index_mark(t));
        if (is_pairs(t))
            format_tty_pair(b, pdb_reply_map_key(r, i), pdb_reply_map_value(r, i), sub);
        else
            format_tty(b, pdb_reply_element(r, i), sub);
    }
    free(sub);
}

static void format_tty(cli_buf *b, const pdb_reply *r, const char *prefix) {
    const pdb_reply *attr = pdb_reply_attribute(r);
    if (attr && pdb_reply_map_size(attr) > 0) {
        format_tty_aggregate(b, attr, prefix, '|');
        cli_buf_adds(b, prefix);
    }
    pdb_view v = pdb_reply_view(r);
    switch (pdb_reply_type(r)) {
    case PDB_REPLY_ERROR:
        cli_buf_adds(b, "(error) ");
        cli_buf_add(b, v.ptr, v.len);
        break;
    case PDB_REPLY_INTEGER: cli_buf_addf(b, "(integer) %lld", pdb_reply_integer(r)); break;
    case PDB_REPLY_DOUBLE:
        cli_buf_adds(b, "(double) ");
        cli_buf_add(b, v.ptr, v.len);
        break;
    case PDB_REPLY_BIGNUM:
        cli_buf_adds(b, "(big number) ");
        cli_buf_add(b, v.ptr, v.len);
        break;
    case PDB_REPLY_STRING: cli_buf_add_quoted(b, v.ptr, v.len); break;
    case PDB_REPLY_NULL: cli_buf_adds(b, "(nil)"); break;
    case PDB_REPLY_BOOL: cli_buf_adds(b, pdb_reply_integer(r) ? "(true)" : "(false)"); break;
    case PDB_REPLY_ARRAY:
    case PDB_REPLY_MAP:
    case PDB_REPLY_SET:
    case PDB_REPLY_PUSH: format_tty_aggregate(b, r, prefix, 0); return;
    default: cli_buf_add(b, v.ptr, v.len); /* status and verbatim text as they are */
    }
    cli_buf_add(b, "\n", 1);
}

void cli_format_reply(cli_buf *out, const pdb_reply *r, cli_output mode) {
    switch (mode) {
    case CLI_OUT_TTY: format_tty(out, r, ""); break;
    case CLI_OUT_CSV:
        format_csv(out, r);
        cli_buf_add(out, "\n", 1);
        break;
    default:
        format_raw(out, r);
        cli_buf_add(out, "\n", 1);
    }
}
