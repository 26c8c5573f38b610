/**
 * @file sweep_time-test.c
 * @brief time and depth2 sweeps (issue 15 item 2): parsing of their
 * blocks and every bad form with its `file:line:`, the case ids, the
 * seeded sample of cut times, the depth2 cases built from a probe's boot
 * journal (duplicates of a crash state left out) and their exact oracle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "scenario/journal.h"
#include "scenario/sweep.h"
#include "scenario/sweep_oracle.h"

static char err[1024];

static const char steps_yaml[] =
    "id: s.t\n"
    "steps:\n"
    "  - power_on\n"
    "  - update: build/images/demo-2.0.0-B.img\n"
    "  - power_on\n"
    "  - expect_console: 'APP: confirmed'\n"
    "  - power_on\n"
    "  - expect_console: 'x'\n";

static struct hil_scenario *parse_sweep(const char *block, struct hil_scenario_list *l)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s%s", steps_yaml, block);
    memset(l, 0, sizeof(*l));
    int rc = hil_scenario_parse_buffer("t.yaml", buf, strlen(buf), l, err, sizeof(err));
    if (rc != 0) {
        print_error("unexpected parse error: %s\n", err);
    }
    assert_int_equal(rc, 0);
    return l->items[0];
}

static void parse_bad(const char *block, const char *msg)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s%s", steps_yaml, block);
    struct hil_scenario_list l = { 0 };
    assert_int_equal(hil_scenario_parse_buffer("t.yaml", buf, strlen(buf), &l, err, sizeof(err)), FOTA_EINVAL);
    if (strstr(err, msg) == NULL) {
        print_error("expected '%s' in '%s'\n", msg, err);
        fail();
    }
    hil_scenario_list_free(&l);
}

static void test_hil_sweep_parse_time_window(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_sweep("sweep:\n  time: {from_ms: 0, to_ms: 4000, stride_ms: 100}\n", &l);
    const struct hil_sweep *sw = s->sweep;
    assert_int_equal(sw->family, HIL_SWEEP_TIME);
    assert_int_equal(sw->step, 2);
    assert_int_equal(sw->from_ms, 0);
    assert_int_equal(sw->to_ms, 4000);
    assert_int_equal(sw->stride_ms, 100);
    assert_int_equal(sw->sample, 0);
    hil_scenario_list_free(&l);
    /* a time sweep may sweep a step that runs the device without an update */
    s = parse_sweep("sweep:\n  step: 4\n  time: {to_ms: 900, sample: 4}\n  seed: 7\n", &l);
    assert_int_equal(s->sweep->step, 4);
    assert_int_equal(s->sweep->stride_ms, HIL_SWEEP_DEFAULT_STRIDE_MS);
    assert_int_equal(s->sweep->sample, 4);
    hil_scenario_list_free(&l);
}

static void test_hil_sweep_parse_time_bad_forms(void **state)
{
    (void)state;
    parse_bad("sweep:\n  time: {from_ms: 100}\n", "t.yaml:10: sweep: time needs to_ms");
    parse_bad("sweep:\n  time: {from_ms: 500, to_ms: 100}\n", "t.yaml:10: sweep: time.to_ms (100) is below time.from_ms (500)");
    parse_bad("sweep:\n  time: {to_ms: 100, stride_ms: 0}\n", "t.yaml:10: sweep: time.stride_ms must be a number >= 1");
    parse_bad("sweep:\n  time: {to_ms: soon}\n", "t.yaml:10: sweep: time.to_ms must be a number >= 0, got 'soon'");
    parse_bad("sweep:\n  time: {to_ms: 100, at: 3}\n",
              "t.yaml:10: sweep: unknown key 'at' in time (expected one of: from_ms, to_ms, stride_ms, sample)");
    parse_bad("sweep:\n  time: {to_ms: 100, sample: 0}\n", "t.yaml:10: sweep: time.sample must be a number >= 1");
    parse_bad("sweep:\n  time: {to_ms: 4000000, stride_ms: 1}\n", "t.yaml:10: sweep: time: 4000001 cut times; at most");
    parse_bad("sweep:\n  time: [1, 2]\n", "t.yaml:10: sweep: time must be a mapping");
    parse_bad("sweep:\n  time: {to_ms: 100}\n  n: 3\n", "t.yaml:11: sweep: 'n' does not apply to time");
    parse_bad("sweep:\n  time: {to_ms: 100}\n  through: 3\n",
              "t.yaml:11: sweep: through: only power_cut and bitflip sweeps journal a window of several steps (and depth2");
    parse_bad("sweep:\n  step: 6\n  time: {to_ms: 100}\n",
              "t.yaml:10: sweep: the step after the swept update (step 6) must be power_on");
    parse_bad("sweep:\n  step: 1\n  power_cut: all\n", "t.yaml:10: sweep: step 1 is not an update step");
    parse_bad("sweep:\n  time: {to_ms: 100}\n  power_cut: all\n", "t.yaml:11: sweep: 'power_cut': a sweep block "
              "sweeps one family (power_cut, flash_fault, link, bitflip, multi_cut, time, depth2 or glitch)");
}

static void test_hil_sweep_parse_depth2(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_sweep("sweep:\n  depth2: all\n", &l);
    const struct hil_sweep *sw = s->sweep;
    assert_int_equal(sw->family, HIL_SWEEP_DEPTH2);
    assert_int_equal(sw->region, HIL_FREGION_META); /* the commits, unless region says */
    assert_true(sw->boot_torn[HIL_TORN_NONE] && sw->boot_torn[HIL_TORN_HALF] && sw->boot_torn[HIL_TORN_ALL]);
    assert_false(sw->boot_torn[HIL_TORN_BITS]);
    hil_scenario_list_free(&l);
    s = parse_sweep("sweep:\n  depth2: {on: program, region: any, torn: all, boot_torn: [half, bits]}\n", &l);
    sw = s->sweep;
    assert_int_equal(sw->region, HIL_FREGION_ANY);
    assert_int_equal(sw->through, 2);
    assert_false(sw->on[HIL_OP_ERASE]);
    assert_true(sw->torn[HIL_TORN_ALL] && !sw->torn[HIL_TORN_NONE]);
    assert_true(sw->boot_torn[HIL_TORN_HALF] && sw->boot_torn[HIL_TORN_BITS] && !sw->boot_torn[HIL_TORN_NONE]);
    hil_scenario_list_free(&l);
}

static void test_hil_sweep_parse_depth2_bad_forms(void **state)
{
    (void)state;
    parse_bad("sweep:\n  depth2: {boot_torn: most}\n",
              "t.yaml:10: sweep: depth2.boot_torn must be none|half|all|bits (or a list of them), got 'most'");
    parse_bad("sweep:\n  depth2: {boot: all}\n",
              "t.yaml:10: sweep: unknown key 'boot' in depth2 (expected one of: on, region, torn, boot_torn)");
    parse_bad("sweep:\n  depth2: {region: slot_c}\n", "t.yaml:10: sweep: region must be any|slot|meta|slot_a|slot_b");
    parse_bad("sweep:\n  depth2: everything\n", "t.yaml:10: sweep: depth2 must be a mapping");
    parse_bad("sweep:\n  step: 3\n  depth2: all\n", "t.yaml:10: sweep: step 3 is not an update step");
    parse_bad("sweep:\n  depth2: all\n  through: 5\n",
              "t.yaml:10: sweep: the step after the window (step 5) must be power_on");
}

static void test_hil_sweep_parse_depth2_needs_a_boot_to_cut(void **state)
{
    (void)state;
    static const char text[] =
        "id: s.t\nsteps:\n  - update: x.img\n  - power_on\nsweep:\n  depth2: all\n";
    struct hil_scenario_list l = { 0 };
    assert_int_equal(hil_scenario_parse_buffer("t.yaml", text, strlen(text), &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:6: sweep: depth2: the recovery needs its power_on and a step after it"));
}

static void test_hil_sweep_time_expand_ids_and_sample(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_sweep("sweep:\n  time: {from_ms: 1000, to_ms: 1300, stride_ms: 100}\n", &l);
    struct hil_case *c = NULL;
    int n = 0;
    assert_int_equal(hil_sweep_expand(s, NULL, &c, &n, err, sizeof(err)), 0); /* no journal needed */
    assert_int_equal(n, 4);
    assert_string_equal(c[0].id, "s.t@time:1000ms");
    assert_string_equal(c[3].id, "s.t@time:1300ms");
    assert_int_equal(c[3].kind, HIL_CASE_TIME_CUT);
    assert_int_equal(c[3].at_ms, 1300);
    assert_false(c[3].fast);
    free(c);
    s->sweep->sample = 2;
    s->sweep->seed = 3;
    assert_int_equal(hil_sweep_expand(s, NULL, &c, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_true(c[0].at_ms < c[1].at_ms);
    uint32_t first = c[0].at_ms, second = c[1].at_ms;
    free(c);
    assert_int_equal(hil_sweep_expand(s, NULL, &c, &n, err, sizeof(err)), 0); /* the same seed, the same draw */
    assert_int_equal(c[0].at_ms, first);
    assert_int_equal(c[1].at_ms, second);
    free(c);
    hil_scenario_list_free(&l);
}

/* Metadata records setting slot B to each state, and journals of them. */
static uint8_t recs[4][META_RECORD_SIZE];

static void add_record(struct hil_journal *j, int i, uint8_t state_b)
{
    struct meta_record m;
    memset(&m, 0, sizeof(m));
    m.mr_slot[LAYOUT_SLOT_A].ms_state = META_SLOT_CONFIRMED;
    m.mr_slot[LAYOUT_SLOT_B].ms_state = state_b;
    memcpy(recs[i], &m, sizeof(m));
    memset(recs[i] + 60, 0x30 + i, 4); /* records differ */
    struct hil_flash_op op = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_META, .sector = 2,
                               .addr = LAYOUT_META0_ADDR + (uint32_t)i * META_RECORD_SIZE,
                               .len = META_RECORD_SIZE, .data = recs[i] };
    assert_int_equal(hil_journal_add(j, &op), 0);
}

static void make_journals(struct hil_journal *first, struct hil_journal *boot)
{
    static struct hil_flash f;
    hil_flash_init(&f);
    memset(first, 0, sizeof(*first));
    memset(boot, 0, sizeof(*boot));
    assert_int_equal(hil_journal_begin(first, &f), 0);
    add_record(first, 0, META_SLOT_PENDING);
    assert_int_equal(hil_journal_build(first, 1, HIL_TORN_NONE, &f), 0); /* PENDING landed: the boot's base */
    assert_int_equal(hil_journal_begin(boot, &f), 0);
    add_record(boot, 1, META_SLOT_TRIAL);
    add_record(boot, 2, META_SLOT_CONFIRMED);
}

static void test_hil_sweep_depth2_expand_each_boot_op_and_torn(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_sweep("sweep:\n  depth2: {boot_torn: [none, all]}\n", &l);
    struct hil_journal first, boot;
    make_journals(&first, &boot);
    struct hil_case probe = { .parent = s, .journal = &first, .kind = HIL_CASE_CUT, .on = HIL_OP_PROGRAM, .n = 1,
                              .torn = HIL_TORN_ALL, .op_index = 0, .fast = true };
    struct hil_case *c = NULL;
    int n = 0;
    assert_int_equal(hil_sweep_depth2_expand(&probe, &boot, 1, &c, &n), 0);
    /* op 1 none, op 1 all (= op 2 none: left out), op 2 all */
    assert_int_equal(n, 3);
    assert_string_equal(c[0].id, "s.t@depth2:program:1:torn-all/program:1:torn-none");
    assert_string_equal(c[1].id, "s.t@depth2:program:1:torn-all/program:1:torn-all");
    assert_string_equal(c[2].id, "s.t@depth2:program:1:torn-all/program:2:torn-all");
    assert_int_equal(c[2].kind, HIL_CASE_DEPTH2);
    assert_true(c[2].fast);
    assert_ptr_equal(c[2].journal, &boot);
    assert_int_equal(c[2].op_index1, 0);
    assert_int_equal(c[2].op_index, 1);
    free(c);
    struct hil_journal empty = { 0 }; /* a probe that failed gives no cases */
    assert_int_equal(hil_sweep_depth2_expand(&probe, &empty, 1, &c, &n), 0);
    assert_int_equal(n, 0);
    free(c);
    hil_journal_free(&first);
    hil_journal_free(&boot);
    hil_scenario_list_free(&l);
}

static void test_hil_sweep_oracle_landed_depth2_counts_both_cuts(void **state)
{
    (void)state;
    struct hil_journal first, boot;
    make_journals(&first, &boot);
    struct hil_sweep_oracle o = { .on = true, .base = { .meta = true, .active = LAYOUT_SLOT_A,
                                                        .state = { META_SLOT_CONFIRMED, META_SLOT_EMPTY } } };
    struct hil_case c = { .kind = HIL_CASE_DEPTH2, .journal = &boot, .op_index1 = 0, .torn1 = HIL_TORN_ALL,
                          .op_index = 0, .torn = HIL_TORN_NONE };
    bool dmg = false;
    assert_int_equal(hil_sweep_oracle_landed(&o, &first, &c, &dmg), 1); /* PENDING */
    c.torn = HIL_TORN_HALF;
    assert_int_equal(hil_sweep_oracle_landed(&o, &first, &c, &dmg), 1); /* a torn TRIAL does not land */
    c.torn = HIL_TORN_ALL;
    assert_int_equal(hil_sweep_oracle_landed(&o, &first, &c, &dmg), 2); /* TRIAL */
    c.op_index = 1;
    c.torn = HIL_TORN_BITS;
    assert_int_equal(hil_sweep_oracle_landed(&o, &first, &c, &dmg), 2); /* the confirm torn: TRIAL rules */
    c.torn = HIL_TORN_ALL;
    assert_int_equal(hil_sweep_oracle_landed(&o, &first, &c, &dmg), 3); /* CONFIRMED */
    c.torn1 = HIL_TORN_HALF; /* PENDING never landed: the boot's records are not the contract's next */
    assert_int_equal(hil_sweep_oracle_landed(&o, &first, &c, &dmg), 0);
    c.op_index = 2; /* past the boot's journal */
    assert_int_equal(hil_sweep_oracle_landed(&o, &first, &c, &dmg), -1);
    hil_journal_free(&first);
    hil_journal_free(&boot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_sweep_parse_time_window),
        cmocka_unit_test(test_hil_sweep_parse_time_bad_forms),
        cmocka_unit_test(test_hil_sweep_parse_depth2),
        cmocka_unit_test(test_hil_sweep_parse_depth2_bad_forms),
        cmocka_unit_test(test_hil_sweep_parse_depth2_needs_a_boot_to_cut),
        cmocka_unit_test(test_hil_sweep_time_expand_ids_and_sample),
        cmocka_unit_test(test_hil_sweep_depth2_expand_each_boot_op_and_torn),
        cmocka_unit_test(test_hil_sweep_oracle_landed_depth2_counts_both_cuts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
