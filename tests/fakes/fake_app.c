/**
 * @file fake_app.c
 * @brief Application-side calls into the bootloader (fake_app.h).
 */
#include "fake_app.h"
#include <string.h>
#include "fota/boot.h"
#include "fota/crc32.h"
#include "fota/proto.h"

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

struct fake_bg {
    const uint8_t *img;
    uint32_t len, flags, resume;
    int rc;
};

/* Erase what the image needs, then program from b->resume to the end. */
static int fake_bg_write(const struct fake_bg *b)
{
    uint32_t off = b->resume, next = 0;
    int rc = 0;

    while (off == 0u && rc == 0 && next < b->len) {
        rc = bl_api_table.ba_slot_erase(next, &next);
    }
    while (rc == 0 && off < b->len) {
        uint32_t n = b->len - off < PROTO_MAX_DATA ? b->len - off : PROTO_MAX_DATA;

        rc = bl_api_table.ba_slot_program(off, b->img + off, n);
        off += n;
    }
    return rc;
}

static void fake_background_fn(void *arg)
{
    struct fake_bg *b = arg;
    struct image_header h;
    uint32_t crc = 0;

    memcpy(&h, b->img, sizeof(h));
    b->rc = bl_api_table.ba_slot_begin(&h, b->flags, &b->resume, &crc);
    if (b->rc == 0 && b->resume != 0u && crc != crc32_update(0u, b->img, b->resume)) {
        b->rc = bl_api_table.ba_slot_begin(&h, PROTO_BEGIN_F_FRESH, &b->resume, &crc);
    }
    if (b->rc == 0) {
        b->rc = fake_bg_write(b);
    }
    if (b->rc == 0) {
        b->rc = bl_api_table.ba_slot_commit(&h);
    }
}

enum sim_exit fake_app_background(const uint8_t *img, uint32_t len, uint32_t flags, int *rc, uint32_t *resumed)
{
    struct fake_bg b = { .img = img, .len = len, .flags = flags, .resume = 0, .rc = -1 };
    enum sim_exit e = sim_run(fake_background_fn, &b);

    *rc = b.rc;
    if (resumed != NULL) {
        *resumed = b.resume;
    }
    return e;
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
