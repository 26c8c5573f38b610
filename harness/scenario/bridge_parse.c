/*
 * The bridge steps' syntax (bridge_parse.h, docs/SCENARIOS.md "Bridge
 * steps"): servers, publish_image, mqtt_trigger, bridge, expect_mqtt.
 */
#include "scenario/bridge_parse.h"

#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

static const char *const bridge_states[] = { "idle", "downloading", "verifying", "delivering", "done", "failed" };

bool hil_bridge_state_valid(const char *s)
{
    for (size_t i = 0; s != NULL && i < sizeof(bridge_states) / sizeof(bridge_states[0]); i++) {
        if (strcmp(s, bridge_states[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int get_state(struct pctx *c, yaml_node_t *n, const char *what, char **out)
{
    if (hil_sp_string(c, n, what, out) != 0) {
        return FOTA_EINVAL;
    }
    if (!hil_bridge_state_valid(*out)) {
        return hil_sp_fail(c, n, "%s: unknown bridge state '%s' (expected idle, downloading, verifying, "
                           "delivering, done or failed)", what, *out);
    }
    return 0;
}

/* publish_image: PATH, or {image: PATH, name: NAME}. */
static int parse_publish(struct pctx *c, yaml_node_t *n, yaml_node_t *val, struct hil_publish *p)
{
    if (hil_sp_scalar(val) != NULL) {
        return hil_sp_string(c, val, "publish_image", &p->image);
    }
    if (!hil_sp_is_mapping(val)) {
        return hil_sp_fail(c, val != NULL ? val : n, "publish_image needs an image path or {image, name}");
    }
    static const char *const keys[] = { "image", "name", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = hil_sp_pairs(c, val, "publish_image", keys, kv);
    struct kv *k = cnt < 0 ? NULL : hil_sp_find(kv, cnt, "image");
    if (cnt >= 0 && k == NULL) {
        return hil_sp_fail(c, val, "publish_image needs 'image' (the file to publish)");
    }
    if (k == NULL || hil_sp_string(c, k->val, "publish_image image", &p->image) != 0) {
        return FOTA_EINVAL;
    }
    k = hil_sp_find(kv, cnt, "name");
    if (k != NULL && hil_sp_string(c, k->val, "publish_image name", &p->name) != 0) {
        return FOTA_EINVAL;
    }
    if (p->name != NULL && (p->name[0] == '\0' || p->name[0] == '.' || strchr(p->name, '/') != NULL)) {
        return hil_sp_fail(c, k->val, "publish_image name '%s' must be a plain file name (no '/', not hidden)",
                           p->name);
    }
    return 0;
}

/* The numbers of a netfault: conn, after, drip_bytes, drip_ms, count. */
static int parse_nf_numbers(struct pctx *c, struct kv *kv, int cnt, struct hil_nf_fault *f)
{
    static const char *const names[] = { "conn", "after", "drip_bytes", "drip_ms", "count" };
    uint32_t *dst[] = { &f->conn, &f->after, &f->drip_bytes, &f->drip_ms, &f->count };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct kv *k = hil_sp_find(kv, cnt, names[i]);
        if (k != NULL && hil_sp_u32(c, k->val, names[i], 0, dst[i]) != 0) {
            return FOTA_EINVAL;
        }
    }
    return 0;
}

/* netfault: {on: http|mqtt, kind, conn, after, drip_bytes, drip_ms, count, image}. */
static int parse_netfault(struct pctx *c, yaml_node_t *n, struct hil_bridge_step *b)
{
    static const char *const keys[] = { "on", "kind", "conn", "after", "drip_bytes", "drip_ms", "count",
                                        "image", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = hil_sp_pairs(c, n, "netfault", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    b->has_netfault = true;
    b->nf_line = hil_sp_line(n);
    struct kv *k = hil_sp_find(kv, cnt, "on");
    const char *on = k != NULL ? hil_sp_scalar(k->val) : "http";
    if (on == NULL || (strcmp(on, "http") != 0 && strcmp(on, "mqtt") != 0)) {
        return hil_sp_fail(c, k->val, "netfault on: must be http or mqtt");
    }
    b->nf_on = strcmp(on, "mqtt") == 0 ? HIL_NF_ON_MQTT : HIL_NF_ON_HTTP;
    k = hil_sp_find(kv, cnt, "kind");
    const char *kind = k != NULL ? hil_sp_scalar(k->val) : NULL;
    if (kind == NULL || hil_nf_kind_parse(kind, &b->nf.kind) != 0 || b->nf.kind == HIL_NF_NONE) {
        return hil_sp_fail(c, k != NULL ? k->val : n, "netfault needs 'kind': one of " HIL_NF_KIND_LIST);
    }
    if (parse_nf_numbers(c, kv, cnt, &b->nf) != 0) {
        return FOTA_EINVAL;
    }
    if (b->nf.kind == HIL_NF_DRIP && b->nf.drip_bytes == 0) {
        return hil_sp_fail(c, n, "netfault drip needs drip_bytes >= 1 (and drip_ms)");
    }
    k = hil_sp_find(kv, cnt, "image");
    if ((k != NULL) != (b->nf.kind == HIL_NF_ETAG_CHANGE)) {
        return hil_sp_fail(c, k != NULL ? k->knode : n, "netfault 'image' goes with kind etag_change (the image "
                           "published before connection 'conn'), and only with it");
    }
    if (b->nf.kind == HIL_NF_ETAG_CHANGE && (b->nf.conn == 0 || b->nf_on != HIL_NF_ON_HTTP)) {
        return hil_sp_fail(c, n, "netfault etag_change needs on: http and conn >= 1");
    }
    return k != NULL ? hil_sp_string(c, k->val, "netfault image", &b->nf_image) : 0;
}

static int parse_action(struct pctx *c, yaml_node_t *n, struct hil_bridge_step *b)
{
    static const char *const names[] = { "start", "stop", "kill" };
    const char *v = hil_sp_scalar(n);
    for (size_t i = 0; v != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(v, names[i]) == 0) {
            b->action = (enum hil_bridge_action)(HIL_BRIDGE_START + (int)i);
            return 0;
        }
    }
    return hil_sp_fail(c, n, "bridge action must be start, stop or kill, got '%s'", v != NULL ? v : "(none)");
}

static int parse_via(struct pctx *c, yaml_node_t *n, struct hil_bridge_step *b)
{
    static const char *const names[] = { "proto", "an3155", "an4286", "an4221" };
    const char *v = hil_sp_scalar(n);
    for (size_t i = 0; v != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(v, names[i]) == 0) {
            b->via = (enum hil_update_proto)i;
            return 0;
        }
    }
    return hil_sp_fail(c, n, "bridge via must be proto, an3155, an4286 or an4221, got '%s'", v != NULL ? v : "(none)");
}

/* The keys of `bridge: {action: start, ...}`. */
static int parse_bridge_start(struct pctx *c, struct kv *kv, int cnt, struct hil_step *st)
{
    struct hil_bridge_step *b = &st->bridge;
    struct kv *k = hil_sp_find(kv, cnt, "via");
    if (k != NULL && parse_via(c, k->val, b) != 0) {
        return FOTA_EINVAL;
    }
    k = hil_sp_find(kv, cnt, "args");
    if (k != NULL) {
        yaml_node_item_t *items;
        int na = hil_sp_seq(c, k->val, "bridge args", &items);
        if (na < 0) {
            return FOTA_EINVAL;
        }
        b->args = calloc((size_t)na + 1u, sizeof(char *));
        for (int i = 0; b->args != NULL && i < na; i++, b->nargs++) {
            if (hil_sp_string(c, hil_sp_item(c, items[i]), "bridge args item", &b->args[i]) != 0) {
                return FOTA_EINVAL;
            }
        }
    }
    k = hil_sp_find(kv, cnt, "netfault");
    if (k != NULL && parse_netfault(c, k->val, b) != 0) {
        return FOTA_EINVAL;
    }
    k = hil_sp_find(kv, cnt, "timeout_ms");
    if (k != NULL && hil_sp_find(kv, cnt, "faults") == NULL) {
        return hil_sp_fail(c, k->knode, "bridge timeout_ms bounds the wait for its faults' power cut: give faults");
    }
    if (k != NULL && hil_sp_u32(c, k->val, "bridge timeout_ms", 1, &st->timeout_ms) != 0) {
        return FOTA_EINVAL;
    }
    k = hil_sp_find(kv, cnt, "faults");
    return hil_sp_step_faults(c, k != NULL ? k->val : NULL, st);
}

/* bridge: start|stop|kill, or {action, via, args, netfault, faults, timeout_ms}. */
static int parse_bridge(struct pctx *c, yaml_node_t *n, yaml_node_t *val, struct hil_step *st)
{
    st->bridge.via = HIL_PROTO_FOTA;
    st->timeout_ms = HIL_DEFAULT_UPDATE_TIMEOUT_MS;
    if (val == NULL) {
        return hil_sp_fail(c, n, "bridge needs start, stop, kill or {action, via, args, netfault, faults}");
    }
    if (!hil_sp_is_mapping(val)) {
        return parse_action(c, val, &st->bridge);
    }
    static const char *const keys[] = { "action", "via", "args", "netfault", "faults", "timeout_ms", NULL };
    struct kv kv[HIL_MAX_KEYS];
    int cnt = hil_sp_pairs(c, val, "bridge", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    struct kv *k = hil_sp_find(kv, cnt, "action");
    if (k == NULL) {
        return hil_sp_fail(c, val, "bridge needs 'action' (start, stop or kill)");
    }
    if (parse_action(c, k->val, &st->bridge) != 0) {
        return FOTA_EINVAL;
    }
    if (st->bridge.action != HIL_BRIDGE_START && cnt > 1) {
        return hil_sp_fail(c, val, "bridge %s takes no other keys (via, args, netfault and faults go with start)",
                           hil_sp_scalar(k->val));
    }
    return parse_bridge_start(c, kv, cnt, st);
}

static int parse_states(struct pctx *c, yaml_node_t *n, struct hil_expect_mqtt *m)
{
    yaml_node_item_t *items;
    int ns = hil_sp_seq(c, n, "expect_mqtt states", &items);
    if (ns < 0) {
        return FOTA_EINVAL;
    }
    if (ns > HIL_BRIDGE_MAX_STATES) {
        return hil_sp_fail(c, n, "expect_mqtt states: at most %d", HIL_BRIDGE_MAX_STATES);
    }
    for (int i = 0; i < ns; i++, m->nstates++) {
        if (get_state(c, hil_sp_item(c, items[i]), "expect_mqtt states item", &m->states[i]) != 0) {
            return FOTA_EINVAL;
        }
    }
    return 0;
}

/* expect_mqtt: {states, state, version, absent, timeout_ms}. */
static int parse_expect_mqtt(struct pctx *c, yaml_node_t *n, yaml_node_t *val, struct hil_expect_mqtt *m)
{
    static const char *const keys[] = { "states", "state", "version", "absent", "timeout_ms", NULL };
    struct kv kv[HIL_MAX_KEYS];
    m->timeout_ms = HIL_DEFAULT_UPDATE_TIMEOUT_MS;
    if (!hil_sp_is_mapping(val)) {
        return hil_sp_fail(c, val != NULL ? val : n, "expect_mqtt needs {state, states, version, absent, timeout_ms}");
    }
    int cnt = hil_sp_pairs(c, val, "expect_mqtt", keys, kv);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    struct kv *k = hil_sp_find(kv, cnt, "state");
    if (k == NULL) {
        return hil_sp_fail(c, val, "expect_mqtt needs 'state' (the state the newest status message must reach)");
    }
    if (get_state(c, k->val, "expect_mqtt state", &m->state) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = hil_sp_find(kv, cnt, "states")) != NULL && parse_states(c, k->val, m) != 0) {
        return FOTA_EINVAL;
    }
    if ((k = hil_sp_find(kv, cnt, "absent")) != NULL && get_state(c, k->val, "expect_mqtt absent", &m->absent) != 0) {
        return FOTA_EINVAL;
    }
    k = hil_sp_find(kv, cnt, "version");
    if (k != NULL) {
        const char *v = hil_sp_scalar(k->val);
        if (v == NULL || hil_parse_version(v, &m->version) != 0) {
            return hil_sp_fail(c, k->val, "expect_mqtt version must be x.y.z");
        }
        m->has_version = true;
    }
    k = hil_sp_find(kv, cnt, "timeout_ms");
    return k != NULL ? hil_sp_u32(c, k->val, "expect_mqtt timeout_ms", 1, &m->timeout_ms) : 0;
}

int hil_parse_bridge_step(struct pctx *c, yaml_node_t *n, yaml_node_t *val, struct hil_step *st)
{
    switch (st->kind) {
    case HIL_STEP_SERVERS:
        if (val != NULL && (val->type != YAML_SCALAR_NODE || hil_sp_scalar(val) != NULL)) {
            return hil_sp_fail(c, val, "servers takes no value (it starts lighttpd and mosquitto)");
        }
        return 0;
    case HIL_STEP_PUBLISH_IMAGE:
        return parse_publish(c, n, val, &st->publish);
    case HIL_STEP_MQTT_TRIGGER:
        if (val != NULL && hil_sp_scalar(val) == NULL) {
            return hil_sp_fail(c, val, "mqtt_trigger takes nothing or a payload string");
        }
        return val != NULL ? hil_sp_string(c, val, "mqtt_trigger", &st->payload) : 0;
    case HIL_STEP_BRIDGE:
        return parse_bridge(c, n, val, st);
    case HIL_STEP_EXPECT_MQTT:
        return parse_expect_mqtt(c, n, val, &st->mqtt);
    default:
        return hil_sp_fail(c, n, "not a bridge step");
    }
}

void hil_bridge_step_free(struct hil_step *st)
{
    for (int i = 0; st->bridge.args != NULL && st->bridge.args[i] != NULL; i++) {
        free(st->bridge.args[i]); /* NULL-terminated: a failed parse leaves one past nargs */
    }
    free(st->bridge.args);
    free(st->bridge.nf_image);
    free(st->publish.image);
    free(st->publish.name);
    free(st->payload);
    for (int i = 0; i < HIL_BRIDGE_MAX_STATES; i++) {
        free(st->mqtt.states[i]); /* a failed parse leaves one past nstates */
    }
    free(st->mqtt.state);
    free(st->mqtt.absent);
}
