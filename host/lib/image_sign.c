/*
 * Image signing with mbedTLS (fotahost/sign.h).
 */
#include <stddef.h>
#include <string.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/proto.h"
#include "fota/sha256.h"
#include "fotahost/sign.h"

/* The key of @p key_path, checked to be P-256. */
static int sign_key_load(mbedtls_pk_context *pk, const char *key_path, struct fh_msg *m)
{
    int rc;

    mbedtls_pk_init(pk);
    rc = mbedtls_pk_parse_keyfile(pk, key_path, NULL);
    if (rc != 0) {
        return fh_msg_set(m, FOTA_EIO, "%s: cannot read a PEM private key (mbedTLS -0x%04X)", key_path,
                          (unsigned)-rc);
    }
    if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY ||
        mbedtls_pk_ec(*pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
        mbedtls_pk_free(pk);
        return fh_msg_set(m, FOTA_EINVAL, "%s: not an EC key on P-256 (secp256r1)", key_path);
    }
    return 0;
}

static int sign_pub_write(mbedtls_pk_context *pk, uint8_t pub[IMAGE_PUBKEY_SIZE])
{
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    size_t n = 0;

    return mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &n, pub,
                                          IMAGE_PUBKEY_SIZE) != 0 || n != IMAGE_PUBKEY_SIZE;
}

int fh_key_public(const char *key_path, uint8_t pub[IMAGE_PUBKEY_SIZE], struct fh_msg *m)
{
    mbedtls_pk_context pk;
    int rc;

    if (key_path == NULL || pub == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "key: NULL argument");
    }
    rc = sign_key_load(&pk, key_path, m);
    if (rc != 0) {
        return rc;
    }
    rc = sign_pub_write(&pk, pub) ? fh_msg_set(m, FOTA_EINVAL, "%s: cannot export the public key", key_path) : 0;
    mbedtls_pk_free(&pk);
    return rc;
}

/* Append one TLV at @p p; @return bytes written. */
static size_t sign_tlv(uint8_t *p, uint16_t type, const uint8_t *v, uint16_t n)
{
    proto_put_u16(p, type);
    proto_put_u16(p + 2, n);
    memcpy(p + IMAGE_TLV_HDR_SIZE, v, n);
    return IMAGE_TLV_HDR_SIZE + (size_t)n;
}

/* ECDSA-P256 over @p digest into @p sig as r || s; @return 0 or an mbedTLS error. */
static int sign_digest(mbedtls_pk_context *pk, const uint8_t digest[32], uint8_t sig[IMAGE_SIG_SIZE])
{
    mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_mpi r, s;
    static const char pers[] = "fotactl sign";
    int rc;

    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const unsigned char *)pers, sizeof(pers) - 1);
    if (rc == 0) {
        /* Deterministic k (RFC 6979); the RNG only blinds the computation. */
        rc = mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, digest, 32, MBEDTLS_MD_SHA256,
                                        mbedtls_ctr_drbg_random, &drbg);
    }
    if (rc == 0) {
        rc = mbedtls_mpi_write_binary(&r, sig, IMAGE_SIG_SIZE / 2u);
    }
    if (rc == 0) {
        rc = mbedtls_mpi_write_binary(&s, sig + IMAGE_SIG_SIZE / 2u, IMAGE_SIG_SIZE / 2u);
    }
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    return rc;
}

/* Header fields for a signed image, then the new header CRC. */
static void sign_header(uint8_t *h, uint32_t sec_cnt, uint32_t prot, uint32_t tlv)
{
    proto_put_u16(h + offsetof(struct image_header, ih_hdr_version), (uint16_t)IMAGE_HDR_VERSION);
    proto_put_u32(h + offsetof(struct image_header, ih_tlv_size), tlv);
    proto_put_u32(h + offsetof(struct image_header, ih_protect_tlv_size), prot);
    proto_put_u32(h + offsetof(struct image_header, ih_security_counter), sec_cnt);
    proto_put_u32(h + offsetof(struct image_header, ih_hdr_crc32),
                  crc32_update(0, h, offsetof(struct image_header, ih_hdr_crc32)));
}

/* Append the TLV area after the @p body bytes of header + payload. */
static int sign_area(mbedtls_pk_context *pk, uint8_t *img, size_t body, uint32_t sec_cnt)
{
    const size_t prot_len = IMAGE_TLV_INFO_SIZE + IMAGE_TLV_HDR_SIZE + 4u;
    uint8_t *p = img + body, cnt[4], pub[IMAGE_PUBKEY_SIZE], keyhash[32], digest[32], sig[IMAGE_SIG_SIZE];
    int rc;

    sign_header(img, sec_cnt, (uint32_t)prot_len, FH_SIGN_TLV_MAX);
    proto_put_u32(cnt, sec_cnt);
    proto_put_u16(p, IMAGE_TLV_PROT_INFO_MAGIC);
    proto_put_u16(p + 2, (uint16_t)prot_len);
    p += IMAGE_TLV_INFO_SIZE;
    p += sign_tlv(p, IMAGE_TLV_SEC_CNT, cnt, 4);
    sha256(img, body + prot_len, digest);
    if (sign_pub_write(pk, pub) != 0) {
        return MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
    }
    sha256(pub, sizeof(pub), keyhash);
    rc = sign_digest(pk, digest, sig);
    if (rc != 0) {
        return rc;
    }
    proto_put_u16(p, IMAGE_TLV_INFO_MAGIC);
    proto_put_u16(p + 2, (uint16_t)(FH_SIGN_TLV_MAX - prot_len));
    p += IMAGE_TLV_INFO_SIZE;
    p += sign_tlv(p, IMAGE_TLV_SHA256, digest, 32);
    p += sign_tlv(p, IMAGE_TLV_KEYHASH, keyhash, 32);
    (void)sign_tlv(p, IMAGE_TLV_ECDSA_SIG, sig, IMAGE_SIG_SIZE);
    return 0;
}

int fh_image_sign(uint8_t *img, size_t len, size_t cap, const char *key_path, uint32_t sec_cnt,
                  size_t *out_len, struct fh_msg *m)
{
    struct image_header h;
    mbedtls_pk_context pk;
    size_t body;
    int rc;

    if (img == NULL || key_path == NULL || out_len == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "sign: NULL argument");
    }
    if (len < IMAGE_HEADER_SIZE) {
        return fh_msg_set(m, FOTA_ESIZE, "sign: %zu bytes is shorter than an image header", len);
    }
    memcpy(&h, img, sizeof(h));
    rc = image_check_header(&h, h.ih_load_addr == LAYOUT_SLOT_B_ADDR ? LAYOUT_SLOT_B : LAYOUT_SLOT_A);
    if (rc != 0) {
        return fh_msg_set(m, FOTA_EINVAL, "sign: the image header fails its checks (%s)", fota_strerror(rc));
    }
    body = IMAGE_HEADER_SIZE + (size_t)h.ih_size;
    if (len < body || cap < body + FH_SIGN_TLV_MAX) {
        return fh_msg_set(m, FOTA_ESIZE, "sign: %zu bytes hold no %zu-byte header + payload, or no room to sign",
                          len, body);
    }
    rc = sign_key_load(&pk, key_path, m);
    if (rc != 0) {
        return rc;
    }
    rc = sign_area(&pk, img, body, sec_cnt);
    mbedtls_pk_free(&pk);
    if (rc != 0) {
        return fh_msg_set(m, FOTA_ESIG, "sign: ECDSA signing failed (mbedTLS -0x%04X)", (unsigned)-rc);
    }
    *out_len = body + FH_SIGN_TLV_MAX;
    return 0;
}
