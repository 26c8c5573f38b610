/**
 * @file suite-trace-test.c
 * @brief Run traces of real scenarios (QEMU): fota-hil runs a few suite
 * scenarios with --pcap all; each trace.pcap must decode in tshark with
 * every field as the harness wrote it (tshark_check), must hold exactly
 * the frames, flash operations, faults and console lines events.log lists,
 * and the corner cases the scenario provokes (corrupted frame, NACK,
 * retransmission, power cut). A passing case without --pcap all keeps no
 * trace. `fota-hil replay` of those captures against a fresh target gives
 * the same verdict; a tampered capture (an answer changed) is reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "fota/crc32.h"
#include "fota/errors.h"
#include "fota/proto.h"
#include "trace/trace.h"
#include "tshark_check.h"

#ifndef HIL_FOTA_HIL
#define HIL_FOTA_HIL "build/host/fota-hil"
#endif

static char g_dir[128];
static int g_run_status = -1;

static const char *const g_ids[] = {
    "link.corrupt.data_chunk",
    "link.corrupt.response",
    "power.cut.slot_program_middle",
};
#define NIDS ((int)(sizeof(g_ids) / sizeof(g_ids[0])))

/* ROM path (AN3155 units, a NACK and a silent command fault) and SPI link faults. */
#define ROM_ID "rom.an3155.nack_timeout"
#define SPI_ID "link.spi.transfer_faults"

static int run_cmd(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof(g_dir), "%s/suite-trace-test.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        return -1;
    }
    char filters[512] = " --filter '" ROM_ID "' --filter '" SPI_ID "'";
    for (int i = 0; i < NIDS; i++) {
        size_t u = strlen(filters);
        snprintf(filters + u, sizeof(filters) - u, " --filter '%s'", g_ids[i]);
    }
    g_run_status = run_cmd("%s run -j 2 --pcap all --work-dir '%s/work'%s scenarios/ >'%s/run.log' 2>&1",
                           HIL_FOTA_HIL, g_dir, filters, g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return run_cmd("rm -rf '%s'", g_dir) == 0 ? 0 : -1;
}

/* Lines of @p path containing @p needle. */
static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, needle) != NULL) {
            n++;
        }
    }
    fclose(f);
    return n;
}

static void load(const char *id, struct tc_recs *recs)
{
    char pcap[512];
    snprintf(pcap, sizeof(pcap), "%s/work/%s/trace.pcap", g_dir, id);
    assert_int_equal(tc_load(pcap, recs), 0);
    assert_true(recs->count > 10);
}

static void test_runtrace_suite_ran(void **state)
{
    (void)state;
    if (g_run_status != 0) {
        run_cmd("cat '%s/run.log' >&2", g_dir);
    }
    assert_int_equal(g_run_status, 0);
}

/* tshark decodes every field of every record as the harness wrote it. */
static void test_runtrace_pcap_every_field_decoded(void **state)
{
    (void)state;
    for (int i = 0; i < NIDS; i++) {
        struct tc_recs recs;
        load(g_ids[i], &recs);
        tc_row *want = tc_expect(recs.recs, recs.count);
        assert_non_null(want);
        char pcap[512];
        snprintf(pcap, sizeof(pcap), "%s/work/%s/trace.pcap", g_dir, g_ids[i]);
        int bad = tc_compare(pcap, (const tc_row *)want, recs.count, g_dir);
        free(want);
        tc_free(&recs);
        assert_int_equal(bad, 0);
    }
}

/* The trace holds what events.log lists: frames, faults, flash ops, console lines. */
static void test_runtrace_pcap_matches_events_log(void **state)
{
    (void)state;
    for (int i = 0; i < NIDS; i++) {
        struct tc_recs recs;
        load(g_ids[i], &recs);
        int frames[3] = { 0 }, lost[3] = { 0 }, faults = 0, flash = 0, cuts = 0, console = 0;
        for (int k = 0; k < recs.count; k++) {
            const struct hil_trace_rec *r = &recs.recs[k];
            if (r->kind == HIL_TRACE_FRAME && r->frame.index != 0) {
                frames[r->dir]++;
            } else if (r->kind == HIL_TRACE_FAULT) {
                faults++;
                if (r->fault.kind == HIL_TRACE_FAULT_DROP || r->fault.kind == HIL_TRACE_FAULT_DISCONNECT) {
                    lost[r->dir]++;
                }
            } else if (r->kind == HIL_TRACE_FLASH) {
                flash++;
                cuts += r->flash.verdict == HIL_ACT_CUT;
            } else if (r->kind == HIL_TRACE_CONSOLE) {
                console++;
            }
        }
        char ev[512];
        snprintf(ev, sizeof(ev), "%s/work/%s/events.log", g_dir, g_ids[i]);
        /* the proxy logs every frame it sees; a dropped one is not forwarded */
        assert_int_equal(count_lines(ev, "] link > #"), frames[HIL_TRACE_DIR_TO_TARGET] + lost[HIL_TRACE_DIR_TO_TARGET]);
        assert_int_equal(count_lines(ev, "] link < #"), frames[HIL_TRACE_DIR_TO_HOST] + lost[HIL_TRACE_DIR_TO_HOST]);
        assert_int_equal(count_lines(ev, " FAULT corrupt") + count_lines(ev, " FAULT drop") +
                         count_lines(ev, " FAULT disconnect"), faults);
        assert_int_equal(count_lines(ev, "] flash "), flash);
        assert_int_equal(count_lines(ev, "FAULT power_cut"), cuts);
        assert_int_equal(count_lines(ev, "] console: "), console);
        tc_free(&recs);
    }
}

/* The corner cases each scenario provokes are in its trace. */
static void test_runtrace_pcap_corner_cases(void **state)
{
    (void)state;
    struct tc_recs recs;
    load("link.corrupt.data_chunk", &recs);
    int k = 0;
    while (k < recs.count && recs.recs[k].kind != HIL_TRACE_FAULT) {
        k++;
    }
    assert_true(k + 2 < recs.count);
    assert_int_equal(recs.recs[k].fault.kind, HIL_TRACE_FAULT_CORRUPT);
    /* the next record is the corrupted frame as forwarded: its byte is flipped, CRC bad */
    const struct hil_trace_rec *fr = &recs.recs[k + 1];
    assert_int_equal(fr->kind, HIL_TRACE_FRAME);
    assert_int_equal(fr->frame.index, recs.recs[k].fault.frame);
    struct proto_parser p;
    proto_parser_init(&p);
    int res = PROTO_FEED_MORE;
    for (size_t b = 0; b < fr->frame.len; b++) {
        res = proto_parser_feed(&p, fr->frame.bytes[b]);
    }
    assert_int_equal(res, PROTO_FEED_BAD_CRC);
    int nack = 0;
    for (int j = k + 2; j < recs.count && !nack; j++) {
        const struct hil_trace_rec *r = &recs.recs[j];
        nack = r->kind == HIL_TRACE_FRAME && r->dir == HIL_TRACE_DIR_TO_HOST && r->frame.len > 2 &&
               r->frame.bytes[2] == PROTO_T_NACK;
    }
    assert_true(nack);
    tc_free(&recs);

    load("power.cut.slot_program_middle", &recs);
    int cut = -1;
    for (int j = 0; j < recs.count && cut < 0; j++) {
        if (recs.recs[j].kind == HIL_TRACE_FLASH && recs.recs[j].flash.verdict == HIL_ACT_CUT) {
            cut = j;
        }
    }
    assert_true(cut >= 0);
    assert_int_equal(recs.recs[cut].flash.torn, HIL_TORN_HALF);
    assert_int_equal(recs.recs[cut].flash.region, HIL_REGION_SLOT_B);
    assert_true((recs.recs[cut].flags & HIL_TRACE_F_SHA) != 0);
    assert_int_equal(recs.recs[cut + 1].kind, HIL_TRACE_POWER);
    assert_int_equal(recs.recs[cut + 1].power.event, HIL_TRACE_PWR_CUT);
    tc_free(&recs);
}

/* ROM-path and SPI traces: tshark decodes every field (AN3155 units included) as C does. */
static void test_runtrace_rom_spi_every_field_decoded(void **state)
{
    (void)state;
    const char *ids[] = { ROM_ID, SPI_ID };
    for (int i = 0; i < 2; i++) {
        struct tc_recs recs;
        load(ids[i], &recs);
        tc_row *want = tc_expect(recs.recs, recs.count);
        assert_non_null(want);
        char pcap[512];
        snprintf(pcap, sizeof(pcap), "%s/work/%s/trace.pcap", g_dir, ids[i]);
        int bad = tc_compare(pcap, (const tc_row *)want, recs.count, g_dir);
        free(want);
        tc_free(&recs);
        assert_int_equal(bad, 0);
    }
}

/* The ROM trace agrees with events.log: one record per fired ROM fault,
 * every WRITE MEMORY data unit comes right after its FLASH program, the
 * syncs the ROM logged are there. */
static void test_runtrace_rom_matches_events_log(void **state)
{
    (void)state;
    struct tc_recs recs;
    load(ROM_ID, &recs);
    char ev[512];
    snprintf(ev, sizeof(ev), "%s/work/%s/events.log", g_dir, ROM_ID);
    int rom_faults = 0, syncs = 0, writes = 0, units = 0, nacks = 0;
    uint32_t addr = 0;
    bool have_addr = false;
    int phase = 0; /* 0 command, 1 WM address, 2 WM data */
    for (int k = 0; k < recs.count; k++) {
        const struct hil_trace_rec *r = &recs.recs[k];
        if (r->kind == HIL_TRACE_FAULT && r->proto == HIL_TRACE_PROTO_AN3155) {
            rom_faults++;
            assert_true(r->fault.kind == HIL_TRACE_FAULT_ROM_NACK || r->fault.kind == HIL_TRACE_FAULT_ROM_SILENT);
        }
        if (r->kind != HIL_TRACE_FRAME || r->proto != HIL_TRACE_PROTO_AN3155) {
            continue;
        }
        units++;
        assert_false(r->spi);
        const uint8_t *b = r->frame.bytes;
        if (r->dir == HIL_TRACE_DIR_TO_HOST) {
            nacks += b[0] == 0x1Fu;
            continue;
        }
        if (r->frame.len == 1 && b[0] == 0x7Fu) {
            syncs++;
        } else if (r->frame.len == 2 && b[0] == 0x31u && b[1] == 0xCEu) {
            phase = 1;
            continue;
        } else if (phase == 1 && r->frame.len == 5) {
            addr = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
            have_addr = true;
            phase = 2;
            continue;
        } else if (phase == 2 && have_addr && r->frame.len == b[0] + 3u) {
            /* the write is programmed: a unit is recorded once the ROM
             * answered, so its FLASH record comes just before it */
            int j = k - 1;
            while (j >= 0 && recs.recs[j].kind != HIL_TRACE_FLASH) {
                j--;
            }
            assert_true(j >= 0);
            assert_int_equal(recs.recs[j].flash.op, HIL_OP_PROGRAM);
            assert_int_equal(recs.recs[j].flash.addr, addr);
            assert_int_equal(recs.recs[j].flash.len, b[0] + 1u);
            writes++;
        }
        phase = 0;
        have_addr = false;
    }
    assert_true(units > 20);
    assert_true(writes > 2);
    assert_int_equal(count_lines(ev, "rom: FAULT"), rom_faults);
    assert_true(rom_faults >= 2);
    assert_true(nacks >= 1);
    assert_int_equal(count_lines(ev, "rom: 0x7F autobaud"), syncs);
    tc_free(&recs);
}

/* The SPI trace: every update frame flagged SPI, one FAULT per SPI fault logged. */
static void test_runtrace_spi_matches_events_log(void **state)
{
    (void)state;
    struct tc_recs recs;
    load(SPI_ID, &recs);
    char ev[512];
    snprintf(ev, sizeof(ev), "%s/work/%s/events.log", g_dir, SPI_ID);
    int frames = 0, spi_faults = 0;
    for (int k = 0; k < recs.count; k++) {
        const struct hil_trace_rec *r = &recs.recs[k];
        if (r->kind == HIL_TRACE_FRAME) {
            assert_true(r->spi);
            assert_int_equal(r->proto, HIL_TRACE_PROTO_FOTA);
            frames += r->frame.index != 0;
        } else if (r->kind == HIL_TRACE_FAULT && r->fault.kind >= HIL_TRACE_FAULT_SPI_DROP &&
                   r->fault.kind <= HIL_TRACE_FAULT_SPI_MISO_STUCK) {
            assert_true(r->spi);
            spi_faults++;
        }
    }
    assert_true(frames > 4);
    assert_int_equal(count_lines(ev, "spi: FAULT"), spi_faults);
    assert_true(spi_faults >= 4);
    assert_int_equal(count_lines(ev, "] link > #") + count_lines(ev, "] link < #"), frames);
    tc_free(&recs);
}

/* Without --pcap all a passing case leaves no trace. */
static void test_runtrace_close_pass_deletes_pcap(void **state)
{
    (void)state;
    int st = run_cmd("%s run -j 1 --work-dir '%s/work2' --filter image.wrong_slot_refused scenarios/ "
                     ">'%s/run2.log' 2>&1", HIL_FOTA_HIL, g_dir, g_dir);
    assert_int_equal(st, 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/work2/image.wrong_slot_refused/trace.pcap", g_dir);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/work2/image.wrong_slot_refused/events.log", g_dir);
    assert_int_equal(access(path, F_OK), 0);
}

/* Replaying a suite capture against a fresh target reproduces its verdict. */
static void test_hil_replay_main_same_verdict(void **state)
{
    (void)state;
    for (int i = 0; i < NIDS; i++) {
        int st = run_cmd("%s replay --work-dir '%s/replay/%s' '%s/work/%s/trace.pcap' >'%s/replay-%s.log' 2>&1",
                         HIL_FOTA_HIL, g_dir, g_ids[i], g_dir, g_ids[i], g_dir, g_ids[i]);
        if (st != 0) {
            run_cmd("cat '%s/replay-%s.log' >&2", g_dir, g_ids[i]);
        }
        assert_int_equal(st, 0);
        char log[512];
        snprintf(log, sizeof(log), "%s/replay-%s.log", g_dir, g_ids[i]);
        assert_int_equal(count_lines(log, "verdict: same as the capture"), 1);
        assert_int_equal(count_lines(log, "DIFF"), 0);
    }
}

/*
 * Copy @p in to @p out with the status byte of the first target->host
 * frame of @p type set to @p status (CRC fixed, so only the content lies).
 * @return 1 if a frame was changed.
 */
static int tamper(const char *in, const char *out, uint8_t type, uint8_t status)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(in, err);
    assert_non_null(p);
    pcap_dumper_t *d = pcap_dump_open(p, out);
    assert_non_null(d);
    struct pcap_pkthdr *h;
    const u_char *data;
    int done = 0;
    static uint8_t buf[65536];
    while (pcap_next_ex(p, &h, &data) == 1) {
        memcpy(buf, data, h->caplen);
        /* FRAME record to the host: header 6, index 4, then the frame */
        if (!done && h->caplen >= 10 + 11 && buf[1] == HIL_TRACE_FRAME && buf[2] == HIL_TRACE_DIR_TO_HOST) {
            uint8_t *f = buf + 10;
            size_t n = h->caplen - 10;
            for (size_t s = 0; s + 11 <= n; s++) {
                if (f[s] == PROTO_SYNC0 && f[s + 1] == PROTO_SYNC1 && f[s + 2] == type) {
                    uint16_t plen = proto_get_u16(f + s + 4);
                    f[s + 6] = status;
                    proto_put_u32(f + s + 6 + plen, crc32_update(0, f + s + 2, 4u + plen));
                    done = 1;
                    break;
                }
            }
        }
        pcap_dump((u_char *)d, h, buf);
    }
    pcap_dump_close(d);
    pcap_close(p);
    return done;
}

/* A capture whose END answer says ESHA while the target says OK: reported, exit 1. */
static void test_hil_replay_main_tampered_reports_difference(void **state)
{
    (void)state;
    char in[512], out[512], log[512];
    snprintf(in, sizeof(in), "%s/work/link.corrupt.data_chunk/trace.pcap", g_dir);
    snprintf(out, sizeof(out), "%s/tampered.pcap", g_dir);
    snprintf(log, sizeof(log), "%s/replay-tampered.log", g_dir);
    assert_int_equal(tamper(in, out, PROTO_T_END | PROTO_T_RSP, FOTA_ESHA), 1);
    int st = run_cmd("%s replay --work-dir '%s/replay/tampered' '%s' >'%s' 2>&1", HIL_FOTA_HIL, g_dir, out, log);
    if (st != 1) {
        run_cmd("cat '%s' >&2", log);
    }
    assert_int_equal(st, 1);
    assert_int_equal(count_lines(log, "status differs: captured END_RSP seq="), 1);
    assert_int_equal(count_lines(log, "verdict: DIFFERENT from the capture"), 1);
}

/* Bad input: exit 2 and `file: what is wrong`. */
static void test_hil_replay_main_not_a_pcap(void **state)
{
    (void)state;
    char bad[512], log[512];
    snprintf(bad, sizeof(bad), "%s/run.log", g_dir);
    snprintf(log, sizeof(log), "%s/replay-bad.log", g_dir);
    int st = run_cmd("%s replay --work-dir '%s/replay/bad' '%s' >'%s' 2>&1", HIL_FOTA_HIL, g_dir, bad, log);
    assert_int_equal(st, 2);
    char needle[600];
    snprintf(needle, sizeof(needle), "%s: not a pcap file (", bad);
    assert_int_equal(count_lines(log, needle), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtrace_suite_ran),
        cmocka_unit_test(test_runtrace_pcap_every_field_decoded),
        cmocka_unit_test(test_runtrace_pcap_matches_events_log),
        cmocka_unit_test(test_runtrace_pcap_corner_cases),
        cmocka_unit_test(test_runtrace_rom_spi_every_field_decoded),
        cmocka_unit_test(test_runtrace_rom_matches_events_log),
        cmocka_unit_test(test_runtrace_spi_matches_events_log),
        cmocka_unit_test(test_runtrace_close_pass_deletes_pcap),
        cmocka_unit_test(test_hil_replay_main_same_verdict),
        cmocka_unit_test(test_hil_replay_main_tampered_reports_difference),
        cmocka_unit_test(test_hil_replay_main_not_a_pcap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
