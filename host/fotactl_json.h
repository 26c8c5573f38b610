/**
 * @file fotactl_json.h
 * @brief `fotactl update --json PATH`: the machine-readable result of one
 * update (docs/SCENARIOS.md "update"; read by fota-hil's `updater:`
 * assertions, harness/scenario/updater_result.h).
 */
#ifndef FOTACTL_JSON_H
#define FOTACTL_JSON_H

#include <stdint.h>
#include "fotahost/update.h"

/** What `fotactl update` did, for fotactl_json_write(). */
struct fotactl_outcome {
    int exit_code;                    /**< fotactl's exit code (0..5) */
    int rc;                           /**< fh_update()'s return (0 or a FOTA_E* code) */
    int sent;                         /**< 1 if fh_update() ran (the image was not refused locally) */
    int forced_short;                 /**< 1 if --force sent an image shorter than its header says */
    const char *image;                /**< the IMG operand */
    const char *message;              /**< one line: why it failed or was refused, or fh_update's message */
    uint32_t image_bytes;             /**< bytes of IMG (what fotactl sends) */
    uint32_t duration_ms;             /**< host wall-clock ms of fh_update() (fh_now_ms) */
    const struct fh_update_result *res; /**< NULL when not sent */
};

/**
 * Write @p o as one JSON object to @p path (replaced; jansson):
 * `{"exit", "result": "ok"|"failed"|"refused", "error": "E..."|null,
 * "message", "image", "image_bytes", "forced_short", "frames_sent",
 * "retransmits", "nacks", "timeouts", "bad_frames", "stray",
 * "bytes_sent", "bytes_received", "data_bytes", "resumed_at": N|null
 * (null: a fresh transfer, or no BEGIN answered), "fresh", "restarts",
 * "duration_ms"}` (docs/SCENARIOS.md "update" lists the fields and units).
 * @return 0; FOTA_EIO (cannot write @p path); FOTA_ENOMEM.
 */
int fotactl_json_write(const char *path, const struct fotactl_outcome *o);

#endif /* FOTACTL_JSON_H */
