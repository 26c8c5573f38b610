/**
 * @file cpuclock.c
 * @brief CPU time of a process, and waits counted in it (cpuclock.h).
 */
#include "target/cpuclock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t hil_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* utime + stime of /proc/PID/stat in us; -1 unreadable. */
static int64_t cpu_from_stat(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rest = strrchr(buf, ')'); /* comm may hold spaces and ')' */
    unsigned long long ut = 0, st = 0;
    /* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (rest == NULL ||
        sscanf(rest + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
        return -1;
    }
    long tck = sysconf(_SC_CLK_TCK);
    return (int64_t)((ut + st) * 1000000u / (unsigned long long)(tck > 0 ? tck : 100));
}

int64_t hil_cpu_us(pid_t pid)
{
    if (pid <= 0) {
        return -1;
    }
    clockid_t cid;
    struct timespec ts;
    if (clock_getcpuclockid(pid, &cid) == 0 && clock_gettime(cid, &ts) == 0) {
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    }
    return cpu_from_stat(pid);
}

void hil_cpuwait_begin(struct hil_cpuwait *w, pid_t pid, int budget_ms)
{
    w->pid = pid;
    w->budget_ms = budget_ms > 0 ? budget_ms : 1;
    w->wall0 = hil_wall_ms();
    w->cpu0 = hil_cpu_us(pid);
}

int hil_cpuwait_left(const struct hil_cpuwait *w)
{
    int64_t wall = hil_wall_ms() - w->wall0;
    int64_t cpu = w->cpu0 >= 0 ? hil_cpu_us(w->pid) : -1;
    if (cpu < 0) {
        int64_t left = w->budget_ms - wall; /* no peer, or it is gone: wall time */
        return left > 0 ? (int)left : 0;
    }
    int64_t used = (cpu - w->cpu0) / 1000;
    if (used >= w->budget_ms || wall >= (int64_t)HIL_CPUWAIT_BACKSTOP * w->budget_ms) {
        return 0;
    }
    int64_t left = w->budget_ms - used;
    return (int)(left < HIL_CPUWAIT_SLICE_MS ? left : HIL_CPUWAIT_SLICE_MS);
}
