/* tests/fuzz/image-fuzz.c: libFuzzer target for the image header checks
 * (bootloader/core/image.c: image_check_header, image_check_vectors) and
 * the host's image inspection (host/lib/image.c: fh_image_inspect), which
 * read untrusted images (from the link, a file, a slot).
 *
 * Input: byte 0 selects a mode, the rest is an image. Mode bit 0 makes
 * the header CRC right before checking, so the fuzzer gets past it to the
 * fields behind it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fota/image.h"
#include "fota/image_tlv.h"
#include "fotahost/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct image_header h;
    struct fh_image_report rep;
    struct fh_msg m;
    uint32_t slot;
    uint8_t mode;
    int rc;

    if (size < 1u) {
        return 0;
    }
    mode = data[0];
    data++;
    size--;
    memset(&m, 0, sizeof(m));
    (void)fh_image_inspect(data, size, &rep, &m);
    if (size < sizeof(h)) {
        return 0;
    }
    memcpy(&h, data, sizeof(h));
    if (mode & 1u) {
        h.ih_hdr_crc32 = image_header_crc(&h);
    }
    for (slot = 0; slot <= LAYOUT_SLOT_COUNT; slot++) {
        rc = image_check_header(&h, slot);
        if (rc == 0) {
            if (slot >= LAYOUT_SLOT_COUNT || h.ih_size == 0u || h.ih_size > IMAGE_MAX_PAYLOAD) {
                abort(); /* accepted what the format forbids */
            }
            if (size >= sizeof(h) + 8u) {
                (void)image_check_vectors(&h, data + sizeof(h));
            }
            if (size >= image_total_size(&h)) {
                struct image_tlvs t;
                (void)image_tlv_parse(data + sizeof(h) + h.ih_size, h.ih_tlv_size, h.ih_protect_tlv_size, &t);
            }
        }
    }
    return 0;
}
