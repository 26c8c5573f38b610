/**
 * @file sweep_oracle.c
 * @brief Sweep cases -> the contract model's input (sweep_oracle.h).
 */
#include <stdio.h>
#include <string.h>
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/meta.h"
#include "fota/proto.h"
#include "scenario/sweep_oracle.h"

static bool is_commit(const struct hil_jop *op)
{
    return op->kind == HIL_OP_PROGRAM && op->region == HIL_REGION_META && op->len == META_RECORD_SIZE &&
           op->data != NULL;
}

static int image_version(const char *path, uint32_t *v)
{
    struct image_header h;
    FILE *f = fopen(path, "rb");
    size_t n = f != NULL ? fread(&h, 1, sizeof(h), f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    if (n != sizeof(h) || h.ih_magic != IMAGE_MAGIC) {
        return FOTA_ENOENT;
    }
    *v = h.ih_version;
    return 0;
}

/* The state a contract commit gives the target slot. */
static uint8_t ev_state(enum hil_contract_ev ev)
{
    switch (ev) {
    case HIL_EV_PENDING: return META_SLOT_PENDING;
    case HIL_EV_TRIAL: return META_SLOT_TRIAL;
    case HIL_EV_CONFIRMED: return META_SLOT_CONFIRMED;
    default: return META_SLOT_EMPTY;
    }
}

/* Every commit of the clean run must be the contract's next one. */
static int check_commits(struct hil_sweep_oracle *o, const struct hil_journal *j, char *err, size_t errlen)
{
    enum hil_contract_ev ev[4];
    int n = hil_oracle_events(&o->base, ev);
    int t = hil_oracle_target(&o->base);
    o->commits = 0;
    for (uint32_t i = 0; i < j->count; i++) {
        if (!is_commit(&j->ops[i])) {
            continue;
        }
        struct meta_record m;
        memcpy(&m, j->ops[i].data, sizeof(m));
        uint8_t want = o->commits < n ? ev_state(ev[o->commits]) : 0xFF;
        if (o->commits >= n || m.mr_slot[t].ms_state != want) {
            snprintf(err, errlen, "the clean run does not follow the A/B contract: metadata commit %d (op %u) "
                     "sets slot %s %s, the contract's commit %d is %s", o->commits + 1, i + 1,
                     LAYOUT_SLOT_NAME(t), meta_state_name(m.mr_slot[t].ms_state), o->commits + 1,
                     o->commits < n ? hil_contract_ev_name(ev[o->commits]) : "(none: the update is done)");
            return FOTA_EPROTO;
        }
        o->commits++;
    }
    return 0;
}

int hil_sweep_oracle_setup(const struct hil_scenario *s, const struct hil_sweep *sw, const struct hil_journal *j,
                           struct hil_sweep_oracle *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    const char *img = s->steps[sw->step - 1].update.image;
    if (sw->family == HIL_SWEEP_FLASH_FAULT) {
        snprintf(o->why_off, sizeof(o->why_off), "flash_fault: the update may end either way");
    } else if (sw->family == HIL_SWEEP_TIME) {
        snprintf(o->why_off, sizeof(o->why_off), "time: which operation a cut falls at is not recorded");
    } else if (j->base == NULL) {
        snprintf(o->why_off, sizeof(o->why_off), "no journal");
    } else if (strstr(img, "{target}") != NULL || image_version(img, &o->new_version) != 0) {
        snprintf(o->why_off, sizeof(o->why_off), "the swept image's version is unknown (%s)", img);
    } else {
        (void)hil_flash_ab_view(j->base, &o->base); /* the factory state: active -1, both EMPTY */
        o->on = true;
        return check_commits(o, j, err, errlen);
    }
    return 0;
}

/* Commits among the first @p n journal ops. */
static int commits_before(const struct hil_journal *j, uint32_t n)
{
    int k = 0;
    for (uint32_t i = 0; i < n && i < j->count; i++) {
        k += is_commit(&j->ops[i]) ? 1 : 0;
    }
    return k;
}

/* Commits before the first slot operation: what BEGIN committed. */
static int commits_at_begin(const struct hil_journal *j)
{
    uint32_t i = 0;
    while (i < j->count && j->ops[i].region == HIL_REGION_META) {
        i++;
    }
    return commits_before(j, i);
}

static int landed_of(const struct hil_sweep_oracle *o, const struct hil_journal *j, const struct hil_case *c,
                     bool *damaged);

/* depth2: the commits the first cut left landed (in @p j), then those of
 * the recovery boot (in the case's journal) that landed before its cut
 * and are the contract's next ones (a rollback's REJECTED is not). */
static int landed_depth2(const struct hil_sweep_oracle *o, const struct hil_journal *j, const struct hil_case *c)
{
    const struct hil_journal *b = c->journal;
    if (c->op_index1 < 0 || (uint32_t)c->op_index1 >= j->count || b == NULL || c->op_index < 0 ||
        (uint32_t)c->op_index >= b->count) {
        return -1;
    }
    int landed = commits_before(j, (uint32_t)c->op_index1) +
                 (is_commit(&j->ops[c->op_index1]) && c->torn1 == HIL_TORN_ALL ? 1 : 0);
    enum hil_contract_ev ev[4];
    int n = hil_oracle_events(&o->base, ev);
    int t = hil_oracle_target(&o->base);
    for (uint32_t i = 0; i <= (uint32_t)c->op_index; i++) {
        bool whole = i < (uint32_t)c->op_index || c->torn == HIL_TORN_ALL;
        if (!whole || !is_commit(&b->ops[i])) {
            continue;
        }
        struct meta_record m;
        memcpy(&m, b->ops[i].data, sizeof(m));
        landed += landed < n && m.mr_slot[t].ms_state == ev_state(ev[landed]) ? 1 : 0;
    }
    return landed;
}

int hil_sweep_oracle_landed(const struct hil_sweep_oracle *o, const struct hil_journal *j, const struct hil_case *c,
                            bool *damaged)
{
    *damaged = false;
    int n = landed_of(o, j, c, damaged);
    /* From the factory state nothing landed leaves whatever verifies to be
     * adopted (a complete image or not): the model does not say which. */
    return n == 0 && o->base.active < 0 ? -1 : n;
}

static int landed_of(const struct hil_sweep_oracle *o, const struct hil_journal *j, const struct hil_case *c,
                     bool *damaged)
{
    if (!o->on) {
        return -1;
    }
    switch (c->kind) {
    case HIL_CASE_CUT:
        if (c->op_index < 0 || (uint32_t)c->op_index >= j->count) {
            return -1;
        }
        return commits_before(j, (uint32_t)c->op_index) +
               (is_commit(&j->ops[c->op_index]) && c->torn == HIL_TORN_ALL ? 1 : 0);
    case HIL_CASE_LINK_CUT:
        return c->frame_type == PROTO_T_DATA || c->frame_type == PROTO_T_END ? commits_at_begin(j) : 0;
    case HIL_CASE_CORRUPT:
    case HIL_CASE_DROP:
    case HIL_CASE_MULTI_CUT:
        return o->commits;
    case HIL_CASE_DEPTH2:
        return landed_depth2(o, j, c);
    case HIL_CASE_BITFLIP:
    case HIL_CASE_TRUNCATE:
        if (hil_flash_region_of(c->flip_addr) == HIL_REGION_META) {
            return o->commits > 0 ? o->commits - 1 : 0; /* the newest record no longer checks */
        }
        *damaged = true;
        return o->commits;
    default:
        return -1;
    }
}

bool hil_sweep_oracle_expect(const struct hil_sweep_oracle *o, const struct hil_journal *j, const struct hil_case *c,
                             struct hil_expect *e, struct hil_oracle_out *row)
{
    bool damaged = false;
    int landed = hil_sweep_oracle_landed(o, j, c, &damaged);
    struct hil_oracle_in in = { .base = o->base, .new_version = o->new_version, .landed = landed,
                                .damaged = damaged };
    if (landed < 0 || hil_oracle_expect(&in, row) != 0) {
        return false;
    }
    memset(e, 0, sizeof(*e));
    e->has_running = true;
    e->running_slot = row->running >= 0 ? row->running : HIL_SLOT_NONE;
    e->has_running_version = row->running >= 0;
    e->running_version = row->version;
    e->has_active = true;
    e->active = row->active >= 0 ? row->active : HIL_SLOT_NONE;
    e->has_slot_state[0] = e->has_slot_state[1] = true;
    memcpy(e->slot_state, row->state, sizeof(e->slot_state));
    e->timeout_ms = HIL_DEFAULT_EXPECT_TIMEOUT_MS;
    return true;
}
