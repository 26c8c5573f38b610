/*
 * QTest of the STM32F405/407 GPIO model (RM0090 section 8) on fota-f407.
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"

#define GPIO_BASE(p)  (0x40020000 + 0x400 * (p))
#define GPIO_MODER(p)   (GPIO_BASE(p) + 0x00)
#define GPIO_OTYPER(p)  (GPIO_BASE(p) + 0x04)
#define GPIO_OSPEEDR(p) (GPIO_BASE(p) + 0x08)
#define GPIO_PUPDR(p)   (GPIO_BASE(p) + 0x0C)
#define GPIO_IDR(p)     (GPIO_BASE(p) + 0x10)
#define GPIO_ODR(p)     (GPIO_BASE(p) + 0x14)
#define GPIO_BSRR(p)    (GPIO_BASE(p) + 0x18)
#define PA 0
#define PB 1
#define PC 2

/* RM0090 8.4.1-8.4.4: reset values of port A, B and the others */
static void test_reset_values(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    g_assert_cmphex(qtest_readl(qts, GPIO_MODER(PA)), ==, 0xA8000000);
    g_assert_cmphex(qtest_readl(qts, GPIO_PUPDR(PA)), ==, 0x64000000);
    g_assert_cmphex(qtest_readl(qts, GPIO_MODER(PB)), ==, 0x00000280);
    g_assert_cmphex(qtest_readl(qts, GPIO_OSPEEDR(PB)), ==, 0x000000C0);
    g_assert_cmphex(qtest_readl(qts, GPIO_PUPDR(PB)), ==, 0x00000100);
    g_assert_cmphex(qtest_readl(qts, GPIO_MODER(PC)), ==, 0);
    g_assert_cmphex(qtest_readl(qts, GPIO_ODR(PC)), ==, 0);
    qtest_quit(qts);
}

/* RM0090 8.4.7: BSRR sets and resets ODR bits atomically; set wins */
static void test_bsrr(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    qtest_writel(qts, GPIO_BSRR(PC), 0x00000005);
    g_assert_cmphex(qtest_readl(qts, GPIO_ODR(PC)), ==, 0x0005);
    qtest_writel(qts, GPIO_BSRR(PC), 0x00010000);
    g_assert_cmphex(qtest_readl(qts, GPIO_ODR(PC)), ==, 0x0004);
    qtest_writel(qts, GPIO_BSRR(PC), 0x00080008);   /* both: set wins */
    g_assert_cmphex(qtest_readl(qts, GPIO_ODR(PC)), ==, 0x000C);
    g_assert_cmphex(qtest_readl(qts, GPIO_BSRR(PC)), ==, 0);  /* write-only */
    qtest_quit(qts);
}

/* RM0090 8.3.1, 8.4.5: IDR samples the pad: outputs, pulls */
static void test_idr(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    qtest_writel(qts, GPIO_PUPDR(PC), 0x1 << 4 | 0x2 << 6);  /* PC2 up, PC3 down */
    g_assert_cmphex(qtest_readl(qts, GPIO_IDR(PC)), ==, 0x0004);
    qtest_writel(qts, GPIO_MODER(PC), 0x1 << 6);            /* PC3 output */
    qtest_writel(qts, GPIO_BSRR(PC), 1u << 3);
    g_assert_cmphex(qtest_readl(qts, GPIO_IDR(PC)), ==, 0x000C);
    /* open drain: ODR 1 releases the pin, its pull-down wins */
    qtest_writel(qts, GPIO_OTYPER(PC), 1u << 3);
    g_assert_cmphex(qtest_readl(qts, GPIO_IDR(PC)), ==, 0x0004);
    qtest_writel(qts, GPIO_MODER(PC), 0x3 << 4 | 0x1 << 6); /* PC2 analog */
    g_assert_cmphex(qtest_readl(qts, GPIO_IDR(PC)), ==, 0);
    qtest_quit(qts);
}

/* The board strap: PB1 driven high with link-strap=spi, open with uart */
static void test_link_strap(void)
{
    QTestState *qts = qtest_init("-M fota-f407,link-strap=spi");

    qtest_writel(qts, GPIO_PUPDR(PB), 0x2 << 2);    /* PB1 pull-down */
    g_assert_cmphex(qtest_readl(qts, GPIO_IDR(PB)) & 2, ==, 2);
    qtest_quit(qts);
    qts = qtest_init("-M fota-f407,link-strap=uart");
    qtest_writel(qts, GPIO_PUPDR(PB), 0x2 << 2);
    g_assert_cmphex(qtest_readl(qts, GPIO_IDR(PB)) & 2, ==, 0);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("stm32f4xx-gpio/reset-values", test_reset_values);
    qtest_add_func("stm32f4xx-gpio/bsrr", test_bsrr);
    qtest_add_func("stm32f4xx-gpio/idr", test_idr);
    qtest_add_func("stm32f4xx-gpio/link-strap", test_link_strap);
    return g_test_run();
}
