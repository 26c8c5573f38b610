/**
 * @file f407_flash.h
 * @brief The QMP side of the fota-f407 machine's FLASH model (docs/QEMU.md,
 * qemu/src/qapi/stm32.json): its events STM32_FLASH_OP and
 * STM32_FLASH_FAULT parsed (jansson) into the harness's flash operations,
 * and a planned fault (target.h struct hil_fault_plan) armed as the
 * device's qom-set properties fault-kind, fault-ops, fault-addr-lo,
 * fault-addr-hi, fault-stop and fault-at.
 *
 * The device counts operations as the runner does: a program operation is
 * a program sequence (the writes made while FLASH_CR.PG stays set, i.e.
 * one port_flash_program call), an erase is one port_flash_erase_sector
 * call; a fault matches an operation by its kind and its first byte. The
 * torn states are those of flashmodel.h, so a fault means the same on
 * both QEMU backends.
 */
#ifndef HIL_F407_FLASH_H
#define HIL_F407_FLASH_H

#include <stdbool.h>
#include <stdint.h>

#include "target/qmp.h"
#include "target/target.h"

/** What the device did to an operation it reported. */
enum hil_f407_done {
    HIL_F407_APPLIED = 0, /**< STM32_FLASH_OP: it ran (error flags may say it failed on its own) */
    HIL_F407_CUT = 1,     /**< STM32_FLASH_FAULT cut-*: left torn, the VM stopped, the power is gone */
    HIL_F407_FAILED = 2,  /**< STM32_FLASH_FAULT error: it did not run, FLASH_SR has an error flag */
    HIL_F407_DROPPED = 3, /**< STM32_FLASH_FAULT no-stick: it ran without changing the cells */
};

/** One reported operation. */
struct hil_f407_op {
    struct hil_flash_op op;   /**< kind, region, sector, addr, len, data (seq not yet set) */
    enum hil_f407_done done;
    enum hil_torn torn;       /**< HIL_F407_CUT: the torn state the device left */
    uint32_t error;           /**< FLASH_SR error flags the operation raised (RM0090 3.9.4) */
    uint32_t dev_seq;         /**< the device's operation number */
    bool mass;                /**< a mass erase: no port operation, not reported to the runner */
    uint8_t *bytes;           /**< owns op.data (program), else NULL */
};

/**
 * Parse QMP event @p name with its "data" member @p data_json.
 * @return 0 and *out (free with hil_f407_op_free); FOTA_ENOENT (not a
 *         flash event); FOTA_EINVAL (a member is missing or malformed:
 *         the device and this parser disagree); FOTA_ENOMEM.
 */
int hil_f407_parse(const char *name, const char *data_json, struct hil_f407_op *out);

/** Free what hil_f407_parse allocated (NULL-safe). */
void hil_f407_op_free(struct hil_f407_op *o);

/**
 * Arm the device (stopped, or about to be started) with @p p: qom-set on
 * /machine/flash, fault-at last (0 disarms). A cut stops the VM
 * (fault-stop on); error and no-stick let it run (nothing to do while
 * stopped). Each command is bounded by @p timeout_ms (wall-clock, a bound
 * on a hung QEMU, never a verdict).
 * @return 0; what hil_qmp_command returns.
 */
int hil_f407_arm(struct hil_qmp *qmp, const struct hil_fault_plan *p, int timeout_ms);

/** @return true when a device armed with @p a does what @p b plans. */
bool hil_f407_plan_equal(const struct hil_fault_plan *a, const struct hil_fault_plan *b);

/** The device armed with @p p counted @p op: one fewer to go if it matches. */
void hil_f407_plan_count(struct hil_fault_plan *p, const struct hil_flash_op *op);

#endif /* HIL_F407_FLASH_H */
