/**
 * @file fault_parse.c
 * @brief Power-cut placements at a console line or a device time, and the
 * faults of steps other than update (see fault_parse.h).
 */
#include "scenario/fault_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"
#include "target/errmsg.h"

static int fp_fail(char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fp_fail(char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hil_errmsg_vset(err, errlen, file, line, fmt, ap);
    va_end(ap);
    return FOTA_EINVAL;
}

static int node_line(const yaml_node_t *n)
{
    return n != NULL ? (int)n->start_mark.line + 1 : 1;
}

static const char *plain_scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* `at_console: REGEX`: compiled into f->at_re. */
static int parse_at_console(const char *file, yaml_node_t *n, struct hil_fault *f, char *err, size_t errlen)
{
    const char *re = plain_scalar(n);
    if (re == NULL || re[0] == '\0') {
        return fp_fail(err, errlen, file, node_line(n), "at_console must be a regex (a console line to cut at)");
    }
    if (hil_regex_too_complex(re)) {
        return fp_fail(err, errlen, file, node_line(n), "at_console: bad regex /%s/: too complex (stacked or "
                       "nested repetitions)", re);
    }
    int rc = regcomp(&f->at_re, re, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &f->at_re, msg, sizeof(msg));
        return fp_fail(err, errlen, file, node_line(n), "at_console: bad regex /%s/: %s", re, msg);
    }
    f->at_re_ok = true;
    f->at_console = strdup(re);
    if (f->at_console == NULL) {
        return FOTA_ENOMEM;
    }
    f->at = HIL_AT_CONSOLE;
    return 0;
}

/* `at_ms: N`: device ms from the start of the step (0 is the step's start). */
static int parse_at_ms(const char *file, yaml_node_t *n, struct hil_fault *f, char *err, size_t errlen)
{
    const char *s = plain_scalar(n);
    char *end = NULL;
    errno = 0;
    unsigned long long v = s != NULL && s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    if (s == NULL || s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' || v > UINT32_MAX) {
        return fp_fail(err, errlen, file, node_line(n), "at_ms must be milliseconds of device time "
                       "(0..4294967295), got '%s'", s != NULL ? s : "(not a scalar)");
    }
    f->at_ms = (uint32_t)v;
    f->at = HIL_AT_MS;
    return 0;
}

int hil_fault_parse_at(const char *file, yaml_node_t *console, yaml_node_t *ms, const char *other,
                       const yaml_node_t *other_node, struct hil_fault *f, char *err, size_t errlen)
{
    if (console != NULL && ms != NULL) {
        return fp_fail(err, errlen, file, node_line(ms), "a power_cut is placed by one of at_console, at_ms, "
                       "on/n or frame, not by at_console and at_ms");
    }
    const char *at = console != NULL ? "at_console" : "at_ms";
    if (other != NULL) {
        if (strcmp(other, "torn") == 0) {
            return fp_fail(err, errlen, file, node_line(other_node), "torn applies to a cut at a flash operation "
                           "(on/n): a cut %s falls between operations", console != NULL ?
                           "at a console line" : "in time");
        }
        return fp_fail(err, errlen, file, node_line(other_node), "key '%s' does not apply to a power_cut placed "
                       "by %s (a power_cut is placed by one of at_console, at_ms, on/n or frame)", other, at);
    }
    return console != NULL ? parse_at_console(file, console, f, err, errlen) : parse_at_ms(file, ms, f, err, errlen);
}

int hil_fault_check_step(const char *file, enum hil_step_kind kind, const struct hil_fault *faults, int n,
                         char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        const struct hil_fault *f = &faults[i];
        if (f->kind != HIL_FAULT_POWER_CUT) {
            return fp_fail(err, errlen, file, f->line, "a %s fault needs an update step (its link or updater); "
                           "a %s step takes power_cut faults", hil_fault_kind_name(f->kind), hil_step_name(kind));
        }
        if (hil_fault_at_frame(f)) {
            return fp_fail(err, errlen, file, f->line, "a power_cut at a frame needs an update step; in a %s step "
                           "place it with on/n, at_console or at_ms", hil_step_name(kind));
        }
        if (f->at == HIL_AT_OP && f->n_kind != HIL_FN_NUMBER) {
            return fp_fail(err, errlen, file, f->line, "n: %s counts an image's DATA frames: update steps only; "
                           "in a %s step give a count", f->n_kind == HIL_FN_LAST ? "last" : "middle",
                           hil_step_name(kind));
        }
    }
    return 0;
}

void hil_faults_free(struct hil_fault *f, int n)
{
    for (int i = 0; f != NULL && i < n; i++) {
        if (f[i].at_re_ok) {
            regfree(&f[i].at_re);
        }
        free(f[i].at_console);
    }
    free(f);
}
