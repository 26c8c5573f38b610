/**
 * @file bl_api.h
 * @brief What an application may ask of the bootloader: the services table
 * at LAYOUT_BL_API_ADDR, and the boot mailbox at LAYOUT_MAILBOX_ADDR.
 *
 * Applications never touch flash or metadata themselves; they call through
 * this table, so all flash code (and, under QEMU, every HIL-served
 * function) lives in the bootloader binary. The functions run on the
 * caller's stack and may use the bootloader's RAM region
 * (LAYOUT_BL_RAM_ADDR), which applications never link into.
 *
 * NOTE: ABI. The table's address, BL_API_MAGIC and the order of existing
 * members never change; new members are appended and ba_version bumped.
 */
#ifndef FOTA_BL_API_H
#define FOTA_BL_API_H

#include <stdint.h>
#include "fota/image.h"
#include "fota/layout.h"

#define BL_API_MAGIC    0x49504142u /* "BAPI" */
#define BL_API_VERSION  3u

struct bl_api {
    uint32_t ba_magic;    /**< BL_API_MAGIC */
    uint32_t ba_version;  /**< BL_API_VERSION */
    /**
     * Confirm the running image: if its slot is in trial, commit it as the
     * confirmed, active slot. Idempotent (already confirmed: returns 0).
     * @return 0; FOTA_EBUSY (the running slot is not the trial or active
     *         one); errors of meta_commit().
     */
    int (*ba_confirm)(void);
    /** Reload the watchdog (port_watchdog_refresh). */
    void (*ba_watchdog_refresh)(void);
    /** Ask for update mode: set the mailbox and reset. Never returns. */
    void (*ba_enter_update)(void);
    /**
     * Report the running slot and its state.
     * @param slot   receives LAYOUT_SLOT_A/B
     * @param state  receives enum meta_slot_state of that slot
     * @return 0; FOTA_ENOENT (no metadata).
     */
    int (*ba_get_state)(uint32_t *slot, uint32_t *state);
    /* ---- ba_version >= 2 ---- */
    /** The update link the bootloader drives: PORT_LINK_UART or PORT_LINK_SPI (fota/port.h). */
    uint32_t (*ba_link_type)(void);
    /**
     * Take bytes that arrived on the update link, never waiting
     * (port_link_read with timeout 0). Applications use it when the link
     * is SPI: the slave driver (and, under QEMU, its HIL-served functions)
     * belongs to the bootloader.
     * @return 0 (*got = 0 when nothing came); FOTA_EIO; FOTA_EINVAL.
     */
    int (*ba_link_read)(void *buf, uint32_t cap, uint32_t *got);
    /** Send on the update link (port_link_write). @return 0; FOTA_EIO; FOTA_EBUSY. */
    int (*ba_link_write)(const void *buf, uint32_t len);
    /* ---- ba_version >= 3: background update (docs/ARCHITECTURE.md
     * "Background update"). The application writes the *inactive* slot
     * (the one it does not run from) while it keeps running: begin, erase
     * the sectors the image needs (unless resuming), program, commit. All
     * four refuse unless the running slot is the active, CONFIRMED one
     * (never over the fallback of a trial) and there is metadata; erase
     * and program also refuse unless ba_slot_begin() committed the
     * inactive slot EMPTY first, so no record ever names a slot being
     * rewritten. No state is kept between calls: each re-reads the
     * mailbox (running slot) and the metadata log. ---- */
    /**
     * Start writing @p hdr's image into the inactive slot: the checks of
     * update-mode BEGIN (header for that slot, downgrade floor, security
     * counter), the slot committed EMPTY, and BEGIN's resume check.
     * @param hdr     the image's 512-byte header (as BEGIN carries it)
     * @param flags   PROTO_BEGIN_F_FRESH: do not look for a resume point
     * @param resume  receives the image offset to continue at, bytes;
     *                0 when the slot must be erased first (ba_slot_erase)
     * @param crc     receives CRC-32 of image bytes [0, *resume) as stored
     * @return 0; FOTA_EINVAL (NULL argument); FOTA_ENOENT (no metadata);
     *         FOTA_EBUSY (the running slot is not the active, confirmed
     *         one); errors of image_check_header(); FOTA_EVERSION;
     *         FOTA_EROLLBACK; FOTA_EIO (flash read); errors of meta_commit().
     */
    int (*ba_slot_begin)(const struct image_header *hdr, uint32_t flags, uint32_t *resume, uint32_t *crc);
    /**
     * Erase the inactive slot's sector that holds slot offset @p offset
     * (one port_flash_erase_sector; a 128 KB sector takes 1-2 s on an F4
     * and stalls code running from flash meanwhile: refresh the watchdog
     * before each call).
     * @param offset  bytes from the slot base, < LAYOUT_SLOT_SIZE
     * @param next    receives the slot offset just past that sector
     * @return 0; FOTA_EINVAL (NULL, offset outside the slot); FOTA_ENOENT;
     *         FOTA_EBUSY (running slot not active-confirmed, or no
     *         ba_slot_begin() since the slot was last committed);
     *         FOTA_EFLASH / FOTA_ELOCKED (port).
     */
    int (*ba_slot_erase)(uint32_t offset, uint32_t *next);
    /**
     * Program @p len bytes at slot offset @p offset of the inactive slot
     * (exactly one port_flash_program, as update-mode DATA).
     * @param len  1..PORT_FLASH_PROGRAM_MAX (1024) bytes
     * @return 0; FOTA_EINVAL (NULL, len 0 or too long, a range not inside
     *         the slot); FOTA_ENOENT; FOTA_EBUSY (as ba_slot_erase);
     *         FOTA_EFLASH / FOTA_ELOCKED (port).
     */
    int (*ba_slot_program)(uint32_t offset, const void *buf, uint32_t len);
    /**
     * Verify the inactive slot's image as update-mode END does and commit
     * it PENDING: the bootloader tries it at the next reset (the caller
     * resets when it wants the switch). The metadata record is the last
     * write, so a cut before it leaves the slot EMPTY and never booted.
     * The watchdog runs with update mode's period (UPDATE_WATCHDOG_MS)
     * during the verification, and is restarted with BL_WATCHDOG_MS after.
     * @param hdr  the header ba_slot_begin() was given: the stored one must equal it
     * @return 0; FOTA_EINVAL (NULL); FOTA_ENOENT; FOTA_EBUSY (as
     *         ba_slot_erase); errors of image_verify() (e.g. FOTA_ECRC,
     *         FOTA_ESHA, FOTA_ESIG, FOTA_EMAGIC); FOTA_EPROTO (stored
     *         header is not @p hdr); FOTA_EROLLBACK; errors of meta_commit().
     */
    int (*ba_slot_commit)(const struct image_header *hdr);
    /**
     * Reset once the console and the update link have sent what they hold
     * (SPI: until the master clocked the last answer out, e.g. END_RSP),
     * port_reset(). The switch after ba_slot_commit(). Never returns.
     */
    void (*ba_reset)(void);
};

/* Mailbox: a warm reset keeps SRAM, so the application can leave a request
 * for the bootloader. Cleared by the bootloader when read. */
#define BL_MAILBOX_MAGIC        0x4D424F58u /* "MBOX" */
#define BL_REQ_NONE             0u
#define BL_REQ_UPDATE           1u /**< stay in update mode */

struct bl_mailbox {
    uint32_t mb_magic;    /**< BL_MAILBOX_MAGIC when a request is present */
    uint32_t mb_request;  /**< BL_REQ_* */
    uint32_t mb_booted_slot; /**< written by the bootloader before the jump */
    uint32_t mb_check;    /**< ~(mb_magic ^ mb_request) */
};

#define BL_API      ((const struct bl_api *)LAYOUT_BL_API_ADDR)
#define BL_MAILBOX  ((volatile struct bl_mailbox *)LAYOUT_MAILBOX_ADDR)

#endif /* FOTA_BL_API_H */
