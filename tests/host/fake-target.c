/* A scripted target for the host tests (fake-target.h). */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/proto.h"
#include "fota/sha256.h"
#include "fake-target.h"

void fake_dev_init(struct fake_dev *d)
{
    memset(d, 0, sizeof(*d));
    d->role = PROTO_ROLE_BOOTLOADER;
    d->active_slot = LAYOUT_SLOT_A;
    d->active_version = IMAGE_VERSION(1, 0, 0);
    d->target_slot = LAYOUT_SLOT_B;
    d->max_data = PROTO_MAX_DATA;
    d->slot_size = LAYOUT_SLOT_SIZE;
    d->end_status = -1;
    memset(d->flash, 0xFF, sizeof(d->flash));
}

void fake_app_bin(uint8_t *bin, uint32_t len, uint32_t slot, uint32_t seed)
{
    uint32_t i, x = seed * 2654435761u + 1u;

    for (i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        bin[i] = (uint8_t)(x >> 16);
    }
    proto_put_u32(bin, LAYOUT_RAM_BASE + LAYOUT_RAM_SIZE);
    proto_put_u32(bin + 4, LAYOUT_APP_VECTORS(slot) + 0x101u);
}

static int all_ff(const uint8_t *p, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != 0xFFu) {
            return 0;
        }
    }
    return 1;
}

static void send_frame(struct fake_session *s, uint8_t type, uint8_t seq, const uint8_t *pl, uint16_t len)
{
    struct fake_dev *d = s->dev;
    uint8_t out[PROTO_MAX_FRAME];
    size_t n = 0;

    d->n_rsp++;
    if (d->lose_rsp != 0 && d->n_rsp == d->lose_rsp) {
        return;
    }
    if (d->reboot_app_rsp != 0 && d->n_rsp == d->reboot_app_rsp) {
        d->role = PROTO_ROLE_APP;
        d->active_slot = d->reboot_slot;
        d->active_version = d->reboot_version;
        d->target_slot = d->reboot_slot == LAYOUT_SLOT_A ? LAYOUT_SLOT_B : LAYOUT_SLOT_A;
        d->img_size = 0; /* RAM state of the update is gone, the slot stays */
        d->next = 0;
        return;
    }
    if (proto_encode(type, seq, pl, len, out, sizeof(out), &n) != 0) {
        return;
    }
    if (d->corrupt_rsp != 0 && d->n_rsp == d->corrupt_rsp) {
        out[PROTO_HDR_SIZE] ^= 0x01u; /* status byte: the CRC no longer matches */
    }
    if (d->garbage_before_rsp != 0 && d->n_rsp == d->garbage_before_rsp) {
        static const uint8_t junk[] = { 0x00, 0xA5, 0x13, 0xA5, 0xA5, 0x5A, 0x99 };

        (void)!write(s->fd, junk, sizeof(junk) - 4); /* a lone SYNC0 and noise */
    }
    (void)!write(s->fd, out, n);
}

static void rsp_status(struct fake_session *s, const struct proto_frame *f, int st)
{
    uint8_t b = (uint8_t)st;

    send_frame(s, (uint8_t)(f->type | PROTO_T_RSP), f->seq, &b, 1);
}

static void do_hello(struct fake_session *s, const struct proto_frame *f)
{
    struct fake_dev *d = s->dev;
    uint8_t p[PROTO_HELLO_RSP_LEN];

    d->n_hello++;
    p[0] = FOTA_OK;
    p[1] = PROTO_VERSION;
    p[2] = d->role;
    p[3] = d->active_slot;
    proto_put_u32(&p[4], d->active_version);
    p[8] = d->target_slot;
    proto_put_u16(&p[9], d->max_data);
    proto_put_u32(&p[11], d->slot_size);
    send_frame(s, PROTO_T_HELLO | PROTO_T_RSP, f->seq, p, sizeof(p));
}

/* Resume point as docs/ARCHITECTURE.md defines it, in max_data chunks. */
static uint32_t resume_point(struct fake_dev *d)
{
    uint32_t r;

    for (r = 0; r < d->img_size; r += PROTO_MAX_DATA) {
        uint32_t n = d->img_size - r < PROTO_MAX_DATA ? d->img_size - r : PROTO_MAX_DATA;

        if (all_ff(&d->flash[r], n)) {
            break;
        }
    }
    if (r > d->img_size) {
        r = d->img_size;
    }
    if (!all_ff(&d->flash[r], d->img_size - r)) {
        memset(d->flash, 0xFF, sizeof(d->flash)); /* dirty tail: nothing to resume */
        r = 0;
    }
    return r;
}

static void do_begin(struct fake_session *s, const struct proto_frame *f)
{
    struct fake_dev *d = s->dev;
    uint8_t p[PROTO_BEGIN_RSP_LEN];
    uint32_t size, load, r;

    d->n_begin++;
    if (d->role != PROTO_ROLE_BOOTLOADER && !d->background) {
        rsp_status(s, f, FOTA_EBUSY);
        return;
    }
    if (d->begin_status != 0) {
        rsp_status(s, f, d->begin_status);
        return;
    }
    if (f->len != 1u + IMAGE_HEADER_SIZE) {
        rsp_status(s, f, FOTA_ESIZE);
        return;
    }
    load = proto_get_u32(&f->payload[1 + 0x0C]);
    size = proto_get_u32(&f->payload[1 + 0x10]);
    if (load != LAYOUT_SLOT_ADDR(d->target_slot) && !(d->any_slot && load == LAYOUT_SLOT_B_ADDR)) {
        rsp_status(s, f, FOTA_ESLOT);
        return;
    }
    if (size == 0 || size > IMAGE_MAX_PAYLOAD) {
        rsp_status(s, f, FOTA_ESIZE);
        return;
    }
    memcpy(d->hdr, &f->payload[1], IMAGE_HEADER_SIZE);
    d->img_size = IMAGE_HEADER_SIZE + size;
    if ((f->payload[0] & PROTO_BEGIN_F_FRESH) != 0) {
        d->n_fresh++;
        memset(d->flash, 0xFF, sizeof(d->flash));
        r = 0;
    } else {
        r = resume_point(d);
    }
    d->next = r;
    d->last_resume = r;
    p[0] = FOTA_OK;
    proto_put_u32(&p[1], r);
    proto_put_u32(&p[5], crc32_update(0, d->flash, r));
    send_frame(s, PROTO_T_BEGIN | PROTO_T_RSP, f->seq, p, sizeof(p));
}

static void do_data(struct fake_session *s, const struct proto_frame *f)
{
    struct fake_dev *d = s->dev;
    uint8_t p[PROTO_DATA_RSP_LEN];
    uint32_t off, n, i;
    int st = FOTA_OK;

    if (d->role != PROTO_ROLE_BOOTLOADER && !d->background) {
        rsp_status(s, f, FOTA_EBUSY); /* as apps/demo/link.c: ENTER_UPDATE first */
        return;
    }
    if (d->img_size == 0 || f->len < 5) {
        rsp_status(s, f, f->len < 5 ? FOTA_ESIZE : FOTA_EPROTO);
        return;
    }
    off = proto_get_u32(f->payload);
    n = f->len - 4u;
    if (n > d->max_data || off + n > d->img_size) {
        rsp_status(s, f, FOTA_ERANGE);
        return;
    }
    if (off + n <= d->next) {
        d->n_dup_data++; /* retransmission of programmed data: acknowledge only */
    } else if (off == d->next) {
        for (i = 0; i < n; i++) {
            d->flash[off + i] &= f->payload[4 + i]; /* flash: bits only go 1 -> 0 */
        }
        d->n_program++;
        d->next = off + n;
    } else {
        st = FOTA_EPROTO; /* a gap, or a partial overlap: ask for next */
    }
    p[0] = (uint8_t)st;
    proto_put_u32(&p[1], d->next);
    send_frame(s, PROTO_T_DATA | PROTO_T_RSP, f->seq, p, sizeof(p));
}

static void do_end(struct fake_session *s, const struct proto_frame *f)
{
    struct fake_dev *d = s->dev;
    uint8_t sha[SHA256_DIGEST_SIZE];
    uint32_t psize;
    int st = FOTA_OK;

    d->n_end++;
    if (d->role != PROTO_ROLE_BOOTLOADER && !d->background) {
        rsp_status(s, f, FOTA_EBUSY);
        return;
    }
    if (d->img_size == 0 || d->next != d->img_size) {
        st = FOTA_EPROTO;
    } else {
        psize = d->img_size - IMAGE_HEADER_SIZE;
        sha256(d->flash + IMAGE_HEADER_SIZE, psize, sha);
        if (memcmp(d->flash, d->hdr, IMAGE_HEADER_SIZE) != 0 ||
            crc32_update(0, d->flash + IMAGE_HEADER_SIZE, psize) != proto_get_u32(&d->hdr[0x18])) {
            st = FOTA_ECRC;
        } else if (memcmp(sha, &d->hdr[0x1C], sizeof(sha)) != 0) {
            st = FOTA_ESHA;
        }
    }
    d->end_status = st;
    rsp_status(s, f, st);
}

static void handle(struct fake_session *s, const struct proto_frame *f, uint32_t *drop)
{
    struct fake_dev *d = s->dev;

    d->n_req++;
    if (d->lose_req != 0 && d->n_req == d->lose_req) {
        return;
    }
    if (d->nack_req != 0 && d->n_req == d->nack_req) {
        uint8_t st = FOTA_ECRC;

        send_frame(s, PROTO_T_NACK, f->seq, &st, 1);
        return;
    }
    switch (f->type) {
    case PROTO_T_HELLO:
        do_hello(s, f);
        break;
    case PROTO_T_ENTER_UPDATE:
        d->n_enter++;
        if (d->role == PROTO_ROLE_APP) {
            rsp_status(s, f, FOTA_OK);
            d->role = PROTO_ROLE_BOOTLOADER; /* "reset" into update mode */
            *drop = d->boot_drop_bytes;
        } else {
            rsp_status(s, f, FOTA_EPROTO);
        }
        break;
    case PROTO_T_BEGIN:
        do_begin(s, f);
        break;
    case PROTO_T_DATA:
        do_data(s, f);
        break;
    case PROTO_T_END:
        do_end(s, f);
        break;
    default:
        rsp_status(s, f, FOTA_ENOTSUP);
        break;
    }
}

static void *session_main(void *arg)
{
    struct fake_session *s = arg;
    struct fake_dev *d = s->dev;
    struct proto_parser *p = calloc(1, sizeof(*p));
    uint32_t drop = 0;
    uint8_t buf[512];

    if (p == NULL) {
        return NULL;
    }
    proto_parser_init(p);
    for (;;) {
        ssize_t n = read(s->fd, buf, sizeof(buf));
        ssize_t i;

        if (n <= 0) {
            break;
        }
        for (i = 0; i < n; i++) {
            int r;

            if (drop > 0) {
                drop--;
                continue;
            }
            r = proto_parser_feed(p, buf[i]);
            if (r == PROTO_FEED_BAD_CRC) {
                uint8_t st = FOTA_ECRC;

                d->n_bad_crc++;
                send_frame(s, PROTO_T_NACK, p->frame.seq, &st, 1);
            } else if (r == PROTO_FEED_FRAME) {
                if (p->frame.type == PROTO_T_DATA) {
                    d->n_data++;
                    if (d->disconnect_at_data != 0 && d->n_data == d->disconnect_at_data) {
                        goto out;
                    }
                }
                handle(s, &p->frame, &drop);
            }
        }
    }
out:
    free(p);
    (void)shutdown(s->fd, SHUT_RDWR); /* a socket: the peer sees EOF at once */
    (void)close(s->fd);
    s->fd = -1;
    d->session_done = 1;
    return NULL;
}

int fake_session_start_fd(struct fake_session *s, struct fake_dev *d, int fd)
{
    memset(s, 0, sizeof(*s));
    s->dev = d;
    s->fd = fd;
    d->session_done = 0;
    if (pthread_create(&s->thread, NULL, session_main, s) != 0) {
        return -1;
    }
    return 0;
}

int fake_session_start(struct fake_session *s, struct fake_dev *d)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return -1;
    }
    if (fake_session_start_fd(s, d, sv[1]) != 0) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    return sv[0];
}

void fake_session_join(struct fake_session *s)
{
    (void)pthread_join(s->thread, NULL);
}
