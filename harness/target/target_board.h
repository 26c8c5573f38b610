/**
 * @file target_board.h
 * @brief The real-board target backend (target.h): an STM32F405/407
 * debugged through a gdbserver on an ST-LINK (openocd, started by the
 * harness, or any external one), power through a power.h driver, NRST and
 * BOOT0 as GPIO lines, the console and the update link on ttys. Wiring
 * comes from a board profile (board_profile.h, docs/BOARDS.md).
 *
 * The chip programs its own flash; the backend observes each operation at
 * a breakpoint on the HIL-served port functions (the same symbols the
 * QEMU backend serves), mirrors it into the flash model, and steps over.
 * A power cut is triggered, not emulated: at the Nth operation the chip is
 * resumed, the supply is switched off cut_delay_us later, then the chip is
 * powered with its core halted and the sectors the operation touched are
 * read back over the debug link into the model (the torn state it really
 * produced), and saved as <workdir>/cut-<n>.bin.
 */
#ifndef HIL_TARGET_BOARD_H
#define HIL_TARGET_BOARD_H

#include <stdbool.h>
#include "target/board_profile.h"
#include "target/target.h"

struct hil_board_opts {
    const struct hil_board_profile *profile; /**< must outlive the target */
    const char *bootloader_elf;  /**< symbols for the breakpoints (libelf); NULL: none, nothing observed */
    const char *workdir;         /**< openocd.log, cut-<n>.bin */
    bool program;                /**< program the flash model onto the chip at the first power_on */
    bool verbose;
};

/**
 * Create a board target; opens the power driver and GPIO lines (power off,
 * NRST and BOOT0 deasserted), does not power the board.
 * @return 0 and *out; FOTA_EINVAL (missing option; SPI link: not served
 *         yet); FOTA_ENOENT (symbol or resource missing); FOTA_EBUSY (GPIO
 *         line in use); FOTA_EIO (ELF unreadable, permission);
 *         FOTA_ENOMEM. Reasons are printed on stderr.
 */
int hil_board_create(const struct hil_board_opts *opts, struct hil_flash *flash,
                     const struct hil_target_hooks *hooks, struct hil_target **out);

/**
 * Power the board with its core halted (nothing of the firmware runs, no
 * breakpoints), read [addr, addr+len) of its memory over the debug link,
 * power it off again.
 * @return 0; FOTA_EBUSY (powered: power_off first); FOTA_EIO (gdbserver,
 *         power); FOTA_ETIMEOUT.
 */
int hil_board_read(struct hil_target *t, uint32_t addr, void *buf, uint32_t len);

/** @return a one-line description of the board backend's last error. */
const char *hil_board_error(const struct hil_target *t);

#endif /* HIL_TARGET_BOARD_H */
