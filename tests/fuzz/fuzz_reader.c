/*
 * fuzz_reader.c - libFuzzer target for the reply reader (resp_reader_*).
 *
 * The input is a server's byte stream. It is read twice with the default
 * tree builder: fed whole, and fed in pseudo-random chunks with
 * resp_reader_get_reply called after every chunk. Every reply is walked (so
 * the sanitizers see each byte of it) and re-encoded as RESP3; both runs must
 * produce the same encoding and end in the same error, if any. Limits (depth,
 * bulk, elements) come from a hash of the input.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc src/proto/resp_*.c
 *        src/ds/mem.c tests/fuzz/fuzz_reader.c -o /tmp/fuzz_reader
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "proto/resp.h"

static void encode(resp_buf *b, const resp_value *v) {
    if (v->attribute) {
        if (v->attribute->type != RESP_T_ATTR || v->attribute->elements % 2) abort();
        resp_write_agg(b, '|', (long long)v->attribute->elements / 2, 1);
        for (size_t i = 0; i < v->attribute->elements; i++)
            encode(b, v->attribute->element[i]);
    }
    if (v->str && v->str[v->len] != '\0') abort();
    switch (v->type) {
    case RESP_T_SIMPLE:
        resp_write_simple(b, v->str, v->len);
        break;
    case RESP_T_ERROR:
        resp_write_error(b, v->str, v->len);
        break;
    case RESP_T_INT:
        resp_write_int(b, v->integer);
        break;
    case RESP_T_BULK:
        resp_write_bulk(b, v->str, v->len);
        break;
    case RESP_T_NULL:
        resp_write_null(b, 1);
        break;
    case RESP_T_DOUBLE:
        resp_buf_append(b, v->str, v->len);
        break;
    case RESP_T_BOOL:
        resp_write_bool(b, (int)v->integer, 1);
        break;
    case RESP_T_BIGNUM:
        resp_write_bignum(b, v->str, v->len, 1);
        break;
    case RESP_T_VERBATIM:
        resp_write_verbatim(b, v->vtype, v->str, v->len, 1);
        break;
    case RESP_T_ARRAY:
    case RESP_T_MAP:
    case RESP_T_SET:
    case RESP_T_PUSH:
    case RESP_T_ATTR: {
        char t = "*%~>|"[v->type - RESP_T_ARRAY];
        if ((t == '%' || t == '|') && v->elements % 2) abort();
        resp_write_agg(b, t, (long long)((t == '%' || t == '|') ? v->elements / 2 : v->elements),
                       1);
        for (size_t i = 0; i < v->elements; i++)
            encode(b, v->element[i]);
        break;
    }
    default:
        abort();
    }
}

struct run {
    resp_buf out;
    char err[128];
    int failed;
};

static resp_reader *make_reader(uint64_t seed) {
    resp_reader *r = resp_reader_new();
    if (seed & 1) resp_reader_set_max_depth(r, 1 + (int)((seed >> 8) % 64));
    if (seed & 2) resp_reader_set_max_bulk(r, (long long)((seed >> 16) % 64));
    if (seed & 4) resp_reader_set_max_elements(r, (long long)((seed >> 24) % 8));
    return r;
}

/* Takes every complete reply out; returns 1 once the reader failed. */
static int drain(resp_reader *r, struct run *run) {
    for (;;) {
        void *reply = (void *)1;
        int rc = resp_reader_get_reply(r, &reply);
        if (rc == RESP_ERROR) {
            const char *e = resp_reader_error(r);
            if (!e || reply != NULL) abort();
            strncpy(run->err, e, sizeof(run->err) - 1);
            run->failed = 1;
            return 1;
        }
        if (rc != RESP_OK || resp_reader_error(r)) abort();
        if (!reply) return 0;
        encode(&run->out, reply);
        resp_buf_append(&run->out, "\n", 1); /* reply boundary */
        resp_value_free(reply);
    }
}

static uint64_t hash(const uint8_t *d, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 0x100000001b3ULL;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint64_t seed = hash(data, size);
    struct run whole = {0}, chunked = {0};

    resp_reader *r = make_reader(seed);
    if (resp_reader_feed(r, (const char *)data, size) != RESP_OK) abort();
    drain(r, &whole);
    resp_reader_free(r);

    r = make_reader(seed);
    uint64_t rng = seed | 1;
    size_t off = 0;
    while (off < size) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        size_t n = (rng & 0x10000) ? 1 : 1 + (size_t)(rng % 32);
        if (n > size - off) n = size - off;
        if (resp_reader_feed(r, (const char *)data + off, n) != RESP_OK) abort();
        off += n;
        if (drain(r, &chunked)) {
            if (resp_reader_feed(r, "+x\r\n", 4) != RESP_ERROR) abort(); /* sticky */
            break;
        }
    }
    resp_reader_free(r);

    if (whole.failed != chunked.failed || strcmp(whole.err, chunked.err) != 0) abort();
    if (whole.out.len != chunked.out.len ||
        (whole.out.len && memcmp(whole.out.data, chunked.out.data, whole.out.len) != 0))
        abort();
    resp_buf_free(&whole.out);
    resp_buf_free(&chunked.out);
    return 0;
}
