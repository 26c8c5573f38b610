/**
 * @file sweep_record.h
 * @brief The clean runs of a run's sweeps (each records the journal its
 * fault points come from), up to -j at a time: each recording runs in a
 * worker process of its own (as the runner's cases do, cli/main.c) and
 * hands its journal back through a temporary file. The results land in
 * the caller's array in its order, whichever recording ends first, so
 * the plan built from them is the one a serial recording gives.
 */
#ifndef HIL_SWEEP_RECORD_H
#define HIL_SWEEP_RECORD_H

#include "run/runner.h"
#include "scenario/scenario.h"

/** One clean run to record. */
struct hil_sweep_rec {
    const struct hil_scenario *s; /**< the sweep's scenario */
    struct hil_run_opts opts;     /**< its options; .journal receives the journal, .journal_step names the step */
    int rc;                       /**< out: 0, or hil_run_scenario's error (FOTA_ENOMEM) */
    char err[1024];               /**< out: why the run failed (its message); "" when it passed */
};

/**
 * The -icount shift of a recording (a sweep's clean run, a depth2
 * probe) under options @p o. Stock: -1 (none): the journal is the
 * sequence of flash operations, fixed by the update's data, not by guest
 * timing (the harness serves every flash operation and the IWDG at
 * breakpoints), and the emulated UART delivers bytes 2.5x as fast
 * (256 KB: 9 s instead of 23 s). f407: o->icount_shift: the device's
 * own drivers time their waits (IWDG PVU/RVU, FLASH BSY) against models
 * counting QEMU's virtual clock; without -icount that clock is host time
 * and the models' timers run in QEMU's main loop, so a starved main loop
 * let the application's IWDG set-up run out of polls
 * (docs/ARCHITECTURE.md, Loaded machines).
 */
int hil_sweep_record_icount(const struct hil_run_opts *o);

/**
 * Record @p n clean runs, at most @p jobs at a time (<= 1: one after the
 * other in this process). A run that fails leaves its message in err; a
 * worker that dies or exits without handing back its journal leaves rc 0
 * and err "its recording worker died (signal N)" (the caller reports it
 * against that sweep's scenario).
 * @return 0; FOTA_EIO (no worker could be started: no temporary file or
 *         fork failed; the recordings not started are marked in err).
 */
int hil_sweep_record_all(struct hil_sweep_rec *recs, int n, int jobs);

#endif /* HIL_SWEEP_RECORD_H */
