/**
 * @file rom_an4286.h
 * @brief The emulated ST ROM bootloader on SPI1, protocol of ST application
 * note AN4286 ("SPI protocol used in the STM32 bootloader"). The command
 * layer (GET, GET VERSION, GET ID, READ MEMORY, WRITE MEMORY, EXTENDED
 * ERASE, GO; address/length/data checks; flash model and fault hooks) is
 * the one of rom_an3155.c (hil_rom_engine_byte); this file is only the SPI
 * framing. SPI is full duplex: the master clocks one byte out on MOSI and
 * one in on MISO; the ROM never talks by itself.
 *
 * Modelled behaviour (AN4286 section numbers as recalled by the author
 * from rev 4; check them against the PDF you ship with):
 *   2.1 synchronization: the master sends 0x5A; MISO carries the ROM's
 *       busy byte 0xA5 meanwhile; then the get-ACK procedure (2.2).
 *       Bytes before the first 0x5A are ignored.
 *   2.2 get-ACK procedure (master side figure): the master clocks a dummy
 *       byte 0x00 (its MISO is discarded: the ROM loads its answer one
 *       byte late), then clocks 0x00 and reads until ACK 0x79 or NACK
 *       0x1F (0xA5 = busy, keep polling), then sends 0x79 to acknowledge
 *       the ACK. The ROM takes no further byte before that 0x79 (a 0x5A
 *       instead is taken as the next frame's SOF).
 *   3   command frame: SOF 0x5A, command, complement (XOR 0xFF); bytes
 *       between frames that are not 0x5A are skipped. Address frames
 *       (4 bytes MSB first + XOR), N + complement (READ), N + data + XOR
 *       (WRITE), EXTENDED ERASE frames: as AN3155, each followed by the
 *       get-ACK procedure.
 *   3.x data phases (GET, GET VERSION, GET ID, READ MEMORY data): the
 *       master clocks one dummy byte, then the data; GET VERSION gives the
 *       version byte only (AN3155 adds two option bytes).
 *   Idle / busy MISO: 0xA5; powered off (after a cut): 0xFF (line pulled up).
 *
 * Not AN2606: the real F405/407 ROM (v3.1) has no SPI interface (USART1,
 * USART3, CAN2, USB DFU); the rig gives the F407 model the SPI ROM of the
 * F42x/F446 class so the product's ESP32 (SPI master) path can be tested.
 */
#ifndef HIL_ROM_AN4286_H
#define HIL_ROM_AN4286_H

#include <stdint.h>
#include "link/rom_an3155.h"

/** Power-on state of the ROM on SPI1: waiting for 0x5A. */
void hil_rom_init_spi(struct hil_rom *r, struct hil_flash *flash, const struct hil_rom_hooks *hooks);

/**
 * One SPI clock byte: @p mosi from the master. @return the MISO byte of the
 * same byte time (what the ROM had loaded before seeing @p mosi).
 */
uint8_t hil_rom_spi_clock(struct hil_rom *r, uint8_t mosi);

#endif /* HIL_ROM_AN4286_H */
