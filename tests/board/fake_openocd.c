/**
 * @file fake_openocd.c
 * @brief A stand-in for `openocd` at its real boundary (an executable the
 * harness finds on PATH or names in the profile's `debug.openocd`): it
 * checks the command line the board backend builds, listens on the
 * `gdb_port` it was given, and serves GDB RSP by proxying to the stand-in
 * board's QEMU gdbstub, doing itself what openocd does and QEMU cannot.
 *
 * Command line (as openocd 0.12, "Running" and "Server configuration" in
 * its User's Guide), checked in order: `-f` files must be known configs
 * (interface/stlink*.cfg first, then target/stm32f4x.cfg; otherwise
 * "Error: Can't find ..." and exit 1); `-c "adapter serial S"` after the
 * interface; `-c "gdb_port N"`; `-c "gdb_breakpoint_override hard"`
 * (required: the bootloader runs from flash, where a software breakpoint
 * cannot be written); `tcl_port`/`telnet_port disabled`. Anything else:
 * "fake-openocd: unexpected ..." and exit 2.
 *
 * Environment (the stand-in rig's wiring):
 *   FAKE_OPENOCD_TARGET  path of QEMU's gdbstub unix socket (required)
 *   FAKE_OPENOCD_STLINK  serials of the ST-LINKs on the bus, comma separated;
 *                        a given `adapter serial` not among them: "Error:
 *                        open failed", exit 1 (openocd 0.12's message)
 *   FAKE_OPENOCD_IDCODE  what DBGMCU_IDCODE (0xE0042000) reads, default
 *                        0x10076413 (STM32F407 rev 1: QEMU does not model it)
 *   FAKE_OPENOCD_HANG    set: never open the gdb port (an adapter stuck
 *                        waiting for the target voltage)
 *
 * RSP: packets from the harness are parsed; `qRcmd` (monitor), `vFlash*`,
 * `QStartNoAckMode` and reads of DBGMCU_IDCODE are answered here;
 * everything else (and Ctrl-C) is forwarded to QEMU, whose packets come
 * back re-framed. vFlashErase must cover whole STM32F4 sectors (RM0090
 * table 5), as openocd's flash_erase_address_range requires; vFlashWrite
 * data is buffered and written at vFlashDone (openocd's image buffering),
 * into the stand-in chip's memory with 'M' packets. Every vFlash packet and
 * the command line are logged on stdout (the harness's openocd.log).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define OCD_BUF 70000
#define OCD_FLASH_BASE 0x08000000u
#define OCD_FLASH_SIZE 0x00100000u
#define OCD_DBGMCU_IDCODE 0xE0042000u

struct side {
    int fd;
    uint8_t buf[OCD_BUF];
    size_t len;
};

static struct side host;   /* the harness */
static struct side chip;   /* QEMU's gdbstub */
static bool noack;         /* towards the harness */
static uint32_t idcode = 0x10076413u;
static uint8_t *pending;   /* vFlashWrite buffer, 1 MB, 0 = untouched */
static uint8_t *pending_set;
static bool erased[12];

static const char hexd[] = "0123456789abcdef";

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    exit(code);
}

static void put_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            exit(0); /* the harness went away */
        }
        b += w;
        n -= (size_t)w;
    }
}

/* Frame @p body (raw, already escaped) as $body#cc on @p fd. */
static void send_raw(int fd, const char *body, size_t n)
{
    static char out[OCD_BUF + 8];
    uint8_t sum = 0;
    out[0] = '$';
    for (size_t i = 0; i < n; i++) {
        sum = (uint8_t)(sum + (uint8_t)body[i]);
        out[1 + i] = body[i];
    }
    out[1 + n] = '#';
    out[2 + n] = hexd[sum >> 4];
    out[3 + n] = hexd[sum & 15];
    put_all(fd, out, n + 4);
}

static void reply(const char *s)
{
    send_raw(host.fd, s, strlen(s));
}

static int fill(struct side *s)
{
    ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
    if (n <= 0) {
        return -1;
    }
    s->len += (size_t)n;
    return 0;
}

static void consume(struct side *s, size_t n)
{
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
}

/*
 * Take the next item from @p s: a packet (raw body into @p body, returns
 * its length + 1), a Ctrl-C (returns -3), or nothing yet (0). Acks are
 * dropped.
 */
static long take(struct side *s, char *body, size_t cap)
{
    while (s->len > 0) {
        uint8_t c = s->buf[0];
        if (c == 0x03) {
            consume(s, 1);
            return -3;
        }
        if (c != '$') {
            consume(s, 1); /* '+', '-' (we never send bad checksums) */
            continue;
        }
        uint8_t *hash = memchr(s->buf, '#', s->len);
        if (hash == NULL || (size_t)(hash - s->buf) + 3 > s->len) {
            return 0;
        }
        size_t n = (size_t)(hash - s->buf) - 1;
        if (n >= cap) {
            die(2, "fake-openocd: packet of %zu bytes", n);
        }
        memcpy(body, s->buf + 1, n);
        body[n] = '\0';
        consume(s, n + 4);
        return (long)n + 1;
    }
    return 0;
}

/* One request to QEMU, wait for its (non-'O') reply; raw body into @p out. */
static size_t chip_transact(const char *req, size_t n, char *out, size_t cap)
{
    send_raw(chip.fd, req, n);
    for (;;) {
        long got = take(&chip, out, cap);
        if (got > 0) {
            return (size_t)got - 1;
        }
        if (fill(&chip) != 0) {
            die(1, "Error: target disconnected (QEMU's gdbstub closed)");
        }
    }
}

static int chip_write(uint32_t addr, const uint8_t *data, uint32_t len)
{
    static char req[4200];
    char ans[64];
    while (len > 0) {
        uint32_t n = len > 1024 ? 1024 : len;
        int l = snprintf(req, sizeof(req), "M%x,%x:", addr, n);
        for (uint32_t i = 0; i < n; i++) {
            req[l++] = hexd[data[i] >> 4];
            req[l++] = hexd[data[i] & 15];
        }
        size_t al = chip_transact(req, (size_t)l, ans, sizeof(ans));
        if (al != 2 || memcmp(ans, "OK", 2) != 0) {
            return -1;
        }
        addr += n;
        data += n;
        len -= n;
    }
    return 0;
}

/* STM32F4 1 MB: 4 x 16 KB, 64 KB, 7 x 128 KB (RM0090 table 5). */
static uint32_t sector_off(int s)
{
    return s < 4 ? (uint32_t)s * 0x4000u : s == 4 ? 0x10000u : 0x20000u * (uint32_t)(s - 4);
}

static int unhex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void vflash_erase(const char *args)
{
    unsigned long addr = 0, len = 0;
    if (sscanf(args, "%lx,%lx", &addr, &len) != 2) {
        reply("E01");
        return;
    }
    say("Info : vFlashErase 0x%08lx 0x%lx", addr, len);
    int first = -1, last = -1;
    for (int s = 0; s < 12; s++) {
        if (OCD_FLASH_BASE + sector_off(s) == addr) {
            first = s;
        }
        uint32_t end = s == 11 ? OCD_FLASH_SIZE : sector_off(s + 1);
        if (OCD_FLASH_BASE + end == addr + len) {
            last = s;
        }
    }
    if (first < 0 || last < first) {
        say("Error: flash sector erase: address range 0x%08lx .. 0x%08lx is not sector-aligned", addr,
            addr + len - 1);
        reply("E.memtype");
        return;
    }
    static uint8_t ff[0x20000];
    memset(ff, 0xFF, sizeof(ff));
    for (int s = first; s <= last; s++) {
        uint32_t size = (s == 11 ? OCD_FLASH_SIZE : sector_off(s + 1)) - sector_off(s);
        if (chip_write(OCD_FLASH_BASE + sector_off(s), ff, size) != 0) {
            reply("E03");
            return;
        }
        erased[s] = true;
    }
    reply("OK");
}

static void vflash_write(const char *raw, size_t n)
{
    /* raw = "ADDR:" + escaped binary */
    const char *colon = memchr(raw, ':', n);
    if (colon == NULL) {
        reply("E01");
        return;
    }
    unsigned long addr = strtoul(raw, NULL, 16);
    size_t dlen = 0;
    for (size_t i = (size_t)(colon - raw) + 1; i < n; i++) {
        uint8_t b = (uint8_t)raw[i];
        if (b == '}' && i + 1 < n) {
            b = (uint8_t)raw[++i] ^ 0x20u;
        }
        uint32_t off = (uint32_t)(addr - OCD_FLASH_BASE) + (uint32_t)dlen;
        if (addr < OCD_FLASH_BASE || off >= OCD_FLASH_SIZE) {
            say("Error: vFlashWrite 0x%08lx: not in flash", addr);
            reply("E.memtype");
            return;
        }
        pending[off] = b;
        pending_set[off] = 1;
        dlen++;
    }
    say("Info : vFlashWrite 0x%08lx %zu bytes", addr, dlen);
    reply("OK");
}

static void vflash_done(void)
{
    uint32_t total = 0;
    for (uint32_t off = 0; off < OCD_FLASH_SIZE;) {
        if (!pending_set[off]) {
            off++;
            continue;
        }
        uint32_t end = off;
        while (end < OCD_FLASH_SIZE && pending_set[end]) {
            end++;
        }
        int s = 11;
        while (sector_off(s) > off) {
            s--;
        }
        if (!erased[s]) {
            say("Error: vFlashDone: 0x%08x is in sector %d, not erased in this session", OCD_FLASH_BASE + off, s);
            reply("E04");
            return;
        }
        if (chip_write(OCD_FLASH_BASE + off, &pending[off], end - off) != 0) {
            reply("E03");
            return;
        }
        total += end - off;
        off = end;
    }
    memset(pending_set, 0, OCD_FLASH_SIZE);
    memset(erased, 0, sizeof(erased));
    say("Info : vFlashDone: wrote %u bytes", total);
    reply("OK");
}

static void monitor(const char *hex)
{
    char cmd[256];
    size_t n = 0;
    for (; hex[0] && hex[1] && n + 1 < sizeof(cmd); hex += 2) {
        cmd[n++] = (char)(unhex(hex[0]) << 4 | unhex(hex[1]));
    }
    cmd[n] = '\0';
    say("Info : monitor '%s'", cmd);
    if (strcmp(cmd, "reset halt") == 0) {
        /* The stand-in chip was started halted at its reset vector (QEMU -S). */
        const char *text = "target halted due to debug-request, current mode: Thread\n";
        char o[256] = "O";
        for (size_t i = 0; text[i] != '\0'; i++) {
            o[1 + 2 * i] = hexd[(uint8_t)text[i] >> 4];
            o[2 + 2 * i] = hexd[(uint8_t)text[i] & 15];
            o[3 + 2 * i] = '\0';
        }
        reply(o);
        reply("OK");
        return;
    }
    reply("E01");
}

/* Handle one packet from the harness. */
static void from_host(char *p, size_t n)
{
    if (!noack) {
        put_all(host.fd, "+", 1);
    }
    if (strcmp(p, "QStartNoAckMode") == 0) {
        reply("OK");
        noack = true;
        return;
    }
    if (strncmp(p, "qRcmd,", 6) == 0) {
        monitor(p + 6);
        return;
    }
    if (strncmp(p, "vFlashErase:", 12) == 0) {
        vflash_erase(p + 12);
        return;
    }
    if (strncmp(p, "vFlashWrite:", 12) == 0) {
        vflash_write(p + 12, n - 12);
        return;
    }
    if (strcmp(p, "vFlashDone") == 0) {
        vflash_done();
        return;
    }
    unsigned long a = 0, l = 0;
    if (p[0] == 'm' && sscanf(p + 1, "%lx,%lx", &a, &l) == 2 && a == OCD_DBGMCU_IDCODE && l <= 4) {
        char r[9];
        for (unsigned long i = 0; i < l; i++) {
            uint8_t b = (uint8_t)(idcode >> (8 * i));
            r[2 * i] = hexd[b >> 4];
            r[2 * i + 1] = hexd[b & 15];
        }
        r[2 * l] = '\0';
        reply(r);
        return;
    }
    if (p[0] == 'Z' && p[1] == '0') {
        p[1] = '1'; /* gdb_breakpoint_override hard */
    }
    send_raw(chip.fd, p, n);
}

static bool known_cfg(const char *f, bool *iface)
{
    static const char *const ifaces[] = { "interface/stlink.cfg", "interface/stlink-v2.cfg",
                                          "interface/stlink-v2-1.cfg", "interface/stlink-dap.cfg", NULL };
    for (int i = 0; ifaces[i] != NULL; i++) {
        if (strcmp(f, ifaces[i]) == 0) {
            *iface = true;
            return true;
        }
    }
    *iface = false;
    return strcmp(f, "target/stm32f4x.cfg") == 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("Open On-Chip Debugger (fake-openocd, tests/board/fake_openocd.c)\nInfo : argv:");
    for (int i = 1; i < argc; i++) {
        printf(" '%s'", argv[i]);
    }
    printf("\n");
    bool have_iface = false, have_target = false, bp_hard = false;
    const char *serial = NULL;
    long port = -1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc || (strcmp(argv[i], "-f") != 0 && strcmp(argv[i], "-c") != 0)) {
            die(2, "fake-openocd: unexpected argument '%s'", argv[i]);
        }
        const char *v = argv[++i];
        if (strcmp(argv[i - 1], "-f") == 0) {
            bool iface;
            if (!known_cfg(v, &iface)) {
                die(1, "Error: Can't find %s", v);
            }
            if (iface ? have_iface || have_target : !have_iface || have_target) {
                die(2, "fake-openocd: '%s' out of order (the interface config comes first, then the target)", v);
            }
            have_iface = have_iface || iface;
            have_target = have_target || !iface;
        } else if (strncmp(v, "adapter serial ", 15) == 0) {
            if (!have_iface || v[15] == '\0') {
                die(2, "fake-openocd: '%s' must follow the interface config and name a serial", v);
            }
            serial = v + 15;
        } else if (strncmp(v, "gdb_port ", 9) == 0) {
            char *end;
            port = strtol(v + 9, &end, 10);
            if (*end != '\0' || port <= 0 || port > 65535) {
                die(2, "fake-openocd: gdb_port wants a TCP port number, got '%s'", v + 9);
            }
        } else if (strcmp(v, "gdb_breakpoint_override hard") == 0) {
            bp_hard = true;
        } else if (strcmp(v, "tcl_port disabled") != 0 && strcmp(v, "telnet_port disabled") != 0) {
            die(2, "fake-openocd: unexpected command '%s'", v);
        }
    }
    if (!have_iface || !have_target) {
        die(2, "fake-openocd: needs an interface and a target config (-f)");
    }
    if (port < 0) {
        die(2, "fake-openocd: no 'gdb_port N': the harness could not know where to connect");
    }
    if (!bp_hard) {
        die(2, "fake-openocd: no 'gdb_breakpoint_override hard': breakpoints in flash would be software ones");
    }
    const char *stlinks = getenv("FAKE_OPENOCD_STLINK");
    if (serial != NULL && stlinks != NULL) {
        bool found = false;
        char list[512];
        snprintf(list, sizeof(list), "%s", stlinks);
        for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
            found = found || strcmp(tok, serial) == 0;
        }
        if (!found) {
            die(1, "Info : clock speed 2000 kHz\nError: open failed");
        }
    }
    if (getenv("FAKE_OPENOCD_IDCODE") != NULL) {
        idcode = (uint32_t)strtoul(getenv("FAKE_OPENOCD_IDCODE"), NULL, 0);
    }
    if (getenv("FAKE_OPENOCD_HANG") != NULL) {
        say("Info : STLINK V2J37S7 (API v2) VID:PID 0483:3748\nInfo : Target voltage: 0.000000");
        for (;;) {
            pause();
        }
    }
    const char *target = getenv("FAKE_OPENOCD_TARGET");
    if (target == NULL) {
        die(2, "fake-openocd: FAKE_OPENOCD_TARGET (QEMU's gdbstub socket) not set");
    }
    pending = calloc(1, OCD_FLASH_SIZE);
    pending_set = calloc(1, OCD_FLASH_SIZE);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (pending == NULL || pending_set == NULL || ls < 0 || bind(ls, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        listen(ls, 1) != 0) {
        die(1, "Error: couldn't bind gdb to socket on port %ld: %s", port, strerror(errno));
    }
    say("Info : Listening on port %ld for gdb connections", port);
    host.fd = accept(ls, NULL, NULL);
    if (host.fd < 0) {
        die(1, "Error: accept: %s", strerror(errno));
    }
    setsockopt(host.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* as openocd's server.c */
    say("Info : accepting 'gdb' connection on tcp/%ld", port);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", target);
    chip.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (chip.fd < 0 || connect(chip.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        die(1, "Error: the stand-in chip's gdbstub %s: %s", target, strerror(errno));
    }
    static char body[OCD_BUF];
    for (;;) {
        struct pollfd p[2] = { { .fd = host.fd, .events = POLLIN }, { .fd = chip.fd, .events = POLLIN } };
        if (poll(p, 2, -1) < 0) {
            continue;
        }
        if (p[0].revents != 0) {
            if (fill(&host) != 0) {
                say("Info : dropped 'gdb' connection");
                return 0;
            }
            long got;
            while ((got = take(&host, body, sizeof(body))) != 0) {
                if (got == -3) {
                    put_all(chip.fd, "\x03", 1);
                } else {
                    from_host(body, (size_t)got - 1);
                }
            }
        }
        if (p[1].revents != 0) {
            if (fill(&chip) != 0) {
                die(1, "Error: target disconnected (QEMU's gdbstub closed)");
            }
            long got;
            while ((got = take(&chip, body, sizeof(body))) != 0) {
                if (got > 0) {
                    send_raw(host.fd, body, (size_t)got - 1);
                }
            }
        }
    }
}
