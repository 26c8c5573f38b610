/* tests/bootloader/meta-test.c: the metadata append log (meta.h) on the
 * sim flash: append, sector rollover, torn writes, bit flips, failing
 * operations, and a power-cut sweep over single commits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fota/meta.h"
#include "fota/errors.h"
#include "sim.h"

#define META0_OFF (LAYOUT_META0_ADDR - LAYOUT_FLASH_BASE)
#define META1_OFF (LAYOUT_META1_ADDR - LAYOUT_FLASH_BASE)

static int setup(void **state)
{
    (void)state;
    sim_init();
    return 0;
}

/* A record whose content identifies it by @p marker. */
static struct meta_record rec_with(uint32_t marker)
{
    struct meta_record r;

    memset(&r, 0, sizeof(r));
    r.mr_active = LAYOUT_SLOT_A;
    r.mr_trial_slot = META_NO_SLOT;
    r.mr_slot[0].ms_version = marker;
    r.mr_slot[0].ms_state = META_SLOT_CONFIRMED;
    r.mr_slot[1].ms_size = marker * 3u;
    return r;
}

static void commit_marker(uint32_t marker)
{
    struct meta_record r = rec_with(marker);
    assert_int_equal(meta_commit(&r), 0);
}

static uint32_t loaded_marker(void)
{
    struct meta_record r;
    assert_int_equal(meta_load(&r), 0);
    return r.mr_slot[0].ms_version;
}

static const struct meta_record *rec_at(uint32_t sector_off, uint32_t index)
{
    return (const struct meta_record *)(sim_flash() + sector_off + index * META_RECORD_SIZE);
}

/* RFC 1982 serial comparison: the commit after 0xFFFFFFFF (seq 0) is newer;
 * a plain `>` said the opposite and lost every commit after the wrap. */
static void test_meta_seq_newer_across_wrap(void **state)
{
    (void)state;
    assert_true(meta_seq_newer(2u, 1u));
    assert_false(meta_seq_newer(1u, 2u));
    assert_false(meta_seq_newer(7u, 7u));
    assert_true(meta_seq_newer(0u, 0xFFFFFFFFu));
    assert_true(meta_seq_newer(1u, 0xFFFFFFFEu));
    assert_false(meta_seq_newer(0xFFFFFFFFu, 0u));
    assert_true(meta_seq_newer(0xFFFFFFFFu, 0xFFFFFFFDu));
}

static void test_meta_load_factory_state(void **state)
{
    struct meta_record r;

    (void)state;
    assert_int_equal(meta_load(&r), FOTA_ENOENT);
    assert_int_equal(meta_load(NULL), FOTA_EINVAL);
}

static void test_meta_commit_first_record(void **state)
{
    struct meta_record r = rec_with(11), l;

    (void)state;
    assert_int_equal(meta_commit(&r), 0);
    assert_int_equal(r.mr_magic, META_MAGIC);
    assert_int_equal(r.mr_seq, 1);
    assert_int_equal(r.mr_crc32, meta_record_crc(&r));
    assert_memory_equal(rec_at(META0_OFF, 0), &r, sizeof(r));
    /* erased flash: no erase needed */
    assert_int_equal(sim_erases(), 0);
    assert_int_equal(sim_programs(), 1);
    assert_int_equal(meta_load(&l), 0);
    assert_memory_equal(&l, &r, sizeof(r));
}

static void test_meta_commit_appends(void **state)
{
    uint32_t i;

    (void)state;
    for (i = 1; i <= 5; i++) {
        commit_marker(100 + i);
        assert_int_equal(rec_at(META0_OFF, i - 1)->mr_seq, i);
        assert_int_equal(loaded_marker(), 100 + i);
    }
    assert_int_equal(sim_erases(), 0);
    assert_int_equal(sim_programs(), 5);
    assert_int_equal(rec_at(META1_OFF, 0)->mr_magic, 0xFFFFFFFFu);
}

static void test_meta_commit_reserved_zeroed(void **state)
{
    struct meta_record r = rec_with(1);

    (void)state;
    memset(r.mr_reserved, 0xEE, sizeof(r.mr_reserved));
    memset(r.mr_reserved2, 0xEE, sizeof(r.mr_reserved2));
    r.mr_slot[1].ms_pad[2] = 9;
    assert_int_equal(meta_commit(&r), 0);
    assert_int_equal(rec_at(META0_OFF, 0)->mr_reserved[0], 0);
    assert_int_equal(rec_at(META0_OFF, 0)->mr_reserved2[7], 0);
    assert_int_equal(rec_at(META0_OFF, 0)->mr_slot[1].ms_pad[2], 0);
}

static void test_meta_commit_invalid(void **state)
{
    struct meta_record r;

    (void)state;
    assert_int_equal(meta_commit(NULL), FOTA_EINVAL);
    r = rec_with(1);
    r.mr_active = 2;
    assert_int_equal(meta_commit(&r), FOTA_EINVAL);
    r = rec_with(1);
    r.mr_trial_slot = 7;
    assert_int_equal(meta_commit(&r), FOTA_EINVAL);
    r = rec_with(1);
    r.mr_slot[1].ms_state = 5;
    assert_int_equal(meta_commit(&r), FOTA_EINVAL);
    assert_int_equal(sim_ops(), 0);
    r = rec_with(1);
    r.mr_active = META_NO_SLOT;
    assert_int_equal(meta_commit(&r), 0);
}

static void test_meta_commit_sector_rollover(void **state)
{
    uint32_t i;

    (void)state;
    for (i = 1; i <= META_RECORDS_PER_SECTOR; i++) {
        commit_marker(i);
    }
    assert_int_equal(sim_erases(), 0);
    assert_int_equal(rec_at(META0_OFF, META_RECORDS_PER_SECTOR - 1)->mr_seq, META_RECORDS_PER_SECTOR);
    /* META0 full: the next one erases META1 and starts it */
    commit_marker(1000);
    assert_int_equal(sim_erases(), 1);
    assert_int_equal(sim_op_log(&i)[sim_ops() - 2].sector, LAYOUT_META1_SECTOR);
    assert_int_equal(rec_at(META1_OFF, 0)->mr_seq, META_RECORDS_PER_SECTOR + 1);
    assert_int_equal(loaded_marker(), 1000);
    /* META0 still holds its (older) records */
    assert_int_equal(rec_at(META0_OFF, 0)->mr_seq, 1);
    for (i = 2; i <= META_RECORDS_PER_SECTOR; i++) {
        commit_marker(1000 + i);
    }
    assert_int_equal(sim_erases(), 1);
    commit_marker(5000);
    assert_int_equal(sim_erases(), 2);
    assert_int_equal(rec_at(META0_OFF, 0)->mr_seq, 2 * META_RECORDS_PER_SECTOR + 1);
    assert_int_equal(rec_at(META0_OFF, 1)->mr_magic, 0xFFFFFFFFu); /* rest of META0 erased */
    assert_int_equal(loaded_marker(), 5000);
}

static void test_meta_commit_torn_next_place_uses_other_sector(void **state)
{
    uint8_t junk[32];
    uint32_t n;

    (void)state;
    commit_marker(1);
    commit_marker(2);
    /* a torn earlier write left the next place dirty */
    memset(junk, 0x00, sizeof(junk));
    memcpy(sim_flash() + META0_OFF + 2 * META_RECORD_SIZE, junk, sizeof(junk));
    assert_int_equal(loaded_marker(), 2);
    commit_marker(3);
    assert_int_equal(sim_erases(), 1);
    assert_int_equal(sim_op_log(&n)[2].sector, LAYOUT_META1_SECTOR);
    assert_int_equal(rec_at(META1_OFF, 0)->mr_seq, 3);
    assert_int_equal(loaded_marker(), 3);
    /* the newest's sector kept its records */
    assert_int_equal(rec_at(META0_OFF, 1)->mr_seq, 2);
    commit_marker(4);
    assert_int_equal(rec_at(META1_OFF, 1)->mr_seq, 4);
    assert_int_equal(sim_erases(), 1);
}

static void test_meta_load_bit_flip_in_newest(void **state)
{
    struct meta_record r;

    (void)state;
    commit_marker(1);
    commit_marker(2);
    commit_marker(3);
    sim_flash_flip_bit(LAYOUT_META0_ADDR + 2 * META_RECORD_SIZE + 0x10, 0);
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_seq, 2);
    assert_int_equal(r.mr_slot[0].ms_version, 2);
    /* a flip in the magic of the older ones too */
    sim_flash_flip_bit(LAYOUT_META0_ADDR + 1 * META_RECORD_SIZE, 5);
    assert_int_equal(loaded_marker(), 1);
    sim_flash_flip_bit(LAYOUT_META0_ADDR + 0x3C, 1); /* CRC of record 0 */
    assert_int_equal(meta_load(&r), FOTA_ENOENT);
}

static void test_meta_commit_after_bit_flip(void **state)
{
    struct meta_record r;

    (void)state;
    commit_marker(1);
    commit_marker(2);
    sim_flash_flip_bit(LAYOUT_META0_ADDR + 1 * META_RECORD_SIZE + 0x20, 4);
    assert_int_equal(loaded_marker(), 1);
    commit_marker(3);
    /* place after the newest valid (index 1) is the flipped record: other sector */
    assert_int_equal(meta_load(&r), 0);
    assert_int_equal(r.mr_seq, 2);
    assert_int_equal(r.mr_slot[0].ms_version, 3);
    assert_int_equal(rec_at(META1_OFF, 0)->mr_seq, 2);
}

static void test_meta_commit_seq_highest_wins_over_position(void **state)
{
    struct meta_record a = rec_with(50), b = rec_with(60);

    (void)state;
    /* META1 holds seq 9 at index 0, META0 seq 8 at index 3: seq decides */
    a.mr_magic = META_MAGIC; a.mr_seq = 8; a.mr_crc32 = meta_record_crc(&a);
    b.mr_magic = META_MAGIC; b.mr_seq = 9; b.mr_crc32 = meta_record_crc(&b);
    sim_flash_write_raw(LAYOUT_META0_ADDR + 3 * META_RECORD_SIZE, &a, sizeof(a));
    sim_flash_write_raw(LAYOUT_META1_ADDR, &b, sizeof(b));
    assert_int_equal(loaded_marker(), 60);
    commit_marker(70);
    assert_int_equal(rec_at(META1_OFF, 1)->mr_seq, 10);
}

static void test_meta_commit_program_fails(void **state)
{
    struct meta_record r = rec_with(2);

    (void)state;
    commit_marker(1);
    sim_ops_reset();
    sim_fault_fail(1, FOTA_EFLASH);
    assert_int_equal(meta_commit(&r), FOTA_EFLASH);
    assert_true(sim_fault_fired());
    assert_int_equal(loaded_marker(), 1);
    commit_marker(3);
    assert_int_equal(loaded_marker(), 3);
}

static void test_meta_commit_erase_fails(void **state)
{
    struct meta_record r = rec_with(2);
    uint32_t i;

    (void)state;
    for (i = 0; i < META_RECORDS_PER_SECTOR; i++) {
        commit_marker(1);
    }
    sim_ops_reset();
    sim_fault_fail(1, FOTA_ELOCKED);
    assert_int_equal(meta_commit(&r), FOTA_ELOCKED);
    assert_int_equal(sim_programs(), 0);
    assert_int_equal(loaded_marker(), 1);
}

static void test_meta_commit_readback_mismatch(void **state)
{
    struct meta_record r = rec_with(2);

    (void)state;
    commit_marker(1);
    sim_ops_reset();
    /* the program "succeeds" but the cells do not take it */
    sim_fault_fail(1, 0);
    assert_int_equal(meta_commit(&r), FOTA_ECRC);
    assert_int_equal(loaded_marker(), 1);
}

static void test_meta_state_name_all(void **state)
{
    (void)state;
    assert_string_equal(meta_state_name(META_SLOT_EMPTY), "empty");
    assert_string_equal(meta_state_name(META_SLOT_PENDING), "pending");
    assert_string_equal(meta_state_name(META_SLOT_TRIAL), "trial");
    assert_string_equal(meta_state_name(META_SLOT_CONFIRMED), "confirmed");
    assert_string_equal(meta_state_name(META_SLOT_REJECTED), "rejected");
    assert_string_equal(meta_state_name(5), "?");
    assert_string_equal(meta_state_name(0xFF), "?");
}

static void test_meta_record_check_all(void **state)
{
    struct meta_record r = rec_with(4);

    (void)state;
    r.mr_magic = META_MAGIC;
    r.mr_crc32 = meta_record_crc(&r);
    assert_int_equal(meta_record_check(&r), 0);
    r.mr_seq++;
    assert_int_equal(meta_record_check(&r), FOTA_ECRC);
    r.mr_magic = 0xFFFFFFFFu;
    assert_int_equal(meta_record_check(&r), FOTA_EMAGIC);
}

/* ---- Power-cut sweep over one commit ---- */

struct commit_arg {
    struct meta_record rec;
    int rc;
};

static void commit_fn(void *arg)
{
    struct commit_arg *a = (struct commit_arg *)arg;
    a->rc = meta_commit(&a->rec);
}

/* Starting points: how the log looks before the commit under test. */
static void prep_factory(void) { }
static void prep_middle(void) { uint32_t i; for (i = 1; i <= 5; i++) { commit_marker(i); } }
static void prep_full(void)
{
    uint32_t i;
    for (i = 1; i <= META_RECORDS_PER_SECTOR; i++) {
        commit_marker(i);
    }
}
static void prep_dirty_next(void)
{
    static const uint8_t junk[40] = { 0 };
    prep_middle();
    memcpy(sim_flash() + META0_OFF + 5 * META_RECORD_SIZE, junk, sizeof(junk));
}
static void prep_both_sectors(void)
{
    uint32_t i;
    for (i = 1; i <= META_RECORDS_PER_SECTOR + 7; i++) {
        commit_marker(i);
    }
}
static void prep_factory_garbage(void)
{
    /* no valid record, but META0 is not erased (an interrupted first commit) */
    memset(sim_flash() + META0_OFF, 0x00, 20);
}

static void test_meta_commit_power_cut_sweep(void **state)
{
    static void (*const preps[])(void) = {
        prep_factory, prep_middle, prep_full, prep_dirty_next, prep_both_sectors, prep_factory_garbage,
    };
    static uint8_t snap[LAYOUT_FLASH_SIZE];
    uint32_t p, n, total, cuts = 0;
    int t;

    (void)state;
    for (p = 0; p < sizeof(preps) / sizeof(preps[0]); p++) {
        struct meta_record old;
        int had_old;
        struct commit_arg a;
        uint32_t k;
        const struct sim_op *log;

        sim_init();
        preps[p]();
        had_old = (meta_load(&old) == 0);
        memcpy(snap, sim_flash(), sizeof(snap));

        /* clean run: how many operations, which one is the record program */
        sim_ops_reset();
        a.rec = rec_with(777);
        assert_int_equal(sim_run(commit_fn, &a), SIM_EXIT_RETURNED);
        assert_int_equal(a.rc, 0);
        total = sim_ops();
        log = sim_op_log(&k);
        assert_true(total >= 1 && total <= 2);
        assert_int_equal(log[total - 1].kind, SIM_OP_PROGRAM);

        for (n = 1; n <= total; n++) {
            for (t = SIM_TORN_NONE; t <= SIM_TORN_ALL; t++) {
                struct meta_record now;
                int committed = (n == total && t == SIM_TORN_ALL);

                memcpy(sim_flash(), snap, sizeof(snap));
                sim_ops_reset();
                sim_fault_cut(n, (enum sim_torn)t);
                a.rec = rec_with(777);
                assert_int_equal(sim_run(commit_fn, &a), SIM_EXIT_POWER_CUT);
                sim_fault_clear();
                cuts++;

                /* old or new, never neither */
                if (committed) {
                    assert_int_equal(meta_load(&now), 0);
                    assert_int_equal(now.mr_slot[0].ms_version, 777);
                    assert_int_equal(now.mr_seq, had_old ? old.mr_seq + 1 : 1);
                } else if (had_old) {
                    assert_int_equal(meta_load(&now), 0);
                    assert_memory_equal(&now, &old, sizeof(old));
                } else {
                    assert_int_equal(meta_load(&now), FOTA_ENOENT);
                }
                /* and the log keeps working */
                commit_marker(888);
                assert_int_equal(meta_load(&now), 0);
                assert_int_equal(now.mr_slot[0].ms_version, 888);
                commit_marker(889);
                assert_int_equal(loaded_marker(), 889);
            }
        }
    }
    assert_true(cuts >= 3u * 6u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_seq_newer_across_wrap),
        cmocka_unit_test_setup(test_meta_load_factory_state, setup),
        cmocka_unit_test_setup(test_meta_commit_first_record, setup),
        cmocka_unit_test_setup(test_meta_commit_appends, setup),
        cmocka_unit_test_setup(test_meta_commit_reserved_zeroed, setup),
        cmocka_unit_test_setup(test_meta_commit_invalid, setup),
        cmocka_unit_test_setup(test_meta_commit_sector_rollover, setup),
        cmocka_unit_test_setup(test_meta_commit_torn_next_place_uses_other_sector, setup),
        cmocka_unit_test_setup(test_meta_load_bit_flip_in_newest, setup),
        cmocka_unit_test_setup(test_meta_commit_after_bit_flip, setup),
        cmocka_unit_test_setup(test_meta_commit_seq_highest_wins_over_position, setup),
        cmocka_unit_test_setup(test_meta_commit_program_fails, setup),
        cmocka_unit_test_setup(test_meta_commit_erase_fails, setup),
        cmocka_unit_test_setup(test_meta_commit_readback_mismatch, setup),
        cmocka_unit_test_setup(test_meta_state_name_all, setup),
        cmocka_unit_test_setup(test_meta_record_check_all, setup),
        cmocka_unit_test_setup(test_meta_commit_power_cut_sweep, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
