/*
 * AN3155 framing: ST's USART protocol of the STM32 ROM bootloader
 * (application note AN3155 rev 15; section numbers below). The commands
 * are host/lib/stm32rom.c's; on a serial line they travel as:
 *   2   synchronization: 0x7F (autobaud); answered ACK, or NACK when the
 *       ROM is already synchronised;
 *   3   a command frame is the command byte and its complement; every
 *       frame is answered by one byte, ACK 0x79 or NACK 0x1F; data from
 *       the ROM follows its ACK directly.
 */
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <linux/sockios.h>
#include "stm32rom.h"

#define AN3155_SYNC 0x7Fu
#define AN3155_DRAIN_POLL_US 50u

/* Read exactly @p len bytes within @p timeout_ms. */
static int an3155_read_all(struct fh_rom *r, uint8_t *buf, size_t len, uint32_t timeout_ms, const char *what,
                           struct fh_msg *m)
{
    size_t have = 0;
    uint32_t start = fh_now_ms();

    while (have < len) {
        uint32_t spent = fh_now_ms() - start;
        size_t got = 0;
        int rc;

        if (spent >= timeout_ms) {
            return fh_msg_set(m, FOTA_ETIMEOUT, "an3155: %s: no answer within %u ms (%zu of %zu bytes)", what,
                              (unsigned)timeout_ms, have, len);
        }
        rc = fh_link_read(r->link, buf + have, len - have, timeout_ms - spent, &got);
        if (rc != 0) {
            return fh_msg_set(m, rc, "an3155: %s: link read failed: %s", what, fota_strerror(rc));
        }
        have += got;
    }
    r->bytes_in += len;
    return 0;
}

/* Wait until the byte written last has left: tcdrain() on a serial port;
 * on a socket (the rig) until the peer has read it (SIOCOUTQ 0), at most
 * r->timeout_ms. Without a descriptor: nothing to wait for. */
static void an3155_drain(struct fh_rom *r)
{
    int fd = r->link->fd;
    int queued = 0;
    uint32_t start = fh_now_ms();
    if (fd < 0 || (isatty(fd) && tcdrain(fd) == 0)) {
        return;
    }
    while (ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0 && fh_now_ms() - start < r->timeout_ms) {
        usleep(AN3155_DRAIN_POLL_US);
    }
}

/* Some parts need a gap between the bytes they receive (issue 12): byte
 * by byte, each drained, then r->byte_gap_us of silence. */
static int an3155_send_gapped(struct fh_rom *r, const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        int rc = fh_link_write(r->link, &b[i], 1);
        if (rc != 0) {
            return rc;
        }
        an3155_drain(r);
        usleep(r->byte_gap_us);
    }
    return 0;
}

static int an3155_send(struct fh_rom *r, const uint8_t *b, size_t len, const char *what, struct fh_msg *m)
{
    int rc = r->byte_gap_us > 0 ? an3155_send_gapped(r, b, len) : fh_link_write(r->link, b, len);
    if (rc != 0) {
        return fh_msg_set(m, rc, "an3155: %s: link write failed: %s", what, fota_strerror(rc));
    }
    r->bytes_out += len;
    return 0;
}

/* Section 3: command byte + complement. */
static int an3155_send_cmd(struct fh_rom *r, uint8_t cmd, const char *what, struct fh_msg *m)
{
    uint8_t b[2] = { cmd, (uint8_t)(cmd ^ 0xFFu) };
    return an3155_send(r, b, sizeof(b), what, m);
}

/* Section 3: the answer to a frame is the next byte on the line. */
static int an3155_wait_ack(struct fh_rom *r, uint32_t timeout_ms, const char *what, uint8_t *answer,
                           struct fh_msg *m)
{
    int rc = an3155_read_all(r, answer, 1, timeout_ms, what, m);
    if (rc != 0) {
        return fh_msg_set(m, rc, "an3155: %s: no ACK within %u ms", what, (unsigned)timeout_ms);
    }
    return 0;
}

/* 3.3, 3.4: the data follows the ACK on the line. */
static int an3155_recv(struct fh_rom *r, uint8_t *buf, size_t len, const char *what, struct fh_msg *m)
{
    return an3155_read_all(r, buf, len, r->timeout_ms, what, m);
}

/* A late answer to a timed-out command is drained by fh_rom_flush(). */
const struct fh_rom_ops fh_an3155_ops = FH_ROM_OPS("an3155", NULL, .sync = AN3155_SYNC,
                                                   .send_cmd = an3155_send_cmd, .send = an3155_send,
                                                   .wait_ack = an3155_wait_ack, .recv = an3155_recv);
