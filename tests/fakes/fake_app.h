/**
 * @file fake_app.h
 * @brief What an application does with the bootloader, on the sim port:
 * call the services table (bl_api_table) under sim_run().
 */
#ifndef FAKE_APP_H
#define FAKE_APP_H

#include <stdint.h>
#include "sim.h"

/** ba_confirm(); *rc receives its result if it returned. */
enum sim_exit fake_app_confirm(int *rc);
/** ba_enter_update(): expected SIM_EXIT_RESET. */
enum sim_exit fake_app_enter_update(void);
/** ba_get_state(). @return its result. */
int fake_app_get_state(uint32_t *slot, uint32_t *state);
/**
 * A background update as an application does it through the services
 * table (ba_version >= 3): ba_slot_begin(@p flags), the CRC of the offered
 * prefix checked against @p img (a mismatch starts over FRESH, as the
 * host does), every sector the image needs erased when the offer is 0,
 * ba_slot_program() in PROTO_MAX_DATA chunks, ba_slot_commit().
 * @param img      the whole image (header, payload, TLV area), @p len bytes
 * @param rc       receives the first non-zero result, or 0
 * @param resumed  optional: receives the offset the write resumed at
 * @return the sim exit (SIM_EXIT_RETURNED, or SIM_EXIT_POWER_CUT ...).
 */
enum sim_exit fake_app_background(const uint8_t *img, uint32_t len, uint32_t flags, int *rc, uint32_t *resumed);
/** The slot whose vector table is at @p vectors, or 0xFF. */
uint32_t fake_vectors_slot(uint32_t vectors);

#endif
