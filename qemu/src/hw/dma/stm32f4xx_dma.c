/*
 * STM32F405/407 DMA controller (DMA1, DMA2)
 *
 * RM0090 section 10. Eight streams, each with a channel selected out of
 * eight request lines (10.3.3); the peripheral requests are the GPIO
 * inputs STM32F4XX_DMA_REQUEST(stream, channel), wired by the board. A
 * stream moves one data item per request while its request line is high
 * (peripheral-to-memory and memory-to-peripheral), or all items at once
 * (memory-to-memory, DMA2 only), through the system address space, so a
 * peripheral's data register is read and written as the CPU would: the
 * access clears the peripheral's RXNE or TXE and so drops its request.
 * NDTR counts down per item (10.5.6); circular mode reloads it and the
 * addresses (10.3.10); HTIF when half the items moved, TCIF when all did,
 * TEIF on a bus error (then EN clears), each an interrupt with its enable
 * bit (10.3.11). Clearing EN before the end sets TCIF (10.3.17).
 *
 * Not modelled: the FIFO (direct mode only: MSIZE is taken as PSIZE,
 * 10.3.11; FEIF never set), bursts, double-buffer mode, the peripheral
 * flow controller, PINCOS, stream priorities and arbitration (streams are
 * served in order), transfer timing (an item takes no time).
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "exec/address-spaces.h"
#include "hw/irq.h"
#include "hw/dma/stm32f4xx_dma.h"
#include "migration/vmstate.h"
#include "trace.h"

/* Register offsets (RM0090 10.5.11 Table 48 "DMA register map") */
#define DMA_LISR        0x00
#define DMA_HISR        0x04
#define DMA_LIFCR       0x08
#define DMA_HIFCR       0x0C
#define DMA_S0CR        0x10    /* stream x at 0x10 + 0x18 * x */
#define DMA_STREAM_SIZE 0x18
#define DMA_SxCR        0x00
#define DMA_SxNDTR      0x04
#define DMA_SxPAR       0x08
#define DMA_SxM0AR      0x0C
#define DMA_SxM1AR      0x10
#define DMA_SxFCR       0x14

/* DMA_SxCR (10.5.5) */
#define DMA_SxCR_EN         (1u << 0)
#define DMA_SxCR_DMEIE      (1u << 1)
#define DMA_SxCR_TEIE       (1u << 2)
#define DMA_SxCR_HTIE       (1u << 3)
#define DMA_SxCR_TCIE       (1u << 4)
#define DMA_SxCR_PFCTRL     (1u << 5)
#define DMA_SxCR_DIR_SHIFT  6
#define DMA_SxCR_CIRC       (1u << 8)
#define DMA_SxCR_PINC       (1u << 9)
#define DMA_SxCR_MINC       (1u << 10)
#define DMA_SxCR_PSIZE_SHIFT 11
#define DMA_SxCR_DBM        (1u << 18)
#define DMA_SxCR_CHSEL_SHIFT 25
#define DMA_SxCR_MASK       0x0FEFFFFF
#define DMA_DIR_P2M         0
#define DMA_DIR_M2P         1
#define DMA_DIR_M2M         2

/* Stream flags in LISR/HISR (10.5.1, 10.5.2): 6 bits a stream */
#define DMA_FEIF            (1u << 0)
#define DMA_DMEIF           (1u << 2)
#define DMA_TEIF            (1u << 3)
#define DMA_HTIF            (1u << 4)
#define DMA_TCIF            (1u << 5)
#define DMA_FLAGS           0x3D

#define DMA_SxNDTR_MASK     0xFFFF
#define DMA_SxFCR_RESET     0x00000021  /* 10.5.10: FIFO empty, 1/2 threshold */
#define DMA_SxFCR_DMDIS     (1u << 2)
#define DMA_SxFCR_FEIE      (1u << 7)

/* A request stuck high on a circular stream would never let go */
#define DMA_MAX_ITEMS_PER_RUN (1u << 20)

static const unsigned dma_flag_shift[4] = { 0, 6, 16, 22 };

static uint32_t stm32f4xx_dma_flags(STM32F4xxDmaState *s, int n)
{
    return (s->isr[n / 4] >> dma_flag_shift[n % 4]) & DMA_FLAGS;
}

static void stm32f4xx_dma_update_irq(STM32F4xxDmaState *s, int n)
{
    STM32F4xxDmaStream *st = &s->stream[n];
    uint32_t f = stm32f4xx_dma_flags(s, n);
    bool level = ((st->cr & DMA_SxCR_TCIE) && (f & DMA_TCIF)) ||
                 ((st->cr & DMA_SxCR_HTIE) && (f & DMA_HTIF)) ||
                 ((st->cr & DMA_SxCR_TEIE) && (f & DMA_TEIF)) ||
                 ((st->cr & DMA_SxCR_DMEIE) && (f & DMA_DMEIF)) ||
                 ((st->fcr & DMA_SxFCR_FEIE) && (f & DMA_FEIF));

    qemu_set_irq(s->irq[n], level);
}

static void stm32f4xx_dma_set_flag(STM32F4xxDmaState *s, int n, uint32_t flag)
{
    s->isr[n / 4] |= flag << dma_flag_shift[n % 4];
    trace_stm32f4xx_dma_flag(n, flag);
    stm32f4xx_dma_update_irq(s, n);
}

static uint32_t stm32f4xx_dma_dir(STM32F4xxDmaStream *st)
{
    return (st->cr >> DMA_SxCR_DIR_SHIFT) & 3;
}

/* Item size in bytes: PSIZE (direct mode, 10.3.11) */
static uint32_t stm32f4xx_dma_size(STM32F4xxDmaStream *st)
{
    return 1u << MIN((st->cr >> DMA_SxCR_PSIZE_SHIFT) & 3, 2u);
}

static bool stm32f4xx_dma_wants(STM32F4xxDmaState *s, int n)
{
    STM32F4xxDmaStream *st = &s->stream[n];
    uint32_t ch = (st->cr >> DMA_SxCR_CHSEL_SHIFT) & 7;

    if (!(st->cr & DMA_SxCR_EN) || st->ndtr == 0) {
        return false;
    }
    return stm32f4xx_dma_dir(st) == DMA_DIR_M2M ||
           (s->requests >> STM32F4XX_DMA_REQUEST(n, ch)) & 1;
}

/* Move one item of stream @n; false on a bus error (TEIF, EN cleared) */
static bool stm32f4xx_dma_item(STM32F4xxDmaState *s, int n)
{
    STM32F4xxDmaStream *st = &s->stream[n];
    uint32_t size = stm32f4xx_dma_size(st);
    hwaddr per = st->par + (st->cr & DMA_SxCR_PINC ? st->done * size : 0);
    hwaddr mem = st->m0ar + (st->cr & DMA_SxCR_MINC ? st->done * size : 0);
    bool to_mem = stm32f4xx_dma_dir(st) != DMA_DIR_M2P;
    hwaddr src = to_mem ? per : mem, dst = to_mem ? mem : per;
    uint8_t buf[4];
    MemTxResult r;

    r = address_space_read(&address_space_memory, src, MEMTXATTRS_UNSPECIFIED,
                           buf, size);
    if (r == MEMTX_OK) {
        r = address_space_write(&address_space_memory, dst,
                                MEMTXATTRS_UNSPECIFIED, buf, size);
    }
    trace_stm32f4xx_dma_item(n, src, dst, size, r);
    if (r != MEMTX_OK) {
        st->cr &= ~DMA_SxCR_EN;
        stm32f4xx_dma_set_flag(s, n, DMA_TEIF);
        return false;
    }
    st->ndtr--;
    st->done++;
    if (st->done == st->ndtr_start / 2 && st->ndtr != 0) {
        stm32f4xx_dma_set_flag(s, n, DMA_HTIF);
    }
    if (st->ndtr == 0) {
        if (st->cr & DMA_SxCR_CIRC) {
            st->ndtr = st->ndtr_start;  /* 10.3.10: reloaded, addresses too */
            st->done = 0;
        } else {
            st->cr &= ~DMA_SxCR_EN;
        }
        stm32f4xx_dma_set_flag(s, n, DMA_TCIF | (st->ndtr_start == 1 ? DMA_HTIF : 0));
    }
    return true;
}

/*
 * Serve every stream that has a request, until none has. An item's access
 * to a peripheral may change request lines (and call back in here): the
 * outer call picks that up.
 */
static void stm32f4xx_dma_run(STM32F4xxDmaState *s)
{
    uint32_t items = 0;
    bool progress = true;
    int n;

    if (s->running) {
        return;
    }
    s->running = true;
    while (progress && items < DMA_MAX_ITEMS_PER_RUN) {
        progress = false;
        for (n = 0; n < STM32F4XX_DMA_STREAMS; n++) {
            if (stm32f4xx_dma_wants(s, n) && stm32f4xx_dma_item(s, n)) {
                progress = true;
                items++;
            }
        }
    }
    if (items >= DMA_MAX_ITEMS_PER_RUN) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: a request stayed high for %u "
                      "items: stopped serving it for now\n", __func__, items);
    }
    s->running = false;
}

static void stm32f4xx_dma_request(void *opaque, int line, int level)
{
    STM32F4xxDmaState *s = STM32F4XX_DMA(opaque);

    s->requests = deposit64(s->requests, line, 1, level != 0);
    if (level) {
        stm32f4xx_dma_run(s);
    }
}

static uint64_t stm32f4xx_dma_stream_read(STM32F4xxDmaState *s, int n,
                                          hwaddr reg)
{
    STM32F4xxDmaStream *st = &s->stream[n];

    switch (reg) {
    case DMA_SxCR:
        return st->cr;
    case DMA_SxNDTR:
        return st->ndtr;
    case DMA_SxPAR:
        return st->par;
    case DMA_SxM0AR:
        return st->m0ar;
    case DMA_SxM1AR:
        return st->m1ar;
    default:
        return st->fcr;
    }
}

static uint64_t stm32f4xx_dma_read(void *opaque, hwaddr addr, unsigned size)
{
    STM32F4xxDmaState *s = STM32F4XX_DMA(opaque);
    uint32_t r = 0;

    if (addr >= DMA_S0CR && addr < DMA_S0CR + DMA_STREAM_SIZE * 8) {
        r = stm32f4xx_dma_stream_read(s, (addr - DMA_S0CR) / DMA_STREAM_SIZE,
                                      (addr - DMA_S0CR) % DMA_STREAM_SIZE);
    } else if (addr == DMA_LISR || addr == DMA_HISR) {
        r = s->isr[addr / 4];
    } else if (addr != DMA_LIFCR && addr != DMA_HIFCR) {  /* those read 0 */
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
    }
    trace_stm32f4xx_dma_read(addr, r);
    return r;
}

/* 10.5.5: while EN is set only EN can change (to 0) */
static void stm32f4xx_dma_write_cr(STM32F4xxDmaState *s, int n, uint32_t value)
{
    STM32F4xxDmaStream *st = &s->stream[n];

    if (st->cr & DMA_SxCR_EN) {
        if (value & DMA_SxCR_EN) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: DMA_S%dCR written while EN: "
                          "ignored\n", __func__, n);
            return;
        }
        st->cr &= ~DMA_SxCR_EN;
        if (st->ndtr != 0) {
            stm32f4xx_dma_set_flag(s, n, DMA_TCIF);  /* 10.3.17 */
        }
        return;
    }
    st->cr = value & DMA_SxCR_MASK;
    if (st->cr & (DMA_SxCR_DBM | DMA_SxCR_PFCTRL)) {
        qemu_log_mask(LOG_UNIMP, "%s: stream %d: double buffer and peripheral "
                      "flow control are not modelled\n", __func__, n);
    }
    if (st->fcr & DMA_SxFCR_DMDIS) {
        qemu_log_mask(LOG_UNIMP, "%s: stream %d: FIFO mode is not modelled "
                      "(direct mode, MSIZE = PSIZE)\n", __func__, n);
    }
    if (st->cr & DMA_SxCR_EN) {
        if (stm32f4xx_dma_flags(s, n) & (DMA_TCIF | DMA_HTIF | DMA_TEIF)) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: stream %d enabled with its "
                          "flags set (10.3.17: clear them first)\n", __func__, n);
        }
        st->ndtr_start = st->ndtr;
        st->done = 0;
        stm32f4xx_dma_run(s);
    }
    stm32f4xx_dma_update_irq(s, n);
}

static void stm32f4xx_dma_stream_write(STM32F4xxDmaState *s, int n,
                                       hwaddr reg, uint32_t value)
{
    STM32F4xxDmaStream *st = &s->stream[n];

    if (reg == DMA_SxCR) {
        stm32f4xx_dma_write_cr(s, n, value);
        return;
    }
    if (st->cr & DMA_SxCR_EN) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: stream %d register 0x%" HWADDR_PRIx
                      " written while EN: ignored\n", __func__, n, reg);
        return;
    }
    switch (reg) {
    case DMA_SxNDTR:
        st->ndtr = value & DMA_SxNDTR_MASK;
        break;
    case DMA_SxPAR:
        st->par = value;
        break;
    case DMA_SxM0AR:
        st->m0ar = value;
        break;
    case DMA_SxM1AR:
        st->m1ar = value;
        break;
    default:
        st->fcr = (st->fcr & 0x38) | (value & 0x87);   /* FS is read-only */
        stm32f4xx_dma_update_irq(s, n);
        break;
    }
}

static void stm32f4xx_dma_write(void *opaque, hwaddr addr, uint64_t val64,
                                unsigned size)
{
    STM32F4xxDmaState *s = STM32F4XX_DMA(opaque);
    uint32_t value = val64;
    int n;

    trace_stm32f4xx_dma_write(addr, value);
    if (addr >= DMA_S0CR && addr < DMA_S0CR + DMA_STREAM_SIZE * 8) {
        stm32f4xx_dma_stream_write(s, (addr - DMA_S0CR) / DMA_STREAM_SIZE,
                                   (addr - DMA_S0CR) % DMA_STREAM_SIZE, value);
    } else if (addr == DMA_LIFCR || addr == DMA_HIFCR) {
        /* 10.5.3, 10.5.4: writing 1 clears the flag */
        s->isr[(addr - DMA_LIFCR) / 4] &= ~value;
        for (n = 0; n < 4; n++) {
            stm32f4xx_dma_update_irq(s, (addr - DMA_LIFCR) + n);
        }
    } else if (addr == DMA_LISR || addr == DMA_HISR) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: DMA_%cISR is read-only\n",
                      __func__, addr == DMA_LISR ? 'L' : 'H');
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
    }
}

static const MemoryRegionOps stm32f4xx_dma_ops = {
    .read = stm32f4xx_dma_read,
    .write = stm32f4xx_dma_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 4,
    .valid.max_access_size = 4,
};

static void stm32f4xx_dma_reset(DeviceState *dev)
{
    STM32F4xxDmaState *s = STM32F4XX_DMA(dev);
    int n;

    memset(s->stream, 0, sizeof(s->stream));
    s->isr[0] = s->isr[1] = 0;
    for (n = 0; n < STM32F4XX_DMA_STREAMS; n++) {
        s->stream[n].fcr = DMA_SxFCR_RESET;
        qemu_irq_lower(s->irq[n]);
    }
}

static void stm32f4xx_dma_init(Object *obj)
{
    STM32F4xxDmaState *s = STM32F4XX_DMA(obj);
    int n;

    memory_region_init_io(&s->iomem, obj, &stm32f4xx_dma_ops, s,
                          TYPE_STM32F4XX_DMA, 0x400);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->iomem);
    for (n = 0; n < STM32F4XX_DMA_STREAMS; n++) {
        sysbus_init_irq(SYS_BUS_DEVICE(obj), &s->irq[n]);
    }
    qdev_init_gpio_in(DEVICE(obj), stm32f4xx_dma_request,
                      STM32F4XX_DMA_STREAMS * STM32F4XX_DMA_CHANNELS);
}

static const VMStateDescription vmstate_stm32f4xx_dma_stream = {
    .name = "stm32f4xx-dma-stream",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(cr, STM32F4xxDmaStream),
        VMSTATE_UINT32(ndtr, STM32F4xxDmaStream),
        VMSTATE_UINT32(par, STM32F4xxDmaStream),
        VMSTATE_UINT32(m0ar, STM32F4xxDmaStream),
        VMSTATE_UINT32(m1ar, STM32F4xxDmaStream),
        VMSTATE_UINT32(fcr, STM32F4xxDmaStream),
        VMSTATE_UINT32(ndtr_start, STM32F4xxDmaStream),
        VMSTATE_UINT32(done, STM32F4xxDmaStream),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_stm32f4xx_dma = {
    .name = TYPE_STM32F4XX_DMA,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(stream, STM32F4xxDmaState, STM32F4XX_DMA_STREAMS,
                             1, vmstate_stm32f4xx_dma_stream,
                             STM32F4xxDmaStream),
        VMSTATE_UINT32_ARRAY(isr, STM32F4xxDmaState, 2),
        VMSTATE_UINT64(requests, STM32F4xxDmaState),
        VMSTATE_END_OF_LIST()
    }
};

static void stm32f4xx_dma_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->reset = stm32f4xx_dma_reset;
    dc->vmsd = &vmstate_stm32f4xx_dma;
}

static const TypeInfo stm32f4xx_dma_info = {
    .name          = TYPE_STM32F4XX_DMA,
    .parent        = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(STM32F4xxDmaState),
    .instance_init = stm32f4xx_dma_init,
    .class_init    = stm32f4xx_dma_class_init,
};

static void stm32f4xx_dma_register_types(void)
{
    type_register_static(&stm32f4xx_dma_info);
}

type_init(stm32f4xx_dma_register_types)
