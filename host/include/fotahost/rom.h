/**
 * @file rom.h
 * @brief Masters for ST's built-in ROM (system memory) bootloader, as a
 * product's ESP32 drives it: AN3155 over USART (host/lib/an3155.c), and
 * the ROM-path install of a fota-hil image (host/lib/rom_update.c):
 * assert BOOT0, pulse NRST, program the inactive slot, append the metadata
 * record that marks it pending, release BOOT0, reset; the fota-hil
 * bootloader then trials the image like one received over its own protocol.
 *
 * A protocol is a struct of operations (struct fh_rom_ops) so the install
 * procedure runs over any of the ROM's transports (AN3155 USART, AN4286
 * SPI). Every function returns 0 or an enum fota_err and says what went
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

/** Default timeouts (ms). AN3155 gives none; these cover a sector erase
 *  (DS8626: 128 KB sector erase up to 4 s at x8, 2 s at x32) with margin. */
#define FH_ROM_DEFAULT_TIMEOUT_MS 1000u
#define FH_ROM_DEFAULT_ERASE_TIMEOUT_MS 10000u
#define FH_ROM_DEFAULT_RETRIES 3u

struct fh_rom;

/** One ROM bootloader protocol. */
struct fh_rom_ops {
    const char *name;  /**< "an3155" */
    /** Synchronise (AN3155: 0x7F -> ACK; a NACK means already synchronised). */
    int (*sync)(struct fh_rom *r, struct fh_msg *m);
    /** GET ID: the product ID (0x0413 for the F40x). */
    int (*get_id)(struct fh_rom *r, uint16_t *pid, struct fh_msg *m);
    /** READ MEMORY of 1..256 bytes. */
    int (*read)(struct fh_rom *r, uint32_t addr, void *buf, uint32_t len, struct fh_msg *m);
    /** WRITE MEMORY of 4..256 bytes, a multiple of 4. */
    int (*write)(struct fh_rom *r, uint32_t addr, const void *buf, uint32_t len, struct fh_msg *m);
    /** EXTENDED ERASE of @p n sectors (numbers 0..11). */
    int (*erase)(struct fh_rom *r, const uint16_t *sectors, uint32_t n, struct fh_msg *m);
    /** GO to @p addr. */
    int (*go)(struct fh_rom *r, uint32_t addr, struct fh_msg *m);
    /** Drop a late answer before a retry (NULL: read the link for 20 ms). */
    void (*flush)(struct fh_rom *r);
};

/** A ROM session over a link. */
struct fh_rom {
    const struct fh_rom_ops *ops;
    struct fh_link *link;
    uint32_t timeout_ms;        /**< per answer byte group */
    uint32_t erase_timeout_ms;  /**< for the ACK of an erase */
    uint32_t retries;           /**< repeats of a command answered NACK or nothing */
    bool verbose;               /**< trace commands on stderr */
    /* Counters (benchmark). */
    uint64_t bytes_out;
    uint64_t bytes_in;
    uint32_t commands;
    uint32_t nacks;
};

/** The AN3155 (USART) protocol. */
extern const struct fh_rom_ops fh_an3155_ops;
/** The AN4286 (SPI) protocol; its link must come from fh_link_open_spi()
 *  (every operation fails FOTA_EINVAL otherwise). */
extern const struct fh_rom_ops fh_an4286_ops;

/**
 * Start a session: @p r filled with @p ops, @p link and the defaults.
 * The link stays the caller's.
 */
void fh_rom_init(struct fh_rom *r, const struct fh_rom_ops *ops, struct fh_link *link);

/** Discard bytes that arrive within 20 ms (a late answer to a timed-out
 *  command) so a retried command starts clean. */
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
