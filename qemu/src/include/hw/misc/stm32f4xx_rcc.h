/*
 * STM32F405/407 reset and clock control (RM0090 section 7)
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_STM32F4XX_RCC_H
#define HW_MISC_STM32F4XX_RCC_H

#include "hw/sysbus.h"
#include "hw/clock.h"
#include "qom/object.h"

#define TYPE_STM32F4XX_RCC "stm32f4xx-rcc"
OBJECT_DECLARE_SIMPLE_TYPE(STM32F4xxRccState, STM32F4XX_RCC)

#define STM32F4XX_RCC_BASE     0x40023800
#define STM32F4XX_RCC_NUM_REGS (0x88 / 4)

/* Inputs of the "reset-cause" GPIO array: who asks for a system reset */
#define STM32F4XX_RCC_RESET_SOFTWARE 0  /* SYSRESETREQ: SFTRSTF */
#define STM32F4XX_RCC_RESET_IWDG     1  /* IWDG expiry: IWDGRSTF */
#define STM32F4XX_RCC_NUM_RESET_CAUSES 2

struct STM32F4xxRccState {
    /* <private> */
    SysBusDevice parent_obj;

    /* <public> */
    MemoryRegion iomem;
    Clock *sysclk;          /* output: SYSCLK as selected by SW/SWS */
    uint32_t hse_frequency; /* property, Hz */

    uint32_t regs[STM32F4XX_RCC_NUM_REGS];
    uint32_t pending_reset_flags;   /* CSR flags the next reset adds */
};

#endif
