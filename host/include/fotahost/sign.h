/**
 * @file sign.h
 * @brief Signing fota-hil images on the host (format: fota/image.h
 * version 2, fota/image_tlv.h; docs/SECURITY.md) with Debian's mbedTLS:
 * ECDSA-P256 (FIPS 186-4) with deterministic nonces (RFC 6979, so the same
 * image and key always give the same bytes) over
 * SHA-256 (FIPS 180-4), keys in PEM (RFC 5915 "EC PRIVATE KEY" or PKCS#8).
 */
#ifndef FOTAHOST_SIGN_H
#define FOTAHOST_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include "fota/image_tlv.h"
#include "fotahost/common.h"

/** Bytes of the TLV area fh_image_sign() appends (always the same): the
 *  protected part { SEC_CNT }, then { SHA256, KEYHASH, ECDSA_SIG }. */
#define FH_SIGN_TLV_MAX (IMAGE_TLV_INFO_SIZE + IMAGE_TLV_HDR_SIZE + 4u + IMAGE_TLV_INFO_SIZE + \
                         2u * (IMAGE_TLV_HDR_SIZE + 32u) + IMAGE_TLV_HDR_SIZE + IMAGE_SIG_SIZE)

/**
 * Read the public key of a P-256 private key file.
 * @param key_path  PEM file with an EC private key on P-256 (secp256r1)
 * @param pub       receives the uncompressed point (0x04 || X || Y)
 * @return 0; FOTA_EIO (cannot read or parse the file); FOTA_EINVAL (NULL
 *         argument, not an EC key, or another curve).
 */
int fh_key_public(const char *key_path, uint8_t pub[IMAGE_PUBKEY_SIZE], struct fh_msg *m);

/**
 * Sign an image in place: any TLV area present is dropped, the header gets
 * format version 2, ih_security_counter = @p sec_cnt, the TLV sizes and
 * a new header CRC; then the TLV area is appended: protected { SEC_CNT },
 * unprotected { SHA256 of header + payload + protected part, KEYHASH,
 * ECDSA_SIG }.
 *
 * @param img       the image: a header that passes image_check_header()
 *                  for its own load address, then ih_size payload bytes
 * @param len       bytes in @p img (header + payload [+ an old TLV area])
 * @param cap       capacity of @p img; needs header + payload + FH_SIGN_TLV_MAX
 * @param key_path  PEM private key (see fh_key_public())
 * @param sec_cnt   the security counter to carry
 * @param out_len   receives the signed image's length
 * @return 0; FOTA_EINVAL (NULL argument, or a header that fails its
 *         checks); FOTA_ESIZE (@p len shorter than header + payload, or
 *         @p cap too small); FOTA_EIO (key file); FOTA_ESIG (signing failed).
 */
int fh_image_sign(uint8_t *img, size_t len, size_t cap, const char *key_path, uint32_t sec_cnt,
                  size_t *out_len, struct fh_msg *m);

#endif /* FOTAHOST_SIGN_H */
