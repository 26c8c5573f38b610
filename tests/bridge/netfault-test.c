/*
 * The network fault proxy (harness/link/netfault.c, netfault_tcp.c):
 * its decisions by numbers, then each fault between the bridge's real
 * clients (libcurl, libmosquitto) and real servers (lighttpd, mosquitto),
 * and the bridge surviving a reset mid-body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mosquitto.h>
#include "link/netfault.h"
#include "fixture.h"

/* ---- decisions ---- */

static void test_hil_nf_plan_reset_at_threshold(void **state)
{
    struct hil_nf_fault f = { .kind = HIL_NF_RESET, .conn = 2, .after = 1000 };
    struct hil_nf_plan pl;

    (void)state;
    assert_int_equal(hil_nf_plan(&f, 1, HIL_NF_DOWN, 0, 990, 4096, &pl), 0); /* another connection */
    assert_int_equal(pl.action, HIL_NF_PASS);
    assert_int_equal(pl.n, 4096);
    assert_int_equal(hil_nf_plan(&f, 2, HIL_NF_UP, 0, 990, 4096, &pl), 0); /* requests pass */
    assert_int_equal(pl.action, HIL_NF_PASS);
    assert_int_equal(hil_nf_plan(&f, 2, HIL_NF_DOWN, 0, 500, 400, &pl), 0);
    assert_int_equal(pl.action, HIL_NF_PASS);
    assert_int_equal(pl.n, 400);
    assert_int_equal(hil_nf_plan(&f, 2, HIL_NF_DOWN, 0, 900, 4096, &pl), 0);
    assert_int_equal(pl.action, HIL_NF_PASS_RESET);
    assert_int_equal(pl.n, 100);
}

static void test_hil_nf_plan_truncate_stall_disconnect(void **state)
{
    struct hil_nf_fault f = { .kind = HIL_NF_TRUNCATE, .after = 10 };
    struct hil_nf_plan pl;

    (void)state;
    assert_int_equal(hil_nf_plan(&f, 7, HIL_NF_DOWN, 0, 4, 100, &pl), 0);
    assert_int_equal(pl.action, HIL_NF_PASS_CLOSE);
    assert_int_equal(pl.n, 6);
    f.kind = HIL_NF_STALL;
    assert_int_equal(hil_nf_plan(&f, 7, HIL_NF_DOWN, 0, 10, 100, &pl), 0);
    assert_int_equal(pl.action, HIL_NF_PASS_STALL);
    assert_int_equal(pl.n, 0);
    f.kind = HIL_NF_DISCONNECT; /* counts both directions */
    assert_int_equal(hil_nf_plan(&f, 7, HIL_NF_UP, 6, 2, 100, &pl), 0);
    assert_int_equal(pl.action, HIL_NF_PASS_CLOSE);
    assert_int_equal(pl.n, 2);
}

static void test_hil_nf_plan_drip_and_503(void **state)
{
    struct hil_nf_fault f = { .kind = HIL_NF_DRIP, .drip_bytes = 3, .drip_ms = 5 };
    struct hil_nf_plan pl;
    enum hil_nf_kind k;

    (void)state;
    assert_int_equal(hil_nf_plan(&f, 1, HIL_NF_DOWN, 0, 0, 10, &pl), 0);
    assert_int_equal(pl.action, HIL_NF_PASS_PAUSE);
    assert_int_equal(pl.n, 3);
    assert_int_equal(pl.pause_ms, 5);
    f.drip_bytes = 0;
    assert_int_equal(hil_nf_plan(&f, 1, HIL_NF_DOWN, 0, 0, 10, &pl), EINVAL);
    f = (struct hil_nf_fault){ .kind = HIL_NF_HTTP_503, .conn = 2, .count = 2 };
    assert_false(hil_nf_answers_503(&f, 1));
    assert_true(hil_nf_answers_503(&f, 2));
    assert_true(hil_nf_answers_503(&f, 3));
    assert_false(hil_nf_answers_503(&f, 4));
    assert_int_equal(hil_nf_kind_parse("http_503", &k), 0);
    assert_int_equal(k, HIL_NF_HTTP_503);
    assert_int_equal(hil_nf_kind_parse("flood", &k), EINVAL);
}

/* ---- against the real servers ---- */

struct suite {
    struct hil_srv http, mqtt;
    struct hil_nf_proxy px;
    bool px_on;
    uint8_t img[FX_IMG_LEN];
    struct fb_curl curl;
    uint8_t body[FX_IMG_LEN + 1u];
    size_t got;
};

static int group_setup(void **state)
{
    struct suite *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    srv_http_start(&s->http);
    srv_mqtt_start(&s->mqtt);
    fx_image(s->img, 3, 1);
    srv_publish(&s->http, "fw.bin", s->img, sizeof(s->img));
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

static void proxy(struct suite *s, int upstream, struct hil_nf_fault f)
{
    assert_int_equal(hil_nf_start(&s->px, upstream, &f), 0);
    s->px_on = true;
}

static void proxy_stop(struct suite *s)
{
    if (s->px_on) {
        hil_nf_stop(&s->px);
        s->px_on = false;
    }
}

/* A failed assertion leaves the proxy running: stop it before the next test. */
static int teardown(void **state)
{
    proxy_stop(*state);
    return 0;
}

static int sink(void *ctx, const struct fb_http_rsp *rsp, const uint8_t *d, size_t n)
{
    struct suite *s = ctx;

    (void)rsp;
    if (s->got + n > sizeof(s->body)) {
        return FOTA_ESIZE;
    }
    memcpy(s->body + s->got, d, n);
    s->got += n;
    return 0;
}

/* One plain GET of fw.bin through the proxy with libcurl. */
static int get(struct suite *s, uint32_t stall_ms, struct fb_http_rsp *rsp)
{
    char url[128];
    struct fb_http_req q = { .url = url, .sink = sink, .sink_ctx = s };
    int rc;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/fw.bin", s->px.port);
    s->got = 0;
    s->curl.stall_ms = stall_ms;
    assert_int_equal(fb_curl_open(&s->curl, NULL), 0);
    rc = fb_curl_ops.get(&s->curl, &q, rsp, NULL);
    fb_curl_close(&s->curl);
    return rc;
}

static void test_hil_nf_reset_and_truncate_cut_the_body(void **state)
{
    struct suite *s = *state;
    struct fb_http_rsp rsp;

    proxy(s, s->http.port, (struct hil_nf_fault){ .kind = HIL_NF_RESET, .after = 9000 });
    assert_int_equal(get(s, SRV_WAIT_MS, &rsp), FOTA_ECONN);
    assert_true(s->got < 9000u && s->got > 0u);
    assert_int_equal(s->px.n_faulted, 1);
    proxy_stop(s);
    proxy(s, s->http.port, (struct hil_nf_fault){ .kind = HIL_NF_TRUNCATE, .after = 20000 });
    assert_int_equal(get(s, SRV_WAIT_MS, &rsp), FOTA_ECONN); /* short of Content-Length */
    assert_true(rsp.has_length && rsp.content_length == FX_IMG_LEN);
    assert_true(s->got < 20000u);
    assert_memory_equal(s->body, s->img, s->got);
    proxy_stop(s);
}

static void test_hil_nf_stall_times_out_drip_completes(void **state)
{
    struct suite *s = *state;
    struct fb_http_rsp rsp;

    proxy(s, s->http.port, (struct hil_nf_fault){ .kind = HIL_NF_STALL, .after = 5000 });
    assert_int_equal(get(s, 1000, &rsp), FOTA_ETIMEOUT); /* the stall never ends */
    proxy_stop(s);
    proxy(s, s->http.port, (struct hil_nf_fault){ .kind = HIL_NF_DRIP, .drip_bytes = 4096, .drip_ms = 2 });
    assert_int_equal(get(s, SRV_WAIT_MS, &rsp), 0);
    assert_int_equal(rsp.status, 200);
    assert_int_equal(s->got, FX_IMG_LEN);
    assert_memory_equal(s->body, s->img, FX_IMG_LEN);
    proxy_stop(s);
}

static void test_hil_nf_503_then_success(void **state)
{
    struct suite *s = *state;
    struct fb_http_rsp rsp;

    proxy(s, s->http.port, (struct hil_nf_fault){ .kind = HIL_NF_HTTP_503, .conn = 1, .count = 2 });
    assert_int_equal(get(s, SRV_WAIT_MS, &rsp), 0);
    assert_int_equal(rsp.status, 503);
    assert_int_equal(get(s, SRV_WAIT_MS, &rsp), 0);
    assert_int_equal(rsp.status, 503);
    assert_int_equal(get(s, SRV_WAIT_MS, &rsp), 0);
    assert_int_equal(rsp.status, 200);
    assert_int_equal(s->got, FX_IMG_LEN);
    proxy_stop(s);
}

static void test_hil_nf_broker_disconnect_then_reconnect(void **state)
{
    struct suite *s = *state;
    struct fb_status st = { FB_DOWNLOADING, 1, "", "\"e\"", "" };
    struct fb_mqtt q;
    struct srv_sub late;
    struct fh_msg m = { { 0 } };
    uint32_t i;

    proxy(s, s->mqtt.port, (struct hil_nf_fault){ .kind = HIL_NF_DISCONNECT, .conn = 1, .after = 400 });
    if (fb_mqtt_open(&q, "nf-test", "127.0.0.1", s->px.port, "nf/status", "nf/trigger", &m) != 0) {
        fail_msg("fb_mqtt_open: %s", m.text);
    }
    for (i = 0; i < SRV_WAIT_MS / 50u && !q.subscribed; i++) {
        fb_mqtt_loop(&q, 50);
    }
    assert_true(q.subscribed);
    for (i = 0; i < SRV_WAIT_MS / 50u && q.connected; i++) { /* statuses until the broker "goes away" */
        st.progress = i % 100u;
        fb_mqtt_status_ops.publish(&q, &st);
        fb_mqtt_loop(&q, 50);
    }
    assert_false(q.connected);
    assert_int_equal(s->px.n_faulted, 1);
    st.progress = 77; /* reported while the broker is away */
    fb_mqtt_status_ops.publish(&q, &st);
    for (i = 0; i < SRV_WAIT_MS / 50u && !q.connected; i++) { /* the next connection is clean */
        fb_mqtt_loop(&q, 50);
    }
    assert_true(q.connected);
    assert_true(s->px.n_conn >= 2);
    for (i = 0; i < SRV_WAIT_MS / 50u && q.pending; i++) {
        fb_mqtt_loop(&q, 50);
    }
    /* A trigger sent on the same connection and received back: the broker
     * handles a connection's packets in order, so the status before it is
     * stored by now (without this a loaded broker could still be reading it
     * when the late subscriber below asks, and send it live as a second
     * message). */
    assert_int_equal(mosquitto_publish(q.mosq, NULL, "nf/trigger", 4, "sync", 0, false), MOSQ_ERR_SUCCESS);
    for (i = 0; i < SRV_WAIT_MS / 50u && q.n_triggers == 0u; i++) {
        fb_mqtt_loop(&q, 50);
    }
    assert_int_equal(q.n_triggers, 1);
    fb_mqtt_close(&q);
    /* A dashboard connecting now sees the report made during the outage,
     * and nothing older after it (a re-sent QoS 1 message). */
    srv_sub_start(&late, s->mqtt.port, "nf/status");
    srv_sub_wait(&late, 1);
    assert_int_equal(late.n, 1);
    assert_non_null(strstr(late.msg[0], "\"progress\":77"));
    srv_sub_stop(&late);
    proxy_stop(s);
}

static void test_hil_nf_bridge_survives_reset_mid_body(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = calloc(1, sizeof(*x));
    char dir[256];

    assert_non_null(x);
    /* lighttpd keeps no connection alive (netsrv.h): connection 2 is the
     * second 8 KB chunk's request, reset 4000 bytes into its response. */
    proxy(s, s->http.port, (struct hil_nf_fault){ .kind = HIL_NF_RESET, .conn = 2, .after = 4000 });
    srv_tmpdir(dir);
    fx_bridge_setup(x, s->px.port, "fw.bin", dir);
    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), 0);
    assert_int_equal(x->b.n_drops, 1);
    assert_int_equal(x->dev.len, FX_IMG_LEN);
    assert_memory_equal(x->dev.img, s->img, FX_IMG_LEN);
    fx_bridge_close(x);
    free(x);
    srv_rmtree(dir);
    proxy_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_nf_plan_reset_at_threshold),
        cmocka_unit_test(test_hil_nf_plan_truncate_stall_disconnect),
        cmocka_unit_test(test_hil_nf_plan_drip_and_503),
        cmocka_unit_test_teardown(test_hil_nf_reset_and_truncate_cut_the_body, teardown),
        cmocka_unit_test_teardown(test_hil_nf_stall_times_out_drip_completes, teardown),
        cmocka_unit_test_teardown(test_hil_nf_503_then_success, teardown),
        cmocka_unit_test_teardown(test_hil_nf_broker_disconnect_then_reconnect, teardown),
        cmocka_unit_test_teardown(test_hil_nf_bridge_survives_reset_mid_body, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
