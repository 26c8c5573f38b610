/**
 * @file glitch.c
 * @brief The glitch engine's set-up and Thumb-2 decoding (glitch.h); the
 * stops it handles are in rsp_glitch.c.
 */
#include "target/glitch.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"
#include "target/elfsym.h"

struct glitch_match {
    struct hil_glitch *g;
    const char *const *patterns;
    int npatterns;
    int rc;
};

static int glitch_add_fn(void *ctx, const char *name, uint32_t addr, uint32_t size)
{
    struct glitch_match *m = ctx;
    for (int i = 0; i < m->npatterns; i++) {
        if (fnmatch(m->patterns[i], name, 0) != 0) {
            continue;
        }
        if (m->g->nfn >= HIL_GLITCH_MAX_FUNCS) {
            m->rc = FOTA_ERANGE;
            return 1;
        }
        struct hil_glitch_fn *f = &m->g->fn[m->g->nfn++];
        f->lo = addr;
        f->hi = addr + size;
        snprintf(f->name, sizeof(f->name), "%s", name);
        return 0;
    }
    return 0;
}

int hil_glitch_setup(struct hil_glitch *g, const char *elf, const char *const *patterns, int npatterns, char *err,
                     size_t errlen)
{
    struct hil_elfsym *es = NULL;
    int rc = hil_elfsym_open(elf, &es, err, errlen);
    if (rc != 0) {
        return rc;
    }
    struct glitch_match m = { .g = g, .patterns = patterns, .npatterns = npatterns };
    g->nfn = 0;
    (void)hil_elfsym_each_func(es, glitch_add_fn, &m);
    rc = m.rc;
    if (rc == 0 && hil_elfsym_lookup_addr(es, "boot_main", &g->start) != 0) {
        rc = FOTA_ENOENT;
    }
    if (rc == 0 && hil_elfsym_lookup_addr(es, "port_jump", &g->end[0]) != 0) {
        rc = FOTA_ENOENT;
    }
    if (hil_elfsym_lookup_addr(es, "update_init", &g->end[1]) != 0) {
        g->end[1] = 0;
    }
    hil_elfsym_close(es);
    if (rc == 0 && g->nfn == 0) {
        rc = FOTA_ENOENT;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", elf,
                 rc == FOTA_ERANGE ? "more than " "64" " glitch functions match" :
                 g->nfn == 0 ? "no function symbol matches the glitch functions" :
                 "boot_main or port_jump is missing");
    }
    return rc;
}

const struct hil_glitch_fn *hil_glitch_fn_of(const struct hil_glitch *g, uint32_t pc)
{
    for (int i = 0; i < g->nfn; i++) {
        if (pc >= g->fn[i].lo && pc < g->fn[i].hi) {
            return &g->fn[i];
        }
    }
    return NULL;
}

unsigned hil_glitch_insn_len(uint16_t hw1)
{
    unsigned top = hw1 >> 11;
    return (top == 0x1Du || top == 0x1Eu || top == 0x1Fu) ? 4u : 2u;
}

bool hil_glitch_cond_branch(uint32_t pc, uint16_t hw1, uint16_t hw2, uint32_t *target)
{
    if ((hw1 & 0xF000u) == 0xD000u && ((hw1 >> 8) & 0xFu) < 0xEu) {
        /* B<c> T1: imm8:'0', sign-extended */
        *target = pc + 4u + (uint32_t)((int32_t)(int8_t)(hw1 & 0xFFu) * 2);
        return true;
    }
    if ((hw1 & 0xF800u) == 0xF000u && (hw2 & 0xD000u) == 0x8000u && ((hw1 >> 6) & 0xFu) < 0xEu) {
        /* B<c> T3: S:J2:J1:imm6:imm11:'0', 21 bits, sign-extended */
        uint32_t imm = ((uint32_t)(hw1 >> 10) & 1u) << 20 | ((uint32_t)(hw2 >> 11) & 1u) << 19 |
                       ((uint32_t)(hw2 >> 13) & 1u) << 18 | ((uint32_t)hw1 & 0x3Fu) << 12 |
                       ((uint32_t)hw2 & 0x7FFu) << 1;
        if ((imm & (1u << 20)) != 0u) {
            imm |= 0xFFE00000u;
        }
        *target = pc + 4u + imm;
        return true;
    }
    if ((hw1 & 0xF500u) == 0xB100u) {
        /* CBZ / CBNZ: i:imm5:'0', zero-extended */
        *target = pc + 4u + ((((uint32_t)hw1 >> 9) & 1u) << 6 | (((uint32_t)hw1 >> 3) & 0x1Fu) << 1);
        return true;
    }
    return false;
}

uint32_t hil_glitch_it_advance(uint32_t xpsr)
{
    uint32_t it = ((xpsr >> 25) & 3u) | (((xpsr >> 10) & 0x3Fu) << 2);
    if (it == 0u) {
        return xpsr;
    }
    it = (it & 7u) == 0u ? 0u : ((it & 0xE0u) | ((it << 1) & 0x1Fu));
    xpsr &= ~((3u << 25) | (0x3Fu << 10));
    return xpsr | (it & 3u) << 25 | ((it >> 2) & 0x3Fu) << 10;
}

void hil_glitch_free(struct hil_glitch *g)
{
    free(g->points);
    free(g->pcs);
    g->points = NULL;
    g->pcs = NULL;
    g->npoints = g->cap = g->npcs = g->pcs_cap = 0;
}
