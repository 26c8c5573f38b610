/*
 * The bridge's delivery on Linux (bridge_linux.h), with libfotahost:
 *   - FB_VIA_PROTO: fh_update() (fota/proto.h), never FRESH first, so a
 *     delivery after a bridge restart meets the device's BEGIN resume
 *     check (docs/ARCHITECTURE.md "Resume");
 *   - FB_VIA_AN3155 / FB_VIA_AN4286 / FB_VIA_AN4221: fh_rom_install() with BOOT0/NRST
 *     through fh_bootctl (the slot is erased and rewritten whole; its
 *     metadata record is appended only after the last block, so a cut
 *     install is never booted).
 */
#include <string.h>
#include "fotahost/rom.h"
#include "fotahost/update.h"
#include "bridge_linux.h"

static int deliver_open(struct fb_deliver *d, struct fh_link **l, struct fh_msg *m)
{
    if (d->open_link != NULL) {
        return d->open_link(d, l, m);
    }
    if (d->port == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "no device port configured");
    }
    return d->via == FB_VIA_AN4286 ? fh_link_open_spi(d->port, l, m)
                                   : fh_link_open(d->port, d->baud ? d->baud : FH_LINK_DEFAULT_BAUD, l, m);
}

static int deliver_proto(struct fb_deliver *d, struct fh_link *l, const uint8_t *img, size_t len,
                         fb_progress_fn progress, void *pctx, struct fh_msg *m)
{
    struct fh_update_opts o;
    struct fh_update_result res;
    int rc;

    fh_update_opts_init(&o);
    if (d->timeout_ms != 0) {
        o.timeout_ms = d->timeout_ms;
    }
    o.progress = progress;
    o.progress_ctx = pctx;
    memset(&res, 0, sizeof(res));
    rc = fh_update(l, img, len, &o, &res);
    if (rc != 0) {
        fh_msg_set(m, rc, "device: %s", res.msg.text[0] ? res.msg.text : fota_strerror(rc));
    }
    return rc;
}

static int deliver_rom(struct fb_deliver *d, struct fh_link *l, const uint8_t *img, size_t len,
                       fb_progress_fn progress, void *pctx, struct fh_msg *m)
{
    struct fh_rom_install_opts io = { .verify = true, .quiet = true };
    struct fh_rom_install_result res;
    struct fh_bootctl *bc = NULL;
    const char *spec = d->bootctl != NULL ? d->bootctl : "none";
    struct fh_rom r;
    int rc = fh_bootctl_open(spec, &bc, m);

    if (rc != 0) {
        return rc;
    }
    fh_rom_init(&r, d->via == FB_VIA_AN4286 ? &fh_an4286_ops : d->via == FB_VIA_AN4221 ? &fh_an4221_ops
                                                              : &fh_an3155_ops, l);
    progress(pctx, 0, (uint32_t)len);
    rc = fh_rom_install(&r, strcmp(spec, "none") == 0 ? NULL : bc, img, len, &io, &res, m);
    if (rc == 0) {
        progress(pctx, (uint32_t)len, (uint32_t)len);
    }
    fh_bootctl_close(bc);
    return rc;
}

static int deliver_run(void *ctx, const uint8_t *img, size_t len, fb_progress_fn progress, void *pctx,
                       struct fh_msg *m)
{
    struct fb_deliver *d = ctx;
    struct fh_link *l = NULL;
    int rc = deliver_open(d, &l, m);

    if (rc != 0) {
        return rc;
    }
    rc = d->via == FB_VIA_PROTO ? deliver_proto(d, l, img, len, progress, pctx, m)
                                : deliver_rom(d, l, img, len, progress, pctx, m);
    fh_link_close(l);
    return rc;
}

const struct fb_deliver_ops fb_deliver_fotahost_ops = { deliver_run };
