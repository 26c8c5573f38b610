/**
 * @file fake_app.c
 * @brief Application-side calls into the bootloader (fake_app.h).
 */
#include "fake_app.h"
#include "fota/boot.h"

static void fake_confirm_fn(void *arg)
{
    *(int *)arg = bl_api_table.ba_confirm();
}

enum sim_exit fake_app_confirm(int *rc)
{
    *rc = -1;
    return sim_run(fake_confirm_fn, rc);
}

static void fake_enter_update_fn(void *arg)
{
    (void)arg;
    bl_api_table.ba_enter_update();
}

enum sim_exit fake_app_enter_update(void)
{
    return sim_run(fake_enter_update_fn, NULL);
}

int fake_app_get_state(uint32_t *slot, uint32_t *state)
{
    return bl_api_table.ba_get_state(slot, state);
}

uint32_t fake_vectors_slot(uint32_t vectors)
{
    if (vectors == LAYOUT_APP_VECTORS(LAYOUT_SLOT_A)) {
        return LAYOUT_SLOT_A;
    }
    if (vectors == LAYOUT_APP_VECTORS(LAYOUT_SLOT_B)) {
        return LAYOUT_SLOT_B;
    }
    return 0xFFu;
}
