/* tests/fuzz/board_profile-fuzz.c: libFuzzer target for the rig-profile
 * parser (harness/target/board_profile.c) through its buffer API. */
#include <stdint.h>
#include <stdlib.h>
#include "target/board_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hil_board_profile *p = NULL;
    char err[512];
    int rc = hil_board_profile_parse("fuzz.yaml", (const char *)data, size, &p, err, sizeof(err));

    if ((rc == 0) != (p != NULL)) {
        abort();
    }
    if (p != NULL) {
        (void)hil_board_provides(p, "power_cut");
        hil_board_profile_free(p);
    }
    return 0;
}
