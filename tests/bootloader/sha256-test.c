/* tests/bootloader/sha256-test.c: SHA-256 with the FIPS 180-4 / NIST
 * example vectors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "fota/sha256.h"

static void hex(const uint8_t d[SHA256_DIGEST_SIZE], char out[65])
{
    unsigned i;

    for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
        snprintf(&out[2u * i], 3, "%02x", d[i]);
    }
}

static void check(const void *data, size_t len, const char *want)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    char h[65];

    sha256(data, len, d);
    hex(d, h);
    assert_string_equal(h, want);
}

static void test_sha256_abc(void **state)
{
    (void)state;
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256_empty(void **state)
{
    (void)state;
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256_448_bits(void **state)
{
    static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    (void)state;
    assert_int_equal(strlen(m), 56);
    check(m, 56, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_update_million_a(void **state)
{
    struct sha256_ctx c;
    uint8_t buf[1000], d[SHA256_DIGEST_SIZE];
    char h[65];
    int i;

    (void)state;
    memset(buf, 'a', sizeof(buf));
    sha256_init(&c);
    for (i = 0; i < 1000; i++) {
        sha256_update(&c, buf, sizeof(buf));
    }
    sha256_final(&c, d);
    hex(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_update_split_equals_oneshot(void **state)
{
    uint8_t buf[300], whole[SHA256_DIGEST_SIZE], part[SHA256_DIGEST_SIZE];
    struct sha256_ctx c;
    size_t i, a, b;

    (void)state;
    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i ^ 0x5Au);
    }
    for (a = 0; a <= sizeof(buf); a += 23u) {
        for (b = a; b <= sizeof(buf); b += 41u) {
            sha256(buf, b, whole);
            sha256_init(&c);
            sha256_update(&c, buf, a);
            sha256_update(&c, buf + a, b - a);
            sha256_final(&c, part);
            assert_memory_equal(whole, part, sizeof(whole));
        }
    }
}

static void test_sha256_padding_boundaries_differ(void **state)
{
    uint8_t buf[130], d1[SHA256_DIGEST_SIZE], d2[SHA256_DIGEST_SIZE];

    (void)state;
    memset(buf, 0, sizeof(buf));
    /* 55, 56, 63, 64 bytes: the one/two-block padding cases */
    sha256(buf, 55, d1);
    sha256(buf, 56, d2);
    assert_memory_not_equal(d1, d2, sizeof(d1));
    sha256(buf, 63, d1);
    sha256(buf, 64, d2);
    assert_memory_not_equal(d1, d2, sizeof(d1));
    /* SHA-256 of 64 zero bytes (known value) */
    {
        char h[65];
        hex(d2, h);
        assert_string_equal(h, "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_abc),
        cmocka_unit_test(test_sha256_empty),
        cmocka_unit_test(test_sha256_448_bits),
        cmocka_unit_test(test_sha256_update_million_a),
        cmocka_unit_test(test_sha256_update_split_equals_oneshot),
        cmocka_unit_test(test_sha256_padding_boundaries_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
