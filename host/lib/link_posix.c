/*
 * POSIX transports for the update link (fotahost/link.h): serial port or
 * pty slave (termios raw 8N1), Unix stream socket, TCP, and a wrapped fd.
 *
 * All of them share one implementation over a descriptor: poll() for the
 * read timeout, send(MSG_NOSIGNAL) on sockets so a closed peer is an
 * error code rather than SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include "fotahost/link.h"

struct fd_link {
    struct fh_link base; /* first: a struct fh_link * is a struct fd_link * */
    int is_socket;
    int is_tty;
};

static int fd_read(struct fh_link *l, void *buf, size_t cap, uint32_t timeout_ms, size_t *got)
{
    struct fd_link *f = (struct fd_link *)l;
    uint32_t start = fh_now_ms();

    *got = 0;
    if (cap == 0) {
        return 0;
    }
    for (;;) {
        struct pollfd p = { .fd = l->fd, .events = POLLIN, .revents = 0 };
        uint32_t spent = fh_now_ms() - start;
        int wait = spent >= timeout_ms ? 0 : (int)(timeout_ms - spent);
        int n = poll(&p, 1, wait);
        ssize_t r;

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return FOTA_EIO;
        }
        if (n == 0) {
            return 0; /* timeout */
        }
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
            return FOTA_EIO; /* POLLNVAL */
        }
        r = read(l->fd, buf, cap);
        if (r > 0) {
            *got = (size_t)r;
            return 0;
        }
        if (r == 0) {
            return FOTA_ECONN; /* EOF: socket peer closed, tty hung up */
        }
        if (errno == EINTR || errno == EAGAIN) {
            continue;
        }
        if ((f->is_tty && errno == EIO) || errno == ECONNRESET) {
            return FOTA_ECONN; /* Linux pty slave whose master went away */
        }
        return FOTA_EIO;
    }
}

static int fd_write(struct fh_link *l, const void *buf, size_t len)
{
    struct fd_link *f = (struct fd_link *)l;
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t r = f->is_socket ? send(l->fd, p, len, MSG_NOSIGNAL) : write(l->fd, p, len);

        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                struct pollfd q = { .fd = l->fd, .events = POLLOUT, .revents = 0 };

                (void)poll(&q, 1, 100);
                continue;
            }
            if (errno == EPIPE || errno == ECONNRESET || (f->is_tty && errno == EIO)) {
                return FOTA_ECONN;
            }
            return FOTA_EIO;
        }
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

static void fd_close(struct fh_link *l)
{
    if (l->fd >= 0) {
        (void)close(l->fd);
    }
    free(l);
}

static const struct fh_link_ops fd_ops = {
    .read = fd_read,
    .write = fd_write,
    .close = fd_close,
};

static int wrap(int fd, const char *name, struct fh_link **out, struct fh_msg *m)
{
    struct fd_link *f = calloc(1, sizeof(*f));
    struct stat st;

    if (f == NULL) {
        (void)close(fd);
        return fh_msg_set(m, FOTA_ENOMEM, "%s: out of memory", name);
    }
    f->base.ops = &fd_ops;
    f->base.fd = fd;
    (void)snprintf(f->base.name, sizeof(f->base.name), "%s", name);
    f->is_socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
    f->is_tty = isatty(fd);
    *out = &f->base;
    return 0;
}

int fh_link_from_fd(int fd, const char *name, struct fh_link **out, struct fh_msg *m)
{
    if (fd < 0 || out == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "link: bad descriptor");
    }
    return wrap(fd, name != NULL ? name : "fd", out, m);
}

/* termios speed constant for a rate in bits/s, B0 if not a standard rate. */
static speed_t baud_const(uint32_t baud)
{
    static const struct { uint32_t rate; speed_t code; } table[] = {
        { 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
        { 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 }, { 115200, B115200 },
        { 230400, B230400 }, { 460800, B460800 }, { 500000, B500000 }, { 576000, B576000 },
        { 921600, B921600 }, { 1000000, B1000000 }, { 1152000, B1152000 }, { 1500000, B1500000 },
        { 2000000, B2000000 }, { 2500000, B2500000 }, { 3000000, B3000000 }, { 3500000, B3500000 },
        { 4000000, B4000000 },
    };
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].rate == baud) {
            return table[i].code;
        }
    }
    return B0;
}

int fh_link_open_serial(const char *path, uint32_t baud, struct fh_link **out, struct fh_msg *m)
{
    struct termios t;
    speed_t sp = baud_const(baud);
    int fd;

    if (path == NULL || out == NULL || path[0] == '\0') {
        return fh_msg_set(m, FOTA_EINVAL, "serial: no path");
    }
    if (sp == B0) {
        return fh_msg_set(m, FOTA_EINVAL, "%s: unsupported baud rate %u (use a standard rate 1200..4000000)",
                          path, (unsigned)baud);
    }
    fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        return fh_msg_set(m, FOTA_EIO, "%s: %s", path, strerror(errno));
    }
    if (tcgetattr(fd, &t) != 0) {
        int e = errno;

        (void)close(fd);
        if (e == ENOTTY || e == EINVAL) {
            return fh_msg_set(m, FOTA_EINVAL, "%s: not a serial port or pty (use unix:PATH or tcp:HOST:PORT "
                              "for sockets)", path);
        }
        return fh_msg_set(m, FOTA_EIO, "%s: tcgetattr: %s", path, strerror(e));
    }
    /* Raw 8N1, no flow control, reads return what is there (VMIN = VTIME = 0;
     * the timeout comes from poll()). */
    cfmakeraw(&t);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, sp) != 0 || cfsetospeed(&t, sp) != 0 || tcsetattr(fd, TCSANOW, &t) != 0) {
        int e = errno;

        (void)close(fd);
        return fh_msg_set(m, FOTA_EIO, "%s: cannot set %u 8N1 raw: %s", path, (unsigned)baud, strerror(e));
    }
    (void)tcflush(fd, TCIFLUSH); /* stale bytes from before we opened it */
    return wrap(fd, path, out, m);
}

int fh_link_open_unix(const char *path, struct fh_link **out, struct fh_msg *m)
{
    struct sockaddr_un sa;
    int fd;

    if (path == NULL || out == NULL || path[0] == '\0') {
        return fh_msg_set(m, FOTA_EINVAL, "unix: no socket path (expected unix:/path)");
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        return fh_msg_set(m, FOTA_EINVAL, "unix:%s: path longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return fh_msg_set(m, FOTA_EIO, "unix:%s: socket: %s", path, strerror(errno));
    }
    if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;

        (void)close(fd);
        return fh_msg_set(m, FOTA_EIO, "unix:%s: connect: %s", path, strerror(e));
    }
    {
        char name[128];

        (void)snprintf(name, sizeof(name), "unix:%s", path);
        return wrap(fd, name, out, m);
    }
}

int fh_link_open_tcp(const char *host, const char *port, struct fh_link **out, struct fh_msg *m)
{
    struct addrinfo hints, *res = NULL, *ai;
    char *end = NULL;
    unsigned long pn;
    int fd = -1, e = 0, g;

    if (host == NULL || port == NULL || out == NULL || host[0] == '\0') {
        return fh_msg_set(m, FOTA_EINVAL, "tcp: expected tcp:HOST:PORT");
    }
    pn = strtoul(port, &end, 10);
    if (port[0] < '0' || port[0] > '9' || *end != '\0' || pn == 0 || pn > 65535) {
        return fh_msg_set(m, FOTA_EINVAL, "tcp:%s:%s: port must be 1..65535", host, port);
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) {
        return fh_msg_set(m, FOTA_EIO, "tcp:%s:%s: %s", host, port, gai_strerror(g));
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        e = errno;
        (void)close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        return fh_msg_set(m, FOTA_EIO, "tcp:%s:%s: connect: %s", host, port, strerror(e));
    }
    {
        int one = 1;

        /* Stop-and-wait: small frames must leave at once (no Nagle delay). */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    {
        char name[128];

        (void)snprintf(name, sizeof(name), "tcp:%s:%s", host, port);
        return wrap(fd, name, out, m);
    }
}

int fh_link_open(const char *spec, uint32_t baud, struct fh_link **out, struct fh_msg *m)
{
    if (spec == NULL || out == NULL || spec[0] == '\0') {
        return fh_msg_set(m, FOTA_EINVAL, "port: empty (expected a serial path, unix:PATH or tcp:HOST:PORT)");
    }
    if (strncmp(spec, "unix:", 5) == 0) {
        return fh_link_open_unix(spec + 5, out, m);
    }
    if (strncmp(spec, "fd:", 3) == 0) {
        char *end = NULL;
        long fd = strtol(spec + 3, &end, 10);
        if (end == spec + 3 || *end != '\0' || fd < 0 || fd > 65535 || fcntl((int)fd, F_GETFD) < 0) {
            return fh_msg_set(m, FOTA_EINVAL, "%s: expected fd:N, N an open descriptor", spec);
        }
        int dup_fd = fcntl((int)fd, F_DUPFD_CLOEXEC, 0); /* N stays open for the next open */
        if (dup_fd < 0) {
            return fh_msg_set(m, FOTA_EIO, "%s: dup: %s", spec, strerror(errno));
        }
        return wrap(dup_fd, spec, out, m);
    }
    if (strncmp(spec, "spi-emu:", 8) == 0 || strncmp(spec, "spidev:", 7) == 0) {
        return fh_link_open_spi(spec, out, m); /* link_spi.c */
    }
    if (strncmp(spec, "i2c-emu:", 8) == 0 || strncmp(spec, "i2c-dev:", 8) == 0) {
        return fh_link_open_i2c(spec, out, m); /* link_i2c.c */
    }
    if (strncmp(spec, "tcp:", 4) == 0) {
        char hp[256];
        char *colon;
        char *host = hp;

        if (strlen(spec + 4) >= sizeof(hp)) {
            return fh_msg_set(m, FOTA_EINVAL, "%s: too long", spec);
        }
        memcpy(hp, spec + 4, strlen(spec + 4) + 1);
        colon = strrchr(hp, ':');
        if (colon == NULL) {
            return fh_msg_set(m, FOTA_EINVAL, "%s: expected tcp:HOST:PORT", spec);
        }
        *colon = '\0';
        if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
            colon[-1] = '\0'; /* [v6addr]:port */
            host++;
        }
        return fh_link_open_tcp(host, colon + 1, out, m);
    }
    if (strncmp(spec, "serial:", 7) == 0) {
        return fh_link_open_serial(spec + 7, baud, out, m);
    }
    return fh_link_open_serial(spec, baud, out, m);
}
