/**
 * @file image.h
 * @brief Packing and inspecting fota-hil images on the host: an
 * application's raw binary (linked for one slot) becomes a 512-byte
 * struct image_header followed by that binary (fota/image.h).
 *
 * Sources: fota/image.h (header layout, IMAGE_VERSION packing),
 * fota/layout.h (slot and SRAM bounds), CRC-32 IEEE 802.3 and SHA-256
 * FIPS 180-4 (computed with libfotacore's crc32_update() and sha256()),
 * ARMv7-M ARM B1.5.3 (vector table: word 0 initial SP, word 1 reset
 * vector with the Thumb bit set).
 *
 * Portable: no file or OS access here (see fh_file_read()/fh_file_write()).
 */
#ifndef FOTAHOST_IMAGE_H
#define FOTAHOST_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "fota/image.h"
#include "fota/sha256.h"
#include "fotahost/common.h"

/** Largest image (header + payload) that fits a slot, bytes. */
#define FH_IMAGE_MAX_SIZE  LAYOUT_SLOT_SIZE
/** Smallest application binary: initial SP + reset vector, bytes. */
#define FH_APP_MIN_SIZE    8u

/**
 * Parse a version "MAJOR.MINOR.PATCH" (decimal, no sign, no spaces,
 * MAJOR 0..65535, MINOR and PATCH 0..255) into IMAGE_VERSION() form.
 * @param s    NUL-terminated text
 * @param out  receives the packed version
 * @param m    optional message ("version '1.2': expected MAJOR.MINOR.PATCH")
 * @return 0; FOTA_EINVAL (NULL argument, malformed text, or a field out of range).
 */
int fh_version_parse(const char *s, uint32_t *out, struct fh_msg *m);

/**
 * Format a packed version as "x.y.z" into @p buf (@p cap bytes, 12 always
 * suffice). Truncates silently when @p cap is too small.
 */
void fh_version_format(uint32_t v, char *buf, size_t cap);

/**
 * Parse a slot name: "A"/"a" -> LAYOUT_SLOT_A, "B"/"b" -> LAYOUT_SLOT_B.
 * @return 0; FOTA_EINVAL (anything else).
 */
int fh_slot_parse(const char *s, uint32_t *slot, struct fh_msg *m);

/**
 * Parse 64 hexadecimal digits (either case) into a SHA-256 digest.
 * @return 0; FOTA_EINVAL (wrong length or a non-hex character).
 */
int fh_sha256_parse(const char *hex, uint8_t out[SHA256_DIGEST_SIZE], struct fh_msg *m);

/**
 * Check that an application binary can run from @p slot: size in
 * FH_APP_MIN_SIZE..IMAGE_MAX_PAYLOAD; initial SP (word 0) in
 * (LAYOUT_RAM_BASE, LAYOUT_RAM_BASE + LAYOUT_RAM_SIZE] and 4-aligned
 * (a full-descending stack may start at the end of SRAM); reset vector
 * (word 1) has the Thumb bit set and points into
 * [slot base + IMAGE_HEADER_SIZE, slot base + LAYOUT_SLOT_SIZE).
 *
 * @param bin   the raw binary, vector table first
 * @param len   its size in bytes
 * @param slot  LAYOUT_SLOT_A or LAYOUT_SLOT_B
 * @param m     optional message, e.g. "reset vector 0x08001234 is outside
 *              slot B (0x08080200..0x080DFFFF)"
 * @return 0; FOTA_EINVAL (NULL bin, bad slot, bad SP, reset vector without
 *         the Thumb bit); FOTA_ESIZE (too small or too large for a slot);
 *         FOTA_ESLOT (reset vector outside the slot: linked for another
 *         slot or address).
 */
int fh_app_check(const uint8_t *bin, size_t len, uint32_t slot, struct fh_msg *m);

/** What fh_image_pack() needs beyond the binary. */
struct fh_pack_opts {
    uint32_t slot;            /**< LAYOUT_SLOT_A or LAYOUT_SLOT_B */
    uint32_t version;         /**< IMAGE_VERSION() form, see fh_version_parse() */
    /** NULL, or a digest written instead of the real SHA-256 (negative
     *  test images: the header CRC still covers it and is valid). */
    const uint8_t *force_sha256;
    /** ih_security_counter of the header (fh_image_sign() sets it again
     *  when it signs; an unsigned image with a counter is a negative test). */
    uint32_t security_counter;
};

/**
 * Build an image: header (magic, sizes, version, ih_load_addr = slot base,
 * payload CRC-32, SHA-256, header CRC) followed by a copy of @p bin.
 * fh_app_check() runs first.
 *
 * @param bin, len  the application's raw binary (bytes)
 * @param o         slot, version, optional forced digest
 * @param out       buffer of @p cap bytes; needs IMAGE_HEADER_SIZE + len
 * @param out_len   receives IMAGE_HEADER_SIZE + len
 * @return 0; errors of fh_app_check(); FOTA_EINVAL (NULL arguments);
 *         FOTA_ESIZE (@p cap too small).
 */
int fh_image_pack(const uint8_t *bin, size_t len, const struct fh_pack_opts *o,
                  uint8_t *out, size_t cap, size_t *out_len, struct fh_msg *m);

/** Outcome of one check of fh_image_inspect(): 0 = good, else an enum fota_err. */
struct fh_image_report {
    struct image_header hdr;    /**< header as found (zeroed if the file is too short) */
    size_t   file_size;         /**< bytes given */
    int      slot;              /**< LAYOUT_SLOT_A/B from ih_load_addr, -1 if neither */
    uint32_t hdr_crc_calc;      /**< CRC-32 of header bytes 0x000..0x1FB */
    uint32_t crc_calc;          /**< CRC-32 of the payload actually present */
    uint8_t  sha_calc[SHA256_DIGEST_SIZE]; /**< SHA-256 of the payload present */
    uint32_t vec_sp;            /**< payload word 0: initial SP (0 if the payload is shorter) */
    uint32_t vec_reset;         /**< payload word 1: reset vector (0 if the payload is shorter) */
    int rc_length;              /**< FOTA_ESIZE: file shorter than a header */
    int rc_magic;               /**< FOTA_EMAGIC */
    int rc_hdr_format;          /**< FOTA_EVERSION: ih_hdr_size / ih_hdr_version */
    int rc_hdr_crc;             /**< FOTA_ECRC */
    int rc_slot;                /**< FOTA_ESLOT: ih_load_addr is no slot base */
    int rc_size;                /**< FOTA_ESIZE: ih_size 0, > IMAGE_MAX_PAYLOAD, or != file size - header */
    int rc_reserved;            /**< FOTA_EINVAL: ih_flags or ih_reserved not zero */
    int rc_crc;                 /**< FOTA_ECRC: payload CRC-32 */
    int rc_sha;                 /**< FOTA_ESHA: payload SHA-256 */
    int rc_vectors;             /**< errors of fh_app_check() on the payload */
};

/**
 * Verify every field of an image held in memory and record each finding
 * in @p r (all checks run even after a failure, so a tool can show them all).
 *
 * @param img, len  the image file contents (bytes)
 * @param r         receives the findings
 * @param m         optional: describes the first failing check
 * @return 0 if every check passed, else the first failing check's code in
 *         the order of struct fh_image_report; FOTA_EINVAL (NULL arguments).
 */
int fh_image_inspect(const uint8_t *img, size_t len, struct fh_image_report *r, struct fh_msg *m);

/**
 * Read a whole file into a new malloc()ed buffer.
 * @param path     file name
 * @param max      refuse files larger than this many bytes
 * @param buf      receives the buffer (free() it); NULL on error
 * @param len      receives the size in bytes
 * @return 0; FOTA_EIO (open/read failed, message has strerror);
 *         FOTA_ESIZE (larger than @p max); FOTA_ENOMEM.
 */
int fh_file_read(const char *path, size_t max, uint8_t **buf, size_t *len, struct fh_msg *m);

/**
 * Write @p len bytes to @p path (created or replaced), atomically and
 * durably: into a fresh temporary file `path.XXXXXX` in the same directory
 * (mkstemp: O_EXCL, never follows a symlink), fsync'ed, renamed over
 * @p path, then the directory fsync'ed (POSIX rename(2), fsync(2)). A
 * failed or cut run leaves the old file or the new one, never half of one.
 * The file gets mode 0666 less the umask.
 * @return 0; FOTA_EINVAL (NULL argument, path too long); FOTA_EIO.
 */
int fh_file_write(const char *path, const void *buf, size_t len, struct fh_msg *m);

#endif /* FOTAHOST_IMAGE_H */
