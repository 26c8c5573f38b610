/*
 * The network fault proxy's TCP runner (netfault.h): one listening
 * socket on 127.0.0.1, one detached thread per connection relaying both
 * directions through hil_nf_plan().
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "link/netfault.h"
#include "link/netsrv.h"

struct nf_conn {
    struct hil_nf_proxy *p;
    int fd[2];              /* [HIL_NF_UP] the client (we read what goes up), [HIL_NF_DOWN] the server */
    uint32_t n;             /* connection number, 1-based */
    uint64_t done[2];       /* bytes forwarded per direction */
    bool stalled;           /* server->client stopped for good */
    struct hil_nf_fault f;
};

static void nf_sleep_ms(uint32_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int nf_send(int fd, const uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

        if (w <= 0) {
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static void nf_count(struct nf_conn *c, enum hil_nf_dir dir, size_t n, bool faulted)
{
    pthread_mutex_lock(&c->p->lock);
    if (dir == HIL_NF_UP) {
        c->p->bytes_up += n;
    } else {
        c->p->bytes_down += n;
    }
    c->p->n_faulted += faulted ? 1u : 0u;
    pthread_mutex_unlock(&c->p->lock);
}

static void nf_reset(int fd)
{
    struct linger l = { 1, 0 };

    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* Relay one read's worth; @return false when the connection is over. */
static bool nf_relay(struct nf_conn *c, enum hil_nf_dir dir, const uint8_t *buf, size_t got)
{
    int to = c->fd[dir == HIL_NF_UP ? HIL_NF_DOWN : HIL_NF_UP];
    size_t off = 0;
    struct hil_nf_plan pl;

    while (off < got) {
        if (hil_nf_plan(&c->f, c->n, dir, c->done[HIL_NF_UP], c->done[HIL_NF_DOWN], got - off, &pl) != 0 ||
            nf_send(to, buf + off, pl.n) != 0) {
            return false;
        }
        off += pl.n;
        c->done[dir] += pl.n;
        nf_count(c, dir, pl.n, pl.action >= HIL_NF_PASS_CLOSE);
        if (pl.action == HIL_NF_PASS_PAUSE) {
            nf_sleep_ms(pl.pause_ms);
        } else if (pl.action == HIL_NF_PASS_RESET) {
            nf_reset(c->fd[0]);
            nf_reset(c->fd[1]);
            return false;
        } else if (pl.action == HIL_NF_PASS_CLOSE) {
            return false;
        } else if (pl.action == HIL_NF_PASS_STALL) {
            c->stalled = true;
            return true;
        }
    }
    return true;
}

static void nf_pump(struct nf_conn *c)
{
    uint8_t buf[4096];

    while (!c->p->stop) {
        struct pollfd pf[2] = { { c->fd[0], POLLIN, 0 }, { c->fd[1], c->stalled ? 0 : POLLIN, 0 } };
        int i;

        if (poll(pf, 2, 100) < 0 && errno != EINTR) {
            return;
        }
        for (i = 0; i < 2; i++) {
            ssize_t r;

            if ((pf[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            r = recv(c->fd[i], buf, sizeof(buf), 0);
            if (r <= 0 || !nf_relay(c, i == 0 ? HIL_NF_UP : HIL_NF_DOWN, buf, (size_t)r)) {
                return;
            }
        }
    }
}

static void *nf_conn_main(void *arg)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    struct nf_conn *c = arg;
    struct hil_nf_proxy *p = c->p;

    if (hil_nf_answers_503(&c->f, c->n)) {
        (void)nf_send(c->fd[0], (const uint8_t *)busy, sizeof(busy) - 1u);
        nf_count(c, HIL_NF_DOWN, 0, true);
    } else {
        c->fd[1] = hil_srv_connect(p->upstream_port);
        if (c->fd[1] >= 0) {
            nf_pump(c);
            close(c->fd[1]);
        }
    }
    close(c->fd[0]);
    free(c);
    pthread_mutex_lock(&p->lock);
    p->active--;
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void nf_accept(struct hil_nf_proxy *p)
{
    struct nf_conn *c = calloc(1, sizeof(*c));
    pthread_t t;

    if (c == NULL) {
        return;
    }
    c->p = p;
    c->fd[1] = -1;
    c->fd[0] = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
    pthread_mutex_lock(&p->lock);
    c->n = ++p->n_conn;
    c->f = p->fault;
    p->active++;
    pthread_mutex_unlock(&p->lock);
    if (p->on_conn != NULL && c->fd[0] >= 0) {
        p->on_conn(p->on_conn_ctx, c->n);
    }
    if (c->fd[0] < 0 || pthread_create(&t, NULL, nf_conn_main, c) != 0) {
        if (c->fd[0] >= 0) {
            close(c->fd[0]);
        }
        free(c);
        pthread_mutex_lock(&p->lock);
        p->active--;
        pthread_mutex_unlock(&p->lock);
        return;
    }
    pthread_detach(t);
}

static void *nf_main(void *arg)
{
    struct hil_nf_proxy *p = arg;

    while (!p->stop) {
        struct pollfd pf = { p->lfd, POLLIN, 0 };

        if (poll(&pf, 1, 100) > 0) {
            nf_accept(p);
        }
    }
    return NULL;
}

int hil_nf_start(struct hil_nf_proxy *p, int upstream_port, const struct hil_nf_fault *f)
{
    return hil_nf_start_hook(p, upstream_port, f, NULL, NULL);
}

int hil_nf_start_hook(struct hil_nf_proxy *p, int upstream_port, const struct hil_nf_fault *f,
                      void (*on_conn)(void *ctx, uint32_t conn), void *ctx)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int e;

    memset(p, 0, sizeof(*p));
    p->upstream_port = upstream_port;
    p->on_conn = on_conn;
    p->on_conn_ctx = ctx;
    if (f != NULL) {
        p->fault = *f;
    }
    p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(p->lfd, 16) != 0 ||
        getsockname(p->lfd, (struct sockaddr *)&a, &len) != 0) {
        e = errno;
        if (p->lfd >= 0) {
            close(p->lfd);
        }
        return e;
    }
    p->port = ntohs(a.sin_port);
    pthread_mutex_init(&p->lock, NULL);
    e = pthread_create(&p->thread, NULL, nf_main, p);
    if (e != 0) {
        close(p->lfd);
        pthread_mutex_destroy(&p->lock);
    }
    return e;
}

void hil_nf_stop(struct hil_nf_proxy *p)
{
    bool busy = true;

    p->stop = true;
    pthread_join(p->thread, NULL);
    close(p->lfd);
    while (busy) { /* each connection thread sees stop within one poll (100 ms) or drip pause */
        pthread_mutex_lock(&p->lock);
        busy = p->active > 0;
        pthread_mutex_unlock(&p->lock);
        if (busy) {
            nf_sleep_ms(10);
        }
    }
    pthread_mutex_destroy(&p->lock);
}
