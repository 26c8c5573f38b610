/**
 * @file fixture.h
 * @brief What the bridge tests share: a clock that moves only when told,
 * a status recorder, a delivery recorder, test images, and a bridge wired
 * to the real libcurl client and the Linux state directory.
 */
#ifndef TESTS_BRIDGE_FIXTURE_H
#define TESTS_BRIDGE_FIXTURE_H

#include "bridge_linux.h"
#include "servers.h"

/** Application bytes of a test image (the image adds the 512-byte header). */
#define FX_APP_LEN (40u * 1024u + 77u)
#define FX_IMG_LEN (512u + FX_APP_LEN)
#define FX_CHUNK 8192u

struct fx_clock {
    uint64_t now_ms;
    uint32_t slept_ms;          /**< total of sleep_ms() calls */
};
extern const struct fb_clock_ops fx_clock_ops; /* sleep_ms() advances now_ms */

struct fx_status {
    uint32_t n;
    struct fb_status s[512];
};
extern const struct fb_status_ops fx_status_ops;

struct fx_deliver {
    int fail_rc;                /**< non-zero: fail the next delivery with it */
    uint32_t n;
    uint8_t img[FX_IMG_LEN + 4096u];
    size_t len;
};
extern const struct fb_deliver_ops fx_deliver_ops;

/** A packed image for slot B, version 2.0.@p patch, payload seeded by @p seed. */
void fx_image(uint8_t img[FX_IMG_LEN], uint32_t seed, uint32_t patch);

/** One bridge under test and its ports. */
struct fx_bridge {
    struct fb b;
    struct fb_config cfg;
    struct fb_ports p;
    struct fb_curl curl;
    struct fb_dir dir;
    struct fx_clock clock;
    struct fx_status status;
    struct fx_deliver dev;
    char url[256];
};

/**
 * Set up @p x for @p url (http://127.0.0.1:PORT/NAME) with state in
 * @p state_dir: chunk FX_CHUNK, poll 60 s, backoff 1..8 s, 3 retries; the
 * caller may change x->cfg and x->p, then calls fx_bridge_init().
 */
void fx_bridge_setup(struct fx_bridge *x, int port, const char *name, const char *state_dir);
/** fb_init() with x->cfg and x->p; asserts success. */
void fx_bridge_init(struct fx_bridge *x);
void fx_bridge_close(struct fx_bridge *x);

/** @return the index of the first recorded status in @p state, -1 if none. */
int fx_status_find(const struct fx_status *s, enum fb_state state);

#endif
