/**
 * @file proxy.h
 * @brief The link proxy between the updater (pty master) and the target's
 * update link (USART1), with the link fault injector.
 *
 * Each direction runs the core's proto_parser over the bytes it relays, so
 * it knows where frames start and end and counts them (1-based, reset per
 * update step). A candidate frame is held back until the parser has seen
 * its last byte; then the link faults of the update step are applied to it
 * (corrupt: xor 0xFF one byte; drop: remove it; disconnect: close the
 * updater's side instead of forwarding it; power_cut at a frame: withhold
 * it and raise power_cut, the runner then cuts the target's power;
 * truncate: at the DATA frame after `after_frames` DATA frames, or the
 * first reaching past image offset `after_bytes`, withhold it and the
 * rest, close the updater's side as a disconnect does, and with `end`
 * send an END with its seq in its place) and it is passed on. Bytes that
 * belong to no frame are passed on with the next frame (the receivers
 * skip them anyway) or when the parser gives up on a header. No I/O here:
 * the runner feeds bytes and writes what comes out, so this is unit-tested
 * by feeding byte strings.
 */
#ifndef HIL_PROXY_H
#define HIL_PROXY_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "fota/proto.h"
#include "scenario/scenario.h"

/** Growable byte buffer (the runner's output queues too). */
struct hil_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

/** Append @p n bytes. Aborts on out of memory (the harness cannot go on). */
void hil_buf_append(struct hil_buf *b, const void *p, size_t n);
/** Remove the first @p n bytes. */
void hil_buf_consume(struct hil_buf *b, size_t n);
void hil_buf_free(struct hil_buf *b);

#define HIL_PROXY_MAX_FAULTS 32
/* Held-back bytes: a whole frame plus garbage before it. */
#define HIL_PROXY_PENDING_CAP (2u * PROTO_MAX_FRAME)

struct hil_proxy_dir {
    struct proto_parser parser;
    uint8_t pending[HIL_PROXY_PENDING_CAP];
    size_t pending_len;
    uint32_t frames;        /**< frames seen (good or bad CRC) since init */
    uint32_t bad_crc;       /**< of those, with a bad CRC */
    uint32_t type_frames[256]; /**< frames seen per type byte */
};

/** Reports every frame the proxy saw, for the event log. */
typedef void (*hil_proxy_log_fn)(void *ctx, enum hil_dir dir, uint32_t n,
                                 const struct proto_frame *f, bool crc_ok, const char *fault);

/**
 * Run-trace taps (both optional). wire: @p len bytes the proxy forwards in
 * @p dir, exactly as they go out (corrupted or not, with the line noise
 * before a frame); @p n is the frame index they end with, 0 for bytes that
 * belong to no frame. fault: a link fault fired on frame @p n of @p dir;
 * @p byte is the corrupted offset in the frame (CORRUPT only).
 */
typedef void (*hil_proxy_wire_fn)(void *ctx, enum hil_dir dir, uint32_t n, const uint8_t *bytes,
                                  size_t len);
typedef void (*hil_proxy_fault_fn)(void *ctx, enum hil_dir dir, enum hil_fault_kind kind,
                                   uint32_t n, uint32_t byte);

struct hil_proxy {
    struct hil_proxy_dir dir[2];            /**< indexed by enum hil_dir */
    const struct hil_fault *faults;         /**< the update step's (power cuts at flash ops ignored) */
    int nfaults;
    bool fired[HIL_PROXY_MAX_FAULTS];
    bool disconnected;                      /**< a disconnect fault fired: close the updater's side */
    bool power_cut;                         /**< a power_cut at a frame fired: the frame was withheld;
                                                 the runner cuts the target's power */
    bool truncate_end;                      /**< a truncate with `end` fired: END goes out next */
    uint8_t truncate_seq;                   /**< the seq of the DATA frame it withheld (END reuses it) */
    hil_proxy_log_fn log;
    void *log_ctx;
    hil_proxy_wire_fn wire;                 /**< kept by hil_proxy_init, like log */
    hil_proxy_fault_fn fault;
    void *tap_ctx;
};

/**
 * Start counting from zero with the faults of one update step.
 * @param faults  may be NULL when @p nfaults is 0; only the first
 *                HIL_PROXY_MAX_FAULTS are used
 */
void hil_proxy_init(struct hil_proxy *p, const struct hil_fault *faults, int nfaults);

/**
 * Feed @p n bytes travelling in direction @p d; append what is to be
 * forwarded to @p out. After a disconnect or a power cut at a frame,
 * to_target bytes are swallowed.
 */
void hil_proxy_feed(struct hil_proxy *p, enum hil_dir d, const uint8_t *in, size_t n,
                    struct hil_buf *out);

/** The stream of @p d restarted (target power cycle): forget a partial frame. */
void hil_proxy_restart_dir(struct hil_proxy *p, enum hil_dir d);

/** @return true if fault @p i (index into the faults given to init) fired. */
bool hil_proxy_fault_fired(const struct hil_proxy *p, int i);

#endif /* HIL_PROXY_H */
