/*
 * STM32F405/407 general-purpose I/O port (RM0090 section 8)
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_GPIO_STM32F4XX_GPIO_H
#define HW_GPIO_STM32F4XX_GPIO_H

#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_STM32F4XX_GPIO "stm32f4xx-gpio"
OBJECT_DECLARE_SIMPLE_TYPE(STM32F4xxGpioState, STM32F4XX_GPIO)

/* GPIOA at 0x40020000, then one port every 0x400 up to GPIOI (RM0090 2.3 Table 1) */
#define STM32F4XX_GPIO_BASE(port) (0x40020000 + 0x400 * (port))
#define STM32F4XX_GPIO_PORTS      9
#define STM32F4XX_GPIO_PINS       16

struct STM32F4xxGpioState {
    /* <private> */
    SysBusDevice parent_obj;

    /* <public> */
    MemoryRegion iomem;
    qemu_irq pin_out[STM32F4XX_GPIO_PINS]; /* the pin level seen from outside */
    uint32_t port;              /* property: 0 = A .. 8 = I (reset values) */

    uint32_t moder;
    uint32_t otyper;
    uint32_t ospeedr;
    uint32_t pupdr;
    uint32_t odr;
    uint32_t lckr;
    uint32_t afr[2];
    uint32_t ext_driven;        /* pins an outside circuit drives */
    uint32_t ext_level;         /* and their levels */
    uint32_t pins;              /* last level reported on pin_out */
};

#endif
