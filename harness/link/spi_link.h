/**
 * @file spi_link.h
 * @brief The rig's emulated SPI bus between the updater (SPI master,
 * host/lib/link_spi.c `spi-emu:`) and the device's SPI1 slave (served by
 * the QEMU backend at port_spi_rx/port_spi_tx, bootloader/port/stm32f4/spi.h,
 * or, on fota-f407, the machine's SPI1 slave model behind a wire the
 * harness clocks: `wire` below), with the SPI-level fault injector.
 *
 * The updater writes transfer requests on its pty ('T' len16 MOSI[len]);
 * each is one chip-select period. MOSI bytes go on to the slave's receive
 * stream (through the frame proxy, so frame-level faults still apply);
 * MISO bytes come from the slave's transmit queue, 0xFF (idle) when it is
 * empty; the answer ('t' flags len16 MISO[len]) reports the READY line
 * (bit 0: the queue is not empty) after the transfer. No I/O here.
 *
 * Faults, counted per update step (1-based):
 *   write transfers (the master sending, MOSI[0] != 0x00 dummy):
 *     spi_drop        the transfer never reaches the slave (NSS glitch)
 *     spi_corrupt     MOSI byte `byte` xor 0xFF (dir to_target)
 *     spi_cs_release  NSS released after `byte` bytes: the rest is lost
 *     spi_bit_shift   a clock glitch: every MOSI byte arrives one bit late
 *                     (b' = b >> 1 | previous byte's bit 0 << 7)
 *   read transfers (dummy MOSI) that clocked slave data out:
 *     spi_corrupt     MISO byte `byte` xor 0xFF (dir to_host)
 *     spi_miso_stuck  MISO reads `value` (0x00 or 0xFF) for `count`
 *                     read transfers from the Nth on (the slave's bytes
 *                     are clocked out and lost)
 */
#ifndef HIL_SPI_LINK_H
#define HIL_SPI_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include "link/proxy.h"
#include "scenario/scenario.h"

#define HIL_SPI_MAX_XFER 4096u
#define HIL_SPI_IDLE     0xFFu

struct hil_spi {
    uint8_t req[3 + HIL_SPI_MAX_XFER]; /* request being received */
    size_t req_len;
    struct hil_buf miso_q;             /* the slave's transmit queue */
    uint32_t writes;                   /* write transfers so far */
    uint32_t reads;                    /* read transfers that clocked data */
    uint32_t stuck_left;               /* read transfers MISO stays stuck */
    uint8_t stuck_value;
    uint8_t shift_carry;
    const struct hil_fault *faults;
    int nfaults;
    bool fired[32];
    bool bad;                          /* a malformed request: the stream is unusable */
    uint64_t mosi_bytes, miso_bytes, transfers;
    void (*log)(void *ctx, const char *line);
    /** Optional (run trace, ctx log_ctx): fault @p kind fired on transfer
     *  @p n (dir to_target: write, to_host: read); @p byte its byte offset or
     *  0xFFFFFFFF; @p param MISO_STUCK: value << 16 | count, else 0. */
    void (*fault)(void *ctx, enum hil_dir dir, enum hil_fault_kind kind, uint32_t n, uint32_t byte,
                  uint32_t param);
    void *log_ctx;
    /** A byte-synchronous slave (the AN4286 ROM, rom_an4286.h): when set,
     *  every delivered MOSI byte goes to it and its return value is MISO
     *  (the queue and READY are not used; undelivered bytes read 0xFF). */
    uint8_t (*slave_clock)(void *ctx, uint8_t mosi);
    void *slave_ctx;
    /**
     * A slave behind a wire (fota-f407's SPI1 model, clocked by the
     * harness as master): when set, each transfer calls it once with the
     * MOSI bytes that reach the wire after the SPI faults (@p n, 0 for a
     * READY sample; @p frames: a write transfer, whose bytes the hook
     * passes through the frame proxy before it clocks them). The hook
     * clocks them, puts the MISO bytes (through the proxy) on the queue
     * with hil_spi_from_slave and sets *ready to the READY line after it.
     * The master's answer then takes the queue's bytes as without a wire;
     * READY reads high while the line is high or the queue holds bytes.
     */
    void (*wire)(void *ctx, const uint8_t *mosi, size_t n, bool frames, bool *ready);
    void *wire_ctx;
};

/** Reset the bus (queue emptied, counters zero) with an update step's faults. */
void hil_spi_init(struct hil_spi *s, const struct hil_fault *faults, int nfaults);

/**
 * Bytes from the master's pty: MOSI bytes for the slave are appended to
 * @p mosi, answers to @p to_master. A request longer than HIL_SPI_MAX_XFER
 * or not starting with 'T' sets s->bad and is dropped.
 */
void hil_spi_from_master(struct hil_spi *s, const uint8_t *in, size_t n, struct hil_buf *mosi,
                         struct hil_buf *to_master);

/** Bytes the slave queued for MISO (port_spi_tx). */
void hil_spi_from_slave(struct hil_spi *s, const uint8_t *in, size_t n);

/** @return true if fault @p i fired. */
bool hil_spi_fired(const struct hil_spi *s, int i);

void hil_spi_free(struct hil_spi *s);

#endif /* HIL_SPI_LINK_H */
