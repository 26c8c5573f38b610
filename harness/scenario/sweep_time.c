/**
 * @file sweep_time.c
 * @brief time sweeps (sweep.h): a power cut at every stride_ms of device
 * time across [from_ms, to_ms] of the swept step, or a seeded sample.
 */
#include "scenario/sweep.h"

#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

int hil_sweep_time_expand(const struct hil_scenario *s, struct hil_case **out, int *count)
{
    const struct hil_sweep *sw = s->sweep;
    uint32_t total = (sw->to_ms - sw->from_ms) / sw->stride_ms + 1u;
    uint32_t *idx = calloc(total, sizeof(*idx));
    struct hil_case *v = calloc(total, sizeof(*v));
    if (idx == NULL || v == NULL) {
        free(idx);
        free(v);
        return FOTA_ENOMEM;
    }
    /* Index 1..total into the window: every one, or the seeded sample (hil_sweep_select). */
    struct hil_sweep pick = { .from = 1, .to = 0, .stride = 1, .sample = sw->sample, .seed = sw->seed };
    uint32_t n = hil_sweep_select(&pick, total, idx);
    for (uint32_t i = 0; i < n; i++) {
        struct hil_case *c = &v[i];
        c->parent = s;
        c->kind = HIL_CASE_TIME_CUT;
        c->at_ms = sw->from_ms + (idx[i] - 1u) * sw->stride_ms;
        c->op_index = -1;
        c->op_index1 = -1;
        c->same_as = -1;
        hil_case_format_id(c);
    }
    free(idx);
    *out = v;
    *count = (int)n;
    return 0;
}
