/*
 * SPI master transports for the update link (fotahost/link.h,
 * docs/SPI_ROM.md). The update protocol is request/response; over SPI the
 * master also clocks the response out, so:
 *   write(frame): one transfer carrying the frame (MISO ignored: the
 *                 slave has nothing queued while it waits for a request);
 *   read():       wait for the slave's READY line (spi-emu), or just poll
 *                 (spidev), then clock FH_SPI_READ_CHUNK dummy bytes and
 *                 return what came back on MISO. Idle MISO is 0xFF and the
 *                 frame parser skips it like any byte outside a frame.
 *
 * spi-emu wire format (the rig, harness/link/spi_link.h), over any
 * stream fh_link_open() opens (fota-hil: a socketpair end, `fd:3`):
 *   request  'T' len_lo len_hi MOSI[len]         one chip-select period;
 *                                               len 0 samples READY only
 *   answer   't' flags len_lo len_hi MISO[len]   flags bit 0: READY after it
 * The rig answers every request, in order; an answer later than
 * FH_SPI_EMU_ANSWER_MS is owed and skipped before the next transfer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/spi/spidev.h>
#include "fotahost/link.h"

#define FH_SPI_READ_CHUNK 32u     /* dummy bytes per read transfer */
#define FH_SPI_MAX_XFER   4096u
#define FH_SPI_POLL_MS    1u      /* between READY samples / spidev polls */
#define FH_SPI_DUMMY      0x00u   /* MOSI while reading: never PROTO_SYNC0 */
#define FH_SPI_EMU_ANSWER_MS 2000u

struct spi_link {
    struct fh_link base; /* first */
    struct fh_link *tty; /* spi-emu: the pty */
    int spidev;          /* spidev: descriptor */
    uint32_t hz;
    int emu;
    int ready;           /* spi-emu: READY as last reported */
    uint32_t owed;       /* spi-emu: answers to transfers that timed out, still to come */
};

/*
 * spi-emu: read @p n answer bytes into @p buf (NULL: drop them). Times out
 * only when nothing arrives for FH_SPI_EMU_ANSWER_MS (the rig writes each
 * answer at once, so its bytes follow their header closely).
 * @return 0; FOTA_ETIMEOUT (*got bytes came); link errors.
 */
static int emu_read(struct spi_link *s, uint8_t *buf, size_t n, size_t *got)
{
    uint8_t sink[256];
    *got = 0;
    while (*got < n) {
        size_t want = n - *got, k = 0;
        uint8_t *dst = buf != NULL ? buf + *got : sink;
        if (buf == NULL && want > sizeof(sink)) {
            want = sizeof(sink);
        }
        int rc = fh_link_read(s->tty, dst, want, FH_SPI_EMU_ANSWER_MS, &k);
        if (rc != 0) {
            return rc;
        }
        if (k == 0) {
            return FOTA_ETIMEOUT;
        }
        *got += k;
    }
    return 0;
}

/*
 * spi-emu: one answer, 't' flags len16 MISO[len], to a transfer of @p len
 * bytes (SIZE_MAX: an owed answer of any length, dropped). The rig answers
 * every request, in order: an answer that does not come in time is owed
 * (s->owed) and skipped before the next transfer, so a late answer is
 * never taken for the next one's.
 * @return 0; FOTA_ETIMEOUT (nothing came); FOTA_EPROTO (malformed or cut
 *         short: the stream is lost); link errors.
 */
static int emu_answer(struct spi_link *s, size_t len, uint8_t *miso)
{
    uint8_t ah[4];
    size_t got = 0;
    int rc = emu_read(s, ah, sizeof(ah), &got);
    if (rc == FOTA_ETIMEOUT && got == 0) {
        s->owed++;
        return FOTA_ETIMEOUT;
    }
    if (rc != 0) {
        return rc == FOTA_ETIMEOUT ? FOTA_EPROTO : rc;
    }
    size_t alen = (size_t)(ah[2] | ah[3] << 8);
    if (ah[0] != 't' || (len != SIZE_MAX && alen != len)) {
        return FOTA_EPROTO;
    }
    s->ready = (ah[1] & 1u) != 0;
    rc = emu_read(s, len != SIZE_MAX ? miso : NULL, alen, &got);
    return rc == FOTA_ETIMEOUT ? FOTA_EPROTO : rc;
}

/* One transfer: @p len bytes out, @p len bytes in (@p miso may be NULL). */
static int spi_xfer(struct spi_link *s, const uint8_t *mosi, uint8_t *miso, size_t len)
{
    if (!s->emu) {
        struct spi_ioc_transfer t;
        memset(&t, 0, sizeof(t));
        t.tx_buf = (uintptr_t)mosi;
        t.rx_buf = (uintptr_t)miso;
        t.len = (uint32_t)len;
        t.speed_hz = s->hz;
        t.bits_per_word = 8;
        return ioctl(s->spidev, SPI_IOC_MESSAGE(1), &t) < 0 ? FOTA_EIO : 0;
    }
    /* Late answers first: they belong to earlier transfers. */
    while (s->owed > 0) {
        s->owed--;
        int rc = emu_answer(s, SIZE_MAX, NULL);
        if (rc != 0) {
            return rc;
        }
    }
    uint8_t hdr[4] = { 'T', (uint8_t)len, (uint8_t)(len >> 8), 0 };
    int rc = fh_link_write(s->tty, hdr, 3);
    if (rc == 0 && len > 0) {
        rc = fh_link_write(s->tty, mosi, len);
    }
    if (rc != 0) {
        return rc;
    }
    return emu_answer(s, len, miso);
}

static int spi_write(struct fh_link *l, const void *buf, size_t len)
{
    struct spi_link *s = (struct spi_link *)l;
    const uint8_t *p = buf;
    while (len > 0) {
        size_t n = len < FH_SPI_MAX_XFER ? len : FH_SPI_MAX_XFER;
        int rc = spi_xfer(s, p, NULL, n);
        if (rc == FOTA_ETIMEOUT && s->emu) {
            rc = 0; /* the request is on its way; its answer (only READY) is owed */
        }
        if (rc != 0) {
            return rc;
        }
        p += n;
        len -= n;
    }
    return 0;
}

static int spi_read(struct fh_link *l, void *buf, size_t cap, uint32_t timeout_ms, size_t *got)
{
    struct spi_link *s = (struct spi_link *)l;
    uint8_t dummy[FH_SPI_READ_CHUNK];
    uint32_t start = fh_now_ms();
    *got = 0;
    if (cap == 0) {
        return 0;
    }
    memset(dummy, FH_SPI_DUMMY, sizeof(dummy));
    for (;;) {
        int rc = 0;
        if (s->emu && !s->ready) {
            rc = spi_xfer(s, NULL, NULL, 0); /* sample READY */
        }
        if (rc == 0 && (!s->emu || s->ready)) {
            size_t n = cap < sizeof(dummy) ? cap : sizeof(dummy);
            rc = spi_xfer(s, dummy, buf, n);
            if (rc == 0) {
                /* A chunk of nothing but idle 0xFF is "nothing came" (so a
                 * read can time out); otherwise every byte goes up: idle
                 * bytes around a frame are skipped by the frame parser, and
                 * 0xFF inside one is data. (A response with 32 consecutive
                 * 0xFF bytes at a chunk boundary would be lost and retried;
                 * none exists.) */
                const uint8_t *b = buf;
                size_t k = 0;
                while (k < n && b[k] == 0xFFu) {
                    k++;
                }
                if (k < n) {
                    *got = n;
                    return 0;
                }
            }
        }
        if (rc == FOTA_ETIMEOUT && s->emu) {
            /* spi-emu: the answer is late (owed); nothing came this round. A
             * response clocked out by a late read transfer is lost with it,
             * as on a noisy wire: the protocol retransmits. */
            s->ready = 0;
        } else if (rc != 0) {
            return rc;
        }
        if (fh_now_ms() - start >= timeout_ms) {
            return 0;
        }
        usleep(FH_SPI_POLL_MS * 1000u);
    }
}

static void spi_close(struct fh_link *l)
{
    struct spi_link *s = (struct spi_link *)l;
    fh_link_close(s->tty);
    if (s->spidev >= 0) {
        close(s->spidev);
    }
    free(s);
}

static const struct fh_link_ops spi_ops = { .read = spi_read, .write = spi_write, .close = spi_close };

int fh_link_spi_xfer(struct fh_link *l, const uint8_t *mosi, uint8_t *miso, size_t len)
{
    uint8_t zero[FH_SPI_MAX_XFER];
    if (l == NULL || l->ops != &spi_ops || len > FH_SPI_MAX_XFER) {
        return FOTA_EINVAL;
    }
    if (mosi == NULL) {
        memset(zero, FH_SPI_DUMMY, len);
        mosi = zero;
    }
    return spi_xfer((struct spi_link *)l, mosi, miso, len);
}

int fh_link_open_spi(const char *spec, struct fh_link **out, struct fh_msg *m)
{
    struct spi_link *s;
    int rc;
    if (spec == NULL || out == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "spi: no spec");
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return fh_msg_set(m, FOTA_ENOMEM, "spi: out of memory");
    }
    s->base.ops = &spi_ops;
    s->base.fd = -1;
    s->spidev = -1;
    (void)snprintf(s->base.name, sizeof(s->base.name), "%s", spec);
    if (strncmp(spec, "spi-emu:", 8) == 0) {
        s->emu = 1;
        rc = strncmp(spec + 8, "spi-emu:", 8) == 0 ? fh_msg_set(m, FOTA_EINVAL, "%s: spi-emu over spi-emu", spec)
             : fh_link_open(spec + 8, FH_LINK_DEFAULT_BAUD, &s->tty, m);
        if (rc != 0) {
            free(s);
            return rc;
        }
        s->base.fd = s->tty->fd;
    } else if (strncmp(spec, "spidev:", 7) == 0) {
        char path[128];
        const char *at = strchr(spec + 7, '@');
        size_t plen = at != NULL ? (size_t)(at - (spec + 7)) : strlen(spec + 7);
        s->hz = 1000000u;
        if (plen == 0 || plen >= sizeof(path)) {
            free(s);
            return fh_msg_set(m, FOTA_EINVAL, "%s: expected spidev:/dev/spidevB.C[@HZ]", spec);
        }
        memcpy(path, spec + 7, plen);
        path[plen] = '\0';
        if (at != NULL) {
            char *end = NULL;
            unsigned long hz = strtoul(at + 1, &end, 10);
            if (end == at + 1 || *end != '\0' || hz < 1000ul || hz > 50000000ul) {
                free(s);
                return fh_msg_set(m, FOTA_EINVAL, "%s: speed must be 1000..50000000 Hz", spec);
            }
            s->hz = (uint32_t)hz;
        }
        s->spidev = open(path, O_RDWR | O_CLOEXEC);
        uint8_t mode = SPI_MODE_0, bits = 8;
        if (s->spidev < 0 || ioctl(s->spidev, SPI_IOC_WR_MODE, &mode) < 0 ||
            ioctl(s->spidev, SPI_IOC_WR_BITS_PER_WORD, &bits) < 0 ||
            ioctl(s->spidev, SPI_IOC_WR_MAX_SPEED_HZ, &s->hz) < 0) {
            int e = errno;
            if (s->spidev >= 0) {
                close(s->spidev);
            }
            free(s);
            return fh_msg_set(m, FOTA_EIO, "%s: %s", path, strerror(e));
        }
        s->base.fd = s->spidev;
    } else {
        free(s);
        return fh_msg_set(m, FOTA_EINVAL, "%s: expected spi-emu:PATH or spidev:DEV[@HZ]", spec);
    }
    *out = &s->base;
    return 0;
}
