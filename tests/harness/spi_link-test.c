/**
 * @file spi_link-test.c
 * @brief Unit tests of the rig's SPI bus (harness/link/spi_link.c) with a
 * slave behind a wire (fota-f407's SPI1, clocked by the harness): what
 * reaches the wire after the SPI faults, MISO through the queue, READY
 * from the line or the queue, and the MISO faults on read transfers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "link/spi_link.h"

/* The wire: records what reached it, answers with @c miso queued. */
struct wire {
    struct hil_spi *bus;
    uint8_t got[64];
    size_t got_len;
    bool got_frames;
    int calls;
    const uint8_t *miso;   /* what the slave shifts out on the next clock */
    size_t miso_len;
    bool ready;
};

static void wire(void *ctx, const uint8_t *mosi, size_t n, bool frames, bool *ready)
{
    struct wire *w = ctx;
    w->calls++;
    w->got_len = n < sizeof(w->got) ? n : sizeof(w->got);
    memcpy(w->got, mosi, w->got_len);
    w->got_frames = frames;
    if (n > 0 && w->miso_len > 0) {
        hil_spi_from_slave(w->bus, w->miso, w->miso_len);
        w->miso_len = 0;
    }
    *ready = w->ready;
}

struct fix {
    struct hil_spi s;
    struct wire w;
    struct hil_buf mosi, to_master;
};

static int setup(void **state)
{
    static struct fix f;
    memset(&f, 0, sizeof(f));
    f.s.wire = wire;
    f.s.wire_ctx = &f.w;
    f.w.bus = &f.s;
    hil_spi_init(&f.s, NULL, 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    hil_spi_free(&f->s);
    hil_buf_free(&f->mosi);
    hil_buf_free(&f->to_master);
    return 0;
}

/* One transfer of @p len bytes from the master; the answer's flags. */
static uint8_t xfer(struct fix *f, const uint8_t *m, size_t len)
{
    uint8_t req[3 + 64] = { 'T', (uint8_t)len, (uint8_t)(len >> 8) };
    memcpy(req + 3, m, len);
    f->to_master.len = 0;
    hil_spi_from_master(&f->s, req, 3 + len, &f->mosi, &f->to_master);
    assert_int_equal(f->to_master.len, 4 + len);
    assert_int_equal(f->to_master.data[0], 't');
    return f->to_master.data[1];
}

static void test_hil_spi_wire_write_reaches_wire(void **state)
{
    struct fix *f = *state;
    static const uint8_t frame[4] = { 0xA5, 0x5A, 0x01, 0x02 };
    assert_int_equal(xfer(f, frame, 4), 0);
    assert_int_equal(f->w.calls, 1);
    assert_true(f->w.got_frames);
    assert_int_equal(f->w.got_len, 4);
    assert_memory_equal(f->w.got, frame, 4);
    assert_int_equal(f->mosi.len, 0); /* nothing for a link fd */
}

static void test_hil_spi_wire_read_takes_queue_and_ready(void **state)
{
    struct fix *f = *state;
    static const uint8_t rsp[3] = { 0xA5, 0x5A, 0x07 };
    const uint8_t dummy[5] = { 0 };
    f->w.miso = rsp;
    f->w.miso_len = sizeof(rsp);
    f->w.ready = false;
    assert_int_equal(xfer(f, dummy, 5), 0);
    assert_false(f->w.got_frames);
    assert_memory_equal(f->to_master.data + 4, rsp, 3);
    assert_int_equal(f->to_master.data[4 + 3], HIL_SPI_IDLE);
    f->w.ready = true; /* the line alone raises READY */
    assert_int_equal(xfer(f, dummy, 0), 1);
    assert_int_equal(f->w.got_len, 0);
}

static void test_hil_spi_wire_faults(void **state)
{
    struct fix *f = *state;
    struct hil_fault faults[3];
    memset(faults, 0, sizeof(faults));
    faults[0].kind = HIL_FAULT_SPI_DROP;
    faults[0].frame = 1;
    faults[1].kind = HIL_FAULT_SPI_CS_RELEASE;
    faults[1].frame = 2;
    faults[1].byte = 2;
    faults[2].kind = HIL_FAULT_SPI_CORRUPT;
    faults[2].dir = HIL_DIR_TO_HOST;
    faults[2].frame = 1;
    faults[2].byte = 1;
    hil_spi_init(&f->s, faults, 3);
    static const uint8_t frame[4] = { 0xA5, 0x5A, 0x01, 0x02 };
    xfer(f, frame, 4);
    assert_int_equal(f->w.got_len, 0);   /* dropped: nothing on the wire */
    xfer(f, frame, 4);
    assert_int_equal(f->w.got_len, 2);   /* NSS released after 2 bytes */
    static const uint8_t rsp[2] = { 0xA5, 0x5A };
    const uint8_t dummy[2] = { 0 };
    f->w.miso = rsp;
    f->w.miso_len = 2;
    xfer(f, dummy, 2);
    assert_int_equal(f->to_master.data[4], 0xA5);
    assert_int_equal(f->to_master.data[5], 0x5A ^ 0xFF);
    assert_true(hil_spi_fired(&f->s, 0) && hil_spi_fired(&f->s, 1) && hil_spi_fired(&f->s, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hil_spi_wire_write_reaches_wire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_spi_wire_read_takes_queue_and_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hil_spi_wire_faults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
