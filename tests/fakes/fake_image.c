/**
 * @file fake_image.c
 * @brief Test images for the sim port (fake_image.h).
 */
#include <string.h>
#include "fake_image.h"
#include "sim.h"
#include "fota/crc32.h"
#include "fota/sha256.h"

uint32_t fake_image_build(uint8_t *buf, uint32_t cap, uint32_t slot, uint32_t version,
                          uint32_t payload_size, uint32_t seed)
{
    struct image_header h;
    uint32_t x = seed ? seed : 0x12345678u, i;
    uint8_t *pl = buf + IMAGE_HEADER_SIZE;

    if (cap < FAKE_IMAGE_SIZE(0) || payload_size > cap - FAKE_IMAGE_SIZE(0)) {
        return 0;
    }
    for (i = 0; i < payload_size; i++) {
        /* xorshift32: reproducible, and rarely a whole chunk of 0xFF */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pl[i] = (uint8_t)(x >> 11);
    }
    if (payload_size >= 8u) {
        /* a vector table image_check_vectors() accepts: SP at the top of
         * the application RAM, reset handler (Thumb) inside the payload */
        uint32_t sp = LAYOUT_APP_RAM_ADDR + LAYOUT_APP_RAM_SIZE;
        uint32_t pc = (LAYOUT_APP_VECTORS(slot) + 8u) | 1u;
        memcpy(pl, &sp, 4);
        memcpy(pl + 4, &pc, 4);
    }
    memset(&h, 0, sizeof(h));
    h.ih_magic = IMAGE_MAGIC;
    h.ih_hdr_size = IMAGE_HEADER_SIZE;
    h.ih_hdr_version = IMAGE_HDR_VERSION;
    h.ih_version = version;
    h.ih_load_addr = LAYOUT_SLOT_ADDR(slot);
    h.ih_size = payload_size;
    h.ih_flags = IMAGE_F_NONE;
    h.ih_crc32 = crc32_update(0, pl, payload_size);
    sha256(pl, payload_size, h.ih_sha256);
    memcpy(buf, &h, sizeof(h));
    return fake_image_resign(buf, cap, FAKE_IMAGE_SEC_CNT);
}

uint32_t fake_image_resign(uint8_t *img, uint32_t cap, uint32_t sec_cnt)
{
    struct image_header h;
    size_t len = 0;

    memcpy(&h, img, sizeof(h));
    h.ih_crc32 = crc32_update(0, img + IMAGE_HEADER_SIZE, h.ih_size);
    sha256(img + IMAGE_HEADER_SIZE, h.ih_size, h.ih_sha256);
    fake_image_fix_header(&h);
    memcpy(img, &h, sizeof(h));
    if (fh_image_sign(img, IMAGE_HEADER_SIZE + h.ih_size, cap, FAKE_IMAGE_KEY, sec_cnt, &len, NULL) != 0) {
        return 0;
    }
    return (uint32_t)len;
}

void fake_image_fix_header(struct image_header *h)
{
    h->ih_hdr_crc32 = image_header_crc(h);
}

void fake_image_install(uint32_t slot, const uint8_t *img, uint32_t len)
{
    uint32_t off = LAYOUT_SLOT_ADDR(slot) - LAYOUT_FLASH_BASE;

    memset(sim_flash() + off, 0xFF, LAYOUT_SLOT_SIZE);
    sim_flash_write_raw(LAYOUT_SLOT_ADDR(slot), img, len);
}

int fake_image_in_slot(uint32_t slot, const uint8_t *img, uint32_t len)
{
    return memcmp(sim_flash() + (LAYOUT_SLOT_ADDR(slot) - LAYOUT_FLASH_BASE), img, len) == 0;
}
