/*
 * dump.h - the DUMP/RESTORE payload: one value, serialized, versioned and
 * checksummed (PairDB's own format, not Redis's RDB; docs/FORMATS.md,
 * "DUMP payload", is the reference for the layout).
 *
 *   [type u8][hint u8][body ...][version u16 LE][crc32c u32 LE]
 *
 * The checksum covers every byte before it, the version included. The body
 * belongs to the type; each type plugs in an encoder/decoder pair with
 * dump_register_type() (strings are built in), using the helpers below so
 * every type reads its body through the same bounded reader.
 *
 * A payload is hostile input (RESTORE takes it from the network): the
 * checksum is verified before any byte of the body is interpreted, every
 * length and count is checked against the bytes that remain, and a body
 * that does not end exactly at the footer is refused.
 *
 * Callers: types/key.c (DUMP, RESTORE); later the type files, registering
 * their encoders.
 */
#ifndef PAIRDB_DUMP_H
#define PAIRDB_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "ds/dstr.h"
#include "server/kv.h"

#define DUMP_VERSION 1
#define DUMP_FOOTER_LEN 6   /* version u16 + crc32c u32 */
#define DUMP_MIN_LEN 8      /* type + hint + footer */

/* Result codes of dump_decode(). */
enum {
    DUMP_OK = 0,
    DUMP_ERR_CHECKSUM = -1, /* too short, unknown version or checksum mismatch */
    DUMP_ERR_FORMAT = -2,   /* checksum right but body malformed or type unknown */
};

/* A bounded cursor over a body. Readers return 0, or -1 (and read nothing)
 * when the bytes are missing or malformed. */
typedef struct dump_reader {
    const unsigned char *p, *end;
} dump_reader;

int dump_get_u8(dump_reader *r, uint8_t *out);
/* Unsigned LEB128, at most 10 bytes, no overlong forms. */
int dump_get_varint(dump_reader *r, uint64_t *out);
/* Zig-zag signed varint. */
int dump_get_svarint(dump_reader *r, int64_t *out);
/* A length-prefixed byte string; *p points into the payload (no copy). */
int dump_get_blob(dump_reader *r, const char **p, size_t *len);
static inline size_t dump_remaining(const dump_reader *r) {
    return (size_t)(r->end - r->p);
}

/* Writers append to *out (which may move). */
void dump_put_u8(dstr **out, uint8_t v);
/* Appends the footer (version, CRC-32C of everything before it) to a
 * payload built by hand (FUNCTION DUMP); dump_verify() checks it. */
void dump_put_footer(dstr **out);
void dump_put_varint(dstr **out, uint64_t v);
void dump_put_svarint(dstr **out, int64_t v);
void dump_put_blob(dstr **out, const char *p, size_t len);

/* A type's codec. encode appends the body of e's value to *out and returns
 * the hint byte (the type's own marker of the body's form). decode builds a
 * new entry under key from the body; it returns NULL on malformed input and
 * must check counts against dump_remaining() before allocating for them.
 * Bytes left over after decode make the payload malformed. */
typedef struct dump_type_ops {
    uint8_t (*encode)(const kv *e, dstr **out);
    kv *(*decode)(const char *key, size_t klen, uint8_t hint, dump_reader *r);
} dump_type_ops;

/* Installs the codec for a kv type (TYPE_LIST...). ops must outlive the server. */
void dump_register_type(int type, const dump_type_ops *ops);

/* Serializes e's value (not its key, TTL or access data). Returns a new
 * dstr the caller frees with dstr_free(), or NULL if e's type has no codec. */
dstr *dump_encode(const kv *e);
/* DUMP_OK if p[0..len) has a known version and a right checksum, else
 * DUMP_ERR_CHECKSUM. */
int dump_verify(const char *p, size_t len);
/* Verifies, then decodes into a new entry under key (not in any database;
 * *out is set only on DUMP_OK). Returns DUMP_OK, DUMP_ERR_CHECKSUM or
 * DUMP_ERR_FORMAT. */
int dump_decode(const char *p, size_t len, const char *key, size_t klen, kv **out);

#endif
