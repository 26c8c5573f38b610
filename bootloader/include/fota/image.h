/**
 * @file image.h
 * @brief Image format: a 512-byte header, then the payload (the
 * application's raw binary, starting with its vector table), then the TLV
 * area (ih_tlv_size bytes: the signature and what it protects; format in
 * fota/image_tlv.h and docs/SECURITY.md).
 *
 * All multi-byte fields are little-endian. CRC-32 is IEEE 802.3
 * (reflected polynomial 0xEDB88320, init 0xFFFFFFFF, final xor 0xFFFFFFFF:
 * the zlib/PNG CRC). SHA-256 is FIPS 180-4.
 *
 * NOTE: on-flash format. Field offsets and IMAGE_MAGIC never change; a
 * new format bumps ih_hdr_version and keeps old ones readable. Version 1
 * (no TLV area: ih_tlv_size, ih_protect_tlv_size, ih_security_counter were
 * reserved zero) still passes image_check_header(); it carries no
 * signature, so image_verify() refuses it (FOTA_ESIG).
 */
#ifndef FOTA_IMAGE_H
#define FOTA_IMAGE_H

#include <stdint.h>
#include "fota/fih.h"
#include "fota/layout.h"

#define IMAGE_MAGIC        0x41544F46u /* "FOTA" as bytes 46 4F 54 41 */
#define IMAGE_HDR_VERSION  2u
/* The unsigned format before version 2 (see the NOTE above). */
#define IMAGE_HDR_VERSION_V1 1u
#define IMAGE_HEADER_SIZE  LAYOUT_IMAGE_HEADER_SIZE
/* Largest payload that fits a slot. */
#define IMAGE_MAX_PAYLOAD  (LAYOUT_SLOT_SIZE - LAYOUT_IMAGE_HEADER_SIZE)
/* Largest TLV area (signature, digests, security counter: ~170 bytes today). */
#define IMAGE_TLV_MAX_SIZE 512u

/* ih_version: major.minor.patch packed as (major << 16) | (minor << 8) | patch. */
#define IMAGE_VERSION(maj, min, pat) \
    ((uint32_t)(((maj) & 0xFFFFu) << 16) | (uint32_t)(((min) & 0xFFu) << 8) | (uint32_t)((pat) & 0xFFu))
#define IMAGE_VERSION_MAJOR(v) (((v) >> 16) & 0xFFFFu)
#define IMAGE_VERSION_MINOR(v) (((v) >> 8) & 0xFFu)
#define IMAGE_VERSION_PATCH(v) ((v) & 0xFFu)

/* ih_flags bits */
#define IMAGE_F_NONE       0u

struct image_header {
    uint32_t ih_magic;        /**< 0x00 IMAGE_MAGIC */
    uint16_t ih_hdr_size;     /**< 0x04 IMAGE_HEADER_SIZE */
    uint16_t ih_hdr_version;  /**< 0x06 IMAGE_HDR_VERSION */
    uint32_t ih_version;      /**< 0x08 IMAGE_VERSION(...) */
    uint32_t ih_load_addr;    /**< 0x0C slot base address the image was linked for */
    uint32_t ih_size;         /**< 0x10 payload size in bytes (header excluded) */
    uint32_t ih_flags;        /**< 0x14 IMAGE_F_* */
    uint32_t ih_crc32;        /**< 0x18 CRC-32 of the payload */
    uint8_t  ih_sha256[32];   /**< 0x1C SHA-256 of the payload */
    uint32_t ih_tlv_size;     /**< 0x3C bytes of TLV area after the payload (v2; 0 in v1) */
    uint32_t ih_protect_tlv_size; /**< 0x40 bytes of it that the signature covers (v2) */
    uint32_t ih_security_counter; /**< 0x44 anti-rollback counter (v2), equal to the SEC_CNT TLV */
    uint8_t  ih_reserved[IMAGE_HEADER_SIZE - 0x48 - 4]; /**< 0x48 zero */
    uint32_t ih_hdr_crc32;    /**< 0x1FC CRC-32 of header bytes 0x000..0x1FB */
};

_Static_assert(sizeof(struct image_header) == IMAGE_HEADER_SIZE, "image header size");

/**
 * Static checks of a header, no payload access: magic, header size and
 * version (IMAGE_HDR_VERSION, or IMAGE_HDR_VERSION_V1 with no TLV area and
 * counter 0), header CRC, load address equal to the base of @p slot,
 * payload size in 1..IMAGE_MAX_PAYLOAD, TLV area at most
 * IMAGE_TLV_MAX_SIZE, its protected part inside it, and header + payload +
 * TLV area inside the slot.
 *
 * @param h     header as read from flash or received on the link
 * @param slot  LAYOUT_SLOT_A or LAYOUT_SLOT_B
 * @return 0; FOTA_EINVAL (h NULL or slot out of range), FOTA_EMAGIC,
 *         FOTA_EVERSION (unknown ih_hdr_version / ih_hdr_size), FOTA_ECRC
 *         (header CRC), FOTA_ESLOT (ih_load_addr is another slot's base),
 *         FOTA_ESIZE (payload empty, or the image larger than the slot, or
 *         a TLV area too large or smaller than its protected part).
 */
int image_check_header(const struct image_header *h, uint32_t slot);

/**
 * Check the vector table an image starts with (PM0214 2.3.4 "Vector
 * table": word 0 the initial main SP, word 1 the reset vector), before
 * anything jumps to it.
 * @param h       a header that passed image_check_header()
 * @param vectors the first 8 payload bytes (little-endian words 0 and 1)
 * @return 0; FOTA_ESIZE (payload shorter than 8 bytes); FOTA_ERANGE
 *         (initial SP not word-aligned or outside the application RAM
 *         (LAYOUT_APP_RAM_ADDR, LAYOUT_APP_RAM_ADDR + LAYOUT_APP_RAM_SIZE],
 *         reset vector without the Thumb bit (bit 0) or outside the
 *         payload [LAYOUT_APP_VECTORS, + ih_size)).
 */
int image_check_vectors(const struct image_header *h, const uint8_t vectors[8]);

/** Bytes of the whole image: header, payload and TLV area. */
uint32_t image_total_size(const struct image_header *h);

/**
 * Full verification of the image stored in @p slot: image_check_header(),
 * then CRC-32 and SHA-256 of the payload read through port_flash_read(),
 * then the TLV area (image_tlv_parse()): the SHA-256 TLV must be the
 * digest of header + payload + protected TLVs, the ECDSA-P256 signature
 * TLV must verify with the built-in key (image_sig_verify()), the SEC_CNT
 * TLV must equal ih_security_counter; then image_check_vectors().
 * docs/SECURITY.md "What the bootloader checks".
 *
 * @param slot  LAYOUT_SLOT_A or LAYOUT_SLOT_B
 * @param out   optional: receives the header (may be NULL)
 * @return 0; any error of image_check_header(); FOTA_ECRC (payload CRC);
 *         FOTA_ESHA (payload digest); FOTA_EIO (port read failed);
 *         FOTA_ESIG (unsigned, a malformed TLV area, a missing TLV, an
 *         image digest TLV that is not the digest, another key's hash, a
 *         bad signature, or a SEC_CNT TLV unlike the header's counter);
 *         FOTA_ENOMEM (image_sig_verify()); any error of
 *         image_check_vectors().
 */
int image_verify(uint32_t slot, struct image_header *out);

/**
 * image_verify() for the boot decision, hardened against single glitches
 * (fota/fih.h, docs/SECURITY.md "Glitch hardening"): the value returned
 * is the one the signature check computed (image_sig_check()), never a
 * constant set after a test.
 * @param why  receives 0, or the error image_verify() would return
 * @return FIH_SUCCESS when the image verifies; FIH_FAILURE otherwise.
 */
fih_ret image_verify_fih(uint32_t slot, struct image_header *out, int *why);

/** Compute ih_hdr_crc32 for @p h (host packer and tests). */
uint32_t image_header_crc(const struct image_header *h);

#endif /* FOTA_IMAGE_H */
