/**
 * @file app.h
 * @brief The demo application's modules: console output, update-link
 * service, self-test. Built in variants (apps/build.mk) selected by:
 *   APP_VERSION_MAJOR/MINOR/PATCH  the version it reports
 *   APP_BEHAVIOUR                  APP_DEMO, APP_CRASH, APP_HANG, APP_NOCONFIRM, APP_SPI_TX,
 *                                  APP_BACKGROUND
 */
#ifndef APP_H
#define APP_H

#include <stdint.h>

#define APP_DEMO      1 /**< self-test, confirm, serve the link */
#define APP_CRASH     2 /**< HardFault before confirming */
#define APP_HANG      3 /**< stop refreshing the watchdog before confirming */
#define APP_NOCONFIRM 4 /**< run normally, never confirm */
#define APP_SPI_TX    5 /**< as APP_DEMO, then two unsolicited link writes and a heartbeat */
#define APP_BACKGROUND 6 /**< as APP_DEMO, plus a heartbeat and background updates (background.c) */

#ifndef APP_BEHAVIOUR
#define APP_BEHAVIOUR APP_DEMO
#endif
#ifndef APP_VERSION_MAJOR
#define APP_VERSION_MAJOR 1
#endif
#ifndef APP_VERSION_MINOR
#define APP_VERSION_MINOR 0
#endif
#ifndef APP_VERSION_PATCH
#define APP_VERSION_PATCH 0
#endif

/* ---- console.c (USART2) ---- */
void app_puts(const char *s);
void app_put_u32(uint32_t v);
/** "x.y.z" of an IMAGE_VERSION() value. */
void app_put_version(uint32_t v);
/** Wait until both USARTs have sent everything. */
void app_flush(void);

/* ---- link.c (USART1, fota/proto.h) ---- */
void app_link_init(uint32_t running_slot);
/** Take every byte received so far; answer HELLO, ENTER_UPDATE, RESET. */
void app_link_poll(void);
/**
 * APP_SPI_TX: send two unsolicited NACK frames on the link at once and
 * print each write's status ("APP: link write <n>: rc=<FOTA_E*>"). On the
 * SPI link (through BL_API->ba_link_write, port_spi_tx) the second waits
 * for the master to clock the first out; with no master clocking it must
 * return FOTA_EBUSY, not hang (issue 10).
 */
void app_link_tx_probe(void);

/** The slot this image runs from (app_link_init()'s). */
uint32_t app_running_slot(void);

/* ---- main.c ---- */
/** Refresh the watchdog and print the heartbeat when they are due; the
 * main loop calls it, and long work (background.c's erases) in between. */
void app_tick(void);

/* ---- background.c (APP_BACKGROUND) ---- */
struct proto_frame;
/**
 * Serve BEGIN, DATA, END or ABORT of @p f on the running application:
 * the inactive slot is written through BL_API (ba_version >= 3).
 * @param rsp    receives the response payload after the status byte
 *               (rsp[0] is the caller's), up to PROTO_BEGIN_RSP_LEN bytes
 * @param len    receives the response payload length, bytes
 * @param reset  set when END committed the image: answer, then BL_API->ba_reset()
 * @return the status: 0; FOTA_EBUSY (bootloader without the services,
 *         or DATA/END with no transfer in progress: BEGIN first);
 *         FOTA_EINVAL; FOTA_EPROTO (DATA at a gap); FOTA_ERANGE; FOTA_ESIZE
 *         (END before every byte came); the errors of
 *         ba_slot_begin/erase/program/commit (fota/bl_api.h).
 */
int app_bg_handle(const struct proto_frame *f, uint8_t *rsp, uint16_t *len, int *reset);

/* ---- selftest.c ---- */
/**
 * Check this image against its header in the slot (magic, size, payload
 * CRC-32) and a RAM pattern test.
 * @return 0; nonzero with *what set to a short reason.
 */
int app_selftest(const char **what);

#endif /* APP_H */
