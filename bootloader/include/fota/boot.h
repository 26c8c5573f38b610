/**
 * @file boot.h
 * @brief The bootloader's entry point and boot decision (bootloader/core/boot.c),
 * plus the two hooks that connect the core to its port beyond port.h.
 *
 * The decision is a const table of rows (boot_rules[]) scanned in order:
 * the first row whose required facts are all present and whose excluded
 * facts are all absent gives the action. Facts are gathered from the
 * metadata, image verification and the mailbox (docs/ARCHITECTURE.md
 * "Boot and update semantics").
 */
#ifndef FOTA_BOOT_H
#define FOTA_BOOT_H

#include <stdint.h>
#include "fota/bl_api.h"
#include "fota/port.h"

/** Bootloader version printed in the banner "BL: fota-hil bootloader 1.0.0". */
#define BL_VERSION_STRING  "1.0.0"
/** IWDG timeout started before every jump to an application, in ms. */
#define BL_WATCHDOG_MS     3000u
/** Most decision passes per boot (each commit re-evaluates); then recovery. */
#define BOOT_MAX_PASSES    8u

/* ---- Facts (bits) the decision table looks at ---- */
#define BOOT_F_META          (1u << 0) /**< a valid metadata record exists */
#define BOOT_F_META_RO       (1u << 1) /**< a metadata commit failed during this boot: no more writes */
#define BOOT_F_REQ_UPDATE    (1u << 2) /**< the mailbox held BL_REQ_UPDATE */
#define BOOT_F_TRIAL         (1u << 3) /**< mr_trial_slot is in META_SLOT_TRIAL (a trial never confirmed) */
#define BOOT_F_PENDING       (1u << 4) /**< mr_trial_slot is in META_SLOT_PENDING */
#define BOOT_F_PENDING_OK    (1u << 5) /**< ... and its image verifies and matches the record */
#define BOOT_F_ACTIVE_OK     (1u << 6) /**< mr_active is CONFIRMED and its image verifies */
#define BOOT_F_OTHER_OK      (1u << 7) /**< active not OK; the other slot is CONFIRMED and verifies */
#define BOOT_F_FACTORY_VALID (1u << 8) /**< no metadata, and at least one slot verifies */

/** What a row of the decision table tells boot_main() to do. */
enum boot_action {
    BOOT_ACT_FACTORY_ADOPT = 1, /**< commit the highest valid slot as active (others valid: confirmed), re-decide */
    BOOT_ACT_RECOVERY = 2,      /**< update mode forever, nothing bootable */
    BOOT_ACT_REJECT_TRIAL = 3,  /**< rollback: commit the trial slot REJECTED, re-decide */
    BOOT_ACT_UPDATE = 4,        /**< update mode (requested), 10 s inactivity timeout if the active image is valid */
    BOOT_ACT_TRY_PENDING = 5,   /**< commit PENDING -> TRIAL, start the watchdog, jump */
    BOOT_ACT_REJECT_PENDING = 6,/**< pending image fails verification: commit REJECTED, re-decide */
    BOOT_ACT_BOOT_ACTIVE = 7,   /**< start the watchdog, jump to the active slot */
    BOOT_ACT_FALLBACK = 8,      /**< active fails verification: commit the other (confirmed) slot active, re-decide */
    BOOT_ACT_BOOT_OTHER = 9,    /**< like FALLBACK but metadata is unwritable: jump without committing */
    BOOT_ACT_FACTORY_BOOT = 10, /**< like FACTORY_ADOPT but metadata is unwritable: jump to the highest valid slot without committing (the next boot adopts again) */
};

/** One row of the decision table. */
struct boot_rule {
    uint16_t br_must;      /**< BOOT_F_* that must all be set */
    uint16_t br_must_not;  /**< BOOT_F_* that must all be clear */
    uint8_t  br_action;    /**< enum boot_action */
};

/** The decision table, in scan order (see the comment in boot.c). */
extern const struct boot_rule boot_rules[];
/** Number of rows in boot_rules[]. */
extern const uint32_t boot_rule_count;

/**
 * Scan boot_rules[] in order for the first row matching @p facts.
 * @param facts  BOOT_F_* bits
 * @return the row's enum boot_action; BOOT_ACT_RECOVERY if no row matches
 *         (the table ends with a catch-all, so only on a broken table).
 */
int boot_decide(uint32_t facts);

/**
 * The bootloader after the port's reset handler set up clocks, RAM and the
 * two USARTs: print the banner, take the mailbox request, decide, and jump
 * to an application or serve update mode. Never returns (it ends in
 * port_jump() or port_reset()).
 */
PORT_NORETURN void boot_main(void);

/**
 * PORT HOOK. The boot mailbox (struct bl_mailbox). The core reaches it only
 * through this function, so the sim port can redirect it to host memory.
 * The core provides a weak default returning BL_MAILBOX
 * (LAYOUT_MAILBOX_ADDR), which is right on STM32; a port may override it.
 * Must not use static RAM (called from application context by bl_api).
 */
volatile struct bl_mailbox *bl_mailbox(void);

/**
 * The services table an application reaches at LAYOUT_BL_API_ADDR. Defined
 * in bootloader/core/bl_api.c in section ".bl_api" on target (the linker
 * script must place and KEEP that section at LAYOUT_BL_API_ADDR).
 */
extern const struct bl_api bl_api_table;

#endif /* FOTA_BOOT_H */
