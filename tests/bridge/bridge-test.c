/*
 * The bridge's update logic (host/bridge/bridge.c, download.c) with the
 * real libcurl client against a real lighttpd on 127.0.0.1, through the
 * in-test fault relay (servers.h); the clock is a fake that only moves
 * when the bridge sleeps or the test advances it, so backoff is exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>
#include "fotahost/image.h"
#include "fixture.h"

struct suite {
    struct hil_srv http;
    struct srv_relay relay;
    char state[256];
    uint8_t img[FX_IMG_LEN];
    uint8_t img2[FX_IMG_LEN];
    struct fx_bridge *x;
};

static int group_setup(void **state)
{
    struct suite *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    srv_http_start(&s->http);
    srv_relay_start(&s->relay, s->http.port);
    fx_image(s->img, 1, 0);
    fx_image(s->img2, 2, 1);
    *state = s;
    return 0;
}

static int group_teardown(void **state)
{
    struct suite *s = *state;

    srv_relay_stop(&s->relay);
    srv_stop(&s->http);
    free(s);
    return 0;
}

/* Each test: a fresh state directory, fw.bin = img, a bridge through the relay. */
static int setup(void **state)
{
    struct suite *s = *state;

    srv_relay_reset(&s->relay);
    srv_tmpdir(s->state);
    srv_publish(&s->http, "fw.bin", s->img, sizeof(s->img));
    s->x = calloc(1, sizeof(*s->x));
    assert_non_null(s->x);
    fx_bridge_setup(s->x, s->relay.port, "fw.bin", s->state);
    return 0;
}

static int teardown(void **state)
{
    struct suite *s = *state;

    fx_bridge_close(s->x);
    free(s->x);
    srv_rmtree(s->state);
    return 0;
}

#define CHUNKS(n) (((n) + FX_CHUNK - 1u) / FX_CHUNK)

/* The first byte request @p n asked for, from its Range header. */
static uint64_t range_from(struct suite *s, uint32_t n)
{
    const char *h = strstr(s->relay.req[n - 1u], "Range: bytes=");
    unsigned long long v = 0;

    assert_non_null(h);
    assert_int_equal(sscanf(h, "Range: bytes=%llu-", &v), 1);
    return v;
}

/* @return how many entries (besides . and ..) @p dir holds; @p only must be one of them. */
static int dir_entries(const char *dir, const char *only)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0, seen = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
            seen += strcmp(e->d_name, only) == 0;
        }
    }
    closedir(d);
    assert_int_equal(seen, 1);
    return n;
}

static void assert_delivered(struct fx_bridge *x, const uint8_t *img)
{
    assert_int_equal(x->dev.len, FX_IMG_LEN);
    assert_memory_equal(x->dev.img, img, FX_IMG_LEN);
}

static void test_fb_check_new_image_then_not_modified(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;

    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), 0);
    assert_int_equal(x->dev.n, 1);
    assert_delivered(x, s->img);
    assert_int_equal(x->b.n_get, CHUNKS(FX_IMG_LEN));
    assert_true(srv_relay_req_has(&s->relay, 1, "Range: bytes=0-8191"));
    assert_false(srv_relay_req_has(&s->relay, 1, "If-None-Match"));
    /* The verified image and the state, no partial or temporary file left. */
    assert_int_equal(dir_entries(s->state, "image.bin"), 2);
    assert_int_equal(dir_entries(s->state, "state"), 2);
    assert_int_equal(x->b.next_check_ms, x->clock.now_ms + 60000u);
    /* Unchanged: one conditional GET answered 304, nothing delivered. */
    x->clock.now_ms = x->b.next_check_ms;
    assert_true(fb_due(&x->b));
    assert_int_equal(fb_check(&x->b), 0);
    assert_int_equal(x->dev.n, 1);
    assert_int_equal(x->b.n_get, CHUNKS(FX_IMG_LEN) + 1u);
    assert_true(srv_relay_req_has(&s->relay, CHUNKS(FX_IMG_LEN) + 1u, "If-None-Match: \""));
    assert_int_equal(x->status.s[x->status.n - 1u].state, FB_DONE);
    /* A new image: a new ETag, downloaded and delivered. */
    srv_publish(&s->http, "fw.bin", s->img2, sizeof(s->img2));
    assert_int_equal(fb_check(&x->b), 0);
    assert_int_equal(x->dev.n, 2);
    assert_delivered(x, s->img2);
}

static void test_fb_check_resumes_after_drop(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;

    s->relay.cut_req = 2; /* the second chunk's answer stops mid-body */
    s->relay.cut_after = 600u + 3000u;
    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), 0);
    assert_delivered(x, s->img);
    assert_int_equal(x->b.n_drops, 1);
    assert_int_equal(x->clock.slept_ms, 1000u); /* one backoff step before the retry */
    /* The retry continues where the body stopped (inside the second
     * chunk), conditional on the ETag, and no byte is fetched twice. */
    assert_true(range_from(s, 3) > FX_CHUNK && range_from(s, 3) < 2u * FX_CHUNK);
    assert_true(srv_relay_req_has(&s->relay, 3, "If-Range: \""));
    assert_int_equal(x->b.n_get, 2u + CHUNKS(FX_IMG_LEN - range_from(s, 3)));
}

static void swap_image(void *ctx)
{
    struct suite *s = ctx;

    srv_publish(&s->http, "fw.bin", s->img2, sizeof(s->img2));
}

static void test_fb_check_etag_change_restarts(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;

    s->relay.hook_req = 3; /* the image changes between the 2nd and 3rd chunk */
    s->relay.hook = swap_image;
    s->relay.hook_ctx = s;
    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), 0);
    assert_int_equal(x->b.n_etag_restarts, 1);
    assert_int_equal(x->dev.n, 1);
    assert_delivered(x, s->img2);
}

static void test_fb_check_size_limit(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;

    x->cfg.max_size = FX_IMG_LEN - 1u;
    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), FOTA_ESIZE);
    assert_int_equal(x->dev.n, 0);
    assert_int_equal(x->b.n_get, 1); /* refused on the first Content-Range */
    assert_int_equal(x->status.s[x->status.n - 1u].state, FB_FAILED);
    assert_non_null(strstr(x->status.s[x->status.n - 1u].error, "exceeds the limit"));
    /* Not fetched again while the ETag stays: a 304. */
    assert_int_equal(fb_check(&x->b), 0);
    assert_int_equal(x->b.n_get, 2);
    assert_int_equal(x->dev.n, 0);
}

static void test_fb_check_not_found(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;

    fx_bridge_close(x);
    fx_bridge_setup(x, s->relay.port, "missing.bin", s->state);
    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), FOTA_ENOENT);
    assert_int_equal(x->b.next_check_ms, x->clock.now_ms + 60000u); /* no backoff: ask again at the poll */
    assert_non_null(strstr(x->status.s[0].error, "404"));
}

static void test_fb_check_5xx_backs_off(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;
    static const uint32_t waits[] = { 1000u, 2000u, 4000u, 8000u, 8000u };
    size_t i;

    s->relay.fail_503 = 5;
    fx_bridge_init(x);
    for (i = 0; i < 5; i++) {
        assert_int_equal(fb_check(&x->b), FOTA_EIO);
        assert_int_equal(x->b.next_check_ms, x->clock.now_ms + waits[i]);
        x->clock.now_ms += waits[i] - 1u;
        assert_false(fb_due(&x->b));
        x->clock.now_ms += 1u;
        assert_true(fb_due(&x->b));
    }
    assert_non_null(strstr(x->status.s[0].error, "HTTP 503"));
    assert_int_equal(fb_check(&x->b), 0);
    assert_delivered(x, s->img);
    assert_int_equal(x->b.next_check_ms, x->clock.now_ms + 60000u); /* backoff reset */
    assert_int_equal(x->b.backoff_ms, 0);
}

static void test_fb_check_persisted_download_resumes(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;
    uint32_t gets;
    uint64_t off;

    x->cfg.retries = 0;
    s->relay.cut_req = 3;
    s->relay.cut_after = 600u + 5000u;
    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), FOTA_ECONN);
    assert_int_equal(x->dev.n, 0);
    assert_true(x->b.st.offset > 2u * FX_CHUNK);
    /* The bridge "loses power": a new one on the same state directory. */
    fx_bridge_close(x);
    fx_bridge_setup(x, s->relay.port, "fw.bin", s->state);
    fx_bridge_init(x);
    assert_int_equal(x->b.st.phase, FB_PHASE_DOWNLOADING);
    assert_true(x->b.st.offset > 2u * FX_CHUNK);
    off = x->b.st.offset;
    gets = s->relay.n_req;
    assert_int_equal(fb_check(&x->b), 0);
    assert_delivered(x, s->img);
    assert_int_equal(range_from(s, gets + 1u), off);
    assert_true(srv_relay_req_has(&s->relay, gets + 1u, "If-Range: \""));
    assert_int_equal(x->b.n_get, CHUNKS(FX_IMG_LEN - off));
}

static void test_fb_check_restart_mid_delivery_delivers_again(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;

    x->dev.fail_rc = FOTA_ECONN;
    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), FOTA_ECONN);
    assert_int_equal(x->b.next_check_ms, x->clock.now_ms + 1000u);
    fx_bridge_close(x);
    fx_bridge_setup(x, s->relay.port, "fw.bin", s->state);
    fx_bridge_init(x);
    assert_int_equal(x->b.st.phase, FB_PHASE_DELIVERING);
    assert_int_equal(fb_check(&x->b), 0);
    assert_int_equal(x->b.n_get, 0); /* the committed image, not a new download */
    assert_delivered(x, s->img);
    assert_int_equal(x->b.st.phase, FB_PHASE_IDLE);
}

static void test_fb_check_lost_committed_image_downloads_again(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;
    char path[300];

    x->dev.fail_rc = FOTA_ECONN;
    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), FOTA_ECONN);
    snprintf(path, sizeof(path), "%s/image.bin", s->state);
    assert_int_equal(unlink(path), 0); /* the bridge's storage lost it */
    assert_int_equal(fb_check(&x->b), FOTA_ENOENT);
    /* Not remembered as handled: the next check fetches it again, no 304. */
    assert_int_equal(fb_check(&x->b), 0);
    assert_int_equal(x->dev.n, 1);
    assert_delivered(x, s->img);
    assert_int_equal(x->b.n_get, 2u * CHUNKS(FX_IMG_LEN));
}

static void test_fb_check_corrupt_image_refused(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;
    static uint8_t bad[FX_IMG_LEN];

    memcpy(bad, s->img, sizeof(bad));
    bad[FX_IMG_LEN - 100u] ^= 0x01u; /* a payload bit: CRC-32 and SHA-256 disagree */
    srv_publish(&s->http, "fw.bin", bad, sizeof(bad));
    fx_bridge_init(x);
    assert_int_equal(fb_check(&x->b), FOTA_ECRC);
    assert_int_equal(x->dev.n, 0);
    assert_true(fx_status_find(&x->status, FB_VERIFYING) >= 0);
    assert_int_equal(fx_status_find(&x->status, FB_DELIVERING), -1);
    assert_int_equal(x->status.s[x->status.n - 1u].state, FB_FAILED);
}

static void test_fb_init_corrupt_state_names_line(void **state)
{
    struct suite *s = *state;
    struct fx_bridge *x = s->x;
    struct fh_msg m = { { 0 } };
    char path[300];
    FILE *f;

    snprintf(path, sizeof(path), "%s/state", s->state);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("phase 1\noffset many\n", f);
    fclose(f);
    assert_int_equal(fb_init(&x->b, &x->cfg, &x->p, &m), FOTA_EINVAL);
    assert_non_null(strstr(m.text, "/state:2: bad state line"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fb_check_new_image_then_not_modified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_check_resumes_after_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_check_etag_change_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_check_size_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_check_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_check_5xx_backs_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_check_persisted_download_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_check_restart_mid_delivery_delivers_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_check_lost_committed_image_downloads_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_check_corrupt_image_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fb_init_corrupt_state_names_line, setup, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
