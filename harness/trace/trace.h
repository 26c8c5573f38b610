/**
 * @file trace.h
 * @brief Run traces: a pcap file (libpcap, link type DLT_USER0 = 147) with
 * one packet per record of what happened during a scenario run: update
 * link frames, link faults, flash operations with their verdicts, power
 * events, console lines. Open it in Wireshark/tshark with the dissector
 * scripts/fota-hil.lua; read it back with hil_trace_read_*(). Full format
 * description: docs/TRACE.md.
 *
 * Record layout (all integers little-endian). Every packet is one record:
 *
 *   off size field
 *   0   1    magic_version: high nibble HIL_TRACE_MAGIC (0xF), low nibble
 *            HIL_TRACE_VERSION (1), so 0xF1 in this version
 *   1   1    kind   enum hil_trace_kind
 *   2   1    dir    enum hil_trace_dir (0 for records that have none)
 *   3   1    flags  HIL_TRACE_F_*; FRAME and FAULT records also carry
 *            the link protocol (bits 2-3, enum hil_trace_proto) and the
 *            physical link (bit 4, HIL_TRACE_F_SPI) in it
 *   4   2    length of the whole record, header included (= pcap caplen)
 *   6   ..   body, per kind:
 *
 *   FRAME    u32 index (1-based frame count in this direction as the link
 *            proxy counts them; 0 = unknown), then the frame's bytes as
 *            seen on the wire (possibly corrupted, with garbage before it,
 *            or cut short), up to HIL_TRACE_MAX_BYTES (HIL_TRACE_F_TRUNC
 *            when cut here)
 *   FAULT    u8 kind (enum hil_trace_fault_kind), u32 frame (1-based frame
 *            index in dir), u32 offset (byte offset in the frame;
 *            0xFFFFFFFF = not applicable), u32 param (STALL: milliseconds;
 *            else 0)                                              13 bytes
 *   FLASH    u8 op (enum hil_op_kind), u8 region (enum hil_region),
 *            u8 verdict (enum hil_action), u8 torn (enum hil_torn),
 *            u8 rc (enum fota_err, for HIL_ACT_FAIL), u8 reserved[3] = 0,
 *            u32 sector, u32 addr, u32 len, u32 seq, u32 kind_seq,
 *            u8 sha256_prefix[8] (first 8 bytes of SHA-256 of the data of
 *            a program; zeros and no HIL_TRACE_F_SHA for erases)  36 bytes
 *   POWER    u8 event (enum hil_trace_power), u8 reserved[3] = 0,
 *            u32 value (JUMP: vector table address; WATCHDOG_START:
 *            timeout in ms; else 0), then optional detail text (UTF-8, no
 *            NUL) to the end of the record
 *   CONSOLE  the line's text (UTF-8, no line ending, no NUL) to the end
 *
 * The pcap timestamp of a record is the caller's, in microseconds: host
 * time, or device time when the header flags carry HIL_TRACE_F_DEVTIME.
 *
 * NOTE: file format. Readers reject another magic nibble or version; an
 * incompatible change bumps HIL_TRACE_VERSION. Fields may only be appended
 * to the fixed-size bodies (FAULT, FLASH); readers ignore bytes past the
 * fields they know. Enum values that appear in records never change.
 */
#ifndef HIL_TRACE_H
#define HIL_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "target/target.h"

#define HIL_TRACE_LINKTYPE  147u   /**< DLT_USER0 / LINKTYPE_USER0 */
#define HIL_TRACE_MAGIC     0xFu   /**< high nibble of byte 0 */
#define HIL_TRACE_VERSION   1u     /**< low nibble of byte 0 */
#define HIL_TRACE_HDR_SIZE  6u
#define HIL_TRACE_FAULT_SIZE 13u   /**< FAULT body bytes */
#define HIL_TRACE_FLASH_SIZE 36u   /**< FLASH body bytes */
#define HIL_TRACE_POWER_SIZE 8u    /**< POWER body bytes before the detail text */
/** Most variable bytes (frame bytes, text) one record carries; more is cut. */
#define HIL_TRACE_MAX_BYTES 4096u
/** pcap snaplen: no record is longer. */
#define HIL_TRACE_SNAPLEN   65535u
#define HIL_TRACE_NO_OFFSET 0xFFFFFFFFu /**< FAULT offset: not applicable */
#define HIL_TRACE_SHA_PREFIX 8u

/* Header flags. */
#define HIL_TRACE_F_TRUNC   0x01u  /**< variable part cut at HIL_TRACE_MAX_BYTES */
#define HIL_TRACE_F_SHA     0x02u  /**< FLASH: sha256_prefix is valid */
/*
 * FRAME/FAULT: which protocol the bytes are (enum hil_trace_proto) and on
 * which physical link. Added without a version bump: these bits were 0 in
 * every record written before, which reads as "update protocol on the
 * UART", what those records were (docs/TRACE.md, Versioning).
 * NOTE: file format: bit positions and enum values never change.
 */
#define HIL_TRACE_F_PROTO_SHIFT 2u
#define HIL_TRACE_F_PROTO_MASK  0x0Cu  /**< bits 2-3: enum hil_trace_proto */
#define HIL_TRACE_F_SPI         0x10u  /**< bit 4: link is SPI (0: UART) */
/*
 * Every kind: the record's pcap timestamp is device time (bit 5), the
 * runner's device clock (run/hold.h hil_devclock_us: QEMU's CPU time,
 * wall time while no QEMU runs) since the run began; without it, host
 * CLOCK_MONOTONIC time since the run began (every trace before this bit).
 * `fota-hil replay` waits a capture's gaps in the clock its records name.
 * Added without a version bump: readers that do not know it see the same
 * records. NOTE: file format: the bit position never changes.
 */
#define HIL_TRACE_F_DEVTIME     0x20u

/** The link protocol of a FRAME/FAULT record (flags bits 2-3). */
enum hil_trace_proto {
    HIL_TRACE_PROTO_FOTA = 0,   /**< fota-hil update protocol (proto.h frames) */
    HIL_TRACE_PROTO_AN3155 = 1, /**< ST ROM bootloader, USART (AN3155) */
    HIL_TRACE_PROTO_AN4286 = 2, /**< ST ROM bootloader, SPI (AN4286) */
    HIL_TRACE_PROTO_AN4221 = 3, /**< ST ROM bootloader, I2C (AN4221); a unit is a protocol frame, not a transaction */
};

/** The FRAME/FAULT flag bits for protocol @p proto on link @p spi. */
#define HIL_TRACE_LINK_FLAGS(proto, spi) \
    ((uint8_t)((((unsigned)(proto) << HIL_TRACE_F_PROTO_SHIFT) & HIL_TRACE_F_PROTO_MASK) | \
               ((spi) ? HIL_TRACE_F_SPI : 0u)))

enum hil_trace_kind {
    HIL_TRACE_FRAME = 1,
    HIL_TRACE_FAULT = 2,
    HIL_TRACE_FLASH = 3,
    HIL_TRACE_POWER = 4,
    HIL_TRACE_CONSOLE = 5,
};

/** Direction on the update link. (enum hil_dir + 1 for link records.) */
enum hil_trace_dir {
    HIL_TRACE_DIR_NONE = 0,
    HIL_TRACE_DIR_TO_TARGET = 1, /**< host (updater) -> target */
    HIL_TRACE_DIR_TO_HOST = 2,   /**< target -> host */
};

enum hil_trace_fault_kind {
    HIL_TRACE_FAULT_CORRUPT = 1,    /**< one byte changed (xor 0xFF) at offset */
    HIL_TRACE_FAULT_DROP = 2,       /**< frame removed from the stream */
    HIL_TRACE_FAULT_DISCONNECT = 3, /**< updater's side closed at this frame */
    HIL_TRACE_FAULT_STALL = 4,      /**< frame held back for param ms */
    /* SPI bus faults (spi_link.h); frame = the write or read transfer count. */
    HIL_TRACE_FAULT_SPI_DROP = 5,   /**< write transfer never reached the slave */
    HIL_TRACE_FAULT_SPI_CORRUPT = 6, /**< MOSI/MISO byte at offset xor 0xFF */
    HIL_TRACE_FAULT_SPI_CS_RELEASE = 7, /**< NSS released after offset bytes */
    HIL_TRACE_FAULT_SPI_BIT_SHIFT = 8, /**< write transfer shifted by one bit */
    HIL_TRACE_FAULT_SPI_MISO_STUCK = 9, /**< MISO stuck: param = value << 16 | count */
    /* ROM command faults (rom_link.h); frame = the command's count per code. */
    HIL_TRACE_FAULT_ROM_NACK = 10,  /**< command NACKed; param = command code */
    HIL_TRACE_FAULT_ROM_SILENT = 11, /**< command unanswered; param = command code */
};

enum hil_trace_power {
    HIL_TRACE_PWR_ON = 1,           /**< power on (cold boot from the flash model) */
    HIL_TRACE_PWR_CUT = 2,          /**< power cut (verdict or scenario) */
    HIL_TRACE_PWR_RESET = 3,        /**< warm reset (NRST) */
    HIL_TRACE_PWR_WATCHDOG = 4,     /**< watchdog reset (IWDG model expired) */
    HIL_TRACE_PWR_BOOT = 5,         /**< bootloader reset handler ran */
    HIL_TRACE_PWR_JUMP = 6,         /**< jump to an application, value = vectors */
    HIL_TRACE_PWR_DIED = 7,         /**< the emulator exited on its own */
    HIL_TRACE_PWR_WATCHDOG_START = 8, /**< IWDG started, value = timeout ms */
};

struct hil_trace;

/**
 * Create (truncate) a trace file at @p path.
 * @param out  receives the writer; pass it to every other call
 * @return 0; FOTA_EINVAL (NULL argument); FOTA_EIO (cannot create the
 *         file; reason printed on stderr); FOTA_ENOMEM.
 */
int hil_trace_open(const char *path, struct hil_trace **out);

/**
 * Flush buffered records and close the file. @p t NULL is a no-op.
 * @return 0; FOTA_EIO (a write failed since open, or now).
 */
int hil_trace_close(struct hil_trace *t);

/** Push buffered records to the file. @return 0; FOTA_EIO. */
int hil_trace_flush(struct hil_trace *t);

/**
 * Whether the timestamps @p t is given from now on are device time
 * (HIL_TRACE_F_DEVTIME in every record written after this call) or host
 * time (the default). @p t NULL is a no-op.
 */
void hil_trace_set_device_time(struct hil_trace *t, bool on);

/*
 * Record writers. Every one takes the record time @p ts_us in microseconds
 * (guest or host time, the caller's choice; written as the pcap timestamp)
 * and accepts @p t == NULL as "tracing off" (returns 0), so a caller needs
 * no checks. Each returns 0; FOTA_EINVAL (bad argument); FOTA_EIO (write
 * failed; the error sticks until close).
 */

/**
 * One update-protocol frame as relayed on the link.
 * @param dir    HIL_TRACE_DIR_TO_TARGET or HIL_TRACE_DIR_TO_HOST
 * @param index  1-based frame count in @p dir (0: unknown)
 * @param bytes  @p len raw bytes (may be NULL when len is 0)
 */
int hil_trace_frame(struct hil_trace *t, uint64_t ts_us, enum hil_trace_dir dir,
                    uint32_t index, const uint8_t *bytes, size_t len);

/**
 * hil_trace_frame() for any link protocol and physical link.
 * @param link   HIL_TRACE_LINK_FLAGS(proto, spi); other bits are ignored
 * @param index  1-based unit count in @p dir (0: unknown). AN3155/AN4286:
 *               one record per unit: host->target a sync, a command
 *               with its complement, an address with its checksum, a
 *               length (+ data) with its checksum; target->host the ROM's
 *               whole answer to that unit (ACKs, data)
 */
int hil_trace_link_frame(struct hil_trace *t, uint64_t ts_us, enum hil_trace_dir dir, uint8_t link,
                         uint32_t index, const uint8_t *bytes, size_t len);

/**
 * A link fault the injector applied.
 * @param frame   1-based frame index in @p dir it hit
 * @param offset  byte offset in that frame (CORRUPT), else HIL_TRACE_NO_OFFSET
 * @param param   STALL: milliseconds held; else 0
 */
int hil_trace_fault(struct hil_trace *t, uint64_t ts_us, enum hil_trace_dir dir,
                    enum hil_trace_fault_kind kind, uint32_t frame, uint32_t offset,
                    uint32_t param);

/** hil_trace_fault() with the link flags (HIL_TRACE_LINK_FLAGS) of the link it hit. */
int hil_trace_link_fault(struct hil_trace *t, uint64_t ts_us, enum hil_trace_dir dir, uint8_t link,
                         enum hil_trace_fault_kind kind, uint32_t frame, uint32_t offset,
                         uint32_t param);

/**
 * A flash operation and its verdict. For programs with data the first 8
 * bytes of the SHA-256 of op->data[0 .. op->len) are stored.
 * @param v  the verdict; NULL means applied
 */
int hil_trace_flash_op(struct hil_trace *t, uint64_t ts_us, const struct hil_flash_op *op,
                       const struct hil_flash_verdict *v);

/**
 * A power / boot event.
 * @param value   JUMP: vector table address; WATCHDOG_START: timeout ms; else 0
 * @param detail  optional text (NULL or "" for none)
 */
int hil_trace_power(struct hil_trace *t, uint64_t ts_us, enum hil_trace_power ev,
                    uint32_t value, const char *detail);

/**
 * A target event as the target hooks report it (struct hil_event), mapped
 * to the POWER record: BOOT, JUMP, WATCHDOG, POWER_OFF (-> PWR_CUT), DIED,
 * WATCHDOG_START. @return as above; FOTA_EINVAL for an unknown kind.
 */
int hil_trace_event(struct hil_trace *t, uint64_t ts_us, const struct hil_event *ev);

/** One console line (without its line ending). */
int hil_trace_console(struct hil_trace *t, uint64_t ts_us, const char *line);

/* ---- Reader (tests, replay) ---- */

/** A FLASH record, decoded. */
struct hil_trace_flash {
    enum hil_op_kind op;
    enum hil_region region;
    enum hil_action verdict;
    enum hil_torn torn;
    int rc;                     /**< enum fota_err for HIL_ACT_FAIL, else 0 */
    uint32_t sector, addr, len, seq, kind_seq;
    uint8_t sha256_prefix[HIL_TRACE_SHA_PREFIX]; /**< valid with HIL_TRACE_F_SHA */
};

/** One decoded record; pointers stay valid until the next read call. */
struct hil_trace_rec {
    uint64_t ts_us;
    enum hil_trace_kind kind;
    enum hil_trace_dir dir;
    uint8_t flags;              /**< HIL_TRACE_F_* */
    enum hil_trace_proto proto; /**< FRAME/FAULT: from flags bits 2-3 (else 0) */
    bool spi;                   /**< FRAME/FAULT: HIL_TRACE_F_SPI (else false) */
    bool devtime;               /**< HIL_TRACE_F_DEVTIME: ts_us is device time, not host time */
    union {
        struct {
            uint32_t index;
            const uint8_t *bytes;
            size_t len;
        } frame;
        struct {
            enum hil_trace_fault_kind kind;
            uint32_t frame, offset, param;
        } fault;
        struct hil_trace_flash flash;
        struct {
            enum hil_trace_power event;
            uint32_t value;
            const char *detail; /**< NUL-terminated, "" when none */
        } power;
        struct {
            const char *text;   /**< NUL-terminated */
        } console;
    };
};

struct hil_trace_reader;

/**
 * Open a trace for reading. Prints nothing.
 * @param why receives the reason of a failure, naming the file:
 *            `<path>: No such file or directory`, `<path>: not a pcap file
 *            (...)`, `<path>: link type N, not DLT_USER0 ...` (may be NULL)
 * @return 0 and *out; FOTA_EINVAL (NULL argument); FOTA_EIO (cannot open
 *         or not a pcap file); FOTA_EMAGIC (another link type); FOTA_ENOMEM.
 */
int hil_trace_read_open(const char *path, struct hil_trace_reader **out, char *why, size_t whylen);

/**
 * Why the last hil_trace_read_next returned FOTA_EIO, naming the file and
 * the byte offset of the record that could not be read:
 * `<path>: truncated pcap record at byte N` (what a killed capture leaves)
 * or `<path>: read error at byte N: ...`. "" before any such failure.
 */
const char *hil_trace_read_error(const struct hil_trace_reader *r);

/**
 * Decode the next record into @p rec.
 * @return 0; FOTA_ENOENT (end of file); FOTA_EMAGIC (byte 0 is not a trace
 *         record); FOTA_EVERSION (other format version); FOTA_ESIZE (record
 *         shorter than its kind needs, or length field disagrees with the
 *         packet); FOTA_EINVAL (unknown kind or NULL); FOTA_EIO (read error
 *         or truncated record: hil_trace_read_error says which, where).
 *         After an error other than FOTA_EIO the next call goes on with the
 *         following record.
 */
int hil_trace_read_next(struct hil_trace_reader *r, struct hil_trace_rec *rec);

/** Close a reader (NULL is a no-op). */
void hil_trace_read_close(struct hil_trace_reader *r);

/** @return static names: "FRAME", "to_target", "corrupt", "power_cut"... ("?" if unknown). */
const char *hil_trace_kind_name(enum hil_trace_kind k);
const char *hil_trace_dir_name(enum hil_trace_dir d);
const char *hil_trace_fault_name(enum hil_trace_fault_kind k);
const char *hil_trace_power_name(enum hil_trace_power ev);
const char *hil_trace_proto_name(enum hil_trace_proto p);   /**< "fota", "an3155", "an4286", "an4221" */

#endif /* HIL_TRACE_H */
