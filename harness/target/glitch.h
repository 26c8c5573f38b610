/**
 * @file glitch.h
 * @brief Instruction-skip glitches over the GDB stub (the `glitch` sweep
 * family, docs/SCENARIOS.md "glitch"; issue 13 item 4).
 *
 * Two modes, both driven from the RSP core's stop handler (rsp_target.c):
 *  - TRACE: from the first entry of the start function (boot_main) to the
 *    first of the end functions (port_jump: a slot is started;
 *    update_init: recovery or update mode), single-step every instruction
 *    that lies in the glitch functions (ELF symbols matching the
 *    patterns) and record each as a point (pc, n): the nth execution of
 *    that pc since power-on. A call out of the set (mbedTLS, SHA-256,
 *    memcpy, the console, the metadata log) is stepped over: a temporary
 *    breakpoint at its return address (lr), continue. Stops in between
 *    (served flash operations) are handled by the core as usual.
 *  - INJECT: a breakpoint at the point's pc; at its nth hit the
 *    instruction is skipped (pc += 2 or 4, the Thumb-2 length from the
 *    first halfword; an IT block's state advanced as if it ran) or, for a
 *    conditional branch (B<c>, CBZ, CBNZ), its outcome inverted. A second
 *    breakpoint sits at the bad image's entry (its reset vector): a stop
 *    there is a bypass.
 *
 * The glitch is armed by the runner for the swept step only; breakpoints
 * go in at every power-on while armed (hil_glitch_insert).
 *
 * Sources: ARMv7-M Architecture Reference Manual (DDI 0403E) A5.1
 * (32-bit Thumb instructions: first halfword bits [15:11] 0b11101,
 * 0b11110, 0b11111), A7.7.12 (B encodings T1, T3), A7.7.21 (CBZ/CBNZ),
 * A7.3 (ITSTATE and ITAdvance()), B1.4.2 (EPSR IT bits).
 */
#ifndef HIL_GLITCH_H
#define HIL_GLITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIL_GLITCH_MAX_FUNCS 64      /**< functions in the glitch set */
#define HIL_GLITCH_MAX_STEPS 200000u /**< single steps per trace before it gives up */
#define HIL_GLITCH_MAX_PATTERNS 16   /**< `functions:` patterns of a sweep */

/** What is done to the instruction at a point. */
enum hil_glitch_mode {
    HIL_GLITCH_SKIP = 1,   /**< not executed */
    HIL_GLITCH_BRANCH = 2, /**< a conditional branch goes the other way */
};

/** What the glitch engine does in a run. */
enum hil_glitch_what {
    HIL_GLITCH_OFF = 0,
    HIL_GLITCH_TRACE = 1,
    HIL_GLITCH_INJECT = 2,
};

/** One dynamic point: the nth execution (1-based, from power-on) of the instruction at pc. */
struct hil_glitch_point {
    uint32_t pc;
    uint32_t n;
    uint8_t len;        /**< 2 or 4 bytes */
    bool cond_branch;   /**< B<c>, CBZ or CBNZ: the BRANCH mode applies */
};

/** A function of the glitch set: [lo, hi). */
struct hil_glitch_fn {
    uint32_t lo, hi;
    char name[48];
};

/** A distinct pc of a trace, with its instruction. */
struct hil_glitch_pc {
    uint32_t pc, count;
    uint8_t len;
    bool cond_branch;
};

/** The engine's state: set up by the sweep, carried by the target, read by the runner. */
struct hil_glitch {
    enum hil_glitch_what what;
    bool armed;                          /**< the runner: inside the swept step */
    struct hil_glitch_fn fn[HIL_GLITCH_MAX_FUNCS];
    int nfn;
    uint32_t start;                      /**< trace from here (boot_main) */
    uint32_t end[2];                     /**< to here (port_jump, update_init; 0: absent) */
    /* TRACE results */
    struct hil_glitch_point *points;     /**< malloc'ed, npoints entries */
    uint32_t npoints, cap;
    struct hil_glitch_pc *pcs;           /**< distinct pcs (malloc'ed) */
    uint32_t npcs, pcs_cap;
    uint32_t steps, calls_over;          /**< single steps made; calls stepped over */
    bool tracing, trace_done;
    uint32_t ret_bp;                     /**< a step-over's return breakpoint, 0: none */
    char trace_err[160];                 /**< why the trace ended early ("" when it reached an end) */
    /* INJECT */
    struct hil_glitch_point at;
    enum hil_glitch_mode mode;
    uint32_t bad_entry;                  /**< the bad image's reset handler (0: none) */
    uint32_t hits;
    bool bp_set, fired, bypassed;
    uint32_t fired_new_pc;               /**< where execution went on */
};

/**
 * Fill @p g's function set from @p elf: every function symbol matching
 * one of @p patterns (fnmatch), and the start and end symbols.
 * @return 0; FOTA_ENOENT (boot_main or port_jump missing, or no function
 *         matches); FOTA_ERANGE (more than HIL_GLITCH_MAX_FUNCS); FOTA_EIO
 *         (the ELF is unreadable). The reason is in @p err.
 */
int hil_glitch_setup(struct hil_glitch *g, const char *elf, const char *const *patterns, int npatterns, char *err,
                     size_t errlen);

/** The function of the set holding @p pc, or NULL. */
const struct hil_glitch_fn *hil_glitch_fn_of(const struct hil_glitch *g, uint32_t pc);

/** Thumb-2: the length (2 or 4) of the instruction whose first halfword is @p hw1 (DDI 0403E A5.1). */
unsigned hil_glitch_insn_len(uint16_t hw1);

/**
 * Is the instruction @p hw1, @p hw2 a conditional branch (B<c> T1 or T3,
 * CBZ, CBNZ)? If so *target is where it goes when taken (from @p pc).
 */
bool hil_glitch_cond_branch(uint32_t pc, uint16_t hw1, uint16_t hw2, uint32_t *target);

/** ITAdvance() on an xPSR value (DDI 0403E A7.3.2): the IT state after one instruction. */
uint32_t hil_glitch_it_advance(uint32_t xpsr);

/** Free the trace arrays of @p g. */
void hil_glitch_free(struct hil_glitch *g);

#endif /* HIL_GLITCH_H */
