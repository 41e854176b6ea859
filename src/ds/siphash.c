/*
 * siphash.c - SipHash-c-d from the published description (Aumasson and
 * Bernstein, "SipHash: a fast short-input PRF").
 *
 * One generic routine takes the round counts and a lowercase flag; the
 * public functions are thin wrappers so the compiler specializes each.
 * Input is consumed 8 bytes at a time, read little-endian regardless of the
 * host; the last 0..7 bytes are packed with the length in the top byte.
 * Lowercasing is done on whole 64-bit words (SWAR) so the nocase variant
 * costs a few instructions per word, not a branch per byte.
 */
#include "siphash.h"

#include <endian.h>
#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Maps the bytes 'A'..'Z' of a word to 'a'..'z', leaving every other byte
 * (including those >= 0x80) alone. Adding to the low 7 bits of each byte
 * cannot carry into the next byte, so the high bit of each sum is a
 * per-byte comparison result. */
static inline uint64_t lower_word(uint64_t x) {
    uint64_t low7 = x & ~HIGHS;
    uint64_t ge_a = low7 + (0x80 - 'A') * ONES;     /* high bit: byte >= 'A' */
    uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ONES; /* high bit: byte > 'Z' */
    uint64_t upper = ge_a & ~gt_z & ~x & HIGHS;
    return x | (upper >> 2);
}

static inline uint64_t load_le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return le64toh(v);
}

static inline uint64_t sip_generic(const uint8_t *in, size_t len, const uint8_t k[16], int crounds,
                                   int drounds, int nocase) {
    uint64_t k0 = load_le64(k), k1 = load_le64(k + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    uint64_t v3 = 0x7465646279746573ULL ^ k1;
    const uint8_t *end = in + (len & ~(size_t)7);

    for (; in != end; in += 8) {
        uint64_t m = load_le64(in);
        if (nocase) m = lower_word(m);
        v3 ^= m;
        for (int i = 0; i < crounds; i++)
            SIPROUND;
        v0 ^= m;
    }

    uint64_t b = (uint64_t)len << 56;
    uint64_t tail = 0;
    switch (len & 7) {
    case 7:
        tail |= (uint64_t)in[6] << 48; /* fall through */
    case 6:
        tail |= (uint64_t)in[5] << 40; /* fall through */
    case 5:
        tail |= (uint64_t)in[4] << 32; /* fall through */
    case 4:
        tail |= (uint64_t)in[3] << 24; /* fall through */
    case 3:
        tail |= (uint64_t)in[2] << 16; /* fall through */
    case 2:
        tail |= (uint64_t)in[1] << 8; /* fall through */
    case 1:
        tail |= (uint64_t)in[0];
        break;
    case 0:
        break;
    }
    /* Lowering the zero padding is harmless: 0x00 is not an uppercase byte. */
    if (nocase) tail = lower_word(tail);
    b |= tail;

    v3 ^= b;
    for (int i = 0; i < crounds; i++)
        SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    for (int i = 0; i < drounds; i++)
        SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t siphash13(const void *in, size_t len, const uint8_t k[16]) {
    return sip_generic(in, len, k, 1, 3, 0);
}

uint64_t siphash13_nocase(const void *in, size_t len, const uint8_t k[16]) {
    return sip_generic(in, len, k, 1, 3, 1);
}

uint64_t siphash24(const void *in, size_t len, const uint8_t k[16]) {
    return sip_generic(in, len, k, 2, 4, 0);
}
