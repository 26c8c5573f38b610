/**
 * @file errors.c
 * @brief fota_strerror(): the short names used on the console ("ECRC").
 */
#include "fota/errors.h"

/* NOTE: indexed by enum fota_err; append names together with new codes. */
static const char *const fota_err_names[FOTA_ERR_COUNT] = {
    "OK", "EINVAL", "EIO", "ETIMEOUT", "ECRC", "ESHA", "EMAGIC", "ESLOT",
    "ESIZE", "EVERSION", "ENOENT", "EFLASH", "ELOCKED", "EPROTO", "ENOMEM",
    "ERANGE", "EBUSY", "ECONN", "ENOTSUP", "ESIG", "EROLLBACK",
};

_Static_assert(sizeof(fota_err_names) / sizeof(fota_err_names[0]) == FOTA_ERR_COUNT,
               "one name per error code");

const char *fota_strerror(int rc)
{
    if (rc < 0 || rc >= (int)FOTA_ERR_COUNT) {
        return "E?";
    }
    return fota_err_names[rc];
}
