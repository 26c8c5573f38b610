/**
 * @file journal.c
 * @brief Flash-operation journal and crash-state builder (see journal.h).
 */
#include "scenario/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fota/sha256.h"
#include "scenario/inject.h"

int hil_journal_begin(struct hil_journal *j, const struct hil_flash *flash)
{
    hil_journal_free(j);
    j->base = malloc(sizeof(*j->base));
    if (j->base == NULL) {
        return FOTA_ENOMEM;
    }
    memcpy(j->base, flash, sizeof(*j->base));
    j->open = true;
    return 0;
}

int hil_journal_add(struct hil_journal *j, const struct hil_flash_op *op)
{
    if (!j->open) {
        return 0;
    }
    if (j->count == j->cap) {
        uint32_t cap = j->cap == 0 ? 64 : j->cap * 2;
        struct hil_jop *n = realloc(j->ops, sizeof(*n) * cap);
        if (n == NULL) {
            return FOTA_ENOMEM;
        }
        j->ops = n;
        j->cap = cap;
    }
    struct hil_jop *o = &j->ops[j->count];
    memset(o, 0, sizeof(*o));
    o->kind = op->kind;
    o->region = op->region;
    o->sector = op->sector;
    o->addr = op->addr;
    o->len = op->len;
    if (op->kind == HIL_OP_PROGRAM) {
        o->data = malloc(op->len > 0 ? op->len : 1);
        if (o->data == NULL) {
            return FOTA_ENOMEM;
        }
        memcpy(o->data, op->data, op->len);
        o->data_crc = crc32_update(0, op->data, op->len);
    }
    j->count++;
    return 0;
}

void hil_journal_on_boot(struct hil_journal *j, const struct hil_flash *flash)
{
    if (j->open && j->count > 0) {
        hil_journal_close(j, flash);
    }
}

void hil_journal_close(struct hil_journal *j, const struct hil_flash *flash)
{
    if (!j->open) {
        return;
    }
    j->open = false;
    j->closed = true;
    struct hil_flash *all = malloc(sizeof(*all));
    if (all == NULL) {
        j->consistent = false;
        return;
    }
    j->consistent = hil_journal_build(j, j->count, HIL_TORN_NONE, all) == 0 &&
                    memcmp(all->mem, flash->mem, sizeof(all->mem)) == 0;
    hil_flash_sha256_hex(all, j->final_sha256);
    free(all);
}

void hil_journal_free(struct hil_journal *j)
{
    for (uint32_t i = 0; i < j->count; i++) {
        free(j->ops[i].data);
    }
    free(j->ops);
    free(j->base);
    memset(j, 0, sizeof(*j));
}

int hil_journal_find(const struct hil_journal *j, enum hil_op_kind kind, enum hil_fault_region fr,
                     uint32_t n)
{
    uint32_t seen = 0;
    for (uint32_t i = 0; i < j->count; i++) {
        if (j->ops[i].kind == kind && hil_fault_region_matches(fr, j->ops[i].region) && ++seen == n) {
            return (int)i;
        }
    }
    return -1;
}

uint32_t hil_journal_count(const struct hil_journal *j, enum hil_op_kind kind, enum hil_fault_region fr)
{
    uint32_t seen = 0;
    for (uint32_t i = 0; i < j->count; i++) {
        if (j->ops[i].kind == kind && hil_fault_region_matches(fr, j->ops[i].region)) {
            seen++;
        }
    }
    return seen;
}

static void apply(struct hil_flash *f, const struct hil_jop *o, enum hil_torn torn)
{
    if (o->kind == HIL_OP_ERASE) {
        (void)hil_flash_erase(f, o->sector, torn);
    } else {
        (void)hil_flash_program(f, o->addr, o->data, o->len, torn);
    }
}

int hil_journal_build(const struct hil_journal *j, uint32_t index, enum hil_torn torn,
                      struct hil_flash *out)
{
    if (j->base == NULL || index > j->count) {
        return FOTA_ERANGE;
    }
    memcpy(out, j->base, sizeof(*out));
    for (uint32_t i = 0; i < index; i++) {
        apply(out, &j->ops[i], HIL_TORN_ALL);
    }
    if (index < j->count) {
        apply(out, &j->ops[index], torn);
    }
    return 0;
}

int hil_journal_check_op(const struct hil_journal *j, uint32_t index, const struct hil_flash_op *op)
{
    if (index >= j->count) {
        return FOTA_EPROTO;
    }
    const struct hil_jop *o = &j->ops[index];
    if (o->kind != op->kind || o->addr != op->addr || o->len != op->len) {
        return FOTA_EPROTO;
    }
    if (op->kind == HIL_OP_PROGRAM &&
        (op->data == NULL || crc32_update(0, op->data, op->len) != o->data_crc ||
         memcmp(o->data, op->data, op->len) != 0)) {
        return FOTA_EPROTO;
    }
    return 0;
}

void hil_flash_sha256_hex(const struct hil_flash *f, char hex[65])
{
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256(f->mem, sizeof(f->mem), d);
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++) {
        snprintf(&hex[2 * i], 3, "%02x", d[i]);
    }
}

static bool newest_record(const struct hil_flash *f, struct meta_record *out)
{
    return meta_newest_in_image(f->mem, out) != 0;
}

bool hil_flash_bootable(const struct hil_flash *f, char *why, size_t whylen)
{
    char dummy[8];
    if (why == NULL) {
        why = dummy;
        whylen = sizeof(dummy);
    }
    struct meta_record m;
    if (!newest_record(f, &m)) {
        snprintf(why, whylen, "no valid metadata record");
        return false;
    }
    if (m.mr_active >= LAYOUT_SLOT_COUNT) {
        snprintf(why, whylen, "no active slot (meta seq=%u)", m.mr_seq);
        return false;
    }
    uint8_t slot = m.mr_active;
    if (m.mr_slot[slot].ms_state != META_SLOT_CONFIRMED) {
        snprintf(why, whylen, "active slot %s is %s, not confirmed", LAYOUT_SLOT_NAME(slot),
                 meta_state_name(m.mr_slot[slot].ms_state));
        return false;
    }
    struct image_header h;
    const uint8_t *base = &f->mem[LAYOUT_SLOT_ADDR(slot) - LAYOUT_FLASH_BASE];
    memcpy(&h, base, sizeof(h));
    int rc = image_check_header(&h, slot);
    if (rc == 0 && crc32_update(0, base + IMAGE_HEADER_SIZE, h.ih_size) != h.ih_crc32) {
        rc = FOTA_ECRC;
    }
    if (rc == 0) {
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256(base + IMAGE_HEADER_SIZE, h.ih_size, d);
        if (memcmp(d, h.ih_sha256, sizeof(d)) != 0) {
            rc = FOTA_ESHA;
        }
    }
    if (rc != 0) {
        snprintf(why, whylen, "active slot %s does not verify: %s", LAYOUT_SLOT_NAME(slot), fota_strerror(rc));
        return false;
    }
    return true;
}

bool hil_flash_ab_view(const struct hil_flash *f, struct hil_ab_view *v)
{
    struct meta_record m;
    memset(v, 0, sizeof(*v));
    v->active = -1;
    if (!newest_record(f, &m)) {
        return false;
    }
    hil_meta_ab_view(&m, v);
    return true;
}

void hil_meta_ab_view(const struct meta_record *m, struct hil_ab_view *v)
{
    v->meta = true;
    v->active = m->mr_active < LAYOUT_SLOT_COUNT ? (int)m->mr_active : -1;
    for (uint32_t i = 0; i < LAYOUT_SLOT_COUNT; i++) {
        v->state[i] = m->mr_slot[i].ms_state;
        v->version[i] = m->mr_slot[i].ms_version;
    }
}

int hil_flash_target_slot(const struct hil_flash *f)
{
    struct meta_record m;
    if (newest_record(f, &m) && m.mr_active < LAYOUT_SLOT_COUNT) {
        return m.mr_active == LAYOUT_SLOT_A ? LAYOUT_SLOT_B : LAYOUT_SLOT_A;
    }
    return LAYOUT_SLOT_A;
}

void hil_image_path_for(const char *pattern, const struct hil_flash *f, char *out, size_t len)
{
    const char *at = strstr(pattern, "{target}");
    if (at == NULL) {
        snprintf(out, len, "%s", pattern);
        return;
    }
    snprintf(out, len, "%.*s%s%s", (int)(at - pattern), pattern,
             hil_flash_target_slot(f) == LAYOUT_SLOT_A ? "A" : "B", at + strlen("{target}"));
}
