/*
 * crc32c.h - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
 *
 * The checksum of DUMP payloads and of write-ahead log frames. It is the
 * common CRC-32C of iSCSI/ext4/LevelDB: initial value and final xor are
 * 0xFFFFFFFF, both applied inside, so a checksum can be continued over
 * pieces: crc32c(crc32c(0, a, na), b, nb) == crc32c(0, a+b, na + nb).
 * crc32c(0, "123456789", 9) == 0xE3069283.
 *
 * x86-64 CPUs with SSE4.2 use the crc32 instruction; others a slicing-by-8
 * table. The choice is made once at load time; the function is pure and
 * safe to call from any thread.
 */
#ifndef PAIRDB_CRC32C_H
#define PAIRDB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues checksum `crc` (0 to start) over buf[0..len). */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* The portable table path, whatever the CPU (tests compare both paths). */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);
/* 1 if crc32c() uses the hardware instruction on this CPU. */
int crc32c_hw_available(void);

#endif
