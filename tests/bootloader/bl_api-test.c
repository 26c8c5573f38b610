/* tests/bootloader/bl_api-test.c: the services table applications call. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fota/boot.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/meta.h"
#include "fota/port.h"
#include "fota/proto.h"
#include "fake_app.h"
#include "fake_device.h"
#include "fake_image.h"
#include "sim.h"

#define A LAYOUT_SLOT_A
#define B LAYOUT_SLOT_B
#define NO META_NO_SLOT

static uint8_t img_a[FAKE_IMAGE_SIZE(1000)];
static uint8_t img_b[FAKE_IMAGE_SIZE(1200)];

static uint8_t img_b2[FAKE_IMAGE_SIZE(3000)]; /* 2.0.0 for B: the background update */
static uint32_t img_b2_len;

static int setup(void **state)
{
    (void)state;
    sim_init();
    fake_image_build(img_a, sizeof(img_a), A, IMAGE_VERSION(1, 0, 0), 1000, 11);
    fake_image_build(img_b, sizeof(img_b), B, IMAGE_VERSION(1, 1, 0), 1200, 12);
    fake_image_install(A, img_a, sizeof(img_a));
    fake_image_install(B, img_b, sizeof(img_b));
    img_b2_len = fake_image_build(img_b2, sizeof(img_b2), B, IMAGE_VERSION(2, 0, 0), 3000, 13);
    return 0;
}

/* A runs confirmed, B's record says EMPTY (B still holds 1.1.0's bytes). */
static void boot_confirmed_a(void)
{
    uint32_t slot;

    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_EMPTY), 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
}

/* Boot B as a trial (metadata: A active, B pending). */
static void boot_trial_b(void)
{
    uint32_t slot;

    assert_int_equal(fake_meta_set(A, B, META_SLOT_CONFIRMED, META_SLOT_PENDING), 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
}

/* Confirming raises the anti-rollback floor to the image's counter. */
static void test_ba_confirm_raises_counter_floor(void **state)
{
    struct meta_record r;
    int rc;

    (void)state;
    assert_int_equal(fake_image_resign(img_b, sizeof(img_b), 4), sizeof(img_b));
    fake_image_install(B, img_b, sizeof(img_b));
    boot_trial_b();
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_security_counter, 0);
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_security_counter, 4);
}

static void test_bl_api_table_header(void **state)
{
    uint32_t before;

    (void)state;
    assert_int_equal(bl_api_table.ba_magic, BL_API_MAGIC);
    assert_int_equal(bl_api_table.ba_version, BL_API_VERSION);
    assert_non_null(bl_api_table.ba_confirm);
    assert_non_null(bl_api_table.ba_enter_update);
    assert_non_null(bl_api_table.ba_get_state);
    before = sim_watchdog_refreshes();
    bl_api_table.ba_watchdog_refresh();
    assert_int_equal(sim_watchdog_refreshes(), before + 1u);
}

static void test_ba_confirm_trial(void **state)
{
    struct meta_record r;
    uint32_t slot, st;
    int rc;

    (void)state;
    boot_trial_b();
    assert_int_equal(fake_app_get_state(&slot, &st), 0);
    assert_int_equal(slot, B);
    assert_int_equal(st, META_SLOT_TRIAL);
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_active, B);
    assert_int_equal(r.mr_trial_slot, NO);
    assert_int_equal(r.mr_slot[B].ms_state, META_SLOT_CONFIRMED);
    assert_int_equal(r.mr_slot[A].ms_state, META_SLOT_CONFIRMED); /* the fallback */
    assert_int_equal(fake_app_get_state(&slot, &st), 0);
    assert_int_equal(st, META_SLOT_CONFIRMED);
    /* idempotent, no further write */
    sim_ops_reset();
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    assert_int_equal(sim_ops(), 0);
    /* the next boot runs B normally */
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
}

static void test_ba_confirm_not_trial_or_active(void **state)
{
    uint32_t slot;
    int rc;

    (void)state;
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_REJECTED), 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0); /* the active one: already confirmed */
    bl_mailbox()->mb_booted_slot = B; /* pretend B runs */
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, FOTA_EBUSY);
    bl_mailbox()->mb_booted_slot = 0x5A5A5A5Au; /* garbage */
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, FOTA_EBUSY);
}

static void test_ba_confirm_no_metadata(void **state)
{
    uint32_t s, st;
    int rc;

    (void)state;
    bl_mailbox()->mb_booted_slot = A;
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, FOTA_ENOENT);
    assert_int_equal(fake_app_get_state(&s, &st), FOTA_ENOENT);
    assert_int_equal(fake_app_get_state(NULL, &st), FOTA_EINVAL);
}

static void test_ba_confirm_commit_fails(void **state)
{
    uint32_t slot;
    int rc;

    (void)state;
    boot_trial_b();
    sim_ops_reset();
    sim_fault_fail(1, FOTA_EFLASH);
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, FOTA_EFLASH);
    assert_int_equal(fake_meta_state(B), META_SLOT_TRIAL);
    /* the app may retry */
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
}

static void test_ba_confirm_never_called_rolls_back(void **state)
{
    uint32_t slot;

    (void)state;
    boot_trial_b();
    /* the app hangs, the watchdog resets: the mailbox survives, nothing confirmed */
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    assert_true(sim_console_has_line("BL: rollback slot=B (not confirmed) -> slot=A"));
}

static void test_ba_enter_update_sets_mailbox(void **state)
{
    volatile struct bl_mailbox *mb = bl_mailbox();
    uint32_t slot;

    (void)state;
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_EMPTY), 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(fake_app_enter_update(), SIM_EXIT_RESET);
    assert_int_equal(mb->mb_magic, BL_MAILBOX_MAGIC);
    assert_int_equal(mb->mb_request, BL_REQ_UPDATE);
    assert_int_equal(mb->mb_check, ~(BL_MAILBOX_MAGIC ^ BL_REQ_UPDATE));
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_RESET); /* update mode, timed out */
    assert_true(sim_console_has_line("BL: update mode (requested) target=B"));
    assert_int_not_equal(mb->mb_magic, BL_MAILBOX_MAGIC); /* cleared when read */
}

/* ---- background update (ba_version >= 3) ---- */

static void test_bl_api_table_background_services(void **state)
{
    (void)state;
    assert_true(bl_api_table.ba_version >= 3u);
    assert_non_null(bl_api_table.ba_slot_begin);
    assert_non_null(bl_api_table.ba_slot_erase);
    assert_non_null(bl_api_table.ba_slot_program);
    assert_non_null(bl_api_table.ba_slot_commit);
    assert_ptr_equal(bl_api_table.ba_reset, port_reset);
}

/* The whole write from the running application, then the switch: B is
 * PENDING, the next reset trials it, its confirm makes it active. */
static void test_ba_slot_background_update_switches(void **state)
{
    struct meta_record r;
    uint32_t slot, resumed = 1;
    int rc;

    (void)state;
    boot_confirmed_a();
    sim_ops_reset();
    assert_int_equal(fake_app_background(img_b2, img_b2_len, 0, &rc, &resumed), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    assert_int_equal(resumed, 0);
    assert_int_equal(sim_erases(), 1);   /* 3.5 KB: one sector */
    assert_int_equal(sim_programs(), (img_b2_len + PROTO_MAX_DATA - 1u) / PROTO_MAX_DATA + 1u); /* + PENDING */
    assert_memory_equal(sim_flash() + (LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE), img_b2, img_b2_len);
    assert_memory_equal(sim_flash() + (LAYOUT_SLOT_A_ADDR - LAYOUT_FLASH_BASE), img_a, sizeof(img_a));
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_active, A);
    assert_int_equal(r.mr_trial_slot, B);
    assert_int_equal(r.mr_slot[B].ms_state, META_SLOT_PENDING);
    assert_int_equal(r.mr_slot[B].ms_version, IMAGE_VERSION(2, 0, 0));
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    assert_int_equal(fake_meta_state(B), META_SLOT_CONFIRMED);
}

/* Erase, program and commit refuse until ba_slot_begin() committed the
 * inactive slot EMPTY, and after the commit made it PENDING. */
static void test_ba_slot_write_without_begin_busy(void **state)
{
    struct image_header h;
    uint32_t next = 0, resume, crc;
    int rc;

    (void)state;
    memcpy(&h, img_b2, sizeof(h));
    assert_int_equal(fake_meta_set(A, NO, META_SLOT_CONFIRMED, META_SLOT_CONFIRMED), 0);
    assert_int_equal(fake_boot(&resume), SIM_EXIT_JUMP);
    sim_ops_reset();
    assert_int_equal(bl_api_table.ba_slot_erase(0, &next), FOTA_EBUSY);
    assert_int_equal(bl_api_table.ba_slot_program(0, img_b2, 16), FOTA_EBUSY);
    assert_int_equal(bl_api_table.ba_slot_commit(&h), FOTA_EBUSY);
    assert_int_equal(sim_ops(), 0);
    assert_int_equal(bl_api_table.ba_slot_begin(&h, 0, &resume, &crc), 0);
    assert_int_equal(fake_meta_state(B), META_SLOT_EMPTY); /* before any byte of B changes */
    assert_int_equal(fake_app_background(img_b2, img_b2_len, 0, &rc, NULL), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    sim_ops_reset();
    assert_int_equal(bl_api_table.ba_slot_program(0, img_b2, 16), FOTA_EBUSY); /* PENDING now */
    assert_int_equal(bl_api_table.ba_slot_erase(0, &next), FOTA_EBUSY);
    assert_int_equal(sim_ops(), 0);
}

/* Nothing outside the inactive slot: offsets are slot-relative and
 * bounded; bad arguments write nothing. */
static void test_ba_slot_write_outside_slot_einval(void **state)
{
    struct image_header h;
    uint32_t next = 0, resume, crc;

    (void)state;
    memcpy(&h, img_b2, sizeof(h));
    boot_confirmed_a();
    assert_int_equal(bl_api_table.ba_slot_begin(&h, 0, &resume, &crc), 0);
    sim_ops_reset();
    assert_int_equal(bl_api_table.ba_slot_program(LAYOUT_SLOT_SIZE - 4u, img_b2, 8), FOTA_EINVAL);
    assert_int_equal(bl_api_table.ba_slot_program(0xFFFFFFF0u, img_b2, 32), FOTA_EINVAL);
    assert_int_equal(bl_api_table.ba_slot_program(0, img_b2, 0), FOTA_EINVAL);
    assert_int_equal(bl_api_table.ba_slot_program(0, img_b2, PORT_FLASH_PROGRAM_MAX + 1u), FOTA_EINVAL);
    assert_int_equal(bl_api_table.ba_slot_program(0, NULL, 4), FOTA_EINVAL);
    assert_int_equal(bl_api_table.ba_slot_erase(LAYOUT_SLOT_SIZE, &next), FOTA_EINVAL);
    assert_int_equal(bl_api_table.ba_slot_erase(0, NULL), FOTA_EINVAL);
    assert_int_equal(bl_api_table.ba_slot_begin(NULL, 0, &resume, &crc), FOTA_EINVAL);
    assert_int_equal(bl_api_table.ba_slot_commit(NULL), FOTA_EINVAL);
    assert_int_equal(sim_ops(), 0);
    /* the last sector of the slot is B's, never the reserved sector 11 */
    assert_int_equal(bl_api_table.ba_slot_erase(LAYOUT_SLOT_SIZE - 1u, &next), 0);
    assert_int_equal(next, LAYOUT_SLOT_SIZE);
    assert_int_equal(sim_op_log(&next)[0].sector, LAYOUT_SLOT_FIRST_SECTOR(B) + LAYOUT_SLOT_SECTORS - 1u);
}

/* A trial image may not write the other slot: it is the fallback. */
static void test_ba_slot_begin_in_trial_busy(void **state)
{
    struct image_header h;
    uint32_t resume, crc;

    (void)state;
    boot_trial_b();
    sim_ops_reset();
    memcpy(&h, img_a, sizeof(h));
    assert_int_equal(bl_api_table.ba_slot_begin(&h, 0, &resume, &crc), FOTA_EBUSY);
    assert_int_equal(sim_ops(), 0);
    assert_int_equal(fake_meta_state(A), META_SLOT_CONFIRMED);
    bl_mailbox()->mb_booted_slot = 0x5A5A5A5Au; /* garbage */
    assert_int_equal(bl_api_table.ba_slot_begin(&h, 0, &resume, &crc), FOTA_EBUSY);
}

/* BEGIN's checks: the image's slot, the downgrade floor, metadata. */
static void test_ba_slot_begin_refuses_image(void **state)
{
    static uint8_t img_old[FAKE_IMAGE_SIZE(500)];
    struct image_header h;
    uint32_t resume, crc;

    (void)state;
    bl_mailbox()->mb_booted_slot = A;
    memcpy(&h, img_b2, sizeof(h));
    assert_int_equal(bl_api_table.ba_slot_begin(&h, 0, &resume, &crc), FOTA_ENOENT);
    boot_confirmed_a();
    sim_ops_reset();
    memcpy(&h, img_a, sizeof(h)); /* linked for A, the running slot */
    assert_int_equal(bl_api_table.ba_slot_begin(&h, 0, &resume, &crc), FOTA_ESLOT);
    (void)fake_image_build(img_old, sizeof(img_old), B, IMAGE_VERSION(0, 9, 0), 500, 14);
    memcpy(&h, img_old, sizeof(h));
    assert_int_equal(bl_api_table.ba_slot_begin(&h, 0, &resume, &crc), FOTA_EVERSION);
    assert_int_equal(sim_ops(), 0);
}

/* A corrupted byte in the slot: the commit verifies and refuses; B stays
 * EMPTY and is never booted. */
static void test_ba_slot_commit_bad_image_refused(void **state)
{
    uint32_t slot;
    int rc;

    (void)state;
    boot_confirmed_a();
    img_b2[IMAGE_HEADER_SIZE + 100u] ^= 0x01u;
    assert_int_equal(fake_app_background(img_b2, img_b2_len, 0, &rc, NULL), SIM_EXIT_RETURNED);
    assert_int_not_equal(rc, 0);
    assert_int_equal(fake_meta_state(B), META_SLOT_EMPTY);
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
}

/* A power cut at every flash operation of a background write, every torn
 * state: A boots (B only once its PENDING record landed whole), no image
 * is ever rejected (the half-written slot is never tried), and the write
 * done again completes and B is trialled. */
static void test_ba_slot_power_cut_every_op(void **state)
{
    static const enum sim_torn torns[] = { SIM_TORN_NONE, SIM_TORN_HALF, SIM_TORN_BITS, SIM_TORN_ALL };
    uint32_t ops, k, t, slot;
    int rc;

    boot_confirmed_a();
    sim_ops_reset();
    assert_int_equal(fake_app_background(img_b2, img_b2_len, 0, &rc, NULL), SIM_EXIT_RETURNED);
    ops = sim_ops();
    for (k = 1; k <= ops; k++) {
        for (t = 0; t < sizeof(torns) / sizeof(torns[0]); t++) {
            (void)setup(state);
            boot_confirmed_a();
            sim_ops_reset();
            sim_fault_cut(k, torns[t]);
            assert_int_equal(fake_app_background(img_b2, img_b2_len, 0, &rc, NULL), SIM_EXIT_POWER_CUT);
            sim_console_clear();
            assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
            assert_int_equal(slot, (k == ops && torns[t] == SIM_TORN_ALL) ? B : A);
            assert_false(sim_console_has_prefix("BL: rejected"));
            if (slot == A) {
                assert_int_equal(fake_app_background(img_b2, img_b2_len, 0, &rc, NULL), SIM_EXIT_RETURNED);
                assert_int_equal(rc, 0);
                assert_int_equal(fake_reboot(&slot), SIM_EXIT_JUMP);
                assert_int_equal(slot, B);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bl_api_table_header, setup),
        cmocka_unit_test_setup(test_ba_confirm_raises_counter_floor, setup),
        cmocka_unit_test_setup(test_ba_confirm_trial, setup),
        cmocka_unit_test_setup(test_ba_confirm_not_trial_or_active, setup),
        cmocka_unit_test_setup(test_ba_confirm_no_metadata, setup),
        cmocka_unit_test_setup(test_ba_confirm_commit_fails, setup),
        cmocka_unit_test_setup(test_ba_confirm_never_called_rolls_back, setup),
        cmocka_unit_test_setup(test_ba_enter_update_sets_mailbox, setup),
        cmocka_unit_test_setup(test_bl_api_table_background_services, setup),
        cmocka_unit_test_setup(test_ba_slot_background_update_switches, setup),
        cmocka_unit_test_setup(test_ba_slot_write_without_begin_busy, setup),
        cmocka_unit_test_setup(test_ba_slot_write_outside_slot_einval, setup),
        cmocka_unit_test_setup(test_ba_slot_begin_in_trial_busy, setup),
        cmocka_unit_test_setup(test_ba_slot_begin_refuses_image, setup),
        cmocka_unit_test_setup(test_ba_slot_commit_bad_image_refused, setup),
        cmocka_unit_test_setup(test_ba_slot_power_cut_every_op, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
