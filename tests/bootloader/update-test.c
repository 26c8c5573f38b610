/* tests/bootloader/update-test.c: the update receiver. Most tests play
 * host over the sim link (fake_host) against boot_main(); a few drive
 * update_handle() frame by frame. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "fota/boot.h"
#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/meta.h"
#include "fota/update.h"
#include "fake_app.h"
#include "fake_device.h"
#include "fake_host.h"
#include "fake_image.h"
#include "sim.h"

#define A LAYOUT_SLOT_A
#define B LAYOUT_SLOT_B
#define NO META_NO_SLOT
#define PAYLOAD (20u * 1024u)
#define IMG_LEN FAKE_IMAGE_SIZE(PAYLOAD)
#define CHUNKS ((IMG_LEN + PROTO_MAX_DATA - 1u) / PROTO_MAX_DATA)

static uint8_t img_a1[FAKE_IMAGE_SIZE(4000)];
static uint8_t img_b2[IMG_LEN];
static struct fake_host host;

static void expect_line(const char *line)
{
    if (!sim_console_has_line(line)) {
        fail_msg("console lacks \"%s\"; got:\n%s", line, sim_console());
    }
}

/* Device: A 1.0.0 confirmed and active, B empty. */
static int setup(void **state)
{
    uint32_t slot;

    (void)state;
    sim_init();
    assert_int_equal(fake_image_build(img_a1, sizeof(img_a1), A, IMAGE_VERSION(1, 0, 0), 4000, 1), sizeof(img_a1));
    assert_int_equal(fake_image_build(img_b2, sizeof(img_b2), B, IMAGE_VERSION(2, 0, 0), PAYLOAD, 2), IMG_LEN);
    fake_image_install(A, img_a1, sizeof(img_a1));
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP); /* factory adopt */
    assert_int_equal(slot, A);
    sim_console_clear();
    sim_ops_reset();
    return 0;
}

/* The app gets ENTER_UPDATE; the bootloader comes up in update mode with
 * the host attached. @return the exit of that boot. */
static enum sim_exit run_update(const uint8_t *img, uint32_t len, void (*tweak)(struct fake_host *))
{
    enum sim_exit e;
    uint32_t slot;

    fake_host_init(&host, img, len);
    if (tweak != NULL) {
        tweak(&host);
    }
    assert_int_equal(fake_app_enter_update(), SIM_EXIT_RESET);
    fake_host_attach(&host);
    e = fake_reboot(&slot);
    fake_host_finish(&host);
    sim_link_set_idle_hook(NULL, NULL);
    return e;
}

/* After END: boot the trial, confirm it, boot again: B 2.0.0 confirmed. */
static void expect_new_image_confirmed(void)
{
    uint32_t slot;
    int rc;

    assert_int_equal(fake_meta_state(B), META_SLOT_PENDING);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    assert_int_equal(fake_meta_state(B), META_SLOT_TRIAL);
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    assert_int_equal(fake_meta_state(B), META_SLOT_CONFIRMED);
    assert_true(fake_image_in_slot(B, img_b2, IMG_LEN));
    assert_true(fake_image_in_slot(A, img_a1, sizeof(img_a1)));
}

/* Slot-B programs in the op log. */
static uint32_t slot_b_programs(uint32_t *max_len)
{
    uint32_t n, i, c = 0;
    const struct sim_op *log = sim_op_log(&n);

    *max_len = 0;
    for (i = 0; i < n; i++) {
        if (log[i].kind == SIM_OP_PROGRAM && log[i].addr >= LAYOUT_SLOT_B_ADDR &&
            log[i].addr < LAYOUT_SLOT_B_ADDR + LAYOUT_SLOT_SIZE) {
            c++;
            if (log[i].len > *max_len) {
                *max_len = log[i].len;
            }
        }
    }
    return c;
}

static void test_update_run_clean(void **state)
{
    char line[128];
    uint32_t max_len;

    (void)state;
    assert_int_equal(run_update(img_b2, IMG_LEN, NULL), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(host.end_status, 0);
    assert_int_equal(host.error, 0);
    assert_int_equal(host.nacks, 0);
    assert_int_equal(host.data_sent, CHUNKS);
    /* HELLO */
    assert_true(host.hello_ok);
    assert_int_equal(host.hello[1], PROTO_VERSION);
    assert_int_equal(host.hello[2], PROTO_ROLE_BOOTLOADER);
    assert_int_equal(host.hello[3], A);
    assert_int_equal(proto_get_u32(&host.hello[4]), IMAGE_VERSION(1, 0, 0));
    assert_int_equal(host.hello[8], B);
    assert_int_equal(proto_get_u16(&host.hello[9]), PROTO_MAX_DATA);
    assert_int_equal(proto_get_u32(&host.hello[11]), LAYOUT_SLOT_SIZE);
    /* console */
    expect_line("BL: update mode (requested) target=B");
    snprintf(line, sizeof(line), "BL: update begin slot=B version=2.0.0 size=%u resume=0", IMG_LEN);
    expect_line(line);
    expect_line("BL: update done slot=B version=2.0.0: OK");
    /* one program per DATA payload; B was erased already: no erase */
    assert_int_equal(slot_b_programs(&max_len), CHUNKS);
    assert_int_equal(max_len, PROTO_MAX_DATA);
    assert_int_equal(sim_erases(), 0);
    assert_true(fake_image_in_slot(B, img_b2, IMG_LEN));
    expect_new_image_confirmed();
}

static void tweak_fresh(struct fake_host *h) { h->force_fresh = 1; }

static void test_update_run_fresh_erases_needed_sectors(void **state)
{
    static uint8_t big[FAKE_IMAGE_SIZE(200000u)];
    uint32_t n, i, erased[LAYOUT_FLASH_SECTORS] = { 0 };
    const struct sim_op *log;

    (void)state;
    assert_int_equal(run_update(img_b2, IMG_LEN, tweak_fresh), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(sim_erases(), 1);
    assert_int_equal(sim_op_log(&n)[0].sector, LAYOUT_SLOT_B_FIRST_SECTOR);
    expect_new_image_confirmed();
    /* a 200 KB image into A (B is now active) needs two of A's sectors */
    fake_image_build(big, sizeof(big), A, IMAGE_VERSION(3, 0, 0), 200000u, 77);
    sim_ops_reset();
    assert_int_equal(run_update(big, sizeof(big), tweak_fresh), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    log = sim_op_log(&n);
    for (i = 0; i < n; i++) {
        if (log[i].kind == SIM_OP_ERASE) {
            erased[log[i].sector]++;
        }
    }
    assert_int_equal(erased[5], 1);
    assert_int_equal(erased[6], 1);
    assert_int_equal(erased[7], 0);
    assert_int_equal(sim_erases(), 2);
    /* A was CONFIRMED (the fallback): BEGIN made it EMPTY before erasing */
    assert_int_equal(log[0].kind, SIM_OP_PROGRAM);
    assert_int_equal(fake_meta_state(A), META_SLOT_PENDING);
}

static void test_update_run_resume_refuses_hole(void **state)
{
    static const uint8_t zeros[PROTO_MAX_DATA] = { 0 };

    (void)state;
    /* chunks 0-1 of the new image stored, chunk 2 blank, chunk 3 dirty:
     * not resumable (R = 2 chunks, but [R, size) is not erased) */
    sim_flash_write_raw(LAYOUT_SLOT_B_ADDR, img_b2, 2u * PROTO_MAX_DATA);
    sim_flash_write_raw(LAYOUT_SLOT_B_ADDR + 3u * PROTO_MAX_DATA, zeros, sizeof(zeros));
    assert_int_equal(run_update(img_b2, IMG_LEN, NULL), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(host.resume_first, 0);
    assert_false(host.resumed);
    assert_int_equal(sim_erases(), 1);
    assert_int_equal(host.data_sent, CHUNKS);
    expect_new_image_confirmed();
}

static void tweak_corrupt_data(struct fake_host *h) { h->corrupt_frame = 6; }
static void tweak_corrupt_begin(struct fake_host *h) { h->corrupt_frame = 2; }
static void tweak_corrupt_end(struct fake_host *h) { h->corrupt_frame = 2 + CHUNKS + 1; }

static void test_update_run_corrupted_frame_nack_retransmit(void **state)
{
    uint32_t max_len;

    (void)state;
    assert_int_equal(run_update(img_b2, IMG_LEN, tweak_corrupt_data), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(host.nacks, 1);
    assert_int_equal(host.retransmits, 1);
    assert_int_equal(slot_b_programs(&max_len), CHUNKS); /* the bad frame programmed nothing */
    expect_new_image_confirmed();
}

static void test_update_run_corrupted_begin_and_end(void **state)
{
    (void)state;
    assert_int_equal(run_update(img_b2, IMG_LEN, tweak_corrupt_begin), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(host.nacks, 1);
    assert_int_equal(host.begins, 1);
    setup(NULL);
    assert_int_equal(run_update(img_b2, IMG_LEN, tweak_corrupt_end), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(host.nacks, 1);
    expect_new_image_confirmed();
}

static void tweak_garbage(struct fake_host *h) { h->garbage_before = 4; }

static void test_update_run_garbage_between_frames(void **state)
{
    (void)state;
    assert_int_equal(run_update(img_b2, IMG_LEN, tweak_garbage), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(host.nacks, 0);
    expect_new_image_confirmed();
}

static void tweak_dup(struct fake_host *h) { h->dup_data = 3; }

static void test_update_run_duplicate_data(void **state)
{
    uint32_t max_len;

    (void)state;
    assert_int_equal(run_update(img_b2, IMG_LEN, tweak_dup), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(host.dup_status, 0);
    assert_int_equal(host.dup_next, 3u * PROTO_MAX_DATA);
    assert_int_equal(slot_b_programs(&max_len), CHUNKS); /* not programmed twice */
    expect_new_image_confirmed();
}

static void tweak_silent(struct fake_host *h) { h->silent_after_data = 8; }

static void test_update_run_resume_after_drop(void **state)
{
    (void)state;
    /* the link drops after 8 chunks: the target gives up after 10 s */
    assert_int_equal(run_update(img_b2, IMG_LEN, tweak_silent), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_SILENT);
    expect_line("BL: update timeout, rebooting");
    assert_int_equal(fake_meta_state(B), META_SLOT_EMPTY);
    {
        uint32_t slot;
        assert_int_equal(fake_reboot(&slot), SIM_EXIT_JUMP); /* the old app runs again */
        assert_int_equal(slot, A);
    }
    /* the host comes back and resumes */
    sim_console_clear();
    assert_int_equal(run_update(img_b2, IMG_LEN, NULL), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_true(host.resumed);
    assert_false(host.went_fresh);
    assert_int_equal(host.resume_offset, 8u * PROTO_MAX_DATA);
    assert_int_equal(host.data_sent, CHUNKS - 8u);
    expect_new_image_confirmed();
}

static void tweak_rebegin(struct fake_host *h) { h->rebegin_after_data = 5; }

static void test_update_run_resume_in_session(void **state)
{
    (void)state;
    assert_int_equal(run_update(img_b2, IMG_LEN, tweak_rebegin), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(host.begins, 2);
    assert_int_equal(host.resume_offset, 5u * PROTO_MAX_DATA);
    assert_true(host.resumed);
    assert_int_equal(host.data_sent, CHUNKS);
    expect_new_image_confirmed();
}

/* Cut power while DATA #k is programmed, torn as given; then resume. */
static void resume_after_cut(enum sim_torn torn, uint32_t k)
{
    uint32_t slot;

    fake_host_init(&host, img_b2, IMG_LEN);
    assert_int_equal(fake_app_enter_update(), SIM_EXIT_RESET);
    fake_host_attach(&host);
    sim_ops_reset();
    sim_fault_cut(k, torn); /* B is erased already: op k is DATA #k */
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_POWER_CUT);
    sim_fault_clear();
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    assert_int_equal(run_update(img_b2, IMG_LEN, NULL), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
}

static void test_update_run_resume_after_power_cut_torn_is_fresh(void **state)
{
    (void)state;
    resume_after_cut(SIM_TORN_HALF, 6);
    /* chunk 5 half-written: R = 6 chunks, its CRC differs from the host's */
    assert_int_equal(host.resume_first, 6u * PROTO_MAX_DATA);
    assert_int_equal(host.resume_offset, 0);
    assert_true(host.went_fresh);
    assert_false(host.resumed);
    assert_int_equal(host.data_sent, CHUNKS);
    expect_new_image_confirmed();
}

static void test_update_run_resume_after_power_cut_clean(void **state)
{
    (void)state;
    resume_after_cut(SIM_TORN_NONE, 6);
    assert_int_equal(host.resume_offset, 5u * PROTO_MAX_DATA);
    assert_true(host.resumed);
    assert_false(host.went_fresh);
    assert_int_equal(host.data_sent, CHUNKS - 5u);
    expect_new_image_confirmed();
}

static void test_update_run_wrong_slot(void **state)
{
    static uint8_t img[FAKE_IMAGE_SIZE(2048)];

    (void)state;
    fake_image_build(img, sizeof(img), A, IMAGE_VERSION(2, 0, 0), 2048, 5); /* for A, target is B */
    assert_int_equal(run_update(img, sizeof(img), NULL), SIM_EXIT_STOP);
    assert_int_equal(host.state, FH_FAILED);
    assert_int_equal(host.error, FOTA_ESLOT);
    assert_int_equal(host.error_type, PROTO_T_BEGIN);
    expect_line("BL: update done slot=B version=2.0.0: ESLOT");
    assert_int_equal(sim_ops(), 0);
}

static void test_update_run_bad_sha(void **state)
{
    static uint8_t img[IMG_LEN];
    struct image_header *h = (struct image_header *)img;
    uint32_t slot;

    (void)state;
    memcpy(img, img_b2, sizeof(img));
    h->ih_sha256[31] ^= 0x80u;
    fake_image_fix_header(h);
    assert_int_equal(run_update(img, sizeof(img), NULL), SIM_EXIT_STOP);
    assert_int_equal(host.state, FH_FAILED);
    assert_int_equal(host.end_status, FOTA_ESHA);
    expect_line("BL: update done slot=B version=2.0.0: ESHA");
    assert_int_equal(fake_meta_state(B), META_SLOT_EMPTY);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
}

static void test_update_run_downgrade(void **state)
{
    static uint8_t a2[FAKE_IMAGE_SIZE(1000)], b1[FAKE_IMAGE_SIZE(1000)], b2[FAKE_IMAGE_SIZE(1000)];
    uint32_t slot;

    (void)state;
    sim_init();
    fake_image_build(a2, sizeof(a2), A, IMAGE_VERSION(2, 0, 0), 1000, 7);
    fake_image_build(b1, sizeof(b1), B, IMAGE_VERSION(1, 9, 9), 1000, 8);
    fake_image_build(b2, sizeof(b2), B, IMAGE_VERSION(2, 0, 0), 1000, 9);
    fake_image_install(A, a2, sizeof(a2));
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    sim_ops_reset();
    assert_int_equal(run_update(b1, sizeof(b1), NULL), SIM_EXIT_STOP);
    assert_int_equal(host.error, FOTA_EVERSION);
    expect_line("BL: update done slot=B version=1.9.9: EVERSION");
    assert_int_equal(sim_ops(), 0);
    /* the same version is not a downgrade */
    assert_int_equal(run_update(b2, sizeof(b2), NULL), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
}

/* Anti-rollback at BEGIN: an image whose security counter is below the
 * record's floor is refused before the slot changes; at or above it, it
 * is accepted. */
static void test_update_run_counter_rollback(void **state)
{
    static uint8_t a2[FAKE_IMAGE_SIZE(1000)], b3[FAKE_IMAGE_SIZE(1000)];
    struct meta_record r;
    uint32_t slot;

    (void)state;
    sim_init();
    fake_image_build(a2, sizeof(a2), A, IMAGE_VERSION(2, 0, 0), 1000, 7);
    fake_image_build(b3, sizeof(b3), B, IMAGE_VERSION(3, 0, 0), 1000, 8); /* counter 1 */
    fake_image_install(A, a2, sizeof(a2));
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(meta_load(&r), 0);
    r.mr_security_counter = 2;
    assert_int_equal(meta_commit(&r), 0);
    sim_ops_reset();
    assert_int_equal(run_update(b3, sizeof(b3), NULL), SIM_EXIT_STOP);
    assert_int_equal(host.error, FOTA_EROLLBACK);
    expect_line("BL: update done slot=B version=3.0.0: EROLLBACK");
    assert_int_equal(sim_ops(), 0);
    assert_int_equal(fake_image_resign(b3, sizeof(b3), 2), sizeof(b3));
    assert_int_equal(run_update(b3, sizeof(b3), NULL), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
}

static void test_update_run_oversize(void **state)
{
    static uint8_t img[FAKE_IMAGE_SIZE(1000)];
    struct image_header *h = (struct image_header *)img;

    (void)state;
    fake_image_build(img, sizeof(img), B, IMAGE_VERSION(2, 0, 0), 1000, 4);
    h->ih_size = IMAGE_MAX_PAYLOAD + 1u;
    fake_image_fix_header(h);
    assert_int_equal(run_update(img, sizeof(img), NULL), SIM_EXIT_STOP);
    assert_int_equal(host.error, FOTA_ESIZE);
    assert_int_equal(sim_ops(), 0);
}

static void fail_fifth_data(struct fake_host *h) { (void)h; sim_fault_fail(5u, FOTA_EFLASH); }

static void test_update_run_flash_error(void **state)
{
    uint32_t slot;

    (void)state;
    assert_int_equal(run_update(img_b2, IMG_LEN, fail_fifth_data), SIM_EXIT_STOP);
    assert_true(sim_fault_fired());
    assert_int_equal(host.error, FOTA_EFLASH);
    assert_int_equal(host.error_type, PROTO_T_DATA);
    assert_int_equal(host.data_acked, 4);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, A);
    /* a later attempt gets through */
    assert_int_equal(run_update(img_b2, IMG_LEN, NULL), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    expect_new_image_confirmed();
}

static void test_update_run_recovery_first_image(void **state)
{
    uint32_t slot;
    int rc;

    (void)state;
    sim_init();
    /* empty device: recovery, no timeout; the image decides the slot */
    fake_host_init(&host, img_b2, IMG_LEN);
    fake_host_attach(&host);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_RESET);
    fake_host_finish(&host);
    sim_link_set_idle_hook(NULL, NULL);
    assert_int_equal(host.state, FH_DONE);
    assert_int_equal(host.hello[3], NO);
    assert_int_equal(host.hello[8], A);
    expect_line("BL: update mode (recovery) target=A");
    expect_line("BL: update done slot=B version=2.0.0: OK");
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    assert_int_equal(fake_app_confirm(&rc), SIM_EXIT_RETURNED);
    assert_int_equal(rc, 0);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_JUMP);
    assert_int_equal(slot, B);
    assert_int_equal(fake_meta_state(B), META_SLOT_CONFIRMED);
}

static void tweak_eio(struct fake_host *h) { (void)h; sim_link_fail_next_read(); }

static void test_update_run_link_error_recovers(void **state)
{
    (void)state;
    assert_int_equal(run_update(img_b2, IMG_LEN, tweak_eio), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    expect_new_image_confirmed();
}

/* Idle hook: every other poll a frame with a bad CRC arrives (NACKs drained). */
static int bad_crc_stream(void *ctx)
{
    uint32_t *calls = ctx;
    uint8_t f[PROTO_HDR_SIZE + PROTO_CRC_SIZE], junk[64];
    size_t n;

    while (sim_link_host_recv(junk, sizeof(junk)) > 0u) {
    }
    if ((++*calls & 1u) == 0u) {
        assert_int_equal(proto_encode(PROTO_T_HELLO, 1, NULL, 0, f, sizeof(f), &n), 0);
        f[n - 1u] ^= 0x5Au;
        sim_link_host_send(f, (uint32_t)n);
    }
    return 0;
}

static void test_update_run_bad_crc_stream_times_out(void **state)
{
    uint32_t slot, calls = 0;

    (void)state;
    sim_set_time_limit(60000);
    assert_int_equal(fake_app_enter_update(), SIM_EXIT_RESET);
    sim_link_set_idle_hook(bad_crc_stream, &calls);
    assert_int_equal(fake_reboot(&slot), SIM_EXIT_RESET);
    sim_link_set_idle_hook(NULL, NULL);
    assert_true(calls > 20u);
    expect_line("BL: update timeout, rebooting");
    /* only frames with a good CRC restart the idle timer */
    assert_true(sim_now_ms() <= UPDATE_IDLE_TIMEOUT_MS + UPDATE_POLL_MS);
}

static void test_update_run_arms_and_refreshes_watchdog(void **state)
{
    uint32_t slot, before;

    (void)state;
    sim_init();
    sim_set_time_limit(30000);
    before = sim_watchdog_refreshes();
    assert_int_equal(fake_boot(&slot), SIM_EXIT_HUNG); /* empty device: recovery */
    assert_int_equal(sim_watchdog_ms(), UPDATE_WATCHDOG_MS);
    /* refreshed on every idle poll */
    assert_true(sim_watchdog_refreshes() - before >= 30000u / UPDATE_POLL_MS - 1u);
}

static void test_update_run_erase_refreshes_watchdog(void **state)
{
    uint32_t before = sim_watchdog_refreshes();

    (void)state;
    /* old bytes in B: no resume, the slot's sectors are erased */
    sim_flash_write_raw(LAYOUT_SLOT_B_ADDR, img_a1, sizeof(img_a1));
    assert_int_equal(run_update(img_b2, IMG_LEN, NULL), SIM_EXIT_RESET);
    assert_int_equal(host.state, FH_DONE);
    assert_true(sim_erases() >= 1u);
    /* the transfer takes no fake time: the refreshes are the erase's */
    assert_true(sim_watchdog_refreshes() - before >= sim_erases());
}

static void test_update_run_downgrade_without_active(void **state)
{
    static uint8_t a2[FAKE_IMAGE_SIZE(1000)], a1[FAKE_IMAGE_SIZE(1000)];
    uint32_t slot;

    (void)state;
    sim_init();
    sim_set_time_limit(30000);
    fake_image_build(a2, sizeof(a2), A, IMAGE_VERSION(2, 0, 0), 1000, 7);
    fake_image_build(a1, sizeof(a1), A, IMAGE_VERSION(1, 0, 0), 1000, 8);
    fake_image_install(A, a2, sizeof(a2));
    /* A 2.0.0 confirmed but no active slot: the floor still holds */
    assert_int_equal(fake_meta_set(NO, NO, META_SLOT_CONFIRMED, META_SLOT_EMPTY), 0);
    sim_ops_reset();
    fake_host_init(&host, a1, sizeof(a1));
    fake_host_attach(&host);
    assert_int_equal(fake_boot(&slot), SIM_EXIT_STOP);
    fake_host_finish(&host);
    sim_link_set_idle_hook(NULL, NULL);
    assert_int_equal(host.error, FOTA_EVERSION);
    expect_line("BL: update done slot=A version=1.0.0: EVERSION");
    assert_int_equal(sim_ops(), 0);
}

/* ---- frame level ---- */

static struct proto_frame req;
static struct update_rsp rsp;
static struct update_ctx u;

static int handle(uint8_t type, const void *payload, uint16_t len)
{
    req.type = type;
    req.seq = 42;
    req.len = len;
    if (len > 0u) {
        memcpy(req.payload, payload, len);
    }
    return update_handle(&u, &req, &rsp);
}

static int data(uint32_t off, const uint8_t *bytes, uint32_t n)
{
    uint8_t p[4 + PROTO_MAX_DATA + 4];

    proto_put_u32(p, off);
    memcpy(&p[4], bytes, n);
    return handle(PROTO_T_DATA, p, (uint16_t)(4u + n));
}

static void begin_ctx(const uint8_t *img, uint8_t flags)
{
    uint8_t p[1 + IMAGE_HEADER_SIZE];
    struct meta_record r;

    assert_int_equal(meta_load(&r), 0);
    update_init(&u, &r, 1);
    p[0] = flags;
    memcpy(&p[1], img, IMAGE_HEADER_SIZE);
    assert_int_equal(handle(PROTO_T_BEGIN, p, sizeof(p)), 0);
    assert_int_equal(rsp.type, PROTO_T_BEGIN | PROTO_T_RSP);
    assert_int_equal(rsp.seq, 42);
    assert_int_equal(rsp.len, PROTO_BEGIN_RSP_LEN);
}

static void test_update_handle_protocol_errors(void **state)
{
    struct meta_record r;
    uint8_t big[PROTO_MAX_PAYLOAD];

    (void)state;
    memset(big, 0, sizeof(big));
    assert_int_equal(meta_load(&r), 0);
    update_init(&u, &r, 1);
    assert_int_equal(u.timeout_enabled, 1);
    assert_int_equal(handle(PROTO_T_DATA, big, 10), FOTA_EPROTO);       /* no BEGIN */
    assert_int_equal(handle(PROTO_T_END, NULL, 0), FOTA_EPROTO);
    assert_int_equal(handle(PROTO_T_BEGIN, big, 100), FOTA_EINVAL);     /* short BEGIN */
    assert_int_equal(handle(0x33, NULL, 0), FOTA_ENOTSUP);
    assert_int_equal(rsp.payload[0], FOTA_ENOTSUP);
    assert_int_equal(handle(PROTO_T_HELLO, NULL, 0), 0);
    assert_int_equal(rsp.len, PROTO_HELLO_RSP_LEN);
    assert_int_equal(handle(PROTO_T_ENTER_UPDATE, NULL, 0), 0);
    assert_int_equal(rsp.reset, 0);
    assert_int_equal(handle(PROTO_T_RESET, NULL, 0), 0);
    assert_int_equal(rsp.reset, 1);

    begin_ctx(img_b2, PROTO_BEGIN_F_FRESH);
    assert_int_equal(proto_get_u32(&rsp.payload[1]), 0);
    assert_int_equal(data(0, img_b2, 100), 0);
    assert_int_equal(proto_get_u32(&rsp.payload[1]), 100);
    assert_int_equal(data(300, img_b2 + 300, 100), FOTA_EPROTO);        /* gap */
    assert_int_equal(proto_get_u32(&rsp.payload[1]), 100);
    assert_int_equal(data(50, img_b2 + 50, 100), FOTA_EPROTO);          /* overlap */
    assert_int_equal(data(0, img_b2, 100), 0);                          /* duplicate */
    assert_int_equal(data(IMG_LEN - 10u, img_b2, 20), FOTA_ERANGE);     /* past the end */
    assert_int_equal(data(0xFFFFFFF0u, img_b2, 20), FOTA_ERANGE);
    assert_int_equal(handle(PROTO_T_DATA, big, 4), FOTA_EINVAL);        /* no bytes */
    assert_int_equal(handle(PROTO_T_DATA, big, 4 + PROTO_MAX_DATA + 1), FOTA_ESIZE);
    assert_int_equal(handle(PROTO_T_END, NULL, 0), FOTA_ESIZE);         /* incomplete */
    assert_int_equal(handle(PROTO_T_ABORT, NULL, 0), 0);
    assert_int_equal(data(100, img_b2 + 100, 100), FOTA_EPROTO);        /* aborted */
}

static void test_update_handle_end_header_differs(void **state)
{
    static uint8_t other[IMG_LEN];
    uint32_t off;

    (void)state;
    /* same size, valid, but another version: BEGIN announces img_b2 */
    fake_image_build(other, sizeof(other), B, IMAGE_VERSION(2, 0, 1), PAYLOAD, 99);
    begin_ctx(img_b2, PROTO_BEGIN_F_FRESH);
    for (off = 0; off < IMG_LEN; off += PROTO_MAX_DATA) {
        uint32_t n = (IMG_LEN - off < PROTO_MAX_DATA) ? IMG_LEN - off : PROTO_MAX_DATA;
        assert_int_equal(data(off, other + off, n), 0);
    }
    assert_int_equal(handle(PROTO_T_END, NULL, 0), FOTA_EPROTO);
    assert_int_equal(rsp.reset, 0);
    assert_int_equal(fake_meta_state(B), META_SLOT_EMPTY);
}

static void test_update_handle_begin_clears_pending_target(void **state)
{
    struct meta_record r;

    (void)state;
    /* B pending (an earlier update), a new BEGIN makes it EMPTY first */
    fake_image_install(B, img_b2, IMG_LEN);
    assert_int_equal(fake_meta_set(A, B, META_SLOT_CONFIRMED, META_SLOT_PENDING), 0);
    begin_ctx(img_b2, 0);
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_slot[B].ms_state, META_SLOT_EMPTY);
    assert_int_equal(r.mr_trial_slot, NO);
    /* the complete image is there: resume at the end, CRC of all of it */
    assert_int_equal(proto_get_u32(&rsp.payload[1]), IMG_LEN);
    assert_int_equal(proto_get_u32(&rsp.payload[5]), crc32_update(0, img_b2, IMG_LEN));
    assert_int_equal(handle(PROTO_T_END, NULL, 0), 0);
    assert_int_equal(rsp.reset, 1);
    assert_int_equal(fake_meta_state(B), META_SLOT_PENDING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_update_run_clean, setup),
        cmocka_unit_test_setup(test_update_run_fresh_erases_needed_sectors, setup),
        cmocka_unit_test_setup(test_update_run_resume_refuses_hole, setup),
        cmocka_unit_test_setup(test_update_run_corrupted_frame_nack_retransmit, setup),
        cmocka_unit_test_setup(test_update_run_corrupted_begin_and_end, setup),
        cmocka_unit_test_setup(test_update_run_garbage_between_frames, setup),
        cmocka_unit_test_setup(test_update_run_duplicate_data, setup),
        cmocka_unit_test_setup(test_update_run_resume_after_drop, setup),
        cmocka_unit_test_setup(test_update_run_resume_in_session, setup),
        cmocka_unit_test_setup(test_update_run_resume_after_power_cut_torn_is_fresh, setup),
        cmocka_unit_test_setup(test_update_run_resume_after_power_cut_clean, setup),
        cmocka_unit_test_setup(test_update_run_wrong_slot, setup),
        cmocka_unit_test_setup(test_update_run_bad_sha, setup),
        cmocka_unit_test_setup(test_update_run_downgrade, setup),
        cmocka_unit_test_setup(test_update_run_bad_crc_stream_times_out, setup),
        cmocka_unit_test_setup(test_update_run_arms_and_refreshes_watchdog, setup),
        cmocka_unit_test_setup(test_update_run_erase_refreshes_watchdog, setup),
        cmocka_unit_test_setup(test_update_run_downgrade_without_active, setup),
        cmocka_unit_test_setup(test_update_run_counter_rollback, setup),
        cmocka_unit_test_setup(test_update_run_oversize, setup),
        cmocka_unit_test_setup(test_update_run_flash_error, setup),
        cmocka_unit_test_setup(test_update_run_recovery_first_image, setup),
        cmocka_unit_test_setup(test_update_run_link_error_recovers, setup),
        cmocka_unit_test_setup(test_update_handle_protocol_errors, setup),
        cmocka_unit_test_setup(test_update_handle_end_header_differs, setup),
        cmocka_unit_test_setup(test_update_handle_begin_clears_pending_target, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
