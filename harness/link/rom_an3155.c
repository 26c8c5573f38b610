/**
 * @file rom_an3155.c
 * @brief The emulated ST ROM bootloader, AN3155 USART protocol (see
 * rom_an3155.h for every modelled behaviour and its AN3155 section).
 */
#include "link/rom_an3155.h"
#include "target/errmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "scenario/rom_quirks.h"

/* Parser states. */
enum {
    ROM_S_SYNC = 0,     /* waiting for 0x7F (section 2) */
    ROM_S_CMD,          /* command + complement */
    ROM_S_ADDR,         /* 4 address bytes + XOR checksum (3.4, 3.5, 3.6) */
    ROM_S_READ_LEN,     /* N + complement (3.4) */
    ROM_S_WRITE_LEN,    /* N (3.6) */
    ROM_S_WRITE_DATA,   /* N+1 bytes + checksum (3.6) */
    ROM_S_ERASE_N,      /* 2 bytes (3.8) */
    ROM_S_ERASE_LIST,   /* sector list + checksum, or the special code's checksum */
    ROM_S_ERASE_LIST_I2C, /* AN4221: the sector list + its own checksum, after N + checksum was ACKed */
};

/* Memory map of the F40x as the ROM checks it (RM0090 2.3 Figure 5 and
 * 3.3 Table 5). */
#define ROM_SYSMEM_ADDR  0x1FFF0000u
#define ROM_SYSMEM_SIZE  0x7800u      /* 30 KB system memory */
#define ROM_OTP_ADDR     0x1FFF7800u
#define ROM_OTP_SIZE     0x210u       /* 512 B OTP + 16 B lock */
#define ROM_OPT_ADDR     0x1FFFC000u
#define ROM_OPT_SIZE     0x10u

static const uint8_t rom_cmds[] = {
    HIL_ROM_GET, HIL_ROM_GET_VERSION, HIL_ROM_GET_ID, HIL_ROM_READ, HIL_ROM_GO, HIL_ROM_WRITE,
    HIL_ROM_EXT_ERASE, HIL_ROM_WP, HIL_ROM_WUP, HIL_ROM_RDP, HIL_ROM_RDUP,
};

const char *hil_rom_cmd_name(uint8_t cmd)
{
    switch (cmd) {
    case HIL_ROM_GET: return "GET";
    case HIL_ROM_GET_VERSION: return "GET VERSION";
    case HIL_ROM_GET_ID: return "GET ID";
    case HIL_ROM_READ: return "READ MEMORY";
    case HIL_ROM_GO: return "GO";
    case HIL_ROM_WRITE: return "WRITE MEMORY";
    case HIL_ROM_ERASE: return "ERASE";
    case HIL_ROM_EXT_ERASE: return "EXTENDED ERASE";
    case HIL_ROM_WP: return "WRITE PROTECT";
    case HIL_ROM_WUP: return "WRITE UNPROTECT";
    case HIL_ROM_RDP: return "READOUT PROTECT";
    case HIL_ROM_RDUP: return "READOUT UNPROTECT";
    default: return "?";
    }
}

void hil_rom_log(struct hil_rom *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hil_vlog(r->hooks.log, r->hooks.ctx, fmt, ap);
    va_end(ap);
}

void hil_rom_init(struct hil_rom *r, struct hil_flash *flash, const struct hil_rom_hooks *hooks)
{
    memset(r, 0, sizeof(*r));
    r->flash = flash;
    if (hooks != NULL) {
        r->hooks = *hooks;
    }
    r->state = ROM_S_SYNC;
    r->need = 1;
}

/* Queue one SPI answer byte with its flags (rom_an4286.c clocks it out). */
static void rom_spi_push(struct hil_rom *r, uint16_t v)
{
    if (r->spi_qt < sizeof(r->spi_q) / sizeof(r->spi_q[0])) {
        r->spi_q[r->spi_qt++] = v;
    }
}

/* One answer byte. USART: straight out. SPI (AN4286 3.x): into the
 * MISO queue; the first byte after an ACK waits for the master's dummy
 * byte (HIL_ROM_SPI_HOLD), as every AN4286 data phase starts with one.
 * I2C (AN4221): into the queue the master's read transactions empty. */
static void rom_put(struct hil_rom *r, struct hil_buf *out, uint8_t b)
{
    r->bytes_out++;
    if (r->link == HIL_ROM_LINK_I2C) {
        rom_spi_push(r, b);
        return;
    }
    if (r->link == HIL_ROM_LINK_SPI) {
        rom_spi_push(r, (uint16_t)(b | (r->spi_seg ? HIL_ROM_SPI_HOLD : 0u)));
        r->spi_seg = false;
        return;
    }
    hil_buf_append(out, &b, 1);
}

/* ACK or NACK. SPI: AN4286 2.2 get-ACK procedure: the master clocks a
 * dummy byte (answered busy 0xA5), polls until ACK/NACK, then sends 0x79. */
static void rom_ack(struct hil_rom *r, struct hil_buf *out, uint8_t b)
{
    r->bytes_out++;
    r->ack_ns = r->bus_ns;
    if (r->link == HIL_ROM_LINK_I2C) {
        rom_spi_push(r, b);
        return;
    }
    if (r->link == HIL_ROM_LINK_SPI) {
        rom_spi_push(r, (uint16_t)(b | HIL_ROM_SPI_HOLD | HIL_ROM_SPI_ACKB));
        r->spi_seg = true;
        return;
    }
    hil_buf_append(out, &b, 1);
}

/* Wait for the next command (section 3: after every command, or a NACK). */
static void rom_expect_cmd(struct hil_rom *r)
{
    r->state = ROM_S_CMD;
    r->need = 2;
    r->have = 0;
}

static void rom_expect(struct hil_rom *r, uint8_t state, uint32_t need)
{
    r->state = state;
    r->need = need;
    r->have = 0;
}

static bool rom_in(uint32_t addr, uint32_t len, uint32_t base, uint32_t size)
{
    return addr >= base && (uint64_t)addr + len <= (uint64_t)base + size;
}

static bool rom_flash_range(uint32_t addr, uint32_t len)
{
    return rom_in(addr, len, LAYOUT_FLASH_BASE, LAYOUT_FLASH_SIZE);
}

/* Valid for READ MEMORY (3.4): flash, SRAM, system memory, OTP, option bytes. */
static bool rom_readable(uint32_t addr, uint32_t len)
{
    return rom_flash_range(addr, len) || rom_in(addr, len, LAYOUT_RAM_BASE, HIL_ROM_RAM_SIZE) ||
           rom_in(addr, len, ROM_SYSMEM_ADDR, ROM_SYSMEM_SIZE) || rom_in(addr, len, ROM_OTP_ADDR, ROM_OTP_SIZE) ||
           rom_in(addr, len, ROM_OPT_ADDR, ROM_OPT_SIZE);
}

static void rom_read_bytes(const struct hil_rom *r, uint32_t addr, uint8_t *dst, uint32_t len)
{
    if (rom_flash_range(addr, len)) {
        memcpy(dst, &r->flash->mem[addr - LAYOUT_FLASH_BASE], len);
    } else if (rom_in(addr, len, LAYOUT_RAM_BASE, HIL_ROM_RAM_SIZE)) {
        memcpy(dst, &r->ram[addr - LAYOUT_RAM_BASE], len);
    } else if (rom_in(addr, len, ROM_OPT_ADDR, ROM_OPT_SIZE)) {
        /* RM0090 3.7.1 Table 16: factory option bytes, RDP level 0 (0xAA),
         * no write protection (nWRP all 1). Per 16-bit word: value, then
         * its complement (0x1FFF C000: 0xAAEC / 0x5513; C008: 0x0FFF / 0xF000). */
        static const uint8_t opt[ROM_OPT_SIZE] = { 0xEC, 0xAA, 0x13, 0x55, 0, 0, 0, 0,
                                                   0xFF, 0x0F, 0x00, 0xF0, 0, 0, 0, 0 };
        memcpy(dst, &opt[addr - ROM_OPT_ADDR], len);
    } else {
        memset(dst, 0xFF, len); /* system memory, OTP: not modelled */
    }
}

static uint8_t rom_xor(const uint8_t *p, uint32_t n)
{
    uint8_t x = 0;
    for (uint32_t i = 0; i < n; i++) {
        x ^= p[i];
    }
    return x;
}


/* Ask the hook about a flash op and apply it. @return false if the power was cut. */
static bool rom_flash_op(struct hil_rom *r, struct hil_flash_op *op)
{
    struct hil_flash_verdict v;
    memset(&v, 0, sizeof(v));
    op->seq = ++r->op_seq;
    op->kind_seq = ++r->kind_seq[op->kind];
    if (r->hooks.on_flash_op != NULL) {
        r->hooks.on_flash_op(r->hooks.ctx, op, &v);
    }
    enum hil_torn torn = v.action == HIL_ACT_CUT ? v.torn : HIL_TORN_ALL;
    if (v.action == HIL_ACT_FAIL) {
        return true; /* the ROM does not report program errors beyond a NACK; see caller */
    }
    if (op->kind == HIL_OP_ERASE) {
        hil_flash_erase(r->flash, op->sector, torn);
        r->erases++;
    } else {
        hil_flash_program(r->flash, op->addr, op->data, op->len, torn);
        r->programs++;
    }
    if (v.action == HIL_ACT_CUT) {
        r->cut = true;
        hil_rom_log(r, "rom: power cut during %s", op->kind == HIL_OP_ERASE ? "erase" : "program");
        return false;
    }
    return true;
}

/* A complete command byte pair arrived. */
static void rom_command(struct hil_rom *r, struct hil_buf *out)
{
    uint8_t cmd = r->buf[0];
    bool known = false;
    for (size_t i = 0; i < sizeof(rom_cmds); i++) {
        known = known || rom_cmds[i] == cmd;
    }
    if ((uint8_t)(cmd ^ r->buf[1]) != 0xFFu || !known) {
        hil_rom_log(r, "rom: NACK command 0x%02x 0x%02x (%s)", cmd, r->buf[1],
                known ? "complement mismatch" : "unsupported");
        rom_ack(r, out, HIL_ROM_NACK);
        rom_expect_cmd(r);
        return;
    }
    uint32_t n = ++r->cmd_count[cmd];
    enum hil_rom_answer a = r->hooks.on_command != NULL ? r->hooks.on_command(r->hooks.ctx, cmd, n) : HIL_ROM_ANSWER;
    if (a == HIL_ROM_FORCE_NACK) {
        hil_rom_log(r, "rom: FAULT NACK to %s #%u", hil_rom_cmd_name(cmd), n);
        rom_ack(r, out, HIL_ROM_NACK);
        rom_expect_cmd(r);
        return;
    }
    if (a == HIL_ROM_SILENT) {
        hil_rom_log(r, "rom: FAULT no answer to %s #%u", hil_rom_cmd_name(cmd), n);
        rom_expect_cmd(r);
        return;
    }
    r->cmd = cmd;
    rom_ack(r, out, HIL_ROM_ACK);
    switch (cmd) {
    case HIL_ROM_GET: /* 3.1; AN4221 3.1: protocol version 1.0 */
        rom_put(r, out, (uint8_t)sizeof(rom_cmds));
        rom_put(r, out, r->link == HIL_ROM_LINK_I2C ? HIL_ROM_I2C_VERSION : HIL_ROM_VERSION);
        for (size_t i = 0; i < sizeof(rom_cmds); i++) {
            rom_put(r, out, rom_cmds[i]);
        }
        rom_ack(r, out, HIL_ROM_ACK);
        rom_expect_cmd(r);
        return;
    case HIL_ROM_GET_VERSION: /* AN3155 3.2: version + 2 option bytes; AN4286, AN4221 3.2: version only */
        rom_put(r, out, r->link == HIL_ROM_LINK_I2C ? HIL_ROM_I2C_VERSION : HIL_ROM_VERSION);
        if (r->link == HIL_ROM_LINK_USART) {
            rom_put(r, out, 0x00);
            rom_put(r, out, 0x00);
        }
        rom_ack(r, out, HIL_ROM_ACK);
        rom_expect_cmd(r);
        return;
    case HIL_ROM_GET_ID: /* 3.3 */
        rom_put(r, out, 1);
        rom_put(r, out, (uint8_t)(HIL_ROM_PID >> 8));
        rom_put(r, out, (uint8_t)HIL_ROM_PID);
        rom_ack(r, out, HIL_ROM_ACK);
        rom_expect_cmd(r);
        return;
    case HIL_ROM_READ:
    case HIL_ROM_GO:
    case HIL_ROM_WRITE:
        rom_expect(r, ROM_S_ADDR, 5);
        return;
    case HIL_ROM_EXT_ERASE: /* AN4221 3.8: N and its own checksum first */
        rom_expect(r, ROM_S_ERASE_N, r->link == HIL_ROM_LINK_I2C ? 3u : 2u);
        return;
    default:
        /* Protection commands: readout protection is not modelled. */
        hil_rom_log(r, "rom: %s not modelled: NACK", hil_rom_cmd_name(cmd));
        rom_ack(r, out, HIL_ROM_NACK);
        rom_expect_cmd(r);
        return;
    }
}

static void rom_address(struct hil_rom *r, struct hil_buf *out)
{
    uint32_t a = (uint32_t)r->buf[0] << 24 | (uint32_t)r->buf[1] << 16 | (uint32_t)r->buf[2] << 8 | r->buf[3];
    bool ok = rom_xor(r->buf, 4) == r->buf[4];
    if (ok && r->cmd == HIL_ROM_GO) {
        ok = rom_flash_range(a, 4) || rom_in(a, 4, LAYOUT_RAM_BASE, HIL_ROM_RAM_SIZE);
    } else if (ok) {
        ok = rom_readable(a, 1);
    }
    if (!ok) {
        hil_rom_log(r, "rom: NACK %s address 0x%08x (checksum %s)", hil_rom_cmd_name(r->cmd), a,
                rom_xor(r->buf, 4) == r->buf[4] ? "ok, invalid address" : "bad");
        rom_ack(r, out, HIL_ROM_NACK);
        rom_expect_cmd(r);
        return;
    }
    r->addr = a;
    rom_ack(r, out, HIL_ROM_ACK);
    if (r->cmd == HIL_ROM_READ) {
        rom_expect(r, ROM_S_READ_LEN, 2);
    } else if (r->cmd == HIL_ROM_WRITE) {
        rom_expect(r, ROM_S_WRITE_LEN, 1);
    } else {
        hil_rom_log(r, "rom: GO 0x%08x", a);
        r->go = true;
        r->go_addr = a;
    }
}

static void rom_read(struct hil_rom *r, struct hil_buf *out)
{
    uint32_t len = (uint32_t)r->buf[0] + 1u;
    if ((uint8_t)(r->buf[0] ^ r->buf[1]) != 0xFFu || !rom_readable(r->addr, len)) {
        rom_ack(r, out, HIL_ROM_NACK);
        rom_expect_cmd(r);
        return;
    }
    uint8_t data[256];
    rom_read_bytes(r, r->addr, data, len);
    rom_ack(r, out, HIL_ROM_ACK);
    for (uint32_t i = 0; i < len; i++) {
        rom_put(r, out, data[i]);
    }
    rom_expect_cmd(r);
}

static void rom_write(struct hil_rom *r, struct hil_buf *out)
{
    uint32_t len = (uint32_t)r->buf[0] + 1u;
    const uint8_t *data = &r->buf[1];
    bool ok = rom_xor(r->buf, len + 1u) == r->buf[len + 1u];
    if (ok && rom_flash_range(r->addr, len)) {
        ok = (len % 4u) == 0;
        if (ok) {
            struct hil_flash_op op = {
                .kind = HIL_OP_PROGRAM,
                .region = hil_flash_region_of(r->addr),
                .sector = (uint32_t)hil_flash_sector_of(r->addr),
                .addr = r->addr,
                .len = len,
                .data = data,
            };
            if (!rom_flash_op(r, &op)) {
                return; /* power cut: no answer */
            }
        }
    } else if (ok && rom_in(r->addr, len, LAYOUT_RAM_BASE, HIL_ROM_RAM_SIZE)) {
        memcpy(&r->ram[r->addr - LAYOUT_RAM_BASE], data, len);
    } else {
        ok = false;
    }
    if (!ok) {
        hil_rom_log(r, "rom: NACK WRITE MEMORY 0x%08x+%u", r->addr, len);
    }
    rom_ack(r, out, ok ? HIL_ROM_ACK : HIL_ROM_NACK);
    rom_expect_cmd(r);
}

/* @p n + 1 sector numbers, 2 bytes each MSB first, at @p p into
 * @p sectors. @return false if one is past the F40x's 11. */
static bool rom_sector_list(const uint8_t *p, uint32_t n, uint32_t *sectors, uint32_t *count)
{
    *count = 0;
    for (uint32_t i = 0; i <= n; i++) {
        uint32_t s = (uint32_t)p[2 * i] << 8 | p[2 * i + 1];
        if (s >= LAYOUT_FLASH_SECTORS || *count >= LAYOUT_FLASH_SECTORS) {
            return false;
        }
        sectors[(*count)++] = s;
    }
    return true;
}

/* Erase @p count sectors through the flash hook, then the final ACK
 * (none after a power cut; none on I2C with the erase_no_ack quirk). */
static void rom_erase_sectors(struct hil_rom *r, struct hil_buf *out, const uint32_t *sectors, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        struct hil_flash_op op = {
            .kind = HIL_OP_ERASE,
            .region = hil_flash_region_of(LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(sectors[i])),
            .sector = sectors[i],
            .addr = LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(sectors[i]),
            .len = LAYOUT_SECTOR_SIZE(sectors[i]),
        };
        if (!rom_flash_op(r, &op)) {
            return;
        }
    }
    rom_expect_cmd(r);
    if (r->link == HIL_ROM_LINK_I2C && (r->quirks & HIL_ROM_QUIRK_ERASE_NO_ACK) != 0) {
        hil_rom_log(r, "rom: QUIRK erase_no_ack: %u sectors erased, the final ACK is not sent", count);
        r->i2c_ack_lost = true;
        r->i2c_lost_polled = false;
        return;
    }
    rom_ack(r, out, HIL_ROM_ACK);
}

/* A special erase code (0xFFFF mass, 0xFFFE/0xFFFD bank 1/2: the F40x has
 * one bank, each erases every sector). @return false if not a known code. */
static bool rom_special_erase(uint32_t n, uint32_t *sectors, uint32_t *count)
{
    *count = 0;
    if (n != 0xFFFFu && n != 0xFFFEu && n != 0xFFFDu) {
        return false;
    }
    for (uint32_t s = 0; s < LAYOUT_FLASH_SECTORS; s++) {
        sectors[(*count)++] = s;
    }
    return true;
}

static void rom_erase_nack(struct hil_rom *r, struct hil_buf *out, const char *why)
{
    hil_rom_log(r, "rom: NACK EXTENDED ERASE (%s)", why);
    rom_ack(r, out, HIL_ROM_NACK);
    rom_expect_cmd(r);
}

/* AN3155 3.8 / AN4286: N (2 bytes), then a special code's checksum or
 * the sector list and the XOR of every byte, in one frame. */
static void rom_erase(struct hil_rom *r, struct hil_buf *out)
{
    uint32_t n = (uint32_t)r->buf[0] << 8 | r->buf[1];
    uint32_t sectors[LAYOUT_FLASH_SECTORS];
    uint32_t count = 0;
    bool ok;
    if (n >= 0xFFF0u) {
        /* Special erase: its checksum is the XOR of the two N bytes. */
        ok = rom_special_erase(n, sectors, &count) && rom_xor(r->buf, 2) == r->buf[2];
    } else {
        uint32_t total = 2u + 2u * (n + 1u);
        ok = rom_xor(r->buf, total) == r->buf[total] && rom_sector_list(&r->buf[2], n, sectors, &count);
    }
    if (!ok) {
        rom_erase_nack(r, out, "bad checksum or sector");
        return;
    }
    rom_erase_sectors(r, out, sectors, count);
}

/* AN4221 3.8: N (2 bytes) + their XOR came in: a special code erases
 * now; otherwise ACK and wait for the list (2 (N+1) bytes + their XOR). */
static void rom_erase_n_i2c(struct hil_rom *r, struct hil_buf *out)
{
    uint32_t n = (uint32_t)r->buf[0] << 8 | r->buf[1];
    uint32_t sectors[LAYOUT_FLASH_SECTORS];
    uint32_t count = 0;
    if (rom_xor(r->buf, 2) != r->buf[2]) {
        rom_erase_nack(r, out, "bad checksum of N");
        return;
    }
    if (n >= 0xFFF0u) {
        if (!rom_special_erase(n, sectors, &count)) {
            rom_erase_nack(r, out, "unknown special code");
            return;
        }
        rom_erase_sectors(r, out, sectors, count);
        return;
    }
    if (n + 1u > LAYOUT_FLASH_SECTORS) {
        rom_erase_nack(r, out, "more sectors than the F40x has");
        return;
    }
    r->addr = n; /* kept for the list */
    rom_ack(r, out, HIL_ROM_ACK);
    rom_expect(r, ROM_S_ERASE_LIST_I2C, 2u * (n + 1u) + 1u);
}

static void rom_erase_list_i2c(struct hil_rom *r, struct hil_buf *out)
{
    uint32_t n = r->addr;
    uint32_t sectors[LAYOUT_FLASH_SECTORS];
    uint32_t count = 0;
    uint32_t total = 2u * (n + 1u);
    if (rom_xor(r->buf, total) != r->buf[total] || !rom_sector_list(r->buf, n, sectors, &count)) {
        rom_erase_nack(r, out, "bad checksum or sector");
        return;
    }
    rom_erase_sectors(r, out, sectors, count);
}

/* r->need bytes are in r->buf: act on them. */
static void rom_step(struct hil_rom *r, struct hil_buf *out)
{
    switch (r->state) {
    case ROM_S_SYNC:
        if (r->link == HIL_ROM_LINK_SPI && r->buf[0] == HIL_ROM_SPI_SOF) {
            r->synced = true;
            hil_rom_log(r, "rom: SPI synchronization 0x5A: ACK (AN4286)");
            rom_ack(r, out, HIL_ROM_ACK);
            rom_expect_cmd(r);
        } else if (r->link == HIL_ROM_LINK_USART && r->buf[0] == HIL_ROM_SYNC) {
            r->synced = true;
            hil_rom_log(r, "rom: 0x7F autobaud: ACK");
            rom_ack(r, out, HIL_ROM_ACK);
            rom_expect_cmd(r);
        } else {
            r->have = 0; /* the ROM ignores everything before 0x7F */
        }
        return;
    case ROM_S_CMD:
        if (r->link == HIL_ROM_LINK_USART && r->have == 1 && r->buf[0] == HIL_ROM_SYNC) {
            /* Section 2 / rom_an3155.h: a second 0x7F is answered NACK. */
            rom_ack(r, out, HIL_ROM_NACK);
            r->have = 0;
            return;
        }
        rom_command(r, out);
        return;
    case ROM_S_ADDR:
        rom_address(r, out);
        return;
    case ROM_S_READ_LEN:
        rom_read(r, out);
        return;
    case ROM_S_WRITE_LEN:
        /* Keep N at buf[0]: the data and the checksum follow it. */
        r->state = ROM_S_WRITE_DATA;
        r->need = (uint32_t)r->buf[0] + 3u; /* N, N+1 data bytes, checksum */
        return;
    case ROM_S_WRITE_DATA:
        rom_write(r, out);
        return;
    case ROM_S_ERASE_N: {
        if (r->link == HIL_ROM_LINK_I2C) {
            rom_erase_n_i2c(r, out);
            return;
        }
        uint32_t n = (uint32_t)r->buf[0] << 8 | r->buf[1];
        r->state = ROM_S_ERASE_LIST;
        r->need = n >= 0xFFF0u ? 3u : 2u + 2u * (n + 1u) + 1u;
        if (n < 0xFFF0u && n + 1u > LAYOUT_FLASH_SECTORS) {
            /* More sectors than the F40x has (12): the list cannot be
             * valid; answered at once (not from AN3155: a modelling choice). */
            rom_ack(r, out, HIL_ROM_NACK);
            rom_expect_cmd(r);
        }
        return;
    }
    case ROM_S_ERASE_LIST:
        rom_erase(r, out);
        return;
    case ROM_S_ERASE_LIST_I2C:
        rom_erase_list_i2c(r, out);
        return;
    default:
        rom_expect_cmd(r);
        return;
    }
}

/* rom_step, then tell the on_unit hook if that completed a unit (have
 * back at 0, or the power was cut; rom_step leaves buf as it was). The
 * answer is what rom_step wrote: to @p out on USART, to spi_q on SPI
 * (where @p out is NULL; the trace gets the bytes without queue flags). */
static void rom_step_unit(struct hil_rom *r, struct hil_buf *out)
{
    uint32_t unit_len = r->have;
    size_t before = out != NULL ? out->len : 0;
    uint32_t q_before = r->spi_qt;
    bool ignored = r->state == ROM_S_SYNC && r->buf[0] != HIL_ROM_SYNC;
    rom_step(r, out);
    if (r->hooks.on_unit == NULL || ignored || (r->have != 0 && !r->cut)) {
        return;
    }
    if (out != NULL) {
        r->hooks.on_unit(r->hooks.ctx, r->buf, unit_len, out->data + before, out->len - before);
        return;
    }
    uint8_t ans[sizeof(r->spi_q) / sizeof(r->spi_q[0])];
    size_t n = 0;
    for (uint32_t i = q_before <= r->spi_qt ? q_before : 0; i < r->spi_qt; i++) {
        ans[n++] = (uint8_t)r->spi_q[i];
    }
    r->hooks.on_unit(r->hooks.ctx, r->buf, unit_len, ans, n);
}

void hil_rom_engine_byte(struct hil_rom *r, uint8_t b, struct hil_buf *out)
{
    if (r->cut || r->go) {
        return;
    }
    r->bytes_in++;
    if (r->link == HIL_ROM_LINK_SPI && r->state == ROM_S_CMD && r->have == 0 && !r->spi_sof) {
        /* AN4286 3: every command frame starts with SOF 0x5A; anything
         * else between frames (a stray dummy byte) is skipped. */
        r->spi_sof = b == HIL_ROM_SPI_SOF;
        return;
    }
    r->buf[r->have++] = b;
    if (r->link == HIL_ROM_LINK_USART && r->state == ROM_S_CMD && r->have == 1 && b == HIL_ROM_SYNC) {
        rom_step_unit(r, out);
        return;
    }
    if (r->have >= r->need) {
        if (r->state == ROM_S_CMD) {
            r->spi_sof = false;
        }
        rom_step_unit(r, out);
    }
}

void hil_rom_select_i2c(struct hil_rom *r)
{
    r->link = HIL_ROM_LINK_I2C;
    r->synced = true;
    rom_expect_cmd(r);
}

bool hil_rom_engine_in_command(const struct hil_rom *r)
{
    return r->state != ROM_S_SYNC && r->state != ROM_S_CMD;
}

bool hil_rom_engine_partial(const struct hil_rom *r)
{
    return r->state != ROM_S_SYNC && r->have > 0;
}

void hil_rom_engine_abort(struct hil_rom *r, struct hil_buf *out, const char *why)
{
    hil_rom_log(r, "rom: %s: NACK, back to waiting for a command", why);
    rom_ack(r, out, HIL_ROM_NACK);
    rom_expect_cmd(r);
}

void hil_rom_feed(struct hil_rom *r, const uint8_t *in, size_t n, struct hil_buf *out)
{
    if (n > 1 && r->link == HIL_ROM_LINK_USART && (r->quirks & HIL_ROM_QUIRK_UART_BYTE_GAP) != 0 && !r->cut &&
        !r->go) {
        /* The byte after another without a gap is lost (an overrun). */
        r->gap_lost += (uint32_t)(n - 1u);
        hil_rom_log(r, "rom: QUIRK uart_byte_gap: %zu bytes back to back, %zu lost (%u in all)", n, n - 1u,
                r->gap_lost);
        n = 1;
    }
    for (size_t i = 0; i < n && !r->cut && !r->go; i++) {
        hil_rom_engine_byte(r, in[i], out);
    }
}
