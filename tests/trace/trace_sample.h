/**
 * @file trace_sample.h
 * @brief A sample run trace with every record kind (and the corner cases:
 * corrupted frame, NACK, retransmission, non-zero status, garbage before a
 * frame, a frame cut short, an oversized record), shared by trace-test
 * (reader/libpcap round trip) and dissector-test (tshark + fota-hil.lua).
 */
#ifndef TRACE_SAMPLE_H
#define TRACE_SAMPLE_H

#include <stdint.h>
#include <stddef.h>
#include "trace/trace.h"

#define SAMPLE_MAX_RECS 72

/** What was written, as the reader must return it. */
struct sample_rec {
    struct hil_trace_rec rec;   /**< pointers into the fields below */
    uint8_t bytes[6000];        /**< FRAME bytes as given to the writer */
    size_t given_len;           /**< FRAME bytes given (rec.frame.len is what is stored) */
};

struct sample {
    struct sample_rec recs[SAMPLE_MAX_RECS];
    int count;
};

/**
 * Write the sample trace to @p path and describe it in @p s.
 * @return 0; nonzero if any writer call failed.
 */
int sample_write(const char *path, struct sample *s);

/* 0-based record numbers of the corner cases dissector-test spot-checks. */
#define SAMPLE_RETRANS_REC 14   /* DATA repeating the previous DATA offset */
#define SAMPLE_BAD_CRC_REC 12
#define SAMPLE_NACK_REC    13
/* ROM-path records (AN3155 units, AN4286, SPI). */
#define SAMPLE_ROM_GET_RSP_REC  35  /* answer to GET */
#define SAMPLE_ROM_GID_RSP_REC  37  /* answer to GET ID: PID 0x0413 */
#define SAMPLE_ROM_WM_ADDR_REC  40  /* WRITE MEMORY address 0x08080000 */
#define SAMPLE_ROM_BAD_CKSUM_REC 42 /* WRITE MEMORY data with a bad checksum */
#define SAMPLE_ROM_NACK_REC     43  /* its NACK */
#define SAMPLE_ROM_RM_LEN_REC   48  /* READ MEMORY length 16 */
#define SAMPLE_ROM_BAD_CPL_REC  54  /* a command whose complement is wrong */
#define SAMPLE_AN4286_CMD_REC   60  /* 5A 02 FD: GET ID with start of frame */

#endif /* TRACE_SAMPLE_H */
