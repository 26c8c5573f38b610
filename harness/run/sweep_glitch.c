/**
 * @file sweep_glitch.c
 * @brief The trace run of a glitch sweep (sweep_glitch.h).
 */
#include "run/sweep_glitch.h"

#include <stdio.h>
#include <string.h>

#include "fota/errors.h"

int hil_sweep_glitch_plan(const struct hil_scenario *s, const struct hil_run_opts *o, struct hil_glitch *g,
                          struct hil_case **cases, int *ncases, char *err, size_t errlen)
{
    const struct hil_sweep *sw = s->sweep;
    *cases = NULL;
    *ncases = 0;
    g->what = HIL_GLITCH_TRACE;
    if (hil_glitch_setup(g, o->bootloader_elf, (const char *const *)sw->glitch_fns, sw->nglitch_fns, err,
                         errlen) != 0) {
        return 0;
    }
    struct hil_run_opts ro = *o;
    ro.glitch_trace = g;
    struct hil_result res;
    int rc = hil_run_scenario(s, &ro, &res);
    if (rc == 0 && res.status != HIL_PASS) {
        snprintf(err, errlen, "the trace run of the glitch sweep (no glitch) failed: %s",
                 res.message != NULL ? res.message : "?");
    } else if (rc == 0 && !g->trace_done) {
        snprintf(err, errlen, "the trace run %s in steps %d-%d (no glitch points)", g->tracing ?
                 "never reached port_jump or update_init" : "never reached boot_main", sw->step, sw->through);
    } else if (rc == 0 && g->trace_err[0] != '\0') {
        snprintf(err, errlen, "the trace ended before the boot decision: %s", g->trace_err);
    }
    hil_result_clear(&res);
    if (rc != 0 || err[0] != '\0') {
        return rc;
    }
    rc = hil_sweep_glitch_expand(s, g, cases, ncases, err, errlen);
    if (rc == FOTA_EINVAL) {
        return 0; /* the message is in err */
    }
    if (rc == 0) {
        printf("GLITCH %s: %u points (%u instructions in %d functions; %u single steps, %u calls stepped over), "
               "%d cases\n", s->id, g->npoints, g->npcs, g->nfn, g->steps, g->calls_over, *ncases);
        fflush(stdout);
    }
    return rc;
}
