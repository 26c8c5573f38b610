/**
 * @file fake_gpiod.h
 * @brief A fake GPIO chip at the libgpiod v1.6 boundary: tests link
 * fake_gpiod.c instead of -lgpiod (this machine's kernel has no gpio-sim).
 * Chips are found by name, "/dev/NAME" or label; each line records its
 * requested direction, consumer, value and how often it was set, and a
 * callback sees every value change (the stand-in board hangs its power
 * relay and NRST off it).
 */
#ifndef FAKE_GPIOD_H
#define FAKE_GPIOD_H

#include <stdbool.h>

#define FAKE_GPIOD_MAX_CHIPS 4
#define FAKE_GPIOD_MAX_LINES 64

typedef void (*fake_gpiod_cb)(void *ctx, const char *chip, unsigned int line, int value);

/** Forget every chip and callback. */
void fake_gpiod_reset(void);
/** Add a chip named @p name (e.g. "gpiochip7") with @p nlines lines. */
void fake_gpiod_add_chip(const char *name, const char *label, unsigned int nlines);
/** Mark a line as used by another consumer (the kernel, another program). */
void fake_gpiod_set_used(const char *chip, unsigned int line, const char *consumer);
/** Opening @p chip fails with EACCES from now on. */
void fake_gpiod_deny(const char *chip);
/** @return the line's value, or -1 if nobody requested it. */
int fake_gpiod_value(const char *chip, unsigned int line);
/** @return how many times the line was driven (request + set_value). */
unsigned int fake_gpiod_writes(const char *chip, unsigned int line);
/** @return whether the line is requested (by the code under test) now. */
bool fake_gpiod_requested(const char *chip, unsigned int line);
/** Called on every value the code under test drives (also the initial one). */
void fake_gpiod_on_change(fake_gpiod_cb cb, void *ctx);

#endif /* FAKE_GPIOD_H */
