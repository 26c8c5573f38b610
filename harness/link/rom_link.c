/**
 * @file rom_link.c
 * @brief BOOT0/NRST control socket and the emulated ROM's lifetime (rom_link.h).
 */
#include "link/rom_link.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fota/errors.h"

void hil_romlink_init(struct hil_romlink *rl, const struct hil_romlink_ops *ops)
{
    memset(rl, 0, sizeof(*rl));
    rl->listen_fd = -1;
    rl->client_fd = -1;
    if (ops != NULL) {
        rl->ops = *ops;
    }
}

int hil_romlink_listen(struct hil_romlink *rl, const char *dir)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (rl->listen_fd >= 0) {
        return 0;
    }
    int n = snprintf(rl->path, sizeof(rl->path), "%s/boot.sock", dir);
    if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
        return FOTA_EINVAL;
    }
    memcpy(sa.sun_path, rl->path, (size_t)n + 1);
    unlink(rl->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return FOTA_EIO;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 1) != 0) {
        close(fd);
        return FOTA_EIO;
    }
    rl->listen_fd = fd;
    return 0;
}

void hil_romlink_unlisten(struct hil_romlink *rl)
{
    if (rl->client_fd >= 0) {
        close(rl->client_fd);
        rl->client_fd = -1;
    }
    if (rl->listen_fd >= 0) {
        close(rl->listen_fd);
        rl->listen_fd = -1;
        unlink(rl->path);
    }
    rl->line_len = 0;
}

static enum hil_rom_answer romlink_on_command(void *ctx, uint8_t cmd, uint32_t n);

int hil_romlink_enter(struct hil_romlink *rl, struct hil_flash *flash, const struct hil_rom_hooks *hooks)
{
    if (rl->rom == NULL) {
        rl->rom = malloc(sizeof(*rl->rom));
        if (rl->rom == NULL) {
            return FOTA_ENOMEM;
        }
    }
    struct hil_rom_hooks h = { 0 };
    if (hooks != NULL) {
        h = *hooks;
    }
    /* Command faults are ours; the runner keeps the flash and log hooks. */
    h.on_command = romlink_on_command;
    hil_rom_init(rl->rom, flash, &h);
    rl->in_rom = true;
    return 0;
}

void hil_romlink_leave(struct hil_romlink *rl)
{
    rl->in_rom = false;
}

void hil_romlink_arm(struct hil_romlink *rl, const struct hil_fault *faults, int nfaults)
{
    rl->faults = faults;
    rl->nfaults = nfaults;
    memset(rl->fired, 0, sizeof(rl->fired));
}

bool hil_romlink_fired(const struct hil_romlink *rl, int i)
{
    return i >= 0 && i < (int)(sizeof(rl->fired) / sizeof(rl->fired[0])) && rl->fired[i];
}

/* The ROM's command hook. Its ctx is the runner's, so the romlink is
 * found through this file-scope pointer (one runner per process). */
static struct hil_romlink *romlink_current;

static enum hil_rom_answer romlink_on_command(void *ctx, uint8_t cmd, uint32_t n)
{
    (void)ctx;
    struct hil_romlink *rl = romlink_current;
    if (rl == NULL) {
        return HIL_ROM_ANSWER;
    }
    for (int i = 0; i < rl->nfaults && i < (int)(sizeof(rl->fired) / sizeof(rl->fired[0])); i++) {
        const struct hil_fault *f = &rl->faults[i];
        if ((f->kind != HIL_FAULT_ROM_NACK && f->kind != HIL_FAULT_ROM_SILENT && f->kind != HIL_FAULT_ROM_LATE) ||
            rl->fired[i]) {
            continue;
        }
        if (f->rom_cmd == cmd && f->n == n && f->kind == HIL_FAULT_ROM_LATE) {
            /* The parameter after this command comes late (bus time, rom_an4221.h). */
            rl->fired[i] = true;
            rl->rom->late_ns = (uint64_t)f->late_ms * 1000000u;
            if (rl->rom->hooks.log != NULL) {
                char line[96];
                snprintf(line, sizeof(line), "rom: FAULT rom_late: the parameter after %s #%u comes %u ms late",
                         hil_rom_cmd_name(cmd), n, f->late_ms);
                rl->rom->hooks.log(rl->rom->hooks.ctx, line);
            }
            continue;
        }
        if (f->rom_cmd == cmd && f->n == n) {
            rl->fired[i] = true;
            if (rl->ops.fault != NULL) {
                rl->ops.fault(rl->ops.ctx, f->kind == HIL_FAULT_ROM_NACK, cmd, n);
            }
            return f->kind == HIL_FAULT_ROM_NACK ? HIL_ROM_FORCE_NACK : HIL_ROM_SILENT;
        }
    }
    return HIL_ROM_ANSWER;
}

int hil_romlink_poll_fds(struct hil_romlink *rl, struct pollfd *fds, int max)
{
    int n = 0;
    romlink_current = rl;
    int want[2] = { rl->listen_fd, rl->client_fd };
    for (int i = 0; i < 2 && n < max; i++) {
        if (want[i] >= 0) {
            fds[n].fd = want[i];
            fds[n].events = POLLIN;
            fds[n].revents = 0;
            n++;
        }
    }
    return n;
}

static void romlink_answer(struct hil_romlink *rl, const char *s)
{
    if (rl->client_fd >= 0) {
        (void)send(rl->client_fd, s, strlen(s), MSG_NOSIGNAL);
    }
}

static void romlink_line(struct hil_romlink *rl, const char *line)
{
    if (strcmp(line, "boot0 1") == 0 || strcmp(line, "boot0 0") == 0) {
        rl->boot0 = line[6] == '1';
        romlink_answer(rl, "ok\n");
    } else if (strcmp(line, "nrst") == 0) {
        /* The pulse is given, as a GPIO driver answers once the pin moved:
         * "ok" goes out before the reset. A reset into flash starts QEMU,
         * which on a loaded machine took longer than the updater's 5 s
         * boot-ctl timeout (rom.an3155.nack_timeout failed "boot-ctl: no
         * answer to 'nrst'"). The updater's next bytes are read only after
         * ops.nrst returns, so they still reach the ROM or the device. */
        romlink_answer(rl, "ok\n");
        if (rl->ops.nrst != NULL) {
            rl->ops.nrst(rl->ops.ctx, rl->boot0, "NRST pulse on boot.sock");
        }
    } else {
        romlink_answer(rl, "error: unknown command (boot0 0|1, nrst)\n");
    }
}

void hil_romlink_service(struct hil_romlink *rl)
{
    romlink_current = rl;
    if (rl->listen_fd >= 0 && rl->client_fd < 0) {
        int c = accept4(rl->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c >= 0) {
            rl->client_fd = c;
            rl->line_len = 0;
        }
    }
    while (rl->client_fd >= 0) {
        char ch;
        ssize_t n = recv(rl->client_fd, &ch, 1, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            close(rl->client_fd);
            rl->client_fd = -1;
            return;
        }
        if (n < 0) {
            return;
        }
        if (ch == '\n') {
            rl->line[rl->line_len] = '\0';
            rl->line_len = 0;
            romlink_line(rl, rl->line);
        } else if (rl->line_len < HIL_ROMLINK_LINE - 1) {
            rl->line[rl->line_len++] = ch;
        }
    }
}
