/**
 * @file bl_flash.c
 * @brief Small flash helpers shared by the metadata log and the update
 * receiver.
 */
#include "bl_private.h"
#include "fota/errors.h"
#include "fota/port.h"

int bl_flash_is_erased(uint32_t addr, uint32_t len, int *rc)
{
    uint32_t buf[16];

    *rc = 0;
    while (len > 0u) {
        uint32_t n = (len < sizeof(buf)) ? len : (uint32_t)sizeof(buf);
        const uint8_t *b = (const uint8_t *)buf;
        uint32_t i;

        if (port_flash_read(addr, buf, n) != 0) {
            *rc = FOTA_EIO;
            return 0;
        }
        for (i = 0; i < n; i++) {
            if (b[i] != LAYOUT_FLASH_ERASED) {
                return 0;
            }
        }
        addr += n;
        len -= n;
    }
    return 1;
}
