/**
 * @file rom_an4221.c
 * @brief I2C framing of the emulated ST ROM bootloader, AN4221 (see
 * rom_an4221.h; the command engine is rom_an3155.c's).
 */
#include "link/rom_an4221.h"
#include "scenario/rom_quirks.h"

#include <stdio.h>
#include <string.h>

void hil_rom_init_i2c(struct hil_rom *r, struct hil_flash *flash, const struct hil_rom_hooks *hooks)
{
    hil_rom_init(r, flash, hooks);
    hil_rom_select_i2c(r);
}

/* START, address byte, @p n bytes, STOP: (n + 1) * 9 bits + 2. */
static void i2c_tick(struct hil_rom *r, size_t n)
{
    r->bus_ns += ((uint64_t)(n + 1u) * 9u + 2u) * HIL_ROM_I2C_BIT_NS;
}

static size_t i2c_queued(const struct hil_rom *r)
{
    return r->spi_qt - r->spi_qh;
}

/* The late_param_nack quirk: a parameter frame more than 1 s of bus time
 * after the ACK that asked for it. @return true if it fired. */
static bool i2c_late_param(struct hil_rom *r)
{
    uint64_t limit = (uint64_t)HIL_ROM_LATE_PARAM_MS * 1000000u;
    if ((r->quirks & HIL_ROM_QUIRK_LATE_PARAM_NACK) == 0 || !hil_rom_engine_in_command(r) ||
        r->bus_ns - r->ack_ns <= limit) {
        return false;
    }
    char why[96];
    snprintf(why, sizeof(why), "QUIRK late_param_nack: parameter %llu ms of bus time after its ACK",
             (unsigned long long)((r->bus_ns - r->ack_ns) / 1000000u));
    hil_rom_engine_abort(r, NULL, why);
    return true;
}

enum hil_i2c_status hil_rom_i2c_write(struct hil_rom *r, const uint8_t *b, size_t n, size_t *acked)
{
    *acked = 0;
    if (r->cut) {
        return HIL_I2C_ADDR_NACK;
    }
    i2c_tick(r, n);
    if (i2c_queued(r) > 0) {
        hil_rom_log(r, "rom: I2C write with %zu answer bytes unread: dropped", i2c_queued(r));
    }
    r->spi_qh = r->spi_qt = 0;
    r->i2c_ack_lost = false;
    r->bus_ns += r->late_ns; /* a rom_late fault: this frame comes that late */
    r->late_ns = 0;
    if (n > 0 && i2c_late_param(r)) {
        *acked = n;
        return HIL_I2C_OK;
    }
    size_t take = n;
    bool too_long = (r->quirks & HIL_ROM_QUIRK_I2C_WRITE_128) != 0 && n >= HIL_ROM_I2C_WRITE_LIMIT;
    if (too_long) {
        take = HIL_ROM_I2C_WRITE_LIMIT - 1u;
    }
    for (size_t i = 0; i < take && !r->cut && !r->go; i++) {
        hil_rom_engine_byte(r, b[i], NULL);
        *acked = i + 1u;
    }
    if (too_long && !r->cut) {
        hil_rom_engine_abort(r, NULL, "QUIRK i2c_write_128: a write of 128 bytes or more, byte 128 NACKed");
        return HIL_I2C_DATA_NACK;
    }
    if (!r->cut && !r->go && hil_rom_engine_partial(r)) {
        /* A frame is one write transaction: STOP ended this one early. */
        hil_rom_engine_abort(r, NULL, "I2C write ended (STOP) inside a frame");
    }
    *acked = n;
    return HIL_I2C_OK;
}

enum hil_i2c_status hil_rom_i2c_read(struct hil_rom *r, uint8_t *b, size_t n)
{
    if (r->cut) {
        return HIL_I2C_ADDR_NACK;
    }
    i2c_tick(r, n);
    if (i2c_queued(r) == 0) {
        if (r->i2c_ack_lost && r->i2c_lost_polled) {
            memset(b, HIL_ROM_NACK, n); /* erase_no_ack: polled again, 0x1F */
            return HIL_I2C_OK;
        }
        r->i2c_lost_polled = r->i2c_ack_lost;
        return HIL_I2C_ADDR_NACK;
    }
    for (size_t i = 0; i < n; i++) {
        b[i] = 0xFFu;
        if (r->spi_qh < r->spi_qt) {
            b[i] = (uint8_t)r->spi_q[r->spi_qh++];
        }
    }
    if (r->spi_qh == r->spi_qt) {
        r->spi_qh = r->spi_qt = 0;
    }
    return HIL_I2C_OK;
}
