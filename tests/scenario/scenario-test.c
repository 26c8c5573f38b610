/**
 * @file scenario-test.c
 * @brief Scenario parser: every step and fault kind parses to the right
 * struct; every malformed input gives `file:line: what is wrong` and no
 * crash (run under ASan+UBSan with `make SAN=1 units`).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fota/proto.h"
#include "scenario/scenario.h"
#include "scenario/rom_quirks.h"

#include "parse_fixture.h"

static void test_parse_all_steps(void **state)
{
    (void)state;
    static const char text[] =
        "id: update.clean.a_to_b\n"
        "description: clean update\n"
        "tags: [quick, update]\n"
        "timeout_ms: 30000\n"
        "flash:\n"
        "  slot_b: build/images/demo-1.0.0-B.img\n"
        "steps:\n"
        "  - power_on\n"
        "  - expect_console: '^APP: demo v1\\.0\\.0'\n"
        "  - expect_console: {match: 'BL: boot slot=A', timeout_ms: 500}\n"
        "  - console_absent: 'rollback'\n"
        "  - wait_ms: 250\n"
        "  - reset\n"
        "  - power_cut\n"
        "  - power_on:\n"
        "  - update:\n"
        "      image: build/images/demo-2.0.0-B.img\n"
        "      expect: interrupted\n"
        "      args: [--timeout-ms, '500']\n"
        "      timeout_ms: 9000\n"
        "  - update: build/images/demo-2.0.0-B.img\n"
        "  - expect:\n"
        "      running: {slot: B, version: 2.0.0}\n"
        "      active: none\n"
        "      slots: {A: confirmed, B: trial}\n"
        "      timeout_ms: 700\n";
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok(text, &l);
    assert_string_equal(s->id, "update.clean.a_to_b");
    assert_string_equal(s->description, "clean update");
    assert_int_equal(s->ntags, 2);
    assert_string_equal(s->tags[0], "quick");
    assert_true(hil_scenario_has_tag(s, "update"));
    assert_false(hil_scenario_has_tag(s, "slow"));
    assert_int_equal(s->nplatforms, 1);
    assert_true(hil_scenario_on_platform(s, "qemu"));
    assert_int_equal(s->timeout_ms, 30000);
    assert_string_equal(s->flash.bootloader, HIL_DEFAULT_BOOTLOADER_BIN);
    assert_string_equal(s->flash.slot_a, HIL_DEFAULT_SLOT_A_IMAGE);
    assert_string_equal(s->flash.slot_b, "build/images/demo-1.0.0-B.img");
    assert_null(s->flash.file);
    assert_int_equal(s->nsteps, 11);
    struct hil_step *st = s->steps;
    assert_int_equal(st[0].kind, HIL_STEP_POWER_ON);
    assert_int_equal(st[0].line, 8);
    assert_int_equal(st[1].kind, HIL_STEP_EXPECT_CONSOLE);
    assert_string_equal(st[1].regex, "^APP: demo v1\\.0\\.0");
    assert_int_equal(st[1].timeout_ms, HIL_DEFAULT_CONSOLE_TIMEOUT_MS);
    assert_int_equal(regexec(&st[1].re, "APP: demo v1.0.0 slot A (confirmed)", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(&st[1].re, "APP: demo v1x0.0", 0, NULL, 0), 0);
    assert_int_equal(st[2].kind, HIL_STEP_EXPECT_CONSOLE);
    assert_int_equal(st[2].timeout_ms, 500);
    assert_int_equal(st[2].line, 10);
    assert_int_equal(st[3].kind, HIL_STEP_CONSOLE_ABSENT);
    assert_string_equal(st[3].regex, "rollback");
    assert_int_equal(st[4].kind, HIL_STEP_WAIT_MS);
    assert_int_equal(st[4].ms, 250);
    assert_int_equal(st[5].kind, HIL_STEP_RESET);
    assert_int_equal(st[6].kind, HIL_STEP_POWER_CUT);
    assert_int_equal(st[7].kind, HIL_STEP_POWER_ON);
    assert_int_equal(st[8].kind, HIL_STEP_UPDATE);
    assert_string_equal(st[8].update.image, "build/images/demo-2.0.0-B.img");
    assert_int_equal(st[8].update.expect, HIL_UPD_INTERRUPTED);
    assert_int_equal(st[8].update.nargs, 2);
    assert_string_equal(st[8].update.args[0], "--timeout-ms");
    assert_string_equal(st[8].update.args[1], "500");
    assert_int_equal(st[8].update.timeout_ms, 9000);
    assert_int_equal(st[8].update.nfaults, 0);
    assert_int_equal(st[9].kind, HIL_STEP_UPDATE);
    assert_int_equal(st[9].update.expect, HIL_UPD_OK);
    assert_int_equal(st[9].update.timeout_ms, HIL_DEFAULT_UPDATE_TIMEOUT_MS);
    struct hil_expect *e = &st[10].expect;
    assert_int_equal(st[10].kind, HIL_STEP_EXPECT);
    assert_true(e->has_running);
    assert_int_equal(e->running_slot, LAYOUT_SLOT_B);
    assert_true(e->has_running_version);
    assert_int_equal(e->running_version, IMAGE_VERSION(2, 0, 0));
    assert_true(e->has_active);
    assert_int_equal(e->active, HIL_SLOT_NONE);
    assert_true(e->has_slot_state[0]);
    assert_int_equal(e->slot_state[0], META_SLOT_CONFIRMED);
    assert_int_equal(e->slot_state[1], META_SLOT_TRIAL);
    assert_int_equal(e->timeout_ms, 700);
    hil_scenario_list_free(&l);
}

static void test_parse_faults(void **state)
{
    (void)state;
    static const char text[] =
        "id: power.cut.faults\n"
        "steps:\n"
        "  - update:\n"
        "      image: x.img\n"
        "      expect: fail\n"
        "      faults:\n"
        "        - {kind: power_cut, on: program, region: slot, n: 3, torn: half}\n"
        "        - {kind: power_cut, on: erase, region: meta, n: 1}\n"
        "        - {kind: power_cut, on: program, region: slot_b, n: last, torn: all}\n"
        "        - {kind: power_cut, on: program, region: slot, n: middle}\n"
        "        - {kind: corrupt, dir: to_target, frame: 5, byte: 20}\n"
        "        - {kind: corrupt, dir: to_host, frame: 2, byte: 0, type: DATA_RSP}\n"
        "        - {kind: drop, dir: to_host, frame: 4}\n"
        "        - {kind: disconnect, frame: 9, type: DATA}\n"
        "        - kind: power_cut\n"
        "          on: program\n"
        "          n: 2\n"
        "        - {kind: power_cut, frame: 3, type: DATA}\n"
        "        - {kind: power_cut, dir: to_target, frame: 1, type: END}\n"
        "        - {kind: power_cut, frame: 6}\n";
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok(text, &l);
    struct hil_update *u = &s->steps[0].update;
    assert_int_equal(u->expect, HIL_UPD_FAIL);
    assert_int_equal(u->nfaults, 12);
    struct hil_fault *f = u->faults;
    assert_int_equal(f[0].kind, HIL_FAULT_POWER_CUT);
    assert_int_equal(f[0].on, HIL_OP_PROGRAM);
    assert_int_equal(f[0].region, HIL_FREGION_SLOT);
    assert_int_equal(f[0].n_kind, HIL_FN_NUMBER);
    assert_int_equal(f[0].n, 3);
    assert_int_equal(f[0].torn, HIL_TORN_HALF);
    assert_int_equal(f[0].line, 7);
    assert_int_equal(f[1].on, HIL_OP_ERASE);
    assert_int_equal(f[1].region, HIL_FREGION_META);
    assert_int_equal(f[1].torn, HIL_TORN_NONE);
    assert_int_equal(f[2].region, HIL_FREGION_SLOT_B);
    assert_int_equal(f[2].n_kind, HIL_FN_LAST);
    assert_int_equal(f[2].torn, HIL_TORN_ALL);
    assert_int_equal(f[3].n_kind, HIL_FN_MIDDLE);
    assert_int_equal(f[4].kind, HIL_FAULT_CORRUPT);
    assert_int_equal(f[4].dir, HIL_DIR_TO_TARGET);
    assert_int_equal(f[4].frame, 5);
    assert_int_equal(f[4].byte, 20);
    assert_int_equal(f[4].frame_type, -1);
    assert_int_equal(f[5].dir, HIL_DIR_TO_HOST);
    assert_int_equal(f[5].byte, 0);
    assert_int_equal(f[5].frame_type, PROTO_T_DATA | PROTO_T_RSP);
    assert_int_equal(f[6].kind, HIL_FAULT_DROP);
    assert_int_equal(f[6].dir, HIL_DIR_TO_HOST);
    assert_int_equal(f[6].frame, 4);
    assert_int_equal(f[7].kind, HIL_FAULT_DISCONNECT);
    assert_int_equal(f[7].dir, HIL_DIR_TO_TARGET);
    assert_int_equal(f[7].frame, 9);
    assert_int_equal(f[7].frame_type, PROTO_T_DATA);
    assert_int_equal(f[8].region, HIL_FREGION_ANY);
    assert_int_equal(f[8].n, 2);
    assert_int_equal(f[8].line, 15);
    assert_false(hil_fault_at_frame(&f[0]));
    assert_false(hil_fault_at_frame(&f[8]));
    /* power_cut at a frame: the Nth to_target frame (of a type), no flash-op fields. */
    assert_int_equal(f[9].kind, HIL_FAULT_POWER_CUT);
    assert_true(hil_fault_at_frame(&f[9]));
    assert_int_equal(f[9].frame, 3);
    assert_int_equal(f[9].frame_type, PROTO_T_DATA);
    assert_int_equal(f[9].dir, HIL_DIR_TO_TARGET);
    assert_int_equal((int)f[9].on, 0);
    assert_int_equal(f[9].line, 18);
    assert_true(hil_fault_at_frame(&f[10]));
    assert_int_equal(f[10].frame_type, PROTO_T_END);
    assert_true(hil_fault_at_frame(&f[11]));
    assert_int_equal(f[11].frame, 6);
    assert_int_equal(f[11].frame_type, -1);
    hil_scenario_list_free(&l);
}

/* `resumed_at: N` on an update step (issue 16). */
static void test_parse_update_resumed_at(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok("id: a.b\nsteps:\n  - update: {image: x.img, resumed_at: 2048}\n"
                                      "  - update: x.img\n", &l);
    assert_true(s->steps[0].update.updater.has_resumed_at);
    assert_int_equal(s->steps[0].update.updater.resumed_at, 2048);
    assert_false(s->steps[1].update.updater.has_resumed_at);
    hil_scenario_list_free(&l);
    parse_bad("id: a.b\nsteps:\n  - update: {image: x.img, resumed_at: late}\n",
              "t.yaml:3: update resumed_at must be a non-negative integer, got 'late'");
}

static void test_parse_flash_variants(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok("id: a.b\nflash: {slot_a: null, bootloader: bl.bin}\nsteps: [power_on]\n", &l);
    assert_null(s->flash.slot_a);
    assert_null(s->flash.slot_b);
    assert_string_equal(s->flash.bootloader, "bl.bin");
    hil_scenario_list_free(&l);
    s = parse_ok("id: a.b\nflash: {file: dump.bin}\nplatforms: [board]\nsteps: [power_on, reset]\n", &l);
    assert_null(s->flash.slot_a);
    assert_null(s->flash.bootloader);
    assert_string_equal(s->flash.file, "dump.bin");
    assert_false(hil_scenario_on_platform(s, "qemu"));
    assert_int_equal(s->nsteps, 2);
    hil_scenario_list_free(&l);
}

static void test_parse_multiple_documents(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    parse_ok("id: a.one\nsteps: [power_on]\n---\nid: a.two\nsteps: [power_on]\n", &l);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[1]->id, "a.two");
    assert_int_equal(l.items[1]->line, 4);
    assert_int_equal(hil_scenario_check_unique(&l, err, sizeof(err)), 0);
    hil_scenario_list_free(&l);
}

static void test_check_unique_duplicate_id(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    assert_int_equal(hil_scenario_parse_buffer("a.yaml", "id: x.y\nsteps: [reset]\n", 23, &l, err, sizeof(err)), 0);
    const char *b = "# c\nid: x.y\nsteps: [reset]\n";
    assert_int_equal(hil_scenario_parse_buffer("b.yaml", b, strlen(b), &l, err, sizeof(err)), 0);
    assert_int_equal(hil_scenario_check_unique(&l, err, sizeof(err)), FOTA_EINVAL);
    assert_string_equal(err, "b.yaml:2: duplicate id 'x.y' (first at a.yaml:1)");
    hil_scenario_list_free(&l);
}

/* Every malformed input: the message names the file and the right line. */
static void test_parse_rom_path(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok(
        "id: a.b\nsteps:\n  - power_on: {boot0: high}\n  - power_on: {boot0: low}\n  - power_on\n"
        "  - update:\n      image: x.img\n      protocol: an3155\n      faults:\n"
        "        - {kind: rom_nack, cmd: write, n: 3}\n        - {kind: rom_silent, cmd: erase, n: 1}\n", &l);
    assert_true(s->steps[0].boot0_high);
    assert_false(s->steps[1].boot0_high);
    assert_false(s->steps[2].boot0_high);
    assert_int_equal(s->steps[3].update.protocol, HIL_PROTO_AN3155);
    assert_int_equal(s->steps[3].update.faults[0].kind, HIL_FAULT_ROM_NACK);
    assert_int_equal(s->steps[3].update.faults[0].rom_cmd, 0x31);
    assert_int_equal(s->steps[3].update.faults[0].n, 3);
    assert_int_equal(s->steps[3].update.faults[1].kind, HIL_FAULT_ROM_SILENT);
    assert_int_equal(s->steps[3].update.faults[1].rom_cmd, 0x44);
    hil_scenario_list_free(&l);
}

static void test_parse_rom_quirks_and_late(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok(
        "id: a.b\nrom_quirks: [erase_no_ack, i2c_write_128, late_param_nack, uart_byte_gap]\nsteps:\n"
        "  - update:\n      image: x.img\n      protocol: an4221\n      faults:\n"
        "        - {kind: rom_late, cmd: write, n: 2, ms: 1100}\n", &l);
    assert_int_equal(s->rom_quirks, HIL_ROM_QUIRK_ERASE_NO_ACK | HIL_ROM_QUIRK_I2C_WRITE_128 |
                                    HIL_ROM_QUIRK_LATE_PARAM_NACK | HIL_ROM_QUIRK_UART_BYTE_GAP);
    assert_int_equal(s->steps[0].update.protocol, HIL_PROTO_AN4221);
    assert_int_equal(s->steps[0].update.faults[0].kind, HIL_FAULT_ROM_LATE);
    assert_int_equal(s->steps[0].update.faults[0].rom_cmd, 0x31);
    assert_int_equal(s->steps[0].update.faults[0].late_ms, 1100);
    hil_scenario_list_free(&l);
    s = parse_ok("id: a.b\nrom_quirks: []\nsteps: [power_on]\n", &l);
    assert_int_equal(s->rom_quirks, 0);
    hil_scenario_list_free(&l);
    parse_bad("id: a.b\nrom_quirks: erase_no_ack\nsteps: [power_on]\n",
              "t.yaml:2: rom_quirks must be a list, got a scalar");
    parse_bad("id: a.b\nrom_quirks:\n  - erase_no_ack\n  - sleepy\nsteps: [power_on]\n",
              "t.yaml:4: rom_quirks: unknown quirk 'sleepy' (erase_no_ack|late_param_nack|i2c_write_128|uart_byte_gap)");
    parse_bad("id: a.b\nrom_quirks: [erase_no_ack, erase_no_ack]\nsteps: [power_on]\n",
              "t.yaml:2: rom_quirks: 'erase_no_ack' given twice");
    parse_bad("id: a.b\nrom_quirks: [[x]]\nsteps: [power_on]\n", "t.yaml:2: rom_quirks: each item must be a quirk name");
    parse_bad("id: a.b\nsteps:\n  - update:\n      image: x\n      protocol: an3155\n      faults:\n"
              "        - {kind: rom_late, cmd: write, n: 1, ms: 5}\n",
              "t.yaml:7: a rom_late fault needs protocol an4221");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: rom_late, cmd: write, n: 1}]}\n",
              "t.yaml:3: 'ms' is required by a rom_late fault");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: rom_nack, cmd: write, n: 1, ms: 5}]}\n",
              "t.yaml:3: 'ms' applies to rom_late only");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: rom_late, cmd: go, n: 1, ms: 0}]}\n",
              "t.yaml:3: ms must be at least 1");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: rom_late, cmd: go, n: 1, ms: 600001}]}\n",
              "t.yaml:3: ms must be 1..600000");
}

static void test_parse_spi_link_and_faults(void **state)
{
    (void)state;
    struct hil_scenario_list l;
    struct hil_scenario *s = parse_ok(
        "id: a.b\nlink: spi\nsteps:\n  - update:\n      image: x.img\n      faults:\n"
        "        - {kind: spi_cs_release, transfer: 7, byte: 100}\n"
        "        - {kind: spi_miso_stuck, transfer: 2, value: 0, count: 4}\n"
        "        - {kind: spi_corrupt, dir: to_host, transfer: 3, byte: 1}\n", &l);
    assert_int_equal(s->link, HIL_LINK_SPI);
    const struct hil_fault *f = s->steps[0].update.faults;
    assert_int_equal(f[0].kind, HIL_FAULT_SPI_CS_RELEASE);
    assert_int_equal(f[0].frame, 7);
    assert_int_equal(f[0].byte, 100);
    assert_int_equal(f[1].kind, HIL_FAULT_SPI_MISO_STUCK);
    assert_int_equal(f[1].byte, 0);
    assert_int_equal(f[1].n, 4);
    assert_int_equal(f[2].dir, HIL_DIR_TO_HOST);
    parse_bad("id: a.b\nlink: i2c\nsteps: [power_on]\n", "t.yaml:2: link must be one of uart|spi, got 'i2c'");
    assert_false(s->spi_clock_never);
    hil_scenario_list_free(&l);
    s = parse_ok("id: a.b\nlink: spi\nspi_clock: never\nsteps: [power_on]\n", &l);
    assert_true(s->spi_clock_never);
    hil_scenario_list_free(&l);
    parse_bad("id: a.b\nspi_clock: sometimes\nsteps: [power_on]\n",
              "t.yaml:2: spi_clock must be one of on_ready|never, got 'sometimes'");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: spi_drop}]}\n", "spi_drop fault needs 'transfer'");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: spi_miso_stuck, transfer: 1, value: 7}]}\n",
              "value must be 0 or 255");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: spi_drop, transfer: 1, byte: 2}]}\n",
              "key 'byte' does not apply to a spi_drop fault");
}

static void test_parse_rom_path_malformed(void **state)
{
    (void)state;
    parse_bad("id: a.b\nsteps:\n  - power_on: {boot0: up}\n", "t.yaml:3: boot0 must be one of low|high, got 'up'");
    parse_bad("id: a.b\nsteps:\n  - power_on: {boot1: high}\n", "t.yaml:3: unknown key 'boot1' in power_on");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, protocol: an9999}\n", "update protocol must be one of fota|an3155|an4286|an4221, got 'an9999'");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: rom_nack, cmd: write}]}\n",
              "rom_nack fault needs 'cmd'");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: rom_nack, cmd: fly, n: 1}]}\n",
              "cmd must be one of get|get_version|get_id|read|go|write|erase, got 'fly'");
    parse_bad("id: a.b\nsteps:\n  - update: {image: x, faults: [{kind: rom_silent, cmd: go, n: 1, dir: to_host}]}\n",
              "key 'dir' does not apply to a rom_silent fault");
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const struct { const char *text; const char *msg; } cases[] = {
        { "id: a.b\nsteps: [power_on\n", "t.yaml:3: YAML syntax error" },
        { "id: a.b\n  bad: indent\n", "t.yaml:2: YAML syntax error" },
        { "id: a.b\nsteps:\n  - power_on\n\t- reset\n", "YAML syntax error" },
        { "", "t.yaml:1: no scenario in file" },
        { "# only a comment\n", "t.yaml:1: no scenario in file" },
        { "- a\n- b\n", "t.yaml:1: a scenario must be a mapping" },
        { "just text\n", "t.yaml:1: a scenario must be a mapping" },
        { "description: x\nsteps: [power_on]\n", "t.yaml:1: scenario has no 'id'" },
        { "id: a.b\n", "t.yaml:1: scenario 'a.b' has no 'steps'" },
        { "id: a.b\nsteps: []\n", "t.yaml:2: steps is empty" },
        { "id: a.b\nsteps: power_on\n", "t.yaml:2: steps must be a list, got a scalar" },
        { "id: nodots\nsteps: [power_on]\n", "t.yaml:1: id 'nodots' must be dotted" },
        { "id: a..b\nsteps: [power_on]\n", "t.yaml:1: id 'a..b' must be dotted" },
        { "id: a/b.c\nsteps: [power_on]\n", "must be dotted" },
        { "id: [a, b]\nsteps: [power_on]\n", "t.yaml:1: id must be a string, got a list" },
        { "id: a.b\nid: a.c\nsteps: [power_on]\n", "t.yaml:2: duplicate key 'id' in scenario" },
        { "id: a.b\ncolour: red\nsteps: [power_on]\n", "t.yaml:2: unknown key 'colour' in scenario" },
        { "id: a.b\ntags: quick\nsteps: [power_on]\n", "t.yaml:2: tags must be a list, got a scalar" },
        { "id: a.b\ntags: [[x]]\nsteps: [power_on]\n", "t.yaml:2: tags must be a string, got a list" },
        { "id: a.b\ntimeout_ms: soon\nsteps: [power_on]\n", "t.yaml:2: timeout_ms must be a non-negative integer, got 'soon'" },
        { "id: a.b\ntimeout_ms: -5\nsteps: [power_on]\n", "t.yaml:2: timeout_ms must be a non-negative integer" },
        { "id: a.b\ntimeout_ms: 99999999999\nsteps: [power_on]\n", "t.yaml:2: timeout_ms must be an integer (0..4294967295)" },
        { "id: a.b\ntimeout_ms: 0\nsteps: [power_on]\n", "t.yaml:2: timeout_ms must be at least 1" },
        { "id: a.b\nflash: {slot_c: x}\nsteps: [power_on]\n", "t.yaml:2: unknown key 'slot_c' in flash" },
        { "id: a.b\nflash: {file: x, slot_a: y}\nsteps: [power_on]\n", "t.yaml:2: flash: 'file' (a whole 1 MB dump) excludes" },
        { "id: a.b\nflash: [x]\nsteps: [power_on]\n", "t.yaml:2: flash must be a mapping, got a list" },
        { "id: a.b\nflash: {slot_a: [x]}\nsteps: [power_on]\n", "t.yaml:2: flash slot_a must be a string" },
        { "id: a.b\nsteps:\n  - power_on\n  - jump\n", "t.yaml:4: unknown step 'jump'" },
        { "id: a.b\nsteps:\n  - fly: 3\n", "t.yaml:3: unknown step 'fly'" },
        { "id: a.b\nsteps:\n  - wait_ms\n", "t.yaml:3: wait_ms needs a value" },
        { "id: a.b\nsteps:\n  - wait_ms: soon\n", "t.yaml:3: wait_ms must be a non-negative integer, got 'soon'" },
        { "id: a.b\nsteps:\n  - wait_ms: [1]\n", "t.yaml:3: wait_ms must be an integer, got a list" },
        { "id: a.b\nsteps:\n  - reset: 3\n", "t.yaml:3: step reset takes no value" },
        { "id: a.b\nsteps:\n  - wait_ms: 1\n    reset:\n", "t.yaml:3: a step is a mapping with exactly one key" },
        { "id: a.b\nsteps:\n  - [reset]\n", "t.yaml:3: a step must be a name or a mapping, got a list" },
        { "id: a.b\nsteps:\n  -\n", "t.yaml:3: empty step" },
        { "id: a.b\nsteps:\n  - expect_console: '(unclosed'\n", "t.yaml:3: expect_console: bad regex /(unclosed/" },
        { "id: a.b\nsteps:\n  - console_absent: 'a{2'\n", "t.yaml:3: console_absent: bad regex" },
        /* found by tests/fuzz/scenario-fuzz.c: regcomp() took exponential time on these */
        { "id: a.b\nsteps:\n  - expect_console: 'v1\\.++++++++++++++++++++++++++++++++++++++++0'\n",
          "t.yaml:3: expect_console: bad regex /v1\\.++++++++++++++++++++++++++++++++++++++++0/: too complex" },
        { "id: a.b\nsteps:\n  - console_absent: '((((a+)+)+)+)+((((((((((((((((((((b+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+'\n",
          "t.yaml:3: console_absent: bad regex" },
        { "id: a.b\nsteps:\n  - expect_console: '((a{100}){100}){100}'\n", "t.yaml:3: expect_console: bad regex" },
        { "id: a.b\nsteps:\n  - expect_console: {timeout_ms: 5}\n", "t.yaml:3: expect_console needs 'match'" },
        { "id: a.b\nsteps:\n  - expect_console: {match: x, wait: 5}\n", "t.yaml:3: unknown key 'wait' in expect_console" },
        { "id: a.b\nsteps:\n  - expect_console:\n      match: ok\n      timeout_ms: x\n",
          "t.yaml:5: expect_console timeout_ms must be a non-negative integer" },
        { "id: a.b\nsteps:\n  - update: {expect: ok}\n", "t.yaml:3: update needs 'image'" },
        { "id: a.b\nsteps:\n  - update: {image: x, expect: maybe}\n",
          "t.yaml:3: update expect must be one of ok|fail|interrupted, got 'maybe'" },
        { "id: a.b\nsteps:\n  - update: {image: x, args: --force}\n", "t.yaml:3: update args must be a list" },
        { "id: a.b\nsteps:\n  - update: {image: x, faults: {kind: drop}}\n", "t.yaml:3: faults must be a list, got a mapping" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {on: program}\n",
          "t.yaml:6: fault needs 'kind'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: meteor}\n",
          "t.yaml:6: fault kind must be one of power_cut|corrupt|drop|disconnect|rom_nack|rom_silent|rom_late|spi_drop|spi_corrupt|spi_cs_release|spi_miso_stuck|spi_bit_shift|truncate, got 'meteor'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, n: 1}\n",
          "t.yaml:6: power_cut fault needs 'on'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: program}\n",
          "t.yaml:6: power_cut fault needs 'n'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: read, n: 1}\n",
          "t.yaml:6: on must be one of program|erase, got 'read'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: program, n: 0}\n",
          "t.yaml:6: n must be at least 1" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: program, n: first}\n",
          "t.yaml:6: n must be a count from 1, 'last' or 'middle', got 'first'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: erase, region: slot, n: last}\n",
          "t.yaml:6: n: last needs on: program and region: slot" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: program, region: meta, n: last}\n",
          "t.yaml:6: n: last needs on: program and region: slot" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: program, n: 1, region: boot}\n",
          "t.yaml:6: region must be one of any|slot|meta|slot_a|slot_b, got 'boot'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: program, n: 1, torn: most}\n",
          "t.yaml:6: torn must be one of none|half|all|bits, got 'most'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: program, n: 1, frame: 2}\n",
          "t.yaml:6: key 'on' does not apply to a power_cut at a frame (it takes frame, type, dir)" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, frame: 2, torn: half}\n",
          "t.yaml:6: key 'torn' does not apply to a power_cut at a frame" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, frame: 2, dir: to_host}\n",
          "t.yaml:6: power_cut counts to_target frames only" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, frame: 1, type: DATA_RSP}\n",
          "t.yaml:6: frame type DATA_RSP never travels to_target" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, frame: 0}\n",
          "t.yaml:6: frame must be at least 1" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, on: erase, n: 1, type: DATA}\n",
          "t.yaml:6: key 'type' applies to a power_cut at a frame only (give 'frame')" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: power_cut, type: DATA}\n",
          "t.yaml:6: key 'type' applies to a power_cut at a frame only" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: corrupt, frame: 2, byte: 1}\n",
          "t.yaml:6: corrupt fault needs 'dir'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: corrupt, dir: sideways, frame: 2, byte: 1}\n",
          "t.yaml:6: dir must be one of to_target|to_host, got 'sideways'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: corrupt, dir: to_host, byte: 1}\n",
          "t.yaml:6: corrupt fault needs 'frame'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: corrupt, dir: to_host, frame: 1}\n",
          "t.yaml:6: corrupt fault needs 'byte'" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: corrupt, dir: to_host, frame: 1, byte: 99999}\n",
          "t.yaml:6: byte must be below" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: drop, dir: to_host, frame: 0}\n",
          "t.yaml:6: frame must be at least 1" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: drop, dir: to_host, frame: 1, byte: 2}\n",
          "t.yaml:6: key 'byte' does not apply to a drop fault" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: drop, dir: to_host, frame: 1, type: DATA}\n",
          "t.yaml:6: frame type DATA never travels to_host" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: drop, dir: to_host, frame: 1, type: PING}\n",
          "t.yaml:6: frame type must be one of" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: disconnect, dir: to_host, frame: 1}\n",
          "t.yaml:6: disconnect counts to_target frames only" },
        { "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - {kind: disconnect, frame: 1}\n"
          "        - {kind: disconnect, frame: 2}\n", "t.yaml:6: at most one disconnect fault" },
        { "id: a.b\nsteps:\n  - expect: {}\n", "t.yaml:3: expect needs at least one of running, active, slots" },
        { "id: a.b\nsteps:\n  - expect: {running: {version: 1.0.0}}\n", "t.yaml:3: expect running needs 'slot'" },
        { "id: a.b\nsteps:\n  - expect: {running: {slot: C}}\n", "t.yaml:3: running slot must be one of A|B, got 'C'" },
        { "id: a.b\nsteps:\n  - expect: {running: {slot: A, version: 1.0}}\n", "t.yaml:3: running version must be x.y.z, got '1.0'" },
        { "id: a.b\nsteps:\n  - expect: {running: {slot: A, version: 1.0.256}}\n", "running version must be x.y.z" },
        { "id: a.b\nsteps:\n  - expect: {active: both}\n", "t.yaml:3: active must be one of A|B|none, got 'both'" },
        { "id: a.b\nsteps:\n  - expect:\n      slots: {A: happy}\n", "t.yaml:4: slot state must be one of empty|pending|trial|confirmed|rejected, got 'happy'" },
        { "id: a.b\nsteps:\n  - expect:\n      slots: {C: empty}\n", "t.yaml:4: unknown key 'C' in expect slots" },
        { "id: a.b\nsteps:\n  - expect:\n      slots: {}\n", "t.yaml:4: expect slots needs A or B" },
        { "id: a.b\nsteps:\n  - expect: {active: A, timeout_ms: -1}\n", "t.yaml:3: expect timeout_ms must be a non-negative integer" },
        { "id: a.b\nsteps:\n  - expect: {active: A, running: B}\n", "t.yaml:3: expect running must be a mapping, got a scalar" },
        { "id: a.b\nsteps:\n  - expect: [active]\n", "t.yaml:3: expect must be a mapping, got a list" },
        { "id: a.b\nsteps: [power_on]\n---\nid: c.d\nsteps: [jump]\n", "t.yaml:5: unknown step 'jump'" },
        { "id: a.b\nsteps: [power_on]\n---\n", "t.yaml:3: empty document: a scenario must be a mapping" },
        { "---\n...\n", "t.yaml:1: empty document" },
        { "id: &x a.b\nsteps: [*y]\n", "YAML syntax error" },
        { "? [a, b]\n: c\n", "t.yaml:1: scenario: keys must be strings" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        parse_bad(cases[i].text, cases[i].msg);
    }
}

/* The fault table: every kind parses with its own keys, refuses another
 * kind's, and names itself in the message (each row of fault_kinds). */
static void test_parse_fault_table_rows(void **state)
{
    (void)state;
    static const struct { const char *fault; const char *msg; } cases[] = {
        { "{kind: spi_corrupt, transfer: 1}", "spi_corrupt fault needs 'byte' (offset in the transfer)" },
        { "{kind: spi_cs_release, transfer: 1}", "spi_cs_release fault needs 'byte'" },
        { "{kind: spi_drop, transfer: 1, byte: 2}", "key 'byte' does not apply to a spi_drop fault" },
        { "{kind: spi_bit_shift, transfer: 1, dir: to_host}", "key 'dir' does not apply to a spi_bit_shift fault" },
        { "{kind: spi_drop, transfer: 1, count: 2}", "key 'count' applies to spi_miso_stuck only" },
        { "{kind: spi_miso_stuck, transfer: 1, value: 7}", "value must be 0 or 255 (MISO stuck low or high)" },
        { "{kind: spi_miso_stuck, transfer: 1, frame: 2}", "key 'frame' does not apply to a spi_miso_stuck fault" },
        { "{kind: rom_silent, cmd: write}", "rom_silent fault needs 'cmd'" },
        { "{kind: rom_nack, cmd: jump, n: 1}", "cmd must be one of get|get_version|get_id|read|go|write|erase, got 'jump'" },
        { "{kind: rom_nack, cmd: go, n: 1, transfer: 1}", "key 'transfer' does not apply to a rom_nack fault" },
        { "{kind: disconnect, frame: 1, byte: 0}", "key 'byte' does not apply to a disconnect fault" },
        { "{kind: corrupt, dir: to_host, frame: 1, byte: 0, cmd: go}", "key 'cmd' does not apply to a corrupt fault" },
        { "{kind: power_cut, on: program, n: 1, count: 3}", "key 'count' does not apply to a power_cut fault" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "id: a.b\nsteps:\n  - update:\n      image: x\n      faults:\n        - %s\n",
                 cases[i].fault);
        char msg[300];
        snprintf(msg, sizeof(msg), "t.yaml:6: %s", cases[i].msg);
        parse_bad(text, msg);
    }
}

/* Parse @p text (one scenario) and check its files: @return the error text ("" if none). */
static const char *check_files_of(const char *text)
{
    struct hil_scenario_list l = { 0 };
    assert_int_equal(hil_scenario_parse_buffer("t.yaml", text, strlen(text), &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 1);
    static char msg[512];
    msg[0] = '\0';
    int rc = hil_scenario_check_files(l.items[0], msg, sizeof(msg));
    assert_int_equal(rc, msg[0] == '\0' ? 0 : FOTA_EINVAL);
    hil_scenario_list_free(&l);
    return msg;
}

/* A missing image or flash file is found before anything runs, as
 * `file:line: path: No such file or directory` at the key naming it. */
static void test_hil_scenario_check_files_missing(void **state)
{
    (void)state;
    char dir[] = "/tmp/scenario-files.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[128], b[128], text[1024];
    snprintf(a, sizeof(a), "%s/img-A.img", dir);
    snprintf(b, sizeof(b), "%s/img-B.img", dir);
    FILE *f = fopen(a, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(text, sizeof(text), "id: a.b\nflash: {bootloader: %s, slot_a: %s}\nsteps:\n  - power_on\n"
             "  - update: {image: %s, expect: ok}\n", a, a, a);
    assert_string_equal(check_files_of(text), "");
    snprintf(text, sizeof(text), "id: a.b\nflash:\n  bootloader: %s\n  slot_a: %s/nope.img\nsteps: [power_on]\n", a,
             dir);
    char want[512];
    snprintf(want, sizeof(want), "t.yaml:4: %s/nope.img: No such file or directory", dir);
    assert_string_equal(check_files_of(text), want);
    snprintf(text, sizeof(text), "id: a.b\nflash: {file: %s/dump.bin}\nsteps: [power_on]\n", dir);
    snprintf(want, sizeof(want), "t.yaml:2: %s/dump.bin: No such file or directory", dir);
    assert_string_equal(check_files_of(text), want);
    /* {target}: both slot letters must exist */
    snprintf(text, sizeof(text), "id: a.b\nflash: {bootloader: %s, slot_a: %s}\nsteps:\n  - power_on\n"
             "  - update:\n      expect: ok\n      image: %s/img-{target}.img\n", a, a, dir);
    snprintf(want, sizeof(want), "t.yaml:7: %s: No such file or directory", b);
    assert_string_equal(check_files_of(text), want);
    /* the defaults (build/fw/bootloader.bin ...) are checked at the scenario's line */
    snprintf(text, sizeof(text), "\nid: a.b\nsteps: [power_on]\n");
    if (access(HIL_DEFAULT_BOOTLOADER_BIN, F_OK) != 0) {
        assert_string_equal(check_files_of(text), "t.yaml:2: " HIL_DEFAULT_BOOTLOADER_BIN ": No such file or directory");
    }
    unlink(a);
    rmdir(dir);
}

/* Fuzz: truncations and byte flips of a valid file parse or fail cleanly. */
static void test_parse_mutations_never_crash(void **state)
{
    (void)state;
    static const char base[] =
        "id: power.cut.x\n"
        "tags: [quick]\n"
        "flash: {slot_b: null}\n"
        "steps:\n"
        "  - power_on\n"
        "  - expect_console: {match: 'APP: demo v1\\.0\\.0', timeout_ms: 5}\n"
        "  - update:\n"
        "      image: build/images/demo-2.0.0-B.img\n"
        "      expect: interrupted\n"
        "      faults:\n"
        "        - {kind: power_cut, on: program, region: slot, n: last, torn: half}\n"
        "        - {kind: corrupt, dir: to_target, frame: 3, byte: 7}\n"
        "  - expect: {running: {slot: A, version: 1.0.0}, active: A, slots: {A: confirmed, B: empty}}\n";
    size_t len = strlen(base);
    static const char junk[] = { '\0', ':', '-', '[', ']', '{', '}', '\'', '"', '\n', ' ', '\t', '&', '*',
                                 '!', '%', '@', '`', '|', '>', '#', (char)0xFF, (char)0xC3, 'x', '0' };
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    for (size_t cut = 0; cut <= len; cut++) {
        struct hil_scenario_list l = { 0 };
        memcpy(buf, base, cut);
        int rc = hil_scenario_parse_buffer("f.yaml", buf, cut, &l, err, sizeof(err));
        if (rc != 0) {
            assert_int_equal(strncmp(err, "f.yaml:", 7), 0);
        }
        hil_scenario_list_free(&l);
    }
    for (size_t pos = 0; pos < len; pos++) {
        for (size_t j = 0; j < sizeof(junk); j++) {
            struct hil_scenario_list l = { 0 };
            memcpy(buf, base, len);
            buf[pos] = junk[j];
            int rc = hil_scenario_parse_buffer("f.yaml", buf, len, &l, err, sizeof(err));
            if (rc != 0) {
                assert_int_equal(strncmp(err, "f.yaml:", 7), 0);
                assert_true(strlen(err) > 9);
            }
            hil_scenario_list_free(&l);
        }
    }
    free(buf);
}

static void test_parse_file_missing(void **state)
{
    (void)state;
    struct hil_scenario_list l = { 0 };
    assert_int_equal(hil_scenario_parse_file("/nonexistent/x.yaml", &l, err, sizeof(err)), FOTA_EIO);
    assert_non_null(strstr(err, "/nonexistent/x.yaml:1: cannot read"));
}

static void test_parse_version_formats(void **state)
{
    (void)state;
    uint32_t v = 0;
    char buf[16];
    assert_int_equal(hil_parse_version("2.0.0", &v), 0);
    assert_int_equal(v, IMAGE_VERSION(2, 0, 0));
    assert_int_equal(hil_parse_version("65535.255.255", &v), 0);
    hil_format_version(v, buf, sizeof(buf));
    assert_string_equal(buf, "65535.255.255");
    assert_int_equal(hil_parse_version("1.2", &v), FOTA_EINVAL);
    assert_int_equal(hil_parse_version("1.2.3.4", &v), FOTA_EINVAL);
    assert_int_equal(hil_parse_version("1.-2.3", &v), FOTA_EINVAL);
    assert_int_equal(hil_parse_version("", &v), FOTA_EINVAL);
    assert_int_equal(hil_parse_version("1.256.0", &v), FOTA_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_all_steps),
        cmocka_unit_test(test_parse_faults),
        cmocka_unit_test(test_parse_update_resumed_at),
        cmocka_unit_test(test_parse_rom_path),
        cmocka_unit_test(test_parse_rom_path_malformed),
        cmocka_unit_test(test_parse_rom_quirks_and_late),
        cmocka_unit_test(test_parse_spi_link_and_faults),
        cmocka_unit_test(test_parse_flash_variants),
        cmocka_unit_test(test_parse_multiple_documents),
        cmocka_unit_test(test_check_unique_duplicate_id),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_fault_table_rows),
        cmocka_unit_test(test_hil_scenario_check_files_missing),
        cmocka_unit_test(test_parse_mutations_never_crash),
        cmocka_unit_test(test_parse_file_missing),
        cmocka_unit_test(test_parse_version_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
