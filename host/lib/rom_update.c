/*
 * The ROM-path install of a fota-hil image (fotahost/rom.h): what a seed's
 * ESP32 does with ST's ROM bootloader, protocol-independent (struct
 * fh_rom_ops), plus the BOOT0/NRST control it needs.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fotahost/image.h"
#include "fotahost/rom.h"

#define BOOTCTL_TIMEOUT_MS 5000

struct fh_bootctl {
    int fd; /* -1: `none` */
};

int fh_bootctl_open(const char *spec, struct fh_bootctl **out, struct fh_msg *m)
{
    struct fh_bootctl *b;
    if (spec == NULL || out == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "boot-ctl: no spec");
    }
    *out = NULL;
    if (strcmp(spec, "none") != 0 && strncmp(spec, "unix:", 5) != 0) {
        return fh_msg_set(m, FOTA_EINVAL, "boot-ctl '%s': expected unix:/path or none", spec);
    }
    b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return fh_msg_set(m, FOTA_ENOMEM, "boot-ctl: out of memory");
    }
    b->fd = -1;
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(spec + 5) >= sizeof(sa.sun_path) || spec[5] == '\0') {
            free(b);
            return fh_msg_set(m, FOTA_EINVAL, "boot-ctl '%s': path empty or too long", spec);
        }
        strcpy(sa.sun_path, spec + 5);
        b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (b->fd < 0 || connect(b->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            int e = errno;
            if (b->fd >= 0) {
                close(b->fd);
            }
            free(b);
            return fh_msg_set(m, FOTA_EIO, "boot-ctl %s: connect: %s", spec, strerror(e));
        }
    }
    *out = b;
    return 0;
}

/* Send one line, wait for "ok\n". */
static int bootctl_say(struct fh_bootctl *b, const char *line, struct fh_msg *m)
{
    char ans[64];
    size_t have = 0;
    uint32_t start = fh_now_ms();
    if (b == NULL || b->fd < 0) {
        return 0;
    }
    if (send(b->fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
        return fh_msg_set(m, FOTA_EIO, "boot-ctl: send: %s", strerror(errno));
    }
    while (have < sizeof(ans) - 1) {
        struct pollfd p = { .fd = b->fd, .events = POLLIN };
        uint32_t spent = fh_now_ms() - start;
        ssize_t n;
        if (spent >= BOOTCTL_TIMEOUT_MS) {
            return fh_msg_set(m, FOTA_ETIMEOUT, "boot-ctl: no answer to '%.*s'", (int)strlen(line) - 1, line);
        }
        if (poll(&p, 1, (int)(BOOTCTL_TIMEOUT_MS - spent)) <= 0) {
            continue;
        }
        n = recv(b->fd, ans + have, 1, 0);
        if (n <= 0) {
            return fh_msg_set(m, FOTA_ECONN, "boot-ctl: closed by the rig");
        }
        have++;
        if (ans[have - 1] == '\n') {
            break;
        }
    }
    ans[have] = '\0';
    if (strcmp(ans, "ok\n") != 0) {
        return fh_msg_set(m, FOTA_EPROTO, "boot-ctl: '%.*s' answered '%.*s'", (int)strlen(line) - 1, line,
                          (int)strcspn(ans, "\n"), ans);
    }
    return 0;
}

int fh_bootctl_boot0(struct fh_bootctl *b, bool high, struct fh_msg *m)
{
    return bootctl_say(b, high ? "boot0 1\n" : "boot0 0\n", m);
}

int fh_bootctl_reset(struct fh_bootctl *b, struct fh_msg *m)
{
    return bootctl_say(b, "nrst\n", m);
}

void fh_bootctl_close(struct fh_bootctl *b)
{
    if (b != NULL) {
        if (b->fd >= 0) {
            close(b->fd);
        }
        free(b);
    }
}

void fh_rom_meta_place(const uint8_t *meta, struct meta_record *newest, bool *found, uint32_t *addr,
                       int *erase_sector)
{
    static const uint32_t base[2] = { LAYOUT_META0_ADDR, LAYOUT_META1_ADDR };
    static const int sect[2] = { LAYOUT_META0_SECTOR, LAYOUT_META1_SECTOR };
    uint32_t ns = 0, ni = 0;
    *found = false;
    for (uint32_t s = 0; s < 2u; s++) {
        for (uint32_t i = 0; i < META_RECORDS_PER_SECTOR; i++) {
            struct meta_record rec;
            memcpy(&rec, meta + s * LAYOUT_META_SECTOR_SIZE + i * META_RECORD_SIZE, sizeof(rec));
            if (meta_record_check(&rec) == 0 && (!*found || meta_seq_newer(rec.mr_seq, newest->mr_seq))) {
                *newest = rec;
                *found = true;
                ns = s;
                ni = i;
            }
        }
    }
    /* meta_commit(): right after the newest record if that place is all
     * erased, else the start of the other sector (erased first); factory
     * state: META0's start, erased unless it already is. */
    uint32_t s = *found ? ns : 0u;
    uint32_t i = *found ? ni + 1u : 0u;
    bool erased = false;
    if (i < META_RECORDS_PER_SECTOR) {
        const uint8_t *p = meta + s * LAYOUT_META_SECTOR_SIZE + i * META_RECORD_SIZE;
        erased = true;
        for (uint32_t k = 0; k < META_RECORD_SIZE; k++) {
            erased = erased && p[k] == LAYOUT_FLASH_ERASED;
        }
    }
    if (!erased && *found) {
        s ^= 1u;
        i = 0;
    }
    *addr = base[s] + i * META_RECORD_SIZE;
    *erase_sector = erased ? -1 : sect[s];
}

/* Run @p op with retries: a NACK or a timeout repeats the whole command. */
#define ROM_RETRY(r, rc, m, call)                                 \
    do {                                                          \
        for (uint32_t try_ = 0;; try_++) {                        \
            (rc) = (call);                                        \
            if ((rc) == 0 || (rc) == FOTA_ECONN || (rc) == FOTA_EIO || \
                try_ >= (r)->retries) {                           \
                break;                                            \
            }                                                     \
            fh_rom_flush(r);                                      \
        }                                                         \
    } while (0)

static int rom_read_big(struct fh_rom *r, uint32_t addr, uint8_t *buf, uint32_t len, struct fh_msg *m)
{
    int rc = 0;
    for (uint32_t off = 0; off < len && rc == 0; off += FH_ROM_MAX_BLOCK) {
        uint32_t n = len - off < FH_ROM_MAX_BLOCK ? len - off : FH_ROM_MAX_BLOCK;
        ROM_RETRY(r, rc, m, r->ops->read(r, addr + off, buf + off, n, m));
    }
    return rc;
}

/* Steps 1-2: BOOT0 high + NRST, sync with the ROM, check the product ID. */
static int rom_enter(struct fh_rom *r, struct fh_bootctl *bc, struct fh_rom_install_result *res,
                     struct fh_msg *m)
{
    int rc;

    /* 1. BOOT0 high, NRST: the device restarts into its system memory. */
    if (bc != NULL) {
        rc = fh_bootctl_boot0(bc, true, m);
        if (rc == 0) {
            rc = fh_bootctl_reset(bc, m);
        }
        if (rc != 0) {
            return rc;
        }
    }
    /* 2. Sync (the ROM needs a moment after reset: retry), product ID. */
    for (uint32_t i = 0;; i++) {
        rc = r->ops->sync(r, m);
        if (rc == 0 || i >= 10u || rc == FOTA_ECONN || rc == FOTA_EIO) {
            break;
        }
    }
    if (rc != 0) {
        return rc;
    }
    ROM_RETRY(r, rc, m, r->ops->get_id(r, &res->pid, m));
    if (rc != 0) {
        return rc;
    }
    if (res->pid != FH_ROM_PID_F40X) {
        return fh_msg_set(m, FOTA_ENOTSUP, "rom: product ID 0x%04x, expected 0x%04x (STM32F405/407)",
                          res->pid, (unsigned)FH_ROM_PID_F40X);
    }
    return 0;
}

/* Where the metadata log stands: newest record and where the next one goes. */
struct rom_meta_pos {
    struct meta_record newest;
    bool found;
    uint32_t addr;
    int erase_sector;
};

/* Step 3: read both metadata sectors, pick the target (inactive) slot. */
static int rom_pick_slot(struct fh_rom *r, const struct fh_rom_install_opts *o, int image_slot,
                         struct rom_meta_pos *pos, struct fh_rom_install_result *res, struct fh_msg *m)
{
    uint8_t *meta = malloc(2u * LAYOUT_META_SECTOR_SIZE);
    int rc;

    if (meta == NULL) {
        return fh_msg_set(m, FOTA_ENOMEM, "rom: out of memory");
    }
    rc = rom_read_big(r, LAYOUT_META0_ADDR, meta, 2u * LAYOUT_META_SECTOR_SIZE, m);
    if (rc != 0) {
        free(meta);
        return rc;
    }
    fh_rom_meta_place(meta, &pos->newest, &pos->found, &pos->addr, &pos->erase_sector);
    free(meta);
    res->target_slot = image_slot;
    if (pos->found && pos->newest.mr_active < LAYOUT_SLOT_COUNT) {
        res->target_slot = pos->newest.mr_active == LAYOUT_SLOT_A ? LAYOUT_SLOT_B : LAYOUT_SLOT_A;
    }
    if (res->target_slot != image_slot && !o->force) {
        return fh_msg_set(m, FOTA_ESLOT, "rom: image is linked for slot %s but slot %s is active: "
                          "the inactive slot is %s (--force writes it anyway)", LAYOUT_SLOT_NAME(image_slot),
                          LAYOUT_SLOT_NAME(pos->newest.mr_active), LAYOUT_SLOT_NAME(res->target_slot));
    }
    return 0;
}

/* @return true if [addr, addr + len) reads erased (0xFF); false if not,
 * or if reading failed. */
static bool rom_blank(struct fh_rom *r, uint32_t addr, uint32_t len)
{
    uint8_t buf[FH_ROM_MAX_BLOCK];
    for (uint32_t off = 0; off < len; off += FH_ROM_MAX_BLOCK) {
        uint32_t n = len - off < FH_ROM_MAX_BLOCK ? len - off : FH_ROM_MAX_BLOCK;
        int rc;
        ROM_RETRY(r, rc, NULL, r->ops->read(r, addr + off, buf, n, NULL));
        for (uint32_t i = 0; rc == 0 && i < n; i++) {
            rc = buf[i] == LAYOUT_FLASH_ERASED ? 0 : FOTA_EFLASH;
        }
        if (rc != 0) {
            return false;
        }
    }
    return true;
}

/*
 * EXTENDED ERASE of @p sectors with retries. An erase answered NACK or
 * nothing (over I2C some parts never send its final ACK, and answer 0x1F
 * to every poll after, though the erase succeeded: issue 12) is checked
 * by reading back [@p addr, + @p len), the range the install writes next:
 * erased, it counts as done (r->erase_unacked). Otherwise it is retried.
 * @return 0; FOTA_EFLASH (still not erased after the retries); link errors.
 */
static int rom_erase_checked(struct fh_rom *r, const uint16_t *sectors, uint32_t n, uint32_t addr, uint32_t len,
                             struct fh_msg *m)
{
    int rc = 0;
    for (uint32_t try_ = 0; try_ <= r->retries; try_++) {
        rc = r->ops->erase(r, sectors, n, m);
        if (rc == 0 || (rc != FOTA_EPROTO && rc != FOTA_ETIMEOUT)) {
            return rc;
        }
        fh_rom_flush(r);
        if (rom_blank(r, addr, len)) {
            r->erase_unacked++;
            if (r->verbose) {
                fprintf(stderr, "%s: erase not acknowledged (%s), but 0x%08x+%u reads erased: done\n",
                        r->ops->name, m != NULL ? m->text : "?", addr, len);
            }
            return 0;
        }
    }
    return rc == FOTA_EPROTO ? FOTA_EFLASH : rc;
}

/* Step 4: erase the slot's sectors the image needs (RM0090 Table 5). */
static int rom_erase_slot(struct fh_rom *r, uint32_t slot, size_t len, struct fh_msg *m)
{
    uint32_t base = LAYOUT_SLOT_ADDR(slot);
    uint16_t sectors[LAYOUT_SLOT_SECTORS];
    uint32_t nsec = 0;
    int rc;

    for (uint32_t s = 0; s < LAYOUT_SLOT_SECTORS; s++) {
        uint32_t sn = LAYOUT_SLOT_FIRST_SECTOR(slot) + s;
        if (LAYOUT_SECTOR_OFFSET(sn) < (base - LAYOUT_FLASH_BASE) + len) {
            sectors[nsec++] = (uint16_t)sn;
        }
    }
    rc = rom_erase_checked(r, sectors, nsec, base, (uint32_t)len, m);
    return rc;
}

/* Step 5: program, r->write_block bytes per WRITE MEMORY (256; AN4221
 * 64), the last padded with 0xFF to a word. */
static int rom_program(struct fh_rom *r, uint32_t base, const uint8_t *img, size_t len,
                       const struct fh_rom_install_opts *o, struct fh_rom_install_result *res,
                       struct fh_msg *m)
{
    uint8_t block[FH_ROM_MAX_BLOCK], back[FH_ROM_MAX_BLOCK];
    uint32_t bs = r->write_block;
    int rc;

    if (bs < 4u || bs > FH_ROM_MAX_BLOCK || (bs % 4u) != 0) {
        return fh_msg_set(m, FOTA_EINVAL, "rom: write block of %u bytes (4..256, a multiple of 4)", (unsigned)bs);
    }
    for (size_t off = 0; off < len; off += bs) {
        uint32_t n = (uint32_t)(len - off < bs ? len - off : bs);
        uint32_t padded = (n + 3u) & ~3u;
        memset(block, 0xFF, sizeof(block));
        memcpy(block, img + off, n);
        ROM_RETRY(r, rc, m, r->ops->write(r, base + (uint32_t)off, block, padded, m));
        if (rc == 0 && o->verify) {
            ROM_RETRY(r, rc, m, r->ops->read(r, base + (uint32_t)off, back, padded, m));
            if (rc == 0 && memcmp(back, block, padded) != 0) {
                rc = fh_msg_set(m, FOTA_EFLASH, "rom: verify failed at 0x%08x", base + (uint32_t)off);
            }
        }
        if (rc != 0) {
            return rc;
        }
        res->bytes_written += padded;
        if (!o->quiet) {
            fprintf(stderr, "\rrom: %zu/%zu bytes", off + n, len);
        }
    }
    if (!o->quiet) {
        fprintf(stderr, "\n");
    }
    return 0;
}

/* Step 6: write and verify the metadata record (target PENDING, trial slot =
 * target). Fields as update.c's END commit; seq/magic/CRC as meta_commit(). */
static int rom_commit_meta(struct fh_rom *r, const uint8_t *img, const struct rom_meta_pos *pos,
                           struct fh_rom_install_result *res, struct fh_msg *m)
{
    const struct image_header *h = (const struct image_header *)(const void *)img;
    struct meta_record rec;
    uint8_t back[FH_ROM_MAX_BLOCK];
    int rc;

    if (pos->found) {
        rec = pos->newest;
    } else {
        memset(&rec, 0, sizeof(rec));
        rec.mr_active = META_NO_SLOT;
    }
    rec.mr_magic = META_MAGIC;
    rec.mr_seq = pos->found ? pos->newest.mr_seq + 1u : 1u;
    rec.mr_trial_slot = (uint8_t)res->target_slot;
    rec.mr_slot[res->target_slot].ms_version = h->ih_version;
    rec.mr_slot[res->target_slot].ms_size = h->ih_size;
    rec.mr_slot[res->target_slot].ms_crc32 = h->ih_crc32;
    rec.mr_slot[res->target_slot].ms_state = META_SLOT_PENDING;
    memset(rec.mr_reserved, 0, sizeof(rec.mr_reserved));
    memset(rec.mr_reserved2, 0, sizeof(rec.mr_reserved2));
    rec.mr_crc32 = meta_record_crc(&rec);
    if (pos->erase_sector >= 0) {
        uint16_t es = (uint16_t)pos->erase_sector;
        rc = rom_erase_checked(r, &es, 1, pos->addr, sizeof(rec), m);
        if (rc != 0) {
            return rc;
        }
    }
    ROM_RETRY(r, rc, m, r->ops->write(r, pos->addr, &rec, sizeof(rec), m));
    if (rc == 0) {
        ROM_RETRY(r, rc, m, r->ops->read(r, pos->addr, back, sizeof(rec), m));
        if (rc == 0 && memcmp(back, &rec, sizeof(rec)) != 0) {
            rc = fh_msg_set(m, FOTA_EFLASH, "rom: metadata record at 0x%08x did not verify", pos->addr);
        }
    }
    if (rc == 0) {
        res->meta_seq = rec.mr_seq;
    }
    return rc;
}

/* Step 7: leave the ROM: BOOT0 low + NRST, or GO to the bootloader. */
static int rom_leave(struct fh_rom *r, struct fh_bootctl *bc, const struct fh_rom_install_opts *o,
                     struct fh_msg *m)
{
    int rc = 0;

    if (bc != NULL) {
        rc = fh_bootctl_boot0(bc, false, m);
        if (rc == 0) {
            rc = fh_bootctl_reset(bc, m);
        }
    } else if (o->go) {
        rc = r->ops->go(r, LAYOUT_BOOT_ADDR, m);
    }
    return rc;
}

int fh_rom_install(struct fh_rom *r, struct fh_bootctl *bc, const uint8_t *img, size_t len,
                   const struct fh_rom_install_opts *o, struct fh_rom_install_result *res,
                   struct fh_msg *m)
{
    struct fh_image_report rep;
    struct rom_meta_pos pos = { .found = false, .addr = 0, .erase_sector = -1 };
    uint32_t t0 = fh_now_ms();
    int rc;

    if (r == NULL || img == NULL || o == NULL || res == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "rom: NULL argument");
    }
    memset(res, 0, sizeof(*res));
    rc = fh_image_inspect(img, len, &rep, m);
    if (rc != 0 && (rep.rc_length || rep.rc_magic || rep.rc_hdr_format || rep.rc_hdr_crc || rep.rc_slot ||
                    rep.rc_size)) {
        return rc; /* the header itself is unusable; payload mismatches are the device's to find */
    }
    if (len > LAYOUT_SLOT_SIZE) {
        return fh_msg_set(m, FOTA_ESIZE, "rom: image of %zu bytes is larger than a slot", len);
    }
    rc = rom_enter(r, bc, res, m);
    if (rc != 0) {
        return rc;
    }
    rc = rom_pick_slot(r, o, rep.slot, &pos, res, m);
    if (rc == 0) {
        rc = rom_erase_slot(r, (uint32_t)res->target_slot, len, m);
    }
    if (rc == 0) {
        rc = rom_program(r, LAYOUT_SLOT_ADDR((uint32_t)res->target_slot), img, len, o, res, m);
    }
    if (rc == 0) {
        rc = rom_commit_meta(r, img, &pos, res, m);
    }
    if (rc == 0) {
        rc = rom_leave(r, bc, o, m);
    }
    res->ms = fh_now_ms() - t0;
    return rc;
}
