/**
 * @file fake_gpiod.c
 * @brief The fake libgpiod v1.6 (fake_gpiod.h): the subset of <gpiod.h>
 * harness/target/gpio.c uses, with the library's own signatures and errno rules.
 */
#include "fake_gpiod.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <string.h>

struct gpiod_line {
    struct gpiod_chip *chip;
    unsigned int offset;
    bool used_by_other;
    char consumer[32];
    bool requested;
    int value;
    unsigned int writes;
};

struct gpiod_chip {
    bool exists;
    bool denied;
    int opens;
    char name[32];
    char label[32];
    unsigned int nlines;
    struct gpiod_line lines[FAKE_GPIOD_MAX_LINES];
};

static struct gpiod_chip fake_chips[FAKE_GPIOD_MAX_CHIPS];
static fake_gpiod_cb fake_cb;
static void *fake_cb_ctx;

void fake_gpiod_reset(void)
{
    memset(fake_chips, 0, sizeof(fake_chips));
    fake_cb = NULL;
    fake_cb_ctx = NULL;
}

static struct gpiod_chip *fake_find(const char *descr)
{
    for (int i = 0; i < FAKE_GPIOD_MAX_CHIPS; i++) {
        struct gpiod_chip *c = &fake_chips[i];
        if (!c->exists) {
            continue;
        }
        if (strcmp(descr, c->name) == 0 || strcmp(descr, c->label) == 0 ||
            (strncmp(descr, "/dev/", 5) == 0 && strcmp(descr + 5, c->name) == 0)) {
            return c;
        }
    }
    return NULL;
}

void fake_gpiod_add_chip(const char *name, const char *label, unsigned int nlines)
{
    for (int i = 0; i < FAKE_GPIOD_MAX_CHIPS; i++) {
        struct gpiod_chip *c = &fake_chips[i];
        if (!c->exists) {
            c->exists = true;
            snprintf(c->name, sizeof(c->name), "%s", name);
            snprintf(c->label, sizeof(c->label), "%s", label);
            c->nlines = nlines > FAKE_GPIOD_MAX_LINES ? FAKE_GPIOD_MAX_LINES : nlines;
            for (unsigned int l = 0; l < c->nlines; l++) {
                c->lines[l].chip = c;
                c->lines[l].offset = l;
                c->lines[l].value = -1;
            }
            return;
        }
    }
}

static struct gpiod_line *fake_line(const char *chip, unsigned int line)
{
    struct gpiod_chip *c = fake_find(chip);
    return c != NULL && line < c->nlines ? &c->lines[line] : NULL;
}

void fake_gpiod_set_used(const char *chip, unsigned int line, const char *consumer)
{
    struct gpiod_line *l = fake_line(chip, line);
    if (l != NULL) {
        l->used_by_other = true;
        snprintf(l->consumer, sizeof(l->consumer), "%s", consumer);
    }
}

void fake_gpiod_deny(const char *chip)
{
    struct gpiod_chip *c = fake_find(chip);
    if (c != NULL) {
        c->denied = true;
    }
}

int fake_gpiod_value(const char *chip, unsigned int line)
{
    struct gpiod_line *l = fake_line(chip, line);
    return l != NULL && l->requested ? l->value : -1;
}

unsigned int fake_gpiod_writes(const char *chip, unsigned int line)
{
    struct gpiod_line *l = fake_line(chip, line);
    return l != NULL ? l->writes : 0;
}

bool fake_gpiod_requested(const char *chip, unsigned int line)
{
    struct gpiod_line *l = fake_line(chip, line);
    return l != NULL && l->requested;
}

void fake_gpiod_on_change(fake_gpiod_cb cb, void *ctx)
{
    fake_cb = cb;
    fake_cb_ctx = ctx;
}

static void fake_drive(struct gpiod_line *l, int value)
{
    l->value = value ? 1 : 0;
    l->writes++;
    if (fake_cb != NULL) {
        fake_cb(fake_cb_ctx, l->chip->name, l->offset, l->value);
    }
}

/* ---- the libgpiod v1.6 API ---- */

struct gpiod_chip *gpiod_chip_open_lookup(const char *descr)
{
    struct gpiod_chip *c = fake_find(descr);
    if (c == NULL) {
        errno = ENOENT;
        return NULL;
    }
    if (c->denied) {
        errno = EACCES;
        return NULL;
    }
    c->opens++;
    return c;
}

void gpiod_chip_close(struct gpiod_chip *chip)
{
    /* Closing the chip releases its lines, as the real library does. */
    for (unsigned int l = 0; l < chip->nlines; l++) {
        chip->lines[l].requested = false;
    }
    chip->opens--;
}

unsigned int gpiod_chip_num_lines(struct gpiod_chip *chip)
{
    return chip->nlines;
}

struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip, unsigned int offset)
{
    if (offset >= chip->nlines) {
        errno = EINVAL;
        return NULL;
    }
    return &chip->lines[offset];
}

bool gpiod_line_is_used(struct gpiod_line *line)
{
    return line->used_by_other || line->requested;
}

const char *gpiod_line_consumer(struct gpiod_line *line)
{
    return line->consumer[0] != '\0' ? line->consumer : NULL;
}

int gpiod_line_request_output(struct gpiod_line *line, const char *consumer, int default_val)
{
    if (line->used_by_other || line->requested) {
        errno = EBUSY;
        return -1;
    }
    line->requested = true;
    snprintf(line->consumer, sizeof(line->consumer), "%s", consumer);
    fake_drive(line, default_val);
    return 0;
}

int gpiod_line_set_value(struct gpiod_line *line, int value)
{
    if (!line->requested) {
        errno = EPERM;
        return -1;
    }
    fake_drive(line, value);
    return 0;
}

void gpiod_line_release(struct gpiod_line *line)
{
    line->requested = false;
    line->consumer[0] = '\0';
}
