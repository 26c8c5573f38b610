/**
 * @file selftest.c
 * @brief The demo's power-on self-test: its own image against the header
 * the packer put in front of it, and an SRAM pattern test.
 */
#include <stdint.h>

#include "app.h"
#include "fota/crc32.h"
#include "fota/image.h"

/* From app.ld.in: base of the slot this image is linked for (its header). */
extern const uint8_t _app_slot_base[];

#define SELFTEST_RAM_WORDS 256u

static uint32_t selftest_ram[SELFTEST_RAM_WORDS];

static int selftest_image(void)
{
    const struct image_header *h = (const struct image_header *)(const void *)_app_slot_base;
    const uint8_t *payload = _app_slot_base + LAYOUT_IMAGE_HEADER_SIZE;

    if (h->ih_magic != IMAGE_MAGIC || h->ih_size == 0u || h->ih_size > IMAGE_MAX_PAYLOAD) {
        return 1;
    }
    if (h->ih_load_addr != (uint32_t)(uintptr_t)_app_slot_base) {
        return 1;
    }
    return crc32_update(0u, payload, h->ih_size) == h->ih_crc32 ? 0 : 1;
}

/* Address-in-address then its complement: catches stuck bits and
 * address-line faults in the buffer (a token test, as a product would do). */
static int selftest_ram_patterns(void)
{
    volatile uint32_t *m = selftest_ram;
    uint32_t i;
    int pass;

    for (pass = 0; pass < 2; pass++) {
        for (i = 0u; i < SELFTEST_RAM_WORDS; i++) {
            uint32_t v = (uint32_t)(uintptr_t)&m[i];
            m[i] = pass == 0 ? v : ~v;
        }
        for (i = 0u; i < SELFTEST_RAM_WORDS; i++) {
            uint32_t v = (uint32_t)(uintptr_t)&m[i];
            if (m[i] != (pass == 0 ? v : ~v)) {
                return 1;
            }
        }
    }
    return 0;
}

int app_selftest(const char **what)
{
    if (selftest_image() != 0) {
        *what = "image CRC";
        return 1;
    }
    if (selftest_ram_patterns() != 0) {
        *what = "RAM";
        return 1;
    }
    *what = "";
    return 0;
}
