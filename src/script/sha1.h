/*
 * sha1.h - SHA-1 digests (libcrypto), for naming cached scripts (EVALSHA, SCRIPT LOAD)
 * the way Redis names them.
 */
#ifndef PAIRDB_SHA1_H
#define PAIRDB_SHA1_H

#include <stddef.h>

/* Writes the 40 lower-case hex digits of SHA-1(p[0..len)) and a NUL into out. */
void sha1_hex(const void *p, size_t len, char out[41]);

#endif
