/**
 * @file standin_board.h
 * @brief A stand-in STM32F4 board for the board backend's tests: QEMU
 * (netduinoplus2) is the chip, its GDB stub stands in for openocd's
 * gdbserver, two pty pairs stand in for the USB serial adapters of the
 * console and the update link (a relay thread copies bytes between each
 * pty master and QEMU's USART sockets), and the fake libgpiod chip's lines
 * are the wires: the power line starting QEMU from chip.img when driven
 * active and (after saving the flash with QMP pmemsave, i.e. what the
 * chip's flash cells hold) killing it when driven inactive; the NRST line
 * resetting it (QMP system_reset) when released.
 *
 * Limits: QEMU's flash ignores the guest's own stores, so a board profile
 * for the stand-in uses `flash_ops: serve`, or tests only what the chip
 * did not have to program.
 */
#ifndef STANDIN_BOARD_H
#define STANDIN_BOARD_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

struct standin {
    char dir[128];            /**< chip.img, gdb.sock, qemu.log, ... */
    char con_tty[64];         /**< pty slave the backend opens as the console tty */
    char link_tty[64];        /**< pty slave for the update link */
    const char *chip_name;    /**< fake gpio chip */
    unsigned int power_line;  /**< active high */
    unsigned int nrst_line;   /**< active low */
    int nrst_level;
    pid_t qemu;
    int qmp;
    int socks[2];             /**< QEMU con, link sockets */
    int masters[2];           /**< pty masters: con, link */
    int slaves[2];            /**< kept open: the ptys stay raw and never hang up */
    int wake[2];
    pthread_t relay;
    bool relay_running;       /**< in this process (a fork has no relay until power-on starts one) */
    pthread_mutex_t mu;
    unsigned int gen;
    bool stop;
    int power_ons;
    int power_offs;
    int resets;
};

/** Make @p dir's pty pairs and start the relay; chip.img must be written by the caller. @return 0 or -1. */
int standin_start(struct standin *s, const char *dir, const char *chip_name, unsigned int power_line,
                  unsigned int nrst_line);
/** Kill QEMU if running, stop the relay, close everything. */
void standin_stop(struct standin *s);
/**
 * Stop the relay thread (it is started again by the next power-on, or by
 * standin_relay_start). For a process that forks while the stand-in lives
 * (pthread_atfork): a relay in the parent would steal the bytes a forked
 * harness worker's relay must carry.
 */
void standin_relay_stop(struct standin *s);
/** Start the relay thread in this process if it is not running. @return 0 or -1. */
int standin_relay_start(struct standin *s);
/** The fake_gpiod change callback (ctx = struct standin *). */
void standin_gpio_cb(void *ctx, const char *chip, unsigned int line, int value);

#endif /* STANDIN_BOARD_H */
