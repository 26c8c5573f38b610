/**
 * @file image_sig.h
 * @brief ECDSA-P256 signature check of an image digest (FIPS 186-4
 * section 6.4, SEC 1 section 4.1.4) with mbedTLS, and the public key built
 * into the bootloader.
 */
#ifndef FOTA_IMAGE_SIG_H
#define FOTA_IMAGE_SIG_H

#include <stdint.h>
#include "fota/fih.h"
#include "fota/image_tlv.h"

/**
 * The public key images must be signed for: an uncompressed SEC 1 point
 * (0x04 || X || Y) on P-256. Defined by a file the build generates from
 * the signing key (`fotactl pubkey --c`, IMAGE_SIGN_KEY in
 * bootloader/build.mk; keys/README.md).
 */
extern const uint8_t image_sig_pubkey[IMAGE_PUBKEY_SIZE];

/**
 * Verify an ECDSA-P256 signature over a SHA-256 digest.
 *
 * On the target mbedTLS allocates from a static buffer in this unit
 * (memory_buffer_alloc, IMAGE_SIG_HEAP_SIZE bytes), reset on every call.
 *
 * @param digest   32-byte SHA-256 digest
 * @param sig      r || s, 32-byte big-endian integers (fota/image_tlv.h)
 * @param pubkey   IMAGE_PUBKEY_SIZE-byte uncompressed point
 * @return 0; FOTA_EINVAL (NULL argument); FOTA_ENOMEM (the static heap is
 *         too small); FOTA_ESIG (the key is not a P-256 point, r or s is
 *         out of range, or the signature does not verify).
 */
int image_sig_verify(const uint8_t digest[32], const uint8_t sig[IMAGE_SIG_SIZE],
                     const uint8_t pubkey[IMAGE_PUBKEY_SIZE]);

/**
 * image_sig_verify() for the boot path, hardened against single glitches
 * (fota/fih.h): r and s in [1, n-1], R = u1 G + u2 Q with mbedTLS's
 * arithmetic, then x(R) mod n compared with r twice (fih_memeq()), each
 * result checked.
 *
 * @param why  receives 0 on success, else what image_sig_verify() returns
 * @return FIH_SUCCESS only when the signature verifies; else FIH_FAILURE.
 */
fih_ret image_sig_check(const uint8_t digest[32], const uint8_t sig[IMAGE_SIG_SIZE],
                        const uint8_t pubkey[IMAGE_PUBKEY_SIZE], int *why);

#endif /* FOTA_IMAGE_SIG_H */
