/**
 * @file flashmodel.c
 * @brief The harness's flash model (see flashmodel.h): STM32F405/407 flash
 * semantics after RM0090 rev 19, section 3.6 (erase: whole sector to 0xFF;
 * programming: bits go 1 -> 0 only) and the sector map of Table 5 as
 * defined once in fota/layout.h.
 */
#include "target/flashmodel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fota/errors.h"
#include "fota/layout.h"

_Static_assert(sizeof(((struct hil_flash *)0)->mem) == LAYOUT_FLASH_SIZE,
               "flash model size must match fota/layout.h");

void hil_flash_init(struct hil_flash *f)
{
    memset(f->mem, LAYOUT_FLASH_ERASED, sizeof(f->mem));
    f->programs = 0;
    f->erases = 0;
}

/* @return true when [addr, addr + len) lies inside the flash. */
static int flash_range_ok(uint32_t addr, uint32_t len)
{
    if (addr < LAYOUT_FLASH_BASE) {
        return 0;
    }
    uint64_t off = (uint64_t)addr - LAYOUT_FLASH_BASE;
    return off + len <= LAYOUT_FLASH_SIZE;
}

int hil_flash_erase(struct hil_flash *f, uint32_t sector, enum hil_torn torn)
{
    if (sector >= LAYOUT_FLASH_SECTORS) {
        return FOTA_ERANGE;
    }
    uint32_t off = LAYOUT_SECTOR_OFFSET(sector);
    uint32_t size = LAYOUT_SECTOR_SIZE(sector);
    switch (torn) {
    case HIL_TORN_NONE:
        return 0;
    case HIL_TORN_HALF:
        /* An erase interrupted half-way: the first half of the sector reads
         * erased, the rest keeps its old contents. */
        memset(&f->mem[off], LAYOUT_FLASH_ERASED, size / 2u);
        return 0;
    case HIL_TORN_BITS:
        /* Cut while the erase pulses were raising the cells: half of the
         * bits of every byte already read 1. */
        for (uint32_t i = 0; i < size; i++) {
            f->mem[off + i] |= 0x55u;
        }
        return 0;
    case HIL_TORN_ALL:
    default:
        /* Only complete operations count as applied. */
        memset(&f->mem[off], LAYOUT_FLASH_ERASED, size);
        f->erases++;
        return 0;
    }
}

int hil_flash_program(struct hil_flash *f, uint32_t addr, const void *data,
                      uint32_t len, enum hil_torn torn)
{
    if (!flash_range_ok(addr, len) || (len > 0 && data == NULL)) {
        return FOTA_ERANGE;
    }
    uint32_t n;
    switch (torn) {
    case HIL_TORN_NONE:
        return 0;
    case HIL_TORN_HALF:
        n = (len / 2u) & ~3u;
        break;
    case HIL_TORN_BITS: {
        /* Cut while the cells were being programmed: of the bits that
         * should clear, only those under 0xAA have. */
        const uint8_t *bsrc = data;
        uint8_t *bdst = &f->mem[addr - LAYOUT_FLASH_BASE];
        for (uint32_t i = 0; i < len; i++) {
            bdst[i] &= (uint8_t)(bsrc[i] | 0x55u);
        }
        return 0;
    }
    case HIL_TORN_ALL:
    default:
        n = len;
        break;
    }
    const uint8_t *src = data;
    uint8_t *dst = &f->mem[addr - LAYOUT_FLASH_BASE];
    /* RM0090 3.6.4: programming can only clear bits. */
    for (uint32_t i = 0; i < n; i++) {
        dst[i] &= src[i];
    }
    if (torn == HIL_TORN_ALL) {
        f->programs++;
    }
    return 0;
}

int hil_flash_read(const struct hil_flash *f, uint32_t addr, void *buf, uint32_t len)
{
    if (!flash_range_ok(addr, len) || (len > 0 && buf == NULL)) {
        return FOTA_ERANGE;
    }
    memcpy(buf, &f->mem[addr - LAYOUT_FLASH_BASE], len);
    return 0;
}

int hil_flash_load_file(struct hil_flash *f, uint32_t addr, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return FOTA_EIO;
    }
    if (fseek(fp, 0, SEEK_END) != 0) {
        int e = errno;
        fclose(fp);
        errno = e;
        return FOTA_EIO;
    }
    long size = ftell(fp);
    if (size < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        int e = errno;
        fclose(fp);
        errno = e;
        return FOTA_EIO;
    }
    if ((uint64_t)size > LAYOUT_FLASH_SIZE || !flash_range_ok(addr, (uint32_t)size)) {
        fclose(fp);
        return FOTA_ERANGE;
    }
    /* "As if erased then programmed": the file's bytes replace the cells. */
    uint8_t *dst = &f->mem[addr - LAYOUT_FLASH_BASE];
    size_t got = fread(dst, 1, (size_t)size, fp);
    int rd_err = ferror(fp);
    int e = errno;
    fclose(fp);
    if (got != (size_t)size || rd_err) {
        errno = e;
        return FOTA_EIO;
    }
    return 0;
}

int hil_flash_save(const struct hil_flash *f, const char *path)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        return FOTA_EIO;
    }
    size_t put = fwrite(f->mem, 1, sizeof(f->mem), fp);
    int rc_close = fclose(fp);
    if (put != sizeof(f->mem) || rc_close != 0) {
        return FOTA_EIO;
    }
    return 0;
}

int hil_flash_sector_of(uint32_t addr)
{
    if (!flash_range_ok(addr, 1)) {
        return -1;
    }
    uint32_t off = addr - LAYOUT_FLASH_BASE;
    for (uint32_t s = 0; s < LAYOUT_FLASH_SECTORS; s++) {
        if (off >= LAYOUT_SECTOR_OFFSET(s) && off < LAYOUT_SECTOR_OFFSET(s) + LAYOUT_SECTOR_SIZE(s)) {
            return (int)s;
        }
    }
    return -1; /* cannot happen: Table 5 covers the whole megabyte */
}

enum hil_region hil_flash_region_of(uint32_t addr)
{
    if (addr >= LAYOUT_BOOT_ADDR && addr < LAYOUT_BOOT_ADDR + LAYOUT_BOOT_SIZE) {
        return HIL_REGION_BOOT;
    }
    if (addr >= LAYOUT_META0_ADDR && addr < LAYOUT_META1_ADDR + LAYOUT_META_SECTOR_SIZE) {
        return HIL_REGION_META;
    }
    if (addr >= LAYOUT_SLOT_A_ADDR && addr < LAYOUT_SLOT_A_ADDR + LAYOUT_SLOT_SIZE) {
        return HIL_REGION_SLOT_A;
    }
    if (addr >= LAYOUT_SLOT_B_ADDR && addr < LAYOUT_SLOT_B_ADDR + LAYOUT_SLOT_SIZE) {
        return HIL_REGION_SLOT_B;
    }
    return HIL_REGION_OTHER;
}
