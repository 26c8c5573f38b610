/*
 * The fotactl command line, run as a real process: exit codes, messages,
 * pack/info round trips, and update over a pty against the fake target.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "fota/errors.h"
#include "fota/proto.h"
#include "fotahost/image.h"
#include "fotahost/sign.h"
#include "fake-target.h"

#ifndef FOTACTL_PATH
#error "FOTACTL_PATH must name the fotactl binary (tests/host/build.mk)"
#endif

#define APP_LEN 5000u

static char g_dir[64];
static char g_out[65536];
static char g_err[65536];

static void path_in(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", g_dir, name);
}

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    buf[0] = '\0';
    if (f != NULL) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

/* Run fotactl with a NULL-terminated argument list; stdout/stderr land in g_out/g_err. */
static int fotactl(const char *arg0, ...)
{
    const char *argv[32];
    char out_path[128], err_path[128];
    va_list ap;
    int argc = 0, status = 0;
    pid_t pid;

    argv[argc++] = FOTACTL_PATH;
    va_start(ap, arg0);
    for (const char *a = arg0; a != NULL && argc < 31; a = va_arg(ap, const char *)) {
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    path_in(out_path, sizeof(out_path), "stdout");
    path_in(err_path, sizeof(err_path), "stderr");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) {
            _exit(127);
        }
        execv(FOTACTL_PATH, (char *const *)argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    slurp(out_path, g_out, sizeof(g_out));
    slurp(err_path, g_err, sizeof(g_err));
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* app.bin for slot B in g_dir, app.img packed from it (version 2.0.0). */
static void make_app(uint32_t slot, uint32_t seed, char *bin_path, char *img_path)
{
    uint8_t bin[APP_LEN];

    fake_app_bin(bin, sizeof(bin), slot, seed);
    path_in(bin_path, 128, "app.bin");
    path_in(img_path, 128, "app.img");
    write_file(bin_path, bin, sizeof(bin));
    assert_int_equal(fotactl("pack", "--slot", slot == LAYOUT_SLOT_A ? "A" : "B", "--version", "2.0.0",
                             "--in", bin_path, "--out", img_path, NULL), 0);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/fotactl-test-XXXXXX");
    if (mkdtemp(g_dir) == NULL) {
        return -1;
    }
    (void)signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- usage ---- */

static void test_fotactl_help_documents_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(fotactl("--help", NULL), 0);
    assert_non_null(strstr(g_out, "exit codes:"));
    assert_non_null(strstr(g_out, "fotactl pack --slot A|B --version X.Y.Z --in APP.bin --out APP.img"));
    assert_non_null(strstr(g_out, "  3  link:"));
    assert_int_equal(fotactl("--version", NULL), 0);
    assert_non_null(strstr(g_out, "fotactl "));
}

static void test_fotactl_usage_errors(void **state)
{
    (void)state;
    assert_int_equal(fotactl(NULL), 2);
    assert_non_null(strstr(g_err, "usage:"));
    assert_int_equal(fotactl("frobnicate", NULL), 2);
    assert_non_null(strstr(g_err, "unknown command 'frobnicate'"));
    assert_int_equal(fotactl("pack", "--slot", "A", "--bogus", NULL), 2);
    assert_non_null(strstr(g_err, "unknown option '--bogus'"));
    assert_int_equal(fotactl("pack", "--slot", "A", "--version", "1.0.0", "--in", "x.bin", NULL), 2);
    assert_non_null(strstr(g_err, "--slot, --version, --in and --out are required"));
    assert_int_equal(fotactl("pack", "--slot", NULL), 2);
    assert_non_null(strstr(g_err, "needs an argument"));
    assert_int_equal(fotactl("info", NULL), 2);
    assert_int_equal(fotactl("info", "a.img", "b.img", NULL), 2);
    assert_int_equal(fotactl("update", "x.img", NULL), 2);
    assert_non_null(strstr(g_err, "--port is required"));
    assert_int_equal(fotactl("update", "--port", "/dev/null", NULL), 2);
    assert_non_null(strstr(g_err, "missing IMG"));
    assert_int_equal(fotactl("update", "--port", "/dev/null", "--retries", "abc", "x.img", NULL), 2);
    assert_non_null(strstr(g_err, "--retries 'abc': not a number"));
    assert_int_equal(fotactl("update", "--port", "/dev/null", "--timeout-ms", "0", "x.img", NULL), 2);
    assert_non_null(strstr(g_err, "out of range"));
    assert_int_equal(fotactl("hello", "--port", "p", "extra", NULL), 2);
}

/* ---- pack / info ---- */

static void test_fotactl_pack_and_info_good(void **state)
{
    char bin[128], img[128];

    (void)state;
    make_app(LAYOUT_SLOT_B, 1, bin, img);
    assert_non_null(strstr(g_out, "slot B version 2.0.0 payload 5000 bytes"));
    assert_int_equal(fotactl("info", img, NULL), 0);
    assert_non_null(strstr(g_out, "load address:   0x08080000 (slot B)  ok"));
    assert_non_null(strstr(g_out, "version:        2.0.0"));
    assert_non_null(strstr(g_out, "payload size:   5000  ok"));
    assert_non_null(strstr(g_out, "result:         ok"));
    assert_string_equal(g_err, "");
}

/* pack --key signs (security counter 3); sign re-signs into --out with
 * another counter; pubkey prints the 65-byte point and the C file; a key
 * that cannot be read and sign without --key are refused. */
static void test_fotactl_sign_pack_key_pubkey(void **state)
{
    char bin[128], img[128], out[128];
    uint8_t buf[8192];
    FILE *f;
    size_t n;

    (void)state;
    make_app(LAYOUT_SLOT_B, 2, bin, img);
    assert_int_equal(fotactl("pack", "--slot", "B", "--version", "2.0.0", "--in", bin, "--out", img, "--key",
                             "keys/test-ecdsa-p256.pem", "--security-counter", "3", NULL), 0);
    assert_non_null(strstr(g_out, ", signed"));
    f = fopen(img, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_int_equal(n, IMAGE_HEADER_SIZE + 5000u + FH_SIGN_TLV_MAX);
    assert_int_equal(((const struct image_header *)buf)->ih_security_counter, 3);
    path_in(out, sizeof(out), "resigned.img");
    assert_int_equal(fotactl("sign", "--key", "keys/test-ecdsa-p256.pem", "--security-counter", "4", "--out", out,
                             img, NULL), 0);
    assert_non_null(strstr(g_out, "signed, security counter 4"));
    assert_int_equal(fotactl("pubkey", "--key", "keys/test-ecdsa-p256.pem", NULL), 0);
    assert_int_equal(strlen(g_out), 2u * IMAGE_PUBKEY_SIZE + 1u);
    assert_memory_equal(g_out, "04", 2);
    assert_int_equal(fotactl("pubkey", "--key", "keys/test-ecdsa-p256.pem", "--c", NULL), 0);
    assert_non_null(strstr(g_out, "const uint8_t image_sig_pubkey[IMAGE_PUBKEY_SIZE] = {"));
    assert_int_equal(fotactl("sign", "--key", "keys/none.pem", img, NULL), 4);
    assert_non_null(strstr(g_err, "keys/none.pem"));
    assert_int_equal(fotactl("sign", img, NULL), 2);
    /* unsigned, but claiming a counter (a negative-test image) */
    assert_int_equal(fotactl("pack", "--slot", "B", "--version", "2.0.0", "--in", bin, "--out", img,
                             "--security-counter", "3", NULL), 0);
    assert_non_null(strstr(g_out, ", unsigned"));
}

static void test_fotactl_pack_reset_vector_outside_slot(void **state)
{
    char bin[128], img[128], want[256];
    uint8_t app[64];

    (void)state;
    fake_app_bin(app, sizeof(app), LAYOUT_SLOT_A, 2);
    proto_put_u32(app + 4, 0x08001235u);
    path_in(bin, sizeof(bin), "bad.bin");
    path_in(img, sizeof(img), "bad.img");
    write_file(bin, app, sizeof(app));
    assert_int_equal(fotactl("pack", "--slot", "B", "--version", "1.0.0", "--in", bin, "--out", img, NULL), 4);
    snprintf(want, sizeof(want),
             "fotactl: %s: reset vector 0x08001235 is outside slot B (0x08080200..0x080DFFFF)\n", bin);
    assert_string_equal(g_err, want);
    assert_int_equal(access(img, F_OK), -1); /* nothing written */
}

static void test_fotactl_pack_bad_arguments(void **state)
{
    char bin[128], img[128];

    (void)state;
    make_app(LAYOUT_SLOT_A, 3, bin, img);
    assert_int_equal(fotactl("pack", "--slot", "A", "--version", "1.2", "--in", bin, "--out", img, NULL), 2);
    assert_non_null(strstr(g_err, "version '1.2': expected MAJOR.MINOR.PATCH"));
    assert_int_equal(fotactl("pack", "--slot", "A", "--version", "1.2.256", "--in", bin, "--out", img, NULL), 2);
    assert_non_null(strstr(g_err, "patch 256 is out of range 0..255"));
    assert_int_equal(fotactl("pack", "--slot", "C", "--version", "1.2.3", "--in", bin, "--out", img, NULL), 2);
    assert_non_null(strstr(g_err, "slot 'C': expected A or B"));
    assert_int_equal(fotactl("pack", "--slot", "A", "--version", "1.2.3", "--in", bin, "--out", img,
                             "--force-sha256", "1234", NULL), 2);
    assert_non_null(strstr(g_err, "expected 64 hex digits"));
    assert_int_equal(fotactl("pack", "--slot", "A", "--version", "1.2.3", "--in", "/nonexistent.bin", "--out", img,
                             NULL), 4);
    assert_string_equal(g_err, "fotactl: /nonexistent.bin: No such file or directory\n");
    assert_int_equal(fotactl("pack", "--slot", "A", "--version", "1.2.3", "--in", bin, "--out",
                             "/nonexistent/dir/x.img", NULL), 4);
    /* Linked for A, packed for B. */
    assert_int_equal(fotactl("pack", "--slot", "B", "--version", "1.2.3", "--in", bin, "--out", img, NULL), 4);
    assert_non_null(strstr(g_err, "is outside slot B"));
}

static void test_fotactl_pack_force_sha256_info_fails(void **state)
{
    char bin[128], img[128], bad[128];

    (void)state;
    make_app(LAYOUT_SLOT_B, 4, bin, img);
    path_in(bad, sizeof(bad), "badsha.img");
    assert_int_equal(fotactl("pack", "--slot", "B", "--version", "2.0.0", "--in", bin, "--out", bad,
                             "--force-sha256",
                             "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF", NULL), 0);
    assert_non_null(strstr(g_out, "(forced SHA-256)"));
    assert_int_equal(fotactl("info", bad, NULL), 1);
    assert_non_null(strstr(g_out, "header crc32:   0x"));
    assert_non_null(strstr(g_out, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff  ESHA"));
    assert_non_null(strstr(g_out, "result:         BAD"));
    assert_non_null(strstr(g_err, "payload SHA-256 does not match"));
}

static void test_fotactl_info_bad_images(void **state)
{
    char bin[128], img[128], p[128];
    uint8_t buf[IMAGE_HEADER_SIZE + APP_LEN];
    FILE *f;

    (void)state;
    make_app(LAYOUT_SLOT_A, 5, bin, img);
    f = fopen(img, "rb");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, sizeof(buf), f), sizeof(buf));
    fclose(f);
    path_in(p, sizeof(p), "t.img");
    write_file(p, buf, sizeof(buf) - 1u);
    assert_int_equal(fotactl("info", p, NULL), 1);
    assert_non_null(strstr(g_err, "truncated"));
    write_file(p, buf, 100);
    assert_int_equal(fotactl("info", p, NULL), 1);
    assert_non_null(strstr(g_err, "shorter than the 512-byte image header"));
    buf[0x08] ^= 1u;
    write_file(p, buf, sizeof(buf));
    assert_int_equal(fotactl("info", p, NULL), 1);
    assert_non_null(strstr(g_out, "ECRC (computed 0x"));
    assert_int_equal(fotactl("info", "/nonexistent.img", NULL), 4);
}

/* ---- update over a pty against the fake target ---- */

struct pty_run {
    struct fake_session s;
    int slave;
    char name[128];
};

static void pty_start(struct pty_run *r, struct fake_dev *d)
{
    int master = -1;

    assert_int_equal(openpty(&master, &r->slave, r->name, NULL, NULL), 0);
    /* fotactl must not inherit the master, or closing ours is no hang-up. */
    assert_int_equal(fcntl(master, F_SETFD, FD_CLOEXEC), 0);
    assert_int_equal(fcntl(r->slave, F_SETFD, FD_CLOEXEC), 0);
    assert_int_equal(fake_session_start_fd(&r->s, d, master), 0);
}

static void pty_stop(struct pty_run *r)
{
    close(r->slave); /* last slave fd gone: the master reads EIO, the session ends */
    fake_session_join(&r->s);
}

static void test_fotactl_update_ok_then_resume(void **state)
{
    char bin[128], img[128];
    struct fake_dev *d = calloc(1, sizeof(*d));
    struct pty_run r;

    (void)state;
    assert_non_null(d);
    make_app(LAYOUT_SLOT_B, 6, bin, img);
    fake_dev_init(d);
    d->disconnect_at_data = 3;
    pty_start(&r, d);
    assert_int_equal(fotactl("update", "--port", r.name, "--timeout-ms", "200", "-q", img, NULL), 3);
    assert_non_null(strstr(g_err, "fotactl: update failed:"));
    assert_non_null(strstr(g_err, "link closed"));
    pty_stop(&r);
    assert_int_equal(d->n_program, 2);

    pty_start(&r, d);
    assert_int_equal(fotactl("update", "--port", r.name, "--timeout-ms", "200", img, NULL), 0);
    pty_stop(&r);
    assert_non_null(strstr(g_out, "update: ok: slot B: image v2.0.0 installed"));
    assert_non_null(strstr(g_out, "resume 2048"));
    assert_int_equal(d->end_status, FOTA_OK);
    free(d);
}

static void test_fotactl_update_target_refuses(void **state)
{
    char bin[128], img[128];
    struct fake_dev *d = calloc(1, sizeof(*d));
    struct pty_run r;

    (void)state;
    assert_non_null(d);
    make_app(LAYOUT_SLOT_B, 7, bin, img);
    fake_dev_init(d);
    d->begin_status = FOTA_EVERSION;
    pty_start(&r, d);
    assert_int_equal(fotactl("update", "--port", r.name, img, NULL), 1);
    pty_stop(&r);
    assert_non_null(strstr(g_err, "target refused BEGIN: EVERSION"));
    free(d);
}

static void test_fotactl_update_slot_mismatch(void **state)
{
    char bin[128], img[128];
    struct fake_dev *d = calloc(1, sizeof(*d));
    struct pty_run r;

    (void)state;
    assert_non_null(d);
    make_app(LAYOUT_SLOT_A, 8, bin, img);
    fake_dev_init(d); /* active A, updates B */
    pty_start(&r, d);
    assert_int_equal(fotactl("update", "--port", r.name, img, NULL), 1);
    assert_non_null(strstr(g_err, "linked for slot A, but the target updates slot B"));
    assert_int_equal(d->n_begin, 0);
    assert_int_equal(fotactl("update", "--port", r.name, "--force", img, NULL), 1);
    assert_non_null(strstr(g_err, "target refused BEGIN: ESLOT"));
    pty_stop(&r);
    assert_int_equal(d->n_begin, 1);
    free(d);
}

static void test_fotactl_update_bad_image_sent_anyway_unless_strict(void **state)
{
    char bin[128], bad[128];
    struct fake_dev *d = calloc(1, sizeof(*d));
    struct pty_run r;
    uint8_t app[APP_LEN];

    (void)state;
    assert_non_null(d);
    fake_app_bin(app, sizeof(app), LAYOUT_SLOT_B, 9);
    path_in(bin, sizeof(bin), "app.bin");
    path_in(bad, sizeof(bad), "badsha.img");
    write_file(bin, app, sizeof(app));
    assert_int_equal(fotactl("pack", "--slot", "B", "--version", "2.0.0", "--in", bin, "--out", bad,
                             "--force-sha256",
                             "0000000000000000000000000000000000000000000000000000000000000000", NULL), 0);
    fake_dev_init(d);
    pty_start(&r, d);
    assert_int_equal(fotactl("update", "--port", r.name, "--strict", bad, NULL), 1);
    assert_non_null(strstr(g_err, "not sent (--strict)"));
    assert_int_equal(d->n_begin, 0);
    assert_int_equal(fotactl("update", "--port", r.name, bad, NULL), 1);
    assert_non_null(strstr(g_err, "warning:"));
    assert_non_null(strstr(g_err, "target refused END: ESHA"));
    pty_stop(&r);
    assert_int_equal(d->end_status, FOTA_ESHA);
    free(d);
}

/* update --json: the result of an update that resumed, one that failed on
 * the link, and one refused before sending (issue 15). */
static void test_fotactl_update_json_result(void **state)
{
    char bin[128], img[128], json[128], text[4096];
    struct fake_dev *d = calloc(1, sizeof(*d));
    struct pty_run r;

    (void)state;
    assert_non_null(d);
    make_app(LAYOUT_SLOT_B, 11, bin, img);
    path_in(json, sizeof(json), "result.json");
    fake_dev_init(d);
    d->disconnect_at_data = 3;
    pty_start(&r, d);
    assert_int_equal(fotactl("update", "--port", r.name, "--timeout-ms", "200", "--json", json, img, NULL), 3);
    pty_stop(&r);
    slurp(json, text, sizeof(text));
    assert_non_null(strstr(text, "\"exit\": 3,"));
    assert_non_null(strstr(text, "\"result\": \"failed\","));
    assert_non_null(strstr(text, "\"resumed_at\": 0,"));
    assert_non_null(strstr(text, "\"data_bytes\": 2048,"));
    pty_start(&r, d);
    d->nack_req = d->n_req + 4; /* the 2nd DATA of this session: BEGIN is n_req + 3 after HELLO */
    assert_int_equal(fotactl("update", "--port", r.name, "--timeout-ms", "200", "--json", json, img, NULL), 0);
    pty_stop(&r);
    slurp(json, text, sizeof(text));
    assert_non_null(strstr(text, "\"exit\": 0,"));
    assert_non_null(strstr(text, "\"result\": \"ok\","));
    assert_non_null(strstr(text, "\"error\": null,"));
    assert_non_null(strstr(text, "\"resumed_at\": 2048,"));
    assert_non_null(strstr(text, "\"fresh\": false,"));
    assert_non_null(strstr(text, "\"nacks\": 1,"));
    assert_non_null(strstr(text, "\"retransmits\": 1,"));
    assert_non_null(strstr(text, "\"duration_ms\": "));
    /* Refused before anything is sent: still a result, resumed_at null. */
    assert_int_equal(fotactl("update", "--port", "/nonexistent/tty", "--json", json, img, NULL), 3);
    slurp(json, text, sizeof(text));
    assert_non_null(strstr(text, "\"exit\": 3,"));
    assert_non_null(strstr(text, "\"result\": \"refused\","));
    assert_non_null(strstr(text, "\"resumed_at\": null,"));
    /* Bad uses: --json without a path, --json on hello, an unwritable path. */
    assert_int_equal(fotactl("update", "--port", "/dev/null", img, "--json", NULL), 2);
    assert_int_equal(fotactl("hello", "--port", "/dev/null", "--json", json, NULL), 2);
    assert_non_null(strstr(g_err, "--json is an option of update"));
    assert_int_equal(fotactl("update", "--port", "/nonexistent/tty", "--json", "/nonexistent/dir/r.json", img,
                             NULL), 3);
    assert_non_null(strstr(g_err, "--json /nonexistent/dir/r.json: cannot write"));
    free(d);
}

/* --force sends a truncated image as it is; without it nothing is sent (issue 15). */
static void test_fotactl_update_force_sends_short_image(void **state)
{
    char bin[128], img[128], half[128], json[128], text[4096];
    uint8_t buf[IMAGE_HEADER_SIZE + APP_LEN];
    struct fake_dev *d = calloc(1, sizeof(*d));
    struct pty_run r;
    FILE *f;

    (void)state;
    assert_non_null(d);
    make_app(LAYOUT_SLOT_B, 12, bin, img);
    f = fopen(img, "rb");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, sizeof(buf), f), sizeof(buf));
    fclose(f);
    path_in(half, sizeof(half), "half.img");
    path_in(json, sizeof(json), "half.json");
    write_file(half, buf, sizeof(buf) / 2);
    fake_dev_init(d);
    pty_start(&r, d);
    assert_int_equal(fotactl("update", "--port", r.name, "--json", json, half, NULL), 1);
    assert_non_null(strstr(g_err, "truncated); not sent"));
    assert_int_equal(d->n_begin, 0);
    slurp(json, text, sizeof(text));
    assert_non_null(strstr(text, "\"result\": \"refused\","));
    assert_int_equal(fotactl("update", "--port", r.name, "--force", "--json", json, half, NULL), 1);
    pty_stop(&r);
    assert_non_null(strstr(g_err, "WARNING: --force"));
    assert_non_null(strstr(g_err, "SENDING ITS 2756 BYTES AS THEY ARE (a short transfer"));
    assert_non_null(strstr(g_err, "target refused END: EPROTO")); /* the fake target's answer to a short image */
    assert_int_equal(d->n_begin, 1);
    assert_int_equal(d->n_end, 1);
    assert_int_equal(d->end_status, FOTA_EPROTO);
    assert_int_equal(d->next, sizeof(buf) / 2); /* every byte of the file, nothing more */
    slurp(json, text, sizeof(text));
    assert_non_null(strstr(text, "\"forced_short\": true,"));
    assert_non_null(strstr(text, "\"image_bytes\": 2756,"));
    assert_non_null(strstr(text, "\"error\": \"EPROTO\","));
    free(d);
}

static void test_fotactl_update_and_hello_link_errors(void **state)
{
    char bin[128], img[128], name[128];
    int master = -1, slave = -1;

    (void)state;
    make_app(LAYOUT_SLOT_B, 10, bin, img);
    assert_int_equal(fotactl("update", "--port", "/nonexistent/tty", img, NULL), 3);
    assert_string_equal(g_err, "fotactl: /nonexistent/tty: No such file or directory\n");
    assert_int_equal(fotactl("update", "--port", "/dev/null", img, NULL), 2);
    assert_non_null(strstr(g_err, "not a serial port"));
    assert_int_equal(fotactl("update", "--port", "tcp:localhost", img, NULL), 2);
    /* Nobody answers on the pty. */
    assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
    assert_int_equal(fotactl("hello", "--port", name, "--hello-tries", "2", NULL), 3);
    assert_non_null(strstr(g_err, "no answer to HELLO"));
    assert_int_equal(fotactl("update", "--port", name, "--hello-tries", "2", img, NULL), 3);
    assert_non_null(strstr(g_out, "stats: frames 2"));
    close(slave);
    close(master);
}

static void test_fotactl_hello_prints_target(void **state)
{
    struct fake_dev *d = calloc(1, sizeof(*d));
    struct pty_run r;

    (void)state;
    assert_non_null(d);
    fake_dev_init(d);
    d->active_version = IMAGE_VERSION(1, 4, 2);
    pty_start(&r, d);
    assert_int_equal(fotactl("hello", "--port", r.name, NULL), 0);
    pty_stop(&r);
    assert_string_equal(g_out, "role=bootloader proto=1 active=A version=1.4.2 target=B max_data=1024 "
                               "slot_size=393216\n");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fotactl_help_documents_exit_codes),
        cmocka_unit_test(test_fotactl_usage_errors),
        cmocka_unit_test(test_fotactl_pack_and_info_good),
        cmocka_unit_test(test_fotactl_sign_pack_key_pubkey),
        cmocka_unit_test(test_fotactl_pack_reset_vector_outside_slot),
        cmocka_unit_test(test_fotactl_pack_bad_arguments),
        cmocka_unit_test(test_fotactl_pack_force_sha256_info_fails),
        cmocka_unit_test(test_fotactl_update_json_result),
        cmocka_unit_test(test_fotactl_update_force_sends_short_image),
        cmocka_unit_test(test_fotactl_info_bad_images),
        cmocka_unit_test(test_fotactl_update_ok_then_resume),
        cmocka_unit_test(test_fotactl_update_target_refuses),
        cmocka_unit_test(test_fotactl_update_slot_mismatch),
        cmocka_unit_test(test_fotactl_update_bad_image_sent_anyway_unless_strict),
        cmocka_unit_test(test_fotactl_update_and_hello_link_errors),
        cmocka_unit_test(test_fotactl_hello_prints_target),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
