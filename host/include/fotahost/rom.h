/**
 * @file rom.h
 * @brief Masters for ST's built-in ROM (system memory) bootloader, as a
 * product's ESP32 drives it: one command layer (host/lib/stm32rom.c) over
 * AN3155 USART framing (host/lib/an3155.c), AN4286 SPI framing
 * (host/lib/an4286.c) and AN4221 I2C framing (host/lib/an4221.c), and
 * the ROM-path install of a fota-hil image (host/lib/rom_update.c):
 * assert BOOT0, pulse NRST, program the inactive slot, append the metadata
 * record that marks it pending, release BOOT0, reset; the fota-hil
 * bootloader then trials the image like one received over its own protocol.
 *
 * A protocol is a struct of operations (struct fh_rom_ops) so the install
 * procedure runs over any of the ROM's transports (AN3155 USART, AN4286
 * SPI, AN4221 I2C). Every function returns 0 or an enum fota_err and says what went
 * wrong in the optional struct fh_msg.
 */
#ifndef FOTAHOST_ROM_H
#define FOTAHOST_ROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fotahost/common.h"
#include "fotahost/link.h"
#include "fota/meta.h"

#define FH_ROM_ACK  0x79u  /**< AN3155 section 2 / AN4286 section 2 */
#define FH_ROM_NACK 0x1Fu
#define FH_ROM_PID_F40X 0x0413u /**< STM32F405/407/415/417 product ID (AN2606) */
#define FH_ROM_MAX_BLOCK 256u  /**< READ/WRITE MEMORY carry at most 256 bytes (AN3155 3.4, 3.6) */
#define FH_ROM_BUSY 0x76u      /**< AN4221: busy, poll again (no-stretch commands) */
#define FH_ROM_I2C_ADDR 0x39u  /**< AN4221: the ROM's 7-bit I2C1 address on F4 parts (AN2606) */
#define FH_ROM_I2C_BLOCK 64u   /**< AN4221: WRITE MEMORY size; writes of 128 bytes or more fail on some parts */

/** Default timeouts (ms). AN3155 gives none; these cover a sector erase
 *  (DS8626: 128 KB sector erase up to 4 s at x8, 2 s at x32) with margin. */
#define FH_ROM_DEFAULT_TIMEOUT_MS 1000u
#define FH_ROM_DEFAULT_ERASE_TIMEOUT_MS 10000u
#define FH_ROM_DEFAULT_RETRIES 3u

struct fh_rom;
struct fh_rom_framing;

/**
 * One ROM bootloader protocol. fh_an3155_ops, fh_an4286_ops and
 * fh_an4221_ops are the one command layer (host/lib/stm32rom.c: AN3155
 * section 3 = AN4286 section 3 = AN4221 section 3) over three framings
 * (host/lib/an3155.c, host/lib/an4286.c, host/lib/an4221.c).
 *
 * Every operation waits at most r->timeout_ms for each answer of the ROM
 * (an erase's final ACK: r->erase_timeout_ms), tries once (the retries are the
 * caller's: fh_rom_install(), with fh_rom_flush() in between) and returns
 * 0 or an enum fota_err, saying what went wrong in the optional @p m:
  *   - FOTA_EINVAL: arguments out of range (nothing sent), or for AN4286 a
 *     link that is not SPI (fh_link_open_spi()), for AN4221 one that is
 *     not I2C (fh_link_open_i2c());
 *   - FOTA_EPROTO: a NACK (counted in r->nacks), an answer that is neither
 *     ACK nor NACK, a malformed answer (AN4286 over spi-emu: a bad
 *     transfer answer);
 *   - FOTA_ETIMEOUT: no answer in time;
 *   - FOTA_ECONN, FOTA_EIO: the link (closed, OS error).
 * Addresses are absolute (0x0800_0000 = flash sector 0), lengths bytes.
 */
struct fh_rom_ops {
    const char *name;  /**< "an3155" */
    /**
     * Synchronise: AN3155 2 (0x7F, autobaud), AN4286 2.1 (0x5A, then the
     * get-ACK procedure), AN4221 2 (no sync byte: a GET VERSION, 3.2, must
     * be answered ACK). ACK, or NACK (already synchronised: not counted
     * in r->nacks), is success (AN4221: ACK only).
     * @return 0; FOTA_EPROTO (another answer); FOTA_ETIMEOUT; link errors.
     */
    int (*sync)(struct fh_rom *r, struct fh_msg *m);
    /**
     * GET ID (AN3155 3.3, AN4286 3.3): the product ID.
     * @param pid  receives it (0x0413 for the F40x), only on success
     * @return 0; FOTA_EPROTO (NACK, or N != 1: not a 2-byte ID);
     *         FOTA_ETIMEOUT; link errors.
     */
    int (*get_id)(struct fh_rom *r, uint16_t *pid, struct fh_msg *m);
    /**
     * READ MEMORY (AN3155 3.4, AN4286 3.4) of @p len bytes at @p addr.
     * @param buf  receives @p len bytes
     * @param len  1..FH_ROM_MAX_BLOCK (256)
     * @return 0; FOTA_EINVAL (@p len out of range); FOTA_EPROTO (command,
     *         address or length NACKed: e.g. an address outside memory);
     *         FOTA_ETIMEOUT; link errors.
     */
    int (*read)(struct fh_rom *r, uint32_t addr, void *buf, uint32_t len, struct fh_msg *m);
    /**
     * WRITE MEMORY (AN3155 3.6, AN4286 3.6) of @p len bytes at @p addr;
     * the last ACK comes once the flash is programmed.
     * @param len  4..FH_ROM_MAX_BLOCK (256), a multiple of 4
     * @return 0; FOTA_EINVAL (@p len); FOTA_EPROTO (a NACK: bad address,
     *         program failure); FOTA_ETIMEOUT; link errors.
     */
    int (*write)(struct fh_rom *r, uint32_t addr, const void *buf, uint32_t len, struct fh_msg *m);
    /**
     * EXTENDED ERASE (AN3155 3.8, AN4286 3.7, AN4221 3.8: N + XOR as a
     * frame of its own, then the list + XOR) of a list of sectors; the
     * last ACK comes once erased, within r->erase_timeout_ms.
     * @param sectors  @p n sector numbers (0..11 on the F40x, RM0090 Table 5)
     * @param n        1..12
     * @return 0; FOTA_EINVAL (@p n); FOTA_EPROTO (NACK: a bad sector);
     *         FOTA_ETIMEOUT; link errors.
     */
    int (*erase)(struct fh_rom *r, const uint16_t *sectors, uint32_t n, struct fh_msg *m);
    /**
     * GO (AN3155 3.5, AN4286 3.5) to @p addr (flash or SRAM); the ROM
     * jumps after acknowledging the address.
     * @return 0; FOTA_EPROTO (NACK: an address it cannot run);
     *         FOTA_ETIMEOUT; link errors.
     */
    int (*go)(struct fh_rom *r, uint32_t addr, struct fh_msg *m);
    /** Drop a late answer before a retry (NULL: read the link for 20 ms). */
    void (*flush)(struct fh_rom *r);
    /** The framing under the shared command layer (host/lib/stm32rom.h);
     *  NULL for a protocol that implements the operations itself. */
    const struct fh_rom_framing *framing;
};

/** A ROM session over a link. */
struct fh_rom {
    const struct fh_rom_ops *ops;
    struct fh_link *link;
    uint32_t timeout_ms;        /**< per answer byte group */
    uint32_t erase_timeout_ms;  /**< for the ACK of an erase */
    uint32_t retries;           /**< repeats of a command answered NACK or nothing */
    bool verbose;               /**< trace commands on stderr */
    uint8_t i2c_addr;           /**< AN4221: the ROM's 7-bit address (default FH_ROM_I2C_ADDR) */
    uint32_t write_block;       /**< bytes per WRITE MEMORY of fh_rom_install(): 4..256, a multiple
                                     of 4 (default: the protocol's, 256; AN4221 FH_ROM_I2C_BLOCK) */
    uint32_t byte_gap_us;       /**< AN3155: send byte by byte, each drained from the OS and followed
                                     by this gap in microseconds (0: a frame in one write) */
    /* Counters (benchmark). */
    uint64_t bytes_out;
    uint64_t bytes_in;
    uint32_t commands;
    uint32_t nacks;
    uint32_t busy_polls;        /**< AN4221: ACK polls NACKed at the address or answered BUSY */
    uint32_t erase_unacked;     /**< erases without an ACK whose range read back erased (install) */
};

/** The AN3155 (USART) protocol: any byte link (serial port, pty, socket). */
extern const struct fh_rom_ops fh_an3155_ops;
/** The AN4286 (SPI) protocol; its link must come from fh_link_open_spi()
 *  (every operation fails FOTA_EINVAL otherwise). Transfer errors of
 *  fh_link_spi_xfer() come through as they are (FOTA_ETIMEOUT, FOTA_EPROTO,
 *  FOTA_EIO). */
extern const struct fh_rom_ops fh_an4286_ops;
/** The AN4221 (I2C) protocol; its link must come from fh_link_open_i2c()
 *  (every operation fails FOTA_EINVAL otherwise); the ROM is addressed at
 *  r->i2c_addr. sync is a GET VERSION (AN4221 has no sync byte); an ACK
 *  poll that is NACKed at the address or answered BUSY 0x76 is repeated
 *  until the timeout (FOTA_ETIMEOUT). */
extern const struct fh_rom_ops fh_an4221_ops;

/**
 * Start a session: @p r filled with @p ops, @p link and the defaults
 * (FH_ROM_DEFAULT_TIMEOUT_MS, FH_ROM_DEFAULT_ERASE_TIMEOUT_MS,
 * FH_ROM_DEFAULT_RETRIES; counters zero). The link stays the caller's.
 */
void fh_rom_init(struct fh_rom *r, const struct fh_rom_ops *ops, struct fh_link *link);

/**
 * Drop a late answer to a timed-out or NACKed command so a retried command
 * starts clean: r->ops->flush (AN4286: clock out up to 300 bytes until an
 * ACK/NACK and acknowledge it, AN4286 2.2), or without one (AN3155) read
 * and discard the link until 20 ms pass without a byte. Errors end it
 * quietly (the retried command meets them).
 */
void fh_rom_flush(struct fh_rom *r);

/**
 * BOOT0/NRST control (the ESP32's GPIOs on a product). Implementations:
 * `unix:PATH` (the harness's line protocol: "boot0 1", "boot0 0", "nrst"
 * each answered "ok"), `none` (nothing to do: a person or a script does
 * it). A real rig's libgpiod driver is a further implementation of the
 * same two operations.
 */
struct fh_bootctl;

/**
 * Open a boot control from a spec (`unix:/path` or `none`).
 * @return 0; FOTA_EINVAL (unknown spec); FOTA_EIO (connect failed); FOTA_ENOMEM.
 */
int fh_bootctl_open(const char *spec, struct fh_bootctl **out, struct fh_msg *m);
/** Drive BOOT0 high (@p high) or low. @return 0; FOTA_EIO; FOTA_ETIMEOUT; FOTA_EPROTO. */
int fh_bootctl_boot0(struct fh_bootctl *b, bool high, struct fh_msg *m);
/** Pulse NRST (the device restarts, from the ROM while BOOT0 is high). Errors as above. */
int fh_bootctl_reset(struct fh_bootctl *b, struct fh_msg *m);
void fh_bootctl_close(struct fh_bootctl *b);

/** Options of fh_rom_install(). */
struct fh_rom_install_opts {
    bool force;       /**< write even if the image is linked for the active slot */
    bool verify;      /**< read every block back and compare (default true) */
    bool go;          /**< without boot control: GO 0x0800_0000 at the end instead of a reset */
    bool quiet;       /**< no progress line */
};

/** What fh_rom_install() did. */
struct fh_rom_install_result {
    uint16_t pid;
    int target_slot;            /**< LAYOUT_SLOT_A/B */
    uint32_t meta_seq;          /**< mr_seq of the record written */
    uint32_t bytes_written;
    uint32_t ms;                /**< wall time of the whole install */
};

/**
 * Install a fota-hil image through the ROM bootloader: BOOT0 high + NRST
 * (if @p bc), sync, GET ID (must be FH_ROM_PID_F40X), read both metadata
 * sectors, pick the target slot (the one not active; with no metadata the
 * slot the image is linked for), erase the sectors the image needs, write
 * it in 256-byte blocks (verify reads back), append the metadata record
 * (target slot PENDING, mr_trial_slot = target; placement as meta_commit()
 * in bootloader/core/meta_log.c: after the newest record if that place is
 * erased, else at the start of the other sector after erasing it), then
 * BOOT0 low + NRST (or GO when @p bc is NULL and opts->go).
 *
 * @return 0; FOTA_EINVAL (bad image header, NULL arguments); FOTA_ESLOT
 *         (image for the active slot, without force); FOTA_ESIZE (image
 *         larger than a slot); FOTA_ENOTSUP (product ID not 0x0413);
 *         FOTA_ETIMEOUT / FOTA_EPROTO / FOTA_ECONN / FOTA_EIO (link);
 *         FOTA_EFLASH (write/erase NACKed after the retries, or a
 *         verify mismatch).
 */
int fh_rom_install(struct fh_rom *r, struct fh_bootctl *bc, const uint8_t *img, size_t len,
                   const struct fh_rom_install_opts *o, struct fh_rom_install_result *res,
                   struct fh_msg *m);

/**
 * Where the next metadata record goes, given the two sectors' contents
 * (meta_commit()'s rule, bootloader/core/meta_log.c).
 * @param meta     2 * LAYOUT_META_SECTOR_SIZE bytes: META0 then META1
 * @param newest   receives the newest valid record (if *found)
 * @param found    receives whether any valid record exists
 * @param addr     receives the absolute address for the new record
 * @param erase_sector  receives the sector to erase first, or -1
 */
void fh_rom_meta_place(const uint8_t *meta, struct meta_record *newest, bool *found, uint32_t *addr,
                       int *erase_sector);

#endif /* FOTAHOST_ROM_H */
