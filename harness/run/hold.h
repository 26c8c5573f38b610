/**
 * @file hold.h
 * @brief Time discipline for the updater (issue 11): while the device owes
 * the answer to a request the link delivered to it, the updater is held
 * (SIGSTOP), so its wall-clock timeouts cannot run out while the device,
 * slowed by a loaded machine, is still working. The hold ends when the
 * device answers, or when the device has spent a budget of its own time
 * without answering (then the updater's timeout and retransmission go on
 * as written, e.g. after a lost byte).
 *
 * Device time: the CPU time of the QEMU process that is a child of this
 * process (its CPU-time clock, or /proc/PID/stat utime + stime; under -icount guest time advances
 * only as the guest executes, and QEMU stopped at a served breakpoint uses
 * none); wall time when there is no such process (a real board).
 * A request the link fault injector withheld (drop, disconnect, power cut)
 * or corrupted is not owed: the scenario's silence works in wall time as
 * before.
 */
#ifndef HIL_HOLD_H
#define HIL_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define HIL_HOLD_HELLO_MS 300u   /**< device ms a HELLO may go unanswered (the device may be booting) */
#define HIL_HOLD_MS       3000u  /**< device ms any other request may go unanswered */
#define HIL_HOLD_SCAN_MS  250u   /**< with no QEMU known, /proc is scanned for one at most this often */

struct hil_hold {
    bool owed;               /**< a request reached the device, no answer yet */
    uint8_t owed_seq;        /**< the sequence number of that request (fota/proto.h) */
    bool held;               /**< the updater is stopped */
    uint32_t budget_ms;      /**< device ms this request may take */
    uint64_t owed_at;        /**< device ms when it was delivered */
    pid_t qemu;              /**< cached QEMU child, 0 unknown */
    uint64_t held_since;     /**< wall ms the current hold began */
    uint32_t holds;          /**< holds so far (events.log) */
    uint32_t expired;        /**< holds ended by the budget */
    uint64_t held_ms;        /**< wall ms the updater spent held */
    uint64_t scanned;        /**< wall ms of the last /proc scan for QEMU */
};

/**
 * A request with sequence number @p seq (@p hello: a HELLO) was delivered
 * to the device: it owes the answer to this one, the latest request.
 */
void hil_hold_request(struct hil_hold *h, bool hello, uint8_t seq);

/**
 * The device sent a frame with sequence number @p seq (an answer echoes
 * its request's): if it answers the owed request, the updater may go on.
 * An answer to an earlier request (a retransmitted HELLO answered twice
 * while the updater had already sent BEGIN) does not end the hold: the
 * device still owes the latest answer (runner-test case 6 was released
 * that way at load and ran its 12 s stop on fotactl's own timeouts).
 * A damaged frame (@p intact false: bad CRC, or a fault injected on it)
 * ends the hold whatever its number: the updater must see it fail.
 */
void hil_hold_answered(struct hil_hold *h, uint8_t seq, bool intact);

/**
 * Each pump round: stop @p updater (pid > 0, alive) while a request is
 * owed, continue it when answered, when the budget ran out, or when
 * @p alive is false (no update running: never leaves a process stopped).
 * @return 1 when this call ended a hold by the budget, else 0.
 */
int hil_hold_service(struct hil_hold *h, pid_t updater, bool alive);

/** Device time now, in ms (see above). */
uint64_t hil_hold_device_ms(struct hil_hold *h);

/**
 * A device clock that runs on across power cycles: it advances by the
 * CPU time of the QEMU child while there is one, and by wall time while
 * there is none (powered off, or a real board). The runner's waits and
 * step timeouts count in it (hil_devclock_ms).
 */
struct hil_devclock {
    pid_t qemu;              /**< the QEMU counted last, 0 none */
    uint64_t last_cpu;       /**< its CPU us at the last reading */
    uint64_t last_wall;      /**< wall ms at the last reading, 0 never read */
    uint64_t us;             /**< device us so far */
    uint64_t scanned;        /**< wall ms of the last /proc scan for QEMU */
    uint64_t moved;          /**< wall ms when device time last advanced */
};

/** Read @p c: device ms since its first reading. */
uint64_t hil_devclock_ms(struct hil_devclock *c);

/**
 * Read @p c: device us since its first reading (QEMU's CPU time from its
 * CPU-time clock, clock_getcpuclockid(3), so finer than the 10 ms clock
 * ticks of /proc/PID/stat; wall time in ms steps while there is no QEMU).
 * The run trace's timestamps (trace/runtrace.h) and `fota-hil replay`'s
 * waits count in it.
 */
uint64_t hil_devclock_us(struct hil_devclock *c);

/**
 * Wall ms since @p c last advanced, as of its last reading: how long the
 * device has not run at all (QEMU stopped, or wedged idle with no timer).
 * A device that runs, however slowly on a loaded machine, is at 0 within
 * a few scheduler ticks; the runner ends a wait on a device that has not
 * run for HIL_STALL_MS (runner.c), sooner than the wait's own backstop.
 */
uint64_t hil_devclock_stalled_ms(const struct hil_devclock *c);

#endif /* HIL_HOLD_H */
