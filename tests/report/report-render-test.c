/**
 * @file report-render-test.c
 * @brief `fota-hil report` end to end (QEMU + headless Chromium): runs the
 * test-only scenarios of tests/report/scenarios/ (one passes, one fails on
 * purpose) with --pcap all and JUnit, writes the report, renders it with
 * `chromium --headless --dump-dom` and asserts on the DOM: one table row
 * per case, the failure's section with an SVG timeline holding frame,
 * flash, fault, power and console marks, its final slot states, the sweep
 * table. A screenshot is left in HIL_REPORT_OUT/report.png for a human.
 * When Chromium is missing or cannot start the rendering test is skipped
 * (reported as skipped, never as passed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#ifndef HIL_FOTA_HIL
#define HIL_FOTA_HIL "build/host/fota-hil"
#endif
#ifndef HIL_REPORT_OUT
#define HIL_REPORT_OUT "build/host/tests/report"
#endif
#define FAIL_ID "report.fail.wrong_version"
#define PASS_ID "report.pass.clean"
#define CHROMIUM_FLAGS "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run " \
    "--disable-background-networking --disable-component-update --disable-sync"

static char g_dir[128];
static int g_run_status = -1;

static int run_cmd(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof(g_dir), "%s/report-render-test.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        return -1;
    }
    g_run_status = run_cmd("%s run -j 2 --pcap all --work-dir '%s/work' --junit '%s/results/junit.xml' "
                           "tests/report/scenarios/ >'%s/run.log' 2>&1", HIL_FOTA_HIL, g_dir, g_dir, g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return run_cmd("rm -rf '%s'", g_dir) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b != NULL) {
        b[fread(b, 1, (size_t)n, f)] = '\0';
    }
    fclose(f);
    return b;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) {
        n++;
    }
    return n;
}

/* The suite ran: one pass, one deliberate failure (exit status 1). */
static void test_hil_report_main_suite_has_one_failure(void **state)
{
    (void)state;
    if (g_run_status != 1) {
        run_cmd("cat '%s/run.log' >&2", g_dir);
    }
    assert_int_equal(g_run_status, 1);
    assert_int_equal(run_cmd("grep -q '^FAIL " FAIL_ID "' '%s/run.log'", g_dir), 0);
    assert_int_equal(run_cmd("test -f '%s/work/" FAIL_ID "/trace.pcap'", g_dir), 0);
}

static void test_hil_report_main_writes_page(void **state)
{
    (void)state;
    assert_int_equal(run_cmd("%s report --work-dir '%s/work' '%s/results' >'%s/report.log' 2>&1", HIL_FOTA_HIL,
                             g_dir, g_dir, g_dir), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/results/report.html", g_dir);
    char *html = slurp(path);
    assert_non_null(html);
    assert_non_null(strstr(html, "<svg class=\"timeline\""));
    assert_null(strstr(html, "src=\"http")); /* nothing fetched from the network */
    free(html);
    /* bad input: exit 2 with `file: what is wrong` */
    assert_int_equal(run_cmd("%s report '%s/nowhere' 2>'%s/bad.log'", HIL_FOTA_HIL, g_dir, g_dir), 2);
    assert_int_equal(run_cmd("grep -q '/nowhere/junit.xml: cannot read' '%s/bad.log'", g_dir), 0);
}

static void test_hil_report_main_renders_in_chromium(void **state)
{
    (void)state;
    if (run_cmd("command -v chromium >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIP: chromium is not installed (scripts/install-deps.sh installs it)\n");
        skip();
    }
    char page[256], dom[256];
    snprintf(page, sizeof(page), "%s/results/report.html", g_dir);
    snprintf(dom, sizeof(dom), "%s/dom.html", g_dir);
    int st = run_cmd("timeout 120 chromium " CHROMIUM_FLAGS " --user-data-dir='%s/chrome1' --dump-dom 'file://%s' "
                     ">'%s' 2>'%s/chromium.err'", g_dir, page, dom, g_dir);
    char *d = slurp(dom);
    if (st != 0 || d == NULL || strstr(d, "<html") == NULL) {
        run_cmd("tail -5 '%s/chromium.err' >&2", g_dir);
        fprintf(stderr, "SKIP: chromium could not start (exit %d)\n", st);
        free(d);
        skip();
    }
    /* the table: one row per case, with ids and the reproduce command */
    assert_int_equal(count(d, "<tr class=\"case "), 2);
    assert_int_equal(count(d, "<tr class=\"case fail\" data-id=\"" FAIL_ID "\""), 1);
    assert_int_equal(count(d, "<tr class=\"case pass\" data-id=\"" PASS_ID "\""), 1);
    assert_true(count(d, "--filter '" FAIL_ID "'") >= 1);
    assert_int_equal(count(d, "<span id=\"failed\">1</span>"), 1);
    /* the failure: a timeline with every kind of mark, slot states */
    assert_int_equal(count(d, "<section class=\"failure\" id=\"fail-" FAIL_ID "\""), 1);
    assert_int_equal(count(d, "<svg class=\"timeline\""), 1);
    assert_int_equal(count(d, "<g class=\"lane\""), 6);
    assert_true(count(d, "class=\"mark frame ") >= 10);
    assert_int_equal(count(d, "class=\"mark frame bad\""), 1);  /* the corrupted DATA */
    assert_int_equal(count(d, "class=\"mark fault\""), 1);      /* its FAULT record */
    assert_true(count(d, "class=\"mark flash ") >= 4);
    assert_true(count(d, "class=\"mark power") >= 3);
    assert_true(count(d, "class=\"mark console\"") >= 5);
    assert_int_equal(count(d, "<tr class=\"slot\">"), 2);
    assert_true(count(d, "B (active)") >= 1);
    assert_int_equal(count(d, "<tr class=\"sweep\">"), 0); /* no sweep in these scenarios */
    assert_int_equal(count(d, "No sweep cases in this run."), 1);
    assert_int_equal(count(d, "<svg class=\"throughput\""), 1);
    free(d);
    /* a screenshot to look at */
    st = run_cmd("mkdir -p '%s' && timeout 120 chromium " CHROMIUM_FLAGS " --user-data-dir='%s/chrome2' "
                 "--window-size=1100,1600 --screenshot='%s/report.png' 'file://%s' >/dev/null 2>&1",
                 HIL_REPORT_OUT, g_dir, HIL_REPORT_OUT, page);
    assert_int_equal(st, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_report_main_suite_has_one_failure),
        cmocka_unit_test(test_hil_report_main_writes_page),
        cmocka_unit_test(test_hil_report_main_renders_in_chromium),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
