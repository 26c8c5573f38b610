/*
 * Image packing and inspection (fotahost/image.h).
 *
 * The header is serialised field by field at its fota/image.h offsets
 * (little-endian on the wire and in flash), never by copying the struct,
 * so the packer is right on any host byte order.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "fota/crc32.h"
#include "fota/proto.h"
#include "fota/sha256.h"
#include "fotahost/image.h"

#define HDR_CRC_SPAN offsetof(struct image_header, ih_hdr_crc32) /* 0x1FC */

/* Parse one decimal field of at most 5 digits; *pp is advanced past it. */
static int version_field(const char **pp, uint32_t *out)
{
    const char *p = *pp;
    uint32_t v = 0;
    int n = 0;

    while (isdigit((unsigned char)*p)) {
        if (n == 5) {
            return FOTA_ERANGE;
        }
        v = v * 10u + (uint32_t)(*p - '0');
        p++;
        n++;
    }
    if (n == 0) {
        return FOTA_EINVAL;
    }
    *pp = p;
    *out = v;
    return 0;
}

int fh_version_parse(const char *s, uint32_t *out, struct fh_msg *m)
{
    static const char *const names[3] = { "major", "minor", "patch" };
    static const uint32_t limits[3] = { 0xFFFFu, 0xFFu, 0xFFu };
    uint32_t f[3];
    const char *p = s;
    int i;

    if (s == NULL || out == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "version: missing");
    }
    for (i = 0; i < 3; i++) {
        int rc = version_field(&p, &f[i]);

        if (rc == FOTA_ERANGE) {
            return fh_msg_set(m, FOTA_EINVAL, "version '%s': %s has too many digits (max %u)",
                              s, names[i], (unsigned)limits[i]);
        }
        if (rc != 0 || (i < 2 && *p != '.') || (i == 2 && *p != '\0')) {
            return fh_msg_set(m, FOTA_EINVAL,
                              "version '%s': expected MAJOR.MINOR.PATCH in decimal (e.g. 1.0.0)", s);
        }
        if (f[i] > limits[i]) {
            return fh_msg_set(m, FOTA_EINVAL, "version '%s': %s %u is out of range 0..%u",
                              s, names[i], (unsigned)f[i], (unsigned)limits[i]);
        }
        if (i < 2) {
            p++; /* the '.' */
        }
    }
    *out = IMAGE_VERSION(f[0], f[1], f[2]);
    return 0;
}

void fh_version_format(uint32_t v, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0) {
        return;
    }
    (void)snprintf(buf, cap, "%u.%u.%u", (unsigned)IMAGE_VERSION_MAJOR(v),
                   (unsigned)IMAGE_VERSION_MINOR(v), (unsigned)IMAGE_VERSION_PATCH(v));
}

int fh_slot_parse(const char *s, uint32_t *slot, struct fh_msg *m)
{
    if (s == NULL || slot == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "slot: missing");
    }
    if ((s[0] == 'A' || s[0] == 'a') && s[1] == '\0') {
        *slot = LAYOUT_SLOT_A;
        return 0;
    }
    if ((s[0] == 'B' || s[0] == 'b') && s[1] == '\0') {
        *slot = LAYOUT_SLOT_B;
        return 0;
    }
    return fh_msg_set(m, FOTA_EINVAL, "slot '%s': expected A or B", s);
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int fh_sha256_parse(const char *hex, uint8_t out[SHA256_DIGEST_SIZE], struct fh_msg *m)
{
    size_t i;

    if (hex == NULL || out == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "SHA-256: missing");
    }
    if (strlen(hex) != 2u * SHA256_DIGEST_SIZE) {
        return fh_msg_set(m, FOTA_EINVAL, "SHA-256 '%s': expected %u hex digits, got %zu",
                          hex, 2u * SHA256_DIGEST_SIZE, strlen(hex));
    }
    for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
        int hi = hex_nibble(hex[2 * i]);
        int lo = hex_nibble(hex[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return fh_msg_set(m, FOTA_EINVAL, "SHA-256 '%s': '%c' at position %zu is not a hex digit",
                              hex, hi < 0 ? hex[2 * i] : hex[2 * i + 1], hi < 0 ? 2 * i + 1 : 2 * i + 2);
        }
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return 0;
}

int fh_app_check(const uint8_t *bin, size_t len, uint32_t slot, struct fh_msg *m)
{
    uint32_t sp, reset, lo, hi, base;

    if (bin == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "no application binary");
    }
    if (slot != LAYOUT_SLOT_A && slot != LAYOUT_SLOT_B) {
        return fh_msg_set(m, FOTA_EINVAL, "slot %u: expected A or B", (unsigned)slot);
    }
    if (len < FH_APP_MIN_SIZE) {
        return fh_msg_set(m, FOTA_ESIZE, "%zu bytes is too small for a vector table (need at least %u)",
                          len, FH_APP_MIN_SIZE);
    }
    if (len > IMAGE_MAX_PAYLOAD) {
        return fh_msg_set(m, FOTA_ESIZE, "%zu bytes does not fit a slot (max %u = %u-byte slot - %u-byte header)",
                          len, (unsigned)IMAGE_MAX_PAYLOAD, (unsigned)LAYOUT_SLOT_SIZE,
                          (unsigned)IMAGE_HEADER_SIZE);
    }
    /* ARMv7-M ARM B1.5.3: word 0 = initial SP_main, word 1 = reset vector. */
    sp = proto_get_u32(bin);
    reset = proto_get_u32(bin + 4);
    if (sp <= LAYOUT_RAM_BASE || sp > LAYOUT_RAM_BASE + LAYOUT_RAM_SIZE || (sp & 3u) != 0) {
        return fh_msg_set(m, FOTA_EINVAL,
                          "initial SP 0x%08X is not a word-aligned address inside SRAM (0x%08X..0x%08X); "
                          "not a raw binary with a vector table?",
                          (unsigned)sp, (unsigned)LAYOUT_RAM_BASE, (unsigned)(LAYOUT_RAM_BASE + LAYOUT_RAM_SIZE));
    }
    if ((reset & 1u) == 0) {
        return fh_msg_set(m, FOTA_EINVAL, "reset vector 0x%08X lacks the Thumb bit (bit 0)", (unsigned)reset);
    }
    base = LAYOUT_SLOT_ADDR(slot);
    lo = base + IMAGE_HEADER_SIZE;
    hi = base + LAYOUT_SLOT_SIZE; /* exclusive */
    if ((reset & ~1u) < lo || (reset & ~1u) >= hi) {
        return fh_msg_set(m, FOTA_ESLOT, "reset vector 0x%08X is outside slot %s (0x%08X..0x%08X)",
                          (unsigned)reset, LAYOUT_SLOT_NAME(slot), (unsigned)lo, (unsigned)(hi - 1u));
    }
    return 0;
}

/* Header bytes -> struct (field by field, little-endian). */
static void hdr_decode(const uint8_t *b, struct image_header *h)
{
    memset(h, 0, sizeof(*h));
    h->ih_magic = proto_get_u32(b + offsetof(struct image_header, ih_magic));
    h->ih_hdr_size = proto_get_u16(b + offsetof(struct image_header, ih_hdr_size));
    h->ih_hdr_version = proto_get_u16(b + offsetof(struct image_header, ih_hdr_version));
    h->ih_version = proto_get_u32(b + offsetof(struct image_header, ih_version));
    h->ih_load_addr = proto_get_u32(b + offsetof(struct image_header, ih_load_addr));
    h->ih_size = proto_get_u32(b + offsetof(struct image_header, ih_size));
    h->ih_flags = proto_get_u32(b + offsetof(struct image_header, ih_flags));
    h->ih_crc32 = proto_get_u32(b + offsetof(struct image_header, ih_crc32));
    memcpy(h->ih_sha256, b + offsetof(struct image_header, ih_sha256), sizeof(h->ih_sha256));
    h->ih_tlv_size = proto_get_u32(b + offsetof(struct image_header, ih_tlv_size));
    h->ih_protect_tlv_size = proto_get_u32(b + offsetof(struct image_header, ih_protect_tlv_size));
    h->ih_security_counter = proto_get_u32(b + offsetof(struct image_header, ih_security_counter));
    memcpy(h->ih_reserved, b + offsetof(struct image_header, ih_reserved), sizeof(h->ih_reserved));
    h->ih_hdr_crc32 = proto_get_u32(b + offsetof(struct image_header, ih_hdr_crc32));
}

int fh_image_pack(const uint8_t *bin, size_t len, const struct fh_pack_opts *o,
                  uint8_t *out, size_t cap, size_t *out_len, struct fh_msg *m)
{
    uint8_t *h = out;
    int rc;

    if (bin == NULL || o == NULL || out == NULL || out_len == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "pack: NULL argument");
    }
    rc = fh_app_check(bin, len, o->slot, m);
    if (rc != 0) {
        return rc;
    }
    if (cap < IMAGE_HEADER_SIZE + len) {
        return fh_msg_set(m, FOTA_ESIZE, "pack: output buffer of %zu bytes, need %zu",
                          cap, (size_t)IMAGE_HEADER_SIZE + len);
    }
    memset(h, 0, IMAGE_HEADER_SIZE);
    proto_put_u32(h + offsetof(struct image_header, ih_magic), IMAGE_MAGIC);
    proto_put_u16(h + offsetof(struct image_header, ih_hdr_size), (uint16_t)IMAGE_HEADER_SIZE);
    proto_put_u16(h + offsetof(struct image_header, ih_hdr_version), (uint16_t)IMAGE_HDR_VERSION);
    proto_put_u32(h + offsetof(struct image_header, ih_version), o->version);
    proto_put_u32(h + offsetof(struct image_header, ih_load_addr), LAYOUT_SLOT_ADDR(o->slot));
    proto_put_u32(h + offsetof(struct image_header, ih_size), (uint32_t)len);
    proto_put_u32(h + offsetof(struct image_header, ih_flags), IMAGE_F_NONE);
    proto_put_u32(h + offsetof(struct image_header, ih_crc32), crc32_update(0, bin, len));
    proto_put_u32(h + offsetof(struct image_header, ih_security_counter), o->security_counter);
    if (o->force_sha256 != NULL) {
        memcpy(h + offsetof(struct image_header, ih_sha256), o->force_sha256, SHA256_DIGEST_SIZE);
    } else {
        sha256(bin, len, h + offsetof(struct image_header, ih_sha256));
    }
    proto_put_u32(h + HDR_CRC_SPAN, crc32_update(0, h, HDR_CRC_SPAN));
    memmove(out + IMAGE_HEADER_SIZE, bin, len);
    *out_len = IMAGE_HEADER_SIZE + len;
    return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }
    return 1;
}

/* Remember the first failure's message only. */
static void first_msg(struct fh_msg *m, int *have, int rc, const struct fh_msg *t)
{
    if (rc != 0 && !*have) {
        *have = 1;
        if (m != NULL) {
            memcpy(m->text, t->text, sizeof(m->text));
        }
    }
}

/* The header's own checks: magic, format, header CRC, load address (slot). */
static void inspect_header(struct fh_image_report *r, struct fh_msg *m, int *have)
{
    struct fh_msg t;

    t.text[0] = '\0';
    if (r->hdr.ih_magic != IMAGE_MAGIC) {
        r->rc_magic = fh_msg_set(&t, FOTA_EMAGIC, "bad magic 0x%08X (expected 0x%08X \"FOTA\")",
                                 (unsigned)r->hdr.ih_magic, (unsigned)IMAGE_MAGIC);
        first_msg(m, have, r->rc_magic, &t);
    }
    if (r->hdr.ih_hdr_size != IMAGE_HEADER_SIZE || r->hdr.ih_hdr_version != IMAGE_HDR_VERSION) {
        r->rc_hdr_format = fh_msg_set(&t, FOTA_EVERSION,
                                      "header size %u / format version %u (expected %u / %u)",
                                      (unsigned)r->hdr.ih_hdr_size, (unsigned)r->hdr.ih_hdr_version,
                                      (unsigned)IMAGE_HEADER_SIZE, (unsigned)IMAGE_HDR_VERSION);
        first_msg(m, have, r->rc_hdr_format, &t);
    }
    if (r->hdr.ih_hdr_crc32 != r->hdr_crc_calc) {
        r->rc_hdr_crc = fh_msg_set(&t, FOTA_ECRC, "header CRC-32 0x%08X, computed 0x%08X",
                                   (unsigned)r->hdr.ih_hdr_crc32, (unsigned)r->hdr_crc_calc);
        first_msg(m, have, r->rc_hdr_crc, &t);
    }
    if (r->hdr.ih_load_addr == LAYOUT_SLOT_A_ADDR) {
        r->slot = (int)LAYOUT_SLOT_A;
    } else if (r->hdr.ih_load_addr == LAYOUT_SLOT_B_ADDR) {
        r->slot = (int)LAYOUT_SLOT_B;
    } else {
        r->rc_slot = fh_msg_set(&t, FOTA_ESLOT, "load address 0x%08X is not a slot base (A 0x%08X, B 0x%08X)",
                                (unsigned)r->hdr.ih_load_addr, (unsigned)LAYOUT_SLOT_A_ADDR,
                                (unsigned)LAYOUT_SLOT_B_ADDR);
        first_msg(m, have, r->rc_slot, &t);
    }
}

/* The payload's checks: size, flags and reserved bytes, CRC-32, SHA-256, vector table. */
static void inspect_payload(const uint8_t *payload, size_t plen, struct fh_image_report *r, struct fh_msg *m,
                            int *have)
{
    struct fh_msg t;

    t.text[0] = '\0';
    if (r->hdr.ih_size == 0 || r->hdr.ih_size > IMAGE_MAX_PAYLOAD) {
        r->rc_size = fh_msg_set(&t, FOTA_ESIZE, "payload size %u is outside 1..%u",
                                (unsigned)r->hdr.ih_size, (unsigned)IMAGE_MAX_PAYLOAD);
    } else if (r->hdr.ih_size != plen) {
        r->rc_size = fh_msg_set(&t, FOTA_ESIZE, "payload size %u, but the file holds %zu payload bytes (%s)",
                                (unsigned)r->hdr.ih_size, plen,
                                plen < r->hdr.ih_size ? "truncated" : "trailing bytes");
    }
    first_msg(m, have, r->rc_size, &t);
    if (r->hdr.ih_flags != IMAGE_F_NONE || !all_zero(r->hdr.ih_reserved, sizeof(r->hdr.ih_reserved))) {
        r->rc_reserved = fh_msg_set(&t, FOTA_EINVAL, "flags 0x%08X / reserved bytes not zero",
                                    (unsigned)r->hdr.ih_flags);
        first_msg(m, have, r->rc_reserved, &t);
    }
    if (r->hdr.ih_crc32 != r->crc_calc) {
        r->rc_crc = fh_msg_set(&t, FOTA_ECRC, "payload CRC-32 0x%08X, computed 0x%08X",
                               (unsigned)r->hdr.ih_crc32, (unsigned)r->crc_calc);
        first_msg(m, have, r->rc_crc, &t);
    }
    if (memcmp(r->hdr.ih_sha256, r->sha_calc, SHA256_DIGEST_SIZE) != 0) {
        r->rc_sha = fh_msg_set(&t, FOTA_ESHA, "payload SHA-256 does not match the header");
        first_msg(m, have, r->rc_sha, &t);
    }
    if (r->slot < 0) {
        r->rc_vectors = fh_msg_set(&t, FOTA_ESLOT, "vector table not checked: unknown slot");
    } else {
        r->rc_vectors = fh_app_check(payload, plen, (uint32_t)r->slot, &t);
    }
    first_msg(m, have, r->rc_vectors, &t);
}

int fh_image_inspect(const uint8_t *img, size_t len, struct fh_image_report *r, struct fh_msg *m)
{
    static const uint8_t zero_hdr[IMAGE_HEADER_SIZE];
    const uint8_t *hb;
    const uint8_t *payload;
    size_t plen;
    struct fh_msg t;
    int have = 0;
    int first = 0;
    int *const order[] = { &r->rc_length, &r->rc_magic, &r->rc_hdr_format, &r->rc_hdr_crc, &r->rc_slot,
                           &r->rc_size, &r->rc_reserved, &r->rc_crc, &r->rc_sha, &r->rc_vectors };
    size_t i;

    if (img == NULL || r == NULL) {
        return fh_msg_set(m, FOTA_EINVAL, "inspect: NULL argument");
    }
    memset(r, 0, sizeof(*r));
    fh_msg_clear(m);
    t.text[0] = '\0';
    r->file_size = len;
    r->slot = -1;
    if (len < IMAGE_HEADER_SIZE) {
        r->rc_length = fh_msg_set(&t, FOTA_ESIZE, "%zu bytes is shorter than the %u-byte image header",
                                  len, (unsigned)IMAGE_HEADER_SIZE);
        first_msg(m, &have, r->rc_length, &t);
        hb = zero_hdr;
        payload = img;
        plen = 0;
    } else {
        hb = img;
        payload = img + IMAGE_HEADER_SIZE;
        plen = len - IMAGE_HEADER_SIZE;
    }
    hdr_decode(hb, &r->hdr);
    if (r->hdr.ih_tlv_size <= plen) {
        plen -= r->hdr.ih_tlv_size; /* the TLV area follows the payload */
    }
    r->hdr_crc_calc = crc32_update(0, hb, HDR_CRC_SPAN);
    r->crc_calc = crc32_update(0, payload, plen);
    sha256(payload, plen, r->sha_calc);
    if (plen >= FH_APP_MIN_SIZE) {
        r->vec_sp = proto_get_u32(payload);
        r->vec_reset = proto_get_u32(payload + 4);
    }

    if (r->rc_length == 0) {
        inspect_header(r, m, &have);
        inspect_payload(payload, plen, r, m, &have);
    }
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (*order[i] != 0) {
            first = *order[i];
            break;
        }
    }
    return first;
}
