/**
 * @file fih.h
 * @brief Fault-injection hardening of the verification path: a result
 * type whose accept value is not 0/1, comparisons made twice, no single
 * branch that accepts (docs/SECURITY.md "Glitch hardening").
 *
 * The idea is MCUboot's (mcu-tools/mcuboot boot/bootutil/include/
 * bootutil/fault_injection_hardening.h: FIH_SUCCESS / FIH_FAILURE with a
 * large Hamming distance, fih_eq() checked twice, FIH_PANIC); the code is
 * ours and smaller. The threat: one skipped instruction (a voltage or
 * clock glitch) anywhere in the code that decides whether an image may
 * run. The rules the core follows:
 *  - a verification returns a fih_ret; only FIH_SUCCESS accepts. It is
 *    never materialised after a test ("if ok: ret = SUCCESS"): the value
 *    that reaches the jump is the one the last check computed from data
 *    (the signature's two comparisons, fih_memeq());
 *  - every accept decision is tested twice (fih_eq() twice, or once in
 *    each of two places), so skipping one test leaves the other;
 *  - a comparison that decides acceptance runs twice, each result checked;
 *  - the verified result of a slot is kept and checked again, twice, just
 *    before port_jump(), and it is folded into the jump address, so a
 *    corrupted decision (table, slot index) jumps nowhere useful.
 *
 * Build with -DFOTA_NO_FIH (make BL_CFLAGS_EXTRA=-DFOTA_NO_FIH, the test
 * build of tests/sweep/glitch-unhardened.sh) for the unhardened code the
 * glitch sweep must be able to break: FIH_SUCCESS = 0, single checks.
 */
#ifndef FOTA_FIH_H
#define FOTA_FIH_H

#include <stddef.h>
#include <stdint.h>

/** A verification result: FIH_SUCCESS or anything else (= failure). */
typedef uint32_t fih_ret;

#ifndef FOTA_NO_FIH
/** Accept. Not 0 or 1; FIH_FAILURE is its complement (Hamming distance 32). */
#define FIH_SUCCESS 0x3CA5965Au
/** Refuse. */
#define FIH_FAILURE 0xC35A69A5u
/** The hardening is compiled in. */
#define FIH_ENABLED 1
#else
#define FIH_SUCCESS 0u
#define FIH_FAILURE 1u
#define FIH_ENABLED 0
#endif

/**
 * @return nonzero when @p x is FIH_SUCCESS. The value is read through a
 * volatile, so two calls are two loads and two compares (the compiler may
 * not merge them).
 */
static inline int fih_ok(volatile const fih_ret *x)
{
    return *x == FIH_SUCCESS;
}

/** fih_ok() of a returned value (stored in a volatile first). */
static inline int fih_ok_ret(fih_ret x)
{
    volatile fih_ret v = x;
    return fih_ok(&v);
}

/**
 * Compare @p n bytes of @p a and @p b in time independent of the data.
 * @return FIH_SUCCESS when equal, FIH_FAILURE otherwise (also when the
 *         loop was left early). The caller calls it twice and checks both
 *         results (a skipped instruction may corrupt one call's result).
 */
fih_ret fih_memeq(const void *a, const void *b, size_t n);

/**
 * The hardening caught an inconsistency (a glitch, or a bug): print
 * "BL: fault detected" and reset. Never returns.
 */
void fih_panic(void) __attribute__((noreturn));

#ifndef FOTA_NO_FIH
/** Check an accept decision a second time; panic when it does not hold. */
#define FIH_RECHECK(x) do { if (!fih_ok(&(x))) { fih_panic(); } } while (0)
#else
#define FIH_RECHECK(x) do { } while (0)
#endif

#endif /* FOTA_FIH_H */
