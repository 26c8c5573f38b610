/**
 * @file fake_image.h
 * @brief Test images (header + pseudo-random payload) for the sim port.
 */
#ifndef FAKE_IMAGE_H
#define FAKE_IMAGE_H

#include <stdint.h>
#include "fota/image.h"

/**
 * Build an image linked for @p slot into @p buf: a valid header (CRC-32,
 * SHA-256, header CRC) and @p payload_size bytes from a generator seeded
 * with @p seed, the first 8 a vector table image_check_vectors() accepts. @return total bytes (IMAGE_HEADER_SIZE + payload_size),
 * 0 if it does not fit @p cap.
 */
uint32_t fake_image_build(uint8_t *buf, uint32_t cap, uint32_t slot, uint32_t version,
                          uint32_t payload_size, uint32_t seed);

/** Recompute ih_hdr_crc32 after a test edited a header. */
void fake_image_fix_header(struct image_header *h);

/** Factory-program an image into @p slot (erased slot sectors, raw write, not counted). */
void fake_image_install(uint32_t slot, const uint8_t *img, uint32_t len);

/** @return nonzero if @p slot holds exactly @p len bytes equal to @p img. */
int fake_image_in_slot(uint32_t slot, const uint8_t *img, uint32_t len);

#endif
