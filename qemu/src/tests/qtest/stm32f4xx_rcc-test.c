/*
 * QTest of the STM32F405/407 RCC model (RM0090 section 7) on fota-f407.
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"

#define RCC_BASE     0x40023800
#define RCC_CR       (RCC_BASE + 0x00)
#define RCC_PLLCFGR  (RCC_BASE + 0x04)
#define RCC_CFGR     (RCC_BASE + 0x08)
#define RCC_AHB1ENR  (RCC_BASE + 0x30)
#define RCC_CSR      (RCC_BASE + 0x74)

#define CR_HSION   (1u << 0)
#define CR_HSIRDY  (1u << 1)
#define CR_HSEON   (1u << 16)
#define CR_HSERDY  (1u << 17)
#define CR_PLLON   (1u << 24)
#define CR_PLLRDY  (1u << 25)
#define CSR_LSION  (1u << 0)
#define CSR_LSIRDY (1u << 1)
#define CSR_RMVF   (1u << 24)
#define CSR_BORRSTF (1u << 25)
#define CSR_PINRSTF (1u << 26)
#define CSR_PORRSTF (1u << 27)

/* HSI -> PLL 168 MHz as bootloader/port/stm32f4/clock.c: M 8, N 168, P 2, Q 7 */
#define PLLCFGR_168MHZ ((8u << 0) | (168u << 6) | (0u << 16) | (7u << 24))

static void rcc_system_reset(QTestState *qts)
{
    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
}

/* RM0090 7.3.1-7.3.3, 7.3.10, 7.3.21: reset values */
static void test_reset_values(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    g_assert_cmphex(qtest_readl(qts, RCC_CR) & 0xFF, ==, 0x83);
    g_assert_cmphex(qtest_readl(qts, RCC_PLLCFGR), ==, 0x24003010);
    g_assert_cmphex(qtest_readl(qts, RCC_CFGR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, RCC_AHB1ENR), ==, 0x00100000);
    g_assert_cmphex(qtest_readl(qts, RCC_CSR), ==, 0x0E000000);
    qtest_quit(qts);
}

/* RM0090 7.3.1: HSERDY and PLLRDY follow HSEON and PLLON */
static void test_ready_follows_on(void)
{
    QTestState *qts = qtest_init("-M fota-f407");
    uint32_t cr = qtest_readl(qts, RCC_CR);

    g_assert_cmphex(cr & (CR_HSERDY | CR_PLLRDY), ==, 0);
    qtest_writel(qts, RCC_CR, cr | CR_HSEON);
    g_assert_cmphex(qtest_readl(qts, RCC_CR) & CR_HSERDY, ==, CR_HSERDY);
    qtest_writel(qts, RCC_PLLCFGR, PLLCFGR_168MHZ);
    qtest_writel(qts, RCC_CR, qtest_readl(qts, RCC_CR) | CR_PLLON);
    g_assert_cmphex(qtest_readl(qts, RCC_CR) & CR_PLLRDY, ==, CR_PLLRDY);
    qtest_writel(qts, RCC_CR, qtest_readl(qts, RCC_CR) & ~(CR_PLLON | CR_HSEON));
    g_assert_cmphex(qtest_readl(qts, RCC_CR) & (CR_PLLRDY | CR_HSERDY), ==, 0);
    qtest_writel(qts, RCC_CSR, CSR_LSION);
    g_assert_cmphex(qtest_readl(qts, RCC_CSR) & CSR_LSIRDY, ==, CSR_LSIRDY);
    qtest_quit(qts);
}

/* RM0090 7.3.3: SWS follows SW once the source is ready; 7.3.1: the
 * SYSCLK source cannot be switched off */
static void test_sws_follows_sw(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    qtest_writel(qts, RCC_CFGR, 2);     /* PLL, not on yet */
    g_assert_cmphex(qtest_readl(qts, RCC_CFGR), ==, 2);
    qtest_writel(qts, RCC_PLLCFGR, PLLCFGR_168MHZ);
    qtest_writel(qts, RCC_CR, qtest_readl(qts, RCC_CR) | CR_PLLON);
    g_assert_cmphex(qtest_readl(qts, RCC_CFGR), ==, 2 | (2 << 2));
    qtest_writel(qts, RCC_CR, qtest_readl(qts, RCC_CR) & ~(CR_PLLON | CR_HSION));
    g_assert_cmphex(qtest_readl(qts, RCC_CR) & (CR_PLLRDY | CR_HSIRDY), ==,
                    CR_PLLRDY | CR_HSIRDY);
    qtest_writel(qts, RCC_CFGR, 0);
    g_assert_cmphex(qtest_readl(qts, RCC_CFGR), ==, 0);
    qtest_quit(qts);
}

/* RM0090 7.3.2: PLLCFGR is written only while the PLL is off */
static void test_pllcfgr_locked_while_on(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    qtest_writel(qts, RCC_PLLCFGR, PLLCFGR_168MHZ);
    qtest_writel(qts, RCC_CR, qtest_readl(qts, RCC_CR) | CR_PLLON);
    qtest_writel(qts, RCC_PLLCFGR, 0x24003010);
    g_assert_cmphex(qtest_readl(qts, RCC_PLLCFGR), ==, PLLCFGR_168MHZ);
    qtest_quit(qts);
}

/* RM0090 7.3.21: flags kept across a system reset, RMVF clears them, a
 * reset through NRST sets PINRSTF only */
static void test_csr_reset_flags(void)
{
    QTestState *qts = qtest_init("-M fota-f407");

    rcc_system_reset(qts);
    g_assert_cmphex(qtest_readl(qts, RCC_CSR), ==,
                    CSR_PORRSTF | CSR_PINRSTF | CSR_BORRSTF);
    qtest_writel(qts, RCC_CSR, CSR_RMVF);
    g_assert_cmphex(qtest_readl(qts, RCC_CSR), ==, 0);
    rcc_system_reset(qts);
    g_assert_cmphex(qtest_readl(qts, RCC_CSR), ==, CSR_PINRSTF);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("stm32f4xx-rcc/reset-values", test_reset_values);
    qtest_add_func("stm32f4xx-rcc/ready-follows-on", test_ready_follows_on);
    qtest_add_func("stm32f4xx-rcc/sws-follows-sw", test_sws_follows_sw);
    qtest_add_func("stm32f4xx-rcc/pllcfgr-locked-while-on",
                   test_pllcfgr_locked_while_on);
    qtest_add_func("stm32f4xx-rcc/csr-reset-flags", test_csr_reset_flags);
    return g_test_run();
}
