/**
 * @file mqtt_watch.h
 * @brief The harness's MQTT client for bridge scenarios (issue 12 item
 * 2): subscribed to the bridge's status topic from the moment the
 * servers start, it keeps every message (libmosquitto's network thread
 * adds them under a lock) for `expect_mqtt`, and publishes
 * `mqtt_trigger` messages.
 */
#ifndef HIL_MQTT_WATCH_H
#define HIL_MQTT_WATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIL_MQW_MAX 512u        /**< messages kept; later ones are counted, not kept */
#define HIL_MQW_LEN 512u        /**< bytes of a message kept (the rest cut) */

struct hil_mqw {
    void *mosq;                 /**< struct mosquitto, NULL when stopped */
    pthread_mutex_t lock;
    uint32_t n;                 /**< messages received */
    char (*msg)[HIL_MQW_LEN];   /**< the first HIL_MQW_MAX of them */
    bool subscribed;
};

/**
 * Connect to 127.0.0.1:@p port, subscribe @p topic (QoS 1), start the
 * network thread and wait for the SUBACK (at most HIL_SRV_WAIT_MS of
 * wall time: whether the broker works, never a verdict).
 * @return 0; FOTA_EIO (no connection, no SUBACK; @p err says which);
 *         FOTA_ENOMEM.
 */
int hil_mqw_start(struct hil_mqw *w, int port, const char *topic, char *err, size_t errlen);

/** @return the number of messages received so far. */
uint32_t hil_mqw_count(struct hil_mqw *w);

/** Copy message @p i (0-based, < min(count, HIL_MQW_MAX)) into @p out. @return 0; FOTA_ERANGE. */
int hil_mqw_get(struct hil_mqw *w, uint32_t i, char *out, size_t cap);

/** Publish @p payload on @p topic (QoS 1, not retained). @return 0; FOTA_EIO. */
int hil_mqw_publish(struct hil_mqw *w, const char *topic, const char *payload);

/** Disconnect, stop the thread, free the messages. Safe on a stopped or zeroed watcher. */
void hil_mqw_stop(struct hil_mqw *w);

#endif /* HIL_MQTT_WATCH_H */
