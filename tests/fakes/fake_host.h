/**
 * @file fake_host.h
 * @brief A test plays host over the sim port's in-memory link: a small
 * update master (HELLO, BEGIN with resume or FRESH, DATA in PROTO_MAX_DATA
 * chunks, END) driven from the sim link's idle hook, with link faults.
 *
 * Usage: fake_host_init(), set options, fake_host_attach(), sim_boot()
 * (the bootloader must enter update mode), then fake_host_finish() to read
 * responses the target sent just before it reset.
 */
#ifndef FAKE_HOST_H
#define FAKE_HOST_H

#include <stdint.h>
#include <stddef.h>
#include "fota/proto.h"

enum fake_host_state {
    FH_HELLO = 0, FH_BEGIN, FH_DATA, FH_END, FH_DONE, FH_FAILED, FH_SILENT,
};

struct fake_host {
    /* ---- what to send ---- */
    const uint8_t *img;
    uint32_t img_len;
    /* ---- options (0 = off) ---- */
    int      force_fresh;       /**< first BEGIN already has PROTO_BEGIN_F_FRESH */
    uint32_t corrupt_frame;     /**< 1-based index of a sent frame whose CRC is broken (once) */
    uint32_t dup_data;          /**< after DATA #n is acknowledged, send it again (once) */
    uint32_t silent_after_data; /**< after DATA #n is acknowledged, go silent (link drop) */
    uint32_t rebegin_after_data;/**< after DATA #n is acknowledged, send BEGIN (no FRESH) again (once) */
    uint32_t garbage_before;    /**< before frame #n, send noise bytes (incl. a false SYNC0) */
    uint32_t chunk;             /**< DATA size, default PROTO_MAX_DATA */
    int      stop_when_done;    /**< idle hook returns nonzero (ends the run) once done or failed */
    /* ---- results ---- */
    enum fake_host_state state;
    int      hello_ok;
    uint8_t  hello[PROTO_HELLO_RSP_LEN];
    uint32_t begins;            /**< BEGIN requests sent (originals) */
    int      begin_status;      /**< last BEGIN status */
    uint32_t resume_offset;     /**< R of the last BEGIN response */
    uint32_t resume_first;      /**< R of the first BEGIN response */
    uint32_t resume_crc;
    int      resumed;           /**< accepted a resume with R > 0 */
    int      went_fresh;        /**< sent BEGIN FRESH after a CRC mismatch */
    uint32_t data_sent;         /**< DATA frames sent (originals, not retransmissions) */
    uint32_t data_acked;
    int      dup_status;        /**< status of the duplicate DATA (-1 not sent) */
    uint32_t dup_next;          /**< its next_offset */
    uint32_t nacks;             /**< NACKs received */
    uint32_t retransmits;       /**< frames sent again (NACK or response timeout) */
    int      end_status;        /**< END status, -1 if no END response */
    int      error;             /**< first non-zero status of BEGIN/DATA/END, 0 if none */
    uint8_t  error_type;        /**< request type that got it */
    /* ---- internal ---- */
    struct proto_parser parser;
    uint8_t  seq;
    uint32_t offset;
    uint32_t frames;            /**< frames sent, originals and retransmissions */
    uint32_t waits;             /**< idle calls without the awaited response */
    int      waiting;
    int      dup_inflight;
    uint8_t  last_begin_flags;
    uint8_t  last[PROTO_MAX_FRAME];
    size_t   last_len;
    uint8_t  last_type;
};

void fake_host_init(struct fake_host *h, const uint8_t *img, uint32_t len);
/** Install the idle hook on the sim link (clears the link queues first). */
void fake_host_attach(struct fake_host *h);
/** Process whatever the target sent (e.g. END's response before its reset). */
void fake_host_finish(struct fake_host *h);

#endif
