/**
 * @file rsp_target.h
 * @brief The core of every target driven over the GDB Remote Serial
 * Protocol (rsp.h): what the QEMU backend (target_qemu.c) and the board
 * backend (target_board.c) share, so that a backend is only what it is:
 * process start-up, power, and reading back after a cut.
 *
 * The core owns:
 *  - the breakpoints on the HIL-served functions of fota/port.h, resolved
 *    from the bootloader ELF and checked for compiler clones;
 *  - the stop dispatch: a stop at port_flash_erase_sector or
 *    port_flash_program becomes a struct hil_flash_op (arguments checked
 *    with the port contract, port_flash_check_erase/program), the runner's
 *    verdict is carried out (apply, fail, drop, cut); port_jump and
 *    Reset_Handler become HIL_EV_JUMP and HIL_EV_BOOT; a stop at a
 *    backend's own breakpoint goes to its serve hook;
 *  - step over a breakpoint, return to lr with r0 set (AAPCS);
 *  - the console's line framing (CR dropped, LF ends a line, long lines
 *    split at HIL_RSPT_CON_LINE).
 *
 * A flash operation is either served (HIL_RSPT_FLASH_SERVE: the harness
 * applies it to the model, writes the result into the target's flash over
 * the debug link and returns from the function; stock QEMU, or a stub
 * that cannot program itself) or observed (HIL_RSPT_FLASH_OBSERVE: the
 * chip runs its own register code and the model mirrors the operation
 * when the function returns, caught by a temporary breakpoint at the
 * return address; a real board, or a machine that models the flash
 * registers). Either way the model shows an operation only once it is
 * done, so a runner that acts on the model (e.g. cuts the power once a
 * record is committed) never acts on an operation still in progress.
 *
 * Or the device reports the operations itself (HIL_RSPT_FLASH_DEVICE: the
 * register-level QEMU machine of issue 10, over QMP): no breakpoints on the
 * flash functions; the backend hands each report to hil_rspt_ask() from
 * its stopped/resuming hooks and its service, and mirrors it.
 *
 * Sources: GDB manual appendix E (see rsp.h); AAPCS (arguments in r0-r3,
 * result in r0, return address in lr; bit 0 of lr is the Thumb bit).
 */
#ifndef HIL_RSP_TARGET_H
#define HIL_RSP_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "fota/port.h"
#include "target/glitch.h"
#include "target/rsp.h"
#include "target/target.h"

#define HIL_RSPT_CON_LINE 512 /**< a console line longer than this is delivered in pieces */
#define HIL_RSPT_BP_MAX   12  /**< breakpoints, the core's and a backend's */

/** The core's breakpoints: the first entries of the table, in this order. */
enum hil_rspt_bp {
    HIL_RSPT_BP_ERASE = 0,   /**< port_flash_erase_sector */
    HIL_RSPT_BP_PROGRAM = 1, /**< port_flash_program */
    HIL_RSPT_BP_JUMP = 2,    /**< port_jump (observed: stepped over) */
    HIL_RSPT_BP_RESET = 3,   /**< Reset_Handler (else the image's reset vector) */
    HIL_RSPT_BP_CORE = 4,    /**< a backend's own breakpoints start here */
};

/** Who performs a flash operation. */
enum hil_rspt_flash {
    HIL_RSPT_FLASH_SERVE = 0,   /**< the harness: model, write into the target, return r0 */
    HIL_RSPT_FLASH_OBSERVE = 1, /**< the target's own code: mirrored into the model, stepped over */
    /**
     * The target's own code, and the device reports each operation and
     * injects the faults itself (fota-f407 over QMP): no breakpoints on
     * the flash functions; the backend hands each reported operation to
     * hil_rspt_ask() and mirrors it.
     */
    HIL_RSPT_FLASH_DEVICE = 2,
};

/** A backend's own breakpoint. */
struct hil_rspt_sym {
    const char *name;  /**< ELF symbol */
    bool optional;     /**< missing from the ELF: no breakpoint (else FOTA_ENOENT) */
};

struct hil_rsp_target;

/** What a backend adds to the core. */
struct hil_rspt_backend {
    const char *tag;   /**< message prefix, e.g. "qemu-target" */
    /**
     * Serve a stop at the backend's breakpoint @p bp (HIL_RSPT_BP_CORE +
     * index into its symbol list); end by returning from the function or
     * resuming. NULL: the backend has no breakpoints of its own.
     * @return 0; an rsp.h error (the debug link broke).
     */
    int (*serve)(struct hil_rsp_target *c, int bp, const uint32_t regs[16]);
    /**
     * Optional: called before every continue (QEMU: stopped time does not
     * count for the IWDG model; fota-f407: the device's fault is armed).
     * It may power off or reset the target (c->gen changes): then the
     * continue is not sent.
     */
    void (*resuming)(struct hil_rsp_target *c);
    /**
     * Optional: the target stopped (its console already drained), before
     * the stop is dispatched; @p stray: not at one of the breakpoints
     * (e.g. the device stopped the VM after a fault). @return true when
     * the hook took care of the stop (it powered off or reset the target,
     * or resumed it): the core does nothing more with it.
     */
    bool (*stopped)(struct hil_rsp_target *c, bool stray);
    /** Optional: the Reset_Handler stop, before HIL_EV_BOOT; @p after_jump: entered by port_jump. */
    void (*booted)(struct hil_rsp_target *c, bool after_jump);
    /**
     * The runner's verdict cut power at @p op; the target is stopped at
     * the function's entry (@p pc), returning to @p lr. Leave the target
     * off, the model holding what the cut left, HIL_EV_POWER_OFF reported.
     */
    void (*cut)(struct hil_rsp_target *c, const struct hil_flash_op *op, const struct hil_flash_verdict *v,
                uint32_t pc, uint32_t lr);
    /** The target exited (stop reply W or X). @return what service returns. */
    int (*exited)(struct hil_rsp_target *c, const struct hil_rsp_stop *st);
    /** The debug link failed with @p rc while powered: tear down, report HIL_EV_DIED. @return what service returns. */
    int (*broke)(struct hil_rsp_target *c, int rc);
};

/** One breakpoint of the table. */
struct hil_rspt_bpt {
    const char *sym;
    uint32_t addr;     /**< 0: not set */
};

/**
 * The core's state. A backend embeds it first in its own struct (so
 * &c->base is the struct hil_target the runner holds) and fills it with
 * hil_rspt_init() and hil_rspt_resolve().
 */
struct hil_rsp_target {
    struct hil_target base;          /**< first */
    const struct hil_rspt_backend *be;
    enum hil_rspt_flash flash_mode;
    bool verbose;
    struct hil_rspt_bpt bp[HIL_RSPT_BP_MAX];
    int nbp;                         /**< entries of bp[]; 0: nothing observed */
    bool reset_from_vector;          /**< no Reset_Handler symbol: the reset vector at power-on */

    struct hil_rsp *rsp;             /**< while powered (the backend opens and closes it) */
    int con_fd;                      /**< console, non-blocking; -1 */
    int link_fd;                     /**< the update link's bytes (hil_target_ops.link_fd); -1 */
    uint32_t gen;                    /**< bumped by power on/off/reset: hooks may call them */
    bool jump_pending;               /**< last stop was port_jump: Reset_Handler next is not a reset */
    bool watch_failed;               /**< a session could not set the watchpoint (base.watch_len) */
    int64_t stopped_at;              /**< hil_rspt_clock_ms() when the target last stopped */
    pid_t clock_pid;                 /**< the emulator whose CPU time is the device's clock (cpuclock.h); 0: wall */
    uint32_t seq;
    uint32_t kind_seq[3];

    /* OBSERVE: the flash op in progress is applied to the model when the
     * function returns (a temporary breakpoint at its return address), so
     * the model never shows an op the chip has not done; 0: none. */
    uint32_t finish_at;
    uint32_t finish_gen;             /**< c->gen when finish_at was set */
    struct hil_flash_op finish_op;   /**< its data is op_data */

    /* The glitch sweep's engine (glitch.h), NULL: none. Owned by the runner. */
    struct hil_glitch *glitch;

    /* The debug link's last packets when it was closed (for a diagnosis). */
    char rsp_history[HIL_RSP_HISTORY * HIL_RSP_HISTORY_LINE];

    char con_line[HIL_RSPT_CON_LINE + 1];
    size_t con_len;
    uint8_t op_data[PORT_FLASH_PROGRAM_MAX];
};

/** Monotonic milliseconds. */
int64_t hil_rspt_now_ms(void);

/**
 * The device's clock in ms: the CPU time of @p c->clock_pid (QEMU under
 * -icount: it runs only as the guest executes, cpuclock.h), wall time
 * when it is 0 or cannot be read (a board). Timers the harness models for
 * the device (the stock machine's IWDG) count in it.
 */
int64_t hil_rspt_clock_ms(const struct hil_rsp_target *c);

/** Set up @p c (zeroed by the caller): ops, hooks, flash model, backend, flash mode. */
void hil_rspt_init(struct hil_rsp_target *c, const struct hil_target_ops *ops, const struct hil_rspt_backend *be,
                   struct hil_flash *flash, const struct hil_target_hooks *hooks, enum hil_rspt_flash mode,
                   bool verbose);

/**
 * Fill the breakpoint table from @p elf (NULL: no breakpoints, nothing
 * observed): the core's four symbols, then @p extra[0..nextra). A missing
 * Reset_Handler falls back to the reset vector at power-on. Refuses an
 * ELF where the compiler cloned a served function or folded two into one
 * address (a breakpoint would miss calls; fota/port.h PORT_HIL_SERVED).
 * @return 0; FOTA_ENOENT (a required symbol is missing); FOTA_EINVAL
 *         (clone or fold); FOTA_EIO (ELF unreadable); FOTA_ENOMEM;
 *         FOTA_ERANGE (too many symbols). Reasons are printed on stderr.
 */
int hil_rspt_resolve(struct hil_rsp_target *c, const char *elf, const struct hil_rspt_sym *extra, int nextra);

/**
 * Set every breakpoint of the table (target halted, c->rsp open).
 * @return 0 or the rsp error; *failed names the symbol on error.
 */
int hil_rspt_set_breakpoints(struct hil_rsp_target *c, const char **failed);

/**
 * The glitch engine's breakpoints at a power-on (rsp_glitch.c; called by
 * hil_rspt_set_breakpoints): the bad image's entry, and while the glitch
 * is armed the trace's start or the point's pc. @return 0; an rsp error.
 */
int hil_rspt_glitch_insert(struct hil_rsp_target *c);

/**
 * Offer a stop to the glitch engine (rsp_glitch.c). *handled: it took the
 * stop (the target runs on); else the core dispatches it with @p regs,
 * which the engine may have updated (a trace that stepped up to a served
 * function or to port_jump). @return 0; an rsp error; FOTA_ENOMEM.
 */
int hil_rspt_glitch_stop(struct hil_rsp_target *c, uint32_t regs[16], bool *handled);

/** Verbose log line "<tag>: ...". */
void hil_rspt_log(const struct hil_rsp_target *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Report an event through the hooks. */
void hil_rspt_event(struct hil_rsp_target *c, enum hil_event_kind kind, uint32_t value, const char *detail);

/** Read what the console has (c->con_fd) and deliver whole lines; stops when a hook changes c->gen. */
void hil_rspt_console_drain(struct hil_rsp_target *c);

/**
 * Before a power-off: deliver what the console has. @return true when the
 * target is still powered (it was, and no console hook cut it).
 */
bool hil_rspt_drain_before_off(struct hil_rsp_target *c);

/** Deliver a partial console line as a line (before a reset or a cut). */
void hil_rspt_console_flush(struct hil_rsp_target *c);

/** Continue the target. @return 0; an rsp error. */
int hil_rspt_resume(struct hil_rsp_target *c);

/** Return from a served function: r0 (if @p set_r0), pc = lr, continue. @return 0; an rsp error. */
int hil_rspt_return(struct hil_rsp_target *c, bool set_r0, uint32_t r0, uint32_t lr);

/** Execute the instruction under the breakpoint at @p addr, then continue. @return 0; an rsp error. */
int hil_rspt_step_over(struct hil_rsp_target *c, uint32_t addr);

/**
 * Number @p op (op->seq, op->kind_seq: counted since the target was
 * created) and ask the runner's on_flash_op hook; @return with *v filled
 * (zeroed = apply). The hook may power off or reset the target.
 */
void hil_rspt_ask(struct hil_rsp_target *c, struct hil_flash_op *op, struct hil_flash_verdict *v);

/** Apply @p op to the flash model as @p torn says. */
void hil_rspt_apply(struct hil_rsp_target *c, const struct hil_flash_op *op, enum hil_torn torn);

/** Write the model's bytes of @p op's range into the target's flash. @return 0; an rsp error. */
int hil_rspt_write_back(struct hil_rsp_target *c, const struct hil_flash_op *op);

/** Serve one stop (the target is halted). @return 0; an rsp error. */
int hil_rspt_handle_stop(struct hil_rsp_target *c, const struct hil_rsp_stop *st);

/** Append @p fd for POLLIN to fds[n] if it is open and n < @p max. @return the new count. */
int hil_rspt_poll_add(struct pollfd *fds, int n, int max, int fd);

/**
 * hil_target_ops.poll_fds for an RSP target: the debug link and the
 * console (at most @p max); no timers (@p timeout_ms untouched).
 * @return entries used.
 */
int hil_rspt_poll_fds(struct hil_target *t, struct pollfd *fds, int max, int *timeout_ms);

/** hil_target_ops.link_fd for an RSP target: c->link_fd while powered, else -1. */
int hil_rspt_link_fd(struct hil_target *t);

/**
 * hil_target_ops.service for an RSP target: drain the console, take a
 * stop if one came and serve it; on a link error call the backend's broke
 * hook. Sources are read non-blocking, so @p fds is only a hint.
 * @return 0; what broke returned.
 */
int hil_rspt_service(struct hil_target *t, struct pollfd *fds, int n);

/** Close the debug link (c->rsp), keeping its last packets for hil_rspt_describe(). */
void hil_rspt_close_link(struct hil_rsp_target *c);

/** hil_target_ops.describe for an RSP target (target.h). */
void hil_rspt_describe(struct hil_target *t, char *buf, size_t len);

#endif /* HIL_RSP_TARGET_H */
