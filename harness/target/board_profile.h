/**
 * @file board_profile.h
 * @brief Board profile files (YAML, e.g. scenarios/rigs/NAME.yaml): what a
 * rig is wired to. Which gpiochip line drives power / NRST / BOOT0 and at
 * which level, which tty carries the console and the update link, which
 * ST-LINK (serial number) and gdbserver debug the chip, which power driver
 * switches the board. The format, with an example per key, is in
 * docs/BOARDS.md; labgrid calls the same thing a resource description.
 *
 * A malformed file is reported as `file:line: what is wrong`, never a crash.
 */
#ifndef HIL_BOARD_PROFILE_H
#define HIL_BOARD_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** DBGMCU_IDCODE.DEV_ID of the STM32F405/407/415/417 (RM0090 38.6.1). */
#define HIL_BOARD_CHIP_ID_F40X 0x413u
/** chip_id: any (no check; e.g. QEMU, whose DBGMCU reads 0). */
#define HIL_BOARD_CHIP_ID_ANY  0xFFFFFFFFu

/** One GPIO line (libgpiod v1.6 chip lookup: name, path, label or number). */
struct hil_gpio_spec {
    char *chip;          /**< e.g. "gpiochip0", "/dev/gpiochip0", "pinctrl-bcm2711" */
    unsigned int line;   /**< line offset on that chip */
    bool active_high;    /**< level that means asserted (power on, NRST held, BOOT0 = 1) */
    int src_line;        /**< line in the profile file, for messages */
};

enum hil_power_kind {
    HIL_POWER_NONE = 0,    /**< nobody can switch the board: no power cuts */
    HIL_POWER_GPIO = 1,    /**< a GPIO line drives a relay (asserted = powered) */
    HIL_POWER_USB_HUB = 2, /**< per-port power of a USB hub (as uhubctl does) */
    HIL_POWER_COMMAND = 3, /**< external commands (`sh -c`), e.g. a PDU's CLI */
};

struct hil_power_spec {
    enum hil_power_kind kind;
    struct hil_gpio_spec gpio;   /**< GPIO */
    char *hub;                   /**< USB_HUB: location "BUS-PORT[.PORT...]" ("1-1.4"), as uhubctl -l */
    unsigned int port;           /**< USB_HUB: downstream port number, 1-based */
    char *on_cmd;                /**< COMMAND */
    char *off_cmd;               /**< COMMAND */
    uint32_t cmd_limit_ms;       /**< COMMAND: longest run of on/off before it is killed (0: HIL_POWER_CMD_LIMIT_MS) */
    uint32_t off_ms;             /**< minimum time off in a power cycle (default 500) */
    uint32_t settle_ms;          /**< wait after switching on before the debugger connects (default 100) */
    int src_line;
};

struct hil_tty_spec {
    char *path;                  /**< NULL: not wired */
    uint32_t baud;               /**< default 115200 */
    int src_line;
};

enum hil_gdbserver_kind {
    HIL_GDBSERVER_OPENOCD = 0,   /**< the harness starts openocd on the ST-LINK */
    HIL_GDBSERVER_EXTERNAL = 1,  /**< something already serves `address` (st-util, a remote openocd, QEMU) */
};

enum hil_flash_ops_mode {
    /** The chip programs its own flash; the harness only observes (a real board). */
    HIL_FLASH_OBSERVE = 0,
    /**
     * The harness performs each operation through the debug link, as the
     * QEMU backend does: for a gdbserver whose target cannot program its
     * own flash (QEMU's gdbstub standing in for openocd in tests).
     */
    HIL_FLASH_SERVE = 1,
};

struct hil_board_profile {
    char *file;                  /**< the profile's path */
    char *name;                  /**< `board:` */
    struct {
        enum hil_gdbserver_kind server;
        char *address;           /**< "HOST:PORT" or "unix:PATH"; openocd default "localhost:3333" */
        char *openocd;           /**< executable, default "openocd" */
        char **config;           /**< openocd -f files, default interface/stlink.cfg, target/stm32f4x.cfg */
        int nconfig;
        char *stlink_serial;     /**< NULL: the only ST-LINK */
        uint32_t chip_id;        /**< expected DEV_ID, default HIL_BOARD_CHIP_ID_F40X */
        enum hil_flash_ops_mode flash_ops;
        uint32_t connect_ms;     /**< how long to wait for the gdbserver, default 10000 */
        int src_line;
    } debug;
    struct hil_power_spec power;
    bool has_nrst;
    struct hil_gpio_spec nrst;   /**< asserted = held in reset (usually active: low) */
    bool has_boot0;
    struct hil_gpio_spec boot0;  /**< asserted = BOOT0 high: ROM bootloader after reset */
    struct hil_tty_spec console; /**< USART2 */
    struct hil_tty_spec link;    /**< USART1 (update link over a tty) */
    char *spidev;                /**< update link over SPI (not served yet: see docs/BOARDS.md) */
    uint32_t spi_hz;
    int spidev_line;
    uint32_t cut_delay_us;       /**< power cut: relay opens this long after the Nth op resumed */
};

/**
 * Read and parse a profile.
 * @param err  receives `file:line: what is wrong` (or `file: why` if unreadable)
 * @return 0 and *out (free with hil_board_profile_free); FOTA_EINVAL
 *         (malformed); FOTA_EIO (unreadable); FOTA_ENOMEM.
 */
int hil_board_profile_load(const char *path, struct hil_board_profile **out, char *err, size_t errlen);

/** As hil_board_profile_load, from a buffer named @p file. */
int hil_board_profile_parse(const char *file, const char *buf, size_t len,
                            struct hil_board_profile **out, char *err, size_t errlen);

void hil_board_profile_free(struct hil_board_profile *p);

/**
 * Whether the rig offers a capability a scenario may `require`:
 * `power_relay` (a power driver that can cut power), `nrst`, `boot0`,
 * `uart_link`, `spi_link`, `console`, `register_level` (the port's
 * drivers run, nothing is served at a breakpoint: a board always; of the
 * QEMU targets only --target f407, harness/cli/main.c).
 */
bool hil_board_provides(const struct hil_board_profile *p, const char *cap);

/** Every capability name hil_board_provides knows, NULL-terminated. */
extern const char *const hil_board_capabilities[];

#endif /* HIL_BOARD_PROFILE_H */
