/*
 * The bridge's persistent state on Linux (bridge_linux.h): DIR/state, one
 * "key value" line per field of struct fb_persist, replaced atomically
 * (fb_file_replace()). An ETag is stored as it was sent (quotes included);
 * ETags hold no newline (RFC 9110 8.8.3: etagc excludes controls).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bridge_linux.h"

static int store_field(struct fb_persist *p, const char *key, const char *val)
{
    char *end = NULL;
    unsigned long long v;

    if (strcmp(key, "etag") == 0 || strcmp(key, "last_etag") == 0) {
        char *dst = key[0] == 'e' ? p->etag : p->last_etag;

        if (strlen(val) >= FB_ETAG_MAX) {
            return -1;
        }
        strcpy(dst, val);
        return 0;
    }
    errno = 0;
    v = strtoull(val, &end, 10);
    if (errno != 0 || end == val || *end != '\0') {
        return -1;
    }
    if (strcmp(key, "phase") == 0 && v <= FB_PHASE_DELIVERING) {
        p->phase = (uint32_t)v;
    } else if (strcmp(key, "offset") == 0) {
        p->offset = v;
    } else if (strcmp(key, "total") == 0) {
        p->total = v;
    } else if (strcmp(key, "last_rc") == 0 && v < FOTA_ERR_COUNT) {
        p->last_rc = (int)v;
    } else if (strcmp(key, "version") == 0 && v <= UINT32_MAX) {
        p->version = (uint32_t)v;
    } else {
        return -1;
    }
    return 0;
}

static int store_load(void *ctx, struct fb_persist *p, struct fh_msg *m)
{
    const struct fb_dir *d = ctx;
    char path[600], line[512];
    unsigned lineno = 0;
    FILE *f;

    memset(p, 0, sizeof(*p));
    snprintf(path, sizeof(path), "%s/state", d->dir);
    f = fopen(path, "r");
    if (f == NULL) {
        return errno == ENOENT ? 0 : fh_msg_set(m, FOTA_EIO, "%s: %s", path, strerror(errno));
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *sp = strchr(line, ' ');

        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (sp == NULL || (*sp = '\0', store_field(p, line, sp + 1) != 0)) {
            fclose(f);
            memset(p, 0, sizeof(*p));
            return fh_msg_set(m, FOTA_EINVAL, "%s:%u: bad state line", path, lineno);
        }
    }
    fclose(f);
    return 0;
}

static int store_save(void *ctx, const struct fb_persist *p, struct fh_msg *m)
{
    const struct fb_dir *d = ctx;
    char path[600], text[1024];
    int n;

    snprintf(path, sizeof(path), "%s/state", d->dir);
    n = snprintf(text, sizeof(text),
                 "phase %" PRIu32 "\netag %s\noffset %" PRIu64 "\ntotal %" PRIu64 "\nlast_etag %s\n"
                 "last_rc %d\nversion %" PRIu32 "\n",
                 p->phase, p->etag, p->offset, p->total, p->last_etag, p->last_rc, p->version);
    if (n < 0 || (size_t)n >= sizeof(text)) {
        return fh_msg_set(m, FOTA_EINVAL, "%s: state too long", path);
    }
    return fb_file_replace(path, text, (size_t)n, m);
}

const struct fb_store_ops fb_store_linux_ops = { store_load, store_save };
