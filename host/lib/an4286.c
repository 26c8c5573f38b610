/*
 * AN4286 framing: ST's SPI protocol of the STM32 ROM bootloader
 * (application note AN4286; section numbers as recalled from rev 4, see
 * docs/SPI_ROM.md). The commands and frames are AN3155's
 * (host/lib/stm32rom.c); SPI adds:
 *   2.1 synchronization: 0x5A, then the get-ACK procedure;
 *   2.2 get-ACK procedure: one dummy byte 0x00 (its MISO is discarded),
 *       then 0x00 per byte until MISO is ACK 0x79 or NACK 0x1F (0xA5 and
 *       anything else: busy, keep polling), then 0x79 to acknowledge;
 *   3   every command frame is SOF 0x5A, command, complement;
 *   3.x data from the ROM: one dummy byte, then the data bytes.
 * Every operation runs over fh_link_spi_xfer(): spi-emu (the rig) or
 * spidev (a real rig).
 */
#include "stm32rom.h"

#define AN4286_SOF 0x5Au
#define AN4286_FLUSH_MAX 300 /* bytes clocked out for a pending answer: a READ's 256 and margin */

static int an4286_xfer(struct fh_rom *r, const uint8_t *out, uint8_t *in, size_t len, const char *what,
                       struct fh_msg *m)
{
    int rc = fh_link_spi_xfer(r->link, out, in, len);
    if (rc == FOTA_EINVAL) {
        return fh_msg_set(m, rc, "an4286: %s: the link is not SPI (use spi-emu:PATH or spidev:DEV)", what);
    }
    if (rc != 0) {
        return fh_msg_set(m, rc, "an4286: %s: SPI transfer failed: %s", what, fota_strerror(rc));
    }
    if (out != NULL) {
        r->bytes_out += len;
    }
    if (in != NULL) {
        r->bytes_in += len;
    }
    return 0;
}

static int an4286_send(struct fh_rom *r, const uint8_t *b, size_t len, const char *what, struct fh_msg *m)
{
    return an4286_xfer(r, b, NULL, len, what, m);
}

/* 3: SOF, command, complement. */
static int an4286_send_cmd(struct fh_rom *r, uint8_t cmd, const char *what, struct fh_msg *m)
{
    uint8_t b[3] = { AN4286_SOF, cmd, (uint8_t)(cmd ^ 0xFFu) };
    return an4286_xfer(r, b, NULL, sizeof(b), what, m);
}

/* 2.2 get-ACK procedure: dummy, poll until ACK/NACK, acknowledge it. */
static int an4286_wait_ack(struct fh_rom *r, uint32_t timeout_ms, const char *what, uint8_t *answer,
                           struct fh_msg *m)
{
    uint8_t b = 0;
    uint8_t ack = FH_ROM_ACK;
    uint32_t start = fh_now_ms();
    int rc = an4286_xfer(r, NULL, NULL, 1, what, m); /* the dummy byte */
    while (rc == 0) {
        rc = an4286_xfer(r, NULL, &b, 1, what, m);
        if (rc != 0 || b == FH_ROM_ACK || b == FH_ROM_NACK) {
            break;
        }
        if (fh_now_ms() - start >= timeout_ms) {
            return fh_msg_set(m, FOTA_ETIMEOUT, "an4286: %s: no ACK within %u ms (MISO 0x%02x)", what,
                              (unsigned)timeout_ms, b);
        }
    }
    if (rc == 0) {
        rc = an4286_xfer(r, &ack, NULL, 1, what, m); /* acknowledge the ACK/NACK */
    }
    *answer = b;
    return rc;
}

/* 3.x data phase: one dummy byte, then @p len bytes. */
static int an4286_recv(struct fh_rom *r, uint8_t *buf, size_t len, const char *what, struct fh_msg *m)
{
    int rc = an4286_xfer(r, NULL, NULL, 1, what, m);
    return rc != 0 ? rc : an4286_xfer(r, NULL, buf, len, what, m);
}

/* Before a retry: clock out a pending answer and acknowledge an ACK/NACK
 * found in it (2.2), so the ROM takes the next SOF. */
static void an4286_flush(struct fh_rom *r)
{
    uint8_t b = 0;
    uint8_t ack = FH_ROM_ACK;
    for (int i = 0; i < AN4286_FLUSH_MAX; i++) {
        if (fh_link_spi_xfer(r->link, NULL, &b, 1) != 0) {
            return;
        }
        if (b == FH_ROM_ACK || b == FH_ROM_NACK) {
            (void)fh_link_spi_xfer(r->link, &ack, NULL, 1);
            return;
        }
    }
}

const struct fh_rom_ops fh_an4286_ops = FH_ROM_OPS("an4286", an4286_flush, .sync = AN4286_SOF,
                                                   .send_cmd = an4286_send_cmd, .send = an4286_send,
                                                   .wait_ack = an4286_wait_ack, .recv = an4286_recv);
