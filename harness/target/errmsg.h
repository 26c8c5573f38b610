/**
 * @file errmsg.h
 * @brief The `file:line: what is wrong` message every harness parser gives
 * for bad input (scenario files, rig profiles), written in one place.
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

#endif /* HIL_ERRMSG_H */
