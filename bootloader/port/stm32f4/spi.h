/**
 * @file spi.h
 * @brief SPI1 slave link of the stm32f4 port (spi.c) and the link strap
 * that selects it. Registers: RM0090 rev 19 section 28 (SPI), 10 (DMA).
 *
 * HIL-SERVED (fota/port.h's rule: real, non-inlined, external, exactly
 * these signatures; under stock QEMU, which has no SPI slave, the harness
 * puts breakpoints on them, see harness/target/target_qemu.c qemu_syms;
 * fota-f407 runs them against its SPI1 slave, DMA2 and GPIO models):
 *   port_link_strap, port_spi_rx, port_spi_tx.
 * NOTE: renaming one breaks the harness's symbol lookup.
 */
#ifndef STM32F4_SPI_H
#define STM32F4_SPI_H

#include <stdint.h>

/**
 * HIL-SERVED. Read the link strap: PB1 sampled with its pull-down on, low
 * (or unconnected) = PORT_LINK_UART (USART1), high = PORT_LINK_SPI (SPI1
 * slave). Read once at boot.
 * @return PORT_LINK_UART or PORT_LINK_SPI (fota/port.h).
 */
uint32_t port_link_strap(void);

/**
 * HIL-SERVED. Take the bytes the master clocked in on MOSI since the last
 * call (DMA2 stream 2 circular ring, RM0090 10.3.10), at most @p cap.
 * Never waits.
 * @param got  receives the number of bytes stored
 * @return 0; FOTA_EIO (the ring overran: bytes were lost, the ring restarts).
 */
int port_spi_rx(uint8_t *buf, uint32_t cap, uint32_t *got);

/**
 * HIL-SERVED. Queue @p len bytes for MISO (DMA2 stream 3 from a copy) and
 * raise the READY line (PB0) until the master has clocked them out.
 * Waits (bounded) for a previous response still being clocked out. The
 * bound is a poll count, not the SysTick: an application calls this
 * through the services table while its own vector table is in place, so
 * the bootloader's tick no longer advances and a tick-based wait would
 * never end (issue 10).
 * @return 0; FOTA_ESIZE (len > SPI_TX_MAX); FOTA_EBUSY (the previous
 *         response was not clocked out within SPI_TX_SPIN_MAX polls,
 *         37-190 ms at 168 MHz, below).
 */
int port_spi_tx(const uint8_t *buf, uint32_t len);

/** SPI1 slave, GPIO, DMA set-up (RM0090 28.3.2 "Configuring the SPI in slave mode"). */
void stm32f4_spi_init(void);

/**
 * Wait until the master has clocked the queued response out (TX stream
 * NDTR 0), at most SPI_FLUSH_POLLS idle polls (about 250 ms at 168 MHz).
 * Before a reset or a re-initialisation, which would drop it: the END
 * answer goes out just before the bootloader resets, and on silicon the
 * reset stops the DMA mid-response (found on fota-f407, where END_RSP was
 * lost and the updater waited 10 s for it). Counts polls, not ticks, so
 * it also ends when called with the tick stopped.
 */
void stm32f4_spi_flush(void);

#define SPI_RX_RING   2048u  /* > one largest frame (PROTO_MAX_FRAME, 1040) + master polling */
#define SPI_TX_MAX    1100u  /* >= the largest response frame */
/* Polls of the TX stream while a previous response is clocked out. The
 * wait must end well inside the IWDG period (BL_WATCHDOG_MS, 3 s; an
 * application refreshes it between calls, not during one): a poll reads
 * two DMA registers over AHB1 and takes 6 to about 30 cycles, so 2^20
 * polls take 37-190 ms at 168 MHz; on fota-f407 (-icount shift=4, 16 ns
 * an instruction, 7 instructions a poll) 117 ms of virtual time. A
 * 1101-byte response at 21 MHz takes 0.42 ms to clock out. (2^25 polls,
 * the first bound, took 3.8 s on fota-f407: the watchdog reset an
 * application whose write met a master that did not clock.) */
#define SPI_TX_SPIN_MAX (1u << 20)
#ifdef FOTA_TEST_BROKEN_SPI_TX_TICK
#define SPI_TX_WAIT_MS 1000u /* the tick-based bound before issue 10's fix */
#endif
/* Idle polls (stm32f4_poll_pause, ~2.5 us each at 168 MHz) stm32f4_spi_flush waits. */
#define SPI_FLUSH_POLLS 100000u

#endif /* STM32F4_SPI_H */
