/**
 * @file i2c_link.c
 * @brief The emulated I2C bus: i2c-emu requests in, transactions on the
 * slave, answers out (i2c_link.h).
 */
#include "link/i2c_link.h"

#include <string.h>

void hil_i2c_init(struct hil_i2c *bus)
{
    memset(bus, 0, sizeof(*bus));
}

static void i2c_answer(struct hil_buf *out, enum hil_i2c_status st, size_t n, const uint8_t *data)
{
    uint8_t h[HIL_I2C_HDR] = { 'a', (uint8_t)st, (uint8_t)n, (uint8_t)(n >> 8) };
    hil_buf_append(out, h, sizeof(h));
    if (data != NULL && n > 0) {
        hil_buf_append(out, data, n);
    }
}

/* The header in bus->req is complete: @return the request's total length,
 * 0 if it is malformed. */
static size_t i2c_request_len(const struct hil_i2c *bus)
{
    const uint8_t *q = bus->req;
    size_t len = (size_t)q[2] | (size_t)q[3] << 8;
    if ((q[0] != 'W' && q[0] != 'R') || q[1] > 0x7Fu || len > HIL_I2C_MAX_LEN || (q[0] == 'R' && len == 0)) {
        return 0;
    }
    return HIL_I2C_HDR + (q[0] == 'W' ? len : 0u);
}

/* Carry out the complete request in bus->req. */
static void i2c_transaction(struct hil_i2c *bus, const struct hil_i2c_slave *slave, struct hil_buf *out)
{
    const uint8_t *q = bus->req;
    size_t len = (size_t)q[2] | (size_t)q[3] << 8;
    bool here = slave != NULL && slave->addr == q[1];
    if (q[0] == 'W') {
        size_t acked = 0;
        enum hil_i2c_status st = here ? slave->write(slave->ctx, q + HIL_I2C_HDR, len, &acked) : HIL_I2C_ADDR_NACK;
        bus->writes++;
        bus->addr_nacks += st == HIL_I2C_ADDR_NACK;
        i2c_answer(out, st, st == HIL_I2C_ADDR_NACK ? 0 : acked, NULL);
        return;
    }
    uint8_t data[HIL_I2C_MAX_LEN];
    enum hil_i2c_status st = here ? slave->read(slave->ctx, data, len) : HIL_I2C_ADDR_NACK;
    bus->reads++;
    bus->addr_nacks += st == HIL_I2C_ADDR_NACK;
    i2c_answer(out, st, st == HIL_I2C_OK ? len : 0, data);
}

void hil_i2c_from_master(struct hil_i2c *bus, const struct hil_i2c_slave *slave, const uint8_t *in, size_t n,
                         struct hil_buf *out)
{
    size_t i = 0;
    while (i < n) {
        size_t want = HIL_I2C_HDR;
        if (bus->have >= HIL_I2C_HDR) {
            want = i2c_request_len(bus);
        }
        if (want == 0) {
            bus->bad++;
            bus->have = 0;
            i2c_answer(out, HIL_I2C_BAD_REQUEST, 0, NULL);
            return; /* drop the rest of this chunk too: the stream starts over */
        }
        size_t take = want - bus->have < n - i ? want - bus->have : n - i;
        memcpy(bus->req + bus->have, in + i, take);
        bus->have += take;
        i += take;
        if (bus->have == HIL_I2C_HDR && i2c_request_len(bus) == 0) {
            continue; /* answered as malformed on the next round */
        }
        if (bus->have >= HIL_I2C_HDR && bus->have == i2c_request_len(bus)) {
            i2c_transaction(bus, slave, out);
            bus->have = 0;
        }
    }
    if (bus->have >= HIL_I2C_HDR && i2c_request_len(bus) == 0) {
        bus->bad++;
        bus->have = 0;
        i2c_answer(out, HIL_I2C_BAD_REQUEST, 0, NULL);
    }
}
