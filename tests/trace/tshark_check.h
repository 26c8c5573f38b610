/**
 * @file tshark_check.h
 * @brief Shared by dissector-test and suite-trace-test: dissect a trace
 * with tshark and scripts/fota-hil.lua (`-T fields`, one column per field)
 * and compare every column of every packet with what C computes from the
 * records as written (frame fields decoded here from the bytes, CRC with
 * the core's crc32).
 */
#ifndef TSHARK_CHECK_H
#define TSHARK_CHECK_H

#include <stdint.h>
#include "trace/trace.h"

/* The columns asked from tshark, in order. */
enum tc_col {
    C_KIND, C_DIR, C_FLAGS, C_LEN,
    C_F_INDEX, C_F_TYPE, C_F_SEQ, C_F_LEN, C_F_STATUS, C_F_CRC, C_F_CRC_CALC, C_F_CRC_STATUS,
    C_F_GARBAGE,
    C_H_PROTO, C_H_ROLE, C_H_ACTIVE, C_H_AVER, C_H_TARGET, C_H_MAXDATA, C_H_SLOTSIZE,
    C_B_FLAGS, C_B_FRESH, C_B_MAGIC, C_B_VERSION, C_B_LOAD, C_B_SIZE, C_B_CRC, C_B_HCRC,
    C_B_RESUME, C_B_PREFIX,
    C_D_OFFSET, C_D_LEN, C_D_RETRANS, C_D_NEXT,
    C_X_KIND, C_X_FRAME, C_X_OFFSET, C_X_PARAM,
    C_FL_OP, C_FL_REGION, C_FL_VERDICT, C_FL_TORN, C_FL_RC, C_FL_SECTOR, C_FL_ADDR, C_FL_LEN,
    C_FL_SEQ, C_FL_KSEQ, C_FL_SHA,
    C_P_EVENT, C_P_VALUE, C_P_DETAIL,
    C_CONSOLE,
    C_E_CRC, C_E_NACK, C_E_STATUS, C_E_RETRANS, C_E_FAULT, C_E_CUT, C_E_FAIL, C_E_POWER,
    C_E_NOSYNC, C_E_GARBAGE, C_E_SHORT,
    C_R_PROTO, C_R_LINK, C_ROM_UNIT, C_ROM_CMD, C_ROM_ADDR, C_ROM_LEN, C_ROM_ACK, C_ROM_CKSUM_STATUS,
    C_ROM_PID, C_E_ROM_NACK, C_E_ROM_CKSUM, C_R_DEVTIME,
    C_LUA_ERROR, C_MALFORMED,
    C_COUNT
};

#define TC_CELL 80
/** Expected text of every column of one packet. */
typedef char tc_row[C_COUNT][TC_CELL];

/** Records read back from a file, deep copies (own their bytes). */
struct tc_recs {
    struct hil_trace_rec *recs;
    int count;
};

/** Read every record of @p pcap. @return 0; the reader's error. */
int tc_load(const char *pcap, struct tc_recs *out);
void tc_free(struct tc_recs *r);

/** @return malloc'ed expectations for @p n records (free()). */
tc_row *tc_expect(const struct hil_trace_rec *recs, int n);

/**
 * Run tshark over @p pcap with the dissector (config dir @p cfgdir, empty)
 * and compare with @p want. Differences are printed on stderr.
 * @return mismatching cells + |packet count difference| + lines tshark
 *         wrote on stderr other than its as-root warning; -1 if tshark
 *         could not run.
 */
int tc_compare(const char *pcap, const tc_row *want, int n, const char *cfgdir);

#endif /* TSHARK_CHECK_H */
