/**
 * @file fault_parse.h
 * @brief Faults outside an update step and power cuts placed in time or at
 * a console line (issue 15 item 1; docs/SCENARIOS.md "Faults"):
 *
 *   - power_cut: {at_console: '^APP: confirming'}   when that line is printed
 *   - power_cut: {at_ms: 1300}                      1300 ms of device time into the step
 *
 * and the checks on the `faults:` of a step that runs the device without
 * an updater (power_on, reset, wait_ms, expect_console): only power cuts,
 * not at a link frame, and `n` a count (last / middle count an image's
 * DATA frames: update steps only).
 */
#ifndef HIL_FAULT_PARSE_H
#define HIL_FAULT_PARSE_H

#include <stddef.h>
#include <yaml.h>
#include "scenario/scenario.h"

/**
 * Set the placement of power_cut @p f from `at_console` (@p console, the
 * value node, or NULL) or `at_ms` (@p ms, or NULL); exactly one is given.
 * @p other names the first other placement key the fault has (on, region,
 * n, torn, frame, type, dir), NULL if none, and @p other_node its key node.
 * @param err receives `file:line: what is wrong`
 * @return 0; FOTA_EINVAL (both given, mixed with another placement or with
 *         torn, not a number, a bad or too complex regex).
 */
int hil_fault_parse_at(const char *file, yaml_node_t *console, yaml_node_t *ms, const char *other,
                       const yaml_node_t *other_node, struct hil_fault *f, char *err, size_t errlen);

/**
 * Check the @p n faults of a step of kind @p kind that is not an update:
 * each must be a power_cut at a flash operation (n a count), a console
 * line or a time. @return 0; FOTA_EINVAL (`file:line:` of the fault).
 */
int hil_fault_check_step(const char *file, enum hil_step_kind kind, const struct hil_fault *faults, int n,
                         char *err, size_t errlen);

/** Free @p n faults at @p f (their regexes) and the array. */
void hil_faults_free(struct hil_fault *f, int n);

/**
 * @return true if glibc's regcomp() would build too large a parse tree for
 * the ERE @p re (stacked or nested repetitions; scenario.c).
 */
bool hil_regex_too_complex(const char *re);

#endif /* HIL_FAULT_PARSE_H */
