/**
 * @file image_sig.c
 * @brief image_sig_verify() over mbedTLS's ECDSA (image_sig.h). On the
 * target mbedTLS is the Cortex-M4 build of crypto/build.sh
 * (crypto/fota_mbedtls_config.h: no malloc, a static buffer); on the host
 * Debian's libmbedcrypto.
 */
#include <stddef.h>
#include "fota/image_sig.h"
#include "fota/errors.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/bignum.h"
#include "mbedtls/ecp.h"

#ifdef MBEDTLS_MEMORY_BUFFER_ALLOC_C
#include "mbedtls/memory_buffer_alloc.h"
/* Peak use of one P-256 verify with crypto/fota_mbedtls_config.h, plus
 * margin (docs/SECURITY.md "Footprint"). */
#define IMAGE_SIG_HEAP_SIZE 4096u
static unsigned char image_sig_heap[IMAGE_SIG_HEAP_SIZE];
#endif

static int image_sig_errno(int rc)
{
    if (rc == 0) {
        return 0;
    }
    if (rc == MBEDTLS_ERR_MPI_ALLOC_FAILED || rc == MBEDTLS_ERR_ECP_ALLOC_FAILED) {
        return FOTA_ENOMEM;
    }
    return FOTA_ESIG;
}

int image_sig_verify(const uint8_t digest[32], const uint8_t sig[IMAGE_SIG_SIZE],
                     const uint8_t pubkey[IMAGE_PUBKEY_SIZE])
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    int rc;

    if (digest == NULL || sig == NULL || pubkey == NULL) {
        return FOTA_EINVAL;
    }
#ifdef MBEDTLS_MEMORY_BUFFER_ALLOC_C
    mbedtls_memory_buffer_alloc_init(image_sig_heap, sizeof(image_sig_heap));
#endif
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    rc = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1);
    if (rc == 0) {
        rc = mbedtls_ecp_point_read_binary(&grp, &q, pubkey, IMAGE_PUBKEY_SIZE);
    }
    if (rc == 0) {
        rc = mbedtls_ecp_check_pubkey(&grp, &q);
    }
    if (rc == 0) {
        rc = mbedtls_mpi_read_binary(&r, sig, IMAGE_SIG_SIZE / 2u);
    }
    if (rc == 0) {
        rc = mbedtls_mpi_read_binary(&s, sig + IMAGE_SIG_SIZE / 2u, IMAGE_SIG_SIZE / 2u);
    }
    if (rc == 0) {
        /* FIPS 186-4 6.4: checks 0 < r, s < n itself. */
        rc = mbedtls_ecdsa_verify(&grp, digest, 32, &q, &r, &s);
    }
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
#ifdef MBEDTLS_MEMORY_BUFFER_ALLOC_C
    mbedtls_memory_buffer_alloc_free();
#endif
    return image_sig_errno(rc);
}
