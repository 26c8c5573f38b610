/**
 * @file fih.c
 * @brief fih_memeq() (fota/fih.h); no port needed, so host tools that
 * check signatures (image_sig.c) link it. fih_panic() is in boot.c.
 */
#include <string.h>
#include "fota/fih.h"

fih_ret fih_memeq(const void *a, const void *b, size_t n)
{
#if FIH_ENABLED
    const volatile uint8_t *pa = a;
    const volatile uint8_t *pb = b;
    volatile uint32_t diff = 0;
    volatile size_t i;
    uint32_t nz;

    for (i = 0; i < n; i++) {
        diff |= (uint32_t)(pa[i] ^ pb[i]);
    }
    if (i != n) {
        return FIH_FAILURE; /* the loop was left early */
    }
    nz = (diff | (0u - diff)) >> 31; /* 1 when any byte differed */
    /* FIH_FAILURE is ~FIH_SUCCESS: flip every bit when nz (no branch). */
    return FIH_SUCCESS ^ (0u - nz);
#else
    return memcmp(a, b, n) == 0 ? FIH_SUCCESS : FIH_FAILURE;
#endif
}
