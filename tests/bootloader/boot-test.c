/* tests/bootloader/boot-test.c: the boot decision table row by row, and
 * boot_main() end to end on the sim port (console contract, metadata
 * transitions, jumps, watchdog, mailbox). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fota/boot.h"
#include "fota/crc32.h"
#include "fota/sha256.h"
#include "fota/update.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/meta.h"
#include "fake_app.h"
#include "fake_device.h"
#include "fake_image.h"
#include "sim.h"

#define A LAYOUT_SLOT_A
#define B LAYOUT_SLOT_B
#define NO META_NO_SLOT
#define F(x) BOOT_F_##x

static uint8_t img_a1[FAKE_IMAGE_SIZE(3000)];
static uint8_t img_b2[FAKE_IMAGE_SIZE(5000)];
static uint8_t img_b09[FAKE_IMAGE_SIZE(2000)];

static int setup(void **state)
{
    (void)state;
    sim_init();
    fake_image_build(img_a1, sizeof(img_a1), A, IMAGE_VERSION(1, 0, 0), 3000, 1);
    fake_image_build(img_b2, sizeof(img_b2), B, IMAGE_VERSION(2, 0, 0), 5000, 2);
    fake_image_build(img_b09, sizeof(img_b09), B, IMAGE_VERSION(0, 9, 0), 2000, 3);
    return 0;
}

/* ---- The table, row by row ---- */

struct decide_case {
    uint32_t facts;
    int action;
};

static void test_boot_decide_rows(void **state)
{
    static const struct decide_case cases[] = {
        /* row 1: factory, something valid: adopt */
        { F(FACTORY_VALID), BOOT_ACT_FACTORY_ADOPT },
        { F(FACTORY_VALID) | F(REQ_UPDATE), BOOT_ACT_FACTORY_ADOPT },
        /* row 2: factory, something valid but unwritable: boot it anyway */
        { F(FACTORY_VALID) | F(META_RO), BOOT_ACT_FACTORY_BOOT },
        { F(FACTORY_VALID) | F(META_RO) | F(REQ_UPDATE), BOOT_ACT_FACTORY_BOOT },
        /* row 3: factory, nothing valid: recovery */
        { 0, BOOT_ACT_RECOVERY },
        { F(REQ_UPDATE), BOOT_ACT_RECOVERY },
        { F(META_RO), BOOT_ACT_RECOVERY },
        /* row 3: a trial found at boot is rejected first, whatever else holds */
        { F(META) | F(TRIAL), BOOT_ACT_REJECT_TRIAL },
        { F(META) | F(TRIAL) | F(REQ_UPDATE) | F(ACTIVE_OK), BOOT_ACT_REJECT_TRIAL },
        /* row 4: update request */
        { F(META) | F(REQ_UPDATE), BOOT_ACT_UPDATE },
        { F(META) | F(REQ_UPDATE) | F(ACTIVE_OK) | F(PENDING) | F(PENDING_OK), BOOT_ACT_UPDATE },
        { F(META) | F(REQ_UPDATE) | F(TRIAL) | F(META_RO), BOOT_ACT_UPDATE },
        /* row 5: pending and verified: trial */
        { F(META) | F(PENDING) | F(PENDING_OK), BOOT_ACT_TRY_PENDING },
        { F(META) | F(PENDING) | F(PENDING_OK) | F(ACTIVE_OK), BOOT_ACT_TRY_PENDING },
        /* row 6: pending but bad */
        { F(META) | F(PENDING) | F(ACTIVE_OK), BOOT_ACT_REJECT_PENDING },
        { F(META) | F(PENDING), BOOT_ACT_REJECT_PENDING },
        /* row 7: the active slot */
        { F(META) | F(ACTIVE_OK), BOOT_ACT_BOOT_ACTIVE },
        { F(META) | F(ACTIVE_OK) | F(PENDING) | F(PENDING_OK) | F(META_RO), BOOT_ACT_BOOT_ACTIVE },
        { F(META) | F(ACTIVE_OK) | F(TRIAL) | F(META_RO), BOOT_ACT_BOOT_ACTIVE },
        /* row 8: fallback to the other confirmed slot */
        { F(META) | F(OTHER_OK), BOOT_ACT_FALLBACK },
        /* row 9: fallback without recording it */
        { F(META) | F(OTHER_OK) | F(META_RO), BOOT_ACT_BOOT_OTHER },
        /* row 10: nothing bootable */
        { F(META), BOOT_ACT_RECOVERY },
        { F(META) | F(PENDING) | F(META_RO), BOOT_ACT_RECOVERY },
        { F(META) | F(TRIAL) | F(META_RO), BOOT_ACT_RECOVERY },
    };
    size_t i;

    (void)state;
    assert_int_equal(boot_rule_count, 11);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = boot_decide(cases[i].facts);
        if (got != cases[i].action) {
            fail_msg("case %zu facts 0x%x: action %d, want %d", i, cases[i].facts, got, cases[i].action);
        }
    }
}

static void test_boot_decide_each_row_reachable(void **state)
{
    uint32_t r, f;
    int seen;

    (void)state;
    /* every row wins for some facts: no row is shadowed by earlier ones */
    for (r = 0; r < boot_rule_count; r++) {
        seen = 0;
        for (f = 0; f < (1u << 9) && !seen; f++) {
            uint32_t k;
            for (k = 0; k < boot_rule_count; k++) {
                const struct boot_rule *br = &boot_rules[k];
                if ((f & br->br_must) == br->br_must && (f & br->br_must_not) == 0u) {
                    break;
                }
            }
            seen = (k == r);
        }
        assert_true(seen);
    }
    /* the last row catches everything */
    assert_int_equal(boot_rules[boot_rule_count - 1].br_must, 0);
    assert_int_equal(boot_rules[boot_rule_count - 1].br_must_not, 0);
}

static void test_boot_decide_invariants(void **state)
{
    uint32_t f;

    (void)state;
    for (f = 0; f < (1u << 9); f++) {
        int a = boot_decide(f);
        /* never jump to an image that did not verify */
        if (a == BOOT_ACT_TRY_PENDING) {
            assert_true(f & F(PENDING_OK));
        }
        if (a == BOOT_ACT_BOOT_ACTIVE) {
            assert_true(f & F(ACTIVE_OK));
        }
        if (a == BOOT_ACT_BOOT_OTHER || a == BOOT_ACT_FALLBACK) {
            assert_true(f & F(OTHER_OK));
        }
        if (a == BOOT_ACT_FACTORY_BOOT || a == BOOT_ACT_FACTORY_ADOPT) {
            assert_true(f & F(FACTORY_VALID));
        }
        /* never recovery while a factory image is valid */
        if (!(f & F(META)) && (f & F(FACTORY_VALID))) {
            assert_true(a != BOOT_ACT_RECOVERY);
        }
        /* no writes once the metadata could not be written */
        if (f & F(META_RO)) {
            assert_true(a != BOOT_ACT_FACTORY_ADOPT && a != BOOT_ACT_REJECT_TRIAL &&
                        a != BOOT_ACT_TRY_PENDING && a != BOOT_ACT_REJECT_PENDING &&
                        a != BOOT_ACT_FALLBACK);
        }
        /* a trial found at boot is never booted again, and rejected if writable */
        if ((f & F(META)) && (f & F(TRIAL)) && !(f & F(META_RO))) {
            assert_int_equal(a, BOOT_ACT_REJECT_TRIAL);
        }
        if (!(f & F(META))) {
            assert_true(a == BOOT_ACT_FACTORY_ADOPT || a == BOOT_ACT_FACTORY_BOOT || a == BOOT_ACT_RECOVERY);
        }
    }
}

/* ---- boot_main() end to end ---- */

static void expect_line(const char *line)
{
    if (!sim_console_has_line(line)) {
        fail_msg("console lacks \"%s\"; got:\n%s", line, sim_console());
    }
}

static void test_boot_main_factory_empty_recovery(void **state)
{
    uint32_t slot;

    (void)state;
    sim_set_time_limit(60000);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_HUNG);
    expect_line("BL: fota-hil bootloader 1.0.0");
    expect_line("BL: factory state: no metadata");
    expect_line("BL: update mode (recovery) target=A");
    assert_false(sim_console_has_prefix("BL: update timeout"));
    assert_int_equal(sim_ops(), 0);
    assert_int_equal(sim_watchdog_ms(), UPDATE_WATCHDOG_MS); /* update mode runs under the IWDG */
}

static void test_boot_main_factory_adopts_highest(void **state)
{
    struct meta_record r;
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2));
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    assert_int_equal(sim_jump_vectors(), LAYOUT_SLOT_B_ADDR + 0x200u);
    assert_int_equal(sim_watchdog_ms(), BL_WATCHDOG_MS);
    expect_line("BL: factory state: no metadata");
    expect_line("BL: boot slot=B version=2.0.0");
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_seq, 1);
    assert_int_equal(r.mr_active, B);
    assert_int_equal(r.mr_trial_slot, NO);
    assert_int_equal(r.mr_slot[A].ms_state, META_SLOT_CONFIRMED);
    assert_int_equal(r.mr_slot[B].ms_state, META_SLOT_CONFIRMED);
    assert_int_equal(r.mr_slot[A].ms_version, IMAGE_VERSION(1, 0, 0));
    assert_int_equal(r.mr_slot[B].ms_size, 5000);
    assert_int_equal(bl_mailbox()->mb_booted_slot, B);
}

static void test_boot_main_factory_one_valid(void **state)
{
    struct meta_record r;
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2) - 1u); /* truncated: invalid */
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_active, A);
    assert_int_equal(r.mr_slot[B].ms_state, META_SLOT_EMPTY);
}

static void test_boot_main_boot_active_no_writes(void **state)
{
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_EMPTY), 0);
    sim_ops_reset();
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    expect_line("BL: meta seq=1 active=A trial=- A=confirmed/1.0.0 B=empty/0.0.0");
    expect_line("BL: boot slot=A version=1.0.0");
    assert_int_equal(sim_ops(), 0);
    assert_int_equal(sim_watchdog_ms(), BL_WATCHDOG_MS);
}

static void test_boot_main_pending_goes_trial(void **state)
{
    struct meta_record r;
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2));
    assert_int_equal(fake_meta_set(A, B, META_SLOT_CONFIRMED, META_SLOT_PENDING), 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    expect_line("BL: meta seq=1 active=A trial=B A=confirmed/1.0.0 B=pending/2.0.0");
    expect_line("BL: trial slot=B version=2.0.0");
    expect_line("BL: boot slot=B version=2.0.0");
    assert_int_equal(sim_watchdog_ms(), BL_WATCHDOG_MS);
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_slot[B].ms_state, META_SLOT_TRIAL);
    assert_int_equal(r.mr_trial_slot, B);
    assert_int_equal(r.mr_active, A);
}

static void test_boot_main_trial_at_boot_rolls_back(void **state)
{
    struct meta_record r;
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2));
    assert_int_equal(fake_meta_set(A, B, META_SLOT_CONFIRMED, META_SLOT_TRIAL), 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    expect_line("BL: rollback slot=B (not confirmed) -> slot=A");
    expect_line("BL: boot slot=A version=1.0.0");
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_slot[B].ms_state, META_SLOT_REJECTED);
    assert_int_equal(r.mr_trial_slot, NO);
    /* and B is never tried again */
    sim_console_clear();
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    assert_false(sim_console_has_prefix("BL: rollback"));
}

static void test_boot_main_trial_rollback_without_active(void **state)
{
    uint32_t slot;

    (void)state;
    sim_set_time_limit(30000);
    fake_image_install(B, img_b2, sizeof(img_b2));
    assert_int_equal(fake_meta_set(NO, B, META_SLOT_EMPTY, META_SLOT_TRIAL), 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_HUNG);
    expect_line("BL: rollback slot=B (not confirmed) -> slot=-");
    expect_line("BL: update mode (recovery) target=A");
    assert_int_equal(fake_meta_state(B), META_SLOT_REJECTED);
}

static void test_boot_main_pending_bad_image_rejected(void **state)
{
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2));
    assert_int_equal(fake_meta_set(A, B, META_SLOT_CONFIRMED, META_SLOT_PENDING), 0);
    sim_flash_flip_bit(LAYOUT_SLOT_B_ADDR + 0x300u, 2);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    expect_line("BL: rejected slot=B: ECRC");
    assert_false(sim_console_has_prefix("BL: trial"));
    assert_int_equal(fake_meta_state(B), META_SLOT_REJECTED);
}

static void test_boot_main_pending_not_the_recorded_image(void **state)
{
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2));
    assert_int_equal(fake_meta_set(A, B, META_SLOT_CONFIRMED, META_SLOT_PENDING), 0);
    /* a different, valid image appears in B: not what the record names */
    fake_image_install(B, img_b09, sizeof(img_b09));
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    expect_line("BL: rejected slot=B: ECRC");
}

static void test_boot_main_active_corrupt_falls_back(void **state)
{
    struct meta_record r;
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b09, sizeof(img_b09));
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_CONFIRMED), 0);
    sim_flash_flip_bit(LAYOUT_SLOT_A_ADDR + 0x600u, 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    expect_line("BL: rejected slot=A: ECRC");
    expect_line("BL: boot slot=B version=0.9.0");
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_active, B);
    assert_int_equal(r.mr_slot[A].ms_state, META_SLOT_REJECTED);
}

static void test_boot_main_active_corrupt_no_fallback(void **state)
{
    uint32_t slot;

    (void)state;
    sim_set_time_limit(60000);
    fake_image_install(A, img_a1, sizeof(img_a1));
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_EMPTY), 0);
    sim_flash_flip_bit(LAYOUT_SLOT_A_ADDR + 0x10u, 0); /* header */
    assert_int_equal(fake_boot(&slot), SIM_EXIT_HUNG);
    expect_line("BL: rejected slot=A: ECRC");
    expect_line("BL: update mode (recovery) target=B");
    assert_false(sim_console_has_prefix("BL: boot slot"));
    assert_false(sim_console_has_prefix("BL: update timeout"));
}

static void test_boot_main_mailbox_request_times_out(void **state)
{
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_EMPTY), 0);
    assert_int_equal(fake_app_enter_update(), SIM_EXIT_RESET);
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_RESET);
    expect_line("BL: update mode (requested) target=B");
    expect_line("BL: update timeout, rebooting");
    assert_int_equal(sim_now_ms(), 10000);
    /* the request was consumed: the next boot runs the app */
    sim_console_clear();
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    assert_false(sim_console_has_prefix("BL: update mode"));
}

static void test_boot_main_mailbox_bad_check_ignored(void **state)
{
    volatile struct bl_mailbox *mb = bl_mailbox();
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_EMPTY), 0);
    mb->mb_magic = BL_MAILBOX_MAGIC;
    mb->mb_request = BL_REQ_UPDATE;
    mb->mb_check = 0x12345678u;
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
}

static void test_boot_main_trial_commit_fails_boots_active(void **state)
{
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2));
    assert_int_equal(fake_meta_set(A, B, META_SLOT_CONFIRMED, META_SLOT_PENDING), 0);
    sim_ops_reset();
    sim_fault_fail(1, FOTA_EFLASH);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A); /* an unrecordable trial is not started */
    assert_int_equal(fake_meta_state(B), META_SLOT_PENDING);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
}

static void test_boot_main_factory_corrupt_never_jumps(void **state)
{
    uint32_t slot;

    (void)state;
    sim_set_time_limit(20000);
    fake_image_install(A, img_a1, sizeof(img_a1));
    sim_flash_flip_bit(LAYOUT_SLOT_A_ADDR + 0x400u, 6);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_HUNG);
    expect_line("BL: update mode (recovery) target=A");
    assert_int_equal(sim_ops(), 0);
}

static void test_boot_main_factory_commit_fails_boots_highest(void **state)
{
    struct meta_record r;
    uint32_t slot;

    (void)state;
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2));
    sim_ops_reset();
    sim_fault_fail(1, FOTA_EFLASH); /* the adoption's program */
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_true(sim_fault_fired());
    assert_int_equal(slot, B);
    expect_line("BL: meta commit failed: EFLASH");
    expect_line("BL: boot slot=B version=2.0.0");
    assert_int_equal(meta_load(&r), FOTA_ENOENT);
    /* the next boot commits the adoption */
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_active, B);
}

static void test_boot_main_pending_downgrade_rejected(void **state)
{
    static uint8_t a2[FAKE_IMAGE_SIZE(3000)];
    uint32_t slot;

    (void)state;
    fake_image_build(a2, sizeof(a2), A, IMAGE_VERSION(2, 0, 0), 3000, 5);
    fake_image_install(A, a2, sizeof(a2));
    fake_image_install(B, img_b09, sizeof(img_b09));
    /* an older image got PENDING (not through BEGIN): it gets no trial */
    assert_int_equal(fake_meta_set(A, B, META_SLOT_CONFIRMED, META_SLOT_PENDING), 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    expect_line("BL: rejected slot=B: EVERSION");
    assert_false(sim_console_has_prefix("BL: trial"));
    assert_int_equal(fake_meta_state(B), META_SLOT_REJECTED);
}

/* Raise the newest record's anti-rollback floor to @p floor. */
static void set_counter_floor(uint32_t floor)
{
    struct meta_record r;

    assert_int_equal(meta_load(&r), 0);
    r.mr_security_counter = floor;
    assert_int_equal(meta_commit(&r), 0);
}

/* A pending image signed with a counter below the floor gets no trial. */
static void test_boot_main_pending_below_counter_rejected(void **state)
{
    uint32_t slot;

    (void)state;
    assert_int_equal(fake_image_resign(img_a1, sizeof(img_a1), 2), sizeof(img_a1));
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2)); /* counter FAKE_IMAGE_SEC_CNT = 1 */
    assert_int_equal(fake_meta_set(A, B, META_SLOT_CONFIRMED, META_SLOT_PENDING), 0);
    set_counter_floor(2);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    expect_line("BL: rejected slot=B: EROLLBACK");
    assert_false(sim_console_has_prefix("BL: trial"));
    assert_int_equal(fake_meta_state(B), META_SLOT_REJECTED);
}

/* The active image fails; the confirmed fallback is below the floor: no
 * fallback, recovery instead (a rollback by damaging the new image). */
static void test_boot_main_fallback_below_counter_refused(void **state)
{
    static uint8_t a3[FAKE_IMAGE_SIZE(3000)];
    uint32_t slot;

    (void)state;
    sim_set_time_limit(60000);
    fake_image_build(a3, sizeof(a3), A, IMAGE_VERSION(1, 0, 0), 3000, 1);
    assert_int_equal(fake_image_resign(a3, sizeof(a3), 3), sizeof(a3));
    fake_image_install(A, a3, sizeof(a3));
    fake_image_install(B, img_b09, sizeof(img_b09));
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_CONFIRMED), 0);
    set_counter_floor(3);
    sim_flash_flip_bit(LAYOUT_SLOT_A_ADDR + 0x600u, 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_HUNG);
    expect_line("BL: rejected slot=A: ECRC");
    assert_false(sim_console_has_prefix("BL: boot slot"));
}

/* Factory state: the adopted image's counter becomes the floor. */
static void test_boot_main_factory_adopt_sets_counter(void **state)
{
    struct meta_record r;
    uint32_t slot;

    (void)state;
    assert_int_equal(fake_image_resign(img_b2, sizeof(img_b2), 5), sizeof(img_b2));
    fake_image_install(A, img_a1, sizeof(img_a1));
    fake_image_install(B, img_b2, sizeof(img_b2));
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_security_counter, 5);
}

/* Rebuild @p img's payload words 0 (initial SP) and 1 (reset vector),
 * with CRC-32, SHA-256 and header CRC made valid again. */
static void set_vectors(uint8_t *img, uint32_t len, uint32_t sp, uint32_t pc)
{
    uint8_t *pl = img + IMAGE_HEADER_SIZE;

    memcpy(pl, &sp, 4);
    memcpy(pl + 4, &pc, 4);
    assert_int_equal(fake_image_resign(img, len, FAKE_IMAGE_SEC_CNT), len);
}

static void test_boot_main_bad_vectors_never_jumps(void **state)
{
    static const uint32_t bad[][2] = {
        { 0x08000000u, LAYOUT_APP_VECTORS(A) + 0x101u },            /* SP in flash */
        { LAYOUT_BL_RAM_ADDR + 0x100u, LAYOUT_APP_VECTORS(A) + 0x101u }, /* SP in bootloader RAM */
        { LAYOUT_APP_RAM_ADDR + 0x1002u, LAYOUT_APP_VECTORS(A) + 0x101u }, /* SP unaligned */
        { LAYOUT_APP_RAM_ADDR + LAYOUT_APP_RAM_SIZE + 4u, LAYOUT_APP_VECTORS(A) + 0x101u },
        { LAYOUT_APP_RAM_ADDR + 0x1000u, LAYOUT_APP_VECTORS(A) + 0x100u }, /* not Thumb */
        { LAYOUT_APP_RAM_ADDR + 0x1000u, LAYOUT_BOOT_ADDR + 0x101u },       /* into the bootloader */
        { LAYOUT_APP_RAM_ADDR + 0x1000u, LAYOUT_APP_VECTORS(A) + 3000u + 1u }, /* past the payload */
    };
    static uint8_t img[FAKE_IMAGE_SIZE(3000)];
    uint32_t slot, i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sim_init();
        sim_set_time_limit(20000);
        memcpy(img, img_a1, sizeof(img));
        set_vectors(img, sizeof(img), bad[i][0], bad[i][1]);
        fake_image_install(A, img, sizeof(img));
        assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_EMPTY), 0);
        if (fake_boot(&slot) != SIM_EXIT_HUNG) {
            fail_msg("case %u: SP 0x%08x PC 0x%08x was started", i, bad[i][0], bad[i][1]);
        }
        expect_line("BL: rejected slot=A: ERANGE");
        assert_false(sim_console_has_prefix("BL: boot slot"));
    }
    /* the same image with a sane table boots */
    sim_init();
    memcpy(img, img_a1, sizeof(img));
    set_vectors(img, sizeof(img), LAYOUT_APP_RAM_ADDR + LAYOUT_APP_RAM_SIZE, LAYOUT_APP_VECTORS(A) + 2999u);
    fake_image_install(A, img, sizeof(img));
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_EMPTY), 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boot_decide_rows),
        cmocka_unit_test(test_boot_decide_each_row_reachable),
        cmocka_unit_test(test_boot_decide_invariants),
        cmocka_unit_test_setup(test_boot_main_factory_empty_recovery, setup),
        cmocka_unit_test_setup(test_boot_main_factory_adopts_highest, setup),
        cmocka_unit_test_setup(test_boot_main_factory_one_valid, setup),
        cmocka_unit_test_setup(test_boot_main_boot_active_no_writes, setup),
        cmocka_unit_test_setup(test_boot_main_pending_goes_trial, setup),
        cmocka_unit_test_setup(test_boot_main_trial_at_boot_rolls_back, setup),
        cmocka_unit_test_setup(test_boot_main_trial_rollback_without_active, setup),
        cmocka_unit_test_setup(test_boot_main_pending_bad_image_rejected, setup),
        cmocka_unit_test_setup(test_boot_main_pending_not_the_recorded_image, setup),
        cmocka_unit_test_setup(test_boot_main_active_corrupt_falls_back, setup),
        cmocka_unit_test_setup(test_boot_main_active_corrupt_no_fallback, setup),
        cmocka_unit_test_setup(test_boot_main_mailbox_request_times_out, setup),
        cmocka_unit_test_setup(test_boot_main_mailbox_bad_check_ignored, setup),
        cmocka_unit_test_setup(test_boot_main_trial_commit_fails_boots_active, setup),
        cmocka_unit_test_setup(test_boot_main_factory_corrupt_never_jumps, setup),
        cmocka_unit_test_setup(test_boot_main_factory_commit_fails_boots_highest, setup),
        cmocka_unit_test_setup(test_boot_main_pending_below_counter_rejected, setup),
        cmocka_unit_test_setup(test_boot_main_fallback_below_counter_refused, setup),
        cmocka_unit_test_setup(test_boot_main_factory_adopt_sets_counter, setup),
        cmocka_unit_test_setup(test_boot_main_pending_downgrade_rejected, setup),
        cmocka_unit_test_setup(test_boot_main_bad_vectors_never_jumps, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
