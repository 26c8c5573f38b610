/**
 * @file flashmodel.h
 * @brief The harness's flash model: the source of truth for the device's
 * flash. A 1 MB buffer with STM32F4 semantics (RM0090 3.6): the sector map
 * of Table 5 (from fota/layout.h), erase sets a whole sector to 0xFF,
 * programming can only clear bits (new = old & data), plus the torn states
 * a power cut can leave. Optional file backing for handing to QEMU.
 */
#ifndef HIL_FLASHMODEL_H
#define HIL_FLASHMODEL_H

#include <stdint.h>
#include <stddef.h>

/** How much of an interrupted operation reached the cells. */
enum hil_torn {
    HIL_TORN_NONE = 0, /**< nothing written / sector unchanged */
    HIL_TORN_HALF = 1, /**< program: first half of the bytes (rounded down to a word); erase: first half of the sector is 0xFF */
    HIL_TORN_ALL = 2,  /**< the operation completed just before the cut */
    HIL_TORN_BITS = 3, /**< program: every byte only partly programmed (new = old & (data | 0x55));
                            erase: every byte partly erased (old | 0x55) */
};

struct hil_flash {
    uint8_t  mem[0x100000];     /**< LAYOUT_FLASH_SIZE bytes, offset 0 = LAYOUT_FLASH_BASE */
    uint32_t programs;          /**< program operations applied since hil_flash_init */
    uint32_t erases;            /**< erase operations applied since hil_flash_init */
};

/** Fill with 0xFF (every sector erased) and zero the counters. */
void hil_flash_init(struct hil_flash *f);

/**
 * Erase @p sector (0..11) completely, or partly as @p torn says.
 * @return 0; FOTA_ERANGE (sector > 11).
 */
int hil_flash_erase(struct hil_flash *f, uint32_t sector, enum hil_torn torn);

/**
 * Program @p len bytes at absolute address @p addr: mem &= data. With
 * HIL_TORN_HALF only the first (len / 2) & ~3 bytes are programmed.
 * @return 0; FOTA_ERANGE (outside LAYOUT_FLASH_BASE .. +LAYOUT_FLASH_SIZE).
 */
int hil_flash_program(struct hil_flash *f, uint32_t addr, const void *data,
                      uint32_t len, enum hil_torn torn);

/** Copy @p len bytes from absolute @p addr. @return 0; FOTA_ERANGE. */
int hil_flash_read(const struct hil_flash *f, uint32_t addr, void *buf, uint32_t len);

/**
 * Place a file's bytes at absolute @p addr as if erased then programmed
 * (initial state of a scenario; not counted as operations).
 * @return 0; FOTA_EIO (cannot read the file, errno kept); FOTA_ERANGE (does not fit).
 */
int hil_flash_load_file(struct hil_flash *f, uint32_t addr, const char *path);

/** Write the whole 1 MB image to @p path. @return 0; FOTA_EIO. */
int hil_flash_save(const struct hil_flash *f, const char *path);

/** Sector number holding absolute @p addr, or -1 if outside the flash. */
int hil_flash_sector_of(uint32_t addr);

/** Which layout region an operation touches (fota/layout.h). */
enum hil_region {
    HIL_REGION_OTHER = 0,
    HIL_REGION_BOOT = 1,
    HIL_REGION_META = 2,
    HIL_REGION_SLOT_A = 3,
    HIL_REGION_SLOT_B = 4,
};

/** The layout region (fota/layout.h) holding absolute @p addr; HIL_REGION_OTHER outside them. */
enum hil_region hil_flash_region_of(uint32_t addr);

#endif /* HIL_FLASHMODEL_H */
