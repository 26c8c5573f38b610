/**
 * @file hold-test.c
 * @brief Unit tests of the updater hold (harness/run/hold.c): which answer
 * ends a hold, and that the held process is stopped and continued. No
 * QEMU child here, so device time is wall time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/diag.h"
#include "run/hold.h"

/* The answer to an earlier request (a retransmitted HELLO answered twice)
 * does not end the hold of the latest one (BEGIN): runner-test case 6 was
 * released that way at load. */
static void test_hil_hold_answer_to_an_earlier_request_keeps_the_hold(void **state)
{
    (void)state;
    struct hil_hold h = { 0 };
    hil_hold_request(&h, true, 3);  /* HELLO seq 3, retransmitted */
    hil_hold_request(&h, false, 4); /* BEGIN seq 4 */
    hil_hold_answered(&h, 3, true); /* HELLO_RSP seq 3 */
    assert_true(h.owed);
    assert_int_equal(h.budget_ms, HIL_HOLD_MS);
    hil_hold_answered(&h, 4, true); /* BEGIN_RSP seq 4 */
    assert_false(h.owed);
}

/* A damaged frame ends the hold whatever its number. */
static void test_hil_hold_damaged_answer_ends_the_hold(void **state)
{
    (void)state;
    struct hil_hold h = { 0 };
    hil_hold_request(&h, false, 7);
    hil_hold_answered(&h, 0x5A, false);
    assert_false(h.owed);
}

/* The state letter of @p pid from /proc/PID/stat ('?' if unreadable). */
static char proc_state(pid_t pid)
{
    char buf[1024], comm[64];
    const char *rest = hil_proc_stat(pid, buf, sizeof(buf), comm, sizeof(comm));
    char st = '?';
    return rest != NULL && sscanf(rest, " %c", &st) == 1 ? st : '?';
}

/* Wait (bounded by tries, 1 ms apart) until @p pid is in state @p want. */
static char wait_state(pid_t pid, char want)
{
    char st = proc_state(pid);
    for (int i = 0; i < 5000 && st != want; i++) {
        usleep(1000);
        st = proc_state(pid);
    }
    return st;
}

/* Owed: the updater is stopped; answered: continued; never left stopped. */
static void test_hil_hold_service_stops_and_continues(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (;;) {
            pause();
        }
    }
    struct hil_hold h = { 0 };
    hil_hold_request(&h, false, 9);
    assert_int_equal(hil_hold_service(&h, pid, true), 0);
    assert_true(h.held);
    assert_int_equal(wait_state(pid, 'T'), 'T');
    hil_hold_answered(&h, 8, true); /* not ours: still held */
    assert_int_equal(hil_hold_service(&h, pid, true), 0);
    assert_true(h.held);
    hil_hold_answered(&h, 9, true);
    assert_int_equal(hil_hold_service(&h, pid, true), 0);
    assert_false(h.held);
    assert_int_equal(wait_state(pid, 'S'), 'S');
    assert_int_equal(h.holds, 1);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_hold_answer_to_an_earlier_request_keeps_the_hold),
        cmocka_unit_test(test_hil_hold_damaged_answer_ends_the_hold),
        cmocka_unit_test(test_hil_hold_service_stops_and_continues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
