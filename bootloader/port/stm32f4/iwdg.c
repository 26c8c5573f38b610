/**
 * @file iwdg.c
 * @brief The independent watchdog, register-level (iwdg.h, RM0090 21).
 */
#include "iwdg.h"
#include "fota/errors.h"
#include "stm32f4_regs.h"

void stm32f4_iwdg_divider(uint32_t timeout_ms, uint32_t *pr, uint32_t *reload)
{
    uint32_t p = 0u, r;

    if (timeout_ms == 0u) {
        timeout_ms = 1u;
    }
    if (timeout_ms > 32000u) {
        timeout_ms = 32000u;
    }
    /* counts = timeout_ms * (f_LSI / 1000) / (4 << PR). 3000 ms -> PR 3
     * (/32), RLR 2999; 32000 ms -> PR 6 (/256), RLR 3999. */
    for (;;) {
        r = (timeout_ms * (IWDG_LSI_HZ / 1000u)) / (4u << p);
        if (r <= IWDG_RLR_MASK + 1u || p == IWDG_PR_MAX) {
            break;
        }
        p++;
    }
    if (r == 0u) {
        r = 1u;
    }
    if (r > IWDG_RLR_MASK + 1u) {
        r = IWDG_RLR_MASK + 1u;
    }
    *pr = p;
    *reload = r;
}

/* RM0090 21.4.4: PR and RLR may only be written while SR.PVU / SR.RVU
 * are clear (a previous update still in the VDD domain otherwise). */
static int iwdg_wait_sr_clear(const struct stm32f4_iwdg_regs *iwdg)
{
    uint32_t i;

    for (i = 0u; i < STM32F4_IWDG_SPIN_MAX; i++) {
        if ((iwdg->sr & (IWDG_SR_PVU | IWDG_SR_RVU)) == 0u) {
            return 0;
        }
    }
    return FOTA_ETIMEOUT;
}

int stm32f4_iwdg_start(struct stm32f4_iwdg_regs *iwdg, uint32_t timeout_ms)
{
    uint32_t pr, reload;
    int rc, rc2;

    stm32f4_iwdg_divider(timeout_ms, &pr, &reload);
    /* RM0090 21.3.2: start, then unlock PR/RLR, program them once the
     * previous update is done (PVU/RVU clear), reload. */
    iwdg->kr = IWDG_KR_START;
    iwdg->kr = IWDG_KR_UNLOCK;
    rc = iwdg_wait_sr_clear(iwdg);
    iwdg->pr = (pr & IWDG_PR_MASK) << IWDG_PR_SHIFT;
    iwdg->rlr = ((reload - 1u) & IWDG_RLR_MASK) << IWDG_RLR_SHIFT;
    rc2 = iwdg_wait_sr_clear(iwdg);
    iwdg->kr = IWDG_KR_RELOAD;
    return (rc != 0) ? rc : rc2;
}
