/* The harness's MQTT status watcher (mqtt_watch.h), libmosquitto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mosquitto.h>
#include "fota/errors.h"
#include "link/mqtt_watch.h"
#include "link/netsrv.h"

static void mqw_on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
    struct hil_mqw *w = ctx;

    (void)m;
    pthread_mutex_lock(&w->lock);
    if (w->n < HIL_MQW_MAX) {
        snprintf(w->msg[w->n], HIL_MQW_LEN, "%.*s", msg->payloadlen, (const char *)msg->payload);
    }
    w->n++;
    pthread_mutex_unlock(&w->lock);
}

static void mqw_on_subscribe(struct mosquitto *m, void *ctx, int mid, int n, const int *qos)
{
    struct hil_mqw *w = ctx;

    (void)m;
    (void)mid;
    (void)n;
    (void)qos;
    pthread_mutex_lock(&w->lock);
    w->subscribed = true;
    pthread_mutex_unlock(&w->lock);
}

static bool mqw_subscribed(struct hil_mqw *w)
{
    pthread_mutex_lock(&w->lock);
    bool s = w->subscribed;
    pthread_mutex_unlock(&w->lock);
    return s;
}

static int mqw_fail(struct hil_mqw *w, char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "MQTT status watcher: %s: %s", what, mosquitto_strerror(rc));
    hil_mqw_stop(w);
    return FOTA_EIO;
}

int hil_mqw_start(struct hil_mqw *w, int port, const char *topic, char *err, size_t errlen)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->lock, NULL);
    w->msg = calloc(HIL_MQW_MAX, HIL_MQW_LEN);
    mosquitto_lib_init();
    w->mosq = w->msg != NULL ? mosquitto_new(NULL, true, w) : NULL;
    if (w->mosq == NULL) {
        hil_mqw_stop(w);
        snprintf(err, errlen, "MQTT status watcher: out of memory");
        return FOTA_ENOMEM;
    }
    mosquitto_message_callback_set(w->mosq, mqw_on_message);
    mosquitto_subscribe_callback_set(w->mosq, mqw_on_subscribe);
    int rc = mosquitto_connect(w->mosq, "127.0.0.1", port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        return mqw_fail(w, err, errlen, "connect", rc);
    }
    rc = mosquitto_subscribe(w->mosq, NULL, topic, 1);
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_loop_start(w->mosq);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        return mqw_fail(w, err, errlen, "subscribe", rc);
    }
    for (uint32_t waited = 0; !mqw_subscribed(w) && waited < HIL_SRV_WAIT_MS; waited += 10u) {
        usleep(10000);
    }
    if (!mqw_subscribed(w)) {
        snprintf(err, errlen, "MQTT status watcher: no SUBACK for %s within %u ms", topic, HIL_SRV_WAIT_MS);
        hil_mqw_stop(w);
        return FOTA_EIO;
    }
    return 0;
}

uint32_t hil_mqw_count(struct hil_mqw *w)
{
    if (w->mosq == NULL) {
        return w->n;
    }
    pthread_mutex_lock(&w->lock);
    uint32_t n = w->n;
    pthread_mutex_unlock(&w->lock);
    return n;
}

int hil_mqw_get(struct hil_mqw *w, uint32_t i, char *out, size_t cap)
{
    if (w->msg == NULL || i >= HIL_MQW_MAX || i >= hil_mqw_count(w)) {
        return FOTA_ERANGE;
    }
    pthread_mutex_lock(&w->lock);
    snprintf(out, cap, "%s", w->msg[i]);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

int hil_mqw_publish(struct hil_mqw *w, const char *topic, const char *payload)
{
    if (w->mosq == NULL) {
        return FOTA_EIO;
    }
    int rc = mosquitto_publish(w->mosq, NULL, topic, (int)strlen(payload), payload, 1, false);
    return rc == MOSQ_ERR_SUCCESS ? 0 : FOTA_EIO;
}

void hil_mqw_stop(struct hil_mqw *w)
{
    if (w->mosq != NULL) {
        mosquitto_disconnect(w->mosq);
        mosquitto_loop_stop(w->mosq, true);
        mosquitto_destroy(w->mosq);
        w->mosq = NULL;
        pthread_mutex_destroy(&w->lock);
    }
    free(w->msg);
    w->msg = NULL;
}
