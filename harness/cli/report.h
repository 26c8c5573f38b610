/**
 * @file report.h
 * @brief `fota-hil report RESULTS_DIR`: one self-contained HTML page (inline
 * CSS and SVG, no scripts, no network) for a suite run.
 *
 * Inputs: RESULTS_DIR/junit.xml (as fota-hil run --junit writes it), each
 * case's work dir (build/work/<id>/: trace.pcap, flash-at-failure.bin,
 * console.log) and optionally RESULTS_DIR/bench.tsv (`make bench`
 * results: lines `name<TAB>bytes<TAB>seconds`). Output: RESULTS_DIR/report.html.
 *
 * Sections: pass/fail table (id, status, time, the command that reproduces
 * the case); per failure: the message, an SVG timeline of the run trace
 * (lanes: frames host->target, frames target->host, flash operations,
 * faults, power/boot events, console lines; every mark has a <title>),
 * the command that reproduces it (the same as in the table), the final
 * slot states decoded from flash-at-failure.bin, the last console lines;
 * brick rate per sweep (only sweep cases, ids `<scenario>@<point>`,
 * grouped by scenario; bricked as docs/SCENARIOS.md defines it: the case's
 * `bricked` JUnit property, which the runner sets when the final flash
 * holds no bootable confirmed image); a throughput plot (bench.tsv, else
 * the DATA transfers found in the kept traces).
 */
#ifndef HIL_REPORT_H
#define HIL_REPORT_H

#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
#include "scenario/results.h"

/** One case as read back from the JUnit file. */
struct hil_report_case {
    char *id;
    char *file;           /**< scenario file (may be NULL) */
    enum hil_status status;
    double seconds;
    char *message;        /**< failure message (may be NULL) */
    int bricked;          /**< `bricked` property: 1, 0, or -1 when the case has none */
    char *brick_reason;   /**< `brick_reason` property (may be NULL) */
};

struct hil_report_cases {
    struct hil_report_case *items;
    int count;
};

/**
 * Parse a JUnit file as hil_results_write_junit writes it.
 * @param text  the whole file, NUL-terminated
 * @param path  for messages: `path:line: what is wrong` on stderr
 * @return 0; FOTA_EINVAL (no <testsuite>, or a <testcase> without
 *         classname/name); FOTA_ENOMEM.
 */
int hil_report_parse_junit(const char *text, const char *path, struct hil_report_cases *out);
void hil_report_cases_free(struct hil_report_cases *c);

/** Final state of one slot decoded from a flash dump. */
struct hil_report_slot {
    bool has_header;      /**< IMAGE_MAGIC at the slot base */
    uint32_t version;
    int check;            /**< 0: header and payload CRC fine; else enum fota_err */
    int state;            /**< enum meta_slot_state from the newest record, -1: no metadata */
};

/**
 * Decode slots A and B of a 1 MB flash dump.
 * @return 0; FOTA_EIO (unreadable); FOTA_ESIZE (not a 1 MB dump).
 */
int hil_report_slots(const char *dump, struct hil_report_slot slots[2], int *active);

/**
 * Is a 1 MB flash dump bricked as docs/SCENARIOS.md defines it (no bootable
 * confirmed image: hil_flash_bootable)?
 * @param bricked receives the answer
 * @param why     receives the reason when bricked (may be NULL)
 * @return 0; FOTA_EIO (unreadable); FOTA_ERANGE (over 1 MB); FOTA_ENOMEM.
 */
int hil_report_bricked(const char *dump, bool *bricked, char *why, size_t whylen);

/**
 * Is @p id a sweep case id (`<scenario id>@<point>`)?
 * @param scenario_len receives the length of the scenario id (may be NULL)
 */
bool hil_report_is_sweep_case(const char *id, size_t *scenario_len);

/**
 * The shell command that re-runs case @p c alone, with every trace kept:
 * `build/host/fota-hil run --pcap all --case 'ID' FILE` for a sweep case,
 * `... --filter 'ID' FILE` for a scenario (FILE: scenarios/ when unknown;
 * both single-quoted for a POSIX shell).
 * @return a malloc'ed string; NULL when out of memory.
 */
char *hil_report_reproduce(const struct hil_report_case *c);

/**
 * The whole page for @p cs to @p o.
 * @param results the results dir (bench.tsv is read from it)
 * @param work    the work-dir root (build/work)
 * @return 0; FOTA_EIO (a write failed).
 */
int hil_report_write(FILE *o, const struct hil_report_cases *cs, const char *results, const char *work);

/**
 * SVG timeline of a run trace to @p out.
 * @return 0; the trace reader's error (nothing written then).
 */
int hil_report_timeline(const char *pcap, FILE *out);

/** The `report` command. @return 0; 2 bad input or usage. */
int hil_report_main(int argc, char **argv);

#endif /* HIL_REPORT_H */
