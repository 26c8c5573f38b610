/**
 * @file fotactl_log.h
 * @brief What fotactl's output says about an update: the offset it
 * resumed from and whether it started fresh (the `stats:` line that
 * `fotactl update` prints last, host/fotactl.c print_stats).
 */
#ifndef HIL_FOTACTL_LOG_H
#define HIL_FOTACTL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Read the last `stats:` line of fotactl's output.
 * @param text    fotactl's output (NUL-terminated)
 * @param resume  receives the offset the DATA transfer started at (bytes)
 * @param fresh   receives true when the transfer was a BEGIN FRESH
 * @return 0; FOTA_ENOENT when there is no stats line with a resume field.
 */
int hil_fotactl_resume(const char *text, uint32_t *resume, bool *fresh);

/**
 * Check an update step's `resumed_at: N` against fotactl's output: the
 * host must have resumed (not a FRESH transfer) at exactly @p want.
 * @param text  fotactl's output
 * @param msg   receives what differs
 * @return 0 when it matches; FOTA_ENOENT (no stats line), FOTA_EPROTO
 *         (a fresh transfer, or another offset).
 */
int hil_fotactl_check_resumed_at(const char *text, uint32_t want, char *msg, size_t msglen);

#endif /* HIL_FOTACTL_LOG_H */
