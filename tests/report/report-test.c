/**
 * @file report-test.c
 * @brief Unit tests of the report's inputs (harness/cli/report.c: JUnit read
 * back, final slot states, bricked) and of replay's answer comparison
 * (harness/cli/replay.c).
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "fota/proto.h"
#include "cli/replay.h"
#include "cli/report.h"
#include "run/runner.h"
#include "scenario/results.h"
#include "trace/trace.h"

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

/* A frame the host re-sent before its answer came (its timeout ran out on a
 * loaded machine): the target answers in order, so the first answer is the
 * first copy's and the second, arriving after the next frame went out, the
 * second copy's. Before, answers went to whichever SEND was open, so the
 * replay reported "captured: no answer" and "type differs" for them
 * (suite-trace-test failed under load). */
static int put(struct hil_trace *t, uint64_t ts, enum hil_trace_dir dir, uint8_t type, uint8_t seq,
               const uint8_t *pl, uint16_t len)
{
    uint8_t b[PROTO_MAX_FRAME];
    size_t n = 0;
    if (proto_encode(type, seq, pl, len, b, sizeof(b), &n) != 0) {
        return -1;
    }
    return hil_trace_frame(t, ts, dir, 0, b, n);
}

static void test_hil_replay_plan_build_matches_answers_in_order(void **state)
{
    (void)state;
    char path[] = "/tmp/replay-resent.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct hil_trace *t = NULL;
    assert_int_equal(hil_trace_open(path, &t), 0);
    uint8_t data[16] = { 0 };
    uint8_t rsp[8] = { 0 };
    uint8_t rsp2[8] = { 1 };
    assert_int_equal(put(t, 1000, HIL_TRACE_DIR_TO_TARGET, PROTO_T_DATA, 7, data, sizeof(data)), 0);
    assert_int_equal(put(t, 2000, HIL_TRACE_DIR_TO_TARGET, PROTO_T_DATA, 7, data, sizeof(data)), 0);
    assert_int_equal(put(t, 3000, HIL_TRACE_DIR_TO_HOST, PROTO_T_DATA | PROTO_T_RSP, 7, rsp, sizeof(rsp)), 0);
    assert_int_equal(put(t, 4000, HIL_TRACE_DIR_TO_TARGET, PROTO_T_DATA, 8, data, sizeof(data)), 0);
    assert_int_equal(put(t, 5000, HIL_TRACE_DIR_TO_HOST, PROTO_T_DATA | PROTO_T_RSP, 7, rsp2, sizeof(rsp2)), 0);
    assert_int_equal(hil_trace_close(t), 0);
    struct hil_replay_plan plan;
    assert_int_equal(hil_replay_plan_build(path, &plan), 0);
    unlink(path);
    int sends[3];
    int ns = 0;
    for (int i = 0; i < plan.nsteps && ns < 3; i++) {
        if (plan.steps[i].kind == HIL_RP_SEND) {
            sends[ns++] = i;
        }
    }
    assert_int_equal(ns, 3);
    const struct hil_replay_step *a = &plan.steps[sends[0]], *b = &plan.steps[sends[1]], *c = &plan.steps[sends[2]];
    assert_true(a->resent);
    assert_false(b->resent);
    assert_non_null(a->answer);
    assert_non_null(b->answer);
    assert_true(a->answer_packet < b->answer_packet); /* in order: first answer, first copy */
    assert_null(c->answer);                           /* DATA 8: unanswered, a real difference */
    assert_false(c->resent);
    hil_replay_plan_free(&plan);
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

/* Run `fota-hil replay ARGS` in-process. @return its stderr (malloc'ed); *code its exit status. */
static char *replay_stderr(int argc, char **argv, int *code)
{
    char path[] = "/tmp/replay-err.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(dup2(fd, 2) >= 0);
    *code = hil_replay_main(argc, argv);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    char *text = calloc(1, 4096);
    assert_non_null(text);
    assert_true(pread(fd, text, 4095, 0) >= 0);
    close(fd);
    unlink(path);
    return text;
}

static void test_hil_replay_main_missing_capture(void **state)
{
    (void)state;
    char *argv[] = { "replay", "/nonexistent-dir/capture.pcap", NULL };
    int code = -1;
    char *err = replay_stderr(2, argv, &code);
    assert_int_equal(code, 2);
    assert_string_equal(err, "/nonexistent-dir/capture.pcap: No such file or directory\n");
    free(err);
}

/* What a killed capture leaves: a record cut short. */
static void test_hil_replay_main_truncated_capture(void **state)
{
    (void)state;
    char path[] = "/tmp/replay-cut.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct hil_trace *t = NULL;
    assert_int_equal(hil_trace_open(path, &t), 0);
    static const uint8_t frame[12] = { 0xA5, 0x5A, 1, 0, 0, 0 };
    assert_int_equal(hil_trace_frame(t, 1000, HIL_TRACE_DIR_TO_TARGET, 0, frame, sizeof(frame)), 0);
    assert_int_equal(hil_trace_frame(t, 2000, HIL_TRACE_DIR_TO_TARGET, 1, frame, sizeof(frame)), 0);
    assert_int_equal(hil_trace_close(t), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    long rec = (st.st_size - 24) / 2; /* two records of the same size after the 24-byte file header */
    assert_int_equal(truncate(path, st.st_size - 4), 0);
    char *argv[] = { "replay", path, NULL };
    int code = -1;
    char *err = replay_stderr(2, argv, &code);
    char want[128];
    snprintf(want, sizeof(want), "%s: truncated pcap record at byte %ld\n", path, 24 + rec);
    assert_int_equal(code, 2);
    assert_string_equal(err, want);
    free(err);
    unlink(path);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

static void touch(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

/* --work-dir naming a directory replay did not make is refused and left as it was. */
static void test_hil_replay_prepare_workdir_refuses_foreign_dir(void **state)
{
    (void)state;
    char dir[] = "/tmp/replay-work.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char abs[PATH_MAX];
    touch(dir, "precious.txt");
    assert_int_equal(hil_replay_prepare_workdir(dir, abs, sizeof(abs)), FOTA_EBUSY);
    assert_int_equal(count_entries(dir), 1);
    char file[300];
    snprintf(file, sizeof(file), "%s/precious.txt", dir);
    assert_int_equal(hil_replay_prepare_workdir(file, abs, sizeof(abs)), FOTA_EBUSY);
    assert_int_equal(unlink(file), 0);
    /* empty: taken and marked; marked: cleared */
    assert_int_equal(hil_replay_prepare_workdir(dir, abs, sizeof(abs)), 0);
    assert_string_equal(abs, dir);
    touch(dir, "console.log");
    assert_int_equal(count_entries(dir), 2);
    assert_int_equal(hil_replay_prepare_workdir(dir, abs, sizeof(abs)), 0);
    assert_int_equal(count_entries(dir), 1);
    snprintf(file, sizeof(file), "%s/" HIL_REPLAY_MARKER, dir);
    assert_int_equal(access(file, F_OK), 0);
    /* missing: created with its parents */
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/a/b", dir);
    assert_int_equal(hil_replay_prepare_workdir(sub, abs, sizeof(abs)), 0);
    assert_int_equal(count_entries(sub), 1);
    assert_int_equal(hil_rmtree(dir), 0);
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
        cmocka_unit_test(test_hil_replay_plan_build_matches_answers_in_order),
        cmocka_unit_test(test_hil_replay_main_missing_capture),
        cmocka_unit_test(test_hil_replay_main_truncated_capture),
        cmocka_unit_test(test_hil_replay_prepare_workdir_refuses_foreign_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
