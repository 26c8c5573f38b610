/**
 * @file usbdev.h
 * @brief USB devices of the rig through libusb-1.0: a hub found by its
 * location (bus and port chain, "1-1.4" as uhubctl -l and sysfs name it)
 * for per-port power, and ST-LINK probes found by VID:PID and serial.
 *
 * The seam for tests is the library itself: only the libusb_* calls
 * listed in usbdev.c are used, and tests link tests/fakes/fake_libusb.c
 * in place of -lusb-1.0.
 */
#ifndef HIL_USBDEV_H
#define HIL_USBDEV_H

#include <stdbool.h>
#include <stddef.h>

/** ST's vendor id and the ST-LINK/V2, V2-1 and V3 product ids (openocd interface/stlink.cfg). */
#define HIL_STLINK_VID 0x0483u
extern const unsigned short hil_stlink_pids[];

/**
 * Find an ST-LINK; with @p serial, the one whose iSerialNumber matches.
 * @param found_serial  receives the serial of the one found ("" if unreadable)
 * @return 0; FOTA_ENOENT (none, or none with that serial: @p err lists what
 *         was seen); FOTA_EIO (libusb failed; permission to read serials).
 */
int hil_stlink_find(const char *serial, char *found_serial, size_t fslen, char *err, size_t errlen);

#endif /* HIL_USBDEV_H */
