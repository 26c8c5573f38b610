/*
 * expect_mqtt (bridge_env.h hil_benv_mqtt_check): the bridge's status
 * messages (docs/BRIDGE.md "Status messages", JSON via jansson) against
 * the step's state, version, order and absent state.
 */
#include "run/bridge_env.h"

#include <stdio.h>
#include <string.h>
#include <jansson.h>

/* One message's state, version and error ("" when null or missing). */
static void status_of(const char *text, char *state, size_t slen, char *ver, size_t vlen, char *error, size_t elen)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    const char *s = j != NULL ? json_string_value(json_object_get(j, "state")) : NULL;
    const char *v = j != NULL ? json_string_value(json_object_get(j, "version")) : NULL;
    const char *e = j != NULL ? json_string_value(json_object_get(j, "error")) : NULL;
    snprintf(state, slen, "%s", s != NULL ? s : "(not JSON with a state)");
    snprintf(ver, vlen, "%s", v != NULL ? v : "");
    snprintf(error, elen, "%s", e != NULL ? e : "");
    json_decref(j);
}

struct seen {
    char state[32];
    char ver[32];
    bool absent_seen;
    int matched;                  /* states of the step matched so far, in order */
};

/* Append a state to @p got (repeats collapsed; a failure with its error)
 * and advance the order check. */
static void seen_add(struct seen *sn, const struct hil_expect_mqtt *m, const char *state, const char *ver,
                     const char *error, char *got, size_t gotlen)
{
    if (strcmp(state, sn->state) == 0 && strcmp(ver, sn->ver) == 0) {
        return;
    }
    size_t u = strlen(got);
    snprintf(got + u, u < gotlen ? gotlen - u : 0, "%s%s%s%s%s%s%s%s", u ? " " : "", state, ver[0] ? "(" : "", ver,
             ver[0] ? ")" : "", error[0] ? " [" : "", error, error[0] ? "]" : "");
    if (strcmp(state, sn->state) != 0 && sn->matched < m->nstates && strcmp(state, m->states[sn->matched]) == 0) {
        sn->matched++;
    }
    if (m->absent != NULL && strcmp(state, m->absent) == 0) {
        sn->absent_seen = true;
    }
    snprintf(sn->state, sizeof(sn->state), "%s", state);
    snprintf(sn->ver, sizeof(sn->ver), "%s", ver);
}

enum hil_mqtt_verdict hil_benv_mqtt_check(struct hil_benv *e, const struct hil_expect_mqtt *m, char *got,
                                          size_t gotlen)
{
    struct seen sn = { .matched = 0 };
    uint32_t n = hil_mqw_count(&e->watch);
    uint32_t kept = n < HIL_MQW_MAX ? n : HIL_MQW_MAX;
    char newest[32] = "", newest_ver[32] = "";
    got[0] = '\0';
    for (uint32_t i = 0; i < kept; i++) {
        char text[HIL_MQW_LEN], state[32], ver[32], error[160];
        if (hil_mqw_get(&e->watch, i, text, sizeof(text)) != 0) {
            continue;
        }
        status_of(text, state, sizeof(state), ver, sizeof(ver), error, sizeof(error));
        snprintf(newest, sizeof(newest), "%s", state);
        snprintf(newest_ver, sizeof(newest_ver), "%s", ver);
        if (i >= e->cursor) {
            seen_add(&sn, m, state, ver, error, got, gotlen);
        }
    }
    if (got[0] == '\0') {
        snprintf(got, gotlen, "(no status message%s; the newest: %s%s%s%s)", e->cursor > 0 ?
                 " since the last expect_mqtt" : "", newest[0] ? newest : "none", newest_ver[0] ? "(" : "",
                 newest_ver, newest_ver[0] ? ")" : "");
    }
    if (sn.absent_seen) {
        return HIL_MQTT_BAD;
    }
    char want[32] = "";
    if (m->has_version) {
        hil_format_version(m->version, want, sizeof(want));
    }
    if (strcmp(newest, m->state) != 0 || (m->has_version && strcmp(newest_ver, want) != 0)) {
        return HIL_MQTT_WAIT;
    }
    if (sn.matched < m->nstates) {
        return HIL_MQTT_BAD;
    }
    e->cursor = kept;
    return HIL_MQTT_OK;
}
