/**
 * @file expect_parse.h
 * @brief Parsing the outcome assertions (outcome.h, docs/SCENARIOS.md):
 * `expect: {bootable: ...}`, the mapping form of a slot in `expect:
 * {slots: ...}`, and an update step's `updater:` / `resumed_at:`. Called
 * by scenario.c; errors are `file:line: what is wrong` (parse_util.h).
 */
#ifndef HIL_EXPECT_PARSE_H
#define HIL_EXPECT_PARSE_H

#include "scenario/parse_util.h"
#include "scenario/scenario.h"

/**
 * `bootable: true|false` into @p e.
 * @return 0; FOTA_EINVAL (not a boolean; reported).
 */
int hil_parse_bootable(struct pctx *c, yaml_node_t *n, struct hil_expect *e);

/**
 * A slot's mapping form `{state: NAME, sha256: HEX | {file: PATH}}` (at
 * least one key): the hash into @p sha; *@p state receives the `state:`
 * value node (NULL if absent), for the caller's state-name lookup.
 * @return 0; FOTA_EINVAL (unknown key, empty mapping, a digest that is not
 *         64 hex digits, `file:` not a string; reported).
 */
int hil_parse_slot_map(struct pctx *c, yaml_node_t *n, struct hil_slot_sha *sha, yaml_node_t **state);

/**
 * An update step's `updater: {exit, retransmits, nacks, resumed_at,
 * duration_ms}` into @p u (exit and resumed_at: a number; resumed_at
 * also `fresh`; the others a number or `{min: N, max: N}`).
 * @return 0; FOTA_EINVAL (reported: unknown key, empty mapping, bad
 *         number, min > max, resumed_at given twice).
 */
int hil_parse_updater(struct pctx *c, yaml_node_t *n, struct hil_updater_expect *u);

/**
 * `resumed_at: N | fresh` (the update step's own key, or inside
 * `updater:`) into @p u. @p what names it in messages.
 * @return 0; FOTA_EINVAL (reported; also when @p u already has one).
 */
int hil_parse_resumed_at(struct pctx *c, yaml_node_t *n, const char *what, struct hil_updater_expect *u);

#endif /* HIL_EXPECT_PARSE_H */
