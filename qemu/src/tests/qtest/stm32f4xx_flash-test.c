/*
 * QTest of the STM32F405/407 Flash interface model (RM0090 section 3)
 * on the fota-f407 machine.
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qapi/qmp/qdict.h"

#define FLASH_BASE      0x08000000
#define FLASH_R_BASE    0x40023C00
#define FLASH_ACR       (FLASH_R_BASE + 0x00)
#define FLASH_KEYR      (FLASH_R_BASE + 0x04)
#define FLASH_OPTKEYR   (FLASH_R_BASE + 0x08)
#define FLASH_SR        (FLASH_R_BASE + 0x0C)
#define FLASH_CR        (FLASH_R_BASE + 0x10)
#define FLASH_OPTCR     (FLASH_R_BASE + 0x14)

#define KEY1 0x45670123
#define KEY2 0xCDEF89AB
#define OPTKEY1 0x08192A3B
#define OPTKEY2 0x4C5D6E7F

#define SR_EOP    (1u << 0)
#define SR_OPERR  (1u << 1)
#define SR_WRPERR (1u << 4)
#define SR_PGAERR (1u << 5)
#define SR_PGPERR (1u << 6)
#define SR_PGSERR (1u << 7)
#define SR_BSY    (1u << 16)
#define CR_PG     (1u << 0)
#define CR_SER    (1u << 1)
#define CR_MER    (1u << 2)
#define CR_SNB(n) ((n) << 3)
#define CR_X8     (0u << 8)
#define CR_X16    (1u << 8)
#define CR_X32    (2u << 8)
#define CR_STRT   (1u << 16)
#define CR_EOPIE  (1u << 24)
#define CR_ERRIE  (1u << 25)
#define CR_LOCK   (1u << 31)
#define OPTCR_OPTLOCK (1u << 0)
#define OPTCR_OPTSTRT (1u << 1)

#define US 1000LL
#define MS 1000000LL

static QTestState *flash_start(const char *image)
{
    if (image) {
        return qtest_initf("-M fota-f407 -drive if=pflash,format=raw,file=%s",
                           image);
    }
    return qtest_init("-M fota-f407");
}

/* A read-only counter of the model, over QMP qom-get */
static int64_t flash_counter(QTestState *qts, const char *name)
{
    QDict *r = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                         "{ 'path': '/machine/flash', 'property': %s } }", name);
    int64_t v;

    g_assert(qdict_haskey(r, "return"));
    v = qdict_get_int(r, "return");
    qobject_unref(r);
    return v;
}

static void flash_unlock(QTestState *qts)
{
    qtest_writel(qts, FLASH_KEYR, KEY1);
    qtest_writel(qts, FLASH_KEYR, KEY2);
    g_assert_cmphex(qtest_readl(qts, FLASH_CR) & CR_LOCK, ==, 0);
}

/* Program one word at x32 and let the 16 us of DS8626 tprog pass; PG
 * cleared again, so each call is one program sequence (one operation) */
static void flash_program_word(QTestState *qts, uint32_t addr, uint32_t value)
{
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32);
    qtest_writel(qts, addr, value);
    qtest_clock_step(qts, 16 * US);
    qtest_writel(qts, FLASH_CR, CR_X32);
}

/* A fresh machine, FLASH_CR unlocked, and 0x12345678 written at @addr
 * with PG at x32: the word program has started (BSY, its 16 us to come) */
static QTestState *flash_start_programming(uint32_t addr)
{
    QTestState *qts = flash_start(NULL);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32);
    qtest_writel(qts, addr, 0x12345678);
    return qts;
}

/* RM0090 3.9: reset values of the Flash interface registers */
static void test_reset_values(void)
{
    QTestState *qts = flash_start(NULL);

    g_assert_cmphex(qtest_readl(qts, FLASH_ACR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_CR), ==, 0x80000000);
    g_assert_cmphex(qtest_readl(qts, FLASH_OPTCR), ==, 0x0FFFAAED);
    g_assert_cmphex(qtest_readl(qts, FLASH_BASE), ==, 0xFFFFFFFF);
    qtest_quit(qts);
}

/* RM0090 3.6.1: KEY1 then KEY2 clears LOCK; LOCK set by software locks again */
static void test_keyr_unlock(void)
{
    QTestState *qts = flash_start(NULL);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_CR, CR_LOCK);
    g_assert_cmphex(qtest_readl(qts, FLASH_CR), ==, CR_LOCK);
    flash_unlock(qts);
    qtest_quit(qts);
}

/* RM0090 3.6.1: a wrong sequence locks FLASH_CR until the next reset */
static void test_keyr_wrong_key_locks_until_reset(void)
{
    QTestState *qts = flash_start(NULL);

    qtest_writel(qts, FLASH_KEYR, KEY2);
    qtest_writel(qts, FLASH_KEYR, KEY1);
    qtest_writel(qts, FLASH_KEYR, KEY2);
    g_assert_cmphex(qtest_readl(qts, FLASH_CR) & CR_LOCK, ==, CR_LOCK);
    qtest_writel(qts, FLASH_CR, CR_PG);
    g_assert_cmphex(qtest_readl(qts, FLASH_CR), ==, CR_LOCK);

    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    flash_unlock(qts);
    qtest_quit(qts);
}

/* RM0090 3.6.2: OPTKEY1 then OPTKEY2 clears OPTLOCK */
static void test_optkeyr_unlock(void)
{
    QTestState *qts = flash_start(NULL);

    qtest_writel(qts, FLASH_OPTKEYR, OPTKEY1);
    qtest_writel(qts, FLASH_OPTKEYR, OPTKEY2);
    g_assert_cmphex(qtest_readl(qts, FLASH_OPTCR), ==, 0x0FFFAAEC);
    qtest_quit(qts);
}

/* RM0090 3.6.4: BSY for tprog (DS8626: 16 us), programming only clears bits */
static void test_program_word(void)
{
    uint32_t addr = FLASH_BASE + 0x4000;
    QTestState *qts = flash_start_programming(addr);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_BSY);
    qtest_clock_step(qts, 15 * US);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_BSY);
    qtest_clock_step(qts, 1 * US);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, addr), ==, 0x12345678);
    g_assert_cmpint(flash_counter(qts, "overprogram-count"), ==, 0);

    flash_program_word(qts, addr, 0x0F0F0F0F);
    g_assert_cmphex(qtest_readl(qts, addr), ==, 0x02040608);
    g_assert_cmpint(flash_counter(qts, "overprogram-count"), ==, 4);
    qtest_quit(qts);
}

/* RM0090 3.9.4 EOP: set at the end of an operation only while EOPIE is set */
static void test_eop_needs_eopie(void)
{
    QTestState *qts = flash_start(NULL);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32 | CR_EOPIE);
    qtest_writel(qts, FLASH_BASE + 0x8000, 0);
    qtest_clock_step(qts, 16 * US);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_EOP);
    qtest_writel(qts, FLASH_SR, SR_EOP);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);
    qtest_quit(qts);
}

/* RM0090 3.9.4 PGSERR: a write to the Flash memory without PG */
static void test_pgserr_without_pg(void)
{
    QTestState *qts = flash_start(NULL);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_BASE + 0x4000, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_PGSERR);
    g_assert_cmphex(qtest_readl(qts, FLASH_BASE + 0x4000), ==, 0xFFFFFFFF);
    /* locked: the same */
    qtest_writel(qts, FLASH_SR, SR_PGSERR);
    qtest_writel(qts, FLASH_CR, CR_LOCK);
    qtest_writel(qts, FLASH_BASE + 0x4000, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_PGSERR);
    qtest_quit(qts);
}

/* RM0090 3.9.4 PGPERR: access size other than PSIZE; OPERR only with ERRIE */
static void test_pgperr_size_mismatch(void)
{
    QTestState *qts = flash_start(NULL);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32);
    qtest_writeb(qts, FLASH_BASE + 0x4000, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_PGPERR);
    g_assert_cmphex(qtest_readl(qts, FLASH_BASE + 0x4000), ==, 0xFFFFFFFF);

    qtest_writel(qts, FLASH_SR, SR_PGPERR);
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X8 | CR_ERRIE);
    qtest_writel(qts, FLASH_BASE + 0x4000, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_PGPERR | SR_OPERR);
    qtest_quit(qts);
}

/* RM0090 3.9.4 PGAERR: data not within one 128-bit row */
static void test_pgaerr_row_crossing(void)
{
    QTestState *qts = flash_start(NULL);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X16);
    qtest_writew(qts, FLASH_BASE + 0x400F, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_PGAERR);
    qtest_writel(qts, FLASH_SR, SR_PGAERR);
    qtest_writew(qts, FLASH_BASE + 0x400E, 0x1234);
    qtest_clock_step(qts, 16 * US);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);
    g_assert_cmphex(qtest_readw(qts, FLASH_BASE + 0x400E), ==, 0x1234);
    qtest_quit(qts);
}

/* RM0090 3.6.3 and DS8626: sector 1 (16 KB) at x32 is BSY for 250 ms */
static void test_sector_erase(void)
{
    QTestState *qts = flash_start(NULL);
    uint32_t s1 = FLASH_BASE + 0x4000;

    flash_unlock(qts);
    flash_program_word(qts, s1, 0);
    flash_program_word(qts, s1 + 0x3FFC, 0);
    flash_program_word(qts, s1 + 0x4000, 0);  /* sector 2 */
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(1) | CR_X32);
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(1) | CR_X32 | CR_STRT);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_BSY);
    g_assert_cmphex(qtest_readl(qts, FLASH_CR) & CR_STRT, ==, CR_STRT);
    qtest_clock_step(qts, 250 * MS - 1);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_BSY);
    qtest_clock_step(qts, 1);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_CR) & CR_STRT, ==, 0);
    g_assert_cmphex(qtest_readl(qts, s1), ==, 0xFFFFFFFF);
    g_assert_cmphex(qtest_readl(qts, s1 + 0x3FFC), ==, 0xFFFFFFFF);
    g_assert_cmphex(qtest_readl(qts, s1 + 0x4000), ==, 0);
    qtest_quit(qts);
}

/* DS8626: a 128 KB sector at x8 takes 2 s */
static void test_sector_erase_128k_x8_time(void)
{
    QTestState *qts = flash_start(NULL);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(5) | CR_X8 | CR_STRT);
    qtest_clock_step(qts, 2000 * MS - 1);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_BSY);
    qtest_clock_step(qts, 1);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);
    qtest_quit(qts);
}

/* RM0090 3.7.2 and 3.9.4 WRPERR: nWRP cleared protects the sector */
static void test_wrperr_protected_sector(void)
{
    QTestState *qts = flash_start(NULL);

    qtest_writel(qts, FLASH_OPTKEYR, OPTKEY1);
    qtest_writel(qts, FLASH_OPTKEYR, OPTKEY2);
    /* nWRP bit 2 cleared: sector 2 write-protected */
    qtest_writel(qts, FLASH_OPTCR, 0x0FFBAAEC | OPTCR_OPTSTRT);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_BSY);
    qtest_clock_step(qts, 1000 * MS);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(2) | CR_X32 | CR_STRT);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_WRPERR);
    qtest_writel(qts, FLASH_SR, SR_WRPERR);
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32);
    qtest_writel(qts, FLASH_BASE + 0x8000, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_WRPERR);
    g_assert_cmphex(qtest_readl(qts, FLASH_BASE + 0x8000), ==, 0xFFFFFFFF);
    qtest_writel(qts, FLASH_SR, SR_WRPERR);
    qtest_writel(qts, FLASH_CR, CR_MER | CR_X32 | CR_STRT);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_WRPERR);

    /* the option bytes survive a system reset */
    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmphex(qtest_readl(qts, FLASH_OPTCR), ==, 0x0FFBAAED);
    qtest_quit(qts);
}

/* An erased main memory and, past 1 MB, the factory option bytes
 * (RM0090 3.6 Table 16: USER 0xEC, RDP 0xAA level 0, nWRP all 1) */
static char *flash_image_new(size_t size)
{
    char *path = g_strdup("/tmp/qtest-stm32f4xx-flash-XXXXXX");
    int fd = g_mkstemp(path);
    g_autofree uint8_t *ff = g_malloc(size);

    g_assert(fd >= 0);
    memset(ff, 0xFF, size);
    if (size > 1024 * 1024) {
        ff[1024 * 1024] = 0xEC;
        ff[1024 * 1024 + 1] = 0xAA;
    }
    g_assert_cmpint(write(fd, ff, size), ==, size);
    close(fd);
    return path;
}

/* The main memory and the option bytes outlive the process (power cycle) */
static void test_image_survives_restart(void)
{
    g_autofree char *image = flash_image_new(1024 * 1024 + 16);
    QTestState *qts = flash_start(image);

    flash_unlock(qts);
    flash_program_word(qts, FLASH_BASE + 0x20000, 0xA5A5A5A5);
    qtest_writel(qts, FLASH_OPTKEYR, OPTKEY1);
    qtest_writel(qts, FLASH_OPTKEYR, OPTKEY2);
    qtest_writel(qts, FLASH_OPTCR, 0x0FFEAAEC | OPTCR_OPTSTRT);
    qtest_clock_step(qts, 1000 * MS);
    qtest_quit(qts);

    qts = flash_start(image);
    g_assert_cmphex(qtest_readl(qts, FLASH_BASE + 0x20000), ==, 0xA5A5A5A5);
    g_assert_cmphex(qtest_readl(qts, 0x20000), ==, 0xA5A5A5A5);
    g_assert_cmphex(qtest_readl(qts, FLASH_OPTCR), ==, 0x0FFEAAED);
    qtest_quit(qts);
    unlink(image);
}

/* A system reset during BSY loses the operation: the array is unchanged */
static void test_reset_during_erase_keeps_contents(void)
{
    QTestState *qts = flash_start(NULL);

    flash_unlock(qts);
    flash_program_word(qts, FLASH_BASE + 0x4000, 0);
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(1) | CR_X32 | CR_STRT);
    qtest_clock_step(qts, 100 * MS);
    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_CR), ==, CR_LOCK);
    g_assert_cmphex(qtest_readl(qts, FLASH_BASE + 0x4000), ==, 0);
    qtest_quit(qts);
}

/*
 * RM0090 3.5.2: a read of the array while BSY stalls until the program
 * ends, then returns the new contents (the stall's time is not modelled);
 * BSY reads set for the 16 us of DS8626 tprog, op-count counts it after
 */
static void test_program_read_while_bsy(void)
{
    uint32_t addr = FLASH_BASE + 0x4000;
    QTestState *qts = flash_start_programming(addr);
    g_assert_cmphex(qtest_readl(qts, addr), ==, 0x12345678);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_BSY);
    g_assert_cmpint(flash_counter(qts, "op-count"), ==, 0);
    qtest_clock_step(qts, 16 * US);
    g_assert_cmpint(flash_counter(qts, "op-count"), ==, 1);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);
    qtest_quit(qts);
}

/* A system reset during a word program loses it; a finished one stays */
static void test_reset_during_program_keeps_contents(void)
{
    uint32_t addr = FLASH_BASE + 0x4000;
    QTestState *qts = flash_start_programming(addr);
    qtest_clock_step(qts, 15 * US);
    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmphex(qtest_readl(qts, addr), ==, 0xFFFFFFFF);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32);
    qtest_writel(qts, addr, 0x12345678);
    qtest_clock_step(qts, 16 * US);
    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmphex(qtest_readl(qts, addr), ==, 0x12345678);
    qtest_quit(qts);
}

/* A word of the image file at main-memory offset @off */
static uint32_t flash_image_word(const char *image, uint32_t off)
{
    int fd = open(image, O_RDONLY);
    uint8_t w[4];

    g_assert(fd >= 0);
    g_assert_cmpint(pread(fd, w, sizeof(w), off), ==, sizeof(w));
    close(fd);
    return ldl_le_p(w);
}

/*
 * The words of a program sequence reach the image file in one write when
 * the sequence ends (PG cleared), or when the VM stops, before anything
 * reports them
 */
static void test_program_image_at_sequence_end(void)
{
    g_autofree char *image = flash_image_new(1024 * 1024);
    QTestState *qts = flash_start(image);

    flash_unlock(qts);
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32);
    qtest_writel(qts, FLASH_BASE + 0x20000, 0x11111111);
    qtest_clock_step(qts, 16 * US);
    qtest_writel(qts, FLASH_BASE + 0x20004, 0x22222222);
    qtest_clock_step(qts, 16 * US);
    g_assert_cmphex(flash_image_word(image, 0x20000), ==, 0xFFFFFFFF);
    qtest_writel(qts, FLASH_CR, CR_X32);
    g_assert_cmphex(flash_image_word(image, 0x20000), ==, 0x11111111);
    g_assert_cmphex(flash_image_word(image, 0x20004), ==, 0x22222222);

    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32);
    qtest_writel(qts, FLASH_BASE + 0x20008, 0x33333333);
    qtest_clock_step(qts, 16 * US);
    g_assert_cmphex(flash_image_word(image, 0x20008), ==, 0xFFFFFFFF);
    qtest_qmp_assert_success(qts, "{ 'execute': 'stop' }");
    g_assert_cmphex(flash_image_word(image, 0x20008), ==, 0x33333333);
    qtest_quit(qts);
    unlink(image);
}

/* qom-set a string (enum) property of the Flash interface */
static void flash_set_str(QTestState *qts, const char *prop, const char *value)
{
    qtest_qmp_assert_success(qts, "{ 'execute': 'qom-set', 'arguments': "
        "{ 'path': '/machine/flash', 'property': %s, 'value': %s } }",
        prop, value);
}

/* qom-set a uint32 property of the Flash interface */
static void flash_set_uint(QTestState *qts, const char *prop, uint32_t value)
{
    qtest_qmp_assert_success(qts, "{ 'execute': 'qom-set', 'arguments': "
        "{ 'path': '/machine/flash', 'property': %s, 'value': %u } }",
        prop, value);
}

/*
 * Arm the fault injection: the @nth operation of the kinds @ops (any,
 * program, erase) whose first byte lies in [lo, hi] gets @kind.
 */
static void flash_arm_fault(QTestState *qts, unsigned nth, const char *kind,
                            const char *ops, uint32_t lo, uint32_t hi)
{
    flash_set_str(qts, "fault-kind", kind);
    flash_set_str(qts, "fault-ops", ops);
    flash_set_uint(qts, "fault-addr-lo", lo);
    flash_set_uint(qts, "fault-addr-hi", hi);
    flash_set_uint(qts, "fault-at", nth);
}

/* Wait for event @name and check its seq, op, address and length */
static QDict *flash_event(QTestState *qts, const char *name, int64_t seq,
                          const char *op, uint32_t addr, uint32_t len)
{
    QDict *ev = qtest_qmp_eventwait_ref(qts, name);
    QDict *data = qdict_get_qdict(ev, "data");

    g_assert_cmpstr(qdict_get_str(data, "qom-path"), ==, "/machine/flash");
    g_assert_cmpint(qdict_get_int(data, "seq"), ==, seq);
    g_assert_cmpstr(qdict_get_str(data, "op"), ==, op);
    g_assert_cmphex(qdict_get_int(data, "address"), ==, addr);
    g_assert_cmpint(qdict_get_int(data, "length"), ==, len);
    return ev;
}

/* Program two words as one sequence (PG set throughout, RM0090 3.6.4) */
static void flash_program_two(QTestState *qts, uint32_t addr, uint32_t w0,
                              uint32_t w1)
{
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32);
    qtest_writel(qts, addr, w0);
    qtest_clock_step(qts, 16 * US);
    qtest_writel(qts, addr + 4, w1);
    qtest_clock_step(qts, 16 * US);
    qtest_writel(qts, FLASH_CR, CR_X32);
}

/* Erase sector @snb at x32 and let its time pass (DS8626: 16K 250 ms) */
static void flash_erase(QTestState *qts, unsigned snb, int64_t ns)
{
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(snb) | CR_X32);
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(snb) | CR_X32 | CR_STRT);
    qtest_clock_step(qts, ns);
    qtest_writel(qts, FLASH_CR, CR_X32);
}

/*
 * RM0090 3.6.4: the writes made while PG stays set, each continuing the
 * previous, are one program operation: STM32_FLASH_OP when PG clears,
 * with the bytes written; a sector erase (3.6.3) is one when it ends.
 */
static void test_op_events(void)
{
    QTestState *qts = flash_start(NULL);
    uint32_t addr = FLASH_BASE + 0x4000;
    QDict *ev;

    flash_unlock(qts);
    flash_program_two(qts, addr, 0x44332211, 0x88776655);
    ev = flash_event(qts, "STM32_FLASH_OP", 1, "program", addr, 8);
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(ev, "data"), "data"), ==,
                    "1122334455667788");
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(ev, "data"), "error"), ==, 0);
    qobject_unref(ev);
    flash_erase(qts, 1, 250 * MS);
    ev = flash_event(qts, "STM32_FLASH_OP", 2, "sector-erase", addr, 0x4000);
    g_assert_cmpint(qdict_get_int(qdict_get_qdict(ev, "data"), "sector"), ==, 1);
    qobject_unref(ev);
    g_assert_cmpint(flash_counter(qts, "op-seq"), ==, 2);
    g_assert_cmphex(qtest_readl(qts, addr), ==, 0xFFFFFFFF);
    qtest_quit(qts);
}

/* The cut-* kinds, and what each leaves of a program of w0, w1 over 0xFF
 * (fota-hil's harness/target/flashmodel.c: none, the first (8/2)&~3
 * bytes, old & (data | 0x55), all) and of an erase of old (unchanged,
 * first half 0xFF, old | 0x55, all 0xFF) */
typedef struct {
    const char *kind;
    bool first_word, second_word;   /* program: those words were written */
    bool bits;                      /* only the bits under 0xAA */
    bool erase_first, erase_second; /* erase: those halves are 0xFF */
} FlashCut;

static const FlashCut cut_none = { "cut-none", false, false, false, false, false };
static const FlashCut cut_half = { "cut-half", true, false, false, true, false };
static const FlashCut cut_bits = { "cut-bits", true, true, true, false, false };
static const FlashCut cut_all = { "cut-all", true, true, false, true, true };

/*
 * A power cut at the 2nd program sequence in range: the first sequence
 * out of range and the erase (fault-ops program) are not counted; the
 * cells are left torn, BSY stays set (the power is gone), the event comes
 * and the VM stops.
 */
static void test_fault_cut_program(const void *opaque)
{
    const FlashCut *c = opaque;
    QTestState *qts = flash_start(NULL);
    uint32_t addr = FLASH_BASE + 0x8000;
    uint32_t w0 = 0x12345678, w1 = 0x9ABCDEF0;
    uint32_t t0 = c->bits ? w0 | 0x55555555 : w0;
    uint32_t t1 = c->bits ? w1 | 0x55555555 : w1;

    flash_arm_fault(qts, 2, c->kind, "program", addr, addr + 0xFF);
    flash_unlock(qts);
    flash_program_word(qts, FLASH_BASE + 0x4000, 0);   /* out of range */
    flash_erase(qts, 2, 250 * MS);                      /* an erase */
    flash_program_word(qts, addr + 0x10, 0);            /* 1st in range */
    g_assert_cmpint(flash_counter(qts, "fault-hits"), ==, 0);
    flash_program_two(qts, addr, w0, w1);               /* 2nd: cut */
    qobject_unref(flash_event(qts, "STM32_FLASH_FAULT", 4, "program", addr, 8));
    qtest_qmp_eventwait(qts, "STOP");
    g_assert_cmpint(flash_counter(qts, "fault-hits"), ==, 1);
    g_assert_cmphex(qtest_readl(qts, addr), ==, c->first_word ? t0 : 0xFFFFFFFF);
    g_assert_cmphex(qtest_readl(qts, addr + 4), ==,
                    c->second_word ? t1 : 0xFFFFFFFF);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR) & SR_BSY, ==, SR_BSY);
    qtest_quit(qts);
}

/* A power cut during the 1st erase (RM0090 3.6.3): the sector is left as
 * the cut kind says; the program sequences before it are not counted */
static void test_fault_cut_erase(const void *opaque)
{
    const FlashCut *c = opaque;
    QTestState *qts = flash_start(NULL);
    uint32_t s1 = FLASH_BASE + 0x4000;

    flash_unlock(qts);
    flash_program_word(qts, s1, 0x12345678);            /* first half */
    flash_program_word(qts, s1 + 0x2000, 0x0);          /* second half */
    flash_arm_fault(qts, 1, c->kind, "erase", FLASH_BASE, FLASH_BASE + 0xFFFFF);
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(1) | CR_X32);
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(1) | CR_X32 | CR_STRT);
    qobject_unref(flash_event(qts, "STM32_FLASH_FAULT", 3, "sector-erase", s1,
                              0x4000));
    qtest_qmp_eventwait(qts, "STOP");
    g_assert_cmphex(qtest_readl(qts, s1), ==, c->erase_first ? 0xFFFFFFFF :
                    c->bits ? 0x12345678 | 0x55555555 : 0x12345678);
    g_assert_cmphex(qtest_readl(qts, s1 + 0x2000), ==,
                    c->erase_second ? 0xFFFFFFFF : c->bits ? 0x55555555 : 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR) & SR_BSY, ==, SR_BSY);
    qtest_quit(qts);
}

/* Fault "error" with fault-flag pgserr (RM0090 3.9.4), ERRIE set: the
 * program does not run, SR shows PGSERR and OPERR; fault-stop off */
static void test_fault_error_program(void)
{
    QTestState *qts = flash_start(NULL);
    uint32_t addr = FLASH_BASE + 0x4000;

    flash_unlock(qts);
    flash_arm_fault(qts, 1, "error", "any", FLASH_BASE, FLASH_BASE + 0xFFFFF);
    flash_set_str(qts, "fault-flag", "pgserr");
    qtest_qmp_assert_success(qts, "{ 'execute': 'qom-set', 'arguments': "
        "{ 'path': '/machine/flash', 'property': 'fault-stop', 'value': false } }");
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32 | CR_ERRIE);
    qtest_writel(qts, addr, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_PGSERR | SR_OPERR);
    qtest_writel(qts, FLASH_CR, CR_X32);
    qobject_unref(flash_event(qts, "STM32_FLASH_FAULT", 1, "program", addr, 4));
    g_assert_cmphex(qtest_readl(qts, addr), ==, 0xFFFFFFFF);
    qtest_writel(qts, FLASH_SR, SR_PGSERR | SR_OPERR);
    flash_program_word(qts, addr, 0);                   /* the next works */
    g_assert_cmphex(qtest_readl(qts, addr), ==, 0);
    qtest_quit(qts);
}

/* Fault "error" on an erase: WRPERR (the default flag), the sector kept */
static void test_fault_error_erase(void)
{
    QTestState *qts = flash_start(NULL);

    flash_unlock(qts);
    flash_program_word(qts, FLASH_BASE + 0x4000, 0);
    flash_arm_fault(qts, 1, "error", "any", FLASH_BASE, FLASH_BASE + 0xFFFFF);
    qtest_writel(qts, FLASH_CR, CR_SER | CR_SNB(1) | CR_X32 | CR_STRT);
    qobject_unref(flash_event(qts, "STM32_FLASH_FAULT", 2, "sector-erase",
                              FLASH_BASE + 0x4000, 0x4000));
    qtest_qmp_eventwait(qts, "STOP");
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_WRPERR);
    g_assert_cmphex(qtest_readl(qts, FLASH_CR) & CR_STRT, ==, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_BASE + 0x4000), ==, 0);
    qtest_quit(qts);
}

/* Fault "no-stick": the program sequence runs its time and ends without
 * error, nothing is written; the event comes when PG clears */
static void test_fault_no_stick(void)
{
    QTestState *qts = flash_start(NULL);
    uint32_t addr = FLASH_BASE + 0x4000;

    flash_unlock(qts);
    flash_arm_fault(qts, 1, "no-stick", "any", FLASH_BASE, FLASH_BASE + 0xFFFFF);
    qtest_writel(qts, FLASH_CR, CR_PG | CR_X32);
    qtest_writel(qts, addr, 0);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, SR_BSY);
    qtest_clock_step(qts, 16 * US);
    g_assert_cmphex(qtest_readl(qts, FLASH_SR), ==, 0);
    qtest_writel(qts, FLASH_CR, CR_X32);
    qobject_unref(flash_event(qts, "STM32_FLASH_FAULT", 1, "program", addr, 4));
    qtest_qmp_eventwait(qts, "STOP");
    g_assert_cmphex(qtest_readl(qts, addr), ==, 0xFFFFFFFF);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("stm32f4xx-flash/reset-values", test_reset_values);
    qtest_add_func("stm32f4xx-flash/keyr-unlock", test_keyr_unlock);
    qtest_add_func("stm32f4xx-flash/keyr-wrong-key-locks-until-reset",
                   test_keyr_wrong_key_locks_until_reset);
    qtest_add_func("stm32f4xx-flash/optkeyr-unlock", test_optkeyr_unlock);
    qtest_add_func("stm32f4xx-flash/program-word", test_program_word);
    qtest_add_func("stm32f4xx-flash/eop-needs-eopie", test_eop_needs_eopie);
    qtest_add_func("stm32f4xx-flash/pgserr-without-pg", test_pgserr_without_pg);
    qtest_add_func("stm32f4xx-flash/pgperr-size-mismatch",
                   test_pgperr_size_mismatch);
    qtest_add_func("stm32f4xx-flash/pgaerr-row-crossing",
                   test_pgaerr_row_crossing);
    qtest_add_func("stm32f4xx-flash/sector-erase", test_sector_erase);
    qtest_add_func("stm32f4xx-flash/sector-erase-128k-x8-time",
                   test_sector_erase_128k_x8_time);
    qtest_add_func("stm32f4xx-flash/wrperr-protected-sector",
                   test_wrperr_protected_sector);
    qtest_add_func("stm32f4xx-flash/image-survives-restart",
                   test_image_survives_restart);
    qtest_add_func("stm32f4xx-flash/reset-during-erase-keeps-contents",
                   test_reset_during_erase_keeps_contents);
    qtest_add_func("stm32f4xx-flash/program-read-while-bsy",
                   test_program_read_while_bsy);
    qtest_add_func("stm32f4xx-flash/reset-during-program-keeps-contents",
                   test_reset_during_program_keeps_contents);
    qtest_add_func("stm32f4xx-flash/program-image-at-sequence-end",
                   test_program_image_at_sequence_end);
    qtest_add_func("stm32f4xx-flash/op-events", test_op_events);
    qtest_add_data_func("stm32f4xx-flash/fault-cut-none-program",
                        &cut_none, test_fault_cut_program);
    qtest_add_data_func("stm32f4xx-flash/fault-cut-half-program",
                        &cut_half, test_fault_cut_program);
    qtest_add_data_func("stm32f4xx-flash/fault-cut-bits-program",
                        &cut_bits, test_fault_cut_program);
    qtest_add_data_func("stm32f4xx-flash/fault-cut-all-program",
                        &cut_all, test_fault_cut_program);
    qtest_add_data_func("stm32f4xx-flash/fault-cut-none-erase",
                        &cut_none, test_fault_cut_erase);
    qtest_add_data_func("stm32f4xx-flash/fault-cut-half-erase",
                        &cut_half, test_fault_cut_erase);
    qtest_add_data_func("stm32f4xx-flash/fault-cut-bits-erase",
                        &cut_bits, test_fault_cut_erase);
    qtest_add_data_func("stm32f4xx-flash/fault-cut-all-erase",
                        &cut_all, test_fault_cut_erase);
    qtest_add_func("stm32f4xx-flash/fault-error-program",
                   test_fault_error_program);
    qtest_add_func("stm32f4xx-flash/fault-error-erase", test_fault_error_erase);
    qtest_add_func("stm32f4xx-flash/fault-no-stick", test_fault_no_stick);
    return g_test_run();
}
