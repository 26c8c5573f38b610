/**
 * @file include.h
 * @brief `- include: FILE` steps (docs/SCENARIOS.md "Reuse"): a preprocessing
 * pass over a scenario's libyaml document, run before the step parser.
 *
 * Each include step of the `steps:` list is replaced, in place, by the
 * steps of FILE: a YAML file holding one document, a non-empty list of
 * steps. FILE is relative to the working directory (the repository root),
 * as every other path of a scenario is. An included file may include
 * others, up to HIL_INCLUDE_MAX_DEPTH deep; a file that includes itself,
 * directly or not, is refused.
 *
 * The included nodes are copied into the scenario's document (their start
 * marks keep the line in their own file) and remembered as a range of node
 * ids per included file, an "origin". A message about such a node names
 * the included file and line, then each use:
 *   `scenarios/lib/x.yaml:4: unknown step 'powr_on' (included from scenarios/foo.yaml:12)`
 */
#ifndef HIL_INCLUDE_H
#define HIL_INCLUDE_H

#include <stdarg.h>
#include <stddef.h>
#include <yaml.h>

#define HIL_INCLUDE_MAX_DEPTH 8       /**< include chains longer than this are refused */
#define HIL_INCLUDE_MAX_NODES 200000  /**< nodes of a document after splicing */
#define HIL_INCLUDE_MAX_FILE  (1024u * 1024u) /**< bytes of an included file */

/** One included file, copied into the document. */
struct hil_origin {
    char *file;                   /**< the path as the include step gave it */
    int parent;                   /**< origin that included it; -1: the scenario file */
    int use_line;                 /**< line of the include step in the parent */
    int first, last;              /**< node ids (1-based, inclusive) copied from it */
};

/** Where the nodes of a document came from. */
struct hil_origins {
    const char *file;             /**< the scenario file (not owned) */
    struct hil_origin *v;
    int n;
};

/**
 * Replace every `- include: FILE` item of the `steps:` list of @p doc's
 * root mapping (a scenario read from @p o->file) by the steps of FILE,
 * recursively. Node pointers into @p doc are invalid afterwards (its node
 * array grows); node ids stay valid.
 * @param err receives `file:line: what is wrong` plus the `(included from
 *            ...)` chain: FILE unreadable or not one non-empty list, a
 *            YAML error in it, a cycle, more than HIL_INCLUDE_MAX_DEPTH
 *            levels or HIL_INCLUDE_MAX_NODES nodes
 * @return 0; FOTA_EINVAL.
 */
int hil_include_splice(struct hil_origins *o, yaml_document_t *doc, char *err, size_t errlen);

/** @return the origin index of node @p n of @p doc, -1: the scenario file. */
int hil_origin_of(const struct hil_origins *o, const yaml_document_t *doc, const yaml_node_t *n);

/**
 * Write `<file of origin idx>:<line>: <fmt...>` and, for an included
 * origin, ` (included from F:L[, from F2:L2...])` into @p err.
 */
void hil_origin_vfail(const struct hil_origins *o, int idx, int line, char *err, size_t errlen,
                      const char *fmt, va_list ap);

/**
 * The location of line @p line of origin @p idx as `file:line` followed by
 * the include chain (malloc'ed), or NULL for the scenario file itself.
 */
char *hil_origin_where(const struct hil_origins *o, int idx, int line);

void hil_origins_free(struct hil_origins *o);

#endif /* HIL_INCLUDE_H */
