/*
 * fuzz_http.c - libFuzzer target for the admin port's HTTP parser
 * (admin/http.h).
 *
 * The input is a client's byte stream, parsed as the listener does:
 * requests taken one by one from the front of the buffer until an error or
 * the end. It is run twice: whole, and in pseudo-random chunks through a
 * buffer that is reallocated (moved) on every call. Checked invariants:
 *   - on OK, 0 < consumed <= len, and the method and path lie inside the
 *     request; on an error, the status is one http.h lists;
 *   - both runs see the same requests and end the same way (the parser's
 *     bounds are positions in the stream, not in a chunk);
 *   - a response written for every request is well formed (no crash).
 * Small limits (from the first input byte) make the bounds reachable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/http.h"

typedef struct run {
    uint64_t digest;
    int requests;
    int end; /* last result: error status, or 0 */
} run;

static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

static void check_request(const http_request *req, const char *buf, size_t len) {
    if (req->consumed == 0 || req->consumed > len) abort();
    if (req->method_name < buf || req->method_len == 0 ||
        req->method_name + req->method_len > buf + req->consumed)
        abort();
    if (req->path < buf || req->path + req->path_len > buf + req->consumed) abort();
    if (req->path_len == 0 || req->path[0] != '/') abort();
    if (req->minor != 0 && req->minor != 1) abort();
}

static void check_error(const http_request *req) {
    static const int allowed[] = {400, 411, 413, 414, 431, 505};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (req->status == allowed[i]) {
            if (!req->error) abort();
            return;
        }
    abort();
}

static void note_request(run *r, const http_request *req) {
    r->requests++;
    r->digest = mix(r->digest, req->path, req->path_len);
    r->digest = mix(r->digest, &req->method, sizeof req->method);
    r->digest = mix(r->digest, &req->consumed, sizeof req->consumed);
    r->digest = mix(r->digest, &req->keep_alive, sizeof req->keep_alive);
    resp_buf out = {0};
    http_write_response(&out, 200, "text/plain", NULL, req->path, req->path_len,
                        req->method == HTTP_METHOD_HEAD, req->keep_alive);
    resp_buf_free(&out);
}

static void run_whole(const http_limits *lim, const char *data, size_t len, run *r) {
    http_parser p;
    http_parser_init(&p, lim);
    size_t off = 0;
    for (;;) {
        http_request req;
        int res = http_parse(&p, data + off, len - off, &req);
        if (res == HTTP_PARSE_INCOMPLETE) return;
        if (res == HTTP_PARSE_ERROR) {
            check_error(&req);
            r->end = req.status;
            return;
        }
        check_request(&req, data + off, len - off);
        note_request(r, &req);
        off += req.consumed;
    }
}

static void run_chunked(const http_limits *lim, const char *data, size_t len, uint64_t seed,
                        run *r) {
    http_parser p;
    http_parser_init(&p, lim);
    char *buf = NULL;
    size_t have = 0, fed = 0;
    for (;;) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t step = (size_t)(seed >> 59) + 1; /* 1..32 bytes per read */
        if (step > len - fed) step = len - fed;
        char *moved = malloc(have + step + 1);
        if (have) memcpy(moved, buf, have);
        memcpy(moved + have, data + fed, step);
        free(buf);
        buf = moved;
        have += step;
        fed += step;
        for (;;) {
            http_request req;
            int res = http_parse(&p, buf, have, &req);
            if (res == HTTP_PARSE_INCOMPLETE) break;
            if (res == HTTP_PARSE_ERROR) {
                check_error(&req);
                r->end = req.status;
                free(buf);
                return;
            }
            check_request(&req, buf, have);
            note_request(r, &req);
            memmove(buf, buf + req.consumed, have - req.consumed);
            have -= req.consumed;
        }
        if (fed == len) break;
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    http_limits lim = {HTTP_MAX_LINE, HTTP_MAX_HEADER_BYTES, HTTP_MAX_HEADERS, HTTP_MAX_BODY};
    if (data[0] & 1)
        lim = (http_limits){24 + data[0] % 64, 64 + data[0], 1 + data[0] % 5, data[0] % 16};
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    run whole = {0}, chunked = {0};
    run_whole(&lim, text, len, &whole);
    run_chunked(&lim, text, len, mix(0xcbf29ce484222325ULL, data, size), &chunked);
    if (whole.requests != chunked.requests || whole.digest != chunked.digest ||
        whole.end != chunked.end)
        abort();
    return 0;
}
