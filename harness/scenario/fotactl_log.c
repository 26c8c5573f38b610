/**
 * @file fotactl_log.c
 * @brief The resume facts of fotactl's `stats:` line (fotactl_log.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fota/errors.h"
#include "scenario/fotactl_log.h"

int hil_fotactl_resume(const char *text, uint32_t *resume, bool *fresh)
{
    const char *line = NULL;
    for (const char *p = text; p != NULL && (p = strstr(p, "stats: ")) != NULL; p++) {
        if (p == text || p[-1] == '\n') {
            line = p;
        }
    }
    if (line == NULL) {
        return FOTA_ENOENT;
    }
    const char *eol = strchr(line, '\n');
    size_t len = eol != NULL ? (size_t)(eol - line) : strlen(line);
    const char *r = strstr(line, ", resume ");
    if (r == NULL || (size_t)(r - line) >= len) {
        return FOTA_ENOENT;
    }
    char *end = NULL;
    unsigned long v = strtoul(r + strlen(", resume "), &end, 10);
    if (end == r + strlen(", resume ") || v > 0xFFFFFFFFul) {
        return FOTA_ENOENT;
    }
    *resume = (uint32_t)v;
    *fresh = strncmp(end, " (fresh)", strlen(" (fresh)")) == 0;
    return 0;
}

int hil_fotactl_check_resumed_at(const char *text, uint32_t want, char *msg, size_t msglen)
{
    uint32_t got = 0;
    bool fresh = false;
    if (hil_fotactl_resume(text, &got, &fresh) != 0) {
        snprintf(msg, msglen, "resumed_at: %u expected, but fotactl printed no stats line", (unsigned)want);
        return FOTA_ENOENT;
    }
    if (fresh || got != want) {
        snprintf(msg, msglen, "resumed_at: expected the host to resume at %u, it %s at %u", (unsigned)want,
                 fresh ? "restarted (BEGIN FRESH)" : "resumed", (unsigned)got);
        return FOTA_EPROTO;
    }
    return 0;
}
