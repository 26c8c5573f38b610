/**
 * @file target_board-test.c
 * @brief The board backend end to end against the stand-in board
 * (tests/fakes/standin_board.c): QEMU's GDB stub in place of openocd's
 * gdbserver, ptys in place of the console tty, the fake libgpiod chip's
 * power and NRST lines wired to QEMU. The fixture firmware
 * (tests/harness/fixtures/fixture.c) calls the HIL-served flash functions.
 *
 * What is real here: the backend's whole sequencing (power, tty, debug
 * connect, breakpoints, observe/step-over, a triggered cut at the Nth
 * operation, the read-back of the flash the chip holds after the cut, NRST
 * reset, initial programming). What is not: QEMU cannot program its own
 * flash, so torn states come from `flash_ops: serve`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "target/board_profile.h"
#include "target/target_board.h"
#include "../fakes/fake_gpiod.h"
#include "../fakes/standin_board.h"

#ifndef HIL_FIXTURE_ELF
#define HIL_FIXTURE_ELF "build/fw/tests/harness/fixture.elf"
#endif
#ifndef HIL_FIXTURE_BIN
#define HIL_FIXTURE_BIN "build/fw/tests/harness/fixture.bin"
#endif

#ifndef FAKE_OPENOCD
#define FAKE_OPENOCD "build/san/tests/board/bin/openocd"
#endif

#define FIX_MODE_OFF   0xE0000u
#define FIX_MODE_FLASH 1u
#define CHIP "gpiochip9"
#define MAX_REC 64

struct ctx {
    char dir[64];
    struct standin sb;
    struct hil_board_profile *prof;
    struct hil_flash flash;
    struct hil_target *t;
    struct hil_flash_op ops[MAX_REC];
    int n_ops;
    char lines[MAX_REC][160];
    int n_lines;
    enum hil_event_kind evs[MAX_REC];
    char ev_detail[MAX_REC][400];
    int n_evs;
    uint32_t at_seq;
    struct hil_flash_verdict verdict;
};

static void on_flash_op(void *vctx, const struct hil_flash_op *op, struct hil_flash_verdict *v)
{
    struct ctx *c = vctx;
    if (c->n_ops < MAX_REC) {
        c->ops[c->n_ops] = *op;
        c->ops[c->n_ops++].data = NULL;
    }
    if (c->at_seq != 0 && op->seq == c->at_seq) {
        *v = c->verdict;
    }
}

static void on_line(void *vctx, const char *line)
{
    struct ctx *c = vctx;
    if (c->n_lines < MAX_REC) {
        snprintf(c->lines[c->n_lines++], sizeof(c->lines[0]), "%s", line);
    }
}

static void on_event(void *vctx, const struct hil_event *ev)
{
    struct ctx *c = vctx;
    if (c->n_evs < MAX_REC) {
        snprintf(c->ev_detail[c->n_evs], sizeof(c->ev_detail[0]), "%s", ev->detail ? ev->detail : "");
        c->evs[c->n_evs++] = ev->kind;
    }
}

static int find_line(const struct ctx *c, const char *prefix)
{
    for (int i = 0; i < c->n_lines; i++) {
        if (strncmp(c->lines[i], prefix, strlen(prefix)) == 0) {
            return i;
        }
    }
    return -1;
}

static int count_events(const struct ctx *c, enum hil_event_kind k)
{
    int n = 0;
    for (int i = 0; i < c->n_evs; i++) {
        n += c->evs[i] == k;
    }
    return n;
}

static void dump(const struct ctx *c)
{
    for (int i = 0; i < c->n_lines; i++) {
        fprintf(stderr, "  line %s\n", c->lines[i]);
    }
    for (int i = 0; i < c->n_evs; i++) {
        fprintf(stderr, "  event %d %s\n", (int)c->evs[i], c->ev_detail[i]);
    }
}

/* Poll and service until @p prefix is on the console, or power went off. */
static bool run_until(struct ctx *c, const char *prefix, int timeout_ms)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((prefix == NULL || find_line(c, prefix) < 0) && (prefix != NULL || c->t->powered)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms > timeout_ms || (!c->t->powered && prefix != NULL)) {
            fprintf(stderr, "run_until(%s): %s\n", prefix ? prefix : "power off",
                    c->t->powered ? "timed out" : "target off");
            dump(c);
            return false;
        }
        struct pollfd fds[8];
        int to = 50;
        int n = c->t->ops->poll_fds(c->t, fds, 8, &to);
        poll(fds, (nfds_t)n, to);
        assert_int_equal(c->t->ops->service(c->t, fds, n), 0);
    }
    return true;
}

/* chip.img = the fixture + a mode word (+ @p fill_s5 over sector 5 unless 0xFF). */
static void write_chip(struct ctx *c, uint32_t mode, uint8_t fill_s5)
{
    hil_flash_init(&c->flash);
    assert_int_equal(hil_flash_load_file(&c->flash, LAYOUT_FLASH_BASE, HIL_FIXTURE_BIN), 0);
    memcpy(&c->flash.mem[FIX_MODE_OFF], &mode, 4);
    memset(&c->flash.mem[LAYOUT_SECTOR_OFFSET(5)], fill_s5, LAYOUT_SECTOR_SIZE(5));
    char path[128];
    snprintf(path, sizeof(path), "%s/chip.img", c->dir);
    assert_int_equal(hil_flash_save(&c->flash, path), 0);
}

static void make_target(struct ctx *c, const char *flash_ops, bool program)
{
    char prof[1024];
    snprintf(prof, sizeof(prof),
             "board: standin\n"
             "debug: {gdbserver: external, address: 'unix:%s/gdb.sock', chip_id: any, flash_ops: %s}\n"
             "power: {driver: gpio, chip: " CHIP ", line: 3, off_ms: 0, settle_ms: 0}\n"
             "nrst: {chip: " CHIP ", line: 4, active: low}\n"
             "console: {tty: %s}\n"
             "link: {tty: %s}\n"
             "cut_delay_us: 200\n",
             c->dir, flash_ops, c->sb.con_tty, c->sb.link_tty);
    char err[512];
    int rc = hil_board_profile_parse("standin.yaml", prof, strlen(prof), &c->prof, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
    }
    assert_int_equal(rc, 0);
    struct hil_board_opts o = {
        .profile = c->prof, .bootloader_elf = HIL_FIXTURE_ELF, .workdir = c->dir, .program = program,
    };
    struct hil_target_hooks h = { .ctx = c, .on_flash_op = on_flash_op, .on_console_line = on_line,
                                  .on_event = on_event };
    assert_int_equal(hil_board_create(&o, &c->flash, &h, &c->t), 0);
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "/tmp/hilb-XXXXXX");
    if (mkdtemp(c->dir) == NULL) {
        return -1;
    }
    unsetenv("FAKE_OPENOCD_HANG");
    unsetenv("FAKE_OPENOCD_IDCODE");
    fake_gpiod_reset();
    fake_gpiod_add_chip(CHIP, "standin", 16);
    if (standin_start(&c->sb, c->dir, CHIP, 3, 4) != 0) {
        return -1;
    }
    fake_gpiod_on_change(standin_gpio_cb, &c->sb);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    if (c->t != NULL) {
        c->t->ops->destroy(c->t);
    }
    standin_stop(&c->sb);
    hil_board_profile_free(c->prof);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", c->dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", c->dir);
    }
    free(c);
    return 0;
}

/* Observe mode: the chip runs its own flash functions (the fixture's
 * bodies answer 90/91: nothing served them), the backend reports each
 * operation with its data and mirrors it into the model. */
static void test_board_service_observes_flash_ops(void **state)
{
    struct ctx *c = *state;
    write_chip(c, FIX_MODE_FLASH, 0xA5);
    make_target(c, "observe", false);
    assert_int_equal(fake_gpiod_value(CHIP, 3), 0); /* created: power off */
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_int_equal(fake_gpiod_value(CHIP, 3), 1);
    assert_true(run_until(c, "FIX: done", 20000));
    assert_true(find_line(c, "FIX: erase rc=90") >= 0);
    assert_true(find_line(c, "FIX: program rc=91") >= 0);
    /* Out of the port contract: the chip's port answers, nothing observed
     * (the board took programs up to 4096 bytes as flash ops before). */
    assert_true(find_line(c, "FIX: program_empty rc=91") >= 0);
    assert_true(find_line(c, "FIX: program_big rc=91") >= 0);
    assert_int_equal(count_events(c, HIL_EV_BOOT), 1);
    /* erase 5, program 300 @ slot A, program 4 @ +0xF0, erase 3, program 64
     * @ meta 1; sector 0 / boot-region / empty / 2048-byte calls are the
     * port's argument checks. */
    assert_int_equal(c->n_ops, 5);
    assert_int_equal(c->ops[0].kind, HIL_OP_ERASE);
    assert_int_equal(c->ops[0].sector, 5);
    assert_int_equal(c->ops[1].kind, HIL_OP_PROGRAM);
    assert_int_equal(c->ops[1].addr, LAYOUT_SLOT_A_ADDR);
    assert_int_equal(c->ops[1].len, 300);
    assert_int_equal(c->ops[1].region, HIL_REGION_SLOT_A);
    assert_int_equal(c->ops[3].kind, HIL_OP_ERASE);
    assert_int_equal(c->ops[3].sector, 3);
    assert_int_equal(c->ops[4].region, HIL_REGION_META);
    /* Mirrored: erase then program (and the AND of the second program). */
    const uint8_t *s5 = &c->flash.mem[LAYOUT_SECTOR_OFFSET(5)];
    assert_int_equal(s5[7], 7);
    assert_int_equal(s5[0xF1], 0x01);
    assert_int_equal(s5[300], 0xFF);
    assert_int_equal(c->t->ops->power_off(c->t), 0);
    assert_int_equal(fake_gpiod_value(CHIP, 3), 0);
    assert_int_equal(c->sb.power_offs, 1);
}

/* Observe mode, cut at the erase: the relay opens after the chip resumed,
 * and the sector is read back from the chip: it still holds 0xA5 (this
 * chip never erased), which replaces the model's mirror. */
static void test_board_cut_reads_back_what_the_chip_holds(void **state)
{
    struct ctx *c = *state;
    write_chip(c, FIX_MODE_FLASH, 0xA5);
    make_target(c, "observe", false);
    c->at_seq = 1;
    c->verdict.action = HIL_ACT_CUT;
    c->verdict.torn = HIL_TORN_HALF;
    memset(&c->flash.mem[LAYOUT_SECTOR_OFFSET(5)], 0x00, 16); /* a wrong model, to be corrected */
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, NULL, 20000));
    assert_false(c->t->powered);
    assert_int_equal(count_events(c, HIL_EV_POWER_OFF), 1);
    const char *d = c->ev_detail[c->n_evs - 1];
    assert_non_null(strstr(d, "cut 200 us after erase op #1 resumed; sectors 5-5 read back (16 bytes differ"));
    assert_int_equal(c->flash.mem[LAYOUT_SECTOR_OFFSET(5)], 0xA5);
    assert_int_equal(c->flash.mem[LAYOUT_SECTOR_OFFSET(5) + LAYOUT_SECTOR_SIZE(5) - 1], 0xA5);
    /* on, off (cut), on (read back, halted), off */
    assert_int_equal(c->sb.power_ons, 2);
    assert_int_equal(c->sb.power_offs, 2);
    assert_int_equal(fake_gpiod_value(CHIP, 3), 0);
    assert_int_equal(c->n_ops, 1);
    char saved[128];
    snprintf(saved, sizeof(saved), "%s/cut-1.bin", c->dir);
    assert_int_equal(access(saved, R_OK), 0);
}

/* Serve mode (a stub whose chip cannot program itself): the torn half
 * the verdict chose is written to the chip, the cut follows, and what is
 * read back after power-up is that torn state, from the chip's cells
 * (chip.img saved at the relay opening). */
static void test_board_cut_serve_torn_half(void **state)
{
    struct ctx *c = *state;
    write_chip(c, FIX_MODE_FLASH, 0xFF);
    make_target(c, "serve", false);
    c->at_seq = 2;
    c->verdict.action = HIL_ACT_CUT;
    c->verdict.torn = HIL_TORN_HALF;
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, NULL, 20000));
    assert_true(find_line(c, "FIX: erase rc=0") >= 0); /* served */
    const uint8_t *s5 = &c->flash.mem[LAYOUT_SECTOR_OFFSET(5)];
    assert_int_equal(s5[147], 147);
    assert_int_equal(s5[148], 0xFF); /* half of 300 rounded down to a word */
    /* Power up again: the chip boots with that torn sector. */
    c->at_seq = 0;
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, "FIX: boot n=1 s5=0001020304050607", 20000));
}

/* A verdict that the operation does not stick (sweep flash_fault nostick):
 * the function returns 0 before the chip runs it (observe mode: its body
 * would answer 90), and the model keeps the sector as it was. */
static void test_board_drop_verdict_skips_the_op(void **state)
{
    struct ctx *c = *state;
    write_chip(c, FIX_MODE_FLASH, 0xA5);
    make_target(c, "observe", false);
    c->at_seq = 4; /* erase sector 3 */
    c->verdict.action = HIL_ACT_DROP;
    uint8_t *m1 = &c->flash.mem[LAYOUT_META1_ADDR - LAYOUT_FLASH_BASE];
    memset(m1, 0x5A, 128);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, "FIX: done", 20000));
    assert_true(find_line(c, "FIX: erase rc=90") >= 0);  /* the chip ran the others */
    assert_true(find_line(c, "FIX: erase3 rc=0") >= 0);  /* this one it never ran */
    assert_int_equal(m1[100], 0x5A);
    assert_int_equal(c->n_ops, 5);
    assert_int_equal(c->t->ops->power_off(c->t), 0);
}

/* NRST pulse: the chip restarts, the backend sees Reset_Handler again. */
static void test_board_reset_pulses_nrst(void **state)
{
    struct ctx *c = *state;
    write_chip(c, 0xFFFFFFFFu, 0xFF);
    make_target(c, "observe", false);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, "FIX: idle", 20000));
    c->n_lines = 0;
    assert_int_equal(c->t->ops->reset(c->t), 0);
    assert_true(run_until(c, "FIX: boot n=2", 20000));
    assert_int_equal(c->sb.resets, 1);
    assert_int_equal(count_events(c, HIL_EV_BOOT), 2);
    assert_int_equal(fake_gpiod_value(CHIP, 4), 1); /* released */
}

/* Initial programming: the model differs from the chip in sector 5; the
 * first power-on programs it; hil_board_read reads the chip back halted. */
static void test_board_power_on_programs_initial_flash(void **state)
{
    struct ctx *c = *state;
    write_chip(c, 0xFFFFFFFFu, 0xFF);
    make_target(c, "serve", true);
    memcpy(&c->flash.mem[LAYOUT_SECTOR_OFFSET(5)], "\xde\xad\xbe\xef", 4);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, "FIX: boot n=1 s5=deadbeefffffffff", 20000));
    assert_int_equal(c->t->ops->power_off(c->t), 0);
    uint8_t got[8];
    assert_int_equal(hil_board_read(c->t, LAYOUT_SLOT_A_ADDR, got, sizeof(got)), 0);
    assert_memory_equal(got, "\xde\xad\xbe\xef\xff\xff\xff\xff", 8);
    assert_int_equal(fake_gpiod_value(CHIP, 3), 0);
}

/* ---- openocd started by the backend: the stand-in `openocd` executable
 * (tests/board/fake_openocd.c) checks its command line and proxies RSP to
 * the stand-in's QEMU gdbstub, implementing vFlash* and DBGMCU_IDCODE. ---- */

/* A TCP port nobody listens on now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sin);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

static int ocd_port;

static void make_ocd_target(struct ctx *c, const char *serial, const char *chip_id, bool program, int connect_ms)
{
    char prof[1400], sock[128];
    ocd_port = free_port();
    snprintf(sock, sizeof(sock), "%s/gdb.sock", c->dir);
    setenv("FAKE_OPENOCD_TARGET", sock, 1);
    setenv("FAKE_OPENOCD_STLINK", "STANDIN01,OTHER02", 1);
    snprintf(prof, sizeof(prof),
             "board: standin\n"
             "debug: {gdbserver: openocd, openocd: '" FAKE_OPENOCD "', address: 'localhost:%d', stlink_serial: '%s',"
             " chip_id: %s, connect_ms: %d}\n"
             "power: {driver: gpio, chip: " CHIP ", line: 3, off_ms: 0, settle_ms: 0}\n"
             "nrst: {chip: " CHIP ", line: 4, active: low}\n"
             "console: {tty: %s}\n"
             "link: {tty: %s}\n",
             ocd_port, serial, chip_id, connect_ms, c->sb.con_tty, c->sb.link_tty);
    char err[512];
    int rc = hil_board_profile_parse("standin.yaml", prof, strlen(prof), &c->prof, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
    }
    assert_int_equal(rc, 0);
    struct hil_board_opts o = {
        .profile = c->prof, .bootloader_elf = HIL_FIXTURE_ELF, .workdir = c->dir, .program = program,
    };
    struct hil_target_hooks h = { .ctx = c, .on_flash_op = on_flash_op, .on_console_line = on_line,
                                  .on_event = on_event };
    assert_int_equal(hil_board_create(&o, &c->flash, &h, &c->t), 0);
}

/* @return how often @p what occurs in the workdir's openocd.log. */
static int ocd_log_count(const struct ctx *c, const char *what)
{
    char path[128], line[1024];
    snprintf(path, sizeof(path), "%s/openocd.log", c->dir);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        n += strstr(line, what) != NULL;
    }
    if (f != NULL) {
        fclose(f);
    }
    return n;
}

static void assert_error_has(const struct ctx *c, const char *want)
{
    const char *e = hil_board_error(c->t);
    if (strstr(e, want) == NULL) {
        fprintf(stderr, "error: %s\nwanted: %s\n", e, want);
    }
    assert_non_null(strstr(e, want));
}

/* The backend starts openocd with the interface, the ST-LINK serial after
 * it, the target, its gdb port and hardware breakpoints; the first
 * power-on programs the one sector that differs with vFlashErase /
 * vFlashWrite / vFlashDone (observe mode: the chip's flash is only
 * written through them), and the chip boots what they wrote. */
static void test_board_openocd_programs_with_vflash(void **state)
{
    struct ctx *c = *state;
    write_chip(c, 0xFFFFFFFFu, 0xFF);
    make_ocd_target(c, "STANDIN01", "0x413", true, 10000);
    memcpy(&c->flash.mem[LAYOUT_SECTOR_OFFSET(5)], "\xde\xad\xbe\xef", 4);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, "FIX: boot n=1 s5=deadbeefffffffff", 20000));
    assert_int_equal(count_events(c, HIL_EV_BOOT), 1); /* breakpoints set through openocd */
    assert_int_equal(c->t->ops->power_off(c->t), 0);
    char argv[256];
    snprintf(argv, sizeof(argv), "argv: '-f' 'interface/stlink.cfg' '-c' 'adapter serial STANDIN01' '-f' "
             "'target/stm32f4x.cfg' '-c' 'gdb_port %d' '-c' 'gdb_breakpoint_override hard'", ocd_port);
    assert_int_equal(ocd_log_count(c, argv), 1);
    assert_int_equal(ocd_log_count(c, "monitor 'reset halt'"), 1);
    assert_int_equal(ocd_log_count(c, "vFlashErase"), 1); /* only the sector that differs */
    assert_int_equal(ocd_log_count(c, "vFlashErase 0x08020000 0x20000"), 1);
    assert_int_equal(ocd_log_count(c, "vFlashWrite 0x08020000 4 bytes"), 1); /* up to the last non-0xFF byte */
    assert_int_equal(ocd_log_count(c, "vFlashDone: wrote 4 bytes"), 1);
    /* A second power-on: the chip already holds the model, nothing is programmed. */
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, "FIX: boot n=1", 20000));
    assert_int_equal(c->t->ops->power_off(c->t), 0);
    assert_int_equal(ocd_log_count(c, "vFlashErase"), 1);
    /* And it reads back halted, through openocd. */
    uint8_t got[8];
    assert_int_equal(hil_board_read(c->t, LAYOUT_SLOT_A_ADDR, got, sizeof(got)), 0);
    assert_memory_equal(got, "\xde\xad\xbe\xef\xff\xff\xff\xff", 8);
    assert_int_equal(ocd_log_count(c, "Listening on port"), 3);
}

/* openocd exits at once (no ST-LINK with that serial): power_on fails
 * with openocd's own last error line, and the supply is off again. */
static void test_board_openocd_exits_at_once(void **state)
{
    struct ctx *c = *state;
    write_chip(c, 0xFFFFFFFFu, 0xFF);
    make_ocd_target(c, "NOSUCH99", "0x413", false, 10000);
    assert_int_equal(c->t->ops->power_on(c->t), FOTA_EIO);
    assert_false(c->t->powered);
    char want[256];
    snprintf(want, sizeof(want), "openocd exited (status 1) before serving localhost:%d: \"Error: open failed\"; "
             "see %s/openocd.log", ocd_port, c->dir);
    assert_error_has(c, want);
    assert_int_equal(fake_gpiod_value(CHIP, 3), 0);
}

/* openocd keeps running but never opens its port: the wait ends at
 * connect_ms with what its log last said; openocd is stopped. */
static void test_board_openocd_never_opens_its_port(void **state)
{
    struct ctx *c = *state;
    write_chip(c, 0xFFFFFFFFu, 0xFF);
    setenv("FAKE_OPENOCD_HANG", "1", 1);
    /* 1500 ms: long enough for the fake to start and log under load. */
    make_ocd_target(c, "STANDIN01", "0x413", false, 1500);
    assert_int_equal(c->t->ops->power_on(c->t), FOTA_EIO);
    char want[256];
    snprintf(want, sizeof(want), "gdbserver localhost:%d not reachable within 1500 ms: Connection refused "
             "(openocd running, never served it; its log ends \"Info : Target voltage: 0.000000\")", ocd_port);
    assert_error_has(c, want);
    assert_int_equal(fake_gpiod_value(CHIP, 3), 0);
}

/* A chip whose DBGMCU_IDCODE is not the profile's: refused before any
 * breakpoint or programming. */
static void test_board_openocd_wrong_chip_id(void **state)
{
    struct ctx *c = *state;
    write_chip(c, 0xFFFFFFFFu, 0xFF);
    setenv("FAKE_OPENOCD_IDCODE", "0x20036419", 1); /* an STM32F42x */
    make_ocd_target(c, "STANDIN01", "0x413", true, 10000);
    memcpy(&c->flash.mem[LAYOUT_SECTOR_OFFSET(5)], "\xde\xad\xbe\xef", 4);
    assert_int_equal(c->t->ops->power_on(c->t), FOTA_EIO);
    assert_error_has(c, "chip id: DEV_ID 0x419, expected 0x413 (standin.yaml:2 debug.chip_id; STM32F405/407 is "
                        "0x413): another chip, or another ST-LINK");
    assert_int_equal(ocd_log_count(c, "vFlashErase"), 0);
    assert_int_equal(fake_gpiod_value(CHIP, 3), 0);
}

static void test_hil_board_create_missing_gpio_chip(void **state)
{
    struct ctx *c = *state;
    const char *prof = "board: x\ndebug: {gdbserver: external, address: 'unix:/nonexistent/gdb.sock'}\n"
                       "power: {driver: gpio, chip: gpiochip0, line: 3}\nconsole: {tty: /dev/null}\n";
    char err[256];
    assert_int_equal(hil_board_profile_parse("p.yaml", prof, strlen(prof), &c->prof, err, sizeof(err)), 0);
    struct hil_board_opts o = { .profile = c->prof, .bootloader_elf = HIL_FIXTURE_ELF, .workdir = c->dir };
    struct hil_target *t = NULL;
    assert_int_equal(hil_board_create(&o, &c->flash, NULL, &t), FOTA_ENOENT);
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_board_service_observes_flash_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_cut_reads_back_what_the_chip_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_cut_serve_torn_half, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_drop_verdict_skips_the_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_reset_pulses_nrst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_power_on_programs_initial_flash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_openocd_programs_with_vflash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_openocd_exits_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_openocd_never_opens_its_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_board_openocd_wrong_chip_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_board_create_missing_gpio_chip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
