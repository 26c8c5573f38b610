/**
 * @file bridge_parse.h
 * @brief Parsing the bridge's scenario steps (issue 12 item 2,
 * docs/SCENARIOS.md "Bridge steps"): `servers`, `publish_image`,
 * `mqtt_trigger`, `bridge` (with `netfault:` and power-cut `faults:`)
 * and `expect_mqtt`. Called by scenario.c; errors are
 * `file:line: what is wrong` (parse_util.h).
 */
#ifndef HIL_BRIDGE_PARSE_H
#define HIL_BRIDGE_PARSE_H

#include "scenario/parse_util.h"
#include "scenario/scenario.h"

/**
 * The value @p val (NULL: none) of bridge step @p st (st->kind one of the
 * HIL_STEP_SERVERS .. HIL_STEP_EXPECT_MQTT) into @p st; @p n is the step
 * node (for a missing value's line).
 * @return 0; FOTA_EINVAL (reported: a value where none is taken, a
 *         missing or unknown key, a bad action, via, state name, version
 *         or netfault).
 */
int hil_parse_bridge_step(struct pctx *c, yaml_node_t *n, yaml_node_t *val, struct hil_step *st);

/** Free what hil_parse_bridge_step() allocated in @p st. */
void hil_bridge_step_free(struct hil_step *st);

/** @return whether @p s names a state the bridge publishes (docs/BRIDGE.md "Status messages"). */
bool hil_bridge_state_valid(const char *s);

#endif /* HIL_BRIDGE_PARSE_H */
