/*
 * The AN4221 (I2C) ROM master (host/lib/an4221.c) and its links
 * (host/lib/link_i2c.c) against scripted i2c-emu answers: the answers of
 * an exchange are queued on a socketpair before the master runs (i2c-emu
 * is request/answer, in order, so a queued answer is the next one read),
 * and the requests it sent are read back and compared afterwards. No
 * thread, no timing but the one test of a late answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "fotahost/link.h"
#include "fotahost/rom.h"

static int peer = -1;            /* the rig's end */
static int mine = -1;            /* the master's end (its link works on a duplicate) */
static struct fh_link *link_;    /* the master's i2c-emu link */
static struct fh_rom rom;

static int setup(void **state)
{
    (void)state;
    int sv[2];
    char spec[32];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return -1;
    }
    peer = sv[1];
    mine = sv[0];
    snprintf(spec, sizeof(spec), "i2c-emu:fd:%d", sv[0]);
    if (fh_link_open(spec, 0, &link_, NULL) != 0) {
        return -1;
    }
    fh_rom_init(&rom, &fh_an4221_ops, link_);
    rom.timeout_ms = 200;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fh_link_close(link_);
    close(mine);
    close(peer);
    return 0;
}

/* Queue one i2c-emu answer: status, n, and n data bytes (a read's). */
static void answer(uint8_t status, size_t n, const uint8_t *data)
{
    uint8_t h[4] = { 'a', status, (uint8_t)n, (uint8_t)(n >> 8) };
    assert_int_equal(write(peer, h, 4), 4);
    if (data != NULL && n > 0) {
        assert_int_equal(write(peer, data, n), (ssize_t)n);
    }
}

static void ans_write_ok(size_t n)
{
    answer(0, n, NULL);
}

static void ans_byte(uint8_t b)
{
    answer(0, 1, &b);
}

/* The requests the master sent, as they are. @return their length. */
static size_t sent(uint8_t *buf, size_t cap)
{
    size_t have = 0;
    struct timeval tv = { .tv_sec = 0, .tv_usec = 50000 };
    setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    for (;;) {
        ssize_t n = read(peer, buf + have, cap - have);
        if (n <= 0) {
            return have;
        }
        have += (size_t)n;
    }
}

static void test_an4221_sync_is_get_version(void **state)
{
    (void)state;
    struct fh_msg m = { { 0 } };
    ans_write_ok(2);           /* 0x01 0xFE */
    ans_byte(FH_ROM_ACK);
    ans_byte(0x10);            /* protocol v1.0 */
    ans_byte(FH_ROM_ACK);
    assert_int_equal(fh_an4221_ops.sync(&rom, &m), 0);
    uint8_t req[64];
    static const uint8_t want[] = { 'W', 0x39, 2, 0, 0x01, 0xFE, 'R', 0x39, 1, 0, 'R', 0x39, 1, 0,
                                    'R', 0x39, 1, 0 };
    assert_int_equal(sent(req, sizeof(req)), sizeof(want));
    assert_memory_equal(req, want, sizeof(want));
}

/* A busy ROM: its address NACKed, then BUSY 0x76, then the ACK. */
static void test_an4221_wait_ack_polls_busy(void **state)
{
    (void)state;
    struct fh_msg m = { { 0 } };
    uint16_t pid = 0;
    uint8_t id[3] = { 1, 0x04, 0x13 };
    ans_write_ok(2);
    answer(1, 0, NULL);        /* address NACK: not ready */
    ans_byte(FH_ROM_BUSY);
    ans_byte(FH_ROM_ACK);
    answer(0, 3, id);
    ans_byte(FH_ROM_ACK);
    assert_int_equal(fh_an4221_ops.get_id(&rom, &pid, &m), 0);
    assert_int_equal(pid, 0x0413);
    assert_int_equal(rom.busy_polls, 2);
}

static void test_an4221_nack_is_eproto(void **state)
{
    (void)state;
    struct fh_msg m = { { 0 } };
    uint8_t buf[4];
    ans_write_ok(2);
    ans_byte(FH_ROM_NACK);
    assert_int_equal(fh_an4221_ops.read(&rom, 0x08000000u, buf, 4, &m), FOTA_EPROTO);
    assert_int_equal(rom.nacks, 1);
    assert_non_null(strstr(m.text, "NACK"));
}

/* AN4221 3.8: N + XOR as a frame, ACKed, then the list + its XOR. */
static void test_an4221_erase_sends_n_then_list(void **state)
{
    (void)state;
    struct fh_msg m = { { 0 } };
    uint16_t sectors[2] = { 8, 9 };
    ans_write_ok(2);
    ans_byte(FH_ROM_ACK);
    ans_write_ok(3);
    ans_byte(FH_ROM_ACK);
    ans_write_ok(5);
    ans_byte(FH_ROM_ACK);
    assert_int_equal(fh_an4221_ops.erase(&rom, sectors, 2, &m), 0);
    uint8_t req[128];
    size_t n = sent(req, sizeof(req));
    static const uint8_t n_frame[] = { 'W', 0x39, 3, 0, 0x00, 0x01, 0x01 };
    static const uint8_t list[] = { 'W', 0x39, 5, 0, 0x00, 8, 0x00, 9, 0x01 };
    assert_int_equal(n, 6 + 4 + sizeof(n_frame) + 4 + sizeof(list) + 4);
    assert_memory_equal(req + 10, n_frame, sizeof(n_frame));
    assert_memory_equal(req + 10 + sizeof(n_frame) + 4, list, sizeof(list));
}

/* An erase whose final ACK never comes: the address stays NACKed until
 * the erase timeout. */
static void test_an4221_erase_without_ack_times_out(void **state)
{
    (void)state;
    struct fh_msg m = { { 0 } };
    uint16_t s8 = 8;
    rom.erase_timeout_ms = 30;
    ans_write_ok(2);
    ans_byte(FH_ROM_ACK);
    ans_write_ok(3);
    ans_byte(FH_ROM_ACK);
    ans_write_ok(3);
    static uint8_t nacks[400][4];          /* queued in one write: small writes fill the socket */
    for (size_t i = 0; i < 400; i++) {
        memcpy(nacks[i], ((uint8_t[]){ 'a', 1, 0, 0 }), 4);
    }
    assert_int_equal(write(peer, nacks, sizeof(nacks)), (ssize_t)sizeof(nacks));
    assert_int_equal(fh_an4221_ops.erase(&rom, &s8, 1, &m), FOTA_ETIMEOUT);
    assert_non_null(strstr(m.text, "no ACK within 30 ms"));
}

static void test_an4221_data_nack_on_write(void **state)
{
    (void)state;
    struct fh_msg m = { { 0 } };
    uint8_t data[128];
    memset(data, 0xA5, sizeof(data));
    ans_write_ok(2);
    ans_byte(FH_ROM_ACK);
    ans_write_ok(5);
    ans_byte(FH_ROM_ACK);
    answer(2, 127, NULL);      /* byte 128 of the 130-byte frame NACKed */
    assert_int_equal(fh_an4221_ops.write(&rom, 0x08080000u, data, sizeof(data), &m), FOTA_EPROTO);
    assert_non_null(strstr(m.text, "NACKed byte 128"));
}

/* Malformed answers: a clear error, never a crash. */
static void test_an4221_malformed_answers(void **state)
{
    (void)state;
    struct fh_msg m = { { 0 } };
    uint16_t pid = 0;
    static const uint8_t wrong_type[] = { 'x', 0, 2, 0 };
    assert_int_equal(write(peer, wrong_type, 4), 4);
    assert_int_equal(fh_an4221_ops.get_id(&rom, &pid, &m), FOTA_EPROTO);
    ans_write_ok(2);
    ans_byte(FH_ROM_ACK);
    uint8_t two[2] = { 1, 4 };
    answer(0, 2, two);         /* 2 bytes for a read of 3 */
    assert_int_equal(fh_an4221_ops.get_id(&rom, &pid, &m), FOTA_EPROTO);
    answer(3, 0, NULL);        /* the rig called the request malformed */
    assert_int_equal(fh_an4221_ops.get_id(&rom, &pid, &m), FOTA_EINVAL);
    answer(9, 0, NULL);        /* no such status */
    assert_int_equal(fh_an4221_ops.get_id(&rom, &pid, &m), FOTA_EPROTO);
    close(peer);               /* the rig went away */
    peer = -1;
    assert_int_equal(fh_an4221_ops.get_id(&rom, &pid, &m), FOTA_ECONN);
    peer = open("/dev/null", O_RDONLY);
}

/* An answer later than 5 s is owed: skipped before the next transaction. */
static void test_fh_link_i2c_xfer_late_answer_skipped(void **state)
{
    (void)state;
    uint8_t b = 0;
    assert_int_equal(fh_link_i2c_xfer(link_, 0x39, true, &b, 1, NULL), FOTA_ETIMEOUT);
    uint8_t late = 0x11;
    answer(0, 1, &late);       /* the late answer */
    ans_byte(0x22);            /* the next one's */
    assert_int_equal(fh_link_i2c_xfer(link_, 0x39, true, &b, 1, NULL), 0);
    assert_int_equal(b, 0x22);
}

static void test_fh_link_i2c_bad_use(void **state)
{
    (void)state;
    struct fh_link *l = NULL;
    struct fh_msg m = { { 0 } };
    uint8_t b = 0;
    size_t got = 0;
    assert_int_equal(fh_link_i2c_xfer(link_, 0x80, true, &b, 1, NULL), FOTA_EINVAL);
    assert_int_equal(fh_link_i2c_xfer(link_, 0x39, true, &b, 0, NULL), FOTA_EINVAL);
    assert_int_equal(fh_link_i2c_xfer(link_, 0x39, false, NULL, 4, NULL), FOTA_EINVAL);
    assert_int_equal(fh_link_i2c_xfer(link_, 0x39, false, &b, FH_I2C_MAX_LEN + 1u, NULL), FOTA_EINVAL);
    assert_int_equal(fh_link_read(link_, &b, 1, 0, &got), FOTA_ENOTSUP);
    assert_int_equal(fh_link_write(link_, &b, 1), FOTA_ENOTSUP);
    assert_int_equal(fh_link_open("i2c-dev:", 0, &l, &m), FOTA_EINVAL);
    assert_int_equal(fh_link_open("i2c-emu:i2c-emu:fd:3", 0, &l, &m), FOTA_EINVAL);
    assert_int_equal(fh_link_open("i2c-dev:/nonexistent/i2c-9", 0, &l, &m), FOTA_EIO);
    assert_non_null(strstr(m.text, "/nonexistent/i2c-9"));
    assert_int_equal(fh_link_open("i2c-dev:/dev/null", 0, &l, &m), FOTA_EIO); /* not an adapter */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(fh_link_from_fd(sv[0], "sp", &l, NULL), 0);
    assert_int_equal(fh_link_i2c_xfer(l, 0x39, true, &b, 1, NULL), FOTA_EINVAL); /* not an I2C link */
    struct fh_rom r;
    fh_rom_init(&r, &fh_an4221_ops, l);
    assert_int_equal(fh_an4221_ops.sync(&r, &m), FOTA_EINVAL);
    assert_non_null(strstr(m.text, "not an I2C link"));
    fh_link_close(l);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an4221_sync_is_get_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an4221_wait_ack_polls_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an4221_nack_is_eproto, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an4221_erase_sends_n_then_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an4221_erase_without_ack_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an4221_data_nack_on_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an4221_malformed_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_link_i2c_xfer_late_answer_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_link_i2c_bad_use, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
