/* tests/bootloader/iwdg-test.c: the stm32f4 IWDG driver
 * (bootloader/port/stm32f4/iwdg.c) on the host, over a fake register
 * block: prescaler/reload per RM0090 Table 107, and a status register
 * that never clears is reported (it used to time out silently). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "../../bootloader/port/stm32f4/iwdg.h"
#include "../../bootloader/port/stm32f4/stm32f4_regs.h"

static void test_stm32f4_iwdg_divider_table(void **state)
{
    static const uint32_t cases[][3] = {
        /* timeout_ms, PR, reload counts */
        { 0u, 0u, 8u },         /* clamped to 1 ms: 32 LSI ticks / 4 */
        { 1u, 0u, 8u },
        { 3000u, 3u, 3000u },   /* BL_WATCHDOG_MS: /32 */
        { 16000u, 5u, 4000u },  /* UPDATE_WATCHDOG_MS: /128 */
        { 32000u, 6u, 4000u },  /* /256 */
        { 99999u, 6u, 4000u },  /* clamped to 32000 */
    };
    uint32_t i, pr, reload;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        stm32f4_iwdg_divider(cases[i][0], &pr, &reload);
        assert_int_equal(pr, cases[i][1]);
        assert_int_equal(reload, cases[i][2]);
        assert_true(reload >= 1u && reload <= IWDG_RLR_MASK + 1u);
    }
}

static void test_stm32f4_iwdg_start_programs_registers(void **state)
{
    struct stm32f4_iwdg_regs r;

    (void)state;
    memset((void *)&r, 0, sizeof(r));
    assert_int_equal(stm32f4_iwdg_start(&r, 3000u), 0);
    assert_int_equal(r.pr, 3u);
    assert_int_equal(r.rlr, 2999u);
    assert_int_equal(r.kr, IWDG_KR_RELOAD);
}

static void test_stm32f4_iwdg_start_sr_stuck_times_out(void **state)
{
    struct stm32f4_iwdg_regs r;

    (void)state;
    memset((void *)&r, 0, sizeof(r));
    r.sr = IWDG_SR_RVU; /* a reload-value update that never completes */
    assert_int_equal(stm32f4_iwdg_start(&r, 3000u), FOTA_ETIMEOUT);
    assert_int_equal(r.kr, IWDG_KR_RELOAD); /* still reloaded: the dog keeps running */
    r.sr = IWDG_SR_PVU;
    assert_int_equal(stm32f4_iwdg_start(&r, 3000u), FOTA_ETIMEOUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stm32f4_iwdg_divider_table),
        cmocka_unit_test(test_stm32f4_iwdg_start_programs_registers),
        cmocka_unit_test(test_stm32f4_iwdg_start_sr_stuck_times_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
