/**
 * @file rom_link.h
 * @brief The runner's side of the ROM-bootloader path: the BOOT0/NRST
 * control the updater drives (a product's ESP32 toggles two GPIOs; here a
 * unix socket `boot.sock` in the scenario's workdir, line protocol
 * "boot0 1" / "boot0 0" / "nrst", each answered "ok"), and the emulated
 * ROM bootloader (rom_an3155.h) that answers on the update link while the
 * device sits in system memory.
 *
 * The runner owns the target; this module only tells it what the pins
 * did (struct hil_romlink_ops). No QEMU here: the ROM runs in the harness,
 * writing the flash model the QEMU backend boots from afterwards.
 */
#ifndef HIL_ROM_LINK_H
#define HIL_ROM_LINK_H

#include <poll.h>
#include <stdbool.h>
#include "link/rom_an3155.h"
#include "scenario/scenario.h"

struct hil_romlink_ops {
    void *ctx;
    /** NRST pulsed (or GO): @p to_rom = BOOT0 was high (enter system memory). */
    void (*nrst)(void *ctx, bool to_rom, const char *why);
    /** Optional (run trace): a rom_nack (@p nack) or rom_silent fault fired on the @p n th @p cmd. */
    void (*fault)(void *ctx, bool nack, uint8_t cmd, uint32_t n);
};

#define HIL_ROMLINK_LINE 64

struct hil_romlink {
    struct hil_rom *rom;     /**< the ROM model (valid while in_rom) */
    bool in_rom;             /**< the device is running its system memory */
    bool boot0;              /**< BOOT0 pin level as last driven */
    int listen_fd;           /**< boot.sock, -1 when not serving */
    int client_fd;           /**< the updater's connection, -1 */
    char line[HIL_ROMLINK_LINE];
    size_t line_len;
    char path[256];
    struct hil_romlink_ops ops;
    /* Command faults of the current update step (rom_nack, rom_silent, rom_late). */
    const struct hil_fault *faults;
    int nfaults;
    bool fired[32];
};

/** Zero @p rl (not serving, not in the ROM). */
void hil_romlink_init(struct hil_romlink *rl, const struct hil_romlink_ops *ops);

/**
 * Listen on @p dir/boot.sock. @return 0; FOTA_EIO; FOTA_EINVAL (path too long).
 */
int hil_romlink_listen(struct hil_romlink *rl, const char *dir);

/** Stop serving boot.sock (the updater's connection closed too). */
void hil_romlink_unlisten(struct hil_romlink *rl);

/**
 * Enter the ROM (BOOT0 high at reset): a fresh hil_rom over @p flash with
 * @p hooks (flash ops go through the runner's injector; on_command is set
 * here to apply the armed command faults). @return 0; FOTA_ENOMEM.
 */
int hil_romlink_enter(struct hil_romlink *rl, struct hil_flash *flash, const struct hil_rom_hooks *hooks);

/** Leave the ROM (power cut, or a reset with BOOT0 low). */
void hil_romlink_leave(struct hil_romlink *rl);

/** Arm the rom_nack / rom_silent / rom_late faults of an update step (others ignored). */
void hil_romlink_arm(struct hil_romlink *rl, const struct hil_fault *faults, int nfaults);

/** @return true if fault @p i of the armed list fired. */
bool hil_romlink_fired(const struct hil_romlink *rl, int i);

/** Add boot.sock's descriptors to @p fds (at most @p max). @return entries used. */
int hil_romlink_poll_fds(struct hil_romlink *rl, struct pollfd *fds, int max);

/** Accept, read control lines, call ops.nrst, answer. */
void hil_romlink_service(struct hil_romlink *rl);

#endif /* HIL_ROM_LINK_H */
