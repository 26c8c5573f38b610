/*
 * AN4221 framing: ST's I2C protocol of the STM32 ROM bootloader
 * (application note AN4221; section numbers as recalled from rev 6, see
 * docs/I2C_ROM.md). The commands and frames are AN3155's
 * (host/lib/stm32rom.c); I2C adds:
 *   2   the ROM is a slave at a 7-bit address (r->i2c_addr, 0x39 on the
 *       F4's I2C1, AN2606); there is no synchronization byte, so sync is
 *       a GET VERSION (3.2) that must be answered;
 *   2.x every frame the master sends is one write transaction; the ROM's
 *       answer is one read transaction of one byte: ACK 0x79, NACK 0x1F,
 *       or BUSY 0x76 (no-stretch commands: poll again); a read NACKed at
 *       the address is a ROM not ready yet (poll again); a data phase is
 *       one read transaction;
 *   3.8 EXTENDED ERASE: N + its XOR first, ACKed, then the list + XOR
 *       (fh_rom_framing.erase_n_csum);
 *   writes of 128 bytes or more fail on some parts (issue 12): the
 *       install writes 64 bytes per WRITE MEMORY (write_block).
 * Every operation runs over fh_link_i2c_xfer(): i2c-emu (the rig) or
 * i2c-dev (a board).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "stm32rom.h"

#define AN4221_GET_VERSION 0x01u
#define AN4221_POLL_US 200u /* between ACK polls */

static int an4221_msg(struct fh_rom *r, int rc, const char *what, bool rd, size_t acked, struct fh_msg *m)
{
    switch (rc) {
    case FOTA_EINVAL:
        return fh_msg_set(m, rc, "an4221: %s: not an I2C link or a bad request (use i2c-emu:PORT or "
                          "i2c-dev:/dev/i2c-N)", what);
    case FOTA_EBUSY:
        return fh_msg_set(m, rc, "an4221: %s: address 0x%02x NACKed (%s)", what, r->i2c_addr, rd ? "read" : "write");
    case FOTA_EPROTO:
        return fh_msg_set(m, rc, "an4221: %s: the ROM NACKed byte %zu of the write (or a bad i2c-emu answer)",
                          what, acked + 1u);
    default:
        return fh_msg_set(m, rc, "an4221: %s: I2C transaction failed: %s", what, fota_strerror(rc));
    }
}

/* One transaction; a NACKed address is polled again until r->timeout_ms
 * (a ROM that is not ready does not answer its address). */
static int an4221_xfer(struct fh_rom *r, bool rd, uint8_t *buf, size_t len, const char *what, struct fh_msg *m)
{
    uint32_t start = fh_now_ms();
    size_t acked = 0;
    int rc;
    for (;;) {
        rc = fh_link_i2c_xfer(r->link, r->i2c_addr, rd, buf, len, &acked);
        if (rc != FOTA_EBUSY || fh_now_ms() - start >= r->timeout_ms) {
            break;
        }
        r->busy_polls++;
        usleep(AN4221_POLL_US);
    }
    if (rc != 0) {
        return an4221_msg(r, rc, what, rd, acked, m);
    }
    if (rd) {
        r->bytes_in += len;
    } else {
        r->bytes_out += len;
    }
    return 0;
}

static int an4221_send(struct fh_rom *r, const uint8_t *b, size_t len, const char *what, struct fh_msg *m)
{
    uint8_t frame[FH_ROM_MAX_BLOCK + 2];
    if (len > sizeof(frame)) {
        return fh_msg_set(m, FOTA_EINVAL, "an4221: %s: a frame of %zu bytes", what, len);
    }
    memcpy(frame, b, len);
    return an4221_xfer(r, false, frame, len, what, m);
}

/* 2.x: command + complement, one write transaction. */
static int an4221_send_cmd(struct fh_rom *r, uint8_t cmd, const char *what, struct fh_msg *m)
{
    uint8_t b[2] = { cmd, (uint8_t)(cmd ^ 0xFFu) };
    return an4221_xfer(r, false, b, sizeof(b), what, m);
}

/* 2.x: read one byte until it is not BUSY, or the address stays NACKed
 * for @p timeout_ms. */
static int an4221_wait_ack(struct fh_rom *r, uint32_t timeout_ms, const char *what, uint8_t *answer,
                           struct fh_msg *m)
{
    uint32_t start = fh_now_ms();
    uint32_t polls = 0;
    for (;;) {
        uint8_t b = 0;
        int rc = fh_link_i2c_xfer(r->link, r->i2c_addr, true, &b, 1, NULL);
        if (rc == 0 && b != FH_ROM_BUSY) {
            r->bytes_in++;
            *answer = b;
            return 0;
        }
        if (rc != 0 && rc != FOTA_EBUSY) {
            return an4221_msg(r, rc, what, true, 0, m);
        }
        polls++;
        r->busy_polls++;
        if (fh_now_ms() - start >= timeout_ms) {
            return fh_msg_set(m, FOTA_ETIMEOUT, "an4221: %s: no ACK within %u ms (%u polls NACKed or BUSY)", what,
                              (unsigned)timeout_ms, (unsigned)polls);
        }
        usleep(AN4221_POLL_US);
    }
}

/* 3.x data phase: one read transaction. */
static int an4221_recv(struct fh_rom *r, uint8_t *buf, size_t len, const char *what, struct fh_msg *m)
{
    return an4221_xfer(r, true, buf, len, what, m);
}

/* 2: no sync byte: GET VERSION (3.2: ACK, version, ACK) shows the ROM
 * answers at its address. */
static int an4221_sync(struct fh_rom *r, struct fh_msg *m)
{
    const struct fh_rom_framing *f = r->ops->framing;
    uint8_t a = 0, ver = 0;
    int rc = f->send_cmd(r, AN4221_GET_VERSION, "sync (GET VERSION)", m);
    rc = rc != 0 ? rc : f->wait_ack(r, r->timeout_ms, "sync (GET VERSION)", &a, m);
    if (rc == 0 && a != FH_ROM_ACK) {
        rc = fh_msg_set(m, FOTA_EPROTO, "an4221: sync: GET VERSION answered 0x%02x", a);
    }
    rc = rc != 0 ? rc : f->recv(r, &ver, 1, "GET VERSION", m);
    rc = rc != 0 ? rc : f->wait_ack(r, r->timeout_ms, "GET VERSION end", &a, m);
    if (rc == 0 && r->verbose) {
        fprintf(stderr, "an4221: I2C bootloader protocol version %u.%u at 0x%02x\n", ver >> 4, ver & 0xFu,
                r->i2c_addr);
    }
    return rc;
}

/* Nothing to drop: every answer is a transaction of its own, and the ROM
 * discards unread answers when the next frame is written. */
static void an4221_flush(struct fh_rom *r)
{
    (void)r;
}

const struct fh_rom_ops fh_an4221_ops = FH_ROM_OPS("an4221", an4221_flush, .sync = 0, .sync_fn = an4221_sync,
                                                   .erase_n_csum = true, .write_block = FH_ROM_I2C_BLOCK,
                                                   .send_cmd = an4221_send_cmd, .send = an4221_send,
                                                   .wait_ack = an4221_wait_ack, .recv = an4221_recv);
