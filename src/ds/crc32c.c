/*
 * crc32c.c - CRC-32C with a hardware path and a slicing-by-8 fallback.
 *
 * Slicing-by-8: table[k][b] is the CRC register after feeding byte b followed
 * by k zero bytes, so eight input bytes are folded with eight lookups and no
 * per-bit loop. The tables are built once by a load-time constructor (before
 * main, so no thread can race the build), which also probes the CPU.
 *
 * The hardware path uses SSE4.2's crc32 instruction through a function
 * compiled with target("sse4.2"), so the rest of the file (and the build)
 * needs no -msse4.2 and the binary still runs on CPUs without it.
 */
#include "ds/crc32c.h"

#include <string.h>

#define POLY 0x82F63B78u   /* 0x1EDC6F41 bit-reversed */

static uint32_t table[8][256];
static int use_hw;

static uint64_t load64le(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len) {
    const unsigned char *p = buf;
    crc = ~crc;
    /* Head bytes up to 8-byte alignment: aligned loads are cheaper on some CPUs. */
    while (len && ((uintptr_t)p & 7)) {
        crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
        len--;
    }
    while (len >= 8) {
        uint64_t v = load64le(p) ^ crc;
        crc = table[7][v & 0xff] ^ table[6][(v >> 8) & 0xff] ^ table[5][(v >> 16) & 0xff] ^
              table[4][(v >> 24) & 0xff] ^ table[3][(v >> 32) & 0xff] ^
              table[2][(v >> 40) & 0xff] ^ table[1][(v >> 48) & 0xff] ^ table[0][v >> 56];
        p += 8;
        len -= 8;
    }
    while (len--) crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_HW_PATH 1

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const void *buf,
                                                            size_t len) {
    const unsigned char *p = buf;
    uint64_t c = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }
    while (len--) c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#endif

__attribute__((constructor)) static void crc32c_init(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (POLY & (0u - (c & 1)));
        table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            table[k][b] = table[0][table[k - 1][b] & 0xff] ^ (table[k - 1][b] >> 8);
#ifdef HAVE_HW_PATH
    __builtin_cpu_init();
    use_hw = __builtin_cpu_supports("sse4.2") != 0;
#endif
}

int crc32c_hw_available(void) {
    return use_hw;
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len) {
#ifdef HAVE_HW_PATH
    if (use_hw) return crc32c_hw(crc, buf, len);
#endif
    return crc32c_sw(crc, buf, len);
}
