/*
 * The bridge's MQTT side (host/bridge/mqtt_mosq.c, status_json.c) against
 * a real mosquitto on 127.0.0.1: the JSON status shape, the sequence a
 * dashboard sees, the retained last state a late subscriber gets, and a
 * trigger message that starts a download (lighttpd serves the image).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <jansson.h>
#include <mosquitto.h>
#include "fixture.h"

#define STATUS_TOPIC "fota/test/status"
#define TRIGGER_TOPIC "fota/test/trigger"

struct suite {
    struct hil_srv http, mqtt;
    char state[256];
    uint8_t img[FX_IMG_LEN];
    struct fx_bridge *x;
    struct fb_mqtt q;
    struct srv_sub sub, late;
};

static int group_setup(void **state)
{
    struct suite *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    srv_http_start(&s->http);
    srv_mqtt_start(&s->mqtt);
    fx_image(s->img, 7, 3);
    *state = s;
    return 0;
}

static int group_teardown(void **state)
{
    struct suite *s = *state;

    srv_stop(&s->mqtt);
    srv_stop(&s->http);
    free(s);
    return 0;
}

/* A bridge whose status goes to MQTT (topics per test, so retained ones do not mix). */
static void bridge_on_mqtt(struct suite *s, const char *name, const char *status_topic, const char *trigger)
{
    struct fh_msg m = { { 0 } };

    srv_tmpdir(s->state);
    s->x = calloc(1, sizeof(*s->x));
    assert_non_null(s->x);
    fx_bridge_setup(s->x, s->http.port, name, s->state);
    if (fb_mqtt_open(&s->q, "bridge-under-test", "127.0.0.1", s->mqtt.port, status_topic, trigger, &m) != 0) {
        fail_msg("fb_mqtt_open: %s", m.text);
    }
    s->q.bridge = &s->x->b;
    s->x->p.status = &fb_mqtt_status_ops;
    s->x->p.status_ctx = &s->q;
}

static void bridge_close(struct suite *s)
{
    fb_mqtt_close(&s->q);
    fx_bridge_close(s->x);
    free(s->x);
    srv_rmtree(s->state);
}

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);

    if (o == NULL) {
        fail_msg("status is not JSON (%s): %s", e.text, text);
    }
    return o;
}

static const char *state_of(json_t *o)
{
    return json_string_value(json_object_get(o, "state"));
}

static void test_fb_status_json_shape(void **state)
{
    struct fb_status st = { FB_DOWNLOADING, 42, "1.2.3", "\"abc\"", "" };
    char *text;
    json_t *o;

    (void)state;
    text = fb_status_json(&st);
    assert_non_null(text);
    assert_string_equal(text, "{\"state\":\"downloading\",\"progress\":42,\"version\":\"1.2.3\","
                              "\"etag\":\"\\\"abc\\\"\",\"error\":null}");
    o = parse(text);
    assert_int_equal(json_object_size(o), 5);
    assert_string_equal(json_string_value(json_object_get(o, "etag")), "\"abc\"");
    json_decref(o);
    free(text);
}

/* Wait until the subscriber has seen a status in @p want (bounded). */
static void wait_for_state(struct srv_sub *c, const char *want)
{
    char needle[64];

    snprintf(needle, sizeof(needle), "\"state\":\"%s\"", want);
    while (c->n == 0 || strstr(c->msg[c->n - 1u], needle) == NULL) {
        uint32_t before = c->n;

        if (srv_sub_wait(c, before + 1u) == before) {
            fail_msg("no status '%s' within %u ms (%u messages, last: %s)", want, SRV_WAIT_MS, c->n,
                     c->n ? c->msg[c->n - 1u] : "none");
        }
    }
}

static void test_fb_mqtt_status_sequence_and_retained(void **state)
{
    static const char *const order[] = { "downloading", "verifying", "delivering", "done" };
    struct suite *s = *state;
    uint32_t i, k = 0, last_progress = 0;
    json_t *o;

    srv_publish(&s->http, "seq.bin", s->img, sizeof(s->img));
    srv_sub_start(&s->sub, s->mqtt.port, STATUS_TOPIC "/seq");
    bridge_on_mqtt(s, "seq.bin", STATUS_TOPIC "/seq", NULL);
    fx_bridge_init(s->x);
    assert_int_equal(fb_check(&s->x->b), 0);
    wait_for_state(&s->sub, "done");
    /* The states come in order, progress never goes back within one. */
    for (i = 0; i < s->sub.n; i++) {
        o = parse(s->sub.msg[i]);
        while (k < 4 && strcmp(state_of(o), order[k]) != 0) {
            k++;
            last_progress = 0;
        }
        assert_true(k < 4);
        assert_true(json_integer_value(json_object_get(o, "progress")) >= (json_int_t)last_progress);
        last_progress = (uint32_t)json_integer_value(json_object_get(o, "progress"));
        json_decref(o);
    }
    assert_true(s->sub.n >= 6); /* several download steps at 8 KB chunks */
    o = parse(s->sub.msg[s->sub.n - 1u]);
    assert_int_equal(json_integer_value(json_object_get(o, "progress")), 100);
    assert_string_equal(json_string_value(json_object_get(o, "version")), "2.0.3");
    assert_true(json_is_string(json_object_get(o, "etag")));
    assert_true(json_is_null(json_object_get(o, "error")));
    json_decref(o);
    /* The bridge goes away; a dashboard connecting now gets the last state, retained. */
    bridge_close(s);
    srv_sub_start(&s->late, s->mqtt.port, STATUS_TOPIC "/seq");
    assert_int_equal(srv_sub_wait(&s->late, 1), 1);
    assert_true(s->late.retained[0]);
    assert_string_equal(s->late.msg[0], s->sub.msg[s->sub.n - 1u]);
    srv_sub_stop(&s->late);
    srv_sub_stop(&s->sub);
}

static void test_fb_mqtt_trigger_starts_download(void **state)
{
    struct suite *s = *state;
    struct timespec t0, t;

    bridge_on_mqtt(s, "trig.bin", STATUS_TOPIC "/trig", TRIGGER_TOPIC);
    s->x->cfg.poll_ms = 0; /* only triggers */
    fx_bridge_init(s->x);
    assert_int_equal(fb_check(&s->x->b), FOTA_ENOENT); /* the first check: nothing there yet */
    assert_false(fb_due(&s->x->b));
    srv_publish(&s->http, "trig.bin", s->img, sizeof(s->img));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    t = t0;
    while (!s->q.subscribed && t.tv_sec - t0.tv_sec < SRV_WAIT_MS / 1000u) {
        fb_mqtt_loop(&s->q, 50);
        clock_gettime(CLOCK_MONOTONIC, &t);
    }
    assert_true(s->q.subscribed);
    srv_sub_start(&s->sub, s->mqtt.port, "unused/topic");
    srv_sub_publish(&s->sub, TRIGGER_TOPIC, "check");
    while (!fb_due(&s->x->b) && t.tv_sec - t0.tv_sec < SRV_WAIT_MS / 1000u) {
        fb_mqtt_loop(&s->q, 50);
        clock_gettime(CLOCK_MONOTONIC, &t);
    }
    assert_true(fb_due(&s->x->b));
    assert_int_equal(s->q.n_triggers, 1);
    assert_int_equal(fb_check(&s->x->b), 0);
    assert_int_equal(s->x->dev.n, 1);
    assert_memory_equal(s->x->dev.img, s->img, FX_IMG_LEN);
    assert_false(fb_due(&s->x->b));
    srv_sub_stop(&s->sub);
    bridge_close(s);
}

/* A dashboard that triggers as soon as it sees the bridge's first status:
 * the status is held back until the trigger subscription is acknowledged,
 * so that trigger is never lost (it was: the first check's status went
 * out before the SUBACK, bridge.mqtt.trigger lost its trigger). */
static void test_fb_mqtt_no_status_before_trigger_subscription(void **state)
{
    struct suite *s = *state;
    struct timespec t0, t;

    srv_sub_start(&s->sub, s->mqtt.port, STATUS_TOPIC "/early");
    bridge_on_mqtt(s, "early.bin", STATUS_TOPIC "/early", TRIGGER_TOPIC "/early");
    s->x->cfg.poll_ms = 0;
    fx_bridge_init(s->x);
    assert_int_equal(fb_check(&s->x->b), FOTA_ENOENT); /* failed: at once, before any loop */
    if (!s->q.subscribed) {
        assert_int_equal(s->q.n_published, 0);
        assert_true(s->q.pending);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    t = t0;
    while (s->sub.n == 0 && t.tv_sec - t0.tv_sec < SRV_WAIT_MS / 1000u) {
        fb_mqtt_loop(&s->q, 20);
        mosquitto_loop(s->sub.mosq, 20, 1);
        clock_gettime(CLOCK_MONOTONIC, &t);
    }
    assert_int_equal(s->sub.n, 1);
    assert_true(s->q.subscribed); /* the dashboard saw it: the trigger topic is live */
    srv_publish(&s->http, "early.bin", s->img, sizeof(s->img));
    srv_sub_publish(&s->sub, TRIGGER_TOPIC "/early", "check");
    while (!fb_due(&s->x->b) && t.tv_sec - t0.tv_sec < SRV_WAIT_MS / 1000u) {
        fb_mqtt_loop(&s->q, 50);
        clock_gettime(CLOCK_MONOTONIC, &t);
    }
    assert_int_equal(s->q.n_triggers, 1);
    srv_sub_stop(&s->sub);
    bridge_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fb_status_json_shape),
        cmocka_unit_test(test_fb_mqtt_status_sequence_and_retained),
        cmocka_unit_test(test_fb_mqtt_trigger_starts_download),
        cmocka_unit_test(test_fb_mqtt_no_status_before_trigger_subscription),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
