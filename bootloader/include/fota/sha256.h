/**
 * @file sha256.h
 * @brief SHA-256 (FIPS 180-4), incremental, no allocation.
 */
#ifndef FOTA_SHA256_H
#define FOTA_SHA256_H
#include <stdint.h>
#include <stddef.h>

#define SHA256_DIGEST_SIZE 32u

struct sha256_ctx {
    uint32_t state[8];
    uint64_t bytes;
    uint8_t  buf[64];
    uint32_t buf_len;
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE]);
/** One-shot digest of @p len bytes. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE]);

#endif
