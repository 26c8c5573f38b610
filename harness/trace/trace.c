/**
 * @file trace.c
 * @brief Run traces as pcap files (see trace.h, docs/TRACE.md): libpcap
 * dead handle with DLT_USER0 for writing, pcap_open_offline for reading.
 */
#include "trace/trace.h"

#include <pcap/pcap.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fota/errors.h"
#include "fota/sha256.h"

struct hil_trace {
    pcap_t *pcap;
    pcap_dumper_t *dump;
    int err;                    /**< sticky FOTA_EIO after a failed write */
    uint8_t all_flags;          /**< set in every record's flags (HIL_TRACE_F_DEVTIME) */
    uint8_t buf[HIL_TRACE_HDR_SIZE + HIL_TRACE_FLASH_SIZE + HIL_TRACE_MAX_BYTES];
};

struct hil_trace_reader {
    pcap_t *pcap;
    char path[PATH_MAX];
    uint64_t offset;      /* file offset of the next record */
    char error[PATH_MAX + PCAP_ERRBUF_SIZE + 64]; /* why the last read failed with FOTA_EIO */
    /* Copies of the variable part, NUL-terminated for text. */
    uint8_t buf[HIL_TRACE_SNAPLEN + 1];
};

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

int hil_trace_open(const char *path, struct hil_trace **out)
{
    if (path == NULL || out == NULL) {
        return FOTA_EINVAL;
    }
    *out = NULL;
    struct hil_trace *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return FOTA_ENOMEM;
    }
    t->pcap = pcap_open_dead(DLT_USER0, (int)HIL_TRACE_SNAPLEN);
    if (t->pcap == NULL) {
        free(t);
        return FOTA_ENOMEM;
    }
    t->dump = pcap_dump_open(t->pcap, path);
    if (t->dump == NULL) {
        fprintf(stderr, "trace: %s\n", pcap_geterr(t->pcap));
        pcap_close(t->pcap);
        free(t);
        return FOTA_EIO;
    }
    *out = t;
    return 0;
}

int hil_trace_flush(struct hil_trace *t)
{
    if (t == NULL) {
        return 0;
    }
    if (pcap_dump_flush(t->dump) != 0) {
        t->err = FOTA_EIO;
    }
    return t->err;
}

int hil_trace_close(struct hil_trace *t)
{
    if (t == NULL) {
        return 0;
    }
    int rc = hil_trace_flush(t);
    pcap_dump_close(t->dump);
    pcap_close(t->pcap);
    free(t);
    return rc;
}

/* Fill the record header in t->buf. */
static void rec_header(struct hil_trace *t, enum hil_trace_kind kind, enum hil_trace_dir dir,
                       uint8_t flags)
{
    t->buf[0] = (uint8_t)((HIL_TRACE_MAGIC << 4) | HIL_TRACE_VERSION);
    t->buf[1] = (uint8_t)kind;
    t->buf[2] = (uint8_t)dir;
    t->buf[3] = (uint8_t)(flags | t->all_flags);
}

void hil_trace_set_device_time(struct hil_trace *t, bool on)
{
    if (t != NULL) {
        t->all_flags = on ? HIL_TRACE_F_DEVTIME : 0u;
    }
}

/* Write the record of @p len bytes (header included) in t->buf. */
static int rec_emit(struct hil_trace *t, uint64_t ts_us, size_t len)
{
    if (t->err != 0) {
        return t->err;
    }
    put_u16(t->buf + 4, (uint16_t)len);
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof(h));
    h.ts.tv_sec = (time_t)(ts_us / 1000000u);
    h.ts.tv_usec = (suseconds_t)(ts_us % 1000000u);
    h.caplen = (bpf_u_int32)len;
    h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)t->dump, &h, t->buf);
    if (ferror(pcap_dump_file(t->dump))) {
        t->err = FOTA_EIO;
    }
    return t->err;
}

/* Copy @p n variable bytes after @p fixed body bytes; @return the record length. */
static size_t rec_tail(struct hil_trace *t, size_t fixed, const void *p, size_t n)
{
    if (n > HIL_TRACE_MAX_BYTES) {
        n = HIL_TRACE_MAX_BYTES;
        t->buf[3] |= HIL_TRACE_F_TRUNC;
    }
    if (n > 0) {
        memcpy(t->buf + HIL_TRACE_HDR_SIZE + fixed, p, n);
    }
    return HIL_TRACE_HDR_SIZE + fixed + n;
}

static int link_dir_ok(enum hil_trace_dir dir)
{
    return dir == HIL_TRACE_DIR_TO_TARGET || dir == HIL_TRACE_DIR_TO_HOST;
}

int hil_trace_frame(struct hil_trace *t, uint64_t ts_us, enum hil_trace_dir dir,
                    uint32_t index, const uint8_t *bytes, size_t len)
{
    return hil_trace_link_frame(t, ts_us, dir, 0, index, bytes, len);
}

int hil_trace_link_frame(struct hil_trace *t, uint64_t ts_us, enum hil_trace_dir dir, uint8_t link,
                         uint32_t index, const uint8_t *bytes, size_t len)
{
    if (t == NULL) {
        return 0;
    }
    if (!link_dir_ok(dir) || (bytes == NULL && len != 0)) {
        return FOTA_EINVAL;
    }
    rec_header(t, HIL_TRACE_FRAME, dir, (uint8_t)(link & (HIL_TRACE_F_PROTO_MASK | HIL_TRACE_F_SPI)));
    put_u32(t->buf + HIL_TRACE_HDR_SIZE, index);
    return rec_emit(t, ts_us, rec_tail(t, 4, bytes, len));
}

int hil_trace_fault(struct hil_trace *t, uint64_t ts_us, enum hil_trace_dir dir,
                    enum hil_trace_fault_kind kind, uint32_t frame, uint32_t offset,
                    uint32_t param)
{
    return hil_trace_link_fault(t, ts_us, dir, 0, kind, frame, offset, param);
}

int hil_trace_link_fault(struct hil_trace *t, uint64_t ts_us, enum hil_trace_dir dir, uint8_t link,
                         enum hil_trace_fault_kind kind, uint32_t frame, uint32_t offset,
                         uint32_t param)
{
    if (t == NULL) {
        return 0;
    }
    if (!link_dir_ok(dir) || kind < HIL_TRACE_FAULT_CORRUPT || kind > HIL_TRACE_FAULT_ROM_SILENT) {
        return FOTA_EINVAL;
    }
    rec_header(t, HIL_TRACE_FAULT, dir, (uint8_t)(link & (HIL_TRACE_F_PROTO_MASK | HIL_TRACE_F_SPI)));
    uint8_t *b = t->buf + HIL_TRACE_HDR_SIZE;
    b[0] = (uint8_t)kind;
    put_u32(b + 1, frame);
    put_u32(b + 5, offset);
    put_u32(b + 9, param);
    return rec_emit(t, ts_us, HIL_TRACE_HDR_SIZE + HIL_TRACE_FAULT_SIZE);
}

int hil_trace_flash_op(struct hil_trace *t, uint64_t ts_us, const struct hil_flash_op *op,
                       const struct hil_flash_verdict *v)
{
    if (t == NULL) {
        return 0;
    }
    if (op == NULL) {
        return FOTA_EINVAL;
    }
    uint8_t flags = 0;
    uint8_t *b = t->buf + HIL_TRACE_HDR_SIZE;
    memset(b, 0, HIL_TRACE_FLASH_SIZE);
    b[0] = (uint8_t)op->kind;
    b[1] = (uint8_t)op->region;
    if (v != NULL) {
        b[2] = (uint8_t)v->action;
        b[3] = (uint8_t)(v->action == HIL_ACT_CUT ? v->torn : 0);
        b[4] = (uint8_t)(v->action == HIL_ACT_FAIL ? v->fail_rc : 0);
    }
    put_u32(b + 8, op->sector);
    put_u32(b + 12, op->addr);
    put_u32(b + 16, op->len);
    put_u32(b + 20, op->seq);
    put_u32(b + 24, op->kind_seq);
    if (op->kind == HIL_OP_PROGRAM && op->data != NULL) {
        uint8_t digest[SHA256_DIGEST_SIZE];
        sha256(op->data, op->len, digest);
        memcpy(b + 28, digest, HIL_TRACE_SHA_PREFIX);
        flags |= HIL_TRACE_F_SHA;
    }
    rec_header(t, HIL_TRACE_FLASH, HIL_TRACE_DIR_NONE, flags);
    return rec_emit(t, ts_us, HIL_TRACE_HDR_SIZE + HIL_TRACE_FLASH_SIZE);
}

int hil_trace_power(struct hil_trace *t, uint64_t ts_us, enum hil_trace_power ev,
                    uint32_t value, const char *detail)
{
    if (t == NULL) {
        return 0;
    }
    if (ev < HIL_TRACE_PWR_ON || ev > HIL_TRACE_PWR_WATCHDOG_START) {
        return FOTA_EINVAL;
    }
    rec_header(t, HIL_TRACE_POWER, HIL_TRACE_DIR_NONE, 0);
    uint8_t *b = t->buf + HIL_TRACE_HDR_SIZE;
    memset(b, 0, HIL_TRACE_POWER_SIZE);
    b[0] = (uint8_t)ev;
    put_u32(b + 4, value);
    size_t n = detail != NULL ? strlen(detail) : 0;
    return rec_emit(t, ts_us, rec_tail(t, HIL_TRACE_POWER_SIZE, detail, n));
}

int hil_trace_event(struct hil_trace *t, uint64_t ts_us, const struct hil_event *ev)
{
    if (t == NULL) {
        return 0;
    }
    if (ev == NULL) {
        return FOTA_EINVAL;
    }
    /* hil_event_kind -> POWER event; indexed by the hil_event_kind value. */
    static const enum hil_trace_power map[] = {
        [HIL_EV_BOOT] = HIL_TRACE_PWR_BOOT,
        [HIL_EV_JUMP] = HIL_TRACE_PWR_JUMP,
        [HIL_EV_WATCHDOG] = HIL_TRACE_PWR_WATCHDOG,
        [HIL_EV_POWER_OFF] = HIL_TRACE_PWR_CUT,
        [HIL_EV_DIED] = HIL_TRACE_PWR_DIED,
        [HIL_EV_WATCHDOG_START] = HIL_TRACE_PWR_WATCHDOG_START,
    };
    if ((unsigned)ev->kind >= sizeof(map) / sizeof(map[0]) || map[ev->kind] == 0) {
        return FOTA_EINVAL;
    }
    return hil_trace_power(t, ts_us, map[ev->kind], ev->value, ev->detail);
}

int hil_trace_console(struct hil_trace *t, uint64_t ts_us, const char *line)
{
    if (t == NULL) {
        return 0;
    }
    if (line == NULL) {
        return FOTA_EINVAL;
    }
    rec_header(t, HIL_TRACE_CONSOLE, HIL_TRACE_DIR_NONE, 0);
    return rec_emit(t, ts_us, rec_tail(t, 0, line, strlen(line)));
}

/* ---- Reader ---- */

#define PCAP_FILE_HDR_SIZE 24u /* pcap global header */
#define PCAP_REC_HDR_SIZE  16u /* pcap per-record header */

int hil_trace_read_open(const char *path, struct hil_trace_reader **out, char *why, size_t whylen)
{
    char dummy[8];
    if (why == NULL) {
        why = dummy;
        whylen = sizeof(dummy);
    }
    why[0] = '\0';
    if (path == NULL || out == NULL) {
        snprintf(why, whylen, "trace: no file given");
        return FOTA_EINVAL;
    }
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return FOTA_EIO;
    }
    struct hil_trace_reader *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        fclose(f);
        snprintf(why, whylen, "%s: out of memory", path);
        return FOTA_ENOMEM;
    }
    char err[PCAP_ERRBUF_SIZE] = "";
    r->pcap = pcap_fopen_offline(f, err); /* owns f on success only */
    if (r->pcap == NULL) {
        fclose(f);
        snprintf(why, whylen, "%s: not a pcap file (%s)", path, err);
        free(r);
        return FOTA_EIO;
    }
    if (pcap_datalink(r->pcap) != DLT_USER0) {
        snprintf(why, whylen, "%s: link type %d, not DLT_USER0 (not a fota-hil trace)", path, pcap_datalink(r->pcap));
        pcap_close(r->pcap);
        free(r);
        return FOTA_EMAGIC;
    }
    snprintf(r->path, sizeof(r->path), "%s", path);
    r->offset = PCAP_FILE_HDR_SIZE;
    *out = r;
    return 0;
}

const char *hil_trace_read_error(const struct hil_trace_reader *r)
{
    return r != NULL ? r->error : "";
}

/* Copy @p n bytes to the reader's buffer, NUL-terminated. */
static const char *copy_text(struct hil_trace_reader *r, const uint8_t *p, size_t n)
{
    memcpy(r->buf, p, n);
    r->buf[n] = 0;
    return (const char *)r->buf;
}

/* The kind-specific body [b, b+blen) of a record into @p rec. */
static int decode_body(struct hil_trace_reader *r, const uint8_t *b, size_t blen, struct hil_trace_rec *rec)
{
    switch (rec->kind) {
    case HIL_TRACE_FRAME:
        if (blen < 4) {
            return FOTA_ESIZE;
        }
        rec->frame.index = get_u32(b);
        rec->frame.len = blen - 4;
        memcpy(r->buf, b + 4, blen - 4);
        rec->frame.bytes = r->buf;
        return 0;
    case HIL_TRACE_FAULT:
        if (blen < HIL_TRACE_FAULT_SIZE) {
            return FOTA_ESIZE;
        }
        rec->fault.kind = (enum hil_trace_fault_kind)b[0];
        rec->fault.frame = get_u32(b + 1);
        rec->fault.offset = get_u32(b + 5);
        rec->fault.param = get_u32(b + 9);
        return 0;
    case HIL_TRACE_FLASH:
        if (blen < HIL_TRACE_FLASH_SIZE) {
            return FOTA_ESIZE;
        }
        rec->flash.op = (enum hil_op_kind)b[0];
        rec->flash.region = (enum hil_region)b[1];
        rec->flash.verdict = (enum hil_action)b[2];
        rec->flash.torn = (enum hil_torn)b[3];
        rec->flash.rc = b[4];
        rec->flash.sector = get_u32(b + 8);
        rec->flash.addr = get_u32(b + 12);
        rec->flash.len = get_u32(b + 16);
        rec->flash.seq = get_u32(b + 20);
        rec->flash.kind_seq = get_u32(b + 24);
        memcpy(rec->flash.sha256_prefix, b + 28, HIL_TRACE_SHA_PREFIX);
        return 0;
    case HIL_TRACE_POWER:
        if (blen < HIL_TRACE_POWER_SIZE) {
            return FOTA_ESIZE;
        }
        rec->power.event = (enum hil_trace_power)b[0];
        rec->power.value = get_u32(b + 4);
        rec->power.detail = copy_text(r, b + HIL_TRACE_POWER_SIZE, blen - HIL_TRACE_POWER_SIZE);
        return 0;
    case HIL_TRACE_CONSOLE:
        rec->console.text = copy_text(r, b, blen);
        return 0;
    }
    return FOTA_EINVAL;
}

/* A failed pcap read at the reader's offset: the reason into r->error. */
static int read_failed(struct hil_trace_reader *r)
{
    const char *err = pcap_geterr(r->pcap);
    if (strstr(err, "truncated") != NULL) {
        snprintf(r->error, sizeof(r->error), "%s: truncated pcap record at byte %llu", r->path,
                 (unsigned long long)r->offset);
    } else {
        snprintf(r->error, sizeof(r->error), "%s: read error at byte %llu: %s", r->path,
                 (unsigned long long)r->offset, err);
    }
    return FOTA_EIO;
}

int hil_trace_read_next(struct hil_trace_reader *r, struct hil_trace_rec *rec)
{
    if (r == NULL || rec == NULL) {
        return FOTA_EINVAL;
    }
    struct pcap_pkthdr *h = NULL;
    const u_char *p = NULL;
    int prc = pcap_next_ex(r->pcap, &h, &p);
    if (prc == PCAP_ERROR_BREAK) {
        return FOTA_ENOENT;
    }
    if (prc != 1) {
        return read_failed(r);
    }
    r->offset += PCAP_REC_HDR_SIZE + h->caplen;
    memset(rec, 0, sizeof(*rec));
    rec->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    size_t n = h->caplen;
    if (n < HIL_TRACE_HDR_SIZE) {
        return FOTA_ESIZE;
    }
    if ((p[0] >> 4) != HIL_TRACE_MAGIC) {
        return FOTA_EMAGIC;
    }
    if ((p[0] & 0x0Fu) != HIL_TRACE_VERSION) {
        return FOTA_EVERSION;
    }
    if (get_u16(p + 4) != n || h->len != n) {
        return FOTA_ESIZE;
    }
    rec->kind = (enum hil_trace_kind)p[1];
    rec->dir = (enum hil_trace_dir)p[2];
    rec->flags = p[3];
    rec->devtime = (p[3] & HIL_TRACE_F_DEVTIME) != 0;
    rec->proto = HIL_TRACE_PROTO_FOTA;
    rec->spi = false;
    if (rec->kind == HIL_TRACE_FRAME || rec->kind == HIL_TRACE_FAULT) {
        rec->proto = (enum hil_trace_proto)((p[3] & HIL_TRACE_F_PROTO_MASK) >> HIL_TRACE_F_PROTO_SHIFT);
        rec->spi = (p[3] & HIL_TRACE_F_SPI) != 0;
    }
    return decode_body(r, p + HIL_TRACE_HDR_SIZE, n - HIL_TRACE_HDR_SIZE, rec);
}

void hil_trace_read_close(struct hil_trace_reader *r)
{
    if (r == NULL) {
        return;
    }
    pcap_close(r->pcap);
    free(r);
}

const char *hil_trace_kind_name(enum hil_trace_kind k)
{
    static const char *const names[] = { "?", "FRAME", "FAULT", "FLASH", "POWER", "CONSOLE" };
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

const char *hil_trace_dir_name(enum hil_trace_dir d)
{
    static const char *const names[] = { "none", "to_target", "to_host" };
    return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "?";
}

const char *hil_trace_fault_name(enum hil_trace_fault_kind k)
{
    static const char *const names[] = {
        "?", "corrupt", "drop", "disconnect", "stall", "spi_drop", "spi_corrupt",
        "spi_cs_release", "spi_bit_shift", "spi_miso_stuck", "rom_nack", "rom_silent",
    };
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

const char *hil_trace_proto_name(enum hil_trace_proto p)
{
    static const char *const names[] = { "fota", "an3155", "an4286", "an4221" };
    return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

const char *hil_trace_power_name(enum hil_trace_power ev)
{
    static const char *const names[] = {
        "?", "power_on", "power_cut", "reset", "watchdog_reset", "boot", "jump", "died",
        "watchdog_start",
    };
    return (unsigned)ev < sizeof(names) / sizeof(names[0]) ? names[ev] : "?";
}
