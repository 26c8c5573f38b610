/**
 * @file meta_log.c
 * @brief The metadata append log over LAYOUT_META0/1 (meta.h): find the
 * newest record, commit a new one atomically.
 *
 * NOTE: on-flash invariant, the whole point of this file: the sector that
 * holds the newest valid record is never erased and the newest record is
 * never overwritten. A commit either appends into an entirely erased place
 * right after the newest record, or erases the *other* sector and writes
 * there. A power cut at any instant (mid-erase, mid-program) therefore
 * leaves the old newest record valid, or the new one valid and newer.
 *
 * No static state: these run from application context too (bl_api.c).
 */
#include <string.h>
#include "bl_private.h"
#include "fota/errors.h"
#include "fota/port.h"

static const uint8_t meta_sector_num[2] = { LAYOUT_META0_SECTOR, LAYOUT_META1_SECTOR };
static const uint32_t meta_sector_addr[2] = { LAYOUT_META0_ADDR, LAYOUT_META1_ADDR };

/** Where the newest valid record is. */
struct meta_pos {
    int      found;   /* 0: factory state, no valid record anywhere */
    uint32_t sector;  /* 0 (META0) or 1 (META1) */
    uint32_t index;   /* record index within that sector */
    struct meta_record rec;
};

static uint32_t meta_addr(uint32_t sector, uint32_t index)
{
    return meta_sector_addr[sector] + index * META_RECORD_SIZE;
}

/* Every record place of both sectors is checked: after torn writes and
 * erases, valid records need not be contiguous, and 2 x 256 reads of 64
 * bytes are cheap. */
static int meta_scan(struct meta_pos *pos)
{
    struct meta_record r;
    uint32_t s, i;

    pos->found = 0;
    for (s = 0; s < 2u; s++) {
        for (i = 0; i < META_RECORDS_PER_SECTOR; i++) {
            if (port_flash_read(meta_addr(s, i), &r, sizeof(r)) != 0) {
                return FOTA_EIO;
            }
            if (meta_record_check(&r) != 0) {
                continue;
            }
#ifdef FOTA_MUTANT_SCAN_ORDER
            /* MUTANT (make mutants, issue 16): the last valid record in scan order wins, seq ignored. */
            if (1) {
#else
            if (!pos->found || meta_seq_newer(r.mr_seq, pos->rec.mr_seq)) {
#endif
                pos->found = 1;
                pos->sector = s;
                pos->index = i;
                pos->rec = r;
            }
        }
    }
    return 0;
}

int meta_load(struct meta_record *out)
{
    struct meta_pos pos;
    int rc;

    if (out == NULL) {
        return FOTA_EINVAL;
    }
    rc = meta_scan(&pos);
    if (rc != 0) {
        return rc;
    }
    if (!pos.found) {
        return FOTA_ENOENT;
    }
#ifdef FOTA_MUTANT_FACTORY_ADOPT_TORN
    /* MUTANT (make mutants, issue 16): a torn record after the newest reads as factory state. */
    if (pos.index + 1u < META_RECORDS_PER_SECTOR &&
        !bl_flash_is_erased(meta_addr(pos.sector, pos.index + 1u), META_RECORD_SIZE, &rc)) {
        return FOTA_ENOENT;
    }
#endif
    *out = pos.rec;
    return 0;
}

static int meta_rec_valid(const struct meta_record *rec)
{
    uint32_t i;

    if (rec->mr_active != META_NO_SLOT && !bl_slot_valid(rec->mr_active)) {
        return 0;
    }
    if (rec->mr_trial_slot != META_NO_SLOT && !bl_slot_valid(rec->mr_trial_slot)) {
        return 0;
    }
    for (i = 0; i < LAYOUT_SLOT_COUNT; i++) {
        if (rec->mr_slot[i].ms_state > META_SLOT_REJECTED) {
            return 0;
        }
    }
    return 1;
}

int meta_commit(struct meta_record *rec)
{
    struct meta_pos pos;
    struct meta_record back;
    uint32_t sector, index, i;
    int rc, erased;

    if (rec == NULL || !meta_rec_valid(rec)) {
        return FOTA_EINVAL;
    }
    rc = meta_scan(&pos);
    if (rc != 0) {
        return rc;
    }

    /* NOTE: reserved bytes are written as zero (meta.h). */
    rec->mr_magic = META_MAGIC;
    rec->mr_seq = pos.found ? pos.rec.mr_seq + 1u : 1u;
    memset(rec->mr_reserved, 0, sizeof(rec->mr_reserved));
    memset(rec->mr_reserved2, 0, sizeof(rec->mr_reserved2));
    for (i = 0; i < LAYOUT_SLOT_COUNT; i++) {
        memset(rec->mr_slot[i].ms_pad, 0, sizeof(rec->mr_slot[i].ms_pad));
    }
    rec->mr_crc32 = meta_record_crc(rec);

    /* Choose the place: right after the newest record if that place is
     * entirely erased; otherwise the start of the other sector, erased
     * first. In factory state the start of META0, erased unless it
     * already is. */
    if (pos.found) {
        sector = pos.sector;
        index = pos.index + 1u;
        erased = 0;
        if (index < META_RECORDS_PER_SECTOR) {
            erased = bl_flash_is_erased(meta_addr(sector, index), META_RECORD_SIZE, &rc);
            if (rc != 0) {
                return rc;
            }
        }
        if (!erased) {
            sector ^= 1u;
            index = 0;
        }
    } else {
        sector = 0;
        index = 0;
        erased = bl_flash_is_erased(meta_addr(sector, index), META_RECORD_SIZE, &rc);
        if (rc != 0) {
            return rc;
        }
    }
    if (!erased) {
        /* NOTE: never the sector holding the newest record (see above). */
        rc = port_flash_erase_sector(meta_sector_num[sector]);
        if (rc != 0) {
            return rc;
        }
    }
    rc = port_flash_program(meta_addr(sector, index), rec, sizeof(*rec));
    if (rc != 0) {
        return rc;
    }
    /* Read back: a program that reported success but left other bits
     * (a cell that did not take, a dirty place) must not count as a commit. */
    if (port_flash_read(meta_addr(sector, index), &back, sizeof(back)) != 0) {
        return FOTA_EIO;
    }
    if (memcmp(&back, rec, sizeof(back)) != 0) {
        return FOTA_ECRC;
    }
    return 0;
}
