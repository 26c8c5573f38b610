/**
 * @file i2c_link.h
 * @brief The emulated I2C bus between the updater (I2C master, `i2c-emu:`
 * in host/lib/link_i2c.c) and a slave model (the AN4221 ROM,
 * rom_an4221.h), as spi_link.h is for SPI.
 *
 * i2c-emu wire format, on the updater's socketpair (docs/I2C_ROM.md):
 *   request  'W' addr len_lo len_hi DATA[len]   START, addr+W, len bytes, STOP
 *            'R' addr len_lo len_hi             START, addr+R, len bytes, STOP
 *            addr: the 7-bit address (0..0x7F); len 0..HIL_I2C_MAX_LEN (a
 *            write of 0 bytes probes the address; a read needs 1 or more)
 *   answer   'a' status n_lo n_hi DATA[n if a read with status 0]
 *            status (enum hil_i2c_status): 0 every byte ACKed (read: n = len
 *            bytes follow), 1 address NACKed (n = 0), 2 a data byte NACKed
 *            by the slave (write: n = bytes ACKed before it), 3 malformed
 *            request (unknown type, address > 0x7F, length out of range:
 *            every byte buffered is dropped so the stream starts over)
 * The master ACKs every byte it reads but the last (I2C); that needs no
 * wire. The bus answers every request, in order.
 */
#ifndef HIL_I2C_LINK_H
#define HIL_I2C_LINK_H

#include <stddef.h>
#include <stdint.h>
#include "link/proxy.h"
#include "link/rom_an4221.h"

#define HIL_I2C_MAX_LEN 1024u   /**< longest transaction a request may carry */
#define HIL_I2C_HDR 4u

/** A slave on the bus: its address and its two transaction handlers. */
struct hil_i2c_slave {
    void *ctx;
    uint8_t addr;             /**< 7-bit */
    /** A write transaction (see hil_rom_i2c_write for the contract). */
    enum hil_i2c_status (*write)(void *ctx, const uint8_t *b, size_t n, size_t *acked);
    /** A read transaction of @p n >= 1 bytes (see hil_rom_i2c_read). */
    enum hil_i2c_status (*read)(void *ctx, uint8_t *b, size_t n);
};

/** The bus: a partial request and counters. */
struct hil_i2c {
    uint8_t req[HIL_I2C_HDR + HIL_I2C_MAX_LEN];
    size_t have;              /**< bytes of the current request buffered */
    uint32_t writes, reads;   /**< transactions */
    uint32_t addr_nacks;      /**< transactions whose address nobody ACKed */
    uint32_t bad;             /**< malformed requests */
};

/** An idle bus. */
void hil_i2c_init(struct hil_i2c *bus);

/**
 * Bytes from the master: every complete request is carried out on
 * @p slave (NULL: nobody on the bus, every address NACKed; a slave with
 * another address NACKs too) and answered into @p out. A partial request
 * waits for its rest.
 */
void hil_i2c_from_master(struct hil_i2c *bus, const struct hil_i2c_slave *slave, const uint8_t *in, size_t n,
                         struct hil_buf *out);

#endif /* HIL_I2C_LINK_H */
