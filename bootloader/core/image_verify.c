/**
 * @file image_verify.c
 * @brief image_verify(): full check of a stored image through the port.
 * Kept apart from image.c so host tools can link the header checks alone.
 */
#include <string.h>
#include "fota/image.h"
#include "fota/crc32.h"
#include "fota/sha256.h"
#include "fota/errors.h"
#include "fota/port.h"

/* Bytes read per port_flash_read() while hashing: a stack buffer, sized to
 * keep the bootloader's (and an application's, via bl_api) stack small. */
#define IMAGE_READ_CHUNK 256u

int image_verify(uint32_t slot, struct image_header *out)
{
    struct image_header h;
    struct sha256_ctx sha;
    uint8_t buf[IMAGE_READ_CHUNK];
    uint8_t digest[SHA256_DIGEST_SIZE];
    uint8_t vectors[8] = { 0 };
    uint32_t addr, left, crc = 0;
    int rc;

    if (slot >= LAYOUT_SLOT_COUNT) {
        return FOTA_EINVAL;
    }
    addr = LAYOUT_SLOT_ADDR(slot);
    if (port_flash_read(addr, &h, sizeof(h)) != 0) {
        return FOTA_EIO;
    }
    if (out != NULL) {
        memcpy(out, &h, sizeof(h));
    }
    rc = image_check_header(&h, slot);
    if (rc != 0) {
        return rc;
    }
    sha256_init(&sha);
    addr += IMAGE_HEADER_SIZE;
    for (left = h.ih_size; left > 0u;) {
        uint32_t n = (left < IMAGE_READ_CHUNK) ? left : IMAGE_READ_CHUNK;
        if (port_flash_read(addr, buf, n) != 0) {
            return FOTA_EIO;
        }
        if (left == h.ih_size) {
            memcpy(vectors, buf, (n < sizeof(vectors)) ? n : sizeof(vectors));
        }
        crc = crc32_update(crc, buf, n);
        sha256_update(&sha, buf, n);
        addr += n;
        left -= n;
    }
    sha256_final(&sha, digest);
    if (crc != h.ih_crc32) {
        return FOTA_ECRC;
    }
    if (memcmp(digest, h.ih_sha256, sizeof(digest)) != 0) {
        return FOTA_ESHA;
    }
    return image_check_vectors(&h, vectors);
}
