/**
 * @file rsp.c
 * @brief GDB Remote Serial Protocol client (see rsp.h). Framing per the GDB
 * manual, appendix E.1 "Overview": `$data#cc`, cc = modulo-256 sum of
 * data as two hex digits; '+'/'-' acks until QStartNoAckMode; binary data
 * escaped as '}' followed by byte ^ 0x20; replies may be run-length
 * encoded as `c*n` (n - 29 more copies of c).
 */
#include "target/rsp.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fota/errors.h"
#include "target/cpuclock.h"

/* Largest packet we ever build or accept (data part). */
#define RSP_BUF_MAX 16384u
/* GDB's default assumption before qSupported answers. */
#define RSP_DEFAULT_PACKET 400u

struct hil_rsp {
    int fd;
    int timeout_ms;
    pid_t peer;            /* the stub's process: waits count its CPU time (cpuclock.h); 0 wall */
    bool noack;
    bool running;
    bool no_x;             /* 'X' answered empty: use 'M' */
    size_t pkt_max;
    uint8_t rx[RSP_BUF_MAX + 64];
    size_t rx_len;
    char tx[RSP_BUF_MAX + 8]; /* last framed packet, for '-' retransmission */
    size_t tx_len;
    char err[256];
    bool watch_seen;       /* a stop reply reported a watchpoint hit (hil_rsp_watch_seen) */
    uint32_t watch_addr;
    char hist[HIL_RSP_HISTORY][HIL_RSP_HISTORY_LINE]; /* last packets, for a diagnosis */
    unsigned hist_next;
};

/* Keep the start of a packet (@p dir '>' sent, '<' received) in the history. */
static void rsp_remember(struct hil_rsp *r, char dir, const void *data, size_t len)
{
    char *line = r->hist[r->hist_next++ % HIL_RSP_HISTORY];
    size_t keep = len < HIL_RSP_HISTORY_LINE - 24 ? len : HIL_RSP_HISTORY_LINE - 24;
    int n = snprintf(line, HIL_RSP_HISTORY_LINE, "%c %.*s", dir, (int)keep, (const char *)data);
    if (keep < len && n > 0) {
        snprintf(line + n, HIL_RSP_HISTORY_LINE - (size_t)n, "... (%zu bytes)", len);
    }
    for (char *c = line; *c != '\0'; c++) {
        *c = (*c < 0x20 || *c > 0x7e) ? '.' : *c;
    }
}

size_t hil_rsp_history(const struct hil_rsp *r, char *buf, size_t len)
{
    unsigned n = r->hist_next < HIL_RSP_HISTORY ? r->hist_next : HIL_RSP_HISTORY;
    size_t u = 0;
    if (len > 0) {
        buf[0] = '\0';
    }
    for (unsigned i = r->hist_next - n; i < r->hist_next && u < len; i++) {
        int w = snprintf(buf + u, len - u, "%s\n", r->hist[i % HIL_RSP_HISTORY]);
        u += w > 0 ? (size_t)w : 0;
    }
    return u < len ? u : len;
}

int hil_rsp_set_timeout(struct hil_rsp *r, int timeout_ms)
{
    int old = r->timeout_ms;
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : old;
    return old;
}

static const char rsp_hex[] = "0123456789abcdef";

static void rsp_seterr(struct hil_rsp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void rsp_seterr(struct hil_rsp *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
}

void hil_rsp_set_peer(struct hil_rsp *r, pid_t pid)
{
    r->peer = pid > 0 ? pid : 0;
}

/* A wait of @p ms for the stub (cpuclock.h). */
static void rsp_wait_begin(const struct hil_rsp *r, struct hil_cpuwait *w, int ms)
{
    hil_cpuwait_begin(w, r->peer, ms);
}

static int rsp_hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decode 2*n hex digits into n bytes. @return 0 or -1 on a bad digit. */
static int rsp_unhex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = rsp_hexval((unsigned char)s[2 * i]);
        int lo = rsp_hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int hil_rsp_open(int fd, int timeout_ms, struct hil_rsp **out)
{
    if (out == NULL || fd < 0 || timeout_ms <= 0) {
        if (fd >= 0) {
            close(fd);
        }
        return FOTA_EINVAL;
    }
    struct hil_rsp *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        close(fd);
        return FOTA_ENOMEM;
    }
    r->fd = fd;
    r->timeout_ms = timeout_ms;
    r->pkt_max = RSP_DEFAULT_PACKET;
    *out = r;
    return 0;
}

void hil_rsp_close(struct hil_rsp *r)
{
    if (r == NULL) {
        return;
    }
    if (r->fd >= 0) {
        close(r->fd);
    }
    free(r);
}

int hil_rsp_fd(const struct hil_rsp *r)
{
    return r->fd;
}

const char *hil_rsp_error(const struct hil_rsp *r)
{
    return r->err;
}

size_t hil_rsp_packet_size(const struct hil_rsp *r)
{
    return r->pkt_max;
}

bool hil_rsp_running(const struct hil_rsp *r)
{
    return r->running;
}

/* Write all of @p buf within the link's timeout (counted as rsp_wait_begin says). */
static int rsp_write_all(struct hil_rsp *r, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    struct hil_cpuwait w;
    rsp_wait_begin(r, &w, r->timeout_ms);
    while (len > 0) {
        ssize_t n = send(r->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            int e = errno;
            rsp_seterr(r, "gdb: send: %s", strerror(e));
            return (e == EPIPE || e == ECONNRESET) ? FOTA_ECONN : FOTA_EIO;
        }
        int left = hil_cpuwait_left(&w);
        if (left <= 0) {
            rsp_seterr(r, "gdb: send timed out");
            return FOTA_ETIMEOUT;
        }
        struct pollfd pfd = { .fd = r->fd, .events = POLLOUT };
        if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
            rsp_seterr(r, "gdb: poll: %s", strerror(errno));
            return FOTA_EIO;
        }
    }
    return 0;
}

/* Frame @p data (already escaped) as $data#cc and send it. */
static int rsp_send_packet(struct hil_rsp *r, const char *data, size_t len)
{
    if (len + 4 > sizeof(r->tx)) {
        rsp_seterr(r, "gdb: packet too long (%zu bytes)", len);
        return FOTA_EINVAL;
    }
    uint8_t sum = 0;
    r->tx[0] = '$';
    for (size_t i = 0; i < len; i++) {
        sum = (uint8_t)(sum + (uint8_t)data[i]);
        r->tx[1 + i] = data[i];
    }
    r->tx[1 + len] = '#';
    r->tx[2 + len] = rsp_hex[sum >> 4];
    r->tx[3 + len] = rsp_hex[sum & 15];
    r->tx_len = len + 4;
    rsp_remember(r, '>', data, len);
    return rsp_write_all(r, r->tx, r->tx_len);
}

/*
 * Read whatever the socket has (no waiting). @return 0; FOTA_ECONN on EOF;
 * FOTA_EIO on error or overflow.
 */
static int rsp_fill(struct hil_rsp *r)
{
    for (;;) {
        if (r->rx_len >= sizeof(r->rx)) {
            rsp_seterr(r, "gdb: reply longer than %zu bytes", sizeof(r->rx));
            return FOTA_EIO;
        }
        ssize_t n = recv(r->fd, r->rx + r->rx_len, sizeof(r->rx) - r->rx_len, MSG_DONTWAIT);
        if (n > 0) {
            r->rx_len += (size_t)n;
            continue;
        }
        if (n == 0) {
            rsp_seterr(r, "gdb: connection closed by the stub");
            return FOTA_ECONN;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        int e = errno;
        rsp_seterr(r, "gdb: recv: %s", strerror(e));
        return e == ECONNRESET ? FOTA_ECONN : FOTA_EIO;
    }
}

static void rsp_consume(struct hil_rsp *r, size_t n)
{
    memmove(r->rx, r->rx + n, r->rx_len - n);
    r->rx_len -= n;
}

/*
 * Decode a packet body of @p body bytes at @p in: escapes ('}' then byte
 * ^ 0x20) and run-length encoding ('*' then count + 29), GDB manual E.1.
 * Writes at most @p cap - 1 bytes and a NUL into @p out.
 * @return 0; -FOTA_EIO (bad run length).
 */
static int rsp_decode(struct hil_rsp *r, const uint8_t *in, size_t body, char *out, size_t cap, size_t *outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < body; i++) {
        uint8_t b = in[i];
        if (b == '}' && i + 1 < body) {
            b = in[++i] ^ 0x20u;
        } else if (b == '*' && i + 1 < body && n > 0) {
            int rep = (int)in[++i] - 29;
            if (rep < 0) {
                rsp_seterr(r, "gdb: malformed reply: bad run length");
                return -FOTA_EIO;
            }
            char prev = out[n - 1];
            for (int k = 0; k < rep && n + 1 < cap; k++) {
                out[n++] = prev;
            }
            continue;
        }
        if (n + 1 < cap) {
            out[n++] = (char)b;
        }
    }
    out[n] = '\0';
    if (outlen != NULL) {
        *outlen = n;
    }
    return 0;
}

/*
 * Take one packet out of the receive buffer if a whole one is there.
 * Skips acks, retransmits on a nak, checks the checksum and decodes
 * escapes and run-length encoding into @p out (NUL-terminated).
 * @return 1 packet taken; 0 need more bytes; <0 is -FOTA_E*.
 */
static int rsp_take_packet(struct hil_rsp *r, char *out, size_t cap, size_t *outlen)
{
    for (;;) {
        if (r->rx_len == 0) {
            return 0;
        }
        uint8_t c = r->rx[0];
        if (c == '+') {
            rsp_consume(r, 1);
            continue;
        }
        if (c == '-') {
            rsp_consume(r, 1);
            if (r->noack || r->tx_len == 0) {
                rsp_seterr(r, "gdb: unexpected nak");
                return -FOTA_EIO;
            }
            int rc = rsp_write_all(r, r->tx, r->tx_len);
            if (rc != 0) {
                return -rc;
            }
            continue;
        }
        if (c != '$') {
            rsp_seterr(r, "gdb: malformed reply: byte 0x%02x outside a packet", c);
            return -FOTA_EIO;
        }
        uint8_t *hash = memchr(r->rx, '#', r->rx_len);
        if (hash == NULL) {
            return 0;
        }
        size_t body = (size_t)(hash - r->rx) - 1;
        if (body + 4 > r->rx_len) {
            return 0; /* checksum digits not here yet */
        }
        uint8_t sum = 0;
        for (size_t i = 0; i < body; i++) {
            sum = (uint8_t)(sum + r->rx[1 + i]);
        }
        int hi = rsp_hexval(hash[1]);
        int lo = rsp_hexval(hash[2]);
        if (hi < 0 || lo < 0 || (uint8_t)(hi << 4 | lo) != sum) {
            rsp_consume(r, body + 4);
            if (!r->noack) {
                int rc = rsp_write_all(r, "-", 1);
                if (rc != 0) {
                    return -rc;
                }
                continue;
            }
            rsp_seterr(r, "gdb: malformed reply: bad checksum");
            return -FOTA_EIO;
        }
        rsp_remember(r, '<', r->rx + 1, body);
        int drc = rsp_decode(r, r->rx + 1, body, out, cap, outlen);
        if (drc != 0) {
            return drc;
        }
        rsp_consume(r, body + 4);
        if (!r->noack) {
            int rc = rsp_write_all(r, "+", 1);
            if (rc != 0) {
                return -rc;
            }
        }
        return 1;
    }
}

/* Wait for one packet until @p w is over. */
static int rsp_recv_packet(struct hil_rsp *r, char *out, size_t cap, size_t *outlen, const struct hil_cpuwait *w)
{
    for (;;) {
        int got = rsp_take_packet(r, out, cap, outlen);
        if (got < 0) {
            return -got;
        }
        if (got > 0) {
            return 0;
        }
        int left = hil_cpuwait_left(w);
        if (left <= 0) {
            rsp_seterr(r, "gdb: no reply in time (%d ms%s)", w->budget_ms, r->peer > 0 ? " of QEMU's CPU time" : "");
            return FOTA_ETIMEOUT;
        }
        struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
        int pr = poll(&pfd, 1, left);
        if (pr < 0 && errno != EINTR) {
            rsp_seterr(r, "gdb: poll: %s", strerror(errno));
            return FOTA_EIO;
        }
        if (pr > 0) {
            int rc = rsp_fill(r);
            if (rc != 0) {
                return rc;
            }
        }
    }
}

/* Send @p cmd (length @p len, already escaped) and receive the reply. */
static int rsp_transact(struct hil_rsp *r, const char *cmd, size_t len, char *reply, size_t cap,
                        size_t *rlen)
{
    if (r->running) {
        rsp_seterr(r, "gdb: target running; '%.1s' needs it stopped", cmd);
        return FOTA_EBUSY;
    }
    int rc = rsp_send_packet(r, cmd, len);
    if (rc != 0) {
        return rc;
    }
    struct hil_cpuwait w;
    rsp_wait_begin(r, &w, r->timeout_ms);
    return rsp_recv_packet(r, reply, cap, rlen, &w);
}

int hil_rsp_command(struct hil_rsp *r, const char *cmd, char *reply, size_t cap, size_t *len)
{
    if (cmd == NULL || reply == NULL || cap == 0) {
        return FOTA_EINVAL;
    }
    return rsp_transact(r, cmd, strlen(cmd), reply, cap, len);
}

/* Map an "OK" / "Exx" / "" reply to a return code. */
static int rsp_check_ok(struct hil_rsp *r, const char *what, const char *reply)
{
    if (strcmp(reply, "OK") == 0) {
        return 0;
    }
    if (reply[0] == '\0') {
        rsp_seterr(r, "gdb: %s: not supported by the stub", what);
        return FOTA_ENOTSUP;
    }
    if (reply[0] == 'E') {
        rsp_seterr(r, "gdb: %s: stub error %s", what, reply);
        return FOTA_EIO;
    }
    rsp_seterr(r, "gdb: %s: malformed reply \"%.40s\"", what, reply);
    return FOTA_EIO;
}

int hil_rsp_handshake(struct hil_rsp *r)
{
    char reply[RSP_BUF_MAX];
    int rc = hil_rsp_command(r, "qSupported:swbreak+;hwbreak+", reply, sizeof(reply), NULL);
    if (rc != 0) {
        return rc;
    }
    const char *ps = strstr(reply, "PacketSize=");
    if (ps != NULL) {
        unsigned long v = strtoul(ps + 11, NULL, 16);
        if (v >= 64) {
            r->pkt_max = v > RSP_BUF_MAX ? RSP_BUF_MAX : v;
        }
    }
    bool xml = strstr(reply, "qXfer:features:read+") != NULL;
    if (strstr(reply, "QStartNoAckMode+") != NULL) {
        rc = hil_rsp_command(r, "QStartNoAckMode", reply, sizeof(reply), NULL);
        if (rc != 0) {
            return rc;
        }
        if (strcmp(reply, "OK") == 0) {
            r->noack = true;
        }
    }
    if (xml) {
        /* Read the target description like GDB does: QEMU answers 'p'/'P'
         * only after that (gdb_has_xml), and it names the registers. */
        size_t off = 0;
        for (int i = 0; i < 64; i++) {
            char cmd[64];
            size_t rl;
            snprintf(cmd, sizeof(cmd), "qXfer:features:read:target.xml:%zx,%zx", off, r->pkt_max - 16);
            rc = hil_rsp_command(r, cmd, reply, sizeof(reply), &rl);
            if (rc != 0) {
                return rc;
            }
            if (rl == 0 || (reply[0] != 'l' && reply[0] != 'm')) {
                rsp_seterr(r, "gdb: qXfer target.xml: malformed reply \"%.40s\"", reply);
                return FOTA_EIO;
            }
            if (reply[0] == 'l') {
                break;
            }
            off += rl - 1;
        }
    }
    return 0;
}

int hil_rsp_read_mem(struct hil_rsp *r, uint32_t addr, void *buf, uint32_t len)
{
    char cmd[40];
    char reply[RSP_BUF_MAX];
    uint8_t *dst = buf;
    /* The reply carries 2 hex digits per byte. */
    uint32_t chunk = (uint32_t)((r->pkt_max - 8) / 2);
    while (len > 0) {
        uint32_t n = len < chunk ? len : chunk;
        int cl = snprintf(cmd, sizeof(cmd), "m%x,%x", addr, n);
        size_t rl;
        int rc = rsp_transact(r, cmd, (size_t)cl, reply, sizeof(reply), &rl);
        if (rc != 0) {
            return rc;
        }
        if (reply[0] == 'E' && rl == 3) {
            rsp_seterr(r, "gdb: read 0x%08x+%u: stub error %s", addr, n, reply);
            return FOTA_EIO;
        }
        if (rl != 2u * n || rsp_unhex(reply, dst, n) != 0) {
            rsp_seterr(r, "gdb: read 0x%08x+%u: malformed reply \"%.40s\"", addr, n, reply);
            return FOTA_EIO;
        }
        dst += n;
        addr += n;
        len -= n;
    }
    return 0;
}

static int rsp_write_mem_hex(struct hil_rsp *r, uint32_t addr, const uint8_t *src, uint32_t len)
{
    char cmd[RSP_BUF_MAX];
    char reply[64];
    uint32_t chunk = (uint32_t)((r->pkt_max - 32) / 2);
    while (len > 0) {
        uint32_t n = len < chunk ? len : chunk;
        int cl = snprintf(cmd, sizeof(cmd), "M%x,%x:", addr, n);
        for (uint32_t i = 0; i < n; i++) {
            cmd[cl++] = rsp_hex[src[i] >> 4];
            cmd[cl++] = rsp_hex[src[i] & 15];
        }
        int rc = rsp_transact(r, cmd, (size_t)cl, reply, sizeof(reply), NULL);
        if (rc == 0) {
            rc = rsp_check_ok(r, "write memory (M)", reply);
        }
        if (rc != 0) {
            return rc;
        }
        src += n;
        addr += n;
        len -= n;
    }
    return 0;
}

int hil_rsp_write_mem(struct hil_rsp *r, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *src = buf;
    if (r->no_x) {
        return rsp_write_mem_hex(r, addr, src, len);
    }
    char cmd[RSP_BUF_MAX];
    char reply[64];
    size_t limit = r->pkt_max - 2; /* an escape takes 2 bytes */
    while (len > 0) {
        /* Header with a placeholder length, patched once we know n. */
        uint32_t n = 0;
        char body[RSP_BUF_MAX];
        size_t bl = 0;
        size_t hdr_max = 1 + 8 + 1 + 8 + 1;
        while (n < len && hdr_max + bl + 2 <= limit) {
            uint8_t b = src[n];
            if (b == '#' || b == '$' || b == '}' || b == '*') {
                body[bl++] = '}';
                body[bl++] = (char)(b ^ 0x20u);
            } else {
                body[bl++] = (char)b;
            }
            n++;
        }
        int cl = snprintf(cmd, sizeof(cmd), "X%x,%x:", addr, n);
        memcpy(cmd + cl, body, bl);
        int rc = rsp_transact(r, cmd, (size_t)cl + bl, reply, sizeof(reply), NULL);
        if (rc != 0) {
            return rc;
        }
        if (reply[0] == '\0') {
            r->no_x = true; /* not supported: hex from now on */
            return rsp_write_mem_hex(r, addr, src, len);
        }
        rc = rsp_check_ok(r, "write memory (X)", reply);
        if (rc != 0) {
            return rc;
        }
        src += n;
        addr += n;
        len -= n;
    }
    return 0;
}

static uint32_t rsp_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int hil_rsp_read_core_regs(struct hil_rsp *r, uint32_t regs[16])
{
    char reply[RSP_BUF_MAX];
    size_t rl;
    int rc = rsp_transact(r, "g", 1, reply, sizeof(reply), &rl);
    if (rc != 0) {
        return rc;
    }
    uint8_t raw[64];
    if (rl < 128 || rsp_unhex(reply, raw, sizeof(raw)) != 0) {
        rsp_seterr(r, "gdb: g: malformed reply \"%.40s\"", reply);
        return FOTA_EIO;
    }
    for (int i = 0; i < 16; i++) {
        regs[i] = rsp_le32(&raw[4 * i]);
    }
    return 0;
}

int hil_rsp_read_reg(struct hil_rsp *r, unsigned regno, uint32_t *val)
{
    char cmd[16];
    char reply[128];
    size_t rl;
    int cl = snprintf(cmd, sizeof(cmd), "p%x", regno);
    int rc = rsp_transact(r, cmd, (size_t)cl, reply, sizeof(reply), &rl);
    if (rc != 0) {
        return rc;
    }
    uint8_t raw[4];
    if (rl != 8 || rsp_unhex(reply, raw, 4) != 0) {
        rsp_seterr(r, "gdb: p%x: malformed reply \"%.40s\"", regno, reply);
        return FOTA_EIO;
    }
    *val = rsp_le32(raw);
    return 0;
}

int hil_rsp_write_reg(struct hil_rsp *r, unsigned regno, uint32_t val)
{
    char cmd[32];
    char reply[64];
    int cl = snprintf(cmd, sizeof(cmd), "P%x=", regno);
    for (int i = 0; i < 4; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        cmd[cl++] = rsp_hex[b >> 4];
        cmd[cl++] = rsp_hex[b & 15];
    }
    int rc = rsp_transact(r, cmd, (size_t)cl, reply, sizeof(reply), NULL);
    if (rc != 0) {
        return rc;
    }
    return rsp_check_ok(r, "write register (P)", reply);
}

/* Z/z packet of @p type (0 breakpoint, 4 access watchpoint). */
static int rsp_z(struct hil_rsp *r, bool insert, unsigned type, uint32_t addr, uint32_t kind, const char *what)
{
    char cmd[40];
    char reply[64];
    char op[48];
    int cl = snprintf(cmd, sizeof(cmd), "%c%u,%x,%x", insert ? 'Z' : 'z', type, addr, kind);
    int rc = rsp_transact(r, cmd, (size_t)cl, reply, sizeof(reply), NULL);
    if (rc != 0) {
        return rc;
    }
    snprintf(op, sizeof(op), "%s %s (%c%u)", insert ? "insert" : "remove", what, insert ? 'Z' : 'z', type);
    return rsp_check_ok(r, op, reply);
}

int hil_rsp_breakpoint(struct hil_rsp *r, bool insert, uint32_t addr, unsigned kind)
{
    return rsp_z(r, insert, 0, addr, kind, "breakpoint");
}

int hil_rsp_watchpoint(struct hil_rsp *r, bool insert, uint32_t addr, uint32_t len)
{
    return rsp_z(r, insert, 4, addr, len, "watchpoint");
}

/* A 'T' reply's "n:r;" pairs: a watchpoint's (watch, rwatch, awatch) into @p stop. */
static void rsp_parse_watch(const char *p, size_t len, struct hil_rsp_stop *stop)
{
    static const char *const keys[] = { "watch:", "rwatch:", "awatch:" };
    size_t i = 3; /* after "Tss" */
    while (i < len) {
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            size_t kl = strlen(keys[k]);
            if (len - i > kl && memcmp(p + i, keys[k], kl) == 0) {
                uint32_t a = 0;
                size_t j = i + kl;
                int digits = 0;
                for (; j < len && isxdigit((unsigned char)p[j]) && digits < 16; j++, digits++) {
                    a = (a << 4) | (uint32_t)(isdigit((unsigned char)p[j]) ? p[j] - '0' : (p[j] | 0x20) - 'a' + 10);
                }
                stop->watch = digits > 0;
                stop->watch_addr = a;
            }
        }
        const char *semi = memchr(p + i, ';', len - i);
        if (semi == NULL) {
            break;
        }
        i = (size_t)(semi - p) + 1;
    }
}

bool hil_rsp_watch_seen(const struct hil_rsp *r, uint32_t *addr)
{
    if (r != NULL && r->watch_seen && addr != NULL) {
        *addr = r->watch_addr;
    }
    return r != NULL && r->watch_seen;
}

/* Parse a stop reply. @return 1 stop; 0 an 'O' packet to skip; -FOTA_EIO malformed. */
static int rsp_parse_stop(struct hil_rsp *r, const char *p, size_t len, struct hil_rsp_stop *stop)
{
    if (len >= 1 && p[0] == 'O' && len > 1 && strncmp(p, "OK", 2) != 0) {
        return 0; /* console output from the stub */
    }
    if (len >= 3 && (p[0] == 'T' || p[0] == 'S' || p[0] == 'X' || p[0] == 'W')) {
        uint8_t code;
        if (rsp_unhex(p + 1, &code, 1) == 0) {
            stop->type = p[0];
            stop->code = code;
            stop->watch = false;
            stop->watch_addr = 0;
            if (p[0] == 'T') {
                rsp_parse_watch(p, len, stop);
            }
            if (stop->watch && !r->watch_seen) {
                r->watch_seen = true; /* also when a step's caller looks only at the pc */
                r->watch_addr = stop->watch_addr;
            }
            return 1;
        }
    }
    rsp_seterr(r, "gdb: malformed stop reply \"%.40s\"", p);
    return -FOTA_EIO;
}

int hil_rsp_query_stop(struct hil_rsp *r, struct hil_rsp_stop *stop)
{
    char reply[1024];
    size_t rl;
    int rc = rsp_transact(r, "?", 1, reply, sizeof(reply), &rl);
    if (rc != 0) {
        return rc;
    }
    return rsp_parse_stop(r, reply, rl, stop) == 1 ? 0 : FOTA_EIO;
}

int hil_rsp_cont_send(struct hil_rsp *r)
{
    if (r->running) {
        rsp_seterr(r, "gdb: continue: already running");
        return FOTA_EBUSY;
    }
    int rc = rsp_send_packet(r, "c", 1);
    if (rc == 0) {
        r->running = true;
    }
    return rc;
}

/* Take stop replies out of the buffer (not reading the socket). */
static int rsp_take_stop(struct hil_rsp *r, struct hil_rsp_stop *stop, bool *got)
{
    char pkt[RSP_BUF_MAX];
    size_t pl;
    *got = false;
    for (;;) {
        int t = rsp_take_packet(r, pkt, sizeof(pkt), &pl);
        if (t < 0) {
            return -t;
        }
        if (t == 0) {
            return 0;
        }
        int s = rsp_parse_stop(r, pkt, pl, stop);
        if (s < 0) {
            return -s;
        }
        if (s == 1) {
            r->running = false;
            *got = true;
            return 0;
        }
    }
}

int hil_rsp_poll_stop(struct hil_rsp *r, struct hil_rsp_stop *stop, bool *got)
{
    *got = false;
    if (!r->running) {
        rsp_seterr(r, "gdb: no stop reply expected (not running)");
        return FOTA_EBUSY;
    }
    int rc = rsp_fill(r);
    int trc = rsp_take_stop(r, stop, got);
    if (trc != 0 || *got) {
        return trc;
    }
    return rc; /* FOTA_ECONN after the last bytes were consumed */
}

int hil_rsp_wait_stop(struct hil_rsp *r, struct hil_rsp_stop *stop, int timeout_ms)
{
    if (!r->running) {
        rsp_seterr(r, "gdb: no stop reply expected (not running)");
        return FOTA_EBUSY;
    }
    struct hil_cpuwait w;
    rsp_wait_begin(r, &w, timeout_ms);
    for (;;) {
        bool got;
        int rc = rsp_take_stop(r, stop, &got);
        if (rc != 0 || got) {
            return rc;
        }
        int left = hil_cpuwait_left(&w);
        if (left <= 0) {
            rsp_seterr(r, "gdb: no stop reply in %d ms%s", timeout_ms, r->peer > 0 ? " of QEMU's CPU time" : "");
            return FOTA_ETIMEOUT;
        }
        struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
        int pr = poll(&pfd, 1, left);
        if (pr < 0 && errno != EINTR) {
            rsp_seterr(r, "gdb: poll: %s", strerror(errno));
            return FOTA_EIO;
        }
        if (pr > 0) {
            rc = rsp_fill(r);
            if (rc != 0) {
                bool got2;
                int trc = rsp_take_stop(r, stop, &got2);
                return (trc == 0 && got2) ? 0 : rc;
            }
        }
    }
}

int hil_rsp_interrupt(struct hil_rsp *r, struct hil_rsp_stop *stop)
{
    if (!r->running) {
        rsp_seterr(r, "gdb: interrupt: not running");
        return FOTA_EBUSY;
    }
    rsp_remember(r, '>', "^C (interrupt)", 14);
    int rc = rsp_write_all(r, "\x03", 1);
    if (rc != 0) {
        return rc;
    }
    return hil_rsp_wait_stop(r, stop, r->timeout_ms);
}

int hil_rsp_step(struct hil_rsp *r, struct hil_rsp_stop *stop)
{
    if (r->running) {
        rsp_seterr(r, "gdb: step: target running");
        return FOTA_EBUSY;
    }
    int rc = rsp_send_packet(r, "s", 1);
    if (rc != 0) {
        return rc;
    }
    r->running = true;
    return hil_rsp_wait_stop(r, stop, r->timeout_ms);
}

/* ---- monitor commands and flash programming (board backend) ---- */

int hil_rsp_monitor(struct hil_rsp *r, const char *cmd, char *out, size_t cap)
{
    char pkt[1024];
    char reply[RSP_BUF_MAX];
    size_t n = (size_t)snprintf(pkt, sizeof(pkt), "qRcmd,");
    for (const char *c = cmd; *c != '\0' && n + 2 < sizeof(pkt); c++) {
        pkt[n++] = rsp_hex[(uint8_t)*c >> 4];
        pkt[n++] = rsp_hex[(uint8_t)*c & 15];
    }
    size_t used = 0;
    if (out != NULL && cap > 0) {
        out[0] = '\0';
    }
    int rc = rsp_transact(r, pkt, n, reply, sizeof(reply), NULL);
    struct hil_cpuwait w;
    rsp_wait_begin(r, &w, r->timeout_ms);
    /* Console output comes as 'O' packets before the final reply. */
    while (rc == 0 && reply[0] == 'O' && strcmp(reply, "OK") != 0) {
        size_t hl = strlen(reply + 1) / 2;
        uint8_t text[RSP_BUF_MAX / 2];
        if (out != NULL && rsp_unhex(reply + 1, text, hl) == 0) {
            for (size_t i = 0; i < hl && used + 1 < cap; i++) {
                out[used++] = (char)text[i];
            }
            out[used] = '\0';
        }
        rc = rsp_recv_packet(r, reply, sizeof(reply), NULL, &w);
    }
    if (rc != 0) {
        return rc;
    }
    return rsp_check_ok(r, "monitor command", reply);
}

int hil_rsp_flash_erase(struct hil_rsp *r, uint32_t addr, uint32_t len)
{
    char cmd[64];
    char reply[64];
    int cl = snprintf(cmd, sizeof(cmd), "vFlashErase:%x,%x", addr, len);
    int rc = rsp_transact(r, cmd, (size_t)cl, reply, sizeof(reply), NULL);
    return rc != 0 ? rc : rsp_check_ok(r, "vFlashErase", reply);
}

int hil_rsp_flash_write(struct hil_rsp *r, uint32_t addr, const void *buf, uint32_t len)
{
    const uint8_t *src = buf;
    char cmd[RSP_BUF_MAX];
    char reply[64];
    size_t limit = r->pkt_max - 2;
    while (len > 0) {
        int cl = snprintf(cmd, sizeof(cmd), "vFlashWrite:%x:", addr);
        size_t bl = (size_t)cl;
        uint32_t n = 0;
        while (n < len && bl + 2 <= limit) {
            uint8_t b = src[n];
            if (b == '#' || b == '$' || b == '}' || b == '*') {
                cmd[bl++] = '}';
                cmd[bl++] = (char)(b ^ 0x20u);
            } else {
                cmd[bl++] = (char)b;
            }
            n++;
        }
        int rc = rsp_transact(r, cmd, bl, reply, sizeof(reply), NULL);
        if (rc == 0) {
            rc = rsp_check_ok(r, "vFlashWrite", reply);
        }
        if (rc != 0) {
            return rc;
        }
        src += n;
        addr += n;
        len -= n;
    }
    return 0;
}

int hil_rsp_flash_done(struct hil_rsp *r)
{
    char reply[64];
    int rc = rsp_transact(r, "vFlashDone", 10, reply, sizeof(reply), NULL);
    return rc != 0 ? rc : rsp_check_ok(r, "vFlashDone", reply);
}
