/**
 * @file image_tlv.h
 * @brief The TLV area after an image's payload (fota/image.h, format
 * version 2), modelled on MCUboot's (docs/design.md "Image format" of
 * mcu-tools/mcuboot; our own type numbers where MCUboot has none):
 *
 *   protected part (ih_protect_tlv_size bytes, 0 if none):
 *     info  { u16 magic IMAGE_TLV_PROT_INFO_MAGIC, u16 total incl. info }
 *     TLVs  { u16 type, u16 len, len bytes }...
 *   unprotected part (the rest of ih_tlv_size):
 *     info  { u16 magic IMAGE_TLV_INFO_MAGIC, u16 total incl. info }
 *     TLVs  ...
 *
 * Little-endian. The image digest (TLV SHA256) is SHA-256 over the
 * header, the payload and the protected part, in that order; the
 * signature (TLV ECDSA_SIG) is ECDSA-P256 over that digest, stored as the
 * two 32-byte big-endian integers r || s (the fixed-size form of IEEE
 * 1363 / RFC 7518 section 3.4, unlike MCUboot's DER: every signed image's
 * TLV area then has one size, which the header states before signing). The protected part carries the security
 * counter (TLV SEC_CNT), so it cannot be changed without the key.
 *
 * NOTE: on-flash format: type numbers and magics never change.
 */
#ifndef FOTA_IMAGE_TLV_H
#define FOTA_IMAGE_TLV_H

#include <stdint.h>

#define IMAGE_TLV_INFO_MAGIC      0x6907u
#define IMAGE_TLV_PROT_INFO_MAGIC 0x6908u
#define IMAGE_TLV_INFO_SIZE       4u
#define IMAGE_TLV_HDR_SIZE        4u

#define IMAGE_TLV_KEYHASH   0x01u /**< SHA-256 of the public key (65-byte uncompressed point) */
#define IMAGE_TLV_SHA256    0x10u /**< SHA-256 of header + payload + protected TLVs */
#define IMAGE_TLV_ECDSA_SIG 0x22u /**< ECDSA-P256 signature of the SHA256 TLV: r || s, 32 bytes each */
#define IMAGE_TLV_SEC_CNT   0x50u /**< u32 security counter (protected) */

/** ECDSA-P256 signature: r || s. */
#define IMAGE_SIG_SIZE      64u
/** Uncompressed SEC 1 point: 0x04 || X || Y. */
#define IMAGE_PUBKEY_SIZE   65u

/** What image_tlv_parse() found; pointers into the caller's area. */
struct image_tlvs {
    const uint8_t *sha256;   /**< 32 bytes, or NULL */
    const uint8_t *keyhash;  /**< 32 bytes, or NULL */
    const uint8_t *sig;      /**< IMAGE_SIG_SIZE bytes, or NULL */
    uint32_t sec_cnt;        /**< the SEC_CNT value; valid when has_sec_cnt */
    uint8_t  has_sec_cnt;    /**< 1 if the protected part holds SEC_CNT */
};

/**
 * Parse a TLV area (its whole ih_tlv_size bytes).
 *
 * Rules: the protected part, when @p prot_len != 0, is exactly one info
 * header with IMAGE_TLV_PROT_INFO_MAGIC whose total is @p prot_len; the
 * unprotected part is one info header with IMAGE_TLV_INFO_MAGIC whose
 * total is the rest of @p len; every TLV lies inside its part; SEC_CNT
 * only in the protected part (4 bytes), SHA256/KEYHASH/ECDSA_SIG only in
 * the unprotected part (32, 32, IMAGE_SIG_SIZE bytes); each type at
 * most once; unknown types are skipped.
 *
 * @param area      the TLV area bytes
 * @param len       ih_tlv_size, bytes
 * @param prot_len  ih_protect_tlv_size, bytes (<= len)
 * @param out       receives the TLVs found (zeroed first)
 * @return 0; FOTA_EINVAL (NULL argument); FOTA_ESIG (any rule broken:
 *         bad magic or total, a TLV past its part's end, a wrong length,
 *         a duplicate, a type in the wrong part).
 */
int image_tlv_parse(const uint8_t *area, uint32_t len, uint32_t prot_len, struct image_tlvs *out);

#endif /* FOTA_IMAGE_TLV_H */
