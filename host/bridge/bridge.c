/*
 * The bridge's state machine (bridge.h): one fb_check() goes
 * checking -> downloading -> verifying -> delivering -> done, or ends in
 * idle/done (304) or failed; it also schedules the next check.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fotahost/image.h"
#include "bridge_int.h"

static const char *const fb_state_names[] = {
    [FB_IDLE] = "idle",           [FB_CHECKING] = "checking", [FB_DOWNLOADING] = "downloading",
    [FB_VERIFYING] = "verifying", [FB_DELIVERING] = "delivering", [FB_DONE] = "done",
    [FB_FAILED] = "failed",
};

const char *fb_state_name(enum fb_state s)
{
    if ((unsigned)s >= sizeof(fb_state_names) / sizeof(fb_state_names[0])) {
        return "?";
    }
    return fb_state_names[s];
}

void fb_config_init(struct fb_config *c)
{
    *c = (struct fb_config){
        .chunk_size = FB_DEFAULT_CHUNK, .max_size = FH_IMAGE_MAX_SIZE, .poll_ms = FB_DEFAULT_POLL_MS,
        .backoff_min_ms = FB_DEFAULT_BACKOFF_MIN_MS, .backoff_max_ms = FB_DEFAULT_BACKOFF_MAX_MS,
        .retries = FB_DEFAULT_RETRIES,
    };
}

uint32_t fb_backoff_step(uint32_t base, uint32_t n, uint32_t cap)
{
    uint64_t v = base;

    while (n-- > 0 && v < cap) {
        v *= 2u;
    }
    return v > cap ? cap : (uint32_t)v;
}

static bool fb_ports_ok(const struct fb_ports *p)
{
    return p->http != NULL && p->clock != NULL && p->stage != NULL && p->store != NULL &&
           p->status != NULL && p->deliver != NULL;
}

int fb_init(struct fb *b, const struct fb_config *c, const struct fb_ports *p, struct fh_msg *m)
{
    int rc;

    memset(b, 0, sizeof(*b));
    if (c == NULL || p == NULL || c->url == NULL || c->chunk_size == 0 || !fb_ports_ok(p)) {
        return fh_msg_set(m, FOTA_EINVAL, "bridge: url, chunk size and every port are required");
    }
    b->cfg = *c;
    b->p = *p;
    rc = p->store->load(p->store_ctx, &b->st, m);
    if (rc != 0) {
        return rc;
    }
    b->next_check_ms = p->clock->now_ms(p->clock_ctx); /* the first check is due at once */
    return 0;
}

void fb_trigger(struct fb *b)
{
    b->triggered = true;
}

bool fb_due(const struct fb *b)
{
    return b->triggered || b->p.clock->now_ms(b->p.clock_ctx) >= b->next_check_ms;
}

void fb_report(struct fb *b, enum fb_state state, uint32_t progress, const char *error)
{
    struct fb_status s;
    uint32_t v = state == FB_DONE && b->cur_version == 0 ? b->st.version : b->cur_version;

    memset(&s, 0, sizeof(s));
    s.state = state;
    s.progress = progress > 100u ? 100u : progress;
    if (v != 0) {
        fh_version_format(v, s.version, sizeof(s.version));
    }
    snprintf(s.etag, sizeof(s.etag), "%s", b->st.etag[0] != '\0' ? b->st.etag : b->st.last_etag);
    snprintf(s.error, sizeof(s.error), "%s", error);
    if (b->published && memcmp(&s, &b->last, sizeof(s)) == 0) {
        return;
    }
    b->last = s;
    b->published = true;
    b->p.status->publish(b->p.status_ctx, &s);
}

/* When the next check is due after an outcome; retryable failures back off. */
static void fb_schedule(struct fb *b, int rc)
{
    uint64_t now = b->p.clock->now_ms(b->p.clock_ctx);
    bool retry = rc == FOTA_EIO || rc == FOTA_ECONN || rc == FOTA_ETIMEOUT || rc == FOTA_EPROTO ||
                 b->st.phase == FB_PHASE_DELIVERING;

    if (rc != 0 && retry) {
        b->backoff_ms = b->backoff_ms == 0 ? b->cfg.backoff_min_ms
                                           : fb_backoff_step(b->backoff_ms, 1, b->cfg.backoff_max_ms);
        b->next_check_ms = now + b->backoff_ms;
        return;
    }
    b->backoff_ms = 0;
    b->next_check_ms = b->cfg.poll_ms == 0 ? UINT64_MAX : now + b->cfg.poll_ms;
}

/* Done with the image in hand: delivered or refused for good (@p remember:
 * its ETag goes into If-None-Match), or lost (download it again). */
static int fb_finish(struct fb *b, int rc, bool remember)
{
    if (remember) {
        snprintf(b->st.last_etag, sizeof(b->st.last_etag), "%s", b->st.etag);
        b->st.last_rc = rc;
    }
    if (rc == 0) {
        b->st.version = b->cur_version;
    }
    b->st.phase = FB_PHASE_IDLE;
    b->st.etag[0] = '\0';
    b->st.offset = 0;
    b->st.total = 0;
    if (rc != 0) {
        (void)b->p.stage->reset(b->p.stage_ctx, NULL);
    }
    return b->p.store->save(b->p.store_ctx, &b->st, NULL);
}

static int fb_fail(struct fb *b, int rc)
{
    if (b->msg.text[0] == '\0') {
        fh_msg_set(&b->msg, rc, "%s", fota_strerror(rc));
    }
    fb_report(b, FB_FAILED, b->last.progress, b->msg.text);
    fb_schedule(b, rc);
    return rc;
}

/* Check an image with libfotahost's image API (header, CRC-32, SHA-256, vectors). */
static int fb_verify(struct fb *b, const uint8_t *img, size_t len)
{
    struct fh_image_report r;
    int rc = fh_image_inspect(img, len, &r, &b->msg);

    b->cur_version = rc == 0 ? r.hdr.ih_version : 0;
    return rc;
}

static void fb_on_progress(void *ctx, uint32_t done, uint32_t total)
{
    struct fb *b = ctx;

    fb_report(b, FB_DELIVERING, total == 0 ? 0 : (uint32_t)((uint64_t)done * 100u / total), "");
}

/* Deliver the committed image (again, after a restart: the device's BEGIN
 * resume check keeps what its slot already holds). */
static int fb_deliver_committed(struct fb *b)
{
    uint8_t *img = NULL;
    size_t len = 0;
    int rc = b->p.stage->load_committed(b->p.stage_ctx, &img, &len, &b->msg);

    if (rc == 0) {
        rc = fb_verify(b, img, len);
    }
    if (rc != 0) {
        free(img);
        (void)fb_finish(b, rc, false); /* nothing sound to deliver: download again */
        return fb_fail(b, rc);
    }
    fb_report(b, FB_DELIVERING, 0, "");
    rc = b->p.deliver->deliver(b->p.deliver_ctx, img, len, fb_on_progress, b, &b->msg);
    free(img);
    if (rc != 0) {
        return fb_fail(b, rc); /* phase stays DELIVERING: retried after the backoff */
    }
    b->n_delivered++;
    rc = fb_finish(b, 0, true);
    fb_report(b, FB_DONE, 100, "");
    fb_schedule(b, 0);
    return rc;
}

/* The download is complete: verify, commit, deliver. */
static int fb_verify_and_deliver(struct fb *b)
{
    uint8_t *img = NULL;
    int rc;

    fb_report(b, FB_VERIFYING, 0, "");
    rc = b->p.stage->load(b->p.stage_ctx, (size_t)b->st.offset, &img, &b->msg);
    if (rc == 0) {
        rc = fb_verify(b, img, (size_t)b->st.offset);
    }
    if (rc == 0) {
        rc = b->p.stage->commit(b->p.stage_ctx, img, (size_t)b->st.offset, &b->msg);
    }
    free(img);
    if (rc == FOTA_EIO) {
        return fb_fail(b, rc);
    }
    if (rc != 0) {
        (void)fb_finish(b, rc, true); /* a bad image: not fetched again until its ETag changes */
        return fb_fail(b, rc);
    }
    b->st.phase = FB_PHASE_DELIVERING;
    rc = b->p.store->save(b->p.store_ctx, &b->st, &b->msg);
    return rc != 0 ? fb_fail(b, rc) : fb_deliver_committed(b);
}

int fb_check(struct fb *b)
{
    bool not_modified = false;
    int rc;

    b->triggered = false;
    fh_msg_clear(&b->msg);
    if (b->st.phase == FB_PHASE_DELIVERING) {
        return fb_deliver_committed(b);
    }
    rc = fb_download(b, &not_modified, &b->msg);
    if (rc == FOTA_ESIZE) {
        (void)fb_finish(b, rc, true);
    }
    if (rc != 0) {
        return fb_fail(b, rc);
    }
    if (not_modified) {
        fb_report(b, b->st.last_rc == 0 ? FB_DONE : FB_FAILED, b->st.last_rc == 0 ? 100u : 0u,
                  b->st.last_rc == 0 ? "" : fota_strerror(b->st.last_rc));
        fb_schedule(b, 0);
        return 0;
    }
    return fb_verify_and_deliver(b);
}
