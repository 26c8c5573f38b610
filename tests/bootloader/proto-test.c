/* tests/bootloader/proto-test.c: frame parser and encoder (proto.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fota/proto.h"
#include "fota/crc32.h"
#include "fota/errors.h"

/* Feed @p n bytes; count results; return the last non-MORE result. */
static int feed(struct proto_parser *p, const uint8_t *b, size_t n, int *frames, int *bad, int *toolong)
{
    int last = PROTO_FEED_MORE;
    size_t i;

    for (i = 0; i < n; i++) {
        int r = proto_parser_feed(p, b[i]);
        if (r == PROTO_FEED_FRAME && frames) {
            (*frames)++;
        } else if (r == PROTO_FEED_BAD_CRC && bad) {
            (*bad)++;
        } else if (r == PROTO_FEED_TOO_LONG && toolong) {
            (*toolong)++;
        }
        if (r != PROTO_FEED_MORE) {
            last = r;
        }
    }
    return last;
}

static void test_proto_encode_layout(void **state)
{
    uint8_t out[64], pl[3] = { 1, 2, 3 };
    size_t n = 0;

    (void)state;
    assert_int_equal(proto_encode(PROTO_T_DATA, 7, pl, 3, out, sizeof(out), &n), 0);
    assert_int_equal(n, PROTO_HDR_SIZE + 3 + PROTO_CRC_SIZE);
    assert_int_equal(out[0], 0xA5);
    assert_int_equal(out[1], 0x5A);
    assert_int_equal(out[2], PROTO_T_DATA);
    assert_int_equal(out[3], 7);
    assert_int_equal(proto_get_u16(&out[4]), 3);
    assert_memory_equal(&out[6], pl, 3);
    assert_int_equal(proto_get_u32(&out[9]), crc32_update(0, &out[2], 7));
}

static void test_proto_encode_errors(void **state)
{
    uint8_t out[PROTO_MAX_FRAME + 8], pl[PROTO_MAX_PAYLOAD + 1];
    size_t n;

    (void)state;
    memset(pl, 0, sizeof(pl));
    assert_int_equal(proto_encode(1, 0, NULL, 1, out, sizeof(out), &n), FOTA_EINVAL);
    assert_int_equal(proto_encode(1, 0, pl, 1, NULL, sizeof(out), &n), FOTA_EINVAL);
    assert_int_equal(proto_encode(1, 0, pl, 1, out, sizeof(out), NULL), FOTA_EINVAL);
    assert_int_equal(proto_encode(1, 0, pl, PROTO_MAX_PAYLOAD + 1, out, sizeof(out), &n), FOTA_ESIZE);
    assert_int_equal(proto_encode(1, 0, pl, 10, out, PROTO_HDR_SIZE + 10 + 3, &n), FOTA_ESIZE);
    assert_int_equal(proto_encode(1, 0, pl, PROTO_MAX_PAYLOAD, out, sizeof(out), &n), 0);
    assert_int_equal(n, PROTO_MAX_FRAME);
    assert_int_equal(proto_encode(PROTO_T_HELLO, 0, NULL, 0, out, sizeof(out), &n), 0);
    assert_int_equal(n, PROTO_HDR_SIZE + PROTO_CRC_SIZE);
}

static void test_proto_parser_feed_roundtrip(void **state)
{
    struct proto_parser p;
    uint8_t out[PROTO_MAX_FRAME], pl[PROTO_MAX_PAYLOAD];
    size_t n, i;
    int frames = 0;

    (void)state;
    for (i = 0; i < sizeof(pl); i++) {
        pl[i] = (uint8_t)(i * 31u);
    }
    proto_parser_init(&p);
    assert_int_equal(proto_encode(PROTO_T_DATA, 200, pl, PROTO_MAX_PAYLOAD, out, sizeof(out), &n), 0);
    assert_int_equal(feed(&p, out, n, &frames, NULL, NULL), PROTO_FEED_FRAME);
    assert_int_equal(frames, 1);
    assert_int_equal(p.frame.type, PROTO_T_DATA);
    assert_int_equal(p.frame.seq, 200);
    assert_int_equal(p.frame.len, PROTO_MAX_PAYLOAD);
    assert_memory_equal(p.frame.payload, pl, PROTO_MAX_PAYLOAD);
}

static void test_proto_parser_feed_empty_payload(void **state)
{
    struct proto_parser p;
    uint8_t out[16];
    size_t n;

    (void)state;
    proto_parser_init(&p);
    assert_int_equal(proto_encode(PROTO_T_END, 3, NULL, 0, out, sizeof(out), &n), 0);
    assert_int_equal(feed(&p, out, n, NULL, NULL, NULL), PROTO_FEED_FRAME);
    assert_int_equal(p.frame.type, PROTO_T_END);
    assert_int_equal(p.frame.len, 0);
}

static void test_proto_parser_feed_skips_garbage(void **state)
{
    static const uint8_t junk[] = { 0x00, 0xFF, 0xA5, 0x00, 0x5A, 0xA5, 0x13, 0x5A, 0x5A, 0xA5 };
    struct proto_parser p;
    uint8_t out[32], stream[128], pl[4] = { 9, 8, 7, 6 };
    size_t n, len = 0;
    int frames = 0, bad = 0;

    (void)state;
    proto_parser_init(&p);
    assert_int_equal(proto_encode(PROTO_T_BEGIN, 1, pl, 4, out, sizeof(out), &n), 0);
    /* junk, frame, junk, frame: the trailing A5 of junk runs into the frame's A5 5A */
    memcpy(stream + len, junk, sizeof(junk)); len += sizeof(junk);
    memcpy(stream + len, out, n); len += n;
    memcpy(stream + len, junk, sizeof(junk)); len += sizeof(junk);
    memcpy(stream + len, out, n); len += n;
    feed(&p, stream, len, &frames, &bad, NULL);
    assert_int_equal(frames, 2);
    assert_int_equal(bad, 0);
    assert_memory_equal(p.frame.payload, pl, 4);
}

static void test_proto_parser_feed_split_frames(void **state)
{
    struct proto_parser p;
    uint8_t a[64], b[64], pl[20];
    size_t na, nb, cut;
    int frames;

    (void)state;
    memset(pl, 0x77, sizeof(pl));
    assert_int_equal(proto_encode(PROTO_T_DATA, 1, pl, 20, a, sizeof(a), &na), 0);
    assert_int_equal(proto_encode(PROTO_T_END, 2, NULL, 0, b, sizeof(b), &nb), 0);
    /* Every split point of the first frame, then the second frame. */
    for (cut = 0; cut <= na; cut++) {
        frames = 0;
        proto_parser_init(&p);
        assert_int_equal(feed(&p, a, cut, &frames, NULL, NULL), cut == na ? PROTO_FEED_FRAME : PROTO_FEED_MORE);
        feed(&p, a + cut, na - cut, &frames, NULL, NULL);
        assert_int_equal(frames, 1);
        assert_int_equal(p.frame.seq, 1);
        feed(&p, b, nb, &frames, NULL, NULL);
        assert_int_equal(frames, 2);
        assert_int_equal(p.frame.type, PROTO_T_END);
    }
}

static void test_proto_parser_feed_bad_crc(void **state)
{
    struct proto_parser p;
    uint8_t out[64], pl[10];
    size_t n, i;
    int frames, bad;

    (void)state;
    memset(pl, 0x42, sizeof(pl));
    assert_int_equal(proto_encode(PROTO_T_DATA, 9, pl, 10, out, sizeof(out), &n), 0);
    /* Corrupt each byte after the length (payload and CRC) in turn. */
    for (i = PROTO_HDR_SIZE; i < n; i++) {
        frames = bad = 0;
        proto_parser_init(&p);
        out[i] ^= 0x01;
        assert_int_equal(feed(&p, out, n, &frames, &bad, NULL), PROTO_FEED_BAD_CRC);
        out[i] ^= 0x01;
        assert_int_equal(frames, 0);
        assert_int_equal(bad, 1);
        assert_int_equal(p.frame.seq, 9); /* seq is reported for the NACK */
        /* the parser hunts again: a good frame follows */
        assert_int_equal(feed(&p, out, n, &frames, &bad, NULL), PROTO_FEED_FRAME);
    }
    /* A corrupted type byte is also caught by the CRC. */
    proto_parser_init(&p);
    out[2] ^= 0x80;
    assert_int_equal(feed(&p, out, n, NULL, NULL, NULL), PROTO_FEED_BAD_CRC);
}

static void test_proto_parser_feed_too_long(void **state)
{
    struct proto_parser p;
    uint8_t hdr[6] = { 0xA5, 0x5A, PROTO_T_DATA, 1, 0, 0 };
    uint8_t out[32];
    size_t n;
    int frames = 0, toolong = 0;

    (void)state;
    proto_parser_init(&p);
    proto_put_u16(&hdr[4], PROTO_MAX_PAYLOAD + 1);
    assert_int_equal(feed(&p, hdr, sizeof(hdr), &frames, NULL, &toolong), PROTO_FEED_TOO_LONG);
    assert_int_equal(toolong, 1);
    proto_put_u16(&hdr[4], 0xFFFF);
    assert_int_equal(feed(&p, hdr, sizeof(hdr), &frames, NULL, &toolong), PROTO_FEED_TOO_LONG);
    /* hunting again right after */
    assert_int_equal(proto_encode(PROTO_T_HELLO, 5, NULL, 0, out, sizeof(out), &n), 0);
    assert_int_equal(feed(&p, out, n, &frames, NULL, &toolong), PROTO_FEED_FRAME);
    assert_int_equal(frames, 1);
    assert_int_equal(p.frame.seq, 5);
}

static void test_proto_type_name_all(void **state)
{
    (void)state;
    assert_string_equal(proto_type_name(PROTO_T_HELLO), "HELLO");
    assert_string_equal(proto_type_name(PROTO_T_DATA), "DATA");
    assert_string_equal(proto_type_name(PROTO_T_DATA | PROTO_T_RSP), "DATA_RSP");
    assert_string_equal(proto_type_name(PROTO_T_RESET | PROTO_T_RSP), "RESET_RSP");
    assert_string_equal(proto_type_name(PROTO_T_NACK), "NACK");
    assert_string_equal(proto_type_name(0), "?");
    assert_string_equal(proto_type_name(0x08), "?");
    assert_string_equal(proto_type_name(0x80), "?");
}

static void test_proto_put_get_little_endian(void **state)
{
    uint8_t b[4];

    (void)state;
    proto_put_u32(b, 0x11223344u);
    assert_int_equal(b[0], 0x44);
    assert_int_equal(b[3], 0x11);
    assert_int_equal(proto_get_u32(b), 0x11223344u);
    proto_put_u16(b, 0xBEEF);
    assert_int_equal(b[0], 0xEF);
    assert_int_equal(proto_get_u16(b), 0xBEEF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_encode_layout),
        cmocka_unit_test(test_proto_encode_errors),
        cmocka_unit_test(test_proto_parser_feed_roundtrip),
        cmocka_unit_test(test_proto_parser_feed_empty_payload),
        cmocka_unit_test(test_proto_parser_feed_skips_garbage),
        cmocka_unit_test(test_proto_parser_feed_split_frames),
        cmocka_unit_test(test_proto_parser_feed_bad_crc),
        cmocka_unit_test(test_proto_parser_feed_too_long),
        cmocka_unit_test(test_proto_type_name_all),
        cmocka_unit_test(test_proto_put_get_little_endian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
