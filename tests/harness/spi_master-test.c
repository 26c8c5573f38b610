/**
 * @file spi_master-test.c
 * @brief Unit tests of the SPI master side of fota-f407's SPI1 slave
 * chardev (harness/target/spi_master.c) against a scripted slave on the
 * other end of a socketpair: what a transfer writes, MISO and READY from
 * the answer, READY changes before it, a READY sample, a closed or silent
 * slave, a byte outside the protocol.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fota/errors.h"
#include "target/spi_master.h"

struct fix {
    struct hil_spim m;
    int peer;
};

static int setup(void **state)
{
    static struct fix f;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        return -1;
    }
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    hil_spim_init(&f.m, sv[0]);
    f.peer = sv[1];
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    if (f->m.fd >= 0) {
        close(f->m.fd);
    }
    if (f->peer >= 0) {
        close(f->peer);
    }
    return 0;
}

static void slave_says(struct fix *f, const void *p, size_t n)
{
    assert_int_equal(write(f->peer, p, n), (ssize_t)n);
}

/* What the master wrote so far. */
static size_t master_wrote(struct fix *f, uint8_t *buf, size_t cap)
{
    fcntl(f->peer, F_SETFL, fcntl(f->peer, F_GETFL) | O_NONBLOCK);
    ssize_t n = read(f->peer, buf, cap);
    return n > 0 ? (size_t)n : 0;
}

static void test_hil_spim_xfer_clocks_and_reads_ready(void **state)
{
    struct fix *f = *state;
    static const uint8_t answer[] = { 'b', 3, 0, 0xA5, 0x5A, 0x01, 'R', 1 };
    static const uint8_t want[] = { 'S', 'B', 3, 0, 0x11, 0x22, 0x33, 'E', 'Q' };
    const uint8_t mosi[3] = { 0x11, 0x22, 0x33 };
    uint8_t miso[3], out[32];
    bool ready = false;
    slave_says(f, answer, sizeof(answer));
    assert_int_equal(hil_spim_xfer(&f->m, mosi, miso, 3, 1000, &ready), 0);
    assert_memory_equal(miso, answer + 3, 3);
    assert_true(ready);
    assert_int_equal(f->m.rises, 1);
    assert_int_equal(f->m.clocked, 3);
    assert_int_equal(master_wrote(f, out, sizeof(out)), sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
}

/* An 'R' before the 'b' is a change during the transfer, not the answer to 'Q'. */
static void test_hil_spim_xfer_ready_change_before_answer(void **state)
{
    struct fix *f = *state;
    static const uint8_t answer[] = { 'R', 1, 'b', 1, 0, 0x42, 'R', 0 };
    uint8_t miso = 0;
    bool ready = true;
    slave_says(f, answer, sizeof(answer));
    assert_int_equal(hil_spim_xfer(&f->m, (const uint8_t *)"\x00", &miso, 1, 1000, &ready), 0);
    assert_int_equal(miso, 0x42);
    assert_false(ready);
    assert_int_equal(f->m.rises, 1);
}

static void test_hil_spim_xfer_zero_samples_ready(void **state)
{
    struct fix *f = *state;
    uint8_t out[8];
    bool ready = false;
    slave_says(f, "R\x01", 2);
    assert_int_equal(hil_spim_xfer(&f->m, NULL, NULL, 0, 1000, &ready), 0);
    assert_true(ready);
    assert_int_equal(master_wrote(f, out, sizeof(out)), 1);
    assert_int_equal(out[0], 'Q');
}

static void test_hil_spim_xfer_closed_reads_floating(void **state)
{
    struct fix *f = *state;
    uint8_t miso[2] = { 0, 0 };
    bool ready = true;
    close(f->peer);
    f->peer = -1;
    int rc = hil_spim_xfer(&f->m, (const uint8_t *)"\x01\x02", miso, 2, 1000, &ready);
    assert_true(rc == FOTA_ECONN || rc == FOTA_EIO);
    assert_int_equal(miso[0], 0xFF);
    assert_int_equal(miso[1], 0xFF);
    assert_false(ready);
}

static void test_hil_spim_xfer_silent_slave_times_out(void **state)
{
    struct fix *f = *state;
    bool ready;
    assert_int_equal(hil_spim_xfer(&f->m, NULL, NULL, 0, 50, &ready), FOTA_ETIMEOUT);
    assert_int_equal(hil_spim_xfer(&f->m, NULL, NULL, HIL_SPIM_MAX + 1, 50, &ready), FOTA_EINVAL);
}

static void test_hil_spim_service_reports_ready(void **state)
{
    struct fix *f = *state;
    assert_int_equal(hil_spim_service(&f->m), 0); /* nothing there: no wait */
    slave_says(f, "R\x01R\x00R\x01", 6);
    assert_int_equal(hil_spim_service(&f->m), 0);
    assert_true(f->m.ready);
    assert_int_equal(f->m.rises, 2);
}

/* The fall after an answer and the next answer's rise in one read: the
 * level is unchanged, the rise is still reported (the stall under load,
 * issue 11: the old level comparison reported nothing, so the harness
 * never clocked the answer out and the hold ran out its 3000 ms). */
static void test_hil_spim_ready_change_reports_a_rise_hidden_by_a_fall(void **state)
{
    struct fix *f = *state;
    bool was = f->m.ready;
    slave_says(f, "R\x01", 2);
    assert_int_equal(hil_spim_service(&f->m), 0);
    assert_int_equal(hil_spim_ready_change(&f->m, was), 1);
    was = f->m.ready;
    slave_says(f, "R\x00R\x01", 4);
    assert_int_equal(hil_spim_service(&f->m), 0);
    assert_true(f->m.ready);
    assert_int_equal(hil_spim_ready_change(&f->m, was), 1);
    assert_int_equal(hil_spim_ready_change(&f->m, f->m.ready), -1); /* told once */
    was = f->m.ready;
    slave_says(f, "R\x01", 2); /* the answer to 'Q': no edge */
    assert_int_equal(hil_spim_service(&f->m), 0);
    assert_int_equal(hil_spim_ready_change(&f->m, was), -1);
    slave_says(f, "R\x00", 2);
    assert_int_equal(hil_spim_service(&f->m), 0);
    assert_int_equal(hil_spim_ready_change(&f->m, was), 0);
    slave_says(f, "R\x01R\x00", 4); /* rose and fell unclocked (a reset): low, was low */
    assert_int_equal(hil_spim_service(&f->m), 0);
    assert_int_equal(hil_spim_ready_change(&f->m, false), -1);
}

static void test_hil_spim_service_protocol_errors(void **state)
{
    struct fix *f = *state;
    bool ready;
    slave_says(f, "b\x01\x00\x42", 4); /* a late answer: dropped, counted */
    assert_int_equal(hil_spim_service(&f->m), 0);
    assert_int_equal(f->m.stray, 1);
    slave_says(f, "x", 1);
    assert_int_equal(hil_spim_service(&f->m), FOTA_EPROTO);
    assert_int_equal(f->m.in_len, 0); /* dropped: the next message starts clean */
    slave_says(f, "b\x02\x00\x42\x43R\x00", 7); /* the wrong length */
    assert_int_equal(hil_spim_xfer(&f->m, (const uint8_t *)"\x01", NULL, 1, 200, &ready), FOTA_EPROTO);
    close(f->peer);
    f->peer = -1;
    f->m.in_len = 0;
    assert_int_equal(hil_spim_service(&f->m), FOTA_ECONN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hil_spim_xfer_clocks_and_reads_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_spim_xfer_ready_change_before_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_spim_xfer_zero_samples_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_spim_xfer_closed_reads_floating, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_spim_xfer_silent_slave_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_spim_service_reports_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_spim_ready_change_reports_a_rise_hidden_by_a_fall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_spim_service_protocol_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
