/**
 * @file sweep.c
 * @brief Sweep blocks: parsing, expansion into cases, case ids, and the
 * hooks the runner calls while it runs a case (see sweep.h).
 */
#include "scenario/sweep.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fota/proto.h"
#include "scenario/inject.h"
#include "target/glitch.h"

/* ---- parsing ---- */

struct sp {
    const char *file;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
};

static int sp_fail(struct sp *p, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int sp_fail(struct sp *p, const yaml_node_t *n, const char *fmt, ...)
{
    int len = snprintf(p->err, p->errlen, "%s:%d: sweep: ", p->file, n != NULL ? (int)n->start_mark.line + 1 : 1);
    if (len >= 0 && (size_t)len < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + len, p->errlen - (size_t)len, fmt, ap);
        va_end(ap);
    }
    return FOTA_EINVAL;
}

static const char *sp_scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A decimal/hex count in [min, max], bounded before any narrowing: a value
 * above INT32_MAX must never reach an int (issue 16: `step: 2147483648`
 * became a negative index). */
static int sp_u32_in(struct sp *p, yaml_node_t *n, const char *what, uint32_t min, uint32_t max, uint32_t *out)
{
    const char *s = sp_scalar(n);
    char *end = NULL;
    errno = 0;
    unsigned long long v = s != NULL ? strtoull(s, &end, 0) : 0;
    if (s == NULL || *s == '\0' || *s == '-' || errno != 0 || *end != '\0' || v < min) {
        return sp_fail(p, n, "%s must be a number >= %u, got '%s'", what, min, s != NULL ? s : "(not a scalar)");
    }
    if (v > max) {
        return sp_fail(p, n, "%s must be at most %u, got '%s'", what, max, s);
    }
    *out = (uint32_t)v;
    return 0;
}

static int sp_u32(struct sp *p, yaml_node_t *n, const char *what, uint32_t min, uint32_t *out)
{
    return sp_u32_in(p, n, what, min, 0xFFFFFFFFu, out);
}

static int sp_bool(struct sp *p, yaml_node_t *n, const char *what, bool *out)
{
    const char *s = sp_scalar(n);
    if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
        *out = s[0] == 't';
        return 0;
    }
    return sp_fail(p, n, "%s must be true or false, got '%s'", what, s != NULL ? s : "(not a scalar)");
}

/* A scalar or a sequence of scalars, each one of @p names: sets flags[i]. */
static int sp_names(struct sp *p, yaml_node_t *n, const char *what, const char *const *names, bool *flags)
{
    yaml_node_item_t one = 0;
    yaml_node_item_t *start = NULL, *top = NULL;
    if (n != NULL && n->type == YAML_SEQUENCE_NODE) {
        start = n->data.sequence.items.start;
        top = n->data.sequence.items.top;
        if (start == top) {
            return sp_fail(p, n, "%s is empty", what);
        }
    } else {
        start = &one;
        top = &one + 1;
    }
    for (yaml_node_item_t *it = start; it < top; it++) {
        yaml_node_t *e = it == &one ? n : yaml_document_get_node(p->doc, *it);
        const char *s = sp_scalar(e);
        int k = -1;
        for (int i = 0; s != NULL && names[i] != NULL; i++) {
            if (strcmp(s, names[i]) == 0) {
                k = i;
            }
        }
        if (k < 0) {
            char alts[160] = "";
            for (int i = 0; names[i] != NULL; i++) {
                strncat(alts, names[i], sizeof(alts) - strlen(alts) - 1);
                strncat(alts, names[i + 1] != NULL ? "|" : "", sizeof(alts) - strlen(alts) - 1);
            }
            return sp_fail(p, e, "%s must be %s (or a list of them), got '%s'", what, alts,
                           s != NULL ? s : "(not a scalar)");
        }
        flags[k] = true;
    }
    return 0;
}

/* Iterate a mapping with allowed keys; calls @p fn per pair. */
typedef int (*sp_pair_fn)(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx);

static int sp_map(struct sp *p, yaml_node_t *n, const char *what, const char *const *keys, sp_pair_fn fn, void *ctx)
{
    if (n == NULL || n->type != YAML_MAPPING_NODE) {
        return sp_fail(p, n, "%s must be a mapping", what);
    }
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
        const char *key = sp_scalar(k);
        bool ok = false;
        for (int i = 0; key != NULL && keys[i] != NULL; i++) {
            ok = ok || strcmp(key, keys[i]) == 0;
        }
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; ok && q < pr; q++) {
            const char *prev = sp_scalar(yaml_document_get_node(p->doc, q->key));
            if (prev != NULL && strcmp(prev, key) == 0) {
                return sp_fail(p, k, "duplicate key '%s' in %s", key, what);
            }
        }
        if (!ok) {
            char alts[256] = "";
            for (int i = 0; keys[i] != NULL; i++) {
                strncat(alts, keys[i], sizeof(alts) - strlen(alts) - 1);
                strncat(alts, keys[i + 1] != NULL ? ", " : "", sizeof(alts) - strlen(alts) - 1);
            }
            return sp_fail(p, k, "unknown key '%s' in %s (expected one of: %s)", key != NULL ? key : "?", what, alts);
        }
        int rc = fn(p, key, k, v, ctx);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static const char *const op_names[] = { "program", "erase", NULL };
static const char *const torn_names[] = { "none", "half", "all", "bits", NULL };
static const char *const region_names[] = { "any", "slot", "meta", "slot_a", "slot_b", NULL };
static const char *const ff_names[] = { "fail", "nostick", NULL };
static const char *const link_names[] = { "corrupt", "drop", "cut", NULL };
static const char *const flip_names[] = { "slot", "meta", NULL };

static int region_of_name(struct sp *p, yaml_node_t *v, enum hil_fault_region *out, const char *const *names)
{
    bool f[8] = { false };
    if (v == NULL || v->type != YAML_SCALAR_NODE) {
        return sp_fail(p, v, "region must be a single name");
    }
    int rc = sp_names(p, v, "region", names, f);
    if (rc != 0) {
        return rc;
    }
    static const enum hil_fault_region map[] = { HIL_FREGION_ANY, HIL_FREGION_SLOT, HIL_FREGION_META,
                                                 HIL_FREGION_SLOT_A, HIL_FREGION_SLOT_B };
    const char *s = sp_scalar(v);
    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = names == flip_names ? (i == 0 ? HIL_FREGION_SLOT : HIL_FREGION_META) : map[i];
        }
    }
    return 0;
}

static int pc_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    (void)k;
    struct hil_sweep *sw = ctx;
    if (strcmp(key, "on") == 0) {
        bool f[2] = { false };
        int rc = sp_names(p, v, "on", op_names, f);
        sw->on[HIL_OP_PROGRAM] = f[0];
        sw->on[HIL_OP_ERASE] = f[1];
        return rc;
    }
    if (strcmp(key, "torn") == 0) {
        memset(sw->torn, 0, sizeof(sw->torn));
        return sp_names(p, v, "torn", torn_names, sw->torn);
    }
    return region_of_name(p, v, &sw->region, region_names);
}

/* flash_fault: {kind, on, region}: on and region as for power_cut. */
static int ff_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct hil_sweep *sw = ctx;
    if (strcmp(key, "kind") == 0) {
        bool f[2] = { false };
        int rc = sp_names(p, v, "flash_fault kind", ff_names, f);
        sw->fail = f[0];
        sw->nostick = f[1];
        return rc;
    }
    return pc_pair(p, key, k, v, ctx);
}

static int n_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    (void)k;
    struct hil_sweep *sw = ctx;
    if (strcmp(key, "from") == 0) {
        return sp_u32(p, v, "n.from", 1, &sw->from);
    }
    if (strcmp(key, "to") == 0) {
        return sp_u32(p, v, "n.to", 1, &sw->to);
    }
    if (strcmp(key, "stride") == 0) {
        return sp_u32_in(p, v, "n.stride", 1, INT32_MAX, &sw->stride);
    }
    return sp_u32(p, v, "n.sample", 1, &sw->sample);
}

static int flip_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    (void)k;
    struct hil_sweep *sw = ctx;
    if (strcmp(key, "region") == 0) {
        return region_of_name(p, v, &sw->flip_region, flip_names);
    }
    if (strcmp(key, "part") == 0) {
        static const char *const parts[] = { "any", "header", "payload", "truncate", NULL };
        bool f[4] = { false };
        int rc = sp_names(p, v, "bitflip.part", parts, f);
        for (int i = 0; rc == 0 && i < 4; i++) {
            sw->flip_part = f[i] ? i : sw->flip_part;
        }
        return rc != 0 || v->type == YAML_SCALAR_NODE ? rc : sp_fail(p, v, "bitflip.part is one of them, not a list");
    }
    return sp_u32_in(p, v, "bitflip.sample", 1, HIL_SWEEP_MAX_FLIPS, &sw->sample);
}

static int mc_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct hil_sweep *sw = ctx;
    bool cuts = strcmp(key, "cuts") == 0;
    if (cuts || strcmp(key, "runs") == 0) {
        uint32_t *out = cuts ? &sw->cuts : &sw->runs;
        uint32_t max = cuts ? HIL_SWEEP_MAX_CUTS : HIL_SWEEP_MAX_RUNS;
        return sp_u32_in(p, v, cuts ? "multi_cut.cuts" : "multi_cut.runs", 1, max, out);
    }
    return pc_pair(p, key, k, v, sw); /* on, region, torn: as for power_cut */
}

/* `multi_cut: {cuts, runs, on, region, torn}`; cuts and runs are required. */
static int parse_multi_cut(struct sp *p, yaml_node_t *v, struct hil_sweep *sw)
{
    static const char *const keys[] = { "cuts", "runs", "on", "region", "torn", NULL };
    sw->family = HIL_SWEEP_MULTI_CUT;
    int rc = sp_map(p, v, "multi_cut", keys, mc_pair, sw);
    if (rc == 0 && (sw->cuts == 0 || sw->runs == 0)) {
        rc = sp_fail(p, v, "multi_cut needs cuts (cuts per case) and runs (cases), e.g. {cuts: 3, runs: 12}");
    }
    return rc;
}

static int time_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    (void)k;
    struct hil_sweep *sw = ctx;
    if (strcmp(key, "sample") == 0) {
        return sp_u32_in(p, v, "time.sample", 1, HIL_SWEEP_MAX_RUNS, &sw->sample);
    }
    uint32_t *out = strcmp(key, "from_ms") == 0 ? &sw->from_ms : strcmp(key, "to_ms") == 0 ? &sw->to_ms :
                    &sw->stride_ms;
    char what[24];
    snprintf(what, sizeof(what), "time.%s", key);
    return sp_u32(p, v, what, out == &sw->stride_ms ? 1 : 0, out);
}

/* `time: {from_ms, to_ms, stride_ms, sample}`: to_ms is required; the
 * cases are from_ms, from_ms + stride_ms, ... <= to_ms (sweep_time.c). */
static int parse_time(struct sp *p, yaml_node_t *v, struct hil_sweep *sw)
{
    static const char *const keys[] = { "from_ms", "to_ms", "stride_ms", "sample", NULL };
    sw->family = HIL_SWEEP_TIME;
    sw->stride_ms = HIL_SWEEP_DEFAULT_STRIDE_MS;
    sw->to_ms = UINT32_MAX;
    int rc = sp_map(p, v, "time", keys, time_pair, sw);
    if (rc == 0 && sw->to_ms == UINT32_MAX) {
        rc = sp_fail(p, v, "time needs to_ms (the last cut time, device ms into the swept step), e.g. "
                     "{from_ms: 0, to_ms: 4000, stride_ms: 100}");
    }
    if (rc == 0 && sw->to_ms < sw->from_ms) {
        rc = sp_fail(p, v, "time.to_ms (%u) is below time.from_ms (%u)", sw->to_ms, sw->from_ms);
    }
    if (rc == 0 && (sw->to_ms - sw->from_ms) / sw->stride_ms >= HIL_SWEEP_MAX_RUNS) {
        rc = sp_fail(p, v, "time: %u cut times; at most %u (a larger stride_ms, or sample: N)",
                     (sw->to_ms - sw->from_ms) / sw->stride_ms + 1u, HIL_SWEEP_MAX_RUNS);
    }
    return rc;
}

static int d2_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct hil_sweep *sw = ctx;
    if (strcmp(key, "boot_torn") == 0) {
        memset(sw->boot_torn, 0, sizeof(sw->boot_torn));
        return sp_names(p, v, "depth2.boot_torn", torn_names, sw->boot_torn);
    }
    return pc_pair(p, key, k, v, ctx); /* on, region, torn of the first cut: as for power_cut */
}

/* `depth2: {on, region, torn, boot_torn}`: the first cuts (region meta
 * unless given) and the torn states of the cut in the boot after each. */
static int parse_depth2(struct sp *p, yaml_node_t *v, struct hil_sweep *sw)
{
    static const char *const keys[] = { "on", "region", "torn", "boot_torn", NULL };
    sw->family = HIL_SWEEP_DEPTH2;
    sw->region = HIL_FREGION_META;
    if (v != NULL && v->type == YAML_SCALAR_NODE && strcmp(sp_scalar(v), "all") == 0) {
        return 0;
    }
    return sp_map(p, v, "depth2", keys, d2_pair, sw);
}

static const char *const glitch_mode_names[] = { "skip", "branch", NULL };

static int glitch_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    (void)k;
    struct hil_sweep *sw = ctx;
    if (strcmp(key, "mode") == 0) {
        bool f[2] = { false };
        int rc = sp_names(p, v, "glitch.mode", glitch_mode_names, f);
        sw->glitch_skip = f[0];
        sw->glitch_branch = f[1];
        return rc;
    }
    if (v == NULL || v->type != YAML_SEQUENCE_NODE) {
        return sp_fail(p, v, "glitch.functions: a list of function-name patterns, e.g. [boot_*, image_*]");
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        const char *pat = sp_scalar(yaml_document_get_node(p->doc, *it));
        if (pat == NULL || pat[0] == '\0' || sw->nglitch_fns >= HIL_SWEEP_MAX_GLITCH_FNS) {
            return sp_fail(p, v, "glitch.functions: 1 to %d non-empty patterns", HIL_SWEEP_MAX_GLITCH_FNS);
        }
        sw->glitch_fns[sw->nglitch_fns] = strdup(pat);
        if (sw->glitch_fns[sw->nglitch_fns++] == NULL) {
            return FOTA_ENOMEM;
        }
    }
    return sw->nglitch_fns > 0 ? 0 : sp_fail(p, v, "glitch.functions is empty");
}

/* `glitch: {functions: [...], mode: [skip, branch]}` or `glitch: all`
 * (the default functions, both modes; docs/SCENARIOS.md "glitch"). */
static int parse_glitch(struct sp *p, yaml_node_t *v, struct hil_sweep *sw)
{
    static const char *const keys[] = { "functions", "mode", NULL };
    /* `*`: gcc -Os may clone a static function (boot_jump.constprop.0). */
    static const char *const defaults[] = { "boot_main", "boot_gather*", "boot_verify_slot*", "boot_slot_fits*",
                                            "boot_decide*", "boot_jump*", "boot_factory_best*", "image_*", "tlv_*",
                                            "fih_*" };
    sw->family = HIL_SWEEP_GLITCH;
    sw->glitch_skip = sw->glitch_branch = true;
    int rc = 0;
    if (!(v != NULL && v->type == YAML_SCALAR_NODE && strcmp(sp_scalar(v), "all") == 0)) {
        rc = sp_map(p, v, "glitch", keys, glitch_pair, sw);
    }
    for (size_t i = 0; rc == 0 && sw->nglitch_fns == 0 && i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        sw->glitch_fns[i] = strdup(defaults[i]);
        rc = sw->glitch_fns[i] != NULL ? 0 : FOTA_ENOMEM;
    }
    /* The defaults given (all, or those strdup'ed before ENOMEM: freed with the block). */
    int ndef = (int)(sizeof(defaults) / sizeof(defaults[0]));
    while (sw->nglitch_fns < ndef && sw->glitch_fns[sw->nglitch_fns] != NULL) {
        sw->nglitch_fns++;
    }
    return rc;
}

struct top_ctx {
    struct hil_sweep *sw;
    struct hil_scenario *s;
    int families;
    yaml_node_t *step_node;
    yaml_node_t *through_node;
    yaml_node_t *fast_key;         /**< the last of n / journal / verify given (not for multi_cut) */
};

static int family_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, struct top_ctx *t);

static int top_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
    struct top_ctx *t = ctx;
    struct hil_sweep *sw = t->sw;
    if (strcmp(key, "step") == 0) {
        uint32_t st;
        if (sp_u32_in(p, v, "step", 1, HIL_SWEEP_MAX_STEP, &st) != 0) {
            return FOTA_EINVAL;
        }
        sw->step = (int)st;
        t->step_node = v;
        return 0;
    }
    if (strcmp(key, "through") == 0) {
        uint32_t st;
        if (sp_u32_in(p, v, "through", 1, HIL_SWEEP_MAX_STEP, &st) != 0) {
            return FOTA_EINVAL;
        }
        sw->through = (int)st;
        t->through_node = v;
        return 0;
    }
    if (strcmp(key, "seed") == 0) {
        uint32_t seed;
        int rc = sp_u32(p, v, "seed", 0, &seed);
        sw->seed = seed;
        return rc;
    }
    if (strcmp(key, "journal") == 0 || strcmp(key, "verify") == 0 || strcmp(key, "n") == 0) {
        t->fast_key = k;
    }
    if (strcmp(key, "journal") == 0) {
        return sp_bool(p, v, "journal", &sw->journal);
    }
    if (strcmp(key, "verify") == 0) {
        return sp_u32_in(p, v, "verify", 0, HIL_SWEEP_MAX_VERIFY, &sw->verify);
    }
    if (strcmp(key, "n") == 0) {
        if (v != NULL && v->type == YAML_SCALAR_NODE && strcmp(sp_scalar(v), "all") == 0) {
            return 0;
        }
        if (v != NULL && v->type == YAML_SCALAR_NODE) {
            int rc = sp_u32(p, v, "n", 1, &sw->from);
            sw->to = sw->from;
            return rc;
        }
        static const char *const keys[] = { "from", "to", "stride", "sample", NULL };
        return sp_map(p, v, "n", keys, n_pair, sw);
    }
    return family_pair(p, key, k, v, t);
}

/* The family key of a sweep block (one per block). */
static int family_pair(struct sp *p, const char *key, yaml_node_t *k, yaml_node_t *v, struct top_ctx *t)
{
    struct hil_sweep *sw = t->sw;
    t->families++;
    if (t->families > 1) {
        return sp_fail(p, k, "'%s': a sweep block sweeps one family (power_cut, flash_fault, link, "
                       "bitflip, multi_cut, time, depth2 or glitch); write one scenario per family", key);
    }
    if (strcmp(key, "power_cut") == 0) {
        sw->family = HIL_SWEEP_POWER_CUT;
        static const char *const keys[] = { "on", "region", "torn", NULL };
        if (v != NULL && v->type == YAML_SCALAR_NODE && strcmp(sp_scalar(v), "all") == 0) {
            return 0;
        }
        return sp_map(p, v, "power_cut", keys, pc_pair, sw);
    }
    if (strcmp(key, "flash_fault") == 0) {
        sw->family = HIL_SWEEP_FLASH_FAULT;
        sw->on[HIL_OP_ERASE] = false; /* program operations unless `on` says */
        if (v != NULL && v->type == YAML_MAPPING_NODE) {
            static const char *const keys[] = { "kind", "on", "region", NULL };
            sw->fail = sw->nostick = true;
            return sp_map(p, v, "flash_fault", keys, ff_pair, sw);
        }
        bool f[2] = { false };
        int rc = sp_names(p, v, "flash_fault", ff_names, f);
        sw->fail = f[0];
        sw->nostick = f[1];
        return rc;
    }
    if (strcmp(key, "link") == 0) {
        sw->family = HIL_SWEEP_LINK;
        bool f[3] = { false };
        int rc = sp_names(p, v, "link", link_names, f);
        sw->corrupt = f[0];
        sw->drop = f[1];
        sw->cut = f[2];
        return rc;
    }
    if (strcmp(key, "multi_cut") == 0) {
        return parse_multi_cut(p, v, sw);
    }
    if (strcmp(key, "time") == 0 || strcmp(key, "depth2") == 0) {
        return key[0] == 't' ? parse_time(p, v, sw) : parse_depth2(p, v, sw);
    }
    if (strcmp(key, "glitch") == 0) {
        return parse_glitch(p, v, sw);
    }
    sw->family = HIL_SWEEP_BITFLIP;
    sw->sample = HIL_SWEEP_DEFAULT_FLIPS;
    static const char *const keys[] = { "region", "sample", "part", NULL };
    int rc = sp_map(p, v, "bitflip", keys, flip_pair, sw);
    if (rc == 0 && sw->flip_part != HIL_FLIP_ANY && sw->flip_region != HIL_FREGION_SLOT) {
        rc = sp_fail(p, v, "bitflip.part applies to region slot only");
    }
    return rc;
}

/* The swept step: the first update unless `step` says; time sweeps may
 * sweep any step that runs the device; it has no faults of its own. */
static int check_swept_step(struct sp *p, struct top_ctx *t, yaml_node_t *n)
{
    struct hil_sweep *sw = t->sw;
    const struct hil_scenario *s = t->s;
    for (int i = 0; sw->step == 0 && i < s->nsteps; i++) {
        sw->step = s->steps[i].kind == HIL_STEP_UPDATE ? i + 1 : 0;
    }
    if (sw->step == 0) {
        return sp_fail(p, n, "the scenario has no update step to sweep%s", sw->family == HIL_SWEEP_TIME ?
                       " (give `step`: a time sweep may sweep power_on, reset, wait_ms or expect_console)" :
                       sw->family == HIL_SWEEP_GLITCH ? " (give `step`: a glitch sweep sweeps a power_on)" : "");
    }
    enum hil_step_kind k = sw->step <= s->nsteps ? s->steps[sw->step - 1].kind : HIL_STEP_EXPECT;
    if (sw->family == HIL_SWEEP_GLITCH) {
        return k == HIL_STEP_POWER_ON && s->steps[sw->step - 1].nfaults == 0 && !s->steps[sw->step - 1].boot0_high ?
               0 : sp_fail(p, t->step_node != NULL ? t->step_node : n, "step %d is not a power_on (without faults, "
                           "BOOT0 low): a glitch sweep glitches the boot it starts", sw->step);
    }
    bool runs = k == HIL_STEP_UPDATE || k == HIL_STEP_POWER_ON || k == HIL_STEP_RESET || k == HIL_STEP_WAIT_MS ||
                k == HIL_STEP_EXPECT_CONSOLE;
    if (k != HIL_STEP_UPDATE && !(sw->family == HIL_SWEEP_TIME && runs)) {
        return sp_fail(p, t->step_node != NULL ? t->step_node : n, "step %d is not %s", sw->step,
                       sw->family == HIL_SWEEP_TIME ? "a step that runs the device (update, power_on, reset, "
                       "wait_ms, expect_console)" : "an update step");
    }
    const struct hil_step *st = &s->steps[sw->step - 1];
    if (st->update.nfaults > 0 || st->nfaults > 0) {
        return sp_fail(p, n, "the swept %s step (line %d) must not have faults of its own", hil_step_name(k),
                       st->line);
    }
    return 0;
}

/* Fill @p sw with the defaults of a sweep: block; its line is that of @p n. */
static void sweep_defaults(struct hil_sweep *sw, const yaml_node_t *n)
{
    sw->line = n != NULL ? (int)n->start_mark.line + 1 : 1;
    sw->on[HIL_OP_PROGRAM] = sw->on[HIL_OP_ERASE] = true;
    sw->torn[HIL_TORN_NONE] = sw->torn[HIL_TORN_HALF] = sw->torn[HIL_TORN_ALL] = true;
    sw->region = HIL_FREGION_ANY;
    sw->flip_region = HIL_FREGION_SLOT;
    sw->from = 1;
    sw->stride = 1;
    sw->seed = HIL_SWEEP_DEFAULT_SEED;
    sw->journal = true;
    sw->verify = HIL_SWEEP_DEFAULT_VERIFY;
    sw->boot_torn[HIL_TORN_NONE] = sw->boot_torn[HIL_TORN_HALF] = sw->boot_torn[HIL_TORN_ALL] = true;
}

int hil_sweep_parse(const char *file, void *doc, void *node, struct hil_scenario *s, char *err, size_t errlen)
{
    struct sp p = { .file = file, .doc = doc, .err = err, .errlen = errlen };
    yaml_node_t *n = node;
    struct hil_sweep *sw = calloc(1, sizeof(*sw));
    if (sw == NULL) {
        return FOTA_ENOMEM;
    }
    sweep_defaults(sw, n);
    struct top_ctx t = { .sw = sw, .s = s };
    static const char *const keys[] = { "step", "through", "power_cut", "flash_fault", "link", "bitflip",
                                        "multi_cut", "time", "depth2", "glitch", "n", "seed", "journal", "verify",
                                        NULL };
    int rc = sp_map(&p, n, "sweep", keys, top_pair, &t);
    if (rc == 0 && t.families == 0) {
        rc = sp_fail(&p, n, "nothing to sweep: give one of power_cut, flash_fault, link, bitflip, multi_cut, time, "
                     "depth2, glitch");
    }
    bool slow = sw->family == HIL_SWEEP_MULTI_CUT || sw->family == HIL_SWEEP_TIME;
    if (rc == 0 && slow && t.fast_key != NULL) {
        rc = sp_fail(&p, t.fast_key, "'%s' does not apply to %s: its cases run the %s the slow way, at %s",
                     sp_scalar(t.fast_key), sw->family == HIL_SWEEP_TIME ? "time" : "multi_cut",
                     sw->family == HIL_SWEEP_TIME ? "step" : "update", sw->family == HIL_SWEEP_TIME ?
                     "times of the `time` window" : "cut positions drawn from the seed");
    }
    if (rc == 0 && sw->to != 0 && sw->to < sw->from) {
        rc = sp_fail(&p, n, "n.to (%u) is below n.from (%u)", sw->to, sw->from);
    }
    if (rc == 0) {
        rc = check_swept_step(&p, &t, n);
    }
    if (rc == 0 && sw->through == 0) {
        sw->through = sw->step;
    }
    yaml_node_t *thn = t.through_node != NULL ? t.through_node : n;
    if (rc == 0 && (sw->through < sw->step || sw->through > s->nsteps)) {
        rc = sp_fail(&p, thn, "through (%d) must be a step from the swept step (%d) to the last (%d)",
                     sw->through, sw->step, s->nsteps);
    }
    if (rc == 0 && sw->through > sw->step && sw->family != HIL_SWEEP_POWER_CUT && sw->family != HIL_SWEEP_BITFLIP &&
        sw->family != HIL_SWEEP_DEPTH2 && sw->family != HIL_SWEEP_GLITCH) {
        rc = sp_fail(&p, thn, "through: only power_cut and bitflip sweeps journal a window of several steps (and "
                     "depth2, for its first cuts; glitch: the steps the glitch stays armed)");
    }
    for (int i = sw->step; rc == 0 && i < sw->through; i++) {
        if (s->steps[i].kind == HIL_STEP_UPDATE || s->steps[i].kind == HIL_STEP_POWER_CUT) {
            rc = sp_fail(&p, thn, "through: step %d (line %d) inside the window must not be %s: the window "
                         "is one update and what the device does after it", i + 1, s->steps[i].line,
                         hil_step_name(s->steps[i].kind));
        }
    }
    /* Every family but link corrupt/drop ends its cases with the power off. */
    bool needs_power_on = sw->family != HIL_SWEEP_LINK || sw->cut;
    if (rc == 0 && needs_power_on && (sw->through >= s->nsteps || s->steps[sw->through].kind != HIL_STEP_POWER_ON)) {
        rc = sp_fail(&p, n, "the step after the %s (step %d) must be power_on: the recovery of "
                     "every case starts from a cold boot", sw->through > sw->step ? "window" : "swept update",
                     sw->through);
    }
    if (rc == 0 && sw->family == HIL_SWEEP_DEPTH2 && sw->through + 2 > s->nsteps) {
        rc = sp_fail(&p, n, "depth2: the recovery needs its power_on and a step after it (the boot whose flash "
                     "operations are cut: e.g. an expect_console of the application)");
    }
    if (rc != 0) {
        hil_sweep_free(sw);
        return rc;
    }
    s->sweep = sw;
    return 0;
}

void hil_sweep_free(struct hil_sweep *sw)
{
    for (int i = 0; sw != NULL && i < sw->nglitch_fns; i++) {
        free(sw->glitch_fns[i]);
    }
    free(sw);
}

/* ---- expansion ---- */

uint64_t hil_sweep_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

uint32_t hil_sweep_select(const struct hil_sweep *sw, uint32_t total, uint32_t *out)
{
    uint32_t cnt = 0;
    uint32_t to = sw->to == 0 || sw->to > total ? total : sw->to;
    for (uint64_t n = sw->from; n >= 1 && n <= to; n += sw->stride) {
        out[cnt++] = (uint32_t)n;
    }
    if (sw->sample > 0 && sw->sample < cnt) {
        /* Partial Fisher-Yates with the sweep's seed, then in order. */
        uint64_t st = sw->seed;
        for (uint32_t i = 0; i < sw->sample; i++) {
            uint32_t j = i + (uint32_t)(hil_sweep_rand(&st) % (cnt - i));
            uint32_t tmp = out[i];
            out[i] = out[j];
            out[j] = tmp;
        }
        cnt = sw->sample;
        qsort(out, cnt, sizeof(*out), cmp_u32);
    }
    return cnt;
}

static const char *torn_word(enum hil_torn t)
{
    switch (t) {
    case HIL_TORN_NONE: return "none";
    case HIL_TORN_HALF: return "half";
    case HIL_TORN_ALL: return "all";
    case HIL_TORN_BITS: return "bits";
    }
    return "?";
}

void hil_case_format_id(struct hil_case *c)
{
    const char *pid = c->parent != NULL ? c->parent->id : "?";
    const char *op = c->on == HIL_OP_ERASE ? "erase" : "program";
    switch (c->kind) {
    case HIL_CASE_CUT:
        snprintf(c->id, sizeof(c->id), "%s@%s:%u:torn-%s", pid, op, c->n, torn_word(c->torn));
        break;
    case HIL_CASE_FAIL:
    case HIL_CASE_NOSTICK:
        snprintf(c->id, sizeof(c->id), "%s@%s:%u:%s", pid, op, c->n, c->kind == HIL_CASE_FAIL ? "fail" : "nostick");
        break;
    case HIL_CASE_CORRUPT:
    case HIL_CASE_DROP:
        snprintf(c->id, sizeof(c->id), "%s@%s:DATA:%u", pid, c->kind == HIL_CASE_DROP ? "drop" : "corrupt", c->n);
        break;
    case HIL_CASE_LINK_CUT:
        snprintf(c->id, sizeof(c->id), "%s@cut:%s:%u", pid, proto_type_name(c->frame_type), c->n);
        break;
    case HIL_CASE_BITFLIP:
        snprintf(c->id, sizeof(c->id), "%s@bitflip:0x%08x.%u", pid, c->flip_addr, c->flip_bit);
        break;
    case HIL_CASE_TRUNCATE:
        snprintf(c->id, sizeof(c->id), "%s@truncate:0x%08x", pid, c->flip_addr);
        break;
    case HIL_CASE_TIME_CUT:
        snprintf(c->id, sizeof(c->id), "%s@time:%ums", pid, c->at_ms);
        break;
    case HIL_CASE_DEPTH2:
        snprintf(c->id, sizeof(c->id), "%s@depth2:%s:%u:torn-%s/%s:%u:torn-%s", pid,
                 c->on1 == HIL_OP_ERASE ? "erase" : "program", c->n1, torn_word(c->torn1), op, c->n, torn_word(c->torn));
        break;
    case HIL_CASE_GLITCH:
        snprintf(c->id, sizeof(c->id), "%s@glitch:%s+0x%x:%u:%s", pid, c->glitch_fn, c->glitch_off, c->n,
                 c->glitch_mode == HIL_GLITCH_BRANCH ? "branch" : "skip");
        break;
    case HIL_CASE_MULTI_CUT: {
        /* position-torn, not position/torn: the id is also a workdir name */
        size_t len = (size_t)snprintf(c->id, sizeof(c->id), "%s@cuts:", pid);
        for (uint32_t i = 0; i < c->ncuts && i < HIL_SWEEP_MAX_CUTS && len < sizeof(c->id); i++) {
            len += (size_t)snprintf(c->id + len, sizeof(c->id) - len, "%s%u-%s", i > 0 ? "," : "", c->cut_at[i],
                                    torn_word(c->cut_torn[i]));
        }
        break;
    }
    }
}

struct caselist {
    struct hil_case *v;
    int n;
    int cap;
};

static struct hil_case *push_case(struct caselist *l, const struct hil_scenario *s, const struct hil_journal *j)
{
    if (l->n == l->cap) {
        int cap = l->cap == 0 ? 64 : l->cap * 2;
        struct hil_case *nv = realloc(l->v, sizeof(*nv) * (size_t)cap);
        if (nv == NULL) {
            return NULL;
        }
        l->v = nv;
        l->cap = cap;
    }
    struct hil_case *c = &l->v[l->n++];
    memset(c, 0, sizeof(*c));
    c->parent = s;
    c->journal = j;
    c->op_index = -1;
    c->same_as = -1;
    return c;
}

static int expand_cuts(const struct hil_scenario *s, const struct hil_journal *j, struct caselist *l)
{
    const struct hil_sweep *sw = s->sweep;
    static const enum hil_op_kind kinds[2] = { HIL_OP_ERASE, HIL_OP_PROGRAM };
    static const enum hil_torn order[4] = { HIL_TORN_NONE, HIL_TORN_HALF, HIL_TORN_BITS, HIL_TORN_ALL };
    for (int t = 0; t < 4; t++) {
        if (!sw->torn[order[t]]) {
            continue;
        }
        for (int k = 0; k < 2; k++) {
            if (!sw->on[kinds[k]]) {
                continue;
            }
            uint32_t total = hil_journal_count(j, kinds[k], sw->region);
            uint32_t *ns = calloc((size_t)total + 1, sizeof(*ns));
            if (ns == NULL) {
                return FOTA_ENOMEM;
            }
            uint32_t cnt = hil_sweep_select(sw, total, ns);
            for (uint32_t i = 0; i < cnt; i++) {
                struct hil_case *c = push_case(l, s, j);
                if (c == NULL) {
                    free(ns);
                    return FOTA_ENOMEM;
                }
                c->kind = HIL_CASE_CUT;
                c->on = kinds[k];
                c->n = ns[i];
                c->torn = order[t];
                c->op_index = hil_journal_find(j, kinds[k], sw->region, ns[i]);
                hil_case_format_id(c);
            }
            free(ns);
        }
    }
    return 0;
}

static int expand_flips(const struct hil_scenario *s, const struct hil_journal *j, struct caselist *l,
                        char *err, size_t errlen)
{
    const struct hil_sweep *sw = s->sweep;
    /* The candidate bytes: the updated image (every slot byte the step
     * programmed) or the newest metadata record the step wrote. */
    uint32_t lo = 0xFFFFFFFFu, hi = 0;
    for (uint32_t i = 0; i < j->count; i++) {
        const struct hil_jop *o = &j->ops[i];
        bool slot = o->region == HIL_REGION_SLOT_A || o->region == HIL_REGION_SLOT_B;
        bool want = sw->flip_region == HIL_FREGION_META ? o->region == HIL_REGION_META : slot;
        if (o->kind != HIL_OP_PROGRAM || !want) {
            continue;
        }
        if (sw->flip_region == HIL_FREGION_META) {
            lo = o->addr; /* the last record written */
            hi = o->addr + o->len;
        } else {
            lo = o->addr < lo ? o->addr : lo;
            hi = o->addr + o->len > hi ? o->addr + o->len : hi;
        }
    }
    uint32_t end = hi;
    if (sw->flip_part == HIL_FLIP_HEADER && hi > lo) {
        hi = hi - lo > LAYOUT_IMAGE_HEADER_SIZE ? lo + LAYOUT_IMAGE_HEADER_SIZE : hi;
    } else if (sw->flip_part != HIL_FLIP_ANY && hi > lo) {
        lo = hi - lo > LAYOUT_IMAGE_HEADER_SIZE ? lo + LAYOUT_IMAGE_HEADER_SIZE : hi;
    }
    if (hi <= lo) {
        snprintf(err, errlen, "%s:%d: sweep: bitflip: the swept step programmed nothing in that region",
                 s->file, sw->line);
        return FOTA_EINVAL;
    }
    uint64_t bits = (uint64_t)(hi - lo) * 8u;
    uint32_t want = sw->sample > 0 ? sw->sample : HIL_SWEEP_DEFAULT_FLIPS;
    uint64_t st = sw->seed;
    uint64_t *picked = calloc(want, sizeof(*picked));
    if (picked == NULL) {
        return FOTA_ENOMEM;
    }
    uint32_t got = 0;
    for (uint32_t tries = 0; got < want && tries < want * 64u; tries++) {
        uint64_t b = hil_sweep_rand(&st) % bits;
        bool dup = false;
        for (uint32_t i = 0; i < got; i++) {
            dup = dup || picked[i] == b;
        }
        if (!dup) {
            picked[got++] = b;
        }
    }
    for (uint32_t i = 0; i < got; i++) {
        struct hil_case *c = push_case(l, s, j);
        if (c == NULL) {
            free(picked);
            return FOTA_ENOMEM;
        }
        c->kind = sw->flip_part == HIL_FLIP_TRUNCATE ? HIL_CASE_TRUNCATE : HIL_CASE_BITFLIP;
        c->flip_addr = lo + (uint32_t)(picked[i] / 8u);
        c->flip_bit = (uint8_t)(picked[i] % 8u);
        c->trunc_end = end;
        c->fast = true;
        hil_case_format_id(c);
    }
    free(picked);
    return 0;
}

/* multi_cut: `runs` seeded draws of min(cuts, T) distinct positions among the T matching
 * operations of the journal, each cut with a torn state from the set; no two cases alike. */
static int expand_multi(const struct hil_scenario *s, const struct hil_journal *j, struct caselist *l,
                        char *err, size_t errlen)
{
    const struct hil_sweep *sw = s->sweep;
    static const enum hil_torn order[4] = { HIL_TORN_NONE, HIL_TORN_HALF, HIL_TORN_BITS, HIL_TORN_ALL };
    enum hil_torn torns[4];
    uint32_t ntorn = 0;
    for (int t = 0; t < 4; t++) {
        if (sw->torn[order[t]]) {
            torns[ntorn++] = order[t];
        }
    }
    uint32_t total = (sw->on[HIL_OP_ERASE] ? hil_journal_count(j, HIL_OP_ERASE, sw->region) : 0) +
                     (sw->on[HIL_OP_PROGRAM] ? hil_journal_count(j, HIL_OP_PROGRAM, sw->region) : 0);
    uint32_t m = sw->cuts < total ? sw->cuts : total;
    if (m == 0 || ntorn == 0) {
        return 0; /* the caller reports "selects no case" */
    }
    uint32_t *pool = calloc(total, sizeof(*pool));
    if (pool == NULL) {
        return FOTA_ENOMEM;
    }
    uint64_t st = sw->seed;
    int first = l->n;
    int rc = 0;
    for (uint32_t tries = 0; rc == 0 && (uint32_t)(l->n - first) < sw->runs && tries < sw->runs * 64u; tries++) {
        for (uint32_t i = 0; i < total; i++) {
            pool[i] = i + 1;
        }
        for (uint32_t i = 0; i < m; i++) { /* partial Fisher-Yates: m distinct positions */
            uint32_t k = i + (uint32_t)(hil_sweep_rand(&st) % (total - i));
            uint32_t tmp = pool[i];
            pool[i] = pool[k];
            pool[k] = tmp;
        }
        qsort(pool, m, sizeof(*pool), cmp_u32);
        struct hil_case *c = push_case(l, s, j);
        if (c == NULL) {
            rc = FOTA_ENOMEM;
            break;
        }
        c->kind = HIL_CASE_MULTI_CUT;
        c->ncuts = m;
        for (uint32_t i = 0; i < m; i++) {
            c->cut_at[i] = pool[i];
            c->cut_torn[i] = torns[hil_sweep_rand(&st) % ntorn];
        }
        hil_case_format_id(c);
        if (strlen(c->id) + 1 >= sizeof(c->id)) {
            snprintf(err, errlen, "%s:%d: sweep: multi_cut: a case id of %u cuts does not fit in %zu characters "
                     "(fewer cuts, or a shorter scenario id)", s->file, sw->line, m, sizeof(c->id) - 1);
            rc = FOTA_EINVAL;
            break;
        }
        for (int k = first; k < l->n - 1; k++) {
            if (strcmp(l->v[k].id, c->id) == 0) {
                l->n--; /* drawn before: draw again */
                break;
            }
        }
    }
    free(pool);
    return rc;
}

/* One case like @p like (kind, on, frame_type) per n the sweep selects from 1..@p total. */
static int push_selected(struct caselist *l, const struct hil_scenario *s, const struct hil_journal *j,
                         uint32_t total, const struct hil_case *like)
{
    uint32_t *ns = calloc((size_t)total + 1, sizeof(*ns));
    if (ns == NULL) {
        return FOTA_ENOMEM;
    }
    uint32_t cnt = hil_sweep_select(s->sweep, total, ns);
    for (uint32_t i = 0; i < cnt; i++) {
        struct hil_case *c = push_case(l, s, j);
        if (c == NULL) {
            free(ns);
            return FOTA_ENOMEM;
        }
        c->kind = like->kind;
        c->on = like->on;
        c->frame_type = like->frame_type;
        c->n = ns[i];
        hil_case_format_id(c);
    }
    free(ns);
    return 0;
}

/* flash_fault: fail before nostick, then erase before program, then n. */
static int expand_flash_faults(const struct hil_scenario *s, const struct hil_journal *j, struct caselist *l)
{
    const struct hil_sweep *sw = s->sweep;
    static const enum hil_op_kind kinds[2] = { HIL_OP_ERASE, HIL_OP_PROGRAM };
    int rc = 0;
    for (int kind = HIL_CASE_FAIL; kind <= HIL_CASE_NOSTICK && rc == 0; kind++) {
        if ((kind == HIL_CASE_FAIL && !sw->fail) || (kind == HIL_CASE_NOSTICK && !sw->nostick)) {
            continue;
        }
        for (int k = 0; k < 2 && rc == 0; k++) {
            struct hil_case like = { .kind = (enum hil_case_kind)kind, .on = kinds[k] };
            if (sw->on[kinds[k]]) {
                rc = push_selected(l, s, j, hil_journal_count(j, kinds[k], sw->region), &like);
            }
        }
    }
    return rc;
}

/* link: corrupt and drop of DATA frames, then cut before each frame of the
 * types whose count in a clean update is fixed, in protocol order. HELLO
 * is left out: the updater retries it until the device answers, so its
 * count depends on boot timing. ENTER_UPDATE, BEGIN and END: the first
 * one, if the clean run (the journal) sent one; DATA: every frame of the
 * image. */
static int expand_link(const struct hil_scenario *s, const struct hil_journal *j, struct caselist *l,
                       char *err, size_t errlen)
{
    const struct hil_sweep *sw = s->sweep;
    struct stat st;
    const char *img = s->steps[sw->step - 1].update.image;
    if (stat(img, &st) != 0) {
        snprintf(err, errlen, "%s:%d: sweep: cannot read image %s: %s", s->file, sw->line, img, strerror(errno));
        return FOTA_EINVAL;
    }
    uint32_t data = hil_data_frames((uint64_t)st.st_size);
    struct hil_case corrupt = { .kind = HIL_CASE_CORRUPT, .frame_type = PROTO_T_DATA };
    struct hil_case drop = { .kind = HIL_CASE_DROP, .frame_type = PROTO_T_DATA };
    int rc = sw->corrupt ? push_selected(l, s, j, data, &corrupt) : 0;
    if (rc == 0 && sw->drop) {
        rc = push_selected(l, s, j, data, &drop);
    }
    static const uint8_t order[4] = { PROTO_T_ENTER_UPDATE, PROTO_T_BEGIN, PROTO_T_DATA, PROTO_T_END };
    for (int i = 0; i < 4 && rc == 0 && sw->cut; i++) {
        struct hil_case cut = { .kind = HIL_CASE_LINK_CUT, .frame_type = order[i] };
        uint32_t total = order[i] == PROTO_T_DATA ? data : (j->frames[order[i]] > 0 ? 1u : 0u);
        rc = push_selected(l, s, j, total, &cut);
    }
    return rc;
}

int hil_sweep_expand(const struct hil_scenario *s, const struct hil_journal *j, struct hil_case **out,
                     int *count, char *err, size_t errlen)
{
    const struct hil_sweep *sw = s->sweep;
    struct caselist l = { 0 };
    int rc = 0;
    *out = NULL;
    *count = 0;
    if (sw == NULL) {
        snprintf(err, errlen, "%s:%d: no sweep block", s->file, s->line);
        return FOTA_EINVAL;
    }
    bool needs_journal = (sw->family != HIL_SWEEP_LINK || sw->cut) && sw->family != HIL_SWEEP_TIME &&
                         sw->family != HIL_SWEEP_GLITCH;
    if (needs_journal && (j == NULL || j->base == NULL)) {
        snprintf(err, errlen, "%s:%d: sweep: no journal of the swept step (the clean run did not get there)",
                 s->file, sw->line);
        return FOTA_EINVAL;
    }
    switch (sw->family) {
    case HIL_SWEEP_POWER_CUT:
    case HIL_SWEEP_DEPTH2: /* the first cuts: run/sweep_depth2.c probes them, sweep_depth2.c expands */
        rc = expand_cuts(s, j, &l);
        break;
    case HIL_SWEEP_TIME:
        rc = hil_sweep_time_expand(s, &l.v, &l.n);
        break;
    case HIL_SWEEP_FLASH_FAULT:
        rc = expand_flash_faults(s, j, &l);
        break;
    case HIL_SWEEP_LINK:
        rc = expand_link(s, j, &l, err, errlen);
        break;
    case HIL_SWEEP_BITFLIP:
        rc = expand_flips(s, j, &l, err, errlen);
        break;
    case HIL_SWEEP_MULTI_CUT:
        rc = expand_multi(s, j, &l, err, errlen);
        break;
    case HIL_SWEEP_GLITCH:
        snprintf(err, errlen, "%s:%d: sweep: glitch cases come from a trace (hil_sweep_glitch_expand)", s->file,
                 sw->line);
        return FOTA_EINVAL;
    }
    if (rc == 0 && l.n == 0) {
        snprintf(err, errlen, "%s:%d: sweep: selects no case (the swept step has no matching operation "
                 "or frame in that range)", s->file, sw->line);
        rc = FOTA_EINVAL;
    }
    if (rc != 0) {
        free(l.v);
        return rc;
    }
    /* Journal mode: power cuts become fast cases; a spread of `verify`
     * cases also run the slow way and check the journal op by op. */
    for (int i = 0; sw->family == HIL_SWEEP_DEPTH2 && i < l.n; i++) {
        l.v[i].fast = l.v[i].op_index >= 0; /* probes: the crash state is the journal's */
    }
    if (sw->family == HIL_SWEEP_POWER_CUT) {
        for (int i = 0; i < l.n; i++) {
            l.v[i].fast = sw->journal && l.v[i].op_index >= 0;
        }
        for (uint32_t k = 0; sw->journal && k < sw->verify && (int)k < l.n; k++) {
            int idx = (int)(((uint64_t)k * 2u + 1u) * (uint64_t)l.n / (2u * sw->verify));
            l.v[idx].fast = false;
            l.v[idx].verify = true;
        }
    }
    *out = l.v;
    *count = l.n;
    return 0;
}

/* ---- runtime hooks ---- */

int hil_case_compose_flash(const struct hil_case *c, struct hil_flash *f)
{
    if (c->journal == NULL) {
        return FOTA_ERANGE;
    }
    if (c->kind == HIL_CASE_BITFLIP || c->kind == HIL_CASE_TRUNCATE) {
        int rc = hil_journal_build(c->journal, c->journal->count, HIL_TORN_NONE, f);
        if (rc != 0 || c->flip_addr < LAYOUT_FLASH_BASE || c->flip_addr >= LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE ||
            (c->kind == HIL_CASE_TRUNCATE && (c->trunc_end <= c->flip_addr ||
                                               c->trunc_end > LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE))) {
            return FOTA_ERANGE;
        }
        if (c->kind == HIL_CASE_TRUNCATE) {
            memset(&f->mem[c->flip_addr - LAYOUT_FLASH_BASE], LAYOUT_FLASH_ERASED, c->trunc_end - c->flip_addr);
        } else {
            f->mem[c->flip_addr - LAYOUT_FLASH_BASE] ^= (uint8_t)(1u << c->flip_bit);
        }
        return 0;
    }
    if (c->op_index < 0) {
        return FOTA_ERANGE;
    }
    return hil_journal_build(c->journal, (uint32_t)c->op_index, c->torn, f);
}

/* multi_cut: count the matching ops in the attempt's window; cut at the next position. */
static void multi_cut_op(struct hil_case *c, const struct hil_flash_op *op, struct hil_flash_verdict *v)
{
    const struct hil_sweep *sw = c->parent->sweep;
    if (c->window_closed) {
        return;
    }
    c->step_ops++;
    if (!sw->on[op->kind] || !hil_fault_region_matches(sw->region, op->region)) {
        return;
    }
    c->kind_seen++;
    if (c->cuts_fired < c->ncuts && c->kind_seen == c->cut_at[c->cuts_fired]) {
        v->action = HIL_ACT_CUT;
        v->torn = c->cut_torn[c->cuts_fired];
        v->fail_rc = 0;
        c->cuts_fired++;
        c->fired = c->cuts_fired == c->ncuts;
    }
}

void hil_case_on_flash_op(struct hil_case *c, int step, const struct hil_flash_op *op,
                          struct hil_flash_verdict *v)
{
    if (c == NULL || c->fast || step < c->parent->sweep->step || step > c->parent->sweep->through) {
        return;
    }
    const struct hil_sweep *sw = c->parent->sweep;
    if (c->kind == HIL_CASE_MULTI_CUT) {
        multi_cut_op(c, op, v);
        return;
    }
    uint32_t index = c->step_ops++;
    if (c->journal != NULL && c->journal->base != NULL && !c->window_closed && !c->diverged &&
        hil_journal_check_op(c->journal, index, op) != 0) {
        c->diverged = true;
        c->diverged_at = index + 1;
    }
    bool mine = c->kind == HIL_CASE_CUT || c->kind == HIL_CASE_FAIL || c->kind == HIL_CASE_NOSTICK;
    if (mine && op->kind == c->on && hil_fault_region_matches(sw->region, op->region) &&
        ++c->kind_seen == c->n && !c->fired) {
        c->fired = true;
        if (c->kind == HIL_CASE_CUT) {
            v->action = HIL_ACT_CUT;
            v->torn = c->torn;
            v->fail_rc = 0;
        } else {
            v->action = c->kind == HIL_CASE_FAIL ? HIL_ACT_FAIL : HIL_ACT_DROP;
            v->fail_rc = FOTA_EFLASH;
        }
    }
}

int hil_case_plan(const struct hil_case *c, int step, struct hil_fault_plan *p)
{
    if (c == NULL || c->fast || step < c->parent->sweep->step || step > c->parent->sweep->through) {
        return 0;
    }
    const struct hil_sweep *sw = c->parent->sweep;
    struct hil_fault_plan q;
    memset(&q, 0, sizeof(q));
    q.v.action = HIL_ACT_CUT;
    if (c->kind == HIL_CASE_MULTI_CUT) {
        if (c->window_closed || c->cuts_fired >= c->ncuts || c->cut_at[c->cuts_fired] <= c->kind_seen) {
            return 0;
        }
        q.n = c->cut_at[c->cuts_fired] - c->kind_seen;
        memcpy(q.on, sw->on, sizeof(q.on));
        q.v.torn = c->cut_torn[c->cuts_fired];
    } else if ((c->kind == HIL_CASE_CUT || c->kind == HIL_CASE_FAIL || c->kind == HIL_CASE_NOSTICK) && !c->fired &&
               c->n > c->kind_seen) {
        q.n = c->n - c->kind_seen;
        q.on[c->on] = true;
        q.v.torn = c->torn;
        if (c->kind != HIL_CASE_CUT) {
            q.v.action = c->kind == HIL_CASE_FAIL ? HIL_ACT_FAIL : HIL_ACT_DROP;
            q.v.fail_rc = FOTA_EFLASH;
        }
    } else {
        return 0;
    }
    hil_fault_region_range(sw->region, &q.addr_lo, &q.addr_hi);
    if (p->n == 0 || q.n < p->n) {
        *p = q;
    }
    return 1;
}

void hil_case_on_boot(struct hil_case *c, int step)
{
    if (c != NULL && step == c->parent->sweep->step && c->parent->sweep->through == c->parent->sweep->step &&
        c->step_ops > 0) {
        c->window_closed = true;
    }
}

bool hil_case_is_multi_step(const struct hil_case *c, int step)
{
    return c != NULL && c->kind == HIL_CASE_MULTI_CUT && step == c->parent->sweep->step;
}

void hil_case_attempt_begin(struct hil_case *c)
{
    if (c != NULL) {
        c->step_ops = 0;
        c->window_closed = false;
    }
}

char *hil_case_props(const struct hil_case *c, const struct hil_flash *f)
{
    char hex[65];
    char why[160] = "";
    hil_flash_sha256_hex(f, hex);
    bool ok = hil_flash_bootable(f, why, sizeof(why));
    char buf[1024];
    int n = snprintf(buf, sizeof(buf), "flash_sha256=%s\nbricked=%d\n", hex, ok ? 0 : 1);
    if (!ok && n > 0 && (size_t)n < sizeof(buf)) {
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "brick_reason=%s\n", why);
    }
    if (c != NULL && n > 0 && (size_t)n < sizeof(buf)) {
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "mode=%s\nseed=%llu\n", c->fast ? "journal" : "slow",
                      (unsigned long long)c->parent->sweep->seed);
        if (c->fast && c->journal != NULL && n > 0 && (size_t)n < sizeof(buf)) {
            n += snprintf(buf + n, sizeof(buf) - (size_t)n, "journal_ops=%u\n", c->journal->count);
        }
        if (c->diverged && n > 0 && (size_t)n < sizeof(buf)) {
            n += snprintf(buf + n, sizeof(buf) - (size_t)n, "diverged=%u\n", c->diverged_at);
        }
        if (c->kind == HIL_CASE_MULTI_CUT && n > 0 && (size_t)n < sizeof(buf)) {
            snprintf(buf + n, sizeof(buf) - (size_t)n, "cuts_fired=%u/%u\n", c->cuts_fired, c->ncuts);
        }
        if (c->kind == HIL_CASE_GLITCH && n > 0 && (size_t)n < sizeof(buf)) {
            snprintf(buf + n, sizeof(buf) - (size_t)n, "glitch_fired=%d\nglitch_bypass=%d\n", c->fired ? 1 : 0,
                     c->glitch_bypassed ? 1 : 0);
        }
    }
    return strdup(buf);
}

static char *g_argv0;
static char *g_extra;

void hil_sweep_set_command(const char *argv0, const char *extra_opts)
{
    free(g_argv0);
    free(g_extra);
    g_argv0 = argv0 != NULL ? strdup(argv0) : NULL;
    g_extra = extra_opts != NULL ? strdup(extra_opts) : NULL;
}

char *hil_case_rerun_command(const char *id, const char *file)
{
    size_t len = strlen(id) + strlen(file) + 256 + (g_extra != NULL ? strlen(g_extra) : 0) +
                 (g_argv0 != NULL ? strlen(g_argv0) : 0);
    char *s = malloc(len);
    if (s != NULL) {
        snprintf(s, len, "%s run%s%s --case '%s' %s", g_argv0 != NULL ? g_argv0 : "build/host/fota-hil",
                 g_extra != NULL && g_extra[0] != '\0' ? " " : "", g_extra != NULL ? g_extra : "", id, file);
    }
    return s;
}
