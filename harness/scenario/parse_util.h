/**
 * @file parse_util.h
 * @brief The scenario parser's helpers (scenario.c), for the files that
 * parse parts of a scenario (expect_parse.c). Internal to
 * harness/scenario: every error is `file:line: what is wrong` (the first
 * one is kept), and the parser's context stays opaque.
 */
#ifndef HIL_PARSE_UTIL_H
#define HIL_PARSE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

/** The parser's context (scenario.c). */
struct pctx;

/** One key of a mapping: its name, key node and value node. */
struct kv {
    const char *key;
    yaml_node_t *knode;
    yaml_node_t *val;
};

/** Most keys a mapping may have. */
#define HIL_MAX_KEYS 16

/** Report `file:line of n: <fmt>`. @return FOTA_EINVAL. */
int hil_sp_fail(struct pctx *c, yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/**
 * The pairs of mapping @p n into @p out (HIL_MAX_KEYS): keys must be
 * unique strings from the NULL-terminated @p allowed.
 * @return the number of pairs; -1 after reporting.
 */
int hil_sp_pairs(struct pctx *c, yaml_node_t *n, const char *what, const char *const *allowed, struct kv *out);

/** @return the pair with key @p key among @p n, or NULL. */
struct kv *hil_sp_find(struct kv *kv, int n, const char *key);

/** A non-negative integer >= @p min. @return 0; FOTA_EINVAL (reported). */
int hil_sp_u32(struct pctx *c, yaml_node_t *n, const char *what, uint32_t min, uint32_t *out);

/** A string, copied into *@p out (freed first). @return 0; FOTA_EINVAL (reported). */
int hil_sp_string(struct pctx *c, yaml_node_t *n, const char *what, char **out);

/** @return the text of a scalar that is not null, else NULL. */
const char *hil_sp_scalar(const yaml_node_t *n);

/** @return true if @p n is a mapping. */
bool hil_sp_is_mapping(const yaml_node_t *n);

/**
 * The items of sequence @p n.
 * @return the number of items (*@p items: their node ids, for
 *         hil_sp_item()); -1 after reporting `<what> must be a sequence`.
 */
int hil_sp_seq(struct pctx *c, yaml_node_t *n, const char *what, yaml_node_item_t **items);

/** @return the node of id @p id (an item of hil_sp_seq()). */
yaml_node_t *hil_sp_item(struct pctx *c, yaml_node_item_t id);

/** @return the 1-based line of @p n. */
int hil_sp_line(const yaml_node_t *n);

struct hil_step;

/**
 * The `faults:` sequence @p seq of a step that takes power cuts (at a
 * flash operation with a count, a console line or a device time) into
 * @p st->faults (fault_parse.h). @p seq NULL: none.
 * @return 0; FOTA_EINVAL (reported).
 */
int hil_sp_step_faults(struct pctx *c, yaml_node_t *seq, struct hil_step *st);

#endif /* HIL_PARSE_UTIL_H */
