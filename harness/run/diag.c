/**
 * @file diag.c
 * @brief Diagnosis of a timed-out step (diag.h).
 */
#include "run/diag.h"

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "fota/errors.h"

#define DIAG_MAX_PROCS 64

void hil_diag_ring_add(struct hil_diag_ring *ring, const char *line)
{
    snprintf(ring->line[ring->next % HIL_DIAG_LINES], HIL_DIAG_LINE, "%s", line);
    ring->next++;
}

static void diag_ring_print(FILE *f, const char *title, const struct hil_diag_ring *ring)
{
    unsigned n = ring->next < HIL_DIAG_LINES ? ring->next : HIL_DIAG_LINES;
    fprintf(f, "\n== %s (last %u of %u)\n", title, n, ring->next);
    for (unsigned i = ring->next - n; i < ring->next; i++) {
        fprintf(f, "%s\n", ring->line[i % HIL_DIAG_LINES]);
    }
}

/* Copy /proc/<pid>/<name> into @p f, each line indented; say so if unreadable. */
static void diag_proc_file(FILE *f, pid_t pid, const char *name)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        fprintf(f, "    %s: unreadable\n", name);
        return;
    }
    char line[256];
    bool any = false;
    while (fgets(line, sizeof(line), in) != NULL) {
        size_t n = strlen(line);
        fprintf(f, "    %s: %s%s", name, line, n > 0 && line[n - 1] == '\n' ? "" : "\n");
        any = true;
    }
    if (!any) {
        fprintf(f, "    %s: (empty)\n", name);
    }
    fclose(in);
}

const char *hil_proc_stat(pid_t pid, char *buf, size_t len, char *comm, size_t commlen)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        return NULL;
    }
    size_t n = fread(buf, 1, len - 1, in);
    fclose(in);
    buf[n] = '\0';
    char *open = strchr(buf, '(');
    char *close = strrchr(buf, ')');
    if (open == NULL || close == NULL || close < open) {
        return NULL;
    }
    snprintf(comm, commlen, "%.*s", (int)(close - open - 1), open + 1);
    return close + 1;
}

/* Parent, state and name of @p pid from /proc/PID/stat. @return 0; -1. */
static int diag_stat(pid_t pid, pid_t *ppid, char *state, char *comm, size_t commlen)
{
    char buf[512];
    const char *rest = hil_proc_stat(pid, buf, sizeof(buf), comm, commlen);
    int pp = 0;
    if (rest == NULL || sscanf(rest, " %c %d", state, &pp) != 2) {
        return -1;
    }
    *ppid = (pid_t)pp;
    return 0;
}

/* The descendants of this process, parents before children. */
static int diag_descendants(pid_t *out, int max)
{
    int n = 0;
    pid_t parents[DIAG_MAX_PROCS + 1];
    int np = 1;
    parents[0] = getpid();
    for (int round = 0; round < 4 && n < max; round++) {
        DIR *d = opendir("/proc");
        if (d == NULL) {
            return n;
        }
        struct dirent *e;
        int from = n;
        while ((e = readdir(d)) != NULL && n < max) {
            pid_t pid = (pid_t)atoi(e->d_name);
            pid_t pp;
            char st, comm[64];
            if (pid <= 0 || diag_stat(pid, &pp, &st, comm, sizeof(comm)) != 0) {
                continue;
            }
            for (int i = 0; i < np; i++) {
                if (pp == parents[i]) {
                    out[n++] = pid;
                    break;
                }
            }
        }
        closedir(d);
        np = 0;
        for (int i = from; i < n; i++) {
            parents[np++] = out[i];
        }
        if (np == 0) {
            break;
        }
    }
    return n;
}

int hil_diag_write(const char *workdir, const char *why, const char *state, const struct hil_diag_ring *frames,
                   const struct hil_diag_ring *events)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/%s", workdir, HIL_DIAG_FILE);
    FILE *f = fopen(path, "we");
    if (f == NULL) {
        return FOTA_EIO;
    }
    fprintf(f, "diagnosis of fota-hil worker %d: %s\n\n== who waits on what\n%s\n", (int)getpid(), why, state);
    diag_ring_print(f, "link frames", frames);
    diag_ring_print(f, "events", events);
    pid_t pids[DIAG_MAX_PROCS];
    int n = diag_descendants(pids, DIAG_MAX_PROCS);
    fprintf(f, "\n== child processes (%d)\n", n);
    for (int i = 0; i < n; i++) {
        pid_t pp;
        char st, comm[64];
        if (diag_stat(pids[i], &pp, &st, comm, sizeof(comm)) != 0) {
            continue;
        }
        fprintf(f, "pid %d (parent %d) %s state %c\n", (int)pids[i], (int)pp, comm, st);
        diag_proc_file(f, pids[i], "wchan");
        diag_proc_file(f, pids[i], "stack");
        diag_proc_file(f, pids[i], "schedstat");
    }
    return fclose(f) == 0 ? 0 : FOTA_EIO;
}
