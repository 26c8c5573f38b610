/**
 * @file boot.c
 * @brief The boot decision (a const table, STYLE.md #3) and boot_main().
 * Semantics: docs/ARCHITECTURE.md "Boot and update semantics"; console
 * lines: "Console contract".
 */
#include <string.h>
#include "bl_private.h"
#include "fota/boot.h"
#include "fota/errors.h"
#include "fota/fih.h"
#include "fota/image.h"
#include "fota/update.h"

/*
 * The decision table. Scanned top to bottom; the first matching row wins.
 * Why the order matters:
 *  - Factory rows first: without metadata no other fact means anything.
 *  - REJECT_TRIAL before everything else with metadata: a slot found in
 *    TRIAL at boot was not confirmed (crash, hang, watchdog, power cut), so
 *    it must be rejected before anything could boot it again - even when
 *    the mailbox asks for update mode (a trial image may not keep itself
 *    alive by asking for updates).
 *  - UPDATE before TRY_PENDING/BOOT_ACTIVE: an explicit request from the
 *    running application wins over booting.
 *  - TRY_PENDING / REJECT_PENDING before BOOT_ACTIVE: a freshly installed
 *    image gets its one trial before the active slot runs again.
 *  - BOOT_ACTIVE before FALLBACK: the other slot is only a fallback.
 *  - Rows that commit metadata exclude META_RO, so after a failed commit
 *    the same boot falls through to rows that only read (boot the active
 *    slot, boot the other slot without recording it, recovery) instead of
 *    looping on the failing write or trialling an image whose trial could
 *    not be recorded (it could never be rolled back).
 *  - FACTORY_BOOT: a valid image is booted even when the factory adoption
 *    could not be committed; one failed write must not leave a device with
 *    good images in recovery for ever (the next boot commits again).
 *  - The last row catches everything: nothing bootable, stay in recovery.
 */
const struct boot_rule boot_rules[] = {
    /* must                                              must_not                          action */
    { BOOT_F_FACTORY_VALID,                              BOOT_F_META | BOOT_F_META_RO,     BOOT_ACT_FACTORY_ADOPT },
    { BOOT_F_FACTORY_VALID | BOOT_F_META_RO,             BOOT_F_META,                      BOOT_ACT_FACTORY_BOOT },
    { 0,                                                 BOOT_F_META,                      BOOT_ACT_RECOVERY },
    { BOOT_F_META | BOOT_F_TRIAL,                        BOOT_F_META_RO,                   BOOT_ACT_REJECT_TRIAL },
    { BOOT_F_META | BOOT_F_REQ_UPDATE,                   0,                                BOOT_ACT_UPDATE },
    { BOOT_F_META | BOOT_F_PENDING | BOOT_F_PENDING_OK,  BOOT_F_META_RO,                   BOOT_ACT_TRY_PENDING },
    { BOOT_F_META | BOOT_F_PENDING,                      BOOT_F_META_RO | BOOT_F_PENDING_OK, BOOT_ACT_REJECT_PENDING },
    { BOOT_F_META | BOOT_F_ACTIVE_OK,                    0,                                BOOT_ACT_BOOT_ACTIVE },
    { BOOT_F_META | BOOT_F_OTHER_OK,                     BOOT_F_META_RO,                   BOOT_ACT_FALLBACK },
    { BOOT_F_META | BOOT_F_OTHER_OK,                     0,                                BOOT_ACT_BOOT_OTHER },
    { 0,                                                 0,                                BOOT_ACT_RECOVERY },
};

const uint32_t boot_rule_count = sizeof(boot_rules) / sizeof(boot_rules[0]);

int boot_decide(uint32_t facts)
{
    uint32_t i;

    for (i = 0; i < boot_rule_count; i++) {
        const struct boot_rule *r = &boot_rules[i];
        if ((facts & r->br_must) == r->br_must && (facts & r->br_must_not) == 0u) {
            return r->br_action;
        }
    }
    return BOOT_ACT_RECOVERY;
}

/** Everything one decision pass knows. */
struct boot_state {
    struct meta_record rec;
    uint32_t facts;
    int      meta_rc;          /* meta_load() result */
    uint8_t  active;           /* mr_active or META_NO_SLOT */
    uint8_t  trial;            /* mr_trial_slot or META_NO_SLOT */
    int      active_rc;        /* why the active slot is not OK */
    int      pending_rc;       /* why the pending slot is not OK */
    int      slot_rc[LAYOUT_SLOT_COUNT];      /* factory: image_verify() per slot */
    uint32_t slot_version[LAYOUT_SLOT_COUNT]; /* version of a verified image */
    struct image_header hdr[LAYOUT_SLOT_COUNT];
    /* NOTE: FIH_SUCCESS only when the slot's image verified in this pass:
     * the value image_verify_fih() returned, checked again before the
     * jump (boot_jump(), fota/fih.h); boot_gather() starts with FIH_FAILURE. */
    volatile fih_ret verified[LAYOUT_SLOT_COUNT];
};

/* Does @p slot's verified header fit the record and the floors? A slot's
 * bytes must not have changed under its metadata, its security counter
 * must not be below the record's floor (anti-rollback, every path that
 * boots a slot with a record: docs/SECURITY.md), its version not below
 * @p min_version (the downgrade policy; 0: none). @return 0; FOTA_ECRC;
 * FOTA_EROLLBACK; FOTA_EVERSION. */
static int boot_slot_fits(const struct boot_state *s, uint8_t slot, uint32_t min_version)
{
    const struct meta_slot *ms = &s->rec.mr_slot[slot];
    const struct image_header *h = &s->hdr[slot];

    if (h->ih_crc32 != ms->ms_crc32 || h->ih_version != ms->ms_version || h->ih_size != ms->ms_size) {
        return FOTA_ECRC;
    }
    if (h->ih_security_counter < s->rec.mr_security_counter) {
        return FOTA_EROLLBACK;
    }
    return h->ih_version < min_version ? FOTA_EVERSION : 0;
}

/* Verify @p slot and check it fits its record (boot_slot_fits(), asked
 * twice: a skipped test must not let a rolled-back image through). The
 * result is kept in s->verified[slot] for boot_jump(). @return it:
 * FIH_SUCCESS when bootable; *rc the reason when not. */
static fih_ret boot_verify_slot(struct boot_state *s, uint8_t slot, uint32_t min_version, int *rc)
{
    volatile fih_ret ret = FIH_FAILURE;
#ifdef FOTA_MUTANT_NO_VERIFY_ACTIVE
    /* MUTANT (make mutants, issue 16): the active slot's header is read, never verified. */
    if (slot == s->active) {
        *rc = port_flash_read(LAYOUT_SLOT_ADDR(slot), &s->hdr[slot], sizeof(s->hdr[slot])) == 0 ? 0 : FOTA_EIO;
        s->verified[slot] = *rc == 0 ? FIH_SUCCESS : FIH_FAILURE;
        return s->verified[slot];
    }
#endif
    ret = image_verify_fih(slot, &s->hdr[slot], rc);
    if (fih_ok(&ret)) {
        *rc = boot_slot_fits(s, slot, min_version);
        if (*rc != 0) {
            ret = FIH_FAILURE;
        }
    }
#if FIH_ENABLED
    if (boot_slot_fits(s, slot, min_version) != 0) {
        ret = FIH_FAILURE;
    }
#endif
    s->verified[slot] = ret;
    return ret;
}

static void boot_gather(struct boot_state *s, uint32_t flags)
{
    uint8_t i;

    memset(s, 0, sizeof(*s));
    s->facts = flags;
    s->active = META_NO_SLOT;
    s->trial = META_NO_SLOT;
    s->active_rc = FOTA_ENOENT;
    s->pending_rc = FOTA_ENOENT;
    for (i = 0; i < LAYOUT_SLOT_COUNT; i++) {
        s->verified[i] = FIH_FAILURE;
    }
    s->meta_rc = meta_load(&s->rec);
    if (s->meta_rc != 0) {
        if (s->meta_rc != FOTA_ENOENT) {
            s->facts |= BOOT_F_META_RO; /* cannot read the log: never write it */
        }
        for (i = 0; i < LAYOUT_SLOT_COUNT; i++) {
            s->verified[i] = image_verify_fih(i, &s->hdr[i], &s->slot_rc[i]);
            if (fih_ok(&s->verified[i])) {
                s->slot_version[i] = s->hdr[i].ih_version;
                s->facts |= BOOT_F_FACTORY_VALID;
            }
        }
        return;
    }
    s->facts |= BOOT_F_META;
    if (bl_slot_valid(s->rec.mr_active)) {
        s->active = s->rec.mr_active;
    }
    if (bl_slot_valid(s->rec.mr_trial_slot)) {
        uint8_t st;
        s->trial = s->rec.mr_trial_slot;
        st = s->rec.mr_slot[s->trial].ms_state;
        if (st == META_SLOT_TRIAL) {
            s->facts |= BOOT_F_TRIAL;
        } else if (st == META_SLOT_PENDING) {
            s->facts |= BOOT_F_PENDING;
            /* The version floor: the downgrade policy. */
            if (fih_ok_ret(boot_verify_slot(s, s->trial, meta_version_floor(&s->rec), &s->pending_rc))) {
                s->facts |= BOOT_F_PENDING_OK;
            }
        }
    }
    if (s->active != META_NO_SLOT) {
        uint8_t other = bl_other_slot(s->active);
        int other_rc;
        if (s->rec.mr_slot[s->active].ms_state == META_SLOT_CONFIRMED) {
            (void)boot_verify_slot(s, s->active, 0, &s->active_rc);
        }
        if (fih_ok(&s->verified[s->active])) {
            s->facts |= BOOT_F_ACTIVE_OK;
        } else if (s->rec.mr_slot[other].ms_state == META_SLOT_CONFIRMED &&
                   fih_ok_ret(boot_verify_slot(s, other, 0, &other_rc))) {
            s->facts |= BOOT_F_OTHER_OK;
        }
    }
}

/* "BL: meta seq=<n> active=<A|B|-> trial=<A|B|-> A=<state>/<ver> B=<state>/<ver>" */
static void boot_print_meta(const struct boot_state *s)
{
    struct bl_line l;
    uint8_t i;

    bl_line_start(&l);
    if (s->meta_rc != 0) {
        bl_line_str(&l, "factory state: no metadata");
        bl_line_end(&l);
        return;
    }
    bl_line_str(&l, "meta seq=");
    bl_line_u32(&l, s->rec.mr_seq);
    bl_line_str(&l, " active=");
    bl_line_slot(&l, s->rec.mr_active);
    bl_line_str(&l, " trial=");
    bl_line_slot(&l, s->rec.mr_trial_slot);
    for (i = 0; i < LAYOUT_SLOT_COUNT; i++) {
        bl_line_str(&l, " ");
        bl_line_str(&l, LAYOUT_SLOT_NAME(i));
        bl_line_str(&l, "=");
        bl_line_str(&l, meta_state_name(s->rec.mr_slot[i].ms_state));
        bl_line_str(&l, "/");
        bl_line_version(&l, s->rec.mr_slot[i].ms_version);
    }
    bl_line_end(&l);
}

/* "BL: <what> slot=<A|B> version=<x.y.z>" */
static void boot_print_slot_version(const char *what, uint8_t slot, uint32_t version)
{
    struct bl_line l;

    bl_line_start(&l);
    bl_line_str(&l, what);
    bl_line_str(&l, " slot=");
    bl_line_slot(&l, slot);
    bl_line_str(&l, " version=");
    bl_line_version(&l, version);
    bl_line_end(&l);
}

/* "BL: rejected slot=<A|B>: <EXXX>" */
static void boot_print_rejected(uint8_t slot, int rc)
{
    struct bl_line l;

    bl_line_start(&l);
    bl_line_str(&l, "rejected slot=");
    bl_line_slot(&l, slot);
    bl_line_str(&l, ": ");
    bl_line_str(&l, fota_strerror(rc));
    bl_line_end(&l);
}

/* Take (read and clear) the mailbox request. */
static uint32_t boot_take_request(void)
{
    volatile struct bl_mailbox *mb = bl_mailbox();
    uint32_t req = BL_REQ_NONE;

    if (mb->mb_magic == BL_MAILBOX_MAGIC && mb->mb_check == ~(mb->mb_magic ^ mb->mb_request)) {
        req = mb->mb_request;
    }
    mb->mb_magic = 0;
    mb->mb_request = BL_REQ_NONE;
    mb->mb_check = 0;
    return req;
}

/* "BL: rollback slot=<A|B> (not confirmed) -> slot=<A|B|->" */
static void boot_print_rollback(const struct boot_state *s)
{
    struct bl_line l;

    bl_line_start(&l);
    bl_line_str(&l, "rollback slot=");
    bl_line_slot(&l, s->trial);
    bl_line_str(&l, " (not confirmed) -> slot=");
    bl_line_slot(&l, s->active);
    bl_line_end(&l);
}

void fih_panic(void)
{
    struct bl_line l;

    bl_line_start(&l);
    bl_line_str(&l, "fault detected, reset");
    bl_line_end(&l);
    for (;;) {
        port_reset();
    }
}

/* Start the verified image in @p slot: record the slot for bl_api, start
 * the watchdog (BL_WATCHDOG_MS), jump to the vector table after the image
 * header. Whatever row of the table chose the slot, its verification
 * result is checked twice more here (fota/fih.h) and folded into the jump
 * address: a decision corrupted by a glitch jumps nowhere useful. */
static PORT_NORETURN void boot_jump(const struct boot_state *s, uint8_t slot)
{
    if (!bl_slot_valid(slot)) {
        fih_panic();
    }
    FIH_RECHECK(s->verified[slot]);
    boot_print_slot_version("boot", slot, s->hdr[slot].ih_version);
    bl_mailbox()->mb_booted_slot = slot;
    port_watchdog_start(BL_WATCHDOG_MS);
    FIH_RECHECK(s->verified[slot]);
#if FIH_ENABLED
    port_jump(LAYOUT_APP_VECTORS(slot) + (s->verified[slot] ^ FIH_SUCCESS));
#else
    port_jump(LAYOUT_APP_VECTORS(slot));
#endif
}

static PORT_NORETURN void boot_update_mode(const struct boot_state *s, int requested)
{
    static struct update_ctx upd; /* bootloader RAM */
    struct bl_line l;

    update_init(&upd, (s->facts & BOOT_F_META) ? &s->rec : NULL,
                (s->facts & BOOT_F_ACTIVE_OK) != 0u);
    if (s->active != META_NO_SLOT && s->active_rc != 0 && s->rec.mr_active == s->active) {
        boot_print_rejected(s->active, s->active_rc);
    }
    bl_line_start(&l);
    bl_line_str(&l, requested ? "update mode (requested) target=" : "update mode (recovery) target=");
    bl_line_slot(&l, update_target_slot(&upd));
    bl_line_end(&l);
    update_run(&upd);
}

/* Factory state: the valid slot with the highest version (META_NO_SLOT if none). */
static uint8_t boot_factory_best(const struct boot_state *s)
{
    uint8_t i, best = META_NO_SLOT;

    for (i = 0; i < LAYOUT_SLOT_COUNT; i++) {
        if (s->slot_rc[i] == 0 && (best == META_NO_SLOT || s->hdr[i].ih_version > s->hdr[best].ih_version)) {
            best = i;
        }
    }
    return best;
}

/* Factory state: adopt what verifies. The highest version becomes active
 * and its security counter the floor; every valid slot is recorded
 * CONFIRMED (a fallback if its counter reaches the floor); the rest EMPTY. */
static int boot_factory_adopt(const struct boot_state *s)
{
    struct meta_record r;
    uint8_t i;

    memset(&r, 0, sizeof(r));
    r.mr_trial_slot = META_NO_SLOT;
    for (i = 0; i < LAYOUT_SLOT_COUNT; i++) {
        if (s->slot_rc[i] != 0) {
            continue;
        }
        r.mr_slot[i].ms_version = s->hdr[i].ih_version;
        r.mr_slot[i].ms_size = s->hdr[i].ih_size;
        r.mr_slot[i].ms_crc32 = s->hdr[i].ih_crc32;
        r.mr_slot[i].ms_state = META_SLOT_CONFIRMED;
    }
    r.mr_active = boot_factory_best(s);
    if (r.mr_active != META_NO_SLOT) {
        /* The adopted image's counter becomes the floor (docs/SECURITY.md). */
        r.mr_security_counter = s->hdr[r.mr_active].ih_security_counter;
    }
    return meta_commit(&r);
}

/* "BL: meta commit failed: <EXXX>" */
static void boot_print_commit_failed(int rc)
{
    struct bl_line l;

    bl_line_start(&l);
    bl_line_str(&l, "meta commit failed: ");
    bl_line_str(&l, fota_strerror(rc));
    bl_line_end(&l);
}

/* "fota-hil bootloader 1.0.0": the first console line of every boot. */
static void boot_print_banner(void)
{
    struct bl_line l;

    bl_line_start(&l);
    bl_line_str(&l, "fota-hil bootloader " BL_VERSION_STRING);
    bl_line_end(&l);
}

void boot_main(void)
{
    static struct boot_state s; /* bootloader RAM: keeps ~1.3 KB off the stack */
    struct meta_record r;
    uint32_t flags = 0, pass;
    int rc;

    boot_print_banner();
    if (boot_take_request() == BL_REQ_UPDATE) {
        flags |= BOOT_F_REQ_UPDATE;
    }

    for (pass = 0; pass < BOOT_MAX_PASSES; pass++) {
        boot_gather(&s, flags);
        if (pass == 0u) {
            boot_print_meta(&s);
        }
        r = s.rec;
        rc = 0;
        switch (boot_decide(s.facts)) {
        case BOOT_ACT_FACTORY_ADOPT:
            rc = boot_factory_adopt(&s);
            break;
        case BOOT_ACT_FACTORY_BOOT:
            boot_jump(&s, boot_factory_best(&s));
        case BOOT_ACT_REJECT_TRIAL:
#ifdef FOTA_MUTANT_RETRY_TRIAL
            /* MUTANT (make mutants, issue 16): an unconfirmed trial gets another trial, no rollback. */
            s.verified[s.trial] = FIH_SUCCESS;
            boot_jump(&s, s.trial);
#endif
            boot_print_rollback(&s);
            r.mr_slot[s.trial].ms_state = META_SLOT_REJECTED;
            r.mr_trial_slot = META_NO_SLOT;
            rc = meta_commit(&r);
            break;
        case BOOT_ACT_UPDATE:
            boot_update_mode(&s, 1);
        case BOOT_ACT_TRY_PENDING:
            /* A glitched decision must not record a trial of a slot that did not verify. */
            FIH_RECHECK(s.verified[s.trial]);
            r.mr_slot[s.trial].ms_state = META_SLOT_TRIAL;
            rc = meta_commit(&r);
            if (rc == 0) {
                boot_print_slot_version("trial", s.trial, s.hdr[s.trial].ih_version);
                boot_jump(&s, s.trial);
            }
            break;
        case BOOT_ACT_REJECT_PENDING:
            boot_print_rejected(s.trial, s.pending_rc);
            r.mr_slot[s.trial].ms_state = META_SLOT_REJECTED;
            r.mr_trial_slot = META_NO_SLOT;
            rc = meta_commit(&r);
            break;
        case BOOT_ACT_BOOT_ACTIVE:
            boot_jump(&s, s.active);
        case BOOT_ACT_FALLBACK:
            /* Nor make a slot active that did not verify. */
            FIH_RECHECK(s.verified[bl_other_slot(s.active)]);
            boot_print_rejected(s.active, s.active_rc);
            r.mr_slot[s.active].ms_state = META_SLOT_REJECTED;
            r.mr_active = bl_other_slot(s.active);
            rc = meta_commit(&r);
            break;
        case BOOT_ACT_BOOT_OTHER:
            boot_jump(&s, bl_other_slot(s.active));
        case BOOT_ACT_RECOVERY:
        default:
            boot_update_mode(&s, (flags & BOOT_F_REQ_UPDATE) != 0u && (s.facts & BOOT_F_META) != 0u);
        }
        if (rc != 0) {
            /* The metadata cannot be written: decide again without writes. */
            boot_print_commit_failed(rc);
            flags |= BOOT_F_META_RO;
        }
    }
    boot_update_mode(&s, 0);
}
