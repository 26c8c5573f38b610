/* fota-bridge settings (config.h): one key table for YAML and the command line. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "config.h"

struct fbc_key {
    const char *name;
    size_t off;
    uint32_t max;           /* 0: a string, else the largest number */
    const char *help;
};

#define FBC_S(f, h) { #f, offsetof(struct fbc, f), 0, h }
#define FBC_N(f, mx, h) { #f, offsetof(struct fbc, f), mx, h }

static const struct fbc_key fbc_keys[] = {
    FBC_S(url, "image URL to watch (http:// or https://)"),
    FBC_S(state_dir, "directory for the staged image and the persisted state"),
    FBC_S(mqtt_host, "MQTT broker host (default 127.0.0.1)"),
    FBC_N(mqtt_port, 65535u, "MQTT broker port; 0 = no MQTT (default 0)"),
    FBC_S(status_topic, "topic for the retained JSON status (default fota/status)"),
    FBC_S(trigger_topic, "topic whose messages ask for a check now (default fota/trigger; '' = none)"),
    FBC_S(client_id, "MQTT client id (default fota-bridge)"),
    FBC_S(device, "device link: fh_link_open() spec (tcp:H:P, unix:PATH, /dev/ttyX, spi-emu:PATH, spidev:DEV)"),
    FBC_S(via, "delivery: proto (the fota-hil bootloader), an3155, an4286 or an4221 (ST ROM) (default proto)"),
    FBC_S(bootctl, "BOOT0/NRST control for the ROM paths: unix:PATH or none (default none)"),
    FBC_N(baud, 4000000u, "serial speed, bits/s (default 115200)"),
    FBC_N(chunk, 16777216u, "bytes per ranged GET (default 65536)"),
    FBC_N(max_size, 16777216u, "largest image accepted, bytes (default: a slot)"),
    FBC_N(poll_ms, 86400000u, "ms between polls; 0 = only on a trigger (default 60000)"),
    FBC_N(backoff_min_ms, 86400000u, "first wait after a 5xx or network error, ms (default 1000)"),
    FBC_N(backoff_max_ms, 86400000u, "cap of the doubling backoff, ms (default 300000)"),
    FBC_N(retries, 1000u, "re-requests after a dropped download within one check (default 5)"),
    FBC_N(stall_ms, 3600000u, "abort a GET with no byte for this long, ms (default 30000)"),
    FBC_N(once, 1u, "1 = run one check and exit with its result (default 0)"),
};

void fbc_defaults(struct fbc *c)
{
    memset(c, 0, sizeof(*c));
    strcpy(c->mqtt_host, "127.0.0.1");
    strcpy(c->status_topic, "fota/status");
    strcpy(c->trigger_topic, "fota/trigger");
    strcpy(c->client_id, "fota-bridge");
    strcpy(c->via, "proto");
    strcpy(c->bootctl, "none");
    c->baud = 115200u;
    c->chunk = 65536u;
    c->max_size = 0; /* fbc_check(): a slot */
    c->poll_ms = 60000u;
    c->backoff_min_ms = 1000u;
    c->backoff_max_ms = 300000u;
    c->retries = 5u;
    c->stall_ms = 30000u;
}

int fbc_set(struct fbc *c, const char *key, const char *val, const char *where, struct fh_msg *m)
{
    size_t i;

    for (i = 0; i < sizeof(fbc_keys) / sizeof(fbc_keys[0]); i++) {
        const struct fbc_key *k = &fbc_keys[i];
        char *end = NULL;
        unsigned long long v;

        if (strcmp(k->name, key) != 0) {
            continue;
        }
        if (k->max == 0) {
            if (strlen(val) >= FBC_STR_MAX) {
                return fh_msg_set(m, FOTA_EINVAL, "%s: %s is longer than %u bytes", where, key, FBC_STR_MAX - 1u);
            }
            strcpy((char *)c + k->off, val);
            return 0;
        }
        errno = 0;
        v = strtoull(val, &end, 10);
        if (val[0] < '0' || val[0] > '9' || errno != 0 || *end != '\0' || v > k->max) {
            return fh_msg_set(m, FOTA_EINVAL, "%s: %s '%s' is not a number in 0..%u", where, key, val, k->max);
        }
        *(uint32_t *)(void *)((char *)c + k->off) = (uint32_t)v;
        return 0;
    }
    return fh_msg_set(m, FOTA_EINVAL, "%s: unknown key '%s'", where, key);
}

/* Next event; a parser error becomes "file:line: problem". */
static int fbc_event(yaml_parser_t *p, yaml_event_t *e, const char *path, struct fh_msg *m)
{
    if (!yaml_parser_parse(p, e)) {
        return fh_msg_set(m, FOTA_EINVAL, "%s:%zu: %s", path, p->problem_mark.line + 1u,
                          p->problem ? p->problem : "YAML syntax error");
    }
    return 0;
}

static int fbc_mapping(struct fbc *c, yaml_parser_t *p, const char *path, struct fh_msg *m)
{
    yaml_event_t k, v;
    char where[600], key[128];
    int rc = 0;

    while (rc == 0 && (rc = fbc_event(p, &k, path, m)) == 0) {
        if (k.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&k);
            return 0;
        }
        snprintf(where, sizeof(where), "%s:%zu", path, k.start_mark.line + 1u);
        if (k.type != YAML_SCALAR_EVENT) {
            yaml_event_delete(&k);
            return fh_msg_set(m, FOTA_EINVAL, "%s: expected a key", where);
        }
        snprintf(key, sizeof(key), "%s", (const char *)k.data.scalar.value);
        yaml_event_delete(&k);
        rc = fbc_event(p, &v, path, m);
        if (rc != 0) {
            return rc;
        }
        rc = v.type != YAML_SCALAR_EVENT
                 ? fh_msg_set(m, FOTA_EINVAL, "%s: %s: expected a single value", where, key)
                 : fbc_set(c, key, (const char *)v.data.scalar.value, where, m);
        yaml_event_delete(&v);
    }
    return rc;
}

/* Skip stream/document starts, then read the one mapping. */
static int fbc_document(struct fbc *c, yaml_parser_t *p, const char *path, struct fh_msg *m)
{
    yaml_event_t e;
    int rc;

    for (;;) {
        rc = fbc_event(p, &e, path, m);
        if (rc != 0) {
            return rc;
        }
        if (e.type == YAML_STREAM_START_EVENT || e.type == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&e);
            continue;
        }
        if (e.type == YAML_MAPPING_START_EVENT) {
            yaml_event_delete(&e);
            return fbc_mapping(c, p, path, m);
        }
        rc = fh_msg_set(m, FOTA_EINVAL, "%s:%zu: expected a mapping of settings", path, e.start_mark.line + 1u);
        yaml_event_delete(&e);
        return rc;
    }
}

int fbc_load_yaml(struct fbc *c, const char *path, struct fh_msg *m)
{
    yaml_parser_t p;
    FILE *f = fopen(path, "r");
    int rc;

    if (f == NULL) {
        return fh_msg_set(m, FOTA_EIO, "%s: %s", path, strerror(errno));
    }
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    rc = fbc_document(c, &p, path, m);
    yaml_parser_delete(&p);
    fclose(f);
    return rc;
}

int fbc_check(const struct fbc *c, struct fh_msg *m)
{
    if (c->url[0] == '\0') {
        return fh_msg_set(m, FOTA_EINVAL, "url is required");
    }
    if (c->state_dir[0] == '\0') {
        return fh_msg_set(m, FOTA_EINVAL, "state_dir is required");
    }
    if (c->device[0] == '\0') {
        return fh_msg_set(m, FOTA_EINVAL, "device is required");
    }
    if (strcmp(c->via, "proto") != 0 && strcmp(c->via, "an3155") != 0 && strcmp(c->via, "an4286") != 0 &&
        strcmp(c->via, "an4221") != 0) {
        return fh_msg_set(m, FOTA_EINVAL, "via '%s': expected proto, an3155, an4286 or an4221", c->via);
    }
    if (c->chunk == 0) {
        return fh_msg_set(m, FOTA_EINVAL, "chunk must be at least 1");
    }
    if (c->poll_ms == 0 && (c->mqtt_port == 0 || c->trigger_topic[0] == '\0') && c->once == 0) {
        return fh_msg_set(m, FOTA_EINVAL, "poll_ms 0 needs an MQTT trigger (mqtt_port, trigger_topic)");
    }
    return 0;
}

void fbc_usage(void *file)
{
    size_t i;

    for (i = 0; i < sizeof(fbc_keys) / sizeof(fbc_keys[0]); i++) {
        fprintf(file, "  --%-16s %s\n", fbc_keys[i].name, fbc_keys[i].help);
    }
}
