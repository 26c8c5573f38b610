/**
 * @file trace-test.c
 * @brief Trace writer and reader (harness/trace/trace.c): a trace with every
 * record kind read back with hil_trace_read_*() and, byte by byte against
 * the documented layout, with plain libpcap; argument and format errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "fota/errors.h"
#include "trace/trace.h"
#include "trace_sample.h"

static char g_dir[64];
static char g_path[128];
static struct sample g_sample;

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof(g_dir), "%s/trace-test.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        return -1;
    }
    snprintf(g_path, sizeof(g_path), "%s/t.pcap", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_path);
    rmdir(g_dir);
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void check_rec(const struct sample_rec *want, const struct hil_trace_rec *got)
{
    const struct hil_trace_rec *w = &want->rec;
    assert_int_equal(got->ts_us, w->ts_us);
    assert_int_equal(got->kind, w->kind);
    assert_int_equal(got->dir, w->dir);
    assert_int_equal(got->flags, w->flags);
    assert_int_equal(got->proto, w->proto);
    assert_int_equal(got->spi, w->spi);
    assert_int_equal(got->devtime, w->devtime);
    switch (w->kind) {
    case HIL_TRACE_FRAME:
        assert_int_equal(got->frame.index, w->frame.index);
        assert_int_equal(got->frame.len, w->frame.len);
        assert_memory_equal(got->frame.bytes, w->frame.bytes, w->frame.len);
        break;
    case HIL_TRACE_FAULT:
        assert_int_equal(got->fault.kind, w->fault.kind);
        assert_int_equal(got->fault.frame, w->fault.frame);
        assert_int_equal(got->fault.offset, w->fault.offset);
        assert_int_equal(got->fault.param, w->fault.param);
        break;
    case HIL_TRACE_FLASH:
        assert_int_equal(got->flash.op, w->flash.op);
        assert_int_equal(got->flash.region, w->flash.region);
        assert_int_equal(got->flash.verdict, w->flash.verdict);
        assert_int_equal(got->flash.torn, w->flash.torn);
        assert_int_equal(got->flash.rc, w->flash.rc);
        assert_int_equal(got->flash.sector, w->flash.sector);
        assert_int_equal(got->flash.addr, w->flash.addr);
        assert_int_equal(got->flash.len, w->flash.len);
        assert_int_equal(got->flash.seq, w->flash.seq);
        assert_int_equal(got->flash.kind_seq, w->flash.kind_seq);
        assert_memory_equal(got->flash.sha256_prefix, w->flash.sha256_prefix, HIL_TRACE_SHA_PREFIX);
        break;
    case HIL_TRACE_POWER:
        assert_int_equal(got->power.event, w->power.event);
        assert_int_equal(got->power.value, w->power.value);
        assert_string_equal(got->power.detail, w->power.detail);
        break;
    case HIL_TRACE_CONSOLE:
        assert_string_equal(got->console.text, w->console.text);
        break;
    }
}

static void test_hil_trace_read_next_every_kind(void **state)
{
    (void)state;
    assert_int_equal(sample_write(g_path, &g_sample), 0);
    assert_int_equal(g_sample.count, 65);
    struct hil_trace_reader *r = NULL;
    assert_int_equal(hil_trace_read_open(g_path, &r, NULL, 0), 0);
    int seen[6] = { 0 };
    struct hil_trace_rec rec;
    for (int i = 0; i < g_sample.count; i++) {
        assert_int_equal(hil_trace_read_next(r, &rec), 0);
        check_rec(&g_sample.recs[i], &rec);
        seen[rec.kind]++;
    }
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_ENOENT);
    hil_trace_read_close(r);
    for (int k = HIL_TRACE_FRAME; k <= HIL_TRACE_CONSOLE; k++) {
        assert_true(seen[k] > 0);
    }
}

/* The documented byte layout, read with libpcap alone. */
static void test_hil_trace_open_layout_with_libpcap(void **state)
{
    (void)state;
    assert_int_equal(sample_write(g_path, &g_sample), 0);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(g_path, err);
    assert_non_null(p);
    assert_int_equal(pcap_datalink(p), 147);
    assert_int_equal(pcap_snapshot(p), 65535);
    struct pcap_pkthdr *h;
    const u_char *d;
    for (int i = 0; i < g_sample.count; i++) {
        const struct sample_rec *sr = &g_sample.recs[i];
        const struct hil_trace_rec *w = &sr->rec;
        assert_int_equal(pcap_next_ex(p, &h, &d), 1);
        assert_int_equal((uint64_t)h->ts.tv_sec, w->ts_us / 1000000u);
        assert_int_equal((uint64_t)h->ts.tv_usec, w->ts_us % 1000000u);
        assert_int_equal(h->caplen, h->len);
        assert_int_equal(d[0], 0xF1);
        assert_int_equal(d[1], w->kind);
        assert_int_equal(d[2], w->dir);
        assert_int_equal(d[3], w->flags);
        assert_int_equal(d[4] | (d[5] << 8), h->caplen);
        const uint8_t *b = d + 6;
        switch (w->kind) {
        case HIL_TRACE_FRAME:
            assert_int_equal(h->caplen, 6 + 4 + w->frame.len);
            assert_int_equal(le32(b), w->frame.index);
            assert_memory_equal(b + 4, sr->bytes, w->frame.len);
            break;
        case HIL_TRACE_FAULT:
            assert_int_equal(h->caplen, 6 + 13);
            assert_int_equal(b[0], w->fault.kind);
            assert_int_equal(le32(b + 1), w->fault.frame);
            assert_int_equal(le32(b + 5), w->fault.offset);
            assert_int_equal(le32(b + 9), w->fault.param);
            break;
        case HIL_TRACE_FLASH:
            assert_int_equal(h->caplen, 6 + 36);
            assert_int_equal(b[0], w->flash.op);
            assert_int_equal(b[1], w->flash.region);
            assert_int_equal(b[2], w->flash.verdict);
            assert_int_equal(b[3], w->flash.torn);
            assert_int_equal(b[4], w->flash.rc);
            assert_int_equal(b[5] | b[6] | b[7], 0);
            assert_int_equal(le32(b + 8), w->flash.sector);
            assert_int_equal(le32(b + 12), w->flash.addr);
            assert_int_equal(le32(b + 16), w->flash.len);
            assert_int_equal(le32(b + 20), w->flash.seq);
            assert_int_equal(le32(b + 24), w->flash.kind_seq);
            assert_memory_equal(b + 28, w->flash.sha256_prefix, 8);
            break;
        case HIL_TRACE_POWER:
            assert_int_equal(h->caplen, 6 + 8 + strlen(w->power.detail));
            assert_int_equal(b[0], w->power.event);
            assert_int_equal(b[1] | b[2] | b[3], 0);
            assert_int_equal(le32(b + 4), w->power.value);
            assert_memory_equal(b + 8, w->power.detail, strlen(w->power.detail));
            break;
        case HIL_TRACE_CONSOLE:
            assert_int_equal(h->caplen, 6 + strlen(w->console.text));
            assert_memory_equal(b, w->console.text, strlen(w->console.text));
            break;
        }
    }
    assert_int_equal(pcap_next_ex(p, &h, &d), PCAP_ERROR_BREAK);
    pcap_close(p);
}

static void test_hil_trace_frame_null_trace_is_noop(void **state)
{
    (void)state;
    struct hil_flash_op op = { .kind = HIL_OP_ERASE };
    struct hil_event ev = { .kind = HIL_EV_BOOT };
    assert_int_equal(hil_trace_frame(NULL, 1, HIL_TRACE_DIR_TO_HOST, 1, NULL, 0), 0);
    assert_int_equal(hil_trace_fault(NULL, 1, HIL_TRACE_DIR_TO_HOST, HIL_TRACE_FAULT_DROP, 1, 0, 0), 0);
    assert_int_equal(hil_trace_flash_op(NULL, 1, &op, NULL), 0);
    assert_int_equal(hil_trace_power(NULL, 1, HIL_TRACE_PWR_ON, 0, NULL), 0);
    assert_int_equal(hil_trace_event(NULL, 1, &ev), 0);
    assert_int_equal(hil_trace_console(NULL, 1, "x"), 0);
    assert_int_equal(hil_trace_flush(NULL), 0);
    assert_int_equal(hil_trace_close(NULL), 0);
    hil_trace_read_close(NULL);
}

static void test_hil_trace_open_bad_path(void **state)
{
    (void)state;
    struct hil_trace *t = (struct hil_trace *)&t;
    assert_int_equal(hil_trace_open("/nonexistent-dir/x/t.pcap", &t), FOTA_EIO);
    assert_null(t);
    assert_int_equal(hil_trace_open(NULL, &t), FOTA_EINVAL);
    assert_int_equal(hil_trace_open(g_path, NULL), FOTA_EINVAL);
}

static void test_hil_trace_frame_bad_args(void **state)
{
    (void)state;
    struct hil_trace *t = NULL;
    assert_int_equal(hil_trace_open(g_path, &t), 0);
    struct hil_event ev = { .kind = (enum hil_event_kind)99 };
    uint8_t b = 0;
    assert_int_equal(hil_trace_frame(t, 0, HIL_TRACE_DIR_NONE, 1, &b, 1), FOTA_EINVAL);
    assert_int_equal(hil_trace_frame(t, 0, HIL_TRACE_DIR_TO_HOST, 1, NULL, 1), FOTA_EINVAL);
    assert_int_equal(hil_trace_fault(t, 0, HIL_TRACE_DIR_TO_HOST, (enum hil_trace_fault_kind)0, 1, 0, 0),
                     FOTA_EINVAL);
    assert_int_equal(hil_trace_fault(t, 0, (enum hil_trace_dir)3, HIL_TRACE_FAULT_DROP, 1, 0, 0), FOTA_EINVAL);
    assert_int_equal(hil_trace_flash_op(t, 0, NULL, NULL), FOTA_EINVAL);
    assert_int_equal(hil_trace_power(t, 0, (enum hil_trace_power)0, 0, NULL), FOTA_EINVAL);
    assert_int_equal(hil_trace_power(t, 0, (enum hil_trace_power)9, 0, NULL), FOTA_EINVAL);
    assert_int_equal(hil_trace_event(t, 0, &ev), FOTA_EINVAL);
    assert_int_equal(hil_trace_event(t, 0, NULL), FOTA_EINVAL);
    assert_int_equal(hil_trace_console(t, 0, NULL), FOTA_EINVAL);
    assert_int_equal(hil_trace_close(t), 0);
    /* Nothing was written. */
    struct hil_trace_reader *r = NULL;
    struct hil_trace_rec rec;
    assert_int_equal(hil_trace_read_open(g_path, &r, NULL, 0), 0);
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_ENOENT);
    hil_trace_read_close(r);
}

/* hil_trace_set_device_time: every record written after it carries
 * HIL_TRACE_F_DEVTIME (bit 5, beside a kind's own flags), read back as
 * rec.devtime; switched off, records are host time again. */
static void test_hil_trace_set_device_time_flags_records(void **state)
{
    (void)state;
    struct hil_trace *t = NULL;
    assert_int_equal(hil_trace_open(g_path, &t), 0);
    uint8_t b[4] = { 1, 2, 3, 4 };
    assert_int_equal(hil_trace_console(t, 5, "host time"), 0);
    hil_trace_set_device_time(t, true);
    hil_trace_set_device_time(NULL, true); /* no-op */
    assert_int_equal(hil_trace_link_frame(t, 7000001, HIL_TRACE_DIR_TO_TARGET,
                                          HIL_TRACE_LINK_FLAGS(HIL_TRACE_PROTO_FOTA, true), 3, b, sizeof(b)), 0);
    assert_int_equal(hil_trace_power(t, 7000002, HIL_TRACE_PWR_ON, 0, NULL), 0);
    hil_trace_set_device_time(t, false);
    assert_int_equal(hil_trace_console(t, 9, "host again"), 0);
    assert_int_equal(hil_trace_close(t), 0);
    struct hil_trace_reader *r = NULL;
    struct hil_trace_rec rec;
    assert_int_equal(hil_trace_read_open(g_path, &r, NULL, 0), 0);
    assert_int_equal(hil_trace_read_next(r, &rec), 0);
    assert_false(rec.devtime);
    assert_int_equal(rec.flags & HIL_TRACE_F_DEVTIME, 0);
    assert_int_equal(hil_trace_read_next(r, &rec), 0);
    assert_true(rec.devtime);
    assert_int_equal(rec.flags, HIL_TRACE_F_DEVTIME | HIL_TRACE_F_SPI);
    assert_true(rec.spi);
    assert_int_equal(rec.ts_us, 7000001);
    assert_int_equal(hil_trace_read_next(r, &rec), 0);
    assert_true(rec.devtime);
    assert_int_equal(rec.power.event, HIL_TRACE_PWR_ON);
    assert_int_equal(hil_trace_read_next(r, &rec), 0);
    assert_false(rec.devtime);
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_ENOENT);
    hil_trace_read_close(r);
}

/* Write raw packets with libpcap (link type @p dlt). */
static void write_raw(int dlt, const uint8_t *const *pkts, const size_t *lens, int n)
{
    pcap_t *p = pcap_open_dead(dlt, 65535);
    assert_non_null(p);
    pcap_dumper_t *d = pcap_dump_open(p, g_path);
    assert_non_null(d);
    for (int i = 0; i < n; i++) {
        struct pcap_pkthdr h = { .caplen = (bpf_u_int32)lens[i], .len = (bpf_u_int32)lens[i] };
        pcap_dump((u_char *)d, &h, pkts[i]);
    }
    pcap_dump_close(d);
    pcap_close(p);
}

static void test_hil_trace_read_next_bad_records(void **state)
{
    (void)state;
    static const uint8_t v2[] = { 0xF2, 5, 0, 0, 7, 0, 'x' };
    static const uint8_t magic[] = { 0x11, 5, 0, 0, 7, 0, 'x' };
    static const uint8_t badlen[] = { 0xF1, 5, 0, 0, 9, 0, 'x' };
    static const uint8_t hdr_short[] = { 0xF1, 5, 0 };
    static const uint8_t flash_short[] = { 0xF1, 3, 0, 0, 10, 0, 1, 2, 3, 4 };
    static const uint8_t fault_short[] = { 0xF1, 2, 1, 0, 7, 0, 1 };
    static const uint8_t kind9[] = { 0xF1, 9, 0, 0, 6, 0 };
    static const uint8_t good[] = { 0xF1, 5, 0, 0, 8, 0, 'o', 'k' };
    const uint8_t *pk[] = { v2, magic, badlen, hdr_short, flash_short, fault_short, kind9, good };
    const size_t len[] = { sizeof(v2), sizeof(magic), sizeof(badlen), sizeof(hdr_short),
                           sizeof(flash_short), sizeof(fault_short), sizeof(kind9), sizeof(good) };
    write_raw(147, pk, len, 8);
    struct hil_trace_reader *r = NULL;
    struct hil_trace_rec rec;
    assert_int_equal(hil_trace_read_open(g_path, &r, NULL, 0), 0);
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_EVERSION);
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_EMAGIC);
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_ESIZE);
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_ESIZE);
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_ESIZE);
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_ESIZE);
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_EINVAL);
    assert_int_equal(hil_trace_read_next(r, &rec), 0);
    assert_int_equal(rec.kind, HIL_TRACE_CONSOLE);
    assert_string_equal(rec.console.text, "ok");
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_ENOENT);
    assert_int_equal(hil_trace_read_next(NULL, &rec), FOTA_EINVAL);
    hil_trace_read_close(r);
}

static void test_hil_trace_read_open_errors(void **state)
{
    (void)state;
    static const uint8_t eth[14] = { 0 };
    const uint8_t *pk[] = { eth };
    const size_t len[] = { sizeof(eth) };
    write_raw(DLT_EN10MB, pk, len, 1);
    struct hil_trace_reader *r = (struct hil_trace_reader *)&r;
    assert_int_equal(hil_trace_read_open(g_path, &r, NULL, 0), FOTA_EMAGIC);
    assert_null(r);
    char why[512];
    assert_int_equal(hil_trace_read_open(g_path, &r, why, sizeof(why)), FOTA_EMAGIC);
    assert_non_null(strstr(why, "link type 1, not DLT_USER0"));
    assert_int_equal(hil_trace_read_open("/nonexistent-dir/t.pcap", &r, why, sizeof(why)), FOTA_EIO);
    assert_string_equal(why, "/nonexistent-dir/t.pcap: No such file or directory");
    assert_int_equal(hil_trace_read_open(NULL, &r, NULL, 0), FOTA_EINVAL);
}

/* What a killed capture leaves: the last record cut short. The reader says
 * which file and at which byte that record starts. */
static void test_hil_trace_read_next_truncated_record(void **state)
{
    (void)state;
    assert_int_equal(sample_write(g_path, &g_sample), 0);
    struct stat st;
    assert_int_equal(stat(g_path, &st), 0);
    /* the offset of the last record: the pcap file header, then a 16-byte header and the data of each */
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(g_path, err);
    assert_non_null(p);
    struct pcap_pkthdr *h;
    const u_char *d;
    long last = 24;
    for (int i = 0; i < g_sample.count - 1; i++) {
        assert_int_equal(pcap_next_ex(p, &h, &d), 1);
        last += 16 + (long)h->caplen;
    }
    pcap_close(p);
    struct hil_trace_reader *r = NULL;
    struct hil_trace_rec rec;
    assert_int_equal(truncate(g_path, st.st_size - 3), 0);
    assert_int_equal(hil_trace_read_open(g_path, &r, NULL, 0), 0);
    assert_string_equal(hil_trace_read_error(r), "");
    for (int i = 0; i < g_sample.count - 1; i++) {
        assert_int_equal(hil_trace_read_next(r, &rec), 0);
    }
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_EIO);
    char want[600];
    snprintf(want, sizeof(want), "%s: truncated pcap record at byte %ld", g_path, last);
    assert_string_equal(hil_trace_read_error(r), want);
    hil_trace_read_close(r);
    /* cut inside a record header */
    assert_int_equal(truncate(g_path, last + 5), 0);
    assert_int_equal(hil_trace_read_open(g_path, &r, NULL, 0), 0);
    for (int i = 0; i < g_sample.count - 1; i++) {
        assert_int_equal(hil_trace_read_next(r, &rec), 0);
    }
    assert_int_equal(hil_trace_read_next(r, &rec), FOTA_EIO);
    assert_string_equal(hil_trace_read_error(r), want);
    hil_trace_read_close(r);
}

/* A reader-side record of a version-1 FLASH body with appended fields is accepted. */
static void test_hil_trace_read_next_ignores_appended_fields(void **state)
{
    (void)state;
    uint8_t rec[6 + 36 + 4] = { 0xF1, 3, 0, 0, sizeof(rec), 0, 2, 3, 0, 0, 0 };
    rec[6 + 8] = 7; /* sector */
    const uint8_t *pk[] = { rec };
    const size_t len[] = { sizeof(rec) };
    write_raw(147, pk, len, 1);
    struct hil_trace_reader *r = NULL;
    struct hil_trace_rec out;
    assert_int_equal(hil_trace_read_open(g_path, &r, NULL, 0), 0);
    assert_int_equal(hil_trace_read_next(r, &out), 0);
    assert_int_equal(out.flash.op, HIL_OP_PROGRAM);
    assert_int_equal(out.flash.region, HIL_REGION_SLOT_A);
    assert_int_equal(out.flash.sector, 7);
    hil_trace_read_close(r);
}

static void test_hil_trace_names(void **state)
{
    (void)state;
    assert_string_equal(hil_trace_kind_name(HIL_TRACE_FLASH), "FLASH");
    assert_string_equal(hil_trace_kind_name((enum hil_trace_kind)77), "?");
    assert_string_equal(hil_trace_dir_name(HIL_TRACE_DIR_TO_HOST), "to_host");
    assert_string_equal(hil_trace_fault_name(HIL_TRACE_FAULT_STALL), "stall");
    assert_string_equal(hil_trace_power_name(HIL_TRACE_PWR_WATCHDOG), "watchdog_reset");
    assert_string_equal(hil_trace_power_name((enum hil_trace_power)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hil_trace_read_next_every_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_trace_open_layout_with_libpcap, setup, teardown),
        cmocka_unit_test(test_hil_trace_frame_null_trace_is_noop),
        cmocka_unit_test_setup_teardown(test_hil_trace_open_bad_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_trace_frame_bad_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_trace_read_next_bad_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_trace_read_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_trace_read_next_truncated_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_trace_read_next_ignores_appended_fields, setup, teardown),
        cmocka_unit_test(test_hil_trace_names),
        cmocka_unit_test_setup_teardown(test_hil_trace_set_device_time_flags_records, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
