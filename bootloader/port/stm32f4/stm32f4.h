/**
 * @file stm32f4.h
 * @brief Board support shared by the bootloader's stm32f4 port and the
 * applications (apps/): clock, 1 kHz tick, USART1/USART2 and reset. The
 * bootloader-only parts of fota/port.h (flash, watchdog, jump) live in
 * flash.c and port.c.
 *
 * Clock plan: SYSCLK 168 MHz from HSI 16 MHz through the main PLL
 * (M=8, N=168, P=2, Q=7), AHB /1, APB1 /4 = 42 MHz, APB2 /2 = 84 MHz,
 * flash 5 wait states (RM0090 3.5.1 Table 10, 2.7-3.6 V). 168 MHz is also
 * the fixed SYSCLK of QEMU's netduinoplus2, whose RCC is unimplemented, so
 * one set of constants is right on both (see stm32f4_sysclk_hz()).
 */
#ifndef STM32F4_H
#define STM32F4_H

#include <stdint.h>

#define STM32F4_HSI_HZ        16000000u
#define STM32F4_PLL_HZ        168000000u
#define STM32F4_BAUD          115200u

/** The two USARTs (fota/layout.h: LAYOUT_LINK_USART, LAYOUT_CONSOLE_USART). */
enum stm32f4_usart {
    STM32F4_USART_LINK = 1,    /**< USART1, PA9 TX / PA10 RX, AF7, APB2 */
    STM32F4_USART_CONSOLE = 2, /**< USART2, PA2 TX / PA3 RX, AF7, APB1 */
};

/**
 * Switch SYSCLK to the PLL (168 MHz) with bounded waits. Call once, first,
 * from a reset state (the bootloader). If the PLL does not lock the core
 * stays on HSI; stm32f4_sysclk_hz() then says so.
 */
void stm32f4_clock_init(void);

/**
 * The SYSCLK the core runs at, read back from RCC_CFGR.SWS: 168 MHz (PLL),
 * 16 MHz (HSI). RCC reading all zero (HSIRDY clear while the core runs,
 * impossible on silicon) means an emulator without RCC: its 168 MHz.
 */
uint32_t stm32f4_sysclk_hz(void);

/** Start SysTick at 1 kHz (exception-driven; SysTick_Handler counts). */
void stm32f4_tick_init(void);

/** Milliseconds since stm32f4_tick_init(). */
uint32_t stm32f4_ticks_ms(void);

/** Stop SysTick and clear a pending SysTick exception. */
void stm32f4_tick_stop(void);

/** Clock, pins and 115200 8N1 for one USART; idempotent. */
void stm32f4_usart_init(enum stm32f4_usart u);

/** Send one byte (bounded wait for TXE). */
void stm32f4_usart_putc(enum stm32f4_usart u, uint8_t c);

/** Wait (bounded) until the last byte has left the shift register (TC). */
void stm32f4_usart_flush(enum stm32f4_usart u);

/**
 * Take one received byte if there is one.
 * @return 1 and *c; 0 nothing received; -1 overrun/framing error (the
 *         USART lost bytes; the error is cleared).
 */
int stm32f4_usart_getc(enum stm32f4_usart u, uint8_t *c);

/**
 * A short pause (~400 instructions, ~3 us at 168 MHz) for idle poll
 * loops, between two reads of a peripheral status register.
 *
 * Why: under QEMU -icount every MMIO read costs ~1.5 us of host time but
 * advances guest time by one instruction, so a loop of back-to-back status
 * polls runs guest time at ~0.1x wall time (measured: a 1000 ms SysTick
 * timeout took 10 s), which stretches every timeout and the application's
 * watchdog refresh period. Plain instructions between polls bring it to
 * ~1.2x. On a board it only spaces the polls: a byte takes 87 us at 115200.
 */
void stm32f4_poll_pause(void);

/** SCB_AIRCR.SYSRESETREQ. Never returns. */
__attribute__((noreturn)) void stm32f4_system_reset(void);

#endif /* STM32F4_H */
