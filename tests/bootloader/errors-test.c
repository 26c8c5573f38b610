/* tests/bootloader/errors-test.c: fota_strerror(). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fota/errors.h"

static void test_fota_strerror_known_codes(void **state)
{
    (void)state;
    assert_string_equal(fota_strerror(FOTA_OK), "OK");
    assert_string_equal(fota_strerror(FOTA_ECRC), "ECRC");
    assert_string_equal(fota_strerror(FOTA_ESHA), "ESHA");
    assert_string_equal(fota_strerror(FOTA_EVERSION), "EVERSION");
    assert_string_equal(fota_strerror(FOTA_ENOTSUP), "ENOTSUP");
}

static void test_fota_strerror_every_code_named(void **state)
{
    int i, j;

    (void)state;
    for (i = 1; i < FOTA_ERR_COUNT; i++) {
        const char *s = fota_strerror(i);
        assert_true(s[0] == 'E' && strlen(s) >= 3u);
        assert_string_not_equal(s, "E?");
        for (j = 0; j < i; j++) {
            assert_string_not_equal(s, fota_strerror(j));
        }
    }
}

static void test_fota_strerror_out_of_range(void **state)
{
    (void)state;
    assert_string_equal(fota_strerror(-1), "E?");
    assert_string_equal(fota_strerror(FOTA_ERR_COUNT), "E?");
    assert_string_equal(fota_strerror(1000), "E?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fota_strerror_known_codes),
        cmocka_unit_test(test_fota_strerror_every_code_named),
        cmocka_unit_test(test_fota_strerror_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
