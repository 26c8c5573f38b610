/**
 * @file board_profile.c
 * @brief Board profile parser (board_profile.h; format in docs/BOARDS.md).
 * libyaml's document API; every node keeps its start line, so every error
 * is `file:line: what is wrong`.
 */
#include "target/board_profile.h"
#include "target/errmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "fota/errors.h"

const char *const hil_board_capabilities[] = {
    "power_relay", "nrst", "boot0", "uart_link", "spi_link", "console", "register_level", NULL,
};

struct bctx {
    const char *file;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
    int rc;
};

static int bp_fail(struct bctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bp_fail(struct bctx *c, int line, const char *fmt, ...)
{
    if (c->rc != 0) {
        return c->rc;
    }
    va_list ap;
    va_start(ap, fmt);
    hil_errmsg_vset(c->err, c->errlen, c->file, line, fmt, ap);
    va_end(ap);
    c->rc = FOTA_EINVAL;
    return c->rc;
}

static int bp_line(const yaml_node_t *n)
{
    return n != NULL ? (int)n->start_mark.line + 1 : 0;
}

static char *bp_strdup(struct bctx *c, const char *s)
{
    char *d = strdup(s);
    if (d == NULL && c->rc == 0) {
        c->rc = FOTA_ENOMEM;
        snprintf(c->err, c->errlen, "%s: out of memory", c->file);
    }
    return d;
}

static const char *bp_scalar(struct bctx *c, yaml_node_t *n, const char *what)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE) {
        bp_fail(c, bp_line(n), "%s: expected a scalar", what);
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

static int bp_string(struct bctx *c, yaml_node_t *n, const char *what, char **out)
{
    const char *s = bp_scalar(c, n, what);
    if (s == NULL) {
        return c->rc;
    }
    if (s[0] == '\0') {
        return bp_fail(c, bp_line(n), "%s: empty", what);
    }
    free(*out);
    *out = bp_strdup(c, s);
    return c->rc;
}

static int bp_u32(struct bctx *c, yaml_node_t *n, const char *what, uint32_t max, uint32_t *out)
{
    const char *s = bp_scalar(c, n, what);
    if (s == NULL) {
        return c->rc;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max) {
        return bp_fail(c, bp_line(n), "%s: expected a number 0..%u, got '%s'", what, max, s);
    }
    *out = (uint32_t)v;
    return 0;
}

/* Walk a mapping; every key must be in @p keys. */
typedef int (*bp_key_fn)(struct bctx *c, const char *key, yaml_node_t *val, void *arg);

static int bp_mapping(struct bctx *c, yaml_node_t *n, const char *what, const char *const *keys,
                      bp_key_fn fn, void *arg)
{
    if (n == NULL || n->type != YAML_MAPPING_NODE) {
        return bp_fail(c, bp_line(n), "%s: expected a mapping", what);
    }
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *key = bp_scalar(c, k, what);
        if (key == NULL) {
            return c->rc;
        }
        bool known = false;
        for (int i = 0; keys[i] != NULL; i++) {
            known = known || strcmp(keys[i], key) == 0;
        }
        if (!known) {
            char list[256] = "";
            for (int i = 0; keys[i] != NULL; i++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", keys[i]);
            }
            return bp_fail(c, bp_line(k), "unknown key '%s' in %s (expected one of: %s)", key, what, list);
        }
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
            const char *prev = (const char *)yaml_document_get_node(c->doc, q->key)->data.scalar.value;
            if (strcmp(prev, key) == 0) {
                return bp_fail(c, bp_line(k), "duplicate key '%s' in %s", key, what);
            }
        }
        if (fn(c, key, v, arg) != 0) {
            return c->rc != 0 ? c->rc : FOTA_EINVAL;
        }
    }
    return 0;
}

/* ---- gpio lines ---- */

struct gpio_arg {
    struct hil_gpio_spec *g;
    const char *what;
    bool have_chip, have_line;
};

static int bp_active(struct bctx *c, yaml_node_t *v, const char *what, bool *active_high)
{
    const char *s = bp_scalar(c, v, what);
    if (s == NULL) {
        return c->rc;
    }
    if (strcmp(s, "high") == 0) {
        *active_high = true;
    } else if (strcmp(s, "low") == 0) {
        *active_high = false;
    } else {
        return bp_fail(c, bp_line(v), "%s: active must be high or low, got '%s'", what, s);
    }
    return 0;
}

static int gpio_key(struct bctx *c, const char *key, yaml_node_t *v, void *varg)
{
    struct gpio_arg *a = varg;
    if (strcmp(key, "chip") == 0) {
        a->have_chip = true;
        return bp_string(c, v, a->what, &a->g->chip);
    }
    if (strcmp(key, "line") == 0) {
        a->have_line = true;
        uint32_t l;
        int rc = bp_u32(c, v, a->what, 4095, &l);
        a->g->line = l;
        return rc;
    }
    return bp_active(c, v, a->what, &a->g->active_high);
}

static int bp_gpio(struct bctx *c, yaml_node_t *n, const char *what, struct hil_gpio_spec *g, bool dflt_high)
{
    static const char *const keys[] = { "chip", "line", "active", NULL };
    struct gpio_arg a = { .g = g, .what = what };
    g->active_high = dflt_high;
    g->src_line = bp_line(n);
    if (bp_mapping(c, n, what, keys, gpio_key, &a) != 0) {
        return c->rc;
    }
    if (!a.have_chip || !a.have_line) {
        return bp_fail(c, bp_line(n), "%s: needs chip and line (e.g. {chip: gpiochip0, line: 17})", what);
    }
    return 0;
}

/* ---- power ---- */

static int power_key(struct bctx *c, const char *key, yaml_node_t *v, void *varg)
{
    struct hil_power_spec *p = varg;
    if (strcmp(key, "driver") == 0) {
        const char *s = bp_scalar(c, v, "power driver");
        if (s == NULL) {
            return c->rc;
        }
        static const struct { const char *name; enum hil_power_kind k; } kinds[] = {
            { "none", HIL_POWER_NONE }, { "gpio", HIL_POWER_GPIO },
            { "usb_hub", HIL_POWER_USB_HUB }, { "command", HIL_POWER_COMMAND },
        };
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
            if (strcmp(s, kinds[i].name) == 0) {
                p->kind = kinds[i].k;
                return 0;
            }
        }
        return bp_fail(c, bp_line(v), "power driver must be one of none, gpio, usb_hub, command; got '%s'", s);
    }
    if (strcmp(key, "chip") == 0) {
        p->gpio.src_line = bp_line(v);
        return bp_string(c, v, "power chip", &p->gpio.chip);
    }
    if (strcmp(key, "line") == 0) {
        uint32_t l = 0;
        int rc = bp_u32(c, v, "power line", 4095, &l);
        p->gpio.line = l;
        return rc;
    }
    if (strcmp(key, "active") == 0) {
        return bp_active(c, v, "power", &p->gpio.active_high);
    }
    if (strcmp(key, "hub") == 0) {
        return bp_string(c, v, "power hub", &p->hub);
    }
    if (strcmp(key, "port") == 0) {
        uint32_t port = 0;
        int rc = bp_u32(c, v, "power port", 255, &port);
        if (rc == 0 && port == 0) {
            return bp_fail(c, bp_line(v), "power port: hub ports count from 1");
        }
        p->port = port;
        return rc;
    }
    if (strcmp(key, "on") == 0) {
        return bp_string(c, v, "power on", &p->on_cmd);
    }
    if (strcmp(key, "off") == 0) {
        return bp_string(c, v, "power off", &p->off_cmd);
    }
    if (strcmp(key, "off_ms") == 0) {
        return bp_u32(c, v, "power off_ms", 600000, &p->off_ms);
    }
    return bp_u32(c, v, "power settle_ms", 600000, &p->settle_ms);
}

static int bp_power(struct bctx *c, yaml_node_t *n, struct hil_power_spec *p)
{
    static const char *const keys[] = { "driver", "chip", "line", "active", "hub", "port", "on", "off",
                                        "off_ms", "settle_ms", NULL };
    p->src_line = bp_line(n);
    p->gpio.active_high = true;
    bool had_line = false;
    if (n != NULL && n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top; q++) {
            yaml_node_t *k = yaml_document_get_node(c->doc, q->key);
            had_line = had_line || (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, "line") == 0);
        }
    }
    if (bp_mapping(c, n, "power", keys, power_key, p) != 0) {
        return c->rc;
    }
    switch (p->kind) {
    case HIL_POWER_GPIO:
        if (p->gpio.chip == NULL || !had_line) {
            return bp_fail(c, p->src_line, "power: driver gpio needs chip and line");
        }
        break;
    case HIL_POWER_USB_HUB:
        if (p->hub == NULL || p->port == 0) {
            return bp_fail(c, p->src_line, "power: driver usb_hub needs hub (location, e.g. \"1-1.4\") and port");
        }
        for (const char *s = p->hub; *s != '\0'; s++) {
            if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '.')) {
                return bp_fail(c, p->src_line, "power hub: '%s' is not a USB location like 1-1.4", p->hub);
            }
        }
        break;
    case HIL_POWER_COMMAND:
        if (p->on_cmd == NULL || p->off_cmd == NULL) {
            return bp_fail(c, p->src_line, "power: driver command needs on and off");
        }
        break;
    case HIL_POWER_NONE:
        break;
    }
    return 0;
}

/* ---- debug ---- */

static int debug_key(struct bctx *c, const char *key, yaml_node_t *v, void *varg)
{
    struct hil_board_profile *p = varg;
    if (strcmp(key, "gdbserver") == 0) {
        const char *s = bp_scalar(c, v, "debug gdbserver");
        if (s == NULL) {
            return c->rc;
        }
        if (strcmp(s, "openocd") == 0) {
            p->debug.server = HIL_GDBSERVER_OPENOCD;
        } else if (strcmp(s, "external") == 0) {
            p->debug.server = HIL_GDBSERVER_EXTERNAL;
        } else {
            return bp_fail(c, bp_line(v), "debug gdbserver must be openocd or external, got '%s'", s);
        }
        return 0;
    }
    if (strcmp(key, "address") == 0) {
        if (bp_string(c, v, "debug address", &p->debug.address) != 0) {
            return c->rc;
        }
        const char *a = p->debug.address;
        if (strncmp(a, "unix:", 5) != 0 && (strrchr(a, ':') == NULL || strrchr(a, ':')[1] == '\0')) {
            return bp_fail(c, bp_line(v), "debug address: expected HOST:PORT or unix:PATH, got '%s'", a);
        }
        return 0;
    }
    if (strcmp(key, "openocd") == 0) {
        return bp_string(c, v, "debug openocd", &p->debug.openocd);
    }
    if (strcmp(key, "config") == 0) {
        if (v == NULL || v->type != YAML_SEQUENCE_NODE) {
            return bp_fail(c, bp_line(v), "debug config: expected a list of openocd config files");
        }
        for (int i = 0; i < p->debug.nconfig; i++) {
            free(p->debug.config[i]);
        }
        free(p->debug.config);
        p->debug.nconfig = 0;
        size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
        p->debug.config = calloc(n + 1, sizeof(char *));
        if (p->debug.config == NULL) {
            return c->rc = FOTA_ENOMEM;
        }
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            char *s = NULL;
            if (bp_string(c, yaml_document_get_node(c->doc, *it), "debug config entry", &s) != 0) {
                return c->rc;
            }
            p->debug.config[p->debug.nconfig++] = s;
        }
        return 0;
    }
    if (strcmp(key, "stlink_serial") == 0) {
        return bp_string(c, v, "debug stlink_serial", &p->debug.stlink_serial);
    }
    if (strcmp(key, "chip_id") == 0) {
        const char *s = bp_scalar(c, v, "debug chip_id");
        if (s != NULL && strcmp(s, "any") == 0) {
            p->debug.chip_id = HIL_BOARD_CHIP_ID_ANY;
            return 0;
        }
        return bp_u32(c, v, "debug chip_id", 0xFFF, &p->debug.chip_id);
    }
    if (strcmp(key, "flash_ops") == 0) {
        const char *s = bp_scalar(c, v, "debug flash_ops");
        if (s == NULL) {
            return c->rc;
        }
        if (strcmp(s, "observe") == 0) {
            p->debug.flash_ops = HIL_FLASH_OBSERVE;
        } else if (strcmp(s, "serve") == 0) {
            p->debug.flash_ops = HIL_FLASH_SERVE;
        } else {
            return bp_fail(c, bp_line(v), "debug flash_ops must be observe or serve, got '%s'", s);
        }
        return 0;
    }
    return bp_u32(c, v, "debug connect_ms", 600000, &p->debug.connect_ms);
}

/* ---- ttys ---- */

struct tty_arg {
    struct hil_board_profile *p;
    struct hil_tty_spec *t;
    const char *what;
    bool spi_ok;
};

static int tty_key(struct bctx *c, const char *key, yaml_node_t *v, void *varg)
{
    struct tty_arg *a = varg;
    if (strcmp(key, "tty") == 0) {
        return bp_string(c, v, a->what, &a->t->path);
    }
    if (strcmp(key, "baud") == 0) {
        return bp_u32(c, v, a->what, 4000000, &a->t->baud);
    }
    if (!a->spi_ok) {
        return bp_fail(c, bp_line(v), "%s: '%s' is only for the update link", a->what, key);
    }
    if (strcmp(key, "spidev") == 0) {
        a->p->spidev_line = bp_line(v);
        return bp_string(c, v, "link spidev", &a->p->spidev);
    }
    return bp_u32(c, v, "link hz", 50000000, &a->p->spi_hz);
}

static int bp_tty(struct bctx *c, yaml_node_t *n, struct hil_board_profile *p, struct hil_tty_spec *t,
                  const char *what, bool spi_ok)
{
    static const char *const keys[] = { "tty", "baud", "spidev", "hz", NULL };
    struct tty_arg a = { .p = p, .t = t, .what = what, .spi_ok = spi_ok };
    t->src_line = bp_line(n);
    if (bp_mapping(c, n, what, keys, tty_key, &a) != 0) {
        return c->rc;
    }
    if (spi_ok && t->path != NULL && p->spidev != NULL) {
        return bp_fail(c, t->src_line, "link: tty and spidev exclude each other");
    }
    if (t->path == NULL && !(spi_ok && p->spidev != NULL)) {
        return bp_fail(c, t->src_line, "%s: needs tty%s", what, spi_ok ? " or spidev" : "");
    }
    const uint32_t bauds[] = { 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000,
                               2000000, 3000000, 4000000 };
    bool ok = false;
    for (size_t i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++) {
        ok = ok || bauds[i] == t->baud;
    }
    if (t->path != NULL && !ok) {
        return bp_fail(c, t->src_line, "%s: baud %u is not a standard rate (9600..4000000)", what, t->baud);
    }
    return 0;
}

/* ---- top level ---- */

static int top_key(struct bctx *c, const char *key, yaml_node_t *v, void *varg)
{
    struct hil_board_profile *p = varg;
    if (strcmp(key, "board") == 0) {
        return bp_string(c, v, "board", &p->name);
    }
    if (strcmp(key, "debug") == 0) {
        static const char *const keys[] = { "gdbserver", "address", "openocd", "config", "stlink_serial",
                                            "chip_id", "flash_ops", "connect_ms", NULL };
        p->debug.src_line = bp_line(v);
        return bp_mapping(c, v, "debug", keys, debug_key, p);
    }
    if (strcmp(key, "power") == 0) {
        return bp_power(c, v, &p->power);
    }
    if (strcmp(key, "nrst") == 0) {
        p->has_nrst = true;
        return bp_gpio(c, v, "nrst", &p->nrst, false);
    }
    if (strcmp(key, "boot0") == 0) {
        p->has_boot0 = true;
        return bp_gpio(c, v, "boot0", &p->boot0, true);
    }
    if (strcmp(key, "console") == 0) {
        return bp_tty(c, v, p, &p->console, "console", false);
    }
    if (strcmp(key, "link") == 0) {
        return bp_tty(c, v, p, &p->link, "link", true);
    }
    return bp_u32(c, v, "cut_delay_us", 10000000, &p->cut_delay_us);
}

static int bp_defaults(struct bctx *c, struct hil_board_profile *p)
{
    p->debug.chip_id = HIL_BOARD_CHIP_ID_F40X;
    p->debug.connect_ms = 10000;
    p->power.off_ms = 500;
    p->power.settle_ms = 100;
    p->console.baud = 115200;
    p->link.baud = 115200;
    p->spi_hz = 1000000;
    p->file = bp_strdup(c, c->file);
    return c->rc;
}

static int bp_finish(struct bctx *c, yaml_node_t *root, struct hil_board_profile *p)
{
    if (p->name == NULL) {
        return bp_fail(c, bp_line(root), "missing 'board' (the rig's name)");
    }
    if (p->console.path == NULL) {
        return bp_fail(c, bp_line(root), "missing 'console' (e.g. console: {tty: /dev/ttyUSB0})");
    }
    if (p->debug.address == NULL) {
        if (p->debug.server == HIL_GDBSERVER_EXTERNAL) {
            return bp_fail(c, p->debug.src_line, "debug: gdbserver external needs address");
        }
        p->debug.address = bp_strdup(c, "localhost:3333");
    }
    if (p->debug.server == HIL_GDBSERVER_OPENOCD) {
        if (p->debug.openocd == NULL) {
            p->debug.openocd = bp_strdup(c, "openocd");
        }
        if (p->debug.nconfig == 0) {
            p->debug.config = calloc(3, sizeof(char *));
            if (p->debug.config == NULL) {
                return c->rc = FOTA_ENOMEM;
            }
            p->debug.config[0] = bp_strdup(c, "interface/stlink.cfg");
            p->debug.config[1] = bp_strdup(c, "target/stm32f4x.cfg");
            p->debug.nconfig = 2;
        }
        if (strncmp(p->debug.address, "unix:", 5) == 0) {
            return bp_fail(c, p->debug.src_line, "debug: openocd serves TCP: address must be HOST:PORT");
        }
    }
    return c->rc;
}

int hil_board_profile_parse(const char *file, const char *buf, size_t len,
                            struct hil_board_profile **out, char *err, size_t errlen)
{
    struct bctx c = { .file = file, .err = err, .errlen = errlen };
    if (errlen > 0) {
        err[0] = '\0';
    }
    *out = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        return FOTA_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "%s:%d: YAML: %s", file, (int)parser.problem_mark.line + 1,
                 parser.problem != NULL ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return FOTA_EINVAL;
    }
    c.doc = &doc;
    struct hil_board_profile *p = calloc(1, sizeof(*p));
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    static const char *const keys[] = { "board", "debug", "power", "nrst", "boot0", "console", "link",
                                        "cut_delay_us", NULL };
    if (p == NULL) {
        c.rc = FOTA_ENOMEM;
    } else if (bp_defaults(&c, p) != 0) {
        /* c.rc set */
    } else if (root == NULL) {
        bp_fail(&c, 1, "empty file (expected a board profile mapping)");
    } else if (bp_mapping(&c, root, "board profile", keys, top_key, p) == 0) {
        bp_finish(&c, root, p);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (c.rc != 0) {
        hil_board_profile_free(p);
        return c.rc;
    }
    *out = p;
    return 0;
}

int hil_board_profile_load(const char *path, struct hil_board_profile **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return FOTA_EIO;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return FOTA_ENOMEM;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return FOTA_EIO;
    }
    int rc = hil_board_profile_parse(path, buf, len, out, err, errlen);
    free(buf);
    return rc;
}

static void free_gpio(struct hil_gpio_spec *g)
{
    free(g->chip);
}

void hil_board_profile_free(struct hil_board_profile *p)
{
    if (p == NULL) {
        return;
    }
    free(p->file);
    free(p->name);
    free(p->debug.address);
    free(p->debug.openocd);
    for (int i = 0; i < p->debug.nconfig; i++) {
        free(p->debug.config[i]);
    }
    free(p->debug.config);
    free(p->debug.stlink_serial);
    free_gpio(&p->power.gpio);
    free(p->power.hub);
    free(p->power.on_cmd);
    free(p->power.off_cmd);
    free_gpio(&p->nrst);
    free_gpio(&p->boot0);
    free(p->console.path);
    free(p->link.path);
    free(p->spidev);
    free(p);
}

bool hil_board_provides(const struct hil_board_profile *p, const char *cap)
{
    if (strcmp(cap, "power_relay") == 0) {
        return p->power.kind != HIL_POWER_NONE;
    }
    if (strcmp(cap, "nrst") == 0) {
        return p->has_nrst;
    }
    if (strcmp(cap, "boot0") == 0) {
        return p->has_boot0;
    }
    if (strcmp(cap, "uart_link") == 0) {
        return p->link.path != NULL;
    }
    if (strcmp(cap, "spi_link") == 0) {
        return p->spidev != NULL;
    }
    if (strcmp(cap, "console") == 0) {
        return p->console.path != NULL;
    }
    if (strcmp(cap, "register_level") == 0) {
        return true; /* a board runs the port's drivers as they are */
    }
    return false;
}
