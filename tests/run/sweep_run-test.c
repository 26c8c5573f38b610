/**
 * @file sweep_run-test.c
 * @brief hil_sweep_plan_build: the sweeps' clean runs recorded in
 * parallel (-j, run/sweep_record.h) give the plan the serial recording
 * gives: the same case ids in the same order, the same JOURNAL counts; a
 * recording that fails or dies is reported against its own sweep. The
 * runner is a fake here (hil_run_scenario below): each sweep's journal
 * depends on its id, and the earlier sweeps take longer, so parallel
 * recordings end in the reverse order; so do a depth2 sweep's probes.
 */
#include <setjmp.h>
#include <signal.h>
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
#include "fota/layout.h"
#include "run/runner.h"
#include "run/sweep_run.h"
#include "scenario/journal.h"

/* The fake recording: sweep `sweep.<n>` takes (5 - n) x 60 ms and records
 * one erase and n + 1 programs; `sweep.fails` fails; `sweep.dies` kills
 * its worker (in the test that runs it in one). */
static void fake_journal(struct hil_journal *j, int n)
{
    static struct hil_flash f;
    static uint8_t chunk[256];
    hil_flash_init(&f);
    assert_int_equal(hil_journal_begin(j, &f), 0);
    struct hil_flash_op e = { .kind = HIL_OP_ERASE, .region = HIL_REGION_SLOT_B, .sector = 8,
                              .addr = LAYOUT_SLOT_B_ADDR, .len = LAYOUT_SECTOR_SIZE(8) };
    assert_int_equal(hil_journal_add(j, &e), 0);
    for (int i = 0; i <= n; i++) {
        memset(chunk, 0x20 + n + i, sizeof(chunk));
        struct hil_flash_op p = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_SLOT_B, .sector = 8,
                                  .addr = LAYOUT_SLOT_B_ADDR + (uint32_t)i * 256u, .len = 256, .data = chunk };
        assert_int_equal(hil_journal_add(j, &p), 0);
    }
    static struct hil_flash all;
    assert_int_equal(hil_journal_build(j, j->count, HIL_TORN_NONE, &all), 0);
    hil_journal_close(j, &all);
}

/* workdir.c's removal of old work dirs is not called here. */
int hil_rmtree(const char *path)
{
    (void)path;
    return 0;
}

/* The -icount shift the last recording ran with (in this process: -j 1). */
static int recorded_icount = 99;

int hil_run_scenario(const struct hil_scenario *s, const struct hil_run_opts *o, struct hil_result *out)
{
    memset(out, 0, sizeof(*out));
    recorded_icount = o->journal != NULL ? o->icount_shift : recorded_icount;
    out->status = HIL_PASS;
    if (strcmp(s->id, "sweep.dies") == 0) {
        raise(SIGKILL);
    }
    if (strcmp(s->id, "sweep.fails") == 0) {
        out->status = HIL_FAIL;
        out->message = strdup("the device said no");
        return 0;
    }
    const char *probe = strstr(s->id, "@probe:");
    size_t len = probe != NULL ? (size_t)(probe - s->id) : strlen(s->id);
    int n = s->id[len - 1] - '0';
    /* a depth2 probe: 1 + (its id's length mod 3) programs, the longer ids first */
    n = probe != NULL ? (int)(strlen(probe) % 3u) : n;
    usleep((useconds_t)(probe != NULL ? 40000u - strlen(probe) * 1000u : (5u - (unsigned)n) * 60000u));
    if (o->journal != NULL) {
        fake_journal(o->journal, n);
    }
    return 0;
}

static const char sweeps_yaml[] =
    "id: plain.before\n"
    "steps: [power_on]\n"
    "---\n"
    "id: sweep.1\n"
    "sweep: {power_cut: all}\n"
    "steps: [power_on, {update: build/images/demo-2.0.0-B.img}, power_on]\n"
    "---\n"
    "id: sweep.2\n"
    "sweep: {power_cut: {on: [program], torn: [none, all]}}\n"
    "steps: [power_on, {update: build/images/demo-2.0.0-B.img}, power_on]\n"
    "---\n"
    "id: plain.between\n"
    "steps: [power_on]\n"
    "---\n"
    "id: sweep.%s\n"
    "sweep: {power_cut: {on: [erase, program], torn: [half]}}\n"
    "steps: [power_on, {update: build/images/demo-2.0.0-B.img}, power_on]\n"
    "---\n"
    "id: sweep.4\n"
    "sweep: {power_cut: all}\n"
    "steps: [power_on, {update: build/images/demo-2.0.0-B.img}, power_on]\n"
    "---\n"
    "id: sweep.5\n"
    "sweep: {depth2: {region: any, torn: [none, all], boot_torn: [half]}}\n"
    "steps: [power_on, {update: build/images/demo-2.0.0-B.img}, power_on, expect_console: x]\n";

/* Parse the scenarios (the third sweep named sweep.@p third) and build the plan with -j @p jobs. */
static void build_on(enum hil_qemu_machine m, const char *third, int jobs, struct hil_scenario_list *l,
                     struct hil_sweep_plan *plan)
{
    char yaml[4096], err[512];
    snprintf(yaml, sizeof(yaml), sweeps_yaml, third);
    memset(l, 0, sizeof(*l));
    int rc = hil_scenario_parse_buffer("t.yaml", yaml, strlen(yaml), l, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
    }
    assert_int_equal(rc, 0);
    struct hil_run_opts o = { .icount_shift = 4, .machine = m };
    struct hil_sweep_opts so = { .jobs = jobs };
    assert_int_equal(hil_sweep_plan_build(l->items, l->count, &o, &so, plan), 0);
}

static void build(const char *third, int jobs, struct hil_scenario_list *l, struct hil_sweep_plan *plan)
{
    build_on(HIL_QEMU_STOCK, third, jobs, l, plan);
}

/* The plan's ids, one a line. */
static void ids_of(const struct hil_sweep_plan *plan, char *buf, size_t len)
{
    size_t u = 0;
    buf[0] = '\0';
    for (int i = 0; i < plan->count && u < len; i++) {
        u += (size_t)snprintf(buf + u, len - u, "%s\n", plan->items[i]->id);
    }
}

/* One plan built serially ([0]) and one with -j jobs ([1]), and their ids. */
struct two_plans {
    struct hil_scenario_list l[2];
    struct hil_sweep_plan p[2];
    char ids[2][65536];
};

static void build_two(struct two_plans *t, const char *third, int jobs)
{
    build(third, 1, &t->l[0], &t->p[0]);
    build(third, jobs, &t->l[1], &t->p[1]);
    for (int i = 0; i < 2; i++) {
        ids_of(&t->p[i], t->ids[i], sizeof(t->ids[i]));
    }
    assert_int_equal(t->p[0].count, t->p[1].count);
    assert_string_equal(t->ids[0], t->ids[1]);
    assert_int_equal(t->p[0].pre.count, t->p[1].pre.count);
}

static void free_two(struct two_plans *t)
{
    for (int i = 0; i < 2; i++) {
        hil_sweep_plan_free(&t->p[i]);
        hil_scenario_list_free(&t->l[i]);
    }
}

static void test_hil_sweep_plan_build_parallel_equals_serial(void **state)
{
    (void)state;
    static struct two_plans t;
    build_two(&t, "3", 4);
    assert_int_equal(t.p[1].pre.count, 0);
    assert_true(t.p[0].count > 20); /* every sweep expanded: not trivially equal */
    assert_string_equal(t.p[1].items[0]->id, "plain.before");
    assert_non_null(strstr(t.ids[1], "plain.between\nsweep.3@"));
    assert_non_null(strstr(t.ids[1], "sweep.5@depth2:")); /* the probes ran -j 4 too */
    free_two(&t);
}

/* A failed recording is a failure of its own sweep; the others expand as serially. */
static void test_hil_sweep_plan_build_parallel_failure_names_its_sweep(void **state)
{
    (void)state;
    static struct two_plans t;
    build_two(&t, "fails", 3);
    const struct hil_results *pre = &t.p[1].pre;
    assert_int_equal(pre->count, 1);
    assert_string_equal(pre->items[0].id, "sweep.fails");
    assert_string_equal(pre->items[0].file, "t.yaml");
    assert_non_null(strstr(pre->items[0].message, "the device said no"));
    assert_null(strstr(t.ids[1], "sweep.fails@"));
    assert_non_null(strstr(t.ids[1], "sweep.4@"));
    free_two(&t);
}

/* A worker that dies without its journal fails its sweep, not the run. */
static void test_hil_sweep_plan_build_parallel_worker_died(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_sweep_plan p;
    build("dies", 2, &l, &p);
    assert_int_equal(p.pre.count, 1);
    assert_string_equal(p.pre.items[0].id, "sweep.dies");
    assert_non_null(strstr(p.pre.items[0].message, "died (signal 9)"));
    char ids[65536];
    ids_of(&p, ids, sizeof(ids));
    assert_non_null(strstr(ids, "sweep.1@"));
    assert_non_null(strstr(ids, "sweep.4@"));
    hil_sweep_plan_free(&p);
    hil_scenario_list_free(&l);
}

/* On f407 the device's drivers time their waits against models in
 * virtual time: the recording keeps -icount (without it, a starved QEMU
 * main loop let the IWDG set-up's PVU/RVU wait run out). On stock it
 * drops -icount (every flash op and the IWDG are served by the harness). */
static void test_hil_sweep_plan_build_f407_records_under_icount(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_sweep_plan p;
    build_on(HIL_QEMU_F407, "3", 1, &l, &p);
    assert_int_equal(recorded_icount, 4);
    hil_sweep_plan_free(&p);
    hil_scenario_list_free(&l);
    build_on(HIL_QEMU_STOCK, "3", 1, &l, &p);
    assert_int_equal(recorded_icount, -1);
    hil_sweep_plan_free(&p);
    hil_scenario_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_sweep_plan_build_parallel_equals_serial),
        cmocka_unit_test(test_hil_sweep_plan_build_parallel_failure_names_its_sweep),
        cmocka_unit_test(test_hil_sweep_plan_build_parallel_worker_died),
        cmocka_unit_test(test_hil_sweep_plan_build_f407_records_under_icount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
