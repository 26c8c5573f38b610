/* tests/fuzz/trace-fuzz.c: libFuzzer target for the pcap trace reader
 * that replay uses (harness/trace/trace.c: hil_trace_read_open/next).
 * The reader takes a path (libpcap's pcap_open_offline), so each input is
 * written to one temporary file first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "fota/errors.h"
#include "trace/trace.h"

static char trace_fuzz_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int fd;

    (void)argc;
    (void)argv;
    snprintf(trace_fuzz_path, sizeof(trace_fuzz_path), "/tmp/trace-fuzz-XXXXXX");
    fd = mkstemp(trace_fuzz_path);
    if (fd < 0) {
        abort();
    }
    close(fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hil_trace_reader *r = NULL;
    struct hil_trace_rec rec;
    FILE *f = fopen(trace_fuzz_path, "wb");
    uint32_t n;

    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        abort();
    }
    char why[256];
    if (hil_trace_read_open(trace_fuzz_path, &r, why, sizeof(why)) != 0) {
        return 0;
    }
    for (n = 0; n < 100000u; n++) {
        int rc = hil_trace_read_next(r, &rec);
        if (rc == FOTA_ENOENT || rc == FOTA_EIO) {
            break;
        }
    }
    hil_trace_read_close(r);
    return 0;
}
