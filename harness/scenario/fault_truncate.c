/* The truncate fault's syntax (fault_truncate.h). */
#include "scenario/fault_truncate.h"

#include <string.h>

#include "fota/errors.h"
#include "fota/proto.h"

static int parse_end(struct pctx *c, struct kv *k, struct hil_fault *f)
{
    const char *v = k != NULL ? hil_sp_scalar(k->val) : "false";
    if (v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)) {
        f->send_end = strcmp(v, "true") == 0;
        return 0;
    }
    return hil_sp_fail(c, k->val, "truncate end must be true or false, got '%s'", v != NULL ? v : "(not a scalar)");
}

int hil_parse_truncate(struct pctx *c, yaml_node_t *n, struct kv *kv, int cnt, struct hil_fault *f)
{
    struct kv *frames = hil_sp_find(kv, cnt, "after_frames");
    struct kv *bytes = hil_sp_find(kv, cnt, "after_bytes");
    if ((frames == NULL) == (bytes == NULL)) {
        return hil_sp_fail(c, n, "truncate needs exactly one of after_frames, after_bytes");
    }
    f->dir = HIL_DIR_TO_TARGET;
    f->frame_type = PROTO_T_DATA;
    if (frames != NULL) {
        uint32_t k = 0;
        if (hil_sp_u32(c, frames->val, "truncate after_frames", 0, &k) != 0) {
            return FOTA_EINVAL;
        }
        if (k == UINT32_MAX) {
            return hil_sp_fail(c, frames->val, "truncate after_frames is too large");
        }
        f->frame = k + 1;
    } else {
        f->by_bytes = true;
        if (hil_sp_u32(c, bytes->val, "truncate after_bytes", 1, &f->after_bytes) != 0) {
            return FOTA_EINVAL;
        }
    }
    return parse_end(c, hil_sp_find(kv, cnt, "end"), f);
}
