/**
 * @file sweep_record.c
 * @brief Recording sweeps' clean runs in parallel (see sweep_record.h).
 */
#include "run/sweep_record.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fota/errors.h"
#include "scenario/journal.h"
#include "scenario/results.h"

int hil_sweep_record_icount(const struct hil_run_opts *o)
{
    return o->machine == HIL_QEMU_F407 ? o->icount_shift : -1;
}

/* Run recording @p r in this process. */
static void record_one(struct hil_sweep_rec *r)
{
    struct hil_result res;
    r->err[0] = '\0';
    r->rc = hil_run_scenario(r->s, &r->opts, &res);
    if (r->rc != 0) {
        return;
    }
    if (res.status != HIL_PASS) {
        snprintf(r->err, sizeof(r->err), "%s", res.message != NULL ? res.message : "?");
    }
    hil_result_clear(&res);
}

/* The worker: record, then write rc, err and the journal to @p out. Never returns. */
static void worker(struct hil_sweep_rec *r, FILE *out)
{
    record_one(r);
    int32_t rc = r->rc;
    int ok = fwrite(&rc, sizeof(rc), 1, out) == 1 && fwrite(r->err, sizeof(r->err), 1, out) == 1 &&
             hil_journal_write(out, r->opts.journal) == 0;
    fflush(NULL);
    _exit(ok ? 0 : 1);
}

/* Take what the worker of @p r (ended with wait @p status) wrote to @p in. */
static void take(struct hil_sweep_rec *r, FILE *in, int status)
{
    int32_t rc = 0;
    rewind(in);
    if (fread(&rc, sizeof(rc), 1, in) == 1 && fread(r->err, sizeof(r->err), 1, in) == 1 &&
        hil_journal_read(in, r->opts.journal) == 0) {
        r->rc = rc;
        r->err[sizeof(r->err) - 1] = '\0';
        return;
    }
    r->rc = 0;
    if (WIFSIGNALED(status)) {
        snprintf(r->err, sizeof(r->err), "its recording worker died (signal %d)",
                 WTERMSIG(status));
    } else {
        snprintf(r->err, sizeof(r->err), "its recording worker exited (%d) without "
                 "the journal", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

/* Start the worker of @p r writing to a new temporary file. @return its pid; -1 (err says why). */
static pid_t start(struct hil_sweep_rec *r, FILE **file)
{
    *file = tmpfile();
    if (*file == NULL) {
        snprintf(r->err, sizeof(r->err), "no temporary file for the recording: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        worker(r, *file);
    }
    if (pid < 0) {
        snprintf(r->err, sizeof(r->err), "cannot start the recording: fork: %s", strerror(errno));
        fclose(*file);
        *file = NULL;
    }
    return pid;
}

/* Wait for any child; if it is a worker of @p pids, take its result.
 * @return 0 a worker ended; 1 another child; -1 no child left. */
static int reap(struct hil_sweep_rec *recs, int n, pid_t *pids, FILE **files)
{
    int status = 0;
    pid_t p = wait(&status);
    while (p < 0 && errno == EINTR) {
        p = wait(&status);
    }
    if (p < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (pids[i] == p) {
            take(&recs[i], files[i], status);
            fclose(files[i]);
            files[i] = NULL;
            pids[i] = 0;
            return 0;
        }
    }
    return 1;
}

int hil_sweep_record_all(struct hil_sweep_rec *recs, int n, int jobs)
{
    if (jobs <= 1 || n <= 1) {
        for (int i = 0; i < n; i++) {
            record_one(&recs[i]);
        }
        return 0;
    }
    pid_t *pids = calloc((size_t)n, sizeof(*pids));
    FILE **files = calloc((size_t)n, sizeof(*files));
    if (pids == NULL || files == NULL) {
        abort();
    }
    int rc = 0, active = 0;
    for (int next = 0; next < n || active > 0;) {
        if (next < n && active < jobs) {
            pids[next] = start(&recs[next], &files[next]);
            rc = pids[next] < 0 ? FOTA_EIO : rc;
            pids[next] = pids[next] < 0 ? 0 : pids[next];
            active += pids[next] > 0;
            next++;
            continue;
        }
        int r = reap(recs, n, pids, files);
        if (r < 0) {
            break;
        }
        active -= r == 0;
    }
    free(pids);
    free(files);
    return rc;
}
