/**
 * @file rsp-test.c
 * @brief Unit tests of the GDB RSP client (harness/target/rsp.c) against a
 * scripted stub on the other end of a socketpair: framing, checksums,
 * acks, escaping, run-length decoding, malformed replies, timeouts, stop
 * replies and the interrupt byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fota/errors.h"
#include "target/rsp.h"

struct fix {
    struct hil_rsp *r;
    int peer;
};

static int setup(void **state)
{
    static struct fix f;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        return -1;
    }
    f.peer = sv[1];
    if (hil_rsp_open(sv[0], 200, &f.r) != 0) {
        return -1;
    }
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    hil_rsp_close(f->r);
    if (f->peer >= 0) {
        close(f->peer);
    }
    return 0;
}

/* The stub sends "$payload#cc" (payload taken as is). */
static void stub_send(struct fix *f, const char *payload)
{
    char buf[2048];
    unsigned sum = 0;
    for (const char *p = payload; *p; p++) {
        sum += (uint8_t)*p;
    }
    int n = snprintf(buf, sizeof(buf), "$%s#%02x", payload, sum & 0xFFu);
    assert_int_equal(write(f->peer, buf, (size_t)n), n);
}

static void stub_raw(struct fix *f, const char *raw)
{
    assert_int_equal(write(f->peer, raw, strlen(raw)), (int)strlen(raw));
}

/* What the client sent so far (NUL-terminated). */
static size_t stub_recv(struct fix *f, char *buf, size_t cap)
{
    ssize_t n = recv(f->peer, buf, cap - 1, MSG_DONTWAIT);
    if (n < 0) {
        n = 0;
    }
    buf[n] = '\0';
    return (size_t)n;
}

static void test_hil_rsp_write_reg_framing_and_ack(void **state)
{
    struct fix *f = *state;
    stub_raw(f, "+");
    stub_send(f, "OK");
    assert_int_equal(hil_rsp_write_reg(f->r, HIL_RSP_PC, 0x08000101u), 0);
    char got[256];
    stub_recv(f, got, sizeof(got));
    /* register value in target (little-endian) byte order; ack after the reply */
    unsigned sum = 0;
    for (const char *p = "Pf=01010008"; *p; p++) {
        sum += (uint8_t)*p;
    }
    char want[64];
    snprintf(want, sizeof(want), "$Pf=01010008#%02x+", sum & 0xFFu);
    assert_string_equal(got, want);
}

static void test_hil_rsp_bad_checksum_naks_in_ack_mode(void **state)
{
    struct fix *f = *state;
    stub_raw(f, "$OK#00");
    stub_send(f, "OK");
    assert_int_equal(hil_rsp_breakpoint(f->r, true, 0x08000100u, HIL_RSP_BKPT_THUMB), 0);
    char got[256];
    stub_recv(f, got, sizeof(got));
    assert_non_null(strstr(got, "$Z0,8000100,2#"));
    assert_non_null(strstr(got, "-"));
}

static void test_hil_rsp_handshake_noack_packet_size(void **state)
{
    struct fix *f = *state;
    stub_send(f, "PacketSize=1000;QStartNoAckMode+;swbreak+");
    stub_send(f, "OK");
    assert_int_equal(hil_rsp_handshake(f->r), 0);
    assert_int_equal(hil_rsp_packet_size(f->r), 0x1000);
    char got[512];
    stub_recv(f, got, sizeof(got));
    /* No ack after a reply in no-ack mode, and a bad checksum is an error. */
    stub_raw(f, "$OK#00");
    assert_int_equal(hil_rsp_write_reg(f->r, 0, 1), FOTA_EIO);
    assert_non_null(strstr(hil_rsp_error(f->r), "checksum"));
    stub_recv(f, got, sizeof(got));
    assert_null(strchr(got, '+'));
    assert_null(strchr(got, '-'));
}

static void test_hil_rsp_write_mem_escapes_binary(void **state)
{
    struct fix *f = *state;
    stub_send(f, "OK");
    const uint8_t data[5] = { '#', '$', '}', '*', 'a' };
    assert_int_equal(hil_rsp_write_mem(f->r, 0x08020000u, data, 5), 0);
    char got[256];
    stub_recv(f, got, sizeof(got));
    assert_non_null(strstr(got, "$X8020000,5:}\x03}\x04}]}\x0a" "a#"));
}

static void test_hil_rsp_write_mem_falls_back_to_hex(void **state)
{
    struct fix *f = *state;
    stub_send(f, ""); /* X not supported */
    stub_send(f, "OK");
    stub_send(f, "OK");
    const uint8_t data[2] = { 0xAB, 0x01 };
    assert_int_equal(hil_rsp_write_mem(f->r, 0x20000000u, data, 2), 0);
    assert_int_equal(hil_rsp_write_mem(f->r, 0x20000004u, data, 1), 0); /* straight to M */
    char got[512];
    stub_recv(f, got, sizeof(got));
    assert_non_null(strstr(got, "$M20000000,2:ab01#"));
    assert_non_null(strstr(got, "$M20000004,1:ab#"));
}

static void test_hil_rsp_read_mem_rle_and_errors(void **state)
{
    struct fix *f = *state;
    uint8_t b[4];
    stub_send(f, "1* 0203"); /* "1" + 3 more '1' = "1111", then "0203" */
    assert_int_equal(hil_rsp_read_mem(f->r, 0x08000000u, b, 4), 0);
    assert_memory_equal(b, "\x11\x11\x02\x03", 4);
    stub_send(f, "E14");
    assert_int_equal(hil_rsp_read_mem(f->r, 0x60000000u, b, 4), FOTA_EIO);
    assert_non_null(strstr(hil_rsp_error(f->r), "stub error E14"));
    stub_send(f, "1122");
    assert_int_equal(hil_rsp_read_mem(f->r, 0x08000000u, b, 4), FOTA_EIO); /* short */
    stub_send(f, "zz112233");
    assert_int_equal(hil_rsp_read_mem(f->r, 0x08000000u, b, 4), FOTA_EIO); /* not hex */
}

static void test_hil_rsp_garbage_and_timeout(void **state)
{
    struct fix *f = *state;
    uint32_t v;
    assert_int_equal(hil_rsp_read_reg(f->r, 0, &v), FOTA_ETIMEOUT);
    stub_raw(f, "hello");
    assert_int_equal(hil_rsp_read_reg(f->r, 0, &v), FOTA_EIO);
    assert_non_null(strstr(hil_rsp_error(f->r), "malformed"));
}

static void test_hil_rsp_read_regs(void **state)
{
    struct fix *f = *state;
    char g[26 * 8 + 1];
    for (int i = 0; i < 26; i++) {
        snprintf(&g[i * 8], 9, "%02x000000", i);
    }
    stub_send(f, g);
    uint32_t regs[16];
    assert_int_equal(hil_rsp_read_core_regs(f->r, regs), 0);
    assert_int_equal(regs[0], 0);
    assert_int_equal(regs[15], 15);
    stub_send(f, "01000001");
    uint32_t x;
    assert_int_equal(hil_rsp_read_reg(f->r, HIL_RSP_XPSR, &x), 0);
    assert_int_equal(x, 0x01000001u);
    stub_send(f, "");
    assert_int_equal(hil_rsp_write_reg(f->r, 0, 1), FOTA_ENOTSUP);
}

static void test_hil_rsp_stop_replies_async(void **state)
{
    struct fix *f = *state;
    struct hil_rsp_stop st;
    bool got = true;
    assert_int_equal(hil_rsp_poll_stop(f->r, &st, &got), FOTA_EBUSY);
    assert_int_equal(hil_rsp_cont_send(f->r), 0);
    assert_true(hil_rsp_running(f->r));
    assert_int_equal(hil_rsp_cont_send(f->r), FOTA_EBUSY);
    uint32_t v;
    assert_int_equal(hil_rsp_read_reg(f->r, 0, &v), FOTA_EBUSY);
    assert_int_equal(hil_rsp_poll_stop(f->r, &st, &got), 0);
    assert_false(got);
    stub_send(f, "O48690a"); /* console output: skipped */
    stub_send(f, "T05thread:p01.01;");
    assert_int_equal(hil_rsp_poll_stop(f->r, &st, &got), 0);
    assert_true(got);
    assert_int_equal(st.type, 'T');
    assert_int_equal(st.code, HIL_RSP_SIGTRAP);
    assert_false(hil_rsp_running(f->r));
    /* interrupt: the 0x03 byte, then the SIGINT stop */
    assert_int_equal(hil_rsp_cont_send(f->r), 0);
    stub_send(f, "T02thread:p01.01;");
    assert_int_equal(hil_rsp_interrupt(f->r, &st), 0);
    assert_int_equal(st.code, HIL_RSP_SIGINT);
    char out[256];
    stub_recv(f, out, sizeof(out));
    assert_non_null(strchr(out, 0x03));
    /* step waits for its stop */
    stub_send(f, "S05");
    assert_int_equal(hil_rsp_step(f->r, &st), 0);
    assert_int_equal(st.type, 'S');
    /* a malformed stop reply */
    assert_int_equal(hil_rsp_cont_send(f->r), 0);
    stub_send(f, "OK");
    assert_int_equal(hil_rsp_wait_stop(f->r, &st, 200), FOTA_EIO);
}

/* Z4 (GDB RSP "Packets") and the watch pairs of 'T' stop replies
 * ("Stop Reply Packets"), in any position, from a step's reply too. */
static void test_hil_rsp_watchpoint_and_watch_stops(void **state)
{
    struct fix *f = *state;
    struct hil_rsp_stop st;
    bool got = false;
    uint32_t a = 0;
    char out[256];
    stub_send(f, "OK");
    assert_int_equal(hil_rsp_watchpoint(f->r, true, 0x08080000u, 0x60000u), 0);
    stub_recv(f, out, sizeof(out));
    assert_non_null(strstr(out, "$Z4,8080000,60000#"));
    assert_false(hil_rsp_watch_seen(f->r, &a));
    assert_int_equal(hil_rsp_cont_send(f->r), 0);
    stub_send(f, "T05thread:p01.01;");
    assert_int_equal(hil_rsp_wait_stop(f->r, &st, 1000), 0);
    assert_false(st.watch);
    assert_int_equal(hil_rsp_cont_send(f->r), 0);
    stub_send(f, "T05thread:p01.01;awatch:08080004;");
    assert_int_equal(hil_rsp_poll_stop(f->r, &st, &got), 0);
    assert_true(got);
    assert_true(st.watch);
    assert_int_equal(st.watch_addr, 0x08080004u);
    assert_true(hil_rsp_watch_seen(f->r, &a));
    assert_int_equal(a, 0x08080004u);
    /* A step's reply: parsed too; the link keeps the first hit. */
    stub_send(f, "T05rwatch:808001c;thread:p01.01;");
    assert_int_equal(hil_rsp_step(f->r, &st), 0);
    assert_true(st.watch);
    assert_int_equal(st.watch_addr, 0x0808001cu);
    assert_true(hil_rsp_watch_seen(f->r, &a));
    assert_int_equal(a, 0x08080004u);
    /* "watch:" with no hex digits is no hit; a refused z4 is an error. */
    assert_int_equal(hil_rsp_cont_send(f->r), 0);
    stub_send(f, "T05watch:;");
    assert_int_equal(hil_rsp_wait_stop(f->r, &st, 1000), 0);
    assert_false(st.watch);
    stub_send(f, "E01");
    assert_int_equal(hil_rsp_watchpoint(f->r, false, 0x08080000u, 0x60000u), FOTA_EIO);
}

static void test_hil_rsp_peer_closed(void **state)
{
    struct fix *f = *state;
    struct hil_rsp_stop st;
    bool got;
    assert_int_equal(hil_rsp_cont_send(f->r), 0);
    close(f->peer);
    f->peer = -1;
    assert_int_equal(hil_rsp_poll_stop(f->r, &st, &got), FOTA_ECONN);
    assert_false(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hil_rsp_write_reg_framing_and_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_bad_checksum_naks_in_ack_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_handshake_noack_packet_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_write_mem_escapes_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_write_mem_falls_back_to_hex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_read_mem_rle_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_garbage_and_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_read_regs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_stop_replies_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_watchpoint_and_watch_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rsp_peer_closed, setup, teardown),
    };
    return cmocka_run_group_tests_name("rsp", tests, NULL, NULL);
}
