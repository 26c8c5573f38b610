/**
 * @file inject-test.c
 * @brief Flash fault injector: `n: last` / `n: middle` resolution, region
 * matching, and the verdict at exactly the nth matching operation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fota/layout.h"
#include "fota/proto.h"
#include "scenario/inject.h"

static void test_data_frames_rounds_up(void **state)
{
    (void)state;
    assert_int_equal(hil_data_frames(0), 0);
    assert_int_equal(hil_data_frames(1), 1);
    assert_int_equal(hil_data_frames(PROTO_MAX_DATA), 1);
    assert_int_equal(hil_data_frames(PROTO_MAX_DATA + 1), 2);
    assert_int_equal(hil_data_frames(512 + 5000), 6); /* header + payload: 5512 bytes */
}

static void test_fault_resolve_n_last_and_middle(void **state)
{
    (void)state;
    struct hil_fault f = { .kind = HIL_FAULT_POWER_CUT, .on = HIL_OP_PROGRAM, .region = HIL_FREGION_SLOT };
    f.n_kind = HIL_FN_LAST;
    assert_int_equal(hil_fault_resolve_n(&f, 5512), 6);
    assert_int_equal(hil_fault_resolve_n(&f, 1024 * 7), 7);
    f.n_kind = HIL_FN_MIDDLE;
    assert_int_equal(hil_fault_resolve_n(&f, 5512), 3);
    assert_int_equal(hil_fault_resolve_n(&f, 1024 * 7), 4);
    assert_int_equal(hil_fault_resolve_n(&f, 100), 1);
    f.n_kind = HIL_FN_NUMBER;
    f.n = 9;
    assert_int_equal(hil_fault_resolve_n(&f, 5512), 9);
}

static void test_fault_region_matches(void **state)
{
    (void)state;
    assert_true(hil_fault_region_matches(HIL_FREGION_ANY, HIL_REGION_BOOT));
    assert_true(hil_fault_region_matches(HIL_FREGION_SLOT, HIL_REGION_SLOT_A));
    assert_true(hil_fault_region_matches(HIL_FREGION_SLOT, HIL_REGION_SLOT_B));
    assert_false(hil_fault_region_matches(HIL_FREGION_SLOT, HIL_REGION_META));
    assert_true(hil_fault_region_matches(HIL_FREGION_META, HIL_REGION_META));
    assert_false(hil_fault_region_matches(HIL_FREGION_META, HIL_REGION_OTHER));
    assert_true(hil_fault_region_matches(HIL_FREGION_SLOT_B, HIL_REGION_SLOT_B));
    assert_false(hil_fault_region_matches(HIL_FREGION_SLOT_B, HIL_REGION_SLOT_A));
}

static struct hil_flash_op op(enum hil_op_kind k, enum hil_region r)
{
    struct hil_flash_op o = { .kind = k, .region = r, .len = 64 };
    return o;
}

static void test_inject_cuts_at_last_program(void **state)
{
    (void)state;
    struct hil_fault f = { .kind = HIL_FAULT_POWER_CUT, .on = HIL_OP_PROGRAM, .region = HIL_FREGION_SLOT,
                           .n_kind = HIL_FN_LAST, .torn = HIL_TORN_HALF };
    struct hil_inject in;
    hil_inject_arm(&in, &f, 1, 512 + 3000); /* 4 DATA frames */
    struct hil_flash_verdict v;
    int which = -1;
    struct hil_flash_op meta = op(HIL_OP_PROGRAM, HIL_REGION_META);
    struct hil_flash_op erase = op(HIL_OP_ERASE, HIL_REGION_SLOT_B);
    struct hil_flash_op prog = op(HIL_OP_PROGRAM, HIL_REGION_SLOT_B);
    memset(&v, 0, sizeof(v));
    assert_false(hil_inject_op(&in, &meta, &v, &which));
    assert_false(hil_inject_op(&in, &erase, &v, &which));
    for (int i = 1; i <= 3; i++) {
        assert_false(hil_inject_op(&in, &prog, &v, &which));
        assert_int_equal(v.action, HIL_ACT_APPLY);
    }
    assert_true(hil_inject_op(&in, &prog, &v, &which));
    assert_int_equal(which, 0);
    assert_int_equal(v.action, HIL_ACT_CUT);
    assert_int_equal(v.torn, HIL_TORN_HALF);
    assert_true(in.fired[0]);
    assert_true(in.cut);
    /* Nothing fires twice. */
    memset(&v, 0, sizeof(v));
    assert_false(hil_inject_op(&in, &prog, &v, &which));
    assert_int_equal(v.action, HIL_ACT_APPLY);
}

static void test_inject_erase_and_meta_counts(void **state)
{
    (void)state;
    struct hil_fault f[2] = {
        { .kind = HIL_FAULT_POWER_CUT, .on = HIL_OP_PROGRAM, .region = HIL_FREGION_META, .n = 2,
          .torn = HIL_TORN_ALL },
        { .kind = HIL_FAULT_CORRUPT, .frame = 1 },
    };
    struct hil_inject in;
    hil_inject_arm(&in, f, 2, 4096);
    struct hil_flash_verdict v = { 0 };
    struct hil_flash_op meta = op(HIL_OP_PROGRAM, HIL_REGION_META);
    struct hil_flash_op merase = op(HIL_OP_ERASE, HIL_REGION_META);
    assert_false(hil_inject_op(&in, &merase, &v, NULL));
    assert_false(hil_inject_op(&in, &meta, &v, NULL));
    assert_true(hil_inject_op(&in, &meta, &v, NULL));
    assert_int_equal(v.torn, HIL_TORN_ALL);
    assert_int_equal(in.seen[0], 2);
    assert_false(in.fired[1]);
}

/* A power cut at a link frame is the proxy's (proxy.h): the injector never
 * fires it, whatever its flash-op fields hold. */
static void test_inject_ignores_a_power_cut_at_a_frame(void **state)
{
    (void)state;
    struct hil_fault f = { .kind = HIL_FAULT_POWER_CUT, .dir = HIL_DIR_TO_TARGET, .frame = 1,
                           .frame_type = PROTO_T_DATA, .on = HIL_OP_PROGRAM, .n = 1 };
    struct hil_inject in;
    hil_inject_arm(&in, &f, 1, 4096);
    for (int i = 0; i < 8; i++) {
        struct hil_flash_op o = op(i % 2 ? HIL_OP_PROGRAM : HIL_OP_ERASE, HIL_REGION_SLOT_B);
        struct hil_flash_verdict v = { 0 };
        assert_false(hil_inject_op(&in, &o, &v, NULL));
        assert_int_equal(v.action, HIL_ACT_APPLY);
    }
    assert_false(in.cut);
    assert_false(in.fired[0]);
}

static void test_inject_disarmed_never_cuts(void **state)
{
    (void)state;
    struct hil_fault f = { .kind = HIL_FAULT_POWER_CUT, .on = HIL_OP_ERASE, .region = HIL_FREGION_ANY, .n = 1 };
    struct hil_inject in;
    hil_inject_arm(&in, &f, 1, 0);
    hil_inject_disarm(&in);
    struct hil_flash_verdict v = { 0 };
    struct hil_flash_op e = op(HIL_OP_ERASE, HIL_REGION_SLOT_A);
    assert_false(hil_inject_op(&in, &e, &v, NULL));
    assert_int_equal(v.action, HIL_ACT_APPLY);
}

/* The region's range agrees with hil_flash_region_of() at both ends. */
static void test_fault_region_range_matches_region_of(void **state)
{
    (void)state;
    static const enum hil_fault_region fr[] = { HIL_FREGION_ANY, HIL_FREGION_SLOT, HIL_FREGION_META,
                                                HIL_FREGION_SLOT_A, HIL_FREGION_SLOT_B };
    for (size_t i = 0; i < sizeof(fr) / sizeof(fr[0]); i++) {
        uint32_t lo, hi;
        hil_fault_region_range(fr[i], &lo, &hi);
        assert_true(hil_fault_region_matches(fr[i], hil_flash_region_of(lo)) || fr[i] == HIL_FREGION_ANY);
        assert_true(hil_fault_region_matches(fr[i], hil_flash_region_of(hi)) || fr[i] == HIL_FREGION_ANY);
        assert_false(fr[i] != HIL_FREGION_ANY && hil_fault_region_matches(fr[i], hil_flash_region_of(lo - 1u)));
        assert_false(fr[i] != HIL_FREGION_ANY && hil_fault_region_matches(fr[i], hil_flash_region_of(hi + 1u)));
    }
}

/* The plan is the cut hil_inject_op will make, counted from what it saw. */
static void test_inject_plan_counts_down(void **state)
{
    (void)state;
    struct hil_fault f = { .kind = HIL_FAULT_POWER_CUT, .on = HIL_OP_PROGRAM, .region = HIL_FREGION_META,
                           .n_kind = HIL_FN_NUMBER, .n = 3, .torn = HIL_TORN_BITS };
    struct hil_inject in;
    struct hil_fault_plan p = { 0 };
    struct hil_flash_verdict v = { 0 };
    hil_inject_arm(&in, &f, 1, 0);
    memset(&p, 0, sizeof(p));
    assert_int_equal(hil_inject_plan(&in, &p), 1);
    assert_int_equal(p.n, 3);
    assert_true(p.on[HIL_OP_PROGRAM]);
    assert_false(p.on[HIL_OP_ERASE]);
    assert_int_equal(p.addr_lo, LAYOUT_META0_ADDR);
    assert_int_equal(p.v.action, HIL_ACT_CUT);
    assert_int_equal(p.v.torn, HIL_TORN_BITS);
    struct hil_flash_op m = op(HIL_OP_PROGRAM, HIL_REGION_META);
    assert_false(hil_inject_op(&in, &m, &v, NULL));
    memset(&p, 0, sizeof(p));
    assert_int_equal(hil_inject_plan(&in, &p), 1);
    assert_int_equal(p.n, 2);
    assert_false(hil_inject_op(&in, &m, &v, NULL));
    assert_true(hil_inject_op(&in, &m, &v, NULL));
    memset(&p, 0, sizeof(p));
    assert_int_equal(hil_inject_plan(&in, &p), 0);
    assert_int_equal(p.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_frames_rounds_up),
        cmocka_unit_test(test_fault_resolve_n_last_and_middle),
        cmocka_unit_test(test_fault_region_matches),
        cmocka_unit_test(test_fault_region_range_matches_region_of),
        cmocka_unit_test(test_inject_plan_counts_down),
        cmocka_unit_test(test_inject_cuts_at_last_program),
        cmocka_unit_test(test_inject_erase_and_meta_counts),
        cmocka_unit_test(test_inject_disarmed_never_cuts),
        cmocka_unit_test(test_inject_ignores_a_power_cut_at_a_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
