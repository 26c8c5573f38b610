/**
 * @file elfsym.c
 * @brief ELF symbol lookup with libelf (see elfsym.h).
 */
#include "target/elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

#include "fota/errors.h"

struct elfsym_entry {
    char *name;
    uint32_t value;
    uint32_t size;    /* st_size */
    bool func;        /* STT_FUNC */
};

struct hil_elfsym {
    struct elfsym_entry *syms;
    size_t count;
};

static void elfsym_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void elfsym_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copy the defined symbols of one symbol-table section into @p s. */
static int elfsym_read_section(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct hil_elfsym *s)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (data == NULL || sh->sh_entsize == 0) {
        return FOTA_EIO;
    }
    size_t n = sh->sh_size / sh->sh_entsize;
    s->syms = calloc(n ? n : 1, sizeof(*s->syms));
    if (s->syms == NULL) {
        return FOTA_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        GElf_Sym sym;
        if (gelf_getsym(data, (int)i, &sym) == NULL) {
            return FOTA_EIO;
        }
        if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0) {
            continue;
        }
        const char *nm = elf_strptr(elf, sh->sh_link, sym.st_name);
        if (nm == NULL || nm[0] == '\0') {
            continue;
        }
        s->syms[s->count].name = strdup(nm);
        if (s->syms[s->count].name == NULL) {
            return FOTA_ENOMEM;
        }
        s->syms[s->count].value = (uint32_t)sym.st_value;
        s->syms[s->count].size = (uint32_t)sym.st_size;
        s->syms[s->count].func = GELF_ST_TYPE(sym.st_info) == STT_FUNC;
        s->count++;
    }
    return 0;
}

int hil_elfsym_open(const char *path, struct hil_elfsym **out, char *err, size_t errlen)
{
    if (path == NULL || out == NULL) {
        elfsym_err(err, errlen, "elfsym: NULL argument");
        return FOTA_EINVAL;
    }
    *out = NULL;
    if (elf_version(EV_CURRENT) == EV_NONE) {
        elfsym_err(err, errlen, "%s: libelf: %s", path, elf_errmsg(-1));
        return FOTA_EIO;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        elfsym_err(err, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT ? FOTA_ENOENT : FOTA_EIO;
    }
    int rc = 0;
    struct hil_elfsym *s = calloc(1, sizeof(*s));
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    if (s == NULL) {
        rc = FOTA_ENOMEM;
        elfsym_err(err, errlen, "%s: out of memory", path);
        goto done;
    }
    if (elf == NULL || elf_kind(elf) != ELF_K_ELF) {
        rc = FOTA_EIO;
        elfsym_err(err, errlen, "%s: not an ELF file", path);
        goto done;
    }
    Elf_Scn *scn = NULL;
    Elf_Scn *dyn = NULL;
    GElf_Shdr sh;
    GElf_Shdr dyn_sh;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        if (gelf_getshdr(scn, &sh) == NULL) {
            continue;
        }
        if (sh.sh_type == SHT_SYMTAB) {
            break;
        }
        if (sh.sh_type == SHT_DYNSYM && dyn == NULL) {
            dyn = scn;
            dyn_sh = sh;
        }
    }
    if (scn == NULL && dyn != NULL) {
        scn = dyn;
        sh = dyn_sh;
    }
    if (scn == NULL) {
        rc = FOTA_EIO;
        elfsym_err(err, errlen, "%s: no symbol table (stripped?)", path);
        goto done;
    }
    rc = elfsym_read_section(elf, scn, &sh, s);
    if (rc != 0) {
        elfsym_err(err, errlen, "%s: cannot read the symbol table: %s", path,
                   rc == FOTA_ENOMEM ? "out of memory" : elf_errmsg(-1));
    }
done:
    if (elf != NULL) {
        elf_end(elf);
    }
    close(fd);
    if (rc != 0) {
        hil_elfsym_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void hil_elfsym_close(struct hil_elfsym *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->count; i++) {
        free(s->syms[i].name);
    }
    free(s->syms);
    free(s);
}

int hil_elfsym_lookup(const struct hil_elfsym *s, const char *name, uint32_t *value)
{
    if (s == NULL || name == NULL || value == NULL) {
        return FOTA_EINVAL;
    }
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->syms[i].name, name) == 0) {
            *value = s->syms[i].value;
            return 0;
        }
    }
    return FOTA_ENOENT;
}

int hil_elfsym_lookup_addr(const struct hil_elfsym *s, const char *name, uint32_t *addr)
{
    uint32_t v;
    int rc = hil_elfsym_lookup(s, name, &v);
    if (rc != 0) {
        return rc;
    }
    *addr = v & ~1u;
    return 0;
}

int hil_elfsym_each_func(const struct hil_elfsym *s, hil_elfsym_func_fn fn, void *ctx)
{
    if (s == NULL || fn == NULL) {
        return FOTA_EINVAL;
    }
    for (size_t i = 0; i < s->count; i++) {
        const struct elfsym_entry *e = &s->syms[i];
        if (e->func && e->size > 0u) {
            int rc = fn(ctx, e->name, e->value & ~1u, e->size);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}
