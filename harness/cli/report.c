/**
 * @file report.c
 * @brief The HTML report of a suite run (see report.h).
 */
#include "cli/report.h"
#include "run/workdir.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fota/proto.h"
#include "run/runner.h"
#include "scenario/journal.h"
#include "target/flashmodel.h"
#include "trace/runtrace.h"
#include "trace/trace.h"

#define RP_TAIL_LINES   15     /* console lines shown per failure */
#define TL_WIDTH        1000   /* timeline SVG geometry */
#define TL_LEFT         110
#define TL_RIGHT        20
#define TL_LANE_H       26
#define TL_TOP          24

/* ---- JUnit ---- */

static int line_of(const char *text, const char *p)
{
    int line = 1;
    for (const char *q = text; q < p; q++) {
        line += *q == '\n';
    }
    return line;
}

/* Unescape XML text [s, s+n) into a malloc'ed string. */
static char *xml_unescape(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    if (o == NULL) {
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '&') {
            o[j++] = s[i];
            continue;
        }
        static const struct { const char *ent; char c; } ents[] = {
            { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
        };
        bool done = false;
        for (size_t e = 0; e < sizeof(ents) / sizeof(ents[0]) && !done; e++) {
            size_t l = strlen(ents[e].ent);
            if (i + l <= n && strncmp(s + i, ents[e].ent, l) == 0) {
                o[j++] = ents[e].c;
                i += l - 1;
                done = true;
            }
        }
        if (!done && i + 3 < n && s[i + 1] == '#') {
            char *end = NULL;
            long c = s[i + 2] == 'x' ? strtol(s + i + 3, &end, 16) : strtol(s + i + 2, &end, 10);
            if (end != NULL && (size_t)(end - s) < n && *end == ';' && c > 0 && c < 128) {
                o[j++] = (char)c;
                i = (size_t)(end - s);
                done = true;
            }
        }
        if (!done) {
            o[j++] = '&';
        }
    }
    o[j] = '\0';
    return o;
}

/* Attribute @p name of the tag starting at @p tag (up to '>'). */
static char *xml_attr_get(const char *tag, const char *name)
{
    const char *end = strchr(tag, '>');
    char key[64];
    snprintf(key, sizeof(key), " %s=\"", name);
    const char *a = strstr(tag, key);
    if (a == NULL || (end != NULL && a > end)) {
        return NULL;
    }
    a += strlen(key);
    const char *q = strchr(a, '"');
    return q != NULL ? xml_unescape(a, (size_t)(q - a)) : NULL;
}

/* Value of the <property name="@p key"> between @p from and @p end, malloc'ed; NULL if absent. */
static char *case_prop(const char *from, const char *end, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof(pat), "<property name=\"%s\"", key);
    const char *p = strstr(from, pat);
    return p != NULL && p < end ? xml_attr_get(p, "value") : NULL;
}

/* The <failure> or <skipped> of a case body [tag_end, body_end) into @p c. */
static void parse_outcome(const char *tag_end, const char *body_end, struct hil_report_case *c)
{
    c->status = HIL_PASS;
    const char *f = strstr(tag_end, "<failure");
    const char *s = strstr(tag_end, "<skipped");
    const char *fl = strstr(tag_end, "<flakyFailure");
    if (fl != NULL && fl < body_end) {
        c->status = HIL_FLAKY; /* passed on a retry (--retries): its first failure's message */
        c->message = xml_attr_get(fl, "message");
    } else if (f != NULL && f < body_end) {
        c->status = HIL_FAIL;
        const char *fe = strchr(f, '>');
        const char *fc = fe != NULL ? strstr(fe, "</failure>") : NULL;
        if (fe != NULL && fc != NULL && fe[-1] != '/') {
            c->message = xml_unescape(fe + 1, (size_t)(fc - fe - 1));
        } else {
            c->message = xml_attr_get(f, "message");
        }
    } else if (s != NULL && s < body_end) {
        c->status = HIL_SKIP;
        c->message = xml_attr_get(s, "message");
    }
}

/* One <testcase> at @p p (tag ends at @p tag_end, body at @p body_end) into @p c. */
static int parse_case(const char *p, const char *tag_end, const char *body_end, bool empty,
                      struct hil_report_case *c)
{
    memset(c, 0, sizeof(*c));
    c->bricked = -1;
    char *cls = xml_attr_get(p, "classname");
    char *name = xml_attr_get(p, "name");
    if (cls == NULL || name == NULL) {
        free(cls);
        free(name);
        return FOTA_EINVAL;
    }
    size_t il = strlen(cls) + strlen(name) + 2;
    c->id = malloc(il);
    if (c->id != NULL) {
        snprintf(c->id, il, "%s.%s", cls, name);
    }
    free(cls);
    free(name);
    c->file = xml_attr_get(p, "file");
    char *t = xml_attr_get(p, "time");
    c->seconds = t != NULL ? strtod(t, NULL) : 0.0;
    free(t);
    if (empty) {
        c->status = HIL_PASS;
        return 0;
    }
    char *b = case_prop(tag_end, body_end, "bricked");
    c->bricked = b == NULL ? -1 : strcmp(b, "0") != 0;
    free(b);
    c->brick_reason = case_prop(tag_end, body_end, "brick_reason");
    parse_outcome(tag_end, body_end, c);
    return 0;
}

int hil_report_parse_junit(const char *text, const char *path, struct hil_report_cases *out)
{
    memset(out, 0, sizeof(*out));
    if (strstr(text, "<testsuite") == NULL) {
        fprintf(stderr, "%s:1: not a JUnit file (no <testsuite>)\n", path);
        return FOTA_EINVAL;
    }
    const char *p = text;
    while ((p = strstr(p, "<testcase")) != NULL) {
        const char *tag_end = strchr(p, '>');
        if (tag_end == NULL) {
            fprintf(stderr, "%s:%d: <testcase> not closed\n", path, line_of(text, p));
            hil_report_cases_free(out);
            return FOTA_EINVAL;
        }
        bool empty = tag_end > p && tag_end[-1] == '/';
        const char *body_end = empty ? tag_end : strstr(tag_end, "</testcase>");
        if (body_end == NULL) {
            fprintf(stderr, "%s:%d: <testcase> without </testcase>\n", path, line_of(text, p));
            hil_report_cases_free(out);
            return FOTA_EINVAL;
        }
        struct hil_report_case *n = realloc(out->items, sizeof(*n) * (size_t)(out->count + 1));
        if (n == NULL) {
            hil_report_cases_free(out);
            return FOTA_ENOMEM;
        }
        out->items = n;
        if (parse_case(p, tag_end, body_end, empty, &out->items[out->count]) != 0) {
            fprintf(stderr, "%s:%d: <testcase> without classname or name\n", path, line_of(text, p));
            hil_report_cases_free(out);
            return FOTA_EINVAL;
        }
        out->count++;
        p = body_end;
    }
    return 0;
}

void hil_report_cases_free(struct hil_report_cases *c)
{
    for (int i = 0; i < c->count; i++) {
        free(c->items[i].id);
        free(c->items[i].file);
        free(c->items[i].message);
        free(c->items[i].brick_reason);
    }
    free(c->items);
    memset(c, 0, sizeof(*c));
}

/* ---- final flash state ---- */

int hil_report_slots(const char *dump, struct hil_report_slot slots[2], int *active)
{
    FILE *f = fopen(dump, "rb");
    if (f == NULL) {
        return FOTA_EIO;
    }
    uint8_t *mem = malloc(LAYOUT_FLASH_SIZE + 1);
    size_t n = mem != NULL ? fread(mem, 1, LAYOUT_FLASH_SIZE + 1, f) : 0;
    fclose(f);
    if (mem == NULL) {
        return FOTA_ENOMEM;
    }
    if (n != LAYOUT_FLASH_SIZE) {
        free(mem);
        return FOTA_ESIZE;
    }
    struct meta_record best = { 0 };
    bool found = meta_newest_in_image(mem, &best) != 0;
    *active = found && best.mr_active < LAYOUT_SLOT_COUNT ? best.mr_active : -1;
    for (uint32_t s = 0; s < 2; s++) {
        struct hil_report_slot *o = &slots[s];
        memset(o, 0, sizeof(*o));
        o->state = found ? best.mr_slot[s].ms_state : -1;
        struct image_header h;
        const uint8_t *base = mem + LAYOUT_SLOT_ADDR(s) - LAYOUT_FLASH_BASE;
        memcpy(&h, base, sizeof(h));
        o->has_header = h.ih_magic == IMAGE_MAGIC;
        o->version = h.ih_version;
        o->check = image_check_header(&h, s);
        if (o->check == 0 && crc32_update(0, base + IMAGE_HEADER_SIZE, h.ih_size) != h.ih_crc32) {
            o->check = FOTA_ECRC;
        }
    }
    free(mem);
    return 0;
}

int hil_report_bricked(const char *dump, bool *bricked, char *why, size_t whylen)
{
    struct hil_flash *f = malloc(sizeof(*f));
    if (f == NULL) {
        return FOTA_ENOMEM;
    }
    hil_flash_init(f);
    int rc = hil_flash_load_file(f, LAYOUT_FLASH_BASE, dump);
    if (rc == 0) {
        *bricked = !hil_flash_bootable(f, why, whylen);
    }
    free(f);
    return rc;
}

/* @p s single-quoted for a POSIX shell ('\'' for each quote inside). */
static void shell_quote(FILE *o, const char *s)
{
    fputc('\'', o);
    for (; *s != '\0'; s++) {
        if (*s == '\'') {
            fputs("'\\''", o);
        } else {
            fputc(*s, o);
        }
    }
    fputc('\'', o);
}

bool hil_report_is_sweep_case(const char *id, size_t *scenario_len)
{
    const char *at = id != NULL ? strchr(id, '@') : NULL;
    if (at != NULL && scenario_len != NULL) {
        *scenario_len = (size_t)(at - id);
    }
    return at != NULL;
}

char *hil_report_reproduce(const struct hil_report_case *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    if (o == NULL) {
        return NULL;
    }
    fputs(hil_report_is_sweep_case(c->id, NULL) ? "build/host/fota-hil run --pcap all --case "
                                                : "build/host/fota-hil run --pcap all --filter ", o);
    shell_quote(o, c->id != NULL ? c->id : "?");
    fputc(' ', o);
    if (c->file != NULL) {
        shell_quote(o, c->file);
    } else {
        fputs("scenarios/", o);
    }
    if (fclose(o) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- HTML helpers ---- */

static void esc(FILE *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
        switch (*p) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&#39;", o); break;
        default:
            if (*p < 0x20 && *p != '\n' && *p != '\t') {
                fprintf(o, "\\x%02X", *p);
            } else {
                fputc(*p, o);
            }
        }
    }
}

/* ---- timeline ---- */

enum lane { L_TO_TARGET, L_TO_HOST, L_FLASH, L_FAULT, L_POWER, L_CONSOLE, L_COUNT };
static const char *const lane_names[L_COUNT] = {
    "host\xe2\x86\x92target", "target\xe2\x86\x92host", "flash", "faults", "power/boot", "console",
};

static void frame_title(const struct hil_trace_rec *r, char *out, size_t len)
{
    struct proto_parser p;
    proto_parser_init(&p);
    int res = PROTO_FEED_MORE;
    for (size_t i = 0; i < r->frame.len && res == PROTO_FEED_MORE; i++) {
        res = proto_parser_feed(&p, r->frame.bytes[i]);
    }
    if (res != PROTO_FEED_FRAME && res != PROTO_FEED_BAD_CRC) {
        snprintf(out, len, "#%u %zu bytes, no complete frame", r->frame.index, r->frame.len);
        return;
    }
    const struct proto_frame *f = &p.frame;
    int u = snprintf(out, len, "#%u %s seq=%u len=%u", r->frame.index, proto_type_name(f->type), f->seq, f->len);
    if (u < 0 || (size_t)u >= len) {
        return;
    }
    if (f->type == PROTO_T_DATA && f->len >= 4) {
        u += snprintf(out + u, len - (size_t)u, " off=%u", proto_get_u32(f->payload));
    } else if ((f->type & PROTO_T_RSP) != 0 && f->len >= 1) {
        u += snprintf(out + u, len - (size_t)u, " %s", f->payload[0] == 0 ? "OK" : fota_strerror(f->payload[0]));
    }
    if (res == PROTO_FEED_BAD_CRC && (size_t)u < len) {
        snprintf(out + u, len - (size_t)u, " BAD CRC");
    }
}

/* CSS class of a frame mark. */
static const char *frame_class(const struct hil_trace_rec *r)
{
    struct proto_parser p;
    proto_parser_init(&p);
    int res = PROTO_FEED_MORE;
    for (size_t i = 0; i < r->frame.len && res == PROTO_FEED_MORE; i++) {
        res = proto_parser_feed(&p, r->frame.bytes[i]);
    }
    if (res == PROTO_FEED_BAD_CRC || res == PROTO_FEED_MORE) {
        return "frame bad";
    }
    if (p.frame.type == PROTO_T_NACK || ((p.frame.type & PROTO_T_RSP) && p.frame.len >= 1 && p.frame.payload[0])) {
        return "frame nack";
    }
    return p.frame.type == PROTO_T_DATA || p.frame.type == (PROTO_T_DATA | PROTO_T_RSP) ? "frame data" : "frame ctl";
}

/* The time span of a trace: its last timestamp (µs, at least 1). */
static uint64_t trace_span_us(const char *pcap)
{
    struct hil_trace_reader *rd = NULL;
    uint64_t t_end = 1;
    if (hil_trace_read_open(pcap, &rd, NULL, 0) != 0) {
        return t_end;
    }
    struct hil_trace_rec r;
    int rc;
    while ((rc = hil_trace_read_next(rd, &r)) == 0 || (rc != FOTA_ENOENT && rc != FOTA_EIO)) {
        if (rc == 0 && r.ts_us > t_end) {
            t_end = r.ts_us;
        }
    }
    hil_trace_read_close(rd);
    return t_end;
}

/* The lanes and the time axis (~10 ticks) of a run of @p t_end µs. */
static void timeline_frame(FILE *out, uint64_t t_end, double span)
{
    for (int l = 0; l < L_COUNT; l++) {
        int y = TL_TOP + l * TL_LANE_H;
        fprintf(out, "<g class=\"lane\" data-lane=\"%d\"><rect class=\"lanebg\" x=\"%d\" y=\"%d\" width=\"%.0f\" "
                "height=\"%d\"/><text class=\"lanename\" x=\"4\" y=\"%d\">%s</text></g>\n",
                l, TL_LEFT, y + 2, span, TL_LANE_H - 4, y + TL_LANE_H / 2 + 4, lane_names[l]);
    }
    double secs = (double)t_end / 1e6;
    double step = secs > 50 ? 10 : secs > 20 ? 5 : secs > 8 ? 2 : secs > 4 ? 1 : secs > 1 ? 0.5 : 0.1;
    int axis_y = TL_TOP + L_COUNT * TL_LANE_H + 14;
    for (double t = 0; t <= secs + 1e-9; t += step) {
        double x = TL_LEFT + t / secs * span;
        fprintf(out, "<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
                "<text class=\"ticklabel\" x=\"%.1f\" y=\"%d\">%.1f s</text>\n",
                x, TL_TOP, x, axis_y - 10, x - 10, axis_y, t);
    }
}

/* Lane, CSS class and title of record @p r. */
static enum lane mark_of(const struct hil_trace_rec *r, const char **cls, char *title, size_t len)
{
    switch (r->kind) {
    case HIL_TRACE_FRAME:
        frame_title(r, title, len);
        *cls = frame_class(r);
        return r->dir == HIL_TRACE_DIR_TO_TARGET ? L_TO_TARGET : L_TO_HOST;
    case HIL_TRACE_FAULT:
        snprintf(title, len, "FAULT %s %s frame %u", hil_trace_fault_name(r->fault.kind),
                 hil_trace_dir_name(r->dir), r->fault.frame);
        *cls = "fault";
        return L_FAULT;
    case HIL_TRACE_FLASH:
        snprintf(title, len, "%s 0x%08x +%u (#%u)%s", r->flash.op == HIL_OP_ERASE ? "erase" : "program",
                 r->flash.addr, r->flash.len, r->flash.seq,
                 r->flash.verdict == HIL_ACT_CUT ? " POWER CUT" : r->flash.verdict == HIL_ACT_FAIL ? " FAILED" : "");
        *cls = r->flash.verdict != HIL_ACT_APPLY ? "flash cut" : r->flash.op == HIL_OP_ERASE ? "flash erase" :
               "flash program";
        return L_FLASH;
    case HIL_TRACE_POWER:
        snprintf(title, len, "%s 0x%08x %s", hil_trace_power_name(r->power.event), r->power.value, r->power.detail);
        *cls = r->power.event == HIL_TRACE_PWR_CUT || r->power.event == HIL_TRACE_PWR_WATCHDOG ||
               r->power.event == HIL_TRACE_PWR_DIED ? "power bad" : "power";
        return L_POWER;
    case HIL_TRACE_CONSOLE:
        break;
    }
    snprintf(title, len, "%s", r->kind == HIL_TRACE_CONSOLE ? r->console.text : "");
    *cls = r->kind == HIL_TRACE_CONSOLE ? "console" : "ev";
    return L_CONSOLE;
}

/* One record as a mark (a circle for power and faults, else a bar) with its title. */
static void timeline_mark(FILE *out, const struct hil_trace_rec *r, uint64_t t_end, double span)
{
    double x = TL_LEFT + (double)r->ts_us / (double)t_end * span;
    char title[600];
    const char *cls = "ev";
    enum lane lane = mark_of(r, &cls, title, sizeof(title));
    int y = TL_TOP + (int)lane * TL_LANE_H;
    char ts[32];
    snprintf(ts, sizeof(ts), "%.3f s: ", (double)r->ts_us / 1e6);
    bool round = r->kind == HIL_TRACE_POWER || r->kind == HIL_TRACE_FAULT;
    if (round) {
        fprintf(out, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%d\" r=\"5\"><title>", cls, x, y + TL_LANE_H / 2);
    } else {
        int h = (r->kind == HIL_TRACE_FLASH && r->flash.verdict != HIL_ACT_APPLY) ? TL_LANE_H - 4 : TL_LANE_H - 10;
        fprintf(out, "<rect class=\"mark %s\" x=\"%.1f\" y=\"%d\" width=\"3\" height=\"%d\"><title>", cls, x,
                y + (TL_LANE_H - h) / 2, h);
    }
    esc(out, ts);
    esc(out, title);
    fputs(round ? "</title></circle>\n" : "</title></rect>\n", out);
}

int hil_report_timeline(const char *pcap, FILE *out)
{
    struct hil_trace_reader *rd = NULL;
    int rc = hil_trace_read_open(pcap, &rd, NULL, 0);
    if (rc != 0) {
        return rc;
    }
    uint64_t t_end = trace_span_us(pcap);
    int height = TL_TOP + L_COUNT * TL_LANE_H + 24;
    double span = (double)TL_WIDTH - TL_LEFT - TL_RIGHT;
    fprintf(out, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\">\n", TL_WIDTH, height, TL_WIDTH, height);
    timeline_frame(out, t_end, span);
    struct hil_trace_rec r;
    while ((rc = hil_trace_read_next(rd, &r)) == 0 || (rc != FOTA_ENOENT && rc != FOTA_EIO)) {
        if (rc == 0) {
            timeline_mark(out, &r, t_end, span); /* a bad record is skipped */
        }
    }
    hil_trace_read_close(rd);
    fputs("</svg>\n", out);
    return 0;
}

/* ---- throughput ---- */

struct tput {
    char name[160];
    double kbps;
};

/* DATA bytes acknowledged per second between the first DATA and the last DATA_RSP of a trace. */
static bool trace_throughput(const char *pcap, double *kbps)
{
    struct hil_trace_reader *rd = NULL;
    if (hil_trace_read_open(pcap, &rd, NULL, 0) != 0) {
        return false;
    }
    struct hil_trace_rec r;
    uint64_t first = 0, last = 0, bytes = 0;
    int rc;
    while ((rc = hil_trace_read_next(rd, &r)) == 0 || (rc != FOTA_ENOENT && rc != FOTA_EIO)) {
        if (rc != 0 || r.kind != HIL_TRACE_FRAME) {
            continue;
        }
        struct proto_parser p;
        proto_parser_init(&p);
        int res = PROTO_FEED_MORE;
        for (size_t i = 0; i < r.frame.len && res == PROTO_FEED_MORE; i++) {
            res = proto_parser_feed(&p, r.frame.bytes[i]);
        }
        if (res != PROTO_FEED_FRAME) {
            continue;
        }
        if (p.frame.type == PROTO_T_DATA && p.frame.len > 4) {
            if (first == 0) {
                first = r.ts_us;
            }
            bytes += p.frame.len - 4u;
        } else if (p.frame.type == (PROTO_T_DATA | PROTO_T_RSP)) {
            last = r.ts_us;
        }
    }
    hil_trace_read_close(rd);
    if (bytes == 0 || last <= first) {
        return false;
    }
    *kbps = (double)bytes / 1024.0 / ((double)(last - first) / 1e6);
    return true;
}

static void throughput_svg(FILE *o, const struct tput *t, int n, const char *source)
{
    double max = 1;
    for (int i = 0; i < n; i++) {
        max = t[i].kbps > max ? t[i].kbps : max;
    }
    int bar = 18, left = 300, width = 900;
    fprintf(o, "<p>Source: %s. KiB/s of image data acknowledged.</p>\n", source);
    fprintf(o, "<svg class=\"throughput\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n", width,
            n * (bar + 4) + 10);
    for (int i = 0; i < n; i++) {
        double w = t[i].kbps / max * (width - left - 80);
        int y = 4 + i * (bar + 4);
        fprintf(o, "<text x=\"4\" y=\"%d\">", y + 13);
        esc(o, t[i].name);
        fprintf(o, "</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\"><title>%.2f KiB/s</title>"
                "</rect><text x=\"%.1f\" y=\"%d\">%.2f</text>\n", left, y, w, bar, t[i].kbps, left + w + 4, y + 13,
                t[i].kbps);
    }
    fputs("</svg>\n", o);
}

/* ---- the page ---- */

static const char css[] =
    "body{font-family:sans-serif;margin:20px;color:#222}table{border-collapse:collapse;margin:8px 0}"
    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}"
    "tr.pass td.status{color:#080;font-weight:bold}tr.fail td.status{color:#c00;font-weight:bold}"
    "tr.skip td.status{color:#888}tr.flaky td.status{color:#c60;font-weight:bold}code,pre{font-size:12px;background:#f4f4f4}pre{padding:6px;overflow-x:auto;white-space:pre-wrap}"
    "section.failure{border-left:4px solid #c00;padding-left:12px;margin:24px 0}"
    ".lanebg{fill:#f7f7f7}.lanename{font-size:11px}.tick{stroke:#ddd}.ticklabel{font-size:10px;fill:#666}"
    ".frame.data{fill:#4a7bd0}.frame.ctl{fill:#2a2}.frame.bad{fill:#e00}.frame.nack{fill:#f80}"
    ".flash.program{fill:#888}.flash.erase{fill:#a6a}.flash.cut{fill:#e00}.fault{fill:#e00}"
    ".power{fill:#0aa}.power.bad{fill:#e00}.console{fill:#555}.bar{fill:#4a7bd0}svg text{font-size:11px}";

static char *read_all(const char *path)
{
    return hil_read_text_file(path, 64u * 1024u * 1024u);
}

/* The command that re-runs case @p c, HTML-escaped (the same in the table and the failure section). */
static void write_reproduce(FILE *o, const struct hil_report_case *c)
{
    char *cmd = hil_report_reproduce(c);
    esc(o, cmd != NULL ? cmd : "(out of memory)");
    free(cmd);
}

static void write_case_row(FILE *o, const struct hil_report_case *c)
{
    const char *st = c->status == HIL_PASS ? "pass" : c->status == HIL_FAIL ? "fail" :
                     c->status == HIL_FLAKY ? "flaky" : "skip";
    fprintf(o, "<tr class=\"case %s\" data-id=\"", st);
    esc(o, c->id);
    fputs("\"><td class=\"id\">", o);
    if (c->status == HIL_FAIL) {
        fputs("<a href=\"#fail-", o);
        esc(o, c->id);
        fputs("\">", o);
        esc(o, c->id);
        fputs("</a>", o);
    } else {
        esc(o, c->id);
    }
    fprintf(o, "</td><td class=\"status\">%s</td><td>%.2f s</td><td><code>", st == NULL ? "" :
            c->status == HIL_PASS ? "PASS" : c->status == HIL_FAIL ? "FAIL" :
            c->status == HIL_FLAKY ? "FLAKY" : "SKIP", c->seconds);
    write_reproduce(o, c);
    fputs("</code></td></tr>\n", o);
}

/* Is case @p c bricked (docs/SCENARIOS.md: no bootable confirmed image at
 * the end)? The runner's `bricked` property; without one (an older JUnit
 * file), decided from its flash-at-failure.bin. @p why gets the reason. */
/* @p file in the work directory of case @p id under @p work (the runner's
 * safe directory name for the id, harness/run/workdir.h). */
static void case_file(char *out, size_t len, const char *work, const char *id, const char *file)
{
    char dir[PATH_MAX];
    if (hil_workdir_path(work, id, dir, sizeof(dir)) != 0) {
        snprintf(dir, sizeof(dir), "%s/%s", work, id);
    }
    snprintf(out, len, "%s/%s", dir, file);
}

static bool case_bricked(const struct hil_report_case *c, const char *work, char *why, size_t whylen)
{
    snprintf(why, whylen, "%s", c->brick_reason != NULL ? c->brick_reason : "");
    if (c->bricked >= 0) {
        return c->bricked == 1;
    }
    char path[PATH_MAX + 64];
    case_file(path, sizeof(path), work, c->id, "flash-at-failure.bin");
    bool bricked = false;
    return c->status == HIL_FAIL && hil_report_bricked(path, &bricked, why, whylen) == 0 && bricked;
}

static void write_failure_timeline(FILE *o, const struct hil_report_case *c, const char *work)
{
    fputs("<h4>Timeline</h4>\n", o);
    char path[PATH_MAX + 64];
    case_file(path, sizeof(path), work, c->id, HIL_RUNTRACE_FILE);
    if (hil_report_timeline(path, o) != 0) {
        fputs("<p class=\"missing\">No trace: ", o);
        esc(o, path);
        fputs(" is missing or unreadable.</p>\n", o);
    } else {
        fputs("<p>Trace: <code>", o);
        esc(o, path);
        fputs("</code> (open with <code>tshark -X lua_script:scripts/fota-hil.lua -r ...</code>; replay with "
              "<code>fota-hil replay</code>). Hover a mark for its details.</p>\n", o);
    }
}

static void write_failure_slots(FILE *o, const struct hil_report_case *c, const char *work)
{
    fputs("<h4>Final slot states</h4>\n", o);
    char path[PATH_MAX + 64];
    case_file(path, sizeof(path), work, c->id, "flash-at-failure.bin");
    struct hil_report_slot slots[2];
    int active = -1;
    if (hil_report_slots(path, slots, &active) != 0) {
        fputs("<p class=\"missing\">No flash-at-failure.bin.</p>\n", o);
    } else {
        fputs("<table class=\"slots\"><tr><th>slot</th><th>metadata state</th><th>image version</th>"
              "<th>image check</th></tr>\n", o);
        for (int s = 0; s < 2; s++) {
            char ver[16] = "-";
            if (slots[s].has_header) {
                snprintf(ver, sizeof(ver), "%u.%u.%u", IMAGE_VERSION_MAJOR(slots[s].version),
                         IMAGE_VERSION_MINOR(slots[s].version), IMAGE_VERSION_PATCH(slots[s].version));
            }
            fprintf(o, "<tr class=\"slot\"><td>%s%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", s == 0 ? "A" : "B",
                    active == s ? " (active)" : "", slots[s].state < 0 ? "no metadata" :
                    meta_state_name((uint8_t)slots[s].state), ver,
                    slots[s].check == 0 ? "OK" : fota_strerror(slots[s].check));
        }
        fputs("</table>\n", o);
    }
    char why[160];
    if (case_bricked(c, work, why, sizeof(why))) {
        fputs("<p class=\"bricked\"><b>Bricked:</b> no bootable confirmed image (", o);
        esc(o, why);
        fputs(").</p>\n", o);
    }
}

static void write_failure_console(FILE *o, const struct hil_report_case *c, const char *work)
{
    fputs("<h4>Last console lines</h4>\n<pre class=\"console\">", o);
    char path[PATH_MAX + 64];
    case_file(path, sizeof(path), work, c->id, "console.log");
    char *text = hil_read_text_file(path, 64u * 1024u);
    if (text != NULL) {
        size_t n = strlen(text), start = 0;
        int seen = 0;
        for (size_t i = n; i > 0; i--) {
            if (text[i - 1] == '\n' && i != n && ++seen == RP_TAIL_LINES) {
                start = i;
                break;
            }
        }
        esc(o, text + start);
        free(text);
    }
    fputs("</pre>\n", o);
}

static void write_failure(FILE *o, const struct hil_report_case *c, const char *work)
{
    fputs("<section class=\"failure\" id=\"fail-", o);
    esc(o, c->id);
    fputs("\" data-id=\"", o);
    esc(o, c->id);
    fputs("\"><h3>", o);
    esc(o, c->id);
    fputs("</h3>\n<pre class=\"message\">", o);
    esc(o, c->message != NULL ? c->message : "failed");
    fputs("</pre>\n<p>Reproduce: <code class=\"reproduce\">", o);
    write_reproduce(o, c);
    fputs("</code></p>\n", o);
    write_failure_timeline(o, c, work);
    write_failure_slots(o, c, work);
    write_failure_console(o, c, work);
    fputs("</section>\n", o);
}

/* Brick rate per sweep: the sweep cases (ids `<scenario>@<point>`) grouped by scenario. */
static void write_sweeps(FILE *o, const struct hil_report_cases *cs, const char *work)
{
    fputs("<h2>Brick rate per sweep</h2>\n<table id=\"sweeps\"><tr><th>sweep</th><th>cases</th><th>failed</th>"
          "<th>bricked</th><th>brick rate</th></tr>\n", o);
    bool *done = calloc((size_t)cs->count + 1, sizeof(bool));
    int sweeps = 0;
    for (int i = 0; done != NULL && i < cs->count; i++) {
        size_t gl = 0;
        const char *id = cs->items[i].id;
        if (done[i] || !hil_report_is_sweep_case(id, &gl)) {
            continue;
        }
        int n = 0, nf = 0, nb = 0;
        for (int j = i; j < cs->count; j++) {
            const char *jd = cs->items[j].id;
            size_t jl = 0;
            if (!done[j] && hil_report_is_sweep_case(jd, &jl) && jl == gl && strncmp(jd, id, gl) == 0) {
                char why[160];
                done[j] = true;
                n++;
                nf += cs->items[j].status == HIL_FAIL;
                nb += case_bricked(&cs->items[j], work, why, sizeof(why));
            }
        }
        char group[256];
        snprintf(group, sizeof(group), "%.*s", (int)gl, id);
        fputs("<tr class=\"sweep\"><td>", o);
        esc(o, group);
        fprintf(o, "</td><td>%d</td><td>%d</td><td>%d</td><td>%.1f %%</td></tr>\n", n, nf, nb, 100.0 * nb / n);
        sweeps++;
    }
    free(done);
    fputs("</table>\n", o);
    if (sweeps == 0) {
        fputs("<p>No sweep cases in this run.</p>\n", o);
    }
    fputs("<p>Sweep cases have ids <code>&lt;scenario&gt;@&lt;point&gt;</code>. Bricked (docs/SCENARIOS.md): the "
          "device ended with no bootable confirmed image (the newest valid metadata record has no active slot, or "
          "it is not CONFIRMED, or its image fails header, CRC-32 or SHA-256 checks), passing and failing cases "
          "alike.</p>\n", o);
}

/* Throughput: bench.tsv of @p results, else the DATA transfers of the kept traces. */
static void write_throughput(FILE *o, const struct hil_report_cases *cs, const char *results, const char *work)
{
    fputs("<h2>Throughput</h2>\n", o);
    struct tput *t = calloc((size_t)cs->count + 64, sizeof(*t));
    int nt = 0;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/bench.tsv", results);
    FILE *b = fopen(path, "r");
    const char *source = "the DATA transfers in the kept traces";
    if (b != NULL && t != NULL) {
        char line[512];
        while (nt < cs->count + 64 && fgets(line, sizeof(line), b) != NULL) {
            char name[160];
            double bytes = 0, secs = 0;
            if (line[0] != '#' && sscanf(line, "%159[^\t]\t%lf\t%lf", name, &bytes, &secs) == 3 && secs > 0) {
                snprintf(t[nt].name, sizeof(t[nt].name), "%s", name);
                t[nt++].kbps = bytes / 1024.0 / secs;
            }
        }
        fclose(b);
        source = "make bench (bench.tsv)";
    }
    for (int i = 0; b == NULL && t != NULL && i < cs->count; i++) {
        case_file(path, sizeof(path), work, cs->items[i].id, HIL_RUNTRACE_FILE);
        double kbps;
        if (trace_throughput(path, &kbps)) {
            snprintf(t[nt].name, sizeof(t[nt].name), "%s", cs->items[i].id);
            t[nt++].kbps = kbps;
        }
    }
    if (nt == 0) {
        fputs("<p>No throughput data: no bench.tsv and no kept trace with a DATA transfer "
              "(run with <code>--pcap all</code>).</p>\n", o);
    } else {
        throughput_svg(o, t, nt, source);
    }
    free(t);
}

int hil_report_write(FILE *o, const struct hil_report_cases *cs, const char *results, const char *work)
{
    int pass = 0, fail = 0, skip = 0, flaky = 0;
    for (int i = 0; i < cs->count; i++) {
        flaky += cs->items[i].status == HIL_FLAKY;
        pass += cs->items[i].status == HIL_PASS;
        fail += cs->items[i].status == HIL_FAIL;
        skip += cs->items[i].status == HIL_SKIP;
    }
    fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>fota-hil report</title><style>%s</style></head><body>\n", css);
    fputs("<h1>fota-hil suite report</h1>\n<p class=\"summary\">", o);
    fprintf(o, "<span id=\"passed\">%d</span> passed, <span id=\"failed\">%d</span> failed", pass, fail);
    if (flaky > 0) {
        fprintf(o, ", <span id=\"flaky\">%d</span> flaky", flaky);
    }
    if (skip > 0) {
        fprintf(o, ", <span id=\"skipped\">%d</span> skipped", skip);
    }
    fputs(" &mdash; results from <code>", o);
    esc(o, results);
    fputs("</code>, work dirs in <code>", o);
    esc(o, work);
    fputs("</code></p>\n<h2>Cases</h2>\n<table id=\"cases\"><tr><th>id</th><th>status</th><th>time</th>"
          "<th>reproduce</th></tr>\n", o);
    for (int i = 0; i < cs->count; i++) {
        write_case_row(o, &cs->items[i]);
    }
    fputs("</table>\n<h2>Failures</h2>\n", o);
    if (fail == 0) {
        fputs("<p>None.</p>\n", o);
    }
    for (int i = 0; i < cs->count; i++) {
        if (cs->items[i].status == HIL_FAIL) {
            write_failure(o, &cs->items[i], work);
        }
    }
    write_sweeps(o, cs, work);
    write_throughput(o, cs, results, work);
    fputs("</body></html>\n", o);
    return ferror(o) ? FOTA_EIO : 0;
}

static const char report_usage[] =
    "usage: fota-hil report [--work-dir DIR] [-o FILE] RESULTS_DIR\n"
    "\n"
    "Writes one self-contained HTML page for a suite run: reads RESULTS_DIR/junit.xml,\n"
    "the cases' work dirs (default build/work: trace.pcap, flash-at-failure.bin,\n"
    "console.log) and RESULTS_DIR/bench.tsv if present. Default output:\n"
    "RESULTS_DIR/report.html. Exit status: 0 written, 2 bad input or usage.\n";

int hil_report_main(int argc, char **argv)
{
    const char *work = "build/work", *outp = NULL;
    static const struct option longopts[] = {
        { "work-dir", required_argument, NULL, 'w' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "+o:w:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'w': work = optarg; break;
        case 'o': outp = optarg; break;
        case 'h':
            fputs(report_usage, stdout);
            return 0;
        default:
            fputs(report_usage, stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fputs(report_usage, stderr);
        return 2;
    }
    const char *results = argv[optind];
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/junit.xml", results);
    char *text = read_all(path);
    if (text == NULL) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
        return 2;
    }
    struct hil_report_cases cs;
    int rc = hil_report_parse_junit(text, path, &cs);
    free(text);
    if (rc != 0) {
        return 2;
    }
    char outbuf[PATH_MAX + 32];
    if (outp == NULL) {
        snprintf(outbuf, sizeof(outbuf), "%s/report.html", results);
        outp = outbuf;
    }
    FILE *o = fopen(outp, "w");
    if (o == NULL) {
        fprintf(stderr, "%s: %s\n", outp, strerror(errno));
        hil_report_cases_free(&cs);
        return 2;
    }
    rc = hil_report_write(o, &cs, results, work);
    if (fclose(o) != 0 || rc != 0) {
        fprintf(stderr, "%s: write failed\n", outp);
        hil_report_cases_free(&cs);
        return 2;
    }
    printf("%s: %d cases\n", outp, cs.count);
    hil_report_cases_free(&cs);
    return 0;
}
