/**
 * @file rom_an4286-test.c
 * @brief The emulated ST ROM bootloader on SPI1 (harness/link/rom_an4286.c,
 * AN4286 framing over rom_an3155.c's command engine): byte-level tests
 * that play the master's side of AN4286 2.1, 2.2 and 3 by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fota/layout.h"
#include "fake_rom.h"
#include "link/rom_an4286.h"

static struct hil_flash *fm;
static struct hil_rom *rom;

static int setup(void **state)
{
    (void)state;
    return fake_rom_new(&fm, &rom, hil_rom_init_spi);
}

static int teardown(void **state)
{
    (void)state;
    return fake_rom_free(fm, rom);
}

static void send_bytes(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        (void)hil_rom_spi_clock(rom, b[i]);
    }
}

/* AN4286 2.2 master side: dummy, poll (at most 8), 0x79. @return the ACK/NACK, 0 if none. */
static uint8_t get_ack(void)
{
    uint8_t b = 0;
    (void)hil_rom_spi_clock(rom, 0x00);
    for (int i = 0; i < 8; i++) {
        b = hil_rom_spi_clock(rom, 0x00);
        if (b == HIL_ROM_ACK || b == HIL_ROM_NACK) {
            (void)hil_rom_spi_clock(rom, HIL_ROM_ACK);
            return b;
        }
    }
    return 0;
}

static uint8_t cmd(uint8_t c)
{
    uint8_t f[3] = { HIL_ROM_SPI_SOF, c, (uint8_t)(c ^ 0xFFu) };
    send_bytes(f, 3);
    return get_ack();
}

static void sync_rom(void)
{
    uint8_t s = HIL_ROM_SPI_SOF;
    assert_int_equal(hil_rom_spi_clock(rom, s), HIL_ROM_SPI_BUSY); /* 2.1: 0xA5 during 0x5A */
    assert_int_equal(get_ack(), HIL_ROM_ACK);
}

static void test_hil_rom_spi_clock_sync_acks_0x5a(void **state)
{
    (void)state;
    uint8_t junk[3] = { 0x00, 0x7F, 0x12 };
    send_bytes(junk, 3); /* ignored before the first 0x5A */
    assert_false(rom->synced);
    sync_rom();
    assert_true(rom->synced);
}

static void test_hil_rom_spi_clock_ack_needs_dummy_first(void **state)
{
    (void)state;
    sync_rom();
    uint8_t f[3] = { HIL_ROM_SPI_SOF, 0x02, 0xFD };
    send_bytes(f, 3);
    /* The first byte after a frame is the ROM's busy byte, never the ACK. */
    assert_int_equal(hil_rom_spi_clock(rom, 0x00), HIL_ROM_SPI_BUSY);
    assert_int_equal(hil_rom_spi_clock(rom, 0x00), HIL_ROM_ACK);
    assert_true(rom->spi_wait_ack);
    (void)hil_rom_spi_clock(rom, HIL_ROM_ACK);
    assert_false(rom->spi_wait_ack);
}

static void test_hil_rom_spi_clock_get_id_0413(void **state)
{
    (void)state;
    sync_rom();
    assert_int_equal(cmd(0x02), HIL_ROM_ACK);
    assert_int_equal(hil_rom_spi_clock(rom, 0x00), HIL_ROM_SPI_BUSY); /* data phase dummy */
    assert_int_equal(hil_rom_spi_clock(rom, 0x00), 1);
    assert_int_equal(hil_rom_spi_clock(rom, 0x00), 0x04);
    assert_int_equal(hil_rom_spi_clock(rom, 0x00), 0x13);
    assert_int_equal(get_ack(), HIL_ROM_ACK);
}

static void test_hil_rom_spi_clock_get_version_one_byte(void **state)
{
    (void)state;
    sync_rom();
    assert_int_equal(cmd(0x01), HIL_ROM_ACK);
    (void)hil_rom_spi_clock(rom, 0x00);
    assert_int_equal(hil_rom_spi_clock(rom, 0x00), HIL_ROM_VERSION);
    assert_int_equal(get_ack(), HIL_ROM_ACK); /* no option bytes before it */
}

static void test_hil_rom_spi_clock_bad_complement_nack(void **state)
{
    (void)state;
    sync_rom();
    uint8_t f[3] = { HIL_ROM_SPI_SOF, 0x31, 0x31 };
    send_bytes(f, 3);
    assert_int_equal(get_ack(), HIL_ROM_NACK);
    assert_int_equal(cmd(0x02), HIL_ROM_ACK); /* back to waiting for a command */
}

static void test_hil_rom_spi_clock_write_then_read(void **state)
{
    (void)state;
    uint32_t a = LAYOUT_SLOT_B_ADDR;
    uint8_t addr[5] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a, 0 };
    addr[4] = (uint8_t)(addr[0] ^ addr[1] ^ addr[2] ^ addr[3]);
    uint8_t data[1 + 8 + 1] = { 7, 1, 2, 3, 4, 5, 6, 7, 8, 0 };
    for (int i = 0; i < 9; i++) {
        data[9] ^= data[i];
    }
    sync_rom();
    assert_int_equal(cmd(0x31), HIL_ROM_ACK);
    send_bytes(addr, 5);
    assert_int_equal(get_ack(), HIL_ROM_ACK);
    send_bytes(data, sizeof(data));
    assert_int_equal(get_ack(), HIL_ROM_ACK);
    assert_memory_equal(&fm->mem[a - LAYOUT_FLASH_BASE], &data[1], 8);

    assert_int_equal(cmd(0x11), HIL_ROM_ACK);
    send_bytes(addr, 5);
    assert_int_equal(get_ack(), HIL_ROM_ACK);
    uint8_t nb[2] = { 7, 0xF8 };
    send_bytes(nb, 2);
    assert_int_equal(get_ack(), HIL_ROM_ACK);
    (void)hil_rom_spi_clock(rom, 0x00);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(hil_rom_spi_clock(rom, 0x00), data[1 + i]);
    }
}

static void test_hil_rom_spi_clock_write_bad_checksum_nack(void **state)
{
    (void)state;
    uint32_t a = LAYOUT_SLOT_B_ADDR;
    uint8_t addr[5] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a, 0 };
    addr[4] = (uint8_t)(addr[0] ^ addr[1] ^ addr[2] ^ addr[3]);
    uint8_t data[1 + 4 + 1] = { 3, 1, 2, 3, 4, 0x55 };
    sync_rom();
    assert_int_equal(cmd(0x31), HIL_ROM_ACK);
    send_bytes(addr, 5);
    assert_int_equal(get_ack(), HIL_ROM_ACK);
    send_bytes(data, sizeof(data));
    assert_int_equal(get_ack(), HIL_ROM_NACK);
    assert_int_equal(fm->mem[a - LAYOUT_FLASH_BASE], 0xFF);
}

static void test_hil_rom_spi_clock_go_leaves_rom(void **state)
{
    (void)state;
    uint8_t addr[5] = { 0x08, 0x00, 0x00, 0x00, 0x08 };
    sync_rom();
    assert_int_equal(cmd(0x21), HIL_ROM_ACK);
    send_bytes(addr, 5);
    assert_int_equal(get_ack(), HIL_ROM_ACK);
    assert_true(rom->go);
    assert_int_equal(rom->go_addr, 0x08000000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hil_rom_spi_clock_sync_acks_0x5a, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_spi_clock_ack_needs_dummy_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_spi_clock_get_id_0413, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_spi_clock_get_version_one_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_spi_clock_bad_complement_nack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_spi_clock_write_then_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_spi_clock_write_bad_checksum_nack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_spi_clock_go_leaves_rom, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
