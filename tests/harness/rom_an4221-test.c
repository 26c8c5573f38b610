/**
 * @file rom_an4221-test.c
 * @brief The emulated ST ROM bootloader on I2C1 (harness/link/rom_an4221.c,
 * AN4221 framing over rom_an3155.c's command engine) and the emulated I2C
 * bus (harness/link/i2c_link.c): transaction-level tests that play the
 * master's side of AN4221 by hand, the quirks, malformed i2c-emu requests;
 * then our own master (host/lib/an4221.c + rom_update.c) against the
 * model over i2c-emu on a socketpair, with every quirk on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fotahost/rom.h"
#include "link/i2c_link.h"
#include "fake_rom.h"
#include "link/rom_an4221.h"
#include "scenario/rom_quirks.h"

static struct hil_flash *fm;
static struct hil_rom *rom;

static int setup(void **state)
{
    (void)state;
    return fake_rom_new(&fm, &rom, hil_rom_init_i2c);
}

static int teardown(void **state)
{
    (void)state;
    return fake_rom_free(fm, rom);
}

/* One write transaction; it must be ACKed whole. */
static void wr(const uint8_t *b, size_t n)
{
    size_t acked = 0;
    assert_int_equal(hil_rom_i2c_write(rom, b, n, &acked), HIL_I2C_OK);
    assert_int_equal(acked, n);
}

/* The answer byte (a read of one byte that must be ACKed at the address). */
static uint8_t ack(void)
{
    uint8_t b = 0;
    assert_int_equal(hil_rom_i2c_read(rom, &b, 1), HIL_I2C_OK);
    return b;
}

static uint8_t cmd(uint8_t c)
{
    uint8_t f[2] = { c, (uint8_t)(c ^ 0xFFu) };
    wr(f, 2);
    return ack();
}

/* A frame of @p n bytes followed by their XOR, then its answer. */
static uint8_t block(const uint8_t *b, size_t n)
{
    uint8_t f[300];
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++) {
        f[i] = b[i];
        x ^= b[i];
    }
    f[n] = x;
    wr(f, n + 1u);
    return ack();
}

static uint8_t addr_frame(uint32_t a)
{
    uint8_t b[4] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a };
    return block(b, 4);
}

static void test_hil_rom_i2c_get_version_and_get(void **state)
{
    (void)state;
    uint8_t d[16];
    assert_int_equal(cmd(0x01), HIL_ROM_ACK);
    assert_int_equal(hil_rom_i2c_read(rom, d, 1), HIL_I2C_OK);
    assert_int_equal(d[0], HIL_ROM_I2C_VERSION); /* 3.2: the version byte only */
    assert_int_equal(ack(), HIL_ROM_ACK);
    assert_int_equal(cmd(0x00), HIL_ROM_ACK);
    assert_int_equal(hil_rom_i2c_read(rom, d, 13), HIL_I2C_OK);
    assert_int_equal(d[0], 11);
    assert_int_equal(d[1], 0x10);
    assert_int_equal(d[2], 0x00);
    assert_int_equal(d[12], 0x92);
    assert_int_equal(ack(), HIL_ROM_ACK);
}

static void test_hil_rom_i2c_get_id_answers_0413(void **state)
{
    (void)state;
    uint8_t d[3];
    assert_int_equal(cmd(0x02), HIL_ROM_ACK);
    assert_int_equal(hil_rom_i2c_read(rom, d, 3), HIL_I2C_OK);
    assert_int_equal(d[0], 1);
    assert_int_equal(d[1], 0x04);
    assert_int_equal(d[2], 0x13);
    assert_int_equal(ack(), HIL_ROM_ACK);
}

static void test_hil_rom_i2c_write_then_read_flash(void **state)
{
    (void)state;
    uint8_t data[65];
    data[0] = 63; /* N = 64 - 1 */
    for (int i = 0; i < 64; i++) {
        data[1 + i] = (uint8_t)(i * 7);
    }
    assert_int_equal(cmd(0x31), HIL_ROM_ACK);
    assert_int_equal(addr_frame(LAYOUT_SLOT_B_ADDR), HIL_ROM_ACK);
    assert_int_equal(block(data, 65), HIL_ROM_ACK);
    assert_memory_equal(&fm->mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], &data[1], 64);
    uint8_t nb[2] = { 63, 0xC0 };
    uint8_t back[64];
    assert_int_equal(cmd(0x11), HIL_ROM_ACK);
    assert_int_equal(addr_frame(LAYOUT_SLOT_B_ADDR), HIL_ROM_ACK);
    wr(nb, 2);
    assert_int_equal(ack(), HIL_ROM_ACK);
    assert_int_equal(hil_rom_i2c_read(rom, back, 64), HIL_I2C_OK);
    assert_memory_equal(back, &data[1], 64);
}

/* AN4221 3.8: N + XOR, ACK, then the list + its own XOR. */
static void test_hil_rom_i2c_erase_two_frames(void **state)
{
    (void)state;
    memset(&fm->mem[LAYOUT_SECTOR_OFFSET(8)], 0x00, 16);
    memset(&fm->mem[LAYOUT_SECTOR_OFFSET(9)], 0x00, 16);
    uint8_t n[2] = { 0x00, 0x01 };          /* two sectors */
    uint8_t list[4] = { 0x00, 8, 0x00, 9 };
    assert_int_equal(cmd(0x44), HIL_ROM_ACK);
    assert_int_equal(block(n, 2), HIL_ROM_ACK);
    assert_int_equal(block(list, 4), HIL_ROM_ACK);
    assert_int_equal(fm->mem[LAYOUT_SECTOR_OFFSET(8)], 0xFF);
    assert_int_equal(fm->mem[LAYOUT_SECTOR_OFFSET(9)], 0xFF);
    assert_int_equal(rom->erases, 2);
}

static void test_hil_rom_i2c_erase_bad_frames_nacked(void **state)
{
    (void)state;
    uint8_t bad_n[3] = { 0x00, 0x00, 0x55 }; /* XOR of N wrong */
    assert_int_equal(cmd(0x44), HIL_ROM_ACK);
    wr(bad_n, 3);
    assert_int_equal(ack(), HIL_ROM_NACK);
    uint8_t n[2] = { 0x00, 0x00 };
    uint8_t bad_list[3] = { 0x00, 8, 0x07 };   /* XOR of the list wrong */
    assert_int_equal(cmd(0x44), HIL_ROM_ACK);
    assert_int_equal(block(n, 2), HIL_ROM_ACK);
    wr(bad_list, 3);
    assert_int_equal(ack(), HIL_ROM_NACK);
    uint8_t sector12[2] = { 0x00, 12 };
    assert_int_equal(cmd(0x44), HIL_ROM_ACK);
    assert_int_equal(block(n, 2), HIL_ROM_ACK);
    assert_int_equal(block(sector12, 2), HIL_ROM_NACK);
    uint8_t too_many[2] = { 0x00, 12 };        /* 13 sectors */
    assert_int_equal(cmd(0x44), HIL_ROM_ACK);
    assert_int_equal(block(too_many, 2), HIL_ROM_NACK);
    assert_int_equal(rom->erases, 0);
    assert_int_equal(cmd(0x02), HIL_ROM_ACK);  /* and the ROM still takes commands */
}

static void test_hil_rom_i2c_bad_command_and_unowed_read(void **state)
{
    (void)state;
    uint8_t b = 0;
    uint8_t bad[2] = { 0x31, 0x31 };
    assert_int_equal(hil_rom_i2c_read(rom, &b, 1), HIL_I2C_ADDR_NACK); /* nothing owed */
    wr(bad, 2);
    assert_int_equal(ack(), HIL_ROM_NACK);
    assert_int_equal(cmd(0x32), HIL_ROM_NACK);  /* no-stretch WRITE: not in protocol v1.0 */
    uint8_t junk[1] = { 0x5A };
    wr(junk, 1);                                /* half a command: the STOP ends the frame */
    assert_int_equal(ack(), HIL_ROM_NACK);
    assert_int_equal(hil_rom_i2c_read(rom, &b, 1), HIL_I2C_ADDR_NACK);
    uint8_t addr_short[3] = { 0x08, 0x08, 0x00 };
    assert_int_equal(cmd(0x11), HIL_ROM_ACK);
    wr(addr_short, 3);                          /* an address frame cut short */
    assert_int_equal(ack(), HIL_ROM_NACK);
    size_t acked = 0;
    assert_int_equal(hil_rom_i2c_write(rom, NULL, 0, &acked), HIL_I2C_OK); /* an address probe */
    assert_int_equal(cmd(0x02), HIL_ROM_ACK);
}

static void test_hil_rom_i2c_write_drops_unread_answers(void **state)
{
    (void)state;
    uint8_t f[2] = { 0x02, 0xFD };
    wr(f, 2); /* GET ID: ACK, N, PID, ACK queued and never read */
    assert_int_equal(cmd(0x01), HIL_ROM_ACK);
    uint8_t v = 0;
    assert_int_equal(hil_rom_i2c_read(rom, &v, 1), HIL_I2C_OK);
    assert_int_equal(v, HIL_ROM_I2C_VERSION);
}

static void test_hil_rom_i2c_quirk_erase_no_ack(void **state)
{
    (void)state;
    rom->quirks = HIL_ROM_QUIRK_ERASE_NO_ACK;
    memset(&fm->mem[LAYOUT_SECTOR_OFFSET(8)], 0x00, 16);
    uint8_t n[2] = { 0x00, 0x00 };
    uint8_t list[2] = { 0x00, 8 };
    uint8_t b = 0;
    assert_int_equal(cmd(0x44), HIL_ROM_ACK);
    assert_int_equal(block(n, 2), HIL_ROM_ACK);
    uint8_t f[3] = { 0x00, 8, 8 };
    wr(f, 3);
    assert_int_equal(hil_rom_i2c_read(rom, &b, 1), HIL_I2C_ADDR_NACK); /* no final ACK */
    assert_int_equal(ack(), HIL_ROM_NACK);                             /* polled again: 0x1F */
    assert_int_equal(ack(), HIL_ROM_NACK);
    assert_int_equal(fm->mem[LAYOUT_SECTOR_OFFSET(8)], 0xFF);          /* though erased */
    (void)list;
    assert_int_equal(cmd(0x02), HIL_ROM_ACK);                          /* the next command is fine */
}

static void test_hil_rom_i2c_quirk_late_param(void **state)
{
    (void)state;
    rom->quirks = HIL_ROM_QUIRK_LATE_PARAM_NACK;
    assert_int_equal(cmd(0x11), HIL_ROM_ACK);
    rom->late_ns = 999000000u;                  /* 0.999 s: still in time */
    assert_int_equal(addr_frame(LAYOUT_SLOT_B_ADDR), HIL_ROM_ACK);
    uint8_t nb[2] = { 3, 0xFC };
    wr(nb, 2);
    assert_int_equal(ack(), HIL_ROM_ACK);
    uint8_t d[4];
    assert_int_equal(hil_rom_i2c_read(rom, d, 4), HIL_I2C_OK);
    assert_int_equal(cmd(0x11), HIL_ROM_ACK);
    rom->late_ns = 1100000000u;                 /* 1.1 s: too late */
    assert_int_equal(addr_frame(LAYOUT_SLOT_B_ADDR), HIL_ROM_NACK);
    assert_int_equal(cmd(0x02), HIL_ROM_ACK);   /* back to waiting for a command */
    rom->quirks = 0;
    assert_int_equal(cmd(0x11), HIL_ROM_ACK);
    rom->late_ns = 5000000000u;                 /* without the quirk: any delay is fine */
    assert_int_equal(addr_frame(LAYOUT_SLOT_B_ADDR), HIL_ROM_ACK);
}

static void test_hil_rom_i2c_quirk_write_128(void **state)
{
    (void)state;
    rom->quirks = HIL_ROM_QUIRK_I2C_WRITE_128;
    uint8_t data[130];
    memset(data, 0xA5, sizeof(data));
    data[0] = 127; /* N: 128 bytes, a 130-byte transaction */
    assert_int_equal(cmd(0x31), HIL_ROM_ACK);
    assert_int_equal(addr_frame(LAYOUT_SLOT_B_ADDR), HIL_ROM_ACK);
    size_t acked = 0;
    assert_int_equal(hil_rom_i2c_write(rom, data, sizeof(data), &acked), HIL_I2C_DATA_NACK);
    assert_int_equal(acked, 127);
    assert_int_equal(ack(), HIL_ROM_NACK);
    assert_int_equal(fm->mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], 0xFF); /* nothing written */
    uint8_t small[66];
    memset(small, 0x5A, sizeof(small));
    small[0] = 63;
    assert_int_equal(cmd(0x31), HIL_ROM_ACK);
    assert_int_equal(addr_frame(LAYOUT_SLOT_B_ADDR), HIL_ROM_ACK);
    assert_int_equal(block(small, 65), HIL_ROM_ACK);
}

static void test_hil_rom_feed_quirk_uart_byte_gap(void **state)
{
    (void)state;
    hil_rom_init(rom, fm, NULL);
    rom->quirks = HIL_ROM_QUIRK_UART_BYTE_GAP;
    struct hil_buf out = { 0 };
    uint8_t sync = 0x7F, get_id[2] = { 0x02, 0xFD };
    hil_rom_feed(rom, &sync, 1, &out);
    hil_rom_feed(rom, get_id, 2, &out);         /* back to back: the complement is lost */
    assert_int_equal(out.len, 1);
    assert_int_equal(rom->gap_lost, 1);
    hil_rom_feed(rom, &get_id[1], 1, &out);     /* sent alone it arrives */
    assert_int_equal(out.len, 6);
    assert_int_equal(out.data[1], HIL_ROM_ACK);
    assert_int_equal(out.data[3], 0x04);
    hil_buf_free(&out);
}

static void test_hil_rom_i2c_power_cut_nacks_address(void **state)
{
    (void)state;
    uint8_t b = 0;
    size_t acked = 0;
    rom->cut = true;
    assert_int_equal(hil_rom_i2c_write(rom, &b, 1, &acked), HIL_I2C_ADDR_NACK);
    assert_int_equal(hil_rom_i2c_read(rom, &b, 1), HIL_I2C_ADDR_NACK);
}

/* ---- the bus: i2c-emu requests ---- */

static enum hil_i2c_status slave_write(void *ctx, const uint8_t *b, size_t n, size_t *acked)
{
    return hil_rom_i2c_write(ctx, b, n, acked);
}

static enum hil_i2c_status slave_read(void *ctx, uint8_t *b, size_t n)
{
    return hil_rom_i2c_read(ctx, b, n);
}

static size_t bus(struct hil_i2c *b, const uint8_t *in, size_t n, uint8_t *ans)
{
    struct hil_i2c_slave s = { .ctx = rom, .addr = HIL_ROM_I2C_ADDR, .write = slave_write, .read = slave_read };
    struct hil_buf out = { 0 };
    hil_i2c_from_master(b, &s, in, n, &out);
    size_t len = out.len;
    if (len > 0) {
        memcpy(ans, out.data, len);
    }
    hil_buf_free(&out);
    return len;
}

static void test_hil_i2c_from_master_requests(void **state)
{
    (void)state;
    struct hil_i2c b;
    uint8_t a[64];
    hil_i2c_init(&b);
    static const uint8_t w[] = { 'W', 0x39, 2, 0, 0x02, 0xFD };
    assert_int_equal(bus(&b, w, 3, a), 0);              /* split: nothing yet */
    assert_int_equal(bus(&b, w + 3, 3, a), 4);
    assert_memory_equal(a, ((uint8_t[]){ 'a', 0, 2, 0 }), 4);
    static const uint8_t r[] = { 'R', 0x39, 1, 0 };
    assert_int_equal(bus(&b, r, 4, a), 5);
    assert_memory_equal(a, ((uint8_t[]){ 'a', 0, 1, 0, HIL_ROM_ACK }), 5);
    static const uint8_t other[] = { 'R', 0x50, 1, 0 };
    assert_int_equal(bus(&b, other, 4, a), 4);
    assert_memory_equal(a, ((uint8_t[]){ 'a', 1, 0, 0 }), 4); /* nobody at 0x50 */
    assert_int_equal(b.writes, 1);
    assert_int_equal(b.reads, 2);
    assert_int_equal(b.addr_nacks, 1);
}

static void test_hil_i2c_from_master_malformed(void **state)
{
    (void)state;
    struct hil_i2c b;
    uint8_t a[64];
    hil_i2c_init(&b);
    static const uint8_t bad[][4] = {
        { 'X', 0x39, 1, 0 },     /* unknown type */
        { 'W', 0x80, 1, 0 },     /* not a 7-bit address */
        { 'R', 0x39, 0, 0 },     /* a read of nothing */
        { 'W', 0x39, 0x01, 0x04 }, /* 1025 bytes */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(bus(&b, bad[i], 4, a), 4);
        assert_memory_equal(a, ((uint8_t[]){ 'a', 3, 0, 0 }), 4);
    }
    assert_int_equal(b.bad, 4);
    static const uint8_t ok[] = { 'W', 0x39, 0, 0 };  /* the stream starts over */
    assert_int_equal(bus(&b, ok, 4, a), 4);
    assert_int_equal(a[1], 0);
}

/* ---- our own master (host/lib/an4221.c) against the model ---- */

static void *serve_thread(void *arg)
{
    int fd = *(int *)arg;
    struct hil_i2c b;
    hil_i2c_init(&b);
    uint8_t in[2048];
    struct hil_i2c_slave s = { .ctx = rom, .addr = HIL_ROM_I2C_ADDR, .write = slave_write, .read = slave_read };
    for (;;) {
        ssize_t n = read(fd, in, sizeof(in));
        if (n <= 0) {
            return NULL;
        }
        struct hil_buf out = { 0 };
        hil_i2c_from_master(&b, &s, in, (size_t)n, &out);
        if (out.len > 0 && write(fd, out.data, out.len) != (ssize_t)out.len) {
            hil_buf_free(&out);
            return NULL;
        }
        hil_buf_free(&out);
    }
}

static uint8_t *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    static uint8_t buf[LAYOUT_SLOT_SIZE];
    *len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return buf;
}

/* Our master on one end of a socketpair, the bus + model served on the other. */
struct master {
    int sv[2];
    pthread_t th;
    struct fh_link *l;
};

static void master_start(struct master *mm, struct fh_rom *r)
{
    char spec[32];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, mm->sv), 0);
    assert_int_equal(pthread_create(&mm->th, NULL, serve_thread, &mm->sv[1]), 0);
    snprintf(spec, sizeof(spec), "i2c-emu:fd:%d", mm->sv[0]);
    assert_int_equal(fh_link_open(spec, 0, &mm->l, NULL), 0);
    fh_rom_init(r, &fh_an4221_ops, mm->l);
}

/* fh_rom_install of demo-2.0.0-B.img, then the server ends. @return its rc. */
static int master_install(struct master *mm, struct fh_rom *r, struct fh_rom_install_result *res,
                          struct fh_msg *m)
{
    size_t len = 0;
    uint8_t *img = load("build/images/demo-2.0.0-B.img", &len);
    assert_non_null(img);
    struct fh_rom_install_opts o = { .verify = true, .quiet = true };
    int rc = fh_rom_install(r, NULL, img, len, &o, res, m);
    fh_link_close(mm->l); /* closes the link's duplicate of sv[0] (fd:N) */
    close(mm->sv[0]);     /* EOF ends the server */
    pthread_join(mm->th, NULL);
    close(mm->sv[1]);
    if (rc == 0) {
        assert_memory_equal(&fm->mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], img, len);
    }
    return rc;
}

static void test_fh_an4221_install_with_every_i2c_quirk(void **state)
{
    (void)state;
    struct master mm;
    struct fh_rom r;
    struct fh_rom_install_result res;
    struct fh_msg m = { { 0 } };
    rom->quirks = HIL_ROM_QUIRK_ERASE_NO_ACK | HIL_ROM_QUIRK_I2C_WRITE_128 | HIL_ROM_QUIRK_LATE_PARAM_NACK;
    master_start(&mm, &r);
    assert_int_equal(r.write_block, FH_ROM_I2C_BLOCK);
    /* The factory state: no metadata, the image goes to B (linked for B). */
    int rc = master_install(&mm, &r, &res, &m);
    if (rc != 0) {
        print_error("%s\n", m.text);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(res.target_slot, LAYOUT_SLOT_B);
    assert_int_equal(r.erase_unacked, 1);
    struct meta_record rec;
    memcpy(&rec, &fm->mem[LAYOUT_META0_ADDR - LAYOUT_FLASH_BASE], sizeof(rec));
    assert_int_equal(meta_record_check(&rec), 0);
    assert_int_equal(rec.mr_slot[1].ms_state, META_SLOT_PENDING);
}

static void test_fh_an4221_write_block_128_fails_on_quirk(void **state)
{
    (void)state;
    struct master mm;
    struct fh_rom r;
    struct fh_rom_install_result res;
    struct fh_msg m = { { 0 } };
    rom->quirks = HIL_ROM_QUIRK_I2C_WRITE_128;
    master_start(&mm, &r);
    r.write_block = 128;
    r.retries = 1;
    assert_int_equal(master_install(&mm, &r, &res, &m), FOTA_EPROTO);
    assert_non_null(strstr(m.text, "NACKed byte 128"));
}

static enum hil_rom_answer silent_first_erase(void *ctx, uint8_t cmd, uint32_t n)
{
    (void)ctx;
    return cmd == 0x44 && n == 1 ? HIL_ROM_SILENT : HIL_ROM_ANSWER;
}

/* An erase that never answered and did not happen: the read-back finds the
 * range not erased, so the master erases again (and does not count it). */
static void test_fh_an4221_unanswered_erase_not_blank_is_retried(void **state)
{
    (void)state;
    struct master mm;
    struct fh_rom r;
    struct fh_rom_install_result res;
    struct fh_msg m = { { 0 } };
    memset(&fm->mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], 0x00, 4096);
    rom->hooks.on_command = silent_first_erase;
    master_start(&mm, &r);
    r.erase_timeout_ms = 100;
    assert_int_equal(master_install(&mm, &r, &res, &m), 0);
    assert_int_equal(rom->cmd_count[0x44], 2);
    assert_int_equal(r.erase_unacked, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_get_version_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_get_id_answers_0413, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_write_then_read_flash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_erase_two_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_erase_bad_frames_nacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_bad_command_and_unowed_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_write_drops_unread_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_quirk_erase_no_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_quirk_late_param, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_quirk_write_128, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_quirk_uart_byte_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_i2c_power_cut_nacks_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_i2c_from_master_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_i2c_from_master_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_an4221_install_with_every_i2c_quirk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_an4221_write_block_128_fails_on_quirk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_an4221_unanswered_erase_not_blank_is_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
