/**
 * @file clock.c
 * @brief SYSCLK setup (HSI -> PLL 168 MHz), the 1 kHz SysTick tick and the
 * system reset, for the bootloader and the applications.
 *
 * QEMU's netduinoplus2 leaves RCC and FLASH unimplemented (reads 0, writes
 * ignored), so every wait on a ready bit here is bounded and a timeout is
 * tolerated, never spun on.
 */
#include <stdint.h>

#include "stm32f4.h"
#include "stm32f4_regs.h"

/* Main PLL from HSI (RM0090 7.2.3, 7.3.2): VCO in = 16 MHz / M = 2 MHz
 * (the value the manual recommends against jitter), VCO out = 2 MHz * N =
 * 336 MHz, SYSCLK = VCO / P = 168 MHz, USB/SDIO = VCO / Q = 48 MHz. */
#define CLOCK_PLLM        8u
#define CLOCK_PLLN        168u
#define CLOCK_PLLP_DIV2   0x0u
#define CLOCK_PLLQ        7u
/* 168 MHz at 2.7-3.6 V needs 5 wait states (RM0090 3.5.1 Table 10). */
#define CLOCK_FLASH_WS    5u
/* Bound of a ready-bit wait, in loop iterations. The slowest wait is the
 * PLL lock, at most 100 us (DS8626 Table 35 tLOCK) = 1600 cycles of the
 * 16 MHz HSI we run on until the switch; one iteration (AHB load, test,
 * branch) takes at least 4 cycles, so 400 iterations cover it and 4096
 * cover it 10 times over. Under QEMU (RCC unimplemented, reads 0) every
 * iteration is an MMIO exit of ~0.4 us wall time and the waits run out:
 * the old bound of 100000 cost ~77 ms per boot (docs/ARCHITECTURE.md). */
#define CLOCK_SPIN_MAX    4096u

static volatile uint32_t clock_tick_ms;

/* Poll until (reg & mask) == want, at most CLOCK_SPIN_MAX times.
 * @return 1 if it happened. */
static int clock_wait(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    uint32_t i;

    for (i = 0u; i < CLOCK_SPIN_MAX; i++) {
        if ((*reg & mask) == want) {
            return 1;
        }
    }
    return 0;
}

void stm32f4_clock_init(void)
{
    uint32_t v;

    /* HSI on (it is, after reset; RM0090 7.3.1). */
    RCC_CR |= RCC_CR_HSION;
    (void)clock_wait(&RCC_CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY);

    /* Voltage scale 1 for 168 MHz (RM0090 5.1.4, 5.4.1; reset value). */
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    (void)RCC_APB1ENR; /* RM0090 7.3.13: wait 2 cycles after enabling a clock */
    PWR_CR |= PWR_CR_VOS;

    /* Bus prescalers before the switch: AHB /1, APB1 /4 (<= 42 MHz),
     * APB2 /2 (<= 84 MHz) (RM0090 7.3.3). */
    v = RCC_CFGR;
    v &= ~((RCC_CFGR_HPRE_MASK << RCC_CFGR_HPRE_SHIFT) |
           (RCC_CFGR_PPRE1_MASK << RCC_CFGR_PPRE1_SHIFT) |
           (RCC_CFGR_PPRE2_MASK << RCC_CFGR_PPRE2_SHIFT));
    v |= (RCC_CFGR_HPRE_DIV1 << RCC_CFGR_HPRE_SHIFT) |
         (RCC_CFGR_PPRE_DIV4 << RCC_CFGR_PPRE1_SHIFT) |
         (RCC_CFGR_PPRE_DIV2 << RCC_CFGR_PPRE2_SHIFT);
    RCC_CFGR = v;

    /* Main PLL: configure while off, then on, wait PLLRDY (RM0090 7.3.2). */
    RCC_CR &= ~RCC_CR_PLLON;
    RCC_PLLCFGR = (CLOCK_PLLM << RCC_PLLCFGR_PLLM_SHIFT) |
                  (CLOCK_PLLN << RCC_PLLCFGR_PLLN_SHIFT) |
                  (CLOCK_PLLP_DIV2 << RCC_PLLCFGR_PLLP_SHIFT) |
                  (CLOCK_PLLQ << RCC_PLLCFGR_PLLQ_SHIFT); /* PLLSRC = 0: HSI */
    RCC_CR |= RCC_CR_PLLON;
    if (!clock_wait(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        return; /* no lock (or no RCC model): stay on HSI */
    }

    /* Wait states first, read back before raising the clock (RM0090 3.5.1
     * "Increasing the CPU frequency"); caches and prefetch on. */
    FLASH_ACR = (CLOCK_FLASH_WS << FLASH_ACR_LATENCY_SHIFT) |
                FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
    if (!clock_wait(&FLASH_ACR, FLASH_ACR_LATENCY_MASK << FLASH_ACR_LATENCY_SHIFT,
                    CLOCK_FLASH_WS << FLASH_ACR_LATENCY_SHIFT)) {
        return; /* latency not applied: running at 168 MHz would be unsafe */
    }

    /* Switch SYSCLK to the PLL and wait for SWS to follow (RM0090 7.3.3). */
    v = RCC_CFGR;
    v &= ~(RCC_CFGR_SW_MASK << RCC_CFGR_SW_SHIFT);
    v |= RCC_CFGR_SW_PLL << RCC_CFGR_SW_SHIFT;
    RCC_CFGR = v;
    (void)clock_wait(&RCC_CFGR, RCC_CFGR_SWS_MASK << RCC_CFGR_SWS_SHIFT,
                     RCC_CFGR_SW_PLL << RCC_CFGR_SWS_SHIFT);
}

uint32_t stm32f4_sysclk_hz(void)
{
    uint32_t sws = (RCC_CFGR >> RCC_CFGR_SWS_SHIFT) & RCC_CFGR_SWS_MASK;

    if (sws == RCC_CFGR_SW_PLL) {
        return STM32F4_PLL_HZ;
    }
    if ((RCC_CR & RCC_CR_HSIRDY) != 0u) {
        return STM32F4_HSI_HZ; /* PLL did not lock: still on HSI */
    }
    /* RCC reads as zero: not implemented (QEMU netduinoplus2, whose SYSCLK
     * is a fixed 168 MHz). On silicon HSIRDY is set while HSI clocks us. */
    return STM32F4_PLL_HZ;
}

/* ---- 1 kHz tick (PM0214 4.5). Exception-driven: polling COUNTFLAG does
 * not work under QEMU (docs/ARCHITECTURE.md). ---- */

void SysTick_Handler(void)
{
    clock_tick_ms++;
}

void stm32f4_tick_init(void)
{
    SYST_CSR = 0u;
    SYST_RVR = (stm32f4_sysclk_hz() / 1000u - 1u) & SYST_RVR_RELOAD_MASK;
    SYST_CVR = 0u;
    /* Lowest priority for SysTick (PM0214 4.4.8 SHPR3). */
    SCB_SHPR3 = (SCB_SHPR3 & ~(0xFFu << SCB_SHPR3_PRI15_SHIFT)) |
                (0xF0u << SCB_SHPR3_PRI15_SHIFT);
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

uint32_t stm32f4_ticks_ms(void)
{
    return clock_tick_ms;
}

void stm32f4_tick_stop(void)
{
    SYST_CSR = 0u;
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
}

/* See stm32f4.h for why idle polls pause. 3 instructions per iteration. */
#define CLOCK_POLL_PAUSE_ITERATIONS 128u

void stm32f4_poll_pause(void)
{
    uint32_t i;

    for (i = 0u; i < CLOCK_POLL_PAUSE_ITERATIONS; i++) {
        __asm volatile("nop");
    }
}

/* PM0214 4.4.5: VECTKEY, keep PRIGROUP, SYSRESETREQ. */
void stm32f4_system_reset(void)
{
    __asm volatile("dsb" ::: "memory");
    SCB_AIRCR = SCB_AIRCR_VECTKEY |
                (SCB_AIRCR & (SCB_AIRCR_PRIGROUP_MASK << SCB_AIRCR_PRIGROUP_SHIFT)) |
                SCB_AIRCR_SYSRESETREQ;
    __asm volatile("dsb" ::: "memory");
    for (;;) {
        /* the reset takes a few cycles */
    }
}
