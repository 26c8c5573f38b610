/**
 * @file replay.h
 * @brief `fota-hil replay capture.pcap`: feed the host side of a captured
 * update session (a run trace, trace.h) to a fresh emulated target and
 * compare the target's answers with the captured ones, frame by frame.
 *
 * The capture is turned into a plan (hil_replay_plan_build): the
 * host->target frames in order, each with the answer the capture shows
 * for it, and the inputs the rig gave (power on, power cut, reset, flash
 * operations made to cut or fail). Target outputs in the capture (jumps)
 * are synchronisation points and are compared at the end. The replay
 * sends each frame as captured (corrupted bytes included), waits for the
 * answer like the host did, and reports every difference in type, seq,
 * status or payload. A frame the rig corrupted towards the host is
 * compared as the target sent it (the corruption is undone with the FAULT
 * record); one the rig dropped is not expected.
 */
#ifndef HIL_REPLAY_H
#define HIL_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "target/target.h"
#include "trace/trace.h"

enum hil_replay_kind {
    HIL_RP_SEND = 1,       /**< send a host->target frame, expect its answer */
    HIL_RP_POWER_ON = 2,   /**< power on (cycle if still on) */
    HIL_RP_POWER_CUT = 3,  /**< cut power (if still on) */
    HIL_RP_RESET = 4,      /**< warm reset */
    HIL_RP_JUMP = 5,       /**< the target jumped (value): wait until the replay did too */
};

struct hil_replay_step {
    enum hil_replay_kind kind;
    uint32_t packet;          /**< 1-based packet number in the capture */
    uint64_t gap_us;          /**< capture time since the previous step */
    uint64_t quiet_us;        /**< SEND: capture time until the next step */
    uint8_t *bytes;           /**< SEND: the frame as sent (malloc'ed) */
    size_t len;
    uint8_t *answer;          /**< SEND: the captured answer as the target sent it, NULL: none */
    size_t answer_len;
    uint32_t answer_packet;
    bool answer_dropped;      /**< SEND: the rig dropped the answer towards the host */
    bool resent;              /**< SEND: unanswered when the host sent the same frame again */
    uint32_t value;           /**< JUMP: vector table address */
};

/** A flash verdict the capture shows (cut or fail), to be given again. */
/*
 * A flash verdict of the capture (cut, fail), anchored to the link: it
 * applies to the nth operation of its kind after the capture's
 * after_send-th host->target frame. Anchoring to frames, not to the global
 * operation count, keeps replay right when the capture's run had
 * operations the replay does not repeat before that frame (boots, resets).
 */
struct hil_replay_verdict {
    enum hil_op_kind op;
    uint32_t kind_seq;      /**< the capture's global count (for messages) */
    uint32_t after_send;    /**< host->target frames sent before it (0: before the first) */
    uint32_t nth;           /**< 1-based among ops of this kind since that frame */
    struct hil_flash_verdict v;
};

struct hil_replay_plan {
    struct hil_replay_step *steps;
    int nsteps;
    struct hil_replay_verdict *verdicts;
    int nverdicts;
    bool has_power;           /**< the capture has power records (else: power on first) */
    bool devtime;             /**< its timestamps are device time (HIL_TRACE_F_DEVTIME): the
                                   replay waits its gaps and quiet times in device time too */
};

/**
 * Read @p path and build the plan. Errors are printed on stderr, one line
 * naming the file: `path: No such file or directory`, `path: truncated
 * pcap record at byte N` (a capture cut short), `path: packet N: what is
 * wrong`. @return 0; FOTA_EIO/FOTA_EMAGIC (unreadable, cut short, not a trace);
 * FOTA_EVERSION, FOTA_ESIZE, FOTA_EINVAL (a bad record); FOTA_ENOENT (no
 * host->target frame in it); FOTA_ENOMEM.
 */
int hil_replay_plan_build(const char *path, struct hil_replay_plan *plan);
void hil_replay_plan_free(struct hil_replay_plan *plan);

/** The file that marks a directory as a replay work dir (replay may delete it). */
#define HIL_REPLAY_MARKER ".fota-hil-replay"

/**
 * Make @p work the replay's work dir, empty but for the HIL_REPLAY_MARKER
 * file: created (with its parents) if missing; cleared if it is empty or
 * holds the marker; refused otherwise, so that a mistyped --work-dir never
 * deletes a directory replay did not make. Messages on stderr.
 * @param abs receives its absolute path (@p abslen bytes; PATH_MAX fits any)
 * @return 0; FOTA_EBUSY (not a directory, or not empty and no marker:
 *         left untouched); FOTA_EIO (cannot clear or create it).
 */
int hil_replay_prepare_workdir(const char *work, char *abs, size_t abslen);

/**
 * Compare a captured answer with the replayed one (both raw frame bytes;
 * @p want NULL = no answer). Describes the difference in @p why.
 * @return 0 same; 1 different.
 */
int hil_replay_compare(const uint8_t *want, size_t want_len, const uint8_t *got, size_t got_len,
                       char *why, size_t whylen);

/** One-line description of a frame ("DATA_RSP seq=6 OK next=2048"). */
void hil_replay_describe(const uint8_t *bytes, size_t len, char *out, size_t outlen);

/** The `replay` command. @return exit status: 0 same verdict, 1 different, 2 bad input. */
int hil_replay_main(int argc, char **argv);

#endif /* HIL_REPLAY_H */
