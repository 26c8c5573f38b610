/**
 * @file oracle.h
 * @brief The exact oracle of a sweep case (issue 16): the one state a
 * correct A/B bootloader must reach after the case's fault and recovery,
 * from a model of the A/B contract written from docs/ARCHITECTURE.md
 * ("Boot and update semantics"), not from the bootloader's code.
 *
 * The contract, as a sequence of metadata commits for one update of slot
 * T (the slot that is not active; A in the factory state) to version V:
 *
 *   EMPTY      T marked empty at BEGIN (unless a record already says T is EMPTY)
 *   PENDING    T complete and verified (END)
 *   TRIAL      the bootloader is about to boot T once (next boot)
 *   CONFIRMED  T's application confirmed itself (T becomes active; the old
 *              active slot keeps CONFIRMED as the fallback)
 *
 * A power cut leaves some prefix of that sequence landed. What a correct
 * bootloader then does, per last landed commit L (docs/SCENARIOS.md, the
 * table "The exact oracle"):
 *
 *   none       the old image runs confirmed; nothing changed; next update to T
 *   EMPTY      as none, T is EMPTY (the update resumes or restarts in T)
 *   PENDING    the trial of T runs and confirms: T active CONFIRMED, runs V;
 *              next update to the old slot
 *   TRIAL      not confirmed: rollback, the old image runs, T REJECTED; next to T
 *   CONFIRMED  T runs V confirmed; next update to the old slot
 *
 * and when the new image is damaged after it landed (a bit flip): PENDING
 * -> T REJECTED at its trial boot, the old image runs; CONFIRMED -> the
 * active T fails verification: fallback to the other slot if it is
 * CONFIRMED (T REJECTED), else recovery mode (nothing runs).
 *
 * The model assumes the new image confirms itself (the demo application).
 */
#ifndef HIL_ORACLE_H
#define HIL_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A metadata commit of the contract, in the order of one update. */
enum hil_contract_ev {
    HIL_EV_NONE = 0,
    HIL_EV_EMPTY,
    HIL_EV_PENDING,
    HIL_EV_TRIAL,
    HIL_EV_CONFIRMED,
};

/** The A/B state of a metadata record (slots indexed LAYOUT_SLOT_A/B). */
struct hil_ab_view {
    bool meta;                  /**< a valid record exists (false: the factory state) */
    int active;                 /**< LAYOUT_SLOT_A/B, or -1 (none) */
    uint8_t state[2];           /**< enum meta_slot_state */
    uint32_t version[2];        /**< IMAGE_VERSION() */
};

/** What the oracle is told about one case. */
struct hil_oracle_in {
    struct hil_ab_view base;    /**< the newest record before the window */
    uint32_t new_version;       /**< the version the update sends */
    int landed;                 /**< contract commits that landed (0..hil_oracle_events()) */
    bool damaged;               /**< the new image's bytes were damaged after they landed */
};

/** The one correct outcome. */
struct hil_oracle_out {
    int running;                /**< slot that runs, or -1 (recovery mode: nothing runs) */
    uint32_t version;           /**< of the running image */
    int active;                 /**< active slot of the newest record, or -1 */
    uint8_t state[2];           /**< each slot's state */
    int next_target;            /**< the slot the next update must go to */
    enum hil_contract_ev last;  /**< the last landed commit (the table's row) */
};

/**
 * The contract's commits for one update from @p base, in order, into @p ev.
 * @return how many (3 or 4: EMPTY unless a record says the target slot is EMPTY).
 */
int hil_oracle_events(const struct hil_ab_view *base, enum hil_contract_ev ev[4]);

/** The slot an update from @p base goes to: not the active one; A without one. */
int hil_oracle_target(const struct hil_ab_view *base);

/**
 * The expected outcome of a case.
 * @return 0; FOTA_EINVAL when in->landed is outside 0..hil_oracle_events().
 */
int hil_oracle_expect(const struct hil_oracle_in *in, struct hil_oracle_out *out);

/** "none", "EMPTY", "PENDING", "TRIAL", "CONFIRMED". */
const char *hil_contract_ev_name(enum hil_contract_ev ev);

#endif /* HIL_ORACLE_H */
