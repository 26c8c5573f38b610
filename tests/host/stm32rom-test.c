/*
 * The ST ROM-bootloader masters: the command layer (host/lib/stm32rom.c)
 * through both of its framings, against a scripted ROM.
 *
 * A test scripts the exchange once, in the command layer's terms (the host
 * sends a command / a frame; the ROM answers ACK or NACK / a data phase),
 * with the frame bytes and checksums written out by hand. The script
 * becomes the exact bytes of the framing under test, and every such test
 * runs twice (main(): ON_BOTH):
 *   - AN3155 over a socketpair: the peer reads the host's bytes one by one
 *     and compares them, and writes the ROM's bytes only when it gets to
 *     them (so a host that waits before it sends fails);
 *   - AN4286 over spi-emu on a pty (host/lib/link_spi.c's wire format):
 *     the peer compares every MOSI byte with the script and answers its
 *     MISO byte, busy 0xA5 where the ROM has nothing to say; every ACK is
 *     the get-ACK procedure (dummy, a busy poll, ACK/NACK, the host's 0x79),
 *     every data phase starts with the dummy byte.
 * What the host sends after the script is kept (extra) and must be nothing
 * (AN3155) or only polls (AN4286, a timeout).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "fotahost/link.h"
#include "fotahost/rom.h"

#define PEER_MAX 1024u
#define PEER_IDLE_MS 20       /* after stop: idle this long and the peer ends */
#define ROM_ACK 0x79u         /* AN3155 section 2 / AN4286 2.2 */
#define ROM_NACK 0x1Fu
#define ROM_BUSY 0xA5u        /* AN4286: MISO while the ROM has nothing to say */
#define ROM_SOF 0x5Au         /* AN4286 2.1, 3 */
#define ROM_SYNC 0x7Fu        /* AN3155 2 */
#define LONG_MS 10000u        /* waits for an answer that comes: generous on a loaded host */
#define SHORT_MS 200u         /* waits for an answer that does not */

/* One step of the script. SPI: a byte time (MOSI expected, MISO answer);
 * USART: a byte the host must send (!from_rom) or the ROM sends. */
struct item {
    uint8_t host;
    uint8_t rom;
    bool from_rom;
    bool gated;       /* the ROM answers only once the test opens the gate (open_gate()) */
};

struct peer {
    bool spi;
    int fd;                   /* USART: the socket's far end; SPI: the pty master */
    pthread_t thread;
    atomic_bool stop;
    atomic_bool gate_open;
    bool preloaded;           /* USART: the ROM's bytes are on the line already (preload()) */
    struct item items[PEER_MAX];
    size_t n;
    /* What happened (read after the join; next also while running). */
    atomic_size_t next;       /* steps played */
    long bad_at;              /* first step the host's byte differed, or -1 */
    uint8_t bad_got;
    bool wire_error;          /* SPI: not a spi-emu request */
    int read_errno;           /* the read that ended the peer before stop: its errno, or -1 (EOF) */
    uint8_t extra[PEER_MAX];  /* host bytes after the script */
    size_t n_extra;
};

struct rig {
    struct peer peer;
    struct fh_link *link;
    struct fh_rom rom;
    struct fh_msg m;
    bool playing;
};

static struct item *item_add(struct peer *p, uint8_t host, uint8_t rom, bool from_rom)
{
    assert_true(p->n < PEER_MAX);
    p->items[p->n] = (struct item){ .host = host, .rom = rom, .from_rom = from_rom };
    return &p->items[p->n++];
}

/* ---- the script, in command-layer terms ---- */

/* The host sends these bytes (a frame, its checksum included). */
static void want(struct peer *p, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        item_add(p, b[i], ROM_BUSY, false);
    }
}

#define WANT(p, ...) want((p), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* The synchronization byte (AN3155 2: 0x7F; AN4286 2.1: 0x5A). */
static void want_sync(struct peer *p)
{
    WANT(p, p->spi ? ROM_SOF : ROM_SYNC);
}

/* A command frame: AN4286 3 starts it with SOF. */
static void want_cmd(struct peer *p, uint8_t cmd)
{
    if (p->spi) {
        WANT(p, ROM_SOF);
    }
    WANT(p, cmd, (uint8_t)(cmd ^ 0xFFu));
}

/* The ROM answers @p a (ACK, NACK, anything). SPI: the get-ACK
 * procedure (AN4286 2.2). @return the answer's step. */
static struct item *answer(struct peer *p, uint8_t a)
{
    struct item *it;
    if (!p->spi) {
        return item_add(p, 0, a, true);
    }
    item_add(p, 0x00, ROM_BUSY, false); /* the dummy byte */
    item_add(p, 0x00, ROM_BUSY, false); /* a busy poll */
    it = item_add(p, 0x00, a, false);
    item_add(p, ROM_ACK, ROM_BUSY, false); /* the host acknowledges */
    return it;
}

/* The ROM answers @p a only once the test calls open_gate() (SPI: busy
 * until then, however long the host polls). */
static void answer_late(struct peer *p, uint8_t a)
{
    answer(p, a)->gated = true;
}

static void ack(struct peer *p)
{
    answer(p, ROM_ACK);
}

static void nack(struct peer *p)
{
    answer(p, ROM_NACK);
}

/* A data phase from the ROM (AN4286 3.x: after a dummy byte). */
static void give(struct peer *p, const uint8_t *b, size_t n)
{
    if (p->spi) {
        item_add(p, 0x00, ROM_BUSY, false);
    }
    for (size_t i = 0; i < n; i++) {
        item_add(p, 0x00, b[i], !p->spi);
    }
}

#define GIVE(p, ...) give((p), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* ---- the peer ---- */

static bool peer_stopped(struct peer *p)
{
    return atomic_load(&p->stop);
}

/* Read @p n bytes; false at EOF, on an error, or once stopped and idle. */
static bool peer_read(struct peer *p, uint8_t *buf, size_t n)
{
    size_t have = 0;
    while (have < n) {
        struct pollfd pf = { .fd = p->fd, .events = POLLIN };
        int pr = poll(&pf, 1, PEER_IDLE_MS);
        if (pr < 0 && errno == EINTR) {
            continue;
        }
        if (pr == 0 && peer_stopped(p)) {
            return false;
        }
        if (pr <= 0) {
            continue;
        }
        ssize_t got = read(p->fd, buf + have, n - have);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            p->read_errno = got < 0 ? errno : -1;
            return false;
        }
        have += (size_t)got;
    }
    return true;
}

static void peer_write(struct peer *p, const uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t put = write(p->fd, b, n);
        if (put <= 0) {
            return;
        }
        b += put;
        n -= (size_t)put;
    }
}

static void peer_check(struct peer *p, const struct item *it, uint8_t host)
{
    if (it->host != host && p->bad_at < 0) {
        p->bad_at = (long)atomic_load(&p->next);
        p->bad_got = host;
    }
}

static void peer_extra(struct peer *p, uint8_t host)
{
    if (p->n_extra < PEER_MAX) {
        p->extra[p->n_extra++] = host;
    }
}

/* One SPI byte time: MOSI @p mosi in, the MISO byte out. */
static uint8_t peer_spi_byte(struct peer *p, uint8_t mosi)
{
    size_t i = atomic_load(&p->next);
    if (i >= p->n) {
        peer_extra(p, mosi);
        return ROM_BUSY;
    }
    const struct item *it = &p->items[i];
    if (it->gated && mosi == 0x00 && !atomic_load(&p->gate_open)) {
        return ROM_BUSY; /* the host keeps polling */
    }
    peer_check(p, it, mosi);
    atomic_store(&p->next, i + 1u);
    return it->rom;
}

/* spi-emu (host/lib/link_spi.c): 'T' len16le MOSI[len] -> 't' flags len16le MISO[len]. */
static void peer_spi(struct peer *p)
{
    uint8_t hdr[3], mosi[4096], ans[4 + 4096];
    while (peer_read(p, hdr, sizeof(hdr))) {
        size_t len = (size_t)hdr[1] | (size_t)hdr[2] << 8;
        if (hdr[0] != 'T' || len > sizeof(mosi) || !peer_read(p, mosi, len)) {
            p->wire_error = hdr[0] != 'T' || len > sizeof(mosi);
            return;
        }
        ans[0] = 't';
        ans[1] = 1u; /* READY */
        ans[2] = hdr[1];
        ans[3] = hdr[2];
        for (size_t i = 0; i < len; i++) {
            ans[4 + i] = peer_spi_byte(p, mosi[i]);
        }
        peer_write(p, ans, 4 + len);
    }
}

static void peer_usart(struct peer *p)
{
    uint8_t b;
    for (size_t i = atomic_load(&p->next); i < p->n; i = atomic_load(&p->next)) {
        const struct item *it = &p->items[i];
        if (it->from_rom) {
            while (it->gated && !atomic_load(&p->gate_open)) {
                if (peer_stopped(p)) {
                    return;
                }
                usleep(1000);
            }
            if (!p->preloaded) {
                peer_write(p, &it->rom, 1);
            }
        } else if (peer_read(p, &b, 1)) {
            peer_check(p, it, b);
        } else {
            return;
        }
        atomic_store(&p->next, i + 1u);
    }
    while (peer_read(p, &b, 1)) {
        peer_extra(p, b);
    }
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    if (p->spi) {
        peer_spi(p);
    } else {
        peer_usart(p);
    }
    return NULL;
}

/* Start the ROM on the script written so far. */
static void play(struct rig *t)
{
    assert_int_equal(pthread_create(&t->peer.thread, NULL, peer_main, &t->peer), 0);
    t->playing = true;
}

/* Stop the ROM once the host has sent all it will. */
static void finish(struct rig *t)
{
    if (t->playing) {
        atomic_store(&t->peer.stop, true);
        assert_int_equal(pthread_join(t->peer.thread, NULL), 0);
        t->playing = false;
    }
}

static void open_gate(struct rig *t)
{
    atomic_store(&t->peer.gate_open, true);
}

/* USART: put all of the ROM's bytes on the line before the host asks, so
 * a short timeout waits only for what the script leaves out. The peer
 * still checks the host's bytes in order. */
static void preload(struct rig *t)
{
    struct peer *p = &t->peer;
    assert_false(p->spi);
    for (size_t i = 0; i < p->n; i++) {
        assert_false(p->items[i].gated);
        if (p->items[i].from_rom) {
            peer_write(p, &p->items[i].rom, 1);
        }
    }
    p->preloaded = true;
}

/* Wait (5 s at most) until the ROM has played @p steps of its script. */
static void wait_played(struct rig *t, size_t steps)
{
    uint32_t start = fh_now_ms();
    while (atomic_load(&t->peer.next) < steps) {
        assert_true(fh_now_ms() - start < 5000u);
        usleep(1000);
    }
}

/* The host sent exactly the script's bytes; after it only AN4286 polls
 * (@p polls_ok: a timed-out get-ACK procedure). */
static void assert_played(struct rig *t, bool polls_ok)
{
    const struct peer *p = &t->peer;
    finish(t);
    if (p->bad_at >= 0) {
        fail_msg("step %ld: the host sent 0x%02x, the script says 0x%02x", p->bad_at, p->bad_got,
                 p->items[p->bad_at].host);
    }
    assert_false(p->wire_error);
    if (atomic_load(&p->next) != p->n) {
        fail_msg("the script stopped at step %zu of %zu (host: %s; peer read errno %d)", atomic_load(&p->next),
                 p->n, t->m.text, p->read_errno);
    }
    for (size_t i = 0; i < p->n_extra; i++) {
        if (!polls_ok || !p->spi || p->extra[i] != 0x00) {
            fail_msg("%zu bytes after the script, byte %zu: 0x%02x", p->n_extra, i, p->extra[i]);
        }
    }
    assert_true(!polls_ok || !p->spi || p->n_extra > 0);
}

/* ---- rigs ---- */

static struct rig *rig_new(bool spi)
{
    struct rig *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->peer.spi = spi;
    t->peer.bad_at = -1;
    atomic_init(&t->peer.stop, false);
    atomic_init(&t->peer.gate_open, false);
    atomic_init(&t->peer.next, 0);
    return t;
}

static void rig_init_rom(struct rig *t, const struct fh_rom_ops *ops)
{
    fh_rom_init(&t->rom, ops, t->link);
    t->rom.timeout_ms = LONG_MS;
    t->rom.erase_timeout_ms = LONG_MS;
}

/* AN3155 over a socketpair. */
static int setup_an3155(void **state)
{
    struct rig *t = rig_new(false);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(fh_link_from_fd(sv[0], "rom", &t->link, NULL), 0);
    t->peer.fd = sv[1];
    rig_init_rom(t, &fh_an3155_ops);
    *state = t;
    return 0;
}

/* AN4286 over spi-emu on a pty. */
static int setup_an4286(void **state)
{
    struct rig *t = rig_new(true);
    char name[128], spec[160];
    struct termios tio;
    int slave = -1;
    assert_int_equal(openpty(&t->peer.fd, &slave, name, NULL, NULL), 0);
    assert_int_equal(tcgetattr(slave, &tio), 0);
    cfmakeraw(&tio);
    assert_int_equal(tcsetattr(slave, TCSANOW, &tio), 0);
    snprintf(spec, sizeof(spec), "spi-emu:%s", name);
    assert_int_equal(fh_link_open_spi(spec, &t->link, NULL), 0);
    close(slave); /* the link has its own */
    rig_init_rom(t, &fh_an4286_ops);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct rig *t = *state;
    finish(t);
    fh_link_close(t->link);
    close(t->peer.fd);
    free(t);
    return 0;
}

static void assert_msg_has(const struct rig *t, const char *text)
{
    if (strstr(t->m.text, text) == NULL) {
        fail_msg("message '%s' lacks '%s'", t->m.text, text);
    }
}

/* The call returned the NACK of frame @p what: FOTA_EPROTO, one NACK
 * counted, the script played to its end. */
static void assert_nacked(struct rig *t, int rc, const char *what)
{
    char text[64];
    assert_int_equal(rc, FOTA_EPROTO);
    assert_played(t, false);
    snprintf(text, sizeof(text), "%s: NACK", what);
    assert_msg_has(t, text);
    assert_int_equal(t->rom.nacks, 1);
}

/* ---- scripts of the commands under test (AN3155 section 3) ---- */

/* 3.3 GET ID up to its data: command, ACK, N, PID 0x0413. */
static void want_get_id(struct peer *p, uint8_t n)
{
    want_cmd(p, 0x02);
    ack(p);
    GIVE(p, n, 0x04, 0x13);
}

/* 3.4 READ MEMORY of 4 bytes at 0x0800_4000 up to its length frame. */
static void want_read4(struct peer *p)
{
    want_cmd(p, 0x11);
    ack(p);
    WANT(p, 0x08, 0x00, 0x40, 0x00, 0x48); /* address, XOR */
    ack(p);
    WANT(p, 0x03, 0xFC);                   /* N = 3, complement */
}

/* 3.6 WRITE MEMORY at 0x0802_0000 up to its data frame. */
static void want_write_at_slot_b(struct peer *p)
{
    want_cmd(p, 0x31);
    ack(p);
    WANT(p, 0x08, 0x02, 0x00, 0x00, 0x0A); /* address, XOR */
    ack(p);
}

/* ---- both framings ---- */

/* AN3155 2: a second 0x7F is answered NACK; AN4286 2.1 likewise for 0x5A.
 * Both mean synchronised, and neither counts as a NACK. */
static void test_fh_rom_sync_ack_or_nack_is_synchronised(void **state)
{
    struct rig *t = *state;
    want_sync(&t->peer);
    ack(&t->peer);
    want_sync(&t->peer);
    nack(&t->peer);
    play(t);
    assert_int_equal(t->rom.ops->sync(&t->rom, &t->m), 0);
    assert_int_equal(t->rom.ops->sync(&t->rom, &t->m), 0);
    assert_played(t, false);
    assert_int_equal(t->rom.nacks, 0);
}

/* GET ID as want_get_id(p, 1) + ack(p) script it: the F4's 0x0413. */
static void assert_get_id_0413(struct rig *t)
{
    uint16_t pid = 0;
    assert_int_equal(t->rom.ops->get_id(&t->rom, &pid, &t->m), 0);
    assert_int_equal(pid, 0x0413);
    assert_played(t, false);
}

static void test_fh_rom_get_id_reads_pid(void **state)
{
    struct rig *t = *state;
    want_get_id(&t->peer, 0x01);
    ack(&t->peer);
    play(t);
    assert_get_id_0413(t);
    assert_int_equal(t->rom.commands, 1);
}

/* N = 2: a 3-byte product ID, not an F4's. */
static void test_fh_rom_get_id_long_pid_is_eproto(void **state)
{
    struct rig *t = *state;
    uint16_t pid = 0x5555;
    want_get_id(&t->peer, 0x02);
    play(t);
    assert_int_equal(t->rom.ops->get_id(&t->rom, &pid, &t->m), FOTA_EPROTO);
    assert_played(t, false);
    assert_msg_has(t, "GET ID: N = 2, expected 1");
    assert_int_equal(pid, 0x5555);
}

static void test_fh_rom_read_reads_block(void **state)
{
    struct rig *t = *state;
    uint8_t buf[4] = { 0 };
    static const uint8_t data[4] = { 0xDE, 0xAD, 0xBE, 0xEF };
    want_read4(&t->peer);
    ack(&t->peer);
    give(&t->peer, data, sizeof(data));
    play(t);
    assert_int_equal(t->rom.ops->read(&t->rom, 0x08004000u, buf, sizeof(buf), &t->m), 0);
    assert_played(t, false);
    assert_memory_equal(buf, data, sizeof(buf));
}

static void test_fh_rom_read_length_nack_is_eproto(void **state)
{
    struct rig *t = *state;
    uint8_t buf[4];
    want_read4(&t->peer);
    nack(&t->peer);
    play(t);
    assert_nacked(t, t->rom.ops->read(&t->rom, 0x08004000u, buf, sizeof(buf), &t->m), "READ length");
}

static void test_fh_rom_write_sends_block_and_checksum(void **state)
{
    struct rig *t = *state;
    static const uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    want_write_at_slot_b(&t->peer);
    WANT(&t->peer, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, 0x0F); /* N = 7, data, XOR of N and data */
    ack(&t->peer);
    play(t);
    assert_int_equal(t->rom.ops->write(&t->rom, 0x08020000u, data, sizeof(data), &t->m), 0);
    assert_played(t, false);
    assert_int_equal(t->rom.commands, 1);
    assert_int_equal(t->rom.nacks, 0);
}

static void test_fh_rom_write_data_nack_is_eproto(void **state)
{
    struct rig *t = *state;
    static const uint8_t data[4] = { 0xFF, 0x00, 0xFF, 0x00 };
    want_write_at_slot_b(&t->peer);
    WANT(&t->peer, 0x03, 0xFF, 0x00, 0xFF, 0x00, 0x03);
    nack(&t->peer);
    play(t);
    assert_nacked(t, t->rom.ops->write(&t->rom, 0x08020000u, data, sizeof(data), &t->m), "WRITE data");
}

static void test_fh_rom_command_nack_is_eproto(void **state)
{
    struct rig *t = *state;
    static const uint8_t data[4] = { 0 };
    want_cmd(&t->peer, 0x31);
    nack(&t->peer);
    play(t);
    assert_nacked(t, t->rom.ops->write(&t->rom, 0x08020000u, data, sizeof(data), &t->m), "command 0x31");
    assert_int_equal(t->rom.commands, 1);
}

/* Out-of-range lengths and counts: FOTA_EINVAL, nothing on the wire. */
static void test_fh_rom_bad_sizes_send_nothing(void **state)
{
    struct rig *t = *state;
    const struct fh_rom_ops *o = t->rom.ops;
    uint8_t buf[FH_ROM_MAX_BLOCK + 4u] = { 0 };
    uint16_t sectors[13] = { 0 };
    play(t);
    assert_int_equal(o->read(&t->rom, 0x08004000u, buf, 0, &t->m), FOTA_EINVAL);
    assert_int_equal(o->read(&t->rom, 0x08004000u, buf, FH_ROM_MAX_BLOCK + 1u, &t->m), FOTA_EINVAL);
    assert_msg_has(t, "read of 257 bytes");
    assert_int_equal(o->write(&t->rom, 0x08020000u, buf, 0, &t->m), FOTA_EINVAL);
    assert_int_equal(o->write(&t->rom, 0x08020000u, buf, 6, &t->m), FOTA_EINVAL);
    assert_int_equal(o->write(&t->rom, 0x08020000u, buf, sizeof(buf), &t->m), FOTA_EINVAL);
    assert_msg_has(t, "a multiple of 4");
    assert_int_equal(o->erase(&t->rom, sectors, 0, &t->m), FOTA_EINVAL);
    assert_int_equal(o->erase(&t->rom, sectors, 13, &t->m), FOTA_EINVAL);
    assert_msg_has(t, "erase of 13 sectors");
    assert_played(t, false);
    assert_int_equal(t->rom.commands, 0);
}

static void test_fh_rom_erase_sends_sector_list(void **state)
{
    struct rig *t = *state;
    static const uint16_t sectors[2] = { 5, 6 };
    want_cmd(&t->peer, 0x44);
    ack(&t->peer);
    WANT(&t->peer, 0x00, 0x01, 0x00, 0x05, 0x00, 0x06, 0x02); /* N-1 = 1, sectors 5 6, XOR */
    ack(&t->peer);
    play(t);
    assert_int_equal(t->rom.ops->erase(&t->rom, sectors, 2, &t->m), 0);
    assert_played(t, false);
}

/* The erase's last ACK is awaited for erase_timeout_ms, not timeout_ms. */
static void test_fh_rom_erase_waits_erase_timeout(void **state)
{
    struct rig *t = *state;
    static const uint16_t sector = 11;
    t->rom.erase_timeout_ms = SHORT_MS;
    want_cmd(&t->peer, 0x44);
    ack(&t->peer);
    WANT(&t->peer, 0x00, 0x00, 0x00, 0x0B, 0x0B);
    play(t);
    assert_int_equal(t->rom.ops->erase(&t->rom, &sector, 1, &t->m), FOTA_ETIMEOUT);
    assert_played(t, true);
    assert_msg_has(t, "EXTENDED ERASE: no ACK within 200 ms");
}

static void test_fh_rom_go_sends_address(void **state)
{
    struct rig *t = *state;
    want_cmd(&t->peer, 0x21);
    ack(&t->peer);
    WANT(&t->peer, 0x08, 0x00, 0x00, 0x00, 0x08);
    ack(&t->peer);
    play(t);
    assert_int_equal(t->rom.ops->go(&t->rom, 0x08000000u, &t->m), 0);
    assert_played(t, false);
}

/* What fh_rom_install() does when a command goes unanswered: it times out
 * (FOTA_ETIMEOUT after timeout_ms, not counted as a NACK), fh_rom_flush()
 * drops the late answer, the repeated command runs clean. A byte stream
 * delivers the late answer unasked (the test waits for it before the
 * flush); SPI holds it until clocked. */
static void test_fh_rom_unanswered_command_times_out_and_flush_recovers(void **state)
{
    struct rig *t = *state;
    uint16_t pid = 0;
    uint32_t t0;
    size_t late;
    t->rom.timeout_ms = SHORT_MS;
    want_cmd(&t->peer, 0x02);
    answer_late(&t->peer, ROM_ACK);
    late = t->peer.n;
    want_get_id(&t->peer, 0x01);
    ack(&t->peer);
    play(t);
    t0 = fh_now_ms();
    assert_int_equal(t->rom.ops->get_id(&t->rom, &pid, &t->m), FOTA_ETIMEOUT);
    assert_true(fh_now_ms() - t0 >= SHORT_MS - 5u);
    assert_msg_has(t, "command 0x02: no ACK within 200 ms");
    open_gate(t);
    if (!t->peer.spi) {
        wait_played(t, late);
    }
    fh_rom_flush(&t->rom);
    t->rom.timeout_ms = LONG_MS;
    assert_get_id_0413(t);
    assert_int_equal(t->rom.nacks, 0);
}

/* ---- one framing ---- */

static void test_an3155_answer_neither_ack_nor_nack_is_eproto(void **state)
{
    struct rig *t = *state;
    want_cmd(&t->peer, 0x21);
    answer(&t->peer, 0x55);
    want_sync(&t->peer);
    answer(&t->peer, 0x00);
    play(t);
    assert_int_equal(t->rom.ops->go(&t->rom, 0x08000000u, &t->m), FOTA_EPROTO);
    assert_msg_has(t, "an3155: command 0x21: 0x55 instead of ACK/NACK");
    assert_int_equal(t->rom.nacks, 1);
    assert_int_equal(t->rom.ops->sync(&t->rom, &t->m), FOTA_EPROTO);
    assert_msg_has(t, "an3155: sync: 0x00 instead of ACK");
    assert_played(t, false);
}

static void test_an3155_read_short_data_times_out(void **state)
{
    struct rig *t = *state;
    uint8_t buf[4];
    want_read4(&t->peer);
    ack(&t->peer);
    GIVE(&t->peer, 0xDE, 0xAD);
    preload(t);
    t->rom.timeout_ms = SHORT_MS;
    play(t);
    assert_int_equal(t->rom.ops->read(&t->rom, 0x08004000u, buf, sizeof(buf), &t->m), FOTA_ETIMEOUT);
    assert_played(t, false);
    assert_msg_has(t, "an3155: READ data: no answer within 200 ms (2 of 4 bytes)");
}

/* AN4286 2.2: MISO other than ACK/NACK (busy 0xA5, a floating 0xFF, 0x00)
 * is polled past. */
static void test_an4286_ack_polls_past_other_bytes(void **state)
{
    struct rig *t = *state;
    static const uint8_t polled[] = { 0xFF, 0x00, 0xA5, 0x7A, ROM_ACK };
    want_cmd(&t->peer, 0x21);
    item_add(&t->peer, 0x00, ROM_BUSY, false); /* the dummy byte */
    for (size_t i = 0; i < sizeof(polled); i++) {
        item_add(&t->peer, 0x00, polled[i], false);
    }
    item_add(&t->peer, ROM_ACK, ROM_BUSY, false);
    WANT(&t->peer, 0x20, 0x00, 0x00, 0x00, 0x20); /* 0x2000_0000, XOR */
    ack(&t->peer);
    play(t);
    assert_int_equal(t->rom.ops->go(&t->rom, 0x20000000u, &t->m), 0);
    assert_played(t, false);
    assert_int_equal(t->rom.nacks, 0);
}

/* AN4286 needs full-duplex transfers: a byte link is refused. */
static void test_an4286_byte_link_is_einval(void **state)
{
    struct fh_link *l = NULL;
    struct fh_rom r;
    struct fh_msg m = { { 0 } };
    uint16_t pid = 0;
    int sv[2];
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(fh_link_from_fd(sv[0], "pair", &l, NULL), 0);
    fh_rom_init(&r, &fh_an4286_ops, l);
    assert_int_equal(r.ops->sync(&r, &m), FOTA_EINVAL);
    assert_non_null(strstr(m.text, "the link is not SPI"));
    assert_int_equal(r.ops->get_id(&r, &pid, &m), FOTA_EINVAL);
    assert_int_equal(r.bytes_out, 0);
    fh_link_close(l);
    close(sv[1]);
}

#define ON(f, proto) { .name = #f " (" #proto ")", .test_func = f, .setup_func = setup_##proto, \
                       .teardown_func = teardown, .initial_state = NULL }
#define ON_BOTH(f) ON(f, an3155), ON(f, an4286)

int main(void)
{
    const struct CMUnitTest tests[] = {
        ON_BOTH(test_fh_rom_sync_ack_or_nack_is_synchronised),
        ON_BOTH(test_fh_rom_get_id_reads_pid),
        ON_BOTH(test_fh_rom_get_id_long_pid_is_eproto),
        ON_BOTH(test_fh_rom_read_reads_block),
        ON_BOTH(test_fh_rom_read_length_nack_is_eproto),
        ON_BOTH(test_fh_rom_write_sends_block_and_checksum),
        ON_BOTH(test_fh_rom_write_data_nack_is_eproto),
        ON_BOTH(test_fh_rom_command_nack_is_eproto),
        ON_BOTH(test_fh_rom_bad_sizes_send_nothing),
        ON_BOTH(test_fh_rom_erase_sends_sector_list),
        ON_BOTH(test_fh_rom_erase_waits_erase_timeout),
        ON_BOTH(test_fh_rom_go_sends_address),
        ON_BOTH(test_fh_rom_unanswered_command_times_out_and_flush_recovers),
        ON(test_an3155_answer_neither_ack_nor_nack_is_eproto, an3155),
        ON(test_an3155_read_short_data_times_out, an3155),
        ON(test_an4286_ack_polls_past_other_bytes, an4286),
        cmocka_unit_test(test_an4286_byte_link_is_einval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
