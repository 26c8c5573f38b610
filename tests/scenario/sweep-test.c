/**
 * @file sweep-test.c
 * @brief Sweeps: parsing of `sweep:` blocks (and their file:line errors),
 * expansion into cases with stable ids, sampling by seed, the journal's
 * crash states, and the divergence guard.
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
#include "fota/layout.h"
#include "fota/proto.h"
#include "scenario/journal.h"
#include "scenario/sweep.h"
#include "scenario/sweep_oracle.h"

static const char base_yaml[] =
    "id: power.cut.update\n"
    "steps:\n"
    "  - power_on\n"
    "  - update: build/images/demo-2.0.0-B.img\n"
    "  - power_on\n"
    "  - expect_console: 'x'\n";

static int parse(const char *sweep_block, struct hil_scenario_list *list, char *err, size_t errlen)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s%s", base_yaml, sweep_block);
    return hil_scenario_parse_buffer("t.yaml", buf, strlen(buf), list, err, errlen);
}

/* A journal of: erase sector 8, 4 programs in slot B, 1 program in meta. */
static uint8_t chunk[4][1024];
static uint8_t rec[64];

static void make_journal(struct hil_journal *j)
{
    static struct hil_flash f;
    hil_flash_init(&f);
    memset(j, 0, sizeof(*j));
    assert_int_equal(hil_journal_begin(j, &f), 0);
    struct hil_flash_op e = { .kind = HIL_OP_ERASE, .region = HIL_REGION_SLOT_B, .sector = 8,
                              .addr = LAYOUT_SLOT_B_ADDR, .len = LAYOUT_SECTOR_SIZE(8) };
    assert_int_equal(hil_journal_add(j, &e), 0);
    for (int i = 0; i < 4; i++) {
        memset(chunk[i], 0x10 + i, sizeof(chunk[i]));
        struct hil_flash_op p = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_SLOT_B, .sector = 8,
                                  .addr = LAYOUT_SLOT_B_ADDR + (uint32_t)i * 1024u, .len = 1024, .data = chunk[i] };
        assert_int_equal(hil_journal_add(j, &p), 0);
    }
    memset(rec, 0x42, sizeof(rec));
    struct hil_flash_op m = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_META, .sector = 2,
                              .addr = LAYOUT_META0_ADDR, .len = 64, .data = rec };
    assert_int_equal(hil_journal_add(j, &m), 0);
    static struct hil_flash all;
    assert_int_equal(hil_journal_build(j, 6, HIL_TORN_NONE, &all), 0);
    hil_journal_close(j, &all);
}

static void test_hil_sweep_parse_defaults(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse("sweep:\n  power_cut: all\n", &l, err, sizeof(err)), 0);
    const struct hil_sweep *sw = l.items[0]->sweep;
    assert_non_null(sw);
    assert_int_equal(sw->family, HIL_SWEEP_POWER_CUT);
    assert_int_equal(sw->step, 2); /* the first update step */
    assert_true(sw->on[HIL_OP_PROGRAM] && sw->on[HIL_OP_ERASE]);
    assert_true(sw->torn[HIL_TORN_NONE] && sw->torn[HIL_TORN_HALF] && sw->torn[HIL_TORN_ALL]);
    assert_false(sw->torn[HIL_TORN_BITS]);
    assert_true(sw->journal);
    hil_scenario_list_free(&l);
}

static void test_hil_sweep_parse_bad_blocks_name_the_line(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse("sweep:\n  power_cut: {on: [program, flip]}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:8: sweep: on must be program|erase"));
    assert_int_equal(parse("sweep:\n  power_cut: all\n  link: drop\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:9: sweep: 'link': a sweep block sweeps one family"));
    assert_int_equal(parse("sweep:\n  step: 1\n  power_cut: all\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "step 1 is not an update step"));
    assert_int_equal(parse("sweep:\n  power_cut: all\n  frames: 3\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:9: sweep: unknown key 'frames'"));
    assert_int_equal(parse("sweep:\n  power_cut: all\n  n: {from: 5, to: 2}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "n.to (2) is below n.from (5)"));
    assert_int_equal(l.count, 0);
}

static void test_hil_sweep_parse_needs_power_on_after_the_step(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    const char *y = "id: a.b\nsweep: {power_cut: all}\nsteps:\n  - power_on\n  - update: x.img\n"
                    "  - expect_console: 'x'\n";
    assert_int_equal(hil_scenario_parse_buffer("u.yaml", y, strlen(y), &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "u.yaml:2: sweep: the step after the swept update (step 2) must be power_on"));
}

/* update (2), then the trial boot and the confirm (3, 4), then the recovery (5). */
static int parse_window(const char *sweep_block, struct hil_scenario_list *list, char *err, size_t errlen)
{
    char buf[2048];
    snprintf(buf, sizeof(buf),
             "id: trial.cut\n%s"
             "steps:\n"
             "  - power_on\n"
             "  - update: build/images/demo-2.0.0-B.img\n"
             "  - expect_console: 'trial'\n"
             "  - expect_console: 'confirmed'\n"
             "  - power_on\n"
             "  - update: build/images/demo-3.0.0-B.img\n"
             "  - power_on\n",
             sweep_block);
    return hil_scenario_parse_buffer("w.yaml", buf, strlen(buf), list, err, errlen);
}

static void test_hil_sweep_parse_through_window(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse("sweep:\n  power_cut: all\n", &l, err, sizeof(err)), 0);
    assert_int_equal(l.items[0]->sweep->through, l.items[0]->sweep->step); /* default: one step */
    hil_scenario_list_free(&l);

    assert_int_equal(parse_window("sweep: {power_cut: all, through: 4}\n", &l, err, sizeof(err)), 0);
    assert_int_equal(l.items[0]->sweep->step, 2);
    assert_int_equal(l.items[0]->sweep->through, 4);
    hil_scenario_list_free(&l);
    assert_int_equal(parse_window("sweep: {bitflip: {region: meta}, through: 4}\n", &l, err, sizeof(err)), 0);
    hil_scenario_list_free(&l);

    /* The step after the window must be power_on. */
    assert_int_equal(parse_window("sweep: {power_cut: all, through: 3}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "w.yaml:2: sweep: the step after the window (step 3) must be power_on"));
    /* Below the swept step, past the last step. */
    assert_int_equal(parse_window("sweep: {power_cut: all, through: 1}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "w.yaml:2: sweep: through (1) must be a step from the swept step (2)"));
    assert_int_equal(parse_window("sweep: {power_cut: all, through: 9}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "through (9) must be a step from the swept step (2) to the last (7)"));
    /* A second update inside the window. */
    assert_int_equal(parse_window("sweep: {power_cut: all, through: 6}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "through: step 6 (line"));
    /* Families that run the update per case do not take a window. */
    assert_int_equal(parse_window("sweep: {flash_fault: fail, through: 4}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "through: only power_cut and bitflip sweeps"));
    assert_int_equal(l.count, 0);
}

static void test_hil_case_on_flash_op_cuts_the_nth_op_of_the_window(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse_window("sweep: {power_cut: all, through: 4}\n", &l, err, sizeof(err)), 0);
    /* A slow case: the 2nd program op of steps 2-4, torn half. */
    struct hil_case c = { .parent = l.items[0], .kind = HIL_CASE_CUT, .on = HIL_OP_PROGRAM, .n = 2,
                          .torn = HIL_TORN_HALF };
    struct hil_flash_op p = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_META, .addr = LAYOUT_META0_ADDR,
                              .len = 4, .data = (const uint8_t *)"abcd" };
    struct hil_flash_verdict v = { 0 };
    hil_case_on_flash_op(&c, 1, &p, &v);   /* before the window: not counted */
    hil_case_on_flash_op(&c, 2, &p, &v);   /* the update's op: 1st */
    assert_int_equal(v.action, HIL_ACT_APPLY);
    hil_case_on_boot(&c, 2);               /* the reset after END does not close a window with through */
    assert_false(c.window_closed);
    hil_case_on_flash_op(&c, 3, &p, &v);   /* the trial boot's op: 2nd */
    assert_int_equal(v.action, HIL_ACT_CUT);
    assert_int_equal(v.torn, HIL_TORN_HALF);
    assert_true(c.fired);
    struct hil_flash_verdict after = { 0 };
    hil_case_on_flash_op(&c, 4, &p, &after); /* fires once */
    assert_int_equal(after.action, HIL_ACT_APPLY);
    assert_int_equal(c.kind_seen, 3);
    hil_case_on_flash_op(&c, 5, &p, &after); /* after the window: not counted */
    assert_int_equal(c.kind_seen, 3);
    hil_scenario_list_free(&l);
}

static void test_hil_sweep_expand_every_op_and_torn_state(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse("sweep:\n  power_cut: {torn: [none, half, bits, all]}\n  verify: 1\n", &l, err,
                           sizeof(err)), 0);
    struct hil_journal j;
    make_journal(&j);
    assert_true(j.consistent);
    struct hil_case *c = NULL;
    int n = 0;
    assert_int_equal(hil_sweep_expand(l.items[0], &j, &c, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 4 * (1 + 5)); /* 4 torn states x (1 erase + 5 programs) */
    /* Stable order: torn outermost, erase before program, then n. */
    assert_string_equal(c[0].id, "power.cut.update@erase:1:torn-none");
    assert_string_equal(c[1].id, "power.cut.update@program:1:torn-none");
    assert_string_equal(c[5].id, "power.cut.update@program:5:torn-none");
    assert_string_equal(c[6].id, "power.cut.update@erase:1:torn-half");
    assert_string_equal(c[n - 1].id, "power.cut.update@program:5:torn-all");
    assert_int_equal(c[5].op_index, 5);
    int fast = 0, verify = 0;
    for (int i = 0; i < n; i++) {
        fast += c[i].fast;
        verify += c[i].verify;
        assert_false(c[i].fast && c[i].verify);
    }
    assert_int_equal(verify, 1);
    assert_int_equal(fast, n - 1);
    free(c);
    hil_journal_free(&j);
    hil_scenario_list_free(&l);
}

static void test_hil_sweep_select_range_stride_and_sample(void **state)
{
    (void)state;
    struct hil_sweep sw = { .from = 3, .to = 9, .stride = 3, .seed = 1 };
    uint32_t out[64];
    assert_int_equal(hil_sweep_select(&sw, 20, out), 3);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 6);
    assert_int_equal(out[2], 9);
    struct hil_sweep s2 = { .from = 1, .stride = 1, .sample = 5, .seed = 42 };
    uint32_t a[64], b[64];
    assert_int_equal(hil_sweep_select(&s2, 50, a), 5);
    assert_int_equal(hil_sweep_select(&s2, 50, b), 5);
    assert_memory_equal(a, b, sizeof(uint32_t) * 5); /* same seed, same sample */
    for (int i = 1; i < 5; i++) {
        assert_true(a[i - 1] < a[i]);
    }
    s2.seed = 43;
    assert_int_equal(hil_sweep_select(&s2, 50, b), 5);
    assert_memory_not_equal(a, b, sizeof(uint32_t) * 5);
}

static void test_hil_case_format_id_each_kind(void **state)
{
    (void)state;
    struct hil_scenario p = { .id = "s.x" };
    struct hil_case c = { .parent = &p, .kind = HIL_CASE_CUT, .on = HIL_OP_PROGRAM, .n = 417, .torn = HIL_TORN_HALF };
    hil_case_format_id(&c);
    assert_string_equal(c.id, "s.x@program:417:torn-half");
    c.kind = HIL_CASE_NOSTICK;
    hil_case_format_id(&c);
    assert_string_equal(c.id, "s.x@program:417:nostick");
    c.kind = HIL_CASE_DROP;
    c.n = 3;
    hil_case_format_id(&c);
    assert_string_equal(c.id, "s.x@drop:DATA:3");
    c.kind = HIL_CASE_LINK_CUT;
    c.frame_type = PROTO_T_ENTER_UPDATE;
    c.n = 1;
    hil_case_format_id(&c);
    assert_string_equal(c.id, "s.x@cut:ENTER_UPDATE:1");
    c.kind = HIL_CASE_FAIL;
    c.on = HIL_OP_ERASE;
    c.n = 2;
    hil_case_format_id(&c);
    assert_string_equal(c.id, "s.x@erase:2:fail");
    c.kind = HIL_CASE_BITFLIP;
    c.flip_addr = 0x08080a31u;
    c.flip_bit = 5;
    hil_case_format_id(&c);
    assert_string_equal(c.id, "s.x@bitflip:0x08080a31.5");
    hil_sweep_set_command("build/host/fota-hil", "");
    char *cmd = hil_case_rerun_command("s.x@drop:DATA:3", "scenarios/s.x.yaml");
    assert_string_equal(cmd, "build/host/fota-hil run --case 's.x@drop:DATA:3' scenarios/s.x.yaml");
    free(cmd);
}

static void test_hil_journal_build_torn_states(void **state)
{
    (void)state;
    struct hil_journal j;
    make_journal(&j);
    static struct hil_flash f;
    const uint32_t b = LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE;
    /* Cut at program #2 (index 2), torn none: chunk 0 in, chunk 1 erased. */
    assert_int_equal(hil_journal_build(&j, 2, HIL_TORN_NONE, &f), 0);
    assert_int_equal(f.mem[b], 0x10);
    assert_int_equal(f.mem[b + 1024], 0xFF);
    /* torn half: the first 512 bytes of chunk 1 only. */
    assert_int_equal(hil_journal_build(&j, 2, HIL_TORN_HALF, &f), 0);
    assert_int_equal(f.mem[b + 1024 + 511], 0x11);
    assert_int_equal(f.mem[b + 1024 + 512], 0xFF);
    /* torn bits: 0x11 only partly programmed: 0xFF & (0x11 | 0x55) = 0x55. */
    assert_int_equal(hil_journal_build(&j, 2, HIL_TORN_BITS, &f), 0);
    assert_int_equal(f.mem[b + 1024], 0x55);
    /* torn all of i == torn none of i + 1. */
    static struct hil_flash g;
    assert_int_equal(hil_journal_build(&j, 2, HIL_TORN_ALL, &f), 0);
    assert_int_equal(hil_journal_build(&j, 3, HIL_TORN_NONE, &g), 0);
    assert_memory_equal(f.mem, g.mem, sizeof(f.mem));
    assert_int_equal(hil_journal_build(&j, 7, HIL_TORN_NONE, &f), FOTA_ERANGE);
    hil_journal_free(&j);
}

static void test_hil_journal_check_op_detects_divergence(void **state)
{
    (void)state;
    struct hil_journal j;
    make_journal(&j);
    struct hil_flash_op p = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_SLOT_B,
                              .addr = LAYOUT_SLOT_B_ADDR + 1024u, .len = 1024, .data = chunk[1] };
    assert_int_equal(hil_journal_check_op(&j, 2, &p), 0);
    assert_int_equal(hil_journal_check_op(&j, 3, &p), FOTA_EPROTO);  /* another address */
    uint8_t other[1024];
    memcpy(other, chunk[1], sizeof(other));
    other[700] ^= 1;
    p.data = other;
    assert_int_equal(hil_journal_check_op(&j, 2, &p), FOTA_EPROTO);  /* other bytes */
    assert_int_equal(hil_journal_check_op(&j, 6, &p), FOTA_EPROTO);  /* past the end */
    hil_journal_free(&j);
}

static void test_hil_case_on_flash_op_marks_a_diverged_slow_run(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse("sweep:\n  power_cut: all\n", &l, err, sizeof(err)), 0);
    struct hil_journal j;
    make_journal(&j);
    struct hil_case c = { .parent = l.items[0], .journal = &j, .kind = HIL_CASE_CUT, .fast = false };
    struct hil_flash_verdict v = { 0 };
    struct hil_flash_op e = { .kind = HIL_OP_ERASE, .region = HIL_REGION_SLOT_B, .sector = 8,
                              .addr = LAYOUT_SLOT_B_ADDR, .len = LAYOUT_SECTOR_SIZE(8) };
    hil_case_on_flash_op(&c, 1, &e, &v);   /* another step: not compared */
    assert_int_equal(c.step_ops, 0);
    hil_case_on_flash_op(&c, 2, &e, &v);
    assert_false(c.diverged);
    /* A retransmitted chunk programmed again where the journal has chunk 1. */
    struct hil_flash_op p = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_SLOT_B,
                              .addr = LAYOUT_SLOT_B_ADDR, .len = 1024, .data = chunk[0] };
    hil_case_on_flash_op(&c, 2, &p, &v);
    hil_case_on_flash_op(&c, 2, &p, &v);
    assert_true(c.diverged);
    assert_int_equal(c.diverged_at, 3);
    assert_int_equal(v.action, HIL_ACT_APPLY);
    hil_journal_free(&j);
    hil_scenario_list_free(&l);
}

/* An erase of slot B's first sector and a small program there, as the target reports them. */
static const struct hil_flash_op erase_b = { .kind = HIL_OP_ERASE, .region = HIL_REGION_SLOT_B, .sector = 8,
                                             .addr = LAYOUT_SLOT_B_ADDR, .len = LAYOUT_SECTOR_SIZE(8) };
static const struct hil_flash_op program_b = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_SLOT_B,
                                               .addr = LAYOUT_SLOT_B_ADDR, .len = 4,
                                               .data = (const uint8_t *)"abcd" };

static void test_hil_case_on_flash_op_fails_the_nth_program(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse("sweep:\n  flash_fault: nostick\n", &l, err, sizeof(err)), 0);
    struct hil_case c = { .parent = l.items[0], .kind = HIL_CASE_NOSTICK, .on = HIL_OP_PROGRAM, .n = 2 };
    const struct hil_flash_op p = program_b;
    struct hil_flash_verdict v = { 0 };
    hil_case_on_flash_op(&c, 2, &p, &v);
    assert_int_equal(v.action, HIL_ACT_APPLY);
    hil_case_on_flash_op(&c, 2, &p, &v);
    assert_int_equal(v.action, HIL_ACT_DROP);
    hil_scenario_list_free(&l);
}

static void test_hil_sweep_parse_multi_cut(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse("sweep:\n  multi_cut: {cuts: 3, runs: 12, on: program, region: slot, torn: [half, all]}\n"
                           "  seed: 5\n", &l, err, sizeof(err)), 0);
    const struct hil_sweep *sw = l.items[0]->sweep;
    assert_int_equal(sw->family, HIL_SWEEP_MULTI_CUT);
    assert_int_equal(sw->cuts, 3);
    assert_int_equal(sw->runs, 12);
    assert_int_equal(sw->seed, 5);
    assert_int_equal(sw->step, 2);
    assert_true(sw->on[HIL_OP_PROGRAM]);
    assert_false(sw->on[HIL_OP_ERASE]);
    assert_int_equal(sw->region, HIL_FREGION_SLOT);
    assert_false(sw->torn[HIL_TORN_NONE]);
    assert_true(sw->torn[HIL_TORN_HALF] && sw->torn[HIL_TORN_ALL]);
    hil_scenario_list_free(&l);
    /* Defaults: program and erase, any region, torn none/half/all. */
    assert_int_equal(parse("sweep:\n  multi_cut: {cuts: 1, runs: 1}\n", &l, err, sizeof(err)), 0);
    sw = l.items[0]->sweep;
    assert_true(sw->on[HIL_OP_PROGRAM] && sw->on[HIL_OP_ERASE]);
    assert_int_equal(sw->region, HIL_FREGION_ANY);
    assert_true(sw->torn[HIL_TORN_NONE] && sw->torn[HIL_TORN_HALF] && sw->torn[HIL_TORN_ALL]);
    assert_false(sw->torn[HIL_TORN_BITS]);
    hil_scenario_list_free(&l);
}

/* A sweep block and the error it must be refused with. */
struct bad_block {
    const char *block;
    const char *err;
};

static void assert_bad_blocks(const struct bad_block *bad, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct hil_scenario_list l = { 0 };
        char err[512] = "";
        assert_int_equal(parse(bad[i].block, &l, err, sizeof(err)), FOTA_EINVAL);
        if (strstr(err, bad[i].err) == NULL) {
            fail_msg("block %zu: expected '%s' in '%s'", i, bad[i].err, err);
        }
        assert_int_equal(l.count, 0);
    }
}

/* Issue 16: values above INT32_MAX were cast to int before the range check
 * (`step: 2147483648` made `fota-hil list` segfault, `step: 4294967295`
 * read steps[-2]). Every integer key is bounded before it is narrowed. */
static void test_hil_sweep_parse_integers_above_int_max_are_errors(void **state)
{
    (void)state;
    static const struct bad_block bad[] = {
        { "sweep: {power_cut: all, step: 2147483648}\n", "t.yaml:7: sweep: step must be at most 4096, got '2147483648'" },
        { "sweep: {power_cut: all, step: 4294967295}\n", "t.yaml:7: sweep: step must be at most 4096, got '4294967295'" },
        { "sweep: {power_cut: all, step: 0xFFFFFFFF}\n", "t.yaml:7: sweep: step must be at most 4096" },
        { "sweep: {power_cut: all, step: 4294967296}\n", "t.yaml:7: sweep: step must be at most 4096" },
        { "sweep: {power_cut: all, step: 99999999999999999999}\n", "t.yaml:7: sweep: step must be a number >= 1" },
        { "sweep: {power_cut: all, through: 2147483648}\n", "t.yaml:7: sweep: through must be at most 4096" },
        { "sweep: {power_cut: all, through: 4294967295}\n", "t.yaml:7: sweep: through must be at most 4096" },
        { "sweep: {power_cut: all, step: 4096}\n", "t.yaml:7: sweep: step 4096 is not an update step" },
        { "sweep: {power_cut: all, verify: 2147483648}\n", "t.yaml:7: sweep: verify must be at most 65536" },
        { "sweep: {bitflip: {sample: 4294967295}}\n", "t.yaml:7: sweep: bitflip.sample must be at most 65536" },
        { "sweep: {power_cut: all, n: {stride: 4294967295}}\n", "t.yaml:7: sweep: n.stride must be at most 2147483647" },
        { "sweep: {multi_cut: {cuts: 2147483649, runs: 1}}\n", "t.yaml:7: sweep: multi_cut.cuts must be at most 8" },
    };
    assert_bad_blocks(bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_hil_sweep_parse_multi_cut_bad_values_name_the_line(void **state)
{
    (void)state;
    static const struct bad_block bad[] = {
        { "sweep:\n  multi_cut: {cuts: 0, runs: 4}\n", "t.yaml:8: sweep: multi_cut.cuts must be a number >= 1, got '0'" },
        { "sweep:\n  multi_cut: {cuts: 9, runs: 4}\n", "t.yaml:8: sweep: multi_cut.cuts must be at most 8, got '9'" },
        { "sweep:\n  multi_cut: {cuts: 2, runs: 10001}\n", "t.yaml:8: sweep: multi_cut.runs must be at most 10000" },
        { "sweep:\n  multi_cut: {cuts: 2, runs: many}\n", "t.yaml:8: sweep: multi_cut.runs must be a number >= 1, got 'many'" },
        { "sweep:\n  multi_cut: {cuts: 2}\n", "t.yaml:8: sweep: multi_cut needs cuts (cuts per case) and runs (cases)" },
        { "sweep:\n  multi_cut: {cuts: 2, runs: 3, fails: 1}\n", "t.yaml:8: sweep: unknown key 'fails' in multi_cut "
          "(expected one of: cuts, runs, on, region, torn)" },
        { "sweep:\n  multi_cut: {cuts: 2, runs: 3, torn: [none, twisted]}\n",
          "t.yaml:8: sweep: torn must be none|half|all|bits (or a list of them), got 'twisted'" },
        { "sweep:\n  multi_cut: {cuts: 2, runs: 3, region: slot_c}\n", "t.yaml:8: sweep: region must be " },
        { "sweep:\n  multi_cut: 3\n", "t.yaml:8: sweep: multi_cut must be a mapping" },
        { "sweep:\n  multi_cut: {cuts: 2, runs: 3}\n  n: 4\n", "t.yaml:9: sweep: 'n' does not apply to multi_cut" },
        { "sweep:\n  verify: 2\n  multi_cut: {cuts: 2, runs: 3}\n", "t.yaml:8: sweep: 'verify' does not apply to multi_cut" },
        { "sweep:\n  multi_cut: {cuts: 2, runs: 3}\n  power_cut: all\n", "t.yaml:9: sweep: 'power_cut': a sweep block "
          "sweeps one family" },
    };
    assert_bad_blocks(bad, sizeof(bad) / sizeof(bad[0]));
}

/* Expand @p block against make_journal's journal (1 erase, 5 programs). */
static int expand_multi(const char *block, struct hil_scenario_list *l, struct hil_journal *j, struct hil_case **c,
                        char *err, size_t errlen)
{
    assert_int_equal(parse(block, l, err, errlen), 0);
    make_journal(j);
    int n = 0;
    int rc = hil_sweep_expand(l->items[0], j, c, &n, err, errlen);
    return rc == 0 ? n : -rc;
}

/* Issue 16: which contract commits a case left landed (make_journal: erase,
 * 4 slot programs, 1 metadata commit = the PENDING record). */
static void test_hil_sweep_oracle_landed_counts_commits_before_the_cut(void **state)
{
    (void)state;
    struct hil_journal j;
    make_journal(&j);
    struct hil_sweep_oracle o = { .on = true, .base = { .meta = true, .active = LAYOUT_SLOT_A }, .commits = 1 };
    struct hil_case c = { .kind = HIL_CASE_CUT, .op_index = 5, .torn = HIL_TORN_HALF };
    bool dmg = true;
    assert_int_equal(hil_sweep_oracle_landed(&o, &j, &c, &dmg), 0); /* a torn record does not land */
    assert_false(dmg);
    c.torn = HIL_TORN_BITS;
    assert_int_equal(hil_sweep_oracle_landed(&o, &j, &c, &dmg), 0);
    c.torn = HIL_TORN_ALL;
    assert_int_equal(hil_sweep_oracle_landed(&o, &j, &c, &dmg), 1);
    c.op_index = 4; /* the last slot program, even torn all */
    assert_int_equal(hil_sweep_oracle_landed(&o, &j, &c, &dmg), 0);
    struct hil_case lc = { .kind = HIL_CASE_LINK_CUT, .frame_type = PROTO_T_END };
    assert_int_equal(hil_sweep_oracle_landed(&o, &j, &lc, &dmg), 0); /* BEGIN committed nothing */
    struct hil_case fl = { .kind = HIL_CASE_BITFLIP, .flip_addr = LAYOUT_SLOT_B_ADDR + 7 };
    assert_int_equal(hil_sweep_oracle_landed(&o, &j, &fl, &dmg), 1);
    assert_true(dmg);
    fl.flip_addr = LAYOUT_META0_ADDR + 3; /* the newest record destroyed */
    assert_int_equal(hil_sweep_oracle_landed(&o, &j, &fl, &dmg), 0);
    assert_false(dmg);
    struct hil_case ff = { .kind = HIL_CASE_FAIL };
    assert_int_equal(hil_sweep_oracle_landed(&o, &j, &ff, &dmg), -1); /* flash_fault: not judged */
    o.base.active = -1; /* the factory state: nothing landed is not judged */
    assert_int_equal(hil_sweep_oracle_landed(&o, &j, &c, &dmg), -1);
    hil_journal_free(&j);
}

/* bitflip part: header flips stay in the first 512 bytes, truncations start in the payload. */
static void test_hil_sweep_expand_bitflip_parts(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    struct hil_journal j;
    struct hil_case *c = NULL;
    char err[512];
    int n = expand_multi("sweep:\n  bitflip: {region: slot, part: header, sample: 6}\n", &l, &j, &c, err, sizeof(err));
    assert_int_equal(n, 6);
    for (int i = 0; i < n; i++) {
        assert_int_equal(c[i].kind, HIL_CASE_BITFLIP);
        assert_true(c[i].flip_addr >= LAYOUT_SLOT_B_ADDR && c[i].flip_addr < LAYOUT_SLOT_B_ADDR + 512u);
    }
    free(c);
    hil_journal_free(&j);
    hil_scenario_list_free(&l);
    n = expand_multi("sweep:\n  bitflip: {region: slot, part: truncate, sample: 3}\n", &l, &j, &c, err, sizeof(err));
    assert_int_equal(n, 3);
    assert_int_equal(c[0].kind, HIL_CASE_TRUNCATE);
    assert_true(c[0].flip_addr >= LAYOUT_SLOT_B_ADDR + 512u && c[0].trunc_end == LAYOUT_SLOT_B_ADDR + 4096u);
    assert_non_null(strstr(c[0].id, "@truncate:0x0808"));
    static struct hil_flash f;
    assert_int_equal(hil_case_compose_flash(&c[0], &f), 0);
    assert_int_equal(f.mem[c[0].flip_addr - LAYOUT_FLASH_BASE], 0xFF);
    assert_int_equal(f.mem[LAYOUT_SLOT_B_ADDR + 4095u - LAYOUT_FLASH_BASE], 0xFF);
    free(c);
    hil_journal_free(&j);
    hil_scenario_list_free(&l);
    assert_int_equal(parse("sweep:\n  bitflip: {region: meta, part: header}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "bitflip.part applies to region slot only"));
}

static void test_hil_sweep_expand_multi_cut_draws_sorted_distinct_positions(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    struct hil_journal j;
    struct hil_case *c = NULL;
    char err[512];
    int n = expand_multi("sweep:\n  multi_cut: {cuts: 3, runs: 12, torn: [none, half, all]}\n  seed: 5\n", &l, &j, &c,
                         err, sizeof(err));
    assert_int_equal(n, 12);
    bool seen_torn[4] = { false };
    for (int i = 0; i < n; i++) {
        assert_int_equal(c[i].kind, HIL_CASE_MULTI_CUT);
        assert_false(c[i].fast);
        assert_int_equal(c[i].ncuts, 3);
        for (uint32_t k = 0; k < c[i].ncuts; k++) {
            assert_in_range(c[i].cut_at[k], 1, 6); /* T = 1 erase + 5 programs */
            if (k > 0) {
                assert_true(c[i].cut_at[k - 1] < c[i].cut_at[k]);
            }
            assert_true(c[i].cut_torn[k] == HIL_TORN_NONE || c[i].cut_torn[k] == HIL_TORN_HALF ||
                        c[i].cut_torn[k] == HIL_TORN_ALL);
            seen_torn[c[i].cut_torn[k]] = true;
        }
        /* The id says everything about the case. */
        static const char *const w[4] = { "none", "half", "all", "bits" };
        char want[192];
        snprintf(want, sizeof(want), "power.cut.update@cuts:%u-%s,%u-%s,%u-%s", c[i].cut_at[0], w[c[i].cut_torn[0]],
                 c[i].cut_at[1], w[c[i].cut_torn[1]], c[i].cut_at[2], w[c[i].cut_torn[2]]);
        assert_string_equal(c[i].id, want);
        for (int k = 0; k < i; k++) {
            assert_string_not_equal(c[k].id, c[i].id);
        }
    }
    assert_true(seen_torn[HIL_TORN_NONE] && seen_torn[HIL_TORN_HALF] && seen_torn[HIL_TORN_ALL]);
    /* Same seed, same ids in the same order; another seed, other ids. */
    struct hil_case *again = NULL;
    int m = 0;
    assert_int_equal(hil_sweep_expand(l.items[0], &j, &again, &m, err, sizeof(err)), 0);
    assert_int_equal(m, n);
    for (int i = 0; i < n; i++) {
        assert_string_equal(again[i].id, c[i].id);
    }
    free(again);
    l.items[0]->sweep->seed = 6;
    assert_int_equal(hil_sweep_expand(l.items[0], &j, &again, &m, err, sizeof(err)), 0);
    assert_int_equal(m, n);
    int same = 0;
    for (int i = 0; i < n; i++) {
        same += strcmp(again[i].id, c[i].id) == 0;
    }
    assert_true(same < n / 2);
    free(again);
    free(c);
    hil_journal_free(&j);
    hil_scenario_list_free(&l);
}

static void test_hil_sweep_expand_multi_cut_clamps_to_the_ops(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    struct hil_journal j;
    struct hil_case *c = NULL;
    char err[512];
    /* 8 cuts of 6 ops: every op is cut; one torn state: only one such case, however many runs. */
    int n = expand_multi("sweep:\n  multi_cut: {cuts: 8, runs: 12, torn: half}\n", &l, &j, &c, err, sizeof(err));
    assert_int_equal(n, 1);
    assert_int_equal(c[0].ncuts, 6);
    for (uint32_t k = 0; k < 6; k++) {
        assert_int_equal(c[0].cut_at[k], k + 1);
    }
    assert_string_equal(c[0].id, "power.cut.update@cuts:1-half,2-half,3-half,4-half,5-half,6-half");
    free(c);
    hil_journal_free(&j);
    hil_scenario_list_free(&l);
    /* The region and kind filter T: the one erase. */
    n = expand_multi("sweep:\n  multi_cut: {cuts: 3, runs: 4, on: erase, torn: [none, all]}\n", &l, &j, &c, err,
                     sizeof(err));
    assert_int_equal(n, 2);
    assert_string_equal(c[0].id, c[0].cut_torn[0] == HIL_TORN_NONE ? "power.cut.update@cuts:1-none"
                                                                    : "power.cut.update@cuts:1-all");
    assert_int_equal(c[0].ncuts, 1);
    assert_int_not_equal(c[0].cut_torn[0], c[1].cut_torn[0]);
    free(c);
    hil_journal_free(&j);
    hil_scenario_list_free(&l);
    /* No matching op: no case, with the sweep's line. */
    n = expand_multi("sweep:\n  multi_cut: {cuts: 2, runs: 4, on: erase, region: meta}\n", &l, &j, &c, err,
                     sizeof(err));
    assert_int_equal(n, -FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:8: sweep: selects no case"));
    hil_journal_free(&j);
    hil_scenario_list_free(&l);
}

static void test_hil_case_on_flash_op_cuts_at_cumulative_positions(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse("sweep:\n  multi_cut: {cuts: 2, runs: 1, on: program}\n", &l, err, sizeof(err)), 0);
    struct hil_case c = { .parent = l.items[0], .kind = HIL_CASE_MULTI_CUT, .ncuts = 2, .cut_at = { 2, 4 },
                          .cut_torn = { HIL_TORN_HALF, HIL_TORN_ALL } };
    assert_true(hil_case_is_multi_step(&c, 2));
    assert_false(hil_case_is_multi_step(&c, 4));
    assert_false(hil_case_is_multi_step(NULL, 2));
    struct hil_flash_op p = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_SLOT_B, .addr = LAYOUT_SLOT_B_ADDR,
                              .len = 4, .data = (const uint8_t *)"abcd" };
    struct hil_flash_op e = { .kind = HIL_OP_ERASE, .region = HIL_REGION_SLOT_B, .sector = 8,
                              .addr = LAYOUT_SLOT_B_ADDR, .len = LAYOUT_SECTOR_SIZE(8) };
    struct hil_flash_verdict v = { 0 };
    /* Attempt 1: program #1 applies, an erase does not count, program #2 is cut torn half. */
    hil_case_attempt_begin(&c);
    hil_case_on_flash_op(&c, 2, &p, &v);
    assert_int_equal(v.action, HIL_ACT_APPLY);
    hil_case_on_flash_op(&c, 2, &e, &v);
    assert_int_equal(v.action, HIL_ACT_APPLY);
    hil_case_on_flash_op(&c, 1, &p, &v); /* another step */
    assert_int_equal(v.action, HIL_ACT_APPLY);
    hil_case_on_flash_op(&c, 2, &p, &v);
    assert_int_equal(v.action, HIL_ACT_CUT);
    assert_int_equal(v.torn, HIL_TORN_HALF);
    assert_int_equal(c.cuts_fired, 1);
    /* Attempt 2: counting goes on (#3); a boot after an op closes the window. */
    memset(&v, 0, sizeof(v));
    hil_case_attempt_begin(&c);
    hil_case_on_boot(&c, 2);             /* the power-on boot: no op yet, window stays open */
    hil_case_on_flash_op(&c, 2, &p, &v);
    assert_int_equal(v.action, HIL_ACT_APPLY);
    hil_case_on_boot(&c, 2);             /* the reset after END */
    hil_case_on_flash_op(&c, 2, &p, &v); /* the trial commit: not counted */
    assert_int_equal(v.action, HIL_ACT_APPLY);
    assert_int_equal(c.kind_seen, 3);
    /* Attempt 3: #4 is cut torn all; nothing after the last cut. */
    hil_case_attempt_begin(&c);
    hil_case_on_flash_op(&c, 2, &p, &v);
    assert_int_equal(v.action, HIL_ACT_CUT);
    assert_int_equal(v.torn, HIL_TORN_ALL);
    assert_int_equal(c.cuts_fired, 2);
    memset(&v, 0, sizeof(v));
    hil_case_attempt_begin(&c);
    for (int i = 0; i < 8; i++) {
        hil_case_on_flash_op(&c, 2, &p, &v);
        assert_int_equal(v.action, HIL_ACT_APPLY);
    }
    assert_false(c.diverged);
    static struct hil_flash f;
    hil_flash_init(&f);
    char *props = hil_case_props(&c, &f);
    assert_non_null(strstr(props, "mode=slow\n"));
    assert_non_null(strstr(props, "cuts_fired=2/2\n"));
    free(props);
    hil_scenario_list_free(&l);
}

/* A scenario updating with @p image (a file the link family stats), then @p after, with @p sweep. */
static int parse_update(const char *image, const char *after, const char *sweep, struct hil_scenario_list *l,
                        char *err, size_t errlen)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "id: link.x\nsweep:\n%s\nsteps:\n  - power_on\n  - update: %s\n  - %s\n", sweep,
             image, after);
    return hil_scenario_parse_buffer("l.yaml", buf, strlen(buf), l, err, errlen);
}

/* A file of @p size bytes (an "image" for the link family's DATA count). */
static void make_image(char *path, size_t len, size_t size)
{
    snprintf(path, len, "/tmp/sweep-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    close(fd);
}

static void test_hil_sweep_parse_link_cut_needs_power_on_after_the_step(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    /* corrupt / drop: the update completes, any step may follow (today's rule). */
    assert_int_equal(parse_update("x.img", "expect_console: 'x'", "  link: [corrupt, drop]", &l, err,
                                  sizeof(err)), 0);
    assert_false(l.items[0]->sweep->cut);
    hil_scenario_list_free(&l);
    /* cut: the power is off after the swept step, so power_on must follow. */
    assert_int_equal(parse_update("x.img", "expect_console: 'x'", "  link: [corrupt, cut]", &l, err,
                                  sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "l.yaml:3: sweep: the step after the swept update (step 2) must be power_on"));
    assert_int_equal(parse_update("x.img", "power_on", "  link: cut", &l, err, sizeof(err)), 0);
    const struct hil_sweep *sw = l.items[0]->sweep;
    assert_true(sw->cut);
    assert_false(sw->corrupt || sw->drop);
    hil_scenario_list_free(&l);
    assert_int_equal(parse_update("x.img", "power_on", "  link: [drop, cutt]", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "l.yaml:3: sweep: link must be corrupt|drop|cut (or a list of them), got 'cutt'"));
}

static void test_hil_sweep_expand_link_cut_frames_in_protocol_order(void **state)
{
    (void)state;
    char img[64];
    make_image(img, sizeof(img), 3760); /* 4 DATA frames */
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse_update(img, "power_on", "  link: [corrupt, drop, cut]", &l, err, sizeof(err)), 0);
    struct hil_journal j;
    make_journal(&j);
    j.frames[PROTO_T_HELLO] = 7; /* retried while the device boots: never swept */
    j.frames[PROTO_T_ENTER_UPDATE] = 1;
    j.frames[PROTO_T_BEGIN] = 1;
    j.frames[PROTO_T_DATA] = 4;
    j.frames[PROTO_T_END] = 1;
    struct hil_case *c = NULL;
    int n = 0;
    assert_int_equal(hil_sweep_expand(l.items[0], &j, &c, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 4 + 4 + (1 + 1 + 4 + 1));
    assert_string_equal(c[0].id, "link.x@corrupt:DATA:1"); /* the existing ids are unchanged */
    assert_string_equal(c[7].id, "link.x@drop:DATA:4");
    assert_string_equal(c[8].id, "link.x@cut:ENTER_UPDATE:1");
    assert_string_equal(c[9].id, "link.x@cut:BEGIN:1");
    assert_string_equal(c[10].id, "link.x@cut:DATA:1");
    assert_string_equal(c[13].id, "link.x@cut:DATA:4");
    assert_string_equal(c[14].id, "link.x@cut:END:1");
    assert_int_equal(c[10].kind, HIL_CASE_LINK_CUT);
    assert_int_equal(c[10].frame_type, PROTO_T_DATA);
    assert_int_equal(c[14].frame_type, PROTO_T_END);
    for (int i = 0; i < n; i++) {
        assert_false(c[i].fast);
    }
    free(c);
    /* No ENTER_UPDATE in the clean run (the bootloader answered HELLO): no such case. */
    j.frames[PROTO_T_ENTER_UPDATE] = 0;
    assert_int_equal(hil_sweep_expand(l.items[0], &j, &c, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 4 + 4 + 6);
    assert_string_equal(c[8].id, "link.x@cut:BEGIN:1");
    free(c);
    /* cut needs the clean run's frame counts. */
    assert_int_equal(hil_sweep_expand(l.items[0], NULL, &c, &n, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "l.yaml:3: sweep: no journal of the swept step"));
    hil_scenario_list_free(&l);
    /* n selects counts per frame type: from 2, only DATA 2..4 remain. */
    assert_int_equal(parse_update(img, "power_on", "  link: cut\n  n: {from: 2}", &l, err, sizeof(err)), 0);
    assert_int_equal(hil_sweep_expand(l.items[0], &j, &c, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_string_equal(c[0].id, "link.x@cut:DATA:2");
    free(c);
    hil_scenario_list_free(&l);
    /* corrupt / drop alone still need no journal. */
    assert_int_equal(parse_update(img, "power_on", "  link: drop", &l, err, sizeof(err)), 0);
    assert_int_equal(hil_sweep_expand(l.items[0], NULL, &c, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 4);
    free(c);
    hil_scenario_list_free(&l);
    hil_journal_free(&j);
    unlink(img);
}

static void test_hil_sweep_parse_flash_fault_list_and_mapping(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    /* The list form: program operations only. */
    assert_int_equal(parse("sweep:\n  flash_fault: [fail, nostick]\n", &l, err, sizeof(err)), 0);
    const struct hil_sweep *sw = l.items[0]->sweep;
    assert_int_equal(sw->family, HIL_SWEEP_FLASH_FAULT);
    assert_true(sw->fail && sw->nostick);
    assert_true(sw->on[HIL_OP_PROGRAM]);
    assert_false(sw->on[HIL_OP_ERASE]);
    hil_scenario_list_free(&l);
    /* The mapping form: kind, on, region. */
    assert_int_equal(parse("sweep:\n  flash_fault: {kind: nostick, on: [program, erase], region: slot}\n", &l,
                           err, sizeof(err)), 0);
    sw = l.items[0]->sweep;
    assert_false(sw->fail);
    assert_true(sw->nostick);
    assert_true(sw->on[HIL_OP_PROGRAM] && sw->on[HIL_OP_ERASE]);
    assert_int_equal(sw->region, HIL_FREGION_SLOT);
    hil_scenario_list_free(&l);
    /* Defaults of the mapping: both kinds, program only (as the list form). */
    assert_int_equal(parse("sweep:\n  flash_fault: {on: erase}\n", &l, err, sizeof(err)), 0);
    sw = l.items[0]->sweep;
    assert_true(sw->fail && sw->nostick);
    assert_true(sw->on[HIL_OP_ERASE]);
    assert_false(sw->on[HIL_OP_PROGRAM]);
    hil_scenario_list_free(&l);
    assert_int_equal(parse("sweep:\n  flash_fault: {}\n", &l, err, sizeof(err)), 0);
    assert_true(l.items[0]->sweep->on[HIL_OP_PROGRAM]);
    assert_false(l.items[0]->sweep->on[HIL_OP_ERASE]);
    hil_scenario_list_free(&l);
    /* Bad input names the line. */
    assert_int_equal(parse("sweep:\n  flash_fault: {kind: [fail, melt]}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:8: sweep: flash_fault kind must be fail|nostick (or a list of them), "
                           "got 'melt'"));
    assert_int_equal(parse("sweep:\n  flash_fault:\n    on: [erase, read]\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:9: sweep: on must be program|erase (or a list of them), got 'read'"));
    assert_int_equal(parse("sweep:\n  flash_fault: {kind: fail, torn: half}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:8: sweep: unknown key 'torn' in flash_fault (expected one of: kind, on, "
                           "region)"));
    assert_int_equal(parse("sweep:\n  flash_fault: {kind: []}\n", &l, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:8: sweep: flash_fault kind is empty"));
    assert_int_equal(l.count, 0);
}

static void test_hil_sweep_expand_flash_fault_on_erase(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    struct hil_journal j;
    make_journal(&j); /* 1 erase, 5 programs */
    assert_int_equal(parse("sweep:\n  flash_fault: {kind: [fail, nostick], on: [program, erase]}\n", &l, err,
                           sizeof(err)), 0);
    struct hil_case *c = NULL;
    int n = 0;
    assert_int_equal(hil_sweep_expand(l.items[0], &j, &c, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2 * (1 + 5));
    /* fail before nostick, erase before program, then n. */
    assert_string_equal(c[0].id, "power.cut.update@erase:1:fail");
    assert_int_equal(c[0].on, HIL_OP_ERASE);
    assert_string_equal(c[1].id, "power.cut.update@program:1:fail");
    assert_string_equal(c[5].id, "power.cut.update@program:5:fail");
    assert_string_equal(c[6].id, "power.cut.update@erase:1:nostick");
    assert_string_equal(c[11].id, "power.cut.update@program:5:nostick");
    free(c);
    hil_scenario_list_free(&l);
    /* The list form keeps today's cases: programs only. */
    assert_int_equal(parse("sweep:\n  flash_fault: [fail, nostick]\n", &l, err, sizeof(err)), 0);
    assert_int_equal(hil_sweep_expand(l.items[0], &j, &c, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2 * 5);
    assert_string_equal(c[0].id, "power.cut.update@program:1:fail");
    free(c);
    hil_scenario_list_free(&l);
    /* Erase only in the meta region: this journal has none. */
    assert_int_equal(parse("sweep:\n  flash_fault: {on: erase, region: meta}\n", &l, err, sizeof(err)), 0);
    assert_int_equal(hil_sweep_expand(l.items[0], &j, &c, &n, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:8: sweep: selects no case"));
    hil_scenario_list_free(&l);
    hil_journal_free(&j);
}

static void test_hil_case_on_flash_op_fails_the_nth_erase(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    char err[512];
    assert_int_equal(parse("sweep:\n  flash_fault: {kind: fail, on: erase}\n", &l, err, sizeof(err)), 0);
    struct hil_case c = { .parent = l.items[0], .kind = HIL_CASE_FAIL, .on = HIL_OP_ERASE, .n = 2 };
    struct hil_flash_verdict v = { 0 };
    hil_case_on_flash_op(&c, 2, &erase_b, &v);
    hil_case_on_flash_op(&c, 2, &program_b, &v); /* programs do not count */
    hil_case_on_flash_op(&c, 2, &program_b, &v);
    assert_int_equal(v.action, HIL_ACT_APPLY);
    hil_case_on_flash_op(&c, 2, &erase_b, &v);
    assert_int_equal(v.action, HIL_ACT_FAIL);
    assert_int_equal(v.fail_rc, FOTA_EFLASH);
    struct hil_flash_verdict w = { 0 };
    hil_case_on_flash_op(&c, 2, &erase_b, &w); /* fires once */
    assert_int_equal(w.action, HIL_ACT_APPLY);
    hil_scenario_list_free(&l);
}

static void test_hil_flash_bootable_needs_a_confirmed_verified_image(void **state)
{
    (void)state;
    static struct hil_flash f;
    char why[160];
    hil_flash_init(&f);
    assert_false(hil_flash_bootable(&f, why, sizeof(why)));
    assert_string_equal(why, "no valid metadata record");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_sweep_parse_defaults),
        cmocka_unit_test(test_hil_sweep_parse_bad_blocks_name_the_line),
        cmocka_unit_test(test_hil_sweep_parse_needs_power_on_after_the_step),
        cmocka_unit_test(test_hil_sweep_parse_through_window),
        cmocka_unit_test(test_hil_case_on_flash_op_cuts_the_nth_op_of_the_window),
        cmocka_unit_test(test_hil_sweep_expand_every_op_and_torn_state),
        cmocka_unit_test(test_hil_sweep_select_range_stride_and_sample),
        cmocka_unit_test(test_hil_case_format_id_each_kind),
        cmocka_unit_test(test_hil_journal_build_torn_states),
        cmocka_unit_test(test_hil_journal_check_op_detects_divergence),
        cmocka_unit_test(test_hil_case_on_flash_op_marks_a_diverged_slow_run),
        cmocka_unit_test(test_hil_case_on_flash_op_fails_the_nth_program),
        cmocka_unit_test(test_hil_sweep_parse_link_cut_needs_power_on_after_the_step),
        cmocka_unit_test(test_hil_sweep_expand_link_cut_frames_in_protocol_order),
        cmocka_unit_test(test_hil_sweep_parse_flash_fault_list_and_mapping),
        cmocka_unit_test(test_hil_sweep_expand_flash_fault_on_erase),
        cmocka_unit_test(test_hil_case_on_flash_op_fails_the_nth_erase),
        cmocka_unit_test(test_hil_flash_bootable_needs_a_confirmed_verified_image),
        cmocka_unit_test(test_hil_sweep_parse_multi_cut),
        cmocka_unit_test(test_hil_sweep_parse_integers_above_int_max_are_errors),
        cmocka_unit_test(test_hil_sweep_parse_multi_cut_bad_values_name_the_line),
        cmocka_unit_test(test_hil_sweep_oracle_landed_counts_commits_before_the_cut),
        cmocka_unit_test(test_hil_sweep_expand_bitflip_parts),
        cmocka_unit_test(test_hil_sweep_expand_multi_cut_draws_sorted_distinct_positions),
        cmocka_unit_test(test_hil_sweep_expand_multi_cut_clamps_to_the_ops),
        cmocka_unit_test(test_hil_case_on_flash_op_cuts_at_cumulative_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
