/**
 * @file updater_result.h
 * @brief An update step's `updater:` assertions (outcome.h) against the
 * JSON result fotactl writes with `update --json PATH`
 * (host/fotactl_json.h; docs/SCENARIOS.md "update").
 */
#ifndef HIL_UPDATER_RESULT_H
#define HIL_UPDATER_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/outcome.h"

/** The fields of fotactl's JSON result the assertions read. */
struct hil_updater_result {
    uint32_t exit_code;
    uint32_t frames_sent;
    uint32_t retransmits;
    uint32_t nacks;
    bool resumed;             /**< resumed_at was a number (BEGIN answered, not FRESH) */
    uint32_t resumed_at;
    bool fresh;
};

/**
 * Read fotactl's JSON result from @p path (jansson).
 * @param why receives the reason on failure
 * @return 0; FOTA_ENOENT (no file: fotactl wrote none), FOTA_EPROTO (not
 *         JSON, or a field missing or of the wrong type).
 */
int hil_updater_result_read(const char *path, struct hil_updater_result *r, char *why, size_t whylen);

/**
 * Check @p e against @p r; @p duration_ms is the device time the update
 * step measured from fotactl's start to its end (not fotactl's own
 * wall-clock duration_ms, which a loaded host stretches).
 * @param msg receives every mismatch ("updater retransmits 0, expected at least 3; ...")
 * @return 0 (all hold); FOTA_EPROTO.
 */
int hil_updater_check(const struct hil_updater_expect *e, const struct hil_updater_result *r, uint64_t duration_ms,
                      char *msg, size_t msglen);

#endif /* HIL_UPDATER_RESULT_H */
