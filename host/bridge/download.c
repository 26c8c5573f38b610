/*
 * The bridge's download (bridge.h): ranged GETs of cfg.chunk_size bytes
 * into the staging storage, resumed with Range + If-Range after a drop
 * (RFC 9110 14.2, 13.1.5), restarted from zero when the ETag changes
 * (a 200 answering If-Range, or a 206 with another ETag), capped at
 * cfg.max_size. The offset is persisted after each durable chunk.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "bridge_int.h"

/* One GET's view of the body. */
struct dl_get {
    struct fb *b;
    bool started;
    bool restarted;     /* the ETag changed: the body was not used */
    struct fh_msg *m;
};

static void dl_forget(struct fb *b, const char *etag, uint64_t total)
{
    snprintf(b->st.etag, sizeof(b->st.etag), "%s", etag);
    b->st.offset = 0;
    b->st.total = total;
}

static int dl_check_size(struct fb *b, uint64_t size, struct fh_msg *m)
{
    if (size > b->cfg.max_size) {
        return fh_msg_set(m, FOTA_ESIZE, "image of %" PRIu64 " bytes exceeds the limit of %" PRIu64,
                          size, b->cfg.max_size);
    }
    return 0;
}

/* The first body bytes of a response: decide where they go. */
static int dl_start(struct dl_get *g, const struct fb_http_rsp *rsp)
{
    struct fb *b = g->b;
    bool changed = b->st.offset > 0 && strcmp(rsp->etag, b->st.etag) != 0;
    int rc;

    if (rsp->status == 200) {
        /* The whole representation: a server without ranges, or If-Range
         * did not match (the image changed). */
        if (changed) {
            b->n_etag_restarts++;
        }
        rc = b->p.stage->reset(b->p.stage_ctx, g->m);
        dl_forget(b, rsp->etag, rsp->has_length ? rsp->content_length : 0);
        return rc != 0 ? rc : dl_check_size(b, b->st.total, g->m);
    }
    if (!rsp->has_range) {
        return fh_msg_set(g->m, FOTA_EPROTO, "206 without Content-Range");
    }
    if (changed) {
        b->n_etag_restarts++;
        g->restarted = true;
        rc = b->p.stage->reset(b->p.stage_ctx, g->m);
        dl_forget(b, rsp->etag, rsp->total);
        return rc != 0 ? rc : FOTA_EBUSY; /* abort this body; fb_download() starts over */
    }
    if (rsp->range_start != b->st.offset) {
        return fh_msg_set(g->m, FOTA_EPROTO, "asked for byte %" PRIu64 ", got a range from %" PRIu64,
                          b->st.offset, rsp->range_start);
    }
    snprintf(b->st.etag, sizeof(b->st.etag), "%s", rsp->etag);
    b->st.total = rsp->total;
    return dl_check_size(b, rsp->total, g->m);
}

static int dl_sink(void *ctx, const struct fb_http_rsp *rsp, const uint8_t *data, size_t len)
{
    struct dl_get *g = ctx;
    struct fb *b = g->b;
    int rc;

    if (!g->started) {
        g->started = true;
        rc = dl_start(g, rsp);
        if (rc != 0) {
            return rc;
        }
    }
    rc = dl_check_size(b, b->st.offset + len, g->m);
    if (rc == 0) {
        rc = b->p.stage->write(b->p.stage_ctx, b->st.offset, data, len, g->m);
    }
    if (rc != 0) {
        return rc;
    }
    b->st.offset += len;
    if (b->st.total > 0) {
        fb_report(b, FB_DOWNLOADING, (uint32_t)(b->st.offset * 100u / b->st.total), "");
    }
    return 0;
}

/* Make the staged bytes durable, then record how many there are. */
static int dl_persist(struct fb *b, struct fh_msg *m)
{
    int rc = b->p.stage->sync(b->p.stage_ctx, m);

    if (rc == 0) {
        b->st.phase = FB_PHASE_DOWNLOADING;
        rc = b->p.store->save(b->p.store_ctx, &b->st, m);
    }
    return rc;
}

static int dl_get(struct fb *b, struct dl_get *g, struct fb_http_rsp *rsp, struct fh_msg *m)
{
    struct fb_http_req q;

    memset(&q, 0, sizeof(q));
    q.url = b->cfg.url;
    q.has_range = true;
    q.range_from = b->st.offset;
    q.range_last = b->st.offset + b->cfg.chunk_size - 1u;
    if (b->st.offset > 0) {
        q.if_range = b->st.etag;
    } else if (b->st.last_etag[0] != '\0') {
        q.if_none_match = b->st.last_etag;
    }
    q.sink = dl_sink;
    q.sink_ctx = g;
    memset(g, 0, sizeof(*g));
    g->b = b;
    g->m = m;
    b->n_get++;
    return b->p.http->get(b->p.http_ctx, &q, rsp, m);
}

/* A complete answer: 1 = the image is complete, 0 = ask for more, else an error. */
static int dl_answer(struct fb *b, const struct fb_http_rsp *rsp, bool *not_modified, struct fh_msg *m)
{
    switch (rsp->status) {
    case 304:
        *not_modified = true;
        return 1;
    case 200:
        return 1; /* the whole body arrived (the client checks Content-Length) */
    case 206:
        if (rsp->body_bytes == 0) {
            return fh_msg_set(m, FOTA_EPROTO, "206 with an empty body at byte %" PRIu64, b->st.offset);
        }
        return (b->st.total > 0 && b->st.offset >= b->st.total) ? 1 : 0;
    case 404:
        return fh_msg_set(m, FOTA_ENOENT, "HTTP 404: no image at %s", b->cfg.url);
    case 416: /* the image shrank under our offset: start over */
        b->n_etag_restarts++;
        dl_forget(b, "", 0);
        return b->p.stage->reset(b->p.stage_ctx, m);
    default:
        return fh_msg_set(m, FOTA_EIO, "HTTP %d from %s", rsp->status, b->cfg.url);
    }
}

int fb_download(struct fb *b, bool *not_modified, struct fh_msg *m)
{
    uint32_t drops = 0, restarts = 0;
    struct fb_http_rsp rsp;
    struct dl_get g;
    int rc;

    *not_modified = false;
    for (;;) {
        rc = dl_get(b, &g, &rsp, m);
        if (g.restarted) {
            fh_msg_clear(m);
            rc = restarts++ > b->cfg.retries
                     ? fh_msg_set(m, FOTA_EIO, "the ETag changed %" PRIu32 " times during the download", restarts)
                     : dl_persist(b, m);
        } else if (rc == FOTA_ECONN || rc == FOTA_ETIMEOUT) {
            b->n_drops++;
            if (dl_persist(b, NULL) != 0 || drops >= b->cfg.retries) {
                return rc;
            }
            b->p.clock->sleep_ms(b->p.clock_ctx, fb_backoff_step(b->cfg.backoff_min_ms, drops++,
                                                                b->cfg.backoff_max_ms));
            continue;
        } else if (rc == 0) {
            rc = dl_answer(b, &rsp, not_modified, m);
            if (rc == 1 || rc == 0) {
                int prc = *not_modified ? 0 : dl_persist(b, m);

                if (prc != 0 || rc == 1) {
                    return prc;
                }
            }
        }
        if (rc != 0) {
            return rc;
        }
    }
}
