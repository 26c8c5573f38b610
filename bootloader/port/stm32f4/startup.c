/**
 * @file startup.c
 * @brief Vector table and reset handler for the STM32F405/407, shared by
 * the bootloader and the applications (each links it with its own linker
 * script, which provides the symbols below).
 *
 * Vector table: 16 Cortex-M4 system entries (PM0214 2.3.4 Table 17) and the
 * 82 STM32F405/407 interrupts (RM0090 12.2 Table 61, positions 0..81): 98
 * words, 392 bytes. It goes in section .vectors, which the linker scripts
 * place first in flash. Every entry that nobody defines goes to
 * Default_Handler (weak aliases), which resets the device: an unexpected
 * exception must never leave it hanging.
 */
#include <stdint.h>

#include "stm32f4_regs.h"

#define VECTORS_SYSTEM 16u
#define VECTORS_IRQ    82u
#define VECTORS_TOTAL  (VECTORS_SYSTEM + VECTORS_IRQ)

/* From the linker script (bootloader.ld.in / app.ld.in). */
extern uint32_t _estack;
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss;

int main(void);

void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));

typedef void (*vector_fn)(void);

/* NOTE: the bootloader's struct bl_api sits at LAYOUT_BL_API_ADDR right
 * after this table; 98 words must stay <= 0x200 bytes. */
_Static_assert(VECTORS_TOTAL * 4u <= 0x200u, "vector table overlaps .bl_api");

__attribute__((section(".vectors"), used))
const vector_fn stm32f4_vectors[VECTORS_TOTAL] = {
    [0] = (vector_fn)(uintptr_t)&_estack, /* initial MSP */
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [7] = 0, [8] = 0, [9] = 0, [10] = 0, /* reserved */
    [11] = SVC_Handler,
    [12] = DebugMon_Handler,
    [13] = 0,                            /* reserved */
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    /* No peripheral interrupt is used: IRQ 0..81 all reset the device. */
    [VECTORS_SYSTEM ... VECTORS_TOTAL - 1u] = Default_Handler,
};

/* Plain word loops: keep GCC from turning them into memcpy/memset calls
 * (those would run before .data exists). */
__attribute__((noreturn, used, optimize("no-tree-loop-distribute-patterns")))
void Reset_Handler(void)
{
    volatile uint32_t *dst;
    const volatile uint32_t *src;

    /* .data: copy its initial values from flash. */
    src = &_sidata;
    for (dst = &_sdata; dst < &_edata; dst++) {
        *dst = *src++;
    }
    /* .bss: zero. */
    for (dst = &_sbss; dst < &_ebss; dst++) {
        *dst = 0u;
    }
    /* Exceptions go to this image's table, whoever started us (the
     * bootloader sets VTOR too; a debugger loading an app directly does
     * not). TBLOFF needs 512-byte alignment (ARMv7-M ARM B3.2.5). */
    SCB_VTOR = (uint32_t)(uintptr_t)stm32f4_vectors;
    __asm volatile("dsb\n\tisb" ::: "memory");
    /* port_jump() enters with PRIMASK set; a cold reset has it clear. */
    __asm volatile("cpsie i" ::: "memory");

    (void)main();
    for (;;) {
        SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ |
                    (SCB_AIRCR & (SCB_AIRCR_PRIGROUP_MASK << SCB_AIRCR_PRIGROUP_SHIFT));
    }
}

/* Unexpected exception or interrupt: reset (PM0214 4.4.5). Not declared
 * noreturn: the weak aliases above would then need the attribute too. */
void Default_Handler(void)
{
    __asm volatile("dsb" ::: "memory");
    for (;;) {
        SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ |
                    (SCB_AIRCR & (SCB_AIRCR_PRIGROUP_MASK << SCB_AIRCR_PRIGROUP_SHIFT));
    }
}
