/* tests/bootloader/image_tlv-test.c: the TLV area parser
 * (image_tlv_parse) and the ECDSA-P256 check (image_sig_verify, the
 * hardened image_sig_check, fih_memeq) of the
 * bootloader core, on areas made by the host signer (fh_image_sign, the
 * test key keys/test-ecdsa-p256.pem). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/image_sig.h"
#include "fota/image_tlv.h"
#include "fota/sha256.h"
#include "fake_image.h"

#define PAYLOAD 600u

static uint8_t img[FAKE_IMAGE_SIZE(PAYLOAD)];
static uint8_t *area; /* the TLV area inside img */
static uint32_t prot, len;

static int setup(void **state)
{
    const struct image_header *h = (const struct image_header *)img;

    (void)state;
    assert_int_equal(fake_image_build(img, sizeof(img), LAYOUT_SLOT_A, IMAGE_VERSION(1, 2, 3), PAYLOAD, 9),
                     sizeof(img));
    area = img + IMAGE_HEADER_SIZE + PAYLOAD;
    prot = h->ih_protect_tlv_size;
    len = h->ih_tlv_size;
    return 0;
}

static void test_image_tlv_parse_signed_area(void **state)
{
    struct image_tlvs t;

    (void)state;
    assert_int_equal(len, FH_SIGN_TLV_MAX);
    assert_int_equal(image_tlv_parse(area, len, prot, &t), 0);
    assert_true(t.has_sec_cnt);
    assert_int_equal(t.sec_cnt, FAKE_IMAGE_SEC_CNT);
    assert_non_null(t.sha256);
    assert_non_null(t.keyhash);
    assert_non_null(t.sig);
    assert_true(t.sig >= area && t.sig + IMAGE_SIG_SIZE <= area + len);
}

static void test_image_tlv_parse_errors(void **state)
{
    static uint8_t a[FH_SIGN_TLV_MAX];
    struct image_tlvs t;

    (void)state;
    assert_int_equal(image_tlv_parse(NULL, len, prot, &t), FOTA_EINVAL);
    assert_int_equal(image_tlv_parse(area, len, prot, NULL), FOTA_EINVAL);
    assert_int_equal(image_tlv_parse(area, len, len + 1u, &t), FOTA_ESIG); /* protected part past the area */
    assert_int_equal(image_tlv_parse(area, len - 1u, prot, &t), FOTA_ESIG); /* truncated: total != area */
    assert_int_equal(image_tlv_parse(area, len, 0, &t), FOTA_ESIG);         /* protected magic where the other goes */
    assert_int_equal(image_tlv_parse(area, 0, 0, &t), FOTA_ESIG);           /* empty */
    memcpy(a, area, sizeof(a));
    a[0] ^= 1u; /* protected magic */
    assert_int_equal(image_tlv_parse(a, len, prot, &t), FOTA_ESIG);
    memcpy(a, area, sizeof(a));
    a[prot + IMAGE_TLV_INFO_SIZE + 2u] = 33u; /* SHA256 TLV claims 33 bytes */
    assert_int_equal(image_tlv_parse(a, len, prot, &t), FOTA_ESIG);
    memcpy(a, area, sizeof(a));
    a[prot + IMAGE_TLV_INFO_SIZE + 2u] = 0xFFu; /* and past the area */
    assert_int_equal(image_tlv_parse(a, len, prot, &t), FOTA_ESIG);
    memcpy(a, area, sizeof(a));
    a[IMAGE_TLV_INFO_SIZE] = IMAGE_TLV_SHA256; /* a SHA256 type in the protected part */
    assert_int_equal(image_tlv_parse(a, len, prot, &t), FOTA_ESIG);
    memcpy(a, area, sizeof(a));
    a[prot + IMAGE_TLV_INFO_SIZE + IMAGE_TLV_HDR_SIZE + 32u] = IMAGE_TLV_SHA256; /* KEYHASH -> a 2nd SHA256 */
    assert_int_equal(image_tlv_parse(a, len, prot, &t), FOTA_ESIG);
}

static void test_image_tlv_parse_unknown_skipped(void **state)
{
    static uint8_t a[FH_SIGN_TLV_MAX];
    struct image_tlvs t;

    (void)state;
    memcpy(a, area, sizeof(a));
    a[prot + IMAGE_TLV_INFO_SIZE + IMAGE_TLV_HDR_SIZE + 32u] = 0x7Eu; /* KEYHASH -> unknown type */
    assert_int_equal(image_tlv_parse(a, len, prot, &t), 0);
    assert_null(t.keyhash);
    assert_non_null(t.sig);
}

static void test_image_sig_verify_good_bad_truncated(void **state)
{
    struct image_tlvs t;
    uint8_t digest[32], sig[IMAGE_SIG_SIZE], pub[IMAGE_PUBKEY_SIZE];
    unsigned i;

    (void)state;
    assert_int_equal(image_tlv_parse(area, len, prot, &t), 0);
    sha256(img, IMAGE_HEADER_SIZE + PAYLOAD + prot, digest);
    assert_memory_equal(digest, t.sha256, 32);
    assert_int_equal(image_sig_verify(digest, t.sig, image_sig_pubkey), 0);
    assert_int_equal(image_sig_verify(NULL, t.sig, image_sig_pubkey), FOTA_EINVAL);
    /* every bit of the signature matters */
    for (i = 0; i < IMAGE_SIG_SIZE * 8u; i += 37u) {
        memcpy(sig, t.sig, sizeof(sig));
        sig[i / 8u] ^= (uint8_t)(1u << (i % 8u));
        assert_int_equal(image_sig_verify(digest, sig, image_sig_pubkey), FOTA_ESIG);
    }
    /* a truncated signature (the last 8 bytes erased), r = 0, s = 0 */
    memcpy(sig, t.sig, sizeof(sig));
    memset(sig + IMAGE_SIG_SIZE - 8u, 0xFF, 8);
    assert_int_equal(image_sig_verify(digest, sig, image_sig_pubkey), FOTA_ESIG);
    memset(sig, 0, sizeof(sig));
    assert_int_equal(image_sig_verify(digest, sig, image_sig_pubkey), FOTA_ESIG);
    /* another digest; a key that is not a curve point */
    digest[31] ^= 1u;
    assert_int_equal(image_sig_verify(digest, t.sig, image_sig_pubkey), FOTA_ESIG);
    digest[31] ^= 1u;
    memcpy(pub, image_sig_pubkey, sizeof(pub));
    pub[64] ^= 1u;
    assert_int_equal(image_sig_verify(digest, t.sig, pub), FOTA_ESIG);
}

/* The hardened check returns FIH constants, never 0/1; r = n, s = 0 and
 * r = 0 are refused (fota/fih.h, docs/SECURITY.md "Glitch hardening"). */
static void test_image_sig_check_fih_values(void **state)
{
    static const uint8_t n[32] = { /* P-256 group order */
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51 };
    struct image_tlvs t;
    uint8_t digest[32], sig[IMAGE_SIG_SIZE];
    int why = -1;

    (void)state;
    assert_true(FIH_SUCCESS > 1u && FIH_FAILURE > 1u && (FIH_SUCCESS ^ FIH_FAILURE) == 0xFFFFFFFFu);
    assert_int_equal(image_tlv_parse(area, len, prot, &t), 0);
    sha256(img, IMAGE_HEADER_SIZE + PAYLOAD + prot, digest);
    assert_int_equal(image_sig_check(digest, t.sig, image_sig_pubkey, &why), FIH_SUCCESS);
    assert_int_equal(why, 0);
    memcpy(sig, t.sig, sizeof(sig));
    sig[5] ^= 0x10u;
    assert_int_equal(image_sig_check(digest, sig, image_sig_pubkey, &why), FIH_FAILURE);
    assert_int_equal(why, FOTA_ESIG);
    memcpy(sig, n, sizeof(n)); /* r = n: out of range */
    assert_int_equal(image_sig_check(digest, sig, image_sig_pubkey, &why), FIH_FAILURE);
    memset(sig, 0, sizeof(sig)); /* r = s = 0 */
    assert_int_equal(image_sig_check(digest, sig, image_sig_pubkey, &why), FIH_FAILURE);
    assert_int_equal(fih_memeq(n, n, sizeof(n)), FIH_SUCCESS);
    assert_int_equal(fih_memeq(n, sig, sizeof(n)), FIH_FAILURE);
    assert_int_equal(fih_memeq(n, sig, 0), FIH_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_image_tlv_parse_signed_area, setup),
        cmocka_unit_test_setup(test_image_tlv_parse_errors, setup),
        cmocka_unit_test_setup(test_image_tlv_parse_unknown_skipped, setup),
        cmocka_unit_test_setup(test_image_sig_verify_good_bad_truncated, setup),
        cmocka_unit_test_setup(test_image_sig_check_fih_values, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
