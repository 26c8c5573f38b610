/**
 * @file runner.h
 * @brief Runs one scenario against a target: fresh workdir, flash model
 * composition, target creation, the steps in one poll loop (target fds,
 * link proxy, updater process), console/event/flash-op hooks, fault
 * injection, and the verdict.
 */
#ifndef HIL_RUNNER_H
#define HIL_RUNNER_H

#include <stdbool.h>
#include "scenario/scenario.h"
#include "scenario/results.h"
#include "trace/runtrace.h"
#include "target/board_profile.h"

struct hil_run_opts {
    const char *fotactl;          /**< updater executable */
    const char *bootloader_elf;   /**< for the QEMU backend's symbol lookup */
    const char *qemu;             /**< NULL: backend default */
    enum hil_qemu_machine machine; /**< --target: stock (default) or f407 */
    const char *work_root;        /**< workdirs go to <work_root>/<id>/ */
    int icount_shift;             /**< QEMU -icount shift; <0 disables */
    double watchdog_scale;        /**< wall ms per modelled IWDG ms (0: backend default 1.0) */
    bool verbose;                 /**< echo console lines and events on stderr */
    enum hil_pcap_mode pcap;      /**< which cases keep build/work/<id>/trace.pcap */
    const struct hil_board_profile *board; /**< non-NULL: run on this real board (target_board.h) */
    const char *flash_image;      /**< non-NULL: start from this 1 MB dump instead of the scenario's flash */
    bool link_override;           /**< --link given: use `link` for every scenario */
    enum hil_link link;           /**< the override's link */
    struct hil_journal *journal;  /**< record the flash ops of steps journal_step..journal_through here, then stop (journal.h) */
    int journal_step;             /**< 1-based */
    int journal_through;          /**< 1-based last step of the window; <= journal_step: that step alone */
    struct hil_glitch *glitch_trace; /**< a glitch sweep's trace run: the engine (target/glitch.h), armed in the
                                          scenario's sweep window [step, through]; NULL: none */
};

/**
 * Run @p s and fill @p out (id, file, line, status, seconds, message;
 * console = the console log text). Never exits the process.
 * @return 0 (see out->status); FOTA_ENOMEM.
 */
int hil_run_scenario(const struct hil_scenario *s, const struct hil_run_opts *o,
                     struct hil_result *out);

/** Remove @p path recursively (no symlinks followed). @return 0; FOTA_EIO. */
int hil_rmtree(const char *path);

/** Read a whole text file (at most @p max bytes, keeping the tail). NULL if unreadable. */
char *hil_read_text_file(const char *path, size_t max);

#endif /* HIL_RUNNER_H */
