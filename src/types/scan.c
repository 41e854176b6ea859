/*
 * scan.c - cursor and option parsing of the SCAN family (see scan.h).
 */
#include "types/scan.h"

#include <string.h>

int scan_parse_cursor(client *c, const resp_arg *a, uint64_t *out) {
    const char *p = a->ptr, *end = a->ptr + a->len;
    const char *nul = memchr(p, '\0', a->len);
    if (nul) end = nul;
    uint64_t v = 0;
    int neg = 0;
    if (p != end && (*p == '+' || *p == '-')) {
        neg = *p++ == '-';
        if (p == end) goto invalid;
    }
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') goto invalid;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) goto invalid;
        v = v * 10 + d;
    }
    *out = neg ? (uint64_t)0 - v : v;
    return 0;
invalid:
    reply_error(c, "ERR invalid cursor");
    return -1;
}

int scan_parse_options(client *c, int first, long long *count, const resp_arg **pat) {
    for (int i = first; i < c->argc; i += 2) {
        int more = c->argc - i >= 2;
        if (more && arg_is(&c->argv[i], "count")) {
            if (arg_ll(c, &c->argv[i + 1], count) < 0) return -1;
            if (*count < 1) {
                reply_error_syntax(c);
                return -1;
            }
        } else if (more && arg_is(&c->argv[i], "match")) {
            *pat = &c->argv[i + 1];
            if ((*pat)->len == 1 && (*pat)->ptr[0] == '*') *pat = NULL;
        } else {
            reply_error_syntax(c);
            return -1;
        }
    }
    return 0;
}
