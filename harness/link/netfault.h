/**
 * @file netfault.h
 * @brief The network fault proxy for the bridge's cloud side (issue 12
 * item 3): a TCP proxy between the bridge and a real server (lighttpd,
 * mosquitto) on loopback that injects one fault per run: a reset
 * mid-body, a truncated body (the server's Content-Length kept), a stall,
 * a slow drip, 503 answers before success, a broker disconnect.
 *
 * Two parts, like proxy.c: a decision function without I/O
 * (hil_nf_plan(), unit-tested by numbers) and a threaded TCP runner
 * (netfault_tcp.c). Faults count connections 1-based from the proxy's
 * start, and bytes per connection.
 *
 * No wall-clock time decides anything here: the drip's pauses and the
 * stall only delay bytes; what the client makes of it is its business.
 */
#ifndef HIL_NETFAULT_H
#define HIL_NETFAULT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "scenario/netfault_spec.h"

/** What to do with bytes that are ready to be forwarded. */
enum hil_nf_action {
    HIL_NF_PASS = 0,        /**< forward `n`, go on */
    HIL_NF_PASS_PAUSE,      /**< forward `n`, then wait `pause_ms` */
    HIL_NF_PASS_CLOSE,      /**< forward `n`, then close both sides with FIN */
    HIL_NF_PASS_RESET,      /**< forward `n`, then reset both sides */
    HIL_NF_PASS_STALL,      /**< forward `n`, then forward nothing more in this direction */
};

struct hil_nf_plan {
    enum hil_nf_action action;
    size_t n;
    uint32_t pause_ms;
};

/** Direction of a byte stream through the proxy. */
enum hil_nf_dir { HIL_NF_UP = 0 /**< client -> server */, HIL_NF_DOWN = 1 /**< server -> client */ };

/**
 * Decide what happens to @p avail bytes ready in direction @p dir on
 * connection @p conn, which has already forwarded @p done_down bytes
 * server->client and @p done_up client->server.
 * @return 0; 22 (EINVAL) for a malformed fault (DRIP with drip_bytes 0).
 */
int hil_nf_plan(const struct hil_nf_fault *f, uint32_t conn, enum hil_nf_dir dir, uint64_t done_up,
                uint64_t done_down, size_t avail, struct hil_nf_plan *out);

/** @return whether connection @p conn is answered 503 by the proxy itself. */
bool hil_nf_answers_503(const struct hil_nf_fault *f, uint32_t conn);

/** The TCP runner (netfault_tcp.c). */
struct hil_nf_proxy {
    int port;                   /**< where clients connect (127.0.0.1, ephemeral) */
    int upstream_port;          /**< the real server on 127.0.0.1 */
    struct hil_nf_fault fault;  /**< set before start, or between connections under lock */
    /** Called with each connection's number (1-based) before it is forwarded,
     *  in the accepting thread (HIL_NF_ETAG_CHANGE: the harness republishes
     *  the image there); NULL: none. Set before hil_nf_start() via @p hook. */
    void (*on_conn)(void *ctx, uint32_t conn);
    void *on_conn_ctx;
    int lfd;
    pthread_t thread;
    pthread_mutex_t lock;
    volatile bool stop;
    uint32_t active;            /**< connection threads running */
    /* observations (under lock) */
    uint32_t n_conn;            /**< connections accepted */
    uint32_t n_faulted;         /**< connections a fault acted on */
    uint64_t bytes_up, bytes_down;
};

/**
 * Listen on 127.0.0.1 (ephemeral port, in p->port) and forward each
 * connection to 127.0.0.1:@p upstream_port in its own thread.
 * @return 0; an errno value.
 */
int hil_nf_start(struct hil_nf_proxy *p, int upstream_port, const struct hil_nf_fault *f);

/**
 * hil_nf_start() with @p on_conn called (with @p ctx) for each accepted
 * connection before it is forwarded (see hil_nf_proxy.on_conn).
 * @return 0; an errno value.
 */
int hil_nf_start_hook(struct hil_nf_proxy *p, int upstream_port, const struct hil_nf_fault *f,
                      void (*on_conn)(void *ctx, uint32_t conn), void *ctx);

/** Stop accepting, shut every connection down, wait for their threads. */
void hil_nf_stop(struct hil_nf_proxy *p);

#endif
