/**
 * @file mkbadimg.c
 * @brief mkbadimg: derive a negative-test image from a signed one
 * (apps/build.mk; scenarios image.sign.*), so no bad image is made by hand.
 *
 *   mkbadimg --in IMG --out OUT --flip sig|sec_cnt
 *   mkbadimg --in IMG --out OUT --cut-tlv N
 *
 * --flip sig      flips bit 0 of the ECDSA_SIG TLV's first byte
 * --flip sec_cnt  flips bit 0 of the protected SEC_CNT TLV's value (the
 *                 header's ih_security_counter is left as signed)
 * --cut-tlv N     drops the TLV area's last N bytes and lowers ih_tlv_size
 *                 by N with a good header CRC: a truncated TLV area the
 *                 header agrees with, so the transfer completes and only
 *                 the TLV parser can refuse it
 * The TLVs are found with the bootloader's own parser (image_tlv_parse()).
 * Exit: 0; 2 usage; 4 the input is no signed image or cannot be read/written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fota/errors.h"
#include "fota/image.h"
#include "fota/image_tlv.h"

static uint8_t img[LAYOUT_SLOT_SIZE];

static int bad_io(const char *path, const char *what)
{
    fprintf(stderr, "mkbadimg: %s: %s\n", path, what);
    return 4;
}

/* Apply one change to img (len bytes); @return 0 or an exit code. */
static int bad_apply(struct image_header *h, size_t *len, const char *flip, unsigned long cut)
{
    uint8_t *area = img + IMAGE_HEADER_SIZE + h->ih_size;
    struct image_tlvs t;

    if (image_tlv_parse(area, h->ih_tlv_size, h->ih_protect_tlv_size, &t) != 0 || t.sig == NULL ||
        !t.has_sec_cnt) {
        return 4;
    }
    if (flip != NULL && strcmp(flip, "sig") == 0) {
        img[t.sig - img] ^= 0x01u;
    } else if (flip != NULL && strcmp(flip, "sec_cnt") == 0) {
        /* SEC_CNT is the protected part's only TLV: its value follows the
         * info header and the TLV header. */
        area[IMAGE_TLV_INFO_SIZE + IMAGE_TLV_HDR_SIZE] ^= 0x01u;
    } else if (flip == NULL && cut > 0 && cut < h->ih_tlv_size - h->ih_protect_tlv_size) {
        h->ih_tlv_size -= (uint32_t)cut;
        h->ih_hdr_crc32 = image_header_crc(h);
        memcpy(img, h, sizeof(*h));
        *len -= cut;
    } else {
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *flip = NULL;
    unsigned long cut = 0;
    struct image_header h;
    size_t len;
    FILE *f;
    int i, rc;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--in") == 0) {
            in = argv[i + 1];
        } else if (strcmp(argv[i], "--out") == 0) {
            out = argv[i + 1];
        } else if (strcmp(argv[i], "--flip") == 0) {
            flip = argv[i + 1];
        } else if (strcmp(argv[i], "--cut-tlv") == 0) {
            cut = strtoul(argv[i + 1], NULL, 10);
        } else {
            break;
        }
    }
    if (i != argc || in == NULL || out == NULL || (flip == NULL) == (cut == 0)) {
        fprintf(stderr, "usage: mkbadimg --in IMG --out OUT (--flip sig|sec_cnt | --cut-tlv N)\n");
        return 2;
    }
    f = fopen(in, "rb");
    if (f == NULL) {
        return bad_io(in, strerror(errno));
    }
    len = fread(img, 1, sizeof(img), f);
    fclose(f);
    memcpy(&h, img, sizeof(h));
    if (len < sizeof(h) || image_check_header(&h, h.ih_load_addr == LAYOUT_SLOT_B_ADDR) != 0 ||
        len != image_total_size(&h) || h.ih_tlv_size == 0u) {
        return bad_io(in, "not a signed image whose size matches its header");
    }
    rc = bad_apply(&h, &len, flip, cut);
    if (rc != 0) {
        return rc == 2 ? (fprintf(stderr, "mkbadimg: bad --flip or --cut-tlv\n"), 2) : bad_io(in, "no SEC_CNT/ECDSA_SIG TLV");
    }
    f = fopen(out, "wb");
    if (f == NULL || fwrite(img, 1, len, f) != len || fclose(f) != 0) {
        return bad_io(out, "cannot write");
    }
    return 0;
}
