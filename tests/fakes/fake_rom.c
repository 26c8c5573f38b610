/**
 * @file fake_rom.c
 * @brief The emulated ROM over a fresh flash model (fake_rom.h).
 */
#include "fake_rom.h"

#include <stdlib.h>

int fake_rom_new(struct hil_flash **fm, struct hil_rom **rom, fake_rom_init_fn init)
{
    *fm = malloc(sizeof(**fm));
    *rom = malloc(sizeof(**rom));
    if (*fm == NULL || *rom == NULL) {
        free(*fm);
        free(*rom);
        return -1;
    }
    hil_flash_init(*fm);
    init(*rom, *fm, NULL);
    return 0;
}

int fake_rom_free(struct hil_flash *fm, struct hil_rom *rom)
{
    free(fm);
    free(rom);
    return 0;
}
