/**
 * @file cut_at-test.c
 * @brief Power cuts at a console line or a device time (cut_at.h): when
 * each fires, that only one cut fires, and the never-fired messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scenario/cut_at.h"

static void make_faults(struct hil_fault f[3])
{
    memset(f, 0, 3 * sizeof(*f));
    f[0].kind = HIL_FAULT_POWER_CUT;
    f[0].at = HIL_AT_CONSOLE;
    f[0].line = 10;
    f[0].at_console = "^APP: confirm";
    assert_int_equal(regcomp(&f[0].at_re, f[0].at_console, REG_EXTENDED | REG_NOSUB), 0);
    f[0].at_re_ok = true;
    f[1].kind = HIL_FAULT_POWER_CUT;
    f[1].at = HIL_AT_MS;
    f[1].at_ms = 1300;
    f[1].line = 11;
    f[2].kind = HIL_FAULT_POWER_CUT; /* at an op: not cut_at's */
    f[2].on = HIL_OP_PROGRAM;
    f[2].n = 1;
    f[2].line = 12;
}

static void test_hil_cut_at_line_fires_on_match(void **state)
{
    (void)state;
    struct hil_fault f[3];
    make_faults(f);
    struct hil_cut_at c;
    hil_cut_at_arm(&c, f, 3, 5000);
    assert_int_equal(hil_cut_at_line(&c, "APP: demo v2.0.0 slot B (trial)"), -1);
    assert_int_equal(hil_cut_at_line(&c, "APP: confirmed"), 0);
    assert_true(c.cut);
    assert_int_equal(c.cut_fault, 0);
    /* the power is off: nothing else fires */
    assert_int_equal(hil_cut_at_line(&c, "APP: confirmed"), -1);
    assert_int_equal(hil_cut_at_time(&c, 9000), -1);
    char why[256];
    assert_false(hil_cut_at_unfired(&c, 0, 5100, why, sizeof(why)));
    assert_true(hil_cut_at_unfired(&c, 1, 5100, why, sizeof(why)));
    assert_string_equal(why, "fault at line 11 (power_cut at_ms 1300) never fired: the fault at line 10 cut the "
                        "power first, at 0 ms of device time");
    assert_false(hil_cut_at_unfired(&c, 2, 5100, why, sizeof(why)));
    regfree(&f[0].at_re);
}

static void test_hil_cut_at_time_counts_from_the_step(void **state)
{
    (void)state;
    struct hil_fault f[3];
    make_faults(f);
    struct hil_cut_at c;
    hil_cut_at_arm(&c, f, 3, 5000);
    assert_true(hil_cut_at_timed(&c));
    assert_int_equal(hil_cut_at_ms_left(&c, 5000), 1300);
    assert_int_equal(hil_cut_at_ms_left(&c, 6000), 300);
    assert_int_equal(hil_cut_at_time(&c, 6299), -1);
    assert_int_equal(hil_cut_at_time(&c, 6300), 1);
    assert_int_equal(hil_cut_at_ms_left(&c, 6300), UINT32_MAX);
    assert_false(hil_cut_at_timed(&c)); /* it fired: the power is off */
    char why[256];
    assert_true(hil_cut_at_unfired(&c, 0, 6300, why, sizeof(why)));
    assert_string_equal(why, "fault at line 10 (power_cut at_console /^APP: confirm/) never fired: none of the 0 "
                        "console lines of the step matched");
    regfree(&f[0].at_re);
}

static void test_hil_cut_at_unfired_says_when_the_step_ended(void **state)
{
    (void)state;
    struct hil_fault f[3];
    make_faults(f);
    struct hil_cut_at c;
    hil_cut_at_arm(&c, f, 3, 100);
    assert_int_equal(hil_cut_at_line(&c, "BL: boot"), -1);
    assert_int_equal(hil_cut_at_line(&c, "BL: meta"), -1);
    hil_cut_at_disarm(&c);
    assert_int_equal(hil_cut_at_time(&c, 99999), -1); /* disarmed */
    assert_int_equal(hil_cut_at_line(&c, "APP: confirmed"), -1);
    char why[256];
    assert_true(hil_cut_at_unfired(&c, 1, 1100, why, sizeof(why)));
    assert_string_equal(why, "fault at line 11 (power_cut at_ms 1300) never fired: the step ended at 1000 ms of "
                        "device time");
    assert_true(hil_cut_at_unfired(&c, 0, 1100, why, sizeof(why)));
    assert_non_null(strstr(why, "none of the 2 console lines"));
    regfree(&f[0].at_re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_cut_at_line_fires_on_match),
        cmocka_unit_test(test_hil_cut_at_time_counts_from_the_step),
        cmocka_unit_test(test_hil_cut_at_unfired_says_when_the_step_ended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
