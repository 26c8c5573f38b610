/* Whole-file read and atomic write (fotahost/image.h). stdio + rename(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int fh_file_write(const char *path, const void *buf, size_t len, struct fh_msg *m)
{
    char tmp[4096];
    FILE *f;
    int n;

    if (path == NULL || (buf == NULL && len != 0)) {
        return fh_msg_set(m, FOTA_EINVAL, "write: NULL argument");
    }
    n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return fh_msg_set(m, FOTA_EINVAL, "%s: path too long", path);
    }
    f = fopen(tmp, "wb");
    if (f == NULL) {
        return fh_msg_set(m, FOTA_EIO, "%s: %s", tmp, strerror(errno));
    }
    if (fwrite(buf, 1, len, f) != len) {
        int e = errno;

        fclose(f);
        remove(tmp);
        return fh_msg_set(m, FOTA_EIO, "%s: write: %s", tmp, strerror(e));
    }
    if (fclose(f) != 0) {
        int e = errno;

        remove(tmp);
        return fh_msg_set(m, FOTA_EIO, "%s: close: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;

        remove(tmp);
        return fh_msg_set(m, FOTA_EIO, "%s: rename: %s", path, strerror(e));
    }
    return 0;
}
