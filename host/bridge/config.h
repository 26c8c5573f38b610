/**
 * @file config.h
 * @brief fota-bridge's settings: one table of keys used both by the YAML
 * config file (a flat mapping, `url: http://...`) and by the command line
 * (`--url http://...`); the command line wins. docs/BRIDGE.md lists them.
 */
#ifndef FOTA_BRIDGE_CONFIG_H
#define FOTA_BRIDGE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include "fotahost/common.h"

/** Longest string setting, bytes including the NUL. */
#define FBC_STR_MAX 512u

struct fbc {
    char url[FBC_STR_MAX];
    char state_dir[FBC_STR_MAX];
    char mqtt_host[FBC_STR_MAX];
    uint32_t mqtt_port;             /**< 0: no MQTT */
    char status_topic[FBC_STR_MAX];
    char trigger_topic[FBC_STR_MAX]; /**< "": no trigger */
    char client_id[FBC_STR_MAX];
    char device[FBC_STR_MAX];       /**< fh_link_open() spec */
    char via[FBC_STR_MAX];          /**< proto, an3155, an4286 */
    char bootctl[FBC_STR_MAX];      /**< fh_bootctl_open() spec */
    uint32_t baud;
    uint32_t chunk;                 /**< bytes */
    uint32_t max_size;              /**< bytes */
    uint32_t poll_ms;               /**< 0: triggers only */
    uint32_t backoff_min_ms;
    uint32_t backoff_max_ms;
    uint32_t retries;
    uint32_t stall_ms;              /**< HTTP stall timeout */
    uint32_t once;                  /**< 1: one check, then exit with its result */
};

/** Fill @p c with the defaults (docs/BRIDGE.md). */
void fbc_defaults(struct fbc *c);

/**
 * Apply one setting. @p where is "file:line" or "--key" for messages.
 * @return 0; FOTA_EINVAL ("where: unknown key 'x'", "where: 'x' is not a number in 0..N").
 */
int fbc_set(struct fbc *c, const char *key, const char *val, const char *where, struct fh_msg *m);

/**
 * Read a YAML config file: one flat mapping of scalars (libyaml).
 * @return 0; FOTA_EIO (cannot open); FOTA_EINVAL ("file:line: what is wrong").
 */
int fbc_load_yaml(struct fbc *c, const char *path, struct fh_msg *m);

/** Check the combination (url and state_dir set, a device, a known via). @return 0; FOTA_EINVAL. */
int fbc_check(const struct fbc *c, struct fh_msg *m);

/** Print the keys with their meaning, one a line, as `--key VALUE` help. */
void fbc_usage(void *file);

#endif
