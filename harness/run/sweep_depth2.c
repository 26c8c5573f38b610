/**
 * @file sweep_depth2.c
 * @brief depth2 sweeps: the recovery boot of each first cut, recorded
 * (see sweep_depth2.h).
 */
#include "run/sweep_depth2.h"
#include "run/sweep_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

/* Keep the first cuts whose crash states differ (in place). @return how many are left; -1 on error. */
static int unique_probes(struct hil_case *c, int n)
{
    struct hil_flash *f = calloc(1, sizeof(*f));
    char (*sha)[65] = calloc((size_t)n + 1, sizeof(*sha));
    int kept = f == NULL || sha == NULL ? -1 : 0;
    for (int i = 0; kept >= 0 && i < n; i++) {
        if (hil_case_compose_flash(&c[i], f) != 0) {
            kept = -1;
            break;
        }
        hil_flash_sha256_hex(f, sha[kept]);
        bool dup = false;
        for (int k = 0; k < kept; k++) {
            dup = dup || strcmp(sha[k], sha[kept]) == 0;
        }
        if (!dup) {
            c[kept++] = c[i];
        }
    }
    free(f);
    free(sha);
    return kept;
}

/* The probe of first cut @p c: a scenario @p ps (id in @p id) that runs
 * the recovery boot from its crash state, recorded into @p boot by @p r. */
struct probe {
    struct hil_scenario ps;
    char id[sizeof(((struct hil_case *)0)->id) + 16];
};

static void probe_setup(const struct hil_scenario *s, const struct hil_run_opts *o, struct hil_case *c,
                        struct probe *p, struct hil_journal *boot, struct hil_sweep_rec *r)
{
    const struct hil_sweep *sw = s->sweep;
    snprintf(p->id, sizeof(p->id), "%s@probe:%s", s->id, strchr(c->id, '@') != NULL ? strchr(c->id, '@') + 1 : c->id);
    p->ps = *s;
    p->ps.id = p->id;
    p->ps.sweep = NULL;
    p->ps.sweep_case = c;
    p->ps.steps = s->steps + sw->through;
    p->ps.nsteps = s->nsteps - sw->through;
    memset(r, 0, sizeof(*r));
    r->s = &p->ps;
    r->opts = *o;
    r->opts.journal = boot;
    r->opts.journal_step = 1;      /* the power_on after the window */
    r->opts.journal_through = 2;   /* and the step after it: the boot */
    r->opts.icount_shift = hil_sweep_record_icount(o); /* as the clean run: the operations, not the timing */
}

/* What the probe @p r of first cut @p c left in @p boot: *why set (and
 * the journal dropped) when it gives no cases. */
static void probe_verdict(const struct hil_sweep_rec *r, const struct hil_case *c, struct hil_journal *boot,
                          char *why, size_t whylen)
{
    if (r->rc != 0) {
        return;
    }
    if (r->err[0] != '\0') {
        snprintf(why, whylen, "depth2: the recovery boot after the first cut %s failed (no cases from it): %.700s", c->id,
                 r->err);
    } else if (!boot->consistent) {
        snprintf(why, whylen, "depth2: the journal of the recovery boot after %s does not reproduce the flash at "
                 "its end (an operation escaped it): no cases from it", c->id);
    }
    if (why[0] != '\0') {
        hil_journal_free(boot);
        memset(boot, 0, sizeof(*boot));
    }
}

/* Run the probes of the @p n first cuts @p c, @p jobs at a time, into @p b.
 * @return 0; FOTA_ENOMEM (the first probe's error). */
static int probe_all(const struct hil_scenario *s, const struct hil_run_opts *o, int jobs, struct hil_case *c,
                     int n, struct hil_journal *b, char *err, size_t errlen)
{
    struct probe *p = calloc((size_t)n + 1, sizeof(*p));
    struct hil_sweep_rec *r = calloc((size_t)n + 1, sizeof(*r));
    if (p == NULL || r == NULL) {
        free(p);
        free(r);
        return FOTA_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        probe_setup(s, o, &c[i], &p[i], &b[i], &r[i]);
    }
    (void)hil_sweep_record_all(r, n, jobs);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char why[1024] = "";
        probe_verdict(&r[i], &c[i], &b[i], why, sizeof(why));
        rc = rc == 0 ? r[i].rc : rc;
        if (why[0] != '\0' && err[0] == '\0') {
            snprintf(err, errlen, "%s", why);
        }
    }
    free(p);
    free(r);
    return rc;
}

int hil_sweep_depth2_plan(const struct hil_scenario *s, const struct hil_run_opts *o, int jobs, struct hil_case **cases,
                          int *ncases, struct hil_journal **boots, int *nboots, char *err, size_t errlen)
{
    int n = unique_probes(*cases, *ncases);
    if (n < 0) {
        return FOTA_ERANGE;
    }
    struct hil_journal *b = calloc((size_t)n + 1, sizeof(*b));
    if (b == NULL) {
        return FOTA_ENOMEM;
    }
    int rc = probe_all(s, o, jobs, *cases, n, b, err, errlen);
    uint32_t ops = 0;
    for (int i = 0; i < n; i++) {
        ops += b[i].count;
    }
    struct hil_case *out = NULL;
    int count = 0;
    rc = rc == 0 ? hil_sweep_depth2_expand(*cases, b, n, &out, &count) : rc;
    if (rc != 0) {
        hil_sweep_depth2_free(b, n);
        return rc;
    }
    printf("DEPTH2 %s: %d first cuts, %d distinct crash states probed, %u flash ops in their recovery boots, "
           "%d cases\n", s->id, *ncases, n, ops, count);
    fflush(stdout);
    free(*cases);
    *cases = out;
    *ncases = count;
    *boots = b;
    *nboots = n;
    return 0;
}

void hil_sweep_depth2_free(struct hil_journal *boots, int nboots)
{
    for (int i = 0; boots != NULL && i < nboots; i++) {
        hil_journal_free(&boots[i]);
    }
    free(boots);
}
