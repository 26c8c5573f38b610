/**
 * @file port.h
 * @brief The port boundary: everything the portable core needs from the
 * hardware. Ports: bootloader/port/stm32f4 (RM0090 registers) and
 * bootloader/port/sim (host, for unit tests).
 *
 * Functions marked HIL-SERVED must stay real, non-inlined, externally
 * visible functions with exactly these signatures: under QEMU the harness
 * puts a breakpoint on their entry (address from the ELF symbol table),
 * performs the operation on its own model, sets r0 and returns to lr. On a
 * board the same binary runs the register code; the harness only observes.
 * NOTE: renaming one of them breaks the harness's symbol lookup
 * (harness/target/rsp_target.c and target_qemu.c, symbol tables).
 */
#ifndef FOTA_PORT_H
#define FOTA_PORT_H

#include <stdint.h>
#include <stddef.h>

#if defined(__GNUC__)
/* noipa: without it gcc -Os may clone the function (.constprop) and call
 * the clone, so a breakpoint on the real symbol never fires. */
#define PORT_HIL_SERVED __attribute__((noinline, noipa, used, externally_visible))
#define PORT_NORETURN __attribute__((noreturn))
#else
#define PORT_HIL_SERVED
#define PORT_NORETURN
#endif

/**
 * HIL-SERVED. Erase one flash sector (RM0090 3.6.3 "Sector Erase": SER,
 * SNB, STRT, wait BSY). Sets every byte of the sector to 0xFF.
 * @param sector  sector number 0..11 (RM0090 Table 5)
 * @return 0; FOTA_ERANGE (port_flash_check_erase() refused it);
 *         FOTA_ELOCKED (FLASH_CR.LOCK did not clear after KEYR);
 *         FOTA_EFLASH (FLASH_SR.WRPERR/PGAERR/PGPERR/PGSERR set).
 */
int port_flash_erase_sector(uint32_t sector);

/**
 * HIL-SERVED. Program @p len bytes at @p addr (RM0090 3.6.4 "Programming":
 * PG, PSIZE; bits can only go from 1 to 0).
 * @param addr  absolute flash address, LAYOUT_FLASH_BASE.., outside the
 *              bootloader sectors
 * @param data  source bytes (RAM)
 * @param len   bytes, 1..PORT_FLASH_PROGRAM_MAX (any alignment; the port
 *              uses word programming where it can and bytes for the rest)
 * @return 0; FOTA_ERANGE (port_flash_check_program() refused addr/len);
 *         FOTA_EINVAL (data NULL); FOTA_ELOCKED; FOTA_EFLASH.
 */
int port_flash_program(uint32_t addr, const void *data, uint32_t len);

/** Largest single port_flash_program(): one DATA payload (fota/proto.h). */
#define PORT_FLASH_PROGRAM_MAX 1024u

/*
 * The flash-argument rules, defined once in the core
 * (bootloader/core/port_flash_check.c). Every port checks its arguments
 * with these before touching the flash, and the harness's backends use
 * the same functions to tell a flash operation from a refused call, so a
 * call is refused identically on the chip, in the sim and in emulation.
 */

/**
 * May @p sector be erased through the port? RM0090 Table 5 has sectors
 * 0..11; sectors 0 and 1 hold the bootloader (fota/layout.h) and are
 * never erased by it.
 * @return 0; FOTA_ERANGE (sector > 11, or a bootloader sector).
 */
int port_flash_check_erase(uint32_t sector);

/**
 * May @p len bytes be programmed at absolute @p addr through the port?
 *
 * Rules: 1 <= len <= PORT_FLASH_PROGRAM_MAX; [addr, addr + len) inside
 * the flash (no wrap past 4 GB) and outside the bootloader sectors.
 * Any alignment of addr and len is allowed (RM0090 3.6.4: x8 programming
 * writes single bytes), and so is a range across a sector end (programming
 * is by address; sectors only matter to erase).
 *
 * Why a zero length is refused (FOTA_ERANGE, not 0): the core never asks
 * for one (a DATA payload has 1..PROTO_MAX_DATA bytes, a metadata record
 * 64), so it can only be a caller's bug, and answering "done" would hide
 * it. It would also be the one call that the harness counts as a flash
 * operation without any cell changing.
 * Why PORT_FLASH_PROGRAM_MAX: the core's largest write is one DATA
 * payload (PROTO_MAX_DATA); the HIL reads the source bytes over the debug
 * link into a buffer of this size, and a fault verdict is per call, so a
 * larger call would be a larger unit of atomicity than the device has.
 *
 * @return 0; FOTA_ERANGE (len 0 or too long, outside the flash, in the
 *         bootloader sectors, or addr + len wraps).
 */
int port_flash_check_program(uint32_t addr, uint32_t len);

/**
 * Read @p len bytes of flash at @p addr into @p buf (memory-mapped on the
 * target; the sim port reads its buffer).
 * @return 0; FOTA_ERANGE (outside the flash).
 */
int port_flash_read(uint32_t addr, void *buf, uint32_t len);

/** Which physical update link the port uses (port_link_type()). */
#define PORT_LINK_UART 0u /**< USART1, 115200 8N1 */
#define PORT_LINK_SPI  1u /**< SPI1 slave (stm32f4: bootloader/port/stm32f4/spi.c, docs/SPI.md) */

/**
 * The update link chosen at boot (stm32f4: the link strap, PB1; sim:
 * UART). port_link_read/port_link_write use it; the portable core never
 * needs to know, applications ask through bl_api (ba_link_type).
 * @return PORT_LINK_UART or PORT_LINK_SPI.
 */
uint32_t port_link_type(void);

/** Send @p len bytes on the update link (USART1 or SPI1). @return 0; FOTA_EIO. */
int port_link_write(const void *buf, uint32_t len);

/**
 * Receive up to @p len bytes from the update link, returning as soon as at
 * least one byte arrived or @p timeout_ms passed.
 * @param got  receives the number of bytes stored (0 on timeout)
 * @return 0 (also on timeout with *got = 0); FOTA_EIO (overrun/framing
 *         error reported by the USART, bytes were lost).
 */
int port_link_read(void *buf, uint32_t len, uint32_t timeout_ms, uint32_t *got);

/** Write a NUL-terminated string to the console (USART2). Never fails. */
void port_console_write(const char *s);

/**
 * HIL-SERVED. Start the independent watchdog (RM0090 21.3: KR=0xCCCC,
 * KR=0x5555, PR, RLR). Once started it cannot be stopped.
 * @param timeout_ms  1..32000
 */
void port_watchdog_start(uint32_t timeout_ms);

/** HIL-SERVED. Reload the watchdog counter (IWDG_KR = 0xAAAA). */
void port_watchdog_refresh(void);

/** Milliseconds since reset (SysTick, 1 kHz). Wraps after 49 days. */
uint32_t port_ticks_ms(void);

/** Request a system reset (SCB_AIRCR.SYSRESETREQ). Never returns. */
PORT_NORETURN void port_reset(void);

/**
 * HIL-SERVED (observed only). Start the application whose vector table is
 * at @p vectors: set VTOR, MSP from word 0, jump to word 1. Never returns.
 */
PORT_NORETURN void port_jump(uint32_t vectors);

#endif /* FOTA_PORT_H */
