/**
 * @file rom_an3155.h
 * @brief The emulated STM32F405/407 system-memory (ROM) bootloader, USART
 * protocol of ST application note AN3155 ("USART protocol used in the
 * STM32 bootloader", rev 15), bootloader version 3.1 as AN2606 lists it
 * for the F40x/41x (USART1 on PA9/PA10, 0x7F autobaud).
 *
 * Stock QEMU has no system memory: when a scenario holds BOOT0 high at
 * reset the harness does not start the guest; this byte-level state
 * machine answers on the update link instead, writing through the same
 * flash model (harness/target/flashmodel.h) the QEMU backend serves, so every
 * program/erase goes through the runner's fault injector like the
 * bootloader's own. No I/O here: bytes in, bytes out (unit-tested by
 * feeding byte strings, and by Debian's stm32flash over a pty).
 *
 * Modelled behaviour and its source (AN3155 section numbers):
 *   2   0x7F from the host selects the USART; answered ACK 0x79. A 0x7F
 *       after that is not a command (its complement 0x80 never follows);
 *       the ROM answers NACK 0x1F at once. stm32flash relies on this
 *       ("interface not closed properly" warning) and so do we.
 *   3   every command is a byte and its complement; a mismatch, an
 *       unknown or unsupported command: NACK, back to waiting for a command.
 *   3.1 GET 0x00: ACK, N = 11, version 0x31, the 11 supported commands
 *       (00 01 02 11 21 31 44 63 73 82 92), ACK.
 *   3.2 GET VERSION 0x01: ACK, 0x31, option bytes 0x00 0x00, ACK.
 *   3.3 GET ID 0x02: ACK, N = 1, PID 0x04 0x13 (F405/407/415/417, AN2606
 *       table "Bootloader device-dependent parameters"), ACK.
 *   3.4 READ MEMORY 0x11: ACK; address (4 bytes, MSB first) + XOR checksum:
 *       ACK if valid (flash, SRAM, system memory, OTP, option bytes), NACK
 *       otherwise; N + complement (N = bytes - 1, 0..255): ACK, N+1 bytes.
 *   3.5 GO 0x21: ACK; address + checksum: ACK if the address is in flash
 *       or SRAM, NACK otherwise. The emulation then leaves the ROM and the
 *       harness starts the device from the flash model (a cold start: the
 *       F4 ROM jumps without a reset, but the only image we ever GO to is
 *       a reset handler, and our bootloader re-inits everything).
 *   3.6 WRITE MEMORY 0x31: ACK; address + checksum: ACK/NACK as READ;
 *       N, N+1 bytes, checksum = XOR of N and the data: ACK once written,
 *       NACK on a bad checksum or a range that leaves the memory. Flash
 *       bytes are programmed (new = old & data, RM0090 3.6.4); SRAM is a
 *       plain buffer (AN2606: the ROM uses 0x2000_0000..0x2000_2FFF for its
 *       own data; writes there are accepted and kept, as we cannot corrupt
 *       a ROM that is not code). N+1 must be a multiple of 4 for flash
 *       ("the number of bytes to be written must be a multiple of 4" in 3.6).
 *   3.8 EXTENDED ERASE 0x44: ACK; N (2 bytes, MSB first): 0xFFFF mass
 *       erase, 0xFFFE/0xFFFD bank 1/2 (the F40x has one bank: both erase
 *       everything), each followed by a checksum byte (XOR of the 2 bytes);
 *       otherwise N+1 sector numbers (2 bytes each, MSB first) and the
 *       XOR of every byte sent after the command: ACK once erased, NACK on
 *       a bad checksum or a sector > 11 (nothing erased then).
 *   3.7 ERASE 0x43 (the legacy 1-byte form): not supported by v3.1: NACK.
 *   Write (un)protect and readout (un)protect (0x63 0x73 0x82 0x92): ACK,
 *       then NACK: readout protection is not modelled (level 0 always).
 */
#ifndef HIL_ROM_AN3155_H
#define HIL_ROM_AN3155_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "target/flashmodel.h"
#include "link/proxy.h"
#include "target/target.h"

#define HIL_ROM_ACK   0x79u  /**< AN3155 section 2 */
#define HIL_ROM_NACK  0x1Fu
#define HIL_ROM_SYNC  0x7Fu
#define HIL_ROM_VERSION 0x31u
#define HIL_ROM_PID   0x0413u /**< STM32F405/407/415/417 (AN2606) */
#define HIL_ROM_RAM_SIZE 0x20000u
#define HIL_ROM_SPI_SOF  0x5Au  /**< AN4286 2.1/3: synchronization byte and start of every command frame */
#define HIL_ROM_SPI_BUSY 0xA5u  /**< AN4286: MISO while the ROM has nothing to say (dummy/busy byte) */
#define HIL_ROM_SPI_HOLD 0x100u /**< spi_q flag: one busy byte before this one (the master's dummy) */
#define HIL_ROM_SPI_ACKB 0x200u /**< spi_q flag: an ACK/NACK; the master must answer 0x79 after it */
#define HIL_ROM_I2C_VERSION 0x10u /**< AN4221 I2C bootloader protocol v1.0 (clock stretching; GET lists no no-stretch command) */

/** Which link the ROM serves (AN2606: it locks to the first interface that syncs). */
enum hil_rom_link {
    HIL_ROM_LINK_USART = 0, /**< AN3155: 0x7F, answers as a byte stream */
    HIL_ROM_LINK_SPI = 1,   /**< AN4286: 0x5A, answers clocked out by the master (rom_an4286.h) */
    HIL_ROM_LINK_I2C = 2,   /**< AN4221: no sync byte; answers read by the master (rom_an4221.h) */
};

/** AN3155 command codes (section 3, Table 2). */
enum hil_rom_cmd {
    HIL_ROM_GET = 0x00,
    HIL_ROM_GET_VERSION = 0x01,
    HIL_ROM_GET_ID = 0x02,
    HIL_ROM_READ = 0x11,
    HIL_ROM_GO = 0x21,
    HIL_ROM_WRITE = 0x31,
    HIL_ROM_ERASE = 0x43,
    HIL_ROM_EXT_ERASE = 0x44,
    HIL_ROM_WP = 0x63,
    HIL_ROM_WUP = 0x73,
    HIL_ROM_RDP = 0x82,
    HIL_ROM_RDUP = 0x92,
};

/** What a command fault does to the Nth command of a kind. */
enum hil_rom_answer {
    HIL_ROM_ANSWER = 0,  /**< behave as the ROM does */
    HIL_ROM_FORCE_NACK = 1, /**< answer NACK to the command byte pair */
    HIL_ROM_SILENT = 2,  /**< say nothing (the host times out); then behave again */
};

struct hil_rom_hooks {
    void *ctx;
    /** Every flash op before it is applied (the runner's fault injector). */
    void (*on_flash_op)(void *ctx, const struct hil_flash_op *op, struct hil_flash_verdict *v);
    /** Every complete command byte pair (cmd, its 1-based count per code). */
    enum hil_rom_answer (*on_command)(void *ctx, uint8_t cmd, uint32_t n);
    /** One line for the event log. */
    void (*log)(void *ctx, const char *line);
    /**
     * Optional (run trace): a unit of the protocol is complete: the host's
     * bytes @p in (0x7F, a command pair, an address + checksum, N [+ data]
     * + checksum, an erase list + checksum) and the ROM's whole answer to
     * it @p out (empty: silent fault or power cut). Bytes before the first
     * 0x7F, which the ROM ignores, are not reported.
     */
    void (*on_unit)(void *ctx, const uint8_t *in, size_t in_len, const uint8_t *out, size_t out_len);
};

struct hil_rom {
    struct hil_flash *flash;
    struct hil_rom_hooks hooks;
    uint8_t ram[HIL_ROM_RAM_SIZE];
    uint8_t state;            /* internal */
    uint8_t cmd;
    uint8_t buf[2 + 2 * 256 + 8];
    uint32_t have;            /* bytes in buf */
    uint32_t need;            /* bytes the current state waits for */
    uint32_t addr;
    uint32_t cmd_count[256];
    bool synced;
    uint8_t link;             /**< enum hil_rom_link, fixed at init */
    uint32_t quirks;          /**< HIL_ROM_QUIRK_* (scenario/rom_quirks.h): field-observed ROM behaviour */
    /* SPI framing (rom_an4286.c): answer bytes | HIL_ROM_SPI_* flags;
     * I2C framing (rom_an4221.c): answer bytes, no flags. */
    uint16_t spi_q[2 * 260 + 32];
    uint32_t spi_qh, spi_qt;
    bool spi_seg;             /* the next answer byte starts a data phase */
    bool spi_sof;             /* SOF 0x5A of the current command frame seen */
    bool spi_wait_ack;        /* ACK/NACK clocked out: the master's 0x79 is due */
    /* I2C framing (rom_an4221.c): bus time, in ns: every transaction adds
     * its bit times at 400 kHz, a rom_late fault adds its delay. */
    uint64_t bus_ns;
    uint64_t ack_ns;          /**< bus time of the last ACK/NACK queued */
    uint64_t late_ns;         /**< rom_late fault: the next parameter reaches the ROM this late */
    bool i2c_ack_lost;        /**< erase_no_ack quirk: an erase's final ACK was never queued */
    bool i2c_lost_polled;     /**< ... and one read since was NACKed at its address */
    uint32_t gap_lost;        /**< uart_byte_gap quirk: bytes lost, arrived back to back */
    bool cut;                 /**< a flash verdict cut the power: nothing more happens */
    bool go;                  /**< GO was acknowledged: leave the ROM */
    uint32_t go_addr;
    /* Counters (events log, benchmark). */
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint32_t programs;
    uint32_t erases;
    uint32_t op_seq;
    uint32_t kind_seq[3];
};

/** Power-on state of the ROM: waiting for 0x7F. @p r->flash is @p flash. */
void hil_rom_init(struct hil_rom *r, struct hil_flash *flash, const struct hil_rom_hooks *hooks);

/**
 * Feed bytes from the host; append the ROM's answers to @p out. After
 * r->cut or r->go nothing more is consumed or answered. The @p n bytes
 * arrived back to back: with the uart_byte_gap quirk on USART only the
 * first is taken, the rest are lost (counted in r->gap_lost).
 */
void hil_rom_feed(struct hil_rom *r, const uint8_t *in, size_t n, struct hil_buf *out);

/**
 * The shared command engine (AN3155 section 3 = AN4286 section 3): one
 * byte from the host, after the link's framing. USART answers go to
 * @p out; SPI answers go to r->spi_q (clocked out by rom_an4286.c).
 */
void hil_rom_engine_byte(struct hil_rom *r, uint8_t b, struct hil_buf *out);

/**
 * Serve I2C from now on (AN2606: the interface addressed first; AN4221 2:
 * no synchronization byte): link I2C, synced, waiting for a command.
 */
void hil_rom_select_i2c(struct hil_rom *r);

/**
 * @return true while a command waits for a parameter frame (address,
 * length, data, erase list): the state the late_param_nack quirk times out.
 */
bool hil_rom_engine_in_command(const struct hil_rom *r);

/** @return true if part of a frame (command pair, address, ...) has come. */
bool hil_rom_engine_partial(const struct hil_rom *r);

/**
 * Abandon the current command: answer NACK and wait for the next command
 * (AN4221: a parameter that came too late; an I2C write the ROM could not
 * take). @p why goes to the event log.
 */
void hil_rom_engine_abort(struct hil_rom *r, struct hil_buf *out, const char *why);

/** One line to the event log (the log hook), printf-style. */
void hil_rom_log(struct hil_rom *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** @return a static name for an AN3155 command ("WRITE MEMORY"), "?" if unknown. */
const char *hil_rom_cmd_name(uint8_t cmd);

#endif /* HIL_ROM_AN3155_H */
