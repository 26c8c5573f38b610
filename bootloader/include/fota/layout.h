/**
 * @file layout.h
 * @brief The one definition of the STM32F405/407 flash and RAM layout.
 *
 * Everything that needs an address comes from here: the bootloader core,
 * the stm32f4 port, the linker scripts (generated from *.ld.in by the C
 * preprocessor), the host image packer and the harness's flash model.
 *
 * Sector map: RM0090 rev 19, section 3.3 "Embedded flash memory", Table 5
 * "Flash module organization (STM32F40x and STM32F41x)": 4 x 16 KB,
 * 1 x 64 KB, 7 x 128 KB = 1 MB.
 *
 * NOTE: this header must stay includable by the linker-script preprocessor:
 * macros only, no C declarations outside the LAYOUT_C_DECLS block.
 */
#ifndef FOTA_LAYOUT_H
#define FOTA_LAYOUT_H

/* ---- Flash (RM0090 Table 5) ---- */
#define LAYOUT_FLASH_BASE        0x08000000u
#define LAYOUT_FLASH_SIZE        0x00100000u /* 1 MB */
#define LAYOUT_FLASH_SECTORS     12u
/* Programming can only clear bits; erase sets every byte of a sector to 0xFF. */
#define LAYOUT_FLASH_ERASED      0xFFu

/* Sector n start offset from LAYOUT_FLASH_BASE, n in 0..11. */
#define LAYOUT_SECTOR_OFFSET(n) \
    ((n) < 4u ? (n) * 0x4000u : ((n) == 4u ? 0x10000u : ((n) - 4u) * 0x20000u))
/* Sector n size in bytes, n in 0..11. */
#define LAYOUT_SECTOR_SIZE(n) \
    ((n) < 4u ? 0x4000u : ((n) == 4u ? 0x10000u : 0x20000u))

/* ---- Regions ---- */
/* Bootloader: sectors 0-1 (32 KB). */
#define LAYOUT_BOOT_ADDR         0x08000000u
#define LAYOUT_BOOT_SIZE         0x00008000u
/* Bootloader services table (struct bl_api) at a fixed address, right after
 * the bootloader's vector table (98 vectors = 392 bytes, padded to 0x200).
 * NOTE: applications call through it; it must never move. */
#define LAYOUT_BL_API_ADDR       0x08000200u

/* Metadata: sectors 2 and 3, two copies written alternately. */
#define LAYOUT_META0_SECTOR      2u
#define LAYOUT_META1_SECTOR      3u
#define LAYOUT_META0_ADDR        0x08008000u
#define LAYOUT_META1_ADDR        0x0800C000u
#define LAYOUT_META_SECTOR_SIZE  0x00004000u

/* Sector 4 (64 KB) reserved. Sector 11 (128 KB) reserved. */

/* Slot A: sectors 5-7 (384 KB); slot B: sectors 8-10 (384 KB). */
#define LAYOUT_SLOT_COUNT        2u
#define LAYOUT_SLOT_A            0u
#define LAYOUT_SLOT_B            1u
#define LAYOUT_SLOT_A_ADDR       0x08020000u
#define LAYOUT_SLOT_B_ADDR       0x08080000u
#define LAYOUT_SLOT_SIZE         0x00060000u
#define LAYOUT_SLOT_A_FIRST_SECTOR 5u
#define LAYOUT_SLOT_B_FIRST_SECTOR 8u
#define LAYOUT_SLOT_SECTORS      3u
#define LAYOUT_SLOT_ADDR(s)      ((s) == LAYOUT_SLOT_A ? LAYOUT_SLOT_A_ADDR : LAYOUT_SLOT_B_ADDR)
#define LAYOUT_SLOT_FIRST_SECTOR(s) \
    ((s) == LAYOUT_SLOT_A ? LAYOUT_SLOT_A_FIRST_SECTOR : LAYOUT_SLOT_B_FIRST_SECTOR)
#define LAYOUT_SLOT_NAME(s)      ((s) == LAYOUT_SLOT_A ? "A" : "B")

/* Image header at the start of a slot; the application's vector table
 * follows it. 0x200 keeps the vector table aligned for VTOR (98 vectors
 * need 512-byte alignment, ARMv7-M ARM B3.2.5). */
#define LAYOUT_IMAGE_HEADER_SIZE 0x200u
#define LAYOUT_APP_VECTORS(s)    (LAYOUT_SLOT_ADDR(s) + LAYOUT_IMAGE_HEADER_SIZE)

/* ---- SRAM (RM0090 section 2.3.1: SRAM1 112 KB + SRAM2 16 KB, contiguous) ---- */
#define LAYOUT_RAM_BASE          0x20000000u
#define LAYOUT_RAM_SIZE          0x00020000u
/* Bootloader-owned RAM: its .data/.bss/stack. The services table runs on the
 * application's stack but may use this region, so applications never link
 * anything here. */
#define LAYOUT_BL_RAM_ADDR       0x20000000u
#define LAYOUT_BL_RAM_SIZE       0x00003F00u
/* Boot request mailbox (struct bl_mailbox), not initialised by either
 * program; survives a warm reset. NOTE: fixed address shared by the
 * bootloader and every application build. */
#define LAYOUT_MAILBOX_ADDR      0x20003F00u
#define LAYOUT_MAILBOX_SIZE      0x00000100u
/* Application RAM. */
#define LAYOUT_APP_RAM_ADDR      0x20004000u
#define LAYOUT_APP_RAM_SIZE      0x0001C000u

/* ---- Peripherals used for the two USARTs (RM0090 Table 1) ---- */
/* Update link: USART1 (the ST ROM bootloader's USART too, AN2606).
 * Console: USART2 (the ST-LINK virtual COM port on Nucleo boards).
 * Under QEMU the first -serial is USART1, the second USART2. */
#define LAYOUT_LINK_USART        1
#define LAYOUT_CONSOLE_USART     2

#endif /* FOTA_LAYOUT_H */
