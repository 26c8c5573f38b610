/**
 * @file fault_parse-test.c
 * @brief Faults anywhere (issue 15 item 1): `faults:` on power_on, reset,
 * wait_ms and expect_console; power cuts placed at a console line
 * (`at_console`) or a device time (`at_ms`); `torn: bits` in a single
 * fault; and every bad form with its `file:line:` message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "scenario/fault_parse.h"
#include "scenario/scenario.h"

#include "parse_fixture.h"

static void test_parse_step_faults_every_step(void **state)
{
    (void)state;
    static const char text[] =
        "id: a.b\n"
        "steps:\n"
        "  - power_on: {faults: [{kind: power_cut, on: program, region: meta, n: 1, torn: bits}]}\n"
        "  - reset: {timeout_ms: 500, faults: [{kind: power_cut, at_console: '^BL: trial'}]}\n"
        "  - wait_ms: {ms: 3000, faults: [{kind: power_cut, at_ms: 1300}]}\n"
        "  - expect_console:\n"
        "      match: '^APP: confirmed'\n"
        "      faults:\n"
        "        - {kind: power_cut, on: erase, n: 2, torn: half}\n"
        "  - wait_ms: 5\n"
        "  - power_on\n";
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok(text, &l);
    assert_int_equal(s->nsteps, 6);
    const struct hil_step *st = s->steps;
    assert_int_equal(st[0].nfaults, 1);
    assert_int_equal(st[0].faults[0].at, HIL_AT_OP);
    assert_int_equal(st[0].faults[0].torn, HIL_TORN_BITS);
    assert_int_equal(st[0].faults[0].region, HIL_FREGION_META);
    assert_int_equal(st[0].faults[0].line, 3);
    assert_int_equal(st[0].timeout_ms, HIL_DEFAULT_CONSOLE_TIMEOUT_MS);
    assert_int_equal(st[1].kind, HIL_STEP_RESET);
    assert_int_equal(st[1].timeout_ms, 500);
    assert_int_equal(st[1].faults[0].at, HIL_AT_CONSOLE);
    assert_string_equal(st[1].faults[0].at_console, "^BL: trial");
    assert_true(st[1].faults[0].at_re_ok);
    assert_int_equal(regexec(&st[1].faults[0].at_re, "BL: trial slot=B version=2.0.0", 0, NULL, 0), 0);
    assert_int_equal(st[2].ms, 3000);
    assert_int_equal(st[2].faults[0].at, HIL_AT_MS);
    assert_int_equal(st[2].faults[0].at_ms, 1300);
    assert_true(hil_fault_at_line_or_time(&st[2].faults[0]));
    assert_int_equal(st[3].faults[0].on, HIL_OP_ERASE);
    assert_int_equal(st[3].faults[0].n, 2);
    assert_int_equal(st[3].faults[0].line, 9);
    assert_int_equal(st[4].nfaults, 0);
    assert_int_equal(st[4].ms, 5);
    assert_int_equal(st[5].nfaults, 0);
    hil_scenario_list_free(&l);
}

static void test_parse_update_fault_placements(void **state)
{
    (void)state;
    static const char text[] =
        "id: a.b\n"
        "steps:\n"
        "  - update:\n"
        "      image: x.img\n"
        "      expect: interrupted\n"
        "      faults:\n"
        "        - {kind: power_cut, at_ms: 0}\n"
        "        - {kind: power_cut, at_console: 'BL: update begin'}\n"
        "        - {kind: power_cut, on: program, region: slot, n: last, torn: bits}\n";
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok(text, &l);
    const struct hil_update *u = &s->steps[0].update;
    assert_int_equal(u->nfaults, 3);
    assert_int_equal(u->faults[0].at, HIL_AT_MS);
    assert_int_equal(u->faults[0].at_ms, 0);
    assert_int_equal(u->faults[1].at, HIL_AT_CONSOLE);
    assert_int_equal(u->faults[2].at, HIL_AT_OP);
    assert_int_equal(u->faults[2].n_kind, HIL_FN_LAST);
    assert_int_equal(u->faults[2].torn, HIL_TORN_BITS);
    assert_false(hil_fault_at_line_or_time(&u->faults[2]));
    hil_scenario_list_free(&l);
}

#define STEP(yaml) "id: a.b\nsteps:\n" yaml

static void test_parse_fault_placement_bad_forms(void **state)
{
    (void)state;
    static const struct { const char *text, *msg; } cases[] = {
        { STEP("  - wait_ms:\n      faults: []\n"), "t.yaml:4: wait_ms needs 'ms'" },
        { STEP("  - wait_ms: {ms: 5, cut: 1}\n"), "t.yaml:3: unknown key 'cut' in wait_ms (expected one of: ms, faults)" },
        { STEP("  - wait_ms: {ms: soon}\n"), "t.yaml:3: wait_ms ms must be a non-negative integer, got 'soon'" },
        { STEP("  - wait_ms: {ms: 5, faults: {kind: power_cut}}\n"), "t.yaml:3: faults must be a list, got a mapping" },
        { STEP("  - power_on: {boot0: low, cut: 1}\n"),
          "t.yaml:3: unknown key 'cut' in power_on (expected one of: boot0, faults, timeout_ms)" },
        { STEP("  - reset: {boot0: high}\n"), "t.yaml:3: unknown key 'boot0' in reset (expected one of: faults, timeout_ms)" },
        { STEP("  - reset: 3\n"), "t.yaml:3: step reset takes no value but a mapping (faults, timeout_ms)" },
        { STEP("  - power_cut: {faults: []}\n"), "t.yaml:3: step power_cut takes no value" },
        { STEP("  - power_on: {timeout_ms: 5}\n"), "t.yaml:3: timeout_ms bounds the faults of a power_on step: give faults" },
        { STEP("  - power_on: {timeout_ms: 0, faults: []}\n"), "t.yaml:3: power_on timeout_ms must be at least 1" },
        { STEP("  - power_on:\n      boot0: high\n      faults: [{kind: power_cut, at_ms: 5}]\n"),
          "t.yaml:4: power_on with boot0: high starts the ST ROM" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: drop, dir: to_target, frame: 1}\n"),
          "t.yaml:6: a drop fault needs an update step (its link or updater); a wait_ms step takes power_cut faults" },
        { STEP("  - power_on:\n      faults:\n        - {kind: power_cut, frame: 3}\n"),
          "t.yaml:5: a power_cut at a frame needs an update step" },
        { STEP("  - expect_console:\n      match: x\n      faults:\n        - {kind: power_cut, on: program, "
               "region: slot, n: last}\n"),
          "t.yaml:6: n: last counts an image's DATA frames: update steps only; in a expect_console step give a count" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_ms: 5, at_console: x}\n"),
          "t.yaml:6: a power_cut is placed by one of at_console, at_ms, on/n or frame, not by at_console and at_ms" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_ms: 5, on: program}\n"),
          "t.yaml:6: key 'on' does not apply to a power_cut placed by at_ms" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_console: x, frame: 2}\n"),
          "t.yaml:6: key 'frame' does not apply to a power_cut placed by at_console" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_ms: 5, torn: half}\n"),
          "t.yaml:6: torn applies to a cut at a flash operation (on/n): a cut in time falls between operations" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_console: x, torn: all}\n"),
          "t.yaml:6: torn applies to a cut at a flash operation (on/n): a cut at a console line falls" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_ms: soon}\n"),
          "t.yaml:6: at_ms must be milliseconds of device time (0..4294967295), got 'soon'" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_ms: -1}\n"),
          "t.yaml:6: at_ms must be milliseconds of device time" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_ms: 99999999999}\n"),
          "t.yaml:6: at_ms must be milliseconds of device time" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_ms: [1]}\n"),
          "t.yaml:6: at_ms must be milliseconds of device time (0..4294967295), got '(not a scalar)'" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_console: '(x'}\n"),
          "t.yaml:6: at_console: bad regex /(x/" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_console: ''}\n"),
          "t.yaml:6: at_console must be a regex" },
        { STEP("  - wait_ms:\n      ms: 5\n      faults:\n        - {kind: power_cut, at_console: '((a{100}){100}){100}'}\n"),
          "t.yaml:6: at_console: bad regex /((a{100}){100}){100}/: too complex" },
        { STEP("  - update:\n      image: x\n      faults:\n        - {kind: drop, dir: to_target, frame: 1, at_ms: 3}\n"),
          "t.yaml:6: key 'at_ms' does not apply to a drop fault" },
        { STEP("  - update:\n      image: x\n      faults:\n        - {kind: power_cut}\n"),
          "t.yaml:6: power_cut fault needs 'on' (program|erase) and 'n', 'frame' (a frame to the target), "
          "'at_console' (a regex) or 'at_ms' (device ms into the step)" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        parse_bad(cases[i].text, cases[i].msg);
    }
}

static void test_hil_fault_check_step_accepts_power_cuts(void **state)
{
    (void)state;
    struct hil_fault f[2];
    memset(f, 0, sizeof(f));
    f[0].kind = HIL_FAULT_POWER_CUT;
    f[0].on = HIL_OP_PROGRAM;
    f[0].n = 1;
    f[1].kind = HIL_FAULT_POWER_CUT;
    f[1].at = HIL_AT_MS;
    assert_int_equal(hil_fault_check_step("t.yaml", HIL_STEP_WAIT_MS, f, 2, err, sizeof(err)), 0);
    f[1].kind = HIL_FAULT_CORRUPT;
    f[1].line = 7;
    assert_int_equal(hil_fault_check_step("t.yaml", HIL_STEP_RESET, f, 2, err, sizeof(err)), FOTA_EINVAL);
    assert_non_null(strstr(err, "t.yaml:7: a corrupt fault needs an update step"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_step_faults_every_step),
        cmocka_unit_test(test_parse_update_fault_placements),
        cmocka_unit_test(test_parse_fault_placement_bad_forms),
        cmocka_unit_test(test_hil_fault_check_step_accepts_power_cuts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
