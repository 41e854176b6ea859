/*
 * fuzz_request.c - libFuzzer target for the request parser (resp_request_*).
 *
 * The input is a client's byte stream. It is fed twice: once whole, and once
 * in pseudo-random chunks into a query buffer that is reallocated (moved) on
 * every read, consuming commands as the server does. Checked invariants:
 *   - consumed <= len, consumed > 0 on RESP_OK and 0 otherwise;
 *   - every argument lies inside the buffer or the parser's scratch;
 *   - an error always has a message;
 *   - both runs see the same commands, unless one of them stopped on a
 *     "too big" error, whose timing legitimately depends on the chunking.
 * The chunk sizes and the limits come from a hash of the input, so the whole
 * input stays protocol bytes.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc src/proto/resp_*.c src/ds/mem.c
 *        tests/fuzz/fuzz_request.c -o /tmp/fuzz_request
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "proto/resp.h"

struct run {
    uint64_t digest; /* hash of every command seen, in order */
    int commands;
    int too_big; /* stopped on a "too big ..." error */
    const char *error;
    char errtext[64]; /* p->error may live in the parser, which is reused */
};

static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

static void check_args(const resp_request_parser *p, const char *buf, size_t len) {
    for (int i = 0; i < p->argc; i++) {
        const char *a = p->argv[i].ptr;
        size_t n = p->argv[i].len;
        int in_buf = a >= buf && n <= len && a <= buf + len - n;
        int in_scratch = p->scratch_ && a >= p->scratch_ && n <= p->scratchcap_ &&
                         a <= p->scratch_ + p->scratchcap_ - n;
        if (!in_buf && !in_scratch && n) abort();
        if (n) (void)*(volatile const char *)(a + n - 1);
    }
}

static void record(struct run *r, const resp_request_parser *p) {
    r->commands++;
    r->digest = mix(r->digest, &p->argc, sizeof(p->argc));
    for (int i = 0; i < p->argc; i++) {
        r->digest = mix(r->digest, &p->argv[i].len, sizeof(p->argv[i].len));
        r->digest = mix(r->digest, p->argv[i].ptr, p->argv[i].len);
    }
}

static void set_limits(resp_request_parser *p, uint64_t seed) {
    if (seed & 1) p->max_inline_len = 16 + (seed >> 8) % 64;
    if (seed & 2) p->max_bulk_len = (long long)((seed >> 16) % 32);
    if (seed & 4) p->max_args = (long long)((seed >> 24) % 8);
    if (seed & 8) p->unauthenticated = 1;
}

/* Parses what is in qb; returns 0 to go on reading, 1 when the stream ended
 * in an error. Consumed bytes are removed from the front of the buffer. */
static int drain(resp_request_parser *p, char **qb, size_t *qlen, struct run *r) {
    for (;;) {
        size_t used = 12345;
        int rc = resp_request_parse(p, *qb, *qlen, &used);
        if (rc == RESP_OK) {
            if (used == 0 || used > *qlen) abort();
            check_args(p, *qb, *qlen);
            record(r, p);
            memmove(*qb, *qb + used, *qlen - used);
            *qlen -= used;
        } else if (rc == RESP_INCOMPLETE) {
            if (used != 0) abort();
            size_t pend = resp_request_pending_bulk(p);
            if (pend > (size_t)p->max_bulk_len + 2) abort();
            return 0;
        } else {
            if (rc != RESP_ERROR || !p->error || used != 0) abort();
            size_t n = strlen(p->error);
            if (n >= sizeof(r->errtext)) n = sizeof(r->errtext) - 1;
            memcpy(r->errtext, p->error, n);
            r->errtext[n] = '\0';
            r->error = r->errtext;
            r->too_big = strstr(p->error, "too big") != NULL;
            return 1;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint64_t seed = mix(0xcbf29ce484222325ULL, data, size);
    struct run whole = {0}, chunked = {0};
    resp_request_parser p;

    /* Whole input at once. */
    resp_request_init(&p);
    set_limits(&p, seed);
    char *qb = mem_memdup(data, size);
    size_t qlen = size;
    drain(&p, &qb, &qlen, &whole);
    size_t whole_left = whole.error ? 0 : qlen;
    mem_free(qb);
    resp_request_free(&p);

    /* Random chunks, buffer moved on every read. */
    resp_request_init(&p);
    set_limits(&p, seed);
    qb = NULL;
    qlen = 0;
    size_t off = 0;
    uint64_t rng = seed | 1;
    while (off < size) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        size_t n = 1 + (size_t)(rng % 16);
        if (rng & 0x10000) n = 1;
        if (n > size - off) n = size - off;
        char *moved = mem_alloc(qlen + n);
        if (qlen) memcpy(moved, qb, qlen);
        memcpy(moved + qlen, data + off, n);
        mem_free(qb);
        qb = moved;
        qlen += n;
        off += n;
        if (drain(&p, &qb, &qlen, &chunked)) break;
    }
    size_t chunked_left = chunked.error ? 0 : qlen;
    mem_free(qb);
    resp_request_free(&p);

    if (!whole.too_big && !chunked.too_big) {
        if (whole.commands != chunked.commands || whole.digest != chunked.digest) abort();
        if ((whole.error == NULL) != (chunked.error == NULL)) abort();
        if (whole.error && strcmp(whole.error, chunked.error) != 0) abort();
        if (whole_left != chunked_left) abort();
    }
    return 0;
}
