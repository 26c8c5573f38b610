/*
 * The bridge's HTTP client on Linux (bridge_linux.h): libcurl easy
 * interface. Conditional and ranged GETs (RFC 9110 13.1.2 If-None-Match,
 * 13.1.5 If-Range, 14.2 Range, 14.4 Content-Range); a body cut short of
 * its Content-Length is reported as FOTA_ECONN (CURLE_PARTIAL_FILE).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "bridge_linux.h"

struct curl_get {
    const struct fb_http_req *req;
    struct fb_http_rsp *rsp;
    int sink_rc;
};

int fb_curl_open(struct fb_curl *c, struct fh_msg *m)
{
    static bool global_done;

    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = true;
    }
    c->easy = curl_easy_init();
    if (c->connect_timeout_ms == 0) {
        c->connect_timeout_ms = 10000u;
    }
    if (c->stall_ms == 0) {
        c->stall_ms = 30000u;
    }
    return c->easy == NULL ? fh_msg_set(m, FOTA_ENOMEM, "curl_easy_init failed") : 0;
}

void fb_curl_close(struct fb_curl *c)
{
    if (c->easy != NULL) {
        curl_easy_cleanup(c->easy);
        c->easy = NULL;
    }
}

/* "Content-Range: bytes A-B/T" */
static void curl_parse_range(struct fb_http_rsp *r, const char *v)
{
    uint64_t a, b, t;

    if (sscanf(v, "bytes %" SCNu64 "-%" SCNu64 "/%" SCNu64, &a, &b, &t) == 3 && a <= b && b < t) {
        r->has_range = true;
        r->range_start = a;
        r->total = t;
    }
}

/* One header line (with CRLF); a status line starts a new response
 * (curl passes the headers of every response it reads). */
static size_t curl_on_header(char *buf, size_t size, size_t n, void *ctx)
{
    struct curl_get *g = ctx;
    struct fb_http_rsp *r = g->rsp;
    size_t len = size * n, vlen;
    char line[512];
    const char *v;
    int code;

    snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1u), buf);
    line[strcspn(line, "\r\n")] = '\0';
    if (sscanf(line, "HTTP/%*s %d", &code) == 1) {
        memset(r, 0, sizeof(*r));
        r->status = code;
        return len;
    }
    v = strchr(line, ':');
    if (v == NULL) {
        return len;
    }
    for (v++; *v == ' ' || *v == '\t'; v++) {
    }
    vlen = strlen(v);
    if (strncasecmp(line, "etag:", 5) == 0 && vlen < sizeof(r->etag)) {
        memcpy(r->etag, v, vlen + 1u);
    } else if (strncasecmp(line, "content-length:", 15) == 0 && isdigit((unsigned char)*v)) {
        r->has_length = sscanf(v, "%" SCNu64, &r->content_length) == 1;
    } else if (strncasecmp(line, "content-range:", 14) == 0) {
        curl_parse_range(r, v);
    }
    return len;
}

static size_t curl_on_body(char *buf, size_t size, size_t n, void *ctx)
{
    struct curl_get *g = ctx;
    size_t len = size * n;

    if (g->rsp->status != 200 && g->rsp->status != 206) {
        return len; /* an error page: discarded */
    }
    g->sink_rc = g->req->sink(g->req->sink_ctx, g->rsp, (const uint8_t *)buf, len);
    if (g->sink_rc != 0) {
        return 0; /* CURLE_WRITE_ERROR */
    }
    g->rsp->body_bytes += len;
    return len;
}

static struct curl_slist *curl_headers(const struct fb_http_req *q)
{
    struct curl_slist *h = NULL;
    char line[FB_ETAG_MAX + 32];

    if (q->if_none_match != NULL) {
        snprintf(line, sizeof(line), "If-None-Match: %s", q->if_none_match);
        h = curl_slist_append(h, line);
    }
    if (q->has_range && q->if_range != NULL) {
        snprintf(line, sizeof(line), "If-Range: %s", q->if_range);
        h = curl_slist_append(h, line);
    }
    return h;
}

static int curl_result(CURLcode cc, struct curl_get *g, const char *url, struct fh_msg *m)
{
    switch (cc) {
    case CURLE_OK:
        return 0;
    case CURLE_WRITE_ERROR:
        return g->sink_rc != 0 ? g->sink_rc : fh_msg_set(m, FOTA_EIO, "%s: write error", url);
    case CURLE_OPERATION_TIMEDOUT:
        return fh_msg_set(m, FOTA_ETIMEOUT, "%s: %s", url, curl_easy_strerror(cc));
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        return fh_msg_set(m, FOTA_ECONN, "%s: %s", url, curl_easy_strerror(cc));
    default:
        return fh_msg_set(m, FOTA_EIO, "%s: %s", url, curl_easy_strerror(cc));
    }
}

static int curl_get(void *ctx, const struct fb_http_req *q, struct fb_http_rsp *rsp, struct fh_msg *m)
{
    struct fb_curl *c = ctx;
    struct curl_get g = { q, rsp, 0 };
    struct curl_slist *h = curl_headers(q);
    char range[64];
    CURLcode cc;
    CURL *e = c->easy;

    memset(rsp, 0, sizeof(*rsp));
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, q->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, curl_on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &g);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curl_on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    /* A stall: fewer than 1 byte/s for stall_ms. */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)((c->stall_ms + 999u) / 1000u));
    if (q->has_range) {
        snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, q->range_from, q->range_last);
        curl_easy_setopt(e, CURLOPT_RANGE, range);
    }
    cc = curl_easy_perform(e);
    curl_slist_free_all(h);
    return curl_result(cc, &g, q->url, m);
}

const struct fb_http_ops fb_curl_ops = { curl_get };
