/**
 * @file fake_host.c
 * @brief The test's update master over the sim link (fake_host.h).
 */
#include <string.h>
#include "fake_host.h"
#include "sim.h"
#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/image.h"

/* Idle calls without the awaited response before the host retransmits
 * (its response timeout). */
#define FH_RETRY_WAITS 3u

static void fh_transmit(struct fake_host *h)
{
    static const uint8_t noise[] = { 0x11, PROTO_SYNC0, 0x00, 0xFF, PROTO_SYNC0 };
    uint8_t bad[PROTO_MAX_FRAME];

    h->frames++;
    if (h->garbage_before == h->frames) {
        sim_link_host_send(noise, sizeof(noise));
    }
    if (h->corrupt_frame == h->frames) {
        memcpy(bad, h->last, h->last_len);
        bad[h->last_len - 1u] ^= 0x40u; /* a CRC byte */
        sim_link_host_send(bad, (uint32_t)h->last_len);
    } else {
        sim_link_host_send(h->last, (uint32_t)h->last_len);
    }
    h->waiting = 1;
    h->waits = 0;
}

static void fh_send(struct fake_host *h, uint8_t type, const uint8_t *payload, uint16_t len)
{
    h->seq++;
    if (proto_encode(type, h->seq, payload, len, h->last, sizeof(h->last), &h->last_len) != 0) {
        h->state = FH_FAILED;
        h->error = FOTA_EINVAL;
        return;
    }
    h->last_type = type;
    fh_transmit(h);
}

static void fh_send_begin(struct fake_host *h, uint8_t flags)
{
    uint8_t p[1 + IMAGE_HEADER_SIZE];

    p[0] = flags;
    memcpy(&p[1], h->img, IMAGE_HEADER_SIZE);
    h->state = FH_BEGIN;
    h->begins++;
    h->last_begin_flags = flags;
    fh_send(h, PROTO_T_BEGIN, p, sizeof(p));
}

static void fh_send_next(struct fake_host *h)
{
    uint8_t p[4 + PROTO_MAX_DATA];
    uint32_t n;

    if (h->offset >= h->img_len) {
        h->state = FH_END;
        fh_send(h, PROTO_T_END, NULL, 0);
        return;
    }
    n = h->img_len - h->offset;
    if (n > h->chunk) {
        n = h->chunk;
    }
    proto_put_u32(p, h->offset);
    memcpy(&p[4], h->img + h->offset, n);
    h->state = FH_DATA;
    h->data_sent++;
    fh_send(h, PROTO_T_DATA, p, (uint16_t)(4u + n));
}

static void fh_fail(struct fake_host *h, int status)
{
    if (h->error == 0) {
        h->error = status;
        h->error_type = h->last_type;
    }
    h->state = FH_FAILED;
    h->waiting = 0;
}

static void fh_on_data_rsp(struct fake_host *h, int status, uint32_t next)
{
    if (h->dup_inflight) {
        h->dup_inflight = 0;
        h->dup_status = status;
        h->dup_next = next;
        fh_send_next(h);
        return;
    }
    if (status == FOTA_EPROTO) {
        h->offset = next; /* resynchronise on the target's next_offset */
        fh_send_next(h);
        return;
    }
    if (status != 0) {
        fh_fail(h, status);
        return;
    }
    h->data_acked++;
    h->offset = next;
    if (h->dup_data != 0u && h->dup_data == h->data_acked) {
        uint8_t p[4 + PROTO_MAX_DATA];
        uint16_t len = proto_get_u16(&h->last[4]);

        memcpy(p, &h->last[PROTO_HDR_SIZE], len);
        h->dup_inflight = 1;
        fh_send(h, PROTO_T_DATA, p, len);
        return;
    }
    if (h->silent_after_data != 0u && h->silent_after_data == h->data_acked) {
        h->state = FH_SILENT;
        h->waiting = 0;
        return;
    }
    if (h->rebegin_after_data != 0u && h->rebegin_after_data == h->data_acked) {
        h->rebegin_after_data = 0;
        fh_send_begin(h, 0);
        return;
    }
    fh_send_next(h);
}

static void fh_on_response(struct fake_host *h, const struct proto_frame *f)
{
    int status = (f->len > 0u) ? f->payload[0] : FOTA_EPROTO;

    h->waiting = 0;
    switch (h->last_type) {
    case PROTO_T_HELLO:
        memcpy(h->hello, f->payload, f->len < sizeof(h->hello) ? f->len : sizeof(h->hello));
        h->hello_ok = (status == 0 && f->len == PROTO_HELLO_RSP_LEN);
        if (!h->hello_ok) {
            fh_fail(h, status ? status : FOTA_EPROTO);
            return;
        }
        fh_send_begin(h, h->force_fresh ? PROTO_BEGIN_F_FRESH : 0u);
        return;
    case PROTO_T_BEGIN:
        h->begin_status = status;
        if (status != 0 || f->len != PROTO_BEGIN_RSP_LEN) {
            fh_fail(h, status ? status : FOTA_EPROTO);
            return;
        }
        h->resume_offset = proto_get_u32(&f->payload[1]);
        h->resume_crc = proto_get_u32(&f->payload[5]);
        if (h->begins == 1u) {
            h->resume_first = h->resume_offset;
        }
        if (h->resume_offset > h->img_len) {
            fh_fail(h, FOTA_ERANGE);
            return;
        }
        if (!(h->last_begin_flags & PROTO_BEGIN_F_FRESH) &&
            crc32_update(0, h->img, h->resume_offset) != h->resume_crc) {
            /* What is stored is not our prefix: start over. */
            h->went_fresh = 1;
            fh_send_begin(h, PROTO_BEGIN_F_FRESH);
            return;
        }
        if (h->resume_offset > 0u) {
            h->resumed = 1;
        }
        h->offset = h->resume_offset;
        fh_send_next(h);
        return;
    case PROTO_T_DATA:
        fh_on_data_rsp(h, status, (f->len >= PROTO_DATA_RSP_LEN) ? proto_get_u32(&f->payload[1]) : 0u);
        return;
    case PROTO_T_END:
        h->end_status = status;
        if (status != 0) {
            fh_fail(h, status);
        } else {
            h->state = FH_DONE;
        }
        return;
    default:
        return;
    }
}

static void fh_poll(struct fake_host *h)
{
    uint8_t buf[256];
    uint32_t n, i;

    while ((n = sim_link_host_recv(buf, sizeof(buf))) > 0u) {
        for (i = 0; i < n; i++) {
            int r = proto_parser_feed(&h->parser, buf[i]);
            const struct proto_frame *f = &h->parser.frame;

            if (r != PROTO_FEED_FRAME || !h->waiting) {
                continue;
            }
            if (f->type == PROTO_T_NACK) {
                h->nacks++;
                h->retransmits++;
                fh_transmit(h);
            } else if (f->type == (uint8_t)(h->last_type | PROTO_T_RSP) && f->seq == h->seq) {
                fh_on_response(h, f);
            }
        }
    }
}

static int fh_idle(void *ctx)
{
    struct fake_host *h = (struct fake_host *)ctx;

    fh_poll(h);
    if (h->frames == 0u) {
        h->state = FH_HELLO;
        fh_send(h, PROTO_T_HELLO, NULL, 0);
        return 0;
    }
    if (h->waiting && ++h->waits >= FH_RETRY_WAITS) {
        h->retransmits++;
        fh_transmit(h);
        return 0;
    }
    if ((h->state == FH_DONE || h->state == FH_FAILED) && h->stop_when_done) {
        return 1;
    }
    return 0;
}

void fake_host_init(struct fake_host *h, const uint8_t *img, uint32_t len)
{
    memset(h, 0, sizeof(*h));
    h->img = img;
    h->img_len = len;
    h->chunk = PROTO_MAX_DATA;
    h->end_status = -1;
    h->dup_status = -1;
    h->begin_status = -1;
    h->stop_when_done = 1;
    proto_parser_init(&h->parser);
}

void fake_host_attach(struct fake_host *h)
{
    sim_link_clear();
    sim_link_set_idle_hook(fh_idle, h);
}

void fake_host_finish(struct fake_host *h)
{
    fh_poll(h);
}
