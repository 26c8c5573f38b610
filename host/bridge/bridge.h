/**
 * @file bridge.h
 * @brief The FOTA bridge's update logic (issue 12 item 1): watch an HTTP
 * URL by ETag (RFC 9110 8.8.3, 13.1.2 If-None-Match) or an MQTT trigger,
 * download the image in chunks with Range resume (RFC 9110 14.2, 13.1.5
 * If-Range), verify it with libfotahost's image API, and only then deliver
 * it to the device; report state and progress on every change.
 *
 * Portable C11: every contact with the outside world goes through one of
 * the small operation structs below (HTTP, clock, staging storage,
 * persistent state, status reporting, delivery), so the same logic runs
 * on an ESP32 with esp_http_client / NVS / a flash partition / esp-mqtt /
 * a UART driver behind them. The Linux implementations live in
 * host/bridge/ (clock_linux.c, stage_linux.c, store_linux.c, http_curl.c, mqtt_mosq.c, deliver_fotahost.c).
 *
 * State machine (struct fb.state):
 *   idle -> checking -> downloading -> verifying -> delivering -> done
 *   any step -> failed (error says why); checking -> idle/done on 304.
 * Persisted between runs (struct fb_persist): the ETag and offset of a
 * partial download (resumed with Range + If-Range), the phase (a bridge
 * restarted while delivering delivers the staged image again, and the
 * device's BEGIN resume check decides what of its slot is kept), and the
 * ETag of the last image handled (sent as If-None-Match).
 *
 * Every function returns 0 or an enum fota_err (fota/errors.h).
 */
#ifndef FOTA_BRIDGE_H
#define FOTA_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fotahost/common.h"

/** Longest ETag kept, bytes including the quotes and the NUL. */
#define FB_ETAG_MAX 128u
/** Longest error text in a status report, bytes including the NUL. */
#define FB_ERROR_MAX FH_MSG_MAX

/** One HTTP response as far as it is known (headers before the body). */
struct fb_http_rsp {
    int status;                 /**< HTTP status code, 0 before a status line */
    char etag[FB_ETAG_MAX];     /**< ETag header as sent (quotes kept), "" if none */
    bool has_length;            /**< Content-Length seen */
    uint64_t content_length;    /**< body bytes announced */
    bool has_range;             /**< Content-Range "bytes A-B/T" seen (206) */
    uint64_t range_start;       /**< A */
    uint64_t total;             /**< T: the whole representation's size */
    uint64_t body_bytes;        /**< body bytes handed to the sink */
};

/**
 * Receives body bytes of a 200 or 206 response, in order; @p rsp holds
 * every header. A non-zero return aborts the transfer and becomes the
 * get()'s return value.
 */
typedef int (*fb_http_sink)(void *ctx, const struct fb_http_rsp *rsp, const uint8_t *data, size_t len);

/** One conditional, optionally ranged GET. */
struct fb_http_req {
    const char *url;
    const char *if_none_match;  /**< ETag for If-None-Match, or NULL */
    const char *if_range;       /**< ETag for If-Range (with a range), or NULL */
    bool has_range;             /**< send Range: bytes=range_from-range_last */
    uint64_t range_from;
    uint64_t range_last;        /**< inclusive */
    fb_http_sink sink;
    void *sink_ctx;
};

/** HTTP client (Linux: libcurl, http_curl.c; ESP32: esp_http_client). */
struct fb_http_ops {
    /**
     * Perform @p req; fill @p rsp (zeroed first). Bodies of other statuses
     * than 200/206 are discarded.
     * @return 0 (a complete response of any status); FOTA_ECONN (no
     *         connection, or it dropped before the announced body ended:
     *         @p rsp says how far it got); FOTA_ETIMEOUT (stalled past the
     *         client's timeout); FOTA_EIO (other client error); or the
     *         sink's return value.
     */
    int (*get)(void *ctx, const struct fb_http_req *req, struct fb_http_rsp *rsp, struct fh_msg *m);
};

/** Clock (Linux: CLOCK_MONOTONIC + nanosleep; tests: a fake that only moves when told). */
struct fb_clock_ops {
    uint64_t (*now_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, uint32_t ms);
};

/**
 * Staging storage for the image (Linux: stage_linux.c, a .part file
 * written with pwrite and fsync, the verified image renamed into place
 * atomically; ESP32: the OTA partition of the bridge's own flash).
 */
struct fb_stage_ops {
    /** Forget any partial image. @return 0; FOTA_EIO. */
    int (*reset)(void *ctx, struct fh_msg *m);
    /** Store @p n bytes at byte @p off of the partial image. @return 0; FOTA_EIO. */
    int (*write)(void *ctx, uint64_t off, const uint8_t *d, size_t n, struct fh_msg *m);
    /** Make every byte written so far durable. @return 0; FOTA_EIO. */
    int (*sync)(void *ctx, struct fh_msg *m);
    /** Read the first @p len bytes of the partial image into a malloc()ed buffer.
     *  @return 0; FOTA_EIO; FOTA_ESIZE (fewer bytes stored); FOTA_ENOMEM. */
    int (*load)(void *ctx, size_t len, uint8_t **buf, struct fh_msg *m);
    /** Store the verified image as the one to deliver (atomically) and drop the
     *  partial one. @return 0; FOTA_EIO. */
    int (*commit)(void *ctx, const uint8_t *img, size_t len, struct fh_msg *m);
    /** Read the committed image (malloc()ed). @return 0; FOTA_EIO; FOTA_ENOENT; FOTA_ENOMEM. */
    int (*load_committed)(void *ctx, uint8_t **buf, size_t *len, struct fh_msg *m);
};

/** Where a persisted download stands. NOTE: stored as these numbers; never renumber. */
enum fb_phase {
    FB_PHASE_IDLE = 0,          /**< nothing in progress */
    FB_PHASE_DOWNLOADING = 1,   /**< etag/offset/total describe a partial image */
    FB_PHASE_DELIVERING = 2,    /**< a verified image is committed; deliver it */
};

/** State that survives a bridge restart. */
struct fb_persist {
    uint32_t phase;                 /**< enum fb_phase */
    char etag[FB_ETAG_MAX];         /**< ETag of the image being downloaded/delivered */
    uint64_t offset;                /**< bytes of it durably staged */
    uint64_t total;                 /**< its size, 0 if not known yet */
    char last_etag[FB_ETAG_MAX];    /**< ETag of the last image handled (If-None-Match) */
    int last_rc;                    /**< how it ended: 0 delivered, else the error */
    uint32_t version;               /**< IMAGE_VERSION() of the last image delivered */
};

/** Persistent state (Linux: store_linux.c, a text file replaced atomically; ESP32: NVS). */
struct fb_store_ops {
    /** @return 0 (state loaded, or zeroed when none is stored); FOTA_EIO; FOTA_EINVAL (corrupt). */
    int (*load)(void *ctx, struct fb_persist *p, struct fh_msg *m);
    /** Store @p p durably. @return 0; FOTA_EIO. */
    int (*save)(void *ctx, const struct fb_persist *p, struct fh_msg *m);
};

/** Bridge states, as reported. NOTE: the names are the JSON "state" values (docs/BRIDGE.md). */
enum fb_state {
    FB_IDLE = 0,
    FB_CHECKING,
    FB_DOWNLOADING,
    FB_VERIFYING,
    FB_DELIVERING,
    FB_DONE,
    FB_FAILED,
};

/** One status report. */
struct fb_status {
    enum fb_state state;
    uint32_t progress;              /**< percent 0..100 of the current step */
    char version[16];               /**< "x.y.z" of the image concerned, "" if unknown */
    char etag[FB_ETAG_MAX];         /**< its ETag, "" if none */
    char error[FB_ERROR_MAX];       /**< "" unless state is failed (or a retry is pending) */
};

/** Status reporting (Linux: JSON on a retained MQTT topic, mqtt_mosq.c). */
struct fb_status_ops {
    /** Publish @p s. Errors are the reporter's to log; the update goes on. */
    void (*publish)(void *ctx, const struct fb_status *s);
};

/** Progress of a delivery, bytes. */
typedef void (*fb_progress_fn)(void *ctx, uint32_t done, uint32_t total);

/**
 * Delivery to the device (Linux: deliver_fotahost.c, libfotahost's update
 * master over UART/SPI/TCP, or the ROM masters with BOOT0/NRST).
 */
struct fb_deliver_ops {
    /**
     * Deliver the verified image. Must never erase the device's slot
     * without its resume check (fota/proto.h BEGIN without FRESH).
     * @return 0 (the device accepted it); any enum fota_err of the master.
     */
    int (*deliver)(void *ctx, const uint8_t *img, size_t len, fb_progress_fn progress, void *pctx,
                   struct fh_msg *m);
};

/** Everything the logic talks to. Every ops pointer is required. */
struct fb_ports {
    const struct fb_http_ops *http;
    void *http_ctx;
    const struct fb_clock_ops *clock;
    void *clock_ctx;
    const struct fb_stage_ops *stage;
    void *stage_ctx;
    const struct fb_store_ops *store;
    void *store_ctx;
    const struct fb_status_ops *status;
    void *status_ctx;
    const struct fb_deliver_ops *deliver;
    void *deliver_ctx;
};

/** Behaviour; fb_config_init() gives the defaults. */
struct fb_config {
    const char *url;            /**< image URL (required: a trigger fetches it too) */
    uint32_t chunk_size;        /**< bytes per ranged GET (> 0) */
    uint64_t max_size;          /**< refuse larger images, bytes */
    uint32_t poll_ms;           /**< between polls; 0: poll only on a trigger */
    uint32_t backoff_min_ms;    /**< first wait after a 5xx / network error */
    uint32_t backoff_max_ms;    /**< cap of the doubling */
    uint32_t retries;           /**< extra GETs after a drop within one check */
};

#define FB_DEFAULT_CHUNK      (64u * 1024u)
#define FB_DEFAULT_POLL_MS    60000u
#define FB_DEFAULT_BACKOFF_MIN_MS 1000u
#define FB_DEFAULT_BACKOFF_MAX_MS 300000u
#define FB_DEFAULT_RETRIES    5u

/** The bridge. Fields are read-only for callers (tests read the counters; a test may set
 *  next_check_ms to start in the waiting state). */
struct fb {
    struct fb_config cfg;
    struct fb_ports p;
    struct fb_persist st;
    struct fb_status last;      /**< last status published */
    bool published;             /**< last is valid */
    bool triggered;             /**< fb_trigger() since the last check */
    uint64_t next_check_ms;     /**< clock time of the next poll */
    uint32_t backoff_ms;        /**< current backoff, 0 when none */
    struct fh_msg msg;          /**< what the last failure was */
    uint32_t cur_version;       /**< IMAGE_VERSION() of the image in hand, 0 before verification */
    /* counters */
    uint32_t n_get;             /**< GETs sent */
    uint32_t n_drops;           /**< GETs that ended early (ECONN/ETIMEOUT) */
    uint32_t n_etag_restarts;   /**< downloads restarted from zero by a new ETag */
    uint32_t n_delivered;       /**< deliveries that succeeded */
};

/** Fill @p c with the FB_DEFAULT_* values; url NULL, max_size FH_IMAGE_MAX_SIZE. */
void fb_config_init(struct fb_config *c);

/**
 * Set up @p b and load the persisted state. Publishes nothing (the broker's
 * retained last state stays what it was until something changes).
 * @return 0; FOTA_EINVAL (missing url or ops, chunk_size 0); the store's
 *         load errors (a corrupt state file: FOTA_EINVAL, in @p m).
 */
int fb_init(struct fb *b, const struct fb_config *c, const struct fb_ports *p, struct fh_msg *m);

/** Ask for a check now (an MQTT trigger arrived). */
void fb_trigger(struct fb *b);

/** @return whether a check is due: a trigger, or the clock reached next_check_ms. */
bool fb_due(const struct fb *b);

/**
 * One check: deliver a committed image left by an earlier run, else GET
 * with If-None-Match; on a new ETag download (ranged, resumed), verify,
 * commit and deliver. Sets next_check_ms (poll_ms, or the backoff after a
 * 5xx / network error / failed delivery).
 * @return 0 (nothing new, or delivered); FOTA_ENOENT (404); FOTA_EIO
 *         (5xx or another status, network error after the retries);
 *         FOTA_ESIZE (over max_size); image errors of fh_image_inspect();
 *         the delivery's error. The state and message say the same.
 */
int fb_check(struct fb *b);

/** @return the JSON/state name of @p s ("idle", "checking", ...). */
const char *fb_state_name(enum fb_state s);

#endif /* FOTA_BRIDGE_H */
