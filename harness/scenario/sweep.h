/**
 * @file sweep.h
 * @brief Fault sweeps: a `sweep:` block turns one scenario into many cases
 * (docs/SCENARIOS.md "Sweeps"), each with a stable id such as
 * `power.cut.update@program:17:torn-half`.
 *
 * Families (one per sweep block):
 *  - power_cut: a cut at every program and/or erase operation of the swept
 *    update step, each torn none/half/all/bits. Run fast by default: the
 *    crash state is built from the step's journal (journal.h) and only the
 *    recovery (the steps after the swept one, starting with power_on) runs.
 *    With `through: M` the window runs on through step M (the trial boot
 *    and the application's confirm after the update), and the recovery
 *    starts after step M.
 *  - flash_fault: the Nth program (and/or erase) operation fails (returns
 *    FOTA_EFLASH) or silently does not stick; the update runs on, then
 *    power is cycled.
 *  - link: corrupt / drop the Nth DATA frame to the target, or cut the
 *    power just before the Nth ENTER_UPDATE, BEGIN, DATA or END frame
 *    reaches it (the steps after the swept one, from power_on, recover).
 *  - bitflip: one bit flipped in the stored image or the newest metadata
 *    record after the update (built from the journal, recovery only).
 *  - multi_cut: seeded runs with several cuts in one update (mcuboot's
 *    run_perm_with_random_fails): each case draws `cuts` positions among
 *    the matching operations of the swept step, counted cumulatively over
 *    the attempts; after each cut the device is powered on and the same
 *    update runs again (the updater resumes) until every cut fired and an
 *    attempt completes. Always run the slow way.
 *  - time: a cut at every stride_ms of device time in [from_ms, to_ms]
 *    from the start of the swept step (or a seeded sample of them): the
 *    step gets a power_cut {at_ms: T} (fault_parse.h); always slow; the
 *    steps after it, from power_on, recover (sweep_time.c).
 *  - depth2: a cut during the recovery from a cut. The first cuts are
 *    power_cut's (on, region, torn; region meta by default: the commits);
 *    the recovery's boot (its power_on and the step after it) is recorded
 *    once per first crash state (a probe, run/sweep_depth2.c), and each
 *    case cuts at one flash operation of that boot (the TRIAL commit, a
 *    rollback, the application's CONFIRMED), torn as `boot_torn` says;
 *    built from the probe's journal, recovery only (sweep_depth2.c).
 *  - glitch: an instruction skip (or an inverted conditional branch) at
 *    every instruction the boot decision and the image verification
 *    execute in the glitch functions: a trace run records the points
 *    (pc, nth execution; target/glitch.h), each case re-boots the same
 *    flash and glitches one; the bad image must never run
 *    (sweep_glitch.c, run/sweep_glitch.c).
 *
 * Case ids: `<scenario id>@<what>`:
 *   @program:17:torn-half  @erase:2:torn-none   (power_cut)
 *   @program:17:fail       @program:17:nostick  (flash_fault)
 *   @erase:2:fail          @erase:2:nostick     (flash_fault on erase)
 *   @corrupt:DATA:3        @drop:DATA:3         (link)
 *   @cut:ENTER_UPDATE:1  @cut:BEGIN:1  @cut:DATA:3  @cut:END:1  (link cut)
 *   @bitflip:0x08080a31.5                        (bitflip: address.bit)
 *   @cuts:2-half,4-all,5-none                    (multi_cut: position-torn of each cut;
 *                                                 '-', not '/': the id names a workdir)
 *   @time:1300ms                                 (time)
 *   @depth2:program:1:torn-all/program:2:torn-half  (depth2: the first cut / the cut in the
 *                                                 boot after it, n of each counted per kind)
 *   @glitch:image_verify_fih+0x1a:3:skip         (glitch: function+offset of the instruction,
 *   @glitch:boot_gather+0x5e:1:branch             its nth execution, skip or branch)
 */
#ifndef HIL_SWEEP_H
#define HIL_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "scenario/journal.h"
#include "scenario/scenario.h"

enum hil_sweep_family {
    HIL_SWEEP_POWER_CUT = 1,
    HIL_SWEEP_FLASH_FAULT = 2,
    HIL_SWEEP_LINK = 3,
    HIL_SWEEP_BITFLIP = 4,
    HIL_SWEEP_MULTI_CUT = 5,
    HIL_SWEEP_TIME = 6,
    HIL_SWEEP_DEPTH2 = 7,
    HIL_SWEEP_GLITCH = 8,
};

enum hil_case_kind {
    HIL_CASE_CUT = 1,
    HIL_CASE_FAIL = 2,
    HIL_CASE_NOSTICK = 3,
    HIL_CASE_CORRUPT = 4,
    HIL_CASE_DROP = 5,
    HIL_CASE_BITFLIP = 6,
    HIL_CASE_MULTI_CUT = 7,
    HIL_CASE_LINK_CUT = 8,         /**< power cut just before the Nth to_target frame of a type */
    HIL_CASE_TRUNCATE = 9,         /**< bitflip part truncate: the image reads erased from flip_addr on */
    HIL_CASE_TIME_CUT = 10,        /**< power cut at_ms of device time into the swept step */
    HIL_CASE_DEPTH2 = 11,          /**< a cut in the boot that recovers from a first cut */
    HIL_CASE_GLITCH = 12,          /**< an instruction skipped / a branch inverted in the swept steps */
};

#define HIL_SWEEP_MAX_GLITCH_FNS 16   /* glitch.functions patterns */

/* bitflip `part:` (region slot): where the damage goes. */
#define HIL_FLIP_ANY      0   /* any byte of the stored image */
#define HIL_FLIP_HEADER   1   /* the 512-byte image header */
#define HIL_FLIP_PAYLOAD  2   /* the payload */
#define HIL_FLIP_TRUNCATE 3   /* not a flip: the image reads erased from a payload byte on */

#define HIL_SWEEP_DEFAULT_VERIFY 1u
#define HIL_SWEEP_DEFAULT_SEED   1u
#define HIL_SWEEP_DEFAULT_FLIPS  16u
#define HIL_SWEEP_CORRUPT_BYTE   20u  /* a byte inside a DATA frame's payload */
#define HIL_SWEEP_MAX_STEP       4096u /* step, through: parsed as u32, bounded before the int */
#define HIL_SWEEP_MAX_VERIFY     65536u /* verify: slow cases per sweep */
#define HIL_SWEEP_MAX_FLIPS      65536u /* bitflip.sample (picked * 64 tries stays in u32) */
#define HIL_SWEEP_MAX_CUTS       8u   /* multi_cut: cuts per case (the id must fit hil_case.id) */
#define HIL_SWEEP_MAX_RUNS       10000u /* multi_cut, time: cases per sweep (each runs the slow way) */
#define HIL_SWEEP_DEFAULT_STRIDE_MS 100u /* time: between two cut times */

/** A parsed `sweep:` block. */
struct hil_sweep {
    int line;
    int step;                      /**< 1-based index of the swept update step */
    int through;                   /**< 1-based last step of the journal window (>= step; default step) */
    enum hil_sweep_family family;
    bool on[3];                    /**< indexed by enum hil_op_kind: program / erase (power_cut,
                                        flash_fault) */
    enum hil_fault_region region;
    bool torn[4];                  /**< indexed by enum hil_torn */
    bool fail, nostick;            /**< flash_fault kinds */
    bool corrupt, drop, cut;       /**< link kinds */
    enum hil_fault_region flip_region; /**< bitflip: HIL_FREGION_SLOT (the updated image) or META */
    int flip_part;                 /**< bitflip in a slot: HIL_FLIP_ANY, _HEADER, _PAYLOAD, _TRUNCATE */
    uint32_t from, to, stride;     /**< n range (to 0: the last) */
    uint32_t sample;               /**< 0: every n in the range; else a seeded sample of this many */
    uint64_t seed;
    bool journal;                  /**< power_cut/bitflip: build crash states from the journal */
    uint32_t verify;               /**< power_cut: cases also run the slow way to check the journal */
    uint32_t cuts;                 /**< multi_cut: cuts per case, 1..HIL_SWEEP_MAX_CUTS */
    uint32_t runs;                 /**< multi_cut: cases (seeded draws), 1..HIL_SWEEP_MAX_RUNS */
    uint32_t from_ms, to_ms, stride_ms; /**< time: the window of cut times, device ms into the step */
    bool boot_torn[4];             /**< depth2: torn states of the cut in the boot (enum hil_torn) */
    char *glitch_fns[HIL_SWEEP_MAX_GLITCH_FNS]; /**< glitch: function-name patterns (fnmatch), malloc'ed */
    int nglitch_fns;
    bool glitch_skip, glitch_branch; /**< glitch modes */
};

/** One case of a sweep. */
struct hil_case {
    const struct hil_scenario *parent;
    const struct hil_journal *journal; /**< the parent's recorded journal (may be NULL) */
    enum hil_case_kind kind;
    enum hil_op_kind on;           /**< op kind (cut, fail, nostick) */
    uint32_t n;                    /**< op count in the step (kind + region), or frame number (of frame_type) */
    uint8_t frame_type;            /**< link cases: the type counted (enum proto_type; DATA for corrupt/drop) */
    enum hil_torn torn;
    uint32_t flip_addr;
    uint32_t trunc_end;            /**< truncate: the end of the image (exclusive) */
    uint8_t flip_bit;
    int op_index;                  /**< journal index of the op (cut), -1 if unknown */
    bool fast;                     /**< crash state from the journal, run only the recovery */
    bool verify;                   /**< a slow run that checks the journal */
    int same_as;                   /**< fast: index of an earlier case with the same crash state, -1 */
    const struct hil_case *share_leader; /**< fast cut: the probe whose run this case takes when it
                                        leaves [share_addr, +share_len) untouched (run/sweep_share.h) */
    bool share_probe;              /**< this case is a probe: run with a watchpoint on the range */
    uint32_t share_addr;           /**< the watched slot (probes and their followers) */
    uint32_t share_len;
    char id[192];
    char state_sha256[65];         /**< fast: SHA-256 of the crash state */
    /* multi_cut: cut i fires at the cut_at[i]th matching op (ascending) of the swept step,
     * counted over every attempt, leaving it torn cut_torn[i] */
    uint32_t ncuts;
    uint32_t cut_at[HIL_SWEEP_MAX_CUTS];
    enum hil_torn cut_torn[HIL_SWEEP_MAX_CUTS];
    uint32_t at_ms;                /**< time: device ms into the swept step */
    /* depth2: the first cut (in the parent's journal; on, n, torn, op_index
     * above are the cut in the boot, in `journal`, the probe's) */
    enum hil_op_kind on1;
    uint32_t n1;
    enum hil_torn torn1;
    int op_index1;
    /* glitch: the nth execution of the instruction at glitch_pc (in glitch_fn at glitch_off) */
    uint32_t glitch_pc;
    uint32_t glitch_off;
    uint8_t glitch_mode;           /**< enum hil_glitch_mode */
    char glitch_fn[48];
    struct hil_fault *owned_fault; /**< the swept step's fault this case allocated (freed with it) */
    struct hil_step *owned_steps;  /**< the step array this case allocated, NULL: the parent's */
    /* runtime, in the worker running the case */
    uint32_t step_ops;             /**< ops seen in the swept step */
    uint32_t kind_seen;            /**< matching ops seen in the window (cut, fail, nostick) */
    bool window_closed;            /**< a boot after an op: past the journal's window */
    bool diverged;
    uint32_t diverged_at;          /**< 1-based op of the step that differed */
    bool fired;
    uint32_t cuts_fired;           /**< multi_cut: cuts made so far */
    bool glitch_bypassed;          /**< glitch: the bad image ran */
};

/**
 * Parse a `sweep:` mapping node of @p doc into @p s->sweep (the scenario's
 * steps are already parsed: the swept step is checked against them).
 * @param err receives `file:line: what is wrong`
 * @return 0; FOTA_EINVAL.
 */
int hil_sweep_parse(const char *file, void *doc, void *node, struct hil_scenario *s,
                    char *err, size_t errlen);

void hil_sweep_free(struct hil_sweep *sw);

/**
 * Expand the sweep of @p s into cases, in a stable order (the order of ids
 * never depends on timing): for power_cut, torn variant outermost, then
 * erase before program, then n; for multi_cut, the order of the seeded
 * draws; for flash_fault, fail before nostick, then erase before program,
 * then n; for link, corrupt, drop, then cut in frame order (ENTER_UPDATE,
 * BEGIN, DATA 1..N, END). Power-cut, multi_cut, flash-fault and bitflip
 * expansion, and link `cut`, need the journal @p j of the clean run
 * (operation counts; for `cut`, which of ENTER_UPDATE, BEGIN and END the
 * clean update sent: j->frames); link corrupt/drop need only the image size
 * (DATA frames: hil_data_frames). `n` selects counts per operation kind or
 * frame type.
 *
 * multi_cut: T = the journal's operations of the `on` kinds in `region`;
 * each case draws min(cuts, T) distinct positions in 1..T (sorted) and a
 * torn state per cut from the `torn` set, with hil_sweep_rand seeded by
 * sw->seed. A draw equal to an earlier case's is drawn again (at most
 * 64 x runs draws in all), so there are fewer than `runs` cases only when
 * T and the torn set do not allow that many different ones.
 * @return 0 and a malloc'ed array; FOTA_EINVAL (no journal where one is
 *         needed, an unreadable image, nothing to sweep, or a case id longer
 *         than hil_case.id: the message in @p err, `file:line: sweep: ...`);
 *         FOTA_ENOMEM.
 */
int hil_sweep_expand(const struct hil_scenario *s, const struct hil_journal *j, struct hil_case **out,
                     int *count, char *err, size_t errlen);

/**
 * time sweeps (sweep_time.c): one HIL_CASE_TIME_CUT case per cut time of
 * @p s->sweep's window, in ascending order (a seeded sample of them with
 * `sample`), into a malloc'ed array. @return 0; FOTA_ENOMEM.
 */
int hil_sweep_time_expand(const struct hil_scenario *s, struct hil_case **out, int *count);

/**
 * depth2 sweeps (sweep_depth2.c): the cases of @p nprobes first cuts
 * @p probes (fast cut cases of a depth2 sweep, hil_sweep_expand) whose recovery
 * boot was recorded in @p boots[i] (base: the first crash state): one case
 * per operation of each boot and `boot_torn` state, in probe order, then
 * operation, then torn none/half/bits/all; a case whose crash state an
 * earlier case already has is left out. @return 0 and a malloc'ed array
 * (may be empty); FOTA_ENOMEM; FOTA_ERANGE (a journal cannot be built).
 */
int hil_sweep_depth2_expand(const struct hil_case *probes, const struct hil_journal *boots, int nprobes,
                            struct hil_case **out, int *count);

struct hil_glitch;

/**
 * glitch sweeps (sweep_glitch.c): the cases of the points @p g's trace
 * recorded (n selects among points 1..npoints in trace order), each as
 * `skip` and, for a conditional branch, `branch` (as the block's modes
 * say), in trace order. @return 0 and a malloc'ed array; FOTA_ENOMEM;
 * FOTA_EINVAL (nothing selected: the message in @p err).
 */
int hil_sweep_glitch_expand(const struct hil_scenario *s, const struct hil_glitch *g, struct hil_case **out,
                            int *count, char *err, size_t errlen);

/** Format a case id into c->id from its fields. */
void hil_case_format_id(struct hil_case *c);

/** The n values chosen by @p sw from 1..@p total (range, stride, sample). @return count written to @p out (size total). */
uint32_t hil_sweep_select(const struct hil_sweep *sw, uint32_t total, uint32_t *out);

/** splitmix64: the seeded generator of samples. */
uint64_t hil_sweep_rand(uint64_t *state);

/* ---- hooks the runner calls while running a case scenario ---- */

/** Fast cases: the crash state. @return 0; FOTA_ERANGE. */
int hil_case_compose_flash(const struct hil_case *c, struct hil_flash *f);

/**
 * Every flash op: divergence guard, and the verdicts of slow cases: the
 * cut (HIL_ACT_CUT with the case's torn state) or fail / nostick (program
 * or erase, as the case says) at the case's Nth matching op of the window
 * [sweep step, through], and the multi_cut cuts (HIL_ACT_CUT with each
 * cut's torn state). @p step is the runner's 1-based step.
 */
void hil_case_on_flash_op(struct hil_case *c, int step, const struct hil_flash_op *op,
                          struct hil_flash_verdict *v);

/**
 * The next fault hil_case_on_flash_op() will give in step @p step
 * (target.h hil_fault_plan: n counted from the operations seen so far),
 * into @p p if it comes before p->n (or p->n is 0). @return 1 if one is
 * pending, else 0 (no case, a journal case, outside the window, fired).
 */
int hil_case_plan(const struct hil_case *c, int step, struct hil_fault_plan *p);

/** A boot: closes a one-step journal window once an op was seen (not with `through`). */
void hil_case_on_boot(struct hil_case *c, int step);

/**
 * @return true if runner step @p step (1-based) of case @p c is a swept
 * update that the runner repeats after each cut (multi_cut); false for
 * NULL or any other case or step.
 */
bool hil_case_is_multi_step(const struct hil_case *c, int step);

/**
 * multi_cut: an attempt of the swept update begins. Reopens the window in
 * which operations are counted (it closes at the first boot after an
 * operation of the attempt, as the journal's does: the trial commit after
 * END belongs to the next boot, not to the update). The count of matching
 * operations goes on from the previous attempts.
 */
void hil_case_attempt_begin(struct hil_case *c);

/**
 * Key=value properties of a result, one per line: flash_sha256, bricked,
 * and for cases: mode (fast|slow), seed, diverged.
 * @return malloc'ed text.
 */
char *hil_case_props(const struct hil_case *c, const struct hil_flash *f);

/** The command that re-runs case @p id of @p file (malloc'ed). */
char *hil_case_rerun_command(const char *id, const char *file);

/** Program name and options the re-run command repeats (set once by main). */
void hil_sweep_set_command(const char *argv0, const char *extra_opts);

#endif /* HIL_SWEEP_H */
