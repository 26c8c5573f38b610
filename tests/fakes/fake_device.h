/**
 * @file fake_device.h
 * @brief Put the simulated device into a known state (images + metadata)
 * and boot it, for the boot, update and sweep tests.
 */
#ifndef FAKE_DEVICE_H
#define FAKE_DEVICE_H

#include <stdint.h>
#include "fota/meta.h"
#include "sim.h"

/**
 * Commit a record describing the images now in the slots (version, size,
 * CRC from their headers; zeros for a slot without a valid header magic).
 * @return meta_commit()'s result.
 */
int fake_meta_set(uint8_t active, uint8_t trial, uint8_t state_a, uint8_t state_b);

/** meta_load() or fail loudly: @return the record's state of @p slot, 0xFF if no metadata. */
uint8_t fake_meta_state(uint8_t slot);

/** Power-cycle and boot: @return the exit; *slot receives the jumped-to slot (0xFF if none). */
enum sim_exit fake_boot(uint32_t *slot);
/** Boot after a warm reset (SRAM and the mailbox kept); like fake_boot(). */
enum sim_exit fake_reboot(uint32_t *slot);

#endif
