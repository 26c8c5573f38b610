/**
 * @file update.h
 * @brief The bootloader's update receiver ("update mode"), the target side
 * of the protocol in proto.h (bootloader/core/update.c).
 *
 * The target slot is the slot that is not mr_active; with no active slot,
 * the slot the image is linked for (HELLO then reports slot A as the
 * suggestion). BEGIN makes the target slot EMPTY in the metadata before
 * the first byte of it changes; END verifies the stored image and commits
 * it PENDING. Every DATA payload is programmed with exactly one
 * port_flash_program() call.
 */
#ifndef FOTA_UPDATE_H
#define FOTA_UPDATE_H

#include <stdint.h>
#include "fota/image.h"
#include "fota/meta.h"
#include "fota/port.h"
#include "fota/proto.h"

/** Update mode with a valid active image reboots after this long without a frame, ms. */
#define UPDATE_IDLE_TIMEOUT_MS 10000u
/** Longest single port_link_read() wait in update mode, ms. */
#define UPDATE_POLL_MS         100u
/**
 * IWDG period update mode runs under, ms (RM0090 21.3; at most 32000). It
 * catches a hung update mode (a link or flash wait that never ends); the
 * loop refreshes it after each idle poll, every UPDATE_WATCHDOG_REFRESH_READS
 * link reads that brought bytes, and before each sector erase (a 128 KB
 * erase takes up to about 2 s, RM0090 3.6.3 / datasheet).
 */
#define UPDATE_WATCHDOG_MS     16000u
/** Link reads with bytes (up to 64 each) between two watchdog refreshes. */
#define UPDATE_WATCHDOG_REFRESH_READS 16u

/** Receiver state. Lives in bootloader RAM; ~1.7 KB. */
struct update_ctx {
    struct meta_record rec;     /**< current metadata (valid if has_meta) */
    struct image_header hdr;    /**< header of the transfer in progress (from BEGIN) */
    struct proto_parser parser; /**< request parser */
    uint32_t image_size;        /**< header + payload bytes of the transfer */
    uint32_t next;              /**< first image byte still missing */
    uint32_t last_frame_ms;     /**< port_ticks_ms() of the last frame with a good CRC */
    uint32_t reads_since_refresh; /**< link reads with bytes since the last watchdog refresh */
    uint8_t  has_meta;          /**< rec is valid */
    uint8_t  active;            /**< mr_active, or META_NO_SLOT */
    uint8_t  target;            /**< slot of the transfer in progress */
    uint8_t  in_progress;       /**< a BEGIN was accepted and no END/ABORT since */
    uint8_t  timeout_enabled;   /**< a valid active image exists: idle timeout applies */
};

/** A response to send: type, seq, payload. */
struct update_rsp {
    uint8_t  type;              /**< request type | PROTO_T_RSP */
    uint8_t  seq;               /**< echoes the request */
    uint16_t len;               /**< payload bytes */
    uint8_t  payload[PROTO_HELLO_RSP_LEN]; /**< status byte first */
    uint8_t  reset;             /**< nonzero: reset after sending (END ok, RESET) */
};

/**
 * Prepare @p u for update mode.
 * @param rec       current metadata, or NULL in factory state (no record)
 * @param active_ok nonzero if the active slot holds a verified, confirmed
 *                  image: enables the UPDATE_IDLE_TIMEOUT_MS timeout
 */
void update_init(struct update_ctx *u, const struct meta_record *rec, int active_ok);

/** @return the slot an update goes to now (HELLO's target_slot): not mr_active; A if no active slot. */
uint8_t update_target_slot(const struct update_ctx *u);

/**
 * Handle one request frame with a good CRC and build its response. May
 * erase and program flash and commit metadata.
 * @param req  the request (proto_parser frame)
 * @param rsp  receives the response; rsp->reset says to reset after it is sent
 * @return the status byte put into the response: 0; FOTA_EINVAL (bad
 *         payload length); FOTA_EPROTO (DATA/END without BEGIN, DATA at a
 *         gap, stored header differs from BEGIN's); FOTA_ERANGE (DATA past
 *         the image end); FOTA_ESIZE (DATA longer than PROTO_MAX_DATA, END
 *         before all bytes arrived); FOTA_EVERSION (downgrade below
 *         meta_version_floor()); errors of image_check_header() (BEGIN) and
 *         image_verify() (END); FOTA_EFLASH / FOTA_ELOCKED / FOTA_ERANGE
 *         from the port; errors of meta_commit(); FOTA_ENOTSUP (unknown
 *         request type).
 */
int update_handle(struct update_ctx *u, const struct proto_frame *req, struct update_rsp *rsp);

/**
 * Serve update mode on the link: start the IWDG (UPDATE_WATCHDOG_MS) and
 * refresh it while the loop runs, parse frames, answer (PROTO_T_NACK with
 * FOTA_ECRC on a bad CRC, FOTA_ESIZE on an overlong frame), reset after END
 * succeeded or RESET, or after UPDATE_IDLE_TIMEOUT_MS without a frame with
 * a good CRC when u->timeout_enabled ("BL: update timeout, rebooting"; bad
 * frames do not restart the timer). Never returns.
 */
PORT_NORETURN void update_run(struct update_ctx *u);

#endif /* FOTA_UPDATE_H */
