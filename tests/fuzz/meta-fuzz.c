/* tests/fuzz/meta-fuzz.c: libFuzzer target for the metadata record decoder
 * (bootloader/core/meta.c) and the log scan and commit over it
 * (meta_log.c) on the sim port. The input is the content of the two
 * metadata sectors (LAYOUT_META0, then META1; the rest stays erased).
 * Whatever the log holds: meta_load() does not crash, and when it finds a
 * record, a commit of that record succeeds and becomes the newest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fota/errors.h"
#include "fota/meta.h"
#include "sim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sim_init();
    return 0;
}

static void meta_fuzz_commit(const struct meta_record *found)
{
    struct meta_record r = *found, back;
    int rc = meta_commit(&r);

    if (rc == FOTA_EINVAL) {
        return; /* a record with out-of-range slots is never written */
    }
    if (rc != 0 || meta_load(&back) != 0 || back.mr_seq != found->mr_seq + 1u ||
        memcmp(&back, &r, sizeof(r)) != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t cap = 2u * LAYOUT_META_SECTOR_SIZE;
    struct meta_record r;
    uint32_t i;

    memset(sim_flash() + (LAYOUT_META0_ADDR - LAYOUT_FLASH_BASE), 0xFF, cap);
    sim_flash_write_raw(LAYOUT_META0_ADDR, data, (uint32_t)(size < cap ? size : cap));
    sim_ops_reset();
    if (size >= sizeof(r)) {
        memcpy(&r, data, sizeof(r));
        (void)meta_record_check(&r);
        (void)meta_version_floor(&r);
        for (i = 0; i < LAYOUT_SLOT_COUNT; i++) {
            (void)meta_state_name(r.mr_slot[i].ms_state);
        }
    }
    if (meta_load(&r) == 0) {
        if (meta_record_check(&r) != 0) {
            abort(); /* loaded a record that does not check */
        }
        meta_fuzz_commit(&r);
    }
    return 0;
}
