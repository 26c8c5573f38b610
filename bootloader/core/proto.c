/**
 * @file proto.c
 * @brief Update protocol framing (proto.h): incremental parser and encoder.
 */
#include <string.h>
#include "fota/proto.h"
#include "fota/crc32.h"
#include "fota/errors.h"

enum proto_parser_state {
    PROTO_PS_SYNC0 = 0, /* hunting for PROTO_SYNC0 */
    PROTO_PS_SYNC1,
    PROTO_PS_TYPE,
    PROTO_PS_SEQ,
    PROTO_PS_LEN0,
    PROTO_PS_LEN1,
    PROTO_PS_PAYLOAD,
    PROTO_PS_CRC,
};

void proto_parser_init(struct proto_parser *p)
{
    p->state = PROTO_PS_SYNC0;
    p->pos = 0;
    p->crc = 0;
    p->frame.type = 0;
    p->frame.seq = 0;
    p->frame.len = 0;
}

/* The CRC covers type, seq, len and payload (bytes 2 .. 5+len). The header
 * bytes are folded in as they arrive, the payload in one go at the end. */
static void proto_crc_byte(struct proto_parser *p, uint8_t b)
{
    p->crc = crc32_update(p->crc, &b, 1);
}

int proto_parser_feed(struct proto_parser *p, uint8_t b)
{
    switch (p->state) {
    case PROTO_PS_SYNC0:
        if (b == PROTO_SYNC0) {
            p->state = PROTO_PS_SYNC1;
        }
        return PROTO_FEED_MORE;
    case PROTO_PS_SYNC1:
        if (b == PROTO_SYNC1) {
            p->state = PROTO_PS_TYPE;
        } else if (b != PROTO_SYNC0) {
            /* A5 A5 5A still syncs: stay here on a repeated SYNC0. */
            p->state = PROTO_PS_SYNC0;
        }
        return PROTO_FEED_MORE;
    case PROTO_PS_TYPE:
        p->crc = 0;
        proto_crc_byte(p, b);
        p->frame.type = b;
        p->state = PROTO_PS_SEQ;
        return PROTO_FEED_MORE;
    case PROTO_PS_SEQ:
        proto_crc_byte(p, b);
        p->frame.seq = b;
        p->state = PROTO_PS_LEN0;
        return PROTO_FEED_MORE;
    case PROTO_PS_LEN0:
        proto_crc_byte(p, b);
        p->frame.len = b;
        p->state = PROTO_PS_LEN1;
        return PROTO_FEED_MORE;
    case PROTO_PS_LEN1:
        proto_crc_byte(p, b);
        p->frame.len = (uint16_t)(p->frame.len | ((uint16_t)b << 8));
        p->pos = 0;
        if (p->frame.len > PROTO_MAX_PAYLOAD) {
            p->state = PROTO_PS_SYNC0;
            return PROTO_FEED_TOO_LONG;
        }
        p->state = (p->frame.len > 0u) ? PROTO_PS_PAYLOAD : PROTO_PS_CRC;
        return PROTO_FEED_MORE;
    case PROTO_PS_PAYLOAD:
        p->frame.payload[p->pos++] = b;
        if (p->pos == p->frame.len) {
            p->crc = crc32_update(p->crc, p->frame.payload, p->frame.len);
            p->pos = 0;
            p->state = PROTO_PS_CRC;
        }
        return PROTO_FEED_MORE;
    case PROTO_PS_CRC:
        p->crc_bytes[p->pos++] = b;
        if (p->pos < PROTO_CRC_SIZE) {
            return PROTO_FEED_MORE;
        }
        p->pos = 0;
        p->state = PROTO_PS_SYNC0;
        return (proto_get_u32(p->crc_bytes) == p->crc) ? PROTO_FEED_FRAME : PROTO_FEED_BAD_CRC;
    default:
        /* Cannot happen (state is only set above); recover by hunting. */
        p->state = PROTO_PS_SYNC0;
        return PROTO_FEED_MORE;
    }
}

int proto_encode(uint8_t type, uint8_t seq, const void *payload, uint16_t len,
                 uint8_t *out, size_t cap, size_t *out_len)
{
    size_t total = (size_t)PROTO_HDR_SIZE + len + PROTO_CRC_SIZE;
    uint32_t crc;

    if (out == NULL || out_len == NULL || (payload == NULL && len > 0u)) {
        return FOTA_EINVAL;
    }
    if (len > PROTO_MAX_PAYLOAD || cap < total) {
        return FOTA_ESIZE;
    }
    out[0] = PROTO_SYNC0;
    out[1] = PROTO_SYNC1;
    out[2] = type;
    out[3] = seq;
    proto_put_u16(&out[4], len);
    if (len > 0u) {
        memmove(&out[PROTO_HDR_SIZE], payload, len);
    }
    crc = crc32_update(0, &out[2], (size_t)4u + len);
    proto_put_u32(&out[PROTO_HDR_SIZE + len], crc);
    *out_len = total;
    return 0;
}

const char *proto_type_name(uint8_t type)
{
    static const char *const req[] = {
        "?", "HELLO", "ENTER_UPDATE", "BEGIN", "DATA", "END", "ABORT", "RESET",
    };
    static const char *const rsp[] = {
        "?", "HELLO_RSP", "ENTER_UPDATE_RSP", "BEGIN_RSP", "DATA_RSP", "END_RSP",
        "ABORT_RSP", "RESET_RSP",
    };
    uint8_t base = (uint8_t)(type & (uint8_t)~PROTO_T_RSP);

    if (type == PROTO_T_NACK) {
        return "NACK";
    }
    if (base == 0u || base >= sizeof(req) / sizeof(req[0])) {
        return "?";
    }
    return (type & PROTO_T_RSP) ? rsp[base] : req[base];
}
