/* `fotactl update --json PATH` (fotactl_json.h), built with jansson. */
#include "fotactl_json.h"

#include <jansson.h>
#include <stdio.h>
#include "fota/errors.h"

static const char *result_name(const struct fotactl_outcome *o)
{
    if (!o->sent) {
        return "refused";
    }
    return o->rc == 0 ? "ok" : "failed";
}

/* The counters of fh_update_stats; all zero when nothing was sent. */
static int add_stats(json_t *j, const struct fh_update_stats *s)
{
    int rc = 0;
    rc |= json_object_set_new(j, "frames_sent", json_integer(s->frames_sent));
    rc |= json_object_set_new(j, "retransmits", json_integer(s->retransmits));
    rc |= json_object_set_new(j, "nacks", json_integer(s->nacks));
    rc |= json_object_set_new(j, "timeouts", json_integer(s->timeouts));
    rc |= json_object_set_new(j, "bad_frames", json_integer(s->bad_frames));
    rc |= json_object_set_new(j, "stray", json_integer(s->stray));
    rc |= json_object_set_new(j, "bytes_sent", json_integer(s->bytes_sent));
    rc |= json_object_set_new(j, "bytes_received", json_integer(s->bytes_received));
    rc |= json_object_set_new(j, "data_bytes", json_integer(s->data_bytes));
    rc |= json_object_set_new(j, "fresh", json_boolean(s->fresh != 0));
    rc |= json_object_set_new(j, "resumed_at", s->fresh != 0 || s->begun == 0 ? json_null() :
                              json_integer(s->resume_offset));
    rc |= json_object_set_new(j, "restarts", json_integer(s->restarts));
    return rc;
}

int fotactl_json_write(const char *path, const struct fotactl_outcome *o)
{
    static const struct fh_update_stats none;
    json_t *j = json_object();
    if (j == NULL) {
        return FOTA_ENOMEM;
    }
    int rc = 0;
    rc |= json_object_set_new(j, "exit", json_integer(o->exit_code));
    rc |= json_object_set_new(j, "result", json_string(result_name(o)));
    rc |= json_object_set_new(j, "error", o->rc != 0 ? json_string(fota_strerror(o->rc)) : json_null());
    rc |= json_object_set_new(j, "message", json_string(o->message != NULL ? o->message : ""));
    rc |= json_object_set_new(j, "image", json_string(o->image != NULL ? o->image : ""));
    rc |= json_object_set_new(j, "image_bytes", json_integer(o->image_bytes));
    rc |= json_object_set_new(j, "forced_short", json_boolean(o->forced_short != 0));
    rc |= add_stats(j, o->res != NULL ? &o->res->stats : &none);
    rc |= json_object_set_new(j, "duration_ms", json_integer(o->duration_ms));
    if (rc != 0) {
        json_decref(j);
        return FOTA_ENOMEM;
    }
    rc = json_dump_file(j, path, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 ? 0 : FOTA_EIO;
    json_decref(j);
    return rc;
}
