/**
 * @file sweep_glitch-test.c
 * @brief glitch sweeps (issue 13 item 4): the `glitch:` block and its bad
 * forms, the Thumb-2 decoding the engine relies on (length, conditional
 * branch targets, ITAdvance), and the cases built from a trace (ids that
 * name function+offset, execution and mode; `n` selects points).
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
#include "scenario/sweep.h"
#include "target/glitch.h"

static char err[1024];

static const char head[] =
    "id: g.t\n"
    "steps:\n"
    "  - power_on\n"
    "  - wait_ms: 100\n"
    "  - power_on\n"
    "  - expect_console: 'x'\n";

static int parse(const char *block, struct hil_scenario_list *l)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s%s", head, block);
    memset(l, 0, sizeof(*l));
    return hil_scenario_parse_buffer("t.yaml", buf, strlen(buf), l, err, sizeof(err));
}

static void test_hil_sweep_parse_glitch_forms(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    assert_int_equal(parse("sweep:\n  step: 1\n  through: 2\n  glitch: all\n", &l), 0);
    const struct hil_sweep *sw = l.items[0]->sweep;
    assert_int_equal(sw->family, HIL_SWEEP_GLITCH);
    assert_true(sw->glitch_skip && sw->glitch_branch);
    assert_true(sw->nglitch_fns > 3);
    assert_string_equal(sw->glitch_fns[0], "boot_main");
    hil_scenario_list_free(&l);
    assert_int_equal(parse("sweep:\n  step: 1\n  through: 2\n  glitch: {functions: [image_*], mode: [skip]}\n"
                           "  n: {sample: 3}\n", &l), 0);
    sw = l.items[0]->sweep;
    assert_int_equal(sw->nglitch_fns, 1);
    assert_true(sw->glitch_skip && !sw->glitch_branch);
    assert_int_equal(sw->sample, 3);
    hil_scenario_list_free(&l);
    /* the swept step must be a power_on; the step after the window a power_on */
    assert_int_equal(parse("sweep:\n  step: 2\n  glitch: all\n", &l), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:8: sweep: step 2 is not a power_on"));
    assert_int_equal(parse("sweep:\n  step: 1\n  glitch: all\n", &l), FOTA_EINVAL);
    assert_non_null(strstr(err, "must be power_on"));
    assert_int_equal(parse("sweep:\n  step: 1\n  through: 2\n  glitch: {functions: boot_main}\n", &l), FOTA_EINVAL);
    assert_non_null(strstr(err, "glitch.functions: a list"));
    assert_int_equal(parse("sweep:\n  step: 1\n  through: 2\n  glitch: {mode: [jump]}\n", &l), FOTA_EINVAL);
}

static void test_hil_glitch_decode_thumb2(void **state)
{
    (void)state;
    uint32_t t = 0;
    assert_int_equal(hil_glitch_insn_len(0x4770), 2);  /* bx lr */
    assert_int_equal(hil_glitch_insn_len(0xF7FF), 4);  /* bl (first halfword) */
    assert_int_equal(hil_glitch_insn_len(0xE92D), 4);  /* push.w */
    assert_int_equal(hil_glitch_insn_len(0xE7FE), 2);  /* b . (T2) */
    assert_true(hil_glitch_cond_branch(0x1000, 0xD1FE, 0, &t)); /* bne . */
    assert_int_equal(t, 0x1000);
    assert_true(hil_glitch_cond_branch(0x1000, 0xD003, 0, &t)); /* beq +6 */
    assert_int_equal(t, 0x100A);
    assert_false(hil_glitch_cond_branch(0x1000, 0xDE00, 0, &t)); /* udf: cond 0xE */
    assert_false(hil_glitch_cond_branch(0x1000, 0xE7FE, 0, &t)); /* b: unconditional */
    assert_true(hil_glitch_cond_branch(0x1000, 0xB90B, 0, &t)); /* cbnz r3, +6 */
    assert_int_equal(t, 0x1006);
    assert_true(hil_glitch_cond_branch(0x1000, 0xF040, 0x8004, &t)); /* bne.w +8 */
    assert_int_equal(t, 0x100C);
    assert_true(hil_glitch_cond_branch(0x1000, 0xF47F, 0xAFFE, &t)); /* bne.w -0 */
    assert_int_equal(t, 0x1000);
    assert_false(hil_glitch_cond_branch(0x1000, 0xF7FF, 0xFFFE, &t)); /* bl */
    /* ITAdvance: IT EQ with 2 instructions (ITSTATE 0x04 | mask) */
    uint32_t xpsr = 0x01000000u | (0x0Cu >> 2) << 10; /* IT[7:2] = 0b000011, IT[1:0] = 0 -> it = 0x0C */
    uint32_t x1 = hil_glitch_it_advance(xpsr);
    assert_int_equal(((x1 >> 10) & 0x3Fu) << 2 | ((x1 >> 25) & 3u), 0x18);
    assert_int_equal(hil_glitch_it_advance(x1) & ((0x3Fu << 10) | (3u << 25)), 0u); /* 0x18: last one, IT ends */
    assert_int_equal(hil_glitch_it_advance(0x01000000u), 0x01000000u);
}

static void test_hil_sweep_glitch_expand_ids(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    assert_int_equal(parse("sweep:\n  step: 1\n  through: 2\n  glitch: all\n  n: {from: 2, to: 3}\n", &l), 0);
    struct hil_glitch g = { 0 };
    struct hil_glitch_point pts[3] = { { 0x08000790, 1, 2, false }, { 0x08000792, 1, 2, true },
                                       { 0x08000790, 2, 2, false } };
    g.nfn = 1;
    g.fn[0] = (struct hil_glitch_fn){ 0x08000788, 0x08000800, "boot_main" };
    g.points = pts;
    g.npoints = 3;
    struct hil_case *c = NULL;
    int n = 0;
    assert_int_equal(hil_sweep_glitch_expand(l.items[0], &g, &c, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_string_equal(c[0].id, "g.t@glitch:boot_main+0xa:1:skip");
    assert_string_equal(c[1].id, "g.t@glitch:boot_main+0xa:1:branch");
    assert_string_equal(c[2].id, "g.t@glitch:boot_main+0x8:2:skip");
    assert_int_equal(c[2].glitch_pc, 0x08000790);
    assert_int_equal(c[2].n, 2);
    free(c);
    hil_scenario_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_sweep_parse_glitch_forms),
        cmocka_unit_test(test_hil_glitch_decode_thumb2),
        cmocka_unit_test(test_hil_sweep_glitch_expand_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
