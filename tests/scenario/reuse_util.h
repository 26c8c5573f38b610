/**
 * @file reuse_util.h
 * @brief Helpers shared by the tests of the scenario reuse passes
 * (include-test.c, params-test.c, merge-test.c): parse a scenario text,
 * expect an exact error, and write included files into a fresh directory
 * that becomes the working directory (paths in messages stay short).
 */
#ifndef TESTS_SCENARIO_REUSE_UTIL_H
#define TESTS_SCENARIO_REUSE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fota/errors.h"
#include "scenario/scenario.h"

static char err[1024];
static char g_dir[] = "/tmp/reuse-test.XXXXXX";

/* cmocka group setup: a fresh directory with lib/, made the working directory. */
static int reuse_setup(void **state)
{
    (void)state;
    if (mkdtemp(g_dir) == NULL || chdir(g_dir) != 0 || mkdir("lib", 0700) != 0) {
        return -1;
    }
    return 0;
}

static int reuse_teardown(void **state)
{
    (void)state;
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write @p text to @p path (relative to the test directory). */
static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Parse @p text as s.yaml; it must succeed with @p count scenarios. */
static void parse_ok(const char *text, struct hil_scenario_list *l, int count)
{
    memset(l, 0, sizeof(*l));
    int rc = hil_scenario_parse_buffer("s.yaml", text, strlen(text), l, err, sizeof(err));
    if (rc != 0) {
        print_error("unexpected parse error: %s\n", err);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(l->count, count);
}

/* Parse @p text as s.yaml; the message must start with @p head and end with @p tail. */
static void parse_bad2(const char *text, const char *head, const char *tail)
{
    struct hil_scenario_list l = { 0 };
    int rc = hil_scenario_parse_buffer("s.yaml", text, strlen(text), &l, err, sizeof(err));
    assert_int_equal(rc, FOTA_EINVAL);
    assert_int_equal(l.count, 0);
    size_t n = strlen(err), tn = strlen(tail);
    if (strncmp(err, head, strlen(head)) != 0 || n < tn || strcmp(err + n - tn, tail) != 0) {
        print_error("expected '%s...%s'\n     got '%s'\n", head, tail, err);
        fail();
    }
}

/* Parse @p text as s.yaml; it must fail with exactly @p msg. */
static void parse_bad(const char *text, const char *msg)
{
    parse_bad2(text, msg, msg);
}

#endif /* TESTS_SCENARIO_REUSE_UTIL_H */
