/**
 * @file rsp_glitch.c
 * @brief The glitch engine's breakpoints and stops on the RSP core
 * (glitch.h, rsp_target.h hil_rspt_glitch_insert / hil_rspt_glitch_stop).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"
#include "target/glitch.h"
#include "target/rsp_target.h"

#define GLITCH_STEP_TRIES 8 /* a single step that did not advance is retried (rsp_target.c) */

static bool glitch_is_end(const struct hil_glitch *g, uint32_t pc)
{
    return pc == g->end[0] || (g->end[1] != 0 && pc == g->end[1]);
}

static bool glitch_is_core_bp(const struct hil_rsp_target *c, uint32_t pc)
{
    for (int i = 0; i < c->nbp; i++) {
        if (c->bp[i].addr != 0 && c->bp[i].addr == pc) {
            return true;
        }
    }
    return false;
}

static int glitch_bp(struct hil_rsp_target *c, bool insert, uint32_t addr)
{
    return hil_rsp_breakpoint(c->rsp, insert, addr, HIL_RSP_BKPT_THUMB);
}

int hil_rspt_glitch_insert(struct hil_rsp_target *c)
{
    struct hil_glitch *g = c->glitch;
    int rc = 0;
    if (g == NULL) {
        return 0;
    }
    g->ret_bp = 0; /* a new session: no temporary breakpoint */
    g->bp_set = false;
    if (g->what == HIL_GLITCH_INJECT && g->bad_entry != 0) {
        rc = glitch_bp(c, true, g->bad_entry);
    }
    if (rc != 0 || !g->armed) {
        return rc;
    }
    if (g->what == HIL_GLITCH_TRACE && !g->trace_done) {
        g->tracing = false;
        return glitch_bp(c, true, g->start);
    }
    if (g->what == HIL_GLITCH_INJECT && !g->fired) {
        g->hits = 0;
        rc = glitch_bp(c, true, g->at.pc);
        g->bp_set = rc == 0;
    }
    return rc;
}

/* Make room for one more element in *@p arr (@p n used of *@p cap, each
 * @p size bytes; the first allocation holds @p first). @return 0; FOTA_ENOMEM. */
static int glitch_room(void **arr, uint32_t n, uint32_t *cap, size_t size, uint32_t first)
{
    if (n < *cap) {
        return 0;
    }
    uint32_t ncap = *cap != 0 ? 2u * *cap : first;
    void *p = realloc(*arr, size * ncap);
    if (p == NULL) {
        return FOTA_ENOMEM;
    }
    *arr = p;
    *cap = ncap;
    return 0;
}

/* The distinct-pc entry of @p pc, read from the target the first time. @return NULL on error. */
static struct hil_glitch_pc *glitch_pc(struct hil_rsp_target *c, uint32_t pc, int *rc)
{
    struct hil_glitch *g = c->glitch;
    for (uint32_t i = 0; i < g->npcs; i++) {
        if (g->pcs[i].pc == pc) {
            return &g->pcs[i];
        }
    }
    uint16_t hw[2];
    *rc = hil_rsp_read_mem(c->rsp, pc, hw, sizeof(hw));
    if (*rc != 0) {
        return NULL;
    }
    *rc = glitch_room((void **)&g->pcs, g->npcs, &g->pcs_cap, sizeof(*g->pcs), 256u);
    if (*rc != 0) {
        return NULL;
    }
    struct hil_glitch_pc *e = &g->pcs[g->npcs++];
    uint32_t target;
    e->pc = pc;
    e->count = 0;
    e->len = (uint8_t)hil_glitch_insn_len(hw[0]);
    e->cond_branch = hil_glitch_cond_branch(pc, hw[0], hw[1], &target);
    return e;
}

/* Record one executed instruction of the set. @return 0; FOTA_ENOMEM; an rsp error. */
static int glitch_record(struct hil_rsp_target *c, uint32_t pc)
{
    struct hil_glitch *g = c->glitch;
    int rc = 0;
    struct hil_glitch_pc *e = glitch_pc(c, pc, &rc);
    if (e == NULL) {
        return rc;
    }
    rc = glitch_room((void **)&g->points, g->npoints, &g->cap, sizeof(*g->points), 1024u);
    if (rc != 0) {
        return rc;
    }
    e->count++;
    g->points[g->npoints++] = (struct hil_glitch_point){ pc, e->count, e->len, e->cond_branch };
    return 0;
}

/* One single step from @p regs (updated). @return 0; an rsp error. */
static int glitch_step(struct hil_rsp_target *c, uint32_t regs[16])
{
    uint32_t from = regs[15];
    int rc = 0;
    for (int i = 0; rc == 0 && regs[15] == from && i < GLITCH_STEP_TRIES; i++) {
        struct hil_rsp_stop st;
        rc = hil_rsp_step(c->rsp, &st);
        if (rc == 0) {
            rc = hil_rsp_read_core_regs(c->rsp, regs);
        }
    }
    c->glitch->steps++;
    return rc;
}

/* The trace ends (an end function, or @p why): the core takes the stop at
 * @p regs when it is one of its breakpoints, else the target resumes. */
static int glitch_trace_end(struct hil_rsp_target *c, const uint32_t regs[16], const char *why, bool *handled)
{
    struct hil_glitch *g = c->glitch;
    g->tracing = false;
    g->trace_done = true;
    if (why != NULL) {
        snprintf(g->trace_err, sizeof(g->trace_err), "%s at pc 0x%08x (lr 0x%08x)", why, regs[15], regs[14]);
    }
    hil_rspt_log(c, "glitch trace: %u points, %u distinct, %u steps, %u calls stepped over%s%s", g->npoints, g->npcs,
                 g->steps, g->calls_over, why != NULL ? ": " : "", why != NULL ? g->trace_err : "");
    *handled = !glitch_is_core_bp(c, regs[15]);
    return *handled ? hil_rspt_resume(c) : 0;
}

/* Single-step through the set from @p regs until a call leaves it (step
 * over: breakpoint at its return, continue) or an end is reached. */
static int glitch_trace_run(struct hil_rsp_target *c, uint32_t regs[16], bool *handled)
{
    struct hil_glitch *g = c->glitch;
    for (;;) {
        uint32_t pc = regs[15];
        if (glitch_is_end(g, pc)) {
            return glitch_trace_end(c, regs, NULL, handled);
        }
        if (hil_glitch_fn_of(g, pc) == NULL) {
            uint32_t ret = regs[14] & ~1u;
            if (hil_glitch_fn_of(g, ret) == NULL) {
                return glitch_trace_end(c, regs, "left the glitch functions", handled);
            }
            int rc = glitch_bp(c, true, ret);
            if (rc != 0) {
                return rc;
            }
            g->ret_bp = ret;
            g->calls_over++;
            hil_rspt_log(c, "glitch trace: step over 0x%08x, back at 0x%08x", pc, ret);
            *handled = !glitch_is_core_bp(c, pc);
            return *handled ? hil_rspt_resume(c) : 0;
        }
        if (g->steps >= HIL_GLITCH_MAX_STEPS) {
            return glitch_trace_end(c, regs, "too many steps", handled);
        }
        int rc = glitch_record(c, pc);
        if (rc == 0) {
            rc = glitch_step(c, regs);
        }
        if (rc != 0) {
            return rc;
        }
    }
}

static int glitch_trace_stop(struct hil_rsp_target *c, uint32_t regs[16], bool *handled)
{
    struct hil_glitch *g = c->glitch;
    uint32_t pc = regs[15];
    int rc;
    if (g->ret_bp != 0 && pc == g->ret_bp) {
        rc = glitch_bp(c, false, g->ret_bp);
        g->ret_bp = 0;
        return rc != 0 ? rc : glitch_trace_run(c, regs, handled);
    }
    if (g->tracing && glitch_is_end(g, pc)) {
        /* Reached inside a call stepped over (e.g. a boot_jump clone left out of the set). */
        rc = g->ret_bp != 0 ? glitch_bp(c, false, g->ret_bp) : 0;
        g->ret_bp = 0;
        return rc != 0 ? rc : glitch_trace_end(c, regs, NULL, handled);
    }
    if (!g->tracing && !g->trace_done && pc == g->start) {
        rc = glitch_bp(c, false, g->start);
        g->tracing = rc == 0 && g->armed;
        if (!g->tracing) {
            *handled = true;
            return rc != 0 ? rc : hil_rspt_resume(c);
        }
        return glitch_trace_run(c, regs, handled);
    }
    return 0;
}

/* Skip the instruction at regs[15], or invert its branch. @return 0; an rsp error. */
static int glitch_apply(struct hil_rsp_target *c, uint32_t regs[16])
{
    struct hil_glitch *g = c->glitch;
    uint32_t pc = regs[15];
    uint16_t hw[2];
    uint32_t xpsr, target, next;
    int rc = hil_rsp_read_mem(c->rsp, pc, hw, sizeof(hw));
    rc = rc != 0 ? rc : hil_rsp_read_reg(c->rsp, HIL_RSP_XPSR, &xpsr);
    if (rc != 0) {
        return rc;
    }
    next = pc + hil_glitch_insn_len(hw[0]);
    if (g->mode == HIL_GLITCH_BRANCH && hil_glitch_cond_branch(pc, hw[0], hw[1], &target)) {
        rc = glitch_step(c, regs); /* where it went, then the other way */
        next = regs[15] == next ? target : next;
    } else {
        rc = hil_rsp_write_reg(c->rsp, HIL_RSP_XPSR, hil_glitch_it_advance(xpsr));
    }
    rc = rc != 0 ? rc : hil_rsp_write_reg(c->rsp, HIL_RSP_PC, next);
    g->fired = true;
    g->fired_new_pc = next;
    hil_rspt_log(c, "glitch: %s at 0x%08x (execution #%u): pc -> 0x%08x",
                 g->mode == HIL_GLITCH_BRANCH ? "branch inverted" : "instruction skipped", pc, g->hits, next);
    return rc != 0 ? rc : hil_rspt_resume(c);
}

static int glitch_inject_stop(struct hil_rsp_target *c, uint32_t regs[16], bool *handled)
{
    struct hil_glitch *g = c->glitch;
    uint32_t pc = regs[15];
    if (g->bad_entry != 0 && pc == g->bad_entry) {
        g->bypassed = true;
        hil_rspt_log(c, "glitch: BYPASS: the bad image's reset handler 0x%08x runs", pc);
        *handled = true;
        return hil_rspt_step_over(c, pc);
    }
    if (!g->bp_set || pc != g->at.pc) {
        return 0;
    }
    *handled = true;
    if (!g->armed) {
        g->bp_set = false;
        int rc = glitch_bp(c, false, pc);
        return rc != 0 ? rc : hil_rspt_resume(c);
    }
    if (++g->hits < g->at.n) {
        return hil_rspt_step_over(c, pc);
    }
    g->bp_set = false;
    int rc = glitch_bp(c, false, pc);
    return rc != 0 ? rc : glitch_apply(c, regs);
}

int hil_rspt_glitch_stop(struct hil_rsp_target *c, uint32_t regs[16], bool *handled)
{
    *handled = false;
    if (c->glitch == NULL) {
        return 0;
    }
    if (c->glitch->what == HIL_GLITCH_TRACE) {
        return glitch_trace_stop(c, regs, handled);
    }
    return c->glitch->what == HIL_GLITCH_INJECT ? glitch_inject_stop(c, regs, handled) : 0;
}
