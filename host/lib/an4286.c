/*
 * AN4286 master: ST's SPI protocol of the STM32 ROM bootloader
 * (application note AN4286; section numbers as recalled from rev 4, see
 * docs/SPI_ROM.md). The command set and frames are AN3155's; SPI adds:
 *   2.1 synchronization: 0x5A, then the get-ACK procedure;
 *   2.2 get-ACK procedure: one dummy byte 0x00 (its MISO is discarded),
 *       then 0x00 per byte until MISO is ACK 0x79 or NACK 0x1F (0xA5 and
 *       anything else: busy, keep polling), then 0x79 to acknowledge;
 *   3   every command frame is SOF 0x5A, command, complement;
 *   3.x data from the ROM: one dummy byte, then the data bytes.
 * Every operation runs over fh_link_spi_xfer(): spi-emu (the rig) or
 * spidev (a real rig).
 */
#include <stdio.h>
#include <string.h>
#include "fotahost/rom.h"

enum {
    AN4286_SOF = 0x5A,
    AN4286_DUMMY = 0x00,
    AN4286_GET_ID = 0x02,
    AN4286_READ = 0x11,
    AN4286_GO = 0x21,
    AN4286_WRITE = 0x31,
    AN4286_EXT_ERASE = 0x44,
};

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

/* 2.2 get-ACK procedure. @return 0 on ACK; FOTA_EPROTO on NACK;
 * FOTA_ETIMEOUT when neither comes within @p timeout_ms. */
static int an4286_ack(struct fh_rom *r, uint32_t timeout_ms, const char *what, struct fh_msg *m)
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
    if (rc != 0) {
        return rc;
    }
    rc = an4286_xfer(r, &ack, NULL, 1, what, m); /* acknowledge the ACK/NACK */
    if (rc != 0) {
        return rc;
    }
    if (b == FH_ROM_NACK) {
        r->nacks++;
        return fh_msg_set(m, FOTA_EPROTO, "an4286: %s: NACK", what);
    }
    return 0;
}

/* 3: SOF, command, complement, get ACK. */
static int an4286_cmd(struct fh_rom *r, uint8_t cmd, struct fh_msg *m)
{
    uint8_t b[3] = { AN4286_SOF, cmd, (uint8_t)(cmd ^ 0xFFu) };
    char what[32];
    snprintf(what, sizeof(what), "command 0x%02x", cmd);
    r->commands++;
    if (r->verbose) {
        fprintf(stderr, "an4286: > cmd 0x%02x\n", cmd);
    }
    int rc = an4286_xfer(r, b, NULL, 3, what, m);
    return rc != 0 ? rc : an4286_ack(r, r->timeout_ms, what, m);
}

/* A frame of bytes, then get ACK. */
static int an4286_frame(struct fh_rom *r, const uint8_t *b, size_t len, uint32_t timeout_ms, const char *what,
                        struct fh_msg *m)
{
    int rc = an4286_xfer(r, b, NULL, len, what, m);
    return rc != 0 ? rc : an4286_ack(r, timeout_ms, what, m);
}

/* Address (MSB first) + XOR checksum (as AN3155 3.4). */
static int an4286_addr(struct fh_rom *r, uint32_t addr, struct fh_msg *m)
{
    uint8_t b[5] = { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr, 0 };
    b[4] = (uint8_t)(b[0] ^ b[1] ^ b[2] ^ b[3]);
    return an4286_frame(r, b, 5, r->timeout_ms, "address", m);
}

/* 3.x data phase: one dummy byte, then @p len bytes. */
static int an4286_data(struct fh_rom *r, uint8_t *buf, size_t len, const char *what, struct fh_msg *m)
{
    int rc = an4286_xfer(r, NULL, NULL, 1, what, m);
    return rc != 0 ? rc : an4286_xfer(r, NULL, buf, len, what, m);
}

/* 2.1: 0x5A then get ACK. A NACK means already synchronised (the ROM
 * took 0x5A as a SOF and the polls as a bad command pair). */
static int an4286_sync(struct fh_rom *r, struct fh_msg *m)
{
    uint8_t b = AN4286_SOF;
    int rc = an4286_xfer(r, &b, NULL, 1, "sync", m);
    if (rc == 0) {
        rc = an4286_ack(r, r->timeout_ms, "sync", m);
    }
    return rc == FOTA_EPROTO ? 0 : rc;
}

/* 3.3 GET ID: ACK, dummy, N, PID (N+1 bytes), ACK. */
static int an4286_get_id(struct fh_rom *r, uint16_t *pid, struct fh_msg *m)
{
    uint8_t d[3];
    int rc = an4286_cmd(r, AN4286_GET_ID, m);
    if (rc == 0) {
        rc = an4286_data(r, d, 3, "GET ID", m);
    }
    if (rc == 0 && d[0] != 1) {
        return fh_msg_set(m, FOTA_EPROTO, "an4286: GET ID: N = %u, expected 1 (2-byte PID)", (unsigned)d[0]);
    }
    if (rc == 0) {
        rc = an4286_ack(r, r->timeout_ms, "GET ID end", m);
    }
    if (rc == 0) {
        *pid = (uint16_t)(d[1] << 8 | d[2]);
    }
    return rc;
}

/* 3.4 READ MEMORY: command, address, N + complement, dummy, N+1 bytes. */
static int an4286_read(struct fh_rom *r, uint32_t addr, void *buf, uint32_t len, struct fh_msg *m)
{
    uint8_t nb[2];
    int rc;
    if (len == 0 || len > FH_ROM_MAX_BLOCK) {
        return fh_msg_set(m, FOTA_EINVAL, "an4286: read of %u bytes (1..256)", (unsigned)len);
    }
    nb[0] = (uint8_t)(len - 1u);
    nb[1] = (uint8_t)(nb[0] ^ 0xFFu);
    rc = an4286_cmd(r, AN4286_READ, m);
    if (rc == 0) {
        rc = an4286_addr(r, addr, m);
    }
    if (rc == 0) {
        rc = an4286_frame(r, nb, 2, r->timeout_ms, "READ length", m);
    }
    if (rc == 0) {
        rc = an4286_data(r, buf, len, "READ data", m);
    }
    return rc;
}

/* 3.6 WRITE MEMORY: command, address, N + data + XOR; the final ACK
 * comes once the flash is programmed (polled). */
static int an4286_write(struct fh_rom *r, uint32_t addr, const void *buf, uint32_t len, struct fh_msg *m)
{
    uint8_t frame[1 + FH_ROM_MAX_BLOCK + 1];
    int rc;
    if (len < 4u || len > FH_ROM_MAX_BLOCK || (len % 4u) != 0) {
        return fh_msg_set(m, FOTA_EINVAL, "an4286: write of %u bytes (4..256, a multiple of 4)", (unsigned)len);
    }
    frame[0] = (uint8_t)(len - 1u);
    memcpy(&frame[1], buf, len);
    uint8_t x = frame[0];
    for (uint32_t i = 0; i < len; i++) {
        x ^= frame[1 + i];
    }
    frame[1 + len] = x;
    rc = an4286_cmd(r, AN4286_WRITE, m);
    if (rc == 0) {
        rc = an4286_addr(r, addr, m);
    }
    if (rc == 0) {
        rc = an4286_frame(r, frame, len + 2u, r->timeout_ms, "WRITE data", m);
    }
    return rc;
}

/* 3.7 EXTENDED ERASE of a sector list (frame as AN3155 3.8). */
static int an4286_erase(struct fh_rom *r, const uint16_t *sectors, uint32_t n, struct fh_msg *m)
{
    uint8_t frame[2 + 2 * 12 + 1];
    uint32_t len = 0;
    uint8_t x = 0;
    if (n == 0 || n > 12u) {
        return fh_msg_set(m, FOTA_EINVAL, "an4286: erase of %u sectors (1..12)", (unsigned)n);
    }
    frame[len++] = (uint8_t)((n - 1u) >> 8);
    frame[len++] = (uint8_t)(n - 1u);
    for (uint32_t i = 0; i < n; i++) {
        frame[len++] = (uint8_t)(sectors[i] >> 8);
        frame[len++] = (uint8_t)sectors[i];
    }
    for (uint32_t i = 0; i < len; i++) {
        x ^= frame[i];
    }
    frame[len++] = x;
    int rc = an4286_cmd(r, AN4286_EXT_ERASE, m);
    return rc != 0 ? rc : an4286_frame(r, frame, len, r->erase_timeout_ms, "EXTENDED ERASE", m);
}

/* 3.5 GO: command, address. */
static int an4286_go(struct fh_rom *r, uint32_t addr, struct fh_msg *m)
{
    int rc = an4286_cmd(r, AN4286_GO, m);
    return rc != 0 ? rc : an4286_addr(r, addr, m);
}

/* Before a retry: clock out a pending answer (up to 300 bytes) and
 * acknowledge an ACK/NACK found in it, so the ROM takes the next SOF. */
static void an4286_flush(struct fh_rom *r)
{
    uint8_t b = 0;
    uint8_t ack = FH_ROM_ACK;
    for (int i = 0; i < 300; i++) {
        if (fh_link_spi_xfer(r->link, NULL, &b, 1) != 0) {
            return;
        }
        if (b == FH_ROM_ACK || b == FH_ROM_NACK) {
            (void)fh_link_spi_xfer(r->link, &ack, NULL, 1);
            return;
        }
    }
}

const struct fh_rom_ops fh_an4286_ops = {
    .name = "an4286",
    .sync = an4286_sync,
    .get_id = an4286_get_id,
    .read = an4286_read,
    .write = an4286_write,
    .erase = an4286_erase,
    .go = an4286_go,
    .flush = an4286_flush,
};
