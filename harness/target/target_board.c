/**
 * @file target_board.c
 * @brief The real-board target backend (target_board.h).
 *
 * Power-on sequence: BOOT0 as chosen, NRST released, supply on, settle,
 * ttys opened (once; kept across power cycles like a USB serial adapter),
 * openocd started (or an external gdbserver reached), RSP handshake,
 * `monitor reset halt` (ignored where the stub has no monitor), the
 * initial flash programmed if asked, breakpoints set, continue.
 *
 * Breakpoints (all on the bootloader's symbols; four of the six FPB
 * comparators of the Cortex-M4, ARM DDI 0403 C1.11): port_flash_erase_sector,
 * port_flash_program, port_jump, Reset_Handler. openocd is told
 * `gdb_breakpoint_override hard`: code runs from flash, where a software
 * breakpoint cannot be written.
 *
 * Sources: RM0090 rev 19 (3 flash, 38.6.1 DBGMCU_IDCODE); ARMv7-M ARM
 * B3.2.6 AIRCR (SYSRESETREQ, VECTKEY 0x05FA); GDB manual appendix E; the
 * openocd User's Guide ("GDB and OpenOCD": gdb_port, gdb_breakpoint_override,
 * "adapter serial"; vFlash* packets).
 */
#include "target/target_board.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "target/child.h"
#include "fota/errors.h"
#include "fota/layout.h"
#include "target/gpio.h"
#include "target/power.h"
#include "target/rsp.h"
#include "target/rsp_target.h"

#define BOARD_RSP_MS       5000   /* one GDB request/reply */
#define BOARD_NRST_PULSE_MS 20    /* NRST low time for a reset (RM0090 6.1.2 needs > 20 us) */
/* After a cut: console bytes still in flight (tty, USB-serial latency).
 * A pty hands bytes to its reader from a kernel work item; on a loaded
 * 2-core machine that was later than 50 ms, and target_board-test lost
 * the chip's last line before the cut. A line lost here is evidence lost,
 * so the quiet time is generous; the grace bounds a chattering chip. */
#define BOARD_CON_QUIET_MS 300
#define BOARD_CON_GRACE_MS 2000
#define BOARD_AIRCR        0xE000ED0Cu
#define BOARD_AIRCR_RESET  0x05FA0004u /* VECTKEY | SYSRESETREQ */
#define BOARD_DBGMCU_IDCODE 0xE0042000u /* RM0090 38.6.1; DEV_ID = bits 11:0 */

struct board_target {
    struct hil_rsp_target c; /* first: the runner holds &c.base */
    const struct hil_board_profile *p;
    char *workdir;

    struct hil_power *power;
    struct hil_gpio *nrst;
    struct hil_gpio *boot0;
    pid_t ocd_pid;

    bool program_pending;
    int64_t off_at_ms;
    uint32_t cuts;

    char err[512];
    char detail[1200];
};

static const struct hil_target_ops board_ops;

static void board_sleep_us(uint64_t us)
{
    struct timespec ts = { .tv_sec = (time_t)(us / 1000000u), .tv_nsec = (long)(us % 1000000u) * 1000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int board_fail(struct board_target *b, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int board_fail(struct board_target *b, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, sizeof(b->err), fmt, ap);
    va_end(ap);
    hil_rspt_log(&b->c, "%s", b->err);
    return rc;
}

/* ---- ttys ---- */

static speed_t board_baud(uint32_t baud)
{
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 2000000: return B2000000;
    case 3000000: return B3000000;
    case 4000000: return B4000000;
    default: return B115200;
    }
}

/* Open a tty raw, 8N1, non-blocking. @return fd or -1 with b->err set. */
static int board_open_tty(struct board_target *b, const struct hil_tty_spec *t, const char *what)
{
    int fd = open(t->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        board_fail(b, FOTA_EIO, "%s tty %s: %s", what, t->path, strerror(errno));
        return -1;
    }
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0) {
        board_fail(b, FOTA_EIO, "%s %s is not a tty: %s", what, t->path, strerror(errno));
        close(fd);
        return -1;
    }
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(CSTOPB | CRTSCTS);
    cfsetispeed(&tio, board_baud(t->baud));
    cfsetospeed(&tio, board_baud(t->baud));
    if (tcsetattr(fd, TCSANOW, &tio) != 0) {
        board_fail(b, FOTA_EIO, "%s %s: tcsetattr: %s", what, t->path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Drain the console until it has been quiet for BOARD_CON_QUIET_MS (at
 * most BOARD_CON_GRACE_MS): bytes the chip sent before a cut may still be
 * in the tty layer or a USB-serial adapter. */
static void board_console_settle(struct board_target *b)
{
    int64_t end = hil_rspt_now_ms() + BOARD_CON_GRACE_MS;
    while (b->c.con_fd >= 0 && hil_rspt_now_ms() < end) {
        struct pollfd pfd = { .fd = b->c.con_fd, .events = POLLIN };
        if (poll(&pfd, 1, BOARD_CON_QUIET_MS) <= 0) {
            return;
        }
        hil_rspt_console_drain(&b->c);
    }
}

/* ---- gdbserver ---- */

static void board_stop_openocd(struct board_target *b)
{
    if (b->ocd_pid > 0) {
        kill(b->ocd_pid, SIGTERM);
        int st;
        int64_t deadline = hil_rspt_now_ms() + 2000;
        while (waitpid(b->ocd_pid, &st, WNOHANG) == 0) {
            if (hil_rspt_now_ms() >= deadline) {
                kill(b->ocd_pid, SIGKILL);
                waitpid(b->ocd_pid, &st, 0);
                break;
            }
            board_sleep_us(5000);
        }
        b->ocd_pid = -1;
    }
}

static int board_start_openocd(struct board_target *b)
{
    const struct hil_board_profile *p = b->p;
    const char *port = strrchr(p->debug.address, ':') + 1;
    char gdb_port[64], serial[160], log[4096];
    snprintf(gdb_port, sizeof(gdb_port), "gdb_port %s", port);
    snprintf(serial, sizeof(serial), "adapter serial %s", p->debug.stlink_serial ? p->debug.stlink_serial : "");
    snprintf(log, sizeof(log), "%s/openocd.log", b->workdir);
    const char *argv[48];
    int n = 0;
    argv[n++] = p->debug.openocd;
    for (int i = 0; i < p->debug.nconfig && n < 36; i++) {
        argv[n++] = "-f";
        argv[n++] = p->debug.config[i];
        /* The adapter serial must be set after the interface config. */
        if (i == 0 && p->debug.stlink_serial != NULL) {
            argv[n++] = "-c";
            argv[n++] = serial;
        }
    }
    argv[n++] = "-c";
    argv[n++] = gdb_port;
    argv[n++] = "-c";
    argv[n++] = "gdb_breakpoint_override hard";
    argv[n++] = "-c";
    argv[n++] = "tcl_port disabled";
    argv[n++] = "-c";
    argv[n++] = "telnet_port disabled";
    argv[n] = NULL;
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int rc = hil_child_spawn(argv, NULL, logfd, true, &b->ocd_pid);
    if (logfd >= 0) {
        close(logfd);
    }
    return rc != 0 ? board_fail(b, rc, "fork: %s", strerror(errno)) : 0;
}

/* The last line of openocd.log that says "Error" (else its last line). */
static void board_ocd_last_error(const struct board_target *b, char *out, size_t len)
{
    char path[4096], line[256];
    if (len == 0) {
        return;
    }
    snprintf(path, sizeof(path), "%s/openocd.log", b->workdir);
    snprintf(out, len, "no output");
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    bool error_seen = false;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        bool is_error = strstr(line, "Error") != NULL || strstr(line, "error") != NULL;
        if (line[0] != '\0' && (is_error || !error_seen)) {
            /* Truncating a long log line to the caller's buffer is intended. */
            size_t n = strlen(line);
            n = n < len ? n : len - 1;
            memcpy(out, line, n);
            out[n] = '\0';
            error_seen = error_seen || is_error;
        }
    }
    fclose(f);
}

/* One connect attempt to "HOST:PORT" or "unix:PATH". @return fd or -1. */
static int board_connect_once(const char *address)
{
    if (strncmp(address, "unix:", 5) == 0) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(address + 5) >= sizeof(sa.sun_path)) {
            errno = ENAMETOOLONG;
            return -1;
        }
        strcpy(sa.sun_path, address + 5);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            close(fd);
            fd = -1;
        }
        return fd;
    }
    char host[256];
    const char *colon = strrchr(address, ':');
    snprintf(host, sizeof(host), "%.*s", (int)(colon - address), address);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        errno = EHOSTUNREACH;
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
        if (fd >= 0) {
            /* One small packet per request, as GDB: without this, Nagle
             * and delayed ACKs add ~40 ms to every round trip. */
            int one = 1;
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Reach the gdbserver (starting openocd if ours), handshake, halt. */
static int board_debug_up(struct board_target *b)
{
    const struct hil_board_profile *p = b->p;
    if (p->debug.server == HIL_GDBSERVER_OPENOCD) {
        int rc = board_start_openocd(b);
        if (rc != 0) {
            return rc;
        }
    }
    int64_t deadline = hil_rspt_now_ms() + p->debug.connect_ms;
    int fd;
    int last_errno = 0;
    while ((fd = board_connect_once(p->debug.address)) < 0) {
        last_errno = errno;
        int st;
        if (b->ocd_pid > 0 && waitpid(b->ocd_pid, &st, WNOHANG) == b->ocd_pid) {
            b->ocd_pid = -1;
            char last[200];
            board_ocd_last_error(b, last, sizeof(last));
            return board_fail(b, FOTA_EIO, "openocd exited (status %d) before serving %s: \"%s\"; see %s/openocd.log",
                              WIFEXITED(st) ? WEXITSTATUS(st) : -1, p->debug.address, last, b->workdir);
        }
        if (hil_rspt_now_ms() >= deadline) {
            char last[240] = "";
            if (b->ocd_pid > 0) {
                char l[180];
                board_ocd_last_error(b, l, sizeof(l));
                snprintf(last, sizeof(last), " (openocd running, never served it; its log ends \"%.150s\")", l);
            }
            return board_fail(b, FOTA_ETIMEOUT, "gdbserver %s not reachable within %u ms: %s%s", p->debug.address,
                              p->debug.connect_ms, strerror(last_errno), last);
        }
        board_sleep_us(2000);
    }
    int rc = hil_rsp_open(fd, BOARD_RSP_MS, &b->c.rsp);
    if (rc == 0) {
        rc = hil_rsp_handshake(b->c.rsp);
    }
    if (rc == 0) {
        /* Reset the chip and hold its core at the reset vector (openocd);
         * a stub without monitor commands (QEMU -S) is already there. */
        rc = hil_rsp_monitor(b->c.rsp, "reset halt", NULL, 0);
        if (rc == FOTA_ENOTSUP || rc == FOTA_EIO) {
            rc = 0;
        }
    }
    struct hil_rsp_stop st;
    if (rc == 0) {
        rc = hil_rsp_query_stop(b->c.rsp, &st);
    }
    if (rc != 0) {
        return board_fail(b, rc, "gdbserver %s: %s", p->debug.address, b->c.rsp ? hil_rsp_error(b->c.rsp) : "");
    }
    if (p->debug.chip_id != HIL_BOARD_CHIP_ID_ANY) {
        /* Never run a scenario on another chip than the profile names
         * (a second board on the same host, the wrong ST-LINK). */
        uint32_t id = 0;
        rc = hil_rsp_read_mem(b->c.rsp, BOARD_DBGMCU_IDCODE, &id, sizeof(id));
        if (rc != 0) {
            return board_fail(b, rc, "chip id: read DBGMCU_IDCODE over %s: %s", p->debug.address,
                              hil_rsp_error(b->c.rsp));
        }
        if ((id & 0xFFFu) != p->debug.chip_id) {
            return board_fail(b, FOTA_EINVAL, "chip id: DEV_ID 0x%03x, expected 0x%03x (%s:%d debug.chip_id; "
                              "STM32F405/407 is 0x413): another chip, or another ST-LINK", id & 0xFFFu,
                              p->debug.chip_id, p->file, p->debug.src_line);
        }
    }
    return 0;
}

static void board_debug_down(struct board_target *b)
{
    hil_rspt_close_link(&b->c);
    board_stop_openocd(b);
}

/* ---- power ---- */

static int board_supply(struct board_target *b, bool on)
{
    if (b->power == NULL) {
        return on ? 0 : board_fail(b, FOTA_ENOTSUP, "power driver none: the board cannot be switched off");
    }
    if (on && b->off_at_ms != 0) {
        int64_t left = b->off_at_ms + b->p->power.off_ms - hil_rspt_now_ms();
        if (left > 0) {
            board_sleep_us((uint64_t)left * 1000u);
        }
    }
    int rc = hil_power_set(b->power, on);
    if (rc != 0) {
        return board_fail(b, rc, "%s", hil_power_error(b->power));
    }
    if (!on) {
        b->off_at_ms = hil_rspt_now_ms();
    } else {
        board_sleep_us((uint64_t)b->p->power.settle_ms * 1000u);
    }
    return 0;
}

/* Supply on, debugger attached, core halted; no breakpoints. */
static int board_bring_up(struct board_target *b)
{
    int rc = 0;
    if (b->nrst != NULL) {
        rc = hil_gpio_set(b->nrst, false);
    }
    if (rc == 0) {
        rc = board_supply(b, true);
    }
    if (rc == 0 && b->c.con_fd < 0) {
        b->c.con_fd = board_open_tty(b, &b->p->console, "console");
        rc = b->c.con_fd < 0 ? FOTA_EIO : 0;
    }
    if (rc == 0 && b->c.link_fd < 0 && b->p->link.path != NULL) {
        b->c.link_fd = board_open_tty(b, &b->p->link, "link");
        rc = b->c.link_fd < 0 ? FOTA_EIO : 0;
    }
    if (rc == 0) {
        rc = board_debug_up(b);
    }
    return rc;
}

/* Debugger detached, supply off. */
static void board_take_down(struct board_target *b)
{
    board_debug_down(b);
    if (b->power != NULL) {
        (void)board_supply(b, false);
    }
    b->c.base.powered = false;
    b->c.jump_pending = false;
    b->c.gen++;
}

/* ---- flash ---- */


/* Program the flash model onto the chip, sector by sector, skipping the
 * sectors that already hold the same bytes. */
static int board_program(struct board_target *b)
{
    static uint8_t chip[128 * 1024];
    const uint8_t *want = b->c.base.flash->mem;
    bool vflash = b->p->debug.flash_ops == HIL_FLASH_OBSERVE;
    bool wrote = false;
    for (uint32_t s = 0; s < LAYOUT_FLASH_SECTORS; s++) {
        uint32_t off = LAYOUT_SECTOR_OFFSET(s);
        uint32_t len = LAYOUT_SECTOR_SIZE(s);
        int rc = hil_rsp_read_mem(b->c.rsp, LAYOUT_FLASH_BASE + off, chip, len);
        if (rc != 0) {
            return board_fail(b, rc, "initial flash: read sector %u: %s", s, hil_rsp_error(b->c.rsp));
        }
        if (memcmp(chip, want + off, len) == 0) {
            continue;
        }
        hil_rspt_log(&b->c, "initial flash: programming sector %u", s);
        if (vflash) {
            rc = hil_rsp_flash_erase(b->c.rsp, LAYOUT_FLASH_BASE + off, len);
            /* Erased flash reads 0xFF: write only up to the last non-0xFF byte. */
            uint32_t used = len;
            while (used > 0 && want[off + used - 1] == 0xFF) {
                used--;
            }
            if (rc == 0 && used > 0) {
                rc = hil_rsp_flash_write(b->c.rsp, LAYOUT_FLASH_BASE + off, want + off, used);
            }
            wrote = true;
        } else {
            rc = hil_rsp_write_mem(b->c.rsp, LAYOUT_FLASH_BASE + off, want + off, len);
        }
        if (rc != 0) {
            return board_fail(b, rc, "initial flash: sector %u: %s", s, hil_rsp_error(b->c.rsp));
        }
    }
    if (wrote) {
        int rc = hil_rsp_flash_done(b->c.rsp);
        if (rc != 0) {
            return board_fail(b, rc, "initial flash: vFlashDone: %s", hil_rsp_error(b->c.rsp));
        }
    }
    return 0;
}

/* ---- guest control ---- */

/* After a triggered cut: power the chip halted, read the sectors
 * [first, last] back into the model, save them, power off. */
static void board_read_back(struct board_target *b, uint32_t first, uint32_t last, char *what, size_t wlen)
{
    int rc = board_bring_up(b);
    uint32_t changed = 0;
    for (uint32_t s = first; rc == 0 && s <= last; s++) {
        uint32_t off = LAYOUT_SECTOR_OFFSET(s);
        uint32_t len = LAYOUT_SECTOR_SIZE(s);
        uint8_t *chip = malloc(len);
        if (chip == NULL) {
            rc = FOTA_ENOMEM;
            break;
        }
        rc = hil_rsp_read_mem(b->c.rsp, LAYOUT_FLASH_BASE + off, chip, len);
        if (rc == 0) {
            for (uint32_t i = 0; i < len; i++) {
                changed += chip[i] != b->c.base.flash->mem[off + i];
            }
            memcpy(&b->c.base.flash->mem[off], chip, len);
        } else {
            board_fail(b, rc, "read back sector %u: %s", s, hil_rsp_error(b->c.rsp));
        }
        free(chip);
    }
    board_take_down(b);
    if (rc != 0) {
        snprintf(what, wlen, "flash NOT read back (%s): the model may differ from the chip", b->err);
        return;
    }
    char path[400];
    snprintf(path, sizeof(path), "%.380s/cut-%u.bin", b->workdir, b->cuts);
    (void)hil_flash_save(b->c.base.flash, path);
    snprintf(what, wlen, "sectors %u-%u read back (%u bytes differ from the model before the op), saved %s",
             first, last, changed, path);
}

/* A power cut at a flash op (core hook): resume the chip, open the
 * relay cut_delay_us later, read back what it left. */
static void board_cut_at_op(struct hil_rsp_target *c, const struct hil_flash_op *op,
                            const struct hil_flash_verdict *v, uint32_t pc, uint32_t lr)
{
    struct board_target *b = (struct board_target *)c;
    const struct hil_board_profile *p = b->p;
    int rc = 0;
    b->cuts++;
    if (c->flash_mode == HIL_RSPT_FLASH_SERVE) {
        /* The stub's target cannot program itself: write the torn part
         * the verdict chose, let the function return, then cut. */
        hil_rspt_apply(c, op, v->torn);
        rc = hil_rspt_write_back(c, op);
        if (rc == 0) {
            rc = hil_rspt_return(c, true, 0, lr);
        }
    } else {
        rc = hil_rspt_step_over(c, pc);
    }
    if (rc == 0) {
        board_sleep_us(p->cut_delay_us);
    }
    int prc = b->power != NULL ? hil_power_set(b->power, false) : FOTA_ENOTSUP;
    b->off_at_ms = hil_rspt_now_ms();
    board_debug_down(b);
    board_console_settle(b); /* what the chip sent before the cut is real output */
    b->c.base.powered = false;
    b->c.jump_pending = false;
    b->c.gen++;
    hil_rspt_console_flush(&b->c);
    char what[800];
    if (prc != 0) {
        snprintf(what, sizeof(what), "power cut FAILED: %s", b->power ? hil_power_error(b->power) : "no power driver");
    } else {
        uint32_t last = op->kind == HIL_OP_ERASE ? op->sector
                                                 : (uint32_t)hil_flash_sector_of(op->addr + (op->len ? op->len - 1 : 0));
        board_read_back(b, op->sector, last, what, sizeof(what));
    }
    snprintf(b->detail, sizeof(b->detail), "cut %u us after %s op #%u resumed%s; %s", p->cut_delay_us,
             op->kind == HIL_OP_ERASE ? "erase" : "program", op->seq, rc != 0 ? " (resume failed)" : "", what);
    hil_rspt_event(&b->c, HIL_EV_POWER_OFF, 0, b->detail);
}

/* The gdbserver reported the target gone (core hook): the link is broken. */
static int board_exited(struct hil_rsp_target *c, const struct hil_rsp_stop *st)
{
    (void)c;
    (void)st;
    return FOTA_ECONN;
}

/* The debug link broke while powered: cut power, report HIL_EV_DIED. */
static int board_link_broke(struct hil_rsp_target *c, int rc)
{
    struct board_target *b = (struct board_target *)c;
    snprintf(b->detail, sizeof(b->detail), "debug link to %s broke: %s", b->p->debug.address,
             b->c.rsp ? hil_rsp_error(b->c.rsp) : fota_strerror(rc));
    board_take_down(b);
    hil_rspt_console_flush(&b->c);
    hil_rspt_event(&b->c, HIL_EV_DIED, 0, b->detail);
    return rc == FOTA_ECONN ? 0 : FOTA_EIO;
}

/* ---- ops ---- */

static int board_power_on(struct hil_target *t)
{
    struct board_target *b = (struct board_target *)t;
    if (t->powered) {
        return FOTA_EBUSY;
    }
    b->c.gen++;
    b->c.con_len = 0;
    int rc = board_bring_up(b);
    if (rc == 0 && b->program_pending) {
        rc = board_program(b);
        b->program_pending = rc != 0;
    }
    const char *sym = NULL;
    if (rc == 0 && (rc = hil_rspt_set_breakpoints(&b->c, &sym)) != 0) {
        board_fail(b, rc, "breakpoint on %s: %s", sym, hil_rsp_error(b->c.rsp));
    }
    if (rc == 0) {
        /* Stale bytes from before the power-on are not this boot's. */
        if (b->c.con_fd >= 0) {
            tcflush(b->c.con_fd, TCIFLUSH);
        }
        if (b->c.link_fd >= 0) {
            tcflush(b->c.link_fd, TCIFLUSH);
        }
        rc = hil_rspt_resume(&b->c);
    }
    if (rc != 0) {
        fprintf(stderr, "board-target: power_on: %s\n", b->err);
        board_take_down(b);
        return FOTA_EIO;
    }
    t->powered = true;
    return 0;
}

static int board_power_off(struct hil_target *t)
{
    struct board_target *b = (struct board_target *)t;
    if (!hil_rspt_drain_before_off(&b->c)) {
        return 0;
    }
    if (b->power == NULL) {
        return FOTA_ENOTSUP;
    }
    board_take_down(b);
    hil_rspt_console_flush(&b->c);
    hil_rspt_event(&b->c, HIL_EV_POWER_OFF, 0, "power_off");
    return 0;
}

static int board_reset(struct hil_target *t)
{
    struct board_target *b = (struct board_target *)t;
    if (!t->powered) {
        return FOTA_EBUSY;
    }
    b->c.gen++;
    hil_rspt_console_drain(&b->c);
    hil_rspt_console_flush(&b->c);
    b->c.jump_pending = false;
    int rc;
    if (b->nrst != NULL) {
        /* The chip resets; the FPB (debug domain) keeps the breakpoints
         * and the gdbserver reports the Reset_Handler stop. */
        rc = hil_gpio_set(b->nrst, true);
        board_sleep_us(BOARD_NRST_PULSE_MS * 1000u);
        if (rc == 0) {
            rc = hil_gpio_set(b->nrst, false);
        }
        if (rc != 0) {
            board_fail(b, rc, "%s", hil_gpio_error(b->nrst));
        }
        return rc;
    }
    /* No NRST line: SYSRESETREQ through the debug port. */
    struct hil_rsp_stop st;
    rc = hil_rsp_running(b->c.rsp) ? hil_rsp_interrupt(b->c.rsp, &st) : 0;
    uint32_t aircr = BOARD_AIRCR_RESET;
    if (rc == 0) {
        rc = hil_rsp_write_mem(b->c.rsp, BOARD_AIRCR, &aircr, sizeof(aircr));
    }
    if (rc == 0) {
        rc = hil_rsp_cont_send(b->c.rsp);
    }
    if (rc != 0) {
        return board_link_broke(&b->c, rc);
    }
    return 0;
}

static int board_set_boot_mode(struct hil_target *t, enum hil_boot_mode mode)
{
    struct board_target *b = (struct board_target *)t;
    if (b->boot0 == NULL) {
        return mode == HIL_BOOT_FLASH ? 0 : board_fail(b, FOTA_ENOTSUP, "no boot0 line in %s", b->p->file);
    }
    int rc = hil_gpio_set(b->boot0, mode == HIL_BOOT_ROM);
    return rc != 0 ? board_fail(b, rc, "%s", hil_gpio_error(b->boot0)) : 0;
}

static void board_destroy(struct hil_target *t)
{
    struct board_target *b = (struct board_target *)t;
    if (b == NULL) {
        return;
    }
    if (t->powered) {
        board_take_down(b);
    }
    board_debug_down(b);
    hil_power_close(b->power);
    hil_gpio_close(b->nrst);
    hil_gpio_close(b->boot0);
    if (b->c.con_fd >= 0) {
        close(b->c.con_fd);
    }
    if (b->c.link_fd >= 0) {
        close(b->c.link_fd);
    }
    free(b->workdir);
    free(b);
}

/* Power, reset and boot mode are the board's; polling and the stops are
 * the core's (the chip's own IWDG needs no timer here). */
static const struct hil_target_ops board_ops = {
    .name = "board", .power_on = board_power_on, .power_off = board_power_off, .reset = board_reset,
    .set_boot_mode = board_set_boot_mode, .poll_fds = hil_rspt_poll_fds, .service = hil_rspt_service,
    .link_fd = hil_rspt_link_fd, .describe = hil_rspt_describe, .destroy = board_destroy,
};

int hil_board_read(struct hil_target *t, uint32_t addr, void *buf, uint32_t len)
{
    struct board_target *b = (struct board_target *)t;
    if (t->ops != &board_ops) {
        return FOTA_EINVAL;
    }
    if (t->powered) {
        return FOTA_EBUSY;
    }
    int rc = board_bring_up(b);
    if (rc == 0) {
        rc = hil_rsp_read_mem(b->c.rsp, addr, buf, len);
        if (rc != 0) {
            board_fail(b, rc, "read 0x%08x+%u: %s", addr, len, hil_rsp_error(b->c.rsp));
        }
    }
    board_take_down(b);
    return rc;
}

const char *hil_board_error(const struct hil_target *t)
{
    return ((const struct board_target *)t)->err;
}

/* Open the power driver and the GPIO lines the profile names. */
static int board_open_lines(struct board_target *b)
{
    const struct hil_board_profile *p = b->p;
    char err[512];
    int rc = 0;
    if (p->power.kind != HIL_POWER_NONE) {
        rc = hil_power_open(&p->power, &b->power, err, sizeof(err));
        if (rc != 0) {
            fprintf(stderr, "board-target: %s:%d: power: %s\n", p->file, p->power.src_line, err);
        }
    }
    if (rc == 0 && p->has_nrst) {
        rc = hil_gpio_open(&p->nrst, "fota-hil nrst", false, &b->nrst, err, sizeof(err));
        if (rc != 0) {
            fprintf(stderr, "board-target: %s:%d: nrst: %s\n", p->file, p->nrst.src_line, err);
        }
    }
    if (rc == 0 && p->has_boot0) {
        rc = hil_gpio_open(&p->boot0, "fota-hil boot0", false, &b->boot0, err, sizeof(err));
        if (rc != 0) {
            fprintf(stderr, "board-target: %s:%d: boot0: %s\n", p->file, p->boot0.src_line, err);
        }
    }
    return rc;
}

/* The board serves nothing of its own: the core observes the flash (or
 * serves it where the stub's target cannot program itself). */
static const struct hil_rspt_backend board_backend = {
    .tag = "board-target", .cut = board_cut_at_op, .exited = board_exited, .broke = board_link_broke,
};

int hil_board_create(const struct hil_board_opts *opts, struct hil_flash *flash,
                     const struct hil_target_hooks *hooks, struct hil_target **out)
{
    if (opts == NULL || opts->profile == NULL || flash == NULL || out == NULL || opts->workdir == NULL) {
        return FOTA_EINVAL;
    }
    *out = NULL;
    const struct hil_board_profile *p = opts->profile;
    if (p->link.path == NULL && p->spidev != NULL) {
        fprintf(stderr, "board-target: %s:%d: the update link over spidev is not served yet; wire USART1 to a "
                "tty (docs/BOARDS.md)\n", p->file, p->spidev_line);
        return FOTA_EINVAL;
    }
    struct board_target *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return FOTA_ENOMEM;
    }
    hil_rspt_init(&b->c, &board_ops, &board_backend, flash, hooks,
                  p->debug.flash_ops == HIL_FLASH_SERVE ? HIL_RSPT_FLASH_SERVE : HIL_RSPT_FLASH_OBSERVE,
                  opts->verbose);
    b->ocd_pid = -1;
    b->p = p;
    b->program_pending = opts->program;
    /* No ELF: no breakpoints, the firmware runs unobserved (doctor, dump). */
    int rc = hil_rspt_resolve(&b->c, opts->bootloader_elf, NULL, 0);
    b->workdir = strdup(opts->workdir);
    if (rc == 0 && b->workdir == NULL) {
        rc = FOTA_ENOMEM;
    }
    if (rc == 0) {
        rc = board_open_lines(b);
    }
    if (rc != 0) {
        board_destroy(&b->c.base);
        return rc;
    }
    *out = &b->c.base;
    return 0;
}
