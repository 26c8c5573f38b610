/*
 * STM32F405/407 independent watchdog (RM0090 section 21)
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_WATCHDOG_STM32F4XX_IWDG_H
#define HW_WATCHDOG_STM32F4XX_IWDG_H

#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_STM32F4XX_IWDG "stm32f4xx-iwdg"
OBJECT_DECLARE_SIMPLE_TYPE(STM32F4xxIwdgState, STM32F4XX_IWDG)

#define STM32F4XX_IWDG_BASE 0x40003000

struct STM32F4xxIwdgState {
    /* <private> */
    SysBusDevice parent_obj;

    /* <public> */
    MemoryRegion iomem;
    QEMUTimer *expiry_timer;    /* counter reaches 0 */
    QEMUTimer *update_timer;    /* PVU/RVU: the VDD-domain copy is done */
    qemu_irq reset_cause;       /* pulsed before the watchdog resets */
    uint32_t lsi_frequency;     /* property, Hz: 17000..47000 (DS8626) */

    bool running;
    bool access;                /* 0x5555 written: PR and RLR writable */
    uint32_t pr;                /* prescaler in use */
    uint32_t rlr;               /* reload value in use */
    uint32_t pr_written;        /* being copied while SR.PVU */
    uint32_t rlr_written;       /* being copied while SR.RVU */
    uint32_t sr;
};

#endif
