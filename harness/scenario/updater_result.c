/* fotactl's JSON result and the `updater:` assertions (updater_result.h). */
#include "scenario/updater_result.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "fota/errors.h"

static int get_u32(json_t *j, const char *key, uint32_t *out, char *why, size_t whylen)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (json_int_t)UINT32_MAX) {
        snprintf(why, whylen, "field '%s' is missing or not a non-negative integer", key);
        return FOTA_EPROTO;
    }
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

static int read_fields(json_t *j, struct hil_updater_result *r, char *why, size_t whylen)
{
    if (!json_is_object(j) || get_u32(j, "exit", &r->exit_code, why, whylen) != 0 ||
        get_u32(j, "frames_sent", &r->frames_sent, why, whylen) != 0 ||
        get_u32(j, "retransmits", &r->retransmits, why, whylen) != 0 ||
        get_u32(j, "nacks", &r->nacks, why, whylen) != 0) {
        if (!json_is_object(j)) {
            snprintf(why, whylen, "not a JSON object");
        }
        return FOTA_EPROTO;
    }
    json_t *fresh = json_object_get(j, "fresh");
    json_t *res = json_object_get(j, "resumed_at");
    if (!json_is_boolean(fresh) || (!json_is_null(res) && !json_is_integer(res))) {
        snprintf(why, whylen, "field 'fresh' or 'resumed_at' is missing or of the wrong type");
        return FOTA_EPROTO;
    }
    r->fresh = json_is_true(fresh);
    r->resumed = json_is_integer(res);
    return r->resumed ? get_u32(j, "resumed_at", &r->resumed_at, why, whylen) : 0;
}

int hil_updater_result_read(const char *path, struct hil_updater_result *r, char *why, size_t whylen)
{
    memset(r, 0, sizeof(*r));
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (j == NULL) {
        bool missing = e.position == 0 && strstr(e.text, "unable to open") != NULL;
        snprintf(why, whylen, "%s: %s", path, missing ? "fotactl wrote no JSON result" : e.text);
        return missing ? FOTA_ENOENT : FOTA_EPROTO;
    }
    char tmp[200];
    int rc = read_fields(j, r, tmp, sizeof(tmp));
    if (rc != 0) {
        snprintf(why, whylen, "%s: %s", path, tmp);
    }
    json_decref(j);
    return rc;
}

/* Append "NAME V, expected ..." to @p msg when @p v is outside @p rg. */
static void check_range(const char *name, const struct hil_range *rg, uint64_t v, char *msg, size_t msglen)
{
    size_t u = strlen(msg);
    bool lo = rg->has_min && v < rg->min;
    bool hi = rg->has_max && v > rg->max;
    if (!lo && !hi) {
        return;
    }
    if (rg->has_min && rg->has_max && rg->min == rg->max) {
        snprintf(msg + u, msglen - u, "%s%s %" PRIu64 ", expected %u", u ? "; " : "", name, v, rg->min);
    } else {
        snprintf(msg + u, msglen - u, "%s%s %" PRIu64 ", expected at %s %u", u ? "; " : "", name, v,
                 lo ? "least" : "most", lo ? rg->min : rg->max);
    }
}

static void check_resume(const struct hil_updater_expect *e, const struct hil_updater_result *r, char *msg,
                         size_t msglen)
{
    size_t u = strlen(msg);
    if (e->resumed_fresh && !r->fresh) {
        snprintf(msg + u, msglen - u, "%supdater resumed_at: expected a fresh transfer, got %s", u ? "; " : "",
                 r->resumed ? "a resume" : "no BEGIN answered");
    } else if (!e->resumed_fresh && (!r->resumed || r->resumed_at != e->resumed_at)) {
        char got[64];
        if (r->resumed) {
            snprintf(got, sizeof(got), "a resume at %" PRIu32, r->resumed_at);
        } else {
            snprintf(got, sizeof(got), "%s", r->fresh ? "a fresh transfer" : "no BEGIN answered");
        }
        snprintf(msg + u, msglen - u, "%supdater resumed_at: expected a resume at %u, got %s", u ? "; " : "",
                 e->resumed_at, got);
    }
}

int hil_updater_check(const struct hil_updater_expect *e, const struct hil_updater_result *r, uint64_t duration_ms,
                      char *msg, size_t msglen)
{
    msg[0] = '\0';
    if (e->has_exit && r->exit_code != e->exit_code) {
        snprintf(msg, msglen, "updater exit %" PRIu32 ", expected %u", r->exit_code, e->exit_code);
    }
    check_range("updater retransmits", &e->retransmits, r->retransmits, msg, msglen);
    check_range("updater nacks", &e->nacks, r->nacks, msg, msglen);
    check_range("updater duration_ms (device time)", &e->duration_ms, duration_ms, msg, msglen);
    if (e->has_resumed_at) {
        check_resume(e, r, msg, msglen);
    }
    return msg[0] != '\0' ? FOTA_EPROTO : 0;
}
