/**
 * @file usart.c
 * @brief USART1 (update link) and USART2 (console), polled, 115200 8N1
 * (RM0090 30 "Universal synchronous asynchronous receiver transmitter").
 *
 * Polling is enough for the update protocol: it is stop-and-wait, so the
 * host sends a request only after our response, while we are reading.
 * QEMU's USART model holds received bytes back while RXNE is set, so it
 * never overruns; a board can, and we report that (ORE/FE) as an error.
 */
#include <stdint.h>

#include "stm32f4.h"
#include "stm32f4_regs.h"

/* At 115200 baud a byte takes ~87 us, i.e. ~15000 cycles at 168 MHz; a
 * TXE/TC poll is a few cycles. 1e6 polls is a generous bound that only a
 * dead USART clock would hit; under QEMU TXE/TC read back set at once. */
#define USART_SPIN_MAX 1000000u

static uint32_t usart_base(enum stm32f4_usart u)
{
    return u == STM32F4_USART_LINK ? USART1_BASE : USART2_BASE;
}

/* Put pin @p pin of GPIOA in alternate function @p af (RM0090 8.3.7, 8.4). */
static void usart_pin_af(uint32_t pin, uint32_t af, int pullup)
{
    uint32_t v;

    v = GPIO_MODER(GPIOA_BASE);
    v &= ~(GPIO_MODE_MASK << (2u * pin));
    v |= GPIO_MODE_AF << (2u * pin);
    GPIO_MODER(GPIOA_BASE) = v;

    v = GPIO_OSPEEDR(GPIOA_BASE);
    v &= ~(GPIO_OSPEED_MASK << (2u * pin));
    v |= GPIO_OSPEED_HIGH << (2u * pin);
    GPIO_OSPEEDR(GPIOA_BASE) = v;

    v = GPIO_PUPDR(GPIOA_BASE);
    v &= ~(GPIO_PUPD_MASK << (2u * pin));
    if (pullup) {
        v |= GPIO_PUPD_PULLUP << (2u * pin); /* idle-high RX if unconnected */
    }
    GPIO_PUPDR(GPIOA_BASE) = v;

    if (pin < 8u) {
        v = GPIO_AFRL(GPIOA_BASE);
        v &= ~(GPIO_AF_MASK << (4u * pin));
        v |= af << (4u * pin);
        GPIO_AFRL(GPIOA_BASE) = v;
    } else {
        v = GPIO_AFRH(GPIOA_BASE);
        v &= ~(GPIO_AF_MASK << (4u * (pin - 8u)));
        v |= af << (4u * (pin - 8u));
        GPIO_AFRH(GPIOA_BASE) = v;
    }
}

void stm32f4_usart_init(enum stm32f4_usart u)
{
    uint32_t base = usart_base(u);
    uint32_t pclk;
    uint32_t div;

    /* Clocks (RM0090 7.3.10, 7.3.13, 7.3.14). */
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    if (u == STM32F4_USART_LINK) {
        RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
        (void)RCC_APB2ENR; /* 2 cycles before the first access (7.3.14) */
        usart_pin_af(9u, GPIO_AF7, 0);  /* PA9  USART1_TX */
        usart_pin_af(10u, GPIO_AF7, 1); /* PA10 USART1_RX */
        pclk = stm32f4_sysclk_hz() / 2u;    /* APB2 = SYSCLK / 2 */
    } else {
        RCC_APB1ENR |= RCC_APB1ENR_USART2EN;
        (void)RCC_APB1ENR;
        usart_pin_af(2u, GPIO_AF7, 0);  /* PA2 USART2_TX */
        usart_pin_af(3u, GPIO_AF7, 1);  /* PA3 USART2_RX */
        pclk = stm32f4_sysclk_hz() / 4u;    /* APB1 = SYSCLK / 4 */
    }

    /* Baud rate (RM0090 30.3.4, OVER8 = 0): USARTDIV = pclk / (16 * baud),
     * BRR = mantissa << 4 | fraction * 16, i.e. round(pclk / baud).
     * 84 MHz: 729 = 0x2D9 (45.5625, 115226 baud, +0.02 %);
     * 42 MHz: 365 = 0x16D (22.8125, 115068 baud, -0.11 %). */
    div = (pclk + STM32F4_BAUD / 2u) / STM32F4_BAUD;
    if ((USART_CR1(base) & USART_CR1_UE) != 0u &&
        USART_BRR(base) == div) {
        return; /* already set up the same way (application after the bootloader) */
    }
    USART_CR1(base) = 0u;                 /* UE off while configuring */
    USART_CR2(base) = 0u;                 /* 1 stop bit */
    USART_CR3(base) = 0u;                 /* no flow control, no DMA */
    USART_BRR(base) = div & ((USART_BRR_MANTISSA_MASK << USART_BRR_MANTISSA_SHIFT) |
                             (USART_BRR_FRACTION_MASK << USART_BRR_FRACTION_SHIFT));
    USART_CR1(base) = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE; /* 8N1 */
}

void stm32f4_usart_putc(enum stm32f4_usart u, uint8_t c)
{
    uint32_t base = usart_base(u);
    uint32_t i;

    for (i = 0u; i < USART_SPIN_MAX; i++) {
        if ((USART_SR(base) & USART_SR_TXE) != 0u) {
            break;
        }
    }
    USART_DR(base) = c;
}

void stm32f4_usart_flush(enum stm32f4_usart u)
{
    uint32_t base = usart_base(u);
    uint32_t i;

    for (i = 0u; i < USART_SPIN_MAX; i++) {
        if ((USART_SR(base) & USART_SR_TC) != 0u) {
            break;
        }
    }
}

int stm32f4_usart_getc(enum stm32f4_usart u, uint8_t *c)
{
    uint32_t base = usart_base(u);
    uint32_t sr = USART_SR(base);

    if ((sr & (USART_SR_ORE | USART_SR_FE)) != 0u) {
        /* Cleared by reading SR then DR (RM0090 30.6.1); the byte in DR
         * is dropped too: bytes were lost anyway. */
        (void)USART_DR(base);
        return -1;
    }
    if ((sr & USART_SR_RXNE) == 0u) {
        return 0;
    }
    *c = (uint8_t)USART_DR(base);
    return 1;
}
