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
    if (h->ih_hdr_size != IMAGE_HEADER_SIZE ||
        (h->ih_hdr_version != IMAGE_HDR_VERSION && h->ih_hdr_version != IMAGE_HDR_VERSION_V1)) {
        return FOTA_EVERSION;
    }
    if (image_header_crc(h) != h->ih_hdr_crc32) {
        return FOTA_ECRC;
    }
    if (h->ih_load_addr != LAYOUT_SLOT_ADDR(slot)) {
        return FOTA_ESLOT;
    }
    if (h->ih_hdr_version == IMAGE_HDR_VERSION_V1 &&
        (h->ih_tlv_size != 0u || h->ih_protect_tlv_size != 0u || h->ih_security_counter != 0u)) {
        return FOTA_EVERSION; /* v1 had these bytes reserved zero */
    }
    if (h->ih_size == 0u || h->ih_size > IMAGE_MAX_PAYLOAD || h->ih_tlv_size > IMAGE_TLV_MAX_SIZE ||
        h->ih_protect_tlv_size > h->ih_tlv_size || h->ih_tlv_size > IMAGE_MAX_PAYLOAD - h->ih_size) {
        return FOTA_ESIZE;
    }
    return 0;
}

uint32_t image_total_size(const struct image_header *h)
{
    return IMAGE_HEADER_SIZE + h->ih_size + h->ih_tlv_size;
}

static uint32_t image_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

int image_check_vectors(const struct image_header *h, const uint8_t vectors[8])
{
    uint32_t sp, pc, base;

    if (h->ih_size < 8u) {
        return FOTA_ESIZE;
    }
    sp = image_get_u32(&vectors[0]);
    pc = image_get_u32(&vectors[4]);
    if ((sp & 3u) != 0u || sp <= LAYOUT_APP_RAM_ADDR || sp > LAYOUT_APP_RAM_ADDR + LAYOUT_APP_RAM_SIZE) {
        return FOTA_ERANGE;
    }
    /* NOTE: ih_load_addr is a slot base and ih_size <= IMAGE_MAX_PAYLOAD
     * (image_check_header()), so base + ih_size cannot wrap. */
    base = h->ih_load_addr + IMAGE_HEADER_SIZE;
    if ((pc & 1u) == 0u || (pc & ~1u) < base || (pc & ~1u) - base >= h->ih_size) {
        return FOTA_ERANGE;
    }
    return 0;
}
