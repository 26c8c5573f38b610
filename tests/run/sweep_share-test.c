/**
 * @file sweep_share-test.c
 * @brief Shared runs (run/sweep_share.h): which cases form a group (same
 * crash state outside the written slot, eligible steps), what the pool
 * does with a follower for each state of its probe, what touches the
 * watched slot, and a follower's result built from its probe's final
 * flash and its own crash state. No QEMU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "fota/layout.h"
#include "run/runner.h"
#include "run/sweep_share.h"
#include "run/workdir.h"
#include "scenario/journal.h"
#include "target/flashmodel.h"

/* workdir.c's removal of old work dirs is not called here. */
int hil_rmtree(const char *path)
{
    (void)path;
    return 0;
}

#define NOPS 6
#define NTORN 3

static const enum hil_torn torns[NTORN] = { HIL_TORN_NONE, HIL_TORN_HALF, HIL_TORN_ALL };

struct fixture {
    struct hil_flash base;
    struct hil_journal j;
    struct hil_scenario parent;
    struct hil_sweep sweep;
    struct hil_case cases[NOPS * NTORN];
    struct hil_scenario case_s[NOPS * NTORN];
    struct hil_scenario *case_p[NOPS * NTORN];
    struct hil_step steps[3];
    struct hil_step update_steps[2];
    char ids[NOPS * NTORN][64];
};

/* The journal of an update into B: a metadata commit, an erase of sector
 * 8, three programs into B, a second metadata commit (as the 256 KB sweep's). */
static void add_ops(struct hil_journal *j)
{
    static uint8_t data[64];
    memset(data, 0x5A, sizeof(data));
    struct hil_flash_op meta = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_META, .sector = LAYOUT_META0_SECTOR,
                                 .addr = LAYOUT_META0_ADDR, .len = 64, .data = data };
    assert_int_equal(hil_journal_add(j, &meta), 0);
    struct hil_flash_op e = { .kind = HIL_OP_ERASE, .region = HIL_REGION_SLOT_B, .sector = 8,
                              .addr = LAYOUT_SLOT_B_ADDR, .len = LAYOUT_SECTOR_SIZE(8) };
    assert_int_equal(hil_journal_add(j, &e), 0);
    for (uint32_t i = 0; i < 3; i++) {
        struct hil_flash_op p = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_SLOT_B, .sector = 8,
                                  .addr = LAYOUT_SLOT_B_ADDR + i * 64u, .len = 64, .data = data };
        assert_int_equal(hil_journal_add(j, &p), 0);
    }
    meta.addr += 64;
    assert_int_equal(hil_journal_add(j, &meta), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    hil_flash_init(&f->base);
    assert_int_equal(hil_journal_begin(&f->j, &f->base), 0);
    add_ops(&f->j);
    f->steps[0].kind = HIL_STEP_POWER_ON;
    f->steps[1].kind = HIL_STEP_EXPECT_CONSOLE;
    f->steps[2].kind = HIL_STEP_EXPECT;
    f->update_steps[0].kind = HIL_STEP_POWER_ON;
    f->update_steps[1].kind = HIL_STEP_UPDATE;
    f->parent.id = "sweep.t";
    f->parent.file = "t.yaml";
    f->sweep.seed = 7;
    f->parent.sweep = &f->sweep;
    for (int k = 0; k < NOPS * NTORN; k++) {
        struct hil_case *c = &f->cases[k];
        c->parent = &f->parent;
        c->journal = &f->j;
        c->kind = HIL_CASE_CUT;
        c->fast = true;
        c->same_as = -1;
        c->op_index = k / NTORN;
        c->torn = torns[k % NTORN];
        snprintf(f->ids[k], sizeof(f->ids[k]), "sweep.t@op:%d:%d", k / NTORN, k % NTORN);
        f->case_s[k].id = f->ids[k];
        f->case_s[k].file = "t.yaml";
        f->case_s[k].steps = f->steps;
        f->case_s[k].nsteps = 3;
        f->case_s[k].sweep_case = c;
        f->case_p[k] = &f->case_s[k];
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    hil_journal_free(&f->j);
    free(f);
    return 0;
}

static int idx(int op, int torn)
{
    return op * NTORN + torn;
}

/* Same state outside B = one group; the first of it probes. */
static void test_groups_by_state_outside_the_slot(void **state)
{
    struct fixture *f = *state;
    hil_sweep_share_plan(f->cases, NOPS * NTORN, f->case_p, &f->j);
    /* op 0 (metadata) torn none: the base outside B, alone. */
    assert_null(f->cases[idx(0, 0)].share_leader);
    assert_false(f->cases[idx(0, 0)].share_probe);
    /* op 0 torn half: its own torn metadata, alone. */
    assert_null(f->cases[idx(0, 1)].share_leader);
    /* op 0 all = the first metadata commit landed: it leads every cut in B
     * and the second commit's "none". */
    const struct hil_case *lead = &f->cases[idx(0, 2)];
    assert_true(lead->share_probe);
    assert_null(lead->share_leader);
    assert_int_equal(lead->share_addr, LAYOUT_SLOT_B_ADDR);
    assert_int_equal(lead->share_len, LAYOUT_SLOT_SIZE);
    for (int op = 1; op <= 4; op++) {
        for (int t = 0; t < NTORN; t++) {
            assert_ptr_equal(f->cases[idx(op, t)].share_leader, lead);
        }
    }
    assert_ptr_equal(f->cases[idx(5, 0)].share_leader, lead);
    /* The second commit torn half or landed: other states outside B. */
    assert_null(f->cases[idx(5, 1)].share_leader);
    assert_null(f->cases[idx(5, 2)].share_leader);
    assert_false(f->cases[idx(5, 1)].share_probe);
}

/* Not eligible: steps after the recovery (an update), a duplicate crash
 * state, a case not selected; --no-share is the caller's (no plan). */
static void test_ineligible_cases_run(void **state)
{
    struct fixture *f = *state;
    f->case_s[idx(0, 2)].steps = f->update_steps;
    f->case_s[idx(0, 2)].nsteps = 2;
    f->cases[idx(1, 0)].same_as = idx(0, 2);
    f->case_p[idx(1, 1)] = NULL;
    hil_sweep_share_plan(f->cases, NOPS * NTORN, f->case_p, &f->j);
    assert_false(f->cases[idx(0, 2)].share_probe);
    assert_null(f->cases[idx(1, 0)].share_leader);
    assert_false(f->cases[idx(1, 0)].share_probe);
    assert_null(f->cases[idx(1, 1)].share_leader);
    /* The group's first eligible case leads instead. */
    const struct hil_case *lead = &f->cases[idx(1, 2)];
    assert_true(lead->share_probe);
    assert_ptr_equal(f->cases[idx(4, 1)].share_leader, lead);
}

/* Other checks (the oracle's expect step differs): no shared run. */
static void test_different_checks_no_share(void **state)
{
    struct fixture *f = *state;
    static struct hil_step other[3];
    memcpy(other, f->steps, sizeof(other));
    other[2].expect.has_active = true;
    other[2].expect.active = LAYOUT_SLOT_B;
    f->case_s[idx(3, 0)].steps = other;
    hil_sweep_share_plan(f->cases, NOPS * NTORN, f->case_p, &f->j);
    assert_null(f->cases[idx(3, 0)].share_leader);
    assert_false(f->cases[idx(3, 0)].share_probe);
    assert_ptr_equal(f->cases[idx(3, 1)].share_leader, &f->cases[idx(0, 2)]);
}

/* A journal that writes both slots (or none) gives no groups. */
static void test_both_slots_no_groups(void **state)
{
    struct fixture *f = *state;
    static uint8_t data[64];
    struct hil_flash_op pa = { .kind = HIL_OP_PROGRAM, .region = HIL_REGION_SLOT_A, .sector = 5,
                               .addr = LAYOUT_SLOT_A_ADDR, .len = 64, .data = data };
    assert_int_equal(hil_journal_add(&f->j, &pa), 0);
    hil_sweep_share_plan(f->cases, NOPS * NTORN, f->case_p, &f->j);
    for (int k = 0; k < NOPS * NTORN; k++) {
        assert_null(f->cases[k].share_leader);
        assert_false(f->cases[k].share_probe);
    }
}

/* The pool: wait for a running probe, take an untouched one's run, run
 * otherwise. */
static void test_pool_state(void **state)
{
    struct fixture *f = *state;
    hil_sweep_share_plan(f->cases, NOPS * NTORN, f->case_p, &f->j);
    struct hil_scenario *items[3] = { &f->case_s[idx(0, 2)], &f->case_s[idx(2, 1)], &f->case_s[idx(0, 0)] };
    struct hil_result res[3];
    memset(res, 0, sizeof(res));
    int leader = -1;
    assert_int_equal(hil_sweep_share_state(items[1], 1, items, res, 3, &leader), HIL_SHARE_WAIT);
    assert_int_equal(hil_sweep_share_state(items[2], 2, items, res, 3, &leader), HIL_SHARE_NO);
    res[0].id = "done";
    res[0].props = "flash_sha256=00\nbricked=0\nshare_probe=touched\n";
    assert_int_equal(hil_sweep_share_state(items[1], 1, items, res, 3, &leader), HIL_SHARE_NO);
    res[0].props = "flash_sha256=00\nbricked=0\nshare_probe=unwatched\n";
    assert_int_equal(hil_sweep_share_state(items[1], 1, items, res, 3, &leader), HIL_SHARE_NO);
    res[0].props = "flash_sha256=00\nbricked=0\nshare_probe=untouched\n";
    assert_int_equal(hil_sweep_share_state(items[1], 1, items, res, 3, &leader), HIL_SHARE_YES);
    assert_int_equal(leader, 0);
    /* A probe after the follower (never started) or not selected: run. */
    struct hil_scenario *rev[2] = { &f->case_s[idx(2, 1)], &f->case_s[idx(0, 2)] };
    struct hil_result none[2];
    memset(none, 0, sizeof(none));
    assert_int_equal(hil_sweep_share_state(rev[0], 0, rev, none, 2, &leader), HIL_SHARE_NO);
    assert_int_equal(hil_sweep_share_state(rev[0], 0, rev, none, 1, &leader), HIL_SHARE_NO);
}

static void test_touches(void **state)
{
    struct fixture *f = *state;
    hil_sweep_share_plan(f->cases, NOPS * NTORN, f->case_p, &f->j);
    const struct hil_case *probe = &f->cases[idx(0, 2)];
    const struct hil_case *follower = &f->cases[idx(2, 0)];
    struct hil_flash_op erase9 = { .kind = HIL_OP_ERASE, .sector = 9 };
    struct hil_flash_op erase11 = { .kind = HIL_OP_ERASE, .sector = 11 };
    struct hil_flash_op meta = { .kind = HIL_OP_PROGRAM, .addr = LAYOUT_META1_ADDR, .len = 64 };
    struct hil_flash_op tail = { .kind = HIL_OP_PROGRAM, .addr = LAYOUT_SLOT_B_ADDR - 4, .len = 8 };
    assert_true(hil_sweep_share_touches(probe, &erase9, 0));
    assert_false(hil_sweep_share_touches(probe, &erase11, 0));
    assert_false(hil_sweep_share_touches(probe, &meta, 0));
    assert_true(hil_sweep_share_touches(probe, &tail, 0)); /* overlaps B by 4 bytes */
    assert_true(hil_sweep_share_touches(probe, NULL, LAYOUT_APP_VECTORS(LAYOUT_SLOT_B)));
    assert_false(hil_sweep_share_touches(probe, NULL, LAYOUT_APP_VECTORS(LAYOUT_SLOT_A)));
    assert_false(hil_sweep_share_touches(follower, &erase9, 0)); /* only probes watch */
    char *p = hil_sweep_share_prop(probe, true, false);
    assert_string_equal(p, "share_probe=untouched\n");
    free(p);
    p = hil_sweep_share_prop(probe, true, true);
    assert_string_equal(p, "share_probe=touched\n");
    free(p);
    p = hil_sweep_share_prop(probe, false, false);
    assert_string_equal(p, "share_probe=unwatched\n");
    free(p);
    assert_null(hil_sweep_share_prop(follower, true, false));
}

/* A follower's result: the probe's verdict and console; its own final
 * flash (the probe's outside B, its crash state in B) in its properties. */
static void test_follower_result(void **state)
{
    struct fixture *f = *state;
    hil_sweep_share_plan(f->cases, NOPS * NTORN, f->case_p, &f->j);
    char root[] = "/tmp/share-test.XXXXXX";
    assert_non_null(mkdtemp(root));
    const struct hil_scenario *ls = &f->case_s[idx(0, 2)];
    const struct hil_scenario *fs = &f->case_s[idx(3, 1)];
    char dir[512], path[600];
    assert_int_equal(hil_workdir_path(root, ls->id, dir, sizeof(dir)), 0);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/%s", dir, HIL_SHARE_FINAL);
    /* The probe's final flash: its crash state plus a metadata record the
     * boot wrote (outside B). */
    static struct hil_flash probe_final, want;
    assert_int_equal(hil_case_compose_flash(ls->sweep_case, &probe_final), 0);
    memset(&probe_final.mem[LAYOUT_META1_ADDR - LAYOUT_FLASH_BASE], 0x11, 64);
    assert_int_equal(hil_flash_save(&probe_final, path), 0);
    assert_int_equal(hil_case_compose_flash(fs->sweep_case, &want), 0);
    memset(&want.mem[LAYOUT_META1_ADDR - LAYOUT_FLASH_BASE], 0x11, 64);
    char *want_props = hil_case_props(fs->sweep_case, &want);
    assert_non_null(want_props);

    struct hil_result lr = { .id = (char *)ls->id, .status = HIL_FAIL,
                             .message = "step 2 expect_console: no\nre-run: fota-hil run --case 'probe' t.yaml",
                             .console = "BL: x\n" };
    struct hil_result out;
    assert_int_equal(hil_sweep_share_result(fs, ls, &lr, root, &out), 0);
    assert_string_equal(out.id, fs->id);
    assert_int_equal(out.status, HIL_FAIL);
    assert_string_equal(out.console, "BL: x\n");
    /* The first line is the probe's, as a run of this case alone says it;
     * then the note and this case's own re-run command, not the probe's. */
    assert_true(strncmp(out.message, "step 2 expect_console: no\nshared run: sweep.t@op:0:2 ", 52) == 0);
    assert_non_null(strstr(out.message, "\nre-run: "));
    assert_non_null(strstr(out.message, fs->id));
    assert_null(strstr(out.message, "'probe'"));
    assert_true(strncmp(out.props, want_props, strlen(want_props)) == 0);
    assert_non_null(strstr(out.props, "shared_run=sweep.t@op:0:2\n"));
    hil_result_clear(&out);
    free(want_props);
    /* The probe's final flash gone: an error, the caller runs the case. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(hil_sweep_share_result(fs, ls, &lr, root, &out), FOTA_EIO);
    assert_null(out.id);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(rmdir(root), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_groups_by_state_outside_the_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ineligible_cases_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_different_checks_no_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_both_slots_no_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follower_result, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
