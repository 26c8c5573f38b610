/*
 * End to end: an image published on lighttpd, an MQTT trigger through
 * mosquitto, the bridge downloads, verifies and delivers it with
 * libfotahost's update master to the scripted fake target
 * (tests/host/fake-target.c), and the retained status ends "done".
 * Then a bridge restarted mid-delivery: the device's BEGIN resume check
 * keeps the half-written slot's good prefix (no FRESH erase).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fota/proto.h"
#include "fake-target.h"
#include "fixture.h"

#define STATUS_TOPIC "fota/e2e/status"
#define TRIGGER_TOPIC "fota/e2e/trigger"

struct suite {
    struct hil_srv http, mqtt;
    char state[256];
    uint8_t img[FX_IMG_LEN];
    struct fx_bridge *x;
    struct fb_mqtt q;
    struct fb_deliver deliver;
    struct fake_dev *dev;
    struct fake_session sess;
    bool sess_open;
    struct srv_sub sub;
};

/* The delivery's link: a fresh session with the fake target. */
static int open_fake(struct fb_deliver *d, struct fh_link **l, struct fh_msg *m)
{
    struct suite *s = d->open_ctx;
    int fd = fake_session_start(&s->sess, s->dev);

    if (fd < 0) {
        return fh_msg_set(m, FOTA_EIO, "fake session");
    }
    s->sess_open = true;
    return fh_link_from_fd(fd, "fake", l, m);
}

static void join_fake(struct suite *s)
{
    if (s->sess_open) {
        fake_session_join(&s->sess);
        s->sess_open = false;
    }
}

static int setup(void **state)
{
    struct suite *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    signal(SIGPIPE, SIG_IGN);
    s->dev = calloc(1, sizeof(*s->dev));
    assert_non_null(s->dev);
    fake_dev_init(s->dev);
    srv_http_start(&s->http);
    srv_mqtt_start(&s->mqtt);
    srv_tmpdir(s->state);
    fx_image(s->img, 11, 5);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct suite *s = *state;

    srv_stop(&s->mqtt);
    srv_stop(&s->http);
    srv_rmtree(s->state);
    free(s->dev);
    free(s);
    return 0;
}

static void bridge_start(struct suite *s)
{
    struct fh_msg m = { { 0 } };

    s->x = calloc(1, sizeof(*s->x));
    assert_non_null(s->x);
    fx_bridge_setup(s->x, s->http.port, "fw.bin", s->state);
    if (fb_mqtt_open(&s->q, "bridge-e2e", "127.0.0.1", s->mqtt.port, STATUS_TOPIC, TRIGGER_TOPIC, &m) != 0) {
        fail_msg("fb_mqtt_open: %s", m.text);
    }
    s->q.bridge = &s->x->b;
    memset(&s->deliver, 0, sizeof(s->deliver));
    s->deliver.via = FB_VIA_PROTO;
    s->deliver.open_link = open_fake;
    s->deliver.open_ctx = s;
    s->x->p.status = &fb_mqtt_status_ops;
    s->x->p.status_ctx = &s->q;
    s->x->p.deliver = &fb_deliver_fotahost_ops;
    s->x->p.deliver_ctx = &s->deliver;
    s->x->cfg.poll_ms = 0;
    fx_bridge_init(s->x);
    s->x->b.next_check_ms = UINT64_MAX; /* triggers only, from the start */
}

static void bridge_stop(struct suite *s)
{
    fb_mqtt_close(&s->q);
    fx_bridge_close(s->x);
    free(s->x);
    s->x = NULL;
}

/* Serve the MQTT session until a trigger arrived (bounded). */
static void wait_trigger(struct suite *s)
{
    uint32_t i;

    for (i = 0; i < SRV_WAIT_MS / 50u && !s->q.subscribed; i++) {
        fb_mqtt_loop(&s->q, 50);
    }
    assert_true(s->q.subscribed);
    srv_sub_publish(&s->sub, TRIGGER_TOPIC, "{}");
    for (i = 0; i < SRV_WAIT_MS / 50u && !fb_due(&s->x->b); i++) {
        fb_mqtt_loop(&s->q, 50);
    }
    assert_true(fb_due(&s->x->b));
}

static void assert_device_has_image(struct suite *s)
{
    assert_int_equal(s->dev->end_status, FOTA_OK);
    assert_memory_equal(s->dev->flash, s->img, FX_IMG_LEN);
}

static void test_fb_bridge_publish_to_delivered(void **state)
{
    struct suite *s = *state;

    srv_sub_start(&s->sub, s->mqtt.port, STATUS_TOPIC);
    bridge_start(s);
    srv_publish(&s->http, "fw.bin", s->img, sizeof(s->img));
    wait_trigger(s);
    assert_int_equal(fb_check(&s->x->b), 0);
    join_fake(s);
    assert_device_has_image(s);
    assert_int_equal(s->dev->n_fresh, 0);
    srv_sub_wait(&s->sub, s->q.n_published);
    assert_int_equal(s->sub.n, s->q.n_published);
    assert_non_null(strstr(s->sub.msg[s->sub.n - 1u], "\"state\":\"done\",\"progress\":100,\"version\":\"2.0.5\""));
    assert_non_null(strstr(s->sub.msg[s->sub.n - 2u], "\"state\":\"delivering\""));
    bridge_stop(s);
    srv_sub_stop(&s->sub);
}

static void test_fb_bridge_restart_mid_delivery_resumes_on_device(void **state)
{
    struct suite *s = *state;
    uint32_t data_before;

    srv_sub_start(&s->sub, s->mqtt.port, STATUS_TOPIC);
    s->dev->disconnect_at_data = 40; /* the link dies 40 DATA frames into the slot */
    bridge_start(s);
    srv_publish(&s->http, "fw.bin", s->img, sizeof(s->img));
    wait_trigger(s);
    assert_int_not_equal(fb_check(&s->x->b), 0);
    join_fake(s);
    assert_int_equal(s->x->b.st.phase, FB_PHASE_DELIVERING);
    assert_true(s->dev->next > 0 && s->dev->next < FX_IMG_LEN);
    bridge_stop(s);
    /* The bridge restarts (power loss); the trigger brings it back to work. */
    data_before = s->dev->n_program;
    bridge_start(s);
    wait_trigger(s);
    assert_int_equal(fb_check(&s->x->b), 0);
    join_fake(s);
    assert_int_equal(s->x->b.n_get, 0);
    assert_device_has_image(s);
    assert_true(s->dev->last_resume > 0); /* BEGIN resumed: the prefix CRC matched */
    assert_int_equal(s->dev->n_fresh, 0);
    /* Only the rest was sent: fewer DATA frames than a whole image. */
    assert_true(s->dev->n_program - data_before < (FX_IMG_LEN + PROTO_MAX_DATA - 1u) / PROTO_MAX_DATA);
    bridge_stop(s);
    srv_sub_stop(&s->sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fb_bridge_publish_to_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_bridge_restart_mid_delivery_resumes_on_device, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
