/**
 * @file standin_board.c
 * @brief The stand-in board (standin_board.h).
 */
#include "standin_board.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int sb_connect(const struct standin *s, const char *name)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.60s/%.40s", s->dir, name);
    for (int i = 0; i < 5000; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            return fd;
        }
        if (fd >= 0) {
            close(fd);
        }
        usleep(1000);
    }
    return -1;
}

/* Send one QMP command, wait for its "return". */
static int sb_qmp(struct standin *s, const char *json)
{
    if (write(s->qmp, json, strlen(json)) != (ssize_t)strlen(json)) {
        return -1;
    }
    char buf[4096];
    size_t len = 0;
    for (int i = 0; i < 1000; i++) {
        struct pollfd p = { .fd = s->qmp, .events = POLLIN };
        if (poll(&p, 1, 10) > 0) {
            ssize_t n = read(s->qmp, buf + len, sizeof(buf) - 1 - len);
            if (n <= 0) {
                return -1;
            }
            len += (size_t)n;
            buf[len] = '\0';
            if (strstr(buf, "\"return\"") != NULL) {
                return 0;
            }
            if (strstr(buf, "\"error\"") != NULL || len > sizeof(buf) - 256) {
                return -1;
            }
        }
    }
    return -1;
}

static void sb_power_on(struct standin *s)
{
    if (s->qemu > 0) {
        return;
    }
    static const char *const socks[] = { "gdb.sock", "con.sock", "link.sock", "qmp.sock" };
    char path[256];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", s->dir, socks[i]);
        unlink(path);
    }
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (chdir(s->dir) != 0) {
            _exit(127);
        }
        int log = open("qemu.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
            dup2(log, 2);
        }
        execlp("qemu-system-arm", "qemu-system-arm", "-M", "netduinoplus2", "-nodefaults", "-display", "none",
               "-monitor", "none", "-S", "-chardev", "socket,id=gdb0,path=gdb.sock,server=on,wait=off", "-gdb",
               "chardev:gdb0", "-chardev", "socket,id=link,path=link.sock,server=on,wait=off", "-serial",
               "chardev:link", "-chardev", "socket,id=con,path=con.sock,server=on,wait=off", "-serial", "chardev:con",
               "-chardev", "socket,id=qmp,path=qmp.sock,server=on,wait=off", "-mon", "chardev=qmp,mode=control",
               "-device", "loader,file=chip.img,addr=0x08000000", "-icount", "shift=4,sleep=off", (char *)NULL);
        _exit(127);
    }
    s->qemu = pid;
    s->qmp = sb_connect(s, "qmp.sock");
    int con = sb_connect(s, "con.sock");
    int link = sb_connect(s, "link.sock");
    if (s->qmp >= 0) {
        sb_qmp(s, "{\"execute\":\"qmp_capabilities\"}\n");
    }
    pthread_mutex_lock(&s->mu);
    s->socks[0] = con;
    s->socks[1] = link;
    s->gen++;
    pthread_mutex_unlock(&s->mu);
    (void)standin_relay_start(s); /* a forked process has none yet */
    if (write(s->wake[1], "w", 1) < 0) {
        /* the relay polls with a timeout anyway */
    }
    s->power_ons++;
}

static void sb_power_off(struct standin *s)
{
    if (s->qemu <= 0) {
        return;
    }
    /* What the flash cells hold survives the power cut. */
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "{\"execute\":\"pmemsave\",\"arguments\":{\"val\":134217728,\"size\":1048576,\"filename\":\"%s/chip.img\"}}\n",
             s->dir);
    if (s->qmp >= 0) {
        sb_qmp(s, cmd);
    }
    kill(s->qemu, SIGKILL);
    waitpid(s->qemu, NULL, 0);
    s->qemu = -1;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < 2; i++) {
        if (s->socks[i] >= 0) {
            close(s->socks[i]);
        }
        s->socks[i] = -1;
    }
    s->gen++;
    pthread_mutex_unlock(&s->mu);
    if (s->qmp >= 0) {
        close(s->qmp);
    }
    s->qmp = -1;
    s->power_offs++;
}

void standin_gpio_cb(void *ctx, const char *chip, unsigned int line, int value)
{
    struct standin *s = ctx;
    if (strcmp(chip, s->chip_name) != 0) {
        return;
    }
    if (line == s->power_line) {
        if (value) {
            sb_power_on(s);
        } else {
            sb_power_off(s);
        }
    } else if (line == s->nrst_line) {
        /* Released after being held low: the chip restarts. */
        if (s->nrst_level == 0 && value == 1 && s->qemu > 0 && s->qmp >= 0) {
            sb_qmp(s, "{\"execute\":\"system_reset\"}\n");
            s->resets++;
        }
        s->nrst_level = value;
    }
}

static void *sb_relay(void *arg)
{
    struct standin *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        bool stop = s->stop;
        unsigned int gen = s->gen;
        int fds[5] = { s->masters[0], s->masters[1], s->socks[0], s->socks[1], s->wake[0] };
        pthread_mutex_unlock(&s->mu);
        if (stop) {
            return NULL;
        }
        struct pollfd p[5];
        for (int i = 0; i < 5; i++) {
            p[i].fd = fds[i];
            p[i].events = POLLIN;
            p[i].revents = 0;
        }
        if (poll(p, 5, 100) <= 0) {
            continue;
        }
        char buf[4096];
        if (p[4].revents != 0) {
            if (read(s->wake[0], buf, sizeof(buf)) < 0) {
                /* nothing */
            }
        }
        pthread_mutex_lock(&s->mu);
        if (s->gen == gen) {
            for (int i = 0; i < 4; i++) {
                if (fds[i] < 0 || (p[i].revents & (POLLIN | POLLHUP)) == 0) {
                    continue;
                }
                ssize_t n = read(fds[i], buf, sizeof(buf));
                int to = i < 2 ? s->socks[i] : s->masters[i - 2];
                if (n > 0 && to >= 0) {
                    if (write(to, buf, (size_t)n) < 0) {
                        /* a wire with nobody listening */
                    }
                } else if (n == 0 && i >= 2) {
                    close(s->socks[i - 2]); /* QEMU went away */
                    s->socks[i - 2] = -1;
                }
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
}

int standin_start(struct standin *s, const char *dir, const char *chip_name, unsigned int power_line,
                  unsigned int nrst_line)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    s->chip_name = chip_name;
    s->power_line = power_line;
    s->nrst_line = nrst_line;
    s->nrst_level = 1;
    s->qemu = -1;
    s->qmp = -1;
    s->socks[0] = s->socks[1] = -1;
    char *paths[2] = { s->con_tty, s->link_tty };
    for (int i = 0; i < 2; i++) {
        s->masters[i] = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (s->masters[i] < 0 || grantpt(s->masters[i]) != 0 || unlockpt(s->masters[i]) != 0 ||
            ptsname_r(s->masters[i], paths[i], 64) != 0) {
            return -1;
        }
        s->slaves[i] = open(paths[i], O_RDWR | O_NOCTTY | O_CLOEXEC);
        struct termios tio;
        if (s->slaves[i] < 0 || tcgetattr(s->slaves[i], &tio) != 0) {
            return -1;
        }
        cfmakeraw(&tio);
        tcsetattr(s->slaves[i], TCSANOW, &tio);
    }
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        return -1;
    }
    pthread_mutex_init(&s->mu, NULL);
    return standin_relay_start(s);
}

int standin_relay_start(struct standin *s)
{
    if (s->relay_running) {
        return 0;
    }
    s->stop = false;
    if (pthread_create(&s->relay, NULL, sb_relay, s) != 0) {
        return -1;
    }
    s->relay_running = true;
    return 0;
}

void standin_relay_stop(struct standin *s)
{
    if (!s->relay_running) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_mutex_unlock(&s->mu);
    if (write(s->wake[1], "w", 1) < 0) {
        /* the relay polls with a timeout anyway */
    }
    pthread_join(s->relay, NULL);
    s->relay_running = false;
}

void standin_stop(struct standin *s)
{
    if (s->qemu > 0) {
        kill(s->qemu, SIGKILL);
        waitpid(s->qemu, NULL, 0);
        s->qemu = -1;
    }
    standin_relay_stop(s);
    for (int i = 0; i < 2; i++) {
        if (s->socks[i] >= 0) {
            close(s->socks[i]);
        }
        close(s->masters[i]);
        close(s->slaves[i]);
    }
    if (s->qmp >= 0) {
        close(s->qmp);
    }
    close(s->wake[0]);
    close(s->wake[1]);
    pthread_mutex_destroy(&s->mu);
}
