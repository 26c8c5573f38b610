/**
 * @file journal.h
 * @brief The flash-operation journal of one clean update, and the crash
 * states built from it (the method of ALICE, OSDI 2014, and CrashMonkey,
 * OSDI 2018): instead of re-running an update in QEMU for every power-cut
 * point, record the update's flash operations once, then build the flash
 * image a cut at operation i would leave (base + ops[0..i-1] + a torn
 * ops[i]) and run only the recovery.
 *
 * Window: the journal covers the operations of one scenario step (the
 * swept update), from its start until the first boot that follows an
 * operation (the reset after END). Operations after that boot (the trial
 * commit, the application's confirm) belong to the next boot, not to the
 * update session, and whether the step is still running when they happen
 * is a race with the updater's exit: cutting the window at that boot keeps
 * the journal the same from run to run. A sweep with `through` (sweep.h)
 * records a window of several steps instead (the update, the trial boot,
 * the confirm): boots inside it do not close it, the end of its last step
 * does, and which step an operation happened in does not matter.
 *
 * Guards: hil_journal_close() checks that base + every operation equals
 * the model at the close (nothing escaped the journal); a slow run of a
 * case compares each of its operations with the journal
 * (hil_journal_check_op) and any difference means the journal must not be
 * trusted for that sweep.
 */
#ifndef HIL_JOURNAL_H
#define HIL_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include "target/flashmodel.h"
#include "fota/meta.h"
#include "scenario/oracle.h"
#include "scenario/scenario.h"
#include "target/target.h"

/** One recorded flash operation. */
struct hil_jop {
    enum hil_op_kind kind;
    enum hil_region region;
    uint32_t sector;      /**< erase: sector; program: sector of addr */
    uint32_t addr;        /**< absolute address */
    uint32_t len;         /**< program: bytes; erase: sector size */
    uint32_t data_crc;    /**< program: CRC-32 of the bytes (compared by the guard) */
    uint8_t *data;        /**< program: copy of the bytes; erase: NULL */
};

struct hil_journal {
    struct hil_flash *base;   /**< the model when the step started (malloc'ed) */
    struct hil_jop *ops;
    uint32_t count;
    uint32_t cap;
    bool open;                /**< between begin and close */
    bool closed;              /**< the window ended (a boot after an operation, or the step's end) */
    bool consistent;          /**< base + ops == model at the close */
    char final_sha256[65];    /**< hex SHA-256 of base + all ops */
    uint32_t frames[256];     /**< to_target frames per type byte (enum proto_type) the link
                                   proxy saw during the whole step, set by the runner when
                                   the step ends (a link sweep's `cut` cases, sweep.h) */
};

/** Start recording: copy @p flash as the base. @return 0; FOTA_ENOMEM. */
int hil_journal_begin(struct hil_journal *j, const struct hil_flash *flash);

/** Record @p op if the window is open. @return 0; FOTA_ENOMEM. */
int hil_journal_add(struct hil_journal *j, const struct hil_flash_op *op);

/** A boot happened: closes the window if an operation was recorded. */
void hil_journal_on_boot(struct hil_journal *j, const struct hil_flash *flash);

/** Close the window (if still open) and run the consistency check against @p flash. */
void hil_journal_close(struct hil_journal *j, const struct hil_flash *flash);

void hil_journal_free(struct hil_journal *j);

/**
 * Write @p j (base, operations with their data, flags, frame counts) to
 * @p f, for hil_journal_read in another process of the same binary (a
 * sweep's recording worker hands its journal to the planner,
 * run/sweep_record.h). Not a file format. @return 0; FOTA_EIO.
 */
int hil_journal_write(FILE *f, const struct hil_journal *j);

/**
 * Read what hil_journal_write wrote into @p j (freed first).
 * @return 0; FOTA_EIO (short or failed read: @p j left empty); FOTA_ENOMEM.
 */
int hil_journal_read(FILE *f, struct hil_journal *j);

/**
 * Index of the @p n th (1-based) operation of @p kind in region filter
 * @p fr (counted as power_cut faults count, inject.h).
 * @return the index; -1 if there are fewer.
 */
int hil_journal_find(const struct hil_journal *j, enum hil_op_kind kind, enum hil_fault_region fr,
                     uint32_t n);

/** @return the number of operations of @p kind in region filter @p fr. */
uint32_t hil_journal_count(const struct hil_journal *j, enum hil_op_kind kind, enum hil_fault_region fr);

/**
 * The crash state of a cut at operation @p index with @p torn:
 * base, ops[0..index-1] applied, ops[index] applied as @p torn says.
 * index == count with HIL_TORN_NONE is the state after the last operation.
 * @return 0; FOTA_ERANGE (index > count).
 */
int hil_journal_build(const struct hil_journal *j, uint32_t index, enum hil_torn torn,
                      struct hil_flash *out);

/**
 * The divergence guard: is @p op the operation the journal has at
 * @p index (same kind, address, length and data)?
 * @return 0; FOTA_EPROTO (different, or past the journal's end).
 */
int hil_journal_check_op(const struct hil_journal *j, uint32_t index, const struct hil_flash_op *op);

/** Hex SHA-256 of the whole 1 MB model into @p hex (65 bytes). */
void hil_flash_sha256_hex(const struct hil_flash *f, char hex[65]);

/**
 * Is the device bootable to a known-good image: the newest valid metadata
 * record names an active slot that is CONFIRMED, and the image in that
 * slot passes header, CRC-32 and SHA-256 checks? (The brick criterion of
 * the sweep summary.)
 * @param why receives the reason when not (may be NULL)
 * @return true if bootable.
 */
bool hil_flash_bootable(const struct hil_flash *f, char *why, size_t whylen);

/**
 * The A/B state (oracle.h) of the newest valid metadata record of @p f.
 * @return false (and active -1, all EMPTY) in the factory state.
 */
bool hil_flash_ab_view(const struct hil_flash *f, struct hil_ab_view *v);

/** The A/B state (oracle.h) of one metadata record. */
void hil_meta_ab_view(const struct meta_record *m, struct hil_ab_view *v);

/**
 * The slot the bootloader would update now: the one that is not active in
 * the newest valid metadata record; A without one (the factory state).
 * @return LAYOUT_SLOT_A or LAYOUT_SLOT_B.
 */
int hil_flash_target_slot(const struct hil_flash *f);

/**
 * An update step's image path with `{target}` replaced by the target slot
 * letter (A|B) of @p f, so one step fits whichever slot a sweep case left
 * active (e.g. build/images/demo-3.0.0-{target}.img).
 */
void hil_image_path_for(const char *pattern, const struct hil_flash *f, char *out, size_t len);

#endif /* HIL_JOURNAL_H */
