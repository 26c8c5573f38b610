/* Shared between the bridge's logic files (bridge.c, download.c); not public. */
#ifndef FOTA_BRIDGE_INT_H
#define FOTA_BRIDGE_INT_H

#include "bridge.h"

/** Publish a status if it differs from the last one (state, progress, error). */
void fb_report(struct fb *b, enum fb_state state, uint32_t progress, const char *error);

/**
 * Download cfg.url into the stage (download.c).
 * @param not_modified  set when the server answered 304
 * @return 0 (complete, or not modified); errors as fb_check().
 */
int fb_download(struct fb *b, bool *not_modified, struct fh_msg *m);

/** @return min(base << n, cap), without overflow. */
uint32_t fb_backoff_step(uint32_t base, uint32_t n, uint32_t cap);

#endif
