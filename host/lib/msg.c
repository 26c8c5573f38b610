/* Diagnostic message helpers (fotahost/common.h). */
#include <stdarg.h>
#include <stdio.h>
#include "fotahost/common.h"

int fh_msg_set(struct fh_msg *m, int rc, const char *fmt, ...)
{
    va_list ap;

    if (m == NULL) {
        return rc;
    }
    va_start(ap, fmt);
    (void)vsnprintf(m->text, sizeof(m->text), fmt, ap);
    va_end(ap);
    return rc;
}

void fh_msg_clear(struct fh_msg *m)
{
    if (m != NULL) {
        m->text[0] = '\0';
    }
}
