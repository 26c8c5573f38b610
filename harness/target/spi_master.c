/**
 * @file spi_master.c
 * @brief The client side of fota-f407's SPI1 slave chardev (spi_master.h).
 */
#include "target/spi_master.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fota/errors.h"

static int64_t spim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hil_spim_init(struct hil_spim *m, int fd)
{
    memset(m, 0, sizeof(*m));
    m->fd = fd;
}

/* Wait until @p fd is ready for @p events or @p deadline passed. */
static int spim_wait(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - spim_now_ms();
        if (left < 0) {
            return FOTA_ETIMEOUT;
        }
        struct pollfd p = { .fd = fd, .events = events };
        int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        if (r > 0) {
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            return FOTA_EIO;
        }
    }
}

static int spim_write(struct hil_spim *m, const uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        ssize_t k = send(m->fd, p, n, MSG_NOSIGNAL); /* a gone QEMU is FOTA_ECONN, not SIGPIPE */
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            int rc = spim_wait(m->fd, POLLOUT, deadline);
            if (rc != 0) {
                return rc;
            }
            continue;
        }
        return k < 0 && errno == EPIPE ? FOTA_ECONN : FOTA_EIO;
    }
    return 0;
}

/*
 * Consume the complete messages in m->in. An 'R' updates READY (and sets
 * *saw_r when it comes after the 'b': the answer to the 'Q' that follows
 * the transfer); a 'b' while one is expected (!*saw_b) goes to @p miso
 * (*saw_b set), a late one (the answer to a transfer that timed out) is
 * dropped and counted.
 * @return 0; FOTA_EPROTO (a 'b' of another length than @p n, or a byte
 *         that starts no message: what is buffered is dropped).
 */
static int spim_parse(struct hil_spim *m, uint8_t *miso, size_t n, bool *saw_b, bool *saw_r)
{
    size_t used = 0;
    int rc = 0;
    while (used < m->in_len && rc == 0) {
        const uint8_t *p = m->in + used;
        size_t have = m->in_len - used;
        size_t len = have >= 3 ? (size_t)(p[1] | p[2] << 8) : 0;
        if (p[0] == 'R' && have >= 2) {
            m->rises += (!m->ready && p[1] != 0) ? 1u : 0u;
            m->ready = p[1] != 0;
            *saw_r = *saw_b; /* after the 'b': the answer to 'Q' */
            used += 2;
        } else if (p[0] == 'b' && have >= 3 && have >= 3 + len) {
            if (*saw_b) {
                m->stray++;
            } else if (len != n) {
                rc = FOTA_EPROTO;
            } else if (miso != NULL) {
                memcpy(miso, p + 3, len);
            }
            *saw_b = true;
            used += 3 + len;
        } else if (p[0] != 'R' && p[0] != 'b') {
            rc = FOTA_EPROTO;
            used = m->in_len;
        } else {
            break; /* the rest of a message is still to come */
        }
    }
    memmove(m->in, m->in + used, m->in_len - used);
    m->in_len -= used;
    return rc;
}

/* Read what is there (wait until @p deadline for something; 0: do not wait). */
static int spim_read(struct hil_spim *m, int64_t deadline)
{
    if (deadline != 0) {
        int rc = spim_wait(m->fd, POLLIN, deadline);
        if (rc != 0) {
            return rc;
        }
    }
    ssize_t k = read(m->fd, m->in + m->in_len, sizeof(m->in) - m->in_len);
    if (k > 0) {
        m->in_len += (size_t)k;
        return 0;
    }
    if (k == 0 || (k < 0 && errno == ECONNRESET)) {
        return FOTA_ECONN;
    }
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : FOTA_EIO;
}

int hil_spim_xfer(struct hil_spim *m, const uint8_t *mosi, uint8_t *miso, size_t n, int timeout_ms, bool *ready)
{
    uint8_t head[4] = { 'S', 'B', (uint8_t)n, (uint8_t)(n >> 8) };
    static const uint8_t tail[2] = { 'E', 'Q' };
    int64_t deadline = spim_now_ms() + timeout_ms;
    int rc = n > HIL_SPIM_MAX ? FOTA_EINVAL : m->fd < 0 ? FOTA_ECONN : 0;
    bool saw_b = n == 0, saw_r = false;

    if (rc == 0 && n > 0) {
        rc = spim_write(m, head, sizeof(head), deadline);
        if (rc == 0) {
            rc = spim_write(m, mosi, n, deadline);
        }
    }
    if (rc == 0) {
        rc = spim_write(m, n > 0 ? tail : tail + 1, n > 0 ? 2 : 1, deadline);
    }
    /* The answer to 'Q' comes after the 'b': READY after the transfer. */
    while (rc == 0 && !(saw_b && saw_r)) {
        rc = spim_read(m, deadline);
        if (rc == 0) {
            rc = spim_parse(m, miso, n, &saw_b, &saw_r);
        }
    }
    if (rc == 0) {
        m->clocked += n;
    } else if (miso != NULL) {
        memset(miso, 0xFF, n);
    }
    *ready = m->ready;
    return rc;
}

int hil_spim_service(struct hil_spim *m)
{
    bool saw_b = false, saw_r = false;
    if (m->fd < 0) {
        return 0;
    }
    saw_b = true; /* no transfer is waiting: a 'b' now is a late one */
    int rc = spim_read(m, 0);
    if (rc == 0) {
        rc = spim_parse(m, NULL, 0, &saw_b, &saw_r);
    }
    return rc;
}

int hil_spim_ready_change(struct hil_spim *m, bool was)
{
    bool rose = m->rises != m->rises_reported;
    m->rises_reported = m->rises;
    if (m->ready && (rose || !was)) {
        return 1;
    }
    return !m->ready && was ? 0 : -1;
}
