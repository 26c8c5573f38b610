/**
 * @file sweep_glitch.c
 * @brief The cases of a glitch sweep from its trace (sweep.h
 * hil_sweep_glitch_expand; target/glitch.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"
#include "scenario/sweep.h"
#include "target/glitch.h"

/* Append the case of point @p pt in @p mode to @p v (grown by doubling). @return 0; FOTA_ENOMEM. */
static int glitch_push(const struct hil_scenario *s, const struct hil_glitch *g, const struct hil_glitch_point *pt,
                       enum hil_glitch_mode mode, struct hil_case **v, int *n, int *cap)
{
    if (*n == *cap) {
        *cap = *cap == 0 ? 64 : 2 * *cap;
        struct hil_case *nv = realloc(*v, sizeof(*nv) * (size_t)*cap);
        if (nv == NULL) {
            return FOTA_ENOMEM;
        }
        *v = nv;
    }
    struct hil_case *c = &(*v)[(*n)++];
    const struct hil_glitch_fn *fn = hil_glitch_fn_of(g, pt->pc);
    memset(c, 0, sizeof(*c));
    c->parent = s;
    c->kind = HIL_CASE_GLITCH;
    c->op_index = -1;
    c->same_as = -1;
    c->n = pt->n;
    c->glitch_pc = pt->pc;
    c->glitch_mode = (uint8_t)mode;
    snprintf(c->glitch_fn, sizeof(c->glitch_fn), "%s", fn != NULL ? fn->name : "pc");
    c->glitch_off = fn != NULL ? pt->pc - fn->lo : pt->pc;
    hil_case_format_id(c);
    return 0;
}

int hil_sweep_glitch_expand(const struct hil_scenario *s, const struct hil_glitch *g, struct hil_case **out,
                            int *count, char *err, size_t errlen)
{
    const struct hil_sweep *sw = s->sweep;
    struct hil_case *v = NULL;
    int n = 0, cap = 0, rc = 0;
    *out = NULL;
    *count = 0;
    uint32_t *pick = calloc(g->npoints > 0 ? g->npoints : 1u, sizeof(*pick));
    if (pick == NULL) {
        return FOTA_ENOMEM;
    }
    uint32_t npick = hil_sweep_select(sw, g->npoints, pick);
    for (uint32_t i = 0; rc == 0 && i < npick; i++) {
        const struct hil_glitch_point *pt = &g->points[pick[i] - 1u];
        if (sw->glitch_skip) {
            rc = glitch_push(s, g, pt, HIL_GLITCH_SKIP, &v, &n, &cap);
        }
        if (rc == 0 && sw->glitch_branch && pt->cond_branch) {
            rc = glitch_push(s, g, pt, HIL_GLITCH_BRANCH, &v, &n, &cap);
        }
    }
    free(pick);
    if (rc == 0 && n == 0) {
        snprintf(err, errlen, "%s:%d: sweep: selects no glitch case (%u points traced)", s->file, sw->line,
                 g->npoints);
        rc = FOTA_EINVAL;
    }
    if (rc != 0) {
        free(v);
        return rc;
    }
    *out = v;
    *count = n;
    return 0;
}
