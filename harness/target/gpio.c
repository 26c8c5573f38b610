/**
 * @file gpio.c
 * @brief GPIO output lines through libgpiod v1.6 (gpio.h).
 */
#include "target/gpio.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

struct hil_gpio {
    struct gpiod_chip *chip;
    struct gpiod_line *line;
    bool active_high;
    bool asserted;
    char desc[128];
    char err[256];
};

static int gpio_level(bool active_high, bool asserted)
{
    return asserted == active_high ? 1 : 0;
}

/* Open the chip and find the line; @return 0 or an error with @p err set. */
static int gpio_lookup(const struct hil_gpio_spec *spec, struct gpiod_chip **chip, struct gpiod_line **line,
                       char *err, size_t errlen)
{
    errno = 0;
    *chip = gpiod_chip_open_lookup(spec->chip);
    if (*chip == NULL) {
        int e = errno;
        if (e == EACCES || e == EPERM) {
            snprintf(err, errlen, "gpio chip '%s': permission denied (add the user to group gpio, or a udev rule)",
                     spec->chip);
            return FOTA_EIO;
        }
        snprintf(err, errlen, "gpio chip '%s' not found%s%s", spec->chip, e != 0 ? ": " : "",
                 e != 0 ? strerror(e) : "");
        return FOTA_ENOENT;
    }
    unsigned int n = gpiod_chip_num_lines(*chip);
    if (spec->line >= n) {
        snprintf(err, errlen, "gpio chip '%s' has %u lines: line %u does not exist", spec->chip, n, spec->line);
        gpiod_chip_close(*chip);
        *chip = NULL;
        return FOTA_ENOENT;
    }
    *line = gpiod_chip_get_line(*chip, spec->line);
    if (*line == NULL) {
        snprintf(err, errlen, "gpio chip '%s' line %u: %s", spec->chip, spec->line, strerror(errno));
        gpiod_chip_close(*chip);
        *chip = NULL;
        return FOTA_EIO;
    }
    if (gpiod_line_is_used(*line)) {
        const char *who = gpiod_line_consumer(*line);
        snprintf(err, errlen, "gpio chip '%s' line %u is in use by '%s'", spec->chip, spec->line,
                 who != NULL ? who : "the kernel");
        gpiod_chip_close(*chip);
        *chip = NULL;
        return FOTA_EBUSY;
    }
    return 0;
}

int hil_gpio_open(const struct hil_gpio_spec *spec, const char *consumer, bool asserted,
                  struct hil_gpio **out, char *err, size_t errlen)
{
    *out = NULL;
    struct hil_gpio *g = calloc(1, sizeof(*g));
    if (g == NULL) {
        return FOTA_ENOMEM;
    }
    int rc = gpio_lookup(spec, &g->chip, &g->line, err, errlen);
    if (rc != 0) {
        free(g);
        return rc;
    }
    g->active_high = spec->active_high;
    g->asserted = asserted;
    snprintf(g->desc, sizeof(g->desc), "gpio chip '%s' line %u", spec->chip, spec->line);
    if (gpiod_line_request_output(g->line, consumer, gpio_level(g->active_high, asserted)) != 0) {
        snprintf(err, errlen, "%s: cannot request as output: %s", g->desc, strerror(errno));
        gpiod_chip_close(g->chip);
        free(g);
        return FOTA_EIO;
    }
    *out = g;
    return 0;
}

int hil_gpio_set(struct hil_gpio *g, bool asserted)
{
    if (gpiod_line_set_value(g->line, gpio_level(g->active_high, asserted)) != 0) {
        snprintf(g->err, sizeof(g->err), "%s: set value: %s", g->desc, strerror(errno));
        return FOTA_EIO;
    }
    g->asserted = asserted;
    return 0;
}

bool hil_gpio_asserted(const struct hil_gpio *g)
{
    return g->asserted;
}

const char *hil_gpio_error(const struct hil_gpio *g)
{
    return g->err;
}

void hil_gpio_close(struct hil_gpio *g)
{
    if (g == NULL) {
        return;
    }
    gpiod_line_release(g->line);
    gpiod_chip_close(g->chip);
    free(g);
}

int hil_gpio_check(const struct hil_gpio_spec *spec, char *err, size_t errlen)
{
    struct gpiod_chip *chip;
    struct gpiod_line *line;
    int rc = gpio_lookup(spec, &chip, &line, err, errlen);
    if (rc == 0) {
        gpiod_chip_close(chip);
    }
    return rc;
}
