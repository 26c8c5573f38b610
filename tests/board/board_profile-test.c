/**
 * @file board_profile-test.c
 * @brief Board profile parser: a full profile parses to the right struct,
 * defaults apply, capabilities follow the wiring, and every malformed
 * input gives `file:line: what is wrong`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "target/board_profile.h"

static char err[1024];

static struct hil_board_profile *parse_ok(const char *text)
{
    struct hil_board_profile *p = NULL;
    int rc = hil_board_profile_parse("rig.yaml", text, strlen(text), &p, err, sizeof(err));
    if (rc != 0) {
        print_error("unexpected parse error: %s\n", err);
    }
    assert_int_equal(rc, 0);
    assert_non_null(p);
    return p;
}

static void parse_bad(const char *text, const char *msg)
{
    struct hil_board_profile *p = (void *)1;
    int rc = hil_board_profile_parse("rig.yaml", text, strlen(text), &p, err, sizeof(err));
    assert_int_equal(rc, FOTA_EINVAL);
    assert_null(p);
    if (strcmp(err, msg) != 0) {
        print_error("expected: %s\n     got: %s\n", msg, err);
    }
    assert_string_equal(err, msg);
}

static const char full[] =
    "board: f407-disco\n"
    "debug:\n"
    "  gdbserver: openocd\n"
    "  address: localhost:4444\n"
    "  config: [interface/stlink.cfg, target/stm32f4x.cfg]\n"
    "  stlink_serial: '066DFF495754877567112942'\n"
    "  chip_id: 0x413\n"
    "power: {driver: gpio, chip: gpiochip0, line: 17, active: low, off_ms: 700}\n"
    "nrst: {chip: gpiochip0, line: 27}\n"
    "boot0: {chip: gpiochip0, line: 22, active: high}\n"
    "console: {tty: /dev/ttyUSB0, baud: 115200}\n"
    "link: {tty: /dev/ttyAMA0, baud: 921600}\n"
    "cut_delay_us: 150\n";

static void test_hil_board_profile_parse_full(void **state)
{
    (void)state;
    struct hil_board_profile *p = parse_ok(full);
    assert_string_equal(p->name, "f407-disco");
    assert_int_equal(p->debug.server, HIL_GDBSERVER_OPENOCD);
    assert_string_equal(p->debug.address, "localhost:4444");
    assert_string_equal(p->debug.openocd, "openocd");
    assert_int_equal(p->debug.nconfig, 2);
    assert_string_equal(p->debug.config[1], "target/stm32f4x.cfg");
    assert_string_equal(p->debug.stlink_serial, "066DFF495754877567112942");
    assert_int_equal(p->debug.chip_id, 0x413);
    assert_int_equal(p->debug.flash_ops, HIL_FLASH_OBSERVE);
    assert_int_equal(p->power.kind, HIL_POWER_GPIO);
    assert_string_equal(p->power.gpio.chip, "gpiochip0");
    assert_int_equal(p->power.gpio.line, 17);
    assert_false(p->power.gpio.active_high);
    assert_int_equal(p->power.off_ms, 700);
    assert_int_equal(p->power.settle_ms, 100);
    assert_true(p->has_nrst);
    assert_int_equal(p->nrst.line, 27);
    assert_false(p->nrst.active_high); /* NRST defaults to active low */
    assert_int_equal(p->nrst.src_line, 9);
    assert_true(p->has_boot0);
    assert_true(p->boot0.active_high);
    assert_string_equal(p->console.path, "/dev/ttyUSB0");
    assert_int_equal(p->link.baud, 921600);
    assert_int_equal(p->cut_delay_us, 150);
    assert_true(hil_board_provides(p, "power_relay"));
    assert_true(hil_board_provides(p, "nrst"));
    assert_true(hil_board_provides(p, "boot0"));
    assert_true(hil_board_provides(p, "uart_link"));
    assert_false(hil_board_provides(p, "spi_link"));
    assert_false(hil_board_provides(p, "teleporter"));
    hil_board_profile_free(p);
}

static void test_hil_board_profile_parse_minimal_defaults(void **state)
{
    (void)state;
    struct hil_board_profile *p = parse_ok("board: x\nconsole: {tty: /dev/ttyUSB0}\n");
    assert_int_equal(p->debug.server, HIL_GDBSERVER_OPENOCD);
    assert_string_equal(p->debug.address, "localhost:3333");
    assert_string_equal(p->debug.config[0], "interface/stlink.cfg");
    assert_int_equal(p->debug.chip_id, HIL_BOARD_CHIP_ID_F40X);
    assert_int_equal(p->power.kind, HIL_POWER_NONE);
    assert_int_equal(p->console.baud, 115200);
    assert_false(hil_board_provides(p, "power_relay"));
    assert_false(hil_board_provides(p, "uart_link"));
    hil_board_profile_free(p);
}

static void test_hil_board_profile_parse_other_drivers(void **state)
{
    (void)state;
    struct hil_board_profile *p = parse_ok(
        "board: x\nconsole: {tty: /dev/ttyUSB0}\n"
        "debug: {gdbserver: external, address: 'unix:/tmp/gdb.sock', chip_id: any, flash_ops: serve}\n"
        "power: {driver: usb_hub, hub: '1-1.4', port: 2}\n"
        "link: {spidev: /dev/spidev0.0, hz: 2000000}\n");
    assert_int_equal(p->debug.server, HIL_GDBSERVER_EXTERNAL);
    assert_int_equal(p->debug.chip_id, HIL_BOARD_CHIP_ID_ANY);
    assert_int_equal(p->debug.flash_ops, HIL_FLASH_SERVE);
    assert_int_equal(p->power.kind, HIL_POWER_USB_HUB);
    assert_string_equal(p->power.hub, "1-1.4");
    assert_int_equal(p->power.port, 2);
    assert_string_equal(p->spidev, "/dev/spidev0.0");
    assert_int_equal(p->spi_hz, 2000000);
    assert_true(hil_board_provides(p, "spi_link"));
    hil_board_profile_free(p);
    p = parse_ok("board: x\nconsole: {tty: /dev/ttyUSB0}\npower: {driver: command, on: 'pdu 3 on', off: 'pdu 3 off'}\n");
    assert_int_equal(p->power.kind, HIL_POWER_COMMAND);
    assert_string_equal(p->power.off_cmd, "pdu 3 off");
    hil_board_profile_free(p);
}

static void test_hil_board_profile_parse_errors_have_lines(void **state)
{
    (void)state;
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0}\npowr: {driver: gpio}\n",
              "rig.yaml:3: unknown key 'powr' in board profile (expected one of: board, debug, power, nrst, "
              "boot0, console, link, cut_delay_us)");
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0}\npower:\n  driver: relay\n",
              "rig.yaml:4: power driver must be one of none, gpio, usb_hub, command; got 'relay'");
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0}\npower: {driver: gpio, chip: gpiochip0}\n",
              "rig.yaml:3: power: driver gpio needs chip and line");
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0}\nnrst: {chip: gpiochip0, line: 27, active: lo}\n",
              "rig.yaml:3: nrst: active must be high or low, got 'lo'");
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0}\nnrst: {chip: gpiochip0, line: -1}\n",
              "rig.yaml:3: nrst: expected a number 0..4095, got '-1'");
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0, baud: 12345}\n",
              "rig.yaml:2: console: baud 12345 is not a standard rate (9600..4000000)");
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0}\nlink: {tty: /dev/ttyS0, spidev: /dev/spidev0.0}\n",
              "rig.yaml:3: link: tty and spidev exclude each other");
    parse_bad("console: {tty: /dev/ttyUSB0}\n", "rig.yaml:1: missing 'board' (the rig's name)");
    parse_bad("board: x\n", "rig.yaml:1: missing 'console' (e.g. console: {tty: /dev/ttyUSB0})");
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0}\ndebug:\n  gdbserver: external\n",
              "rig.yaml:4: debug: gdbserver external needs address");
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0}\npower: {driver: usb_hub, hub: 'usb1', port: 2}\n",
              "rig.yaml:3: power hub: 'usb1' is not a USB location like 1-1.4");
    parse_bad("board: x\nconsole: {tty: /dev/ttyUSB0}\nboard: y\n",
              "rig.yaml:3: duplicate key 'board' in board profile");
    parse_bad("board: [x\n", "rig.yaml:2: YAML: did not find expected ',' or ']'");
    parse_bad("", "rig.yaml:1: empty file (expected a board profile mapping)");
}

static void test_hil_board_profile_load_missing_file(void **state)
{
    (void)state;
    struct hil_board_profile *p = NULL;
    assert_int_equal(hil_board_profile_load("/nonexistent/rig.yaml", &p, err, sizeof(err)), FOTA_EIO);
    assert_string_equal(err, "/nonexistent/rig.yaml: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hil_board_profile_parse_full),
        cmocka_unit_test(test_hil_board_profile_parse_minimal_defaults),
        cmocka_unit_test(test_hil_board_profile_parse_other_drivers),
        cmocka_unit_test(test_hil_board_profile_parse_errors_have_lines),
        cmocka_unit_test(test_hil_board_profile_load_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
