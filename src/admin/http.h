/*
 * http.h - a small, strict, I/O-free HTTP/1.x request parser and the
 * response writer of the admin listener.
 *
 * Only what probes and scrapers send is accepted: an origin-form request
 * line ("GET /metrics?x HTTP/1.1"), header fields, and at most a small
 * Content-Length body (read and ignored). Everything is bounded by
 * http_limits; whatever is malformed or over a bound ends the request with
 * an HTTP status for the caller to answer before closing the connection:
 *   400  malformed request line or header, bare LF, obs-fold, control
 *        bytes, missing or repeated Host (HTTP/1.1), repeated or bad
 *        Content-Length
 *   411  Transfer-Encoding (chunked bodies are refused: send a length)
 *   413  Content-Length over max_body
 *   414  request line longer than max_line
 *   431  header block (with any empty lines before it) longer than
 *        max_header_bytes, or more than max_headers fields
 *   505  an HTTP version other than 1.0 and 1.1
 *
 * Parsing is incremental and linear: the parser remembers how far it has
 * searched for the end of the header block, so a client dripping one byte
 * at a time costs O(total bytes), not O(n^2). Pipelined requests are taken
 * one at a time: after HTTP_PARSE_OK the caller drops req.consumed bytes
 * from the front of its buffer and calls again. A buffer of
 * max_header_bytes + max_body + 1 bytes always holds enough for the parser
 * to either finish a request or refuse it.
 */
#ifndef PAIRDB_HTTP_H
#define PAIRDB_HTTP_H

#include <stddef.h>

#include "proto/resp.h"

enum { HTTP_PARSE_ERROR = -1, HTTP_PARSE_INCOMPLETE = 0, HTTP_PARSE_OK = 1 };
enum { HTTP_METHOD_GET, HTTP_METHOD_HEAD, HTTP_METHOD_OTHER };

typedef struct http_limits {
    size_t max_line;         /* request line, CRLF excluded */
    size_t max_header_bytes; /* request line + headers + the empty line */
    int max_headers;
    size_t max_body;
} http_limits;

/* The defaults the admin listener uses. */
#define HTTP_MAX_LINE 2048
#define HTTP_MAX_HEADER_BYTES 8192
#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_BODY 1024

typedef struct http_request {
    int method;              /* HTTP_METHOD_* */
    const char *method_name; /* slices of the caller's buffer */
    size_t method_len;
    const char *path; /* the target up to '?' */
    size_t path_len;
    int minor;      /* HTTP/1.<minor>: 0 or 1 */
    int keep_alive; /* the connection may serve another request */
    long long content_length;
    size_t consumed;   /* bytes of this request, body included */
    int status;        /* after HTTP_PARSE_ERROR: the status to answer */
    const char *error; /* after HTTP_PARSE_ERROR: why, for the body */
} http_request;

typedef struct http_parser {
    http_limits lim;
    /* Offsets, not pointers: the caller's buffer may move between calls. */
    size_t skipped;  /* empty lines before the request line */
    size_t scanned;  /* bytes searched for the end of the header block */
    size_t line_end; /* end of the request line (its LF + 1); 0 until seen */
    size_t head_end; /* end of the header block; 0 until seen */
    size_t method_len, path_off, path_len;
    int method, minor, keep_alive;
    long long content_length;
} http_parser;

/* lim NULL: the defaults above. */
void http_parser_init(http_parser *p, const http_limits *lim);
/* Parses the request at the start of buf[0..len). The same buffer (grown
 * or moved, but with the same leading bytes) must be passed until the
 * result is not HTTP_PARSE_INCOMPLETE; the parser is then ready for the
 * next request, which starts at buf + req->consumed. After an error the
 * connection must be closed: the stream cannot be resynchronised. */
int http_parse(http_parser *p, const char *buf, size_t len, http_request *req);

/* The reason phrase of a status ("Not Found"); "Unknown" for others. */
const char *http_reason(int status);
/* Appends a whole response: status line, Content-Type (when type is not
 * NULL), Content-Length, Connection, extra header lines (each ending in
 * CRLF, may be NULL), then the body unless head_only. */
void http_write_response(resp_buf *out, int status, const char *type, const char *extra_headers,
                         const char *body, size_t body_len, int head_only, int keep_alive);

#endif
