/**
 * @file cpuclock-test.c
 * @brief Unit tests of waits counted in a peer's CPU time
 * (harness/target/cpuclock.c): a stopped peer never uses up the budget
 * (only the wall-clock backstop ends the wait), a running one does, and
 * with no peer the wait is plain wall time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target/cpuclock.h"

#define BUDGET_MS 200

/* A child that spins (burns CPU) until killed. */
static pid_t spinner(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (volatile unsigned long i = 0;; i++) {
        }
    }
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Run a wait to its end; @return the wall ms it took. */
static int64_t run_wait(struct hil_cpuwait *w)
{
    int64_t t0 = hil_wall_ms();
    int left;
    while ((left = hil_cpuwait_left(w)) > 0) {
        assert_true(left <= BUDGET_MS);
        usleep((useconds_t)left * 1000u);
    }
    return hil_wall_ms() - t0;
}

static void test_cpu_us_of_a_spinner_advances(void **state)
{
    (void)state;
    pid_t pid = spinner();
    int64_t a = hil_cpu_us(pid);
    assert_true(a >= 0);
    while (hil_cpu_us(pid) - a < 50000) {
        usleep(10000); /* ends once the child got 50 ms of CPU, however loaded the machine */
    }
    reap(pid);
    assert_int_equal(hil_cpu_us(0), -1);
    assert_int_equal(hil_cpu_us(-5), -1);
}

static void test_stopped_peer_waits_for_the_backstop(void **state)
{
    (void)state;
    pid_t pid = spinner();
    kill(pid, SIGSTOP);
    usleep(20000); /* let the stop land */
    struct hil_cpuwait w;
    hil_cpuwait_begin(&w, pid, BUDGET_MS);
    int64_t cpu0 = hil_cpu_us(pid);
    int64_t took = run_wait(&w);
    int64_t used = hil_cpu_us(pid) - cpu0;
    reap(pid);
    assert_int_equal(used, 0);
    /* ended by the backstop (6 budgets of wall time), never by the budget */
    assert_true(took >= (int64_t)HIL_CPUWAIT_BACKSTOP * BUDGET_MS);
}

static void test_running_peer_uses_up_the_budget(void **state)
{
    (void)state;
    pid_t pid = spinner();
    struct hil_cpuwait w;
    hil_cpuwait_begin(&w, pid, BUDGET_MS);
    int64_t cpu0 = w.cpu0;
    int64_t took = run_wait(&w);
    int64_t used = (hil_cpu_us(pid) - cpu0) / 1000;
    reap(pid);
    /* ended because the peer used its budget of CPU, or (a machine so
     * loaded that it got less than 1/6 of a CPU) by the backstop */
    assert_true(used >= BUDGET_MS || took >= (int64_t)HIL_CPUWAIT_BACKSTOP * BUDGET_MS);
}

static void test_no_peer_is_wall_time(void **state)
{
    (void)state;
    struct hil_cpuwait w;
    hil_cpuwait_begin(&w, 0, BUDGET_MS);
    int64_t took = run_wait(&w);
    assert_true(took >= BUDGET_MS);
    assert_true(took < (int64_t)HIL_CPUWAIT_BACKSTOP * BUDGET_MS * 10); /* not the backstop rule: a sanity bound */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_us_of_a_spinner_advances),
        cmocka_unit_test(test_stopped_peer_waits_for_the_backstop),
        cmocka_unit_test(test_running_peer_uses_up_the_budget),
        cmocka_unit_test(test_no_peer_is_wall_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
