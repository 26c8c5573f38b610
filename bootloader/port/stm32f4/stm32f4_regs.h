/**
 * @file stm32f4_regs.h
 * @brief The few STM32F405/407 and Cortex-M4 registers the port and the
 * applications touch, named as in the reference manuals (libopencm3 style:
 * PERIPH_REG, PERIPH_REG_BIT as (1U << n), _SHIFT/_MASK pairs).
 *
 * Sources: RM0090 rev 19 "STM32F405/415, STM32F407/417, STM32F427/437 and
 * STM32F429/439 reference manual"; PM0214 rev 10 "STM32 Cortex-M4 MCUs and
 * MPUs programming manual" (SysTick, SCB); ARMv7-M ARM (DDI 0403E).
 *
 * No vendor HAL: only what is used is defined here.
 */
#ifndef STM32F4_REGS_H
#define STM32F4_REGS_H

#include <stdint.h>

#define MMIO32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- Memory map (RM0090 2.3 Table 1) ---- */
#define PERIPH_BASE_APB1   0x40000000u
#define PERIPH_BASE_APB2   0x40010000u
#define PERIPH_BASE_AHB1   0x40020000u
#define USART2_BASE        (PERIPH_BASE_APB1 + 0x4400u)
#define PWR_BASE           (PERIPH_BASE_APB1 + 0x7000u)
#define IWDG_BASE          (PERIPH_BASE_APB1 + 0x3000u)
#define USART1_BASE        (PERIPH_BASE_APB2 + 0x1000u)
#define GPIOA_BASE         (PERIPH_BASE_AHB1 + 0x0000u)
#define RCC_BASE           (PERIPH_BASE_AHB1 + 0x3800u)
#define FLASH_R_BASE       (PERIPH_BASE_AHB1 + 0x3C00u)

/* ---- FLASH interface (RM0090 3.9 "Flash interface registers") ---- */
#define FLASH_ACR          MMIO32(FLASH_R_BASE + 0x00u) /* 3.9.1 */
#define FLASH_KEYR         MMIO32(FLASH_R_BASE + 0x04u) /* 3.9.2 */
#define FLASH_SR           MMIO32(FLASH_R_BASE + 0x0Cu) /* 3.9.4 */
#define FLASH_CR           MMIO32(FLASH_R_BASE + 0x10u) /* 3.9.5 */

/* FLASH_ACR (3.9.1); LATENCY is 3 bits on F405/407 */
#define FLASH_ACR_LATENCY_SHIFT 0
#define FLASH_ACR_LATENCY_MASK  0x7u
#define FLASH_ACR_PRFTEN   (1U << 8)
#define FLASH_ACR_ICEN     (1U << 9)
#define FLASH_ACR_DCEN     (1U << 10)
#define FLASH_ACR_ICRST    (1U << 11)
#define FLASH_ACR_DCRST    (1U << 12)

/* FLASH_KEYR unlock sequence (3.6.1 "Unlocking the Flash control register") */
#define FLASH_KEYR_KEY1    0x45670123u
#define FLASH_KEYR_KEY2    0xCDEF89ABu

/* FLASH_SR (3.9.4); error and EOP flags are rc_w1 */
#define FLASH_SR_EOP       (1U << 0)
#define FLASH_SR_OPERR     (1U << 1)
#define FLASH_SR_WRPERR    (1U << 4)
#define FLASH_SR_PGAERR    (1U << 5)
#define FLASH_SR_PGPERR    (1U << 6)
#define FLASH_SR_PGSERR    (1U << 7)
#define FLASH_SR_BSY       (1U << 16)
#define FLASH_SR_ERRORS    (FLASH_SR_OPERR | FLASH_SR_WRPERR | FLASH_SR_PGAERR | \
                            FLASH_SR_PGPERR | FLASH_SR_PGSERR)

/* FLASH_CR (3.9.5) */
#define FLASH_CR_PG        (1U << 0)
#define FLASH_CR_SER       (1U << 1)
#define FLASH_CR_MER       (1U << 2)
#define FLASH_CR_SNB_SHIFT 3
#define FLASH_CR_SNB_MASK  0xFu
#define FLASH_CR_PSIZE_SHIFT 8
#define FLASH_CR_PSIZE_MASK  0x3u
#define FLASH_CR_PSIZE_X8    0x0u  /* byte programming */
#define FLASH_CR_PSIZE_X16   0x1u
#define FLASH_CR_PSIZE_X32   0x2u  /* word programming, VDD 2.7-3.6 V (3.6.2 Table 7) */
#define FLASH_CR_PSIZE_X64   0x3u  /* needs VPP */
#define FLASH_CR_STRT      (1U << 16)
#define FLASH_CR_EOPIE     (1U << 24)
#define FLASH_CR_ERRIE     (1U << 25)
#define FLASH_CR_LOCK      (1U << 31)

/* ---- RCC (RM0090 7.3 "RCC registers" for STM32F405xx/07xx) ---- */
#define RCC_CR             MMIO32(RCC_BASE + 0x00u) /* 7.3.1 */
#define RCC_PLLCFGR        MMIO32(RCC_BASE + 0x04u) /* 7.3.2 */
#define RCC_CFGR           MMIO32(RCC_BASE + 0x08u) /* 7.3.3 */
#define RCC_AHB1ENR        MMIO32(RCC_BASE + 0x30u) /* 7.3.10 */
#define RCC_APB1ENR        MMIO32(RCC_BASE + 0x40u) /* 7.3.13 */
#define RCC_APB2ENR        MMIO32(RCC_BASE + 0x44u) /* 7.3.14 */
#define RCC_CSR            MMIO32(RCC_BASE + 0x74u) /* 7.3.21 */

#define RCC_CR_HSION       (1U << 0)
#define RCC_CR_HSIRDY      (1U << 1)
#define RCC_CR_PLLON       (1U << 24)
#define RCC_CR_PLLRDY      (1U << 25)

#define RCC_PLLCFGR_PLLM_SHIFT 0
#define RCC_PLLCFGR_PLLM_MASK  0x3Fu
#define RCC_PLLCFGR_PLLN_SHIFT 6
#define RCC_PLLCFGR_PLLN_MASK  0x1FFu
#define RCC_PLLCFGR_PLLP_SHIFT 16
#define RCC_PLLCFGR_PLLP_MASK  0x3u   /* 0: /2, 1: /4, 2: /6, 3: /8 */
#define RCC_PLLCFGR_PLLSRC     (1U << 22) /* 0: HSI, 1: HSE */
#define RCC_PLLCFGR_PLLQ_SHIFT 24
#define RCC_PLLCFGR_PLLQ_MASK  0xFu

#define RCC_CFGR_SW_SHIFT    0
#define RCC_CFGR_SW_MASK     0x3u
#define RCC_CFGR_SWS_SHIFT   2
#define RCC_CFGR_SWS_MASK    0x3u
#define RCC_CFGR_SW_HSI      0x0u
#define RCC_CFGR_SW_PLL      0x2u
#define RCC_CFGR_HPRE_SHIFT  4
#define RCC_CFGR_HPRE_MASK   0xFu
#define RCC_CFGR_HPRE_DIV1   0x0u
#define RCC_CFGR_PPRE1_SHIFT 10
#define RCC_CFGR_PPRE1_MASK  0x7u
#define RCC_CFGR_PPRE2_SHIFT 13
#define RCC_CFGR_PPRE2_MASK  0x7u
#define RCC_CFGR_PPRE_DIV2   0x4u
#define RCC_CFGR_PPRE_DIV4   0x5u

#define RCC_AHB1ENR_GPIOAEN  (1U << 0)
#define RCC_APB1ENR_USART2EN (1U << 17)
#define RCC_APB1ENR_PWREN    (1U << 28)
#define RCC_APB2ENR_USART1EN (1U << 4)

#define RCC_CSR_LSION        (1U << 0)
#define RCC_CSR_LSIRDY       (1U << 1)

/* ---- PWR (RM0090 5.4.1 PWR_CR) ---- */
#define PWR_CR             MMIO32(PWR_BASE + 0x00u)
#define PWR_CR_VOS         (1U << 14) /* F405/407: 1 = scale 1 mode (reset value), needed for 168 MHz */

/* ---- GPIO (RM0090 8.4 "GPIO registers") ---- */
#define GPIO_MODER(base)   MMIO32((base) + 0x00u) /* 8.4.1 */
#define GPIO_OSPEEDR(base) MMIO32((base) + 0x08u) /* 8.4.3 */
#define GPIO_PUPDR(base)   MMIO32((base) + 0x0Cu) /* 8.4.4 */
#define GPIO_AFRL(base)    MMIO32((base) + 0x20u) /* 8.4.9, pins 0-7 */
#define GPIO_AFRH(base)    MMIO32((base) + 0x24u) /* 8.4.10, pins 8-15 */

#define GPIO_MODE_MASK     0x3u   /* 2 bits per pin */
#define GPIO_MODE_AF       0x2u
#define GPIO_OSPEED_MASK   0x3u
#define GPIO_OSPEED_HIGH   0x2u
#define GPIO_PUPD_MASK     0x3u
#define GPIO_PUPD_PULLUP   0x1u
#define GPIO_AF_MASK       0xFu   /* 4 bits per pin */
#define GPIO_AF7           0x7u   /* USART1..3 (datasheet DS8626 Table 9) */

/* ---- USART (RM0090 30.6 "USART registers") ---- */
#define USART_SR(base)     MMIO32((base) + 0x00u) /* 30.6.1 */
#define USART_DR(base)     MMIO32((base) + 0x04u) /* 30.6.2 */
#define USART_BRR(base)    MMIO32((base) + 0x08u) /* 30.6.3 */
#define USART_CR1(base)    MMIO32((base) + 0x0Cu) /* 30.6.4 */
#define USART_CR2(base)    MMIO32((base) + 0x10u) /* 30.6.5 */
#define USART_CR3(base)    MMIO32((base) + 0x14u) /* 30.6.6 */

#define USART_SR_PE        (1U << 0)
#define USART_SR_FE        (1U << 1)
#define USART_SR_NF        (1U << 2)
#define USART_SR_ORE       (1U << 3)
#define USART_SR_IDLE      (1U << 4)
#define USART_SR_RXNE      (1U << 5)
#define USART_SR_TC        (1U << 6)
#define USART_SR_TXE       (1U << 7)

#define USART_CR1_RE       (1U << 2)
#define USART_CR1_TE       (1U << 3)
#define USART_CR1_M        (1U << 12)
#define USART_CR1_UE       (1U << 13)
#define USART_CR1_OVER8    (1U << 15)

#define USART_BRR_FRACTION_SHIFT 0
#define USART_BRR_FRACTION_MASK  0xFu
#define USART_BRR_MANTISSA_SHIFT 4
#define USART_BRR_MANTISSA_MASK  0xFFFu

/* ---- IWDG (RM0090 21.4 "IWDG registers") ---- */
#define IWDG_KR            MMIO32(IWDG_BASE + 0x00u) /* 21.4.1 */
#define IWDG_PR            MMIO32(IWDG_BASE + 0x04u) /* 21.4.2 */
#define IWDG_RLR           MMIO32(IWDG_BASE + 0x08u) /* 21.4.3 */
#define IWDG_SR            MMIO32(IWDG_BASE + 0x0Cu) /* 21.4.4 */

#define IWDG_KR_RELOAD     0xAAAAu /* reload the counter from RLR */
#define IWDG_KR_UNLOCK     0x5555u /* enable write access to PR and RLR */
#define IWDG_KR_START      0xCCCCu /* start the watchdog */
#define IWDG_PR_SHIFT      0
#define IWDG_PR_MASK       0x7u    /* divider 4 << PR, PR 0..6 */
#define IWDG_PR_MAX        6u      /* /256 */
#define IWDG_RLR_SHIFT     0
#define IWDG_RLR_MASK      0xFFFu
#define IWDG_SR_PVU        (1U << 0)
#define IWDG_SR_RVU        (1U << 1)
/* LSI: 32 kHz typical, 17-47 kHz over temperature (DS8626 Table 23). */
#define IWDG_LSI_HZ        32000u

/* ---- SysTick (PM0214 4.5, ARMv7-M ARM B3.3) ---- */
#define SYST_CSR           MMIO32(0xE000E010u)
#define SYST_RVR           MMIO32(0xE000E014u)
#define SYST_CVR           MMIO32(0xE000E018u)
#define SYST_CSR_ENABLE    (1U << 0)
#define SYST_CSR_TICKINT   (1U << 1)
#define SYST_CSR_CLKSOURCE (1U << 2)  /* 1: processor clock */
#define SYST_CSR_COUNTFLAG (1U << 16)
#define SYST_RVR_RELOAD_MASK 0x00FFFFFFu

/* ---- System control block (PM0214 4.4, ARMv7-M ARM B3.2) ---- */
#define SCB_ICSR           MMIO32(0xE000ED04u) /* 4.4.3 */
#define SCB_VTOR           MMIO32(0xE000ED08u) /* 4.4.4 */
#define SCB_AIRCR          MMIO32(0xE000ED0Cu) /* 4.4.5 */
#define SCB_SHPR3          MMIO32(0xE000ED20u) /* 4.4.9 */
#define SCB_ICSR_PENDSTCLR (1U << 25)
#define SCB_ICSR_PENDSVCLR (1U << 27)
#define SCB_AIRCR_VECTKEY_SHIFT 16
#define SCB_AIRCR_VECTKEY  (0x05FAu << SCB_AIRCR_VECTKEY_SHIFT)
#define SCB_AIRCR_PRIGROUP_SHIFT 8
#define SCB_AIRCR_PRIGROUP_MASK  0x7u
#define SCB_AIRCR_SYSRESETREQ (1U << 2)
#define SCB_SHPR3_PRI15_SHIFT 24 /* SysTick priority byte */

/* NVIC (PM0214 4.3): 82 IRQs on the F405 -> three 32-bit words. */
#define NVIC_ICER(n)       MMIO32(0xE000E180u + 4u * (n))
#define NVIC_ICPR(n)       MMIO32(0xE000E280u + 4u * (n))
#define NVIC_IRQ_WORDS     3u

#endif /* STM32F4_REGS_H */
