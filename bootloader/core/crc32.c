/**
 * @file crc32.c
 * @brief CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), nibble-wise.
 *
 * A 16-entry table (64 bytes of flash) instead of the usual 256-entry one
 * (1 KB): the bootloader must fit 32 KB and only checksums images at boot
 * and at the end of an update, where two lookups per byte are fast enough.
 */
#include "fota/crc32.h"

/* crc32_nibble[i]: the CRC register after shifting nibble i through four
 * rounds of the reflected polynomial 0xEDB88320. */
static const uint32_t crc32_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;

    /* The init and final xor (0xFFFFFFFF) cancel between chained calls,
     * which is what makes crc32_update(crc32_update(0, a), b) == crc(a||b). */
    crc = ~crc;
    while (len-- > 0u) {
        crc ^= *p++;
        crc = (crc >> 4) ^ crc32_nibble[crc & 0x0Fu];
        crc = (crc >> 4) ^ crc32_nibble[crc & 0x0Fu];
    }
    return ~crc;
}
