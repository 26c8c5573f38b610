/**
 * @file proto.h
 * @brief The fota-hil update protocol: framing and message layouts.
 *
 * Request/response, stop-and-wait, host is master. Every frame:
 *
 *   off  size  field
 *   0    1     PROTO_SYNC0 (0xA5)
 *   1    1     PROTO_SYNC1 (0x5A)
 *   2    1     type   (PROTO_T_*; a response is request type | PROTO_T_RSP)
 *   3    1     seq    (request: host counter; response: echoes the request)
 *   4    2     len    payload length, little-endian, <= PROTO_MAX_PAYLOAD
 *   6    len   payload
 *   6+len 4    CRC-32 (IEEE 802.3, as in image.h) of bytes 2 .. 5+len, LE
 *
 * A receiver hunts for SYNC0 SYNC1, so garbage between frames is skipped.
 * Every response payload starts with a status byte (enum fota_err, 0 = OK).
 * A frame that fails its CRC is answered with PROTO_T_NACK (status
 * FOTA_ECRC); the host retransmits on NACK or on response timeout.
 * Retransmitted DATA is idempotent: the target acknowledges offsets it has
 * already programmed without programming again.
 *
 * Messages (all integers little-endian):
 *
 *   HELLO        req: -
 *                rsp: status u8, proto_version u8, role u8 (PROTO_ROLE_*),
 *                     active_slot u8, active_version u32, target_slot u8
 *                     (slot an update goes to), max_data u16,
 *                     slot_size u32                                (15 bytes)
 *   ENTER_UPDATE req: -            (to an application: reboot into the
 *                rsp: status u8     bootloader's update mode)
 *   BEGIN        req: flags u8 (PROTO_BEGIN_F_*), header[512] (the image's
 *                     struct image_header)
 *                rsp: status u8, resume_offset u32, prefix_crc32 u32
 *                     (CRC-32 of image bytes [0, resume_offset) as stored;
 *                     the host resumes only if it equals its own; otherwise
 *                     it sends BEGIN again with PROTO_BEGIN_F_FRESH)
 *   DATA         req: offset u32 (into the image, header included), data[n],
 *                     1 <= n <= PROTO_MAX_DATA, offset + n <= image size
 *                rsp: status u8, next_offset u32 (first byte still missing)
 *   END          req: -            target verifies the whole image; on
 *                rsp: status u8     success marks it pending and resets
 *   ABORT        req: -     rsp: status u8
 *   RESET        req: -     rsp: status u8, then the target resets
 *   NACK         (target -> host only) status u8 (FOTA_ECRC, FOTA_ESIZE)
 *
 * NOTE: wire format; PROTO_VERSION bumps on any incompatible change.
 */
#ifndef FOTA_PROTO_H
#define FOTA_PROTO_H

#include <stdint.h>
#include <stddef.h>

#define PROTO_VERSION       1u
#define PROTO_SYNC0         0xA5u
#define PROTO_SYNC1         0x5Au
#define PROTO_HDR_SIZE      6u
#define PROTO_CRC_SIZE      4u
#define PROTO_MAX_DATA      1024u
#define PROTO_MAX_PAYLOAD   (4u + PROTO_MAX_DATA + 4u) /* >= 1 + 512 for BEGIN */
#define PROTO_MAX_FRAME     (PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD + PROTO_CRC_SIZE)

enum proto_type {
    PROTO_T_HELLO = 0x01,
    PROTO_T_ENTER_UPDATE = 0x02,
    PROTO_T_BEGIN = 0x03,
    PROTO_T_DATA = 0x04,
    PROTO_T_END = 0x05,
    PROTO_T_ABORT = 0x06,
    PROTO_T_RESET = 0x07,
    PROTO_T_RSP = 0x80,     /**< or-ed into a request type */
    PROTO_T_NACK = 0xFF,
};

enum proto_role {
    PROTO_ROLE_BOOTLOADER = 1, /**< update mode: accepts BEGIN/DATA/END */
    PROTO_ROLE_APP = 2,        /**< an application: accepts HELLO, ENTER_UPDATE */
};

#define PROTO_BEGIN_F_FRESH 0x01u /**< erase and start at 0, never resume */

/** Response payload sizes (status byte included). */
#define PROTO_HELLO_RSP_LEN 15u
#define PROTO_BEGIN_RSP_LEN 9u
#define PROTO_DATA_RSP_LEN  5u

struct proto_frame {
    uint8_t  type;
    uint8_t  seq;
    uint16_t len;
    uint8_t  payload[PROTO_MAX_PAYLOAD];
};

enum proto_feed_result {
    PROTO_FEED_MORE = 0,    /**< byte consumed, no frame yet */
    PROTO_FEED_FRAME = 1,   /**< a complete frame with good CRC is in the parser */
    PROTO_FEED_BAD_CRC = 2, /**< a complete frame arrived with a bad CRC (type/seq valid as received) */
    PROTO_FEED_TOO_LONG = 3,/**< header announced len > PROTO_MAX_PAYLOAD; hunting again */
};

/** Incremental, allocation-free frame parser (one per direction). */
struct proto_parser {
    uint8_t  state;
    uint16_t pos;
    uint32_t crc;
    uint8_t  crc_bytes[4];
    struct proto_frame frame; /**< valid after PROTO_FEED_FRAME / _BAD_CRC */
};

/** Reset @p p to hunting for PROTO_SYNC0. */
void proto_parser_init(struct proto_parser *p);

/**
 * Feed one received byte.
 * @return enum proto_feed_result. After FRAME or BAD_CRC the parser is
 *         already hunting for the next frame; p->frame stays valid until the
 *         next byte is fed.
 */
int proto_parser_feed(struct proto_parser *p, uint8_t byte);

/**
 * Encode a frame into @p out.
 * @param type, seq  header fields
 * @param payload    @p len bytes (may be NULL when len is 0)
 * @param out        buffer of @p cap bytes
 * @param out_len    receives the frame length (PROTO_HDR_SIZE + len + 4)
 * @return 0; FOTA_ESIZE (len > PROTO_MAX_PAYLOAD or cap too small);
 *         FOTA_EINVAL (NULL pointers).
 */
int proto_encode(uint8_t type, uint8_t seq, const void *payload, uint16_t len,
                 uint8_t *out, size_t cap, size_t *out_len);

/** Little-endian helpers for payload fields. */
static inline void proto_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void proto_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint16_t proto_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t proto_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/** @return a static name for a frame type ("DATA", "DATA_RSP", "NACK", "?"). */
const char *proto_type_name(uint8_t type);

#endif /* FOTA_PROTO_H */
