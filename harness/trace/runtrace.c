/**
 * @file runtrace.c
 * @brief The run trace of one scenario (see runtrace.h).
 */
#include "trace/runtrace.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fota/errors.h"

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int hil_pcap_mode_parse(const char *s, enum hil_pcap_mode *out)
{
    static const struct { const char *name; enum hil_pcap_mode mode; } modes[] = {
        { "failed", HIL_PCAP_FAILED },
        { "all", HIL_PCAP_ALL },
        { "none", HIL_PCAP_NONE },
    };
    for (size_t i = 0; s != NULL && i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(s, modes[i].name) == 0) {
            *out = modes[i].mode;
            return 0;
        }
    }
    return FOTA_EINVAL;
}

int hil_runtrace_open(struct hil_runtrace *rt, const char *workdir, enum hil_pcap_mode mode)
{
    memset(rt, 0, sizeof(*rt));
    rt->mode = mode;
    rt->t0_us = mono_us();
    if (mode == HIL_PCAP_NONE) {
        return 0;
    }
    snprintf(rt->path, sizeof(rt->path), "%s/%s", workdir, HIL_RUNTRACE_FILE);
    int rc = hil_trace_open(rt->path, &rt->t);
    if (rc != 0) {
        rt->t = NULL;
    }
    return rc;
}

void hil_runtrace_set_clock(struct hil_runtrace *rt, uint64_t (*clock_us)(void *ctx), void *ctx)
{
    rt->clock_us = clock_us;
    rt->clock_ctx = ctx;
    rt->clock0_us = clock_us(ctx);
    hil_trace_set_device_time(rt->t, true);
}

uint64_t hil_runtrace_now(const struct hil_runtrace *rt)
{
    if (rt->t == NULL) {
        return 0;
    }
    return rt->clock_us != NULL ? rt->clock_us(rt->clock_ctx) - rt->clock0_us : mono_us() - rt->t0_us;
}

static void tap_wire(void *ctx, enum hil_dir dir, uint32_t n, const uint8_t *bytes, size_t len)
{
    struct hil_runtrace *rt = ctx;
    enum hil_trace_dir td = dir == HIL_DIR_TO_TARGET ? HIL_TRACE_DIR_TO_TARGET : HIL_TRACE_DIR_TO_HOST;
    (void)hil_trace_link_frame(rt->t, hil_runtrace_now(rt), td, HIL_TRACE_LINK_FLAGS(HIL_TRACE_PROTO_FOTA, rt->spi),
                               n, bytes, len);
}

static void tap_fault(void *ctx, enum hil_dir dir, enum hil_fault_kind kind, uint32_t n, uint32_t byte)
{
    struct hil_runtrace *rt = ctx;
    enum hil_trace_dir td = dir == HIL_DIR_TO_TARGET ? HIL_TRACE_DIR_TO_TARGET : HIL_TRACE_DIR_TO_HOST;
    enum hil_trace_fault_kind tk;
    uint32_t offset = HIL_TRACE_NO_OFFSET;
    switch (kind) {
    case HIL_FAULT_CORRUPT:
        tk = HIL_TRACE_FAULT_CORRUPT;
        offset = byte;
        break;
    case HIL_FAULT_DROP:
        tk = HIL_TRACE_FAULT_DROP;
        break;
    case HIL_FAULT_DISCONNECT:
        tk = HIL_TRACE_FAULT_DISCONNECT;
        break;
    case HIL_FAULT_POWER_CUT:
    default:
        return; /* power cuts appear as FLASH verdicts */
    }
    (void)hil_trace_link_fault(rt->t, hil_runtrace_now(rt), td, HIL_TRACE_LINK_FLAGS(HIL_TRACE_PROTO_FOTA, rt->spi),
                               tk, n, offset, 0);
}

void hil_runtrace_rom_unit(struct hil_runtrace *rt, enum hil_trace_proto proto, const uint8_t *in,
                           size_t in_len, const uint8_t *out, size_t out_len)
{
    if (rt->t == NULL) {
        return;
    }
    /* AN3155 is the USART ROM, AN4286 the SPI one. */
    uint8_t link = HIL_TRACE_LINK_FLAGS(proto, proto == HIL_TRACE_PROTO_AN4286);
    uint64_t now = hil_runtrace_now(rt);
    if (in_len > 0) {
        (void)hil_trace_link_frame(rt->t, now, HIL_TRACE_DIR_TO_TARGET, link, ++rt->rom_units[0], in, in_len);
    }
    if (out_len > 0) {
        (void)hil_trace_link_frame(rt->t, now, HIL_TRACE_DIR_TO_HOST, link, ++rt->rom_units[1], out, out_len);
    }
}

void hil_runtrace_rom_fault(struct hil_runtrace *rt, enum hil_trace_proto proto, bool nack, uint8_t cmd,
                            uint32_t n)
{
    uint8_t link = HIL_TRACE_LINK_FLAGS(proto, proto == HIL_TRACE_PROTO_AN4286);
    (void)hil_trace_link_fault(rt->t, hil_runtrace_now(rt), HIL_TRACE_DIR_TO_HOST, link,
                               nack ? HIL_TRACE_FAULT_ROM_NACK : HIL_TRACE_FAULT_ROM_SILENT, n,
                               HIL_TRACE_NO_OFFSET, cmd);
}

void hil_runtrace_spi_fault(struct hil_runtrace *rt, enum hil_dir dir, enum hil_fault_kind kind, uint32_t n,
                            uint32_t byte, uint32_t param)
{
    /* hil_fault_kind -> FAULT kind; the order of the SPI kinds differs. */
    static const struct { enum hil_fault_kind from; enum hil_trace_fault_kind to; } map[] = {
        { HIL_FAULT_SPI_DROP, HIL_TRACE_FAULT_SPI_DROP },
        { HIL_FAULT_SPI_CORRUPT, HIL_TRACE_FAULT_SPI_CORRUPT },
        { HIL_FAULT_SPI_CS_RELEASE, HIL_TRACE_FAULT_SPI_CS_RELEASE },
        { HIL_FAULT_SPI_BIT_SHIFT, HIL_TRACE_FAULT_SPI_BIT_SHIFT },
        { HIL_FAULT_SPI_MISO_STUCK, HIL_TRACE_FAULT_SPI_MISO_STUCK },
    };
    enum hil_trace_dir td = dir == HIL_DIR_TO_TARGET ? HIL_TRACE_DIR_TO_TARGET : HIL_TRACE_DIR_TO_HOST;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (map[i].from == kind) {
            (void)hil_trace_link_fault(rt->t, hil_runtrace_now(rt), td,
                                       HIL_TRACE_LINK_FLAGS(HIL_TRACE_PROTO_FOTA, true), map[i].to, n, byte, param);
            return;
        }
    }
}

void hil_runtrace_tap(struct hil_runtrace *rt, struct hil_proxy *p)
{
    if (rt->t == NULL) {
        return;
    }
    p->wire = tap_wire;
    p->fault = tap_fault;
    p->tap_ctx = rt;
}

static void flash_path(const struct hil_runtrace *rt, char *out, size_t len)
{
    snprintf(out, len, "%s", rt->path);
    char *slash = strrchr(out, '/');
    size_t dir = slash != NULL ? (size_t)(slash - out + 1) : 0;
    snprintf(out + dir, len - dir, "%s", HIL_RUNTRACE_FLASH_FILE);
}

void hil_runtrace_save_flash(struct hil_runtrace *rt, const struct hil_flash *f)
{
    if (rt->t == NULL) {
        return;
    }
    char path[PATH_MAX + 32];
    flash_path(rt, path, sizeof(path));
    (void)hil_flash_save(f, path);
}

void hil_runtrace_flash(struct hil_runtrace *rt, const struct hil_flash_op *op,
                        const struct hil_flash_verdict *v)
{
    (void)hil_trace_flash_op(rt->t, hil_runtrace_now(rt), op, v);
}

void hil_runtrace_console(struct hil_runtrace *rt, const char *line)
{
    (void)hil_trace_console(rt->t, hil_runtrace_now(rt), line);
}

void hil_runtrace_event(struct hil_runtrace *rt, const struct hil_event *ev)
{
    (void)hil_trace_event(rt->t, hil_runtrace_now(rt), ev);
}

void hil_runtrace_power(struct hil_runtrace *rt, enum hil_trace_power ev, const char *detail)
{
    (void)hil_trace_power(rt->t, hil_runtrace_now(rt), ev, 0, detail);
}

int hil_runtrace_close(struct hil_runtrace *rt, bool failed)
{
    if (rt->t == NULL) {
        return 0;
    }
    int rc = hil_trace_close(rt->t);
    rt->t = NULL;
    if (rc != 0) {
        fprintf(stderr, "fota-hil: %s: write failed, trace incomplete\n", rt->path);
        return rc;
    }
    if (!failed && rt->mode != HIL_PCAP_ALL) {
        char path[PATH_MAX + 32];
        flash_path(rt, path, sizeof(path));
        (void)unlink(rt->path);
        (void)unlink(path);
    }
    return 0;
}
