/*
 * QTest of the STM32F405/407 IWDG model (RM0090 section 21) on fota-f407.
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"

#define IWDG_BASE 0x40003000
#define IWDG_KR   (IWDG_BASE + 0x00)
#define IWDG_PR   (IWDG_BASE + 0x04)
#define IWDG_RLR  (IWDG_BASE + 0x08)
#define IWDG_SR   (IWDG_BASE + 0x0C)
#define RCC_CSR   0x40023874

#define KR_RELOAD 0xAAAA
#define KR_ACCESS 0x5555
#define KR_START  0xCCCC
#define SR_PVU    (1u << 0)
#define SR_RVU    (1u << 1)
#define CSR_RMVF     (1u << 24)
#define CSR_PINRSTF  (1u << 26)
#define CSR_IWDGRSTF (1u << 29)

#define US 1000LL
#define MS 1000000LL

static QTestState *iwdg_start(uint32_t lsi_hz)
{
    QTestState *qts = qtest_initf("-M fota-f407 -global "
                                  "stm32f4xx-iwdg.lsi-frequency=%u", lsi_hz);

    qtest_writel(qts, RCC_CSR, CSR_RMVF);
    return qts;
}

/* Expiry: the WATCHDOG and RESET events, and IWDGRSTF with PINRSTF */
static void iwdg_assert_reset(QTestState *qts)
{
    qtest_qmp_eventwait(qts, "WATCHDOG");
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmphex(qtest_readl(qts, RCC_CSR), ==, CSR_IWDGRSTF | CSR_PINRSTF);
}

/* RM0090 21.4: reset values */
static void test_reset_values(void)
{
    QTestState *qts = iwdg_start(32000);

    g_assert_cmphex(qtest_readl(qts, IWDG_PR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, IWDG_RLR), ==, 0xFFF);
    g_assert_cmphex(qtest_readl(qts, IWDG_SR), ==, 0);
    qtest_quit(qts);
}

/* RM0090 21.3.4: PR and RLR are write-protected until 0x5555 */
static void test_write_protection(void)
{
    QTestState *qts = iwdg_start(32000);

    qtest_writel(qts, IWDG_PR, 3);
    qtest_writel(qts, IWDG_RLR, 100);
    g_assert_cmphex(qtest_readl(qts, IWDG_PR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, IWDG_RLR), ==, 0xFFF);
    qtest_writel(qts, IWDG_KR, KR_ACCESS);
    qtest_writel(qts, IWDG_PR, 3);
    g_assert_cmphex(qtest_readl(qts, IWDG_PR), ==, 3);
    qtest_writel(qts, IWDG_KR, KR_RELOAD);   /* protects again */
    qtest_writel(qts, IWDG_RLR, 100);
    g_assert_cmphex(qtest_readl(qts, IWDG_RLR), ==, 0xFFF);
    qtest_quit(qts);
}

/* RM0090 21.4.4: PVU/RVU while the value goes to the VDD domain (5 LSI cycles) */
static void test_sr_update_flags(void)
{
    QTestState *qts = iwdg_start(32000);

    qtest_writel(qts, IWDG_KR, KR_ACCESS);
    qtest_writel(qts, IWDG_PR, 1);
    qtest_writel(qts, IWDG_RLR, 10);
    g_assert_cmphex(qtest_readl(qts, IWDG_SR), ==, SR_PVU | SR_RVU);
    qtest_clock_step(qts, 5 * 31250 - 1);   /* 5 periods of 32 kHz: 156.25 us */
    g_assert_cmphex(qtest_readl(qts, IWDG_SR), ==, SR_PVU | SR_RVU);
    qtest_clock_step(qts, 1);
    g_assert_cmphex(qtest_readl(qts, IWDG_SR), ==, 0);
    qtest_quit(qts);
}

/* RM0090 21.3.1: started and not reloaded, it resets after (RLR + 1) * 4 / LSI:
 * 4096 * 4 / 32 kHz = 512 ms */
static void test_expiry_resets_at_32khz(void)
{
    QTestState *qts = iwdg_start(32000);

    qtest_writel(qts, IWDG_KR, KR_START);
    qtest_clock_step(qts, 512 * MS - 1);
    g_assert_cmphex(qtest_readl(qts, RCC_CSR), ==, 0);
    qtest_clock_step(qts, 1);
    iwdg_assert_reset(qts);
    /* the reset stopped it */
    qtest_clock_step(qts, 2000 * MS);
    g_assert_cmphex(qtest_readl(qts, RCC_CSR), ==, CSR_IWDGRSTF | CSR_PINRSTF);
    qtest_quit(qts);
}

/* DS8626 LSI corner: 17 kHz makes the same setting last 963.76 ms */
static void test_expiry_at_17khz(void)
{
    QTestState *qts = iwdg_start(17000);
    int64_t ns = 4096LL * 4 * 1000000000LL / 17000;

    qtest_writel(qts, IWDG_KR, KR_START);
    qtest_clock_step(qts, ns - 1000);
    g_assert_cmphex(qtest_readl(qts, RCC_CSR), ==, 0);
    qtest_clock_step(qts, 2000);
    iwdg_assert_reset(qts);
    qtest_quit(qts);
}

/* RM0090 21.3.2: 0xAAAA reloads the counter from RLR; PR /32 RLR 99 at
 * 47 kHz: 100 * 32 / 47000 = 68.09 ms */
static void test_reload_postpones_reset(void)
{
    QTestState *qts = iwdg_start(47000);
    int64_t ns = 100LL * 32 * 1000000000LL / 47000;

    qtest_writel(qts, IWDG_KR, KR_START);
    qtest_writel(qts, IWDG_KR, KR_ACCESS);
    qtest_writel(qts, IWDG_PR, 3);
    qtest_writel(qts, IWDG_RLR, 99);
    qtest_clock_step(qts, 200 * US);
    g_assert_cmphex(qtest_readl(qts, IWDG_SR), ==, 0);
    qtest_writel(qts, IWDG_KR, KR_RELOAD);
    qtest_clock_step(qts, ns - 1000);
    qtest_writel(qts, IWDG_KR, KR_RELOAD);
    qtest_clock_step(qts, ns - 1000);
    g_assert_cmphex(qtest_readl(qts, RCC_CSR), ==, 0);
    qtest_clock_step(qts, 2000);
    iwdg_assert_reset(qts);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("stm32f4xx-iwdg/reset-values", test_reset_values);
    qtest_add_func("stm32f4xx-iwdg/write-protection", test_write_protection);
    qtest_add_func("stm32f4xx-iwdg/sr-update-flags", test_sr_update_flags);
    qtest_add_func("stm32f4xx-iwdg/expiry-resets-at-32khz",
                   test_expiry_resets_at_32khz);
    qtest_add_func("stm32f4xx-iwdg/expiry-at-17khz", test_expiry_at_17khz);
    qtest_add_func("stm32f4xx-iwdg/reload-postpones-reset",
                   test_reload_postpones_reset);
    return g_test_run();
}
