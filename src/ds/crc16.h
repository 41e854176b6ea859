/*
 * crc16.h - CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection,
 * no final xor), the checksum Redis Cluster uses to map keys to hash slots:
 * slot = crc16(key or hashtag) & 16383. crc16_xmodem("123456789") == 0x31C3.
 *
 * Callers: cluster slot mapping (CLUSTER KEYSLOT), the client library.
 */
#ifndef PAIRDB_CRC16_H
#define PAIRDB_CRC16_H

#include <stddef.h>
#include <stdint.h>

uint16_t crc16_xmodem(const char *buf, size_t len);

#endif
