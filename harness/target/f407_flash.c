/**
 * @file f407_flash.c
 * @brief The fota-f407 FLASH model over QMP (f407_flash.h).
 *
 * Sources: qemu/src/qapi/stm32.json (the events and enums), docs/QEMU.md
 * (the properties), QEMU docs interop/qmp-spec (events), RM0090 3.6.
 */
#include "target/f407_flash.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fota/errors.h"
#include "fota/layout.h"

#define F407_FLASH_PATH "/machine/flash"

/* Stm32FlashFaultKind cut-* names by enum hil_torn. */
static const char *const f407_cut_name[] = {
    [HIL_TORN_NONE] = "cut-none", [HIL_TORN_HALF] = "cut-half",
    [HIL_TORN_ALL] = "cut-all", [HIL_TORN_BITS] = "cut-bits",
};

/* A uint32 member @p key of @p o into *v. @return 0; FOTA_EINVAL. */
static int f407_u32(json_t *o, const char *key, uint32_t *v)
{
    json_t *j = json_object_get(o, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0 || json_integer_value(j) > 0xFFFFFFFFll) {
        return FOTA_EINVAL;
    }
    *v = (uint32_t)json_integer_value(j);
    return 0;
}

/* The hex member "data" of @p o into out->bytes (length out->op.len). */
static int f407_data(json_t *o, struct hil_f407_op *out)
{
    const char *hex = json_string_value(json_object_get(o, "data"));
    if (hex == NULL || strlen(hex) != 2u * out->op.len) {
        return FOTA_EINVAL;
    }
    out->bytes = malloc(out->op.len > 0 ? out->op.len : 1u);
    if (out->bytes == NULL) {
        return FOTA_ENOMEM;
    }
    for (uint32_t i = 0; i < out->op.len; i++) {
        char pair[3] = { hex[2 * i], hex[2 * i + 1], '\0' };
        char *end;
        unsigned long b = strtoul(pair, &end, 16);
        if (*end != '\0') {
            return FOTA_EINVAL;
        }
        out->bytes[i] = (uint8_t)b;
    }
    out->op.data = out->bytes;
    return 0;
}

/* What the "fault" member of a STM32_FLASH_FAULT says into out->done/torn. */
static int f407_fault(json_t *o, struct hil_f407_op *out)
{
    const char *f = json_string_value(json_object_get(o, "fault"));
    if (f == NULL) {
        return FOTA_EINVAL;
    }
    for (size_t t = 0; t < sizeof(f407_cut_name) / sizeof(f407_cut_name[0]); t++) {
        if (strcmp(f, f407_cut_name[t]) == 0) {
            out->done = HIL_F407_CUT;
            out->torn = (enum hil_torn)t;
            return 0;
        }
    }
    if (strcmp(f, "error") == 0 || strcmp(f, "no-stick") == 0) {
        out->done = f[0] == 'e' ? HIL_F407_FAILED : HIL_F407_DROPPED;
        return 0;
    }
    return FOTA_EINVAL;
}

/* The members common to both events. */
static int f407_members(json_t *o, bool fault, struct hil_f407_op *out)
{
    const char *kind = json_string_value(json_object_get(o, "op"));
    int rc = kind == NULL ? FOTA_EINVAL : 0;
    if (rc == 0) {
        rc = f407_u32(o, "seq", &out->dev_seq);
    }
    if (rc == 0) {
        rc = f407_u32(o, "address", &out->op.addr);
    }
    if (rc == 0) {
        rc = f407_u32(o, "length", &out->op.len);
    }
    if (rc == 0 && !fault) {
        rc = f407_u32(o, "error", &out->error);
    }
    if (rc == 0) {
        rc = fault ? f407_fault(o, out) : 0;
    }
    if (rc != 0) {
        return rc;
    }
    out->op.region = hil_flash_region_of(out->op.addr);
    if (strcmp(kind, "program") == 0) {
        out->op.kind = HIL_OP_PROGRAM;
        out->op.sector = (uint32_t)hil_flash_sector_of(out->op.addr);
        return f407_data(o, out);
    }
    out->op.kind = HIL_OP_ERASE;
    out->mass = strcmp(kind, "mass-erase") == 0;
    if (!out->mass && (strcmp(kind, "sector-erase") != 0 || f407_u32(o, "sector", &out->op.sector) != 0)) {
        return FOTA_EINVAL;
    }
    return 0;
}

int hil_f407_parse(const char *name, const char *data_json, struct hil_f407_op *out)
{
    memset(out, 0, sizeof(*out));
    bool fault = strcmp(name, "STM32_FLASH_FAULT") == 0;
    if (!fault && strcmp(name, "STM32_FLASH_OP") != 0) {
        return FOTA_ENOENT;
    }
    json_t *o = json_loads(data_json, 0, NULL);
    int rc = json_is_object(o) ? f407_members(o, fault, out) : FOTA_EINVAL;
    json_decref(o);
    if (rc != 0) {
        hil_f407_op_free(out);
    }
    return rc;
}

void hil_f407_op_free(struct hil_f407_op *o)
{
    if (o != NULL) {
        free(o->bytes);
        o->bytes = NULL;
        o->op.data = NULL;
    }
}

/* qom-set @p prop of the FLASH model to @p value (a JSON value, stolen). */
static int f407_set(struct hil_qmp *qmp, const char *prop, json_t *value, int timeout_ms)
{
    json_t *args = json_pack("{s:s, s:s, s:o}", "path", F407_FLASH_PATH, "property", prop, "value", value);
    char *text = args != NULL ? json_dumps(args, JSON_COMPACT) : NULL;
    json_decref(args);
    if (text == NULL) {
        return FOTA_ENOMEM;
    }
    int rc = hil_qmp_command(qmp, "qom-set", text, timeout_ms);
    free(text);
    return rc;
}

int hil_f407_arm(struct hil_qmp *qmp, const struct hil_fault_plan *p, int timeout_ms)
{
    if (p->n == 0) {
        return f407_set(qmp, "fault-at", json_integer(0), timeout_ms);
    }
    const char *kind = p->v.action == HIL_ACT_FAIL ? "error" : p->v.action == HIL_ACT_DROP ? "no-stick"
                       : (unsigned)p->v.torn < 4u ? f407_cut_name[p->v.torn] : "cut-all";
    const char *ops = p->on[HIL_OP_ERASE] && p->on[HIL_OP_PROGRAM] ? "any" : p->on[HIL_OP_ERASE] ? "erase" : "program";
    int rc = f407_set(qmp, "fault-kind", json_string(kind), timeout_ms);
    if (rc == 0) {
        rc = f407_set(qmp, "fault-ops", json_string(ops), timeout_ms);
    }
    if (rc == 0) {
        rc = f407_set(qmp, "fault-addr-lo", json_integer(p->addr_lo), timeout_ms);
    }
    if (rc == 0) {
        rc = f407_set(qmp, "fault-addr-hi", json_integer(p->addr_hi), timeout_ms);
    }
    if (rc == 0) {
        rc = f407_set(qmp, "fault-stop", json_boolean(p->v.action == HIL_ACT_CUT), timeout_ms);
    }
    return rc != 0 ? rc : f407_set(qmp, "fault-at", json_integer(p->n), timeout_ms);
}

bool hil_f407_plan_equal(const struct hil_fault_plan *a, const struct hil_fault_plan *b)
{
    if (a->n == 0 || b->n == 0) {
        return a->n == b->n;
    }
    return a->n == b->n && a->on[HIL_OP_ERASE] == b->on[HIL_OP_ERASE] &&
           a->on[HIL_OP_PROGRAM] == b->on[HIL_OP_PROGRAM] && a->addr_lo == b->addr_lo && a->addr_hi == b->addr_hi &&
           a->v.action == b->v.action && (a->v.action != HIL_ACT_CUT || a->v.torn == b->v.torn);
}

void hil_f407_plan_count(struct hil_fault_plan *p, const struct hil_flash_op *op)
{
    if (p->n > 0 && (unsigned)op->kind < 3u && p->on[op->kind] && op->addr >= p->addr_lo && op->addr <= p->addr_hi) {
        p->n--;
    }
}
