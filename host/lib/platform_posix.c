/* POSIX platform bits of libfotahost: the monotonic clock (fotahost/common.h). */
#include <time.h>
#include "fotahost/common.h"

uint32_t fh_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0; /* cannot happen with CLOCK_MONOTONIC on Linux */
    }
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}
