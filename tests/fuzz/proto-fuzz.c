/* tests/fuzz/proto-fuzz.c: libFuzzer target for the bootloader's frame
 * parser (bootloader/core/proto.c). The input is a byte stream from the
 * link. Every frame the parser accepts must re-encode (proto_encode) to a
 * stream that parses back to the same frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fota/proto.h"

static void proto_fuzz_roundtrip(const struct proto_frame *f)
{
    static uint8_t out[PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD + PROTO_CRC_SIZE];
    static struct proto_parser p2;
    size_t n = 0, i;
    int fr = PROTO_FEED_MORE;

    if (proto_encode(f->type, f->seq, f->payload, f->len, out, sizeof(out), &n) != 0) {
        abort();
    }
    proto_parser_init(&p2);
    for (i = 0; i < n; i++) {
        fr = proto_parser_feed(&p2, out[i]);
        if (fr != PROTO_FEED_MORE && i + 1u != n) {
            abort(); /* ended early */
        }
    }
    if (fr != PROTO_FEED_FRAME || p2.frame.type != f->type || p2.frame.seq != f->seq ||
        p2.frame.len != f->len || memcmp(p2.frame.payload, f->payload, f->len) != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct proto_parser p;
    size_t i;

    proto_parser_init(&p);
    for (i = 0; i < size; i++) {
        int fr = proto_parser_feed(&p, data[i]);
        if (fr == PROTO_FEED_FRAME) {
            if (p.frame.len > PROTO_MAX_PAYLOAD) {
                abort();
            }
            proto_fuzz_roundtrip(&p.frame);
            (void)proto_type_name(p.frame.type);
        }
    }
    return 0;
}
