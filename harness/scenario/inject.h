/**
 * @file inject.h
 * @brief Flash fault injector: decides the verdict of each flash operation
 * the target reports while an update step with power_cut faults runs.
 *
 * Counts are per update step (hil_inject_arm resets them): a fault
 * {on, region, n} cuts power at the nth operation of kind `on` whose region
 * matches, leaving it torn as the fault says. `n: last` resolves to the
 * number of DATA frames of the step's image (hil_data_frames), `n: middle`
 * to (last + 1) / 2. Fault injection lives here, in the rig, never in the
 * bootloader (shared style guide, rule 4).
 */
#ifndef HIL_INJECT_H
#define HIL_INJECT_H

#include <stdint.h>
#include <stdbool.h>
#include "scenario/scenario.h"
#include "target/target.h"

#define HIL_INJECT_MAX_FAULTS 32

struct hil_inject {
    const struct hil_fault *faults;
    int nfaults;
    bool armed;
    uint32_t n[HIL_INJECT_MAX_FAULTS];     /**< resolved target count */
    uint32_t seen[HIL_INJECT_MAX_FAULTS];  /**< matching ops seen so far */
    bool fired[HIL_INJECT_MAX_FAULTS];
    bool cut;                              /**< a verdict cut the power */
    int cut_fault;                         /**< index of the fault that did */
};

/** @return the operation count a power_cut fault fires at, for an image of @p image_size bytes. */
uint32_t hil_fault_resolve_n(const struct hil_fault *f, uint64_t image_size);

/** @return true if an operation in @p r is in the fault region @p fr. */
bool hil_fault_region_matches(enum hil_fault_region fr, enum hil_region r);

/**
 * The address range of fault region @p fr: an operation is in it when its
 * first byte lies in [*lo, *hi] (absolute, inclusive); as
 * hil_fault_region_matches() with hil_flash_region_of() of that byte
 * (fota/layout.h: the slots are adjacent, so "slot" is one range).
 */
void hil_fault_region_range(enum hil_fault_region fr, uint32_t *lo, uint32_t *hi);

/**
 * The nearest power cut the armed faults will make (target.h
 * hil_fault_plan: n counted from the operations seen so far), into @p p
 * if it comes before p->n (or p->n is 0). @return how many are pending.
 */
int hil_inject_plan(const struct hil_inject *in, struct hil_fault_plan *p);

/** Arm for one update step (faults of other kinds, and power cuts at a frame, are ignored). */
void hil_inject_arm(struct hil_inject *in, const struct hil_fault *faults, int nfaults,
                    uint64_t image_size);

/** Stop injecting (the update step ended); counters stay readable. */
void hil_inject_disarm(struct hil_inject *in);

/**
 * Count @p op and fill @p v. After one cut nothing else fires (the target
 * is off). @return true if the verdict cuts power (*which = fault index).
 */
bool hil_inject_op(struct hil_inject *in, const struct hil_flash_op *op,
                   struct hil_flash_verdict *v, int *which);

#endif /* HIL_INJECT_H */
