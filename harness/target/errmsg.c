/* `file:line: what is wrong` (errmsg.h). */
#include "target/errmsg.h"

#include <stdio.h>

void hil_errmsg_vset(char *err, size_t errlen, const char *file, int line, const char *fmt, va_list ap)
{
    if (err == NULL || errlen == 0) {
        return;
    }
    int n = snprintf(err, errlen, "%s:%d: ", file, line);
    if (n >= 0 && (size_t)n < errlen) {
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    }
}

void hil_vlog(hil_log_fn fn, void *ctx, const char *fmt, va_list ap)
{
    if (fn == NULL) {
        return;
    }
    char line[256];
    vsnprintf(line, sizeof(line), fmt, ap);
    fn(ctx, line);
}
