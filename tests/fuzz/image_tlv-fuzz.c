/* tests/fuzz/image_tlv-fuzz.c: libFuzzer target for the TLV area parser
 * (bootloader/core/image_tlv.c: image_tlv_parse), which reads the bytes
 * after an untrusted image's payload before any signature is checked.
 *
 * Input: bytes 0-1 the protected part's length (ih_protect_tlv_size,
 * little-endian), the rest the TLV area (ih_tlv_size = its length). Every
 * TLV found must lie inside the area, with the length its type requires. */
#include <stdint.h>
#include <stdlib.h>
#include "fota/image_tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *p, uint32_t n, const uint8_t *area, size_t len)
{
    if (p != NULL && (p < area || (size_t)(p - area) + n > len)) {
        abort(); /* a TLV reported outside the area */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct image_tlvs t;
    uint32_t prot;

    if (size < 2u || size - 2u > 0x10000u) {
        return 0;
    }
    prot = (uint32_t)data[0] | ((uint32_t)data[1] << 8);
    if (image_tlv_parse(data + 2, (uint32_t)(size - 2u), prot, &t) == 0) {
        inside(t.sha256, 32u, data + 2, size - 2u);
        inside(t.keyhash, 32u, data + 2, size - 2u);
        inside(t.sig, IMAGE_SIG_SIZE, data + 2, size - 2u);
        if (t.has_sec_cnt && prot == 0u) {
            abort(); /* SEC_CNT is only valid in the protected part */
        }
    }
    return 0;
}
