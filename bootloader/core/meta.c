/**
 * @file meta.c
 * @brief Metadata record checks (meta.h) that need no flash access.
 */
#include <stddef.h>
#include <string.h>
#include "fota/meta.h"
#include "fota/layout.h"
#include "fota/crc32.h"
#include "fota/errors.h"

uint32_t meta_record_crc(const struct meta_record *rec)
{
    /* NOTE: on-flash format: the CRC covers bytes 0x00..0x3B. */
    return crc32_update(0, rec, offsetof(struct meta_record, mr_crc32));
}

int meta_record_check(const struct meta_record *rec)
{
    if (rec->mr_magic != META_MAGIC) {
        return FOTA_EMAGIC;
    }
    if (meta_record_crc(rec) != rec->mr_crc32) {
        return FOTA_ECRC;
    }
    return 0;
}

uint32_t meta_version_floor(const struct meta_record *rec)
{
    uint32_t floor = 0, i;

    for (i = 0; i < LAYOUT_SLOT_COUNT; i++) {
        const struct meta_slot *ms = &rec->mr_slot[i];
        if ((ms->ms_state == META_SLOT_CONFIRMED || i == rec->mr_active) && ms->ms_version > floor) {
            floor = ms->ms_version;
        }
    }
    return floor;
}

const char *meta_state_name(uint8_t state)
{
    static const char *const names[] = { "empty", "pending", "trial", "confirmed", "rejected" };

    if (state >= sizeof(names) / sizeof(names[0])) {
        return "?";
    }
    return names[state];
}

/* RFC 1982 serial-number order (fota/meta.h). */
int meta_seq_newer(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

/* Host-side readers of a whole flash image (fota/meta.h). */
int meta_newest_in_image(const uint8_t *flash, struct meta_record *out)
{
    static const uint32_t sectors[2] = { LAYOUT_META0_ADDR, LAYOUT_META1_ADDR };
    int found = 0;
    for (uint32_t s = 0; s < 2u; s++) {
        for (uint32_t i = 0; i < META_RECORDS_PER_SECTOR; i++) {
            struct meta_record rec;
            memcpy(&rec, &flash[sectors[s] - LAYOUT_FLASH_BASE + i * META_RECORD_SIZE], sizeof(rec));
            if (meta_record_check(&rec) == 0 && (!found || meta_seq_newer(rec.mr_seq, out->mr_seq))) {
                *out = rec;
                found = 1;
            }
        }
    }
    return found;
}
