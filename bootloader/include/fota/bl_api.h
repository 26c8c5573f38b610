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
#include "fota/layout.h"

#define BL_API_MAGIC    0x49504142u /* "BAPI" */
#define BL_API_VERSION  2u

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
