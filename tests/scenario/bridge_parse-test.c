/**
 * @file bridge_parse-test.c
 * @brief The bridge steps (issue 12 item 2, docs/SCENARIOS.md "Bridge
 * steps"): servers, publish_image, mqtt_trigger, bridge (via, args,
 * netfault, power-cut faults), expect_mqtt; every bad form with its
 * `file:line:` message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "scenario/scenario.h"

#include "parse_fixture.h"

static void test_hil_parse_bridge_step_every_form(void **state)
{
    (void)state;
    static const char text[] =
        "id: bridge.x\n"
        "steps:\n"
        "  - servers\n"
        "  - publish_image: build/images/demo-2.0.0-B.img\n"
        "  - publish_image: {image: build/images/demo-3.0.0-B.img, name: fw.img}\n"
        "  - bridge: start\n"
        "  - mqtt_trigger\n"
        "  - mqtt_trigger: now\n"
        "  - bridge:\n"
        "      action: start\n"
        "      via: an4221\n"
        "      args: [--chunk, '4096']\n"
        "      netfault: {on: http, kind: etag_change, conn: 2, image: build/images/demo-3.0.0-B.img}\n"
        "      faults: [{kind: power_cut, on: program, region: slot_b, n: 3}]\n"
        "      timeout_ms: 90000\n"
        "  - expect_mqtt: {states: [downloading, done], state: done, version: 2.0.1, absent: failed}\n"
        "  - bridge: kill\n"
        "  - bridge: {action: stop}\n";
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok(text, &l);
    assert_int_equal(s->nsteps, 10);
    assert_int_equal(s->steps[0].kind, HIL_STEP_SERVERS);
    assert_string_equal(s->steps[1].publish.image, "build/images/demo-2.0.0-B.img");
    assert_null(s->steps[1].publish.name);
    assert_string_equal(s->steps[2].publish.name, "fw.img");
    assert_int_equal(s->steps[3].bridge.action, HIL_BRIDGE_START);
    assert_int_equal(s->steps[3].bridge.via, HIL_PROTO_FOTA);
    assert_null(s->steps[4].payload);
    assert_string_equal(s->steps[5].payload, "now");
    const struct hil_step *b = &s->steps[6];
    assert_int_equal(b->bridge.via, HIL_PROTO_AN4221);
    assert_int_equal(b->bridge.nargs, 2);
    assert_string_equal(b->bridge.args[1], "4096");
    assert_true(b->bridge.has_netfault);
    assert_int_equal(b->bridge.nf.kind, HIL_NF_ETAG_CHANGE);
    assert_int_equal(b->bridge.nf.conn, 2);
    assert_string_equal(b->bridge.nf_image, "build/images/demo-3.0.0-B.img");
    assert_int_equal(b->nfaults, 1);
    assert_int_equal(b->timeout_ms, 90000);
    const struct hil_expect_mqtt *m = &s->steps[7].mqtt;
    assert_int_equal(m->nstates, 2);
    assert_string_equal(m->states[0], "downloading");
    assert_string_equal(m->state, "done");
    assert_true(m->has_version);
    uint32_t v201 = 0;
    assert_int_equal(hil_parse_version("2.0.1", &v201), 0);
    assert_int_equal(m->version, v201);
    assert_string_equal(m->absent, "failed");
    assert_int_equal(s->steps[8].bridge.action, HIL_BRIDGE_KILL);
    assert_int_equal(s->steps[9].bridge.action, HIL_BRIDGE_STOP);
    hil_scenario_list_free(&l);
}

static void test_hil_parse_bridge_step_netfault_kinds(void **state)
{
    (void)state;
    static const char text[] =
        "id: bridge.y\n"
        "steps:\n"
        "  - bridge: {action: start, netfault: {kind: drip, drip_bytes: 512, drip_ms: 20}}\n"
        "  - bridge: {action: start, netfault: {on: mqtt, kind: disconnect, conn: 1, after: 200}}\n"
        "  - bridge: {action: start, netfault: {kind: http_503, conn: 1, count: 2}}\n";
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok(text, &l);
    assert_int_equal(s->steps[0].bridge.nf_on, HIL_NF_ON_HTTP);
    assert_int_equal(s->steps[0].bridge.nf.drip_bytes, 512);
    assert_int_equal(s->steps[1].bridge.nf_on, HIL_NF_ON_MQTT);
    assert_int_equal(s->steps[1].bridge.nf.after, 200);
    assert_int_equal(s->steps[2].bridge.nf.count, 2);
    hil_scenario_list_free(&l);
}

static void test_hil_parse_bridge_step_bad_input_named_with_line(void **state)
{
    (void)state;
    parse_bad("id: a.b\nsteps:\n  - servers: now\n", "t.yaml:3: servers takes no value");
    parse_bad("id: a.b\nsteps:\n  - publish_image\n", "t.yaml:3: publish_image needs an image path");
    parse_bad("id: a.b\nsteps:\n  - publish_image: {name: x}\n", "t.yaml:3: publish_image needs 'image'");
    parse_bad("id: a.b\nsteps:\n  - publish_image: {image: a, name: ../x}\n", "t.yaml:3: publish_image name");
    parse_bad("id: a.b\nsteps:\n  - mqtt_trigger: [a]\n", "t.yaml:3: mqtt_trigger takes nothing or a payload");
    parse_bad("id: a.b\nsteps:\n  - bridge\n", "t.yaml:3: bridge needs start, stop, kill");
    parse_bad("id: a.b\nsteps:\n  - bridge: go\n", "t.yaml:3: bridge action must be start, stop or kill, got 'go'");
    parse_bad("id: a.b\nsteps:\n  - bridge: {via: proto}\n", "t.yaml:3: bridge needs 'action'");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, via: an9999}\n", "t.yaml:3: bridge via must be");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: stop, via: proto}\n", "t.yaml:3: bridge stop takes no other");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, colour: red}\n", "t.yaml:3:");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, timeout_ms: 5}\n", "t.yaml:3: bridge timeout_ms bounds");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, netfault: {kind: melt}}\n",
              "t.yaml:3: netfault needs 'kind': one of reset");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, netfault: {on: ftp, kind: reset}}\n",
              "t.yaml:3: netfault on: must be http or mqtt");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, netfault: {kind: drip}}\n",
              "t.yaml:3: netfault drip needs drip_bytes");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, netfault: {kind: etag_change, conn: 2}}\n",
              "t.yaml:3: netfault 'image' goes with kind etag_change");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, netfault: {kind: reset, image: x}}\n",
              "t.yaml:3: netfault 'image' goes with kind etag_change");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, netfault: {kind: etag_change, image: x}}\n",
              "t.yaml:3: netfault etag_change needs on: http and conn >= 1");
    parse_bad("id: a.b\nsteps:\n  - bridge: {action: start, faults: [{kind: drop, dir: to_target, frame: 3}]}\n",
              "t.yaml:3: a drop fault needs an update step");
    parse_bad("id: a.b\nsteps:\n  - expect_mqtt\n", "t.yaml:3: expect_mqtt needs {state");
    parse_bad("id: a.b\nsteps:\n  - expect_mqtt: {version: 2.0.0}\n", "t.yaml:3: expect_mqtt needs 'state'");
    parse_bad("id: a.b\nsteps:\n  - expect_mqtt: {state: finished}\n",
              "t.yaml:3: expect_mqtt state: unknown bridge state 'finished'");
    parse_bad("id: a.b\nsteps:\n  - expect_mqtt: {state: done, states: [done, nope]}\n",
              "t.yaml:3: expect_mqtt states item: unknown bridge state 'nope'");
    parse_bad("id: a.b\nsteps:\n  - expect_mqtt: {state: done, version: two}\n",
              "t.yaml:3: expect_mqtt version must be x.y.z");
    parse_bad("id: a.b\nsteps:\n  - expect_mqtt: {state: done, timeout_ms: 0}\n", "t.yaml:3:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_parse_bridge_step_every_form),
        cmocka_unit_test(test_hil_parse_bridge_step_netfault_kinds),
        cmocka_unit_test(test_hil_parse_bridge_step_bad_input_named_with_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
