/*
 * STM32F405/407 reset and clock control (RCC)
 *
 * RM0090 section 7 (Reference manual STM32F405/415, STM32F407/417,
 * STM32F427/437 and STM32F429/439). The oscillators and the main PLL are
 * ready as soon as they are switched on, SWS follows SW when the selected
 * source is ready, and the SYSCLK output clock follows the switch, so
 * firmware written for silicon (wait for HSIRDY, PLLRDY, SWS) runs as is.
 * RCC_CSR keeps the reset-cause flags across system resets until RMVF.
 *
 * Not modelled: oscillator start-up and PLL lock times, the clock security
 * system, the clock-ready interrupts of RCC_CIR, the bus prescalers (all
 * peripheral clocks follow nothing), the peripheral reset and enable bits
 * (storage only: every peripheral is clocked), PLLI2S, low-power modes.
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "hw/irq.h"
#include "hw/qdev-clock.h"
#include "hw/qdev-properties.h"
#include "hw/misc/stm32f4xx_rcc.h"
#include "migration/vmstate.h"
#include "sysemu/runstate.h"
#include "trace.h"

/* Register offsets (RM0090 7.3.24 Table 34 "RCC register map") */
#define RCC_CR          0x00
#define RCC_PLLCFGR     0x04
#define RCC_CFGR        0x08
#define RCC_CIR         0x0C
#define RCC_AHB1RSTR    0x10
#define RCC_AHB2RSTR    0x14
#define RCC_AHB3RSTR    0x18
#define RCC_APB1RSTR    0x20
#define RCC_APB2RSTR    0x24
#define RCC_AHB1ENR     0x30
#define RCC_AHB2ENR     0x34
#define RCC_AHB3ENR     0x38
#define RCC_APB1ENR     0x40
#define RCC_APB2ENR     0x44
#define RCC_AHB1LPENR   0x50
#define RCC_AHB2LPENR   0x54
#define RCC_AHB3LPENR   0x58
#define RCC_APB1LPENR   0x60
#define RCC_APB2LPENR   0x64
#define RCC_BDCR        0x70
#define RCC_CSR         0x74
#define RCC_SSCGR       0x80
#define RCC_PLLI2SCFGR  0x84

/* RCC_CR (RM0090 7.3.1) */
#define RCC_CR_HSION    (1u << 0)
#define RCC_CR_HSIRDY   (1u << 1)
#define RCC_CR_HSEON    (1u << 16)
#define RCC_CR_HSERDY   (1u << 17)
#define RCC_CR_PLLON    (1u << 24)
#define RCC_CR_PLLRDY   (1u << 25)
#define RCC_CR_PLLI2SON (1u << 26)
#define RCC_CR_PLLI2SRDY (1u << 27)
#define RCC_CR_RW_MASK  0x050D00F9      /* HSION, HSITRIM, HSEON, HSEBYP, CSSON, PLLON, PLLI2SON */
#define RCC_CR_RESET    0x00001083      /* HSION, HSIRDY, HSITRIM 16, HSICAL 0x10 */

/* RCC_PLLCFGR (RM0090 7.3.2) */
#define RCC_PLLCFGR_PLLM(v)   ((v) & 0x3F)
#define RCC_PLLCFGR_PLLN(v)   (((v) >> 6) & 0x1FF)
#define RCC_PLLCFGR_PLLP(v)   ((((v) >> 16) & 0x3) * 2 + 2)
#define RCC_PLLCFGR_PLLSRC    (1u << 22)
#define RCC_PLLCFGR_RESET     0x24003010

/* RCC_CFGR (RM0090 7.3.3) */
#define RCC_CFGR_SW_MASK      0x3
#define RCC_CFGR_SWS_SHIFT    2
#define RCC_CFGR_SW_HSI       0
#define RCC_CFGR_SW_HSE       1
#define RCC_CFGR_SW_PLL       2

/* RCC_CSR (RM0090 7.3.21) */
#define RCC_CSR_LSION         (1u << 0)
#define RCC_CSR_LSIRDY        (1u << 1)
#define RCC_CSR_RMVF          (1u << 24)
#define RCC_CSR_BORRSTF       (1u << 25)
#define RCC_CSR_PINRSTF       (1u << 26)
#define RCC_CSR_PORRSTF       (1u << 27)
#define RCC_CSR_SFTRSTF       (1u << 28)
#define RCC_CSR_IWDGRSTF      (1u << 29)
#define RCC_CSR_WWDGRSTF      (1u << 30)
#define RCC_CSR_LPWRRSTF      (1u << 31)
#define RCC_CSR_FLAGS         0xFE000000
#define RCC_CSR_POWER_ON      (RCC_CSR_PORRSTF | RCC_CSR_PINRSTF | RCC_CSR_BORRSTF)

/* RCC_BDCR (RM0090 7.3.20) */
#define RCC_BDCR_LSEON        (1u << 0)
#define RCC_BDCR_LSERDY       (1u << 1)

#define HSI_HZ 16000000

#define REG(s, off) ((s)->regs[(off) / 4])

/* Reset values (RM0090 7.3), by register index; 0 where not listed */
static const struct {
    hwaddr offset;
    uint32_t value;
} stm32f4xx_rcc_reset_values[] = {
    { RCC_CR, RCC_CR_RESET },
    { RCC_PLLCFGR, RCC_PLLCFGR_RESET },
    { RCC_AHB1ENR, 0x00100000 },
    { RCC_AHB1LPENR, 0x7E6791FF },
    { RCC_AHB2LPENR, 0x000000F1 },
    { RCC_AHB3LPENR, 0x00000001 },
    { RCC_APB1LPENR, 0x36FEC9FF },
    { RCC_APB2LPENR, 0x00075F33 },
    { RCC_PLLI2SCFGR, 0x20003000 },
};

static bool stm32f4xx_rcc_is_reg(hwaddr offset)
{
    switch (offset) {
    case 0x1C: case 0x28: case 0x2C: case 0x3C: case 0x48: case 0x4C:
    case 0x5C: case 0x68: case 0x6C: case 0x78: case 0x7C:
        return false;
    default:
        return offset < STM32F4XX_RCC_NUM_REGS * 4;
    }
}

static uint32_t stm32f4xx_rcc_pll_hz(STM32F4xxRccState *s)
{
    uint32_t cfg = REG(s, RCC_PLLCFGR);
    uint64_t in = (cfg & RCC_PLLCFGR_PLLSRC) ? s->hse_frequency : HSI_HZ;
    uint32_t m = RCC_PLLCFGR_PLLM(cfg);

    if (m < 2) {
        return 0;   /* PLLM 0 and 1 are wrong configurations (RM0090 7.3.2) */
    }
    return in / m * RCC_PLLCFGR_PLLN(cfg) / RCC_PLLCFGR_PLLP(cfg);
}

/* Ready bits follow their ON bits (start-up times not modelled) */
static void stm32f4xx_rcc_update_ready(STM32F4xxRccState *s)
{
    uint32_t cr = REG(s, RCC_CR) & ~(RCC_CR_HSIRDY | RCC_CR_HSERDY |
                                     RCC_CR_PLLRDY | RCC_CR_PLLI2SRDY);

    cr |= (cr & RCC_CR_HSION) ? RCC_CR_HSIRDY : 0;
    cr |= (cr & RCC_CR_HSEON) ? RCC_CR_HSERDY : 0;
    cr |= (cr & RCC_CR_PLLON) ? RCC_CR_PLLRDY : 0;
    cr |= (cr & RCC_CR_PLLI2SON) ? RCC_CR_PLLI2SRDY : 0;
    REG(s, RCC_CR) = cr;
    REG(s, RCC_CSR) &= ~RCC_CSR_LSIRDY;
    REG(s, RCC_CSR) |= (REG(s, RCC_CSR) & RCC_CSR_LSION) ? RCC_CSR_LSIRDY : 0;
    REG(s, RCC_BDCR) &= ~RCC_BDCR_LSERDY;
    REG(s, RCC_BDCR) |= (REG(s, RCC_BDCR) & RCC_BDCR_LSEON) ? RCC_BDCR_LSERDY : 0;
}

/* SWS follows SW once the selected source is ready (RM0090 7.3.3); SYSCLK too */
static void stm32f4xx_rcc_update_switch(STM32F4xxRccState *s)
{
    uint32_t cfgr = REG(s, RCC_CFGR);
    uint32_t sw = cfgr & RCC_CFGR_SW_MASK;
    uint32_t cr = REG(s, RCC_CR);
    uint32_t hz;

    if ((sw == RCC_CFGR_SW_HSI && (cr & RCC_CR_HSIRDY)) ||
        (sw == RCC_CFGR_SW_HSE && (cr & RCC_CR_HSERDY)) ||
        (sw == RCC_CFGR_SW_PLL && (cr & RCC_CR_PLLRDY))) {
        cfgr = (cfgr & ~(RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT)) |
               (sw << RCC_CFGR_SWS_SHIFT);
        REG(s, RCC_CFGR) = cfgr;
    }
    switch ((cfgr >> RCC_CFGR_SWS_SHIFT) & RCC_CFGR_SW_MASK) {
    case RCC_CFGR_SW_HSE:
        hz = s->hse_frequency;
        break;
    case RCC_CFGR_SW_PLL:
        hz = stm32f4xx_rcc_pll_hz(s);
        break;
    default:
        hz = HSI_HZ;
        break;
    }
    if (hz != 0 && hz != clock_get_hz(s->sysclk)) {
        trace_stm32f4xx_rcc_sysclk(hz);
        clock_update_hz(s->sysclk, hz);
    }
}

/* The source of SYSCLK, directly or through the PLL, cannot be stopped */
static uint32_t stm32f4xx_rcc_keep_sysclk_on(STM32F4xxRccState *s, uint32_t cr)
{
    uint32_t sws = (REG(s, RCC_CFGR) >> RCC_CFGR_SWS_SHIFT) & RCC_CFGR_SW_MASK;
    bool pll_hse = REG(s, RCC_PLLCFGR) & RCC_PLLCFGR_PLLSRC;

    if (sws == RCC_CFGR_SW_PLL) {
        cr |= RCC_CR_PLLON | (pll_hse ? RCC_CR_HSEON : RCC_CR_HSION);
    } else {
        cr |= sws == RCC_CFGR_SW_HSE ? RCC_CR_HSEON : RCC_CR_HSION;
    }
    return cr;
}

static uint64_t stm32f4xx_rcc_read(void *opaque, hwaddr addr, unsigned size)
{
    STM32F4xxRccState *s = STM32F4XX_RCC(opaque);
    uint32_t r = 0;

    if (!stm32f4xx_rcc_is_reg(addr)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
    } else {
        r = REG(s, addr);
    }
    trace_stm32f4xx_rcc_read(addr, r);
    return r;
}

static void stm32f4xx_rcc_write(void *opaque, hwaddr addr, uint64_t val64,
                                unsigned size)
{
    STM32F4xxRccState *s = STM32F4XX_RCC(opaque);
    uint32_t value = val64;

    trace_stm32f4xx_rcc_write(addr, value);
    if (!stm32f4xx_rcc_is_reg(addr)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
        return;
    }
    switch (addr) {
    case RCC_CR:
        value = stm32f4xx_rcc_keep_sysclk_on(s, value & RCC_CR_RW_MASK);
        REG(s, RCC_CR) = (REG(s, RCC_CR) & ~RCC_CR_RW_MASK) | value;
        break;
    case RCC_PLLCFGR:
        if (REG(s, RCC_CR) & RCC_CR_PLLON) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: RCC_PLLCFGR written while "
                          "PLLON (RM0090 7.3.2)\n", __func__);
            return;
        }
        REG(s, RCC_PLLCFGR) = value;
        break;
    case RCC_CFGR:
        if ((value & RCC_CFGR_SW_MASK) == 3) {
            qemu_log_mask(LOG_GUEST_ERROR, "%s: SW=3 is not allowed\n",
                          __func__);
            value = (value & ~RCC_CFGR_SW_MASK) |
                    (REG(s, RCC_CFGR) & RCC_CFGR_SW_MASK);
        }
        REG(s, RCC_CFGR) = (value & ~(RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT)) |
                           (REG(s, RCC_CFGR) &
                            (RCC_CFGR_SW_MASK << RCC_CFGR_SWS_SHIFT));
        break;
    case RCC_CSR:
        REG(s, RCC_CSR) = (REG(s, RCC_CSR) & RCC_CSR_FLAGS) |
                          (value & ~(RCC_CSR_FLAGS | RCC_CSR_RMVF | RCC_CSR_LSIRDY));
        if (value & RCC_CSR_RMVF) {
            REG(s, RCC_CSR) &= ~RCC_CSR_FLAGS;
        }
        break;
    default:
        REG(s, addr) = value;
        break;
    }
    stm32f4xx_rcc_update_ready(s);
    stm32f4xx_rcc_update_switch(s);
}

static const MemoryRegionOps stm32f4xx_rcc_ops = {
    .read = stm32f4xx_rcc_read,
    .write = stm32f4xx_rcc_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 4,
    .valid.max_access_size = 4,
};

/*
 * A reset request: the cause is recorded for RCC_CSR, and SYSRESETREQ
 * resets the system (RM0090 7.1.2 "System reset"). The IWDG requests its
 * reset itself (it also reports to the watchdog action).
 */
static void stm32f4xx_rcc_reset_cause(void *opaque, int n, int level)
{
    STM32F4xxRccState *s = STM32F4XX_RCC(opaque);

    if (!level) {
        return;
    }
    trace_stm32f4xx_rcc_reset_cause(n);
    if (n == STM32F4XX_RCC_RESET_SOFTWARE) {
        s->pending_reset_flags |= RCC_CSR_SFTRSTF;
        qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    } else {
        s->pending_reset_flags |= RCC_CSR_IWDGRSTF;
    }
}

/*
 * System reset: registers to their reset values, except the RCC_CSR flags,
 * reset by a power reset only; every reset drives NRST low, so PINRSTF
 * joins the flag of its cause (RM0090 7.1.2, 7.3.21).
 */
static void stm32f4xx_rcc_reset(DeviceState *dev)
{
    STM32F4xxRccState *s = STM32F4XX_RCC(dev);
    uint32_t flags = REG(s, RCC_CSR) & RCC_CSR_FLAGS;
    size_t i;

    memset(s->regs, 0, sizeof(s->regs));
    for (i = 0; i < ARRAY_SIZE(stm32f4xx_rcc_reset_values); i++) {
        REG(s, stm32f4xx_rcc_reset_values[i].offset) =
            stm32f4xx_rcc_reset_values[i].value;
    }
    REG(s, RCC_CSR) = flags | s->pending_reset_flags | RCC_CSR_PINRSTF;
    s->pending_reset_flags = 0;
    stm32f4xx_rcc_update_ready(s);
    stm32f4xx_rcc_update_switch(s);
}

static void stm32f4xx_rcc_init(Object *obj)
{
    STM32F4xxRccState *s = STM32F4XX_RCC(obj);

    memory_region_init_io(&s->iomem, obj, &stm32f4xx_rcc_ops, s,
                          TYPE_STM32F4XX_RCC, 0x400);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->iomem);
    qdev_init_gpio_in_named(DEVICE(obj), stm32f4xx_rcc_reset_cause,
                            "reset-cause", STM32F4XX_RCC_NUM_RESET_CAUSES);
    s->sysclk = qdev_init_clock_out(DEVICE(obj), "sysclk");
}

/* Power-on: PORRSTF, PINRSTF and BORRSTF set (RM0090 7.3.21 reset value) */
static void stm32f4xx_rcc_realize(DeviceState *dev, Error **errp)
{
    STM32F4xxRccState *s = STM32F4XX_RCC(dev);

    REG(s, RCC_CSR) = RCC_CSR_POWER_ON;
    clock_set_hz(s->sysclk, HSI_HZ);
}

static const VMStateDescription vmstate_stm32f4xx_rcc = {
    .name = TYPE_STM32F4XX_RCC,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, STM32F4xxRccState, STM32F4XX_RCC_NUM_REGS),
        VMSTATE_UINT32(pending_reset_flags, STM32F4xxRccState),
        VMSTATE_CLOCK(sysclk, STM32F4xxRccState),
        VMSTATE_END_OF_LIST()
    }
};

static Property stm32f4xx_rcc_properties[] = {
    DEFINE_PROP_UINT32("hse-frequency", STM32F4xxRccState, hse_frequency,
                       8000000),
    DEFINE_PROP_END_OF_LIST(),
};

static void stm32f4xx_rcc_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->realize = stm32f4xx_rcc_realize;
    dc->reset = stm32f4xx_rcc_reset;
    dc->vmsd = &vmstate_stm32f4xx_rcc;
    device_class_set_props(dc, stm32f4xx_rcc_properties);
}

static const TypeInfo stm32f4xx_rcc_info = {
    .name          = TYPE_STM32F4XX_RCC,
    .parent        = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(STM32F4xxRccState),
    .instance_init = stm32f4xx_rcc_init,
    .class_init    = stm32f4xx_rcc_class_init,
};

static void stm32f4xx_rcc_register_types(void)
{
    type_register_static(&stm32f4xx_rcc_info);
}

type_init(stm32f4xx_rcc_register_types)
