/**
 * @file bridge_env.h
 * @brief The bridge's world in one scenario case (issue 12 item 2,
 * docs/SCENARIOS.md "Bridge steps"): lighttpd and mosquitto in the
 * case's work directory (link/netsrv.h), the MQTT status watcher
 * subscribed from the moment they start (link/mqtt_watch.h), the
 * network fault proxy in front of one of them for a bridge run
 * (link/netfault.h), fota-bridge's command line, and the check of the
 * status messages an `expect_mqtt` step asks for. The runner owns the
 * bridge process (it is the case's updater: its link, the hold, the
 * ROM's boot.sock, the power cuts); this module owns everything else
 * and stops it whatever the verdict (hil_benv_stop).
 */
#ifndef HIL_BRIDGE_ENV_H
#define HIL_BRIDGE_ENV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "link/mqtt_watch.h"
#include "link/netfault.h"
#include "link/netsrv.h"
#include "scenario/scenario.h"

#define HIL_BRIDGE_STATUS_TOPIC  "fota/status"
#define HIL_BRIDGE_TRIGGER_TOPIC "fota/trigger"
#define HIL_BRIDGE_ARGV_MAX      64

struct hil_benv {
    bool up;                      /**< the servers run */
    struct hil_srv http, mqtt;
    struct hil_mqw watch;
    struct hil_nf_proxy nf;       /**< a bridge run's netfault proxy */
    bool nf_up;
    enum hil_nf_on nf_on;
    char name[128];               /**< the image's name on the server (the bridge's URL) */
    char nf_image[PATH_MAX];      /**< etag_change: published before connection nf_conn */
    uint32_t nf_conn;
    bool nf_published;            /**< the etag_change fired */
    char nf_err[256];             /**< its publish error, "" if none */
    char dir[PATH_MAX];           /**< WORKDIR/bridge: the bridge's state_dir */
    uint32_t cursor;              /**< first message the next expect_mqtt checks (states, absent) */
    char argv_buf[HIL_BRIDGE_ARGV_MAX][PATH_MAX + 64];
};

/**
 * Start lighttpd and mosquitto with configs and logs in @p workdir/http
 * and @p workdir/mqtt, and the status watcher on the broker.
 * @return 0; FOTA_EBUSY (already up); FOTA_EIO (a server or the watcher
 *         did not start: @p err says which, with the server's log).
 */
int hil_benv_servers_start(struct hil_benv *e, const char *workdir, char *err, size_t errlen);

/**
 * Publish file @p image as @p name (NULL: HIL_BRIDGE_IMAGE_NAME): a new
 * ETag. The bridge started later watches the name published last.
 * @return 0; FOTA_EBUSY (no servers); FOTA_EIO.
 */
int hil_benv_publish(struct hil_benv *e, const char *name, const char *image, char *err, size_t errlen);

/** Publish @p payload (NULL: "check") on the trigger topic. @return 0; FOTA_EBUSY (no servers); FOTA_EIO. */
int hil_benv_trigger(struct hil_benv *e, const char *payload);

/**
 * fota-bridge's argv for `bridge: start` @p b into @p argv
 * (HIL_BRIDGE_ARGV_MAX entries, NULL-terminated; strings in @p e), and
 * its netfault proxy started when @p b has one: the URL of the image
 * published last, state_dir @p workdir/bridge, the device spec
 * @p device, via and @p bootctl (NULL: none), the broker, and the
 * scenario defaults (poll 1 s, backoff 200 ms..2 s, stall 10 s), then
 * the step's args (the bridge takes the last of a key).
 * @return argc; FOTA_EBUSY (no servers); FOTA_EIO (the proxy, the state
 *         directory; @p err says which); FOTA_EINVAL (too many args).
 */
int hil_benv_bridge_argv(struct hil_benv *e, const struct hil_bridge_step *b, const char *exe, const char *workdir,
                         const char *device, const char *bootctl, char **argv, char *err, size_t errlen);

/**
 * The bridge run ended: stop its netfault proxy, its counts into @p what
 * ("" if there was none).
 * @return whether its fault acted (a connection faulted; etag_change:
 *         the image was published); true without a proxy.
 */
bool hil_benv_bridge_ended(struct hil_benv *e, char *what, size_t len);

/** Verdict of hil_benv_mqtt_check(). */
enum hil_mqtt_verdict { HIL_MQTT_WAIT = 0, HIL_MQTT_OK = 1, HIL_MQTT_BAD = 2 };

/**
 * Check `expect_mqtt` @p m against the messages so far: OK when the
 * newest message of all has m->state (and m->version), m->states appear
 * in order among the messages since the last OK (repeats collapsed) and
 * no such message has m->absent; BAD at once when an `absent` state came,
 * or when the newest reached m->state but the order does not hold; else
 * WAIT. On OK the cursor moves past the messages seen.
 * @param got receives the state sequence seen (and what is wrong)
 */
enum hil_mqtt_verdict hil_benv_mqtt_check(struct hil_benv *e, const struct hil_expect_mqtt *m, char *got,
                                          size_t gotlen);

/** Stop the watcher, the proxy and the servers (their directories stay). Safe when nothing runs. */
void hil_benv_stop(struct hil_benv *e);

#endif /* HIL_BRIDGE_ENV_H */
