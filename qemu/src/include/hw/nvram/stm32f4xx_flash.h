/*
 * STM32F405/407 embedded Flash memory and its interface (RM0090 section 3)
 *
 * Copyright (c) 2026 fota-hil contributors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_NVRAM_STM32F4XX_FLASH_H
#define HW_NVRAM_STM32F4XX_FLASH_H

#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_STM32F4XX_FLASH "stm32f4xx-flash"
OBJECT_DECLARE_SIMPLE_TYPE(STM32F4xxFlashState, STM32F4XX_FLASH)

/* Main memory of the 1 Mbyte parts: 4 x 16K, 1 x 64K, 7 x 128K (RM0090 3.3 Table 5) */
#define STM32F4XX_FLASH_BASE      0x08000000
#define STM32F4XX_FLASH_SIZE      (1024 * 1024)
#define STM32F4XX_FLASH_SECTORS   12
/* Registers at 0x40023C00 (RM0090 2.3 Table 1) */
#define STM32F4XX_FLASH_REGS_BASE 0x40023C00
#define STM32F4XX_FLASH_REGS_SIZE 0x400
/*
 * Option bytes kept after the main memory in the backing image (optional):
 * 16 bytes laid out as at 0x1FFFC000 (RM0090 3.6 Table 16): byte 0 USER,
 * byte 1 RDP, bytes 8-9 nWRP[11:0], the rest 0xFF.
 */
#define STM32F4XX_FLASH_OPT_SIZE  16
/* The longest program sequence reported as one operation, in bytes */
#define STM32F4XX_FLASH_SEQ_MAX   4096

/* Kinds of operation, as reported in the flash-op event and trace. */
typedef enum {
    STM32F4XX_FLASH_OP_NONE = 0,
    STM32F4XX_FLASH_OP_PROGRAM,
    STM32F4XX_FLASH_OP_SECTOR_ERASE,
    STM32F4XX_FLASH_OP_MASS_ERASE,
    STM32F4XX_FLASH_OP_OPTION,
} STM32F4xxFlashOp;

struct STM32F4xxFlashState {
    /* <private> */
    SysBusDevice parent_obj;

    /* <public> */
    MemoryRegion iomem;     /* FLASH_ACR.. FLASH_OPTCR */
    MemoryRegion array;     /* main memory, ROM device: reads direct, writes program */
    uint8_t *storage;
    BlockBackend *blk;
    bool persist_options;
    QEMUTimer *op_timer;
    qemu_irq irq;

    uint32_t acr;
    uint32_t sr;
    uint32_t cr;
    uint32_t optcr;         /* register view; OPTSTRT commits it to the option bytes */
    uint8_t opt_bytes[STM32F4XX_FLASH_OPT_SIZE];
    uint8_t key_index;      /* next expected KEYR key (0, 1) */
    uint8_t optkey_index;   /* next expected OPTKEYR key (0, 1) */
    bool key_lockout;       /* wrong KEYR sequence: CR locked until reset */
    bool optkey_lockout;    /* wrong OPTKEYR sequence: OPTCR locked until reset */

    /* The operation in progress while SR.BSY is set */
    uint32_t op;            /* STM32F4xxFlashOp */
    uint32_t op_offset;     /* byte offset in the main memory */
    uint32_t op_len;
    uint32_t op_data;       /* program: the value written (op_len bytes, LE) */
    int64_t op_end_ns;      /* QEMU_CLOCK_VIRTUAL time it ends */
    uint8_t op_old[4];      /* program: the cells before it (a reset restores them) */
    /* main memory [dirty_lo, dirty_hi) changed but not yet in the image */
    uint32_t dirty_lo;
    uint32_t dirty_hi;
    VMChangeStateEntry *vmstate_change;

    bool op_nostick;        /* the word in progress does not change the cells */
    uint32_t op_num;        /* erase: its operation number (the event's seq) */
    uint32_t op_fault;      /* erase: 1 + Stm32FlashFaultKind hitting it; 0: none */
    bool cut_off;           /* a fault cut the power: nothing more runs until reset */

    /*
     * The program sequence in progress (RM0090 3.6.4): the writes made
     * while CR.PG stays set, each continuing where the previous ended. It
     * is one operation for the STM32_FLASH_OP event and the fault
     * counter; it ends when PG is cleared, when a write does not
     * continue it (or would make it longer than STM32F4XX_FLASH_SEQ_MAX),
     * or at a system reset.
     */
    bool seq_active;
    uint32_t seq_offset;    /* byte offset of its first write */
    uint32_t seq_len;       /* bytes written so far */
    uint32_t seq_error;     /* FLASH_SR error flags its writes raised */
    uint32_t seq_num;       /* its operation number (the event's seq) */
    uint32_t seq_fault;     /* 1 + Stm32FlashFaultKind hitting it; 0: none */
    uint8_t seq_data[STM32F4XX_FLASH_SEQ_MAX];  /* what the CPU wrote */

    /* Statistics, readable as QOM properties */
    uint32_t op_count;      /* finished word programs and erases */
    uint32_t op_seq;        /* operations reported (program sequences, erases) */
    uint32_t overprogram_count;

    /*
     * Fault injection, QOM properties set over QMP qom-set: the
     * fault_at-th operation from now of the kinds fault_ops whose first
     * byte lies in [fault_addr_lo, fault_addr_hi] gets fault_kind
     * (Stm32FlashFaultKind; error: the flag fault_flag,
     * Stm32FlashErrorFlag), then the QMP event STM32_FLASH_FAULT and,
     * with fault_stop, the VM stops (QMP STOP event).
     */
    uint32_t fault_at;      /* 0: disarmed */
    uint32_t fault_addr_lo; /* absolute addresses, inclusive */
    uint32_t fault_addr_hi;
    int fault_kind;         /* Stm32FlashFaultKind */
    int fault_ops;          /* Stm32FlashFaultOps */
    int fault_flag;         /* Stm32FlashErrorFlag */
    bool fault_stop;
    uint32_t fault_hits;    /* faults applied so far */

    /*
     * The CPU executes from this Flash (property "fetch-stall", on by
     * default): from the start of an operation its fetches stall until
     * the end (RM0090 3.5.2), accounted in virtual time under -icount.
     * Off: code runs from SRAM and polls BSY at full speed.
     */
    bool fetch_stall;
    uint32_t stall_count;   /* stalls accounted so far (QOM "stall-count") */
};

#endif
