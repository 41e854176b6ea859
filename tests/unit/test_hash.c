/*
 * test_hash.c - the hash type's DUMP codec and hash_get_field, driven
 * through dump_decode/dump_encode as RESTORE and DUMP drive them.
 *
 * Payloads are built by hand so hostile shapes (duplicate fields, counts
 * larger than the body, bytes left over) can be tried; each must be
 * refused cleanly. Commands are covered by tests/integration/test_hash.py.
 */
#include <stdint.h>
#include <string.h>

#include "unit.h"

#include "ds/crc32c.h"
#include "ds/dstr.h"
#include "server/kv.h"
#include "types/dump.h"
#include "types/hash.h"
#include "types/types.h"

static void hash_ensure_registered(void) {
    static int done;
    if (!done) {
        hash_register();
        done = 1;
    }
}

/* [type][hint][varint count][blob]...[version][crc32c] */
static dstr *hash_payload(uint8_t hint, uint64_t count, const char *const *items, int n) {
    dstr *d = dstr_new("", 0);
    dump_put_u8(&d, TYPE_HASH);
    dump_put_u8(&d, hint);
    dump_put_varint(&d, count);
    for (int i = 0; i < n; i++) dump_put_blob(&d, items[i], strlen(items[i]));
    unsigned char foot[6];
    foot[0] = DUMP_VERSION & 0xff;
    foot[1] = DUMP_VERSION >> 8;
    d = dstr_append(d, (const char *)foot, 2);
    uint32_t crc = crc32c(0, d->buf, d->len);
    for (int i = 0; i < 4; i++) foot[2 + i] = (unsigned char)(crc >> (8 * i));
    return dstr_append(d, (const char *)foot + 2, 4);
}

static int hash_decode_items(uint8_t hint, uint64_t count, const char *const *items, int n,
                             kv **out) {
    dstr *d = hash_payload(hint, count, items, n);
    int rc = dump_decode(d->buf, d->len, "k", 1, out);
    dstr_free(d);
    return rc;
}

TEST(hash_dump_small_listpack_keeps_order) {
    hash_ensure_registered();
    static const char *const items[] = {"b", "2", "a", "1", "123", "-45"};
    kv *e = NULL;
    CHECK_INT(hash_decode_items(0, 3, items, 6, &e), DUMP_OK);
    CHECK_INT(e->type, TYPE_HASH);
    CHECK_INT(e->enc, ENC_LISTPACK);
    char buf[LP_INTBUF];
    const char *v;
    size_t vlen;
    CHECK_INT(hash_get_field(e, "a", 1, &v, &vlen, buf), 1);
    CHECK_MEM(v, vlen, "1");
    CHECK_INT(hash_get_field(e, "123", 3, &v, &vlen, buf), 1);
    CHECK_MEM(v, vlen, "-45");
    CHECK_INT(hash_get_field(e, "zz", 2, &v, &vlen, buf), 0);
    /* DUMP writes the pairs back in the same order: identical bytes. */
    dstr *again = dump_encode(e);
    dstr *want = hash_payload(0, 3, items, 6);
    CHECK_INT(again->len, want->len);
    CHECK(memcmp(again->buf, want->buf, want->len) == 0);
    dstr_free(again);
    dstr_free(want);
    kv_free(e);
}

TEST(hash_dump_large_hashtable_and_dup) {
    hash_ensure_registered();
    enum { N = 600 };
    static char store[2 * N][24];
    const char *items[2 * N];
    for (int i = 0; i < N; i++) {
        snprintf(store[2 * i], sizeof store[0], "field%d", i);
        snprintf(store[2 * i + 1], sizeof store[0], "v%d", i * 7);
        items[2 * i] = store[2 * i];
        items[2 * i + 1] = store[2 * i + 1];
    }
    kv *e = NULL;
    CHECK_INT(hash_decode_items(0, N, items, 2 * N, &e), DUMP_OK);
    CHECK_INT(e->enc, ENC_HASHTABLE);
    kv *copy = kv_dup(e, "c", 1);
    kv_free(e);
    char buf[LP_INTBUF];
    const char *v;
    size_t vlen;
    CHECK_INT(hash_get_field(copy, "field599", 8, &v, &vlen, buf), 1);
    CHECK_MEM(v, vlen, "v4193");
    CHECK(kv_mem_usage(copy) > (size_t)N * 10);
    /* Round trip through DUMP keeps every pair. */
    dstr *d = dump_encode(copy);
    kv *back = NULL;
    CHECK_INT(dump_decode(d->buf, d->len, "b", 1, &back), DUMP_OK);
    dstr_free(d);
    CHECK_INT(back->enc, ENC_HASHTABLE);
    CHECK_INT(hash_get_field(back, "field0", 6, &v, &vlen, buf), 1);
    CHECK_MEM(v, vlen, "v0");
    kv_free(back);
    kv_free(copy);
}

TEST(hash_dump_hostile_bodies_refused) {
    hash_ensure_registered();
    static const char *const dup[] = {"a", "1", "a", "2"};
    static const char *const one[] = {"a", "1"};
    static const char *const two[] = {"a", "1", "b", "2"};
    static const char *const odd[] = {"a", "1", "b"};
    kv *e = NULL;
    CHECK_INT(hash_decode_items(0, 2, dup, 4, &e), DUMP_ERR_FORMAT);
    CHECK_INT(hash_decode_items(0, 0, NULL, 0, &e), DUMP_ERR_FORMAT);      /* empty hash */
    CHECK_INT(hash_decode_items(0, 5, one, 2, &e), DUMP_ERR_FORMAT);       /* count > body */
    CHECK_INT(hash_decode_items(0, 1, two, 4, &e), DUMP_ERR_FORMAT);       /* left over */
    CHECK_INT(hash_decode_items(0, 2, odd, 3, &e), DUMP_ERR_FORMAT);       /* half a pair */
    CHECK_INT(hash_decode_items(9, 1, one, 2, &e), DUMP_ERR_FORMAT);       /* unknown hint */
    CHECK_INT(hash_decode_items(0, UINT64_MAX, one, 2, &e), DUMP_ERR_FORMAT);
    CHECK(e == NULL);
}
