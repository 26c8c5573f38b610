/*
 * AN3155 master: ST's USART protocol of the STM32 ROM bootloader
 * (application note AN3155 rev 15; section numbers below). Every command
 * is the command byte and its complement (section 3); the device answers
 * ACK 0x79 or NACK 0x1F; addresses are 4 bytes MSB first followed by
 * their XOR; data blocks are followed by the XOR of the length byte and
 * the data.
 */
#include <stdio.h>
#include <string.h>
#include "fotahost/rom.h"

enum {
    AN3155_SYNC = 0x7F,
    AN3155_GET_ID = 0x02,
    AN3155_READ = 0x11,
    AN3155_GO = 0x21,
    AN3155_WRITE = 0x31,
    AN3155_EXT_ERASE = 0x44,
};

/* Read exactly @p len bytes within @p timeout_ms. */
static int an3155_recv(struct fh_rom *r, void *buf, size_t len, uint32_t timeout_ms, struct fh_msg *m)
{
    uint8_t *p = buf;
    size_t have = 0;
    uint32_t start = fh_now_ms();

    while (have < len) {
        uint32_t spent = fh_now_ms() - start;
        size_t got = 0;
        int rc;

        if (spent >= timeout_ms) {
            return fh_msg_set(m, FOTA_ETIMEOUT, "an3155: no answer within %u ms (%zu of %zu bytes)",
                              (unsigned)timeout_ms, have, len);
        }
        rc = fh_link_read(r->link, p + have, len - have, timeout_ms - spent, &got);
        if (rc != 0) {
            return fh_msg_set(m, rc, "an3155: link read failed: %s", fota_strerror(rc));
        }
        have += got;
    }
    r->bytes_in += len;
    return 0;
}

static int an3155_send(struct fh_rom *r, const void *buf, size_t len, struct fh_msg *m)
{
    int rc = fh_link_write(r->link, buf, len);
    if (rc != 0) {
        return fh_msg_set(m, rc, "an3155: link write failed: %s", fota_strerror(rc));
    }
    r->bytes_out += len;
    return 0;
}

/* Wait for ACK: 0; NACK: FOTA_EPROTO; anything else: FOTA_EPROTO. */
static int an3155_ack(struct fh_rom *r, uint32_t timeout_ms, const char *what, struct fh_msg *m)
{
    uint8_t b;
    int rc = an3155_recv(r, &b, 1, timeout_ms, m);
    if (rc != 0) {
        return fh_msg_set(m, rc, "an3155: %s: no ACK within %u ms", what, (unsigned)timeout_ms);
    }
    if (b == FH_ROM_ACK) {
        return 0;
    }
    r->nacks++;
    if (b == FH_ROM_NACK) {
        return fh_msg_set(m, FOTA_EPROTO, "an3155: %s: NACK", what);
    }
    return fh_msg_set(m, FOTA_EPROTO, "an3155: %s: 0x%02x instead of ACK/NACK", what, b);
}

/* Drain stray bytes (a late answer to a timed-out command) before a retry. */
static void an3155_flush(struct fh_rom *r)
{
    uint8_t junk[64];
    size_t got = 0;
    while (fh_link_read(r->link, junk, sizeof(junk), 20, &got) == 0 && got > 0) {
    }
}

/* Command byte + complement, then its ACK (section 3). */
static int an3155_cmd(struct fh_rom *r, uint8_t cmd, struct fh_msg *m)
{
    uint8_t b[2] = { cmd, (uint8_t)(cmd ^ 0xFFu) };
    char what[32];
    int rc = an3155_send(r, b, 2, m);
    r->commands++;
    if (r->verbose) {
        fprintf(stderr, "an3155: > cmd 0x%02x\n", cmd);
    }
    if (rc != 0) {
        return rc;
    }
    snprintf(what, sizeof(what), "command 0x%02x", cmd);
    return an3155_ack(r, r->timeout_ms, what, m);
}

/* Address (MSB first) + XOR checksum, then ACK (3.4, 3.5, 3.6). */
static int an3155_addr(struct fh_rom *r, uint32_t addr, struct fh_msg *m)
{
    uint8_t b[5] = { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr, 0 };
    int rc;
    b[4] = (uint8_t)(b[0] ^ b[1] ^ b[2] ^ b[3]);
    rc = an3155_send(r, b, 5, m);
    if (rc != 0) {
        return rc;
    }
    return an3155_ack(r, r->timeout_ms, "address", m);
}

/* Section 2: 0x7F; ACK, or NACK when the ROM is already synchronised. */
static int an3155_sync(struct fh_rom *r, struct fh_msg *m)
{
    uint8_t b = AN3155_SYNC;
    uint8_t a = 0;
    int rc = an3155_send(r, &b, 1, m);
    if (rc == 0) {
        rc = an3155_recv(r, &a, 1, r->timeout_ms, m);
    }
    if (rc != 0) {
        return rc;
    }
    if (a != FH_ROM_ACK && a != FH_ROM_NACK) {
        return fh_msg_set(m, FOTA_EPROTO, "an3155: sync: 0x%02x instead of ACK", a);
    }
    return 0;
}

/* 3.3 GET ID: ACK, N, PID bytes (N+1), ACK. */
static int an3155_get_id(struct fh_rom *r, uint16_t *pid, struct fh_msg *m)
{
    uint8_t n = 0;
    uint8_t id[2];
    int rc = an3155_cmd(r, AN3155_GET_ID, m);
    if (rc == 0) {
        rc = an3155_recv(r, &n, 1, r->timeout_ms, m);
    }
    if (rc == 0 && n != 1) {
        return fh_msg_set(m, FOTA_EPROTO, "an3155: GET ID: %u-byte product ID, expected 2", (unsigned)n + 1u);
    }
    if (rc == 0) {
        rc = an3155_recv(r, id, 2, r->timeout_ms, m);
    }
    if (rc == 0) {
        rc = an3155_ack(r, r->timeout_ms, "GET ID end", m);
    }
    if (rc == 0) {
        *pid = (uint16_t)(id[0] << 8 | id[1]);
    }
    return rc;
}

/* 3.4 READ MEMORY. */
static int an3155_read(struct fh_rom *r, uint32_t addr, void *buf, uint32_t len, struct fh_msg *m)
{
    uint8_t nb[2];
    int rc;
    if (len == 0 || len > FH_ROM_MAX_BLOCK) {
        return fh_msg_set(m, FOTA_EINVAL, "an3155: read of %u bytes (1..256)", (unsigned)len);
    }
    nb[0] = (uint8_t)(len - 1u);
    nb[1] = (uint8_t)(nb[0] ^ 0xFFu);
    rc = an3155_cmd(r, AN3155_READ, m);
    if (rc == 0) {
        rc = an3155_addr(r, addr, m);
    }
    if (rc == 0) {
        rc = an3155_send(r, nb, 2, m);
    }
    if (rc == 0) {
        rc = an3155_ack(r, r->timeout_ms, "READ length", m);
    }
    if (rc == 0) {
        rc = an3155_recv(r, buf, len, r->timeout_ms, m);
    }
    return rc;
}

/* 3.6 WRITE MEMORY. */
static int an3155_write(struct fh_rom *r, uint32_t addr, const void *buf, uint32_t len, struct fh_msg *m)
{
    uint8_t frame[1 + FH_ROM_MAX_BLOCK + 1];
    uint8_t x;
    int rc;
    if (len < 4u || len > FH_ROM_MAX_BLOCK || (len % 4u) != 0) {
        return fh_msg_set(m, FOTA_EINVAL, "an3155: write of %u bytes (4..256, a multiple of 4)", (unsigned)len);
    }
    frame[0] = (uint8_t)(len - 1u);
    memcpy(&frame[1], buf, len);
    x = frame[0];
    for (uint32_t i = 0; i < len; i++) {
        x ^= frame[1 + i];
    }
    frame[1 + len] = x;
    rc = an3155_cmd(r, AN3155_WRITE, m);
    if (rc == 0) {
        rc = an3155_addr(r, addr, m);
    }
    if (rc == 0) {
        rc = an3155_send(r, frame, len + 2u, m);
    }
    if (rc == 0) {
        rc = an3155_ack(r, r->timeout_ms, "WRITE data", m);
    }
    return rc;
}

/* 3.8 EXTENDED ERASE of a sector list. */
static int an3155_erase(struct fh_rom *r, const uint16_t *sectors, uint32_t n, struct fh_msg *m)
{
    uint8_t frame[2 + 2 * 12 + 1];
    uint32_t len = 0;
    uint8_t x = 0;
    int rc;
    if (n == 0 || n > 12u) {
        return fh_msg_set(m, FOTA_EINVAL, "an3155: erase of %u sectors (1..12)", (unsigned)n);
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
    rc = an3155_cmd(r, AN3155_EXT_ERASE, m);
    if (rc == 0) {
        rc = an3155_send(r, frame, len, m);
    }
    if (rc == 0) {
        rc = an3155_ack(r, r->erase_timeout_ms, "EXTENDED ERASE", m);
    }
    return rc;
}

/* 3.5 GO. */
static int an3155_go(struct fh_rom *r, uint32_t addr, struct fh_msg *m)
{
    int rc = an3155_cmd(r, AN3155_GO, m);
    if (rc == 0) {
        rc = an3155_addr(r, addr, m);
    }
    return rc;
}

const struct fh_rom_ops fh_an3155_ops = {
    .name = "an3155",
    .sync = an3155_sync,
    .get_id = an3155_get_id,
    .read = an3155_read,
    .write = an3155_write,
    .erase = an3155_erase,
    .go = an3155_go,
};

void fh_rom_init(struct fh_rom *r, const struct fh_rom_ops *ops, struct fh_link *link)
{
    memset(r, 0, sizeof(*r));
    r->ops = ops;
    r->link = link;
    r->timeout_ms = FH_ROM_DEFAULT_TIMEOUT_MS;
    r->erase_timeout_ms = FH_ROM_DEFAULT_ERASE_TIMEOUT_MS;
    r->retries = FH_ROM_DEFAULT_RETRIES;
}

void fh_rom_flush(struct fh_rom *r)
{
    if (r->ops != NULL && r->ops->flush != NULL) {
        r->ops->flush(r);
        return;
    }
    an3155_flush(r);
}
