/* Whole-file read and atomic, durable write (fotahost/image.h): stdio to
 * read; mkstemp + write + fsync + rename + fsync of the directory to write. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fotahost/image.h"

int fh_file_read(const char *path, size_t max, uint8_t **buf, size_t *len, struct fh_msg *m)
{
    FILE *f;
    uint8_t *b = NULL;
    size_t n = 0, cap = 0;

    if (path == NULL || buf == NULL || len == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "read: NULL argument");
    }
    *buf = NULL;
    *len = 0;
    f = fopen(path, "rb");
    if (f == NULL) {
        return fh_msg_set(m, FOTA_EIO, "%s: %s", path, strerror(errno));
    }
    for (;;) {
        size_t got;

        if (n == cap) {
            uint8_t *nb;

            if (cap > max) {
                break;
            }
            cap = cap == 0 ? 65536u : cap * 2u;
            nb = realloc(b, cap);
            if (nb == NULL) {
                free(b);
                fclose(f);
                return fh_msg_set(m, FOTA_ENOMEM, "%s: out of memory", path);
            }
            b = nb;
        }
        got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        int e = errno;

        free(b);
        fclose(f);
        return fh_msg_set(m, FOTA_EIO, "%s: read: %s", path, strerror(e));
    }
    fclose(f);
    if (n > max) {
        free(b);
        return fh_msg_set(m, FOTA_ESIZE, "%s: larger than %zu bytes", path, max);
    }
    if (b == NULL) {
        b = malloc(1); /* an empty file: still hand back a buffer to free() */
        if (b == NULL) {
            return fh_msg_set(m, FOTA_ENOMEM, "%s: out of memory", path);
        }
    }
    *buf = b;
    *len = n;
    return 0;
}

/* fsync the directory holding @p path, so that a rename into it survives a power cut. */
static int sync_dir_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
        snprintf(dir, sizeof(dir), "/");
    } else {
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Write all of @p buf to @p fd and fsync it. @return 0; -1 with errno. */
static int write_all_sync(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        buf += w;
        len -= (size_t)w;
    }
    return fsync(fd);
}

int fh_file_write(const char *path, const void *buf, size_t len, struct fh_msg *m)
{
    char tmp[4096];
    int n;

    if (path == NULL || (buf == NULL && len != 0)) {
        return fh_msg_set(m, FOTA_EINVAL, "write: NULL argument");
    }
    /* A fresh name in the target's directory (same file system, so rename is atomic),
     * created O_EXCL by mkstemp: no symlink planted at a predictable name is followed. */
    n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return fh_msg_set(m, FOTA_EINVAL, "%s: path too long", path);
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        return fh_msg_set(m, FOTA_EIO, "%s: cannot create a temporary file: %s", path, strerror(errno));
    }
    /* mkstemp makes 0600; an image is an ordinary file: 0666 less the umask, as fopen would. */
    mode_t um = umask(0);
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0 || write_all_sync(fd, buf, len) != 0) {
        int e = errno;

        close(fd);
        unlink(tmp);
        return fh_msg_set(m, FOTA_EIO, "%s: write: %s", tmp, strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;

        unlink(tmp);
        return fh_msg_set(m, FOTA_EIO, "%s: close: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;

        unlink(tmp);
        return fh_msg_set(m, FOTA_EIO, "%s: rename: %s", path, strerror(e));
    }
    if (sync_dir_of(path) != 0) {
        return fh_msg_set(m, FOTA_EIO, "%s: fsync of its directory: %s", path, strerror(errno));
    }
    return 0;
}
