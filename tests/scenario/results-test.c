/**
 * @file results-test.c
 * @brief Result lines, closing count line, JUnit XML (escaping, counts,
 * classname) and TAP 13 writers, worker wire format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "scenario/results.h"

/* Run @p fn into a memory stream; @return the text (free it). */
static char *capture_results(int (*fn)(const struct hil_results *, FILE *), const struct hil_results *rs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(fn(rs, f), 0);
    fclose(f);
    return buf;
}

static void fill(struct hil_results *rs)
{
    memset(rs, 0, sizeof(*rs));
    struct hil_result a = { .id = "update.clean.a_to_b", .file = "scenarios/a.yaml", .line = 1,
                            .status = HIL_PASS, .seconds = 1.234, .console = "BL: boot slot=A\nAPP: <demo> & \"x\"\n" };
    struct hil_result b = { .id = "power.cut.slot_program", .file = "scenarios/b.yaml", .line = 3,
                            .status = HIL_FAIL, .seconds = 2.5,
                            .message = "step 3 expect_console: expected /APP: demo v2\\.0\\.0/ within 5000 ms; "
                                       "last console lines:\n| BL: <bad> & 'q'\n| \x1b[0m",
                            .console = "bad utf8 \xff\xfe end\n" };
    struct hil_result c = { .id = "board.only.thing", .status = HIL_SKIP, .message = "not for platform qemu" };
    hil_results_add(rs, &a);
    hil_results_add(rs, &b);
    hil_results_add(rs, &c);
}

static void test_summary_line(void **state)
{
    (void)state;
    struct hil_results rs;
    fill(&rs);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hil_results_print_summary(&rs, f);
    fclose(f);
    assert_string_equal(buf, "1 passed, 1 failed, 1 skipped\n");
    free(buf);
    hil_results_free(&rs);
    struct hil_result p = { .id = "a.b", .status = HIL_PASS };
    hil_results_add(&rs, &p);
    f = open_memstream(&buf, &len);
    hil_results_print_summary(&rs, f);
    fclose(f);
    assert_string_equal(buf, "1 passed, 0 failed\n");
    free(buf);
    hil_results_free(&rs);
}

static void test_result_print_lines(void **state)
{
    (void)state;
    struct hil_results rs;
    fill(&rs);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (int i = 0; i < rs.count; i++) {
        hil_result_print(&rs.items[i], f);
    }
    fclose(f);
    assert_non_null(strstr(buf, "PASS update.clean.a_to_b (1.23 s)\n"));
    assert_non_null(strstr(buf, "FAIL power.cut.slot_program: step 3 expect_console: expected"));
    assert_non_null(strstr(buf, "\n    | BL: <bad>")); /* continuation lines indented */
    assert_non_null(strstr(buf, "SKIP board.only.thing: not for platform qemu\n"));
    /* After console lines the time has a line of its own (issue 14 defect 8). */
    assert_non_null(strstr(buf, "\n    | \x1b[0m\n    (2.50 s)\n"));
    free(buf);
    hil_results_free(&rs);
}

/* A case that failed, then passed on a retry: FLAKY, never a plain pass. */
static void test_hil_result_make_flaky(void **state)
{
    (void)state;
    struct hil_results rs = { .show_flaky = true };
    struct hil_result first = { .id = "a.b", .status = HIL_FAIL, .seconds = 3.0, .message = "step 3 update: boom\n| x",
                                .console = "first console\n" };
    hil_results_add(&rs, &first);
    struct hil_result pass = { .id = "a.b", .status = HIL_PASS, .seconds = 1.0, .console = strdup("second\n"),
                               .props = strdup("flash_sha256=ab") };
    hil_result_make_flaky(&rs.items[0], &pass, 2);
    assert_null(pass.console); /* taken over */
    free(pass.props);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hil_results_print_summary(&rs, f);
    hil_result_print(&rs.items[0], f);
    assert_int_equal(hil_results_write_junit(&rs, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "0 passed, 0 failed, 1 flaky\n"));
    assert_non_null(strstr(buf, "FLAKY a.b: passed on attempt 2; first failure: step 3 update: boom"));
    assert_non_null(strstr(buf, "<property name=\"flaky\" value=\"true\"/>"));
    assert_non_null(strstr(buf, "<property name=\"attempts\" value=\"2\"/>"));
    assert_non_null(strstr(buf, "<flakyFailure message=\"passed on attempt 2; first failure: step 3 update: boom\""));
    assert_non_null(strstr(buf, "<system-out>first console"));
    assert_null(strstr(buf, "<failure"));
    free(buf);
    hil_results_free(&rs);
}

static void test_junit_escapes_and_counts(void **state)
{
    (void)state;
    struct hil_results rs;
    fill(&rs);
    char *x = capture_results(hil_results_write_junit, &rs);
    assert_non_null(strstr(x, "<testsuite name=\"fota-hil\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""));
    assert_non_null(strstr(x, "<testcase classname=\"update.clean\" name=\"a_to_b\" time=\"1.234\""));
    assert_non_null(strstr(x, "<testcase classname=\"power.cut\" name=\"slot_program\" time=\"2.500\""));
    assert_non_null(strstr(x, "<failure message=\"step 3 expect_console: expected /APP: demo v2\\.0\\.0/ within 5000 ms; last console lines:\""));
    assert_non_null(strstr(x, "| BL: &lt;bad&gt; &amp; &apos;q&apos;"));
    assert_non_null(strstr(x, "\\x1B[0m"));           /* control characters made visible */
    assert_non_null(strstr(x, "APP: &lt;demo&gt; &amp; &quot;x&quot;"));
    assert_non_null(strstr(x, "bad utf8 &#xFFFD;&#xFFFD; end"));
    assert_non_null(strstr(x, "<skipped message=\"not for platform qemu\"/>"));
    assert_null(strstr(x, "\xff"));
    assert_null(strstr(x, "\x1b"));
    /* Balanced. */
    assert_non_null(strstr(x, "</testsuite>\n</testsuites>\n"));
    free(x);
    hil_results_free(&rs);
}

/* A case id's part after '@' may hold dots (params `from=2.0.0`, bitflip
 * `0x08080a31.5`): the class ends at the last '.' before the '@'. */
static void test_junit_case_id_class_before_at(void **state)
{
    (void)state;
    struct hil_results rs = { 0 };
    struct hil_result a = { .id = "cookbook.update_matrix@link=spi,from=2.0.0", .status = HIL_PASS };
    struct hil_result b = { .id = "sweep.bitflip@bitflip:0x08080a31.5", .status = HIL_PASS };
    hil_results_add(&rs, &a);
    hil_results_add(&rs, &b);
    char *x = capture_results(hil_results_write_junit, &rs);
    assert_non_null(strstr(x, "<testcase classname=\"cookbook\" name=\"update_matrix@link=spi,from=2.0.0\""));
    assert_non_null(strstr(x, "<testcase classname=\"sweep\" name=\"bitflip@bitflip:0x08080a31.5\""));
    free(x);
    hil_results_free(&rs);
}

static void test_xml_escape_keeps_valid_utf8(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hil_xml_escape(f, "caf\xc3\xa9 \xe2\x82\xac <\t>\r\n\x01\xc3");
    fclose(f);
    assert_string_equal(buf, "caf\xc3\xa9 \xe2\x82\xac &lt;\t&gt;\r\n\\x01&#xFFFD;");
    free(buf);
}

static void test_tap_output(void **state)
{
    (void)state;
    struct hil_results rs;
    fill(&rs);
    char *t = capture_results(hil_results_write_tap, &rs);
    assert_int_equal(strncmp(t, "TAP version 13\n1..3\n", 20), 0);
    assert_non_null(strstr(t, "\nok 1 - update.clean.a_to_b\n"));
    assert_non_null(strstr(t, "\nnot ok 2 - power.cut.slot_program\n"));
    assert_non_null(strstr(t, "  message: |\n    step 3 expect_console"));
    assert_non_null(strstr(t, "\n    | BL: <bad> & 'q'\n"));
    assert_non_null(strstr(t, "\nok 3 - board.only.thing # SKIP not for platform qemu\n"));
    assert_non_null(strstr(t, "  file: 'scenarios/b.yaml'\n  line: 3\n"));
    free(t);
    hil_results_free(&rs);
}

static void test_result_wire_roundtrip(void **state)
{
    (void)state;
    struct hil_result r = { .status = HIL_FAIL, .seconds = 3.25, .message = "multi\nline\0ignored" };
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(hil_result_encode(&r, &buf, &len), 0);
    struct hil_result d = { 0 };
    assert_int_equal(hil_result_decode(buf, len, &d), 0);
    assert_int_equal(d.status, HIL_FAIL);
    assert_true(d.seconds > 3.24 && d.seconds < 3.26);
    assert_string_equal(d.message, "multi\nline");
    hil_result_clear(&d);
    /* Truncated (a worker died mid-write): rejected. */
    assert_int_equal(hil_result_decode(buf, len - 1, &d), FOTA_EINVAL);
    assert_int_equal(hil_result_decode(buf, 3, &d), FOTA_EINVAL);
    assert_int_equal(hil_result_decode("", 0, &d), FOTA_EINVAL);
    free(buf);
    struct hil_result p = { .status = HIL_PASS, .seconds = 0.5 };
    assert_int_equal(hil_result_encode(&p, &buf, &len), 0);
    assert_int_equal(hil_result_decode(buf, len, &d), 0);
    assert_int_equal(d.status, HIL_PASS);
    assert_null(d.message);
    free(buf);
}

/* hil_props_has: a whole "key=value" line, or a key with any value. */
static void test_props_has(void **state)
{
    (void)state;
    const char *p = "flash_sha256=ab\nbricked=1\nshare_probe=untouched\nshared_run=x@y";
    assert_true(hil_props_has(p, "bricked=1"));
    assert_false(hil_props_has(p, "bricked=0"));
    assert_false(hil_props_has(p, "bricked=")); /* not the whole line */
    assert_true(hil_props_has(p, "shared_run=x@y")); /* the last line, no newline */
    assert_true(hil_props_has(p, "shared_run"));
    assert_false(hil_props_has(p, "shared"));
    assert_false(hil_props_has(p, "share_probe=untouche"));
    assert_false(hil_props_has(NULL, "bricked"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_line),
        cmocka_unit_test(test_result_print_lines),
        cmocka_unit_test(test_hil_result_make_flaky),
        cmocka_unit_test(test_junit_escapes_and_counts),
        cmocka_unit_test(test_junit_case_id_class_before_at),
        cmocka_unit_test(test_xml_escape_keeps_valid_utf8),
        cmocka_unit_test(test_tap_output),
        cmocka_unit_test(test_result_wire_roundtrip),
        cmocka_unit_test(test_props_has),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
