/**
 * @file servers.h
 * @brief Real servers for the bridge tests, on 127.0.0.1 with ephemeral
 * ports: lighttpd (Debian; ETag, If-None-Match, Range, If-Range natively)
 * serving a temporary directory, mosquitto (Debian) as the broker, an
 * in-test HTTP relay in front of lighttpd that injects network faults
 * (a cut after K response bytes, 503 answers, a hook before request N),
 * and an MQTT subscriber that collects messages.
 *
 * Every start failure ends the test with cmocka's fail_msg() and the
 * server's own words (its log): the tests never skip silently.
 */
#ifndef TESTS_BRIDGE_SERVERS_H
#define TESTS_BRIDGE_SERVERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "link/netsrv.h"

/** Every wait in these tests: generous, never a verdict by itself. */
#define SRV_WAIT_MS HIL_SRV_WAIT_MS

/** @return a TCP port on 127.0.0.1 that was free a moment ago (bind port 0). */
int srv_free_port(void);

/** Make a fresh temporary directory under $TMPDIR (or /tmp) into @p out (256 bytes). */
void srv_tmpdir(char *out);

/** Remove a directory tree made by the tests. */
void srv_rmtree(const char *dir);

/** Start lighttpd serving @p s->www on a free port; fail_msg() if it cannot. */
void srv_http_start(struct hil_srv *s);
/** Start mosquitto (listener on a free port, anonymous, no persistence); fail_msg() if it cannot. */
void srv_mqtt_start(struct hil_srv *s);
/** Stop the server (SIGTERM, wait) and remove its directory. */
void srv_stop(struct hil_srv *s);

/** Write @p len bytes to @p s->www / @p name via a temporary file and rename (a new ETag). */
void srv_publish(const struct hil_srv *s, const char *name, const uint8_t *data, size_t len);

/** The fault relay: accepts on its own port, forwards each request to lighttpd with Connection: close. */
struct srv_relay {
    int port;               /**< where clients connect */
    int upstream_port;      /**< lighttpd */
    int lfd;
    pthread_t thread;
    pthread_mutex_t lock;
    volatile bool stop;
    /* faults, set by the test between requests */
    uint32_t fail_503;      /**< answer this many next requests 503 itself */
    uint32_t cut_req;       /**< on request number N (1-based) ... */
    uint32_t cut_after;     /**< ... close after this many response bytes */
    uint32_t hook_req;      /**< before forwarding request N, call hook */
    void (*hook)(void *ctx);
    void *hook_ctx;
    /* observations */
    uint32_t n_req;
    char req[64][1024];     /**< the head of each request (first 64) */
};

/** Start the relay in front of @p upstream_port; fail_msg() on failure. */
void srv_relay_start(struct srv_relay *r, int upstream_port);
/** Forget faults and observations (between tests). */
void srv_relay_reset(struct srv_relay *r);
void srv_relay_stop(struct srv_relay *r);
/** @return whether request @p n (1-based) contains @p text (case-sensitive). */
bool srv_relay_req_has(struct srv_relay *r, uint32_t n, const char *text);

/** An MQTT client that collects the payloads of one topic (retained ones too). */
struct srv_sub {
    void *mosq;
    uint32_t n;
    char msg[256][512];
    bool retained[256];
};
/** Connect to 127.0.0.1:@p port, subscribe @p topic, wait for the SUBACK; fail_msg() on failure. */
void srv_sub_start(struct srv_sub *c, int port, const char *topic);
/** Process traffic until @p n messages arrived or SRV_WAIT_MS passed; @return the count. */
uint32_t srv_sub_wait(struct srv_sub *c, uint32_t n);
/** Publish @p payload on @p topic (QoS 1, not retained) and flush it. */
void srv_sub_publish(struct srv_sub *c, const char *topic, const char *payload);
void srv_sub_stop(struct srv_sub *c);

#endif
