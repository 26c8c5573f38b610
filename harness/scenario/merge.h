/**
 * @file merge.h
 * @brief YAML merge keys (`<<: *anchor`, https://yaml.org/type/merge.html)
 * resolved in a scenario's libyaml document, which leaves them as plain
 * `<<` keys.
 *
 * In a mapping, `<<: *m` or `<<: [*m1, *m2]` adds every key of the named
 * mappings that the mapping does not give itself; among the listed
 * mappings the earlier one wins. Merged mappings may merge others. Anchors
 * and aliases themselves are resolved by libyaml (an alias is the anchored
 * node, shared).
 */
#ifndef HIL_MERGE_H
#define HIL_MERGE_H

#include <stddef.h>
#include <yaml.h>

#include "scenario/include.h"

#define HIL_MERGE_MAX_DEPTH 32   /**< mappings merging mappings that merge ... */
#define HIL_MERGE_MAX_KEYS  1024u /**< keys of a mapping after merging */

/**
 * Resolve every merge key of @p doc in place.
 * @param o   the origins of @p doc's nodes, for messages
 * @param err receives `file:line: merge key '<<' must be ...` (the value is
 *            not a mapping or a list of mappings, a merge cycle, nested
 *            deeper than HIL_MERGE_MAX_DEPTH, more than HIL_MERGE_MAX_KEYS keys)
 * @return 0; FOTA_EINVAL; FOTA_ENOMEM.
 */
int hil_merge_resolve(const struct hil_origins *o, yaml_document_t *doc, char *err, size_t errlen);

/**
 * Remove the keys of @p doc's root mapping that start with `x-`: places
 * to define anchors (`x-boot: &boot [...]`) that are no part of the
 * scenario schema (the docker-compose convention).
 */
void hil_merge_drop_holders(yaml_document_t *doc);

#endif /* HIL_MERGE_H */
