/**
 * @file image_sig.c
 * @brief image_sig_check() / image_sig_verify(): ECDSA-P256 verification
 * (image_sig.h) over mbedTLS's bignum and ECP arithmetic. On the target
 * mbedTLS is the Cortex-M4 build of crypto/build.sh
 * (crypto/fota_mbedtls_config.h: no malloc, a static buffer); on the host
 * Debian's libmbedcrypto.
 *
 * The last step of the verification, x(R) mod n == r, is ours and not
 * mbedtls_ecdsa_verify()'s: it is the comparison that accepts, so it is
 * made twice, each result checked (fota/fih.h; docs/SECURITY.md "Glitch
 * hardening"). A skipped instruction inside mbedTLS's arithmetic yields a
 * wrong number, which that comparison refuses.
 */
#include <stddef.h>
#include "fota/image_sig.h"
#include "fota/errors.h"
#include "fota/fih.h"
#include "mbedtls/bignum.h"
#include "mbedtls/ecp.h"

#ifdef MBEDTLS_MEMORY_BUFFER_ALLOC_C
#include "mbedtls/memory_buffer_alloc.h"
/* Peak use of one P-256 verify with crypto/fota_mbedtls_config.h, plus
 * margin (docs/SECURITY.md "Footprint"). */
#define IMAGE_SIG_HEAP_SIZE 4096u
static unsigned char image_sig_heap[IMAGE_SIG_HEAP_SIZE];
#endif

#define IMAGE_SIG_HALF (IMAGE_SIG_SIZE / 2u) /* bytes of r, of s */

/* The numbers of one verification (SEC 1 4.1.4 names). */
struct image_sig_ctx {
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q, rp;          /* public key; R = u1 G + u2 Q */
    mbedtls_mpi r, s, e, sinv, u1, u2, x;
};

static int image_sig_errno(int rc)
{
    if (rc == MBEDTLS_ERR_MPI_ALLOC_FAILED || rc == MBEDTLS_ERR_ECP_ALLOC_FAILED) {
        return FOTA_ENOMEM;
    }
    return FOTA_ESIG;
}

/* 1 <= v < n (FIPS 186-4 6.4.2 step 1). */
static int image_sig_in_range(const mbedtls_mpi *v, const mbedtls_mpi *n)
{
    return mbedtls_mpi_cmp_int(v, 1) >= 0 && mbedtls_mpi_cmp_mpi(v, n) < 0;
}

/* Load the key and the signature, compute x = x(u1 G + u2 Q) mod n into
 * c->x and its 32 big-endian bytes into @p xb. @return 0; an mbedTLS error;
 * MBEDTLS_ERR_ECP_VERIFY_FAILED (r or s out of range, R at infinity). */
static int image_sig_compute(struct image_sig_ctx *c, const uint8_t digest[32], const uint8_t sig[IMAGE_SIG_SIZE],
                             const uint8_t pubkey[IMAGE_PUBKEY_SIZE], uint8_t xb[IMAGE_SIG_HALF])
{
    int rc = mbedtls_ecp_group_load(&c->grp, MBEDTLS_ECP_DP_SECP256R1);
    rc = rc != 0 ? rc : mbedtls_ecp_point_read_binary(&c->grp, &c->q, pubkey, IMAGE_PUBKEY_SIZE);
    rc = rc != 0 ? rc : mbedtls_ecp_check_pubkey(&c->grp, &c->q);
    rc = rc != 0 ? rc : mbedtls_mpi_read_binary(&c->r, sig, IMAGE_SIG_HALF);
    rc = rc != 0 ? rc : mbedtls_mpi_read_binary(&c->s, sig + IMAGE_SIG_HALF, IMAGE_SIG_HALF);
    if (rc == 0 && (!image_sig_in_range(&c->r, &c->grp.N) || !image_sig_in_range(&c->s, &c->grp.N))) {
        rc = MBEDTLS_ERR_ECP_VERIFY_FAILED;
    }
    /* P-256: n has 256 bits, the digest is used whole (step 3). */
    rc = rc != 0 ? rc : mbedtls_mpi_read_binary(&c->e, digest, 32);
    rc = rc != 0 ? rc : mbedtls_mpi_inv_mod(&c->sinv, &c->s, &c->grp.N);
    rc = rc != 0 ? rc : mbedtls_mpi_mul_mpi(&c->u1, &c->e, &c->sinv);
    rc = rc != 0 ? rc : mbedtls_mpi_mod_mpi(&c->u1, &c->u1, &c->grp.N);
    rc = rc != 0 ? rc : mbedtls_mpi_mul_mpi(&c->u2, &c->r, &c->sinv);
    rc = rc != 0 ? rc : mbedtls_mpi_mod_mpi(&c->u2, &c->u2, &c->grp.N);
    rc = rc != 0 ? rc : mbedtls_ecp_muladd(&c->grp, &c->rp, &c->u1, &c->grp.G, &c->u2, &c->q);
    if (rc == 0 && mbedtls_ecp_is_zero(&c->rp)) {
        rc = MBEDTLS_ERR_ECP_VERIFY_FAILED;
    }
    rc = rc != 0 ? rc : mbedtls_mpi_mod_mpi(&c->x, &c->rp.X, &c->grp.N);
    return rc != 0 ? rc : mbedtls_mpi_write_binary(&c->x, xb, IMAGE_SIG_HALF);
}

static void image_sig_init(struct image_sig_ctx *c)
{
#ifdef MBEDTLS_MEMORY_BUFFER_ALLOC_C
    mbedtls_memory_buffer_alloc_init(image_sig_heap, sizeof(image_sig_heap));
#endif
    mbedtls_ecp_group_init(&c->grp);
    mbedtls_ecp_point_init(&c->q);
    mbedtls_ecp_point_init(&c->rp);
    mbedtls_mpi_init(&c->r);
    mbedtls_mpi_init(&c->s);
    mbedtls_mpi_init(&c->e);
    mbedtls_mpi_init(&c->sinv);
    mbedtls_mpi_init(&c->u1);
    mbedtls_mpi_init(&c->u2);
    mbedtls_mpi_init(&c->x);
}

static void image_sig_free(struct image_sig_ctx *c)
{
    mbedtls_mpi_free(&c->x);
    mbedtls_mpi_free(&c->u2);
    mbedtls_mpi_free(&c->u1);
    mbedtls_mpi_free(&c->sinv);
    mbedtls_mpi_free(&c->e);
    mbedtls_mpi_free(&c->s);
    mbedtls_mpi_free(&c->r);
    mbedtls_ecp_point_free(&c->rp);
    mbedtls_ecp_point_free(&c->q);
    mbedtls_ecp_group_free(&c->grp);
#ifdef MBEDTLS_MEMORY_BUFFER_ALLOC_C
    mbedtls_memory_buffer_alloc_free();
#endif
}

fih_ret image_sig_check(const uint8_t digest[32], const uint8_t sig[IMAGE_SIG_SIZE],
                        const uint8_t pubkey[IMAGE_PUBKEY_SIZE], int *why)
{
    struct image_sig_ctx c;
    uint8_t xb[IMAGE_SIG_HALF];
    volatile fih_ret ret = FIH_FAILURE;
    volatile fih_ret first, second;

    *why = FOTA_ESIG;
    if (digest == NULL || sig == NULL || pubkey == NULL) {
        *why = FOTA_EINVAL;
        return FIH_FAILURE;
    }
    image_sig_init(&c);
    int rc = image_sig_compute(&c, digest, sig, pubkey, xb);
    if (rc != 0) {
        *why = image_sig_errno(rc);
        goto out;
    }
    /* The accepting comparison, twice; each result checked (fih.h). */
    first = fih_memeq(xb, sig, IMAGE_SIG_HALF);
    if (!fih_ok(&first)) {
        goto out;
    }
#if FIH_ENABLED
    second = fih_memeq(xb, sig, IMAGE_SIG_HALF);
    if (!fih_ok(&second)) {
        goto out;
    }
#else
    second = first;
#endif
    ret = second;
    *why = 0;
out:
    image_sig_free(&c);
    return ret;
}

int image_sig_verify(const uint8_t digest[32], const uint8_t sig[IMAGE_SIG_SIZE],
                     const uint8_t pubkey[IMAGE_PUBKEY_SIZE])
{
    int why;
    volatile fih_ret ret = image_sig_check(digest, sig, pubkey, &why);

    return fih_ok(&ret) ? 0 : (why != 0 ? why : FOTA_ESIG);
}
