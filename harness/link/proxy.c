/**
 * @file proxy.c
 * @brief Link proxy: frame counting with the core's proto_parser, link
 * fault application (see proxy.h).
 */
#include "link/proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hil_buf_append(struct hil_buf *b, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap == 0 ? 4096 : b->cap;
        while (cap < b->len + n) {
            cap *= 2;
        }
        uint8_t *d = realloc(b->data, cap);
        if (d == NULL) {
            fprintf(stderr, "fota-hil: out of memory\n");
            abort();
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void hil_buf_consume(struct hil_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void hil_buf_free(struct hil_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void hil_proxy_init(struct hil_proxy *p, const struct hil_fault *faults, int nfaults)
{
    hil_proxy_log_fn log = p->log;
    void *log_ctx = p->log_ctx;
    hil_proxy_wire_fn wire = p->wire;
    hil_proxy_fault_fn fault = p->fault;
    void *tap_ctx = p->tap_ctx;
    memset(p, 0, sizeof(*p));
    p->log = log;
    p->log_ctx = log_ctx;
    p->wire = wire;
    p->fault = fault;
    p->tap_ctx = tap_ctx;
    p->faults = faults;
    p->nfaults = nfaults > HIL_PROXY_MAX_FAULTS ? HIL_PROXY_MAX_FAULTS : nfaults;
    if (faults == NULL) {
        p->nfaults = 0;
    }
    for (int d = 0; d < 2; d++) {
        proto_parser_init(&p->dir[d].parser);
    }
}

void hil_proxy_restart_dir(struct hil_proxy *p, enum hil_dir d)
{
    proto_parser_init(&p->dir[d].parser);
    p->dir[d].pending_len = 0;
}

bool hil_proxy_fault_fired(const struct hil_proxy *p, int i)
{
    return i >= 0 && i < p->nfaults && p->fired[i];
}

/* Forward @p len bytes ending with frame @p n (0: no frame) and tell the wire tap. */
static void pass_on(struct hil_proxy *p, enum hil_dir d, uint32_t n, const uint8_t *bytes, size_t len,
                    struct hil_buf *out)
{
    hil_buf_append(out, bytes, len);
    if (p->wire != NULL && len > 0) {
        p->wire(p->tap_ctx, d, n, bytes, len);
    }
}

static void tap_fault(struct hil_proxy *p, enum hil_dir d, enum hil_fault_kind kind, uint32_t n, uint32_t byte)
{
    if (p->fault != NULL) {
        p->fault(p->tap_ctx, d, kind, n, byte);
    }
}

/*
 * A truncate fault (scenario.h) on to_target DATA frame @p type_n (the
 * @p flen bytes at @p frame): due at the (K+1)th DATA frame
 * (after_frames), or at the first whose image bytes reach past K
 * (after_bytes: offset + n > K). Then the frame and the rest are withheld
 * and the updater's side closes (as a disconnect); with `end`, an END
 * with the withheld frame's seq goes to the target in its place.
 * @return true if it fired.
 */
static bool truncate_due(const struct hil_fault *f, uint8_t type, uint32_t type_n,
                         const uint8_t *frame, size_t flen)
{
    if (type != PROTO_T_DATA) {
        return false;
    }
    if (!f->by_bytes) {
        return type_n == f->frame;
    }
    if (flen < PROTO_HDR_SIZE + 4u + PROTO_CRC_SIZE) {
        return false; /* not a DATA request the target would take */
    }
    uint32_t off = proto_get_u32(frame + PROTO_HDR_SIZE);
    uint32_t n = (uint32_t)(flen - PROTO_HDR_SIZE - 4u - PROTO_CRC_SIZE);
    if ((uint64_t)off + n <= f->after_bytes) {
        return false;
    }
    return true;
}

/* Apply the faults for frame number @p n of direction @p d, which is the
 * last @p flen bytes of pending. @return true to forward it. */
static bool apply_faults(struct hil_proxy *p, enum hil_dir d, uint32_t n, uint8_t type, uint32_t type_n,
                         uint8_t *frame, size_t flen, char *what, size_t whatlen)
{
    bool forward = true;
    what[0] = '\0';
    for (int i = 0; i < p->nfaults; i++) {
        const struct hil_fault *f = &p->faults[i];
        if (f->kind == HIL_FAULT_POWER_CUT && !hil_fault_at_frame(f)) {
            continue; /* at a flash operation: inject.h */
        }
        if (f->kind == HIL_FAULT_TRUNCATE) {
            if (d == HIL_DIR_TO_TARGET && !p->disconnected && truncate_due(f, type, type_n, frame, flen)) {
                p->truncate_end = f->send_end;
                p->truncate_seq = frame[3];
                p->disconnected = true;
                p->fired[i] = true;
                forward = false;
                tap_fault(p, d, HIL_FAULT_DISCONNECT, n, 0);
                snprintf(what + strlen(what), whatlen - strlen(what), "%struncate%s", what[0] ? "," : "",
                         f->send_end ? " (END sent in its place)" : "");
            }
            continue;
        }
        if (f->frame_type < 0 ? f->frame != n : (f->frame_type != (int)type || f->frame != type_n)) {
            continue;
        }
        size_t used = strlen(what);
        if (f->kind == HIL_FAULT_DISCONNECT || f->kind == HIL_FAULT_POWER_CUT) {
            /* The frame and the rest are withheld: the updater's side goes
             * (disconnect), or the power (stop-and-wait: the target has
             * answered the previous frame and waits for this one). */
            if (d != HIL_DIR_TO_TARGET) {
                continue;
            }
            bool cut = f->kind == HIL_FAULT_POWER_CUT;
            *(cut ? &p->power_cut : &p->disconnected) = true;
            p->fired[i] = true;
            forward = false;
            tap_fault(p, d, f->kind, n, 0);
            snprintf(what + used, whatlen - used, "%s%s", used ? "," : "", cut ? "power_cut" : "disconnect");
        } else if (f->dir != d) {
            continue;
        } else if (f->kind == HIL_FAULT_DROP) {
            p->fired[i] = true;
            forward = false;
            tap_fault(p, d, f->kind, n, 0);
            snprintf(what + used, whatlen - used, "%sdrop", used ? "," : "");
        } else if (f->kind == HIL_FAULT_CORRUPT) {
            if (f->byte < flen) {
                frame[f->byte] ^= 0xFFu;
                p->fired[i] = true;
                tap_fault(p, d, f->kind, n, f->byte);
                snprintf(what + used, whatlen - used, "%scorrupt byte %u", used ? "," : "", f->byte);
            } else {
                snprintf(what + used, whatlen - used, "%scorrupt byte %u: frame has only %zu bytes",
                         used ? "," : "", f->byte, flen);
            }
        }
    }
    return forward;
}

/* truncate with `end`: an END request (no payload) to the target, once. */
static void send_end(struct hil_proxy *p, struct hil_buf *out)
{
    uint8_t frame[PROTO_HDR_SIZE + PROTO_CRC_SIZE];
    size_t len = 0;
    p->truncate_end = false;
    if (proto_encode(PROTO_T_END, p->truncate_seq, NULL, 0, frame, sizeof(frame), &len) == 0) {
        pass_on(p, HIL_DIR_TO_TARGET, 0, frame, len, out);
    }
}

static void feed_byte(struct hil_proxy *p, enum hil_dir d, uint8_t byte, struct hil_buf *out)
{
    struct hil_proxy_dir *pd = &p->dir[d];
    if (pd->pending_len == HIL_PROXY_PENDING_CAP) {
        /* Only the newest PROTO_MAX_FRAME bytes can still be part of a frame. */
        size_t drop = HIL_PROXY_PENDING_CAP - PROTO_MAX_FRAME;
        pass_on(p, d, 0, pd->pending, drop, out);
        memmove(pd->pending, pd->pending + drop, pd->pending_len - drop);
        pd->pending_len -= drop;
    }
    pd->pending[pd->pending_len++] = byte;
    int r = proto_parser_feed(&pd->parser, byte);
    if (r == PROTO_FEED_MORE) {
        return;
    }
    if (r == PROTO_FEED_TOO_LONG || (r != PROTO_FEED_FRAME && r != PROTO_FEED_BAD_CRC)) {
        pass_on(p, d, 0, pd->pending, pd->pending_len, out);
        pd->pending_len = 0;
        return;
    }
    const struct proto_frame *f = &pd->parser.frame;
    size_t flen = PROTO_HDR_SIZE + (size_t)f->len + PROTO_CRC_SIZE;
    if (flen > pd->pending_len) {
        flen = pd->pending_len; /* cannot happen: the parser saw every byte */
    }
    size_t start = pd->pending_len - flen;
    pd->frames++;
    pd->type_frames[f->type]++;
    if (r == PROTO_FEED_BAD_CRC) {
        pd->bad_crc++;
    }
    char what[160];
    bool fwd = apply_faults(p, d, pd->frames, f->type, pd->type_frames[f->type], pd->pending + start, flen,
                            what, sizeof(what));
    if (p->log != NULL) {
        p->log(p->log_ctx, d, pd->frames, f, r == PROTO_FEED_FRAME, what);
    }
    /* Line noise before the frame goes out with it (or alone if it is not forwarded). */
    if (fwd) {
        pass_on(p, d, pd->frames, pd->pending, start + flen, out);
    } else {
        pass_on(p, d, 0, pd->pending, start, out);
    }
    pd->pending_len = 0;
    if (p->truncate_end) {
        send_end(p, out);
    }
}

void hil_proxy_feed(struct hil_proxy *p, enum hil_dir d, const uint8_t *in, size_t n,
                    struct hil_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (d == HIL_DIR_TO_TARGET && (p->disconnected || p->power_cut)) {
            return; /* the updater's side is gone, or the target is off */
        }
        feed_byte(p, d, in[i], out);
    }
}
