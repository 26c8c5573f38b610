/**
 * @file spi_link.c
 * @brief Emulated SPI bus and SPI faults (spi_link.h).
 */
#include "link/spi_link.h"
#include "target/errmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hil_spi_init(struct hil_spi *s, const struct hil_fault *faults, int nfaults)
{
    struct hil_buf q = s->miso_q;
    void (*log)(void *, const char *) = s->log;
    void (*fault)(void *, enum hil_dir, enum hil_fault_kind, uint32_t, uint32_t, uint32_t) = s->fault;
    void *ctx = s->log_ctx;
    uint8_t (*clock)(void *, uint8_t) = s->slave_clock;
    void *sctx = s->slave_ctx;
    void (*wire)(void *, const uint8_t *, size_t, bool, bool *) = s->wire;
    void *wctx = s->wire_ctx;
    memset(s, 0, sizeof(*s));
    s->slave_clock = clock;
    s->slave_ctx = sctx;
    s->wire = wire;
    s->wire_ctx = wctx;
    s->miso_q = q;
    s->miso_q.len = 0;
    s->faults = faults;
    s->nfaults = faults != NULL ? nfaults : 0;
    s->log = log;
    s->fault = fault;
    s->log_ctx = ctx;
}

void hil_spi_free(struct hil_spi *s)
{
    hil_buf_free(&s->miso_q);
}

bool hil_spi_fired(const struct hil_spi *s, int i)
{
    return i >= 0 && i < (int)(sizeof(s->fired) / sizeof(s->fired[0])) && s->fired[i];
}

static void spi_log(struct hil_spi *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void spi_log(struct hil_spi *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hil_vlog(s->log, s->log_ctx, fmt, ap);
    va_end(ap);
}

static void spi_fired(struct hil_spi *s, int i, enum hil_dir dir, uint32_t n, uint32_t byte, uint32_t param)
{
    s->fired[i] = true;
    if (s->fault != NULL) {
        s->fault(s->log_ctx, dir, s->faults[i].kind, n, byte, param);
    }
}

/* The first armed fault of @p kind for count @p n (dir checked for corrupt). */
static int spi_fault(struct hil_spi *s, enum hil_fault_kind kind, uint32_t n, int dir)
{
    for (int i = 0; i < s->nfaults && i < (int)(sizeof(s->fired) / sizeof(s->fired[0])); i++) {
        const struct hil_fault *f = &s->faults[i];
        if (f->kind == kind && f->frame == n && !s->fired[i] && (dir < 0 || (int)f->dir == dir)) {
            return i;
        }
    }
    return -1;
}

/* The faults of write transfer #n on its MOSI bytes @p m: how many of the
 * @p len bytes reach the slave (*deliver) and clock MISO out (*clock_out). */
static void spi_write_faults(struct hil_spi *s, uint8_t *m, size_t len, size_t *deliver, size_t *clock_out)
{
    uint32_t n = ++s->writes;
    int i;
    if ((i = spi_fault(s, HIL_FAULT_SPI_DROP, n, -1)) >= 0) {
        spi_fired(s, i, HIL_DIR_TO_TARGET, n, 0xFFFFFFFFu, 0);
        *deliver = 0;
        *clock_out = 0;
        spi_log(s, "spi: FAULT drop write transfer #%u (%zu bytes)", n, len);
    }
    if ((i = spi_fault(s, HIL_FAULT_SPI_CORRUPT, n, HIL_DIR_TO_TARGET)) >= 0 && s->faults[i].byte < len) {
        spi_fired(s, i, HIL_DIR_TO_TARGET, n, s->faults[i].byte, 0);
        m[s->faults[i].byte] ^= 0xFFu;
        spi_log(s, "spi: FAULT corrupt MOSI byte %u of write transfer #%u", s->faults[i].byte, n);
    }
    if ((i = spi_fault(s, HIL_FAULT_SPI_CS_RELEASE, n, -1)) >= 0 && s->faults[i].byte < len) {
        spi_fired(s, i, HIL_DIR_TO_TARGET, n, s->faults[i].byte, 0);
        *deliver = *clock_out = s->faults[i].byte;
        spi_log(s, "spi: FAULT NSS released after %u of %zu bytes of write transfer #%u", s->faults[i].byte, len, n);
    }
    if ((i = spi_fault(s, HIL_FAULT_SPI_BIT_SHIFT, n, -1)) >= 0) {
        spi_fired(s, i, HIL_DIR_TO_TARGET, n, 0xFFFFFFFFu, 0);
        uint8_t carry = 0;
        for (size_t k = 0; k < len; k++) {
            uint8_t b = m[k];
            m[k] = (uint8_t)((b >> 1) | (carry << 7));
            carry = b & 1u;
        }
        spi_log(s, "spi: FAULT clock glitch: write transfer #%u shifted by one bit", n);
    }
}

/* The slave's side of a transfer: @p deliver of the MOSI bytes @p m reach it;
 * @p miso gets the @p len bytes it clocks out; *ready the READY line after
 * it (a wire's, else the queue's). @return how many are data. */
static size_t spi_slave_xfer(struct hil_spi *s, const uint8_t *m, size_t len, size_t deliver, size_t clock_out,
                             uint8_t *miso, struct hil_buf *mosi, bool *ready)
{
    size_t from_q = 0;
    bool wire_ready = false;
    *ready = s->miso_q.len > 0;
    if (s->slave_clock != NULL) {
        /* Byte-synchronous slave: MISO is its answer in the same byte time. */
        for (size_t k = 0; k < len; k++) {
            miso[k] = k < deliver ? s->slave_clock(s->slave_ctx, m[k]) : HIL_SPI_IDLE;
            if (miso[k] != HIL_SPI_IDLE && miso[k] != 0xA5u) {
                from_q = k + 1; /* clocked data (not idle, not the ROM's busy byte) */
            }
        }
        return from_q;
    }
    if (s->wire != NULL) {
        /* The slave's MISO joins the queue: the master's answer takes it below. */
        s->wire(s->wire_ctx, m, deliver, len > 0 && m[0] != 0x00u, &wire_ready);
    } else if (deliver > 0) {
        hil_buf_append(mosi, m, deliver);
    }
    /* MISO: the queue's bytes, idle once it runs dry. */
    from_q = clock_out < s->miso_q.len ? clock_out : s->miso_q.len;
    if (from_q > 0) {
        memcpy(miso, s->miso_q.data, from_q);
    }
    memset(miso + from_q, HIL_SPI_IDLE, len - from_q);
    if (from_q > 0) {
        hil_buf_consume(&s->miso_q, from_q);
    }
    *ready = wire_ready || s->miso_q.len > 0;
    return from_q;
}

/* The faults of a read transfer that clocked @p from_q data bytes into @p miso. */
static void spi_read_faults(struct hil_spi *s, uint8_t *miso, size_t from_q)
{
    uint32_t n = ++s->reads;
    int i;
    if ((i = spi_fault(s, HIL_FAULT_SPI_MISO_STUCK, n, -1)) >= 0) {
        s->stuck_left = s->faults[i].n;
        s->stuck_value = (uint8_t)s->faults[i].byte;
        spi_fired(s, i, HIL_DIR_TO_HOST, n, 0xFFFFFFFFu, (uint32_t)s->stuck_value << 16 | (s->stuck_left & 0xFFFFu));
        spi_log(s, "spi: FAULT MISO stuck at 0x%02x for %u read transfers from #%u", s->stuck_value,
                s->stuck_left, n);
    }
    if ((i = spi_fault(s, HIL_FAULT_SPI_CORRUPT, n, HIL_DIR_TO_HOST)) >= 0 && s->faults[i].byte < from_q) {
        spi_fired(s, i, HIL_DIR_TO_HOST, n, s->faults[i].byte, 0);
        miso[s->faults[i].byte] ^= 0xFFu;
        spi_log(s, "spi: FAULT corrupt MISO byte %u of read transfer #%u", s->faults[i].byte, n);
    }
}

/* One complete transfer request of @p len MOSI bytes. */
static void spi_transfer(struct hil_spi *s, const uint8_t *mosi_in, size_t len, struct hil_buf *mosi,
                         struct hil_buf *to_master)
{
    uint8_t miso[HIL_SPI_MAX_XFER];
    uint8_t m[HIL_SPI_MAX_XFER];
    size_t deliver = len;    /* MOSI bytes the slave receives */
    size_t clock_out = len;  /* MISO bytes taken from the queue */
    bool write = len > 0 && mosi_in[0] != 0x00u;
    bool ready = false;
    s->transfers++;
    memcpy(m, mosi_in, len);
    if (write) {
        spi_write_faults(s, m, len, &deliver, &clock_out);
    }
    s->mosi_bytes += deliver;
    size_t from_q = spi_slave_xfer(s, m, len, deliver, clock_out, miso, mosi, &ready);
    s->miso_bytes += from_q;
    if (!write && from_q > 0) {
        spi_read_faults(s, miso, from_q);
    }
    if (s->stuck_left > 0 && !write && len > 0) {
        memset(miso, s->stuck_value, len);
        s->stuck_left--;
    }
    /* READY is its own wire: a stuck MISO does not affect it. */
    uint8_t hdr[4] = { 't', (uint8_t)(ready ? 1u : 0u), (uint8_t)len, (uint8_t)(len >> 8) };
    hil_buf_append(to_master, hdr, 4);
    if (len > 0) {
        hil_buf_append(to_master, miso, len);
    }
}

void hil_spi_from_master(struct hil_spi *s, const uint8_t *in, size_t n, struct hil_buf *mosi,
                         struct hil_buf *to_master)
{
    for (size_t i = 0; i < n; i++) {
        if (s->bad) {
            return;
        }
        s->req[s->req_len++] = in[i];
        if (s->req_len == 1 && s->req[0] != 'T') {
            s->bad = true;
            spi_log(s, "spi: malformed request byte 0x%02x (expected 'T'): stream dropped", s->req[0]);
            return;
        }
        if (s->req_len < 3) {
            continue;
        }
        size_t len = (size_t)(s->req[1] | s->req[2] << 8);
        if (len > HIL_SPI_MAX_XFER) {
            s->bad = true;
            spi_log(s, "spi: transfer of %zu bytes (max %u): stream dropped", len, HIL_SPI_MAX_XFER);
            return;
        }
        if (s->req_len == 3 + len) {
            spi_transfer(s, &s->req[3], len, mosi, to_master);
            s->req_len = 0;
        }
    }
}

void hil_spi_from_slave(struct hil_spi *s, const uint8_t *in, size_t n)
{
    hil_buf_append(&s->miso_q, in, n);
}
