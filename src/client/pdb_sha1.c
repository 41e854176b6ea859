/*
 * pdb_sha1.c - SHA-1 of a script through libcrypto (linked for TLS), so
 * EVALSHA can be tried before the script was ever loaded.
 */
#include <openssl/evp.h>
#include <stdlib.h>

#include "client/client_int.h"

void cl_sha1_hex(const void *data, size_t len, char out[41]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    /* Fails only when libcrypto cannot allocate: out of memory aborts, as
     * everywhere in the library. */
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20) abort();
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[40] = '\0';
}
