/*
 * STM32F405/407 DMA controller (RM0090 section 10)
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_DMA_STM32F4XX_DMA_H
#define HW_DMA_STM32F4XX_DMA_H

#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_STM32F4XX_DMA "stm32f4xx-dma"
OBJECT_DECLARE_SIMPLE_TYPE(STM32F4xxDmaState, STM32F4XX_DMA)

#define STM32F4XX_DMA1_BASE     0x40026000
#define STM32F4XX_DMA2_BASE     0x40026400
#define STM32F4XX_DMA_STREAMS   8
#define STM32F4XX_DMA_CHANNELS  8

/*
 * Request line of (@stream, @channel), a GPIO input of the device: the
 * peripheral request mapping (RM0090 10.3.3 Tables 42/43) is board wiring.
 */
#define STM32F4XX_DMA_REQUEST(stream, channel) \
    ((stream) * STM32F4XX_DMA_CHANNELS + (channel))

typedef struct STM32F4xxDmaStream {
    uint32_t cr;
    uint32_t ndtr;
    uint32_t par;
    uint32_t m0ar;
    uint32_t m1ar;
    uint32_t fcr;
    uint32_t ndtr_start;        /* NDTR when the stream was enabled */
    uint32_t done;              /* items moved since, in this round */
} STM32F4xxDmaStream;

struct STM32F4xxDmaState {
    /* <private> */
    SysBusDevice parent_obj;

    /* <public> */
    MemoryRegion iomem;
    qemu_irq irq[STM32F4XX_DMA_STREAMS];
    STM32F4xxDmaStream stream[STM32F4XX_DMA_STREAMS];
    uint32_t isr[2];            /* LISR (streams 0-3), HISR (4-7) */
    uint64_t requests;          /* level of each request line */
    bool running;               /* transfers in progress (no re-entry) */
};

#endif
