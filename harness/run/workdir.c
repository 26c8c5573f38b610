/**
 * @file workdir.c
 * @brief Work directories of cases (workdir.h).
 */
#include "run/workdir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fota/errors.h"
#include "run/runner.h"

#define WORKDIR_VERDICT "verdict"
#define WORKDIR_CASE_ID "case-id"

static bool workdir_safe_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '@' || c == ',' || c == '=';
}

int hil_workdir_name(const char *id, char *out, size_t len)
{
    size_t n = strlen(id);
    if (n + 1 > len) {
        return FOTA_ESIZE;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = workdir_safe_char(id[i]) ? id[i] : '+';
    }
    out[n] = '\0';
    return 0;
}

int hil_workdir_path(const char *root, const char *id, char *out, size_t len)
{
    char name[NAME_MAX + 1];
    if (hil_workdir_name(id, name, sizeof(name)) != 0) {
        return FOTA_ESIZE;
    }
    return snprintf(out, len, "%s/%s", root, name) < (int)len ? 0 : FOTA_ESIZE;
}

static int workdir_mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
        return FOTA_ESIZE;
    }
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
                return FOTA_EIO;
            }
            *p = '/';
        }
    }
    return mkdir(tmp, 0777) != 0 && errno != EEXIST ? FOTA_EIO : 0;
}

/* Did the run left in @p dir fail (its verdict says FAIL, or it has none:
 * the run was killed before its end)? */
static bool workdir_failed(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, WORKDIR_VERDICT) >= (int)sizeof(path)) {
        return false;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return errno == ENOENT;
    }
    char v[8] = "";
    bool failed = fgets(v, sizeof(v), f) == NULL || strncmp(v, "PASS", 4) != 0;
    fclose(f);
    return failed;
}

/* <dir> -> <dir>.1 -> ... -> <dir>.KEEP; the one beyond is removed. */
static int workdir_rotate(const char *dir)
{
    char from[PATH_MAX], to[PATH_MAX];
    if (snprintf(to, sizeof(to), "%s.%d", dir, HIL_WORKDIR_KEEP) >= (int)sizeof(to)) {
        return FOTA_ESIZE;
    }
    if (hil_rmtree(to) != 0) {
        return FOTA_EIO;
    }
    for (int i = HIL_WORKDIR_KEEP - 1; i >= 0; i--) {
        if (i == 0) {
            snprintf(from, sizeof(from), "%s", dir);
        } else {
            snprintf(from, sizeof(from), "%s.%d", dir, i);
        }
        snprintf(to, sizeof(to), "%s.%d", dir, i + 1);
        if (rename(from, to) != 0 && errno != ENOENT) {
            return FOTA_EIO;
        }
    }
    return 0;
}

int hil_workdir_prepare(const char *root, const char *id, char *out, size_t len)
{
    if (hil_workdir_path(root, id, out, len) != 0) {
        return FOTA_ESIZE;
    }
    struct stat st;
    if (lstat(out, &st) == 0) {
        int rc = S_ISDIR(st.st_mode) && workdir_failed(out) ? workdir_rotate(out) : hil_rmtree(out);
        if (rc != 0) {
            return rc;
        }
    }
    int rc = workdir_mkdir_p(out);
    if (rc != 0) {
        return rc;
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/%s", out, WORKDIR_CASE_ID);
    FILE *f = fopen(path, "we");
    if (f == NULL) {
        return FOTA_EIO;
    }
    fprintf(f, "%s\n", id);
    return fclose(f) == 0 ? 0 : FOTA_EIO;
}

void hil_workdir_finish(const char *dir, bool failed)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char path[PATH_MAX + NAME_MAX + 2];
            struct stat st;
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
                (void)unlink(path);
            }
        }
        closedir(d);
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/%s", dir, WORKDIR_VERDICT);
    FILE *f = fopen(path, "we");
    if (f != NULL) {
        fprintf(f, "%s\n", failed ? "FAIL" : "PASS");
        fclose(f);
    }
}
