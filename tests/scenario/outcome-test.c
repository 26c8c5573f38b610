/**
 * @file outcome-test.c
 * @brief Outcome assertions and short transfers (issue 15 items 3, 4):
 * `expect: {bootable, slots: {X: {state, sha256}}}`, an update's
 * `updater:` and `resumed_at:`, the truncate fault; each parses to the
 * right struct and each bad form gives `file:line: what is wrong`. Then
 * the checks: slot hashes over a flash model, fotactl's JSON result
 * against `updater:`, and the proxy applying truncate.
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
#include "fota/sha256.h"
#include "link/proxy.h"
#include "scenario/scenario.h"
#include "scenario/slot_hash.h"
#include "scenario/updater_result.h"

static char err[1024];
static struct hil_scenario_list g_list;

/* The steps of one scenario ("id: a.b\nsteps:\n" + @p steps). @return 0 or
 * the parser's code, its message in err. */
static int parse_steps(const char *steps)
{
    char text[4096];
    snprintf(text, sizeof(text), "id: a.b\nsteps:\n%s", steps);
    hil_scenario_list_free(&g_list);
    memset(&g_list, 0, sizeof(g_list));
    return hil_scenario_parse_buffer("t.yaml", text, strlen(text), &g_list, err, sizeof(err));
}

static const struct hil_step *step_of(const char *steps)
{
    int rc = parse_steps(steps);
    if (rc != 0) {
        print_error("unexpected parse error: %s\n", err);
    }
    assert_int_equal(rc, 0);
    return &g_list.items[0]->steps[0];
}

static int teardown(void **state)
{
    (void)state;
    hil_scenario_list_free(&g_list);
    memset(&g_list, 0, sizeof(g_list));
    return 0;
}

/* Each bad form: the exact `file:line: message` start. */
static void expect_errors(const char *const (*cases)[2], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(parse_steps(cases[i][0]), FOTA_EINVAL);
        if (strncmp(err, cases[i][1], strlen(cases[i][1])) != 0) {
            print_error("case %zu: expected '%s...', got '%s'\n", i, cases[i][1], err);
            fail();
        }
    }
}

static const char hex64[] = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

static void test_parse_expect_bootable_and_slot_forms(void **state)
{
    (void)state;
    const struct hil_step *st = step_of("  - expect: {bootable: true}\n");
    assert_true(st->expect.has_bootable);
    assert_true(st->expect.bootable);
    st = step_of("  - expect: {bootable: false, active: A}\n");
    assert_true(st->expect.has_bootable);
    assert_false(st->expect.bootable);
    char steps[512];
    snprintf(steps, sizeof(steps), "  - expect:\n      slots: {A: confirmed, B: {state: trial, sha256: %s}}\n",
             hex64);
    st = step_of(steps);
    assert_true(st->expect.has_slot_state[LAYOUT_SLOT_A]);
    assert_true(st->expect.has_slot_state[LAYOUT_SLOT_B]);
    assert_int_equal(st->expect.slot_state[LAYOUT_SLOT_B], META_SLOT_TRIAL);
    assert_true(st->expect.slot_sha[LAYOUT_SLOT_B].has);
    assert_false(st->expect.slot_sha[LAYOUT_SLOT_A].has);
    assert_int_equal(st->expect.slot_sha[LAYOUT_SLOT_B].sha256[0], 0x00);
    assert_int_equal(st->expect.slot_sha[LAYOUT_SLOT_B].sha256[31], 0xFF);
    assert_int_equal(st->expect.slot_sha[LAYOUT_SLOT_B].line, 4);
    st = step_of("  - expect:\n      slots:\n        A: {sha256: {file: build/images/x.img}}\n");
    assert_false(st->expect.has_slot_state[LAYOUT_SLOT_A]);
    assert_true(st->expect.slot_sha[LAYOUT_SLOT_A].has);
    assert_string_equal(st->expect.slot_sha[LAYOUT_SLOT_A].file, "build/images/x.img");
    assert_int_equal(st->expect.slot_sha[LAYOUT_SLOT_A].line, 5);
}

static void test_parse_expect_outcome_bad_forms(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "  - expect: {bootable: yes}\n", "t.yaml:3: expect bootable must be true or false, got 'yes'" },
        { "  - expect: {bootable: [true]}\n", "t.yaml:3: expect bootable must be true or false" },
        { "  - expect:\n      slots: {B: {}}\n", "t.yaml:4: expect slot needs 'state' or 'sha256'" },
        { "  - expect:\n      slots: {B: {hash: ab}}\n", "t.yaml:4: unknown key 'hash' in expect slot" },
        { "  - expect:\n      slots: {B: {sha256: abc}}\n",
          "t.yaml:4: slot sha256 must be 64 hex digits or {file: PATH}, got 'abc'" },
        { "  - expect:\n      slots:\n        B:\n          sha256: "
          "g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
          "t.yaml:6: slot sha256 must be 64 hex digits" },
        { "  - expect:\n      slots: {B: {sha256: {}}}\n", "t.yaml:4: slot sha256 mapping needs 'file'" },
        { "  - expect:\n      slots: {B: {sha256: {path: x}}}\n", "t.yaml:4: unknown key 'path' in slot sha256" },
        { "  - expect:\n      slots: {B: {sha256: {file: null}}}\n", "t.yaml:4: slot sha256 file must be a string" },
        { "  - expect:\n      slots: {B: {state: happy}}\n", "t.yaml:4: slot state must be one of" },
    };
    expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_parse_updater_forms(void **state)
{
    (void)state;
    const struct hil_step *st = step_of("  - update:\n      image: x.img\n      expect: fail\n      updater:\n"
                                        "        exit: 3\n        retransmits: {min: 2}\n        nacks: 0\n"
                                        "        resumed_at: fresh\n        duration_ms: {max: 9000}\n");
    const struct hil_updater_expect *u = &st->update.updater;
    assert_true(u->any);
    assert_int_equal(u->line, 7); /* the first line of the mapping */
    assert_true(u->has_exit);
    assert_int_equal(u->exit_code, 3);
    assert_true(u->retransmits.has_min);
    assert_false(u->retransmits.has_max);
    assert_int_equal(u->retransmits.min, 2);
    assert_true(u->nacks.has_min && u->nacks.has_max);
    assert_int_equal(u->nacks.max, 0);
    assert_true(u->has_resumed_at);
    assert_true(u->resumed_fresh);
    assert_true(u->duration_ms.has_max);
    assert_int_equal(u->duration_ms.max, 9000);
    /* The old form is the same assertion. */
    st = step_of("  - update: {image: x.img, resumed_at: 2048}\n");
    assert_true(st->update.updater.any);
    assert_true(st->update.updater.has_resumed_at);
    assert_false(st->update.updater.resumed_fresh);
    assert_int_equal(st->update.updater.resumed_at, 2048);
    st = step_of("  - update: x.img\n");
    assert_false(st->update.updater.any);
}

static void test_parse_updater_bad_forms(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "  - update: {image: x, updater: {}}\n", "t.yaml:3: updater needs at least one of exit" },
        { "  - update: {image: x, updater: {exits: 1}}\n", "t.yaml:3: unknown key 'exits' in updater" },
        { "  - update: {image: x, updater: {exit: -1}}\n", "t.yaml:3: updater exit must be a non-negative integer" },
        { "  - update: {image: x, updater: {exit: 256}}\n", "t.yaml:3: updater exit must be 0..255, got 256" },
        { "  - update: {image: x, updater: {nacks: {}}}\n", "t.yaml:3: updater nacks needs min or max" },
        { "  - update: {image: x, updater: {nacks: {least: 1}}}\n", "t.yaml:3: unknown key 'least' in updater nacks" },
        { "  - update:\n      image: x\n      updater:\n        retransmits: {min: 5, max: 2}\n",
          "t.yaml:6: updater retransmits: min 5 is above max 2" },
        { "  - update: {image: x, updater: {duration_ms: soon}}\n",
          "t.yaml:3: updater duration_ms must be a non-negative integer, got 'soon'" },
        { "  - update: {image: x, updater: {resumed_at: late}}\n",
          "t.yaml:3: updater resumed_at must be a non-negative integer, got 'late'" },
        { "  - update: {image: x, resumed_at: 1024, updater: {resumed_at: 1024}}\n",
          "t.yaml:3: updater resumed_at: resumed_at is given twice" },
        { "  - update: {image: x, protocol: an3155, updater: {exit: 0}}\n",
          "t.yaml:3: updater/resumed_at apply to protocol fota only" },
        { "  - update: {image: x, expect: interrupted, resumed_at: 0}\n",
          "t.yaml:3: updater/resumed_at need an updater that ends by itself" },
        { "  - update: {image: x, updater: [exit]}\n", "t.yaml:3: updater must be a mapping, got a list" },
    };
    expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_parse_truncate_forms(void **state)
{
    (void)state;
    const struct hil_step *st = step_of("  - update:\n      image: x\n      faults:\n"
                                        "        - {kind: truncate, after_frames: 2}\n"
                                        "        - {kind: power_cut, on: erase, n: 1}\n");
    const struct hil_fault *f = &st->update.faults[0];
    assert_int_equal(f->kind, HIL_FAULT_TRUNCATE);
    assert_int_equal(f->line, 6);
    assert_false(f->by_bytes);
    assert_int_equal(f->frame, 3);
    assert_int_equal(f->frame_type, PROTO_T_DATA);
    assert_int_equal(f->dir, HIL_DIR_TO_TARGET);
    assert_false(f->send_end);
    st = step_of("  - update:\n      image: x\n      faults: [{kind: truncate, after_bytes: 4096, end: true}]\n");
    f = &st->update.faults[0];
    assert_true(f->by_bytes);
    assert_int_equal(f->after_bytes, 4096);
    assert_true(f->send_end);
    st = step_of("  - update:\n      image: x\n      faults: [{kind: truncate, after_frames: 0, end: false}]\n");
    assert_int_equal(st->update.faults[0].frame, 1);
}

static void test_parse_truncate_bad_forms(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "  - update:\n      image: x\n      faults: [{kind: truncate}]\n",
          "t.yaml:5: truncate needs exactly one of after_frames, after_bytes" },
        { "  - update:\n      image: x\n      faults: [{kind: truncate, after_frames: 1, after_bytes: 9}]\n",
          "t.yaml:5: truncate needs exactly one of after_frames, after_bytes" },
        { "  - update:\n      image: x\n      faults: [{kind: truncate, after_bytes: 0}]\n",
          "t.yaml:5: truncate after_bytes must be at least 1, got 0" },
        { "  - update:\n      image: x\n      faults: [{kind: truncate, after_frames: x}]\n",
          "t.yaml:5: truncate after_frames must be a non-negative integer, got 'x'" },
        { "  - update:\n      image: x\n      faults: [{kind: truncate, after_frames: 4294967295}]\n",
          "t.yaml:5: truncate after_frames is too large" },
        { "  - update:\n      image: x\n      faults: [{kind: truncate, after_frames: 1, end: maybe}]\n",
          "t.yaml:5: truncate end must be true or false, got 'maybe'" },
        { "  - update:\n      image: x\n      faults: [{kind: truncate, after_frames: 1, frame: 2}]\n",
          "t.yaml:5: key 'frame' does not apply to a truncate fault" },
        { "  - update:\n      image: x\n      faults: [{kind: drop, dir: to_target, frame: 1, end: true}]\n",
          "t.yaml:5: key 'end' does not apply to a drop fault" },
        { "  - update:\n      image: x\n      faults:\n        - {kind: truncate, after_frames: 1}\n"
          "        - {kind: disconnect, frame: 3}\n", "t.yaml:6: at most one disconnect fault per update step" },
    };
    expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

/* ---- slot hashes ---- */

static struct hil_flash g_flash;

/* A 512-byte header (magic, ih_size) and @p size payload bytes in @p slot; its SHA-256 into @p sha. */
static void place_image(int slot, uint32_t size, uint8_t sha[32])
{
    uint8_t *base = &g_flash.mem[LAYOUT_SLOT_ADDR((uint32_t)slot) - LAYOUT_FLASH_BASE];
    struct image_header h;
    memset(&h, 0, sizeof(h));
    h.ih_magic = IMAGE_MAGIC;
    h.ih_size = size;
    memcpy(base, &h, sizeof(h));
    memset(base + sizeof(h), 0, IMAGE_HEADER_SIZE - sizeof(h));
    for (uint32_t i = 0; i < size; i++) {
        base[IMAGE_HEADER_SIZE + i] = (uint8_t)(i * 13u);
    }
    sha256(base, IMAGE_HEADER_SIZE + size, sha);
}

static void test_hil_slot_sha_check_literal_file_and_mismatch(void **state)
{
    (void)state;
    hil_flash_init(&g_flash);
    struct hil_slot_sha want;
    memset(&want, 0, sizeof(want));
    want.has = true;
    place_image(LAYOUT_SLOT_B, 1000, want.sha256);
    char msg[512];
    assert_int_equal(hil_slot_sha_check(&g_flash, LAYOUT_SLOT_B, &want, msg, sizeof(msg)), 0);
    /* The same bytes as a file: the .img file's hash. */
    char path[] = "/tmp/outcome-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const uint8_t *base = &g_flash.mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE];
    assert_int_equal(write(fd, base, IMAGE_HEADER_SIZE + 1000), IMAGE_HEADER_SIZE + 1000);
    close(fd);
    want.file = path;
    memset(want.sha256, 0, sizeof(want.sha256));
    assert_int_equal(hil_slot_sha_check(&g_flash, LAYOUT_SLOT_B, &want, msg, sizeof(msg)), 0);
    /* One payload byte erased past a short transfer: a different image. */
    g_flash.mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE + IMAGE_HEADER_SIZE + 999] = 0xFF;
    assert_int_equal(hil_slot_sha_check(&g_flash, LAYOUT_SLOT_B, &want, msg, sizeof(msg)), FOTA_EPROTO);
    assert_non_null(strstr(msg, "slot B sha256 "));
    assert_non_null(strstr(msg, "but the image stored there (header + ih_size + ih_tlv_size bytes) has "));
    unlink(path);
    assert_int_equal(hil_slot_sha_check(&g_flash, LAYOUT_SLOT_B, &want, msg, sizeof(msg)), FOTA_EIO);
    assert_non_null(strstr(msg, "cannot hash"));
    /* A signed image: the TLV area after the payload is part of it. */
    struct image_header *h = (struct image_header *)&g_flash.mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE];
    h->ih_tlv_size = 64;
    want.file = NULL;
    sha256(&g_flash.mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], IMAGE_HEADER_SIZE + 1000 + 64, want.sha256);
    assert_int_equal(hil_slot_sha_check(&g_flash, LAYOUT_SLOT_B, &want, msg, sizeof(msg)), 0);
    g_flash.mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE + IMAGE_HEADER_SIZE + 1000 + 63] ^= 1; /* last TLV byte */
    assert_int_equal(hil_slot_sha_check(&g_flash, LAYOUT_SLOT_B, &want, msg, sizeof(msg)), FOTA_EPROTO);
    /* An erased slot holds no image. */
    assert_int_equal(hil_slot_sha_check(&g_flash, LAYOUT_SLOT_A, &want, msg, sizeof(msg)), FOTA_EPROTO);
    assert_non_null(strstr(msg, "slot A holds no image header"));
}

/* ---- fotactl's JSON result ---- */

static void write_json(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_hil_updater_check_ranges_and_resume(void **state)
{
    (void)state;
    char path[] = "/tmp/outcome-json-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_json(path, "{\"exit\": 0, \"frames_sent\": 12, \"retransmits\": 4, \"nacks\": 1, "
                     "\"fresh\": false, \"resumed_at\": 2048}");
    struct hil_updater_result r;
    char msg[512];
    assert_int_equal(hil_updater_result_read(path, &r, msg, sizeof(msg)), 0);
    assert_int_equal(r.retransmits, 4);
    assert_true(r.resumed);
    assert_int_equal(r.resumed_at, 2048);
    struct hil_updater_expect e;
    memset(&e, 0, sizeof(e));
    e.has_exit = true;
    e.retransmits = (struct hil_range){ .has_min = true, .min = 3 };
    e.nacks = (struct hil_range){ .has_min = true, .has_max = true, .min = 1, .max = 1 };
    e.duration_ms = (struct hil_range){ .has_max = true, .max = 5000 };
    e.has_resumed_at = true;
    e.resumed_at = 2048;
    assert_int_equal(hil_updater_check(&e, &r, 4999, msg, sizeof(msg)), 0);
    e.retransmits.min = 5;
    e.exit_code = 3;
    e.resumed_fresh = true;
    assert_int_equal(hil_updater_check(&e, &r, 5001, msg, sizeof(msg)), FOTA_EPROTO);
    assert_string_equal(msg, "updater exit 0, expected 3; updater retransmits 4, expected at least 5; "
                             "updater duration_ms (device time) 5001, expected at most 5000; "
                             "updater resumed_at: expected a fresh transfer, got a resume");
    write_json(path, "{\"exit\": 1, \"frames_sent\": 3, \"retransmits\": 0, \"nacks\": 0, \"fresh\": true, "
                     "\"resumed_at\": null}");
    assert_int_equal(hil_updater_result_read(path, &r, msg, sizeof(msg)), 0);
    memset(&e, 0, sizeof(e));
    e.has_resumed_at = true;
    e.resumed_at = 0;
    assert_int_equal(hil_updater_check(&e, &r, 0, msg, sizeof(msg)), FOTA_EPROTO);
    assert_string_equal(msg, "updater resumed_at: expected a resume at 0, got a fresh transfer");
    write_json(path, "{\"exit\": 1}");
    assert_int_equal(hil_updater_result_read(path, &r, msg, sizeof(msg)), FOTA_EPROTO);
    assert_non_null(strstr(msg, "field 'frames_sent' is missing"));
    write_json(path, "not json");
    assert_int_equal(hil_updater_result_read(path, &r, msg, sizeof(msg)), FOTA_EPROTO);
    unlink(path);
    assert_int_equal(hil_updater_result_read(path, &r, msg, sizeof(msg)), FOTA_ENOENT);
    assert_non_null(strstr(msg, "fotactl wrote no JSON result"));
}

/* ---- the proxy's truncate ---- */

/* BEGIN, then DATA frames of 1024 bytes at offsets 0, 1024, 2048, 3072 (seq 1..5), then END. */
static size_t make_transfer(uint8_t *buf, size_t *data_off)
{
    static uint8_t pl[4 + PROTO_MAX_DATA];
    size_t len = 0, n = 0;
    memset(pl, 0x5A, sizeof(pl));
    assert_int_equal(proto_encode(PROTO_T_BEGIN, 0, pl, 513, buf, PROTO_MAX_FRAME, &n), 0);
    len += n;
    for (uint32_t i = 0; i < 4; i++) {
        proto_put_u32(pl, i * PROTO_MAX_DATA);
        data_off[i] = len;
        assert_int_equal(proto_encode(PROTO_T_DATA, (uint8_t)(i + 1), pl, sizeof(pl), buf + len, PROTO_MAX_FRAME, &n), 0);
        len += n;
    }
    assert_int_equal(proto_encode(PROTO_T_END, 5, NULL, 0, buf + len, PROTO_MAX_FRAME, &n), 0);
    return len + n;
}

static void run_truncate(const char *fault, size_t *out_len, uint8_t *last_type, uint8_t *last_seq, bool *fired)
{
    static uint8_t in[8 * PROTO_MAX_FRAME];
    static struct hil_proxy p;
    size_t data_off[4];
    size_t len = make_transfer(in, data_off);
    char steps[256];
    snprintf(steps, sizeof(steps), "  - update:\n      image: x\n      faults: [%s]\n", fault);
    const struct hil_step *st = step_of(steps);
    hil_proxy_init(&p, st->update.faults, st->update.nfaults);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, in, len, &out);
    *out_len = out.len;
    struct proto_parser pp;
    proto_parser_init(&pp);
    for (size_t i = 0; i < out.len; i++) {
        if (proto_parser_feed(&pp, out.data[i]) == PROTO_FEED_FRAME) {
            *last_type = pp.frame.type;
            *last_seq = pp.frame.seq;
        }
    }
    *fired = hil_proxy_fault_fired(&p, 0) && p.disconnected;
    hil_buf_free(&out);
}

static void test_proxy_truncate_after_frames_and_bytes(void **state)
{
    (void)state;
    uint8_t in[8 * PROTO_MAX_FRAME];
    size_t data_off[4];
    make_transfer(in, data_off);
    size_t out_len = 0;
    uint8_t type = 0, seq = 0;
    bool fired = false;
    /* Two DATA frames pass, nothing after: the 3rd DATA frame starts where the output ends. */
    run_truncate("{kind: truncate, after_frames: 2}", &out_len, &type, &seq, &fired);
    assert_true(fired);
    assert_int_equal(out_len, data_off[2]);
    assert_int_equal(type, PROTO_T_DATA);
    assert_int_equal(seq, 2);
    /* after_bytes 2500: the chunk [2048, 3072) reaches past it; with END in its place (its seq). */
    run_truncate("{kind: truncate, after_bytes: 2500, end: true}", &out_len, &type, &seq, &fired);
    assert_true(fired);
    assert_int_equal(out_len, data_off[2] + PROTO_HDR_SIZE + PROTO_CRC_SIZE);
    assert_int_equal(type, PROTO_T_END);
    assert_int_equal(seq, 3);
    /* after_bytes at the image's end never fires: the whole transfer passes. */
    run_truncate("{kind: truncate, after_bytes: 4096}", &out_len, &type, &seq, &fired);
    assert_false(fired);
    assert_int_equal(type, PROTO_T_END);
    assert_int_equal(seq, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_parse_expect_bootable_and_slot_forms, teardown),
        cmocka_unit_test_teardown(test_parse_expect_outcome_bad_forms, teardown),
        cmocka_unit_test_teardown(test_parse_updater_forms, teardown),
        cmocka_unit_test_teardown(test_parse_updater_bad_forms, teardown),
        cmocka_unit_test_teardown(test_parse_truncate_forms, teardown),
        cmocka_unit_test_teardown(test_parse_truncate_bad_forms, teardown),
        cmocka_unit_test(test_hil_slot_sha_check_literal_file_and_mismatch),
        cmocka_unit_test(test_hil_updater_check_ranges_and_resume),
        cmocka_unit_test_teardown(test_proxy_truncate_after_frames_and_bytes, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
