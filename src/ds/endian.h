/*
 * endian.h - little-endian integers in byte buffers (the on-disk formats:
 * log frames, snapshots). Byte by byte, so alignment never matters and the
 * result is the same on any host.
 */
#ifndef PAIRDB_ENDIAN_H
#define PAIRDB_ENDIAN_H

#include <stdint.h>

static inline void le_put_u32(void *dst, uint32_t v) {
    unsigned char *p = dst;
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline void le_put_u64(void *dst, uint64_t v) {
    unsigned char *p = dst;
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t le_get_u32(const void *src) {
    const unsigned char *p = src;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le_get_u64(const void *src) {
    const unsigned char *p = src;
    return (uint64_t)le_get_u32(p) | (uint64_t)le_get_u32(p + 4) << 32;
}

#endif
