/**
 * @file console.c
 * @brief The bootloader's tiny console formatter (no printf on target):
 * builds the "BL: ..." lines of docs/ARCHITECTURE.md "Console contract".
 */
#include "bl_private.h"
#include "fota/image.h"
#include "fota/port.h"

void bl_line_start(struct bl_line *l)
{
    l->len = 0;
    bl_line_str(l, "BL: ");
}

void bl_line_str(struct bl_line *l, const char *s)
{
    while (*s != '\0' && l->len < BL_LINE_MAX) {
        l->buf[l->len++] = *s++;
    }
}

void bl_line_u32(struct bl_line *l, uint32_t v)
{
    char tmp[11];
    unsigned n = 0;

    do {
        tmp[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (n > 0u && l->len < BL_LINE_MAX) {
        l->buf[l->len++] = tmp[--n];
    }
}

void bl_line_version(struct bl_line *l, uint32_t v)
{
    bl_line_u32(l, IMAGE_VERSION_MAJOR(v));
    bl_line_str(l, ".");
    bl_line_u32(l, IMAGE_VERSION_MINOR(v));
    bl_line_str(l, ".");
    bl_line_u32(l, IMAGE_VERSION_PATCH(v));
}

void bl_line_slot(struct bl_line *l, uint32_t slot)
{
    bl_line_str(l, bl_slot_valid(slot) ? LAYOUT_SLOT_NAME(slot) : "-");
}

void bl_line_end(struct bl_line *l)
{
    l->buf[l->len++] = '\r';
    l->buf[l->len++] = '\n';
    l->buf[l->len] = '\0';
    port_console_write(l->buf);
}
