/**
 * @file link.c
 * @brief The application's side of the update link (USART1, fota/proto.h):
 * it answers HELLO as PROTO_ROLE_APP and, on ENTER_UPDATE, hands over to
 * the bootloader's update mode through BL_API->ba_enter_update(). Updates
 * themselves (BEGIN/DATA/END) are the bootloader's job: answered EBUSY,
 * except by the `background` variant, which serves them itself
 * (background.c).
 */
#include <stdint.h>
#include <stddef.h>

#include "app.h"
#include "fota/bl_api.h"
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/port.h"
#include "fota/proto.h"
#include "stm32f4.h"

#define LINK_RSP_MAX 16u /* largest response payload here: HELLO, 15 bytes */

static struct proto_parser link_parser;
static uint32_t link_slot;
static int link_via_bl; /* SPI link: the bootloader's driver (bl_api v2) */

/* Encode and send one frame. @return 0; what proto_encode or
 * ba_link_write returned. */
static int link_send_rc(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len)
{
    uint8_t out[PROTO_HDR_SIZE + LINK_RSP_MAX + PROTO_CRC_SIZE];
    size_t n = 0u;
    size_t i;
    int rc = proto_encode(type, seq, payload, len, out, sizeof(out), &n);

    if (rc != 0) {
        return rc;
    }
    if (link_via_bl) {
        return BL_API->ba_link_write(out, (uint32_t)n);
    }
    for (i = 0u; i < n; i++) {
        stm32f4_usart_putc(STM32F4_USART_LINK, out[i]);
    }
    return 0;
}

static void link_send(uint8_t type, uint8_t seq, const uint8_t *payload, uint16_t len)
{
    (void)link_send_rc(type, seq, payload, len);
}

void app_link_tx_probe(void)
{
    uint8_t st = FOTA_EBUSY;
    uint32_t i;

    for (i = 1u; i <= 2u; i++) {
        int rc = link_send_rc(PROTO_T_NACK, (uint8_t)i, &st, 1u);

        app_puts("APP: link write ");
        app_put_u32(i);
        app_puts(": rc=");
        app_put_u32((uint32_t)rc);
        app_puts("\r\n");
    }
}

static void link_status(uint8_t type, uint8_t seq, int status)
{
    uint8_t st = (uint8_t)status;

    link_send((uint8_t)(type | PROTO_T_RSP), seq, &st, 1u);
}

static int link_bl_api_ok(void)
{
    return BL_API->ba_magic == BL_API_MAGIC && BL_API->ba_version >= 1u;
}

static void link_hello(uint8_t seq)
{
    uint8_t rsp[PROTO_HELLO_RSP_LEN];

    /* The running image and the slot an update would go to. */
    rsp[0] = FOTA_OK;
    rsp[1] = PROTO_VERSION;
    rsp[2] = PROTO_ROLE_APP;
    rsp[3] = (uint8_t)link_slot;
    proto_put_u32(&rsp[4], IMAGE_VERSION(APP_VERSION_MAJOR, APP_VERSION_MINOR, APP_VERSION_PATCH));
    rsp[8] = (uint8_t)(link_slot == LAYOUT_SLOT_A ? LAYOUT_SLOT_B : LAYOUT_SLOT_A);
    proto_put_u16(&rsp[9], (uint16_t)PROTO_MAX_DATA);
    proto_put_u32(&rsp[11], LAYOUT_SLOT_SIZE);
    link_send(PROTO_T_HELLO | PROTO_T_RSP, seq, rsp, sizeof(rsp));
}

#if APP_BEHAVIOUR == APP_BACKGROUND
/* BEGIN/DATA/END/ABORT on the running app; after END committed, the switch. */
static void link_background(const struct proto_frame *f)
{
    uint8_t rsp[LINK_RSP_MAX] = { 0 };
    uint16_t len = 1u;
    int reset = 0;

    rsp[0] = (uint8_t)app_bg_handle(f, rsp, &len, &reset);
    link_send((uint8_t)(f->type | PROTO_T_RSP), f->seq, rsp, len);
    if (reset) {
        app_puts("APP: background switch: reset\r\n");
        BL_API->ba_reset(); /* the answer leaves first; the bootloader trials the new image */
    }
}
#endif

static void link_frame(const struct proto_frame *f)
{
    switch (f->type) {
    case PROTO_T_HELLO:
        link_hello(f->seq);
        break;
    case PROTO_T_ENTER_UPDATE:
        if (!link_bl_api_ok()) {
            link_status(f->type, f->seq, FOTA_ENOTSUP);
            break;
        }
        link_status(f->type, f->seq, FOTA_OK);
        app_puts("APP: entering update mode\r\n");
        app_flush();
        BL_API->ba_enter_update(); /* sets the mailbox and resets */
        break;
    case PROTO_T_RESET:
        link_status(f->type, f->seq, FOTA_OK);
        app_flush();
        stm32f4_system_reset();
        break;
    case PROTO_T_BEGIN:
    case PROTO_T_DATA:
    case PROTO_T_END:
    case PROTO_T_ABORT:
#if APP_BEHAVIOUR == APP_BACKGROUND
        link_background(f);
#else
        link_status(f->type, f->seq, FOTA_EBUSY); /* ask for ENTER_UPDATE first */
#endif
        break;
    default:
        link_status(f->type, f->seq, FOTA_ENOTSUP);
        break;
    }
}

void app_link_init(uint32_t running_slot)
{
    link_slot = running_slot;
    proto_parser_init(&link_parser);
    link_via_bl = link_bl_api_ok() && BL_API->ba_version >= 2u && BL_API->ba_link_type() == PORT_LINK_SPI;
}

uint32_t app_running_slot(void)
{
    return link_slot;
}

/* Feed one received byte to the parser and answer complete frames. */
static void link_byte(uint8_t c);

void app_link_poll(void)
{
    uint8_t c;
    int r;

    if (link_via_bl) {
        uint8_t buf[64];
        uint32_t got = 0u;
        uint32_t i;
        if (BL_API->ba_link_read(buf, sizeof(buf), &got) != 0) {
            proto_parser_init(&link_parser);
            return;
        }
        for (i = 0u; i < got; i++) {
            link_byte(buf[i]);
        }
        return;
    }
    for (;;) {
        r = stm32f4_usart_getc(STM32F4_USART_LINK, &c);
        if (r == 0) {
            return;
        }
        if (r < 0) {
            proto_parser_init(&link_parser); /* bytes lost: resynchronise */
            continue;
        }
        link_byte(c);
    }
}

static void link_byte(uint8_t c)
{
    uint8_t st;

    switch (proto_parser_feed(&link_parser, c)) {
    case PROTO_FEED_FRAME:
        link_frame(&link_parser.frame);
        break;
    case PROTO_FEED_BAD_CRC:
        st = FOTA_ECRC;
        link_send(PROTO_T_NACK, link_parser.frame.seq, &st, 1u);
        break;
    case PROTO_FEED_TOO_LONG:
        st = FOTA_ESIZE;
        link_send(PROTO_T_NACK, link_parser.frame.seq, &st, 1u);
        break;
    default:
        break;
    }
}
