/*
 * sha1.c - SHA-1 digests through libcrypto (see sha1.h).
 */
#include "script/sha1.h"

#include <openssl/evp.h>
#include <stdlib.h>

void sha1_hex(const void *p, size_t len, char out[41]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    /* Fails only when libcrypto cannot allocate: the server stops on that. */
    if (!EVP_Digest(p, len, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20) abort();
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[40] = '\0';
}
