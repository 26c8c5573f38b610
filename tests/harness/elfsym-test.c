/**
 * @file elfsym-test.c
 * @brief Unit tests of the ELF symbol reader (harness/target/elfsym.c) against
 * the QEMU test fixture's ELF (tests/harness/fixtures/fixture.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fota/errors.h"
#include "target/elfsym.h"

#ifndef HIL_FIXTURE_ELF
#define HIL_FIXTURE_ELF "build/fw/tests/harness/fixture.elf"
#endif

static void test_hil_elfsym_lookup_thumb_bit(void **state)
{
    (void)state;
    struct hil_elfsym *s = NULL;
    char err[256] = "";
    assert_int_equal(hil_elfsym_open(HIL_FIXTURE_ELF, &s, err, sizeof(err)), 0);
    uint32_t v = 0;
    uint32_t a = 0;
    assert_int_equal(hil_elfsym_lookup(s, "port_jump", &v), 0);
    assert_int_equal(hil_elfsym_lookup_addr(s, "port_jump", &a), 0);
    assert_int_equal(v & 1u, 1u);         /* Thumb function: bit 0 set, for calls */
    assert_int_equal(a, v & ~1u);          /* breakpoint address */
    assert_true(a >= 0x08000000u && a < 0x08008000u);
    assert_int_equal(hil_elfsym_lookup_addr(s, "Reset_Handler", &a), 0);
    assert_int_equal(hil_elfsym_lookup(s, "no_such_symbol", &v), FOTA_ENOENT);
    assert_int_equal(hil_elfsym_lookup_addr(s, "no_such_symbol", &v), FOTA_ENOENT);
    assert_int_equal(hil_elfsym_lookup(s, NULL, &v), FOTA_EINVAL);
    hil_elfsym_close(s);
}

static void test_hil_elfsym_open_errors(void **state)
{
    (void)state;
    struct hil_elfsym *s = NULL;
    char err[256] = "";
    assert_int_equal(hil_elfsym_open("/nonexistent/boot.elf", &s, err, sizeof(err)), FOTA_ENOENT);
    assert_non_null(strstr(err, "No such file"));
    assert_null(s);
    assert_int_equal(hil_elfsym_open("Makefile", &s, err, sizeof(err)), FOTA_EIO);
    assert_non_null(strstr(err, "not an ELF"));
    assert_int_equal(hil_elfsym_open("/", &s, err, sizeof(err)), FOTA_EIO);
    assert_int_equal(hil_elfsym_open(NULL, &s, NULL, 0), FOTA_EINVAL);
    hil_elfsym_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_elfsym_lookup_thumb_bit),
        cmocka_unit_test(test_hil_elfsym_open_errors),
    };
    return cmocka_run_group_tests_name("elfsym", tests, NULL, NULL);
}
