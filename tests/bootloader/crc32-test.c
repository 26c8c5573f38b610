/* tests/bootloader/crc32-test.c: CRC-32 (IEEE 802.3) against known values
 * and a bitwise reference. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fota/crc32.h"

/* Bitwise reference: the definition, one bit at a time. */
static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) {
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        }
    }
    return ~c;
}

static void test_crc32_update_check_value(void **state)
{
    (void)state;
    assert_int_equal(crc32_update(0, "123456789", 9), 0xCBF43926u);
}

static void test_crc32_update_empty_is_zero(void **state)
{
    (void)state;
    assert_int_equal(crc32_update(0, "", 0), 0u);
    assert_int_equal(crc32_update(0x12345678u, NULL, 0), 0x12345678u);
}

static void test_crc32_update_known_strings(void **state)
{
    (void)state;
    /* zlib.crc32 values */
    assert_int_equal(crc32_update(0, "a", 1), 0xE8B7BE43u);
    assert_int_equal(crc32_update(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}

static void test_crc32_update_chained_equals_whole(void **state)
{
    uint8_t buf[1000];
    uint32_t c;
    size_t i, split;

    (void)state;
    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 7u + 3u);
    }
    for (split = 0; split <= sizeof(buf); split += 37u) {
        c = crc32_update(crc32_update(0, buf, split), buf + split, sizeof(buf) - split);
        assert_int_equal(c, crc32_update(0, buf, sizeof(buf)));
    }
}

static void test_crc32_update_matches_bitwise_reference(void **state)
{
    uint8_t buf[512];
    size_t n, i;
    uint32_t x = 1;

    (void)state;
    for (i = 0; i < sizeof(buf); i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (n = 0; n <= sizeof(buf); n += 13u) {
        assert_int_equal(crc32_update(0, buf, n), ref_crc32(buf, n));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_update_check_value),
        cmocka_unit_test(test_crc32_update_empty_is_zero),
        cmocka_unit_test(test_crc32_update_known_strings),
        cmocka_unit_test(test_crc32_update_chained_equals_whole),
        cmocka_unit_test(test_crc32_update_matches_bitwise_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
