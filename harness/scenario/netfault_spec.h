/**
 * @file netfault_spec.h
 * @brief A network fault as a scenario states it (issue 12 item 3): the
 * fault kinds of the bridge's TCP fault proxy (harness/link/netfault.h
 * runs them) and their names in scenario files (docs/SCENARIOS.md
 * `netfault:`). Here, below the link layer, so the parser can check a
 * kind name and keep the whole fault.
 */
#ifndef HIL_NETFAULT_SPEC_H
#define HIL_NETFAULT_SPEC_H

#include <stdint.h>

enum hil_nf_kind {
    HIL_NF_NONE = 0,
    HIL_NF_RESET,       /**< after `after` bytes server->client: TCP RST (SO_LINGER 0) both ways */
    HIL_NF_TRUNCATE,    /**< after `after` bytes server->client: FIN to the client (body short of its Content-Length) */
    HIL_NF_STALL,       /**< after `after` bytes server->client: forward nothing more, keep both open */
    HIL_NF_DRIP,        /**< server->client in pieces of drip_bytes, drip_ms apart */
    HIL_NF_HTTP_503,    /**< answer `count` connections with "503 Service Unavailable" itself */
    HIL_NF_DISCONNECT,  /**< after `after` bytes in either direction: close both (a broker going away) */
    HIL_NF_ETAG_CHANGE, /**< before connection `conn` is forwarded, the harness publishes another
                             image: the ETag changes between two chunks (the bytes pass untouched) */
};

/** One fault. */
struct hil_nf_fault {
    enum hil_nf_kind kind;
    uint32_t conn;          /**< first connection it applies to (1-based); 0 = every connection */
    uint32_t after;         /**< bytes before it acts (RESET, TRUNCATE, STALL, DISCONNECT) */
    uint32_t drip_bytes;    /**< DRIP: bytes per piece (>= 1) */
    uint32_t drip_ms;       /**< DRIP: pause after each piece, ms */
    uint32_t count;         /**< HTTP_503: connections answered 503, from `conn` on (0 counts as 1) */
};

/**
 * Parse a fault kind name ("none", "reset", "truncate", "stall", "drip",
 * "http_503", "disconnect", "etag_change").
 * @return 0; 22 (EINVAL) for another name.
 */
int hil_nf_kind_parse(const char *s, enum hil_nf_kind *out);

/** @return the name of @p k, "?" for a value out of range. */
const char *hil_nf_kind_name(enum hil_nf_kind k);

/** The kind names, comma-separated, for messages. */
#define HIL_NF_KIND_LIST "reset, truncate, stall, drip, http_503, disconnect, etag_change"

#endif /* HIL_NETFAULT_SPEC_H */
