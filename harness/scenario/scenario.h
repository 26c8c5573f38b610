/**
 * @file scenario.h
 * @brief Scenario files (scenarios/NAME.yaml): the data model and the parser.
 *
 * A scenario file holds one or more YAML documents, one scenario each. The
 * schema is documented, with an example per step and per fault, in
 * docs/SCENARIOS.md. Parsing uses libyaml's document API; every node keeps
 * the line of its start mark, so a malformed file is reported as
 * `file:line: what is wrong` and never crashes the harness.
 */
#ifndef HIL_SCENARIO_H
#define HIL_SCENARIO_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <regex.h>
#include "target/target.h"
#include "scenario/outcome.h"
#include "scenario/netfault_spec.h"

/* Defaults when a scenario does not say. */
#define HIL_DEFAULT_SCENARIO_TIMEOUT_MS 120000u
#define HIL_DEFAULT_CONSOLE_TIMEOUT_MS  10000u
#define HIL_DEFAULT_EXPECT_TIMEOUT_MS   10000u
#define HIL_DEFAULT_UPDATE_TIMEOUT_MS   60000u
#define HIL_DEFAULT_BOOTLOADER_BIN      "build/fw/bootloader.bin"
#define HIL_DEFAULT_SLOT_A_IMAGE        "build/images/demo-1.0.0-A.img"

/** Which fault a `faults:` entry injects. */
enum hil_fault_kind {
    HIL_FAULT_POWER_CUT = 1, /**< at the Nth flash op of a kind/region, or (frame > 0) just
                                  before the Nth to_target frame (hil_fault_at_frame) */
    HIL_FAULT_CORRUPT = 2,   /**< xor 0xFF one byte of the Nth frame */
    HIL_FAULT_DROP = 3,      /**< remove the Nth frame from the stream */
    HIL_FAULT_DISCONNECT = 4,/**< close the updater's side at the Nth to_target frame */
    HIL_FAULT_ROM_NACK = 5,  /**< ROM path: NACK the Nth command `cmd` (rom_an3155.h) */
    HIL_FAULT_ROM_SILENT = 6,/**< ROM path: no answer to the Nth command `cmd` */
    /* SPI link (spi_link.h): `transfer` N -> frame, `count` -> n, `value` -> byte */
    HIL_FAULT_SPI_DROP = 7,
    HIL_FAULT_SPI_CORRUPT = 8,
    HIL_FAULT_SPI_CS_RELEASE = 9,
    HIL_FAULT_SPI_MISO_STUCK = 10,
    HIL_FAULT_SPI_BIT_SHIFT = 11,
    HIL_FAULT_TRUNCATE = 12, /**< stop the transfer: DATA after `after_frames` / `after_bytes` withheld,
                                  the updater's side closed, END sent in its place if `end` (proxy.h) */
    HIL_FAULT_ROM_LATE = 13, /**< ROM path: the parameter after the Nth command `cmd` reaches the ROM
                                  `ms` of bus time late (rom_an4221.h; the late_param_nack quirk) */
};

/** The update link a scenario runs over (`link:`, or fota-hil run --link). */
enum hil_link {
    HIL_LINK_UART = 0,
    HIL_LINK_SPI = 1,
};

/** Region filter of a power_cut fault. */
enum hil_fault_region {
    HIL_FREGION_ANY = 0,
    HIL_FREGION_SLOT = 1,    /**< either slot */
    HIL_FREGION_META = 2,
    HIL_FREGION_SLOT_A = 3,
    HIL_FREGION_SLOT_B = 4,
};

/** How a power_cut fault's N is given. */
enum hil_fault_n {
    HIL_FN_NUMBER = 0,       /**< n: 7 */
    HIL_FN_LAST = 1,         /**< n: last  = number of DATA frames of the image */
    HIL_FN_MIDDLE = 2,       /**< n: middle = (last + 1) / 2 */
};

enum hil_dir { HIL_DIR_TO_TARGET = 0, HIL_DIR_TO_HOST = 1 };

/** Where a power_cut is placed (fault_parse.h). */
enum hil_fault_at {
    HIL_AT_OP = 0,           /**< the Nth flash op of `on` in `region` (or, `frame` given, a link frame) */
    HIL_AT_CONSOLE = 1,      /**< when a console line matching `at_console` is printed */
    HIL_AT_MS = 2,           /**< `at_ms` ms of device time after its step started */
};

struct hil_fault {
    enum hil_fault_kind kind;
    int line;                     /**< 1-based line in the scenario file */
    /* power_cut */
    enum hil_op_kind on;          /**< HIL_OP_PROGRAM / HIL_OP_ERASE */
    enum hil_fault_region region;
    enum hil_fault_n n_kind;
    uint32_t n;                   /**< 1-based; for LAST/MIDDLE resolved by the runner */
    enum hil_torn torn;
    /* corrupt, drop, disconnect; power_cut at a frame */
    enum hil_dir dir;
    uint32_t frame;               /**< 1-based frame count in that direction; 0: not given */
    int frame_type;               /**< -1: count every frame; else count only frames of
                                       this type (enum proto_type, RSP bit included) */
    uint32_t byte;                /**< corrupt: offset in the frame (0 = SYNC0) */
    /* rom_nack, rom_silent (n above is the 1-based count of that command) */
    uint8_t rom_cmd;              /**< AN3155 command code (enum hil_rom_cmd) */
    uint32_t late_ms;             /**< rom_late: bus ms the parameter comes late */
    /* power_cut placement other than at an op or a frame (fault_parse.h) */
    enum hil_fault_at at;
    char *at_console;             /**< HIL_AT_CONSOLE: the regex (source text) */
    regex_t at_re;                /**< compiled, REG_EXTENDED | REG_NOSUB */
    bool at_re_ok;
    uint32_t at_ms;               /**< HIL_AT_MS: device ms from the start of the step */
    /* truncate (frame = after_frames + 1 with type DATA, or after_bytes) */
    bool by_bytes;                /**< `after_bytes: K` given (else `after_frames`) */
    uint32_t after_bytes;         /**< image bytes [0, K) may pass; a DATA frame reaching past K stops it */
    bool send_end;                /**< `end: true`: the proxy sends END in place of the withheld frame */
};

/**
 * @return true if @p f is a power_cut at a link frame (`frame:` given: the
 * power goes just before the Nth to_target frame, of `type` if given, would
 * reach the target; harness/link/proxy.h) rather than at a flash operation.
 */
static inline bool hil_fault_at_frame(const struct hil_fault *f)
{
    return f->kind == HIL_FAULT_POWER_CUT && f->frame > 0;
}

/** @return true if @p f is a power_cut at a console line or a device time (cut_at.h), not at an op or frame. */
static inline bool hil_fault_at_line_or_time(const struct hil_fault *f)
{
    return f->kind == HIL_FAULT_POWER_CUT && f->at != HIL_AT_OP;
}

/** Which updater an update step runs. */
enum hil_update_proto {
    HIL_PROTO_FOTA = 0,      /**< fotactl update: the fota-hil protocol (proto.h) */
    HIL_PROTO_AN3155 = 1,    /**< fotactl rom install: ST's ROM bootloader over USART */
    HIL_PROTO_AN4286 = 2,    /**< fotactl rom install --proto an4286: ST's ROM bootloader over SPI1 */
    HIL_PROTO_AN4221 = 3,    /**< fotactl rom install --proto an4221: ST's ROM bootloader over I2C1 (i2c-emu) */
};

/** What an update step expects from the updater. */
enum hil_update_expect {
    HIL_UPD_OK = 0,          /**< fotactl exits 0 */
    HIL_UPD_FAIL = 1,        /**< fotactl exits non-zero */
    HIL_UPD_INTERRUPTED = 2, /**< a power cut happened while it ran */
    HIL_UPD_ANY = 3,         /**< any outcome (sweep cases: a flash fault may or may not fail it) */
};

/** Index of a `flash:` file in hil_scenario flash.lines. */
enum hil_flash_part { HIL_FLASH_BOOTLOADER = 0, HIL_FLASH_SLOT_A, HIL_FLASH_SLOT_B, HIL_FLASH_FILE, HIL_FLASH_NPARTS };

struct hil_update {
    char *image;
    int image_line;               /**< line of `image:` in the scenario file */
    enum hil_update_expect expect;
    char **args;                  /**< extra fotactl arguments */
    int nargs;
    uint32_t timeout_ms;
    struct hil_fault *faults;
    int nfaults;
    enum hil_update_proto protocol; /**< `protocol:`, default fota */
    struct hil_updater_expect updater; /**< `updater:` and `resumed_at:` (outcome.h) */
};

#define HIL_SLOT_NONE (-1)

/** The `expect:` step: every present field must hold at the same instant. */
struct hil_expect {
    bool has_running;
    int running_slot;             /**< LAYOUT_SLOT_A/B */
    bool has_running_version;
    uint32_t running_version;     /**< IMAGE_VERSION() */
    bool has_active;
    int active;                   /**< LAYOUT_SLOT_A/B or HIL_SLOT_NONE */
    bool has_slot_state[2];
    uint8_t slot_state[2];        /**< enum meta_slot_state */
    struct hil_slot_sha slot_sha[2]; /**< `slots: {A: {sha256: ...}}` (outcome.h) */
    bool has_bootable;
    bool bootable;                /**< hil_flash_bootable() (journal.h) must say this */
    uint32_t timeout_ms;
};

enum hil_step_kind {
    HIL_STEP_POWER_ON = 1,
    HIL_STEP_POWER_CUT,
    HIL_STEP_RESET,
    HIL_STEP_WAIT_MS,
    HIL_STEP_EXPECT_CONSOLE,
    HIL_STEP_CONSOLE_ABSENT,
    HIL_STEP_UPDATE,
    HIL_STEP_EXPECT,
    /* the bridge's cloud side (issue 12, bridge_parse.h, docs/SCENARIOS.md "Bridge steps") */
    HIL_STEP_SERVERS,             /**< start lighttpd + mosquitto on 127.0.0.1 for the rest of the case */
    HIL_STEP_PUBLISH_IMAGE,       /**< put an image on the HTTP server (a new ETag) */
    HIL_STEP_MQTT_TRIGGER,        /**< publish on the bridge's trigger topic */
    HIL_STEP_BRIDGE,              /**< start, stop or kill fota-bridge */
    HIL_STEP_EXPECT_MQTT,         /**< the bridge's status messages */
};

/** `bridge:` action. */
enum hil_bridge_action { HIL_BRIDGE_START = 1, HIL_BRIDGE_STOP, HIL_BRIDGE_KILL };

/** Which server a `netfault:` sits in front of. */
enum hil_nf_on { HIL_NF_ON_HTTP = 0, HIL_NF_ON_MQTT = 1 };

/** The `bridge:` step. */
struct hil_bridge_step {
    enum hil_bridge_action action;
    enum hil_update_proto via;    /**< proto (default), an3155, an4286, an4221 */
    char **args;                  /**< extra fota-bridge `--key value` arguments */
    int nargs;
    bool has_netfault;
    enum hil_nf_on nf_on;         /**< netfault: {on: http|mqtt} */
    struct hil_nf_fault nf;
    char *nf_image;               /**< etag_change: the image published before connection `conn` */
    int nf_line;
};

/** `publish_image:` */
struct hil_publish {
    char *image;                  /**< file to publish */
    char *name;                   /**< name on the server (URL path), default HIL_BRIDGE_IMAGE_NAME */
};

#define HIL_BRIDGE_IMAGE_NAME "app.img"
#define HIL_BRIDGE_MAX_STATES 16

/** `expect_mqtt:` the status messages since the servers started. */
struct hil_expect_mqtt {
    char *states[HIL_BRIDGE_MAX_STATES]; /**< must appear in this order (repeats collapsed), others between */
    int nstates;
    char *state;                  /**< the newest message's state (waited for) */
    bool has_version;
    uint32_t version;             /**< the newest message's version */
    char *absent;                 /**< a state no message may have (e.g. failed) */
    uint32_t timeout_ms;
};

struct hil_step {
    enum hil_step_kind kind;
    int line;                     /**< line in the file the step came from */
    char *origin;                 /**< from an included file: "lib/x.yaml:4 (included from y.yaml:12)";
                                       NULL: in the scenario's own file (include.h) */
    uint32_t ms;                  /**< wait_ms */
    bool boot0_high;              /**< power_on: {boot0: high}: start in the ST ROM bootloader */
    char *regex;                  /**< expect_console / console_absent (source text) */
    regex_t re;                   /**< compiled, REG_EXTENDED | REG_NOSUB */
    bool re_ok;
    uint32_t timeout_ms;          /**< expect_console; power_on / reset with faults */
    struct hil_fault *faults;     /**< power_on, reset, wait_ms, expect_console: the power cuts
                                       placed in the step (`faults:`; update steps: update.faults) */
    int nfaults;
    struct hil_update update;
    struct hil_expect expect;
    struct hil_bridge_step bridge;  /**< HIL_STEP_BRIDGE (its faults: in faults/nfaults) */
    struct hil_publish publish;   /**< HIL_STEP_PUBLISH_IMAGE */
    char *payload;                /**< HIL_STEP_MQTT_TRIGGER */
    struct hil_expect_mqtt mqtt;  /**< HIL_STEP_EXPECT_MQTT */
};

struct hil_scenario {
    char *file;
    int line;                     /**< line of the document start */
    char *id;
    char *description;
    char **tags;
    int ntags;
    char **platforms;
    int nplatforms;
    uint32_t timeout_ms;
    enum hil_link link;           /**< `link: uart|spi`, default uart */
    bool spi_clock_never;         /**< `spi_clock: never`: the harness does not clock SPI1 when READY rises */
    uint32_t rom_quirks;          /**< `rom_quirks:`, HIL_ROM_QUIRK_* bits (rom_quirks.h) */
    struct {
        char *bootloader;         /**< NULL: none */
        char *slot_a;             /**< NULL: erased */
        char *slot_b;
        char *file;               /**< whole 1 MB dump; excludes the three above */
        int lines[HIL_FLASH_NPARTS]; /**< line of each (enum hil_flash_part); 0: a default (the scenario's line) */
    } flash;
    struct hil_step *steps;
    int nsteps;
    char **requires;              /**< rig capabilities (board_profile.h hil_board_provides) */
    int nrequires;
    struct hil_sweep *sweep;      /**< the `sweep:` block (sweep.h), NULL if none */
    struct hil_case *sweep_case;  /**< set on a case expanded from a sweep (sweep.h), else NULL */
};

struct hil_scenario_list {
    struct hil_scenario **items;
    int count;
};

/**
 * Parse @p len bytes of YAML named @p file (for messages) and append each
 * document's scenario to @p list.
 * @param err  receives `file:line: what is wrong` on failure
 * @return 0; FOTA_EINVAL (malformed; nothing appended); FOTA_ENOMEM.
 */
int hil_scenario_parse_buffer(const char *file, const char *buf, size_t len,
                              struct hil_scenario_list *list, char *err, size_t errlen);

/** Read and parse @p path. @return as above, FOTA_EIO (unreadable). */
/**
 * Check that every file scenario @p s names exists and is readable: the
 * `flash:` files (bootloader, slot_a, slot_b, file, with the defaults) and
 * every update step's image (`{target}` expanded to both A and B). The
 * parser does not check them, so that `fota-hil list` and parser tests work
 * before the images are built; `fota-hil run` calls this for every selected
 * scenario before it starts any target, so a missing image is bad input
 * (exit 2), not a failed test found after QEMU has booted.
 * @param err receives `file:line: path: No such file or directory` (the
 *            line of the key naming it; the scenario's line for a default)
 * @return 0; FOTA_EINVAL.
 */
int hil_scenario_check_files(const struct hil_scenario *s, char *err, size_t errlen);

int hil_scenario_parse_file(const char *path, struct hil_scenario_list *list,
                            char *err, size_t errlen);

/**
 * Check that ids are unique across @p list.
 * @return 0; FOTA_EINVAL with `file:line: duplicate id ...` in @p err.
 */
int hil_scenario_check_unique(const struct hil_scenario_list *list, char *err, size_t errlen);

void hil_scenario_free(struct hil_scenario *s);
void hil_scenario_list_free(struct hil_scenario_list *list);

/** @return true if @p s carries tag @p tag. */
bool hil_scenario_has_tag(const struct hil_scenario *s, const char *tag);
/** @return true if @p s may run on @p platform. */
bool hil_scenario_on_platform(const struct hil_scenario *s, const char *platform);

/** Names for messages. */
const char *hil_step_name(enum hil_step_kind k);
const char *hil_fault_kind_name(enum hil_fault_kind k);
const char *hil_update_expect_name(enum hil_update_expect e);

/** Parse "x.y.z" into IMAGE_VERSION(). @return 0; FOTA_EINVAL. */
int hil_parse_version(const char *s, uint32_t *out);
/** Format IMAGE_VERSION() as "x.y.z" into @p buf (>= 16 bytes). */
void hil_format_version(uint32_t v, char *buf, size_t len);

/**
 * Number of DATA frames that carry an image file of @p file_size bytes:
 * ceil(file_size / PROTO_MAX_DATA). The bootloader programs each DATA
 * payload with exactly one port_flash_program call (ARCHITECTURE.md), so
 * this is `n: last` of a power_cut on program in a slot region.
 */
uint32_t hil_data_frames(uint64_t file_size);

#endif /* HIL_SCENARIO_H */
