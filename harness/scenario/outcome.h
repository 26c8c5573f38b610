/**
 * @file outcome.h
 * @brief Outcome assertions of a scenario (issue 15 item 3): the types of
 * `expect: {bootable: ...}`, `expect: {slots: {B: {sha256: ...}}}` and an
 * update step's `updater: {...}` (docs/SCENARIOS.md "expect", "update").
 * Parsed by expect_parse.c; checked by slot_hash.h and updater_result.h.
 */
#ifndef HIL_OUTCOME_H
#define HIL_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>

/** `slots: {B: {sha256: HEX | {file: PATH}}}`: the slot's stored image hash. */
struct hil_slot_sha {
    bool has;
    int line;                 /**< line of the `sha256:` value */
    char *file;               /**< `{file: PATH}`: hash of that file, read when the step runs; else NULL */
    uint8_t sha256[32];       /**< the literal (64 hex digits) */
};

/** `{min: N, max: N}` or `N` (both ends N). */
struct hil_range {
    bool has_min;
    bool has_max;
    uint32_t min;
    uint32_t max;
};

/** An update step's `updater:` (and its older `resumed_at: N`). */
struct hil_updater_expect {
    bool any;                 /**< something to check: fotactl runs with --json */
    int line;                 /**< line of `updater:` (of `resumed_at:` in the old form) */
    bool has_exit;
    uint32_t exit_code;       /**< fotactl's exit code (0..5) */
    struct hil_range retransmits;
    struct hil_range nacks;
    struct hil_range duration_ms; /**< device time from fotactl's start to its end (not fotactl's wall clock) */
    bool has_resumed_at;
    bool resumed_fresh;       /**< `resumed_at: fresh`: a BEGIN FRESH transfer */
    uint32_t resumed_at;      /**< else: resumed (not FRESH) at this byte offset */
};

#endif /* HIL_OUTCOME_H */
