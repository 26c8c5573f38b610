/**
 * @file sweep_share.c
 * @brief Shared runs of fast power-cut cases (see sweep_share.h).
 */
#include "run/sweep_share.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "run/workdir.h"
#include "target/flashmodel.h"

/* ---- the plan ---- */

static bool in_range(uint32_t lo, uint32_t len, uint32_t a, uint32_t n)
{
    return a >= lo && n <= len && a - lo <= len - n;
}

/* The slot journal @p j writes (W) into *addr and *len. @return false: none or both. */
static bool watched_slot(const struct hil_journal *j, uint32_t *addr, uint32_t *len)
{
    bool hit[LAYOUT_SLOT_COUNT] = { false };
    for (uint32_t i = 0; i < j->count; i++) {
        for (uint32_t s = 0; s < LAYOUT_SLOT_COUNT; s++) {
            hit[s] = hit[s] || in_range(LAYOUT_SLOT_ADDR(s), LAYOUT_SLOT_SIZE, j->ops[i].addr, j->ops[i].len);
        }
    }
    if (hit[0] == hit[1]) {
        return false;
    }
    *addr = LAYOUT_SLOT_ADDR(hit[0] ? 0u : 1u);
    *len = LAYOUT_SLOT_SIZE;
    return true;
}

/* Steps whose harness-side checks read nothing in W (sweep_share.h). */
static bool steps_eligible(const struct hil_scenario *s)
{
    for (int i = 0; i < s->nsteps; i++) {
        const struct hil_step *st = &s->steps[i];
        const struct hil_expect *e = &st->expect;
        switch (st->kind) {
        case HIL_STEP_POWER_ON:
            if (st->nfaults != 0 || st->boot0_high) {
                return false;
            }
            break;
        case HIL_STEP_EXPECT_CONSOLE:
        case HIL_STEP_CONSOLE_ABSENT:
            break;
        case HIL_STEP_EXPECT:
            if (e->has_bootable || e->slot_sha[0].has || e->slot_sha[1].has) {
                return false;
            }
            break;
        default:
            return false;
        }
    }
    return true;
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The same checks in the same order (the oracle's expect step is per
 * case): a follower is judged by what its own run would be asked. */
static bool steps_equal(const struct hil_scenario *a, const struct hil_scenario *b)
{
    if (a->nsteps != b->nsteps) {
        return false;
    }
    for (int i = 0; i < a->nsteps; i++) {
        const struct hil_step *x = &a->steps[i], *y = &b->steps[i];
        const struct hil_expect *e = &x->expect, *f = &y->expect;
        if (x->kind != y->kind || !str_eq(x->regex, y->regex) || x->timeout_ms != y->timeout_ms ||
            e->has_running != f->has_running || e->running_slot != f->running_slot ||
            e->has_running_version != f->has_running_version || e->running_version != f->running_version ||
            e->has_active != f->has_active || e->active != f->active || e->timeout_ms != f->timeout_ms) {
            return false;
        }
        for (int k = 0; k < 2; k++) {
            if (e->has_slot_state[k] != f->has_slot_state[k] || e->slot_state[k] != f->slot_state[k]) {
                return false;
            }
        }
    }
    return true;
}

/* The crash state outside W as a key: non-W operations fully applied, and
 * a torn non-W operation (its index and torn state; -1 none). */
struct share_key {
    uint32_t applied;
    int partial;
    enum hil_torn torn;
};

static struct share_key key_of(const struct hil_case *c, const struct hil_journal *j, const uint32_t *nonw_before,
                               uint32_t addr, uint32_t len)
{
    uint32_t k = (uint32_t)c->op_index;
    struct share_key key = { .applied = nonw_before[k < j->count ? k : j->count], .partial = -1,
                             .torn = HIL_TORN_NONE };
    if (k >= j->count || in_range(addr, len, j->ops[k].addr, j->ops[k].len) || c->torn == HIL_TORN_NONE) {
        return key;
    }
    if (c->torn == HIL_TORN_ALL) {
        key.applied++;
    } else {
        key.partial = (int)k;
        key.torn = c->torn;
    }
    return key;
}

static bool eligible(const struct hil_case *c, const struct hil_scenario *s)
{
    return s != NULL && c->fast && c->kind == HIL_CASE_CUT && c->same_as < 0 && c->op_index >= 0 &&
           c->journal != NULL && steps_eligible(s);
}

static bool same_key(const struct share_key *a, const struct share_key *b)
{
    return a->applied == b->applied && a->partial == b->partial && a->torn == b->torn;
}

void hil_sweep_share_plan(struct hil_case *cases, int n, struct hil_scenario *const *case_s,
                          const struct hil_journal *j)
{
    for (int k = 0; k < n; k++) {
        cases[k].share_leader = NULL;
        cases[k].share_probe = false;
    }
    uint32_t addr, len;
    if (j == NULL || j->count == 0 || !watched_slot(j, &addr, &len)) {
        return;
    }
    uint32_t *nonw_before = calloc((size_t)j->count + 1, sizeof(*nonw_before));
    struct share_key *keys = calloc((size_t)n + 1, sizeof(*keys));
    int *leaders = calloc((size_t)n + 1, sizeof(*leaders)); /* the first case of each group so far */
    int nleaders = 0;
    for (uint32_t i = 0; nonw_before != NULL && i < j->count; i++) {
        nonw_before[i + 1] = nonw_before[i] + !in_range(addr, len, j->ops[i].addr, j->ops[i].len);
    }
    for (int k = 0; nonw_before != NULL && keys != NULL && leaders != NULL && k < n; k++) {
        struct hil_case *c = &cases[k];
        if (c->journal != j || !eligible(c, case_s[k])) {
            continue;
        }
        keys[k] = key_of(c, j, nonw_before, addr, len);
        int g = 0;
        while (g < nleaders && !(same_key(&keys[leaders[g]], &keys[k]) && steps_equal(case_s[leaders[g]], case_s[k]))) {
            g++;
        }
        if (g == nleaders) {
            leaders[nleaders++] = k;
            continue;
        }
        struct hil_case *d = &cases[leaders[g]];
        c->share_leader = d;
        d->share_probe = true;
        d->share_addr = c->share_addr = addr;
        d->share_len = c->share_len = len;
    }
    free(nonw_before);
    free(keys);
    free(leaders);
}

/* ---- the pool ---- */

enum hil_share hil_sweep_share_state(const struct hil_scenario *s, int self, struct hil_scenario *const *items,
                                     const struct hil_result *results, int n, int *leader)
{
    const struct hil_case *c = s->sweep_case;
    if (c == NULL || c->share_leader == NULL) {
        return HIL_SHARE_NO;
    }
    const struct hil_case *want = c->share_leader;
    for (int i = 0; i < n; i++) {
        if (items[i]->sweep_case != want) {
            continue;
        }
        if (results[i].id == NULL) {
            return i < self ? HIL_SHARE_WAIT : HIL_SHARE_NO; /* after it: never started */
        }
        if (!hil_props_has(results[i].props, "share_probe=untouched")) {
            return HIL_SHARE_NO;
        }
        *leader = i;
        return HIL_SHARE_YES;
    }
    return HIL_SHARE_NO; /* the probe is not selected (--case, --shard) */
}

/* ---- the probe, in the runner ---- */

void hil_sweep_share_arm(const struct hil_case *c, struct hil_target *t)
{
    if (c != NULL && c->share_probe && t != NULL) {
        t->watch_addr = c->share_addr;
        t->watch_len = c->share_len;
    }
}

bool hil_sweep_share_touches(const struct hil_case *c, const struct hil_flash_op *op, uint32_t vectors)
{
    if (c == NULL || !c->share_probe) {
        return false;
    }
    if (op != NULL) {
        uint32_t a = op->kind == HIL_OP_ERASE ? LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(op->sector) : op->addr;
        uint32_t n = op->kind == HIL_OP_ERASE ? LAYOUT_SECTOR_SIZE(op->sector) : op->len;
        /* any overlap with W */
        if (a < c->share_addr + c->share_len && c->share_addr < a + n) {
            return true;
        }
    }
    return vectors != 0 && vectors - c->share_addr < c->share_len;
}

char *hil_sweep_share_prop(const struct hil_case *c, bool armed, bool touched)
{
    if (c == NULL || !c->share_probe) {
        return NULL;
    }
    const char *v = !armed ? "unwatched" : touched ? "touched" : "untouched";
    size_t l = strlen("share_probe=\n") + strlen(v) + 1;
    char *p = malloc(l);
    if (p != NULL) {
        snprintf(p, l, "share_probe=%s\n", v);
    }
    return p;
}

/* ---- the followers ---- */

/* @p s's final flash: the probe's (its work dir) with W from @p s's crash state. */
static int follower_flash(const struct hil_case *c, const char *leader_id, const char *work_root,
                          struct hil_flash *f, struct hil_flash *own)
{
    char path[4096];
    if (hil_workdir_path(work_root, leader_id, path, sizeof(path) - sizeof(HIL_SHARE_FINAL) - 1) != 0) {
        return FOTA_EIO;
    }
    strcat(path, "/" HIL_SHARE_FINAL);
    hil_flash_init(f);
    if (hil_flash_load_file(f, LAYOUT_FLASH_BASE, path) != 0) {
        return FOTA_EIO;
    }
    int rc = hil_case_compose_flash(c, own);
    if (rc != 0) {
        return rc;
    }
    uint32_t off = c->share_addr - LAYOUT_FLASH_BASE;
    memcpy(&f->mem[off], &own->mem[off], c->share_len);
    return 0;
}

/* The probe's message, its re-run line replaced by a note and @p s's own
 * (NULL when it passed): the first line is what a run of @p s alone says. */
static char *follower_message(const struct hil_scenario *s, const struct hil_result *leader_r)
{
    if (leader_r->status != HIL_FAIL) {
        return NULL;
    }
    char *cmd = hil_case_rerun_command(s->id, s->file);
    const char *m = leader_r->message != NULL ? leader_r->message : "?";
    const char *rerun = strstr(m, "\nre-run: ");
    int mlen = rerun != NULL ? (int)(rerun - m) : (int)strlen(m);
    size_t ml = strlen(m) + strlen(leader_r->id) + (cmd != NULL ? strlen(cmd) : 1) + 160;
    char *out = malloc(ml);
    if (out != NULL) {
        snprintf(out, ml, "%.*s\nshared run: %s (a crash state that differs from this one only in the slot that "
                 "run never touched)\nre-run: %s", mlen, m, leader_r->id, cmd != NULL ? cmd : "?");
    }
    free(cmd);
    return out;
}

int hil_sweep_share_result(const struct hil_scenario *s, const struct hil_scenario *leader_s,
                           const struct hil_result *leader_r, const char *work_root, struct hil_result *out)
{
    const struct hil_case *c = s->sweep_case;
    memset(out, 0, sizeof(*out));
    struct hil_flash *f = malloc(sizeof(*f));
    struct hil_flash *own = malloc(sizeof(*own));
    int rc = f == NULL || own == NULL ? FOTA_ENOMEM : follower_flash(c, leader_s->id, work_root, f, own);
    char *props = rc == 0 ? hil_case_props(c, f) : NULL;
    free(f);
    free(own);
    if (rc != 0) {
        return rc;
    }
    size_t pl = (props != NULL ? strlen(props) : 0) + strlen(leader_s->id) + 32;
    memset(out, 0, sizeof(*out));
    out->id = strdup(s->id);
    out->file = strdup(s->file);
    out->line = s->line;
    out->status = leader_r->status;
    out->message = follower_message(s, leader_r);
    out->console = leader_r->console != NULL ? strdup(leader_r->console) : NULL;
    out->props = malloc(pl);
    if (out->props != NULL) {
        snprintf(out->props, pl, "%sshared_run=%s\n", props != NULL ? props : "", leader_s->id);
    }
    free(props);
    if (out->id == NULL || out->file == NULL || out->props == NULL) {
        hil_result_clear(out);
        return FOTA_ENOMEM;
    }
    return 0;
}
