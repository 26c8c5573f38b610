/**
 * @file power.c
 * @brief The power interface (power.h) and its GPIO-relay and command
 * drivers; the USB hub driver is in power_usb.c.
 */
#include "target/power.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fota/errors.h"
#include "target/gpio.h"

/* ---- GPIO relay ---- */

struct power_gpio {
    struct hil_power base;
    struct hil_gpio *g;
};

static int power_gpio_set(struct hil_power *p, bool on)
{
    struct power_gpio *pg = (struct power_gpio *)p;
    if (hil_gpio_set(pg->g, on) != 0) {
        snprintf(p->err, sizeof(p->err), "%s", hil_gpio_error(pg->g));
        return FOTA_EIO;
    }
    return 0;
}

static void power_gpio_close(struct hil_power *p)
{
    struct power_gpio *pg = (struct power_gpio *)p;
    hil_gpio_close(pg->g);
    free(pg);
}

static const struct hil_power_ops power_gpio_ops = {
    .name = "gpio", .set = power_gpio_set, .close = power_gpio_close,
};

int hil_power_gpio_open(const struct hil_power_spec *spec, struct hil_power **out, char *err, size_t errlen)
{
    struct power_gpio *pg = calloc(1, sizeof(*pg));
    if (pg == NULL) {
        return FOTA_ENOMEM;
    }
    /* Requested "off": opening the driver must not power a board up. */
    int rc = hil_gpio_open(&spec->gpio, "fota-hil power", false, &pg->g, err, errlen);
    if (rc != 0) {
        free(pg);
        return rc;
    }
    pg->base.ops = &power_gpio_ops;
    *out = &pg->base;
    return 0;
}

/* ---- external commands ---- */

struct power_cmd {
    struct hil_power base;
    char *on_cmd;
    char *off_cmd;
    uint32_t limit_ms;
};

static uint64_t power_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reap @p pid within @p limit_ms, else SIGKILL its process group and reap it.
 * @return 0 (status in *st); FOTA_ETIMEOUT (killed); FOTA_EIO (waitpid failed). */
static int power_cmd_wait(pid_t pid, uint32_t limit_ms, int *st)
{
    uint64_t deadline = power_now_ms() + limit_ms;
    for (;;) {
        pid_t w = waitpid(pid, st, WNOHANG);
        if (w == pid) {
            return 0;
        }
        if (w < 0 && errno != EINTR) {
            return FOTA_EIO;
        }
        if (power_now_ms() >= deadline) {
            (void)kill(-pid, SIGKILL);
            while (waitpid(pid, st, 0) < 0 && errno == EINTR) {
            }
            return FOTA_ETIMEOUT;
        }
        struct timespec nap = { 0, 5 * 1000 * 1000 };
        nanosleep(&nap, NULL);
    }
}

static int power_cmd_set(struct hil_power *p, bool on)
{
    struct power_cmd *pc = (struct power_cmd *)p;
    const char *cmd = on ? pc->on_cmd : pc->off_cmd;
    const char *what = on ? "on" : "off";
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(p->err, sizeof(p->err), "power %s: fork: %s", what, strerror(errno));
        return FOTA_EIO;
    }
    if (pid == 0) {
        (void)setpgid(0, 0); /* its own group: a kill at the limit reaches what it started */
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    (void)setpgid(pid, pid); /* also here: no race with the kill */
    int st = 0;
    int rc = power_cmd_wait(pid, pc->limit_ms, &st);
    if (rc == FOTA_ETIMEOUT) {
        snprintf(p->err, sizeof(p->err), "power %s: `%s` still running after %u ms: killed", what, cmd,
                 pc->limit_ms);
        return rc;
    }
    if (rc != 0) {
        snprintf(p->err, sizeof(p->err), "power %s: waitpid: %s", what, strerror(errno));
        return rc;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(p->err, sizeof(p->err), "power %s: `%s` %s %d", what, cmd,
                 WIFEXITED(st) ? "exited with status" : "killed by signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        return FOTA_EIO;
    }
    return 0;
}

static void power_cmd_close(struct hil_power *p)
{
    struct power_cmd *pc = (struct power_cmd *)p;
    free(pc->on_cmd);
    free(pc->off_cmd);
    free(pc);
}

static const struct hil_power_ops power_cmd_ops = {
    .name = "command", .set = power_cmd_set, .close = power_cmd_close,
};

int hil_power_cmd_open(const struct hil_power_spec *spec, struct hil_power **out, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct power_cmd *pc = calloc(1, sizeof(*pc));
    if (pc == NULL) {
        return FOTA_ENOMEM;
    }
    pc->on_cmd = strdup(spec->on_cmd);
    pc->off_cmd = strdup(spec->off_cmd);
    if (pc->on_cmd == NULL || pc->off_cmd == NULL) {
        power_cmd_close(&pc->base);
        return FOTA_ENOMEM;
    }
    pc->limit_ms = spec->cmd_limit_ms != 0 ? spec->cmd_limit_ms : HIL_POWER_CMD_LIMIT_MS;
    pc->base.ops = &power_cmd_ops;
    *out = &pc->base;
    return 0;
}

/* Is the first word of @p cmd an executable (path, or found in PATH)? */
static bool power_cmd_found(const char *cmd)
{
    char word[512];
    size_t n = strcspn(cmd, " \t");
    if (n == 0 || n >= sizeof(word)) {
        return false;
    }
    memcpy(word, cmd, n);
    word[n] = '\0';
    if (strchr(word, '/') != NULL) {
        return access(word, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (path == NULL) {
        path = "/usr/bin:/bin";
    }
    while (*path != '\0') {
        size_t dl = strcspn(path, ":");
        char full[1024];
        snprintf(full, sizeof(full), "%.*s/%s", (int)dl, path, word);
        if (access(full, X_OK) == 0) {
            return true;
        }
        path += dl;
        if (*path == ':') {
            path++;
        }
    }
    return false;
}

/* ---- the interface ---- */

int hil_power_open(const struct hil_power_spec *spec, struct hil_power **out, char *err, size_t errlen)
{
    *out = NULL;
    switch (spec->kind) {
    case HIL_POWER_GPIO:
        return hil_power_gpio_open(spec, out, err, errlen);
    case HIL_POWER_USB_HUB:
        return hil_power_usb_open(spec, out, err, errlen);
    case HIL_POWER_COMMAND:
        return hil_power_cmd_open(spec, out, err, errlen);
    case HIL_POWER_NONE:
        break;
    }
    snprintf(err, errlen, "power driver none: nothing can switch the board");
    return FOTA_ENOTSUP;
}

int hil_power_set(struct hil_power *p, bool on)
{
    p->err[0] = '\0';
    int rc = p->ops->set(p, on);
    if (rc == 0) {
        p->on = on;
    }
    return rc;
}

const char *hil_power_error(const struct hil_power *p)
{
    return p->err;
}

void hil_power_close(struct hil_power *p)
{
    if (p != NULL) {
        p->ops->close(p);
    }
}

int hil_power_check(const struct hil_power_spec *spec, char *err, size_t errlen)
{
    switch (spec->kind) {
    case HIL_POWER_GPIO:
        return hil_gpio_check(&spec->gpio, err, errlen);
    case HIL_POWER_USB_HUB:
        return hil_power_usb_check(spec, err, errlen);
    case HIL_POWER_COMMAND:
        if (!power_cmd_found(spec->on_cmd)) {
            snprintf(err, errlen, "power on command `%s`: program not found", spec->on_cmd);
            return FOTA_ENOENT;
        }
        if (!power_cmd_found(spec->off_cmd)) {
            snprintf(err, errlen, "power off command `%s`: program not found", spec->off_cmd);
            return FOTA_ENOENT;
        }
        return 0;
    case HIL_POWER_NONE:
        break;
    }
    snprintf(err, errlen, "power driver none: nothing can switch the board (power cuts impossible)");
    return FOTA_ENOTSUP;
}
