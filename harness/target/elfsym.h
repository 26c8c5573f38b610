/**
 * @file elfsym.h
 * @brief Symbol addresses from an ELF file's symbol table (libelf, as in
 * Debian's libelf-dev; link with -lelf). Used by the QEMU backend to find
 * the HIL-served functions of fota/port.h in the bootloader ELF.
 *
 * Sources: System V ABI, "Symbol Table" (st_value, STT_FUNC); ARM ELF ABI
 * (AAELF32) 5.5.3: for a Thumb function st_value has bit 0 set.
 */
#ifndef HIL_ELFSYM_H
#define HIL_ELFSYM_H

#include <stdint.h>
#include <stddef.h>

/** A loaded symbol table (names and values only; the file is closed). */
struct hil_elfsym;

/**
 * Read every symbol of @p path's SHT_SYMTAB (or SHT_DYNSYM if there is no
 * SHT_SYMTAB).
 * @param err  optional, receives a one-line reason on failure ("x.elf: not an
 *             ELF file"); may be NULL
 * @return 0 and *out; FOTA_EINVAL (NULL argument); FOTA_ENOENT (no such
 *         file); FOTA_EIO (unreadable, not ELF, or no symbol table);
 *         FOTA_ENOMEM.
 */
int hil_elfsym_open(const char *path, struct hil_elfsym **out, char *err, size_t errlen);

/** Free a table from hil_elfsym_open (NULL is fine). */
void hil_elfsym_close(struct hil_elfsym *s);

/**
 * Look up a symbol by exact name (the first defined one, i.e. with a
 * section index other than SHN_UNDEF).
 * @param value  receives st_value as stored: for a Thumb function the
 *               Thumb bit (bit 0) is set, which is what a call needs
 * @return 0; FOTA_ENOENT (no such defined symbol); FOTA_EINVAL (NULL).
 */
int hil_elfsym_lookup(const struct hil_elfsym *s, const char *name, uint32_t *value);

/**
 * Like hil_elfsym_lookup but with bit 0 cleared: the address of the
 * function's first instruction, which is where a breakpoint goes.
 * @return 0; FOTA_ENOENT; FOTA_EINVAL.
 */
int hil_elfsym_lookup_addr(const struct hil_elfsym *s, const char *name, uint32_t *addr);

/** Called by hil_elfsym_each_func(): @p addr without the Thumb bit, @p size in bytes (st_size). Nonzero stops. */
typedef int (*hil_elfsym_func_fn)(void *ctx, const char *name, uint32_t addr, uint32_t size);

/**
 * Call @p fn for every defined STT_FUNC symbol with a nonzero size, in
 * symbol-table order (the glitch sweep's function ranges, glitch.h).
 * @return 0; FOTA_EINVAL (NULL); what @p fn returned when nonzero.
 */
int hil_elfsym_each_func(const struct hil_elfsym *s, hil_elfsym_func_fn fn, void *ctx);

#endif /* HIL_ELFSYM_H */
