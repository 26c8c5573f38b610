/**
 * @file fota_mbedtls_config.h
 * @brief The mbedTLS 2.28 configuration of the bootloader
 * (MBEDTLS_CONFIG_FILE; crypto/build.sh): ECDSA signature verification on
 * secp256r1 and SHA-256, nothing else. No malloc: mbedTLS allocates from a
 * static buffer (memory_buffer_alloc) that bootloader/core/image_sig.c hands
 * it. No entropy, no RNG: verification needs none.
 *
 * Option names and meanings: mbedTLS 2.28 include/mbedtls/config.h.
 */
#ifndef FOTA_MBEDTLS_CONFIG_H
#define FOTA_MBEDTLS_CONFIG_H

/* System: freestanding Cortex-M4, no file system, no time. */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_NO_PLATFORM_ENTROPY

/* Memory: calloc/free go to the static buffer allocator. */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
/* memory_buffer_alloc's self-check may call exit(): there is no exit on
 * the target; a failed check only ever follows heap corruption. */
#define MBEDTLS_PLATFORM_EXIT_MACRO(status) ((void)(status))
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C

/* ECDSA verify on NIST P-256 (FIPS 186-4, SEC 1). */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
/* No DRBG: verification works on public data only, so ECP's internal
 * blinding RNG is not needed (config.h MBEDTLS_ECP_NO_INTERNAL_RNG). */
#define MBEDTLS_ECP_NO_INTERNAL_RNG
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C

/* SHA-256 (FIPS 180-4), the smaller implementation. */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER

/* Footprint: small ECP windows, no fixed-point tables in RAM, the
 * largest numbers are P-256's. */
#define MBEDTLS_ECP_WINDOW_SIZE        2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM  0
#define MBEDTLS_ECP_MAX_BITS           256
#define MBEDTLS_MPI_MAX_SIZE           32
#define MBEDTLS_MPI_WINDOW_SIZE        1

#include "mbedtls/check_config.h"

#endif /* FOTA_MBEDTLS_CONFIG_H */
