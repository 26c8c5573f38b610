/* tests/host/sign-test.c: image signing (host/lib/image_sign.c:
 * fh_image_sign, fh_key_public) with the test keys in keys/, checked with
 * the bootloader core's own parser and verifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/image_sig.h"
#include "fota/image_tlv.h"
#include "fota/proto.h"
#include "fota/sha256.h"
#include "fotahost/image.h"
#include "fotahost/sign.h"

#define APP_LEN 2000u
#define KEY "keys/test-ecdsa-p256.pem"
#define OTHER_KEY "keys/test-ecdsa-p256-other.pem"
#define SIGNED_LEN (IMAGE_HEADER_SIZE + APP_LEN + FH_SIGN_TLV_MAX)

static uint8_t img[SIGNED_LEN];

static int setup(void **state)
{
    struct fh_pack_opts po = { LAYOUT_SLOT_B, IMAGE_VERSION(1, 2, 3), NULL, 0 };
    uint8_t bin[APP_LEN];
    size_t i, n = 0;

    (void)state;
    for (i = 0; i < sizeof(bin); i++) {
        bin[i] = (uint8_t)(i * 5u + 1u);
    }
    proto_put_u32(bin, 0x20020000u);
    proto_put_u32(bin + 4, LAYOUT_APP_VECTORS(LAYOUT_SLOT_B) + 0x101u);
    return fh_image_pack(bin, sizeof(bin), &po, img, sizeof(img), &n, NULL) == 0 && n == sizeof(img) - FH_SIGN_TLV_MAX
               ? 0 : -1;
}

/* The signature verifies with the key's public half over header +
 * payload + protected part, and the header states the TLV area. */
static void test_fh_image_sign_verifies(void **state)
{
    const struct image_header *h = (const struct image_header *)img;
    uint8_t pub[IMAGE_PUBKEY_SIZE], digest[32], keyhash[32];
    struct image_tlvs t;
    size_t n = 0;

    (void)state;
    assert_int_equal(fh_image_sign(img, IMAGE_HEADER_SIZE + APP_LEN, sizeof(img), KEY, 7, &n, NULL), 0);
    assert_int_equal(n, SIGNED_LEN);
    assert_int_equal(image_check_header(h, LAYOUT_SLOT_B), 0);
    assert_int_equal(h->ih_hdr_version, IMAGE_HDR_VERSION);
    assert_int_equal(h->ih_security_counter, 7);
    assert_int_equal(image_total_size(h), SIGNED_LEN);
    assert_int_equal(image_tlv_parse(img + IMAGE_HEADER_SIZE + APP_LEN, h->ih_tlv_size, h->ih_protect_tlv_size, &t),
                     0);
    assert_int_equal(t.sec_cnt, 7);
    sha256(img, IMAGE_HEADER_SIZE + APP_LEN + h->ih_protect_tlv_size, digest);
    assert_memory_equal(t.sha256, digest, 32);
    assert_int_equal(fh_key_public(KEY, pub, NULL), 0);
    assert_int_equal(pub[0], 0x04);
    sha256(pub, sizeof(pub), keyhash);
    assert_memory_equal(t.keyhash, keyhash, 32);
    assert_int_equal(image_sig_verify(digest, t.sig, pub), 0);
    assert_int_equal(fh_key_public(OTHER_KEY, pub, NULL), 0);
    assert_int_equal(image_sig_verify(digest, t.sig, pub), FOTA_ESIG);
}

/* RFC 6979: the same image and key give the same bytes; signing a signed
 * image again replaces its TLV area. */
static void test_fh_image_sign_deterministic_resign(void **state)
{
    static uint8_t first[SIGNED_LEN];
    size_t n = 0;

    (void)state;
    assert_int_equal(fh_image_sign(img, IMAGE_HEADER_SIZE + APP_LEN, sizeof(img), KEY, 1, &n, NULL), 0);
    memcpy(first, img, sizeof(first));
    assert_int_equal(fh_image_sign(img, sizeof(img), sizeof(img), KEY, 1, &n, NULL), 0);
    assert_int_equal(n, SIGNED_LEN);
    assert_memory_equal(img, first, sizeof(first));
    assert_int_equal(fh_image_sign(img, sizeof(img), sizeof(img), OTHER_KEY, 1, &n, NULL), 0);
    assert_memory_not_equal(img + SIGNED_LEN - IMAGE_SIG_SIZE, first + SIGNED_LEN - IMAGE_SIG_SIZE, IMAGE_SIG_SIZE);
}

static void test_fh_image_sign_errors(void **state)
{
    struct fh_msg m;
    uint8_t pub[IMAGE_PUBKEY_SIZE];
    size_t n = 0;

    (void)state;
    assert_int_equal(fh_image_sign(NULL, 1, 1, KEY, 0, &n, &m), FOTA_EINVAL);
    assert_int_equal(fh_image_sign(img, 100, sizeof(img), KEY, 0, &n, &m), FOTA_ESIZE);
    assert_int_equal(fh_image_sign(img, IMAGE_HEADER_SIZE + APP_LEN, sizeof(img) - 1u, KEY, 0, &n, &m), FOTA_ESIZE);
    assert_int_equal(fh_image_sign(img, IMAGE_HEADER_SIZE + APP_LEN - 1u, sizeof(img), KEY, 0, &n, &m), FOTA_ESIZE);
    assert_int_equal(fh_image_sign(img, IMAGE_HEADER_SIZE + APP_LEN, sizeof(img), "keys/none.pem", 0, &n, &m),
                     FOTA_EIO);
    assert_non_null(strstr(m.text, "keys/none.pem"));
    assert_int_equal(fh_image_sign(img, IMAGE_HEADER_SIZE + APP_LEN, sizeof(img), "keys/README.md", 0, &n, &m),
                     FOTA_EIO);
    img[0] ^= 1u; /* bad magic */
    assert_int_equal(fh_image_sign(img, IMAGE_HEADER_SIZE + APP_LEN, sizeof(img), KEY, 0, &n, &m), FOTA_EINVAL);
    assert_int_equal(fh_key_public("keys/none.pem", pub, &m), FOTA_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fh_image_sign_verifies, setup),
        cmocka_unit_test_setup(test_fh_image_sign_deterministic_resign, setup),
        cmocka_unit_test_setup(test_fh_image_sign_errors, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
