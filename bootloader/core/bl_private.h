/**
 * @file bl_private.h
 * @brief Helpers shared by the bootloader core's files; not a public API.
 */
#ifndef FOTA_BL_PRIVATE_H
#define FOTA_BL_PRIVATE_H

#include <stdint.h>
#include "fota/layout.h"
#include "fota/meta.h"

/** @return the other slot of @p slot (LAYOUT_SLOT_A <-> LAYOUT_SLOT_B). */
static inline uint8_t bl_other_slot(uint8_t slot)
{
    return (slot == LAYOUT_SLOT_A) ? (uint8_t)LAYOUT_SLOT_B : (uint8_t)LAYOUT_SLOT_A;
}

/** @return nonzero if @p slot names a slot (not META_NO_SLOT or garbage). */
static inline int bl_slot_valid(uint32_t slot)
{
    return slot < LAYOUT_SLOT_COUNT;
}

/**
 * Console line builder: no printf on target. A line starts with "BL: ",
 * pieces are appended, bl_line_end() adds "\r\n" and writes it. Overlong
 * lines are truncated, never overrun.
 */
#define BL_LINE_MAX 120u
struct bl_line {
    char     buf[BL_LINE_MAX + 3u];
    uint32_t len;
};

/** Start a line with the "BL: " prefix. */
void bl_line_start(struct bl_line *l);
/** Append a NUL-terminated string. */
void bl_line_str(struct bl_line *l, const char *s);
/** Append @p v in decimal. */
void bl_line_u32(struct bl_line *l, uint32_t v);
/** Append an ih_version as "major.minor.patch". */
void bl_line_version(struct bl_line *l, uint32_t v);
/** Append "A", "B", or "-" for anything else (META_NO_SLOT). */
void bl_line_slot(struct bl_line *l, uint32_t slot);
/** Terminate with "\r\n" and send to port_console_write(). */
void bl_line_end(struct bl_line *l);

/** @return nonzero if all @p len bytes of flash at @p addr are 0xFF; sets *rc on read error. */
int bl_flash_is_erased(uint32_t addr, uint32_t len, int *rc);

#endif /* FOTA_BL_PRIVATE_H */
