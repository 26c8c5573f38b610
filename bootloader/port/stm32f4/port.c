/**
 * @file port.c
 * @brief fota/port.h for the STM32F405/407: update link (USART1), console
 * (USART2), independent watchdog, tick, reset and the jump to an
 * application. Flash is in flash.c.
 *
 * port_watchdog_start, port_watchdog_refresh and port_jump are HIL-SERVED
 * (see fota/port.h): real, non-inlined, external functions; under QEMU the
 * harness breaks on their entry.
 */
#include <stdint.h>
#include <stddef.h>

#include "fota/errors.h"
#include "fota/port.h"
#include "iwdg.h"
#include "spi.h"
#include "stm32f4.h"
#include "stm32f4_port.h"
#include "stm32f4_regs.h"

/* Read once at boot (stm32f4_port_init); applications ask via bl_api. */
static int port_link_spi;

void stm32f4_port_init(void)
{
    stm32f4_clock_init();
    stm32f4_tick_init();
    stm32f4_usart_init(STM32F4_USART_CONSOLE);
    stm32f4_usart_init(STM32F4_USART_LINK);
    /* The update link: USART1 unless the strap selects SPI1 (spi.h). */
    port_link_spi = port_link_strap() == PORT_LINK_SPI;
    if (port_link_spi) {
        stm32f4_spi_init();
    }
}

uint32_t port_link_type(void)
{
    return port_link_spi ? PORT_LINK_SPI : PORT_LINK_UART;
}

/* ---- Update link: USART1 ---- */

int port_link_write(const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    uint32_t i;

    if (p == NULL && len != 0u) {
        return FOTA_EINVAL;
    }
    if (port_link_spi) {
        return port_spi_tx(p, len);
    }
    for (i = 0u; i < len; i++) {
        stm32f4_usart_putc(STM32F4_USART_LINK, p[i]);
    }
    return 0;
}

int port_link_read(void *buf, uint32_t len, uint32_t timeout_ms, uint32_t *got)
{
    uint8_t *p = buf;
    uint32_t n = 0u;
    uint32_t start = stm32f4_ticks_ms();
    int r;

    if (got != NULL) {
        *got = 0u;
    }
    if (p == NULL || got == NULL) {
        return FOTA_EINVAL;
    }
    if (len == 0u) {
        return 0;
    }
    if (port_link_spi) {
        /* SPI1 slave: whatever the master clocked in; poll until some came. */
        for (;;) {
            r = port_spi_rx(p, len, got);
            if (r != 0 || *got != 0u || stm32f4_ticks_ms() - start >= timeout_ms) {
                return r;
            }
            stm32f4_poll_pause();
        }
    }
    /* Wait for the first byte, at most timeout_ms (wrap-safe difference). */
    for (;;) {
        r = stm32f4_usart_getc(STM32F4_USART_LINK, &p[n]);
        if (r != 0) {
            break;
        }
        if (stm32f4_ticks_ms() - start >= timeout_ms) {
            return 0;
        }
        stm32f4_poll_pause();
    }
    /* Then take whatever else is already there, without waiting. */
    while (r > 0) {
        n++;
        if (n == len) {
            break;
        }
        r = stm32f4_usart_getc(STM32F4_USART_LINK, &p[n]);
    }
    *got = n;
    return r < 0 ? FOTA_EIO : 0;
}

/* ---- Console: USART2 ---- */

void port_console_write(const char *s)
{
    if (s == NULL) {
        return;
    }
    while (*s != '\0') {
        stm32f4_usart_putc(STM32F4_USART_CONSOLE, (uint8_t)*s++);
    }
}

/* ---- Independent watchdog (RM0090 21) ---- */

PORT_HIL_SERVED
void port_watchdog_start(uint32_t timeout_ms)
{
    int rc = stm32f4_iwdg_start((struct stm32f4_iwdg_regs *)(uintptr_t)IWDG_BASE, timeout_ms);

    if (rc != 0) {
        /* port_watchdog_start() has no result (HIL-SERVED signature):
         * say it on the console (docs/ARCHITECTURE.md "Console contract"). */
        port_console_write("BL: watchdog setup failed: ");
        port_console_write(fota_strerror(rc));
        port_console_write("\r\n");
    }
}

PORT_HIL_SERVED
void port_watchdog_refresh(void)
{
    IWDG_KR = IWDG_KR_RELOAD; /* RM0090 21.4.1 */
}

/* ---- Time, reset, jump ---- */

uint32_t port_ticks_ms(void)
{
    return stm32f4_ticks_ms();
}

void port_reset(void)
{
    stm32f4_usart_flush(STM32F4_USART_CONSOLE);
    stm32f4_usart_flush(STM32F4_USART_LINK);
    if (port_link_spi) {
        stm32f4_spi_flush(); /* the last answer (END_RSP) must leave first */
    }
    stm32f4_system_reset();
}

PORT_HIL_SERVED
void port_jump(uint32_t vectors)
{
    const volatile uint32_t *vt = (const volatile uint32_t *)(uintptr_t)vectors;
    uint32_t sp = vt[0];
    uint32_t pc = vt[1];
    uint32_t i;

    /* Let the last console line leave before the application re-inits. */
    stm32f4_usart_flush(STM32F4_USART_CONSOLE);

    /* Nothing of ours may fire in the application: interrupts off, SysTick
     * stopped and its pending bit cleared, every NVIC line disabled and
     * unpended (PM0214 4.3, 4.5). The application's Reset_Handler enables
     * interrupts again. */
    __asm volatile("cpsid i" ::: "memory");
    stm32f4_tick_stop();
    for (i = 0u; i < NVIC_IRQ_WORDS; i++) {
        NVIC_ICER(i) = 0xFFFFFFFFu;
        NVIC_ICPR(i) = 0xFFFFFFFFu;
    }

    /* Vector table (PM0214 4.4.4; 512-byte aligned, layout.h), then MSP
     * from word 0 and a branch to word 1 (Thumb bit set in the entry). */
    SCB_VTOR = vectors;
    __asm volatile("dsb\n\tisb" ::: "memory");
    __asm volatile("msr msp, %0\n\t"
                   "bx %1"
                   : : "r"(sp), "r"(pc) : "memory");
    for (;;) {
        /* not reached */
    }
}
