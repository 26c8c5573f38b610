/**
 * @file child.c
 * @brief Helper processes the harness owns (child.h).
 */
#include "target/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fota/errors.h"

/* In the child: stdio as child.h says, then chdir and exec. Never returns. */
static void child_exec(const char *const argv[], const char *dir, int logfd, bool stdout_to_log, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(127); /* the harness died before prctl took effect */
    }
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
        dup2(nul, 0);
        if (!stdout_to_log || logfd < 0) {
            dup2(nul, 1);
        }
    }
    if (logfd >= 0) {
        if (stdout_to_log) {
            dup2(logfd, 1);
        }
        dup2(logfd, 2);
    }
    if (dir != NULL && chdir(dir) != 0) {
        dprintf(2, "chdir %s: %s\n", dir, strerror(errno));
        _exit(127);
    }
    execvp(argv[0], (char *const *)argv);
    dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int hil_child_spawn(const char *const argv[], const char *dir, int logfd, bool stdout_to_log, pid_t *pid)
{
    fflush(NULL); /* nothing buffered is written twice */
    pid_t parent = getpid();
    pid_t p = fork();
    if (p < 0) {
        return FOTA_EIO;
    }
    if (p == 0) {
        child_exec(argv, dir, logfd, stdout_to_log, parent);
    }
    *pid = p;
    return 0;
}
