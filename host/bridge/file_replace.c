/* Atomic, durable file replacement (bridge_linux.h fb_file_replace()): the
 * host library's fh_file_write() (mkstemp in the same directory, fsync,
 * rename, fsync of the directory) is the one implementation. */
#include "bridge_linux.h"
#include "fotahost/image.h"

int fb_file_replace(const char *path, const void *buf, size_t len, struct fh_msg *m)
{
    return fh_file_write(path, buf, len, m);
}
