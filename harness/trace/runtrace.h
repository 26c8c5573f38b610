/**
 * @file runtrace.h
 * @brief The run trace of one scenario: build/work/<id>/trace.pcap written
 * while the runner runs it (harness/trace/trace.h records), kept or deleted at
 * the end according to --pcap.
 *
 * Timestamps, in microseconds since the scenario started: device time
 * when the runner gave a device clock (hil_runtrace_set_clock: the QEMU
 * targets, run/hold.h hil_devclock_us; every record then carries
 * HIL_TRACE_F_DEVTIME), else host CLOCK_MONOTONIC time (the clock of
 * events.log; a real board). QEMU's virtual clock cannot be read without
 * stopping the guest; under -icount QEMU's CPU time is what the guest's
 * time advances with, and it does not run while a loaded machine starves
 * QEMU, which wall time does (docs/TRACE.md).
 *
 * Every call accepts a run trace that is not open (tracing off or the file
 * could not be created): it does nothing.
 */
#ifndef HIL_RUNTRACE_H
#define HIL_RUNTRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include "link/proxy.h"
#include "target/target.h"
#include "trace/trace.h"

/** Which cases keep their trace.pcap (`fota-hil run --pcap`). */
enum hil_pcap_mode {
    HIL_PCAP_FAILED = 0,  /**< default: failed cases keep it, passed ones delete it */
    HIL_PCAP_ALL = 1,     /**< every case keeps it */
    HIL_PCAP_NONE = 2,    /**< no trace is written */
};

#define HIL_RUNTRACE_FILE "trace.pcap"
/** The flash as the scenario composed it, kept with the trace for `fota-hil replay`. */
#define HIL_RUNTRACE_FLASH_FILE "flash-initial.bin"

struct hil_runtrace {
    struct hil_trace *t;          /**< NULL: not tracing */
    uint64_t t0_us;               /**< CLOCK_MONOTONIC at open */
    uint64_t (*clock_us)(void *ctx); /**< the device clock (NULL: host time) */
    void *clock_ctx;
    uint64_t clock0_us;           /**< clock_us at hil_runtrace_set_clock */
    enum hil_pcap_mode mode;
    bool spi;                     /**< the update link is SPI: FRAME/FAULT flag it */
    uint32_t rom_units[2];        /**< ROM-path units per direction (to target, to host) */
    char path[PATH_MAX + 16];
};

/**
 * Parse a --pcap argument: "failed", "all", "none".
 * @return 0; FOTA_EINVAL.
 */
int hil_pcap_mode_parse(const char *s, enum hil_pcap_mode *out);

/**
 * Start tracing into @p workdir/trace.pcap (unless @p mode is NONE).
 * @return 0 (also when not tracing); FOTA_EIO (cannot create the file;
 *         the run goes on without a trace).
 */
int hil_runtrace_open(struct hil_runtrace *rt, const char *workdir, enum hil_pcap_mode mode);

/** Install the wire and fault taps of @p p that write FRAME and FAULT records. */
void hil_runtrace_tap(struct hil_runtrace *rt, struct hil_proxy *p);

/**
 * One ROM-bootloader unit (rom_an3155.h on_unit hook): the host's bytes
 * @p in (a sync, a command pair, an address + checksum, a length + data +
 * checksum...) as a host->target FRAME, then the ROM's answer @p out
 * (when @p out_len > 0) as a target->host FRAME, both flagged @p proto.
 */
void hil_runtrace_rom_unit(struct hil_runtrace *rt, enum hil_trace_proto proto, const uint8_t *in,
                           size_t in_len, const uint8_t *out, size_t out_len);

/** A ROM command fault (rom_nack / rom_silent) on the @p n th command @p cmd. */
void hil_runtrace_rom_fault(struct hil_runtrace *rt, enum hil_trace_proto proto, bool nack, uint8_t cmd,
                            uint32_t n);

/**
 * An SPI bus fault (spi_link.h fault hook): @p kind one of the
 * HIL_FAULT_SPI_*, on write (@p dir to target) or read transfer @p n;
 * @p byte the byte offset (corrupt, cs_release) or HIL_TRACE_NO_OFFSET;
 * @p param see HIL_TRACE_FAULT_SPI_MISO_STUCK.
 */
void hil_runtrace_spi_fault(struct hil_runtrace *rt, enum hil_dir dir, enum hil_fault_kind kind, uint32_t n,
                            uint32_t byte, uint32_t param);

/** Save @p f as flash-initial.bin next to the trace (no-op when not tracing). */
void hil_runtrace_save_flash(struct hil_runtrace *rt, const struct hil_flash *f);

/**
 * Time the records from now on by @p clock_us (called with @p ctx; device
 * us, monotonic), counted from this call, and flag them
 * HIL_TRACE_F_DEVTIME. Call right after hil_runtrace_open.
 */
void hil_runtrace_set_clock(struct hil_runtrace *rt, uint64_t (*clock_us)(void *ctx), void *ctx);

/** Microseconds since hil_runtrace_open, or since hil_runtrace_set_clock in device time (0 when not open). */
uint64_t hil_runtrace_now(const struct hil_runtrace *rt);

void hil_runtrace_flash(struct hil_runtrace *rt, const struct hil_flash_op *op,
                        const struct hil_flash_verdict *v);
void hil_runtrace_console(struct hil_runtrace *rt, const char *line);
void hil_runtrace_event(struct hil_runtrace *rt, const struct hil_event *ev);
void hil_runtrace_power(struct hil_runtrace *rt, enum hil_trace_power ev, const char *detail);

/**
 * Close the trace; delete it (and flash-initial.bin) unless the mode keeps it (@p failed:
 * the case failed). @return 0; FOTA_EIO (a write failed: the file is
 * kept, incomplete).
 */
int hil_runtrace_close(struct hil_runtrace *rt, bool failed);

#endif /* HIL_RUNTRACE_H */
