/**
 * @file fake_image.h
 * @brief Test images (header + pseudo-random payload) for the sim port.
 */
#ifndef FAKE_IMAGE_H
#define FAKE_IMAGE_H

#include <stdint.h>
#include "fota/image.h"
#include "fotahost/sign.h"

/** The key test images are signed with (keys/README.md: a TEST key), and
 *  their security counter. */
#define FAKE_IMAGE_KEY "keys/test-ecdsa-p256.pem"
#define FAKE_IMAGE_SEC_CNT 1u
/** Bytes of a signed test image with @p payload payload bytes. */
#define FAKE_IMAGE_SIZE(payload) (IMAGE_HEADER_SIZE + (payload) + FH_SIGN_TLV_MAX)

/**
 * Build an image linked for @p slot into @p buf: a valid header (CRC-32,
 * SHA-256, header CRC) and @p payload_size bytes from a generator seeded
 * with @p seed, the first 8 a vector table image_check_vectors() accepts,
 * signed with FAKE_IMAGE_KEY (security counter FAKE_IMAGE_SEC_CNT).
 * @return total bytes (FAKE_IMAGE_SIZE(payload_size)), 0 if it does not
 * fit @p cap.
 */
uint32_t fake_image_build(uint8_t *buf, uint32_t cap, uint32_t slot, uint32_t version,
                          uint32_t payload_size, uint32_t seed);

/**
 * After a test edited the payload or header fields of a signed image:
 * recompute CRC-32, SHA-256 and the header CRC, and sign it again with
 * FAKE_IMAGE_KEY and security counter @p sec_cnt. @return total bytes, 0
 * if signing failed or @p cap is too small.
 */
uint32_t fake_image_resign(uint8_t *img, uint32_t cap, uint32_t sec_cnt);

/** Recompute ih_hdr_crc32 after a test edited a header. */
void fake_image_fix_header(struct image_header *h);

/** Factory-program an image into @p slot (erased slot sectors, raw write, not counted). */
void fake_image_install(uint32_t slot, const uint8_t *img, uint32_t len);

/** @return nonzero if @p slot holds exactly @p len bytes equal to @p img. */
int fake_image_in_slot(uint32_t slot, const uint8_t *img, uint32_t len);

#endif
