/* Names of the network fault kinds (netfault_spec.h). */
#include <errno.h>
#include <string.h>
#include "scenario/netfault_spec.h"

static const char *const hil_nf_names[] = {
    [HIL_NF_NONE] = "none",   [HIL_NF_RESET] = "reset", [HIL_NF_TRUNCATE] = "truncate",
    [HIL_NF_STALL] = "stall", [HIL_NF_DRIP] = "drip",   [HIL_NF_HTTP_503] = "http_503",
    [HIL_NF_DISCONNECT] = "disconnect", [HIL_NF_ETAG_CHANGE] = "etag_change",
};

int hil_nf_kind_parse(const char *s, enum hil_nf_kind *out)
{
    for (size_t i = 0; i < sizeof(hil_nf_names) / sizeof(hil_nf_names[0]); i++) {
        if (strcmp(s, hil_nf_names[i]) == 0) {
            *out = (enum hil_nf_kind)i;
            return 0;
        }
    }
    return EINVAL;
}

const char *hil_nf_kind_name(enum hil_nf_kind k)
{
    return (unsigned)k < sizeof(hil_nf_names) / sizeof(hil_nf_names[0]) ? hil_nf_names[k] : "?";
}
