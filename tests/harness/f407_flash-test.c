/**
 * @file f407_flash-test.c
 * @brief Unit tests of the fota-f407 FLASH model's QMP side
 * (harness/target/f407_flash.c): the STM32_FLASH_OP / STM32_FLASH_FAULT
 * events as qemu/src/qapi/stm32.json defines them, and the planned fault
 * counted as the device counts it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "target/f407_flash.h"

static void test_hil_f407_parse_program(void **state)
{
    (void)state;
    struct hil_f407_op o;
    assert_int_equal(hil_f407_parse("STM32_FLASH_OP", "{\"qom-path\": \"/machine/flash\", \"seq\": 7, "
                                     "\"op\": \"program\", \"address\": 134348800, \"length\": 4, "
                                     "\"data\": \"11a2ff00\", \"error\": 0}", &o), 0);
    assert_int_equal(o.done, HIL_F407_APPLIED);
    assert_int_equal(o.op.kind, HIL_OP_PROGRAM);
    assert_int_equal(o.op.addr, 0x08020000u);
    assert_int_equal(o.op.len, 4);
    assert_int_equal(o.op.region, HIL_REGION_SLOT_A);
    assert_int_equal(o.op.sector, 5);
    assert_int_equal(o.dev_seq, 7);
    static const uint8_t want[4] = { 0x11, 0xa2, 0xff, 0x00 };
    assert_memory_equal(o.op.data, want, 4);
    hil_f407_op_free(&o);
}

static void test_hil_f407_parse_fault_kinds(void **state)
{
    (void)state;
    static const struct { const char *fault; enum hil_f407_done done; enum hil_torn torn; } k[] = {
        { "cut-none", HIL_F407_CUT, HIL_TORN_NONE }, { "cut-half", HIL_F407_CUT, HIL_TORN_HALF },
        { "cut-bits", HIL_F407_CUT, HIL_TORN_BITS }, { "cut-all", HIL_F407_CUT, HIL_TORN_ALL },
        { "error", HIL_F407_FAILED, HIL_TORN_NONE }, { "no-stick", HIL_F407_DROPPED, HIL_TORN_NONE },
    };
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        char json[256];
        struct hil_f407_op o;
        snprintf(json, sizeof(json), "{\"qom-path\": \"/machine/flash\", \"seq\": 3, \"op\": \"sector-erase\", "
                 "\"address\": 134250496, \"length\": 16384, \"sector\": 2, \"fault\": \"%s\"}", k[i].fault);
        assert_int_equal(hil_f407_parse("STM32_FLASH_FAULT", json, &o), 0);
        assert_int_equal(o.done, k[i].done);
        assert_int_equal(o.torn, k[i].torn);
        assert_int_equal(o.op.kind, HIL_OP_ERASE);
        assert_int_equal(o.op.sector, 2);
        assert_int_equal(o.op.region, HIL_REGION_META);
        assert_null(o.op.data);
        hil_f407_op_free(&o);
    }
}

static void test_hil_f407_parse_errors(void **state)
{
    (void)state;
    struct hil_f407_op o;
    assert_int_equal(hil_f407_parse("WATCHDOG", "{\"action\": \"reset\"}", &o), FOTA_ENOENT);
    /* no data, short data, bad hex, unknown fault, no sector */
    assert_int_equal(hil_f407_parse("STM32_FLASH_OP", "{\"seq\": 1, \"op\": \"program\", \"address\": 134348800, "
                                    "\"length\": 4, \"error\": 0}", &o), FOTA_EINVAL);
    assert_int_equal(hil_f407_parse("STM32_FLASH_OP", "{\"seq\": 1, \"op\": \"program\", \"address\": 134348800, "
                                    "\"length\": 4, \"data\": \"11\", \"error\": 0}", &o), FOTA_EINVAL);
    assert_int_equal(hil_f407_parse("STM32_FLASH_OP", "{\"seq\": 1, \"op\": \"program\", \"address\": 134348800, "
                                    "\"length\": 1, \"data\": \"zz\", \"error\": 0}", &o), FOTA_EINVAL);
    assert_int_equal(hil_f407_parse("STM32_FLASH_FAULT", "{\"seq\": 1, \"op\": \"sector-erase\", \"address\": "
                                    "134250496, \"length\": 16384, \"sector\": 2, \"fault\": \"melt\"}", &o),
                     FOTA_EINVAL);
    assert_int_equal(hil_f407_parse("STM32_FLASH_OP", "{\"seq\": 1, \"op\": \"sector-erase\", \"address\": "
                                    "134250496, \"length\": 16384, \"error\": 0}", &o), FOTA_EINVAL);
    assert_int_equal(hil_f407_parse("STM32_FLASH_OP", "[1]", &o), FOTA_EINVAL);
}

/* The device counts only operations of the planned kinds whose first byte
 * is in the range; the plan compares by what the device would do. */
static void test_hil_f407_plan_count_and_equal(void **state)
{
    (void)state;
    struct hil_fault_plan p = { .n = 2, .on = { [HIL_OP_PROGRAM] = true }, .addr_lo = LAYOUT_SLOT_B_ADDR,
                                .addr_hi = LAYOUT_SLOT_B_ADDR + LAYOUT_SLOT_SIZE - 1u,
                                .v = { .action = HIL_ACT_CUT, .torn = HIL_TORN_HALF } };
    struct hil_fault_plan q = p;
    struct hil_flash_op erase = { .kind = HIL_OP_ERASE, .addr = LAYOUT_SLOT_B_ADDR };
    struct hil_flash_op meta = { .kind = HIL_OP_PROGRAM, .addr = LAYOUT_META0_ADDR };
    struct hil_flash_op slot = { .kind = HIL_OP_PROGRAM, .addr = LAYOUT_SLOT_B_ADDR + 1024u };
    hil_f407_plan_count(&p, &erase);
    hil_f407_plan_count(&p, &meta);
    assert_int_equal(p.n, 2);
    hil_f407_plan_count(&p, &slot);
    assert_int_equal(p.n, 1);
    assert_false(hil_f407_plan_equal(&p, &q));
    q.n = 1;
    assert_true(hil_f407_plan_equal(&p, &q));
    q.v.torn = HIL_TORN_BITS;
    assert_false(hil_f407_plan_equal(&p, &q));
    hil_f407_plan_count(&p, &slot);
    hil_f407_plan_count(&p, &slot);
    assert_int_equal(p.n, 0);
    struct hil_fault_plan none = { 0 };
    assert_true(hil_f407_plan_equal(&p, &none));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_f407_parse_program),
        cmocka_unit_test(test_hil_f407_parse_fault_kinds),
        cmocka_unit_test(test_hil_f407_parse_errors),
        cmocka_unit_test(test_hil_f407_plan_count_and_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
