/* Slot image hashes (slot_hash.h). */
#include "scenario/slot_hash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/sha256.h"

int hil_slot_sha256(const struct hil_flash *f, int slot, uint8_t out[32], char *why, size_t whylen)
{
    const uint8_t *base = &f->mem[LAYOUT_SLOT_ADDR((uint32_t)slot) - LAYOUT_FLASH_BASE];
    struct image_header h;
    memcpy(&h, base, sizeof(h));
    if (h.ih_magic != IMAGE_MAGIC) {
        snprintf(why, whylen, "slot %s holds no image header (magic 0x%08X)", LAYOUT_SLOT_NAME((uint32_t)slot),
                 (unsigned)h.ih_magic);
        return FOTA_EMAGIC;
    }
    if (h.ih_size == 0 || h.ih_size > IMAGE_MAX_PAYLOAD) {
        snprintf(why, whylen, "slot %s: header size %u is outside 1..%u", LAYOUT_SLOT_NAME((uint32_t)slot),
                 (unsigned)h.ih_size, (unsigned)IMAGE_MAX_PAYLOAD);
        return FOTA_ESIZE;
    }
    uint32_t total = image_total_size(&h); /* header, payload, TLV area (signed images) */
    if (h.ih_tlv_size > LAYOUT_SLOT_SIZE || total > LAYOUT_SLOT_SIZE) {
        snprintf(why, whylen, "slot %s: header + payload + TLV area (%u bytes) exceed the slot",
                 LAYOUT_SLOT_NAME((uint32_t)slot), (unsigned)total);
        return FOTA_ESIZE;
    }
    sha256(base, total, out);
    return 0;
}

int hil_file_sha256(const char *path, uint8_t out[32], char *why, size_t whylen)
{
    static uint8_t buf[LAYOUT_SLOT_SIZE + 1];
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return FOTA_EIO;
    }
    size_t n = fread(buf, 1, sizeof(buf), fp);
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        snprintf(why, whylen, "%s: read error", path);
        return FOTA_EIO;
    }
    if (n > LAYOUT_SLOT_SIZE) {
        snprintf(why, whylen, "%s: larger than a slot (%u bytes)", path, (unsigned)LAYOUT_SLOT_SIZE);
        return FOTA_ESIZE;
    }
    sha256(buf, n, out);
    return 0;
}

static void to_hex(const uint8_t d[32], char hex[65])
{
    for (unsigned i = 0; i < 32; i++) {
        snprintf(&hex[2 * i], 3, "%02x", d[i]);
    }
}

int hil_slot_sha_check(const struct hil_flash *f, int slot, const struct hil_slot_sha *want, char *msg,
                       size_t msglen)
{
    uint8_t w[32], got[32];
    char why[256], wh[65], gh[65];
    const char *name = LAYOUT_SLOT_NAME((uint32_t)slot);
    memcpy(w, want->sha256, sizeof(w));
    if (want->file != NULL) {
        int rc = hil_file_sha256(want->file, w, why, sizeof(why));
        if (rc != 0) {
            snprintf(msg, msglen, "slot %s sha256: cannot hash %s", name, why);
            return rc;
        }
    }
    to_hex(w, wh);
    if (hil_slot_sha256(f, slot, got, why, sizeof(why)) != 0) {
        snprintf(msg, msglen, "slot %s sha256 %s%s%s: %s", name, wh, want->file ? " of " : "",
                 want->file ? want->file : "", why);
        return FOTA_EPROTO;
    }
    if (memcmp(w, got, sizeof(w)) != 0) {
        to_hex(got, gh);
        snprintf(msg, msglen, "slot %s sha256 %s%s%s, but the image stored there (header + ih_size + ih_tlv_size bytes) "
                 "has %s", name, wh, want->file ? " of " : "", want->file ? want->file : "", gh);
        return FOTA_EPROTO;
    }
    return 0;
}
