/**
 * @file main.c
 * @brief The stm32f4 bootloader's entry: bring up the board (clock, tick,
 * both USARTs), then hand over to the portable core. Reset_Handler
 * (startup.c) calls main() once .data and .bss are set up.
 */
#include "fota/boot.h"
#include "fota/port.h"
#include "stm32f4_port.h"

int main(void)
{
    stm32f4_port_init();
    boot_main(); /* never returns: it jumps to an application or resets */
}
