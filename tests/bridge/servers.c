/* Real servers and a fault relay for the bridge tests (servers.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <mosquitto.h>
#include "servers.h"

static uint64_t srv_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int srv_free_port(void)
{
    int port = 0, e = hil_srv_free_port(&port);

    if (e != 0) {
        fail_msg("free port: %s", strerror(e));
    }
    return port;
}

void srv_tmpdir(char *out)
{
    const char *t = getenv("TMPDIR");

    snprintf(out, 256, "%s/fota-bridge-test.XXXXXX", t != NULL ? t : "/tmp");
    if (mkdtemp(out) == NULL) {
        fail_msg("mkdtemp %s: %s", out, strerror(errno));
    }
}

static int srv_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void srv_rmtree(const char *dir)
{
    nftw(dir, srv_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The server's directory is a fresh temporary one, removed by srv_stop(). */
void srv_http_start(struct hil_srv *s)
{
    char dir[256], err[1536];

    srv_tmpdir(dir);
    if (hil_srv_http_start(s, dir, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
}

void srv_mqtt_start(struct hil_srv *s)
{
    char dir[256], err[1536];

    srv_tmpdir(dir);
    if (hil_srv_mqtt_start(s, dir, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
}

void srv_stop(struct hil_srv *s)
{
    hil_srv_stop(s);
    if (s->dir[0] != '\0') {
        srv_rmtree(s->dir);
        s->dir[0] = '\0';
    }
}

void srv_publish(const struct hil_srv *s, const char *name, const uint8_t *data, size_t len)
{
    char err[512];

    if (hil_srv_publish(s, name, data, len, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
}

static void sub_on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
    struct srv_sub *c = ctx;

    (void)m;
    if (c->n < 256u) {
        snprintf(c->msg[c->n], sizeof(c->msg[0]), "%.*s", msg->payloadlen, (const char *)msg->payload);
        c->retained[c->n] = msg->retain;
        c->n++;
    }
}

static volatile int sub_acked;

static void sub_on_subscribe(struct mosquitto *m, void *ctx, int mid, int n, const int *qos)
{
    (void)m;
    (void)ctx;
    (void)mid;
    (void)n;
    (void)qos;
    sub_acked = 1;
}

void srv_sub_start(struct srv_sub *c, int port, const char *topic)
{
    uint64_t t0 = srv_now_ms();
    int rc;

    memset(c, 0, sizeof(*c));
    mosquitto_lib_init();
    c->mosq = mosquitto_new(NULL, true, c);
    if (c->mosq == NULL) {
        fail_msg("mosquitto_new failed");
    }
    mosquitto_message_callback_set(c->mosq, sub_on_message);
    mosquitto_subscribe_callback_set(c->mosq, sub_on_subscribe);
    rc = mosquitto_connect(c->mosq, "127.0.0.1", port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        fail_msg("test subscriber: connect to 127.0.0.1:%d: %s", port, mosquitto_strerror(rc));
    }
    sub_acked = 0;
    mosquitto_subscribe(c->mosq, NULL, topic, 1);
    while (!sub_acked && srv_now_ms() - t0 < SRV_WAIT_MS) {
        mosquitto_loop(c->mosq, 50, 1);
    }
    if (!sub_acked) {
        fail_msg("test subscriber: no SUBACK for %s within %u ms", topic, SRV_WAIT_MS);
    }
}

uint32_t srv_sub_wait(struct srv_sub *c, uint32_t n)
{
    uint64_t t0 = srv_now_ms();

    while (c->n < n && srv_now_ms() - t0 < SRV_WAIT_MS) {
        mosquitto_loop(c->mosq, 50, 1);
    }
    /* A little more traffic may be in flight: take what is there. */
    mosquitto_loop(c->mosq, 50, 1);
    return c->n;
}

void srv_sub_publish(struct srv_sub *c, const char *topic, const char *payload)
{
    mosquitto_publish(c->mosq, NULL, topic, (int)strlen(payload), payload, 1, false);
    mosquitto_loop(c->mosq, 50, 1);
}

void srv_sub_stop(struct srv_sub *c)
{
    if (c->mosq != NULL) {
        mosquitto_disconnect(c->mosq);
        mosquitto_destroy(c->mosq);
        c->mosq = NULL;
    }
}
