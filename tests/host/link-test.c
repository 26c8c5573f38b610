/*
 * Transports (host/lib/link_posix.c) over real descriptors: socketpair,
 * pty (openpty), Unix and TCP listening sockets; the spi-emu SPI master
 * (host/lib/link_spi.c) against a pty standing in for the rig.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "fotahost/link.h"

/* Read exactly @p n bytes through the link, 1 s budget. */
static void read_all(struct fh_link *l, uint8_t *buf, size_t n)
{
    size_t have = 0;
    uint32_t start = fh_now_ms();

    while (have < n) {
        size_t got = 0;

        assert_int_equal(fh_link_read(l, buf + have, n - have, 200, &got), 0);
        have += got;
        assert_true(fh_now_ms() - start < 1000u);
    }
}

static void test_fh_link_socketpair_roundtrip(void **state)
{
    struct fh_link *l = NULL;
    uint8_t out[256], in[256];
    int sv[2];
    size_t i, got;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(fh_link_from_fd(sv[0], "pair", &l, NULL), 0);
    assert_string_equal(l->name, "pair");
    for (i = 0; i < sizeof(out); i++) {
        out[i] = (uint8_t)i;
    }
    assert_int_equal(fh_link_write(l, out, sizeof(out)), 0);
    assert_int_equal(read(sv[1], in, sizeof(in)), (ssize_t)sizeof(in));
    assert_memory_equal(in, out, sizeof(out));
    assert_int_equal(write(sv[1], out, 10), 10);
    got = 0;
    assert_int_equal(fh_link_read(l, in, sizeof(in), 500, &got), 0);
    assert_int_equal(got, 10);
    assert_memory_equal(in, out, 10);
    fh_link_close(l);
    close(sv[1]);
}

static void test_fh_link_read_times_out(void **state)
{
    struct fh_link *l = NULL;
    uint8_t b[4];
    size_t got = 99;
    uint32_t t0, dt;
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(fh_link_from_fd(sv[0], "pair", &l, NULL), 0);
    t0 = fh_now_ms();
    assert_int_equal(fh_link_read(l, b, sizeof(b), 80, &got), 0);
    dt = fh_now_ms() - t0;
    assert_int_equal(got, 0);
    assert_true(dt >= 75u);
    assert_true(dt < 1000u);
    assert_int_equal(fh_link_read(l, b, sizeof(b), 0, &got), 0); /* poll once */
    assert_int_equal(got, 0);
    fh_link_close(l);
    close(sv[1]);
}

static void test_fh_link_peer_closed(void **state)
{
    struct fh_link *l = NULL;
    uint8_t b[4] = { 1, 2, 3, 4 };
    size_t got = 0;
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(fh_link_from_fd(sv[0], "pair", &l, NULL), 0);
    assert_int_equal(write(sv[1], b, 2), 2);
    close(sv[1]);
    /* Buffered bytes first, then the close. */
    assert_int_equal(fh_link_read(l, b, sizeof(b), 100, &got), 0);
    assert_int_equal(got, 2);
    assert_int_equal(fh_link_read(l, b, sizeof(b), 100, &got), FOTA_ECONN);
    assert_int_equal(fh_link_write(l, b, sizeof(b)), FOTA_ECONN); /* no SIGPIPE */
    fh_link_close(l);
}

static void test_fh_link_from_fd_rejects_bad_fd(void **state)
{
    struct fh_link *l = NULL;

    (void)state;
    assert_int_equal(fh_link_from_fd(-1, "x", &l, NULL), FOTA_EINVAL);
    assert_null(l);
    fh_link_close(NULL); /* harmless */
}

static void test_fh_link_open_serial_pty(void **state)
{
    struct fh_link *l = NULL;
    struct termios t;
    uint8_t all[256], in[256];
    char name[128];
    int master = -1, slave = -1;
    size_t i;

    (void)state;
    assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
    assert_int_equal(fh_link_open(name, 115200, &l, NULL), 0);
    /* Raw 8N1 at the requested speed. */
    assert_int_equal(tcgetattr(l->fd, &t), 0);
    assert_int_equal(cfgetospeed(&t), B115200);
    assert_int_equal(t.c_cflag & CSIZE, CS8);
    assert_int_equal(t.c_cflag & (PARENB | CSTOPB), 0);
    assert_int_equal(t.c_lflag & (ICANON | ECHO | ISIG), 0);
    /* The master's side must be raw too, so it passes every byte value. */
    assert_int_equal(tcgetattr(master, &t), 0);
    cfmakeraw(&t);
    assert_int_equal(tcsetattr(master, TCSANOW, &t), 0);
    for (i = 0; i < sizeof(all); i++) {
        all[i] = (uint8_t)i; /* includes \r \n ^C ^Q ^S 0x7F 0xFF */
    }
    assert_int_equal(write(master, all, sizeof(all)), (ssize_t)sizeof(all));
    read_all(l, in, sizeof(in));
    assert_memory_equal(in, all, sizeof(all));
    assert_int_equal(fh_link_write(l, all, sizeof(all)), 0);
    {
        size_t have = 0;

        while (have < sizeof(in)) {
            ssize_t r = read(master, in + have, sizeof(in) - have);

            assert_true(r > 0);
            have += (size_t)r;
        }
    }
    assert_memory_equal(in, all, sizeof(all));
    close(slave);
    /* Master gone: the slave sees a hang-up, reported as a closed link. */
    close(master);
    {
        size_t got = 0;

        assert_int_equal(fh_link_read(l, in, sizeof(in), 200, &got), FOTA_ECONN);
    }
    fh_link_close(l);
}

/* Read exactly @p n bytes from the rig's side (a pty master), 1 s budget. */
static void rig_read(int master, uint8_t *buf, size_t n)
{
    size_t have = 0;
    uint32_t start = fh_now_ms();

    while (have < n) {
        ssize_t r = read(master, buf + have, n - have);

        assert_true(r > 0);
        have += (size_t)r;
        assert_true(fh_now_ms() - start < 1000u);
    }
}

/*
 * spi-emu (host/lib/link_spi.c) when the rig answers late: a transfer
 * whose answer has not come in 2 s times out, and that answer, when it
 * comes, is skipped instead of being read as the next transfer's; a frame
 * write whose answer is late counts as sent. (Before, the stream went out
 * of step: the next transfer read the late answer's bytes.)
 */
static void test_fh_link_spi_emu_late_answer_is_skipped(void **state)
{
    struct fh_link *l = NULL;
    struct termios t;
    char name[128], spec[160];
    int master = -1, slave = -1;
    uint8_t req[8], miso[4];
    static const uint8_t mosi1[4] = { 1, 2, 3, 4 }, mosi2[4] = { 5, 6, 7, 8 };

    (void)state;
    assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
    assert_int_equal(tcgetattr(master, &t), 0);
    cfmakeraw(&t);
    assert_int_equal(tcsetattr(master, TCSANOW, &t), 0);
    snprintf(spec, sizeof(spec), "spi-emu:%s", name);
    assert_int_equal(fh_link_open(spec, 115200, &l, NULL), 0);
    /* Transfer 1: the rig does not answer within 2 s. */
    assert_int_equal(fh_link_spi_xfer(l, mosi1, miso, 4), FOTA_ETIMEOUT);
    rig_read(master, req, 7);
    assert_memory_equal(req, "T\4\0\1\2\3\4", 7);
    /* Its answer comes late, and (ahead of time) the answer to transfer 2. */
    assert_int_equal(write(master, "t\0\4\0AAAA", 8), 8);
    assert_int_equal(write(master, "t\1\4\0BBBB", 8), 8);
    assert_int_equal(fh_link_spi_xfer(l, mosi2, miso, 4), 0);
    assert_memory_equal(miso, "BBBB", 4);
    rig_read(master, req, 7);
    assert_memory_equal(req, "T\4\0\5\6\7\10", 7);
    /* A frame write whose answer is late is sent all the same. */
    assert_int_equal(fh_link_write(l, mosi1, 4), 0);
    rig_read(master, req, 7);
    assert_memory_equal(req, "T\4\0\1\2\3\4", 7);
    assert_int_equal(write(master, "t\0\4\0\377\377\377\377", 8), 8); /* its late answer */
    assert_int_equal(write(master, "t\0\2\0CC", 6), 6);
    assert_int_equal(fh_link_spi_xfer(l, NULL, miso, 2), 0);
    assert_memory_equal(miso, "CC", 2);
    /* An answer of the wrong length is a broken stream. */
    assert_int_equal(write(master, "t\0\3\0DDD", 7), 7);
    assert_int_equal(fh_link_spi_xfer(l, NULL, miso, 2), FOTA_EPROTO);
    fh_link_close(l);
    close(slave);
    close(master);
}

/* fd:N (what fota-hil passes: a socketpair end, not a pty) and spi-emu over it. */
static void test_fh_link_open_fd_socketpair(void **state)
{
    struct fh_link *l = NULL;
    int sv[2];
    char spec[32];
    uint8_t req[7], miso[4];
    static const uint8_t mosi[4] = { 1, 2, 3, 4 };

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    snprintf(spec, sizeof(spec), "spi-emu:fd:%d", sv[1]);
    assert_int_equal(fh_link_open(spec, 115200, &l, NULL), 0);
    assert_int_equal(write(sv[0], "t\1\4\0ABCD", 8), 8);
    assert_int_equal(fh_link_spi_xfer(l, mosi, miso, 4), 0);
    assert_memory_equal(miso, "ABCD", 4);
    rig_read(sv[0], req, 7);
    assert_memory_equal(req, "T\4\0\1\2\3\4", 7);
    fh_link_close(l); /* closes its duplicate: sv[1] stays open */
    /* Opened again (fota-bridge delivers more than once over fd:3): the same stream. */
    assert_int_equal(fh_link_open(spec, 115200, &l, NULL), 0);
    assert_int_equal(write(sv[0], "t\1\4\0WXYZ", 8), 8);
    assert_int_equal(fh_link_spi_xfer(l, mosi, miso, 4), 0);
    assert_memory_equal(miso, "WXYZ", 4);
    rig_read(sv[0], req, 7);
    fh_link_close(l);
    close(sv[1]);
    assert_int_equal(fh_link_open("fd:x", 115200, &l, NULL), FOTA_EINVAL);
    assert_int_equal(fh_link_open("fd:999", 115200, &l, NULL), FOTA_EINVAL);
    assert_int_equal(fh_link_open("spi-emu:spi-emu:fd:3", 115200, &l, NULL), FOTA_EINVAL);
    close(sv[0]);
}

static void test_fh_link_open_serial_baud(void **state)
{
    struct fh_link *l = NULL;
    struct termios t;
    struct fh_msg m;
    char name[128];
    int master = -1, slave = -1;

    (void)state;
    assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
    assert_int_equal(fh_link_open_serial(name, 921600, &l, NULL), 0);
    assert_int_equal(tcgetattr(l->fd, &t), 0);
    assert_int_equal(cfgetispeed(&t), B921600);
    fh_link_close(l);
    l = NULL;
    assert_int_equal(fh_link_open_serial(name, 12345, &l, &m), FOTA_EINVAL);
    assert_non_null(strstr(m.text, "unsupported baud rate 12345"));
    assert_null(l);
    close(slave);
    close(master);
}

static void test_fh_link_open_serial_errors(void **state)
{
    struct fh_link *l = NULL;
    struct fh_msg m;

    (void)state;
    assert_int_equal(fh_link_open("/nonexistent/ttyUSB9", 115200, &l, &m), FOTA_EIO);
    assert_string_equal(m.text, "/nonexistent/ttyUSB9: No such file or directory");
    assert_int_equal(fh_link_open("/dev/null", 115200, &l, &m), FOTA_EINVAL);
    assert_non_null(strstr(m.text, "not a serial port"));
    assert_int_equal(fh_link_open("", 115200, &l, &m), FOTA_EINVAL);
    assert_int_equal(fh_link_open("serial:", 115200, &l, &m), FOTA_EINVAL);
    assert_null(l);
}

static void test_fh_link_open_unix(void **state)
{
    struct sockaddr_un sa;
    struct fh_link *l = NULL;
    struct fh_msg m;
    char spec[160];
    uint8_t b[3];
    int srv, c;

    (void)state;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/fotahost-link-%d.sock", (int)getpid());
    unlink(sa.sun_path);
    srv = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(srv >= 0);
    assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(srv, 1), 0);
    snprintf(spec, sizeof(spec), "unix:%s", sa.sun_path);
    assert_int_equal(fh_link_open(spec, 0, &l, &m), 0);
    assert_string_equal(l->name, spec);
    c = accept(srv, NULL, NULL);
    assert_true(c >= 0);
    assert_int_equal(fh_link_write(l, "abc", 3), 0);
    assert_int_equal(read(c, b, 3), 3);
    assert_memory_equal(b, "abc", 3);
    close(c);
    fh_link_close(l);
    close(srv);
    unlink(sa.sun_path);
    /* Nobody listening any more. */
    assert_int_equal(fh_link_open(spec, 0, &l, &m), FOTA_EIO);
    assert_non_null(strstr(m.text, "connect"));
    assert_int_equal(fh_link_open("unix:", 0, &l, &m), FOTA_EINVAL);
}

static void test_fh_link_open_tcp(void **state)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    struct fh_link *l = NULL;
    struct fh_msg m;
    char spec[64];
    uint8_t b[2];
    size_t got = 0;
    int srv, c, port;

    (void)state;
    srv = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(srv >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(srv, 1), 0);
    assert_int_equal(getsockname(srv, (struct sockaddr *)&sa, &sl), 0);
    port = ntohs(sa.sin_port);
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
    assert_int_equal(fh_link_open(spec, 0, &l, &m), 0);
    assert_string_equal(l->name, spec);
    c = accept(srv, NULL, NULL);
    assert_true(c >= 0);
    assert_int_equal(write(c, "hi", 2), 2);
    read_all(l, b, 2);
    assert_memory_equal(b, "hi", 2);
    close(c);
    assert_int_equal(fh_link_read(l, b, sizeof(b), 500, &got), FOTA_ECONN);
    fh_link_close(l);
    close(srv);
    /* The port is closed now: refused. */
    assert_int_equal(fh_link_open(spec, 0, &l, &m), FOTA_EIO);
    assert_non_null(strstr(m.text, "Connection refused"));
}

static void test_fh_link_open_tcp_bad_specs(void **state)
{
    static const char *const bad[] = {
        "tcp:", "tcp:localhost", "tcp:localhost:", "tcp:localhost:0", "tcp:localhost:65536",
        "tcp:localhost:http", "tcp::80", "tcp:localhost:-1",
    };
    struct fh_link *l = NULL;
    struct fh_msg m;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m.text[0] = '\0';
        assert_int_equal(fh_link_open(bad[i], 0, &l, &m), FOTA_EINVAL);
        assert_true(m.text[0] != '\0');
    }
    assert_int_equal(fh_link_open("tcp:no-such-host.invalid:80", 0, &l, &m), FOTA_EIO);
    assert_null(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fh_link_socketpair_roundtrip),
        cmocka_unit_test(test_fh_link_read_times_out),
        cmocka_unit_test(test_fh_link_peer_closed),
        cmocka_unit_test(test_fh_link_from_fd_rejects_bad_fd),
        cmocka_unit_test(test_fh_link_open_serial_pty),
        cmocka_unit_test(test_fh_link_spi_emu_late_answer_is_skipped),
        cmocka_unit_test(test_fh_link_open_fd_socketpair),
        cmocka_unit_test(test_fh_link_open_serial_baud),
        cmocka_unit_test(test_fh_link_open_serial_errors),
        cmocka_unit_test(test_fh_link_open_unix),
        cmocka_unit_test(test_fh_link_open_tcp),
        cmocka_unit_test(test_fh_link_open_tcp_bad_specs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
