/**
 * @file merge.c
 * @brief YAML merge keys resolved in a libyaml document (merge.h).
 */
#include "scenario/merge.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

enum { MERGE_TODO = 0, MERGE_BUSY = 1, MERGE_DONE = 2 };

struct mctx {
    const struct hil_origins *o;
    yaml_document_t *doc;
    unsigned char *state;         /* per node id - 1 */
    char *err;
    size_t errlen;
};

static int mfail(struct mctx *m, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int mfail(struct mctx *m, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hil_origin_vfail(m->o, hil_origin_of(m->o, m->doc, n), (int)n->start_mark.line + 1, m->err, m->errlen, fmt, ap);
    va_end(ap);
    return FOTA_EINVAL;
}

static yaml_node_t *get(struct mctx *m, int id)
{
    return yaml_document_get_node(m->doc, id);
}

static bool is_merge_key(struct mctx *m, int id)
{
    yaml_node_t *k = get(m, id);
    return k != NULL && k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           strcmp((const char *)k->data.scalar.value, "<<") == 0;
}

/* Does the pair list @p v (@p n pairs) have a scalar key equal to node @p key's? */
static bool has_key(struct mctx *m, const yaml_node_pair_t *v, int n, int key)
{
    yaml_node_t *k = get(m, key);
    for (int i = 0; i < n; i++) {
        yaml_node_t *o = get(m, v[i].key);
        if (o == k || (k != NULL && o != NULL && k->type == YAML_SCALAR_NODE && o->type == YAML_SCALAR_NODE &&
                       strcmp((const char *)k->data.scalar.value, (const char *)o->data.scalar.value) == 0)) {
            return true;
        }
    }
    return false;
}

static int resolve(struct mctx *m, int id, int depth);

/* The mappings merge key value @p v names: itself, or the items of a list. */
static int sources(struct mctx *m, yaml_node_t *v, yaml_node_item_t *one, yaml_node_item_t **items, int *n)
{
    if (v->type == YAML_SEQUENCE_NODE) {
        *items = v->data.sequence.items.start;
        *n = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
    } else {
        *one = (yaml_node_item_t)((v - m->doc->nodes.start) + 1);
        *items = one;
        *n = 1;
    }
    for (int i = 0; i < *n; i++) {
        yaml_node_t *s = get(m, (*items)[i]);
        if (s == NULL || s->type != YAML_MAPPING_NODE) {
            return mfail(m, v, "merge key '<<' must be an alias of a mapping or a list of them, got %s",
                         s == NULL ? "nothing" : s->type == YAML_SCALAR_NODE ? "a scalar" : "a list of lists");
        }
    }
    return 0;
}

/* Resolve the merges of every mapping @p mp merges; count their pairs into @p cap. */
static int resolve_sources(struct mctx *m, yaml_node_t *mp, size_t *cap, int depth)
{
    for (yaml_node_pair_t *p = mp->data.mapping.pairs.start; p < mp->data.mapping.pairs.top; p++) {
        yaml_node_item_t one = 0, *items = NULL;
        int n = 0;
        if (!is_merge_key(m, p->key)) {
            continue;
        }
        if (sources(m, get(m, p->value), &one, &items, &n) != 0) {
            return FOTA_EINVAL;
        }
        for (int i = 0; i < n; i++) {
            yaml_node_item_t src = items[i];
            if (resolve(m, src, depth + 1) != 0) {
                return FOTA_EINVAL;
            }
            yaml_node_t *s = get(m, src);
            *cap += (size_t)(s->data.mapping.pairs.top - s->data.mapping.pairs.start);
        }
    }
    return 0;
}

/* Mapping @p mp's own pairs, then those of the mappings it merges that it lacks. */
static int merge_pairs(struct mctx *m, yaml_node_t *mp, yaml_node_pair_t *v, int *n)
{
    yaml_node_pair_t *own = mp->data.mapping.pairs.start;
    int nown = (int)(mp->data.mapping.pairs.top - own);
    for (int i = 0; i < nown; i++) {
        if (!is_merge_key(m, own[i].key)) {
            v[(*n)++] = own[i];
        }
    }
    for (int i = 0; i < nown; i++) {
        yaml_node_item_t one = 0, *items = NULL;
        int ns = 0;
        if (!is_merge_key(m, own[i].key) || sources(m, get(m, own[i].value), &one, &items, &ns) != 0) {
            continue;
        }
        for (int j = 0; j < ns; j++) {
            yaml_node_t *s = get(m, items[j]);
            for (yaml_node_pair_t *p = s->data.mapping.pairs.start; p < s->data.mapping.pairs.top; p++) {
                if (!has_key(m, v, *n, p->key)) {
                    v[(*n)++] = *p;
                }
            }
        }
    }
    return 0;
}

static bool has_merge(struct mctx *m, yaml_node_t *mp)
{
    for (yaml_node_pair_t *p = mp->data.mapping.pairs.start; p < mp->data.mapping.pairs.top; p++) {
        if (is_merge_key(m, p->key)) {
            return true;
        }
    }
    return false;
}

/* Resolve the merge keys of node @p id (a mapping), sources first. */
static int resolve(struct mctx *m, int id, int depth)
{
    yaml_node_t *mp = get(m, id);
    if (m->state[id - 1] == MERGE_DONE || mp->type != YAML_MAPPING_NODE || !has_merge(m, mp)) {
        m->state[id - 1] = MERGE_DONE;
        return 0;
    }
    if (m->state[id - 1] == MERGE_BUSY) {
        return mfail(m, mp, "merge key '<<': the mapping merges itself (a cycle)");
    }
    if (depth > HIL_MERGE_MAX_DEPTH) {
        return mfail(m, mp, "merge key '<<': merges nested more than %d deep", HIL_MERGE_MAX_DEPTH);
    }
    m->state[id - 1] = MERGE_BUSY;
    size_t cap = (size_t)(mp->data.mapping.pairs.top - mp->data.mapping.pairs.start);
    if (resolve_sources(m, mp, &cap, depth) != 0) {
        return FOTA_EINVAL;
    }
    if (cap > HIL_MERGE_MAX_KEYS) {
        return mfail(m, mp, "merge key '<<': more than %u keys in the merged mapping", HIL_MERGE_MAX_KEYS);
    }
    yaml_node_pair_t *v = calloc(cap + 1, sizeof(*v));
    int n = 0;
    if (v == NULL) {
        return FOTA_ENOMEM;
    }
    merge_pairs(m, mp, v, &n);
    free(mp->data.mapping.pairs.start); /* libyaml's stacks are malloc'ed (yaml_free is free) */
    mp->data.mapping.pairs.start = v;
    mp->data.mapping.pairs.top = v + n;
    mp->data.mapping.pairs.end = v + cap + 1;
    m->state[id - 1] = MERGE_DONE;
    return 0;
}

int hil_merge_resolve(const struct hil_origins *o, yaml_document_t *doc, char *err, size_t errlen)
{
    int n = (int)(doc->nodes.top - doc->nodes.start);
    struct mctx m = { .o = o, .doc = doc, .err = err, .errlen = errlen };
    m.state = calloc((size_t)n + 1, 1);
    if (m.state == NULL) {
        return FOTA_ENOMEM;
    }
    int rc = 0;
    for (int id = 1; id <= n && rc == 0; id++) {
        rc = resolve(&m, id, 0);
    }
    free(m.state);
    return rc;
}

void hil_merge_drop_holders(yaml_document_t *doc)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        return;
    }
    yaml_node_pair_t *w = root->data.mapping.pairs.start;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k == NULL || k->type != YAML_SCALAR_NODE || strncmp((const char *)k->data.scalar.value, "x-", 2) != 0) {
            *w++ = *p;
        }
    }
    root->data.mapping.pairs.top = w;
}
