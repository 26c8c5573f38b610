/**
 * @file params.c
 * @brief `params:` matrices and `${name}` substitution (params.h).
 */
#include "scenario/params.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

struct prm {
    struct hil_params *p;
    const struct hil_origins *o;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
};

static int pfail(struct prm *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int pfail(struct prm *c, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hil_origin_vfail(c->o, hil_origin_of(c->o, c->doc, n), (int)n->start_mark.line + 1, c->err, c->errlen, fmt, ap);
    va_end(ap);
    return FOTA_EINVAL;
}

static const char *sval(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static const char *type_name(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? "a scalar" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a mapping";
}

/* The value node of key @p key in the root mapping, or NULL. */
static yaml_node_t *root_key(yaml_document_t *doc, const char *key, yaml_node_t **knode)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE && strcmp(sval(k), key) == 0) {
            if (knode != NULL) {
                *knode = k;
            }
            return yaml_document_get_node(doc, p->value);
        }
    }
    return NULL;
}

static bool name_ok(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z')) {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) {
            return false;
        }
    }
    return true;
}

static bool value_ok(const char *s)
{
    if (*s == '\0' || strlen(s) > HIL_PARAMS_MAX_VALUE) {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
              *s == '_' || *s == '-')) {
            return false;
        }
    }
    return true;
}

/* One value of parameter @p pr, at node @p it. */
static int add_value(struct prm *c, struct hil_param *pr, yaml_node_t *it)
{
    if (it->type != YAML_SCALAR_NODE) {
        return pfail(c, it, "params %s: values must be scalars, got %s", pr->name, type_name(it));
    }
    if (!value_ok(sval(it))) {
        return pfail(c, it, "params %s: value '%s' must be 1 to %u of [A-Za-z0-9._-] (it goes into the case id)",
                     pr->name, sval(it), HIL_PARAMS_MAX_VALUE);
    }
    if (strcmp(pr->name, "link") == 0 && strcmp(sval(it), "uart") != 0 && strcmp(sval(it), "spi") != 0) {
        return pfail(c, it, "params link: value must be uart or spi, got '%s'", sval(it));
    }
    for (int i = 0; i < pr->nvalues; i++) {
        if (strcmp(pr->values[i], sval(it)) == 0) {
            return pfail(c, it, "params %s: value '%s' given twice", pr->name, sval(it));
        }
    }
    pr->values[pr->nvalues] = strdup(sval(it));
    if (pr->values[pr->nvalues] == NULL) {
        return FOTA_ENOMEM;
    }
    pr->nvalues++;
    return 0;
}

/* One `name: [values]` pair of the params mapping. */
static int add_param(struct prm *c, yaml_node_t *k, yaml_node_t *v)
{
    struct hil_params *p = c->p;
    if (k->type != YAML_SCALAR_NODE || !name_ok(sval(k))) {
        return pfail(c, k, "params: a parameter name must be [a-z][a-z0-9_]*, got %s%s%s",
                     k->type == YAML_SCALAR_NODE ? "'" : type_name(k), k->type == YAML_SCALAR_NODE ? sval(k) : "",
                     k->type == YAML_SCALAR_NODE ? "'" : "");
    }
    if (strcmp(sval(k), "target") == 0) {
        return pfail(c, k, "params: 'target' is reserved ({target} is the slot letter in image paths)");
    }
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].name, sval(k)) == 0) {
            return pfail(c, k, "params: duplicate parameter '%s'", sval(k));
        }
    }
    if ((unsigned)p->n >= HIL_PARAMS_MAX) {
        return pfail(c, k, "params: more than %u parameters", HIL_PARAMS_MAX);
    }
    if (v->type != YAML_SEQUENCE_NODE) {
        return pfail(c, v, "params %s must be a list of values, got %s", sval(k), type_name(v));
    }
    int nv = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (nv == 0) {
        return pfail(c, v, "params %s is empty (give at least one value)", sval(k));
    }
    struct hil_param *pr = &p->v[p->n++];
    pr->name = strdup(sval(k));
    pr->values = calloc((size_t)nv, sizeof(char *));
    if (pr->name == NULL || pr->values == NULL) {
        return FOTA_ENOMEM;
    }
    for (int i = 0; i < nv; i++) {
        int rc = add_value(c, pr, yaml_document_get_node(c->doc, v->data.sequence.items.start[i]));
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* The `params:` block itself: names, values, the case count. */
static int parse_block(struct prm *c, yaml_node_t *kn, yaml_node_t *pn)
{
    yaml_node_t *other = NULL;
    if (root_key(c->doc, "sweep", &other) != NULL) {
        return pfail(c, kn, "params and sweep do not combine (a sweep case id has its own '@'); "
                     "write one scenario per parameter value");
    }
    if (pn->type != YAML_MAPPING_NODE || pn->data.mapping.pairs.top == pn->data.mapping.pairs.start) {
        return pfail(c, pn, "params must be a mapping of name: [values], got %s",
                     pn->type == YAML_MAPPING_NODE ? "an empty mapping" : type_name(pn));
    }
    for (yaml_node_pair_t *q = pn->data.mapping.pairs.start; q < pn->data.mapping.pairs.top; q++) {
        int rc = add_param(c, yaml_document_get_node(c->doc, q->key), yaml_document_get_node(c->doc, q->value));
        if (rc != 0) {
            return rc;
        }
    }
    uint64_t cases = 1;
    for (int i = 0; i < c->p->n; i++) {
        cases *= (uint64_t)c->p->v[i].nvalues;
        if (cases > HIL_PARAMS_MAX_CASES) {
            return pfail(c, kn, "params: more than %u cases (the product of the value counts)",
                         HIL_PARAMS_MAX_CASES);
        }
    }
    c->p->ncases = (int)cases;
    if (hil_params_value(c->p, 0, "link") != NULL && root_key(c->doc, "link", &other) != NULL) {
        return pfail(c, other, "link is given both as a key and as a parameter");
    }
    return 0;
}

/* Check every `${name}` of scalar @p n; keep its text for substitution. */
static int scan_scalar(struct prm *c, yaml_node_t *n, int id)
{
    const char *s = sval(n);
    const char *at = strstr(s, "${");
    if (at == NULL) {
        return 0;
    }
    for (; at != NULL; at = strstr(at, "${")) {
        if (at > s && at[-1] == '$') {
            at += 2; /* `$${`: a literal `${` */
            continue;
        }
        const char *end = strchr(at, '}');
        if (end == NULL) {
            return pfail(c, n, "unterminated placeholder '%s' (write ${name}, or $${ for a literal ${)", at);
        }
        int len = (int)(end - at - 2);
        bool known = false;
        for (int i = 0; i < c->p->n && !known; i++) {
            known = (int)strlen(c->p->v[i].name) == len && strncmp(c->p->v[i].name, at + 2, (size_t)len) == 0;
        }
        if (!known) {
            return pfail(c, n, "unknown placeholder '${%.*s}' (%s)", len, at + 2,
                         c->p->n == 0 ? "the scenario has no params" : "not a name under params");
        }
        at = end + 1;
    }
    c->p->orig[id - 1] = strdup(s);
    return c->p->orig[id - 1] != NULL ? 0 : FOTA_ENOMEM;
}

int hil_params_parse(struct hil_params *p, const struct hil_origins *o, yaml_document_t *doc, char *err,
                     size_t errlen)
{
    struct prm c = { .p = p, .o = o, .doc = doc, .err = err, .errlen = errlen };
    memset(p, 0, sizeof(*p));
    p->ncases = 1;
    yaml_node_t *kn = NULL;
    yaml_node_t *pn = root_key(doc, "params", &kn);
    int rc = pn != NULL ? parse_block(&c, kn, pn) : 0;
    p->nnodes = (int)(doc->nodes.top - doc->nodes.start);
    p->orig = calloc((size_t)p->nnodes + 1, sizeof(char *));
    if (p->orig == NULL) {
        return FOTA_ENOMEM;
    }
    for (int id = 1; id <= p->nnodes && rc == 0; id++) {
        yaml_node_t *n = yaml_document_get_node(doc, id);
        rc = n->type == YAML_SCALAR_NODE ? scan_scalar(&c, n, id) : 0;
    }
    return rc;
}

/* The value index of parameter @p i in case @p k: the last parameter varies fastest. */
static int value_index(const struct hil_params *p, int k, int i)
{
    int div = 1;
    for (int j = p->n - 1; j > i; j--) {
        div *= p->v[j].nvalues;
    }
    return (k / div) % p->v[i].nvalues;
}

const char *hil_params_value(const struct hil_params *p, int k, const char *name)
{
    for (int i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].name, name) == 0) {
            return p->v[i].values[value_index(p, k, i)];
        }
    }
    return NULL;
}

/* @p src with `${name}` replaced by case @p k's values and `$${` by `${` (malloc'ed). */
static char *substitute(const struct hil_params *p, int k, const char *src)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (f == NULL) {
        return NULL;
    }
    for (const char *s = src; *s != '\0';) {
        const char *end = NULL;
        if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
            fputs("${", f);
            s += 3;
        } else if (s[0] == '$' && s[1] == '{' && (end = strchr(s, '}')) != NULL) {
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(end - s - 2), s + 2);
            const char *v = hil_params_value(p, k, name);
            fputs(v != NULL ? v : "", f); /* hil_params_parse checked every name */
            s = end + 1;
        } else {
            fputc(*s++, f);
        }
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

int hil_params_apply(const struct hil_params *p, yaml_document_t *doc, int k, char *label, size_t len)
{
    size_t u = 0;
    label[0] = '\0';
    for (int i = 0; i < p->n && u < len; i++) {
        int n = snprintf(label + u, len - u, "%s%s=%s", i > 0 ? "," : "", p->v[i].name,
                         p->v[i].values[value_index(p, k, i)]);
        u += n > 0 ? (size_t)n : 0u;
    }
    for (int id = 1; id <= p->nnodes; id++) {
        if (p->orig[id - 1] == NULL) {
            continue;
        }
        char *v = substitute(p, k, p->orig[id - 1]);
        if (v == NULL) {
            return FOTA_ENOMEM;
        }
        yaml_node_t *n = yaml_document_get_node(doc, id);
        free(n->data.scalar.value); /* libyaml allocates with malloc (yaml_free is free) */
        n->data.scalar.value = (yaml_char_t *)v;
        n->data.scalar.length = strlen(v);
    }
    return 0;
}

void hil_params_free(struct hil_params *p)
{
    for (int i = 0; i < p->n; i++) {
        for (int j = 0; j < p->v[i].nvalues; j++) {
            free(p->v[i].values[j]);
        }
        free(p->v[i].values);
        free(p->v[i].name);
    }
    for (int i = 0; i < p->nnodes && p->orig != NULL; i++) {
        free(p->orig[i]);
    }
    free(p->orig);
    memset(p, 0, sizeof(*p));
}
