/**
 * @file results.c
 * @brief Result lines, summary, JUnit XML, TAP 13, worker wire format.
 */
#include "scenario/results.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

static char *dup_or_null(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    char *d = strdup(s);
    if (d == NULL) {
        fprintf(stderr, "fota-hil: out of memory\n");
        abort();
    }
    return d;
}

void hil_results_add(struct hil_results *rs, const struct hil_result *r)
{
    struct hil_result *n = realloc(rs->items, sizeof(*n) * (size_t)(rs->count + 1));
    if (n == NULL) {
        fprintf(stderr, "fota-hil: out of memory\n");
        abort();
    }
    rs->items = n;
    struct hil_result *d = &rs->items[rs->count++];
    *d = *r;
    d->id = dup_or_null(r->id);
    d->file = dup_or_null(r->file);
    d->message = dup_or_null(r->message);
    d->console = dup_or_null(r->console);
    d->props = dup_or_null(r->props);
    d->first_console = dup_or_null(r->first_console);
}

void hil_result_make_flaky(struct hil_result *r, struct hil_result *pass, int attempts)
{
    const char *first = r->message != NULL ? r->message : "failed";
    size_t ml = strlen(first) + 64;
    char *m = malloc(ml);
    if (m == NULL) {
        abort();
    }
    snprintf(m, ml, "passed on attempt %d; first failure: %s", attempts, first);
    free(r->message);
    r->message = m;
    free(r->first_console);
    r->first_console = r->console;
    r->console = pass->console;
    pass->console = NULL;
    size_t pl = (pass->props != NULL ? strlen(pass->props) : 0) + 48;
    char *props = malloc(pl);
    if (props == NULL) {
        abort();
    }
    snprintf(props, pl, "%s%sflaky=true\nattempts=%d", pass->props != NULL ? pass->props : "",
             pass->props != NULL && pass->props[0] != '\0' ? "\n" : "", attempts);
    free(r->props);
    r->props = props;
    r->seconds = pass->seconds;
    r->status = HIL_FLAKY;
    r->attempts = attempts;
}

void hil_result_clear(struct hil_result *r)
{
    free(r->id);
    free(r->file);
    free(r->message);
    free(r->console);
    free(r->props);
    free(r->first_console);
    memset(r, 0, sizeof(*r));
}

void hil_results_free(struct hil_results *rs)
{
    for (int i = 0; i < rs->count; i++) {
        hil_result_clear(&rs->items[i]);
    }
    free(rs->items);
    rs->items = NULL;
    rs->count = 0;
}

int hil_results_count(const struct hil_results *rs, enum hil_status st)
{
    int n = 0;
    for (int i = 0; i < rs->count; i++) {
        if (rs->items[i].status == st) {
            n++;
        }
    }
    return n;
}

/* Print @p s, indenting every line after the first by @p indent. */
static void print_indented(FILE *out, const char *s, const char *indent)
{
    for (const char *p = s; *p != '\0'; p++) {
        fputc(*p, out);
        if (*p == '\n' && p[1] != '\0') {
            fputs(indent, out);
        }
    }
}

void hil_result_print(const struct hil_result *r, FILE *out)
{
    const char *id = r->id != NULL ? r->id : "?";
    switch (r->status) {
    case HIL_PASS:
        fprintf(out, "PASS %s (%.2f s)\n", id, r->seconds);
        break;
    case HIL_FAIL:
        fprintf(out, "FAIL %s: ", id);
        print_indented(out, r->message != NULL ? r->message : "failed", "    ");
        /* After a multi-line message (console lines) the time gets its own line. */
        fprintf(out, "%s(%.2f s)\n", r->message != NULL && strchr(r->message, '\n') != NULL ? "\n    " : " ",
                r->seconds);
        break;
    case HIL_SKIP:
        fprintf(out, "SKIP %s: %s\n", id, r->message != NULL ? r->message : "skipped");
        break;
    case HIL_FLAKY:
        fprintf(out, "FLAKY %s: ", id);
        print_indented(out, r->message != NULL ? r->message : "flaky", "    ");
        fprintf(out, "\n    (%.2f s)\n", r->seconds);
        break;
    }
}

void hil_results_print_summary(const struct hil_results *rs, FILE *out)
{
    int skipped = hil_results_count(rs, HIL_SKIP);
    fprintf(out, "%d passed, %d failed", hil_results_count(rs, HIL_PASS), hil_results_count(rs, HIL_FAIL));
    int flaky = hil_results_count(rs, HIL_FLAKY);
    if (flaky > 0 || rs->show_flaky) {
        fprintf(out, ", %d flaky", flaky);
    }
    if (skipped > 0) {
        fprintf(out, ", %d skipped", skipped);
    }
    fputc('\n', out);
}

/* Length of a valid UTF-8 sequence at p (1..4), 0 if invalid. */
static int utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    int n;
    uint32_t cp;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0u) != 0x80u) {
            return 0; /* also stops at the terminating NUL */
        }
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) {
        return 0;
    }
    return n;
}

void hil_xml_escape(FILE *out, const char *s)
{
    if (s == NULL) {
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        unsigned char c = *p;
        switch (c) {
        case '&': fputs("&amp;", out); p++; continue;
        case '<': fputs("&lt;", out); p++; continue;
        case '>': fputs("&gt;", out); p++; continue;
        case '"': fputs("&quot;", out); p++; continue;
        case '\'': fputs("&apos;", out); p++; continue;
        case '\t': case '\n': case '\r': fputc(c, out); p++; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7F) {
            fprintf(out, "\\x%02X", c); /* not representable in XML 1.0 */
            p++;
            continue;
        }
        int n = utf8_len(p);
        if (n == 0) {
            fputs("&#xFFFD;", out);
            p++;
            continue;
        }
        fwrite(p, 1, (size_t)n, out);
        p += n;
    }
}

/* Attribute values: newlines kept as character references. */
static void xml_attr(FILE *out, const char *s)
{
    if (s == NULL) {
        return;
    }
    const char *p = s;
    while (*p != '\0') {
        const char *nl = strpbrk(p, "\n\r\t");
        if (nl == NULL) {
            hil_xml_escape(out, p);
            break;
        }
        size_t n = (size_t)(nl - p);
        char *part = strndup(p, n);
        if (part == NULL) {
            abort();
        }
        hil_xml_escape(out, part);
        free(part);
        fprintf(out, "&#%d;", (int)(unsigned char)*nl);
        p = nl + 1;
    }
}

static char *g_suite_props;

void hil_results_set_suite_props(const char *props)
{
    free(g_suite_props);
    g_suite_props = dup_or_null(props);
}

/* "key=value" lines as JUnit <property> elements (provenance, case facts). */
static void write_props(FILE *out, const char *props, const char *indent)
{
    fprintf(out, "%s<properties>\n", indent);
    for (const char *p = props; *p != '\0';) {
        const char *eol = strchr(p, '\n');
        size_t n = eol != NULL ? (size_t)(eol - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (eq != NULL) {
            char *k = strndup(p, (size_t)(eq - p));
            char *v = strndup(eq + 1, n - (size_t)(eq - p) - 1);
            if (k == NULL || v == NULL) {
                abort();
            }
            fprintf(out, "%s  <property name=\"", indent);
            xml_attr(out, k);
            fputs("\" value=\"", out);
            xml_attr(out, v);
            fputs("\"/>\n", out);
            free(k);
            free(v);
        }
        p += n + (eol != NULL ? 1 : 0);
    }
    fprintf(out, "%s</properties>\n", indent);
}

/* A FLAKY case (Maven Surefire's rerun convention): it passed; its
 * <flakyFailure> carries the first failure's message and console log. */
/* `<tag message="first line of msg" type="failure">` */
static void results_open_failure(FILE *out, const char *tag, const char *msg)
{
    const char *nl = strchr(msg, '\n');
    char *first = nl != NULL ? strndup(msg, (size_t)(nl - msg)) : strdup(msg);
    if (first == NULL) {
        abort();
    }
    fprintf(out, "      <%s message=\"", tag);
    xml_attr(out, first);
    fputs("\" type=\"failure\">", out);
    free(first);
}

static void results_write_flaky(FILE *out, const struct hil_result *r)
{
    const char *msg = r->message != NULL ? r->message : "flaky";
    results_open_failure(out, "flakyFailure", msg);
    fputs("<stackTrace>", out);
    hil_xml_escape(out, msg);
    fputs("</stackTrace>", out);
    if (r->first_console != NULL && r->first_console[0] != '\0') {
        fputs("<system-out>", out);
        hil_xml_escape(out, r->first_console);
        fputs("</system-out>", out);
    }
    fputs("</flakyFailure>\n", out);
}

int hil_results_write_junit(const struct hil_results *rs, FILE *out)
{
    double total = 0.0;
    for (int i = 0; i < rs->count; i++) {
        total += rs->items[i].seconds;
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuites name=\"fota-hil\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
            rs->count, hil_results_count(rs, HIL_FAIL), hil_results_count(rs, HIL_SKIP), total);
    fprintf(out, "  <testsuite name=\"fota-hil\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n",
            rs->count, hil_results_count(rs, HIL_FAIL), hil_results_count(rs, HIL_SKIP), total);
    if (g_suite_props != NULL && g_suite_props[0] != '\0') {
        write_props(out, g_suite_props, "    ");
    }
    for (int i = 0; i < rs->count; i++) {
        const struct hil_result *r = &rs->items[i];
        const char *id = r->id != NULL ? r->id : "?";
        /* class: the scenario id up to its last '.' before any '@' (a case
         * id's part after '@' may hold dots: `from=2.0.0`, `0x0808.5`) */
        const char *at = strchr(id, '@');
        const char *dot = NULL;
        for (const char *p = id; *p != '\0' && (at == NULL || p < at); p++) {
            dot = *p == '.' ? p : dot;
        }
        char *cls = dot != NULL ? strndup(id, (size_t)(dot - id)) : strdup("fota-hil");
        const char *name = dot != NULL ? dot + 1 : id;
        if (cls == NULL) {
            abort();
        }
        fputs("    <testcase classname=\"", out);
        xml_attr(out, cls);
        fputs("\" name=\"", out);
        xml_attr(out, name);
        fprintf(out, "\" time=\"%.3f\"", r->seconds);
        if (r->file != NULL) {
            fputs(" file=\"", out);
            xml_attr(out, r->file);
            fputs("\"", out);
        }
        fputs(">\n", out);
        free(cls);
        if (r->props != NULL && r->props[0] != '\0') {
            write_props(out, r->props, "      ");
        }
        if (r->status == HIL_FAIL) {
            const char *msg = r->message != NULL ? r->message : "failed";
            results_open_failure(out, "failure", msg);
            hil_xml_escape(out, msg);
            fputs("</failure>\n", out);
        } else if (r->status == HIL_FLAKY) {
            results_write_flaky(out, r);
        } else if (r->status == HIL_SKIP) {
            fputs("      <skipped message=\"", out);
            xml_attr(out, r->message != NULL ? r->message : "skipped");
            fputs("\"/>\n", out);
        }
        if (r->console != NULL && r->console[0] != '\0') {
            fputs("      <system-out>", out);
            hil_xml_escape(out, r->console);
            fputs("</system-out>\n", out);
        }
        fputs("    </testcase>\n", out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
    return ferror(out) ? FOTA_EIO : 0;
}

int hil_results_write_tap(const struct hil_results *rs, FILE *out)
{
    fprintf(out, "TAP version 13\n1..%d\n", rs->count);
    for (int i = 0; i < rs->count; i++) {
        const struct hil_result *r = &rs->items[i];
        const char *id = r->id != NULL ? r->id : "?";
        switch (r->status) {
        case HIL_PASS:
            fprintf(out, "ok %d - %s\n", i + 1, id);
            break;
        case HIL_SKIP: {
            /* A directive's reason ends at the line end. */
            const char *why = r->message != NULL ? r->message : "skipped";
            fprintf(out, "ok %d - %s # SKIP ", i + 1, id);
            for (const char *p = why; *p != '\0' && *p != '\n'; p++) {
                fputc(*p, out);
            }
            fputc('\n', out);
            break;
        }
        case HIL_FAIL:
            fprintf(out, "not ok %d - %s\n", i + 1, id);
            break;
        case HIL_FLAKY:
            fprintf(out, "ok %d - %s # flaky: passed on attempt %d\n", i + 1, id, r->attempts);
            break;
        }
        fprintf(out, "  ---\n  duration_ms: %.0f\n", r->seconds * 1000.0);
        if (r->status == HIL_FAIL || r->status == HIL_FLAKY) {
            fputs("  message: |\n    ", out);
            print_indented(out, r->message != NULL ? r->message : "failed", "    ");
            fputc('\n', out);
            if (r->file != NULL) {
                fputs("  file: '", out);
                for (const char *p = r->file; *p != '\0'; p++) {
                    if (*p == '\'') {
                        fputc('\'', out);
                    }
                    fputc(*p == '\n' ? ' ' : *p, out);
                }
                fprintf(out, "'\n  line: %d\n", r->line);
            }
        }
        fputs("  ...\n", out);
    }
    return ferror(out) ? FOTA_EIO : 0;
}

int hil_result_encode(const struct hil_result *r, char **buf, size_t *len)
{
    const char *msg = r->message != NULL ? r->message : "";
    const char *props = r->props != NULL ? r->props : "";
    size_t ml = strlen(msg);
    size_t pl = strlen(props);
    char head[96];
    int hl = snprintf(head, sizeof(head), "HILR %d %.6f %zu %zu\n", (int)r->status, r->seconds, ml, pl);
    if (hl < 0 || (size_t)hl >= sizeof(head)) {
        return FOTA_EINVAL;
    }
    char *b = malloc((size_t)hl + ml + pl);
    if (b == NULL) {
        return FOTA_ENOMEM;
    }
    memcpy(b, head, (size_t)hl);
    memcpy(b + hl, msg, ml);
    memcpy(b + (size_t)hl + ml, props, pl);
    *buf = b;
    *len = (size_t)hl + ml + pl;
    return 0;
}

int hil_result_decode(const char *buf, size_t len, struct hil_result *r)
{
    const char *nl = memchr(buf, '\n', len < 96 ? len : 96);
    if (nl == NULL) {
        return FOTA_EINVAL;
    }
    char head[96];
    size_t hl = (size_t)(nl - buf);
    memcpy(head, buf, hl);
    head[hl] = '\0';
    int st = 0;
    double secs = 0;
    size_t ml = 0;
    size_t pl = 0;
    if (sscanf(head, "HILR %d %lf %zu %zu", &st, &secs, &ml, &pl) != 4 || st < HIL_PASS || st > HIL_SKIP ||
        ml > len - hl - 1 || pl != len - hl - 1 - ml) {
        return FOTA_EINVAL;
    }
    free(r->props);
    r->props = pl > 0 ? strndup(nl + 1 + ml, pl) : NULL;
    char *m = malloc(ml + 1);
    if (m == NULL) {
        return FOTA_ENOMEM;
    }
    memcpy(m, nl + 1, ml);
    m[ml] = '\0';
    r->status = (enum hil_status)st;
    r->seconds = secs;
    free(r->message);
    r->message = ml > 0 ? m : (free(m), NULL);
    return 0;
}

bool hil_props_has(const char *props, const char *kv)
{
    size_t l = strlen(kv);
    bool key_only = strchr(kv, '=') == NULL;
    for (const char *p = props; p != NULL && *p != '\0';) {
        if (strncmp(p, kv, l) == 0 && (key_only ? p[l] == '=' : p[l] == '\n' || p[l] == '\0')) {
            return true;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return false;
}
