/**
 * @file rsp_target.c
 * @brief The RSP target core (rsp_target.h): breakpoints, stop dispatch,
 * flash operations under the port contract, step over, return to lr,
 * console framing. Shared by target_qemu.c and target_board.c.
 */
#include "target/rsp_target.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "target/cpuclock.h"
#include "target/elfsym.h"
#include "fota/errors.h"
#include "fota/layout.h"

/* The core's symbols (fota/port.h). NOTE: renaming one there breaks this. */
static const char *const rspt_core_sym[HIL_RSPT_BP_CORE] = {
    "port_flash_erase_sector", "port_flash_program", "port_jump", "Reset_Handler",
};

int64_t hil_rspt_now_ms(void)
{
    return hil_wall_ms();
}

int64_t hil_rspt_clock_ms(const struct hil_rsp_target *c)
{
    int64_t us = hil_cpu_us(c->clock_pid);
    return us >= 0 ? us / 1000 : hil_rspt_now_ms();
}

void hil_rspt_init(struct hil_rsp_target *c, const struct hil_target_ops *ops, const struct hil_rspt_backend *be,
                   struct hil_flash *flash, const struct hil_target_hooks *hooks, enum hil_rspt_flash mode,
                   bool verbose)
{
    c->base.ops = ops;
    c->base.flash = flash;
    c->base.powered = false;
    if (hooks != NULL) {
        c->base.hooks = *hooks;
    }
    c->be = be;
    c->flash_mode = mode;
    c->verbose = verbose;
    c->con_fd = -1;
    c->link_fd = -1;
}

void hil_rspt_log(const struct hil_rsp_target *c, const char *fmt, ...)
{
    if (!c->verbose) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", c->be->tag);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

void hil_rspt_event(struct hil_rsp_target *c, enum hil_event_kind kind, uint32_t value, const char *detail)
{
    hil_rspt_log(c, "event %d value 0x%x %s", (int)kind, value, detail ? detail : "");
    if (c->base.hooks.on_event != NULL) {
        struct hil_event ev = { .kind = kind, .value = value, .detail = detail };
        c->base.hooks.on_event(c->base.hooks.ctx, &ev);
    }
}

/* ---- breakpoints ---- */

/*
 * A breakpoint on a HIL-served function only works if every call reaches
 * that symbol: refuse ELFs where GCC cloned one (IPA-CP ".constprop.N",
 * IPA-SRA ".isra.N", partial inlining ".part.N": calls go to the clone)
 * or folded two into one address (ICF). PORT_HIL_SERVED needs noipa.
 */
static int rspt_check_served(const struct hil_rsp_target *c, const char *elf, const struct hil_elfsym *syms)
{
    static const char *const suffix[] = { ".constprop.0", ".constprop.1", ".isra.0", ".part.0" };
    for (int i = 0; i < c->nbp; i++) {
        for (size_t k = 0; k < sizeof(suffix) / sizeof(suffix[0]); k++) {
            char name[128];
            uint32_t v;
            snprintf(name, sizeof(name), "%s%s", c->bp[i].sym, suffix[k]);
            if (hil_elfsym_lookup(syms, name, &v) == 0) {
                fprintf(stderr, "%s: %s: the compiler cloned %s into %s: calls would miss the "
                        "breakpoint (add __attribute__((noipa)) to it)\n", c->be->tag, elf, c->bp[i].sym, name);
                return FOTA_EINVAL;
            }
        }
        for (int j = 0; j < i; j++) {
            if (c->bp[i].addr != 0 && c->bp[i].addr == c->bp[j].addr) {
                fprintf(stderr, "%s: %s: %s and %s share address 0x%08x (identical code "
                        "folded; add __attribute__((noipa)))\n", c->be->tag, elf, c->bp[j].sym, c->bp[i].sym,
                        c->bp[i].addr);
                return FOTA_EINVAL;
            }
        }
    }
    return 0;
}

/* Look up entry @p i; @p optional: a missing one stays 0. */
static int rspt_lookup(struct hil_rsp_target *c, const char *elf, const struct hil_elfsym *syms, int i,
                       bool optional)
{
    if (hil_elfsym_lookup_addr(syms, c->bp[i].sym, &c->bp[i].addr) == 0) {
        return 0;
    }
    c->bp[i].addr = 0;
    if (optional) {
        return 0;
    }
    fprintf(stderr, "%s: %s: symbol %s not found (a HIL-served function of fota/port.h)\n", c->be->tag, elf,
            c->bp[i].sym);
    return FOTA_ENOENT;
}

int hil_rspt_resolve(struct hil_rsp_target *c, const char *elf, const struct hil_rspt_sym *extra, int nextra)
{
    c->nbp = 0;
    if (elf == NULL) {
        return 0;
    }
    if (nextra < 0 || nextra > HIL_RSPT_BP_MAX - HIL_RSPT_BP_CORE) {
        return FOTA_ERANGE;
    }
    char err[512];
    struct hil_elfsym *syms;
    int rc = hil_elfsym_open(elf, &syms, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", c->be->tag, err);
        return rc == FOTA_ENOMEM ? FOTA_ENOMEM : FOTA_EIO;
    }
    c->nbp = HIL_RSPT_BP_CORE + nextra;
    for (int i = 0; i < c->nbp && rc == 0; i++) {
        c->bp[i].sym = i < HIL_RSPT_BP_CORE ? rspt_core_sym[i] : extra[i - HIL_RSPT_BP_CORE].name;
        bool optional = i == HIL_RSPT_BP_RESET || (i >= HIL_RSPT_BP_CORE && extra[i - HIL_RSPT_BP_CORE].optional);
        rc = rspt_lookup(c, elf, syms, i, optional);
    }
    c->reset_from_vector = c->bp[HIL_RSPT_BP_RESET].addr == 0;
    if (rc == 0) {
        rc = rspt_check_served(c, elf, syms);
    }
    hil_elfsym_close(syms);
    if (rc != 0) {
        c->nbp = 0;
    }
    return rc;
}

/* The watched range (hil_target.watch_len), until it is hit. A stub that
 * refuses it leaves watch_armed false for the rest of the run: the runner
 * then claims nothing from the run (run/sweep_share.h). */
static void rspt_watch_insert(struct hil_rsp_target *c)
{
    struct hil_target *t = &c->base;
    if (t->watch_len == 0 || t->watch_hit) {
        return;
    }
    if (!c->watch_failed && hil_rsp_watchpoint(c->rsp, true, t->watch_addr, t->watch_len) != 0) {
        hil_rspt_log(c, "watchpoint 0x%08x+%u refused: %s", t->watch_addr, t->watch_len, hil_rsp_error(c->rsp));
        c->watch_failed = true;
    }
    t->watch_armed = !c->watch_failed;
}

/* A hit the link saw (in any stop reply, a step's too): report it once. */
static void rspt_watch_sync(struct hil_rsp_target *c, bool remove)
{
    struct hil_target *t = &c->base;
    uint32_t addr = 0;
    if (t->watch_len == 0 || t->watch_hit || !hil_rsp_watch_seen(c->rsp, &addr)) {
        return;
    }
    t->watch_hit = true;
    if (remove) {
        (void)hil_rsp_watchpoint(c->rsp, false, t->watch_addr, t->watch_len);
    }
    hil_rspt_event(c, HIL_EV_WATCH, addr, NULL);
}

/* A watchpoint stop: report it, take the watchpoint out, then as for a
 * stop at no served function (the backend first looks at what else
 * stopped the target, e.g. a device's fault), carry on. */
static int rspt_watch_stop(struct hil_rsp_target *c)
{
    uint32_t gen = c->gen;
    rspt_watch_sync(c, true);
    if (c->gen == gen && c->be->stopped != NULL && c->be->stopped(c, true)) {
        return 0;
    }
    return c->gen != gen ? 0 : hil_rspt_resume(c);
}

int hil_rspt_set_breakpoints(struct hil_rsp_target *c, const char **failed)
{
    c->finish_at = 0; /* a new session: no temporary breakpoint is set */
    if (c->nbp > 0 && c->reset_from_vector) {
        /* No Reset_Handler symbol: the reset vector of the image (word 1). */
        const uint8_t *v = &c->base.flash->mem[4];
        c->bp[HIL_RSPT_BP_RESET].addr = ((uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 |
                                         (uint32_t)v[3] << 24) & ~1u;
    }
    for (int i = 0; i < c->nbp; i++) {
        if (c->bp[i].addr == 0) {
            continue; /* optional, not in this ELF */
        }
        if (c->flash_mode == HIL_RSPT_FLASH_DEVICE && (i == HIL_RSPT_BP_ERASE || i == HIL_RSPT_BP_PROGRAM)) {
            continue; /* the device reports the flash operations */
        }
        int rc = hil_rsp_breakpoint(c->rsp, true, c->bp[i].addr, HIL_RSP_BKPT_THUMB);
        if (rc != 0) {
            *failed = c->bp[i].sym;
            return rc;
        }
    }
    rspt_watch_insert(c);
    int rc = hil_rspt_glitch_insert(c);
    if (rc != 0) {
        *failed = "the glitch engine's";
    }
    return rc;
}

/* ---- console ---- */

void hil_rspt_console_flush(struct hil_rsp_target *c)
{
    if (c->con_len > 0) {
        c->con_line[c->con_len] = '\0';
        c->con_len = 0;
        if (c->base.hooks.on_console_line != NULL) {
            c->base.hooks.on_console_line(c->base.hooks.ctx, c->con_line);
        }
    }
}

void hil_rspt_console_drain(struct hil_rsp_target *c)
{
    uint32_t gen = c->gen;
    char buf[4096];
    while (c->con_fd >= 0 && c->gen == gen) {
        ssize_t n = read(c->con_fd, buf, sizeof(buf));
        if (n <= 0) {
            return; /* EAGAIN, or EOF: a dead emulator is seen on the debug link */
        }
        for (ssize_t i = 0; i < n && c->gen == gen; i++) {
            char ch = buf[i];
            if (ch == '\r') {
                continue;
            }
            if (ch == '\n' || c->con_len == HIL_RSPT_CON_LINE) {
                hil_rspt_console_flush(c);
                if (ch == '\n') {
                    continue;
                }
            }
            c->con_line[c->con_len++] = ch;
        }
    }
}

bool hil_rspt_drain_before_off(struct hil_rsp_target *c)
{
    if (!c->base.powered) {
        return false;
    }
    hil_rspt_console_drain(c);
    return c->base.powered; /* a console hook may already have cut it */
}

/* ---- target control ---- */

int hil_rspt_resume(struct hil_rsp_target *c)
{
    if (c->be->resuming != NULL) {
        uint32_t gen = c->gen;
        c->be->resuming(c);
        if (c->gen != gen) {
            return 0; /* the hook powered off or reset the target */
        }
    }
    return hil_rsp_cont_send(c->rsp);
}

int hil_rspt_return(struct hil_rsp_target *c, bool set_r0, uint32_t r0, uint32_t lr)
{
    int rc = 0;
    if (set_r0) {
        rc = hil_rsp_write_reg(c->rsp, HIL_RSP_R0, r0);
    }
    if (rc == 0) {
        /* Thumb: bit 0 of lr is the T bit, not part of the address; the
         * xPSR T bit is already set and stays. */
        rc = hil_rsp_write_reg(c->rsp, HIL_RSP_PC, lr & ~1u);
    }
    if (rc == 0) {
        rc = hil_rspt_resume(c);
    }
    return rc;
}

#define RSPT_STEP_TRIES 4 /* single steps that may report a stop without leaving the address */

int hil_rspt_step_over(struct hil_rsp_target *c, uint32_t addr)
{
    struct hil_rsp_stop st;
    int rc = hil_rsp_breakpoint(c->rsp, false, addr, HIL_RSP_BKPT_THUMB);
    /* Under -icount QEMU's gdbstub may end a single step before the
     * instruction ran (the stop comes with pc unchanged); continuing then
     * hits the breakpoint again and one call was reported twice (seen on
     * fota-f407 as a flash op counted twice). Step until pc moved. */
    uint32_t pc = addr;
    for (int i = 0; rc == 0 && pc == addr && i < RSPT_STEP_TRIES; i++) {
        rc = hil_rsp_step(c->rsp, &st);
        if (rc == 0) {
            rc = hil_rsp_read_reg(c->rsp, 15, &pc);
        }
        if (rc == 0 && pc == addr) {
            hil_rspt_log(c, "single step at 0x%08x did not advance (try %d)", addr, i + 1);
        }
    }
    if (rc == 0) {
        rc = hil_rsp_breakpoint(c->rsp, true, addr, HIL_RSP_BKPT_THUMB);
    }
    if (rc == 0) {
        rc = hil_rspt_resume(c);
    }
    return rc;
}

/* ---- flash operations ---- */

void hil_rspt_apply(struct hil_rsp_target *c, const struct hil_flash_op *op, enum hil_torn torn)
{
    if (op->kind == HIL_OP_ERASE) {
        (void)hil_flash_erase(c->base.flash, op->sector, torn);
    } else {
        (void)hil_flash_program(c->base.flash, op->addr, op->data, op->len, torn);
    }
}

int hil_rspt_write_back(struct hil_rsp_target *c, const struct hil_flash_op *op)
{
    return hil_rsp_write_mem(c->rsp, op->addr, &c->base.flash->mem[op->addr - LAYOUT_FLASH_BASE], op->len);
}

/*
 * Decode the call at a flash breakpoint into @p op. @return 0; FOTA_ERANGE
 * when the port contract refuses the arguments (or the source bytes are
 * not readable target memory): no flash operation; another code: the
 * debug link failed.
 */
static int rspt_decode_op(struct hil_rsp_target *c, const uint32_t regs[16], bool erase, struct hil_flash_op *op)
{
    memset(op, 0, sizeof(*op));
    op->kind = erase ? HIL_OP_ERASE : HIL_OP_PROGRAM;
    if (erase) {
        int rc = port_flash_check_erase(regs[0]);
        if (rc != 0) {
            return rc;
        }
        op->sector = regs[0];
        op->addr = LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(op->sector);
        op->len = LAYOUT_SECTOR_SIZE(op->sector);
    } else {
        int rc = port_flash_check_program(regs[0], regs[2]);
        if (rc != 0) {
            return rc;
        }
        op->addr = regs[0];
        op->len = regs[2];
        rc = hil_rsp_read_mem(c->rsp, regs[1], c->op_data, op->len);
        if (rc == FOTA_EIO && strstr(hil_rsp_error(c->rsp), "stub error") != NULL) {
            return FOTA_ERANGE; /* the source pointer is not readable memory */
        }
        if (rc != 0) {
            return rc;
        }
        op->data = c->op_data;
        op->sector = (uint32_t)hil_flash_sector_of(op->addr);
    }
    op->region = hil_flash_region_of(op->addr);
    return 0;
}

void hil_rspt_ask(struct hil_rsp_target *c, struct hil_flash_op *op, struct hil_flash_verdict *v)
{
    memset(v, 0, sizeof(*v));
    op->seq = ++c->seq;
    op->kind_seq = ++c->kind_seq[op->kind];
    if (c->base.hooks.on_flash_op != NULL) {
        c->base.hooks.on_flash_op(c->base.hooks.ctx, op, v);
    }
}

/* Finish a call that is not a flash operation (refused, or let through). */
static int rspt_not_an_op(struct hil_rsp_target *c, int rc, uint32_t pc, uint32_t lr)
{
    if (c->flash_mode == HIL_RSPT_FLASH_SERVE) {
        return hil_rspt_return(c, true, (uint32_t)rc, lr);
    }
    return hil_rspt_step_over(c, pc); /* the port's own check answers the same */
}

/* OBSERVE: let the chip run @p op (stopped at its entry @p pc) and mirror
 * it into the model when the function returns to @p lr. */
static int rspt_finish_later(struct hil_rsp_target *c, const struct hil_flash_op *op, uint32_t pc, uint32_t lr)
{
    if (c->finish_at != 0) {
        /* A reset came before the last one returned: its breakpoint goes. */
        int rc = hil_rsp_breakpoint(c->rsp, false, c->finish_at, HIL_RSP_BKPT_THUMB);
        if (rc != 0) {
            return rc;
        }
    }
    c->finish_op = *op;
    c->finish_at = lr & ~1u; /* lr carries the Thumb bit */
    c->finish_gen = c->gen;
    int rc = hil_rsp_breakpoint(c->rsp, true, c->finish_at, HIL_RSP_BKPT_THUMB);
    return rc != 0 ? rc : hil_rspt_step_over(c, pc);
}

/* The observed op's function returned: the model takes it (unless a reset
 * came in between: the backend read the truth back then). */
static int rspt_finished(struct hil_rsp_target *c)
{
    if (c->finish_gen == c->gen) {
        hil_rspt_apply(c, &c->finish_op, HIL_TORN_ALL);
    }
    int rc = hil_rsp_breakpoint(c->rsp, false, c->finish_at, HIL_RSP_BKPT_THUMB);
    c->finish_at = 0;
    return rc != 0 ? rc : hil_rspt_resume(c);
}

/* Stopped at port_flash_erase_sector or port_flash_program. */
static int rspt_flash_stop(struct hil_rsp_target *c, const uint32_t regs[16], bool erase)
{
    uint32_t pc = regs[15];
    uint32_t lr = regs[14];
    struct hil_flash_op op;
    int rc = rspt_decode_op(c, regs, erase, &op);
    if (rc == FOTA_ERANGE) {
        return rspt_not_an_op(c, rc, pc, lr);
    }
    if (rc != 0) {
        return rc;
    }
    struct hil_flash_verdict v;
    uint32_t gen = c->gen;
    hil_rspt_ask(c, &op, &v);
    if (c->gen != gen) {
        return 0; /* the hook powered off or reset the target */
    }
    switch (v.action) {
    case HIL_ACT_FAIL:
        return hil_rspt_return(c, true, (uint32_t)(v.fail_rc != 0 ? v.fail_rc : FOTA_EFLASH), lr);
    case HIL_ACT_DROP:
        /* Reported done, nothing stuck: the function returns 0 before the
         * target runs it (in either mode), the model is unchanged. */
        return hil_rspt_return(c, true, 0, lr);
    case HIL_ACT_CUT:
        c->be->cut(c, &op, &v, pc, lr);
        return 0;
    case HIL_ACT_APPLY:
    default:
        break;
    }
    if (c->flash_mode == HIL_RSPT_FLASH_OBSERVE) {
        return rspt_finish_later(c, &op, pc, lr);
    }
    hil_rspt_apply(c, &op, HIL_TORN_ALL);
    rc = hil_rspt_write_back(c, &op);
    return rc != 0 ? rc : hil_rspt_return(c, true, 0, lr);
}

/* ---- stops ---- */

/* port_jump (@p jump) or Reset_Handler: report, then let it run. */
static int rspt_observe(struct hil_rsp_target *c, const uint32_t regs[16], bool jump, bool after_jump)
{
    uint32_t gen = c->gen;
    if (jump) {
        hil_rspt_event(c, HIL_EV_JUMP, regs[0], NULL);
    } else {
        if (c->be->booted != NULL) {
            c->be->booted(c, after_jump);
        }
        hil_rspt_event(c, HIL_EV_BOOT, 0, after_jump ? "reset handler entered by a jump" : NULL);
    }
    if (c->gen != gen) {
        return 0;
    }
    c->jump_pending = jump;
    return hil_rspt_step_over(c, regs[15]);
}

static int rspt_dispatch(struct hil_rsp_target *c, int bp, const uint32_t regs[16], bool after_jump)
{
    switch (bp) {
    case HIL_RSPT_BP_ERASE:
        return rspt_flash_stop(c, regs, true);
    case HIL_RSPT_BP_PROGRAM:
        return rspt_flash_stop(c, regs, false);
    case HIL_RSPT_BP_JUMP:
        return rspt_observe(c, regs, true, after_jump);
    case HIL_RSPT_BP_RESET:
        return rspt_observe(c, regs, false, after_jump);
    default:
        return c->be->serve(c, bp, regs);
    }
}

int hil_rspt_handle_stop(struct hil_rsp_target *c, const struct hil_rsp_stop *st)
{
    c->stopped_at = hil_rspt_clock_ms(c);
    if (st->type == 'W' || st->type == 'X') {
        return c->be->exited(c, st);
    }
    /* The target printed before it stopped: deliver that first, in order. */
    uint32_t gen = c->gen;
    hil_rspt_console_drain(c);
    if (c->gen != gen) {
        return 0;
    }
    if (st->watch) {
        return rspt_watch_stop(c);
    }
    rspt_watch_sync(c, true);
    uint32_t regs[16];
    int rc = hil_rsp_read_core_regs(c->rsp, regs);
    if (rc != 0) {
        return rc;
    }
    if (c->finish_at != 0 && regs[15] == c->finish_at) {
        return rspt_finished(c);
    }
    bool handled = false;
    rc = hil_rspt_glitch_stop(c, regs, &handled);
    if (rc != 0 || handled) {
        return rc;
    }
    uint32_t pc = regs[15];
    int bp = -1;
    for (int i = c->flash_mode == HIL_RSPT_FLASH_DEVICE ? HIL_RSPT_BP_JUMP : 0; i < c->nbp && bp < 0; i++) {
        bp = c->bp[i].addr != 0 && pc == c->bp[i].addr ? i : -1;
    }
    bool after_jump = c->jump_pending;
    c->jump_pending = false;
    if (c->be->stopped != NULL && c->be->stopped(c, bp < 0)) {
        return 0;
    }
    if (bp >= 0) {
        return rspt_dispatch(c, bp, regs, after_jump);
    }
    /* Not ours (e.g. an interrupt that raced a resume): carry on. */
    hil_rspt_log(c, "stop %c%02x at pc 0x%08x: not a served function, continuing", st->type, st->code, pc);
    return hil_rspt_resume(c);
}

int hil_rspt_poll_add(struct pollfd *fds, int n, int max, int fd)
{
    if (fd < 0 || n >= max) {
        return n;
    }
    fds[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
    return n + 1;
}

int hil_rspt_poll_fds(struct hil_target *t, struct pollfd *fds, int max, int *timeout_ms)
{
    struct hil_rsp_target *c = (struct hil_rsp_target *)t;
    (void)timeout_ms;
    if (!t->powered) {
        return 0;
    }
    return hil_rspt_poll_add(fds, hil_rspt_poll_add(fds, 0, max, hil_rsp_fd(c->rsp)), max, c->con_fd);
}

int hil_rspt_link_fd(struct hil_target *t)
{
    return t->powered ? ((struct hil_rsp_target *)t)->link_fd : -1;
}

int hil_rspt_service(struct hil_target *t, struct pollfd *fds, int n)
{
    struct hil_rsp_target *c = (struct hil_rsp_target *)t;
    (void)fds;
    (void)n;
    if (!c->base.powered) {
        return 0;
    }
    uint32_t gen = c->gen;
    hil_rspt_console_drain(c);
    if (c->gen != gen || !c->base.powered || !hil_rsp_running(c->rsp)) {
        return 0;
    }
    struct hil_rsp_stop st;
    bool got = false;
    int rc = hil_rsp_poll_stop(c->rsp, &st, &got);
    if (rc == 0 && got) {
        rc = hil_rspt_handle_stop(c, &st);
    }
    if (rc != 0 && c->gen == gen) {
        return c->be->broke(c, rc);
    }
    /* After a hook powered off or reset the target, any error belonged to
     * the session it replaced. */
    return 0;
}

void hil_rspt_close_link(struct hil_rsp_target *c)
{
    if (c->rsp != NULL) {
        hil_rsp_history(c->rsp, c->rsp_history, sizeof(c->rsp_history));
        rspt_watch_sync(c, false); /* the session ends: nothing to take out */
    }
    hil_rsp_close(c->rsp);
    c->rsp = NULL;
}

#define RSPT_DESCRIBE_MS 1000 /* each debug-link request of a diagnosis */

void hil_rspt_describe(struct hil_target *t, char *buf, size_t len)
{
    struct hil_rsp_target *c = (struct hil_rsp_target *)t;
    if (!t->powered || c->rsp == NULL) {
        snprintf(buf, len, "guest PC: not read (the target is off); the debug link's last packets:\n%s",
                 c->rsp_history[0] != '\0' ? c->rsp_history : "(none)\n");
        return;
    }
    int old = hil_rsp_set_timeout(c->rsp, RSPT_DESCRIBE_MS);
    struct hil_rsp_stop st;
    uint32_t regs[16];
    int rc = hil_rsp_running(c->rsp) ? hil_rsp_interrupt(c->rsp, &st) : 0;
    if (rc == 0) {
        rc = hil_rsp_read_core_regs(c->rsp, regs);
    }
    size_t u;
    if (rc == 0) {
        u = (size_t)snprintf(buf, len, "guest PC 0x%08x, LR 0x%08x, SP 0x%08x (r0 0x%08x; halted for this)\n",
                             regs[15], regs[14], regs[13], regs[0]);
    } else {
        u = (size_t)snprintf(buf, len, "guest PC: not read within %d ms (%s): the emulator is held or hung\n",
                             RSPT_DESCRIBE_MS, hil_rsp_error(c->rsp));
    }
    hil_rsp_set_timeout(c->rsp, old);
    if (u < len) {
        u += (size_t)snprintf(buf + u, len - u, "last debug-link packets (oldest first):\n");
    }
    if (u < len) {
        hil_rsp_history(c->rsp, buf + u, len - u);
    }
}
