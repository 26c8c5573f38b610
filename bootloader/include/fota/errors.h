/**
 * @file errors.h
 * @brief The project-wide return codes (one rule: 0 on success, a positive
 * enum fota_err otherwise; check with rc != 0).
 *
 * Shared by the bootloader core, the stm32f4 port, the host updater and
 * the harness. Port and OS errors are translated at the boundary.
 * NOTE: values travel on the wire (update protocol status byte); never
 * renumber, only append.
 */
#ifndef FOTA_ERRORS_H
#define FOTA_ERRORS_H

enum fota_err {
    FOTA_OK = 0,
    FOTA_EINVAL = 1,    /**< bad argument or malformed input */
    FOTA_EIO = 2,       /**< device or OS I/O failed */
    FOTA_ETIMEOUT = 3,  /**< nothing arrived in time */
    FOTA_ECRC = 4,      /**< CRC-32 mismatch (frame, header, image or record) */
    FOTA_ESHA = 5,      /**< SHA-256 mismatch */
    FOTA_EMAGIC = 6,    /**< bad magic number */
    FOTA_ESLOT = 7,     /**< image linked for another slot */
    FOTA_ESIZE = 8,     /**< too large for the slot, truncated, or bad length */
    FOTA_EVERSION = 9,  /**< downgrade refused, or unsupported format version */
    FOTA_ENOENT = 10,   /**< nothing valid found (no record, no image) */
    FOTA_EFLASH = 11,   /**< flash program/erase failed (FLASH_SR error flag) */
    FOTA_ELOCKED = 12,  /**< flash control register still locked (FLASH_CR.LOCK) */
    FOTA_EPROTO = 13,   /**< protocol violation: unexpected frame or offset */
    FOTA_ENOMEM = 14,   /**< out of memory */
    FOTA_ERANGE = 15,   /**< address or offset out of range */
    FOTA_EBUSY = 16,    /**< operation not allowed in this state */
    FOTA_ECONN = 17,    /**< link closed by the peer */
    FOTA_ENOTSUP = 18,  /**< not supported */
    FOTA_ESIG = 19,     /**< image unsigned, signature TLVs malformed, or signature invalid */
    FOTA_EROLLBACK = 20,/**< security counter below the device's (anti-rollback) */
    FOTA_ERR_COUNT
};

/** @return a short, static, human-readable name for @p rc ("ECRC"). */
const char *fota_strerror(int rc);

#endif /* FOTA_ERRORS_H */
