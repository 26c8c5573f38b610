/**
 * @file stm32f4_port.h
 * @brief What the stm32f4 bootloader's main() needs from its port beyond
 * fota/port.h.
 */
#ifndef STM32F4_PORT_H
#define STM32F4_PORT_H

/** Clock (PLL 168 MHz), 1 kHz SysTick, USART2 console, USART1 link. */
void stm32f4_port_init(void);

#endif /* STM32F4_PORT_H */
