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

static int srv_listen(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 8) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int srv_connect(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int srv_free_port(void)
{
    struct sockaddr_in a;
    socklen_t n = sizeof(a);
    int fd = srv_listen(0);

    if (fd < 0 || getsockname(fd, (struct sockaddr *)&a, &n) != 0) {
        fail_msg("free port: %s", strerror(errno));
    }
    close(fd);
    return ntohs(a.sin_port);
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

static void srv_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        fail_msg("%s: %s", path, strerror(errno));
    }
}

/* The server's log, for a failure message. */
static void srv_log(const struct srv_proc *s, char *out, size_t cap)
{
    char p[300];
    FILE *f;
    size_t n = 0;

    snprintf(p, sizeof(p), "%s/log", s->dir);
    f = fopen(p, "r");
    if (f != NULL) {
        n = fread(out, 1, cap - 1u, f);
        fclose(f);
    }
    out[n] = '\0';
}

/* fork/exec @p argv with stdout+stderr to DIR/log, then wait until the
 * port answers (or the server exits, or SRV_WAIT_MS pass: fail loudly). */
static void srv_spawn(struct srv_proc *s, const char *name, char *const argv[])
{
    char log[300], text[2048];
    uint64_t t0 = srv_now_ms();
    int status, fd;

    snprintf(log, sizeof(log), "%s/log", s->dir);
    s->pid = fork();
    if (s->pid < 0) {
        fail_msg("%s: fork: %s", name, strerror(errno));
    }
    if (s->pid == 0) {
        fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s (install it: scripts/install-deps.sh)\n", argv[0], strerror(errno));
        _exit(127);
    }
    while (srv_now_ms() - t0 < SRV_WAIT_MS) {
        fd = srv_connect(s->port);
        if (fd >= 0) {
            close(fd);
            return;
        }
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            srv_log(s, text, sizeof(text));
            fail_msg("%s did not start (exit status %d): %s", name, WEXITSTATUS(status), text);
        }
        usleep(20000);
    }
    srv_log(s, text, sizeof(text));
    fail_msg("%s: port %d did not answer within %u ms: %s", name, s->port, SRV_WAIT_MS, text);
}

void srv_http_start(struct srv_proc *s)
{
    char conf[300], text[1024];
    char *argv[] = { "/usr/sbin/lighttpd", "-D", "-f", conf, NULL };

    memset(s, 0, sizeof(*s));
    srv_tmpdir(s->dir);
    snprintf(s->www, sizeof(s->www), "%s/www", s->dir);
    mkdir(s->www, 0755);
    s->port = srv_free_port();
    snprintf(conf, sizeof(conf), "%s/lighttpd.conf", s->dir);
    snprintf(text, sizeof(text),
             "server.document-root = \"%s\"\nserver.bind = \"127.0.0.1\"\nserver.port = %d\n"
             "server.stat-cache-engine = \"disable\"\nmimetype.assign = (\"\" => \"application/octet-stream\")\n",
             s->www, s->port);
    srv_write_file(conf, text);
    srv_spawn(s, "lighttpd", argv);
}

void srv_mqtt_start(struct srv_proc *s)
{
    char conf[300], text[512];
    char *argv[] = { "/usr/sbin/mosquitto", "-c", conf, NULL };

    memset(s, 0, sizeof(*s));
    srv_tmpdir(s->dir);
    chmod(s->dir, 0755); /* mosquitto started as root drops to its own user */
    s->port = srv_free_port();
    snprintf(conf, sizeof(conf), "%s/mosquitto.conf", s->dir);
    snprintf(text, sizeof(text), "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", s->port);
    srv_write_file(conf, text);
    chmod(conf, 0644);
    srv_spawn(s, "mosquitto", argv);
}

void srv_stop(struct srv_proc *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    if (s->dir[0] != '\0') {
        srv_rmtree(s->dir);
        s->dir[0] = '\0';
    }
}

void srv_publish(const struct srv_proc *s, const char *name, const uint8_t *data, size_t len)
{
    char tmp[400], path[400];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", s->www, name);
    snprintf(path, sizeof(path), "%s/%s", s->www, name);
    f = fopen(tmp, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0 || rename(tmp, path) != 0) {
        fail_msg("publish %s: %s", path, strerror(errno));
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
