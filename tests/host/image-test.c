/*
 * Image packing, inspection, version/slot/digest parsing and file I/O
 * (host/lib/image.c, host/lib/file.c).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/proto.h"
#include "fota/sha256.h"
#include "fotahost/image.h"

#define APP_LEN 3000u

static void app_bin(uint8_t *bin, size_t len, uint32_t slot)
{
    size_t i;

    for (i = 0; i < len; i++) {
        bin[i] = (uint8_t)(i * 7u + 3u);
    }
    proto_put_u32(bin, 0x20020000u);
    proto_put_u32(bin + 4, LAYOUT_APP_VECTORS(slot) + 0x1C1u);
}

/* ---- version / slot / digest parsing ---- */

static void test_fh_version_parse_valid(void **state)
{
    uint32_t v = 0;

    (void)state;
    assert_int_equal(fh_version_parse("1.0.0", &v, NULL), 0);
    assert_int_equal(v, IMAGE_VERSION(1, 0, 0));
    assert_int_equal(fh_version_parse("0.0.0", &v, NULL), 0);
    assert_int_equal(v, 0);
    assert_int_equal(fh_version_parse("65535.255.255", &v, NULL), 0);
    assert_int_equal(v, IMAGE_VERSION(65535, 255, 255));
    assert_int_equal(fh_version_parse("2.10.3", &v, NULL), 0);
    assert_int_equal(v, 0x00020A03u);
}

static void test_fh_version_parse_malformed(void **state)
{
    static const char *const bad[] = {
        "", "1", "1.2", "1.2.3.4", "1..3", ".1.2", "1.2.", "a.b.c", "1.2.3x", " 1.2.3", "1.2.3 ",
        "-1.2.3", "+1.2.3", "1.-2.3", "v1.2.3", "1,2,3",
    };
    struct fh_msg m;
    uint32_t v = 0xDEADBEEFu;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m.text[0] = '\0';
        assert_int_equal(fh_version_parse(bad[i], &v, &m), FOTA_EINVAL);
        assert_non_null(strstr(m.text, "expected MAJOR.MINOR.PATCH"));
    }
    assert_int_equal(v, 0xDEADBEEFu); /* untouched on error */
    assert_int_equal(fh_version_parse(NULL, &v, &m), FOTA_EINVAL);
    assert_int_equal(fh_version_parse("1.0.0", NULL, NULL), FOTA_EINVAL);
}

static void test_fh_version_parse_out_of_range(void **state)
{
    struct fh_msg m;
    uint32_t v;

    (void)state;
    assert_int_equal(fh_version_parse("65536.0.0", &v, &m), FOTA_EINVAL);
    assert_string_equal(m.text, "version '65536.0.0': major 65536 is out of range 0..65535");
    assert_int_equal(fh_version_parse("1.256.0", &v, &m), FOTA_EINVAL);
    assert_string_equal(m.text, "version '1.256.0': minor 256 is out of range 0..255");
    assert_int_equal(fh_version_parse("1.0.300", &v, &m), FOTA_EINVAL);
    assert_string_equal(m.text, "version '1.0.300': patch 300 is out of range 0..255");
    assert_int_equal(fh_version_parse("1.0.999999", &v, &m), FOTA_EINVAL);
    assert_non_null(strstr(m.text, "too many digits"));
}

static void test_fh_version_format_roundtrip(void **state)
{
    char buf[16];
    uint32_t v;

    (void)state;
    fh_version_format(IMAGE_VERSION(3, 2, 1), buf, sizeof(buf));
    assert_string_equal(buf, "3.2.1");
    assert_int_equal(fh_version_parse(buf, &v, NULL), 0);
    assert_int_equal(v, IMAGE_VERSION(3, 2, 1));
    fh_version_format(IMAGE_VERSION(65535, 255, 255), buf, 4);
    assert_string_equal(buf, "655"); /* truncated, still terminated */
}

static void test_fh_slot_parse_names(void **state)
{
    struct fh_msg m;
    uint32_t s = 9;

    (void)state;
    assert_int_equal(fh_slot_parse("A", &s, NULL), 0);
    assert_int_equal(s, LAYOUT_SLOT_A);
    assert_int_equal(fh_slot_parse("b", &s, NULL), 0);
    assert_int_equal(s, LAYOUT_SLOT_B);
    assert_int_equal(fh_slot_parse("C", &s, &m), FOTA_EINVAL);
    assert_string_equal(m.text, "slot 'C': expected A or B");
    assert_int_equal(fh_slot_parse("AB", &s, NULL), FOTA_EINVAL);
    assert_int_equal(fh_slot_parse("", &s, NULL), FOTA_EINVAL);
    assert_int_equal(fh_slot_parse(NULL, &s, NULL), FOTA_EINVAL);
}

static void test_fh_sha256_parse_hex(void **state)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    struct fh_msg m;
    char hex[65];
    size_t i;

    (void)state;
    for (i = 0; i < 32; i++) {
        sprintf(hex + 2 * i, "%02X", (unsigned)(i * 8u + 1u));
    }
    assert_int_equal(fh_sha256_parse(hex, d, NULL), 0);
    for (i = 0; i < 32; i++) {
        assert_int_equal(d[i], (uint8_t)(i * 8u + 1u));
    }
    assert_int_equal(fh_sha256_parse("abcd", d, &m), FOTA_EINVAL);
    assert_non_null(strstr(m.text, "expected 64 hex digits, got 4"));
    hex[10] = 'g';
    assert_int_equal(fh_sha256_parse(hex, d, &m), FOTA_EINVAL);
    assert_non_null(strstr(m.text, "'g' at position 11"));
}

/* ---- application binary checks ---- */

static void test_fh_app_check_good(void **state)
{
    uint8_t bin[64];

    (void)state;
    app_bin(bin, sizeof(bin), LAYOUT_SLOT_A);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_A, NULL), 0);
    app_bin(bin, sizeof(bin), LAYOUT_SLOT_B);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_B, NULL), 0);
    /* Edges: SP at the top of SRAM, reset at the first and last slot byte. */
    proto_put_u32(bin + 4, LAYOUT_SLOT_B_ADDR + IMAGE_HEADER_SIZE + 1u);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_B, NULL), 0);
    proto_put_u32(bin + 4, LAYOUT_SLOT_B_ADDR + LAYOUT_SLOT_SIZE - 2u + 1u);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_B, NULL), 0);
    proto_put_u32(bin, LAYOUT_RAM_BASE + 4u);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_B, NULL), 0);
}

static void test_fh_app_check_reset_vector_in_other_slot(void **state)
{
    uint8_t bin[64];
    struct fh_msg m;

    (void)state;
    app_bin(bin, sizeof(bin), LAYOUT_SLOT_A);
    proto_put_u32(bin + 4, 0x08001235u);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_B, &m), FOTA_ESLOT);
    assert_string_equal(m.text, "reset vector 0x08001235 is outside slot B (0x08080200..0x080DFFFF)");
    app_bin(bin, sizeof(bin), LAYOUT_SLOT_A);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_B, &m), FOTA_ESLOT);
    /* Inside the slot but in the header area. */
    proto_put_u32(bin + 4, LAYOUT_SLOT_A_ADDR + 0x101u);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_A, &m), FOTA_ESLOT);
    assert_string_equal(m.text, "reset vector 0x08020101 is outside slot A (0x08020200..0x0807FFFF)");
    /* One past the end. */
    proto_put_u32(bin + 4, LAYOUT_SLOT_A_ADDR + LAYOUT_SLOT_SIZE + 1u);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_A, &m), FOTA_ESLOT);
}

static void test_fh_app_check_no_thumb_bit(void **state)
{
    uint8_t bin[64];
    struct fh_msg m;

    (void)state;
    app_bin(bin, sizeof(bin), LAYOUT_SLOT_A);
    proto_put_u32(bin + 4, LAYOUT_APP_VECTORS(LAYOUT_SLOT_A) + 0x100u);
    assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_A, &m), FOTA_EINVAL);
    assert_string_equal(m.text, "reset vector 0x08020300 lacks the Thumb bit (bit 0)");
}

static void test_fh_app_check_bad_stack_pointer(void **state)
{
    static const uint32_t bad_sp[] = { 0x20000000u, 0x20020004u, 0x08020000u, 0x20001002u, 0xFFFFFFFFu, 0u };
    uint8_t bin[64];
    struct fh_msg m;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad_sp) / sizeof(bad_sp[0]); i++) {
        app_bin(bin, sizeof(bin), LAYOUT_SLOT_A);
        proto_put_u32(bin, bad_sp[i]);
        assert_int_equal(fh_app_check(bin, sizeof(bin), LAYOUT_SLOT_A, &m), FOTA_EINVAL);
        assert_non_null(strstr(m.text, "initial SP"));
    }
}

static void test_fh_app_check_sizes(void **state)
{
    uint8_t *big = calloc(1, IMAGE_MAX_PAYLOAD + 1u);
    struct fh_msg m;

    (void)state;
    assert_non_null(big);
    app_bin(big, 8, LAYOUT_SLOT_A);
    assert_int_equal(fh_app_check(big, 8, LAYOUT_SLOT_A, NULL), 0);
    assert_int_equal(fh_app_check(big, 7, LAYOUT_SLOT_A, &m), FOTA_ESIZE);
    assert_non_null(strstr(m.text, "too small"));
    assert_int_equal(fh_app_check(big, 0, LAYOUT_SLOT_A, &m), FOTA_ESIZE);
    assert_int_equal(fh_app_check(big, IMAGE_MAX_PAYLOAD, LAYOUT_SLOT_A, NULL), 0);
    assert_int_equal(fh_app_check(big, IMAGE_MAX_PAYLOAD + 1u, LAYOUT_SLOT_A, &m), FOTA_ESIZE);
    assert_non_null(strstr(m.text, "does not fit a slot"));
    assert_int_equal(fh_app_check(big, 64, 2, NULL), FOTA_EINVAL);
    assert_int_equal(fh_app_check(NULL, 64, LAYOUT_SLOT_A, NULL), FOTA_EINVAL);
    free(big);
}

/* ---- packing ---- */

static void pack(uint8_t *img, const uint8_t *bin, uint32_t slot, const uint8_t *force)
{
    struct fh_pack_opts po = { slot, IMAGE_VERSION(2, 1, 3), force, 0 };
    size_t n = 0;

    assert_int_equal(fh_image_pack(bin, APP_LEN, &po, img, IMAGE_HEADER_SIZE + APP_LEN, &n, NULL), 0);
    assert_int_equal(n, IMAGE_HEADER_SIZE + APP_LEN);
}

static void test_fh_image_pack_fields(void **state)
{
    uint8_t bin[APP_LEN], img[IMAGE_HEADER_SIZE + APP_LEN];
    uint8_t sha[SHA256_DIGEST_SIZE];
    size_t i;

    (void)state;
    app_bin(bin, sizeof(bin), LAYOUT_SLOT_B);
    pack(img, bin, LAYOUT_SLOT_B, NULL);
    /* Byte offsets from fota/image.h, checked by hand. */
    assert_memory_equal(img, "FOTA", 4);
    assert_int_equal(proto_get_u16(img + 0x04), 0x200);
    assert_int_equal(proto_get_u16(img + 0x06), 2);
    assert_int_equal(proto_get_u32(img + 0x08), 0x00020103u);
    assert_int_equal(proto_get_u32(img + 0x0C), 0x08080000u);
    assert_int_equal(proto_get_u32(img + 0x10), APP_LEN);
    assert_int_equal(proto_get_u32(img + 0x14), 0);
    assert_int_equal(proto_get_u32(img + 0x18), crc32_update(0, bin, APP_LEN));
    sha256(bin, APP_LEN, sha);
    assert_memory_equal(img + 0x1C, sha, 32);
    for (i = 0x3C; i < 0x1FC; i++) {
        assert_int_equal(img[i], 0);
    }
    assert_int_equal(proto_get_u32(img + 0x1FC), crc32_update(0, img, 0x1FC));
    assert_memory_equal(img + IMAGE_HEADER_SIZE, bin, APP_LEN);
}

static void test_fh_image_pack_force_sha256(void **state)
{
    uint8_t bin[APP_LEN], img[IMAGE_HEADER_SIZE + APP_LEN], forced[32];
    struct fh_image_report r;

    (void)state;
    memset(forced, 0xAB, sizeof(forced));
    app_bin(bin, sizeof(bin), LAYOUT_SLOT_B);
    pack(img, bin, LAYOUT_SLOT_B, forced);
    assert_memory_equal(img + 0x1C, forced, 32);
    assert_int_equal(proto_get_u32(img + 0x1FC), crc32_update(0, img, 0x1FC));
    /* The header is fine, only the digest check fails. */
    assert_int_equal(fh_image_inspect(img, sizeof(img), &r, NULL), FOTA_ESHA);
    assert_int_equal(r.rc_hdr_crc, 0);
    assert_int_equal(r.rc_crc, 0);
    assert_int_equal(r.rc_sha, FOTA_ESHA);
}

static void test_fh_image_pack_rejects(void **state)
{
    uint8_t bin[APP_LEN], img[IMAGE_HEADER_SIZE + APP_LEN];
    struct fh_pack_opts po = { LAYOUT_SLOT_A, IMAGE_VERSION(1, 0, 0), NULL, 0 };
    struct fh_msg m;
    size_t n = 0;

    (void)state;
    app_bin(bin, sizeof(bin), LAYOUT_SLOT_B);
    assert_int_equal(fh_image_pack(bin, APP_LEN, &po, img, sizeof(img), &n, &m), FOTA_ESLOT);
    assert_non_null(strstr(m.text, "outside slot A"));
    po.slot = LAYOUT_SLOT_B;
    assert_int_equal(fh_image_pack(bin, APP_LEN, &po, img, sizeof(img) - 1u, &n, &m), FOTA_ESIZE);
    assert_int_equal(fh_image_pack(NULL, APP_LEN, &po, img, sizeof(img), &n, &m), FOTA_EINVAL);
    assert_int_equal(fh_image_pack(bin, APP_LEN, NULL, img, sizeof(img), &n, &m), FOTA_EINVAL);
    assert_int_equal(n, 0);
}

/* ---- inspection: every check ---- */

struct inspect_fx {
    uint8_t bin[APP_LEN];
    uint8_t img[IMAGE_HEADER_SIZE + APP_LEN + 16];
};

static int inspect_setup(void **state)
{
    struct inspect_fx *fx = calloc(1, sizeof(*fx));

    if (fx == NULL) {
        return -1;
    }
    app_bin(fx->bin, APP_LEN, LAYOUT_SLOT_A);
    pack(fx->img, fx->bin, LAYOUT_SLOT_A, NULL);
    *state = fx;
    return 0;
}

static int inspect_teardown(void **state)
{
    free(*state);
    return 0;
}

static void rehdr(uint8_t *img)
{
    proto_put_u32(img + 0x1FC, crc32_update(0, img, 0x1FC));
}

static void test_fh_image_inspect_good(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;
    struct fh_msg m;

    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, &m), 0);
    assert_int_equal(r.slot, LAYOUT_SLOT_A);
    assert_int_equal(r.hdr.ih_version, IMAGE_VERSION(2, 1, 3));
    assert_int_equal(r.hdr.ih_size, APP_LEN);
    assert_int_equal(r.vec_sp, 0x20020000u);
    assert_int_equal(r.rc_vectors, 0);
    assert_string_equal(m.text, "");
}

static void test_fh_image_inspect_short_file(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;
    struct fh_msg m;

    assert_int_equal(fh_image_inspect(fx->img, 100, &r, &m), FOTA_ESIZE);
    assert_int_equal(r.rc_length, FOTA_ESIZE);
    assert_non_null(strstr(m.text, "shorter than the 512-byte image header"));
    assert_int_equal(fh_image_inspect(fx->img, 0, &r, &m), FOTA_ESIZE);
    assert_int_equal(fh_image_inspect(NULL, 0, &r, &m), FOTA_EINVAL);
}

static void test_fh_image_inspect_bad_magic(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;
    struct fh_msg m;

    fx->img[0] = 'X';
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, &m), FOTA_EMAGIC);
    assert_non_null(strstr(m.text, "bad magic"));
    assert_int_equal(r.rc_hdr_crc, 0);
}

static void test_fh_image_inspect_bad_header_format(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;

    proto_put_u16(fx->img + 0x06, 3);
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, NULL), FOTA_EVERSION);
    proto_put_u16(fx->img + 0x06, 2);
    proto_put_u16(fx->img + 0x04, 0x100);
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, NULL), FOTA_EVERSION);
    assert_int_equal(r.rc_hdr_format, FOTA_EVERSION);
}

static void test_fh_image_inspect_bad_header_crc(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;
    struct fh_msg m;

    fx->img[0x08] ^= 1u; /* version changed, header CRC not updated */
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, &m), FOTA_ECRC);
    assert_int_equal(r.rc_hdr_crc, FOTA_ECRC);
    assert_int_equal(r.rc_crc, 0);
    assert_non_null(strstr(m.text, "header CRC-32"));
}

static void test_fh_image_inspect_bad_load_address(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;
    struct fh_msg m;

    proto_put_u32(fx->img + 0x0C, 0x08040000u);
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, &m), FOTA_ESLOT);
    assert_int_equal(r.slot, -1);
    assert_int_equal(r.rc_vectors, FOTA_ESLOT);
    assert_non_null(strstr(m.text, "0x08040000 is not a slot base"));
}

static void test_fh_image_inspect_load_address_other_slot(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;

    /* Header says B, the code was linked for A. */
    proto_put_u32(fx->img + 0x0C, LAYOUT_SLOT_B_ADDR);
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, NULL), FOTA_ESLOT);
    assert_int_equal(r.rc_slot, 0);
    assert_int_equal(r.rc_vectors, FOTA_ESLOT);
}

static void test_fh_image_inspect_truncated_and_trailing(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;
    struct fh_msg m;

    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN - 1u, &r, &m), FOTA_ESIZE);
    assert_non_null(strstr(m.text, "truncated"));
    assert_int_equal(r.rc_crc, FOTA_ECRC);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN + 16u, &r, &m), FOTA_ESIZE);
    assert_non_null(strstr(m.text, "trailing bytes"));
}

static void test_fh_image_inspect_bad_size_field(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;
    struct fh_msg m;

    proto_put_u32(fx->img + 0x10, 0);
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, &m), FOTA_ESIZE);
    assert_non_null(strstr(m.text, "outside 1.."));
    proto_put_u32(fx->img + 0x10, IMAGE_MAX_PAYLOAD + 1u);
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, &m), FOTA_ESIZE);
}

static void test_fh_image_inspect_reserved_not_zero(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;

    fx->img[0x100] = 1;
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, NULL), FOTA_EINVAL);
    assert_int_equal(r.rc_reserved, FOTA_EINVAL);
    fx->img[0x100] = 0;
    proto_put_u32(fx->img + 0x14, 4);
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, NULL), FOTA_EINVAL);
}

static void test_fh_image_inspect_payload_corrupted(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;
    struct fh_msg m;

    fx->img[IMAGE_HEADER_SIZE + 1000u] ^= 0x80u;
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, &m), FOTA_ECRC);
    assert_int_equal(r.rc_crc, FOTA_ECRC);
    assert_int_equal(r.rc_sha, FOTA_ESHA); /* every check runs */
    assert_int_equal(r.rc_hdr_crc, 0);
    assert_non_null(strstr(m.text, "payload CRC-32"));
}

static void test_fh_image_inspect_bad_vectors(void **state)
{
    struct inspect_fx *fx = *state;
    struct fh_image_report r;
    uint8_t *p = fx->img + IMAGE_HEADER_SIZE;

    /* A consistent image (CRC, SHA fixed up) whose payload is no vector table. */
    proto_put_u32(p, 0x12345678u);
    proto_put_u32(fx->img + 0x18, crc32_update(0, p, APP_LEN));
    sha256(p, APP_LEN, fx->img + 0x1C);
    rehdr(fx->img);
    assert_int_equal(fh_image_inspect(fx->img, IMAGE_HEADER_SIZE + APP_LEN, &r, NULL), FOTA_EINVAL);
    assert_int_equal(r.rc_crc, 0);
    assert_int_equal(r.rc_sha, 0);
    assert_int_equal(r.rc_vectors, FOTA_EINVAL);
}

/* ---- files ---- */

static void test_fh_file_write_read_roundtrip(void **state)
{
    char path[] = "/tmp/fotahost-test-XXXXXX";
    uint8_t data[1000], *back = NULL;
    size_t len = 0;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    memset(data, 0x3C, sizeof(data));
    assert_int_equal(fh_file_write(path, data, sizeof(data), NULL), 0);
    assert_int_equal(fh_file_read(path, 1000, &back, &len, NULL), 0);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(back, data, sizeof(data));
    free(back);
    assert_int_equal(fh_file_read(path, 999, &back, &len, NULL), FOTA_ESIZE);
    assert_null(back);
    assert_int_equal(fh_file_write(path, data, 0, NULL), 0);
    assert_int_equal(fh_file_read(path, 10, &back, &len, NULL), 0);
    assert_int_equal(len, 0);
    free(back);
    unlink(path);
}

/* A symlink planted at the old predictable `path.tmp` is neither followed
 * nor renamed into place; nothing is left behind; the mode is the usual one. */
static void test_fh_file_write_ignores_planted_tmp_symlink(void **state)
{
    char dir[] = "/tmp/fotahost-dir-XXXXXX";
    char victim[64], tmp[64], out[64];
    uint8_t *back = NULL;
    size_t len = 0;
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    snprintf(tmp, sizeof(tmp), "%s/out.img.tmp", dir);
    snprintf(out, sizeof(out), "%s/out.img", dir);
    assert_int_equal(fh_file_write(victim, "keep", 4, NULL), 0);
    assert_int_equal(symlink(victim, tmp), 0);
    assert_int_equal(fh_file_write(out, "new image", 9, NULL), 0);
    assert_int_equal(fh_file_read(victim, 100, &back, &len, NULL), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(back, "keep", 4);
    free(back);
    assert_int_equal(lstat(out, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    mode_t um = umask(0);
    umask(um);
    assert_int_equal(st.st_mode & 0777, 0666 & ~um);
    assert_int_equal(lstat(tmp, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(fh_file_read(out, 100, &back, &len, NULL), 0);
    assert_int_equal(len, 9);
    free(back);
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        entries += e->d_name[0] != '.';
    }
    closedir(d);
    assert_int_equal(entries, 3); /* victim, the symlink, out.img: no temporary left */
    unlink(victim);
    unlink(tmp);
    unlink(out);
    rmdir(dir);
}

static void test_fh_file_errors(void **state)
{
    struct fh_msg m;
    uint8_t *b = NULL;
    size_t len;

    (void)state;
    assert_int_equal(fh_file_read("/nonexistent/app.bin", 100, &b, &len, &m), FOTA_EIO);
    assert_string_equal(m.text, "/nonexistent/app.bin: No such file or directory");
    assert_int_equal(fh_file_write("/nonexistent/dir/app.img", "x", 1, &m), FOTA_EIO);
    assert_string_equal(m.text, "/nonexistent/dir/app.img: cannot create a temporary file: No such file or directory");
    assert_int_equal(fh_file_read("/", 100, &b, &len, &m), FOTA_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fh_version_parse_valid),
        cmocka_unit_test(test_fh_version_parse_malformed),
        cmocka_unit_test(test_fh_version_parse_out_of_range),
        cmocka_unit_test(test_fh_version_format_roundtrip),
        cmocka_unit_test(test_fh_slot_parse_names),
        cmocka_unit_test(test_fh_sha256_parse_hex),
        cmocka_unit_test(test_fh_app_check_good),
        cmocka_unit_test(test_fh_app_check_reset_vector_in_other_slot),
        cmocka_unit_test(test_fh_app_check_no_thumb_bit),
        cmocka_unit_test(test_fh_app_check_bad_stack_pointer),
        cmocka_unit_test(test_fh_app_check_sizes),
        cmocka_unit_test(test_fh_image_pack_fields),
        cmocka_unit_test(test_fh_image_pack_force_sha256),
        cmocka_unit_test(test_fh_image_pack_rejects),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_good, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_short_file, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_bad_magic, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_bad_header_format, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_bad_header_crc, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_bad_load_address, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_load_address_other_slot, inspect_setup,
                                        inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_truncated_and_trailing, inspect_setup,
                                        inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_bad_size_field, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_reserved_not_zero, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_payload_corrupted, inspect_setup, inspect_teardown),
        cmocka_unit_test_setup_teardown(test_fh_image_inspect_bad_vectors, inspect_setup, inspect_teardown),
        cmocka_unit_test(test_fh_file_write_read_roundtrip),
        cmocka_unit_test(test_fh_file_write_ignores_planted_tmp_symlink),
        cmocka_unit_test(test_fh_file_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
