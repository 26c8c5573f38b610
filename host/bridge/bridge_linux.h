/**
 * @file bridge_linux.h
 * @brief Linux implementations of the bridge's ports (bridge.h): libcurl
 * HTTP, a monotonic clock, a staging directory, a state file, JSON status
 * on MQTT (libmosquitto + jansson), delivery with libfotahost.
 */
#ifndef FOTA_BRIDGE_LINUX_H
#define FOTA_BRIDGE_LINUX_H

#include "bridge.h"
#include "fotahost/link.h"

/* ---- HTTP (http_curl.c) ---- */

/** libcurl client state. */
struct fb_curl {
    void *easy;                 /**< CURL * */
    uint32_t connect_timeout_ms;
    uint32_t stall_ms;          /**< abort when no byte arrives for this long (FOTA_ETIMEOUT) */
};
extern const struct fb_http_ops fb_curl_ops;
/** @return 0; FOTA_ENOMEM (curl_easy_init failed). */
int fb_curl_open(struct fb_curl *c, struct fh_msg *m);
void fb_curl_close(struct fb_curl *c);

/* ---- clock (clock_linux.c): CLOCK_MONOTONIC, nanosleep; ctx unused ---- */
extern const struct fb_clock_ops fb_clock_linux_ops;

/* ---- staging and state files (stage_linux.c, store_linux.c) ---- */

/** A state directory: DIR/image.part (partial), DIR/image.bin (verified), DIR/state. */
struct fb_dir {
    char dir[512];
};
extern const struct fb_stage_ops fb_stage_linux_ops;
extern const struct fb_store_ops fb_store_linux_ops;
/** Use (and create, mode 0700) the directory @p dir. @return 0; FOTA_EINVAL (too long); FOTA_EIO. */
int fb_dir_open(struct fb_dir *d, const char *dir, struct fh_msg *m);

/**
 * Replace @p path atomically and durably: mkstemp() in the same
 * directory, write, fsync, rename over @p path, fsync the directory.
 * @return 0; FOTA_EINVAL (path too long); FOTA_EIO (message has strerror).
 */
int fb_file_replace(const char *path, const void *buf, size_t len, struct fh_msg *m);

/* ---- status JSON (status_json.c) ---- */

/**
 * The status as one JSON object (docs/BRIDGE.md):
 * {"state":"downloading","progress":42,"version":"1.2.3","etag":"\"abc\"","error":""};
 * version, etag and error are null when empty.
 * @return a malloc()ed NUL-terminated string, NULL when out of memory.
 */
char *fb_status_json(const struct fb_status *s);

/* ---- MQTT (mqtt_mosq.c) ---- */

/** An MQTT session: status publisher (retained, QoS 0, the last one sent again after a reconnect) and trigger subscriber. */
struct fb_mqtt {
    void *mosq;                 /**< struct mosquitto * */
    char status_topic[256];
    char trigger_topic[256];    /**< "" for none */
    struct fb *bridge;          /**< gets fb_trigger() on a trigger message */
    uint32_t n_triggers;
    uint32_t n_published;
    bool connected;
    bool subscribed;            /**< the broker acknowledged the trigger subscription */
    char last[1024];            /**< the last status JSON */
    bool pending;               /**< last not known to have reached the broker: sent on (re)connect */
};
extern const struct fb_status_ops fb_mqtt_status_ops;
/**
 * Connect to @p host : @p port (blocking), subscribe to @p trigger_topic
 * (NULL: none) at QoS 1. Call fb_mqtt_loop() to process traffic.
 * @return 0; FOTA_EINVAL (topic too long); FOTA_ECONN (connect failed); FOTA_ENOMEM.
 */
int fb_mqtt_open(struct fb_mqtt *q, const char *id, const char *host, int port, const char *status_topic,
                 const char *trigger_topic, struct fh_msg *m);
/**
 * Process network traffic for up to @p timeout_ms. If the broker went
 * away, reconnect; on every (re)connect the trigger subscription and the
 * last status (a report made while disconnected is otherwise lost) are
 * sent again. @return 0; FOTA_ECONN (still no broker).
 */
int fb_mqtt_loop(struct fb_mqtt *q, uint32_t timeout_ms);

/**
 * Process traffic until the broker acknowledged the trigger subscription
 * (at once without a trigger topic), at most @p max_ms of wall time: the
 * daemon's start-up, so that the statuses of its first check go out one
 * by one (they are held back, and only the last one sent, until then).
 * @return true if subscribed (or no trigger topic).
 */
bool fb_mqtt_wait_subscribed(struct fb_mqtt *q, uint32_t max_ms);
void fb_mqtt_close(struct fb_mqtt *q);

/* ---- delivery (deliver_fotahost.c) ---- */

/** How the image reaches the device. */
enum fb_via {
    FB_VIA_PROTO = 0,           /**< the fota-hil bootloader protocol (fh_update) */
    FB_VIA_AN3155,              /**< ST ROM over USART, BOOT0/NRST via bootctl */
    FB_VIA_AN4286,              /**< ST ROM over SPI */
    FB_VIA_AN4221,              /**< ST ROM over I2C (port i2c-emu:PORT or i2c-dev:/dev/i2c-N) */
};

/** Delivery settings and the link factory. */
struct fb_deliver {
    enum fb_via via;
    const char *port;           /**< fh_link_open() spec */
    uint32_t baud;
    const char *bootctl;        /**< fh_bootctl_open() spec for the ROM paths ("none") */
    /** Opens the link (default: fh_link_open(port, baud)); tests hand in a fake. */
    int (*open_link)(struct fb_deliver *d, struct fh_link **l, struct fh_msg *m);
    void *open_ctx;
    uint32_t timeout_ms;        /**< fh_update_opts.timeout_ms, 0: default */
};
extern const struct fb_deliver_ops fb_deliver_fotahost_ops;

#endif /* FOTA_BRIDGE_LINUX_H */
