/**
 * @file inject.c
 * @brief Flash fault injector (see inject.h).
 */
#include "scenario/inject.h"

#include <string.h>

uint32_t hil_fault_resolve_n(const struct hil_fault *f, uint64_t image_size)
{
    uint32_t last = hil_data_frames(image_size);
    switch (f->n_kind) {
    case HIL_FN_LAST: return last;
    case HIL_FN_MIDDLE: return (last + 1u) / 2u;
    case HIL_FN_NUMBER: break;
    }
    return f->n;
}

bool hil_fault_region_matches(enum hil_fault_region fr, enum hil_region r)
{
    switch (fr) {
    case HIL_FREGION_ANY: return true;
    case HIL_FREGION_SLOT: return r == HIL_REGION_SLOT_A || r == HIL_REGION_SLOT_B;
    case HIL_FREGION_META: return r == HIL_REGION_META;
    case HIL_FREGION_SLOT_A: return r == HIL_REGION_SLOT_A;
    case HIL_FREGION_SLOT_B: return r == HIL_REGION_SLOT_B;
    }
    return false;
}

void hil_inject_arm(struct hil_inject *in, const struct hil_fault *faults, int nfaults,
                    uint64_t image_size)
{
    memset(in, 0, sizeof(*in));
    in->faults = faults;
    in->nfaults = faults == NULL ? 0 : (nfaults > HIL_INJECT_MAX_FAULTS ? HIL_INJECT_MAX_FAULTS : nfaults);
    in->cut_fault = -1;
    for (int i = 0; i < in->nfaults; i++) {
        in->n[i] = hil_fault_resolve_n(&faults[i], image_size);
    }
    in->armed = true;
}

void hil_inject_disarm(struct hil_inject *in)
{
    in->armed = false;
}

bool hil_inject_op(struct hil_inject *in, const struct hil_flash_op *op,
                   struct hil_flash_verdict *v, int *which)
{
    if (!in->armed || in->cut) {
        return false;
    }
    for (int i = 0; i < in->nfaults; i++) {
        const struct hil_fault *f = &in->faults[i];
        if (f->kind != HIL_FAULT_POWER_CUT || hil_fault_at_frame(f) || hil_fault_at_line_or_time(f) || f->on != op->kind ||
            !hil_fault_region_matches(f->region, op->region)) {
            continue;
        }
        in->seen[i]++;
        if (!in->fired[i] && in->seen[i] == in->n[i]) {
            in->fired[i] = true;
            in->cut = true;
            in->cut_fault = i;
            v->action = HIL_ACT_CUT;
            v->torn = f->torn;
            v->fail_rc = 0;
            if (which != NULL) {
                *which = i;
            }
            return true;
        }
    }
    return false;
}
