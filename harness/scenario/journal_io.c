/**
 * @file journal_io.c
 * @brief A journal through a stream (journal.h: hil_journal_write /
 * hil_journal_read): how a recording worker process hands its journal to
 * the planner. Not a file format: writer and reader are the same binary.
 */
#include "scenario/journal.h"

#include <stdlib.h>
#include <string.h>

#include "fota/errors.h"

/* The fixed part: the struct with its pointers zeroed. */
int hil_journal_write(FILE *f, const struct hil_journal *j)
{
    struct hil_journal head = *j;
    head.base = NULL;
    head.ops = NULL;
    head.cap = head.count;
    uint8_t has_base = j->base != NULL ? 1u : 0u;
    if (fwrite(&head, sizeof(head), 1, f) != 1 || fwrite(&has_base, 1, 1, f) != 1 ||
        (has_base && fwrite(j->base, sizeof(*j->base), 1, f) != 1) ||
        (j->count > 0 && fwrite(j->ops, sizeof(*j->ops), j->count, f) != j->count)) {
        return FOTA_EIO;
    }
    for (uint32_t i = 0; i < j->count; i++) {
        if (j->ops[i].data != NULL && fwrite(j->ops[i].data, 1, j->ops[i].len, f) != j->ops[i].len) {
            return FOTA_EIO;
        }
    }
    return fflush(f) == 0 ? 0 : FOTA_EIO;
}

/* The ops' data after the ops: allocated for each op that had some. */
static int read_op_data(FILE *f, struct hil_journal *j)
{
    for (uint32_t i = 0; i < j->count; i++) {
        struct hil_jop *o = &j->ops[i];
        if (o->data == NULL) {
            continue;
        }
        o->data = malloc(o->len > 0 ? o->len : 1);
        if (o->data == NULL) {
            j->count = i; /* the rest hold the writer's pointers: never freed */
            return FOTA_ENOMEM;
        }
        if (fread(o->data, 1, o->len, f) != o->len) {
            j->count = i + 1;
            return FOTA_EIO;
        }
    }
    return 0;
}

int hil_journal_read(FILE *f, struct hil_journal *j)
{
    hil_journal_free(j);
    uint8_t has_base = 0;
    if (fread(j, sizeof(*j), 1, f) != 1 || fread(&has_base, 1, 1, f) != 1) {
        memset(j, 0, sizeof(*j));
        return FOTA_EIO;
    }
    uint32_t count = j->count;
    j->count = 0;
    j->base = has_base ? malloc(sizeof(*j->base)) : NULL;
    j->ops = count > 0 ? calloc(count, sizeof(*j->ops)) : NULL;
    if ((has_base && j->base == NULL) || (count > 0 && j->ops == NULL)) {
        hil_journal_free(j);
        return FOTA_ENOMEM;
    }
    if ((has_base && fread(j->base, sizeof(*j->base), 1, f) != 1) ||
        (count > 0 && fread(j->ops, sizeof(*j->ops), count, f) != count)) {
        hil_journal_free(j);
        return FOTA_EIO;
    }
    j->count = count;
    j->cap = count;
    int rc = read_op_data(f, j);
    if (rc != 0) {
        hil_journal_free(j);
    }
    return rc;
}
