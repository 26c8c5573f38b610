/* tests/fuzz/scenario-fuzz.c: libFuzzer target for the scenario file
 * parser (harness/scenario/scenario.c) through its buffer API. Bad input
 * must give an error (`file:line: what`), never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hil_scenario_list list = { 0 };
    char err[512];
    int rc = hil_scenario_parse_buffer("fuzz.yaml", (const char *)data, size, &list, err, sizeof(err));

    if (rc != 0 && (list.count != 0 || err[0] == '\0')) {
        abort(); /* an error without a message, or with scenarios appended */
    }
    if (rc == 0) {
        (void)hil_scenario_check_unique(&list, err, sizeof(err));
    }
    hil_scenario_list_free(&list);
    return 0;
}
