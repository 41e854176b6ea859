/*
 * test_crc32c.c - CRC-32C known vectors, continuation, and agreement of the
 * hardware and table paths on every alignment and length.
 */
#include <stdint.h>
#include <string.h>

#include "ds/crc32c.h"
#include "unit.h"

/* Bit-at-a-time reference, independent of the tables under test. */
static uint32_t crc_bitwise(uint32_t crc, const unsigned char *p, size_t len) {
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
    }
    return ~crc;
}

TEST(crc32c_vectors) {
    CHECK_INT(crc32c(0, "123456789", 9), 0xE3069283u);
    CHECK_INT(crc32c_sw(0, "123456789", 9), 0xE3069283u);
    CHECK_INT(crc32c(0, "", 0), 0);
    /* RFC 3720 B.4: 32 bytes of zeros, of 0xFF, and an ascending run. */
    unsigned char buf[32];
    memset(buf, 0, sizeof buf);
    CHECK_INT(crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    CHECK_INT(crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) buf[i] = (unsigned char)i;
    CHECK_INT(crc32c(0, buf, 32), 0x46DD794Eu);
    CHECK_INT(crc32c_sw(0, buf, 32), 0x46DD794Eu);
}

TEST(crc32c_continuation) {
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint32_t whole = crc32c(0, s, n);
    for (size_t cut = 0; cut <= n; cut++) {
        CHECK_INT(crc32c(crc32c(0, s, cut), s + cut, n - cut), whole);
        CHECK_INT(crc32c_sw(crc32c_sw(0, s, cut), s + cut, n - cut), whole);
    }
}

TEST(crc32c_paths_agree) {
    static unsigned char buf[1100];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    for (size_t off = 0; off < 16; off++) {
        for (size_t len = 0; len + off <= sizeof buf; len += (len < 70 ? 1 : 37)) {
            uint32_t ref = crc_bitwise(7, buf + off, len);
            CHECK_INT(crc32c_sw(7, buf + off, len), ref);
            CHECK_INT(crc32c(7, buf + off, len), ref);
        }
    }
}
