/**
 * @file port_flash_check.c
 * @brief The flash-argument rules of fota/port.h, defined once (see
 * port_flash_check_erase() and port_flash_check_program() there). Every
 * port (stm32f4, sim) and every harness backend that serves or observes
 * the HIL-served flash functions (harness/target/rsp_target.c) asks
 * these, so an argument is refused in the same way everywhere.
 */
#include <stdint.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fota/port.h"
#include "fota/proto.h"

/* The bootloader's own sectors (0, 1) are never erased or programmed
 * through the port: a torn write there would brick the device. */
#define PORT_FLASH_FIRST_WRITABLE (LAYOUT_BOOT_ADDR + LAYOUT_BOOT_SIZE)

/* The core's writes fit in one call: a DATA payload, a metadata record. */
_Static_assert(PORT_FLASH_PROGRAM_MAX >= PROTO_MAX_DATA, "a DATA payload is one port_flash_program");
_Static_assert(PORT_FLASH_PROGRAM_MAX >= META_RECORD_SIZE, "a metadata record is one port_flash_program");

int port_flash_check_erase(uint32_t sector)
{
    if (sector >= LAYOUT_FLASH_SECTORS ||
        LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(sector) < PORT_FLASH_FIRST_WRITABLE) {
        return FOTA_ERANGE;
    }
    return 0;
}

int port_flash_check_program(uint32_t addr, uint32_t len)
{
    if (len == 0u || len > PORT_FLASH_PROGRAM_MAX) {
        return FOTA_ERANGE;
    }
    /* 64-bit end: addr + len must not wrap past 4 GB into the flash. */
    if (addr < PORT_FLASH_FIRST_WRITABLE ||
        (uint64_t)addr + len > (uint64_t)LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE) {
        return FOTA_ERANGE;
    }
    return 0;
}
