/**
 * @file dissector-test.c
 * @brief The Wireshark dissector scripts/fota-hil.lua, through tshark: the
 * sample trace (trace_sample.c) is dissected with `tshark -T fields` and
 * every field of every packet is compared with what C computes from the
 * values written (frame fields decoded here from the bytes, CRC with the
 * core's crc32). Fails if tshark is missing, the script does not load,
 * a Lua error occurs, or any field decodes differently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/proto.h"
#include "trace/trace.h"
#include "trace_sample.h"
#include "tshark_check.h"

static struct sample g_sample;
static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof(g_dir), "%s/dissector-test.XXXXXX", tmp != NULL ? tmp : "/tmp");
    return mkdtemp(g_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_fotahil_lua_every_field(void **state)
{
    (void)state;
    if (system("command -v tshark >/dev/null 2>&1") != 0) {
        fail_msg("tshark is not installed: run `make deps` (scripts/install-deps.sh)");
    }
    char pcap[128];
    snprintf(pcap, sizeof(pcap), "%s/sample.pcap", g_dir);
    assert_int_equal(sample_write(pcap, &g_sample), 0);
    struct hil_trace_rec recs[SAMPLE_MAX_RECS];
    for (int i = 0; i < g_sample.count; i++) {
        recs[i] = g_sample.recs[i].rec;
    }
    tc_row *want = tc_expect(recs, g_sample.count);
    assert_non_null(want);
    /* The generator of expectations agrees with hand-picked facts. */
    assert_string_equal(want[SAMPLE_BAD_CRC_REC][C_F_CRC_STATUS], "0");
    assert_string_equal(want[SAMPLE_BAD_CRC_REC][C_D_RETRANS], "");
    assert_string_equal(want[SAMPLE_NACK_REC][C_F_TYPE], "0xff");
    assert_string_equal(want[SAMPLE_NACK_REC][C_F_STATUS], "4");
    assert_string_equal(want[SAMPLE_RETRANS_REC][C_D_RETRANS], "1");
    assert_string_equal(want[SAMPLE_RETRANS_REC][C_D_OFFSET], "1024");
    assert_string_equal(want[SAMPLE_RETRANS_REC][C_F_CRC_STATUS], "1");
    assert_string_equal(want[SAMPLE_ROM_GET_RSP_REC][C_ROM_ACK], "0x79");
    assert_string_equal(want[SAMPLE_ROM_GET_RSP_REC][C_R_PROTO], "1");
    assert_string_equal(want[SAMPLE_ROM_GID_RSP_REC][C_ROM_PID], "0x0413");
    assert_string_equal(want[SAMPLE_ROM_WM_ADDR_REC][C_ROM_ADDR], "0x08080000");
    assert_string_equal(want[SAMPLE_ROM_WM_ADDR_REC][C_ROM_CKSUM_STATUS], "1");
    assert_string_equal(want[SAMPLE_ROM_BAD_CKSUM_REC][C_ROM_LEN], "4");
    assert_string_equal(want[SAMPLE_ROM_BAD_CKSUM_REC][C_ROM_CKSUM_STATUS], "0");
    assert_string_equal(want[SAMPLE_ROM_BAD_CKSUM_REC][C_E_ROM_CKSUM], "1");
    assert_string_equal(want[SAMPLE_ROM_NACK_REC][C_ROM_ACK], "0x1f");
    assert_string_equal(want[SAMPLE_ROM_NACK_REC][C_E_ROM_NACK], "1");
    assert_string_equal(want[SAMPLE_ROM_RM_LEN_REC][C_ROM_LEN], "16");
    assert_string_equal(want[SAMPLE_ROM_BAD_CPL_REC][C_ROM_CMD], "0x21");
    assert_string_equal(want[SAMPLE_ROM_BAD_CPL_REC][C_ROM_CKSUM_STATUS], "0");
    assert_string_equal(want[SAMPLE_AN4286_CMD_REC][C_ROM_CMD], "0x02");
    assert_string_equal(want[SAMPLE_AN4286_CMD_REC][C_R_PROTO], "2");
    assert_string_equal(want[SAMPLE_AN4286_CMD_REC][C_R_LINK], "1");
    int bad = tc_compare(pcap, (const tc_row *)want, g_sample.count, g_dir);
    free(want);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fotahil_lua_every_field, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
