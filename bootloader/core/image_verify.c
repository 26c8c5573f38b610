/**
 * @file image_verify.c
 * @brief image_verify(): full check of a stored image through the port.
 * Kept apart from image.c so host tools can link the header checks alone.
 */
#include <string.h>
#include "fota/image.h"
#include "fota/image_sig.h"
#include "fota/image_tlv.h"
#include "fota/crc32.h"
#include "fota/sha256.h"
#include "fota/errors.h"
#include "fota/fih.h"
#include "fota/port.h"

/* Bytes read per port_flash_read() while hashing: a stack buffer, sized to
 * keep the bootloader's (and an application's, via bl_api) stack small. */
#define IMAGE_READ_CHUNK 256u

/* What one pass over the payload computes. */
struct image_scan {
    struct sha256_ctx image_sha; /* header + payload (+ protected TLVs later) */
    uint8_t payload_sha[SHA256_DIGEST_SIZE];
    uint32_t crc;
    uint8_t vectors[8];
};

/* CRC-32 and SHA-256 of the payload at @p addr, and the image digest's
 * header + payload part. @return 0; FOTA_EIO. */
static int image_scan_payload(uint32_t addr, const struct image_header *h, struct image_scan *sc)
{
    struct sha256_ctx sha;
    uint8_t buf[IMAGE_READ_CHUNK];
    uint32_t left;

    memset(sc, 0, sizeof(*sc));
    sha256_init(&sha);
    sha256_init(&sc->image_sha);
    sha256_update(&sc->image_sha, h, sizeof(*h));
    for (left = h->ih_size; left > 0u;) {
        uint32_t n = (left < IMAGE_READ_CHUNK) ? left : IMAGE_READ_CHUNK;
        if (port_flash_read(addr, buf, n) != 0) {
            return FOTA_EIO;
        }
        if (left == h->ih_size) {
            memcpy(sc->vectors, buf, (n < sizeof(sc->vectors)) ? n : sizeof(sc->vectors));
        }
        sc->crc = crc32_update(sc->crc, buf, n);
        sha256_update(&sha, buf, n);
        sha256_update(&sc->image_sha, buf, n);
        addr += n;
        left -= n;
    }
    sha256_final(&sha, sc->payload_sha);
    return 0;
}

/* The TLV area at @p addr: digest of header + payload + protected part,
 * then the TLVs (image.h image_verify()). @return what image_sig_check()
 * returns: FIH_SUCCESS only when the signature verifies; else FIH_FAILURE
 * and *why: FOTA_EIO; FOTA_ESIG; errors of image_sig_check(). The checks
 * before the signature only refuse (the signature covers what they
 * check), so they are plain. */
static fih_ret image_check_tlvs(uint32_t addr, const struct image_header *h, struct image_scan *sc, int *why)
{
    uint8_t area[IMAGE_TLV_MAX_SIZE];
    uint8_t digest[SHA256_DIGEST_SIZE];
    uint8_t keyhash[SHA256_DIGEST_SIZE];
    struct image_tlvs t;

    *why = FOTA_ESIG;
    if (h->ih_tlv_size == 0u) {
        return FIH_FAILURE; /* unsigned */
    }
    if (port_flash_read(addr, area, h->ih_tlv_size) != 0) {
        *why = FOTA_EIO;
        return FIH_FAILURE;
    }
    sha256_update(&sc->image_sha, area, h->ih_protect_tlv_size);
    sha256_final(&sc->image_sha, digest);
    *why = image_tlv_parse(area, h->ih_tlv_size, h->ih_protect_tlv_size, &t);
    if (*why != 0) {
        return FIH_FAILURE;
    }
    *why = FOTA_ESIG;
    if (t.sha256 == NULL || t.keyhash == NULL || t.sig == NULL || !t.has_sec_cnt ||
        t.sec_cnt != h->ih_security_counter) {
        return FIH_FAILURE;
    }
    sha256(image_sig_pubkey, IMAGE_PUBKEY_SIZE, keyhash);
    if (memcmp(t.keyhash, keyhash, sizeof(keyhash)) != 0 || memcmp(t.sha256, digest, sizeof(digest)) != 0) {
        return FIH_FAILURE;
    }
    /* The signature over the digest computed from flash, not the TLV's. */
    return image_sig_check(digest, t.sig, image_sig_pubkey, why);
}

/* Header, CRC-32 and payload SHA-256 of the image at @p addr into @p h
 * and @p sc. @return 0; the error (image_verify()). */
static int image_check_payload(uint32_t slot, uint32_t addr, struct image_header *h, struct image_scan *sc,
                               struct image_header *out)
{
    int rc;

    if (port_flash_read(addr, h, sizeof(*h)) != 0) {
        return FOTA_EIO;
    }
    if (out != NULL) {
        memcpy(out, h, sizeof(*h));
    }
    rc = image_check_header(h, slot);
    if (rc != 0) {
        return rc;
    }
    rc = image_scan_payload(addr + IMAGE_HEADER_SIZE, h, sc);
    if (rc != 0) {
        return rc;
    }
    if (sc->crc != h->ih_crc32) {
        return FOTA_ECRC;
    }
    return memcmp(sc->payload_sha, h->ih_sha256, sizeof(sc->payload_sha)) != 0 ? FOTA_ESHA : 0;
}

fih_ret image_verify_fih(uint32_t slot, struct image_header *out, int *why)
{
    struct image_header h;
    struct image_scan sc;
    uint32_t addr;
    volatile fih_ret ret = FIH_FAILURE;

    if (slot >= LAYOUT_SLOT_COUNT) {
        *why = FOTA_EINVAL;
        return FIH_FAILURE;
    }
    addr = LAYOUT_SLOT_ADDR(slot);
    *why = image_check_payload(slot, addr, &h, &sc, out);
    if (*why != 0) {
        return FIH_FAILURE;
    }
    ret = image_check_tlvs(addr + IMAGE_HEADER_SIZE + h.ih_size, &h, &sc, why);
    if (!fih_ok(&ret)) {
        return FIH_FAILURE;
    }
    *why = image_check_vectors(&h, sc.vectors);
    if (*why != 0) {
        return FIH_FAILURE;
    }
    return ret; /* the signature check's own value, never a constant */
}

int image_verify(uint32_t slot, struct image_header *out)
{
    int why;
    volatile fih_ret ret = image_verify_fih(slot, out, &why);

    return fih_ok(&ret) ? 0 : (why != 0 ? why : FOTA_ESIG);
}
