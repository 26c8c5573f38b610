/**
 * @file rom_an3155-test.c
 * @brief The emulated ST ROM bootloader (harness/link/rom_an3155.c), AN3155:
 * byte-level unit tests, then two independent checks: Debian's stm32flash
 * (an AN3155 client nobody here wrote) over a pty, and our own host master
 * (host/lib/an3155.c + rom_update.c) over a socketpair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "fotahost/rom.h"
#include "fake_rom.h"
#include "link/rom_an3155.h"

static struct hil_flash *fm;
static struct hil_rom *rom;

static int setup(void **state)
{
    (void)state;
    return fake_rom_new(&fm, &rom, hil_rom_init);
}

static int teardown(void **state)
{
    (void)state;
    return fake_rom_free(fm, rom);
}

/* Feed @p n bytes, return the answer in @p ans (cap 512), its length. */
static size_t feed(const uint8_t *in, size_t n, uint8_t *ans)
{
    struct hil_buf out = { 0 };
    hil_rom_feed(rom, in, n, &out);
    size_t len = out.len;
    assert_true(len <= 512);
    if (len > 0) {
        memcpy(ans, out.data, len);
    }
    hil_buf_free(&out);
    return len;
}

static void sync_rom(void)
{
    uint8_t b = 0x7F, a[8];
    assert_int_equal(feed(&b, 1, a), 1);
    assert_int_equal(a[0], HIL_ROM_ACK);
}

static void test_hil_rom_feed_ignores_bytes_before_sync(void **state)
{
    (void)state;
    uint8_t junk[3] = { 0x00, 0x55, 0xFF }, a[8];
    assert_int_equal(feed(junk, 3, a), 0);
    sync_rom();
}

static void test_hil_rom_feed_second_sync_nacked(void **state)
{
    (void)state;
    uint8_t b = 0x7F, a[8];
    sync_rom();
    assert_int_equal(feed(&b, 1, a), 1);
    assert_int_equal(a[0], HIL_ROM_NACK);
}

static void test_hil_rom_feed_get_id_answers_0413(void **state)
{
    (void)state;
    uint8_t c[2] = { 0x02, 0xFD }, a[8];
    sync_rom();
    assert_int_equal(feed(c, 2, a), 5);
    uint8_t want[5] = { 0x79, 0x01, 0x04, 0x13, 0x79 };
    assert_memory_equal(a, want, 5);
}

static void test_hil_rom_feed_get_lists_commands(void **state)
{
    (void)state;
    uint8_t c[2] = { 0x00, 0xFF }, a[32];
    sync_rom();
    assert_int_equal(feed(c, 2, a), 15);
    assert_int_equal(a[1], 11);
    assert_int_equal(a[2], 0x31);
    assert_int_equal(a[9], 0x44);
    assert_int_equal(a[14], 0x79);
}

static void test_hil_rom_feed_bad_complement_nacked(void **state)
{
    (void)state;
    uint8_t c[2] = { 0x02, 0xFC }, a[8];
    sync_rom();
    assert_int_equal(feed(c, 2, a), 1);
    assert_int_equal(a[0], HIL_ROM_NACK);
    /* And the ROM is waiting for a command again. */
    uint8_t ok[2] = { 0x01, 0xFE };
    assert_int_equal(feed(ok, 2, a), 5);
    assert_int_equal(a[1], 0x31);
}

static void test_hil_rom_feed_legacy_erase_nacked(void **state)
{
    (void)state;
    uint8_t c[2] = { 0x43, 0xBC }, a[8];
    sync_rom();
    assert_int_equal(feed(c, 2, a), 1);
    assert_int_equal(a[0], HIL_ROM_NACK);
}

static void addr_bytes(uint32_t addr, uint8_t *b)
{
    b[0] = (uint8_t)(addr >> 24);
    b[1] = (uint8_t)(addr >> 16);
    b[2] = (uint8_t)(addr >> 8);
    b[3] = (uint8_t)addr;
    b[4] = (uint8_t)(b[0] ^ b[1] ^ b[2] ^ b[3]);
}

static void test_hil_rom_feed_write_then_read_flash(void **state)
{
    (void)state;
    uint8_t a[300];
    uint8_t c[2] = { 0x31, 0xCE };
    uint8_t ad[5];
    uint8_t data[1 + 8 + 1] = { 7, 1, 2, 3, 4, 5, 6, 7, 8, 0 };
    for (int i = 0; i < 9; i++) {
        data[9] ^= data[i];
    }
    sync_rom();
    assert_int_equal(feed(c, 2, a), 1);
    addr_bytes(LAYOUT_SLOT_B_ADDR, ad);
    assert_int_equal(feed(ad, 5, a), 1);
    assert_int_equal(a[0], HIL_ROM_ACK);
    assert_int_equal(feed(data, sizeof(data), a), 1);
    assert_int_equal(a[0], HIL_ROM_ACK);
    assert_memory_equal(&fm->mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], &data[1], 8);
    assert_int_equal(rom->programs, 1);

    uint8_t rc[2] = { 0x11, 0xEE }, n[2] = { 7, 0xF8 };
    assert_int_equal(feed(rc, 2, a), 1);
    assert_int_equal(feed(ad, 5, a), 1);
    assert_int_equal(feed(n, 2, a), 9);
    assert_int_equal(a[0], HIL_ROM_ACK);
    assert_memory_equal(&a[1], &data[1], 8);
}

static void test_hil_rom_feed_write_bad_checksum_nacked(void **state)
{
    (void)state;
    uint8_t a[8], ad[5];
    uint8_t c[2] = { 0x31, 0xCE };
    uint8_t data[1 + 4 + 1] = { 3, 0, 0, 0, 0, 0x55 };
    sync_rom();
    feed(c, 2, a);
    addr_bytes(LAYOUT_SLOT_A_ADDR, ad);
    feed(ad, 5, a);
    assert_int_equal(feed(data, sizeof(data), a), 1);
    assert_int_equal(a[0], HIL_ROM_NACK);
    assert_int_equal(fm->mem[LAYOUT_SLOT_A_ADDR - LAYOUT_FLASH_BASE], 0xFF);
}

static void test_hil_rom_feed_write_not_word_multiple_nacked(void **state)
{
    (void)state;
    uint8_t a[8], ad[5];
    uint8_t c[2] = { 0x31, 0xCE };
    uint8_t data[1 + 3 + 1] = { 2, 0, 0, 0, 2 };
    sync_rom();
    feed(c, 2, a);
    addr_bytes(LAYOUT_SLOT_A_ADDR, ad);
    feed(ad, 5, a);
    assert_int_equal(feed(data, sizeof(data), a), 1);
    assert_int_equal(a[0], HIL_ROM_NACK);
}

static void test_hil_rom_feed_read_invalid_address_nacked(void **state)
{
    (void)state;
    uint8_t a[8], ad[5];
    uint8_t c[2] = { 0x11, 0xEE };
    sync_rom();
    feed(c, 2, a);
    addr_bytes(0x40000000u, ad);
    assert_int_equal(feed(ad, 5, a), 1);
    assert_int_equal(a[0], HIL_ROM_NACK);
}

static void test_hil_rom_feed_ext_erase_sector(void **state)
{
    (void)state;
    uint8_t a[8];
    memset(&fm->mem[LAYOUT_SLOT_A_ADDR - LAYOUT_FLASH_BASE], 0, 16);
    memset(&fm->mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], 0, 16);
    uint8_t c[2] = { 0x44, 0xBB };
    uint8_t list[5] = { 0x00, 0x00, 0x00, 0x05, 0x05 };
    sync_rom();
    assert_int_equal(feed(c, 2, a), 1);
    assert_int_equal(feed(list, 5, a), 1);
    assert_int_equal(a[0], HIL_ROM_ACK);
    assert_int_equal(fm->mem[LAYOUT_SLOT_A_ADDR - LAYOUT_FLASH_BASE], 0xFF);
    assert_int_equal(fm->mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], 0x00);
    assert_int_equal(rom->erases, 1);
}

static void test_hil_rom_feed_ext_erase_bad_sector_nacked(void **state)
{
    (void)state;
    uint8_t a[8];
    uint8_t c[2] = { 0x44, 0xBB };
    uint8_t list[5] = { 0x00, 0x00, 0x00, 0x0C, 0x0C };
    sync_rom();
    feed(c, 2, a);
    assert_int_equal(feed(list, 5, a), 1);
    assert_int_equal(a[0], HIL_ROM_NACK);
    assert_int_equal(rom->erases, 0);
}

static void test_hil_rom_feed_go_sets_address(void **state)
{
    (void)state;
    uint8_t a[8], ad[5];
    uint8_t c[2] = { 0x21, 0xDE };
    sync_rom();
    feed(c, 2, a);
    addr_bytes(LAYOUT_FLASH_BASE, ad);
    assert_int_equal(feed(ad, 5, a), 1);
    assert_int_equal(a[0], HIL_ROM_ACK);
    assert_true(rom->go);
    assert_int_equal(rom->go_addr, LAYOUT_FLASH_BASE);
}

static enum hil_rom_answer nack_second_write(void *ctx, uint8_t cmd, uint32_t n)
{
    (void)ctx;
    return cmd == HIL_ROM_WRITE && n == 2 ? HIL_ROM_FORCE_NACK : HIL_ROM_ANSWER;
}

static void test_hil_rom_feed_command_fault_nacks(void **state)
{
    (void)state;
    struct hil_rom_hooks h = { .on_command = nack_second_write };
    hil_rom_init(rom, fm, &h);
    uint8_t c[2] = { 0x31, 0xCE }, a[8];
    sync_rom();
    uint8_t ad[5];
    addr_bytes(LAYOUT_SLOT_A_ADDR, ad);
    assert_int_equal(feed(c, 2, a), 1);
    assert_int_equal(a[0], HIL_ROM_ACK);
    feed(ad, 5, a);
    uint8_t data[6] = { 3, 0, 0, 0, 0, 3 };
    feed(data, 6, a);
    assert_int_equal(feed(c, 2, a), 1);
    assert_int_equal(a[0], HIL_ROM_NACK);
}

/* ---- serving the ROM on a descriptor ---- */

/* Serve @p fd until @p pid exits (or, with pid 0, until EOF/stop). */
static volatile int serve_stop;

static void serve(int fd, pid_t pid, int *status)
{
    struct hil_buf out = { 0 };
    for (;;) {
        if (pid > 0 && waitpid(pid, status, WNOHANG) == pid) {
            break;
        }
        if (serve_stop) {
            break;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 20) <= 0) {
            continue;
        }
        uint8_t buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            if (pid > 0) {
                usleep(1000); /* pty: EIO while no slave is open */
                continue;
            }
            break;
        }
        hil_rom_feed(rom, buf, (size_t)n, &out);
        size_t off = 0;
        while (off < out.len) {
            ssize_t w = write(fd, out.data + off, out.len - off);
            if (w <= 0) {
                break;
            }
            off += (size_t)w;
        }
        out.len = 0;
    }
    hil_buf_free(&out);
}

/* Run stm32flash with @p args on a fresh pty served by the ROM model. */
static int run_stm32flash(const char *const *args, int nargs)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    char slave[128];
    assert_int_equal(ptsname_r(m, slave, sizeof(slave)), 0);
    int s = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC); /* keep the master from seeing HUP */
    struct termios tio;
    if (s >= 0 && tcgetattr(s, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(s, TCSANOW, &tio);
    }
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[32];
        int n = 0;
        argv[n++] = "stm32flash";
        for (int i = 0; i < nargs; i++) {
            argv[n++] = args[i];
        }
        argv[n++] = slave;
        argv[n] = NULL;
        int lf = open("build/stm32flash-check.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (lf >= 0) {
            dup2(lf, 1);
            dup2(lf, 2);
        }
        execvp("stm32flash", (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    serve(m, pid, &status);
    close(m);
    if (s >= 0) {
        close(s);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_stm32flash_reads_device_id(void **state)
{
    (void)state;
    const char *args[] = { "-b", "115200", "-m", "8n1" };
    assert_int_equal(run_stm32flash(args, 4), 0);
    assert_true(rom->cmd_count[HIL_ROM_GET] >= 1);
    assert_true(rom->cmd_count[HIL_ROM_GET_ID] >= 1);
}

static void test_stm32flash_write_verify_read_go(void **state)
{
    (void)state;
    /* A 40 KB pattern into slot A's first sector. */
    const char *in = "build/stm32flash-check.in.bin", *back = "build/stm32flash-check.back.bin";
    static uint8_t pat[40960];
    for (size_t i = 0; i < sizeof(pat); i++) {
        pat[i] = (uint8_t)(i * 7u + (i >> 8));
    }
    FILE *f = fopen(in, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(pat, 1, sizeof(pat), f), sizeof(pat));
    fclose(f);
    const char *w[] = { "-b", "115200", "-m", "8n1", "-w", in, "-v", "-S", "0x08020000" };
    assert_int_equal(run_stm32flash(w, 9), 0);
    assert_memory_equal(&fm->mem[LAYOUT_SLOT_A_ADDR - LAYOUT_FLASH_BASE], pat, sizeof(pat));
    assert_true(rom->erases >= 1);
    assert_int_equal(fm->mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], 0xFF); /* only what it needed */

    unlink(back);
    hil_rom_init(rom, fm, NULL); /* a new session: the ROM after a reset */
    char range[64];
    snprintf(range, sizeof(range), "0x08020000:%zu", sizeof(pat));
    const char *r[] = { "-b", "115200", "-m", "8n1", "-r", back, "-S", range };
    assert_int_equal(run_stm32flash(r, 8), 0);
    f = fopen(back, "rb");
    assert_non_null(f);
    static uint8_t got[sizeof(pat)];
    assert_int_equal(fread(got, 1, sizeof(got), f), sizeof(got));
    fclose(f);
    assert_memory_equal(got, pat, sizeof(pat));

    hil_rom_init(rom, fm, NULL);
    const char *g[] = { "-b", "115200", "-m", "8n1", "-g", "0x08000000" };
    assert_int_equal(run_stm32flash(g, 6), 0);
    assert_true(rom->go);
    assert_int_equal(rom->go_addr, 0x08000000u);
}

/* ---- our own master against the model ---- */

struct srv { int fd; };

static void *serve_thread(void *arg)
{
    struct srv *s = arg;
    serve(s->fd, 0, NULL);
    return NULL;
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

static void newest(struct meta_record *out, bool *found)
{
    struct meta_record nw;
    bool fnd;
    uint32_t addr;
    int es;
    fh_rom_meta_place(&fm->mem[LAYOUT_META0_ADDR - LAYOUT_FLASH_BASE], &nw, &fnd, &addr, &es);
    *out = nw;
    *found = fnd;
}

static void test_fh_rom_install_marks_slot_pending(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *img = load("build/images/demo-2.0.0-B.img", &len);
    assert_non_null(img);
    /* Slot A confirmed and active, as after a first boot. */
    struct meta_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.mr_magic = META_MAGIC;
    rec.mr_seq = 1;
    rec.mr_active = LAYOUT_SLOT_A;
    rec.mr_trial_slot = META_NO_SLOT;
    rec.mr_slot[0].ms_state = META_SLOT_CONFIRMED;
    rec.mr_crc32 = meta_record_crc(&rec);
    memcpy(&fm->mem[LAYOUT_META0_ADDR - LAYOUT_FLASH_BASE], &rec, sizeof(rec));

    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct srv s = { sv[1] };
    pthread_t th;
    serve_stop = 0;
    assert_int_equal(pthread_create(&th, NULL, serve_thread, &s), 0);
    struct fh_link *l = NULL;
    assert_int_equal(fh_link_from_fd(sv[0], "sp", &l, NULL), 0);
    struct fh_rom r;
    fh_rom_init(&r, &fh_an3155_ops, l);
    struct fh_rom_install_opts o = { .verify = true, .quiet = true };
    struct fh_rom_install_result res;
    struct fh_msg m = { { 0 } };
    int rc = fh_rom_install(&r, NULL, img, len, &o, &res, &m);
    fh_link_close(l); /* EOF ends the server */
    pthread_join(th, NULL);
    close(sv[1]);
    assert_int_equal(rc, 0);
    assert_int_equal(res.target_slot, LAYOUT_SLOT_B);
    assert_memory_equal(&fm->mem[LAYOUT_SLOT_B_ADDR - LAYOUT_FLASH_BASE], img, len);
    struct meta_record nw;
    bool found;
    newest(&nw, &found);
    assert_true(found);
    assert_int_equal(nw.mr_seq, 2);
    assert_int_equal(nw.mr_trial_slot, LAYOUT_SLOT_B);
    assert_int_equal(nw.mr_slot[1].ms_state, META_SLOT_PENDING);
    assert_int_equal(nw.mr_active, LAYOUT_SLOT_A);
}

static void test_fh_rom_install_refuses_active_slot_image(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *img = load("build/images/demo-2.0.0-A.img", &len);
    assert_non_null(img);
    struct meta_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.mr_magic = META_MAGIC;
    rec.mr_seq = 5;
    rec.mr_active = LAYOUT_SLOT_A;
    rec.mr_trial_slot = META_NO_SLOT;
    rec.mr_crc32 = meta_record_crc(&rec);
    memcpy(&fm->mem[LAYOUT_META1_ADDR - LAYOUT_FLASH_BASE], &rec, sizeof(rec));
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct srv s = { sv[1] };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, serve_thread, &s), 0);
    struct fh_link *l = NULL;
    assert_int_equal(fh_link_from_fd(sv[0], "sp", &l, NULL), 0);
    struct fh_rom r;
    fh_rom_init(&r, &fh_an3155_ops, l);
    struct fh_rom_install_opts o = { .verify = false, .quiet = true };
    struct fh_rom_install_result res;
    int rc = fh_rom_install(&r, NULL, img, len, &o, &res, NULL);
    fh_link_close(l);
    pthread_join(th, NULL);
    close(sv[1]);
    assert_int_equal(rc, FOTA_ESLOT);
    assert_int_equal(rom->erases, 0);
}

static void test_fh_rom_meta_place_full_sector_goes_to_other(void **state)
{
    (void)state;
    static uint8_t meta[2 * LAYOUT_META_SECTOR_SIZE];
    memset(meta, 0xFF, sizeof(meta));
    struct meta_record rec;
    memset(&rec, 0, sizeof(rec));
    for (uint32_t i = 0; i < META_RECORDS_PER_SECTOR; i++) {
        rec.mr_magic = META_MAGIC;
        rec.mr_seq = i + 1;
        rec.mr_crc32 = meta_record_crc(&rec);
        memcpy(&meta[i * META_RECORD_SIZE], &rec, sizeof(rec));
    }
    struct meta_record nw;
    bool found;
    uint32_t addr;
    int es;
    fh_rom_meta_place(meta, &nw, &found, &addr, &es);
    assert_true(found);
    assert_int_equal(nw.mr_seq, META_RECORDS_PER_SECTOR);
    assert_int_equal(addr, LAYOUT_META1_ADDR);
    assert_int_equal(es, LAYOUT_META1_SECTOR);
}

static void test_fh_rom_meta_place_factory_uses_meta0(void **state)
{
    (void)state;
    static uint8_t meta[2 * LAYOUT_META_SECTOR_SIZE];
    memset(meta, 0xFF, sizeof(meta));
    struct meta_record nw;
    bool found;
    uint32_t addr;
    int es;
    fh_rom_meta_place(meta, &nw, &found, &addr, &es);
    assert_false(found);
    assert_int_equal(addr, LAYOUT_META0_ADDR);
    assert_int_equal(es, -1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_ignores_bytes_before_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_second_sync_nacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_get_id_answers_0413, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_get_lists_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_bad_complement_nacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_legacy_erase_nacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_write_then_read_flash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_write_bad_checksum_nacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_write_not_word_multiple_nacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_read_invalid_address_nacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_ext_erase_sector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_ext_erase_bad_sector_nacked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_go_sets_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_rom_feed_command_fault_nacks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_rom_meta_place_full_sector_goes_to_other, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_rom_meta_place_factory_uses_meta0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_rom_install_marks_slot_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fh_rom_install_refuses_active_slot_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stm32flash_reads_device_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stm32flash_write_verify_read_go, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
