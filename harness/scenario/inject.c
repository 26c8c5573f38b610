/**
 * @file inject.c
 * @brief Flash fault injector (see inject.h).
 */
#include "scenario/inject.h"

#include <string.h>

#include "fota/layout.h"

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

void hil_fault_region_range(enum hil_fault_region fr, uint32_t *lo, uint32_t *hi)
{
    switch (fr) {
    case HIL_FREGION_SLOT:
    case HIL_FREGION_SLOT_A:
    case HIL_FREGION_SLOT_B:
        *lo = fr == HIL_FREGION_SLOT_B ? LAYOUT_SLOT_B_ADDR : LAYOUT_SLOT_A_ADDR;
        *hi = (fr == HIL_FREGION_SLOT_A ? LAYOUT_SLOT_A_ADDR : LAYOUT_SLOT_B_ADDR) + LAYOUT_SLOT_SIZE - 1u;
        return;
    case HIL_FREGION_META:
        *lo = LAYOUT_META0_ADDR;
        *hi = LAYOUT_META1_ADDR + LAYOUT_META_SECTOR_SIZE - 1u;
        return;
    case HIL_FREGION_ANY:
    default:
        *lo = LAYOUT_FLASH_BASE;
        *hi = LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE - 1u;
        return;
    }
}

int hil_inject_plan(const struct hil_inject *in, struct hil_fault_plan *p)
{
    int pending = 0;
    for (int i = 0; in->armed && !in->cut && i < in->nfaults; i++) {
        const struct hil_fault *f = &in->faults[i];
        if (f->kind != HIL_FAULT_POWER_CUT || hil_fault_at_frame(f) || hil_fault_at_line_or_time(f) ||
            in->fired[i] || in->seen[i] >= in->n[i]) {
            continue;
        }
        pending++;
        uint32_t left = in->n[i] - in->seen[i];
        if (p->n == 0 || left < p->n) {
            memset(p, 0, sizeof(*p));
            p->n = left;
            p->on[f->on] = true;
            hil_fault_region_range(f->region, &p->addr_lo, &p->addr_hi);
            p->v.action = HIL_ACT_CUT;
            p->v.torn = f->torn;
        }
    }
    return pending;
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
