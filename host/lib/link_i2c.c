/*
 * I2C master transports (fotahost/link.h, docs/I2C_ROM.md): one
 * transaction per call (START, 7-bit address + R/W, bytes, STOP), for the
 * AN4221 ROM master (host/lib/an4221.c).
 *   i2c-emu:PORT      the rig's emulated bus (fota-hil: `i2c-emu:fd:3`),
 *                     requests and answers on any fh_link_open() stream;
 *   i2c-dev:/dev/i2c-N  Linux i2c-dev, one I2C_RDWR message per
 *                     transaction (a board: the ESP32's role played by a
 *                     Linux host with an I2C master wired to I2C1).
 *
 * i2c-emu wire format (harness/link/i2c_link.h):
 *   request  'W' addr len_lo len_hi DATA[len]  |  'R' addr len_lo len_hi
 *   answer   'a' status n_lo n_hi DATA[n if a read with status 0]
 *            status 0 ACK, 1 address NACK, 2 data NACK (n = bytes ACKed),
 *            3 malformed request.
 * The rig answers every request, in order; an answer that has not come
 * FH_I2C_EMU_ANSWER_MS after its request is owed and skipped before the
 * next transaction, so a late answer is never taken for the next one's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/i2c.h>
#include <linux/i2c-dev.h>
#include "fotahost/link.h"

#define FH_I2C_EMU_ANSWER_MS 5000u

struct i2c_link {
    struct fh_link base; /* first */
    struct fh_link *wire; /* i2c-emu: the stream to the rig */
    int dev;              /* i2c-dev: descriptor, else -1 */
    bool owed;            /* i2c-emu: the last transaction's answer timed out, still to come */
    bool owed_rd;         /* ... and it was a read (its data follows the header) */
};

/* i2c-emu: exactly @p n bytes into @p dst (NULL: dropped), each read
 * waiting at most FH_I2C_EMU_ANSWER_MS. @return 0; FOTA_ETIMEOUT with
 * *got bytes in; link errors. */
static int emu_take(struct i2c_link *s, uint8_t *dst, size_t n, size_t *got)
{
    uint8_t junk[64];
    for (*got = 0; *got < n;) {
        size_t k = 0;
        size_t want = dst != NULL ? n - *got : (n - *got < sizeof(junk) ? n - *got : sizeof(junk));
        int rc = fh_link_read(s->wire, dst != NULL ? dst + *got : junk, want, FH_I2C_EMU_ANSWER_MS, &k);
        if (rc != 0 || k == 0) {
            return rc != 0 ? rc : FOTA_ETIMEOUT;
        }
        *got += k;
    }
    return 0;
}

/* i2c-emu: the answer to a transaction of @p len bytes (@p rd: read into
 * @p buf; @p buf NULL: an owed answer, dropped). The master sends a
 * request only once the previous answer came (or was skipped), so at most
 * one answer is owed. */
static int emu_answer(struct i2c_link *s, bool rd, uint8_t *buf, size_t len, size_t *acked)
{
    uint8_t h[4];
    size_t got = 0;
    int rc = emu_take(s, h, sizeof(h), &got);
    if (rc == FOTA_ETIMEOUT && got == 0) {
        s->owed = true;
        s->owed_rd = rd;
        return FOTA_ETIMEOUT;
    }
    if (rc != 0) {
        return rc == FOTA_ETIMEOUT ? FOTA_EPROTO : rc;
    }
    size_t n = (size_t)h[2] | (size_t)h[3] << 8;
    bool data = h[1] == 0 && rd;
    if (h[0] != 'a' || h[1] > 3) {
        return FOTA_EPROTO; /* not an answer at all: the stream is lost */
    }
    bool fits = buf == NULL || (data ? n == len : n <= len);
    if (data) {
        /* Take the data even when its length is wrong, to stay in step. */
        rc = emu_take(s, fits ? buf : NULL, n, &got);
        if (rc != 0) {
            return rc == FOTA_ETIMEOUT ? FOTA_EPROTO : rc;
        }
    }
    if (!fits) {
        return FOTA_EPROTO; /* an answer to another transaction */
    }
    *acked = n;
    static const int st_rc[4] = { 0, FOTA_EBUSY, FOTA_EPROTO, FOTA_EINVAL };
    return st_rc[h[1]];
}

static int emu_xfer(struct i2c_link *s, uint8_t addr, bool rd, uint8_t *buf, size_t len, size_t *acked)
{
    size_t junk = 0;
    if (s->owed) {
        /* Skip the late answer (a read's data by the length in its header). */
        s->owed = false;
        int rc = emu_answer(s, s->owed_rd, NULL, 0, &junk);
        if (rc != 0 && rc != FOTA_EBUSY && rc != FOTA_EPROTO && rc != FOTA_EINVAL) {
            return rc;
        }
    }
    uint8_t h[4] = { rd ? 'R' : 'W', addr, (uint8_t)len, (uint8_t)(len >> 8) };
    int rc = fh_link_write(s->wire, h, sizeof(h));
    if (rc == 0 && !rd && len > 0) {
        rc = fh_link_write(s->wire, buf, len);
    }
    return rc != 0 ? rc : emu_answer(s, rd, buf, len, acked);
}

/* i2c-dev: one I2C_RDWR message. Linux i2c fault codes
 * (Documentation/i2c/fault-codes.rst): ENXIO an address NACK, EREMOTEIO
 * a NACK (address or data, by driver), ETIMEDOUT a stuck bus or a clock
 * stretched past the adapter's timeout. */
static int dev_xfer(struct i2c_link *s, uint8_t addr, bool rd, uint8_t *buf, size_t len, size_t *acked)
{
    struct i2c_msg msg = { .addr = addr, .flags = rd ? I2C_M_RD : 0, .len = (uint16_t)len, .buf = buf };
    struct i2c_rdwr_ioctl_data io = { .msgs = &msg, .nmsgs = 1 };
    if (ioctl(s->dev, I2C_RDWR, &io) >= 0) {
        *acked = len;
        return 0;
    }
    switch (errno) {
    case ENXIO: return FOTA_EBUSY;
    case EREMOTEIO: return FOTA_EPROTO;
    case ETIMEDOUT: return FOTA_ETIMEOUT;
    default: return FOTA_EIO;
    }
}

static int i2c_no_stream_read(struct fh_link *l, void *buf, size_t cap, uint32_t timeout_ms, size_t *got)
{
    (void)l;
    (void)buf;
    (void)cap;
    (void)timeout_ms;
    *got = 0;
    return FOTA_ENOTSUP;
}

static int i2c_no_stream_write(struct fh_link *l, const void *buf, size_t len)
{
    (void)l;
    (void)buf;
    (void)len;
    return FOTA_ENOTSUP;
}

static void i2c_close(struct fh_link *l)
{
    struct i2c_link *s = (struct i2c_link *)l;
    if (s->wire != NULL) {
        fh_link_close(s->wire); /* i2c-emu */
    } else if (s->dev >= 0 && close(s->dev) != 0) {
        s->dev = -1;            /* i2c-dev: nothing more to do about a failed close */
    }
    free(s);
}

static const struct fh_link_ops i2c_ops = { .read = i2c_no_stream_read, .write = i2c_no_stream_write,
                                            .close = i2c_close };

int fh_link_i2c_xfer(struct fh_link *l, uint8_t addr, bool rd, uint8_t *buf, size_t len, size_t *acked)
{
    size_t dummy = 0;
    if (acked == NULL) {
        acked = &dummy;
    }
    *acked = 0;
    if (l == NULL || l->ops != &i2c_ops || addr > 0x7Fu || len > FH_I2C_MAX_LEN || (rd && len == 0) ||
        (len > 0 && buf == NULL)) {
        return FOTA_EINVAL;
    }
    struct i2c_link *s = (struct i2c_link *)l;
    return s->dev >= 0 ? dev_xfer(s, addr, rd, buf, len, acked) : emu_xfer(s, addr, rd, buf, len, acked);
}

/* i2c-dev:DEV: open it and check that the adapter does plain I2C (AN4221
 * needs I2C_FUNC_I2C: an SMBus-only controller cannot carry its frames). */
static int dev_open(struct i2c_link *s, const char *path, struct fh_msg *m)
{
    unsigned long funcs = 0;
    s->dev = open(path, O_RDWR | O_CLOEXEC);
    if (s->dev < 0) {
        return fh_msg_set(m, FOTA_EIO, "i2c-dev:%s: %s", path, strerror(errno));
    }
    if (ioctl(s->dev, I2C_FUNCS, &funcs) < 0 || (funcs & I2C_FUNC_I2C) == 0) {
        int e = errno;
        close(s->dev);
        s->dev = -1;
        return funcs == 0 ? fh_msg_set(m, FOTA_EIO, "i2c-dev:%s: I2C_FUNCS: %s", path, strerror(e))
                          : fh_msg_set(m, FOTA_ENOTSUP, "i2c-dev:%s: the adapter is SMBus only (no I2C_FUNC_I2C)",
                                       path);
    }
    return 0;
}

int fh_link_open_i2c(const char *spec, struct fh_link **out, struct fh_msg *m)
{
    int rc;
    if (spec == NULL || out == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "i2c: no spec");
    }
    struct i2c_link *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return fh_msg_set(m, FOTA_ENOMEM, "i2c: out of memory");
    }
    s->base.ops = &i2c_ops;
    s->dev = -1;
    (void)snprintf(s->base.name, sizeof(s->base.name), "%s", spec);
    if (strncmp(spec, "i2c-emu:", 8) == 0) {
        rc = strncmp(spec + 8, "i2c-", 4) == 0 ? fh_msg_set(m, FOTA_EINVAL, "%s: i2c-emu over an I2C link", spec)
             : fh_link_open(spec + 8, FH_LINK_DEFAULT_BAUD, &s->wire, m);
        s->base.fd = rc == 0 ? s->wire->fd : -1;
    } else if (strncmp(spec, "i2c-dev:", 8) == 0 && spec[8] != '\0') {
        rc = dev_open(s, spec + 8, m);
        s->base.fd = s->dev;
    } else {
        rc = fh_msg_set(m, FOTA_EINVAL, "%s: expected i2c-emu:PORT or i2c-dev:/dev/i2c-N", spec);
    }
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = &s->base;
    return 0;
}
