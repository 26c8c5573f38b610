/**
 * @file runner.c
 * @brief One scenario against one target (see runner.h).
 *
 * Everything happens in one poll loop (pump()): the target's fds and
 * timers, the link proxy's two ends (our end of the updater's socketpair, the
 * target's link fd) and the updater process (pidfd). Steps only decide how
 * long to pump and what to check in between.
 */
#include "run/runner.h"
#include "run/sweep_share.h"
#include "run/bridge_env.h"
#include "run/diag.h"
#include "run/hold.h"
#include "run/workdir.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "scenario/inject.h"
#include "scenario/cut_at.h"
#include "scenario/journal.h"
#include "scenario/slot_hash.h"
#include "scenario/updater_result.h"
#include "link/proxy.h"
#include "trace/runtrace.h"
#include "link/rom_link.h"
#include "link/rom_an4286.h"
#include "link/rom_an4221.h"
#include "link/i2c_link.h"
#include "link/spi_link.h"
#include "scenario/sweep.h"
#include "target/glitch.h"
#include "target/target.h"
#include "target/target_board.h"

#define HIL_PUMP_SLICE_MS   50     /* longest single poll while a step waits */
#define HIL_SPI_DRAIN_CHUNK 32     /* f407 SPI: bytes the harness clocks per chunk after READY rose */
#define HIL_SPI_DRAIN_MAX   40     /* chunks at most: more than the largest frame (PROTO_MAX_FRAME + 1) */
#define HIL_UPDATER_FD      3      /* the updater's end of the link socketpair */
#define HIL_WALL_BACKSTOP   10u    /* a timeout of T device ms ends after 10 T + 60 s of wall time at most */
#define HIL_WALL_SLACK_MS   60000u
/* A wait ends when the device has not run at all for this long of wall
 * time (hold.h hil_devclock_stalled_ms): QEMU stopped, or idle with no
 * timer to wake it. A scheduler starves a runnable process for
 * milliseconds, not seconds, even on a loaded machine: this cannot end
 * the wait of a device that is merely slow. */
#define HIL_STALL_MS        20000u
#define HIL_UPDATER_PORT    "fd:3"
#define HIL_MSG_MAX         8192
#define HIL_TAIL_LINES      10     /* console lines quoted in a failure */
#define HIL_CONSOLE_FILE_MAX (1024u * 1024u)

struct run_update {
    bool active;
    int master;                    /**< our end of the updater's link socketpair, -1 closed */
    int slave;                     /**< the updater's end until it is spawned, -1 */
    pid_t pid;
    int pidfd;
    bool exited;
    int status;
    bool interrupted;              /**< a fault cut the power while it ran */
    char image[PATH_MAX];          /**< the image sent ({target} resolved, journal.h) */
    struct hil_buf to_target;      /**< proxy output waiting for the link fd */
    struct hil_buf to_host;        /**< proxy output waiting for the updater's socket */
    char log_path[PATH_MAX + 32];
    char json_path[PATH_MAX + 32]; /**< fotactl update --json (outcome.h `updater:`), "" if not asked */
    uint64_t started_dev_ms;       /**< device time when the updater was started */
    bool spi_master;               /**< the updater's link carries spi-emu transfers (spi_link.h) */
    bool i2c_master;               /**< the updater's link carries i2c-emu transactions (i2c_link.h) */
    bool fota;                     /**< the update protocol (not a ROM's): the updater is held (hold.h) */
    struct hil_hold hold;          /**< held while the device owes an answer (hold.h) */
    bool bridge;                   /**< the updater is fota-bridge (`bridge: start`), running across steps */
};

/* A timeout in device time (hold.h), with a wall-clock backstop that ends
 * it even when the device never runs again (QEMU stopped or wedged). */
struct run_deadline {
    uint64_t dev_until;            /**< device ms */
    uint64_t wall_until;           /**< wall ms: HIL_WALL_BACKSTOP x the timeout + HIL_WALL_SLACK_MS */
};

struct run {
    const struct hil_scenario *s;
    const struct hil_run_opts *o;
    char workdir[PATH_MAX];
    struct hil_flash *flash;
    struct hil_target *t;
    FILE *console_log;
    FILE *event_log;
    uint64_t t0;
    struct run_deadline deadline;  /**< scenario timeout */
    struct hil_devclock devclock;  /**< device time (hold.h): waits and timeouts count in it */
    /* console */
    char **lines;
    size_t nlines;
    size_t cap;
    size_t cursor;                 /**< first line expect_console looks at */
    /* what the device does */
    int running_slot;              /**< slot of the last jump since the last boot, -1 none */
    uint32_t boots;
    uint32_t jumps;
    bool share_touched;            /**< a probe (sweep_share.h): W was touched (op, jump, HIL_EV_WATCH) */
    bool share_armed;              /**< the target kept its watchpoint on W in every session */
    uint32_t watchdogs;
    bool died;
    char died_detail[256];
    bool target_error;
    bool case_cut;                 /**< a sweep case's cut fired: skip to the step after its window */
    /* link */
    int link_fd;                   /**< link fd as last seen, -1 */
    bool link_dead;                /**< EOF/error on link_fd: stop polling it until it changes */
    struct hil_proxy proxy;
    struct hil_inject inject;
    struct hil_cut_at cut_at;      /**< power cuts at a console line or a device time (cut_at.h) */
    struct run_update u;
    struct hil_runtrace rt;        /**< trace.pcap (runtrace.h) */
    struct hil_romlink rl;         /**< ROM-bootloader path: BOOT0/NRST control, emulated ROM */
    struct hil_i2c i2c_bus;        /**< emulated I2C bus between the updater and the ROM (AN4221) */
    bool spi;                      /**< the update link is SPI (link: spi, or --link spi) */
    struct hil_spi spi_bus;        /**< emulated SPI bus between the updater and the slave */
    bool spi_drain;                /**< f407 SPI: READY rose, the harness clocks the answer out */
    /* diagnosis of a timed-out step (diag.h) */
    struct hil_diag_ring diag_frames;
    struct hil_diag_ring diag_events;
    /* glitch sweeps (target/glitch.h): the engine of a case (glitch), or the trace run's (o->glitch_trace) */
    struct hil_glitch glitch;
    struct hil_glitch *g;          /**< NULL: no glitch engine in this run */
    int glitch_bad_slot;           /**< the pending slot whose image must never run, -1 */
    bool glitch_decided;           /**< the glitched boot jumped or entered update mode */
    uint64_t glitch_decided_ms;    /**< device ms when it did */
    /* the bridge's servers, status watcher, netfault proxy (bridge_env.h) */
    struct hil_benv benv;
    /* verdict */
    int step;                      /**< 1-based step being run */
    char msg[HIL_MSG_MAX];
};

/* ---- small helpers ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static double elapsed_s(const struct run *r)
{
    return (double)(now_ms() - r->t0) / 1000.0;
}

static void evlog(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void evlog(struct run *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char line[sizeof(buf) + 16];
    snprintf(line, sizeof(line), "[%9.3f] %s", elapsed_s(r), buf);
    hil_diag_ring_add(strncmp(buf, "link ", 5) == 0 ? &r->diag_frames : &r->diag_events, line);
    if (r->event_log != NULL) {
        fprintf(r->event_log, "[%9.3f] %s\n", elapsed_s(r), buf);
    }
    if (r->o->verbose) {
        fprintf(stderr, "[%s %8.3f] %s\n", r->s->id, elapsed_s(r), buf);
    }
}

static const char *slot_name(int slot)
{
    return slot == LAYOUT_SLOT_A ? "A" : slot == LAYOUT_SLOT_B ? "B" : "none";
}

static const char *region_name(enum hil_region rg)
{
    switch (rg) {
    case HIL_REGION_BOOT: return "boot";
    case HIL_REGION_META: return "meta";
    case HIL_REGION_SLOT_A: return "slot_a";
    case HIL_REGION_SLOT_B: return "slot_b";
    case HIL_REGION_OTHER: break;
    }
    return "other";
}

static const char *torn_name(enum hil_torn t)
{
    return t == HIL_TORN_HALF ? "half" : t == HIL_TORN_ALL ? "all" : t == HIL_TORN_BITS ? "bits" : "none";
}

int hil_rmtree_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw);
int hil_rmtree_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    int rc = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    return rc != 0 && errno != ENOENT ? -1 : 0;
}

int hil_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? 0 : FOTA_EIO;
    }
    return nftw(path, hil_rmtree_cb, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : FOTA_EIO;
}

char *hil_read_text_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    long size = 0;
    if (fseek(f, 0, SEEK_END) == 0) {
        size = ftell(f);
    }
    if (size < 0) {
        size = 0;
    }
    long start = (size_t)size > max ? size - (long)max : 0;
    fseek(f, start, SEEK_SET);
    size_t want = (size_t)(size - start);
    char *buf = malloc(want + 1);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, want, f);
    buf[n] = '\0';
    fclose(f);
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\0') {
            buf[i] = '?';
        }
    }
    return buf;
}

/* Append to r->msg. */
static void msg_add(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void msg_add(struct run *r, const char *fmt, ...)
{
    size_t used = strlen(r->msg);
    if (used + 1 >= sizeof(r->msg)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + used, sizeof(r->msg) - used, fmt, ap);
    va_end(ap);
}

/* Record the failure of the current step (first one wins). @return -1. */
static int step_fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int step_fail(struct run *r, const char *fmt, ...)
{
    if (r->msg[0] != '\0') {
        return -1;
    }
    const struct hil_step *st = r->step >= 1 ? &r->s->steps[r->step - 1] : NULL;
    if (st != NULL) {
        snprintf(r->msg, sizeof(r->msg), "step %d %s: ", r->step, hil_step_name(st->kind));
    }
    size_t used = strlen(r->msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + used, sizeof(r->msg) - used, fmt, ap);
    va_end(ap);
    if (st != NULL) {
        /* After quoted output (fotactl's lines) the location gets its own line. */
        if (st->origin != NULL) {
            msg_add(r, "%s(%s)", strchr(r->msg, '\n') != NULL ? "\n" : " ", st->origin);
        } else {
            msg_add(r, "%s(%s:%d)", strchr(r->msg, '\n') != NULL ? "\n" : " ", r->s->file, st->line);
        }
    }
    if (r->died) {
        msg_add(r, "; target died: %s", r->died_detail);
    }
    if (r->nlines == 0) {
        msg_add(r, "; no console output");
    } else {
        msg_add(r, "; last console lines:");
        size_t from = r->nlines > HIL_TAIL_LINES ? r->nlines - HIL_TAIL_LINES : 0;
        for (size_t i = from; i < r->nlines; i++) {
            msg_add(r, "\n| %s", r->lines[i]);
        }
    }
    evlog(r, "FAIL step %d", r->step);
    return -1;
}

/* ---- hooks (called from the target's service()) ---- */

/* The last step of the journal window being recorded (journal.h). */
static int journal_last(const struct hil_run_opts *o)
{
    return o->journal_through > o->journal_step ? o->journal_through : o->journal_step;
}

static bool in_journal_window(const struct run *r)
{
    return r->o->journal != NULL && r->step >= r->o->journal_step && r->step <= journal_last(r->o);
}

static void hook_flash_op(void *ctx, const struct hil_flash_op *op, struct hil_flash_verdict *v)
{
    struct run *r = ctx;
    int which = -1;
    bool cut = hil_inject_op(&r->inject, op, v, &which);
    if (in_journal_window(r)) {
        (void)hil_journal_add(r->o->journal, op);
    }
    hil_case_on_flash_op(r->s->sweep_case, r->step, op, v);
    r->share_touched = r->share_touched || hil_sweep_share_touches(r->s->sweep_case, op, 0);
    if (v->action == HIL_ACT_FAIL || v->action == HIL_ACT_DROP) {
        evlog(r, "FAULT flash op#%u %s (sweep case)", op->seq, v->action == HIL_ACT_FAIL ? "fails" : "does not stick");
    }
    if (!cut && v->action == HIL_ACT_CUT) {
        const struct hil_case *c = r->s->sweep_case;
        if (c->kind == HIL_CASE_MULTI_CUT) {
            /* do_multi_update powers on and runs the next attempt. */
            evlog(r, "FAULT power_cut at %s op#%u, matching op %u of the step's attempts, torn %s (sweep case: "
                  "cut %u of %u)", op->kind == HIL_OP_ERASE ? "erase" : "program", op->seq, c->kind_seen,
                  torn_name(v->torn), c->cuts_fired, c->ncuts);
        } else {
            /* A sweep case's one cut (sweep.h): the rest of the window is skipped. */
            r->case_cut = true;
            evlog(r, "FAULT power_cut at %s #%u of the sweep window (step %d), torn %s (sweep case)",
                  op->kind == HIL_OP_ERASE ? "erase" : "program", c->n, r->step, torn_name(v->torn));
        }
    }
    hil_runtrace_flash(&r->rt, op, v);
    if (op->kind == HIL_OP_ERASE) {
        evlog(r, "flash erase sector %u (%s) op#%u", op->sector, region_name(op->region), op->seq);
    } else {
        evlog(r, "flash program 0x%08x+%u (%s) op#%u", op->addr, op->len, region_name(op->region), op->seq);
    }
    if (cut) {
        const struct hil_fault *f = &r->inject.faults[which];
        evlog(r, "FAULT power_cut at %s #%u in region %s, torn %s (fault at line %d)",
              op->kind == HIL_OP_ERASE ? "erase" : "program", r->inject.seen[which],
              region_name(op->region), torn_name(f->torn), f->line);
    }
    if (v->action == HIL_ACT_CUT && r->u.active) {
        r->u.interrupted = true; /* a fault's or a sweep case's cut: the update cannot finish */
    }
}

/* The nearest flash fault hook_flash_op will give (target.h
 * hil_fault_plan): the injector's or the sweep case's; a target whose
 * device injects faults itself (fota-f407) arms it with this. */
static int hook_plan_fault(void *ctx, struct hil_fault_plan *p)
{
    struct run *r = ctx;
    memset(p, 0, sizeof(*p));
    int pending = hil_inject_plan(&r->inject, p);
    return pending + hil_case_plan(r->s->sweep_case, r->step, p);
}

/* A power_cut placed at a console line or a device time fired (cut_at.h):
 * the power goes now, as at a flash operation's verdict (hook_flash_op). */
static void cut_by_fault(struct run *r, int which, const char *where)
{
    const struct hil_fault *f = &r->cut_at.faults[which];
    if (f->at == HIL_AT_MS) {
        evlog(r, "FAULT power_cut at %u ms of device time into step %d (fault at line %d)", f->at_ms, r->step,
              f->line);
    } else {
        evlog(r, "FAULT power_cut %s /%s/ (fault at line %d)", where, f->at_console, f->line);
    }
    hil_runtrace_power(&r->rt, HIL_TRACE_PWR_CUT, "power_cut fault");
    r->running_slot = -1;
    if (r->u.active) {
        r->u.interrupted = true;
        r->u.to_target.len = 0;
    }
    if (r->t->powered) {
        int rc = r->t->ops->power_off(r->t);
        if (rc != 0) {
            evlog(r, "power_off failed: %s", fota_strerror(rc));
        }
    }
}

static uint64_t dev_ms(struct run *r);

/* The glitched boot made its decision (a jump, or update mode): the
 * window may end GLITCH_SETTLE_MS of device time later (do_wait). */
#define GLITCH_SETTLE_MS 50u
static void glitch_decided(struct run *r)
{
    if (r->g != NULL && r->g->armed && !r->glitch_decided) {
        r->glitch_decided = true;
        r->glitch_decided_ms = dev_ms(r);
    }
}

static void hook_console_line(void *ctx, const char *line)
{
    struct run *r = ctx;
    if (r->nlines == r->cap) {
        size_t cap = r->cap == 0 ? 256 : r->cap * 2;
        char **n = realloc(r->lines, cap * sizeof(*n));
        if (n == NULL) {
            abort();
        }
        r->lines = n;
        r->cap = cap;
    }
    char *d = strdup(line);
    if (d == NULL) {
        abort();
    }
    r->lines[r->nlines++] = d;
    hil_runtrace_console(&r->rt, line);
    if (r->console_log != NULL) {
        fprintf(r->console_log, "%s\n", line);
    }
    if (r->event_log != NULL) {
        fprintf(r->event_log, "[%9.3f] console: %s\n", elapsed_s(r), line);
    }
    if (r->o->verbose) {
        fprintf(stderr, "[%s %8.3f] | %s\n", r->s->id, elapsed_s(r), line);
    }
    if (strncmp(line, "BL: update mode", 15) == 0) {
        glitch_decided(r);
    }
    int which = hil_cut_at_line(&r->cut_at, line);
    if (which >= 0) {
        cut_by_fault(r, which, "at the console line it matched");
    }
}

static int slot_of_vectors(uint32_t vectors)
{
    for (int s = 0; s < (int)LAYOUT_SLOT_COUNT; s++) {
        uint32_t base = LAYOUT_SLOT_ADDR((uint32_t)s);
        if (vectors >= base && vectors < base + LAYOUT_SLOT_SIZE) {
            return s;
        }
    }
    return -1;
}

static void hook_event(void *ctx, const struct hil_event *ev)
{
    struct run *r = ctx;
    const char *detail = ev->detail != NULL ? ev->detail : "";
    hil_runtrace_event(&r->rt, ev);
    switch (ev->kind) {
    case HIL_EV_BOOT:
        if (in_journal_window(r) && journal_last(r->o) == r->o->journal_step) {
            hil_journal_on_boot(r->o->journal, r->flash); /* one-step window: ends at this boot */
        }
        hil_case_on_boot(r->s->sweep_case, r->step);
        r->boots++;
        r->running_slot = -1;
        evlog(r, "event: boot #%u %s", r->boots, detail);
        break;
    case HIL_EV_JUMP:
        r->jumps++;
        r->running_slot = slot_of_vectors(ev->value);
        r->share_touched = r->share_touched || hil_sweep_share_touches(r->s->sweep_case, NULL, ev->value);
        if (r->g != NULL && r->g->what == HIL_GLITCH_INJECT && r->glitch_bad_slot >= 0 &&
            ev->value == LAYOUT_APP_VECTORS((uint32_t)r->glitch_bad_slot)) {
            r->g->bypassed = true; /* port_jump to the bad image */
        }
        glitch_decided(r);
        evlog(r, "event: jump to 0x%08x (slot %s) %s", ev->value, slot_name(r->running_slot), detail);
        break;
    case HIL_EV_WATCH:
        r->share_touched = true;
        evlog(r, "event: the CPU accessed 0x%08x, in the watched slot: this probe's run is not shared", ev->value);
        break;
    case HIL_EV_WATCHDOG:
        r->watchdogs++;
        r->running_slot = -1;
        evlog(r, "event: watchdog expired %s", detail);
        break;
    case HIL_EV_POWER_OFF:
        r->running_slot = -1;
        evlog(r, "event: power off %s", detail);
        break;
    case HIL_EV_DIED:
        r->died = true;
        r->running_slot = -1;
        snprintf(r->died_detail, sizeof(r->died_detail), "%s", ev->detail != NULL ? ev->detail : "?");
        evlog(r, "event: target died: %s", detail);
        break;
    case HIL_EV_WATCHDOG_START:
        evlog(r, "event: watchdog started (%u ms) %s", ev->value, detail);
        break;
    case HIL_EV_SPI_READY:
        r->spi_drain = ev->value != 0; /* READY high: the slave has its answer queued */
        break;
    default:
        evlog(r, "event: kind %d value 0x%x %s", (int)ev->kind, ev->value, detail);
        break;
    }
}

static void proxy_log(void *ctx, enum hil_dir dir, uint32_t n, const struct proto_frame *f,
                      bool crc_ok, const char *fault)
{
    struct run *r = ctx;
    char extra[48] = "";
    if (f->type == PROTO_T_DATA && f->len >= 4) {
        snprintf(extra, sizeof(extra), " offset %u", proto_get_u32(f->payload));
    } else if ((f->type & PROTO_T_RSP) != 0 && f->len >= 1) {
        snprintf(extra, sizeof(extra), " status %u", f->payload[0]);
    }
    if (r->u.active && r->u.fota && dir == HIL_DIR_TO_TARGET && crc_ok && fault[0] == '\0') {
        hil_hold_request(&r->u.hold, f->type == PROTO_T_HELLO, f->seq); /* the device owes the answer */
    } else if (dir == HIL_DIR_TO_HOST) {
        hil_hold_answered(&r->u.hold, f->seq, crc_ok && fault[0] == '\0');
    }
    evlog(r, "link %s #%u %s seq %u len %u%s%s%s%s", dir == HIL_DIR_TO_TARGET ? ">" : "<", n,
          proto_type_name(f->type), f->seq, f->len, extra, crc_ok ? "" : " BAD-CRC",
          fault[0] != '\0' ? " FAULT " : "", fault);
}

/* ---- the poll loop ---- */

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
}

static void close_updater_side(struct run *r)
{
    if (r->u.master >= 0) {
        close(r->u.master);
        r->u.master = -1;
    }
    if (r->u.slave >= 0) {
        close(r->u.slave);
        r->u.slave = -1;
    }
    r->u.to_host.len = 0;
}

static void reap_child(struct run *r, bool block)
{
    if (r->u.pid <= 0 || r->u.exited) {
        return;
    }
    int status = 0;
    pid_t p = waitpid(r->u.pid, &status, block ? 0 : WNOHANG);
    if (p == r->u.pid) {
        r->u.exited = true;
        r->u.status = status;
        if (r->u.pidfd >= 0) {
            close(r->u.pidfd);
            r->u.pidfd = -1;
        }
    }
}

static void write_out(int fd, struct hil_buf *b)
{
    while (b->len > 0) {
        ssize_t n = write(fd, b->data, b->len);
        if (n > 0) {
            hil_buf_consume(b, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        b->len = 0; /* the other end is gone: the bytes are lost, as on a wire */
        return;
    }
}

/* ---- ROM-bootloader path (rom_link.h) ---- */

static void rom_log(void *ctx, const char *line)
{
    evlog(ctx, "%s", line);
}

/* Run-trace hooks of the ROM and the SPI bus (runtrace.h). */
/* The ROM's framing decides the trace protocol: AN4286 on SPI1, AN3155 on USART1. */
static enum hil_trace_proto rom_trace_proto(const struct run *r)
{
    if (r->rl.rom != NULL && r->rl.rom->link == HIL_ROM_LINK_I2C) {
        return HIL_TRACE_PROTO_AN4221;
    }
    return r->rl.rom != NULL && r->rl.rom->link == HIL_ROM_LINK_SPI ? HIL_TRACE_PROTO_AN4286
                                                                     : HIL_TRACE_PROTO_AN3155;
}

static void rom_unit(void *ctx, const uint8_t *in, size_t in_len, const uint8_t *out, size_t out_len)
{
    struct run *r = ctx;
    hil_runtrace_rom_unit(&r->rt, rom_trace_proto(r), in, in_len, out, out_len);
}

static void rom_fault(void *ctx, bool nack, uint8_t cmd, uint32_t n)
{
    struct run *r = ctx;
    hil_runtrace_rom_fault(&r->rt, rom_trace_proto(r), nack, cmd, n);
}

static void spi_fault(void *ctx, enum hil_dir dir, enum hil_fault_kind kind, uint32_t n, uint32_t byte,
                      uint32_t param)
{
    struct run *r = ctx;
    hil_runtrace_spi_fault(&r->rt, dir, kind, n, byte, param);
}

/* BOOT0 high at reset: the device runs its system memory, QEMU stays off. */
static int enter_rom(struct run *r)
{
    struct hil_rom_hooks h = { .ctx = r, .on_flash_op = hook_flash_op, .log = rom_log, .on_unit = rom_unit };
    evlog(r, "rom: BOOT0 high at reset: the emulated ST ROM bootloader answers on USART1 (AN3155), SPI1 (AN4286) or I2C1 (AN4221), whichever syncs first (AN2606)");
    int rc = hil_romlink_enter(&r->rl, r->flash, &h);
    if (rc == 0 && r->s->rom_quirks != 0) {
        r->rl.rom->quirks = r->s->rom_quirks;
        evlog(r, "rom: quirks 0x%x (rom_quirks:)", r->s->rom_quirks);
    }
    return rc;
}

/* NRST pulsed on boot.sock (or GO): restart into the ROM or into flash. */
static void rom_nrst(void *ctx, bool to_rom, const char *why)
{
    struct run *r = ctx;
    struct hil_target *t = r->t;
    evlog(r, "rom: %s with BOOT0 %s", why, to_rom ? "high" : "low");
    if (to_rom) {
        if (t->powered) {
            t->ops->power_off(t);
        }
        r->running_slot = -1;
        if (enter_rom(r) != 0) {
            r->target_error = true;
        }
        return;
    }
    hil_romlink_leave(&r->rl);
    int rc = t->powered ? t->ops->reset(t) : t->ops->power_on(t);
    if (rc != 0) {
        r->target_error = true;
        evlog(r, "rom: the target did not start: %s", fota_strerror(rc));
    }
}

/* The ROM on SPI1 (AN4286), clocked byte by byte by the bus (spi_link.h).
 * AN2606: the ROM serves the first interface that syncs, so an unsynced
 * ROM takes SPI when the master clocks it. */
static uint8_t rom_spi_clock(void *ctx, uint8_t mosi)
{
    struct run *r = ctx;
    struct hil_rom *rom = r->rl.rom;
    if (!rom->synced && rom->link != HIL_ROM_LINK_SPI) {
        rom->link = HIL_ROM_LINK_SPI;
        evlog(r, "rom: SPI1 clocked before any sync: the ROM serves SPI (AN4286)");
    }
    return hil_rom_spi_clock(rom, mosi);
}

/* The ROM on I2C1 (AN4221): one write transaction (i2c_link.h). AN2606:
 * an unsynced ROM serves the interface that is addressed first. */
static enum hil_i2c_status rom_i2c_write(void *ctx, const uint8_t *b, size_t n, size_t *acked)
{
    struct run *r = ctx;
    struct hil_rom *rom = r->rl.rom;
    if (!rom->synced && rom->link != HIL_ROM_LINK_I2C) {
        hil_rom_select_i2c(rom);
        evlog(r, "rom: I2C1 addressed (0x%02x) before any sync: the ROM serves I2C (AN4221)", HIL_ROM_I2C_ADDR);
    }
    if (rom->link != HIL_ROM_LINK_I2C) {
        return HIL_I2C_ADDR_NACK; /* the ROM locked to another interface */
    }
    return hil_rom_i2c_write(rom, b, n, acked);
}

/* One read transaction; a GO takes effect once its ACK was read. */
static enum hil_i2c_status rom_i2c_read(void *ctx, uint8_t *b, size_t n)
{
    struct run *r = ctx;
    struct hil_rom *rom = r->rl.rom;
    if (rom->link != HIL_ROM_LINK_I2C) {
        return HIL_I2C_ADDR_NACK;
    }
    return hil_rom_i2c_read(rom, b, n);
}

/* The updater is I2C master (i2c-emu): the ROM answers at 0x39 while the
 * device sits in it; otherwise nobody is on the bus. */
static void pump_i2c(struct run *r, const uint8_t *buf, size_t n)
{
    struct hil_i2c_slave rom = { .ctx = r, .addr = HIL_ROM_I2C_ADDR, .write = rom_i2c_write, .read = rom_i2c_read };
    hil_i2c_from_master(&r->i2c_bus, r->rl.in_rom ? &rom : NULL, buf, n, &r->u.to_host);
    struct hil_rom *rm = r->rl.rom;
    if (r->rl.in_rom && rm->go && rm->spi_qh == rm->spi_qt) {
        rm->go = false;
        rom_nrst(r, false, "GO");
    }
}

static void rom_feed(struct run *r, const uint8_t *buf, size_t n)
{
    struct hil_rom *rom = r->rl.rom;
    hil_rom_feed(rom, buf, n, &r->u.to_host);
    if (rom->go) {
        rom->go = false;
        rom_nrst(r, false, "GO");
    }
}

/* A power_cut fault at a frame fired in the proxy (the frame was
 * withheld): cut the power now, as a verdict at a flash operation does
 * (hook_flash_op), so the update step ends "interrupted". */
static void cut_at_frame(struct run *r)
{
    evlog(r, "FAULT power_cut before to_target frame #%u: power off", r->proxy.dir[HIL_DIR_TO_TARGET].frames);
    r->u.interrupted = true;
    r->u.to_target.len = 0;
    r->running_slot = -1;
    if (r->t->powered) {
        int rc = r->t->ops->power_off(r->t);
        if (rc != 0) {
            evlog(r, "power_off failed: %s", fota_strerror(rc));
        }
    }
}

/* The device sent bytes on its update link: through the proxy to the
 * updater (UART), or into the SPI slave's MISO queue. */
static void pump_from_target(struct run *r)
{
    uint8_t buf[4096];
    ssize_t got = read(r->link_fd, buf, sizeof(buf));
    if (got > 0) {
        struct hil_buf tmp = { 0 };
        hil_proxy_feed(&r->proxy, HIL_DIR_TO_HOST, buf, (size_t)got, &tmp);
        if (r->spi) {
            hil_spi_from_slave(&r->spi_bus, tmp.data, tmp.len); /* waits for the master's clock */
        } else if (r->u.master >= 0 && !r->u.spi_master) {
            hil_buf_append(&r->u.to_host, tmp.data, tmp.len);
        }
        hil_buf_free(&tmp);
    } else if (got == 0 || (errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)) {
        r->link_dead = true;
        evlog(r, "link fd %d: %s", r->link_fd, got == 0 ? "closed" : strerror(errno));
    }
}

/*
 * fota-f407 over SPI (spi_link.h `wire`): the harness clocks SPI1 as its
 * master. A write transfer's bytes pass the frame proxy first (its faults,
 * frame counts and holds), and what it lets through is clocked in one
 * chip-select period; a read transfer's dummy bytes (no frames) are
 * clocked as they are; n == 0 samples READY. MISO passes the proxy onto
 * the bus's MISO queue, so the updater's answer is built as on stock.
 */
static void spi_wire(void *ctx, const uint8_t *mosi, size_t n, bool frames, bool *ready)
{
    struct run *r = ctx;
    struct hil_buf out = { 0 };
    const uint8_t *clk = mosi;
    size_t len = n;
    *ready = false;
    if (frames) {
        hil_proxy_feed(&r->proxy, HIL_DIR_TO_TARGET, mosi, n, &out);
        clk = out.data;
        len = out.len;
    }
    if (len == 0 && r->spi_bus.miso_q.len > 0) {
        hil_buf_free(&out);
        return; /* READY reads high anyway: the queue holds the answer */
    }
    size_t off = 0;
    do {
        uint8_t miso[HIL_SPI_MAX_XFER];
        size_t k = len - off < sizeof(miso) ? len - off : sizeof(miso);
        int rc = r->t->ops->spi_xfer(r->t, k > 0 ? clk + off : NULL, miso, k, ready);
        if (rc == 0 && k > 0) {
            /* Idle MISO (0xFF) the proxy passes on in front of a frame is not
             * queued: the bus answers idle while the queue is empty, so the
             * queue holds what the slave sent, as at port_spi_tx on stock
             * (and a fault's byte offset hits the same byte). */
            struct hil_buf tmp = { 0 };
            hil_proxy_feed(&r->proxy, HIL_DIR_TO_HOST, miso, k, &tmp);
            size_t idle = 0;
            while (idle < tmp.len && tmp.data[idle] == HIL_SPI_IDLE) {
                idle++;
            }
            if (idle < tmp.len) {
                hil_spi_from_slave(&r->spi_bus, tmp.data + idle, tmp.len - idle);
            }
            hil_buf_free(&tmp);
        }
        off += k;
    } while (off < len);
    hil_buf_free(&out);
}

/*
 * f407 SPI: the slave raised READY, so the harness, as the master, clocks
 * its answer out at once (an ESP32 master reads on the READY interrupt),
 * in HIL_SPI_DRAIN_CHUNK chunks until the proxy has seen a frame go by or
 * READY drops. The answer waits in the bus's MISO queue for the updater,
 * exactly as port_spi_tx's bytes do on stock: a starved or held updater
 * does not keep the device waiting for its clock, and the faults of the
 * updater's read transfers apply to the queue as there.
 */
static void spi_drain(struct run *r)
{
    uint32_t frames = r->proxy.dir[HIL_DIR_TO_HOST].frames;
    bool ready = true;
    static const uint8_t dummy[HIL_SPI_DRAIN_CHUNK]; /* 0x00: never PROTO_SYNC0 */
    if (!r->spi_drain || r->spi_bus.wire == NULL || r->s->spi_clock_never) {
        return; /* spi_clock: never: a master that does not read */
    }
    r->spi_drain = false;
    for (int i = 0; i < HIL_SPI_DRAIN_MAX && ready && r->t->powered &&
                    r->proxy.dir[HIL_DIR_TO_HOST].frames == frames; i++) {
        spi_wire(r, dummy, sizeof(dummy), false, &ready);
    }
}

/* The updater sent bytes: to the emulated ROM (AN3155 / AN4286 over the
 * SPI bus), or through the SPI bus and the proxy to the device. */
static void pump_from_updater(struct run *r)
{
    uint8_t buf[4096];
    ssize_t got = read(r->u.master, buf, sizeof(buf));
    if (got > 0 && r->u.i2c_master) {
        pump_i2c(r, buf, (size_t)got);
    } else if (got > 0 && r->rl.in_rom && r->u.spi_master) {
        /* ST's ROM bootloader on SPI1 (AN4286): the bus clocks it byte by byte. */
        struct hil_buf none = { 0 };
        r->spi_bus.slave_clock = rom_spi_clock;
        r->spi_bus.slave_ctx = r;
        hil_spi_from_master(&r->spi_bus, buf, (size_t)got, &none, &r->u.to_host);
        r->spi_bus.slave_clock = NULL;
        hil_buf_free(&none);
        if (r->rl.in_rom && r->rl.rom->go) {
            r->rl.rom->go = false;
            rom_nrst(r, false, "GO");
        }
    } else if (got > 0 && r->rl.in_rom) {
        rom_feed(r, buf, (size_t)got); /* the device runs ST's ROM bootloader */
    } else if (got > 0) {
        struct hil_buf tmp = { 0 };
        struct hil_buf mosi = { 0 };
        const uint8_t *in = buf;
        size_t in_len = (size_t)got;
        if (r->spi || r->u.spi_master) {
            /* The updater is SPI master: its link carries transfers (spi_link.h). */
            hil_spi_from_master(&r->spi_bus, buf, (size_t)got, &mosi, &r->u.to_host);
            in = mosi.data;
            in_len = mosi.len;
        }
        hil_proxy_feed(&r->proxy, HIL_DIR_TO_TARGET, in, in_len, &tmp);
        hil_buf_free(&mosi);
        if (r->link_fd >= 0 && !r->link_dead) {
            hil_buf_append(&r->u.to_target, tmp.data, tmp.len);
            write_out(r->link_fd, &r->u.to_target);
        }
        hil_buf_free(&tmp);
        if (r->proxy.disconnected) {
            evlog(r, "FAULT disconnect: closing the updater's side of the link");
            close_updater_side(r);
        }
        if (r->proxy.power_cut && r->u.active && !r->u.interrupted) {
            cut_at_frame(r);
        }
    } else if (got == 0 || (errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)) {
        /* The updater closed its port; nothing more will come. */
        close_updater_side(r);
    }
}

/* The fds of one pump round and where each source sits in them. */
struct pump_set {
    struct pollfd fds[40];
    int n, tn;                     /* all, the target's (first) */
    int i_link, i_master, i_pid, i_rom;
    int timeout;
};

/* The target's link fd changed (power cycle): a fresh stream both ways. */
static void pump_track_link(struct run *r)
{
    int link = r->t->ops->link_fd(r->t);
    if (link != r->link_fd) {
        evlog(r, "link fd %d -> %d", r->link_fd, link);
        r->link_fd = link;
        r->link_dead = false;
        hil_proxy_restart_dir(&r->proxy, HIL_DIR_TO_HOST);
        r->u.to_target.len = 0;
        if (link >= 0) {
            set_nonblock(link);
        }
    }
}

static void pump_add(struct pump_set *ps, int *index, int fd, short events)
{
    *index = ps->n;
    ps->fds[ps->n].fd = fd;
    ps->fds[ps->n].events = events;
    ps->fds[ps->n].revents = 0;
    ps->n++;
}

/* Fill @p ps: the target's fds, the link, the updater's socket and pidfd, the ROM's. */
static void pump_fill(struct run *r, struct pump_set *ps)
{
    ps->tn = r->t->ops->poll_fds(r->t, ps->fds, 32, &ps->timeout);
    if (ps->tn < 0) {
        ps->tn = 0;
    }
    ps->n = ps->tn;
    ps->i_link = ps->i_master = ps->i_pid = -1;
    if (r->link_fd >= 0 && !r->link_dead) {
        pump_add(ps, &ps->i_link, r->link_fd, (short)(POLLIN | (r->u.to_target.len > 0 ? POLLOUT : 0)));
    }
    if (r->u.master >= 0) {
        pump_add(ps, &ps->i_master, r->u.master, (short)(POLLIN | (r->u.to_host.len > 0 ? POLLOUT : 0)));
    }
    if (r->u.pid > 0 && !r->u.exited) {
        if (r->u.pidfd >= 0) {
            pump_add(ps, &ps->i_pid, r->u.pidfd, POLLIN);
        } else if (ps->timeout > 20) {
            ps->timeout = 20; /* no pidfd: poll for the child's exit */
        }
    }
    ps->i_rom = ps->n;
    ps->n += hil_romlink_poll_fds(&r->rl, &ps->fds[ps->n], 4);
}

static uint64_t dev_ms(struct run *r);

/* A power_cut at a device time that is due (cut_at.h) cuts now. */
static void pump_time_cut(struct run *r)
{
    if (hil_cut_at_timed(&r->cut_at)) {
        int which = hil_cut_at_time(&r->cut_at, dev_ms(r));
        if (which >= 0) {
            cut_by_fault(r, which, "in time");
        }
    }
}

/* One round: poll everything for at most @p max_ms, then service it. */
static void pump(struct run *r, int max_ms)
{
    uint32_t cut_in = hil_cut_at_timed(&r->cut_at) ? hil_cut_at_ms_left(&r->cut_at, dev_ms(r)) : UINT32_MAX;
    max_ms = cut_in < (uint32_t)(max_ms < 0 ? 0 : max_ms) ? (int)cut_in : max_ms;
    struct pump_set ps = { .timeout = max_ms < 0 ? 0 : max_ms };
    struct pollfd *fds = ps.fds;
    struct hil_target *t = r->t;

    pump_track_link(r);
    pump_fill(r, &ps);
    int n = ps.n, tn = ps.tn, i_link = ps.i_link, i_master = ps.i_master, i_pid = ps.i_pid, i_rom = ps.i_rom;
    int timeout = ps.timeout;
    int pr = poll(fds, (nfds_t)n, timeout);
    if (pr < 0 && errno != EINTR) {
        evlog(r, "poll: %s", strerror(errno));
    }
    if (pr < 0) {
        for (int i = 0; i < n; i++) {
            fds[i].revents = 0;
        }
    }

    int rc = t->ops->service(t, fds, tn);
    if (rc != 0 && !r->target_error) {
        r->target_error = true;
        evlog(r, "target service failed: %s", fota_strerror(rc));
    }
    spi_drain(r);

    /* The link fd may have been closed while servicing (power cut). */
    if (i_link >= 0 && t->ops->link_fd(t) == r->link_fd) {
        short re = fds[i_link].revents;
        if ((re & POLLOUT) != 0) {
            write_out(r->link_fd, &r->u.to_target);
        }
        if ((re & (POLLIN | POLLHUP | POLLERR)) != 0) {
            pump_from_target(r);
        }
    }
    if (i_master >= 0 && r->u.master >= 0) {
        short re = fds[i_master].revents;
        if ((re & POLLOUT) != 0) {
            write_out(r->u.master, &r->u.to_host);
        }
        if ((re & (POLLIN | POLLHUP | POLLERR)) != 0) {
            pump_from_updater(r);
        }
    }
    if (n > i_rom) {
        hil_romlink_service(&r->rl);
    }
    if (i_pid >= 0 && (fds[i_pid].revents & POLLIN) != 0) {
        reap_child(r, false);
    } else if (r->u.pid > 0 && r->u.pidfd < 0) {
        reap_child(r, false);
    }
    if (r->u.active && hil_hold_service(&r->u.hold, r->u.pid, r->u.pid > 0 && !r->u.exited) != 0) {
        evlog(r, "hold: the device spent %u ms of its time without answering: the updater goes on",
              r->u.hold.budget_ms);
    }
    pump_time_cut(r);
}

/* Device ms now: QEMU's CPU time (hold.h), wall time on a board. */
static uint64_t dev_ms(struct run *r)
{
    return r->o->board != NULL ? now_ms() : hil_devclock_ms(&r->devclock);
}

static struct run_deadline deadline_in(struct run *r, uint32_t ms)
{
    struct run_deadline d = { .dev_until = dev_ms(r) + ms,
                              .wall_until = now_ms() + (uint64_t)ms * HIL_WALL_BACKSTOP + HIL_WALL_SLACK_MS };
    return d;
}

static bool deadline_passed(struct run *r, const struct run_deadline *d)
{
    return dev_ms(r) >= d->dev_until || now_ms() >= d->wall_until ||
           (r->o->board == NULL && hil_devclock_stalled_ms(&r->devclock) >= HIL_STALL_MS);
}

static bool scenario_timed_out(struct run *r)
{
    return deadline_passed(r, &r->deadline);
}

/* How long the next pump round may poll: a slice, less when @p d is near in device time. */
static int wait_slice(struct run *r, const struct run_deadline *d)
{
    uint64_t now = dev_ms(r);
    uint64_t end = d->dev_until < r->deadline.dev_until ? d->dev_until : r->deadline.dev_until;
    if (now >= end) {
        return 0;
    }
    uint64_t left = end - now;
    return left > HIL_PUMP_SLICE_MS ? HIL_PUMP_SLICE_MS : (int)left;
}

/* ---- device state from the flash model ---- */

static bool newest_meta(const struct hil_flash *f, struct meta_record *out)
{
    return meta_newest_in_image(f->mem, out) != 0;
}

static bool slot_version(const struct hil_flash *f, int slot, uint32_t *ver)
{
    struct image_header h;
    memcpy(&h, &f->mem[LAYOUT_SLOT_ADDR((uint32_t)slot) - LAYOUT_FLASH_BASE], sizeof(h));
    if (h.ih_magic != IMAGE_MAGIC) {
        return false;
    }
    *ver = h.ih_version;
    return true;
}

/* The outcome assertions of an expect step (outcome.h): bootable (the
 * sweep's brick criterion, hil_flash_bootable) and slot hashes; appends
 * what is the case to @p got. */
static bool outcome_holds(struct run *r, const struct hil_expect *e, char *got, size_t gotlen)
{
    bool ok = true;
    size_t u = strlen(got);
    if (e->has_bootable) {
        char why[160];
        bool b = hil_flash_bootable(r->flash, why, sizeof(why));
        ok = ok && b == e->bootable;
        u += (size_t)snprintf(got + u, u < gotlen ? gotlen - u : 0, "; %s%s%s", b ? "bootable" : "not bootable",
                              b ? "" : ": ", b ? "" : why);
    }
    for (int s = 0; s < 2 && u < gotlen; s++) {
        char msg[400];
        if (e->slot_sha[s].has && hil_slot_sha_check(r->flash, s, &e->slot_sha[s], msg, sizeof(msg)) != 0) {
            ok = false;
            u += (size_t)snprintf(got + u, gotlen - u, "; %s", msg);
        }
    }
    return ok;
}

/* Check an expect step now; describe what is the case in @p got. */
static bool expect_holds(struct run *r, const struct hil_expect *e, char *got, size_t gotlen)
{
    bool ok = true;
    char ver[16] = "?";
    uint32_t v = 0;
    bool have_ver = r->running_slot >= 0 && slot_version(r->flash, r->running_slot, &v);
    if (have_ver) {
        hil_format_version(v, ver, sizeof(ver));
    }
    struct meta_record m;
    memset(&m, 0, sizeof(m));
    bool have_meta = newest_meta(r->flash, &m);
    if (e->has_running) {
        if (r->running_slot != e->running_slot) {
            ok = false;
        } else if (e->has_running_version && (!have_ver || v != e->running_version)) {
            ok = false;
        }
    }
    int active = HIL_SLOT_NONE;
    if (have_meta && m.mr_active < LAYOUT_SLOT_COUNT) {
        active = m.mr_active;
    }
    if (e->has_active && active != e->active) {
        ok = false;
    }
    for (int s = 0; s < 2; s++) {
        if (e->has_slot_state[s]) {
            uint8_t st = have_meta ? m.mr_slot[s].ms_state : (uint8_t)META_SLOT_EMPTY;
            if (!have_meta || st != e->slot_state[s]) {
                ok = false;
            }
        }
    }
    char running[48];
    if (r->running_slot >= 0) {
        snprintf(running, sizeof(running), "slot %s v%s", slot_name(r->running_slot), ver);
    } else {
        snprintf(running, sizeof(running), "nothing (no jump since the last boot)");
    }
    if (have_meta) {
        char va[16], vb[16];
        hil_format_version(m.mr_slot[0].ms_version, va, sizeof(va));
        hil_format_version(m.mr_slot[1].ms_version, vb, sizeof(vb));
        snprintf(got, gotlen, "running %s; meta seq=%u active=%s trial=%s A=%s/%s B=%s/%s", running,
                 m.mr_seq, slot_name(active),
                 m.mr_trial_slot < LAYOUT_SLOT_COUNT ? slot_name(m.mr_trial_slot) : "none",
                 meta_state_name(m.mr_slot[0].ms_state), va, meta_state_name(m.mr_slot[1].ms_state), vb);
    } else {
        snprintf(got, gotlen, "running %s; no valid metadata record (factory state)", running);
    }
    return outcome_holds(r, e, got, gotlen) && ok;
}

static void describe_expect(const struct hil_expect *e, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t u = 0;
    if (e->has_running) {
        char ver[16] = "";
        if (e->has_running_version) {
            hil_format_version(e->running_version, ver, sizeof(ver));
        }
        u += (size_t)snprintf(buf + u, len - u, "running slot %s%s%s", slot_name(e->running_slot),
                              ver[0] ? " v" : "", ver);
    }
    if (e->has_active && u < len) {
        u += (size_t)snprintf(buf + u, len - u, "%sactive=%s", u ? ", " : "", slot_name(e->active));
    }
    for (int s = 0; s < 2 && u < len; s++) {
        if (e->has_slot_state[s]) {
            u += (size_t)snprintf(buf + u, len - u, "%s%s=%s", u ? ", " : "", s == 0 ? "A" : "B",
                                  meta_state_name(e->slot_state[s]));
        }
        if (e->slot_sha[s].has && u < len) {
            u += (size_t)snprintf(buf + u, len - u, "%sslot %s sha256 %s", u ? ", " : "", s == 0 ? "A" : "B",
                                  e->slot_sha[s].file != NULL ? e->slot_sha[s].file : "(literal)");
        }
    }
    if (e->has_bootable && u < len) {
        snprintf(buf + u, len - u, "%s%s", u ? ", " : "", e->bootable ? "bootable" : "not bootable");
    }
}

/* ---- steps ---- */

/* Before a timed-out step kills anything: diagnosis.txt (diag.h). */
static void run_diagnose(struct run *r, const char *why)
{
    char state[4096];
    const struct hil_proxy_dir *to_t = &r->proxy.dir[HIL_DIR_TO_TARGET];
    const struct hil_proxy_dir *to_h = &r->proxy.dir[HIL_DIR_TO_HOST];
    bool updater = r->u.pid > 0 && !r->u.exited;
    snprintf(state, sizeof(state),
             "step %d (line %d); target %s, link fd %d%s\n"
             "updater: %s (pid %d); frames to the target %u, to the host %u: %s\n"
             "buffered: %zu bytes for the target, %zu for the updater; SPI: %llu transfers (%u write, %u read), "
             "%zu bytes queued on MISO%s\n",
             r->step, r->step >= 1 ? r->s->steps[r->step - 1].line : 0, r->t != NULL && r->t->powered ? "powered" :
             "off", r->link_fd, r->link_dead ? " (dead)" : "", !r->u.active ? "none" : updater ? "running" : "exited",
             (int)r->u.pid, to_t->frames, to_h->frames, !r->u.active ? "no update running" :
             to_h->frames >= to_t->frames ? "the device answered the last request: the updater owes the next one" :
             "a request went to the device: the device owes its answer",
             r->u.to_target.len, r->u.to_host.len, (unsigned long long)r->spi_bus.transfers, r->spi_bus.writes,
             r->spi_bus.reads, r->spi_bus.miso_q.len, r->spi_bus.bad ? " (the request stream broke)" : "");
    size_t u = strlen(state);
    uint64_t stalled = hil_devclock_stalled_ms(&r->devclock);
    snprintf(state + u, sizeof(state) - u, "device time: %llu ms; the device has not run for %llu ms of wall time%s\n",
             (unsigned long long)dev_ms(r), (unsigned long long)stalled,
             stalled >= HIL_STALL_MS ? " (stalled: QEMU stopped, or idle with no timer; waits end after "
                                       "HIL_STALL_MS)" : "");
    u = strlen(state);
    if (r->t != NULL && r->t->ops->describe != NULL) {
        r->t->ops->describe(r->t, state + u, sizeof(state) - u);
    }
    if (hil_diag_write(r->workdir, why, state, &r->diag_frames, &r->diag_events) == 0) {
        evlog(r, "diagnosis written to %s/%s", r->workdir, HIL_DIAG_FILE);
    }
}

static int check_target(struct run *r)
{
    if (r->case_cut) {
        return -1; /* the power is off for good in this window: the step loop goes on after it */
    }
    if (r->target_error) {
        return step_fail(r, "the target's debug link broke (see events.log)");
    }
    if (scenario_timed_out(r)) {
        run_diagnose(r, "scenario timeout_ms exceeded");
        return step_fail(r, "scenario timeout_ms %u exceeded", r->s->timeout_ms);
    }
    return 0;
}

/* A power_cut placed in the running step fired (inject.h, cut_at.h): the step ends. */
static bool step_cut(const struct run *r)
{
    return (r->inject.armed && r->inject.cut) || (r->cut_at.armed && r->cut_at.cut);
}

/* A glitch window's wait ends GLITCH_SETTLE_MS after the boot decided
 * (the bad image's entry would be reached in the first instructions after
 * a jump to it); the wait's own length is the backstop for a hang. */
static bool glitch_settled(struct run *r)
{
    return r->glitch_decided && r->g->armed && dev_ms(r) >= r->glitch_decided_ms + GLITCH_SETTLE_MS;
}

/* A trace run's wait lasts until the trace ended: device time passes
 * while the harness single-steps (the points must not depend on it). */
static bool glitch_tracing(const struct run *r)
{
    return r->g != NULL && r->g->what == HIL_GLITCH_TRACE && r->g->armed && !r->g->trace_done && r->t->powered;
}

static int do_wait(struct run *r, uint32_t ms)
{
    struct run_deadline until = deadline_in(r, ms);
    while ((!deadline_passed(r, &until) || glitch_tracing(r)) && !step_cut(r) && !glitch_settled(r) &&
           !scenario_timed_out(r)) {
        if (check_target(r) != 0) {
            return -1;
        }
        pump(r, deadline_passed(r, &until) ? 10 : wait_slice(r, &until)); /* past it: tracing */
    }
    return 0;
}

static int do_expect_console(struct run *r, const struct hil_step *st)
{
    struct run_deadline until = deadline_in(r, st->timeout_ms);
    for (;;) {
        for (size_t i = r->cursor; i < r->nlines; i++) {
            if (regexec(&st->re, r->lines[i], 0, NULL, 0) == 0) {
                r->cursor = i + 1;
                return 0;
            }
        }
        if (step_cut(r)) {
            return 0; /* the step's power_cut fired: the power is off */
        }
        if (deadline_passed(r, &until)) {
            run_diagnose(r, "expect_console timed out");
            return step_fail(r, "expected /%s/ within %u ms of device time", st->regex, st->timeout_ms);
        }
        if (check_target(r) != 0) {
            return -1;
        }
        pump(r, wait_slice(r, &until));
    }
}

static int do_console_absent(struct run *r, const struct hil_step *st)
{
    for (size_t i = 0; i < r->nlines; i++) {
        if (regexec(&st->re, r->lines[i], 0, NULL, 0) == 0) {
            return step_fail(r, "/%s/ must not appear, but console line %zu is '%s'", st->regex, i + 1,
                             r->lines[i]);
        }
    }
    return 0;
}

static int do_expect(struct run *r, const struct hil_step *st)
{
    struct run_deadline until = deadline_in(r, st->expect.timeout_ms);
    char got[1536];
    for (;;) {
        if (expect_holds(r, &st->expect, got, sizeof(got))) {
            return 0;
        }
        if (deadline_passed(r, &until)) {
            char want[256];
            describe_expect(&st->expect, want, sizeof(want));
            return step_fail(r, "expected %s within %u ms of device time; got %s", want, st->expect.timeout_ms, got);
        }
        if (check_target(r) != 0) {
            return -1;
        }
        pump(r, wait_slice(r, &until));
    }
}

static void tail_file(const char *path, int lines, char *out, size_t len)
{
    snprintf(out, len, "(nothing: %s is empty or missing)", path);
    char *text = hil_read_text_file(path, 16384);
    if (text == NULL) {
        return;
    }
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
        text[--n] = '\0';
    }
    int seen = 0;
    size_t start = 0;
    for (size_t i = n; i > 0; i--) {
        if (text[i - 1] == '\n' && ++seen == lines) {
            start = i;
            break;
        }
    }
    if (text[start] != '\0') {
        snprintf(out, len, "%s", text + start);
    }
    free(text);
}

/* fotactl's argv for update step @p u into @p argv (u->nargs + 14
 * entries), NULL-terminated; @p bootctl (300 bytes) holds the ROM's
 * boot.sock spec. @return argc. */
static int updater_argv(struct run *r, const struct hil_update *u, char **argv, char *bootctl)
{
    int argc = 0;
    argv[argc++] = (char *)r->o->fotactl;
    if (u->protocol != HIL_PROTO_FOTA) {
        /* fotactl rom install drives BOOT0/NRST through the rig's boot.sock. */
        snprintf(bootctl, 300, "unix:%s", r->rl.path);
        argv[argc++] = "rom";
        argv[argc++] = "install";
        argv[argc++] = "--boot-ctl";
        argv[argc++] = bootctl;
        if (u->protocol == HIL_PROTO_AN4286 || u->protocol == HIL_PROTO_AN4221) {
            argv[argc++] = "--proto";
            argv[argc++] = u->protocol == HIL_PROTO_AN4286 ? "an4286" : "an4221";
        }
    } else {
        argv[argc++] = "update";
    }
    argv[argc++] = "--port";
    /* fotactl is the SPI master on spi-emu (spi_link.h) */
    argv[argc++] = r->u.spi_master ? "spi-emu:" HIL_UPDATER_PORT
                   : r->u.i2c_master ? "i2c-emu:" HIL_UPDATER_PORT : HIL_UPDATER_PORT;
    for (int i = 0; i < u->nargs; i++) {
        argv[argc++] = u->args[i];
    }
    if (r->u.json_path[0] != '\0') {
        argv[argc++] = "--json";
        argv[argc++] = r->u.json_path;
    }
    argv[argc++] = r->u.image;
    argv[argc] = NULL;
    return argc;
}

/* Start @p argv (argv[0] the program) as the updater: the link's other
 * end as fd HIL_UPDATER_FD, stdout+stderr to r->u.log_path. */
static int spawn_argv(struct run *r, char **argv)
{
    char cmd[1024] = "";
    for (int i = 0; argv[i] != NULL; i++) {
        size_t used = strlen(cmd);
        snprintf(cmd + used, sizeof(cmd) - used, "%s%s", i ? " " : "", argv[i]);
    }
    evlog(r, "spawn: %s", cmd);
    int logfd = open(r->u.log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        if (logfd >= 0) {
            close(logfd);
        }
        return FOTA_EIO;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
        }
        if (logfd >= 0) {
            dup2(logfd, 1);
            dup2(logfd, 2);
        }
        dup2(r->u.slave, HIL_UPDATER_FD); /* dup2 clears FD_CLOEXEC on the copy */
        for (int fd = HIL_UPDATER_FD + 1; fd < 4096; fd++) {
            close(fd);
        }
        signal(SIGPIPE, SIG_DFL);
        /* Its own process group, child of this worker: never an orphaned
         * group, so the kernel never sends it SIGHUP+SIGCONT while the hold
         * (hold.c) has it stopped. In the worker's group it was killed by
         * SIGHUP when any process of an orphaned group (fota-hil started
         * from a detached shell) exited during a hold. */
        (void)setpgid(0, 0);
        execv(argv[0], argv);
        fprintf(stderr, "fota-hil: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (logfd >= 0) {
        close(logfd);
    }
    close(r->u.slave); /* the child has it: EOF on the master when it exits */
    r->u.slave = -1;
    r->u.pid = pid;
    r->u.exited = false;
    r->u.pidfd = -1;
#ifdef SYS_pidfd_open
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd >= 0) {
        fcntl(pfd, F_SETFD, FD_CLOEXEC);
        r->u.pidfd = pfd;
    }
#endif
    return 0;
}

static int spawn_updater(struct run *r, const struct hil_step *st)
{
    const struct hil_update *u = &st->update;
    char bootctl[300];
    char **argv = calloc((size_t)u->nargs + 14, sizeof(char *));
    if (argv == NULL) {
        return FOTA_ENOMEM;
    }
    (void)updater_argv(r, u, argv, bootctl);
    int rc = spawn_argv(r, argv);
    free(argv);
    return rc;
}

static void kill_updater(struct run *r)
{
    (void)hil_hold_service(&r->u.hold, r->u.pid, false); /* before the reap: never signal a reaped pid */
    if (r->u.pid > 0 && !r->u.exited) {
        kill(r->u.pid, SIGKILL);
        reap_child(r, true);
    }
}

static void end_update(struct run *r)
{
    (void)hil_hold_service(&r->u.hold, r->u.pid, false); /* never leaves it stopped */
    if (r->u.hold.holds > 0) {
        evlog(r, "hold: the updater was held %u times (%u ended by the device-time budget), %llu ms in all",
              r->u.hold.holds, r->u.hold.expired, (unsigned long long)r->u.hold.held_ms);
    }
    memset(&r->u.hold, 0, sizeof(r->u.hold));
    kill_updater(r);
    close_updater_side(r);
    if (r->u.pidfd >= 0) {
        close(r->u.pidfd);
        r->u.pidfd = -1;
    }
    r->u.pid = 0;
    r->u.active = false;
    r->u.to_target.len = 0;
    r->u.to_host.len = 0;
    hil_inject_disarm(&r->inject);
    hil_cut_at_disarm(&r->cut_at);
    hil_proxy_init(&r->proxy, NULL, 0);
}

/*
 * The updater's end of the link: a Unix socketpair, the child's end passed
 * as fd HIL_UPDATER_FD (`--port fd:3`). Not a pty: under CPU starvation a
 * pty read or write can sleep in flush_work (state D) for a minute while
 * the kernel worker that moves pty bytes waits for a CPU (measured: both
 * fotactl processes of a -j 2 run in D/flush_work for 55 s, docs/ARCHITECTURE.md).
 */
static int open_link_pair(struct run *r)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return FOTA_EIO;
    }
    set_nonblock(sv[0]);
    r->u.master = sv[0];
    r->u.slave = sv[1];
    return 0;
}

/* Arm an update step: buffers, faults (proxy, injector, ROM, SPI), the
 * ROM's boot.sock. @return 0; -1 (step failed). */
static int update_arm(struct run *r, const struct hil_update *u, uint64_t image_size)
{
    r->u.to_target.len = 0;
    r->u.to_host.len = 0;
    r->u.interrupted = false;
    snprintf(r->u.log_path, sizeof(r->u.log_path), "%s/fotactl.step%d.log", r->workdir, r->step);
    r->u.json_path[0] = '\0';
    if (u->updater.any) {
        snprintf(r->u.json_path, sizeof(r->u.json_path), "%s/fotactl.step%d.json", r->workdir, r->step);
        (void)unlink(r->u.json_path); /* a result from an earlier run is no result */
    }
    hil_inject_arm(&r->inject, u->faults, u->nfaults, image_size);
    hil_cut_at_arm(&r->cut_at, u->faults, u->nfaults, dev_ms(r));
    hil_proxy_init(&r->proxy, u->faults, u->nfaults);
    hil_proxy_restart_dir(&r->proxy, HIL_DIR_TO_HOST);
    hil_romlink_arm(&r->rl, u->faults, u->nfaults);
    hil_spi_init(&r->spi_bus, u->faults, u->nfaults);
    r->u.spi_master = (r->spi && u->protocol == HIL_PROTO_FOTA) || u->protocol == HIL_PROTO_AN4286;
    r->u.i2c_master = u->protocol == HIL_PROTO_AN4221;
    hil_i2c_init(&r->i2c_bus);
    r->u.fota = u->protocol == HIL_PROTO_FOTA;
    memset(&r->u.hold, 0, sizeof(r->u.hold));
    if (u->protocol != HIL_PROTO_FOTA && hil_romlink_listen(&r->rl, r->workdir) != 0) {
        return step_fail(r, "cannot serve %s/boot.sock: %s", r->workdir, strerror(errno));
    }
    for (int i = 0; i < u->nfaults; i++) {
        if (hil_fault_at_frame(&u->faults[i])) {
            evlog(r, "armed: power_cut before to_target %s frame %u", u->faults[i].frame_type >= 0 ?
                  proto_type_name((uint8_t)u->faults[i].frame_type) : "(any type)", u->faults[i].frame);
        } else if (u->faults[i].kind == HIL_FAULT_POWER_CUT) {
            evlog(r, "armed: power_cut on %s in region %d at n=%u torn %s", u->faults[i].on == HIL_OP_ERASE ?
                  "erase" : "program", (int)u->faults[i].region, r->inject.n[i], torn_name(u->faults[i].torn));
        }
    }
    return 0;
}

/* Pump until the updater ends, the power is cut, or the step's timeout
 * (*@p timed_out). @return enum hil_update_expect; -1 timed out; -2 the
 * target failed (step failed, update ended). */
static int update_wait(struct run *r, const struct hil_update *u, bool *timed_out)
{
    struct run_deadline until = deadline_in(r, u->timeout_ms);
    int outcome = -1; /* enum hil_update_expect; -1 while running */
    for (;;) {
        if (r->u.interrupted) {
            /* Power is gone: the update cannot finish; the updater is stopped. */
            kill_updater(r);
            outcome = HIL_UPD_INTERRUPTED;
            break;
        }
        if (r->u.exited) {
            outcome = (WIFEXITED(r->u.status) && WEXITSTATUS(r->u.status) == 0) ? HIL_UPD_OK : HIL_UPD_FAIL;
            break;
        }
        if (deadline_passed(r, &until)) {
            run_diagnose(r, "the update step's timeout_ms ran out");
            *timed_out = true;
            break;
        }
        if (check_target(r) != 0) {
            end_update(r);
            return -2;
        }
        pump(r, wait_slice(r, &until));
    }
    return outcome;
}

/* Power cut @p i of the step (at a flash op, a console line or a time), if
 * it never fired, described after what @p unfired holds. */
static void describe_unfired_cut(struct run *r, int i, char *unfired, size_t len)
{
    const struct hil_fault *f = &r->inject.faults[i];
    size_t used = strlen(unfired);
    char why[384];
    if (hil_cut_at_unfired(&r->cut_at, i, dev_ms(r), why, sizeof(why))) {
        snprintf(unfired + used, len - used, "%s%s", used ? "; " : "", why);
    } else if (f->at == HIL_AT_OP && !r->inject.fired[i]) {
        snprintf(unfired + used, len - used, "%sfault at line %d (power_cut at op %u) never fired: "
                 "only %u matching %s ops", used ? "; " : "", f->line, r->inject.n[i], r->inject.seen[i],
                 f->on == HIL_OP_ERASE ? "erase" : "program");
    }
}

/* The faults of @p u that never fired, described into @p unfired ("" if all did). */
static void describe_unfired(struct run *r, const struct hil_update *u, char *unfired, size_t len)
{
    for (int i = 0; i < u->nfaults && i < HIL_INJECT_MAX_FAULTS; i++) {
        const struct hil_fault *f = &u->faults[i];
        if (f->kind == HIL_FAULT_POWER_CUT && !hil_fault_at_frame(f)) {
            describe_unfired_cut(r, i, unfired, len);
            continue;
        }
        bool fired = hil_proxy_fault_fired(&r->proxy, i);
        if (f->kind >= HIL_FAULT_SPI_DROP && f->kind <= HIL_FAULT_SPI_BIT_SHIFT) {
            fired = (r->spi || r->u.spi_master) && hil_spi_fired(&r->spi_bus, i);
            if (!fired) {
                size_t used = strlen(unfired);
                snprintf(unfired + used, len - used, "%sfault at line %d (%s transfer %u) never fired: "
                         "%s; %u write and %u read transfers", used ? "; " : "", f->line,
                         hil_fault_kind_name(f->kind), f->frame, r->spi ? "link spi" : "the link is not spi",
                         r->spi_bus.writes, r->spi_bus.reads);
            }
            continue;
        }
        if (f->kind == HIL_FAULT_ROM_NACK || f->kind == HIL_FAULT_ROM_SILENT || f->kind == HIL_FAULT_ROM_LATE) {
            fired = hil_romlink_fired(&r->rl, i);
            if (!fired) {
                size_t used = strlen(unfired);
                snprintf(unfired + used, len - used, "%sfault at line %d (%s %s #%u) never fired: "
                         "the ROM saw %u such commands", used ? "; " : "", f->line, hil_fault_kind_name(f->kind),
                         hil_rom_cmd_name(f->rom_cmd), f->n, r->rl.rom ? r->rl.rom->cmd_count[f->rom_cmd] : 0);
            }
            continue;
        }
        if (fired) {
            continue;
        }
        size_t used = strlen(unfired);
        if (f->kind == HIL_FAULT_TRUNCATE && f->by_bytes) {
            snprintf(unfired + used, len - used, "%sfault at line %d (truncate after_bytes %u) never fired: no DATA "
                     "frame reached past it", used ? "; " : "", f->line, f->after_bytes);
            continue;
        }
        snprintf(unfired + used, len - used, "%sfault at line %d (%s %s frame %u) never fired: "
                 "%u such frames went %s", used ? "; " : "", f->line, hil_fault_kind_name(f->kind),
                 f->frame_type >= 0 ? proto_type_name((uint8_t)f->frame_type) : "any", f->frame,
                 f->frame_type >= 0 ? r->proxy.dir[f->dir].type_frames[(uint8_t)f->frame_type] :
                 r->proxy.dir[f->dir].frames, f->dir == HIL_DIR_TO_TARGET ? "to the target" : "to the host");
    }
}

/* `updater:` / `resumed_at:` (outcome.h) against fotactl's JSON result;
 * duration_ms is device time (@p dur_ms), never fotactl's wall clock. */
static int check_updater(struct run *r, const struct hil_update *u, uint64_t dur_ms)
{
    struct hil_updater_result res;
    char msg[512];
    if (hil_updater_result_read(r->u.json_path, &res, msg, sizeof(msg)) != 0) {
        return step_fail(r, "updater (line %d): %s", u->updater.line, msg);
    }
    evlog(r, "updater result: exit %u, frames %u, retransmits %u, nacks %u, %s %u, %llu ms of device time",
          res.exit_code, res.frames_sent, res.retransmits, res.nacks, res.resumed ? "resumed at" :
          res.fresh ? "fresh, resume" : "no BEGIN, resume", res.resumed_at, (unsigned long long)dur_ms);
    if (hil_updater_check(&u->updater, &res, dur_ms, msg, sizeof(msg)) != 0) {
        return step_fail(r, "updater (line %d): %s (%s)", u->updater.line, msg, r->u.json_path);
    }
    return 0;
}

static int do_update(struct run *r, const struct hil_step *st)
{
    const struct hil_update *u = &st->update;
    struct stat sb;
    if (r->u.active) {
        return step_fail(r, "the bridge is running on the device's link: `bridge: stop` it first");
    }
    hil_image_path_for(u->image, r->flash, r->u.image, sizeof(r->u.image));
    if (stat(r->u.image, &sb) != 0) {
        return step_fail(r, "cannot read image %s: %s", r->u.image, strerror(errno));
    }
    if (access(r->o->fotactl, X_OK) != 0) {
        return step_fail(r, "updater %s is not executable: %s (build it, or pass --fotactl)",
                         r->o->fotactl, strerror(errno));
    }
    if (update_arm(r, u, (uint64_t)sb.st_size) != 0) {
        return -1;
    }
    if (open_link_pair(r) != 0) {
        end_update(r);
        return step_fail(r, "cannot open a socketpair: %s", strerror(errno));
    }
    r->u.active = true;
    if (spawn_updater(r, st) != 0) {
        end_update(r);
        return step_fail(r, "cannot start %s: %s", r->o->fotactl, strerror(errno));
    }
    bool timed_out = false;
    r->u.started_dev_ms = dev_ms(r);
    int outcome = update_wait(r, u, &timed_out);
    uint64_t dur_ms = dev_ms(r) - r->u.started_dev_ms;
    if (outcome == -2) {
        return -1;
    }
    if (r->o->journal != NULL && r->step == r->o->journal_step) {
        /* The frames of the clean run (a link sweep's `cut` cases count them). */
        memcpy(r->o->journal->frames, r->proxy.dir[HIL_DIR_TO_TARGET].type_frames, sizeof(r->o->journal->frames));
    }
    char status_text[64] = "";
    if (outcome == HIL_UPD_INTERRUPTED) {
        int cf = r->inject.cut_fault >= 0 ? r->inject.cut_fault : r->cut_at.cut_fault;
        for (int i = 0; cf < 0 && i < u->nfaults; i++) {
            cf = hil_fault_at_frame(&u->faults[i]) && hil_proxy_fault_fired(&r->proxy, i) ? i : -1;
        }
        if (cf >= 0) {
            snprintf(status_text, sizeof(status_text), "power cut by the fault at line %d", u->faults[cf].line);
        } else {
            snprintf(status_text, sizeof(status_text), "power cut by the sweep case");
        }
    } else if (outcome >= 0 && WIFEXITED(r->u.status)) {
        snprintf(status_text, sizeof(status_text), "fotactl exit %d", WEXITSTATUS(r->u.status));
    } else if (outcome >= 0 && WIFSIGNALED(r->u.status)) {
        snprintf(status_text, sizeof(status_text), "fotactl killed by signal %d", WTERMSIG(r->u.status));
    }
    const char *outcome_name = outcome >= 0 ? hil_update_expect_name((enum hil_update_expect)outcome) : "timeout";
    evlog(r, "update done: %s (%s)", outcome_name, status_text);
    /* Faults that never fired mean the scenario does not test what it says. */
    char unfired[512] = "";
    describe_unfired(r, u, unfired, sizeof(unfired));
    end_update(r);
    hil_romlink_unlisten(&r->rl);
    hil_romlink_arm(&r->rl, NULL, 0);
    char tail[1024];
    tail_file(r->u.log_path, 6, tail, sizeof(tail));
    if (timed_out) {
        return step_fail(r, "fotactl did not finish within %u ms of device time (killed); fotactl output:\n%s",
                         u->timeout_ms, tail);
    }
    if (outcome != (int)u->expect && u->expect != HIL_UPD_ANY) {
        return step_fail(r, "expected %s, got %s (%s)%s%s; fotactl output:\n%s", hil_update_expect_name(u->expect),
                         outcome_name, status_text,
                         unfired[0] ? "; " : "", unfired, tail);
    }
    if (unfired[0] != '\0') {
        return step_fail(r, "%s", unfired);
    }
    /* A sweep case may cut the power in the swept update: then fotactl is
     * killed before it writes a result, and there is nothing to check. */
    return u->updater.any && outcome != HIL_UPD_INTERRUPTED ? check_updater(r, u, dur_ms) : 0;
}

/* ---- the bridge's steps (bridge_env.h, docs/SCENARIOS.md "Bridge steps") ---- */

static int do_servers(struct run *r)
{
    char err[1536], abs[PATH_MAX];
    if (realpath(r->workdir, abs) == NULL) {
        snprintf(abs, sizeof(abs), "%s", r->workdir);
    }
    if (hil_benv_servers_start(&r->benv, abs, err, sizeof(err)) != 0) {
        return step_fail(r, "servers: %s", err);
    }
    evlog(r, "servers: lighttpd on 127.0.0.1:%d (%s), mosquitto on 127.0.0.1:%d; watching %s",
          r->benv.http.port, r->benv.http.www, r->benv.mqtt.port, HIL_BRIDGE_STATUS_TOPIC);
    return 0;
}

static int do_publish(struct run *r, const struct hil_step *st)
{
    char err[512];
    if (hil_benv_publish(&r->benv, st->publish.name, st->publish.image, err, sizeof(err)) != 0) {
        return step_fail(r, "publish_image: %s", err);
    }
    evlog(r, "published %s as /%s", st->publish.image, r->benv.name);
    return 0;
}

/* fota-bridge next to fotactl (the same build directory). */
static void bridge_exe(const struct run *r, char *out, size_t len)
{
    const char *slash = strrchr(r->o->fotactl, '/');
    snprintf(out, len, "%.*sfota-bridge", slash != NULL ? (int)(slash - r->o->fotactl + 1) : 0, r->o->fotactl);
}

static bool bridge_end(struct run *r, char *what, size_t len);

static int do_bridge_start(struct run *r, const struct hil_step *st)
{
    const struct hil_bridge_step *b = &st->bridge;
    struct hil_update bu = { .faults = st->faults, .nfaults = st->nfaults, .protocol = b->via };
    char exe[PATH_MAX], bootctl[PATH_MAX + 8], err[512];
    char *argv[HIL_BRIDGE_ARGV_MAX];
    if (r->u.active) {
        return step_fail(r, "bridge start: %s is running already", r->u.bridge ? "the bridge" : "an update");
    }
    bridge_exe(r, exe, sizeof(exe));
    if (access(exe, X_OK) != 0) {
        return step_fail(r, "bridge %s is not executable: %s (make %s)", exe, strerror(errno), exe);
    }
    if (update_arm(r, &bu, 0) != 0) {
        return -1;
    }
    snprintf(r->u.log_path, sizeof(r->u.log_path), "%s/bridge.step%d.log", r->workdir, r->step);
    snprintf(bootctl, sizeof(bootctl), "unix:%s", r->rl.path);
    const char *dev = r->u.spi_master ? "spi-emu:" HIL_UPDATER_PORT
                      : r->u.i2c_master ? "i2c-emu:" HIL_UPDATER_PORT : HIL_UPDATER_PORT;
    int argc = hil_benv_bridge_argv(&r->benv, b, exe, r->workdir, dev, b->via != HIL_PROTO_FOTA ? bootctl : NULL,
                                    argv, err, sizeof(err));
    if (argc < 0 || open_link_pair(r) != 0) {
        char what[512];
        int e = errno;
        (void)bridge_end(r, what, sizeof(what));
        return step_fail(r, "bridge start: %s", argc < 0 ? err : strerror(e));
    }
    r->u.active = true;
    r->u.bridge = true;
    if (spawn_argv(r, argv) != 0) {
        int e = errno;
        (void)bridge_end(r, err, sizeof(err));
        return step_fail(r, "cannot start %s: %s", exe, strerror(e));
    }
    return 0;
}

/* The bridge ends (`bridge: stop|kill`, or the case ends): the process,
 * its link, boot.sock, the netfault proxy (its counts into @p what).
 * @return whether the netfault acted (true without one). */
static bool bridge_end(struct run *r, char *what, size_t len)
{
    end_update(r);
    r->u.bridge = false;
    hil_romlink_unlisten(&r->rl);
    hil_romlink_arm(&r->rl, NULL, 0);
    bool fired = hil_benv_bridge_ended(&r->benv, what, len);
    if (what[0] != '\0') {
        evlog(r, "%s", what);
    }
    return fired;
}

/* bridge: stop (SIGTERM; the bridge ends its check first) or kill (SIGKILL, a bridge losing power). */
static int do_bridge_stop(struct run *r, const struct hil_step *st)
{
    if (!r->u.active || !r->u.bridge) {
        return step_fail(r, "bridge %s: no bridge is running", st->bridge.action == HIL_BRIDGE_KILL ? "kill" : "stop");
    }
    (void)hil_hold_service(&r->u.hold, r->u.pid, false); /* never leave it stopped */
    if (!r->u.exited && st->bridge.action == HIL_BRIDGE_STOP) {
        kill(r->u.pid, SIGTERM);
        struct run_deadline until = deadline_in(r, st->timeout_ms);
        while (!r->u.exited && !deadline_passed(r, &until) && check_target(r) == 0) {
            pump(r, wait_slice(r, &until));
        }
        if (!r->u.exited) {
            char what[512];
            (void)bridge_end(r, what, sizeof(what));
            return step_fail(r, "bridge stop: fota-bridge did not end within %u ms of device time (killed)",
                             st->timeout_ms);
        }
    }
    char what[512], tail[1024];
    bool clean = r->u.exited && WIFEXITED(r->u.status) && WEXITSTATUS(r->u.status) == 0;
    evlog(r, "bridge %s (%s)", st->bridge.action == HIL_BRIDGE_KILL ? "killed" : "stopped",
          r->u.exited ? "it had ended" : "SIGKILL");
    tail_file(r->u.log_path, 6, tail, sizeof(tail));
    if (!bridge_end(r, what, sizeof(what))) {
        return step_fail(r, "the bridge's netfault never acted: the scenario does not test what it says (%s)", what);
    }
    if (st->bridge.action == HIL_BRIDGE_STOP && !clean) {
        return step_fail(r, "fota-bridge ended with status 0x%x, not 0; its output:\n%s", r->u.status, tail);
    }
    return 0;
}

static int do_expect_mqtt(struct run *r, const struct hil_step *st)
{
    const struct hil_expect_mqtt *m = &st->mqtt;
    struct run_deadline until = deadline_in(r, m->timeout_ms);
    char got[2048], want_ver[16] = "";
    hil_format_version(m->version, want_ver, sizeof(want_ver));
    if (!r->benv.up) {
        return step_fail(r, "expect_mqtt needs the servers: put a `servers` step before it");
    }
    for (;;) {
        enum hil_mqtt_verdict v = hil_benv_mqtt_check(&r->benv, m, got, sizeof(got));
        if (v == HIL_MQTT_OK) {
            evlog(r, "expect_mqtt: %s", got);
            return 0;
        }
        if (v == HIL_MQTT_BAD || deadline_passed(r, &until)) {
            char tail[1024];
            tail_file(r->u.log_path, 6, tail, sizeof(tail));
            if (v != HIL_MQTT_BAD) {
                run_diagnose(r, "expect_mqtt timed out");
            }
            return step_fail(r, "expected MQTT status ending %s%s%s%s (%d states in order%s%s): %s; got: %s; "
                             "bridge output:\n%s", m->state, m->has_version ? " version " : "",
                             m->has_version ? want_ver : "", "", m->nstates, m->absent ? ", never " : "",
                             m->absent ? m->absent : "", v == HIL_MQTT_BAD ? "does not hold" :
                             "not within the step's timeout_ms of device time", got, tail);
        }
        if (check_target(r) != 0) {
            return -1;
        }
        pump(r, wait_slice(r, &until));
    }
}

static int run_bridge_step(struct run *r, const struct hil_step *st)
{
    switch (st->kind) {
    case HIL_STEP_SERVERS:
        return do_servers(r);
    case HIL_STEP_PUBLISH_IMAGE:
        return do_publish(r, st);
    case HIL_STEP_MQTT_TRIGGER:
        return hil_benv_trigger(&r->benv, st->payload) == 0 ? 0
               : step_fail(r, "mqtt_trigger: no broker (put a `servers` step before it) or the publish failed");
    case HIL_STEP_BRIDGE:
        return st->bridge.action == HIL_BRIDGE_START ? do_bridge_start(r, st) : do_bridge_stop(r, st);
    case HIL_STEP_EXPECT_MQTT:
        return do_expect_mqtt(r, st);
    default:
        return step_fail(r, "unknown step");
    }
}

static int do_multi_update(struct run *r, const struct hil_step *st);

static int run_step_kind(struct run *r, const struct hil_step *st)
{
    struct hil_target *t = r->t;
    int rc;
    if (st->origin != NULL) {
        evlog(r, "step %d: %s (%s)", r->step, hil_step_name(st->kind), st->origin);
    } else {
        evlog(r, "step %d: %s (line %d)", r->step, hil_step_name(st->kind), st->line);
    }
    switch (st->kind) {
    case HIL_STEP_POWER_ON:
        r->cursor = r->nlines;
        hil_runtrace_power(&r->rt, HIL_TRACE_PWR_ON, "power_on step");
        hil_romlink_leave(&r->rl);
        if (st->boot0_high) {
            if (t->powered) {
                return step_fail(r, "the target is already on");
            }
            r->rl.boot0 = true;
            return enter_rom(r) == 0 ? 0 : step_fail(r, "out of memory");
        }
        r->rl.boot0 = false;
        rc = t->ops->power_on(t);
        if (rc != 0) {
            return step_fail(r, "the target did not start: %s", fota_strerror(rc));
        }
        pump(r, 0);
        return check_target(r);
    case HIL_STEP_POWER_CUT:
        hil_romlink_leave(&r->rl);
        rc = t->ops->power_off(t);
        r->running_slot = -1;
        if (rc != 0) {
            return step_fail(r, "power_off failed: %s", fota_strerror(rc));
        }
        return 0;
    case HIL_STEP_RESET:
        hil_runtrace_power(&r->rt, HIL_TRACE_PWR_RESET, "reset step");
        rc = t->ops->reset(t);
        if (rc != 0) {
            return step_fail(r, "reset failed: %s%s", fota_strerror(rc),
                             rc == FOTA_EBUSY ? " (the target is off)" : "");
        }
        return check_target(r);
    case HIL_STEP_WAIT_MS:
        return do_wait(r, st->ms);
    case HIL_STEP_EXPECT_CONSOLE:
        return do_expect_console(r, st);
    case HIL_STEP_CONSOLE_ABSENT:
        return do_console_absent(r, st);
    case HIL_STEP_UPDATE:
        return hil_case_is_multi_step(r->s->sweep_case, r->step) ? do_multi_update(r, st) : do_update(r, st);
    case HIL_STEP_EXPECT:
        return do_expect(r, st);
    default:
        return run_bridge_step(r, st);
    }
}

/* A power_on or reset with faults runs the device until a cut fired, at
 * most the step's timeout_ms of device time. */
static int run_until_cut(struct run *r, const struct hil_step *st)
{
    struct run_deadline until = deadline_in(r, st->timeout_ms);
    while (!step_cut(r) && !deadline_passed(r, &until)) {
        if (check_target(r) != 0) {
            return -1;
        }
        pump(r, wait_slice(r, &until));
    }
    return 0;
}

/* A power_on, reset, wait_ms or expect_console with `faults:`
 * (fault_parse.h): armed from the step's start; the step ends at the cut;
 * a fault that never fired fails the step. */
static int run_step_faulted(struct run *r, const struct hil_step *st)
{
    hil_inject_arm(&r->inject, st->faults, st->nfaults, 0);
    hil_cut_at_arm(&r->cut_at, st->faults, st->nfaults, dev_ms(r));
    int rc = run_step_kind(r, st);
    if (rc == 0 && (st->kind == HIL_STEP_POWER_ON || st->kind == HIL_STEP_RESET || st->kind == HIL_STEP_BRIDGE)) {
        rc = run_until_cut(r, st);
        r->u.interrupted = false; /* the bridge runs on after a device power cut */
    }
    char unfired[512] = "";
    for (int i = 0; rc == 0 && i < st->nfaults && i < HIL_INJECT_MAX_FAULTS; i++) {
        describe_unfired_cut(r, i, unfired, sizeof(unfired));
    }
    hil_inject_disarm(&r->inject);
    hil_cut_at_disarm(&r->cut_at);
    if (rc == 0 && unfired[0] != '\0') {
        return step_fail(r, "%s", unfired);
    }
    return rc;
}

static int run_step(struct run *r, const struct hil_step *st)
{
    return st->kind != HIL_STEP_UPDATE && st->nfaults > 0 ? run_step_faulted(r, st) : run_step_kind(r, st);
}

/* ---- multi_cut sweep cases (sweep.h) ---- */

/* Has the image of the last update attempt landed: the slot it is linked
 * for holds its header byte for byte (the header carries the payload's
 * SHA-256), and the newest record has that slot pending, trial or
 * confirmed (only END's verification commits PENDING)? */
static bool update_landed(struct run *r)
{
    struct image_header h;
    FILE *f = fopen(r->u.image, "rb");
    bool got = f != NULL && fread(&h, sizeof(h), 1, f) == 1;
    if (f != NULL) {
        fclose(f);
    }
    int slot = got ? slot_of_vectors(h.ih_load_addr) : -1;
    struct meta_record m;
    if (slot < 0 || !newest_meta(r->flash, &m)) {
        return false;
    }
    uint8_t st = m.mr_slot[slot].ms_state;
    return (st == META_SLOT_PENDING || st == META_SLOT_TRIAL || st == META_SLOT_CONFIRMED) &&
           memcmp(&r->flash->mem[LAYOUT_SLOT_ADDR((uint32_t)slot) - LAYOUT_FLASH_BASE], &h, sizeof(h)) == 0;
}

/* The swept update is over: wait (at most HIL_DEFAULT_EXPECT_TIMEOUT_MS)
 * until the newest record has no slot pending or in trial (the new image
 * confirmed, or rejected), then cut the power. The steps after the swept
 * one start with power_on, as in every case, from a flash that does not
 * depend on when the updater exited. */
static int settle_and_cut(struct run *r, const struct hil_step *st)
{
    struct run_deadline until = deadline_in(r, HIL_DEFAULT_EXPECT_TIMEOUT_MS);
    for (;;) {
        struct meta_record m;
        bool busy = false;
        for (int s = 0; r->t->powered && s < 2 && newest_meta(r->flash, &m); s++) {
            busy = busy || m.mr_slot[s].ms_state == META_SLOT_PENDING || m.mr_slot[s].ms_state == META_SLOT_TRIAL;
        }
        if (!busy) {
            break;
        }
        if (deadline_passed(r, &until)) {
            evlog(r, "multi_cut: a slot is still pending or in trial after %u ms", HIL_DEFAULT_EXPECT_TIMEOUT_MS);
            break;
        }
        if (check_target(r) != 0) {
            return -1;
        }
        pump(r, wait_slice(r, &until));
    }
    evlog(r, "multi_cut: the update is over; power cut before the steps after the swept one");
    struct hil_step cut = { .kind = HIL_STEP_POWER_CUT, .line = st->line };
    return run_step(r, &cut);
}

/* Keep attempt @p a's updater log as fotactl.step<N>.attempt<a>.log; its path into @p path. */
static void keep_attempt_log(struct run *r, uint32_t a, char *path, size_t len)
{
    snprintf(path, len, "%s/fotactl.step%d.attempt%u.log", r->workdir, r->step, a);
    if (rename(r->u.log_path, path) != 0) {
        snprintf(path, len, "%s", r->u.log_path);
    }
}

/*
 * A multi_cut case's swept update: attempt 1, then after each cut the
 * device is powered on and the same update runs again (fotactl's BEGIN
 * resumes at the first all-0xFF chunk) until every cut fired; that last
 * attempt must end ok. An attempt that ends ok before the next cut (the
 * update finished) or an image that already landed (a cut after the
 * commit that installs it: the updater has nothing to resume, and a new
 * attempt would race the boot of the new image) ends the attempts early,
 * noted in events.log. An attempt that fails without a cut fails the step.
 */
static int do_multi_update(struct run *r, const struct hil_step *st)
{
    struct hil_case *c = r->s->sweep_case;
    struct hil_step attempt = *st;
    attempt.update.expect = HIL_UPD_ANY; /* a cut, or the end of the update */
    for (uint32_t a = 1;; a++) {
        bool last = c->cuts_fired >= c->ncuts;
        hil_case_attempt_begin(c); /* before the power-on: its boot's operations count, whenever they come */
        if (a > 1) {
            evlog(r, "multi_cut: %u of %u cuts made; power on for attempt %u", c->cuts_fired, c->ncuts, a);
            struct hil_step on = { .kind = HIL_STEP_POWER_ON, .line = st->line };
            if (run_step(r, &on) != 0) {
                return -1;
            }
            if (update_landed(r)) {
                evlog(r, "multi_cut: %s has landed already (slot pending, trial or confirmed): no attempt %u, "
                      "%u of %u cuts made", r->u.image, a, c->cuts_fired, c->ncuts);
                break;
            }
        }
        if (last) {
            evlog(r, "multi_cut: attempt %u, after the last cut: must end ok", a);
        } else {
            evlog(r, "multi_cut: attempt %u, cut %u of %u at matching op %u (%u counted so far)", a,
                  c->cuts_fired + 1, c->ncuts, c->cut_at[c->cuts_fired], c->kind_seen);
        }
        int rc = do_update(r, last ? st : &attempt);
        char log[PATH_MAX + 64];
        keep_attempt_log(r, a, log, sizeof(log));
        if (rc != 0) {
            msg_add(r, "\nmulti_cut: that was attempt %u of the swept update, after %u of %u cuts (events.log)", a,
                    c->cuts_fired, c->ncuts);
            return -1;
        }
        if (last) {
            break;
        }
        if (r->u.interrupted) {
            continue;
        }
        int status = r->u.status;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            evlog(r, "multi_cut: attempt %u ended ok after %u matching ops, before cut %u at op %u: the update "
                  "finished; %u of %u cuts made", a, c->kind_seen, c->cuts_fired + 1, c->cut_at[c->cuts_fired],
                  c->cuts_fired, c->ncuts);
            break;
        }
        char tail[1024];
        tail_file(log, 6, tail, sizeof(tail));
        return step_fail(r, "attempt %u: fotactl %s %d without a power cut (%u of %u cuts made, the next at "
                         "matching op %u); fotactl output:\n%s", a, WIFEXITED(status) ? "exit" : "killed by signal",
                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), c->cuts_fired, c->ncuts,
                         c->cut_at[c->cuts_fired], tail);
    }
    return settle_and_cut(r, st);
}

/* The bootloader binary to place: the scenario's; but with a non-default
 * --bootloader-elf (e.g. a `make mutants` build, issue 16) the .bin next to
 * that ELF replaces the default bootloader and the one in a flash file, so
 * the code that runs is the code the symbols describe. */
static const char *bootloader_bin_for(const char *elf, const struct hil_scenario *s, char *buf, size_t len)
{
    size_t n = elf != NULL ? strlen(elf) : 0;
    bool named_bl = s->flash.file == NULL &&
                      (s->flash.bootloader == NULL || strcmp(s->flash.bootloader, HIL_DEFAULT_BOOTLOADER_BIN) != 0);
    if (named_bl || n < 4 || strcmp(elf + n - 4, ".elf") != 0 ||
        strcmp(elf, "build/fw/bootloader.elf") == 0 || n >= len) {
        return s->flash.bootloader;
    }
    snprintf(buf, len, "%.*s.bin", (int)(n - 4), elf);
    return buf;
}

static int compose_flash(struct run *r, const struct hil_scenario *s)
{
    hil_flash_init(r->flash);
    if (s->sweep_case != NULL && s->sweep_case->fast) {
        /* A sweep case: the crash state built from the journal (sweep.h). */
        if (hil_case_compose_flash(s->sweep_case, r->flash) != 0) {
            snprintf(r->msg, sizeof(r->msg), "flash: cannot build the crash state of %s from the journal", s->id);
            return -1;
        }
        return 0;
    }
    if (r->o->flash_image != NULL) {
        /* --flash-image: a dump (e.g. `fota-hil dump` of a field unit) replaces the scenario's flash. */
        int rc = hil_flash_load_file(r->flash, LAYOUT_FLASH_BASE, r->o->flash_image);
        if (rc != 0) {
            snprintf(r->msg, sizeof(r->msg), "--flash-image %s: %s", r->o->flash_image, fota_strerror(rc));
            return -1;
        }
        evlog(r, "flash from --flash-image %s", r->o->flash_image);
        return 0;
    }
    char bl_bin[PATH_MAX];
    struct { const char *path; uint32_t addr; const char *what; } parts[] = {
        { s->flash.file, LAYOUT_FLASH_BASE, "flash file" },
        { bootloader_bin_for(r->o->bootloader_elf, s, bl_bin, sizeof(bl_bin)), LAYOUT_BOOT_ADDR, "bootloader" },
        { s->flash.slot_a, LAYOUT_SLOT_A_ADDR, "slot_a" },
        { s->flash.slot_b, LAYOUT_SLOT_B_ADDR, "slot_b" },
    };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (parts[i].path == NULL) {
            continue;
        }
        int rc = hil_flash_load_file(r->flash, parts[i].addr, parts[i].path);
        if (rc != 0) {
            snprintf(r->msg, sizeof(r->msg), "flash: cannot load %s %s: %s%s%s", parts[i].what, parts[i].path,
                     fota_strerror(rc), rc == FOTA_EIO ? ": " : "", rc == FOTA_EIO ? strerror(errno) : "");
            return -1;
        }
    }
    return 0;
}

/* The run trace's clock (hil_runtrace_set_clock): device us (hold.h). */
static uint64_t run_dev_us(void *ctx)
{
    struct run *r = ctx;
    return hil_devclock_us(&r->devclock);
}

/* console.log, events.log (line-buffered) and the run trace of the workdir. */
static void run_open_logs(struct run *r)
{
    const struct hil_scenario *s = r->s;
    const struct hil_run_opts *o = r->o;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/console.log", r->workdir);
    r->console_log = fopen(path, "we");
    snprintf(path, sizeof(path), "%s/events.log", r->workdir);
    r->event_log = fopen(path, "we");
    if (r->console_log != NULL) {
        setvbuf(r->console_log, NULL, _IOLBF, 0);
    }
    if (r->event_log != NULL) {
        setvbuf(r->event_log, NULL, _IOLBF, 0);
    }
    evlog(r, "scenario %s (%s:%d)", s->id, s->file, s->line);
    if (hil_runtrace_open(&r->rt, r->workdir, o->pcap) != 0) {
        evlog(r, "cannot create %s/%s: running without a trace", r->workdir, HIL_RUNTRACE_FILE);
    }
    if (o->board == NULL) {
        hil_runtrace_set_clock(&r->rt, run_dev_us, r); /* device time: replay waits in it (docs/TRACE.md) */
    }
    hil_runtrace_tap(&r->rt, &r->proxy);
    r->rt.spi = r->spi; /* update-protocol frames carried over SPI */
}

/* The QEMU or board target for this run. @return 0; -1 (r->msg says why). */
static int run_create_target(struct run *r, const char *abs_workdir)
{
    const struct hil_run_opts *o = r->o;
    int rc = 0;
    struct hil_qemu_opts qo = {
        .qemu = o->qemu,
        .machine = o->machine,
        .bootloader_elf = o->bootloader_elf,
        .workdir = abs_workdir,
        .icount_shift = o->icount_shift,
        .watchdog_scale = o->watchdog_scale,
        .verbose = o->verbose,
        .link_spi = r->spi,
        .glitch = r->g,
    };
    struct hil_target_hooks hooks = {
        .ctx = r,
        .on_flash_op = hook_flash_op,
        .plan_fault = hook_plan_fault,
        .on_console_line = hook_console_line,
        .on_event = hook_event,
    };
    struct hil_board_opts bo = {
        .profile = o->board, .bootloader_elf = o->bootloader_elf, .workdir = abs_workdir,
        .program = true, .verbose = o->verbose,
    };
    int crc = o->board != NULL ? hil_board_create(&bo, r->flash, &hooks, &r->t)
                               : hil_qemu_create(&qo, r->flash, &hooks, &r->t);
    if (crc == 0 && r->t != NULL && r->spi && r->t->ops->spi_xfer != NULL) {
        r->spi_bus.wire = spi_wire; /* fota-f407: the harness clocks SPI1 */
        r->spi_bus.wire_ctx = r;
    }
    if (crc != 0 || r->t == NULL) {
        snprintf(r->msg, sizeof(r->msg), "cannot create the %s target (bootloader ELF %s): %s",
                 o->board != NULL ? "board" : "QEMU", o->bootloader_elf, fota_strerror(crc));
        r->t = NULL;
        rc = -1;
    }
    return rc;
}

/* ---- glitch sweeps (target/glitch.h, run/sweep_run.c) ---- */

/* The glitch sweep block this run glitches under, or NULL. */
static const struct hil_sweep *glitch_sweep(const struct run *r)
{
    if (r->g == NULL) {
        return NULL;
    }
    return r->s->sweep_case != NULL ? r->s->sweep_case->parent->sweep : r->s->sweep;
}

/* The engine of a glitch case, or the trace run's; the pending slot of
 * the initial flash is the one whose image must never run. */
static void glitch_setup(struct run *r)
{
    struct hil_case *c = r->s->sweep_case;
    struct meta_record m;
    r->glitch_bad_slot = -1;
    if (c != NULL && c->kind == HIL_CASE_GLITCH) {
        memset(&r->glitch, 0, sizeof(r->glitch));
        r->glitch.what = HIL_GLITCH_INJECT;
        r->glitch.at = (struct hil_glitch_point){ .pc = c->glitch_pc, .n = c->n };
        r->glitch.mode = (enum hil_glitch_mode)c->glitch_mode;
        r->g = &r->glitch;
    } else if (r->o->glitch_trace != NULL && r->s->sweep != NULL && r->s->sweep->family == HIL_SWEEP_GLITCH) {
        r->g = r->o->glitch_trace;
    }
    if (r->g == NULL || !newest_meta(r->flash, &m) || !(m.mr_trial_slot < LAYOUT_SLOT_COUNT) ||
        m.mr_slot[m.mr_trial_slot].ms_state != META_SLOT_PENDING) {
        return;
    }
    const uint8_t *v = &r->flash->mem[LAYOUT_APP_VECTORS(m.mr_trial_slot) + 4u - LAYOUT_FLASH_BASE];
    r->glitch_bad_slot = m.mr_trial_slot;
    r->g->bad_entry = ((uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24) & ~1u;
    evlog(r, "glitch: the pending image in slot %s (entry 0x%08x) must never run", slot_name(r->glitch_bad_slot),
          r->g->bad_entry);
}

/* Arm the glitch at the start of the sweep's window; at its end disarm it
 * and cut the power (the steps after the window start with power_on). */
static void glitch_window(struct run *r, bool before)
{
    const struct hil_sweep *sw = glitch_sweep(r);
    if (sw == NULL) {
        return;
    }
    if (before && r->step == sw->step) {
        r->g->armed = true;
    }
    if (!before && r->step == sw->through) {
        r->g->armed = false;
        if (r->t != NULL && r->t->powered) {
            (void)r->t->ops->power_off(r->t);
            r->running_slot = -1;
            evlog(r, "glitch: window (steps %d-%d) over: power off", sw->step, sw->through);
        }
    }
}

/* A glitch case's own verdict after its steps (@p rc): a bypass fails it
 * whatever the steps said; a glitch that never fired fails it. @return 0; -1. */
static int glitch_verdict(struct run *r, int rc)
{
    struct hil_case *c = r->s->sweep_case;
    if (c == NULL || c->kind != HIL_CASE_GLITCH) {
        return rc;
    }
    c->fired = r->glitch.fired;
    c->glitch_bypassed = r->glitch.bypassed;
    if (r->glitch.bypassed) {
        char was[HIL_MSG_MAX / 2];
        memcpy(was, r->msg, sizeof(was) - 1u);
        was[sizeof(was) - 1u] = '\0';
        snprintf(r->msg, sizeof(r->msg), "glitch BYPASS: the bad image in slot %s ran after the %s at %s+0x%x "
                 "(0x%08x, execution #%u)%s%s", slot_name(r->glitch_bad_slot),
                 c->glitch_mode == HIL_GLITCH_BRANCH ? "inverted branch" : "skipped instruction", c->glitch_fn,
                 c->glitch_off, c->glitch_pc, c->n, was[0] != '\0' ? "; " : "", was);
        return -1;
    }
    if (rc == 0 && !r->glitch.fired) {
        return step_fail(r, "the glitch never fired: 0x%08x (%s+0x%x) ran %u of %u times in steps %d-%d",
                         c->glitch_pc, c->glitch_fn, c->glitch_off, r->glitch.hits, c->n, c->parent->sweep->step,
                         c->parent->sweep->through);
    }
    return rc;
}

/* The scenario's steps, with the sweep case's window and the journal. @return 0; -1. */
static int run_steps(struct run *r)
{
    const struct hil_scenario *s = r->s;
    const struct hil_run_opts *o = r->o;
    int rc = 0;
    const struct hil_case *sc = s->sweep_case;
    int window_end = sc != NULL && !sc->fast ? sc->parent->sweep->through : 0;
    for (int i = 0; rc == 0 && i < s->nsteps; i++) {
        r->step = i + 1;
        if (o->journal != NULL && r->step == o->journal_step && hil_journal_begin(o->journal, r->flash) != 0) {
            rc = -1;
            break;
        }
        glitch_window(r, true);
        if (run_step(r, &s->steps[i]) != 0 && !(r->case_cut && r->step <= window_end)) {
            rc = -1;
        }
        glitch_window(r, false);
        if (o->journal != NULL && r->step == journal_last(o)) {
            hil_journal_close(o->journal, r->flash); /* recorded: the rest is not needed */
            break;
        }
        if (rc == 0 && r->case_cut) {
            /* The power is off: on with the step after the window (power_on). */
            if (r->step < window_end) {
                evlog(r, "sweep case: power cut in step %d; steps %d-%d skipped", r->step, r->step + 1, window_end);
                i = window_end - 1;
            }
            r->case_cut = false;
        }
        if (rc == 0 && r->step == window_end && sc->kind == HIL_CASE_CUT && !sc->fired) {
            rc = step_fail(r, "the sweep case's cut (%s #%u) never fired: the window (steps %d-%d) had only %u "
                           "such operations", sc->on == HIL_OP_ERASE ? "erase" : "program", sc->n,
                           sc->parent->sweep->step, window_end, sc->kind_seen);
        }
    }
    return rc;
}

/* A probe (sweep_share.h): its property, and its final flash for the
 * cases that take its run when it left the watched slot untouched. */
static void share_verdict(struct run *r, struct hil_result *out)
{
    char *p = hil_sweep_share_prop(r->s->sweep_case, r->share_armed, r->share_touched);
    if (p == NULL) {
        return;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/%s", r->workdir, HIL_SHARE_FINAL);
    if (strstr(p, "=untouched") != NULL && hil_flash_save(r->flash, path) != 0) {
        snprintf(p, strlen(p) + 1, "share_probe=unsaved\n"); /* followers then run */
    }
    evlog(r, "shared-run probe: %.*s", (int)strcspn(p, "\n"), p);
    size_t l = (out->props != NULL ? strlen(out->props) : 0) + strlen(p) + 1;
    char *n = malloc(l);
    if (n != NULL) {
        snprintf(n, l, "%s%s", out->props != NULL ? out->props : "", p);
        free(out->props);
        out->props = n;
    }
    free(p);
}

/* The verdict into @p out: status, time, message (with a sweep case's re-run command), properties. */
static void run_verdict(struct run *r, int rc, struct hil_result *out)
{
    const struct hil_scenario *s = r->s;
    out->seconds = elapsed_s(r);
    out->status = rc == 0 ? HIL_PASS : HIL_FAIL;
    if (rc != 0) {
        out->message = strdup(r->msg[0] != '\0' ? r->msg : "failed");
    }
    if (r->flash != NULL) {
        out->props = hil_case_props(s->sweep_case, r->flash);
        evlog(r, "final flash sha256 %.64s", out->props != NULL ? out->props + strlen("flash_sha256=") : "?");
        share_verdict(r, out);
    }
    if (rc != 0 && s->sweep_case != NULL) {
        char *cmd = hil_case_rerun_command(s->id, s->file);
        size_t ml = strlen(out->message) + (cmd != NULL ? strlen(cmd) : 0) + 16;
        char *m = malloc(ml);
        if (m != NULL && cmd != NULL) {
            snprintf(m, ml, "%s\nre-run: %s", out->message, cmd);
            free(out->message);
            out->message = m;
        } else {
            free(m);
        }
        free(cmd);
    }
}

/* A fresh run of @p s: its state before any file or process exists. */
static struct run *run_new(const struct hil_scenario *s, const struct hil_run_opts *o)
{
    struct run *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    r->s = s;
    r->o = o;
    r->t0 = now_ms();
    r->deadline = deadline_in(r, s->timeout_ms);
    r->running_slot = -1;
    r->link_fd = -1;
    r->u.master = -1;
    r->u.slave = -1;
    r->u.pidfd = -1;
    r->proxy.log = proxy_log;
    r->proxy.log_ctx = r;
    hil_proxy_init(&r->proxy, NULL, 0);
    r->inject.cut_fault = -1;
    struct hil_romlink_ops rlo = { .ctx = r, .nrst = rom_nrst, .fault = rom_fault };
    hil_romlink_init(&r->rl, &rlo);
    r->spi = (o->link_override ? o->link : s->link) == HIL_LINK_SPI;
    r->spi_bus.log = rom_log;
    r->spi_bus.log_ctx = r;
    r->spi_bus.fault = spi_fault;
    hil_spi_init(&r->spi_bus, NULL, 0);
    return r;
}

/* Work dir, logs, the initial flash and the target. @return 0; -1 (r->msg says why). */
static int run_setup(struct run *r)
{
    if (hil_workdir_prepare(r->o->work_root, r->s->id, r->workdir, sizeof(r->workdir)) != 0) {
        snprintf(r->msg, sizeof(r->msg), "cannot create workdir %s: %s", r->workdir, strerror(errno));
        return -1;
    }
    char abs_workdir[PATH_MAX];
    if (realpath(r->workdir, abs_workdir) == NULL) {
        snprintf(abs_workdir, sizeof(abs_workdir), "%s", r->workdir);
    }
    run_open_logs(r);
    r->flash = calloc(1, sizeof(*r->flash));
    if (r->flash == NULL) {
        snprintf(r->msg, sizeof(r->msg), "out of memory");
        return -1;
    }
    int rc = compose_flash(r, r->s);
    if (rc == 0) {
        hil_runtrace_save_flash(&r->rt, r->flash);
        glitch_setup(r);
        rc = run_create_target(r, abs_workdir);
    }
    if (rc == 0) {
        hil_sweep_share_arm(r->s->sweep_case, r->t);
    }
    return rc;
}

/* Stop what runs, keep what a failure needs, close the logs, free @p r. */
static void run_finish(struct run *r, int rc, struct hil_result *out)
{
    if (r->u.active && r->u.bridge) {
        char what[512];
        (void)bridge_end(r, what, sizeof(what));
    } else if (r->u.active) {
        end_update(r);
    }
    hil_benv_stop(&r->benv); /* whatever the verdict */
    if (r->t != NULL) {
        r->share_armed = r->t->watch_armed;
        r->t->ops->destroy(r->t); /* may still report a watchpoint hit (HIL_EV_WATCH) */
        r->t = NULL;
    }
    hil_romlink_unlisten(&r->rl);
    free(r->rl.rom);
    hil_spi_free(&r->spi_bus);
    char path[PATH_MAX + 32];
    if (rc != 0 && r->flash != NULL) {
        snprintf(path, sizeof(path), "%s/flash-at-failure.bin", r->workdir);
        (void)hil_flash_save(r->flash, path);
    }
    run_verdict(r, rc, out);
    evlog(r, "%s in %.2f s", rc == 0 ? "PASS" : "FAIL", out->seconds);
    (void)hil_runtrace_close(&r->rt, rc != 0);
    if (r->console_log != NULL) {
        fclose(r->console_log);
    }
    if (r->event_log != NULL) {
        fclose(r->event_log);
    }
    hil_workdir_finish(r->workdir, rc != 0);
    snprintf(path, sizeof(path), "%s/console.log", r->workdir);
    out->console = hil_read_text_file(path, HIL_CONSOLE_FILE_MAX);
    for (size_t i = 0; i < r->nlines; i++) {
        free(r->lines[i]);
    }
    free(r->lines);
    hil_buf_free(&r->u.to_target);
    hil_buf_free(&r->u.to_host);
    free(r->flash);
    free(r);
}

int hil_run_scenario(const struct hil_scenario *s, const struct hil_run_opts *o, struct hil_result *out)
{
    struct run *r = run_new(s, o);
    if (r == NULL) {
        return FOTA_ENOMEM;
    }
    memset(out, 0, sizeof(*out));
    out->id = strdup(s->id);
    out->file = strdup(s->file);
    out->line = s->line;
    int rc = run_setup(r);
    if (rc == 0) {
        rc = glitch_verdict(r, run_steps(r));
    }
    run_finish(r, rc, out);
    return 0;
}
