/**
 * @file report-test.c
 * @brief Unit tests of the report's inputs (harness/cli/report.c: JUnit read
 * back, final slot states, bricked) and of replay's answer comparison
 * (harness/cli/replay.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "fota/proto.h"
#include "cli/replay.h"
#include "cli/report.h"
#include "scenario/results.h"

static void test_hil_report_parse_junit_round_trip(void **state)
{
    (void)state;
    struct hil_results rs = { 0 };
    struct hil_result a = { .id = "power.cut.first", .file = "scenarios/p.yaml", .status = HIL_PASS, .seconds = 1.5 };
    struct hil_result b = { .id = "link.drop.data", .file = "scenarios/l.yaml", .status = HIL_FAIL, .seconds = 2.25,
                            .message = "step 3 update: expected ok, got <fail> & \"more\"\nsecond line" };
    struct hil_result c = { .id = "x.skipped", .status = HIL_SKIP, .message = "not for platform qemu" };
    hil_results_add(&rs, &a);
    hil_results_add(&rs, &b);
    hil_results_add(&rs, &c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(hil_results_write_junit(&rs, f), 0);
    fclose(f);
    struct hil_report_cases cs;
    assert_int_equal(hil_report_parse_junit(buf, "junit.xml", &cs), 0);
    assert_int_equal(cs.count, 3);
    assert_string_equal(cs.items[0].id, "power.cut.first");
    assert_int_equal(cs.items[0].status, HIL_PASS);
    assert_string_equal(cs.items[0].file, "scenarios/p.yaml");
    assert_string_equal(cs.items[1].id, "link.drop.data");
    assert_int_equal(cs.items[1].status, HIL_FAIL);
    assert_string_equal(cs.items[1].message, b.message);
    assert_true(cs.items[1].seconds > 2.2 && cs.items[1].seconds < 2.3);
    assert_int_equal(cs.items[2].status, HIL_SKIP);
    hil_report_cases_free(&cs);
    free(buf);
    hil_results_free(&rs);
}

static void test_hil_report_parse_junit_not_junit(void **state)
{
    (void)state;
    struct hil_report_cases cs;
    assert_int_equal(hil_report_parse_junit("<html></html>", "x.xml", &cs), FOTA_EINVAL);
    assert_int_equal(hil_report_parse_junit("<testsuite>\n<testcase name=\"a\">\n</testcase>", "x.xml", &cs),
                     FOTA_EINVAL);
}

static void test_hil_report_slots_erased_is_bricked(void **state)
{
    (void)state;
    char path[] = "/tmp/report-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static uint8_t mem[1024 * 1024];
    memset(mem, 0xFF, sizeof(mem));
    assert_int_equal(write(fd, mem, sizeof(mem)), (ssize_t)sizeof(mem));
    close(fd);
    struct hil_report_slot slots[2];
    int active = 5;
    assert_int_equal(hil_report_slots(path, slots, &active), 0);
    assert_int_equal(active, -1);
    assert_false(slots[0].has_header);
    assert_int_equal(slots[0].state, -1);
    assert_true(hil_report_bricked(slots));
    unlink(path);
    assert_int_equal(hil_report_slots(path, slots, &active), FOTA_EIO);
}

static size_t rsp(uint8_t type, uint8_t seq, uint8_t status, uint32_t next, uint8_t *out)
{
    uint8_t pl[5] = { status };
    proto_put_u32(pl + 1, next);
    size_t n = 0;
    assert_int_equal(proto_encode(type, seq, pl, 5, out, PROTO_MAX_FRAME, &n), 0);
    return n;
}

static void test_hil_replay_compare_same_and_differences(void **state)
{
    (void)state;
    uint8_t a[64], b[64];
    char why[256];
    size_t na = rsp(PROTO_T_DATA | PROTO_T_RSP, 5, 0, 1024, a);
    size_t nb = rsp(PROTO_T_DATA | PROTO_T_RSP, 5, 0, 1024, b);
    assert_int_equal(hil_replay_compare(a, na, b, nb, why, sizeof(why)), 0);
    assert_int_equal(hil_replay_compare(NULL, 0, NULL, 0, why, sizeof(why)), 0);
    nb = rsp(PROTO_T_DATA | PROTO_T_RSP, 5, FOTA_EBUSY, 1024, b);
    assert_int_equal(hil_replay_compare(a, na, b, nb, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "status differs"));
    nb = rsp(PROTO_T_DATA | PROTO_T_RSP, 5, 0, 2048, b);
    assert_int_equal(hil_replay_compare(a, na, b, nb, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "payload differs"));
    assert_non_null(strstr(why, "next=2048"));
    nb = rsp(PROTO_T_NACK, 5, FOTA_ECRC, 0, b);
    assert_int_equal(hil_replay_compare(a, na, b, nb, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "type differs"));
    assert_int_equal(hil_replay_compare(a, na, NULL, 0, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "replay: no answer"));
    memcpy(b, a, na);
    b[na - 1] ^= 1u;
    assert_int_equal(hil_replay_compare(a, na, b, na, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "CRC"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_report_parse_junit_round_trip),
        cmocka_unit_test(test_hil_report_parse_junit_not_junit),
        cmocka_unit_test(test_hil_report_slots_erased_is_bricked),
        cmocka_unit_test(test_hil_replay_compare_same_and_differences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
