/**
 * @file iwdg.h
 * @brief The STM32F4 independent watchdog (RM0090 21 "Independent
 * watchdog (IWDG)"), register-level, behind port_watchdog_start() in
 * port.c. The registers are reached through a pointer so the host unit
 * test (tests/bootloader/iwdg-test.c) can hand in a fake block.
 */
#ifndef STM32F4_IWDG_H
#define STM32F4_IWDG_H

#include <stdint.h>

/** The IWDG register block (RM0090 21.4.5 "IWDG register map"). */
struct stm32f4_iwdg_regs {
    volatile uint32_t kr;  /**< 0x00 IWDG_KR key register */
    volatile uint32_t pr;  /**< 0x04 IWDG_PR prescaler register */
    volatile uint32_t rlr; /**< 0x08 IWDG_RLR reload register */
    volatile uint32_t sr;  /**< 0x0C IWDG_SR status register (PVU, RVU) */
};

/** Polls of IWDG_SR before giving up (PVU/RVU clear within 5 LSI periods, ~160 us, RM0090 21.4.4). */
#define STM32F4_IWDG_SPIN_MAX 200000u

/**
 * Prescaler and reload for a timeout (RM0090 21.3.3 Table 107: timeout =
 * (RLR + 1) * (4 << PR) / f_LSI, f_LSI = IWDG_LSI_HZ): the smallest PR
 * whose 12-bit reload reaches the timeout.
 * @param timeout_ms  clamped to 1..32000
 * @param pr          receives PR, 0..IWDG_PR_MAX
 * @param reload      receives the counts, 1..4096 (RLR is reload - 1)
 */
void stm32f4_iwdg_divider(uint32_t timeout_ms, uint32_t *pr, uint32_t *reload);

/**
 * Start the IWDG with @p timeout_ms (RM0090 21.3.2: KR=START, KR=UNLOCK,
 * wait until SR.PVU/RVU are clear, PR, RLR, wait again, KR=RELOAD).
 * @param iwdg  the register block (IWDG_BASE on the part)
 * @return 0; FOTA_ETIMEOUT (SR.PVU or SR.RVU still set after
 *         STM32F4_IWDG_SPIN_MAX polls: PR or RLR may not hold the new
 *         value; the watchdog runs with whatever period it had).
 */
int stm32f4_iwdg_start(struct stm32f4_iwdg_regs *iwdg, uint32_t timeout_ms);

#endif /* STM32F4_IWDG_H */
