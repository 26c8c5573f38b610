/**
 * @file trace_sample.c
 * @brief The sample trace (see trace_sample.h): a short update with a
 * corrupted DATA frame, its NACK and retransmission, a power cut during a
 * program, link faults, a failed flash op and every power event.
 */
#include "trace_sample.h"

#include <stdbool.h>
#include <string.h>

#include "fota/errors.h"
#include "fota/image.h"
#include "fota/proto.h"

/* The record time of record @p i: crosses second boundaries on purpose. */
static uint64_t sample_ts(int i)
{
    return 1700000000000000ull + (uint64_t)i * 333337u;
}

static struct sample_rec *next(struct sample *s, enum hil_trace_kind kind, enum hil_trace_dir dir)
{
    struct sample_rec *r = &s->recs[s->count];
    memset(r, 0, sizeof(*r));
    r->rec.ts_us = sample_ts(s->count);
    r->rec.kind = kind;
    r->rec.dir = dir;
    s->count++;
    return r;
}

static int frame(struct hil_trace *t, struct sample *s, enum hil_trace_dir dir, uint32_t index,
                 uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len)
{
    struct sample_rec *r = next(s, HIL_TRACE_FRAME, dir);
    size_t n = 0;
    int rc = proto_encode(type, seq, payload, len, r->bytes, sizeof(r->bytes), &n);
    if (rc != 0) {
        return rc;
    }
    r->given_len = n;
    r->rec.frame.index = index;
    r->rec.frame.bytes = r->bytes;
    r->rec.frame.len = n;
    return hil_trace_frame(t, r->rec.ts_us, dir, index, r->bytes, n);
}

/* A FRAME record of raw bytes (already in r->bytes, @p n of them). */
static int raw_frame(struct hil_trace *t, struct sample_rec *r, uint32_t index, size_t n)
{
    r->given_len = n;
    r->rec.frame.index = index;
    r->rec.frame.bytes = r->bytes;
    r->rec.frame.len = n > HIL_TRACE_MAX_BYTES ? HIL_TRACE_MAX_BYTES : n;
    r->rec.flags = n > HIL_TRACE_MAX_BYTES ? HIL_TRACE_F_TRUNC : 0;
    return hil_trace_frame(t, r->rec.ts_us, r->rec.dir, index, r->bytes, n);
}

/* A ROM-path or SPI FRAME record of @p n bytes with link flags. */
static int link_frame(struct hil_trace *t, struct sample *s, enum hil_trace_dir dir, enum hil_trace_proto proto,
                      bool spi, uint32_t index, const uint8_t *bytes, size_t n)
{
    struct sample_rec *r = next(s, HIL_TRACE_FRAME, dir);
    memcpy(r->bytes, bytes, n);
    r->given_len = n;
    r->rec.frame.index = index;
    r->rec.frame.bytes = r->bytes;
    r->rec.frame.len = n;
    r->rec.proto = proto;
    r->rec.spi = spi;
    r->rec.flags = HIL_TRACE_LINK_FLAGS(proto, spi);
    return hil_trace_link_frame(t, r->rec.ts_us, dir, r->rec.flags, index, r->bytes, n);
}

#define ROM_UNIT(t, s, dir, idx, ...) \
    link_frame((t), (s), (dir), HIL_TRACE_PROTO_AN3155, false, (idx), (const uint8_t[]){ __VA_ARGS__ }, \
               sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define SPIROM_UNIT(t, s, dir, idx, ...) \
    link_frame((t), (s), (dir), HIL_TRACE_PROTO_AN4286, true, (idx), (const uint8_t[]){ __VA_ARGS__ }, \
               sizeof((const uint8_t[]){ __VA_ARGS__ }))

static int fault(struct hil_trace *t, struct sample *s, enum hil_trace_dir dir,
                 enum hil_trace_fault_kind kind, uint32_t fr, uint32_t off, uint32_t param)
{
    struct sample_rec *r = next(s, HIL_TRACE_FAULT, dir);
    r->rec.fault.kind = kind;
    r->rec.fault.frame = fr;
    r->rec.fault.offset = off;
    r->rec.fault.param = param;
    return hil_trace_fault(t, r->rec.ts_us, dir, kind, fr, off, param);
}

static int flash(struct hil_trace *t, struct sample *s, const struct hil_flash_op *op,
                 const struct hil_flash_verdict *v, const char *sha_hex)
{
    struct sample_rec *r = next(s, HIL_TRACE_FLASH, HIL_TRACE_DIR_NONE);
    struct hil_trace_flash *fl = &r->rec.flash;
    fl->op = op->kind;
    fl->region = op->region;
    fl->verdict = v != NULL ? v->action : HIL_ACT_APPLY;
    fl->torn = (v != NULL && v->action == HIL_ACT_CUT) ? v->torn : HIL_TORN_NONE;
    fl->rc = (v != NULL && v->action == HIL_ACT_FAIL) ? v->fail_rc : 0;
    fl->sector = op->sector;
    fl->addr = op->addr;
    fl->len = op->len;
    fl->seq = op->seq;
    fl->kind_seq = op->kind_seq;
    if (sha_hex != NULL) {
        /* Expected digests computed independently (Python hashlib). */
        for (unsigned i = 0; i < HIL_TRACE_SHA_PREFIX; i++) {
            unsigned hi = (unsigned)(sha_hex[2 * i] <= '9' ? sha_hex[2 * i] - '0' : sha_hex[2 * i] - 'a' + 10);
            unsigned lo = (unsigned)(sha_hex[2 * i + 1] <= '9' ? sha_hex[2 * i + 1] - '0' : sha_hex[2 * i + 1] - 'a' + 10);
            fl->sha256_prefix[i] = (uint8_t)(hi << 4 | lo);
        }
        r->rec.flags = HIL_TRACE_F_SHA;
    }
    return hil_trace_flash_op(t, r->rec.ts_us, op, v);
}

static int power(struct hil_trace *t, struct sample *s, enum hil_trace_power ev, uint32_t value,
                 const char *detail, int via_event)
{
    struct sample_rec *r = next(s, HIL_TRACE_POWER, HIL_TRACE_DIR_NONE);
    r->rec.power.event = ev;
    r->rec.power.value = value;
    r->rec.power.detail = detail != NULL ? detail : "";
    if (via_event != 0) {
        struct hil_event e = { .kind = (enum hil_event_kind)via_event, .value = value, .detail = detail };
        return hil_trace_event(t, r->rec.ts_us, &e);
    }
    return hil_trace_power(t, r->rec.ts_us, ev, value, detail);
}

static int console(struct hil_trace *t, struct sample *s, const char *text)
{
    struct sample_rec *r = next(s, HIL_TRACE_CONSOLE, HIL_TRACE_DIR_NONE);
    r->rec.console.text = text;
    return hil_trace_console(t, r->rec.ts_us, text);
}

int sample_write(const char *path, struct sample *s)
{
    const enum hil_trace_dir T = HIL_TRACE_DIR_TO_TARGET, H = HIL_TRACE_DIR_TO_HOST;
    static uint8_t d0[1024], d1[1024], zeros[64];
    static uint8_t pl[PROTO_MAX_PAYLOAD];
    for (unsigned i = 0; i < 1024; i++) {
        d0[i] = (uint8_t)i;
        d1[i] = (uint8_t)(i * 7u + 3u);
    }
    memset(s, 0, sizeof(*s));
    struct hil_trace *t = NULL;
    int rc = hil_trace_open(path, &t);
    if (rc != 0) {
        return rc;
    }
    /* 0..2: power on, boot, banner */
    rc |= power(t, s, HIL_TRACE_PWR_ON, 0, NULL, 0);
    rc |= power(t, s, HIL_TRACE_PWR_BOOT, 0, NULL, HIL_EV_BOOT);
    rc |= console(t, s, "BL: fota-hil bootloader 1.0.0");
    /* 3, 4: HELLO */
    rc |= frame(t, s, T, 1, PROTO_T_HELLO, 0, NULL, 0);
    memset(pl, 0, sizeof(pl));
    pl[0] = FOTA_OK;
    pl[1] = PROTO_VERSION;
    pl[2] = PROTO_ROLE_BOOTLOADER;
    pl[3] = 0; /* active A */
    proto_put_u32(pl + 4, IMAGE_VERSION(1, 0, 0));
    pl[8] = 1; /* target B */
    proto_put_u16(pl + 9, PROTO_MAX_DATA);
    proto_put_u32(pl + 11, 0x60000u);
    rc |= frame(t, s, H, 1, PROTO_T_HELLO | PROTO_T_RSP, 0, pl, PROTO_HELLO_RSP_LEN);
    /* 5, 6: BEGIN FRESH with an image header, answer */
    struct image_header h;
    memset(&h, 0, sizeof(h));
    h.ih_magic = IMAGE_MAGIC;
    h.ih_hdr_size = IMAGE_HEADER_SIZE;
    h.ih_hdr_version = IMAGE_HDR_VERSION;
    h.ih_version = IMAGE_VERSION(2, 0, 0);
    h.ih_load_addr = 0x08080000u;
    h.ih_size = 3000;
    h.ih_crc32 = 0x11223344u;
    for (unsigned i = 0; i < sizeof(h.ih_sha256); i++) {
        h.ih_sha256[i] = (uint8_t)(0xA0u + i);
    }
    h.ih_hdr_crc32 = image_header_crc(&h);
    pl[0] = PROTO_BEGIN_F_FRESH;
    memcpy(pl + 1, &h, sizeof(h));
    rc |= frame(t, s, T, 2, PROTO_T_BEGIN, 1, pl, 1 + sizeof(h));
    pl[0] = FOTA_OK;
    proto_put_u32(pl + 1, 1024);
    proto_put_u32(pl + 5, 0xDEADBEEFu);
    rc |= frame(t, s, H, 2, PROTO_T_BEGIN | PROTO_T_RSP, 1, pl, PROTO_BEGIN_RSP_LEN);
    /* 7: erase sector 8, applied (no verdict given) */
    struct hil_flash_op er = { HIL_OP_ERASE, HIL_REGION_SLOT_B, 8, 0x08080000u, 0x20000u, NULL, 5, 2 };
    rc |= flash(t, s, &er, NULL, NULL);
    /* 8..10: DATA 0, program, DATA_RSP */
    proto_put_u32(pl, 0);
    memcpy(pl + 4, d0, sizeof(d0));
    rc |= frame(t, s, T, 3, PROTO_T_DATA, 2, pl, 4 + sizeof(d0));
    struct hil_flash_op p0 = { HIL_OP_PROGRAM, HIL_REGION_SLOT_B, 8, 0x08080000u, 1024, d0, 6, 4 };
    struct hil_flash_verdict apply = { HIL_ACT_APPLY, HIL_TORN_NONE, 0 };
    rc |= flash(t, s, &p0, &apply, "785b0751fc2c53dc");
    pl[0] = FOTA_OK;
    proto_put_u32(pl + 1, 1024);
    rc |= frame(t, s, H, 3, PROTO_T_DATA | PROTO_T_RSP, 2, pl, PROTO_DATA_RSP_LEN);
    /* 11..14: corrupt fault, the corrupted DATA 1024, NACK, retransmission */
    rc |= fault(t, s, T, HIL_TRACE_FAULT_CORRUPT, 4, 10, 0);
    proto_put_u32(pl, 1024);
    memcpy(pl + 4, d1, sizeof(d1));
    {
        struct sample_rec *r = next(s, HIL_TRACE_FRAME, T);
        size_t n = 0;
        rc |= proto_encode(PROTO_T_DATA, 3, pl, 4 + sizeof(d1), r->bytes, sizeof(r->bytes), &n);
        r->bytes[10] ^= 0xFFu; /* the first data byte, as the corrupt fault did */
        rc |= raw_frame(t, r, 4, n);
    }
    pl[0] = FOTA_ECRC;
    rc |= frame(t, s, H, 4, PROTO_T_NACK, 3, pl, 1);
    proto_put_u32(pl, 1024);
    memcpy(pl + 4, d1, sizeof(d1));
    rc |= frame(t, s, T, 5, PROTO_T_DATA, 4, pl, 4 + sizeof(d1));
    /* 15, 16: program cut half-way, power cut */
    struct hil_flash_op p1 = { HIL_OP_PROGRAM, HIL_REGION_SLOT_B, 8, 0x08080400u, 1024, d1, 7, 5 };
    struct hil_flash_verdict cut = { HIL_ACT_CUT, HIL_TORN_HALF, 0 };
    rc |= flash(t, s, &p1, &cut, "e9183d9a79aad8a0");
    rc |= power(t, s, HIL_TRACE_PWR_CUT, 0, "power_cut fault", HIL_EV_POWER_OFF);
    /* 17..19: stall, drop, disconnect */
    rc |= fault(t, s, H, HIL_TRACE_FAULT_STALL, 5, HIL_TRACE_NO_OFFSET, 250);
    rc |= fault(t, s, H, HIL_TRACE_FAULT_DROP, 6, HIL_TRACE_NO_OFFSET, 0);
    rc |= fault(t, s, T, HIL_TRACE_FAULT_DISCONNECT, 9, HIL_TRACE_NO_OFFSET, 0);
    /* 20: metadata program made to fail */
    struct hil_flash_op p2 = { HIL_OP_PROGRAM, HIL_REGION_META, 2, 0x08008000u, 64, zeros, 9, 7 };
    struct hil_flash_verdict fail = { HIL_ACT_FAIL, HIL_TORN_NONE, FOTA_EFLASH };
    rc |= flash(t, s, &p2, &fail, "f5a5fd42d16a2030");
    /* 21: DATA_RSP with ESIZE */
    pl[0] = FOTA_ESIZE;
    proto_put_u32(pl + 1, 0);
    rc |= frame(t, s, H, 7, PROTO_T_DATA | PROTO_T_RSP, 5, pl, PROTO_DATA_RSP_LEN);
    /* 22..26: jump, watchdog start, watchdog reset, warm reset, died */
    rc |= power(t, s, HIL_TRACE_PWR_JUMP, 0x08080200u, NULL, HIL_EV_JUMP);
    rc |= power(t, s, HIL_TRACE_PWR_WATCHDOG_START, 3000, NULL, HIL_EV_WATCHDOG_START);
    rc |= power(t, s, HIL_TRACE_PWR_WATCHDOG, 0, NULL, HIL_EV_WATCHDOG);
    rc |= power(t, s, HIL_TRACE_PWR_RESET, 0, "scenario reset", 0);
    rc |= power(t, s, HIL_TRACE_PWR_DIED, 0, "exit status 1", HIL_EV_DIED);
    /* 27: END_RSP after two bytes of line noise */
    {
        struct sample_rec *r = next(s, HIL_TRACE_FRAME, H);
        r->bytes[0] = 0x00;
        r->bytes[1] = 0x11;
        size_t n = 0;
        uint8_t ok = FOTA_OK;
        rc |= proto_encode(PROTO_T_END | PROTO_T_RSP, 6, &ok, 1, r->bytes + 2, sizeof(r->bytes) - 2, &n);
        rc |= raw_frame(t, r, 8, 2 + n);
    }
    /* 28: DATA frame cut short after 20 bytes */
    {
        struct sample_rec *r = next(s, HIL_TRACE_FRAME, T);
        size_t n = 0;
        proto_put_u32(pl, 2048);
        memcpy(pl + 4, d0, sizeof(d0));
        rc |= proto_encode(PROTO_T_DATA, 7, pl, 4 + sizeof(d0), r->bytes, sizeof(r->bytes), &n);
        rc |= raw_frame(t, r, 9, 20);
    }
    /* 29: application banner */
    rc |= console(t, s, "APP: demo v2.0.0 slot B (trial)");
    /* 30: 5000 bytes of zeros: truncated to HIL_TRACE_MAX_BYTES, no sync */
    {
        struct sample_rec *r = next(s, HIL_TRACE_FRAME, T);
        rc |= raw_frame(t, r, 10, 5000);
    }
    /* 31: erase cut after completing */
    struct hil_flash_op e2 = { HIL_OP_ERASE, HIL_REGION_SLOT_B, 9, 0x080A0000u, 0x20000u, NULL, 10, 3 };
    struct hil_flash_verdict cut_all = { HIL_ACT_CUT, HIL_TORN_ALL, 0 };
    rc |= flash(t, s, &e2, &cut_all, NULL);

    /* 32..55: an AN3155 session (ROM path, UART), one record per unit. */
    rc |= ROM_UNIT(t, s, T, 1, 0x7F);
    rc |= ROM_UNIT(t, s, H, 1, 0x79);
    rc |= ROM_UNIT(t, s, T, 2, 0x00, 0xFF);                          /* 34 GET */
    rc |= ROM_UNIT(t, s, H, 2, 0x79, 0x0B, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63,
                   0x73, 0x82, 0x92, 0x79);
    rc |= ROM_UNIT(t, s, T, 3, 0x02, 0xFD);                          /* 36 GET ID */
    rc |= ROM_UNIT(t, s, H, 3, 0x79, 0x01, 0x04, 0x13, 0x79);
    rc |= ROM_UNIT(t, s, T, 4, 0x31, 0xCE);                          /* 38 WRITE MEMORY */
    rc |= ROM_UNIT(t, s, H, 4, 0x79);
    rc |= ROM_UNIT(t, s, T, 5, 0x08, 0x08, 0x00, 0x00, 0x00);        /* 40 address, xor 0x00 */
    rc |= ROM_UNIT(t, s, H, 5, 0x79);
    rc |= ROM_UNIT(t, s, T, 6, 0x03, 0xDE, 0xAD, 0xBE, 0xEF, 0x00);  /* 42 N=3, bad checksum (0x21 is right) */
    rc |= ROM_UNIT(t, s, H, 6, 0x1F);                                /* 43 NACK */
    rc |= ROM_UNIT(t, s, T, 7, 0x11, 0xEE);                          /* 44 READ MEMORY */
    rc |= ROM_UNIT(t, s, H, 7, 0x79);
    rc |= ROM_UNIT(t, s, T, 8, 0x08, 0x00, 0x80, 0x00, 0x88);        /* 46 address 0x08008000 */
    rc |= ROM_UNIT(t, s, H, 8, 0x79);
    rc |= ROM_UNIT(t, s, T, 9, 0x0F, 0xF0);                          /* 48 16 bytes */
    rc |= ROM_UNIT(t, s, H, 9, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    rc |= ROM_UNIT(t, s, T, 10, 0x44, 0xBB);                         /* 50 EXTENDED ERASE */
    rc |= ROM_UNIT(t, s, H, 10, 0x79);
    rc |= ROM_UNIT(t, s, T, 11, 0x00, 0x01, 0x00, 0x05, 0x00, 0x06, 0x02); /* 52 sectors 5, 6 */
    rc |= ROM_UNIT(t, s, H, 11, 0x79);
    rc |= ROM_UNIT(t, s, T, 12, 0x21, 0x00);                         /* 54 GO, bad complement */
    rc |= ROM_UNIT(t, s, H, 12, 0x1F);
    /* 56: a ROM command fault; 57: an SPI fault; 58: an update frame over SPI */
    {
        struct sample_rec *r = next(s, HIL_TRACE_FAULT, H);
        r->rec.fault.kind = HIL_TRACE_FAULT_ROM_NACK;
        r->rec.fault.frame = 3;
        r->rec.fault.offset = HIL_TRACE_NO_OFFSET;
        r->rec.fault.param = 0x31;
        r->rec.proto = HIL_TRACE_PROTO_AN3155;
        r->rec.flags = HIL_TRACE_LINK_FLAGS(HIL_TRACE_PROTO_AN3155, false);
        rc |= hil_trace_link_fault(t, r->rec.ts_us, H, r->rec.flags, HIL_TRACE_FAULT_ROM_NACK, 3,
                                   HIL_TRACE_NO_OFFSET, 0x31);
        r = next(s, HIL_TRACE_FAULT, H);
        r->rec.fault.kind = HIL_TRACE_FAULT_SPI_MISO_STUCK;
        r->rec.fault.frame = 4;
        r->rec.fault.offset = HIL_TRACE_NO_OFFSET;
        r->rec.fault.param = 0xFF0002u; /* MISO stuck at 0xFF for 2 read transfers */
        r->rec.spi = true;
        r->rec.flags = HIL_TRACE_F_SPI;
        rc |= hil_trace_link_fault(t, r->rec.ts_us, H, r->rec.flags, HIL_TRACE_FAULT_SPI_MISO_STUCK, 4,
                                   HIL_TRACE_NO_OFFSET, 0xFF0002u);
        size_t n = 0;
        uint8_t hello[PROTO_MAX_FRAME];
        rc |= proto_encode(PROTO_T_HELLO, 1, NULL, 0, hello, sizeof(hello), &n);
        rc |= link_frame(t, s, T, HIL_TRACE_PROTO_FOTA, true, 1, hello, n);
    }
    /* 59..63: AN4286 (SPI ROM): sync frame, GET ID with start of frame, the
     * answer after a dummy byte, the host's ACK of the ACK procedure. */
    rc |= SPIROM_UNIT(t, s, T, 1, 0x5A);
    rc |= SPIROM_UNIT(t, s, T, 2, 0x5A, 0x02, 0xFD);
    rc |= SPIROM_UNIT(t, s, H, 1, 0xA5, 0x79, 0x01, 0x04, 0x13, 0x79);
    rc |= SPIROM_UNIT(t, s, T, 3, 0x79);
    rc |= SPIROM_UNIT(t, s, T, 4, 0x5A, 0x11, 0xEE);                /* 63 READ MEMORY */

    /* 64: a record timed in device time (HIL_TRACE_F_DEVTIME) */
    hil_trace_set_device_time(t, true);
    rc |= console(t, s, "APP: confirmed");
    s->recs[s->count - 1].rec.flags = HIL_TRACE_F_DEVTIME;
    s->recs[s->count - 1].rec.devtime = true;

    int crc = hil_trace_close(t);
    return rc != 0 ? rc : crc;
}
