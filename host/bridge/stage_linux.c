/*
 * The bridge's staging directory (bridge_linux.h): DIR/image.part holds
 * the partial download (pwrite, fsync on sync()), DIR/image.bin the
 * verified image (fb_file_replace(): it is either the old or the new file,
 * never half of one).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fotahost/image.h"
#include "bridge_linux.h"

int fb_dir_open(struct fb_dir *d, const char *dir, struct fh_msg *m)
{
    int n = snprintf(d->dir, sizeof(d->dir), "%s", dir);

    if (n < 0 || (size_t)n >= sizeof(d->dir) - 16u) {
        return fh_msg_set(m, FOTA_EINVAL, "%s: state directory path too long", dir);
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return fh_msg_set(m, FOTA_EIO, "%s: mkdir: %s", dir, strerror(errno));
    }
    return 0;
}

static void stage_path(const struct fb_dir *d, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", d->dir, name);
}

static int stage_reset(void *ctx, struct fh_msg *m)
{
    char p[600];

    stage_path(ctx, "image.part", p, sizeof(p));
    if (unlink(p) != 0 && errno != ENOENT) {
        return fh_msg_set(m, FOTA_EIO, "%s: unlink: %s", p, strerror(errno));
    }
    return 0;
}

/* Open image.part for writing; the caller closes. */
static int stage_open(void *ctx, int flags, char *p, size_t cap, struct fh_msg *m)
{
    int fd;

    stage_path(ctx, "image.part", p, cap);
    fd = open(p, flags | O_CLOEXEC, 0600);
    if (fd < 0) {
        fh_msg_set(m, FOTA_EIO, "%s: open: %s", p, strerror(errno));
    }
    return fd;
}

static int stage_write(void *ctx, uint64_t off, const uint8_t *d, size_t n, struct fh_msg *m)
{
    char p[600];
    int fd = stage_open(ctx, O_WRONLY | O_CREAT, p, sizeof(p), m);
    int rc = 0;

    if (fd < 0) {
        return FOTA_EIO;
    }
    while (n > 0 && rc == 0) {
        ssize_t w = pwrite(fd, d, n, (off_t)off);

        if (w <= 0 && errno != EINTR) {
            rc = fh_msg_set(m, FOTA_EIO, "%s: write: %s", p, strerror(errno));
        } else if (w > 0) {
            d += w;
            off += (uint64_t)w;
            n -= (size_t)w;
        }
    }
    close(fd);
    return rc;
}

static int stage_sync(void *ctx, struct fh_msg *m)
{
    char p[600];
    int fd = stage_open(ctx, O_WRONLY | O_CREAT, p, sizeof(p), m);
    int rc = 0;

    if (fd < 0) {
        return FOTA_EIO;
    }
    if (fsync(fd) != 0) {
        rc = fh_msg_set(m, FOTA_EIO, "%s: fsync: %s", p, strerror(errno));
    }
    close(fd);
    return rc;
}

static int stage_load(void *ctx, size_t len, uint8_t **buf, struct fh_msg *m)
{
    char p[600];
    size_t got = 0;
    int rc;

    stage_path(ctx, "image.part", p, sizeof(p));
    rc = fh_file_read(p, len, buf, &got, m);
    if (rc == 0 && got != len) {
        free(*buf);
        *buf = NULL;
        rc = fh_msg_set(m, FOTA_ESIZE, "%s: %zu bytes staged, %zu expected", p, got, len);
    }
    return rc;
}

static int stage_commit(void *ctx, const uint8_t *img, size_t len, struct fh_msg *m)
{
    char p[600];
    int rc;

    stage_path(ctx, "image.bin", p, sizeof(p));
    rc = fb_file_replace(p, img, len, m);
    return rc != 0 ? rc : stage_reset(ctx, m);
}

static int stage_load_committed(void *ctx, uint8_t **buf, size_t *len, struct fh_msg *m)
{
    char p[600];

    stage_path(ctx, "image.bin", p, sizeof(p));
    if (access(p, F_OK) != 0) {
        return fh_msg_set(m, FOTA_ENOENT, "%s: no committed image", p);
    }
    return fh_file_read(p, FH_IMAGE_MAX_SIZE, buf, len, m);
}

const struct fb_stage_ops fb_stage_linux_ops = {
    stage_reset, stage_write, stage_sync, stage_load, stage_commit, stage_load_committed,
};
