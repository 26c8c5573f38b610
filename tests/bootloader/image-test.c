/* tests/bootloader/image-test.c: image header checks and image_verify()
 * on the sim port. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fota/image.h"
#include "fota/crc32.h"
#include "fota/errors.h"
#include "fake_image.h"
#include "sim.h"

static uint8_t img[FAKE_IMAGE_SIZE(8192)];

static struct image_header *hdr(void)
{
    return (struct image_header *)img;
}

static int setup(void **state)
{
    (void)state;
    sim_init();
    assert_int_equal(fake_image_build(img, sizeof(img), LAYOUT_SLOT_B, IMAGE_VERSION(2, 1, 3), 8192, 7),
                     sizeof(img));
    return 0;
}

static void test_image_header_crc_covers_all_but_last_word(void **state)
{
    struct image_header h;

    (void)state;
    memcpy(&h, img, sizeof(h));
    assert_int_equal(image_header_crc(&h), crc32_update(0, img, 0x1FC));
    h.ih_hdr_crc32 ^= 0xFFFFFFFFu; /* not covered */
    assert_int_equal(image_header_crc(&h), crc32_update(0, img, 0x1FC));
    h.ih_reserved[10] = 1; /* covered */
    assert_int_not_equal(image_header_crc(&h), crc32_update(0, img, 0x1FC));
}

static void test_image_check_header_valid(void **state)
{
    (void)state;
    assert_int_equal(image_check_header(hdr(), LAYOUT_SLOT_B), 0);
}

static void test_image_check_header_errors(void **state)
{
    struct image_header h;

    (void)state;
    assert_int_equal(image_check_header(NULL, LAYOUT_SLOT_A), FOTA_EINVAL);
    assert_int_equal(image_check_header(hdr(), 2), FOTA_EINVAL);
    assert_int_equal(image_check_header(hdr(), LAYOUT_SLOT_A), FOTA_ESLOT);

    memcpy(&h, img, sizeof(h));
    h.ih_magic = 0x46544F41u;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_EMAGIC);

    memcpy(&h, img, sizeof(h));
    h.ih_hdr_version = 3;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_EVERSION);

    /* version 1 had the TLV fields reserved zero */
    memcpy(&h, img, sizeof(h));
    h.ih_hdr_version = IMAGE_HDR_VERSION_V1;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_EVERSION);
    h.ih_tlv_size = 0;
    h.ih_protect_tlv_size = 0;
    h.ih_security_counter = 0;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), 0);

    /* TLV area too large, protected part larger than the area, past the slot */
    memcpy(&h, img, sizeof(h));
    h.ih_tlv_size = IMAGE_TLV_MAX_SIZE + 4u;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_ESIZE);
    memcpy(&h, img, sizeof(h));
    h.ih_protect_tlv_size = h.ih_tlv_size + 4u;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_ESIZE);
    memcpy(&h, img, sizeof(h));
    h.ih_size = IMAGE_MAX_PAYLOAD - 8u;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_ESIZE);

    memcpy(&h, img, sizeof(h));
    h.ih_hdr_size = 256;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_EVERSION);

    memcpy(&h, img, sizeof(h));
    h.ih_version ^= 1u; /* CRC not fixed */
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_ECRC);

    memcpy(&h, img, sizeof(h));
    h.ih_load_addr = LAYOUT_SLOT_B_ADDR + 0x200u;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_ESLOT);

    memcpy(&h, img, sizeof(h));
    h.ih_size = 0;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_ESIZE);

    memcpy(&h, img, sizeof(h));
    h.ih_size = IMAGE_MAX_PAYLOAD + 1u;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_ESIZE);
    h.ih_size = IMAGE_MAX_PAYLOAD - h.ih_tlv_size; /* header + payload + TLV area = the slot */
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), 0);
    h.ih_size++;
    fake_image_fix_header(&h);
    assert_int_equal(image_check_header(&h, LAYOUT_SLOT_B), FOTA_ESIZE);
}

static void test_image_verify_good(void **state)
{
    struct image_header out;

    (void)state;
    fake_image_install(LAYOUT_SLOT_B, img, sizeof(img));
    memset(&out, 0, sizeof(out));
    assert_int_equal(image_verify(LAYOUT_SLOT_B, &out), 0);
    assert_memory_equal(&out, img, sizeof(out));
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), 0);
    /* the same bytes in slot A are linked for B */
    fake_image_install(LAYOUT_SLOT_A, img, sizeof(img));
    assert_int_equal(image_verify(LAYOUT_SLOT_A, NULL), FOTA_ESLOT);
    assert_int_equal(image_verify(2, NULL), FOTA_EINVAL);
}

static void test_image_verify_erased_slot(void **state)
{
    (void)state;
    assert_int_equal(image_verify(LAYOUT_SLOT_A, NULL), FOTA_EMAGIC);
}

static void test_image_verify_payload_bit_flip(void **state)
{
    uint32_t base = LAYOUT_SLOT_B_ADDR + IMAGE_HEADER_SIZE;

    (void)state;
    fake_image_install(LAYOUT_SLOT_B, img, sizeof(img));
    sim_flash_flip_bit(base + 4000u, 3);
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ECRC);
    sim_flash_flip_bit(base + 4000u, 3);
    sim_flash_flip_bit(base + 8191u, 7); /* last payload byte */
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ECRC);
}

static void test_image_verify_bad_sha(void **state)
{
    struct image_header h;

    (void)state;
    memcpy(&h, img, sizeof(h));
    h.ih_sha256[0] ^= 0x01u; /* header CRC fine, digest wrong (fotactl --force-sha256) */
    fake_image_fix_header(&h);
    fake_image_install(LAYOUT_SLOT_B, img, sizeof(img));
    sim_flash_write_raw(LAYOUT_SLOT_B_ADDR, &h, sizeof(h));
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ESHA);
}

static void test_image_verify_truncated(void **state)
{
    (void)state;
    fake_image_install(LAYOUT_SLOT_B, img, sizeof(img) - FH_SIGN_TLV_MAX - 100u);
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ECRC);
}

/* The TLV area cut short (erased tail): the signature no longer parses. */
static void test_image_verify_truncated_tlv_area(void **state)
{
    (void)state;
    fake_image_install(LAYOUT_SLOT_B, img, sizeof(img) - 8u);
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ESIG);
    fake_image_install(LAYOUT_SLOT_B, img, sizeof(img));
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), 0);
}

/* Header + payload only, TLV sizes 0: unsigned, refused. */
static void test_image_verify_unsigned(void **state)
{
    struct image_header h;

    (void)state;
    memcpy(&h, img, sizeof(h));
    h.ih_tlv_size = 0;
    h.ih_protect_tlv_size = 0;
    fake_image_fix_header(&h);
    fake_image_install(LAYOUT_SLOT_B, img, IMAGE_HEADER_SIZE + h.ih_size);
    sim_flash_write_raw(LAYOUT_SLOT_B_ADDR, &h, sizeof(h));
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ESIG);
    /* an old format-1 image (no TLV fields at all) too */
    h.ih_hdr_version = IMAGE_HDR_VERSION_V1;
    h.ih_security_counter = 0;
    fake_image_fix_header(&h);
    sim_flash_write_raw(LAYOUT_SLOT_B_ADDR, &h, sizeof(h));
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ESIG);
}

/* One flipped bit anywhere in the TLV area or in the header's signed
 * fields is refused: the signature, the image digest TLV, the key hash,
 * the protected SEC_CNT TLV. */
static void test_image_verify_tlv_bit_flips(void **state)
{
    const struct image_header *h = hdr();
    uint32_t tlv = LAYOUT_SLOT_B_ADDR + IMAGE_HEADER_SIZE + h->ih_size;
    uint32_t off;

    (void)state;
    for (off = 0; off < h->ih_tlv_size; off++) {
        fake_image_install(LAYOUT_SLOT_B, img, sizeof(img));
        sim_flash_flip_bit(tlv + off, (uint8_t)(off % 8u));
        assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ESIG);
    }
}

/* Signed with another key, or the counter TLV unlike the header's. */
static void test_image_verify_wrong_key_and_counter(void **state)
{
    static uint8_t other[sizeof(img)];
    struct image_header h;
    size_t len = 0;

    (void)state;
    memcpy(other, img, sizeof(other));
    assert_int_equal(fh_image_sign(other, sizeof(other), sizeof(other), "keys/test-ecdsa-p256-other.pem", 1, &len,
                                   NULL), 0);
    fake_image_install(LAYOUT_SLOT_B, other, (uint32_t)len);
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ESIG);

    memcpy(&h, img, sizeof(h));
    h.ih_security_counter = 7; /* header CRC fixed, so only the signature can tell */
    fake_image_fix_header(&h);
    fake_image_install(LAYOUT_SLOT_B, img, sizeof(img));
    sim_flash_write_raw(LAYOUT_SLOT_B_ADDR, &h, sizeof(h));
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_ESIG);
}

static void test_image_verify_max_size_fits_slot(void **state)
{
    static uint8_t big[LAYOUT_SLOT_SIZE];

    (void)state;
    assert_int_equal(fake_image_build(big, sizeof(big), LAYOUT_SLOT_A, 1, IMAGE_MAX_PAYLOAD - FH_SIGN_TLV_MAX, 3),
                     sizeof(big));
    fake_image_install(LAYOUT_SLOT_A, big, sizeof(big));
    assert_int_equal(image_verify(LAYOUT_SLOT_A, NULL), 0);
    /* slot B untouched */
    assert_int_equal(image_verify(LAYOUT_SLOT_B, NULL), FOTA_EMAGIC);
}

static void put_vectors(uint8_t v[8], uint32_t sp, uint32_t pc)
{
    memcpy(v, &sp, 4);
    memcpy(v + 4, &pc, 4);
}

static void test_image_check_vectors_bounds(void **state)
{
    const uint32_t top = LAYOUT_APP_RAM_ADDR + LAYOUT_APP_RAM_SIZE;
    const uint32_t vt = LAYOUT_APP_VECTORS(LAYOUT_SLOT_B);
    uint8_t v[8];

    (void)state;
    assert_int_equal(image_check_vectors(hdr(), img + IMAGE_HEADER_SIZE), 0);
    put_vectors(v, top, vt + 8193u - 2u); /* last payload halfword */
    assert_int_equal(image_check_vectors(hdr(), v), 0);
    put_vectors(v, LAYOUT_APP_RAM_ADDR + 4u, vt + 1u);
    assert_int_equal(image_check_vectors(hdr(), v), 0);
    put_vectors(v, top + 4u, vt + 9u);
    assert_int_equal(image_check_vectors(hdr(), v), FOTA_ERANGE);
    put_vectors(v, LAYOUT_APP_RAM_ADDR, vt + 9u);
    assert_int_equal(image_check_vectors(hdr(), v), FOTA_ERANGE);
    put_vectors(v, top - 2u, vt + 9u);
    assert_int_equal(image_check_vectors(hdr(), v), FOTA_ERANGE);
    put_vectors(v, top, vt + 8u);
    assert_int_equal(image_check_vectors(hdr(), v), FOTA_ERANGE);      /* ARM state */
    put_vectors(v, top, vt + 8192u + 1u);
    assert_int_equal(image_check_vectors(hdr(), v), FOTA_ERANGE);      /* past the payload */
    put_vectors(v, top, vt - 1u);
    assert_int_equal(image_check_vectors(hdr(), v), FOTA_ERANGE);      /* in the header */
    put_vectors(v, top, 0xFFFFFFFFu);
    assert_int_equal(image_check_vectors(hdr(), v), FOTA_ERANGE);      /* erased flash */
    hdr()->ih_size = 7;
    assert_int_equal(image_check_vectors(hdr(), img + IMAGE_HEADER_SIZE), FOTA_ESIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_image_header_crc_covers_all_but_last_word, setup),
        cmocka_unit_test_setup(test_image_check_header_valid, setup),
        cmocka_unit_test_setup(test_image_check_header_errors, setup),
        cmocka_unit_test_setup(test_image_verify_good, setup),
        cmocka_unit_test_setup(test_image_verify_erased_slot, setup),
        cmocka_unit_test_setup(test_image_verify_payload_bit_flip, setup),
        cmocka_unit_test_setup(test_image_verify_bad_sha, setup),
        cmocka_unit_test_setup(test_image_verify_truncated, setup),
        cmocka_unit_test_setup(test_image_verify_truncated_tlv_area, setup),
        cmocka_unit_test_setup(test_image_verify_unsigned, setup),
        cmocka_unit_test_setup(test_image_verify_tlv_bit_flips, setup),
        cmocka_unit_test_setup(test_image_verify_wrong_key_and_counter, setup),
        cmocka_unit_test_setup(test_image_verify_max_size_fits_slot, setup),
        cmocka_unit_test_setup(test_image_check_vectors_bounds, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
