/**
 * @file power_usb.c
 * @brief USB hub per-port power (power.h driver "usb_hub") and ST-LINK
 * lookup (usbdev.h), through libusb-1.0.
 *
 * Hub port power: USB 2.0 specification 11.24.2 (Table 11-15 hub class
 * requests, Table 11-17 PORT_POWER = 8): SetPortFeature / ClearPortFeature
 * are class requests to "other" (bmRequestType 0x23), wValue = feature,
 * wIndex = port. The hub descriptor (type 0x29, USB 3 hubs 0x2A) gives
 * bNbrPorts at offset 2. uhubctl does the same; not every hub really cuts
 * VBUS (ganged or missing switches): doctor's power-cycle check shows it.
 *
 * libusb calls used (the test seam): libusb_init, libusb_exit,
 * libusb_get_device_list, libusb_free_device_list, libusb_get_bus_number,
 * libusb_get_port_numbers, libusb_get_device_descriptor, libusb_open,
 * libusb_close, libusb_control_transfer, libusb_get_string_descriptor_ascii,
 * libusb_strerror.
 */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"
#include "target/power.h"
#include "target/usbdev.h"

#define USB_TIMEOUT_MS      1000
#define USB_PORT_FEAT_POWER 8u
#define USB_DT_HUB          0x29u
#define USB_DT_SS_HUB       0x2Au

const unsigned short hil_stlink_pids[] = { 0x3748, 0x374b, 0x374e, 0x374f, 0x3752, 0x3753, 0 };

/* "BUS-P1.P2..." of @p dev. */
static void usb_location(libusb_device *dev, char *buf, size_t len)
{
    uint8_t ports[8];
    int n = libusb_get_port_numbers(dev, ports, (int)sizeof(ports));
    size_t off = (size_t)snprintf(buf, len, "%u", libusb_get_bus_number(dev));
    for (int i = 0; i < n && off < len; i++) {
        off += (size_t)snprintf(buf + off, len - off, "%c%u", i == 0 ? '-' : '.', ports[i]);
    }
}

struct usb_hub {
    libusb_context *ctx;
    libusb_device_handle *h;
    unsigned nports;
};

static void usb_hub_close(struct usb_hub *u)
{
    if (u->h != NULL) {
        libusb_close(u->h);
    }
    if (u->ctx != NULL) {
        libusb_exit(u->ctx);
    }
    u->h = NULL;
    u->ctx = NULL;
}

/* Find and open the hub at @p loc; check @p port exists. */
static int usb_hub_open(const char *loc, unsigned port, struct usb_hub *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof(*u));
    int r = libusb_init(&u->ctx);
    if (r != 0) {
        snprintf(err, errlen, "libusb_init: %s", libusb_strerror(r));
        u->ctx = NULL;
        return FOTA_EIO;
    }
    libusb_device **list = NULL;
    ssize_t n = libusb_get_device_list(u->ctx, &list);
    if (n < 0) {
        snprintf(err, errlen, "libusb_get_device_list: %s", libusb_strerror((int)n));
        usb_hub_close(u);
        return FOTA_EIO;
    }
    int rc = FOTA_ENOENT;
    snprintf(err, errlen, "usb hub at %s not found (lsusb -t shows the bus-port chain)", loc);
    for (ssize_t i = 0; i < n; i++) {
        char here[64];
        usb_location(list[i], here, sizeof(here));
        if (strcmp(here, loc) != 0) {
            continue;
        }
        struct libusb_device_descriptor d;
        if (libusb_get_device_descriptor(list[i], &d) != 0 || d.bDeviceClass != LIBUSB_CLASS_HUB) {
            snprintf(err, errlen, "usb device at %s (%04x:%04x) is not a hub", loc, d.idVendor, d.idProduct);
            rc = FOTA_ENOENT;
            break;
        }
        r = libusb_open(list[i], &u->h);
        if (r != 0) {
            u->h = NULL;
            snprintf(err, errlen, "usb hub at %s: cannot open: %s%s", loc, libusb_strerror(r),
                     r == LIBUSB_ERROR_ACCESS ? " (needs a udev rule giving write access, as for uhubctl)" : "");
            rc = FOTA_EIO;
            break;
        }
        uint8_t desc[16];
        uint16_t type = d.bcdUSB >= 0x0300 ? USB_DT_SS_HUB : USB_DT_HUB;
        r = libusb_control_transfer(u->h, LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_DEVICE,
                                    LIBUSB_REQUEST_GET_DESCRIPTOR, (uint16_t)(type << 8), 0, desc, sizeof(desc),
                                    USB_TIMEOUT_MS);
        if (r < 3) {
            snprintf(err, errlen, "usb hub at %s: cannot read its hub descriptor: %s", loc,
                     r < 0 ? libusb_strerror(r) : "short reply");
            rc = FOTA_EIO;
            break;
        }
        u->nports = desc[2];
        if (port < 1 || port > u->nports) {
            snprintf(err, errlen, "usb hub at %s has %u ports: port %u does not exist", loc, u->nports, port);
            rc = FOTA_ENOENT;
            break;
        }
        rc = 0;
        err[0] = '\0';
        break;
    }
    libusb_free_device_list(list, 1);
    if (rc != 0) {
        usb_hub_close(u);
    }
    return rc;
}

struct power_usb {
    struct hil_power base;
    struct usb_hub hub;
    unsigned port;
    char loc[64];
};

static int power_usb_set(struct hil_power *p, bool on)
{
    struct power_usb *pu = (struct power_usb *)p;
    int r = libusb_control_transfer(pu->hub.h, LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_OTHER,
                                    on ? LIBUSB_REQUEST_SET_FEATURE : LIBUSB_REQUEST_CLEAR_FEATURE,
                                    USB_PORT_FEAT_POWER, (uint16_t)pu->port, NULL, 0, USB_TIMEOUT_MS);
    if (r < 0) {
        snprintf(p->err, sizeof(p->err), "usb hub at %s port %u: %s port power: %s", pu->loc, pu->port,
                 on ? "set" : "clear", libusb_strerror(r));
        return FOTA_EIO;
    }
    return 0;
}

static void power_usb_close(struct hil_power *p)
{
    struct power_usb *pu = (struct power_usb *)p;
    usb_hub_close(&pu->hub);
    free(pu);
}

static const struct hil_power_ops power_usb_ops = {
    .name = "usb_hub", .set = power_usb_set, .close = power_usb_close,
};

int hil_power_usb_open(const struct hil_power_spec *spec, struct hil_power **out, char *err, size_t errlen)
{
    struct power_usb *pu = calloc(1, sizeof(*pu));
    if (pu == NULL) {
        return FOTA_ENOMEM;
    }
    int rc = usb_hub_open(spec->hub, spec->port, &pu->hub, err, errlen);
    if (rc != 0) {
        free(pu);
        return rc;
    }
    pu->port = spec->port;
    snprintf(pu->loc, sizeof(pu->loc), "%s", spec->hub);
    pu->base.ops = &power_usb_ops;
    *out = &pu->base;
    return 0;
}

int hil_power_usb_check(const struct hil_power_spec *spec, char *err, size_t errlen)
{
    struct usb_hub u;
    int rc = usb_hub_open(spec->hub, spec->port, &u, err, errlen);
    if (rc == 0) {
        usb_hub_close(&u);
    }
    return rc;
}

int hil_stlink_find(const char *serial, char *found_serial, size_t fslen, char *err, size_t errlen)
{
    libusb_context *ctx = NULL;
    found_serial[0] = '\0';
    int r = libusb_init(&ctx);
    if (r != 0) {
        snprintf(err, errlen, "libusb_init: %s", libusb_strerror(r));
        return FOTA_EIO;
    }
    libusb_device **list = NULL;
    ssize_t n = libusb_get_device_list(ctx, &list);
    if (n < 0) {
        snprintf(err, errlen, "libusb_get_device_list: %s", libusb_strerror((int)n));
        libusb_exit(ctx);
        return FOTA_EIO;
    }
    int rc = FOTA_ENOENT;
    char seen[256] = "";
    int nseen = 0;
    bool denied = false;
    for (ssize_t i = 0; i < n && rc != 0; i++) {
        struct libusb_device_descriptor d;
        if (libusb_get_device_descriptor(list[i], &d) != 0 || d.idVendor != HIL_STLINK_VID) {
            continue;
        }
        bool is_stlink = false;
        for (int k = 0; hil_stlink_pids[k] != 0; k++) {
            is_stlink = is_stlink || d.idProduct == hil_stlink_pids[k];
        }
        if (!is_stlink) {
            continue;
        }
        nseen++;
        char sn[128] = "";
        libusb_device_handle *h = NULL;
        if (libusb_open(list[i], &h) == 0) {
            if (d.iSerialNumber != 0 &&
                libusb_get_string_descriptor_ascii(h, d.iSerialNumber, (unsigned char *)sn, sizeof(sn)) < 0) {
                sn[0] = '\0';
            }
            libusb_close(h);
        } else {
            denied = true;
        }
        size_t used = strlen(seen);
        char loc[64];
        usb_location(list[i], loc, sizeof(loc));
        snprintf(seen + used, sizeof(seen) - used, "%s%04x:%04x at %s serial %s", used ? ", " : "",
                 d.idVendor, d.idProduct, loc, sn[0] ? sn : "?");
        if (serial == NULL || strcmp(serial, sn) == 0) {
            snprintf(found_serial, fslen, "%s", sn);
            rc = 0;
        }
    }
    libusb_free_device_list(list, 1);
    libusb_exit(ctx);
    if (rc != 0) {
        if (nseen == 0) {
            snprintf(err, errlen, "no ST-LINK on USB (vendor 0483, products 3748/374b/374e/374f/3752/3753)");
        } else {
            snprintf(err, errlen, "no ST-LINK with serial %s; seen: %s%s", serial, seen,
                     denied ? " (some could not be opened: permission; install openocd's udev rules)" : "");
        }
    }
    return rc;
}
