/**
 * @file common.h
 * @brief Shared bits of libfotahost: the human-readable error message that
 * accompanies every enum fota_err (fota/errors.h) a library call returns.
 *
 * libfotahost is the update master side of the fota-hil protocol
 * (fota/proto.h). The image and protocol code is portable C11 (it runs on
 * an ESP32 Wi-Fi bridge on a product); only the transports in
 * link_posix.c and the clock in platform_posix.c are POSIX.
 *
 * Return convention (as everywhere in fota-hil): 0 on success, a positive
 * enum fota_err otherwise; the optional struct fh_msg receives one line
 * of text saying what exactly was wrong (no trailing newline).
 */
#ifndef FOTAHOST_COMMON_H
#define FOTAHOST_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include "fota/errors.h"

/** Capacity of struct fh_msg's text, bytes including the NUL. */
#define FH_MSG_MAX 320u

/** One line of diagnostic text; text[0] == '\0' when nothing was said. */
struct fh_msg {
    char text[FH_MSG_MAX];
};

#if defined(__GNUC__)
#define FH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FH_PRINTF(a, b)
#endif

/**
 * Format a message into @p m (truncated to FH_MSG_MAX - 1 characters).
 * @param m  may be NULL (then nothing happens)
 * @return @p rc unchanged, so a caller can write `return fh_msg_set(m, FOTA_EIO, ...)`.
 */
int fh_msg_set(struct fh_msg *m, int rc, const char *fmt, ...) FH_PRINTF(3, 4);

/** Clear @p m (may be NULL). */
void fh_msg_clear(struct fh_msg *m);

/**
 * Monotonic milliseconds for protocol deadlines. Provided by the platform
 * file (host/lib/platform_posix.c: CLOCK_MONOTONIC; an ESP32 build
 * provides its own). Wraps like port_ticks_ms(); compare with subtraction.
 */
uint32_t fh_now_ms(void);

#endif /* FOTAHOST_COMMON_H */
