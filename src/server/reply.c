/*
 * reply.c - the reply API (see reply.h): RESP2/RESP3 encoding into the
 * client's output list.
 *
 * Output is a list of blocks. Small replies are copied into the tail block
 * (16 KB); a payload that does not fit gets a block of its own, sized to
 * fit, so a large value is copied once. A deferred length is an empty block
 * of its own in the list, filled in when the count is known; writev sends
 * the list as it is, so filling it in costs nothing more.
 */
#include "server/reply.h"

#include <stdarg.h>
#include <stdio.h>

#include "ds/mem.h"
#include "server/client.h"
#include "server/command.h"
#include "server/kv.h"
#include "server/stats.h"

void client_check_obuf_limits(client *c);

static reply_block *block_new(client *c, size_t size, int deferred) {
    reply_block *b;
    /* Reuse the client's drained block: a client answering one command at
     * a time would otherwise allocate and free 16 KB per command. */
    if (c->spare && c->spare->size >= size) {
        b = c->spare;
        c->spare = NULL;
        size = b->size;
    } else {
        b = mem_alloc(sizeof(reply_block) + size);
    }
    b->next = NULL;
    b->used = 0;
    b->size = size;
    b->deferred = deferred;
    if (c->reply_tail)
        c->reply_tail->next = b;
    else
        c->reply_head = b;
    c->reply_tail = b;
    c->reply_blocks++;
    return b;
}

static inline int reply_suppressed(const client *c) {
    return (c->flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_CLOSE_ASAP)) != 0;
}

static void append(client *c, const char *p, size_t len) {
    if (reply_suppressed(c) || len == 0) return;
    int collected = (c->flags & CLIENT_SCRIPT) != 0;
    if (!c->reply_bytes && !collected) client_request_write(c);
    c->reply_bytes += len;
    reply_block *b = c->reply_tail;
    if (b && !b->deferred) {
        size_t room = b->size - b->used;
        size_t n = len < room ? len : room;
        memcpy(b->buf + b->used, p, n);
        b->used += n;
        p += n;
        len -= n;
        if (!len) return;
    }
    b = block_new(c, len > REPLY_BLOCK_SIZE ? len : REPLY_BLOCK_SIZE, 0);
    memcpy(b->buf, p, len);
    b->used = len;
    if (!collected) client_check_obuf_limits(c);
}

static void header(client *c, char type, long long n) {
    char buf[RESP_HDR_MAX];
    append(c, buf, resp_encode_header(buf, type, n));
}

void reply_raw(client *c, const char *p, size_t len) {
    append(c, p, len);
}

void reply_ok(client *c) {
    append(c, "+OK\r\n", 5);
}

void reply_status_len(client *c, const char *s, size_t len) {
    append(c, "+", 1);
    append(c, s, len);
    append(c, "\r\n", 2);
}

void reply_status(client *c, const char *s) {
    reply_status_len(c, s, strlen(s));
}

void reply_error(client *c, const char *msg) {
    size_t len = strlen(msg);
    stats_count_error(msg);
    c->error_replied = 1;
    append(c, "-", 1);
    /* An error must stay on one line whatever its text holds. */
    const char *p = msg;
    while (len) {
        size_t run = strcspn(p, "\r\n");
        if (run > len) run = len;
        append(c, p, run);
        p += run;
        len -= run;
        if (len) {
            append(c, " ", 1);
            p++;
            len--;
        }
    }
    append(c, "\r\n", 2);
}

void reply_errorf(client *c, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    reply_error(c, buf);
}

void reply_error_arity(client *c) {
    reply_errorf(c, "ERR wrong number of arguments for '%s' command",
                 c->cmd ? c->cmd->fullname : "unknown");
}

void reply_error_syntax(client *c) {
    reply_error(c, "ERR syntax error");
}

void reply_error_wrongtype(client *c) {
    reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void reply_error_not_int(client *c) {
    reply_error(c, "ERR value is not an integer or out of range");
}

void reply_error_not_float(client *c) {
    reply_error(c, "ERR value is not a valid float");
}

void reply_error_overflow(client *c) {
    reply_error(c, "ERR increment or decrement would overflow");
}

void reply_int(client *c, long long v) {
    /* Small non-negative integers are the most common reply (DEL, EXISTS,
     * INCR on counters): skip the formatter for them. */
    if (v >= 0 && v < 10) {
        char buf[4] = {':', (char)('0' + v), '\r', '\n'};
        append(c, buf, 4);
        return;
    }
    header(c, ':', v);
}

void reply_bulk(client *c, const char *p, size_t len) {
    header(c, '$', (long long)len);
    append(c, p, len);
    append(c, "\r\n", 2);
}

void reply_bulk_cstr(client *c, const char *s) {
    if (!s)
        reply_null(c);
    else
        reply_bulk(c, s, strlen(s));
}

void reply_bulk_ll(client *c, long long v) {
    char buf[24];
    reply_bulk(c, buf, resp_ll2str(buf, v));
}

void reply_bulk_double(client *c, double d) {
    char buf[64];
    reply_bulk(c, buf, resp_d2str(buf, d));
}

void reply_kv_str(client *c, const kv *e) {
    char buf[24];
    size_t len;
    const char *p = kv_str(e, buf, &len);
    reply_bulk(c, p, len);
}

void reply_null(client *c) {
    if (c->resp >= 3)
        append(c, "_\r\n", 3);
    else
        append(c, "$-1\r\n", 5);
}

void reply_null_array(client *c) {
    if (c->resp >= 3)
        append(c, "_\r\n", 3);
    else
        append(c, "*-1\r\n", 5);
}

void reply_bool(client *c, int v) {
    if (c->resp >= 3)
        append(c, v ? "#t\r\n" : "#f\r\n", 4);
    else
        append(c, v ? ":1\r\n" : ":0\r\n", 4);
}

void reply_double(client *c, double d) {
    if (c->resp < 3) {
        reply_bulk_double(c, d);
        return;
    }
    char buf[64];
    size_t len = resp_d2str(buf, d);
    append(c, ",", 1);
    append(c, buf, len);
    append(c, "\r\n", 2);
}

void reply_bignum(client *c, const char *s, size_t len) {
    if (c->resp < 3) {
        reply_bulk(c, s, len);
        return;
    }
    append(c, "(", 1);
    append(c, s, len);
    append(c, "\r\n", 2);
}

void reply_verbatim(client *c, const char *s, size_t len, const char *ext) {
    if (c->resp < 3) {
        reply_bulk(c, s, len);
        return;
    }
    header(c, '=', (long long)len + 4);
    append(c, ext, 3);
    append(c, ":", 1);
    append(c, s, len);
    append(c, "\r\n", 2);
}

void reply_array(client *c, long n) {
    header(c, '*', n);
}

void reply_map(client *c, long n) {
    if (c->resp >= 3)
        header(c, '%', n);
    else
        header(c, '*', 2 * n);
}

void reply_set(client *c, long n) {
    header(c, c->resp >= 3 ? '~' : '*', n);
}

void reply_push(client *c, long n) {
    header(c, c->resp >= 3 ? '>' : '*', n);
}

void reply_attribute(client *c, long n) {
    if (c->resp >= 3) header(c, '|', n);
}

void reply_empty_array(client *c) {
    append(c, "*0\r\n", 4);
}

void reply_help(client *c, const char *const *lines) {
    char first[256];
    long n = 0;
    while (lines[n]) n++;
    const char *name = c->cmd ? c->cmd->name : "";
    const command *parent = c->cmd && c->cmd->parent ? c->cmd->parent : c->cmd;
    if (parent) name = parent->name;
    size_t i = 0;
    for (; name[i] && i < 100; i++) first[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    first[i] = '\0';
    reply_array(c, n + 3);
    char buf[400];
    snprintf(buf, sizeof buf, "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", first);
    reply_status(c, buf);
    for (long j = 0; j < n; j++) reply_status(c, lines[j]);
    reply_status(c, "HELP");
    reply_status(c, "    Prints this help.");
}

reply_deferred reply_defer(client *c) {
    reply_deferred d = {NULL};
    if (reply_suppressed(c)) return d;
    int collected = (c->flags & CLIENT_SCRIPT) != 0;
    if (!c->reply_bytes && !collected) client_request_write(c);
    d.node = block_new(c, RESP_HDR_MAX, 1);
    return d;
}

static void defer_fill(client *c, reply_deferred d, char type, long n) {
    reply_block *b = d.node;
    if (!b) return;
    b->used = resp_encode_header(b->buf, type, n);
    b->deferred = 0;
    c->reply_bytes += b->used;
}

void reply_defer_array(client *c, reply_deferred d, long n) {
    defer_fill(c, d, '*', n);
}

void reply_defer_map(client *c, reply_deferred d, long n) {
    if (c->resp >= 3)
        defer_fill(c, d, '%', n);
    else
        defer_fill(c, d, '*', 2 * n);
}

void reply_defer_set(client *c, reply_deferred d, long n) {
    defer_fill(c, d, c->resp >= 3 ? '~' : '*', n);
}
