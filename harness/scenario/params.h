/**
 * @file params.h
 * @brief `params:` matrices (docs/SCENARIOS.md "Reuse"): one scenario
 * document expanded into a case per combination of parameter values.
 *
 *   params:
 *     link: [uart, spi]
 *     from: [1.0.0, 2.0.0]
 *
 * gives four cases, the last parameter varying fastest, with ids
 * `<id>@link=uart,from=1.0.0`, `<id>@link=uart,from=2.0.0`, ... (names and
 * values in the order written). `${name}` in any string of the document
 * is replaced by the case's value (`$${` writes a literal `${`); the
 * `{target}` slot placeholder of image paths has no `$` and is left alone,
 * and a parameter may not be named `target`. A parameter named `link`
 * sets the scenario's link (uart|spi). `params:` and `sweep:` do not
 * combine (a sweep case id has its own `@`).
 */
#ifndef HIL_PARAMS_H
#define HIL_PARAMS_H

#include <stddef.h>
#include <yaml.h>

#include "scenario/include.h"

#define HIL_PARAMS_MAX       8u    /**< parameters per scenario */
#define HIL_PARAMS_MAX_CASES 64u   /**< cases per scenario (each runs the device) */
#define HIL_PARAMS_MAX_VALUE 32u   /**< bytes of one value (it goes into the case id) */

struct hil_param {
    char *name;
    char **values;
    int nvalues;
};

/** The parameters of a document and the original text of every string using them. */
struct hil_params {
    struct hil_param v[HIL_PARAMS_MAX];
    int n;                        /**< 0: no `params:` (one case, id unchanged) */
    int ncases;                   /**< product of the value counts (1 without params) */
    char **orig;                  /**< per node id - 1: the text before substitution, or NULL */
    int nnodes;
};

/**
 * Read the `params:` of @p doc's root mapping (if any) and check every
 * `${name}` of the document against it.
 * @param err receives `file:line: what is wrong` (with the include chain
 *            for a node from an included file): params not a mapping, a
 *            bad or reserved name, a value list empty or not a list of
 *            scalars, a value outside [A-Za-z0-9._-] or repeated, `link`
 *            not uart|spi or also given as a key, with `sweep:`, more
 *            than HIL_PARAMS_MAX_CASES cases, an unknown or unterminated
 *            placeholder
 * @return 0; FOTA_EINVAL; FOTA_ENOMEM.
 */
int hil_params_parse(struct hil_params *p, const struct hil_origins *o, yaml_document_t *doc, char *err,
                     size_t errlen);

/**
 * Substitute the values of case @p k (0 .. ncases-1) into @p doc and write
 * its label (`link=spi,from=2.0.0`; "" without params) into @p label.
 * @return 0; FOTA_ENOMEM.
 */
int hil_params_apply(const struct hil_params *p, yaml_document_t *doc, int k, char *label, size_t len);

/** The value of parameter @p name in case @p k, or NULL if there is no such parameter. */
const char *hil_params_value(const struct hil_params *p, int k, const char *name);

void hil_params_free(struct hil_params *p);

#endif /* HIL_PARAMS_H */
