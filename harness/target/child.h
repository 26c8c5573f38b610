/**
 * @file child.h
 * @brief Start a helper process the harness owns (an emulator, a
 * gdbserver): it dies with the harness and never reads the terminal.
 */
#ifndef HIL_CHILD_H
#define HIL_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

/**
 * Start argv[0] (searched in PATH) with @p argv (NULL-terminated) as a
 * child that is killed when the harness dies (PR_SET_PDEATHSIG): stdin
 * from /dev/null; stderr to @p logfd and stdout too if @p stdout_to_log,
 * else to /dev/null (@p logfd < 0: stdout to /dev/null, stderr kept); in directory
 * @p dir (NULL: the harness's). A failing chdir or exec is written to the
 * child's stderr and exits it with status 127.
 * @return 0 and *pid; FOTA_EIO (fork failed; errno kept).
 */
int hil_child_spawn(const char *const argv[], const char *dir, int logfd, bool stdout_to_log, pid_t *pid);

#endif /* HIL_CHILD_H */
