/**
 * @file netsrv.h
 * @brief The bridge's cloud side as real servers on 127.0.0.1 with
 * ephemeral ports (issue 12 item 2): lighttpd (Debian; ETag,
 * If-None-Match, Range, If-Range natively) serving a document root, and
 * mosquitto (Debian) as the MQTT broker. Configs and logs are generated
 * in a directory the caller gives (a scenario case's work directory, a
 * test's temporary one). Used by the runner's `servers` step and by
 * tests/bridge.
 *
 * A server that cannot start is an error with the server's own words
 * (its log), never a skip. The only wait is for the server's port to
 * answer, bounded by HIL_SRV_WAIT_MS of wall time: it decides whether
 * the server started, never a scenario's verdict.
 */
#ifndef HIL_NETSRV_H
#define HIL_NETSRV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** Longest wait for a started server's port to answer. */
#define HIL_SRV_WAIT_MS 30000u

struct hil_srv {
    pid_t pid;              /**< 0: not running */
    int port;               /**< its port on 127.0.0.1 */
    char dir[256];          /**< its directory: config, `log` */
    char www[300];          /**< lighttpd: the document root (dir/www) */
};

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (bind port 0).
 * @return 0; an errno value.
 */
int hil_srv_free_port(int *port);

/** @return a TCP socket connected to 127.0.0.1:@p port (close-on-exec); -1 with errno set. */
int hil_srv_connect(int port);

/**
 * Start lighttpd serving @p dir/www on a free port (config and log in
 * @p dir, which must exist). Keep-alive is off: every request comes on
 * a connection of its own, so a fault proxy's connection count
 * (netfault.h `conn`) counts the bridge's requests.
 * @param err receives what went wrong, with the server's log
 * @return 0; FOTA_EIO (cannot write the config, fork, or the server
 *         exited or did not answer within HIL_SRV_WAIT_MS).
 */
int hil_srv_http_start(struct hil_srv *s, const char *dir, char *err, size_t errlen);

/**
 * Start mosquitto (one listener on a free port, anonymous, no
 * persistence; config and log in @p dir, made world-readable: mosquitto
 * started as root drops to its own user).
 * @return as hil_srv_http_start().
 */
int hil_srv_mqtt_start(struct hil_srv *s, const char *dir, char *err, size_t errlen);

/** Stop the server (SIGTERM, wait for it); its directory stays. */
void hil_srv_stop(struct hil_srv *s);

/**
 * Put @p len bytes at @p s->www / @p name through a temporary file and
 * rename(2): a new inode and mtime, so lighttpd answers a new ETag.
 * @return 0; FOTA_EIO (with strerror in @p err).
 */
int hil_srv_publish(const struct hil_srv *s, const char *name, const uint8_t *data, size_t len,
                    char *err, size_t errlen);

/** hil_srv_publish() of the contents of file @p src. @return 0; FOTA_EIO; FOTA_ENOMEM. */
int hil_srv_publish_file(const struct hil_srv *s, const char *name, const char *src, char *err, size_t errlen);

#endif /* HIL_NETSRV_H */
