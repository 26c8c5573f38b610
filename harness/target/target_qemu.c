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
 *   spi.sock  fota-f407 with the SPI link: the SPI1 slave's master side
 *             (spi_master.h); the harness clocks it
 * Files: flash.img (the model, written at power-on), qemu.log (stderr).
 *
 * Sources: RM0090 rev 19 (Table 5 sector map via fota/layout.h; 21.3 IWDG
 * behaviour: once started it cannot be stopped, a system reset stops
 * it); AAPCS (arguments in r0-r3, result in r0, return address in lr);
 * GDB manual appendix E (see rsp.h); QEMU docs "QEMU Machine Protocol".
 */
#include "target/target.h"
#include "target/rsp_target.h"

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

#include "target/child.h"
#include "target/f407_flash.h"
#include "target/qmp.h"
#include "target/rsp.h"
#include "target/spi_master.h"
#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/proto.h"

/* The QEMU backend's own served functions (fota/port.h; the core serves
 * the flash, port_jump and Reset_Handler). NOTE: renaming one there breaks
 * this. The link strap and SPI1 slave (bootloader/port/stm32f4/spi.h) are
 * optional: a bootloader without them runs over USART1. */
enum qemu_bp { BP_WD_START = HIL_RSPT_BP_CORE, BP_WD_REFRESH, BP_STRAP, BP_SPI_RX, BP_SPI_TX, BP_END };

static const struct hil_rspt_sym qemu_syms[BP_END - HIL_RSPT_BP_CORE] = {
    { "port_watchdog_start", false }, { "port_watchdog_refresh", false },
    { "port_link_strap", true }, { "port_spi_rx", true }, { "port_spi_tx", true },
};
#define QEMU_SPI_TX_MAX      4096u

/* Limits. Every blocking step is bounded by one of these. They bound a
 * hung QEMU and never decide a verdict (step timeouts count device time),
 * so they are generous: on a loaded 2-core machine QEMU's start-up and
 * its QMP greeting took longer than 5 s (a "qmp handshake failed" FAIL of
 * update.clean in make test at load average 10+). */
#define QEMU_START_MS        30000 /* QEMU up and its sockets accepting */
#define QEMU_RSP_MS          5000  /* one GDB request/reply */
#define QEMU_QMP_MS          30000 /* one QMP command */
#define QEMU_REAP_MS         5000  /* waitpid after SIGKILL */
#define QEMU_LOG_TAIL        600   /* bytes of qemu.log quoted in HIL_EV_DIED */

struct qemu_target {
    struct hil_rsp_target c; /* first: the runner holds &c.base */
    char *qemu;
    char *workdir;
    int icount_shift;
    double wd_scale;
    bool link_spi;
    int spi_fd;             /* SPI: the slave's end of the link socketpair, -1 */
    struct hil_spim spim;   /* f407 SPI: the master side of SPI1 (fd -1 while off) */

    enum hil_qemu_machine machine;

    /* While powered. */
    pid_t pid;
    struct hil_qmp qmp;     /* fd -1 while off */
    bool wd_fired;          /* f407: a QMP WATCHDOG event came, not yet reported */

    /* f407: the operations the FLASH model reported, not yet handed on
     * (queued by the QMP event callback, taken by qemu_f407_ops), and the
     * fault the device is armed with, counted down as it counts. */
    struct hil_f407_op *fq;
    size_t fq_n, fq_cap;
    bool fq_busy;           /* qemu_f407_ops is running */
    struct hil_fault_plan armed;
    bool plan_warned;

    /* IWDG model: the deadline in hil_rspt_clock_ms (QEMU's CPU time: it
     * counts how far the guest got, not how busy the machine is). */
    bool wd_armed;
    uint32_t wd_timeout_ms;
    int64_t wd_deadline;

    char detail[1024];
};

static const struct hil_target_ops qemu_ops;

/* ---- process and sockets ---- */

static int qemu_path(const struct qemu_target *q, const char *name, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s", q->workdir, name);
    return (n < 0 || (size_t)n >= len) ? FOTA_EINVAL : 0;
}

/* fota-f407: after QEMU is gone, its flash file is the truth (the FLASH
 * model wrote every finished operation through to it; one cut mid-way
 * left the cells as they were): the harness's model takes it, so a driver
 * that programs the wrong cells shows in every later check. */
static void qemu_read_back(struct qemu_target *q)
{
    char path[4096];
    if (q->machine != HIL_QEMU_F407 || qemu_path(q, "flash.img", path, sizeof(path)) != 0) {
        return;
    }
    if (hil_flash_load_file(q->c.base.flash, LAYOUT_FLASH_BASE, path) != 0) {
        fprintf(stderr, "qemu-target: cannot read back %s: %s; the flash model keeps the mirrored operations\n",
                path, strerror(errno));
    }
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
    int64_t deadline = hil_rspt_now_ms() + ms;
    for (;;) {
        pid_t w = waitpid(q->pid, st, WNOHANG);
        if (w == q->pid || (w < 0 && errno == ECHILD)) {
            q->pid = -1;
            q->c.clock_pid = 0;
            return true;
        }
        if (hil_rspt_now_ms() >= deadline) {
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
            q->c.clock_pid = 0;
        }
    }
    hil_rspt_close_link(&q->c);
    if (q->c.con_fd >= 0) {
        close(q->c.con_fd);
    }
    if (q->c.link_fd >= 0) {
        close(q->c.link_fd);
    }
    hil_qmp_close(&q->qmp);
    if (q->spi_fd >= 0) {
        close(q->spi_fd);
    }
    if (q->spim.fd >= 0) {
        close(q->spim.fd);
    }
    hil_spim_init(&q->spim, -1);
    q->c.con_fd = q->c.link_fd = q->spi_fd = -1;
    q->wd_fired = false;
    q->wd_armed = false;
    q->c.jump_pending = false;
    q->c.base.powered = false;
    q->c.gen++;
    /* f407: a new process starts disarmed; what it reported after the
     * operations already handed on never happened (the power is gone). */
    memset(&q->armed, 0, sizeof(q->armed));
    for (size_t i = 0; i < q->fq_n; i++) {
        hil_f407_op_free(&q->fq[i]);
    }
    q->fq_n = 0;
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
    qemu_read_back(q);
    hil_rspt_console_flush(&q->c);
    hil_rspt_event(&q->c, HIL_EV_DIED, 0, q->detail);
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
        if (hil_rspt_now_ms() >= deadline) {
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
    const char *argv[44];
    int n = 0;
    bool f407_spi = q->machine == HIL_QEMU_F407 && q->link_spi;
    argv[n++] = q->qemu;
    argv[n++] = "-M";
    /* fota-f407: the board's strap pin selects the link (docs/QEMU.md) */
    argv[n++] = q->machine != HIL_QEMU_F407 ? "netduinoplus2" : f407_spi ? "fota-f407,link-strap=spi" : "fota-f407";
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
    if (f407_spi) {
        argv[n++] = "-chardev";
        argv[n++] = "socket,id=spi,path=spi.sock,server=on,wait=off";
        argv[n++] = "-global";
        argv[n++] = "stm32f4xx-spi-slave.chardev=spi";
    }
    if (q->machine == HIL_QEMU_F407) {
        /* The FLASH interface model programs the array and writes each
         * finished operation through to the file (docs/QEMU.md). */
        argv[n++] = "-drive";
        argv[n++] = "if=pflash,format=raw,file=flash.img";
    } else {
        argv[n++] = "-device";
        argv[n++] = "loader,file=flash.img,addr=0x08000000";
    }
    if (q->icount_shift >= 0) {
        snprintf(icount, sizeof(icount), "shift=%d,sleep=off", q->icount_shift);
        argv[n++] = "-icount";
        argv[n++] = icount;
    }
    argv[n] = NULL;

    static const char *const socks[] = { "gdb.sock", "link.sock", "con.sock", "qmp.sock", "spi.sock" };
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
    int rc = hil_child_spawn(argv, q->workdir, logfd, false, &q->pid);
    close(logfd);
    return rc;
}

/* ---- QMP (qmp.h) ---- */

/* A QMP event: WATCHDOG is the fota-f407 IWDG model's expiry (QEMU's
 * watchdog_perform_action, action reset). Reported from qemu_service, not
 * from inside a QMP exchange. */
static void qemu_qmp_event(void *ctx, const char *event, const char *data_json)
{
    struct qemu_target *q = ctx;
    struct hil_f407_op o;
    int rc = hil_f407_parse(event, data_json, &o);
    if (rc == FOTA_ENOENT) {
        hil_rspt_log(&q->c, "qmp event %s %s", event, data_json);
    }
    if (strcmp(event, "WATCHDOG") == 0) {
        q->wd_fired = true;
    }
    if (rc == FOTA_EINVAL || rc == FOTA_ENOMEM) {
        fprintf(stderr, "qemu-target: cannot read the QMP event %s %s: %s\n", event, data_json, fota_strerror(rc));
    }
    if (rc != 0) {
        return;
    }
    if (q->fq_n == q->fq_cap) {
        size_t cap = q->fq_cap == 0 ? 64 : q->fq_cap * 2;
        struct hil_f407_op *n = realloc(q->fq, cap * sizeof(*n));
        if (n == NULL) {
            hil_f407_op_free(&o);
            fprintf(stderr, "qemu-target: out of memory: flash operation %u lost\n", o.dev_seq);
            return;
        }
        q->fq = n;
        q->fq_cap = cap;
    }
    q->fq[q->fq_n++] = o; /* handed on from qemu_service or a stop, never from inside a QMP exchange */
}

/* ---- guest control ---- */

static int64_t qemu_wd_period(const struct qemu_target *q)
{
    double ms = (double)q->wd_timeout_ms * q->wd_scale;
    return ms < 1.0 ? 1 : (int64_t)ms;
}

/* Cut power: QEMU killed, the model read back (f407), @p op's torn part
 * applied to it (NULL: none), HIL_EV_POWER_OFF. */
static void qemu_cut(struct qemu_target *q, const char *what, const struct hil_flash_op *op, enum hil_torn torn)
{
    qemu_teardown(q);
    qemu_read_back(q);
    if (op != NULL) {
        hil_rspt_apply(&q->c, op, torn);
    }
    hil_rspt_console_flush(&q->c);
    hil_rspt_event(&q->c, HIL_EV_POWER_OFF, 0, what);
}

/* ---- fota-f407: flash operations reported over QMP (f407_flash.h) ---- */

/* An operation that raised error flags left the cells as the device says:
 * its range is read back from the flash file. */
static void qemu_read_back_range(struct qemu_target *q, uint32_t addr, uint32_t len)
{
    char path[4096];
    int fd = qemu_path(q, "flash.img", path, sizeof(path)) == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0 || addr < LAYOUT_FLASH_BASE || addr - LAYOUT_FLASH_BASE + (uint64_t)len > LAYOUT_FLASH_SIZE ||
        pread(fd, &q->c.base.flash->mem[addr - LAYOUT_FLASH_BASE], len, addr - LAYOUT_FLASH_BASE) != (ssize_t)len) {
        fprintf(stderr, "qemu-target: cannot read back 0x%08x+%u from %s\n", addr, len, path);
    }
    if (fd >= 0) {
        close(fd);
    }
}

/* The runner wanted a cut at an operation the device was not armed for
 * (it has run it, and more): the model holds the flash before it, so the
 * power goes with the model as the truth and the torn part applied, as a
 * cut at a breakpoint would leave it. */
static void qemu_cut_late(struct qemu_target *q, const struct hil_flash_op *op, enum hil_torn torn)
{
    fprintf(stderr, "qemu-target: fota-f407 was not armed for the cut at flash op #%u: cut after it, "
            "from the flash model\n", op->seq);
    qemu_teardown(q);
    hil_rspt_apply(&q->c, op, torn);
    hil_rspt_console_flush(&q->c);
    hil_rspt_event(&q->c, HIL_EV_POWER_OFF, 0, "cut after a flash op (device not armed)");
}

/* Hand one reported operation to the runner and do what the device did. */
static void qemu_f407_op(struct qemu_target *q, struct hil_f407_op *o)
{
    struct hil_flash_verdict v;
    uint32_t gen = q->c.gen;
    hil_f407_plan_count(&q->armed, &o->op);
    hil_rspt_ask(&q->c, &o->op, &v);
    if (q->c.gen != gen) {
        return;
    }
    bool expected = (o->done == HIL_F407_APPLIED && v.action == HIL_ACT_APPLY) ||
                    (o->done == HIL_F407_CUT && v.action == HIL_ACT_CUT) ||
                    (o->done == HIL_F407_FAILED && v.action == HIL_ACT_FAIL) ||
                    (o->done == HIL_F407_DROPPED && v.action == HIL_ACT_DROP);
    if (!expected) {
        fprintf(stderr, "qemu-target: flash op #%u: the device did %d, the verdict is %d\n", o->op.seq,
                (int)o->done, (int)v.action);
    }
    if (o->done == HIL_F407_CUT) {
        /* The device left it torn in the file and stopped: the power goes. */
        qemu_cut(q, o->op.kind == HIL_OP_ERASE ? "cut during erase" : "cut during program", NULL, HIL_TORN_NONE);
    } else if (o->done == HIL_F407_APPLIED && v.action == HIL_ACT_CUT) {
        qemu_cut_late(q, &o->op, v.torn);
    } else if (o->done == HIL_F407_APPLIED && o->error != 0) {
        qemu_read_back_range(q, o->op.addr, o->op.len);
    } else if (o->done == HIL_F407_APPLIED) {
        hil_rspt_apply(&q->c, &o->op, HIL_TORN_ALL);
    }
}

/* Hand the reported operations on, in order. New reports that come while
 * the runner's hooks run wait for the next call; after a cut the rest
 * never happened. */
static void qemu_f407_ops(struct qemu_target *q)
{
    if (q->fq_busy || q->fq_n == 0) {
        return;
    }
    struct hil_f407_op *list = q->fq;
    size_t n = q->fq_n;
    q->fq = NULL;
    q->fq_n = q->fq_cap = 0;
    q->fq_busy = true;
    uint32_t gen = q->c.gen;
    for (size_t i = 0; i < n; i++) {
        if (list[i].mass) {
            hil_rspt_log(&q->c, "mass erase reported (not a port operation): in the model at the next read-back");
        } else if (q->c.gen == gen) {
            qemu_f407_op(q, &list[i]);
        }
        hil_f407_op_free(&list[i]);
    }
    free(list);
    q->fq_busy = false;
}

/* Arm the device with the runner's next fault if that changed; the
 * target is stopped (its reports up to the stop are in the QMP socket).
 * @return 0; a QMP error. */
static int qemu_f407_arm(struct qemu_target *q)
{
    uint32_t gen = q->c.gen;
    (void)hil_qmp_poll_events(&q->qmp);
    qemu_f407_ops(q);
    if (q->c.gen != gen || q->c.base.hooks.plan_fault == NULL) {
        return 0;
    }
    struct hil_fault_plan p;
    memset(&p, 0, sizeof(p));
    int pending = q->c.base.hooks.plan_fault(q->c.base.hooks.ctx, &p);
    if (pending > 1 && !q->plan_warned) {
        q->plan_warned = true;
        fprintf(stderr, "qemu-target: %d flash faults pending at once: fota-f407 injects the nearest; the others "
                "are cut after their operation, from the flash model\n", pending);
    }
    if (hil_f407_plan_equal(&p, &q->armed)) {
        return 0;
    }
    hil_rspt_log(&q->c, "arm the FLASH model: fault at op %u from now (action %d)", p.n, (int)p.v.action);
    int rc = hil_f407_arm(&q->qmp, &p, QEMU_QMP_MS);
    q->armed = p; /* also on an error (said by the caller): no retry at every service */
    return rc;
}

/* The runner's next fault changed while the target runs: stop it, arm,
 * and let the stop take its course (a breakpoint that raced the stop is
 * dispatched as such). @return 0; an rsp or QMP error. */
static int qemu_f407_rearm(struct qemu_target *q)
{
    struct hil_fault_plan p;
    memset(&p, 0, sizeof(p));
    if (q->c.base.hooks.plan_fault == NULL || !hil_rsp_running(q->c.rsp)) {
        return 0;
    }
    (void)q->c.base.hooks.plan_fault(q->c.base.hooks.ctx, &p);
    if (hil_f407_plan_equal(&p, &q->armed)) {
        return 0;
    }
    struct hil_rsp_stop st;
    int rc = hil_rsp_interrupt(q->c.rsp, &st);
    if (rc != 0) {
        return rc;
    }
    /* The stop hook arms; the core resumes or dispatches the stop. */
    return hil_rspt_handle_stop(&q->c, &st);
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
        rc = hil_rsp_write_mem(q->c.rsp, regs[0], tmp, got);
    }
    uint8_t g[4] = { (uint8_t)got, (uint8_t)(got >> 8), (uint8_t)(got >> 16), (uint8_t)(got >> 24) };
    if (rc == 0) {
        rc = hil_rsp_write_mem(q->c.rsp, regs[2], g, 4);
    }
    return rc != 0 ? rc : hil_rspt_return(&q->c, true, 0, regs[14]);
}

/* port_spi_tx(buf, len): queue the bytes for MISO (the runner's SPI bus). */
static int qemu_serve_spi_tx(struct qemu_target *q, const uint32_t regs[16])
{
    uint8_t tmp[QEMU_SPI_TX_MAX];
    uint32_t len = regs[1];
    if (len > sizeof(tmp)) {
        return hil_rspt_return(&q->c, true, FOTA_ESIZE, regs[14]);
    }
    int rc = len > 0 ? hil_rsp_read_mem(q->c.rsp, regs[0], tmp, len) : 0;
    if (rc != 0) {
        return rc;
    }
    if (q->spi_fd >= 0 && len > 0 && send(q->spi_fd, tmp, len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)len) {
        return hil_rspt_return(&q->c, true, FOTA_EBUSY, regs[14]);
    }
    return hil_rspt_return(&q->c, true, 0, regs[14]);
}

/* port_watchdog_start(timeout_ms), port_watchdog_refresh(): the IWDG model. */
static int qemu_serve_watchdog(struct qemu_target *q, bool start, const uint32_t regs[16])
{
    if (start) {
        /* RM0090 21.3: writing PR/RLR again reloads with the new period. */
        uint32_t gen = q->c.gen;
        q->wd_armed = true;
        q->wd_timeout_ms = regs[0];
        q->wd_deadline = q->c.stopped_at + qemu_wd_period(q);
        hil_rspt_event(&q->c, HIL_EV_WATCHDOG_START, regs[0], NULL);
        if (q->c.gen != gen) {
            return 0;
        }
    } else if (q->wd_armed) {
        q->wd_deadline = q->c.stopped_at + qemu_wd_period(q);
    }
    return hil_rspt_return(&q->c, false, 0, regs[14]);
}

/* A stop at one of the QEMU backend's own breakpoints (core hook). */
static int qemu_serve(struct hil_rsp_target *c, int bp, const uint32_t regs[16])
{
    struct qemu_target *q = (struct qemu_target *)c;
    switch (bp) {
    case BP_WD_START:
    case BP_WD_REFRESH:
        return qemu_serve_watchdog(q, bp == BP_WD_START, regs);
    case BP_STRAP:
        return hil_rspt_return(c, true, q->link_spi ? PORT_LINK_SPI : PORT_LINK_UART, regs[14]);
    case BP_SPI_RX:
        return qemu_serve_spi_rx(q, regs);
    case BP_SPI_TX:
    default:
        return qemu_serve_spi_tx(q, regs);
    }
}

/* Time the harness held the guest stopped does not count; fota-f407: the
 * device is armed with the runner's next fault (core hook). */
static void qemu_resuming(struct hil_rsp_target *c)
{
    struct qemu_target *q = (struct qemu_target *)c;
    if (q->wd_armed) {
        q->wd_deadline += hil_rspt_clock_ms(c) - c->stopped_at;
    }
    if (q->machine == HIL_QEMU_F407) {
        uint32_t gen = c->gen;
        int rc = qemu_f407_arm(q);
        if (rc != 0 && c->gen == gen) {
            fprintf(stderr, "qemu-target: cannot arm the FLASH model (%s: %s)\n", fota_strerror(rc), q->qmp.error);
        }
    }
}

/* fota-f407, at every stop (core hook): the operations reported before it
 * are handed on first; a stop that is no breakpoint may be the device's
 * after a fault, whose report a QMP round trip makes sure to have read.
 * @return true when a report cut the power (nothing more to do). */
static bool qemu_stopped(struct hil_rsp_target *c, bool stray)
{
    struct qemu_target *q = (struct qemu_target *)c;
    uint32_t gen = c->gen;
    if (q->machine != HIL_QEMU_F407) {
        return false;
    }
    if (stray) {
        (void)hil_qmp_command(&q->qmp, "query-status", NULL, QEMU_QMP_MS);
    } else {
        (void)hil_qmp_poll_events(&q->qmp);
    }
    qemu_f407_ops(q);
    return c->gen != gen;
}

/* Reset_Handler reached (core hook): a system reset stops the IWDG. */
static void qemu_booted(struct hil_rsp_target *c, bool after_jump)
{
    if (!after_jump) {
        ((struct qemu_target *)c)->wd_armed = false;
    }
}

/* A verdict cut power at a flash op (core hook): the model takes the torn
 * part, QEMU is killed. */
static void qemu_cut_at_op(struct hil_rsp_target *c, const struct hil_flash_op *op,
                           const struct hil_flash_verdict *v, uint32_t pc, uint32_t lr)
{
    (void)pc;
    (void)lr;
    qemu_cut((struct qemu_target *)c, op->kind == HIL_OP_ERASE ? "cut during erase" : "cut during program", op,
             v->torn);
}

/* The guest exited (core hook). */
static int qemu_exited(struct hil_rsp_target *c, const struct hil_rsp_stop *st)
{
    qemu_died((struct qemu_target *)c, st->type == 'W' ? "guest exited" : "guest terminated");
    return 0;
}

/* Fatal debug-link error while powered: kill QEMU, report, FOTA_EIO. */
static int qemu_link_broke(struct hil_rsp_target *c, int rc)
{
    struct qemu_target *q = (struct qemu_target *)c;
    char why[400];
    if (rc == FOTA_ECONN) {
        snprintf(why, sizeof(why), "qemu went away (%s)", q->c.rsp ? hil_rsp_error(q->c.rsp) : "");
        qemu_died(q, why);
        return 0;
    }
    snprintf(why, sizeof(why), "debug link broke: %s", q->c.rsp ? hil_rsp_error(q->c.rsp) : "");
    qemu_died(q, why);
    return FOTA_EIO;
}

/* Warm reset through QMP with the guest stopped, then continue. */
static int qemu_do_reset(struct qemu_target *q)
{
    q->c.gen++;
    if (hil_rsp_running(q->c.rsp)) {
        struct hil_rsp_stop st;
        int rc = hil_rsp_interrupt(q->c.rsp, &st);
        if (rc != 0) {
            return rc;
        }
        /* A breakpoint stop that raced the interrupt is dropped: the
         * reset comes first, the operation never happened. */
        q->c.stopped_at = hil_rspt_clock_ms(&q->c);
    }
    uint32_t gen = q->c.gen;
    hil_rspt_console_drain(&q->c);
    if (q->c.gen != gen) {
        return 0; /* a console hook already powered off or reset */
    }
    /* A reset cuts a line short: deliver the fragment as a line of its own
     * so the next boot's first line starts clean. */
    hil_rspt_console_flush(&q->c);
    if (q->c.gen != gen) {
        return 0;
    }
    int rc = hil_qmp_command(&q->qmp, "system_reset", NULL, QEMU_QMP_MS);
    if (rc != 0) {
        snprintf(q->detail, sizeof(q->detail), "qmp system_reset failed (%s%s%s)", fota_strerror(rc),
                 q->qmp.error[0] != '\0' ? ": " : "", q->qmp.error);
        return rc;
    }
    q->wd_armed = false;
    q->c.jump_pending = false;
    qemu_read_back(q); /* f407: an op the reset cut short is in the file as the chip left it */
    return hil_rspt_resume(&q->c);
}

/* ---- ops ---- */

/* fota-f407 SPI: the READY edge a call took (spi_master.h), as an event. */
static void qemu_spi_report(struct qemu_target *q, bool was)
{
    int level = hil_spim_ready_change(&q->spim, was);
    if (level >= 0) {
        hil_rspt_event(&q->c, HIL_EV_SPI_READY, (uint32_t)level, NULL);
    }
}

/* fota-f407 SPI: READY changes the slave reported between transfers. */
static void qemu_spi_service(struct qemu_target *q)
{
    bool was = q->spim.ready;
    if (q->spim.fd < 0) {
        return;
    }
    int rc = hil_spim_service(&q->spim);
    if (rc != 0) {
        hil_rspt_log(&q->c, "spi: the slave's chardev: %s", fota_strerror(rc));
        if (rc == FOTA_ECONN) {
            close(q->spim.fd);
            hil_spim_init(&q->spim, -1); /* QEMU went away: the debug link tells the rest */
        }
    } else {
        qemu_spi_report(q, was);
    }
}

/* Connect the sockets of a started QEMU, in the order it serves them.
 * @return 0 or an error with *step naming what failed. */
static int qemu_connect_all(struct qemu_target *q, const char **step)
{
    int64_t deadline = hil_rspt_now_ms() + QEMU_START_MS;
    int gfd = -1;
    *step = "connect gdb.sock";
    int rc = qemu_connect(q, "gdb.sock", deadline, &gfd);
    if (rc == 0) {
        rc = hil_rsp_open(gfd, QEMU_RSP_MS, &q->c.rsp);
    }
    if (rc == 0) {
        hil_rsp_set_peer(q->c.rsp, q->pid);
        q->c.clock_pid = q->pid;
    }
    if (rc == 0 && (rc = qemu_connect(q, "con.sock", deadline, &q->c.con_fd)) != 0) {
        *step = "connect con.sock";
    }
    if (rc == 0) {
        fcntl(q->c.con_fd, F_SETFL, fcntl(q->c.con_fd, F_GETFL) | O_NONBLOCK);
    }
    if (rc == 0 && (rc = qemu_connect(q, "link.sock", deadline, &q->c.link_fd)) != 0) {
        *step = "connect link.sock";
    }
    if (rc == 0 && q->link_spi && q->machine == HIL_QEMU_F407) {
        /* USART1 is silent; the runner's link is SPI1, clocked through spi_xfer. */
        int sfd = -1;
        *step = "connect spi.sock";
        rc = qemu_connect(q, "spi.sock", deadline, &sfd);
        if (rc == 0) {
            fcntl(sfd, F_SETFL, fcntl(sfd, F_GETFL) | O_NONBLOCK);
            hil_spim_init(&q->spim, sfd);
            close(q->c.link_fd);
            q->c.link_fd = -1;
        }
    } else if (rc == 0 && q->link_spi) {
        /* USART1 stays connected (and silent); the runner's link is the SPI slave. */
        int sp[2];
        *step = "spi socketpair";
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
            return FOTA_EIO;
        }
        close(q->c.link_fd);
        q->c.link_fd = sp[0];
        q->spi_fd = sp[1];
        fcntl(q->spi_fd, F_SETFL, fcntl(q->spi_fd, F_GETFL) | O_NONBLOCK);
    }
    int qfd = -1;
    if (rc == 0 && (rc = qemu_connect(q, "qmp.sock", deadline, &qfd)) != 0) {
        *step = "connect qmp.sock";
    }
    hil_qmp_init(&q->qmp, qfd, qemu_qmp_event, q);
    hil_qmp_set_peer(&q->qmp, q->pid);
    return rc;
}

/* Sockets, handshakes, breakpoints. @return 0 or an error with *step set. */
static int qemu_attach(struct qemu_target *q, const char **step)
{
    int rc = qemu_connect_all(q, step);
    if (rc == 0) {
        *step = "qmp handshake";
        rc = hil_qmp_handshake(&q->qmp, QEMU_QMP_MS);
    }
    if (rc == 0) {
        *step = "gdb handshake";
        rc = hil_rsp_handshake(q->c.rsp);
    }
    struct hil_rsp_stop st;
    if (rc == 0) {
        rc = hil_rsp_query_stop(q->c.rsp, &st);
    }
    const char *sym = NULL;
    if (rc == 0 && (rc = hil_rspt_set_breakpoints(&q->c, &sym)) != 0) {
        *step = "set breakpoints";
    }
    return rc;
}

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
    q->c.gen++;
    q->c.con_len = 0;
    const char *step = "";
    rc = qemu_attach(q, &step);
    if (rc != 0) {
        char why[600];
        snprintf(why, sizeof(why), "power_on: %s failed (%s)", step,
                 q->c.rsp ? hil_rsp_error(q->c.rsp) : strerror(errno));
        qemu_log_tail(q, why);
        fprintf(stderr, "qemu-target: %s\n", q->detail);
        qemu_teardown(q);
        return FOTA_EIO;
    }
    t->powered = true;
    q->c.stopped_at = hil_rspt_clock_ms(&q->c);
    /* -S holds the CPU at the reset vector, on the Reset_Handler
     * breakpoint: continuing reports it as the first stop (HIL_EV_BOOT). */
    rc = hil_rspt_resume(&q->c);
    if (rc != 0) {
        qemu_link_broke(&q->c, rc);
        return FOTA_EIO;
    }
    hil_rspt_log(&q->c, "powered on, pid %d", (int)q->pid);
    return 0;
}

static int qemu_power_off(struct hil_target *t)
{
    struct qemu_target *q = (struct qemu_target *)t;
    if (hil_rspt_drain_before_off(&q->c)) {
        qemu_cut(q, "power_off", NULL, HIL_TORN_NONE);
    }
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
        qemu_link_broke(&q->c, rc);
        return FOTA_EIO;
    }
    return 0;
}

static int qemu_poll_fds(struct hil_target *t, struct pollfd *fds, int max, int *timeout_ms)
{
    struct qemu_target *q = (struct qemu_target *)t;
    int n = hil_rspt_poll_fds(t, fds, max, timeout_ms);
    if (!t->powered) {
        return n;
    }
    n = hil_rspt_poll_add(fds, n, max, q->qmp.fd);
    n = hil_rspt_poll_add(fds, n, max, q->spim.fd);
    if (q->wd_armed && hil_rsp_running(q->c.rsp) && timeout_ms != NULL) {
        int64_t left = q->wd_deadline - hil_rspt_clock_ms(&q->c);
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
    uint32_t gen = q->c.gen;
    (void)hil_qmp_poll_events(&q->qmp); /* a closed QMP socket shows on the debug link too */
    qemu_f407_ops(q);
    qemu_spi_service(q);
    int rc = q->c.gen == gen ? hil_rspt_service(t, fds, n) : 0;
    if (rc == 0 && q->c.gen == gen && t->powered && q->machine == HIL_QEMU_F407) {
        rc = qemu_f407_rearm(q);
        if (rc != 0 && q->c.gen == gen) {
            return qemu_link_broke(&q->c, rc);
        }
    }
    if (rc != 0 || q->c.gen != gen || !t->powered) {
        return rc;
    }
    if (q->wd_fired) {
        /* fota-f407: the IWDG model reset the chip itself (RM0090 21.3). */
        q->wd_fired = false;
        hil_rspt_event(&q->c, HIL_EV_WATCHDOG, 0, "IWDG expired (QMP WATCHDOG event)");
        return 0;
    }
    /* IWDG model expiry (only counts while the guest runs). */
    if (q->wd_armed && hil_rsp_running(q->c.rsp) && hil_rspt_clock_ms(&q->c) >= q->wd_deadline) {
        hil_rspt_event(&q->c, HIL_EV_WATCHDOG, q->wd_timeout_ms, "IWDG model expired");
        if (q->c.gen != gen || !t->powered) {
            return 0;
        }
        rc = qemu_do_reset(q);
        if (rc != 0) {
            return qemu_link_broke(&q->c, rc);
        }
    }
    return 0;
}

/* Clock SPI1 of fota-f407 as its master (target.h spi_xfer). */
static int qemu_spi_xfer(struct hil_target *t, const uint8_t *mosi, uint8_t *miso, size_t n, bool *ready)
{
    struct qemu_target *q = (struct qemu_target *)t;
    bool was = q->spim.ready;
    if (!t->powered || q->spim.fd < 0) {
        if (miso != NULL) {
            memset(miso, 0xFF, n); /* nobody drives MISO */
        }
        *ready = false;
        return FOTA_ECONN;
    }
    int rc = hil_spim_xfer(&q->spim, mosi, miso, n, QEMU_QMP_MS, ready);
    if (rc != 0) {
        hil_rspt_log(&q->c, "spi: transfer of %zu bytes failed: %s", n, fota_strerror(rc));
    } else {
        qemu_spi_report(q, was);
    }
    return rc;
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
    free(q->fq);
    free(q->qemu);
    free(q->workdir);
    free(q);
}

/* Power and process are QEMU's; the stops are the core's, plus the
 * watchdog and SPI functions QEMU serves (qemu_serve). */
static const struct hil_target_ops qemu_ops = {
    .name = "qemu", .power_on = qemu_power_on, .power_off = qemu_power_off, .reset = qemu_reset,
    .poll_fds = qemu_poll_fds, .service = qemu_service, .link_fd = hil_rspt_link_fd,
    .describe = hil_rspt_describe, .destroy = qemu_destroy,
};

/* fota-f407 over SPI: the same, and the harness clocks SPI1 (spi_xfer). */
static const struct hil_target_ops qemu_spi_ops = {
    .name = "qemu", .power_on = qemu_power_on, .power_off = qemu_power_off, .reset = qemu_reset,
    .poll_fds = qemu_poll_fds, .service = qemu_service, .link_fd = hil_rspt_link_fd,
    .describe = hil_rspt_describe, .destroy = qemu_destroy, .spi_xfer = qemu_spi_xfer,
};

static const struct hil_rspt_backend qemu_backend = {
    .tag = "qemu-target", .serve = qemu_serve, .resuming = qemu_resuming, .stopped = qemu_stopped, .booted = qemu_booted,
    .cut = qemu_cut_at_op, .exited = qemu_exited, .broke = qemu_link_broke,
};

int hil_qemu_create(const struct hil_qemu_opts *opts, struct hil_flash *flash,
                    const struct hil_target_hooks *hooks, struct hil_target **out)
{
    if (opts == NULL || flash == NULL || out == NULL || opts->bootloader_elf == NULL ||
        opts->workdir == NULL) {
        return FOTA_EINVAL;
    }
    *out = NULL;
    struct qemu_target *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        return FOTA_ENOMEM;
    }
    bool f407 = opts->machine == HIL_QEMU_F407;
    /* fota-f407 runs the port's register code; its FLASH model reports
     * the operations and injects the faults (QMP, f407_flash.h). */
    hil_rspt_init(&q->c, f407 && opts->link_spi ? &qemu_spi_ops : &qemu_ops, &qemu_backend, flash, hooks, f407 ? HIL_RSPT_FLASH_DEVICE : HIL_RSPT_FLASH_SERVE,
                  opts->verbose);
    q->c.glitch = opts->glitch;
    q->machine = opts->machine;
    q->pid = -1;
    q->qmp.fd = q->spi_fd = -1;
    hil_spim_init(&q->spim, -1);
    int rc = hil_rspt_resolve(&q->c, opts->bootloader_elf, qemu_syms, f407 ? 0 : BP_END - HIL_RSPT_BP_CORE);
    q->qemu = strdup(opts->qemu != NULL ? opts->qemu : "qemu-system-arm");
    q->workdir = strdup(opts->workdir);
    if (rc == 0 && (q->qemu == NULL || q->workdir == NULL)) {
        rc = FOTA_ENOMEM;
    }
    if (rc != 0) {
        qemu_destroy(&q->c.base);
        return rc;
    }
    q->icount_shift = opts->icount_shift;
    q->wd_scale = opts->watchdog_scale > 0 ? opts->watchdog_scale : 1.0;
    q->link_spi = opts->link_spi;
    *out = &q->c.base;
    return 0;
}
