/**
 * @file stm32rom.h
 * @brief The command layer of ST's ROM (system memory) bootloader, shared
 * by its transports (private to libfotahost; the public face is
 * fotahost/rom.h).
 *
 * AN3155 (USART), AN4286 (SPI) and AN4221 (I2C) carry the same commands with the same
 * frames: command byte + complement, ACK 0x79 / NACK 0x1F after every
 * frame, address 4 bytes MSB first + XOR, N + complement, N + data + XOR,
 * sector list + XOR (AN3155 section 3 = AN4286 section 3). host/lib/stm32rom.c
 * implements them once, over the small framing interface below; a
 * transport (host/lib/an3155.c, host/lib/an4286.c, host/lib/an4221.c) only says how bytes
 * travel: how a command frame starts, how an ACK is waited for, how a data
 * phase is clocked in. The harness side has the same split
 * (harness/link/rom_an3155.c: one command engine; harness/link/rom_an4286.c: SPI;
 * harness/link/rom_an4221.c: I2C). AN4221 differs in two places: no sync
 * byte (sync_fn) and an EXTENDED ERASE whose N has a checksum of its own
 * (erase_n_csum).
 */
#ifndef FOTAHOST_STM32ROM_H
#define FOTAHOST_STM32ROM_H

#include <stddef.h>
#include <stdint.h>
#include "fotahost/rom.h"

/**
 * How one transport moves the command layer's frames. Every operation
 * returns 0 or an enum fota_err and sets @p m on an error (prefixed with
 * r->ops->name); each counts the bytes it moves in r->bytes_out /
 * r->bytes_in. @p what names the frame for messages ("command 0x31",
 * "address", "WRITE data").
 */
struct fh_rom_framing {
    /** The synchronization byte (AN3155 2: 0x7F; AN4286 2.1: 0x5A),
     *  sent alone and answered like a frame (wait_ack). */
    uint8_t sync;
    /**
     * Optional: synchronise another way (AN4221 has no sync byte); then
     * fh_rom_cmd_sync() calls this instead of sending @c sync.
     * @return as fh_rom_ops.sync.
     */
    int (*sync_fn)(struct fh_rom *r, struct fh_msg *m);
    /** EXTENDED ERASE sends N (2 bytes) + their XOR as a frame of its own,
     *  ACKed, before the sector list + its XOR (AN4221 3.8; stm32flash's
     *  PORT_NPAG_CSUM). false: N and the list in one frame (AN3155 3.8). */
    bool erase_n_csum;
    /** Bytes per WRITE MEMORY the install uses by default (0: 256).
     *  AN4221: 64, writes of 128 bytes or more fail on some parts. */
    uint32_t write_block;
    /**
     * Send the frame of command @p cmd: the command byte and its
     * complement (AN3155 3), after SOF 0x5A on SPI (AN4286 3). No ACK.
     * @return 0; the link's errors (FOTA_ECONN, FOTA_EIO, ...).
     */
    int (*send_cmd)(struct fh_rom *r, uint8_t cmd, const char *what, struct fh_msg *m);
    /**
     * Send @p len bytes of a frame as they are (the command layer has
     * appended their checksum). No ACK.
     * @return 0; the link's errors.
     */
    int (*send)(struct fh_rom *r, const uint8_t *b, size_t len, const char *what, struct fh_msg *m);
    /**
     * Wait up to @p timeout_ms milliseconds for the ROM's answer to a
     * frame (AN3155: the next byte; AN4286 2.2: the get-ACK procedure).
     * @param answer  receives the byte: FH_ROM_ACK, FH_ROM_NACK or (AN3155
     *                only) anything else the line carried
     * @return 0 (then see @p answer); FOTA_ETIMEOUT (nothing within
     *         @p timeout_ms); the link's errors.
     */
    int (*wait_ack)(struct fh_rom *r, uint32_t timeout_ms, const char *what, uint8_t *answer,
                    struct fh_msg *m);
    /**
     * Receive the @p len bytes of a data phase (GET ID, READ MEMORY data)
     * within r->timeout_ms (AN4286 3.x: after one dummy byte).
     * @return 0; FOTA_ETIMEOUT; the link's errors.
     */
    int (*recv)(struct fh_rom *r, uint8_t *buf, size_t len, const char *what, struct fh_msg *m);
};

/* The command layer (host/lib/stm32rom.c): the struct fh_rom_ops
 * operations of every transport over r->ops->framing. Arguments, units
 * and every error: struct fh_rom_ops in fotahost/rom.h. */
/** fh_rom_ops.sync: AN3155 2, AN4286 2.1. */
int fh_rom_cmd_sync(struct fh_rom *r, struct fh_msg *m);
/** fh_rom_ops.get_id: GET ID, AN3155 3.3 / AN4286 3.3. */
int fh_rom_cmd_get_id(struct fh_rom *r, uint16_t *pid, struct fh_msg *m);
/** fh_rom_ops.read: READ MEMORY, AN3155 3.4 / AN4286 3.4. */
int fh_rom_cmd_read(struct fh_rom *r, uint32_t addr, void *buf, uint32_t len, struct fh_msg *m);
/** fh_rom_ops.write: WRITE MEMORY, AN3155 3.6 / AN4286 3.6. */
int fh_rom_cmd_write(struct fh_rom *r, uint32_t addr, const void *buf, uint32_t len, struct fh_msg *m);
/** fh_rom_ops.erase: EXTENDED ERASE, AN3155 3.8 / AN4286 3.7. */
int fh_rom_cmd_erase(struct fh_rom *r, const uint16_t *sectors, uint32_t n, struct fh_msg *m);
/** fh_rom_ops.go: GO, AN3155 3.5 / AN4286 3.5. */
int fh_rom_cmd_go(struct fh_rom *r, uint32_t addr, struct fh_msg *m);

/**
 * The initializer of a transport's struct fh_rom_ops: the command layer
 * over a framing. @p name_ names the protocol ("an3155"); @p flush_ drops
 * a late answer (NULL: fh_rom_flush()'s link drain); the rest are the
 * struct fh_rom_framing's designated initializers, e.g.
 *   FH_ROM_OPS("an3155", NULL, .sync = 0x7F, .send_cmd = ..., .send = ...,
 *              .wait_ack = ..., .recv = ...)
 * (the framing is a file-scope compound literal: static storage).
 */
#define FH_ROM_OPS(name_, flush_, ...)                                                   \
    {                                                                                    \
        .name = (name_), .sync = fh_rom_cmd_sync, .get_id = fh_rom_cmd_get_id,          \
        .read = fh_rom_cmd_read, .write = fh_rom_cmd_write, .erase = fh_rom_cmd_erase,  \
        .go = fh_rom_cmd_go, .flush = (flush_),                                          \
        .framing = &(const struct fh_rom_framing){ __VA_ARGS__ },                        \
    }

#endif /* FOTAHOST_STM32ROM_H */
