/* tests/bootloader/sweep-test.c: THE SWEEP (shared style guide rule 4, as mcuboot's
 * sim). One whole update (BEGIN..END of a ~20 KB image), the next boot and
 * the application's confirm; power is cut at every flash operation N, with
 * every torn variant. After each cut the device is rebooted and must boot
 * a confirmed, verified image: the old one, or the new one exactly when
 * the update's commits say so. Then the update is re-run and must complete
 * with the new image confirmed. A second sweep makes operation N fail
 * (FOTA_EFLASH) instead. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "fota/boot.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/meta.h"
#include "fake_app.h"
#include "fake_device.h"
#include "fake_host.h"
#include "fake_image.h"
#include "sim.h"

#define A LAYOUT_SLOT_A
#define B LAYOUT_SLOT_B
#define NO META_NO_SLOT
#define PAYLOAD (20u * 1024u + 300u)
#define IMG_LEN FAKE_IMAGE_SIZE(PAYLOAD)

static uint8_t img_a[FAKE_IMAGE_SIZE(6000)];
static uint8_t img_b_old[FAKE_IMAGE_SIZE(3000)];
static uint8_t img_b[IMG_LEN];
static uint8_t snap[LAYOUT_FLASH_SIZE];
static struct fake_host host;

/* Where a scenario got to. */
struct run {
    int cut;             /* a power cut ended it */
    int stage;           /* 1 update session, 2 trial boot, 3 confirm, 4 done */
};

/* ---- starting points: A 1.0.0 confirmed and running ---- */

static void setup_plain(void)
{
    fake_image_install(A, img_a, sizeof(img_a));
}

static void setup_with_fallback(void)
{
    /* B holds an old confirmed image (the fallback): BEGIN must commit it
     * EMPTY before touching it, so that commit is swept too. */
    fake_image_install(A, img_a, sizeof(img_a));
    fake_image_install(B, img_b_old, sizeof(img_b_old));
}

static void setup_meta_nearly_full(void)
{
    fake_image_install(A, img_a, sizeof(img_a));
}

struct sweep_setup {
    const char *name;
    void (*install)(void);
    uint32_t fill;       /* extra metadata records after the factory adopt */
};

static const struct sweep_setup setups[] = {
    { "plain", setup_plain, 0 },
    { "fallback", setup_with_fallback, 0 },
    /* META0 index 254 newest: END's commit takes the last place, the trial
     * commit rolls over (erase META1 + program) */
    { "meta-rollover", setup_meta_nearly_full, META_RECORDS_PER_SECTOR - 2u },
};

static void prepare(const struct sweep_setup *s)
{
    struct meta_record r;
    uint32_t slot, i;

    sim_init();
    s->install();
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP); /* factory adopt */
    assert_int_equal(slot, A);
    for (i = 0; i < s->fill; i++) {
        assert_int_equal(meta_load(&r), 0);
        assert_int_equal(meta_commit(&r), 0);
    }
    memcpy(snap, sim_flash(), sizeof(snap));
}

static void restore(void)
{
    memcpy(sim_flash(), snap, sizeof(snap));
    sim_power_cycle();
    bl_mailbox()->mb_booted_slot = A; /* the app in A is running */
    sim_console_clear();
    sim_link_clear();
    sim_link_set_idle_hook(NULL, NULL);
    sim_ops_reset();
}

/* Update session (ENTER_UPDATE, then the host) → trial boot → confirm.
 * @p strict: every stage must succeed unless power is cut. */
static void scenario(struct run *r, int strict)
{
    enum sim_exit e;
    uint32_t slot;
    int rc;

    memset(r, 0, sizeof(*r));
    r->stage = 1;
    fake_host_init(&host, img_b, IMG_LEN);
    assert_int_equal(fake_app_enter_update(), SIM_EXIT_RESET);
    fake_host_attach(&host);
    e = fake_reboot(&slot);
    fake_host_finish(&host);
    sim_link_set_idle_hook(NULL, NULL);
    if (e == SIM_EXIT_POWER_CUT) {
        r->cut = 1;
        return;
    }
    if (strict) {
        assert_int_equal(e, SIM_EXIT_RESET);
        assert_int_equal(host.state, FH_DONE);
    } else if (e != SIM_EXIT_RESET || host.state != FH_DONE) {
        r->stage = 4;
        return;
    }

    r->stage = 2;
    e = fake_reboot(&slot); /* END resets: SRAM kept */
    if (e == SIM_EXIT_POWER_CUT) {
        r->cut = 1;
        return;
    }
    assert_int_equal(e, SIM_EXIT_JUMP);
    if (strict) {
        assert_int_equal(slot, B);
    } else if (slot != B) {
        r->stage = 4;
        return;
    }

    r->stage = 3;
    e = fake_app_confirm(&rc);
    if (e == SIM_EXIT_POWER_CUT) {
        r->cut = 1;
        return;
    }
    assert_int_equal(e, SIM_EXIT_RETURNED);
    if (strict) {
        assert_int_equal(rc, 0);
    }
    r->stage = 4;
}

/* NOTE: the invariant the whole design exists for: a slot the metadata
 * calls pending/trial/confirmed holds exactly the image it describes. */
static void check_meta_matches_slots(void)
{
    struct meta_record r;
    struct image_header h;
    uint32_t s;

    assert_int_equal(meta_load(&r), 0);
    for (s = 0; s < LAYOUT_SLOT_COUNT; s++) {
        uint8_t st = r.mr_slot[s].ms_state;
        if (st == META_SLOT_PENDING || st == META_SLOT_TRIAL || st == META_SLOT_CONFIRMED) {
            assert_int_equal(image_verify(s, &h), 0);
            assert_int_equal(h.ih_crc32, r.mr_slot[s].ms_crc32);
            assert_int_equal(h.ih_version, r.mr_slot[s].ms_version);
        }
    }
}

/* Power back on after the fault; let a good application confirm a trial.
 * @return the slot that finally boots as confirmed and active. */
static uint32_t recover(void)
{
    struct meta_record r;
    uint32_t slot;
    int rc, boots;

    check_meta_matches_slots();
    for (boots = 0; boots < 3; boots++) {
        assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP); /* never stuck in recovery */
        assert_true(slot == A || slot == B);
        assert_int_equal(image_verify(slot, NULL), 0);
        assert_int_equal(meta_load(&r), 0);
        if (r.mr_slot[slot].ms_state == META_SLOT_TRIAL) {
            assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(r.mr_slot[slot].ms_state, META_SLOT_CONFIRMED);
        assert_int_equal(r.mr_active, slot);
        /* no trial left behind: it was confirmed or rejected */
        assert_int_equal(r.mr_trial_slot, NO);
        assert_int_not_equal(r.mr_slot[A].ms_state, META_SLOT_TRIAL);
        assert_int_not_equal(r.mr_slot[B].ms_state, META_SLOT_TRIAL);
        check_meta_matches_slots();
        return slot;
    }
    fail_msg("no confirmed image after %d boots", boots);
    return 0xFFu;
}

/* The update again, from wherever the slot is: it must complete. */
static void rerun_update(void)
{
    struct run r;
    uint32_t slot;

    bl_mailbox()->mb_booted_slot = A;
    sim_link_clear();
    scenario(&r, 1);
    assert_false(r.cut);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    assert_int_equal(fake_meta_state(B), META_SLOT_CONFIRMED);
    assert_true(fake_image_in_slot(B, img_b, IMG_LEN));
    check_meta_matches_slots();
}

/* The program operation that makes each commit of the clean run take
 * effect: the last metadata program of each stage. */
struct commit_points {
    uint32_t pending, trial, confirm, total;
};

static int is_meta_program(const struct sim_op *op)
{
    return op->kind == SIM_OP_PROGRAM && op->addr >= LAYOUT_META0_ADDR &&
           op->addr < LAYOUT_META1_ADDR + LAYOUT_META_SECTOR_SIZE;
}

static void clean_run(struct commit_points *cp)
{
    struct run r;
    const struct sim_op *log;
    uint32_t n, i, stage_end[4] = { 0 };
    enum sim_exit e;
    uint32_t slot;
    int rc;

    restore();
    /* stage by stage, remembering where each ended */
    fake_host_init(&host, img_b, IMG_LEN);
    assert_int_equal(fake_app_enter_update(), SIM_EXIT_RESET);
    fake_host_attach(&host);
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_RESET);
    sim_link_set_idle_hook(NULL, NULL);
    stage_end[1] = sim_ops();
    e = fake_reboot(&slot);
    assert_int_equal(e, SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    stage_end[2] = sim_ops();
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    stage_end[3] = sim_ops();
    (void)r;

    log = sim_op_log(&n);
    assert_int_equal(n, stage_end[3]);
    memset(cp, 0, sizeof(*cp));
    for (i = 0; i < n; i++) {
        if (!is_meta_program(&log[i])) {
            continue;
        }
        if (i < stage_end[1]) {
            cp->pending = i + 1u; /* 1-based op numbers */
        } else if (i < stage_end[2]) {
            cp->trial = i + 1u;
        } else {
            cp->confirm = i + 1u;
        }
    }
    cp->total = n;
    assert_true(cp->pending > 0 && cp->pending < cp->trial && cp->trial < cp->confirm);
    assert_int_equal(cp->confirm, n);
    /* many operations: one per DATA chunk at least */
    assert_true(n >= IMG_LEN / PROTO_MAX_DATA + 3u);
}

static int committed(uint32_t point, uint32_t n, enum sim_torn t)
{
    return n > point || (n == point && t == SIM_TORN_ALL);
}

static void test_update_power_cut_sweep(void **state)
{
    uint32_t si, n, cuts = 0, new_boots = 0, old_boots = 0;
    int t;

    (void)state;
    for (si = 0; si < sizeof(setups) / sizeof(setups[0]); si++) {
        struct commit_points cp;

        prepare(&setups[si]);
        clean_run(&cp);
        for (n = 1; n <= cp.total; n++) {
            for (t = SIM_TORN_NONE; t <= SIM_TORN_ALL; t++) {
                struct run r;
                uint32_t booted;
                int want_new;

                restore();
                sim_fault_cut(n, (enum sim_torn)t);
                scenario(&r, 1);
                if (!r.cut || !sim_fault_fired()) {
                    fail_msg("%s: cut at op %u (torn %d) did not happen", setups[si].name, n, t);
                }
                sim_fault_clear();
                cuts++;

                want_new = committed(cp.confirm, n, (enum sim_torn)t) ||
                           (committed(cp.pending, n, (enum sim_torn)t) &&
                            !committed(cp.trial, n, (enum sim_torn)t));
                booted = recover();
                if (booted != (want_new ? B : A)) {
                    fail_msg("%s: cut at op %u/%u (torn %d, stage %d): booted %s, want %s\n%s",
                             setups[si].name, n, cp.total, t, r.stage, booted == A ? "A" : "B",
                             want_new ? "B" : "A", sim_console());
                }
                /* the running image is never touched */
                assert_true(fake_image_in_slot(A, img_a, sizeof(img_a)));
                if (booted == B) {
                    assert_true(fake_image_in_slot(B, img_b, IMG_LEN));
                    new_boots++;
                } else {
                    old_boots++;
                    rerun_update();
                }
            }
        }
    }
    /* both outcomes were exercised */
    assert_true(new_boots > 0 && old_boots > 0);
    assert_true(cuts >= 3u * 3u * (IMG_LEN / PROTO_MAX_DATA));
}

static void test_update_flash_fail_sweep(void **state)
{
    uint32_t si, n, fails = 0;

    (void)state;
    for (si = 0; si < sizeof(setups) / sizeof(setups[0]); si++) {
        struct commit_points cp;

        prepare(&setups[si]);
        clean_run(&cp);
        for (n = 1; n <= cp.total; n++) {
            struct run r;
            uint32_t booted;

            restore();
            sim_fault_fail(n, FOTA_EFLASH);
            scenario(&r, 0);
            assert_false(r.cut);
            assert_true(sim_fault_fired());
            sim_fault_clear();
            fails++;
            booted = recover();
            assert_true(fake_image_in_slot(A, img_a, sizeof(img_a)));
            if (booted == A) {
                rerun_update();
            } else {
                assert_true(fake_image_in_slot(B, img_b, IMG_LEN));
            }
        }
    }
    assert_true(fails > 0);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(fake_image_build(img_a, sizeof(img_a), A, IMAGE_VERSION(1, 0, 0), 6000, 21), sizeof(img_a));
    assert_int_equal(fake_image_build(img_b_old, sizeof(img_b_old), B, IMAGE_VERSION(0, 9, 0), 3000, 22),
                     sizeof(img_b_old));
    assert_int_equal(fake_image_build(img_b, sizeof(img_b), B, IMAGE_VERSION(2, 0, 0), PAYLOAD, 23), IMG_LEN);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_power_cut_sweep),
        cmocka_unit_test(test_update_flash_fail_sweep),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
