/*
 * QTest of the STM32F405/407 SPI1 slave model (RM0090 section 28), with
 * the DMA2 streams (section 10) and the READY line on PB0 (section 8), on
 * fota-f407. The test is the SPI master, on the slave's chardev (the
 * protocol of hw/ssi/stm32f4xx_spi_slave.h).
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/socket.h>
#include <sys/un.h>
#include "libqtest.h"

#define SPI1       0x40013000
#define SPI_CR1    (SPI1 + 0x00)
#define SPI_CR2    (SPI1 + 0x04)
#define SPI_SR     (SPI1 + 0x08)
#define SPI_DR     (SPI1 + 0x0C)
#define SPI_CRCPR  (SPI1 + 0x10)
#define CR1_SPE      (1u << 6)
#define CR1_LSBFIRST (1u << 7)
#define CR1_SSM      (1u << 9)
#define CR1_SSI      (1u << 8)
#define CR2_RXDMAEN  (1u << 0)
#define CR2_TXDMAEN  (1u << 1)
#define SR_RXNE    (1u << 0)
#define SR_TXE     (1u << 1)
#define SR_OVR     (1u << 6)
#define SR_BSY     (1u << 7)

#define DMA2       0x40026400
#define DMA_LISR   (DMA2 + 0x00)
#define DMA_SxCR(n)   (DMA2 + 0x10 + 0x18 * (n))
#define DMA_SxNDTR(n) (DMA2 + 0x14 + 0x18 * (n))
#define DMA_SxPAR(n)  (DMA2 + 0x18 + 0x18 * (n))
#define DMA_SxM0AR(n) (DMA2 + 0x1C + 0x18 * (n))
#define DMA_CR_EN   (1u << 0)
#define DMA_CR_M2P  (1u << 6)
#define DMA_CR_CIRC (1u << 8)
#define DMA_CR_MINC (1u << 10)
#define DMA_CR_CH3  (3u << 25)
#define S2_HTIF    (1u << 20)
#define S2_TCIF    (1u << 21)
#define S3_HTIF    (1u << 26)
#define S3_TCIF    (1u << 27)

#define GPIOB_MODER 0x40020400
#define GPIOB_BSRR  0x40020418

#define RING 0x20001000
#define TXB  0x20002000

typedef struct Rig {
    QTestState *qts;
    int fd;                 /* the master's end of the chardev */
    char *path;
} Rig;

static void rig_start(Rig *r)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    r->path = g_strdup_printf("%s/spi-test-%d.sock", g_get_tmp_dir(),
                              (int)getpid());
    r->qts = qtest_initf("-M fota-f407 -chardev socket,id=spi,path=%s,"
                         "server=on,wait=off "
                         "-global stm32f4xx-spi-slave.chardev=spi", r->path);
    r->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert(r->fd >= 0);
    g_strlcpy(sa.sun_path, r->path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
}

static void rig_stop(Rig *r)
{
    close(r->fd);
    qtest_quit(r->qts);
    unlink(r->path);
    g_free(r->path);
}

static void rig_send(Rig *r, const void *buf, size_t n)
{
    g_assert_cmpint(write(r->fd, buf, n), ==, n);
}

static void rig_recv(Rig *r, uint8_t *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t k = read(r->fd, buf + got, n - got);
        g_assert(k > 0);
        got += k;
    }
}

/* The next message: 'R' (*ready set) or 'b' (its MISO bytes to @miso) */
static uint8_t rig_msg(Rig *r, uint8_t *miso, size_t n, int *ready)
{
    uint8_t h[3];

    rig_recv(r, h, 1);
    if (h[0] == 'R') {
        rig_recv(r, h + 1, 1);
        *ready = h[1];
        return 'R';
    }
    g_assert_cmpint(h[0], ==, 'b');
    rig_recv(r, h + 1, 2);
    g_assert_cmpint(h[1] | h[2] << 8, ==, n);
    rig_recv(r, miso, n);
    return 'b';
}

/* Clock @n bytes out of @mosi, MISO to @miso */
static void rig_clock(Rig *r, const uint8_t *mosi, uint8_t *miso, size_t n)
{
    uint8_t h[3] = { 'B', n, n >> 8 };
    int ready;

    rig_send(r, h, 3);
    rig_send(r, mosi, n);
    while (rig_msg(r, miso, n, &ready) != 'b') {
        continue;
    }
}

/* A command, then the READY level: 'Q' is answered after it */
static int rig_cmd(Rig *r, char c)
{
    uint8_t q[2] = { c, 'Q' };
    int ready = -1;

    rig_send(r, c != 0 ? q : q + 1, c != 0 ? 2 : 1);
    g_assert_cmpint(rig_msg(r, NULL, 0, &ready), ==, 'R');
    return ready;
}

/* RM0090 28.5: reset values */
static void test_reset_values(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    g_assert_cmphex(qtest_readl(qts, SPI_CR1), ==, 0);
    g_assert_cmphex(qtest_readl(qts, SPI_CR2), ==, 0);
    g_assert_cmphex(qtest_readl(qts, SPI_SR), ==, SR_TXE);
    g_assert_cmphex(qtest_readl(qts, SPI_CRCPR), ==, 7);
    qtest_quit(qts);
}

/*
 * RM0090 28.3.2 slave mode, 28.3.5 TXE/RXNE, 28.4.8 overrun: the master
 * clocks two bytes; DR written once goes out twice (no new data: the last
 * byte again), the second MOSI byte is lost with OVR; DR then SR clears it.
 */
static void test_slave_polled(void)
{
    Rig r;
    uint8_t mosi[2] = { 0x11, 0x22 }, miso[2];

    rig_start(&r);
    qtest_writel(r.qts, SPI_CR1, CR1_SPE);
    qtest_writel(r.qts, SPI_DR, 0x5A);
    g_assert_cmphex(qtest_readl(r.qts, SPI_SR), ==, 0);
    rig_cmd(&r, 'S');
    g_assert_cmphex(qtest_readl(r.qts, SPI_SR), ==, SR_BSY);
    rig_clock(&r, mosi, miso, 2);
    g_assert_cmphex(miso[0], ==, 0x5A);
    g_assert_cmphex(miso[1], ==, 0x5A);
    g_assert_cmphex(qtest_readl(r.qts, SPI_SR), ==,
                    SR_BSY | SR_OVR | SR_TXE | SR_RXNE);
    g_assert_cmphex(qtest_readl(r.qts, SPI_DR), ==, 0x11);
    g_assert_cmphex(qtest_readl(r.qts, SPI_SR), ==, SR_BSY | SR_OVR | SR_TXE);
    g_assert_cmphex(qtest_readl(r.qts, SPI_SR), ==, SR_BSY | SR_TXE);
    rig_cmd(&r, 'E');
    g_assert_cmphex(qtest_readl(r.qts, SPI_SR), ==, SR_TXE);
    rig_stop(&r);
}

/* RM0090 28.3.1: a deselected (NSS high) or disabled slave ignores the
 * clock and leaves MISO floating (0xFF); SSM/SSI select it internally */
static void test_nss(void)
{
    Rig r;
    uint8_t mosi = 0x33, miso;

    rig_start(&r);
    qtest_writel(r.qts, SPI_DR, 0x42);
    qtest_writel(r.qts, SPI_CR1, CR1_SPE);
    rig_clock(&r, &mosi, &miso, 1);
    g_assert_cmphex(miso, ==, 0xFF);
    g_assert_cmphex(qtest_readl(r.qts, SPI_SR) & SR_RXNE, ==, 0);
    qtest_writel(r.qts, SPI_CR1, CR1_SPE | CR1_SSM | CR1_SSI);
    rig_clock(&r, &mosi, &miso, 1);
    g_assert_cmphex(miso, ==, 0xFF);
    qtest_writel(r.qts, SPI_CR1, CR1_SPE | CR1_SSM);
    rig_clock(&r, &mosi, &miso, 1);
    g_assert_cmphex(miso, ==, 0x42);
    g_assert_cmphex(qtest_readl(r.qts, SPI_DR), ==, 0x33);
    rig_stop(&r);
}

/* RM0090 28.5.1 LSBFIRST: the slave shifts LSB first, the master MSB first */
static void test_lsbfirst(void)
{
    Rig r;
    uint8_t mosi = 0x01, miso;

    rig_start(&r);
    qtest_writel(r.qts, SPI_DR, 0x80);
    qtest_writel(r.qts, SPI_CR1, CR1_SPE | CR1_SSM | CR1_LSBFIRST);
    rig_clock(&r, &mosi, &miso, 1);
    g_assert_cmphex(miso, ==, 0x01);
    g_assert_cmphex(qtest_readl(r.qts, SPI_DR), ==, 0x80);
    rig_stop(&r);
}

/*
 * RM0090 28.3.9 RXDMAEN with DMA2 stream 2 channel 3 (10.3.3 Table 43),
 * circular (10.3.10): ten bytes into an 8-byte ring wrap it; NDTR counts
 * down and reloads; HTIF2 and TCIF2 (10.5.1).
 */
static void test_rx_dma_circular(void)
{
    Rig r;
    uint8_t mosi[10], miso[10], ring[8];
    int i;

    rig_start(&r);
    for (i = 0; i < 10; i++) {
        mosi[i] = 0xA0 + i;
    }
    qtest_writel(r.qts, DMA_SxPAR(2), SPI_DR);
    qtest_writel(r.qts, DMA_SxM0AR(2), RING);
    qtest_writel(r.qts, DMA_SxNDTR(2), 8);
    qtest_writel(r.qts, DMA_SxCR(2), DMA_CR_CH3 | DMA_CR_MINC | DMA_CR_CIRC |
                 DMA_CR_EN);
    qtest_writel(r.qts, SPI_CR2, CR2_RXDMAEN);
    qtest_writel(r.qts, SPI_CR1, CR1_SPE);
    rig_cmd(&r, 'S');
    rig_clock(&r, mosi, miso, 10);
    qtest_memread(r.qts, RING, ring, 8);
    g_assert_cmphex(ring[0], ==, 0xA8);
    g_assert_cmphex(ring[1], ==, 0xA9);
    g_assert_cmphex(ring[2], ==, 0xA2);
    g_assert_cmphex(ring[7], ==, 0xA7);
    g_assert_cmphex(qtest_readl(r.qts, DMA_SxNDTR(2)), ==, 6);
    g_assert_cmphex(qtest_readl(r.qts, DMA_LISR), ==, S2_HTIF | S2_TCIF);
    g_assert_cmphex(qtest_readl(r.qts, SPI_SR) & (SR_RXNE | SR_OVR), ==, 0);
    rig_stop(&r);
}

/*
 * RM0090 28.3.9 TXDMAEN with DMA2 stream 3 channel 3, normal mode: the
 * stream fills DR as TXE rises; after NDTR reaches 0 (EN cleared, TCIF3)
 * the slave underruns and repeats the last byte (HTIF3 after 1 of 3).
 */
static void test_tx_dma(void)
{
    Rig r;
    uint8_t tx[3] = { 0xC1, 0xC2, 0xC3 }, mosi[5] = { 0 }, miso[5];

    rig_start(&r);
    qtest_memwrite(r.qts, TXB, tx, 3);
    qtest_writel(r.qts, SPI_CR1, CR1_SPE);
    qtest_writel(r.qts, DMA_SxPAR(3), SPI_DR);
    qtest_writel(r.qts, DMA_SxM0AR(3), TXB);
    qtest_writel(r.qts, DMA_SxNDTR(3), 3);
    qtest_writel(r.qts, DMA_SxCR(3), DMA_CR_CH3 | DMA_CR_MINC | DMA_CR_M2P |
                 DMA_CR_EN);
    qtest_writel(r.qts, SPI_CR2, CR2_TXDMAEN);
    g_assert_cmphex(qtest_readl(r.qts, DMA_SxNDTR(3)), ==, 2);  /* DR filled */
    rig_cmd(&r, 'S');
    rig_clock(&r, mosi, miso, 5);
    g_assert_cmphex(miso[0], ==, 0xC1);
    g_assert_cmphex(miso[1], ==, 0xC2);
    g_assert_cmphex(miso[2], ==, 0xC3);
    g_assert_cmphex(miso[3], ==, 0xC3);
    g_assert_cmphex(miso[4], ==, 0xC3);
    g_assert_cmphex(qtest_readl(r.qts, DMA_SxNDTR(3)), ==, 0);
    g_assert_cmphex(qtest_readl(r.qts, DMA_SxCR(3)) & DMA_CR_EN, ==, 0);
    g_assert_cmphex(qtest_readl(r.qts, DMA_LISR), ==, S3_HTIF | S3_TCIF);
    rig_stop(&r);
}

/* RM0090 8.4.7: PB0 (READY) set and reset through BSRR reach the master */
static void test_ready_line(void)
{
    Rig r;
    uint8_t none[1];
    int ready = -1;

    rig_start(&r);
    g_assert_cmpint(rig_cmd(&r, 0), ==, 0);
    qtest_writel(r.qts, GPIOB_MODER, 0x00000281);   /* PB0 output */
    qtest_writel(r.qts, GPIOB_BSRR, 1u << 0);
    g_assert_cmpint(rig_msg(&r, none, 0, &ready), ==, 'R');
    g_assert_cmpint(ready, ==, 1);
    g_assert_cmpint(rig_cmd(&r, 0), ==, 1);
    qtest_writel(r.qts, GPIOB_BSRR, 1u << 16);
    g_assert_cmpint(rig_msg(&r, none, 0, &ready), ==, 'R');
    g_assert_cmpint(ready, ==, 0);
    rig_stop(&r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("stm32f4xx-spi/reset-values", test_reset_values);
    qtest_add_func("stm32f4xx-spi/slave-polled", test_slave_polled);
    qtest_add_func("stm32f4xx-spi/nss", test_nss);
    qtest_add_func("stm32f4xx-spi/lsbfirst", test_lsbfirst);
    qtest_add_func("stm32f4xx-spi/rx-dma-circular", test_rx_dma_circular);
    qtest_add_func("stm32f4xx-spi/tx-dma", test_tx_dma);
    qtest_add_func("stm32f4xx-spi/ready-line", test_ready_line);
    return g_test_run();
}
