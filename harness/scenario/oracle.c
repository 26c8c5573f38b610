/**
 * @file oracle.c
 * @brief The A/B contract model behind the exact sweep oracle (oracle.h).
 * Deliberately shares nothing with bootloader/core/boot.c: it is the
 * contract as documented, so a bootloader bug cannot hide in both.
 */
#include <string.h>
#include "fota/errors.h"
#include "fota/layout.h"
#include "fota/meta.h"
#include "scenario/oracle.h"

int hil_oracle_target(const struct hil_ab_view *base)
{
    if (base->active == (int)LAYOUT_SLOT_A) {
        return LAYOUT_SLOT_B;
    }
    return LAYOUT_SLOT_A; /* B active, or the factory state */
}

int hil_oracle_events(const struct hil_ab_view *base, enum hil_contract_ev ev[4])
{
    int n = 0;
    if (!base->meta || base->state[hil_oracle_target(base)] != META_SLOT_EMPTY) {
        ev[n++] = HIL_EV_EMPTY;
    }
    ev[n++] = HIL_EV_PENDING;
    ev[n++] = HIL_EV_TRIAL;
    ev[n++] = HIL_EV_CONFIRMED;
    return n;
}

/* The old image keeps running: the outcome when the new one never takes. */
static void old_runs(const struct hil_oracle_in *in, struct hil_oracle_out *out)
{
    out->running = in->base.active;
    out->version = in->base.active >= 0 ? in->base.version[in->base.active] : 0;
    out->active = in->base.active;
}

/* The new image in @p t runs confirmed, the old active stays CONFIRMED. */
static void new_runs(const struct hil_oracle_in *in, int t, struct hil_oracle_out *out)
{
    out->running = t;
    out->version = in->new_version;
    out->active = t;
    out->state[t] = META_SLOT_CONFIRMED;
}

int hil_oracle_expect(const struct hil_oracle_in *in, struct hil_oracle_out *out)
{
    enum hil_contract_ev ev[4];
    int n = hil_oracle_events(&in->base, ev);
    if (in->landed < 0 || in->landed > n) {
        return FOTA_EINVAL;
    }
    int t = hil_oracle_target(&in->base);
    memset(out, 0, sizeof(*out));
    memcpy(out->state, in->base.state, sizeof(out->state));
    out->last = in->landed > 0 ? ev[in->landed - 1] : HIL_EV_NONE;
    switch (out->last) {
    case HIL_EV_NONE:
        old_runs(in, out);
        break;
    case HIL_EV_EMPTY:
        old_runs(in, out);
        out->state[t] = META_SLOT_EMPTY;
        break;
    case HIL_EV_PENDING:
    case HIL_EV_TRIAL:
        if (out->last == HIL_EV_PENDING && !in->damaged) {
            new_runs(in, t, out); /* its trial, then its own confirm */
        } else {
            old_runs(in, out);    /* rejected at its trial boot, or rolled back */
            out->state[t] = META_SLOT_REJECTED;
        }
        break;
    case HIL_EV_CONFIRMED:
    default:
        new_runs(in, t, out);
        if (in->damaged) {
            /* The active image fails verification: the other CONFIRMED slot, else recovery. */
            int o = t == (int)LAYOUT_SLOT_A ? (int)LAYOUT_SLOT_B : (int)LAYOUT_SLOT_A;
            bool fallback = in->base.state[o] == META_SLOT_CONFIRMED;
            out->state[t] = fallback ? META_SLOT_REJECTED : META_SLOT_CONFIRMED; /* recovery writes nothing */
            out->running = fallback ? o : -1;
            out->version = fallback ? in->base.version[o] : 0;
            out->active = fallback ? o : t;
        }
        break;
    }
    out->next_target = out->active == (int)LAYOUT_SLOT_A ? (int)LAYOUT_SLOT_B : (int)LAYOUT_SLOT_A;
    return 0;
}

const char *hil_contract_ev_name(enum hil_contract_ev ev)
{
    static const char *const names[] = { "none", "EMPTY", "PENDING", "TRIAL", "CONFIRMED" };
    return (unsigned)ev < sizeof(names) / sizeof(names[0]) ? names[ev] : "?";
}
