/**
 * @file parse_fixture.h
 * @brief The scenario parser tests' shared fixture: parse a YAML text that
 * must be accepted, or one that must be refused with a given message.
 * Included by one test file each (header-only: each test is one program).
 */
#ifndef PARSE_FIXTURE_H
#define PARSE_FIXTURE_H

#include <string.h>
#include "fota/errors.h"
#include "scenario/scenario.h"

/** The last parse error ("t.yaml:LINE: what is wrong"). */
static char err[1024];

/** Parse @p text as file "t.yaml" into @p l; fail the test on an error. @return its first scenario. */
static inline struct hil_scenario *parse_ok(const char *text, struct hil_scenario_list *l)
{
    memset(l, 0, sizeof(*l));
    int rc = hil_scenario_parse_buffer("t.yaml", text, strlen(text), l, err, sizeof(err));
    if (rc != 0) {
        print_error("unexpected parse error: %s\n", err);
    }
    assert_int_equal(rc, 0);
    assert_true(l->count >= 1);
    return l->items[0];
}

/** Parsing @p text must fail with FOTA_EINVAL, no scenario, and @p msg in the error. */
static inline void parse_bad(const char *text, const char *msg)
{
    struct hil_scenario_list l = { 0 };
    int rc = hil_scenario_parse_buffer("t.yaml", text, strlen(text), &l, err, sizeof(err));
    assert_int_equal(rc, FOTA_EINVAL);
    assert_int_equal(l.count, 0);
    if (strstr(err, msg) == NULL) {
        print_error("expected '%s' in '%s'\n", msg, err);
        fail();
    }
    hil_scenario_list_free(&l);
}

#endif
