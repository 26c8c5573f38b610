/**
 * @file gpio.h
 * @brief One GPIO output line of the rig (power relay, NRST, BOOT0)
 * through libgpiod v1.6 (Debian bookworm's libgpiod-dev): chip lookup by
 * name, path, label or number; the line requested as an output owned by
 * "fota-hil"; levels given as asserted/deasserted, the profile's `active`
 * level mapping them to 0/1.
 *
 * The seam for tests is the library itself: gpio.c calls only the
 * gpiod_* functions below, and tests link tests/fakes/fake_gpiod.c (a fake
 * chip: this machine's kernel has no gpio-sim) in place of -lgpiod.
 * Used: gpiod_chip_open_lookup, gpiod_chip_close, gpiod_chip_num_lines,
 * gpiod_chip_get_line, gpiod_line_is_used, gpiod_line_consumer,
 * gpiod_line_request_output, gpiod_line_set_value, gpiod_line_release.
 */
#ifndef HIL_GPIO_H
#define HIL_GPIO_H

#include <stdbool.h>
#include <stddef.h>
#include "target/board_profile.h"

struct hil_gpio;

/**
 * Request @p spec's line as an output, initially @p asserted.
 * @param consumer  label shown by gpioinfo (e.g. "fota-hil power")
 * @param err       receives one line saying what is wrong
 * @return 0 and *out; FOTA_ENOENT (no such chip, or line out of range);
 *         FOTA_EBUSY (the line is used by another consumer);
 *         FOTA_EIO (permission or request failed: errno text in @p err);
 *         FOTA_ENOMEM.
 */
int hil_gpio_open(const struct hil_gpio_spec *spec, const char *consumer, bool asserted,
                  struct hil_gpio **out, char *err, size_t errlen);

/** Drive the line. @return 0; FOTA_EIO (err text via hil_gpio_error). */
int hil_gpio_set(struct hil_gpio *g, bool asserted);

/** @return the level last set (asserted or not). */
bool hil_gpio_asserted(const struct hil_gpio *g);

/** @return a one-line description of the last error. */
const char *hil_gpio_error(const struct hil_gpio *g);

/** Release the line and close the chip (NULL is fine). The line keeps its level. */
void hil_gpio_close(struct hil_gpio *g);

/**
 * Check without requesting: the chip opens, the line exists and is free.
 * @return 0; FOTA_ENOENT; FOTA_EBUSY; FOTA_EIO (as hil_gpio_open).
 */
int hil_gpio_check(const struct hil_gpio_spec *spec, char *err, size_t errlen);

#endif /* HIL_GPIO_H */
