/* Decisions of the network fault proxy (netfault.h); no I/O. */
#include <errno.h>
#include <string.h>
#include "link/netfault.h"

static bool hil_nf_applies(const struct hil_nf_fault *f, uint32_t conn)
{
    return f->kind != HIL_NF_NONE && (f->conn == 0 || f->conn == conn);
}

bool hil_nf_answers_503(const struct hil_nf_fault *f, uint32_t conn)
{
    uint32_t n = f->count == 0 ? 1u : f->count;

    return f->kind == HIL_NF_HTTP_503 && (f->conn == 0 || (conn >= f->conn && conn - f->conn < n));
}

/* Pass at most up to the threshold, then @p then. */
static void hil_nf_until(uint64_t done, uint32_t after, size_t avail, enum hil_nf_action then,
                         struct hil_nf_plan *out)
{
    uint64_t left = done >= after ? 0 : after - done;

    if (left > avail) {
        out->n = avail;
        return;
    }
    out->n = (size_t)left;
    out->action = then;
}

int hil_nf_plan(const struct hil_nf_fault *f, uint32_t conn, enum hil_nf_dir dir, uint64_t done_up,
                uint64_t done_down, size_t avail, struct hil_nf_plan *out)
{
    memset(out, 0, sizeof(*out));
    out->n = avail;
    if (!hil_nf_applies(f, conn)) {
        return 0;
    }
    switch (f->kind) {
    case HIL_NF_DISCONNECT:
        hil_nf_until(done_up + done_down, f->after, avail, HIL_NF_PASS_CLOSE, out);
        return 0;
    case HIL_NF_RESET:
    case HIL_NF_TRUNCATE:
    case HIL_NF_STALL:
        if (dir == HIL_NF_DOWN) {
            hil_nf_until(done_down, f->after, avail,
                         f->kind == HIL_NF_RESET ? HIL_NF_PASS_RESET
                         : f->kind == HIL_NF_TRUNCATE ? HIL_NF_PASS_CLOSE : HIL_NF_PASS_STALL, out);
        }
        return 0;
    case HIL_NF_DRIP:
        if (f->drip_bytes == 0) {
            return EINVAL;
        }
        if (dir == HIL_NF_DOWN) {
            out->n = avail < f->drip_bytes ? avail : f->drip_bytes;
            out->action = HIL_NF_PASS_PAUSE;
            out->pause_ms = f->drip_ms;
        }
        return 0;
    default:
        return 0;
    }
}
