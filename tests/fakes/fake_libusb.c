/**
 * @file fake_libusb.c
 * @brief The fake libusb-1.0 (fake_libusb.h): the subset harness/target/power_usb.c
 * uses, with libusb's signatures and error codes.
 */
#include "fake_libusb.h"

#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_USB_MAX 8

struct libusb_device {
    int used;
    uint8_t bus;
    uint8_t ports[7];
    int nports_chain;
    struct libusb_device_descriptor d;
    char serial[64];
    unsigned int hub_ports;
    int power[16];
    int deny;
    unsigned int transfers;
};

struct libusb_device_handle {
    struct libusb_device *dev;
};

struct libusb_context {
    int dummy;
};

static struct libusb_device fake_devs[FAKE_USB_MAX];
static int fake_ctx_open;

void fake_usb_reset(void)
{
    memset(fake_devs, 0, sizeof(fake_devs));
    fake_ctx_open = 0;
}

int fake_usb_add(uint8_t bus, const char *port_chain, uint16_t vid, uint16_t pid, const char *serial,
                 unsigned int hub_ports)
{
    for (int i = 0; i < FAKE_USB_MAX; i++) {
        struct libusb_device *d = &fake_devs[i];
        if (d->used) {
            continue;
        }
        d->used = 1;
        d->bus = bus;
        for (const char *p = port_chain; *p != '\0' && d->nports_chain < 7;) {
            d->ports[d->nports_chain++] = (uint8_t)strtoul(p, (char **)&p, 10);
            if (*p == '.') {
                p++;
            }
        }
        d->d.bLength = sizeof(d->d);
        d->d.bcdUSB = 0x0200;
        d->d.idVendor = vid;
        d->d.idProduct = pid;
        d->d.bDeviceClass = hub_ports > 0 ? LIBUSB_CLASS_HUB : 0;
        d->d.iSerialNumber = serial != NULL ? 3 : 0;
        snprintf(d->serial, sizeof(d->serial), "%s", serial != NULL ? serial : "");
        d->hub_ports = hub_ports;
        for (int k = 0; k < 16; k++) {
            d->power[k] = -1;
        }
        return i;
    }
    return -1;
}

void fake_usb_deny_open(int idx)
{
    fake_devs[idx].deny = 1;
}

int fake_usb_port_power(int idx, unsigned int port)
{
    return port < 16 ? fake_devs[idx].power[port] : -1;
}

unsigned int fake_usb_transfers(int idx)
{
    return fake_devs[idx].transfers;
}

int fake_usb_open_contexts(void)
{
    return fake_ctx_open;
}

/* ---- libusb-1.0 API ---- */

int LIBUSB_CALL libusb_init(libusb_context **ctx)
{
    *ctx = calloc(1, sizeof(**ctx));
    if (*ctx == NULL) {
        return LIBUSB_ERROR_NO_MEM;
    }
    fake_ctx_open++;
    return 0;
}

void LIBUSB_CALL libusb_exit(libusb_context *ctx)
{
    free(ctx);
    fake_ctx_open--;
}

const char *LIBUSB_CALL libusb_strerror(int errcode)
{
    switch (errcode) {
    case LIBUSB_ERROR_ACCESS: return "Access denied (insufficient permissions)";
    case LIBUSB_ERROR_PIPE: return "Pipe error";
    default: return "Other error";
    }
}

ssize_t LIBUSB_CALL libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
    (void)ctx;
    libusb_device **l = calloc(FAKE_USB_MAX + 1, sizeof(*l));
    ssize_t n = 0;
    for (int i = 0; i < FAKE_USB_MAX; i++) {
        if (fake_devs[i].used) {
            l[n++] = &fake_devs[i];
        }
    }
    *list = l;
    return n;
}

void LIBUSB_CALL libusb_free_device_list(libusb_device **list, int unref_devices)
{
    (void)unref_devices;
    free(list);
}

uint8_t LIBUSB_CALL libusb_get_bus_number(libusb_device *dev)
{
    return dev->bus;
}

int LIBUSB_CALL libusb_get_port_numbers(libusb_device *dev, uint8_t *port_numbers, int port_numbers_len)
{
    if (dev->nports_chain > port_numbers_len) {
        return LIBUSB_ERROR_OVERFLOW;
    }
    memcpy(port_numbers, dev->ports, (size_t)dev->nports_chain);
    return dev->nports_chain;
}

int LIBUSB_CALL libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
    *desc = dev->d;
    return 0;
}

int LIBUSB_CALL libusb_open(libusb_device *dev, libusb_device_handle **dev_handle)
{
    if (dev->deny) {
        return LIBUSB_ERROR_ACCESS;
    }
    *dev_handle = calloc(1, sizeof(**dev_handle));
    (*dev_handle)->dev = dev;
    return 0;
}

void LIBUSB_CALL libusb_close(libusb_device_handle *dev_handle)
{
    free(dev_handle);
}

int LIBUSB_CALL libusb_control_transfer(libusb_device_handle *dev_handle, uint8_t request_type, uint8_t bRequest,
                                        uint16_t wValue, uint16_t wIndex, unsigned char *data, uint16_t wLength,
                                        unsigned int timeout)
{
    (void)timeout;
    struct libusb_device *d = dev_handle->dev;
    d->transfers++;
    if (d->hub_ports == 0) {
        return LIBUSB_ERROR_PIPE;
    }
    if (request_type == 0xA0 && bRequest == LIBUSB_REQUEST_GET_DESCRIPTOR && wValue == 0x2900) {
        unsigned char hd[9] = { 9, 0x29, (unsigned char)d->hub_ports, 0, 0, 50, 0, 0, 0xFF };
        uint16_t n = wLength < sizeof(hd) ? wLength : (uint16_t)sizeof(hd);
        memcpy(data, hd, n);
        return n;
    }
    if (request_type == 0x23 && wValue == 8 && wIndex >= 1 && wIndex <= d->hub_ports && wLength == 0 &&
        (bRequest == LIBUSB_REQUEST_SET_FEATURE || bRequest == LIBUSB_REQUEST_CLEAR_FEATURE)) {
        d->power[wIndex] = bRequest == LIBUSB_REQUEST_SET_FEATURE;
        return 0;
    }
    return LIBUSB_ERROR_PIPE;
}

int LIBUSB_CALL libusb_get_string_descriptor_ascii(libusb_device_handle *dev_handle, uint8_t desc_index,
                                                   unsigned char *data, int length)
{
    struct libusb_device *d = dev_handle->dev;
    if (desc_index != 3 || length <= 0) {
        return LIBUSB_ERROR_PIPE;
    }
    snprintf((char *)data, (size_t)length, "%s", d->serial);
    return (int)strlen((char *)data);
}
