/**
 * @file standin_rig.c
 * @brief Turns a test build of fota-hil ($(BUILD)/tests/board/fota-hil-standin,
 * linked with the fake libgpiod and libusb instead of -lgpiod/-lusb-1.0)
 * into a process with a whole stand-in rig attached, so `doctor`, `dump`
 * and `run --board` run unchanged against it (tests/board/standin-run-test.sh).
 *
 * With FOTA_HIL_STANDIN=DIR in the environment, before main():
 *  - fake gpio chip `gpiochip9` (label `standin`): line 3 is the power
 *    relay (active high), line 4 NRST (active low), both wired to the
 *    stand-in board (tests/fakes/standin_board.c: QEMU from DIR/chip.img);
 *  - DIR/console and DIR/link: symlinks to the stand-in's pty slaves (the
 *    profile names these, as a real one names /dev/serial/by-id/ links);
 *  - fake USB bus: one ST-LINK/V2 (0483:3748), serial STANDIN01;
 *  - FAKE_OPENOCD_TARGET=DIR/gdb.sock for the fake `openocd` on PATH;
 *  - DIR/chip.img: an erased 1 MB flash if the test did not write one.
 *
 * fota-hil runs each scenario in a forked worker: the relay thread is
 * stopped around every fork (pthread_atfork) and restarted in the parent;
 * a worker starts its own at power-on. Without the variable, the binary is
 * plain fota-hil with no gpio chip and no USB devices.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fakes/fake_gpiod.h"
#include "../fakes/fake_libusb.h"
#include "../fakes/standin_board.h"

#define RIG_CHIP "gpiochip9"
#define RIG_POWER_LINE 3
#define RIG_NRST_LINE 4

static struct standin rig;
static bool rig_up;
static bool rig_relay_was_running;

static void rig_prepare(void)
{
    rig_relay_was_running = rig.relay_running;
    standin_relay_stop(&rig);
}

/* Only a process whose chip is powered needs the relay: fota-hil's main
 * process must leave the ptys to the worker it just forked. */
static void rig_parent(void)
{
    if (rig_relay_was_running && rig.qemu > 0) {
        (void)standin_relay_start(&rig);
    }
}

static void rig_child(void)
{
    rig.relay_running = false; /* threads do not survive fork; power-on starts one */
}

static void rig_fini(void)
{
    if (rig_up) {
        rig_up = false;
        standin_stop(&rig);
    }
}

static int rig_link(const char *dir, const char *name, const char *target)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    return symlink(target, path);
}

__attribute__((constructor)) static void rig_init(void)
{
    const char *dir = getenv("FOTA_HIL_STANDIN");
    if (dir == NULL) {
        return;
    }
    char path[256];
    snprintf(path, sizeof(path), "%s/chip.img", dir);
    if (access(path, R_OK) != 0) {
        FILE *f = fopen(path, "wb");
        for (int i = 0; f != NULL && i < 1024 * 1024; i++) {
            fputc(0xFF, f);
        }
        if (f != NULL) {
            fclose(f);
        }
    }
    fake_gpiod_reset();
    fake_gpiod_add_chip(RIG_CHIP, "standin", 16);
    fake_usb_reset();
    fake_usb_add(1, "1.2", 0x0483, 0x3748, "STANDIN01", 0);
    if (standin_start(&rig, dir, RIG_CHIP, RIG_POWER_LINE, RIG_NRST_LINE) != 0 ||
        rig_link(dir, "console", rig.con_tty) != 0 || rig_link(dir, "link", rig.link_tty) != 0) {
        fprintf(stderr, "standin-rig: cannot set up the stand-in rig in %s\n", dir);
        exit(2);
    }
    rig_up = true;
    fake_gpiod_on_change(standin_gpio_cb, &rig);
    snprintf(path, sizeof(path), "%s/gdb.sock", dir);
    setenv("FAKE_OPENOCD_TARGET", path, 0);
    pthread_atfork(rig_prepare, rig_parent, rig_child);
    atexit(rig_fini);
}
