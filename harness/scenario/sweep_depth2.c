/**
 * @file sweep_depth2.c
 * @brief depth2 sweeps (sweep.h): a cut at each flash operation of the
 * boot that recovers from a first cut, built from that boot's journal.
 */
#include "scenario/sweep.h"

#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

struct d2list {
    struct hil_case *v;
    int n, cap;
    char (*sha)[65];               /* crash state of each case */
};

/* The crash state of @p c (from its journal) into @p f, its SHA-256 into @p hex. */
static int d2_state(const struct hil_case *c, struct hil_flash *f, char hex[65])
{
    int rc = hil_case_compose_flash(c, f);
    if (rc == 0) {
        hil_flash_sha256_hex(f, hex);
    }
    return rc;
}

/* Append @p c unless an earlier case has its crash state. @return 0; FOTA_ENOMEM; FOTA_ERANGE. */
static int d2_push(struct d2list *l, const struct hil_case *c, struct hil_flash *f)
{
    char hex[65];
    int rc = d2_state(c, f, hex);
    for (int i = 0; rc == 0 && i < l->n; i++) {
        if (strcmp(l->sha[i], hex) == 0) {
            return 0;
        }
    }
    if (rc == 0 && l->n == l->cap) {
        int cap = l->cap == 0 ? 32 : l->cap * 2;
        struct hil_case *nv = realloc(l->v, sizeof(*nv) * (size_t)cap);
        l->v = nv != NULL ? nv : l->v;
        char (*ns)[65] = nv != NULL ? realloc(l->sha, sizeof(*ns) * (size_t)cap) : NULL;
        l->sha = ns != NULL ? ns : l->sha;
        rc = nv == NULL || ns == NULL ? FOTA_ENOMEM : 0;
        l->cap = rc == 0 ? cap : l->cap;
    }
    if (rc == 0) {
        l->v[l->n] = *c;
        memcpy(l->sha[l->n], hex, sizeof(hex));
        memcpy(l->v[l->n].state_sha256, hex, sizeof(hex));
        l->n++;
    }
    return rc;
}

/* The cases of one probe: each op of its boot, each boot_torn state. */
static int d2_probe(struct d2list *l, const struct hil_case *p, const struct hil_journal *boot, struct hil_flash *f)
{
    static const enum hil_torn order[4] = { HIL_TORN_NONE, HIL_TORN_HALF, HIL_TORN_BITS, HIL_TORN_ALL };
    const struct hil_sweep *sw = p->parent->sweep;
    uint32_t seen[3] = { 0 }; /* per enum hil_op_kind */
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && boot->base != NULL && i < boot->count; i++) {
        enum hil_op_kind k = boot->ops[i].kind;
        seen[k]++;
        for (int t = 0; rc == 0 && t < 4; t++) {
            if (!sw->boot_torn[order[t]]) {
                continue;
            }
            struct hil_case c = { .parent = p->parent, .journal = boot, .kind = HIL_CASE_DEPTH2, .on = k,
                                  .n = seen[k], .torn = order[t], .op_index = (int)i, .fast = true,
                                  .same_as = -1, .on1 = p->on, .n1 = p->n, .torn1 = p->torn,
                                  .op_index1 = p->op_index };
            hil_case_format_id(&c);
            rc = d2_push(l, &c, f);
        }
    }
    return rc;
}

int hil_sweep_depth2_expand(const struct hil_case *probes, const struct hil_journal *boots, int nprobes,
                            struct hil_case **out, int *count)
{
    struct d2list l = { 0 };
    struct hil_flash *f = calloc(1, sizeof(*f));
    int rc = f == NULL ? FOTA_ENOMEM : 0;
    for (int i = 0; rc == 0 && i < nprobes; i++) {
        rc = d2_probe(&l, &probes[i], &boots[i], f);
    }
    free(f);
    free(l.sha);
    if (rc != 0) {
        free(l.v);
        return rc;
    }
    *out = l.v;
    *count = l.n;
    return 0;
}
