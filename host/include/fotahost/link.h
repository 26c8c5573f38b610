/**
 * @file link.h
 * @brief The byte link between the update master and a target: one small
 * struct of operations, implemented for a POSIX serial port (also a pty
 * slave), a Unix stream socket and TCP, and for an already-open fd (tests).
 *
 * The update master (fotahost/update.h) only calls these three operations,
 * so a product (ESP32 Wi-Fi bridge: UART driver) supplies its own ops.
 */
#ifndef FOTAHOST_LINK_H
#define FOTAHOST_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fotahost/common.h"

struct fh_link;

/** Transport operations. Every one returns 0 or an enum fota_err. */
struct fh_link_ops {
    /**
     * Receive up to @p cap bytes, returning as soon as at least one byte
     * arrived or @p timeout_ms milliseconds passed (0: poll once).
     * @param got  receives the number of bytes stored (0 on timeout)
     * @return 0 (also on timeout, *got = 0); FOTA_ECONN (the peer closed
     *         the link: EOF, or a pty/tty hang-up); FOTA_EIO (OS error).
     */
    int (*read)(struct fh_link *l, void *buf, size_t cap, uint32_t timeout_ms, size_t *got);
    /**
     * Send all @p len bytes (blocking until the OS took them).
     * @return 0; FOTA_ECONN (peer closed: EPIPE/ECONNRESET/EIO on a tty);
     *         FOTA_EIO.
     */
    int (*write)(struct fh_link *l, const void *buf, size_t len);
    /** Release the link and free @p l. */
    void (*close)(struct fh_link *l);
};

/** A link: the ops plus the implementation's state. */
struct fh_link {
    const struct fh_link_ops *ops;
    int fd;              /**< POSIX implementations: the descriptor, else -1 */
    char name[128];      /**< for messages: the port spec it was opened with */
};

/** Default serial speed, bits per second. */
#define FH_LINK_DEFAULT_BAUD 115200u

/**
 * Open a link from a port spec:
 *   - `unix:/path`      Unix stream socket (connect)
 *   - `tcp:HOST:PORT`   TCP (getaddrinfo, IPv4 or IPv6; `[v6addr]:port` too)
 *   - `fd:N`            an inherited descriptor N (a socketpair end the
 *                       caller's parent set up, e.g. fota-hil); the link
 *                       works on a duplicate, so fh_link_close() leaves N
 *                       open and it can be opened again (fota-bridge
 *                       delivers more than once over `fd:3`)
 *   - `spi-emu:PATH`, `spidev:DEV[@HZ]`  SPI master (fh_link_open_spi())
 *   - `i2c-emu:PORT`, `i2c-dev:/dev/i2c-N`  I2C master (fh_link_open_i2c())
 *   - `serial:/dev/X` or any other path: serial port / pty slave, termios
 *     raw 8N1, no flow control, @p baud bits per second
 *
 * @param spec  the port spec (NUL-terminated)
 * @param baud  serial speed in bits/s (a standard rate 1200..4000000);
 *              ignored for sockets
 * @param out   receives the link (close with fh_link_close())
 * @param m     optional message ("tcp:localhost:99: connect: Connection refused")
 * @return 0; FOTA_EINVAL (malformed spec, unsupported baud rate, path not a
 *         tty); FOTA_EIO (open/connect/tcsetattr failed); FOTA_ENOMEM.
 */
int fh_link_open(const char *spec, uint32_t baud, struct fh_link **out, struct fh_msg *m);

/**
 * SPI master transports (host/lib/link_spi.c, docs/SPI_ROM.md), the same
 * three operations over full-duplex transfers:
 *   - `spi-emu:PORT`  the rig's emulated SPI bus (fota-hil, link: spi):
 *     transfer requests/answers with the slave's READY line over PORT, any
 *     fh_link_open() spec but spi-emu (fota-hil passes `fd:3`, a socket)
 *   - `spidev:/dev/spidevB.C[@HZ]`  Linux spidev (mode 0, 8 bit, default
 *     1 MHz), polling with dummy bytes (no READY wire)
 * Errors as fh_link_open().
 */
int fh_link_open_spi(const char *spec, struct fh_link **out, struct fh_msg *m);

/**
 * One full-duplex SPI transfer on a link opened by fh_link_open_spi():
 * @p len bytes out on MOSI (NULL: 0x00 dummies), @p len bytes in on MISO
 * (@p miso may be NULL). For byte-level protocols (AN4286).
 * @return 0; FOTA_EINVAL (not an SPI link, @p len > 4096); FOTA_EIO
 *         (spidev ioctl failed); FOTA_ETIMEOUT (spi-emu: no answer in 2 s;
 *         it is skipped when it comes, before the next transfer);
 *         FOTA_EPROTO (spi-emu: malformed answer, or one cut short).
 */
int fh_link_spi_xfer(struct fh_link *l, const uint8_t *mosi, uint8_t *miso, size_t len);

/** Longest I2C transaction fh_link_i2c_xfer() carries, bytes. */
#define FH_I2C_MAX_LEN 1024u

/**
 * I2C master transports (host/lib/link_i2c.c, docs/I2C_ROM.md). They move
 * transactions, not a byte stream: the link's read and write operations
 * return FOTA_ENOTSUP; use fh_link_i2c_xfer().
 *   - `i2c-emu:PORT`  the rig's emulated I2C bus (fota-hil: `i2c-emu:fd:3`),
 *     requests and answers over PORT, any fh_link_open() spec but i2c-*
 *   - `i2c-dev:/dev/i2c-N`  Linux i2c-dev (I2C_RDWR); the adapter must do
 *     plain I2C (I2C_FUNC_I2C), not only SMBus
 * @return 0; FOTA_EINVAL (malformed spec); FOTA_EIO (open/connect or
 *         I2C_FUNCS failed); FOTA_ENOTSUP (an SMBus-only adapter);
 *         FOTA_ENOMEM.
 */
int fh_link_open_i2c(const char *spec, struct fh_link **out, struct fh_msg *m);

/**
 * One I2C transaction on a link from fh_link_open_i2c(): START, the 7-bit
 * @p addr with R/W, @p len bytes, STOP (the master ACKs every byte it
 * reads but the last).
 * @param rd     true: read @p len bytes into @p buf; false: write @p buf
 * @param len    write 0..FH_I2C_MAX_LEN (0 probes the address), read 1..
 * @param acked  optional: receives the data bytes the slave ACKed (a
 *               write cut short by a data NACK) or read
 * @return 0; FOTA_EBUSY (address NACKed: nobody there, or a busy slave);
 *         FOTA_EPROTO (a data byte NACKed; i2c-emu: a malformed answer,
 *         the stream is lost); FOTA_ETIMEOUT (i2c-emu: no answer within
 *         5 s, skipped when it comes; i2c-dev: bus timeout); FOTA_EINVAL
 *         (not an I2C link, @p addr > 0x7F, @p len out of range; i2c-emu:
 *         the rig called the request malformed); FOTA_EIO (i2c-dev ioctl
 *         failed otherwise); link errors of the i2c-emu stream
 *         (FOTA_ECONN, FOTA_EIO).
 */
int fh_link_i2c_xfer(struct fh_link *l, uint8_t addr, bool rd, uint8_t *buf, size_t len, size_t *acked);

/** Serial port or pty slave at @p path. Errors as fh_link_open(). */
int fh_link_open_serial(const char *path, uint32_t baud, struct fh_link **out, struct fh_msg *m);
/** Unix stream socket at @p path. Errors as fh_link_open(). */
int fh_link_open_unix(const char *path, struct fh_link **out, struct fh_msg *m);
/** TCP to @p host : @p port (decimal 1..65535). Errors as fh_link_open(). */
int fh_link_open_tcp(const char *host, const char *port, struct fh_link **out, struct fh_msg *m);

/**
 * Wrap an open descriptor (socketpair, pipe-like stream, pty). The link
 * takes ownership: fh_link_close() closes @p fd.
 * @return 0; FOTA_EINVAL (fd < 0); FOTA_ENOMEM.
 */
int fh_link_from_fd(int fd, const char *name, struct fh_link **out, struct fh_msg *m);

/** @see fh_link_ops.read */
static inline int fh_link_read(struct fh_link *l, void *buf, size_t cap, uint32_t timeout_ms, size_t *got)
{
    return l->ops->read(l, buf, cap, timeout_ms, got);
}
/** @see fh_link_ops.write */
static inline int fh_link_write(struct fh_link *l, const void *buf, size_t len)
{
    return l->ops->write(l, buf, len);
}
/** Close and free @p l (NULL is fine). */
static inline void fh_link_close(struct fh_link *l)
{
    if (l != NULL) {
        l->ops->close(l);
    }
}

#endif /* FOTAHOST_LINK_H */
