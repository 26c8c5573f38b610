/**
 * @file rom_quirks.c
 * @brief `rom_quirks:` of a scenario (rom_quirks.h).
 */
#include "scenario/rom_quirks.h"
#include "scenario/parse_util.h"

#include <string.h>

#include "fota/errors.h"

static const struct {
    const char *name;
    uint32_t bit;
} quirk_names[] = {
    { "erase_no_ack", HIL_ROM_QUIRK_ERASE_NO_ACK },
    { "late_param_nack", HIL_ROM_QUIRK_LATE_PARAM_NACK },
    { "i2c_write_128", HIL_ROM_QUIRK_I2C_WRITE_128 },
    { "uart_byte_gap", HIL_ROM_QUIRK_UART_BYTE_GAP },
};

#define QUIRK_COUNT (sizeof(quirk_names) / sizeof(quirk_names[0]))

const char *hil_rom_quirk_name(uint32_t bit)
{
    for (size_t i = 0; i < QUIRK_COUNT; i++) {
        if (quirk_names[i].bit == bit) {
            return quirk_names[i].name;
        }
    }
    return "?";
}

/* One item: a known name not given before. */
static int quirk_item(struct pctx *c, yaml_node_t *it, uint32_t *bits)
{
    const char *s = hil_sp_scalar(it);
    if (s == NULL || it->type != YAML_SCALAR_NODE) {
        return hil_sp_fail(c, it, "rom_quirks: each item must be a quirk name "
                           "(erase_no_ack|late_param_nack|i2c_write_128|uart_byte_gap)");
    }
    for (size_t i = 0; i < QUIRK_COUNT; i++) {
        if (strcmp(s, quirk_names[i].name) != 0) {
            continue;
        }
        if ((*bits & quirk_names[i].bit) != 0) {
            return hil_sp_fail(c, it, "rom_quirks: '%s' given twice", s);
        }
        *bits |= quirk_names[i].bit;
        return 0;
    }
    return hil_sp_fail(c, it, "rom_quirks: unknown quirk '%s' (erase_no_ack|late_param_nack|i2c_write_128|"
                       "uart_byte_gap)", s);
}

int hil_parse_rom_quirks(struct pctx *c, yaml_node_t *n, uint32_t *out)
{
    yaml_node_item_t *items = NULL;
    uint32_t bits = 0;
    int cnt = hil_sp_seq(c, n, "rom_quirks", &items);
    if (cnt < 0) {
        return FOTA_EINVAL;
    }
    for (int i = 0; i < cnt; i++) {
        if (quirk_item(c, hil_sp_item(c, items[i]), &bits) != 0) {
            return FOTA_EINVAL;
        }
    }
    *out = bits;
    return 0;
}
