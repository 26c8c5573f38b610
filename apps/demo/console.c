/**
 * @file console.c
 * @brief Console output on USART2 without printf (keeps the image small).
 */
#include <stdint.h>

#include "app.h"
#include "fota/image.h"
#include "stm32f4.h"

void app_puts(const char *s)
{
    while (*s != '\0') {
        stm32f4_usart_putc(STM32F4_USART_CONSOLE, (uint8_t)*s++);
    }
}

void app_put_u32(uint32_t v)
{
    char buf[11];
    uint32_t i = sizeof(buf) - 1u;

    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    app_puts(&buf[i]);
}

void app_put_version(uint32_t v)
{
    app_put_u32(IMAGE_VERSION_MAJOR(v));
    app_puts(".");
    app_put_u32(IMAGE_VERSION_MINOR(v));
    app_puts(".");
    app_put_u32(IMAGE_VERSION_PATCH(v));
}

void app_flush(void)
{
    stm32f4_usart_flush(STM32F4_USART_LINK);
    stm32f4_usart_flush(STM32F4_USART_CONSOLE);
}
