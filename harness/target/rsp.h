/**
 * @file rsp.h
 * @brief A small GDB Remote Serial Protocol client (the debugger side),
 * enough to serve peripheral models from a gdbstub: memory, registers,
 * software breakpoints, continue/step and asynchronous stop replies.
 *
 * Source: GDB manual, appendix E "GDB Remote Serial Protocol"
 * (sections "Overview" for framing, checksums, acks, '}' escaping and
 * run-length encoding; "Packets" for m/M/X/g/p/P/Z0/z0/c/s/?;
 * "Stop Reply Packets"; "Interrupts" for the 0x03 byte;
 * "General Query Packets" for qSupported/PacketSize and QStartNoAckMode).
 * Tested against QEMU 7.2's gdbstub (ARM M-profile target description:
 * r0..r12 = 0..12, sp = 13, lr = 14, pc = 15, xpsr = 25) and meant to work
 * with openocd's and st-util's gdbservers too.
 *
 * Every call is time-limited: none blocks longer than the timeout given
 * to hil_rsp_open (or the explicit one). After any error other than
 * FOTA_ENOTSUP / FOTA_EIO-from-an-"Exx"-reply the connection state is
 * unknown: close it. hil_rsp_error() says what went wrong.
 *
 * Non-blocking use while the target runs: hil_rsp_cont_send(), then poll
 * hil_rsp_fd() for POLLIN and call hil_rsp_poll_stop() when it is ready.
 */
#ifndef HIL_RSP_H
#define HIL_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** ARM register numbers in the gdbstub's 'p'/'P' numbering. */
enum hil_rsp_arm_reg {
    HIL_RSP_R0 = 0,
    HIL_RSP_SP = 13,
    HIL_RSP_LR = 14,
    HIL_RSP_PC = 15,
    HIL_RSP_XPSR = 25, /**< QEMU arm-m-profile.xml "xpsr", regnum 25 */
};

/** Z0/z0 kind for a 16-bit Thumb instruction (GDB manual, "ARM Breakpoint Kinds"). */
#define HIL_RSP_BKPT_THUMB 2

/** Signal numbers seen in stop replies (GDB's target signal numbers). */
#define HIL_RSP_SIGINT  2
#define HIL_RSP_SIGTRAP 5

/** A stop reply ("Stop Reply Packets"). */
struct hil_rsp_stop {
    char type;     /**< 'T'/'S' stopped with a signal; 'W' exited; 'X' killed */
    uint8_t code;  /**< the signal (T/S, X) or the exit status (W) */
    bool watch;    /**< 'T' with a watch:/rwatch:/awatch: pair: a watchpoint hit */
    uint32_t watch_addr; /**< the data address it reported */
};

struct hil_rsp;

/**
 * Wrap a connected stream socket (takes ownership of @p fd: closed by
 * hil_rsp_close, also on failure here).
 * @param timeout_ms  limit for each blocking call that has no timeout
 *                    argument (> 0)
 * @return 0 and *out; FOTA_EINVAL (fd < 0, timeout <= 0); FOTA_ENOMEM.
 */
int hil_rsp_open(int fd, int timeout_ms, struct hil_rsp **out);

/** Close the socket and free (NULL is fine). */
void hil_rsp_close(struct hil_rsp *r);

/** @return the socket fd (poll it for POLLIN while the target runs). */
int hil_rsp_fd(const struct hil_rsp *r);

#define HIL_RSP_HISTORY      16  /**< packets kept for hil_rsp_history() */
#define HIL_RSP_HISTORY_LINE 96  /**< bytes kept of each */

/**
 * The last HIL_RSP_HISTORY packets, oldest first, one per line: "> m8008000,40"
 * (sent), "< T05..." (received), at most HIL_RSP_HISTORY_LINE bytes each,
 * longer ones cut with their length, bytes outside printable ASCII as '.'.
 * @return bytes written into @p buf (NUL-terminated, cut at @p len).
 */
size_t hil_rsp_history(const struct hil_rsp *r, char *buf, size_t len);

/**
 * The stub runs in process @p pid (QEMU; <= 0: unknown, e.g. a probe's
 * stub on a board): from now on each limit counts the ms of CPU time it
 * uses while the harness waits, with a backstop of HIL_CPUWAIT_BACKSTOP
 * limits of wall time (cpuclock.h), so a QEMU that a loaded machine, or a
 * SIGSTOP, keeps off the CPU is not taken for one that stopped answering.
 */
void hil_rsp_set_peer(struct hil_rsp *r, pid_t pid);

/** Set the limit of each blocking call (ms, > 0; else unchanged). @return the previous one. */
int hil_rsp_set_timeout(struct hil_rsp *r, int timeout_ms);

/** @return a one-line description of the last error ("" if none). */
const char *hil_rsp_error(const struct hil_rsp *r);

/** @return the largest packet the stub accepts (qSupported PacketSize; 400 bytes until known). */
size_t hil_rsp_packet_size(const struct hil_rsp *r);

/**
 * qSupported (learns PacketSize), then QStartNoAckMode if the stub offers
 * it (acks are still handled if it does not), then reads target.xml
 * (qXfer:features:read) if offered: QEMU answers 'p'/'P' only after that.
 * @return 0; FOTA_ETIMEOUT; FOTA_ECONN (peer closed); FOTA_EIO (socket
 *         error, bad checksum, malformed reply).
 */
int hil_rsp_handshake(struct hil_rsp *r);

/**
 * Send one command packet and receive one reply packet (escapes and
 * run-length encoding decoded; NUL-terminated, truncated to @p cap - 1).
 * @param len  optional, receives the decoded length
 * @return 0; FOTA_ETIMEOUT; FOTA_ECONN; FOTA_EIO; FOTA_EBUSY (the target
 *         is running: a stop reply is owed first).
 */
int hil_rsp_command(struct hil_rsp *r, const char *cmd, char *reply, size_t cap, size_t *len);

/**
 * Read target memory with 'm', chunked to the packet size.
 * @return 0; FOTA_EIO (an "Exx" reply: unmapped address, or transport
 *         error); FOTA_ETIMEOUT; FOTA_ECONN; FOTA_EBUSY.
 */
int hil_rsp_read_mem(struct hil_rsp *r, uint32_t addr, void *buf, uint32_t len);

/**
 * Write target memory with 'X' (binary, escaped), falling back to 'M'
 * (hex) for good if the stub does not support 'X'; chunked.
 * @return 0; FOTA_EIO ("Exx"); FOTA_ETIMEOUT; FOTA_ECONN; FOTA_EBUSY.
 */
int hil_rsp_write_mem(struct hil_rsp *r, uint32_t addr, const void *buf, uint32_t len);

/**
 * Read r0..r15 with one 'g' packet (target byte order: little-endian).
 * @return 0; FOTA_EIO (short or malformed reply); FOTA_ETIMEOUT; FOTA_ECONN; FOTA_EBUSY.
 */
int hil_rsp_read_core_regs(struct hil_rsp *r, uint32_t regs[16]);

/** Read one 32-bit register with 'p'. @return as hil_rsp_read_core_regs. */
int hil_rsp_read_reg(struct hil_rsp *r, unsigned regno, uint32_t *val);

/** Write one 32-bit register with 'P'. @return 0; FOTA_EIO; FOTA_ENOTSUP ('P' unsupported); ... */
int hil_rsp_write_reg(struct hil_rsp *r, unsigned regno, uint32_t val);

/**
 * Insert (Z0) or remove (z0) a software breakpoint of @p kind
 * (HIL_RSP_BKPT_THUMB) at @p addr (bit 0 clear).
 * @return 0; FOTA_ENOTSUP (empty reply); FOTA_EIO ("Exx"); FOTA_ETIMEOUT; ...
 */
int hil_rsp_breakpoint(struct hil_rsp *r, bool insert, uint32_t addr, unsigned kind);

/**
 * Insert (Z4) or remove (z4) an access watchpoint (read or write) over
 * [@p addr, @p addr + @p len). The stub stops after the accessing
 * instruction with a 'T' reply carrying `awatch:ADDR` (GDB RSP, "Packets":
 * Z4; "Stop Reply Packets"). QEMU's stub takes any length; instruction
 * fetches and DMA are not data accesses and do not hit it.
 * @return 0; FOTA_ENOTSUP (empty reply); FOTA_EIO ("Exx"); FOTA_ETIMEOUT; ...
 */
int hil_rsp_watchpoint(struct hil_rsp *r, bool insert, uint32_t addr, uint32_t len);

/**
 * Whether any stop reply on this link reported a watchpoint hit, including
 * the replies of steps whose callers look only at the pc.
 * @return true and *addr (the first hit's address; @p addr may be NULL).
 */
bool hil_rsp_watch_seen(const struct hil_rsp *r, uint32_t *addr);

/** Ask why the target is stopped ('?'). @return 0; FOTA_EIO (not a stop reply); ... */
int hil_rsp_query_stop(struct hil_rsp *r, struct hil_rsp_stop *stop);

/**
 * Resume ('c') without waiting: the stop reply comes later, through
 * hil_rsp_poll_stop / hil_rsp_wait_stop / hil_rsp_interrupt.
 * @return 0; FOTA_EBUSY (already running); FOTA_ETIMEOUT; FOTA_ECONN; FOTA_EIO.
 */
int hil_rsp_cont_send(struct hil_rsp *r);

/** @return true between hil_rsp_cont_send and the stop reply. */
bool hil_rsp_running(const struct hil_rsp *r);

/**
 * Non-blocking: read what the socket has; if a whole stop reply arrived,
 * parse it. Console-output ('O') packets are skipped.
 * @param got  receives true when *stop was filled (the target is stopped)
 * @return 0 (also when nothing is complete yet); FOTA_ECONN (peer closed:
 *         the stub or the emulator went away); FOTA_EIO (malformed reply,
 *         socket error); FOTA_EBUSY (not running).
 */
int hil_rsp_poll_stop(struct hil_rsp *r, struct hil_rsp_stop *stop, bool *got);

/**
 * Wait up to @p timeout_ms for the stop reply.
 * @return 0; FOTA_ETIMEOUT (still running); FOTA_ECONN; FOTA_EIO; FOTA_EBUSY.
 */
int hil_rsp_wait_stop(struct hil_rsp *r, struct hil_rsp_stop *stop, int timeout_ms);

/**
 * Stop a running target (the 0x03 byte) and wait for its stop reply. If
 * the target stopped on its own at the same moment, *stop is that reply
 * (e.g. SIGTRAP at a breakpoint) rather than SIGINT: check it.
 * @return 0; FOTA_EBUSY (not running); FOTA_ETIMEOUT; FOTA_ECONN; FOTA_EIO.
 */
int hil_rsp_interrupt(struct hil_rsp *r, struct hil_rsp_stop *stop);

/**
 * Single-step one instruction ('s') and wait for the stop reply.
 * @return 0; FOTA_EBUSY (running); FOTA_ETIMEOUT; FOTA_ECONN; FOTA_EIO.
 */
int hil_rsp_step(struct hil_rsp *r, struct hil_rsp_stop *stop);

/**
 * Run a monitor command (qRcmd, e.g. openocd's "reset halt"); the stub's
 * console output ('O' packets) goes to @p out (NUL-terminated, may be NULL).
 * @return 0 (OK); FOTA_ENOTSUP (empty reply: no monitor); FOTA_EIO ("Exx",
 *         malformed); FOTA_ETIMEOUT; FOTA_ECONN; FOTA_EBUSY.
 */
int hil_rsp_monitor(struct hil_rsp *r, const char *cmd, char *out, size_t cap);

/**
 * Flash programming through the stub's flash driver (GDB manual E.
 * "Packets": vFlashErase, vFlashWrite, vFlashDone; openocd implements
 * them, QEMU does not). Erase ranges must cover whole sectors.
 * @return 0; FOTA_ENOTSUP (empty reply); FOTA_EIO ("Exx"); FOTA_ETIMEOUT; ...
 */
int hil_rsp_flash_erase(struct hil_rsp *r, uint32_t addr, uint32_t len);
/** vFlashWrite, chunked to the packet size. @return as hil_rsp_flash_erase. */
int hil_rsp_flash_write(struct hil_rsp *r, uint32_t addr, const void *buf, uint32_t len);
/** vFlashDone: the stub finishes pending writes. @return as hil_rsp_flash_erase. */
int hil_rsp_flash_done(struct hil_rsp *r);

#endif /* HIL_RSP_H */
