/**
 * @file errmsg.h
 * @brief The `file:line: what is wrong` message every harness parser gives
 * for bad input (scenario files, rig profiles), written in one place; and
 * the one formatter of the engines' log lines.
 */
#ifndef HIL_ERRMSG_H
#define HIL_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/**
 * Write `<file>:<line>: <fmt...>` into @p err (@p errlen bytes, always
 * NUL-terminated when @p errlen > 0; cut to fit). @p err NULL or @p errlen
 * 0: nothing is written. @p line counts from 1.
 */
void hil_errmsg_vset(char *err, size_t errlen, const char *file, int line, const char *fmt, va_list ap);

/** A log sink of the link layer's engines: one line, without a newline. */
typedef void (*hil_log_fn)(void *ctx, const char *line);

/**
 * Format @p fmt into one line (at most 255 bytes, cut to fit) and hand it
 * to @p fn with @p ctx; nothing when @p fn is NULL.
 */
void hil_vlog(hil_log_fn fn, void *ctx, const char *fmt, va_list ap);

#endif /* HIL_ERRMSG_H */
