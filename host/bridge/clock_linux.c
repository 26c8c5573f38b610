/* The bridge's clock on Linux (bridge_linux.h): CLOCK_MONOTONIC, nanosleep. */
#include <errno.h>
#include <time.h>
#include "bridge_linux.h"

static uint64_t clock_linux_now_ms(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void clock_linux_sleep_ms(void *ctx, uint32_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };

    (void)ctx;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

const struct fb_clock_ops fb_clock_linux_ops = { clock_linux_now_ms, clock_linux_sleep_ms };
