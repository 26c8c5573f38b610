/**
 * @file report-test.c
 * @brief Unit tests of the report's inputs (harness/cli/report.c: JUnit read
 * back, final slot states, bricked) and of replay's answer comparison
 * (harness/cli/replay.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* JUnit text of three results as hil_results_write_junit writes it (malloc'ed). */
static char *junit_of(const struct hil_result *a, const struct hil_result *b, const struct hil_result *c)
{
    struct hil_results rs = { 0 };
    hil_results_add(&rs, a);
    hil_results_add(&rs, b);
    hil_results_add(&rs, c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(hil_results_write_junit(&rs, f), 0);
    fclose(f);
    hil_results_free(&rs);
    return buf;
}

static void test_hil_report_parse_junit_round_trip(void **state)
{
    (void)state;
    struct hil_result a = { .id = "power.cut.first", .file = "scenarios/p.yaml", .status = HIL_PASS, .seconds = 1.5 };
    struct hil_result b = { .id = "link.drop.data", .file = "scenarios/l.yaml", .status = HIL_FAIL, .seconds = 2.25,
                            .message = "step 3 update: expected ok, got <fail> & \"more\"\nsecond line" };
    struct hil_result c = { .id = "x.skipped", .status = HIL_SKIP, .message = "not for platform qemu" };
    char *buf = junit_of(&a, &b, &c);
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
    bool bricked = false;
    char why[160] = "";
    assert_int_equal(hil_report_bricked(path, &bricked, why, sizeof(why)), 0);
    assert_true(bricked);
    assert_string_equal(why, "no valid metadata record");
    unlink(path);
    assert_int_equal(hil_report_slots(path, slots, &active), FOTA_EIO);
    assert_int_equal(hil_report_bricked(path, &bricked, why, sizeof(why)), FOTA_EIO);
}

/* Cases as `fota-hil run` writes them: a sweep of two cases (one bricked
 * although it passed), and a plain scenario that failed. */
static char *sample_junit(void)
{
    struct hil_result a = { .id = "sweep.cut@cut:DATA:1", .file = "scenarios/s.yaml", .status = HIL_PASS,
                            .props = "flash_sha256=00\nbricked=1\nbrick_reason=no active slot\nmode=slow\n" };
    struct hil_result b = { .id = "sweep.cut@cut:DATA:2", .file = "scenarios/s.yaml", .status = HIL_FAIL,
                            .message = "step 2: expected 2.0.0", .props = "flash_sha256=00\nbricked=0\n" };
    struct hil_result c = { .id = "power.cut.first", .file = "scenarios/p.yaml", .status = HIL_FAIL,
                            .message = "step 3: expected 1.0.0", .props = "flash_sha256=00\nbricked=1\n" };
    return junit_of(&a, &b, &c);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) {
        n++;
    }
    return n;
}

static void test_hil_report_parse_junit_reads_bricked(void **state)
{
    (void)state;
    char *junit = sample_junit();
    struct hil_report_cases cs;
    assert_int_equal(hil_report_parse_junit(junit, "junit.xml", &cs), 0);
    assert_int_equal(cs.count, 3);
    assert_int_equal(cs.items[0].bricked, 1);
    assert_string_equal(cs.items[0].brick_reason, "no active slot");
    assert_int_equal(cs.items[1].bricked, 0);
    assert_null(cs.items[1].brick_reason);
    hil_report_cases_free(&cs);
    free(junit);
}

static void test_hil_report_reproduce_sweep_case_uses_case(void **state)
{
    (void)state;
    struct hil_report_case sw = { .id = "sweep.cut@cut:DATA:1", .file = "scenarios/s.yaml" };
    struct hil_report_case sc = { .id = "power.cut.first", .file = "scenarios/p.yaml" };
    struct hil_report_case q = { .id = "odd'id" };
    char *cmd = hil_report_reproduce(&sw);
    assert_string_equal(cmd, "build/host/fota-hil run --pcap all --case 'sweep.cut@cut:DATA:1' 'scenarios/s.yaml'");
    free(cmd);
    cmd = hil_report_reproduce(&sc);
    assert_string_equal(cmd, "build/host/fota-hil run --pcap all --filter 'power.cut.first' 'scenarios/p.yaml'");
    free(cmd);
    cmd = hil_report_reproduce(&q);
    assert_string_equal(cmd, "build/host/fota-hil run --pcap all --filter 'odd'\\''id' scenarios/");
    free(cmd);
}

/* The page: the table and the failure section give the same command; only
 * the sweep is in the brick-rate table, with the runner's `bricked`. */
static void test_hil_report_write_sweep_table_and_reproduce(void **state)
{
    (void)state;
    char *junit = sample_junit();
    struct hil_report_cases cs;
    assert_int_equal(hil_report_parse_junit(junit, "junit.xml", &cs), 0);
    char *page = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    assert_int_equal(hil_report_write(f, &cs, "/nonexistent/results", "/nonexistent/work"), 0);
    fclose(f);
    const char *sweep_cmd = "--case &#39;sweep.cut@cut:DATA:2&#39;";
    assert_int_equal(count(page, sweep_cmd), 2); /* its table row and its failure section */
    assert_int_equal(count(page, "--filter &#39;sweep.cut@"), 0);
    assert_int_equal(count(page, "--filter &#39;power.cut.first&#39;"), 2);
    assert_int_equal(count(page, "<tr class=\"sweep\">"), 1);
    assert_int_equal(count(page, "<tr class=\"sweep\"><td>sweep.cut</td><td>2</td><td>1</td><td>1</td>"
                                 "<td>50.0 %</td></tr>"), 1);
    assert_int_equal(count(page, "<td>power.cut</td>"), 0);
    assert_int_equal(count(page, "<b>Bricked:</b>"), 1); /* power.cut.first; sweep case 2 is not */
    hil_report_cases_free(&cs);
    free(page);
    free(junit);
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
        cmocka_unit_test(test_hil_report_parse_junit_reads_bricked),
        cmocka_unit_test(test_hil_report_reproduce_sweep_case_uses_case),
        cmocka_unit_test(test_hil_report_write_sweep_table_and_reproduce),
        cmocka_unit_test(test_hil_replay_compare_same_and_differences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
