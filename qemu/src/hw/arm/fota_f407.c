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
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/boards.h"
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

/* Flash global interrupt (RM0090 12.2 Table 61, position 4) */
#define FOTA_F407_FLASH_IRQ 4

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

static void fota_f407_init(MachineState *machine)
{
    MemoryRegion *sysmem = get_system_memory();
    DeviceState *rcc, *soc, *flash, *iwdg, *armv7m;

    /* Named children: /machine/rcc, /machine/soc, /machine/flash, /machine/iwdg */
    rcc = qdev_new(TYPE_STM32F4XX_RCC);
    object_property_add_child(OBJECT(machine), "rcc", OBJECT(rcc));
    sysbus_realize_and_unref(SYS_BUS_DEVICE(rcc), &error_fatal);
    sysbus_mmio_map(SYS_BUS_DEVICE(rcc), 0, STM32F4XX_RCC_BASE);

    soc = qdev_new(TYPE_STM32F405_SOC);
    object_property_add_child(OBJECT(machine), "soc", OBJECT(soc));
    qdev_prop_set_string(soc, "cpu-type", ARM_CPU_TYPE_NAME("cortex-m4"));
    qdev_connect_clock_in(soc, "sysclk", qdev_get_clock_out(rcc, "sysclk"));
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

    armv7m_load_kernel(ARM_CPU(first_cpu), machine->kernel_filename,
                       0, STM32F4XX_FLASH_SIZE);
}

static void fota_f407_machine_init(MachineClass *mc)
{
    mc->desc = "STM32F407VG for fota-hil: Flash, RCC and IWDG modelled (Cortex-M4)";
    mc->init = fota_f407_init;
    mc->block_default_type = IF_PFLASH;
}

DEFINE_MACHINE("fota-f407", fota_f407_machine_init)
