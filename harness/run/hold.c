/**
 * @file hold.c
 * @brief Holding the updater while the device owes an answer (hold.h).
 */
#include "run/hold.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/diag.h"
#include "target/cpuclock.h"

static uint64_t hold_wall_ms(void)
{
    return (uint64_t)hil_wall_ms();
}

/* CPU us of @p pid (cpuclock.h) if it is our child named qemu-system-arm; -1 otherwise. */
static int64_t hold_qemu_cpu_us(pid_t pid)
{
    char buf[1024], comm[64];
    const char *rest = hil_proc_stat(pid, buf, sizeof(buf), comm, sizeof(comm));
    if (rest == NULL || strncmp(comm, "qemu-system-", 12) != 0) {
        return -1;
    }
    int ppid = 0;
    if (sscanf(rest, " %*c %d", &ppid) != 1 || ppid != (int)getpid()) {
        return -1;
    }
    return hil_cpu_us(pid);
}

static int64_t hold_qemu_cpu_ms(pid_t pid)
{
    int64_t us = hold_qemu_cpu_us(pid);
    return us < 0 ? -1 : us / 1000;
}

/* Find our QEMU child (0: none). */
static pid_t hold_find_qemu(void)
{
    DIR *d = opendir("/proc");
    if (d == NULL) {
        return 0;
    }
    pid_t found = 0;
    struct dirent *e;
    while (found == 0 && (e = readdir(d)) != NULL) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid > 0 && hold_qemu_cpu_ms(pid) >= 0) {
            found = pid;
        }
    }
    closedir(d);
    return found;
}

uint64_t hil_hold_device_ms(struct hil_hold *h)
{
    int64_t ms = h->qemu > 0 ? hold_qemu_cpu_ms(h->qemu) : -1;
    uint64_t wall = hold_wall_ms();
    if (ms < 0 && wall - h->scanned >= HIL_HOLD_SCAN_MS) {
        h->scanned = wall; /* a scan costs a read of every /proc/PID/stat: not every pump round */
        h->qemu = hold_find_qemu();
        ms = h->qemu > 0 ? hold_qemu_cpu_ms(h->qemu) : -1;
    }
    return ms >= 0 ? (uint64_t)ms : wall;
}

void hil_hold_request(struct hil_hold *h, bool hello, uint8_t seq)
{
    h->owed = true;
    h->owed_seq = seq;
    h->budget_ms = hello ? HIL_HOLD_HELLO_MS : HIL_HOLD_MS;
    h->owed_at = hil_hold_device_ms(h);
}

void hil_hold_answered(struct hil_hold *h, uint8_t seq, bool intact)
{
    if (!intact || seq == h->owed_seq) {
        h->owed = false;
    }
}

static void hold_release(struct hil_hold *h, pid_t updater)
{
    if (h->held && updater > 0) {
        kill(updater, SIGCONT);
    }
    if (h->held) {
        h->held_ms += hold_wall_ms() - h->held_since;
    }
    h->held = false;
}

int hil_hold_service(struct hil_hold *h, pid_t updater, bool alive)
{
    if (!alive || updater <= 0) {
        hold_release(h, updater);
        h->owed = false;
        return 0;
    }
    if (!h->owed) {
        hold_release(h, updater);
        return 0;
    }
    /* The QEMU process may be new, or the device time may not be QEMU's:
     * a fall back from CPU to wall time restarts the count. */
    uint64_t now = hil_hold_device_ms(h);
    if (now < h->owed_at) {
        h->owed_at = now;
    }
    if (now - h->owed_at >= h->budget_ms) {
        h->owed = false;
        h->expired++;
        hold_release(h, updater);
        return 1;
    }
    if (!h->held && kill(updater, SIGSTOP) == 0) {
        h->held = true;
        h->holds++;
        h->held_since = hold_wall_ms();
    }
    return 0;
}

uint64_t hil_devclock_us(struct hil_devclock *c)
{
    uint64_t wall = hold_wall_ms();
    int64_t cpu = c->qemu > 0 ? hold_qemu_cpu_us(c->qemu) : -1;
    if (cpu < 0 && wall - c->scanned >= HIL_HOLD_SCAN_MS) {
        c->scanned = wall;
        pid_t q = hold_find_qemu();
        cpu = q > 0 ? hold_qemu_cpu_us(q) : -1;
        if (cpu >= 0) {
            /* a new QEMU: its CPU time so far counts from here on */
            c->qemu = q;
            c->last_cpu = (uint64_t)cpu;
        }
    }
    if (cpu < 0) {
        c->qemu = 0;
    }
    uint64_t was = c->us;
    if (c->last_wall != 0 && cpu >= 0) {
        c->us += (uint64_t)cpu - c->last_cpu;
    } else if (c->last_wall != 0) {
        c->us += (wall - c->last_wall) * 1000u;
    }
    if (c->us != was || c->last_wall == 0) {
        c->moved = wall;
    }
    if (cpu >= 0) {
        c->last_cpu = (uint64_t)cpu;
    }
    c->last_wall = wall;
    return c->us;
}

uint64_t hil_devclock_stalled_ms(const struct hil_devclock *c)
{
    return c->last_wall > c->moved ? c->last_wall - c->moved : 0;
}

uint64_t hil_devclock_ms(struct hil_devclock *c)
{
    return hil_devclock_us(c) / 1000u;
}
