/**
 * @file sweep_oracle.h
 * @brief The exact oracle applied to sweep cases (issue 16): which
 * contract commits (oracle.h) a case's fault left landed, read from the
 * clean run's journal and the cut point, and the `expect` step that
 * checks the model's outcome on the device.
 */
#ifndef HIL_SWEEP_ORACLE_H
#define HIL_SWEEP_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include "scenario/journal.h"
#include "scenario/oracle.h"
#include "scenario/sweep.h"

/** What a sweep's oracle knows before its cases run. */
struct hil_sweep_oracle {
    bool on;                        /**< false: this sweep has no exact oracle (why_off says why) */
    struct hil_ab_view base;        /**< the newest record when the window started */
    uint32_t new_version;           /**< of the swept update's image file */
    int commits;                    /**< metadata commits in the clean run's window */
    char why_off[160];
};

/**
 * Set up the oracle of sweep @p sw of @p s from its recorded journal. The
 * oracle is off (o->on false, not an error) for flash_fault sweeps (the
 * update may end either way) and when the swept image is a `{target}`
 * pattern. From the factory state (no metadata when the window starts) it
 * judges only the cases that landed a commit.
 * @return 0; FOTA_EPROTO when the clean run's metadata commits do not
 *         follow the contract (err: the commit and what the contract says).
 */
int hil_sweep_oracle_setup(const struct hil_scenario *s, const struct hil_sweep *sw, const struct hil_journal *j,
                           struct hil_sweep_oracle *o, char *err, size_t errlen);

/**
 * How many contract commits case @p c left landed, and whether the new
 * image is damaged after landing (bitflip in the slot).
 * @return 0..o->commits; -1 when the oracle does not apply to the case.
 */
int hil_sweep_oracle_landed(const struct hil_sweep_oracle *o, const struct hil_journal *j, const struct hil_case *c,
                            bool *damaged);

/**
 * The expect step of case @p c: running slot and version (or nothing in
 * recovery mode), the active slot and both slots' states.
 * @return true when the oracle applies (then *e and *row are set).
 */
bool hil_sweep_oracle_expect(const struct hil_sweep_oracle *o, const struct hil_journal *j, const struct hil_case *c,
                             struct hil_expect *e, struct hil_oracle_out *row);

#endif /* HIL_SWEEP_ORACLE_H */
