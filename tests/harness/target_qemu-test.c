/**
 * @file target_qemu-test.c
 * @brief The QEMU target backend driven end to end against a tiny fixture
 * firmware (tests/harness/fixtures/fixture.c): breakpoint-served flash
 * operations, verdicts (apply, fail, torn power cuts), the IWDG model,
 * port_jump, warm reset, power cycles. Prints boots/second and the cost of
 * one served breakpoint.
 *
 * Needs qemu-system-arm; the fixture paths come from the build
 * (HIL_FIXTURE_ELF / HIL_FIXTURE_BIN).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "target/target.h"

#ifndef HIL_FIXTURE_ELF
#define HIL_FIXTURE_ELF "build/fw/tests/harness/fixture.elf"
#endif
#ifndef HIL_FIXTURE_BIN
#define HIL_FIXTURE_BIN "build/fw/tests/harness/fixture.bin"
#endif

#define FIX_MODE_ADDR   0x080E0000u
#define FIX_MODE_FLASH  1u
#define FIX_MODE_WDOG   2u
#define FIX_MODE_JUMP   3u
#define FIX_MODE_BENCH  4u
#define FIX_BENCH_CALLS 2000u

#define MAX_REC 64

struct rec_op {
    struct hil_flash_op op;
    uint8_t data[1024];
};

struct ctx {
    struct hil_flash flash;
    struct hil_target *t;
    char workdir[64];
    /* records */
    struct rec_op ops[MAX_REC];
    int n_ops;
    char lines[MAX_REC][256];
    int n_lines;
    struct hil_event evs[MAX_REC];
    char ev_detail[MAX_REC][256];
    int n_evs;
    int order; /* position counter across lines and events */
    int line_order[MAX_REC];
    int ev_order[MAX_REC];
    /* verdict policy: act on op number `at_seq` */
    uint32_t at_seq;
    struct hil_flash_verdict verdict;
    double first_line_ms;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void on_flash_op(void *vctx, const struct hil_flash_op *op, struct hil_flash_verdict *v)
{
    struct ctx *c = vctx;
    if (c->n_ops < MAX_REC) {
        struct rec_op *r = &c->ops[c->n_ops++];
        r->op = *op;
        if (op->data != NULL) {
            memcpy(r->data, op->data, op->len < sizeof(r->data) ? op->len : sizeof(r->data));
        }
    }
    if (c->at_seq != 0 && op->seq == c->at_seq) {
        *v = c->verdict;
    }
}

static void on_console_line(void *vctx, const char *line)
{
    struct ctx *c = vctx;
    if (c->first_line_ms == 0) {
        c->first_line_ms = now_ms();
    }
    if (c->n_lines < MAX_REC) {
        snprintf(c->lines[c->n_lines], sizeof(c->lines[0]), "%s", line);
        c->line_order[c->n_lines++] = c->order++;
    }
}

static void on_event(void *vctx, const struct hil_event *ev)
{
    struct ctx *c = vctx;
    if (c->n_evs < MAX_REC) {
        c->evs[c->n_evs] = *ev;
        snprintf(c->ev_detail[c->n_evs], sizeof(c->ev_detail[0]), "%s", ev->detail ? ev->detail : "");
        c->evs[c->n_evs].detail = c->ev_detail[c->n_evs];
        c->ev_order[c->n_evs++] = c->order++;
    }
}

static int find_line(const struct ctx *c, const char *text)
{
    for (int i = 0; i < c->n_lines; i++) {
        if (strcmp(c->lines[i], text) == 0) {
            return i;
        }
    }
    return -1;
}

static int count_events(const struct ctx *c, enum hil_event_kind k)
{
    int n = 0;
    for (int i = 0; i < c->n_evs; i++) {
        n += c->evs[i].kind == k;
    }
    return n;
}

static int find_event(const struct ctx *c, enum hil_event_kind k, int nth)
{
    for (int i = 0; i < c->n_evs; i++) {
        if (c->evs[i].kind == k && nth-- == 0) {
            return i;
        }
    }
    return -1;
}

static void dump(const struct ctx *c)
{
    for (int i = 0; i < c->n_lines; i++) {
        fprintf(stderr, "  line[%d] %s\n", c->line_order[i], c->lines[i]);
    }
    for (int i = 0; i < c->n_evs; i++) {
        fprintf(stderr, "  event[%d] kind=%d value=0x%x %s\n", c->ev_order[i], (int)c->evs[i].kind,
                c->evs[i].value, c->evs[i].detail);
    }
}

/* The runner's loop in miniature: poll the target's fds, service. */
typedef bool (*until_fn)(const struct ctx *c, const void *arg);

static bool until_line(const struct ctx *c, const void *arg)
{
    return find_line(c, arg) >= 0;
}

static bool until_power_off(const struct ctx *c, const void *arg)
{
    (void)arg;
    return !c->t->powered;
}

static bool until_event(const struct ctx *c, const void *arg)
{
    const int *want = arg; /* {kind, count} */
    return count_events(c, (enum hil_event_kind)want[0]) >= want[1];
}

static bool until_any_line(const struct ctx *c, const void *arg)
{
    (void)arg;
    return c->n_lines > 0;
}

static bool run_until(struct ctx *c, until_fn fn, const void *arg, int timeout_ms)
{
    double end = now_ms() + timeout_ms;
    while (!fn(c, arg)) {
        double left = end - now_ms();
        if (left <= 0) {
            fprintf(stderr, "run_until: timed out\n");
            dump(c);
            return false;
        }
        struct pollfd fds[8];
        int to = (int)left;
        int n = c->t->ops->poll_fds(c->t, fds, 8, &to);
        if (n == 0 && !c->t->powered) {
            return fn(c, arg);
        }
        poll(fds, (nfds_t)n, to);
        int rc = c->t->ops->service(c->t, fds, n);
        if (rc != 0) {
            fprintf(stderr, "service: %d\n", rc);
            dump(c);
            return false;
        }
    }
    return true;
}

static void set_mode(struct ctx *c, uint32_t mode)
{
    memcpy(&c->flash.mem[FIX_MODE_ADDR - LAYOUT_FLASH_BASE], &mode, 4);
}

static struct ctx *ctx_new(uint32_t mode, const char *qemu, double wd_scale)
{
    struct ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    hil_flash_init(&c->flash);
    assert_int_equal(hil_flash_load_file(&c->flash, LAYOUT_FLASH_BASE, HIL_FIXTURE_BIN), 0);
    set_mode(c, mode);
    snprintf(c->workdir, sizeof(c->workdir), "/tmp/hil-qemu-test.XXXXXX");
    assert_non_null(mkdtemp(c->workdir));
    struct hil_qemu_opts o = {
        .qemu = qemu,
        .bootloader_elf = HIL_FIXTURE_ELF,
        .workdir = c->workdir,
        .icount_shift = 4,
        .verbose = getenv("HIL_VERBOSE") != NULL,
        .watchdog_scale = wd_scale,
    };
    struct hil_target_hooks h = { .ctx = c, .on_flash_op = on_flash_op,
                                  .on_console_line = on_console_line, .on_event = on_event };
    assert_int_equal(hil_qemu_create(&o, &c->flash, &h, &c->t), 0);
    assert_string_equal(c->t->ops->name, "qemu");
    return c;
}

static void ctx_free(struct ctx *c)
{
    c->t->ops->destroy(c->t);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->workdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", c->workdir);
    }
    free(c);
}

/* ---- tests ---- */

static void test_power_on_flash_ops_served_and_read_back(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(FIX_MODE_FLASH, NULL, 0);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(c->t->powered);
    assert_int_equal(c->t->ops->power_on(c->t), FOTA_EBUSY);
    assert_true(c->t->ops->link_fd(c->t) >= 0);
    assert_true(run_until(c, until_line, "FIX: done", 10000));
    if (find_line(c, "FIX: readback bad=0") < 0) {
        dump(c);
    }
    assert_true(find_line(c, "FIX: erase rc=0") >= 0);
    assert_true(find_line(c, "FIX: program rc=0") >= 0);
    assert_true(find_line(c, "FIX: readback bad=0") >= 0);
    assert_true(find_line(c, "FIX: program2 rc=0") >= 0);
    assert_true(find_line(c, "FIX: and=00010203") >= 0);
    assert_true(find_line(c, "FIX: erase0 rc=15") >= 0);   /* FOTA_ERANGE: bootloader sector */
    assert_true(find_line(c, "FIX: program0 rc=15") >= 0);
    assert_true(find_line(c, "FIX: erase3 rc=0") >= 0);
    assert_true(find_line(c, "FIX: program3 rc=0") >= 0);
    /* The port contract (port_flash_check_program), as on the chip. */
    assert_true(find_line(c, "FIX: program_empty rc=15") >= 0);
    assert_true(find_line(c, "FIX: program_big rc=15") >= 0);
    /* BOOT first, before the first console line. */
    assert_int_equal(c->evs[0].kind, HIL_EV_BOOT);
    assert_true(c->ev_order[0] < c->line_order[0]);
    /* The hooks saw the operations with their arguments (range-refused
     * calls are not flash operations). */
    assert_int_equal(c->n_ops, 5);
    const struct hil_flash_op *o = &c->ops[0].op;
    assert_int_equal(o->kind, HIL_OP_ERASE);
    assert_int_equal(o->region, HIL_REGION_SLOT_A);
    assert_int_equal(o->sector, 5);
    assert_int_equal(o->addr, 0x08020000u);
    assert_int_equal(o->len, 0x20000u);
    assert_int_equal(o->seq, 1);
    assert_int_equal(o->kind_seq, 1);
    o = &c->ops[1].op;
    assert_int_equal(o->kind, HIL_OP_PROGRAM);
    assert_int_equal(o->region, HIL_REGION_SLOT_A);
    assert_int_equal(o->sector, 5);
    assert_int_equal(o->addr, 0x08020000u);
    assert_int_equal(o->len, 300);
    assert_int_equal(o->seq, 2);
    assert_int_equal(o->kind_seq, 1);
    for (int i = 0; i < 300; i++) {
        assert_int_equal(c->ops[1].data[i], (uint8_t)i);
    }
    o = &c->ops[2].op;
    assert_int_equal(o->addr, 0x080200F0u);
    assert_int_equal(o->len, 4);
    assert_int_equal(o->kind_seq, 2);
    o = &c->ops[3].op;
    assert_int_equal(o->kind, HIL_OP_ERASE);
    assert_int_equal(o->region, HIL_REGION_META);
    assert_int_equal(o->sector, 3);
    assert_int_equal(o->addr, 0x0800C000u);
    assert_int_equal(o->len, 0x4000u);
    assert_int_equal(o->seq, 4);
    assert_int_equal(o->kind_seq, 2);
    o = &c->ops[4].op;
    assert_int_equal(o->region, HIL_REGION_META);
    assert_int_equal(o->seq, 5);
    assert_int_equal(o->kind_seq, 3);
    /* The model holds the result. */
    uint8_t b[4];
    assert_int_equal(hil_flash_read(&c->flash, 0x080200F0u, b, 4), 0);
    assert_memory_equal(b, "\x00\x01\x02\x03", 4);
    assert_int_equal(c->flash.mem[0x20000 + 299], 299 & 0xff);
    assert_int_equal(c->flash.mem[0x20000 + 300], 0xFF);
    assert_int_equal(c->flash.erases, 2);
    assert_int_equal(c->flash.programs, 3);
    assert_int_equal(c->t->ops->power_off(c->t), 0);
    assert_false(c->t->powered);
    assert_int_equal(c->t->ops->link_fd(c->t), -1);
    assert_int_equal(count_events(c, HIL_EV_POWER_OFF), 1);
    assert_int_equal(c->t->ops->power_off(c->t), 0);
    ctx_free(c);
}

static void test_fail_verdict_returns_code_to_guest(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(FIX_MODE_FLASH, NULL, 0);
    c->at_seq = 4; /* erase sector 3 */
    c->verdict.action = HIL_ACT_FAIL;
    c->verdict.fail_rc = FOTA_ELOCKED;
    memset(&c->flash.mem[LAYOUT_META1_ADDR - LAYOUT_FLASH_BASE], 0x5A, 16);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_line, "FIX: done", 10000));
    assert_true(find_line(c, "FIX: erase3 rc=12") >= 0);
    /* Failed erase left the sector alone; the program after it ANDed into it. */
    assert_int_equal(c->flash.mem[LAYOUT_META1_ADDR - LAYOUT_FLASH_BASE + 1], 0x5A & 1);
    assert_int_equal(c->flash.mem[LAYOUT_META1_ADDR - LAYOUT_FLASH_BASE + 63], 0xFF & 63);
    assert_int_equal(c->flash.erases, 1);
    ctx_free(c);
}

/* An erase that does not stick (sweep flash_fault nostick on erase): the
 * guest hears success, the sector keeps its bytes, the model counts no erase. */
static void test_drop_verdict_on_erase_reports_done_leaves_sector(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(FIX_MODE_FLASH, NULL, 0);
    c->at_seq = 4; /* erase sector 3 */
    c->verdict.action = HIL_ACT_DROP;
    uint8_t *m1 = &c->flash.mem[LAYOUT_META1_ADDR - LAYOUT_FLASH_BASE];
    memset(m1, 0x5A, 128);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_line, "FIX: done", 10000));
    assert_true(find_line(c, "FIX: erase3 rc=0") >= 0);
    assert_int_equal(c->flash.erases, 1); /* sector 5 only */
    assert_int_equal(m1[100], 0x5A);      /* beyond the program after it: never erased */
    assert_int_equal(m1[1], 0x5A & 1);    /* the program ANDed into the old bytes */
    assert_int_equal(m1[63], 0x5A & 63);
    ctx_free(c);
}

static void test_cut_program_half_then_power_on_from_model(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(FIX_MODE_FLASH, NULL, 0);
    c->at_seq = 2; /* the 300-byte program */
    c->verdict.action = HIL_ACT_CUT;
    c->verdict.torn = HIL_TORN_HALF;
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_power_off, NULL, 10000));
    assert_false(c->t->powered);
    assert_int_equal(count_events(c, HIL_EV_POWER_OFF), 1);
    assert_int_equal(c->n_ops, 2);
    /* (300 / 2) & ~3 = 148 bytes reached the cells. */
    for (int i = 0; i < 148; i++) {
        assert_int_equal(c->flash.mem[0x20000 + i], (uint8_t)i);
    }
    for (int i = 148; i < 300; i++) {
        assert_int_equal(c->flash.mem[0x20000 + i], 0xFF);
    }
    assert_int_equal(c->t->ops->link_fd(c->t), -1);
    /* Power on again: a fresh QEMU boots from the model (torn data visible,
     * SRAM fresh so the boot counter restarts). */
    c->at_seq = 0;
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_line, "FIX: done", 10000));
    assert_true(find_line(c, "FIX: boot n=1 s5=0001020304050607") >= 0);
    assert_int_equal(c->ops[2].op.seq, 3); /* seq counts across power cycles */
    assert_int_equal(c->ops[2].op.kind, HIL_OP_ERASE);
    assert_int_equal(c->ops[2].op.kind_seq, 2);
    ctx_free(c);
}

static void test_cut_erase_half_and_none(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(FIX_MODE_FLASH, NULL, 0);
    memset(&c->flash.mem[0x20000], 0x00, 0x20000);
    c->at_seq = 1;
    c->verdict.action = HIL_ACT_CUT;
    c->verdict.torn = HIL_TORN_HALF;
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_power_off, NULL, 10000));
    assert_int_equal(c->flash.mem[0x20000], 0xFF);
    assert_int_equal(c->flash.mem[0x20000 + 0xFFFF], 0xFF);
    assert_int_equal(c->flash.mem[0x20000 + 0x10000], 0x00);
    assert_int_equal(c->flash.mem[0x20000 + 0x1FFFF], 0x00);
    /* Again with NONE: nothing changes. */
    memset(&c->flash.mem[0x20000], 0x00, 0x20000);
    c->verdict.torn = HIL_TORN_NONE;
    c->at_seq = 2;
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_power_off, NULL, 10000));
    assert_int_equal(c->flash.mem[0x20000], 0x00);
    assert_int_equal(c->flash.mem[0x20000 + 0x1FFFF], 0x00);
    ctx_free(c);
}

static void test_watchdog_model_fires_on_hang(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(FIX_MODE_WDOG, NULL, 1.0);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    int want[2] = { HIL_EV_WATCHDOG, 1 };
    assert_true(run_until(c, until_event, want, 10000));
    int s = find_event(c, HIL_EV_WATCHDOG_START, 0);
    int w = find_event(c, HIL_EV_WATCHDOG, 0);
    int hang = find_line(c, "FIX: hang");
    assert_true(s >= 0 && hang >= 0);
    assert_int_equal(c->evs[s].value, 300);
    /* Refreshes kept it alive until the hang. */
    assert_true(c->ev_order[w] > c->line_order[hang]);
    /* The watchdog reset the target: BOOT again, SRAM kept (n=2). */
    int want2[2] = { HIL_EV_BOOT, 2 };
    assert_true(run_until(c, until_event, want2, 10000));
    assert_true(run_until(c, until_line, "FIX: boot n=2 s5=ffffffffffffffff", 10000));
    assert_true(c->t->powered);
    ctx_free(c);
}

static void test_jump_reported_and_executed(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(FIX_MODE_JUMP, NULL, 0);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_line, "FIX: jumped", 10000));
    int j = find_event(c, HIL_EV_JUMP, 0);
    assert_true(j >= 0);
    assert_int_equal(c->evs[j].value, LAYOUT_FLASH_BASE);
    assert_int_equal(count_events(c, HIL_EV_BOOT), 2);
    assert_true(find_line(c, "FIX: boot n=2 s5=ffffffffffffffff") >= 0);
    ctx_free(c);
}

/* The access watchpoint (hil_target.watch_*, run/sweep_share.h): the
 * fixture reads slot A's first 8 bytes at boot and nothing of slot B. */
static void test_watch_reports_the_first_access_once(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(0xFFFFFFFFu, NULL, 0);
    c->t->watch_addr = LAYOUT_SLOT_A_ADDR;
    c->t->watch_len = LAYOUT_SLOT_SIZE;
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_line, "FIX: idle", 10000));
    int w = find_event(c, HIL_EV_WATCH, 0);
    assert_true(w >= 0);
    assert_true(c->evs[w].value >= LAYOUT_SLOT_A_ADDR && c->evs[w].value < LAYOUT_SLOT_A_ADDR + 8u);
    assert_int_equal(count_events(c, HIL_EV_WATCH), 1); /* taken out after the first hit */
    assert_true(c->t->watch_armed);
    assert_true(c->t->watch_hit);
    /* The run went on after the hit, to the line printed after the read
     * (run_until above), with slot A's bytes as they are. */
    assert_true(find_line(c, "FIX: boot n=1 s5=ffffffffffffffff") >= 0);
    ctx_free(c);
}

static void test_watch_untouched_range_reports_nothing(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(0xFFFFFFFFu, NULL, 0);
    c->t->watch_addr = LAYOUT_SLOT_B_ADDR;
    c->t->watch_len = LAYOUT_SLOT_SIZE;
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_line, "FIX: idle", 10000));
    assert_int_equal(count_events(c, HIL_EV_WATCH), 0);
    assert_true(c->t->watch_armed);
    assert_false(c->t->watch_hit);
    ctx_free(c);
}

static void test_reset_warm_keeps_sram_and_reports_boot(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(0xFFFFFFFFu, NULL, 0);
    assert_int_equal(c->t->ops->reset(c->t), FOTA_EBUSY);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    assert_true(run_until(c, until_line, "FIX: idle", 10000));
    assert_int_equal(count_events(c, HIL_EV_BOOT), 1);
    assert_int_equal(c->t->ops->reset(c->t), 0);
    assert_true(run_until(c, until_line, "FIX: boot n=2 s5=ffffffffffffffff", 10000));
    assert_int_equal(count_events(c, HIL_EV_BOOT), 2);
    /* Reset in the middle of the next line: the fragment is its own line. */
    assert_int_equal(c->t->ops->reset(c->t), 0);
    assert_true(run_until(c, until_line, "FIX: boot n=3 s5=ffffffffffffffff", 10000));
    ctx_free(c);
}

static void test_qemu_dying_is_reported(void **state)
{
    (void)state;
    /* A "QEMU" that the test kills once it is powered on (no wall-clock race:
     * the kill comes after power_on has returned, whatever the load). */
    char script[] = "/tmp/hil-qemu-die.XXXXXX";
    int fd = mkstemp(script);
    assert_true(fd >= 0);
    char pidfile[sizeof(script) + 8];
    snprintf(pidfile, sizeof(pidfile), "%s.pid", script);
    char body[256];
    snprintf(body, sizeof(body), "#!/bin/sh\necho $$ > %s\nexec qemu-system-arm \"$@\"\n", pidfile);
    assert_int_equal(write(fd, body, strlen(body)), (int)strlen(body));
    close(fd);
    chmod(script, 0755);
    struct ctx *c = ctx_new(0xFFFFFFFFu, script, 0);
    assert_int_equal(c->t->ops->power_on(c->t), 0);
    FILE *pf = fopen(pidfile, "r");
    assert_non_null(pf);
    int qpid = 0;
    assert_int_equal(fscanf(pf, "%d", &qpid), 1);
    fclose(pf);
    unlink(pidfile);
    assert_true(qpid > 0);
    assert_int_equal(kill(qpid, SIGKILL), 0);
    int want[2] = { HIL_EV_DIED, 1 };
    assert_true(run_until(c, until_event, want, 10000));
    assert_false(c->t->powered);
    int d = find_event(c, HIL_EV_DIED, 0);
    assert_non_null(strstr(c->evs[d].detail, "qemu"));
    fprintf(stderr, "  died detail: %s\n", c->evs[d].detail);
    ctx_free(c);
    unlink(script);

    /* An emulator that cannot start at all. */
    c = ctx_new(0xFFFFFFFFu, "/nonexistent/qemu-system-arm", 0);
    assert_int_equal(c->t->ops->power_on(c->t), FOTA_EIO);
    assert_false(c->t->powered);
    ctx_free(c);
}

static void test_create_rejects_bad_elf(void **state)
{
    (void)state;
    struct hil_flash *f = calloc(1, sizeof(*f));
    struct hil_target *t = NULL;
    struct hil_qemu_opts o = { .bootloader_elf = "/nonexistent.elf", .workdir = "/tmp" };
    assert_int_equal(hil_qemu_create(&o, f, NULL, &t), FOTA_EIO);
    o.bootloader_elf = "Makefile";
    assert_int_equal(hil_qemu_create(&o, f, NULL, &t), FOTA_EIO);
    o.bootloader_elf = "/proc/self/exe"; /* an ELF without port_* symbols */
    assert_int_equal(hil_qemu_create(&o, f, NULL, &t), FOTA_ENOENT);
    o.workdir = NULL;
    assert_int_equal(hil_qemu_create(&o, f, NULL, &t), FOTA_EINVAL);
    assert_null(t);
    free(f);
}

/* Numbers for the lead: boots/second and the cost of one served breakpoint. */
static void test_bench_boots_and_breakpoint_cost(void **state)
{
    (void)state;
    struct ctx *c = ctx_new(FIX_MODE_BENCH, NULL, 0);
    const int boots = 10;
    double total = 0;
    for (int i = 0; i < boots; i++) {
        c->n_lines = 0;
        c->first_line_ms = 0;
        double t0 = now_ms();
        assert_int_equal(c->t->ops->power_on(c->t), 0);
        assert_true(run_until(c, until_any_line, NULL, 10000));
        total += c->first_line_ms - t0;
        if (i == boots - 1) {
            double b0 = now_ms();
            assert_true(run_until(c, until_line, "FIX: bench done", 30000));
            double us = (now_ms() - b0) * 1000.0 / FIX_BENCH_CALLS;
            printf("BENCH qemu: served breakpoint round trip: %.1f us (port_watchdog_refresh, %u calls)\n",
                   us, FIX_BENCH_CALLS);
        }
        assert_int_equal(c->t->ops->power_off(c->t), 0);
    }
    printf("BENCH qemu: power_on to first console line: %.1f ms mean over %d boots = %.1f boots/s\n",
           total / boots, boots, 1000.0 * boots / total);
    fflush(stdout);
    ctx_free(c);
}

int main(void)
{
    if (access(HIL_FIXTURE_ELF, R_OK) != 0 || access(HIL_FIXTURE_BIN, R_OK) != 0) {
        fprintf(stderr, "missing fixture %s / %s (build it: make %s)\n", HIL_FIXTURE_ELF, HIL_FIXTURE_BIN,
                HIL_FIXTURE_ELF);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_rejects_bad_elf),
        cmocka_unit_test(test_power_on_flash_ops_served_and_read_back),
        cmocka_unit_test(test_fail_verdict_returns_code_to_guest),
        cmocka_unit_test(test_drop_verdict_on_erase_reports_done_leaves_sector),
        cmocka_unit_test(test_cut_program_half_then_power_on_from_model),
        cmocka_unit_test(test_cut_erase_half_and_none),
        cmocka_unit_test(test_watchdog_model_fires_on_hang),
        cmocka_unit_test(test_jump_reported_and_executed),
        cmocka_unit_test(test_watch_reports_the_first_access_once),
        cmocka_unit_test(test_watch_untouched_range_reports_nothing),
        cmocka_unit_test(test_reset_warm_keeps_sram_and_reports_boot),
        cmocka_unit_test(test_qemu_dying_is_reported),
        cmocka_unit_test(test_bench_boots_and_breakpoint_cost),
    };
    return cmocka_run_group_tests_name("target_qemu", tests, NULL, NULL);
}
