/*
 * fuzz_snapshot.c - libFuzzer target for snapshot files.
 *
 * A snapshot is read back from disk, which may hold anything: the loader
 * and the verifier must refuse a malformed file with an error, never read
 * out of bounds, leak or allocate beyond the file's size. The input is put
 * in a memory file; it is verified, then loaded into the databases (and
 * function libraries), which are emptied again. Invariant checked: the verifier and the loader agree.
 *
 * Random bytes almost never carry right checksums, so a raw input stops at
 * the header's or the first block's CRC. An input whose first byte is odd is
 * taken as a program instead (see build_file): the harness writes a valid
 * header, blocks and end block around records the input describes, with
 * every checksum right (value payloads get their DUMP footer too), so the
 * record parser and the type codecs behind it are reached. Even first bytes
 * go through whole, checksums included.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ds/crc32c.h"
#include "ds/dstr.h"
#include "persist/snapshot.h"
#include "script/script.h"
#include "server/config_int.h"
#include "server/db.h"
#include "types/dump.h"
#include "types/types.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    config__ensure_init();
    db_init_all(16);
    list_register();
    hash_register();
    set_register();
    zset_register();
    stream_register();
    return 0;
}

static int load(const char *path) {
    char err[512];
    snapshot_loader *l = snapshot_load_open(path, err, sizeof err);
    if (!l) return -1;
    int rc;
    while ((rc = snapshot_load_step(l, 0, err, sizeof err)) == 1) {
    }
    snapshot_load_close(l);
    return rc;
}

/* ---- structured inputs ------------------------------------------------ */

typedef struct {
    const uint8_t *p, *end;
} cursor;

static uint8_t take_u8(cursor *c) { return c->p < c->end ? *c->p++ : 0; }

/* A length byte, then up to that many bytes (fewer at the input's end). */
static void take_bytes(cursor *c, const uint8_t **out, size_t *len) {
    size_t want = take_u8(c);
    size_t have = (size_t)(c->end - c->p);
    *len = want < have ? want : have;
    *out = c->p;
    c->p += *len;
}

static void cat(dstr **d, const void *p, size_t len) { *d = dstr_append(*d, p, len); }

static void put_u32(dstr **d, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    cat(d, (const char *)b, 4);
}

static void put_u64(dstr **d, uint64_t v) {
    put_u32(d, (uint32_t)v);
    put_u32(d, (uint32_t)(v >> 32));
}

/* Appends a block of `kind` holding payload, with its checksum. */
static void put_block(dstr **file, char kind, const dstr *payload) {
    dstr *head = dstr_new(&kind, 1);
    put_u32(&head, (uint32_t)payload->len);
    uint32_t crc = crc32c(crc32c(0, head->buf, head->len), payload->buf, payload->len);
    cat(file, head->buf, head->len);
    put_u32(file, crc);
    cat(file, payload->buf, payload->len);
    dstr_free(head);
}

/* A value: type, hint and body from the input, the DUMP footer added here. */
static void put_value(dstr **rec, cursor *c) {
    const uint8_t *body;
    size_t len;
    take_bytes(c, &body, &len);
    dstr *v = dstr_new((const char *)body, len);
    dump_put_footer(&v);
    dump_put_blob(rec, v->buf, v->len);
    dstr_free(v);
}

/* The program: one opcode byte at a time,
 *   0 'D' record (database id byte % 20, key count byte)
 *   1 'K' record (key, value)         2 'X' record (8 expire bytes, key, value)
 *   3 close the current block          4 raw bytes into the block
 *   5 a value whose footer is left as the input wrote it
 * then the end block: the number of K/X records written (when mode's bit 1
 * is set; otherwise mode >> 2), and the whole-file checksum. */
static dstr *build_file(uint8_t mode, const uint8_t *data, size_t size) {
    cursor c = {data, data + size};
    dstr *file = dstr_new("PDBSNAP\0", 8);
    put_u32(&file, 1);
    put_u32(&file, 0);
    put_u64(&file, 42);
    put_u64(&file, 1700000000000ull);
    put_u32(&file, 16);
    put_u32(&file, crc32c(0, file->buf, file->len));
    dstr *block = dstr_new("", 0);
    uint64_t keys = 0;
    int steps = 0;
    while (c.p < c.end && steps++ < 4096) {
        uint8_t op = take_u8(&c);
        const uint8_t *b;
        size_t len;
        switch (op % 6) {
        case 0:
            cat(&block, "D", 1);
            dump_put_varint(&block, take_u8(&c) % 20);
            dump_put_varint(&block, take_u8(&c));
            break;
        case 1:
        case 2:
            if (op % 6 == 2) {
                cat(&block, "X", 1);
                for (int i = 0; i < 8; i++) {
                    uint8_t x = take_u8(&c);
                    cat(&block, (const char *)&x, 1);
                }
            } else {
                cat(&block, "K", 1);
            }
            take_bytes(&c, &b, &len);
            dump_put_blob(&block, (const char *)b, len);
            put_value(&block, &c);
            keys++;
            break;
        case 3:
            if (block->len) put_block(&file, 'B', block);
            block->len = 0;
            block->buf[0] = 0;
    block->buf[0] = 0;
            break;
        case 4:
            take_bytes(&c, &b, &len);
            cat(&block, (const char *)b, len);
            break;
        case 5:
            take_bytes(&c, &b, &len);
            dump_put_blob(&block, (const char *)b, len);
            break;
        }
    }
    if (block->len) put_block(&file, 'B', block);
    block->len = 0;
    block->buf[0] = 0;
    put_u64(&block, (mode & 2) ? keys : mode >> 2);
    put_u32(&block, crc32c(0, file->buf, file->len));
    put_block(&file, 'E', block);
    dstr_free(block);
    return file;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dstr *built = NULL;
    if (size && (data[0] & 1)) {
        built = build_file(data[0], data + 1, size - 1);
        data = (const uint8_t *)built->buf;
        size = built->len;
    }
    int fd = memfd_create("snapshot", 0);
    if (fd < 0) abort();
    if (size && write(fd, data, size) != (ssize_t)size) abort();
    dstr_free(built);
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int verified = snapshot_verify(path, NULL, NULL, err, sizeof err);
    int loaded = load(path);
    for (int i = 0; i < db_count(); i++) db_empty(db_get(i));
    function_free_all(); /* libraries a file loaded */
    close(fd);
    /* The verifier accepts up to 64 databases, the loader only the
     * server's 16; otherwise they must agree. */
    if (loaded == 0 && verified != 0) abort();
    return 0;
}
