/**
 * @file install.c
 * @brief Writing an image into a slot: the checks, the EMPTY record before
 * the first byte changes, the resume point, sector erases and the PENDING
 * commit after verification. Shared by update mode (update.c, the
 * bootloader's own BEGIN/DATA/END) and the services table (bl_api.c, an
 * application's background update), so both follow the same metadata
 * invariant (docs/ARCHITECTURE.md "Boot and update semantics").
 */
#include <string.h>
#include "bl_private.h"
#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/port.h"
#include "fota/proto.h"

int install_check(const struct meta_record *rec, const struct image_header *h, uint8_t slot)
{
    int rc = image_check_header(h, slot);

    if (rc == 0 && rec != NULL && h->ih_version < meta_version_floor(rec)) {
        rc = FOTA_EVERSION; /* docs/ARCHITECTURE.md "Downgrade policy" */
    }
    if (rc == 0 && rec != NULL && h->ih_security_counter < rec->mr_security_counter) {
        rc = FOTA_EROLLBACK; /* docs/SECURITY.md "Anti-rollback" */
    }
    return rc;
}

int install_mark_empty(struct meta_record *rec, int has_meta, uint8_t slot)
{
    struct meta_record r;
    int rc;

    if (has_meta && rec->mr_slot[slot].ms_state == META_SLOT_EMPTY && rec->mr_trial_slot != slot) {
        return 0;
    }
    if (has_meta) {
        r = *rec;
    } else {
        memset(&r, 0, sizeof(r));
        r.mr_active = META_NO_SLOT;
        r.mr_trial_slot = META_NO_SLOT;
    }
    memset(&r.mr_slot[slot], 0, sizeof(r.mr_slot[slot]));
    r.mr_slot[slot].ms_state = META_SLOT_EMPTY;
    if (r.mr_trial_slot == slot) {
        r.mr_trial_slot = META_NO_SLOT;
    }
    rc = meta_commit(&r);
    if (rc != 0) {
        return rc;
    }
    *rec = r;
    return 0;
}

/* NOTE: a prefix that covers the header is resumable only if the stored
 * header is byte for byte the one BEGIN carries. The prefix CRC alone
 * cannot tell: the header ends with its own CRC-32, so the CRC-32 of every
 * valid header is the same constant (the CRC residue), and two versions
 * whose first payload bytes agree have equal prefix CRCs (found by the
 * power-cut sweep: a cut after the first chunk of 2.0.0, then 3.0.0
 * resumed on top of it and failed END with ECRC). */
int install_find_resume(uint8_t slot, uint32_t size, const struct image_header *h, uint32_t *resume,
                        uint32_t *crc, int *rc)
{
    uint32_t base = LAYOUT_SLOT_ADDR(slot);
    uint32_t r = size, off;
    uint8_t buf[64];

    *rc = 0;
    for (off = 0; off < size; off += PROTO_MAX_DATA) {
        uint32_t n = (size - off < PROTO_MAX_DATA) ? size - off : PROTO_MAX_DATA;
        if (bl_flash_is_erased(base + off, n, rc)) {
            r = off;
            break;
        }
        if (*rc != 0) {
            return 0;
        }
    }
    if (r < size && !bl_flash_is_erased(base + r, size - r, rc)) {
        return 0;
    }
#ifdef FOTA_MUTANT_RESUME_LATE
    /* MUTANT (make mutants, issue 16): the offered resume point is one chunk late. */
    r = (r > 0u && size - r > PROTO_MAX_DATA) ? r + PROTO_MAX_DATA : r;
#endif
    if (r >= IMAGE_HEADER_SIZE) {
        struct image_header stored;
        if (port_flash_read(base, &stored, sizeof(stored)) != 0) {
            *rc = FOTA_EIO;
            return 0;
        }
        if (memcmp(&stored, h, sizeof(stored)) != 0) {
            return 0;
        }
    }
    *crc = 0;
    for (off = 0; off < r;) {
        uint32_t n = (r - off < sizeof(buf)) ? r - off : (uint32_t)sizeof(buf);
        if (port_flash_read(base + off, buf, n) != 0) {
            *rc = FOTA_EIO;
            return 0;
        }
        *crc = crc32_update(*crc, buf, n);
        off += n;
    }
    *resume = r;
    return 1;
}

int install_erase_sector(uint8_t slot, uint32_t offset, uint32_t *next)
{
    uint32_t s = LAYOUT_SLOT_FIRST_SECTOR(slot);
    uint32_t start = 0;

    if (offset >= LAYOUT_SLOT_SIZE) {
        return FOTA_EINVAL;
    }
    while (offset >= start + LAYOUT_SECTOR_SIZE(s)) {
        start += LAYOUT_SECTOR_SIZE(s);
        s++;
    }
    *next = start + LAYOUT_SECTOR_SIZE(s);
    return port_flash_erase_sector(s);
}

int install_commit_pending(struct meta_record *rec, uint8_t slot, const struct image_header *expect)
{
    struct image_header h;
    struct meta_record r;
    int rc = image_verify(slot, &h);

    if (rc == 0 && memcmp(&h, expect, sizeof(h)) != 0) {
        rc = FOTA_EPROTO;
    }
    if (rc == 0 && h.ih_security_counter < rec->mr_security_counter) {
        rc = FOTA_EROLLBACK;
    }
    if (rc != 0) {
        return rc;
    }
    r = *rec;
    r.mr_slot[slot].ms_version = h.ih_version;
    r.mr_slot[slot].ms_size = h.ih_size;
    r.mr_slot[slot].ms_crc32 = h.ih_crc32;
    r.mr_slot[slot].ms_state = META_SLOT_PENDING;
    r.mr_trial_slot = slot;
    rc = meta_commit(&r);
    if (rc == 0) {
        *rec = r;
    }
    return rc;
}
