/**
 * @file meta.h
 * @brief Boot metadata: which slot is confirmed, which is pending a trial.
 *
 * Two 16 KB sectors (LAYOUT_META0/1) each hold an append-only log of
 * 64-byte records. The newest valid record (magic and CRC good, highest
 * mr_seq over both sectors) is the state. A commit programs the next record
 * right after the newest one if that place is entirely erased; otherwise
 * (sector full, or a torn earlier write left it dirty) it erases the
 * *other* sector and writes the record at its start. A power cut at any
 * instant therefore leaves the old or the new record valid, never neither:
 * the sector holding the newest valid record is never erased or
 * overwritten.
 *
 * NOTE: on-flash format. struct meta_record's layout, META_MAGIC and the
 * rule "newest = highest mr_seq among records with good CRC" never change.
 */
#ifndef FOTA_META_H
#define FOTA_META_H

#include <stdint.h>
#include "fota/layout.h"

#define META_MAGIC        0x4154454Du /* "META" as bytes 4D 45 54 41 */
#define META_RECORD_SIZE  64u
#define META_RECORDS_PER_SECTOR (LAYOUT_META_SECTOR_SIZE / META_RECORD_SIZE)
#define META_NO_SLOT      0xFFu

/** Per-slot state, as the bootloader knows it. */
enum meta_slot_state {
    META_SLOT_EMPTY = 0,     /**< nothing usable known (erased, partial, never seen) */
    META_SLOT_PENDING = 1,   /**< complete, verified image; try it at next boot */
    META_SLOT_TRIAL = 2,     /**< booted once for trial, not confirmed yet */
    META_SLOT_CONFIRMED = 3, /**< confirmed by its application: a known-good image */
    META_SLOT_REJECTED = 4,  /**< failed verification or trial; never booted again */
};

struct meta_slot {
    uint32_t ms_version;  /**< image ih_version */
    uint32_t ms_size;     /**< image payload size, bytes */
    uint32_t ms_crc32;    /**< image payload CRC-32 (identifies the image) */
    uint8_t  ms_state;    /**< enum meta_slot_state */
    uint8_t  ms_pad[3];   /**< zero */
};

struct meta_record {
    uint32_t mr_magic;          /**< 0x00 META_MAGIC */
    uint32_t mr_seq;            /**< 0x04 increments by one per commit */
    uint8_t  mr_active;         /**< 0x08 slot booted normally (last confirmed), META_NO_SLOT if none */
    uint8_t  mr_trial_slot;     /**< 0x09 slot pending or in trial, META_NO_SLOT if none */
    uint8_t  mr_reserved[6];    /**< 0x0A zero */
    struct meta_slot mr_slot[2];/**< 0x10 indexed by LAYOUT_SLOT_A/B */
    /** 0x30 anti-rollback floor (docs/SECURITY.md "Anti-rollback"): no
     *  image with a lower ih_security_counter is accepted or booted. Raised
     *  to the image's counter when an image is confirmed or adopted in
     *  factory state; never lowered. Records written before it existed
     *  hold 0 here (these bytes were reserved zero): no floor. */
    uint32_t mr_security_counter;
    uint8_t  mr_reserved2[8];   /**< 0x34 zero */
    uint32_t mr_crc32;          /**< 0x3C CRC-32 of bytes 0x00..0x3B */
};

_Static_assert(sizeof(struct meta_record) == META_RECORD_SIZE, "meta record size");

/**
 * Find the newest valid record in the two metadata sectors.
 * @param out  receives the record
 * @return 0; FOTA_ENOENT (no valid record in either sector: factory state);
 *         FOTA_EINVAL (out NULL); FOTA_EIO (port read failed).
 */
int meta_load(struct meta_record *out);

/**
 * Commit @p rec atomically as the new state. mr_magic, mr_seq (newest + 1,
 * or 1 in factory state) and mr_crc32 are filled in here; the caller's
 * struct is updated to what was written.
 * @return 0; FOTA_EINVAL (rec NULL, slot index out of range);
 *         FOTA_EFLASH / FOTA_ELOCKED (port program or erase failed);
 *         FOTA_ECRC (read-back after programming did not match).
 */
int meta_commit(struct meta_record *rec);

/** @return the CRC-32 a record must carry in mr_crc32. */
uint32_t meta_record_crc(const struct meta_record *rec);

/** @return 0 if @p rec has META_MAGIC and a good CRC, FOTA_EMAGIC / FOTA_ECRC otherwise. */
int meta_record_check(const struct meta_record *rec);

/**
 * The downgrade floor (docs/ARCHITECTURE.md "Downgrade policy"): no image
 * older than this is accepted at BEGIN or tried from PENDING.
 * @return the highest ms_version among the CONFIRMED slots and the active
 *         slot of @p rec; 0 if there is none.
 */
uint32_t meta_version_floor(const struct meta_record *rec);

/** @return a static name for a slot state ("confirmed"), "?" if unknown. */
const char *meta_state_name(uint8_t state);

/**
 * Is metadata sequence number @p a newer than @p b? Serial-number
 * arithmetic (RFC 1982, 32 bits): the commit after 0xFFFFFFFF is 0, and it
 * is newer. Every reader of the log (bootloader, harness, ROM installer)
 * picks the newest record with this.
 * NOTE: sound because the live records (at most 2 x META_RECORDS_PER_SECTOR)
 * span far fewer than 2^31 sequence numbers. A plain `>` took the
 * 0xFFFFFFFF record as the newest for ever after a wrap (issue 16,
 * scenarios/meta.seq_wrap.yaml).
 * @return 1 if newer, 0 otherwise (equal or older).
 */
int meta_seq_newer(uint32_t a, uint32_t b);

/**
 * The newest valid record (meta_seq_newer()) of the metadata log in a copy
 * of the whole flash: @p flash holds LAYOUT_FLASH_SIZE bytes starting at
 * LAYOUT_FLASH_BASE. For host-side readers (harness, report); the
 * bootloader reads its log through the port.
 * @return 1 and the record in @p out; 0 if no valid record (factory state).
 */
int meta_newest_in_image(const uint8_t *flash, struct meta_record *out);

#endif /* FOTA_META_H */
