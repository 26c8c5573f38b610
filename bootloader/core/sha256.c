/**
 * @file sha256.c
 * @brief SHA-256 per FIPS 180-4 (section 4.1.2 functions, 4.2.2 constants,
 * 5.1.1 padding, 6.2.2 hash computation). Rolled loops: small on target.
 */
#include <string.h>
#include "fota/sha256.h"

/* FIPS 180-4 section 4.2.2: first 32 bits of the fractional parts of the
 * cube roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static uint32_t sha256_ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

/* FIPS 180-4 section 6.2.2: process one 512-bit block. */
static void sha256_block(struct sha256_ctx *c, const uint8_t *blk)
{
    uint32_t w[64];
    uint32_t a, b, cc, d, e, f, g, h;
    unsigned i;

    for (i = 0; i < 16u; i++) {
        w[i] = ((uint32_t)blk[4u * i] << 24) | ((uint32_t)blk[4u * i + 1u] << 16) |
               ((uint32_t)blk[4u * i + 2u] << 8) | (uint32_t)blk[4u * i + 3u];
    }
    for (i = 16; i < 64u; i++) {
        uint32_t s0 = sha256_ror(w[i - 15u], 7) ^ sha256_ror(w[i - 15u], 18) ^ (w[i - 15u] >> 3);
        uint32_t s1 = sha256_ror(w[i - 2u], 17) ^ sha256_ror(w[i - 2u], 19) ^ (w[i - 2u] >> 10);
        w[i] = w[i - 16u] + s0 + w[i - 7u] + s1;
    }
    a = c->state[0]; b = c->state[1]; cc = c->state[2]; d = c->state[3];
    e = c->state[4]; f = c->state[5]; g = c->state[6]; h = c->state[7];
    for (i = 0; i < 64u; i++) {
        uint32_t S1 = sha256_ror(e, 6) ^ sha256_ror(e, 11) ^ sha256_ror(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + S1 + ch + sha256_k[i] + w[i];
        uint32_t S0 = sha256_ror(a, 2) ^ sha256_ror(a, 13) ^ sha256_ror(a, 22);
        uint32_t maj = (a & b) ^ (a & cc) ^ (b & cc);
        uint32_t t2 = S0 + maj;
        h = g; g = f; f = e; e = d + t1;
        d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->state[0] += a; c->state[1] += b; c->state[2] += cc; c->state[3] += d;
    c->state[4] += e; c->state[5] += f; c->state[6] += g; c->state[7] += h;
}

void sha256_init(struct sha256_ctx *c)
{
    /* FIPS 180-4 section 5.3.3: initial hash value H(0). */
    static const uint32_t h0[8] = {
        0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
    };
    memcpy(c->state, h0, sizeof(h0));
    c->bytes = 0;
    c->buf_len = 0;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;

    c->bytes += len;
    while (len > 0u) {
        if (c->buf_len == 0u && len >= 64u) {
            sha256_block(c, p);
            p += 64;
            len -= 64u;
            continue;
        }
        {
            size_t n = 64u - c->buf_len;
            if (n > len) {
                n = len;
            }
            memcpy(c->buf + c->buf_len, p, n);
            c->buf_len += (uint32_t)n;
            p += n;
            len -= n;
            if (c->buf_len == 64u) {
                sha256_block(c, c->buf);
                c->buf_len = 0;
            }
        }
    }
}

void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_SIZE])
{
    uint64_t bits = c->bytes * 8u;
    unsigned i;

    /* FIPS 180-4 section 5.1.1: a 1 bit, zeros to 56 mod 64, 64-bit length. */
    c->buf[c->buf_len++] = 0x80u;
    if (c->buf_len > 56u) {
        memset(c->buf + c->buf_len, 0, 64u - c->buf_len);
        sha256_block(c, c->buf);
        c->buf_len = 0;
    }
    memset(c->buf + c->buf_len, 0, 56u - c->buf_len);
    for (i = 0; i < 8u; i++) {
        c->buf[56u + i] = (uint8_t)(bits >> (56u - 8u * i));
    }
    sha256_block(c, c->buf);
    for (i = 0; i < 8u; i++) {
        out[4u * i] = (uint8_t)(c->state[i] >> 24);
        out[4u * i + 1u] = (uint8_t)(c->state[i] >> 16);
        out[4u * i + 2u] = (uint8_t)(c->state[i] >> 8);
        out[4u * i + 3u] = (uint8_t)c->state[i];
    }
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx c;

    sha256_init(&c);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
}
