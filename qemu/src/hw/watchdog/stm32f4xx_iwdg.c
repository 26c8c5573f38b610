/*
 * STM32F405/407 independent watchdog (IWDG)
 *
 * RM0090 section 21 (Reference manual STM32F405/415, STM32F407/417,
 * STM32F427/437 and STM32F429/439). The down-counter runs on the LSI
 * oscillator, whose frequency is a property (DS8626, LSI oscillator
 * characteristics: 17 to 47 kHz, 32 kHz typical) so that both corners can
 * be tested; all times are virtual
 * time, so the watchdog is deterministic under -icount. On expiry it records
 * IWDGRSTF in the RCC and performs the watchdog action (-watchdog-action,
 * a system reset by default, reported as the WATCHDOG QMP event).
 *
 * Not modelled: the hardware watchdog option (WDG_SW = 0 starts the IWDG at
 * reset), the debug freeze (DBGMCU_APB1_FZ.DBG_IWDG_STOP), LSI drift.
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/watchdog/stm32f4xx_iwdg.h"
#include "migration/vmstate.h"
#include "sysemu/watchdog.h"
#include "trace.h"

/* Register offsets (RM0090 21.4.5 Table 107 "IWDG register map") */
#define IWDG_KR         0x00
#define IWDG_PR         0x04
#define IWDG_RLR        0x08
#define IWDG_SR         0x0C

/* IWDG_KR keys (RM0090 21.4.1) */
#define IWDG_KR_RELOAD  0xAAAA
#define IWDG_KR_ACCESS  0x5555
#define IWDG_KR_START   0xCCCC

#define IWDG_PR_MASK    0x7         /* RM0090 21.4.2: /4 << PR, 6 and 7 are /256 */
#define IWDG_RLR_MASK   0xFFF       /* RM0090 21.4.3 */
#define IWDG_RLR_RESET  0xFFF

/* IWDG_SR (RM0090 21.4.4) */
#define IWDG_SR_PVU     (1u << 0)
#define IWDG_SR_RVU     (1u << 1)
/* "takes up to 5 RC 40 kHz cycles": 5 LSI periods here */
#define IWDG_UPDATE_LSI_CYCLES 5

#define IWDG_LSI_MIN_HZ 17000
#define IWDG_LSI_MAX_HZ 47000

static int64_t stm32f4xx_iwdg_lsi_ns(STM32F4xxIwdgState *s, uint64_t cycles)
{
    return muldiv64(cycles, NANOSECONDS_PER_SECOND, s->lsi_frequency);
}

static uint32_t stm32f4xx_iwdg_divider(uint32_t pr)
{
    return 4u << MIN(pr, 6u);
}

/* Counter loaded with RLR; it resets when it gets past 0: RLR + 1 ticks */
static void stm32f4xx_iwdg_reload(STM32F4xxIwdgState *s)
{
    uint64_t cycles = (uint64_t)(s->rlr + 1) * stm32f4xx_iwdg_divider(s->pr);
    int64_t ns = stm32f4xx_iwdg_lsi_ns(s, cycles);

    trace_stm32f4xx_iwdg_reload(s->pr, s->rlr, ns);
    timer_mod(s->expiry_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + ns);
}

static void stm32f4xx_iwdg_expired(void *opaque)
{
    STM32F4xxIwdgState *s = STM32F4XX_IWDG(opaque);

    trace_stm32f4xx_iwdg_expired();
    qemu_irq_pulse(s->reset_cause);
    watchdog_perform_action();
}

/* The prescaler/reload copy into the VDD domain completes */
static void stm32f4xx_iwdg_updated(void *opaque)
{
    STM32F4xxIwdgState *s = STM32F4XX_IWDG(opaque);

    if (s->sr & IWDG_SR_PVU) {
        s->pr = s->pr_written;
    }
    if (s->sr & IWDG_SR_RVU) {
        s->rlr = s->rlr_written;
    }
    s->sr = 0;
}

static void stm32f4xx_iwdg_start_update(STM32F4xxIwdgState *s, uint32_t flag)
{
    s->sr |= flag;
    timer_mod(s->update_timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              stm32f4xx_iwdg_lsi_ns(s, IWDG_UPDATE_LSI_CYCLES));
}

static uint64_t stm32f4xx_iwdg_read(void *opaque, hwaddr addr, unsigned size)
{
    STM32F4xxIwdgState *s = STM32F4XX_IWDG(opaque);
    uint32_t r = 0;

    switch (addr) {
    case IWDG_KR:
        break;      /* write-only */
    case IWDG_PR:
        r = s->sr & IWDG_SR_PVU ? s->pr_written : s->pr;
        break;
    case IWDG_RLR:
        r = s->sr & IWDG_SR_RVU ? s->rlr_written : s->rlr;
        break;
    case IWDG_SR:
        r = s->sr;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
        break;
    }
    trace_stm32f4xx_iwdg_read(addr, r);
    return r;
}

static void stm32f4xx_iwdg_write_kr(STM32F4xxIwdgState *s, uint32_t key)
{
    s->access = false;  /* any other key write-protects PR and RLR again */
    switch (key & 0xFFFF) {
    case IWDG_KR_START:
        s->running = true;
        stm32f4xx_iwdg_reload(s);
        break;
    case IWDG_KR_RELOAD:
        if (s->running) {
            stm32f4xx_iwdg_reload(s);
        }
        break;
    case IWDG_KR_ACCESS:
        s->access = true;
        break;
    default:
        break;
    }
}

static void stm32f4xx_iwdg_write(void *opaque, hwaddr addr, uint64_t val64,
                                 unsigned size)
{
    STM32F4xxIwdgState *s = STM32F4XX_IWDG(opaque);
    uint32_t value = val64;

    trace_stm32f4xx_iwdg_write(addr, value);
    switch (addr) {
    case IWDG_KR:
        stm32f4xx_iwdg_write_kr(s, value);
        break;
    case IWDG_PR:
    case IWDG_RLR:
        if (!s->access) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: IWDG_%s is write-protected "
                          "(write 0x5555 to IWDG_KR first)\n", __func__,
                          addr == IWDG_PR ? "PR" : "RLR");
            break;
        }
        if (addr == IWDG_PR) {
            s->pr_written = value & IWDG_PR_MASK;
            stm32f4xx_iwdg_start_update(s, IWDG_SR_PVU);
        } else {
            s->rlr_written = value & IWDG_RLR_MASK;
            stm32f4xx_iwdg_start_update(s, IWDG_SR_RVU);
        }
        break;
    case IWDG_SR:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: IWDG_SR is read-only\n", __func__);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
        break;
    }
}

static const MemoryRegionOps stm32f4xx_iwdg_ops = {
    .read = stm32f4xx_iwdg_read,
    .write = stm32f4xx_iwdg_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 2,
    .valid.max_access_size = 4,
    .impl.min_access_size = 4,
    .impl.max_access_size = 4,
};

/* A system reset stops the watchdog (software watchdog option) */
static void stm32f4xx_iwdg_reset(DeviceState *dev)
{
    STM32F4xxIwdgState *s = STM32F4XX_IWDG(dev);

    timer_del(s->expiry_timer);
    timer_del(s->update_timer);
    s->running = false;
    s->access = false;
    s->pr = 0;
    s->rlr = IWDG_RLR_RESET;
    s->pr_written = 0;
    s->rlr_written = IWDG_RLR_RESET;
    s->sr = 0;
}

static void stm32f4xx_iwdg_init(Object *obj)
{
    STM32F4xxIwdgState *s = STM32F4XX_IWDG(obj);

    memory_region_init_io(&s->iomem, obj, &stm32f4xx_iwdg_ops, s,
                          TYPE_STM32F4XX_IWDG, 0x400);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->iomem);
    qdev_init_gpio_out_named(DEVICE(obj), &s->reset_cause, "reset-cause", 1);
}

static void stm32f4xx_iwdg_realize(DeviceState *dev, Error **errp)
{
    STM32F4xxIwdgState *s = STM32F4XX_IWDG(dev);

    if (s->lsi_frequency < IWDG_LSI_MIN_HZ || s->lsi_frequency > IWDG_LSI_MAX_HZ) {
        error_setg(errp, "stm32f4xx-iwdg: lsi-frequency %u Hz is outside the "
                   "LSI range %u..%u Hz (DS8626, LSI oscillator characteristics)",
                   s->lsi_frequency,
                   IWDG_LSI_MIN_HZ, IWDG_LSI_MAX_HZ);
        return;
    }
    s->expiry_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, stm32f4xx_iwdg_expired, s);
    s->update_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, stm32f4xx_iwdg_updated, s);
}

static const VMStateDescription vmstate_stm32f4xx_iwdg = {
    .name = TYPE_STM32F4XX_IWDG,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_TIMER_PTR(expiry_timer, STM32F4xxIwdgState),
        VMSTATE_TIMER_PTR(update_timer, STM32F4xxIwdgState),
        VMSTATE_BOOL(running, STM32F4xxIwdgState),
        VMSTATE_BOOL(access, STM32F4xxIwdgState),
        VMSTATE_UINT32(pr, STM32F4xxIwdgState),
        VMSTATE_UINT32(rlr, STM32F4xxIwdgState),
        VMSTATE_UINT32(pr_written, STM32F4xxIwdgState),
        VMSTATE_UINT32(rlr_written, STM32F4xxIwdgState),
        VMSTATE_UINT32(sr, STM32F4xxIwdgState),
        VMSTATE_END_OF_LIST()
    }
};

static Property stm32f4xx_iwdg_properties[] = {
    DEFINE_PROP_UINT32("lsi-frequency", STM32F4xxIwdgState, lsi_frequency,
                       32000),
    DEFINE_PROP_END_OF_LIST(),
};

static void stm32f4xx_iwdg_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->realize = stm32f4xx_iwdg_realize;
    dc->reset = stm32f4xx_iwdg_reset;
    dc->vmsd = &vmstate_stm32f4xx_iwdg;
    device_class_set_props(dc, stm32f4xx_iwdg_properties);
    set_bit(DEVICE_CATEGORY_WATCHDOG, dc->categories);
}

static const TypeInfo stm32f4xx_iwdg_info = {
    .name          = TYPE_STM32F4XX_IWDG,
    .parent        = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(STM32F4xxIwdgState),
    .instance_init = stm32f4xx_iwdg_init,
    .class_init    = stm32f4xx_iwdg_class_init,
};

static void stm32f4xx_iwdg_register_types(void)
{
    type_register_static(&stm32f4xx_iwdg_info);
}

type_init(stm32f4xx_iwdg_register_types)
