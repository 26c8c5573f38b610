/**
 * @file flash.c
 * @brief Flash erase/program/read of fota/port.h for the STM32F405/407
 * (RM0090 3 "Embedded Flash memory interface").
 *
 * port_flash_erase_sector() and port_flash_program() are HIL-SERVED: under
 * QEMU the harness breaks on their entry, applies the operation to its
 * flash model, sets r0 and returns, so the register code below runs only
 * on a board. They stay real, non-inlined, external functions.
 *
 * They are also reached from applications (BL_API->ba_confirm commits
 * metadata), where the bootloader's SysTick is not running: the waits here
 * are bounded by iteration counts, never by port_ticks_ms().
 */
#include <stdint.h>
#include <string.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/port.h"
#include "stm32f4_regs.h"

/* Upper bound for one BSY wait. Sector erase of 128 KB takes up to 4 s
 * (DS8626 Table 41 t_ERASE128KB, x8; 2 s at x32). While an operation runs,
 * code fetched from flash stalls on the bus (RM0090 3.6.3), so from flash
 * this loop polls only a few times; the bound matters only for code run
 * from RAM: 2^28 polls of >= 5 cycles at 168 MHz is > 8 s. */
#define FLASH_BSY_SPIN_MAX  (1u << 28)

/* The argument rules (bootloader sectors, lengths) are the core's:
 * port_flash_check_erase() / port_flash_check_program(). */
#define FLASH_END            (LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE)

/* Wait for BSY to clear (RM0090 3.6.3 / 3.6.4 "wait for the BSY bit to be
 * cleared"). QEMU leaves FLASH unimplemented: SR reads 0, done at once.
 * @return 0; FOTA_EFLASH on timeout. */
static int flash_wait_idle(void)
{
    uint32_t i;

    for (i = 0u; i < FLASH_BSY_SPIN_MAX; i++) {
        if ((FLASH_SR & FLASH_SR_BSY) == 0u) {
            return 0;
        }
    }
    return FOTA_EFLASH;
}

/* Unlock FLASH_CR (RM0090 3.6.1): KEY1 then KEY2 into FLASH_KEYR. A wrong
 * sequence locks FLASH_CR until the next reset, so check LOCK afterwards
 * and never fail silently (STYLE.md #5). */
static int flash_unlock(void)
{
    if ((FLASH_CR & FLASH_CR_LOCK) != 0u) {
        FLASH_KEYR = FLASH_KEYR_KEY1;
        FLASH_KEYR = FLASH_KEYR_KEY2;
    }
    if ((FLASH_CR & FLASH_CR_LOCK) != 0u) {
        return FOTA_ELOCKED;
    }
    return 0;
}

/* Clear the operation bits and lock FLASH_CR again (RM0090 3.9.5). */
static void flash_lock(void)
{
    FLASH_CR &= ~(FLASH_CR_PG | FLASH_CR_SER | FLASH_CR_MER |
                  (FLASH_CR_SNB_MASK << FLASH_CR_SNB_SHIFT));
    FLASH_CR |= FLASH_CR_LOCK;
}

/* Clear EOP and the error flags (rc_w1, RM0090 3.9.4). */
static void flash_clear_flags(void)
{
    FLASH_SR = FLASH_SR_EOP | FLASH_SR_ERRORS;
}

/* The ART data cache may hold lines of what was just erased or programmed
 * (RM0090 3.5.2): reset it (DCRST only works with DCEN clear). */
static void flash_dcache_reset(void)
{
    uint32_t acr = FLASH_ACR;

    if ((acr & FLASH_ACR_DCEN) != 0u) {
        FLASH_ACR = acr & ~FLASH_ACR_DCEN;
        FLASH_ACR = (acr & ~FLASH_ACR_DCEN) | FLASH_ACR_DCRST;
        FLASH_ACR = acr & ~FLASH_ACR_DCRST;
    }
}

/* After an operation: BSY, then the error flags -> FOTA_EFLASH. */
static int flash_finish(void)
{
    int rc = flash_wait_idle();

    if ((FLASH_SR & FLASH_SR_ERRORS) != 0u) {
        rc = FOTA_EFLASH;
    }
    return rc;
}

static void flash_set_psize(uint32_t psize)
{
    uint32_t cr = FLASH_CR;

    cr &= ~(FLASH_CR_PSIZE_MASK << FLASH_CR_PSIZE_SHIFT);
    cr |= psize << FLASH_CR_PSIZE_SHIFT;
    FLASH_CR = cr;
}

PORT_HIL_SERVED
int port_flash_erase_sector(uint32_t sector)
{
    uint32_t cr;
    int rc;

    rc = port_flash_check_erase(sector);
    if (rc != 0) {
        return rc;
    }
    rc = flash_wait_idle();
    if (rc != 0) {
        return rc;
    }
    rc = flash_unlock();
    if (rc != 0) {
        return rc;
    }
    flash_clear_flags();

    /* Sector erase (RM0090 3.6.3): PSIZE x32, SER and SNB, then STRT. */
    cr = FLASH_CR;
    cr &= ~((FLASH_CR_SNB_MASK << FLASH_CR_SNB_SHIFT) |
            (FLASH_CR_PSIZE_MASK << FLASH_CR_PSIZE_SHIFT) | FLASH_CR_PG | FLASH_CR_MER);
    cr |= FLASH_CR_SER | ((sector & FLASH_CR_SNB_MASK) << FLASH_CR_SNB_SHIFT) |
          (FLASH_CR_PSIZE_X32 << FLASH_CR_PSIZE_SHIFT);
    FLASH_CR = cr;
    FLASH_CR |= FLASH_CR_STRT;
    rc = flash_finish();

    flash_clear_flags();
    flash_lock();
    flash_dcache_reset();
    return rc;
}

PORT_HIL_SERVED
int port_flash_program(uint32_t addr, const void *data, uint32_t len)
{
    const uint8_t *src = data;
    uint32_t end = addr + len;
    int rc = port_flash_check_program(addr, len);

    if (rc != 0) {
        return rc;
    }
    if (data == NULL) {
        return FOTA_EINVAL;
    }
    rc = flash_wait_idle();
    if (rc != 0) {
        return rc;
    }
    rc = flash_unlock();
    if (rc != 0) {
        return rc;
    }
    flash_clear_flags();

    /* Programming (RM0090 3.6.4): PG set, one write of PSIZE width at a
     * time, BSY wait after each. Bytes (x8) up to a word boundary and for
     * the tail, words (x32) in between. Source may be unaligned. */
    FLASH_CR |= FLASH_CR_PG;
    while (rc == 0 && addr < end) {
        if ((addr & 3u) == 0u && end - addr >= 4u) {
            uint32_t w;

            memcpy(&w, src, sizeof(w));
            flash_set_psize(FLASH_CR_PSIZE_X32);
            *(volatile uint32_t *)(uintptr_t)addr = w;
            addr += 4u;
            src += 4;
        } else {
#ifndef FOTA_TEST_BROKEN_FLASH_PSIZE
            flash_set_psize(FLASH_CR_PSIZE_X8);
#endif
            /* FOTA_TEST_BROKEN_FLASH_PSIZE (make test, tests/f407): the
             * test-only broken driver keeps PSIZE x32 for byte writes, so
             * silicon (and fota-f407) answers PGPERR (RM0090 3.6.4, 3.9.4);
             * stock QEMU serves this function and never sees it. */
            *(volatile uint8_t *)(uintptr_t)addr = *src;
            addr += 1u;
            src += 1;
        }
        __asm volatile("dsb" ::: "memory");
        rc = flash_finish();
    }

    flash_clear_flags();
    flash_lock();
    flash_dcache_reset();
    return rc;
}

int port_flash_read(uint32_t addr, void *buf, uint32_t len)
{
    uint32_t end = addr + len;

    if (buf == NULL && len != 0u) {
        return FOTA_EINVAL;
    }
    if (addr < LAYOUT_FLASH_BASE || end > FLASH_END || end < addr) {
        return FOTA_ERANGE;
    }
    /* Memory-mapped (RM0090 3.5). */
    memcpy(buf, (const void *)(uintptr_t)addr, len);
    return 0;
}
