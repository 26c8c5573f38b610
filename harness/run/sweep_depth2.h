/**
 * @file sweep_depth2.h
 * @brief depth2 sweeps (scenario/sweep.h): the probes. Each distinct crash
 * state of a first cut runs its recovery boot once (the power_on after the
 * window and the step after it), recording that boot's flash operations;
 * the cases then cut at each of them (hil_sweep_depth2_expand).
 */
#ifndef HIL_SWEEP_DEPTH2_H
#define HIL_SWEEP_DEPTH2_H

#include <stddef.h>
#include "run/runner.h"
#include "scenario/journal.h"
#include "scenario/sweep.h"

/**
 * Probe the first cuts *@p cases (@p *ncases, from hil_sweep_expand of
 * depth2 sweep @p s) and replace them with the depth2 cases. The probes
 * run @p jobs at a time (run/sweep_record.h); probes whose
 * crash state an earlier one has are not run again; a probe whose boot
 * fails, or whose journal does not reproduce the flash, gives no cases and
 * its message goes to @p err (the first one; the others still give theirs).
 * @param boots  receives the probes' journals (malloc'ed, @p nboots of
 *               them; the cases point into them: free with
 *               hil_sweep_depth2_free after the cases)
 * @return 0; FOTA_ENOMEM; FOTA_ERANGE (a crash state cannot be built).
 */
int hil_sweep_depth2_plan(const struct hil_scenario *s, const struct hil_run_opts *o, int jobs, struct hil_case **cases,
                          int *ncases, struct hil_journal **boots, int *nboots, char *err, size_t errlen);

/** Free what hil_sweep_depth2_plan returned in @p boots. */
void hil_sweep_depth2_free(struct hil_journal *boots, int nboots);

#endif /* HIL_SWEEP_DEPTH2_H */
