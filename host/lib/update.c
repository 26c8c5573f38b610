/*
 * The update protocol master (fotahost/update.h, fota/proto.h).
 *
 * One request in flight (stop-and-wait). transact() sends a request and
 * waits for the response with the same seq; it retransmits the very same
 * bytes (same seq) on NACK, on a corrupted response and on timeout, so a
 * late answer to an earlier copy is still accepted and a duplicate answer
 * is later skipped as stray.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/meta.h"
#include "fota/proto.h"
#include "fotahost/image.h"
#include "fotahost/update.h"

/* transact() outcomes that are not enum fota_err (negative: never on the wire). */
#define XACT_NACK    (-1)
#define XACT_BADRSP  (-2)
#define XACT_RESTART (-3) /* update_pass(): an application answers; go back to the bootloader */

/* How often one fh_update() goes back through ENTER_UPDATE after an
 * application answered BEGIN, DATA or END (the bootloader's update-mode
 * idle timeout ran out, or it reset): bounded, so it cannot loop. */
#define FH_MAX_RESTARTS 2u

struct master {
    struct fh_link *l;
    const struct fh_update_opts *o;
    struct fh_update_result *res;
    struct fh_update_stats *st;
    struct proto_parser parser;
    uint8_t seq;
    uint8_t tx[PROTO_MAX_FRAME];
    size_t tx_len;
    uint8_t rx[256];          /* bytes read but not yet fed to the parser */
    size_t rx_pos, rx_len;
    uint8_t rsp[PROTO_MAX_PAYLOAD]; /* payload of the awaited response */
    uint16_t rsp_len;
    uint8_t req_payload[PROTO_MAX_PAYLOAD];
};

void fh_update_opts_init(struct fh_update_opts *o)
{
    *o = (struct fh_update_opts){
        .timeout_ms = FH_DEFAULT_TIMEOUT_MS, .retries = FH_DEFAULT_RETRIES,
        .hello_timeout_ms = FH_DEFAULT_HELLO_TIMEOUT_MS, .hello_tries = FH_DEFAULT_HELLO_TRIES,
        .enter_timeout_ms = FH_DEFAULT_ENTER_TIMEOUT_MS, .long_timeout_ms = FH_DEFAULT_LONG_TIMEOUT_MS,
    };
}

const char *fh_role_name(uint8_t role)
{
    switch (role) {
    case PROTO_ROLE_BOOTLOADER:
        return "bootloader";
    case PROTO_ROLE_APP:
        return "app";
    default:
        return "?";
    }
}

static void trace(struct master *mm, const char *fmt, ...) FH_PRINTF(2, 3);

static void trace(struct master *mm, const char *fmt, ...)
{
    char line[200];
    va_list ap;

    if (mm->o->trace == NULL) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    mm->o->trace(mm->o->trace_ctx, line);
}

static const char *slot_name(uint8_t s)
{
    return s == LAYOUT_SLOT_A ? "A" : (s == LAYOUT_SLOT_B ? "B" : "-");
}

/* Link-level failure: record origin and message, return rc. */
static int link_fail(struct master *mm, int rc, uint8_t type, const char *what)
{
    mm->res->origin = FH_ORIGIN_LINK;
    mm->res->failed_type = type;
    if (rc == FOTA_ECONN) {
        return fh_msg_set(&mm->res->msg, rc, "%s: link closed by the peer (%s)", mm->l->name, what);
    }
    if (rc == FOTA_EIO) {
        return fh_msg_set(&mm->res->msg, rc, "%s: I/O error on the link (%s)", mm->l->name, what);
    }
    return fh_msg_set(&mm->res->msg, rc, "%s: %s", mm->l->name, what);
}

/*
 * Wait until @p deadline_ms for the response to the outstanding request.
 * @return 0 (mm->rsp holds it); FOTA_ETIMEOUT; XACT_NACK; XACT_BADRSP
 *         (a corrupted frame came instead); FOTA_ECONN / FOTA_EIO.
 */
static int wait_response(struct master *mm, uint8_t type, uint32_t timeout_ms)
{
    uint32_t start = fh_now_ms();

    for (;;) {
        while (mm->rx_pos < mm->rx_len) {
            int r = proto_parser_feed(&mm->parser, mm->rx[mm->rx_pos++]);
            const struct proto_frame *f = &mm->parser.frame;

            if (r == PROTO_FEED_FRAME) {
                mm->st->frames_received++;
                if (f->type == (uint8_t)(type | PROTO_T_RSP) && f->seq == mm->seq) {
                    memcpy(mm->rsp, f->payload, f->len);
                    mm->rsp_len = f->len;
                    return 0;
                }
                if (f->type == PROTO_T_NACK) {
                    mm->st->nacks++;
                    trace(mm, "<- NACK seq=%u status=%s", (unsigned)f->seq,
                          f->len >= 1 ? fota_strerror(f->payload[0]) : "?");
                    return XACT_NACK;
                }
                mm->st->stray++;
                trace(mm, "<- %s seq=%u (stray, ignored)", proto_type_name(f->type), (unsigned)f->seq);
            } else if (r == PROTO_FEED_BAD_CRC) {
                mm->st->bad_frames++;
                trace(mm, "<- frame with a bad CRC (type 0x%02X seq=%u)", (unsigned)f->type, (unsigned)f->seq);
                return XACT_BADRSP;
            } else if (r == PROTO_FEED_TOO_LONG) {
                mm->st->bad_frames++;
            }
        }
        {
            uint32_t spent = fh_now_ms() - start;
            size_t got = 0;
            int rc;

            if (spent >= timeout_ms) {
                mm->st->timeouts++;
                return FOTA_ETIMEOUT;
            }
            rc = fh_link_read(mm->l, mm->rx, sizeof(mm->rx), timeout_ms - spent, &got);
            if (rc != 0) {
                return rc;
            }
            mm->rx_pos = 0;
            mm->rx_len = got;
            mm->st->bytes_received += (uint32_t)got;
        }
    }
}

/*
 * Send a request and get its response, retransmitting up to @p tries - 1
 * times. On 0, mm->rsp/rsp_len hold the response payload, which has at
 * least one byte (the status).
 * @return 0; FOTA_ETIMEOUT (all tries spent); FOTA_ECONN; FOTA_EIO;
 *         FOTA_EPROTO (empty response).
 */
static int transact(struct master *mm, uint8_t type, uint16_t len, uint32_t timeout_ms, uint32_t tries)
{
    uint32_t i;
    int rc;

    mm->seq++;
    rc = proto_encode(type, mm->seq, mm->req_payload, len, mm->tx, sizeof(mm->tx), &mm->tx_len);
    if (rc != 0) {
        return rc; /* cannot happen: len <= PROTO_MAX_PAYLOAD by construction */
    }
    for (i = 0; i < tries; i++) {
        if (i > 0) {
            mm->st->retransmits++;
        }
        rc = fh_link_write(mm->l, mm->tx, mm->tx_len);
        if (rc != 0) {
            return rc;
        }
        mm->st->frames_sent++;
        mm->st->bytes_sent += (uint32_t)mm->tx_len;
        rc = wait_response(mm, type, timeout_ms);
        if (rc == 0) {
            if (mm->rsp_len < 1) {
                return FOTA_EPROTO;
            }
            return 0;
        }
        if (rc == FOTA_ECONN || rc == FOTA_EIO) {
            return rc;
        }
        trace(mm, "   %s seq=%u: %s, %s", proto_type_name(type), (unsigned)mm->seq,
              rc == XACT_NACK ? "NACK" : (rc == XACT_BADRSP ? "corrupted response" : "timeout"),
              i + 1 < tries ? "retransmitting" : "giving up");
    }
    return FOTA_ETIMEOUT;
}

/* The target said no (status @p st): record it. */
static int target_fail_st(struct master *mm, uint8_t type, int st, const char *detail)
{
    mm->res->origin = FH_ORIGIN_TARGET;
    mm->res->target_status = st;
    mm->res->failed_type = type;
    return fh_msg_set(&mm->res->msg, st, "target refused %s: %s%s%s", proto_type_name(type),
                      fota_strerror(st), detail[0] != '\0' ? " " : "", detail);
}

/* The target said no in the awaited response: record it. */
static int target_fail(struct master *mm, uint8_t type, const char *detail)
{
    return target_fail_st(mm, type, mm->rsp[0], detail);
}

static int do_hello(struct master *mm, struct fh_hello *h)
{
    int rc;

    trace(mm, "-> HELLO (up to %u tries, %u ms each)", (unsigned)mm->o->hello_tries,
          (unsigned)mm->o->hello_timeout_ms);
    rc = transact(mm, PROTO_T_HELLO, 0, mm->o->hello_timeout_ms, mm->o->hello_tries);
    if (rc == FOTA_ETIMEOUT) {
        return link_fail(mm, rc, PROTO_T_HELLO, "no answer to HELLO (is the target running and connected?)");
    }
    if (rc != 0) {
        return link_fail(mm, rc, PROTO_T_HELLO, "HELLO failed");
    }
    if (mm->rsp[0] != FOTA_OK) {
        return target_fail(mm, PROTO_T_HELLO, "");
    }
    if (mm->rsp_len < PROTO_HELLO_RSP_LEN) {
        mm->res->origin = FH_ORIGIN_LINK;
        return fh_msg_set(&mm->res->msg, FOTA_EPROTO, "HELLO response of %u bytes, expected %u",
                          (unsigned)mm->rsp_len, (unsigned)PROTO_HELLO_RSP_LEN);
    }
    h->proto_version = mm->rsp[1];
    h->role = mm->rsp[2];
    h->active_slot = mm->rsp[3];
    h->active_version = proto_get_u32(&mm->rsp[4]);
    h->target_slot = mm->rsp[8];
    h->max_data = proto_get_u16(&mm->rsp[9]);
    h->slot_size = proto_get_u32(&mm->rsp[11]);
    trace(mm, "<- HELLO_RSP proto=%u role=%s active=%s target=%s max_data=%u slot_size=%u",
          (unsigned)h->proto_version, fh_role_name(h->role), slot_name(h->active_slot),
          slot_name(h->target_slot), (unsigned)h->max_data, (unsigned)h->slot_size);
    if (h->proto_version != PROTO_VERSION) {
        mm->res->origin = FH_ORIGIN_LINK;
        return fh_msg_set(&mm->res->msg, FOTA_EVERSION, "target speaks protocol version %u, we speak %u",
                          (unsigned)h->proto_version, (unsigned)PROTO_VERSION);
    }
    if (h->role != PROTO_ROLE_APP && h->role != PROTO_ROLE_BOOTLOADER) {
        mm->res->origin = FH_ORIGIN_LINK;
        return fh_msg_set(&mm->res->msg, FOTA_EPROTO, "HELLO: unknown role %u", (unsigned)h->role);
    }
    return 0;
}

static void master_init(struct master *mm, struct fh_link *l, const struct fh_update_opts *o,
                        struct fh_update_opts *defaults, struct fh_update_result *res)
{
    memset(mm, 0, sizeof(*mm));
    if (o == NULL) {
        fh_update_opts_init(defaults);
        o = defaults;
    }
    mm->l = l;
    mm->o = o;
    mm->res = res;
    mm->st = &res->stats;
    proto_parser_init(&mm->parser);
}

int fh_hello(struct fh_link *l, const struct fh_update_opts *o, struct fh_hello *out,
             struct fh_update_result *res)
{
    struct master *mm;
    struct fh_update_result local;
    struct fh_update_opts defaults;
    int rc;

    if (res == NULL) {
        res = &local;
    }
    memset(res, 0, sizeof(*res));
    if (l == NULL || out == NULL) {
        res->origin = FH_ORIGIN_LOCAL;
        return fh_msg_set(&res->msg, FOTA_EINVAL, "hello: NULL argument");
    }
    mm = malloc(sizeof(*mm)); /* ~4 KB of frame buffers: not on a small task stack */
    if (mm == NULL) {
        res->origin = FH_ORIGIN_LOCAL;
        return fh_msg_set(&res->msg, FOTA_ENOMEM, "out of memory");
    }
    master_init(mm, l, o, &defaults, res);
    rc = do_hello(mm, out);
    if (rc == 0) {
        res->hello = *out;
    }
    free(mm);
    return rc;
}

/* Our own checks against what a HELLO told us (an application's HELLO
 * names the same target slot as its bootloader's), so a wrong image is
 * refused before the device is sent into update mode. With no active slot
 * (factory state, recovery) the bootloader takes the slot the image is
 * linked for; HELLO's target_slot is only a suggestion then (fota/update.h). */
static int check_against_hello(struct master *mm, const struct fh_hello *h, uint32_t img_slot,
                               uint32_t total, const char *vbuf)
{
    char abuf[16];

    fh_version_format(h->active_version, abuf, sizeof(abuf));
    if (h->active_slot != META_NO_SLOT && h->target_slot != img_slot) {
        if (!mm->o->force) {
            mm->res->origin = FH_ORIGIN_LOCAL;
            mm->res->failed_type = PROTO_T_BEGIN;
            return fh_msg_set(&mm->res->msg, FOTA_ESLOT,
                              "image v%s is linked for slot %s, but the target updates slot %s (active: %s v%s); "
                              "pack it for slot %s, or --force to send it anyway",
                              vbuf, slot_name((uint8_t)img_slot), slot_name(h->target_slot),
                              slot_name(h->active_slot), abuf, slot_name(h->target_slot));
        }
        trace(mm, "   forced: image for slot %s, target slot %s", slot_name((uint8_t)img_slot),
              slot_name(h->target_slot));
    }
    if (h->slot_size != 0 && total > h->slot_size && !mm->o->force) {
        mm->res->origin = FH_ORIGIN_LOCAL;
        return fh_msg_set(&mm->res->msg, FOTA_ESIZE, "image of %u bytes does not fit the target's %u-byte slot",
                          (unsigned)total, (unsigned)h->slot_size);
    }
    return 0;
}

/* Reach the bootloader: HELLO, and while an app answers, ENTER_UPDATE.
 * The first application HELLO is checked against the image first. */
static int reach_bootloader(struct master *mm, struct fh_hello *h, uint32_t img_slot,
                            uint32_t total, const char *vbuf)
{
    uint32_t start = fh_now_ms();
    int rc = do_hello(mm, h);

    if (rc == 0 && h->role == PROTO_ROLE_APP) {
        rc = check_against_hello(mm, h, img_slot, total, vbuf);
    }
    if (rc == 0 && h->role == PROTO_ROLE_APP && mm->o->background) {
        trace(mm, "   background: the running application takes BEGIN/DATA/END (no ENTER_UPDATE)");
        return 0;
    }

    while (rc == 0 && h->role == PROTO_ROLE_APP) {
        char ver[16];

        if (fh_now_ms() - start >= mm->o->enter_timeout_ms) {
            mm->res->origin = FH_ORIGIN_LINK;
            mm->res->failed_type = PROTO_T_ENTER_UPDATE;
            return fh_msg_set(&mm->res->msg, FOTA_ETIMEOUT,
                              "the application did not enter update mode within %u ms",
                              (unsigned)mm->o->enter_timeout_ms);
        }
        fh_version_format(h->active_version, ver, sizeof(ver));
        trace(mm, "-> ENTER_UPDATE (application v%s in slot %s is running)", ver, slot_name(h->active_slot));
        rc = transact(mm, PROTO_T_ENTER_UPDATE, 0, mm->o->timeout_ms, mm->o->retries + 1u);
        if (rc == FOTA_ECONN || rc == FOTA_EIO) {
            return link_fail(mm, rc, PROTO_T_ENTER_UPDATE, "ENTER_UPDATE failed");
        }
        if (rc == 0 && mm->rsp[0] != FOTA_OK) {
            /* E.g. a retransmission reached the bootloader the app already
             * reset into: HELLO tells, and enter_timeout_ms bounds the loop. */
            trace(mm, "<- ENTER_UPDATE_RSP %s", fota_strerror(mm->rsp[0]));
        }
        /* rc == ETIMEOUT: the app may have reset before its answer left; HELLO tells. */
        rc = do_hello(mm, h);
    }
    return rc;
}

/*
 * BEGIN, DATA or END went unanswered (timeouts, NACKs) or was refused
 * EBUSY: did the bootloader give up (its update-mode idle timeout) or reset
 * into the new image, so that an application answers now? HELLO tells.
 * Whatever do_hello() records is undone: the caller reports its own failure.
 * @return 1 (an application answers, @p h holds its HELLO), 0 otherwise.
 */
static int app_answers(struct master *mm, struct fh_hello *h)
{
    struct fh_update_result *res = mm->res;
    enum fh_origin origin = res->origin;
    int target_status = res->target_status;
    uint8_t failed_type = res->failed_type;
    struct fh_msg msg = res->msg;
    int rc;

    trace(mm, "   is an application answering now? (the bootloader may have timed out or reset)");
    rc = do_hello(mm, h);
    res->origin = origin;
    res->target_status = target_status;
    res->failed_type = failed_type;
    res->msg = msg;
    return rc == 0 && h->role == PROTO_ROLE_APP;
}

/* What one update pass works with (update_pass() and its parts). */
struct pass {
    const uint8_t *img;
    uint32_t total, ver, img_slot;
    const char *vbuf;          /* the image's version, formatted */
    int may_restart;           /* an application answering ends the pass with XACT_RESTART */
    struct fh_hello h;         /* the bootloader's HELLO */
    char abuf[16];             /* its active version, formatted */
    uint32_t chunk, tries;
};

/* BEGIN, DATA or END timed out or was refused EBUSY (@p rc, the status):
 * XACT_RESTART if an application answers now and the pass may restart;
 * else 0 (rc stands), or the refusal with @p detail when there was one. */
static int pass_app_check(struct master *mm, const struct pass *p, uint8_t type, int rc, const char *detail)
{
    struct fh_hello now;
    int st;

    if (!p->may_restart || !(rc == FOTA_ETIMEOUT || (rc == 0 && mm->rsp[0] == FOTA_EBUSY))) {
        return 0;
    }
    st = rc == 0 ? mm->rsp[0] : 0;
    if (app_answers(mm, &now)) {
        mm->res->failed_type = type;
        return XACT_RESTART;
    }
    return st != 0 ? target_fail_st(mm, type, st, detail) : 0;
}

/* BEGIN: resume if the target's prefix is ours, else FRESH. The offset to
 * go on from into *@p off. @return 0; XACT_RESTART; failures. */
static int pass_begin(struct master *mm, struct pass *p, int fresh_first, uint32_t *off)
{
    struct fh_update_result *res = mm->res;

    mm->req_payload[0] = fresh_first ? PROTO_BEGIN_F_FRESH : 0u;
    memcpy(&mm->req_payload[1], p->img, IMAGE_HEADER_SIZE);
    for (;;) {
        uint32_t r_off, r_crc;
        int fresh = (mm->req_payload[0] & PROTO_BEGIN_F_FRESH) != 0;
        int rc, app;

        trace(mm, "-> BEGIN%s v%s size=%u", fresh ? " FRESH" : "", p->vbuf, (unsigned)p->total);
        rc = transact(mm, PROTO_T_BEGIN, (uint16_t)(1u + IMAGE_HEADER_SIZE), mm->o->long_timeout_ms, p->tries);
        app = pass_app_check(mm, p, PROTO_T_BEGIN, rc, "(and no application answers HELLO)");
        if (app != 0) {
            return app;
        }
        if (rc != 0) {
            return link_fail(mm, rc, PROTO_T_BEGIN, rc == FOTA_ETIMEOUT ? "no answer to BEGIN" : "BEGIN failed");
        }
        if (mm->rsp[0] != FOTA_OK) {
            char d[96];

            (void)snprintf(d, sizeof(d), "(image v%s for slot %s; target: active %s v%s, updates slot %s)",
                           p->vbuf, slot_name((uint8_t)p->img_slot), slot_name(p->h.active_slot), p->abuf,
                           slot_name(p->h.target_slot));
            return target_fail(mm, PROTO_T_BEGIN, d);
        }
        if (mm->rsp_len < PROTO_BEGIN_RSP_LEN) {
            res->origin = FH_ORIGIN_LINK;
            return fh_msg_set(&res->msg, FOTA_EPROTO, "BEGIN response of %u bytes, expected %u",
                              (unsigned)mm->rsp_len, (unsigned)PROTO_BEGIN_RSP_LEN);
        }
        r_off = proto_get_u32(&mm->rsp[1]);
        r_crc = proto_get_u32(&mm->rsp[5]);
        trace(mm, "<- BEGIN_RSP resume_offset=%u prefix_crc32=0x%08X", (unsigned)r_off, (unsigned)r_crc);
        if (fresh && r_off != 0) {
            res->origin = FH_ORIGIN_LINK;
            return fh_msg_set(&res->msg, FOTA_EPROTO, "BEGIN FRESH answered resume_offset %u, expected 0",
                              (unsigned)r_off);
        }
        if (fresh || r_off == 0 || (r_off <= p->total && crc32_update(0, p->img, r_off) == r_crc)) {
            res->stats.fresh = fresh ? 1 : res->stats.fresh;
            if (r_off != 0) {
                trace(mm, "   resuming at %u (prefix CRC matches)", (unsigned)r_off);
            }
            *off = r_off;
            return 0;
        }
        trace(mm, "   target holds something else below %u: starting fresh", (unsigned)r_off);
        mm->req_payload[0] = PROTO_BEGIN_F_FRESH;
    }
}

/* A DATA_RSP for @p n bytes at @p off: the next offset into *@p next.
 * @p stall counts answers without progress. @return 0; failures. */
static int pass_data_answer(struct master *mm, const struct pass *p, uint32_t off, uint32_t n, uint32_t *stall,
                            uint32_t *next)
{
    struct fh_update_result *res = mm->res;

    if (mm->rsp[0] != FOTA_OK && !(mm->rsp[0] == FOTA_EPROTO && mm->rsp_len >= PROTO_DATA_RSP_LEN)) {
        char d[48];

        (void)snprintf(d, sizeof(d), "(offset %u)", (unsigned)off);
        return target_fail(mm, PROTO_T_DATA, d);
    }
    if (mm->rsp_len < PROTO_DATA_RSP_LEN) {
        res->origin = FH_ORIGIN_LINK;
        return fh_msg_set(&res->msg, FOTA_EPROTO, "DATA response of %u bytes, expected %u",
                          (unsigned)mm->rsp_len, (unsigned)PROTO_DATA_RSP_LEN);
    }
    *next = proto_get_u32(&mm->rsp[1]);
    if (*next > p->total) {
        res->origin = FH_ORIGIN_LINK;
        return fh_msg_set(&res->msg, FOTA_EPROTO, "target asks for offset %u beyond the image end %u",
                          (unsigned)*next, (unsigned)p->total);
    }
    if (mm->rsp[0] == FOTA_OK && *next >= off + n) {
        res->stats.data_bytes += n;
        *stall = 0;
        return 0;
    }
    /* The target wants another offset (it lost or already has data). */
    trace(mm, "<- DATA_RSP %s next_offset=%u (sent %u)", fota_strerror(mm->rsp[0]), (unsigned)*next, (unsigned)off);
    if (++*stall > p->tries) {
        res->origin = FH_ORIGIN_LINK;
        return fh_msg_set(&res->msg, FOTA_EPROTO, "no progress at offset %u after %u tries", (unsigned)off,
                          (unsigned)p->tries);
    }
    return 0;
}

/* DATA, stop-and-wait from @p off, following the target's next_offset.
 * @return 0; XACT_RESTART; failures. */
static int pass_data(struct master *mm, const struct pass *p, uint32_t off)
{
    const struct fh_update_opts *o = mm->o;
    uint32_t stall = 0;

    if (o->progress != NULL) {
        o->progress(o->progress_ctx, off, p->total);
    }
    while (off < p->total) {
        uint32_t n = p->total - off < p->chunk ? p->total - off : p->chunk;
        uint32_t next = off;
        char d[64];
        int rc, app;

        proto_put_u32(mm->req_payload, off);
        memcpy(&mm->req_payload[4], p->img + off, n);
        trace(mm, "-> DATA off=%u len=%u", (unsigned)off, (unsigned)n);
        rc = transact(mm, PROTO_T_DATA, (uint16_t)(4u + n), o->timeout_ms, p->tries);
        (void)snprintf(d, sizeof(d), "(offset %u; and no application answers HELLO)", (unsigned)off);
        app = pass_app_check(mm, p, PROTO_T_DATA, rc, d);
        if (app != 0) {
            return app;
        }
        if (rc != 0) {
            char what[96];

            (void)snprintf(what, sizeof(what), "%s DATA at offset %u of %u",
                           rc == FOTA_ETIMEOUT ? "no answer to" : "failed sending", (unsigned)off, (unsigned)p->total);
            return link_fail(mm, rc, PROTO_T_DATA, what);
        }
        rc = pass_data_answer(mm, p, off, n, &stall, &next);
        if (rc != 0) {
            return rc;
        }
        off = next;
        if (o->progress != NULL) {
            o->progress(o->progress_ctx, off, p->total);
        }
    }
    return 0;
}

/* END timed out or was refused EBUSY (@p rc): did END succeed with its
 * answer lost (the new image answers HELLO), or must the pass restart?
 * @return 0 (installed); XACT_RESTART; the failure; 1: rc stands. */
static int pass_end_unanswered(struct master *mm, const struct pass *p, int rc, uint32_t retx)
{
    struct fh_update_result *res = mm->res;
    struct fh_hello now;
    int st = rc == 0 ? mm->rsp[0] : 0;
    int app = app_answers(mm, &now);
    char abuf[16], d[96];

    if (app && now.active_slot == p->img_slot && now.active_version == p->ver) {
        res->origin = FH_ORIGIN_NONE;
        res->failed_type = 0;
        res->target_status = 0;
        fh_msg_set(&res->msg, 0, "END's answer was lost, but the device is running the new image v%s "
                   "from slot %s in trial", p->vbuf, slot_name((uint8_t)p->img_slot));
        return 0;
    }
    if (app && p->may_restart) {
        res->failed_type = PROTO_T_END;
        return XACT_RESTART;
    }
    if (st == 0) {
        return 1;
    }
    fh_version_format(now.active_version, abuf, sizeof(abuf));
    (void)snprintf(d, sizeof(d), "(%s; %s%s%s%s)", res->stats.retransmits != retx ? "after a retransmission" :
                   "first try", app ? "application v" : "no application answers HELLO", app ? abuf : "",
                   app ? " runs in slot " : "", app ? slot_name(now.active_slot) : "");
    return target_fail_st(mm, PROTO_T_END, st, d);
}

/* END: the target verifies everything and marks the slot pending.
 * @return 0; XACT_RESTART; failures. */
static int pass_end(struct master *mm, const struct pass *p)
{
    struct fh_update_result *res = mm->res;
    uint32_t retx = res->stats.retransmits;
    int rc;

    trace(mm, "-> END");
    rc = transact(mm, PROTO_T_END, 0, mm->o->long_timeout_ms, p->tries);
    if (rc == FOTA_ETIMEOUT || (rc == 0 && mm->rsp[0] == FOTA_EBUSY)) {
        /* END may have succeeded with its answer lost, and the bootloader
         * reset into the trial of the new image: then the new image answers
         * HELLO, as an application running in the image's slot. Else the
         * bootloader gave up before END: go back to it. */
        int u = pass_end_unanswered(mm, p, rc, retx);

        if (u != 1) {
            return u;
        }
    }
    if (rc != 0) {
        return link_fail(mm, rc, PROTO_T_END,
                         rc == FOTA_ETIMEOUT ? "no answer to END (the target may have installed the image; "
                                               "run hello to see)" : "END failed");
    }
    if (mm->rsp[0] != FOTA_OK) {
        /* END succeeded, its answer was lost, the target reset and whatever
         * runs now refuses the retransmission: say so rather than mislead. */
        return target_fail(mm, PROTO_T_END, res->stats.retransmits != retx ?
                           "(after a retransmission: an earlier END may have succeeded before the target "
                           "reset; check with hello)" : "(stored image failed verification)");
    }
    trace(mm, "<- END_RSP OK");
    res->origin = FH_ORIGIN_NONE;
    fh_msg_set(&res->msg, 0, "slot %s: image v%s installed, pending trial boot", slot_name(p->h.target_slot),
               p->vbuf);
    return 0;
}

/*
 * One pass: reach the bootloader, BEGIN, DATA, END. @p fresh_first asks for
 * BEGIN FRESH; with @p may_restart, an application answering BEGIN, DATA
 * or END (app_answers()) ends the pass with XACT_RESTART.
 * @return 0; XACT_RESTART; fh_update()'s failures.
 */
static int update_pass(struct master *mm, const uint8_t *img, uint32_t total, uint32_t ver,
                       uint32_t img_slot, const char *vbuf, int fresh_first, int may_restart)
{
    struct fh_update_result *res = mm->res;
    struct pass p = { .img = img, .total = total, .ver = ver, .img_slot = img_slot, .vbuf = vbuf,
                      .may_restart = may_restart, .tries = mm->o->retries + 1u };
    uint32_t off = 0;
    int rc;

    /* 1. HELLO, ENTER_UPDATE if an application answers. */
    rc = reach_bootloader(mm, &p.h, img_slot, total, vbuf);
    if (rc != 0) {
        return rc;
    }
    res->hello = p.h;
    fh_version_format(p.h.active_version, p.abuf, sizeof(p.abuf));

    /* 2. Our own checks against what the bootloader told us. */
    rc = check_against_hello(mm, &p.h, img_slot, total, vbuf);
    if (rc != 0) {
        return rc;
    }
    if (p.h.max_data == 0) {
        res->origin = FH_ORIGIN_LINK;
        return fh_msg_set(&res->msg, FOTA_EPROTO, "target announces max_data 0");
    }
    p.chunk = p.h.max_data < PROTO_MAX_DATA ? p.h.max_data : PROTO_MAX_DATA;

    /* 3. BEGIN, 4. DATA, 5. END. */
    rc = pass_begin(mm, &p, fresh_first, &off);
    if (rc != 0) {
        return rc;
    }
    res->stats.resume_offset = off;
    res->stats.begun = 1;
    rc = pass_data(mm, &p, off);
    return rc != 0 ? rc : pass_end(mm, &p);
}

static int run_update(struct master *mm, struct fh_link *l, const uint8_t *img, size_t img_len,
                      const struct fh_update_opts *o, struct fh_update_result *res)
{
    struct fh_update_opts defaults;
    uint32_t load, ver, img_slot, total, restarts;
    char vbuf[16];
    int rc;

    master_init(mm, l, o, &defaults, res);
    o = mm->o;
    if (l == NULL || img == NULL || img_len <= IMAGE_HEADER_SIZE || img_len > UINT32_MAX) {
        res->origin = FH_ORIGIN_LOCAL;
        return fh_msg_set(&res->msg, FOTA_EINVAL, "no image, or an image of %zu bytes", img_len);
    }
    total = (uint32_t)img_len;
    load = proto_get_u32(img + offsetof(struct image_header, ih_load_addr));
    ver = proto_get_u32(img + offsetof(struct image_header, ih_version));
    fh_version_format(ver, vbuf, sizeof(vbuf));
    if (load == LAYOUT_SLOT_A_ADDR) {
        img_slot = LAYOUT_SLOT_A;
    } else if (load == LAYOUT_SLOT_B_ADDR) {
        img_slot = LAYOUT_SLOT_B;
    } else {
        res->origin = FH_ORIGIN_LOCAL;
        return fh_msg_set(&res->msg, FOTA_EINVAL, "image load address 0x%08X is no slot base", (unsigned)load);
    }

    /* A restart resumes (BEGIN without FRESH): the prefix CRC decides. */
    for (restarts = 0;; restarts++) {
        rc = update_pass(mm, img, total, ver, img_slot, vbuf, o->fresh && restarts == 0,
                         restarts < FH_MAX_RESTARTS);
        if (rc != XACT_RESTART) {
            return rc;
        }
        res->stats.restarts++;
        trace(mm, "   an application answers %s: back to the bootloader (restart %u of %u)",
              proto_type_name(res->failed_type), (unsigned)(restarts + 1u), (unsigned)FH_MAX_RESTARTS);
    }
}

int fh_update(struct fh_link *l, const uint8_t *img, size_t img_len,
              const struct fh_update_opts *o, struct fh_update_result *res)
{
    struct master *mm;
    int rc;

    if (res == NULL) {
        return FOTA_EINVAL;
    }
    memset(res, 0, sizeof(*res));
    mm = malloc(sizeof(*mm)); /* ~4 KB of frame buffers: not on a small task stack */
    if (mm == NULL) {
        res->origin = FH_ORIGIN_LOCAL;
        return fh_msg_set(&res->msg, FOTA_ENOMEM, "out of memory");
    }
    rc = run_update(mm, l, img, img_len, o, res);
    free(mm);
    return rc;
}
