/**
 * @file rom_link-test.c
 * @brief The BOOT0/NRST control socket of the ROM path (harness/link/rom_link.c):
 * the line protocol on boot.sock, and that an NRST pulse is answered
 * before the reset it causes runs (a reset into flash starts QEMU, which
 * can take longer than the updater's boot-ctl timeout on a loaded machine).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "link/rom_link.h"

struct fixture {
    char dir[64];
    struct hil_romlink rl;
    int client;
    int resets;
    bool last_to_rom;
    char seen_at_reset[16]; /* what the updater could already read when the reset ran */
};

/* ops.nrst: record the reset, and what the updater's socket holds now. */
static void on_nrst(void *ctx, bool to_rom, const char *why)
{
    struct fixture *fx = ctx;
    (void)why;
    fx->resets++;
    fx->last_to_rom = to_rom;
    ssize_t n = recv(fx->client, fx->seen_at_reset, sizeof(fx->seen_at_reset) - 1, MSG_PEEK | MSG_DONTWAIT);
    fx->seen_at_reset[n > 0 ? n : 0] = '\0';
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (fx == NULL) {
        return -1;
    }
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/rom_link-test.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    struct hil_romlink_ops ops = { .ctx = fx, .nrst = on_nrst };
    hil_romlink_init(&fx->rl, &ops);
    assert_int_equal(hil_romlink_listen(&fx->rl, fx->dir), 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/boot.sock", fx->dir);
    fx->client = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fx->client >= 0);
    assert_int_equal(connect(fx->client, (struct sockaddr *)&sa, sizeof(sa)), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char path[96];
    close(fx->client);
    hil_romlink_unlisten(&fx->rl);
    snprintf(path, sizeof(path), "%s/boot.sock", fx->dir);
    unlink(path);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Send @p line, let the link serve it, and read the answer line into @p ans. */
static void say(struct fixture *fx, const char *line, char *ans, size_t len)
{
    size_t have = 0;
    assert_int_equal(send(fx->client, line, strlen(line), 0), (ssize_t)strlen(line));
    hil_romlink_service(&fx->rl);
    while (have < len - 1) {
        struct pollfd p = { .fd = fx->client, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 0), 1); /* served above: the answer is already there */
        assert_int_equal(recv(fx->client, ans + have, 1, 0), 1);
        if (ans[have++] == '\n') {
            break;
        }
    }
    ans[have] = '\0';
}

static void test_hil_romlink_boot0_then_nrst_enters_rom(void **state)
{
    struct fixture *fx = *state;
    char ans[64];
    say(fx, "boot0 1\n", ans, sizeof(ans));
    assert_string_equal(ans, "ok\n");
    assert_int_equal(fx->resets, 0);
    say(fx, "nrst\n", ans, sizeof(ans));
    assert_string_equal(ans, "ok\n");
    assert_int_equal(fx->resets, 1);
    assert_true(fx->last_to_rom);
    say(fx, "boot0 0\n", ans, sizeof(ans));
    say(fx, "nrst\n", ans, sizeof(ans));
    assert_int_equal(fx->resets, 2);
    assert_false(fx->last_to_rom);
}

/* The answer to "nrst" is on the updater's socket before the reset runs:
 * the updater's boot-ctl timeout never waits for a QEMU start. Fails on
 * the old order (answer after ops.nrst returned). */
static void test_hil_romlink_nrst_answered_before_the_reset(void **state)
{
    struct fixture *fx = *state;
    char ans[64];
    say(fx, "nrst\n", ans, sizeof(ans));
    assert_int_equal(fx->resets, 1);
    assert_string_equal(fx->seen_at_reset, "ok\n");
}

static void test_hil_romlink_unknown_line_is_an_error(void **state)
{
    struct fixture *fx = *state;
    char ans[64];
    say(fx, "boot1 1\n", ans, sizeof(ans));
    assert_non_null(strstr(ans, "error: unknown command"));
    assert_int_equal(fx->resets, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hil_romlink_boot0_then_nrst_enters_rom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_romlink_nrst_answered_before_the_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_romlink_unknown_line_is_an_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
