/**
 * @file cut_at.h
 * @brief Power cuts placed at a console line or at a device time
 * (`at_console`, `at_ms`; fault_parse.h), armed for one step: which is
 * due, which fired, and why one that did not never fired. The runner cuts
 * the power; this module only decides when (cuts at a flash operation are
 * inject.h's).
 *
 * Device time is the runner's (run/hold.h hil_devclock: QEMU's CPU time,
 * never wall-clock); `at_ms` counts from the start of the step. A cut at a
 * console line happens while the line is delivered: before the target
 * stops at its next flash operation (the target delivers the console
 * output first, target/rsp_target.c), so a line printed just before a
 * flash write cuts before that write.
 */
#ifndef HIL_CUT_AT_H
#define HIL_CUT_AT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "scenario/scenario.h"

#define HIL_CUT_AT_MAX 32

struct hil_cut_at {
    const struct hil_fault *faults;
    int nfaults;
    bool armed;
    uint64_t t0;                      /**< device ms when the step started */
    uint64_t last;                    /**< device ms at the last check */
    uint32_t lines;                   /**< console lines seen while armed */
    bool fired[HIL_CUT_AT_MAX];
    bool cut;                         /**< one of them cut the power */
    int cut_fault;                    /**< its index, -1 */
};

/** Arm the console and time placements among @p faults for a step that starts at device ms @p now. */
void hil_cut_at_arm(struct hil_cut_at *c, const struct hil_fault *faults, int nfaults, uint64_t now);

/** Stop (the step ended); what fired stays readable. */
void hil_cut_at_disarm(struct hil_cut_at *c);

/** A console line. @return the index of the fault it fires (the power goes now), or -1. */
int hil_cut_at_line(struct hil_cut_at *c, const char *line);

/** Device ms @p now. @return the index of a time cut that is due, or -1. */
int hil_cut_at_time(struct hil_cut_at *c, uint64_t now);

/** @return true if a time cut is armed and may still fire (the runner then reads the device clock). */
bool hil_cut_at_timed(const struct hil_cut_at *c);

/** Device ms from @p now until the next time cut (UINT32_MAX: none armed). */
uint32_t hil_cut_at_ms_left(const struct hil_cut_at *c, uint64_t now);

/**
 * @return true if fault @p i is a console or time placement that did not
 * fire; then @p why (>= 1 byte) says how many matching events there were
 * (console lines of the step; the step's device ms at @p now, its end).
 */
bool hil_cut_at_unfired(const struct hil_cut_at *c, int i, uint64_t now, char *why, size_t len);

#endif /* HIL_CUT_AT_H */
