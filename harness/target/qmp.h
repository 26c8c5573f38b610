/**
 * @file qmp.h
 * @brief A small client of the QEMU Machine Protocol (QMP) for the QEMU
 * backend (target_qemu.c): the greeting, commands and their replies, and
 * the asynchronous events QEMU sends between them.
 *
 * QMP is one JSON object per line (QEMU docs, "QEMU Machine Protocol
 * Specification", interop/qmp-spec). Every line is parsed with jansson;
 * nothing is decided by matching text. A reply has "return" or "error",
 * an event has "event" (and "data").
 *
 * Events the backend cares about (e.g. WATCHDOG: the IWDG model of the
 * fota-f407 machine expired and reset the chip) are handed to a callback
 * as they are read, during a command's wait as well as from
 * hil_qmp_poll_events(); the others are dropped, so QEMU never blocks on
 * a full socket.
 */
#ifndef HIL_QMP_H
#define HIL_QMP_H

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>

#define HIL_QMP_LINE_MAX 16384 /**< a longer line is dropped (the longest here: a fota-f407 STM32_FLASH_OP of 4096 bytes) */

/** Called with an event's name ("WATCHDOG") and its "data" member as JSON text ("{}" if none). */
typedef void (*hil_qmp_event_fn)(void *ctx, const char *event, const char *data_json);

struct hil_qmp {
    int fd;                       /**< connected, owned; -1 when closed */
    hil_qmp_event_fn on_event;    /**< may be NULL */
    void *ctx;
    char buf[HIL_QMP_LINE_MAX];
    size_t len;
    char error[256];              /**< the last "error" reply's class and desc */
    pid_t peer;                   /**< QEMU's pid: waits count its CPU time (cpuclock.h); 0 wall */
};

/** Take @p fd (a connected QMP socket) into @p q; events go to @p fn. */
void hil_qmp_init(struct hil_qmp *q, int fd, hil_qmp_event_fn fn, void *ctx);

/**
 * QEMU runs as process @p pid: from now on each exchange's bound counts
 * the ms of CPU time it uses, with a backstop of HIL_CPUWAIT_BACKSTOP
 * bounds of wall time (cpuclock.h), so a QEMU kept off the CPU (a loaded
 * machine, a SIGSTOP) is not taken for a hung one.
 */
void hil_qmp_set_peer(struct hil_qmp *q, pid_t pid);

/** Close the socket (if open) and forget buffered bytes. */
void hil_qmp_close(struct hil_qmp *q);

/**
 * Read the greeting and enter command mode (qmp_capabilities).
 * @param timeout_ms bound of the whole exchange (ms; of QEMU's CPU time
 *        after hil_qmp_set_peer, else wall-clock); a bound on a hung QEMU
 * @return 0; FOTA_ETIMEOUT; FOTA_ECONN (QEMU closed the socket);
 *         FOTA_EIO (write failed, or an "error" reply: q->error says which).
 */
int hil_qmp_handshake(struct hil_qmp *q, int timeout_ms);

/**
 * Send command @p name with @p args_json (a JSON object as text, or NULL
 * for none) and wait for its reply, passing events on as they come.
 * @return 0 ("return"); FOTA_EIO ("error": q->error says which, or the
 *         write failed); FOTA_EINVAL (@p args_json is not a JSON object);
 *         FOTA_ETIMEOUT; FOTA_ECONN.
 */
int hil_qmp_command(struct hil_qmp *q, const char *name, const char *args_json, int timeout_ms);

/**
 * Read whatever QEMU has sent (never blocking) and hand its events on.
 * Replies without a pending command are dropped.
 * @return 0; FOTA_ECONN (closed); FOTA_EIO.
 */
int hil_qmp_poll_events(struct hil_qmp *q);

#endif /* HIL_QMP_H */
