/**
 * @file fotactl_log-test.c
 * @brief fotactl's stats line: the resume offset and FRESH flag, and the
 * `resumed_at` check (issue 16).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "scenario/fotactl_log.h"

static const char resumed[] =
    "update: ok: slot B v2.0.0\n"
    "stats: frames 6, retransmits 0, nacks 0, timeouts 0, bad 0, stray 0, bytes sent 1700, received 90, "
    "data 1713, resume 2048\n";
static const char fresh[] =
    "stats: frames 8, retransmits 0, nacks 0, timeouts 0, bad 0, stray 0, bytes sent 1, received 1, "
    "data 3761, resume 0 (fresh), restarts 1\n";

static void test_hil_fotactl_resume_reads_offset_and_fresh(void **state)
{
    (void)state;
    uint32_t off = 7;
    bool f = true;
    assert_int_equal(hil_fotactl_resume(resumed, &off, &f), 0);
    assert_int_equal(off, 2048);
    assert_false(f);
    assert_int_equal(hil_fotactl_resume(fresh, &off, &f), 0);
    assert_int_equal(off, 0);
    assert_true(f);
    assert_int_equal(hil_fotactl_resume("update: failed\n", &off, &f), FOTA_ENOENT);
    assert_int_equal(hil_fotactl_resume("xstats: resume 5\n", &off, &f), FOTA_ENOENT);
}

static void test_hil_fotactl_check_resumed_at_wants_that_offset_not_fresh(void **state)
{
    (void)state;
    char msg[256];
    assert_int_equal(hil_fotactl_check_resumed_at(resumed, 2048, msg, sizeof(msg)), 0);
    /* One chunk late: the device offered 3072, the host's prefix check failed, it restarted. */
    assert_int_equal(hil_fotactl_check_resumed_at(fresh, 2048, msg, sizeof(msg)), FOTA_EPROTO);
    assert_non_null(strstr(msg, "restarted (BEGIN FRESH) at 0"));
    assert_int_equal(hil_fotactl_check_resumed_at(resumed, 3072, msg, sizeof(msg)), FOTA_EPROTO);
    assert_non_null(strstr(msg, "expected the host to resume at 3072, it resumed at 2048"));
    assert_int_equal(hil_fotactl_check_resumed_at("", 0, msg, sizeof(msg)), FOTA_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_fotactl_resume_reads_offset_and_fresh),
        cmocka_unit_test(test_hil_fotactl_check_resumed_at_wants_that_offset_not_fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
