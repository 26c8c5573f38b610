/*
 * End to end: the update master (libfotahost) against the REAL bootloader
 * (core boot_main + update receiver) on the sim port, over a socketpair.
 *
 * The sim device runs in its own thread (the sim is single-device and uses
 * longjmp to leave the core, all within that thread). Its link idle hook
 * bridges the sim's in-memory link to the socket and is where this test
 * injects faults: a corrupted byte on the wire, a power cut at the Nth
 * slot program.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fota/proto.h"
#include "fotahost/image.h"
#include "fotahost/link.h"
#include "fotahost/sign.h"
#include "fotahost/update.h"
#include "fake-target.h"
#include "sim.h"

#define APP_LEN (9u * 1024u + 300u)
#define IMG_LEN (IMAGE_HEADER_SIZE + APP_LEN + FH_SIGN_TLV_MAX) /* signed with the test key */

struct device {
    int fd;                   /* the target's end of the socketpair */
    pthread_t thread;
    enum sim_exit exit;       /* how the first sim_boot() ended */
    uint32_t cut_at_program;  /* cut power at this slot program (1-based), 0 = never */
    enum sim_torn torn;
    int armed;
    uint32_t corrupt_at;      /* flip a bit of this host->target byte (1-based), 0 = never */
    uint32_t rx_total;
};

static void flush_tx(struct device *d)
{
    uint8_t buf[256];
    uint32_t n;

    while ((n = sim_link_host_recv(buf, sizeof(buf))) > 0) {
        (void)!write(d->fd, buf, n);
    }
}

static uint32_t slot_programs(void)
{
    const struct sim_op *log;
    uint32_t n, i, c = 0;

    log = sim_op_log(&n);
    for (i = 0; i < n; i++) {
        if (log[i].kind == SIM_OP_PROGRAM && log[i].addr >= LAYOUT_SLOT_A_ADDR) {
            c++;
        }
    }
    return c;
}

/* port_link_read() found nothing queued: move bytes between the sim and the socket. */
static int bridge(void *ctx)
{
    struct device *d = ctx;
    struct pollfd p = { .fd = d->fd, .events = POLLIN, .revents = 0 };
    uint8_t buf[512];
    ssize_t n, i;

    flush_tx(d);
    if (d->cut_at_program != 0 && !d->armed && slot_programs() + 1u == d->cut_at_program) {
        sim_fault_cut(sim_ops() + 1u, d->torn); /* the next operation is that DATA's program */
        d->armed = 1;
    }
    if (poll(&p, 1, 20) <= 0) {
        return 0;
    }
    n = read(d->fd, buf, sizeof(buf));
    if (n <= 0) {
        return 1; /* the master closed the link: stop */
    }
    for (i = 0; i < n; i++) {
        d->rx_total++;
        if (d->rx_total == d->corrupt_at) {
            buf[i] ^= 0x10u;
        }
    }
    sim_link_host_send(buf, (uint32_t)n);
    return 0;
}

static void *device_main(void *arg)
{
    struct device *d = arg;

    sim_link_set_idle_hook(bridge, d);
    d->exit = sim_boot();
    flush_tx(d); /* END's answer is queued just before the reset */
    sim_link_set_idle_hook(NULL, NULL);
    (void)shutdown(d->fd, SHUT_RDWR);
    (void)close(d->fd);
    return NULL;
}

static struct fh_link *device_start(struct device *d)
{
    struct fh_link *l = NULL;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    d->fd = sv[1];
    d->armed = 0;
    d->rx_total = 0;
    assert_int_equal(pthread_create(&d->thread, NULL, device_main, d), 0);
    assert_int_equal(fh_link_from_fd(sv[0], "sim", &l, NULL), 0);
    return l;
}

static void device_join(struct device *d, struct fh_link *l)
{
    fh_link_close(l);
    assert_int_equal(pthread_join(d->thread, NULL), 0);
}

struct fixture {
    struct device dev;
    uint8_t img[IMG_LEN];
    struct fh_update_opts opts;
    struct fh_update_result res;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    uint8_t bin[APP_LEN];
    struct fh_pack_opts po = { LAYOUT_SLOT_A, IMAGE_VERSION(2, 0, 0), NULL, 0 };
    size_t n = 0;

    if (fx == NULL) {
        return -1;
    }
    fake_app_bin(bin, sizeof(bin), LAYOUT_SLOT_A, 42);
    if (fh_image_pack(bin, sizeof(bin), &po, fx->img, sizeof(fx->img), &n, NULL) != 0 ||
        fh_image_sign(fx->img, n, sizeof(fx->img), "keys/test-ecdsa-p256.pem", 1, &n, NULL) != 0 || n != IMG_LEN) {
        free(fx);
        return -1;
    }
    fh_update_opts_init(&fx->opts);
    fx->opts.timeout_ms = 1500; /* the machine may be loaded: no spurious timeouts */
    fx->opts.long_timeout_ms = 3000;
    fx->opts.hello_timeout_ms = 300;
    fx->opts.hello_tries = 20;
    sim_init(); /* factory-fresh device: flash all 0xFF, no metadata: recovery update mode */
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static int update_once(struct fixture *fx)
{
    struct fh_link *l = device_start(&fx->dev);
    int rc = fh_update(l, fx->img, IMG_LEN, &fx->opts, &fx->res);

    device_join(&fx->dev, l);
    return rc;
}

/* The slot holds the image, and the bootloader boots it for trial. */
static void assert_installed_and_boots(struct fixture *fx)
{
    assert_memory_equal(sim_flash() + (LAYOUT_SLOT_A_ADDR - LAYOUT_FLASH_BASE), fx->img, IMG_LEN);
    assert_true(sim_console_has_line("BL: update done slot=A version=2.0.0: OK"));
    sim_link_set_idle_hook(NULL, NULL);
    assert_int_equal(sim_boot(), SIM_EXIT_JUMP);
    assert_int_equal(sim_jump_vectors(), LAYOUT_APP_VECTORS(LAYOUT_SLOT_A));
    assert_true(sim_console_has_line("BL: trial slot=A version=2.0.0"));
}

static void test_fh_update_e2e_recovery_install(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(update_once(fx), 0);
    assert_int_equal(fx->dev.exit, SIM_EXIT_RESET); /* END ok: the target resets */
    assert_int_equal(fx->res.hello.role, PROTO_ROLE_BOOTLOADER);
    assert_int_equal(fx->res.hello.active_slot, META_NO_SLOT);
    assert_int_equal(fx->res.hello.max_data, PROTO_MAX_DATA);
    assert_int_equal(fx->res.stats.nacks, 0);
    assert_int_equal(fx->res.stats.bad_frames, 0);
    assert_int_equal(fx->res.stats.data_bytes, IMG_LEN);
    /* One program per DATA payload (docs/ARCHITECTURE.md). */
    assert_int_equal(slot_programs(), (IMG_LEN + PROTO_MAX_DATA - 1u) / PROTO_MAX_DATA);
    assert_installed_and_boots(fx);
}

static void test_fh_update_e2e_corrupted_byte_nacked(void **state)
{
    struct fixture *fx = *state;

    fx->dev.corrupt_at = 3000; /* inside the third DATA frame */
    assert_int_equal(update_once(fx), 0);
    assert_true(fx->res.stats.nacks >= 1);
    assert_true(fx->res.stats.retransmits >= 1);
    assert_installed_and_boots(fx);
}

static void test_fh_update_e2e_power_cut_then_resume(void **state)
{
    struct fixture *fx = *state;
    int rc;

    fx->dev.cut_at_program = 4;
    fx->dev.torn = SIM_TORN_NONE;
    rc = update_once(fx);
    assert_int_equal(fx->dev.exit, SIM_EXIT_POWER_CUT);
    assert_true(rc == FOTA_ECONN || rc == FOTA_ETIMEOUT);
    assert_int_equal(fx->res.origin, FH_ORIGIN_LINK);

    /* Power back on: recovery again; the next run resumes after 3 chunks. */
    fx->dev.cut_at_program = 0;
    sim_power_cycle();
    sim_fault_clear();
    sim_ops_reset();
    assert_int_equal(update_once(fx), 0);
    assert_int_equal(fx->res.stats.resume_offset, 3u * PROTO_MAX_DATA);
    assert_int_equal(fx->res.stats.fresh, 0);
    assert_int_equal(fx->res.stats.data_bytes, IMG_LEN - 3u * PROTO_MAX_DATA);
    {
        char line[96];

        snprintf(line, sizeof(line), "BL: update begin slot=A version=2.0.0 size=%u resume=%u",
                 (unsigned)IMG_LEN, 3u * PROTO_MAX_DATA);
        assert_true(sim_console_has_line(line));
    }
    assert_installed_and_boots(fx);
}

static void test_fh_update_e2e_torn_program_goes_fresh(void **state)
{
    struct fixture *fx = *state;

    fx->dev.cut_at_program = 4;
    fx->dev.torn = SIM_TORN_HALF; /* half of chunk 4 reached the cells */
    (void)update_once(fx);
    assert_int_equal(fx->dev.exit, SIM_EXIT_POWER_CUT);

    fx->dev.cut_at_program = 0;
    sim_power_cycle();
    sim_fault_clear();
    sim_ops_reset();
    assert_int_equal(update_once(fx), 0);
    /* The target offers to resume after the torn chunk; its CRC is not
     * ours, so the master starts over. */
    assert_int_equal(fx->res.stats.fresh, 1);
    assert_int_equal(fx->res.stats.resume_offset, 0);
    assert_int_equal(fx->res.stats.data_bytes, IMG_LEN);
    assert_installed_and_boots(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fh_update_e2e_recovery_install, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_e2e_corrupted_byte_nacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_e2e_power_cut_then_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_update_e2e_torn_program_goes_fresh, setup, teardown),
    };

    (void)signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
