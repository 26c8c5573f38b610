/**
 * @file flashmodel-test.c
 * @brief Unit tests of the harness flash model (harness/target/flashmodel.c):
 * RM0090 sector map, erase/program semantics, torn states, range errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "target/flashmodel.h"

static struct hil_flash *fm;

static int setup(void **state)
{
    (void)state;
    fm = malloc(sizeof(*fm));
    hil_flash_init(fm);
    return fm == NULL;
}

static int teardown(void **state)
{
    (void)state;
    free(fm);
    return 0;
}

#define OFF(a) ((a) - LAYOUT_FLASH_BASE)

static void test_hil_flash_init_all_erased(void **state)
{
    (void)state;
    fm->programs = 7;
    memset(fm->mem, 0, 100);
    hil_flash_init(fm);
    for (size_t i = 0; i < sizeof(fm->mem); i++) {
        if (fm->mem[i] != 0xFF) {
            fail_msg("byte %zu not erased", i);
        }
    }
    assert_int_equal(fm->programs, 0);
    assert_int_equal(fm->erases, 0);
}

static void test_hil_flash_region_of_boundaries(void **state)
{
    (void)state;
    assert_int_equal(hil_flash_region_of(LAYOUT_BOOT_ADDR), HIL_REGION_BOOT);
    assert_int_equal(hil_flash_region_of(LAYOUT_BOOT_ADDR + LAYOUT_BOOT_SIZE - 1u), HIL_REGION_BOOT);
    assert_int_equal(hil_flash_region_of(LAYOUT_META0_ADDR), HIL_REGION_META);
    assert_int_equal(hil_flash_region_of(LAYOUT_META1_ADDR + LAYOUT_META_SECTOR_SIZE - 1u), HIL_REGION_META);
    /* sector 4 is reserved */
    assert_int_equal(hil_flash_region_of(LAYOUT_META1_ADDR + LAYOUT_META_SECTOR_SIZE), HIL_REGION_OTHER);
    assert_int_equal(hil_flash_region_of(LAYOUT_SLOT_A_ADDR - 1u), HIL_REGION_OTHER);
    assert_int_equal(hil_flash_region_of(LAYOUT_SLOT_A_ADDR), HIL_REGION_SLOT_A);
    assert_int_equal(hil_flash_region_of(LAYOUT_SLOT_A_ADDR + LAYOUT_SLOT_SIZE - 1u), HIL_REGION_SLOT_A);
    assert_int_equal(hil_flash_region_of(LAYOUT_SLOT_B_ADDR), HIL_REGION_SLOT_B);
    assert_int_equal(hil_flash_region_of(LAYOUT_SLOT_B_ADDR + LAYOUT_SLOT_SIZE - 1u), HIL_REGION_SLOT_B);
    /* sector 11 is reserved; outside the flash */
    assert_int_equal(hil_flash_region_of(LAYOUT_SLOT_B_ADDR + LAYOUT_SLOT_SIZE), HIL_REGION_OTHER);
    assert_int_equal(hil_flash_region_of(0x20000000u), HIL_REGION_OTHER);
}

static void test_hil_flash_sector_of_table5(void **state)
{
    (void)state;
    assert_int_equal(hil_flash_sector_of(0x08000000u), 0);
    assert_int_equal(hil_flash_sector_of(0x08003FFFu), 0);
    assert_int_equal(hil_flash_sector_of(0x08004000u), 1);
    assert_int_equal(hil_flash_sector_of(0x0800C000u), 3);
    assert_int_equal(hil_flash_sector_of(0x08010000u), 4);
    assert_int_equal(hil_flash_sector_of(0x0801FFFFu), 4);
    assert_int_equal(hil_flash_sector_of(0x08020000u), 5);
    assert_int_equal(hil_flash_sector_of(0x08080000u), 8);
    assert_int_equal(hil_flash_sector_of(0x080E0000u), 11);
    assert_int_equal(hil_flash_sector_of(0x080FFFFFu), 11);
    assert_int_equal(hil_flash_sector_of(0x08100000u), -1);
    assert_int_equal(hil_flash_sector_of(0x07FFFFFFu), -1);
    assert_int_equal(hil_flash_sector_of(0x20000000u), -1);
}

static void test_hil_flash_program_only_clears_bits(void **state)
{
    (void)state;
    const uint8_t a[4] = { 0xF0, 0x0F, 0x55, 0x00 };
    const uint8_t b[4] = { 0x3C, 0xFF, 0xFF, 0xFF };
    assert_int_equal(hil_flash_program(fm, 0x08020001u, a, 4, HIL_TORN_ALL), 0);
    assert_int_equal(hil_flash_program(fm, 0x08020001u, b, 4, HIL_TORN_ALL), 0);
    uint8_t got[6];
    assert_int_equal(hil_flash_read(fm, 0x08020000u, got, 6), 0);
    const uint8_t want[6] = { 0xFF, 0x30, 0x0F, 0x55, 0x00, 0xFF };
    assert_memory_equal(got, want, 6);
    assert_int_equal(fm->programs, 2);
}

static void test_hil_flash_erase_whole_sector_only(void **state)
{
    (void)state;
    memset(&fm->mem[OFF(0x0800C000u) - 1], 0x00, 0x4000 + 2); /* sector 3 and one byte each side */
    assert_int_equal(hil_flash_erase(fm, 3, HIL_TORN_ALL), 0);
    assert_int_equal(fm->mem[OFF(0x0800C000u) - 1], 0x00);
    assert_int_equal(fm->mem[OFF(0x0800C000u)], 0xFF);
    assert_int_equal(fm->mem[OFF(0x0800FFFFu)], 0xFF);
    assert_int_equal(fm->mem[OFF(0x08010000u)], 0x00);
    assert_int_equal(fm->erases, 1);
}

static void test_hil_flash_erase_torn_half_and_none(void **state)
{
    (void)state;
    memset(&fm->mem[OFF(0x08020000u)], 0x00, 0x20000);
    assert_int_equal(hil_flash_erase(fm, 5, HIL_TORN_NONE), 0);
    assert_int_equal(fm->mem[OFF(0x08020000u)], 0x00);
    assert_int_equal(hil_flash_erase(fm, 5, HIL_TORN_HALF), 0);
    assert_int_equal(fm->mem[OFF(0x08020000u)], 0xFF);
    assert_int_equal(fm->mem[OFF(0x0802FFFFu)], 0xFF);
    assert_int_equal(fm->mem[OFF(0x08030000u)], 0x00);
    assert_int_equal(fm->mem[OFF(0x0803FFFFu)], 0x00);
    assert_int_equal(fm->erases, 0); /* torn operations are not counted as applied */
}

static void test_hil_flash_program_torn_half_rounds_to_word(void **state)
{
    (void)state;
    uint8_t d[22];
    memset(d, 0x00, sizeof(d));
    /* 22 / 2 = 11, rounded down to a word: 8 bytes. */
    assert_int_equal(hil_flash_program(fm, 0x08008000u, d, sizeof(d), HIL_TORN_HALF), 0);
    assert_int_equal(fm->mem[OFF(0x08008000u) + 7], 0x00);
    assert_int_equal(fm->mem[OFF(0x08008000u) + 8], 0xFF);
    assert_int_equal(hil_flash_program(fm, 0x08008100u, d, 3, HIL_TORN_HALF), 0);
    assert_int_equal(fm->mem[OFF(0x08008100u)], 0xFF); /* (3/2)&~3 = 0 */
    assert_int_equal(hil_flash_program(fm, 0x08008200u, d, 8, HIL_TORN_NONE), 0);
    assert_int_equal(fm->mem[OFF(0x08008200u)], 0xFF);
    assert_int_equal(fm->programs, 0);
}

static void test_hil_flash_range_errors(void **state)
{
    (void)state;
    uint8_t d[8] = { 0 };
    assert_int_equal(hil_flash_erase(fm, 12, HIL_TORN_ALL), FOTA_ERANGE);
    assert_int_equal(hil_flash_program(fm, 0x07FFFFFFu, d, 1, HIL_TORN_ALL), FOTA_ERANGE);
    assert_int_equal(hil_flash_program(fm, 0x080FFFFCu, d, 8, HIL_TORN_ALL), FOTA_ERANGE);
    assert_int_equal(hil_flash_program(fm, 0xFFFFFFFCu, d, 8, HIL_TORN_ALL), FOTA_ERANGE);
    assert_int_equal(hil_flash_program(fm, 0x080FFFF8u, d, 8, HIL_TORN_ALL), 0);
    assert_int_equal(hil_flash_read(fm, 0x08100000u, d, 1), FOTA_ERANGE);
    assert_int_equal(hil_flash_read(fm, 0x080FFFFFu, d, 2), FOTA_ERANGE);
    assert_int_equal(hil_flash_read(fm, 0x080FFFFFu, d, 1), 0);
}

static void test_hil_flash_load_save_roundtrip(void **state)
{
    (void)state;
    char path[] = "/tmp/flashmodel-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char body[] = "hello flash";
    assert_int_equal(write(fd, body, sizeof(body)), (int)sizeof(body));
    close(fd);
    /* Load replaces the cells (not ANDed) and is not an operation. */
    memset(&fm->mem[OFF(0x08080000u)], 0x00, 64);
    assert_int_equal(hil_flash_load_file(fm, 0x08080000u, path), 0);
    assert_memory_equal(&fm->mem[OFF(0x08080000u)], body, sizeof(body));
    assert_int_equal(fm->programs, 0);
    assert_int_equal(hil_flash_load_file(fm, 0x080FFFF8u, path), FOTA_ERANGE);
    assert_int_equal(hil_flash_load_file(fm, 0x08000000u, "/nonexistent/x.bin"), FOTA_EIO);
    assert_int_equal(hil_flash_save(fm, path), 0);
    struct hil_flash *g = malloc(sizeof(*g));
    hil_flash_init(g);
    assert_int_equal(hil_flash_load_file(g, LAYOUT_FLASH_BASE, path), 0);
    assert_memory_equal(g->mem, fm->mem, sizeof(g->mem));
    free(g);
    assert_int_equal(hil_flash_save(fm, "/nonexistent/dir/flash.img"), FOTA_EIO);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hil_flash_init_all_erased, setup, teardown),
        cmocka_unit_test(test_hil_flash_region_of_boundaries),
        cmocka_unit_test_setup_teardown(test_hil_flash_sector_of_table5, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_flash_program_only_clears_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_flash_erase_whole_sector_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_flash_erase_torn_half_and_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_flash_program_torn_half_rounds_to_word, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_flash_range_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_flash_load_save_roundtrip, setup, teardown),
    };
    return cmocka_run_group_tests_name("flashmodel", tests, NULL, NULL);
}
