/**
 * @file sweep_run.h
 * @brief Turning the selected scenarios into the list the workers run:
 * each sweep's clean run is recorded once (its journal), expanded into
 * case scenarios, filtered by --case and --shard; after the run, cases of
 * a sweep whose journal was not confirmed are run again the slow way; the
 * per-sweep summary with the brick rate. Also the progress line.
 */
#ifndef HIL_SWEEP_RUN_H
#define HIL_SWEEP_RUN_H

#include <stdbool.h>
#include <stdio.h>
#include "scenario/results.h"
#include "run/runner.h"
#include "scenario/scenario.h"

struct hil_sweep_opts {
    const char **cases;       /**< --case globs (NULL/0: every case) */
    int ncases;
    int shard_k;              /**< --shard K/N: 1-based K; N 0 = no sharding */
    int shard_n;
    bool no_journal;          /**< --no-journal: every case the slow way */
    bool no_share;            /**< --no-share: no shared runs (sweep_share.h) */
    bool seed_set;            /**< --seed given: overrides every sweep's seed */
    uint64_t seed;
    int jobs;                 /**< -j: sweeps' clean runs recorded at a time (<= 1: one after another) */
};

struct hil_sweep_entry;

struct hil_sweep_plan {
    struct hil_scenario **items;  /**< what to run, in order */
    int count;
    struct hil_results pre;       /**< failures found while preparing (a clean run that failed) */
    struct hil_sweep_entry *sweeps;
    int nsweeps;
};

/**
 * Build the run list from @p sel: plain scenarios as they are, each sweep
 * recorded (hil_run_scenario with a journal, so->jobs recordings at a
 * time: run/sweep_record.h) and expanded in the order of @p sel (prints
 * `JOURNAL id: N ops`), so the list is the same for any so->jobs. Sweep-block errors that need the recording are reported
 * as `file:line:` failures in plan->pre.
 * @return 0; FOTA_ENOMEM.
 */
int hil_sweep_plan_build(struct hil_scenario **sel, int n, const struct hil_run_opts *o,
                         const struct hil_sweep_opts *so, struct hil_sweep_plan *plan);

/**
 * After a run: the fast cases of sweeps whose journal could not be
 * trusted (a verify case diverged) as slow case scenarios, with the index
 * of the result each replaces. @return count (0: nothing to re-run).
 */
int hil_sweep_plan_recheck(struct hil_sweep_plan *plan, const struct hil_results *rs,
                           struct hil_scenario ***again, int **index_of);

/** Runs @p n scenarios and appends their results to @p out (main's worker pool). */
typedef void (*hil_run_fn)(void *ctx, struct hil_scenario **items, int n, struct hil_results *out);

/**
 * After the first pass: re-run (through @p run) the fast cases of sweeps
 * whose journal a verify case found diverging, replace their results in
 * @p rs, then print the per-sweep summary.
 */
void hil_sweep_after_run(struct hil_sweep_plan *plan, struct hil_results *rs, hil_run_fn run, void *ctx);

/**
 * Once per invocation: the re-run command's program and options
 * (hil_sweep_set_command) and the provenance properties of the JUnit
 * testsuite: git describe, SHA-256 of the bootloader ELF/bin and of every
 * image the selected scenarios name, the QEMU version, the seed.
 */
void hil_sweep_cli_setup(const char *argv0, const struct hil_run_opts *o, const struct hil_sweep_opts *so,
                         struct hil_scenario **sel, int n);

/** Per sweep: `SWEEP id: N cases, N failed, N bricked (x.xx %), mode`. */
void hil_sweep_plan_summary(const struct hil_sweep_plan *plan, const struct hil_results *rs, FILE *out);

void hil_sweep_plan_free(struct hil_sweep_plan *plan);

/** @return true if @p s is a sweep case (its PASS lines are only printed with -v). */
bool hil_sweep_is_case(const struct hil_scenario *s);

/**
 * A fast case whose crash state equals an earlier item's (torn `all` of
 * operation i is torn `none` of operation i+1): if that item has finished
 * (results[k].id set), fill @p out from it and @return true.
 */
bool hil_sweep_shortcut(const struct hil_scenario *s, struct hil_scenario *const *items,
                        const struct hil_result *results, int n, struct hil_result *out);

/** Progress on stderr when it is a terminal: `[done/total] N failed, R/s, ETA m:ss`. */
void hil_progress(int done, int total, int failed);

#endif /* HIL_SWEEP_RUN_H */
