/**
 * @file power-test.c
 * @brief GPIO lines and the power drivers against fakes at their real
 * boundaries: the fake libgpiod chip (tests/fakes/fake_gpiod.c) and the
 * fake libusb bus (tests/fakes/fake_libusb.c); the command driver runs
 * real shell commands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "target/gpio.h"
#include "target/power.h"
#include "target/usbdev.h"
#include "../fakes/fake_gpiod.h"
#include "../fakes/fake_libusb.h"

static char err[512];

static int setup(void **state)
{
    (void)state;
    fake_gpiod_reset();
    fake_usb_reset();
    fake_gpiod_add_chip("gpiochip7", "fake-hil", 32);
    err[0] = '\0';
    return 0;
}

static struct hil_gpio_spec spec(const char *chip, unsigned line, bool active_high)
{
    struct hil_gpio_spec s = { .chip = (char *)chip, .line = line, .active_high = active_high };
    return s;
}

static void test_hil_gpio_open_active_low_levels(void **state)
{
    (void)state;
    struct hil_gpio_spec s = spec("/dev/gpiochip7", 27, false);
    struct hil_gpio *g = NULL;
    assert_int_equal(hil_gpio_open(&s, "fota-hil nrst", false, &g, err, sizeof(err)), 0);
    assert_int_equal(fake_gpiod_value("gpiochip7", 27), 1); /* deasserted active-low = high */
    assert_int_equal(hil_gpio_set(g, true), 0);
    assert_int_equal(fake_gpiod_value("gpiochip7", 27), 0);
    assert_true(hil_gpio_asserted(g));
    hil_gpio_close(g);
    assert_false(fake_gpiod_requested("gpiochip7", 27));
}

static void test_hil_gpio_open_errors(void **state)
{
    (void)state;
    struct hil_gpio *g = NULL;
    struct hil_gpio_spec s = spec("gpiochip0", 1, true);
    assert_int_equal(hil_gpio_open(&s, "t", false, &g, err, sizeof(err)), FOTA_ENOENT);
    assert_string_equal(err, "gpio chip 'gpiochip0' not found: No such file or directory");
    s = spec("gpiochip7", 40, true);
    assert_int_equal(hil_gpio_open(&s, "t", false, &g, err, sizeof(err)), FOTA_ENOENT);
    assert_string_equal(err, "gpio chip 'gpiochip7' has 32 lines: line 40 does not exist");
    fake_gpiod_set_used("gpiochip7", 4, "spi0 CS0");
    s = spec("fake-hil", 4, true); /* by label */
    assert_int_equal(hil_gpio_check(&s, err, sizeof(err)), FOTA_EBUSY);
    assert_string_equal(err, "gpio chip 'fake-hil' line 4 is in use by 'spi0 CS0'");
    fake_gpiod_deny("gpiochip7");
    s = spec("gpiochip7", 1, true);
    assert_int_equal(hil_gpio_open(&s, "t", false, &g, err, sizeof(err)), FOTA_EIO);
    assert_string_equal(err, "gpio chip 'gpiochip7': permission denied (add the user to group gpio, or a udev rule)");
    assert_null(g);
}

static void test_hil_power_open_gpio_starts_off(void **state)
{
    (void)state;
    struct hil_power_spec ps = { .kind = HIL_POWER_GPIO, .gpio = spec("gpiochip7", 17, true) };
    struct hil_power *p = NULL;
    assert_int_equal(hil_power_check(&ps, err, sizeof(err)), 0);
    assert_int_equal(hil_power_open(&ps, &p, err, sizeof(err)), 0);
    assert_int_equal(fake_gpiod_value("gpiochip7", 17), 0);
    assert_int_equal(hil_power_set(p, true), 0);
    assert_int_equal(fake_gpiod_value("gpiochip7", 17), 1);
    assert_true(p->on);
    assert_int_equal(hil_power_set(p, false), 0);
    assert_int_equal(fake_gpiod_value("gpiochip7", 17), 0);
    assert_int_equal(fake_gpiod_writes("gpiochip7", 17), 3);
    hil_power_close(p);
}

static void test_hil_power_open_none_is_enotsup(void **state)
{
    (void)state;
    struct hil_power_spec ps = { .kind = HIL_POWER_NONE };
    struct hil_power *p = NULL;
    assert_int_equal(hil_power_open(&ps, &p, err, sizeof(err)), FOTA_ENOTSUP);
    assert_null(p);
}

static void test_hil_power_set_command(void **state)
{
    (void)state;
    char path[] = "/tmp/power-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char on[256], off[256];
    snprintf(on, sizeof(on), "echo on >> %s", path);
    snprintf(off, sizeof(off), "echo off >> %s; exit 3", path);
    struct hil_power_spec ps = { .kind = HIL_POWER_COMMAND, .on_cmd = on, .off_cmd = off };
    struct hil_power *p = NULL;
    assert_int_equal(hil_power_check(&ps, err, sizeof(err)), 0);
    assert_int_equal(hil_power_open(&ps, &p, err, sizeof(err)), 0);
    assert_int_equal(hil_power_set(p, true), 0);
    assert_int_equal(hil_power_set(p, false), FOTA_EIO);
    assert_true(p->on); /* the failed switch did not count */
    char want[300];
    snprintf(want, sizeof(want), "power off: `%s` exited with status 3", off);
    assert_string_equal(hil_power_error(p), want);
    hil_power_close(p);
    FILE *f = fopen(path, "r");
    char buf[64] = "";
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(path);
    assert_string_equal(buf, "on\noff\n");
    struct hil_power_spec bad = { .kind = HIL_POWER_COMMAND, .on_cmd = "no-such-pdu-tool 1 on", .off_cmd = off };
    assert_int_equal(hil_power_check(&bad, err, sizeof(err)), FOTA_ENOENT);
    assert_string_equal(err, "power on command `no-such-pdu-tool 1 on`: program not found");
}

/* A hung power command is killed at its limit, with what it started. */
static void test_hil_power_set_command_hung_is_killed(void **state)
{
    (void)state;
    char path[] = "/tmp/power-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char on[256];
    snprintf(on, sizeof(on), "sleep 5; echo late >> %s", path);
    struct hil_power_spec ps = { .kind = HIL_POWER_COMMAND, .on_cmd = on, .off_cmd = "true", .cmd_limit_ms = 200 };
    struct hil_power *p = NULL;
    assert_int_equal(hil_power_open(&ps, &p, err, sizeof(err)), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(hil_power_set(p, true), FOTA_ETIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 4); /* did not wait for the command */
    assert_false(p->on);
    char want[400];
    snprintf(want, sizeof(want), "power on: `%s` still running after 200 ms: killed", on);
    assert_string_equal(hil_power_error(p), want);
    hil_power_close(p);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0); /* the shell was killed: "late" is never written */
    unlink(path);
}

static void test_hil_power_set_usb_hub_port(void **state)
{
    (void)state;
    fake_usb_add(1, "1", 0x2109, 0x2817, NULL, 4);          /* hub at 1-1 */
    int hub = fake_usb_add(1, "1.4", 0x0bda, 0x5411, NULL, 4); /* hub at 1-1.4 */
    struct hil_power_spec ps = { .kind = HIL_POWER_USB_HUB, .hub = "1-1.4", .port = 2 };
    struct hil_power *p = NULL;
    assert_int_equal(hil_power_open(&ps, &p, err, sizeof(err)), 0);
    assert_int_equal(fake_usb_port_power(hub, 2), -1);
    assert_int_equal(hil_power_set(p, false), 0);
    assert_int_equal(fake_usb_port_power(hub, 2), 0);
    assert_int_equal(hil_power_set(p, true), 0);
    assert_int_equal(fake_usb_port_power(hub, 2), 1);
    assert_int_equal(fake_usb_port_power(hub, 1), -1);
    hil_power_close(p);
    assert_int_equal(fake_usb_open_contexts(), 0);
}

static void test_hil_power_open_usb_hub_errors(void **state)
{
    (void)state;
    int hub = fake_usb_add(1, "1.4", 0x0bda, 0x5411, NULL, 4);
    fake_usb_add(2, "3", 0x0483, 0x374b, "ABC", 0);
    struct hil_power *p = NULL;
    struct hil_power_spec ps = { .kind = HIL_POWER_USB_HUB, .hub = "1-1.5", .port = 2 };
    assert_int_equal(hil_power_open(&ps, &p, err, sizeof(err)), FOTA_ENOENT);
    assert_string_equal(err, "usb hub at 1-1.5 not found (lsusb -t shows the bus-port chain)");
    ps.hub = "2-3";
    assert_int_equal(hil_power_check(&ps, err, sizeof(err)), FOTA_ENOENT);
    assert_string_equal(err, "usb device at 2-3 (0483:374b) is not a hub");
    ps.hub = "1-1.4";
    ps.port = 7;
    assert_int_equal(hil_power_check(&ps, err, sizeof(err)), FOTA_ENOENT);
    assert_string_equal(err, "usb hub at 1-1.4 has 4 ports: port 7 does not exist");
    fake_usb_deny_open(hub);
    ps.port = 1;
    assert_int_equal(hil_power_check(&ps, err, sizeof(err)), FOTA_EIO);
    assert_string_equal(err, "usb hub at 1-1.4: cannot open: Access denied (insufficient permissions) "
                             "(needs a udev rule giving write access, as for uhubctl)");
    assert_null(p);
    assert_int_equal(fake_usb_open_contexts(), 0);
}

static void test_hil_stlink_find_by_serial(void **state)
{
    (void)state;
    char sn[64];
    assert_int_equal(hil_stlink_find(NULL, sn, sizeof(sn), err, sizeof(err)), FOTA_ENOENT);
    assert_string_equal(err, "no ST-LINK on USB (vendor 0483, products 3748/374b/374e/374f/3752/3753)");
    fake_usb_add(1, "2", 0x0483, 0x374b, "066DFF49", 0);
    fake_usb_add(1, "3", 0x0483, 0x3748, "AAAA", 0);
    assert_int_equal(hil_stlink_find("AAAA", sn, sizeof(sn), err, sizeof(err)), 0);
    assert_string_equal(sn, "AAAA");
    assert_int_equal(hil_stlink_find("BBBB", sn, sizeof(sn), err, sizeof(err)), FOTA_ENOENT);
    assert_string_equal(err, "no ST-LINK with serial BBBB; seen: 0483:374b at 1-2 serial 066DFF49, "
                             "0483:3748 at 1-3 serial AAAA");
    assert_int_equal(fake_usb_open_contexts(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_hil_gpio_open_active_low_levels, setup),
        cmocka_unit_test_setup(test_hil_gpio_open_errors, setup),
        cmocka_unit_test_setup(test_hil_power_open_gpio_starts_off, setup),
        cmocka_unit_test_setup(test_hil_power_open_none_is_enotsup, setup),
        cmocka_unit_test_setup(test_hil_power_set_command, setup),
        cmocka_unit_test_setup(test_hil_power_set_command_hung_is_killed, setup),
        cmocka_unit_test_setup(test_hil_power_set_usb_hub_port, setup),
        cmocka_unit_test_setup(test_hil_power_open_usb_hub_errors, setup),
        cmocka_unit_test_setup(test_hil_stlink_find_by_serial, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
