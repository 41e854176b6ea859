/*
 * http.c - the admin listener's HTTP/1.x request parser and response
 * writer (see http.h for what is accepted and which status each refusal
 * gets).
 */
#include "admin/http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const http_limits default_limits = {HTTP_MAX_LINE, HTTP_MAX_HEADER_BYTES, HTTP_MAX_HEADERS,
                                           HTTP_MAX_BODY};

/* The longest Content-Length accepted as a number (18 digits cannot
 * overflow a long long); anything longer is over every sane max_body. */
#define HTTP_MAX_LENGTH_DIGITS 18

void http_parser_init(http_parser *p, const http_limits *lim) {
    memset(p, 0, sizeof *p);
    p->lim = lim ? *lim : default_limits;
}

/* Ready for the next request; the limits stay. */
static void http_parser_reset(http_parser *p) {
    http_limits lim = p->lim;
    http_parser_init(p, &lim);
}

static int http_fail(http_request *req, int status, const char *why) {
    req->status = status;
    req->error = why;
    return HTTP_PARSE_ERROR;
}

/* RFC 9110 token characters. */
static int http_is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Bytes allowed in a field value: visible ASCII, obs-text, space, tab. */
static int http_is_value_byte(unsigned char c) {
    return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

/* "METHOD SP origin-target SP HTTP/d.d", exactly one space between. */
static int http_parse_request_line(http_parser *p, const char *buf, size_t start, size_t end,
                                   http_request *req) {
    size_t i = start;
    while (i < end && http_is_tchar((unsigned char)buf[i]))
        i++;
    if (i == start || i >= end || buf[i] != ' ') return http_fail(req, 400, "bad method");
    p->method_len = i - start;
    size_t target = ++i;
    while (i < end && (unsigned char)buf[i] >= 0x21 && (unsigned char)buf[i] < 0x7f)
        i++;
    if (i == target || i >= end || buf[i] != ' ') return http_fail(req, 400, "bad request target");
    if (buf[target] != '/') return http_fail(req, 400, "only origin-form targets are served");
    size_t path_end = target;
    while (path_end < i && buf[path_end] != '?')
        path_end++;
    p->path_off = target;
    p->path_len = path_end - target;
    const char *v = buf + i + 1;
    if (end - (i + 1) != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
        v[6] != '.' || v[7] < '0' || v[7] > '9')
        return http_fail(req, 400, "bad HTTP version");
    if (v[5] != '1' || v[7] > '1') return http_fail(req, 505, "only HTTP/1.0 and HTTP/1.1");
    p->minor = v[7] - '0';
    const char *m = buf + start;
    if (p->method_len == 3 && memcmp(m, "GET", 3) == 0)
        p->method = HTTP_METHOD_GET;
    else if (p->method_len == 4 && memcmp(m, "HEAD", 4) == 0)
        p->method = HTTP_METHOD_HEAD;
    else
        p->method = HTTP_METHOD_OTHER;
    return HTTP_PARSE_OK;
}

typedef struct http_fields {
    int hosts;
    int lengths;
    int conn_close, conn_keep_alive;
    long long content_length;
} http_fields;

static int http_name_is(const char *name, size_t len, const char *want) {
    return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

static int http_parse_length(const char *v, size_t len, long long *out) {
    if (len == 0 || len > HTTP_MAX_LENGTH_DIGITS) return -1;
    long long n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        n = n * 10 + (v[i] - '0');
    }
    *out = n;
    return 0;
}

/* Connection: comma-separated tokens; only "close" and "keep-alive" matter. */
static void http_parse_connection(const char *v, size_t len, http_fields *f) {
    size_t i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < len && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        if (http_name_is(v + s, i - s, "close")) f->conn_close = 1;
        if (http_name_is(v + s, i - s, "keep-alive")) f->conn_keep_alive = 1;
    }
}

/* One header line [s, e), CRLF excluded. */
static int http_parse_field(const char *buf, size_t s, size_t e, http_fields *f,
                            http_request *req) {
    if (buf[s] == ' ' || buf[s] == '\t') return http_fail(req, 400, "folded header line");
    size_t colon = s;
    while (colon < e && http_is_tchar((unsigned char)buf[colon]))
        colon++;
    if (colon == s || colon >= e || buf[colon] != ':')
        return http_fail(req, 400, "bad header name");
    size_t vs = colon + 1, ve = e;
    for (size_t i = vs; i < ve; i++)
        if (!http_is_value_byte((unsigned char)buf[i]))
            return http_fail(req, 400, "control byte in a header value");
    while (vs < ve && (buf[vs] == ' ' || buf[vs] == '\t'))
        vs++;
    while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
        ve--;
    const char *name = buf + s, *value = buf + vs;
    size_t nlen = colon - s, vlen = ve - vs;
    if (http_name_is(name, nlen, "host")) {
        f->hosts++;
    } else if (http_name_is(name, nlen, "content-length")) {
        if (++f->lengths > 1) return http_fail(req, 400, "repeated Content-Length");
        if (http_parse_length(value, vlen, &f->content_length) < 0)
            return http_fail(req, 400, "bad Content-Length");
    } else if (http_name_is(name, nlen, "transfer-encoding")) {
        return http_fail(req, 411, "request bodies need a Content-Length");
    } else if (http_name_is(name, nlen, "connection")) {
        http_parse_connection(value, vlen, f);
    }
    return HTTP_PARSE_OK;
}

/* The header lines between the request line and the empty line. */
static int http_parse_fields(http_parser *p, const char *buf, http_request *req) {
    http_fields f = {0};
    int count = 0;
    size_t s = p->line_end, stop = p->head_end - 2; /* the empty line's CRLF */
    while (s < stop) {
        const char *lf = memchr(buf + s, '\n', stop - s);
        size_t e = (size_t)(lf - buf) - 1; /* before the CR (the scan checked it) */
        if (++count > p->lim.max_headers) return http_fail(req, 431, "too many header fields");
        if (http_parse_field(buf, s, e, &f, req) != HTTP_PARSE_OK) return HTTP_PARSE_ERROR;
        s = e + 2;
    }
    if (p->minor == 1 && f.hosts != 1) return http_fail(req, 400, "HTTP/1.1 needs one Host");
    if (f.hosts > 1) return http_fail(req, 400, "repeated Host");
    if (f.content_length > (long long)p->lim.max_body)
        return http_fail(req, 413, "request body too large");
    p->content_length = f.content_length;
    p->keep_alive = p->minor == 1 ? !f.conn_close : f.conn_keep_alive && !f.conn_close;
    return HTTP_PARSE_OK;
}

/* Skips empty lines before the request line (RFC 9112 allows them). Returns
 * 0 when more bytes are needed to tell. */
static int http_skip_empty_lines(http_parser *p, const char *buf, size_t len) {
    while (p->skipped <= p->lim.max_line && p->scanned == p->skipped && p->skipped < len &&
           buf[p->skipped] == '\r') {
        if (p->skipped + 1 >= len) return 0;
        if (buf[p->skipped + 1] != '\n') return 1; /* the scan reports the bare CR */
        p->skipped += 2;
        p->scanned = p->skipped;
    }
    return 1;
}

/* Searches for the end of the header block from where the last call
 * stopped, checking line endings and the size bounds on the way. */
static int http_scan_head(http_parser *p, const char *buf, size_t len, http_request *req) {
    for (size_t i = p->scanned; i < len; i++) {
        size_t used = i - p->skipped;
        if (!p->line_end && used > p->lim.max_line + 1)
            return http_fail(req, 414, "request line too long");
        if (i >= p->lim.max_header_bytes) return http_fail(req, 431, "header block too large");
        char c = buf[i];
        if (c == '\r' && i + 1 < len && buf[i + 1] != '\n') return http_fail(req, 400, "bare CR");
        if (c != '\n') continue;
        if (i == 0 || buf[i - 1] != '\r') return http_fail(req, 400, "bare LF");
        if (!p->line_end) {
            p->line_end = i + 1;
            if (http_parse_request_line(p, buf, p->skipped, i - 1, req) != HTTP_PARSE_OK)
                return HTTP_PARSE_ERROR;
        } else if (buf[i - 2] == '\n') {
            /* An empty line (the LF two bytes back ends the previous
             * line, the request line's at the earliest). */
            p->head_end = i + 1;
            p->scanned = i + 1;
            return HTTP_PARSE_OK;
        }
    }
    /* A CR at the very end is checked once its next byte arrives. */
    p->scanned = len > p->scanned && buf[len - 1] == '\r' ? len - 1 : len;
    return HTTP_PARSE_INCOMPLETE;
}

static void http_fill_request(const http_parser *p, const char *buf, http_request *req) {
    req->method = p->method;
    req->method_name = buf + p->skipped;
    req->method_len = p->method_len;
    req->path = buf + p->path_off;
    req->path_len = p->path_len;
    req->minor = p->minor;
    req->keep_alive = p->keep_alive;
    req->content_length = p->content_length;
    req->consumed = p->head_end + (size_t)p->content_length;
}

int http_parse(http_parser *p, const char *buf, size_t len, http_request *req) {
    memset(req, 0, sizeof *req);
    if (!p->head_end) {
        if (!http_skip_empty_lines(p, buf, len)) return HTTP_PARSE_INCOMPLETE;
        if (p->skipped > p->lim.max_line) return http_fail(req, 400, "too many empty lines");
        int r = http_scan_head(p, buf, len, req);
        if (r != HTTP_PARSE_OK) return r;
        if (http_parse_fields(p, buf, req) != HTTP_PARSE_OK) return HTTP_PARSE_ERROR;
    }
    if (len < p->head_end + (size_t)p->content_length) return HTTP_PARSE_INCOMPLETE;
    http_fill_request(p, buf, req);
    http_parser_reset(p);
    return HTTP_PARSE_OK;
}

const char *http_reason(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

void http_write_response(resp_buf *out, int status, const char *type, const char *extra_headers,
                         const char *body, size_t body_len, int head_only, int keep_alive) {
    resp_buf_appendf(out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
    if (type) resp_buf_appendf(out, "Content-Type: %s\r\n", type);
    resp_buf_appendf(out, "Content-Length: %zu\r\nConnection: %s\r\n", body_len,
                     keep_alive ? "keep-alive" : "close");
    /* Probe and scrape answers are live values: never cached. */
    resp_buf_appendf(out, "Cache-Control: no-store\r\n");
    if (extra_headers) resp_buf_append(out, extra_headers, strlen(extra_headers));
    resp_buf_append(out, "\r\n", 2);
    if (!head_only && body_len) resp_buf_append(out, body, body_len);
}
