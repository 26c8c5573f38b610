/**
 * @file update.h
 * @brief The update protocol master (fota/proto.h): HELLO, ENTER_UPDATE,
 * BEGIN with resume, stop-and-wait DATA, END.
 *
 * Stop-and-wait: one request in flight. A retransmission reuses the
 * request's seq, so a late response to an earlier copy still counts; a
 * response whose seq or type does not match the outstanding request is
 * ignored (counted in stats.stray). Retransmit on PROTO_T_NACK, on a
 * response with a bad CRC, and on response timeout, at most
 * fh_update_opts.retries times per request.
 *
 * Resume (docs/ARCHITECTURE.md "Resume"): BEGIN without FRESH; the target
 * answers resume_offset R and the CRC-32 of image bytes [0, R) as stored.
 * The master continues at R only if that equals its own CRC of [0, R),
 * otherwise it sends BEGIN with PROTO_BEGIN_F_FRESH. So a second
 * fh_update() after a dropped link or a power cut continues where the
 * target's flash says it stopped. The final END verification (by the
 * target) is authoritative.
 *
 * Portable: uses only struct fh_link ops and fh_now_ms().
 */
#ifndef FOTAHOST_UPDATE_H
#define FOTAHOST_UPDATE_H

#include <stddef.h>
#include <stdint.h>
#include "fota/proto.h"
#include "fotahost/common.h"
#include "fotahost/link.h"

/** Defaults for struct fh_update_opts (fh_update_opts_init()). */
#define FH_DEFAULT_TIMEOUT_MS        1000u  /**< response timeout per request */
#define FH_DEFAULT_RETRIES           8u     /**< retransmissions per request */
#define FH_DEFAULT_HELLO_TIMEOUT_MS  100u   /**< one HELLO try */
#define FH_DEFAULT_HELLO_TRIES       50u    /**< 50 x 100 ms: 5 s for the target to come up */
#define FH_DEFAULT_ENTER_TIMEOUT_MS  10000u /**< app -> bootloader after ENTER_UPDATE */
#define FH_DEFAULT_LONG_TIMEOUT_MS   10000u /**< BEGIN (erases up to 3 x 128 KB sectors, ~2 s each on an F4) and END (verifies 384 KB) */

/** Why fh_update() stopped: who said no. */
enum fh_origin {
    FH_ORIGIN_NONE = 0,    /**< success */
    FH_ORIGIN_LOCAL = 1,   /**< the master refused (bad image, slot mismatch, bad argument) */
    FH_ORIGIN_LINK = 2,    /**< link error, timeout, retry budget spent, protocol violation */
    FH_ORIGIN_TARGET = 3,  /**< the target answered a non-zero status */
};

struct fh_update_opts {
    uint32_t timeout_ms;        /**< response timeout per request, ms (> 0) */
    uint32_t retries;           /**< retransmissions per request after the first send */
    uint32_t hello_timeout_ms;  /**< wait per HELLO try, ms */
    uint32_t hello_tries;       /**< HELLO attempts before FOTA_ETIMEOUT */
    uint32_t enter_timeout_ms;  /**< ms to wait for the bootloader after ENTER_UPDATE */
    uint32_t long_timeout_ms;   /**< response timeout for BEGIN and END, ms */
    int force;                  /**< send even if the target updates another slot than the image's */
    int fresh;                  /**< never resume: first BEGIN already has PROTO_BEGIN_F_FRESH */
    int background;             /**< an application that answers HELLO gets BEGIN/DATA/END itself, no
                                     ENTER_UPDATE: it writes its inactive slot while it runs
                                     (docs/ARCHITECTURE.md "Background update") */
    /** Optional: called after every acknowledged DATA (and once at start), bytes. */
    void (*progress)(void *ctx, uint32_t done, uint32_t total);
    void *progress_ctx;
    /** Optional: one line of protocol trace (no newline), for -v. */
    void (*trace)(void *ctx, const char *line);
    void *trace_ctx;
};

/** Counters, accumulated over one call. */
struct fh_update_stats {
    uint32_t frames_sent;     /**< requests written, retransmissions included */
    uint32_t frames_received; /**< good response frames read (stray included) */
    uint32_t retransmits;     /**< requests written again */
    uint32_t nacks;           /**< PROTO_T_NACK received */
    uint32_t timeouts;        /**< response waits that expired */
    uint32_t bad_frames;      /**< response frames with a bad CRC or too long */
    uint32_t stray;           /**< good frames that were not the awaited response */
    uint32_t bytes_sent;      /**< bytes written to the link (framing included) */
    uint32_t bytes_received;  /**< bytes read from the link */
    uint32_t data_bytes;      /**< image bytes acknowledged by DATA responses */
    uint32_t resume_offset;   /**< where this run started sending DATA, bytes */
    uint32_t fresh;           /**< 1 if BEGIN FRESH was sent */
    uint32_t begun;           /**< 1 once a BEGIN was answered OK (resume_offset is then set) */
    uint32_t restarts;        /**< returns to the bootloader after an application answered BEGIN/DATA/END */
};

/** A HELLO response (fota/proto.h). */
struct fh_hello {
    uint8_t  proto_version;
    uint8_t  role;            /**< enum proto_role */
    uint8_t  active_slot;     /**< LAYOUT_SLOT_A/B or META_NO_SLOT */
    uint32_t active_version;  /**< IMAGE_VERSION() form */
    uint8_t  target_slot;     /**< slot an update goes to */
    uint16_t max_data;        /**< largest DATA payload the target takes, bytes */
    uint32_t slot_size;       /**< bytes */
};

/** What went wrong (or right) in detail. */
struct fh_update_result {
    enum fh_origin origin;    /**< who stopped the update */
    int target_status;        /**< FH_ORIGIN_TARGET: the status byte the target sent */
    uint8_t failed_type;      /**< request type that failed (PROTO_T_*), 0 if none */
    struct fh_hello hello;    /**< the bootloader's HELLO (valid once reached) */
    struct fh_update_stats stats;
    struct fh_msg msg;        /**< one line: what failed, with names and numbers */
};

/** Fill @p o with the FH_DEFAULT_* values, no callbacks, force/fresh off. */
void fh_update_opts_init(struct fh_update_opts *o);

/**
 * Say HELLO until answered (opts->hello_tries tries of
 * opts->hello_timeout_ms each: the target drops bytes sent before its
 * USART is up).
 * @param l     the link
 * @param o     options (NULL: defaults)
 * @param out   receives the HELLO response
 * @param res   optional: stats and message
 * @return 0; FOTA_ETIMEOUT (no answer); FOTA_ECONN / FOTA_EIO (link);
 *         FOTA_EPROTO (short or malformed response); FOTA_EVERSION
 *         (proto_version != PROTO_VERSION); the target's status if non-zero.
 */
int fh_hello(struct fh_link *l, const struct fh_update_opts *o, struct fh_hello *out,
             struct fh_update_result *res);

/**
 * Run a whole update of @p img (header + payload, as fh_image_pack() made
 * it, checked by the caller with fh_image_inspect()).
 *
 * Steps: HELLO; if the role is PROTO_ROLE_APP, ENTER_UPDATE and HELLO
 * again until the bootloader answers (opts->enter_timeout_ms), unless
 * opts->background (then the application is sent BEGIN/DATA/END); refuse
 * (FOTA_ESLOT, FH_ORIGIN_LOCAL) if the target has an active slot and its
 * target slot is not the image's slot, unless opts->force (with no active
 * slot the bootloader takes the image's own slot); refuse (FOTA_ESIZE) an image larger than the
 * target's slot_size; BEGIN (resume or FRESH); DATA from the resume offset
 * in chunks of min(max_data, PROTO_MAX_DATA) bytes, following the
 * target's next_offset; END.
 *
 * Lost answers: if BEGIN, DATA or END goes unanswered (timeouts, NACKs) or
 * is refused FOTA_EBUSY and a HELLO then shows an application (the
 * bootloader's update-mode idle timeout ran out, or it reset), go back
 * through ENTER_UPDATE and BEGIN without FRESH (the prefix CRC decides
 * what is resumed), at most twice (stats.restarts). If END goes
 * unanswered or is refused EBUSY and the application answering HELLO runs
 * the image's version from the image's slot, END succeeded and its answer
 * was lost: 0, with a message saying the device runs the new image in
 * trial.
 *
 * @param l        the link
 * @param img      image bytes, @p img_len of them (IMAGE_HEADER_SIZE + ih_size)
 * @param o        options (NULL: defaults)
 * @param res      receives origin, status, stats, HELLO and a message (required)
 * @return 0 (END answered OK: the target will try the image at next boot;
 *         or END's answer was lost and the new image runs in trial);
 *         FOTA_EINVAL (NULL/short image, FH_ORIGIN_LOCAL); FOTA_ESLOT /
 *         FOTA_ESIZE (local refusal, FH_ORIGIN_LOCAL); FOTA_ETIMEOUT (retry
 *         budget spent), FOTA_ECONN, FOTA_EIO, FOTA_EPROTO, FOTA_EVERSION
 *         (FH_ORIGIN_LINK); any status the target answers, e.g.
 *         FOTA_ESLOT, FOTA_EVERSION (downgrade), FOTA_ESHA, FOTA_EFLASH
 *         (FH_ORIGIN_TARGET).
 */
int fh_update(struct fh_link *l, const uint8_t *img, size_t img_len,
              const struct fh_update_opts *o, struct fh_update_result *res);

/** @return "bootloader", "app" or "?" for an enum proto_role value. */
const char *fh_role_name(uint8_t role);

#endif /* FOTAHOST_UPDATE_H */
