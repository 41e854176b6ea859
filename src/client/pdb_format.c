/*
 * pdb_format.c - printf-style command formatting.
 *
 * The format is split on spaces into arguments; each argument is built from
 * literal bytes and directives (%s %b %d %lld %zu %f %%), so a %b blob may
 * hold spaces, NULs or CRLF and still be one argument. An argument exists
 * once it has a literal byte or a directive, which makes "%s" with "" an
 * empty argument rather than no argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "ds/mem.h"

/* The most arguments one format may produce (Redis takes 1024*1024). */
#define MAX_FORMAT_ARGS (1024 * 1024)

void cl_args_free(cl_args *a) {
    resp_buf_free(&a->bytes);
    mem_free(a->off);
    memset(a, 0, sizeof(*a));
}

/* Closes the current argument: its end offset becomes the next start. */
static int end_arg(cl_args *a) {
    if (a->argc >= MAX_FORMAT_ARGS) return -1;
    if (a->argc + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->off = mem_realloc(a->off, (size_t)a->cap * sizeof(*a->off));
    }
    a->argc++;
    a->off[a->argc] = a->bytes.len;
    return 0;
}

/* Appends one directive at fmt (just past '%'); returns the characters of
 * the directive consumed, or 0 for an unknown one. */
static size_t directive(cl_args *a, const char *f, va_list *ap) {
    char tmp[40];
    int n;
    if (f[0] == 's') {
        const char *s = va_arg(*ap, const char *);
        if (s) resp_buf_append(&a->bytes, s, strlen(s));
        return 1;
    }
    if (f[0] == 'b') {
        const void *p = va_arg(*ap, const void *);
        size_t len = va_arg(*ap, size_t);
        if (p && len) resp_buf_append(&a->bytes, p, len);
        return 1;
    }
    if (f[0] == '%') {
        resp_buf_append(&a->bytes, "%", 1);
        return 1;
    }
    if (f[0] == 'd') {
        n = snprintf(tmp, sizeof tmp, "%d", va_arg(*ap, int));
        resp_buf_append(&a->bytes, tmp, (size_t)n);
        return 1;
    }
    if (f[0] == 'l' && f[1] == 'l' && f[2] == 'd') {
        n = (int)resp_ll2str(tmp, va_arg(*ap, long long));
        resp_buf_append(&a->bytes, tmp, (size_t)n);
        return 3;
    }
    if (f[0] == 'z' && f[1] == 'u') {
        n = snprintf(tmp, sizeof tmp, "%zu", va_arg(*ap, size_t));
        resp_buf_append(&a->bytes, tmp, (size_t)n);
        return 2;
    }
    if (f[0] == 'f') {
        n = (int)resp_d2str(tmp, va_arg(*ap, double));
        resp_buf_append(&a->bytes, tmp, (size_t)n);
        return 1;
    }
    return 0;
}

int cl_format(cl_args *a, const char *fmt, va_list ap0, char *err, size_t errlen) {
    memset(a, 0, sizeof(*a));
    a->cap = 16;
    a->off = mem_alloc((size_t)a->cap * sizeof(*a->off));
    a->off[0] = 0;
    va_list ap;
    va_copy(ap, ap0);
    int in_arg = 0;
    for (const char *f = fmt; *f;) {
        if (*f == ' ') {
            if (in_arg && end_arg(a) < 0) goto too_many;
            in_arg = 0;
            f++;
            continue;
        }
        in_arg = 1;
        if (*f != '%') {
            resp_buf_append(&a->bytes, f, 1);
            f++;
            continue;
        }
        size_t used = directive(a, f + 1, &ap);
        if (used == 0) {
            snprintf(err, errlen, "unsupported format directive '%%%.3s'", f + 1);
            va_end(ap);
            cl_args_free(a);
            return PDB_ERR_ARG;
        }
        f += 1 + used;
    }
    if (in_arg && end_arg(a) < 0) goto too_many;
    va_end(ap);
    if (a->argc == 0) {
        snprintf(err, errlen, "empty command");
        cl_args_free(a);
        return PDB_ERR_ARG;
    }
    return PDB_OK;
too_many:
    va_end(ap);
    snprintf(err, errlen, "too many arguments");
    cl_args_free(a);
    return PDB_ERR_ARG;
}

static void encode_args(resp_buf *out, const cl_args *a) {
    resp_write_agg(out, '*', a->argc, 1);
    for (int i = 0; i < a->argc; i++)
        resp_write_bulk(out, a->bytes.data + a->off[i], a->off[i + 1] - a->off[i]);
}

void cl_encode_args(resp_buf *out, const cl_args *a) {
    encode_args(out, a);
}

long long pdb_format_command(char **out, const char *fmt, ...) {
    cl_args a;
    char err[64];
    va_list ap;
    *out = NULL;
    va_start(ap, fmt);
    int rc = cl_format(&a, fmt, ap, err, sizeof err);
    va_end(ap);
    if (rc != PDB_OK) return rc;
    resp_buf b = {0};
    encode_args(&b, &a);
    cl_args_free(&a);
    /* Handed to the caller, who frees it with free(). */
    char *copy = malloc(b.len + 1);
    if (!copy) {
        resp_buf_free(&b);
        return PDB_ERR_IO;
    }
    memcpy(copy, b.data, b.len);
    copy[b.len] = '\0';
    long long len = (long long)b.len;
    resp_buf_free(&b);
    *out = copy;
    return len;
}
