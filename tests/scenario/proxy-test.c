/**
 * @file proxy-test.c
 * @brief Link proxy: frame counting per direction and type, and each link
 * fault applied to the right frame (bytes in, bytes out).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fota/proto.h"
#include "link/proxy.h"

/* Encode a frame; @return its length. */
static size_t frame(uint8_t type, uint8_t seq, const void *payload, uint16_t len, uint8_t *out)
{
    size_t n = 0;
    assert_int_equal(proto_encode(type, seq, payload, len, out, PROTO_MAX_FRAME, &n), 0);
    return n;
}

/* HELLO, BEGIN(513), DATA(4+1024), DATA(4+100), END as the updater sends them. */
struct stream {
    uint8_t bytes[4 * PROTO_MAX_FRAME];
    size_t len;
    size_t off[5];
    size_t flen[5];
};

static void make_stream(struct stream *s)
{
    static uint8_t pl[PROTO_MAX_PAYLOAD];
    for (size_t i = 0; i < sizeof(pl); i++) {
        pl[i] = (uint8_t)(i * 7u);
    }
    const struct { uint8_t type; uint16_t len; } fr[5] = {
        { PROTO_T_HELLO, 0 }, { PROTO_T_BEGIN, 513 }, { PROTO_T_DATA, 4 + 1024 },
        { PROTO_T_DATA, 4 + 100 }, { PROTO_T_END, 0 },
    };
    s->len = 0;
    for (int i = 0; i < 5; i++) {
        s->off[i] = s->len;
        s->flen[i] = frame(fr[i].type, (uint8_t)i, pl, fr[i].len, s->bytes + s->len);
        s->len += s->flen[i];
    }
}

static int count_frames(const uint8_t *b, size_t n, uint32_t *bad)
{
    struct proto_parser p;
    proto_parser_init(&p);
    int frames = 0;
    *bad = 0;
    for (size_t i = 0; i < n; i++) {
        int r = proto_parser_feed(&p, b[i]);
        if (r == PROTO_FEED_FRAME) {
            frames++;
        } else if (r == PROTO_FEED_BAD_CRC) {
            (*bad)++;
        }
    }
    return frames;
}

static void test_proxy_passthrough_counts_frames(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    hil_proxy_init(&p, NULL, 0);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.len, &out);
    assert_int_equal(out.len, s.len);
    assert_memory_equal(out.data, s.bytes, s.len);
    assert_int_equal(p.dir[HIL_DIR_TO_TARGET].frames, 5);
    assert_int_equal(p.dir[HIL_DIR_TO_TARGET].type_frames[PROTO_T_DATA], 2);
    assert_int_equal(p.dir[HIL_DIR_TO_HOST].frames, 0);
    hil_buf_free(&out);
}

static void test_proxy_byte_by_byte_holds_partial_frame(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    hil_proxy_init(&p, NULL, 0);
    struct hil_buf out = { 0 };
    /* Garbage before the first frame goes out with it. */
    static const uint8_t garbage[] = { 0x00, 0x13, PROTO_SYNC0, 0x00 };
    hil_proxy_feed(&p, HIL_DIR_TO_HOST, garbage, sizeof(garbage), &out);
    for (size_t i = 0; i < s.off[1] - 1; i++) {
        hil_proxy_feed(&p, HIL_DIR_TO_HOST, &s.bytes[i], 1, &out);
    }
    assert_int_equal(out.len, 0); /* the HELLO frame is not complete yet */
    hil_proxy_feed(&p, HIL_DIR_TO_HOST, &s.bytes[s.off[1] - 1], 1, &out);
    assert_int_equal(out.len, sizeof(garbage) + s.flen[0]);
    assert_memory_equal(out.data, garbage, sizeof(garbage));
    assert_memory_equal(out.data + sizeof(garbage), s.bytes, s.flen[0]);
    assert_int_equal(p.dir[HIL_DIR_TO_HOST].frames, 1);
    hil_buf_free(&out);
}

static void test_proxy_corrupt_xors_one_byte(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    struct hil_fault f = { .kind = HIL_FAULT_CORRUPT, .dir = HIL_DIR_TO_TARGET, .frame = 3, .byte = 20,
                           .frame_type = -1 };
    hil_proxy_init(&p, &f, 1);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.len, &out);
    assert_int_equal(out.len, s.len);
    for (size_t i = 0; i < s.len; i++) {
        uint8_t want = s.bytes[i];
        if (i == s.off[2] + 20) {
            want ^= 0xFF;
        }
        assert_int_equal(out.data[i], want);
    }
    assert_true(hil_proxy_fault_fired(&p, 0));
    uint32_t bad = 0;
    assert_int_equal(count_frames(out.data, out.len, &bad), 4);
    assert_int_equal(bad, 1);
    hil_buf_free(&out);
}

static void test_proxy_corrupt_other_direction_untouched(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    struct hil_fault f = { .kind = HIL_FAULT_CORRUPT, .dir = HIL_DIR_TO_HOST, .frame = 1, .byte = 2,
                           .frame_type = -1 };
    hil_proxy_init(&p, &f, 1);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.len, &out);
    assert_memory_equal(out.data, s.bytes, s.len);
    assert_false(hil_proxy_fault_fired(&p, 0));
    hil_buf_free(&out);
}

static void test_proxy_corrupt_beyond_frame_does_not_fire(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    struct hil_fault f = { .kind = HIL_FAULT_CORRUPT, .dir = HIL_DIR_TO_TARGET, .frame = 1, .byte = 10,
                           .frame_type = -1 }; /* HELLO is 10 bytes: offsets 0..9 */
    hil_proxy_init(&p, &f, 1);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.len, &out);
    assert_memory_equal(out.data, s.bytes, s.len);
    assert_false(hil_proxy_fault_fired(&p, 0));
    hil_buf_free(&out);
}

static void test_proxy_drop_by_type_removes_frame(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    struct hil_fault f = { .kind = HIL_FAULT_DROP, .dir = HIL_DIR_TO_TARGET, .frame = 2,
                           .frame_type = PROTO_T_DATA };
    hil_proxy_init(&p, &f, 1);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.len, &out);
    assert_int_equal(out.len, s.len - s.flen[3]);
    assert_memory_equal(out.data, s.bytes, s.off[3]);
    assert_memory_equal(out.data + s.off[3], s.bytes + s.off[4], s.flen[4]);
    assert_true(hil_proxy_fault_fired(&p, 0));
    hil_buf_free(&out);
}

static void test_proxy_disconnect_swallows_rest(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    struct hil_fault f = { .kind = HIL_FAULT_DISCONNECT, .dir = HIL_DIR_TO_TARGET, .frame = 3, .frame_type = -1 };
    hil_proxy_init(&p, &f, 1);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.len, &out);
    assert_true(p.disconnected);
    assert_true(hil_proxy_fault_fired(&p, 0));
    assert_int_equal(out.len, s.off[2]); /* HELLO and BEGIN only */
    assert_int_equal(p.dir[HIL_DIR_TO_TARGET].frames, 3);
    hil_buf_free(&out);
}

static void test_proxy_restart_forgets_partial_frame(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    hil_proxy_init(&p, NULL, 0);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_HOST, s.bytes + s.off[1], 100, &out); /* half a BEGIN */
    hil_proxy_restart_dir(&p, HIL_DIR_TO_HOST);
    hil_proxy_feed(&p, HIL_DIR_TO_HOST, s.bytes, s.flen[0], &out);
    assert_int_equal(out.len, s.flen[0]);
    assert_memory_equal(out.data, s.bytes, s.flen[0]);
    assert_int_equal(p.dir[HIL_DIR_TO_HOST].frames, 1);
    hil_buf_free(&out);
}

static void test_proxy_garbage_never_stalls(void **state)
{
    (void)state;
    static struct hil_proxy p;
    hil_proxy_init(&p, NULL, 0);
    struct hil_buf out = { 0 };
    /* A header announcing a too long payload: the parser gives up, the bytes pass. */
    uint8_t hdr[6] = { PROTO_SYNC0, PROTO_SYNC1, PROTO_T_DATA, 1, 0xFF, 0xFF };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, hdr, sizeof(hdr), &out);
    assert_int_equal(out.len, sizeof(hdr));
    /* Lots of noise: held back at most one frame's worth. */
    static uint8_t noise[3 * PROTO_MAX_FRAME];
    memset(noise, 0x55, sizeof(noise));
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, noise, sizeof(noise), &out);
    assert_true(out.len >= sizeof(hdr) + sizeof(noise) - HIL_PROXY_PENDING_CAP);
    assert_int_equal(p.dir[HIL_DIR_TO_TARGET].frames, 0);
    hil_buf_free(&out);
}

static void test_proxy_two_faults_same_frame(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    struct hil_fault f[2] = {
        { .kind = HIL_FAULT_CORRUPT, .dir = HIL_DIR_TO_TARGET, .frame = 2, .byte = 6, .frame_type = -1 },
        { .kind = HIL_FAULT_CORRUPT, .dir = HIL_DIR_TO_TARGET, .frame = 1, .byte = 7,
          .frame_type = PROTO_T_BEGIN },
    };
    hil_proxy_init(&p, f, 2);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.len, &out);
    assert_int_equal(out.data[s.off[1] + 6], (uint8_t)(s.bytes[s.off[1] + 6] ^ 0xFF));
    assert_int_equal(out.data[s.off[1] + 7], (uint8_t)(s.bytes[s.off[1] + 7] ^ 0xFF));
    assert_true(hil_proxy_fault_fired(&p, 0));
    assert_true(hil_proxy_fault_fired(&p, 1));
    hil_buf_free(&out);
}

/* A power cut at the 2nd DATA frame: the frames before it go through, it
 * and everything after it (the target is off) are withheld. */
static void test_proxy_power_cut_withholds_the_frame_and_the_rest(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    struct hil_fault f = { .kind = HIL_FAULT_POWER_CUT, .dir = HIL_DIR_TO_TARGET, .frame = 2,
                           .frame_type = PROTO_T_DATA };
    assert_true(hil_fault_at_frame(&f));
    hil_proxy_init(&p, &f, 1);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.off[3] - 1, &out);
    assert_false(p.power_cut); /* the frame is not complete yet */
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes + s.off[3] - 1, s.len - (s.off[3] - 1), &out);
    assert_true(p.power_cut);
    assert_true(hil_proxy_fault_fired(&p, 0));
    assert_int_equal(out.len, s.off[3]); /* HELLO, BEGIN, DATA #1 */
    assert_memory_equal(out.data, s.bytes, s.off[3]);
    assert_int_equal(p.dir[HIL_DIR_TO_TARGET].frames, 4); /* END never parsed: swallowed */
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.flen[0], &out);
    assert_int_equal(out.len, s.off[3]);
    /* The other direction is not affected. */
    hil_proxy_feed(&p, HIL_DIR_TO_HOST, s.bytes, s.flen[0], &out);
    assert_int_equal(out.len, s.off[3] + s.flen[0]);
    hil_buf_free(&out);
}

/* A power cut at a flash operation (no frame) is the injector's (inject.h), never the proxy's. */
static void test_proxy_ignores_a_power_cut_at_a_flash_op(void **state)
{
    (void)state;
    static struct stream s;
    static struct hil_proxy p;
    make_stream(&s);
    struct hil_fault f = { .kind = HIL_FAULT_POWER_CUT, .on = HIL_OP_PROGRAM, .n = 1, .frame_type = -1 };
    assert_false(hil_fault_at_frame(&f));
    hil_proxy_init(&p, &f, 1);
    struct hil_buf out = { 0 };
    hil_proxy_feed(&p, HIL_DIR_TO_TARGET, s.bytes, s.len, &out);
    assert_false(p.power_cut);
    assert_false(hil_proxy_fault_fired(&p, 0));
    assert_int_equal(out.len, s.len);
    hil_buf_free(&out);
}

static void test_buf_append_consume(void **state)
{
    (void)state;
    struct hil_buf b = { 0 };
    static uint8_t big[10000];
    memset(big, 0xAB, sizeof(big));
    hil_buf_append(&b, big, sizeof(big));
    hil_buf_append(&b, "xy", 2);
    assert_int_equal(b.len, 10002);
    hil_buf_consume(&b, 10000);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.data, "xy", 2);
    hil_buf_consume(&b, 5);
    assert_int_equal(b.len, 0);
    hil_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proxy_passthrough_counts_frames),
        cmocka_unit_test(test_proxy_byte_by_byte_holds_partial_frame),
        cmocka_unit_test(test_proxy_corrupt_xors_one_byte),
        cmocka_unit_test(test_proxy_corrupt_other_direction_untouched),
        cmocka_unit_test(test_proxy_corrupt_beyond_frame_does_not_fire),
        cmocka_unit_test(test_proxy_drop_by_type_removes_frame),
        cmocka_unit_test(test_proxy_disconnect_swallows_rest),
        cmocka_unit_test(test_proxy_restart_forgets_partial_frame),
        cmocka_unit_test(test_proxy_garbage_never_stalls),
        cmocka_unit_test(test_proxy_two_faults_same_frame),
        cmocka_unit_test(test_proxy_power_cut_withholds_the_frame_and_the_rest),
        cmocka_unit_test(test_proxy_ignores_a_power_cut_at_a_flash_op),
        cmocka_unit_test(test_buf_append_consume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
