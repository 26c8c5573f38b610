/**
 * @file fake_rom.h
 * @brief The emulated ST ROM (harness/link/rom_an3155.h) over a fresh
 * flash model (every byte 0xFF), for the tests/harness/rom_*-test files.
 */
#ifndef FAKE_ROM_H
#define FAKE_ROM_H

#include "link/rom_an3155.h"

/** The framing's init: hil_rom_init, hil_rom_init_spi, hil_rom_init_i2c. */
typedef void (*fake_rom_init_fn)(struct hil_rom *r, struct hil_flash *flash, const struct hil_rom_hooks *hooks);

/**
 * Allocate a flash model and a ROM, erase the flash, @p init the ROM over
 * it without hooks. @return 0; -1 (out of memory: nothing allocated).
 */
int fake_rom_new(struct hil_flash **fm, struct hil_rom **rom, fake_rom_init_fn init);

/** Free what fake_rom_new() allocated. @return 0. */
int fake_rom_free(struct hil_flash *fm, struct hil_rom *rom);

#endif /* FAKE_ROM_H */
