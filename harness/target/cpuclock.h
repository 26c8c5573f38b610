/**
 * @file cpuclock.h
 * @brief The CPU time a process has used: the emulator's "device time".
 *
 * Under -icount with sleep off, QEMU never sleeps: the guest's clock
 * advances only as QEMU executes, so the CPU time the QEMU process used
 * is how far the device got, whatever the load on the machine. A wait
 * for QEMU's answer, or a timer of a device model the harness keeps for
 * it, counts in this clock: a stopped (SIGSTOP) or starved QEMU uses
 * none, so it cannot run out for want of a CPU (docs/ARCHITECTURE.md,
 * "Time").
 */
#ifndef HIL_TARGET_CPUCLOCK_H
#define HIL_TARGET_CPUCLOCK_H

#include <stdint.h>
#include <sys/types.h>

/**
 * CPU time of process @p pid (all its threads), in us: its CPU-time clock
 * (clock_getcpuclockid(3), ns resolution), else utime + stime of
 * /proc/PID/stat (clock ticks, 10 ms).
 * @return us, or -1 when @p pid <= 0 or neither can be read (gone, or not ours to read).
 */
int64_t hil_cpu_us(pid_t pid);

/**
 * A wait for an answer from process @p pid (the peer), counted in its CPU
 * time: it ends when the peer has used @p budget_ms of CPU since
 * hil_cpuwait_begin, or, as a backstop for a peer that never runs again
 * (stopped, wedged), when HIL_CPUWAIT_BACKSTOP x @p budget_ms of wall
 * time have passed. With @p pid <= 0, or a CPU time that cannot be read,
 * it counts wall time: @p budget_ms.
 */
struct hil_cpuwait {
    pid_t pid;
    int budget_ms;
    int64_t wall0;     /**< wall ms at the start */
    int64_t cpu0;      /**< the peer's CPU us at the start, -1 unknown */
};

#define HIL_CPUWAIT_BACKSTOP 6    /**< wall-time backstop, in budgets */
#define HIL_CPUWAIT_SLICE_MS 100  /**< longest poll while the peer's CPU decides */

/** Start a wait of @p budget_ms (> 0) on @p pid (<= 0: wall time). */
void hil_cpuwait_begin(struct hil_cpuwait *w, pid_t pid, int budget_ms);

/**
 * @return ms to poll for the answer before asking again (> 0), or 0 when
 * the wait is over (the budget, or the backstop, ran out).
 */
int hil_cpuwait_left(const struct hil_cpuwait *w);

/** Monotonic wall-clock ms. */
int64_t hil_wall_ms(void);

#endif
