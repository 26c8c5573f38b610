/**
 * @file mkflash.c
 * @brief mkflash: compose a 1 MB flash dump (a scenario's `flash: {file:}`)
 * with the bootloader, slot images and a metadata log that has already
 * run long: its newest record at a chosen place with a chosen sequence
 * number, every older place of both sectors filled with older records, as
 * a log looks after it has wrapped (issue 16: runs past every sector
 * switch and near the sequence number's maximum without 500 updates).
 *
 *   mkflash --out F --bootloader BL.bin --slot-a IMG [--slot-b IMG | --slot-b-pending IMG]
 *           --end SECTOR:INDEX --seq N
 *
 * The records say: A active and CONFIRMED (its header's version, size and
 * CRC-32), B CONFIRMED when --slot-b is given else EMPTY, no trial. With
 * --slot-b-pending, B is PENDING and the trial slot (an image installed,
 * not yet tried: the glitch sweep's bad-signature image). The
 * newest has seq N at META<SECTOR> place INDEX; place INDEX-1 has N-1 and
 * so on back through the other sector (down to seq 1). Places after the
 * newest in its sector stay erased.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"

static uint8_t flash[LAYOUT_FLASH_SIZE];

static int place_file(const char *path, uint32_t addr, uint32_t max, struct image_header *h)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "mkflash: %s: %s\n", path, strerror(errno));
        return 4;
    }
    size_t n = fread(&flash[addr - LAYOUT_FLASH_BASE], 1, max, f);
    fclose(f);
    if (h != NULL) {
        memcpy(h, &flash[addr - LAYOUT_FLASH_BASE], sizeof(*h));
        if (n < sizeof(*h) || h->ih_magic != IMAGE_MAGIC) {
            fprintf(stderr, "mkflash: %s: not an image\n", path);
            return 4;
        }
    }
    return 0;
}

static void slot_confirmed(struct meta_record *r, uint32_t slot, const struct image_header *h)
{
    r->mr_slot[slot].ms_version = h->ih_version;
    r->mr_slot[slot].ms_size = h->ih_size;
    r->mr_slot[slot].ms_crc32 = h->ih_crc32;
    r->mr_slot[slot].ms_state = META_SLOT_CONFIRMED;
}

/* Write the log: seq at (sector, index), older ones backwards through both sectors. */
static void write_log(const struct meta_record *proto, uint32_t sector, uint32_t index, uint32_t seq)
{
    const uint32_t addr[2] = { LAYOUT_META0_ADDR, LAYOUT_META1_ADDR };
    for (uint32_t k = 0; k < 2u * META_RECORDS_PER_SECTOR && seq >= 1u; k++, seq--) {
        struct meta_record r = *proto;
        r.mr_seq = seq;
        r.mr_crc32 = meta_record_crc(&r);
        memcpy(&flash[addr[sector] + index * META_RECORD_SIZE - LAYOUT_FLASH_BASE], &r, sizeof(r));
        if (index == 0u) {
            sector ^= 1u;
            index = META_RECORDS_PER_SECTOR;
        }
        index--;
    }
}

int main(int argc, char **argv)
{
    const char *out = NULL, *bl = NULL, *sa = NULL, *sb = NULL;
    int pending = 0;
    unsigned long sector = 2, index = 0, seq = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--out") == 0) { out = v; }
        else if (strcmp(k, "--bootloader") == 0) { bl = v; }
        else if (strcmp(k, "--slot-a") == 0) { sa = v; }
        else if (strcmp(k, "--slot-b") == 0) { sb = v; }
        else if (strcmp(k, "--slot-b-pending") == 0) { sb = v; pending = 1; }
        else if (strcmp(k, "--seq") == 0) { seq = strtoul(v, NULL, 0); }
        else if (strcmp(k, "--end") == 0 && sscanf(v, "%lu:%lu", &sector, &index) == 2) { }
        else { fprintf(stderr, "mkflash: bad argument %s\n", k); return 2; }
    }
    if (out == NULL || bl == NULL || sa == NULL || sector > 1 || index >= META_RECORDS_PER_SECTOR ||
        seq == 0 || seq > 0xFFFFFFFFul || (argc % 2) == 0) {
        fprintf(stderr, "usage: mkflash --out F --bootloader BL.bin --slot-a IMG [--slot-b IMG | --slot-b-pending IMG] "
                "--end 0|1:INDEX(0-%u) --seq N(>=1)\n", (unsigned)META_RECORDS_PER_SECTOR - 1u);
        return 2;
    }
    memset(flash, LAYOUT_FLASH_ERASED, sizeof(flash));
    struct image_header ha, hb;
    struct meta_record r;
    memset(&r, 0, sizeof(r));
    r.mr_magic = META_MAGIC;
    r.mr_active = LAYOUT_SLOT_A;
    r.mr_trial_slot = META_NO_SLOT;
    int rc = place_file(bl, LAYOUT_BOOT_ADDR, LAYOUT_BOOT_SIZE, NULL);
    rc = rc != 0 ? rc : place_file(sa, LAYOUT_SLOT_A_ADDR, LAYOUT_SLOT_SIZE, &ha);
    rc = rc != 0 || sb == NULL ? rc : place_file(sb, LAYOUT_SLOT_B_ADDR, LAYOUT_SLOT_SIZE, &hb);
    if (rc != 0) {
        return rc;
    }
    slot_confirmed(&r, LAYOUT_SLOT_A, &ha);
    if (sb != NULL) {
        slot_confirmed(&r, LAYOUT_SLOT_B, &hb);
    }
    if (pending) {
        r.mr_slot[LAYOUT_SLOT_B].ms_state = META_SLOT_PENDING;
        r.mr_trial_slot = LAYOUT_SLOT_B;
    }
    write_log(&r, (uint32_t)sector, (uint32_t)index, (uint32_t)seq);
    FILE *f = fopen(out, "wb");
    if (f == NULL || fwrite(flash, 1, sizeof(flash), f) != sizeof(flash) || fclose(f) != 0) {
        fprintf(stderr, "mkflash: %s: %s\n", out, strerror(errno));
        return 4;
    }
    return 0;
}
