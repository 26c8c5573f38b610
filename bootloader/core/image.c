/**
 * @file image.c
 * @brief Image header checks (image.h) that need no flash access, so the
 * host packer and the harness can link them without a port.
 */
#include <stddef.h>
#include "fota/image.h"
#include "fota/crc32.h"
#include "fota/errors.h"

uint32_t image_header_crc(const struct image_header *h)
{
    /* NOTE: on-flash format: the CRC covers bytes 0x000..0x1FB, i.e.
     * everything before ih_hdr_crc32. */
    return crc32_update(0, h, offsetof(struct image_header, ih_hdr_crc32));
}

int image_check_header(const struct image_header *h, uint32_t slot)
{
    if (h == NULL || slot >= LAYOUT_SLOT_COUNT) {
        return FOTA_EINVAL;
    }
    if (h->ih_magic != IMAGE_MAGIC) {
        return FOTA_EMAGIC;
    }
    if (h->ih_hdr_version != IMAGE_HDR_VERSION || h->ih_hdr_size != IMAGE_HEADER_SIZE) {
        return FOTA_EVERSION;
    }
    if (image_header_crc(h) != h->ih_hdr_crc32) {
        return FOTA_ECRC;
    }
    if (h->ih_load_addr != LAYOUT_SLOT_ADDR(slot)) {
        return FOTA_ESLOT;
    }
    if (h->ih_size == 0u || h->ih_size > IMAGE_MAX_PAYLOAD) {
        return FOTA_ESIZE;
    }
    return 0;
}
