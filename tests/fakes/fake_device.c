/**
 * @file fake_device.c
 * @brief Device state helpers for the tests (fake_device.h).
 */
#include <string.h>
#include "fake_device.h"
#include "fake_app.h"
#include "fota/image.h"
#include "fota/port.h"

int fake_meta_set(uint8_t active, uint8_t trial, uint8_t state_a, uint8_t state_b)
{
    struct meta_record r;
    struct image_header h;
    uint8_t states[2] = { state_a, state_b };
    uint32_t s;

    memset(&r, 0, sizeof(r));
    r.mr_active = active;
    r.mr_trial_slot = trial;
    for (s = 0; s < LAYOUT_SLOT_COUNT; s++) {
        (void)port_flash_read(LAYOUT_SLOT_ADDR(s), &h, sizeof(h));
        if (h.ih_magic == IMAGE_MAGIC) {
            r.mr_slot[s].ms_version = h.ih_version;
            r.mr_slot[s].ms_size = h.ih_size;
            r.mr_slot[s].ms_crc32 = h.ih_crc32;
        }
        r.mr_slot[s].ms_state = states[s];
    }
    return meta_commit(&r);
}

uint8_t fake_meta_state(uint8_t slot)
{
    struct meta_record r;

    if (meta_load(&r) != 0) {
        return 0xFFu;
    }
    return r.mr_slot[slot].ms_state;
}

enum sim_exit fake_reboot(uint32_t *slot)
{
    enum sim_exit e = sim_boot();

    *slot = (e == SIM_EXIT_JUMP) ? fake_vectors_slot(sim_jump_vectors()) : 0xFFu;
    return e;
}

enum sim_exit fake_boot(uint32_t *slot)
{
    enum sim_exit e;

    sim_power_cycle();
    e = sim_boot();
    *slot = (e == SIM_EXIT_JUMP) ? fake_vectors_slot(sim_jump_vectors()) : 0xFFu;
    return e;
}
