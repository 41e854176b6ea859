/*
 * hll.h - the HyperLogLog representation, exposed for the unit tests.
 *
 * A HyperLogLog is a string value laid out byte for byte as Redis lays it
 * out (docs/FORMATS.md): a 16-byte header ("HYLL", encoding, 3 unused
 * bytes, an 8-byte little-endian cached cardinality whose top bit marks it
 * stale) followed by 16384 6-bit registers, either dense (12288 bytes) or
 * run-length coded (sparse).
 */
#ifndef PAIRDB_HLL_H
#define PAIRDB_HLL_H

#include <stddef.h>
#include <stdint.h>

#include "ds/dstr.h"

#define HLL_P 14
#define HLL_REGISTERS (1 << HLL_P)
#define HLL_BITS 6
#define HLL_HDR_SIZE 16
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) / 8)
#define HLL_ENC_DENSE 0
#define HLL_ENC_SPARSE 1

/* Redis's 64-bit MurmurHash2 (MurmurHash64A). */
uint64_t hll_murmur64a(const void *key, size_t len, uint64_t seed);
/* Register index and run length (leading zero count + 1) of an element. */
int hll_pattern(const unsigned char *ele, size_t len, long *index);

/* An empty HLL (sparse). */
dstr *hll_new(void);
/* 1 when p[0..len) is a valid HLL header (and a dense one has the right size). */
int hll_is_valid(const unsigned char *p, size_t len);
/* Adds an element; *s may be replaced (growth, promotion to dense).
 * Returns 1 when a register changed, 0 when none did, -1 when the value is
 * corrupt. sparse_max is hll-sparse-max-bytes. */
int hll_add(dstr **s, const unsigned char *ele, size_t len, long long sparse_max);
/* Converts a sparse HLL to dense in place (*s replaced); 0, or -1 when corrupt. */
int hll_to_dense(dstr **s);
/* Estimated cardinality of p[0..len); *invalid set when the body is corrupt. */
uint64_t hll_count(const unsigned char *p, size_t len, int *invalid);
/* max[i] = MAX(max[i], register i of the HLL p[0..len)); -1 when corrupt. */
int hll_merge(uint8_t *max, const unsigned char *p, size_t len);
/* Estimated cardinality of a plain array of HLL_REGISTERS register values. */
uint64_t hll_count_raw(const uint8_t *registers);

#endif
