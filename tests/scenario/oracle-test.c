/**
 * @file oracle-test.c
 * @brief The A/B contract model of the exact sweep oracle, row by row of
 * the table in docs/SCENARIOS.md ("The exact oracle").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "scenario/oracle.h"

enum { A = LAYOUT_SLOT_A, B = LAYOUT_SLOT_B };
#define V1 IMAGE_VERSION(1, 0, 0)
#define V2 IMAGE_VERSION(2, 0, 0)

/* 1.0.0 confirmed in A, B as given. */
static struct hil_oracle_in in_from(uint8_t b_state, int landed, bool damaged)
{
    struct hil_oracle_in in = { .base = { .meta = true, .active = A, .state = { META_SLOT_CONFIRMED, b_state },
                                          .version = { V1, b_state == META_SLOT_EMPTY ? 0 : V1 } },
                                .new_version = V2, .landed = landed, .damaged = damaged };
    return in;
}

static void expect_row(const struct hil_oracle_in *in, enum hil_contract_ev last, int running, uint32_t version,
                       uint8_t sa, uint8_t sb, int next)
{
    struct hil_oracle_out o;
    assert_int_equal(hil_oracle_expect(in, &o), 0);
    assert_int_equal(o.last, last);
    assert_int_equal(o.running, running);
    assert_int_equal(o.version, version);
    assert_int_equal(o.state[A], sa);
    assert_int_equal(o.state[B], sb);
    assert_int_equal(o.next_target, next);
}

static void test_hil_oracle_events_empty_only_when_target_not_empty(void **state)
{
    (void)state;
    enum hil_contract_ev ev[4];
    struct hil_oracle_in e = in_from(META_SLOT_EMPTY, 0, false);
    assert_int_equal(hil_oracle_events(&e.base, ev), 3);
    assert_int_equal(ev[0], HIL_EV_PENDING);
    assert_int_equal(ev[2], HIL_EV_CONFIRMED);
    struct hil_oracle_in c = in_from(META_SLOT_CONFIRMED, 0, false);
    assert_int_equal(hil_oracle_events(&c.base, ev), 4);
    assert_int_equal(ev[0], HIL_EV_EMPTY);
    /* The factory state: no record says A is EMPTY, BEGIN commits it. */
    struct hil_ab_view factory = { .meta = false, .active = -1 };
    assert_int_equal(hil_oracle_target(&factory), A);
    assert_int_equal(hil_oracle_events(&factory, ev), 4);
    assert_int_equal(ev[0], HIL_EV_EMPTY);
}

static void test_hil_oracle_expect_row_none_old_runs_unchanged(void **state)
{
    (void)state;
    struct hil_oracle_in in = in_from(META_SLOT_CONFIRMED, 0, false);
    expect_row(&in, HIL_EV_NONE, A, V1, META_SLOT_CONFIRMED, META_SLOT_CONFIRMED, B);
}

static void test_hil_oracle_expect_row_empty_old_runs_target_empty(void **state)
{
    (void)state;
    struct hil_oracle_in in = in_from(META_SLOT_CONFIRMED, 1, false);
    expect_row(&in, HIL_EV_EMPTY, A, V1, META_SLOT_CONFIRMED, META_SLOT_EMPTY, B);
}

static void test_hil_oracle_expect_row_pending_trial_runs_and_confirms(void **state)
{
    (void)state;
    struct hil_oracle_in in = in_from(META_SLOT_EMPTY, 1, false);
    expect_row(&in, HIL_EV_PENDING, B, V2, META_SLOT_CONFIRMED, META_SLOT_CONFIRMED, A);
}

static void test_hil_oracle_expect_row_trial_rolls_back(void **state)
{
    (void)state;
    struct hil_oracle_in in = in_from(META_SLOT_EMPTY, 2, false);
    expect_row(&in, HIL_EV_TRIAL, A, V1, META_SLOT_CONFIRMED, META_SLOT_REJECTED, B);
}

static void test_hil_oracle_expect_row_confirmed_new_runs(void **state)
{
    (void)state;
    struct hil_oracle_in in = in_from(META_SLOT_CONFIRMED, 4, false);
    expect_row(&in, HIL_EV_CONFIRMED, B, V2, META_SLOT_CONFIRMED, META_SLOT_CONFIRMED, A);
}

static void test_hil_oracle_expect_damaged_pending_rejected(void **state)
{
    (void)state;
    struct hil_oracle_in in = in_from(META_SLOT_EMPTY, 1, true);
    expect_row(&in, HIL_EV_PENDING, A, V1, META_SLOT_CONFIRMED, META_SLOT_REJECTED, B);
}

static void test_hil_oracle_expect_damaged_active_falls_back_or_recovers(void **state)
{
    (void)state;
    struct hil_oracle_in in = in_from(META_SLOT_EMPTY, 3, true);
    expect_row(&in, HIL_EV_CONFIRMED, A, V1, META_SLOT_CONFIRMED, META_SLOT_REJECTED, B);
    /* No other confirmed slot: recovery mode, nothing runs, nothing is written. */
    in.base.state[A] = META_SLOT_REJECTED;
    expect_row(&in, HIL_EV_CONFIRMED, -1, 0, META_SLOT_REJECTED, META_SLOT_CONFIRMED, A);
}

static void test_hil_oracle_expect_landed_out_of_range(void **state)
{
    (void)state;
    struct hil_oracle_out o;
    struct hil_oracle_in in = in_from(META_SLOT_EMPTY, 4, false);
    assert_int_equal(hil_oracle_expect(&in, &o), FOTA_EINVAL);
    in.landed = -1;
    assert_int_equal(hil_oracle_expect(&in, &o), FOTA_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_oracle_events_empty_only_when_target_not_empty),
        cmocka_unit_test(test_hil_oracle_expect_row_none_old_runs_unchanged),
        cmocka_unit_test(test_hil_oracle_expect_row_empty_old_runs_target_empty),
        cmocka_unit_test(test_hil_oracle_expect_row_pending_trial_runs_and_confirms),
        cmocka_unit_test(test_hil_oracle_expect_row_trial_rolls_back),
        cmocka_unit_test(test_hil_oracle_expect_row_confirmed_new_runs),
        cmocka_unit_test(test_hil_oracle_expect_damaged_pending_rejected),
        cmocka_unit_test(test_hil_oracle_expect_damaged_active_falls_back_or_recovers),
        cmocka_unit_test(test_hil_oracle_expect_landed_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
