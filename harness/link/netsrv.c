/* Real servers on loopback for the bridge's cloud side (netsrv.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "fota/errors.h"
#include "link/netsrv.h"

static uint64_t srv_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int hil_srv_connect(int port)
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

int hil_srv_free_port(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t n = sizeof(a);
    int e = 0, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &n) != 0) {
        e = errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    *port = e == 0 ? ntohs(a.sin_port) : 0;
    return e;
}

static int srv_write_file(const char *path, const char *text, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");

    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return FOTA_EIO;
    }
    chmod(path, 0644);
    return 0;
}

/* "what: " + the server's log into @p err. */
static int srv_fail_log(const struct hil_srv *s, char *err, size_t errlen, const char *what)
{
    char p[300], text[1024];
    size_t n = 0;
    FILE *f;

    snprintf(p, sizeof(p), "%s/log", s->dir);
    f = fopen(p, "r");
    if (f != NULL) {
        n = fread(text, 1, sizeof(text) - 1u, f);
        fclose(f);
    }
    text[n] = '\0';
    snprintf(err, errlen, "%s; its log %s: %s", what, p, n > 0 ? text : "(empty)");
    return FOTA_EIO;
}

static void srv_exec(const char *log, char *const argv[])
{
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    for (int i = 3; i < 1024; i++) {
        close(i);
    }
    (void)setpgid(0, 0); /* never stopped or signalled with the harness's group */
    execv(argv[0], argv);
    fprintf(stderr, "exec %s: %s (install it: scripts/install-deps.sh)\n", argv[0], strerror(errno));
    _exit(127);
}

/* fork/exec @p argv with stdout+stderr to DIR/log, then wait until the
 * port answers, or the server exits, or HIL_SRV_WAIT_MS pass. */
static int srv_spawn(struct hil_srv *s, const char *name, char *const argv[], char *err, size_t errlen)
{
    char log[300], what[160];
    uint64_t t0 = srv_now_ms();
    int status;

    snprintf(log, sizeof(log), "%s/log", s->dir);
    fflush(NULL);
    s->pid = fork();
    if (s->pid < 0) {
        s->pid = 0;
        snprintf(err, errlen, "%s: fork: %s", name, strerror(errno));
        return FOTA_EIO;
    }
    if (s->pid == 0) {
        srv_exec(log, argv);
    }
    while (srv_now_ms() - t0 < HIL_SRV_WAIT_MS) {
        int fd = hil_srv_connect(s->port);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            snprintf(what, sizeof(what), "%s did not start (exit status %d)", name, WEXITSTATUS(status));
            return srv_fail_log(s, err, errlen, what);
        }
        usleep(20000);
    }
    hil_srv_stop(s);
    snprintf(what, sizeof(what), "%s: port %d did not answer within %u ms", name, s->port, HIL_SRV_WAIT_MS);
    return srv_fail_log(s, err, errlen, what);
}

static int srv_prepare(struct hil_srv *s, const char *dir, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    int e = hil_srv_free_port(&s->port);
    if (e != 0) {
        snprintf(err, errlen, "no free port on 127.0.0.1: %s", strerror(e));
        return FOTA_EIO;
    }
    return 0;
}

int hil_srv_http_start(struct hil_srv *s, const char *dir, char *err, size_t errlen)
{
    char conf[300], text[1024];
    char *argv[] = { "/usr/sbin/lighttpd", "-D", "-f", conf, NULL };

    if (srv_prepare(s, dir, err, errlen) != 0) {
        return FOTA_EIO;
    }
    snprintf(s->www, sizeof(s->www), "%s/www", s->dir);
    if (mkdir(s->www, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", s->www, strerror(errno));
        return FOTA_EIO;
    }
    snprintf(conf, sizeof(conf), "%s/lighttpd.conf", s->dir);
    snprintf(text, sizeof(text),
             "server.document-root = \"%s\"\nserver.bind = \"127.0.0.1\"\nserver.port = %d\n"
             "server.stat-cache-engine = \"disable\"\nserver.max-keep-alive-requests = 0\n"
             "mimetype.assign = (\"\" => \"application/octet-stream\")\n",
             s->www, s->port);
    if (srv_write_file(conf, text, err, errlen) != 0) {
        return FOTA_EIO;
    }
    return srv_spawn(s, "lighttpd", argv, err, errlen);
}

int hil_srv_mqtt_start(struct hil_srv *s, const char *dir, char *err, size_t errlen)
{
    char conf[300], text[512];
    char *argv[] = { "/usr/sbin/mosquitto", "-c", conf, NULL };

    if (srv_prepare(s, dir, err, errlen) != 0) {
        return FOTA_EIO;
    }
    chmod(s->dir, 0755); /* mosquitto started as root drops to its own user */
    snprintf(conf, sizeof(conf), "%s/mosquitto.conf", s->dir);
    snprintf(text, sizeof(text), "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", s->port);
    if (srv_write_file(conf, text, err, errlen) != 0) {
        return FOTA_EIO;
    }
    return srv_spawn(s, "mosquitto", argv, err, errlen);
}

void hil_srv_stop(struct hil_srv *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

int hil_srv_publish(const struct hil_srv *s, const char *name, const uint8_t *data, size_t len,
                    char *err, size_t errlen)
{
    char tmp[400], path[400];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", s->www, name);
    snprintf(path, sizeof(path), "%s/%s", s->www, name);
    f = fopen(tmp, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "publish %s: %s", path, strerror(errno));
        return FOTA_EIO;
    }
    return 0;
}

int hil_srv_publish_file(const struct hil_srv *s, const char *name, const char *src, char *err, size_t errlen)
{
    FILE *f = fopen(src, "rb");
    struct stat st;
    uint8_t *buf = NULL;
    int rc = FOTA_EIO;

    if (f == NULL || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "%s: %s", src, strerror(errno));
    } else if ((buf = malloc((size_t)st.st_size + 1u)) == NULL) {
        rc = FOTA_ENOMEM;
        snprintf(err, errlen, "%s: out of memory", src);
    } else if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        snprintf(err, errlen, "%s: short read", src);
    } else {
        rc = hil_srv_publish(s, name, buf, (size_t)st.st_size, err, errlen);
    }
    if (f != NULL) {
        fclose(f);
    }
    free(buf);
    return rc;
}
