/*
 * STM32F405/407 general-purpose I/O port (GPIOA..GPIOI)
 *
 * RM0090 section 8. What fota-hil's port needs, modelled as on silicon:
 * the mode, output type and pull configuration, IDR, ODR and the atomic
 * BSRR (8.4.7: a set and a reset of the same pin in one write: set wins).
 * Each pin's level goes out on GPIO line n (the board wiring, e.g. the
 * READY line of the SPI1 slave); GPIO input line n is an outside circuit
 * driving the pin (e.g. a strap). An input pin nobody drives reads its
 * pull: pull-up 1, pull-down 0, floating 0 (undefined on silicon).
 *
 * Not modelled: the lock sequence (LCKR is storage), alternate functions
 * (AFRL/AFRH are storage: peripherals reach their pins whatever the AF),
 * output speed, analog mode (IDR reads 0 as on silicon, nothing more).
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
#include "hw/qdev-properties.h"
#include "hw/gpio/stm32f4xx_gpio.h"
#include "migration/vmstate.h"
#include "trace.h"

/* Register offsets (RM0090 8.4.11 Table 39 "GPIO register map") */
#define GPIO_MODER      0x00
#define GPIO_OTYPER     0x04
#define GPIO_OSPEEDR    0x08
#define GPIO_PUPDR      0x0C
#define GPIO_IDR        0x10
#define GPIO_ODR        0x14
#define GPIO_BSRR       0x18
#define GPIO_LCKR       0x1C
#define GPIO_AFRL       0x20
#define GPIO_AFRH       0x24

/* MODER and PUPDR: two bits a pin (8.4.1, 8.4.4) */
#define GPIO_MODE_INPUT  0
#define GPIO_MODE_OUTPUT 1
#define GPIO_MODE_AF     2
#define GPIO_MODE_ANALOG 3
#define GPIO_PUPD_UP     1
#define GPIO_PUPD_DOWN   2

/* Reset values of port A and B (JTAG/SWD pins), 0 for the others (8.4.1-8.4.4) */
#define GPIOA_MODER_RESET   0xA8000000
#define GPIOA_PUPDR_RESET   0x64000000
#define GPIOB_MODER_RESET   0x00000280
#define GPIOB_OSPEEDR_RESET 0x000000C0
#define GPIOB_PUPDR_RESET   0x00000100

static uint32_t stm32f4xx_gpio_field(uint32_t reg, int pin)
{
    return (reg >> (2 * pin)) & 3;
}

/* The level of @pin as the pad sees it (8.3.1 Figure 25 "I/O port bit") */
static bool stm32f4xx_gpio_level(STM32F4xxGpioState *s, int pin)
{
    uint32_t bit = 1u << pin;
    uint32_t mode = stm32f4xx_gpio_field(s->moder, pin);
    uint32_t pupd = stm32f4xx_gpio_field(s->pupdr, pin);

    if (mode == GPIO_MODE_ANALOG) {
        return false;
    }
    /* Push-pull output drives both levels, open drain only low */
    if (mode == GPIO_MODE_OUTPUT && (!(s->otyper & bit) || !(s->odr & bit))) {
        return s->odr & bit;
    }
    if (s->ext_driven & bit) {
        return s->ext_level & bit;
    }
    return pupd == GPIO_PUPD_UP;
}

static uint32_t stm32f4xx_gpio_idr(STM32F4xxGpioState *s)
{
    uint32_t idr = 0;
    int pin;

    for (pin = 0; pin < STM32F4XX_GPIO_PINS; pin++) {
        idr |= (uint32_t)stm32f4xx_gpio_level(s, pin) << pin;
    }
    return idr;
}

/* Report every pin whose level changed */
static void stm32f4xx_gpio_update(STM32F4xxGpioState *s)
{
    uint32_t pins = stm32f4xx_gpio_idr(s);
    uint32_t changed = pins ^ s->pins;
    int pin;

    s->pins = pins;
    for (pin = 0; pin < STM32F4XX_GPIO_PINS; pin++) {
        if (changed & (1u << pin)) {
            trace_stm32f4xx_gpio_pin(s->port, pin, (pins >> pin) & 1);
            qemu_set_irq(s->pin_out[pin], (pins >> pin) & 1);
        }
    }
}

static uint64_t stm32f4xx_gpio_read(void *opaque, hwaddr addr, unsigned size)
{
    STM32F4xxGpioState *s = STM32F4XX_GPIO(opaque);
    uint32_t r = 0;

    switch (addr) {
    case GPIO_MODER:
        r = s->moder;
        break;
    case GPIO_OTYPER:
        r = s->otyper;
        break;
    case GPIO_OSPEEDR:
        r = s->ospeedr;
        break;
    case GPIO_PUPDR:
        r = s->pupdr;
        break;
    case GPIO_IDR:
        r = stm32f4xx_gpio_idr(s);
        break;
    case GPIO_ODR:
        r = s->odr;
        break;
    case GPIO_BSRR:
        break;      /* 8.4.7: write-only, reads 0 */
    case GPIO_LCKR:
        r = s->lckr;
        break;
    case GPIO_AFRL:
    case GPIO_AFRH:
        r = s->afr[(addr - GPIO_AFRL) / 4];
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
        break;
    }
    trace_stm32f4xx_gpio_read(s->port, addr, r);
    return r;
}

static void stm32f4xx_gpio_write(void *opaque, hwaddr addr, uint64_t val64,
                                 unsigned size)
{
    STM32F4xxGpioState *s = STM32F4XX_GPIO(opaque);
    uint32_t value = val64;

    trace_stm32f4xx_gpio_write(s->port, addr, value);
    switch (addr) {
    case GPIO_MODER:
        s->moder = value;
        break;
    case GPIO_OTYPER:
        s->otyper = value & 0xFFFF;
        break;
    case GPIO_OSPEEDR:
        s->ospeedr = value;
        break;
    case GPIO_PUPDR:
        s->pupdr = value;
        break;
    case GPIO_IDR:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: GPIO_IDR is read-only\n", __func__);
        break;
    case GPIO_ODR:
        s->odr = value & 0xFFFF;
        break;
    case GPIO_BSRR:
        /* 8.4.7: BRy resets, BSy sets; BSy has priority */
        s->odr &= ~(value >> 16);
        s->odr |= value & 0xFFFF;
        break;
    case GPIO_LCKR:
        s->lckr = value & 0x1FFFF;
        break;
    case GPIO_AFRL:
    case GPIO_AFRH:
        s->afr[(addr - GPIO_AFRL) / 4] = value;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
        return;
    }
    stm32f4xx_gpio_update(s);
}

static const MemoryRegionOps stm32f4xx_gpio_ops = {
    .read = stm32f4xx_gpio_read,
    .write = stm32f4xx_gpio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 4,
    .valid.max_access_size = 4,
};

/* An outside circuit drives pin @n to @level */
static void stm32f4xx_gpio_set_input(void *opaque, int n, int level)
{
    STM32F4xxGpioState *s = STM32F4XX_GPIO(opaque);

    s->ext_driven |= 1u << n;
    s->ext_level = deposit32(s->ext_level, n, 1, level != 0);
    stm32f4xx_gpio_update(s);
}

/* The outside circuits keep driving across a reset */
static void stm32f4xx_gpio_reset(DeviceState *dev)
{
    STM32F4xxGpioState *s = STM32F4XX_GPIO(dev);

    s->moder = s->port == 0 ? GPIOA_MODER_RESET :
               s->port == 1 ? GPIOB_MODER_RESET : 0;
    s->pupdr = s->port == 0 ? GPIOA_PUPDR_RESET :
               s->port == 1 ? GPIOB_PUPDR_RESET : 0;
    s->ospeedr = s->port == 1 ? GPIOB_OSPEEDR_RESET : 0;
    s->otyper = 0;
    s->odr = 0;
    s->lckr = 0;
    s->afr[0] = s->afr[1] = 0;
    stm32f4xx_gpio_update(s);
}

static void stm32f4xx_gpio_init(Object *obj)
{
    STM32F4xxGpioState *s = STM32F4XX_GPIO(obj);

    memory_region_init_io(&s->iomem, obj, &stm32f4xx_gpio_ops, s,
                          TYPE_STM32F4XX_GPIO, 0x400);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->iomem);
    qdev_init_gpio_in(DEVICE(obj), stm32f4xx_gpio_set_input,
                      STM32F4XX_GPIO_PINS);
    qdev_init_gpio_out(DEVICE(obj), s->pin_out, STM32F4XX_GPIO_PINS);
}

static void stm32f4xx_gpio_realize(DeviceState *dev, Error **errp)
{
    STM32F4xxGpioState *s = STM32F4XX_GPIO(dev);

    if (s->port >= STM32F4XX_GPIO_PORTS) {
        error_setg(errp, "stm32f4xx-gpio: port %u: A..I are 0..8", s->port);
    }
}

static const VMStateDescription vmstate_stm32f4xx_gpio = {
    .name = TYPE_STM32F4XX_GPIO,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(moder, STM32F4xxGpioState),
        VMSTATE_UINT32(otyper, STM32F4xxGpioState),
        VMSTATE_UINT32(ospeedr, STM32F4xxGpioState),
        VMSTATE_UINT32(pupdr, STM32F4xxGpioState),
        VMSTATE_UINT32(odr, STM32F4xxGpioState),
        VMSTATE_UINT32(lckr, STM32F4xxGpioState),
        VMSTATE_UINT32_ARRAY(afr, STM32F4xxGpioState, 2),
        VMSTATE_UINT32(ext_driven, STM32F4xxGpioState),
        VMSTATE_UINT32(ext_level, STM32F4xxGpioState),
        VMSTATE_UINT32(pins, STM32F4xxGpioState),
        VMSTATE_END_OF_LIST()
    }
};

static Property stm32f4xx_gpio_properties[] = {
    DEFINE_PROP_UINT32("port", STM32F4xxGpioState, port, 0),
    DEFINE_PROP_END_OF_LIST(),
};

static void stm32f4xx_gpio_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->realize = stm32f4xx_gpio_realize;
    dc->reset = stm32f4xx_gpio_reset;
    dc->vmsd = &vmstate_stm32f4xx_gpio;
    device_class_set_props(dc, stm32f4xx_gpio_properties);
}

static const TypeInfo stm32f4xx_gpio_info = {
    .name          = TYPE_STM32F4XX_GPIO,
    .parent        = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(STM32F4xxGpioState),
    .instance_init = stm32f4xx_gpio_init,
    .class_init    = stm32f4xx_gpio_class_init,
};

static void stm32f4xx_gpio_register_types(void)
{
    type_register_static(&stm32f4xx_gpio_info);
}

type_init(stm32f4xx_gpio_register_types)
