/*
 * The fault relay of the bridge tests (servers.h): one request per
 * connection, forwarded to lighttpd with "Connection: close" so lighttpd
 * ends each response by closing; faults are decided per request number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "servers.h"

static int relay_wait(int fd, uint32_t ms)
{
    struct pollfd p = { fd, POLLIN, 0 };

    return poll(&p, 1, (int)ms) > 0 ? 0 : -1;
}

static int relay_write(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read a request head (up to the blank line). @return its length, -1. */
static int relay_read_head(int fd, char *buf, size_t cap)
{
    size_t n = 0;

    while (n + 1u < cap) {
        ssize_t r;

        if (relay_wait(fd, SRV_WAIT_MS) != 0 || (r = recv(fd, buf + n, cap - 1u - n, 0)) <= 0) {
            return -1;
        }
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL) {
            return (int)n;
        }
    }
    return -1;
}

/* Copy the answer, closing after @p cut bytes (0: no cut). */
static void relay_copy(int ufd, int cfd, uint32_t cut)
{
    char buf[4096];
    uint32_t sent = 0;

    while (relay_wait(ufd, SRV_WAIT_MS) == 0) {
        ssize_t r = recv(ufd, buf, sizeof(buf), 0);
        size_t n;

        if (r <= 0) {
            return;
        }
        n = (size_t)r;
        if (cut != 0 && sent + n >= cut) {
            (void)relay_write(cfd, buf, cut - sent);
            return;
        }
        if (relay_write(cfd, buf, n) != 0) {
            return;
        }
        sent += (uint32_t)n;
    }
}

static void relay_forward(struct srv_relay *r, int cfd, const char *head, uint32_t cut)
{
    const char *eol = strstr(head, "\r\n");
    int ufd = hil_srv_connect(r->upstream_port);

    if (ufd < 0) {
        return;
    }
    if (relay_write(ufd, head, (size_t)(eol + 2 - head)) == 0 &&
        relay_write(ufd, "Connection: close\r\n", 19) == 0 && relay_write(ufd, eol + 2, strlen(eol + 2)) == 0) {
        relay_copy(ufd, cfd, cut);
    }
    close(ufd);
}

static void relay_one(struct srv_relay *r, int cfd)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    char head[4096];
    uint32_t n, cut = 0;
    bool fail = false, hook;

    if (relay_read_head(cfd, head, sizeof(head)) < 0) {
        return;
    }
    pthread_mutex_lock(&r->lock);
    n = ++r->n_req;
    if (n <= 64u) {
        snprintf(r->req[n - 1u], sizeof(r->req[0]), "%.1000s", head);
    }
    if (r->fail_503 > 0) {
        r->fail_503--;
        fail = true;
    }
    cut = r->cut_req == n ? r->cut_after : 0;
    hook = r->hook != NULL && r->hook_req == n;
    pthread_mutex_unlock(&r->lock);
    if (hook) {
        r->hook(r->hook_ctx);
    }
    if (fail) {
        (void)relay_write(cfd, busy, sizeof(busy) - 1u);
    } else {
        relay_forward(r, cfd, head, cut);
    }
}

static void *relay_main(void *arg)
{
    struct srv_relay *r = arg;

    while (!r->stop) {
        int cfd;

        if (relay_wait(r->lfd, 50) != 0) {
            continue;
        }
        cfd = accept(r->lfd, NULL, NULL);
        if (cfd >= 0) {
            relay_one(r, cfd);
            close(cfd);
        }
    }
    return NULL;
}

void srv_relay_start(struct srv_relay *r, int upstream_port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);

    memset(r, 0, sizeof(*r));
    r->upstream_port = upstream_port;
    r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(r->lfd, 8) != 0 ||
        getsockname(r->lfd, (struct sockaddr *)&a, &len) != 0) {
        fail_msg("relay: %s", strerror(errno));
    }
    r->port = ntohs(a.sin_port);
    pthread_mutex_init(&r->lock, NULL);
    if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
        fail_msg("relay: pthread_create failed");
    }
}

void srv_relay_reset(struct srv_relay *r)
{
    pthread_mutex_lock(&r->lock);
    r->fail_503 = 0;
    r->cut_req = 0;
    r->cut_after = 0;
    r->hook_req = 0;
    r->hook = NULL;
    r->n_req = 0;
    memset(r->req, 0, sizeof(r->req));
    pthread_mutex_unlock(&r->lock);
}

void srv_relay_stop(struct srv_relay *r)
{
    r->stop = true;
    pthread_join(r->thread, NULL);
    close(r->lfd);
    pthread_mutex_destroy(&r->lock);
}

bool srv_relay_req_has(struct srv_relay *r, uint32_t n, const char *text)
{
    bool has;

    pthread_mutex_lock(&r->lock);
    has = n >= 1u && n <= 64u && n <= r->n_req && strstr(r->req[n - 1u], text) != NULL;
    pthread_mutex_unlock(&r->lock);
    return has;
}
