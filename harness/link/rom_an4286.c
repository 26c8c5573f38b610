/**
 * @file rom_an4286.c
 * @brief SPI framing of the emulated ST ROM bootloader, AN4286 (see
 * rom_an4286.h; the command engine is rom_an3155.c's).
 */
#include "link/rom_an4286.h"

#include <stdio.h>

void hil_rom_init_spi(struct hil_rom *r, struct hil_flash *flash, const struct hil_rom_hooks *hooks)
{
    hil_rom_init(r, flash, hooks);
    r->link = HIL_ROM_LINK_SPI;
}

uint8_t hil_rom_spi_clock(struct hil_rom *r, uint8_t mosi)
{
    if (r->cut) {
        return 0xFFu; /* no power: MISO floats high */
    }
    if (r->spi_wait_ack) {
        /* AN4286 2.2: the master acknowledges the ACK/NACK with 0x79. */
        if (mosi == HIL_ROM_ACK) {
            r->spi_wait_ack = false;
        } else if (mosi == HIL_ROM_SPI_SOF) {
            r->spi_wait_ack = false; /* no acknowledge: take it as the next SOF */
            hil_rom_engine_byte(r, mosi, NULL);
        }
        return HIL_ROM_SPI_BUSY;
    }
    if (r->spi_qh < r->spi_qt) {
        uint16_t v = r->spi_q[r->spi_qh];
        if ((v & HIL_ROM_SPI_HOLD) != 0) {
            r->spi_q[r->spi_qh] = (uint16_t)(v & ~HIL_ROM_SPI_HOLD); /* the master's dummy byte */
            return HIL_ROM_SPI_BUSY;
        }
        r->spi_qh++;
        if (r->spi_qh == r->spi_qt) {
            r->spi_qh = r->spi_qt = 0;
        }
        if ((v & HIL_ROM_SPI_ACKB) != 0) {
            r->spi_wait_ack = true;
        }
        return (uint8_t)v; /* MOSI of a read byte time is a dummy: ignored */
    }
    hil_rom_engine_byte(r, mosi, NULL);
    return HIL_ROM_SPI_BUSY;
}
