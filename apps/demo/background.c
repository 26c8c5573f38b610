/**
 * @file background.c
 * @brief Background update (the `background` variant, APP_BACKGROUND): the
 * running application answers the bootloader's own BEGIN/DATA/END
 * (fota/proto.h, with BEGIN's resume check) on its update link and writes
 * the inactive slot through the services table (fota/bl_api.h,
 * ba_version >= 3), while its main loop keeps the heartbeat and the
 * watchdog going. After END verified and committed the image PENDING, it
 * answers, resets, and the bootloader trials the new image
 * (docs/ARCHITECTURE.md "Background update").
 *
 * State between frames is this file's RAM; every service re-reads the
 * metadata, so nothing here can make the bootloader write outside the
 * inactive slot or boot a half-written one.
 */
#include <stdint.h>
#include <string.h>

#include "app.h"
#include "fota/bl_api.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/proto.h"

static struct {
    struct image_header hdr; /* BEGIN's header */
    uint32_t size;           /* image bytes: header + payload + TLV area */
    uint32_t next;           /* first byte still missing */
    uint8_t  slot;           /* the inactive slot */
    uint8_t  in_progress;    /* BEGIN accepted, no END/ABORT since */
} bg;

static int app_bg_api_ok(void)
{
    return BL_API->ba_magic == BL_API_MAGIC && BL_API->ba_version >= 3u;
}

/* "APP: background <what> slot=<A|B> version=<x.y.z>" (the line goes on). */
static void app_bg_line(const char *what)
{
    app_puts("APP: background ");
    app_puts(what);
    app_puts(" slot=");
    app_puts(LAYOUT_SLOT_NAME(bg.slot));
    app_puts(" version=");
    app_put_version(bg.hdr.ih_version);
}

/* Erase the sectors [0, size) needs, one service call each: the heartbeat
 * and the watchdog run between them (during one erase the CPU stalls on
 * an F4 anyway: code runs from the flash bank being erased). */
static int app_bg_erase(uint32_t size)
{
    uint32_t off = 0;
    int rc = 0;

    while (rc == 0 && off < size) {
        app_tick();
        rc = BL_API->ba_slot_erase(off, &off);
    }
    return rc;
}

/* BEGIN: payload = flags, header. Response: status, resume, CRC of [0, resume). */
static int app_bg_begin(const struct proto_frame *f, uint8_t *rsp, uint16_t *len)
{
    uint32_t resume = 0, crc = 0;
    int rc;

    *len = PROTO_BEGIN_RSP_LEN;
    if (f->len != 1u + IMAGE_HEADER_SIZE) {
        return FOTA_EINVAL;
    }
    bg.in_progress = 0;
    memcpy(&bg.hdr, &f->payload[1], sizeof(bg.hdr));
    bg.size = image_total_size(&bg.hdr);
    bg.slot = (uint8_t)(app_running_slot() == LAYOUT_SLOT_A ? LAYOUT_SLOT_B : LAYOUT_SLOT_A);
    rc = BL_API->ba_slot_begin(&bg.hdr, f->payload[0], &resume, &crc);
    if (rc == 0 && resume == 0u) {
        rc = app_bg_erase(bg.size);
    }
    app_bg_line("begin");
    app_puts(" size=");
    app_put_u32(bg.size);
    app_puts(" resume=");
    app_put_u32(resume);
    app_puts(": ");
    app_puts(fota_strerror(rc));
    app_puts("\r\n");
    if (rc == 0) {
        bg.next = resume;
        bg.in_progress = 1;
        proto_put_u32(&rsp[1], resume);
        proto_put_u32(&rsp[5], crc);
    }
    return rc;
}

/* DATA: payload = offset, bytes; one ba_slot_program each. Response:
 * status, next offset. A retransmission of programmed bytes is acked. */
static int app_bg_data(const struct proto_frame *f, uint8_t *rsp, uint16_t *len)
{
    uint32_t off, n;
    int rc;

    *len = PROTO_DATA_RSP_LEN;
    proto_put_u32(&rsp[1], bg.in_progress ? bg.next : 0u);
    if (!bg.in_progress) {
        return FOTA_EBUSY; /* app_bg_handle(): no transfer here */
    }
    if (f->len < 5u) {
        return FOTA_EINVAL;
    }
    off = proto_get_u32(f->payload);
    n = (uint32_t)f->len - 4u;
    if (off > bg.size || n > bg.size - off) {
        return FOTA_ERANGE;
    }
    if (off + n <= bg.next) {
        return 0;
    }
    if (off != bg.next) {
        return FOTA_EPROTO;
    }
    rc = BL_API->ba_slot_program(off, &f->payload[4], n);
    if (rc != 0) {
        return rc;
    }
    bg.next += n;
    proto_put_u32(&rsp[1], bg.next);
    app_puts("APP: background data next=");
    app_put_u32(bg.next);
    app_puts("\r\n");
    return 0;
}

/* END: verify and commit PENDING (ba_slot_commit); *reset set on success. */
static int app_bg_end(int *reset)
{
    int rc;

    if (!bg.in_progress) {
        return FOTA_EBUSY; /* app_bg_handle(): no transfer here */
    }
    if (bg.next != bg.size) {
        return FOTA_ESIZE;
    }
    bg.in_progress = 0;
    rc = BL_API->ba_slot_commit(&bg.hdr);
    app_bg_line("done");
    app_puts(": ");
    app_puts(fota_strerror(rc));
    app_puts("\r\n");
    *reset = rc == 0;
    return rc;
}

/* NOTE: DATA or END with no transfer in progress is answered EBUSY, not
 * update mode's EPROTO: this application was reset (a power cut, or the
 * switch after END) and the host's answer to an application's EBUSY is
 * right for both: HELLO, then BEGIN again (the resume check keeps what was
 * written), or, after END, "the new image runs: END's answer was lost"
 * (fh_update()). Found by the sweep over SPI: END_RSP lost at the switch's
 * reset, the retransmitted END reached the new image. */
int app_bg_handle(const struct proto_frame *f, uint8_t *rsp, uint16_t *len, int *reset)
{
    *len = 1u;
    *reset = 0;
    if (!app_bg_api_ok()) {
        return FOTA_EBUSY; /* an older bootloader: ask for ENTER_UPDATE */
    }
    switch (f->type) {
    case PROTO_T_BEGIN:
        return app_bg_begin(f, rsp, len);
    case PROTO_T_DATA:
        return app_bg_data(f, rsp, len);
    case PROTO_T_END:
        return app_bg_end(reset);
    default: /* PROTO_T_ABORT */
        bg.in_progress = 0;
        return 0;
    }
}
