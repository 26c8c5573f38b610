/**
 * @file slot_hash.h
 * @brief `expect: {slots: {B: {sha256: ...}}}` (outcome.h): the SHA-256
 * of the image stored in a slot of the flash model, of an image file, and
 * the check of one against the other (docs/SCENARIOS.md "expect").
 */
#ifndef HIL_SLOT_HASH_H
#define HIL_SLOT_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "scenario/outcome.h"
#include "target/flashmodel.h"

/**
 * SHA-256 of the image stored in @p slot: its IMAGE_HEADER_SIZE (512)
 * header bytes followed by the ih_size payload bytes and the ih_tlv_size
 * bytes of TLV area that header gives (image_total_size()), as they are
 * in flash (erased bytes read 0xFF). For an image fotactl pack/sign made
 * this equals the SHA-256 of the .img file (`sha256sum`).
 * @param slot  LAYOUT_SLOT_A / LAYOUT_SLOT_B
 * @param why   receives the reason on failure
 * @return 0; FOTA_EMAGIC (no image header: ih_magic is not IMAGE_MAGIC),
 *         FOTA_ESIZE (ih_size 0 or larger than the slot's payload area, or
 *         the whole image larger than the slot).
 */
int hil_slot_sha256(const struct hil_flash *f, int slot, uint8_t out[32], char *why, size_t whylen);

/**
 * SHA-256 of a whole file (at most one slot, LAYOUT_SLOT_SIZE bytes).
 * @return 0; FOTA_EIO (unreadable; @p why says why), FOTA_ESIZE (larger than a slot).
 */
int hil_file_sha256(const char *path, uint8_t out[32], char *why, size_t whylen);

/**
 * Check @p want (a literal, or the hash of want->file) against the image
 * stored in @p slot.
 * @param msg  receives what differs: both digests, the file, the reason
 * @return 0 (equal); FOTA_EPROTO (different, or no image in the slot);
 *         FOTA_EIO / FOTA_ESIZE (the file cannot be hashed).
 */
int hil_slot_sha_check(const struct hil_flash *f, int slot, const struct hil_slot_sha *want, char *msg,
                       size_t msglen);

#endif /* HIL_SLOT_HASH_H */
