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
/** The slot whose vector table is at @p vectors, or 0xFF. */
uint32_t fake_vectors_slot(uint32_t vectors);

#endif
