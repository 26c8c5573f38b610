/**
 * @file scenario.c
 * @brief Scenario file parser (libyaml document API; schema in
 * docs/SCENARIOS.md). Every error is `file:line: what is wrong`, with the
 * line of the offending node's start mark.
 */
#include "scenario/scenario.h"
#include "target/errmsg.h"
#include "scenario/sweep.h"
#include "scenario/include.h"
#include "scenario/merge.h"
#include "scenario/params.h"
#include "scenario/fault_parse.h"
#include "scenario/parse_util.h"
#include "scenario/rom_quirks.h"
#include "scenario/expect_parse.h"
#include "scenario/fault_truncate.h"
#include "scenario/bridge_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fota/proto.h"

/* Largest scenario file we read (they are hand-written). */
#define HIL_SCENARIO_MAX_FILE (4u * 1024u * 1024u)

struct pctx {
    const char *file;
    yaml_document_t *doc;
    const struct hil_origins *orig; /**< included files (include.h); NULL: none */
    char *err;
    size_t errlen;
    bool failed;
};

static int fail_at(struct pctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct pctx *c, int line, const char *fmt, ...)
{
    if (c->failed) {
        return FOTA_EINVAL; /* keep the first message */
    }
    c->failed = true;
    va_list ap;
    va_start(ap, fmt);
    hil_errmsg_vset(c->err, c->errlen, c->file, line, fmt, ap);
    va_end(ap);
    return FOTA_EINVAL;
}

static int line_of(const yaml_node_t *n)
{
    return n != NULL ? (int)n->start_mark.line + 1 : 1;
}

static int fail_node(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* fail_at at node @p n, in the included file it came from (include.h). */
static int fail_node(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    if (c->failed) {
        return FOTA_EINVAL;
    }
    c->failed = true;
    va_list ap;
    va_start(ap, fmt);
    struct hil_origins none = { .file = c->file };
    const struct hil_origins *o = c->orig != NULL ? c->orig : &none;
    hil_origin_vfail(o, c->doc != NULL ? hil_origin_of(o, c->doc, n) : -1, line_of(n), c->err, c->errlen, fmt, ap);
    va_end(ap);
    return FOTA_EINVAL;
}

#define FAIL(c, node, ...) fail_node((c), (node), __VA_ARGS__)

static const char *node_type_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static bool is_null(const yaml_node_t *n)
{
    if (n == NULL) {
        return true;
    }
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return false;
    }
    const char *v = scalar(n);
    return v[0] == '\0' || strcmp(v, "null") == 0 || strcmp(v, "~") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static yaml_node_t *node(struct pctx *c, yaml_node_item_t id)
{
    return yaml_document_get_node(c->doc, id);
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL) {
        fprintf(stderr, "fota-hil: out of memory\n");
        abort();
    }
    return d;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz);
    if (p == NULL) {
        fprintf(stderr, "fota-hil: out of memory\n");
        abort();
    }
    return p;
}

static int want_type(struct pctx *c, yaml_node_t *n, yaml_node_type_t t, const char *what)
{
    if (n == NULL || n->type != t) {
        const char *tn = t == YAML_SCALAR_NODE ? "a scalar" :
                         t == YAML_SEQUENCE_NODE ? "a list" : "a mapping";
        return FAIL(c, n, "%s must be %s, got %s", what, tn,
                    n == NULL ? "nothing" : (is_null(n) ? "null" : node_type_name(n)));
    }
    return 0;
}

static int get_string(struct pctx *c, yaml_node_t *n, const char *what, char **out)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE || is_null(n)) {
        return FAIL(c, n, "%s must be a string, got %s", what,
                    n == NULL ? "nothing" : (is_null(n) ? "null" : node_type_name(n)));
    }
    free(*out);
    *out = xstrdup(scalar(n));
    return 0;
}

static int get_u32(struct pctx *c, yaml_node_t *n, const char *what, uint32_t min, uint32_t *out)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE || is_null(n)) {
        return FAIL(c, n, "%s must be an integer, got %s", what,
                    n == NULL ? "nothing" : (is_null(n) ? "null" : node_type_name(n)));
    }
    const char *s = scalar(n);
    if (s[0] < '0' || s[0] > '9') {
        return FAIL(c, n, "%s must be a non-negative integer, got '%s'", what, s);
    }
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX) {
        return FAIL(c, n, "%s must be an integer (0..4294967295), got '%s'", what, s);
    }
    if (v < min) {
        return FAIL(c, n, "%s must be at least %u, got %llu", what, min, v);
    }
    *out = (uint32_t)v;
    return 0;
}

static int get_string_list(struct pctx *c, yaml_node_t *n, const char *what, char ***out, int *count)
{
    if (want_type(c, n, YAML_SEQUENCE_NODE, what) != 0) {
        return FOTA_EINVAL;
    }
    int cnt = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    char **v = xcalloc((size_t)cnt + 1, sizeof(*v));
    for (int i = 0; i < cnt; i++) {
        yaml_node_t *it = node(c, n->data.sequence.items.start[i]);
        if (get_string(c, it, what, &v[i]) != 0) {
            for (int j = 0; j <= i; j++) {
                free(v[j]);
            }
            free(v);
            return FOTA_EINVAL;
        }
    }
    for (int i = 0; i < *count; i++) {
        free((*out)[i]);
    }
    free(*out);
    *out = v;
    *count = cnt;
    return 0;
}

/* Match a scalar against a table of names; -1 if none. */
struct name_val { const char *name; int val; };

/* @p tab: @p ntab elements of @p stride bytes, each starting with a struct name_val. */
static const struct name_val *name_at(const void *tab, size_t stride, size_t i)
{
    return (const struct name_val *)(const void *)((const char *)tab + i * stride);
}

static int lookup(struct pctx *c, yaml_node_t *n, const char *what,
                  const void *tab, size_t ntab, size_t stride, int *out)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE || is_null(n)) {
        return FAIL(c, n, "%s must be a string, got %s", what,
                    n == NULL ? "nothing" : (is_null(n) ? "null" : node_type_name(n)));
    }
    for (size_t i = 0; i < ntab; i++) {
        if (strcmp(scalar(n), name_at(tab, stride, i)->name) == 0) {
            *out = name_at(tab, stride, i)->val;
            return 0;
        }
    }
    char alts[256] = "";
    for (size_t i = 0; i < ntab; i++) {
        strncat(alts, name_at(tab, stride, i)->name, sizeof(alts) - strlen(alts) - 1);
        if (i + 1 < ntab) {
            strncat(alts, "|", sizeof(alts) - strlen(alts) - 1);
        }
    }
    return FAIL(c, n, "%s must be one of %s, got '%s'", what, alts, scalar(n));
}

#define LOOKUP(c, n, what, tab, out) \
    lookup((c), (n), (what), (tab), sizeof(tab) / sizeof((tab)[0]), sizeof((tab)[0]), (out))

/*
 * Iterate a mapping: check keys are unique scalars from @p allowed, call
 * the caller per pair through the returned arrays (struct kv,
 * parse_util.h). Returns the number of pairs or -1 after reporting.
 */
static int mapping_pairs(struct pctx *c, yaml_node_t *n, const char *what,
                         const char *const *allowed, struct kv *out)
{
    if (want_type(c, n, YAML_MAPPING_NODE, what) != 0) {
        return -1;
    }
    int cnt = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key);
        if (k == NULL || k->type != YAML_SCALAR_NODE) {
            FAIL(c, k, "%s: keys must be strings", what);
            return -1;
        }
        bool ok = false;
        for (const char *const *a = allowed; *a != NULL; a++) {
            if (strcmp(*a, scalar(k)) == 0) {
                ok = true;
                break;
            }
        }
        if (!ok) {
            char alts[256] = "";
            for (const char *const *a = allowed; *a != NULL; a++) {
                strncat(alts, *a, sizeof(alts) - strlen(alts) - 1);
                if (a[1] != NULL) {
                    strncat(alts, ", ", sizeof(alts) - strlen(alts) - 1);
                }
            }
            FAIL(c, k, "unknown key '%s' in %s (expected one of: %s)", scalar(k), what, alts);
            return -1;
        }
        for (int i = 0; i < cnt; i++) {
            if (strcmp(out[i].key, scalar(k)) == 0) {
                FAIL(c, k, "duplicate key '%s' in %s", scalar(k), what);
                return -1;
            }
        }
        if (cnt >= HIL_MAX_KEYS) {
            FAIL(c, k, "too many keys in %s", what);
            return -1;
        }
        out[cnt].key = scalar(k);
        out[cnt].knode = k;
        out[cnt].val = node(c, p->value);
        cnt++;
    }
    return cnt;
}

static struct kv *find_kv(struct kv *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(kv[i].key, key) == 0) {
            return &kv[i];
        }
    }
    return NULL;
}

/* ---- names ---- */

static const struct name_val op_names[] = {
    { "program", HIL_OP_PROGRAM }, { "erase", HIL_OP_ERASE },
};
static const struct name_val region_names[] = {
    { "any", HIL_FREGION_ANY }, { "slot", HIL_FREGION_SLOT }, { "meta", HIL_FREGION_META },
    { "slot_a", HIL_FREGION_SLOT_A }, { "slot_b", HIL_FREGION_SLOT_B },
};
static const struct name_val torn_names[] = {
    { "none", HIL_TORN_NONE }, { "half", HIL_TORN_HALF }, { "all", HIL_TORN_ALL }, { "bits", HIL_TORN_BITS },
};
static const struct name_val dir_names[] = {
    { "to_target", HIL_DIR_TO_TARGET }, { "to_host", HIL_DIR_TO_HOST },
};
static const struct name_val link_names[] = { { "uart", HIL_LINK_UART }, { "spi", HIL_LINK_SPI } };
/* `spi_clock:` (docs/SCENARIOS.md): when the harness, as the SPI master, clocks. */
static const struct name_val spi_clock_names[] = { { "on_ready", 0 }, { "never", 1 } };
/* AN3155 section 3 command codes (harness/link/rom_an3155.h). */
static const struct name_val rom_cmd_names[] = {
    { "get", 0x00 }, { "get_version", 0x01 }, { "get_id", 0x02 }, { "read", 0x11 }, { "go", 0x21 },
    { "write", 0x31 }, { "erase", 0x44 },
};
static const struct name_val upd_proto_names[] = {
    { "fota", HIL_PROTO_FOTA }, { "an3155", HIL_PROTO_AN3155 }, { "an4286", HIL_PROTO_AN4286 },
    { "an4221", HIL_PROTO_AN4221 },
};
static const struct name_val frame_type_names[] = {
    { "HELLO", PROTO_T_HELLO }, { "ENTER_UPDATE", PROTO_T_ENTER_UPDATE }, { "BEGIN", PROTO_T_BEGIN },
    { "DATA", PROTO_T_DATA }, { "END", PROTO_T_END }, { "ABORT", PROTO_T_ABORT }, { "RESET", PROTO_T_RESET },
    { "HELLO_RSP", PROTO_T_HELLO | PROTO_T_RSP }, { "ENTER_UPDATE_RSP", PROTO_T_ENTER_UPDATE | PROTO_T_RSP },
    { "BEGIN_RSP", PROTO_T_BEGIN | PROTO_T_RSP }, { "DATA_RSP", PROTO_T_DATA | PROTO_T_RSP },
    { "END_RSP", PROTO_T_END | PROTO_T_RSP }, { "ABORT_RSP", PROTO_T_ABORT | PROTO_T_RSP },
    { "RESET_RSP", PROTO_T_RESET | PROTO_T_RSP }, { "NACK", PROTO_T_NACK },
};
static const struct name_val upd_expect_names[] = {
    { "ok", HIL_UPD_OK }, { "fail", HIL_UPD_FAIL }, { "interrupted", HIL_UPD_INTERRUPTED },
};
static const struct name_val slot_names[] = {
    { "A", LAYOUT_SLOT_A }, { "B", LAYOUT_SLOT_B },
};
static const struct name_val active_names[] = {
    { "A", LAYOUT_SLOT_A }, { "B", LAYOUT_SLOT_B }, { "none", HIL_SLOT_NONE },
};
static const struct name_val state_names[] = {
    { "empty", META_SLOT_EMPTY }, { "pending", META_SLOT_PENDING }, { "trial", META_SLOT_TRIAL },
    { "confirmed", META_SLOT_CONFIRMED }, { "rejected", META_SLOT_REJECTED },
};

const char *hil_step_name(enum hil_step_kind k)
{
    switch (k) {
    case HIL_STEP_POWER_ON: return "power_on";
    case HIL_STEP_POWER_CUT: return "power_cut";
    case HIL_STEP_RESET: return "reset";
    case HIL_STEP_WAIT_MS: return "wait_ms";
    case HIL_STEP_EXPECT_CONSOLE: return "expect_console";
    case HIL_STEP_CONSOLE_ABSENT: return "console_absent";
    case HIL_STEP_UPDATE: return "update";
    case HIL_STEP_EXPECT: return "expect";
    case HIL_STEP_SERVERS: return "servers";
    case HIL_STEP_PUBLISH_IMAGE: return "publish_image";
    case HIL_STEP_MQTT_TRIGGER: return "mqtt_trigger";
    case HIL_STEP_BRIDGE: return "bridge";
    case HIL_STEP_EXPECT_MQTT: return "expect_mqtt";
    }
    return "?";
}

const char *hil_update_expect_name(enum hil_update_expect e)
{
    for (size_t i = 0; i < sizeof(upd_expect_names) / sizeof(upd_expect_names[0]); i++) {
        if (upd_expect_names[i].val == (int)e) {
            return upd_expect_names[i].name;
        }
    }
    return "?";
}

int hil_parse_version(const char *s, uint32_t *out)
{
    unsigned long part[3];
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        if (*p < '0' || *p > '9') {
            return FOTA_EINVAL;
        }
        char *end = NULL;
        errno = 0;
        part[i] = strtoul(p, &end, 10);
        if (errno != 0 || end == p) {
            return FOTA_EINVAL;
        }
        p = end;
        if (i < 2) {
            if (*p != '.') {
                return FOTA_EINVAL;
            }
            p++;
        }
    }
    if (*p != '\0' || part[0] > 0xFFFFu || part[1] > 0xFFu || part[2] > 0xFFu) {
        return FOTA_EINVAL;
    }
    *out = IMAGE_VERSION(part[0], part[1], part[2]);
    return 0;
}

void hil_format_version(uint32_t v, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u", (unsigned)IMAGE_VERSION_MAJOR(v),
             (unsigned)IMAGE_VERSION_MINOR(v), (unsigned)IMAGE_VERSION_PATCH(v));
}

uint32_t hil_data_frames(uint64_t file_size)
{
    return (uint32_t)((file_size + PROTO_MAX_DATA - 1u) / PROTO_MAX_DATA);
}

/* ---- pieces ---- */

/* Most parse-tree nodes a scenario regex may cost regcomp(). */
#define RE_COST_MAX 100000u

static uint64_t re_cost_sat(uint64_t v)
{
    return v > RE_COST_MAX ? RE_COST_MAX + 1u : v;
}

/* Upper bound on the nodes glibc's regcomp() builds for the ERE at *pp, up
 * to an unmatched ')': it copies the operand of '+' once and that of
 * '{m,n}' up to max(m,n) times, so repetitions stacked or nested multiply
 * (found by tests/fuzz/scenario-fuzz.c: a regex with 70 stacked '+' took
 * regcomp() exponential time and memory). */
static uint64_t re_cost(const char **pp, unsigned depth)
{
    const char *p = *pp;
    uint64_t total = 0, atom = 0;

    while (*p != '\0' && *p != ')' && total <= RE_COST_MAX) {
        if (*p == '+' || *p == '{') {
            /* the operand is copied: once for '+', max(m,n) times for {m,n} */
            uint64_t copies = 1u;
            char *end = (char *)p + 1;
            if (*p == '{') {
                unsigned long m = strtoul(p + 1, &end, 10), n = m;
                if (*end == ',') {
                    n = strtoul(end + 1, &end, 10);
                }
                copies = (m > n) ? m : n;
                end += (*end == '}');
            }
            p = end;
            total += atom * copies + 1u;
            atom = re_cost_sat(atom * (copies + 1u) + 1u);
        } else if (*p == '*' || *p == '?' || *p == '|') {
            atom = (*p == '|') ? 0u : atom + 1u;
            p++;
            total++;
        } else {
            if (*p == '(') {
                p++;
                atom = (depth < 64u) ? re_cost(&p, depth + 1u) + 1u : RE_COST_MAX + 1u;
                p += (*p == ')');
            } else if (*p == '[') {
                p += 1 + (p[1] == '^');
                p += (*p == ']');
                while (*p != '\0' && *p != ']') {
                    p++;
                }
                p += (*p == ']');
                atom = 1u;
            } else {
                p += (*p == '\\' && p[1] != '\0') ? 2 : 1;
                atom = 1u;
            }
            total += atom;
        }
        total = re_cost_sat(total);
    }
    *pp = p;
    return total;
}

bool hil_regex_too_complex(const char *re)
{
    const char *p = re;
    uint64_t cost = 0;
    while (cost <= RE_COST_MAX && *p != '\0') {
        cost += re_cost(&p, 0);
        p += (*p == ')');
    }
    return cost > RE_COST_MAX;
}

static int compile_regex(struct pctx *c, yaml_node_t *n, struct hil_step *st, const char *what)
{
    if (get_string(c, n, what, &st->regex) != 0) {
        return FOTA_EINVAL;
    }
    if (hil_regex_too_complex(st->regex)) {
        return FAIL(c, n, "%s: bad regex /%s/: too complex (stacked or nested repetitions)", what, st->regex);
    }
    int rc = regcomp(&st->re, st->regex, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &st->re, msg, sizeof(msg));
        return FAIL(c, n, "%s: bad regex /%s/: %s", what, st->regex, msg);
    }
    st->re_ok = true;
    return 0;
}

static bool region_is_slot(enum hil_fault_region r)
{
    return r == HIL_FREGION_SLOT || r == HIL_FREGION_SLOT_A || r == HIL_FREGION_SLOT_B;
}

/* spi_* faults (harness/link/spi_link.h): transfer N, byte B, dir, count K, value V. */
static int parse_spi_fault(struct pctx *c, yaml_node_t *n, struct kv *kv, int cnt, struct hil_fault *f)
{
    struct kv *tr = find_kv(kv, cnt, "transfer");
    struct kv *k;
    int v = 0;
    if (tr == NULL) {
        return FAIL(c, n, "%s fault needs 'transfer' (a count from 1)", hil_fault_kind_name(f->kind));
    }
    if (get_u32(c, tr->val, "transfer", 1, &f->frame) != 0) {
        return FOTA_EINVAL;
    }
    f->frame_type = -1;
    f->dir = HIL_DIR_TO_TARGET;
    bool needs_byte = f->kind == HIL_FAULT_SPI_CORRUPT || f->kind == HIL_FAULT_SPI_CS_RELEASE;
    if ((k = find_kv(kv, cnt, "byte")) != NULL) {
        if (!needs_byte) {
            return FAIL(c, k->knode, "key 'byte' does not apply to a %s fault", hil_fault_kind_name(f->kind));
        }
        if (get_u32(c, k->val, "byte", 0, &f->byte) != 0) {
            return FOTA_EINVAL;
        }
    } else if (needs_byte) {
        return FAIL(c, n, "%s fault needs 'byte' (offset in the transfer)", hil_fault_kind_name(f->kind));
    }
    if ((k = find_kv(kv, cnt, "dir")) != NULL) {
        if (f->kind != HIL_FAULT_SPI_CORRUPT) {
            return FAIL(c, k->knode, "key 'dir' does not apply to a %s fault", hil_fault_kind_name(f->kind));
        }
        if (LOOKUP(c, k->val, "dir", dir_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        f->dir = (enum hil_dir)v;
    }
    if (f->kind == HIL_FAULT_SPI_MISO_STUCK) {
        f->n = 20;
        f->byte = 0xFF;
        if ((k = find_kv(kv, cnt, "count")) != NULL && get_u32(c, k->val, "count", 1, &f->n) != 0) {
            return FOTA_EINVAL;
        }
        if ((k = find_kv(kv, cnt, "value")) != NULL) {
            if (get_u32(c, k->val, "value", 0, &f->byte) != 0) {
                return FOTA_EINVAL;
            }
            if (f->byte != 0x00u && f->byte != 0xFFu) {
                return FAIL(c, k->val, "value must be 0 or 255 (MISO stuck low or high)");
            }
        }
    } else if ((k = find_kv(kv, cnt, "count")) != NULL || (k = find_kv(kv, cnt, "value")) != NULL) {
        return FAIL(c, k->knode, "key '%s' applies to spi_miso_stuck only", k->key);
    }
    return 0;
}

/* A fault that counts frames of the update link (corrupt, drop, disconnect;
 * power_cut at a frame): dir, frame, type, and byte for corrupt. */
static int parse_link_fault(struct pctx *c, yaml_node_t *n, struct kv *kv, int cnt, struct hil_fault *f)
{
    int v = 0;
    struct kv *dir = find_kv(kv, cnt, "dir");
    struct kv *fr = find_kv(kv, cnt, "frame");
    f->dir = HIL_DIR_TO_TARGET;
    if (dir != NULL) {
        if (LOOKUP(c, dir->val, "dir", dir_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        f->dir = (enum hil_dir)v;
    } else if (f->kind != HIL_FAULT_DISCONNECT && f->kind != HIL_FAULT_POWER_CUT) {
        return FAIL(c, n, "%s fault needs 'dir' (to_target|to_host)", hil_fault_kind_name(f->kind));
    }
    if ((f->kind == HIL_FAULT_DISCONNECT || f->kind == HIL_FAULT_POWER_CUT) && f->dir != HIL_DIR_TO_TARGET) {
        return FAIL(c, dir->val, "%s counts to_target frames only", hil_fault_kind_name(f->kind));
    }
    if (fr == NULL) {
        return FAIL(c, n, "%s fault needs 'frame' (a count from 1)", hil_fault_kind_name(f->kind));
    }
    if (get_u32(c, fr->val, "frame", 1, &f->frame) != 0) {
        return FOTA_EINVAL;
    }
    f->frame_type = -1;
    struct kv *ty = find_kv(kv, cnt, "type");
    if (ty != NULL) {
        if (LOOKUP(c, ty->val, "frame type", frame_type_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        bool rsp = v == PROTO_T_NACK || (v & PROTO_T_RSP) != 0;
        if (rsp != (f->dir == HIL_DIR_TO_HOST)) {
            return FAIL(c, ty->val, "frame type %s never travels %s", scalar(ty->val),
                        f->dir == HIL_DIR_TO_HOST ? "to_host" : "to_target");
        }
        f->frame_type = v;
    }
    if (f->kind != HIL_FAULT_CORRUPT) {
        return 0;
    }
    struct kv *by = find_kv(kv, cnt, "byte");
    if (by == NULL) {
        return FAIL(c, n, "corrupt fault needs 'byte' (offset in the frame, 0 = first sync byte)");
    }
    if (get_u32(c, by->val, "byte", 0, &f->byte) != 0) {
        return FOTA_EINVAL;
    }
    if (f->byte >= PROTO_MAX_FRAME) {
        return FAIL(c, by->val, "byte must be below %u (the largest frame)", (unsigned)PROTO_MAX_FRAME);
    }
    return 0;
}

/* A power_cut's `n`: a count from 1, or last/middle (DATA frames of the image). */
static int parse_cut_n(struct pctx *c, struct kv *nn, struct hil_fault *f)
{
    if (nn->val != NULL && nn->val->type == YAML_SCALAR_NODE &&
        (strcmp(scalar(nn->val), "last") == 0 || strcmp(scalar(nn->val), "middle") == 0)) {
        if (f->on != HIL_OP_PROGRAM || !region_is_slot(f->region)) {
            return FAIL(c, nn->val, "n: %s needs on: program and region: slot "
                        "(it counts the image's DATA frames)", scalar(nn->val));
        }
        f->n_kind = strcmp(scalar(nn->val), "last") == 0 ? HIL_FN_LAST : HIL_FN_MIDDLE;
        f->n = 0;
        return 0;
    }
    f->n_kind = HIL_FN_NUMBER;
    if (nn->val != NULL && nn->val->type == YAML_SCALAR_NODE && !is_null(nn->val) &&
        (scalar(nn->val)[0] < '0' || scalar(nn->val)[0] > '9')) {
        return FAIL(c, nn->val, "n must be a count from 1, 'last' or 'middle', got '%s'", scalar(nn->val));
    }
    return get_u32(c, nn->val, "n", 1, &f->n);
}

/* The first of @p keys present in @p kv, or NULL. */
static struct kv *find_any(struct kv *kv, int cnt, const char *const *keys)
{
    for (const char *const *m = keys; *m != NULL; m++) {
        struct kv *k = find_kv(kv, cnt, *m);
        if (k != NULL) {
            return k;
        }
    }
    return NULL;
}

/* power_cut: at the Nth flash operation (on, region, n, torn), or with
 * `frame` just before the Nth to_target frame (frame, type, dir). */
static int parse_power_cut(struct pctx *c, yaml_node_t *n, struct kv *kv, int cnt, struct hil_fault *f)
{
    static const char *const op_only[] = { "on", "region", "n", "torn", NULL };
    static const char *const frame_only[] = { "type", "dir", NULL };
    static const char *const placed[] = { "on", "region", "n", "torn", "frame", "type", "dir", NULL };
    struct kv *k;
    int v = 0;
    struct kv *atc = find_kv(kv, cnt, "at_console"), *atm = find_kv(kv, cnt, "at_ms");
    if (atc != NULL || atm != NULL) {
        k = find_any(kv, cnt, placed);
        c->failed = hil_fault_parse_at(c->file, atc != NULL ? atc->val : NULL, atm != NULL ? atm->val : NULL,
                                       k != NULL ? k->key : NULL, k != NULL ? k->knode : NULL, f, c->err,
                                       c->errlen) != 0;
        return c->failed ? FOTA_EINVAL : 0;
    }
    if (find_kv(kv, cnt, "frame") != NULL) {
        if ((k = find_any(kv, cnt, op_only)) != NULL) {
            return FAIL(c, k->knode, "key '%s' does not apply to a power_cut at a frame (it takes frame, "
                        "type, dir)", k->key);
        }
        return parse_link_fault(c, n, kv, cnt, f);
    }
    if ((k = find_any(kv, cnt, frame_only)) != NULL) {
        return FAIL(c, k->knode, "key '%s' applies to a power_cut at a frame only (give 'frame')", k->key);
    }
    struct kv *on = find_kv(kv, cnt, "on");
    struct kv *nn = find_kv(kv, cnt, "n");
    if (on == NULL) {
        return FAIL(c, n, "power_cut fault needs 'on' (program|erase) and 'n', 'frame' (a frame to "
                    "the target), 'at_console' (a regex) or 'at_ms' (device ms into the step)");
    }
    if (nn == NULL) {
        return FAIL(c, n, "power_cut fault needs 'n' (a count from 1, 'last' or 'middle')");
    }
    if (LOOKUP(c, on->val, "on", op_names, &v) != 0) {
        return FOTA_EINVAL;
    }
    f->on = (enum hil_op_kind)v;
    f->region = HIL_FREGION_ANY;
    if ((k = find_kv(kv, cnt, "region")) != NULL) {
        if (LOOKUP(c, k->val, "region", region_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        f->region = (enum hil_fault_region)v;
    }
    f->torn = HIL_TORN_NONE;
    if ((k = find_kv(kv, cnt, "torn")) != NULL) {
        if (LOOKUP(c, k->val, "torn", torn_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        f->torn = (enum hil_torn)v;
    }
    return parse_cut_n(c, nn, f);
}

/* rom_nack, rom_silent, rom_late: the Nth command `cmd` of the ROM path
 * (rom_late: its next parameter frame reaches the ROM `ms` late). */
static int parse_rom_fault(struct pctx *c, yaml_node_t *n, struct kv *kv, int cnt, struct hil_fault *f)
{
    struct kv *cm = find_kv(kv, cnt, "cmd");
    struct kv *nn = find_kv(kv, cnt, "n");
    struct kv *ms = find_kv(kv, cnt, "ms");
    int v = 0;
    if (cm == NULL || nn == NULL) {
        return FAIL(c, n, "%s fault needs 'cmd' (get|get_version|get_id|read|go|write|erase) and 'n' "
                    "(a count from 1)", hil_fault_kind_name(f->kind));
    }
    if (LOOKUP(c, cm->val, "cmd", rom_cmd_names, &v) != 0) {
        return FOTA_EINVAL;
    }
    f->rom_cmd = (uint8_t)v;
    if ((f->kind == HIL_FAULT_ROM_LATE) != (ms != NULL)) {
        return FAIL(c, ms != NULL ? ms->knode : n, "'ms' %s", f->kind == HIL_FAULT_ROM_LATE ?
                    "is required by a rom_late fault (bus ms the parameter comes late, 1..600000)" :
                    "applies to rom_late only");
    }
    if (ms != NULL && (get_u32(c, ms->val, "ms", 1, &f->late_ms) != 0 || f->late_ms > 600000u)) {
        return c->failed ? FOTA_EINVAL : FAIL(c, ms->val, "ms must be 1..600000");
    }
    return get_u32(c, nn->val, "n", 1, &f->n);
}

/* The fault kinds: one row each, its name, the keys it takes (besides
 * `kind`) and its parser. */
typedef int (*fault_parser)(struct pctx *c, yaml_node_t *n, struct kv *kv, int cnt, struct hil_fault *f);
struct fault_kind_row {
    struct name_val nv;           /* name, enum hil_fault_kind (first: LOOKUP reads it) */
    const char *const *keys;
    fault_parser parse;
};

static const char *const pc_keys[] = { "on", "region", "n", "torn", "frame", "type", "dir", "at_console", "at_ms",
                                       NULL };
static const char *const co_keys[] = { "dir", "frame", "type", "byte", NULL };
static const char *const link_keys[] = { "dir", "frame", "type", NULL };
static const char *const rom_keys[] = { "cmd", "n", "ms", NULL };
static const char *const spi_keys[] = { "transfer", "byte", "dir", "count", "value", NULL };
static const char *const truncate_keys[] = { "after_bytes", "after_frames", "end", NULL };

static const struct fault_kind_row fault_kinds[] = {
    { { "power_cut", HIL_FAULT_POWER_CUT }, pc_keys, parse_power_cut },
    { { "corrupt", HIL_FAULT_CORRUPT }, co_keys, parse_link_fault },
    { { "drop", HIL_FAULT_DROP }, link_keys, parse_link_fault },
    { { "disconnect", HIL_FAULT_DISCONNECT }, link_keys, parse_link_fault },
    { { "rom_nack", HIL_FAULT_ROM_NACK }, rom_keys, parse_rom_fault },
    { { "rom_silent", HIL_FAULT_ROM_SILENT }, rom_keys, parse_rom_fault },
    { { "rom_late", HIL_FAULT_ROM_LATE }, rom_keys, parse_rom_fault },
    { { "spi_drop", HIL_FAULT_SPI_DROP }, spi_keys, parse_spi_fault },
    { { "spi_corrupt", HIL_FAULT_SPI_CORRUPT }, spi_keys, parse_spi_fault },
    { { "spi_cs_release", HIL_FAULT_SPI_CS_RELEASE }, spi_keys, parse_spi_fault },
    { { "spi_miso_stuck", HIL_FAULT_SPI_MISO_STUCK }, spi_keys, parse_spi_fault },
    { { "spi_bit_shift", HIL_FAULT_SPI_BIT_SHIFT }, spi_keys, parse_spi_fault },
    { { "truncate", HIL_FAULT_TRUNCATE }, truncate_keys, hil_parse_truncate },
};

static const struct fault_kind_row *fault_row(enum hil_fault_kind k)
{
    for (size_t i = 0; i < sizeof(fault_kinds) / sizeof(fault_kinds[0]); i++) {
        if (fault_kinds[i].nv.val == (int)k) {
            return &fault_kinds[i];
        }
    }
    return NULL;
}

const char *hil_fault_kind_name(enum hil_fault_kind k)
{
    const struct fault_kind_row *row = fault_row(k);
    return row != NULL ? row->nv.name : "?";
}

static bool key_in(const char *key, const char *const *keys)
{
    for (const char *const *m = keys; *m != NULL; m++) {
        if (strcmp(*m, key) == 0) {
            return true;
        }
    }
    return false;
}

static int parse_fault(struct pctx *c, yaml_node_t *n, struct hil_fault *f)
{
    static const char *const keys[] = { "kind", "on", "region", "n", "torn", "dir", "frame", "type",
                                        "byte", "cmd", "transfer", "count", "value", "at_console", "at_ms",
                                        "after_bytes", "after_frames", "end", "ms", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = mapping_pairs(c, n, "fault", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    f->line = line_of(n);
    struct kv *k = find_kv(kv, cnt, "kind");
    if (k == NULL) {
        return FAIL(c, n, "fault needs 'kind' (power_cut|corrupt|drop|disconnect|truncate|rom_nack|rom_silent|rom_late|spi_*)");
    }
    int v = 0;
    if (LOOKUP(c, k->val, "fault kind", fault_kinds, &v) != 0) {
        return FOTA_EINVAL;
    }
    f->kind = (enum hil_fault_kind)v;
    const struct fault_kind_row *row = fault_row(f->kind);
    for (int i = 0; i < cnt; i++) {
        if (strcmp(kv[i].key, "kind") != 0 && !key_in(kv[i].key, row->keys)) {
            return FAIL(c, kv[i].knode, "key '%s' does not apply to a %s fault", kv[i].key, row->nv.name);
        }
    }
    return row->parse(c, n, kv, cnt, f);
}

/* A `faults:` list into *@p out (freed with the scenario even when parsing fails). */
static int parse_faults(struct pctx *c, yaml_node_t *seq, struct hil_fault **out, int *count)
{
    if (want_type(c, seq, YAML_SEQUENCE_NODE, "faults") != 0) {
        return FOTA_EINVAL;
    }
    int nf = (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    *out = xcalloc((size_t)nf, sizeof(**out));
    *count = nf;
    for (int i = 0; i < nf; i++) {
        if (parse_fault(c, node(c, seq->data.sequence.items.start[i]), &(*out)[i]) != 0) {
            return FOTA_EINVAL;
        }
    }
    return 0;
}

/* The `faults:` of a power_on, reset, wait_ms or expect_console step (fault_parse.h). */
static int parse_step_faults(struct pctx *c, struct kv *k, struct hil_step *st)
{
    if (k == NULL) {
        return 0;
    }
    if (parse_faults(c, k->val, &st->faults, &st->nfaults) != 0) {
        return FOTA_EINVAL;
    }
    c->failed = hil_fault_check_step(c->file, st->kind, st->faults, st->nfaults, c->err, c->errlen) != 0;
    return c->failed ? FOTA_EINVAL : 0;
}

/* `resumed_at:` and `updater:` (expect_parse.h): only fotactl update
 * writes the JSON result they are checked against. */
static int parse_update_outcome(struct pctx *c, yaml_node_t *n, struct kv *kv, int cnt, struct hil_update *u)
{
    struct kv *k = find_kv(kv, cnt, "resumed_at");
    if (k != NULL && hil_parse_resumed_at(c, k->val, "update resumed_at", &u->updater) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "updater")) != NULL && hil_parse_updater(c, k->val, &u->updater) != 0) {
        return FOTA_EINVAL;
    }
    if (u->updater.any && u->protocol != HIL_PROTO_FOTA) {
        return FAIL(c, n, "updater/resumed_at apply to protocol fota only (fotactl update --json)");
    }
    if (u->updater.any && (u->expect == HIL_UPD_INTERRUPTED || u->expect == HIL_UPD_ANY)) {
        return FAIL(c, n, "updater/resumed_at need an updater that ends by itself (expect ok or fail), "
                    "not expect %s", hil_update_expect_name(u->expect));
    }
    return 0;
}

static int parse_update(struct pctx *c, yaml_node_t *n, struct hil_update *u)
{
    u->timeout_ms = HIL_DEFAULT_UPDATE_TIMEOUT_MS;
    u->expect = HIL_UPD_OK;
    if (n != NULL && n->type == YAML_SCALAR_NODE && !is_null(n)) {
        u->image_line = line_of(n);
        return get_string(c, n, "update image", &u->image); /* shorthand: update: path */
    }
    static const char *const keys[] = { "image", "expect", "args", "timeout_ms", "faults", "protocol",
                                        "resumed_at", "updater", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = mapping_pairs(c, n, "update", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    struct kv *k = find_kv(kv, cnt, "image");
    if (k == NULL) {
        return FAIL(c, n, "update needs 'image'");
    }
    u->image_line = line_of(k->val);
    if (get_string(c, k->val, "update image", &u->image) != 0) {
        return FOTA_EINVAL;
    }
    int v = 0;
    if ((k = find_kv(kv, cnt, "expect")) != NULL) {
        if (LOOKUP(c, k->val, "update expect", upd_expect_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        u->expect = (enum hil_update_expect)v;
    }
    if ((k = find_kv(kv, cnt, "protocol")) != NULL) {
        if (LOOKUP(c, k->val, "update protocol", upd_proto_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        u->protocol = (enum hil_update_proto)v;
    }
    if ((k = find_kv(kv, cnt, "args")) != NULL &&
        get_string_list(c, k->val, "update args", &u->args, &u->nargs) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "timeout_ms")) != NULL &&
        get_u32(c, k->val, "update timeout_ms", 1, &u->timeout_ms) != 0) {
        return FOTA_EINVAL;
    }
    if (parse_update_outcome(c, n, kv, cnt, u) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "faults")) != NULL) {
        if (parse_faults(c, k->val, &u->faults, &u->nfaults) != 0) {
            return FOTA_EINVAL;
        }
        int disconnects = 0;
        for (int i = 0; i < u->nfaults; i++) {
            if (u->faults[i].kind == HIL_FAULT_DISCONNECT || u->faults[i].kind == HIL_FAULT_TRUNCATE) {
                disconnects++;
            }
            if (u->faults[i].kind == HIL_FAULT_ROM_LATE && u->protocol != HIL_PROTO_AN4221) {
                return fail_at(c, u->faults[i].line, "a rom_late fault needs protocol an4221 (the I2C bus "
                               "keeps the time it delays)");
            }
        }
        if (disconnects > 1) {
            return FAIL(c, k->val, "at most one disconnect fault per update step (a truncate is one too)");
        }
    }
    return 0;
}

/* `slots: {A: STATE, B: {state: STATE, sha256: ...}}` (outcome.h). */
static int parse_expect_slots(struct pctx *c, yaml_node_t *n, struct hil_expect *e)
{
    int v = 0;
    static const char *const skeys[] = { "A", "B", NULL };
    struct kv skv[HIL_MAX_KEYS];
    int sc = mapping_pairs(c, n, "expect slots", skeys, skv);
    if (sc < 0) {
        return FOTA_EINVAL;
    }
    if (sc == 0) {
        return FAIL(c, n, "expect slots needs A or B");
    }
    for (int i = 0; i < sc; i++) {
        int slot = strcmp(skv[i].key, "A") == 0 ? LAYOUT_SLOT_A : LAYOUT_SLOT_B;
        yaml_node_t *sv = skv[i].val;
        if (hil_sp_is_mapping(sv) && hil_parse_slot_map(c, sv, &e->slot_sha[slot], &sv) != 0) {
            return FOTA_EINVAL;
        }
        if (sv == NULL) {
            continue; /* {sha256: ...} alone */
        }
        if (LOOKUP(c, sv, "slot state", state_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        e->has_slot_state[slot] = true;
        e->slot_state[slot] = (uint8_t)v;
    }
    return 0;
}

static int parse_expect(struct pctx *c, yaml_node_t *n, struct hil_expect *e)
{
    static const char *const keys[] = { "running", "active", "slots", "bootable", "timeout_ms", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = mapping_pairs(c, n, "expect", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    e->timeout_ms = HIL_DEFAULT_EXPECT_TIMEOUT_MS;
    int v = 0;
    struct kv *k;
    if ((k = find_kv(kv, cnt, "running")) != NULL) {
        static const char *const rkeys[] = { "slot", "version", NULL };
        struct kv rkv[HIL_MAX_KEYS];
        int rc = mapping_pairs(c, k->val, "expect running", rkeys, rkv);
        if (rc < 0) {
            return FOTA_EINVAL;
        }
        struct kv *s = find_kv(rkv, rc, "slot");
        struct kv *ver = find_kv(rkv, rc, "version");
        if (s == NULL) {
            return FAIL(c, k->val, "expect running needs 'slot' (A|B)");
        }
        if (LOOKUP(c, s->val, "running slot", slot_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        e->has_running = true;
        e->running_slot = v;
        if (ver != NULL) {
            char *vs = NULL;
            if (get_string(c, ver->val, "running version", &vs) != 0) {
                return FOTA_EINVAL;
            }
            int prc = hil_parse_version(vs, &e->running_version);
            free(vs);
            if (prc != 0) {
                return FAIL(c, ver->val, "running version must be x.y.z, got '%s'", scalar(ver->val));
            }
            e->has_running_version = true;
        }
    }
    if ((k = find_kv(kv, cnt, "active")) != NULL) {
        if (LOOKUP(c, k->val, "active", active_names, &v) != 0) {
            return FOTA_EINVAL;
        }
        e->has_active = true;
        e->active = v;
    }
    if ((k = find_kv(kv, cnt, "slots")) != NULL && parse_expect_slots(c, k->val, e) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "timeout_ms")) != NULL &&
        get_u32(c, k->val, "expect timeout_ms", 0, &e->timeout_ms) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "bootable")) != NULL && hil_parse_bootable(c, k->val, e) != 0) {
        return FOTA_EINVAL;
    }
    if (!e->has_running && !e->has_active && !e->has_slot_state[0] && !e->has_slot_state[1] &&
        !e->slot_sha[0].has && !e->slot_sha[1].has && !e->has_bootable) {
        return FAIL(c, n, "expect needs at least one of running, active, slots, bootable");
    }
    return 0;
}

/* power_on: {boot0: high|low, faults, timeout_ms} (BOOT0 high: the ST ROM
 * bootloader answers); reset: {faults, timeout_ms}. With faults the step
 * runs the device until they fired, at most timeout_ms of device time. */
static int parse_power_on(struct pctx *c, yaml_node_t *n, struct hil_step *st)
{
    static const char *const keys[] = { "boot0", "faults", "timeout_ms", NULL };
    static const struct name_val levels[] = { { "low", 0 }, { "high", 1 } };
    struct kv kv[HIL_MAX_KEYS];
    int v = 0;
    bool on = st->kind == HIL_STEP_POWER_ON;
    int cnt = mapping_pairs(c, n, on ? "power_on" : "reset", on ? keys : keys + 1, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    struct kv *k = find_kv(kv, cnt, "boot0");
    if (k != NULL && LOOKUP(c, k->val, "boot0", levels, &v) != 0) {
        return FOTA_EINVAL;
    }
    st->boot0_high = v == 1;
    st->timeout_ms = HIL_DEFAULT_CONSOLE_TIMEOUT_MS;
    k = find_kv(kv, cnt, "timeout_ms");
    if (k != NULL && get_u32(c, k->val, on ? "power_on timeout_ms" : "reset timeout_ms", 1, &st->timeout_ms) != 0) {
        return FOTA_EINVAL;
    }
    if (k != NULL && find_kv(kv, cnt, "faults") == NULL) {
        return FAIL(c, k->knode, "timeout_ms bounds the faults of a %s step: give faults", hil_step_name(st->kind));
    }
    if (parse_step_faults(c, find_kv(kv, cnt, "faults"), st) != 0) {
        return FOTA_EINVAL;
    }
    if (st->boot0_high && st->nfaults > 0) {
        return FAIL(c, n, "power_on with boot0: high starts the ST ROM, which writes no flash by itself: "
                    "put the faults on the update step");
    }
    return 0;
}

/* wait_ms: N, or {ms, faults}. */
static int parse_wait_ms(struct pctx *c, yaml_node_t *n, yaml_node_t *val, struct hil_step *st)
{
    if (val == NULL) {
        return FAIL(c, n, "wait_ms needs a value in milliseconds");
    }
    if (val->type != YAML_MAPPING_NODE) {
        return get_u32(c, val, "wait_ms", 0, &st->ms);
    }
    static const char *const keys[] = { "ms", "faults", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = mapping_pairs(c, val, "wait_ms", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    struct kv *k = find_kv(kv, cnt, "ms");
    if (k == NULL) {
        return FAIL(c, val, "wait_ms needs 'ms' (device milliseconds)");
    }
    if (get_u32(c, k->val, "wait_ms ms", 0, &st->ms) != 0) {
        return FOTA_EINVAL;
    }
    return parse_step_faults(c, find_kv(kv, cnt, "faults"), st);
}

static const struct name_val step_names[] = {
    { "power_on", HIL_STEP_POWER_ON }, { "power_cut", HIL_STEP_POWER_CUT },
    { "reset", HIL_STEP_RESET }, { "wait_ms", HIL_STEP_WAIT_MS },
    { "expect_console", HIL_STEP_EXPECT_CONSOLE }, { "console_absent", HIL_STEP_CONSOLE_ABSENT },
    { "update", HIL_STEP_UPDATE }, { "expect", HIL_STEP_EXPECT },
    { "servers", HIL_STEP_SERVERS }, { "publish_image", HIL_STEP_PUBLISH_IMAGE },
    { "mqtt_trigger", HIL_STEP_MQTT_TRIGGER }, { "bridge", HIL_STEP_BRIDGE },
    { "expect_mqtt", HIL_STEP_EXPECT_MQTT },
};

static int step_kind_of(const char *name)
{
    for (size_t i = 0; i < sizeof(step_names) / sizeof(step_names[0]); i++) {
        if (strcmp(step_names[i].name, name) == 0) {
            return step_names[i].val;
        }
    }
    return 0;
}

static const char step_list[] =
    "power_on, power_cut, reset, wait_ms, expect_console, console_absent, update, expect, "
    "servers, publish_image, mqtt_trigger, bridge, expect_mqtt";

/* A step's name and value: `- name` or `- name: value`. */
static int step_parts(struct pctx *c, yaml_node_t *n, const char **name, yaml_node_t **knode, yaml_node_t **val)
{
    *knode = n;
    *val = NULL;
    if (n == NULL) {
        return FAIL(c, n, "empty step");
    }
    if (n->type == YAML_SCALAR_NODE) {
        if (is_null(n)) {
            return FAIL(c, n, "empty step (expected one of: %s)", step_list);
        }
        *name = scalar(n);
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE) {
        return FAIL(c, n, "a step must be a name or a mapping, got a list");
    }
    int pairs = (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (pairs != 1) {
        return FAIL(c, n, "a step is a mapping with exactly one key (the step name), got %d keys; "
                    "missing '-' before a step?", pairs);
    }
    *knode = node(c, n->data.mapping.pairs.start[0].key);
    *val = node(c, n->data.mapping.pairs.start[0].value);
    if (*knode == NULL || (*knode)->type != YAML_SCALAR_NODE) {
        return FAIL(c, n, "step name must be a string");
    }
    *name = scalar(*knode);
    return 0;
}

/* expect_console: a regex, or {match, timeout_ms}. */
static int parse_expect_console(struct pctx *c, yaml_node_t *n, yaml_node_t *val, struct hil_step *st)
{
    st->timeout_ms = HIL_DEFAULT_CONSOLE_TIMEOUT_MS;
    if (val == NULL) {
        return FAIL(c, n, "expect_console needs a regex or {match, timeout_ms}");
    }
    if (val->type == YAML_SCALAR_NODE) {
        return compile_regex(c, val, st, "expect_console");
    }
    static const char *const keys[] = { "match", "timeout_ms", "faults", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = mapping_pairs(c, val, "expect_console", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    struct kv *m = find_kv(kv, cnt, "match");
    if (m == NULL) {
        return FAIL(c, val, "expect_console needs 'match'");
    }
    if (compile_regex(c, m->val, st, "expect_console match") != 0) {
        return FOTA_EINVAL;
    }
    struct kv *t = find_kv(kv, cnt, "timeout_ms");
    if (t != NULL && get_u32(c, t->val, "expect_console timeout_ms", 0, &st->timeout_ms) != 0) {
        return FOTA_EINVAL;
    }
    return parse_step_faults(c, find_kv(kv, cnt, "faults"), st);
}

static int parse_step(struct pctx *c, yaml_node_t *n, struct hil_step *st)
{
    st->line = line_of(n);
    const char *name = NULL;
    yaml_node_t *knode = NULL;
    yaml_node_t *val = NULL;
    if (step_parts(c, n, &name, &knode, &val) != 0) {
        return FOTA_EINVAL;
    }
    int k = step_kind_of(name);
    if (k == 0) {
        return FAIL(c, knode, "unknown step '%s' (expected one of: %s)", name, step_list);
    }
    st->kind = (enum hil_step_kind)k;
    switch (st->kind) {
    case HIL_STEP_POWER_ON:
    case HIL_STEP_RESET:
        if (val != NULL && val->type == YAML_MAPPING_NODE) {
            return parse_power_on(c, val, st);
        }
        /* fall through */
    case HIL_STEP_POWER_CUT:
        if (val != NULL && !is_null(val)) {
            return FAIL(c, val, "step %s takes no value%s", name, st->kind == HIL_STEP_POWER_CUT ? "" :
                        " but a mapping (faults, timeout_ms)");
        }
        return 0;
    case HIL_STEP_WAIT_MS:
        return parse_wait_ms(c, n, val, st);
    case HIL_STEP_CONSOLE_ABSENT:
        if (val == NULL) {
            return FAIL(c, n, "console_absent needs a regex");
        }
        return compile_regex(c, val, st, "console_absent");
    case HIL_STEP_EXPECT_CONSOLE:
        return parse_expect_console(c, n, val, st);
    case HIL_STEP_UPDATE:
        if (val == NULL) {
            return FAIL(c, n, "update needs {image, expect, ...}");
        }
        return parse_update(c, val, &st->update);
    case HIL_STEP_EXPECT:
        if (val == NULL) {
            return FAIL(c, n, "expect needs {running, active, slots, timeout_ms}");
        }
        return parse_expect(c, val, &st->expect);
    default:
        return hil_parse_bridge_step(c, n, val, st);
    }
}

static bool id_is_valid(const char *id)
{
    int segs = 1;
    size_t seglen = 0;
    for (const char *p = id; *p != '\0'; p++) {
        char ch = *p;
        if (ch == '.') {
            if (seglen == 0) {
                return false;
            }
            segs++;
            seglen = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '_' || ch == '-') {
            seglen++;
        } else {
            return false;
        }
    }
    return segs >= 2 && seglen > 0;
}

static int parse_flash(struct pctx *c, yaml_node_t *n, struct hil_scenario *s)
{
    static const char *const keys[] = { "bootloader", "slot_a", "slot_b", "file", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = mapping_pairs(c, n, "flash", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    struct kv *f = find_kv(kv, cnt, "file");
    if (f != NULL) {
        if (cnt > 1) {
            return FAIL(c, f->knode, "flash: 'file' (a whole 1 MB dump) excludes bootloader, slot_a, slot_b");
        }
        free(s->flash.bootloader);
        free(s->flash.slot_a);
        s->flash.bootloader = NULL;
        s->flash.slot_a = NULL;
        s->flash.lines[HIL_FLASH_FILE] = line_of(f->val);
        return get_string(c, f->val, "flash file", &s->flash.file);
    }
    static const char *const names[] = { "bootloader", "slot_a", "slot_b" };
    char **dst[] = { &s->flash.bootloader, &s->flash.slot_a, &s->flash.slot_b };
    for (int i = 0; i < 3; i++) {
        struct kv *k = find_kv(kv, cnt, names[i]);
        if (k == NULL) {
            continue;
        }
        if (is_null(k->val)) {
            free(*dst[i]);
            *dst[i] = NULL;
            continue;
        }
        char what[32];
        snprintf(what, sizeof(what), "flash %s", names[i]);
        s->flash.lines[i] = line_of(k->val);
        if (get_string(c, k->val, what, dst[i]) != 0) {
            return FOTA_EINVAL;
        }
    }
    return 0;
}

/* description, tags, platforms (default qemu), timeout_ms, requires. */
static int parse_scenario_meta(struct pctx *c, struct kv *kv, int cnt, struct hil_scenario *s)
{
    struct kv *k;
    if ((k = find_kv(kv, cnt, "description")) != NULL &&
        get_string(c, k->val, "description", &s->description) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "tags")) != NULL &&
        get_string_list(c, k->val, "tags", &s->tags, &s->ntags) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "platforms")) != NULL) {
        if (get_string_list(c, k->val, "platforms", &s->platforms, &s->nplatforms) != 0) {
            return FOTA_EINVAL;
        }
    } else {
        s->platforms = xcalloc(2, sizeof(char *));
        s->platforms[0] = xstrdup("qemu");
        s->nplatforms = 1;
    }
    if ((k = find_kv(kv, cnt, "timeout_ms")) != NULL &&
        get_u32(c, k->val, "timeout_ms", 1, &s->timeout_ms) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "requires")) != NULL &&
        get_string_list(c, k->val, "requires", &s->requires, &s->nrequires) != 0) {
        return FOTA_EINVAL;
    }
    return 0;
}

/* The `steps:` list, at least one. */
static int parse_steps(struct pctx *c, yaml_node_t *seq, struct hil_scenario *s)
{
    if (want_type(c, seq, YAML_SEQUENCE_NODE, "steps") != 0) {
        return FOTA_EINVAL;
    }
    int ns = (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (ns == 0) {
        return FAIL(c, seq, "steps is empty");
    }
    s->steps = xcalloc((size_t)ns, sizeof(*s->steps));
    s->nsteps = ns;
    for (int i = 0; i < ns; i++) {
        yaml_node_t *sn = node(c, seq->data.sequence.items.start[i]);
        if (parse_step(c, sn, &s->steps[i]) != 0) {
            return FOTA_EINVAL;
        }
        s->steps[i].origin = hil_origin_where(c->orig, hil_origin_of(c->orig, c->doc, sn), s->steps[i].line);
    }
    return 0;
}

static int parse_scenario(struct pctx *c, yaml_node_t *root, struct hil_scenario *s)
{
    static const char *const keys[] = { "id", "description", "tags", "platforms", "timeout_ms",
                                        "flash", "steps", "requires", "link", "sweep", "params", "rom_quirks",
                                        "spi_clock", NULL };
    s->line = line_of(root);
    s->timeout_ms = HIL_DEFAULT_SCENARIO_TIMEOUT_MS;
    s->flash.bootloader = xstrdup(HIL_DEFAULT_BOOTLOADER_BIN);
    s->flash.slot_a = xstrdup(HIL_DEFAULT_SLOT_A_IMAGE);
    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        return FAIL(c, root, "a scenario must be a mapping (id, description, steps, ...), got %s",
                    root == NULL ? "nothing" : (is_null(root) ? "null" : node_type_name(root)));
    }
    struct kv kv[HIL_MAX_KEYS];
    int cnt = mapping_pairs(c, root, "scenario", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    struct kv *k = find_kv(kv, cnt, "id");
    if (k == NULL) {
        return FAIL(c, root, "scenario has no 'id'");
    }
    if (get_string(c, k->val, "id", &s->id) != 0) {
        return FOTA_EINVAL;
    }
    if (!id_is_valid(s->id)) {
        return FAIL(c, k->val, "id '%s' must be dotted words of [A-Za-z0-9_-] (e.g. update.clean.a_to_b)",
                    s->id);
    }
    if (parse_scenario_meta(c, kv, cnt, s) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "flash")) != NULL && parse_flash(c, k->val, s) != 0) {
        return FOTA_EINVAL;
    }
    int lv = 0;
    if ((k = find_kv(kv, cnt, "link")) != NULL) {
        if (LOOKUP(c, k->val, "link", link_names, &lv) != 0) {
            return FOTA_EINVAL;
        }
        s->link = (enum hil_link)lv;
    }
    if ((k = find_kv(kv, cnt, "spi_clock")) != NULL) {
        if (LOOKUP(c, k->val, "spi_clock", spi_clock_names, &lv) != 0) {
            return FOTA_EINVAL;
        }
        s->spi_clock_never = lv != 0;
    }
    if ((k = find_kv(kv, cnt, "rom_quirks")) != NULL && hil_parse_rom_quirks(c, k->val, &s->rom_quirks) != 0) {
        return FOTA_EINVAL;
    }
    k = find_kv(kv, cnt, "steps");
    if (k == NULL) {
        return FAIL(c, root, "scenario '%s' has no 'steps'", s->id);
    }
    if (parse_steps(c, k->val, s) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = find_kv(kv, cnt, "sweep")) != NULL) {
        /* hil_sweep_parse writes its own file:line message. */
        int src = hil_sweep_parse(c->file, c->doc, k->val, s, c->err, c->errlen);
        c->failed = c->failed || src != 0;
        return src;
    }
    return 0;
}

/* `file:line: path: strerror` unless @p path is a readable file. */
static int check_file(const struct hil_scenario *s, int line, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s:%d: %s: %s", s->file, line > 0 ? line : s->line, path, strerror(errno));
        return FOTA_EINVAL;
    }
    if (!S_ISREG(st.st_mode) || access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s:%d: %s: %s", s->file, line > 0 ? line : s->line, path,
                 S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
        return FOTA_EINVAL;
    }
    return 0;
}

/* An update image, `{target}` expanded to each slot letter a step may use. */
static int check_image(const struct hil_scenario *s, const struct hil_update *u, int line, char *err, size_t errlen)
{
    const char *t = strstr(u->image, "{target}");
    if (t == NULL) {
        return check_file(s, u->image_line > 0 ? u->image_line : line, u->image, err, errlen);
    }
    for (int slot = 0; slot < 2; slot++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%.*s%c%s", (int)(t - u->image), u->image, slot == 0 ? 'A' : 'B',
                 t + strlen("{target}"));
        if (check_file(s, u->image_line > 0 ? u->image_line : line, path, err, errlen) != 0) {
            return FOTA_EINVAL;
        }
    }
    return 0;
}

/* A check_image message of a step from an included file: `file:line: what`
 * of the scenario file rewritten to the step's origin (include.h). */
static void at_origin(const struct hil_scenario *s, const struct hil_step *st, char *err, size_t errlen)
{
    const char *what = strstr(err + strlen(s->file), ": ");
    if (st->origin == NULL || strncmp(err, s->file, strlen(s->file)) != 0 || what == NULL) {
        return;
    }
    const char *chain = strstr(st->origin, " (included from ");
    char *msg = xstrdup(what + 2);
    snprintf(err, errlen, "%.*s: %s%s", chain != NULL ? (int)(chain - st->origin) : (int)strlen(st->origin),
             st->origin, msg, chain != NULL ? chain : "");
    free(msg);
}

int hil_scenario_check_files(const struct hil_scenario *s, char *err, size_t errlen)
{
    const char *flash[HIL_FLASH_NPARTS] = { s->flash.bootloader, s->flash.slot_a, s->flash.slot_b, s->flash.file };
    for (int i = 0; i < HIL_FLASH_NPARTS; i++) {
        if (flash[i] != NULL && check_file(s, s->flash.lines[i], flash[i], err, errlen) != 0) {
            return FOTA_EINVAL;
        }
    }
    for (int i = 0; i < s->nsteps; i++) {
        const struct hil_step *st = &s->steps[i];
        if (st->kind == HIL_STEP_UPDATE && st->update.image != NULL &&
            check_image(s, &st->update, st->line, err, errlen) != 0) {
            at_origin(s, st, err, errlen);
            return FOTA_EINVAL;
        }
        const char *bimg = st->kind == HIL_STEP_PUBLISH_IMAGE ? st->publish.image
                           : st->kind == HIL_STEP_BRIDGE ? st->bridge.nf_image : NULL;
        if (bimg != NULL && check_file(s, st->line, bimg, err, errlen) != 0) {
            at_origin(s, st, err, errlen);
            return FOTA_EINVAL;
        }
        for (int k = 0; st->kind == HIL_STEP_EXPECT && k < 2; k++) {
            const struct hil_slot_sha *sha = &st->expect.slot_sha[k];
            if (sha->file != NULL && check_file(s, sha->line, sha->file, err, errlen) != 0) {
                return FOTA_EINVAL;
            }
        }
    }
    return 0;
}

static void list_push(struct hil_scenario_list *list, struct hil_scenario *s)
{
    struct hil_scenario **n = realloc(list->items, sizeof(*n) * (size_t)(list->count + 1));
    if (n == NULL) {
        fprintf(stderr, "fota-hil: out of memory\n");
        abort();
    }
    list->items = n;
    list->items[list->count++] = s;
}

/* Case @p k of a `params:` matrix: id `<id>@<label>`, link from a `link` parameter. */
static int param_case(const struct hil_params *p, int k, const char *label, struct hil_scenario *s)
{
    const char *link = hil_params_value(p, k, "link");
    if (link != NULL) {
        s->link = strcmp(link, "spi") == 0 ? HIL_LINK_SPI : HIL_LINK_UART;
    }
    if (p->n == 0) {
        return 0;
    }
    size_t len = strlen(s->id) + strlen(label) + 2;
    char *id = xcalloc(len, 1);
    snprintf(id, len, "%s@%s", s->id, label);
    free(s->id);
    s->id = id;
    return 0;
}

/* One YAML document: includes spliced, merge keys resolved, then one
 * scenario per case of its `params:` (one without) appended to @p out. */
static int parse_document(struct pctx *c, struct hil_scenario_list *out)
{
    struct hil_origins orig = { .file = c->file };
    struct hil_params p = { 0 };
    int rc = hil_include_splice(&orig, c->doc, c->err, c->errlen);
    rc = rc == 0 ? hil_merge_resolve(&orig, c->doc, c->err, c->errlen) : rc;
    if (rc == 0) {
        hil_merge_drop_holders(c->doc);
    }
    rc = rc == 0 ? hil_params_parse(&p, &orig, c->doc, c->err, c->errlen) : rc;
    c->failed = rc != 0;
    c->orig = &orig;
    for (int k = 0; rc == 0 && k < p.ncases; k++) {
        char label[512];
        rc = hil_params_apply(&p, c->doc, k, label, sizeof(label));
        struct hil_scenario *s = xcalloc(1, sizeof(*s));
        s->file = xstrdup(c->file);
        rc = rc == 0 ? parse_scenario(c, yaml_document_get_root_node(c->doc), s) : rc;
        rc = rc == 0 ? param_case(&p, k, label, s) : rc;
        if (rc != 0) {
            size_t u = strlen(c->err);
            if (p.n > 0 && u < c->errlen) {
                snprintf(c->err + u, c->errlen - u, " (in case %s)", label);
            }
            hil_scenario_free(s);
            break;
        }
        list_push(out, s);
    }
    c->orig = NULL;
    hil_params_free(&p);
    hil_origins_free(&orig);
    return rc;
}

int hil_scenario_parse_buffer(const char *file, const char *buf, size_t len,
                              struct hil_scenario_list *list, char *err, size_t errlen)
{
    struct pctx c = { .file = file, .err = err, .errlen = errlen };
    yaml_parser_t parser;
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    if (!yaml_parser_initialize(&parser)) {
        return FOTA_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    struct hil_scenario_list local = { 0 };
    int rc = 0;
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            const char *ctx = parser.context;
            int line = (int)parser.problem_mark.line + 1;
            if (ctx != NULL) {
                rc = fail_at(&c, line, "YAML syntax error: %s %s", parser.problem ? parser.problem : "?", ctx);
            } else {
                rc = fail_at(&c, line, "YAML syntax error: %s", parser.problem ? parser.problem : "?");
            }
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root == NULL) {
            yaml_document_delete(&doc);
            break; /* end of stream */
        }
        c.doc = &doc;
        if (is_null(root) && root->type == YAML_SCALAR_NODE) {
            rc = fail_at(&c, (int)doc.start_mark.line + 1,
                         "empty document: a scenario must be a mapping (id, description, steps, ...)");
            yaml_document_delete(&doc);
            break;
        }
        rc = parse_document(&c, &local);
        yaml_document_delete(&doc);
        c.doc = NULL;
        if (rc != 0) {
            break;
        }
    }
    yaml_parser_delete(&parser);
    if (rc == 0 && local.count == 0) {
        rc = fail_at(&c, 1, "no scenario in file");
    }
    if (rc != 0) {
        hil_scenario_list_free(&local);
        return rc;
    }
    for (int i = 0; i < local.count; i++) {
        list_push(list, local.items[i]);
    }
    free(local.items);
    return 0;
}

int hil_scenario_parse_file(const char *path, struct hil_scenario_list *list, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s:1: cannot read: %s", path, strerror(errno));
        return FOTA_EIO;
    }
    char *buf = xcalloc(HIL_SCENARIO_MAX_FILE + 1, 1);
    size_t n = fread(buf, 1, HIL_SCENARIO_MAX_FILE + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s:1: cannot read: %s", path, strerror(errno));
        free(buf);
        return FOTA_EIO;
    }
    if (n > HIL_SCENARIO_MAX_FILE) {
        snprintf(err, errlen, "%s:1: file larger than %u bytes", path, HIL_SCENARIO_MAX_FILE);
        free(buf);
        return FOTA_EINVAL;
    }
    int rc = hil_scenario_parse_buffer(path, buf, n, list, err, errlen);
    free(buf);
    return rc;
}

int hil_scenario_check_unique(const struct hil_scenario_list *list, char *err, size_t errlen)
{
    for (int i = 0; i < list->count; i++) {
        for (int j = 0; j < i; j++) {
            if (strcmp(list->items[i]->id, list->items[j]->id) == 0) {
                snprintf(err, errlen, "%s:%d: duplicate id '%s' (first at %s:%d)",
                         list->items[i]->file, list->items[i]->line, list->items[i]->id,
                         list->items[j]->file, list->items[j]->line);
                return FOTA_EINVAL;
            }
        }
    }
    return 0;
}

static void free_strv(char **v, int n)
{
    if (v == NULL) {
        return;
    }
    for (int i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

void hil_scenario_free(struct hil_scenario *s)
{
    if (s == NULL) {
        return;
    }
    for (int i = 0; i < s->nsteps; i++) {
        struct hil_step *st = &s->steps[i];
        free(st->regex);
        free(st->origin);
        if (st->re_ok) {
            regfree(&st->re);
        }
        free(st->update.image);
        free_strv(st->update.args, st->update.nargs);
        hil_faults_free(st->update.faults, st->update.nfaults);
        hil_faults_free(st->faults, st->nfaults);
        free(st->expect.slot_sha[0].file);
        free(st->expect.slot_sha[1].file);
        hil_bridge_step_free(st);
    }
    free(s->steps);
    free(s->file);
    free(s->id);
    free(s->description);
    free_strv(s->tags, s->ntags);
    free_strv(s->platforms, s->nplatforms);
    free_strv(s->requires, s->nrequires);
    free(s->flash.bootloader);
    free(s->flash.slot_a);
    free(s->flash.slot_b);
    free(s->flash.file);
    hil_sweep_free(s->sweep);
    free(s);
}

void hil_scenario_list_free(struct hil_scenario_list *list)
{
    for (int i = 0; i < list->count; i++) {
        hil_scenario_free(list->items[i]);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

bool hil_scenario_has_tag(const struct hil_scenario *s, const char *tag)
{
    for (int i = 0; i < s->ntags; i++) {
        if (strcmp(s->tags[i], tag) == 0) {
            return true;
        }
    }
    return false;
}

bool hil_scenario_on_platform(const struct hil_scenario *s, const char *platform)
{
    for (int i = 0; i < s->nplatforms; i++) {
        if (strcmp(s->platforms[i], platform) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- the helpers for the other parser files (parse_util.h) ---- */

int hil_sp_fail(struct pctx *c, yaml_node_t *n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fail_at(c, line_of(n), "%s", msg);
}

int hil_sp_pairs(struct pctx *c, yaml_node_t *n, const char *what, const char *const *allowed, struct kv *out)
{
    return mapping_pairs(c, n, what, allowed, out);
}

struct kv *hil_sp_find(struct kv *kv, int n, const char *key)
{
    return find_kv(kv, n, key);
}

int hil_sp_u32(struct pctx *c, yaml_node_t *n, const char *what, uint32_t min, uint32_t *out)
{
    return get_u32(c, n, what, min, out);
}

int hil_sp_string(struct pctx *c, yaml_node_t *n, const char *what, char **out)
{
    return get_string(c, n, what, out);
}

const char *hil_sp_scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE && !is_null(n) ? scalar(n) : NULL;
}

bool hil_sp_is_mapping(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_MAPPING_NODE;
}

int hil_sp_seq(struct pctx *c, yaml_node_t *n, const char *what, yaml_node_item_t **items)
{
    if (want_type(c, n, YAML_SEQUENCE_NODE, what) != 0) {
        return -1;
    }
    *items = n->data.sequence.items.start;
    return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *hil_sp_item(struct pctx *c, yaml_node_item_t id)
{
    return node(c, id);
}

int hil_sp_line(const yaml_node_t *n)
{
    return line_of(n);
}

int hil_sp_step_faults(struct pctx *c, yaml_node_t *seq, struct hil_step *st)
{
    struct kv k = { .key = "faults", .knode = seq, .val = seq };
    return parse_step_faults(c, seq != NULL ? &k : NULL, st);
}
