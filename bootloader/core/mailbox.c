/**
 * @file mailbox.c
 * @brief Default bl_mailbox(): the SRAM mailbox at LAYOUT_MAILBOX_ADDR.
 * Weak, so a port (the sim port) can redirect it; the stm32f4 port needs
 * nothing. Never dereferenced on the host unless a port is linked.
 */
#include "fota/boot.h"

__attribute__((weak)) volatile struct bl_mailbox *bl_mailbox(void)
{
    return BL_MAILBOX;
}
