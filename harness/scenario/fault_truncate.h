/**
 * @file fault_truncate.h
 * @brief The `truncate` fault's syntax (issue 15 item 4): a short or
 * aborted transfer, `{kind: truncate, after_frames: K | after_bytes: K,
 * end: true|false}` (docs/SCENARIOS.md "truncate"; applied by the link
 * proxy, harness/link/proxy.h).
 */
#ifndef HIL_FAULT_TRUNCATE_H
#define HIL_FAULT_TRUNCATE_H

#include "scenario/parse_util.h"
#include "scenario/scenario.h"

/**
 * Parse a truncate fault (its keys already checked against the row's
 * list): exactly one of `after_frames: K` (K >= 0 DATA frames pass; the
 * fault is then the (K+1)th to_target DATA frame, retransmissions
 * counted) and `after_bytes: K` (K >= 1: image bytes [0, K) pass); `end`
 * true|false, default false.
 * @return 0; FOTA_EINVAL (reported: neither or both counts, a bad number,
 *         `end` not a boolean).
 */
int hil_parse_truncate(struct pctx *c, yaml_node_t *n, struct kv *kv, int cnt, struct hil_fault *f);

#endif /* HIL_FAULT_TRUNCATE_H */
