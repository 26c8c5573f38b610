/*
 * fota-bridge: the FOTA bridge as a Linux daemon (docs/BRIDGE.md). Watches
 * an image URL by ETag and an MQTT trigger topic, downloads, verifies and
 * delivers images to the device, and publishes its state as retained JSON.
 *
 * Exit codes: 0 (stopped by a signal, or --once succeeded), 1 (--once
 * check failed), 2 (bad config or flag), 3 (could not start: state dir,
 * broker, HTTP client).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bridge_linux.h"
#include "config.h"

#define FB_EXIT_FAIL 1
#define FB_EXIT_USAGE 2
#define FB_EXIT_START 3

static volatile sig_atomic_t fb_stop;

static void fb_on_signal(int sig)
{
    (void)sig;
    fb_stop = 1;
}

static void fb_usage(FILE *f)
{
    fprintf(f, "usage: fota-bridge [--config FILE.yaml] [--KEY VALUE ...]\n"
               "Watch an image URL (ETag) and an MQTT trigger topic; download, verify and deliver\n"
               "new images to the device; publish the state as retained JSON on MQTT.\n"
               "Every KEY may also be set in the YAML file (KEY: VALUE); flags win.\n\n"
               "  --config FILE        YAML settings\n  --help               this text\n");
    fbc_usage(f);
}

/* --config first (flags then override the file), then every --key value. */
static int fb_args(int argc, char **argv, struct fbc *c, struct fh_msg *m)
{
    int i, rc = 0;

    for (i = 1; i + 1 < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            rc = fbc_load_yaml(c, argv[++i], m);
        }
    }
    for (i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];

        if (strncmp(a, "--", 2) != 0) {
            return fh_msg_set(m, FOTA_EINVAL, "unexpected argument '%s'", a);
        }
        if (i + 1 >= argc) {
            return fh_msg_set(m, FOTA_EINVAL, "%s needs a value", a);
        }
        if (strcmp(a, "--config") != 0) {
            rc = fbc_set(c, a + 2, argv[i + 1], a, m);
        }
        i++;
    }
    return rc != 0 ? rc : fbc_check(c, m);
}

struct fb_daemon {
    struct fbc c;
    struct fb_dir dir;
    struct fb_curl curl;
    struct fb_mqtt mqtt;
    struct fb_deliver dev;
    struct fb b;
};

static void fb_null_publish(void *ctx, const struct fb_status *s)
{
    (void)ctx;
    fprintf(stderr, "fota-bridge: %s %u%% %s\n", fb_state_name(s->state), s->progress, s->error);
}

static const struct fb_status_ops fb_stderr_status_ops = { fb_null_publish };

static int fb_start(struct fb_daemon *d, struct fh_msg *m)
{
    struct fb_config fc;
    struct fb_ports p = { &fb_curl_ops, &d->curl, &fb_clock_linux_ops, NULL, &fb_stage_linux_ops, &d->dir,
                          &fb_store_linux_ops, &d->dir, &fb_stderr_status_ops, NULL, &fb_deliver_fotahost_ops,
                          &d->dev };
    int rc = fb_dir_open(&d->dir, d->c.state_dir, m);

    d->curl.stall_ms = d->c.stall_ms;
    rc = rc != 0 ? rc : fb_curl_open(&d->curl, m);
    if (rc == 0 && d->c.mqtt_port != 0) {
        rc = fb_mqtt_open(&d->mqtt, d->c.client_id, d->c.mqtt_host, (int)d->c.mqtt_port, d->c.status_topic,
                          d->c.trigger_topic[0] ? d->c.trigger_topic : NULL, m);
        p.status = &fb_mqtt_status_ops;
        p.status_ctx = &d->mqtt;
        d->mqtt.bridge = &d->b;
        /* The first check's statuses wait for the trigger subscription
         * (mqtt_mosq.c); a broker that is slow or away only delays it. */
        if (rc == 0 && !fb_mqtt_wait_subscribed(&d->mqtt, 10000u)) {
            fprintf(stderr, "fota-bridge: no SUBACK for the trigger topic within 10 s; going on\n");
        }
    }
    d->dev.via = strcmp(d->c.via, "an3155") == 0 ? FB_VIA_AN3155
                 : strcmp(d->c.via, "an4286") == 0 ? FB_VIA_AN4286
                 : strcmp(d->c.via, "an4221") == 0 ? FB_VIA_AN4221 : FB_VIA_PROTO;
    d->dev.port = d->c.device;
    d->dev.baud = d->c.baud;
    d->dev.bootctl = d->c.bootctl;
    fb_config_init(&fc);
    fc.url = d->c.url;
    fc.chunk_size = d->c.chunk;
    fc.max_size = d->c.max_size != 0 ? d->c.max_size : fc.max_size;
    fc.poll_ms = d->c.poll_ms;
    fc.backoff_min_ms = d->c.backoff_min_ms;
    fc.backoff_max_ms = d->c.backoff_max_ms;
    fc.retries = d->c.retries;
    return rc != 0 ? rc : fb_init(&d->b, &fc, &p, m);
}

/* Wait for the next check: MQTT traffic (a trigger) or the clock. */
static void fb_wait(struct fb_daemon *d)
{
    uint64_t now = fb_clock_linux_ops.now_ms(NULL);
    uint64_t left = d->b.next_check_ms > now ? d->b.next_check_ms - now : 0;
    uint32_t ms = left > 1000u ? 1000u : (uint32_t)left;

    if (d->mqtt.mosq != NULL) {
        if (fb_mqtt_loop(&d->mqtt, ms) != 0) {
            fb_clock_linux_ops.sleep_ms(NULL, ms); /* broker away: mosquitto reconnects later */
        }
    } else {
        fb_clock_linux_ops.sleep_ms(NULL, ms);
    }
}

static int fb_run(struct fb_daemon *d)
{
    if (d->c.once != 0) {
        return fb_check(&d->b) == 0 ? 0 : FB_EXIT_FAIL;
    }
    signal(SIGINT, fb_on_signal);
    signal(SIGTERM, fb_on_signal);
    while (!fb_stop) {
        if (fb_due(&d->b)) {
            (void)fb_check(&d->b);
        }
        fb_wait(d);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct fb_daemon d;
    struct fh_msg m = { { 0 } };
    int rc, i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fb_usage(stdout);
            return 0;
        }
    }
    fbc_defaults(&d.c);
    if (fb_args(argc, argv, &d.c, &m) != 0) {
        fprintf(stderr, "fota-bridge: %s\n", m.text);
        return FB_EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    rc = fb_start(&d, &m);
    if (rc != 0) {
        fprintf(stderr, "fota-bridge: %s\n", m.text);
        rc = rc == FOTA_EINVAL ? FB_EXIT_USAGE : FB_EXIT_START;
    } else {
        rc = fb_run(&d);
        if (d.b.msg.text[0] != '\0' && rc != 0) {
            fprintf(stderr, "fota-bridge: %s\n", d.b.msg.text);
        }
    }
    if (d.mqtt.mosq != NULL) {
        fb_mqtt_close(&d.mqtt);
    }
    fb_curl_close(&d.curl);
    return rc;
}
