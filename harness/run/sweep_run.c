/**
 * @file sweep_run.c
 * @brief Sweep planning, re-check and summary (see sweep_run.h).
 */
#include "run/sweep_run.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fota/errors.h"
#include "fota/proto.h"
#include "fota/sha256.h"
#include "scenario/journal.h"
#include "scenario/sweep.h"
#include "scenario/sweep_oracle.h"
#include "run/sweep_depth2.h"
#include "run/sweep_glitch.h"
#include "run/sweep_record.h"
#include "run/sweep_share.h"

struct hil_sweep_entry {
    struct hil_scenario *parent;
    struct hil_sweep sw;          /**< the parent's block with --seed / --no-journal applied */
    struct hil_journal journal;
    struct hil_case *cases;
    int ncases;
    struct hil_scenario **case_s; /**< one scenario per case (NULL when not selected) */
    struct hil_sweep_oracle oracle; /**< the exact oracle (sweep_oracle.h) */
    bool recorded;
    struct hil_journal *boots;    /**< depth2: the probes' recovery boots (sweep_depth2.h) */
    int nboots;
    struct hil_glitch glitch;     /**< glitch: the trace (sweep_glitch.h) */
};

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n == 0 ? 1 : n, sz);
    if (p == NULL) {
        fprintf(stderr, "fota-hil: out of memory\n");
        abort();
    }
    return p;
}

static void push_item(struct hil_sweep_plan *plan, struct hil_scenario *s)
{
    struct hil_scenario **n = realloc(plan->items, sizeof(*n) * (size_t)(plan->count + 1));
    if (n == NULL) {
        abort();
    }
    plan->items = n;
    plan->items[plan->count++] = s;
}

static bool glob_any(const struct hil_sweep_opts *so, const char *id, bool prefix)
{
    if (so->ncases == 0) {
        return true;
    }
    for (int i = 0; i < so->ncases; i++) {
        char pat[512];
        snprintf(pat, sizeof(pat), "%s", so->cases[i]);
        char *at = prefix ? strchr(pat, '@') : NULL;
        if (at != NULL) {
            *at = '\0';
        }
        if (fnmatch(pat, id, 0) == 0) {
            return true;
        }
    }
    return false;
}

/* The swept step @p st of slow case @p c: its expected outcome, and the
 * fault it carries (malloc'ed; NULL when the runner's case hook injects);
 * fail / nostick cases turn the step after it, @p next, into a power cut. */
static struct hil_fault *case_fault(const struct hil_case *c, struct hil_step *st, struct hil_step *next)
{
    struct hil_fault *f = NULL;
    switch (c->kind) {
    case HIL_CASE_CUT:
        /* The runner's case hook cuts at the Nth matching op of the window
         * (hil_case_on_flash_op), in the update or after it (`through`),
         * then the run goes on after the window. */
        st->update.expect = HIL_UPD_ANY;
        break;
    case HIL_CASE_CORRUPT:
    case HIL_CASE_DROP:
        f = xcalloc(1, sizeof(*f));
        f->kind = c->kind == HIL_CASE_DROP ? HIL_FAULT_DROP : HIL_FAULT_CORRUPT;
        f->frame = c->n;
        f->frame_type = PROTO_T_DATA;
        f->byte = HIL_SWEEP_CORRUPT_BYTE;
        break;
    case HIL_CASE_TIME_CUT:
        /* A power_cut at_ms into the swept step (cut_at.h); the steps after it recover. */
        f = xcalloc(1, sizeof(*f));
        f->kind = HIL_FAULT_POWER_CUT;
        f->at = HIL_AT_MS;
        f->at_ms = c->at_ms;
        st->update.expect = HIL_UPD_INTERRUPTED;
        break;
    case HIL_CASE_LINK_CUT:
        /* A power_cut at a frame (proxy.h): the steps after the swept one
         * (from power_on, hil_sweep_parse checks) are the recovery. */
        f = xcalloc(1, sizeof(*f));
        f->kind = HIL_FAULT_POWER_CUT;
        f->frame = c->n;
        f->frame_type = c->frame_type;
        st->update.expect = HIL_UPD_INTERRUPTED;
        break;
    default:
        /* fail / nostick: the runner's case hook decides the Nth op; the
         * update may or may not fail; then the power is cycled. */
        st->update.expect = HIL_UPD_ANY;
        next->kind = HIL_STEP_POWER_CUT;
        next->line = st->line;
        next->re_ok = false;
        break;
    }
    return f;
}

/* The scenario that runs case @p c: shares the parent's strings and compiled regexes. */
static struct hil_scenario *case_scenario(struct hil_sweep_entry *e, struct hil_case *c, bool force_slow)
{
    const struct hil_scenario *p = e->parent;
    const struct hil_sweep *sw = &e->sw;
    struct hil_scenario *s = xcalloc(1, sizeof(*s));
    *s = *p;
    s->id = c->id;
    s->sweep = NULL;
    s->sweep_case = c;
    if (force_slow) {
        c->fast = false;
    }
    if (c->fast) {
        s->steps = p->steps + sw->through;
        s->nsteps = p->nsteps - sw->through;
        return s;
    }
    if (c->kind == HIL_CASE_MULTI_CUT || c->kind == HIL_CASE_GLITCH) {
        /* The parent's steps as they are: the runner repeats the swept
         * update after each cut (runner.c do_multi_update), or glitches
         * the boot of the swept power_on (runner.c glitch_window). */
        return s;
    }
    bool cycle = c->kind == HIL_CASE_FAIL || c->kind == HIL_CASE_NOSTICK;
    s->nsteps = p->nsteps + (cycle ? 1 : 0);
    s->steps = xcalloc((size_t)s->nsteps, sizeof(*s->steps));
    c->owned_steps = s->steps;
    memcpy(s->steps, p->steps, sizeof(*s->steps) * (size_t)sw->step);
    memcpy(s->steps + sw->step + (cycle ? 1 : 0), p->steps + sw->step,
           sizeof(*s->steps) * (size_t)(p->nsteps - sw->step));
    struct hil_step *st = &s->steps[sw->step - 1];
    struct hil_fault *f = case_fault(c, st, s->steps + sw->step); /* for the kinds the proxy injects */
    if (f != NULL) {
        f->line = sw->line;
        f->dir = HIL_DIR_TO_TARGET;
    }
    bool upd = st->kind == HIL_STEP_UPDATE; /* a time sweep may sweep another step (sweep.h) */
    *(upd ? &st->update.faults : &st->faults) = f;
    *(upd ? &st->update.nfaults : &st->nfaults) = f != NULL ? 1 : 0;
    c->owned_fault = f;
    return s;
}

/* Insert the oracle's expect step into case @p s (sweep_oracle.h): before
 * the first update step of the recovery (the follow-up update must start
 * from the state the oracle names), else at the end. */
static void add_oracle_step(struct hil_sweep_entry *e, struct hil_scenario *s, struct hil_case *c)
{
    struct hil_step st = { .kind = HIL_STEP_EXPECT, .line = e->sw.line };
    struct hil_oracle_out row;
    if (!hil_sweep_oracle_expect(&e->oracle, &e->journal, c, &st.expect, &row)) {
        return;
    }
    bool cycle = c->kind == HIL_CASE_FAIL || c->kind == HIL_CASE_NOSTICK;
    int from = c->fast ? 0 : (c->kind == HIL_CASE_CORRUPT || c->kind == HIL_CASE_DROP ? e->sw.step :
                              e->sw.through + (cycle ? 1 : 0));
    int at = from;
    while (at < s->nsteps && s->steps[at].kind != HIL_STEP_UPDATE) {
        at++;
    }
    struct hil_step *n = xcalloc((size_t)s->nsteps + 1, sizeof(*n));
    memcpy(n, s->steps, sizeof(*n) * (size_t)at);
    n[at] = st;
    memcpy(n + at + 1, s->steps + at, sizeof(*n) * (size_t)(s->nsteps - at));
    free(c->owned_steps);
    c->owned_steps = n;
    s->steps = n;
    s->nsteps++;
}

static void free_case_scenario(struct hil_scenario *s)
{
    if (s == NULL) {
        return;
    }
    free(s->sweep_case->owned_fault);
    free(s->sweep_case->owned_steps);
    s->sweep_case->owned_fault = NULL;
    s->sweep_case->owned_steps = NULL;
    free(s);
}

/* Mark fast cases whose crash state another fast case has. */
static void find_duplicates(struct hil_sweep_entry *e)
{
    for (int i = 0; i < e->ncases; i++) {
        struct hil_case *c = &e->cases[i];
        if (!c->fast || c->kind != HIL_CASE_CUT || c->torn != HIL_TORN_ALL || c->op_index < 0) {
            continue;
        }
        for (int k = 0; k < e->ncases; k++) {
            const struct hil_case *d = &e->cases[k];
            if (k != i && d->fast && d->kind == HIL_CASE_CUT && d->torn == HIL_TORN_NONE &&
                d->op_index == c->op_index + 1) {
                c->same_as = k;
                break;
            }
        }
    }
}

/* A failure of sweep @p s as a whole (before or beside its cases). */
static void pre_fail(struct hil_sweep_plan *plan, const struct hil_scenario *s, const char *msg)
{
    struct hil_result f = { 0 };
    f.id = strdup(s->id);
    f.file = strdup(s->file);
    f.line = s->sweep->line;
    f.status = HIL_FAIL;
    f.message = strdup(msg);
    hil_result_print(&f, stdout);
    hil_results_add(&plan->pre, &f);
    hil_result_clear(&f);
}

/* The recording of sweep @p e's clean run into @p r: up to the end of the
 * swept step (or `through`), into e->journal. */
static void recording_of(struct hil_sweep_entry *e, const struct hil_run_opts *o, struct hil_sweep_rec *r)
{
    memset(r, 0, sizeof(*r));
    r->s = e->parent;
    r->opts = *o;
    r->opts.journal = &e->journal;
    r->opts.journal_step = e->sw.step;
    r->opts.journal_through = e->sw.through;
    /* Every case runs with -icount; journal.consistent still checks the recording. */
    r->opts.icount_shift = hil_sweep_record_icount(o);
}

/* What the recording @p r of sweep @p e left: the journal's consistency
 * check (journal mode off when it failed). @return r->rc (a failure in @p err). */
static int recorded(struct hil_sweep_entry *e, const struct hil_sweep_rec *r, char *err, size_t errlen)
{
    err[0] = '\0';
    if (r->err[0] != '\0') {
        snprintf(err, errlen, "the clean run of the sweep (up to step %d) failed: %.900s", e->sw.step, r->err);
    } else if (r->rc == 0 && !e->journal.consistent) {
        snprintf(err, errlen, "the journal of step %d does not reproduce the flash at its end "
                 "(an operation escaped it): journal mode off for this sweep", e->sw.step);
        fprintf(stderr, "fota-hil: %s: %s\n", e->parent->id, err);
        err[0] = '\0';
        e->sw.journal = false;
    }
    return r->rc;
}

/* `JOURNAL id: N flash ops in step S, N cases (how they run)`. */
static void print_journal_line(const struct hil_sweep_entry *e)
{
    char steps[32];
    if (e->sw.through > e->sw.step) {
        snprintf(steps, sizeof(steps), "steps %d-%d", e->sw.step, e->sw.through);
    } else {
        snprintf(steps, sizeof(steps), "step %d", e->sw.step);
    }
    enum hil_sweep_family fam = e->sw.family;
    bool slow = !e->sw.journal || fam == HIL_SWEEP_LINK || fam == HIL_SWEEP_FLASH_FAULT || fam == HIL_SWEEP_MULTI_CUT;
    printf("JOURNAL %s: %u flash ops in %s, %d cases (%s)\n", e->parent->id, e->journal.count, steps, e->ncases,
           fam == HIL_SWEEP_TIME ? "each case runs the swept step, cut in device time" :
           fam == HIL_SWEEP_DEPTH2 ? "crash states from the probes' journals, recovery only" :
           slow ? "each case runs the update" : "crash states from the journal, recovery only");
    fflush(stdout);
}

/* depth2: probe the first cuts' recovery boots and expand the cases
 * (sweep_depth2.h); a probe that failed fails the sweep, the others' cases run. */
static int plan_depth2(struct hil_sweep_plan *plan, struct hil_sweep_entry *e, const struct hil_run_opts *o, int jobs)
{
    char err[1024] = "";
    struct hil_sweep *keep = e->parent->sweep;
    e->parent->sweep = &e->sw;
    int rc = hil_sweep_depth2_plan(e->parent, o, jobs, &e->cases, &e->ncases, &e->boots, &e->nboots, err, sizeof(err));
    e->parent->sweep = keep;
    if (rc == 0 && err[0] != '\0') {
        pre_fail(plan, e->parent, err);
    }
    return rc;
}

/* glitch: the trace run and the cases (run/sweep_glitch.h). */
static int plan_glitch(struct hil_sweep_entry *e, const struct hil_run_opts *o, char *err, size_t errlen)
{
    struct hil_sweep *keep = e->parent->sweep;
    e->parent->sweep = &e->sw;
    int rc = hil_sweep_glitch_plan(e->parent, o, &e->glitch, &e->cases, &e->ncases, err, errlen);
    e->parent->sweep = keep;
    return rc;
}

/* The recordings of every sweep of @p plan that records a journal (not
 * glitch, not time), up to so->jobs at a time. @return the recordings
 * (index = sweep index; .s NULL for a sweep that records none). */
static struct hil_sweep_rec *record_all(struct hil_sweep_plan *plan, const struct hil_run_opts *o,
                                        const struct hil_sweep_opts *so)
{
    struct hil_sweep_rec *recs = xcalloc((size_t)plan->nsweeps, sizeof(*recs));
    struct hil_sweep_rec *todo = xcalloc((size_t)plan->nsweeps, sizeof(*todo));
    int *at = xcalloc((size_t)plan->nsweeps, sizeof(*at));
    int n = 0;
    for (int i = 0; i < plan->nsweeps; i++) {
        struct hil_sweep_entry *e = &plan->sweeps[i];
        if (e->sw.family != HIL_SWEEP_GLITCH && e->sw.family != HIL_SWEEP_TIME) {
            recording_of(e, o, &todo[n]);
            at[n++] = i;
        }
    }
    (void)hil_sweep_record_all(todo, n, so->jobs);
    for (int k = 0; k < n; k++) {
        recs[at[k]] = todo[k];
    }
    free(todo);
    free(at);
    return recs;
}

/* The sweeps of @p sel (selected by --case, for qemu) into plan->sweeps,
 * with --seed / --no-journal applied. */
static void plan_entries(struct hil_scenario **sel, int n, const struct hil_sweep_opts *so,
                         struct hil_sweep_plan *plan)
{
    for (int i = 0; i < n; i++) {
        struct hil_scenario *s = sel[i];
        if (s->sweep == NULL || !glob_any(so, s->id, true) || !hil_scenario_on_platform(s, "qemu")) {
            continue;
        }
        struct hil_sweep_entry *e = &plan->sweeps[plan->nsweeps++];
        e->parent = s;
        e->sw = *s->sweep;
        if (so->seed_set) {
            e->sw.seed = so->seed;
        }
        if (so->no_journal) {
            e->sw.journal = false;
        }
    }
}

/* Append @p s to the run list @p all (@p nall items). */
static void all_push(struct hil_scenario ***all, int *nall, struct hil_scenario *s)
{
    struct hil_scenario **n = realloc(*all, sizeof(**all) * (size_t)(*nall + 1));
    if (n == NULL) {
        abort();
    }
    *all = n;
    (*all)[(*nall)++] = s;
}

/* Sweep @p e, recorded (@p r; NULL for glitch and time), into its cases,
 * appended to @p all. A failure is a plan->pre result of the sweep. */
static void plan_sweep(struct hil_sweep_plan *plan, struct hil_sweep_entry *e, const struct hil_sweep_rec *r,
                       const struct hil_run_opts *o, const struct hil_sweep_opts *so,
                       struct hil_scenario ***all, int *nall)
{
    struct hil_scenario *s = e->parent;
    char err[1024] = "";
    bool glitch = e->sw.family == HIL_SWEEP_GLITCH;
    int rc = glitch ? plan_glitch(e, o, err, sizeof(err)) : r->s != NULL ? recorded(e, r, err, sizeof(err)) : 0;
    if (rc == 0 && err[0] == '\0' && !glitch) {
        /* hil_sweep_expand reads the block from the scenario: point it at the adjusted copy. */
        struct hil_sweep *keep = s->sweep;
        s->sweep = &e->sw;
        rc = hil_sweep_expand(s, &e->journal, &e->cases, &e->ncases, err, sizeof(err));
        s->sweep = keep;
    }
    if (rc == 0 && err[0] == '\0' && e->sw.family == HIL_SWEEP_DEPTH2) {
        rc = plan_depth2(plan, e, o, so->jobs);
    }
    if (err[0] != '\0' || rc != 0) {
        pre_fail(plan, s, err[0] != '\0' ? err : fota_strerror(rc));
        return;
    }
    /* A clean run that breaks the contract fails the sweep; its cases
     * still run, judged without the oracle (their own failures name a
     * case to re-run). */
    if (!glitch && hil_sweep_oracle_setup(s, &e->sw, &e->journal, &e->oracle, err, sizeof(err)) != 0) {
        pre_fail(plan, s, err);
        e->oracle.on = false;
    }
    e->recorded = true;
    if (!glitch) {
        print_journal_line(e);
    }
    find_duplicates(e);
    e->case_s = xcalloc((size_t)e->ncases, sizeof(*e->case_s));
    for (int k = 0; k < e->ncases; k++) {
        struct hil_case *c = &e->cases[k];
        if (glob_any(so, c->id, false)) {
            e->case_s[k] = case_scenario(e, c, false);
            add_oracle_step(e, e->case_s[k], c);
            all_push(all, nall, e->case_s[k]);
        }
    }
    if (!so->no_share) {
        hil_sweep_share_plan(e->cases, e->ncases, e->case_s, &e->journal);
    }
    /* Cases read parent->sweep at run time: give them the adjusted copy. */
    *s->sweep = e->sw;
}

int hil_sweep_plan_build(struct hil_scenario **sel, int n, const struct hil_run_opts *o,
                         const struct hil_sweep_opts *so, struct hil_sweep_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    plan->sweeps = xcalloc((size_t)n, sizeof(*plan->sweeps));
    plan_entries(sel, n, so, plan);
    struct hil_sweep_rec *recs = record_all(plan, o, so);
    struct hil_scenario **all = NULL;
    int nall = 0;
    for (int i = 0, k = 0; i < n; i++) {
        struct hil_scenario *s = sel[i];
        if (s->sweep == NULL) {
            if (so->ncases == 0 || glob_any(so, s->id, false)) {
                all_push(&all, &nall, s);
            }
        } else if (k < plan->nsweeps && plan->sweeps[k].parent == s) {
            plan_sweep(plan, &plan->sweeps[k], &recs[k], o, so, &all, &nall);
            k++;
        }
    }
    free(recs);
    for (int i = 0; i < nall; i++) {
        if (so->shard_n == 0 || i % so->shard_n == so->shard_k - 1) {
            push_item(plan, all[i]);
        }
    }
    free(all);
    return 0;
}

static int result_of(const struct hil_results *rs, const char *id)
{
    for (int i = 0; i < rs->count; i++) {
        if (rs->items[i].id != NULL && strcmp(rs->items[i].id, id) == 0) {
            return i;
        }
    }
    return -1;
}

int hil_sweep_plan_recheck(struct hil_sweep_plan *plan, const struct hil_results *rs,
                           struct hil_scenario ***again, int **index_of)
{
    int cnt = 0;
    *again = NULL;
    *index_of = NULL;
    for (int i = 0; i < plan->nsweeps; i++) {
        struct hil_sweep_entry *e = &plan->sweeps[i];
        bool diverged = false;
        for (int k = 0; k < e->ncases && !diverged; k++) {
            int ri = e->case_s != NULL && e->case_s[k] != NULL ? result_of(rs, e->cases[k].id) : -1;
            if (ri >= 0 && e->cases[k].verify && hil_props_has(rs->items[ri].props, "diverged")) {
                diverged = true;
            }
        }
        if (!diverged) {
            continue;
        }
        fprintf(stdout, "JOURNAL %s: a verify case diverged from the journal: re-running its fast cases the slow way\n",
                e->parent->id);
        for (int k = 0; k < e->ncases; k++) {
            int ri = e->case_s[k] != NULL ? result_of(rs, e->cases[k].id) : -1;
            if (ri < 0 || !e->cases[k].fast) {
                continue;
            }
            free_case_scenario(e->case_s[k]);
            e->case_s[k] = case_scenario(e, &e->cases[k], true);
            add_oracle_step(e, e->case_s[k], &e->cases[k]);
            *again = realloc(*again, sizeof(**again) * (size_t)(cnt + 1));
            *index_of = realloc(*index_of, sizeof(**index_of) * (size_t)(cnt + 1));
            (*again)[cnt] = e->case_s[k];
            (*index_of)[cnt] = ri;
            cnt++;
        }
    }
    return cnt;
}

void hil_sweep_plan_summary(const struct hil_sweep_plan *plan, const struct hil_results *rs, FILE *out)
{
    for (int i = 0; i < plan->nsweeps; i++) {
        const struct hil_sweep_entry *e = &plan->sweeps[i];
        if (!e->recorded) {
            continue;
        }
        int ran = 0, failed = 0, bricked = 0, fast = 0, bypassed = 0, shared = 0;
        for (int k = 0; k < e->ncases; k++) {
            int ri = e->case_s[k] != NULL ? result_of(rs, e->cases[k].id) : -1;
            if (ri < 0) {
                continue;
            }
            ran++;
            failed += rs->items[ri].status == HIL_FAIL;
            bricked += hil_props_has(rs->items[ri].props, "bricked=1");
            fast += hil_props_has(rs->items[ri].props, "mode=journal");
            bypassed += hil_props_has(rs->items[ri].props, "glitch_bypass=1");
            shared += hil_props_has(rs->items[ri].props, "shared_run");
        }
        if (ran == 0) {
            continue;
        }
        if (e->sw.family == HIL_SWEEP_GLITCH) {
            fprintf(out, "SWEEP %s: %d cases (%u glitch points traced), %d failed, %d bypassed (bypass rate %.2f %%), "
                    "seed %llu\n", e->parent->id, ran, e->glitch.npoints, failed, bypassed, 100.0 * bypassed / ran,
                    (unsigned long long)e->sw.seed);
            continue;
        }
        char sh[128] = "";
        if (shared > 0) {
            snprintf(sh, sizeof(sh), "; %d took the run of a probe whose crash state differs only in the slot it "
                     "never touched", shared);
        }
        fprintf(out, "SWEEP %s: %d cases (%d from the journal%s), %d failed, %d bricked (brick rate %.2f %%), seed "
                "%llu\n", e->parent->id, ran, fast, sh, failed, bricked, 100.0 * bricked / ran,
                (unsigned long long)e->sw.seed);
    }
}

void hil_sweep_plan_free(struct hil_sweep_plan *plan)
{
    for (int i = 0; i < plan->nsweeps; i++) {
        struct hil_sweep_entry *e = &plan->sweeps[i];
        for (int k = 0; e->case_s != NULL && k < e->ncases; k++) {
            free_case_scenario(e->case_s[k]);
        }
        free(e->case_s);
        free(e->cases);
        hil_sweep_depth2_free(e->boots, e->nboots);
        hil_glitch_free(&e->glitch);
        hil_journal_free(&e->journal);
    }
    free(plan->sweeps);
    free(plan->items);
    hil_results_free(&plan->pre);
    memset(plan, 0, sizeof(*plan));
}

bool hil_sweep_is_case(const struct hil_scenario *s)
{
    return s != NULL && s->sweep_case != NULL;
}

bool hil_sweep_shortcut(const struct hil_scenario *s, struct hil_scenario *const *items,
                        const struct hil_result *results, int n, struct hil_result *out)
{
    const struct hil_case *c = s->sweep_case;
    if (c == NULL || !c->fast || c->same_as < 0) {
        return false;
    }
    /* The original: the torn-none cut at the next operation (find_duplicates). */
    for (int i = 0; i < n; i++) {
        const struct hil_case *d = items[i]->sweep_case;
        if (d == NULL || d->parent != c->parent || d->op_index != c->op_index + 1 || d->torn != HIL_TORN_NONE ||
            d->kind != HIL_CASE_CUT || !d->fast || results[i].id == NULL) {
            continue;
        }
        const struct hil_result *r = &results[i];
        memset(out, 0, sizeof(*out));
        out->id = strdup(s->id);
        out->file = strdup(s->file);
        out->line = s->line;
        out->status = r->status;
        out->seconds = 0.0;
        out->console = r->console != NULL ? strdup(r->console) : NULL;
        out->props = r->props != NULL ? strdup(r->props) : NULL;
        if (r->status == HIL_FAIL) {
            char *cmd = hil_case_rerun_command(s->id, s->file);
            size_t ml = strlen(r->message != NULL ? r->message : "") + strlen(d->id) + (cmd ? strlen(cmd) : 0) + 96;
            out->message = malloc(ml);
            if (out->message != NULL) {
                snprintf(out->message, ml, "same crash state as %s, which failed: %s\nre-run: %s", d->id,
                         r->message != NULL ? r->message : "?", cmd != NULL ? cmd : "?");
            }
            free(cmd);
        }
        return true;
    }
    return false;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hil_progress(int done, int total, int failed)
{
    static double t0;
    static int tty = -1;
    if (tty < 0) {
        tty = isatty(2) ? 1 : 0;
        t0 = mono_s();
    }
    if (!tty || total < 2) {
        return;
    }
    double el = mono_s() - t0;
    double rate = el > 0 ? done / el : 0;
    int eta = rate > 0 ? (int)((total - done) / rate) : 0;
    fprintf(stderr, "\r\033[K[%d/%d] %d failed, %.1f/s, ETA %d:%02d", done, total, failed, rate, eta / 60, eta % 60);
    if (done == total) {
        fputs("\r\033[K", stderr);
    }
    fflush(stderr);
}

void hil_sweep_after_run(struct hil_sweep_plan *plan, struct hil_results *rs, hil_run_fn run, void *ctx)
{
    struct hil_scenario **again = NULL;
    int *index_of = NULL;
    int n = hil_sweep_plan_recheck(plan, rs, &again, &index_of);
    if (n > 0) {
        struct hil_results second = { 0 };
        run(ctx, again, n, &second);
        for (int i = 0; i < n && i < second.count; i++) {
            hil_result_clear(&rs->items[index_of[i]]);
            rs->items[index_of[i]] = second.items[i];
            memset(&second.items[i], 0, sizeof(second.items[i]));
        }
        hil_results_free(&second);
    }
    free(again);
    free(index_of);
    hil_sweep_plan_summary(plan, rs, stdout);
}

/* First line of a command's output into @p buf (empty on failure). */
static void first_line(const char *cmd, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        return;
    }
    if (fgets(buf, (int)len, p) == NULL) {
        buf[0] = '\0';
    }
    pclose(p);
    buf[strcspn(buf, "\r\n")] = '\0';
}

static void file_sha256(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    snprintf(hex, 65, "missing");
    if (f == NULL) {
        return;
    }
    struct sha256_ctx c;
    sha256_init(&c);
    uint8_t buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
        sha256_update(&c, buf, got);
    }
    fclose(f);
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_final(&c, d);
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++) {
        snprintf(&hex[2 * i], 3, "%02x", d[i]);
    }
}

static void props_add(char **props, size_t *len, const char *key, const char *val)
{
    char probe[700];
    snprintf(probe, sizeof(probe), "%s=", key);
    if (*props != NULL && strstr(*props, probe) != NULL) {
        return; /* each file once */
    }
    size_t add = strlen(key) + strlen(val) + 3;
    char *n = realloc(*props, *len + add);
    if (n == NULL) {
        abort();
    }
    snprintf(n + *len, add, "%s=%s\n", key, val);
    *props = n;
    *len += add - 1;
}

void hil_sweep_cli_setup(const char *argv0, const struct hil_run_opts *o, const struct hil_sweep_opts *so,
                         struct hil_scenario **sel, int n)
{
    char extra[1024] = "";
    size_t u = 0;
    if (strcmp(o->bootloader_elf, "build/fw/bootloader.elf") != 0) {
        u += (size_t)snprintf(extra + u, sizeof(extra) - u, "--bootloader-elf %s ", o->bootloader_elf);
    }
    if (o->machine == HIL_QEMU_F407 && u < sizeof(extra)) {
        u += (size_t)snprintf(extra + u, sizeof(extra) - u, "--target f407 ");
    }
    if (o->icount_shift != 4 && u < sizeof(extra)) {
        u += (size_t)snprintf(extra + u, sizeof(extra) - u, "--icount %d ", o->icount_shift);
    }
    if (o->link_override && u < sizeof(extra)) {
        u += (size_t)snprintf(extra + u, sizeof(extra) - u, "--link %s ", o->link == HIL_LINK_SPI ? "spi" : "uart");
    }
    if (o->watchdog_scale > 0.0 && o->watchdog_scale != 1.0 && u < sizeof(extra)) {
        u += (size_t)snprintf(extra + u, sizeof(extra) - u, "--watchdog-scale %g ", o->watchdog_scale);
    }
    if (so->seed_set && u < sizeof(extra)) {
        u += (size_t)snprintf(extra + u, sizeof(extra) - u, "--seed %llu ", (unsigned long long)so->seed);
    }
    if (so->no_journal && u < sizeof(extra)) {
        u += (size_t)snprintf(extra + u, sizeof(extra) - u, "--no-journal ");
    }
    if (u > 0 && u < sizeof(extra)) {
        extra[u - 1] = '\0';
    }
    hil_sweep_set_command(argv0, extra);

    char *props = NULL;
    size_t len = 0;
    char line[512];
    first_line("git describe --always --dirty --tags 2>/dev/null", line, sizeof(line));
    props_add(&props, &len, "git_describe", line[0] ? line : "unknown");
    first_line("qemu-system-arm --version 2>/dev/null", line, sizeof(line));
    if (o->qemu != NULL) {
        /* --qemu single-quoted for sh, each ' as '\'' (a path with a quote stays one word). */
        char cmd[1200] = "'";
        size_t k = 1;
        for (const char *p = o->qemu; *p != '\0' && k + 24 < sizeof(cmd); p++) {
            k += (size_t)snprintf(cmd + k, sizeof(cmd) - k, *p == '\'' ? "'\\''" : "%c", *p);
        }
        snprintf(cmd + k, sizeof(cmd) - k, "' --version 2>/dev/null");
        first_line(cmd, line, sizeof(line));
    }
    props_add(&props, &len, "qemu_version", line[0] ? line : "unknown");
    if (so->seed_set) {
        snprintf(line, sizeof(line), "%llu", (unsigned long long)so->seed);
        props_add(&props, &len, "seed", line);
    }
    char hex[65];
    char key[600];
    file_sha256(o->bootloader_elf, hex);
    snprintf(key, sizeof(key), "sha256:%s", o->bootloader_elf);
    props_add(&props, &len, key, hex);
    for (int i = 0; i < n; i++) {
        const struct hil_scenario *s = sel[i];
        const char *files[4] = { s->flash.bootloader, s->flash.slot_a, s->flash.slot_b, s->flash.file };
        for (int f = 0; f < 4; f++) {
            if (files[f] != NULL) {
                snprintf(key, sizeof(key), "sha256:%s", files[f]);
                file_sha256(files[f], hex);
                props_add(&props, &len, key, hex);
            }
        }
        for (int k = 0; k < s->nsteps; k++) {
            const char *img = s->steps[k].kind == HIL_STEP_UPDATE ? s->steps[k].update.image : NULL;
            if (img != NULL && strstr(img, "{target}") == NULL) {
                snprintf(key, sizeof(key), "sha256:%s", img);
                file_sha256(img, hex);
                props_add(&props, &len, key, hex);
            }
        }
    }
    hil_results_set_suite_props(props);
    free(props);
}
