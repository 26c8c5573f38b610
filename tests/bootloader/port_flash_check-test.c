/* tests/bootloader/port_flash_check-test.c: the flash-argument rules of
 * fota/port.h (bootloader/core/port_flash_check.c), every boundary. The
 * ports and the harness backends all ask these functions; before they
 * existed the stm32f4 port answered 0 to a zero-length program and the
 * board backend accepted 4096-byte programs where QEMU stopped at 1024. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/port.h"
#include "fota/proto.h"

#define FIRST_WRITABLE (LAYOUT_BOOT_ADDR + LAYOUT_BOOT_SIZE)
#define FLASH_END      (LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE)

static void test_port_flash_check_erase_sectors(void **state)
{
    (void)state;
    assert_int_equal(port_flash_check_erase(0), FOTA_ERANGE); /* bootloader */
    assert_int_equal(port_flash_check_erase(1), FOTA_ERANGE); /* bootloader */
    for (uint32_t s = 2; s < LAYOUT_FLASH_SECTORS; s++) {
        assert_int_equal(port_flash_check_erase(s), 0);
    }
    assert_int_equal(port_flash_check_erase(LAYOUT_FLASH_SECTORS), FOTA_ERANGE);
    assert_int_equal(port_flash_check_erase(0xFFFFFFFFu), FOTA_ERANGE);
}

static void test_port_flash_check_program_zero_length(void **state)
{
    (void)state;
    /* The stm32f4 port answered 0 here; the contract says FOTA_ERANGE. */
    assert_int_equal(port_flash_check_program(LAYOUT_SLOT_A_ADDR, 0), FOTA_ERANGE);
    assert_int_equal(port_flash_check_program(LAYOUT_SLOT_A_ADDR, 1), 0);
}

static void test_port_flash_check_program_length_max(void **state)
{
    (void)state;
    assert_int_equal(PORT_FLASH_PROGRAM_MAX, PROTO_MAX_DATA);
    assert_int_equal(port_flash_check_program(LAYOUT_SLOT_A_ADDR, PORT_FLASH_PROGRAM_MAX), 0);
    /* The board backend took up to 4096 here, QEMU 1024. */
    assert_int_equal(port_flash_check_program(LAYOUT_SLOT_A_ADDR, PORT_FLASH_PROGRAM_MAX + 1u), FOTA_ERANGE);
    assert_int_equal(port_flash_check_program(LAYOUT_SLOT_A_ADDR, 4096u), FOTA_ERANGE);
    assert_int_equal(port_flash_check_program(LAYOUT_SLOT_A_ADDR, 0xFFFFFFFFu), FOTA_ERANGE);
}

static void test_port_flash_check_program_bootloader_sectors(void **state)
{
    (void)state;
    assert_int_equal(port_flash_check_program(LAYOUT_FLASH_BASE, 4), FOTA_ERANGE);
    assert_int_equal(port_flash_check_program(FIRST_WRITABLE - 1u, 1), FOTA_ERANGE);
    assert_int_equal(port_flash_check_program(FIRST_WRITABLE - 4u, 8), FOTA_ERANGE); /* straddles in */
    assert_int_equal(port_flash_check_program(FIRST_WRITABLE, 1), 0);
}

static void test_port_flash_check_program_outside_flash(void **state)
{
    (void)state;
    assert_int_equal(port_flash_check_program(0x00000000u, 4), FOTA_ERANGE);
    assert_int_equal(port_flash_check_program(LAYOUT_RAM_BASE, 4), FOTA_ERANGE);
    assert_int_equal(port_flash_check_program(FLASH_END - 4u, 4), 0);      /* last word */
    assert_int_equal(port_flash_check_program(FLASH_END - 4u, 5), FOTA_ERANGE); /* one past */
    assert_int_equal(port_flash_check_program(FLASH_END, 1), FOTA_ERANGE);
    /* addr + len wraps past 4 GB: a 32-bit end would look small. */
    assert_int_equal(port_flash_check_program(0xFFFFFF00u, 0x200u), FOTA_ERANGE);
}

static void test_port_flash_check_program_alignment_and_sector_end(void **state)
{
    uint32_t sector6 = LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(6u);

    (void)state;
    /* Any alignment (x8 programming, RM0090 3.6.4). */
    assert_int_equal(port_flash_check_program(LAYOUT_SLOT_A_ADDR + 1u, 3), 0);
    assert_int_equal(port_flash_check_program(LAYOUT_SLOT_A_ADDR + 3u, 1023), 0);
    /* Across a sector end: programming is by address, not a rule. */
    assert_int_equal(port_flash_check_program(sector6 - 2u, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_flash_check_erase_sectors),
        cmocka_unit_test(test_port_flash_check_program_zero_length),
        cmocka_unit_test(test_port_flash_check_program_length_max),
        cmocka_unit_test(test_port_flash_check_program_bootloader_sectors),
        cmocka_unit_test(test_port_flash_check_program_outside_flash),
        cmocka_unit_test(test_port_flash_check_program_alignment_and_sector_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
