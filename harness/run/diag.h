/**
 * @file diag.h
 * @brief The diagnosis a timed-out step leaves in its work directory
 * (`diagnosis.txt`), written before anything is killed.
 */
#ifndef HIL_DIAG_H
#define HIL_DIAG_H

#include <stddef.h>

#define HIL_DIAG_FILE  "diagnosis.txt"
#define HIL_DIAG_LINES 24   /**< link frames / events kept for it */
#define HIL_DIAG_LINE  200

/** The last HIL_DIAG_LINES lines of one kind (a ring). */
struct hil_diag_ring {
    char line[HIL_DIAG_LINES][HIL_DIAG_LINE];
    unsigned next;  /**< lines ever added */
};

#include <sys/types.h>

/**
 * Read /proc/@p pid/stat into @p buf; the name (comm) into @p comm.
 * @return the text after the name's ')' (" S ppid ..."), NULL if unreadable.
 */
const char *hil_proc_stat(pid_t pid, char *buf, size_t len, char *comm, size_t commlen);

/** Add @p line (truncated to HIL_DIAG_LINE - 1 bytes) to @p ring. */
void hil_diag_ring_add(struct hil_diag_ring *ring, const char *line);

/**
 * Write <workdir>/diagnosis.txt: @p why, the runner's @p state (who waits
 * on what), the last link frames (@p frames) and the last events
 * (@p events), then every descendant process of this one: pid, parent,
 * name, state, run time, /proc/PID/wchan and /proc/PID/stack (the kernel
 * stack; unreadable without CAP_SYS_ADMIN: then said so).
 * @return 0; FOTA_EIO (cannot create the file).
 */
int hil_diag_write(const char *workdir, const char *why, const char *state, const struct hil_diag_ring *frames,
                   const struct hil_diag_ring *events);

#endif /* HIL_DIAG_H */
