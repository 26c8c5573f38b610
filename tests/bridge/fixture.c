/* Shared pieces of the bridge tests (fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "fotahost/image.h"
#include "fake-target.h"
#include "fixture.h"

static uint64_t fx_now(void *ctx)
{
    return ((struct fx_clock *)ctx)->now_ms;
}

static void fx_sleep(void *ctx, uint32_t ms)
{
    struct fx_clock *c = ctx;

    c->now_ms += ms;
    c->slept_ms += ms;
}

const struct fb_clock_ops fx_clock_ops = { fx_now, fx_sleep };

static void fx_publish(void *ctx, const struct fb_status *s)
{
    struct fx_status *r = ctx;

    if (r->n < sizeof(r->s) / sizeof(r->s[0])) {
        r->s[r->n++] = *s;
    }
}

const struct fb_status_ops fx_status_ops = { fx_publish };

static int fx_deliver(void *ctx, const uint8_t *img, size_t len, fb_progress_fn progress, void *pctx,
                      struct fh_msg *m)
{
    struct fx_deliver *d = ctx;
    int rc = d->fail_rc;

    progress(pctx, 0, (uint32_t)len);
    if (rc != 0) {
        d->fail_rc = 0;
        return fh_msg_set(m, rc, "fake device refused");
    }
    assert_true(len <= sizeof(d->img));
    memcpy(d->img, img, len);
    d->len = len;
    d->n++;
    progress(pctx, (uint32_t)len, (uint32_t)len);
    return 0;
}

const struct fb_deliver_ops fx_deliver_ops = { fx_deliver };

void fx_image(uint8_t img[FX_IMG_LEN], uint32_t seed, uint32_t patch)
{
    static uint8_t bin[FX_APP_LEN];
    struct fh_pack_opts po = { LAYOUT_SLOT_B, IMAGE_VERSION(2, 0, patch), NULL, 0 };
    size_t n = 0;

    fake_app_bin(bin, FX_APP_LEN, LAYOUT_SLOT_B, seed);
    assert_int_equal(fh_image_pack(bin, FX_APP_LEN, &po, img, FX_IMG_LEN, &n, NULL), 0);
    assert_int_equal(n, FX_IMG_LEN);
}

void fx_bridge_setup(struct fx_bridge *x, int port, const char *name, const char *state_dir)
{
    memset(x, 0, sizeof(*x));
    snprintf(x->url, sizeof(x->url), "http://127.0.0.1:%d/%s", port, name);
    fb_config_init(&x->cfg);
    x->cfg.url = x->url;
    x->cfg.chunk_size = FX_CHUNK;
    x->cfg.poll_ms = 60000u;
    x->cfg.backoff_min_ms = 1000u;
    x->cfg.backoff_max_ms = 8000u;
    x->cfg.retries = 3u;
    x->clock.now_ms = 1000000u;
    x->curl.stall_ms = SRV_WAIT_MS;
    assert_int_equal(fb_curl_open(&x->curl, NULL), 0);
    assert_int_equal(fb_dir_open(&x->dir, state_dir, NULL), 0);
    x->p = (struct fb_ports){ &fb_curl_ops, &x->curl, &fx_clock_ops, &x->clock, &fb_stage_linux_ops, &x->dir,
                              &fb_store_linux_ops, &x->dir, &fx_status_ops, &x->status, &fx_deliver_ops,
                              &x->dev };
}

void fx_bridge_init(struct fx_bridge *x)
{
    struct fh_msg m = { { 0 } };

    if (fb_init(&x->b, &x->cfg, &x->p, &m) != 0) {
        fail_msg("fb_init: %s", m.text);
    }
}

void fx_bridge_close(struct fx_bridge *x)
{
    fb_curl_close(&x->curl);
}

int fx_status_find(const struct fx_status *s, enum fb_state state)
{
    uint32_t i;

    for (i = 0; i < s->n; i++) {
        if (s->s[i].state == state) {
            return (int)i;
        }
    }
    return -1;
}
