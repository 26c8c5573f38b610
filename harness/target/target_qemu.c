/**
 * @file target_qemu.c
 * @brief The QEMU target backend (target.h): qemu-system-arm -M
 * netduinoplus2 (STM32F405) plus the peripherals stock QEMU lacks, served
 * over its GDB stub in the manner of HALucinator (USENIX Security 2020):
 * breakpoints on the HIL-served functions of fota/port.h, the operation
 * done on the harness's flash model, the result written back into guest
 * flash (gdbstub writes land in QEMU's flash ROM), r0 set, pc = lr.
 *
 * Sockets (all unix, in the workdir, so parallel QEMUs never clash):
 *   gdb.sock  GDB stub (-gdb chardev:gdb0)
 *   link.sock USART1, the update link (first -serial)
 *   con.sock  USART2, the console (second -serial)
 *   qmp.sock  QMP, for system_reset (a warm reset keeps flash and SRAM)
 * Files: flash.img (the model, written at power-on), qemu.log (stderr).
 *
 * Sources: RM0090 rev 19 (Table 5 sector map via fota/layout.h; 21.3 IWDG
 * behaviour: once started it cannot be stopped, a system reset stops
 * it); AAPCS (arguments in r0-r3, result in r0, return address in lr);
 * GDB manual appendix E (see rsp.h); QEMU docs "QEMU Machine Protocol".
 */
#include "target/target.h"

#include <errno.h>
#include <fcntl.h>
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
#include <time.h>
#include <unistd.h>

#include "target/elfsym.h"
#include "target/rsp.h"
#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/proto.h"

/* The HIL-served symbols (fota/port.h). NOTE: renaming one there breaks this. */
#define HIL_SYM_ERASE        "port_flash_erase_sector"
#define HIL_SYM_PROGRAM      "port_flash_program"
#define HIL_SYM_WD_START     "port_watchdog_start"
#define HIL_SYM_WD_REFRESH   "port_watchdog_refresh"
#define HIL_SYM_JUMP         "port_jump"
#define HIL_SYM_RESET        "Reset_Handler"
/* Optional (bootloader/port/stm32f4/spi.h): the link strap and SPI1 slave. */
#define HIL_SYM_STRAP        "port_link_strap"
#define HIL_SYM_SPI_RX       "port_spi_rx"
#define HIL_SYM_SPI_TX       "port_spi_tx"
#define QEMU_SPI_TX_MAX      4096u

/* Limits. Every blocking step is bounded by one of these. */
#define QEMU_START_MS        10000 /* QEMU up and its sockets accepting */
#define QEMU_RSP_MS          5000  /* one GDB request/reply */
#define QEMU_QMP_MS          5000  /* one QMP command */
#define QEMU_REAP_MS         5000  /* waitpid after SIGKILL */
#define QEMU_CON_LINE        512   /* console line longer than this is split */
#define QEMU_LOG_TAIL        600   /* bytes of qemu.log quoted in HIL_EV_DIED */

enum qemu_bp { BP_ERASE, BP_PROGRAM, BP_WD_START, BP_WD_REFRESH, BP_JUMP, BP_RESET, BP_STRAP, BP_SPI_RX,
               BP_SPI_TX, BP_COUNT };
#define BP_FIRST_OPTIONAL BP_STRAP

static const char *const qemu_bp_sym[BP_COUNT] = {
    HIL_SYM_ERASE, HIL_SYM_PROGRAM, HIL_SYM_WD_START, HIL_SYM_WD_REFRESH, HIL_SYM_JUMP, HIL_SYM_RESET,
    HIL_SYM_STRAP, HIL_SYM_SPI_RX, HIL_SYM_SPI_TX,
};

struct qemu_target {
    struct hil_target base; /* first: the runner holds &base */
    char *qemu;
    char *workdir;
    int icount_shift;
    bool verbose;
    double wd_scale;
    uint32_t bp[BP_COUNT];
    bool have_reset_sym;
    bool link_spi;
    int spi_fd;             /* SPI: the slave's end of the link socketpair, -1 */

    /* While powered. */
    pid_t pid;
    struct hil_rsp *rsp;
    int con_fd;
    int link_fd;
    int qmp_fd;
    uint32_t gen;           /* bumped by power_on/power_off/reset: hooks may call them */
    bool jump_pending;      /* last stop served port_jump: Reset_Handler next is not a reset */
    int64_t stopped_at;     /* monotonic ms when the guest last stopped */

    /* IWDG model. */
    bool wd_armed;
    uint32_t wd_timeout_ms;
    int64_t wd_deadline;

    char con_line[QEMU_CON_LINE + 1];
    size_t con_len;
    char qmp_buf[4096];
    size_t qmp_len;

    uint32_t seq;
    uint32_t kind_seq[3];
    char detail[1024];
};

static const struct hil_target_ops qemu_ops;

static int64_t qemu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void qemu_log(const struct qemu_target *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void qemu_log(const struct qemu_target *q, const char *fmt, ...)
{
    if (!q->verbose) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "qemu-target: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static void qemu_event(struct qemu_target *q, enum hil_event_kind kind, uint32_t value, const char *detail)
{
    qemu_log(q, "event %d value 0x%x %s", (int)kind, value, detail ? detail : "");
    if (q->base.hooks.on_event != NULL) {
        struct hil_event ev = { .kind = kind, .value = value, .detail = detail };
        q->base.hooks.on_event(q->base.hooks.ctx, &ev);
    }
}

/* ---- process and sockets ---- */

static int qemu_path(const struct qemu_target *q, const char *name, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s", q->workdir, name);
    return (n < 0 || (size_t)n >= len) ? FOTA_EINVAL : 0;
}

/* Read the last bytes of qemu.log into q->detail after @p prefix. */
static void qemu_log_tail(struct qemu_target *q, const char *prefix)
{
    char path[4096];
    size_t off = (size_t)snprintf(q->detail, sizeof(q->detail), "%s", prefix);
    if (off >= sizeof(q->detail) || qemu_path(q, "qemu.log", path, sizeof(path)) != 0) {
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    off_t end = lseek(fd, 0, SEEK_END);
    off_t start = end > QEMU_LOG_TAIL ? end - QEMU_LOG_TAIL : 0;
    char buf[QEMU_LOG_TAIL + 1];
    ssize_t n = pread(fd, buf, QEMU_LOG_TAIL, start);
    close(fd);
    if (n <= 0) {
        return;
    }
    buf[n] = '\0';
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || buf[i] == '\r') {
            buf[i] = (i == n - 1) ? '\0' : ' ';
        }
    }
    snprintf(q->detail + off, sizeof(q->detail) - off, "; qemu stderr: %s", buf);
}

/* Wait for the child for up to @p ms; @return true when reaped (status in *st). */
static bool qemu_reap(struct qemu_target *q, int ms, int *st)
{
    int64_t deadline = qemu_now_ms() + ms;
    for (;;) {
        pid_t w = waitpid(q->pid, st, WNOHANG);
        if (w == q->pid || (w < 0 && errno == ECHILD)) {
            q->pid = -1;
            return true;
        }
        if (qemu_now_ms() >= deadline) {
            return false;
        }
        usleep(1000);
    }
}

/* Close everything that belongs to a running QEMU, killing it if needed. */
static void qemu_teardown(struct qemu_target *q)
{
    if (q->pid > 0) {
        kill(q->pid, SIGKILL);
        int st;
        if (!qemu_reap(q, QEMU_REAP_MS, &st)) {
            /* SIGKILL cannot be ignored; a stuck (D-state) process is
             * reaped here at the latest. */
            waitpid(q->pid, &st, 0);
            q->pid = -1;
        }
    }
    hil_rsp_close(q->rsp);
    q->rsp = NULL;
    if (q->con_fd >= 0) {
        close(q->con_fd);
    }
    if (q->link_fd >= 0) {
        close(q->link_fd);
    }
    if (q->qmp_fd >= 0) {
        close(q->qmp_fd);
    }
    if (q->spi_fd >= 0) {
        close(q->spi_fd);
    }
    q->con_fd = q->link_fd = q->qmp_fd = q->spi_fd = -1;
    q->qmp_len = 0;
    q->wd_armed = false;
    q->jump_pending = false;
    q->base.powered = false;
    q->gen++;
}

static void qemu_flush_console(struct qemu_target *q)
{
    if (q->con_len > 0) {
        q->con_line[q->con_len] = '\0';
        q->con_len = 0;
        if (q->base.hooks.on_console_line != NULL) {
            q->base.hooks.on_console_line(q->base.hooks.ctx, q->con_line);
        }
    }
}

/* QEMU went away or the debug link broke: report HIL_EV_DIED. */
static void qemu_died(struct qemu_target *q, const char *why)
{
    int st = 0;
    char prefix[512];
    bool reaped = q->pid > 0 && qemu_reap(q, 1000, &st);
    if (reaped && WIFEXITED(st)) {
        snprintf(prefix, sizeof(prefix), "%s; qemu exited with status %d", why, WEXITSTATUS(st));
    } else if (reaped && WIFSIGNALED(st)) {
        snprintf(prefix, sizeof(prefix), "%s; qemu killed by signal %d", why, WTERMSIG(st));
    } else {
        snprintf(prefix, sizeof(prefix), "%s", why);
    }
    qemu_log_tail(q, prefix);
    qemu_teardown(q);
    qemu_flush_console(q);
    qemu_event(q, HIL_EV_DIED, 0, q->detail);
}

/* Connect to a unix socket QEMU is about to create; retry until it exists. */
static int qemu_connect(struct qemu_target *q, const char *name, int64_t deadline, int *out)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char path[4096];
    int dfd = -1;
    if (qemu_path(q, name, path, sizeof(path)) != 0) {
        return FOTA_EINVAL;
    }
    if (strlen(path) < sizeof(sa.sun_path)) {
        memcpy(sa.sun_path, path, strlen(path) + 1);
    } else {
        /* Too long for sun_path (108 bytes): go through a directory fd. */
        dfd = open(q->workdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
            return FOTA_EIO;
        }
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, name);
    }
    int rc;
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            rc = FOTA_EIO;
            break;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            *out = fd;
            rc = 0;
            break;
        }
        close(fd);
        int st;
        if (q->pid > 0 && waitpid(q->pid, &st, WNOHANG) == q->pid) {
            q->pid = -1; /* reaped: QEMU exited during start-up */
            rc = FOTA_EIO;
            break;
        }
        if (qemu_now_ms() >= deadline) {
            rc = FOTA_ETIMEOUT;
            break;
        }
        usleep(1000);
    }
    if (dfd >= 0) {
        close(dfd);
    }
    return rc;
}

static int qemu_spawn(struct qemu_target *q)
{
    char icount[64];
    const char *argv[40];
    int n = 0;
    argv[n++] = q->qemu;
    argv[n++] = "-M";
    argv[n++] = "netduinoplus2";
    argv[n++] = "-nodefaults";
    argv[n++] = "-display";
    argv[n++] = "none";
    argv[n++] = "-monitor";
    argv[n++] = "none";
    argv[n++] = "-S";
    argv[n++] = "-chardev";
    argv[n++] = "socket,id=gdb0,path=gdb.sock,server=on,wait=off";
    argv[n++] = "-gdb";
    argv[n++] = "chardev:gdb0";
    argv[n++] = "-chardev";
    argv[n++] = "socket,id=link,path=link.sock,server=on,wait=off";
    argv[n++] = "-serial";
    argv[n++] = "chardev:link";
    argv[n++] = "-chardev";
    argv[n++] = "socket,id=con,path=con.sock,server=on,wait=off";
    argv[n++] = "-serial";
    argv[n++] = "chardev:con";
    argv[n++] = "-chardev";
    argv[n++] = "socket,id=qmp,path=qmp.sock,server=on,wait=off";
    argv[n++] = "-mon";
    argv[n++] = "chardev=qmp,mode=control";
    argv[n++] = "-device";
    argv[n++] = "loader,file=flash.img,addr=0x08000000";
    if (q->icount_shift >= 0) {
        snprintf(icount, sizeof(icount), "shift=%d,sleep=off", q->icount_shift);
        argv[n++] = "-icount";
        argv[n++] = icount;
    }
    argv[n] = NULL;

    static const char *const socks[] = { "gdb.sock", "link.sock", "con.sock", "qmp.sock" };
    char path[4096];
    for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
        if (qemu_path(q, socks[i], path, sizeof(path)) == 0) {
            unlink(path);
        }
    }
    if (qemu_path(q, "qemu.log", path, sizeof(path)) != 0) {
        return FOTA_EINVAL;
    }
    int logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) {
        return FOTA_EIO;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(logfd);
        return FOTA_EIO;
    }
    if (pid == 0) {
        /* Child: QEMU dies with the harness, never outlives it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(127);
        }
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
        }
        dup2(logfd, 2);
        if (chdir(q->workdir) != 0) {
            dprintf(2, "chdir %s: %s\n", q->workdir, strerror(errno));
            _exit(127);
        }
        execvp(q->qemu, (char *const *)argv);
        dprintf(2, "exec %s: %s\n", q->qemu, strerror(errno));
        _exit(127);
    }
    close(logfd);
    q->pid = pid;
    return 0;
}

/* ---- QMP (QEMU Machine Protocol: one JSON object per line) ---- */

/* Read QMP lines until one contains "return" or "error", or the deadline. */
static int qemu_qmp_wait_return(struct qemu_target *q, int64_t deadline)
{
    for (;;) {
        char *nl;
        while ((nl = memchr(q->qmp_buf, '\n', q->qmp_len)) != NULL) {
            size_t ll = (size_t)(nl - q->qmp_buf) + 1;
            *nl = '\0';
            bool ret = strstr(q->qmp_buf, "\"return\"") != NULL;
            bool err = strstr(q->qmp_buf, "\"error\"") != NULL;
            if (err) {
                qemu_log(q, "qmp: %s", q->qmp_buf);
            }
            memmove(q->qmp_buf, q->qmp_buf + ll, q->qmp_len - ll);
            q->qmp_len -= ll;
            if (ret) {
                return 0;
            }
            if (err) {
                return FOTA_EIO;
            }
        }
        if (q->qmp_len == sizeof(q->qmp_buf)) {
            q->qmp_len = 0; /* an absurdly long line: drop it */
        }
        int64_t left = deadline - qemu_now_ms();
        if (left <= 0) {
            return FOTA_ETIMEOUT;
        }
        struct pollfd pfd = { .fd = q->qmp_fd, .events = POLLIN };
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno != EINTR) {
            return FOTA_EIO;
        }
        if (pr > 0) {
            ssize_t n = read(q->qmp_fd, q->qmp_buf + q->qmp_len, sizeof(q->qmp_buf) - q->qmp_len);
            if (n == 0) {
                return FOTA_ECONN;
            }
            if (n < 0 && errno != EINTR && errno != EAGAIN) {
                return FOTA_EIO;
            }
            if (n > 0) {
                q->qmp_len += (size_t)n;
            }
        }
    }
}

static int qemu_qmp_command(struct qemu_target *q, const char *json)
{
    size_t len = strlen(json);
    if (write(q->qmp_fd, json, len) != (ssize_t)len) {
        return FOTA_EIO;
    }
    return qemu_qmp_wait_return(q, qemu_now_ms() + QEMU_QMP_MS);
}

/* Discard pending QMP events (RESET, STOP, ...) so QEMU never blocks on us. */
static void qemu_qmp_drain(struct qemu_target *q)
{
    char buf[4096];
    while (q->qmp_fd >= 0 && recv(q->qmp_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
    }
    q->qmp_len = 0;
}

/* ---- console ---- */

/* Read what the console socket has; deliver whole lines. */
static void qemu_console_drain(struct qemu_target *q)
{
    uint32_t gen = q->gen;
    char buf[4096];
    while (q->con_fd >= 0 && q->gen == gen) {
        ssize_t n = recv(q->con_fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0) {
            return; /* EAGAIN, or EOF: QEMU's death is seen on the gdb socket */
        }
        for (ssize_t i = 0; i < n && q->gen == gen; i++) {
            char c = buf[i];
            if (c == '\r') {
                continue;
            }
            if (c == '\n' || q->con_len == QEMU_CON_LINE) {
                q->con_line[q->con_len] = '\0';
                q->con_len = 0;
                if (q->base.hooks.on_console_line != NULL) {
                    q->base.hooks.on_console_line(q->base.hooks.ctx, q->con_line);
                }
                if (c == '\n') {
                    continue;
                }
            }
            q->con_line[q->con_len++] = c;
        }
    }
}

/* ---- guest control ---- */

static int64_t qemu_wd_period(const struct qemu_target *q)
{
    double ms = (double)q->wd_timeout_ms * q->wd_scale;
    return ms < 1.0 ? 1 : (int64_t)ms;
}

static int qemu_resume(struct qemu_target *q)
{
    if (q->wd_armed) {
        /* Time the harness held the guest stopped does not count. */
        q->wd_deadline += qemu_now_ms() - q->stopped_at;
    }
    return hil_rsp_cont_send(q->rsp);
}

/* Return from a served function: r0 (if @p set_r0), pc = lr, continue. */
static int qemu_return(struct qemu_target *q, bool set_r0, uint32_t r0, uint32_t lr)
{
    int rc = 0;
    if (set_r0) {
        rc = hil_rsp_write_reg(q->rsp, HIL_RSP_R0, r0);
    }
    if (rc == 0) {
        /* Thumb: bit 0 of lr is the T bit, not part of the address; the
         * xPSR T bit is already set and stays. */
        rc = hil_rsp_write_reg(q->rsp, HIL_RSP_PC, lr & ~1u);
    }
    if (rc == 0) {
        rc = qemu_resume(q);
    }
    return rc;
}

/* Execute the instruction under breakpoint @p bp and continue. */
static int qemu_step_over(struct qemu_target *q, uint32_t addr)
{
    struct hil_rsp_stop st;
    int rc = hil_rsp_breakpoint(q->rsp, false, addr, HIL_RSP_BKPT_THUMB);
    if (rc == 0) {
        rc = hil_rsp_step(q->rsp, &st);
    }
    if (rc == 0) {
        rc = hil_rsp_breakpoint(q->rsp, true, addr, HIL_RSP_BKPT_THUMB);
    }
    if (rc == 0) {
        rc = qemu_resume(q);
    }
    return rc;
}


/* Ask the runner; @return with *v filled (zeroed = apply). */
static void qemu_ask(struct qemu_target *q, struct hil_flash_op *op, struct hil_flash_verdict *v)
{
    memset(v, 0, sizeof(*v));
    op->seq = ++q->seq;
    op->kind_seq = ++q->kind_seq[op->kind];
    if (q->base.hooks.on_flash_op != NULL) {
        q->base.hooks.on_flash_op(q->base.hooks.ctx, op, v);
    }
}

/* Cut power after a torn operation (HIL_ACT_CUT). */
static void qemu_cut(struct qemu_target *q, const char *what)
{
    qemu_teardown(q);
    qemu_flush_console(q);
    qemu_event(q, HIL_EV_POWER_OFF, 0, what);
}

static int qemu_fail_rc(const struct hil_flash_verdict *v)
{
    return v->fail_rc != 0 ? v->fail_rc : FOTA_EFLASH;
}

/* port_flash_erase_sector(sector) */
static int qemu_serve_erase(struct qemu_target *q, const uint32_t regs[16])
{
    uint32_t sector = regs[0];
    uint32_t lr = regs[14];
    /* The port's own range check (port.h): not a flash operation. */
    if (sector >= LAYOUT_FLASH_SECTORS || LAYOUT_SECTOR_OFFSET(sector) < LAYOUT_BOOT_SIZE) {
        return qemu_return(q, true, FOTA_ERANGE, lr);
    }
    uint32_t addr = LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(sector);
    struct hil_flash_op op = {
        .kind = HIL_OP_ERASE,
        .region = hil_flash_region_of(addr),
        .sector = sector,
        .addr = addr,
        .len = LAYOUT_SECTOR_SIZE(sector),
    };
    struct hil_flash_verdict v;
    uint32_t gen = q->gen;
    qemu_ask(q, &op, &v);
    if (q->gen != gen) {
        return 0; /* the hook powered off or reset the target */
    }
    switch (v.action) {
    case HIL_ACT_FAIL:
        return qemu_return(q, true, (uint32_t)qemu_fail_rc(&v), lr);
    case HIL_ACT_DROP:
        return qemu_return(q, true, 0, lr); /* reported done, nothing stuck */
    case HIL_ACT_CUT:
        hil_flash_erase(q->base.flash, sector, v.torn);
        qemu_cut(q, "cut during erase");
        return 0;
    case HIL_ACT_APPLY:
    default:
        break;
    }
    hil_flash_erase(q->base.flash, sector, HIL_TORN_ALL);
    int rc = hil_rsp_write_mem(q->rsp, addr, &q->base.flash->mem[addr - LAYOUT_FLASH_BASE], op.len);
    if (rc != 0) {
        return rc;
    }
    return qemu_return(q, true, 0, lr);
}

/* port_flash_program(addr, data, len) */
static int qemu_serve_program(struct qemu_target *q, const uint32_t regs[16])
{
    uint32_t addr = regs[0];
    uint32_t src = regs[1];
    uint32_t len = regs[2];
    uint32_t lr = regs[14];
    uint8_t data[PROTO_MAX_DATA];
    /* The port's own checks (port.h): len 1..PROTO_MAX_DATA, inside the
     * flash, not in the bootloader sectors. */
    if (len == 0 || len > PROTO_MAX_DATA || addr < LAYOUT_BOOT_ADDR + LAYOUT_BOOT_SIZE ||
        (uint64_t)addr + len > (uint64_t)LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE) {
        return qemu_return(q, true, FOTA_ERANGE, lr);
    }
    int rc = hil_rsp_read_mem(q->rsp, src, data, len);
    if (rc == FOTA_EIO && strstr(hil_rsp_error(q->rsp), "stub error") != NULL) {
        /* The source pointer is not readable memory. */
        return qemu_return(q, true, FOTA_ERANGE, lr);
    }
    if (rc != 0) {
        return rc;
    }
    struct hil_flash_op op = {
        .kind = HIL_OP_PROGRAM,
        .region = hil_flash_region_of(addr),
        .sector = (uint32_t)hil_flash_sector_of(addr),
        .addr = addr,
        .len = len,
        .data = data,
    };
    struct hil_flash_verdict v;
    uint32_t gen = q->gen;
    qemu_ask(q, &op, &v);
    if (q->gen != gen) {
        return 0;
    }
    switch (v.action) {
    case HIL_ACT_FAIL:
        return qemu_return(q, true, (uint32_t)qemu_fail_rc(&v), lr);
    case HIL_ACT_DROP:
        return qemu_return(q, true, 0, lr); /* reported done, nothing stuck */
    case HIL_ACT_CUT:
        hil_flash_program(q->base.flash, addr, data, len, v.torn);
        qemu_cut(q, "cut during program");
        return 0;
    case HIL_ACT_APPLY:
    default:
        break;
    }
    hil_flash_program(q->base.flash, addr, data, len, HIL_TORN_ALL);
    rc = hil_rsp_write_mem(q->rsp, addr, &q->base.flash->mem[addr - LAYOUT_FLASH_BASE], len);
    if (rc != 0) {
        return rc;
    }
    return qemu_return(q, true, 0, lr);
}

/* port_spi_rx(buf, cap, got): what the master clocked in, never waiting. */
static int qemu_serve_spi_rx(struct qemu_target *q, const uint32_t regs[16])
{
    uint8_t tmp[QEMU_SPI_TX_MAX];
    uint32_t cap = regs[1] < sizeof(tmp) ? regs[1] : (uint32_t)sizeof(tmp);
    ssize_t n = q->spi_fd >= 0 && cap > 0 ? recv(q->spi_fd, tmp, cap, MSG_DONTWAIT) : 0;
    uint32_t got = n > 0 ? (uint32_t)n : 0u;
    int rc = 0;
    if (got > 0) {
        rc = hil_rsp_write_mem(q->rsp, regs[0], tmp, got);
    }
    uint8_t g[4] = { (uint8_t)got, (uint8_t)(got >> 8), (uint8_t)(got >> 16), (uint8_t)(got >> 24) };
    if (rc == 0) {
        rc = hil_rsp_write_mem(q->rsp, regs[2], g, 4);
    }
    return rc != 0 ? rc : qemu_return(q, true, 0, regs[14]);
}

/* port_spi_tx(buf, len): queue the bytes for MISO (the runner's SPI bus). */
static int qemu_serve_spi_tx(struct qemu_target *q, const uint32_t regs[16])
{
    uint8_t tmp[QEMU_SPI_TX_MAX];
    uint32_t len = regs[1];
    if (len > sizeof(tmp)) {
        return qemu_return(q, true, FOTA_ESIZE, regs[14]);
    }
    int rc = len > 0 ? hil_rsp_read_mem(q->rsp, regs[0], tmp, len) : 0;
    if (rc != 0) {
        return rc;
    }
    if (q->spi_fd >= 0 && len > 0 && send(q->spi_fd, tmp, len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len) {
        return qemu_return(q, true, FOTA_EBUSY, regs[14]);
    }
    return qemu_return(q, true, 0, regs[14]);
}

/* The guest stopped: serve whatever it stopped at. */
static int qemu_handle_stop(struct qemu_target *q, const struct hil_rsp_stop *st)
{
    q->stopped_at = qemu_now_ms();
    if (st->type == 'W' || st->type == 'X') {
        qemu_died(q, st->type == 'W' ? "guest exited" : "guest terminated");
        return 0;
    }
    /* The guest printed before it stopped: deliver that first, in order. */
    uint32_t gen = q->gen;
    qemu_console_drain(q);
    if (q->gen != gen) {
        return 0;
    }
    uint32_t regs[16];
    int rc = hil_rsp_read_core_regs(q->rsp, regs);
    if (rc != 0) {
        return rc;
    }
    uint32_t pc = regs[15];
    bool after_jump = q->jump_pending;
    q->jump_pending = false;
    if (pc == q->bp[BP_ERASE]) {
        return qemu_serve_erase(q, regs);
    }
    if (pc == q->bp[BP_PROGRAM]) {
        return qemu_serve_program(q, regs);
    }
    if (pc == q->bp[BP_WD_START]) {
        /* RM0090 21.3: writing PR/RLR again reloads with the new period. */
        q->wd_armed = true;
        q->wd_timeout_ms = regs[0];
        q->wd_deadline = q->stopped_at + qemu_wd_period(q);
        qemu_event(q, HIL_EV_WATCHDOG_START, regs[0], NULL);
        if (q->gen != gen) {
            return 0;
        }
        return qemu_return(q, false, 0, regs[14]);
    }
    if (q->bp[BP_STRAP] != 0 && pc == q->bp[BP_STRAP]) {
        return qemu_return(q, true, q->link_spi ? 1u : 0u, regs[14]); /* PORT_LINK_SPI : PORT_LINK_UART */
    }
    if (q->bp[BP_SPI_RX] != 0 && pc == q->bp[BP_SPI_RX]) {
        return qemu_serve_spi_rx(q, regs);
    }
    if (q->bp[BP_SPI_TX] != 0 && pc == q->bp[BP_SPI_TX]) {
        return qemu_serve_spi_tx(q, regs);
    }
    if (pc == q->bp[BP_WD_REFRESH]) {
        if (q->wd_armed) {
            q->wd_deadline = q->stopped_at + qemu_wd_period(q);
        }
        return qemu_return(q, false, 0, regs[14]);
    }
    if (pc == q->bp[BP_JUMP]) {
        qemu_event(q, HIL_EV_JUMP, regs[0], NULL);
        if (q->gen != gen) {
            return 0;
        }
        q->jump_pending = true;
        return qemu_step_over(q, pc);
    }
    if (pc == q->bp[BP_RESET]) {
        if (!after_jump) {
            q->wd_armed = false; /* a system reset stops the IWDG */
        }
        qemu_event(q, HIL_EV_BOOT, 0, after_jump ? "reset handler entered by a jump" : NULL);
        if (q->gen != gen) {
            return 0;
        }
        return qemu_step_over(q, pc);
    }
    /* Not ours (e.g. an interrupt that raced a resume): carry on. */
    qemu_log(q, "stop %c%02x at pc 0x%08x: not a served function, continuing", st->type, st->code, pc);
    return qemu_resume(q);
}

/* Fatal debug-link error while powered: kill QEMU, report, FOTA_EIO. */
static int qemu_link_broke(struct qemu_target *q, int rc)
{
    char why[400];
    if (rc == FOTA_ECONN) {
        snprintf(why, sizeof(why), "qemu went away (%s)", q->rsp ? hil_rsp_error(q->rsp) : "");
        qemu_died(q, why);
        return 0;
    }
    snprintf(why, sizeof(why), "debug link broke: %s", q->rsp ? hil_rsp_error(q->rsp) : "");
    qemu_died(q, why);
    return FOTA_EIO;
}

/* Warm reset through QMP with the guest stopped, then continue. */
static int qemu_do_reset(struct qemu_target *q)
{
    q->gen++;
    if (hil_rsp_running(q->rsp)) {
        struct hil_rsp_stop st;
        int rc = hil_rsp_interrupt(q->rsp, &st);
        if (rc != 0) {
            return rc;
        }
        /* A breakpoint stop that raced the interrupt is dropped: the
         * reset comes first, the operation never happened. */
        q->stopped_at = qemu_now_ms();
    }
    uint32_t gen = q->gen;
    qemu_console_drain(q);
    if (q->gen != gen) {
        return 0; /* a console hook already powered off or reset */
    }
    /* A reset cuts a line short: deliver the fragment as a line of its own
     * so the next boot's first line starts clean. */
    qemu_flush_console(q);
    if (q->gen != gen) {
        return 0;
    }
    qemu_qmp_drain(q);
    int rc = qemu_qmp_command(q, "{\"execute\":\"system_reset\"}\n");
    if (rc != 0) {
        snprintf(q->detail, sizeof(q->detail), "qmp system_reset failed (%d)", rc);
        return rc;
    }
    q->wd_armed = false;
    q->jump_pending = false;
    return qemu_resume(q);
}

/* ---- ops ---- */

static int qemu_power_on(struct hil_target *t)
{
    struct qemu_target *q = (struct qemu_target *)t;
    if (t->powered) {
        return FOTA_EBUSY;
    }
    char path[4096];
    if (qemu_path(q, "flash.img", path, sizeof(path)) != 0 || hil_flash_save(t->flash, path) != 0) {
        fprintf(stderr, "qemu-target: cannot write %s: %s\n", path, strerror(errno));
        return FOTA_EIO;
    }
    int rc = qemu_spawn(q);
    if (rc != 0) {
        fprintf(stderr, "qemu-target: cannot start %s: %s\n", q->qemu, strerror(errno));
        return FOTA_EIO;
    }
    q->gen++;
    q->con_len = 0;
    int64_t deadline = qemu_now_ms() + QEMU_START_MS;
    int gfd = -1;
    const char *step = "connect gdb.sock";
    rc = qemu_connect(q, "gdb.sock", deadline, &gfd);
    if (rc == 0) {
        rc = hil_rsp_open(gfd, QEMU_RSP_MS, &q->rsp);
    }
    if (rc == 0 && (rc = qemu_connect(q, "con.sock", deadline, &q->con_fd)) != 0) {
        step = "connect con.sock";
    }
    if (rc == 0 && (rc = qemu_connect(q, "link.sock", deadline, &q->link_fd)) != 0) {
        step = "connect link.sock";
    }
    if (rc == 0 && q->link_spi) {
        /* USART1 stays connected (and silent); the runner's link is the SPI slave. */
        int sp[2];
        step = "spi socketpair";
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
            rc = FOTA_EIO;
        } else {
            close(q->link_fd);
            q->link_fd = sp[0];
            q->spi_fd = sp[1];
            fcntl(q->spi_fd, F_SETFL, fcntl(q->spi_fd, F_GETFL) | O_NONBLOCK);
        }
    }
    if (rc == 0 && (rc = qemu_connect(q, "qmp.sock", deadline, &q->qmp_fd)) != 0) {
        step = "connect qmp.sock";
    }
    if (rc == 0) {
        step = "qmp handshake";
        rc = qemu_qmp_command(q, "{\"execute\":\"qmp_capabilities\"}\n");
    }
    if (rc == 0) {
        step = "gdb handshake";
        rc = hil_rsp_handshake(q->rsp);
    }
    struct hil_rsp_stop st;
    if (rc == 0) {
        rc = hil_rsp_query_stop(q->rsp, &st);
    }
    if (!q->have_reset_sym) {
        /* No Reset_Handler symbol: the reset vector of the image (word 1). */
        const uint8_t *v = &t->flash->mem[4];
        q->bp[BP_RESET] = ((uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 |
                           (uint32_t)v[3] << 24) & ~1u;
    }
    for (int i = 0; i < BP_COUNT && rc == 0; i++) {
        if (q->bp[i] == 0 && i >= BP_FIRST_OPTIONAL) {
            continue;
        }
        step = "set breakpoints";
        rc = hil_rsp_breakpoint(q->rsp, true, q->bp[i], HIL_RSP_BKPT_THUMB);
    }
    if (rc != 0) {
        char why[600];
        snprintf(why, sizeof(why), "power_on: %s failed (%s)", step,
                 q->rsp ? hil_rsp_error(q->rsp) : strerror(errno));
        qemu_log_tail(q, why);
        fprintf(stderr, "qemu-target: %s\n", q->detail);
        qemu_teardown(q);
        return FOTA_EIO;
    }
    t->powered = true;
    q->stopped_at = qemu_now_ms();
    /* -S holds the CPU at the reset vector, on the Reset_Handler
     * breakpoint: continuing reports it as the first stop (HIL_EV_BOOT). */
    rc = qemu_resume(q);
    if (rc != 0) {
        qemu_link_broke(q, rc);
        return FOTA_EIO;
    }
    qemu_log(q, "powered on, pid %d", (int)q->pid);
    return 0;
}

static int qemu_power_off(struct hil_target *t)
{
    struct qemu_target *q = (struct qemu_target *)t;
    if (!t->powered) {
        return 0;
    }
    qemu_console_drain(q);
    if (!t->powered) {
        return 0; /* a console hook already cut it */
    }
    qemu_cut(q, "power_off");
    return 0;
}

static int qemu_reset(struct hil_target *t)
{
    struct qemu_target *q = (struct qemu_target *)t;
    if (!t->powered) {
        return FOTA_EBUSY;
    }
    int rc = qemu_do_reset(q);
    if (rc != 0) {
        qemu_link_broke(q, rc);
        return FOTA_EIO;
    }
    return 0;
}

static int qemu_poll_fds(struct hil_target *t, struct pollfd *fds, int max, int *timeout_ms)
{
    struct qemu_target *q = (struct qemu_target *)t;
    int n = 0;
    if (!t->powered) {
        return 0;
    }
    int want[3] = { hil_rsp_fd(q->rsp), q->con_fd, q->qmp_fd };
    for (int i = 0; i < 3 && n < max; i++) {
        if (want[i] >= 0) {
            fds[n].fd = want[i];
            fds[n].events = POLLIN;
            fds[n].revents = 0;
            n++;
        }
    }
    if (q->wd_armed && hil_rsp_running(q->rsp) && timeout_ms != NULL) {
        int64_t left = q->wd_deadline - qemu_now_ms();
        if (left < 0) {
            left = 0;
        }
        if (*timeout_ms < 0 || left < *timeout_ms) {
            *timeout_ms = (int)(left > 0x7fffffff ? 0x7fffffff : left);
        }
    }
    return n;
}

static int qemu_service(struct hil_target *t, struct pollfd *fds, int n)
{
    struct qemu_target *q = (struct qemu_target *)t;
    (void)fds; /* every source is read non-blocking: readiness is a hint */
    (void)n;
    if (!t->powered) {
        return 0;
    }
    uint32_t gen = q->gen;
    qemu_console_drain(q);
    if (q->gen != gen) {
        return 0;
    }
    qemu_qmp_drain(q);
    if (hil_rsp_running(q->rsp)) {
        struct hil_rsp_stop st;
        bool got = false;
        int rc = hil_rsp_poll_stop(q->rsp, &st, &got);
        if (rc == 0 && got) {
            rc = qemu_handle_stop(q, &st);
        }
        if (rc != 0 && q->gen == gen) {
            return qemu_link_broke(q, rc);
        }
        if (q->gen != gen) {
            /* A hook powered off or reset the target; any error belonged
             * to the session it replaced. */
            return 0;
        }
    }
    /* IWDG model expiry (only counts while the guest runs). */
    if (t->powered && q->wd_armed && hil_rsp_running(q->rsp) && qemu_now_ms() >= q->wd_deadline) {
        qemu_event(q, HIL_EV_WATCHDOG, q->wd_timeout_ms, "IWDG model expired");
        if (q->gen != gen || !t->powered) {
            return 0;
        }
        int rc = qemu_do_reset(q);
        if (rc != 0) {
            return qemu_link_broke(q, rc);
        }
    }
    return 0;
}

static int qemu_link_fd(struct hil_target *t)
{
    struct qemu_target *q = (struct qemu_target *)t;
    return t->powered ? q->link_fd : -1;
}

static void qemu_destroy(struct hil_target *t)
{
    struct qemu_target *q = (struct qemu_target *)t;
    if (q == NULL) {
        return;
    }
    if (t->powered || q->pid > 0) {
        qemu_teardown(q);
    }
    free(q->qemu);
    free(q->workdir);
    free(q);
}

static const struct hil_target_ops qemu_ops = {
    .name = "qemu",
    .power_on = qemu_power_on,
    .power_off = qemu_power_off,
    .reset = qemu_reset,
    .poll_fds = qemu_poll_fds,
    .service = qemu_service,
    .link_fd = qemu_link_fd,
    .destroy = qemu_destroy,
};

/*
 * A breakpoint on a HIL-served function only works if every call reaches
 * that symbol: refuse ELFs where GCC cloned one (IPA-CP ".constprop.N",
 * IPA-SRA ".isra.N", partial inlining ".part.N": calls go to the clone)
 * or folded two into one address (ICF). PORT_HIL_SERVED needs noipa.
 */
static int qemu_check_served(const char *elf, const struct hil_elfsym *syms, const uint32_t bp[BP_COUNT])
{
    static const char *const suffix[] = { ".constprop.0", ".constprop.1", ".isra.0", ".part.0" };
    for (int i = 0; i < BP_COUNT; i++) {
        for (size_t k = 0; k < sizeof(suffix) / sizeof(suffix[0]); k++) {
            char name[128];
            uint32_t v;
            snprintf(name, sizeof(name), "%s%s", qemu_bp_sym[i], suffix[k]);
            if (hil_elfsym_lookup(syms, name, &v) == 0) {
                fprintf(stderr, "qemu-target: %s: the compiler cloned %s into %s: calls would miss the "
                        "breakpoint (add __attribute__((noipa)) to it)\n", elf, qemu_bp_sym[i], name);
                return FOTA_EINVAL;
            }
        }
        for (int j = 0; j < i; j++) {
            if (bp[i] != 0 && bp[i] == bp[j]) {
                fprintf(stderr, "qemu-target: %s: %s and %s share address 0x%08x (identical code "
                        "folded; add __attribute__((noipa)))\n", elf, qemu_bp_sym[j], qemu_bp_sym[i], bp[i]);
                return FOTA_EINVAL;
            }
        }
    }
    return 0;
}

int hil_qemu_create(const struct hil_qemu_opts *opts, struct hil_flash *flash,
                    const struct hil_target_hooks *hooks, struct hil_target **out)
{
    if (opts == NULL || flash == NULL || out == NULL || opts->bootloader_elf == NULL ||
        opts->workdir == NULL) {
        return FOTA_EINVAL;
    }
    *out = NULL;
    char err[512];
    struct hil_elfsym *syms;
    int rc = hil_elfsym_open(opts->bootloader_elf, &syms, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "qemu-target: %s\n", err);
        return rc == FOTA_ENOMEM ? FOTA_ENOMEM : FOTA_EIO;
    }
    struct qemu_target *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        hil_elfsym_close(syms);
        return FOTA_ENOMEM;
    }
    for (int i = 0; i < BP_COUNT; i++) {
        rc = hil_elfsym_lookup_addr(syms, qemu_bp_sym[i], &q->bp[i]);
        if (rc != 0 && i == BP_RESET) {
            rc = 0; /* fall back to the reset vector at power-on */
            q->bp[i] = 0;
            continue;
        }
        if (rc != 0 && i >= BP_FIRST_OPTIONAL) {
            rc = 0; /* no SPI link in this bootloader: USART1 only */
            q->bp[i] = 0;
            continue;
        }
        if (rc != 0) {
            fprintf(stderr, "qemu-target: %s: symbol %s not found (a HIL-served function of fota/port.h)\n",
                    opts->bootloader_elf, qemu_bp_sym[i]);
            hil_elfsym_close(syms);
            free(q);
            return FOTA_ENOENT;
        }
    }
    q->have_reset_sym = q->bp[BP_RESET] != 0;
    rc = qemu_check_served(opts->bootloader_elf, syms, q->bp);
    hil_elfsym_close(syms);
    if (rc != 0) {
        free(q);
        return rc;
    }
    q->qemu = strdup(opts->qemu != NULL ? opts->qemu : "qemu-system-arm");
    q->workdir = strdup(opts->workdir);
    if (q->qemu == NULL || q->workdir == NULL) {
        free(q->qemu);
        free(q->workdir);
        free(q);
        return FOTA_ENOMEM;
    }
    q->icount_shift = opts->icount_shift;
    q->verbose = opts->verbose;
    q->wd_scale = opts->watchdog_scale > 0 ? opts->watchdog_scale : 1.0;
    q->pid = -1;
    q->con_fd = q->link_fd = q->qmp_fd = q->spi_fd = -1;
    q->link_spi = opts->link_spi;
    q->base.ops = &qemu_ops;
    if (hooks != NULL) {
        q->base.hooks = *hooks;
    }
    q->base.flash = flash;
    q->base.powered = false;
    *out = &q->base;
    return 0;
}
