/**
 * @file spi.c
 * @brief SPI1 as the update link, slave mode (the ESP32 is master), for
 * the F405/407 (RM0090 rev 19). Pins (RM0090 8.3.7, datasheet DS8626
 * Table 9 "Alternate function mapping", AF5): PA4 NSS, PA5 SCK, PA6 MISO,
 * PA7 MOSI; PB0 READY (output: a response is waiting), PB1 link strap.
 *
 * Why DMA: at 21 MHz a byte takes 381 ns (~64 cycles at 168 MHz), too
 * little for polling RXNE (28.3.7) across a flash program. RX runs
 * continuously (circular, 10.3.10) into a ring; TX is one normal-mode
 * transfer per response, followed by one 0xFF byte: a slave that is clocked
 * with nothing new in DR shifts out the last byte again (RM0090 has no
 * underrun handling in SPI mode), so the 0xFF makes MISO idle at 0xFF
 * between responses rather than repeating the response's last CRC byte.
 *
 * Handshake with the master (docs/SPI.md): the master sends a request
 * frame in one transfer, then waits for READY high (or, without a ready
 * wire, clocks dummy 0x00 bytes and skips 0xFF idle bytes: the frame
 * parser hunts for PROTO_SYNC0 anyway), then clocks the response out.
 *
 * NOTE: not yet run on a board (the rig's real-board backend is another
 * issue); stock QEMU serves the three HIL-SERVED functions, fota-f407
 * runs this code against its SPI1 slave, DMA2 and GPIO models (qemu/).
 */
#include <stdint.h>
#include <string.h>

#include "fota/errors.h"
#include "fota/port.h"
#include "spi.h"
#include "stm32f4.h"
#include "stm32f4_regs.h"

/* ---- registers used only here (RM0090 2.3 Table 1; 28.5; 10.5) ---- */
#define GPIOB_BASE         (PERIPH_BASE_AHB1 + 0x0400u)
#define SPI1_BASE          (PERIPH_BASE_APB2 + 0x3000u)
#define DMA2_BASE          (PERIPH_BASE_AHB1 + 0x6400u)
#define RCC_AHB1ENR_GPIOBEN (1U << 1)
#define RCC_AHB1ENR_DMA2EN (1U << 22)
#define RCC_APB2ENR_SPI1EN (1U << 12)

#define SPI_CR1            MMIO32(SPI1_BASE + 0x00u) /* 28.5.1 */
#define SPI_CR2            MMIO32(SPI1_BASE + 0x04u) /* 28.5.2 */
#define SPI_SR             MMIO32(SPI1_BASE + 0x08u) /* 28.5.3 */
#define SPI_DR             MMIO32(SPI1_BASE + 0x0Cu) /* 28.5.4 */
#define SPI_CR1_CPHA       (1U << 0)
#define SPI_CR1_CPOL       (1U << 1)
#define SPI_CR1_MSTR       (1U << 2)
#define SPI_CR1_SPE        (1U << 6)
#define SPI_CR1_SSM        (1U << 9)
#define SPI_CR1_DFF        (1U << 11)
#define SPI_CR2_RXDMAEN    (1U << 0)
#define SPI_CR2_TXDMAEN    (1U << 1)
#define SPI_SR_TXE         (1U << 1)
#define SPI_SR_OVR         (1U << 6)
#define SPI_SR_BSY         (1U << 7)

/* DMA2 stream n (10.5.5-10.5.10); SPI1_RX = stream 2 channel 3, SPI1_TX =
 * stream 3 channel 3 (10.3.3 Table 43 "DMA2 request mapping"). */
#define DMA_SxCR(n)        MMIO32(DMA2_BASE + 0x10u + 0x18u * (n))
#define DMA_SxNDTR(n)      MMIO32(DMA2_BASE + 0x14u + 0x18u * (n))
#define DMA_SxPAR(n)       MMIO32(DMA2_BASE + 0x18u + 0x18u * (n))
#define DMA_SxM0AR(n)      MMIO32(DMA2_BASE + 0x1Cu + 0x18u * (n))
#define DMA_LIFCR          MMIO32(DMA2_BASE + 0x08u) /* 10.5.3: streams 0-3 */
#define DMA_SxCR_EN        (1U << 0)
#define DMA_SxCR_DIR_P2M   (0U << 6)
#define DMA_SxCR_DIR_M2P   (1U << 6)
#define DMA_SxCR_CIRC      (1U << 8)
#define DMA_SxCR_MINC      (1U << 10)
#define DMA_SxCR_CHSEL_SHIFT 25
#define DMA_LIFCR_S2_ALL   (0x3DU << 16) /* CTCIF2 CHTIF2 CTEIF2 CDMEIF2 CFEIF2 */
#define DMA_LIFCR_S3_ALL   (0x3DU << 22)
#define SPI_DMA_RX_STREAM  2u
#define SPI_DMA_TX_STREAM  3u
#define SPI_DMA_CHANNEL    3u

#define GPIO_IDR(b)        MMIO32((b) + 0x10u) /* 8.4.5 */
#define GPIO_BSRR(b)       MMIO32((b) + 0x18u) /* 8.4.7 */
#define SPI_READY_PIN      0u
#define SPI_STRAP_PIN      1u
#define SPI_DMA_SPIN_MAX   100000u

static uint8_t spi_rx_ring[SPI_RX_RING];
static uint32_t spi_rx_rd;
static uint8_t spi_tx_buf[SPI_TX_MAX + 1u]; /* + the idle 0xFF */

static void spi_gpio_mode(uint32_t base, uint32_t pin, uint32_t mode, uint32_t pupd, uint32_t af)
{
    GPIO_MODER(base) = (GPIO_MODER(base) & ~(GPIO_MODE_MASK << (2u * pin))) | (mode << (2u * pin));
    GPIO_PUPDR(base) = (GPIO_PUPDR(base) & ~(GPIO_PUPD_MASK << (2u * pin))) | (pupd << (2u * pin));
    GPIO_OSPEEDR(base) = (GPIO_OSPEEDR(base) & ~(GPIO_OSPEED_MASK << (2u * pin))) |
                         (GPIO_OSPEED_HIGH << (2u * pin));
    if (mode == GPIO_MODE_AF) {
        GPIO_AFRL(base) = (GPIO_AFRL(base) & ~(GPIO_AF_MASK << (4u * pin))) | (af << (4u * pin));
    }
}

PORT_HIL_SERVED
uint32_t port_link_strap(void)
{
    uint32_t i;

    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOBEN;
    (void)RCC_AHB1ENR;
    spi_gpio_mode(GPIOB_BASE, SPI_STRAP_PIN, 0u /* input */, 2u /* pull-down */, 0u);
    for (i = 0u; i < 1000u; i++) {
        __asm volatile("nop"); /* let the pull-down settle (~6 us) */
    }
    return (GPIO_IDR(GPIOB_BASE) & (1U << SPI_STRAP_PIN)) != 0u ? PORT_LINK_SPI : PORT_LINK_UART;
}

void stm32f4_spi_flush(void)
{
    uint32_t polls = 0u;

    while ((DMA_SxCR(SPI_DMA_TX_STREAM) & DMA_SxCR_EN) != 0u && DMA_SxNDTR(SPI_DMA_TX_STREAM) != 0u &&
           polls++ < SPI_FLUSH_POLLS) {
        stm32f4_poll_pause();
    }
}

void stm32f4_spi_init(void)
{
    /* Entered from an application (bl_api) that just queued a response:
     * let the master clock it out before the streams are set up again. */
    stm32f4_spi_flush();
    /* Clocks (RM0090 7.3.10, 7.3.14). */
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN | RCC_AHB1ENR_GPIOBEN | RCC_AHB1ENR_DMA2EN;
    RCC_APB2ENR |= RCC_APB2ENR_SPI1EN;
    (void)RCC_APB2ENR;
    /* PA4..7 AF5 (NSS, SCK, MISO, MOSI); NSS pulled up so a missing
     * master reads as "not selected". PB0 READY output, low. */
    spi_gpio_mode(GPIOA_BASE, 4u, GPIO_MODE_AF, GPIO_PUPD_PULLUP, 5u);
    spi_gpio_mode(GPIOA_BASE, 5u, GPIO_MODE_AF, 0u, 5u);
    spi_gpio_mode(GPIOA_BASE, 6u, GPIO_MODE_AF, 0u, 5u);
    spi_gpio_mode(GPIOA_BASE, 7u, GPIO_MODE_AF, 0u, 5u);
    GPIO_BSRR(GPIOB_BASE) = 1U << (SPI_READY_PIN + 16u);
    spi_gpio_mode(GPIOB_BASE, SPI_READY_PIN, 1u /* output */, 0u, 0u);

    /* 28.3.2 slave mode: DFF 8 bit, CPOL 0 / CPHA 0 (mode 0, as the
     * ESP32 master), MSTR 0, hardware NSS (SSM 0); DMA requests, then SPE. */
    SPI_CR1 = 0u;
    SPI_CR2 = SPI_CR2_RXDMAEN;
    SPI_DR = 0xFFu; /* idle MISO */

    /* RX: DMA2 stream 2 ch 3, peripheral-to-memory, circular (10.3.10). */
    DMA_SxCR(SPI_DMA_RX_STREAM) = 0u;
    DMA_LIFCR = DMA_LIFCR_S2_ALL;
    DMA_SxPAR(SPI_DMA_RX_STREAM) = (uint32_t)(uintptr_t)&SPI_DR;
    DMA_SxM0AR(SPI_DMA_RX_STREAM) = (uint32_t)(uintptr_t)spi_rx_ring;
    DMA_SxNDTR(SPI_DMA_RX_STREAM) = SPI_RX_RING;
#ifndef FOTA_TEST_BROKEN_SPI_RING
    DMA_SxCR(SPI_DMA_RX_STREAM) = (SPI_DMA_CHANNEL << DMA_SxCR_CHSEL_SHIFT) | DMA_SxCR_MINC |
                                  DMA_SxCR_CIRC | DMA_SxCR_DIR_P2M | DMA_SxCR_EN;
#else
    /* FOTA_TEST_BROKEN_SPI_RING (make test, tests/f407): the ring without
     * CIRC, a classic DMA mistake: after SPI_RX_RING bytes the stream
     * stops (EN cleared, NDTR 0) and every later byte is lost. Caught on
     * fota-f407; stock QEMU serves port_spi_rx and never runs this. */
    DMA_SxCR(SPI_DMA_RX_STREAM) = (SPI_DMA_CHANNEL << DMA_SxCR_CHSEL_SHIFT) | DMA_SxCR_MINC |
                                  DMA_SxCR_DIR_P2M | DMA_SxCR_EN;
#endif
    spi_rx_rd = 0u;
    SPI_CR1 = SPI_CR1_SPE;
}

PORT_HIL_SERVED
int port_spi_rx(uint8_t *buf, uint32_t cap, uint32_t *got)
{
    /* Write index = ring size - remaining count (10.5.6 NDTR counts down
     * and reloads in circular mode). */
    uint32_t wr = SPI_RX_RING - DMA_SxNDTR(SPI_DMA_RX_STREAM);
    uint32_t n = 0u;

    if (wr >= SPI_RX_RING) {
        wr = 0u;
    }
    if (DMA_SxNDTR(SPI_DMA_TX_STREAM) == 0u) {
        GPIO_BSRR(GPIOB_BASE) = 1U << (SPI_READY_PIN + 16u); /* response clocked out: READY low */
    }
    if ((SPI_SR & SPI_SR_OVR) != 0u) {
        (void)SPI_DR; /* 28.4.8: read DR then SR clears OVR */
        (void)SPI_SR;
        spi_rx_rd = wr;
        *got = 0u;
        return FOTA_EIO;
    }
    while (spi_rx_rd != wr && n < cap) {
        buf[n++] = spi_rx_ring[spi_rx_rd];
        spi_rx_rd = (spi_rx_rd + 1u) % SPI_RX_RING;
    }
    *got = n;
    return 0;
}

PORT_HIL_SERVED
int port_spi_tx(const uint8_t *buf, uint32_t len)
{
#ifndef FOTA_TEST_BROKEN_SPI_TX_TICK
    uint32_t spins = 0u;
#else
    uint32_t start = stm32f4_ticks_ms();
#endif

    if (len > SPI_TX_MAX) {
        return FOTA_ESIZE;
    }
    /* The previous response must be out (NDTR 0) before its buffer is
     * reused. Bounded by polls, never by the tick (spi.h). */
    while ((DMA_SxCR(SPI_DMA_TX_STREAM) & DMA_SxCR_EN) != 0u && DMA_SxNDTR(SPI_DMA_TX_STREAM) != 0u) {
#ifndef FOTA_TEST_BROKEN_SPI_TX_TICK
        if (++spins >= SPI_TX_SPIN_MAX) {
            return FOTA_EBUSY;
        }
#else
        /* FOTA_TEST_BROKEN_SPI_TX_TICK (make test, tests/f407): the wait
         * as it was before issue 10's fix, bounded by the bootloader's
         * SysTick count. Called from an application (bl_api ba_link_write)
         * that tick is frozen: the wait never ends and the IWDG resets the
         * chip. scenarios/link.spi.app_tx_no_clock.yaml catches it on
         * fota-f407; stock QEMU serves port_spi_tx and never runs this. */
        if (stm32f4_ticks_ms() - start >= SPI_TX_WAIT_MS) {
            return FOTA_EBUSY;
        }
#endif
    }
    DMA_SxCR(SPI_DMA_TX_STREAM) = 0u;
    DMA_LIFCR = DMA_LIFCR_S3_ALL;
    memcpy(spi_tx_buf, buf, len);
    spi_tx_buf[len] = 0xFFu; /* stays in DR after the response: idle MISO */
    DMA_SxPAR(SPI_DMA_TX_STREAM) = (uint32_t)(uintptr_t)&SPI_DR;
    DMA_SxM0AR(SPI_DMA_TX_STREAM) = (uint32_t)(uintptr_t)spi_tx_buf;
    DMA_SxNDTR(SPI_DMA_TX_STREAM) = len + 1u;
    DMA_SxCR(SPI_DMA_TX_STREAM) = (SPI_DMA_CHANNEL << DMA_SxCR_CHSEL_SHIFT) | DMA_SxCR_MINC |
                                  DMA_SxCR_DIR_M2P | DMA_SxCR_EN;
    SPI_CR2 |= SPI_CR2_TXDMAEN;
    GPIO_BSRR(GPIOB_BASE) = 1U << SPI_READY_PIN; /* READY high until the master clocked it out */
    return 0;
}
