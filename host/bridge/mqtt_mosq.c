/*
 * The bridge's MQTT side on Linux (bridge_linux.h), libmosquitto (MQTT
 * 3.1.1): status reports published retained (a dashboard that subscribes
 * later, or after a bridge restart, gets the last state at once), and any
 * message on the trigger topic asks for a check (QoS 1).
 *
 * A status is held back (pending) until the broker acknowledged the
 * trigger subscription, so a trigger sent by a client that saw the
 * bridge's first status is never lost.
 *
 * NOTE: statuses go at QoS 0, and after a reconnect the bridge publishes
 * its last status again. At QoS 1 libmosquitto re-sends unacknowledged
 * messages after a reconnect, after newer ones, and an older status then
 * became the retained one (netfault-test caught it); a state report only
 * needs its last value delivered, which the re-send on reconnect does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mosquitto.h>
#include "bridge_linux.h"

static void mqtt_send_last(struct fb_mqtt *q)
{
    if (q->trigger_topic[0] != '\0' && !q->subscribed) {
        /* Nothing goes out before the trigger subscription is acknowledged:
         * a dashboard that sees the bridge's first status and sends a
         * trigger must not lose it (the harness's bridge.mqtt.trigger did). */
        q->pending = true;
        return;
    }
    q->pending = mosquitto_publish(q->mosq, NULL, q->status_topic, (int)strlen(q->last), q->last, 0, true) !=
                 MOSQ_ERR_SUCCESS;
    q->n_published += q->pending ? 0u : 1u;
}

static void mqtt_on_connect(struct mosquitto *mosq, void *ctx, int rc)
{
    struct fb_mqtt *q = ctx;

    q->connected = rc == 0;
    q->subscribed = false; /* a clean session: subscribed again below */
    if (rc == 0 && q->trigger_topic[0] != '\0') {
        mosquitto_subscribe(mosq, NULL, q->trigger_topic, 1);
    }
}

static void mqtt_on_disconnect(struct mosquitto *mosq, void *ctx, int rc)
{
    struct fb_mqtt *q = ctx;

    (void)mosq;
    (void)rc;
    q->connected = false;
    q->subscribed = false;
    q->pending = q->last[0] != '\0'; /* the last one may not have arrived */
}

static void mqtt_on_subscribe(struct mosquitto *mosq, void *ctx, int mid, int n, const int *qos)
{
    struct fb_mqtt *q = ctx;

    (void)mosq;
    (void)mid;
    q->subscribed = n >= 1 && qos[0] <= 2;
}

static void mqtt_on_message(struct mosquitto *mosq, void *ctx, const struct mosquitto_message *msg)
{
    struct fb_mqtt *q = ctx;

    (void)mosq;
    if (q->trigger_topic[0] != '\0' && strcmp(msg->topic, q->trigger_topic) == 0 && !msg->retain) {
        q->n_triggers++;
        if (q->bridge != NULL) {
            fb_trigger(q->bridge);
        }
    }
}

static int mqtt_topics(struct fb_mqtt *q, const char *status_topic, const char *trigger_topic, struct fh_msg *m)
{
    int n1 = snprintf(q->status_topic, sizeof(q->status_topic), "%s", status_topic);
    int n2 = snprintf(q->trigger_topic, sizeof(q->trigger_topic), "%s", trigger_topic ? trigger_topic : "");

    if (n1 <= 0 || (size_t)n1 >= sizeof(q->status_topic) || n2 < 0 || (size_t)n2 >= sizeof(q->trigger_topic)) {
        return fh_msg_set(m, FOTA_EINVAL, "MQTT topic empty or longer than %zu bytes", sizeof(q->status_topic) - 1u);
    }
    return 0;
}

int fb_mqtt_open(struct fb_mqtt *q, const char *id, const char *host, int port, const char *status_topic,
                 const char *trigger_topic, struct fh_msg *m)
{
    struct mosquitto *mosq;
    int rc;

    memset(q, 0, sizeof(*q));
    rc = mqtt_topics(q, status_topic, trigger_topic, m);
    if (rc != 0) {
        return rc;
    }
    mosquitto_lib_init();
    mosq = mosquitto_new(id, true, q);
    if (mosq == NULL) {
        return fh_msg_set(m, FOTA_ENOMEM, "mosquitto_new failed");
    }
    q->mosq = mosq;
    mosquitto_connect_callback_set(mosq, mqtt_on_connect);
    mosquitto_disconnect_callback_set(mosq, mqtt_on_disconnect);
    mosquitto_message_callback_set(mosq, mqtt_on_message);
    mosquitto_subscribe_callback_set(mosq, mqtt_on_subscribe);
    rc = mosquitto_connect(mosq, host, port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        fh_msg_set(m, FOTA_ECONN, "MQTT %s:%d: %s", host, port, mosquitto_strerror(rc));
        fb_mqtt_close(q);
        return FOTA_ECONN;
    }
    return 0;
}

int fb_mqtt_loop(struct fb_mqtt *q, uint32_t timeout_ms)
{
    int rc = mosquitto_loop(q->mosq, (int)timeout_ms, 1);

    if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) {
        rc = mosquitto_reconnect(q->mosq);
    }
    /* What a dashboard missed while the broker was away: the last status. */
    if (rc == MOSQ_ERR_SUCCESS && q->connected && q->pending) {
        mqtt_send_last(q);
    }
    return rc == MOSQ_ERR_SUCCESS ? 0 : FOTA_ECONN;
}

bool fb_mqtt_wait_subscribed(struct fb_mqtt *q, uint32_t max_ms)
{
    for (uint32_t waited = 0; q->trigger_topic[0] != '\0' && !q->subscribed && waited < max_ms; waited += 50u) {
        (void)fb_mqtt_loop(q, 50);
    }
    return q->trigger_topic[0] == '\0' || q->subscribed;
}

void fb_mqtt_close(struct fb_mqtt *q)
{
    if (q->mosq != NULL) {
        mosquitto_disconnect(q->mosq);
        mosquitto_loop(q->mosq, 100, 1); /* let the DISCONNECT out */
        mosquitto_destroy(q->mosq);
        q->mosq = NULL;
    }
    mosquitto_lib_cleanup();
}

static void mqtt_publish_status(void *ctx, const struct fb_status *s)
{
    struct fb_mqtt *q = ctx;
    char *text = fb_status_json(s);

    if (text == NULL) {
        return;
    }
    snprintf(q->last, sizeof(q->last), "%s", text);
    free(text);
    mqtt_send_last(q);
    /* Hand the message to the socket now: an update may block for a while. */
    (void)mosquitto_loop(q->mosq, 0, 1);
}

const struct fb_status_ops fb_mqtt_status_ops = { mqtt_publish_status };
