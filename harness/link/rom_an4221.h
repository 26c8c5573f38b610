/**
 * @file rom_an4221.h
 * @brief The emulated ST ROM bootloader on I2C1, protocol of ST
 * application note AN4221 ("I2C protocol used in the STM32 bootloader").
 * The command layer (GET, GET VERSION, GET ID, READ MEMORY, WRITE MEMORY,
 * EXTENDED ERASE, GO; address, length and XOR checks; flash model and
 * fault hooks) is rom_an3155.c's (hil_rom_engine_byte); this file is the
 * I2C framing: the master's write and read transactions (START, address
 * + R/W, bytes, STOP), one call each. The ROM never talks by itself.
 *
 * Modelled behaviour (AN4221 section numbers as recalled by the author
 * from rev 6; check them against the PDF):
 *   2   the ROM is an I2C slave at 7-bit address HIL_ROM_I2C_ADDR (0x39,
 *       I2C1 on PB6/PB7, AN2606); no synchronization byte: the first
 *       transaction addressed to it selects I2C (AN2606: the first
 *       interface that is addressed). Every other address is NACKed.
 *   2.x every frame the master writes (command + complement, address +
 *       XOR, N + complement, N + data + XOR, erase N + XOR, sector list +
 *       XOR) is one write transaction; the answer (ACK 0x79, NACK 0x1F)
 *       is one read transaction of one byte; data phases (GET, GET
 *       VERSION, GET ID, READ MEMORY) are one read transaction after the
 *       ACK. The ROM ACKs every byte of a write at the I2C level; its
 *       verdict is the ACK/NACK byte the master reads next. A write
 *       that ends (STOP) inside a frame is answered NACK and the command
 *       dropped (a modelling choice: the ROM frames by transaction).
 *   3.1 GET: N = 11, protocol version 0x10 (v1.0: the clock-stretching
 *       commands only; no-stretch 0x32, 0x45, ... are NACKed), commands.
 *   3.2 GET VERSION: the version byte only (no option bytes).
 *   3.8 EXTENDED ERASE 0x44: N (2 bytes) + XOR of them, ACK; a special
 *       code (0xFFFF/0xFFFE/0xFFFD) erases now and then ACKs; otherwise
 *       the sector list (2 bytes each) + XOR of the list, ACK once erased.
 *       (AN3155 sends N and the list as one frame with one checksum.)
 *   A read when the ROM owes nothing (no answer queued: a rom_silent
 *       fault, an erase whose ACK the quirk ate) is NACKed at the address:
 *       a real ROM stretches the clock while busy; a master sees "not
 *       ready, poll again". Bytes read past the queued ones are 0xFF (an
 *       idle bus). A write while answers are unread drops them (the ROM
 *       moved on with the master).
 *   Bus time: every transaction adds its bit times at 400 kHz (Fast-mode:
 *       9 bits per byte, the address byte included, plus START and STOP);
 *       no wall clock is read (docs/ARCHITECTURE.md "Time discipline").
 *   Quirks (scenario/rom_quirks.h): erase_no_ack, late_param_nack,
 *       i2c_write_128, each as its enum says.
 *   Powered off (after a cut): every address is NACKed.
 *
 * Not AN2606: the F405/407 ROM (v3.1) has no I2C interface (USART1/3,
 * CAN2, DFU); the rig gives the F407 model the I2C ROM of the F4 parts
 * that have one (F401/F411/F42x/F446 class) so the bridge's I2C path can
 * be tested, as it does for SPI (rom_an4286.h).
 */
#ifndef HIL_ROM_AN4221_H
#define HIL_ROM_AN4221_H

#include <stddef.h>
#include <stdint.h>
#include "link/rom_an3155.h"

#define HIL_ROM_I2C_ADDR 0x39u     /**< 7-bit slave address of the ROM on I2C1 (AN2606, F4 class) */
#define HIL_ROM_I2C_BIT_NS 2500u   /**< one bit at 400 kHz (I2C Fast-mode) */

/** What happened to one I2C transaction (i2c-emu answer status). */
enum hil_i2c_status {
    HIL_I2C_OK = 0,          /**< address and every byte ACKed (a read: the bytes came) */
    HIL_I2C_ADDR_NACK = 1,   /**< nobody answered the address: nothing moved */
    HIL_I2C_DATA_NACK = 2,   /**< write: the slave NACKed a data byte (*acked before it) */
    HIL_I2C_BAD_REQUEST = 3, /**< i2c-emu only: the request was malformed (i2c_link.h) */
};

/** Power-on state of the ROM on I2C1: waiting for its first command. */
void hil_rom_init_i2c(struct hil_rom *r, struct hil_flash *flash, const struct hil_rom_hooks *hooks);

/**
 * One write transaction addressed to the ROM: @p n bytes (0: an address
 * probe). The ROM ACKs its address and the bytes and feeds them to the
 * command engine; a late parameter (late_param_nack) or, with
 * i2c_write_128, a write of 128 bytes or more makes it answer NACK.
 * @param acked  receives the number of data bytes the ROM ACKed
 * @return HIL_I2C_OK; HIL_I2C_ADDR_NACK (powered off); HIL_I2C_DATA_NACK
 *         (i2c_write_128: byte 128 NACKed, *acked = 127).
 */
enum hil_i2c_status hil_rom_i2c_write(struct hil_rom *r, const uint8_t *b, size_t n, size_t *acked);

/**
 * One read transaction of @p n bytes (1..): the ROM's queued answer bytes,
 * 0xFF past them.
 * @return HIL_I2C_OK; HIL_I2C_ADDR_NACK (nothing queued, or powered off;
 *         @p b untouched). With erase_no_ack, the reads after the first
 *         NACKed one answer 0x1F.
 */
enum hil_i2c_status hil_rom_i2c_read(struct hil_rom *r, uint8_t *b, size_t n);

#endif /* HIL_ROM_AN4221_H */
