/**
 * @file doctor.c
 * @brief `fota-hil doctor` (is every resource of a rig there and usable?)
 * and `fota-hil dump` (save a board's flash for a reproducible QEMU run
 * with `run --flash-image`). See board_cli.h, docs/BOARDS.md.
 */
#include "cli/board_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "target/board_profile.h"
#include "target/flashmodel.h"
#include "fota/errors.h"
#include "fota/layout.h"
#include "target/gpio.h"
#include "target/power.h"
#include "target/target_board.h"
#include "target/usbdev.h"

#define DBGMCU_IDCODE 0xE0042000u /* RM0090 38.6.1; DEV_ID = bits 11:0 */

struct doc {
    int failed;
};

static void doc_ok(const char *what)
{
    printf("ok    %s\n", what);
}

static void doc_fail(struct doc *d, const char *what, const char *why)
{
    printf("FAIL  %s: %s\n", what, why);
    d->failed++;
}

static void doc_skip(const char *what, const char *why)
{
    printf("skip  %s: %s\n", what, why);
}

/* A device node: exists, is a character device, read/write permitted, opens. */
static bool doc_node(struct doc *d, const char *what, const char *path, bool tty)
{
    char w[256], why[512];
    snprintf(w, sizeof(w), "%s %s", what, path);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, sizeof(why), "%s (not plugged in, or a different name: ls /dev/serial/by-id/)", strerror(errno));
        doc_fail(d, w, why);
        return false;
    }
    if (!S_ISCHR(st.st_mode)) {
        doc_fail(d, w, "not a character device");
        return false;
    }
    if (access(path, R_OK | W_OK) != 0) {
        snprintf(why, sizeof(why), "no read/write permission (add the user to group %s)", tty ? "dialout" : "spi");
        doc_fail(d, w, why);
        return false;
    }
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, sizeof(why), "cannot open: %s", strerror(errno));
        doc_fail(d, w, why);
        return false;
    }
    struct termios tio;
    bool ok = !tty || tcgetattr(fd, &tio) == 0;
    close(fd);
    if (!ok) {
        doc_fail(d, w, "not a tty");
        return false;
    }
    doc_ok(w);
    return true;
}

static bool doc_gpio(struct doc *d, const char *what, const struct hil_gpio_spec *g)
{
    char w[256], why[512];
    snprintf(w, sizeof(w), "%s gpio %s line %u (active %s)", what, g->chip, g->line, g->active_high ? "high" : "low");
    if (hil_gpio_check(g, why, sizeof(why)) != 0) {
        doc_fail(d, w, why);
        return false;
    }
    doc_ok(w);
    return true;
}

static bool doc_in_path(const char *prog)
{
    if (strchr(prog, '/') != NULL) {
        return access(prog, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p != '\0';) {
        size_t n = strcspn(p, ":");
        char full[1024];
        snprintf(full, sizeof(full), "%.*s/%s", (int)n, p, prog);
        if (access(full, X_OK) == 0) {
            return true;
        }
        p += n + (p[n] == ':');
    }
    return false;
}

struct doc_con {
    int lines;
    char first[160];
};

static void doc_line(void *ctx, const char *line)
{
    struct doc_con *c = ctx;
    if (c->lines++ == 0) {
        snprintf(c->first, sizeof(c->first), "%s", line);
    }
}

/* build/work/<cmd>/ (openocd.log goes there, as for a run's workdir). */
static const char *doc_workdir(const char *cmd, char *out, size_t len)
{
    snprintf(out, len, "build/work/%s", cmd);
    (void)mkdir("build", 0755);
    (void)mkdir("build/work", 0755);
    (void)mkdir(out, 0755);
    return out;
}

static const char doctor_usage[] =
    "usage: fota-hil doctor --board RIG.yaml [--bootloader-elf P] [--timeout-ms N]\n"
    "\n"
    "Checks every resource a real-board rig profile names (docs/BOARDS.md), one line\n"
    "each (ok / FAIL with the reason / skip): the profile, console and link ttys, NRST\n"
    "and BOOT0 GPIO lines, the power driver, openocd and the ST-LINK; then, if all are\n"
    "there, reads the chip id over the debug link and power-cycles the board until a\n"
    "console line arrives.\n"
    "\n"
    "  --board RIG.yaml        the rig profile (required)\n"
    "  --bootloader-elf P      bootloader ELF for symbols (default build/fw/bootloader.elf)\n"
    "  --timeout-ms N          wait for the first console line after power-on (default 5000)\n"
    "  -h, --help              this text\n"
    "\n"
    "Exit status: 0 every check passed, 1 a check failed, 2 bad profile or usage.\n";

static const char dump_usage[] =
    "usage: fota-hil dump --board RIG.yaml OUT.bin\n"
    "\n"
    "Reads the whole 1 MB flash of the board the rig profile describes over its debug\n"
    "link and saves it to OUT.bin, for a reproducible QEMU run with\n"
    "`fota-hil run --flash-image OUT.bin` (docs/BOARDS.md).\n"
    "\n"
    "  --board RIG.yaml        the rig profile (required)\n"
    "  --bootloader-elf P      bootloader ELF for symbols (default build/fw/bootloader.elf)\n"
    "  -h, --help              this text\n"
    "\n"
    "Exit status: 0 saved, 1 the board could not be read or OUT.bin written, 2 bad\n"
    "profile or usage.\n";

/* Options of `doctor` (@p out NULL) or `dump` (@p out: the output file).
 * @return -1 to go on; else the exit status (0 after --help, 2 usage error). */
static int doc_parse(int argc, char **argv, const char *cmd, const char **board, const char **elf, int *timeout_ms,
                     const char **out)
{
    static const struct option lo[] = {
        { "board", required_argument, NULL, 'b' },
        { "bootloader-elf", required_argument, NULL, 'e' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *usage = out != NULL ? dump_usage : doctor_usage;
    optind = 2;
    int opt;
    while ((opt = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
        switch (opt) {
        case 'b': *board = optarg; break;
        case 'e': *elf = optarg; break;
        case 't':
            if (out != NULL) {
                fputs(usage, stderr);
                return 2;
            }
            *timeout_ms = atoi(optarg);
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (*board == NULL) {
        fprintf(stderr, "fota-hil %s: needs --board RIG.yaml (fota-hil %s --help)\n", cmd, cmd);
        return 2;
    }
    if (optind != argc - (out != NULL ? 1 : 0)) {
        fputs(usage, stderr);
        return 2;
    }
    if (out != NULL) {
        *out = argv[optind];
    }
    return -1;
}

/* The update link, NRST and BOOT0 lines. @return all present and usable. */
static bool doc_wiring(struct doc *d, const struct hil_board_profile *p)
{
    bool wired = doc_node(d, "console", p->console.path, true);
    if (p->link.path != NULL) {
        wired = doc_node(d, "link", p->link.path, true) && wired;
    } else if (p->spidev != NULL) {
        wired = doc_node(d, "link spidev", p->spidev, false) && wired;
        doc_fail(d, "link spidev", "the update link over SPI is not served yet: wire USART1 to a tty");
        wired = false;
    } else {
        doc_skip("link", "no update link in the profile: update steps cannot run");
    }
    if (p->has_nrst) {
        wired = doc_gpio(d, "nrst", &p->nrst) && wired;
    }
    if (p->has_boot0) {
        wired = doc_gpio(d, "boot0", &p->boot0) && wired;
    }
    return wired;
}

/* The power driver. @return the board can be power-cycled. */
static bool doc_power(struct doc *d, const struct hil_board_profile *p)
{
    char w[64], err[1024];
    switch (p->power.kind) {
    case HIL_POWER_GPIO:
        return doc_gpio(d, "power relay", &p->power.gpio);
    case HIL_POWER_USB_HUB:
    case HIL_POWER_COMMAND:
        snprintf(w, sizeof(w), "power %s", p->power.kind == HIL_POWER_USB_HUB ? "usb hub" : "command");
        if (hil_power_check(&p->power, err, sizeof(err)) != 0) {
            doc_fail(d, w, err);
            return false;
        }
        doc_ok(w);
        return true;
    case HIL_POWER_NONE:
        doc_skip("power", "driver none: scenarios that require power_relay are skipped");
        return false;
    }
    return false;
}

/* openocd and the ST-LINK, when the profile uses them. @return both there. */
static bool doc_debug(struct doc *d, const struct hil_board_profile *p)
{
    if (p->debug.server != HIL_GDBSERVER_OPENOCD) {
        return true;
    }
    bool ok = true;
    char w[256], err[1024], sn[128];
    snprintf(w, sizeof(w), "openocd executable '%s'", p->debug.openocd);
    if (!doc_in_path(p->debug.openocd)) {
        doc_fail(d, w, "not found (apt-get install openocd)");
        ok = false;
    } else {
        doc_ok(w);
    }
    snprintf(w, sizeof(w), "ST-LINK%s%s", p->debug.stlink_serial ? " serial " : "",
             p->debug.stlink_serial ? p->debug.stlink_serial : "");
    if (hil_stlink_find(p->debug.stlink_serial, sn, sizeof(sn), err, sizeof(err)) != 0) {
        doc_fail(d, w, err);
        ok = false;
    } else {
        doc_ok(w);
    }
    return ok;
}

/* DBGMCU_IDCODE over the debug link, checked against the profile's chip id. */
static void doc_chip_id(struct doc *d, const struct hil_board_profile *p, struct hil_target *t)
{
    char w[256], err[256];
    uint32_t id = 0;
    int rc = hil_board_read(t, DBGMCU_IDCODE, &id, sizeof(id));
    snprintf(w, sizeof(w), "chip id over %s", p->debug.address);
    if (rc != 0) {
        doc_fail(d, w, hil_board_error(t));
    } else if (p->debug.chip_id != HIL_BOARD_CHIP_ID_ANY && (id & 0xFFFu) != p->debug.chip_id) {
        snprintf(err, sizeof(err), "DEV_ID 0x%03x, expected 0x%03x (STM32F405/407 is 0x413)", id & 0xFFFu,
                 p->debug.chip_id);
        doc_fail(d, w, err);
    } else {
        snprintf(w, sizeof(w), "chip id over %s: DEV_ID 0x%03x", p->debug.address, id & 0xFFFu);
        doc_ok(w);
    }
}

/* Power on and wait (at most @p timeout_ms) for a console line; power off. */
static void doc_power_cycle(struct doc *d, const struct hil_board_profile *p, struct hil_target *t,
                            struct doc_con *con, int timeout_ms)
{
    const char *what = "power cycle seen on the console";
    if (t->ops->power_on(t) != 0) {
        doc_fail(d, what, hil_board_error(t));
        return;
    }
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long ms = 0;
    while (con->lines == 0 && t->powered && ms < timeout_ms) {
        struct pollfd fds[8];
        int to = 50;
        int n = t->ops->poll_fds(t, fds, 8, &to);
        poll(fds, (nfds_t)n, to);
        t->ops->service(t, fds, n);
        clock_gettime(CLOCK_MONOTONIC, &now);
        ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
    }
    (void)t->ops->power_off(t);
    char msg[512];
    if (con->lines == 0) {
        snprintf(msg, sizeof(msg), "no console line within %d ms after power-on (check TX->RX wiring, "
                 "baud %u, and that the relay really switches)", timeout_ms, p->console.baud);
        doc_fail(d, what, msg);
    } else {
        snprintf(msg, sizeof(msg), "%s: \"%s\"", what, con->first);
        doc_ok(msg);
    }
}

/* The checks that need the board: chip id, then a power cycle if it can be cycled. */
static void doc_live(struct doc *d, const struct hil_board_profile *p, const char *elf, bool can_power,
                     int timeout_ms)
{
    struct hil_flash *flash = calloc(1, sizeof(*flash));
    struct doc_con con = { 0 };
    struct hil_target_hooks hooks = { .ctx = &con, .on_console_line = doc_line };
    char wd[64];
    struct hil_board_opts o = {
        .profile = p, .bootloader_elf = elf, .workdir = doc_workdir("doctor", wd, sizeof(wd)),
    };
    struct hil_target *t = NULL;
    int rc = flash != NULL ? hil_board_create(&o, flash, &hooks, &t) : FOTA_ENOMEM;
    if (rc != 0) {
        doc_fail(d, "board backend", fota_strerror(rc));
    } else {
        doc_chip_id(d, p, t);
        if (can_power) {
            doc_power_cycle(d, p, t, &con, timeout_ms);
        }
        t->ops->destroy(t);
    }
    free(flash);
}

/* Load the rig profile; its error on stderr (and as a FAIL line when @p as_check). @return NULL on error. */
static struct hil_board_profile *doc_profile(const char *board, bool as_check)
{
    char err[1024];
    struct hil_board_profile *p = NULL;
    if (hil_board_profile_load(board, &p, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        if (as_check) {
            printf("FAIL  profile %s: %s\n", board, err);
        }
        return NULL;
    }
    return p;
}

int hil_doctor_main(int argc, char **argv)
{
    const char *board = NULL, *elf = NULL;
    int timeout_ms = 5000;
    int code = doc_parse(argc, argv, "doctor", &board, &elf, &timeout_ms, NULL);
    if (code >= 0) {
        return code;
    }
    struct hil_board_profile *p = doc_profile(board, true);
    if (p == NULL) {
        return 2;
    }
    struct doc d = { 0 };
    char w[512];
    snprintf(w, sizeof(w), "profile %s (board %s)", board, p->name);
    doc_ok(w);
    bool wired = doc_wiring(&d, p);
    bool can_power = doc_power(&d, p);
    wired = wired && (can_power || p->power.kind == HIL_POWER_NONE);
    wired = doc_debug(&d, p) && wired;
    if (!wired) {
        doc_skip("chip id", "needs the resources above");
        doc_skip("power cycle seen on the console", "needs the resources above");
    } else {
        doc_live(&d, p, elf, can_power, timeout_ms);
    }
    printf("%s\n", d.failed == 0 ? "doctor: all checks passed" : "doctor: some checks failed");
    hil_board_profile_free(p);
    return d.failed == 0 ? 0 : 1;
}

int hil_dump_main(int argc, char **argv)
{
    const char *board = NULL, *elf = NULL, *out = NULL;
    int timeout_ms = 0;
    int code = doc_parse(argc, argv, "dump", &board, &elf, &timeout_ms, &out);
    if (code >= 0) {
        return code;
    }
    struct hil_board_profile *p = doc_profile(board, false);
    if (p == NULL) {
        return 2;
    }
    struct hil_flash *flash = calloc(1, sizeof(*flash));
    char wd[64];
    struct hil_board_opts o = { .profile = p, .bootloader_elf = elf, .workdir = doc_workdir("dump", wd, sizeof(wd)) };
    struct hil_target *t = NULL;
    int rc = flash != NULL ? hil_board_create(&o, flash, NULL, &t) : FOTA_ENOMEM;
    if (rc == 0) {
        rc = hil_board_read(t, LAYOUT_FLASH_BASE, flash->mem, LAYOUT_FLASH_SIZE);
        if (rc != 0) {
            fprintf(stderr, "fota-hil dump: %s\n", hil_board_error(t));
        }
        t->ops->destroy(t);
    }
    if (rc == 0 && hil_flash_save(flash, out) != 0) {
        fprintf(stderr, "fota-hil dump: cannot write %s: %s\n", out, strerror(errno));
        rc = FOTA_EIO;
    }
    if (rc == 0) {
        printf("saved %u bytes of flash from board %s to %s\n", (unsigned)LAYOUT_FLASH_SIZE, p->name, out);
    }
    free(flash);
    hil_board_profile_free(p);
    return rc == 0 ? 0 : 1;
}
