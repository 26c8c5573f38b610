/**
 * @file cut_at.c
 * @brief Console and time placements of power cuts (see cut_at.h).
 */
#include "scenario/cut_at.h"

#include <stdio.h>
#include <string.h>

void hil_cut_at_arm(struct hil_cut_at *c, const struct hil_fault *faults, int nfaults, uint64_t now)
{
    memset(c, 0, sizeof(*c));
    c->faults = faults;
    c->nfaults = faults == NULL ? 0 : (nfaults > HIL_CUT_AT_MAX ? HIL_CUT_AT_MAX : nfaults);
    c->t0 = now;
    c->last = now;
    c->cut_fault = -1;
    c->armed = true;
}

void hil_cut_at_disarm(struct hil_cut_at *c)
{
    c->armed = false;
}

/* The power goes at fault @p i: nothing else fires after it. */
static int fire(struct hil_cut_at *c, int i)
{
    c->fired[i] = true;
    c->cut = true;
    c->cut_fault = i;
    return i;
}

int hil_cut_at_line(struct hil_cut_at *c, const char *line)
{
    if (!c->armed || c->cut) {
        return -1;
    }
    c->lines++;
    for (int i = 0; i < c->nfaults; i++) {
        const struct hil_fault *f = &c->faults[i];
        if (hil_fault_at_line_or_time(f) && f->at == HIL_AT_CONSOLE && f->at_re_ok &&
            regexec(&f->at_re, line, 0, NULL, 0) == 0) {
            return fire(c, i);
        }
    }
    return -1;
}

int hil_cut_at_time(struct hil_cut_at *c, uint64_t now)
{
    if (!c->armed || c->cut) {
        return -1;
    }
    c->last = now;
    for (int i = 0; i < c->nfaults; i++) {
        const struct hil_fault *f = &c->faults[i];
        if (hil_fault_at_line_or_time(f) && f->at == HIL_AT_MS && now >= c->t0 + f->at_ms) {
            return fire(c, i);
        }
    }
    return -1;
}

bool hil_cut_at_timed(const struct hil_cut_at *c)
{
    for (int i = 0; c->armed && !c->cut && i < c->nfaults; i++) {
        if (hil_fault_at_line_or_time(&c->faults[i]) && c->faults[i].at == HIL_AT_MS) {
            return true;
        }
    }
    return false;
}

uint32_t hil_cut_at_ms_left(const struct hil_cut_at *c, uint64_t now)
{
    uint32_t left = UINT32_MAX;
    for (int i = 0; c->armed && !c->cut && i < c->nfaults; i++) {
        const struct hil_fault *f = &c->faults[i];
        if (!hil_fault_at_line_or_time(f) || f->at != HIL_AT_MS) {
            continue;
        }
        uint64_t due = c->t0 + f->at_ms;
        uint32_t l = due <= now ? 0u : (due - now > UINT32_MAX ? UINT32_MAX : (uint32_t)(due - now));
        left = l < left ? l : left;
    }
    return left;
}

bool hil_cut_at_unfired(const struct hil_cut_at *c, int i, uint64_t now, char *why, size_t len)
{
    if (i < 0 || i >= c->nfaults || !hil_fault_at_line_or_time(&c->faults[i]) || c->fired[i]) {
        return false;
    }
    const struct hil_fault *f = &c->faults[i];
    if (f->at == HIL_AT_CONSOLE) {
        snprintf(why, len, "fault at line %d (power_cut at_console /%s/) never fired: none of the %u console "
                 "lines of the step matched", f->line, f->at_console, c->lines);
    } else if (c->cut) {
        snprintf(why, len, "fault at line %d (power_cut at_ms %u) never fired: the fault at line %d cut the "
                 "power first, at %llu ms of device time", f->line, f->at_ms, c->faults[c->cut_fault].line,
                 (unsigned long long)(c->last - c->t0));
    } else {
        snprintf(why, len, "fault at line %d (power_cut at_ms %u) never fired: the step ended at %llu ms of "
                 "device time", f->line, f->at_ms, (unsigned long long)(now > c->t0 ? now - c->t0 : 0));
    }
    return true;
}
