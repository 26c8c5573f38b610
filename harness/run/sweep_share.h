/**
 * @file sweep_share.h
 * @brief Shared runs: fast power-cut cases whose crash states differ only
 * in bytes the recovery never touches run once.
 *
 * The cases of a journal sweep (sweep.h) differ only where the swept
 * update wrote: its metadata records and its target slot (W, the "watched
 * slot"). Cases whose crash states are the same outside W and whose steps
 * ask the same (the oracle's expect step is per case) form a group.
 * The group's first case (the probe) runs with a CPU access watchpoint on
 * W (hil_target.watch_*: reads and writes, GDB RSP Z4), and the runner
 * also counts as touching W a flash operation on it and a jump into it.
 * When the probe ends without touching W, its run never depended on the
 * bytes where the group's states differ: under QEMU the same machine
 * state and the same inputs give the same run, so every other case of the
 * group would run exactly as the probe did. They take the probe's verdict,
 * console and message (naming the probe and its re-run command), and
 * their own properties (flash_sha256, bricked) from their own final flash:
 * the probe's final flash (HIL_SHARE_FINAL in its work dir) with W from
 * their own crash state. When the probe touched W (a boot that verifies
 * the new image, an update after the recovery), every case of the group
 * runs itself.
 *
 * Eligible cases: fast (from the journal) HIL_CASE_CUT cases with their
 * own crash state (not same_as), whose steps are only power_on (no faults,
 * no boot0), expect_console, console_absent and expect without `bootable`
 * or slot digests (the harness's checks after the run then read nothing
 * in W). Not watched: instruction fetches from W without a jump into it,
 * and DMA from W (the port's streams move SPI1 data to and from SRAM
 * only). `fota-hil run --no-share` runs every case.
 */
#ifndef HIL_SWEEP_SHARE_H
#define HIL_SWEEP_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario/journal.h"
#include "scenario/results.h"
#include "scenario/scenario.h"
#include "scenario/sweep.h"
#include "target/target.h"

/** The probe's final flash (1 MB), in its work dir, when it touched nothing of W. */
#define HIL_SHARE_FINAL "share-final.img"

/** What the pool does with a case (hil_sweep_share_state). */
enum hil_share {
    HIL_SHARE_NO = 0,   /**< run it */
    HIL_SHARE_WAIT,     /**< its probe is still running: start nothing yet */
    HIL_SHARE_YES,      /**< take the probe's run (hil_sweep_share_result) */
};

/**
 * Group the eligible cases of one sweep (@p cases[0..n), @p case_s[k] its
 * scenario or NULL when not selected) by their crash state outside the
 * slot the journal @p j writes: sets share_leader, share_probe and
 * share_addr/len (sweep.h). No groups when the journal writes both slots
 * or neither.
 */
void hil_sweep_share_plan(struct hil_case *cases, int n, struct hil_scenario *const *case_s,
                          const struct hil_journal *j);

/**
 * What to do with item @p self, @p s, of the pool (@p items[0..n),
 * @p results: the finished ones have an id). HIL_SHARE_WAIT only while a
 * probe before it (started) has no result yet.
 * @return HIL_SHARE_YES with *leader (its index in items) when its probe
 *         finished without touching W.
 */
enum hil_share hil_sweep_share_state(const struct hil_scenario *s, int self, struct hil_scenario *const *items,
                                     const struct hil_result *results, int n, int *leader);

/**
 * The runner's side of a probe: arm the target's watchpoint on W before
 * power_on (nothing for other cases).
 */
void hil_sweep_share_arm(const struct hil_case *c, struct hil_target *t);

/** Whether flash operation @p op or a jump to @p vectors (0: none) touches the probe's W. */
bool hil_sweep_share_touches(const struct hil_case *c, const struct hil_flash_op *op, uint32_t vectors);

/**
 * The probe's verdict property line ("share_probe=untouched\n" or
 * "=touched\n" or "=unwatched\n"), malloc'ed; NULL for other cases.
 * @p armed: the target kept the watchpoint set in every session
 * (hil_target.watch_armed); @p touched: the runner saw W touched (an
 * operation on it, a jump into it, HIL_EV_WATCH).
 */
char *hil_sweep_share_prop(const struct hil_case *c, bool armed, bool touched);

/**
 * The result of follower @p s from its probe @p leader_s / @p leader_r
 * (finished, share_probe=untouched), into @p out: the probe's status,
 * console and message, @p s's own properties from its own final flash.
 * @p work_root: where the probe's work dir is.
 * @return 0; FOTA_ENOMEM; FOTA_EIO (the probe's HIL_SHARE_FINAL is
 *         missing or short: the caller runs the case instead); FOTA_ERANGE
 *         (no crash state). On an error @p out is left empty.
 */
int hil_sweep_share_result(const struct hil_scenario *s, const struct hil_scenario *leader_s,
                           const struct hil_result *leader_r, const char *work_root, struct hil_result *out);

#endif /* HIL_SWEEP_SHARE_H */
