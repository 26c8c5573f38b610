/**
 * @file bl_private.h
 * @brief Helpers shared by the bootloader core's files; not a public API.
 */
#ifndef FOTA_BL_PRIVATE_H
#define FOTA_BL_PRIVATE_H

#include <stdint.h>
#include "fota/layout.h"
#include "fota/image.h"
#include "fota/meta.h"

/** @return the other slot of @p slot (LAYOUT_SLOT_A <-> LAYOUT_SLOT_B). */
static inline uint8_t bl_other_slot(uint8_t slot)
{
    return (slot == LAYOUT_SLOT_A) ? (uint8_t)LAYOUT_SLOT_B : (uint8_t)LAYOUT_SLOT_A;
}

/** @return nonzero if @p slot names a slot (not META_NO_SLOT or garbage). */
static inline int bl_slot_valid(uint32_t slot)
{
    return slot < LAYOUT_SLOT_COUNT;
}

/**
 * Console line builder: no printf on target. A line starts with "BL: ",
 * pieces are appended, bl_line_end() adds "\r\n" and writes it. Overlong
 * lines are truncated, never overrun.
 */
#define BL_LINE_MAX 120u
struct bl_line {
    char     buf[BL_LINE_MAX + 3u];
    uint32_t len;
};

/** Start a line with the "BL: " prefix. */
void bl_line_start(struct bl_line *l);
/** Append a NUL-terminated string. */
void bl_line_str(struct bl_line *l, const char *s);
/** Append @p v in decimal. */
void bl_line_u32(struct bl_line *l, uint32_t v);
/** Append an ih_version as "major.minor.patch". */
void bl_line_version(struct bl_line *l, uint32_t v);
/** Append "A", "B", or "-" for anything else (META_NO_SLOT). */
void bl_line_slot(struct bl_line *l, uint32_t slot);
/** Terminate with "\r\n" and send to port_console_write(). */
void bl_line_end(struct bl_line *l);

/** @return nonzero if all @p len bytes of flash at @p addr are 0xFF; sets *rc on read error. */
int bl_flash_is_erased(uint32_t addr, uint32_t len, int *rc);

/* ---- install.c: writing an image into a slot (update mode and the
 * services table's background update share these) ---- */

/**
 * May @p h be written into @p slot? The image's header checks for that
 * slot, the downgrade floor and the anti-rollback counter.
 * @param rec  current metadata, or NULL in factory state (no floor)
 * @return 0; errors of image_check_header(); FOTA_EVERSION (below
 *         meta_version_floor(), docs/ARCHITECTURE.md "Downgrade policy");
 *         FOTA_EROLLBACK (security counter below the device's).
 */
int install_check(const struct meta_record *rec, const struct image_header *h, uint8_t slot);

/**
 * Commit @p slot as EMPTY (and not the trial slot) before any of its bytes
 * change; nothing is written if the record says so already.
 * NOTE: metadata invariant: a PENDING/TRIAL/CONFIRMED state always names
 * bytes that are still in the slot.
 * @param rec       current metadata (in), the committed record (out)
 * @param has_meta  0: factory state, *rec is ignored and a record is made
 * @return 0; errors of meta_commit().
 */
int install_mark_empty(struct meta_record *rec, int has_meta, uint8_t slot);

/**
 * Resume point per docs/ARCHITECTURE.md: R = start of the first
 * PROTO_MAX_DATA-aligned chunk of the image that is all 0xFF (the image
 * size if none), [R, size) must be all 0xFF, *crc = CRC-32 of [0, R) as
 * stored, and a prefix covering the header must hold @p h byte for byte.
 * @param size  image bytes (header + payload + TLV area)
 * @return 1 if resumable (*resume, *crc set), 0 if not (the caller
 *         erases); *rc receives FOTA_EIO on a port read error, else 0.
 */
int install_find_resume(uint8_t slot, uint32_t size, const struct image_header *h, uint32_t *resume,
                        uint32_t *crc, int *rc);

/**
 * Erase the one sector of @p slot that holds slot offset @p offset.
 * @param next  receives the slot offset just past that sector, bytes
 * @return 0; FOTA_EINVAL (offset >= LAYOUT_SLOT_SIZE); errors of
 *         port_flash_erase_sector().
 */
int install_erase_sector(uint8_t slot, uint32_t offset, uint32_t *next);

/**
 * Verify the image stored in @p slot (image_verify(): header, CRC-32,
 * SHA-256, signature, vectors), check that its header is @p expect (the
 * one BEGIN announced) and its security counter, then commit it PENDING
 * as the trial slot.
 * @param rec  current metadata (in), the committed record (out)
 * @return 0; errors of image_verify(); FOTA_EPROTO (stored header differs
 *         from @p expect); FOTA_EROLLBACK; errors of meta_commit().
 */
int install_commit_pending(struct meta_record *rec, uint8_t slot, const struct image_header *expect);

#endif /* FOTA_BL_PRIVATE_H */
