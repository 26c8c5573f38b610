/**
 * @file replay.c
 * @brief Replay of a captured update session against a fresh emulated
 * target (see replay.h).
 */
#include "cli/replay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/proto.h"
#include "run/hold.h"
#include "run/runner.h"
#include "trace/runtrace.h"

#define RP_ANSWER_WAIT_MS   5000u  /* longest wait for an answer the capture has */
#define RP_HELLO_RETRY_MS   300u   /* HELLO re-sent this often while unanswered (target booting) */
#define RP_QUIET_MIN_MS     100u
#define RP_QUIET_MAX_MS     5000u
#define RP_GAP_MAX_MS       30000u
#define RP_SYNC_WAIT_MS     15000u /* for a jump or a power cut the capture shows */
#define RP_MAX_RX           16

/* ---- frames ---- */

/* Parse the first frame in @p b. @return PROTO_FEED_FRAME, _BAD_CRC or _MORE (none). */
static int parse_frame(const uint8_t *b, size_t n, struct proto_frame *out)
{
    static struct proto_parser p;
    proto_parser_init(&p);
    for (size_t i = 0; i < n; i++) {
        int r = proto_parser_feed(&p, b[i]);
        if (r == PROTO_FEED_FRAME || r == PROTO_FEED_BAD_CRC) {
            *out = p.frame;
            return r;
        }
    }
    return PROTO_FEED_MORE;
}

void hil_replay_describe(const uint8_t *bytes, size_t len, char *out, size_t outlen)
{
    static struct proto_frame f;
    int r = bytes != NULL ? parse_frame(bytes, len, &f) : PROTO_FEED_MORE;
    if (r == PROTO_FEED_MORE) {
        snprintf(out, outlen, bytes == NULL ? "no answer" : "%zu bytes without a frame", len);
        return;
    }
    int u = snprintf(out, outlen, "%s seq=%u", proto_type_name(f.type), f.seq);
    if (((f.type & PROTO_T_RSP) != 0) && f.len >= 1 && u > 0 && (size_t)u < outlen) {
        u += snprintf(out + u, outlen - (size_t)u, " %s", f.payload[0] == 0 ? "OK" : fota_strerror(f.payload[0]));
    }
    if (u > 0 && (size_t)u < outlen) {
        if (f.type == (PROTO_T_DATA | PROTO_T_RSP) && f.len >= PROTO_DATA_RSP_LEN) {
            snprintf(out + u, outlen - (size_t)u, " next=%u", proto_get_u32(f.payload + 1));
        } else if (f.type == (PROTO_T_BEGIN | PROTO_T_RSP) && f.len >= PROTO_BEGIN_RSP_LEN) {
            snprintf(out + u, outlen - (size_t)u, " resume=%u prefix_crc=0x%08x", proto_get_u32(f.payload + 1),
                     proto_get_u32(f.payload + 5));
        } else if (f.type == PROTO_T_DATA && f.len >= 4) {
            snprintf(out + u, outlen - (size_t)u, " off=%u len=%u", proto_get_u32(f.payload), f.len - 4u);
        } else if (f.type == (PROTO_T_HELLO | PROTO_T_RSP) && f.len >= PROTO_HELLO_RSP_LEN) {
            snprintf(out + u, outlen - (size_t)u, " role=%u active=%u target=%u", f.payload[2], f.payload[3],
                     f.payload[8]);
        }
    }
    if (r == PROTO_FEED_BAD_CRC) {
        size_t l = strlen(out);
        snprintf(out + l, outlen - l, " [BAD CRC]");
    }
}

int hil_replay_compare(const uint8_t *want, size_t want_len, const uint8_t *got, size_t got_len,
                       char *why, size_t whylen)
{
    char dw[160], dg[160];
    hil_replay_describe(want, want_len, dw, sizeof(dw));
    hil_replay_describe(got, got_len, dg, sizeof(dg));
    why[0] = '\0';
    if (want == NULL && got == NULL) {
        return 0;
    }
    if (want == NULL || got == NULL) {
        snprintf(why, whylen, "captured: %s; replay: %s", dw, dg);
        return 1;
    }
    static struct proto_frame fw, fg;
    int rw = parse_frame(want, want_len, &fw);
    int rg = parse_frame(got, got_len, &fg);
    const char *what = NULL;
    if (rw != rg) {
        what = "CRC status";
    } else if (rw == PROTO_FEED_MORE) {
        what = want_len != got_len || memcmp(want, got, want_len) != 0 ? "bytes" : NULL;
    } else if (fw.type != fg.type) {
        what = "type";
    } else if (fw.seq != fg.seq) {
        what = "seq";
    } else if ((fw.type & PROTO_T_RSP) != 0 && fw.len >= 1 && fg.len >= 1 && fw.payload[0] != fg.payload[0]) {
        what = "status";
    } else if (fw.len != fg.len || memcmp(fw.payload, fg.payload, fw.len) != 0) {
        what = "payload";
    }
    if (what == NULL) {
        return 0;
    }
    snprintf(why, whylen, "%s differs: captured %s; replay %s", what, dw, dg);
    return 1;
}

/* ---- the plan ---- */

static int plan_push(struct hil_replay_plan *p, const struct hil_replay_step *s)
{
    struct hil_replay_step *n = realloc(p->steps, sizeof(*n) * (size_t)(p->nsteps + 1));
    if (n == NULL) {
        return FOTA_ENOMEM;
    }
    p->steps = n;
    p->steps[p->nsteps++] = *s;
    return 0;
}

static uint8_t *dup_bytes(const uint8_t *b, size_t n)
{
    uint8_t *d = malloc(n + 1);
    if (d != NULL && n > 0) {
        memcpy(d, b, n);
    }
    return d;
}

/* Undo a corruption (xor 0xFF at @p off of the frame) in @p b: the frame
 * may follow line noise, so try every start whose repair gives a good CRC. */
static void undo_corrupt(uint8_t *b, size_t n, uint32_t off)
{
    struct proto_frame f;
    for (size_t s = 0; s + off < n; s++) {
        b[s + off] ^= 0xFFu;
        if (parse_frame(b + s, n - s, &f) == PROTO_FEED_FRAME) {
            return;
        }
        b[s + off] ^= 0xFFu;
    }
}

static int frame_seq(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++) {
        if (b[i] == PROTO_SYNC0 && b[i + 1] == PROTO_SYNC1) {
            return b[i + 3];
        }
    }
    return -1;
}

/* What plan_build carries from one capture record to the next. */
struct plan_state {
    struct hil_replay_plan *plan;
    uint32_t packet;
    uint64_t done_ts;          /* capture time the previous step completed */
    bool first;
    int open_send;             /* index of the SEND still collecting its answer */
    bool corrupt_pending;      /* a to_host corruption for the next to_host frame */
    uint32_t corrupt_off;
    bool cut_pending;          /* a FLASH cut was seen: the next POWER cut is its consequence */
    uint32_t nsent;            /* host->target frames so far */
    uint32_t ops_since[3];     /* flash ops per kind since the last of them */
};

/* The SEND an answer with sequence number @p seq belongs to. The target
 * answers frames in order, so it is the earliest still-unanswered SEND with
 * that seq among the last RP_ANSWER_WINDOW: a host that re-sent a frame
 * before its answer came (its timeout ran out on a loaded machine) has two
 * copies out, and the first answer is the first copy's. NULL: none. */
#define RP_ANSWER_WINDOW 4
static struct hil_replay_step *answer_owner(struct plan_state *ps, int seq)
{
    struct hil_replay_step *owner = NULL;
    int seen = 0;
    for (int i = ps->open_send; i >= 0 && seen < RP_ANSWER_WINDOW; i--) {
        struct hil_replay_step *s = &ps->plan->steps[i];
        if (s->kind != HIL_RP_SEND) {
            break; /* a power cut or verdict: what came before it is over */
        }
        seen++;
        if (s->answer == NULL && frame_seq(s->bytes, s->len) == seq) {
            owner = s;
        }
    }
    return owner;
}

/* A target->host frame: the answer of the SEND it belongs to (answer_owner). */
static int plan_answer(struct plan_state *ps, const struct hil_trace_rec *r)
{
    uint8_t *b = dup_bytes(r->frame.bytes, r->frame.len);
    if (b == NULL) {
        return FOTA_ENOMEM;
    }
    if (ps->corrupt_pending) {
        undo_corrupt(b, r->frame.len, ps->corrupt_off);
        ps->corrupt_pending = false;
    }
    int seq = frame_seq(b, r->frame.len);
    struct hil_replay_step *s = seq >= 0 ? answer_owner(ps, seq) : NULL;
    if (s != NULL) {
        s->answer = b;
        s->answer_len = r->frame.len;
        s->answer_packet = ps->packet;
        ps->done_ts = r->ts_us;
    } else {
        free(b);
    }
    return 0;
}

/* A FLASH record: counted; a cut or fail becomes a verdict to give again. */
static int plan_flash(struct plan_state *ps, const struct hil_trace_rec *r)
{
    if (r->flash.op < 3) {
        ps->ops_since[r->flash.op]++;
    }
    if (r->flash.verdict == HIL_ACT_APPLY) {
        return 0;
    }
    struct hil_replay_plan *plan = ps->plan;
    struct hil_replay_verdict *n = realloc(plan->verdicts, sizeof(*n) * (size_t)(plan->nverdicts + 1));
    if (n == NULL) {
        return FOTA_ENOMEM;
    }
    plan->verdicts = n;
    struct hil_replay_verdict *v = &plan->verdicts[plan->nverdicts++];
    memset(v, 0, sizeof(*v));
    v->op = r->flash.op;
    v->kind_seq = r->flash.kind_seq;
    v->after_send = ps->nsent;
    v->nth = r->flash.op < 3 ? ps->ops_since[r->flash.op] : 0;
    v->v.action = r->flash.verdict;
    v->v.torn = r->flash.torn;
    v->v.fail_rc = r->flash.rc;
    ps->cut_pending = r->flash.verdict == HIL_ACT_CUT;
    return 0;
}

/* A POWER record into step @p st. @return true if it is a step to replay. */
static bool plan_power(struct plan_state *ps, const struct hil_trace_rec *r, struct hil_replay_step *st)
{
    ps->plan->has_power = true;
    switch (r->power.event) {
    case HIL_TRACE_PWR_ON: st->kind = HIL_RP_POWER_ON; return true;
    case HIL_TRACE_PWR_RESET: st->kind = HIL_RP_RESET; return true;
    case HIL_TRACE_PWR_CUT:
        st->kind = HIL_RP_POWER_CUT;
        st->value = ps->cut_pending ? 1u : 0u; /* 1: the target cuts itself (flash verdict) */
        ps->cut_pending = false;
        return true;
    case HIL_TRACE_PWR_JUMP:
        st->kind = HIL_RP_JUMP;
        st->value = r->power.value;
        return true;
    default:
        return false;
    }
}

/* Append step @p st (taken at capture time @p ts): closes the open SEND's quiet time. */
static int plan_step(struct plan_state *ps, uint64_t ts, struct hil_replay_step *st)
{
    if (ps->open_send >= 0) {
        struct hil_replay_step *s = &ps->plan->steps[ps->open_send];
        if (s->answer == NULL) {
            s->quiet_us = ts - (ts >= ps->done_ts ? ps->done_ts : ts);
            ps->done_ts = ts;
            /* The host re-sent the frame before its answer came (its timeout
             * ran out): whether this copy is answered is timing, not verdict. */
            s->resent = st->kind == HIL_RP_SEND && st->len == s->len && memcmp(st->bytes, s->bytes, s->len) == 0;
        }
    }
    st->gap_us = ts >= ps->done_ts ? ts - ps->done_ts : 0;
    ps->done_ts = ts;
    ps->corrupt_pending = false;
    int rc = plan_push(ps->plan, st);
    if (rc != 0) {
        free(st->bytes);
        return rc;
    }
    ps->open_send = st->kind == HIL_RP_SEND ? ps->plan->nsteps - 1 : -1;
    return 0;
}

/* One capture record into the plan. */
static int plan_record(struct plan_state *ps, const struct hil_trace_rec *r)
{
    struct hil_replay_step st;
    memset(&st, 0, sizeof(st));
    st.packet = ps->packet;
    /* ROM-path units (AN3155/AN4286) are not update frames: not replayed. */
    bool fota_link = r->proto == HIL_TRACE_PROTO_FOTA;
    if (r->kind == HIL_TRACE_FRAME && fota_link && r->dir == HIL_TRACE_DIR_TO_TARGET && r->frame.len > 0) {
        st.kind = HIL_RP_SEND;
        st.bytes = dup_bytes(r->frame.bytes, r->frame.len);
        st.len = r->frame.len;
        if (st.bytes == NULL) {
            return FOTA_ENOMEM;
        }
        ps->nsent++;
        memset(ps->ops_since, 0, sizeof(ps->ops_since));
        return plan_step(ps, r->ts_us, &st);
    }
    if (r->kind == HIL_TRACE_FRAME && fota_link && r->dir == HIL_TRACE_DIR_TO_HOST && ps->open_send >= 0) {
        return plan_answer(ps, r);
    }
    if (r->kind == HIL_TRACE_FAULT && fota_link && r->dir == HIL_TRACE_DIR_TO_HOST) {
        if (r->fault.kind == HIL_TRACE_FAULT_CORRUPT) {
            ps->corrupt_pending = true;
            ps->corrupt_off = r->fault.offset;
        } else if (r->fault.kind == HIL_TRACE_FAULT_DROP && ps->open_send >= 0) {
            ps->plan->steps[ps->open_send].answer_dropped = true;
        }
        return 0;
    }
    if (r->kind == HIL_TRACE_FLASH) {
        return plan_flash(ps, r);
    }
    if (r->kind == HIL_TRACE_POWER && plan_power(ps, r, &st)) {
        return plan_step(ps, r->ts_us, &st);
    }
    return 0;
}

/* Every record of @p rd into the plan. @return 0 at the end of the capture; else the error, printed. */
static int plan_read(struct hil_trace_reader *rd, const char *path, struct plan_state *ps)
{
    struct hil_trace_rec r;
    int rc;
    while ((rc = hil_trace_read_next(rd, &r)) == 0) {
        ps->packet++;
        if (ps->first) {
            ps->done_ts = r.ts_us;
            ps->first = false;
            ps->plan->devtime = r.devtime;
        }
        rc = plan_record(ps, &r);
        if (rc != 0) {
            fprintf(stderr, "%s: packet %u: %s\n", path, ps->packet, fota_strerror(rc));
            return rc;
        }
    }
    if (rc == FOTA_EIO) {
        fprintf(stderr, "%s\n", hil_trace_read_error(rd));
    } else if (rc != FOTA_ENOENT) {
        fprintf(stderr, "%s: packet %u: %s\n", path, ps->packet + 1, fota_strerror(rc));
    }
    return rc == FOTA_ENOENT ? 0 : rc;
}

int hil_replay_plan_build(const char *path, struct hil_replay_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    struct hil_trace_reader *rd = NULL;
    char why[PATH_MAX + 256];
    int rc = hil_trace_read_open(path, &rd, why, sizeof(why));
    if (rc != 0) {
        fprintf(stderr, "%s\n", why);
        return rc;
    }
    struct plan_state ps = { .plan = plan, .first = true, .open_send = -1 };
    rc = plan_read(rd, path, &ps);
    hil_trace_read_close(rd);
    int sends = 0;
    for (int i = 0; rc == 0 && i < plan->nsteps; i++) {
        sends += plan->steps[i].kind == HIL_RP_SEND;
    }
    if (rc == 0 && sends == 0) {
        fprintf(stderr, "%s: no host->target frame to replay\n", path);
        rc = FOTA_ENOENT;
    }
    if (rc != 0) {
        hil_replay_plan_free(plan);
    }
    return rc;
}

void hil_replay_plan_free(struct hil_replay_plan *plan)
{
    for (int i = 0; i < plan->nsteps; i++) {
        free(plan->steps[i].bytes);
        free(plan->steps[i].answer);
    }
    free(plan->steps);
    free(plan->verdicts);
    memset(plan, 0, sizeof(*plan));
}

/* ---- running it ---- */

struct rx_frame {
    uint8_t bytes[PROTO_MAX_FRAME];
    size_t len;
};

struct rp {
    struct hil_target *t;
    struct hil_flash *flash;
    const struct hil_replay_plan *plan;
    FILE *console;
    FILE *events;
    struct hil_trace *trace;
    uint64_t t0;
    struct hil_devclock clock;     /* device time (run/hold.h), the capture's clock when plan->devtime */
    uint64_t clock0_us;
    bool verbose;
    int link_fd;
    bool link_dead;
    struct proto_parser parser;
    uint8_t cur[PROTO_MAX_FRAME];  /* bytes of the frame being received */
    uint32_t sent;                 /* host->target frames sent (plan SEND steps) */
    uint32_t ops_since[3];         /* flash ops per kind since the last of them */
    size_t cur_len;
    struct rx_frame rx[RP_MAX_RX];
    int nrx;
    uint32_t *jumps;
    int njumps;
    bool died;
    bool target_error;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The replay's clock in us: device time for a capture in device time, else wall time. */
static uint64_t rp_us(struct rp *p)
{
    if (p->plan->devtime) {
        return hil_devclock_us(&p->clock) - p->clock0_us;
    }
    return (mono_ms() - p->t0) * 1000u;
}

static uint64_t rp_ms(struct rp *p)
{
    return rp_us(p) / 1000u;
}

/* A wait of the replay: in the capture's clock, with a wall backstop
 * (10 x + 60 s) for a device that never runs again. */
struct rp_deadline {
    uint64_t until;      /* rp_ms */
    uint64_t wall_until; /* mono_ms */
};

static struct rp_deadline rp_deadline_in(struct rp *p, uint64_t ms)
{
    uint64_t backstop = p->plan->devtime ? 10u * ms + 60000u : ms;
    return (struct rp_deadline){ .until = rp_ms(p) + ms, .wall_until = mono_ms() + backstop };
}

static bool rp_passed(struct rp *p, const struct rp_deadline *d)
{
    return rp_ms(p) >= d->until || mono_ms() >= d->wall_until;
}

static void rp_log(struct rp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void rp_log(struct rp *p, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    double s = (double)(mono_ms() - p->t0) / 1000.0;
    if (p->events != NULL) {
        fprintf(p->events, "[%9.3f] %s\n", s, buf);
    }
    if (p->verbose) {
        fprintf(stderr, "[replay %8.3f] %s\n", s, buf);
    }
}

static void hook_flash(void *ctx, const struct hil_flash_op *op, struct hil_flash_verdict *v)
{
    struct rp *p = ctx;
    uint32_t nth = op->kind < 3 ? ++p->ops_since[op->kind] : 0;
    for (int i = 0; i < p->plan->nverdicts; i++) {
        const struct hil_replay_verdict *pv = &p->plan->verdicts[i];
        if (pv->op == op->kind && pv->after_send == p->sent && pv->nth == nth) {
            *v = pv->v;
            rp_log(p, "flash %s #%u: verdict %d as captured", op->kind == HIL_OP_ERASE ? "erase" : "program",
                   op->kind_seq, (int)v->action);
        }
    }
    (void)hil_trace_flash_op(p->trace, rp_us(p), op, v);
}

static void hook_console(void *ctx, const char *line)
{
    struct rp *p = ctx;
    if (p->console != NULL) {
        fprintf(p->console, "%s\n", line);
    }
    rp_log(p, "console: %s", line);
    (void)hil_trace_console(p->trace, rp_us(p), line);
}

static void hook_event(void *ctx, const struct hil_event *ev)
{
    struct rp *p = ctx;
    (void)hil_trace_event(p->trace, rp_us(p), ev);
    if (ev->kind == HIL_EV_JUMP) {
        uint32_t *n = realloc(p->jumps, sizeof(*n) * (size_t)(p->njumps + 1));
        if (n != NULL) {
            p->jumps = n;
            p->jumps[p->njumps++] = ev->value;
        }
        rp_log(p, "event: jump to 0x%08x", ev->value);
    } else if (ev->kind == HIL_EV_DIED) {
        p->died = true;
        rp_log(p, "event: target died: %s", ev->detail != NULL ? ev->detail : "?");
    } else {
        rp_log(p, "event: kind %d value 0x%x %s", (int)ev->kind, ev->value, ev->detail != NULL ? ev->detail : "");
    }
}

static void rx_byte(struct rp *p, uint8_t b)
{
    if (p->cur_len < sizeof(p->cur)) {
        p->cur[p->cur_len++] = b;
    }
    int r = proto_parser_feed(&p->parser, b);
    if (r == PROTO_FEED_MORE) {
        return;
    }
    if (r == PROTO_FEED_FRAME || r == PROTO_FEED_BAD_CRC) {
        (void)hil_trace_frame(p->trace, rp_us(p), HIL_TRACE_DIR_TO_HOST, 0, p->cur, p->cur_len);
        char d[160];
        hil_replay_describe(p->cur, p->cur_len, d, sizeof(d));
        rp_log(p, "link < %s", d);
        if (p->nrx < RP_MAX_RX) {
            memcpy(p->rx[p->nrx].bytes, p->cur, p->cur_len);
            p->rx[p->nrx].len = p->cur_len;
            p->nrx++;
        }
    }
    p->cur_len = 0;
}

static void pump(struct rp *p, int max_ms)
{
    struct pollfd fds[40];
    int timeout = max_ms < 0 ? 0 : max_ms;
    int link = p->t->ops->link_fd(p->t);
    if (link != p->link_fd) {
        p->link_fd = link;
        p->link_dead = false;
        proto_parser_init(&p->parser);
        p->cur_len = 0;
        if (link >= 0) {
            int fl = fcntl(link, F_GETFL);
            if (fl >= 0) {
                fcntl(link, F_SETFL, fl | O_NONBLOCK);
            }
        }
    }
    int tn = p->t->ops->poll_fds(p->t, fds, 32, &timeout);
    if (tn < 0) {
        tn = 0;
    }
    int n = tn, i_link = -1;
    if (p->link_fd >= 0 && !p->link_dead) {
        i_link = n;
        fds[n].fd = p->link_fd;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    if (poll(fds, (nfds_t)n, timeout) < 0) {
        for (int i = 0; i < n; i++) {
            fds[i].revents = 0;
        }
    }
    if (p->t->ops->service(p->t, fds, tn) != 0) {
        p->target_error = true;
    }
    if (i_link >= 0 && p->t->ops->link_fd(p->t) == p->link_fd && (fds[i_link].revents & (POLLIN | POLLHUP | POLLERR))) {
        uint8_t buf[4096];
        ssize_t got = read(p->link_fd, buf, sizeof(buf));
        if (got > 0) {
            for (ssize_t i = 0; i < got; i++) {
                rx_byte(p, buf[i]);
            }
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK)) {
            p->link_dead = true;
        }
    }
}

static void pump_for(struct rp *p, uint64_t ms)
{
    struct rp_deadline d = rp_deadline_in(p, ms);
    while (!rp_passed(p, &d) && !p->target_error) {
        uint64_t left = d.until - rp_ms(p);
        pump(p, left > 20 ? 20 : (int)left);
    }
}

static void send_bytes(struct rp *p, const uint8_t *b, size_t n)
{
    (void)hil_trace_frame(p->trace, rp_us(p), HIL_TRACE_DIR_TO_TARGET, 0, b, n);
    if (p->link_fd < 0 || p->link_dead || !p->t->powered) {
        rp_log(p, "link > dropped (target off)");
        return;
    }
    size_t off = 0;
    uint64_t until = mono_ms() + 1000;
    while (off < n && mono_ms() < until) {
        ssize_t w = write(p->link_fd, b + off, n - off);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR || errno == EWOULDBLOCK)) {
            pump(p, 5);
        } else {
            break;
        }
    }
}

/* Wait up to @p ms for a frame with @p seq (or a NACK); take it out of rx. */
static bool wait_answer(struct rp *p, int seq, uint64_t ms, const struct hil_replay_step *st, struct rx_frame *out)
{
    struct rp_deadline d = rp_deadline_in(p, ms);
    uint64_t next_retry = rp_ms(p) + RP_HELLO_RETRY_MS;
    struct proto_frame f;
    bool hello = parse_frame(st->bytes, st->len, &f) != PROTO_FEED_MORE && f.type == PROTO_T_HELLO;
    for (;;) {
        for (int i = 0; i < p->nrx; i++) {
            if (frame_seq(p->rx[i].bytes, p->rx[i].len) == seq) {
                *out = p->rx[i];
                memmove(&p->rx[i], &p->rx[i + 1], sizeof(p->rx[0]) * (size_t)(p->nrx - i - 1));
                p->nrx--;
                return true;
            }
        }
        uint64_t now = rp_ms(p);
        if (rp_passed(p, &d) || p->target_error || p->died) {
            return false;
        }
        if (hello && st->answer != NULL && now >= next_retry) {
            send_bytes(p, st->bytes, st->len); /* like the host: HELLO until answered */
            next_retry = now + RP_HELLO_RETRY_MS;
        }
        pump(p, 20);
    }
}

static uint64_t clamp_ms(uint64_t us, uint64_t lo, uint64_t hi)
{
    uint64_t ms = us / 1000u;
    return ms < lo ? lo : ms > hi ? hi : ms;
}

/* @return number of differences. */
/* Give a captured power cut again. @return the differences found (0 or 1). */
static int replay_power_cut(struct rp *p, const struct hil_replay_step *st)
{
    if (st->value == 0) {
        if (p->t->powered) {
            rp_log(p, "power cut (capture packet %u)", st->packet);
            p->t->ops->power_off(p->t);
        }
        return 0;
    }
    /* the capture's target cut itself at a flash operation: wait for the replay's to do the same */
    struct rp_deadline d = rp_deadline_in(p, RP_SYNC_WAIT_MS);
    while (p->t->powered && !rp_passed(p, &d) && !p->target_error) {
        pump(p, 20);
    }
    if (!p->t->powered) {
        return 0;
    }
    printf("DIFF packet %u: the capture shows a power cut at a flash operation; the replay never reached it\n",
           st->packet);
    p->t->ops->power_off(p->t);
    return 1;
}

/* Send a captured host->target frame and compare the answer. @return the differences (0 or 1). */
static int replay_send(struct rp *p, const struct hil_replay_step *st)
{
    char d[160];
    hil_replay_describe(st->bytes, st->len, d, sizeof(d));
    rp_log(p, "link > %s (capture packet %u)", d, st->packet);
    p->nrx = 0;
    p->sent++;
    memset(p->ops_since, 0, sizeof(p->ops_since));
    send_bytes(p, st->bytes, st->len);
    int seq = frame_seq(st->bytes, st->len);
    struct rx_frame got;
    uint64_t wait = st->answer != NULL || st->answer_dropped ? RP_ANSWER_WAIT_MS :
                    clamp_ms(st->quiet_us, RP_QUIET_MIN_MS, RP_QUIET_MAX_MS);
    bool have = seq >= 0 && wait_answer(p, seq, wait, st, &got);
    char why[400];
    struct proto_frame f;
    bool is_hello = parse_frame(st->bytes, st->len, &f) != PROTO_FEED_MORE && f.type == PROTO_T_HELLO;
    if (st->answer == NULL && st->answer_dropped) {
        if (!have) {
            printf("DIFF packet %u (%s): the rig dropped the captured answer; the replay has none\n", st->packet, d);
            return 1;
        }
        return 0;
    }
    if (hil_replay_compare(st->answer, st->answer_len, have ? got.bytes : NULL, have ? got.len : 0, why,
                           sizeof(why)) == 0) {
        return 0;
    }
    if (st->answer == NULL && (is_hello || st->resent)) {
        printf("note packet %u (%s): answered in the replay, not in the capture (timing%s)\n", st->packet, d,
               st->resent ? ": the host re-sent it before the answer" : "");
        return 0;
    }
    printf("DIFF packet %u (%s) -> packet %u: %s\n", st->packet, d, st->answer_packet, why);
    return 1;
}

/* Wait for the jumps the capture shows, then compare them. @return the differences. */
static int replay_jumps(struct rp *p, const uint32_t *captured, int ncj)
{
    struct rp_deadline d = rp_deadline_in(p, RP_SYNC_WAIT_MS);
    while (p->njumps < ncj && !rp_passed(p, &d) && !p->target_error) {
        pump(p, 20);
    }
    pump_for(p, 300);
    int diffs = 0;
    int nj = p->njumps < ncj ? ncj : p->njumps;
    for (int j = 0; j < nj; j++) {
        if (j >= ncj || j >= p->njumps || captured[j] != p->jumps[j]) {
            char c[24] = "none", r[24] = "none";
            if (j < ncj) {
                snprintf(c, sizeof(c), "0x%08x", captured[j]);
            }
            if (j < p->njumps) {
                snprintf(r, sizeof(r), "0x%08x", p->jumps[j]);
            }
            printf("DIFF jump %d: captured %s; replay %s\n", j + 1, c, r);
            diffs++;
        }
    }
    return diffs;
}

static int run_plan(struct rp *p)
{
    const struct hil_replay_plan *plan = p->plan;
    int diffs = 0, exchanges = 0, jumps_seen = 0;
    uint32_t captured_jumps[64];
    int ncj = 0;
    int rc = plan->has_power ? 0 : p->t->ops->power_on(p->t);
    if (rc != 0) {
        fprintf(stderr, "replay: the target did not start: %s\n", fota_strerror(rc));
        return -1;
    }
    for (int i = 0; i < plan->nsteps && !p->target_error; i++) {
        const struct hil_replay_step *st = &plan->steps[i];
        pump_for(p, clamp_ms(st->gap_us, 0, RP_GAP_MAX_MS));
        switch (st->kind) {
        case HIL_RP_POWER_ON:
            rp_log(p, "power on (capture packet %u)", st->packet);
            if (p->t->powered) {
                p->t->ops->power_off(p->t);
            }
            if (p->t->ops->power_on(p->t) != 0) {
                fprintf(stderr, "replay: the target did not start\n");
                return -1;
            }
            break;
        case HIL_RP_POWER_CUT:
            diffs += replay_power_cut(p, st);
            break;
        case HIL_RP_RESET:
            rp_log(p, "reset (capture packet %u)", st->packet);
            if (p->t->powered) {
                p->t->ops->reset(p->t);
            }
            break;
        case HIL_RP_JUMP: {
            if (ncj < 64) {
                captured_jumps[ncj++] = st->value;
            }
            jumps_seen++;
            struct rp_deadline d = rp_deadline_in(p, RP_SYNC_WAIT_MS);
            while (p->njumps < jumps_seen && !rp_passed(p, &d) && !p->target_error) {
                pump(p, 20);
            }
            break;
        }
        case HIL_RP_SEND:
            exchanges++;
            diffs += replay_send(p, st);
            break;
        }
    }
    diffs += replay_jumps(p, captured_jumps, ncj);
    if (p->target_error) {
        printf("DIFF the target's debug link broke during the replay\n");
        diffs++;
    }
    printf("replayed %d frames, %d jumps; %d difference%s\n", exchanges, p->njumps, diffs, diffs == 1 ? "" : "s");
    return diffs;
}

/* ---- command line ---- */

static const char replay_usage[] =
    "usage: fota-hil replay [options] CAPTURE.pcap\n"
    "\n"
    "Feeds the host->target frames of a captured session (a fota-hil run trace) to a\n"
    "fresh emulated target, waits for each answer like the host did, and reports every\n"
    "difference from the captured answers (type, seq, status, payload) and in the\n"
    "application jumps. Power on/cut/reset and flash cuts in the capture are given again.\n"
    "\n"
    "  --flash-image FILE      start from a whole 1 MB flash dump (e.g. a field unit's);\n"
    "                          default: flash-initial.bin beside the capture if there is one\n"
    "  --bootloader FILE       else: bootloader at 0x08000000 (default build/fw/bootloader.bin)\n"
    "  --slot-a FILE|none      slot A image (default build/images/demo-1.0.0-A.img)\n"
    "  --slot-b FILE|none      slot B image (default none)\n"
    "  --bootloader-elf P      symbols (default build/fw/bootloader.elf)\n"
    "  --qemu PATH             qemu-system-arm to use\n"
    "  --work-dir DIR          console.log, events.log, replay.pcap go here (default build/work/replay);\n"
    "                          deleted first, so it must be empty, new, or an earlier replay's\n"
    "                          (holding " HIL_REPLAY_MARKER "); any other directory is refused\n"
    "  --icount N              QEMU -icount shift (default 4)\n"
    "  -v, --verbose           echo events on stderr\n"
    "\n"
    "Exit status: 0 same verdict (no difference), 1 differences, 2 bad input or usage.\n";

/* The replay command's options. */
struct replay_opts {
    const char *image, *boot, *slot_a, *slot_b, *elf, *qemu, *work, *capture;
    int icount;
    bool verbose;
    bool flash_given;
};

/* @return -1 to go on; else the exit status (help, usage error). */
static int replay_parse_args(int argc, char **argv, struct replay_opts *o)
{
    *o = (struct replay_opts){ .boot = "build/fw/bootloader.bin", .slot_a = "build/images/demo-1.0.0-A.img",
                               .elf = "build/fw/bootloader.elf", .work = "build/work/replay", .icount = 4 };
    enum { O_IMG = 256, O_BOOT, O_A, O_B, O_ELF, O_QEMU, O_WORK, O_ICOUNT, O_HELP };
    static const struct option longopts[] = {
        { "flash-image", required_argument, NULL, O_IMG },
        { "bootloader", required_argument, NULL, O_BOOT },
        { "slot-a", required_argument, NULL, O_A },
        { "slot-b", required_argument, NULL, O_B },
        { "bootloader-elf", required_argument, NULL, O_ELF },
        { "qemu", required_argument, NULL, O_QEMU },
        { "work-dir", required_argument, NULL, O_WORK },
        { "icount", required_argument, NULL, O_ICOUNT },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 },
    };
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
        switch (opt) {
        case O_IMG: o->image = optarg; o->flash_given = true; break;
        case O_BOOT: o->boot = optarg; o->flash_given = true; break;
        case O_A: o->slot_a = strcmp(optarg, "none") == 0 ? NULL : optarg; o->flash_given = true; break;
        case O_B: o->slot_b = strcmp(optarg, "none") == 0 ? NULL : optarg; o->flash_given = true; break;
        case O_ELF: o->elf = optarg; break;
        case O_QEMU: o->qemu = optarg; break;
        case O_WORK: o->work = optarg; break;
        case O_ICOUNT: o->icount = atoi(optarg); break;
        case 'v': o->verbose = true; break;
        case 'h':
        case O_HELP:
            fputs(replay_usage, stdout);
            return 0;
        default:
            fputs(replay_usage, stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fputs(replay_usage, stderr);
        return 2;
    }
    o->capture = argv[optind];
    return -1;
}

/* The replay's starting flash into @p flash: --flash-image, else the run's
 * flash-initial.bin beside the capture, else bootloader and slot files.
 * @p initial holds the path of the found flash-initial.bin. */
static int replay_load_flash(struct replay_opts *o, struct hil_flash *flash, char *initial, size_t len)
{
    if (!o->flash_given) {
        snprintf(initial, len, "%s", o->capture);
        char *slash = strrchr(initial, '/');
        size_t dir = slash != NULL ? (size_t)(slash - initial + 1) : 0;
        snprintf(initial + dir, len - dir, "%s", HIL_RUNTRACE_FLASH_FILE);
        if (access(initial, R_OK) == 0) {
            o->image = initial;
            printf("flash: %s (the run's initial flash)\n", initial);
        }
    }
    hil_flash_init(flash);
    struct { const char *path; uint32_t addr; } parts[] = {
        { o->image, LAYOUT_FLASH_BASE },
        { o->image == NULL ? o->boot : NULL, LAYOUT_BOOT_ADDR },
        { o->image == NULL ? o->slot_a : NULL, LAYOUT_SLOT_A_ADDR },
        { o->image == NULL ? o->slot_b : NULL, LAYOUT_SLOT_B_ADDR },
    };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (parts[i].path != NULL && hil_flash_load_file(flash, parts[i].addr, parts[i].path) != 0) {
            fprintf(stderr, "fota-hil replay: %s: cannot load: %s\n", parts[i].path, strerror(errno));
            return FOTA_EIO;
        }
    }
    return 0;
}

/* Is directory @p path empty (no entry but . and ..)? */
static bool dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        return false;
    }
    bool empty = true;
    for (struct dirent *e; empty && (e = readdir(d)) != NULL;) {
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    }
    closedir(d);
    return empty;
}

int hil_replay_prepare_workdir(const char *work, char *abs, size_t abslen)
{
    char marker[PATH_MAX + 64];
    snprintf(marker, sizeof(marker), "%s/%s", work, HIL_REPLAY_MARKER);
    struct stat st;
    if (lstat(work, &st) == 0) {
        if (!S_ISDIR(st.st_mode) || (access(marker, F_OK) != 0 && !dir_is_empty(work))) {
            fprintf(stderr, "fota-hil replay: --work-dir %s: %s; not deleting it (a replay work dir is empty "
                    "or holds %s)\n", work, S_ISDIR(st.st_mode) ? "not empty and not a replay work dir" :
                    "not a directory", HIL_REPLAY_MARKER);
            return FOTA_EBUSY;
        }
        if (hil_rmtree(work) != 0) {
            fprintf(stderr, "fota-hil replay: --work-dir %s: cannot clear: %s\n", work, strerror(errno));
            return FOTA_EIO;
        }
    }
    char part[PATH_MAX + 16];
    snprintf(part, sizeof(part), "%s", work);
    for (char *c = part + 1; *c != '\0'; c++) {
        if (*c == '/') {
            *c = '\0';
            (void)mkdir(part, 0777);
            *c = '/';
        }
    }
    FILE *m = NULL;
    char real[PATH_MAX];
    if ((mkdir(work, 0777) != 0 && errno != EEXIST) || (m = fopen(marker, "we")) == NULL ||
        realpath(work, real) == NULL) {
        fprintf(stderr, "fota-hil replay: %s: %s\n", work, strerror(errno));
        if (m != NULL) {
            fclose(m);
        }
        return FOTA_EIO;
    }
    snprintf(abs, abslen, "%s", real);
    fputs("fota-hil replay work dir: `fota-hil replay` deletes and rewrites this directory\n", m);
    fclose(m);
    return 0;
}

/* Open the replay's logs and trace in @p abs_work. */
static void replay_open_logs(struct rp *p, const char *abs_work)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/console.log", abs_work);
    p->console = fopen(path, "we");
    snprintf(path, sizeof(path), "%s/events.log", abs_work);
    p->events = fopen(path, "we");
    /* line by line, as the runner's: a watcher (tests/run/runner-test.sh) sees each line as it comes */
    if (p->console != NULL) {
        setvbuf(p->console, NULL, _IOLBF, 0);
    }
    if (p->events != NULL) {
        setvbuf(p->events, NULL, _IOLBF, 0);
    }
    snprintf(path, sizeof(path), "%s/replay.pcap", abs_work);
    if (hil_trace_open(path, &p->trace) != 0) {
        p->trace = NULL;
    }
}

/* Boot the target and run the plan. @return the exit status. */
static int replay_run(struct rp *p, const struct replay_opts *o, const char *abs_work)
{
    replay_open_logs(p, abs_work);
    p->t0 = mono_ms();
    p->clock0_us = hil_devclock_us(&p->clock);
    hil_trace_set_device_time(p->trace, p->plan->devtime);
    p->link_fd = -1;
    p->verbose = o->verbose;
    proto_parser_init(&p->parser);
    signal(SIGPIPE, SIG_IGN);
    struct hil_qemu_opts qo = {
        .qemu = o->qemu,
        .bootloader_elf = o->elf,
        .workdir = abs_work,
        .icount_shift = o->icount,
        .verbose = o->verbose,
    };
    struct hil_target_hooks hooks = {
        .ctx = p,
        .on_flash_op = hook_flash,
        .on_console_line = hook_console,
        .on_event = hook_event,
    };
    int code = 2;
    if (hil_qemu_create(&qo, p->flash, &hooks, &p->t) != 0 || p->t == NULL) {
        fprintf(stderr, "fota-hil replay: cannot create the QEMU target (bootloader ELF %s)\n", o->elf);
    } else {
        int diffs = run_plan(p);
        code = diffs < 0 ? 2 : diffs == 0 ? 0 : 1;
        printf("verdict: %s\n", code == 0 ? "same as the capture" : code == 1 ? "DIFFERENT from the capture" :
               "replay failed");
        p->t->ops->destroy(p->t);
    }
    if (p->console != NULL) {
        fclose(p->console);
    }
    if (p->events != NULL) {
        fclose(p->events);
    }
    (void)hil_trace_close(p->trace);
    return code;
}

int hil_replay_main(int argc, char **argv)
{
    struct replay_opts o;
    int code = replay_parse_args(argc, argv, &o);
    if (code >= 0) {
        return code;
    }
    struct hil_replay_plan plan;
    if (hil_replay_plan_build(o.capture, &plan) != 0) {
        return 2;
    }
    struct rp *p = calloc(1, sizeof(*p));
    struct hil_flash *flash = calloc(1, sizeof(*flash));
    if (p == NULL || flash == NULL) {
        abort();
    }
    char initial[PATH_MAX + 32];
    char abs_work[PATH_MAX];
    code = 2;
    if (replay_load_flash(&o, flash, initial, sizeof(initial)) == 0 &&
        hil_replay_prepare_workdir(o.work, abs_work, sizeof(abs_work)) == 0) {
        p->plan = &plan;
        p->flash = flash;
        code = replay_run(p, &o, abs_work);
    }
    free(p->jumps);
    hil_replay_plan_free(&plan);
    free(flash);
    free(p);
    return code;
}
