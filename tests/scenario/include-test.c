/**
 * @file include-test.c
 * @brief `- include: FILE` steps (harness/scenario/include.c): the steps
 * are spliced in place, numbered flat, and remember their file:line; every
 * bad form gives `file:line: what` of the included file and of each use.
 */
#include "reuse_util.h"

#include "scenario/include.h"
#include "scenario/sweep.h"

static const char boot_lib[] =
    "# boot and check the factory image\n"
    "- power_on\n"
    "- expect_console: '^APP: demo v1'\n";

static void test_hil_include_splice_in_place(void **state)
{
    (void)state;
    write_file("lib/boot.yaml", boot_lib);
    write_file("lib/twice.yaml", "- include: lib/boot.yaml\n- reset\n- include: lib/boot.yaml\n");
    struct hil_scenario_list l;
    parse_ok("id: inc.splice\n"
             "steps:\n"
             "  - wait_ms: 1\n"
             "  - include: lib/twice.yaml\n"
             "  - wait_ms: 2\n", &l, 1);
    const struct hil_scenario *s = l.items[0];
    assert_int_equal(s->nsteps, 7);
    static const enum hil_step_kind kinds[] = { HIL_STEP_WAIT_MS, HIL_STEP_POWER_ON, HIL_STEP_EXPECT_CONSOLE,
                                                HIL_STEP_RESET, HIL_STEP_POWER_ON, HIL_STEP_EXPECT_CONSOLE,
                                                HIL_STEP_WAIT_MS };
    for (int i = 0; i < 7; i++) {
        assert_int_equal(s->steps[i].kind, kinds[i]);
    }
    assert_null(s->steps[0].origin);
    assert_int_equal(s->steps[0].line, 3);
    assert_int_equal(s->steps[2].line, 3);
    assert_string_equal(s->steps[2].origin, "lib/boot.yaml:3 (included from lib/twice.yaml:1, from s.yaml:4)");
    assert_string_equal(s->steps[3].origin, "lib/twice.yaml:2 (included from s.yaml:4)");
    assert_string_equal(s->steps[4].origin, "lib/boot.yaml:2 (included from lib/twice.yaml:3, from s.yaml:4)");
    assert_null(s->steps[6].origin);
    assert_int_equal(s->steps[6].ms, 2);
    hil_scenario_list_free(&l);
}

/* A sweep's `step:` counts the steps after splicing. */
static void test_hil_include_splice_sweep_step_counts_spliced(void **state)
{
    (void)state;
    write_file("lib/boot.yaml", boot_lib);
    struct hil_scenario_list l;
    parse_ok("id: inc.sweep\n"
             "steps:\n"
             "  - include: lib/boot.yaml\n"
             "  - update: build/images/demo-2.0.0-B.img\n"
             "  - power_on\n"
             "sweep:\n  power_cut: {on: [program], region: any, torn: [none]}\n", &l, 1);
    assert_int_equal(l.items[0]->steps[2].kind, HIL_STEP_UPDATE);
    assert_int_equal(l.items[0]->sweep->step, 3);
    hil_scenario_list_free(&l);
}

static void test_hil_include_splice_error_names_file_and_use(void **state)
{
    (void)state;
    write_file("lib/bad.yaml", "- power_on\n\n- powr_on\n");
    parse_bad2("id: inc.bad\nsteps:\n  - power_on\n\n  - include: lib/bad.yaml\n",
               "lib/bad.yaml:3: unknown step 'powr_on' (expected one of: ", " (included from s.yaml:5)");
    write_file("lib/outer.yaml", "- reset\n- include: lib/bad.yaml\n");
    parse_bad2("id: inc.bad\nsteps:\n  - include: lib/outer.yaml\n",
               "lib/bad.yaml:3: unknown step 'powr_on'", " (included from lib/outer.yaml:2, from s.yaml:3)");
    write_file("lib/badval.yaml", "- power_on\n- wait_ms: soon\n");
    parse_bad("id: inc.bad\nsteps:\n  - include: lib/badval.yaml\n",
              "lib/badval.yaml:2: wait_ms must be a non-negative integer, got 'soon' (included from s.yaml:3)");
}

static void test_hil_include_splice_cycle_refused(void **state)
{
    (void)state;
    write_file("lib/self.yaml", "- power_on\n- include: lib/self.yaml\n");
    parse_bad("id: inc.cyc\nsteps:\n  - include: lib/self.yaml\n",
              "lib/self.yaml:2: include lib/self.yaml: a cycle (the file includes itself) (included from s.yaml:3)");
    write_file("lib/a.yaml", "- include: lib/b.yaml\n");
    write_file("lib/b.yaml", "- reset\n- include: ./lib/a.yaml\n");
    parse_bad("id: inc.cyc\nsteps:\n  - include: lib/a.yaml\n",
              "lib/b.yaml:2: include ./lib/a.yaml: a cycle (the file includes itself) "
              "(included from lib/a.yaml:1, from s.yaml:3)");
    write_file("s.yaml", "id: inc.cyc\nsteps:\n  - include: lib/back.yaml\n");
    write_file("lib/back.yaml", "- include: s.yaml\n");
    parse_bad("id: inc.cyc\nsteps:\n  - include: lib/back.yaml\n",
              "lib/back.yaml:1: include s.yaml: a cycle (the file includes itself) (included from s.yaml:3)");
}

static void test_hil_include_splice_depth_limit(void **state)
{
    (void)state;
    for (int i = 0; i <= HIL_INCLUDE_MAX_DEPTH; i++) {
        char path[32], text[64];
        snprintf(path, sizeof(path), "lib/d%d.yaml", i);
        snprintf(text, sizeof(text), "- reset\n- include: lib/d%d.yaml\n", i + 1);
        write_file(path, text);
    }
    write_file("lib/d9.yaml", "- reset\n");
    struct hil_scenario_list l;
    write_file("lib/d8.yaml", "- reset\n");
    parse_ok("id: inc.deep\nsteps:\n  - include: lib/d1.yaml\n", &l, 1);
    assert_int_equal(l.items[0]->nsteps, 8);
    hil_scenario_list_free(&l);
    write_file("lib/d8.yaml", "- reset\n- include: lib/d9.yaml\n");
    parse_bad2("id: inc.deep\nsteps:\n  - include: lib/d1.yaml\n",
               "lib/d8.yaml:2: include lib/d9.yaml: includes nested more than 8 deep (included from lib/d7.yaml:2, ",
               ", from lib/d1.yaml:2, from s.yaml:3)");
}

static void test_hil_include_splice_bad_files(void **state)
{
    (void)state;
    parse_bad("id: inc.f\nsteps:\n  - include: lib/nope.yaml\n",
              "s.yaml:3: include lib/nope.yaml: No such file or directory");
    parse_bad("id: inc.f\nsteps:\n  - include: lib\n", "s.yaml:3: include lib: not a regular file");
    parse_bad("id: inc.f\nsteps:\n  - include: [lib/a.yaml]\n",
              "s.yaml:3: include needs a file path (a list of steps), got a list");
    parse_bad("id: inc.f\nsteps:\n  - include:\n", "s.yaml:3: include needs a file path (a list of steps), got nothing");
    write_file("lib/map.yaml", "\n\npower_on: x\n");
    parse_bad("id: inc.f\nsteps:\n  - include: lib/map.yaml\n",
              "lib/map.yaml:3: an included file must be a non-empty list of steps (included from s.yaml:3)");
    write_file("lib/empty.yaml", "[]\n");
    parse_bad("id: inc.f\nsteps:\n  - include: lib/empty.yaml\n",
              "lib/empty.yaml:1: an included file must be a non-empty list of steps (included from s.yaml:3)");
    write_file("lib/two.yaml", "- reset\n---\n- reset\n");
    parse_bad("id: inc.f\nsteps:\n  - include: lib/two.yaml\n",
              "lib/two.yaml:2: an included file holds one document (a list of steps) (included from s.yaml:3)");
    write_file("lib/syntax.yaml", "- reset\n- [power_on\n");
    parse_bad2("id: inc.f\nsteps:\n  - include: lib/syntax.yaml\n", "lib/syntax.yaml:3: YAML syntax error: ",
               " (included from s.yaml:3)");
}

/* A missing image of an included update step names the included file. */
static void test_hil_scenario_check_files_included_image(void **state)
{
    (void)state;
    write_file("boot.bin", "");
    write_file("lib/upd.yaml", "- power_on\n- update: {image: 'nope-{target}.img'}\n");
    struct hil_scenario_list l;
    parse_ok("id: inc.img\nflash: {bootloader: boot.bin, slot_a: boot.bin}\nsteps:\n  - reset\n"
             "  - include: lib/upd.yaml\n", &l, 1);
    assert_int_equal(hil_scenario_check_files(l.items[0], err, sizeof(err)), FOTA_EINVAL);
    assert_string_equal(err, "lib/upd.yaml:2: nope-A.img: No such file or directory (included from s.yaml:5)");
    hil_scenario_list_free(&l);
}

/* The old parser took `include` for an unknown step. */
static void test_hil_include_splice_include_with_other_keys(void **state)
{
    (void)state;
    write_file("lib/boot.yaml", boot_lib);
    parse_bad2("id: inc.k\nsteps:\n  - include: lib/boot.yaml\n    reset:\n",
               "s.yaml:3: a step is a mapping with exactly one key", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_include_splice_in_place),
        cmocka_unit_test(test_hil_include_splice_sweep_step_counts_spliced),
        cmocka_unit_test(test_hil_include_splice_error_names_file_and_use),
        cmocka_unit_test(test_hil_include_splice_cycle_refused),
        cmocka_unit_test(test_hil_include_splice_depth_limit),
        cmocka_unit_test(test_hil_include_splice_bad_files),
        cmocka_unit_test(test_hil_include_splice_include_with_other_keys),
        cmocka_unit_test(test_hil_scenario_check_files_included_image),
    };
    return cmocka_run_group_tests(tests, reuse_setup, reuse_teardown);
}
