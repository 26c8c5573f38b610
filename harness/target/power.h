/**
 * @file power.h
 * @brief Switching a board's supply, one interface over several drivers
 * (labgrid's PowerProtocol): a GPIO line driving a relay (libgpiod), a
 * USB hub port with per-port power switching (libusb-1.0, as uhubctl
 * does), or external commands (a PDU's or smart plug's CLI).
 */
#ifndef HIL_POWER_H
#define HIL_POWER_H

#include <stdbool.h>
#include <stddef.h>
#include "target/board_profile.h"

struct hil_power;

/** What every driver implements. */
struct hil_power_ops {
    const char *name;
    /** @return 0; FOTA_EIO (reason in the driver's error text). */
    int (*set)(struct hil_power *p, bool on);
    void (*close)(struct hil_power *p);
};

struct hil_power {
    const struct hil_power_ops *ops;
    bool on;           /**< last state set */
    char err[256];
};

/**
 * Open the driver @p spec names (does not switch anything).
 * @return 0 and *out; FOTA_ENOTSUP (driver none: nothing can switch the
 *         board); FOTA_ENOENT (chip/line/hub/port not found); FOTA_EBUSY
 *         (line in use); FOTA_EIO (permission, request failed);
 *         FOTA_ENOMEM. One line in @p err says what is wrong.
 */
int hil_power_open(const struct hil_power_spec *spec, struct hil_power **out, char *err, size_t errlen);

/**
 * How long the command driver lets an `on`/`off` command run (ms) before it
 * kills it (SIGKILL to its process group) and fails the switch. A relay or
 * PDU command that hangs (a smart plug off the network) must not hang the
 * run; 30 s is far beyond any PDU's CLI. It bounds a power switch, never
 * decides a scenario's verdict.
 */
#define HIL_POWER_CMD_LIMIT_MS 30000u

/**
 * Switch on or off. The command driver runs its profile string with
 * `/bin/sh -c` (the profile is the rig owner's, like a Makefile: pipes and
 * `;` are allowed), in its own process group, for at most
 * HIL_POWER_CMD_LIMIT_MS (spec cmd_limit_ms when set).
 * @return 0; FOTA_EIO (failed or exited non-zero); FOTA_ETIMEOUT (a command
 *         ran past its limit and was killed); hil_power_error says why.
 */
int hil_power_set(struct hil_power *p, bool on);

const char *hil_power_error(const struct hil_power *p);

/** Close (NULL is fine); the supply keeps its state. */
void hil_power_close(struct hil_power *p);

/**
 * Check the driver's resources without switching: GPIO chip/line free,
 * hub found and permitted with that port, commands found in PATH.
 * @return 0; the errors of hil_power_open.
 */
int hil_power_check(const struct hil_power_spec *spec, char *err, size_t errlen);

/* Driver constructors (power.c, power_usb.c). Same returns as hil_power_open. */
int hil_power_gpio_open(const struct hil_power_spec *spec, struct hil_power **out, char *err, size_t errlen);
int hil_power_cmd_open(const struct hil_power_spec *spec, struct hil_power **out, char *err, size_t errlen);
int hil_power_usb_open(const struct hil_power_spec *spec, struct hil_power **out, char *err, size_t errlen);
int hil_power_usb_check(const struct hil_power_spec *spec, char *err, size_t errlen);

#endif /* HIL_POWER_H */
