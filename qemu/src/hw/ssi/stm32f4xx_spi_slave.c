/*
 * STM32F405/407 SPI in slave mode, clocked by a master on a chardev
 *
 * RM0090 section 28. The slave side of the SPI as fota-hil's bootloader
 * port uses it (28.3.2 "Configuring the SPI in slave mode"): 8-bit frames,
 * hardware NSS (or SSM/SSI), DR with RXNE/TXE/OVR/BSY in SR, the RX and TX
 * DMA requests (28.3.9: RXDMAEN/TXDMAEN) and the interrupt (28.3.11).
 *
 * The master is on the "chardev" property; the byte protocol is in
 * hw/ssi/stm32f4xx_spi_slave.h. Each byte the master clocks while NSS is
 * low (SSM = 0) or SSI is 0 (SSM = 1) and SPE is set:
 *   1. shifts out the TX buffer: the last byte written to DR. When DR was
 *      not written since the previous byte (TXE already set: an underrun)
 *      that byte goes out again, as on silicon (in SPI mode the F4 has no
 *      underrun flag: UDR, 28.5.3, is for I2S); TXE is set, and with
 *      TXDMAEN the TX DMA request refills DR at once;
 *   2. shifts in the master's byte: to the RX buffer with RXNE, or, when
 *      RXNE was still set, lost with OVR (28.4.8); with RXDMAEN the RX DMA
 *      request empties DR at once.
 * A deselected or disabled slave leaves MISO floating: the master reads
 * 0xFF. The master clocks in mode 0, MSB first; LSBFIRST reverses the bits
 * as the slave shifts them.
 *
 * The READY line of the board (a GPIO output of the SoC wired to the
 * master) is the GPIO input "ready": each change is reported to the master.
 *
 * Not modelled: master mode (the SoC's stm32f2xx-spi does that), 16-bit
 * frames (DFF), CRC, bidirectional and TI modes, I2S (I2SCFGR/I2SPR are
 * storage), clock polarity/phase mismatches with the master, MODF, the
 * duration of a byte (the master's clock is the chardev's pace). BSY reads
 * 1 while the slave is enabled and selected.
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/bitops.h"
#include "qemu/host-utils.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/ssi/stm32f4xx_spi_slave.h"
#include "migration/vmstate.h"
#include "trace.h"

/* Register offsets (RM0090 28.5.10 Table 127 "SPI register map") */
#define SPI_CR1         0x00
#define SPI_CR2         0x04
#define SPI_SR          0x08
#define SPI_DR          0x0C
#define SPI_CRCPR       0x10
#define SPI_RXCRCR      0x14
#define SPI_TXCRCR      0x18
#define SPI_I2SCFGR     0x1C
#define SPI_I2SPR       0x20

/* SPI_CR1 (28.5.1) */
#define SPI_CR1_MSTR     (1u << 2)
#define SPI_CR1_SPE      (1u << 6)
#define SPI_CR1_LSBFIRST (1u << 7)
#define SPI_CR1_SSI      (1u << 8)
#define SPI_CR1_SSM      (1u << 9)
#define SPI_CR1_DFF      (1u << 11)
#define SPI_CR1_CRCEN    (1u << 13)
#define SPI_CR1_BIDIMODE (1u << 15)
/* SPI_CR2 (28.5.2) */
#define SPI_CR2_RXDMAEN  (1u << 0)
#define SPI_CR2_TXDMAEN  (1u << 1)
#define SPI_CR2_FRF      (1u << 4)
#define SPI_CR2_ERRIE    (1u << 5)
#define SPI_CR2_RXNEIE   (1u << 6)
#define SPI_CR2_TXEIE    (1u << 7)
#define SPI_CR2_MASK     0xF7
/* SPI_SR (28.5.3) */
#define SPI_SR_RXNE      (1u << 0)
#define SPI_SR_TXE       (1u << 1)
#define SPI_SR_CRCERR    (1u << 4)
#define SPI_SR_MODF      (1u << 5)
#define SPI_SR_OVR       (1u << 6)
#define SPI_SR_BSY       (1u << 7)
#define SPI_SR_FRE       (1u << 8)
#define SPI_SR_RESET     SPI_SR_TXE
#define SPI_CRCPR_RESET  0x0007
#define SPI_I2SPR_RESET  0x0002
#define SPI_I2SCFGR_I2SMOD (1u << 11)

#define SPI_MISO_FLOATING 0xFF

static bool stm32f4xx_spi_selected(STM32F4xxSpiSlaveState *s)
{
    if (!(s->cr1 & SPI_CR1_SPE) || (s->cr1 & SPI_CR1_MSTR)) {
        return false;
    }
    /* 28.3.1 "Slave select (NSS) pin management" */
    return s->cr1 & SPI_CR1_SSM ? !(s->cr1 & SPI_CR1_SSI) : s->nss_low;
}

/* Interrupt and DMA request levels from the flags; each line is computed
 * when it is set, since a DMA transfer in between changes the flags. */
static void stm32f4xx_spi_update(STM32F4xxSpiSlaveState *s)
{
    int i;

    qemu_set_irq(s->irq,
                 ((s->cr2 & SPI_CR2_TXEIE) && (s->sr & SPI_SR_TXE)) ||
                 ((s->cr2 & SPI_CR2_RXNEIE) && (s->sr & SPI_SR_RXNE)) ||
                 ((s->cr2 & SPI_CR2_ERRIE) &&
                  (s->sr & (SPI_SR_OVR | SPI_SR_MODF | SPI_SR_CRCERR))));
    for (i = 0; i < STM32F4XX_SPI_DMA_LINES; i++) {
        qemu_set_irq(s->dma_rx[i], (s->cr2 & SPI_CR2_RXDMAEN) &&
                                   (s->sr & SPI_SR_RXNE));
    }
    for (i = 0; i < STM32F4XX_SPI_DMA_LINES; i++) {
        qemu_set_irq(s->dma_tx[i], (s->cr2 & SPI_CR2_TXDMAEN) &&
                                   (s->sr & SPI_SR_TXE));
    }
}

static uint8_t stm32f4xx_spi_bit_order(STM32F4xxSpiSlaveState *s, uint8_t b)
{
    return s->cr1 & SPI_CR1_LSBFIRST ? revbit8(b) : b;
}

/* One byte clocked by the master: @return the byte on MISO */
static uint8_t stm32f4xx_spi_clock(STM32F4xxSpiSlaveState *s, uint8_t mosi)
{
    uint8_t miso;

    if (!stm32f4xx_spi_selected(s)) {
        trace_stm32f4xx_spi_slave_clock(mosi, SPI_MISO_FLOATING, s->sr);
        return SPI_MISO_FLOATING;
    }
    /* The TX buffer goes to the shift register: TXE (28.3.5) */
    miso = stm32f4xx_spi_bit_order(s, s->tx_buf);
    s->sr |= SPI_SR_TXE;
    stm32f4xx_spi_update(s);
    /* The received byte goes to the RX buffer, unless RXNE: OVR (28.4.8) */
    if (s->sr & SPI_SR_RXNE) {
        s->sr |= SPI_SR_OVR;
        trace_stm32f4xx_spi_slave_overrun(mosi);
    } else {
        s->rx_buf = stm32f4xx_spi_bit_order(s, mosi);
        s->sr |= SPI_SR_RXNE;
    }
    stm32f4xx_spi_update(s);
    trace_stm32f4xx_spi_slave_clock(mosi, miso, s->sr);
    return miso;
}

static uint64_t stm32f4xx_spi_read(void *opaque, hwaddr addr, unsigned size)
{
    STM32F4xxSpiSlaveState *s = STM32F4XX_SPI_SLAVE(opaque);
    uint32_t r = 0;

    switch (addr) {
    case SPI_CR1:
        r = s->cr1;
        break;
    case SPI_CR2:
        r = s->cr2;
        break;
    case SPI_SR:
        r = s->sr | (stm32f4xx_spi_selected(s) ? SPI_SR_BSY : 0);
        if ((s->sr & SPI_SR_OVR) && s->ovr_dr_read) {
            s->sr &= ~SPI_SR_OVR;   /* 28.4.8: DR read then SR read */
            s->ovr_dr_read = false;
            stm32f4xx_spi_update(s);
        }
        break;
    case SPI_DR:
        r = s->rx_buf;
        s->sr &= ~SPI_SR_RXNE;
        s->ovr_dr_read = s->sr & SPI_SR_OVR;
        stm32f4xx_spi_update(s);
        break;
    case SPI_CRCPR:
        r = s->crcpr;
        break;
    case SPI_RXCRCR:
    case SPI_TXCRCR:
        break;      /* CRC not modelled: reads 0 */
    case SPI_I2SCFGR:
        r = s->i2scfgr;
        break;
    case SPI_I2SPR:
        r = s->i2spr;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
        break;
    }
    trace_stm32f4xx_spi_slave_read(addr, r);
    return r;
}

static void stm32f4xx_spi_write_cr1(STM32F4xxSpiSlaveState *s, uint32_t value)
{
    s->cr1 = value & 0xFFFF;
    if (s->cr1 & SPI_CR1_MSTR) {
        qemu_log_mask(LOG_UNIMP, "%s: master mode is not modelled by this "
                      "slave model\n", __func__);
    }
    if (s->cr1 & (SPI_CR1_DFF | SPI_CR1_CRCEN | SPI_CR1_BIDIMODE)) {
        qemu_log_mask(LOG_UNIMP, "%s: 16-bit frames, CRC and bidirectional "
                      "mode are not modelled\n", __func__);
    }
}

static void stm32f4xx_spi_write(void *opaque, hwaddr addr, uint64_t val64,
                                unsigned size)
{
    STM32F4xxSpiSlaveState *s = STM32F4XX_SPI_SLAVE(opaque);
    uint32_t value = val64;

    trace_stm32f4xx_spi_slave_write(addr, value);
    switch (addr) {
    case SPI_CR1:
        stm32f4xx_spi_write_cr1(s, value);
        break;
    case SPI_CR2:
        s->cr2 = value & SPI_CR2_MASK;
        if (s->cr2 & SPI_CR2_FRF) {
            qemu_log_mask(LOG_UNIMP, "%s: TI mode is not modelled\n", __func__);
        }
        break;
    case SPI_SR:
        if (!(value & SPI_SR_CRCERR)) {
            s->sr &= ~SPI_SR_CRCERR;    /* rc_w0; the rest is read-only */
        }
        break;
    case SPI_DR:
        s->tx_buf = value;      /* 28.3.5: to the TX buffer */
        s->sr &= ~SPI_SR_TXE;
        break;
    case SPI_CRCPR:
        s->crcpr = value & 0xFFFF;
        break;
    case SPI_RXCRCR:
    case SPI_TXCRCR:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: CRC registers are read-only\n",
                      __func__);
        break;
    case SPI_I2SCFGR:
        s->i2scfgr = value & 0xFBF;
        if (s->i2scfgr & SPI_I2SCFGR_I2SMOD) {
            qemu_log_mask(LOG_UNIMP, "%s: I2S mode is not modelled\n", __func__);
        }
        break;
    case SPI_I2SPR:
        s->i2spr = value & 0x3FF;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
        return;
    }
    stm32f4xx_spi_update(s);
}

static const MemoryRegionOps stm32f4xx_spi_ops = {
    .read = stm32f4xx_spi_read,
    .write = stm32f4xx_spi_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 1,
    .valid.max_access_size = 4,
    .impl.min_access_size = 4,
    .impl.max_access_size = 4,
};

static void stm32f4xx_spi_send_ready(STM32F4xxSpiSlaveState *s)
{
    uint8_t msg[2] = { STM32F4XX_SPI_MSG_READY, s->ready };

    qemu_chr_fe_write_all(&s->chr, msg, sizeof(msg));
}

/* The board's READY line changed */
static void stm32f4xx_spi_set_ready(void *opaque, int n, int level)
{
    STM32F4xxSpiSlaveState *s = STM32F4XX_SPI_SLAVE(opaque);

    if (s->ready != (level != 0)) {
        s->ready = level != 0;
        trace_stm32f4xx_spi_slave_ready(s->ready);
        stm32f4xx_spi_send_ready(s);
    }
}

/* A message byte that is not inside a 'B' message */
static void stm32f4xx_spi_command(STM32F4xxSpiSlaveState *s, uint8_t c)
{
    switch (c) {
    case STM32F4XX_SPI_MSG_SELECT:
    case STM32F4XX_SPI_MSG_DESELECT:
        s->nss_low = c == STM32F4XX_SPI_MSG_SELECT;
        trace_stm32f4xx_spi_slave_nss(s->nss_low);
        stm32f4xx_spi_update(s);
        break;
    case STM32F4XX_SPI_MSG_QUERY:
        stm32f4xx_spi_send_ready(s);
        break;
    case STM32F4XX_SPI_MSG_BYTES:
        s->msg = c;
        s->msg_got = 0;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: master sent 0x%02x: not a "
                      "message\n", __func__, c);
        break;
    }
}

/* One byte of a 'B' message: length, then MOSI bytes clocked one by one */
static void stm32f4xx_spi_bytes(STM32F4xxSpiSlaveState *s, uint8_t c)
{
    s->msg_got++;
    if (s->msg_got == 1) {
        s->msg_len = c;
        return;
    }
    if (s->msg_got == 2) {
        s->msg_len |= (uint32_t)c << 8;
        if (s->msg_len == 0 || s->msg_len > STM32F4XX_SPI_MAX_CLOCK) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: master clocks %u bytes "
                          "(1..%u)\n", __func__, s->msg_len,
                          STM32F4XX_SPI_MAX_CLOCK);
            s->msg = 0;
        }
        return;
    }
    s->miso[s->msg_got] = stm32f4xx_spi_clock(s, c);   /* 3 + index - 1 */
    if (s->msg_got - 2 == s->msg_len) {
        s->miso[0] = STM32F4XX_SPI_MSG_MISO;
        s->miso[1] = s->msg_len;
        s->miso[2] = s->msg_len >> 8;
        qemu_chr_fe_write_all(&s->chr, s->miso, 3 + s->msg_len);
        s->msg = 0;
    }
}

static int stm32f4xx_spi_can_receive(void *opaque)
{
    return STM32F4XX_SPI_MAX_CLOCK;
}

static void stm32f4xx_spi_receive(void *opaque, const uint8_t *buf, int size)
{
    STM32F4xxSpiSlaveState *s = STM32F4XX_SPI_SLAVE(opaque);
    int i;

    for (i = 0; i < size; i++) {
        if (s->msg == STM32F4XX_SPI_MSG_BYTES) {
            stm32f4xx_spi_bytes(s, buf[i]);
        } else {
            stm32f4xx_spi_command(s, buf[i]);
        }
    }
}

/* The master's NSS, the READY input and a message in flight survive a
 * reset of the chip: they are outside it */
static void stm32f4xx_spi_reset(DeviceState *dev)
{
    STM32F4xxSpiSlaveState *s = STM32F4XX_SPI_SLAVE(dev);

    s->cr1 = 0;
    s->cr2 = 0;
    s->sr = SPI_SR_RESET;
    s->crcpr = SPI_CRCPR_RESET;
    s->i2scfgr = 0;
    s->i2spr = SPI_I2SPR_RESET;
    s->tx_buf = 0;
    s->rx_buf = 0;
    s->ovr_dr_read = false;
    stm32f4xx_spi_update(s);
}

static void stm32f4xx_spi_init(Object *obj)
{
    STM32F4xxSpiSlaveState *s = STM32F4XX_SPI_SLAVE(obj);
    DeviceState *dev = DEVICE(obj);

    memory_region_init_io(&s->iomem, obj, &stm32f4xx_spi_ops, s,
                          TYPE_STM32F4XX_SPI_SLAVE, 0x400);
    /*
     * A write to CR2 (TXDMAEN) or DR raises a DMA request that the DMA
     * controller serves at once by accessing DR: a re-entrant access to
     * this region, by design (on silicon the DMA takes the bus right after
     * the CPU's access). The device's state is consistent at each request.
     */
    s->iomem.disable_reentrancy_guard = true;
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->iomem);
    sysbus_init_irq(SYS_BUS_DEVICE(obj), &s->irq);
    qdev_init_gpio_out_named(dev, s->dma_rx, STM32F4XX_SPI_DMA_RX,
                             STM32F4XX_SPI_DMA_LINES);
    qdev_init_gpio_out_named(dev, s->dma_tx, STM32F4XX_SPI_DMA_TX,
                             STM32F4XX_SPI_DMA_LINES);
    qdev_init_gpio_in_named(dev, stm32f4xx_spi_set_ready, "ready", 1);
}

static void stm32f4xx_spi_realize(DeviceState *dev, Error **errp)
{
    STM32F4xxSpiSlaveState *s = STM32F4XX_SPI_SLAVE(dev);

    qemu_chr_fe_set_handlers(&s->chr, stm32f4xx_spi_can_receive,
                             stm32f4xx_spi_receive, NULL, NULL, s, NULL, true);
}

static const VMStateDescription vmstate_stm32f4xx_spi = {
    .name = TYPE_STM32F4XX_SPI_SLAVE,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(cr1, STM32F4xxSpiSlaveState),
        VMSTATE_UINT32(cr2, STM32F4xxSpiSlaveState),
        VMSTATE_UINT32(sr, STM32F4xxSpiSlaveState),
        VMSTATE_UINT32(crcpr, STM32F4xxSpiSlaveState),
        VMSTATE_UINT32(i2scfgr, STM32F4xxSpiSlaveState),
        VMSTATE_UINT32(i2spr, STM32F4xxSpiSlaveState),
        VMSTATE_UINT8(tx_buf, STM32F4xxSpiSlaveState),
        VMSTATE_UINT8(rx_buf, STM32F4xxSpiSlaveState),
        VMSTATE_BOOL(ovr_dr_read, STM32F4xxSpiSlaveState),
        VMSTATE_BOOL(nss_low, STM32F4xxSpiSlaveState),
        VMSTATE_BOOL(ready, STM32F4xxSpiSlaveState),
        VMSTATE_UINT8(msg, STM32F4xxSpiSlaveState),
        VMSTATE_UINT32(msg_got, STM32F4xxSpiSlaveState),
        VMSTATE_UINT32(msg_len, STM32F4xxSpiSlaveState),
        VMSTATE_UINT8_ARRAY(miso, STM32F4xxSpiSlaveState,
                            3 + STM32F4XX_SPI_MAX_CLOCK),
        VMSTATE_END_OF_LIST()
    }
};

static Property stm32f4xx_spi_properties[] = {
    DEFINE_PROP_CHR("chardev", STM32F4xxSpiSlaveState, chr),
    DEFINE_PROP_END_OF_LIST(),
};

static void stm32f4xx_spi_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->realize = stm32f4xx_spi_realize;
    dc->reset = stm32f4xx_spi_reset;
    dc->vmsd = &vmstate_stm32f4xx_spi;
    device_class_set_props(dc, stm32f4xx_spi_properties);
}

static const TypeInfo stm32f4xx_spi_info = {
    .name          = TYPE_STM32F4XX_SPI_SLAVE,
    .parent        = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(STM32F4xxSpiSlaveState),
    .instance_init = stm32f4xx_spi_init,
    .class_init    = stm32f4xx_spi_class_init,
};

static void stm32f4xx_spi_register_types(void)
{
    type_register_static(&stm32f4xx_spi_info);
}

type_init(stm32f4xx_spi_register_types)
