/* The bridge's world in a scenario case (bridge_env.h). */
#include "run/bridge_env.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fota/errors.h"

static int benv_mkdir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return FOTA_EIO;
    }
    return 0;
}

int hil_benv_servers_start(struct hil_benv *e, const char *workdir, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (e->up) {
        snprintf(err, errlen, "the servers run already");
        return FOTA_EBUSY;
    }
    snprintf(dir, sizeof(dir), "%s/http", workdir);
    int rc = benv_mkdir(dir, err, errlen);
    rc = rc != 0 ? rc : hil_srv_http_start(&e->http, dir, err, errlen);
    snprintf(dir, sizeof(dir), "%s/mqtt", workdir);
    rc = rc != 0 ? rc : benv_mkdir(dir, err, errlen);
    rc = rc != 0 ? rc : hil_srv_mqtt_start(&e->mqtt, dir, err, errlen);
    rc = rc != 0 ? rc : hil_mqw_start(&e->watch, e->mqtt.port, HIL_BRIDGE_STATUS_TOPIC, err, errlen);
    e->up = true; /* whatever started is stopped by hil_benv_stop */
    snprintf(e->name, sizeof(e->name), "%s", HIL_BRIDGE_IMAGE_NAME);
    e->cursor = 0;
    return rc;
}

int hil_benv_publish(struct hil_benv *e, const char *name, const char *image, char *err, size_t errlen)
{
    if (!e->up || e->http.pid <= 0) {
        snprintf(err, errlen, "publish_image needs the servers: put a `servers` step before it");
        return FOTA_EBUSY;
    }
    snprintf(e->name, sizeof(e->name), "%s", name != NULL ? name : HIL_BRIDGE_IMAGE_NAME);
    return hil_srv_publish_file(&e->http, e->name, image, err, errlen);
}

int hil_benv_trigger(struct hil_benv *e, const char *payload)
{
    if (!e->up || e->watch.mosq == NULL) {
        return FOTA_EBUSY;
    }
    return hil_mqw_publish(&e->watch, HIL_BRIDGE_TRIGGER_TOPIC, payload != NULL ? payload : "check");
}

/* etag_change (netfault_spec.h): before connection nf_conn is forwarded,
 * publish the other image; runs in the proxy's accepting thread. */
static void benv_on_conn(void *ctx, uint32_t conn)
{
    struct hil_benv *e = ctx;
    if (conn == e->nf_conn && !e->nf_published) {
        e->nf_published = true;
        (void)hil_srv_publish_file(&e->http, e->name, e->nf_image, e->nf_err, sizeof(e->nf_err));
    }
}

static int benv_start_nf(struct hil_benv *e, const struct hil_bridge_step *b, char *err, size_t errlen)
{
    struct hil_srv *up = b->nf_on == HIL_NF_ON_MQTT ? &e->mqtt : &e->http;
    bool etag = b->nf.kind == HIL_NF_ETAG_CHANGE;
    struct hil_nf_fault f = b->nf;
    if (etag) {
        snprintf(e->nf_image, sizeof(e->nf_image), "%s", b->nf_image);
        e->nf_conn = b->nf.conn;
        e->nf_published = false;
        e->nf_err[0] = '\0';
        f.kind = HIL_NF_NONE; /* the bytes pass untouched */
    } else {
        e->nf_conn = 0;
    }
    int rc = hil_nf_start_hook(&e->nf, up->port, &f, etag ? benv_on_conn : NULL, e);
    if (rc != 0) {
        snprintf(err, errlen, "netfault proxy: %s", strerror(rc));
        return FOTA_EIO;
    }
    e->nf_up = true;
    e->nf_on = b->nf_on;
    return 0;
}

/* Append "--key" "value" to argv (strings kept in e->argv_buf). */
static int benv_arg(struct hil_benv *e, char **argv, int *argc, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int benv_arg(struct hil_benv *e, char **argv, int *argc, const char *key, const char *fmt, ...)
{
    if (*argc + 3 >= HIL_BRIDGE_ARGV_MAX) {
        return FOTA_EINVAL;
    }
    argv[(*argc)++] = (char *)key;
    char *v = e->argv_buf[*argc];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof(e->argv_buf[0]), fmt, ap);
    va_end(ap);
    argv[(*argc)++] = v;
    return 0;
}

int hil_benv_bridge_argv(struct hil_benv *e, const struct hil_bridge_step *b, const char *exe, const char *workdir,
                         const char *device, const char *bootctl, char **argv, char *err, size_t errlen)
{
    static const char *const via[] = { "proto", "an3155", "an4286", "an4221" };
    if (!e->up) {
        snprintf(err, errlen, "bridge start needs the servers: put a `servers` step before it");
        return FOTA_EBUSY;
    }
    snprintf(e->dir, sizeof(e->dir), "%s/bridge", workdir);
    if (benv_mkdir(e->dir, err, errlen) != 0 || (b->has_netfault && benv_start_nf(e, b, err, errlen) != 0)) {
        return FOTA_EIO;
    }
    int http = e->nf_up && e->nf_on == HIL_NF_ON_HTTP ? e->nf.port : e->http.port;
    int mqtt = e->nf_up && e->nf_on == HIL_NF_ON_MQTT ? e->nf.port : e->mqtt.port;
    int argc = 0, rc = 0;
    argv[argc++] = (char *)exe;
    rc |= benv_arg(e, argv, &argc, "--url", "http://127.0.0.1:%d/%s", http, e->name);
    rc |= benv_arg(e, argv, &argc, "--state_dir", "%s", e->dir);
    rc |= benv_arg(e, argv, &argc, "--device", "%s", device);
    rc |= benv_arg(e, argv, &argc, "--via", "%s", via[b->via]);
    rc |= bootctl != NULL ? benv_arg(e, argv, &argc, "--bootctl", "%s", bootctl) : 0;
    rc |= benv_arg(e, argv, &argc, "--mqtt_port", "%d", mqtt);
    rc |= benv_arg(e, argv, &argc, "--poll_ms", "%u", 1000u);
    rc |= benv_arg(e, argv, &argc, "--backoff_min_ms", "%u", 200u);
    rc |= benv_arg(e, argv, &argc, "--backoff_max_ms", "%u", 2000u);
    rc |= benv_arg(e, argv, &argc, "--stall_ms", "%u", 10000u);
    for (int i = 0; rc == 0 && i < b->nargs; i++) {
        rc = argc + 2 < HIL_BRIDGE_ARGV_MAX ? 0 : FOTA_EINVAL;
        argv[argc++] = b->args[i];
    }
    argv[argc] = NULL;
    if (rc != 0) {
        snprintf(err, errlen, "bridge: more than %d arguments", HIL_BRIDGE_ARGV_MAX - 1);
        return FOTA_EINVAL;
    }
    return argc;
}

bool hil_benv_bridge_ended(struct hil_benv *e, char *what, size_t len)
{
    if (len > 0) {
        what[0] = '\0';
    }
    if (!e->nf_up) {
        return true;
    }
    hil_nf_stop(&e->nf);
    e->nf_up = false;
    snprintf(what, len, "netfault proxy (%s): %u connections, %u faulted, %llu bytes up, %llu down%s%s",
             e->nf_on == HIL_NF_ON_MQTT ? "mqtt" : "http", e->nf.n_conn, e->nf.n_faulted,
             (unsigned long long)e->nf.bytes_up, (unsigned long long)e->nf.bytes_down,
             e->nf_err[0] ? "; etag_change publish failed: " : "", e->nf_err);
    if (e->nf_conn > 0) {
        return e->nf_published && e->nf_err[0] == '\0';
    }
    /* a drip acts on every byte it passes; the others count what they cut, stalled or answered */
    return e->nf.fault.kind == HIL_NF_DRIP ? e->nf.bytes_down > 0 : e->nf.n_faulted > 0;
}

void hil_benv_stop(struct hil_benv *e)
{
    char what[512];
    hil_benv_bridge_ended(e, what, sizeof(what));
    hil_mqw_stop(&e->watch);
    hil_srv_stop(&e->mqtt);
    hil_srv_stop(&e->http);
    e->up = false;
}
