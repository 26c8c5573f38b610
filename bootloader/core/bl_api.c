/**
 * @file bl_api.c
 * @brief The services table applications call (fota/bl_api.h).
 *
 * These functions run from application context, on the application's
 * stack: no static RAM state (the application may have clobbered anything
 * the bootloader left in RAM except the mailbox). The running slot comes
 * from the mailbox (mb_booted_slot, written by boot_jump()), everything
 * else from the metadata log on flash.
 */
#include <stddef.h>
#include "bl_private.h"
#include "fota/boot.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/port.h"
#include "fota/proto.h"
#include "fota/update.h"

/* On target the table goes to its own section, which the linker script
 * places (and KEEPs) at LAYOUT_BL_API_ADDR; on the host it is an ordinary
 * const object. */
#if defined(__arm__)
#define BL_API_SECTION __attribute__((section(".bl_api"), used))
#else
#define BL_API_SECTION __attribute__((used))
#endif

/** ba_confirm: see fota/bl_api.h. @return 0; FOTA_EBUSY; FOTA_ENOENT (no
 * metadata); FOTA_EIO (header read); errors of meta_commit(). */
static int bl_api_confirm(void)
{
    uint32_t slot = bl_mailbox()->mb_booted_slot;
    struct meta_record r;
    uint32_t cnt;
    int rc;

    rc = meta_load(&r);
    if (rc != 0) {
        return rc;
    }
    if (!bl_slot_valid(slot)) {
        return FOTA_EBUSY;
    }
    if (r.mr_active == slot && r.mr_slot[slot].ms_state == META_SLOT_CONFIRMED) {
        return 0; /* already confirmed: idempotent */
    }
    if (r.mr_trial_slot != slot || r.mr_slot[slot].ms_state != META_SLOT_TRIAL) {
        return FOTA_EBUSY;
    }
    /* The previous active slot keeps its CONFIRMED state: it is the
     * fallback if this one ever fails verification. */
    r.mr_slot[slot].ms_state = META_SLOT_CONFIRMED;
    r.mr_active = (uint8_t)slot;
    r.mr_trial_slot = META_NO_SLOT;
    /* Anti-rollback: the confirmed image's counter becomes the floor
     * (never lowered); the boot that trialled it verified the header. */
    if (port_flash_read(LAYOUT_SLOT_ADDR(slot) + offsetof(struct image_header, ih_security_counter), &cnt,
                        sizeof(cnt)) != 0) {
        return FOTA_EIO;
    }
    if (cnt > r.mr_security_counter) {
        r.mr_security_counter = cnt;
    }
    return meta_commit(&r);
}

/** ba_enter_update: leave BL_REQ_UPDATE in the mailbox and reset. */
static void bl_api_enter_update(void)
{
    volatile struct bl_mailbox *mb = bl_mailbox();

    mb->mb_request = BL_REQ_UPDATE;
    mb->mb_check = ~(BL_MAILBOX_MAGIC ^ BL_REQ_UPDATE);
    mb->mb_magic = BL_MAILBOX_MAGIC;
    port_reset();
}

/** ba_get_state: @return 0; FOTA_ENOENT (no metadata); FOTA_EBUSY (no slot was booted); FOTA_EINVAL (NULL). */
static int bl_api_get_state(uint32_t *slot, uint32_t *state)
{
    uint32_t booted = bl_mailbox()->mb_booted_slot;
    struct meta_record r;
    int rc;

    if (slot == NULL || state == NULL) {
        return FOTA_EINVAL;
    }
    rc = meta_load(&r);
    if (rc != 0) {
        return rc;
    }
    if (!bl_slot_valid(booted)) {
        return FOTA_EBUSY;
    }
    *slot = booted;
    *state = r.mr_slot[booted].ms_state;
    return 0;
}

/** ba_link_read: port_link_read without waiting. */
static int bl_api_link_read(void *buf, uint32_t cap, uint32_t *got)
{
    return port_link_read(buf, cap, 0u, got);
}

/*
 * Background update (ba_version >= 3). Where the application may write:
 * the metadata must exist and name the running slot (mailbox) as the
 * active, CONFIRMED one, so the other slot is never the fallback of a
 * trial. @p r receives the record, @p slot the inactive slot.
 * @return 0; FOTA_ENOENT (no metadata); FOTA_EBUSY.
 */
static int bl_api_inactive(struct meta_record *r, uint8_t *slot)
{
    uint32_t running = bl_mailbox()->mb_booted_slot;
    int rc = meta_load(r);

    if (rc != 0) {
        return rc;
    }
    if (!bl_slot_valid(running) || r->mr_active != running ||
        r->mr_slot[running].ms_state != META_SLOT_CONFIRMED) {
        return FOTA_EBUSY;
    }
    *slot = bl_other_slot((uint8_t)running);
    return 0;
}

/* As bl_api_inactive(), and the inactive slot was committed EMPTY (by
 * ba_slot_begin()) and is not the trial slot: its bytes may change.
 * @return 0; FOTA_ENOENT; FOTA_EBUSY. */
static int bl_api_writable(struct meta_record *r, uint8_t *slot)
{
    int rc = bl_api_inactive(r, slot);

    if (rc == 0 && (r->mr_slot[*slot].ms_state != META_SLOT_EMPTY || r->mr_trial_slot == *slot)) {
        rc = FOTA_EBUSY;
    }
#ifdef FOTA_TEST_BROKEN_COMMIT_BEFORE_VERIFY
    /* TEST-ONLY BREAKAGE (build/fw-broken, as in update.c): writes go on
     * into the slot bl_api_slot_begin() already committed PENDING. */
    if (rc == FOTA_EBUSY && r->mr_slot[*slot].ms_state == META_SLOT_PENDING) {
        rc = 0;
    }
#endif
    return rc;
}

/** ba_slot_begin: see fota/bl_api.h. */
static int bl_api_slot_begin(const struct image_header *hdr, uint32_t flags, uint32_t *resume, uint32_t *crc)
{
    struct meta_record r;
    uint8_t slot;
    int rc;

    if (hdr == NULL || resume == NULL || crc == NULL) {
        return FOTA_EINVAL;
    }
    rc = bl_api_inactive(&r, &slot);
    if (rc == 0) {
        rc = install_check(&r, hdr, slot);
    }
    if (rc == 0) {
        rc = install_mark_empty(&r, 1, slot);
    }
#ifdef FOTA_TEST_BROKEN_COMMIT_BEFORE_VERIFY
    /* TEST-ONLY BREAKAGE (build/fw-broken, as in update.c): the image is
     * committed PENDING before a byte of it is written; the background
     * sweep must catch it (a cut leaves a record naming missing bytes). */
    if (rc == 0) {
        r.mr_slot[slot].ms_version = hdr->ih_version;
        r.mr_slot[slot].ms_size = hdr->ih_size;
        r.mr_slot[slot].ms_crc32 = hdr->ih_crc32;
        r.mr_slot[slot].ms_state = META_SLOT_PENDING;
        r.mr_trial_slot = slot;
        rc = meta_commit(&r);
    }
#endif
    if (rc != 0) {
        return rc;
    }
    *resume = 0;
    *crc = 0;
    if ((flags & PROTO_BEGIN_F_FRESH) == 0u &&
        !install_find_resume(slot, image_total_size(hdr), hdr, resume, crc, &rc)) {
        *resume = 0;
        *crc = 0;
    }
    return rc;
}

/** ba_slot_erase: see fota/bl_api.h. */
static int bl_api_slot_erase(uint32_t offset, uint32_t *next)
{
    struct meta_record r;
    uint8_t slot;
    int rc;

    if (next == NULL || offset >= LAYOUT_SLOT_SIZE) {
        return FOTA_EINVAL;
    }
    rc = bl_api_writable(&r, &slot);
    return rc != 0 ? rc : install_erase_sector(slot, offset, next);
}

/** ba_slot_program: see fota/bl_api.h. */
static int bl_api_slot_program(uint32_t offset, const void *buf, uint32_t len)
{
    struct meta_record r;
    uint8_t slot;
    int rc;

    if (buf == NULL || len == 0u || len > PORT_FLASH_PROGRAM_MAX || offset >= LAYOUT_SLOT_SIZE ||
        len > LAYOUT_SLOT_SIZE - offset) {
        return FOTA_EINVAL;
    }
    rc = bl_api_writable(&r, &slot);
    return rc != 0 ? rc : port_flash_program(LAYOUT_SLOT_ADDR(slot) + offset, buf, len);
}

/** ba_slot_commit: see fota/bl_api.h. */
static int bl_api_slot_commit(const struct image_header *hdr)
{
    struct meta_record r;
    uint8_t slot;
    int rc;

    if (hdr == NULL) {
        return FOTA_EINVAL;
    }
    rc = bl_api_writable(&r, &slot);
    if (rc != 0) {
        return rc;
    }
    /* END's verification (SHA-256 of up to 384 KB, an ECDSA-P256 verify)
     * runs under update mode's watchdog period, as it does in update mode
     * (UPDATE_WATCHDOG_MS), then the application's again. NOTE: found by
     * the background sweep over SPI on a loaded host: the stock QEMU IWDG
     * model counts wall time, and the verify from application context
     * took more than the application's 3 s there. */
    port_watchdog_start(UPDATE_WATCHDOG_MS);
    rc = install_commit_pending(&r, slot, hdr);
    port_watchdog_start(BL_WATCHDOG_MS);
    return rc;
}

/* NOTE: ABI (bl_api.h): member order never changes. */
const struct bl_api bl_api_table BL_API_SECTION = {
    .ba_magic = BL_API_MAGIC,
    .ba_version = BL_API_VERSION,
    .ba_confirm = bl_api_confirm,
    .ba_watchdog_refresh = port_watchdog_refresh,
    .ba_enter_update = bl_api_enter_update,
    .ba_get_state = bl_api_get_state,
    .ba_link_type = port_link_type,
    .ba_link_read = bl_api_link_read,
    .ba_link_write = port_link_write,
    .ba_slot_begin = bl_api_slot_begin,
    .ba_slot_erase = bl_api_slot_erase,
    .ba_slot_program = bl_api_slot_program,
    .ba_slot_commit = bl_api_slot_commit,
    .ba_reset = port_reset,
};
