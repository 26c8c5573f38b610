/**
 * @file spi_master.h
 * @brief The harness as SPI master of fota-f407's SPI1 slave: the client
 * side of the slave's chardev (qemu/src/include/hw/ssi/stm32f4xx_spi_slave.h,
 * docs/QEMU.md "SPI1 slave"). No fault injection here: the runner's SPI bus
 * (link/spi_link.h) decides what is clocked.
 *
 * Wire format, master -> slave: 'S' (NSS low), 'E' (NSS high),
 * 'B' n_lo n_hi MOSI[n] (clock n bytes, 1..HIL_SPIM_MAX), 'Q' (READY?);
 * slave -> master: 'b' n_lo n_hi MISO[n] (the answer to 'B'), 'R' 0|1
 * (the READY line: at each change and as the answer to 'Q').
 */
#ifndef HIL_SPI_MASTER_H
#define HIL_SPI_MASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIL_SPIM_MAX 4096u   /**< bytes one 'B' message clocks at most */

struct hil_spim {
    int fd;                  /**< the chardev socket, -1: none */
    uint8_t in[16 + HIL_SPIM_MAX]; /**< messages being received */
    size_t in_len;
    bool ready;              /**< READY as last reported */
    uint32_t rises;          /**< READY rising edges seen */
    uint32_t rises_reported; /**< rises already told by hil_spim_ready_change() */
    uint64_t clocked;        /**< bytes clocked so far */
    uint32_t stray;          /**< late answers dropped (their transfer timed out) */
};

/** Start on @p fd (connected, owned by the caller; -1: none). */
void hil_spim_init(struct hil_spim *m, int fd);

/**
 * One chip-select period: NSS low, clock @p n bytes of @p mosi (n may be
 * 0: READY is only sampled), NSS high; MISO to @p miso (NULL: dropped);
 * READY after it to *ready. Blocks until the slave answered, at most
 * @p timeout_ms of wall time (it bounds a hung emulator; the slave answers
 * from QEMU's main loop, whatever the guest does).
 * @return 0; FOTA_EINVAL (n > HIL_SPIM_MAX); FOTA_ECONN (the socket
 *         closed); FOTA_ETIMEOUT; FOTA_EPROTO (not the slave's protocol);
 *         FOTA_EIO. On an error MISO reads 0xFF (a floating line).
 */
int hil_spim_xfer(struct hil_spim *m, const uint8_t *mosi, uint8_t *miso, size_t n, int timeout_ms, bool *ready);

/**
 * Take what the slave sent on its own (READY changes) without waiting.
 * @return 0; FOTA_ECONN (closed); FOTA_EPROTO; FOTA_EIO.
 */
int hil_spim_service(struct hil_spim *m);

/**
 * The READY change to report after hil_spim_xfer() or hil_spim_service()
 * (each may take several 'R' messages at once), given READY @p was before
 * the call. A rise is an edge, not a level: the slave drops READY only
 * when its guest next polls (bootloader/port/stm32f4/spi.c), so a fall and
 * the next answer's rise can arrive together and leave the level as it
 * was; comparing levels lost that answer until the hold budget ran out.
 * @return 1: READY rose since the last report and is high (a new answer
 *         to clock out); 0: it is low and was high; -1: nothing to report.
 */
int hil_spim_ready_change(struct hil_spim *m, bool was);

#endif /* HIL_SPI_MASTER_H */
