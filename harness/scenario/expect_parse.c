/*
 * The outcome assertions' syntax (expect_parse.h, docs/SCENARIOS.md
 * "expect" and "update"): bootable, slot hashes, the updater's result.
 */
#include "scenario/expect_parse.h"

#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

int hil_parse_bootable(struct pctx *c, yaml_node_t *n, struct hil_expect *e)
{
    const char *v = hil_sp_scalar(n);
    if (v != NULL && strcmp(v, "true") == 0) {
        e->bootable = true;
    } else if (v != NULL && strcmp(v, "false") == 0) {
        e->bootable = false;
    } else {
        return hil_sp_fail(c, n, "expect bootable must be true or false, got '%s'", v != NULL ? v : "(not a scalar)");
    }
    e->has_bootable = true;
    return 0;
}

/* `sha256: HEX` (64 digits, either case) or `sha256: {file: PATH}`. */
static int parse_sha(struct pctx *c, yaml_node_t *n, struct hil_slot_sha *sha)
{
    sha->line = hil_sp_line(n);
    if (hil_sp_is_mapping(n)) {
        static const char *const keys[] = { "file", NULL };
        struct kv kv[HIL_MAX_KEYS];
        int cnt = hil_sp_pairs(c, n, "slot sha256", keys, kv);
        if (cnt < 0) {
            return FOTA_EINVAL;
        }
        if (cnt == 0) {
            return hil_sp_fail(c, n, "slot sha256 mapping needs 'file' (an image file to hash)");
        }
        sha->has = true;
        return hil_sp_string(c, kv[0].val, "slot sha256 file", &sha->file);
    }
    const char *v = hil_sp_scalar(n);
    if (v == NULL || strlen(v) != 64 || strspn(v, "0123456789abcdefABCDEF") != 64) {
        return hil_sp_fail(c, n, "slot sha256 must be 64 hex digits or {file: PATH}, got '%s'",
                           v != NULL ? v : "(not a scalar)");
    }
    for (size_t i = 0; i < 32; i++) {
        char pair[3] = { v[2 * i], v[2 * i + 1], '\0' };
        sha->sha256[i] = (uint8_t)strtoul(pair, NULL, 16);
    }
    sha->has = true;
    return 0;
}

int hil_parse_slot_map(struct pctx *c, yaml_node_t *n, struct hil_slot_sha *sha, yaml_node_t **state)
{
    static const char *const keys[] = { "state", "sha256", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = hil_sp_pairs(c, n, "expect slot", keys, kv);
    *state = NULL;
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    if (cnt == 0) {
        return hil_sp_fail(c, n, "expect slot needs 'state' or 'sha256'");
    }
    struct kv *k = hil_sp_find(kv, cnt, "state");
    *state = k != NULL ? k->val : NULL;
    k = hil_sp_find(kv, cnt, "sha256");
    return k != NULL ? parse_sha(c, k->val, sha) : 0;
}

int hil_parse_resumed_at(struct pctx *c, yaml_node_t *n, const char *what, struct hil_updater_expect *u)
{
    if (u->has_resumed_at) {
        return hil_sp_fail(c, n, "%s: resumed_at is given twice (the update's and the updater's)", what);
    }
    const char *v = hil_sp_scalar(n);
    u->has_resumed_at = true;
    u->any = true;
    if (u->line == 0) {
        u->line = hil_sp_line(n);
    }
    if (v != NULL && strcmp(v, "fresh") == 0) {
        u->resumed_fresh = true;
        return 0;
    }
    return hil_sp_u32(c, n, what, 0, &u->resumed_at);
}

/* `N` or `{min: N, max: N}` (at least one). */
static int parse_range(struct pctx *c, yaml_node_t *n, const char *what, struct hil_range *r)
{
    if (!hil_sp_is_mapping(n)) {
        r->has_min = r->has_max = true;
        if (hil_sp_u32(c, n, what, 0, &r->min) != 0) {
            return FOTA_EINVAL;
        }
        r->max = r->min;
        return 0;
    }
    static const char *const keys[] = { "min", "max", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = hil_sp_pairs(c, n, what, keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    if (cnt == 0) {
        return hil_sp_fail(c, n, "%s needs min or max (or a number)", what);
    }
    struct kv *lo = hil_sp_find(kv, cnt, "min");
    struct kv *hi = hil_sp_find(kv, cnt, "max");
    if ((lo != NULL && hil_sp_u32(c, lo->val, what, 0, &r->min) != 0) ||
        (hi != NULL && hil_sp_u32(c, hi->val, what, 0, &r->max) != 0)) {
        return FOTA_EINVAL;
    }
    r->has_min = lo != NULL;
    r->has_max = hi != NULL;
    if (lo != NULL && hi != NULL && r->min > r->max) {
        return hil_sp_fail(c, n, "%s: min %u is above max %u", what, r->min, r->max);
    }
    return 0;
}

int hil_parse_updater(struct pctx *c, yaml_node_t *n, struct hil_updater_expect *u)
{
    static const char *const keys[] = { "exit", "retransmits", "nacks", "resumed_at", "duration_ms", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = hil_sp_pairs(c, n, "updater", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    if (cnt == 0) {
        return hil_sp_fail(c, n, "updater needs at least one of exit, retransmits, nacks, resumed_at, duration_ms");
    }
    u->any = true;
    u->line = hil_sp_line(n);
    struct kv *k = hil_sp_find(kv, cnt, "exit");
    if (k != NULL) {
        u->has_exit = true;
        if (hil_sp_u32(c, k->val, "updater exit", 0, &u->exit_code) != 0) {
            return FOTA_EINVAL;
        }
        if (u->exit_code > 255) {
            return hil_sp_fail(c, k->val, "updater exit must be 0..255, got %u", u->exit_code);
        }
    }
    if (((k = hil_sp_find(kv, cnt, "retransmits")) != NULL &&
         parse_range(c, k->val, "updater retransmits", &u->retransmits) != 0) ||
        ((k = hil_sp_find(kv, cnt, "nacks")) != NULL && parse_range(c, k->val, "updater nacks", &u->nacks) != 0) ||
        ((k = hil_sp_find(kv, cnt, "duration_ms")) != NULL &&
         parse_range(c, k->val, "updater duration_ms", &u->duration_ms) != 0)) {
        return FOTA_EINVAL;
    }
    k = hil_sp_find(kv, cnt, "resumed_at");
    return k != NULL ? hil_parse_resumed_at(c, k->val, "updater resumed_at", u) : 0;
}
