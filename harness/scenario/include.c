/**
 * @file include.c
 * @brief `- include: FILE` steps spliced into a scenario's document
 * (include.h).
 */
#include "scenario/include.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fota/errors.h"
#include "target/errmsg.h"

static const char *origin_file(const struct hil_origins *o, int idx)
{
    return idx < 0 ? o->file : o->v[idx].file;
}

/* ` (included from F:L, from F2:L2)` for origin @p idx, "" for the scenario file. */
static void chain_suffix(const struct hil_origins *o, int idx, char *buf, size_t len)
{
    size_t u = 0;
    buf[0] = '\0';
    for (int i = idx; i >= 0 && u < len; i = o->v[i].parent) {
        int n = snprintf(buf + u, len - u, "%s%s:%d", i == idx ? " (included from " : ", from ",
                         origin_file(o, o->v[i].parent), o->v[i].use_line);
        u += n > 0 ? (size_t)n : 0u;
    }
    if (idx >= 0 && u + 1 < len) {
        buf[u] = ')';
        buf[u + 1] = '\0';
    }
}

void hil_origin_vfail(const struct hil_origins *o, int idx, int line, char *err, size_t errlen,
                      const char *fmt, va_list ap)
{
    if (err == NULL || errlen == 0) {
        return;
    }
    hil_errmsg_vset(err, errlen, origin_file(o, idx), line, fmt, ap);
    size_t u = strlen(err);
    chain_suffix(o, idx, err + u, errlen - u);
}

static int ofail(const struct hil_origins *o, int idx, int line, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int ofail(const struct hil_origins *o, int idx, int line, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hil_origin_vfail(o, idx, line, err, errlen, fmt, ap);
    va_end(ap);
    return FOTA_EINVAL;
}

char *hil_origin_where(const struct hil_origins *o, int idx, int line)
{
    if (o == NULL || idx < 0) {
        return NULL;
    }
    char chain[512];
    chain_suffix(o, idx, chain, sizeof(chain));
    size_t len = strlen(o->v[idx].file) + strlen(chain) + 16;
    char *s = malloc(len);
    if (s != NULL) {
        snprintf(s, len, "%s:%d%s", o->v[idx].file, line, chain);
    }
    return s;
}

int hil_origin_of(const struct hil_origins *o, const yaml_document_t *doc, const yaml_node_t *n)
{
    if (o == NULL || n == NULL || n < doc->nodes.start || n >= doc->nodes.top) {
        return -1;
    }
    int id = (int)(n - doc->nodes.start) + 1;
    for (int i = o->n - 1; i >= 0; i--) {
        if (id >= o->v[i].first && id <= o->v[i].last) {
            return i;
        }
    }
    return -1;
}

void hil_origins_free(struct hil_origins *o)
{
    for (int i = 0; i < o->n; i++) {
        free(o->v[i].file);
    }
    free(o->v);
    o->v = NULL;
    o->n = 0;
}

/* Is @p path (resolved) the file of origin @p idx or of one that includes it? */
static bool in_chain(const struct hil_origins *o, int idx, const char *real)
{
    for (int i = idx;; i = o->v[i].parent) {
        char other[PATH_MAX];
        if (realpath(origin_file(o, i), other) != NULL && strcmp(other, real) == 0) {
            return true;
        }
        if (i < 0) {
            return false;
        }
    }
}

static int add_origin(struct hil_origins *o, const char *file, int parent, int use_line)
{
    struct hil_origin *v = realloc(o->v, sizeof(*v) * (size_t)(o->n + 1));
    char *f = strdup(file);
    if (v == NULL || f == NULL) {
        free(f);
        o->v = v != NULL ? v : o->v;
        return FOTA_ENOMEM;
    }
    o->v = v;
    o->v[o->n] = (struct hil_origin){ .file = f, .parent = parent, .use_line = use_line };
    return o->n++;
}

/* Read @p path whole into *buf (malloc'ed). @return 0; FOTA_EIO (errno); FOTA_ESIZE. */
static int read_whole(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return FOTA_EIO;
    }
    *buf = malloc(HIL_INCLUDE_MAX_FILE + 1);
    if (*buf == NULL) {
        fclose(f);
        return FOTA_ENOMEM;
    }
    *len = fread(*buf, 1, HIL_INCLUDE_MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad != 0 || *len > HIL_INCLUDE_MAX_FILE) {
        free(*buf);
        *buf = NULL;
        return bad != 0 ? FOTA_EIO : FOTA_ESIZE;
    }
    return 0;
}

/* Load the single document of the file of origin @p idx into @p out. */
static int load_doc(const struct hil_origins *o, int idx, const char *buf, size_t len, yaml_document_t *out,
                    char *err, size_t errlen)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        return FOTA_ENOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    int rc = 0;
    if (!yaml_parser_load(&p, out)) {
        rc = ofail(o, idx, (int)p.problem_mark.line + 1, err, errlen, "YAML syntax error: %s%s%s",
                   p.problem != NULL ? p.problem : "?", p.context != NULL ? " " : "",
                   p.context != NULL ? p.context : "");
        yaml_parser_delete(&p);
        return rc;
    }
    yaml_document_t next;
    if (!yaml_parser_load(&p, &next)) {
        rc = ofail(o, idx, (int)p.problem_mark.line + 1, err, errlen, "YAML syntax error: %s",
                   p.problem != NULL ? p.problem : "?");
    } else {
        if (yaml_document_get_root_node(&next) != NULL) {
            rc = ofail(o, idx, (int)next.start_mark.line + 1, err, errlen,
                       "an included file holds one document (a list of steps)");
        }
        yaml_document_delete(&next);
    }
    yaml_parser_delete(&p);
    if (rc != 0) {
        yaml_document_delete(out);
    }
    return rc;
}

/* Append every node of @p src to @p dst (ids shifted by the count already
 * in dst, marks kept). @return 0; FOTA_ENOMEM; FOTA_ERANGE (too many). */
static int copy_nodes(yaml_document_t *dst, yaml_document_t *src, int *first, int *last)
{
    int base = (int)(dst->nodes.top - dst->nodes.start);
    int n = (int)(src->nodes.top - src->nodes.start);
    if (base + n > HIL_INCLUDE_MAX_NODES) {
        return FOTA_ERANGE;
    }
    for (int i = 0; i < n; i++) {
        yaml_node_t *s = &src->nodes.start[i];
        int id = 0;
        if (s->type == YAML_SCALAR_NODE) {
            id = yaml_document_add_scalar(dst, s->tag, s->data.scalar.value, (int)s->data.scalar.length,
                                          s->data.scalar.style);
        } else if (s->type == YAML_SEQUENCE_NODE) {
            id = yaml_document_add_sequence(dst, s->tag, s->data.sequence.style);
        } else {
            id = yaml_document_add_mapping(dst, s->tag, s->data.mapping.style);
        }
        if (id != base + i + 1) {
            return FOTA_ENOMEM;
        }
        dst->nodes.start[id - 1].start_mark = s->start_mark;
        dst->nodes.start[id - 1].end_mark = s->end_mark;
    }
    for (int i = 0; i < n; i++) {
        yaml_node_t *s = &src->nodes.start[i];
        int ok = 1;
        if (s->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = s->data.sequence.items.start; ok && it < s->data.sequence.items.top; it++) {
                ok = yaml_document_append_sequence_item(dst, base + i + 1, *it + base);
            }
        } else if (s->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = s->data.mapping.pairs.start; ok && p < s->data.mapping.pairs.top; p++) {
                ok = yaml_document_append_mapping_pair(dst, base + i + 1, p->key + base, p->value + base);
            }
        }
        if (!ok) {
            return FOTA_ENOMEM;
        }
    }
    *first = base + 1;
    *last = base + n;
    return 0;
}

/* The path of an include step (`- include: FILE`) at node @p id, or NULL if not one. */
static yaml_node_t *include_value(yaml_document_t *doc, int id)
{
    yaml_node_t *n = yaml_document_get_node(doc, id);
    if (n == NULL || n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1) {
        return NULL;
    }
    yaml_node_t *k = yaml_document_get_node(doc, n->data.mapping.pairs.start[0].key);
    if (k == NULL || k->type != YAML_SCALAR_NODE || strcmp((const char *)k->data.scalar.value, "include") != 0) {
        return NULL;
    }
    return yaml_document_get_node(doc, n->data.mapping.pairs.start[0].value);
}

static int splice_seq(struct hil_origins *o, yaml_document_t *doc, int seq, int idx, int depth, char *err,
                      size_t errlen);

/* Check the include at @p val (origin @p idx) and register its file as a
 * new origin. @return the new origin's index; -1 after writing @p err. */
static int open_origin(struct hil_origins *o, yaml_node_t *val, int idx, int depth, char *err, size_t errlen)
{
    int line = (int)val->start_mark.line + 1;
    if (val->type != YAML_SCALAR_NODE || val->data.scalar.value[0] == '\0') {
        ofail(o, idx, line, err, errlen, "include needs a file path (a list of steps), got %s",
              val->type == YAML_SCALAR_NODE ? "nothing" : val->type == YAML_SEQUENCE_NODE ? "a list" : "a mapping");
        return -1;
    }
    const char *path = (const char *)val->data.scalar.value;
    char real[PATH_MAX];
    if (realpath(path, real) == NULL) {
        ofail(o, idx, line, err, errlen, "include %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        ofail(o, idx, line, err, errlen, "include %s: not a regular file", path);
        return -1;
    }
    if (in_chain(o, idx, real)) {
        ofail(o, idx, line, err, errlen, "include %s: a cycle (the file includes itself)", path);
        return -1;
    }
    if (depth >= HIL_INCLUDE_MAX_DEPTH) {
        ofail(o, idx, line, err, errlen, "include %s: includes nested more than %d deep", path,
              HIL_INCLUDE_MAX_DEPTH);
        return -1;
    }
    int ni = add_origin(o, path, idx, line);
    if (ni < 0) {
        ofail(o, idx, line, err, errlen, "include %s: out of memory", path);
    }
    return ni < 0 ? -1 : ni;
}

/* Copy the steps of the file of origin @p ni into @p doc, their own
 * includes spliced. @return the id of its (root) step list; 0 after writing @p err. */
static int include_file(struct hil_origins *o, yaml_document_t *doc, int ni, int depth, char *err, size_t errlen)
{
    struct hil_origin *or = &o->v[ni];
    char *buf = NULL;
    size_t len = 0;
    int rc = read_whole(or->file, &buf, &len);
    if (rc != 0) {
        ofail(o, or->parent, or->use_line, err, errlen, "include %s: %s", or->file,
              rc == FOTA_EIO ? strerror(errno) : "too large or out of memory");
        return 0;
    }
    yaml_document_t inc;
    rc = load_doc(o, ni, buf, len, &inc, err, errlen);
    free(buf);
    if (rc != 0) {
        return 0;
    }
    yaml_node_t *root = yaml_document_get_root_node(&inc);
    int line = root != NULL ? (int)root->start_mark.line + 1 : 1;
    if (root == NULL || root->type != YAML_SEQUENCE_NODE || root->data.sequence.items.top == root->data.sequence.items.start) {
        yaml_document_delete(&inc);
        ofail(o, ni, line, err, errlen, "an included file must be a non-empty list of steps");
        return 0;
    }
    int first = 0, last = 0;
    rc = copy_nodes(doc, &inc, &first, &last);
    yaml_document_delete(&inc);
    if (rc != 0) {
        ofail(o, o->v[ni].parent, o->v[ni].use_line, err, errlen, "include %s: %s", o->v[ni].file,
              rc == FOTA_ERANGE ? "the scenario grows too large (more than 200000 YAML nodes)" : "out of memory");
        return 0;
    }
    o->v[ni].first = first;
    o->v[ni].last = last;
    /* the root is the first node libyaml made (ids follow document order) */
    if (splice_seq(o, doc, first, ni, depth + 1, err, errlen) != 0) {
        return 0;
    }
    return first;
}

/* Append @p id to the growing list @p v. */
static int push_item(yaml_node_item_t **v, int *n, int *cap, yaml_node_item_t id)
{
    if (*n == *cap) {
        int nc = *cap == 0 ? 16 : *cap * 2;
        yaml_node_item_t *nv = realloc(*v, sizeof(*nv) * (size_t)nc);
        if (nv == NULL) {
            return FOTA_ENOMEM;
        }
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = id;
    return 0;
}

/* Replace the items of sequence @p seq (of origin @p idx) with its include steps spliced. */
static int splice_seq(struct hil_origins *o, yaml_document_t *doc, int seq, int idx, int depth, char *err,
                      size_t errlen)
{
    yaml_node_item_t *items = NULL;
    int n = 0, cap = 0, rc = 0;
    bool spliced = false;
    int count = (int)(doc->nodes.start[seq - 1].data.sequence.items.top - doc->nodes.start[seq - 1].data.sequence.items.start);
    for (int i = 0; i < count && rc == 0; i++) {
        yaml_node_item_t it = doc->nodes.start[seq - 1].data.sequence.items.start[i];
        yaml_node_t *val = include_value(doc, it);
        if (val == NULL) {
            rc = push_item(&items, &n, &cap, it);
            continue;
        }
        spliced = true;
        int ni = open_origin(o, val, idx, depth, err, errlen);
        int sub = ni >= 0 ? include_file(o, doc, ni, depth, err, errlen) : 0;
        if (sub == 0) {
            rc = FOTA_EINVAL;
            break;
        }
        yaml_node_t *sn = &doc->nodes.start[sub - 1];
        for (yaml_node_item_t *s = sn->data.sequence.items.start; rc == 0 && s < sn->data.sequence.items.top; s++) {
            rc = push_item(&items, &n, &cap, *s);
        }
    }
    if (rc != 0 || !spliced) {
        free(items);
        return rc != 0 ? FOTA_EINVAL : 0;
    }
    yaml_node_t *sq = &doc->nodes.start[seq - 1];
    free(sq->data.sequence.items.start); /* libyaml's stacks are malloc'ed (yaml_free is free) */
    sq->data.sequence.items.start = items;
    sq->data.sequence.items.top = items + n;
    sq->data.sequence.items.end = items + cap;
    return 0;
}

int hil_include_splice(struct hil_origins *o, yaml_document_t *doc, char *err, size_t errlen)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        return 0; /* the scenario parser reports it */
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        if (k != NULL && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, "steps") == 0 &&
            v != NULL && v->type == YAML_SEQUENCE_NODE) {
            return splice_seq(o, doc, p->value, -1, 0, err, errlen);
        }
    }
    return 0; /* no steps: the scenario parser reports it */
}
