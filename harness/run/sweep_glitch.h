/**
 * @file sweep_glitch.h
 * @brief glitch sweeps (scenario/sweep.h, target/glitch.h): the trace run
 * that finds the glitch points, and the cases made from them.
 */
#ifndef HIL_RUN_SWEEP_GLITCH_H
#define HIL_RUN_SWEEP_GLITCH_H

#include <stddef.h>
#include "run/runner.h"
#include "scenario/sweep.h"
#include "target/glitch.h"

/**
 * Trace glitch sweep @p s (its block is @p s->sweep): run the whole
 * scenario once without a glitch, with @p g tracing the swept power_on's
 * boot (functions from the block's patterns, in o->bootloader_elf), then
 * expand the cases (hil_sweep_glitch_expand). Prints
 * `GLITCH id: P points (D instructions in F functions; S single steps, C calls stepped over), N cases`.
 * @param g  zeroed by the caller; holds the trace (hil_glitch_free)
 * @return 0 (a failure of the trace run, or a trace that ended early, in
 *         @p err: the sweep fails as one result); FOTA_ENOMEM.
 */
int hil_sweep_glitch_plan(const struct hil_scenario *s, const struct hil_run_opts *o, struct hil_glitch *g,
                          struct hil_case **cases, int *ncases, char *err, size_t errlen);

#endif /* HIL_RUN_SWEEP_GLITCH_H */
