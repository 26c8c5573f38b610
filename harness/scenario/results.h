/**
 * @file results.h
 * @brief Scenario results: the one-line report per scenario, the closing
 * count line, JUnit XML and TAP 13 writers, and the worker -> runner wire
 * format (-j N runs each scenario in a forked worker).
 */
#ifndef HIL_RESULTS_H
#define HIL_RESULTS_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

/** HIL_FLAKY: failed, then passed on a retry (--retries): never a plain pass. */
enum hil_status { HIL_PASS = 0, HIL_FAIL = 1, HIL_SKIP = 2, HIL_FLAKY = 3 };

struct hil_result {
    char *id;
    char *file;           /**< scenario file, for messages (may be NULL) */
    int line;
    enum hil_status status;
    double seconds;
    char *message;        /**< FAIL: what went wrong (may span lines); SKIP: why */
    char *console;        /**< full console log text, JUnit system-out (may be NULL) */
    char *props;          /**< "key=value" lines: JUnit <properties> (flash_sha256, bricked, ...; may be NULL) */
    int attempts;         /**< runs of the case (--retries); 0 or 1: the first run decided */
    char *first_console;  /**< FLAKY: the console log of the first, failed run (may be NULL) */
};

struct hil_results {
    struct hil_result *items;
    int count;
    bool show_flaky;      /**< the summary names flaky cases even when there are none (--retries given) */
};

/**
 * Make @p r, a failed first run, FLAKY after the retry @p pass passed on
 * attempt @p attempts: it keeps the first failure's message (prefixed
 * "passed on attempt N; first failure: ") and console (first_console),
 * and takes the passing run's time, console and properties.
 */
void hil_result_make_flaky(struct hil_result *r, struct hil_result *pass, int attempts);

/**
 * Whether the "key=value" lines @p props (a result's properties; NULL:
 * none) hold the line @p kv exactly ("bricked=1"), or, when @p kv has no
 * '=', a line with that key and any value ("shared_run").
 */
bool hil_props_has(const char *props, const char *kv);

/** Append a copy of @p r (strings duplicated). */
void hil_results_add(struct hil_results *rs, const struct hil_result *r);
void hil_result_clear(struct hil_result *r);
void hil_results_free(struct hil_results *rs);

/**
 * `PASS id (1.23 s)`, `FAIL id: message` (continuation lines of the message
 * indented), `SKIP id: reason`.
 */
void hil_result_print(const struct hil_result *r, FILE *out);

/** `N passed, N failed` plus `, N skipped` when any; then a newline. */
void hil_results_print_summary(const struct hil_results *rs, FILE *out);

/** @return number of results with @p st. */
int hil_results_count(const struct hil_results *rs, enum hil_status st);

/** Write @p s XML-escaped (also drops characters XML 1.0 forbids, repairs bad UTF-8). */
void hil_xml_escape(FILE *out, const char *s);

/**
 * JUnit XML: one <testsuite name="fota-hil">, one <testcase> per result
 * with classname = the id up to its last dot, name = the rest, time; a
 * <failure message=...> or <skipped>; the console log in <system-out>.
 * @return 0; FOTA_EIO.
 */
int hil_results_write_junit(const struct hil_results *rs, FILE *out);

/** Provenance "key=value" lines written as the testsuite's <properties> (NULL: none). */
void hil_results_set_suite_props(const char *props);

/** TAP version 13 with a YAML diagnostic block per failure. @return 0; FOTA_EIO. */
int hil_results_write_tap(const struct hil_results *rs, FILE *out);

/**
 * Worker wire format: serialize @p r (status, time, message; not the
 * console, the runner reads that from the workdir) into a malloc'ed buffer.
 * @return 0; FOTA_ENOMEM.
 */
int hil_result_encode(const struct hil_result *r, char **buf, size_t *len);
/** Decode what hil_result_encode produced. @return 0; FOTA_EINVAL (truncated/garbled). */
int hil_result_decode(const char *buf, size_t len, struct hil_result *r);

#endif /* HIL_RESULTS_H */
