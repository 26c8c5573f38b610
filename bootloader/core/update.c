/**
 * @file update.c
 * @brief Update mode: the target side of the update protocol (update.h,
 * proto.h, docs/ARCHITECTURE.md "Boot and update semantics").
 */
#include <string.h>
#include "bl_private.h"
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

/* The EMPTY record before the first byte of @p slot changes (install.c). */
static int update_mark_empty(struct update_ctx *u, uint8_t slot)
{
    int rc = install_mark_empty(&u->rec, u->has_meta, slot);

    if (rc == 0) {
        u->has_meta = 1;
    }
    return rc;
}

/* Erase the sectors of @p slot that [0, size) touches. */
static int update_erase(uint8_t slot, uint32_t size)
{
    uint32_t off = 0;
    int rc;

    while (off < size) {
        /* A 128 KB sector erase takes up to seconds on the part: refresh
         * the update-mode watchdog before each one. */
        port_watchdog_refresh();
        rc = install_erase_sector(slot, off, &off);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

#ifdef FOTA_TEST_BROKEN_COMMIT_BEFORE_VERIFY
/* TEST-ONLY BREAKAGE, built only by tests/sweep (BL_CFLAGS_EXTRA): the
 * new image is committed PENDING before a byte of it is written, let
 * alone verified, so a power cut during the transfer leaves a record
 * naming bytes that are not in the slot. The power-cut sweep must
 * catch it (tests/sweep/broken-commit.sh). */
static void update_broken_commit(struct update_ctx *u, const struct image_header *h, uint8_t slot)
{
    struct meta_record r = u->rec;

    r.mr_slot[slot].ms_version = h->ih_version;
    r.mr_slot[slot].ms_size = h->ih_size;
    r.mr_slot[slot].ms_crc32 = h->ih_crc32;
    r.mr_slot[slot].ms_state = META_SLOT_PENDING;
    r.mr_trial_slot = slot;
    if (meta_commit(&r) == 0) {
        u->rec = r;
    }
}
#endif

/* "update begin slot=B version=2.0.0 size=N resume=N" */
static void update_print_begin(uint8_t slot, uint32_t version, uint32_t size, uint32_t resume)
{
    struct bl_line l;

    bl_line_start(&l);
    bl_line_str(&l, "update begin slot=");
    bl_line_slot(&l, slot);
    bl_line_str(&l, " version=");
    bl_line_version(&l, version);
    bl_line_str(&l, " size=");
    bl_line_u32(&l, size);
    bl_line_str(&l, " resume=");
    bl_line_u32(&l, resume);
    bl_line_end(&l);
}

static int update_begin(struct update_ctx *u, const struct proto_frame *req, struct update_rsp *rsp)
{
    struct image_header h;
    uint32_t resume = 0, crc = 0;
    uint8_t flags, slot;
    int rc;

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
    rc = install_check(u->has_meta ? &u->rec : NULL, &h, slot);
    if (rc == 0) {
        rc = update_mark_empty(u, slot);
    }
    if (rc != 0) {
        update_print_done(slot, h.ih_version, rc);
        return rc;
    }

    u->image_size = image_total_size(&h);
    if ((flags & PROTO_BEGIN_F_FRESH) ||
        !install_find_resume(slot, u->image_size, &h, &resume, &crc, &rc)) {
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
    update_broken_commit(u, &h, slot);
#endif
    update_print_begin(slot, h.ih_version, u->image_size, resume);

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
    int rc;

    if (!u->in_progress) {
        return FOTA_EPROTO;
    }
    if (u->next != u->image_size) {
        return FOTA_ESIZE;
    }
    u->in_progress = 0;
    rc = install_commit_pending(&u->rec, u->target, &u->hdr);
    if (rc == 0) {
        rsp->reset = 1;
    }
    update_print_done(u->target, u->hdr.ih_version, rc);
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
