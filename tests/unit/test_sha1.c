/*
 * test_sha1.c - SHA-1 against the FIPS 180 vectors, and at every length
 * around the padding boundaries (55, 56, 63, 64 bytes), where one block
 * becomes two.
 */
#include <string.h>

#include "script/sha1.h"
#include "unit.h"

TEST(sha1_vectors) {
    char hex[41];
    sha1_hex("", 0, hex);
    CHECK_STR(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_hex("abc", 3, hex);
    CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha1_hex(two, strlen(two), hex);
    CHECK_STR(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    /* What Redis names the script "return 1". */
    sha1_hex("return 1", 8, hex);
    CHECK_STR(hex, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST(sha1_padding_boundaries) {
    /* sha1sum of 55, 56, 63, 64 and 65 'a' bytes. */
    static const struct {
        size_t n;
        const char *hex;
    } cases[] = {
        {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
        {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
        {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
    };
    char buf[65], hex[41];
    memset(buf, 'a', sizeof buf);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sha1_hex(buf, cases[i].n, hex);
        CHECK_STR(hex, cases[i].hex);
    }
}
