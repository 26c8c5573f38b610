/**
 * @file workdir.h
 * @brief A case's work directory: a name safe for CI artifact uploaders,
 * the kept runs of failed cases, and what is left in it at the end.
 *
 * <root>/<name>/ where <name> is the case id with every byte outside
 * [A-Za-z0-9._@,=-] written as '+' (sweep case ids carry ':', which
 * artifact uploaders reject; scenario ids never contain '+'). Each
 * directory holds a `case-id` file with the id as printed, and at the end
 * a `verdict` file (PASS or FAIL).
 *
 * A new run of an id whose last run FAILED keeps that run: <name>/ moves
 * to <name>.1/, <name>.1/ to <name>.2/, ... up to HIL_WORKDIR_KEEP kept
 * runs (the oldest beyond that is removed). A passed run is replaced.
 */
#ifndef HIL_WORKDIR_H
#define HIL_WORKDIR_H

#include <stdbool.h>
#include <stddef.h>

#define HIL_WORKDIR_KEEP 3 /**< failed runs of one id kept as <name>.1 .. <name>.3 */

/**
 * The directory name of case @p id into @p out (@p len bytes).
 * @return 0; FOTA_ESIZE if it does not fit.
 */
int hil_workdir_name(const char *id, char *out, size_t len);

/**
 * <root>/<name of id> into @p out. @return 0; FOTA_ESIZE.
 */
int hil_workdir_path(const char *root, const char *id, char *out, size_t len);

/**
 * Make a fresh, empty work directory for a run of @p id under @p root
 * (parents created), keeping the previous run if it failed (see above),
 * and write its `case-id` file. The path goes to @p out.
 * @return 0; FOTA_ESIZE; FOTA_EIO (errno says why).
 */
int hil_workdir_prepare(const char *root, const char *id, char *out, size_t len);

/**
 * End of a run in @p dir: remove the Unix sockets left in it (QEMU's
 * gdb/link/con/qmp.sock, boot.sock) and write `verdict` (PASS or FAIL).
 */
void hil_workdir_finish(const char *dir, bool failed);

#endif /* HIL_WORKDIR_H */
