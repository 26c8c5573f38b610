/*
 * QTest of the STM32F2xx/F4xx USART receive path (RM0090 section 30.6.1:
 * DR, SR.RXNE) with the rx-queue property, on fota-f407 (rx-queue 256)
 * and on netduinoplus2 (rx-queue 1, the model's default). The test writes bytes into
 * USART1's chardev and reads them back through SR and DR.
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/socket.h>
#include <sys/un.h>
#include "libqtest.h"
#include "qapi/qmp/qdict.h"

#define USART1     0x40011000
#define USART_SR   (USART1 + 0x00)
#define USART_DR   (USART1 + 0x04)
#define USART_CR1  (USART1 + 0x0C)
#define SR_RXNE    (1u << 5)
#define CR1_UE     (1u << 13)
#define CR1_TE     (1u << 3)
#define CR1_RE     (1u << 2)

/* Polls of SR while the main loop delivers the chardev's bytes */
#define POLLS_MAX 5000

typedef struct Rig {
    QTestState *qts;
    int fd;                 /* the far end of USART1's chardev */
    char *path;
} Rig;

static void rig_start(Rig *r, const char *machine)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    r->path = g_strdup_printf("%s/usart-test-%d.sock", g_get_tmp_dir(),
                              (int)getpid());
    r->qts = qtest_initf("-M %s -chardev socket,id=u1,path=%s,"
                         "server=on,wait=off -serial chardev:u1",
                         machine, r->path);
    r->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert(r->fd >= 0);
    g_strlcpy(sa.sun_path, r->path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    qtest_writel(r->qts, USART_CR1, CR1_UE | CR1_TE | CR1_RE);
}

static void rig_stop(Rig *r)
{
    close(r->fd);
    qtest_quit(r->qts);
    unlink(r->path);
    g_free(r->path);
}

static void rig_send(Rig *r, const char *s)
{
    size_t n = strlen(s);

    g_assert_cmpint(write(r->fd, s, n), ==, n);
}

/* SR once RXNE is set, the main loop having had the time to deliver */
static uint32_t rig_wait_rxne(Rig *r)
{
    uint32_t sr = 0;
    int i;

    for (i = 0; i < POLLS_MAX && !(sr & SR_RXNE); i++) {
        sr = qtest_readl(r->qts, USART_SR);
        if (!(sr & SR_RXNE)) {
            g_usleep(1000);
        }
    }
    g_assert_cmphex(sr & SR_RXNE, ==, SR_RXNE);
    return sr;
}

/*
 * RM0090 30.6.1: RXNE is set when a byte is in DR; a DR read clears it.
 * With a queue, the bytes that came with the first are in DR one after
 * the other as soon as the previous one was read, with no main-loop
 * round trip in between; RXNE clears after the last.
 */
static void test_rx_queue(void)
{
    Rig r;

    rig_start(&r, "fota-f407");
    rig_send(&r, "abc");
    rig_wait_rxne(&r);
    g_assert_cmphex(qtest_readl(r.qts, USART_DR), ==, 'a');
    g_assert_cmphex(qtest_readl(r.qts, USART_SR) & SR_RXNE, ==, SR_RXNE);
    g_assert_cmphex(qtest_readl(r.qts, USART_DR), ==, 'b');
    g_assert_cmphex(qtest_readl(r.qts, USART_SR) & SR_RXNE, ==, SR_RXNE);
    g_assert_cmphex(qtest_readl(r.qts, USART_DR), ==, 'c');
    g_assert_cmphex(qtest_readl(r.qts, USART_SR) & SR_RXNE, ==, 0);
    rig_stop(&r);
}

/*
 * rx-queue 1, the model's default (netduinoplus2 leaves it): one byte at
 * a time through DR, none lost, in order
 */
static void test_rx_queue_one(void)
{
    Rig r;
    const char *want = "hello";
    int i;

    rig_start(&r, "netduinoplus2");
    rig_send(&r, want);
    for (i = 0; want[i] != '\0'; i++) {
        rig_wait_rxne(&r);
        g_assert_cmphex(qtest_readl(r.qts, USART_DR), ==, want[i]);
    }
    g_assert_cmphex(qtest_readl(r.qts, USART_SR) & SR_RXNE, ==, 0);
    rig_stop(&r);
}

/* A system reset empties DR and the queue (RXNE clear after it) */
static void test_rx_queue_reset(void)
{
    Rig r;

    rig_start(&r, "fota-f407");
    rig_send(&r, "xyz");
    rig_wait_rxne(&r);
    qobject_unref(qtest_qmp(r.qts, "{'execute': 'system_reset'}"));
    qtest_qmp_eventwait(r.qts, "RESET");
    g_assert_cmphex(qtest_readl(r.qts, USART_SR) & SR_RXNE, ==, 0);
    qtest_writel(r.qts, USART_CR1, CR1_UE | CR1_TE | CR1_RE);
    g_assert_cmphex(qtest_readl(r.qts, USART_SR) & SR_RXNE, ==, 0);
    rig_send(&r, "q");
    rig_wait_rxne(&r);
    g_assert_cmphex(qtest_readl(r.qts, USART_DR), ==, 'q');
    rig_stop(&r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("stm32f2xx-usart/rx-queue", test_rx_queue);
    qtest_add_func("stm32f2xx-usart/rx-queue-one", test_rx_queue_one);
    qtest_add_func("stm32f2xx-usart/rx-queue-reset", test_rx_queue_reset);
    return g_test_run();
}
