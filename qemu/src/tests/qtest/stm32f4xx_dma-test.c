/*
 * QTest of the STM32F405/407 DMA model (RM0090 section 10) on fota-f407:
 * DMA2, memory-to-memory transfers (the peripheral requests are exercised
 * by stm32f4xx_spi-test).
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"

#define DMA2       0x40026400
#define DMA_LISR   (DMA2 + 0x00)
#define DMA_HISR   (DMA2 + 0x04)
#define DMA_LIFCR  (DMA2 + 0x08)
#define DMA_SxCR(n)   (DMA2 + 0x10 + 0x18 * (n))
#define DMA_SxNDTR(n) (DMA2 + 0x14 + 0x18 * (n))
#define DMA_SxPAR(n)  (DMA2 + 0x18 + 0x18 * (n))
#define DMA_SxM0AR(n) (DMA2 + 0x1C + 0x18 * (n))
#define DMA_SxFCR(n)  (DMA2 + 0x24 + 0x18 * (n))

#define CR_EN      (1u << 0)
#define CR_M2M     (2u << 6)
#define CR_PINC    (1u << 9)
#define CR_MINC    (1u << 10)
#define CR_PSIZE_WORD (2u << 11)
#define S0_TCIF    (1u << 5)
#define S0_HTIF    (1u << 4)
#define S0_TEIF    (1u << 3)
#define S1_TCIF    (1u << 11)

#define SRC 0x20001000
#define DST 0x20002000

/* RM0090 10.5: reset values (FCR 0x21: FIFO empty, threshold 1/2) */
static void test_reset_values(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    g_assert_cmphex(qtest_readl(qts, DMA_LISR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, DMA_HISR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, DMA_SxCR(3)), ==, 0);
    g_assert_cmphex(qtest_readl(qts, DMA_SxNDTR(3)), ==, 0);
    g_assert_cmphex(qtest_readl(qts, DMA_SxFCR(3)), ==, 0x21);
    qtest_quit(qts);
}

static void dma_m2m(QTestState *qts, int n, uint32_t items, uint32_t cr)
{
    qtest_writel(qts, DMA_SxPAR(n), SRC);
    qtest_writel(qts, DMA_SxM0AR(n), DST);
    qtest_writel(qts, DMA_SxNDTR(n), items);
    qtest_writel(qts, DMA_SxCR(n), cr | CR_M2M | CR_PINC | CR_MINC | CR_EN);
}

/* RM0090 10.3.6 memory-to-memory, 10.5.6 NDTR, 10.3.11 HTIF/TCIF, EN cleared */
static void test_m2m(void)
{
    QTestState *qts = qtest_init("-M fota-f407");
    uint8_t src[16], dst[16];
    int i;

    for (i = 0; i < 16; i++) {
        src[i] = 0x30 + i;
    }
    qtest_memwrite(qts, SRC, src, sizeof(src));
    dma_m2m(qts, 0, 4, CR_PSIZE_WORD);
    qtest_memread(qts, DST, dst, sizeof(dst));
    g_assert_cmpmem(dst, 16, src, 16);
    g_assert_cmphex(qtest_readl(qts, DMA_SxNDTR(0)), ==, 0);
    g_assert_cmphex(qtest_readl(qts, DMA_SxCR(0)) & CR_EN, ==, 0);
    g_assert_cmphex(qtest_readl(qts, DMA_LISR), ==, S0_TCIF | S0_HTIF);
    /* 10.5.3: LIFCR clears by writing 1 */
    qtest_writel(qts, DMA_LIFCR, S0_TCIF);
    g_assert_cmphex(qtest_readl(qts, DMA_LISR), ==, S0_HTIF);
    qtest_quit(qts);
}

/* RM0090 10.5.5: while EN, the configuration is write-protected; NDTR too */
static void test_write_protect(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    qtest_writel(qts, DMA_SxNDTR(1), 0);    /* no items: stays enabled */
    qtest_writel(qts, DMA_SxCR(1), CR_M2M | CR_EN);
    g_assert_cmphex(qtest_readl(qts, DMA_SxCR(1)), ==, CR_M2M | CR_EN);
    qtest_writel(qts, DMA_SxCR(1), CR_M2M | CR_MINC | CR_EN);
    g_assert_cmphex(qtest_readl(qts, DMA_SxCR(1)), ==, CR_M2M | CR_EN);
    qtest_writel(qts, DMA_SxPAR(1), SRC);
    g_assert_cmphex(qtest_readl(qts, DMA_SxPAR(1)), ==, 0);
    qtest_writel(qts, DMA_SxCR(1), CR_M2M);
    g_assert_cmphex(qtest_readl(qts, DMA_SxCR(1)), ==, CR_M2M);
    qtest_quit(qts);
}

/* RM0090 10.3.17: disabling a stream before its end sets TCIF */
static void test_disable_sets_tcif(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    /* peripheral-to-memory, channel 0 of stream 1: nobody requests */
    qtest_writel(qts, DMA_SxNDTR(1), 8);
    qtest_writel(qts, DMA_SxCR(1), CR_EN);
    g_assert_cmphex(qtest_readl(qts, DMA_SxNDTR(1)), ==, 8);
    qtest_writel(qts, DMA_SxCR(1), 0);
    g_assert_cmphex(qtest_readl(qts, DMA_LISR), ==, S1_TCIF);
    qtest_quit(qts);
}

/* RM0090 10.3.15: a bus error sets TEIF and disables the stream */
static void test_transfer_error(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    qtest_writel(qts, DMA_SxPAR(0), 0xA0001000);    /* nothing there */
    qtest_writel(qts, DMA_SxM0AR(0), DST);
    qtest_writel(qts, DMA_SxNDTR(0), 4);
    qtest_writel(qts, DMA_SxCR(0), CR_M2M | CR_EN);
    g_assert_cmphex(qtest_readl(qts, DMA_LISR), ==, S0_TEIF);
    g_assert_cmphex(qtest_readl(qts, DMA_SxCR(0)) & CR_EN, ==, 0);
    g_assert_cmphex(qtest_readl(qts, DMA_SxNDTR(0)), ==, 4);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("stm32f4xx-dma/reset-values", test_reset_values);
    qtest_add_func("stm32f4xx-dma/m2m", test_m2m);
    qtest_add_func("stm32f4xx-dma/write-protect", test_write_protect);
    qtest_add_func("stm32f4xx-dma/disable-sets-tcif", test_disable_sets_tcif);
    qtest_add_func("stm32f4xx-dma/transfer-error", test_transfer_error);
    return g_test_run();
}
