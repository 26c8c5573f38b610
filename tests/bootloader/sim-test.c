/* tests/bootloader/sim-test.c: the sim port itself (it is the fake the
 * other tests trust): STM32F4 flash semantics, fault injection, link,
 * clock, console, mailbox. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fota/boot.h"
#include "fota/errors.h"
#include "fota/port.h"
#include "sim.h"

static int setup(void **state)
{
    (void)state;
    sim_init();
    return 0;
}

static uint8_t at(uint32_t addr)
{
    return sim_flash()[addr - LAYOUT_FLASH_BASE];
}

static void test_port_flash_erase_sector_map(void **state)
{
    uint32_t s;

    (void)state;
    memset(sim_flash(), 0x00, LAYOUT_FLASH_SIZE);
    for (s = 2; s < LAYOUT_FLASH_SECTORS; s++) {
        uint32_t start = LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(s);
        uint32_t size = LAYOUT_SECTOR_SIZE(s);
        assert_int_equal(port_flash_erase_sector(s), 0);
        assert_int_equal(at(start), 0xFF);
        assert_int_equal(at(start + size - 1u), 0xFF);
        assert_int_equal(at(start - 1u), (s == 2) ? 0x00 : 0xFF);
        if (s + 1u < LAYOUT_FLASH_SECTORS) {
            assert_int_equal(at(start + size), 0x00);
        }
    }
    /* RM0090 Table 5: sector 4 is 64 KB at 0x10000, 5 at 0x20000, 11 ends at 1 MB */
    assert_int_equal(LAYOUT_SECTOR_OFFSET(4u), 0x10000u);
    assert_int_equal(LAYOUT_SECTOR_SIZE(4u), 0x10000u);
    assert_int_equal(LAYOUT_SECTOR_OFFSET(11u) + LAYOUT_SECTOR_SIZE(11u), LAYOUT_FLASH_SIZE);
    assert_int_equal(sim_erases(), 10);
    assert_int_equal(port_flash_erase_sector(0), FOTA_ERANGE);
    assert_int_equal(port_flash_erase_sector(1), FOTA_ERANGE);
    assert_int_equal(port_flash_erase_sector(12), FOTA_ERANGE);
    assert_int_equal(sim_erases(), 10);
}

static void test_port_flash_program_clears_bits_only(void **state)
{
    uint8_t a[4] = { 0xF0, 0x0F, 0xAA, 0xFF }, b[4] = { 0xFF, 0xFF, 0x55, 0x0F }, r[4];

    (void)state;
    assert_int_equal(port_flash_program(LAYOUT_SLOT_A_ADDR, a, 4), 0);
    assert_int_equal(port_flash_program(LAYOUT_SLOT_A_ADDR, b, 4), 0);
    assert_int_equal(port_flash_read(LAYOUT_SLOT_A_ADDR, r, 4), 0);
    assert_int_equal(r[0], 0xF0);
    assert_int_equal(r[1], 0x0F);
    assert_int_equal(r[2], 0x00);
    assert_int_equal(r[3], 0x0F);
    assert_int_equal(sim_programs(), 2);
}

static void test_port_flash_program_range(void **state)
{
    uint8_t d[8] = { 0 };

    (void)state;
    assert_int_equal(port_flash_program(LAYOUT_FLASH_BASE, d, 8), FOTA_ERANGE);
    assert_int_equal(port_flash_program(LAYOUT_FLASH_BASE + LAYOUT_BOOT_SIZE - 4u, d, 8), FOTA_ERANGE);
    assert_int_equal(port_flash_program(LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE - 4u, d, 8), FOTA_ERANGE);
    assert_int_equal(port_flash_program(LAYOUT_SLOT_B_ADDR, d, 0), FOTA_ERANGE);
    assert_int_equal(port_flash_program(LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE - 8u, d, 8), 0);
    assert_int_equal(port_flash_read(LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE - 4u, d, 8), FOTA_ERANGE);
    assert_int_equal(port_flash_read(0x20000000u, d, 8), FOTA_ERANGE);
    assert_int_equal(sim_ops(), 1);
}

struct prog_arg { uint32_t addr; uint32_t len; int erase; };

static void prog_fn(void *arg)
{
    struct prog_arg *p = (struct prog_arg *)arg;
    static uint8_t zeros[4096];

    if (p->erase) {
        (void)port_flash_erase_sector(p->addr);
    } else {
        (void)port_flash_program(p->addr, zeros, p->len);
    }
}

static void test_sim_fault_cut_program_torn(void **state)
{
    struct prog_arg a = { LAYOUT_SLOT_B_ADDR, 100, 0 };
    uint32_t i;

    (void)state;
    sim_fault_cut(1, SIM_TORN_NONE);
    assert_int_equal(sim_run(prog_fn, &a), SIM_EXIT_POWER_CUT);
    assert_true(sim_fault_fired());
    for (i = 0; i < 100; i++) {
        assert_int_equal(at(a.addr + i), 0xFF);
    }
    sim_fault_cut(2, SIM_TORN_HALF);
    assert_int_equal(sim_run(prog_fn, &a), SIM_EXIT_POWER_CUT);
    for (i = 0; i < 100; i++) {
        assert_int_equal(at(a.addr + i), i < 48u ? 0x00 : 0xFF); /* (100/2) & ~3 */
    }
    a.addr += 1000u;
    sim_fault_cut(3, SIM_TORN_ALL);
    assert_int_equal(sim_run(prog_fn, &a), SIM_EXIT_POWER_CUT);
    for (i = 0; i < 100; i++) {
        assert_int_equal(at(a.addr + i), 0x00);
    }
    /* fired once: the next op is applied normally */
    a.addr += 1000u;
    assert_int_equal(sim_run(prog_fn, &a), SIM_EXIT_RETURNED);
    assert_int_equal(sim_ops(), 4);
}

static void test_sim_fault_cut_erase_torn(void **state)
{
    struct prog_arg a = { 5, 0, 1 };
    uint32_t base = LAYOUT_SLOT_A_ADDR, half = LAYOUT_SECTOR_SIZE(5u) / 2u;

    (void)state;
    memset(sim_flash() + (base - LAYOUT_FLASH_BASE), 0x00, LAYOUT_SECTOR_SIZE(5u));
    sim_fault_cut(1, SIM_TORN_NONE);
    assert_int_equal(sim_run(prog_fn, &a), SIM_EXIT_POWER_CUT);
    assert_int_equal(at(base), 0x00);
    sim_fault_cut(2, SIM_TORN_HALF);
    assert_int_equal(sim_run(prog_fn, &a), SIM_EXIT_POWER_CUT);
    assert_int_equal(at(base), 0xFF);
    assert_int_equal(at(base + half - 1u), 0xFF);
    assert_int_equal(at(base + half), 0x00);
    sim_fault_cut(3, SIM_TORN_ALL);
    assert_int_equal(sim_run(prog_fn, &a), SIM_EXIT_POWER_CUT);
    assert_int_equal(at(base + LAYOUT_SECTOR_SIZE(5u) - 1u), 0xFF);
}

/* The sim port is the flash model: a cut can leave partly programmed and
 * partly erased cells (HIL_TORN_BITS), as in emulation. */
static void test_sim_fault_cut_torn_bits(void **state)
{
    struct prog_arg p = { LAYOUT_SLOT_B_ADDR, 16, 0 };
    struct prog_arg e = { 6, 0, 1 };
    uint32_t s6 = LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(6u);
    uint32_t i;

    (void)state;
    sim_fault_cut(1, SIM_TORN_BITS);
    assert_int_equal(sim_run(prog_fn, &p), SIM_EXIT_POWER_CUT);
    for (i = 0; i < 16u; i++) {
        assert_int_equal(at(p.addr + i), 0x55); /* 0xFF & (0x00 | 0x55) */
    }
    assert_int_equal(at(p.addr + 16u), 0xFF);
    memset(sim_flash() + (s6 - LAYOUT_FLASH_BASE), 0x00, LAYOUT_SECTOR_SIZE(6u));
    sim_fault_cut(2, SIM_TORN_BITS);
    assert_int_equal(sim_run(prog_fn, &e), SIM_EXIT_POWER_CUT);
    assert_int_equal(at(s6), 0x55);                              /* 0x00 | 0x55 */
    assert_int_equal(at(s6 + LAYOUT_SECTOR_SIZE(6u) - 1u), 0x55);
    assert_int_equal(at(s6 - 1u), 0xFF);                         /* sector 5 untouched */
}

static void test_port_flash_program_refuses_what_the_contract_refuses(void **state)
{
    uint8_t d[PORT_FLASH_PROGRAM_MAX + 1u] = { 0 };

    (void)state;
    assert_int_equal(port_flash_program(LAYOUT_SLOT_A_ADDR, d, PORT_FLASH_PROGRAM_MAX), 0);
    assert_int_equal(port_flash_program(LAYOUT_SLOT_B_ADDR, d, PORT_FLASH_PROGRAM_MAX + 1u), FOTA_ERANGE);
    assert_int_equal(port_flash_program(LAYOUT_SLOT_B_ADDR, NULL, 4), FOTA_EINVAL);
    assert_int_equal(sim_ops(), 1);
}

static void test_sim_fault_fail(void **state)
{
    uint8_t d[4] = { 0 };

    (void)state;
    sim_fault_fail(2, FOTA_EFLASH);
    assert_int_equal(port_flash_program(LAYOUT_SLOT_A_ADDR, d, 4), 0);
    assert_int_equal(port_flash_program(LAYOUT_SLOT_A_ADDR + 4u, d, 4), FOTA_EFLASH);
    assert_int_equal(at(LAYOUT_SLOT_A_ADDR + 4u), 0xFF);
    assert_int_equal(port_flash_program(LAYOUT_SLOT_A_ADDR + 8u, d, 4), 0);
    assert_int_equal(at(LAYOUT_SLOT_A_ADDR + 8u), 0x00);
    assert_int_equal(sim_ops(), 3);
}

static int hook_calls;
static int idle_hook(void *ctx)
{
    (void)ctx;
    hook_calls++;
    if (hook_calls == 2) {
        sim_link_host_send("hi", 2);
    }
    return hook_calls >= 5;
}

static void reader_fn(void *arg)
{
    uint8_t buf[8];
    uint32_t got;
    int *bytes = (int *)arg;

    for (;;) {
        assert_int_equal(port_link_read(buf, sizeof(buf), 250, &got), 0);
        *bytes += (int)got;
        if (got > 0u) {
            assert_int_equal(port_link_write(buf, got), 0);
        }
    }
}

static void test_port_link_read_idle_hook_and_clock(void **state)
{
    int bytes = 0;
    char back[8];

    (void)state;
    sim_link_set_idle_hook(idle_hook, NULL);
    assert_int_equal(sim_run(reader_fn, &bytes), SIM_EXIT_STOP);
    assert_int_equal(bytes, 2);
    assert_int_equal(sim_link_host_recv(back, sizeof(back)), 2);
    assert_memory_equal(back, "hi", 2);
    /* calls 1, 3, 4 found nothing: 3 timeouts of fake time */
    assert_int_equal(sim_now_ms(), 750);
    assert_int_equal(port_ticks_ms(), 750);
}

static void test_port_link_read_hangs_at_time_limit(void **state)
{
    int bytes = 0;

    (void)state;
    sim_set_time_limit(10000);
    assert_int_equal(sim_run(reader_fn, &bytes), SIM_EXIT_HUNG);
    assert_true(sim_now_ms() >= 10000u);
}

static void test_port_link_read_eio(void **state)
{
    uint8_t b;
    uint32_t got = 9;

    (void)state;
    sim_link_fail_next_read();
    sim_link_host_send("x", 1);
    assert_int_equal(port_link_read(&b, 1, 10, &got), FOTA_EIO);
    assert_int_equal(got, 0);
    assert_int_equal(port_link_read(&b, 1, 10, &got), 0);
    assert_int_equal(got, 1);
}

static void test_port_console_write_lines(void **state)
{
    (void)state;
    port_console_write("BL: one\r\n");
    port_console_write("BL: two");
    port_console_write(" three\r\n");
    assert_string_equal(sim_console(), "BL: one\r\nBL: two three\r\n");
    assert_true(sim_console_has_line("BL: two three"));
    assert_false(sim_console_has_line("BL: two"));
    assert_true(sim_console_has_prefix("BL: two"));
    assert_false(sim_console_has_line("one"));
    sim_console_clear();
    assert_string_equal(sim_console(), "");
}

static void reset_fn(void *arg) { (void)arg; bl_mailbox()->mb_request = 42; port_reset(); }
static void jump_fn(void *arg) { (void)arg; port_watchdog_start(1234); port_jump(0x08080200u); }

static void test_port_reset_keeps_mailbox_power_cycle_does_not(void **state)
{
    (void)state;
    assert_int_equal(sim_run(reset_fn, NULL), SIM_EXIT_RESET);
    assert_int_equal(bl_mailbox()->mb_request, 42);
    sim_power_cycle();
    assert_int_not_equal(bl_mailbox()->mb_request, 42);
    assert_int_not_equal(bl_mailbox()->mb_magic, BL_MAILBOX_MAGIC);
    assert_int_equal(sim_run(jump_fn, NULL), SIM_EXIT_JUMP);
    assert_int_equal(sim_jump_vectors(), 0x08080200u);
    assert_int_equal(sim_watchdog_ms(), 1234);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_port_flash_erase_sector_map, setup),
        cmocka_unit_test_setup(test_port_flash_program_clears_bits_only, setup),
        cmocka_unit_test_setup(test_port_flash_program_range, setup),
        cmocka_unit_test_setup(test_sim_fault_cut_program_torn, setup),
        cmocka_unit_test_setup(test_sim_fault_cut_erase_torn, setup),
        cmocka_unit_test_setup(test_sim_fault_fail, setup),
        cmocka_unit_test_setup(test_sim_fault_cut_torn_bits, setup),
        cmocka_unit_test_setup(test_port_flash_program_refuses_what_the_contract_refuses, setup),
        cmocka_unit_test_setup(test_port_link_read_idle_hook_and_clock, setup),
        cmocka_unit_test_setup(test_port_link_read_hangs_at_time_limit, setup),
        cmocka_unit_test_setup(test_port_link_read_eio, setup),
        cmocka_unit_test_setup(test_port_console_write_lines, setup),
        cmocka_unit_test_setup(test_port_reset_keeps_mailbox_power_cycle_does_not, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
