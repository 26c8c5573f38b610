/**
 * @file crc32.h
 * @brief CRC-32 (IEEE 802.3, reflected 0xEDB88320, init and final xor
 * 0xFFFFFFFF; check value of "123456789" is 0xCBF43926).
 */
#ifndef FOTA_CRC32_H
#define FOTA_CRC32_H
#include <stdint.h>
#include <stddef.h>

/**
 * Continue a CRC-32 over @p len bytes. Start with crc = 0; the result of
 * one call feeds the next: crc32_update(crc32_update(0, a, n), b, m) equals
 * the CRC of a||b.
 */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
