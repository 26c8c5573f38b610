/*
 * The command layer of ST's ROM bootloader masters (stm32rom.h): AN3155
 * section 3 (USART) = AN4286 section 3 (SPI), written once over a
 * struct fh_rom_framing. Section numbers are AN3155 rev 15's; AN4286's
 * (as recalled from rev 4, docs/SPI_ROM.md) where they differ.
 */
#include <stdio.h>
#include <string.h>
#include "stm32rom.h"

enum {
    ROM_GET_ID = 0x02,    /* AN3155 3.3 */
    ROM_READ = 0x11,      /* 3.4 */
    ROM_GO = 0x21,        /* 3.5 */
    ROM_WRITE = 0x31,     /* 3.6 */
    ROM_EXT_ERASE = 0x44, /* AN3155 3.8, AN4286 3.7 */
};

#define ROM_ERASE_MAX_SECTORS 12u /* the F40x's sectors 0..11 (RM0090 3.3 Table 5) */
#define ROM_DRAIN_MS 20u

static const struct fh_rom_framing *rom_framing(const struct fh_rom *r)
{
    return r->ops->framing;
}

/* The ROM's answer to a frame: ACK 0; NACK (or, on USART, any other
 * byte): FOTA_EPROTO, counted in r->nacks. */
static int rom_ack(struct fh_rom *r, uint32_t timeout_ms, const char *what, struct fh_msg *m)
{
    const struct fh_rom_framing *f = rom_framing(r);
    uint8_t b = 0;
    int rc = f->wait_ack(r, timeout_ms, what, &b, m);
    if (rc != 0 || b == FH_ROM_ACK) {
        return rc;
    }
    r->nacks++;
    if (b == FH_ROM_NACK) {
        return fh_msg_set(m, FOTA_EPROTO, "%s: %s: NACK", r->ops->name, what);
    }
    return fh_msg_set(m, FOTA_EPROTO, "%s: %s: 0x%02x instead of ACK/NACK", r->ops->name, what, b);
}

/* A frame of @p len bytes as they are, then its ACK. */
static int rom_frame(struct fh_rom *r, const uint8_t *b, size_t len, uint32_t timeout_ms, const char *what,
                     struct fh_msg *m)
{
    int rc = rom_framing(r)->send(r, b, len, what, m);
    return rc != 0 ? rc : rom_ack(r, timeout_ms, what, m);
}

/* A block of @p len bytes followed by their XOR (b[len] is overwritten
 * with it), then its ACK: address (3.4), WRITE data (3.6), erase list. */
static int rom_block(struct fh_rom *r, uint8_t *b, size_t len, uint32_t timeout_ms, const char *what,
                     struct fh_msg *m)
{
    uint8_t x = 0;
    for (size_t i = 0; i < len; i++) {
        x ^= b[i];
    }
    b[len] = x;
    return rom_frame(r, b, len + 1u, timeout_ms, what, m);
}

/* Section 3: the command frame, then its ACK. */
static int rom_cmd(struct fh_rom *r, uint8_t cmd, struct fh_msg *m)
{
    const struct fh_rom_framing *f = rom_framing(r);
    char what[32];
    int rc;
    snprintf(what, sizeof(what), "command 0x%02x", cmd);
    r->commands++;
    if (r->verbose) {
        fprintf(stderr, "%s: > cmd 0x%02x\n", r->ops->name, cmd);
    }
    rc = f->send_cmd(r, cmd, what, m);
    return rc != 0 ? rc : rom_ack(r, r->timeout_ms, what, m);
}

/* Address, 4 bytes MSB first + XOR checksum, then ACK (3.4, 3.5, 3.6). */
static int rom_addr(struct fh_rom *r, uint32_t addr, struct fh_msg *m)
{
    uint8_t b[5] = { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr, 0 };
    return rom_block(r, b, 4, r->timeout_ms, "address", m);
}

/* AN3155 2 / AN4286 2.1: the sync byte; ACK, or NACK when the ROM is
 * already synchronised (AN3155: a second 0x7F is no command; AN4286: the
 * ROM took 0x5A as a SOF). Not counted as a NACK. */
int fh_rom_cmd_sync(struct fh_rom *r, struct fh_msg *m)
{
    const struct fh_rom_framing *f = rom_framing(r);
    uint8_t a = 0;
    if (f->sync_fn != NULL) {
        return f->sync_fn(r, m);
    }
    int rc = f->send(r, &f->sync, 1, "sync", m);
    if (rc == 0) {
        rc = f->wait_ack(r, r->timeout_ms, "sync", &a, m);
    }
    if (rc == 0 && a != FH_ROM_ACK && a != FH_ROM_NACK) {
        rc = fh_msg_set(m, FOTA_EPROTO, "%s: sync: 0x%02x instead of ACK", r->ops->name, a);
    }
    return rc;
}

/* 3.3 GET ID: ACK, then one data phase N, PID (N+1 bytes), then ACK. */
int fh_rom_cmd_get_id(struct fh_rom *r, uint16_t *pid, struct fh_msg *m)
{
    uint8_t d[3];
    int rc = rom_cmd(r, ROM_GET_ID, m);
    if (rc == 0) {
        rc = rom_framing(r)->recv(r, d, sizeof(d), "GET ID", m);
    }
    if (rc == 0 && d[0] != 1u) {
        return fh_msg_set(m, FOTA_EPROTO, "%s: GET ID: N = %u, expected 1 (a 2-byte product ID)",
                          r->ops->name, (unsigned)d[0]);
    }
    if (rc == 0) {
        rc = rom_ack(r, r->timeout_ms, "GET ID end", m);
    }
    if (rc == 0) {
        *pid = (uint16_t)(d[1] << 8 | d[2]);
    }
    return rc;
}

/* 3.4 READ MEMORY: command, address, N + complement (ACK), N+1 bytes. */
int fh_rom_cmd_read(struct fh_rom *r, uint32_t addr, void *buf, uint32_t len, struct fh_msg *m)
{
    uint8_t nb[2];
    int rc;
    if (len == 0 || len > FH_ROM_MAX_BLOCK) {
        return fh_msg_set(m, FOTA_EINVAL, "%s: read of %u bytes (1..256)", r->ops->name, (unsigned)len);
    }
    nb[0] = (uint8_t)(len - 1u);
    nb[1] = (uint8_t)(nb[0] ^ 0xFFu);
    rc = rom_cmd(r, ROM_READ, m);
    if (rc == 0) {
        rc = rom_addr(r, addr, m);
    }
    if (rc == 0) {
        rc = rom_frame(r, nb, sizeof(nb), r->timeout_ms, "READ length", m);
    }
    if (rc == 0) {
        rc = rom_framing(r)->recv(r, buf, len, "READ data", m);
    }
    return rc;
}

/* 3.6 WRITE MEMORY: command, address, N + data + XOR of both; the last
 * ACK comes once the flash is programmed. */
int fh_rom_cmd_write(struct fh_rom *r, uint32_t addr, const void *buf, uint32_t len, struct fh_msg *m)
{
    uint8_t frame[1 + FH_ROM_MAX_BLOCK + 1];
    int rc;
    if (len < 4u || len > FH_ROM_MAX_BLOCK || (len % 4u) != 0) {
        return fh_msg_set(m, FOTA_EINVAL, "%s: write of %u bytes (4..256, a multiple of 4)", r->ops->name,
                          (unsigned)len);
    }
    frame[0] = (uint8_t)(len - 1u);
    memcpy(&frame[1], buf, len);
    rc = rom_cmd(r, ROM_WRITE, m);
    if (rc == 0) {
        rc = rom_addr(r, addr, m);
    }
    if (rc == 0) {
        rc = rom_block(r, frame, len + 1u, r->timeout_ms, "WRITE data", m);
    }
    return rc;
}

/* AN3155 3.8 / AN4286 3.7 EXTENDED ERASE of a sector list: N-1 (2 bytes,
 * MSB first), the sector numbers (2 bytes each), XOR of them all; the ACK
 * comes once erased (r->erase_timeout_ms). */
int fh_rom_cmd_erase(struct fh_rom *r, const uint16_t *sectors, uint32_t n, struct fh_msg *m)
{
    uint8_t frame[2 + 2 * ROM_ERASE_MAX_SECTORS + 1];
    size_t len = 0;
    int rc;
    if (n == 0 || n > ROM_ERASE_MAX_SECTORS) {
        return fh_msg_set(m, FOTA_EINVAL, "%s: erase of %u sectors (1..12)", r->ops->name, (unsigned)n);
    }
    frame[len++] = (uint8_t)((n - 1u) >> 8);
    frame[len++] = (uint8_t)(n - 1u);
    if (rom_framing(r)->erase_n_csum) {
        /* AN4221 3.8: N + XOR, ACKed, then the list + its own XOR. */
        rc = rom_cmd(r, ROM_EXT_ERASE, m);
        rc = rc != 0 ? rc : rom_block(r, frame, 2, r->timeout_ms, "EXTENDED ERASE N", m);
        for (len = 0; rc == 0 && len < 2u * n; len += 2) {
            frame[len] = (uint8_t)(sectors[len / 2] >> 8);
            frame[len + 1] = (uint8_t)sectors[len / 2];
        }
        return rc != 0 ? rc : rom_block(r, frame, len, r->erase_timeout_ms, "EXTENDED ERASE", m);
    }
    for (uint32_t i = 0; i < n; i++) {
        frame[len++] = (uint8_t)(sectors[i] >> 8);
        frame[len++] = (uint8_t)sectors[i];
    }
    rc = rom_cmd(r, ROM_EXT_ERASE, m);
    return rc != 0 ? rc : rom_block(r, frame, len, r->erase_timeout_ms, "EXTENDED ERASE", m);
}

/* 3.5 GO: command, address (the ROM jumps after its ACK). */
int fh_rom_cmd_go(struct fh_rom *r, uint32_t addr, struct fh_msg *m)
{
    int rc = rom_cmd(r, ROM_GO, m);
    return rc != 0 ? rc : rom_addr(r, addr, m);
}

void fh_rom_init(struct fh_rom *r, const struct fh_rom_ops *ops, struct fh_link *link)
{
    *r = (struct fh_rom){
        .ops = ops, .link = link, .timeout_ms = FH_ROM_DEFAULT_TIMEOUT_MS,
        .erase_timeout_ms = FH_ROM_DEFAULT_ERASE_TIMEOUT_MS, .retries = FH_ROM_DEFAULT_RETRIES,
        .i2c_addr = FH_ROM_I2C_ADDR, .write_block = FH_ROM_MAX_BLOCK,
    };
    if (ops != NULL && ops->framing != NULL && ops->framing->write_block != 0) {
        r->write_block = ops->framing->write_block;
    }
}

void fh_rom_flush(struct fh_rom *r)
{
    uint8_t junk[64];
    size_t got = 0;
    if (r->ops != NULL && r->ops->flush != NULL) {
        r->ops->flush(r);
        return;
    }
    /* A byte stream: drain what arrives within ROM_DRAIN_MS of the last byte. */
    while (fh_link_read(r->link, junk, sizeof(junk), ROM_DRAIN_MS, &got) == 0 && got > 0) {
    }
}
