/*
 * STM32F405/407 embedded Flash memory and its interface
 *
 * Models the 1 Mbyte main memory and the Flash interface registers of
 * RM0090 (Reference manual STM32F405/415, STM32F407/417, STM32F427/437
 * and STM32F429/439, Rev 19) section 3, with the program and erase times of
 * DS8626 (STM32F405xx/STM32F407xx datasheet) Table 41 in virtual
 * time. The main memory and the option bytes live in a block backend, so a
 * power cycle is a process restart that keeps them.
 *
 * Every operation is reported with the QMP event STM32_FLASH_OP (a program
 * sequence, the writes made while CR.PG stays set, counts as one), and a
 * fault can be armed over QOM properties at the Nth operation: a power cut
 * with a torn state, an error flag, or an operation that does not stick
 * (STM32_FLASH_FAULT event, then the VM stops). The torn states are those
 * of fota-hil's own flash model (harness/target/flashmodel.c), so a fault
 * means the same on the stock-QEMU backend and on this machine.
 *
 * A word program costs no host event: its cells change when it starts
 * (a read of the array while BSY stalls on silicon until the program
 * ends, RM0090 3.5.2, and then returns the new contents: that is what the
 * CPU sees here, after the stall below), SR.BSY reads set until its
 * DS8626 time has passed in virtual time (no timer, unless EOPIE asks for
 * the interrupt), and the image is written once per program sequence
 * (when it ends, at a system reset, or when the VM stops), not per word.
 * Erases keep one timer each and change the array when they end.
 *
 * The CPU executes from this Flash: from the start of an operation it
 * stalls until the operation ends, in virtual time under -icount
 * (property fetch-stall, on by default; off: as code run from SRAM, it
 * polls BSY meanwhile).
 *
 * Not modelled: the ART accelerator (ACR is storage only), an interrupt's
 * vector fetch stalling like the rest, the one-time programmable area,
 * read protection against a debugger, and the x64 parallelism (it needs
 * VPP; any CPU write gives PGPERR).
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qemu/timer.h"
#include "qemu/error-report.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/nvram/stm32f4xx_flash.h"
#include "migration/vmstate.h"
#include "qapi/qapi-events-stm32.h"
#include "qapi/visitor.h"
#include "sysemu/block-backend.h"
#include "sysemu/cpu-timers.h"
#include "sysemu/runstate.h"
#include "trace.h"

/* Register offsets (RM0090 3.9 Table 17) */
#define FLASH_ACR       0x00
#define FLASH_KEYR      0x04
#define FLASH_OPTKEYR   0x08
#define FLASH_SR        0x0C
#define FLASH_CR        0x10
#define FLASH_OPTCR     0x14

/* FLASH_ACR (RM0090 3.9.1): LATENCY[2:0], PRFTEN, ICEN, DCEN, ICRST, DCRST */
#define FLASH_ACR_MASK  0x00001F07

/* Unlock keys (RM0090 3.6.1 and 3.6.2) */
#define FLASH_KEY1      0x45670123
#define FLASH_KEY2      0xCDEF89AB
#define FLASH_OPTKEY1   0x08192A3B
#define FLASH_OPTKEY2   0x4C5D6E7F

/* FLASH_SR (RM0090 3.9.4) */
#define FLASH_SR_EOP    (1u << 0)
#define FLASH_SR_OPERR  (1u << 1)
#define FLASH_SR_WRPERR (1u << 4)
#define FLASH_SR_PGAERR (1u << 5)
#define FLASH_SR_PGPERR (1u << 6)
#define FLASH_SR_PGSERR (1u << 7)
#define FLASH_SR_BSY    (1u << 16)
#define FLASH_SR_W1C    (FLASH_SR_EOP | FLASH_SR_OPERR | FLASH_SR_WRPERR | \
                         FLASH_SR_PGAERR | FLASH_SR_PGPERR | FLASH_SR_PGSERR)

/* FLASH_CR (RM0090 3.9.5) */
#define FLASH_CR_PG     (1u << 0)
#define FLASH_CR_SER    (1u << 1)
#define FLASH_CR_MER    (1u << 2)
#define FLASH_CR_SNB_SHIFT   3
#define FLASH_CR_SNB_MASK    0xF
#define FLASH_CR_PSIZE_SHIFT 8
#define FLASH_CR_PSIZE_MASK  0x3
#define FLASH_CR_STRT   (1u << 16)
#define FLASH_CR_EOPIE  (1u << 24)
#define FLASH_CR_ERRIE  (1u << 25)
#define FLASH_CR_LOCK   (1u << 31)
#define FLASH_CR_MASK   (FLASH_CR_PG | FLASH_CR_SER | FLASH_CR_MER | \
                         (FLASH_CR_SNB_MASK << FLASH_CR_SNB_SHIFT) | \
                         (FLASH_CR_PSIZE_MASK << FLASH_CR_PSIZE_SHIFT) | \
                         FLASH_CR_EOPIE | FLASH_CR_ERRIE)
#define FLASH_CR_RESET  FLASH_CR_LOCK

/* FLASH_OPTCR (RM0090 3.9.6) */
#define FLASH_OPTCR_OPTLOCK  (1u << 0)
#define FLASH_OPTCR_OPTSTRT  (1u << 1)
#define FLASH_OPTCR_USER_MASK 0xEC      /* BOR_LEV, WDG_SW, nRST_STOP, nRST_STDBY */
#define FLASH_OPTCR_RDP_SHIFT 8
#define FLASH_OPTCR_NWRP_SHIFT 16
#define FLASH_OPTCR_NWRP_MASK 0xFFF
#define FLASH_OPTCR_MASK     (FLASH_OPTCR_USER_MASK | (0xFF << FLASH_OPTCR_RDP_SHIFT) | \
                              (FLASH_OPTCR_NWRP_MASK << FLASH_OPTCR_NWRP_SHIFT))
/* Read protection levels (RM0090 3.7.3) */
#define FLASH_RDP_LEVEL0 0xAA
#define FLASH_RDP_LEVEL2 0xCC

/* Factory option bytes: OPTCR reset value 0x0FFFAAED (RM0090 3.9.6) */
static const uint8_t stm32f4xx_flash_opt_default[STM32F4XX_FLASH_OPT_SIZE] = {
    0xEC, 0xAA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

/* Program and erase times, typical, DS8626 Table 41 "Flash memory programming", in ns */
#define FLASH_T_PROG_NS    (16 * SCALE_US)      /* tprog, word */
static const int64_t flash_t_erase16k_ns[4] = {  /* by PSIZE x8, x16, x32, x64 */
    400 * SCALE_MS, 300 * SCALE_MS, 250 * SCALE_MS, 250 * SCALE_MS,
};
static const int64_t flash_t_erase64k_ns[4] = {
    1200 * SCALE_MS, 700 * SCALE_MS, 550 * SCALE_MS, 550 * SCALE_MS,
};
static const int64_t flash_t_erase128k_ns[4] = {
    2000 * SCALE_MS, 1300 * SCALE_MS, 1000 * SCALE_MS, 1000 * SCALE_MS,
};
static const int64_t flash_t_mass_erase_ns[4] = {
    16 * NANOSECONDS_PER_SECOND, 11 * NANOSECONDS_PER_SECOND,
    8 * NANOSECONDS_PER_SECOND, 8 * NANOSECONDS_PER_SECOND,
};

/* Sector of a main-memory offset (RM0090 3.3 Table 5) */
static unsigned stm32f4xx_flash_sector_of(uint32_t offset)
{
    if (offset < 64 * KiB) {
        return offset / (16 * KiB);
    }
    if (offset < 128 * KiB) {
        return 4;
    }
    return 5 + (offset - 128 * KiB) / (128 * KiB);
}

static uint32_t stm32f4xx_flash_sector_offset(unsigned snb)
{
    if (snb < 4) {
        return snb * 16 * KiB;
    }
    if (snb == 4) {
        return 64 * KiB;
    }
    return 128 * KiB + (snb - 5) * 128 * KiB;
}

static uint32_t stm32f4xx_flash_sector_size(unsigned snb)
{
    return snb < 4 ? 16 * KiB : (snb == 4 ? 64 * KiB : 128 * KiB);
}

static unsigned stm32f4xx_flash_psize(STM32F4xxFlashState *s)
{
    return (s->cr >> FLASH_CR_PSIZE_SHIFT) & FLASH_CR_PSIZE_MASK;
}

static bool stm32f4xx_flash_write_protected(STM32F4xxFlashState *s, unsigned snb)
{
    uint32_t nwrp = (s->optcr >> FLASH_OPTCR_NWRP_SHIFT) & FLASH_OPTCR_NWRP_MASK;

    return (nwrp & (1u << snb)) == 0;
}

/* Flash global interrupt: EOP with EOPIE, OPERR with ERRIE (RM0090 3.8) */
static void stm32f4xx_flash_update_irq(STM32F4xxFlashState *s)
{
    bool level = ((s->cr & FLASH_CR_EOPIE) && (s->sr & FLASH_SR_EOP)) ||
                 ((s->cr & FLASH_CR_ERRIE) && (s->sr & FLASH_SR_OPERR));

    qemu_set_irq(s->irq, level);
}

/* An error flag; OPERR follows it only while ERRIE is set (RM0090 3.9.4) */
static void stm32f4xx_flash_error(STM32F4xxFlashState *s, uint32_t flag)
{
    s->sr |= flag;
    if (s->cr & FLASH_CR_ERRIE) {
        s->sr |= FLASH_SR_OPERR;
    }
    trace_stm32f4xx_flash_error(flag, s->sr);
    stm32f4xx_flash_update_irq(s);
}

/* Write main memory [offset, offset + len) back to the backing image */
static void stm32f4xx_flash_persist(STM32F4xxFlashState *s, uint32_t offset,
                                    uint32_t len)
{
    int ret;

    memory_region_flush_rom_device(&s->array, offset, len);
    if (!s->blk || !blk_is_writable(s->blk)) {
        return;
    }
    ret = blk_pwrite(s->blk, offset, len, s->storage + offset, 0);
    if (ret < 0) {
        error_report("stm32f4xx-flash: cannot update the flash image: %s",
                     strerror(-ret));
    }
}

/* Write the programmed words not yet in the image (one block write) */
static void stm32f4xx_flash_flush(STM32F4xxFlashState *s)
{
    uint32_t lo = s->dirty_lo, hi = s->dirty_hi;

    if (lo >= hi) {
        return;
    }
    s->dirty_lo = s->dirty_hi = 0;
    if (s->blk && blk_is_writable(s->blk)) {
        int ret = blk_pwrite(s->blk, lo, hi - lo, s->storage + lo, 0);

        if (ret < 0) {
            error_report("stm32f4xx-flash: cannot update the flash image: %s",
                         strerror(-ret));
        }
    }
}

/* Main memory [offset, offset + len) changed: written to the image at the
 * next flush (the words of one program sequence are contiguous) */
static void stm32f4xx_flash_mark_dirty(STM32F4xxFlashState *s,
                                       uint32_t offset, uint32_t len)
{
    memory_region_flush_rom_device(&s->array, offset, len);
    if (s->dirty_lo < s->dirty_hi &&
        (offset > s->dirty_hi || offset + len < s->dirty_lo)) {
        stm32f4xx_flash_flush(s);
    }
    if (s->dirty_lo >= s->dirty_hi) {
        s->dirty_lo = offset;
        s->dirty_hi = offset + len;
        return;
    }
    s->dirty_lo = MIN(s->dirty_lo, offset);
    s->dirty_hi = MAX(s->dirty_hi, offset + len);
}

static void stm32f4xx_flash_persist_options(STM32F4xxFlashState *s)
{
    int ret;

    if (!s->blk || !s->persist_options || !blk_is_writable(s->blk)) {
        return;
    }
    ret = blk_pwrite(s->blk, STM32F4XX_FLASH_SIZE, STM32F4XX_FLASH_OPT_SIZE,
                     s->opt_bytes, 0);
    if (ret < 0) {
        error_report("stm32f4xx-flash: cannot update the option bytes: %s",
                     strerror(-ret));
    }
}

static uint32_t stm32f4xx_flash_optcr_of_bytes(const uint8_t *b)
{
    uint32_t nwrp = (b[8] | (b[9] << 8)) & FLASH_OPTCR_NWRP_MASK;

    return (nwrp << FLASH_OPTCR_NWRP_SHIFT) | (b[1] << FLASH_OPTCR_RDP_SHIFT) |
           (b[0] & FLASH_OPTCR_USER_MASK) | FLASH_OPTCR_OPTLOCK;
}

/* Apply the operation in progress: programming only clears bits (RM0090 3.6.4) */
static void stm32f4xx_flash_apply(STM32F4xxFlashState *s)
{
    uint8_t *p = s->storage + s->op_offset;
    uint32_t i;

    if (s->op == STM32F4XX_FLASH_OP_PROGRAM) {
        memcpy(s->op_old, p, s->op_len);
    }
    if (s->op_nostick) {
        s->op_nostick = false;
        return;
    }
    switch (s->op) {
    case STM32F4XX_FLASH_OP_PROGRAM:
        for (i = 0; i < s->op_len; i++) {
            uint8_t v = s->op_data >> (8 * i);

            if ((p[i] & v) != v) {
                s->overprogram_count++;
                trace_stm32f4xx_flash_overprogram(s->op_offset + i, p[i], v);
            }
            p[i] &= v;
        }
        stm32f4xx_flash_mark_dirty(s, s->op_offset, s->op_len);
        break;
    case STM32F4XX_FLASH_OP_SECTOR_ERASE:
    case STM32F4XX_FLASH_OP_MASS_ERASE:
        memset(p, 0xFF, s->op_len);
        stm32f4xx_flash_persist(s, s->op_offset, s->op_len);
        break;
    case STM32F4XX_FLASH_OP_OPTION:
        s->opt_bytes[0] = (s->opt_bytes[0] & ~FLASH_OPTCR_USER_MASK) |
                          (s->optcr & FLASH_OPTCR_USER_MASK);
        s->opt_bytes[1] = s->optcr >> FLASH_OPTCR_RDP_SHIFT;
        s->opt_bytes[8] = s->optcr >> FLASH_OPTCR_NWRP_SHIFT;
        s->opt_bytes[9] = (s->opt_bytes[9] & 0xF0) |
                          ((s->optcr >> (FLASH_OPTCR_NWRP_SHIFT + 8)) & 0x0F);
        stm32f4xx_flash_persist_options(s);
        break;
    default:
        break;
    }
}

static void stm32f4xx_flash_erase_done(STM32F4xxFlashState *s);

/*
 * The CPU executes from this Flash: while an operation runs, its next
 * instruction fetch stalls on the bus until the operation ends (RM0090
 * 3.5.2: a Flash read while BSY stalls; 3.6.3, 3.6.4). Called when an
 * operation starts and at each FLASH_SR read that finds BSY: under
 * -icount the time left is accounted to the CPU as a stall
 * (icount_stall), up to its next timer deadline, so a BSY poll loop runs
 * once or twice instead of once per instruction time of the wait. An
 * interrupt due first is taken meanwhile (the model does not stall its
 * vector fetch); the poll after it stalls for the rest.
 */
static void stm32f4xx_flash_stall(STM32F4xxFlashState *s)
{
    int64_t left;

    if (!s->fetch_stall || s->cut_off || !(s->sr & FLASH_SR_BSY)) {
        return;
    }
    left = s->op_end_ns - qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    if (left > 0 && icount_stall(left) > 0) {
        trace_stm32f4xx_flash_stall(s->op, left);
        s->stall_count++;
    }
}

/* End of the operation in progress: BSY and STRT clear, EOP if EOPIE */
static void stm32f4xx_flash_complete(STM32F4xxFlashState *s)
{
    if (!(s->sr & FLASH_SR_BSY) || s->cut_off) {
        return;
    }
    timer_del(s->op_timer);
    if (s->op != STM32F4XX_FLASH_OP_PROGRAM) {
        stm32f4xx_flash_apply(s); /* a program changed the cells at its start */
    }
    trace_stm32f4xx_flash_op_done(s->op, s->op_offset, s->op_len);
    stm32f4xx_flash_erase_done(s);
    s->op = STM32F4XX_FLASH_OP_NONE;
    s->op_count++;
    s->sr &= ~FLASH_SR_BSY;
    s->cr &= ~FLASH_CR_STRT;
    if (s->cr & FLASH_CR_EOPIE) {
        s->sr |= FLASH_SR_EOP;
    }
    stm32f4xx_flash_update_irq(s);
}

static void stm32f4xx_flash_op_timer_cb(void *opaque)
{
    stm32f4xx_flash_complete(STM32F4XX_FLASH(opaque));
}

/*
 * A word program without EOPIE has no timer: it ends when the interface
 * is next looked at at or after its end time. In icount mode the virtual
 * clock read from a register access is exact, so the guest sees SR.BSY
 * clear at the same instruction as with a timer.
 */
static void stm32f4xx_flash_catch_up(STM32F4xxFlashState *s)
{
    if ((s->sr & FLASH_SR_BSY) && !s->cut_off &&
        s->op == STM32F4XX_FLASH_OP_PROGRAM && !timer_pending(s->op_timer) &&
        qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) >= s->op_end_ns) {
        stm32f4xx_flash_complete(s);
    }
}

/* FLASH_SR flags of Stm32FlashErrorFlag, in its order (RM0090 3.9.4) */
static const uint32_t stm32f4xx_flash_fault_flag[STM32_FLASH_ERROR_FLAG__MAX] = {
    [STM32_FLASH_ERROR_FLAG_WRPERR] = FLASH_SR_WRPERR,
    [STM32_FLASH_ERROR_FLAG_PGAERR] = FLASH_SR_PGAERR,
    [STM32_FLASH_ERROR_FLAG_PGPERR] = FLASH_SR_PGPERR,
    [STM32_FLASH_ERROR_FLAG_PGSERR] = FLASH_SR_PGSERR,
};

/* A fault (1 + Stm32FlashFaultKind, 0: none) that cuts the power */
static bool stm32f4xx_flash_fault_cuts(uint32_t fault)
{
    return fault != 0 && fault - 1 <= STM32_FLASH_FAULT_KIND_CUT_ALL;
}

/*
 * Is a new operation (@program: a program sequence, else an erase) whose
 * first byte is at main-memory offset @offset the one fault_at counts
 * down to? @return 1 + the Stm32FlashFaultKind to apply to it, or 0.
 */
static uint32_t stm32f4xx_flash_fault_due(STM32F4xxFlashState *s, bool program,
                                          uint32_t offset)
{
    uint32_t addr = STM32F4XX_FLASH_BASE + offset;

    if (s->fault_at == 0 || addr < s->fault_addr_lo || addr > s->fault_addr_hi ||
        (program && s->fault_ops == STM32_FLASH_FAULT_OPS_ERASE) ||
        (!program && s->fault_ops == STM32_FLASH_FAULT_OPS_PROGRAM)) {
        return 0;
    }
    if (--s->fault_at != 0) {
        return 0;
    }
    s->fault_hits++;
    return 1 + s->fault_kind;
}

/* @len bytes at @p as hexadecimal text (to be freed by the caller) */
static char *stm32f4xx_flash_hex(const uint8_t *p, uint32_t len)
{
    static const char digit[] = "0123456789abcdef";
    char *t = g_malloc(2 * len + 1);
    uint32_t i;

    for (i = 0; i < len; i++) {
        t[2 * i] = digit[p[i] >> 4];
        t[2 * i + 1] = digit[p[i] & 15];
    }
    t[2 * len] = '\0';
    return t;
}

/*
 * Report operation @num that ended: the QMP event STM32_FLASH_OP, or with
 * @fault (1 + Stm32FlashFaultKind) STM32_FLASH_FAULT and, with fault-stop,
 * stop the VM. @data: a program sequence's @len bytes (NULL: an erase).
 */
static void stm32f4xx_flash_report(STM32F4xxFlashState *s, uint32_t num,
                                   uint32_t op, uint32_t offset, uint32_t len,
                                   const uint8_t *data, uint32_t fault)
{
    g_autofree char *path = object_get_canonical_path(OBJECT(s));
    g_autofree char *hex = data ? stm32f4xx_flash_hex(data, len) : NULL;
    bool sector = op == STM32F4XX_FLASH_OP_SECTOR_ERASE;
    Stm32FlashOpKind kind = op == STM32F4XX_FLASH_OP_PROGRAM ?
        STM32_FLASH_OP_KIND_PROGRAM : sector ? STM32_FLASH_OP_KIND_SECTOR_ERASE :
        STM32_FLASH_OP_KIND_MASS_ERASE;
    uint32_t addr = STM32F4XX_FLASH_BASE + offset;
    uint32_t snb = stm32f4xx_flash_sector_of(offset);

    if (!fault) {
        qapi_event_send_stm32_flash_op(path, num, kind, addr, len, sector, snb,
                                       hex != NULL, hex,
                                       data ? s->seq_error : 0);
        return;
    }
    trace_stm32f4xx_flash_fault(op, offset, len, Stm32FlashFaultKind_str(fault - 1));
    qapi_event_send_stm32_flash_fault(path, num, kind, addr, len, sector, snb,
                                      hex != NULL, hex, fault - 1);
    if (s->fault_stop) {
        vm_stop(RUN_STATE_PAUSED);
    }
}

/*
 * Leave an operation the power cut (@how, a cut-* kind) torn as fota-hil's
 * flash model does (harness/target/flashmodel.c, enum hil_torn): a program
 * sequence of @data programs none of its bytes, its first (len / 2) & ~3,
 * old & (data | 0x55) in every byte, or all; an erase leaves the area
 * unchanged, its first half 0xFF, old | 0x55 in every byte, or all 0xFF.
 * Programming only clears bits (RM0090 3.6.4). Written to the image.
 */
static void stm32f4xx_flash_tear(STM32F4xxFlashState *s, uint32_t how,
                                 uint32_t offset, uint32_t len,
                                 const uint8_t *data)
{
    uint8_t *p = s->storage + offset;
    uint32_t i, n = len;

    if (how == STM32_FLASH_FAULT_KIND_CUT_NONE) {
        return;
    }
    if (data) {
        if (how == STM32_FLASH_FAULT_KIND_CUT_HALF) {
            n = (len / 2) & ~3u;
        }
        for (i = 0; i < n; i++) {
            p[i] &= how == STM32_FLASH_FAULT_KIND_CUT_BITS ? data[i] | 0x55 : data[i];
        }
    } else if (how == STM32_FLASH_FAULT_KIND_CUT_BITS) {
        for (i = 0; i < len; i++) {
            p[i] |= 0x55;
        }
    } else {
        memset(p, 0xFF, how == STM32_FLASH_FAULT_KIND_CUT_HALF ? len / 2 : len);
    }
    stm32f4xx_flash_persist(s, offset, len);
}

/*
 * End the program sequence in progress: report it, or apply the fault that
 * hit it (a cut: the torn state, BSY left set, the interface dead until
 * reset; the words of a cut or no-stick sequence never changed the cells).
 */
static void stm32f4xx_flash_seq_end(STM32F4xxFlashState *s)
{
    if (!s->seq_active) {
        return;
    }
    s->seq_active = false;
    stm32f4xx_flash_flush(s); /* in the image before the event reports it */
    trace_stm32f4xx_flash_seq_end(s->seq_num, s->seq_offset, s->seq_len,
                                  s->seq_error);
    if (stm32f4xx_flash_fault_cuts(s->seq_fault)) {
        stm32f4xx_flash_tear(s, s->seq_fault - 1, s->seq_offset, s->seq_len,
                             s->seq_data);
        s->sr |= FLASH_SR_BSY;
        s->cut_off = true;
    }
    stm32f4xx_flash_report(s, s->seq_num, STM32F4XX_FLASH_OP_PROGRAM,
                           s->seq_offset, s->seq_len, s->seq_data, s->seq_fault);
}

/*
 * A write of @size bytes at main-memory offset @offset with PG set
 * (RM0090 3.6.4): it continues the program sequence in progress, or ends
 * it and begins a new one (numbered, and counted by an armed fault).
 */
static void stm32f4xx_flash_seq_write(STM32F4xxFlashState *s, uint32_t offset,
                                      uint64_t value, unsigned size)
{
    if (s->seq_active && (offset != s->seq_offset + s->seq_len ||
                          s->seq_len + size > STM32F4XX_FLASH_SEQ_MAX)) {
        stm32f4xx_flash_seq_end(s);
        if (s->cut_off) {
            return;
        }
    }
    if (!s->seq_active) {
        s->seq_active = true;
        s->seq_offset = offset;
        s->seq_len = 0;
        s->seq_error = 0;
        s->seq_num = ++s->op_seq;
        s->seq_fault = stm32f4xx_flash_fault_due(s, true, offset);
        trace_stm32f4xx_flash_seq_start(s->seq_num, offset);
    }
    stn_le_p(s->seq_data + s->seq_len, size, value);
    s->seq_len += size;
}

static void stm32f4xx_flash_start(STM32F4xxFlashState *s, uint32_t op,
                                  uint32_t offset, uint32_t len, int64_t ns)
{
    s->op = op;
    s->op_offset = offset;
    s->op_len = len;
    s->op_nostick = false;
    s->sr |= FLASH_SR_BSY;
    s->op_end_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + ns;
    trace_stm32f4xx_flash_op_start(op, offset, len, ns);
    if (op != STM32F4XX_FLASH_OP_PROGRAM || (s->cr & FLASH_CR_EOPIE)) {
        timer_mod(s->op_timer, s->op_end_ns);
    }
}

/* Start erase @op of [@offset, +@len): number it, apply an armed fault */
static void stm32f4xx_flash_erase_begin(STM32F4xxFlashState *s, uint32_t op,
                                        uint32_t offset, uint32_t len,
                                        int64_t ns)
{
    uint32_t fault = stm32f4xx_flash_fault_due(s, false, offset);

    stm32f4xx_flash_flush(s);
    s->op_num = ++s->op_seq;
    s->op_fault = fault;
    if (fault == 1 + STM32_FLASH_FAULT_KIND_ERROR) {
        stm32f4xx_flash_error(s, stm32f4xx_flash_fault_flag[s->fault_flag]);
        stm32f4xx_flash_report(s, s->op_num, op, offset, len, NULL, fault);
        return;
    }
    s->cr |= FLASH_CR_STRT;
    stm32f4xx_flash_start(s, op, offset, len, ns);
    if (stm32f4xx_flash_fault_cuts(fault)) {
        timer_del(s->op_timer);
        s->cut_off = true;
        stm32f4xx_flash_tear(s, fault - 1, offset, len, NULL);
        stm32f4xx_flash_report(s, s->op_num, op, offset, len, NULL, fault);
        return;
    }
    s->op_nostick = fault != 0;
    stm32f4xx_flash_stall(s);
}

/* An erase ended (its time ran out): report it */
static void stm32f4xx_flash_erase_done(STM32F4xxFlashState *s)
{
    if (s->op == STM32F4XX_FLASH_OP_SECTOR_ERASE ||
        s->op == STM32F4XX_FLASH_OP_MASS_ERASE) {
        stm32f4xx_flash_report(s, s->op_num, s->op, s->op_offset, s->op_len,
                               NULL, s->op_fault);
        s->op_fault = 0;
    }
}

/* STRT with SER or MER (RM0090 3.6.3 "Erase") */
static void stm32f4xx_flash_start_erase(STM32F4xxFlashState *s)
{
    unsigned psize = stm32f4xx_flash_psize(s);
    unsigned snb = (s->cr >> FLASH_CR_SNB_SHIFT) & FLASH_CR_SNB_MASK;
    unsigned i;
    uint32_t size;
    int64_t ns;

    if ((s->cr & FLASH_CR_PG) ||
        !!(s->cr & FLASH_CR_SER) == !!(s->cr & FLASH_CR_MER)) {
        stm32f4xx_flash_error(s, FLASH_SR_PGSERR);
        return;
    }
    if (s->cr & FLASH_CR_MER) {
        for (i = 0; i < STM32F4XX_FLASH_SECTORS; i++) {
            if (stm32f4xx_flash_write_protected(s, i)) {
                stm32f4xx_flash_error(s, FLASH_SR_WRPERR);
                return;
            }
        }
        stm32f4xx_flash_erase_begin(s, STM32F4XX_FLASH_OP_MASS_ERASE, 0,
                                    STM32F4XX_FLASH_SIZE,
                                    flash_t_mass_erase_ns[psize]);
        return;
    }
    if (snb >= STM32F4XX_FLASH_SECTORS) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: SNB %u: no such sector on a "
                      "1 Mbyte part\n", __func__, snb);
        stm32f4xx_flash_error(s, FLASH_SR_PGSERR);
        return;
    }
    if (stm32f4xx_flash_write_protected(s, snb)) {
        stm32f4xx_flash_error(s, FLASH_SR_WRPERR);
        return;
    }
    size = stm32f4xx_flash_sector_size(snb);
    ns = size == 16 * KiB ? flash_t_erase16k_ns[psize] :
         size == 64 * KiB ? flash_t_erase64k_ns[psize] : flash_t_erase128k_ns[psize];
    stm32f4xx_flash_erase_begin(s, STM32F4XX_FLASH_OP_SECTOR_ERASE,
                                stm32f4xx_flash_sector_offset(snb), size, ns);
}

/* OPTSTRT (RM0090 3.7.2); leaving level 1 for level 0 mass-erases (3.7.3) */
static void stm32f4xx_flash_start_option(STM32F4xxFlashState *s)
{
    uint8_t old_rdp = s->opt_bytes[1];
    uint8_t new_rdp = s->optcr >> FLASH_OPTCR_RDP_SHIFT;

    if (old_rdp == FLASH_RDP_LEVEL2) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: RDP level 2: the option bytes "
                      "can no longer be changed\n", __func__);
        s->optcr = stm32f4xx_flash_optcr_of_bytes(s->opt_bytes) &
                   ~FLASH_OPTCR_OPTLOCK;
        return;
    }
    if (old_rdp != FLASH_RDP_LEVEL0 && new_rdp == FLASH_RDP_LEVEL0) {
        memset(s->storage, 0xFF, STM32F4XX_FLASH_SIZE);
        stm32f4xx_flash_persist(s, 0, STM32F4XX_FLASH_SIZE);
    }
    stm32f4xx_flash_start(s, STM32F4XX_FLASH_OP_OPTION, 0, 0,
                          flash_t_erase16k_ns[stm32f4xx_flash_psize(s)]);
    stm32f4xx_flash_stall(s);
}

static uint64_t stm32f4xx_flash_read(void *opaque, hwaddr addr, unsigned size)
{
    STM32F4xxFlashState *s = STM32F4XX_FLASH(opaque);
    uint64_t r = 0;

    stm32f4xx_flash_catch_up(s);
    switch (addr) {
    case FLASH_ACR:
        r = s->acr;
        break;
    case FLASH_KEYR:
    case FLASH_OPTKEYR:
        r = 0;  /* write-only */
        break;
    case FLASH_SR:
        r = s->sr;
        stm32f4xx_flash_stall(s); /* the poll's next fetch waits for the end */
        break;
    case FLASH_CR:
        r = s->cr;
        break;
    case FLASH_OPTCR:
        r = s->optcr;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
        break;
    }
    trace_stm32f4xx_flash_read(addr, r);
    return r;
}

/*
 * KEYR/OPTKEYR: KEY1 then KEY2 unlock; any other write (also one made while
 * unlocked) is a bus error and locks the register until reset (RM0090 3.6.1).
 */
static MemTxResult stm32f4xx_flash_key(uint32_t value, uint32_t key1,
                                       uint32_t key2, bool locked,
                                       uint8_t *index, bool *lockout,
                                       bool *unlock)
{
    *unlock = false;
    if (!*lockout && locked && value == (*index == 0 ? key1 : key2)) {
        *index = *index == 0 ? 1 : 0;
        *unlock = *index == 0;
        return MEMTX_OK;
    }
    *index = 0;
    *lockout = true;
    return MEMTX_ERROR;
}

static void stm32f4xx_flash_write_cr(STM32F4xxFlashState *s, uint32_t value)
{
    if (s->cut_off) {
        return;
    }
    if (s->cr & FLASH_CR_LOCK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: FLASH_CR is locked\n", __func__);
        return;
    }
    if (s->sr & FLASH_SR_BSY) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: FLASH_CR written while BSY\n",
                      __func__);
        return;
    }
    if (s->seq_active && (!(value & FLASH_CR_PG) || (value & FLASH_CR_LOCK))) {
        stm32f4xx_flash_seq_end(s); /* the program sequence is over */
        if (s->cut_off) {
            return;
        }
    }
    s->cr = (value & FLASH_CR_MASK) | (value & FLASH_CR_LOCK);
    if (value & FLASH_CR_STRT) {
        stm32f4xx_flash_start_erase(s);
    }
    stm32f4xx_flash_update_irq(s);
}

static void stm32f4xx_flash_write_optcr(STM32F4xxFlashState *s, uint32_t value)
{
    if (s->optcr & FLASH_OPTCR_OPTLOCK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: FLASH_OPTCR is locked\n", __func__);
        return;
    }
    if (s->sr & FLASH_SR_BSY) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: FLASH_OPTCR written while BSY\n",
                      __func__);
        return;
    }
    s->optcr = (value & FLASH_OPTCR_MASK) | (value & FLASH_OPTCR_OPTLOCK);
    if (value & FLASH_OPTCR_OPTSTRT) {
        stm32f4xx_flash_start_option(s);
    }
}

static MemTxResult stm32f4xx_flash_write(void *opaque, hwaddr addr,
                                         uint64_t val64, unsigned size,
                                         MemTxAttrs attrs)
{
    STM32F4xxFlashState *s = STM32F4XX_FLASH(opaque);
    uint32_t value = val64;
    MemTxResult r = MEMTX_OK;
    bool unlock;

    trace_stm32f4xx_flash_write(addr, value);
    stm32f4xx_flash_catch_up(s);
    switch (addr) {
    case FLASH_ACR:
        s->acr = value & FLASH_ACR_MASK;
        break;
    case FLASH_KEYR:
        r = stm32f4xx_flash_key(value, FLASH_KEY1, FLASH_KEY2,
                                s->cr & FLASH_CR_LOCK, &s->key_index,
                                &s->key_lockout, &unlock);
        if (unlock) {
            s->cr &= ~FLASH_CR_LOCK;
        } else if (s->key_lockout) {
            s->cr |= FLASH_CR_LOCK;
        }
        break;
    case FLASH_OPTKEYR:
        r = stm32f4xx_flash_key(value, FLASH_OPTKEY1, FLASH_OPTKEY2,
                                s->optcr & FLASH_OPTCR_OPTLOCK,
                                &s->optkey_index, &s->optkey_lockout, &unlock);
        if (unlock) {
            s->optcr &= ~FLASH_OPTCR_OPTLOCK;
        } else if (s->optkey_lockout) {
            s->optcr |= FLASH_OPTCR_OPTLOCK;
        }
        break;
    case FLASH_SR:
        s->sr &= ~(value & FLASH_SR_W1C);
        stm32f4xx_flash_update_irq(s);
        break;
    case FLASH_CR:
        stm32f4xx_flash_write_cr(s, value);
        break;
    case FLASH_OPTCR:
        stm32f4xx_flash_write_optcr(s, value);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: bad offset 0x%" HWADDR_PRIx "\n",
                      __func__, addr);
        break;
    }
    if (r != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: wrong key sequence: register "
                      "locked until reset\n", __func__);
    }
    return r;
}

static const MemoryRegionOps stm32f4xx_flash_ops = {
    .read = stm32f4xx_flash_read,
    .write_with_attrs = stm32f4xx_flash_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 4,
    .valid.max_access_size = 4,
};

/*
 * A CPU write into the main memory (RM0090 3.6.4 "Programming"). A write
 * while BSY stalls on silicon until the operation ends: it ends it here.
 */
static void stm32f4xx_flash_array_write(void *opaque, hwaddr addr,
                                        uint64_t value, unsigned size)
{
    STM32F4xxFlashState *s = STM32F4XX_FLASH(opaque);
    uint32_t flag = 0;

    trace_stm32f4xx_flash_array_write(addr, value, size);
    if (s->cut_off) {
        return; /* the power is gone */
    }
    stm32f4xx_flash_complete(s);
    if (!(s->cr & FLASH_CR_PG) || (s->cr & (FLASH_CR_SER | FLASH_CR_MER))) {
        stm32f4xx_flash_error(s, FLASH_SR_PGSERR);
        return;
    }
    stm32f4xx_flash_seq_write(s, addr, value, size);
    if (s->cut_off) {
        return;
    }
    if (s->seq_fault == 1 + STM32_FLASH_FAULT_KIND_ERROR) {
        flag = stm32f4xx_flash_fault_flag[s->fault_flag];
    } else if (size != (1u << stm32f4xx_flash_psize(s))) {
        flag = FLASH_SR_PGPERR;
    } else if ((addr & 15) + size > 16) {
        flag = FLASH_SR_PGAERR;
    } else if (stm32f4xx_flash_write_protected(s, stm32f4xx_flash_sector_of(addr))) {
        flag = FLASH_SR_WRPERR;
    }
    if (flag) {
        s->seq_error |= flag;
        stm32f4xx_flash_error(s, flag);
        return;
    }
    s->op_data = value;
    stm32f4xx_flash_start(s, STM32F4XX_FLASH_OP_PROGRAM, addr, size,
                          FLASH_T_PROG_NS);
    /* cut-*: applied torn when the sequence ends; no-stick: never */
    s->op_nostick = s->seq_fault != 0;
    stm32f4xx_flash_apply(s); /* what a read after the stall returns */
    stm32f4xx_flash_stall(s);
}

/* Only used outside ROMD mode; the model keeps ROMD mode on. */
static uint64_t stm32f4xx_flash_array_read(void *opaque, hwaddr addr,
                                           unsigned size)
{
    STM32F4xxFlashState *s = STM32F4XX_FLASH(opaque);

    return ldn_le_p(s->storage + addr, size);
}

static const MemoryRegionOps stm32f4xx_flash_array_ops = {
    .read = stm32f4xx_flash_array_read,
    .write = stm32f4xx_flash_array_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 1,
    .valid.max_access_size = 4,
    .valid.unaligned = true,
    .impl.unaligned = true,
};

/* System reset: an operation in progress is lost (the array keeps its old
 * contents), the registers return to their reset values (RM0090 3.9). */
static void stm32f4xx_flash_reset(DeviceState *dev)
{
    STM32F4xxFlashState *s = STM32F4XX_FLASH(dev);

    stm32f4xx_flash_catch_up(s);
    if (s->sr & FLASH_SR_BSY) {
        trace_stm32f4xx_flash_op_aborted(s->op, s->op_offset, s->op_len);
        if (s->op == STM32F4XX_FLASH_OP_PROGRAM && !s->cut_off) {
            /* the word changed the cells at its start: lost, restore them */
            memcpy(s->storage + s->op_offset, s->op_old, s->op_len);
            stm32f4xx_flash_mark_dirty(s, s->op_offset, s->op_len);
        }
    }
    /* A program sequence ends (a faulted one is dropped, unreported) */
    if (s->seq_active && s->seq_fault) {
        s->seq_active = false;
    }
    if (!s->cut_off) {
        stm32f4xx_flash_seq_end(s);
    }
    s->seq_active = false;
    stm32f4xx_flash_flush(s);
    s->cut_off = false;
    s->op_fault = 0;
    timer_del(s->op_timer);
    s->op = STM32F4XX_FLASH_OP_NONE;
    s->acr = 0;
    s->sr = 0;
    s->cr = FLASH_CR_RESET;
    s->optcr = stm32f4xx_flash_optcr_of_bytes(s->opt_bytes);
    s->key_index = 0;
    s->optkey_index = 0;
    s->key_lockout = false;
    s->optkey_lockout = false;
    stm32f4xx_flash_update_irq(s);
}

static void stm32f4xx_flash_load(STM32F4xxFlashState *s, Error **errp)
{
    int64_t len = blk_getlength(s->blk);
    uint64_t perm;

    perm = BLK_PERM_CONSISTENT_READ |
           (blk_supports_write_perm(s->blk) ? BLK_PERM_WRITE : 0);
    if (blk_set_perm(s->blk, perm, BLK_PERM_ALL, errp) < 0) {
        return;
    }
    /* The block layer reports lengths rounded up to 512 bytes */
    if (len != STM32F4XX_FLASH_SIZE &&
        len != ROUND_UP(STM32F4XX_FLASH_SIZE + STM32F4XX_FLASH_OPT_SIZE,
                        BDRV_SECTOR_SIZE)) {
        error_setg(errp, "stm32f4xx-flash: the image must be %d bytes (main "
                   "memory) or %d (main memory and option bytes), not %" PRId64,
                   STM32F4XX_FLASH_SIZE,
                   STM32F4XX_FLASH_SIZE + STM32F4XX_FLASH_OPT_SIZE, len);
        return;
    }
    if (blk_pread(s->blk, 0, STM32F4XX_FLASH_SIZE, s->storage, 0) < 0) {
        error_setg(errp, "stm32f4xx-flash: cannot read the flash image");
        return;
    }
    s->persist_options = len > STM32F4XX_FLASH_SIZE;
    if (s->persist_options &&
        blk_pread(s->blk, STM32F4XX_FLASH_SIZE, STM32F4XX_FLASH_OPT_SIZE,
                  s->opt_bytes, 0) < 0) {
        error_setg(errp, "stm32f4xx-flash: cannot read the option bytes");
    }
}

/* The VM stops (a breakpoint, QMP stop, a fault): the image is complete
 * before anyone reads it or ends the process */
static void stm32f4xx_flash_vm_state_change(void *opaque, bool running,
                                            RunState state)
{
    if (!running) {
        stm32f4xx_flash_flush(STM32F4XX_FLASH(opaque));
    }
}

static void stm32f4xx_flash_realize(DeviceState *dev, Error **errp)
{
    ERRP_GUARD();
    STM32F4xxFlashState *s = STM32F4XX_FLASH(dev);
    SysBusDevice *sbd = SYS_BUS_DEVICE(dev);

    memory_region_init_io(&s->iomem, OBJECT(dev), &stm32f4xx_flash_ops, s,
                          TYPE_STM32F4XX_FLASH, STM32F4XX_FLASH_REGS_SIZE);
    memory_region_init_rom_device(&s->array, OBJECT(dev),
                                  &stm32f4xx_flash_array_ops, s,
                                  "stm32f4xx.flash", STM32F4XX_FLASH_SIZE, errp);
    if (*errp) {
        return;
    }
    s->storage = memory_region_get_ram_ptr(&s->array);
    memset(s->storage, 0xFF, STM32F4XX_FLASH_SIZE);
    memcpy(s->opt_bytes, stm32f4xx_flash_opt_default, sizeof(s->opt_bytes));
    if (s->blk) {
        stm32f4xx_flash_load(s, errp);
        if (*errp) {
            return;
        }
    }
    s->op_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, stm32f4xx_flash_op_timer_cb, s);
    s->vmstate_change = qemu_add_vm_change_state_handler(
        stm32f4xx_flash_vm_state_change, s);
    sysbus_init_mmio(sbd, &s->iomem);
    sysbus_init_mmio(sbd, &s->array);
    sysbus_init_irq(sbd, &s->irq);
}

static int stm32f4xx_flash_get_fault_kind(Object *obj, Error **errp)
{
    return STM32F4XX_FLASH(obj)->fault_kind;
}

static void stm32f4xx_flash_set_fault_kind(Object *obj, int value, Error **errp)
{
    STM32F4XX_FLASH(obj)->fault_kind = value;
}

static int stm32f4xx_flash_get_fault_ops(Object *obj, Error **errp)
{
    return STM32F4XX_FLASH(obj)->fault_ops;
}

static void stm32f4xx_flash_set_fault_ops(Object *obj, int value, Error **errp)
{
    STM32F4XX_FLASH(obj)->fault_ops = value;
}

static int stm32f4xx_flash_get_fault_flag(Object *obj, Error **errp)
{
    return STM32F4XX_FLASH(obj)->fault_flag;
}

static void stm32f4xx_flash_set_fault_flag(Object *obj, int value, Error **errp)
{
    STM32F4XX_FLASH(obj)->fault_flag = value;
}

static bool stm32f4xx_flash_get_fault_stop(Object *obj, Error **errp)
{
    return STM32F4XX_FLASH(obj)->fault_stop;
}

static void stm32f4xx_flash_set_fault_stop(Object *obj, bool value, Error **errp)
{
    STM32F4XX_FLASH(obj)->fault_stop = value;
}

/*
 * Fault injection is a set of QOM properties (qom-set over QMP), not QMP
 * commands of its own: a knob of one device belongs on that device, where
 * qom-list shows it and the types come from the QAPI enums; only the
 * events needed the QAPI schema (qapi/stm32.json).
 */
static void stm32f4xx_flash_init_faults(Object *obj, STM32F4xxFlashState *s)
{
    object_property_add_uint32_ptr(obj, "fault-hits", &s->fault_hits,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint32_ptr(obj, "fault-at", &s->fault_at,
                                   OBJ_PROP_FLAG_READWRITE);
    s->fault_addr_lo = STM32F4XX_FLASH_BASE;
    s->fault_addr_hi = STM32F4XX_FLASH_BASE + STM32F4XX_FLASH_SIZE - 1;
    object_property_add_uint32_ptr(obj, "fault-addr-lo", &s->fault_addr_lo,
                                   OBJ_PROP_FLAG_READWRITE);
    object_property_add_uint32_ptr(obj, "fault-addr-hi", &s->fault_addr_hi,
                                   OBJ_PROP_FLAG_READWRITE);
    object_property_add_enum(obj, "fault-kind", "Stm32FlashFaultKind",
                             &Stm32FlashFaultKind_lookup,
                             stm32f4xx_flash_get_fault_kind,
                             stm32f4xx_flash_set_fault_kind);
    object_property_add_enum(obj, "fault-ops", "Stm32FlashFaultOps",
                             &Stm32FlashFaultOps_lookup,
                             stm32f4xx_flash_get_fault_ops,
                             stm32f4xx_flash_set_fault_ops);
    object_property_add_enum(obj, "fault-flag", "Stm32FlashErrorFlag",
                             &Stm32FlashErrorFlag_lookup,
                             stm32f4xx_flash_get_fault_flag,
                             stm32f4xx_flash_set_fault_flag);
    s->fault_stop = true;
    object_property_add_bool(obj, "fault-stop", stm32f4xx_flash_get_fault_stop,
                             stm32f4xx_flash_set_fault_stop);
}

/* op-count: a word program whose time has passed counts as finished */
static void stm32f4xx_flash_get_op_count(Object *obj, Visitor *v,
                                         const char *name, void *opaque,
                                         Error **errp)
{
    STM32F4xxFlashState *s = STM32F4XX_FLASH(obj);

    stm32f4xx_flash_catch_up(s);
    visit_type_uint32(v, name, &s->op_count, errp);
}

static void stm32f4xx_flash_init(Object *obj)
{
    STM32F4xxFlashState *s = STM32F4XX_FLASH(obj);

    object_property_add(obj, "op-count", "uint32",
                        stm32f4xx_flash_get_op_count, NULL, NULL, NULL);
    object_property_add_uint32_ptr(obj, "op-seq", &s->op_seq,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint32_ptr(obj, "overprogram-count",
                                   &s->overprogram_count, OBJ_PROP_FLAG_READ);
    object_property_add_uint32_ptr(obj, "stall-count", &s->stall_count,
                                   OBJ_PROP_FLAG_READ);
    stm32f4xx_flash_init_faults(obj, s);
}

static const VMStateDescription vmstate_stm32f4xx_flash = {
    .name = TYPE_STM32F4XX_FLASH,
    .version_id = 4,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(acr, STM32F4xxFlashState),
        VMSTATE_UINT32(sr, STM32F4xxFlashState),
        VMSTATE_UINT32(cr, STM32F4xxFlashState),
        VMSTATE_UINT32(optcr, STM32F4xxFlashState),
        VMSTATE_UINT8_ARRAY(opt_bytes, STM32F4xxFlashState,
                            STM32F4XX_FLASH_OPT_SIZE),
        VMSTATE_UINT8(key_index, STM32F4xxFlashState),
        VMSTATE_UINT8(optkey_index, STM32F4xxFlashState),
        VMSTATE_BOOL(key_lockout, STM32F4xxFlashState),
        VMSTATE_BOOL(optkey_lockout, STM32F4xxFlashState),
        VMSTATE_UINT32(op, STM32F4xxFlashState),
        VMSTATE_UINT32(op_offset, STM32F4xxFlashState),
        VMSTATE_UINT32(op_len, STM32F4xxFlashState),
        VMSTATE_UINT32(op_data, STM32F4xxFlashState),
        VMSTATE_UINT32(op_count, STM32F4xxFlashState),
        VMSTATE_UINT32(overprogram_count, STM32F4xxFlashState),
        VMSTATE_TIMER_PTR(op_timer, STM32F4xxFlashState),
        /* version 2: program sequences, operation numbers, faults */
        VMSTATE_BOOL_V(op_nostick, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(op_num, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(op_fault, STM32F4xxFlashState, 2),
        VMSTATE_BOOL_V(cut_off, STM32F4xxFlashState, 2),
        VMSTATE_BOOL_V(seq_active, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(seq_offset, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(seq_len, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(seq_error, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(seq_num, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(seq_fault, STM32F4xxFlashState, 2),
        VMSTATE_UINT8_ARRAY_V(seq_data, STM32F4xxFlashState,
                              STM32F4XX_FLASH_SEQ_MAX, 2),
        VMSTATE_UINT32_V(op_seq, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(fault_at, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(fault_addr_lo, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(fault_addr_hi, STM32F4xxFlashState, 2),
        VMSTATE_INT32_V(fault_kind, STM32F4xxFlashState, 2),
        VMSTATE_INT32_V(fault_ops, STM32F4xxFlashState, 2),
        VMSTATE_INT32_V(fault_flag, STM32F4xxFlashState, 2),
        VMSTATE_BOOL_V(fault_stop, STM32F4xxFlashState, 2),
        VMSTATE_UINT32_V(fault_hits, STM32F4xxFlashState, 2),
        /* version 3: a word program ends by virtual time, not a timer */
        VMSTATE_INT64_V(op_end_ns, STM32F4xxFlashState, 3),
        VMSTATE_UINT8_ARRAY_V(op_old, STM32F4xxFlashState, 4, 3),
        VMSTATE_UINT32_V(dirty_lo, STM32F4xxFlashState, 3),
        VMSTATE_UINT32_V(dirty_hi, STM32F4xxFlashState, 3),
        /* version 4: stalls of the CPU on a Flash fetch */
        VMSTATE_UINT32_V(stall_count, STM32F4xxFlashState, 4),
        VMSTATE_END_OF_LIST()
    }
};

static Property stm32f4xx_flash_properties[] = {
    DEFINE_PROP_DRIVE("drive", STM32F4xxFlashState, blk),
    DEFINE_PROP_BOOL("fetch-stall", STM32F4xxFlashState, fetch_stall, true),
    DEFINE_PROP_END_OF_LIST(),
};

static void stm32f4xx_flash_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->realize = stm32f4xx_flash_realize;
    dc->reset = stm32f4xx_flash_reset;
    dc->vmsd = &vmstate_stm32f4xx_flash;
    device_class_set_props(dc, stm32f4xx_flash_properties);
}

static const TypeInfo stm32f4xx_flash_info = {
    .name          = TYPE_STM32F4XX_FLASH,
    .parent        = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(STM32F4xxFlashState),
    .instance_init = stm32f4xx_flash_init,
    .class_init    = stm32f4xx_flash_class_init,
};

static void stm32f4xx_flash_register_types(void)
{
    type_register_static(&stm32f4xx_flash_info);
}

type_init(stm32f4xx_flash_register_types)
