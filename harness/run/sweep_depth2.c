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

/* Run the recovery boot of first cut @p c, recording it in @p boot. @return 0 (ran; *why set when it
 * gives no cases); FOTA_ENOMEM. */
static int probe_one(const struct hil_scenario *s, const struct hil_run_opts *o, struct hil_case *c,
                     struct hil_journal *boot, char *why, size_t whylen)
{
    const struct hil_sweep *sw = s->sweep;
    char id[sizeof(c->id) + 16];
    snprintf(id, sizeof(id), "%s@probe:%s", s->id, strchr(c->id, '@') != NULL ? strchr(c->id, '@') + 1 : c->id);
    struct hil_scenario ps = *s;
    ps.id = id;
    ps.sweep = NULL;
    ps.sweep_case = c;
    ps.steps = s->steps + sw->through;
    ps.nsteps = s->nsteps - sw->through;
    struct hil_run_opts ro = *o;
    ro.journal = boot;
    ro.journal_step = 1;      /* the power_on after the window */
    ro.journal_through = 2;   /* and the step after it: the boot */
    ro.icount_shift = hil_sweep_record_icount(o); /* as the clean run: the operations, not the timing */
    struct hil_result res;
    int rc = hil_run_scenario(&ps, &ro, &res);
    if (rc == 0 && res.status != HIL_PASS) {
        snprintf(why, whylen, "depth2: the recovery boot after the first cut %s failed (no cases from it): %s", c->id,
                 res.message != NULL ? res.message : "?");
    } else if (rc == 0 && !boot->consistent) {
        snprintf(why, whylen, "depth2: the journal of the recovery boot after %s does not reproduce the flash at "
                 "its end (an operation escaped it): no cases from it", c->id);
    }
    if (rc == 0 && why[0] != '\0') {
        hil_journal_free(boot);
        memset(boot, 0, sizeof(*boot));
    }
    hil_result_clear(&res);
    return rc;
}

int hil_sweep_depth2_plan(const struct hil_scenario *s, const struct hil_run_opts *o, struct hil_case **cases,
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
    uint32_t ops = 0;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        char why[1024] = "";
        rc = probe_one(s, o, &(*cases)[i], &b[i], why, sizeof(why));
        if (why[0] != '\0' && err[0] == '\0') {
            snprintf(err, errlen, "%s", why);
        }
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
