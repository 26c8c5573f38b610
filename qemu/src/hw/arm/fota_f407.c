/*
 * fota-f407: an STM32F407VG (1 Mbyte Flash, 192 Kbytes SRAM) for fota-hil
 *
 * The STM32F405 SoC model (USARTs, SPIs, timers, SYSCFG, EXTI) with the
 * Flash memory and its interface (RM0090 section 3), the RCC (section 7)
 * and the IWDG (section 21) modelled at their RM0090 addresses (2.3
 * Table 1), so that a bootloader written for silicon runs unmodified.
 *
 * The Flash contents and option bytes live in the first pflash drive:
 *   -drive if=pflash,format=raw,file=flash.img
 * 1048576 bytes (main memory) or 1048592 (main memory and option bytes).
 * The LSI frequency of the IWDG is -global stm32f4xx-iwdg.lsi-frequency=Hz.
 *
 * SPI1 is a slave (RM0090 section 28) whose master is a chardev:
 *   -global stm32f4xx-spi-slave.chardev=ID
 * (protocol in hw/ssi/stm32f4xx_spi_slave.h), with DMA2 (section 10) and
 * GPIOA..GPIOI (section 8). The board wires PB0 to the master as the READY
 * line and straps PB1 (the link select of fota-hil's bootloader port):
 *   -M fota-f407,link-strap=spi   PB1 driven high
 *   -M fota-f407,link-strap=uart  PB1 left open (the default)
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/boards.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-clock.h"
#include "hw/block/flash.h"
#include "qemu/error-report.h"
#include "exec/address-spaces.h"
#include "sysemu/blockdev.h"
#include "sysemu/block-backend.h"
#include "hw/arm/stm32f405_soc.h"
#include "hw/arm/boot.h"
#include "hw/nvram/stm32f4xx_flash.h"
#include "hw/misc/stm32f4xx_rcc.h"
#include "hw/watchdog/stm32f4xx_iwdg.h"
#include "hw/gpio/stm32f4xx_gpio.h"
#include "hw/dma/stm32f4xx_dma.h"
#include "hw/ssi/stm32f4xx_spi_slave.h"
#include "qom/object.h"

#define TYPE_FOTA_F407_MACHINE MACHINE_TYPE_NAME("fota-f407")
OBJECT_DECLARE_SIMPLE_TYPE(FotaF407MachineState, FOTA_F407_MACHINE)

struct FotaF407MachineState {
    MachineState parent_obj;
    bool link_spi;              /* link-strap=spi: PB1 driven high */
};

/* Interrupt positions (RM0090 12.2 Table 61) */
#define FOTA_F407_FLASH_IRQ 4
#define FOTA_F407_SPI1_IRQ  35

/* DMA2 stream 0..7 global interrupts (RM0090 12.2 Table 61) */
static const int fota_f407_dma2_irq[STM32F4XX_DMA_STREAMS] = {
    56, 57, 58, 59, 60, 68, 69, 70
};

/* The board: PB0 READY to the SPI master, PB1 the link strap */
#define FOTA_F407_READY_PIN 0
#define FOTA_F407_STRAP_PIN 1
/*
 * Bytes a USART takes from its chardev at a time (stm32f2xx_usart
 * rx-queue): a 1 KB DATA frame arrives in a few main-loop reads instead
 * of one main-loop round trip per byte, the cost of the UART link before.
 */
#define FOTA_F407_USART_RX_QUEUE 256
/* SPI1 requests on DMA2, channel 3 (RM0090 10.3.3 Table 43) */
#define FOTA_F407_SPI1_CHANNEL 3
static const int fota_f407_spi1_rx_stream[STM32F4XX_SPI_DMA_LINES] = { 2, 0 };
static const int fota_f407_spi1_tx_stream[STM32F4XX_SPI_DMA_LINES] = { 3, 5 };

static DeviceState *fota_f407_create_flash(MachineState *machine,
                                          MemoryRegion *sysmem)
{
    DeviceState *dev = qdev_new(TYPE_STM32F4XX_FLASH);
    DriveInfo *dinfo = drive_get(IF_PFLASH, 0, 0);
    MemoryRegion *alias = g_new(MemoryRegion, 1);
    SysBusDevice *sbd = SYS_BUS_DEVICE(dev);

    object_property_add_child(OBJECT(machine), "flash", OBJECT(dev));
    if (dinfo) {
        qdev_prop_set_drive_err(dev, "drive", blk_by_legacy_dinfo(dinfo),
                                &error_fatal);
    }
    sysbus_realize_and_unref(sbd, &error_fatal);
    sysbus_mmio_map(sbd, 0, STM32F4XX_FLASH_REGS_BASE);
    /* Over the SoC's plain ROM, at 0x08000000 and aliased at 0 (boot from
     * main Flash, BOOT0 = 0: RM0090 2.4 Table 2) */
    sysbus_mmio_map_overlap(sbd, 1, STM32F4XX_FLASH_BASE, 1);
    memory_region_init_alias(alias, OBJECT(dev), "stm32f4xx.flash.alias",
                             sysbus_mmio_get_region(sbd, 1), 0,
                             STM32F4XX_FLASH_SIZE);
    memory_region_add_subregion_overlap(sysmem, 0, alias, 1);
    return dev;
}

static DeviceState *fota_f407_create(MachineState *machine, const char *type,
                                     const char *name, hwaddr addr)
{
    DeviceState *dev = qdev_new(type);

    object_property_add_child(OBJECT(machine), name, OBJECT(dev));
    sysbus_realize_and_unref(SYS_BUS_DEVICE(dev), &error_fatal);
    /* Over the SoC's unimplemented-device placeholders and its master-only
     * SPI1 (stm32f2xx-spi) */
    sysbus_mmio_map_overlap(SYS_BUS_DEVICE(dev), 0, addr, 1);
    return dev;
}

/* GPIOA..I, DMA2 and the SPI1 slave, wired as the fota-hil board is */
static void fota_f407_create_spi(MachineState *machine, DeviceState *armv7m)
{
    DeviceState *gpio[STM32F4XX_GPIO_PORTS], *dma, *spi;
    char name[8];
    int i;

    for (i = 0; i < STM32F4XX_GPIO_PORTS; i++) {
        snprintf(name, sizeof(name), "gpio%c", 'a' + i);
        gpio[i] = qdev_new(TYPE_STM32F4XX_GPIO);
        qdev_prop_set_uint32(gpio[i], "port", i);
        object_property_add_child(OBJECT(machine), name, OBJECT(gpio[i]));
        sysbus_realize_and_unref(SYS_BUS_DEVICE(gpio[i]), &error_fatal);
        sysbus_mmio_map_overlap(SYS_BUS_DEVICE(gpio[i]), 0,
                                STM32F4XX_GPIO_BASE(i), 1);
    }
    dma = fota_f407_create(machine, TYPE_STM32F4XX_DMA, "dma2",
                           STM32F4XX_DMA2_BASE);
    for (i = 0; i < STM32F4XX_DMA_STREAMS; i++) {
        sysbus_connect_irq(SYS_BUS_DEVICE(dma), i,
                           qdev_get_gpio_in(armv7m, fota_f407_dma2_irq[i]));
    }
    spi = fota_f407_create(machine, TYPE_STM32F4XX_SPI_SLAVE, "spi1",
                           STM32F4XX_SPI1_BASE);
    sysbus_connect_irq(SYS_BUS_DEVICE(spi), 0,
                       qdev_get_gpio_in(armv7m, FOTA_F407_SPI1_IRQ));
    for (i = 0; i < STM32F4XX_SPI_DMA_LINES; i++) {
        qdev_connect_gpio_out_named(spi, STM32F4XX_SPI_DMA_RX, i,
            qdev_get_gpio_in(dma, STM32F4XX_DMA_REQUEST(
                fota_f407_spi1_rx_stream[i], FOTA_F407_SPI1_CHANNEL)));
        qdev_connect_gpio_out_named(spi, STM32F4XX_SPI_DMA_TX, i,
            qdev_get_gpio_in(dma, STM32F4XX_DMA_REQUEST(
                fota_f407_spi1_tx_stream[i], FOTA_F407_SPI1_CHANNEL)));
    }
    qdev_connect_gpio_out(gpio[1], FOTA_F407_READY_PIN,
                          qdev_get_gpio_in_named(spi, "ready", 0));
    if (FOTA_F407_MACHINE(machine)->link_spi) {
        qemu_set_irq(qdev_get_gpio_in(gpio[1], FOTA_F407_STRAP_PIN), 1);
    }
}

static void fota_f407_init(MachineState *machine)
{
    MemoryRegion *sysmem = get_system_memory();
    DeviceState *rcc, *soc, *flash, *iwdg, *armv7m;
    int i;

    /* Named children: /machine/rcc, /machine/soc, /machine/flash, /machine/iwdg */
    rcc = qdev_new(TYPE_STM32F4XX_RCC);
    object_property_add_child(OBJECT(machine), "rcc", OBJECT(rcc));
    sysbus_realize_and_unref(SYS_BUS_DEVICE(rcc), &error_fatal);
    sysbus_mmio_map(SYS_BUS_DEVICE(rcc), 0, STM32F4XX_RCC_BASE);

    soc = qdev_new(TYPE_STM32F405_SOC);
    object_property_add_child(OBJECT(machine), "soc", OBJECT(soc));
    qdev_prop_set_string(soc, "cpu-type", ARM_CPU_TYPE_NAME("cortex-m4"));
    qdev_connect_clock_in(soc, "sysclk", qdev_get_clock_out(rcc, "sysclk"));
    for (i = 0; i < STM_NUM_USARTS; i++) {
        qdev_prop_set_uint32(DEVICE(&STM32F405_SOC(soc)->usart[i]), "rx-queue",
                             FOTA_F407_USART_RX_QUEUE);
    }
    sysbus_realize_and_unref(SYS_BUS_DEVICE(soc), &error_fatal);
    armv7m = DEVICE(&STM32F405_SOC(soc)->armv7m);
    /* SYSRESETREQ goes through the RCC, which records SFTRSTF (RM0090 7.1.2) */
    qdev_connect_gpio_out_named(armv7m, "SYSRESETREQ", 0,
        qdev_get_gpio_in_named(rcc, "reset-cause", STM32F4XX_RCC_RESET_SOFTWARE));

    flash = fota_f407_create_flash(machine, sysmem);
    sysbus_connect_irq(SYS_BUS_DEVICE(flash), 0,
                       qdev_get_gpio_in(armv7m, FOTA_F407_FLASH_IRQ));

    iwdg = qdev_new(TYPE_STM32F4XX_IWDG);
    object_property_add_child(OBJECT(machine), "iwdg", OBJECT(iwdg));
    sysbus_realize_and_unref(SYS_BUS_DEVICE(iwdg), &error_fatal);
    sysbus_mmio_map(SYS_BUS_DEVICE(iwdg), 0, STM32F4XX_IWDG_BASE);
    qdev_connect_gpio_out_named(iwdg, "reset-cause", 0,
        qdev_get_gpio_in_named(rcc, "reset-cause", STM32F4XX_RCC_RESET_IWDG));

    fota_f407_create_spi(machine, armv7m);

    armv7m_load_kernel(ARM_CPU(first_cpu), machine->kernel_filename,
                       0, STM32F4XX_FLASH_SIZE);
}

static char *fota_f407_get_link_strap(Object *obj, Error **errp)
{
    return g_strdup(FOTA_F407_MACHINE(obj)->link_spi ? "spi" : "uart");
}

static void fota_f407_set_link_strap(Object *obj, const char *value,
                                     Error **errp)
{
    if (strcmp(value, "spi") != 0 && strcmp(value, "uart") != 0) {
        error_setg(errp, "link-strap must be uart or spi, not '%s'", value);
        return;
    }
    FOTA_F407_MACHINE(obj)->link_spi = strcmp(value, "spi") == 0;
}

static void fota_f407_machine_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->desc = "STM32F407VG for fota-hil: Flash, RCC, IWDG, SPI1 slave, "
               "DMA2 and GPIO modelled (Cortex-M4)";
    mc->init = fota_f407_init;
    mc->block_default_type = IF_PFLASH;
    object_class_property_add_str(oc, "link-strap", fota_f407_get_link_strap,
                                  fota_f407_set_link_strap);
    object_class_property_set_description(oc, "link-strap",
        "uart (PB1 open) or spi (PB1 high): the update link the bootloader "
        "uses");
}

static const TypeInfo fota_f407_machine_info = {
    .name          = TYPE_FOTA_F407_MACHINE,
    .parent        = TYPE_MACHINE,
    .instance_size = sizeof(FotaF407MachineState),
    .class_init    = fota_f407_machine_class_init,
};

static void fota_f407_machine_register_types(void)
{
    type_register_static(&fota_f407_machine_info);
}

type_init(fota_f407_machine_register_types)
