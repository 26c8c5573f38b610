/**
 * @file params-test.c
 * @brief `params:` matrices (harness/scenario/params.c): the cases, their
 * ids and order, `${name}` substituted into every string (included files
 * too), `link` set; every bad form gives `file:line: what`.
 */
#include "reuse_util.h"

#include "fota/image.h"
#include "scenario/params.h"

static const char matrix[] =
    "id: upd.chain\n"
    "description: from ${from} over ${link}\n"
    "params:\n"
    "  link: [uart, spi]\n"
    "  from: [1.0.0, 2.0.0]\n"
    "steps:\n"
    "  - power_on\n"
    "  - expect_console: '^APP: demo v${from} slot A'\n"
    "  - update: build/images/demo-${from}-{target}.img\n"
    "  - expect: {running: {slot: A, version: '${from}'}}\n";

static void test_hil_params_parse_matrix(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    parse_ok(matrix, &l, 4);
    static const char *const ids[] = { "upd.chain@link=uart,from=1.0.0", "upd.chain@link=uart,from=2.0.0",
                                       "upd.chain@link=spi,from=1.0.0", "upd.chain@link=spi,from=2.0.0" };
    for (int i = 0; i < 4; i++) {
        const struct hil_scenario *s = l.items[i];
        const char *from = i % 2 == 0 ? "1.0.0" : "2.0.0";
        char want[128];
        assert_string_equal(s->id, ids[i]);
        assert_int_equal(s->link, i < 2 ? HIL_LINK_UART : HIL_LINK_SPI);
        snprintf(want, sizeof(want), "from %s over %s", from, i < 2 ? "uart" : "spi");
        assert_string_equal(s->description, want);
        snprintf(want, sizeof(want), "^APP: demo v%s slot A", from);
        assert_string_equal(s->steps[1].regex, want);
        snprintf(want, sizeof(want), "build/images/demo-%s-{target}.img", from);
        assert_string_equal(s->steps[2].update.image, want);
        assert_int_equal(s->steps[3].expect.running_version, i % 2 == 0 ? IMAGE_VERSION(1, 0, 0) : IMAGE_VERSION(2, 0, 0));
    }
    assert_int_equal(hil_scenario_check_unique(&l, err, sizeof(err)), 0);
    hil_scenario_list_free(&l);
}

/* Without params a document gives one scenario, its id as written. */
static void test_hil_params_parse_none_keeps_id(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    parse_ok("id: p.none\nsteps:\n  - update: build/images/a-$${x}-{target}.img\n", &l, 1);
    assert_string_equal(l.items[0]->id, "p.none");
    assert_string_equal(l.items[0]->steps[0].update.image, "build/images/a-${x}-{target}.img");
    hil_scenario_list_free(&l);
}

static void test_hil_params_parse_into_included_steps(void **state)
{
    (void)state;
    write_file("lib/v.yaml", "- reset\n- expect_console: 'v${v}'\n");
    struct hil_scenario_list l;
    parse_ok("id: p.inc\nparams: {v: ['1', '2', '3']}\nsteps:\n  - include: lib/v.yaml\n", &l, 3);
    assert_string_equal(l.items[2]->id, "p.inc@v=3");
    assert_string_equal(l.items[2]->steps[1].regex, "v3");
    assert_int_equal(l.items[2]->link, HIL_LINK_UART);
    hil_scenario_list_free(&l);
    write_file("lib/w.yaml", "- reset\n- expect_console: 'v${w}'\n");
    parse_bad("id: p.inc\nparams: {v: ['1']}\nsteps:\n  - include: lib/w.yaml\n",
              "lib/w.yaml:2: unknown placeholder '${w}' (not a name under params) (included from s.yaml:4)");
}

static void test_hil_params_parse_malformed(void **state)
{
    (void)state;
    parse_bad("id: p.bad\nsteps:\n  - expect_console: 'v${from}'\n",
              "s.yaml:3: unknown placeholder '${from}' (the scenario has no params)");
    parse_bad("id: p.bad\nparams: {a: [x]}\nsteps:\n  - reset\n  - expect_console: 'v${b}'\n",
              "s.yaml:5: unknown placeholder '${b}' (not a name under params)");
    parse_bad("id: p.bad\nparams: {a: [x]}\nsteps:\n  - expect_console: 'v${a'\n",
              "s.yaml:4: unterminated placeholder '${a' (write ${name}, or $${ for a literal ${)");
    parse_bad("id: p.bad\nparams: [a]\nsteps: [reset]\n", "s.yaml:2: params must be a mapping of name: [values], got a list");
    parse_bad("id: p.bad\nparams: {}\nsteps: [reset]\n", "s.yaml:2: params must be a mapping of name: [values], got an empty mapping");
    parse_bad("id: p.bad\nparams:\n  a: []\nsteps: [reset]\n", "s.yaml:3: params a is empty (give at least one value)");
    parse_bad("id: p.bad\nparams:\n  a: x\nsteps: [reset]\n", "s.yaml:3: params a must be a list of values, got a scalar");
    parse_bad("id: p.bad\nparams:\n  a:\n    - x\n    - {y: 1}\nsteps: [reset]\n",
              "s.yaml:5: params a: values must be scalars, got a mapping");
    parse_bad("id: p.bad\nparams:\n  a: ['x y']\nsteps: [reset]\n",
              "s.yaml:3: params a: value 'x y' must be 1 to 32 of [A-Za-z0-9._-] (it goes into the case id)");
    parse_bad("id: p.bad\nparams:\n  a: [x, x]\nsteps: [reset]\n", "s.yaml:3: params a: value 'x' given twice");
    parse_bad("id: p.bad\nparams:\n  Big: [x]\nsteps: [reset]\n",
              "s.yaml:3: params: a parameter name must be [a-z][a-z0-9_]*, got 'Big'");
    parse_bad("id: p.bad\nparams:\n  target: [A]\nsteps: [reset]\n",
              "s.yaml:3: params: 'target' is reserved ({target} is the slot letter in image paths)");
    parse_bad("id: p.bad\nparams:\n  a: [x]\n  a: [y]\nsteps: [reset]\n", "s.yaml:4: params: duplicate parameter 'a'");
    parse_bad("id: p.bad\nparams:\n  link: [uart, usb]\nsteps: [reset]\n",
              "s.yaml:3: params link: value must be uart or spi, got 'usb'");
    parse_bad("id: p.bad\nlink: spi\nparams:\n  link: [uart]\nsteps: [reset]\n",
              "s.yaml:2: link is given both as a key and as a parameter");
}

static void test_hil_params_parse_limits(void **state)
{
    (void)state;
    parse_bad("id: p.big\nparams:\n  a: [a1, a2, a3, a4, a5, a6, a7, a8, a9]\n  b: [b1, b2, b3, b4, b5, b6, b7, b8]\n"
              "steps: [reset]\n",
              "s.yaml:2: params: more than 64 cases (the product of the value counts)");
    struct hil_scenario_list l;
    parse_ok("id: p.big\nparams:\n  a: [a1, a2, a3, a4, a5, a6, a7, a8]\n  b: [b1, b2, b3, b4, b5, b6, b7, b8]\n"
             "steps: [reset]\n", &l, 64);
    assert_string_equal(l.items[63]->id, "p.big@a=a8,b=b8");
    hil_scenario_list_free(&l);
    parse_bad("id: p.sw\nparams:\n  a: [x]\nsteps:\n  - power_on\n  - update: build/images/demo-2.0.0-B.img\n"
              "  - power_on\nsweep:\n  power_cut: {on: [program], region: any, torn: [none]}\n",
              "s.yaml:2: params and sweep do not combine (a sweep case id has its own '@'); "
              "write one scenario per parameter value");
}

/* A value that makes a bad field fails with its case named. */
static void test_hil_params_parse_bad_value_names_case(void **state)
{
    (void)state;
    parse_bad("id: p.v\nparams:\n  v: [1.0.0, banana]\nsteps:\n  - expect: {running: {slot: A, version: '${v}'}}\n",
              "s.yaml:5: running version must be x.y.z, got 'banana' (in case v=banana)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_params_parse_matrix),
        cmocka_unit_test(test_hil_params_parse_none_keeps_id),
        cmocka_unit_test(test_hil_params_parse_into_included_steps),
        cmocka_unit_test(test_hil_params_parse_malformed),
        cmocka_unit_test(test_hil_params_parse_limits),
        cmocka_unit_test(test_hil_params_parse_bad_value_names_case),
    };
    return cmocka_run_group_tests(tests, reuse_setup, reuse_teardown);
}
