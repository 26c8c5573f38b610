/**
 * @file sim.h
 * @brief The host "sim" port: fota/port.h over the harness's flash model
 * (harness/target/flashmodel.h: STM32F4 semantics after RM0090 3.6, Table 5
 * sector map from fota/layout.h, erase sets a sector to 0xFF, programming
 * only clears bits, every torn state of a power cut), an in-memory
 * link, a fake clock, and fault injection (STYLE.md #4: the fake counts
 * every flash operation and can cut power at, or fail, the Nth).
 *
 * Single-threaded and not reentrant: one simulated device per process.
 * port_reset(), port_jump(), a power cut and a hung/stopped run leave the
 * core by longjmp() back into sim_run().
 */
#ifndef FOTA_SIM_H
#define FOTA_SIM_H

#include <stdint.h>
#include "fota/layout.h"

/**
 * How much of the operation at a power cut reaches the cells: the flash
 * model's torn states (enum hil_torn of harness/target/flashmodel.h,
 * value for value), applied by that model.
 */
enum sim_torn {
    SIM_TORN_NONE = 0, /**< nothing written / sector unchanged */
    SIM_TORN_HALF = 1, /**< program: first (len / 2) & ~3 bytes; erase: first half of the sector */
    SIM_TORN_ALL = 2,  /**< the operation completed just before the cut */
    SIM_TORN_BITS = 3, /**< program: every byte partly programmed (old & (data | 0x55));
                            erase: every byte partly erased (old | 0x55) */
};

/** Why sim_run() returned. */
enum sim_exit {
    SIM_EXIT_RETURNED = 0,  /**< the function returned normally */
    SIM_EXIT_RESET = 1,     /**< port_reset() (SRAM, so the mailbox, kept) */
    SIM_EXIT_JUMP = 2,      /**< port_jump(); see sim_jump_vectors() */
    SIM_EXIT_POWER_CUT = 3, /**< an injected power cut (mailbox scrambled) */
    SIM_EXIT_HUNG = 4,      /**< the fake clock passed the time limit while waiting on the link */
    SIM_EXIT_STOP = 5,      /**< the link idle hook asked to stop */
};

enum sim_op_kind { SIM_OP_ERASE = 1, SIM_OP_PROGRAM = 2 };

/** One flash operation as the core asked for it (the log). */
struct sim_op {
    uint8_t  kind;   /**< enum sim_op_kind */
    uint32_t addr;   /**< program: absolute address; erase: sector start */
    uint32_t len;    /**< program: bytes; erase: sector size */
    uint32_t sector; /**< sector number */
};

#define SIM_OP_LOG_MAX 4096u

/** Power-on a fresh device: flash all 0xFF, counters, faults, link, console, clock cleared. */
void sim_init(void);

/** The flash buffer; offset 0 is LAYOUT_FLASH_BASE. Tests may read and poke it freely. */
uint8_t *sim_flash(void);
/** Factory programming: put @p len bytes at absolute @p addr (not counted, no bit rules). */
void sim_flash_write_raw(uint32_t addr, const void *data, uint32_t len);
/** Flip bit @p bit (0..7) of the byte at absolute @p addr. */
void sim_flash_flip_bit(uint32_t addr, unsigned bit);

/** Flash operations (erase + program) performed since sim_init()/sim_ops_reset(), including a cut or failed one. */
uint32_t sim_ops(void);
uint32_t sim_programs(void);
uint32_t sim_erases(void);
/** Zero the operation counters and the log. */
void sim_ops_reset(void);
/** The operation log since the last reset of the counters; *n receives its length. */
const struct sim_op *sim_op_log(uint32_t *n);

/** Cut power at operation @p op (1-based, as counted by sim_ops()), leaving @p torn. Fires once. */
void sim_fault_cut(uint32_t op, enum sim_torn torn);
/** Make operation @p op do nothing and return @p rc (e.g. FOTA_EFLASH). Fires once. */
void sim_fault_fail(uint32_t op, int rc);
void sim_fault_clear(void);
/** @return nonzero if an armed fault has fired since it was armed. */
int sim_fault_fired(void);

/** Run fn(arg) until it returns or leaves the core (reset, jump, power cut, hang, stop). */
enum sim_exit sim_run(void (*fn)(void *), void *arg);
/** Reset the clock and watchdog as a reset does, then sim_run(boot_main). */
enum sim_exit sim_boot(void);
/** A cold boot's SRAM: scramble the mailbox (as after a power cut). */
void sim_power_cycle(void);

/** Vector table address of the last port_jump(). */
uint32_t sim_jump_vectors(void);
/** Timeout the watchdog was started with since the last sim_boot(), 0 if not started. */
uint32_t sim_watchdog_ms(void);
/** port_watchdog_refresh() calls since sim_init(). */
uint32_t sim_watchdog_refreshes(void);

/* ---- Link: the test plays host ---- */
/** Bytes from the host to the target (read by port_link_read()). */
void sim_link_host_send(const void *data, uint32_t len);
/** Take up to @p cap bytes the target wrote (port_link_write()). @return count. */
uint32_t sim_link_host_recv(void *buf, uint32_t cap);
/** Drop everything queued in both directions. */
void sim_link_clear(void);
/**
 * Called by port_link_read() when the target waits and nothing is queued;
 * the hook may sim_link_host_recv() responses and sim_link_host_send()
 * requests. Return 0 to continue (if nothing was queued the fake clock
 * advances by the read timeout), nonzero to stop the run (SIM_EXIT_STOP).
 */
typedef int (*sim_idle_hook)(void *ctx);
void sim_link_set_idle_hook(sim_idle_hook hook, void *ctx);
/** Make the next port_link_read() return FOTA_EIO (bytes lost). */
void sim_link_fail_next_read(void);

/* ---- Clock ---- */
uint32_t sim_now_ms(void);
/** Fake-time budget per sim_boot(); exceeding it while waiting ends the run with SIM_EXIT_HUNG. */
void sim_set_time_limit(uint32_t ms);

/* ---- Console ---- */
/** Everything written to the console since the last clear, NUL-terminated. */
const char *sim_console(void);
void sim_console_clear(void);
/** @return nonzero if @p line (without "\r\n") was written as a whole line. */
int sim_console_has_line(const char *line);
/** @return nonzero if some console line starts with @p prefix. */
int sim_console_has_prefix(const char *prefix);

#endif /* FOTA_SIM_H */
