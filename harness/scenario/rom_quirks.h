/**
 * @file rom_quirks.h
 * @brief `rom_quirks:` of a scenario: behaviour of ST's ROM bootloader
 * seen in the field (issue 12), switched on one by one for the emulated
 * ROM (harness/link/rom_an3155.h, rom_an4221.h) so the host masters are
 * tested against it. docs/I2C_ROM.md "Quirks" says what each models and
 * how a master survives it.
 *
 * ```yaml
 * rom_quirks: [erase_no_ack, late_param_nack, i2c_write_128, uart_byte_gap]
 * ```
 */
#ifndef HIL_ROM_QUIRKS_H
#define HIL_ROM_QUIRKS_H

#include <stdint.h>
#include <yaml.h>

struct pctx;

/** One bit per quirk (struct hil_scenario rom_quirks, struct hil_rom quirks). */
enum hil_rom_quirk {
    /** I2C: an erase's final ACK is never queued: the first poll is NACKed
     *  at the address, every later one answers 0x1F, though the sectors
     *  are erased. */
    HIL_ROM_QUIRK_ERASE_NO_ACK = 1u << 0,
    /** I2C: a parameter frame that starts more than HIL_ROM_LATE_PARAM_MS
     *  of bus time after the ACK that asked for it is answered 0x1F and
     *  the command is dropped. */
    HIL_ROM_QUIRK_LATE_PARAM_NACK = 1u << 1,
    /** I2C: a write transaction of HIL_ROM_I2C_WRITE_LIMIT (128) bytes or
     *  more fails: byte 128 is NACKed and the command is dropped. */
    HIL_ROM_QUIRK_I2C_WRITE_128 = 1u << 2,
    /** USART: a byte that follows the previous one without a gap is lost. */
    HIL_ROM_QUIRK_UART_BYTE_GAP = 1u << 3,
};

#define HIL_ROM_LATE_PARAM_MS 1000u    /**< "about 1 s" (issue 12) */
#define HIL_ROM_I2C_WRITE_LIMIT 128u   /**< bytes in one I2C write that fail with i2c_write_128 */

/**
 * Parse a `rom_quirks:` value: a sequence of quirk names (empty: none).
 * @param out  receives the OR of the HIL_ROM_QUIRK_* bits
 * @return 0; FOTA_EINVAL, reported as `file:line: ...` (not a sequence, an
 *         unknown name with the list of known ones, a name given twice).
 */
int hil_parse_rom_quirks(struct pctx *c, yaml_node_t *n, uint32_t *out);

/** @return the name of quirk bit @p bit ("erase_no_ack"), "?" if none. */
const char *hil_rom_quirk_name(uint32_t bit);

#endif /* HIL_ROM_QUIRKS_H */
