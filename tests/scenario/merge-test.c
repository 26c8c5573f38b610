/**
 * @file merge-test.c
 * @brief YAML anchors, aliases and merge keys in scenario files
 * (harness/scenario/merge.c): aliases are libyaml's; `<<:` merges are
 * resolved (the old parser refused `<<` as an unknown key); `x-` keys of
 * the root hold anchors; bad merges give `file:line: what`.
 */
#include "reuse_util.h"

#include "scenario/merge.h"

/* Anchors and aliases (libyaml resolves them): a step list and a mapping reused. */
static void test_hil_merge_resolve_aliases(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    parse_ok("x-boot: &boot\n"
             "  - power_on\n"
             "  - expect_console: '^APP: demo'\n"
             "id: m.alias\n"
             "steps:\n"
             "  - update: &upd {image: build/images/demo-2.0.0-B.img, expect: fail}\n"
             "  - update: *upd\n"
             "---\n"
             "id: m.alias2\n"
             "steps: &s [reset, power_on]\n", &l, 2);
    assert_int_equal(l.items[0]->nsteps, 2);
    assert_int_equal(l.items[0]->steps[1].update.expect, HIL_UPD_FAIL);
    assert_string_equal(l.items[0]->steps[1].update.image, "build/images/demo-2.0.0-B.img");
    assert_int_equal(l.items[1]->nsteps, 2);
    hil_scenario_list_free(&l);
}

static void test_hil_merge_resolve_merge_keys(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    parse_ok("x-upd: &upd {image: build/images/demo-2.0.0-B.img, expect: fail, timeout_ms: 7}\n"
             "x-slow: &slow {timeout_ms: 9, expect: interrupted}\n"
             "x-more: &more {<<: *slow, args: [--verbose]}\n"
             "id: m.merge\n"
             "steps:\n"
             "  - update:\n"
             "      <<: *upd\n"
             "      expect: ok\n"
             "  - update:\n"
             "      <<: [*slow, *upd]\n"
             "  - update: {<<: [*upd, *more]}\n"
             "  - <<: {reset: }\n", &l, 1);
    const struct hil_scenario *s = l.items[0];
    assert_int_equal(s->nsteps, 4);
    assert_int_equal(s->steps[0].update.expect, HIL_UPD_OK);       /* own key wins */
    assert_int_equal(s->steps[0].update.timeout_ms, 7);
    assert_int_equal(s->steps[1].update.expect, HIL_UPD_INTERRUPTED); /* earlier listed wins */
    assert_int_equal(s->steps[1].update.timeout_ms, 9);
    assert_string_equal(s->steps[1].update.image, "build/images/demo-2.0.0-B.img");
    assert_int_equal(s->steps[2].update.timeout_ms, 7);             /* nested merge */
    assert_int_equal(s->steps[2].update.nargs, 1);
    assert_int_equal(s->steps[3].kind, HIL_STEP_RESET);
    hil_scenario_list_free(&l);
}

static void test_hil_merge_resolve_malformed(void **state)
{
    (void)state;
    parse_bad("id: m.bad\nsteps:\n  - update:\n      <<: build/images/x.img\n",
              "s.yaml:4: merge key '<<' must be an alias of a mapping or a list of them, got a scalar");
    parse_bad("x-a: &a {image: x}\nid: m.bad\nsteps:\n  - update:\n      <<: [*a, [y]]\n",
              "s.yaml:5: merge key '<<' must be an alias of a mapping or a list of them, got a list of lists");
    parse_bad("x-a: &a\n  k: 1\n  <<: *a\nid: m.bad\nsteps: [reset]\n",
              "s.yaml:1: merge key '<<': the mapping merges itself (a cycle)");
    parse_bad("id: m.bad\nsteps:\n  - update:\n      '<<': {image: x}\n",
              "s.yaml:4: unknown key '<<' in update (expected one of: image, expect, args, timeout_ms, faults, "
              "protocol, resumed_at, updater)");
}

static void test_hil_merge_resolve_in_included_file(void **state)
{
    (void)state;
    write_file("lib/m.yaml", "- update: &u {image: build/images/demo-2.0.0-B.img, expect: fail}\n"
                             "- update: {<<: *u, expect: ok}\n"
                             "- update: {<<: oops}\n");
    parse_bad("id: m.inc\nsteps:\n  - include: lib/m.yaml\n",
              "lib/m.yaml:3: merge key '<<' must be an alias of a mapping or a list of them, got a scalar "
              "(included from s.yaml:3)");
    write_file("lib/m.yaml", "- update: &u {image: build/images/demo-2.0.0-B.img, expect: fail}\n"
                             "- update: {<<: *u, expect: ok}\n");
    struct hil_scenario_list l;
    parse_ok("id: m.inc\nsteps:\n  - include: lib/m.yaml\n", &l, 1);
    assert_int_equal(l.items[0]->steps[1].update.expect, HIL_UPD_OK);
    hil_scenario_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_merge_resolve_aliases),
        cmocka_unit_test(test_hil_merge_resolve_merge_keys),
        cmocka_unit_test(test_hil_merge_resolve_malformed),
        cmocka_unit_test(test_hil_merge_resolve_in_included_file),
    };
    return cmocka_run_group_tests(tests, reuse_setup, reuse_teardown);
}
