/*
 * siphash.h - SipHash-1-3 keyed hash (64-bit output).
 *
 * The hash tables hash every key with a per-process random key so that a
 * client cannot choose keys that collide. SipHash-1-3 (one compression
 * round, three finalization rounds) is the variant fast enough for short
 * keys while still keyed. The nocase variant hashes the ASCII-lowercased
 * input without copying it, for tables whose keys compare case-insensitively
 * (command names, config names).
 *
 * Callers: dict.c (dict_hash*), and anyone needing a keyed 64-bit hash.
 */
#ifndef PAIRDB_SIPHASH_H
#define PAIRDB_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-1-3 of in[0..len) under the 128-bit key k. */
uint64_t siphash13(const void *in, size_t len, const uint8_t k[16]);
/* Same as siphash13 of the input with ASCII A-Z mapped to a-z. */
uint64_t siphash13_nocase(const void *in, size_t len, const uint8_t k[16]);
/* SipHash-2-4, the reference variant; used to check the implementation
 * against the published test vectors. */
uint64_t siphash24(const void *in, size_t len, const uint8_t k[16]);

#endif
