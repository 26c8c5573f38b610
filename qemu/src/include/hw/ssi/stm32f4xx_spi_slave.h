/*
 * STM32F405/407 SPI in slave mode, its master on a chardev (RM0090 section 28)
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_SSI_STM32F4XX_SPI_SLAVE_H
#define HW_SSI_STM32F4XX_SPI_SLAVE_H

#include "hw/sysbus.h"
#include "chardev/char-fe.h"
#include "qom/object.h"

#define TYPE_STM32F4XX_SPI_SLAVE "stm32f4xx-spi-slave"
OBJECT_DECLARE_SIMPLE_TYPE(STM32F4xxSpiSlaveState, STM32F4XX_SPI_SLAVE)

#define STM32F4XX_SPI1_BASE 0x40013000

/*
 * The master's side, on the "chardev" property (docs/QEMU.md in fota-hil):
 *   master -> slave
 *     'S'                     NSS low (chip select)
 *     'E'                     NSS high
 *     'B' n_lo n_hi MOSI[n]   clock n bytes (1..4096): answered 'b'
 *     'Q'                     ask for the READY level: answered 'R'
 *   slave -> master
 *     'b' n_lo n_hi MISO[n]   the bytes the slave shifted out, in order
 *     'R' 0|1                 the READY input's level, at each change and
 *                             after 'Q'
 */
#define STM32F4XX_SPI_MSG_SELECT    'S'
#define STM32F4XX_SPI_MSG_DESELECT  'E'
#define STM32F4XX_SPI_MSG_BYTES     'B'
#define STM32F4XX_SPI_MSG_QUERY     'Q'
#define STM32F4XX_SPI_MSG_MISO      'b'
#define STM32F4XX_SPI_MSG_READY     'R'
#define STM32F4XX_SPI_MAX_CLOCK     4096

/* Named GPIO outputs: DMA requests, two lines each (RM0090 10.3.3 Table 43:
 * SPI1_RX on DMA2 streams 0 and 2, SPI1_TX on streams 3 and 5, channel 3) */
#define STM32F4XX_SPI_DMA_RX "dma-rx"
#define STM32F4XX_SPI_DMA_TX "dma-tx"
#define STM32F4XX_SPI_DMA_LINES 2

struct STM32F4xxSpiSlaveState {
    /* <private> */
    SysBusDevice parent_obj;

    /* <public> */
    MemoryRegion iomem;
    CharBackend chr;
    qemu_irq irq;
    qemu_irq dma_rx[STM32F4XX_SPI_DMA_LINES];
    qemu_irq dma_tx[STM32F4XX_SPI_DMA_LINES];

    uint32_t cr1;
    uint32_t cr2;
    uint32_t sr;
    uint32_t crcpr;
    uint32_t i2scfgr;
    uint32_t i2spr;
    uint8_t tx_buf;             /* last byte written to DR */
    uint8_t rx_buf;             /* last byte received */
    bool ovr_dr_read;           /* DR read while OVR: the SR read clears it */
    bool nss_low;               /* the master's chip select */
    bool ready;                 /* READY input level */

    /* Master message being received */
    uint8_t msg;
    uint32_t msg_got;           /* bytes of it so far */
    uint32_t msg_len;           /* 'B': bytes to clock */
    uint8_t miso[3 + STM32F4XX_SPI_MAX_CLOCK];
};

#endif
