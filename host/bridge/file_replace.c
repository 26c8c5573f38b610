/* Atomic, durable file replacement (bridge_linux.h fb_file_replace()). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bridge_linux.h"

static int replace_write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsync the directory holding @p path, so the rename itself is durable. */
static int replace_sync_dir(const char *path, struct fh_msg *m)
{
    char copy[1024];
    int fd, rc = 0;

    snprintf(copy, sizeof(copy), "%s", path);
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        rc = fh_msg_set(m, FOTA_EIO, "%s: fsync of its directory: %s", path, strerror(errno));
    }
    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

int fb_file_replace(const char *path, const void *buf, size_t len, struct fh_msg *m)
{
    char tmp[1024];
    int fd, n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);

    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return fh_msg_set(m, FOTA_EINVAL, "%s: path too long", path);
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        return fh_msg_set(m, FOTA_EIO, "%s: mkstemp: %s", tmp, strerror(errno));
    }
    if (replace_write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
        int e = errno;

        close(fd);
        unlink(tmp);
        return fh_msg_set(m, FOTA_EIO, "%s: write: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;

        unlink(tmp);
        return fh_msg_set(m, FOTA_EIO, "%s: rename: %s", path, strerror(e));
    }
    return replace_sync_dir(path, m);
}
