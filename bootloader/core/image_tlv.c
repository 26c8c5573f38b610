/**
 * @file image_tlv.c
 * @brief image_tlv_parse(): the TLV area after the payload (image_tlv.h).
 * No flash access, so host tools and the fuzz target link it alone.
 */
#include <stddef.h>
#include "fota/image_tlv.h"
#include "fota/errors.h"

static uint32_t tlv_get_u16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

/* One TLV of the protected part (@p prot != 0) or the other. */
static int tlv_take(struct image_tlvs *out, uint32_t type, const uint8_t *v, uint32_t n, int prot)
{
    if (type == IMAGE_TLV_SEC_CNT) {
        if (!prot || n != 4u || out->has_sec_cnt) {
            return FOTA_ESIG;
        }
        out->sec_cnt = (uint32_t)v[0] | ((uint32_t)v[1] << 8) | ((uint32_t)v[2] << 16) | ((uint32_t)v[3] << 24);
        out->has_sec_cnt = 1;
    } else if (type == IMAGE_TLV_SHA256 || type == IMAGE_TLV_KEYHASH) {
        const uint8_t **slot = (type == IMAGE_TLV_SHA256) ? &out->sha256 : &out->keyhash;
        if (prot || n != 32u || *slot != NULL) {
            return FOTA_ESIG;
        }
        *slot = v;
    } else if (type == IMAGE_TLV_ECDSA_SIG) {
        if (prot || n != IMAGE_SIG_SIZE || out->sig != NULL) {
            return FOTA_ESIG;
        }
        out->sig = v;
    }
    return 0; /* unknown types are skipped */
}

/* One part: info header with @p magic and total @p len, then TLVs. */
static int tlv_part(const uint8_t *p, uint32_t len, uint32_t magic, struct image_tlvs *out)
{
    uint32_t off;

    if (len < IMAGE_TLV_INFO_SIZE || tlv_get_u16(p) != magic || tlv_get_u16(p + 2) != len) {
        return FOTA_ESIG;
    }
    for (off = IMAGE_TLV_INFO_SIZE; off < len;) {
        uint32_t type, n;
        int rc;

        if (len - off < IMAGE_TLV_HDR_SIZE) {
            return FOTA_ESIG;
        }
        type = tlv_get_u16(p + off);
        n = tlv_get_u16(p + off + 2);
        off += IMAGE_TLV_HDR_SIZE;
        if (n > len - off) {
            return FOTA_ESIG;
        }
        rc = tlv_take(out, type, p + off, n, magic == IMAGE_TLV_PROT_INFO_MAGIC);
        if (rc != 0) {
            return rc;
        }
        off += n;
    }
    return 0;
}

int image_tlv_parse(const uint8_t *area, uint32_t len, uint32_t prot_len, struct image_tlvs *out)
{
    int rc;

    if (area == NULL || out == NULL) {
        return FOTA_EINVAL;
    }
    *out = (struct image_tlvs){ 0 };
    if (prot_len > len || len > 0xFFFFu) {
        return FOTA_ESIG;
    }
    if (prot_len != 0u) {
        rc = tlv_part(area, prot_len, IMAGE_TLV_PROT_INFO_MAGIC, out);
        if (rc != 0) {
            return rc;
        }
    }
    return tlv_part(area + prot_len, len - prot_len, IMAGE_TLV_INFO_MAGIC, out);
}
