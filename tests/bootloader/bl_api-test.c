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
#include "fake_app.h"
#include "fake_device.h"
#include "fake_image.h"
#include "sim.h"

#define A LAYOUT_SLOT_A
#define B LAYOUT_SLOT_B
#define NO META_NO_SLOT

static uint8_t img_a[FAKE_IMAGE_SIZE(1000)];
static uint8_t img_b[FAKE_IMAGE_SIZE(1200)];

static int setup(void **state)
{
    (void)state;
    sim_init();
    fake_image_build(img_a, sizeof(img_a), A, IMAGE_VERSION(1, 0, 0), 1000, 11);
    fake_image_build(img_b, sizeof(img_b), B, IMAGE_VERSION(1, 1, 0), 1200, 12);
    fake_image_install(A, img_a, sizeof(img_a));
    fake_image_install(B, img_b, sizeof(img_b));
    return 0;
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
