/*
 * The update protocol master (host/lib/update.c) against the scripted
 * fake target (fake-target.c) on a socketpair, with injected faults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "fota/meta.h"
#include "fota/proto.h"
#include "fotahost/image.h"
#include "fotahost/link.h"
#include "fotahost/update.h"
#include "fake-target.h"

#define APP_LEN (10u * 1024u + 123u)
#define IMG_LEN (IMAGE_HEADER_SIZE + APP_LEN)
#define CHUNKS(len, n) (((len) + (n) - 1u) / (n))

struct fixture {
    struct fake_dev dev;
    uint8_t img[IMG_LEN];
    struct fh_update_opts opts;
    struct fh_update_result res;
    uint32_t last_done, last_total, progress_calls;
};

static void on_progress(void *ctx, uint32_t done, uint32_t total)
{
    struct fixture *fx = ctx;

    fx->last_done = done;
    fx->last_total = total;
    fx->progress_calls++;
}

static void make_image(uint8_t *img, uint32_t slot, uint32_t seed, const uint8_t *force_sha)
{
    uint8_t bin[APP_LEN];
    struct fh_pack_opts po = { slot, IMAGE_VERSION(2, 0, 0), force_sha, 0 };
    size_t n = 0;

    fake_app_bin(bin, sizeof(bin), slot, seed);
    assert_int_equal(fh_image_pack(bin, sizeof(bin), &po, img, IMG_LEN, &n, NULL), 0);
    assert_int_equal(n, IMG_LEN);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL) {
        return -1;
    }
    fake_dev_init(&fx->dev);
    make_image(fx->img, LAYOUT_SLOT_B, 1, NULL);
    fh_update_opts_init(&fx->opts);
    /* Generous: the machine may be loaded, and a spurious timeout would
     * change the exact counts asserted below. Tests that lose a frame on
     * purpose shorten timeout_ms (short_timeouts()). */
    fx->opts.timeout_ms = 1500;
    fx->opts.long_timeout_ms = 1500;
    fx->opts.hello_timeout_ms = 500;
    fx->opts.hello_tries = 20;
    fx->opts.retries = 4;
    fx->opts.progress = on_progress;
    fx->opts.progress_ctx = fx;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* For tests that make the master wait out a lost frame: shorter than
 * setup()'s, but still far above any answer's scheduling delay on a loaded
 * machine. At 250 ms, a fake target thread starved that long under
 * `stress-ng --cpu 4` (load 12-18) produced a spurious timeout, and the
 * exact counts asserted (timeouts, retransmits, failed_type) were off. */
#define LOST_FRAME_TIMEOUT_MS 1000u

static void short_timeouts(struct fixture *fx)
{
    fx->opts.timeout_ms = LOST_FRAME_TIMEOUT_MS;
    fx->opts.hello_timeout_ms = LOST_FRAME_TIMEOUT_MS;
}

/* One link session against fx->dev: fh_update over a fresh socketpair. */
static int run(struct fixture *fx)
{
    struct fake_session s;
    struct fh_link *l = NULL;
    int fd = fake_session_start(&s, &fx->dev);
    int rc;

    assert_true(fd >= 0);
    assert_int_equal(fh_link_from_fd(fd, "fake", &l, NULL), 0);
    rc = fh_update(l, fx->img, sizeof(fx->img), &fx->opts, &fx->res);
    fh_link_close(l);
    fake_session_join(&s);
    return rc;
}

static void assert_installed(struct fixture *fx)
{
    assert_int_equal(fx->dev.end_status, FOTA_OK);
    assert_memory_equal(fx->dev.flash, fx->img, IMG_LEN);
}

static void test_fh_update_clean_link(void **state)
{
    struct fixture *fx = *state;
    const struct fh_update_stats *st = &fx->res.stats;

    assert_int_equal(run(fx), 0);
    assert_int_equal(fx->res.origin, FH_ORIGIN_NONE);
    assert_installed(fx);
    assert_int_equal(fx->dev.n_program, CHUNKS(IMG_LEN, PROTO_MAX_DATA));
    assert_int_equal(fx->dev.n_dup_data, 0);
    assert_int_equal(st->frames_sent, 1u + 1u + CHUNKS(IMG_LEN, PROTO_MAX_DATA) + 1u);
    assert_int_equal(st->frames_received, st->frames_sent);
    assert_int_equal(st->retransmits, 0);
    assert_int_equal(st->nacks, 0);
    assert_int_equal(st->timeouts, 0);
    assert_int_equal(st->data_bytes, IMG_LEN);
    assert_int_equal(st->resume_offset, 0);
    assert_int_equal(st->fresh, 0);
    assert_int_equal(fx->dev.n_fresh, 0);
    assert_int_equal(fx->last_done, IMG_LEN);
    assert_int_equal(fx->last_total, IMG_LEN);
    assert_int_equal(fx->progress_calls, 1u + CHUNKS(IMG_LEN, PROTO_MAX_DATA));
    assert_int_equal(fx->res.hello.target_slot, LAYOUT_SLOT_B);
    assert_true(st->bytes_sent > IMG_LEN);
}

static void test_fh_update_corrupted_response(void **state)
{
    struct fixture *fx = *state;

    fx->dev.corrupt_rsp = 3; /* HELLO, BEGIN, then the first DATA's answer */
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->res.stats.bad_frames, 1);
    assert_int_equal(fx->res.stats.retransmits, 1);
    assert_int_equal(fx->dev.n_dup_data, 1); /* programmed once, acknowledged twice */
    assert_int_equal(fx->dev.n_program, CHUNKS(IMG_LEN, PROTO_MAX_DATA));
}

static void test_fh_update_lost_response(void **state)
{
    struct fixture *fx = *state;

    fx->dev.lose_rsp = 5;
    short_timeouts(fx);
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    /* >=: on a loaded machine a slow answer may time out too. */
    assert_true(fx->res.stats.timeouts >= 1);
    assert_true(fx->res.stats.retransmits >= 1);
    assert_true(fx->dev.n_dup_data >= 1);
}

static void test_fh_update_lost_request(void **state)
{
    struct fixture *fx = *state;

    fx->dev.lose_req = 4;
    short_timeouts(fx);
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_true(fx->res.stats.timeouts >= 1);
    assert_true(fx->res.stats.retransmits >= 1);
}

static void test_fh_update_nack(void **state)
{
    struct fixture *fx = *state;

    fx->dev.nack_req = 3;
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->res.stats.nacks, 1);
    assert_int_equal(fx->res.stats.retransmits, 1);
    assert_int_equal(fx->res.stats.timeouts, 0);
    assert_int_equal(fx->dev.n_dup_data, 0);
}

static void test_fh_update_nack_on_begin(void **state)
{
    struct fixture *fx = *state;

    fx->dev.nack_req = 2;
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->dev.n_begin, 1);
    assert_int_equal(fx->res.stats.nacks, 1);
}

static void test_fh_update_garbage_between_frames(void **state)
{
    struct fixture *fx = *state;

    fx->dev.garbage_before_rsp = 3;
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->res.stats.retransmits, 0);
}

static void test_fh_update_disconnect_then_resume(void **state)
{
    struct fixture *fx = *state;
    int rc;

    fx->dev.disconnect_at_data = 5; /* 4 chunks programmed, the link drops on the 5th */
    rc = run(fx);
    assert_int_equal(rc, FOTA_ECONN);
    assert_int_equal(fx->res.origin, FH_ORIGIN_LINK);
    assert_int_equal(fx->res.failed_type, PROTO_T_DATA);
    assert_non_null(strstr(fx->res.msg.text, "closed"));
    assert_int_equal(fx->dev.n_program, 4);
    assert_int_equal(fx->dev.end_status, -1);

    /* Second run (a new fotactl): resumes at the target's offset. */
    rc = run(fx);
    assert_int_equal(rc, 0);
    assert_installed(fx);
    assert_int_equal(fx->dev.last_resume, 4u * PROTO_MAX_DATA);
    assert_int_equal(fx->res.stats.resume_offset, 4u * PROTO_MAX_DATA);
    assert_int_equal(fx->res.stats.data_bytes, IMG_LEN - 4u * PROTO_MAX_DATA);
    assert_int_equal(fx->res.stats.fresh, 0);
    assert_int_equal(fx->dev.n_fresh, 0);
    assert_int_equal(fx->dev.n_program, CHUNKS(IMG_LEN, PROTO_MAX_DATA));
    assert_int_equal(fx->last_done, IMG_LEN);
}

static void test_fh_update_prefix_crc_mismatch_goes_fresh(void **state)
{
    struct fixture *fx = *state;
    uint8_t other[IMG_LEN];

    /* The slot holds the first 3 KB of a different image (a power cut in an
     * earlier update of something else): same resume point, other CRC. */
    make_image(other, LAYOUT_SLOT_B, 99, NULL);
    memcpy(fx->dev.flash, other, 3u * PROTO_MAX_DATA);
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->dev.n_begin, 2);
    assert_int_equal(fx->dev.n_fresh, 1);
    assert_int_equal(fx->res.stats.fresh, 1);
    assert_int_equal(fx->res.stats.resume_offset, 0);
    assert_int_equal(fx->res.stats.data_bytes, IMG_LEN);
}

static void test_fh_update_fresh_option(void **state)
{
    struct fixture *fx = *state;

    memcpy(fx->dev.flash, fx->img, 2u * PROTO_MAX_DATA); /* resumable, but --fresh */
    fx->opts.fresh = 1;
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->dev.n_begin, 1);
    assert_int_equal(fx->dev.n_fresh, 1);
    assert_int_equal(fx->res.stats.data_bytes, IMG_LEN);
}

static void test_fh_update_image_already_complete(void **state)
{
    struct fixture *fx = *state;

    memcpy(fx->dev.flash, fx->img, IMG_LEN);
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->dev.n_data, 0);
    assert_int_equal(fx->res.stats.resume_offset, IMG_LEN);
    assert_int_equal(fx->res.stats.data_bytes, 0);
}

static void test_fh_update_small_max_data(void **state)
{
    struct fixture *fx = *state;

    fx->dev.max_data = 100;
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->dev.n_program, CHUNKS(IMG_LEN, 100u));
}

static void test_fh_update_slot_mismatch_refused_locally(void **state)
{
    struct fixture *fx = *state;

    fx->dev.target_slot = LAYOUT_SLOT_A;
    fx->dev.active_slot = LAYOUT_SLOT_B;
    assert_int_equal(run(fx), FOTA_ESLOT);
    assert_int_equal(fx->res.origin, FH_ORIGIN_LOCAL);
    assert_int_equal(fx->dev.n_begin, 0);
    assert_non_null(strstr(fx->res.msg.text, "slot B"));
    assert_non_null(strstr(fx->res.msg.text, "--force"));
}

static void test_fh_update_slot_mismatch_app_not_sent_to_update_mode(void **state)
{
    struct fixture *fx = *state;

    /* An application answers: the wrong image is refused from its HELLO,
     * and the device is never asked to leave the application. */
    fx->dev.role = PROTO_ROLE_APP;
    fx->dev.target_slot = LAYOUT_SLOT_A;
    fx->dev.active_slot = LAYOUT_SLOT_B;
    assert_int_equal(run(fx), FOTA_ESLOT);
    assert_int_equal(fx->res.origin, FH_ORIGIN_LOCAL);
    assert_int_equal(fx->dev.n_enter, 0);
    assert_int_equal(fx->dev.n_begin, 0);
    assert_int_equal(fx->dev.role, PROTO_ROLE_APP);
}

static void test_fh_update_slot_mismatch_forced_target_refuses(void **state)
{
    struct fixture *fx = *state;

    fx->dev.target_slot = LAYOUT_SLOT_A;
    fx->dev.active_slot = LAYOUT_SLOT_B;
    fx->opts.force = 1;
    assert_int_equal(run(fx), FOTA_ESLOT);
    assert_int_equal(fx->res.origin, FH_ORIGIN_TARGET);
    assert_int_equal(fx->res.target_status, FOTA_ESLOT);
    assert_int_equal(fx->res.failed_type, PROTO_T_BEGIN);
    assert_int_equal(fx->dev.n_begin, 1);
    assert_non_null(strstr(fx->res.msg.text, "ESLOT"));
}

static void test_fh_update_factory_target_takes_image_slot(void **state)
{
    struct fixture *fx = *state;

    /* No active slot: HELLO suggests A, but an image for B is fine. */
    fx->dev.active_slot = META_NO_SLOT;
    fx->dev.active_version = 0;
    fx->dev.target_slot = LAYOUT_SLOT_A;
    fx->dev.any_slot = 1;
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
}

static void test_fh_update_target_refuses_begin(void **state)
{
    struct fixture *fx = *state;

    fx->dev.begin_status = FOTA_EVERSION;
    assert_int_equal(run(fx), FOTA_EVERSION);
    assert_int_equal(fx->res.origin, FH_ORIGIN_TARGET);
    assert_non_null(strstr(fx->res.msg.text, "target refused BEGIN: EVERSION"));
    assert_int_equal(fx->dev.n_data, 0);
}

static void test_fh_update_bad_sha_refused_at_end(void **state)
{
    struct fixture *fx = *state;
    uint8_t bogus[SHA256_DIGEST_SIZE];

    memset(bogus, 0x5A, sizeof(bogus));
    make_image(fx->img, LAYOUT_SLOT_B, 1, bogus);
    assert_int_equal(run(fx), FOTA_ESHA);
    assert_int_equal(fx->res.origin, FH_ORIGIN_TARGET);
    assert_int_equal(fx->res.failed_type, PROTO_T_END);
    assert_int_equal(fx->dev.end_status, FOTA_ESHA);
}

static void test_fh_update_app_enters_update_mode(void **state)
{
    struct fixture *fx = *state;

    fx->dev.role = PROTO_ROLE_APP;
    fx->dev.boot_drop_bytes = 25; /* the first HELLO after the reset is lost */
    short_timeouts(fx);
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->dev.n_enter, 1);
    assert_true(fx->dev.n_hello >= 2);
    assert_int_equal(fx->res.hello.role, PROTO_ROLE_BOOTLOADER);
    assert_true(fx->res.stats.timeouts >= 1);
}

/* --background: the running application takes BEGIN/DATA/END; it is
 * never sent to update mode. */
static void test_fh_update_background_app_no_enter_update(void **state)
{
    struct fixture *fx = *state;

    fx->dev.role = PROTO_ROLE_APP;
    fx->dev.background = 1;
    fx->opts.background = 1;
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_int_equal(fx->dev.n_enter, 0);
    assert_int_equal(fx->dev.role, PROTO_ROLE_APP);
    assert_int_equal(fx->res.hello.role, PROTO_ROLE_APP);
}

/* --background against an application that does not serve updates: its
 * EBUSY ends the update (after the bounded restarts), no ENTER_UPDATE. */
static void test_fh_update_background_plain_app_ebusy(void **state)
{
    struct fixture *fx = *state;

    fx->dev.role = PROTO_ROLE_APP;
    fx->opts.background = 1;
    short_timeouts(fx);
    assert_int_equal(run(fx), FOTA_EBUSY);
    assert_int_equal(fx->res.origin, FH_ORIGIN_TARGET);
    assert_int_equal(fx->res.failed_type, PROTO_T_BEGIN);
    assert_int_equal(fx->dev.n_enter, 0);
    assert_int_equal(fx->dev.n_data, 0);
}

static void test_fh_update_enter_update_response_lost(void **state)
{
    struct fixture *fx = *state;

    fx->dev.role = PROTO_ROLE_APP;
    fx->dev.lose_rsp = 2; /* the app "resets" before its answer leaves */
    short_timeouts(fx);
    assert_int_equal(run(fx), 0);
    assert_installed(fx);
    assert_true(fx->dev.n_enter >= 1);
}

static void test_fh_update_begin_answer_lost_app_rebooted(void **state)
{
    struct fixture *fx = *state;
    const uint32_t have = 4u * PROTO_MAX_DATA;

    /* A resumable prefix, then BEGIN's answer is lost and the bootloader
     * gives up (idle timeout): the old application answers the retries. */
    memcpy(fx->dev.flash, fx->img, have);
    fx->dev.reboot_app_rsp = 2; /* HELLO, BEGIN */
    fx->dev.reboot_slot = LAYOUT_SLOT_A;
    fx->dev.reboot_version = IMAGE_VERSION(1, 0, 0);
    short_timeouts(fx);
    fx->opts.long_timeout_ms = LOST_FRAME_TIMEOUT_MS;
    assert_int_equal(run(fx), 0);
    assert_int_equal(fx->res.origin, FH_ORIGIN_NONE);
    assert_installed(fx);
    assert_int_equal(fx->res.stats.restarts, 1);
    assert_int_equal(fx->dev.n_enter, 1);
    assert_true(fx->dev.n_begin >= 3); /* lost, EBUSY from the app, resumed */
    assert_int_equal(fx->dev.n_fresh, 0);
    assert_int_equal(fx->res.stats.resume_offset, have);
    assert_int_equal(fx->dev.n_program, CHUNKS(IMG_LEN, PROTO_MAX_DATA) - 4u);
    assert_int_equal(fx->res.hello.role, PROTO_ROLE_BOOTLOADER);
}

static void test_fh_update_end_answer_lost_device_in_trial(void **state)
{
    struct fixture *fx = *state;

    /* END verifies and commits, its answer is lost, the bootloader resets
     * into the trial of v2.0.0 in slot B, which answers the retries. */
    fx->dev.reboot_app_rsp = 2u + CHUNKS(IMG_LEN, PROTO_MAX_DATA) + 1u; /* HELLO, BEGIN, DATA..., END */
    fx->dev.reboot_slot = LAYOUT_SLOT_B;
    fx->dev.reboot_version = IMAGE_VERSION(2, 0, 0);
    short_timeouts(fx);
    fx->opts.long_timeout_ms = LOST_FRAME_TIMEOUT_MS;
    assert_int_equal(run(fx), 0);
    assert_int_equal(fx->res.origin, FH_ORIGIN_NONE);
    assert_installed(fx);
    assert_int_equal(fx->dev.n_end, 2); /* committed, then EBUSY from the new image */
    assert_int_equal(fx->dev.role, PROTO_ROLE_APP);
    assert_int_equal(fx->dev.n_enter, 0);
    assert_int_equal(fx->res.stats.restarts, 0);
    assert_non_null(strstr(fx->res.msg.text, "END's answer was lost"));
    assert_non_null(strstr(fx->res.msg.text, "v2.0.0 from slot B in trial"));
}

static void test_fh_update_begin_busy_bootloader_not_restarted(void **state)
{
    struct fixture *fx = *state;

    /* The bootloader itself answers EBUSY: no going round in circles. */
    fx->dev.begin_status = FOTA_EBUSY;
    short_timeouts(fx);
    assert_int_equal(run(fx), FOTA_EBUSY);
    assert_int_equal(fx->res.origin, FH_ORIGIN_TARGET);
    assert_int_equal(fx->res.failed_type, PROTO_T_BEGIN);
    assert_int_equal(fx->res.stats.restarts, 0); /* HELLO shows the bootloader: no restart */
}

static void test_fh_update_no_answer_times_out(void **state)
{
    struct fixture *fx = *state;
    struct fh_link *l = NULL;
    int sv[2];

    (void)fx;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(fh_link_from_fd(sv[0], "mute", &l, NULL), 0);
    fx->opts.hello_tries = 3;
    fx->opts.hello_timeout_ms = 50;
    assert_int_equal(fh_update(l, fx->img, IMG_LEN, &fx->opts, &fx->res), FOTA_ETIMEOUT);
    assert_int_equal(fx->res.origin, FH_ORIGIN_LINK);
    assert_int_equal(fx->res.stats.frames_sent, 3);
    assert_int_equal(fx->res.stats.timeouts, 3);
    assert_int_equal(fx->res.stats.retransmits, 2);
    assert_non_null(strstr(fx->res.msg.text, "HELLO"));
    fh_link_close(l);
    close(sv[1]);
}

static void test_fh_update_data_retry_budget_spent(void **state)
{
    struct fixture *fx = *state;

    /* No retransmissions allowed, and the first DATA's answer is lost. */
    fx->opts.retries = 0;
    fx->dev.lose_rsp = 3;
    short_timeouts(fx);
    assert_int_equal(run(fx), FOTA_ETIMEOUT);
    assert_int_equal(fx->res.origin, FH_ORIGIN_LINK);
    assert_int_equal(fx->res.failed_type, PROTO_T_DATA);
    assert_int_equal(fx->res.stats.retransmits, 0);
    assert_int_equal(fx->res.stats.timeouts, 1);
    assert_non_null(strstr(fx->res.msg.text, "offset 0"));
}

static void test_fh_update_peer_closed(void **state)
{
    struct fixture *fx = *state;
    struct fh_link *l = NULL;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    assert_int_equal(fh_link_from_fd(sv[0], "closed", &l, NULL), 0);
    assert_int_equal(fh_update(l, fx->img, IMG_LEN, &fx->opts, &fx->res), FOTA_ECONN);
    assert_int_equal(fx->res.origin, FH_ORIGIN_LINK);
    fh_link_close(l);
}

static void test_fh_update_rejects_bad_arguments(void **state)
{
    struct fixture *fx = *state;
    struct fh_link *l = NULL;
    int sv[2];

    assert_int_equal(fh_update(NULL, fx->img, IMG_LEN, &fx->opts, NULL), FOTA_EINVAL);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(fh_link_from_fd(sv[0], "x", &l, NULL), 0);
    assert_int_equal(fh_update(l, fx->img, IMAGE_HEADER_SIZE, &fx->opts, &fx->res), FOTA_EINVAL);
    assert_int_equal(fx->res.origin, FH_ORIGIN_LOCAL);
    proto_put_u32(fx->img + 0x0C, 0x08000000u); /* load address: not a slot */
    assert_int_equal(fh_update(l, fx->img, IMG_LEN, &fx->opts, &fx->res), FOTA_EINVAL);
    assert_int_equal(fx->res.stats.frames_sent, 0);
    fh_link_close(l);
    close(sv[1]);
}

static void test_fh_hello_reports_target(void **state)
{
    struct fixture *fx = *state;
    struct fake_session s;
    struct fh_link *l = NULL;
    struct fh_hello h;
    int fd;

    fx->dev.active_version = IMAGE_VERSION(1, 2, 3);
    fx->dev.max_data = 512;
    fx->dev.lose_req = 1; /* first HELLO lost: retried */
    short_timeouts(fx);
    fd = fake_session_start(&s, &fx->dev);
    assert_true(fd >= 0);
    assert_int_equal(fh_link_from_fd(fd, "fake", &l, NULL), 0);
    assert_int_equal(fh_hello(l, &fx->opts, &h, &fx->res), 0);
    fh_link_close(l);
    fake_session_join(&s);
    assert_int_equal(h.proto_version, PROTO_VERSION);
    assert_int_equal(h.role, PROTO_ROLE_BOOTLOADER);
    assert_int_equal(h.active_slot, LAYOUT_SLOT_A);
    assert_int_equal(h.active_version, IMAGE_VERSION(1, 2, 3));
    assert_int_equal(h.target_slot, LAYOUT_SLOT_B);
    assert_int_equal(h.max_data, 512);
    assert_int_equal(h.slot_size, LAYOUT_SLOT_SIZE);
    assert_true(fx->res.stats.retransmits >= 1);
    assert_string_equal(fh_role_name(h.role), "bootloader");
    assert_string_equal(fh_role_name(PROTO_ROLE_APP), "app");
    assert_string_equal(fh_role_name(77), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fh_update_clean_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_corrupted_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_lost_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_lost_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_nack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_nack_on_begin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_garbage_between_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_disconnect_then_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_prefix_crc_mismatch_goes_fresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_fresh_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_image_already_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_small_max_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_slot_mismatch_refused_locally, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_slot_mismatch_app_not_sent_to_update_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_slot_mismatch_forced_target_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_factory_target_takes_image_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_target_refuses_begin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_bad_sha_refused_at_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_app_enters_update_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_background_app_no_enter_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_background_plain_app_ebusy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_enter_update_response_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_begin_answer_lost_app_rebooted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_end_answer_lost_device_in_trial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_begin_busy_bootloader_not_restarted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_no_answer_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_data_retry_budget_spent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_peer_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_rejects_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_hello_reports_target, setup, teardown),
    };

    (void)signal(SIGPIPE, SIG_IGN); /* the fake target writes to closed links */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
