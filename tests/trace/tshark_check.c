/**
 * @file tshark_check.c
 * @brief tshark + fota-hil.lua against records as written (tshark_check.h).
 */
#include "tshark_check.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/proto.h"

#ifndef HIL_TRACE_LUA
#define HIL_TRACE_LUA "scripts/fota-hil.lua"
#endif

static const char *const col_field[C_COUNT] = {
    "fotahil.rec.kind", "fotahil.rec.dir", "fotahil.rec.flags", "fotahil.rec.len",
    "fotahil.frame.index", "fotahil.frame.type", "fotahil.frame.seq", "fotahil.frame.len",
    "fotahil.frame.status", "fotahil.frame.crc", "fotahil.frame.crc.computed",
    "fotahil.frame.crc.status", "fotahil.frame.garbage",
    "fotahil.hello.proto_version", "fotahil.hello.role", "fotahil.hello.active_slot",
    "fotahil.hello.active_version", "fotahil.hello.target_slot", "fotahil.hello.max_data",
    "fotahil.hello.slot_size",
    "fotahil.begin.flags", "fotahil.begin.fresh", "fotahil.begin.hdr.magic",
    "fotahil.begin.hdr.version", "fotahil.begin.hdr.load_addr", "fotahil.begin.hdr.size",
    "fotahil.begin.hdr.crc32", "fotahil.begin.hdr.hdr_crc32",
    "fotahil.begin.resume_offset", "fotahil.begin.prefix_crc",
    "fotahil.data.offset", "fotahil.data.len", "fotahil.data.retransmission",
    "fotahil.data.next_offset",
    "fotahil.fault.kind", "fotahil.fault.frame", "fotahil.fault.offset", "fotahil.fault.param",
    "fotahil.flash.op", "fotahil.flash.region", "fotahil.flash.verdict", "fotahil.flash.torn",
    "fotahil.flash.rc", "fotahil.flash.sector", "fotahil.flash.addr", "fotahil.flash.len",
    "fotahil.flash.seq", "fotahil.flash.kind_seq", "fotahil.flash.sha256_prefix",
    "fotahil.power.event", "fotahil.power.value", "fotahil.power.detail",
    "fotahil.console.text",
    "fotahil.expert.crc", "fotahil.expert.nack", "fotahil.expert.status",
    "fotahil.expert.retransmission", "fotahil.expert.fault", "fotahil.expert.flash_cut",
    "fotahil.expert.flash_fail", "fotahil.expert.power", "fotahil.expert.no_sync",
    "fotahil.expert.garbage", "fotahil.expert.short",
    "fotahil.rec.flags.proto", "fotahil.rec.flags.link", "fotahil.rom.unit", "fotahil.rom.cmd",
    "fotahil.rom.addr", "fotahil.rom.len", "fotahil.rom.ack", "fotahil.rom.cksum_status",
    "fotahil.rom.pid", "fotahil.expert.rom_nack", "fotahil.expert.rom_cksum", "fotahil.rec.flags.devtime",
    "_ws.lua.error", "_ws.malformed",
};

static tc_row *g_want;

static void setc(int rec, enum tc_col c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_want[rec][c], TC_CELL, fmt, ap);
    va_end(ap);
}

/* tshark prints FT_BYTES as lowercase hex without separators. */
static void set_hex(int rec, enum tc_col c, const uint8_t *p, size_t n)
{
    char *o = g_want[rec][c];
    for (size_t i = 0; i < n && 2 * i + 2 < TC_CELL; i++) {
        snprintf(o + 2 * i, 3, "%02x", p[i]);
    }
}

static void expect_status(int i, const uint8_t *pl)
{
    setc(i, C_F_STATUS, "%u", pl[0]);
    if (pl[0] != 0) {
        setc(i, C_E_STATUS, "1");
    }
}

/* Expected columns of FRAME record @p i, decoded from the bytes here. */
static void expect_frame(int i, const struct hil_trace_rec *r, int64_t *last_data_off)
{
    const uint8_t *b = r->frame.bytes;
    size_t n = r->frame.len;
    setc(i, C_F_INDEX, "%u", r->frame.index);
    if (r->flags & HIL_TRACE_F_TRUNC) {
        setc(i, C_E_SHORT, "1");
    }
    size_t s = 0;
    while (s + 1 < n && !(b[s] == PROTO_SYNC0 && b[s + 1] == PROTO_SYNC1)) {
        s++;
    }
    if (s + 1 >= n) {
        setc(i, C_E_NOSYNC, "1");
        set_hex(i, C_F_GARBAGE, b, n > 16 ? 16 : n); /* compared as a prefix */
        return;
    }
    if (s > 0) {
        set_hex(i, C_F_GARBAGE, b, s);
        setc(i, C_E_GARBAGE, "1");
    }
    size_t avail = n - s;
    const uint8_t *f = b + s;
    uint8_t type = f[2];
    uint16_t plen = proto_get_u16(f + 4);
    setc(i, C_F_TYPE, "0x%02x", type);
    setc(i, C_F_SEQ, "%u", f[3]);
    setc(i, C_F_LEN, "%u", plen);
    const uint8_t *pl = f + PROTO_HDR_SIZE;
    if (avail < PROTO_HDR_SIZE + plen + PROTO_CRC_SIZE) {
        setc(i, C_E_SHORT, "1");
        return;
    }
    uint32_t got = proto_get_u32(pl + plen);
    uint32_t calc = crc32_update(0, f + 2, 4u + plen);
    setc(i, C_F_CRC, "0x%08x", got);
    setc(i, C_F_CRC_CALC, "0x%08x", calc);
    setc(i, C_F_CRC_STATUS, "%d", got == calc ? 1 : 0);
    if (got != calc) {
        setc(i, C_E_CRC, "1");
    }
    switch (type) {
    case PROTO_T_HELLO | PROTO_T_RSP:
        expect_status(i, pl);
        setc(i, C_H_PROTO, "%u", pl[1]);
        setc(i, C_H_ROLE, "%u", pl[2]);
        setc(i, C_H_ACTIVE, "%u", pl[3]);
        setc(i, C_H_AVER, "0x%08x", proto_get_u32(pl + 4));
        setc(i, C_H_TARGET, "%u", pl[8]);
        setc(i, C_H_MAXDATA, "%u", proto_get_u16(pl + 9));
        setc(i, C_H_SLOTSIZE, "%u", proto_get_u32(pl + 11));
        break;
    case PROTO_T_BEGIN:
        setc(i, C_B_FLAGS, "0x%02x", pl[0]);
        setc(i, C_B_FRESH, "%d", (pl[0] & PROTO_BEGIN_F_FRESH) ? 1 : 0);
        setc(i, C_B_MAGIC, "0x%08x", proto_get_u32(pl + 1 + 0x00));
        setc(i, C_B_VERSION, "0x%08x", proto_get_u32(pl + 1 + 0x08));
        setc(i, C_B_LOAD, "0x%08x", proto_get_u32(pl + 1 + 0x0C));
        setc(i, C_B_SIZE, "%u", proto_get_u32(pl + 1 + 0x10));
        setc(i, C_B_CRC, "0x%08x", proto_get_u32(pl + 1 + 0x18));
        setc(i, C_B_HCRC, "0x%08x", proto_get_u32(pl + 1 + 0x1FC));
        break;
    case PROTO_T_BEGIN | PROTO_T_RSP:
        expect_status(i, pl);
        setc(i, C_B_RESUME, "%u", proto_get_u32(pl + 1));
        setc(i, C_B_PREFIX, "0x%08x", proto_get_u32(pl + 5));
        break;
    case PROTO_T_DATA: {
        uint32_t off = proto_get_u32(pl);
        setc(i, C_D_OFFSET, "%u", off);
        setc(i, C_D_LEN, "%u", plen - 4u);
        if (*last_data_off == (int64_t)off) {
            setc(i, C_D_RETRANS, "1");
            setc(i, C_E_RETRANS, "1");
        }
        *last_data_off = off;
        break;
    }
    case PROTO_T_DATA | PROTO_T_RSP:
        expect_status(i, pl);
        setc(i, C_D_NEXT, "%u", proto_get_u32(pl + 1));
        break;
    case PROTO_T_NACK:
        setc(i, C_F_STATUS, "%u", pl[0]);
        setc(i, C_E_NACK, "1");
        break;
    default:
        if (type & PROTO_T_RSP) {
            expect_status(i, pl);
        }
        break;
    }
}

/*
 * ROM-path units (AN3155; AN4286 adds the 0x5A start of frame and dummy
 * bytes before answers). Computed here from AN3155 section 3, not from
 * the dissector: the meaning of a host unit follows from the command
 * before it and whether the ROM answered NACK.
 */
enum { RU_SYNC = 1, RU_CMD, RU_ADDR, RU_READ_LEN, RU_WRITE, RU_ERASE, RU_ANSWER, RU_HOST_ACK };

struct rom_track {
    int phase, last_unit, cmd, last_cmd;
    bool answered;
};

static void rom_cksum(int i, uint8_t got, uint8_t calc)
{
    setc(i, C_ROM_CKSUM_STATUS, "%d", got == calc ? 1 : 0);
    if (got != calc) {
        setc(i, C_E_ROM_CKSUM, "1");
    }
}

static uint8_t xor_bytes(const uint8_t *p, size_t n)
{
    uint8_t x = 0;
    for (size_t k = 0; k < n; k++) {
        x ^= p[k];
    }
    return x;
}

static void expect_rom(int i, const struct hil_trace_rec *r, struct rom_track *t)
{
    const uint8_t *b = r->frame.bytes;
    size_t n = r->frame.len;
    bool spi_rom = r->proto == HIL_TRACE_PROTO_AN4286;
    setc(i, C_F_INDEX, "%u", r->frame.index);
    if (n == 0) {
        setc(i, C_E_SHORT, "1");
        return;
    }
    if (r->dir == HIL_TRACE_DIR_TO_HOST) {
        setc(i, C_ROM_UNIT, "%d", RU_ANSWER);
        size_t o = 0;
        while (o < n && b[o] != 0x79u && b[o] != 0x1Fu) {
            o++;
        }
        t->answered = true;
        if (o == n) {
            setc(i, C_E_SHORT, "1");
            return;
        }
        setc(i, C_ROM_ACK, "0x%02x", b[o]);
        if (b[o] == 0x1Fu) {
            setc(i, C_E_ROM_NACK, "1");
            t->phase = RU_CMD;
            return;
        }
        size_t rest = n - o - 1;
        if (t->last_unit == RU_CMD && t->last_cmd == 0x02 && rest >= 3) {
            setc(i, C_ROM_PID, "0x%04x", (unsigned)(b[o + 2] << 8 | b[o + 3]));
        } else if (t->last_unit == RU_READ_LEN && rest > 0) {
            setc(i, C_ROM_LEN, "%zu", rest);
        }
        return;
    }
    int unit;
    if (!t->answered) {
        t->phase = RU_CMD; /* a silent ROM waits for a command again */
    }
    size_t cmdlen = spi_rom && b[0] == 0x5Au ? 3 : 2;
    if (n == 1 && (b[0] == 0x7Fu || b[0] == 0x5Au)) {
        unit = RU_SYNC;
        t->phase = RU_CMD;
    } else if (n == 1 && spi_rom && b[0] == 0x79u) {
        unit = RU_HOST_ACK;
    } else {
        unit = t->phase;
        if (unit != RU_CMD && unit != RU_READ_LEN && n == cmdlen && (uint8_t)(b[n - 2] ^ b[n - 1]) == 0xFFu) {
            unit = RU_CMD;
        }
    }
    setc(i, C_ROM_UNIT, "%d", unit);
    switch (unit) {
    case RU_CMD: {
        uint8_t c = b[cmdlen - 2];
        setc(i, C_ROM_CMD, "0x%02x", c);
        rom_cksum(i, b[cmdlen - 1], (uint8_t)(c ^ 0xFFu));
        t->cmd = c;
        t->phase = (c == 0x11 || c == 0x21 || c == 0x31) ? RU_ADDR : (c == 0x44 ? RU_ERASE : RU_CMD);
        break;
    }
    case RU_ADDR:
        setc(i, C_ROM_ADDR, "0x%08x", (unsigned)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]));
        rom_cksum(i, b[4], xor_bytes(b, 4));
        t->phase = t->cmd == 0x11 ? RU_READ_LEN : (t->cmd == 0x31 ? RU_WRITE : RU_CMD);
        break;
    case RU_READ_LEN:
        setc(i, C_ROM_LEN, "%u", b[0] + 1u);
        rom_cksum(i, b[1], (uint8_t)(b[0] ^ 0xFFu));
        t->phase = RU_CMD;
        break;
    case RU_WRITE:
        setc(i, C_ROM_LEN, "%u", b[0] + 1u);
        rom_cksum(i, b[n - 1], xor_bytes(b, n - 1));
        t->phase = RU_CMD;
        break;
    case RU_ERASE: {
        unsigned nn = (unsigned)(b[0] << 8 | b[1]);
        if (nn < 0xFFF0u) {
            setc(i, C_ROM_LEN, "%u", nn + 1u);
        }
        rom_cksum(i, b[n - 1], xor_bytes(b, n - 1));
        t->phase = RU_CMD;
        break;
    }
    case RU_HOST_ACK:
        setc(i, C_ROM_ACK, "0x%02x", b[0]);
        break;
    default:
        break;
    }
    if (unit != RU_HOST_ACK) {
        t->answered = false;
        t->last_unit = unit;
        t->last_cmd = unit == RU_SYNC ? -1 : t->cmd;
    }
}

tc_row *tc_expect(const struct hil_trace_rec *recs, int n)
{
    g_want = calloc((size_t)n + 1, sizeof(*g_want));
    if (g_want == NULL) {
        return NULL;
    }
    int64_t last_data_off = -1;
    struct rom_track rom[3];
    for (int k = 0; k < 3; k++) {
        rom[k] = (struct rom_track){ .phase = RU_CMD, .cmd = -1, .last_cmd = -1, .answered = true };
    }
    for (int i = 0; i < n; i++) {
        const struct hil_trace_rec *r = &recs[i];
        size_t len = HIL_TRACE_HDR_SIZE;
        setc(i, C_KIND, "%d", r->kind);
        setc(i, C_DIR, "%d", r->dir);
        setc(i, C_FLAGS, "0x%02x", r->flags);
        setc(i, C_R_DEVTIME, "%d", r->devtime ? 1 : 0);
        if (r->kind == HIL_TRACE_FRAME || r->kind == HIL_TRACE_FAULT) {
            setc(i, C_R_PROTO, "%d", r->proto);
            setc(i, C_R_LINK, "%d", r->spi ? 1 : 0);
        }
        switch (r->kind) {
        case HIL_TRACE_FRAME:
            len += 4 + r->frame.len;
            if (r->proto == HIL_TRACE_PROTO_FOTA) {
                expect_frame(i, r, &last_data_off);
            } else {
                expect_rom(i, r, &rom[r->proto]);
            }
            break;
        case HIL_TRACE_FAULT:
            len += HIL_TRACE_FAULT_SIZE;
            setc(i, C_X_KIND, "%d", r->fault.kind);
            setc(i, C_X_FRAME, "%u", r->fault.frame);
            if (r->fault.offset != HIL_TRACE_NO_OFFSET) {
                setc(i, C_X_OFFSET, "%u", r->fault.offset);
            }
            setc(i, C_X_PARAM, "%u", r->fault.param);
            setc(i, C_E_FAULT, "1");
            break;
        case HIL_TRACE_FLASH: {
            const struct hil_trace_flash *fl = &r->flash;
            len += HIL_TRACE_FLASH_SIZE;
            setc(i, C_FL_OP, "%d", fl->op);
            setc(i, C_FL_REGION, "%d", fl->region);
            setc(i, C_FL_VERDICT, "%d", fl->verdict);
            setc(i, C_FL_TORN, "%d", fl->torn);
            setc(i, C_FL_RC, "%d", fl->rc);
            setc(i, C_FL_SECTOR, "%u", fl->sector);
            setc(i, C_FL_ADDR, "0x%08x", fl->addr);
            setc(i, C_FL_LEN, "%u", fl->len);
            setc(i, C_FL_SEQ, "%u", fl->seq);
            setc(i, C_FL_KSEQ, "%u", fl->kind_seq);
            if (r->flags & HIL_TRACE_F_SHA) {
                set_hex(i, C_FL_SHA, fl->sha256_prefix, HIL_TRACE_SHA_PREFIX);
            }
            if (fl->verdict == HIL_ACT_CUT) {
                setc(i, C_E_CUT, "1");
            } else if (fl->verdict == HIL_ACT_FAIL) {
                setc(i, C_E_FAIL, "1");
            }
            break;
        }
        case HIL_TRACE_POWER:
            len += HIL_TRACE_POWER_SIZE + strlen(r->power.detail);
            setc(i, C_P_EVENT, "%d", r->power.event);
            setc(i, C_P_VALUE, "0x%08x", r->power.value);
            setc(i, C_P_DETAIL, "%s", r->power.detail);
            if (r->power.event == HIL_TRACE_PWR_CUT || r->power.event == HIL_TRACE_PWR_WATCHDOG ||
                r->power.event == HIL_TRACE_PWR_DIED) {
                setc(i, C_E_POWER, "1");
            }
            break;
        case HIL_TRACE_CONSOLE:
            len += strlen(r->console.text);
            setc(i, C_CONSOLE, "%s", r->console.text);
            break;
        }
        setc(i, C_LEN, "%zu", len);
        /* Experts of group MALFORMED also raise Wireshark's _ws.malformed. */
        if (g_want[i][C_E_SHORT][0] != 0 || g_want[i][C_E_NOSYNC][0] != 0) {
            setc(i, C_MALFORMED, "_ws.malformed");
        }
    }
    return g_want;
}

/*
 * Run tshark over @p pcap, one line per packet, the C_COUNT columns tab
 * separated. An empty config dir keeps personal preferences and plugins
 * out (determinism); stderr goes to a file the caller checks.
 */
static FILE *run_tshark(const char *pcap, const char *errfile, const char *g_dir)
{
    static char cmd[8192];
    int n = snprintf(cmd, sizeof(cmd),
                     "env LC_ALL=C HOME='%s' XDG_CONFIG_HOME='%s' WIRESHARK_CONFIG_DIR='%s' "
                     "tshark -n -X lua_script:'%s' -r '%s' -T fields -E separator=/t "
                     "-E occurrence=f -E quote=n",
                     g_dir, g_dir, g_dir, HIL_TRACE_LUA, pcap);
    for (int c = 0; c < C_COUNT; c++) {
        n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " -e %s", col_field[c]);
    }
    snprintf(cmd + n, sizeof(cmd) - (size_t)n, " 2>'%s'", errfile);
    return popen(cmd, "r");
}

/* stderr may only carry tshark's as-root warning. */
static int check_stderr(const char *errfile)
{
    FILE *f = fopen(errfile, "r");
    if (f == NULL) {
        return 1;
    }
    char line[1024];
    int bad = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "Running as user \"root\"", 22) != 0) {
            fprintf(stderr, "tshark: %s", line);
            bad++;
        }
    }
    fclose(f);
    return bad;
}

int tc_compare(const char *pcap, const tc_row *want, int n, const char *cfgdir)
{
    char errfile[512];
    snprintf(errfile, sizeof(errfile), "%s/tshark.err", cfgdir);
    FILE *p = run_tshark(pcap, errfile, cfgdir);
    if (p == NULL) {
        return -1;
    }
    static char line[65536];
    int rec = 0, mismatches = 0;
    while (fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = 0;
        if (rec >= n) {
            rec++;
            continue;
        }
        char *cell = line;
        for (int c = 0; c < C_COUNT; c++) {
            char *tab = strchr(cell, '\t');
            if (tab != NULL) {
                *tab = 0;
            }
            const char *w = want[rec][c];
            /* garbage without sync, or longer than a cell: compare the prefix we know */
            int ok = (c == C_F_GARBAGE && (want[rec][C_E_NOSYNC][0] != 0 || strlen(w) >= TC_CELL - 2))
                         ? strncmp(cell, w, strlen(w)) == 0
                         : strcmp(cell, w) == 0;
            if (!ok) {
                fprintf(stderr, "%s: packet %d %s: got \"%s\", want \"%s\"\n", pcap, rec + 1,
                        col_field[c], cell, w);
                mismatches++;
            }
            cell = tab != NULL ? tab + 1 : cell + strlen(cell);
        }
        rec++;
    }
    int st = pclose(p);
    if (st != 0) {
        fprintf(stderr, "%s: tshark exit status %d\n", pcap, st);
        mismatches++;
    }
    if (rec != n) {
        fprintf(stderr, "%s: tshark printed %d packets, %d records written\n", pcap, rec, n);
        mismatches += rec > n ? rec - n : n - rec;
    }
    return mismatches + check_stderr(errfile);
}

int tc_load(const char *pcap, struct tc_recs *out)
{
    memset(out, 0, sizeof(*out));
    struct hil_trace_reader *r = NULL;
    char why[512];
    int rc = hil_trace_read_open(pcap, &r, why, sizeof(why));
    if (rc != 0) {
        fprintf(stderr, "%s\n", why);
        return rc;
    }
    struct hil_trace_rec rec;
    while ((rc = hil_trace_read_next(r, &rec)) == 0) {
        struct hil_trace_rec *n = realloc(out->recs, sizeof(*n) * (size_t)(out->count + 1));
        if (n == NULL) {
            rc = FOTA_ENOMEM;
            break;
        }
        out->recs = n;
        struct hil_trace_rec *d = &out->recs[out->count++];
        *d = rec;
        if (rec.kind == HIL_TRACE_FRAME) {
            uint8_t *b = malloc(rec.frame.len + 1);
            if (b != NULL && rec.frame.len > 0) {
                memcpy(b, rec.frame.bytes, rec.frame.len);
            }
            d->frame.bytes = b;
        } else if (rec.kind == HIL_TRACE_POWER) {
            d->power.detail = strdup(rec.power.detail);
        } else if (rec.kind == HIL_TRACE_CONSOLE) {
            d->console.text = strdup(rec.console.text);
        }
    }
    hil_trace_read_close(r);
    return rc == FOTA_ENOENT ? 0 : rc;
}

void tc_free(struct tc_recs *r)
{
    for (int i = 0; i < r->count; i++) {
        struct hil_trace_rec *d = &r->recs[i];
        if (d->kind == HIL_TRACE_FRAME) {
            free((void *)d->frame.bytes);
        } else if (d->kind == HIL_TRACE_POWER) {
            free((void *)d->power.detail);
        } else if (d->kind == HIL_TRACE_CONSOLE) {
            free((void *)d->console.text);
        }
    }
    free(r->recs);
    memset(r, 0, sizeof(*r));
}
