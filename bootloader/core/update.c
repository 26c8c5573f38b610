/**
 * @file update.c
 * @brief Update mode: the target side of the update protocol (update.h,
 * proto.h, docs/ARCHITECTURE.md "Boot and update semantics").
 */
#include <string.h>
#include "bl_private.h"
#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/update.h"

void update_init(struct update_ctx *u, const struct meta_record *rec, int active_ok)
{
    memset(u, 0, sizeof(*u));
    proto_parser_init(&u->parser);
    u->active = META_NO_SLOT;
    u->target = META_NO_SLOT;
    if (rec != NULL) {
        u->rec = *rec;
        u->has_meta = 1;
        if (bl_slot_valid(rec->mr_active)) {
            u->active = rec->mr_active;
        }
    }
    u->timeout_enabled = (uint8_t)(active_ok && u->active != META_NO_SLOT);
}

uint8_t update_target_slot(const struct update_ctx *u)
{
    return (u->active != META_NO_SLOT) ? bl_other_slot(u->active) : (uint8_t)LAYOUT_SLOT_A;
}

/* "BL: update done slot=<A|B> version=<x.y.z>: <OK|EXXX>" */
static void update_print_done(uint8_t slot, uint32_t version, int rc)
{
    struct bl_line l;

    bl_line_start(&l);
    bl_line_str(&l, "update done slot=");
    bl_line_slot(&l, slot);
    bl_line_str(&l, " version=");
    bl_line_version(&l, version);
    bl_line_str(&l, ": ");
    bl_line_str(&l, fota_strerror(rc));
    bl_line_end(&l);
}

/* Commit the target slot as EMPTY (and not the trial slot) before any of
 * its bytes change, so that no record describes a slot being rewritten.
 * NOTE: metadata invariant: a PENDING/TRIAL/CONFIRMED state always names
 * bytes that are still in the slot. */
static int update_mark_empty(struct update_ctx *u, uint8_t slot)
{
    struct meta_record r;
    int rc;

    if (u->has_meta && u->rec.mr_slot[slot].ms_state == META_SLOT_EMPTY &&
        u->rec.mr_trial_slot != slot) {
        return 0;
    }
    if (u->has_meta) {
        r = u->rec;
    } else {
        memset(&r, 0, sizeof(r));
        r.mr_active = META_NO_SLOT;
        r.mr_trial_slot = META_NO_SLOT;
    }
    memset(&r.mr_slot[slot], 0, sizeof(r.mr_slot[slot]));
    r.mr_slot[slot].ms_state = META_SLOT_EMPTY;
    if (r.mr_trial_slot == slot) {
        r.mr_trial_slot = META_NO_SLOT;
    }
    rc = meta_commit(&r);
    if (rc != 0) {
        return rc;
    }
    u->rec = r;
    u->has_meta = 1;
    return 0;
}

/* Erase the sectors of @p slot that [0, size) touches. */
static int update_erase(uint8_t slot, uint32_t size)
{
    uint32_t first = LAYOUT_SLOT_FIRST_SECTOR(slot);
    uint32_t covered = 0, s;
    int rc;

    for (s = first; covered < size && s < first + LAYOUT_SLOT_SECTORS; s++) {
        /* A 128 KB sector erase takes up to seconds on the part: refresh
         * the update-mode watchdog before each one. */
        port_watchdog_refresh();
        rc = port_flash_erase_sector(s);
        if (rc != 0) {
            return rc;
        }
        covered += LAYOUT_SECTOR_SIZE(s);
    }
    return 0;
}

/*
 * Resume point per docs/ARCHITECTURE.md: R = start of the first
 * PROTO_MAX_DATA-aligned chunk of the image that is all 0xFF (the image
 * size if none), [R, size) must be all 0xFF, *crc = CRC-32 of [0, R) as
 * stored. @return 1 if resumable, 0 if not (the caller erases), <0 never;
 * *rc receives a port read error.
 *
 * NOTE: a prefix that covers the header is resumable only if the stored
 * header is byte for byte the one BEGIN carries. The prefix CRC alone
 * cannot tell: the header ends with its own CRC-32, so the CRC-32 of every
 * valid header is the same constant (the CRC residue), and two versions
 * whose first payload bytes agree have equal prefix CRCs (found by the
 * power-cut sweep: a cut after the first chunk of 2.0.0, then 3.0.0
 * resumed on top of it and failed END with ECRC).
 */
static int update_find_resume(uint8_t slot, uint32_t size, const struct image_header *h, uint32_t *resume,
                              uint32_t *crc, int *rc)
{
    uint32_t base = LAYOUT_SLOT_ADDR(slot);
    uint32_t r = size, off;
    uint8_t buf[64];

    *rc = 0;
    for (off = 0; off < size; off += PROTO_MAX_DATA) {
        uint32_t n = (size - off < PROTO_MAX_DATA) ? size - off : PROTO_MAX_DATA;
        if (bl_flash_is_erased(base + off, n, rc)) {
            r = off;
            break;
        }
        if (*rc != 0) {
            return 0;
        }
    }
    if (r < size && !bl_flash_is_erased(base + r, size - r, rc)) {
        return 0;
    }
#ifdef FOTA_MUTANT_RESUME_LATE
    /* MUTANT (make mutants, issue 16): the offered resume point is one chunk late. */
    r = (r > 0u && size - r > PROTO_MAX_DATA) ? r + PROTO_MAX_DATA : r;
#endif
    if (r >= IMAGE_HEADER_SIZE) {
        struct image_header stored;
        if (port_flash_read(base, &stored, sizeof(stored)) != 0) {
            *rc = FOTA_EIO;
            return 0;
        }
        if (memcmp(&stored, h, sizeof(stored)) != 0) {
            return 0;
        }
    }
    *crc = 0;
    for (off = 0; off < r;) {
        uint32_t n = (r - off < sizeof(buf)) ? r - off : (uint32_t)sizeof(buf);
        if (port_flash_read(base + off, buf, n) != 0) {
            *rc = FOTA_EIO;
            return 0;
        }
        *crc = crc32_update(*crc, buf, n);
        off += n;
    }
    *resume = r;
    return 1;
}

/* Anti-rollback (docs/SECURITY.md): @return 0; FOTA_EROLLBACK if @p h's
 * security counter is below the device's. */
static int update_check_counter(const struct update_ctx *u, const struct image_header *h)
{
    if (u->has_meta && h->ih_security_counter < u->rec.mr_security_counter) {
        return FOTA_EROLLBACK;
    }
    return 0;
}

static int update_begin(struct update_ctx *u, const struct proto_frame *req, struct update_rsp *rsp)
{
    struct image_header h;
    uint32_t resume = 0, crc = 0;
    uint8_t flags, slot;
    int rc;
    struct bl_line l;

    rsp->len = PROTO_BEGIN_RSP_LEN;
    if (req->len != 1u + IMAGE_HEADER_SIZE) {
        return FOTA_EINVAL;
    }
    /* A new BEGIN always ends the transfer in progress, if any. */
    u->in_progress = 0;
    flags = req->payload[0];
    memcpy(&h, &req->payload[1], sizeof(h));

    if (u->active != META_NO_SLOT) {
        slot = bl_other_slot(u->active);
    } else {
        slot = (h.ih_load_addr == LAYOUT_SLOT_B_ADDR) ? (uint8_t)LAYOUT_SLOT_B : (uint8_t)LAYOUT_SLOT_A;
    }
    rc = image_check_header(&h, slot);
    if (rc == 0 && u->has_meta && h.ih_version < meta_version_floor(&u->rec)) {
        rc = FOTA_EVERSION; /* docs/ARCHITECTURE.md "Downgrade policy" */
    }
    if (rc == 0) {
        rc = update_check_counter(u, &h);
    }
    if (rc == 0) {
        rc = update_mark_empty(u, slot);
    }
    if (rc != 0) {
        update_print_done(slot, h.ih_version, rc);
        return rc;
    }

    u->image_size = image_total_size(&h);
    if ((flags & PROTO_BEGIN_F_FRESH) ||
        !update_find_resume(slot, u->image_size, &h, &resume, &crc, &rc)) {
        if (rc == 0) {
            rc = update_erase(slot, u->image_size);
        }
        if (rc != 0) {
            update_print_done(slot, h.ih_version, rc);
            return rc;
        }
        resume = 0;
        crc = 0;
    }
    u->hdr = h;
    u->target = slot;
    u->next = resume;
    u->in_progress = 1;
#ifdef FOTA_TEST_BROKEN_COMMIT_BEFORE_VERIFY
    /* TEST-ONLY BREAKAGE, built only by tests/sweep (BL_CFLAGS_EXTRA): the
     * new image is committed PENDING before a byte of it is written, let
     * alone verified, so a power cut during the transfer leaves a record
     * naming bytes that are not in the slot. The power-cut sweep must
     * catch it (tests/sweep/broken-commit.sh). */
    {
        struct meta_record r = u->rec;
        r.mr_slot[slot].ms_version = h.ih_version;
        r.mr_slot[slot].ms_size = h.ih_size;
        r.mr_slot[slot].ms_crc32 = h.ih_crc32;
        r.mr_slot[slot].ms_state = META_SLOT_PENDING;
        r.mr_trial_slot = slot;
        if (meta_commit(&r) == 0) {
            u->rec = r;
        }
    }
#endif

    bl_line_start(&l);
    bl_line_str(&l, "update begin slot=");
    bl_line_slot(&l, slot);
    bl_line_str(&l, " version=");
    bl_line_version(&l, h.ih_version);
    bl_line_str(&l, " size=");
    bl_line_u32(&l, u->image_size);
    bl_line_str(&l, " resume=");
    bl_line_u32(&l, resume);
    bl_line_end(&l);

    proto_put_u32(&rsp->payload[1], resume);
    proto_put_u32(&rsp->payload[5], crc);
    return 0;
}

static int update_data(struct update_ctx *u, const struct proto_frame *req, struct update_rsp *rsp)
{
    uint32_t off, n;
    int rc;

    rsp->len = PROTO_DATA_RSP_LEN;
    proto_put_u32(&rsp->payload[1], u->in_progress ? u->next : 0u);
    if (!u->in_progress) {
        return FOTA_EPROTO;
    }
    if (req->len < 5u) {
        return FOTA_EINVAL;
    }
    off = proto_get_u32(req->payload);
    n = (uint32_t)req->len - 4u;
    if (n > PROTO_MAX_DATA) {
        return FOTA_ESIZE;
    }
    if (off > u->image_size || n > u->image_size - off) {
        return FOTA_ERANGE;
    }
    if (off + n <= u->next) {
        /* A retransmission of bytes already programmed: acknowledge, do
         * not program again (idempotent DATA). */
        return 0;
    }
    if (off != u->next) {
        return FOTA_EPROTO;
    }
    /* Exactly one program operation per DATA payload (the harness counts
     * on it). */
#ifdef FOTA_MUTANT_WHOLE_WORDS
    /* MUTANT (make mutants, issue 16): whole words only, a 1-3 byte tail is dropped. */
    rc = (n & ~3u) != 0u ? port_flash_program(LAYOUT_SLOT_ADDR(u->target) + off, &req->payload[4], n & ~3u) : 0;
#else
    rc = port_flash_program(LAYOUT_SLOT_ADDR(u->target) + off, &req->payload[4], n);
#endif
    if (rc != 0) {
        return rc;
    }
    u->next += n;
    proto_put_u32(&rsp->payload[1], u->next);
    return 0;
}

static int update_end(struct update_ctx *u, struct update_rsp *rsp)
{
    struct image_header h;
    struct meta_record r;
    uint8_t slot = u->target;
    int rc;

    if (!u->in_progress) {
        return FOTA_EPROTO;
    }
    if (u->next != u->image_size) {
        return FOTA_ESIZE;
    }
    u->in_progress = 0;
    rc = image_verify(slot, &h);
    if (rc == 0 && memcmp(&h, &u->hdr, sizeof(h)) != 0) {
        rc = FOTA_EPROTO;
    }
    if (rc == 0) {
        rc = update_check_counter(u, &h);
    }
    if (rc == 0) {
        r = u->rec;
        r.mr_slot[slot].ms_version = h.ih_version;
        r.mr_slot[slot].ms_size = h.ih_size;
        r.mr_slot[slot].ms_crc32 = h.ih_crc32;
        r.mr_slot[slot].ms_state = META_SLOT_PENDING;
        r.mr_trial_slot = slot;
        rc = meta_commit(&r);
        if (rc == 0) {
            u->rec = r;
            rsp->reset = 1;
        }
    }
    update_print_done(slot, u->hdr.ih_version, rc);
    return rc;
}

static void update_hello(const struct update_ctx *u, struct update_rsp *rsp)
{
    uint8_t *p = rsp->payload;

    rsp->len = PROTO_HELLO_RSP_LEN;
    p[1] = PROTO_VERSION;
    p[2] = PROTO_ROLE_BOOTLOADER;
    p[3] = u->active;
    proto_put_u32(&p[4], (u->active != META_NO_SLOT) ? u->rec.mr_slot[u->active].ms_version : 0u);
    p[8] = update_target_slot(u);
    proto_put_u16(&p[9], PROTO_MAX_DATA);
    proto_put_u32(&p[11], LAYOUT_SLOT_SIZE);
}

int update_handle(struct update_ctx *u, const struct proto_frame *req, struct update_rsp *rsp)
{
    int rc = 0;

    memset(rsp, 0, sizeof(*rsp));
    rsp->type = (uint8_t)(req->type | PROTO_T_RSP);
    rsp->seq = req->seq;
    rsp->len = 1;
    switch (req->type) {
    case PROTO_T_HELLO:
        update_hello(u, rsp);
        break;
    case PROTO_T_ENTER_UPDATE:
        break; /* already in update mode */
    case PROTO_T_BEGIN:
        rc = update_begin(u, req, rsp);
        break;
    case PROTO_T_DATA:
        rc = update_data(u, req, rsp);
        break;
    case PROTO_T_END:
        rc = update_end(u, rsp);
        break;
    case PROTO_T_ABORT:
        u->in_progress = 0;
        break;
    case PROTO_T_RESET:
        rsp->reset = 1;
        break;
    default:
        rc = FOTA_ENOTSUP;
        break;
    }
    rsp->payload[0] = (uint8_t)rc;
    return rc;
}

static void update_send(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len)
{
    uint8_t out[PROTO_HDR_SIZE + PROTO_HELLO_RSP_LEN + PROTO_CRC_SIZE];
    size_t n;

    if (proto_encode(type, seq, payload, len, out, sizeof(out), &n) == 0) {
        (void)port_link_write(out, (uint32_t)n);
    }
}

/* Refresh the update-mode watchdog after a link read: after every read that
 * waited in vain (idle), and after every UPDATE_WATCHDOG_REFRESH_READS
 * reads that brought bytes (each refresh is a served breakpoint under
 * QEMU, so not one per read).
 * NOTE: progress is counted in reads, not port_ticks_ms(): under QEMU
 * -icount guest time can crawl on a loaded host while the harness's IWDG
 * model counts wall time (docs/ARCHITECTURE.md "The IWDG model"). */
static void update_watchdog_kick(struct update_ctx *u, uint32_t got)
{
    if (got == 0u || ++u->reads_since_refresh >= UPDATE_WATCHDOG_REFRESH_READS) {
        port_watchdog_refresh();
        u->reads_since_refresh = 0;
    }
}

void update_run(struct update_ctx *u)
{
    static struct update_rsp rsp; /* bootloader RAM; update mode never runs from app context */
    uint8_t rx[64];
    int rc;

    port_watchdog_start(UPDATE_WATCHDOG_MS);
    u->last_frame_ms = port_ticks_ms();
    for (;;) {
        uint32_t idle = port_ticks_ms() - u->last_frame_ms;
        uint32_t wait = UPDATE_POLL_MS, got = 0, i;

        if (u->timeout_enabled) {
            struct bl_line l;
            if (idle >= UPDATE_IDLE_TIMEOUT_MS) {
                bl_line_start(&l);
                bl_line_str(&l, "update timeout, rebooting");
                bl_line_end(&l);
                port_reset();
            }
            if (UPDATE_IDLE_TIMEOUT_MS - idle < wait) {
                wait = UPDATE_IDLE_TIMEOUT_MS - idle;
            }
        }
        rc = port_link_read(rx, sizeof(rx), wait, &got);
        update_watchdog_kick(u, got);
        if (rc != 0) {
            /* Bytes were lost: drop the partial frame; the host retries. */
            proto_parser_init(&u->parser);
            continue;
        }
        for (i = 0; i < got; i++) {
            int fr = proto_parser_feed(&u->parser, rx[i]);
            uint8_t status;

            if (fr == PROTO_FEED_FRAME) {
                u->last_frame_ms = port_ticks_ms();
                (void)update_handle(u, &u->parser.frame, &rsp);
                update_send(rsp.type, rsp.seq, rsp.payload, rsp.len);
                if (rsp.reset) {
                    port_reset();
                }
            } else if (fr == PROTO_FEED_BAD_CRC) {
                /* NOTE: no restart of the idle timer: a stream of bad
                 * frames must not keep a device with a valid image here. */
                status = FOTA_ECRC;
                update_send(PROTO_T_NACK, u->parser.frame.seq, &status, 1);
            } else if (fr == PROTO_FEED_TOO_LONG) {
                status = FOTA_ESIZE;
                update_send(PROTO_T_NACK, u->parser.frame.seq, &status, 1);
            }
        }
    }
}
