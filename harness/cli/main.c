/**
 * @file main.c
 * @brief fota-hil command line: `run` scenarios (in parallel workers),
 * `list` their ids. Exit status: 0 all passed, 1 a scenario failed,
 * 2 bad input or usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fota/errors.h"
#include "cli/replay.h"
#include "cli/report.h"
#include "scenario/results.h"
#include "run/runner.h"
#include "run/workdir.h"
#include "scenario/scenario.h"
#include "cli/board_cli.h"
#include "target/board_profile.h"
#include "scenario/sweep.h"
#include "run/sweep_run.h"
#include "run/sweep_share.h"

#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define HIL_PLATFORM "qemu"
/* Where `make qemu` links fota-hil's qemu-system-arm (qemu/build.mk). */
#define HIL_QEMU_F407_DEFAULT "build/qemu/qemu-system-arm"

static const char usage_text[] =
    "usage: fota-hil run [options] PATH...   run scenarios\n"
    "       fota-hil list [--tag T] [--filter GLOB] PATH...   print scenario ids\n"
    "       fota-hil replay [options] CAPTURE.pcap   replay a captured session (replay --help)\n"
    "       fota-hil report [--work-dir DIR] [-o FILE] RESULTS_DIR   HTML report of a suite run\n"
    "       fota-hil doctor --board RIG.yaml   check a real-board rig (docs/BOARDS.md)\n"
    "       fota-hil dump --board RIG.yaml OUT.bin   save a board's flash\n"
    "       fota-hil --help\n"
    "\n"
    "PATH is a scenario file (.yaml) or a directory (all *.yaml in it, sorted).\n"
    "\n"
    "run options:\n"
    "  -j, --jobs N            scenarios in parallel (default: number of cores)\n"
    "      --junit FILE        write JUnit XML\n"
    "      --tap FILE          write TAP version 13\n"
    "      --tag T             only scenarios tagged T (repeatable: any of them)\n"
    "      --filter GLOB       only ids matching GLOB (repeatable: any of them)\n"
    "  -v, --verbose           echo console lines and events on stderr\n"
    "      --fotactl PATH      updater (default: fotactl next to fota-hil)\n"
    "      --bootloader-elf P  bootloader ELF for symbols (default build/fw/bootloader.elf)\n"
    "      --qemu PATH         qemu-system-arm to use\n"
    "      --target stock|f407 QEMU machine: stock (Debian's netduinoplus2, peripherals served at\n"
    "                          breakpoints; default) or f407 (fota-hil's register-level fota-f407,\n"
    "                          `make qemu`: the port's own FLASH/IWDG/RCC/SPI code runs, either link)\n"
    "      --work-dir DIR      workdirs go to DIR/<id>/ (default build/work)\n"
    "      --icount N          QEMU -icount shift (default 4; -1 disables)\n"
    "      --watchdog-scale X  QEMU CPU ms per modelled watchdog ms, stock machine (default 1.0)\n"
    "      --pcap WHICH        keep build/work/<id>/trace.pcap for: failed (default), all, none\n"
    "      --board RIG.yaml    run on the real board this profile describes (platform board, -j 1)\n"
    "      --flash-image FILE  start every scenario from this 1 MB flash dump\n"
    "      --link uart|spi     run every scenario over this update link (overrides `link:`)\n"
    "      --case ID           only sweep or params cases whose id matches (glob; repeatable)\n"
    "      --shard K/N         run only every Nth scenario/case from the Kth (1-based)\n"
    "      --seed N            seed of every sweep's sampling (default: the sweep's own)\n"
    "      --no-journal        run every sweep case the slow way (no crash states from the journal)\n"
    "      --no-share          run every crash state, also those that differ from a case run\n"
    "                          already only in the slot that run never touched (docs/SCENARIOS.md)\n"
    "      --retries N         re-run a failed case up to N times; one that then passes is FLAKY\n"
    "                          (printed, counted, in JUnit and the report; never a plain pass)\n"
    "\n"
    "Each scenario runs in build/work/<id>/ (console.log, events.log, fotactl logs).\n"
    "Prints `PASS id (t s)` / `FAIL id: ...` per scenario, then `N passed, N failed`.\n"
    "Exit status: 0 all passed, 1 a scenario failed, 2 bad input or usage.\n";

struct cli {
    int jobs;
    const char *junit;
    const char *tap;
    const char **tags;
    int ntags;
    const char **filters;
    int nfilters;
    struct hil_run_opts run;
    char fotactl_default[PATH_MAX + 16];
    struct hil_sweep_opts sweep;
    int retries;                  /**< --retries N */
};

static int usage(FILE *out, int code)
{
    fputs(usage_text, out);
    return code;
}

static int yaml_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

/* Parse every PATH into @p list. @return 0; non-zero after printing the error. */
static int load_paths(char **paths, int npaths, struct hil_scenario_list *list)
{
    char err[1024];
    for (int i = 0; i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "fota-hil: %s: %s\n", paths[i], strerror(errno));
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            struct dirent **ents = NULL;
            int n = scandir(paths[i], &ents, yaml_filter, alphasort);
            if (n < 0) {
                fprintf(stderr, "fota-hil: %s: %s\n", paths[i], strerror(errno));
                return -1;
            }
            int rc = 0;
            for (int j = 0; j < n; j++) {
                char path[PATH_MAX];
                size_t dl = strlen(paths[i]);
                snprintf(path, sizeof(path), "%s%s%s", paths[i],
                         dl > 0 && paths[i][dl - 1] == '/' ? "" : "/", ents[j]->d_name);
                if (rc == 0 && hil_scenario_parse_file(path, list, err, sizeof(err)) != 0) {
                    fprintf(stderr, "%s\n", err);
                    rc = -1;
                }
                free(ents[j]);
            }
            free(ents);
            if (rc != 0) {
                return rc;
            }
        } else if (hil_scenario_parse_file(paths[i], list, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            return -1;
        }
    }
    if (hil_scenario_check_unique(list, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static bool selected(const struct cli *c, const struct hil_scenario *s)
{
    if (c->ntags > 0) {
        bool any = false;
        for (int i = 0; i < c->ntags && !any; i++) {
            any = hil_scenario_has_tag(s, c->tags[i]);
        }
        if (!any) {
            return false;
        }
    }
    if (c->nfilters > 0) {
        bool any = false;
        for (int i = 0; i < c->nfilters && !any; i++) {
            any = fnmatch(c->filters[i], s->id, 0) == 0;
        }
        if (!any) {
            return false;
        }
    }
    return true;
}

static void push(const char ***v, int *n, const char *s)
{
    const char **nv = realloc(*v, sizeof(*nv) * (size_t)(*n + 1));
    if (nv == NULL) {
        abort();
    }
    nv[(*n)++] = s;
    *v = nv;
}

/* ---- parallel workers ---- */

struct worker {
    pid_t pid;
    int fd;
    int index;
    char *buf;
    size_t len;
    size_t cap;
};

/* Run @p s, or take the run of its probe @p leader_s (sweep_share.h; NULL: none). */
static void worker_main(const struct hil_scenario *s, const struct hil_run_opts *o, int fd,
                        const struct hil_scenario *leader_s, const struct hil_result *leader_r)
{
    struct hil_result r;
    int rc = leader_s != NULL ? hil_sweep_share_result(s, leader_s, leader_r, o->work_root, &r) : -1;
    if (rc != 0) {
        rc = hil_run_scenario(s, o, &r); /* no probe, or its final flash is gone: run it */
    }
    if (rc != 0) {
        memset(&r, 0, sizeof(r));
        r.status = HIL_FAIL;
        r.message = strdup("runner: out of memory");
    }
    char *buf = NULL;
    size_t len = 0;
    if (hil_result_encode(&r, &buf, &len) == 0) {
        size_t off = 0;
        while (off < len) {
            ssize_t n = write(fd, buf + off, len - off);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            off += (size_t)n;
        }
    }
    close(fd);
    fflush(NULL);
    _exit(0);
}

static void finish_worker(struct worker *w, const struct hil_scenario *s, const struct cli *c,
                          struct hil_result *res)
{
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    memset(res, 0, sizeof(*res));
    if (hil_result_decode(w->buf != NULL ? w->buf : "", w->len, res) != 0) {
        char msg[160];
        if (WIFSIGNALED(status)) {
            snprintf(msg, sizeof(msg), "the worker running this scenario died (signal %d)", WTERMSIG(status));
        } else {
            snprintf(msg, sizeof(msg), "the worker running this scenario exited (%d) without a result",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
        res->status = HIL_FAIL;
        res->message = strdup(msg);
    }
    res->id = strdup(s->id);
    res->file = strdup(s->file);
    res->line = s->line;
    char path[PATH_MAX + 64];
    if (hil_workdir_path(c->run.work_root, s->id, path, PATH_MAX) != 0) {
        path[0] = '\0';
    }
    strcat(path, "/console.log");
    res->console = hil_read_text_file(path, 1024u * 1024u);
    free(w->buf);
    w->buf = NULL;
    w->len = 0;
    w->cap = 0;
    close(w->fd);
    w->fd = -1;
}

/* A board run skips scenarios not for platform board or needing what the rig lacks. */
static bool hil_board_skip(const struct hil_board_profile *b, const struct hil_scenario *s, char *why, size_t len)
{
    if (!hil_scenario_on_platform(s, "board")) {
        snprintf(why, len, "not for platform board");
        return true;
    }
    for (int i = 0; i < s->nrequires; i++) {
        if (!hil_board_provides(b, s->requires[i])) {
            snprintf(why, len, "requires %s, which board %s (%s) does not offer", s->requires[i], b->name, b->file);
            return true;
        }
    }
    return false;
}

/* Whether @p s cannot run on the chosen target; *why says why. */
static bool scenario_skip(const struct cli *c, const struct hil_scenario *s, char *why, size_t len)
{
    if (c->run.board != NULL) {
        return hil_board_skip(c->run.board, s, why, len);
    }
    if (!hil_scenario_on_platform(s, HIL_PLATFORM)) {
        snprintf(why, len, "not for platform " HIL_PLATFORM);
        return true;
    }
    for (int i = 0; i < s->nrequires && c->run.machine == HIL_QEMU_STOCK; i++) {
        if (strcmp(s->requires[i], "register_level") == 0) {
            snprintf(why, len, "requires register_level: --target stock serves the port's drivers at "
                               "breakpoints (run it with --target f407)");
            return true;
        }
    }
    return false;
}

/* Fill @p r as a SKIP of @p s when it cannot run here. @return true if skipped. */
static bool skip_result(const struct cli *c, const struct hil_scenario *s, struct hil_result *r)
{
    char why[256];
    if (!scenario_skip(c, s, why, sizeof(why))) {
        return false;
    }
    r->status = HIL_SKIP;
    r->id = strdup(s->id);
    r->file = strdup(s->file);
    r->line = s->line;
    r->message = strdup(why);
    hil_result_print(r, stdout);
    fflush(stdout);
    return true;
}

/* Fork a worker for scenario @p s (index @p index) into a free slot of @p ws;
 * @p leader_s / @p leader_r: the probe whose run it takes (NULL: none). */
static void start_worker(const struct cli *c, const struct hil_scenario *s, struct worker *ws, int index,
                         const struct hil_scenario *leader_s, const struct hil_result *leader_r)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        perror("fota-hil: pipe");
        exit(EXIT_USAGE);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fota-hil: fork");
        exit(EXIT_USAGE);
    }
    if (pid == 0) {
        close(p[0]);
        worker_main(s, &c->run, p[1], leader_s, leader_r);
    }
    close(p[1]);
    struct worker *w = NULL;
    for (int i = 0; i < c->jobs; i++) {
        if (ws[i].pid == 0) {
            w = &ws[i];
            break;
        }
    }
    w->pid = pid;
    w->fd = p[0];
    w->index = index;
    w->len = 0;
}

/* The pool of workers of run_all and its tallies. */
struct pool {
    const struct cli *c;
    struct hil_scenario **sel;
    int n;
    struct hil_result *res;
    struct worker *ws;
    struct pollfd *pfd;            /* one per worker: every -j (up to 4096) is drained */
    int *map;                      /* pfd index -> worker */
    int next, active, done, failed;
};

/* Start workers (or settle skips and sweep shortcuts) until -j are busy. */
static void pool_fill(struct pool *p)
{
    while (p->next < p->n && p->active < p->c->jobs) {
        const struct hil_scenario *s = p->sel[p->next];
        struct hil_result *r = &p->res[p->next];
        if (skip_result(p->c, s, r)) {
            p->next++;
            continue;
        }
        if (hil_sweep_shortcut(s, p->sel, p->res, p->n, r)) {
            if (r->status == HIL_FAIL || p->c->run.verbose) {
                hil_result_print(r, stdout);
            }
            hil_progress(++p->done, p->n, p->failed += r->status == HIL_FAIL);
            p->next++;
            continue;
        }
        int leader = -1;
        enum hil_share sh = p->c->sweep.no_share ? HIL_SHARE_NO : hil_sweep_share_state(s, p->next, p->sel, p->res, p->n, &leader);
        if (sh == HIL_SHARE_WAIT) {
            break; /* its probe is running: fill again when a worker ends */
        }
        start_worker(p->c, s, p->ws, p->next, sh == HIL_SHARE_YES ? p->sel[leader] : NULL,
                     sh == HIL_SHARE_YES ? &p->res[leader] : NULL);
        p->active++;
        p->next++;
    }
}

/* Read what worker @p w sent; at its end, take its result. */
static void pool_read(struct pool *p, struct worker *w)
{
    if (w->len + 4096 > w->cap) {
        w->cap = w->cap == 0 ? 8192 : w->cap * 2;
        char *nb = realloc(w->buf, w->cap);
        if (nb == NULL) {
            abort();
        }
        w->buf = nb;
    }
    ssize_t got = read(w->fd, w->buf + w->len, w->cap - w->len);
    if (got > 0) {
        w->len += (size_t)got;
        return;
    }
    if (got < 0 && errno == EINTR) {
        return;
    }
    struct hil_result *r = &p->res[w->index];
    finish_worker(w, p->sel[w->index], p->c, r);
    if (!hil_sweep_is_case(p->sel[w->index]) || r->status != HIL_PASS || p->c->run.verbose) {
        hil_result_print(r, stdout);
    }
    hil_progress(++p->done, p->n, p->failed += r->status == HIL_FAIL);
    fflush(stdout);
    w->pid = 0;
    p->active--;
}

/* Wait for any busy worker and read from the ready ones. */
static void pool_wait(struct pool *p)
{
    int np = 0;
    for (int i = 0; i < p->c->jobs; i++) {
        if (p->ws[i].pid != 0) {
            p->pfd[np] = (struct pollfd){ .fd = p->ws[i].fd, .events = POLLIN };
            p->map[np++] = i;
        }
    }
    if (poll(p->pfd, (nfds_t)np, -1) < 0) {
        return;
    }
    for (int k = 0; k < np; k++) {
        if (p->pfd[k].revents != 0) {
            pool_read(p, &p->ws[p->map[k]]);
        }
    }
}

static int run_all(const struct cli *c, struct hil_scenario **sel, int n, struct hil_results *out)
{
    struct pool p = {
        .c = c, .sel = sel, .n = n,
        .res = calloc((size_t)n + 1, sizeof(*p.res)),
        .ws = calloc((size_t)c->jobs + 1, sizeof(*p.ws)),
        .pfd = calloc((size_t)c->jobs + 1, sizeof(*p.pfd)),
        .map = calloc((size_t)c->jobs + 1, sizeof(*p.map)),
    };
    if (p.res == NULL || p.ws == NULL || p.pfd == NULL || p.map == NULL) {
        abort();
    }
    while (p.next < n || p.active > 0) {
        pool_fill(&p);
        if (p.active > 0) {
            pool_wait(&p);
        }
    }
    for (int i = 0; i < n; i++) {
        hil_results_add(out, &p.res[i]);
        hil_result_clear(&p.res[i]);
    }
    free(p.res);
    free(p.ws);
    free(p.pfd);
    free(p.map);
    return 0;
}

/* hil_sweep_after_run's way back into run_all (cases re-run the slow way). */
static void rerun_slow(void *ctx, struct hil_scenario **items, int n, struct hil_results *out)
{
    run_all(ctx, items, n, out);
}

static int write_report(const char *path, const struct hil_results *rs, bool junit)
{
    /* Create the report's directory if needed (build/results/...). */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            (void)mkdir(dir, 0777);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "fota-hil: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = junit ? hil_results_write_junit(rs, f) : hil_results_write_tap(rs, f);
    if (fclose(f) != 0 || rc != 0) {
        fprintf(stderr, "fota-hil: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

static void default_fotactl(struct cli *c)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        snprintf(c->fotactl_default, sizeof(c->fotactl_default), "build/host/fotactl");
        return;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    snprintf(c->fotactl_default, sizeof(c->fotactl_default), "%s/fotactl", exe);
}

/* The selectors of this run, for "selects nothing" (e.g. "--filter 'x*' --tag quick"). */
static void describe_selectors(const struct cli *c, char *buf, size_t len)
{
    size_t u = 0;
    buf[0] = '\0';
    for (int i = 0; i < c->nfilters && u < len; i++) {
        u += (size_t)snprintf(buf + u, len - u, "%s--filter '%s'", u ? " " : "", c->filters[i]);
    }
    for (int i = 0; i < c->ntags && u < len; i++) {
        u += (size_t)snprintf(buf + u, len - u, "%s--tag %s", u ? " " : "", c->tags[i]);
    }
    for (int i = 0; i < c->sweep.ncases && u < len; i++) {
        u += (size_t)snprintf(buf + u, len - u, "%s--case '%s'", u ? " " : "", c->sweep.cases[i]);
    }
    if (c->sweep.shard_n > 0 && u < len) {
        u += (size_t)snprintf(buf + u, len - u, "%s--shard %d/%d", u ? " " : "", c->sweep.shard_k, c->sweep.shard_n);
    }
    if (u == 0) {
        snprintf(buf, len, "(no selector)");
    }
}

/* A run that selects nothing is bad input (pytest's exit 5): say which selector. @return EXIT_USAGE. */
static int selected_nothing(const struct cli *c, char **paths, int npaths, const char *what)
{
    char sel[1024];
    describe_selectors(c, sel, sizeof(sel));
    fprintf(stderr, "fota-hil: %s selects no %s in", sel, what);
    for (int i = 0; i < npaths; i++) {
        fprintf(stderr, " %s", paths[i]);
    }
    fputc('\n', stderr);
    return EXIT_USAGE;
}

/* The scenario of @p id among @p items, NULL if none. */
static struct hil_scenario *scenario_by_id(struct hil_scenario **items, int n, const char *id)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(items[i]->id, id) == 0) {
            return items[i];
        }
    }
    return NULL;
}

/*
 * --retries: re-run the failed cases of @p rs (up to c->retries rounds);
 * a case that passes on a retry becomes FLAKY (hil_result_make_flaky),
 * one that fails every time keeps its first failure. A retried case's
 * failed work dir is kept as <id>.1/ (workdir.h).
 */
static void retry_failed(const struct cli *c, struct hil_scenario **items, int n, struct hil_results *rs)
{
    for (int attempt = 2; attempt <= c->retries + 1; attempt++) {
        struct hil_scenario **again = calloc((size_t)rs->count + 1, sizeof(*again));
        int *index_of = calloc((size_t)rs->count + 1, sizeof(*index_of));
        if (again == NULL || index_of == NULL) {
            abort();
        }
        int na = 0;
        for (int i = 0; i < rs->count; i++) {
            struct hil_scenario *s = rs->items[i].status == HIL_FAIL ? scenario_by_id(items, n, rs->items[i].id) : NULL;
            if (s != NULL) {
                index_of[na] = i;
                again[na++] = s;
            }
        }
        if (na > 0) {
            printf("retry %d of %d: %d failed case%s\n", attempt - 1, c->retries, na, na == 1 ? "" : "s");
            fflush(stdout);
            struct hil_results re = { 0 };
            run_all(c, again, na, &re);
            for (int k = 0; k < re.count && k < na; k++) {
                if (re.items[k].status == HIL_PASS) {
                    hil_result_make_flaky(&rs->items[index_of[k]], &re.items[k], attempt);
                    hil_result_print(&rs->items[index_of[k]], stdout);
                }
            }
            hil_results_free(&re);
        }
        free(again);
        free(index_of);
        if (na == 0) {
            break;
        }
    }
}

/* `run`: the selected scenarios (sweeps expanded), retries, summary, reports. @return the exit status. */
/* Every file the selected scenarios name exists, before any target starts
 * (issue 14 defect 5): a missing image is bad input, `file:line: ...`, exit
 * 2. With --flash-image the flash: files are not used, so only run checks. */
static int check_files(const struct cli *c, struct hil_scenario **sel, int nsel)
{
    char err[1024];
    int rc = 0;
    for (int i = 0; i < nsel && c->run.flash_image == NULL; i++) {
        if (hil_scenario_check_files(sel[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            rc = -1;
        }
    }
    return rc;
}

static int run_selected(struct cli *c, const char *argv0, struct hil_scenario **sel, int nsel, char **paths,
                        int npaths)
{
    int code = 0;
    struct hil_results rs = { 0 };
    struct hil_sweep_plan plan;
    hil_sweep_cli_setup(argv0, &c->run, &c->sweep, sel, nsel);
    c->sweep.jobs = c->jobs; /* the sweeps' recordings use the cases' -j slots */
    hil_sweep_plan_build(sel, nsel, &c->run, &c->sweep, &plan);
    if (plan.count == 0 && plan.pre.count == 0) {
        hil_sweep_plan_free(&plan);
        return selected_nothing(c, paths, npaths, "scenario or sweep case");
    }
    for (int i = 0; i < plan.pre.count; i++) {
        hil_results_add(&rs, &plan.pre.items[i]);
    }
    run_all(c, plan.items, plan.count, &rs);
    hil_sweep_after_run(&plan, &rs, rerun_slow, c);
    retry_failed(c, plan.items, plan.count, &rs);
    rs.show_flaky = c->retries > 0;
    hil_results_print_summary(&rs, stdout);
    fflush(stdout);
    if (c->junit != NULL && write_report(c->junit, &rs, true) != 0) {
        code = EXIT_USAGE;
    }
    if (c->tap != NULL && write_report(c->tap, &rs, false) != 0) {
        code = EXIT_USAGE;
    }
    if (code == 0 && hil_results_count(&rs, HIL_FAIL) > 0) {
        code = EXIT_FAILED;
    }
    hil_results_free(&rs);
    hil_sweep_plan_free(&plan);
    return code;
}

static int parse_int(const char *s, int min, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > 4096) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* Long options of run/list without a short form. */
enum cli_opt { O_JUNIT = 256, O_TAP, O_TAG, O_FILTER, O_FOTACTL, O_ELF, O_QEMU, O_WORK, O_ICOUNT, O_WDSCALE, O_HELP, O_PCAP, O_BOARD, O_FLASH_IMAGE,
    O_LINK, O_CASE, O_SHARD, O_SEED, O_NOJOURNAL, O_RETRIES, O_TARGET, O_NOSHARE };

/* A numeric option of run/list (@p opt, argument in optarg) into @p c.
 * @return -1 to go on; else the exit status. */
static int cli_number_option(struct cli *c, int opt)
{
    switch (opt) {
    case 'j':
        if (parse_int(optarg, 1, &c->jobs) != 0) {
            fprintf(stderr, "fota-hil: -j needs a number >= 1, got '%s'\n", optarg);
            return EXIT_USAGE;
        }
        break;
    case O_ICOUNT:
        if (parse_int(optarg, -1, &c->run.icount_shift) != 0) {
            fprintf(stderr, "fota-hil: --icount needs a number >= -1, got '%s'\n", optarg);
            return EXIT_USAGE;
        }
        break;
    case O_WDSCALE: {
        char *end = NULL;
        double v = strtod(optarg, &end);
        if (end == optarg || *end != '\0' || !(v > 0.0) || v > 1000.0) {
            fprintf(stderr, "fota-hil: --watchdog-scale needs a number > 0, got '%s'\n", optarg);
            return EXIT_USAGE;
        }
        c->run.watchdog_scale = v;
        break;
    }
    case O_SHARD:
        if (sscanf(optarg, "%d/%d", &c->sweep.shard_k, &c->sweep.shard_n) != 2 || c->sweep.shard_n < 1 ||
            c->sweep.shard_k < 1 || c->sweep.shard_k > c->sweep.shard_n) {
            fprintf(stderr, "fota-hil: --shard needs K/N with 1 <= K <= N, got '%s'\n", optarg);
            return EXIT_USAGE;
        }
        break;
    case O_SEED: {
        char *end = NULL;
        c->sweep.seed = strtoull(optarg, &end, 0);
        if (end == optarg || *end != '\0') {
            fprintf(stderr, "fota-hil: --seed needs a number, got '%s'\n", optarg);
            return EXIT_USAGE;
        }
        c->sweep.seed_set = true;
        break;
    }
    case O_RETRIES:
        if (parse_int(optarg, 0, &c->retries) != 0 || c->retries > 100) {
            fprintf(stderr, "fota-hil: --retries needs a number 0..100, got '%s'\n", optarg);
            return EXIT_USAGE;
        }
        break;
    default:
        return usage(stderr, EXIT_USAGE);
    }
    return -1;
}

/* An option of run/list that names a choice or a file (@p opt) into @p c.
 * @return -1 to go on; else the exit status. */
static int cli_choice_option(struct cli *c, int opt)
{
    switch (opt) {
    case O_TARGET:
        if (strcmp(optarg, "stock") != 0 && strcmp(optarg, "f407") != 0) {
            fprintf(stderr, "fota-hil: --target must be stock or f407, got '%s'\n", optarg);
            return EXIT_USAGE;
        }
        c->run.machine = strcmp(optarg, "f407") == 0 ? HIL_QEMU_F407 : HIL_QEMU_STOCK;
        break;
    case O_LINK:
        if (strcmp(optarg, "uart") != 0 && strcmp(optarg, "spi") != 0) {
            fprintf(stderr, "fota-hil: --link must be uart or spi, got '%s'\n", optarg);
            return EXIT_USAGE;
        }
        c->run.link_override = true;
        c->run.link = strcmp(optarg, "spi") == 0 ? HIL_LINK_SPI : HIL_LINK_UART;
        break;
    case O_PCAP:
        if (hil_pcap_mode_parse(optarg, &c->run.pcap) != 0) {
            fprintf(stderr, "fota-hil: --pcap needs failed, all or none, got '%s'\n", optarg);
            return EXIT_USAGE;
        }
        break;
    case O_BOARD: {
        char err[1024];
        struct hil_board_profile *bp = NULL;
        if (hil_board_profile_load(optarg, &bp, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            return EXIT_USAGE;
        }
        c->run.board = bp; /* lives until exit */
        break;
    }
    default:
        return cli_number_option(c, opt);
    }
    return -1;
}

/* One option @p opt (getopt_long's value, argument in optarg) into @p c.
 * @return -1 to go on; else the exit status (help, usage, bad value). */
static int cli_option(struct cli *c, int opt)
{
    switch (opt) {
    case O_JUNIT: c->junit = optarg; break;
    case O_TAP: c->tap = optarg; break;
    case O_TAG: push(&c->tags, &c->ntags, optarg); break;
    case O_FILTER: push(&c->filters, &c->nfilters, optarg); break;
    case 'v': c->run.verbose = true; break;
    case O_FOTACTL: c->run.fotactl = optarg; break;
    case O_ELF: c->run.bootloader_elf = optarg; break;
    case O_QEMU: c->run.qemu = optarg; break;
    case O_WORK: c->run.work_root = optarg; break;
    case O_FLASH_IMAGE: c->run.flash_image = optarg; break;
    case O_CASE: push(&c->sweep.cases, &c->sweep.ncases, optarg); break;
    case O_NOJOURNAL: c->sweep.no_journal = true; break;
    case O_NOSHARE: c->sweep.no_share = true; break;
    case 'h':
    case O_HELP:
        return usage(stdout, 0);
    default:
        return cli_choice_option(c, opt);
    }
    return -1;
}

/* The options of run/list into @p c. @return -1 to go on; else the exit status (usage, bad value). */
static int cli_parse(struct cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "jobs", required_argument, NULL, 'j' },
        { "junit", required_argument, NULL, O_JUNIT },
        { "tap", required_argument, NULL, O_TAP },
        { "tag", required_argument, NULL, O_TAG },
        { "filter", required_argument, NULL, O_FILTER },
        { "verbose", no_argument, NULL, 'v' },
        { "fotactl", required_argument, NULL, O_FOTACTL },
        { "bootloader-elf", required_argument, NULL, O_ELF },
        { "qemu", required_argument, NULL, O_QEMU },
        { "work-dir", required_argument, NULL, O_WORK },
        { "icount", required_argument, NULL, O_ICOUNT },
        { "watchdog-scale", required_argument, NULL, O_WDSCALE },
        { "link", required_argument, NULL, O_LINK },
        { "help", no_argument, NULL, O_HELP },
        { "pcap", required_argument, NULL, O_PCAP },
        { "board", required_argument, NULL, O_BOARD },
        { "flash-image", required_argument, NULL, O_FLASH_IMAGE },
        { "case", required_argument, NULL, O_CASE },
        { "shard", required_argument, NULL, O_SHARD },
        { "seed", required_argument, NULL, O_SEED },
        { "no-journal", no_argument, NULL, O_NOJOURNAL },
        { "no-share", no_argument, NULL, O_NOSHARE },
        { "retries", required_argument, NULL, O_RETRIES },
        { "target", required_argument, NULL, O_TARGET },
        { NULL, 0, NULL, 0 },
    };
    optind = 2;
    int opt;
    while ((opt = getopt_long(argc, argv, "+j:vh", longopts, NULL)) != -1) {
        int rc = cli_option(c, opt);
        if (rc >= 0) {
            return rc;
        }
    }
    return -1;
}

/* --target f407 needs fota-hil's QEMU: its default path is the link
 * `make qemu` leaves; missing, say how to get it (never fall back). */
static int check_target(struct cli *c)
{
    if (c->run.machine != HIL_QEMU_F407) {
        return 0;
    }
    if (c->run.board != NULL) {
        fprintf(stderr, "fota-hil: --target f407 and --board exclude each other\n");
        return -1;
    }
    if (c->run.qemu == NULL) {
        c->run.qemu = HIL_QEMU_F407_DEFAULT;
    }
    if (access(c->run.qemu, X_OK) != 0) {
        fprintf(stderr,
                "fota-hil: --target f407: %s: %s\n"
                "  fix: run `make qemu` (builds fota-hil's qemu-system-arm from Debian's qemu source,\n"
                "  about 5 min the first time; docs/QEMU.md), or give --qemu PATH\n",
                c->run.qemu, strerror(errno));
        return -1;
    }
    /* QEMU starts in the case's work directory: a relative path would miss. */
    static char abs_qemu[PATH_MAX];
    if (realpath(c->run.qemu, abs_qemu) != NULL) {
        c->run.qemu = abs_qemu;
    }
    return 0;
}

/* The other commands, each with its own options. @return its exit status;
 * -1 when @p cmd is run or list (or unknown: then usage, status 2). */
static int other_command(int argc, char **argv, const char *cmd)
{
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        return usage(stdout, 0);
    }
    if (strcmp(cmd, "replay") == 0) {
        return hil_replay_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "report") == 0) {
        return hil_report_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "doctor") == 0) {
        return hil_doctor_main(argc, argv);
    }
    if (strcmp(cmd, "dump") == 0) {
        return hil_dump_main(argc, argv);
    }
    if (strcmp(cmd, "run") != 0 && strcmp(cmd, "list") != 0) {
        fprintf(stderr, "fota-hil: unknown command '%s'\n", cmd);
        return usage(stderr, EXIT_USAGE);
    }
    return -1;
}

/* run/list's defaults, then their options. @return -1 to go on; else the exit status. */
static int cli_setup(struct cli *c, int argc, char **argv, bool is_run)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->jobs = cores > 0 ? (int)cores : 1;
    default_fotactl(c);
    c->run.fotactl = c->fotactl_default;
    c->run.bootloader_elf = "build/fw/bootloader.elf";
    c->run.qemu = NULL;
    c->run.work_root = "build/work";
    c->run.icount_shift = 4;
    int pc = cli_parse(c, argc, argv);
    if (pc >= 0) {
        return pc;
    }
    if (!is_run && (c->junit != NULL || c->tap != NULL)) {
        fprintf(stderr, "fota-hil: list takes only --tag and --filter\n");
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "fota-hil: %s needs at least one PATH\n", argv[1]);
        return usage(stderr, EXIT_USAGE);
    }
    if (c->run.board != NULL) {
        c->jobs = 1; /* one board, one scenario at a time */
    }
    return is_run && check_target(c) != 0 ? EXIT_USAGE : -1;
}

/* List or run the selected scenarios of @p list. @return the exit status. */
static int list_or_run(struct cli *c, int argc, char **argv, bool is_run, struct hil_scenario_list *list)
{
    struct hil_scenario **sel = calloc((size_t)list->count + 1, sizeof(*sel));
    if (sel == NULL) {
        abort();
    }
    int nsel = 0;
    for (int i = 0; i < list->count; i++) {
        if (selected(c, list->items[i])) {
            sel[nsel++] = list->items[i];
        }
    }
    int code = 0;
    if (!is_run) {
        for (int i = 0; i < nsel; i++) {
            printf("%s\n", sel[i]->id);
        }
    } else if (nsel == 0) {
        code = selected_nothing(c, argv + optind, argc - optind, "scenario");
    } else if (check_files(c, sel, nsel) != 0) {
        code = EXIT_USAGE;
    } else {
        code = run_selected(c, argv[0], sel, nsel, argv + optind, argc - optind);
    }
    free(sel);
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return usage(stderr, EXIT_USAGE);
    }
    int code = other_command(argc, argv, argv[1]);
    if (code >= 0) {
        return code;
    }
    bool is_run = strcmp(argv[1], "run") == 0;
    signal(SIGPIPE, SIG_IGN);
    struct cli c = { 0 };
    code = cli_setup(&c, argc, argv, is_run);
    if (code >= 0) {
        return code;
    }
    struct hil_scenario_list list = { 0 };
    if (load_paths(argv + optind, argc - optind, &list) != 0) {
        code = EXIT_USAGE;
    } else {
        code = list_or_run(&c, argc, argv, is_run, &list);
    }
    free(c.sweep.cases);
    free(c.tags);
    free(c.filters);
    hil_scenario_list_free(&list);
    hil_board_profile_free((struct hil_board_profile *)c.run.board);
    return code;
}
