/**
 * @file fake_libusb.h
 * @brief A fake USB bus at the libusb-1.0 boundary: tests link
 * fake_libusb.c instead of -lusb-1.0. Devices have a bus, a port chain,
 * a device descriptor and a serial; hubs answer GET_DESCRIPTOR(hub) and
 * Set/ClearPortFeature(PORT_POWER) and remember each port's power.
 */
#ifndef FAKE_LIBUSB_H
#define FAKE_LIBUSB_H

#include <stdint.h>

void fake_usb_reset(void);
/** Add a device; @p hub_ports > 0 makes it a hub. @return its index. */
int fake_usb_add(uint8_t bus, const char *port_chain, uint16_t vid, uint16_t pid, const char *serial,
                 unsigned int hub_ports);
/** libusb_open fails with LIBUSB_ERROR_ACCESS for device @p idx. */
void fake_usb_deny_open(int idx);
/** @return port power of hub @p idx: 1 on, 0 off, -1 never switched. */
int fake_usb_port_power(int idx, unsigned int port);
/** @return number of control transfers sent to device @p idx. */
unsigned int fake_usb_transfers(int idx);
/** @return libusb contexts still open (init without exit). */
int fake_usb_open_contexts(void);

#endif /* FAKE_LIBUSB_H */
