/* The bridge's status as JSON (bridge_linux.h fb_status_json(), docs/BRIDGE.md), built with jansson. */
#include <jansson.h>
#include "bridge_linux.h"

static json_t *status_str_or_null(const char *s)
{
    return s[0] == '\0' ? json_null() : json_string(s);
}

char *fb_status_json(const struct fb_status *s)
{
    json_t *o = json_object();
    char *text = NULL;

    if (o == NULL) {
        return NULL;
    }
    if (json_object_set_new(o, "state", json_string(fb_state_name(s->state))) == 0 &&
        json_object_set_new(o, "progress", json_integer((json_int_t)s->progress)) == 0 &&
        json_object_set_new(o, "version", status_str_or_null(s->version)) == 0 &&
        json_object_set_new(o, "etag", status_str_or_null(s->etag)) == 0 &&
        json_object_set_new(o, "error", status_str_or_null(s->error)) == 0) {
        text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(o);
    return text;
}
