/**
 * @file target.h
 * @brief One interface to a device under test (labgrid's split: the runner
 * drives a target through these operations; stock QEMU (target_qemu.c)
 * and a real board (target_board.c) implement them on one RSP core
 * (rsp_target.h), so a scenario runs on either unchanged).
 *
 * The runner owns the event loop: it asks the target for the fds it wants
 * polled (plus a timeout for its timers, e.g. the watchdog model), polls
 * them together with its own (link proxy, updater process), then lets the
 * target service its ready fds. While servicing, the target reports what
 * happens through the hooks: every flash operation *before* it is applied
 * (the runner's fault injector decides: apply, cut power with a torn state,
 * or make the operation fail), console lines, boots, jumps, watchdog
 * expiries and power events.
 */
#ifndef HIL_TARGET_H
#define HIL_TARGET_H

#include <stdint.h>
#include <stdbool.h>
#include <poll.h>
#include "target/flashmodel.h"

enum hil_op_kind { HIL_OP_ERASE = 1, HIL_OP_PROGRAM = 2 };

struct hil_flash_op {
    enum hil_op_kind kind;
    enum hil_region region;
    uint32_t sector;        /**< erase: sector number; program: sector of addr */
    uint32_t addr;          /**< program: absolute address; erase: sector start */
    uint32_t len;           /**< program: bytes; erase: sector size */
    const uint8_t *data;    /**< program: the bytes the guest asked for */
    uint32_t seq;           /**< 1-based count of flash ops since the run began (all power cycles) */
    uint32_t kind_seq;      /**< 1-based count of ops of this kind since the run began */
};

enum hil_action {
    HIL_ACT_APPLY = 0,      /**< perform it, return 0 to the guest */
    HIL_ACT_CUT = 1,        /**< apply v->torn of it, then cut power (QEMU killed) */
    HIL_ACT_FAIL = 2,       /**< do nothing, return v->fail_rc to the guest */
    HIL_ACT_DROP = 3,       /**< do nothing, return 0: a program or erase that silently does not stick */
};

struct hil_flash_verdict {
    enum hil_action action;
    enum hil_torn torn;     /**< for HIL_ACT_CUT */
    int fail_rc;            /**< for HIL_ACT_FAIL: an enum fota_err */
};

enum hil_event_kind {
    HIL_EV_BOOT = 1,        /**< the bootloader's reset handler ran (power-on or reset) */
    HIL_EV_JUMP = 2,        /**< port_jump(vectors): an application is being started */
    HIL_EV_WATCHDOG = 3,    /**< the IWDG model expired; the target was reset */
    HIL_EV_POWER_OFF = 4,   /**< power was cut (by a verdict or power_off) */
    HIL_EV_DIED = 5,        /**< the emulator exited on its own (detail has why) */
    HIL_EV_WATCHDOG_START = 6, /**< port_watchdog_start(value = timeout ms) */
    HIL_EV_SPI_READY = 7,   /**< the SPI slave's READY line changed (value = level; spi_xfer targets) */
    HIL_EV_WATCH = 8,       /**< the CPU read or wrote the watched range (value = address; hil_target.watch_len) */
};

struct hil_event {
    enum hil_event_kind kind;
    uint32_t value;         /**< JUMP: vectors address; WATCHDOG_START: timeout ms */
    const char *detail;     /**< optional text */
};

/**
 * A flash fault planned ahead, for a target whose device counts the flash
 * operations and injects the fault itself (the fota-f407 machine,
 * docs/QEMU.md): at the @p n-th operation from now of a kind in @p on
 * whose first byte lies in [addr_lo, addr_hi], the runner's verdict will
 * be @p v. The device then does what the verdict says, and reports the
 * operation to on_flash_op as every other one.
 */
struct hil_fault_plan {
    uint32_t n;             /**< 1: the next matching operation; 0: nothing planned */
    bool on[3];             /**< kinds counted: on[HIL_OP_ERASE], on[HIL_OP_PROGRAM] */
    uint32_t addr_lo;       /**< absolute, inclusive */
    uint32_t addr_hi;       /**< absolute, inclusive */
    struct hil_flash_verdict v; /**< not HIL_ACT_APPLY when n > 0 */
};

struct hil_target_hooks {
    void *ctx;
    /** Decide the fate of a flash op; leave *v zeroed to apply it. */
    void (*on_flash_op)(void *ctx, const struct hil_flash_op *op, struct hil_flash_verdict *v);
    /**
     * Optional: the next operation whose verdict on_flash_op would not be
     * HIL_ACT_APPLY, as counted from the operations reported so far
     * (p->n = 0: none). A target whose device injects faults itself asks
     * this before the device runs and after each operation, and arms the
     * device with it. @return how many faults are pending (more than one
     * cannot all be planned: the one with the smallest n is).
     */
    int (*plan_fault)(void *ctx, struct hil_fault_plan *p);
    /** One console line (USART2), without the line ending. */
    void (*on_console_line)(void *ctx, const char *line);
    void (*on_event)(void *ctx, const struct hil_event *ev);
};

struct hil_target;
struct hil_glitch;

/** What the chip runs after reset (STM32 BOOT0 pin, RM0090 2.4). */
enum hil_boot_mode {
    HIL_BOOT_FLASH = 0,     /**< BOOT0 low: the bootloader in flash */
    HIL_BOOT_ROM = 1,       /**< BOOT0 high (BOOT1 low): ST's ROM bootloader (AN2606) */
};

struct hil_target_ops {
    const char *name;       /**< "qemu", "board" */
    /** Start from the flash model (cold boot). @return 0; FOTA_EIO; FOTA_EBUSY (already on). */
    int (*power_on)(struct hil_target *t);
    /** Cut power now; the flash model keeps what was applied. @return 0. */
    int (*power_off)(struct hil_target *t);
    /** Warm reset (NRST): flash and SRAM kept. @return 0; FOTA_EBUSY (off). */
    int (*reset)(struct hil_target *t);
    /**
     * Fill @p fds (at most @p max) with what the target needs polled and
     * lower *timeout_ms (never raise it) if a timer is due sooner.
     * @return number of entries used.
     */
    int (*poll_fds)(struct hil_target *t, struct pollfd *fds, int max, int *timeout_ms);
    /**
     * Handle ready fds (the entries poll_fds filled, with revents) and due
     * timers; call the hooks. @return 0; FOTA_EIO (the debug link broke).
     */
    int (*service)(struct hil_target *t, struct pollfd *fds, int n);
    /** fd carrying the update link's bytes (USART1), -1 while off. */
    int (*link_fd)(struct hil_target *t);
    void (*destroy)(struct hil_target *t);
    /**
     * Optional (NULL: not offered, e.g. QEMU): choose what the next reset
     * or power-on boots. @return 0; FOTA_ENOTSUP (nothing wired); FOTA_EIO.
     */
    int (*set_boot_mode)(struct hil_target *t, enum hil_boot_mode mode);
    /**
     * Optional: for a diagnosis (a step timed out; the run ends after
     * it): halt the target if it runs and describe it into @p buf (guest
     * PC, LR, SP, xPSR; the last debug-link packets). Each request is
     * bounded by 1000 ms, so a held or hung emulator is said to be so.
     * The target is left halted.
     */
    void (*describe)(struct hil_target *t, char *buf, size_t len);
    /**
     * Optional (NULL: the update link is the byte stream of link_fd()):
     * the update link is an SPI slave the harness clocks as its master
     * (fota-f407's SPI1, spi_master.h). One chip-select period: @p n
     * bytes of @p mosi clocked (0: READY only sampled), MISO to @p miso
     * (NULL: dropped), READY after it to *ready. READY changes between
     * transfers are reported as HIL_EV_SPI_READY. Blocks until the slave
     * answered (bounded: a hung emulator).
     * @return 0; FOTA_ECONN (off or gone: MISO reads 0xFF); errors.
     */
    int (*spi_xfer)(struct hil_target *t, const uint8_t *mosi, uint8_t *miso, size_t n, bool *ready);
};

struct hil_target {
    const struct hil_target_ops *ops;
    struct hil_target_hooks hooks;
    struct hil_flash *flash; /**< the model; owned by the runner */
    bool powered;
    /**
     * A range whose first CPU data access (read or write) the target
     * reports as HIL_EV_WATCH, once (0 length: none). Set by the runner
     * before power_on; a target that cannot watch leaves watch_armed
     * false, and the runner then claims nothing (run/sweep_share.h).
     */
    uint32_t watch_addr;
    uint32_t watch_len;
    bool watch_armed;        /**< the target set the watchpoint in every session so far */
    bool watch_hit;          /**< HIL_EV_WATCH was reported */
};

/** Which QEMU machine the QEMU backend runs (fota-hil run --target). */
enum hil_qemu_machine {
    /**
     * Debian's qemu-system-arm -M netduinoplus2: FLASH, IWDG, the link
     * strap and SPI1 are served at breakpoints (the port's register code
     * for them never runs).
     */
    HIL_QEMU_STOCK = 0,
    /**
     * fota-hil's own qemu-system-arm (qemu/, make qemu) -M fota-f407:
     * FLASH (RM0090 3), RCC (7) and IWDG (21) modelled at register level,
     * nothing served; the port's own code performs the flash operations,
     * the FLASH model reports each one over QMP (the journal) and injects
     * the planned fault itself (hil_fault_plan). With link_spi, SPI1 is a
     * slave model (with DMA2 and the READY line) on a chardev, and the
     * harness is its master (spi_xfer).
     */
    HIL_QEMU_F407 = 1,
};

/** Options for the QEMU backend. */
struct hil_qemu_opts {
    const char *qemu;            /**< executable, default "qemu-system-arm" */
    enum hil_qemu_machine machine; /**< default HIL_QEMU_STOCK */
    const char *bootloader_elf;  /**< for symbol addresses (libelf) */
    const char *workdir;         /**< sockets and flash file go here */
    int icount_shift;            /**< -icount shift=N,sleep=off; <0 disables */
    bool verbose;
    /**
     * Wall-clock milliseconds per modelled IWDG millisecond (0 means 1.0).
     * The IWDG model counts wall-clock time while the guest runs (time the
     * harness holds it stopped at a breakpoint is not counted): guest time
     * under -icount is not observable without stopping the guest, and a
     * hang is caught at any scale. Raise it on slow or loaded machines.
     */
    double watchdog_scale;
    /**
     * The update link is SPI1. Stock: serve the link strap as SPI
     * (port_link_strap returns PORT_LINK_SPI) and the SPI1 slave functions
     * port_spi_rx/port_spi_tx: link_fd() then carries the slave's byte
     * streams (MOSI in, MISO queue out) instead of USART1. The symbols are
     * optional: a bootloader without them runs over USART1 (and a SPI
     * scenario fails to get answers). fota-f407: the board's strap selects
     * SPI (-M fota-f407,link-strap=spi), the port's own SPI/DMA code runs
     * and the harness clocks SPI1 as master over its chardev (spi_xfer);
     * link_fd() is -1.
     */
    bool link_spi;
    /** The glitch sweep's engine (glitch.h), NULL: none; owned by the caller. */
    struct hil_glitch *glitch;
};

/**
 * Create a QEMU target (machine netduinoplus2). Reads the HIL-served
 * symbols from opts->bootloader_elf. Does not start QEMU.
 * @return 0 and *out; FOTA_EINVAL (missing option, or the compiler cloned
 *         or merged a HIL-served function so a breakpoint would miss calls);
 *         FOTA_ENOENT (a symbol is missing from the ELF); FOTA_EIO (ELF
 *         unreadable); FOTA_ENOMEM. Reasons are printed on stderr.
 */
int hil_qemu_create(const struct hil_qemu_opts *opts, struct hil_flash *flash,
                    const struct hil_target_hooks *hooks, struct hil_target **out);

#endif /* HIL_TARGET_H */
