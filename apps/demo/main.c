/**
 * @file main.c
 * @brief Demo application for fota-hil: reports itself on the console,
 * runs a self-test, confirms its trial through the bootloader's services
 * table, keeps the watchdog fed and serves the update link. Misbehaving
 * variants (APP_BEHAVIOUR, app.h) exercise rollback: crash, hang,
 * noconfirm. Console lines: docs/ARCHITECTURE.md "Console contract".
 */
#include <stdint.h>

#include "app.h"
#include "fota/bl_api.h"
#include "fota/image.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "stm32f4.h"

#define APP_VERSION IMAGE_VERSION(APP_VERSION_MAJOR, APP_VERSION_MINOR, APP_VERSION_PATCH)
/* Watchdog refresh period; the bootloader starts the IWDG at 3000 ms. */
#define APP_WDG_PERIOD_MS 100u
/* `background` variant: "APP: heartbeat <n>" period, ms of device time. */
#define APP_HEARTBEAT_MS 250u

#ifdef APP_PAD_BYTES
/* The `big` variant (apps/build.mk): padding that makes the payload about
 * 256 KB, so an update is ~256 program operations. Read once in main() so
 * --gc-sections keeps it. */
static const uint8_t app_pad[APP_PAD_BYTES] = { 0x5A, 0xA5 };
#endif

/* From app.ld.in: base of the slot this image is linked for. */
extern const uint8_t _app_slot_base[];

static int app_bl_api_ok(void)
{
    return BL_API->ba_magic == BL_API_MAGIC && BL_API->ba_version >= 1u;
}

static void app_watchdog_refresh(void)
{
    if (app_bl_api_ok()) {
        BL_API->ba_watchdog_refresh();
    }
}

/* APP_SPI_TX: "APP: alive <n> s" every second after the link writes, so
 * a scenario sees the application run on past the IWDG period. */
static void app_heartbeat(void)
{
#if APP_BEHAVIOUR == APP_SPI_TX
    static uint32_t periods;

    if (++periods % (1000u / APP_WDG_PERIOD_MS) == 0u) {
        app_puts("APP: alive ");
        app_put_u32(periods / (1000u / APP_WDG_PERIOD_MS));
        app_puts(" s\r\n");
    }
#endif
}

static uint32_t app_last_wdg;
#if APP_BEHAVIOUR == APP_BACKGROUND
static uint32_t app_last_beat;
static uint32_t app_beats;
#endif

void app_tick(void)
{
    uint32_t now = stm32f4_ticks_ms();

    if (now - app_last_wdg >= APP_WDG_PERIOD_MS) {
        app_last_wdg = now;
        app_watchdog_refresh();
        app_heartbeat();
    }
#if APP_BEHAVIOUR == APP_BACKGROUND
    if (now - app_last_beat >= APP_HEARTBEAT_MS) {
        app_last_beat = now;
        app_puts("APP: heartbeat ");
        app_put_u32(++app_beats);
        app_puts("\r\n");
    }
#endif
}

/* "APP: demo v<x.y.z> slot <A|B> (<trial|confirmed|?>)"; @return the slot. */
static uint32_t app_banner(void)
{
    uint32_t slot = (uint32_t)(uintptr_t)_app_slot_base == LAYOUT_SLOT_A_ADDR ?
                    LAYOUT_SLOT_A : LAYOUT_SLOT_B;
    uint32_t bl_slot = 0u;
    uint32_t state = 0xFFu;
    const char *name = "?";

    if (app_bl_api_ok() && BL_API->ba_get_state(&bl_slot, &state) == 0 &&
        bl_slot < LAYOUT_SLOT_COUNT) {
        slot = bl_slot;
        if (state == META_SLOT_TRIAL) {
            name = "trial";
        } else if (state == META_SLOT_CONFIRMED) {
            name = "confirmed";
        }
    }
    app_puts("APP: demo v");
    app_put_version(APP_VERSION);
    app_puts(" slot ");
    app_puts(LAYOUT_SLOT_NAME(slot));
    app_puts(" (");
    app_puts(name);
    app_puts(")\r\n");
    return slot;
}

/* Fault handler (every variant; the crash variant provokes it): report and
 * reset. An unconfirmed trial is then rolled back by the bootloader. */
void HardFault_Handler(void)
{
    app_puts("APP: HardFault\r\n");
    app_flush();
    stm32f4_system_reset();
}

int main(void)
{
    const char *what = "";
    uint32_t slot;
    int ok;

#ifdef APP_PAD_BYTES
    (void)*(const volatile uint8_t *)&app_pad[APP_PAD_BYTES - 1u];
#endif
    stm32f4_tick_init();
    stm32f4_usart_init(STM32F4_USART_CONSOLE);
    stm32f4_usart_init(STM32F4_USART_LINK);
    app_watchdog_refresh();

    slot = app_banner();
    ok = app_selftest(&what) == 0;
    if (ok) {
        app_puts("APP: self-test ok\r\n");
    } else {
        app_puts("APP: self-test FAILED: ");
        app_puts(what);
        app_puts("\r\n");
    }

#if APP_BEHAVIOUR == APP_CRASH
    app_puts("APP: crash: HardFault now\r\n");
    app_flush();
    /* Permanently undefined instruction: UsageFault, escalated to HardFault
     * because UsageFault is not enabled (ARMv7-M ARM B1.5.8, B1.5.14). */
    __asm volatile("udf #0" ::: "memory");
#elif APP_BEHAVIOUR == APP_HANG
    app_puts("APP: hang: no more watchdog refresh\r\n");
    app_flush();
    for (;;) {
        /* the IWDG resets us; the slot is still in trial -> rollback */
    }
#elif APP_BEHAVIOUR == APP_NOCONFIRM
    app_puts("APP: not confirming\r\n");
#else
#if APP_BEHAVIOUR == APP_BACKGROUND
    app_puts("APP: background updates on the link\r\n");
#endif
    if (ok && app_bl_api_ok()) {
        int rc = BL_API->ba_confirm();

        if (rc == 0) {
            app_puts("APP: confirmed\r\n");
        } else {
            app_puts("APP: confirm failed: rc=");
            app_put_u32((uint32_t)rc);
            app_puts("\r\n");
        }
    }
#endif

    app_link_init(slot);
#if APP_BEHAVIOUR == APP_SPI_TX
    app_watchdog_refresh();
    app_link_tx_probe();
#endif
    app_last_wdg = stm32f4_ticks_ms();
#if APP_BEHAVIOUR == APP_BACKGROUND
    app_last_beat = app_last_wdg;
#endif
    for (;;) {
        app_link_poll();
        stm32f4_poll_pause(); /* keeps guest time near wall time under QEMU */
        app_tick();
    }
}
